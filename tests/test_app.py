"""The 施策一覧 page under AppTest: all 82 measures, and its filters."""
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

APP = str(Path(__file__).resolve().parents[1] / "app.py")


@pytest.fixture
def measures_page(built, monkeypatch):
    monkeypatch.setenv("SHINCHOKU_WAREHOUSE", str(built))
    at = AppTest.from_file(APP, default_timeout=60)
    at.switch_page("pages/measures.py")
    return at


def test_measures_page_lists_all_82(measures_page):
    at = measures_page.run()
    assert not at.exception
    assert at.title[0].value == "施策一覧"
    table = at.dataframe[0].value
    assert len(table) == 82
    assert table.loc[table["measure_no"] == 15, "plan_start_fy"].item() == "平成29年度 (2017)"


def test_filters_change_the_table(measures_page):
    at = measures_page.run()
    at.selectbox(key="f_pillar").select("官民データの容易な利用等").run()
    assert len(at.dataframe[0].value) == 16
    at.selectbox(key="f_ministry").select("国土交通省").run()
    assert set(at.dataframe[0].value["measure_no"]) == {16, 17, 18, 20, 21, 24, 58}
    at.toggle(key="f_lead_only").set_value(True).run()
    assert set(at.dataframe[0].value["measure_no"]) == {16, 20, 21, 24, 58}
    at.text_input(key="f_q").input("歩行者").run()
    assert at.dataframe[0].value["measure_no"].tolist() == [20]


def test_the_demo_label_shows_only_with_synthetic_data(measures_page, built, tmp_path, monkeypatch):
    from etl.demo import create_demo

    at = measures_page.run()
    assert not any("デモ（合成データ）" in w.value for w in at.warning)
    demo = create_demo(built, tmp_path / "demo.duckdb", seed=3)["warehouse"]
    monkeypatch.setenv("SHINCHOKU_WAREHOUSE", str(demo))
    at = AppTest.from_file(APP, default_timeout=60)
    at.switch_page("pages/measures.py")
    at.run()
    assert not at.exception
    assert any("デモ（合成データ）" in w.value for w in at.warning)
