"""Check: two dashboard replicas behind nginx with session affinity, one warehouse file (issue 18 part 3).

What docs/deploy.md describes, run for real on this machine: a demo warehouse in a temp folder, two
`shinchoku serve` replicas on it, Debian's nginx in front (TLS with a throwaway certificate, affinity by a
cookie that nginx sets itself), Debian's Chromium opening several sessions on データ品質 through the
proxy. Then a load through the writer side (`shinchoku observations load` on the same file) and, in every
open session, one rerun (a click on the page) that must show the new batch under 最近の読込.
With --copy, replica B reads its own copy of the file instead, which rsync refreshes after the load
(rsync writes a temporary file beside it and renames it into place): the second way of docs/deploy.md.

Checks, each printed ok / FAILED with its figures; the exit status is 1 when any failed:
  - every request of a session (page, assets, the WebSocket /_stcore/stream) went to one replica,
    read from nginx's access log, which logs the affinity key and $upstream_addr of every request;
  - each session kept a single WebSocket through the load and its rerun;
  - both replicas got sessions;
  - the load succeeded, and each session saw its batch on its next rerun (time from the load).

    .venv/bin/python benchmarks/replicas.py [--sessions 6] [--copy] [--keep]

Needs /usr/sbin/nginx (`apt-get install -y nginx`), /usr/bin/chromium, openssl, and rsync for --copy.
Runs in 30–60 s; every process it starts is stopped on the way out.
"""
from __future__ import annotations

import argparse
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from common import machine, wait_healthy  # noqa: E402

from tests.e2e.support import CHROMIUM, free_port, settle  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
NGINX = "/usr/sbin/nginx"
SHINCHOKU = str(Path(sys.executable).with_name("shinchoku"))
# A name that is not localhost: Streamlit admits WebSocket origins of localhost whatever the Host header
# says, so only a real-looking name shows that the proxy passes Host through (as production needs).
HOST = "dash.shinchoku.test"
COOKIE = "shinchoku_affinity"
MAX_SESSIONS = 12  # keep opening sessions until both replicas have one, up to this many

# The part of the nginx configuration that docs/deploy.md shows (with production ports, names and paths).
SITE = r"""
map $http_upgrade $connection_upgrade {
    default upgrade;
    ''      close;
}

# Affinity key: the browser's cookie; on its first request (no cookie yet) a fresh random id, which the
# response then sets as the cookie, so that request and every later one hash alike.
map $cookie_shinchoku_affinity $shinchoku_affinity {
    ''      $request_id;
    default $cookie_shinchoku_affinity;
}
map $cookie_shinchoku_affinity $shinchoku_affinity_set {
    ''      "shinchoku_affinity=$request_id; Path=/; Secure; HttpOnly; SameSite=Lax";
    default "";
}

log_format shinchoku '$time_iso8601 key=$shinchoku_affinity upstream=$upstream_addr status=$status '
                     'request="$request" time=$request_time';

upstream shinchoku_replicas {
    hash $shinchoku_affinity consistent;
    server @REPLICA_A@ max_fails=3 fail_timeout=30s;
    server @REPLICA_B@ max_fails=3 fail_timeout=30s;
}

server {
    listen @LISTEN@ ssl;
    server_name @SERVER_NAME@;
    ssl_certificate     @CERT@;
    ssl_certificate_key @KEY@;
    ssl_protocols TLSv1.2 TLSv1.3;
    access_log @ACCESS_LOG@ shinchoku;
    client_max_body_size 20m;   # Streamlit's server.maxUploadSize (.streamlit/config.toml)

    location / {
        proxy_pass http://shinchoku_replicas;
        proxy_http_version 1.1;
        proxy_set_header Host $http_host;
        proxy_set_header Upgrade $http_upgrade;
        proxy_set_header Connection $connection_upgrade;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_set_header X-Forwarded-Proto $scheme;
        proxy_read_timeout 1h;
        proxy_send_timeout 1h;
        add_header Set-Cookie $shinchoku_affinity_set always;
    }
}
"""

