"""What every page starts with: the title, the report-date filter in the sidebar, and the connection."""
from __future__ import annotations

import datetime as dt
import inspect
from pathlib import Path

import streamlit as st

from ui import filters, labels, state
from warehouse import queries


def start(title: str, caption: str | None = None) -> dt.date:
    """Render the page heading and the shared sidebar filter; returns the report date (基準日)."""
    if not st.session_state.get("_via_router"):
        # Opened by URL before app.py ran (Streamlit's legacy pages/ mode): go through the router.
        st.session_state["_return_to"] = "pages/" + Path(inspect.stack()[1].filename).name
        st.session_state.setdefault("_filters", {}).update(st.query_params.to_dict())
        st.switch_page("app.py")
    st.title(title)
    state.demo_banner()
    if caption:
        st.caption(caption)
    filters.restore()
    filters.bar()
    as_of = filters.as_of(state.query(queries.default_as_of), container=st.sidebar)
    st.sidebar.caption(f"基準日: {labels.date_ja(as_of)}")
    loaded = state.query(queries.last_load)
    fresh = labels.timestamp(loaded) if loaded else "まだありません"
    st.sidebar.caption(f"最終読込: {fresh}")
    # the sidebar is folded away on a phone: the report date and the data's freshness stay in sight
    filters.note(f":material/event: 基準日 {labels.date_ja(as_of)}  \n:material/update: 最終読込 {fresh}")
    return as_of


def download(df, name: str, label: str = "CSVをダウンロード") -> None:
    """A CSV download beside a chart or table (UTF-8 with BOM for Excel; formula-like text made inert)."""
    from etl.safety import csv_bytes

    # Made when clicked, not on every run of the page (most are never clicked: this was 8 % of the server's
    # time under load); a download does not rerun the page.
    st.download_button(label, lambda: csv_bytes(df), file_name=f"{name}.csv", mime="text/csv", key=f"dl_{name}",
                       on_click="ignore")
