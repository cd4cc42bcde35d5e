"""The monthly 進捗管理会議 workbook: what the meeting reads, printed whole at a readable size, a real
ministry edition, one counting rule, one date format, safety and reproducibility."""
import datetime as dt
import re
import shutil

import openpyxl
import pytest
from click.testing import CliRunner
from openpyxl.utils import get_column_letter

from etl.build import build
from etl.cli import main
from etl.demo import create_demo
from etl.observations.load import load_files
from exports import textfit
from exports.monthly import MEASURE_COLUMNS, SHEETS, file_name, load_meeting, write_monthly
from exports.workbook import printable_width
from tests.test_kpi_defs import with_overrides
from warehouse.db import connect_readonly

AS_OF = dt.date(2021, 3, 31)


@pytest.fixture(scope="module")
def demo(built, tmp_path_factory):
    return create_demo(built, tmp_path_factory.mktemp("xl") / "demo.duckdb", seed=20210331)["warehouse"]


def write(warehouse, out, ministry=None, meeting=None):
    con = connect_readonly(warehouse)
    try:
        write_monthly(con, AS_OF, out, ministry, meeting)
    finally:
        con.close()
    return openpyxl.load_workbook(out)


@pytest.fixture(scope="module")
def workbook(demo, tmp_path_factory):
    return write(demo, tmp_path_factory.mktemp("xlout") / "r.xlsx")


@pytest.fixture(scope="module")
def soumu(demo, tmp_path_factory):
    return write(demo, tmp_path_factory.mktemp("xlsoumu") / "s.xlsx", "総務省")


def header_row(ws, first: str) -> int:
    return next(r for r in range(1, 12) if ws.cell(r, 1).value == first)


def measure_blocks(ws) -> dict[int, list[int]]:
    """Measure number → the rows of its KPIs in 施策別の状況."""
    h = header_row(ws, "区分")
    blocks, current = {}, None
    for r in range(h + 1, ws.max_row + 1):
        a = ws.cell(r, 1).value
        if isinstance(a, str) and (m := re.match(r"No (\d+) ", a)):
            current = int(m.group(1))
            blocks[current] = []
        elif a in ("進捗", "効果"):
            blocks[current].append(r)
    return blocks


def test_file_name_in_wareki():
    assert file_name(AS_OF) == "進捗管理_令和3年3月.xlsx"
    assert file_name(dt.date(2019, 4, 30)) == "進捗管理_平成31年4月.xlsx"
    assert file_name(AS_OF, "総務省") == "進捗管理_令和3年3月_総務省.xlsx"


def test_sheets_and_each_measure_once_with_its_kpis_under_it(workbook, demo):
    assert workbook.sheetnames == list(SHEETS)
    ws = workbook["施策別の状況"]
    assert [c.value for c in ws[header_row(ws, "区分")]][:len(MEASURE_COLUMNS)] == [h for h, _ in MEASURE_COLUMNS]
    blocks = measure_blocks(ws)
    con = connect_readonly(demo)
    expected = dict(con.execute("""select measure_no, count(*) from kpis where kind in ('progress', 'effect')
                                   and measure_no is not null group by 1""").fetchall())
    con.close()
    assert {no: len(rows) for no, rows in blocks.items()} == expected  # every measure once, every KPI under it
    assert list(blocks) == sorted(blocks)  # in the plan's order


def test_a_kpi_row_reads_target_previous_and_current_with_the_change(workbook):
    ws = workbook["施策別の状況"]
    heads = [h for h, _ in MEASURE_COLUMNS]
    rows = [[c.value for c in ws[r]] for rs in measure_blocks(ws).values() for r in rs]
    updated = [r for r in rows if r[heads.index("増減")] and "今月更新" in r[heads.index("増減")]]
    assert updated, "the demo loads new monthly figures every month"
    r = updated[0]
    assert re.fullmatch(r"[\d,]+\S*\n令和\d+\(\d{4}\)年\d+月", r[heads.index("今回")])
    assert r[heads.index("前回")].split("\n")[1] != r[heads.index("今回")].split("\n")[1]  # an older period
    assert all(not re.search(r"\d\.\d+団体|\d\.\d+件", str(v)) for row in rows for v in row)  # counts are whole
    assert {r[heads.index("増減")] for r in rows if r[heads.index("今回")] == "—"} == {"—"}  # no arrow without data
    status = [ws.cell(r, heads.index("状況") + 1) for rs in measure_blocks(ws).values() for r in rs]
    achieved = [c for c in status if c.value == "◎ 達成"]
    from exports.monthly import tint

    assert achieved and all(c.fill.fgColor.rgb == tint("#009E73").fgColor.rgb for c in achieved)  # 達成's green, printable


