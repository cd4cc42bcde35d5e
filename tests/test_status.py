"""The progress-status method: hand-computed cases for every branch, invariances, and the views."""
import datetime as dt
import shutil

import duckdb
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from etl.observations.load import load_files
from etl.demo import create_demo
from etl.status import CASES, D0, DOC, Case, coverage, coverage_table, evaluate, markdown_table, method_connection

CON = method_connection()


def one(case: Case):
    return evaluate([case], CON).iloc[0]


# Hand computations (4 years elapsed of an 8-year horizon, 365.25-day years):
#   1.5^(1/4) − 1 = 0.106682, 2^(1/8) − 1 = 0.090508  → R = 1.17870
#   1.2^(1/4) − 1 = 0.046635                           → R = 0.51526
#   1.05^(1/4) − 1 = 0.012272                          → R = 0.13559
#   0.9^(1/4) − 1 = −0.025996                          → R = −0.28723
#   decrease to 50: 0.8^(1/4) − 1 = −0.054258, 0.5^(1/8) − 1 = −0.082996 → R = −1·−0.054258/0.082996 = 0.65375
#   relative 3割削減 of 1000 → 700: 0.7^(1/8) − 1 = −0.043605; 0.9^(1/4) − 1 = −0.025996 → R = 0.59617
#   linear (y0 = 0): (300/4) / (800/8) = 75 / 100 = 0.75; (y0 = −10): (20/4) / (40/8) = 1.0
#   after the deadline (8 of 8 years): 1.9^(1/8) − 1 = 0.083538 → R = 0.92299, unmet → 未達
#   percentage 40 → 70, target 100: 1.75^(1/4) − 1 = 0.150163, 2.5^(1/8) − 1 = 0.121353 → R = 1.23740
HAND = {
    "順調: 2倍目標に複利で先行": ("on_track", 1.17870),
    "要加速: 伸びが必要ペースの半分強": ("acceleration_needed", 0.51526),
    "遅れ: わずかな伸び": ("limited", 0.13559),
    "悪化: 目標と逆方向": ("deterioration", -0.28723),
    "減少目標: 半減目標に対し2割減": ("acceleration_needed", 0.65375),
    "相対目標: 3割削減(基準1000→目標700)": ("acceleration_needed", 0.59617),
    "基準値0: 線形の伸びで判定": ("acceleration_needed", 0.75),
    "負の値を含む: 線形の伸びで判定": ("on_track", 1.0),
    "期限超過・未達成(伸びは続く)": ("missed", 0.92299),
    "割合: 40%→70%、目標100%": ("on_track", 1.23740),
}


@pytest.mark.parametrize("label, expected", HAND.items())
def test_hand_computed_ratios(label, expected):
    row = evaluate([c for c in CASES if c.label == label], CON).iloc[0]
    assert row.status == expected[0]
    assert row.growth_ratio == pytest.approx(expected[1], abs=5e-5)


@pytest.mark.parametrize(
    "label, status",
    [
        ("達成: 目標値に到達", "achieved"),
        ("減少目標: 到達", "achieved"),
        ("減少目標: 増加している", "deterioration"),
        ("相対目標: 基準年度の実績なし", "no_base"),
        ("1時点のみ", "single_point"),
        ("データなし", "no_data"),
        ("期限超過・未達成(減少)", "deterioration"),
        ("年間目標(年1回以上): 達成", "achieved"),
        ("年間目標(年1回以上): 未達", "limited"),
        ("約3万: 95%以上で到達", "achieved"),  # 28,600 ≥ 0.95 × 30,000 = 28,500
        ("約 −10(負の目標): 到達", "achieved"),  # the 5 % is of the target's size: −9.8 ≥ −10
        ("目標年なし・未達成(傾向で表示)", "trend_improving"),
        # status v2 (issue 12): each defect of v1 as a case
        ("期限内に達成、その後低下", "achieved_then_fell"),  # v1: 遅れ (judged on the latest value)
        ("期限後の実績未報告(猶予期間経過)", "awaiting_result"),  # v1: 遅れ without evidence
        ("期限後・猶予期間内(ペースで判定)", "on_track"),  # R = 0.968: a late report is not yet missing
        ("期限後に届いた実績で判定(未達)", "missed"),
        ("期限後に到達(期限時点は未達)", "achieved"),
        ("維持目標: 維持(許容1%以内)", "achieved"),  # v1: データ不足 「実績値が1時点のみ」
        ("維持目標: 低下", "deterioration"),  # v1: データ不足
        ("マイルストーン: 実施済の報告", "achieved"),  # v1: 目標未設定 whatever was reported
        ("マイルストーン: 期限前(報告なし)", "scheduled"),
        ("マイルストーン: 期限後も未実施", "missed"),
        ("マイルストーン: 期限後・報告なし", "awaiting_result"),
        ("マイルストーン: 期限前の未実施の報告のみ", "awaiting_result"),  # nothing said about the deadline yet
        ("目標なし: 望ましい方向が不明", "trend_unknown"),
        ("経路の周りで揺れる系列: 標準", "deterioration"),  # R = −0.008 < 0
        ("経路の周りで揺れる系列: 国連(−0.1 の幅)", "limited"),  # inside the UN noise band
        ("R=0.55: 標準では要加速", "acceleration_needed"),
        ("R=0.55: Open SDG(0.6)では遅れ", "limited"),
    ],
)
def test_every_other_branch(label, status):
    assert evaluate([c for c in CASES if c.label == label], CON).iloc[0].status == status


