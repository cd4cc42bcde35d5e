"""Quantitative figures stated in the source documents, found by a parser (none is typed in).

`extract_figures` reads a source document and returns one row per figure: a number with its unit,
the kind of figure, what it counts, the date or period it refers to (as written and normalised),
the sentence it stands in and its line. What counts as a figure — counters, units, kinds, the text
that is never a figure — is data in data/reference/figure_rules.yaml.

`mapped_observations` turns the reviewed mapping data/reference/figure_map.yaml (figure → KPI,
exact / component / proxy) into observations, after checking every entry against the parsed
figures, so a figure that moved or changed fails loudly.

The as-of date of a figure is taken, in this order, from: its sentence (a date marked 現在/時点,
the survey year of a quoted 「…調査」, else the nearest date before it, else after it; event dates
such as 「平成26年10月に発足した」 are skipped), the previous sentence of its paragraph, the table
heading of its 図表 block, the nearest heading with a date, the source note (【出典】) of its slide.
"""
from __future__ import annotations

import datetime as dt
import functools
import html
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import yaml

from etl import settings
from etl.areas import NATIONAL_CODE
from etl.errors import QualityIssue
from etl.periods import parse_period
from etl.text import era_to_year, html_to_text, normalize, parse_number

KINDS = ("count", "percent", "money", "rank", "score", "ratio", "sample", "parameter")
RELATIONS = ("exact", "component", "proxy")
QUOTE_MAX = 200

COLUMNS = [
    "figure_id", "document", "line", "value", "unit", "kind", "thing", "as_of_text", "as_of", "as_of_basis",
    "quote", "approx", "statement", "excluded", "certainty", "note", "context", "published",
]


# ---------------------------------------------------------------- rules


@functools.cache
def _rules_at(path: str) -> dict:
    return yaml.safe_load(Path(path).read_text(encoding="utf-8"))


def load_rules(reference_dir: Path | None = None) -> dict:
    """The parser's rules (data/reference/figure_rules.yaml)."""
    return _rules_at(str((reference_dir or settings.REFERENCE_DIR) / "figure_rules.yaml"))


def load_mapping(reference_dir: Path | None = None) -> dict:
    """The reviewed figure → KPI mapping (data/reference/figure_map.yaml)."""
    path = (reference_dir or settings.REFERENCE_DIR) / "figure_map.yaml"
    return yaml.safe_load(path.read_text(encoding="utf-8"))


_KANJI_NUM = "[一二三四五六七八九十][一二三四五六七八九十百千万億]*"
# An Arabic number, then 万/千/億 with more digits, as few as needed before a unit (5千|万円, 9万5千|件).
_ARABIC_NUM = r"\d[\d,]*(?:\.\d+)?(?:[千万億](?:\d[\d,]*(?:\.\d+)?)?)*?"
_NUM_START = r"(?<![0-9A-Za-z._\-])(?<!\d/)"


@dataclass(frozen=True)
class Compiled:
    """The rules with their regexes compiled (built once per rules dict)."""

    counter_re: re.Pattern
    unit_kind: dict
    patterns: tuple
    masks: tuple
    exclusions: tuple
    parameter_cues: re.Pattern
    approx_before: re.Pattern
    approx_after: re.Pattern
    target_cues: re.Pattern
    event_re: re.Pattern


def compile_rules(rules: dict) -> Compiled:
    """Compile figure_rules.yaml into regexes."""
    unknown = sorted({k for k in rules["counters"]} | {p["kind"] for p in rules.get("patterns", [])})
    if bad := [k for k in unknown if k not in KINDS]:
        raise ValueError(f"figure_rules.yaml: unknown kind {bad}; kinds are {', '.join(KINDS)}")
    unit_kind = {u: kind for kind, units in rules["counters"].items() for u in units}
    units = sorted(unit_kind, key=len, reverse=True)
    prefixes = "|".join(map(re.escape, rules.get("unit_prefixes", [])))
    alt = "|".join(map(re.escape, units))
    counter_re = re.compile(
        rf"{_NUM_START}(?P<num>{_ARABIC_NUM}|{_KANJI_NUM})\s*(?P<unit>(?:{prefixes})?(?:{alt}))"
    )
    patterns = [(p["name"], re.compile(p["regex"]), p["unit"], p["kind"]) for p in rules.get("patterns", [])]
    after_no = rules.get("counted_after_no")
    if after_no:
        nouns = "|".join(map(re.escape, after_no["nouns"]))
        mod = int(after_no.get("modifier_max_chars", 0))
        regex = re.compile(
            rf"{_NUM_START}(?P<num>\d[\d,]*)\s*つ?の[^\s、。「」()]{{0,{mod}}}?(?P<unit>{nouns})")
        patterns.append(("counted_after_no", regex, None, "count"))
    exclusions = tuple(
        (re.compile(e["before"]) if e.get("before") else None, re.compile(e["after"]) if e.get("after") else None,
         frozenset(e.get("units") or ()), e["why"])
        for e in rules.get("exclusions", [])
    )
    events = "|".join(map(re.escape, rules.get("event_verbs", [])))
    return Compiled(
        counter_re=counter_re,
        unit_kind=unit_kind,
        patterns=tuple(patterns),
        masks=tuple(re.compile(m["regex"], re.M) for m in rules.get("masks", [])),
        exclusions=exclusions,
        parameter_cues=re.compile("|".join(map(re.escape, rules.get("parameter_cues", []))) or r"(?!)"),
        approx_before=re.compile(rules.get("approx_before", r"(?!)")),
        approx_after=re.compile(rules.get("approx_after", r"(?!)")),
        target_cues=re.compile("|".join(map(re.escape, rules.get("target_cues", []))) or r"(?!)"),
        event_re=re.compile(rf"^\s*に[^、。]{{0,12}}?(?:{events})(?:し|され)た(?=[^、。\s])") if events else re.compile(r"(?!)"),
    )


@functools.cache
def _compiled_at(path: str) -> Compiled:
    return compile_rules(_rules_at(path))


# ---------------------------------------------------------------- numbers


@dataclass(frozen=True)
class NumberMatch:
    """A number with its unit found in a text: value in the unit as written."""

    start: int
    end: int
    raw: str
    value: float
    unit: str
    kind: str
    rule: str


