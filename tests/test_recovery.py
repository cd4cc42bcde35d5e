"""Recovery: generations and `shinchoku restore`, a damaged warehouse named in Japanese, stale copies
removed, a writer that waits too long says who holds the lock, and the demo never replaces a file silently."""
import os
import shutil
import threading
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from etl.cli import main
from etl.errors import WarehouseBusy, WarehouseDamaged
from etl.observations import store
from etl.observations.load import load_files

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def wh(built, tmp_path, monkeypatch):
    path = tmp_path / "w" / "shinchoku.duckdb"
    path.parent.mkdir()
    shutil.copy(built, path)
    monkeypatch.setenv("SHINCHOKU_WAREHOUSE", str(path))
    return path


def csv(tmp_path, name: str, value: int) -> Path:
    p = tmp_path / name
    p.write_text(f"KPI ID,団体コード,期間,値\nM37-E1,,2020,{value}\n", encoding="utf-8")
    return p


def batches(path: Path) -> int:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute("select count(*) from core.obs_batches").fetchone()[0]
    finally:
        con.close()


def cli(*args, **env):
    return CliRunner(env=env or None).invoke(main, list(args))


def test_every_write_keeps_the_replaced_file_and_restore_brings_it_back(wh, tmp_path):
    load_files([csv(tmp_path, "a.csv", 1)], wh)
    load_files([csv(tmp_path, "b.csv", 2)], wh)
    assert batches(wh) == 2
    kept = store.generations(wh)
    assert len(kept) == 2 and all(g.exists() for g in kept)
    assert batches(kept[0]) == 1  # newest generation: the warehouse as it was before the last load
    res = cli("restore", "--warehouse", str(wh))
    assert res.exit_code == 0, res.output
    assert batches(wh) == 1
    # the restore is itself undoable: the file it replaced is a generation now
    assert any("before-restore" in g.name for g in store.generations(wh))


def test_generations_are_pruned(wh, tmp_path, monkeypatch):
    monkeypatch.setenv("SHINCHOKU_KEEP_GENERATIONS", "2")
    for i in range(4):
        load_files([csv(tmp_path, f"{i}.csv", i + 10)], wh)
    assert len(store.generations(wh)) == 2


def test_overwritten_warehouse_is_named_and_restorable(wh, tmp_path, defs):
    """The attack's aftermath: the warehouse replaced by 6 bytes. Build and load said nothing useful."""
    load_files([csv(tmp_path, "a.csv", 1)], wh)
    wh.write_bytes(b"pwned\n")
    res = cli("build", "--warehouse", str(wh), "--defs", str(defs), "--no-write-defs")
    assert res.exit_code == 4 and "Traceback" not in res.output  # EXIT.DAMAGED
    assert "壊れている" in res.output and "shinchoku restore" in res.output
    res = cli("observations", "load", "--warehouse", str(wh), str(csv(tmp_path, "b.csv", 2)))
    assert res.exit_code == 4 and "壊れている" in res.output and "shinchoku restore" in res.output
    assert wh.read_bytes() == b"pwned\n"  # nothing was written over the evidence
    listing = cli("restore", "--list", "--warehouse", str(wh))
    assert "読み込み可" in listing.output
    assert cli("restore", "--warehouse", str(wh)).exit_code == 0
    store.check_warehouse(wh)
    assert any(g.name.endswith("-damaged.duckdb") for g in store.generations(wh))
    res = cli("observations", "load", "--warehouse", str(wh), str(csv(tmp_path, "b.csv", 2)))
    assert res.exit_code == 0, res.output


def test_restore_without_generations_says_so(wh):
    res = cli("restore", "--warehouse", str(wh))
    assert res.exit_code == 1 and "戻せる世代がありません" in res.output


def test_stale_copies_of_dead_writers_are_removed(wh, tmp_path):
    stale = [wh.with_name(f".{wh.name}.write-999999.tmp"), wh.with_name(f".{wh.name}.write-999999.tmp.wal")]
    for p in stale:
        p.write_bytes(b"x" * 1000)
    load_files([csv(tmp_path, "a.csv", 1)], wh)
    assert not any(p.exists() for p in stale)


def test_a_writer_that_waits_too_long_names_the_holder(wh, tmp_path):
    holding, release = threading.Event(), threading.Event()

    def hold():
        with store.writer_lock(wh):
            holding.set()
            release.wait(30)

    t = threading.Thread(target=hold)
    t.start()
    holding.wait(10)
    try:
        with pytest.raises(WarehouseBusy) as info:
            with store.writer_lock(wh, timeout_s=0.5):
                pass
        assert f"プロセス {os.getpid()}" in str(info.value) and "令和" in str(info.value)
        res = cli("observations", "load", "--warehouse", str(wh), str(csv(tmp_path, "a.csv", 1)),
                  SHINCHOKU_LOCK_TIMEOUT="0.5")
        assert res.exit_code != 0 and "別の書き込み" in res.output
    finally:
        release.set()
        t.join()
    assert load_files([csv(tmp_path, "a.csv", 1)], wh)[0].status == "loaded"