# What a production nginx.conf (Debian's) already has; here every path points into the temp folder.
MAIN = r"""
worker_processes 2;
pid @WORK@/nginx.pid;
error_log @WORK@/error.log warn;
events { worker_connections 512; }
http {
    client_body_temp_path @WORK@/tmp/body;
    proxy_temp_path @WORK@/tmp/proxy;
    fastcgi_temp_path @WORK@/tmp/fastcgi;
    uwsgi_temp_path @WORK@/tmp/uwsgi;
    scgi_temp_path @WORK@/tmp/scgi;
@SITE@
}
"""

LOG_LINE = re.compile(r'key=(\S+) upstream=(\S+(?:, \S+)*) status=(\d+) request="(\S+) (\S+)')


@dataclass
class Session:
    """One browser context: its affinity cookie, its replica and the times it saw things."""
    context: object
    page: object
    key: str = ""
    replica: str = ""
    opened_s: float = 0.0
    clicked_at: float = 0.0
    seen_at: float | None = None


@dataclass
class Report:
    rows: list[tuple[str, bool, str]] = field(default_factory=list)

    def check(self, name: str, ok: bool, figures: str) -> None:
        self.rows.append((name, ok, figures))
        print(f"  {'ok' if ok else 'FAILED':6} {name}: {figures}", flush=True)

    @property
    def failed(self) -> bool:
        return any(not ok for _, ok, _ in self.rows)


def fill(template: str, **values: str) -> str:
    # @NAME@ placeholders: nginx's own syntax is full of $ and braces
    for name, value in values.items():
        template = template.replace(f"@{name}@", value)
    return template


