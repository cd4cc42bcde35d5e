"""Reporting periods as people write them: fiscal years (年度) and months, in 西暦 or 和暦.

A fiscal year N runs from 1 April N to 31 March N+1. Periods are stored as a
key ('FY2020' or '2020-04'), the fiscal year, the calendar month (NULL for a
fiscal year) and the last day of the period.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from etl.text import era_to_year, normalize

_ERA_LETTERS = {"R": "令和", "H": "平成", "S": "昭和"}
_FY_PATTERNS = [
    re.compile(r"^(?:FY)?\s*(\d{4})(?:年度)?$", re.I),
    re.compile(r"^(令和|平成|昭和)\s*(元|\d{1,2})\s*年度?$"),
    re.compile(r"^([RHS])\s*(元|\d{1,2})(?:年度)?$", re.I),
]
_MONTH_PATTERNS = [
    re.compile(r"^(\d{4})\s*[-/.]\s*(\d{1,2})(?:\s*[-/.]\s*\d{1,2})?$"),
    re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月(?:\s*\d{1,2}\s*日)?$"),
    re.compile(r"^(令和|平成|昭和)\s*(元|\d{1,2})\s*年\s*(\d{1,2})\s*月(?:\s*\d{1,2}\s*日)?$"),
    re.compile(r"^([RHS])\s*(元|\d{1,2})\s*[./-]\s*(\d{1,2})$", re.I),
]
# 「令和2(2020)年度」: how Shinchoku itself shows a period (etl.text.period_label), so an office may copy it
_ERA_WITH_YEAR = re.compile(r"^(令和|平成|昭和)\s*(元|\d{1,2})\s*\(\s*(\d{4})\s*\)")


@dataclass(frozen=True)
class Period:
    key: str  # 'FY2020' or '2020-04'
    fiscal_year: int
    month: int | None
    end: dt.date

    @property
    def start(self) -> dt.date:
        return dt.date(self.fiscal_year, 4, 1) if self.month is None else self.end.replace(day=1)

    @property
    def kind(self) -> str:
        return "fy" if self.month is None else "month"


def fiscal_year_of(year: int, month: int) -> int:
    """FY of a calendar month: April–December belong to the same year, January–March to the previous."""
    return year if month >= 4 else year - 1


def fy_period(fy: int) -> Period:
    return Period(f"FY{fy}", fy, None, dt.date(fy + 1, 3, 31))


def month_period(year: int, month: int) -> Period:
    nxt = dt.date(year + (month == 12), month % 12 + 1, 1)
    return Period(f"{year}-{month:02d}", fiscal_year_of(year, month), month, nxt - dt.timedelta(days=1))


def parse_period(raw) -> tuple[Period | None, str | None]:
    """(Period, None) or (None, Japanese error) for '2020', '2020年度', '令和2年度', 'R2', 'FY2020', '2020-04', '令和2年4月'."""
    if isinstance(raw, dt.datetime | dt.date):  # Excel made a date of '2020/4'
        return month_period(raw.year, raw.month), None
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    text = normalize("" if raw is None else str(raw))
    if not text:
        return None, "期間が空です"
    if m := _ERA_WITH_YEAR.match(text):
        if era_to_year(m.group(1), m.group(2)) != int(m.group(3)):
            return None, f"期間「{raw}」の和暦と西暦が合いません"
        text = text[:m.start(3) - 1].rstrip() + text[m.end():]
    for p in _FY_PATTERNS:
        if m := p.match(text):
            year = int(m.group(1)) if m.lastindex == 1 else era_to_year(_ERA_LETTERS.get(m.group(1).upper(), m.group(1)), m.group(2))
            if not 1900 <= year <= 2100:
                break
            return fy_period(year), None
    for p in _MONTH_PATTERNS:
        if m := p.match(text):
            if m.lastindex == 2:
                year, month = int(m.group(1)), int(m.group(2))
            else:
                year, month = era_to_year(_ERA_LETTERS.get(m.group(1).upper(), m.group(1)), m.group(2)), int(m.group(3))
            if not 1 <= month <= 12:
                return None, f"期間「{raw}」の月が1〜12ではありません"
            return month_period(year, month), None
    return None, f"期間「{raw}」を読み取れません(例: 2020年度、令和2年度、R2、FY2020、2020-04、令和2年4月)"
