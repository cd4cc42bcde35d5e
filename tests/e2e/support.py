"""What the browser tests share: a `streamlit run` on a free local port, and helpers that wait for a page,
read its text and take its screenshot."""
from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serve(warehouse: Path, secrets: Path | None = None, **env):
    """`streamlit run app.py` on the warehouse until the block ends; yields its base URL."""
    port = free_port()
    # no file watcher: a file saved while the tests run would leave Streamlit's "Rerun" prompt up
    env = dict(os.environ, SHINCHOKU_WAREHOUSE=str(warehouse), STREAMLIT_SERVER_FILE_WATCHER_TYPE="none", **env)
    extra = ["--secrets.files", str(secrets)] if secrets else []
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.port", str(port),
         "--server.headless", "true", "--server.address", "127.0.0.1", *extra, "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.3)
        else:
            proc.kill()
            pytest.fail("streamlit did not start: " + (proc.stdout.read() if proc.stdout else ""))
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def settle(pg, timeout=60):
    """Wait until Streamlit has finished running the script (no running indicator, stable content)."""
    pg.wait_for_selector("[data-testid='stApp']", timeout=timeout * 1000)
    end = time.time() + timeout
    time.sleep(0.8)
    while time.time() < end:
        running = pg.locator("[data-testid='stStatusWidget']").count()
        if not running and pg.locator("h1").count():
            time.sleep(0.8)
            if not pg.locator("[data-testid='stStatusWidget']").count():
                return
        time.sleep(0.3)
    raise AssertionError("the page did not finish running")


def shot(pg, name):
    ARTIFACTS.mkdir(exist_ok=True)
    pg.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def content(pg) -> str:
    return pg.locator("[data-testid='stMain']").inner_text()


def visible_text(pg) -> str:
    """The words a reader sees on the page: icon ligatures (keyboard_arrow_down), addresses and the SQL
    editor's code left out, chart text (axes, legends) kept."""
    text = pg.evaluate("""() => {
        const main = document.querySelector("[data-testid='stMain']").cloneNode(true);
        main.querySelectorAll("[data-testid='stIconMaterial'], textarea, code, pre").forEach(e => e.remove());
        return main.innerText; }""")
    return re.sub(r"https?://\S+", "", text)


def sign_in(pg, name: str, password: str) -> None:
    """Fill the page's login form (a local user of the secrets file) and wait for the page to run again."""
    pg.get_by_label("利用者名").fill(name)
    pg.get_by_label("パスワード").fill(password)
    pg.get_by_role("button", name="ログイン").click()
    settle(pg)