def parse_value(raw: str) -> float:
    """The value of a number as written: '1,220' → 1220, '9万5千' → 95000, '5千' → 5000, '1/3' → 0.3333."""
    s = normalize(raw).replace(",", "")
    if m := re.fullmatch(r"(\d+)/(\d+)", s):
        return round(int(m.group(1)) / int(m.group(2)), 4)
    return float(parse_number(s))


def mask_text(text: str, c: Compiled) -> str:
    """The text with every masked span (URLs, numbering, footnote marks…) blanked, same length."""
    out = text
    for rx in c.masks:
        out = rx.sub(lambda m: " " * len(m.group(0)), out)
    return out


def _excluded(text: str, start: int, end: int, unit: str, c: Compiled) -> str | None:
    before, after = text[max(0, start - 12):start], text[end:end + 12]
    for b, a, units, why in c.exclusions:
        if units and unit not in units:
            continue
        if (b is None or b.search(before)) and (a is None or a.search(after)) and (b or a):
            return why
    return None


def find_numbers(text: str, c: Compiled) -> list[NumberMatch]:
    """Every figure-like number in a text (one sentence or line), in order; exclusions applied."""
    scan = mask_text(text, c)
    found: list[NumberMatch] = []
    taken: list[tuple[int, int]] = []

    def free(s: int, e: int) -> bool:
        return all(e <= a or s >= b for a, b in taken)

    for name, rx, unit, kind in c.patterns:
        for m in rx.finditer(scan):
            u = m.group("unit") if unit is None else unit.format(**m.groupdict())
            s, e = m.span()
            if not free(s, e) or _excluded(scan, m.start("num"), e, u, c):
                continue
            taken.append((s, e))
            found.append(NumberMatch(m.start("num"), e, m.group("num"), parse_value(m.group("num")), u, kind, name))
    for m in c.counter_re.finditer(scan):
        s, e = m.span()
        unit = m.group("unit")
        if not free(s, e) or _excluded(scan, s, e, unit, c):
            continue
        base = unit.lstrip("万億") or unit
        kind = c.unit_kind.get(unit) or c.unit_kind.get(base, "count")
        taken.append((s, e))
        found.append(NumberMatch(s, e, m.group("num"), parse_value(m.group("num")), unit, kind, "counter"))
    return sorted(found, key=lambda n: n.start)


# ---------------------------------------------------------------- periods


@dataclass(frozen=True)
class Mention:
    """A date or period written in a text: its key ('FY2016', '2017-04', '2017-04-03', '2011',
    'FY2015/FY2016' for a range, None for 現在/直近) and its role in the sentence."""

    start: int
    end: int
    text: str
    key: str | None
    role: str  # plain / asof / start / until / event / survey / publication / present
    year: int | None = None  # the year it names, for 同年


_ERA = r"(令和|平成|昭和)"
_EN = r"(元|\d{1,2})"
_SEP_RANGE = r"\s*(?:から|より|~|〜|-)\s*"

_PERIOD_PATTERNS: list[tuple[str, re.Pattern]] = [
    ("era_day", re.compile(rf"{_ERA}\s*{_EN}\s*年\s*(\d{{1,2}})\s*月\s*(\d{{1,2}})\s*日")),
    ("era_month_range", re.compile(
        rf"{_ERA}\s*{_EN}\s*年\s*(\d{{1,2}})\s*月{_SEP_RANGE}(?:(?:{_ERA}|同)\s*{_EN}\s*年\s*)?(\d{{1,2}})\s*月\s*(?:末)?\s*(?:まで)?")),
    ("era_fy_range", re.compile(
        rf"{_ERA}\s*{_EN}\s*(?:年度?)?(?:{_SEP_RANGE}|\s*(?:及び|・|、)\s*)(?:{_ERA}|同)?\s*{_EN}\s*年度(?:\s*まで)?")),
    ("era_fy", re.compile(rf"{_ERA}\s*{_EN}\s*年度\s*(末|当初|中)?")),
    ("era_month", re.compile(rf"{_ERA}\s*{_EN}\s*年\s*(\d{{1,2}})\s*月\s*(末)?")),
    ("era_year", re.compile(rf"{_ERA}\s*{_EN}\s*年(?!\s*度)")),
    ("west_day", re.compile(r"(?<!\d)((?:19|20)\d\d)\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")),
    ("west_month", re.compile(r"(?<!\d)((?:19|20)\d\d)\s*年\s*(\d{1,2})\s*月\s*(末)?")),
    ("west_fy_range", re.compile(r"(?<!\d)((?:19|20)\d\d)\s*(?:年度)?\s*[~〜-]\s*((?:19|20)\d\d)\s*年度")),
    ("west_fy", re.compile(r"(?<!\d)((?:19|20)\d\d)\s*年度\s*(末|当初|中)?")),
    ("west_year", re.compile(r"(?<![\d.])((?:19|20)\d\d)\s*年(?!\s*度)")),
    ("letter_range", re.compile(r"(?<![A-Za-z\d])([HRS])\s*(\d{1,2})\s*[~〜-]\s*(\d{1,2})(?![\d.])")),
    ("letter_month", re.compile(r"(?<![A-Za-z\d])([HRS])\s*(\d{1,2})\.(\d{1,2})(?![\d.])")),
    ("letter_year", re.compile(r"(?<![A-Za-z\d])([HRS])\s*(\d{1,2})(?![\d.A-Za-z])")),
    ("same_year_month", re.compile(r"同\s*年\s*(\d{1,2})\s*月\s*(末)?")),
    ("same_era_month", re.compile(r"同\s*(\d{1,2})\s*年\s*(\d{1,2})\s*月")),
    ("this_year_month", re.compile(r"本\s*年\s*(\d{1,2})\s*月")),
    ("next_fy", re.compile(r"来年度")),
    ("this_fy", re.compile(r"(?:本|今)年度")),
    ("present", re.compile(r"(?<![日月\d])(?:現在|直近)")),
    ("whitepaper", re.compile(r"白書\s*((?:19|20)\d\d)")),
]
_LETTERS = {"H": "平成", "R": "令和", "S": "昭和"}
_YEARS_AFTER = re.compile(r"^\s*(?:より|から)\s*(\d+)\s*年間")


def _fy(y: int) -> str:
    return f"FY{y}"


def _ym(y: int, m: int) -> str:
    return f"{y}-{m:02d}"