@pytest.mark.parametrize(
    "yt, trend, status",
    [(108.243216, "substantial", "trend_improving"),  # 1.02^4 × 100: g = 2.0 % ≥ 1.5 %
     (104.060401, "moderate", "trend_improving"),     # 1.01^4 × 100: g = 1.0 % ≥ 0.5 %
     (100.802401, "limited", "trend_flat"),           # 1.002^4 × 100: g = 0.2 %, inside ±0.5 %
     (99.6, "deterioration", "trend_flat"),           # g = −0.1 %, inside ±0.5 %
     (96.0, "deterioration", "trend_worsening")],     # 0.96^(1/4) − 1 = −1.0154 %
)
def test_trend_without_target_is_never_on_track(yt, trend, status):
    row = one(Case("t", 100, yt, None, target_kind="none"))
    assert (row.status, row.trend) == (status, trend)
    assert row.status not in ("achieved", "on_track", "acceleration_needed", "limited", "deterioration")


def test_before_the_deadline_nothing_changes():
    """The deadline value and the grace period matter only after the deadline."""
    base = Case("b", 100, 150, 200)
    for changed in (Case("b", 100, 150, 200, y_dl=250), Case("b", 100, 150, 200, y_dl=120)):
        assert one(changed).status == one(base).status == "on_track"


def test_the_grace_period_comes_from_the_threshold_set():
    late = Case("g", 100, 180, 200, t=dt.date(2023, 3, 31), as_of=dt.date(2024, 3, 31) + dt.timedelta(days=183), n=8)
    assert one(late).status == "on_track"  # the last day of the grace period
    later = Case("g", 100, 180, 200, t=dt.date(2023, 3, 31), as_of=dt.date(2024, 3, 31) + dt.timedelta(days=184), n=8)
    assert one(later).status == "awaiting_result"


def test_projection_at_the_current_pace():
    row = one(Case("p", 100, 150, 200))
    # 1.5^(8/4) × 100 = 225 at the deadline; 200 is reached after 4 · ln 2 / ln 1.5 = 6.838 years
    assert row.projected_value == pytest.approx(225)
    assert row.projected_reach_date == pd.Timestamp(D0 + dt.timedelta(days=round(6.83836 * 365.25)))
    away = one(Case("p", 100, 90, 200))
    assert pd.isna(away.projected_reach_date)  # not at the current pace
    linear = one(Case("l", 0, 300, 800))
    assert linear.projected_value == pytest.approx(600)  # 0 + 300 · 8/4
    assert linear.projected_reach_date == pd.Timestamp(D0 + dt.timedelta(days=round(800 / 75 * 365.25)))


def test_linear_reading_and_disagreement():
    row = one(Case("d", 100, 145, 200))
    # CAGR: 1.45^(1/4) − 1 = 0.097342 → R = 1.0755 (順調); linear: 45/100 = 0.45 < elapsed 0.5 (遅れ)
    assert (row.status, row.linear_status) == ("on_track", "limited")
    assert row.achievement == pytest.approx(0.45) and row.elapsed == pytest.approx(0.5)


