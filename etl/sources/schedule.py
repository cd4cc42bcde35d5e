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

import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from etl.errors import QualityIssue, SourceError
from etl.reference import resolve_ministry, similarity_settings, split_ministries
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
    rows = _read_rows(source, lines, issues)
    if not rows or not any(r.labels for r in rows) or not any(r.cells for r in rows):
        raise SourceError(f"{source}: no 実施スケジュール table found (is this the 工程表 file?)")
    sections: dict[str, dict] = {}
    for r in rows:
        for name in r.labels:
            sections.setdefault(name, {"section_no": len(sections) + 1, "name": name, "source_line": r.line_no})
    if rows[0].labels == []:
        raise SourceError(f"{source}: line {rows[0].line_no}: schedule row before any section (施策群) label")
    duplicates = _mark_duplicates(source, rows, issues)
    narrative = _narratives(lines, list(sections))
    _assign_sections(source, rows, list(sections), narrative, issues)

    items: list[dict] = []
    kpis: list[dict] = []
    for r in rows:
        for cell in r.cells if r.duplicate_of is None else ():
            items.append({**cell, **r.evidence, "section": r.section, "source_file": source,
                          "source_line": r.line_no, "source_page": r.page})
        for part in r.kpi_parts:
            if not any(k["section"] == r.section and k["text"] == part for k in kpis):
                kpis.append({"section": r.section, "text": part, "source_line": r.line_no})
    numbers = {name: d["section_no"] for name, d in sections.items()}
    item_df = pd.DataFrame(items)
    item_df.insert(0, "section_no", item_df["section"].map(numbers))
    item_df = item_df.sort_values(["section_no", "source_line", "start_fy"], kind="stable").reset_index(drop=True)
    item_df["item_no"] = item_df.groupby("section_no").cumcount() + 1
    item_df["narrative_line"] = item_df["narrative_line"].astype("Int64")
    item_df.insert(0, "item_id", [f"S{s:02d}-I{n:02d}" for s, n in zip(item_df.section_no, item_df.item_no)])
    kpi_df = pd.DataFrame(kpis, columns=["section", "text", "source_line"])
    kpi_df.insert(0, "section_no", kpi_df["section"].map(numbers))
    kpi_df["order"] = kpi_df.groupby("section_no").cumcount() + 1
    for name, d in sections.items():
        d["item_count"] = int((item_df["section"] == name).sum())
        if d["item_count"] == 0:
            issues.append(QualityIssue(source, f"line {d['source_line']}", "section_without_items",
                                       f"施策群「{name}」に工程が見つかりません。", f"S{d['section_no']:02d}", "info"))
    for it in item_df.itertuples():
        if it.section_confidence != "high":
            issues.append(QualityIssue(
                source, f"line {it.source_line}, column {it.start_fy}", "uncertain_section",
                f"工程「{it.title[:40]}」の施策群は確実ではありません(確度: {_CONFIDENCE[it.section_confidence]})。"
                f"{_BASIS[it.section_basis]}「{it.section}」と読みました。別の読み方: 「{it.section_alternative}」。",
                it.item_id, "info" if it.section_confidence == "medium" else "warning"))
    return ParsedSchedule(sections=pd.DataFrame(list(sections.values())), items=item_df, kpi_texts=kpi_df,
                          duplicate_rows=duplicates, issues=issues)


_CONFIDENCE = {"high": "高", "medium": "中", "low": "低"}
_BASIS = {"label_row": "施策群名と同じ行にあるため", "layout": "表の配置(施策群名の位置と前後の行)から", "narrative": "本文(4. 国の重点的な取組)の記述との一致から"}


@dataclass
class _Row:
    line_no: int
    page: int
    labels: list[str]
    cells: list[dict]
    kpi_parts: list[str]
    duplicate_of: int | None = None
    section: str | None = None
    evidence: dict = field(default_factory=dict)

    def signature(self) -> tuple:
        return tuple((c["title"], tuple(c["ministries"])) for c in self.cells)

    def spans(self) -> tuple:
        return tuple((c["start_fy"], c["end_fy"]) for c in self.cells)