def _fy_suffix(y: int, suffix: str | None) -> str:
    """FY key, or the month meant by 年度末 (March of the next year) / 年度当初 (April)."""
    if suffix == "末":
        return _ym(y + 1, 3)
    if suffix == "当初":
        return _ym(y, 4)
    return _fy(y)


def _range(a: str, b: str) -> str:
    return a if a == b else f"{a}/{b}"


def _mention_key(kind: str, g: tuple, last_year: int | None, published: dt.date | None) -> tuple[str | None, int | None]:
    """The key and year of one period pattern match (see _PERIOD_PATTERNS)."""
    def era(name, n):
        return era_to_year(name, n)

    if kind == "era_day":
        y = era(g[0], g[1])
        return f"{y}-{int(g[2]):02d}-{int(g[3]):02d}", y
    if kind == "era_month_range":
        y1 = era(g[0], g[1])
        y2 = era(g[3] or g[0], g[4]) if g[4] else y1
        return _range(_ym(y1, int(g[2])), _ym(y2, int(g[5]))), y2
    if kind == "era_fy_range":
        y1 = era(g[0], g[1])
        y2 = era(g[2] or g[0], g[3])
        return _range(_fy(y1), _fy(y2)), y2
    if kind == "era_fy":
        y = era(g[0], g[1])
        return _fy_suffix(y, g[2]), y
    if kind == "era_month":
        y = era(g[0], g[1])
        return _ym(y, int(g[2])), y
    if kind == "era_year":
        y = era(g[0], g[1])
        return str(y), y
    if kind == "west_day":
        return f"{g[0]}-{int(g[1]):02d}-{int(g[2]):02d}", int(g[0])
    if kind == "west_month":
        return _ym(int(g[0]), int(g[1])), int(g[0])
    if kind == "west_fy_range":
        return _range(_fy(int(g[0])), _fy(int(g[1]))), int(g[1])
    if kind == "west_fy":
        return _fy_suffix(int(g[0]), g[1]), int(g[0])
    if kind == "west_year":
        return g[0], int(g[0])
    if kind == "letter_range":
        y1, y2 = era(_LETTERS[g[0]], g[1]), era(_LETTERS[g[0]], g[2])
        return _range(str(y1), str(y2)), y2
    if kind == "letter_month":
        y = era(_LETTERS[g[0]], g[1])
        return _ym(y, int(g[2])), y
    if kind == "letter_year":
        y = era(_LETTERS[g[0]], g[1])
        return str(y), y
    if kind == "same_year_month":
        return (_ym(last_year, int(g[0])), last_year) if last_year else (None, None)
    if kind == "same_era_month":
        if not last_year:
            return None, None
        # 同28年: the era of the last year named (平成27年5月から同28年2月まで)
        base = last_year - (last_year - 1988 if last_year < 2019 else last_year - 2018) + 1
        y = base + int(g[0]) - 1
        return _ym(y, int(g[1])), y
    if kind == "this_year_month":
        return (_ym(published.year, int(g[0])), published.year) if published else (None, None)
    if kind in ("next_fy", "this_fy"):
        if not published:
            return None, None
        fy = published.year if published.month >= 4 else published.year - 1
        fy += kind == "next_fy"
        return _fy(fy), fy
    if kind == "present":
        return None, None
    if kind == "whitepaper":
        return g[0], int(g[0])
    raise AssertionError(kind)


def _inside_survey_title(text: str, start: int) -> bool:
    """True when position `start` lies inside 「…」 whose content names a survey (調査)."""
    open_ = text.rfind("「", 0, start)
    if open_ < 0 or text.rfind("」", 0, start) > open_:
        return False
    close = text.find("」", start)
    return "調査" in text[open_:close if close > 0 else len(text)]


def find_periods(text: str, c: Compiled, last_year: int | None = None,
                 published: dt.date | None = None) -> list[Mention]:
    """Every date or period written in a text, with its role (see Mention), in order."""
    scan = mask_text(text, c)
    out: list[Mention] = []
    taken: list[tuple[int, int]] = []
    for kind, rx in _PERIOD_PATTERNS:
        for m in rx.finditer(scan):
            s, e = m.span()
            if any(s < b and e > a for a, b in taken):
                continue
            key, year = _mention_key(kind, m.groups(), last_year, published)
            if kind == "present":
                role = "present"
            elif kind == "whitepaper":
                role = "publication"
                s = m.start(1)
            else:
                role = "plain"
            after = scan[e:e + 30]
            if (y := _YEARS_AFTER.match(after)) and key and key.startswith("FY") and "/" not in key:
                fy = int(key[2:])
                key = _range(key, _fy(fy + int(y.group(1)) - 1))
                e += y.end()
                after = scan[e:e + 30]
            if role == "plain":
                if re.match(r"^\s*(?:現在|時点)", after):
                    role = "asof"
                elif c.event_re.match(after):
                    role = "event"
                elif _inside_survey_title(scan, s):
                    role = "survey"
                elif re.search(r"」\s*\(\s*$", scan[max(0, s - 4):s]):
                    role = "publication"  # 「…調査結果」(H28.10): when the title was published
                elif re.match(r"^\s*(?:から|より|以降)", after) and "/" not in (key or "/"):
                    role = "start"
                elif re.match(r"^\s*(?:末)?\s*まで", after):
                    role = "until"
            taken.append((s, e))
            out.append(Mention(s, e, text[s:e].strip(), key, role, year))
            if year:
                last_year = year
    return sorted(out, key=lambda x: x.start)


def span_of(key: str) -> tuple[dt.date, dt.date]:
    """First and last day of a period key ('FY2016', '2017-04', '2017-04-03', '2011', 'A/B')."""
    if "/" in key:
        a, b = key.split("/", 1)
        return span_of(a)[0], span_of(b)[1]
    if key.startswith("FY"):
        y = int(key[2:])
        return dt.date(y, 4, 1), dt.date(y + 1, 3, 31)
    parts = [int(p) for p in key.split("-")]
    if len(parts) == 3:
        d = dt.date(*parts)
        return d, d
    if len(parts) == 2:
        y, m = parts
        nxt = dt.date(y + (m == 12), m % 12 + 1, 1)
        return dt.date(y, m, 1), nxt - dt.timedelta(days=1)
    return dt.date(parts[0], 1, 1), dt.date(parts[0], 12, 31)


