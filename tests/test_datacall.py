"""The data call's request forms (照会様式): who owes what, what each form carries, what an office may
change, and the registry of what was sent."""
import datetime as dt
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


def test_a_ministry_owes_the_national_kpis_of_the_measures_it_leads_then_its_schedule_items(con):
    rows = forms.all_rows(con, dt.date(2021, 2, 28))
    mine = forms.rows_for(rows, forms.Recipient("ministry", "総務省", "総務省"))
    expected = {r[0] for r in con.execute(
        """select k.kpi_id from kpis k join measures m using (measure_no)
           where list_contains(m.lead_ministries, '総務省') and k.area_level = 'national'
             and k.kind in ('progress', 'effect')""").fetchall()}
    items = {r[0] for r in con.execute(
        "select item_id from schedule_items where list_contains(ministries, '総務省')").fetchall()}
    assert set(mine.loc[~mine["is_item"], "kpi_id"]) == expected and set(mine.loc[mine["is_item"], "kpi_id"]) == items
    assert (mine["area_code"] == "000000").all() and not mine["is_item"].iloc[:len(expected)].any()  # KPIs first


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
    meta, keys = forms.read_meta(wb["_form"])
    assert meta["recipient"] == "ministry:総務省" and meta["period"] == "2021-03" and len(keys) == made[0].rows
    assert meta["digest"] == forms.digest(made[0].recipient, "2021-03", keys, "2021-04-01T09:00:00") == made[0].digest
    assert [(r[0], "000000") for r in data] == keys
    # the protected cells read back as written: a changed one would not match (the reply's check)
    assert meta["fixed_digest"] == forms.fixed_digest([list(r[:inputs[0]]) for r in data])
    with duckdb.connect(str(wh), read_only=True) as con:
        sent = con.execute("select recipient, period, rows, digest, deadline from datacall_forms").fetchall()
    assert sent == [("ministry:総務省", "2021-03", made[0].rows, made[0].digest, dt.date(2021, 4, 15))]


def test_the_digest_changes_with_anything_asked():
    who, at = forms.Recipient("ministry", "総務省", "総務省"), "2021-04-01T09:00:00"
    rows = [("M1-P1", "000000"), ("M2-P1", "000000")]
    base = forms.digest(who, "2021-03", rows, at)
    assert base != forms.digest(who, "2021-04", rows, at)
    assert base != forms.digest(who, "2021-03", rows[::-1], at)
    assert base != forms.digest(forms.Recipient("prefecture", "13", "東京都"), "2021-03", rows, at)
    assert base != forms.digest(who, "2021-03", rows, "2021-04-02T09:00:00")  # sent again: another form


def test_text_from_the_warehouse_is_never_a_formula():
    assert forms._text("=HYPERLINK(\"x\")") == "'=HYPERLINK(\"x\")" and forms._text("取組") == "取組"


def test_a_form_row_is_never_shorter_than_its_text_and_prints_at_8_pt(wh, tmp_path):
    """Every row of a prefecture's form (long names, municipalities, carried-forward commentary)."""
    from exports import textfit

    made = forms.make_forms("2021-03", tmp_path, warehouse=wh, prefecture="13", ministry="総務省", now=dt.datetime(2021, 4, 1, 9))
    for m in made:
        ws = openpyxl.load_workbook(m.path)[forms.SHEET]
        widths = [ws.column_dimensions[chr(65 + i)].width for i in range(len(forms.COLUMNS))]
        for row in ws.iter_rows(min_row=forms.HEADER_ROW + 1):
            need = max(textfit.lines(c.value, widths[i], forms.SIZE) for i, c in enumerate(row[:len(widths)]))
            assert ws.row_dimensions[row[0].row].height >= need * textfit.line_pt(forms.SIZE), (m.path.name, row[0].row)
        total = sum(textfit.usable_pt(w) for w in widths)
        printable = textfit.A4_LANDSCAPE_PT - 2 * 0.4 * 72
        assert textfit.printed_size(forms.SIZE, total, printable) >= 8  # A4 landscape, fitted to the width


# ---------------------------------------------------------------- replies


def fill(path, rows: dict[int, dict], out=None):
    """Type into the unlocked cells of a form as an office would (a locked cell is an error)."""
    from etl.datacall.sample import type_into

    return type_into(path, rows, out)


