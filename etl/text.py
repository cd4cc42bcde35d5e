"""Text helpers for PDF-extracted Japanese: HTML fragments, widths, 和暦 years, numbers."""
from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass

import jaconv
import yaml
from bs4 import BeautifulSoup
from kanjize import kanji2number

from etl import settings

_WS = re.compile(r"[ \t\u3000\xa0]+")
_BULLET_SPLIT = re.compile(r"(?:^|\s)[-・](?=\s*\S)")


def normalize(text: str | None) -> str:
    """Full-width ASCII/digits to half-width, one space between words, stripped.

    Kana and symbols such as ① stay as written: only the width of Latin letters,
    digits, parentheses and punctuation is folded, so that patterns match both.
    """
    if text is None:
        return ""
    text = jaconv.z2h(str(text), kana=False, ascii=True, digit=True)
    return _WS.sub(" ", text).strip()


@dataclass(frozen=True)
class CellText:
    """A source cell turned into plain text, with its list items when it is a list."""

    text: str
    items: tuple[str, ...]
    links: tuple[str, ...]


def html_to_text(fragment: str | None) -> CellText:
    """Plain text of an HTML fragment from the extraction; <li>, <p> and "- "/"・" bullets become items."""
    fragment = fragment or ""
    soup = BeautifulSoup(fragment, "html.parser")
    links = tuple(a["href"] for a in soup.find_all("a", href=True))
    lis = [normalize(li.get_text(" ")) for li in soup.find_all("li")]
    paras = [normalize(p.get_text(" ")) for p in soup.find_all("p")]
    whole = normalize(soup.get_text(" "))
    if lis:
        items = [_strip_bullet(i) for i in lis if i]
    elif len(paras) > 1:
        items = [p for p in paras if p]
    else:
        items = _bullets(whole)
    text = "\n".join(items) if items else whole
    return CellText(text=text, items=tuple(items), links=links)


def _strip_bullet(item: str) -> str:
    return re.sub(r"^[-・]\s*", "", item).strip()


def _bullets(text: str) -> list[str]:
    """Split "-A -B" / "・A ・B" plain-text lists; a single paragraph gives no items."""
    if not re.match(r"^\s*[-・]", text):
        return []
    parts = [p.strip() for p in _BULLET_SPLIT.split(text) if p.strip()]
    return parts if len(parts) > 1 else []


URL_RE = re.compile(r"https?://[^\s<>\"'()]+")
# A PDF line break inside a URL leaves a space in it ("main_sosiki/jo ho_tsusin/…").
_URL_CONTINUATION = re.compile(r"\s+([A-Za-z0-9_./#%?=&~-]*[/._][A-Za-z0-9_./#%?=&~-]*)")
_URL_COMPLETE = re.compile(r"(\.html?|\.pdf|\.xlsx?|\.docx?|\.pptx?|/)$|#\w+$")


def urls_in(text: str) -> list[str]:
    """Every http(s) URL in a text, in order, without duplicates, re-joined across PDF line breaks."""
    text = text or ""
    out: dict[str, None] = {}
    pos = 0
    while m := URL_RE.search(text, pos):
        url, pos = m.group(0), m.end()
        while not _URL_COMPLETE.search(url) and (c := _URL_CONTINUATION.match(text, pos)):
            url, pos = url + c.group(1), c.end()
        out.setdefault(url.rstrip(".,、。"), None)
    return list(out)


# ---------------------------------------------------------------- 和暦 years


@functools.cache
def _eras() -> dict[str, int]:
    data = yaml.safe_load((settings.REFERENCE_DIR / "eras.yaml").read_text(encoding="utf-8"))
    out: dict[str, int] = {}
    for era in data["eras"]:
        out[era["name"]] = era["first_year"]
        out[era["letter"]] = era["first_year"]
    return out


ERA_YEAR_RE = re.compile(r"(令和|平成|昭和|大正|明治)\s*(元|\d{1,2})\s*年")


def era_to_year(era: str, number: str | int) -> int:
    """Gregorian year of an era year: ("令和", "元") → 2019, ("平成", 27) → 2015."""
    n = 1 if str(number) == "元" else int(number)
    return _eras()[era] + n - 1


def year_to_wareki(year: int, fiscal: bool = True) -> str:
    """令和2年度 for 2020 (fiscal) or 令和2年; 令和元年度 for 2019.

    Fiscal years are named by the era in force on 1 April, so FY2019 is 令和元年度
    (the plan documents use that spelling) even though 令和 began on 1 May 2019.
    """
    best = None
    for name, first in _eras().items():
        if len(name) == 1:  # letters duplicate the names
            continue
        if first <= year and (best is None or first > best[1]):
            best = (name, first)
    assert best is not None, year
    n = year - best[1] + 1
    return f"{best[0]}{'元' if n == 1 else n}{'年度' if fiscal else '年'}"


@functools.cache
def _era_starts() -> list[tuple[dt.date, str]]:
    data = yaml.safe_load((settings.REFERENCE_DIR / "eras.yaml").read_text(encoding="utf-8"))
    return sorted(((e["start"], e["name"]) for e in data["eras"]), reverse=True)


def date_to_wareki(d: dt.date) -> str:
    """'令和3年3月31日' for 2021-03-31; '平成31年4月30日' for 2019-04-30 (the era changes on its start day)."""
    start, name = next((s, n) for s, n in _era_starts() if s <= d)
    n = d.year - start.year + 1
    return f"{name}{'元' if n == 1 else n}年{d.month}月{d.day}日"


def date_label(d: dt.date | None) -> str:
    """'令和3(2021)年3月31日': a day in 和暦 with its western year, the one form the printed papers use for a
    date (period_label writes periods the same way); '—' when missing."""
    if d is None or d != d:  # None or NaT
        return "—"
    era = date_to_wareki(d)
    return era[: era.index("年")] + f"({d.year})" + era[era.index("年"):]


def fy_label(year: int | None) -> str:
    """'令和2年度 (2020)': 和暦 with the western year, as the UI shows fiscal years."""
    if year is None:
        return "—"
    return f"{year_to_wareki(year)} ({year})"


# ---------------------------------------------------------------- numbers

_NUM_RE = re.compile(r"[0-9０-９][0-9０-９,，.]*|[一二三四五六七八九十百千万億兆〇]+")


def parse_number(text: str) -> float:
    """A Japanese number as written in targets: '1,600', '9万5千', '一万', '約98万' (without 約) → float."""
    s = normalize(text).replace(",", "")
    if re.fullmatch(r"\d+(\.\d+)?", s):
        return float(s)
    # Arabic digits mixed with 万/千 (e.g. 9万5千) are understood by kanjize.
    return float(kanji2number(s))


def period_label(key) -> str:
    """'FY2020' → 令和2(2020)年度, '2021-03' → 令和3(2021)年3月, as the views write periods ('—' when missing)."""
    if not isinstance(key, str) or not key:
        return "—"
    if key.startswith("FY") and key[2:].isdigit():
        y = int(key[2:])
        return year_to_wareki(y).replace("年度", f"({y})年度")
    if len(key) == 7 and key[4] == "-" and key[:4].isdigit() and key[5:].isdigit():
        y, m = int(key[:4]), int(key[5:])
        era = date_to_wareki(dt.date(y, m, 1))
        return era[: era.index("年")] + f"({y})年{m}月"
    return key
