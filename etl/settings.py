"""Paths of the project, overridable by environment variables (tests use monkeypatch).

Two layouts. In a checkout (or an editable install) everything is read from the checkout and the
warehouse is written to its warehouse/ folder, as the README's commands expect. An installed wheel reads
what the program needs (sources, reference YAML, SQL, the Streamlit app and pages, docs) from package
data and writes user data (warehouse, the editable kpi_defs.yaml) to $SHINCHOKU_HOME or the platform's
user data folder (platformdirs), never into site-packages.
"""
from __future__ import annotations

import os
import shutil
from importlib.resources import files
from pathlib import Path

_CHECKOUT = Path(__file__).resolve().parents[1]
# The wheel carries the checkout's top-level files under etl/_bundle (pyproject: force-include).
IS_CHECKOUT = (_CHECKOUT / "app.py").is_file() and (_CHECKOUT / "data" / "sources").is_dir()
ROOT = _CHECKOUT if IS_CHECKOUT else Path(str(files("etl").joinpath("_bundle")))
SOURCES_DIR = ROOT / "data" / "sources"
REFERENCE_DIR = ROOT / "data" / "reference"
DOCS_DIR = ROOT / "docs"
APP = ROOT / "app.py"
WAREHOUSE_SQL_DIR = Path(str(files("warehouse")))
BUNDLED_KPI_DEFS = ROOT / "kpi_defs.yaml"
DEFAULT_KPI_DEFS = BUNDLED_KPI_DEFS  # the definitions as shipped (a checkout edits this file in place)
# The warehouse layout this code reads (core.build_info.schema_version); a file of another version is
# rebuilt by `shinchoku build`, which keeps its loaded history.
SCHEMA_VERSION = "10"  # 2: stored revision / superseded_at; 3: status v2 (kpi_methods, status_methods, eras);
# 4: kpi_status_as_of(d, national_only := true); 5: kpi_comments; 6: datacall_forms, datacall_replies;
# 7: kpi_comments_history.location for commentary typed on the measure page; 8: schedule_reports;
# 9: schedule_items section evidence, document_figures, directions; 10: core.obs_coverage, core.obs_periods


def package_version() -> str:
    """The installed distribution's version ('unknown' when run from files that were never installed)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("shinchoku")
    except PackageNotFoundError:
        return "unknown"


def warehouse_sql(name: str) -> str:
    """The text of warehouse/sql/NAME (schema and write-time refresh scripts)."""
    return (WAREHOUSE_SQL_DIR / "sql" / name).read_text(encoding="utf-8")


def home() -> Path:
    """Where user data lives: $SHINCHOKU_HOME, else the checkout's warehouse/ folder, else the platform's
    user data folder (~/.local/share/shinchoku, %LOCALAPPDATA%\\shinchoku, ~/Library/Application Support/shinchoku)."""
    if env := os.environ.get("SHINCHOKU_HOME"):
        return Path(env)
    if IS_CHECKOUT:
        return _CHECKOUT / "warehouse"
    from platformdirs import user_data_path

    return user_data_path("shinchoku", appauthor=False)


def warehouse_path(explicit: str | os.PathLike | None = None) -> Path:
    """The warehouse file: explicit argument, else $SHINCHOKU_WAREHOUSE, else shinchoku.duckdb in home()."""
    if explicit:
        return Path(explicit)
    env = os.environ.get("SHINCHOKU_WAREHOUSE")
    return Path(env) if env else home() / "shinchoku.duckdb"


def kpi_defs_path(explicit: str | os.PathLike | None = None) -> Path:
    """The KPI definitions file: explicit argument, else $SHINCHOKU_KPI_DEFS, else kpi_defs.yaml (the
    checkout's own; for an installed wheel a copy in home(), made from the shipped one on first use,
    because a build rewrites its generated part and the overrides are the user's)."""
    if explicit:
        return Path(explicit)
    if env := os.environ.get("SHINCHOKU_KPI_DEFS"):
        return Path(env)
    if IS_CHECKOUT and not os.environ.get("SHINCHOKU_HOME"):
        return BUNDLED_KPI_DEFS
    own = home() / "kpi_defs.yaml"
    if not own.exists():
        own.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(BUNDLED_KPI_DEFS, own)
    return own


def sources_dir(explicit: str | os.PathLike | None = None) -> Path:
    """The folder of source documents: explicit argument, else $SHINCHOKU_SOURCES, else data/sources."""
    if explicit:
        return Path(explicit)
    env = os.environ.get("SHINCHOKU_SOURCES")
    return Path(env) if env else SOURCES_DIR
