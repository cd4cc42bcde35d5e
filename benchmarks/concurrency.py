"""Many users at once, in real browsers (issue 18): `streamlit run` on a national-scale warehouse and N
simultaneous visitors (Playwright contexts in Debian's Chromium, on the same machine as the server), each
walking the journey of a policy officer before the monthly meeting:

    概要 → 基準日を変える → 府省庁別 → 府省庁を選ぶ → 施策詳細 → 施策を選ぶ → 市区町村別 → 都道府県を選ぶ
    → 資料出力 → Excel資料を作成してダウンロード (→ 概要に戻る)

A step's time runs from the click (or navigation) until Streamlit has finished the script run it caused and
every Plotly and Vega chart on the page has drawn. Halfway through (when half of all steps are done), a
loader loads one prefecture's monthly reply with `shinchoku observations load`; every visitor's next step must show the
new load's time in the sidebar (「最終読込」), read from the new file; a visitor who has finished the
journey by then goes back to 概要 once it has landed (that step is timed too).

Each N runs on a fresh copy of the warehouse and a fresh server that first served one unmeasured journey
(a server in use has its caches warm; the load in the middle then makes them cold again, as in real life).

    python benchmarks/generate.py /tmp/national.duckdb --kpi-copies 10
    python benchmarks/concurrency.py /tmp/national.duckdb [--users 1,5,10,20]

Targets (issue 18), on this 2-core machine with the browsers beside the server: N = 10, p95 ≤ 2 s per
step, no failures, server RSS ≤ 2 GiB.
"""
from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from common import machine, wait_healthy  # noqa: E402
from small_load import reply  # noqa: E402

from tests.e2e.support import CHROMIUM, free_port  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
FIRST_DATE, REPORT_DATE = "2022-04-30", "2022-05-31"
DATE_LABEL = "基準日(この日までに分かっていた値で判定)"
STEP_TIMEOUT_MS = 120_000

# Drawn: no run pending on the page, every chart drawn (asked once the server has said the run finished).
DRAWN = """() => {
    const app = document.querySelector("[data-testid='stApp']");
    if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') return false;
    if (document.querySelector("[data-testid='stStatusWidget']")) return false;
    for (const p of document.querySelectorAll("[data-testid='stPlotlyChart']")) if (!p.querySelector('.main-svg')) return false;
    for (const v of document.querySelectorAll("[data-testid='stVegaLiteChart']")) if (!v.querySelector('canvas, svg')) return false;
    return true;
}"""


# Each action returns the moment of the user's last gesture (the click that sends the change): a step is
# timed from there, not from the typing before it.

async def visit(pg, address: str) -> float:
    t = time.monotonic()
    await pg.goto(address)
    return t


async def nav(pg, title: str) -> float:
    link = pg.locator("[data-testid='stSidebarNavLink']", has_text=title).first
    await link.wait_for()
    t = time.monotonic()
    await link.click()
    return t


async def choose(pg, label: str, option: str) -> float:
    """Streamlit's selectbox is a combobox named by its label (as tests/e2e do it)."""
    box = pg.get_by_role("combobox", name=label, exact=True).first
    await box.click()
    await box.fill(option)
    item = pg.get_by_role("option", name=option, exact=False).first
    await item.wait_for()
    t = time.monotonic()
    await item.click()
    return t


async def change_date(pg) -> float:
    """The date field is three spin buttons (year / month / day): type the month and day as a user would."""
    _, month, day = REPORT_DATE.split("-")
    await pg.get_by_role("spinbutton", name=f"month, {DATE_LABEL}").click()
    await pg.keyboard.type(month + day)
    t = time.monotonic()
    await pg.locator("h1").first.click()  # the field sends its value when it loses focus
    return t


async def make_workbook(pg, out: Path) -> float:
    t = time.monotonic()
    await pg.get_by_role("button", name="Excel資料を作成").click()
    button = pg.get_by_role("button", name="ダウンロード")
    await button.wait_for(timeout=STEP_TIMEOUT_MS)
    async with pg.expect_download(timeout=STEP_TIMEOUT_MS) as info:
        await button.click()
    download = await info.value
    await download.save_as(out)
    if out.stat().st_size < 10_000:
        raise AssertionError(f"workbook of {out.stat().st_size} bytes")
    return t


def journey(url: str, out: Path):
    """(step name, action, whether the action makes a script run to wait for)."""
    return [
        ("概要", lambda pg: visit(pg, f"{url}/?as_of={FIRST_DATE}"), True),
        ("基準日を変える", change_date, True),
        ("府省庁別", lambda pg: nav(pg, "府省庁別"), True),
        ("府省庁を選ぶ", lambda pg: choose(pg, "府省庁", "総務省"), True),
        ("施策詳細", lambda pg: nav(pg, "施策詳細"), True),
        ("施策を選ぶ", lambda pg: choose(pg, "施策", "No 37"), True),
        ("市区町村別", lambda pg: nav(pg, "市区町村別"), True),
        ("都道府県を選ぶ", lambda pg: choose(pg, "都道府県", "北海道"), True),
        ("資料出力", lambda pg: nav(pg, "資料出力"), True),
        ("Excel資料", lambda pg: make_workbook(pg, out), False),
    ]