def numeric_rows(wh, made, n=2) -> list[int]:
    wb = openpyxl.load_workbook(made.path)
    ids = [r[0] for r in wb[forms.SHEET].iter_rows(min_row=forms.HEADER_ROW + 1, values_only=True)]
    with duckdb.connect(str(wh), read_only=True) as con:
        # counts, not deeds (実施の有無) or shares (% ≤ 100); none with a figure quoted in the documents: a
        # reply to a demo form is synthetic, and a synthetic figure never takes the place of a real one
        deeds = {r[0] for r in con.execute("""select kpi_id from kpis where (target_kind = 'milestone' and direction = 'unknown')
                                               or coalesce(unit, '') in ('%', '割')
                                               or kpi_id in (select kpi_id from core.document_observations)""").fetchall()}
    return [i for i, k in enumerate(ids) if k not in deeds][:n]


@pytest.fixture
def sent(wh, tmp_path):
    from etl.datacall import collect  # noqa: F401 - imported here so a syntax error names this test

    return forms.make_forms("2021-03", tmp_path / "out", warehouse=wh, ministry="総務省", prefecture="13",
                            now=dt.datetime(2021, 4, 1, 9))


def batches(wh) -> int:
    with duckdb.connect(str(wh), read_only=True) as con:
        return con.execute("select count(*) from obs_batches").fetchone()[0]


def test_a_filled_form_comes_back_as_values_statuses_and_commentary(wh, sent):
    from etl.datacall.collect import collect

    soumu = sent[0]
    a, b = numeric_rows(wh, soumu)
    fill(soumu.path, {a: {"今回実績": "１，２３４", "時点": "令和2年度", "出典": "総務省調べ",
                          "取組状況": "説明会を開催\n(全国10か所)", "担当課室": "地域情報化企画室"},
                      b: {"今後の対応": "来年度に調査"}})
    reports = collect([soumu.path], wh, period="2021-03", user="secretariat", now=dt.datetime(2021, 4, 10, 9))
    assert [r.status for r in reports] == ["loaded"], reports[0].errors
    assert reports[0].rows_filled == 1 and reports[0].comments == 2
    with duckdb.connect(str(wh), read_only=True) as con:
        # the demo's own FY2020 batch is loaded on 2021-04-25, so the reply is looked at as of 2021-04-10
        kpi = con.execute("select kpi_id from core.observations where batch_id = ?", [reports[0].batch_id]).fetchall()
        value = con.execute("select value, period, source from observations_as_of(date '2021-04-10') where batch_id = ?",
                            [reports[0].batch_id]).fetchall()
        said = con.execute("select progress, office, next_steps from kpi_comments_as_of(date '2021-04-10') order by kpi_id").fetchall()
        reply = con.execute("select recipient, rows_filled, comments from datacall_replies").fetchall()
        status = con.execute("select latest_value from kpi_status_as_of(date '2021-04-10', national_only := true) where kpi_id = ?",
                             [kpi[0][0]]).fetchall()
    assert value == [(1234.0, "FY2020", "総務省調べ")] and status == [(1234.0,)]
    assert ("説明会を開催\n(全国10か所)", "地域情報化企画室", None) in said and (None, None, "来年度に調査") in said
    assert reply == [("ministry:総務省", 1, 2)]
    # the same file again changes nothing; a corrected file is the next revision
    again = collect([soumu.path], wh, user="secretariat", now=dt.datetime(2021, 4, 11, 9))
    assert again[0].status == "already_loaded"
    fill(soumu.path, {a: {"今回実績": "1300"}})
    revised = collect([soumu.path], wh, user="secretariat", now=dt.datetime(2021, 4, 12, 9))
    assert revised[0].status == "revised" and "再提出" in revised[0].message
    # next month's form carries this month's commentary forward
    # (made before 2021-04-25, when the demo's own FY2020 figures arrive and take the reply's place)
    later = forms.make_forms("2021-04", soumu.path.parent / "next", warehouse=wh, ministry="総務省",
                             now=dt.datetime(2021, 4, 20, 9))
    rows = list(openpyxl.load_workbook(later[0].path)[forms.SHEET].iter_rows(min_row=forms.HEADER_ROW + 1, values_only=True))
    heads = [h for h, _, _ in forms.COLUMNS]
    assert rows[a][heads.index("取組状況")] == "説明会を開催\n(全国10か所)"
    assert "1,300" in rows[a][heads.index("前回(時点・状況)")]


def refused(wh, path, **kw):
    from etl.datacall.collect import collect

    before = batches(wh)
    reports = collect([path], wh, user="secretariat", now=dt.datetime(2021, 4, 10, 9), **kw)
    assert batches(wh) == before  # nothing written
    assert reports[0].status in ("refused", "unreadable") and reports[0].errors
    return reports[0]