def _read_rows(source: str, lines: list[str], issues: list[QualityIssue]) -> list[_Row]:
    """Every data row of every schedule table: its labels, item cells (with spans) and KPI text."""
    rows: list[_Row] = []
    table: _Table | None = None
    page = 0
    for idx, line in enumerate(lines):
        line_no = idx + 1
        cells = line.split("\t")
        if len(cells) < 2:
            continue
        if cells[0].strip() == "年度":
            table = _read_header(source, line_no, cells, lines[idx + 1] if idx + 1 < len(lines) else "")
            page += 1
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
        if len(labels) > 1:
            issues.append(
                QualityIssue(source, f"line {line_no}, column 施策群", "merged_section_labels",
                             f"1つのセルに{len(labels)}つの施策群名があります: " + " / ".join(labels)
                             + "。各行の施策群は配置と本文の記述から判断しました(確実でない行は「施策群の判定が不確実」に記載)。", None, "info")
            )
        starts = sorted(item_cells)
        if stray_item:
            starts = [first_year_col - 1, *starts]
            item_cells[first_year_col - 1] = stray_item
            issues.append(
                QualityIssue(source, f"line {line_no}, column 施策群", "item_in_section_column",
                             f"工程「{_clean(_MINISTRY_GROUP.sub('', stray_item))[:40]}」が施策群の列にあり、開始年度を特定できないため"
                             f"{table.year_cols[first_year_col]}年度開始とみなしました。", None)
            )
        items = []
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
            title = re.sub(r"\s+", " ", _clean(_MINISTRY_GROUP.sub(" ", text))).strip()
            items.append({
                "title": title, "item_text": _clean(text), "ministries": ministries,
                "start_fy": start_fy, "end_fy": end_fy, "phase": _phase(table, start_fy),
                "phases": sorted({_phase(table, y) for y in range(start_fy, end_fy + 1)},
                                 key=[p for _, p in table.phases].index),
                "end_basis": "next_item" if nxt is not None else "table_end",
                "start_basis": "section_column" if col < first_year_col else "column",
            })
        kpi_text = html_to_text(cells[table.kpi_col]).text if table.kpi_col is not None and table.kpi_col < len(cells) else ""
        kpi_parts = [p for p in (_clean(x) for x in re.split(r"\n|(?:^|\s)・", kpi_text)) if p] if kpi_text else []
        if labels or items or kpi_parts:
            rows.append(_Row(line_no, page, labels, items, kpi_parts))
    return rows


def _mark_duplicates(source: str, rows: list[_Row], issues: list[QualityIssue]) -> int:
    """Mark rows the extraction repeated (anywhere in the schedule); returns how many.

    A copy is the whole row again: the same items with the same ministries, in
    the same order, wherever it lands (the extraction repeats rows within a page
    and onto the next page, sometimes a column off). A row that merely shares
    one cell's text with another is not a copy. Short one-cell rows on another
    page are too generic to be sure of: those are kept and reported. When copies
    disagree on the span, the span most copies show wins (ties: the first copy).
    """
    groups: dict[tuple, list[_Row]] = {}
    for r in rows:
        if r.cells:
            groups.setdefault(r.signature(), []).append(r)
    removed = 0
    for copies in groups.values():
        if len(copies) < 2:
            continue
        first = copies[0]
        text = "".join(t for t, _ in first.signature())
        if len(text) < 20 and any(c.page != first.page for c in copies):
            issues.append(QualityIssue(
                source, f"line {', '.join(str(c.line_no) for c in copies)}", "possible_duplicate_kept",
                f"同じ工程「{text[:40]}」が別のページにもありますが、短い記述のため別の工程として残しました。", None))
            continue
        variants = [c.spans() for c in copies]
        best = max(dict.fromkeys(variants), key=variants.count)
        keep = next(c for c in copies if c.spans() == best)
        if len(set(variants)) > 1:
            issues.append(QualityIssue(
                source, f"line {keep.line_no}", "conflicting_duplicate",
                f"重複抽出された工程「{text[:40]}」の期間が一致しません"
                f"({' / '.join(f'{_spans(v)}({next(c.line_no for c in copies if c.spans() == v)}行目)' for v in dict.fromkeys(variants))})。"
                f"最も多い{_spans(best)}を採用しました。", None))
        for c in copies:
            if c is not keep:
                c.duplicate_of = keep.line_no
                removed += 1
                issues.append(QualityIssue(
                    source, f"line {c.line_no}", "duplicate_row",
                    f"抽出時の重複行を除外しました({keep.line_no}行目と同じ工程: 「{text[:30]}」"
                    + (f"、期間 {_spans(c.spans())}" if c.spans() != best else "") + ")。", None, "info"))
    return removed


