"""Read-only access to the warehouse file for the dashboard and analysts' tools.

A reader never opens the file read-write and never keeps a stale copy: each
connection is an in-memory DuckDB that ATTACHes the file READ_ONLY, keyed by
the file's version (inode, size, mtime). A rebuild or a load swaps a new file
into place (os.replace); the next call sees a new version and attaches the new
file, while queries already running finish on the old one. Attaching into a
fresh in-memory database also avoids DuckDB's per-path instance cache, which
can hand back stale data when the same path is connected twice (duckdb#15912).
"""
from __future__ import annotations

import os
from pathlib import Path

import duckdb

from etl import settings
from etl.errors import WarehouseDamaged


class WarehouseMissing(FileNotFoundError):
    """No warehouse file yet: run `shinchoku build`."""


class WarehouseOutdated(WarehouseMissing):
    """A warehouse written by an older version of Shinchoku: `shinchoku build` rebuilds it, keeping its history."""


def version(path: Path | None = None) -> tuple[int, int, int]:
    """(inode, size, mtime_ns) of the warehouse file: changes whenever a build or load swaps it."""
    p = settings.warehouse_path(path)
    try:
        st = os.stat(p)
    except FileNotFoundError as e:
        raise WarehouseMissing(f"{p}: no warehouse yet; run `shinchoku build`") from e
    return st.st_ino, st.st_size, st.st_mtime_ns


def holds_file_open() -> bool:
    """Whether the dashboard may keep the warehouse attached between queries. Not on Windows, where an
    open file cannot be replaced: there each query attaches and releases it, so a load can swap the file
    in a gap (etl.observations.store.replace_file). $SHINCHOKU_RELEASE_FILE=1 forces that mode anywhere."""
    return os.name != "nt" and os.environ.get("SHINCHOKU_RELEASE_FILE", "") in ("", "0")


def connect_readonly(path: Path | None = None, threads: int = 2, memory_limit: str = "1GB") -> duckdb.DuckDBPyConnection:
    """An in-memory connection with the warehouse attached READ_ONLY as the default database."""
    p = settings.warehouse_path(path)
    if not p.exists():
        raise WarehouseMissing(f"{p}: no warehouse yet; run `shinchoku build`")
    # No replacement scans: a query must never read a Python variable that shares a view's name.
    config = {"threads": threads, "memory_limit": memory_limit, "python_enable_replacements": False}
    con = duckdb.connect(":memory:", config=config)
    try:
        con.execute("ATTACH ? AS wh (READ_ONLY)", [str(p)])
    except duckdb.Error as e:
        con.close()
        raise WarehouseDamaged.opening(p, e) from None
    con.execute("USE wh")
    try:
        found = con.execute("select value from core.build_info where key = 'schema_version'").fetchall()
    except duckdb.Error:
        found = []
    if found != [(settings.SCHEMA_VERSION,)]:
        con.close()
        raise WarehouseOutdated(f"{p}: 古い形式のデータウェアハウスです(形式 {found[0][0] if found else '不明'}、"
                                f"必要な形式 {settings.SCHEMA_VERSION})。`shinchoku build` で作り直してください"
                                "(読み込んだ実績の履歴は引き継がれます。デモのファイルは、元のデータウェアハウスを"
                                "作り直してから `shinchoku demo --force` で作り直します)")
    return con


def cursor(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """A cursor for one thread, pointed at the attached warehouse (a cursor starts in the memory catalog)."""
    cur = con.cursor()
    cur.execute("USE wh")
    return cur
