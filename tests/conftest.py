"""Shared fixtures: a warehouse built once per session, and throwaway copies of sources/definitions."""
from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from etl import settings
from etl.build import build

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def built(tmp_path_factory) -> Path:
    """A warehouse built from the bundled sources and the committed kpi_defs.yaml (copied, never written)."""
    d = tmp_path_factory.mktemp("wh")
    defs = d / "kpi_defs.yaml"
    shutil.copy(settings.DEFAULT_KPI_DEFS, defs)
    path = d / "shinchoku.duckdb"
    build(warehouse=path, defs_path=defs)
    return path


@pytest.fixture
def con(built):
    c = duckdb.connect(str(built), read_only=True)
    yield c
    c.close()


@pytest.fixture
def sources(tmp_path) -> Path:
    """A private copy of data/sources that a test may damage."""
    dst = tmp_path / "sources"
    shutil.copytree(settings.SOURCES_DIR, dst)
    return dst


@pytest.fixture
def defs(tmp_path) -> Path:
    """A private copy of kpi_defs.yaml."""
    dst = tmp_path / "kpi_defs.yaml"
    shutil.copy(settings.DEFAULT_KPI_DEFS, dst)
    return dst