def _start_key(key: str) -> str:
    return key.split("/", 1)[0]


def _end_key(key: str) -> str:
    return key.split("/", 1)[-1]


def as_fiscal(key: str) -> str:
    """A calendar-year key read as a fiscal year (budgets are voted per 年度): '2009' → 'FY2009'."""
    return "/".join(f"FY{p}" if re.fullmatch(r"\d{4}", p) else p for p in key.split("/"))


# ---------------------------------------------------------------- the text of a document


@dataclass
class Context:
    """What applies to a paragraph from around it: headings, the 図表 block, the slide's source note."""

    heading: str = ""
    heading_period: Mention | None = None
    block_period: Mention | None = None
    source_note: Mention | None = None
    section: int = 0
    row_label: str = ""
    kpi_cell: bool = False  # a KPI cell of 001: its name, then its target or base value in (…)


@dataclass
class Paragraph:
    """Text read as one unit (joined across PDF line breaks), with the line of every character."""

    text: str
    starts: list[tuple[int, int]]  # (offset in text, line number), ascending
    context: Context = field(default_factory=Context)

    def line_at(self, offset: int) -> int:
        line = self.starts[0][1]
        for off, ln in self.starts:
            if off > offset:
                break
            line = ln
        return line


_FOOTNOTE = re.compile(r"^(?:\*\d+\s|\^\{\*\d+\}|・.*(?:https?://|<http))")
_BULLET = re.compile(r"^(?:-|・|■|□|○|●|※|→|[①-⑳]|\d+\.\s|\(\d+\)|<b>)")
_HEADING_NUMBERED = [
    (0, re.compile(r"^第\d+節")),
    (1, re.compile(r"^\d+\.?\s+\S")),
    (2, re.compile(r"^\(\d+\)\s*\S")),
    (3, re.compile(r"^[ア-ン]\s+\S")),
    (3, re.compile(r"^[①-⑳]\s*\S")),
]
_CAPTION = re.compile(r"^図表")
_SOURCE_NOTE = re.compile(r"^【出[典展所]】")
_SENTENCE_END = re.compile(r"[。.]\)?$|[。]」$")


def clean_line(raw: str) -> str:
    """One source line as text: HTML tags dropped, entities decoded, each tab cell normalised."""
    raw = re.sub(r"<(https?://[^>\s]+)>", r"\1", raw)  # autolinks stay as text
    raw = re.sub(r"<[^>]+>", "", raw)
    raw = html.unescape(raw)
    return "\t".join(normalize(cell) for cell in raw.split("\t")).strip("\t ")


def heading_level(line: str) -> int | None:
    """Level of a heading line (1 = top), None for other lines."""
    if m := re.match(r"^(#+)\s", line):
        return len(m.group(1))
    if len(line) > 60 or "。" in line or "\t" in line:
        return None
    if line.startswith("- ") or line.startswith("・"):
        return None
    for level, rx in _HEADING_NUMBERED:
        if rx.match(line):
            return level
    return None


def _is_period_only(cell: str, c: Compiled) -> Mention | None:
    cell = cell.strip().strip("()").strip()
    ms = find_periods(cell, c)
    if len(ms) == 1 and ms[0].start == 0 and ms[0].end >= len(cell.rstrip()) - 1 and ms[0].key:
        return ms[0]
    return None


def _line_kinds(lines: list[str], c: Compiled) -> list[str]:
    kinds = []
    for text in lines:
        if not text.strip():
            kinds.append("blank")
        elif _FOOTNOTE.match(text):
            kinds.append("footnote")
        elif _CAPTION.match(text):
            kinds.append("caption")
        elif heading_level(text) is not None:
            kinds.append("heading")
        elif _SOURCE_NOTE.match(text):
            kinds.append("source")
        elif "\t" in text:
            kinds.append("row")
        else:
            kinds.append("body")
    return kinds


def text_paragraphs(lines: list[tuple[int, str]], c: Compiled, published: dt.date | None = None) -> list[Paragraph]:
    """Paragraphs of running text (003, 004, the narrative of 000): lines broken inside a sentence are
    joined across blank and footnote lines; headings, table rows, bullets and footnotes stand alone."""
    texts = [clean_line(t) for _, t in lines]
    kinds = _line_kinds(texts, c)
    numbers = [n for n, _ in lines]

    # sections (between top-level headings) and their source notes
    section_of, section = [], 0
    for i, t in enumerate(texts):
        if kinds[i] == "heading" and heading_level(t) <= 1:
            section += 1
        section_of.append(section)
    notes: dict[int, Mention] = {}
    for i, t in enumerate(texts):
        if kinds[i] == "source" and section_of[i] not in notes:
            ms = [m for m in find_periods(t, c) if m.key]
            if ms:
                notes[section_of[i]] = ms[-1]

    # 図表 blocks: a caption up to the next heading or paragraph of running text
    block_of: list[int | None] = []
    block, block_periods = None, {}
    for i, t in enumerate(texts):
        if kinds[i] == "caption":
            block = i
        elif kinds[i] == "heading" or (kinds[i] == "body" and len(t) >= 60 and not _BULLET.match(t)):
            block = None
        block_of.append(block)
        if block is not None and kinds[i] == "row":
            for cell in t.split("\t")[1:]:
                if (m := _is_period_only(cell, c)) and block not in block_periods:
                    block_periods[block] = m

    paragraphs: list[Paragraph] = []
    headings: list[tuple[int, str, Mention | None]] = []  # (level, text, period) of headings so far
    row_label = ""
    i = 0
    while i < len(texts):
        t, kind = texts[i], kinds[i]
        if kind == "blank":
            i += 1
            continue
        if kind in ("heading", "caption"):
            level = heading_level(t) if kind == "heading" else 4
            periods = [m for m in find_periods(t, c, published=published) if m.key]
            headings = [h for h in headings if h[0] < level] + [(level, t, periods[-1] if periods else None)]
        starts, text = [(0, numbers[i])], t
        j = i + 1
        if kind == "body" and len(t) >= 40 and not _SENTENCE_END.search(t):
            k = j
            while k < len(texts) and kinds[k] in ("blank", "footnote"):
                k += 1
            if k < len(texts) and kinds[k] == "body" and not _BULLET.match(texts[k]):
                starts.append((len(text), numbers[k]))
                text += texts[k]
                # the footnote lines skipped over are read on their own
                for f in range(j, k):
                    if kinds[f] == "footnote":
                        paragraphs.append(Paragraph(texts[f], [(0, numbers[f])], _context(
                            f, texts, headings, block_of, block_periods, section_of, notes, "")))
                j = k + 1
        if kind == "row":
            cells = t.split("\t")
            label = re.sub(r"^[-・]\s*", "", cells[0]).strip()
            row_label = label or row_label
        elif kind != "source":
            row_label = ""
        paragraphs.append(Paragraph(text, starts, _context(
            i, texts, headings, block_of, block_periods, section_of, notes, row_label if kind == "row" else "")))
        i = j
    return paragraphs