def _bigrams(text: str, stop: set[str]) -> set[str]:
    text = re.sub(r"[\s*#<>＜＞()（）【】、。・「」『』/,.:0-9a-zA-Z]", "", normalize(text))
    return {text[i:i + 2] for i in range(len(text) - 1)} - stop


def _narratives(lines: list[str], labels: list[str]) -> dict[str, tuple[int, str]]:
    """The plan's own description of each 施策群: section name → (heading line, text).

    Section 4 of the plan describes each 施策群 under a heading in ＜…＞ that
    repeats (almost) its schedule label; the text runs to the next such heading
    or the next heading of level 3 or higher. A ＜…＞ heading that matches no
    label (e.g. 中小・小規模事業者 has no row label of its own) continues the
    description before it, as the schedule lists those items there too.
    """
    stop, _ = similarity_settings()
    stop = set(stop)
    label_bigrams = {name: _bigrams(name, stop) for name in labels}
    out: dict[str, tuple[int, list[str]]] = {}
    current: str | None = None
    for idx, raw in enumerate(lines):
        if raw.startswith("年度\t"):
            break  # the schedule tables themselves are not narrative
        line = normalize(raw).strip()
        bare = line.lstrip("#").strip().strip("*").strip()
        bracket = bare[:1] in "<＜" and bare[-1:] in ">＞"
        level = len(line) - len(line.lstrip("#"))
        if bracket:
            b = _bigrams(bare, stop)
            sims = {n: len(b & lb) / max(1, len(b | lb)) for n, lb in label_bigrams.items()}
            name = max(sims, key=sims.get)
            if sims[name] >= 0.3:
                current = name
                out.setdefault(name, (idx + 1, []))
        elif level and level <= 3:
            current = None
        if current is not None:
            out[current][1].append(line)
    return {name: (first, "\n".join(text)) for name, (first, text) in out.items()}


def _rarity(texts: dict[str, set[str]]) -> dict[str, float]:
    """Weight of each bigram: words every section's description uses tell nothing about the section."""
    counts: dict[str, int] = {}
    for bigrams in texts.values():
        for b in bigrams:
            counts[b] = counts.get(b, 0) + 1
    return {b: math.log((1 + len(texts)) / (1 + n)) for b, n in counts.items()}


def _match(row: set[str], section: set[str], weight: dict[str, float]) -> float:
    """Share of a row's (weighted) words that the section's label and narrative use."""
    default = max(weight.values(), default=1.0)  # a word no description uses
    total = sum(weight.get(b, default) for b in row)
    return sum(weight.get(b, default) for b in row if b in section) / total if total else 0.0


