"""Shared fixtures: a warehouse built once per session, and throwaway copies of sources/definitions."""
from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from etl import settings
from etl.build import build

ROOT = Path(__file__).resolve().parents[1]


def pytest_collection_modifyitems(items):
    """Groups for `--dist loadgroup`: each test file on one worker (its module fixtures, such as a running
    server, made once), and all browser tests on the same worker: two Chromiums and two servers at once on a
    2-core machine made pages miss their 60 s."""
    for item in items:
        group = "browser" if "e2e" in item.path.parts else str(item.path)
        item.add_marker(pytest.mark.xdist_group(group))


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
