"""The overview as a visitor meets it: `streamlit run` on a warehouse, Debian's Chromium opening 概要, and
the time from navigation until the script has finished and its charts are drawn (the first visit after
the server starts, then new sessions with the server's caches warm).

    python benchmarks/generate.py /tmp/national.duckdb --kpi-copies 10
    python benchmarks/first_screen.py /tmp/national.duckdb [--as-of 2022-05-31] [--visits 4]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from common import machine  # noqa: E402

from tests.e2e.support import CHROMIUM, serve  # noqa: E402


def drawn(pg, charts: int) -> bool:
    return (pg.locator("[data-testid='stStatusWidget']").count() == 0 and pg.locator("h1").count() > 0
            and pg.locator(".js-plotly-plot .main-svg").count() >= charts)


def main() -> None:
    from playwright.sync_api import sync_playwright

    ap = argparse.ArgumentParser()
    ap.add_argument("warehouse", type=Path)
    ap.add_argument("--as-of", default="2022-05-31")
    ap.add_argument("--visits", type=int, default=4)
    ap.add_argument("--charts", type=int, default=3, help="charts the page draws when it is complete")
    args = ap.parse_args()
    print(f"machine: {machine()}")
    with serve(args.warehouse) as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM)
        for visit in range(args.visits):
            context = browser.new_context(viewport={"width": 1440, "height": 1000}, locale="ja-JP")
            pg = context.new_page()
            t = time.perf_counter()
            pg.goto(f"{url}/?as_of={args.as_of}")
            while not drawn(pg, args.charts):
                time.sleep(0.05)
            print(f"visit {visit + 1}: {time.perf_counter() - t:5.2f} s" + (" (first after the server started)" if visit == 0 else ""))
            context.close()
        browser.close()


if __name__ == "__main__":
    main()
