"""Filters that live in the URL query string (a link reproduces the view) and persist across pages.

The URL is the source of truth. Because the sidebar navigation drops the query string, the last
values are also kept in the session and written back into the URL when another page opens.

Every page shows, under its title, the filters active on it (a chip that clears each; a filter a page
does not show does not apply there and gets no chip) and 「リンクをコピー」 with the page's full address,
report date included.
"""
from __future__ import annotations

import datetime as dt
import urllib.parse
from collections.abc import Callable, Sequence

import streamlit as st

KEYS = ("as_of", "ministry", "lead_only", "pillar", "pref", "area", "kpi", "measure", "kind", "q")
_SESSION = "_filters"
_BAR = "_filter_bar"  # this run's containers for the chips and the link (made by bar())


def restore() -> None:
    """Bring the remembered filters back into the URL of the page being opened (call once per run)."""
    saved = st.session_state.setdefault(_SESSION, {})
    for key in KEYS:
        if key in st.query_params:
            saved[key] = st.query_params[key]
        elif key in saved:
            st.query_params[key] = saved[key]


def bar(container=st) -> None:
    """Make, under the page title, the row of active-filter chips and the 「リンクをコピー」 popover; the
    filters fill it as the page declares them."""
    row = container.container(horizontal=True, vertical_alignment="center", key="filter_bar")
    chips = row.container(horizontal=True, width="content")
    clear = row.empty()  # 「すべて解除」 once a second filter is active
    link = row.popover("リンクをコピー", icon=":material/link:", help="この画面(基準日・絞り込みを含む)のアドレス")
    with link:
        st.caption("右上のボタンでコピーできます。基準日と絞り込みを含むため、後でデータが追加されても同じ内容を開きます。")
        address = st.empty()
    st.session_state[_BAR] = {"chips": chips, "clear": clear, "address": address, "keys": []}
    _show_link()


def link(params: dict[str, str], base: str) -> str:
    """The address of this view: the page's URL without its old query, with the filters in force."""
    page_url = base.split("?", 1)[0].split("#", 1)[0]
    return page_url + ("?" + urllib.parse.urlencode(params) if params else "")


def _show_link() -> None:
    where = st.session_state.get(_BAR)
    if where:
        try:
            base = st.context.url or ""
        except Exception:  # no browser (AppTest): a relative address
            base = ""
        where["address"].code(link(st.query_params.to_dict(), base), language=None, wrap_lines=True)


_CLEARED = {"lead_only": False, "q": ""}  # what a toggle and the search box show when cleared; a select: (すべて)


def _clear(key: str) -> None:
    # A callback runs before the rerun, when a widget's value may still be set: setting it (not deleting it)
    # also resets the widget in the browser, which would otherwise send its old value back on the next click.
    put(key, None)
    if f"f_{key}" in st.session_state:
        st.session_state[f"f_{key}"] = _CLEARED.get(key)


def note(text: str) -> None:
    """A fixed fact beside the chips (the report date), not a filter one can clear."""
    where = st.session_state.get(_BAR)
    if where:
        where["chips"].markdown(text)


def _clear_all(keys: list[str]) -> None:
    for key in keys:
        _clear(key)


def _chip(key: str, text: str) -> None:
    where = st.session_state.get(_BAR)
    if where:
        where["chips"].button(f"{text} ✕", key=f"chip_{key}", on_click=_clear, args=(key,), help="この絞り込みを解除")
        where["keys"].append(key)
        if len(where["keys"]) == 2:  # the list object keeps growing with the page's later filters
            where["clear"].button("すべて解除", key="chip_all", on_click=_clear_all, args=(where["keys"],),
                                  type="tertiary", icon=":material/filter_alt_off:")


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
    _show_link()


def select(label: str, key: str, options: Sequence[str], format_func: Callable[[str], str] = str,
           all_label: str | None = "(すべて)", container=st) -> str | None:
    """A selectbox bound to the query parameter `key`; None means "all"."""
    choices = ([None] if all_label else []) + list(options)
    current = get(key)
    index = choices.index(current) if current in choices else 0
    value = container.selectbox(label, choices, index=index, key=f"f_{key}",
                                format_func=lambda v: all_label if v is None else format_func(v))
    put(key, value)
    if value is not None and all_label:
        _chip(key, f"{label.split('(')[0]}: {format_func(value)}")
    return value


def text(label: str, key: str, container=st, max_chars: int = 100) -> str | None:
    """A text input (search) bound to the query parameter `key`; shown as typed, searched as plain text."""
    value = container.text_input(label, value=get(key) or "", key=f"f_{key}", max_chars=max_chars).strip()
    put(key, value or None)
    if value:
        _chip(key, f"{label}: 「{value}」")
    return value or None


def toggle(label: str, key: str, container=st) -> bool:
    value = container.toggle(label, value=get(key) == "1", key=f"f_{key}")
    put(key, "1" if value else None)
    if value:
        _chip(key, label)
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