def rows_fit(ws) -> list[str]:
    """Cells whose wrapped text is taller than their row (merged cells measured across their width)."""
    spans = {}
    for rng in ws.merged_cells.ranges:
        width = sum(ws.column_dimensions[get_column_letter(c)].width for c in range(rng.min_col, rng.max_col + 1))
        spans[(rng.min_row, rng.min_col)] = width
    bad = []
    for row in ws.iter_rows():
        for c in row:
            if c.value is None or not isinstance(c.value, str):
                continue
            width = spans.get((c.row, c.column), ws.column_dimensions[get_column_letter(c.column)].width)
            need = textfit.lines(c.value, width, c.font.sz or 11) * textfit.line_pt(c.font.sz or 11)
            height = ws.row_dimensions[c.row].height
            if height is not None and height < need:
                bad.append(f"{ws.title}!{c.coordinate} {height} < {need:.1f}: {c.value[:30]}")
    return bad


@pytest.mark.parametrize("edition", ["workbook", "soumu"])
def test_no_printed_text_is_cut_and_none_is_under_8_pt(edition, request):
    wb = request.getfixturevalue(edition)
    for ws in wb.worksheets:
        assert rows_fit(ws) == [], ws.title
        sizes = {c.font.sz for row in ws.iter_rows() for c in row if c.value is not None}
        assert min(sizes) >= 8, ws.title
        assert ws.page_setup.scale == 100 and not ws.sheet_properties.pageSetUpPr.fitToPage  # printed as written
        paper = "A3" if str(ws.page_setup.paperSize) == ws.PAPERSIZE_A3 else "A4"
        width = sum(ws.column_dimensions[get_column_letter(c)].width or 0 for c in range(1, ws.max_column + 1))
        if ws.title != "市区町村":  # one column per municipal KPI: more KPIs print on more pages, column A repeated
            assert textfit.usable_pt(width) <= printable_width(paper, ws.page_setup.orientation == "landscape"), ws.title


def test_page_breaks_fall_between_measures(workbook):
    ws = workbook["施策別の状況"]
    starts = {rs[0] - 1 for rs in measure_blocks(ws).values()}  # the measure's heading row
    breaks = [b.id for b in ws.row_breaks.brk]
    assert breaks and all(b + 1 in starts for b in breaks)


def test_print_setup_and_every_page_carries_legend_date_and_pages(workbook):
    for ws in workbook.worksheets:
        assert "&P" in ws.oddHeader.right.text and "基準日 令和3(2021)年3月31日" in ws.oddHeader.right.text
        assert ws.oddFooter.left.text.startswith("凡例 ◎達成") and "▽要加速" in ws.oddFooter.left.text
        assert "→横ばい" in ws.oddFooter.right.text  # the trend readings beside them
        assert "Shinchoku" not in f"{ws.oddFooter.right.text}{ws.oddFooter.center.text}"  # no branding by default
    ws = workbook["施策別の状況"]
    assert ws.page_setup.orientation == "landscape" and ws.print_title_rows
    assert ws["A1"].font.name == textfit.FONT_NAME
    assert workbook["付表(KPI詳細)"].auto_filter.ref and workbook["付表(KPI詳細)"].freeze_panes


def test_synthetic_warning_everywhere(workbook):
    for ws in workbook.worksheets:
        assert "デモ（合成データ）" in ws.oddHeader.left.text, ws.title
        assert any("デモ（合成データ）" in str(ws.cell(r, 1).value or "") for r in range(1, 8)), ws.title


DATE_LIKE = re.compile(r"\d{4}[-/]\d{1,2}[-/]\d{1,2}|\bFY\d{4}|\d{4}-\d{2}\b")


