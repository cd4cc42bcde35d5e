"""The command line as dbt, datasette and sqlite-utils users expect it: --version, --json on every command
that reports something, documented exit codes, Japanese help, names resolved or refused with the list."""
import json

import pytest
from click.testing import CliRunner

from etl.cli import EXIT, main
from etl.demo import create_demo


@pytest.fixture(scope="module")
def demo(built, tmp_path_factory):
    return create_demo(built, tmp_path_factory.mktemp("cli") / "demo.duckdb", seed=20210331)["warehouse"]


def run(*args, **kw):
    return CliRunner().invoke(main, [str(a) for a in args], **kw)


def test_version_and_japanese_help_with_the_exit_codes():
    assert run("--version").output.startswith("shinchoku ")
    res = run("--help")
    assert res.exit_code == 0 and "データウェアハウスを出典資料から作り直す" in res.output
    lines = [line.strip() for line in res.output.splitlines()]
    assert "終了コード:" in lines and "0 成功" in lines and any(line.startswith("4 データウェアハウスが壊れている") for line in lines)
    for group in ("export", "datacall", "observations"):
        commands = run(group, "--help").output.split("Commands:")[1]
        assert "..." not in commands  # every command has a readable short help


@pytest.mark.parametrize("args, keys", [
    (["build", "--no-write-defs"], {"counts", "quality_issues", "seconds"}),
    (["template", "--kpi", "M36-E1"], {"file", "kpis"}),
    (["export", "monthly", "--as-of", "2021-03-31"], {"path", "rows", "sheets"}),
    (["export", "duckdb", "--out", "copy.duckdb"], {"file", "storage_version", "bytes"}),
    (["export", "parquet", "--out", "pq", "--as-of", "2021-03-31"], {"schema_version", "views", "as_of"}),
    (["restore", "--list"], None),
    (["datacall", "status", "--period", "2021-04", "--as-of", "2021-05-20"], None),
])
def test_every_reporting_command_speaks_json(args, keys, built, demo, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    warehouse = tmp_path / "w.duckdb"
    warehouse.write_bytes(demo.read_bytes()) if args[0] != "build" else None
    if args[0] == "build":
        import shutil

        from etl import settings
        shutil.copy(settings.DEFAULT_KPI_DEFS, tmp_path / "defs.yaml")
        args = [*args, "--defs", tmp_path / "defs.yaml"]
    res = run(*args, "--warehouse", warehouse, "--json")
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    if keys:
        assert keys <= set(doc)
    else:
        assert isinstance(doc, list)


def test_demo_and_datacall_make_speak_json(built, tmp_path):
    res = run("demo", "--warehouse", built, "--out", tmp_path / "d.duckdb", "--json")
    assert res.exit_code == 0 and json.loads(res.stdout)["rows"] > 0
    res = run("datacall", "make", "--period", "2021-04", "--ministry", "総務省", "--out", tmp_path / "forms",
              "--warehouse", tmp_path / "d.duckdb", "--json")
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)[0]["recipient"] == "総務省"


def test_exit_codes(demo, tmp_path):
    assert run("export", "monthly", "--as-of", "2021-03-31", "--warehouse", tmp_path / "none.duckdb").exit_code == EXIT.USAGE
    assert run("export", "monthly", "--as-of", "2021-03-31", "--warehouse", demo, "--ministry", "架空省").exit_code == EXIT.USAGE
    assert run("export", "monthly", "--as-of", "2099-03-31", "--warehouse", demo).exit_code == EXIT.USAGE
    bad = tmp_path / "bad.csv"
    bad.write_text("KPI ID,団体コード,期間,値,出典,備考\nM99-P1,,2019,1,,\n", encoding="utf-8")
    copy = tmp_path / "w.duckdb"
    copy.write_bytes(demo.read_bytes())
    assert run("observations", "load", bad, "--warehouse", copy).exit_code == EXIT.DATA
    broken = tmp_path / "broken.duckdb"
    broken.write_bytes(b"not a warehouse")
    res = run("observations", "load", bad, "--warehouse", broken)
    assert res.exit_code == EXIT.DAMAGED and "shinchoku restore" in res.output
    assert run("frobnicate").exit_code == EXIT.USAGE  # click's own usage errors


def test_a_lock_held_too_long_is_exit_3(demo, tmp_path, monkeypatch):
    from etl.observations.store import writer_lock

    copy = tmp_path / "w.duckdb"
    copy.write_bytes(demo.read_bytes())
    ok = tmp_path / "ok.csv"
    ok.write_text("KPI ID,団体コード,期間,値,出典,備考\nM37-E1,,2019,30000,,\n", encoding="utf-8")
    monkeypatch.setenv("SHINCHOKU_LOCK_TIMEOUT", "0.2")
    import threading

    held, release = threading.Event(), threading.Event()

    def hold():
        with writer_lock(copy):
            held.set()
            release.wait(10)

    t = threading.Thread(target=hold)
    t.start()
    held.wait(5)
    try:
        res = run("observations", "load", ok, "--warehouse", copy)
    finally:
        release.set()
        t.join()
    assert res.exit_code == EXIT.BUSY and "別の書き込み" in res.output


def test_progress_is_off_when_piped(built, tmp_path):
    """CliRunner is not a terminal: the output is the report alone, without progress lines."""
    res = run("demo", "--warehouse", built, "--out", tmp_path / "d.duckdb")
    assert res.exit_code == 0 and "…" not in res.output and "\x1b[" not in res.output