def test_demo_refuses_to_replace_a_file_without_force(built, tmp_path):
    out = tmp_path / "demo.duckdb"
    assert cli("demo", "--warehouse", str(built), "--out", str(out)).exit_code == 0
    load_files([csv(tmp_path, "a.csv", 1)], out)
    before = batches(out)
    res = cli("demo", "--warehouse", str(built), "--out", str(out))
    assert res.exit_code == 2 and "--force" in res.output and batches(out) == before
    res = cli("demo", "--warehouse", str(built), "--out", str(out), "--force")
    assert res.exit_code == 0 and batches(out) < before
    assert batches(store.generations(out)[0]) == before  # the replaced demo is kept


def test_dashboard_on_a_damaged_warehouse_explains_without_a_path(wh, monkeypatch):
    from streamlit.testing.v1 import AppTest

    wh.write_bytes(b"pwned\n")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    assert not at.exception
    text = " ".join(e.value for e in at.error)
    assert "shinchoku restore" in text and str(wh.parent) not in text


def test_check_warehouse_accepts_a_good_file(wh):
    store.check_warehouse(wh)
    with pytest.raises(WarehouseDamaged):
        store.check_warehouse(wh.with_name("missing.duckdb"))


# ---------------------------------------------------------------- Windows: a file a reader holds open


def test_a_swap_waits_while_a_reader_holds_the_file_the_way_windows_refuses(built, tmp_path, monkeypatch):
    """Windows refuses os.replace onto an open file (PermissionError); forced here, the writer retries."""
    from etl.observations import store

    wh = tmp_path / "w.duckdb"
    shutil.copy(built, wh)
    real, refusals = os.replace, []

    def held_for_a_moment(src, dst):
        if len(refusals) < 3:
            refusals.append(dst)
            raise PermissionError(13, "The process cannot access the file because it is being used by another process")
        real(src, dst)

    monkeypatch.setattr(store.os, "replace", held_for_a_moment)
    with store.writer_lock(wh), store.swapped(wh) as con:
        con.execute("insert into core.build_info values ('probe', 'new')")
    assert len(refusals) == 3
    assert duckdb.connect(str(wh), read_only=True).execute(
        "select value from core.build_info where key = 'probe'").fetchall() == [("new",)]


def test_a_reader_that_never_lets_go_stops_the_writer_cleanly(built, tmp_path, monkeypatch):
    from etl.errors import WarehouseBusy
    from etl.observations import store

    wh = tmp_path / "w.duckdb"
    shutil.copy(built, wh)
    before = wh.read_bytes()
    monkeypatch.setenv("SHINCHOKU_SWAP_TIMEOUT", "0.3")

    def always_held(src, dst):
        raise PermissionError(13, "being used by another process")

    monkeypatch.setattr(store.os, "replace", always_held)
    with pytest.raises(WarehouseBusy, match="読み取っているツールを閉じてから"):
        with store.writer_lock(wh), store.swapped(wh) as con:
            con.execute("insert into core.build_info values ('probe', 'new')")
    assert wh.read_bytes() == before
    assert not list(tmp_path.glob(".w.duckdb.write-*"))


def test_on_windows_the_dashboard_releases_the_file_between_queries(monkeypatch):
    from warehouse.db import holds_file_open

    assert holds_file_open() == (os.name != "nt")
    monkeypatch.setenv("SHINCHOKU_RELEASE_FILE", "1")  # the Windows mode, forced
    assert not holds_file_open()


def test_the_lock_without_os_locking_queues_writers_and_names_the_holder(built, tmp_path, monkeypatch):
    """The non-POSIX path: SHINCHOKU_SOFT_LOCK=1 (network shares) locks by the lock file's existence."""
    from etl.errors import WarehouseBusy
    from etl.observations import store

    monkeypatch.setenv("SHINCHOKU_SOFT_LOCK", "1")
    wh = tmp_path / "w.duckdb"
    shutil.copy(built, wh)
    with store.writer_lock(wh):
        assert (tmp_path / "w.duckdb.lock").exists()
        with pytest.raises(WarehouseBusy, match="プロセス"):
            with store.writer_lock(wh, timeout_s=0.2):
                pass
    with store.writer_lock(wh, timeout_s=0.2):  # released: the next writer gets it
        pass