def _context(i, texts, headings, block_of, block_periods, section_of, notes, row_label) -> Context:
    heading_period = None
    for level, _text, period in reversed(headings):
        if period is not None:
            heading_period = period
            break
        if level <= 1:
            break
    blk = block_of[i]
    return Context(
        heading=headings[-1][1] if headings else "",
        heading_period=heading_period,
        block_period=block_periods.get(blk) if blk is not None else None,
        source_note=notes.get(section_of[i]),
        section=section_of[i],
        row_label=row_label,
    )


def measure_row_paragraphs(lines: list[tuple[int, str]], skip_columns: list[int],
                           kpi_columns: list[int] = ()) -> list[Paragraph]:
    """Paragraphs of the 施策一覧 (001): every list item of every text cell of every 施策 row."""
    out = []
    for number, raw in lines:
        cells = raw.split("\t")
        if len(cells) < 2 or not cells[0].strip().isdigit():
            continue
        for col, cell in enumerate(cells):
            if col in skip_columns or not cell.strip():
                continue
            ctx = Context(heading=f"施策 No {int(cells[0])}", kpi_cell=col in kpi_columns)
            parsed = html_to_text(cell)
            for item in (parsed.items or (parsed.text,)):
                if item.strip():
                    out.append(Paragraph(re.sub(r"^[-・]\s*", "", item), [(0, number)], ctx))
    return out


