"""The wheel works where users install it: outside the checkout, in a fresh virtual environment, with its
data under $SHINCHOKU_HOME and nothing written into site-packages: build → demo → load → export → serve."""
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def run(*args, env=None, cwd=None, timeout=600) -> subprocess.CompletedProcess:
    result = subprocess.run([str(a) for a in args], env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, f"{args}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    base = tmp_path_factory.mktemp("wheel")
    run(sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", base / "dist", ROOT)
    wheel = next((base / "dist").glob("shinchoku-*.whl"))
    run(sys.executable, "-m", "venv", base / "venv")
    python = base / "venv" / ("Scripts" if os.name == "nt" else "bin") / "python"
    site = Path(run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])").stdout.strip())
    # The wheel itself goes into the fresh venv; its dependencies are borrowed from the test environment
    # through a path entry (a path added by a .pth file gets no .pth processing, so the checkout's editable
    # install stays invisible). Installing the 60 dependencies again took a minute of CI's 20.
    run(python, "-m", "pip", "install", "-q", "--no-deps", wheel)
    borrowed = Path(run(sys.executable, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])").stdout.strip())
    (site / "zz_test_dependencies.pth").write_text(f"{borrowed}\n", encoding="utf-8")
    missing = run(python, "-c", "import importlib.metadata as m, re; from packaging.requirements import Requirement; "
                                "print([r for r in m.requires('shinchoku') if 'extra' not in r and "
                                "not m.distribution(Requirement(r).name)])").stdout.strip()
    assert missing == "[]", missing  # every declared dependency is there
    where = run(python, "-c", "import etl, etl.settings as s; print(etl.__file__, s.IS_CHECKOUT)", cwd=base).stdout.split()
    assert Path(where[0]).is_relative_to(site) and where[1] == "False"  # the wheel's code, not the checkout's
    home = base / "home"
    env = {**os.environ, "SHINCHOKU_HOME": str(home)}
    for var in ("SHINCHOKU_WAREHOUSE", "SHINCHOKU_KPI_DEFS", "SHINCHOKU_SOURCES", "PYTHONPATH"):
        env.pop(var, None)
    work = base / "work"  # a folder far from the checkout: nothing may be found relative to it
    work.mkdir()
    return {"python": python, "shinchoku": python.parent / "shinchoku", "env": env, "home": home, "work": work,
            "site": site}


def test_the_wheel_carries_what_the_program_reads(installed):
    bundle = installed["site"] / "etl" / "_bundle"
    for part in ("app.py", "pages/overview.py", ".streamlit/config.toml", "data/sources/manifest.yaml",
                 "data/reference/eras.yaml", "docs/schema.md", "kpi_defs.yaml"):
        assert (bundle / part).is_file(), part
    assert (installed["site"] / "warehouse" / "sql" / "schema.sql").is_file()
    assert (installed["site"] / "exports" / "meeting.yaml").is_file()
    assert not list(installed["site"].glob("warehouse/*.duckdb"))


def test_build_demo_load_export_and_serve_outside_the_checkout(installed, free_port):
    sh, env, work, home = installed["shinchoku"], installed["env"], installed["work"], installed["home"]
    assert run(sh, "--version", env=env, cwd=work).stdout.startswith("shinchoku ")
    run(sh, "build", env=env, cwd=work)
    assert (home / "shinchoku.duckdb").is_file() and (home / "kpi_defs.yaml").is_file()
    run(sh, "demo", env=env, cwd=work)
    csv = work / "obs.csv"
    csv.write_text("KPI ID,団体コード,期間,値,出典,備考\nM37-E1,,2019,30000,,\n", encoding="utf-8")
    run(sh, "observations", "load", csv, env=env, cwd=work)
    run(sh, "export", "monthly", "--as-of", "2021-03-31", "--warehouse", home / "demo.duckdb", "--out", work / "m.xlsx",
        env=env, cwd=work)
    assert (work / "m.xlsx").stat().st_size > 10_000
    written = [p for p in installed["site"].rglob("*") if p.suffix in (".duckdb", ".lock", ".xlsx")]
    assert written == []  # user data never lands in site-packages

    server = subprocess.Popen([str(sh), "serve", "--port", str(free_port), "--warehouse", str(home / "demo.duckdb"),
                               "--server.headless", "true"], env=env, cwd=work,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline, status = time.monotonic() + 60, None
        while time.monotonic() < deadline and status != 200:
            try:
                status = urllib.request.urlopen(f"http://127.0.0.1:{free_port}/_stcore/health", timeout=2).status
            except OSError:
                time.sleep(0.5)
        assert status == 200
        assert urllib.request.urlopen(f"http://127.0.0.1:{free_port}/", timeout=5).status == 200
    finally:
        server.terminate()
        server.wait(timeout=20)


@pytest.fixture
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