def test_every_date_is_written_one_way(workbook, soumu):
    """和暦(西暦): 令和3(2021)年3月31日, 令和2(2020)年度, 令和3(2021)年3月; never 2021-03-31, 2021/3/31 or FY2020."""
    for wb in (workbook, soumu):
        for ws in wb.worksheets:
            for row in ws.iter_rows():
                for c in row:
                    if isinstance(c.value, dt.date | dt.datetime):
                        pytest.fail(f"{ws.title}!{c.coordinate}: a date cell ({c.value}); dates are written as text")
                    if isinstance(c.value, str) and ws.title != "市区町村":
                        assert not DATE_LIKE.search(c.value), f"{ws.title}!{c.coordinate}: {c.value}"
    ws = workbook["施策別の状況"]
    generated = [ws.cell(r, c).value for rs in measure_blocks(ws).values() for r in rs for c in (4, 5)]
    for v in generated:
        if v != "—":
            assert re.search(r"(令和|平成)(元|\d+)\(\d{4}\)年(度|\d+月)$", v), v


def test_the_ministry_edition_is_the_ministrys_alone(soumu, workbook, demo):
    assert "総務省" in soumu["表紙"].cell(2, 1).value
    for ws in soumu.worksheets:
        assert "総務省" in ws.oddHeader.left.text, ws.title
    blocks = measure_blocks(soumu["施策別の状況"])
    ws = soumu["施策別の状況"]
    for rows in blocks.values():
        leads = ws.cell(rows[0] - 1, 1).value.split("主担当: ")[1].split(" ・ 柱")[0]
        assert "総務省" in leads, leads
    app = soumu["付表(KPI詳細)"]
    h = header_row(app, "KPI ID")
    leads = [app.cell(r, 3).value for r in range(h + 1, app.max_row + 1)]
    assert leads and all("総務省" in v for v in leads)
    assert any("・" in v for v in leads)  # a co-led measure: its co-leads in the column, not another sheet
    sch = soumu["工程表"]
    h = header_row(sch, "ID")
    assert all("総務省" in sch.cell(r, 4).value for r in range(h + 1, sch.max_row + 1))
    # one counting rule: the ministry's row on the full cover is the number of rows of its edition
    cover = workbook["表紙"]
    row = next(r for r in range(1, cover.max_row + 1) if cover.cell(r, 1).value == "総務省")
    assert cover.cell(row, 6).value == sum(len(v) for v in blocks.values())


def test_cover_counts_are_the_sheets_counts(workbook, soumu):
    for wb in (workbook, soumu):
        cover, ws = wb["表紙"], wb["施策別の状況"]
        kpis = sum(len(v) for v in measure_blocks(ws).values())
        total = next(r for r in range(1, cover.max_row + 1) if cover.cell(r, 1).value == "合計")
        assert cover.cell(total, 2).value == kpis
        heads = [h for h, _ in MEASURE_COLUMNS]
        shown = [ws.cell(r, heads.index("状況") + 1).value for rs in measure_blocks(ws).values() for r in rs]
        achieved = next(r for r in range(1, total) if cover.cell(r, 1).value == "◎ 達成")
        assert cover.cell(achieved, 2).value == sum(s.startswith("◎ 達成") for s in shown)
        for title in ("柱別", "ICT政策の方向性(総務省)別"):  # either taxonomy counts every KPI once
            first = next(r for r in range(1, cover.max_row + 1) if str(cover.cell(r, 1).value).startswith(title))
            last = next(r for r in range(first, cover.max_row + 1) if cover.cell(r, 1).value == "合計(KPIの実数)")
            assert cover.cell(last, 6).value == kpis
            assert sum(cover.cell(r, 6).value for r in range(first + 2, last)) == kpis


def test_the_cover_groups_by_the_taxonomies_the_settings_name(demo, tmp_path):
    config = tmp_path / "meeting.yaml"
    config.write_text("groupings: [direction]\n", encoding="utf-8")
    cover = write(demo, tmp_path / "d.xlsx", meeting=load_meeting(config))["表紙"]
    names = [str(c.value) for c in cover["A"] if c.value]
    assert any(n.startswith("ICT政策の方向性") for n in names) and not any(n.startswith("柱別") for n in names)
    assert "① 地域ICT人材の育成・活用の推進" in names and "(対応なし)" in names
    config.write_text("groupings: [pillar, ministry_size]\n", encoding="utf-8")
    with pytest.raises(ValueError, match="groupings"):
        load_meeting(config)


