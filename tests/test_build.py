"""`shinchoku build`: idempotent, atomic, validated, and clear about bad input."""
import shutil

import duckdb
import pandas as pd
import pytest
from click.testing import CliRunner

from etl import build as build_module
from etl.build import build
from etl.cli import main
from etl.errors import SourceError
from etl.schemas import SchemaViolation, validate

TABLES = ["measures", "kpis", "schedule_items", "schedule_sections", "ministries", "pillars", "quality_issues", "kpi_overrides", "sources"]
MEASURES = "001_3c7fc59f76fc2acb.txt"


def snapshot(path):
    con = duckdb.connect(str(path), read_only=True)
    try:
        return {t: con.execute(f"select * from {t}").df() for t in TABLES}
    finally:
        con.close()


def test_the_views_hold_what_the_issue_promises(con):
    assert con.execute("select count(*) from measures").fetchone()[0] == 82
    row = con.execute(
        "select national_measure_no, pillar, lead_ministries, plan_start_fy from measures where measure_no = 15"
    ).fetchone()
    assert row == ("02-05", "官民データの容易な利用等", ["内閣官房"], 2017)
    kinds = dict(con.execute("select kind, count(*) from kpis where measure_no is not null group by kind").fetchall())
    assert kinds["progress"] >= 82 and kinds["effect"] >= 82
    assert con.execute("select count(*) from schedule_items").fetchone()[0] == 99
    assert con.execute("select count(*) from kpis where kpi_id like 'S%'").fetchone()[0] == 6


def test_column_types_of_the_contract(con):
    types = dict(con.execute("select column_name, data_type from information_schema.columns where table_name = 'measures'").fetchall())
    assert types["measure_no"] == "INTEGER" and types["lead_ministries"] == "VARCHAR[]" and types["plan_start_fy"] == "INTEGER"
    types = dict(con.execute("select column_name, data_type from information_schema.columns where table_name = 'kpis'").fetchall())
    assert types["target_value"] == "DOUBLE" and types["target_fy"] == "INTEGER" and types["has_target"] == "BOOLEAN"


def test_build_twice_gives_identical_tables(tmp_path, defs):
    wh = tmp_path / "w.duckdb"
    build(warehouse=wh, defs_path=defs)
    first = snapshot(wh)
    build(warehouse=wh, defs_path=defs)
    second = snapshot(wh)
    for t in TABLES:
        pd.testing.assert_frame_equal(first[t], second[t], obj=t)


def test_a_failing_build_leaves_the_previous_warehouse_intact(tmp_path, defs, monkeypatch):
    wh = tmp_path / "w.duckdb"
    build(warehouse=wh, defs_path=defs)
    before = wh.read_bytes()
    reader = duckdb.connect(str(wh), read_only=True)  # a dashboard reading meanwhile

    def fail(con):
        con.execute("create view half_done as select 1")
        raise RuntimeError("disk full")

    monkeypatch.setattr(build_module, "create_views", fail)
    with pytest.raises(RuntimeError, match="disk full"):
        build(warehouse=wh, defs_path=defs)
    assert wh.read_bytes() == before
    assert not [p.name for p in tmp_path.iterdir() if ".tmp" in p.name or p.name.endswith(".wal")]  # no temp file left
    assert reader.execute("select count(*) from measures").fetchone()[0] == 82
    reader.close()


def test_readers_keep_working_while_a_build_swaps_the_file(tmp_path, defs):
    wh = tmp_path / "w.duckdb"
    build(warehouse=wh, defs_path=defs)
    reader = duckdb.connect(str(wh), read_only=True)
    build(warehouse=wh, defs_path=defs)  # a writer never needs the reader's lock
    assert reader.execute("select count(*) from measures").fetchone()[0] == 82
    reader.close()
    other = duckdb.connect(str(wh), read_only=True)
    assert other.execute("select count(*) from measures").fetchone()[0] == 82
    other.close()


def test_truncated_source_is_refused_with_file_and_count(tmp_path, sources, defs):
    path = sources / MEASURES
    text = path.read_text(encoding="utf-8")
    path.write_text(text[: text.index("\n### ", 30000)], encoding="utf-8")  # whole pages lost
    wh = tmp_path / "w.duckdb"
    with pytest.raises(SourceError, match=rf"{MEASURES}: \d+ 施策 rows found, 82 expected .*truncated"):
        build(warehouse=wh, sources=sources, defs_path=defs)
    assert not wh.exists()


def test_missing_source_file_is_named(tmp_path, sources, defs):
    (sources / MEASURES).unlink()
    with pytest.raises(SourceError, match=rf"{MEASURES}: source file listed in manifest.yaml \(measures\) is missing"):
        build(warehouse=tmp_path / "w.duckdb", sources=sources, defs_path=defs)