def test_the_methodology_table_is_generated_from_this_code():
    text = DOC.read_text(encoding="utf-8")
    table = text.split("<!-- worked-cases:begin -->\n")[1].split("\n<!-- worked-cases:end -->")[0]
    assert table == markdown_table(evaluate(CASES, CON))
    assert len(CASES) >= 40


def test_the_rule_coverage_is_generated_from_the_bundled_and_demo_data(built, tmp_path):
    demo = tmp_path / "demo.duckdb"
    create_demo(built, demo)
    with duckdb.connect(str(built), read_only=True) as b, duckdb.connect(str(demo), read_only=True) as d:
        bundled, demoed = coverage(b), coverage(d)
        table = coverage_table(bundled, demoed)
    text = DOC.read_text(encoding="utf-8")
    assert table == text.split("<!-- rule-coverage:begin -->\n")[1].split("\n<!-- rule-coverage:end -->")[0]
    assert int(bundled["kpis"].sum()) == 205  # every KPI of the plan has one rule
    assert demoed.loc["trend", "judged"] == 0  # trend readings are never judgements


values = st.floats(min_value=1, max_value=1e4, allow_nan=False)


@settings(max_examples=80, deadline=None)
@given(y0=values, yt=values, target=values, scale=st.sampled_from([1000.0, 0.001, 7.0]),
       direction=st.sampled_from(["increase", "decrease"]), comparator=st.sampled_from(["eq", "approx", "at_least"]))
def test_status_does_not_depend_on_the_unit(y0, yt, target, scale, direction, comparator):
    a = one(Case("a", y0, yt, target, direction, comparator=comparator))
    b = one(Case("a", y0 * scale, yt * scale, target * scale, direction, comparator=comparator))
    if a.growth_ratio == a.growth_ratio and abs(abs(a.growth_ratio) - 0.95) < 1e-9:
        return  # exactly on a threshold, floating point may fall either side
    assert a.status == b.status


@settings(max_examples=80, deadline=None)
@given(y0=values, yt=values, target=values)
def test_status_flips_with_the_direction(y0, yt, target):
    up = one(Case("u", y0, yt, target, "increase"))
    down = one(Case("u", y0, yt, target, "decrease"))
    if target == y0 or up.status == "achieved" or down.status == "achieved":
        return
    assert down.growth_ratio == pytest.approx(-up.growth_ratio, rel=1e-9, abs=1e-12)
    flipped = {"on_track": "deterioration", "acceleration_needed": "deterioration", "limited": "deterioration"}
    if up.growth_ratio > 0:  # progress one way is deterioration the other way
        assert down.status == "deterioration" and up.status in flipped
    elif up.growth_ratio < 0:
        assert up.status == "deterioration" and down.status in ("on_track", "acceleration_needed", "limited")


# ---------------------------------------------------------------- the views on a warehouse


@pytest.fixture
def wh(built, tmp_path):
    path = tmp_path / "w.duckdb"
    shutil.copy(built, path)
    return path


def csv(path, rows):
    path.write_text("KPI ID,団体コード,期間,値,出典,備考\n" + "".join(f"{r}\n" for r in rows), encoding="utf-8")
    return path