def _assign_sections(source: str, rows: list[_Row], labels: list[str], narrative: dict[str, tuple[int, str]],
                     issues: list[QualityIssue]) -> None:
    """Give every row its section, by layout first and the plan's narrative where layout is not enough.

    On a page, sections come in the order of their labels and each label's
    rows are contiguous (merged cells), but a label is vertically centred, so
    rows above it may be its own. Rows before a page's first label may continue
    the previous page's section. Within those constraints the rows are split
    where their words best match each section's label and narrative; the
    margin over the next best split gives the confidence.
    """
    stop, _ = similarity_settings()
    stop = set(stop)
    texts = {name: _bigrams(name + "\n" + narrative.get(name, (0, ""))[1], stop) for name in labels}
    weight = _rarity(texts)
    label_line = {}
    for r in rows:
        for name in r.labels:
            label_line.setdefault(name, r.line_no)
    previous: str | None = None
    for page in sorted({r.page for r in rows}):
        on_page = [r for r in rows if r.page == page]
        page_labels = list(dict.fromkeys(n for r in on_page for n in r.labels))
        cands = ([previous] if previous and previous not in page_labels else []) + page_labels
        if not cands:
            raise SourceError(f"{source}: line {on_page[0].line_no}: schedule row before any section (施策群) label")
        n, k = len(on_page), len(cands)

        def allowed(i: int, c: int) -> bool:
            r = on_page[i]
            return not r.labels or cands[c] == r.labels[0]

        def score(i: int, c: int) -> float:
            r = on_page[i]
            if r.duplicate_of is not None or not r.cells:
                return 0.0
            content = _match(_bigrams(" ".join(x["title"] for x in r.cells), stop), texts[cands[c]], weight)
            above = [j for j in range(i + 1) if on_page[j].labels]
            nearest = cands.index(on_page[above[-1]].labels[-1]) if above else 0
            return content + (0.01 if c == nearest else 0.0)  # layout breaks ties: the label above

        neg = float("-inf")
        fwd = [[neg] * k for _ in range(n)]
        bwd = [[neg] * k for _ in range(n)]
        for i in range(n):
            for c in range(k):
                if allowed(i, c):
                    prev = 0.0 if i == 0 else max(fwd[i - 1][: c + 1])
                    fwd[i][c] = prev + score(i, c) if prev > neg else neg
        for i in reversed(range(n)):
            for c in range(k):
                if allowed(i, c):
                    nxt = 0.0 if i == n - 1 else max(bwd[i + 1][c:])
                    bwd[i][c] = nxt + score(i, c) if nxt > neg else neg
        if max(fwd[-1]) == neg:
            raise SourceError(f"{source}: page {page} (line {on_page[0].line_no}): section labels are out of order")
        c = max(range(k), key=lambda j: fwd[-1][j])
        chosen = [0] * n
        for i in reversed(range(n)):
            chosen[i] = c
            if i:
                c = max(range(c + 1), key=lambda j: fwd[i - 1][j])
        for i, r in enumerate(on_page):
            totals = [fwd[i][c] + bwd[i][c] - score(i, c) if fwd[i][c] > neg and bwd[i][c] > neg else neg for c in range(k)]
            best = chosen[i]
            others = [t for c, t in enumerate(totals) if c != best]
            margin = totals[best] - max(others, default=neg)
            alternative = max((c for c in range(k) if c != best), key=lambda c: totals[c], default=None)
            r.section = cands[best]
            alternative_name = None
            if r.labels:
                basis, confidence = "label_row", "high"
            elif margin == float("inf"):
                basis, confidence = "layout", "high"
            elif margin >= 0.15:
                basis, confidence = "narrative", "high"
            elif margin >= 0.05:
                basis, confidence = "narrative", "medium"
            else:
                basis, confidence = "layout", "low"
            heading = narrative.get(r.section, (None, ""))[0]
            b = _bigrams(" ".join(x["title"] for x in r.cells), stop)
            own = _match(b, texts[r.section], weight)
            if basis == "narrative" and alternative is not None and own < _match(b, texts[cands[alternative]], weight) + 0.05:
                basis = "layout"  # its own words do not decide: the rows around it (a block is contiguous) did
            if basis == "layout" and confidence == "high" and r.cells:
                # forced by the layout: still say so when another section's description fits far better
                fits = {name: _match(b, texts[name], weight) for name in labels}
                other = max(fits, key=fits.get)
                if fits[other] >= fits[r.section] + 0.3:
                    confidence, alternative_name = "medium", other
            r.evidence = {
                "section_basis": basis, "section_confidence": confidence,
                "section_alternative": alternative_name or (cands[alternative] if confidence != "high" and alternative is not None else None),
                "section_label_line": label_line[r.section], "narrative_line": heading,
                "narrative_score": round(own, 3),
            }
        previous = cands[chosen[-1]]
    by_line = {r.line_no: r for r in rows}
    for r in rows:
        if r.duplicate_of is not None:
            r.section = by_line[r.duplicate_of].section


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
