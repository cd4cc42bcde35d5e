"""Writing to the warehouse while readers keep reading: copy, write, swap.

DuckDB lets one process write a file, and not while other processes hold it
open. The dashboard holds read-only connections all day, so a writer never
writes into the live file: under an exclusive lock file (writers queue, never
lose each other's batches) it copies the warehouse, writes the batch into the
copy inside one transaction, checkpoints and closes it, and os.replace()s it
into place. Readers with an open connection finish on the old file; the next
connection sees the new one. A crash at any point leaves the live file as it
was; the copy is removed.

Every swap keeps the file it replaces as a generation (a hard link, so it costs no copy) in
<warehouse>.generations/; `shinchoku restore` brings one back. Temporary copies left by killed writers
are removed by the next writer, and a writer that cannot get the lock in time says who holds it.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import filelock
import pandas as pd
import pyarrow as pa

from etl import settings
from etl.errors import ShinchokuError, WarehouseBusy, WarehouseDamaged
from etl.text import date_to_wareki

JST = ZoneInfo("Asia/Tokyo")
HISTORY_TABLES = ("obs_batches", "observations", "obs_quarantine", "kpi_comments", "datacall_forms", "datacall_form_rows",
                  "datacall_replies", "schedule_reports")
LOCK_TIMEOUT_S = 120.0  # override with $SHINCHOKU_LOCK_TIMEOUT
SWAP_TIMEOUT_S = 30.0  # override with $SHINCHOKU_SWAP_TIMEOUT


def replace_file(tmp: Path, path: Path, timeout_s: float | None = None) -> None:
    """os.replace(tmp, path), waiting while a reader holds path open.

    On POSIX a reader never blocks the swap: it keeps reading the old file. Windows refuses to replace a
    file another process has open, so there the dashboard releases the file between queries
    (warehouse.db.holds_file_open) and this retries until a gap, for at most timeout_s (default
    $SHINCHOKU_SWAP_TIMEOUT or 30 s); then it stops with WarehouseBusy and the live file is unchanged.
    """
    if timeout_s is None:
        timeout_s = float(os.environ.get("SHINCHOKU_SWAP_TIMEOUT", SWAP_TIMEOUT_S))
    deadline, pause = time.monotonic() + timeout_s, 0.05
    while True:
        try:
            os.replace(tmp, path)
            return
        except PermissionError:
            if time.monotonic() >= deadline:
                raise WarehouseBusy(f"{path}: ほかのプロセスがファイルを開いたままのため、{timeout_s:g}秒以内に置き換えられませんでした"
                                    "(Windows では読み取り中のファイルを置き換えられません)。読み取っているツールを閉じてから、"
                                    "もう一度実行してください。データウェアハウスは変更されていません") from None
            time.sleep(pause)
            pause = min(pause * 2, 1.0)
KEEP_GENERATIONS = 3  # override with $SHINCHOKU_KEEP_GENERATIONS


def now_jst() -> dt.datetime:
    """The current time in Japan, without time zone (loaded_at is stored as JST wall time)."""
    return dt.datetime.now(JST).replace(tzinfo=None, microsecond=0)


def _owner_path(path: Path) -> Path:
    return path.with_name(path.name + ".lock.owner")


@contextlib.contextmanager
def writer_lock(path: Path, timeout_s: float | None = None) -> Iterator[None]:
    """Exclusive lock for everything that replaces the warehouse file (builds, loads, restores).

    Waits at most timeout_s (default $SHINCHOKU_LOCK_TIMEOUT or 120 s), then raises WarehouseBusy naming
    the holder. Under the lock, temporary copies left by writers that died are removed.
    """
    if timeout_s is None:
        timeout_s = float(os.environ.get("SHINCHOKU_LOCK_TIMEOUT", LOCK_TIMEOUT_S))
    lock_path = path.with_name(path.name + ".lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    # FileLock is the OS's own lock (fcntl on POSIX, msvcrt on Windows). A warehouse on a network share
    # (SMB, NFS) may not honour it: SHINCHOKU_SOFT_LOCK=1 uses a lock file's existence instead.
    kind = filelock.SoftFileLock if os.environ.get("SHINCHOKU_SOFT_LOCK", "") not in ("", "0") else filelock.FileLock
    lock = kind(lock_path, timeout=timeout_s)
    try:
        lock.acquire()
    except filelock.Timeout:
        raise WarehouseBusy(f"{path}: 別の書き込み({holder(path)})が{timeout_s:g}秒以内に終わらなかったため中止しました。"
                            "その処理が終わってから、もう一度実行してください") from None
    owner = _owner_path(path)
    try:
        owner.write_text(json.dumps({"pid": os.getpid(), "since": now_jst().isoformat(sep=" ")}), encoding="utf-8")
        remove_stale_copies(path)
        yield
    finally:
        owner.unlink(missing_ok=True)
        lock.release()


def holder(path: Path) -> str:
    """Who holds the writer lock, in Japanese, as far as its owner file tells."""
    try:
        info = json.loads(_owner_path(path).read_text(encoding="utf-8"))
        since = dt.datetime.fromisoformat(info["since"])
        return f"プロセス {int(info['pid'])}、{date_to_wareki(since.date())} {since:%H:%M:%S} から"
    except (OSError, ValueError, KeyError, TypeError):
        return "保持者不明"


def remove_stale_copies(path: Path) -> list[Path]:
    """Temporary copies of writers that died (killed builds or loads); call under writer_lock, when no
    other writer can be running. Returns what was removed."""
    removed = []
    for p in path.parent.glob(f".{path.name}.write-*.tmp*"):
        if not str(p).startswith(str(temp_path(path))):  # this writer's own copy and its .wal stay
            p.unlink(missing_ok=True)
            removed.append(p)
    return removed


def generations_dir(path: Path) -> Path:
    return path.with_name(path.name + ".generations")


def keep_generation(path: Path, label: str = "") -> Path | None:
    """Keep the current file as a generation (hard link where possible) and prune to KEEP_GENERATIONS."""
    if not path.exists():
        return None
    folder = generations_dir(path)
    folder.mkdir(exist_ok=True)
    kept = folder / f"{dt.datetime.now(JST):%Y%m%dT%H%M%S.%f}-{os.getpid()}{label}.duckdb"  # JST, sortable
    kept.unlink(missing_ok=True)
    try:
        os.link(path, kept)
    except OSError:  # file systems without hard links
        shutil.copyfile(path, kept)
    keep = int(os.environ.get("SHINCHOKU_KEEP_GENERATIONS", KEEP_GENERATIONS))
    for old in generations(path)[keep:]:
        old.unlink(missing_ok=True)
    return kept


def generations(path: Path) -> list[Path]:
    """Kept generations, newest first."""
    folder = generations_dir(path)
    return sorted(folder.glob("*.duckdb"), key=lambda p: p.name, reverse=True) if folder.exists() else []


def check_warehouse(path: Path) -> None:
    """Raise WarehouseDamaged (naming the recovery command) when path is not a readable warehouse."""
    try:
        con = duckdb.connect(":memory:")
        try:
            con.execute("attach ? as w (read_only)", [str(path)])
            con.execute("select count(*) from w.core.build_info").fetchone()
        finally:
            con.close()
    except duckdb.Error as e:
        raise WarehouseDamaged.opening(path, e) from None


def restore(path: Path, generation: Path | None = None) -> Path:
    """Put a kept generation back in place (the newest readable one by default); returns it.

    The file it replaces is kept as a generation too (marked -damaged when it cannot be read), so a
    restore can itself be undone.
    """
    with writer_lock(path):
        candidates = [generation] if generation else generations(path)
        chosen = None
        for g in candidates:
            try:
                check_warehouse(g)
                chosen = g
                break
            except WarehouseDamaged:
                continue
        if chosen is None:
            raise ShinchokuError(f"{path}: 戻せる世代がありません(読める世代が {generations_dir(path)} にありません)")
        if path.exists():
            try:
                check_warehouse(path)
                label = "-before-restore"
            except WarehouseDamaged:
                label = "-damaged"
            keep_generation(path, label)
        tmp = temp_path(path)
        shutil.copyfile(chosen, tmp)
        replace_file(tmp, path)
        return chosen


def temp_path(path: Path) -> Path:
    return path.with_name(f".{path.name}.write-{os.getpid()}.tmp")


@contextlib.contextmanager
def swapped(path: Path, copy: bool = True, copy_from: Path | None = None) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-write connection to a copy of the warehouse that replaces it atomically on success.

    Call under writer_lock. With copy=False the new file starts empty (a build); copy_from: copy that
    file instead of the warehouse itself (the demo). The replaced file is kept as a generation.
    """
    tmp = temp_path(path)
    tmp.unlink(missing_ok=True)
    if copy:
        if copy_from is None:
            check_warehouse(path)
        shutil.copyfile(copy_from or path, tmp)
    con = duckdb.connect(str(tmp))
    try:
        yield con
        con.execute("checkpoint")
        con.close()
        keep_generation(path)
        replace_file(tmp, path)
    finally:
        with contextlib.suppress(Exception):
            con.close()
        tmp.unlink(missing_ok=True)
        Path(str(tmp) + ".wal").unlink(missing_ok=True)


