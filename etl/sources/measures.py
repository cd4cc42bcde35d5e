"""Parser of the 施策一覧 (001_…): one row per national measure (施策).

The table comes from a PDF: columns drift by a cell or two between pages, the
掲載時期 header is missing on some pages, empty cells are dropped or doubled,
and budget + URL sometimes share one cell. So the parser does not trust header
positions. It anchors each row on what it can recognise by content:

* columns 0–5 (No, 施策名, KPI 進捗, KPI 効果, 概要, 柱) are stable on every page;
* the 国の施策番号 (``NN-NN``) and, after it, the 府省庁名 close the row;
* between them: 掲載時期 (recognised by its wording), the ○ flag cells, then
  support / budget / URL, assigned from the right by content.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from etl.errors import QualityIssue, SourceError
from etl.reference import resolve_ministry, resolve_pillar, split_ministries
from etl.text import ERA_YEAR_RE, era_to_year, html_to_text, normalize, urls_in

EFFECT_FLAGS = (
    ("effect_efficiency", "行政の効率化・コスト削減"),
    ("effect_economy", "地域社会・経済の活性化"),
    ("effect_convenience", "住民生活の利便性・質の向上"),
    ("effect_safety", "住民生活の安全・安心の確保"),
)
MIN_COLUMNS = 14  # No … 施策番号/府省庁名: fewer cells means the line was cut off

_NATIONAL_NO = re.compile(r"\d{2}-\d{2}")
_LISTING = re.compile(r"年度|時期調整中|以降|から")
_BUDGET_END = re.compile(r"(事業|経費|交付金|事業費|補助金)\)?$")


@dataclass
class ParsedMeasures:
    measures: pd.DataFrame
    issues: list[QualityIssue] = field(default_factory=list)


def parse_measures(path: Path) -> ParsedMeasures:
    """Parse the 施策一覧 file into the measures frame (one row per 施策) and quality issues."""
    text = path.read_text(encoding="utf-8")
    rows, issues = [], []
    page = 0
    for line_no, line in enumerate(text.split("\n"), start=1):
        if line.startswith("###"):
            page += 1
            continue
        cells = line.split("\t")
        if len(cells) < 2 or not cells[0].strip().isdigit():
            continue
        row, row_issues = _parse_row(path.name, line_no, page, cells)
        rows.append(row)
        issues.extend(row_issues)
    if not rows:
        raise SourceError(f"{path.name}: no 施策 rows found (is this the 施策一覧 file?)")
    _check_sequence(path.name, rows)
    df = pd.DataFrame(rows)
    return ParsedMeasures(measures=df, issues=issues)


def _check_sequence(source: str, rows: list[dict]) -> None:
    numbers = [r["measure_no"] for r in rows]
    if len(set(numbers)) != len(numbers):
        dup = sorted({n for n in numbers if numbers.count(n) > 1})
        raise SourceError(f"{source}: 施策 No {dup} appear more than once")
    expected = list(range(1, len(numbers) + 1))
    if sorted(numbers) != expected:
        missing = sorted(set(expected) - set(numbers))
        raise SourceError(f"{source}: 施策 No are not consecutive; missing {missing}")


def _parse_row(source: str, line_no: int, page: int, cells: list[str]) -> tuple[dict, list[QualityIssue]]:
    no = int(cells[0])
    where = f"line {line_no}, 施策 No {no}"
    issues: list[QualityIssue] = []

    def issue(kind: str, column: str, message: str, severity: str = "warning") -> None:
        issues.append(QualityIssue(source, f"{where}, column {column}", kind, message, str(no), severity))

    if len(cells) < MIN_COLUMNS:
        raise SourceError(
            f"{source}: {where}: the row has only {len(cells)} columns (at least {MIN_COLUMNS} expected, "
            f"国の施策番号 and 府省庁名 missing): the file looks truncated"
        )
    idx_no = next((i for i in range(6, len(cells)) if _NATIONAL_NO.fullmatch(cells[i].strip())), None)
    ministry_idx = _ministry_cell(cells, start=(idx_no + 1) if idx_no is not None else 6)
    if ministry_idx is None:
        raise SourceError(
            f"{source}: {where}, column 府省庁名: no ministry after the 施策番号; the row is incomplete or the file truncated"
        )
    if idx_no is None:
        issue("missing_national_no", "国の施策番号", "国の施策番号が空欄です。")
        # The empty cell just before the ministry is the 施策番号 column.
        end = ministry_idx - 1 if ministry_idx - 1 >= 6 and not cells[ministry_idx - 1].strip() else ministry_idx
    else:
        end = idx_no

    title = normalize(html_to_text(cells[1]).text)
    overview = html_to_text(cells[4])
    pillar_raw = normalize(cells[5])
    pillar = resolve_pillar(pillar_raw) if pillar_raw else None
    if not pillar_raw:
        issue("missing_pillar", "対応する柱", "対応する柱が空欄です(推測せず空のまま)。")
    elif pillar is None:
        issue("unknown_pillar", "対応する柱", f"対応する柱「{pillar_raw}」は既知の柱名ではありません。")

    mid = cells[6:end]
    listing = None
    if mid and mid[0].strip() != "○" and (not mid[0].strip() or _LISTING.search(mid[0])):
        listing = normalize(mid[0]) or None
        mid = mid[1:]
    elif mid and mid[0].strip() != "○":
        issue("unreadable_listing", "掲載時期", f"掲載時期の列を特定できません: 「{normalize(mid[0])[:40]}」")
    plan_start_fy = _start_fy(listing)

    support, budget, reference, flag_cells = _assign_tail(mid)
    flags, confidence = _read_flags(flag_cells)
    if confidence == "ambiguous":
        issue(
            "ambiguous_effect_flags",
            "期待される効果",
            f"○の位置がずれており、どの効果か確定できません(セル: {_flag_pattern(flag_cells)})。",
        )
    elif confidence == "shifted":
        issue(
            "shifted_effect_flags",
            "期待される効果",
            f"○の列が{len(flag_cells)}セルあり、ずれを補正して読みました(セル: {_flag_pattern(flag_cells)})。",
            severity="info",
        )

    ministries_raw = normalize(cells[ministry_idx])
    names, leads, groups = [], [], []
    for raw, is_lead in split_ministries(ministries_raw):
        m = resolve_ministry(raw)
        if not m.known:
            issue("unknown_ministry", "府省庁名", f"府省庁名「{raw}」は府省庁一覧にありません(そのまま保持)。")
        if m.name not in names:
            names.append(m.name)
        if is_lead and m.name not in leads:
            leads.append(m.name)
        if m.is_group and m.name not in groups:
            groups.append(m.name)
    if leads:
        lead_basis = "marked"
    elif len(names) == 1:
        leads, lead_basis = list(names), "sole"
    else:
        leads, lead_basis = names[:1], "first_listed"
        issue(
            "lead_not_marked",
            "府省庁名",
            f"主担当(◎)の記載がないため、最初に記載の「{names[0] if names else ''}」を主担当とみなしました。",
            severity="info",
        )

    kinds = [i.kind for i in issues if i.severity == "warning"]
    row = {
        "measure_no": no,
        "national_measure_no": cells[idx_no].strip() if idx_no is not None else None,
        "title": title,
        "kpi_progress_text": html_to_text(cells[2]).text,
        "kpi_effect_text": html_to_text(cells[3]).text,
        "overview": overview.text,
        "overview_items": list(overview.items),
        "pillar": pillar,
        "pillar_source_text": pillar_raw or None,
        "plan_listing": listing,
        "plan_start_fy": plan_start_fy,
        **{name: flags[i] for i, (name, _) in enumerate(EFFECT_FLAGS)},
        "effect_flags_confidence": confidence,
        "effect_flags_cells": _flag_pattern(flag_cells),
        "support": support.text or None,
        "support_items": list(support.items),
        "budget_program": budget[0],
        "budget_items": budget[1],
        "reference_text": reference[0],
        "reference_url": reference[1][0] if reference[1] else None,
        "reference_urls": reference[1],
        "ministries_text": ministries_raw,
        "ministries": names,
        "lead_ministries": leads,
        "ministry_groups": groups,
        "lead_basis": lead_basis,
        "source_file": source,
        "source_line": line_no,
        "source_page": page,
        "quality_flags": sorted(set(kinds)),
    }
    return row, issues


def _ministry_cell(cells: list[str], start: int) -> int | None:
    for i in range(start, len(cells)):
        if re.search(r"省|庁|府|官房|委員会", cells[i]):
            return i
    return None


def _start_fy(listing: str | None) -> int | None:
    if not listing:
        return None
    m = ERA_YEAR_RE.search(listing) or re.search(r"(20\d\d)\s*年", listing)
    if not m:
        return None
    return era_to_year(m.group(1), m.group(2)) if m.lastindex == 2 else int(m.group(1))


def _is_url_like(cell: str) -> bool:
    return bool(re.search(r"https?://|href=|www\.", cell)) or cell.strip() == "-"


def _is_budget_like(cell: str) -> bool:
    text = html_to_text(cell).text
    if "予算事業名" in text or cell.strip() == "-":
        return True
    return len(text) < 80 and "。" not in text and bool(_BUDGET_END.search(text))


def _assign_tail(mid: list[str]):
    """Split the cells after 掲載時期 into (support, budget, reference, flag cells), from the right."""
    cells = list(mid)
    budget: tuple[str | None, list[str]] = (None, [])
    ref_text: list[str] = []
    ref_urls: list[str] = []
    support = html_to_text("")

    def take_reference(cell: str) -> None:
        nonlocal budget
        b, links = _split_budget_and_links(cell)
        if b[0]:
            budget = b
        if links and links != "-":
            ref_text.append(links)
            ref_urls.extend(urls_in(links))

    if cells and (_is_url_like(cells[-1]) or not cells[-1].strip()):
        take_reference(cells.pop())
    if budget == (None, []) and cells and (_is_budget_like(cells[-1]) or not cells[-1].strip()):
        take_reference(cells.pop())
    if cells and cells[-1].strip() != "○" and (cells[-1].strip() or len(cells) > 4):
        support = html_to_text(cells.pop())
    reference = ("\n".join(ref_text) or None, list(dict.fromkeys(ref_urls)))
    return support, budget, reference, [c.strip() for c in cells]


_BUDGET_MARK = re.compile(r"<予算事業名(?:\[補助金名\])?>\s*")
_BUDGET_ITEM_END = re.compile(r"(事業|経費|交付金|事業費|補助金|推進|施策|内数|等|\)|\])$")


def _split_budget_and_links(cell: str) -> tuple[tuple[str | None, list[str]], str]:
    """A cell of budget programmes and/or reference links → ((budget text, programmes), link text).

    After the <予算事業名> mark the programme names run until a '(title)' or a URL;
    paragraphs without a mark that carry a URL or a '(title)' are references.
    """
    parsed = html_to_text(cell)
    paras = list(parsed.items) or [parsed.text]
    budget_text, items, links = [], [], []
    for para in paras:
        m = _BUDGET_MARK.search(para)
        if m:
            head = para[m.end():]
            cut = re.search(r"\s\(|\s?https?://", head)
            names = head[: cut.start()] if cut else head
            rest = head[cut.start():] if cut else ""
            budget_text.append(names.strip())
            items.extend(_budget_items(names.strip()))
            if rest.strip():
                links.append(rest.strip())
        elif budget_text and not urls_in(para) and not para.startswith("("):
            budget_text.append(para)  # a note that belongs to the budget cell
        elif para.strip() and para.strip() != "-":
            if not budget_text and not urls_in(para) and not para.startswith("(") and _is_budget_like(para):
                budget_text.append(para)
                items.append(para)
            else:
                links.append(para)
    for url in parsed.links:
        if not any(url in l for l in links):
            links.append(url)
    budget = ("\n".join(t for t in budget_text if t) or None, items)
    return budget, "\n".join(links)


def _budget_items(text: str) -> list[str]:
    """Programme names: split on spaces outside parentheses where every part reads as a name."""
    parts, depth, cur = [], 0, ""
    for ch in text:
        depth += ch in "([（【"
        depth -= ch in ")]）】"
        if ch.isspace() and depth <= 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    parts.append(cur)
    merged: list[str] = []
    for p in (p for p in parts if p):
        if merged and p[0] in "([（":
            merged[-1] += " " + p
        else:
            merged.append(p)
    if len(merged) > 1 and all(_BUDGET_ITEM_END.search(p) for p in merged):
        return merged
    return [text] if text else []


def _flag_pattern(cells: list[str]) -> str:
    return "".join("○" if c == "○" else "-" for c in cells)


def _read_flags(cells: list[str]) -> tuple[list[bool], str]:
    """The four 期待される効果 flags and how sure we are of their columns.

    aligned: exactly four cells; shifted: another count, but only one placement
    of the ○ marks fits four columns; ambiguous: several placements fit (we keep
    the leftmost and say so in quality_issues).
    """
    k = len(cells)
    marks = [i for i, c in enumerate(cells) if c == "○"]
    if k == 4:
        return [c == "○" for c in cells], "aligned"
    if k > 4:
        options = [s for s in range(0, k - 3) if all(s <= p <= s + 3 for p in marks)]
        placements = {tuple(p - s for p in marks) for s in options}
    else:
        options = list(range(0, 4 - k + 1))
        placements = {tuple(p + s for p in marks) for s in options}
    if not placements:
        return [False] * 4, "ambiguous"
    chosen = sorted(placements)[0]
    flags = [i in chosen for i in range(4)]
    return flags, "shifted" if len(placements) == 1 else "ambiguous"
