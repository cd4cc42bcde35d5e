"""The analysts' SQL box: one read-only query over the documented views, in a child process under limits.

Three layers:
1. DuckDB's own parse decides what the text is (never a regex): exactly one statement, of type SELECT,
   whose table references are the documented views, table macros, CTEs or a few harmless generators,
   and which calls no function that reveals settings or paths. This stops COPY/ATTACH/EXPORT/SET and
   read_blob/read_csv/duckdb_databases() before anything runs; it matters because DuckDB adds the
   attached warehouse file to allowed_paths once external access is off.
2. The connection: an in-memory database with the warehouse attached READ_ONLY, external access,
   extension loading, spilling (no temp directory) and further configuration turned off.
3. The process (etl.isolation): a memory cap (RLIMIT_DATA, RLIMIT_AS), a wall-clock kill, no file writes (RLIMIT_FSIZE
   0) and a private working directory, so no function, however slow or greedy, can hurt the server.
Messages are Japanese, with DuckDB's detail line (every server path removed) beside them; the result
is turned into the display table and the CSV/Parquet files in the worker too.
"""
from __future__ import annotations

import io
import json
import logging
import re
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from etl import isolation, settings

MAX_ROWS = 10_000
TIMEOUT_S = 10.0
MEMORY_BYTES = 512 * isolation.MiB
MAX_SQL_CHARS = 20_000
MAX_RESULT_BYTES = 16 * isolation.MiB  # display frame, CSV and Parquet together: the server holds it per tab
# Table functions an analyst may call besides the warehouse's own table macros: generators only.
SAFE_TABLE_FUNCTIONS = frozenset({"range", "generate_series", "unnest"})
# Catalog names that must never be read, even under a CTE of the same name (belt and braces).
SYSTEM_PREFIXES = ("duckdb_", "pragma_", "pg_", "sqlite_", "information_schema")
SYSTEM_NAMES = frozenset({"tables", "columns", "schemata", "views"})
# Scalar functions that reveal settings, paths, the catalog or the query text, or that plan SQL handed
# to them as a string (json_serialize_plan would evaluate current_setting() unseen by this check).
# Every macro of DuckDB's pg_catalog schema is refused too (pg_get_viewdef reads duckdb_views()).
DENIED_FUNCTIONS = frozenset({
    "current_setting", "getenv", "getvariable", "current_database", "current_catalog", "current_schema",
    "current_schemas", "current_query", "current_user", "current_role", "session_user", "user", "in_search_path",
    "get_block_size", "json_serialize_plan", "json_serialize_sql", "json_deserialize_sql",
    "json_execute_serialized_sql", "enable_profile", "disable_profile", "extension_versions", "which_secret",
})
DENIED_FRAGMENTS = ("duckdb_", "pragma_", "serializ", "secret", "setting")
ERROR_KINDS = {  # DuckDB exception class → what it means for the analyst
    "ParserException": "SQLの構文に誤りがあります",
    "CatalogException": "表・ビュー・関数が見つかりません",
    "BinderException": "列名・関数・型の使い方に誤りがあります",
    "ConversionException": "値の型を変換できません",
    "InvalidInputException": "入力値に誤りがあります",
    "OutOfRangeException": "値が範囲を超えています",
    "PermissionException": "この操作は許可されていません",
    "InterruptException": "中断しました",
    "NotImplementedException": "この書き方にはDuckDBが対応していません",
}


# Column types shown and downloaded as they are; every other type (lists, structs, maps, dates and
# times, intervals, blobs, UUIDs) is shown as DuckDB's text of it, so that no value can break the
# table, the CSV or the server (deep nesting, 'infinity'::timestamp, maps with non-text keys).
PLAIN_TYPES = frozenset({"boolean", "tinyint", "smallint", "integer", "bigint", "hugeint", "utinyint", "usmallint",
                         "uinteger", "ubigint", "uhugeint", "float", "double", "decimal", "varchar", "enum"})


@dataclass
class Result:
    frame: pd.DataFrame  # for display: plain types only
    truncated: bool
    seconds: float  # the query's own run time in the worker (not the wait for a free worker)
    csv: bytes = b""  # the displayed rows, formula-like text made inert
    parquet: bytes | None = None  # the rows with their original types (None when Parquet cannot hold them)


class QueryRefused(Exception):
    """The query failed, was refused by the sandbox or hit a limit; str() is Japanese, for the user."""

    def __init__(self, message: str, detail: str | None = None):
        super().__init__(message, detail)
        self.message, self.detail = message, detail

    def __str__(self) -> str:
        return self.message + (f"({self.detail})" if self.detail else "")


def _scrub(text: str, secrets: list[str]) -> str:
    """DuckDB's message without server paths (the warehouse path must not be revealed to visitors)."""
    for s in sorted({s for s in secrets if s}, key=len, reverse=True):
        text = text.replace(s, "…")
    return re.sub(r"(?<![\w.])(?:[A-Za-z]:)?[/\\](?:[^\s\"'/\\]+[/\\])+[^\s\"']*", "…", text)


