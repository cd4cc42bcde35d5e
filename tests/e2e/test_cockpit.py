"""The cockpit in a real browser: every page at desktop (1440 px) and phone (390 px) width, on the bundled
data, the demo and a missing warehouse, reads as clean Japanese (no None, nan, FY20xx, English month
names, snake_case codes or stored file names) and passes the accessibility audit (test_accessibility),
with a screenshot of each in test-artifacts/; and the
task "which of 総務省's measures are behind, and why?" is answered from 概要 in two clicks."""
from __future__ import annotations

import csv
import io
import json
import os
import re
from pathlib import Path

import pytest

from etl.demo import create_demo
from tests.e2e.support import CHROMIUM, serve, settle, shot, visible_text

playwright = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists() and not os.environ.get("CI"),
                                reason="Debian's chromium is not installed (.ci/run installs it)")

PAGES = ["", "ministries?ministry=総務省", "pillars", "municipalities", "measure?measure=76", "measures", "schedule",
         "quality", "upload", "datacall", "export", "sql"]
MONTHS = "January|February|March|April|May|June|July|August|September|October|November|December"
RAW = re.compile(rf"\b(None|nan|NaN|NaT|null|empty)\b|FY20\d\d|\b({MONTHS}|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\b"
                 r"|\b[a-z]+_[a-z0-9_]+\b|\b\d{3}_[0-9a-f]{16}\b")
WIDTHS = {"desktop": (1440, 1000), "phone": (390, 844)}


@pytest.fixture(scope="module")
def warehouses(built, tmp_path_factory):
    d = tmp_path_factory.mktemp("cockpit")
    return {"bundled": built, "demo": create_demo(built, d / "demo.duckdb")["warehouse"], "missing": d / "none.duckdb"}


@pytest.fixture(scope="module")
def browser():
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--no-first-run"])
        yield b
        b.close()


@pytest.mark.parametrize("data", ["bundled", "demo", "missing"])
def test_every_page_reads_as_clean_japanese_at_desktop_and_phone_width(warehouses, browser, data):
    from tests.e2e.test_accessibility import Audit  # the same visits serve the accessibility audit

    found, audit = {}, Audit(data)
    with serve(warehouses[data], SHINCHOKU_SQL_PUBLIC="1") as url:
        for width, (w, h) in WIDTHS.items():
            context = browser.new_context(viewport={"width": w, "height": h}, locale="ja-JP")
            pg = context.new_page()
            for path in PAGES:
                pg.goto(f"{url}/{path}{'&' if '?' in path else '?'}as_of=2021-03-31")
                settle(pg)
                shot(pg, f"cockpit_{data}_{width}_{path.split('?')[0] or 'overview'}")
                for m in RAW.finditer(visible_text(pg)):
                    found.setdefault(f"{width} /{path}", set()).add(m.group(0))
                audit.check(pg, f"{width} /{path}")
            if width == "phone":
                audit.sidebar(pg, f"{width} /{PAGES[-1]}")
            context.close()
    assert not found, found
    failures = audit.finish()
    assert not failures, json.dumps(failures, ensure_ascii=False, indent=1)


def test_which_of_a_ministrys_measures_are_behind_and_why_in_two_clicks(warehouses, browser):
    with serve(warehouses["demo"]) as url:
        pg = browser.new_page(viewport={"width": 1440, "height": 1400}, locale="ja-JP")
        pg.goto(f"{url}/?as_of=2021-03-31")
        settle(pg)
        box = pg.get_by_role("combobox", name="府省庁で絞り込む(要対応の一覧のみ)", exact=True)
        box.click()  # click 1
        pg.get_by_role("option", name="総務省", exact=True).click()  # click 2
        settle(pg)
        text = visible_text(pg)
        assert "要対応" in text and "悪い順" in text and pg.locator("[data-testid='stDataFrame']").first.is_visible()
        shot(pg, "cockpit_attention_soumu")
        # what the grid shows (it draws on a canvas): its CSV, the first download of the page
        with pg.expect_download() as info:
            pg.get_by_role("button", name="CSVをダウンロード").first.click()
        rows = list(csv.DictReader(io.StringIO(Path(info.value.path()).read_text(encoding="utf-8-sig"))))
        behind = {"× 悪化", "□ 未達", "◆ 遅れ", "▽ 要加速", "？ 期限後の実績未報告", "◉ 期限内達成・その後低下"}
        assert rows and {r["状況"] for r in rows} <= behind and all(r["理由"] and r["施策"].startswith("No ") for r in rows)
        pg.close()
