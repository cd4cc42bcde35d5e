"""The monthly 進捗管理会議 workbook: structure, formats, print setup, safety and reproducibility."""
import datetime as dt
import shutil

import openpyxl
import pytest
from click.testing import CliRunner

from etl.build import build
from etl.cli import main
from etl.demo import create_demo
from etl.observations.load import load_files
from exports.monthly import file_name, write_monthly
from tests.test_kpi_defs import with_overrides
from warehouse.db import connect_readonly

AS_OF = dt.date(2021, 3, 31)


@pytest.fixture(scope="module")
def demo(built, tmp_path_factory):
    return create_demo(built, tmp_path_factory.mktemp("xl") / "demo.duckdb", seed=20210331)["warehouse"]


@pytest.fixture(scope="module")
def workbook(demo, tmp_path_factory):
    out = tmp_path_factory.mktemp("xlout") / "r.xlsx"
    con = connect_readonly(demo)
    write_monthly(con, AS_OF, out)
    con.close()
    return openpyxl.load_workbook(out)


def test_file_name_in_wareki():
    assert file_name(AS_OF) == "進捗管理_令和3年3月.xlsx"
    assert file_name(dt.date(2019, 4, 30)) == "進捗管理_平成31年4月.xlsx"
    assert file_name(AS_OF, "総務省") == "進捗管理_令和3年3月_総務省.xlsx"


def test_sheets(workbook):
    names = workbook.sheetnames
    assert names[:2] == ["表紙・サマリ", "施策一覧"] and names[-4:] == ["工程表", "市区町村", "提出状況", "注記"]
    assert "総務省" in names and "国土交通省" in names


def header_row(ws):
    return next(r for r in range(1, 10) if ws.cell(r, 1).value == "No")


def test_measure_sheet_rows_formats_and_fills(workbook):
    ws = workbook["施策一覧"]
    h = header_row(ws)
    headers = [c.value for c in ws[h]]
    assert headers[:7] == ["No", "施策名", "主担当府省庁", "柱", "KPI", "種別", "指標"]
    rows = {ws.cell(r, 5).value: r for r in range(h + 1, ws.max_row + 1)}
    r = rows["M64-E1"]
    assert ws.cell(r, 1).value == 64 and ws.cell(r, 3).value == "総務省"
    assert ws.cell(r, 11).value == 47 and ws.cell(r, 11).number_format == "#,##0.0"  # a number, not text
    assert isinstance(ws.cell(r, 13).value, dt.datetime) and ws.cell(r, 13).number_format == "yyyy/mm/dd"
    status = ws.cell(r, 17)
    assert status.value == "◎ 達成" and status.fill.fgColor.rgb.endswith("009E73")
    assert ws.cell(r, 16).number_format == "0%"
    assert ws.freeze_panes == f"C{h + 1}"
    assert ws.auto_filter.ref.startswith(f"A{h}:")


def test_print_setup(workbook):
    ws = workbook["施策一覧"]
    assert ws.page_setup.orientation == "landscape" and ws.page_setup.fitToWidth == 1
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.print_title_rows.startswith("$") or ":" in ws.print_title_rows
    assert "&P" in ws.oddFooter.center.text and "基準日" in ws.oddHeader.right.text
    assert ws["A1"].font.name == "Yu Gothic"


def test_synthetic_warning_everywhere(workbook):
    for ws in workbook.worksheets:
        assert "デモ（合成データ）" in ws.oddHeader.left.text, ws.title
        assert any("デモ（合成データ）" in str(ws.cell(r, 1).value or "") for r in range(1, 6)), ws.title
    assert any("shinchoku demo" in str(workbook["注記"].cell(r, 1).value or "") for r in range(1, 9))


def test_schedule_and_municipal_sheets(workbook):
    ws = workbook["工程表"]
    h = next(r for r in range(1, 8) if ws.cell(r, 1).value == "ID")
    assert [ws.cell(h, c).value for c in range(5, 14)] == [str(y) for y in range(2013, 2022)]
    assert ws.cell(h, 12).fill.fgColor.rgb.endswith("D55E00")  # FY2020 holds the report date 2021-03-31
    first = ws.cell(h + 1, 1).value
    assert first == "S01-I01" and ws.cell(h + 1, 7).value == "■" and ws.cell(h + 1, 6).value is None
    mu = workbook["市区町村"]
    assert mu.conditional_formatting and any(r.type == "dataBar" for cf in mu.conditional_formatting for r in cf.rules)


def test_formula_like_text_stays_text(built, tmp_path):
    wh, defs = tmp_path / "w.duckdb", tmp_path / "k.yaml"
    shutil.copy(built, wh)
    shutil.copy(built.parent / "kpi_defs.yaml", defs)
    with_overrides(defs, {"M37-E1": {"name": "=HYPERLINK(\"http://x\",\"y\")", "reason": "安全性の試験"}})
    build(warehouse=wh, defs_path=defs)
    src = tmp_path / "o.csv"
    src.write_text("KPI ID,団体コード,期間,値,出典,備考\nM37-E1,,2018,10000,@SUM(1+1),\nM37-E1,,2019,20000,+cmd,\n", encoding="utf-8")
    load_files([src], wh, now=dt.datetime(2020, 5, 1))
    out = tmp_path / "r.xlsx"
    con = connect_readonly(wh)
    write_monthly(con, AS_OF, out)
    con.close()
    ws = openpyxl.load_workbook(out)["施策一覧"]
    h = header_row(ws)
    r = next(r for r in range(h + 1, ws.max_row + 1) if ws.cell(r, 5).value == "M37-E1")
    name, source = ws.cell(r, 7), ws.cell(r, 21)
    assert name.value.startswith("=HYPERLINK") and name.data_type == "s"
    assert source.data_type == "s" and "@SUM" in source.value
    formulas = [c.coordinate for row in ws.iter_rows() for c in row if c.data_type == "f"]
    assert formulas == []


def test_same_warehouse_same_values(demo, tmp_path):
    paths = []
    for i in range(2):
        out = tmp_path / f"r{i}.xlsx"
        con = connect_readonly(demo)
        write_monthly(con, AS_OF, out)
        con.close()
        paths.append(out)
    a, b = (openpyxl.load_workbook(p) for p in paths)
    assert a.sheetnames == b.sheetnames
    for name in a.sheetnames:
        va = [[c.value for c in row] for row in a[name].iter_rows()]
        vb = [[c.value for c in row] for row in b[name].iter_rows()]
        assert va == vb, name


def test_cli_and_ministry_filter(demo, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    res = CliRunner().invoke(main, ["export", "monthly", "--as-of", "2021-03-31", "--warehouse", str(demo),
                                    "--ministry", "国土交通省"])
    assert res.exit_code == 0, res.output
    wb = openpyxl.load_workbook(tmp_path / "進捗管理_令和3年3月_国土交通省.xlsx")
    ws = wb["施策一覧"]
    h = header_row(ws)
    assert {ws.cell(r, 3).value for r in range(h + 1, ws.max_row + 1)} == {"国土交通省"}