def _scrub_values(frame: pd.DataFrame, secrets: list[str]) -> bool:
    """Server paths in result values replaced by '…' (belt and braces behind the function check);
    True when any value was changed."""
    changed = False
    for c in frame.columns:
        if not (frame[c].dtype == object or str(frame[c].dtype) in ("str", "string")):
            continue
        hit = frame[c].map(lambda v: isinstance(v, str) and any(x in v for x in secrets)).to_numpy(dtype=bool)
        if hit.any():
            frame[c] = frame[c].astype(object)
            frame.loc[hit, c] = frame.loc[hit, c].map(lambda v: _scrub(v, secrets))
            changed = True
    return changed


def _walk(node, scope: frozenset, found: dict) -> None:
    """Walk the JSON of DuckDB's parse tree, collecting what the query reads and calls.

    scope: the CTE names visible at this node. A CTE is visible only inside the query that defines it
    (to its body, its subqueries and the CTEs defined after it), never outside: an unqualified name
    outside that scope binds to DuckDB's catalog, where pg_settings or duckdb_databases would answer.
    """
    if isinstance(node, list):
        for v in node:
            _walk(v, scope, found)
        return
    if not isinstance(node, dict):
        return
    entries = (node.get("cte_map") or {}).get("map") or [] if isinstance(node.get("cte_map"), dict) else []
    names = [str(e.get("key", "")).lower() for e in entries if isinstance(e, dict)]
    for i, e in enumerate(entries):  # each CTE sees the ones before it, and itself only when recursive
        recursive = ((e.get("value") or {}).get("query_node") or {}).get("type") == "RECURSIVE_CTE_NODE"
        _walk(e, scope | set(names[: i + 1 if recursive else i]), found)
    scope = scope | set(names)
    kind = node.get("type")
    if kind == "BASE_TABLE":
        found["tables"].append((node.get("catalog_name", ""), node.get("schema_name", ""), node.get("table_name", ""), scope))
    elif kind == "SHOW_REF":
        found["shows"].append(node.get("table_name", ""))
    elif kind == "TABLE_FUNCTION":
        found["table_functions"].append((node.get("function") or {}).get("function_name", ""))
        node = {k: v for k, v in node.items() if k != "function"} | {
            "function": {k: v for k, v in (node.get("function") or {}).items() if k != "function_name"}}
    elif kind == "FUNCTION" or node.get("class") == "FUNCTION":
        found["functions"].append(node.get("function_name", ""))
    for k, v in node.items():
        if k != "cte_map":
            _walk(v, scope, found)


def check_query(con, sql: str) -> str:
    """Refuse anything but one read-only SELECT over the warehouse's documented surface (QueryRefused);
    returns the statement's text as DuckDB parsed it (no trailing semicolon)."""
    import duckdb

    try:
        statements = con.extract_statements(sql)
    except duckdb.Error as e:
        raise QueryRefused(ERROR_KINDS["ParserException"], str(e).splitlines()[0]) from None
    if len(statements) != 1:
        raise QueryRefused("一度に実行できるのは1つのSELECT文だけです" if statements else "SQLが空です")
    if statements[0].type == duckdb.StatementType.MULTI:  # PIVOT/UNPIVOT create types before selecting
        raise QueryRefused("PIVOT / UNPIVOT には対応していません。GROUP BY と集計関数の FILTER 句で書いてください")
    if statements[0].type != duckdb.StatementType.SELECT:
        raise QueryRefused(f"読み取り(SELECT)以外の文は実行できません({statements[0].type.name})")
    tree = json.loads(con.execute("select json_serialize_sql(?::varchar)", [sql]).fetchone()[0])
    if tree.get("error"):
        raise QueryRefused("読み取り(SELECT)以外の文は実行できません", tree.get("error_message"))
    views = {r[0].lower() for r in con.execute(
        "select view_name from duckdb_views() where database_name = 'wh' and schema_name = 'main' and not internal").fetchall()}
    catalog_macros = {r[0].lower() for r in con.execute(
        "select function_name from duckdb_functions() where schema_name = 'pg_catalog'").fetchall()}
    macros = {r[0].lower() for r in con.execute(
        "select function_name from duckdb_functions() where database_name = 'wh' and schema_name = 'main'"
        " and function_type = 'table_macro'").fetchall()}
    found = {"tables": [], "shows": [], "table_functions": [], "functions": []}
    _walk(tree, frozenset(), found)
    for catalog, schema, name, ctes in found["tables"]:
        low = name.lower()
        system_name = low.startswith(SYSTEM_PREFIXES) or low in SYSTEM_NAMES or any(c in low for c in "/\\.")
        if catalog.lower() not in ("", "wh") or schema.lower() not in ("", "main") or system_name or \
                low not in views | (ctes if not catalog and not schema else set()):
            shown = ".".join(p for p in (catalog, schema, name) if p)
            raise QueryRefused(f"「{shown}」は照会できません。docs/schema.md に載っているビューだけを使えます")
    for name in found["shows"]:  # SHOW/DESCRIBE/SUMMARIZE of a query (walked above) or SHOW TABLES
        if name and name.strip('"').lower() != "tables":
            raise QueryRefused("SHOW は SHOW TABLES(ビューの一覧)と DESCRIBE / SUMMARIZE だけが使えます")
    for name in found["table_functions"]:
        if name.lower() not in macros | SAFE_TABLE_FUNCTIONS:
            raise QueryRefused(f"表関数「{name}」は使えません。使えるのはウェアハウスのマクロ(…_as_of)と range / unnest です")
    for name in found["functions"]:
        low = name.lower()
        if low in DENIED_FUNCTIONS or low in catalog_macros or any(f in low for f in DENIED_FRAGMENTS):
            raise QueryRefused(f"関数「{name}」は使えません")
    return statements[0].query


