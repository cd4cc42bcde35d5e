"""The 市区町村別 page: colour classes fitted to the data, the national average and the target on the
prefecture map, adopters on top of the dot map, and the page with and without area data."""
import json
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from etl.demo import create_demo
from ui import maps
from warehouse import area_queries

APP = str(Path(__file__).resolve().parents[1] / "app.py")
AS_OF = pd.Timestamp("2021-03-31").date()


@pytest.fixture(scope="module")
def demo(built, tmp_path_factory):
    return create_demo(built, tmp_path_factory.mktemp("maps") / "demo.duckdb", seed=20210331)["warehouse"]


def adoption(rows) -> pd.DataFrame:
    """A prefecture_adoption frame from (code, areas, reporting, adopted)."""
    df = pd.DataFrame(rows, columns=["prefecture_code", "areas", "reporting", "adopted"])
    return df.assign(kpi_id="K", prefecture=df["prefecture_code"] + "県",
                     rate=df["adopted"] / df["reporting"].where(df["reporting"] > 0))


# ---------------------------------------------------------------- colour classes


def test_the_classes_fit_a_kpi_adopted_by_few_areas():
    rates = [0.0, 0.01, 0.03, 0.055, 0.08, 0.11]
    edges = maps.rate_classes(rates)
    assert edges[0] == 0 and 0.11 <= edges[-1] < 0.2  # not 0–100 %
    assert 3 <= len(edges) - 1 <= 8
    classes = [maps.class_of(r, edges) for r in rates]
    assert classes == sorted(classes) and classes[0] == 0 and classes[-1] == len(edges) - 2  # low and high differ
    assert len(set(maps.class_colors(len(edges) - 1))) == len(edges) - 1


@pytest.mark.parametrize("rates", [[0.069, 0.3, 0.571], [0.4, 0.45, 0.52], [0.0, 1.0], [0.0012, 0.004]])
def test_the_classes_start_at_the_lowest_rate_and_end_at_the_highest(rates):
    edges = maps.rate_classes(rates)
    step = edges[1] - edges[0]
    assert edges[0] <= min(rates) < edges[0] + step and edges[-1] - step < max(rates) <= edges[-1] <= 1
    assert all(float(maps.pct(e).rstrip("%")) == pytest.approx(e * 100) for e in edges)  # the key's labels are exact


def test_one_rate_for_all_and_no_rate_at_all():
    assert maps.rate_classes([0.5, 0.5, None]) == [0.5, 0.5]
    assert maps.class_of(0.5, [0.5, 0.5]) == 0
    assert maps.rate_classes([None, float("nan")]) == []
    assert maps.class_of(float("nan"), [0, 0.1]) is None


def test_percent_labels():
    assert [maps.pct(x) for x in (0.074, 0.5, 0.025, 0, None, float("nan"))] == ["7.4%", "50%", "2.5%", "0%", "—", "—"]


# ---------------------------------------------------------------- national average and target


def test_the_national_average_pools_the_areas_that_reported():
    df = adoption([("01", 100, 100, 10), ("02", 10, 10, 10), ("03", 50, 0, 0)])
    assert maps.national_average(df) == pytest.approx(20 / 110)  # not the mean of 10 % and 100 %
    assert maps.national_average(adoption([("01", 100, 0, 0)])) is None


@pytest.mark.parametrize("value, unit, share", [
    (800, "団体", 800 / 1741), (10, None, 10 / 1741), (float("nan"), "団体", None), (None, None, None),
    (2000, "団体", 1.0), (80, "%", 0.8), (5, "万人", None),
])
def test_the_target_as_a_share_of_the_areas(value, unit, share):
    got = maps.target_share(value, unit, 1741)
    assert got == (pytest.approx(share) if share is not None else None)


def figure(fig) -> dict:
    return json.loads(fig.to_json())


def markers(spec: dict) -> dict:
    """The key's markers by colour: {colour: symbol}."""
    return {t["marker"]["color"]: t["marker"]["symbol"] for t in spec["data"] if t.get("mode") == "markers"}


def test_the_prefecture_map_marks_the_average_and_the_target():
    df = adoption([(f"{i:02d}", 40, 40 if i != 47 else 0, i % 5) for i in range(1, 48)])
    spec = figure(maps.prefecture_map(df, target=0.06))
    assert markers(spec) == {maps.AVERAGE: "triangle-down", maps.TARGET: "triangle-up"}
    key = next(a["text"] for a in spec["layout"]["annotations"] if "全国平均" in a["text"])
    assert f"全国平均 {maps.pct(maps.national_average(df))}" in key and "目標 6%" in key and "報告なし 1都道府県" in key
    assert spec["layout"]["xaxis2"]["ticktext"][-1] == "10%"  # the key ends at the highest rate, 4/40
    fills = {t["fillcolor"] for t in spec["data"] if t.get("fill")}
    assert maps.NO_DATA in fills and len(fills) >= 4
    text = json.dumps(spec, ensure_ascii=False)
    assert "nan" not in text.lower() and "None" not in text


