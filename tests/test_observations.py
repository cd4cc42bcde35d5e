"""Loading observation files: normalisation, every rejection reason, all-or-nothing, history, as-of."""
import datetime as dt
import json
import shutil

import duckdb
import openpyxl
import pytest
from click.testing import CliRunner
from openpyxl.styles import Font

from etl.cli import main
from etl.observations import store
from etl.observations.load import load_files
from etl.observations.validate import parse_value

NOW = dt.datetime(2021, 5, 10, 9, 30)
HEADER = "KPI ID,団体コード,期間,値,出典,備考\n"


@pytest.fixture
def wh(built, tmp_path):
    """A private warehouse (copy of the session build) that a test may load into."""
    path = tmp_path / "w.duckdb"
    shutil.copy(built, path)
    return path


def write_csv(path, body, encoding="utf-8", header=HEADER):
    path.write_bytes((header + body).encode(encoding))
    return path


def rows(wh, sql="select kpi_id, area_code, period, value from observations where origin = 'load' order by all"):
    con = duckdb.connect(str(wh), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def only(reports):
    assert len(reports) == 1
    return reports[0]


# ---------------------------------------------------------------- normalisation


@pytest.mark.parametrize(
    "raw, value, unit",
    [("1,234", 1234, None), ("１２３", 123, None), ("約3万", 30000, None), ("45.6%", 45.6, "%"), ("４５．６％", 45.6, "%"),
     ("  12  ", 12, None), ("30件", 30, "件"), ("9万5千", 95000, None), ("△12", -12, None), ("1,600団体", 1600, "団体")],
)
def test_values_people_type(raw, value, unit):
    assert parse_value(raw) == (value, unit, None)


def test_csv_with_title_rows_blank_rows_wareki_and_full_width(wh, tmp_path):
    body = (
        "M36-E1,011002,令和2年度,１,総務省調査,\n"
        "\n"
        "M36-E1, 131016 ,R2, 1 ,総務省調査,\n"
        "M37-E1,全国,令和元年度,\"約3万\",白書,\n"
        "M15-E1,,FY2019,４５．５％,,\n"
        "M58-E1,,2019年度,\"95,000\",,\n"
        "M36-E1,１３２０１２,2020年度,1,,\n"
    )
    path = write_csv(tmp_path / "obs.csv", "令和2年度 KPI実績報告\n総務省\n\n" + HEADER + body, header="")
    r = only(load_files([path], wh, now=NOW, user="tester"))
    assert (r.status, r.rows_total, r.rows_valid, r.rows_loaded) == ("loaded", 6, 6, 6), r.errors
    assert rows(wh) == [
        ("M15-E1", "000000", "FY2019", 45.5),
        ("M36-E1", "011002", "FY2020", 1.0),
        ("M36-E1", "131016", "FY2020", 1.0),
        ("M36-E1", "132012", "FY2020", 1.0),
        ("M37-E1", "000000", "FY2019", 30000.0),
        ("M58-E1", "000000", "FY2019", 95000.0),
    ]
    batch = rows(wh, "select file_name, loaded_by, loaded_at, rows_total, rows_loaded, mode from obs_batches")
    assert batch == [("obs.csv", "tester", NOW, 6, 6, "all_or_nothing")]


def test_shift_jis_csv_with_english_headers(wh, tmp_path):
    path = write_csv(tmp_path / "sjis.csv", "M36-E1,011002,2020-04,1,市町村報告,札幌\n", encoding="cp932",
                     header="kpi_id,area_code,period,value,source,note\n")
    r = only(load_files([path], wh, now=NOW))
    assert r.status == "loaded"
    assert rows(wh, "select period, month, fiscal_year, source, note from observations where origin='load'") == [
        ("2020-04", 4, 2020, "市町村報告", "札幌")]


def test_utf8_bom_csv(wh, tmp_path):
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbf" + (HEADER + "M36-E1,011002,2021年1月,1,,\n").encode())
    r = only(load_files([path], wh, now=NOW))
    assert r.status == "loaded"
    assert rows(wh, "select period, fiscal_year from observations where origin='load'") == [("2021-01", 2020)]


def make_xlsx(path, data_rows, title=True):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "報告"
    if title:
        ws["A1"] = "KPI実績報告書(令和2年度)"
        ws.merge_cells("A1:F1")
        ws["A1"].font = Font(bold=True, size=14)
        ws["A2"] = "提出: 札幌市"
    start = 4 if title else 1
    for i, h in enumerate(["KPI ID", "団体コード", "期間", "値", "出典", "備考"], start=1):
        ws.cell(start, i, h)
        ws.merge_cells(start_row=start, start_column=i, end_row=start + 1, end_column=i)  # two-row header cells
    for r, row in enumerate(data_rows, start=start + 2):
        for c, v in enumerate(row, start=1):
            ws.cell(r, c, v)
    notes = wb.create_sheet("記入方法")
    notes["A1"] = "この行は読み込まれません"
    wb.save(path)
    return path


def test_xlsx_with_title_block_and_merged_header(wh, tmp_path):
    path = make_xlsx(tmp_path / "report.xlsx", [
        ["M36-E1", "011002", "令和2年度", 1, "市調査", None],
        [None, None, None, None, None, None],
        ["M36-E1", 11011, "令和2年度", "１", None, None],  # a ward: not a municipality
        ["M15-E1", None, 2020, "１２０％", None, None],
    ])
    r = only(load_files([path], wh, now=NOW))
    assert r.status == "refused" and (r.rows_total, r.rows_valid, r.rows_rejected) == (3, 1, 2)
    assert [(e["sheet"], e["row"], e["column"]) for e in r.errors] == [("報告", 8, "団体コード"), ("報告", 9, "値")]
    assert "行政区の値は入力できません" in r.errors[0]["message"]
    assert rows(wh) == []  # all-or-nothing


# ---------------------------------------------------------------- every rejection reason

REJECTIONS = [
    ("M99-P1,,2020,3,,", "KPI ID", "KPI ID「M99-P1」は登録されていません"),
    (",,2020,3,,", "KPI ID", "KPI IDが空です"),
    ("M36-E1,011003,2020,1,,", "団体コード", "検査数字が正しくありません(正: 011002)"),
    ("M36-E1,99999,2020,1,,", "団体コード", "該当する団体がありません"),
    ("M36-E1,札幌,2020,1,,", "団体コード", "形式が正しくありません"),
    ("M36-E1,13,2020,1,,", "団体コード", "集計単位は市区町村です。都道府県の値は入力できません"),
    ("M37-E1,011002,2019,5,,", "団体コード", "集計単位は全国です。市区町村の値は入力できません"),
    ("M36-E1,011002,2005年度,1,,", "期間", "期間 FY2005 はKPIの対象範囲(2010〜2030年度)の外です"),
    ("M36-E1,011002,令和9年度,1,,", "期間", "まだ始まっていません(未来の期間)"),
    ("M36-E1,011002,2020-13,1,,", "期間", "月が1〜12ではありません"),
    ("M36-E1,011002,そのうち,1,,", "期間", "読み取れません"),
    ("M36-E1,011002,2020,多数,,", "値", "値「多数」が数値ではありません"),
    ("M36-E1,011002,2020,,,", "値", "値が空です"),
    ("M37-E1,,2019,-5,,", "値", "負の値は入力できません"),
    ("M15-E1,,2019,100.5,,", "値", "割合(%)が100を超えています"),
    ("M37-E1,,2019,80%,,", "値", "単位「%」がKPIの単位「箇所」と一致しません"),
    ("M37-E1,,2019,3万件,,", "値", "単位「件」がKPIの単位「箇所」と一致しません"),
]


@pytest.mark.parametrize("line, column, message", REJECTIONS, ids=[m[:20] for _, _, m in REJECTIONS])
def test_each_rejection_reason(wh, tmp_path, line, column, message):
    path = write_csv(tmp_path / "bad.csv", "M37-E1,,2018,10000,,\n" + line + "\n")
    r = only(load_files([path], wh, now=NOW))
    assert (r.status, r.rows_total, r.rows_valid, r.rows_rejected, r.rows_loaded) == ("refused", 2, 1, 1, 0)
    assert len(r.errors) == 1
    e = r.errors[0]
    assert (e["sheet"], e["row"], e["column"]) == (None, 3, column)
    assert message in e["message"]
    assert rows(wh) == []


def test_duplicate_keys_inside_a_file_reject_every_copy(wh, tmp_path):
    path = write_csv(tmp_path / "dup.csv", "M36-E1,011002,2020,1,,\nM36-E1,01100,令和2年度,0,,\nM36-E1,131016,2020,1,,\n")
    r = only(load_files([path], wh, now=NOW, accept_valid=True))
    # one error per group of duplicates (the report stays linear in the file), every copy quarantined
    assert [(e["row"], e["message"]) for e in r.errors] == [(2, "同じKPI・団体・期間の行が2行あります(行 2、3)")]
    assert r.rows_rejected == 2
    assert rows(wh) == [("M36-E1", "131016", "FY2020", 1.0)]


def test_unit_column_is_checked_when_present(wh, tmp_path):
    path = write_csv(tmp_path / "u.csv", "M37-E1,,2019,100,,,か所\nM37-E1,,2018,90,,,件\n",
                     header="KPI ID,団体コード,期間,値,出典,備考,単位\n")
    r = only(load_files([path], wh, now=NOW, accept_valid=True))
    assert [(e["row"], e["column"]) for e in r.errors] == [(3, "単位")]
    assert rows(wh) == [("M37-E1", "000000", "FY2019", 100.0)]


# ---------------------------------------------------------------- modes, quarantine, history


def test_accept_valid_quarantines_rejected_rows_untouched(wh, tmp_path):
    path = write_csv(tmp_path / "mix.csv", "M37-E1,,2019,\"約3万\",白書,\nM37-E1,,2018,たくさん,白書,メモ\n")
    r = only(load_files([path], wh, now=NOW, accept_valid=True))
    assert (r.status, r.rows_loaded, r.rows_rejected) == ("partially_loaded", 1, 1)
    q = rows(wh, "select batch_id, row_number, kpi_id, area, period, value, source, note, reasons from obs_quarantine")
    assert q == [(r.batch_id, 3, "M37-E1", "", "2018", "たくさん", "白書", "メモ", "値: 値「たくさん」が数値ではありません")]


def test_dry_run_writes_nothing(wh, tmp_path):
    before = wh.read_bytes()
    path = write_csv(tmp_path / "ok.csv", "M37-E1,,2019,30000,,\n")
    r = only(load_files([path], wh, now=NOW, dry_run=True))
    assert (r.status, r.rows_valid, r.rows_loaded) == ("dry_run", 1, 0)
    assert wh.read_bytes() == before


def test_reloading_the_same_file_is_a_no_op(wh, tmp_path):
    path = write_csv(tmp_path / "ok.csv", "M37-E1,,2019,30000,,\n")
    first = only(load_files([path], wh, now=NOW))
    again = only(load_files([path], wh, now=NOW + dt.timedelta(days=1)))
    assert again.status == "already_loaded" and again.batch_id == first.batch_id and again.rows_loaded == 0
    assert "読み込み済み" in again.message
    assert rows(wh, "select count(*) from obs_batches") == [(1,)]


def test_resubmitted_values_become_revisions_and_as_of_reproduces_the_past(wh, tmp_path):
    for day, value in [(1, 10000), (15, 12000), (28, 11000)]:
        path = write_csv(tmp_path / f"m{day}.csv", f"M37-E1,,2019,{value},,\n")
        only(load_files([path], wh, now=dt.datetime(2021, 3, day, 12, 0)))
    hist = rows(wh, "select value, revision from observations_history where kpi_id = 'M37-E1' order by revision")
    assert hist == [(10000.0, 1), (12000.0, 2), (11000.0, 3)]
    assert rows(wh, "select value, revision from observations where kpi_id = 'M37-E1'") == [(11000.0, 3)]
    as_of = "select value from observations_as_of(date '{}') where kpi_id = 'M37-E1'"
    assert rows(wh, as_of.format("2021-02-28")) == []
    assert rows(wh, as_of.format("2021-03-01")) == [(10000.0,)]  # known the same day counts
    assert rows(wh, as_of.format("2021-03-20")) == [(12000.0,)]
    assert rows(wh, as_of.format("2021-04-01")) == [(11000.0,)]
    from warehouse.db import connect_readonly
    from warehouse.queries import observations_as_of

    con = connect_readonly(wh)
    assert observations_as_of(con, dt.date(2021, 3, 20), "M37-E1")["value"].tolist() == [12000.0]
    assert observations_as_of(con, "2021-03-20", "M37-E1")["revision"].tolist() == [2]
    con.close()


def test_the_coverage_kept_at_each_write_equals_a_scan_of_every_stored_value(wh, tmp_path):
    """core.obs_coverage / obs_periods are merged batch by batch: after revisions, new areas, new periods
    and a rebuild they must say what a scan of everything stored says."""
    from warehouse.db import connect_readonly
    from warehouse.queries import coverage

    kpi, = rows(wh, "select kpi_id from kpis where area_level = 'municipality' order by kpi_id limit 1")[0]
    a, b, c = (r[0] for r in rows(wh, "select area_code from areas where level = 'municipality' order by 1 limit 3"))
    batches = [f"{kpi},{a},2021-04,1,,\n{kpi},{b},2021-04,0,,\nM37-E1,,2019,10000,,\n",
               f"{kpi},{b},2021-04,1,,\n{kpi},{c},2021-05,1,,\nM37-E1,,2019,12000,,\nM37-E1,,2020,13000,,\n",
               f"{kpi},{a},2020-12,1,,\n"]
    for day, body in enumerate(batches, start=1):
        only(load_files([write_csv(tmp_path / f"b{day}.csv", body)], wh, now=dt.datetime(2021, 6, day, 9, 0)))
    scan = """
        with obs as (
            select kpi_id, area_code, period, is_synthetic from core.observations
            union all
            select kpi_id, area_code, period, false from core.document_observations)
        select o.kpi_id, any_value(k.name) as name, any_value(k.area_level) as area_level,
               count(distinct o.area_code) as areas, count(distinct o.period) as periods, count(*) as stored_values,
               min(o.period) as first_period, max(o.period) as last_period, bool_or(o.is_synthetic) as synthetic
        from obs o join kpis k using (kpi_id) group by o.kpi_id order by o.kpi_id"""
    con = connect_readonly(wh)
    try:
        kept = coverage(con)
        assert kept.astype(str).values.tolist() == con.execute(scan).df().astype(str).values.tolist()
        mine = con.execute("select count(*), sum(stored_values), min(first_period), max(last_period) "
                           "from core.obs_coverage where kpi_id = ?", [kpi]).fetchone()
        assert mine == (3, 5, "2020-12", "2021-05")  # the three loaded areas, five values (one a revision)
    finally:
        con.close()


def test_a_crash_inside_the_load_leaves_the_warehouse_exactly_as_before(wh, tmp_path, monkeypatch):
    before = wh.read_bytes()
    original = store.insert_batch

    def crash(con, batch, valid, rejected):
        original(con, batch, valid, rejected)  # rows are written … then the process fails
        raise RuntimeError("power cut")

    monkeypatch.setattr(store, "insert_batch", crash)
    path = write_csv(tmp_path / "ok.csv", "M37-E1,,2019,30000,,\n")
    with pytest.raises(RuntimeError, match="power cut"):
        load_files([path], wh, now=NOW)
    assert wh.read_bytes() == before
    assert not [p for p in tmp_path.iterdir() if ".tmp" in p.name]


def test_a_rebuild_keeps_the_loaded_history(wh, tmp_path, defs):
    from etl.build import build

    path = write_csv(tmp_path / "ok.csv", "M37-E1,,2019,30000,,\n")
    only(load_files([path], wh, now=NOW))
    build(warehouse=wh, defs_path=defs)
    assert rows(wh) == [("M37-E1", "000000", "FY2019", 30000.0)]
    assert rows(wh, "select count(*) from obs_batches") == [(1,)]


def test_document_figures_carry_their_provenance(con):
    row = con.execute(
        "select value, period, origin, quote, location, known_at from observations where kpi_id = 'M32-R1'").fetchone()
    assert row[:3] == (402.0, "2017-04", "document")
    assert "平成29年4月3日現在402市区町村" in row[3]
    assert row[4].startswith("004_37bfc7ab336b2887.txt line ")
    assert row[5] == dt.datetime(2017, 7, 28)
    m76 = con.execute("select period, value from observations where kpi_id = 'M76-R1' order by period").fetchall()
    assert m76 == [("FY2015", 15.0), ("FY2016", 22.0)]


# ---------------------------------------------------------------- command line


def test_cli_json_report_and_exit_status(wh, tmp_path):
    path = write_csv(tmp_path / "mix.csv", "M37-E1,,2019,30000,,\nM99-P1,,2019,1,,\n")
    runner = CliRunner()
    res = runner.invoke(main, ["observations", "load", str(path), "--warehouse", str(wh), "--json", "--dry-run"])
    assert res.exit_code == 1
    doc = json.loads(res.output)
    assert {k: doc[k] for k in ("rows_total", "rows_valid", "rows_rejected", "rows_loaded")} == {
        "rows_total": 2, "rows_valid": 1, "rows_rejected": 1, "rows_loaded": 0}
    assert doc["errors"] == [{"file": "mix.csv", "sheet": None, "row": 3, "column": "KPI ID",
                              "message": "KPI ID「M99-P1」は登録されていません"}]
    ok = write_csv(tmp_path / "ok.csv", "M37-E1,,2019,30000,,\n")
    res = runner.invoke(main, ["observations", "load", str(ok), "--warehouse", str(wh), "--user", "山田"])
    assert res.exit_code == 0, res.output
    assert "loaded" in res.output
    assert rows(wh, "select loaded_by from obs_batches") == [("山田",)]


def test_cli_unreadable_file(wh, tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("何か,別の,表\n1,2,3\n", encoding="utf-8")
    res = CliRunner().invoke(main, ["observations", "load", str(path), "--warehouse", str(wh)])
    assert res.exit_code == 1
    assert "見出し行が見つかりません" in res.output


def test_templates(wh, tmp_path):
    runner = CliRunner()
    out = tmp_path / "t.xlsx"
    res = runner.invoke(main, ["template", "--warehouse", str(wh), "--out", str(out), "--kpi", "M36-E1", "--kpi", "M37-E1"])
    assert res.exit_code == 0, res.output
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["実績入力", "KPI一覧", "団体一覧", "記入方法"]
    ws = wb["実績入力"]
    assert [c.value for c in ws[1]] == ["KPI ID", "団体コード", "期間", "値", "出典", "備考"]
    lists = {str(dv.sqref): dv.formula1 for dv in ws.data_validations.dataValidation}
    assert lists["A2:A2000"] == "='KPI一覧'!$A$2:$A$3" and lists["B2:B2000"].startswith("='団体一覧'!$A$2")
    assert [r[0].value for r in wb["KPI一覧"].iter_rows(min_row=2)] == ["M36-E1", "M37-E1"]
    # a filled-in template loads
    ws.append(["M37-E1", None, "令和元年度", 30000, "白書", None])
    wb.save(out)
    assert only(load_files([out], wh, now=NOW)).status == "loaded"
    csv_out = tmp_path / "t.csv"
    res = runner.invoke(main, ["template", "--warehouse", str(wh), "--format", "csv", "--out", str(csv_out)])
    assert res.exit_code == 0 and csv_out.read_text(encoding="utf-8-sig").startswith("KPI ID,団体コード,期間,値,出典,備考")


# ---------------------------------------------------------------- large files (Arrow reader and its fallback)


def big_body(n=30000):
    months = [f"{y}-{m:02d}" for y in range(2013, 2021) for m in range(1, 13)]
    from etl.areas import area_table

    codes = area_table().query("level == 'municipality'").area_code.tolist()
    return "".join(f"M36-E1,{codes[i % 1741]},{months[i // 1741]},1,大規模テスト,\n" for i in range(n))


@pytest.mark.parametrize("encoding", ["utf-8", "cp932"])
def test_large_file_with_an_error_near_the_end(wh, tmp_path, encoding):
    body = big_body()
    path = write_csv(tmp_path / "big.csv", "全国報告\n" + HEADER + body + "M36-E1,011002,令和9年度,1,,\n", encoding=encoding, header="")
    assert path.stat().st_size > 1_000_000
    r = only(load_files([path], wh, now=NOW))
    assert (r.rows_total, r.rows_rejected) == (30001, 1)
    assert [(e["row"], e["column"]) for e in r.errors] == [(30003, "期間")]


def test_large_file_with_blank_lines_keeps_exact_row_numbers(wh, tmp_path):
    body = big_body()
    lines = body.splitlines(keepends=True)
    text = HEADER + "".join(lines[:10]) + "\n\n" + "".join(lines[10:]) + "M99-P1,,2020,1,,\n"
    path = write_csv(tmp_path / "blank.csv", text, header="")
    r = only(load_files([path], wh, now=NOW, dry_run=True))
    assert (r.rows_total, r.rows_rejected) == (30001, 1)
    assert r.errors[0]["row"] == 30004  # header 1, 10 rows, 2 blank lines, 30000 rows, then the bad one