def sentences(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence of a paragraph: split after 。, keeping brackets together."""
    out, start, depth = [], 0, 0
    for i, ch in enumerate(text):
        if ch in "(「『":
            depth += 1
        elif ch in ")」』":
            depth = max(0, depth - 1)
        elif ch == "。" and depth == 0:
            out.append((start, i + 1))
            start = i + 1
    if start < len(text) and text[start:].strip():
        out.append((start, len(text)))
    return out


# ---------------------------------------------------------------- choosing the as-of date


@dataclass(frozen=True)
class AsOf:
    text: str | None
    key: str | None
    basis: str | None  # sentence / heading / source_note / publication
    note: str | None = None


def _paren_span(text: str, pos: int) -> tuple[int, int] | None:
    depth, open_ = 0, None
    for i in range(pos - 1, -1, -1):
        if text[i] == ")":
            depth += 1
        elif text[i] == "(":
            if depth == 0:
                open_ = i
                break
            depth -= 1
    if open_ is None:
        return None
    close = text.find(")", pos)
    return (open_, close if close >= 0 else len(text))


def choose_as_of(sentence: str, fig: NumberMatch, mentions: list[Mention]) -> AsOf | None:
    """The as-of date of a figure from the mentions of its own sentence, or None when it has none."""
    notes = []
    pubs = [m for m in mentions if m.role == "publication"]
    if pubs:
        notes.append("公表: " + "、".join(m.text for m in pubs))
    usable = [m for m in mentions if m.role not in ("event", "publication")]
    paren = _paren_span(sentence, fig.start)
    if paren:  # a figure inside (…) takes dates from inside it or before it, not from after it
        usable = [m for m in usable if m.start < paren[1]]
    if not usable:
        return AsOf(None, None, None, "; ".join(notes) or None) if notes else None
    marked = [m for m in usable if m.role == "asof"]  # a date marked 現在 / 時点
    survey = [m for m in usable if m.role == "survey"]
    before = [m for m in usable if m.end <= fig.start]
    after = [m for m in usable if m.start >= fig.end]
    if marked:
        chosen = min(marked, key=lambda m: abs(m.start - fig.start))
    elif survey:
        chosen = survey[0]
        notes.insert(0, f"調査年 {chosen.text}")
    elif before:
        chosen = before[-1]
        if re.search(r"(?:合計|計)\s*$", sentence[max(0, fig.start - 3):fig.start]):
            keys = [m.key for m in before if m.key]
            if len(set(keys)) > 1:
                first = min(keys, key=lambda k: span_of(k)[0])
                last = max(keys, key=lambda k: span_of(k)[1])
                text = f"{before[0].text}〜{before[-1].text}"
                return AsOf(text, _range(_start_key(first), _end_key(last)), "sentence",
                            "; ".join(["合計の期間"] + notes))
    elif after:
        chosen = after[0]
    else:
        chosen = usable[-1]
    return AsOf(chosen.text, chosen.key, "sentence", "; ".join(notes) or None)


def _fallback_as_of(ctx: Context) -> AsOf | None:
    """The as-of of a figure whose sentence names no date: 図表 table heading, heading, source note."""
    if ctx.block_period is not None:
        return AsOf(ctx.block_period.text, ctx.block_period.key, "heading", "図表の見出しの時点")
    if ctx.heading_period is not None:
        return AsOf(ctx.heading_period.text, ctx.heading_period.key, "heading", "見出しの時点")
    if ctx.source_note is not None:
        return AsOf(ctx.source_note.text, ctx.source_note.key, "source_note",
                    "出典の年(調査年か公表年かは不明)")
    return None


# ---------------------------------------------------------------- what the figure counts


# Words around a figure that say nothing about what it counts.
_FILLER = re.compile(
    r"^(?:において(?:は|も)?|については|について|には|では|は|から(?:は)?|より|まで(?:に)?|に|で|の|、|\s"
    r"|具体的に(?:は)?|また|さらに|なお)+"
    r"|(?:において(?:は)?|について|としては|全国(?:計)?|合計|計|約|延べ|うち|各|計で|に対して|に対し|として|で|を|に|は|、|\s)+$")
_AFTER_MENTION = re.compile(r"^(?:現在|時点)?(?:において(?:は|も)?|には|では|は|に|で|から(?:は)?|より|まで(?:に)?|の)?")
_SUBJECT = re.compile(r"([^、。「」]*?(?:「[^」]*」[^、。「」]*?)*)(?:は|が)(?=、|\s|$)")


def _strip_filler(text: str) -> str:
    prev = None
    while prev != text:
        prev, text = text, _FILLER.sub("", text).strip(" -・\t#")
    return text


def thing_of(sentence: str, fig: NumberMatch, ctx: Context, mentions: list[Mention]) -> str:
    """A short description of what a figure counts, from its sentence (heuristic, for reading)."""
    before = sentence[:fig.start]
    for m in reversed(mentions):  # dates are not what is counted: a date and its particle end a clause
        if m.end <= fig.start:
            rest = before[m.end:]
            before = before[:m.start] + "、" + rest[_AFTER_MENTION.match(rest).end():]
    before = re.sub(r"\^\{\*\d+\}|^\s*\*\d+\s*|#+\s*", "", before)
    if fig.kind == "rank":
        before = before.rstrip("第 ")
    if m := re.search(r"「([^「」]+)\(\s*$", before):  # 「導入コストが高い(55.3%)」
        return m.group(1)
    if ctx.row_label:  # a table row: its label, and a word such as 当初 / 補正 before the value
        cell = re.split(r"\t", before)[-1].strip()
        cell = re.sub(r"^[HRS]\d+\S*\s*", "", cell).strip("、 ")
        extra = f"({cell})" if cell and len(cell) <= 8 else ""
        return ctx.row_label + extra
    if fig.kind == "rank" and not _strip_filler(before):
        after = re.match(r"\s*[:：]\s*([^\s、。]+)", sentence[fig.end:])
        if after:
            return f"{_clean_heading(ctx.heading)}の順位({after.group(1)})"
    open_ = before.rfind("(")
    if open_ > before.rfind(")") and not _SUBJECT.search(before[open_ + 1:]):
        before = before[:open_]  # 光ファイバ未整備世帯数(…時点で約98万世帯): the word before (…)
    thing, at = "", -1
    clauses = re.split(r"、(?![^「]*」)", before)
    offset = 0
    for clause in clauses:  # the last subject (…は / …が) that is not a date
        for m in _SUBJECT.finditer(clause):
            if len(x := _strip_filler(m.group(1))) >= 2:
                thing, at = x, offset + m.end()
        offset += len(clause) + 1
    names = list(re.finditer(r"「([^「」]+)」", before))
    if names and (not thing or names[-1].end() > at or len(thing) > 60):
        thing = names[-1].group(1)
    if not thing:
        thing = _strip_filler(clauses[-1])
    if len(thing) < 2:  # nothing before the figure: the noun after it (計268回の派遣 → 派遣)
        after = re.match(r"\s*(?:以上|程度)?の?([^、。をがにはでと()]{2,20})", sentence[fig.end:])
        thing = after.group(1) if after else _clean_heading(ctx.heading)
    unit = fig.unit.lstrip("万億")
    if fig.kind == "count" and unit and not thing.endswith(unit):
        thing = f"{thing}({unit})"
    return thing[:80]


def _clean_heading(h: str) -> str:
    return re.sub(r"^#+\s*|^\S+\s+(?=\S)", "", h).strip() if h else ""


# ---------------------------------------------------------------- extraction


def _quote(sentence: str, start: int, end: int) -> str:
    s = sentence.strip()
    if len(s) <= QUOTE_MAX:
        return s
    lead = sentence.find(s)
    start, end = start - lead, end - lead
    half = (QUOTE_MAX - (end - start)) // 2
    a = max(0, min(start - half, len(s) - QUOTE_MAX))
    b = min(len(s), a + QUOTE_MAX)
    return ("…" if a else "") + s[a:b] + ("…" if b < len(s) else "")


def _manifest_published(path: Path) -> dt.date | None:
    manifest = path.parent / "manifest.yaml"
    if not manifest.exists():
        return None
    data = yaml.safe_load(manifest.read_text(encoding="utf-8")) or {}
    for doc in (data.get("sources") or {}).values():
        if doc.get("file") == path.name and isinstance(doc.get("published"), dt.date):
            return doc["published"]
    return None


def document_paragraphs(path: Path, document: str, rules: dict, c: Compiled,
                        published: dt.date | None) -> list[Paragraph]:
    """The paragraphs of a document that its `documents` entry in the rules says to read."""
    spec = (rules.get("documents") or {}).get(document, {"scope": "all"})
    raw = path.read_text(encoding="utf-8").split("\n")
    lines = list(enumerate(raw, start=1))
    if spec.get("scope") == "measure_rows":
        return measure_row_paragraphs(lines, spec.get("skip_columns", [0]), spec.get("kpi_columns", []))
    if spec.get("scope") == "narrative":
        end = re.compile(spec["end_marker"])
        cut = next((i for i, (_, t) in enumerate(lines) if end.match(normalize(t))), len(lines))
        lines = lines[:cut]
    return text_paragraphs(lines, c, published)


def extract_figures(path: Path, document: str, rules: dict | None = None,
                    keep_excluded: bool = False) -> pd.DataFrame:
    """One row per figure in a source document (see COLUMNS); targets in 000/001 only with keep_excluded."""
    if rules is None:
        rules = load_rules()
        c = _compiled_at(str(settings.REFERENCE_DIR / "figure_rules.yaml"))
    else:
        c = compile_rules(rules)
    spec = (rules.get("documents") or {}).get(document, {"statements": "all"})
    published = _manifest_published(Path(path))
    rows = []
    per_line: dict[int, int] = {}
    last_year: int | None = None
    for para in document_paragraphs(Path(path), document, rules, c, published):
        previous: Mention | None = None
        for s, e in sentences(para.text):
            sentence = para.text[s:e]
            mentions = find_periods(sentence, c, last_year, published)
            for m in mentions:
                if m.year and m.role != "publication":
                    last_year = m.year
            for fig in find_numbers(sentence, c):
                line = para.line_at(s + fig.start)
                per_line[line] = per_line.get(line, 0) + 1
                rows.append(_figure_row(document, line, per_line[line], sentence, fig, mentions, para.context,
                                        previous, published, spec, c))
            dated = [m for m in mentions if m.key and m.role not in ("event", "publication")]
            if dated:
                previous = dated[-1]
            elif any(m.role == "present" for m in mentions):
                previous = None
    df = pd.DataFrame(rows, columns=COLUMNS)
    if not keep_excluded:
        df = df[df["excluded"].isna()].reset_index(drop=True)
    return df


def resolve_as_of(sentence: str, fig: NumberMatch, mentions: list[Mention], ctx: Context,
                  previous: Mention | None) -> AsOf:
    """The as-of of a figure: its sentence, else the previous sentence of its paragraph, else the
    table heading / heading / source note around it (see the module docstring)."""
    as_of = choose_as_of(sentence, fig, mentions)
    note = None
    if as_of is not None and as_of.key is None and as_of.basis is None:
        note, as_of = as_of.note, None  # only a publication year was written
    if as_of is None and not mentions and previous is not None:
        as_of = AsOf(previous.text, previous.key, "sentence", "前の文の時点")
    if as_of is None:
        as_of = _fallback_as_of(ctx) or AsOf(None, None, None, None)
    elif as_of.basis == "sentence" and as_of.key and as_of.key.startswith("FY") and "/" not in as_of.key:
        # 「2012年度より」 under a heading 「(2012年度～2014年度)」: the heading's period
        chosen = next((m for m in mentions if m.text == as_of.text), None)
        hp = ctx.heading_period or ctx.block_period
        if chosen is not None and chosen.role == "start" and hp is not None and hp.key \
                and "/" in hp.key and _start_key(hp.key) == as_of.key:
            as_of = AsOf(f"{as_of.text} / {hp.text}", hp.key, "heading", "見出しの期間")
    if note:
        as_of = AsOf(as_of.text, as_of.key, as_of.basis, "; ".join(n for n in (note, as_of.note) if n))
    return as_of


def _exclusion(sentence: str, fig: NumberMatch, kind: str, statement: str, ctx: Context,
               spec: dict) -> tuple[str | None, str]:
    """(why the figure is left out or None, its statement): names and, where only measured states
    count (000, 001), targets and design values are left out."""
    if ctx.kpi_cell:
        # 「対象とした67手続のうち…」: a number in an indicator's name names it; in (…) a value without
        # a past date is the indicator's target (令和元年度に34回), with one a base value (…時点で約98万世帯)
        if _paren_span(sentence, fig.start) is None:
            return "指標名の一部", statement
    if spec.get("statements") == "state":
        if statement == "target":
            return "目標(測定値ではない)", statement
        if kind == "parameter":
            return "制度の設計値(測定値ではない)", statement
    return None, statement


def _figure_row(document, line, n, sentence, fig, mentions, ctx, previous, published, spec, c) -> dict:
    """One row of extract_figures."""
    as_of = resolve_as_of(sentence, fig, mentions, ctx, previous)
    notes = [as_of.note]
    kind = "parameter" if c.parameter_cues.search(sentence) else fig.kind
    key = as_of.key
    if key and fig.unit.endswith("円") and re.fullmatch(r"\d{4}(?:/\d{4})?", key):
        key = as_fiscal(key)
        notes.append("予算の年度")
    approx = bool(c.approx_before.search(sentence[max(0, fig.start - 4):fig.start])
                  or c.approx_after.search(sentence[fig.end:fig.end + 4]))
    statement = _statement(sentence, fig, key, published, c)
    if ctx.kpi_cell and not key:
        statement = "target"
    excluded, statement = _exclusion(sentence, fig, kind, statement, ctx, spec)
    medium = (approx or fig.rule in ("bare_total", "fraction", "counted_after_no") or re.search(r"[一-九十]", fig.raw)
              or as_of.basis == "source_note" or "前の文" in (as_of.note or ""))
    return {
        "figure_id": f"{document}-L{line:03d}-{n}",
        "document": document,
        "line": line,
        "value": float(fig.value),
        "unit": fig.unit,
        "kind": kind,
        "thing": thing_of(sentence, fig, ctx, mentions),
        "as_of_text": as_of.text,
        "as_of": key,
        "as_of_basis": as_of.basis,
        "quote": _quote(sentence, fig.start, fig.end),
        "approx": approx,
        "statement": statement,
        "excluded": excluded,
        "certainty": "low" if not key else "medium" if medium else "high",
        "note": "; ".join(dict.fromkeys(n for n in notes if n)) or None,
        "context": ctx.heading or None,
        "published": published,
    }


def _statement(sentence: str, fig: NumberMatch, key: str | None, published: dt.date | None, c: Compiled) -> str:
    """'target' when the figure's clause states an aim (目指す, 目標…) or its date is after publication."""
    clause = re.split(r"[、。]", sentence[fig.end:], maxsplit=1)[0]
    if c.target_cues.search(clause):
        return "target"
    if key and published and span_of(key)[1] > published:
        return "target"
    return "state"


# ---------------------------------------------------------------- mapping figures to KPIs


def period_key(as_of: str) -> str:
    """A figure's as-of as a reporting period key understood by etl.periods.parse_period: a range
    counts at its end, a day at its month, a bare year as that fiscal year."""
    end = _end_key(as_of)
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", end):
        end = end[:7]
    period, err = parse_period(end)
    if err:
        raise ValueError(err)
    return period.key


def mapped_observations(figures: pd.DataFrame, mapping: dict,
                        known_kpis: set[str] | None = None) -> tuple[pd.DataFrame, list[str]]:
    """Observations of KPIs from the reviewed figure map: exact and proxy figures as they are,
    components summed per (KPI, period). Returns (observations, problems); an entry with a problem
    is left out and named in the problem."""
    by_id = figures.set_index("figure_id") if len(figures) else pd.DataFrame()
    problems: list[str] = []
    good: list[dict] = []
    seen: set[tuple[str, str]] = set()
    for i, entry in enumerate(mapping.get("mappings") or [], start=1):
        checked, problem = check_entry(i, entry, by_id, known_kpis, seen)
        if problem:
            problems.append(problem)
        else:
            good.append(checked)
    rows, group_problems = _sum_components(good)
    problems += group_problems
    counts = Counter((r["kpi_id"], r["period"]) for r in rows)
    clashes = {k for k, n in counts.items() if n > 1}
    for kpi, period in sorted(clashes):
        problems.append(f"figure_map.yaml: {kpi} の {period} に数値が複数対応付けられています"
                        "(同じ KPI・時点には1つの exact / proxy か、1組の component だけ)")
    obs = pd.DataFrame([r for r in rows if (r["kpi_id"], r["period"]) not in clashes], columns=_OBS_COLUMNS)
    if len(obs):
        obs["month"] = obs["month"].astype("Int64")
    return obs, problems


def check_entry(i: int, entry: dict, by_id: pd.DataFrame, known_kpis: set[str] | None,
                seen: set[tuple[str, str]]) -> tuple[dict | None, str | None]:
    """(entry with its figure and period key, None) or (None, problem naming the entry)."""
    where = f"figure_map.yaml の {i} 番目 ({entry.get('figure')} → {entry.get('kpi_id')})"
    if missing := [k for k in ("figure", "kpi_id", "relation", "reason", "value") if entry.get(k) in (None, "")]:
        return None, f"{where}: {', '.join(missing)} がありません"
    if entry["relation"] not in RELATIONS:
        return None, f"{where}: relation「{entry['relation']}」は exact / component / proxy のどれかにしてください"
    if known_kpis is not None and entry["kpi_id"] not in known_kpis:
        return None, f"{where}: KPI {entry['kpi_id']} はありません"
    if (entry["figure"], entry["kpi_id"]) in seen:
        return None, f"{where}: 同じ数値が同じ KPI に2回対応付けられています"
    seen.add((entry["figure"], entry["kpi_id"]))
    if entry["figure"] not in by_id.index:
        return None, f"{where}: 数値 {entry['figure']} が資料にありません(行が動いたか、資料が変わった可能性)"
    fig = by_id.loc[entry["figure"]]
    try:
        expected = float(entry["value"])
    except (TypeError, ValueError):
        return None, f"{where}: value「{entry['value']}」が数値ではありません"
    if abs(expected - float(fig["value"])) > 1e-9 * max(1.0, abs(expected)):
        return None, f"{where}: 値が一致しません(YAML {expected:g}、資料 {float(fig['value']):g}「{fig['quote'][:40]}」)"
    raw_period = entry.get("period") or (None if pd.isna(fig["as_of"]) else fig["as_of"])
    if not raw_period:
        return None, f"{where}: 数値 {entry['figure']} に時点がありません(period を理由とともに書いてください)"
    try:
        key = period_key(str(raw_period))
    except ValueError as e:
        return None, f"{where}: {e}"
    scale = float(entry.get("scale", 1))
    if scale != 1 and not entry.get("unit"):
        return None, f"{where}: scale を使うときは換算後の unit を書いてください"
    return {**entry, "period": key, "fig": fig, "scale": scale}, None


def _sum_components(entries: list[dict]) -> tuple[list[dict], list[str]]:
    """Observation rows: exact / proxy entries one each, component entries summed per (KPI, group)."""
    rows, problems = [], []
    groups: dict[tuple[str, str], list[dict]] = {}
    for e in entries:
        if e["relation"] == "component":
            groups.setdefault((e["kpi_id"], str(e.get("group", ""))), []).append(e)
        else:
            rows.append(_observation(e["kpi_id"], e["period"], e["relation"], [e]))
    for (kpi, _group), members in groups.items():
        names = "、".join(m["figure"] for m in members)
        periods = sorted({m["period"] for m in members})
        units = sorted({m.get("unit") or m["fig"]["unit"] for m in members})
        if len(members) < 2:
            problems.append(f"figure_map.yaml: {kpi} の構成要素が {names} の1つだけです(exact か proxy にしてください)")
        elif len(periods) > 1:
            problems.append(f"figure_map.yaml: {kpi} の構成要素 {names} の時点が揃っていません({', '.join(periods)})。"
                            "年度ごとに group を分けてください")
        elif len(units) > 1:
            problems.append(f"figure_map.yaml: {kpi} の構成要素 {names} の単位が揃っていません({', '.join(units)})")
        else:
            rows.append(_observation(kpi, periods[0], "component", members))
    return rows, problems


_OBS_COLUMNS = ["kpi_id", "area_code", "area_level", "period", "fiscal_year", "month", "period_end", "value", "unit",
                "relation", "figure_ids", "document", "location", "quote", "reason", "known_at"]


def _observation(kpi: str, key: str, relation: str, members: list[dict]) -> dict:
    period, _ = parse_period(key)
    figs = [m["fig"] for m in members]
    published = figs[0].get("published")
    return {
        "kpi_id": kpi, "area_code": NATIONAL_CODE, "area_level": "national", "period": period.key,
        "fiscal_year": period.fiscal_year, "month": period.month, "period_end": period.end,
        "value": sum(float(f["value"]) * m["scale"] for f, m in zip(figs, members)),
        "unit": members[0].get("unit") or figs[0]["unit"],
        "relation": relation,
        "figure_ids": ",".join(m["figure"] for m in members),
        "document": figs[0]["document"],
        "location": f"{figs[0]['document']} line " + ", ".join(str(int(f["line"])) for f in figs),
        "quote": " / ".join(f["quote"] for f in figs),
        "reason": " / ".join(m["reason"] for m in members),
        "known_at": dt.datetime.combine(published, dt.time()) if isinstance(published, dt.date) else None,
    }


def figure_issues(figures: pd.DataFrame) -> list[QualityIssue]:
    """A quality issue for every figure whose date the parser could not read with certainty."""
    issues = []
    for f in figures.itertuples():
        what = f"{f.thing if isinstance(f.thing, str) else ''} {f.value:g}{f.unit if isinstance(f.unit, str) else ''}"
        if f.as_of is None or pd.isna(f.as_of):
            written = f"(原文の時点表現「{f.as_of_text}」は日付に直せません)" if isinstance(f.as_of_text, str) else ""
            issues.append(QualityIssue(f.source_file, f"line {f.line}", "figure_without_date",
                                       f"{what}には時点がありません{written}。KPIの観測には使えません: 「{f.quote[:60]}」",
                                       f.figure_id, "info"))
        elif f.certainty != "high":
            issues.append(QualityIssue(f.source_file, f"line {f.line}", "figure_date_uncertain",
                                       f"{what}の時点を{f.as_of_text or f.as_of}と読みました"
                                       f"({f.note if isinstance(f.note, str) else '確度: 中'})。", f.figure_id, "info"))
    return issues