@dataclass
class Run:
    steps_total: int
    done: int = 0
    load_started: float | None = None
    load_finished: float | None = None
    load_seconds: float | None = None
    load_error: str | None = None
    times: dict[str, list[float]] = field(default_factory=dict)
    server_times: dict[str, list[float]] = field(default_factory=dict)
    received: dict[str, list[int]] = field(default_factory=dict)  # WebSocket bytes the page received
    failures: list[str] = field(default_factory=list)
    saw_new: list[bool] = field(default_factory=list)  # per user: the first step begun after the load showed it
    new_stamp: str | None = None
    halfway: asyncio.Event = field(default_factory=asyncio.Event)
    loaded: asyncio.Event = field(default_factory=asyncio.Event)


async def sidebar_stamp(pg) -> str:
    text = await pg.locator("[data-testid='stSidebar']").inner_text()
    return next((line for line in text.splitlines() if line.startswith("最終読込")), "")


class RunCounter:
    """When the server last reported a script run finished to this page, read from the WebSocket's messages
    (Streamlit's ForwardMsg protobuf). The page's own running indicator is not enough: under load React
    may render a whole quick run at once, and the indicator never changes."""

    FINISHED = {0, 1, 3}  # successfully, with a compile error, a fragment run (not: stopped for a rerun)

    def __init__(self, pg):
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        self.finished_at, self.received, self._msg = 0.0, 0, ForwardMsg
        pg.on("websocket", lambda ws: ws.on("framereceived", self._frame))

    def _frame(self, payload) -> None:
        if not isinstance(payload, bytes):
            return
        self.received += len(payload)
        msg = self._msg()
        with contextlib.suppress(Exception):
            msg.ParseFromString(payload)
            if msg.WhichOneof("type") == "script_finished" and msg.script_finished in self.FINISHED:
                self.finished_at = time.monotonic()

    async def after(self, since: float, timeout: float) -> None:
        """Until a run finishes after `since` (the click): one that ended while the step prepared is not it."""
        end = time.monotonic() + timeout
        while self.finished_at <= since:
            if time.monotonic() > end:
                raise TimeoutError(f"no script run finished within {timeout:.0f} s")
            await asyncio.sleep(0.02)


async def step(pg, counter: RunCounter, name: str, action, reruns: bool, n: int, run: Run | None) -> float | None:
    """Run one step; its seconds, or None when it failed (recorded: a failure is a finding, the visitor goes on)."""
    received = counter.received
    try:
        begun = await action(pg)
        if reruns:
            await counter.after(begun, STEP_TIMEOUT_MS / 1000)
            await pg.wait_for_function(DRAWN, timeout=STEP_TIMEOUT_MS, polling=50)
        if await pg.locator("[data-testid='stException']").count():
            raise AssertionError("an exception is shown")
    except Exception as e:
        if run:
            run.failures.append(f"visitor {n}, {name}: {type(e).__name__}: {str(e).splitlines()[0][:120]}")
        return None
    elapsed = time.monotonic() - begun
    if run:
        run.times.setdefault(name, []).append(elapsed)
        if reruns:  # until the server's message that the run has finished reached the page
            run.server_times.setdefault(name, []).append(counter.finished_at - begun)
        run.received.setdefault(name, []).append(counter.received - received)
    return elapsed


async def visitor(browser, url: str, work: Path, n: int, run: Run | None) -> None:
    """One visitor's journey; then, once the loader has finished, back to 概要 (the next interaction for a
    visitor who finished before the load landed)."""
    context = await browser.new_context(viewport={"width": 1440, "height": 1000}, locale="ja-JP", accept_downloads=True)
    context.set_default_timeout(STEP_TIMEOUT_MS)  # a busy machine is slow to make an element clickable too
    pg = await context.new_page()
    counter = RunCounter(pg)
    checked = run is None
    try:
        steps = journey(url, work / f"visitor{n}.xlsx")
        if run:
            steps.append(("概要に戻る", lambda pg: nav(pg, "概要"), True))
        for i, (name, action, reruns) in enumerate(steps):
            if run and i == len(steps) - 1:
                await run.loaded.wait()
            begun = time.monotonic()
            if await step(pg, counter, name, action, reruns, n, run) is None or run is None:
                continue
            run.done += 1
            if run.done * 2 >= run.steps_total:
                run.halfway.set()
            if not checked and reruns and run.load_finished and begun > run.load_finished:
                checked = True
                run.saw_new.append(await sidebar_stamp(pg) == run.new_stamp)
    finally:
        await context.close()