def test_a_protection_removed_is_refused(wh, sent):
    wb = openpyxl.load_workbook(sent[0].path)
    wb[forms.SHEET].protection.sheet = False
    wb.save(sent[0].path)
    assert "保護が解除" in refused(wh, sent[0].path).errors[0]["message"]


def test_a_row_deleted_or_a_kpi_changed_is_refused(wh, sent, tmp_path):
    wb = openpyxl.load_workbook(sent[0].path)
    wb[forms.SHEET].delete_rows(forms.HEADER_ROW + 2)
    wb.save(tmp_path / "deleted.xlsx")
    report = refused(wh, tmp_path / "deleted.xlsx")
    assert any(e["row"] == forms.HEADER_ROW + 2 and "行が追加・削除・並べ替え" in e["message"] for e in report.errors)
    wb = openpyxl.load_workbook(sent[0].path)
    wb[forms.SHEET].cell(forms.HEADER_ROW + 1, 1).value = "M99-P9"
    wb.save(tmp_path / "changed.xlsx")
    report = refused(wh, tmp_path / "changed.xlsx")
    assert report.errors[0]["row"] == forms.HEADER_ROW + 1 and "照会していないKPI" in report.errors[0]["message"]


def test_text_in_a_number_cell_and_a_value_without_its_period_are_refused(wh, sent):
    a, b = numeric_rows(wh, sent[0])
    fill(sent[0].path, {a: {"今回実績": "集計中", "時点": "令和2年度"}, b: {"今回実績": "12"}})
    report = refused(wh, sent[0].path)
    rows = {(e["row"], e["column"]) for e in report.errors}
    assert (forms.HEADER_ROW + 1 + a, "今回実績") in rows and (forms.HEADER_ROW + 1 + b, "時点") in rows, report.errors


def test_another_period_a_tampered_block_and_a_plain_file_are_refused(wh, sent, tmp_path):
    assert "期間が違います" in refused(wh, sent[0].path, period="2021-04").errors[0]["message"]
    wb = openpyxl.load_workbook(sent[0].path)
    wb[forms.META_SHEET]["B2"] = "ministry:内閣府"  # the recipient
    wb.save(tmp_path / "tampered.xlsx")
    assert "管理情報が改変" in refused(wh, tmp_path / "tampered.xlsx").message
    assert "記入された行がありません" in refused(wh, sent[0].path).errors[0]["message"]  # returned as sent
    plain = openpyxl.Workbook()
    plain.save(tmp_path / "plain.xlsx")
    assert "照会様式ではありません" in refused(wh, tmp_path / "plain.xlsx").message
    (tmp_path / "broken.xlsx").write_bytes(b"PK\x03\x04 not really a workbook")
    assert refused(wh, tmp_path / "broken.xlsx").status == "unreadable"


def test_a_prefecture_reply_loads_municipal_rows(wh, sent):
    from etl.datacall.collect import collect

    tokyo = sent[1]
    first = numeric_rows(wh, tokyo, 3)
    fill(tokyo.path, {i: {"今回実績": "1", "時点": "R2"} for i in first})
    report = collect([tokyo.path], wh, user="secretariat", now=dt.datetime(2021, 4, 10, 9))[0]
    assert report.status == "loaded", report.errors
    with duckdb.connect(str(wh), read_only=True) as con:
        areas = con.execute("select distinct area_level from observations where batch_id = ?", [report.batch_id]).fetchall()
    assert areas and all(level in ("municipality", "prefecture") for (level,) in areas)


# ---------------------------------------------------------------- submission status