def test_unknown_ministry_lands_flagged(tmp_path, sources, defs):
    path = sources / MEASURES
    path.write_text(path.read_text(encoding="utf-8").replace("◎厚生労働省、内閣官房、内閣府", "◎厚生労働省、デジタル省"), encoding="utf-8")
    wh = tmp_path / "w.duckdb"
    build(warehouse=wh, sources=sources, defs_path=defs)
    con = duckdb.connect(str(wh), read_only=True)
    assert con.execute("select kind, is_known from ministries where name = 'デジタル省'").fetchone() == ("unknown", False)
    assert con.execute("select needs_review from measures where measure_no = 82").fetchone() == (True,)
    issue = con.execute("select source, location, message from quality_issues where kind = 'unknown_ministry'").fetchone()
    assert issue[0] == MEASURES and "施策 No 82" in issue[1] and "デジタル省" in issue[2]
    con.close()


def test_kpi_text_without_parsable_target_is_a_quality_issue(tmp_path, sources, defs):
    path = sources / MEASURES
    path.write_text(path.read_text(encoding="utf-8").replace("(令和元年度までに約3万箇所)", "(令和元年度までに相当数)"), encoding="utf-8")
    wh = tmp_path / "w.duckdb"
    build(warehouse=wh, sources=sources, defs_path=defs, write_defs=False)
    con = duckdb.connect(str(wh), read_only=True)
    assert con.execute("select target_kind, target_value, has_target from kpis where kpi_id = 'M37-E1'").fetchone() == ("milestone", None, False)
    con.close()
    path.write_text(path.read_text(encoding="utf-8").replace("(令和元年度までに相当数)", "(数千箇所程度)"), encoding="utf-8")
    build(warehouse=wh, sources=sources, defs_path=defs, write_defs=False)
    con = duckdb.connect(str(wh), read_only=True)
    assert con.execute("select target_kind, has_target from kpis where kpi_id = 'M37-E1'").fetchone() == ("unparsed", False)
    row = con.execute("select location, message from quality_issues where kind = 'unparsed_target' and entity_id = 'M37-E1'").fetchone()
    assert "施策 No 37" in row[0] and "KPI (効果)" in row[0] and "数千箇所程度" in row[1]
    con.close()


def test_schema_violation_names_table_column_row_and_check():
    df = pd.DataFrame({"section_no": [1, 2], "name": ["a", "a"], "item_count": [3, -1], "source_line": [10, 11]})
    with pytest.raises(SchemaViolation) as e:
        validate("schedule_sections", df, "section_no")
    msg = str(e.value)
    assert "table schedule_sections, column item_count, row 1 (section_no=2): check greater_than_or_equal_to(0)" in msg
    assert "column name" in msg


def test_cli_build_reports_and_fails_cleanly(tmp_path, sources, defs, monkeypatch):
    wh = tmp_path / "w.duckdb"
    monkeypatch.setenv("SHINCHOKU_WAREHOUSE", str(wh))
    runner = CliRunner()
    ok = runner.invoke(main, ["build", "--sources", str(sources), "--defs", str(defs)])
    assert ok.exit_code == 0, ok.output
    assert "measures 82" in ok.output and "duplicate schedule rows removed: 11" in ok.output
    assert wh.exists()
    (sources / MEASURES).write_text("壊れたファイル\n", encoding="utf-8")
    bad = runner.invoke(main, ["build", "--sources", str(sources), "--defs", str(defs)])
    assert bad.exit_code == 1
    assert f"error: {MEASURES}: no 施策 rows found" in bad.output and "was not changed" in bad.output


def test_analysts_can_open_the_file_read_only_while_the_dashboard_holds_it(built):
    from warehouse.db import connect_readonly

    dashboard = connect_readonly(built)
    analyst = duckdb.connect(str(built), read_only=True)
    assert analyst.execute("select count(*) from kpis").fetchone() == dashboard.execute("select count(*) from kpis").fetchone()
    analyst.close()
    dashboard.close()


def test_sources_are_bundled_with_hashes(con):
    rows = con.execute("select file, length(sha256) from sources order by file").fetchall()
    assert [r[0][:3] for r in rows] == ["000", "001", "002", "003", "004"]
    assert all(r[1] == 64 for r in rows)


def test_the_command_line_says_its_version():
    from importlib.metadata import version

    from click.testing import CliRunner

    from etl.cli import main

    res = CliRunner().invoke(main, ["--version"])
    assert res.exit_code == 0 and res.output.strip() == f"shinchoku {version('shinchoku')}"