def start_server(warehouse: Path, log: Path, cpus: str | None = None) -> tuple[subprocess.Popen, str]:
    port = free_port()
    env = dict(os.environ, SHINCHOKU_WAREHOUSE=str(warehouse), STREAMLIT_SERVER_FILE_WATCHER_TYPE="none")
    pin = ["taskset", "-c", cpus] if cpus else []  # taskset execs the server: the pid stays the server's
    proc = subprocess.Popen(
        [*pin, sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"), "--server.port", str(port),
         "--server.headless", "true", "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)
    wait_healthy(port, proc, log)
    return proc, f"http://127.0.0.1:{port}"


def children(pid: int) -> list[int]:
    out = []
    with contextlib.suppress(OSError):
        for task in Path(f"/proc/{pid}/task").iterdir():
            out += [int(c) for c in (task / "children").read_text().split()]
    return out


def tree_cpu(pid: int) -> float:
    """CPU seconds of a process and its descendants: its own, those of the children it has ended (cutime,
    cstime), and those of its live children."""
    own = 0.0
    with contextlib.suppress(OSError):
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        own = sum(int(f) for f in fields[11:15]) / os.sysconf("SC_CLK_TCK")
    return own + sum(tree_cpu(c) for c in children(pid))


def tree_rss(pid: int) -> int:
    total = 0
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total = int(line.split()[1]) * 1024
    return total + sum(tree_rss(c) for c in children(pid))


class Monitor(threading.Thread):
    """The server's resident memory (with its worker processes), sampled every 0.2 s, and the CPU time of the
    server and of the browsers (Playwright's driver and Chromium, everything this process started but the
    server) over the run."""

    def __init__(self, server: int):
        super().__init__(daemon=True)
        self.server, self.browsers = server, [c for c in children(os.getpid()) if c != server]
        self.peak_rss, self.stop = 0, threading.Event()
        self.start_cpu, self.wall0 = self.cpu(), time.monotonic()
        self.peak_server_cpu, self._last = 0.0, (self.start_cpu[0], self.wall0)

    def cpu(self) -> tuple[float, float]:
        return tree_cpu(self.server), sum(tree_cpu(b) for b in self.browsers)

    def run(self) -> None:
        while not self.stop.wait(0.2):
            self.peak_rss = max(self.peak_rss, tree_rss(self.server))
            server, wall = tree_cpu(self.server), time.monotonic()  # not the browsers: this runs 5 times a second
            if wall - self._last[1] >= 1.0:
                self.peak_server_cpu = max(self.peak_server_cpu, (server - self._last[0]) / (wall - self._last[1]))
                self._last = (server, wall)

    def used(self) -> tuple[float, float]:
        """CPU seconds of the server and of the browsers since the start."""
        now = self.cpu()
        return now[0] - self.start_cpu[0], now[1] - self.start_cpu[1]


async def load_halfway(run: Run, warehouse: Path, batch: Path) -> None:
    """The loader: when half of all steps are done, `shinchoku observations load` one prefecture's reply."""
    await run.halfway.wait()
    try:
        await load(run, warehouse, batch)
    finally:
        run.loaded.set()


async def load(run: Run, warehouse: Path, batch: Path) -> None:
    run.load_started = time.monotonic()
    proc = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).with_name("shinchoku")), "--quiet", "observations", "load", str(batch), "--warehouse", str(warehouse),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    out, _ = await proc.communicate()
    run.load_finished = time.monotonic()
    run.load_seconds = run.load_finished - run.load_started
    if proc.returncode:
        run.load_error = out.decode()[-500:]
        return
    from warehouse.db import connect_readonly
    from ui import labels
    con = connect_readonly(warehouse)
    try:
        run.new_stamp = f"最終読込: {labels.timestamp(con.execute('select max(loaded_at) from obs_batches').fetchone()[0])}"
    finally:
        con.close()


def pinned_chromium(work: Path, cpus: str) -> str:
    """A Chromium that runs on the given CPUs only (with --split: the browsers as if on other machines)."""
    wrapper = work / "chromium-pinned"
    wrapper.write_text(f'#!/bin/sh\nexec taskset -c {cpus} {CHROMIUM} "$@"\n')
    wrapper.chmod(0o755)
    return str(wrapper)


