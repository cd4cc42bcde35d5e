"""Writing to the warehouse while readers keep reading: copy, write, swap.

DuckDB lets one process write a file, and not while other processes hold it
open. The dashboard holds read-only connections all day, so a writer never
writes into the live file: under an exclusive lock file (writers queue, never
lose each other's batches) it copies the warehouse, writes the batch into the
copy inside one transaction, checkpoints and closes it, and os.replace()s it
into place. Readers with an open connection finish on the old file; the next
connection sees the new one. A crash at any point leaves the live file as it
was; the copy is removed.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pandas as pd
import pyarrow as pa

from etl import settings

JST = ZoneInfo("Asia/Tokyo")
HISTORY_TABLES = ("obs_batches", "observations", "obs_quarantine")


def now_jst() -> dt.datetime:
    """The current time in Japan, without time zone (loaded_at is stored as JST wall time)."""
    return dt.datetime.now(JST).replace(tzinfo=None, microsecond=0)


@contextlib.contextmanager
def writer_lock(path: Path) -> Iterator[None]:
    """Exclusive lock for everything that replaces the warehouse file (builds and loads)."""
    lock_path = path.with_name(path.name + ".lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    with open(lock_path, "a+") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def temp_path(path: Path) -> Path:
    return path.with_name(f".{path.name}.write-{os.getpid()}.tmp")


@contextlib.contextmanager
def swapped(path: Path, copy: bool = True) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-write connection to a copy of the warehouse that replaces it atomically on success.

    Call under writer_lock. With copy=False the new file starts empty (a build).
    """
    tmp = temp_path(path)
    tmp.unlink(missing_ok=True)
    if copy:
        shutil.copyfile(path, tmp)
    con = duckdb.connect(str(tmp))
    try:
        yield con
        con.execute("checkpoint")
        con.close()
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(Exception):
            con.close()
        tmp.unlink(missing_ok=True)
        Path(str(tmp) + ".wal").unlink(missing_ok=True)


def carry_over_history(old: Path, con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Copy loaded observation batches from the previous warehouse into a new build: history is never lost."""
    if not old.exists():
        return {t: 0 for t in HISTORY_TABLES}
    con.execute("attach ? as previous (read_only)", [str(old)])
    try:
        present = {r[0] for r in con.execute(
            "select table_name from duckdb_tables() where database_name = 'previous' and schema_name = 'core'").fetchall()}
        counts = {}
        for t in HISTORY_TABLES:
            if t in present:
                con.execute(f"insert into core.{t} by name select * from previous.core.{t}")
            counts[t] = con.execute(f"select count(*) from core.{t}").fetchone()[0]
        return counts
    finally:
        con.execute("detach previous")


def next_batch_id(con: duckdb.DuckDBPyConnection) -> int:
    return con.execute("select coalesce(max(batch_id), 0) + 1 from core.obs_batches").fetchone()[0]


def find_batch_by_hash(con: duckdb.DuckDBPyConnection, sha256: str) -> int | None:
    row = con.execute("select min(batch_id) from core.obs_batches where sha256 = ?", [sha256]).fetchone()
    return row[0] if row and row[0] is not None else None


def insert_batch(con: duckdb.DuckDBPyConnection, batch: dict, valid: pd.DataFrame, rejected: pd.DataFrame,
                 refresh: bool = True) -> int:
    """Insert one batch (its header, observations and quarantined rows); returns its id.

    refresh=False leaves revisions to one refresh_revisions(con) call after many batches.
    """
    batch_id = next_batch_id(con)
    con.execute(
        """insert into core.obs_batches (batch_id, file_name, sha256, loaded_at, loaded_by, mode, rows_total, rows_valid,
                                         rows_rejected, rows_loaded, is_synthetic, note)
           values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""",
        [batch_id, batch["file_name"], batch["sha256"], batch["loaded_at"], batch["loaded_by"], batch["mode"],
         batch["rows_total"], batch["rows_valid"], batch["rows_rejected"], len(valid), batch.get("is_synthetic", False),
         batch.get("note")],
    )
    if len(valid):
        frame = valid.assign(batch_id=batch_id, is_synthetic=batch.get("is_synthetic", False))
        if "sheet" not in frame:
            frame["sheet"] = None
        # Arrow hands the (categorical) columns to DuckDB without a per-row Python conversion
        con.register("frame", pa.Table.from_pandas(frame.rename(columns={"row": "row_number"}), preserve_index=False))
        con.execute("""insert into core.observations by name
                       select batch_id, kpi_id, area_code, area_level, period, fiscal_year, month, period_end, value,
                              source, note, sheet, row_number, is_synthetic from frame""")
        con.unregister("frame")
        if refresh:
            refresh_revisions(con, batch_id)
    if len(rejected):
        frame = rejected.assign(batch_id=batch_id).rename(columns={"row": "row_number"})
        con.register("frame", frame)
        con.execute("""insert into core.obs_quarantine by name
                       select batch_id, sheet, row_number, kpi_id, area, period, value, unit, source, note, reasons
                       from frame""")
        con.unregister("frame")
    return batch_id


def refresh_revisions(con: duckdb.DuckDBPyConnection, batch_id: int | None = None) -> None:
    """Derive revision and superseded_at for the keys a batch touched (every key when batch_id is None),
    then the per-area totals of those keys (core.area_totals).

    Only keys holding more than one value need work: a single value is revision 1 and in force (the
    column defaults), which keeps a national-scale load from ranking millions of rows it did not revise.
    """
    if batch_id is None:
        con.execute("""
            create or replace temp table revision_keys as
            select kpi_id, area_code, period from (
                select kpi_id, area_code, period from core.observations
                union all
                select kpi_id, area_code, period from core.document_observations
            ) group by all having count(*) > 1""")
    else:
        # a batch revises a key only if another row holds it; look among the rows of the batch's
        # KPI × period pairs first (a new month's submission has none)
        con.execute("""
            create or replace temp table revision_keys as
            with batch as (select kpi_id, area_code, period from core.observations where batch_id = $b),
            pairs as (select distinct kpi_id, period from batch),
            others as (
                select kpi_id, area_code, period from core.observations semi join pairs using (kpi_id, period)
                where batch_id <> $b
                union all
                select kpi_id, area_code, period from core.document_observations semi join pairs using (kpi_id, period)
            )
            select distinct kpi_id, area_code, period from others semi join batch using (kpi_id, area_code, period)""",
                    {"b": int(batch_id)})
    con.execute(settings.warehouse_sql("refresh_revisions.sql"))
    if batch_id is None:
        keys = """select kpi_id, area_level, period from core.observations where area_level <> 'national'
                  union
                  select kpi_id, area_level, period from core.document_observations where area_level <> 'national'"""
    else:
        keys = f"""select distinct kpi_id, area_level, period from core.observations
                   where area_level <> 'national' and batch_id = {int(batch_id)}"""
    con.execute(f"create or replace temp table total_keys as {keys}")
    con.execute(settings.warehouse_sql("refresh_area_totals.sql"))
