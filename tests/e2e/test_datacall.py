"""The monthly data call in a real browser: the secretariat signs in, makes the request forms on the 照会
page and downloads them, uploads three replies at once (one with text in a number cell), sees that one
refused with its row and reason, and sees 提出状況 change."""
from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

import openpyxl
import pytest

from etl.datacall import forms
from etl.demo import create_demo
from tests.e2e.support import CHROMIUM, serve, settle, shot, sign_in, visible_text
from ui.auth import hash_password

playwright = pytest.importorskip("playwright.sync_api")
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists() and not os.environ.get("CI"),
                                reason="Debian's chromium is not installed (.ci/run installs it)")


def fill(data: bytes, value: str, out: Path) -> Path:
    """An office's reply: 今回実績 and 時点 in the first row that asks for a count, 取組状況 beside it."""
    wb = openpyxl.load_workbook(io.BytesIO(data))
    ws = wb[forms.SHEET]
    heads = [c.value for c in ws[forms.HEADER_ROW]]
    for row in range(forms.HEADER_ROW + 1, ws.max_row + 1):
        unit = ws.cell(row, heads.index("単位") + 1).value
        if unit not in ("%", "割") and any(dv.sqref and ws.cell(row, heads.index("今回実績") + 1).coordinate in dv.sqref
                                           for dv in ws.data_validations.dataValidation if dv.type == "decimal"):
            ws.cell(row, heads.index("今回実績") + 1).value = value
            ws.cell(row, heads.index("時点") + 1).value = "令和2年度"
            ws.cell(row, heads.index("取組状況") + 1).value = "説明会を開催\n(全国で10回)"
            break
    wb.save(out)
    return out


def test_the_secretariat_sends_forms_and_collects_three_replies(built, tmp_path):
    warehouse = create_demo(built, tmp_path / "demo.duckdb")["warehouse"]
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(f'[users.jimukyoku]\npassword_hash = "{hash_password("e2e-pass")}"\nrole = "loader"\n', encoding="utf-8")
    with serve(warehouse, secrets, SHINCHOKU_USER="e2e") as url, playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        pg = browser.new_page(viewport={"width": 1440, "height": 1400}, locale="ja-JP", accept_downloads=True)
        pg.goto(f"{url}/datacall?as_of=2021-03-31")
        settle(pg)
        sign_in(pg, "jimukyoku", "e2e-pass")
        assert "未送付" in visible_text(pg)

        pg.get_by_role("tab", name="様式の作成").click()
        pg.get_by_text("すべての府省庁と都道府県").click()
        pg.get_by_role("button", name="様式を作成").click()
        settle(pg, timeout=120)
        pg.get_by_role("tab", name="様式の作成").click()
        assert "件の照会様式を作成し、送付記録に登録しました" in visible_text(pg)
        shot(pg, "datacall_made")
        with pg.expect_download() as info:
            pg.get_by_role("button", name="照会様式をダウンロード(ZIP)").click()
        sent = zipfile.ZipFile(info.value.path())
        names = sent.namelist()
        assert "照会_2021-03_総務省.xlsx" in names and "照会_2021-03_13東京都.xlsx" in names and len(names) > 47

        replies = [fill(sent.read("照会_2021-03_総務省.xlsx"), "１，２３４", tmp_path / "総務省_回答.xlsx"),
                   fill(sent.read("照会_2021-03_13東京都.xlsx"), "1", tmp_path / "東京都_回答.xlsx"),
                   fill(sent.read("照会_2021-03_内閣官房.xlsx"), "集計中", tmp_path / "内閣官房_回答.xlsx")]
        pg.get_by_role("tab", name="回答の読込").click()
        pg.locator("[data-testid='stFileUploader'] input[type='file']").set_input_files([str(r) for r in replies])
        settle(pg)
        pg.get_by_role("button", name="検証して読み込む(問題のないファイルのみ)").click()
        settle(pg, timeout=120)
        pg.get_by_role("tab", name="回答の読込").click()
        text = visible_text(pg)
        assert "1件のファイルに問題があります" in text and "内閣官房_回答.xlsx" in text and "今回実績" in text, text[-2000:]
        shot(pg, "datacall_collected")

        pg.get_by_role("tab", name="提出状況").click()
        text = visible_text(pg)
        assert "一部未記入 2" in text.replace("**", ""), text[:1500]
        shot(pg, "datacall_status")
        browser.close()