def test_submission_status_follows_the_replies(wh, sent):
    from etl.datacall.collect import collect
    from etl.datacall.status import reminder, submission_status

    def status(day):
        with duckdb.connect(str(wh), read_only=True) as con:
            return submission_status(con, "2021-03", day).set_index("recipient_name", drop=False)

    before = status(dt.date(2021, 4, 2))
    assert before.at["総務省", "state"] == "未回答" and before.at["東京都", "state"] == "未回答"
    assert before.at["大阪府", "state"] == "未送付" and (before["state"] == "未送付").sum() == len(before) - 2
    assert status(dt.date(2021, 4, 16)).at["東京都", "state"] == "期限超過"  # deadline 令和3年4月15日
    a, b = numeric_rows(wh, sent[0])
    fill(sent[0].path, {a: {"今回実績": "12", "時点": "令和2年度"}, b: {"取組状況": "調査中"}})
    collect([sent[0].path], wh, user="secretariat", now=dt.datetime(2021, 4, 10, 9))
    after = status(dt.date(2021, 4, 10))
    soumu = after.loc["総務省"]
    # a row is answered by a figure or by commentary alone (an annual figure has nothing new every month)
    assert soumu["state"] == "一部未記入" and soumu["rows_filled"] == 2 and soumu["replies"] == 1
    assert len(soumu["empty_kpis"]) == soumu["rows_asked"] - 2  # one national row per KPI
    text = reminder(soumu, "2021-03")
    assert text.startswith("総務省 ご担当者様") and "未記入" in text and "令和3年3月末時点" in text
    assert soumu["empty_names"][0] in text and soumu["empty_names"][0].startswith(soumu["empty_kpis"][0] + " ")
    late = reminder(status(dt.date(2021, 4, 16)).loc["東京都"], "2021-03")
    assert "回答期限(令和3年4月15日)を過ぎて" in late
    assert reminder(after.loc["大阪府"], "2021-03") is None  # nothing was sent: nothing to remind
    # the view of the past is kept: as of 4月9日 the reply was not yet in
    assert status(dt.date(2021, 4, 9)).at["総務省", "state"] == "未回答"
    # the meeting workbook carries the same status, in 和暦
    from exports.monthly import write_monthly

    with duckdb.connect(str(wh), read_only=True) as con:
        write_monthly(con, dt.date(2021, 4, 10), wh.parent / "meeting.xlsx")
    sheet = openpyxl.load_workbook(wh.parent / "meeting.xlsx")["提出状況"]
    rows = {r[1]: r for r in sheet.iter_rows(values_only=True) if r[1] in ("総務省", "東京都", "大阪府")}
    assert "令和3(2021)年3月末時点の照会" in sheet.cell(1, 1).value
    assert rows["総務省"][:2] == ("一部未記入", "総務省") and rows["総務省"][3] == "令和3(2021)年4月15日"
    assert rows["総務省"][6] == f"2/{int(soumu['rows_asked'])}行" and rows["東京都"][0] == "未回答"
    assert rows["大阪府"][0] == "未送付"


def test_the_measure_page_shows_the_commentary_and_its_history(wh, sent, monkeypatch):
    from etl.datacall.collect import collect
    from tests.test_pages import open_page
    from ui import labels

    a, _ = numeric_rows(wh, sent[0])
    fill(sent[0].path, {a: {"取組状況": "説明会を開催", "担当課室": "地域情報化企画室"}})
    collect([sent[0].path], wh, user="secretariat", now=dt.datetime(2021, 4, 10, 9))
    fill(sent[0].path, {a: {"取組状況": "説明会を5回に拡大\n(オンライン併用)"}})
    collect([sent[0].path], wh, user="secretariat", now=dt.datetime(2021, 4, 12, 9))
    kpi = openpyxl.load_workbook(sent[0].path)[forms.SHEET].cell(forms.HEADER_ROW + 1 + a, 1).value
    with duckdb.connect(str(wh), read_only=True) as con:
        measure = con.execute("select measure_no from kpis where kpi_id = ?", [kpi]).fetchone()[0]
    at = open_page("measure", wh, monkeypatch, {"measure": str(measure), "as_of": "2021-04-30"})
    assert not at.exception
    text = "\n".join(m.value for m in at.markdown)
    assert labels.plain("説明会を5回に拡大\n(オンライン併用)") in text and "地域情報化企画室" in text  # as plain text
    history = next(d.value for d in at.dataframe if "取組状況" in d.value.columns)
    assert list(history["取組状況"]) == ["説明会を5回に拡大\n(オンライン併用)", "説明会を開催"]
    # as of the day between the two replies, the first one is what was known
    early = open_page("measure", wh, monkeypatch, {"measure": str(measure), "as_of": "2021-04-11"})
    assert "説明会を開催" in "\n".join(m.value for m in early.markdown)