def q(wh, sql):
    con = duckdb.connect(str(wh), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_status_views_reproduce_a_past_report(wh, tmp_path):
    # M27-P1: 2,000 companies by FY2020. FY2016 = 800, FY2018 = 1,500 (loaded in May 2019)
    load_files([csv(tmp_path / "a.csv", ["M27-P1,,2016,800,,", "M27-P1,,2018,1500,,"])], wh, now=dt.datetime(2019, 5, 1))
    # a revision of FY2018 in June 2019, then FY2019 in May 2020
    load_files([csv(tmp_path / "b.csv", ["M27-P1,,2018,1200,,"])], wh, now=dt.datetime(2019, 6, 15))
    load_files([csv(tmp_path / "c.csv", ["M27-P1,,2019,1300,,"])], wh, now=dt.datetime(2020, 5, 1))
    sql = ("select latest_period, latest_value, status from kpi_status_as_of(date '{}') "
           "where kpi_id = 'M27-P1' and area_code = '000000'")
    # as of 2019-05-31: 800 → 1500 over 2 years, target 2000 over 4: 1.875^(1/2) − 1 = 0.369306,
    # 2.5^(1/4) − 1 = 0.257433 → R = 1.4346 → 順調
    assert q(wh, sql.format("2019-05-31")) == [("FY2018", 1500.0, "on_track")]
    # as of 2019-06-30 the revised 1,200: 1.5^(1/2) − 1 = 0.224745 → R = 0.873 → 要加速
    assert q(wh, sql.format("2019-06-30")) == [("FY2018", 1200.0, "acceleration_needed")]
    # as of 2020-05-31: 800 → 1300 over 3 years: 1.625^(1/3) − 1 = 0.175917 → R = 0.683 → 要加速
    assert q(wh, sql.format("2020-05-31")) == [("FY2019", 1300.0, "acceleration_needed")]
    assert q(wh, sql.format("2016-01-01")) == [(None, None, "no_data")]


def test_municipality_rows_are_summed_to_the_national_status(wh, tmp_path):
    rows = [f"M36-E1,{code},2017,1,," for code in ("011002", "131016", "271004")]
    rows += [f"M36-E1,{code},2019,1,," for code in ("011002", "131016", "271004", "401307")]
    rows += ["M36-E1,472018,2019,0,,"]
    load_files([csv(tmp_path / "m.csv", rows)], wh, now=dt.datetime(2020, 6, 1))
    national = q(wh, "select base_value, latest_value, status from kpi_status_as_of(date '2020-06-30') "
                     "where kpi_id = 'M36-E1' and area_code = '000000'")
    # 3 → 4 municipalities in 2 years, target 800 by FY2020 (3 years): far behind
    assert national == [(3.0, 4.0, "limited")]
    areas = dict(q(wh, "select area_code, status from kpi_status_as_of(date '2020-06-30') "
                       "where kpi_id = 'M36-E1' and area_code <> '000000'"))
    assert areas["401307"] == "achieved" and areas["472018"] == "not_adopted"
    # the national-only form gives exactly the national rows, every column, every KPI
    every = "select * from kpi_status_as_of(date '2020-06-30'{}) {} order by kpi_id"
    assert q(wh, every.format(", national_only := true", "")) == q(wh, every.format("", "where area_code = '000000'"))


def test_relative_target_resolves_from_the_base_year(wh, tmp_path):
    # M76-P1: 3倍 of FY2012 by 2020 (calendar): base 1,000 → target 3,000
    load_files([csv(tmp_path / "r.csv", ["M76-P1,,2012,1000,,", "M76-P1,,2018,2500,,"])], wh, now=dt.datetime(2019, 6, 1))
    row = q(wh, "select base_fy, base_value, target_value, status from kpi_status_as_of(date '2019-06-30') "
                "where kpi_id = 'M76-P1' and area_code = '000000'")
    assert row[0][:3] == (2012, 1000.0, 3000.0) and row[0][3] in ("on_track", "acceleration_needed")
    missing = q(wh, "select status from kpi_status_as_of(date '2019-06-30') where kpi_id = 'M76-P2' and area_code = '000000'")
    assert missing == [("no_data",)]


def test_measure_status_is_the_worst_of_its_kpis(wh, tmp_path):
    # M36 has progress KPIs P1 (20 plans by FY2019) and P2 (67 municipalities by FY2019)
    load_files([csv(tmp_path / "w.csv", ["M36-P1,,2017,5,,", "M36-P1,,2018,25,,"])], wh, now=dt.datetime(2019, 4, 10))
    row = q(wh, "select progress_status, progress_kpis, progress_kpis_judged from measure_status_as_of(date '2019-04-30') "
                "where measure_no = 36")
    assert row == [("achieved", 2, 1)]  # P1 reached 25 ≥ 20; P2 has no data, so it does not pull the status down
    load_files([csv(tmp_path / "x.csv", ["M36-P2,011002,2017,1,,", "M36-P2,011002,2018,0,,"])], wh, now=dt.datetime(2019, 4, 11))
    row = q(wh, "select progress_status from measure_status_as_of(date '2019-04-30') where measure_no = 36")
    assert row == [("deterioration",)]
    by_ministry = q(wh, "select kind, status, measures from ministry_status_as_of(date '2019-04-30') "
                        "where ministry = '総務省' and role = 'lead' and status = 'deterioration'")
    assert by_ministry == [("progress", "deterioration", 1)]


# ---------------------------------------------------------------- status v2 on the warehouse


def status_of(wh, kpi_id, as_of):
    return q(wh, f"select status, status_rule, status_reason from kpi_status_as_of(date '{as_of}') "
                 f"where kpi_id = '{kpi_id}' and area_code = '000000'")[0]


def test_a_deadline_is_judged_on_the_value_at_the_deadline(wh, tmp_path):
    # M35-E2: 77 % by 2021 (calendar: deadline 2021-12-31). Met in 2022-01 (the first value after the
    # deadline), lower since.
    load_files([csv(tmp_path / "a.csv", ["M35-E2,,2016,30,,", "M35-E2,,2021-01,70,,"])], wh, now=dt.datetime(2021, 2, 15))
    load_files([csv(tmp_path / "b.csv", ["M35-E2,,2022-01,78,,", "M35-E2,,2023-01,74,,"])], wh, now=dt.datetime(2023, 3, 1))
    status, rule, reason = status_of(wh, "M35-E2", "2023-03-31")
    assert (status, rule) == ("achieved_then_fell", "growth")
    assert "令和4(2022)年1月" in reason and "78" in reason and "74" in reason
    # before the deadline nothing changes: the pace decides
    assert status_of(wh, "M35-E2", "2021-06-30")[0] in ("on_track", "acceleration_needed")


def test_a_deadline_without_a_result_waits_for_the_grace_period(wh, tmp_path):
    load_files([csv(tmp_path / "a.csv", ["M35-E2,,2016,30,,", "M35-E2,,2020,70,,"])], wh, now=dt.datetime(2021, 6, 1))
    within = status_of(wh, "M35-E2", "2022-05-31")  # 151 days after 2021-12-31: a late report is still expected
    assert within[0] in ("on_track", "acceleration_needed")
    after = status_of(wh, "M35-E2", "2022-07-31")
    assert after[0] == "awaiting_result" and "令和3(2021)年12月31日" in after[2]


def test_a_milestone_is_done_when_reported_done(wh, tmp_path):
    # M65-P1: 「令和元年度 実証テストを実施」 (deadline 2020-03-31), reported in words and as a date
    assert status_of(wh, "M65-P1", "2019-12-31")[:2] == ("scheduled", "milestone")
    assert status_of(wh, "M65-P1", "2021-03-31")[0] == "awaiting_result"
    report = load_files([csv(tmp_path / "m.csv", ["M65-P1,,2018,未実施,,", "M65-P1,,2019,令和2年2月15日,,"])], wh,
                        now=dt.datetime(2020, 5, 1))[0]
    assert report.rows_loaded == 2, report.errors
    assert status_of(wh, "M65-P1", "2020-06-30")[0] == "achieved"
    notes = q(wh, "select value, note from observations where kpi_id = 'M65-P1' order by period")
    assert notes == [(0.0, None), (1.0, "実施日 令和2年2月15日")]


def test_a_milestone_value_must_say_done_or_not(wh, tmp_path):
    report = load_files([csv(tmp_path / "bad.csv", ["M65-P1,,2019,3,,", "M65-P1,,2018,2019年2月30日,,",
                                                    "M65-P1,,2019-12,2020-02-15,,"])], wh, now=dt.datetime(2020, 5, 1))[0]
    assert report.status == "refused" and report.rows_rejected == 3
    text = str(report.errors)
    assert "実施目標" in text and "存在しない日付" in text and "期間 2019-12 の後です" in text and "bad.csv" in report.file


def test_a_milestone_done_date_typed_in_excel_keeps_its_day(wh, tmp_path):
    from openpyxl import Workbook
    wb = Workbook()
    ws = wb.active
    ws.append(["KPI ID", "団体コード", "期間", "値", "出典", "備考"])
    ws.append(["M65-P1", None, "2019", dt.datetime(2020, 2, 15), None, None])  # Excel stores a typed date as a date
    wb.save(tmp_path / "r.xlsx")
    report = load_files([tmp_path / "r.xlsx"], wh, now=dt.datetime(2020, 5, 1))[0]
    assert report.rows_loaded == 1, report.errors
    assert q(wh, "select value, note from observations where kpi_id = 'M65-P1'") == [(1.0, "実施日 2020-02-15")]


def test_a_maintain_target_that_falls_is_deterioration(wh, tmp_path, monkeypatch):
    # no KPI of the plan has target = base value, so one is made: M27-P1's target set to its base value
    con = duckdb.connect(str(wh))
    con.execute("update core.kpis set target_value = 800 where kpi_id = 'M27-P1'")
    con.close()
    load_files([csv(tmp_path / "k.csv", ["M27-P1,,2016,800,,", "M27-P1,,2017,805,,", "M27-P1,,2018,760,,"])], wh,
               now=dt.datetime(2019, 5, 1))
    status, rule, reason = status_of(wh, "M27-P1", "2019-05-31")
    assert (status, rule) == ("deterioration", "maintain") and "維持する目標" in reason and "1時点" not in reason


def test_every_kpi_has_a_method_and_a_family(wh):
    rows = q(wh, "select status_method, status_family, count(*) from kpi_status where area_code = '000000' group by all")
    assert {r[0] for r in rows} == {"shinchoku"} and all(r[1] in ("target", "trend", "none") for r in rows)


def test_a_percentage_reported_for_a_dated_target_is_not_a_deed(wh, tmp_path):
    # M23-P1 「…の割合」 by 2020: a year without a value, but a quantity: 1 % is not "done"
    load_files([csv(tmp_path / "p.csv", ["M23-P1,,2018,0,,", "M23-P1,,2019,1,,"])], wh, now=dt.datetime(2020, 5, 1))
    status, rule, _ = status_of(wh, "M23-P1", "2020-06-30")
    assert rule == "trend" and status.startswith("trend_")


def test_a_milestone_reported_not_done_at_its_deadline_is_missed_at_once(wh, tmp_path):
    load_files([csv(tmp_path / "m.csv", ["M65-P1,,2019,未実施,,"])], wh, now=dt.datetime(2020, 4, 20))
    status, _, reason = status_of(wh, "M65-P1", "2020-05-15")  # FY2019 ends on the deadline 2020-03-31
    assert status == "missed" and "令和元(2019)年度の報告: 未実施" in reason


def test_a_target_the_base_already_meets_must_be_kept(wh, tmp_path):
    # M27-P1: 2,000 companies by FY2020; the base FY2016 is already 2,100, then it falls
    load_files([csv(tmp_path / "k.csv", ["M27-P1,,2016,2100,,", "M27-P1,,2018,1900,,"])], wh, now=dt.datetime(2019, 5, 1))
    row = q(wh, """select status, status_rule, growth_ratio, projected_reach_date, reaches_by_deadline, linear_status
                   from kpi_status_as_of(date '2019-06-30') where kpi_id = 'M27-P1' and area_code = '000000'""")
    assert row == [("deterioration", "maintain", None, None, None, None)]


def test_a_trend_with_nothing_after_its_base_is_not_direction_unknown(wh, tmp_path):
    # M33-E1: no target, wanted down, base year FY2017; data only up to FY2017
    load_files([csv(tmp_path / "t.csv", ["M33-E1,,2015,10,,", "M33-E1,,2016,9,,", "M33-E1,,2017,8,,"])], wh,
               now=dt.datetime(2018, 6, 1))
    status, rule, reason = status_of(wh, "M33-E1", "2018-06-30")
    assert (status, rule) == ("single_point", "trend") and "より後の実績がなく、傾向を判断できません" in reason


def test_the_deadline_value_and_the_latest_value_break_ties_alike(wh, tmp_path):
    # FY2020 and 2021-03 both end on 2021-03-31 (M27-P1's deadline): the fiscal-year figure is used for both
    load_files([csv(tmp_path / "d.csv", ["M27-P1,,2016,800,,", "M27-P1,,2020,2050,,", "M27-P1,,2021-03,1990,,"])], wh,
               now=dt.datetime(2021, 5, 1))
    row = q(wh, """select status, deadline_period, latest_period from kpi_status_as_of(date '2021-05-31')
                   where kpi_id = 'M27-P1' and area_code = '000000'""")
    assert row == [("achieved", "FY2020", "FY2020")]