def test_the_meeting_settings_and_scales(demo, tmp_path):
    meeting = load_meeting(scale="abcd", held_on="2021-04-20", document_no="資料3")
    wb = write(demo, tmp_path / "abcd.xlsx", meeting=meeting)
    cover = wb["表紙"]
    text = [str(c.value) for row in cover.iter_rows() for c in row if c.value]
    assert "開催日: 令和3(2021)年4月20日" in text and "資料3" in text
    ws = wb["施策別の状況"]
    assert ws.oddFooter.left.text.startswith("凡例 A達成・順調")
    heads = [h for h, _ in MEASURE_COLUMNS]
    marks = {ws.cell(r, heads.index("状況") + 1).value.split(" ")[0] for rs in measure_blocks(ws).values() for r in rs}
    assert {"A", "D"} <= marks and not marks & {"◎", "▽", "◆"}
    with pytest.raises(ValueError, match="scale"):
        load_meeting(scale="stars")


def test_formula_like_text_stays_text(built, tmp_path):
    wh, defs = tmp_path / "w.duckdb", tmp_path / "k.yaml"
    shutil.copy(built, wh)
    shutil.copy(built.parent / "kpi_defs.yaml", defs)
    with_overrides(defs, {"M37-E1": {"name": "=HYPERLINK(\"http://x\",\"y\")", "reason": "安全性の試験"}})
    build(warehouse=wh, defs_path=defs)
    src = tmp_path / "o.csv"
    src.write_text("KPI ID,団体コード,期間,値,出典,備考\nM37-E1,,2018,10000,@SUM(1+1),\nM37-E1,,2019,20000,+cmd,\n", encoding="utf-8")
    load_files([src], wh, now=dt.datetime(2020, 5, 1))
    wb = write(wh, tmp_path / "r.xlsx")
    ws = wb["付表(KPI詳細)"]
    h = header_row(ws, "KPI ID")
    r = next(r for r in range(h + 1, ws.max_row + 1) if ws.cell(r, 1).value == "M37-E1")
    name, source = ws.cell(r, 6), ws.cell(r, 15)
    assert name.value.startswith("=HYPERLINK") and name.data_type == "s"
    assert source.data_type == "s" and "@SUM" in source.value
    formulas = [c.coordinate for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.data_type == "f"]
    assert formulas == []


def test_same_warehouse_same_values(demo, tmp_path):
    a, b = (write(demo, tmp_path / f"r{i}.xlsx") for i in range(2))
    assert a.sheetnames == b.sheetnames
    for name in a.sheetnames:
        va = [[c.value for c in row] for row in a[name].iter_rows()]
        vb = [[c.value for c in row] for row in b[name].iter_rows()]
        assert va == vb, name


def test_cli_ministry_edition_and_an_unknown_ministry(demo, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    res = CliRunner().invoke(main, ["export", "monthly", "--as-of", "2021-03-31", "--warehouse", str(demo),
                                    "--ministry", "国土交通省", "--held-on", "2021-04-20"])
    assert res.exit_code == 0, res.output
    wb = openpyxl.load_workbook(tmp_path / "進捗管理_令和3年3月_国土交通省.xlsx")
    assert "国土交通省" in wb["表紙"].cell(2, 1).value
    res = CliRunner().invoke(main, ["export", "monthly", "--as-of", "2021-03-31", "--warehouse", str(demo),
                                    "--ministry", "経産省"])  # the abbreviation the sources use
    assert res.exit_code == 0, res.output
    assert (tmp_path / "進捗管理_令和3年3月_経済産業省.xlsx").exists()
    for args in (["--ministry", "存在しない省"], ["--scale", "stars"], ["--as-of", "1921-03-31"]):
        res = CliRunner().invoke(main, ["export", "monthly", "--as-of", "2021-03-31", "--warehouse", str(demo), *args])
        assert res.exit_code == 2 and "error" in res.output, res.output
    res = CliRunner().invoke(main, ["export", "monthly", "--as-of", "2021-03-31", "--warehouse", str(demo),
                                    "--ministry", "存在しない省"])
    assert "指定できる名前: " in res.output and "経済産業省" in res.output


def test_where_a_schedule_item_stands_at_the_report_date():
    from exports.monthly import item_state

    assert item_state(2013, 2015, 2020) == "遅れ(計画期間終了・完了の報告なし)"
    assert item_state(2013, 2015, 2020, "完了") == "完了(報告)" and item_state(2019, 2021, 2020, "遅れ") == "遅れ(報告)"
    assert [item_state(2019, 2021, fy) for fy in (2018, 2019, 2021)] == ["開始前", "実施中", "最終年度"]
    assert item_state(2019, 2021, 2020, "実施中") == "実施中" and item_state(2019, 2021, 2018, "実施中") == "開始前(報告: 実施中)"
