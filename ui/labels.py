"""Japanese display labels: fiscal years in 和暦 with the western year, list cells as text."""
from __future__ import annotations

import pandas as pd

from etl.text import fy_label


def fy(value) -> str:
    """'平成29年度 (2017)' for 2017; '—' for a missing year."""
    if value is None or pd.isna(value):
        return "—"
    return fy_label(int(value))


def join(values, sep: str = "、") -> str:
    """A list cell (e.g. ministries) as one line of text."""
    if values is None:
        return ""
    return sep.join(str(v) for v in values)
