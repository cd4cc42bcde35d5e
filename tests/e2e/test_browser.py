"""End-to-end: `streamlit run app.py` on a free local port, driven by Debian's Chromium through Playwright.

For every page: wait until the script has finished, no exception box, the heading and at least one
chart or table, one filter changed and the content changing, and a full-page screenshot in
test-artifacts/. Then the loader's flow: upload a file with a bad row, see the errors, fix, load,
find the value on the measure page, and download the monthly workbook.
"""
from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import openpyxl
import pytest

from etl.demo import create_demo
from etl.observations import store
from tests.e2e.support import ARTIFACTS, CHROMIUM, ROOT, content, serve, settle, shot, sign_in
from ui.auth import hash_password

playwright = pytest.importorskip("playwright.sync_api")

AS_OF = "2021-03-31"
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists() and not os.environ.get("CI"),
                                reason="Debian's chromium is not installed (.ci/run installs it)")


@pytest.fixture(scope="module")
def server(built, tmp_path_factory):
    d = tmp_path_factory.mktemp("e2e")
    warehouse = create_demo(built, d / "demo.duckdb", seed=20210331)["warehouse"]
    secrets = d / "secrets.toml"
    secrets.write_text(f'[users.tester]\npassword_hash = "{hash_password("e2e-pass")}"\nrole = "loader"\n', encoding="utf-8")
    # the SQL page open to anonymous visitors (the operator switch): its sandbox must hold for them too
    with serve(warehouse, secrets, SHINCHOKU_USER="e2e", SHINCHOKU_SQL_PUBLIC="1") as url:
        yield {"url": url, "warehouse": warehouse, "dir": d}


@pytest.fixture(scope="module")
def browser():
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM,
                              args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                                    "--disable-component-update", "--no-first-run"])
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 2400}, locale="ja-JP", accept_downloads=True)
    pg = context.new_page()
    yield pg
    context.close()








def select_option(pg, label: str, option: str):
    """Streamlit's selectbox is a combobox named by its label; its options appear as a listbox."""
    box = pg.get_by_role("combobox", name=label, exact=True).first
    box.click()
    box.fill(option)  # long option lists are virtualised: filter first
    pg.get_by_role("option", name=option, exact=False).first.click()


def change_date(pg, server):
    pg.goto(f"{server['url']}/?as_of=2017-06-30")


def choose(label, option):
    return lambda pg, server: select_option(pg, label, option)


def click(name):
    return lambda pg, server: pg.get_by_text(name, exact=True).first.click()


def run_sql(pg, server):
    pg.get_by_role("button", name="実行").click()


# (path and query, heading, the filter change that must change the content)
PAGES = [
    (f"?as_of={AS_OF}", "概要", change_date),
    (f"ministries?as_of={AS_OF}", "府省庁別", choose("府省庁", "国土交通省")),
    (f"pillars?as_of={AS_OF}", "柱別", choose("柱", "官民データの容易な利用等")),
    (f"municipalities?as_of={AS_OF}", "市区町村別", choose("都道府県", "北海道")),
    (f"measure?as_of={AS_OF}&measure=64", "施策詳細", choose("施策", "No 37")),
    ("measures", "施策一覧", choose("柱", "個人番号カードの普及及び活用")),
    (f"schedule?as_of={AS_OF}", "工程表", choose("府省庁", "文部科学省")),
    ("quality", "データ品質", click("判断の記録")),
    (f"export?as_of={AS_OF}", "資料出力", choose("府省庁(主担当の施策のみ)", "総務省")),
    ("sql", "SQL", run_sql),
]


@pytest.mark.parametrize("path, heading, change", PAGES, ids=[p[1] for p in PAGES])
def test_page_in_a_real_browser(server, page, path, heading, change):
    page.goto(f"{server['url']}/{path}")
    settle(page)
    assert page.locator("[data-testid='stException']").count() == 0
    assert page.locator("h1").first.inner_text().strip() == heading
    assert "デモ（合成データ）" in content(page)
    if heading not in ("資料出力", "SQL"):  # charts and tables draw after the script has finished
        page.wait_for_selector(".js-plotly-plot .main-svg, [data-testid='stDataFrame'] canvas, [data-testid='stVegaLiteChart']",
                               timeout=45_000)
    shot(page, f"{heading}-before")
    before = content(page)
    change(page, server)
    settle(page)
    deadline = time.time() + 30  # a rerun can start a moment after the click: wait for the new content
    while content(page) == before and time.time() < deadline:
        time.sleep(0.5)
        settle(page)
    assert page.locator("[data-testid='stException']").count() == 0
    assert content(page) != before
    shot(page, f"{heading}-after")


def open_upload_signed_in(page, server):
    page.goto(f"{server['url']}/upload")
    settle(page)
    sign_in(page, "tester", "e2e-pass")


