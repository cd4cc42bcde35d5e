"""Keeping exported text inert: cells that spreadsheet programs would run as formulas."""
from __future__ import annotations

import pandas as pd

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def inert(value):
    """Text that starts like a formula gets a leading apostrophe (CSV) so that it stays text."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def csv_bytes(df: pd.DataFrame) -> bytes:
    """CSV (UTF-8 with BOM) of a frame, with every formula-like text cell made inert."""
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object or str(out[col].dtype) in ("str", "string"):
            out[col] = out[col].map(inert)
    return out.to_csv(index=False).encode("utf-8-sig")