def run(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(list(args), capture_output=True, text=True, timeout=timeout, cwd=ROOT)


def make_warehouse(work: Path) -> Path:
    """A warehouse built from the bundled sources, then the demo on it (synthetic loads to show)."""
    defs = work / "kpi_defs.yaml"
    shutil.copyfile(ROOT / "kpi_defs.yaml", defs)  # a build may rewrite its definitions file: never the checkout's
    source, demo = work / "source.duckdb", work / "shared" / "shinchoku.duckdb"
    demo.parent.mkdir()
    for args in (("build", "--warehouse", str(source), "--defs", str(defs), "--no-write-defs"),
                 ("demo", "--warehouse", str(source), "--out", str(demo))):
        done = run(SHINCHOKU, "-q", *args)
        if done.returncode:
            raise SystemExit(f"shinchoku {args[0]} failed:\n{done.stdout}{done.stderr}")
    return demo


def start_replica(warehouse: Path, port: int, log: Path, cookie_secret: str) -> subprocess.Popen:
    # no file watcher: nothing reruns sessions behind the test's back; one cookie secret on every replica,
    # as Streamlit asks of replicas (signed cookies made by one are accepted by the others)
    env = dict(os.environ, STREAMLIT_SERVER_FILE_WATCHER_TYPE="none", STREAMLIT_SERVER_COOKIE_SECRET=cookie_secret)
    with open(log, "w", encoding="utf-8") as out:
        return subprocess.Popen(
            [SHINCHOKU, "serve", "--warehouse", str(warehouse), "--port", str(port), "--server.address", "127.0.0.1",
             "--server.headless", "true", "--server.allowedHosts", HOST],
            env=env, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)


def self_signed(work: Path) -> tuple[Path, Path]:
    cert, key = work / "tls.crt", work / "tls.key"
    done = run("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", f"/CN={HOST}",
               "-addext", f"subjectAltName=DNS:{HOST}", "-keyout", str(key), "-out", str(cert))
    if done.returncode:
        raise SystemExit(f"openssl failed:\n{done.stderr}")
    return cert, key


def nginx_config(work: Path, listen: int, replicas: list[str], cert: Path, key: Path) -> str:
    site = fill(SITE, REPLICA_A=replicas[0], REPLICA_B=replicas[1], LISTEN=f"127.0.0.1:{listen}", SERVER_NAME=HOST,
                CERT=str(cert), KEY=str(key), ACCESS_LOG=str(work / "access.log"))
    return fill(MAIN, WORK=str(work), SITE=site)


def start_nginx(work: Path, conf: Path, port: int) -> subprocess.Popen:
    (work / "tmp").mkdir(exist_ok=True)
    # the startup error log is compiled in (/var/log/nginx): -e keeps even that inside the temp folder
    base = [NGINX, "-e", str(work / "error.log"), "-p", str(work), "-c", str(conf)]
    tested = run(*base, "-t")
    if tested.returncode:
        raise SystemExit(f"nginx -t refused the configuration:\n{tested.stderr}")
    proc = subprocess.Popen([*base, "-g", "daemon off;"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"nginx exited:\n{proc.stdout.read()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return proc
        except OSError:
            time.sleep(0.2)
    raise SystemExit("nginx did not listen")


def nginx_version() -> str:
    return run(NGINX, "-v").stderr.strip().replace("nginx version: ", "")


def access_log(work: Path) -> list[tuple[str, str, int, str]]:
    """(affinity key, upstream address(es), status, path) for every request nginx has logged so far."""
    path = work / "access.log"
    if not path.exists():
        return []
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        m = LOG_LINE.search(line)
        if m:
            rows.append((m[1], m[2], int(m[3]), m[5]))
    return rows


def grid_text(pg) -> str:
    """The cells of every table on the page: st.dataframe draws on a canvas, its text is only in the
    accessible table beside it."""
    return pg.evaluate("""() => Array.from(document.querySelectorAll("[data-testid='stMain'] table[role='grid']"))
                               .map(t => t.textContent).join('\\n')""")


def open_session(browser, url: str, work: Path, replicas: dict[str, str]) -> Session:
    context = browser.new_context(ignore_https_errors=True, viewport={"width": 1400, "height": 2400}, locale="ja-JP")
    pg = context.new_page()
    started = time.monotonic()
    pg.goto(url)
    settle(pg)
    pg.get_by_text("最近の読込", exact=True).wait_for(timeout=30_000)
    s = Session(context, pg, opened_s=time.monotonic() - started)
    s.key = next((c["value"] for c in context.cookies() if c["name"] == COOKIE), "")
    # the page itself is logged as soon as it is served: it names the replica of this session
    upstreams = {up for key, up, _, path in access_log(work) if key == s.key and path.split("?")[0] == "/quality"}
    s.replica = ", ".join(sorted(replicas.get(u, u) for u in upstreams)) or "?"
    return s


def open_sessions(browser, url: str, work: Path, replicas: dict[str, str], wanted: int) -> list[Session]:
    sessions: list[Session] = []
    while len(sessions) < wanted or (len({s.replica for s in sessions}) < 2 and len(sessions) < MAX_SESSIONS):
        s = open_session(browser, url, work, replicas)
        sessions.append(s)
        print(f"  session {len(sessions)}: replica {s.replica}, page run in {s.opened_s:.1f} s", flush=True)
    return sessions


def publish(warehouse: Path, folder: Path) -> str:
    """The replica's copy refreshed as a replica host would pull it: rsync's default writes a temporary
    file in the folder and renames it over the old one, so a reader never sees a half-copied file."""
    target = folder / warehouse.name
    before = target.stat().st_ino if target.exists() else None
    done = run("rsync", "-a", str(warehouse), f"{folder}/")
    if done.returncode:
        raise SystemExit(f"rsync failed:\n{done.stderr}")
    return f"inode {before} → {target.stat().st_ino}"


def batch_file(work: Path) -> Path:
    """A one-row observation file under a name that appears nowhere else (its value makes its hash new too)."""
    path = work / f"replicas-check-{secrets.token_hex(4)}.csv"
    path.write_text(f"KPI ID,団体コード,期間,値,出典,備考\nM37-E1,,2019,{30000 + secrets.randbelow(1000)},,\n",
                    encoding="utf-8")
    return path


def rerun_until_seen(sessions: list[Session], name: str, timeout: float = 45) -> None:
    """Rerun every session once (a click on a radio button of the page: same session, same WebSocket),
    then poll them all until each shows the batch; seen_at stays None for those that never do."""
    for s in sessions:
        # 重要度 starts at 要確認: choosing 判断の記録 is a change, hence one rerun
        s.page.get_by_text("判断の記録", exact=True).first.click()
        s.clicked_at = time.monotonic()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and any(s.seen_at is None for s in sessions):
        for s in sessions:
            if s.seen_at is None and name in grid_text(s.page):
                s.seen_at = time.monotonic()
        time.sleep(0.1)


def check_affinity(report: Report, sessions: list[Session], work: Path) -> None:
    """From nginx's log, after the sessions closed (a WebSocket is logged when it ends)."""
    log = access_log(work)
    one_replica, one_socket, counts = [], [], []
    for s in sessions:
        mine = [(up, status, path) for key, up, status, path in log if key == s.key]
        upstreams = {up for up, _, _ in mine}
        sockets = [(up, status) for up, status, path in mine if path.startswith("/_stcore/stream")]
        counts.append(len(mine))
        one_replica.append(len(upstreams) == 1 and len(mine) > 0)
        one_socket.append(len(sockets) == 1 and sockets[0][1] == 101 and {sockets[0][0]} == upstreams)
    unkeyed = [r for r in log if r[0] not in {s.key for s in sessions}]
    report.check("every request of a session on one replica (page, assets, WebSocket)",
                 all(one_replica) and not unkeyed,
                 f"{sum(one_replica)}/{len(sessions)} sessions; "
                 + (f"{min(counts)}" if min(counts) == max(counts) else f"{min(counts)}–{max(counts)}")
                 + f" requests each; {len(unkeyed)} requests without a session's cookie")
    report.check("one WebSocket per session, on its replica, kept through the load and the rerun",
                 all(one_socket), f"{sum(one_socket)}/{len(sessions)} sessions")


@dataclass
class Stack:
    """What runs for the check: the writer's warehouse, the replicas and nginx in front of them."""
    work: Path
    warehouse: Path
    copy_folder: Path | None  # replica B's own folder with --copy
    replicas: dict[str, str]  # upstream address → replica name
    url: str


def start_stack(work: Path, copy: bool, procs: list[subprocess.Popen]) -> Stack:
    """Warehouse, two replicas, nginx; every process started is appended to procs at once (for cleanup)."""
    t = time.monotonic()
    warehouse = make_warehouse(work)
    print(f"warehouse: build + demo in {time.monotonic() - t:.1f} s ({warehouse})")

    t = time.monotonic()
    ports, cookie_secret = [free_port(), free_port()], secrets.token_hex(32)
    files, copy_folder = [warehouse, warehouse], work / "replica-B" if copy else None
    if copy_folder:
        copy_folder.mkdir()
        publish(warehouse, copy_folder)
        files[1] = copy_folder / warehouse.name
    logs = [work / f"replica-{name}.log" for name in "AB"]
    for f, port, log in zip(files, ports, logs):
        procs.append(start_replica(f, port, log, cookie_secret))
    for port, proc, log in zip(ports, procs, logs):
        wait_healthy(port, proc, log)
    print(f"replicas: A on 127.0.0.1:{ports[0]}, B on 127.0.0.1:{ports[1]}, healthy in {time.monotonic() - t:.1f} s; "
          + (f"B reads its own copy ({files[1]})" if copy_folder else "both read the same file"))

    listen = free_port()
    cert, key = self_signed(work)
    replicas = {f"127.0.0.1:{port}": name for port, name in zip(ports, "AB")}
    conf = work / "nginx.conf"
    conf.write_text(nginx_config(work, listen, list(replicas), cert, key), encoding="utf-8")
    procs.append(start_nginx(work, conf, listen))
    url = f"https://{HOST}:{listen}/quality"
    print(f"nginx {nginx_version()}: {url} (TLS, self-signed), config {conf}")
    return Stack(work, warehouse, copy_folder, replicas, url)


def check_spread(report: Report, sessions: list[Session]) -> None:
    per_replica = {name: sum(s.replica == name for s in sessions) for name in "AB"}
    report.check("both replicas get sessions", all(per_replica.values()),
                 ", ".join(f"{n}: {c}" for n, c in per_replica.items()) + f" of {len(sessions)}")
    report.check("every session has its affinity cookie", all(s.key for s in sessions),
                 f"{sum(bool(s.key) for s in sessions)}/{len(sessions)}")


def load_and_watch(report: Report, sessions: list[Session], stack: Stack) -> None:
    """The writer loads a batch (and with --copy, rsync publishes it to replica B); then every session's
    next rerun must show it."""
    batch = batch_file(stack.work)
    t = time.monotonic()
    done = run(SHINCHOKU, "-q", "observations", "load", str(batch), "--warehouse", str(stack.warehouse),
               "--user", "replicas-check")
    loaded_at = time.monotonic()
    report.check("load on the writer's file (shinchoku observations load)", done.returncode == 0,
                 f"exit {done.returncode}, {loaded_at - t:.1f} s, {batch.name}"
                 + ("" if done.returncode == 0 else f"\n{done.stdout}{done.stderr}"))
    if stack.copy_folder:
        t = time.monotonic()
        moved = publish(stack.warehouse, stack.copy_folder)
        report.check("copy published to replica B (rsync: temporary file, then rename)", True,
                     f"{time.monotonic() - t:.1f} s, {moved}")
    rerun_until_seen(sessions, batch.name)
    for name in "AB":
        mine = [s for s in sessions if s.replica == name]
        seen = [s for s in mine if s.seen_at is not None]
        figures = f"{len(seen)}/{len(mine)} sessions"
        if seen:
            figures += (f"; after the load ended {', '.join(f'{s.seen_at - loaded_at:.1f}' for s in seen)} s"
                        f"; from the click at most {max(s.seen_at - s.clicked_at for s in seen):.1f} s")
        report.check(f"new batch shown on replica {name} at the session's next rerun",
                     bool(mine) and len(seen) == len(mine), figures)


def stop(procs: list[subprocess.Popen]) -> None:
    for proc in reversed(procs):
        proc.terminate()
    for proc in reversed(procs):
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def main() -> int:
    from playwright.sync_api import sync_playwright

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sessions", type=int, default=6, help="browser sessions to open (more if one replica got none)")
    ap.add_argument("--copy", action="store_true", help="replica B on its own copy, refreshed by rsync after the load")
    ap.add_argument("--keep", action="store_true", help="keep the temp folder (config, logs) for inspection")
    args = ap.parse_args()
    for tool in (NGINX, CHROMIUM) + (("/usr/bin/rsync",) if args.copy else ()):
        if not Path(tool).exists():
            raise SystemExit(f"{tool} is missing (Debian: apt-get install -y {Path(tool).name})")

    started = time.monotonic()
    work = Path(tempfile.mkdtemp(prefix="shinchoku-replicas-"))
    work.chmod(0o755)  # nginx's workers run as an unprivileged user and buffer into tmp/ here
    report, procs, sessions = Report(), [], []
    print("replicas.py: two Streamlit replicas behind nginx, session affinity by cookie, "
          + ("B on an rsync'd copy of the warehouse" if args.copy else "one shared warehouse file"))
    print(f"machine: {machine()}")
    try:
        stack = start_stack(work, args.copy, procs)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=[
                "--no-sandbox", "--disable-gpu", "--no-first-run", f"--host-resolver-rules=MAP {HOST} 127.0.0.1"])
            try:
                sessions += open_sessions(browser, stack.url, work, stack.replicas, args.sessions)
                check_spread(report, sessions)
                load_and_watch(report, sessions, stack)
            finally:
                browser.close()  # closes every session's WebSocket, which nginx then logs
        time.sleep(0.5)
        check_affinity(report, sessions, work)
    finally:
        stop(procs)
        if args.keep:
            print(f"kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    passed = sum(ok for _, ok, _ in report.rows)
    print(f"{'FAILED' if report.failed else 'all checks ok'} ({passed}/{len(report.rows)}), "
          f"{time.monotonic() - started:.0f} s in all")
    return 1 if report.failed else 0


if __name__ == "__main__":
    sys.exit(main())
