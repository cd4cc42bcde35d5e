"""Filters that live in the URL query string (a link reproduces the view) and persist across pages.

The URL is the source of truth. Because the sidebar navigation drops the query string, the last
values are also kept in the session and written back into the URL when another page opens.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

import streamlit as st

KEYS = ("as_of", "ministry", "lead_only", "pillar", "pref", "area", "kpi", "measure", "kind", "q")
_SESSION = "_filters"


def restore() -> None:
    """Bring the remembered filters back into the URL of the page being opened (call once per run)."""
    saved = st.session_state.setdefault(_SESSION, {})
    for key in KEYS:
        if key in st.query_params:
            saved[key] = st.query_params[key]
        elif key in saved:
            st.query_params[key] = saved[key]


def get(key: str, default: str | None = None) -> str | None:
    return st.query_params.get(key, default)


def put(key: str, value) -> None:
    saved = st.session_state.setdefault(_SESSION, {})
    if value is None or value == "":
        st.query_params.pop(key, None)
        saved.pop(key, None)
    else:
        st.query_params[key] = str(value)
        saved[key] = str(value)


def select(label: str, key: str, options: Sequence[str], format_func: Callable[[str], str] = str,
           all_label: str | None = "(すべて)", container=st) -> str | None:
    """A selectbox bound to the query parameter `key`; None means "all"."""
    choices = ([None] if all_label else []) + list(options)
    current = get(key)
    index = choices.index(current) if current in choices else 0
    value = container.selectbox(label, choices, index=index, key=f"f_{key}",
                                format_func=lambda v: all_label if v is None else format_func(v))
    put(key, value)
    return value


def text(label: str, key: str, container=st, max_chars: int = 100) -> str | None:
    """A text input (search) bound to the query parameter `key`; shown as typed, searched as plain text."""
    value = container.text_input(label, value=get(key) or "", key=f"f_{key}", max_chars=max_chars).strip()
    put(key, value or None)
    return value or None


def toggle(label: str, key: str, container=st) -> bool:
    value = container.toggle(label, value=get(key) == "1", key=f"f_{key}")
    put(key, "1" if value else None)
    return value


def as_of(default: dt.date, container=st) -> dt.date:
    """The report date (基準日), 和暦 shown in the caption; defaults to a month-end (queries.default_as_of)."""
    raw = get("as_of")
    try:
        current = dt.date.fromisoformat(raw) if raw else default
    except ValueError:
        current = default
    value = container.date_input("基準日(この日までに分かっていた値で判定)", value=current, key="f_as_of",
                                 min_value=dt.date(2012, 4, 1), max_value=dt.date(2035, 3, 31))
    put("as_of", value.isoformat())  # always in the URL: a shared link keeps its meaning after the next load
    return value