def carry_over_history(old: Path, con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Copy loaded observation batches from the previous warehouse into a new build: history is never lost."""
    if not old.exists():
        return {t: 0 for t in HISTORY_TABLES}
    check_warehouse(old)  # a damaged warehouse must be restored, never silently rebuilt without its history
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


def skip_if_loaded(con: duckdb.DuckDBPyConnection, report) -> bool:
    """True (and the report says so) when a file with the same SHA-256 was loaded before: loading the same
    file again changes nothing. `report`: an observation file's or a data-call reply's report."""
    earlier = find_batch_by_hash(con, report.sha256)
    if earlier is None:
        return False
    report.status, report.batch_id = "already_loaded", earlier
    report.message = f"同じ内容のファイルは読込番号 {earlier} で読み込み済みです(変更なし)"
    return True


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


COMMENT_COLUMNS = ("kpi_id", "area_code", "period", "progress", "next_steps", "office", "person", "sheet", "row_number")
REPORT_COLUMNS = ("item_id", "period", "state", "note", "sheet", "row_number")


def _insert_rows(con: duckdb.DuckDBPyConnection, table: str, columns: tuple[str, ...], rows: pd.DataFrame,
                 batch_id: int, is_synthetic: bool) -> int:
    """Add rows of a batch to a history table of core (never updated: a later batch's row is a revision)."""
    if rows.empty:
        return 0
    frame = rows.reindex(columns=list(columns)).assign(batch_id=batch_id, is_synthetic=is_synthetic)
    con.register("batch_rows", frame)
    try:
        con.execute(f"insert into core.{table} by name select * from batch_rows")
    finally:
        con.unregister("batch_rows")
    return len(frame)


def insert_comments(con: duckdb.DuckDBPyConnection, batch_id: int, comments: pd.DataFrame, is_synthetic: bool = False) -> int:
    """Add the commentary rows of a batch (core.kpi_comments); a later batch's row on the same key is its
    next revision (view kpi_comments_history). Returns the number of rows."""
    return _insert_rows(con, "kpi_comments", COMMENT_COLUMNS, comments, batch_id, is_synthetic)


def insert_schedule_reports(con: duckdb.DuckDBPyConnection, batch_id: int, reports: pd.DataFrame,
                            is_synthetic: bool = False) -> int:
    """Add the schedule items' reported states of a batch (core.schedule_reports). Returns the number of rows."""
    return _insert_rows(con, "schedule_reports", REPORT_COLUMNS, reports, batch_id, is_synthetic)


def refresh_revisions(con: duckdb.DuckDBPyConnection, batch_id: int | None = None) -> None:
    """Derive revision and superseded_at for the keys a batch touched (every key when batch_id is None),
    then the per-area totals of those keys (core.area_totals) and the coverage (core.obs_coverage, obs_periods).

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
    if batch_id is None:
        con.execute("delete from core.obs_coverage; delete from core.obs_periods")
        rows = "select kpi_id, area_code, period, is_synthetic from core.observations"
    else:
        rows = f"select kpi_id, area_code, period, is_synthetic from core.observations where batch_id = {int(batch_id)}"
    con.execute(f"create or replace temp view coverage_rows as {rows}")
    con.execute(settings.warehouse_sql("refresh_coverage.sql"))
