"""Parser of the 工程表 (実施スケジュール) of the 地方創生IT利活用促進プラン (000_…).

Each schedule page is a table: column 0 holds the section (施策群) label, one
column per fiscal year 2013–2021 holds the items, and the last column the KPI
text of the section. An item runs from its own column up to the column before
the next item in the same row (or to the end of the table). The extraction
repeats rows and sometimes puts a section name into the first year column;
both are handled here and reported as quality issues.

Section labels of the PDF are vertically centred in merged cells, so a label
can appear in the middle of its rows. We attach a row to the last label seen
(``section_basis`` says how) and report the rows placed before any label on a
page as continuing the previous section.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from etl.errors import QualityIssue, SourceError
from etl.reference import resolve_ministry, split_ministries
from etl.text import html_to_text, normalize

_MINISTRY_GROUP = re.compile(r"【([^】]*)】")
_CJK_GAP = re.compile(r"(?<=[^\x00-\x7f]) (?=[^\x00-\x7f])")


@dataclass
class ParsedSchedule:
    sections: pd.DataFrame
    items: pd.DataFrame
    kpi_texts: pd.DataFrame  # section_no, order, text, source_line
    duplicate_rows: int = 0
    issues: list[QualityIssue] = field(default_factory=list)


@dataclass
class _Table:
    year_cols: dict[int, int]  # column index → fiscal year
    kpi_col: int | None
    phases: list[tuple[int, str]]  # (first fiscal year, phase name), ascending


def _clean(text: str) -> str:
    """Plain text with PDF gaps between Japanese characters closed and bullets removed."""
    text = _CJK_GAP.sub("", normalize(text))
    return re.sub(r"^[・\-]\s*", "", text).strip()


def parse_schedule(path: Path) -> ParsedSchedule:
    """Parse every 実施スケジュール table of the plan into sections, items and section KPI texts."""
    lines = path.read_text(encoding="utf-8").split("\n")
    source = path.name
    issues: list[QualityIssue] = []
    sections: dict[str, dict] = {}
    items: list[dict] = []
    kpis: list[dict] = []
    table: _Table | None = None
    current: str | None = None
    page = 0
    label_on_page = False

    def section(name: str, line_no: int) -> str:
        if name not in sections:
            sections[name] = {"section_no": len(sections) + 1, "name": name, "source_line": line_no}
        return name

    for idx, line in enumerate(lines):
        line_no = idx + 1
        cells = line.split("\t")
        if len(cells) < 2:
            continue
        if cells[0].strip() == "年度":
            table = _read_header(source, line_no, cells, lines[idx + 1] if idx + 1 < len(lines) else "")
            page += 1
            label_on_page = False
            continue
        if table is None or all(re.fullmatch(r"\s*(\d{4})?\s*", c) for c in cells):
            continue  # the years row under the header
        first_year_col = min(table.year_cols)
        labels: list[str] = []
        col0 = html_to_text(cells[0])
        stray_item = None
        if col0.text.strip():
            if _MINISTRY_GROUP.search(col0.text):
                stray_item = col0.text
            else:
                labels = [_clean(p) for p in (col0.items or (col0.text,)) if _clean(p)]
        item_cells = {
            c: html_to_text(cells[c]).text for c in table.year_cols if c < len(cells) and cells[c].strip()
        }
        first = item_cells.get(first_year_col)
        if first and not _MINISTRY_GROUP.search(first) and min(item_cells) == first_year_col:
            labels.append(_clean(first))  # a section name that slid into the first year column
            del item_cells[first_year_col]
            issues.append(
                QualityIssue(source, f"line {line_no}, column {table.year_cols[first_year_col]}", "section_in_year_column",
                             f"施策群名「{_clean(first)}」が最初の年度列にあったため、施策群として読みました。", None, "info")
            )
        if labels:
            for name in labels:
                section(name, line_no)
            current = labels[0]
            label_on_page = True
            if len(labels) > 1:
                issues.append(
                    QualityIssue(source, f"line {line_no}, column 施策群", "merged_section_labels",
                                 f"1つのセルに{len(labels)}つの施策群名があり、各行の所属を特定できないため最初の施策群に割り当てました: "
                                 + " / ".join(labels), None)
                )
        if current is None:
            raise SourceError(f"{source}: line {line_no}: schedule row before any section (施策群) label")

        kpi_text = html_to_text(cells[table.kpi_col]).text if table.kpi_col is not None and table.kpi_col < len(cells) else ""
        basis = "label_row" if labels else ("after_label" if label_on_page else "continued_from_previous_page")
        starts = sorted(item_cells)
        if stray_item:
            starts = [first_year_col - 1, *starts]
            item_cells[first_year_col - 1] = stray_item
            issues.append(
                QualityIssue(source, f"line {line_no}, column 施策群", "item_in_section_column",
                             f"工程「{_clean(_MINISTRY_GROUP.sub('', stray_item))[:40]}」が施策群の列にあり、開始年度を特定できないため"
                             f"{table.year_cols[first_year_col]}年度開始とみなしました。", None)
            )
        for pos, col in enumerate(starts):
            text = item_cells[col]
            start_col = max(col, first_year_col)
            nxt = starts[pos + 1] if pos + 1 < len(starts) else None
            start_fy = table.year_cols[start_col]
            end_fy = table.year_cols[nxt - 1] if nxt is not None else max(table.year_cols.values())
            ministries, unknown = _ministries(text)
            for raw in unknown:
                issues.append(QualityIssue(source, f"line {line_no}, column {start_fy}", "unknown_ministry",
                                           f"府省庁名「{raw}」は府省庁一覧にありません(そのまま保持)。", None))
            title = _clean(_MINISTRY_GROUP.sub(" ", text))
            title = re.sub(r"\s+", " ", title).strip()
            items.append(
                {
                    "section": current,
                    "title": title,
                    "item_text": _clean(text),
                    "ministries": ministries,
                    "start_fy": start_fy,
                    "end_fy": end_fy,
                    "phase": _phase(table, start_fy),
                    "phases": sorted({_phase(table, y) for y in range(start_fy, end_fy + 1)},
                                     key=[p for _, p in table.phases].index),
                    "end_basis": "next_item" if nxt is not None else "table_end",
                    "start_basis": "section_column" if col < first_year_col else "column",
                    "section_basis": basis,
                    "source_file": source,
                    "source_line": line_no,
                    "source_page": page,
                }
            )
        if kpi_text:
            parts = [p for p in (_clean(x) for x in re.split(r"\n|(?:^|\s)・", kpi_text)) if p]
            for part in parts:
                if not any(k["section"] == current and k["text"] == part for k in kpis):
                    kpis.append({"section": current, "text": part, "source_line": line_no})

    if not sections or not items:
        raise SourceError(f"{source}: no 実施スケジュール table found (is this the 工程表 file?)")
    items, duplicates = _drop_duplicates(source, items, issues)
    sec_df = pd.DataFrame(list(sections.values()))
    numbers = {name: d["section_no"] for name, d in sections.items()}
    item_df = pd.DataFrame(items)
    item_df.insert(0, "section_no", item_df["section"].map(numbers))
    item_df["item_no"] = item_df.groupby("section_no").cumcount() + 1
    item_df.insert(0, "item_id", [f"S{s:02d}-I{n:02d}" for s, n in zip(item_df.section_no, item_df.item_no)])
    kpi_df = pd.DataFrame(kpis, columns=["section", "text", "source_line"])
    kpi_df.insert(0, "section_no", kpi_df["section"].map(numbers))
    kpi_df["order"] = kpi_df.groupby("section_no").cumcount() + 1
    for name, d in sections.items():
        d["item_count"] = int((item_df["section"] == name).sum())
    for s in sections.values():
        if s["item_count"] == 0:
            issues.append(QualityIssue(source, f"line {s['source_line']}", "section_without_items",
                                       f"施策群「{s['name']}」に工程が見つかりません。", f"S{s['section_no']:02d}", "info"))
    return ParsedSchedule(sections=pd.DataFrame(list(sections.values())), items=item_df, kpi_texts=kpi_df,
                          duplicate_rows=duplicates, issues=issues)


def _drop_duplicates(source: str, items: list[dict], issues: list[QualityIssue]) -> tuple[list[dict], int]:
    """Remove items the extraction repeated on the same page; returns (kept items, extraction rows removed).

    A repeated item is the same title and ministries on the same page. When the
    copies disagree on the span, the span most copies show wins (ties: the first)
    and the disagreement is reported.
    """
    groups: dict[tuple, list[dict]] = {}
    for it in items:
        groups.setdefault((it["source_page"], it["title"], tuple(it["ministries"])), []).append(it)
    keep_ids: set[int] = set()
    for copies in groups.values():
        by_line: dict[int, list[dict]] = {}
        for c in copies:  # one row may hold the same title twice (two phases): that is not a copy
            by_line.setdefault(c["source_line"], []).append(c)
        variants = {line: tuple((c["start_fy"], c["end_fy"]) for c in cs) for line, cs in by_line.items()}
        seen = list(variants.values())
        best = max(dict.fromkeys(seen), key=seen.count)
        line = next(ln for ln, v in variants.items() if v == best)
        keep_ids.update(id(c) for c in by_line[line])
        if len(set(seen)) > 1:
            issues.append(QualityIssue(
                source, f"line {line}", "conflicting_duplicate",
                f"重複抽出された工程「{by_line[line][0]['title'][:40]}」の期間が一致しません"
                f"({' / '.join(_spans(v) for v in sorted(set(seen)))})。最も多い{_spans(best)}を採用しました。", None))
    kept = [it for it in items if id(it) in keep_ids]
    kept_lines = {it["source_line"] for it in kept}
    removed_lines = sorted({it["source_line"] for it in items if id(it) not in keep_ids} - kept_lines)
    for line in removed_lines:
        issues.append(QualityIssue(source, f"line {line}", "duplicate_row",
                                   "抽出時の重複行を除外しました(同じページに同じ工程があります)。", None, "info"))
    return kept, len(removed_lines)


def _spans(variant: tuple[tuple[int, int], ...]) -> str:
    return "・".join(f"{a}〜{b}年度" for a, b in variant)


def _read_header(source: str, line_no: int, header: list[str], years_line: str) -> _Table:
    years = years_line.split("\t")
    year_cols = {i: int(c) for i, c in enumerate(years) if re.fullmatch(r"\s*20\d\d\s*", c)}
    if len(year_cols) < 2:
        raise SourceError(f"{source}: line {line_no + 1}: the 工程表 header has no fiscal-year row")
    kpi_col = next((i for i, c in enumerate(header) if c.strip() == "KPI"), None)
    phases = sorted((year_cols[i], c.strip()) for i, c in enumerate(header) if c.strip() in ("短期", "中期", "長期") and i in year_cols)
    if not phases:
        raise SourceError(f"{source}: line {line_no}: the 工程表 header names no phase (短期/中期/長期)")
    return _Table(year_cols=year_cols, kpi_col=kpi_col, phases=phases)


def _phase(table: _Table, fy: int) -> str:
    name = table.phases[0][1]
    for first, phase in table.phases:
        if fy >= first:
            name = phase
    return name


def _ministries(text: str) -> tuple[list[str], list[str]]:
    names: list[str] = []
    unknown: list[str] = []
    for group in _MINISTRY_GROUP.findall(text):
        for raw, _lead in split_ministries(group):
            m = resolve_ministry(raw)
            if not m.known:
                unknown.append(raw)
            if m.name not in names:
                names.append(m.name)
    return names, unknown