def test_the_secretariat_makes_forms_and_follows_the_status_on_the_page(wh, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from tests.test_pages import APP
    from ui.auth import hash_password

    monkeypatch.setenv("SHINCHOKU_WAREHOUSE", str(wh))
    at = AppTest.from_file(APP, default_timeout=120)
    at.secrets["users"] = {"yamada": {"password_hash": hash_password("pw-loader"), "role": "loader"}}
    at.query_params["as_of"] = "2021-03-31"
    at.switch_page("pages/datacall.py")
    at.run()
    assert not at.get("tabs") and not at.exception  # signed-in secretariat only
    at.text_input(key="login_name").input("yamada")
    at.text_input(key="login_password").input("pw-loader")
    at.button[0].click().run()
    status = next(d.value for d in at.dataframe if "状態" in d.value.columns)
    assert (status["状態"] == "未送付").all() and len(status) > 47
    at.radio(key="datacall_who").set_value("府省庁を選ぶ")
    at.selectbox(key="datacall_ministry").select("総務省")
    next(b for b in at.button if "様式を作成" in str(b.label)).click().run()
    assert not at.exception, at.exception
    assert any("1件の照会様式を作成" in s.value for s in at.success)
    status = next(d.value for d in at.dataframe if "状態" in d.value.columns).set_index("宛先")
    assert status.at["総務省", "状態"] in ("未回答", "期限超過") and status.at["東京都", "状態"] == "未送付"


def test_the_largest_prefectures_form_keeps_every_cell_within_excels_limit_and_is_recognised(wh, tmp_path):
    made = forms.make_forms("2021-03", tmp_path / "out", warehouse=wh, prefecture="01", now=dt.datetime(2021, 4, 1, 9))
    wb = openpyxl.load_workbook(made[0].path)
    longest = max(len(str(v)) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for v in row if v is not None)
    assert longest <= 32_767 and made[0].rows > 2000  # 北海道: 179 municipalities × the municipal KPIs
    assert "記入された行がありません" in refused(wh, made[0].path).errors[0]["message"]  # recognised, then found empty


@pytest.mark.parametrize("make", ["zip_bomb", "giant_shared_string"])
def test_a_bomb_like_reply_is_refused_before_it_is_parsed(wh, tmp_path, make):
    import resource

    from tests import hostile

    data = hostile.zip_bomb(2_000_000) if make == "zip_bomb" else hostile.giant_shared_string(300)
    path = tmp_path / "回答.xlsx"
    path.write_bytes(data)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    report = refused(wh, path)
    assert report.status == "unreadable" and "回答.xlsx" in report.message
    assert (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024 < 200  # MiB: refused from the sizes


# ---------------------------------------------------------------- the demo's sample replies


def test_the_demo_sample_runs_the_whole_loop_and_is_marked_synthetic(wh, tmp_path, built):
    """Every ministry and three prefectures: forms made, replies typed (full-width digits, 和暦 時点 as the
    forms show it, commentary with line breaks), collected; one reply refused with its row and reason."""
    from etl.datacall.collect import collect
    from etl.datacall.sample import make_sample
    from etl.datacall.status import submission_status

    with pytest.raises(forms.DataCallError, match="合成データのない"):
        make_sample("2021-04", tmp_path / "real", built)  # never on a real warehouse
    made, replies = make_sample("2021-04", tmp_path / "call", wh, prefectures=3, now=dt.datetime(2021, 5, 1, 9))
    assert len(replies["complete"]) == sum(m.recipient.kind == "ministry" for m in made) - 2 + 3
    typed = [v for p in replies["complete"][:2] + replies["complete"][-1:] for r in openpyxl.load_workbook(p)[forms.SHEET].iter_rows(values_only=True)
             for v in r if isinstance(v, str)]
    assert any(re.fullmatch(r"[０-９，．]+", v) for v in typed) and any("(20" in v and "年" in v for v in typed)
    assert any("\n" in v and v.startswith("【合成データ】") for v in typed)
    assert "実施済" in typed and "未実施" in typed  # an area's row of a KPI counting areas: the form's list
    paths = [p for kind in ("complete", "partial", "faulty") for p in replies[kind]]
    reports = {r.file: r for r in collect(paths, wh, user="secretariat", now=dt.datetime(2021, 5, 10, 9))}
    faulty = reports.pop(replies["faulty"][0].name)
    assert faulty.status == "refused" and [(e["row"], e["column"]) for e in faulty.errors] == [
        (forms.HEADER_ROW + 1, "今回実績"), (forms.HEADER_ROW + 2, "今回実績")]
    assert {r.status for r in reports.values()} == {"loaded"}
    with duckdb.connect(str(wh), read_only=True) as con:
        status = submission_status(con, "2021-04", dt.date(2021, 5, 10)).set_index("recipient_name")
        marks = con.execute("""select bool_and(b.is_synthetic), bool_and(o.is_synthetic), count(*)
                               from datacall_replies r join obs_batches b using (batch_id)
                               join observations o using (batch_id)""").fetchone()
        said = con.execute("""select bool_and(is_synthetic), bool_and(progress like '【合成データ】%'), count(*)
                              from kpi_comments where period = '2021-04'""").fetchone()
    states = status["state"].value_counts().to_dict()
    assert states == {"回答済": len(replies["complete"]), "一部未記入": 1, "未回答": len(status) - len(reports)}
    assert status.at["宮城県", "state"] == "未回答"  # the refused reply counts for nothing
    assert marks[:2] == (True, True) and marks[2] > 1000 and said[:2] == (True, True)
    # three prefectures' municipalities are not the nation: April stays out of the national series
    with duckdb.connect(str(wh), read_only=True) as con:
        kpi, level = con.execute("""select kpi_id, any_value(area_level) from observations
                                    where period = '2021-04' and area_level = 'municipality'
                                      and kpi_id in (select kpi_id from observations where period = '2021-03')
                                    group by 1 order by 1 limit 1""").fetchone()
        national = con.execute("""select latest_period from kpi_status_as_of(date '2021-05-10', national_only := true)
                                  where kpi_id = ?""", [kpi]).fetchone()[0]
        areas = con.execute("""select count(*) from kpi_status_as_of(date '2021-05-10')
                               where kpi_id = ? and latest_period = '2021-04'""", [kpi]).fetchone()[0]
    assert national == "2021-03" and areas > 100, (kpi, level, national, areas)


def test_a_ministry_reports_its_schedule_items_and_the_workbook_shows_them(wh, tmp_path):
    """The 工程 rows after a ministry's KPIs: a state from the form's list; anything else refused; the
    meeting workbook's 工程表 then says what was reported, and calls an item past its plan period late."""
    from etl.datacall.collect import collect
    from exports.monthly import write_monthly

    made = forms.make_forms("2021-03", tmp_path / "out", warehouse=wh, ministry="総務省", now=dt.datetime(2021, 4, 1, 9))[0]
    ws = openpyxl.load_workbook(made.path)[forms.SHEET]
    rows = list(ws.iter_rows(min_row=forms.HEADER_ROW + 1, values_only=True))
    items = [i for i, r in enumerate(rows) if re.fullmatch(r"S\d+-I\d+", r[0])]
    with duckdb.connect(str(wh), read_only=True) as con:
        expected = con.execute("select count(*) from schedule_items where list_contains(ministries, '総務省')").fetchone()[0]
    assert len(items) == expected and items[0] > 0 and rows[items[0]][2] == "実施状況"
    assert rows[items[0]][3].startswith("計画 ")
    fill(made.path, {items[0]: {"今回実績": "おおむね順調"}})
    bad = refused(wh, made.path)
    assert bad.errors[0]["row"] == forms.HEADER_ROW + 1 + items[0] and "選べません" in bad.errors[0]["message"]
    fill(made.path, {items[0]: {"今回実績": "遅れ", "備考": "調整中"}, items[1]: {"今回実績": "完了"}})
    report = collect([made.path], wh, user="secretariat", now=dt.datetime(2021, 4, 10, 9))[0]
    assert report.status == "loaded" and report.items == 2 and "工程 2件" in report.message
    with duckdb.connect(str(wh), read_only=True) as con:
        got = con.execute("select item_id, state, note from schedule_reports_as_of(date '2021-04-10') order by 1").fetchall()
        status = submission_status_of(con)
        write_monthly(con, dt.date(2021, 4, 30), tmp_path / "m.xlsx", "総務省")
    assert got == sorted([(rows[items[0]][0], "遅れ", "調整中"), (rows[items[1]][0], "完了", None)])
    assert status["rows_filled"] == 2  # the two items count as answered
    gantt = openpyxl.load_workbook(tmp_path / "m.xlsx")["工程表"]
    states = {r[0]: r[-1] for r in gantt.iter_rows(values_only=True) if isinstance(r[0], str) and r[0].startswith("S")}
    assert states[rows[items[0]][0]] == "遅れ(報告)" and states[rows[items[1]][0]] == "完了(報告)"
    assert "遅れ(計画期間終了・完了の報告なし)" in states.values()


def submission_status_of(con):
    from etl.datacall.status import submission_status

    return submission_status(con, "2021-03", dt.date(2021, 4, 10)).set_index("recipient_name").loc["総務省"]
