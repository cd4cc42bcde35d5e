"""The data call's request forms (照会様式): who owes what, what each form carries, what an office may
change, and the registry of what was sent."""
import datetime as dt
import json
import re
import shutil

import duckdb
import openpyxl
import pytest

from etl.datacall import forms


@pytest.fixture(scope="module")
def demo(built, tmp_path_factory):
    from etl.demo import create_demo

    return create_demo(built, tmp_path_factory.mktemp("datacall") / "demo.duckdb", seed=7)["warehouse"]


@pytest.fixture
def wh(demo, tmp_path):
    path = tmp_path / "w.duckdb"
    shutil.copy(demo, path)
    return path


def test_the_period_is_a_month():
    assert forms.parse_period("2021-03") == ("2021-03", dt.date(2021, 3, 31))
    for bad in ("2021-13", "202103", "令和3年3月", ""):
        with pytest.raises(forms.DataCallError, match="YYYY-MM"):
            forms.parse_period(bad)


def test_recipients_are_checked(con):
    assert forms.recipients(con, ministry="総務省") == [forms.Recipient("ministry", "総務省", "総務省")]
    assert forms.recipients(con, prefecture="東京都") == forms.recipients(con, prefecture="13") == [
        forms.Recipient("prefecture", "13", "東京都")]
    everyone = forms.recipients(con, everyone=True)
    assert sum(r.kind == "prefecture" for r in everyone) == 47 and any(r.code == "総務省" for r in everyone)
    with pytest.raises(forms.DataCallError, match="主担当の施策がある府省庁ではありません"):
        forms.recipients(con, ministry="経産省")  # an abbreviation is not a recipient
    with pytest.raises(forms.DataCallError, match="都道府県が見つかりません"):
        forms.recipients(con, prefecture="48")
    with pytest.raises(forms.DataCallError, match="宛先を指定"):
        forms.recipients(con)


def test_a_ministry_owes_the_national_kpis_of_the_measures_it_leads(con):
    rows = forms.all_rows(con, dt.date(2021, 2, 28))
    mine = forms.rows_for(rows, forms.Recipient("ministry", "総務省", "総務省"))
    expected = {r[0] for r in con.execute(
        """select k.kpi_id from kpis k join measures m using (measure_no)
           where list_contains(m.lead_ministries, '総務省') and k.area_level = 'national'
             and k.kind in ('progress', 'effect')""").fetchall()}
    assert set(mine["kpi_id"]) == expected and (mine["area_code"] == "000000").all()


def test_a_prefecture_owes_one_row_per_municipality(con):
    rows = forms.all_rows(con, dt.date(2021, 2, 28))
    tokyo = forms.rows_for(rows, forms.Recipient("prefecture", "13", "東京都"))
    municipal = con.execute("select count(*) from kpis where area_level = 'municipality' and kind in ('progress', 'effect')").fetchone()[0]
    towns = con.execute("select count(*) from areas where level = 'municipality' and prefecture_code = '13'").fetchone()[0]
    per_pref = con.execute("select count(*) from kpis where area_level = 'prefecture' and kind in ('progress', 'effect')").fetchone()[0]
    assert len(tokyo) == municipal * towns + per_pref
    assert not tokyo.duplicated(["kpi_id", "area_code"]).any()


def test_a_form_carries_last_periods_figures_unlocked_inputs_and_its_hidden_block(wh, tmp_path):
    made = forms.make_forms("2021-03", tmp_path / "out", warehouse=wh, ministry="総務省", now=dt.datetime(2021, 4, 1, 9))
    assert len(made) == 1 and made[0].path.name == "照会_2021-03_総務省.xlsx"
    wb = openpyxl.load_workbook(made[0].path)
    assert wb.sheetnames == ["表紙", "回答", "_form"] and wb["_form"].sheet_state == "veryHidden"
    ws = wb["回答"]
    head = [c.value for c in ws[forms.HEADER_ROW]]
    assert head == [h for h, _, _ in forms.COLUMNS]
    first = forms.HEADER_ROW + 1
    data = list(ws.iter_rows(min_row=first, values_only=True))
    assert len(data) == made[0].rows
    inputs = [i for i, (_, _, is_input) in enumerate(forms.COLUMNS) if is_input]
    assert ws.protection.sheet and all(not ws.cell(first, i + 1).protection.locked for i in inputs)
    assert all(ws.cell(first, i + 1).protection.locked for i in range(inputs[0]))
    assert all(r[inputs[0]] is None for r in data)  # 今回実績 left for the office
    assert not [v for r in data for v in r if isinstance(v, str) and re.search(r"\bnan\b|None|NaT", v)]
    # the previous figures and status are filled in where the warehouse had them, in 和暦
    assert any(r[5] and "年度)" in r[5] and "nan" not in r[5] for r in data)
    meta = dict(wb["_form"].iter_rows(values_only=True))
    keys = [tuple(k) for k in json.loads(meta["keys"])]
    assert meta["recipient"] == "ministry:総務省" and meta["period"] == "2021-03" and len(keys) == made[0].rows
    assert meta["digest"] == forms.digest(made[0].recipient, "2021-03", keys) == made[0].digest
    assert [(r[0], "000000") for r in data] == keys
    # the protected cells read back as written: a changed one would not match (the reply's check)
    assert meta["fixed_digest"] == forms.fixed_digest([list(r[:inputs[0]]) for r in data])
    with duckdb.connect(str(wh), read_only=True) as con:
        sent = con.execute("select recipient, period, rows, digest, deadline from datacall_forms").fetchall()
    assert sent == [("ministry:総務省", "2021-03", made[0].rows, made[0].digest, dt.date(2021, 4, 15))]


def test_the_digest_changes_with_anything_asked(con):
    who = forms.Recipient("ministry", "総務省", "総務省")
    base = forms.digest(who, "2021-03", [("M1-P1", "000000"), ("M2-P1", "000000")])
    assert base != forms.digest(who, "2021-04", [("M1-P1", "000000"), ("M2-P1", "000000")])
    assert base != forms.digest(who, "2021-03", [("M2-P1", "000000"), ("M1-P1", "000000")])
    assert base != forms.digest(forms.Recipient("prefecture", "13", "東京都"), "2021-03", [("M1-P1", "000000"), ("M2-P1", "000000")])


def test_text_from_the_warehouse_is_never_a_formula():
    assert forms._text("=HYPERLINK(\"x\")") == "'=HYPERLINK(\"x\")" and forms._text("取組") == "取組"
