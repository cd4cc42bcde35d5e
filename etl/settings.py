"""Paths of the project, overridable by environment variables (tests use monkeypatch)."""
from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCES_DIR = ROOT / "data" / "sources"
REFERENCE_DIR = ROOT / "data" / "reference"
WAREHOUSE_SQL_DIR = ROOT / "warehouse"
DEFAULT_WAREHOUSE = ROOT / "warehouse" / "shinchoku.duckdb"
DEFAULT_KPI_DEFS = ROOT / "kpi_defs.yaml"
# The warehouse layout this code reads (core.build_info.schema_version); a file of another version is
# rebuilt by `shinchoku build`, which keeps its loaded history.
SCHEMA_VERSION = "9"  # 2: stored revision / superseded_at; 3: status v2 (kpi_methods, status_methods, eras);
# 4: kpi_status_as_of(d, national_only := true); 5: kpi_comments; 6: datacall_forms, datacall_replies;
# 7: kpi_comments_history.location for commentary typed on the measure page; 8: schedule_reports;
# 9: schedule_items section evidence, document_figures, directions


def warehouse_sql(name: str) -> str:
    """The text of warehouse/sql/NAME (schema and write-time refresh scripts)."""
    return (WAREHOUSE_SQL_DIR / "sql" / name).read_text(encoding="utf-8")


def warehouse_path(explicit: str | os.PathLike | None = None) -> Path:
    """The warehouse file: explicit argument, else $SHINCHOKU_WAREHOUSE, else the default."""
    if explicit:
        return Path(explicit)
    env = os.environ.get("SHINCHOKU_WAREHOUSE")
    return Path(env) if env else DEFAULT_WAREHOUSE


def kpi_defs_path(explicit: str | os.PathLike | None = None) -> Path:
    """The KPI definitions file: explicit argument, else $SHINCHOKU_KPI_DEFS, else kpi_defs.yaml."""
    if explicit:
        return Path(explicit)
    env = os.environ.get("SHINCHOKU_KPI_DEFS")
    return Path(env) if env else DEFAULT_KPI_DEFS


def sources_dir(explicit: str | os.PathLike | None = None) -> Path:
    """The folder of source documents: explicit argument, else $SHINCHOKU_SOURCES, else data/sources."""
    if explicit:
        return Path(explicit)
    env = os.environ.get("SHINCHOKU_SOURCES")
    return Path(env) if env else SOURCES_DIR
