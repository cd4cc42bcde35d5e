"""The progress-status method: hand-computed cases for every branch, invariances, and the views."""
import datetime as dt
import shutil

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from etl.observations.load import load_files
from etl.status import CASES, DOC, Case, evaluate, markdown_table, method_connection

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
#   after the deadline (8 of 8 years): 1.9^(1/8) − 1 = 0.083538 → R = 0.92299, unmet → 遅れ
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
    "期限超過・未達成(伸びは続く)": ("limited", 0.92299),
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
        ("目標年なし・未達成", "no_target"),
    ],
)
def test_every_other_branch(label, status):
    assert evaluate([c for c in CASES if c.label == label], CON).iloc[0].status == status


@pytest.mark.parametrize(
    "yt, trend",
    [(108.243216, "substantial"),  # 1.02^4 × 100: g = 2.0 % ≥ 1.5 %
     (104.060401, "moderate"),     # 1.01^4 × 100: g = 1.0 %
     (100.802401, "limited"),      # 1.002^4 × 100: g = 0.2 %
     (96.0, "deterioration")],     # 0.96^(1/4) − 1 = −1.0154 %
)
def test_trend_without_target_is_never_on_track(yt, trend):
    row = one(Case("t", 100, yt, None, target_kind="none"))
    assert (row.status, row.trend) == ("no_target", trend)


def test_linear_reading_and_disagreement():
    row = one(Case("d", 100, 145, 200))
    # CAGR: 1.45^(1/4) − 1 = 0.097342 → R = 1.0755 (順調); linear: 45/100 = 0.45 < elapsed 0.5 (遅れ)
    assert (row.status, row.linear_status) == ("on_track", "limited")
    assert row.achievement == pytest.approx(0.45) and row.elapsed == pytest.approx(0.5)


def test_the_methodology_table_is_generated_from_this_code():
    text = DOC.read_text(encoding="utf-8")
    table = text.split("<!-- worked-cases:begin -->\n")[1].split("\n<!-- worked-cases:end -->")[0]
    assert table == markdown_table(evaluate(CASES, CON))
    assert len(CASES) >= 20


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
