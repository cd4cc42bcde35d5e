"""Japanese display labels: fiscal years in 和暦 with the western year, status text, list cells."""
from __future__ import annotations

import datetime as dt

import pandas as pd

from etl.text import date_to_wareki, fy_label

KIND_JA = {"progress": "進捗", "effect": "効果", "reference": "参考指標"}


def fy(value) -> str:
    """'平成29年度 (2017)' for 2017; '—' for a missing year."""
    if value is None or pd.isna(value):
        return "—"
    return fy_label(int(value))


def date_ja(d: dt.date) -> str:
    """'令和3年3月31日 (2021-03-31)'."""
    return f"{date_to_wareki(d)} ({d.isoformat()})"


def join(values, sep: str = "、") -> str:
    """A list cell (e.g. ministries) as one line of text."""
    if values is None or isinstance(values, (float, str)) and (values != values or values == ""):
        return "" if not isinstance(values, str) else values
    return sep.join(str(v) for v in values)


def status(icon, label) -> str:
    """'○ 順調': status is never shown by colour alone."""
    return f"{icon} {label}" if isinstance(label, str) else "—"


def number(v, unit: str | None = None) -> str:
    if v is None or pd.isna(v):
        return "—"
    text = f"{v:,.0f}" if float(v).is_integer() else f"{v:,.1f}"
    return f"{text}{unit or ''}"
