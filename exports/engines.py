"""Exports for engines other than DuckDB 2.0: Parquet for Spark, Trino, BigQuery, polars, pandas and R
(arrow), and a DuckDB file that DuckDB 1.x tools (CLI, DBeaver/JDBC, Node, R) can open.

Both are written to a temporary name beside the target and moved into place at the end, so a reader never
sees half an export, and both refuse to replace an existing export unless asked.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import shutil
from pathlib import Path

import duckdb

from etl import settings
from etl.errors import OutputExists
from warehouse import schema_doc

# The status views are their *_as_of(d) macros as of today; an export takes them as of the export's date,
# so the snapshot and the observations it judges agree (and other engines get the status without macros).
AS_OF_MACROS = {
    "observations": "observations_as_of", "kpi_status": "kpi_status_as_of", "measure_status": "measure_status_as_of",
    "ministry_status": "ministry_status_as_of", "pillar_status": "pillar_status_as_of",
    "direction_status": "direction_status_as_of", "area_status": "area_status_as_of",
    "kpi_comments": "kpi_comments_as_of",
}
# Views large enough at national scale (tens of millions of rows) to be split into one folder per fiscal
# year (Hive layout fiscal_year=2019/…), which Spark, Trino, BigQuery and polars prune on.
PARTITIONED = {"observations_history": "fiscal_year", "observations": "fiscal_year"}
COMPAT_VERSIONS = {"v1.5": "v1.5.0", "v1.4": "v1.4.0"}


class ExportExists(OutputExists):
    """The target exists and replacing it was not asked for."""


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _fresh(target: Path, force: bool) -> Path:
    if target.exists() and not force:
        raise ExportExists(f"{target} はすでにあります(置き換えるには --force)")
    tmp = target.with_name(f".{target.name}.tmp-{os.getpid()}")
    if tmp.exists():
        shutil.rmtree(tmp) if tmp.is_dir() else tmp.unlink()
    return tmp


def _swap(tmp: Path, target: Path) -> None:
    if target.exists():
        shutil.rmtree(target) if target.is_dir() else target.unlink()
    os.replace(tmp, target)


def export_parquet(con: duckdb.DuckDBPyConnection, out: Path, as_of: dt.date | None = None, force: bool = False,
                   progress=None) -> dict:
    """Every documented view as Parquet under OUT (one file, or one folder per fiscal year for the large
    ones), status and observations as of AS_OF (default: today), and OUT/manifest.json with the schema
    version, the date, row counts and file hashes. Returns the manifest."""
    as_of = as_of or dt.date.today()
    tmp = _fresh(out, force)
    tmp.mkdir(parents=True)
    views = list(schema_doc.views())
    info = con.execute("select schema_version, built_at, shinchoku_version from schema_info").fetchone()
    manifest = {"schema_version": info[0], "warehouse_built_at": info[1].isoformat() if info[1] else None,
                "shinchoku_version": settings.package_version(), "as_of": as_of.isoformat(),
                "exported_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"), "views": {}}
    try:
        for name in views:
            source = f"{AS_OF_MACROS[name]}(DATE '{as_of.isoformat()}')" if name in AS_OF_MACROS else name
            query = f"select * from {source}"
            column = PARTITIONED.get(name)
            if column:
                target = tmp / name
                con.execute(f"copy ({query}) to '{target}' (format parquet, compression zstd, partition_by ({column}))")
            else:
                target = tmp / f"{name}.parquet"
                con.execute(f"copy ({query}) to '{target}' (format parquet, compression zstd)")
            files = sorted(p for p in ([target] if target.is_file() else target.rglob("*.parquet")))
            rows = con.execute(f"select count(*) from read_parquet(?, hive_partitioning = {bool(column)})",
                               [[str(f) for f in files]]).fetchone()[0]
            manifest["views"][name] = {
                "rows": rows, "partitioned_by": column, "as_of_macro": AS_OF_MACROS.get(name),
                "files": {str(f.relative_to(tmp)): _sha256(f) for f in files},
            }
            if progress:
                progress(name)
        (tmp / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=2), encoding="utf-8")
        _swap(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return manifest


def export_duckdb(warehouse: Path, out: Path, compat: str = "v1.5", force: bool = False) -> dict:
    """A copy of the warehouse (tables, views, macros, comments) in a storage format DuckDB 1.x reads."""
    if compat not in COMPAT_VERSIONS:
        raise ValueError(f"--compat {compat}: {', '.join(COMPAT_VERSIONS)} のどれかを指定してください")
    tmp = _fresh(out, force)
    con = duckdb.connect(":memory:", config={"python_enable_replacements": False})
    try:
        con.execute("attach ? as src (read_only)", [str(warehouse)])
        con.execute(f"attach ? as dst (storage_version '{COMPAT_VERSIONS[compat]}')", [str(tmp)])
        con.execute("copy from database src to dst")
        con.execute("detach dst")
        con.close()
        _swap(tmp, out)
    except BaseException:
        con.close()
        tmp.unlink(missing_ok=True)
        raise
    return {"file": str(out), "storage_version": COMPAT_VERSIONS[compat], "bytes": out.stat().st_size}
