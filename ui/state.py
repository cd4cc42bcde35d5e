"""The one read-only warehouse connection per process (and per warehouse version)."""
from __future__ import annotations

import importlib
from pathlib import Path

import duckdb
import streamlit as st

from etl import settings
from etl.errors import WarehouseDamaged
from warehouse import queries
from warehouse.db import WarehouseMissing, WarehouseOutdated, connect_readonly, cursor, holds_file_open, version


@st.cache_resource(max_entries=2, show_spinner=False)
def _connection(path: str, file_version: tuple[int, int, int]) -> duckdb.DuckDBPyConnection:
    # Keyed on the file version: a rebuild or load swaps the file, the key changes and the
    # next rerun attaches the new file without restarting the server.
    return connect_readonly(Path(path))


def _stop(error: Exception) -> None:
    """Say in Japanese why there is nothing to show (no server path: visitors read this), and stop the page."""
    if isinstance(error, WarehouseOutdated):
        st.error("データウェアハウスが古い形式のままです。管理者は `shinchoku build` で作り直してください"
                 "(読み込んだ実績の履歴は引き継がれます)。")
    elif isinstance(error, WarehouseDamaged):
        st.error("データウェアハウスを開けません(ファイルが壊れている可能性があります)。"
                 "管理者は `shinchoku restore` で直前の世代に戻してください。")
    else:
        st.error("データウェアハウスがまだ作成されていません。`shinchoku build` を実行してください。")
    st.stop()


def _reader(path: str, file_version: tuple[int, int, int]) -> duckdb.DuckDBPyConnection:
    """A cursor on the shared connection; on Windows a connection of its own, which lets the file go when the
    caller drops it, so that a writer can swap the file (warehouse.db.holds_file_open)."""
    if not holds_file_open():
        return connect_readonly(Path(path))
    return cursor(_connection(path, file_version))


def connection() -> duckdb.DuckDBPyConnection:
    """A cursor on the current warehouse (cursors are cheap and safe to use per thread); stops the page if none."""
    path = settings.warehouse_path()
    try:
        return _reader(str(path), version(path))
    except (WarehouseMissing, WarehouseDamaged) as e:
        _stop(e)
        raise  # for type checkers: st.stop() does not return


@st.cache_data(max_entries=4, show_spinner=False)
def _has_synthetic(path: str, file_version: tuple[int, int, int]) -> bool:
    return queries.has_synthetic(_reader(path, file_version))


def demo_banner() -> None:
    """The 「デモ（合成データ）」 label, on every page while synthetic values are in the warehouse."""
    path = settings.warehouse_path()
    try:
        synthetic = _has_synthetic(str(path), version(path))
    except (WarehouseMissing, WarehouseDamaged):
        return
    if synthetic:
        st.warning("**デモ（合成データ）** — このダッシュボードには合成データが含まれています。"
                   "実際の実績値ではありません。", icon="⚠️")


@st.cache_data(max_entries=512, show_spinner=False)
def _cached(name: str, path: str, file_version: tuple[int, int, int], args: tuple):
    """name: 'module:function' of a query module under warehouse/ (warehouse.queries, warehouse.attention, …)."""
    module, _, function = name.rpartition(":")
    return getattr(importlib.import_module(module), function)(_reader(path, file_version), *args)


def query(fn, *args):
    """Run a query function (of warehouse.queries or another query module) through the cache, keyed on the
    warehouse version."""
    path = settings.warehouse_path()
    try:
        return _cached(f"{fn.__module__}:{fn.__name__}", str(path), version(path), args)
    except (WarehouseMissing, WarehouseDamaged) as e:
        _stop(e)
        raise


@st.cache_data(max_entries=128, show_spinner=False)
def _chart(chart: str, query_name: str, path: str, file_version: tuple[int, int, int], args: tuple, options: tuple):
    """chart: a function of ui.charts by name, or 'module:function' of another chart module (ui.maps:…)."""
    module, _, function = chart.rpartition(":")
    build = getattr(importlib.import_module(module or "ui.charts"), function)
    return build(_cached(query_name, path, file_version, args), **dict(options))


def chart(chart_name: str, fn, *args, **options):
    """A figure built from a query, both cached on the warehouse version (figures are costly): chart_name is
    a function of ui.charts or 'module:function'; args go to the query, options (small values) to the chart."""
    path = settings.warehouse_path()
    return _chart(chart_name, f"{fn.__module__}:{fn.__name__}", str(path), version(path), args,
                  tuple(sorted(options.items())))
