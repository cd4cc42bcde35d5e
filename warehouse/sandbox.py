"""The analysts' SQL box: a connection that can only read the warehouse, with row and time limits.

read_only alone still lets DuckDB read any file (read_csv('/etc/passwd')) and COPY … TO anywhere, so
the connection is an in-memory database that attaches the warehouse READ_ONLY, then turns off
external access, extension loading and further configuration (lock_configuration).
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from etl import settings

MAX_ROWS = 10_000
TIMEOUT_S = 10.0


@dataclass
class Result:
    frame: pd.DataFrame
    truncated: bool
    seconds: float


class QueryRefused(Exception):
    """The query failed, was refused by the sandbox or ran out of time; the message is for the user."""


def sandbox_connection(path: Path | None = None) -> duckdb.DuckDBPyConnection:
    p = settings.warehouse_path(path)
    con = duckdb.connect(":memory:", config={
        "autoinstall_known_extensions": False, "autoload_known_extensions": False,
        "threads": 1, "memory_limit": "512MB", "python_enable_replacements": False,
    })
    con.execute("ATTACH ? AS wh (READ_ONLY)", [str(p)])
    con.execute("USE wh")
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")
    return con


def run_query(con: duckdb.DuckDBPyConnection, sql: str, max_rows: int = MAX_ROWS, timeout_s: float = TIMEOUT_S) -> Result:
    """Run one statement; at most max_rows rows; interrupted after timeout_s seconds."""
    import time

    timer = threading.Timer(timeout_s, con.interrupt)
    start = time.perf_counter()
    timer.start()
    try:
        rel = con.sql(sql)
        if rel is None:
            raise QueryRefused("結果を返す SELECT 文だけを実行できます")
        frame = rel.limit(max_rows + 1).df()
    except duckdb.InterruptException:
        raise QueryRefused(f"{timeout_s:.0f}秒以内に終わらなかったため中断しました") from None
    except duckdb.Error as e:
        raise QueryRefused(str(e).splitlines()[0]) from None
    finally:
        timer.cancel()
    return Result(frame.head(max_rows), len(frame) > max_rows, time.perf_counter() - start)