def test_a_target_above_every_class_points_off_the_key_and_none_draws_no_marker():
    df = adoption([(f"{i:02d}", 40, 40, i % 5) for i in range(1, 48)])
    spec = figure(maps.prefecture_map(df, target=0.9))
    assert markers(spec)[maps.TARGET] == "triangle-right"
    assert any("目標 90%(色の範囲外)" in a["text"] for a in spec["layout"]["annotations"])
    assert maps.TARGET not in markers(figure(maps.prefecture_map(df)))


# ---------------------------------------------------------------- dot map


def points() -> pd.DataFrame:
    states = ["実施済"] * 3 + ["未実施"] * 5 + ["データなし"] * 8
    return pd.DataFrame({"area_code": [f"{i:06d}" for i in range(16)], "name": [f"町{i}" for i in range(16)],
                         "prefecture_code": ["13"] * 8 + ["14"] * 8, "prefecture": ["東京都"] * 8 + ["神奈川県"] * 8,
                         "lat": [35.6 + i * 0.01 for i in range(16)], "lon": [139.5 + i * 0.01 for i in range(16)],
                         "state": states})


def test_adopters_are_drawn_last_biggest_and_counted_in_the_legend():
    spec = figure(maps.municipality_dots(points()))
    traces = spec["data"]
    assert [t["name"] for t in traces] == ["データなし 8団体", "未実施 5団体", "実施済 3団体"]
    sizes = [t["marker"]["size"] for t in traces]
    opacity = [t["marker"]["opacity"] for t in traces]
    assert sizes[-1] == max(sizes) and opacity[0] == min(opacity)
    assert spec["layout"]["legend"]["orientation"] == "h"  # below the map, also on a phone


def test_a_chosen_prefecture_is_zoomed_in_and_counted():
    spec = figure(maps.municipality_dots(points(), "14"))
    shown = [t for t in spec["data"] if t.get("showlegend", True)]
    assert [t["name"] for t in shown] == ["データなし 8団体", "未実施 0団体", "実施済 0団体"]
    assert spec["layout"]["title"]["text"] == "神奈川県の市区町村" and spec["layout"]["xaxis"]["range"]


# ---------------------------------------------------------------- queries


def test_rates_and_the_average_agree_with_the_dots(demo):
    with duckdb.connect(str(demo), read_only=True) as con:
        kpis = area_queries.municipal_kpis(con)
        kpi = kpis.loc[kpis["area_level"] == "municipality", "kpi_id"].iloc[0]
        df = area_queries.prefecture_adoption(con, kpi, AS_OF)
        dots = area_queries.municipality_points(con, kpi, AS_OF)["state"].value_counts()
    assert len(df) == 47 and (df["rate"] == df["adopted"] / df["reporting"]).all()
    assert maps.national_average(df) == pytest.approx(dots.get("実施済", 0) / (dots.get("実施済", 0) + dots.get("未実施", 0)))


def test_area_kpis_on_the_bundled_data(con):
    kpis = area_queries.area_kpis(con)
    assert set(kpis["area_level"]) == {"municipality", "prefecture"} and not kpis["has_data"].any()
    assert (kpis.loc[kpis["area_level"] == "municipality", "areas"] == 1741).all()
    assert area_queries.municipal_kpis(con).empty


# ---------------------------------------------------------------- the page


def open_page(warehouse, monkeypatch, **params) -> AppTest:
    monkeypatch.setenv("SHINCHOKU_WAREHOUSE", str(warehouse))
    at = AppTest.from_file(APP, default_timeout=120)
    for k, v in params.items():
        at.query_params[k] = v
    at.switch_page("pages/municipalities.py")
    return at.run()


def test_without_area_data_the_page_lists_the_kpis_and_how_to_load_them(built, monkeypatch):
    at = open_page(built, monkeypatch, as_of="2021-03-31")
    assert not at.exception, at.exception
    assert "まだ登録されていません" in at.info[0].value and "都道府県からの回答" in at.info[0].value
    assert at.get("download_button")[0].proto.label == "実績入力テンプレート(Excel)"
    assert at.get("page_link")[0].proto.page.endswith("upload")
    tables = [t.value for t in at.table]
    assert [list(t.columns) for t in tables] == [["ID", "指標", "目標", "期限"]] * 2
    listed = pd.concat(tables)
    assert "M36-E1" in set(listed["ID"]) and "800団体" in set(listed["目標"]) and "令和3(2021)年3月31日" in set(listed["期限"])
    assert not listed.astype(str).apply(lambda c: c.str.contains("nan|None|NaT")).any().any()


def test_the_page_with_a_target_and_a_prefecture(demo, monkeypatch):
    at = open_page(demo, monkeypatch, as_of="2021-03-31", kpi="M46-E1", pref="13")
    assert not at.exception, at.exception
    pref_map, dots = (json.loads(c.proto.spec) for c in at.get("plotly_chart"))
    assert markers(pref_map)[maps.TARGET] == "triangle-right"  # 約1,600団体 is 92 %, above every prefecture
    assert dots["layout"]["title"]["text"] == "東京都の市区町村"
    assert [m.label for m in at.metric] == ["全国平均の実施率", "目標"] and at.metric[1].value == "約1,600団体"
    assert at.metric[1].proto.delta == "全市区町村の91.9%・期限 令和6(2024)年3月31日"
    table = at.dataframe[0].value
    assert len(table) == 47 and table["実施率"].is_monotonic_decreasing