def test_loader_uploads_fixes_loads_and_exports(server, page, tmp_path):
    open_upload_signed_in(page, server)
    assert page.locator("[data-testid='stFileUploader']").count() == 1

    bad = tmp_path / "report.csv"
    bad.write_text("KPI ID,団体コード,期間,値,出典,備考\nM37-E1,,2020,33333,e2e調査,\nM37-E1,,2019,多数,e2e調査,\n", encoding="utf-8")
    page.locator("[data-testid='stFileUploader'] input[type='file']").set_input_files(str(bad))
    settle(page)
    text = content(page)
    assert "1件の問題があります" in text and "数値ではありません" in text
    shot(page, "データ登録-errors")

    good = tmp_path / "report_fixed.csv"
    good.write_text("KPI ID,団体コード,期間,値,出典,備考\nM37-E1,,2020,33333,e2e調査,\nM37-E1,,2019,31000,e2e調査,\n", encoding="utf-8")
    page.locator("[data-testid='stFileUploader'] input[type='file']").set_input_files(str(good))
    settle(page)
    assert "すべての行が正常です" in content(page)
    page.get_by_role("button", name="読み込む").click()
    settle(page)
    assert "読み込みました" in content(page)
    shot(page, "データ登録-loaded")

    today = store.now_jst().date()  # the load is known from today (JST) on
    page.goto(f"{server['url']}/measure?measure=37&as_of={today.isoformat()}")
    settle(page)
    page.get_by_text("M37-E1 の値").click()
    settle(page)
    assert "33333" in content(page).replace(",", "")
    shot(page, "施策詳細-after-load")

    page.goto(f"{server['url']}/export?as_of={AS_OF}")
    settle(page)
    page.get_by_role("button", name="Excel資料を作成").click()
    settle(page, timeout=120)
    with page.expect_download() as info:
        page.get_by_role("button", name="進捗管理_令和3年3月.xlsx をダウンロード").click()
    path = tmp_path / info.value.suggested_filename
    info.value.save_as(path)
    wb = openpyxl.load_workbook(path)
    assert info.value.suggested_filename == "進捗管理_令和3年3月.xlsx"
    assert wb.sheetnames[:2] == ["表紙", "施策別の状況"]
    shutil.copy(path, ARTIFACTS / path.name)


ATTACKS = [  # what an anonymous visitor typed into the SQL page, and what they must read instead
    ("select path from duckdb_databases()", "使えません"),
    ("copy (select 'pwned') to '{warehouse}' (header false, use_tmp_file false)", "SELECT"),
    ("select levenshtein(repeat('a',180000), repeat('b',180000))", "中断"),
    ("select damerau_levenshtein(repeat('a',25000), repeat('b',25000))", "メモリ"),
]


def sql_run(pg, sql: str) -> None:
    box = pg.locator("textarea").first
    box.fill(sql)
    box.press("Control+Enter")  # commit the text before the click
    settle(pg)
    pg.get_by_role("button", name="実行").click()
    time.sleep(1.0)


def test_anonymous_attacks_leave_the_warehouse_intact_and_the_server_responsive(server, browser):
    import hashlib

    warehouse = Path(server["warehouse"])
    digest = hashlib.sha256(warehouse.read_bytes()).hexdigest()
    attacker = browser.new_context(viewport={"width": 1400, "height": 1600}, locale="ja-JP").new_page()
    visitor = browser.new_context(viewport={"width": 1400, "height": 1600}, locale="ja-JP").new_page()
    attacker.goto(f"{server['url']}/sql")
    settle(attacker)
    for sql, expected in ATTACKS:
        sql_run(attacker, sql.format(warehouse=warehouse))
        if "levenshtein(repeat('a',180000)" in sql:
            # while the attacker's query runs for its 10 s, another visitor's page still answers
            start = time.perf_counter()
            visitor.goto(f"{server['url']}/ministries?as_of={AS_OF}")
            settle(visitor)
            assert time.perf_counter() - start < 20
            assert visitor.locator("h1").first.inner_text().strip() == "府省庁別"
        settle(attacker, timeout=60)
        text = content(attacker)
        assert "実行できませんでした" in text and expected in text, text[-400:]
        assert str(warehouse.parent) not in text
        assert attacker.locator("[data-testid='stException']").count() == 0
    shot(attacker, "SQL-attacks")
    assert hashlib.sha256(warehouse.read_bytes()).hexdigest() == digest
    assert not (ROOT / ".tmp").exists()
    visitor.goto(f"{server['url']}/?as_of={AS_OF}")
    settle(visitor)
    assert "デモ（合成データ）" in content(visitor)


def test_markdown_in_an_uploaded_file_stays_text(server, page, tmp_path):
    open_upload_signed_in(page, server)
    hostile = tmp_path / "report.csv"
    hostile.write_text("KPI ID,団体コード,期間,値\n![x](http://127.0.0.1:9/a.png),,2020,1\n"
                       "[再ログイン](http://evil.example/),,2020,1\n", encoding="utf-8")
    page.locator("[data-testid='stFileUploader'] input[type='file']").set_input_files(str(hostile))
    settle(page)
    main = page.locator("[data-testid='stMain']")
    assert "[再ログイン](http://evil.example/)" in main.inner_text().replace("\u200b", "")
    assert main.locator("img[src*='127.0.0.1:9'], a[href*='evil.example']").count() == 0
    shot(page, "データ登録-markdown")