async def one_n(source: Path, n: int, work: Path, profile: Path | None = None, split: bool = False) -> dict:
    from playwright.async_api import async_playwright

    warehouse = work / f"n{n}.duckdb"
    shutil.copyfile(source, warehouse)
    batch = work / f"reply_n{n}.csv"
    rows = reply(batch, warehouse, "2022-05")
    proc, url = start_server(warehouse, work / f"server_n{n}.log", "0" if split else None)
    try:
        async with async_playwright() as p:
            browser = await p.chromium.launch(executable_path=pinned_chromium(work, "1") if split else CHROMIUM, args=[
                "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                "--no-first-run", "--disable-dev-shm-usage"])
            await visitor(browser, url, work, -1, None)  # warm-up, not measured
            monitor = Monitor(proc.pid)
            monitor.start()
            spy = None
            if profile:  # py-spy's sampling (100/s) of the server's threads, as collapsed stacks
                spy = subprocess.Popen([str(Path(sys.executable).with_name("py-spy")), "record", "--pid", str(proc.pid),
                                        "--format", "raw", "--nonblocking", "--threads", "--idle", "-o", f"{profile}.n{n}.txt"],
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            run = Run(steps_total=n * (len(journey(url, work)) + 1))
            t = time.monotonic()
            await asyncio.gather(load_halfway(run, warehouse, batch),
                                 *(visitor(browser, url, work, i, run) for i in range(n)))
            wall, cpu = time.monotonic() - t, monitor.used()
            monitor.stop.set()
            monitor.join()
            if spy:
                spy.send_signal(2)  # SIGINT: py-spy writes its file and ends
                spy.wait(timeout=60)
            await browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    return {"n": n, "rows": rows, "run": run, "wall": wall, "rss": monitor.peak_rss, "cpu": cpu,
            "peak_cpu": monitor.peak_server_cpu}


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, max(0, round(q * len(values) + 0.5) - 1))]


def pad(text: str, width: int) -> str:
    """Left-justify by display width: a kanji takes two columns of a terminal."""
    return text + " " * max(0, width - sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text))


def figures(values: list[float]) -> str:
    return f" {statistics.median(values):6.2f} {pct(values, 0.95):6.2f} {max(values):6.2f}"


def report(r: dict) -> None:
    run: Run = r["run"]
    steps = sum(len(v) for v in run.times.values()) or 1
    server, browsers = r["cpu"]
    print(f"\nN = {r['n']}: {r['wall']:.0f} s for the whole run; server peak RSS {r['rss'] / 2**30:.2f} GiB; "
          f"CPU: server {server:.0f} s ({server / r['wall']:.2f} cores on average, {r['peak_cpu']:.2f} at the busiest "
          f"second, {server / steps:.2f} s per step), browsers {browsers:.0f} s ({browsers / steps:.2f} s per step)")
    print(f"  seconds, {r['n']} visitor(s): until drawn (p50 p95 max) | until the server's run had finished (p50 p95 max)"
          " | KiB sent to the page (p50)")
    everything, served = [], []
    for name, values in run.times.items():
        everything += values
        server = run.server_times.get(name, [])
        served += server
        print(f"  {pad(name, 16)}" + figures(values) + " |" + (figures(server) if server else pad("  (no rerun)", 21))
              + f" | {statistics.median(run.received[name]) / 1024:7,.0f}")
    if everything:
        print(f"  {pad('every step', 16)}" + figures(everything) + " |" + figures(served))
    print(f"  failures: {len(run.failures)}" + "".join(f"\n    {f}" for f in run.failures[:10]))
    if run.load_error:
        print(f"  load FAILED: {run.load_error}")
    else:
        print(f"  load of {r['rows']:,} rows halfway: {run.load_seconds:.2f} s; visitors who saw it on their next step: "
              f"{sum(run.saw_new)}/{r['n']}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("warehouse", type=Path, help="a national-scale warehouse (copied for each N; the file is not changed)")
    ap.add_argument("--users", default="1,5,10,20",
                    help="comma-separated numbers of simultaneous visitors (default: 1,5,10,20; about 9 min at 28 M rows)")
    ap.add_argument("--split", action="store_true",
                    help="server on CPU 0, browsers on CPU 1: the server's share as if the browsers were elsewhere")
    ap.add_argument("--profile", type=Path, help="record the server with py-spy into PROFILE.nN.txt (collapsed stacks)")
    args = ap.parse_args()
    print(f"machine: {machine()}")
    print(f"warehouse: {args.warehouse} ({args.warehouse.stat().st_size / 2**20:,.0f} MiB), report date {REPORT_DATE}")
    print("server on CPU 0, browsers on CPU 1" if args.split else "server and browsers share the machine's CPUs")
    work = Path(tempfile.mkdtemp(prefix="shinchoku-concurrency-"))
    failed = False
    try:
        for n in (int(x) for x in args.users.split(",")):
            r = asyncio.run(one_n(args.warehouse, n, work, args.profile, args.split))
            report(r)
            failed |= bool(r["run"].failures or r["run"].load_error or sum(r["run"].saw_new) < r["n"])
            sys.stdout.flush()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
