"""The synthetic demo dataset: deterministic, labelled, consistent, and never mixed silently with real values."""
import datetime as dt
import shutil

import duckdb
import pandas as pd
import pytest

from etl.demo import create_demo, generate
from etl.observations.load import load_files


@pytest.fixture(scope="module")
def demo(built, tmp_path_factory):
    d = tmp_path_factory.mktemp("demo")
    real = d / "real.duckdb"
    shutil.copy(built, real)
    out = create_demo(real, d / "demo.duckdb", seed=7)
    return real, out


def q(path, sql):
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_same_seed_same_data(built):
    con = duckdb.connect(str(built), read_only=True)
    a, pa_ = generate(con, 7)
    b, pb = generate(con, 7)
    c, _ = generate(con, 8)
    con.close()
    pd.testing.assert_frame_equal(a, b)
    assert pa_ == pb
    assert not a["value"].equals(c["value"]) or len(a) != len(c)


def test_every_profile_appears_and_no_data_kpis_have_no_rows(demo):
    _, out = demo
    assert set(out["profiles"]) == {"on_track", "behind", "regressing", "no_data"}
    wh = out["warehouse"]
    # every KPI with a target, every dated milestone (a deed), every national KPI without a target whose
    # wanted direction is known (a trend)
    covered = {r[0] for r in q(wh, """select kpi_id from kpis where kind in ('progress', 'effect') and (has_target
                                      or target_kind = 'milestone' or (area_level = 'national' and direction <> 'unknown'))""")}
    with_rows = {r[0] for r in q(wh, "select distinct kpi_id from observations where is_synthetic")}
    assert with_rows < covered
    assert len(covered - with_rows) == out["profiles"]["no_data"]
    rules = dict(q(wh, """select status_rule, count(*) filter (where status <> 'no_data') from kpi_status
                          where area_code = '000000' group by all"""))
    assert rules["growth"] > 0 and rules["milestone"] > 0 and rules["trend"] > 0


def test_every_synthetic_row_and_batch_is_marked(demo):
    _, out = demo
    wh = out["warehouse"]
    assert q(wh, "select count(*) from obs_batches where not is_synthetic or mode <> 'synthetic'") == [(0,)]
    assert q(wh, "select count(*) from observations_history where origin = 'load' and not is_synthetic") == [(0,)]
    assert q(wh, "select distinct source from observations where is_synthetic") == [("デモ（合成データ）",)]


def test_the_real_warehouse_is_untouched(demo):
    real, _ = demo
    assert q(real, "select count(*) from obs_batches") == [(0,)]


def test_municipality_rows_add_up_to_the_national_figure(demo):
    _, out = demo
    rows = q(out["warehouse"], """
        with m as (select o.kpi_id, o.period, sum(o.value) s from observations o
                   join kpis k using (kpi_id) where k.area_level = 'municipality' and o.area_level = 'municipality'
                   group by all),
             n as (select kpi_id, period, value from observations where area_code = '000000')
        select count(*), count(*) filter (where m.s <> n.value) from m join n using (kpi_id, period)""")
    assert rows[0][0] > 0 and rows[0][1] == 0


def test_values_are_known_month_by_month(demo):
    _, out = demo
    wh = out["warehouse"]
    late = q(wh, "select count(*) from observations_as_of(date '2019-03-31') where period_end > date '2019-03-31'")
    assert late == [(0,)]
    assert q(wh, "select count(*) from observations_as_of(date '2019-04-30') where period = '2019-03'")[0][0] > 0


def test_a_real_value_wins_over_a_synthetic_one(demo, tmp_path):
    _, out = demo
    wh = tmp_path / "d.duckdb"
    shutil.copy(out["warehouse"], wh)
    kpi, period = q(wh, "select kpi_id, period from observations where is_synthetic and area_code = '000000' "
                        "and month is null order by kpi_id, period limit 1")[0]
    path = tmp_path / "real.csv"
    path.write_text(f"KPI ID,団体コード,期間,値,出典,備考\n{kpi},全国,{period.replace('FY', '')},50,調査,\n", encoding="utf-8")
    (r,) = load_files([path], wh, now=dt.datetime(2019, 1, 1))  # known before the synthetic value
    assert r.status == "loaded", r.errors
    assert q(wh, f"select value, is_synthetic from observations where kpi_id = '{kpi}' and period = '{period}' "
                 "and area_code = '000000'") == [(50.0, False)]
