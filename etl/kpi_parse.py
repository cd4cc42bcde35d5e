"""KPI cells → indicators → parsed targets.

A KPI cell of the 施策一覧 often holds several indicators, each with its own
target written in Japanese (和暦 years, 年度 vs 年, 年度末/当初, 約, 以上, 万/千,
割, 倍 against a base year, 未設定). ``split_indicators`` cuts a cell into
indicators and ``parse_target`` reads one indicator. Every parsed field keeps
the text it came from; a number is only ever read after the year expressions
have been taken out of the clause, so a year never becomes a target value.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import asdict, dataclass, field

from etl.text import era_to_year, normalize, parse_number

# ---------------------------------------------------------------- splitting

_INDICATOR_END = re.compile(r"(数|率|割合|件数|額|数の増加|倍|倍増|増加|削減)$")
_TIME_PREFIX = re.compile(r"^((?:令和|平成)(?:元|\d+)年度?(?:末|中)?(?:まで)?に|本年度中に)、")
_HEADING = re.compile(r"^<([^<>]+)>\s*")
_TARGET_HINT = re.compile(r"\d|[一二三四五六七八九十]+万|数[十百千万]|数件|程度")


@dataclass(frozen=True)
class Indicator:
    text: str  # the indicator as written (after splitting), with its target clause
    group: str | None = None  # a heading such as <オンライン・ワンストップ化>
    context: str | None = None  # a time phrase shared by several indicators ("令和2年に")
    shared_target: str | None = None  # one target of a paren shared by several indicators


def _top_level_split(text: str, sep: str) -> list[str]:
    """Split on a separator character outside parentheses."""
    parts, depth, cur = [], 0, ""
    for ch in text:
        depth += ch in "(「【"
        depth -= ch in ")」】"
        if ch == sep and depth <= 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    parts.append(cur)
    return [p.strip() for p in parts if p.strip()]


def _space_split(text: str) -> list[str]:
    """Split on spaces outside parentheses that separate two Japanese phrases ("JIS X 8341" stays whole)."""
    parts, depth, cur = [], 0, ""
    for i, ch in enumerate(text):
        depth += ch in "(「【"
        depth -= ch in ")」】"
        if ch == " " and depth <= 0 and cur:
            prev, nxt = cur[-1], text[i + 1] if i + 1 < len(text) else ""
            if (ord(prev) > 0x2FFF or prev == ")") and nxt and nxt not in ")、。" and not nxt.isdigit():
                parts.append(cur)
                cur = ""
                continue
        cur += ch
    parts.append(cur)
    return [p.strip() for p in parts if p.strip()]


def _paren_split(text: str) -> list[str]:
    """'…回数(令和元年度に34回)推奨…セット数(…)' → two indicators: cut after a target paren glued to the next one."""
    out, start, depth, open_at = [], 0, 0, None
    for i, ch in enumerate(text):
        if ch == "(":
            if depth == 0:
                open_at = i
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0 and open_at is not None and i + 1 < len(text):
                before, inside, nxt = text[start:open_at], text[open_at + 1 : i], text[i + 1]
                if nxt not in "、。 )の" and _INDICATOR_END.search(before) and _TARGET_HINT.search(inside):
                    out.append(text[start : i + 1])
                    start = i + 1
    out.append(text[start:])
    return [p.strip() for p in out if p.strip()]


def _strip_paren(text: str) -> str:
    return re.sub(r"\([^()]*(\([^()]*\)[^()]*)*\)$", "", text).strip()


def split_indicators(cell: str) -> list[Indicator]:
    """All indicators of one KPI cell, in order."""
    cell = normalize(cell.replace("\n", "\u2029"))  # keep list-item breaks through normalize
    out: list[Indicator] = []
    group = None
    for line in cell.split("\u2029"):
        line = line.strip()
        if not line:
            continue
        h = _HEADING.match(line)
        if h:
            group = h.group(1).strip()
            line = line[h.end():].strip()
            if not line:
                continue
        for chunk in _space_split(line):
            for piece in _paren_split(chunk):
                out.extend(_comma_split(piece, group))
    return out


def _comma_split(text: str, group: str | None) -> list[Indicator]:
    context = None
    m = _TIME_PREFIX.match(text)
    body = text
    if m:
        context, body = m.group(1), text[m.end():]
    parts = _top_level_split(body, "、")
    indicator_like = len(parts) > 1 and all(
        _INDICATOR_END.search(_strip_paren(p)) or re.search(r"\d+倍|倍増|\d+割", p) for p in parts
    )
    if not indicator_like:
        return [Indicator(text=text if context is None else body, group=group, context=context)]
    # "分野数、参加団体数(令和元年度までにデータ分野数10、参加団体数40)": one paren, one target each.
    last = parts[-1]
    shared = re.search(r"\(([^()]*)\)$", last)
    targets: list[str | None] = [None] * len(parts)
    if shared and not any("(" in p for p in parts[:-1]):
        pieces = _top_level_split(shared.group(1), "、")
        prefix = _TIME_PREFIX_INNER.match(pieces[0]) if pieces else None
        if len(pieces) == len(parts) and all(_TARGET_HINT.search(p) for p in pieces):
            year = prefix.group(0) if prefix else ""
            targets = [p if (i == 0 or not year) else year + p for i, p in enumerate(pieces)]
            parts[-1] = _strip_paren(last)
    return [Indicator(text=p, group=group, context=context, shared_target=t) for p, t in zip(parts, targets)]


_TIME_PREFIX_INNER = re.compile(r"^(?:令和|平成)(?:元|\d+)年度?(?:末|当初|中)?(?:まで)?に")

# ---------------------------------------------------------------- targets

_YEAR = re.compile(
    r"(?:(令和|平成)\s*(元|\d{1,2})|(20\d\d))\s*(年度|年)(末|当初|中|前半|後半)?(時点)?(?:まで)?(?:に|を目途に|で)?"
)
_UNITS = (
    "都道府県|市区町村|市町村|団体|事業者|機関|箇所|か所|ヶ所|カ所|件|回|社|セット|世帯|人|校|地域|手続|システム|サービス|つ|TB|%"
)
_VALUE = re.compile(
    rf"(約|延べ|概ね)?\s*(\d[\d,]*(?:\.\d+)?(?:億|万|千)?(?:\d[\d,]*)?(?:千)?|[一二三四五六七八九十百千]+(?:億|万|千))\s*({_UNITS})?\s*(以上|以下|程度|超)?"
)
_WARI = re.compile(r"(\d+|[一二三四五六七八九十])割(削減|減|増|に増加)?")
_RELATIVE = re.compile(r"(令和|平成)\s*(元|\d{1,2})年度?比(?:で)?[。、]?\s*(?:(\d+(?:\.\d+)?)倍|(倍増)|(\d+)割(削減|減|増))?")
_ANNUAL = re.compile(r"年(\d+)回(以上)?")
_UNSET = re.compile(r"^未設定")
# 「本年度中に」: the plan's own fiscal year. The 施策一覧 (001) is the 官民データ活用推進計画 decided on
# 2019-06-14 (data/sources/manifest.yaml), so 本年度 is FY2019 (令和元年度); a test holds the two together.
PLAN_FY = 2019
_THIS_YEAR = re.compile(r"^(本|今)年度(末|中)?(?:まで)?に[、\s]*")
_TO_BE_SET = re.compile(r"設定予定|に設定|中に設定|検討")
_DECREASE = re.compile(r"削減(?!数|額)|減少|低減|未整備")
_PERCENT_NAME = re.compile(r"(率|割合)$")
# What a quantity is called: a KPI named without any of these (「…の策定」「…の構築」「未設定」) is a deed
# or a description, and which way is better cannot be read from it.
_QUANTITY = re.compile(r"数|率|割合|件|人|者|団体|箇所|回|額|量|時間|コスト|%|(?<!制)度|シェア|規模|台|社|世帯")


@dataclass
class Target:
    """A parsed KPI indicator; every field can be traced to ``source_text``."""

    name: str
    source_text: str
    target_text: str | None = None
    target_kind: str = "none"  # absolute | relative | milestone | unset | none | unparsed
    target_value: float | None = None
    unit: str | None = None
    comparator: str | None = None  # eq | at_least | at_most | approx
    target_fy: int | None = None
    target_timing: str | None = None  # fy | fy_end | fy_start | fy_first_half | calendar | annual
    target_date: dt.date | None = None
    base_fy: int | None = None
    base_value: float | None = None
    target_month: int | None = None
    target_factor: float | None = None
    direction: str = "increase"  # increase | decrease | unknown (no target and not a quantity)
    group: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def has_target(self) -> bool:
        return self.target_kind in ("absolute", "relative")

    def as_dict(self) -> dict:
        d = asdict(self)
        d["has_target"] = self.has_target
        return d


def _year_info(m: re.Match) -> tuple[int, str]:
    era, num, western, kind, suffix = m.group(1), m.group(2), m.group(3), m.group(4), m.group(5)
    year = era_to_year(era, num) if era else int(western)
    if kind == "年":
        return year, "calendar"
    return year, {"末": "fy_end", "当初": "fy_start", "前半": "fy_first_half"}.get(suffix or "", "fy")


def target_date(fy: int | None, timing: str | None, month: int | None = None) -> dt.date | None:
    """The deadline a target year means: FY N ends 31 March N+1; 年度当初 is 1 April N; 年 N ends 31 Dec."""
    if fy is None or timing in (None, "annual"):
        return None
    if timing == "calendar_month" and month:
        nxt = dt.date(fy + (month == 12), month % 12 + 1, 1)
        return nxt - dt.timedelta(days=1)
    return {
        "fy": dt.date(fy + 1, 3, 31),
        "fy_end": dt.date(fy + 1, 3, 31),
        "fy_start": dt.date(fy, 4, 1),
        "fy_first_half": dt.date(fy, 9, 30),
        "calendar": dt.date(fy, 12, 31),
    }.get(timing)


def _trailing_paren(text: str) -> tuple[str, str | None]:
    """('name', 'inside of the last top-level paren') when the text ends with a paren group."""
    if not text.endswith(")"):
        return text, None
    depth = 0
    for i in range(len(text) - 1, -1, -1):
        if text[i] == ")":
            depth += 1
        elif text[i] == "(":
            depth -= 1
            if depth == 0:
                return text[:i].strip(), text[i + 1 : -1].strip()
    return text, None


def parse_target(ind: Indicator | str) -> Target:
    """Read one indicator: its name and, when stated, its target."""
    if isinstance(ind, str):
        ind = Indicator(text=normalize(ind))
    text = ind.text
    source = " ".join(x for x in (ind.context, text) if x)
    if ind.shared_target:
        source += f" ({ind.shared_target})"
    t = Target(name=text, source_text=source, group=ind.group)

    if _UNSET.match(text):
        _, note = _trailing_paren(text)
        t.name, t.target_kind, t.target_text = "未設定", "unset", text
        if note:
            t.notes.append(note)
        return t
    # 「本年度中に、…した団体数」 (a time phrase split off as context, or still leading the text): a deadline
    # in the plan's own year
    if this_year := _THIS_YEAR.match(ind.context or "") or _THIS_YEAR.match(text):
        t.target_fy, t.target_timing = PLAN_FY, "fy"
        t.target_text = this_year.group(0).strip("、 ")
        t.notes.append(f"「{t.target_text}」の本年度は計画の年度(令和元年度)")
        if this_year.string == text:
            text = text[this_year.end():]

    base = _BASELINE_PAREN.search(text)
    if base and not text.endswith(base.group(0)):
        _read_clause(t, base.group(1))
        t.target_text = base.group(1)
        text = (text[: base.start()] + text[base.end():]).strip()
    name, paren = _trailing_paren(text)
    clause = ind.shared_target or paren
    if clause and not _TARGET_HINT.search(clause) and not _YEAR.search(clause):
        name, clause = text, None  # a descriptive paren such as (地方公共団体等)
    t.name = name

    if ind.context:
        cm = _YEAR.search(ind.context)
        if cm:
            t.target_fy, t.target_timing = _year_info(cm)

    if clause:
        t.target_text = clause
        _read_clause(t, clause)
    # Targets written inside the name: "…を5割に増加", "…を平成24年度比で3倍", "年1回以上実施", "3割削減".
    if t.target_kind in ("none", "milestone") or (t.target_kind == "absolute" and t.base_fy is None and _RELATIVE.search(name)):
        _read_inline(t, name)

    if t.unit is None and t.target_kind == "absolute" and _PERCENT_NAME.search(_strip_paren(t.name)):
        t.unit = "%"
    if _DECREASE.search(text) or (t.target_factor is not None and t.target_factor < 1):
        t.direction = "decrease"
    if t.target_kind == "none" and t.target_fy is not None:
        t.target_kind = "milestone"  # a year without a value ("令和2年までに、…の割合")
    if (t.target_kind in ("none", "unset", "unparsed", "milestone") and t.direction == "increase"
            and t.unit is None and not _QUANTITY.search(t.name)):
        t.direction = "unknown"
    t.target_date = target_date(t.target_fy, t.target_timing, t.target_month)
    return t


_MONTH = re.compile(r"^(\d{1,2})月(頃|末|中)?")
_BASELINE_PAREN = re.compile(r"\(([^()]*時点[^()]*)\)")


def _read_clause(t: Target, clause: str) -> None:
    rel = _RELATIVE.search(clause)
    ym = _YEAR.search(clause[: rel.start()] + " " * (rel.end() - rel.start()) + clause[rel.end():] if rel else clause)
    if ym and ym.group(6):  # "2017年度末時点で約98万世帯": a baseline, not a target
        t.base_fy = _year_info(ym)[0]
        rest = clause[ym.end():]
        vm = _VALUE.search(rest)
        if vm:
            t.base_value = parse_number(vm.group(2))
            t.unit = vm.group(3)
        t.notes.append("括弧内は基準値(時点)であり目標値ではない")
        return
    if ym:
        t.target_fy, t.target_timing = _year_info(ym)
        month = _MONTH.match(clause[ym.end():].lstrip()) if ym.group(4) == "年" else None
        if month:  # "令和2年11月頃": a month, never a value
            t.target_timing = "calendar_month"
            t.target_month = int(month.group(1))
            if t.target_month <= 3:  # January–March belong to the previous fiscal year
                t.target_fy -= 1
            clause = clause[: ym.end()] + clause[ym.end():].lstrip()[month.end():]
    if _TO_BE_SET.search(clause) and not _VALUE.search(_YEAR.sub(" ", clause)):
        # 「令和元年度までに設定予定」: the year the KPI's target will be set, not a deadline to meet
        t.target_kind = "unset"
        t.target_fy = t.target_timing = t.target_month = None
        t.notes.append(f"「{clause}」は目標を設定する時期であり、目標の期限ではない")
        return
    if rel:
        _relative(t, rel)
        return
    stripped = _YEAR.sub(" ", clause)  # years out first: a year is never a value
    if re.search(r"年間", stripped):
        t.target_timing = "annual"
    wm = _WARI.search(stripped)
    vm = _VALUE.search(stripped)
    if wm and (not vm or wm.start() <= vm.start(2)):
        _wari(t, wm)
    elif vm and vm.group(3) in (None, "つ") and _counts_something_else(stripped[vm.end():], t.name):
        # 「令和元年度 2つのサービスについて実証を実施」: the number counts what will be done, not the indicator
        t.target_kind = "milestone" if ym else "none"
        t.notes.append(f"「{clause}」の数は実施する内容の数で、指標の目標値ではない")
    elif vm:
        t.target_kind = "absolute"
        t.target_value = parse_number(vm.group(2))
        t.unit = vm.group(3)
        t.comparator = _comparator(vm.group(1), vm.group(4))
    elif ym:
        t.target_kind = "milestone"
    else:
        t.target_kind = "unparsed"


def _counts_something_else(after: str, name: str) -> bool:
    """After a number, 「のサービスについて…」 names what it counts; when the indicator's name does not name it
    too (対象者数 vs サービス), the number is not the indicator's target. 「10以上の地方公共団体」 for a count of
    地方公共団体 is."""
    rest = after.lstrip()
    if not rest.startswith("の"):
        return False
    counted = re.match(r"[^にをでのと、。\s]{2,}", rest[1:])
    return bool(counted) and counted.group(0)[:4] not in name


def _read_inline(t: Target, name: str) -> None:
    rel = _RELATIVE.search(name) or _RELATIVE.search(t.target_text or "")
    if rel and (rel.group(3) or rel.group(4) or rel.group(5)):
        _relative(t, rel)
    elif (wm := _WARI.search(name)) and not rel:
        _wari(t, wm)
    elif am := _ANNUAL.search(name):
        t.target_kind, t.target_value, t.unit = "absolute", float(am.group(1)), "回"
        t.comparator, t.target_timing = ("at_least" if am.group(2) else "eq"), "annual"
    else:
        return
    if t.target_text is None:
        t.target_text = name
    # the name is what comes before the last を of the target phrase
    cut = name.rfind("を", 0, (rel or wm or am).start()) if (rel or wm or am) else -1
    if cut > 0:
        t.name = name[:cut]


def _relative(t: Target, rel: re.Match) -> None:
    t.base_fy = era_to_year(rel.group(1), rel.group(2))
    if rel.group(3):
        t.target_factor = float(rel.group(3))
    elif rel.group(4):
        t.target_factor = 2.0
    elif rel.group(5):
        share = int(rel.group(5)) / 10
        t.target_factor = 1 - share if rel.group(6) in ("削減", "減") else 1 + share
    else:  # "3割削減(平成27年度比…)": the factor is written before the paren
        wm = _WARI.search(t.name) or _WARI.search(t.source_text)
        if wm:
            share = parse_number(wm.group(1)) / 10
            t.target_factor = 1 - share if wm.group(2) in ("削減", "減") else 1 + share
    if t.target_fy is None:
        ym = _YEAR.search(t.name)
        if ym:
            t.target_fy, t.target_timing = _year_info(ym)
    t.target_kind = "relative" if t.target_factor is not None else "unparsed"
    t.comparator = "eq"


def _wari(t: Target, wm: re.Match) -> None:
    share = parse_number(wm.group(1)) * 10
    if wm.group(2) in ("削減", "減"):
        # "3割削減" without a base year is a relative change of an unknown base
        t.target_kind, t.target_factor = "relative", 1 - share / 100
    else:
        t.target_kind, t.target_value, t.unit, t.comparator = "absolute", share, "%", "eq"


def _comparator(prefix: str | None, suffix: str | None) -> str:
    if suffix == "以上" or suffix == "超":
        return "at_least"
    if suffix == "以下":
        return "at_most"
    if prefix in ("約", "概ね") or suffix == "程度":
        return "approx"
    return "eq"
