"""`shinchoku observations load`: validate observation files and add them to the warehouse as batches.

By default a file loads all-or-nothing: one invalid row and nothing of that file
is written. With accept_valid the valid rows are loaded and the rejected rows
are kept, as typed, in the quarantine. A file whose SHA-256 was loaded before
is recognised and not loaded again.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import getpass
import hashlib
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import duckdb
import pandas as pd

from etl import isolation, settings
from etl.observations import store
from etl.observations.read import ObservationFileError, read_file
from etl.observations.validate import Validated, validate_sheet
from warehouse.db import WarehouseMissing

KPI_META_SQL = """select kpi_id, area_level, unit, obs_fy_min, obs_fy_max,
                         target_kind = 'milestone' and direction = 'unknown' as is_deed,
                         area_level <> 'national' and aggregation in ('sum', 'count') as is_flag from kpis"""
# An uploaded file is checked and loaded in a child process under these limits (etl.isolation), so that
# no file can take the dashboard's server down; the 20 MB upload limit keeps genuine files far below them.
CHECK_LIMITS = isolation.Limits(memory_bytes=2048 * isolation.MiB, seconds=120, max_result_bytes=256 * isolation.MiB,
                                pool="upload", queue_seconds=120)
LOAD_LIMITS = isolation.Limits(memory_bytes=3072 * isolation.MiB, seconds=600, may_write_files=True,
                               max_result_bytes=256 * isolation.MiB, pool="upload", queue_seconds=600)


@dataclass
class FileReport:
    file: str
    sha256: str
    rows_total: int = 0
    rows_valid: int = 0
    rows_rejected: int = 0
    rows_loaded: int = 0
    status: str = "pending"  # loaded | partially_loaded | refused | dry_run | already_loaded | unreadable
    batch_id: int | None = None
    message: str = ""
    errors: list[dict] = field(default_factory=list)
    validated: list[Validated] = field(default_factory=list, repr=False)

    def as_json(self) -> dict:
        return {
            "file": self.file, "status": self.status, "batch_id": self.batch_id, "message": self.message,
            "rows_total": self.rows_total, "rows_valid": self.rows_valid, "rows_rejected": self.rows_rejected,
            "rows_loaded": self.rows_loaded, "errors": self.errors,
        }


def kpi_meta(warehouse: Path) -> pd.DataFrame:
    if not warehouse.exists():
        raise WarehouseMissing(f"{warehouse}: no warehouse yet; run `shinchoku build`")
    store.check_warehouse(warehouse)
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(KPI_META_SQL).df()
    finally:
        con.close()


def current_user() -> str:
    return os.environ.get("SHINCHOKU_USER") or getpass.getuser()


def validate_file(path: Path, kpis: pd.DataFrame, today: dt.date, data: bytes | None = None) -> FileReport:
    """Read and check one file; nothing is written."""
    data = path.read_bytes() if data is None else data
    report = FileReport(file=path.name, sha256=hashlib.sha256(data).hexdigest())
    try:
        sheets = read_file(path, data)
    except ObservationFileError as e:
        report.status, report.message = "unreadable", str(e)
        report.errors = [{"sheet": None, "row": None, "column": None, "message": str(e)}]
        return report
    for sheet in sheets:
        v = validate_sheet(sheet, kpis, today)
        report.validated.append(v)
        report.rows_valid += len(v.valid)
        report.rows_rejected += len(v.rejected)
        report.errors.extend(v.errors)
    report.rows_total = report.rows_valid + report.rows_rejected
    return report


def load_files(paths: list[Path], warehouse: Path | None = None, *, dry_run: bool = False, accept_valid: bool = False,
               user: str | None = None, now: dt.datetime | None = None) -> list[FileReport]:
    """Validate every file, then write those that may be written in one atomic swap of the warehouse."""
    target = settings.warehouse_path(warehouse)
    now = now or store.now_jst()
    kpis = kpi_meta(target)
    reports = [validate_file(Path(p), kpis, now.date()) for p in paths]
    to_write = []
    for r in reports:
        if r.status == "unreadable":
            continue
        if r.rows_total == 0:
            r.status, r.message = "refused", "データ行がありません"
        elif r.rows_rejected and not accept_valid:
            r.status = "refused"
            r.message = f"{r.rows_rejected}行に誤りがあるため、このファイルは読み込みませんでした(全件読込モード)"
        elif dry_run:
            r.status, r.message = "dry_run", "検証のみ(書き込みなし)"
        else:
            to_write.append(r)
    if to_write:
        with store.writer_lock(target), store.swapped(target) as con:
            con.execute("begin transaction")
            for r in to_write:
                if store.skip_if_loaded(con, r):
                    continue
                valid = pd.concat([v.valid.assign(sheet=v.sheet.name) for v in r.validated], ignore_index=True)
                rejected = pd.concat([v.rejected for v in r.validated], ignore_index=True)
                batch = {"file_name": r.file, "sha256": r.sha256, "loaded_at": now, "loaded_by": user or current_user(),
                         "mode": "accept_valid" if accept_valid else "all_or_nothing", "rows_total": r.rows_total,
                         "rows_valid": r.rows_valid, "rows_rejected": r.rows_rejected}
                r.batch_id = store.insert_batch(con, batch, valid, rejected)
                r.rows_loaded = len(valid)
                r.status = "partially_loaded" if r.rows_rejected else "loaded"
                r.message = f"読込番号 {r.batch_id} として {r.rows_loaded}行を読み込みました" + (
                    f"(誤りのある{r.rows_rejected}行は隔離)" if r.rows_rejected else "")
            con.execute("commit")
    return reports


def summary(reports: list[FileReport]) -> dict:
    """The --json document: totals over all files, every error with its file, and one entry per file."""
    errors = [dict(e, file=r.file) for r in reports for e in r.errors]
    return {
        "rows_total": sum(r.rows_total for r in reports),
        "rows_valid": sum(r.rows_valid for r in reports),
        "rows_rejected": sum(r.rows_rejected for r in reports),
        "rows_loaded": sum(r.rows_loaded for r in reports),
        "errors": [{k: e[k] for k in ("file", "sheet", "row", "column", "message")} for e in errors],
        "files": [{k: v for k, v in r.as_json().items() if k != "errors"} for r in reports],
    }


@contextlib.contextmanager
def private_upload(name: str, data: bytes) -> Iterator[Path]:
    """The uploaded bytes as a file in a new private directory (mode 0700, created fresh, so no other
    user's symlink can redirect the write), removed with everything in it afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="shinchoku-upload-"))
    try:
        base = re.sub(r"[\x00-\x1f\x7f/\\]", "_", Path(name).name)[-120:].lstrip(".") or "upload.csv"
        path = folder / base
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        yield path
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _one_file(path: str, warehouse: str, **options) -> FileReport:
    """Runs in the child: load_files for one file; the report without the typed frames (the page needs
    counts and errors, and the frames would only cross the pipe)."""
    return replace(load_files([Path(path)], Path(warehouse), **options)[0], validated=[])


def check_isolated(path: Path, warehouse: Path | None = None) -> FileReport:
    """Dry run of one uploaded file in a child process under CHECK_LIMITS (LimitExceeded when one fired)."""
    return isolation.run(_one_file, str(path), str(settings.warehouse_path(warehouse)), dry_run=True,
                         limits=CHECK_LIMITS)


def load_isolated(path: Path, user: str, accept_valid: bool = False, warehouse: Path | None = None) -> FileReport:
    """Load one uploaded file in a child process under LOAD_LIMITS (a killed load leaves the warehouse as it was)."""
    return isolation.run(_one_file, str(path), str(settings.warehouse_path(warehouse)), user=user,
                         accept_valid=accept_valid, limits=LOAD_LIMITS)
