"""Keeping exported text inert: cells that spreadsheet programs would run as formulas."""
from __future__ import annotations

import numpy as np
import pandas as pd

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def inert(value):
    """Text that starts like a formula gets a leading apostrophe (CSV) so that it stays text."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def csv_bytes(df: pd.DataFrame) -> bytes:
    """CSV (UTF-8 with BOM) of a frame, with every formula-like text cell made inert.

    Every column that is not numeric, boolean or a date is treated as text, whatever its dtype: DuckDB
    ENUMs arrive as categoricals, lists and structs as objects, and any of them can hold '=…'.
    """
    out = df.copy()
    for col in out.columns:
        s = out[col]
        if pd.api.types.is_numeric_dtype(s) and not isinstance(s.dtype, pd.CategoricalDtype) \
                or pd.api.types.is_bool_dtype(s) or pd.api.types.is_datetime64_any_dtype(s):
            continue
        out[col] = s.astype(object).map(_inert_cell)
    return out.to_csv(index=False).encode("utf-8-sig")


def _inert_cell(v):
    """A cell of a text-like column: text made inert; other objects (lists, structs) judged by what the CSV
    will hold, their str(); numbers and missing values as they are."""
    if isinstance(v, str):
        return inert(v)
    if v is None or isinstance(v, (int, float, np.number)):
        return v
    text = str(v)
    return "'" + text if text.startswith(FORMULA_START) else v
