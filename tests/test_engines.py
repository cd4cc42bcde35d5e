"""Exports for every engine: Parquet read back by pyarrow and polars gives the views' numbers; the compat
copy opens in a real DuckDB 1.5 client and runs every documented example; both refuse to overwrite."""
import datetime as dt
import hashlib
import json
import subprocess
import sys

import duckdb
import polars as pl
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from etl.cli import main
from etl.demo import create_demo
from exports.engines import ExportExists, export_duckdb, export_parquet
from warehouse import schema_doc
from warehouse.db import connect_readonly

AS_OF = dt.date(2021, 3, 31)


@pytest.fixture(scope="module")
def demo(built, tmp_path_factory):
    return create_demo(built, tmp_path_factory.mktemp("eng") / "demo.duckdb", seed=20210331)["warehouse"]


@pytest.fixture(scope="module")
def parquet(demo, tmp_path_factory):
    out = tmp_path_factory.mktemp("pq") / "export"
    con = connect_readonly(demo)
    try:
        manifest = export_parquet(con, out, AS_OF)
    finally:
        con.close()
    return out, manifest


def test_every_documented_view_with_a_manifest(parquet):
    out, manifest = parquet
    assert set(manifest["views"]) == set(schema_doc.views())
    assert json.loads((out / "manifest.json").read_text(encoding="utf-8")) == manifest
    assert manifest["as_of"] == "2021-03-31" and manifest["schema_version"]
    for view in manifest["views"].values():
        for name, digest in view["files"].items():
            assert hashlib.sha256((out / name).read_bytes()).hexdigest() == digest
    assert manifest["views"]["observations_history"]["partitioned_by"] == "fiscal_year"
    assert (out / "observations_history" / "fiscal_year=2019").is_dir()


def test_pyarrow_and_polars_read_the_same_numbers_as_the_views(parquet, demo):
    out, manifest = parquet
    con = connect_readonly(demo)
    try:
        per_year = dict(con.execute("select fiscal_year, count(*) from observations_history group by 1").fetchall())
        status = dict(con.execute("select status, count(*) from kpi_status_as_of(?) group by 1", [AS_OF]).fetchall())
        total = con.execute("select sum(value) from observations_as_of(?) where origin = 'load'", [AS_OF]).fetchone()[0]
    finally:
        con.close()
    history = ds.dataset(out / "observations_history", format="parquet", partitioning="hive").to_table()
    assert history.num_rows == sum(per_year.values()) == manifest["views"]["observations_history"]["rows"]
    counted = history.group_by("fiscal_year").aggregate([("fiscal_year", "count")]).to_pylist()
    assert {r["fiscal_year"]: r["fiscal_year_count"] for r in counted} == per_year
    by_status = pq.read_table(out / "kpi_status.parquet").group_by("status").aggregate([("status", "count")])
    assert {r["status"]: r["status_count"] for r in by_status.to_pylist()} == status
    frame = pl.read_parquet(out / "kpi_status.parquet")
    assert dict(frame.group_by("status").len().iter_rows()) == status
    observations = pl.scan_parquet(out / "observations" / "**" / "*.parquet", hive_partitioning=True)
    loaded = observations.filter(pl.col("origin") == "load").select(pl.col("value").sum()).collect().item()
    assert loaded == pytest.approx(total)


def test_an_export_is_not_overwritten_unless_asked(parquet, demo):
    out, _ = parquet
    con = connect_readonly(demo)
    try:
        with pytest.raises(ExportExists, match="--force"):
            export_parquet(con, out, AS_OF)
    finally:
        con.close()
    res = CliRunner().invoke(main, ["export", "parquet", "--out", str(out), "--warehouse", str(demo)])
    assert res.exit_code == 2 and "--force" in res.output


def test_the_compat_copy_runs_every_documented_example_in_duckdb_1_5(demo, tmp_path):
    copy = tmp_path / "v15.duckdb"
    res = CliRunner().invoke(main, ["export", "duckdb", "--compat", "v1.5", "--out", str(copy), "--warehouse", str(demo),
                                    "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["storage_version"] == "v1.5.0"
    with pytest.raises(ExportExists):
        export_duckdb(demo, copy)
    venv = tmp_path / "duckdb15"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "duckdb==1.5.6"],
                         capture_output=True, text=True)
    if pip.returncode != 0:  # no registry: the storage header is what a 1.x client checks first
        pytest.skip(f"duckdb 1.5 cannot be installed here: {pip.stderr[-300:]}")
    script = tmp_path / "run.py"
    script.write_text(
        "import duckdb, json, sys\n"
        "con = duckdb.connect(sys.argv[1], read_only=True)\n"
        "examples = json.loads(open(sys.argv[2], encoding='utf-8').read())\n"
        "counts = [len(con.execute(sql).fetchall()) for sql in examples]\n"
        "print(json.dumps({'version': duckdb.__version__, 'counts': counts,\n"
        "                  'status': con.execute('select count(*) from kpi_status_as_of(DATE \\'2021-03-31\\')').fetchone()[0]}))\n",
        encoding="utf-8")
    examples = tmp_path / "examples.json"
    examples.write_text(json.dumps(schema_doc.examples()), encoding="utf-8")
    result = subprocess.run([str(venv / "bin" / "python"), str(script), str(copy), str(examples)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    old = json.loads(result.stdout)
    assert old["version"].startswith("1.5")
    con = duckdb.connect(str(demo), read_only=True)
    try:
        assert old["counts"] == [len(con.execute(sql).fetchall()) for sql in schema_doc.examples()]
        assert old["status"] == con.execute("select count(*) from kpi_status_as_of(DATE '2021-03-31')").fetchone()[0]
    finally:
        con.close()