def _connect(path: str):
    import duckdb

    con = duckdb.connect(":memory:", config={
        "autoinstall_known_extensions": False, "autoload_known_extensions": False, "threads": 1,
        "memory_limit": f"{MEMORY_BYTES // 2 // isolation.MiB}MB", "python_enable_replacements": False,
        "temp_directory": "",  # no spilling: nothing is ever written, and no directory becomes writable
    })
    con.execute("ATTACH ? AS wh (READ_ONLY)", [path])
    con.execute("USE wh")
    return con


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _execute(path: str, sql: str, max_rows: int) -> Result:
    """Runs in the child process: check, lock down, run, fetch at most max_rows + 1 rows, and build the
    display frame and the downloads here, under the child's limits, not in the server."""
    import duckdb
    import pyarrow.parquet as pq

    from etl.safety import csv_bytes

    secrets = [path, str(Path(path).parent), str(settings.ROOT), tempfile.gettempdir()]
    try:
        con = _connect(path)
        statement = check_query(con, sql)
        con.execute("SET enable_external_access = false")
        con.execute("SET lock_configuration = true")
        start = time.perf_counter()
        # the checked statement as a subquery: duplicate column names get unique ones, and the row limit holds
        # (kept in memory once, then read twice: as text for display, with its types for Parquet)
        con.execute(f"create temp table query_result as select * from (\n{statement}\n) as q limit {int(max_rows) + 1}")
        base = con.table("query_result")
        shown = ", ".join(_quote(c) if t.id in PLAIN_TYPES else f"{_quote(c)}::varchar as {_quote(c)}"
                          for c, t in zip(base.columns, base.types))
        frame = base.project(shown).df()
        seconds = time.perf_counter() - start
    except QueryRefused as e:
        raise QueryRefused(e.message, _scrub(e.detail, secrets) if e.detail else None) from None
    except duckdb.OutOfMemoryException:
        raise
    except duckdb.Error as e:
        kind = ERROR_KINDS.get(type(e).__name__, "実行中にエラーが発生しました")
        raise QueryRefused(kind, _scrub(str(e).splitlines()[0], secrets)) from None
    except RecursionError:
        raise QueryRefused("式や値の入れ子が深すぎます") from None
    truncated = len(frame) > max_rows
    frame = frame.head(max_rows)
    if _scrub_values(frame, [path, str(Path(path).parent), str(settings.ROOT)]):
        return Result(frame, truncated, seconds, csv_bytes(frame), None)  # no Parquet of unscrubbed values
    buf = io.BytesIO()
    try:
        pq.write_table(con.sql(f"select * from query_result limit {int(max_rows)}").to_arrow_table(), buf)
        parquet = buf.getvalue()
    except Exception:  # noqa: BLE001 - a type Parquet cannot hold: the CSV still has the rows
        parquet = None
    return Result(frame, truncated, seconds, csv_bytes(frame), parquet)


def run_query(sql: str, path: Path | None = None, max_rows: int = MAX_ROWS, timeout_s: float = TIMEOUT_S,
              memory_bytes: int = MEMORY_BYTES) -> Result:
    """Run one analyst query in a child process; at most max_rows rows, timeout_s seconds, memory_bytes."""
    if len(sql) > MAX_SQL_CHARS:
        raise QueryRefused(f"SQLが長すぎます(最大 {MAX_SQL_CHARS:,} 文字)")
    p = settings.warehouse_path(path)
    if not p.exists():
        raise QueryRefused("データウェアハウスがまだ作成されていません")
    limits = isolation.Limits(memory_bytes=memory_bytes, seconds=timeout_s, max_result_bytes=MAX_RESULT_BYTES)
    try:
        return isolation.run(_execute, str(p), sql, max_rows, limits=limits)
    except isolation.LimitExceeded as e:
        raise QueryRefused(str(e)) from None
    except QueryRefused:
        raise
    except Exception as e:  # noqa: BLE001 - anything else from the worker: a message, never a traceback
        logging.getLogger(__name__).warning("SQL worker failed: %r", e)
        raise QueryRefused("実行中にエラーが発生しました") from None
