"""The one read-only warehouse connection per process (and per warehouse version)."""
from __future__ import annotations

from pathlib import Path

import duckdb
import streamlit as st

from etl import settings
from warehouse.db import WarehouseMissing, connect_readonly, cursor, version


@st.cache_resource(max_entries=2, show_spinner=False)
def _connection(path: str, file_version: tuple[int, int, int]) -> duckdb.DuckDBPyConnection:
    # Keyed on the file version: a rebuild or load swaps the file, the key changes and the
    # next rerun attaches the new file without restarting the server.
    return connect_readonly(Path(path))


def connection() -> duckdb.DuckDBPyConnection:
    """A cursor on the current warehouse (cursors are cheap and safe to use per thread); stops the page if none."""
    path = settings.warehouse_path()
    try:
        return cursor(_connection(str(path), version(path)))
    except WarehouseMissing:
        st.error("データウェアハウスがまだ作成されていません。`shinchoku build` を実行してください。")
        st.stop()
        raise  # for type checkers: st.stop() does not return
