"""Every page under AppTest: renders on the demo data, on the bundled data alone and without a warehouse;
filters change the content and live in the URL; loaders only may upload."""
import datetime as dt
import json
import re
import shutil
from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from etl.demo import create_demo
from ui import labels
from warehouse import attention
from ui.auth import hash_password, verify_password

APP = str(Path(__file__).resolve().parents[1] / "app.py")
PAGES = {
    "export": "資料出力",
    "overview": "概要", "ministries": "府省庁別", "pillars": "柱別", "municipalities": "市区町村別", "measure": "施策詳細",
    "measures": "施策一覧", "schedule": "工程表", "quality": "データ品質", "upload": "データ登録", "datacall": "照会",
    "sql": "SQL",
}


@pytest.fixture(scope="module")
def demo(built, tmp_path_factory):
    return create_demo(built, tmp_path_factory.mktemp("pages") / "demo.duckdb", seed=20210331)["warehouse"]


def open_page(page: str, warehouse, monkeypatch, params: dict | None = None) -> AppTest:
    monkeypatch.setenv("SHINCHOKU_WAREHOUSE", str(warehouse))
    at = AppTest.from_file(APP, default_timeout=120)
    for k, v in (params or {}).items():
        at.query_params[k] = v
    at.switch_page(f"pages/{page}.py")
    return at.run()


def charts(at) -> int:
    return len(at.get("plotly_chart")) + len(at.get("vega_lite_chart"))


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_on_demo_data(page, demo, monkeypatch):
    at = open_page(page, demo, monkeypatch)
    assert not at.exception, at.exception
    assert at.title[0].value == PAGES[page]
    assert any("デモ（合成データ）" in w.value for w in at.warning)
    with duckdb.connect(str(demo), read_only=True) as con:  # how fresh the values are, on every page
        last = con.execute("select max(loaded_at) from obs_batches").fetchone()[0]
    assert f"最終読込: {labels.timestamp(last)}" in [c.value for c in at.sidebar.caption]
    if page not in ("upload", "datacall", "sql", "export", "measure"):  # these show content after a choice
        assert charts(at) + len(at.dataframe) > 0
    if page != "sql":  # the SQL page shows the analyst's own column names
        for df in at.dataframe:
            labelled = {k for k, v in json.loads(df.proto.columns or "{}").items() if v.get("label")}  # column_config
            raw = [c for c in map(str, [*df.value.columns, *df.value.index.names])
                   if re.fullmatch(r"[a-z_]+", c) and c not in labelled]
            assert not raw, f"column headings shown as identifiers on {page}: {raw}"


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_on_the_bundled_data_alone(page, built, monkeypatch):
    at = open_page(page, built, monkeypatch)
    assert not at.exception, at.exception
    assert not any("デモ（合成データ）" in w.value for w in at.warning)
    assert "最終読込: まだありません" in [c.value for c in at.sidebar.caption]


@pytest.mark.parametrize("page", PAGES)
def test_every_page_without_a_warehouse_says_what_to_do(page, tmp_path, monkeypatch):
    at = open_page(page, tmp_path / "missing.duckdb", monkeypatch)
    assert not at.exception, at.exception
    if page not in ("upload", "datacall"):  # the login comes first there
        assert any("shinchoku build" in e.value for e in at.error)


def test_a_warehouse_of_an_older_version_asks_for_a_rebuild(built, tmp_path, monkeypatch):
    old = tmp_path / "old.duckdb"
    shutil.copy(built, old)
    with duckdb.connect(str(old)) as con:
        con.execute("update core.build_info set value = '2' where key = 'schema_version'")
    at = open_page("overview", old, monkeypatch)
    assert not at.exception, at.exception
    assert [e.value for e in at.error] == ["データウェアハウスが古い形式のままです。管理者は `shinchoku build` で作り直してください"
                                           "(読み込んだ実績の履歴は引き継がれます)。"]


def measure_numbers(table) -> set[int]:
    """The measure numbers of a table whose 施策 column reads 'No 16 タイトル'."""
    return {int(s.split()[1]) for s in table["施策"]}


def test_overview_counts_and_matrix(demo, monkeypatch):
    at = open_page("overview", demo, monkeypatch, {"as_of": "2021-03-31"})
    charts = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    # KPIs with a target and the trend readings of those without one are never counted together
    bars = {c["layout"]["title"]["text"]: {x for t in c["data"] for x in t["x"]} for c in charts[:2]}
    target_bars, trend_bars = bars.values()
    nothing_to_judge = {"－ データなし", "… データ不足", "∅ 基準値なし"}  # family none: either chart may show them
    assert {"○ 順調", "◇ 予定どおり"} <= target_bars and "↑ 改善傾向" in trend_bars and not target_bars & trend_bars - nothing_to_judge
    # the 進捗 × 効果 count matrix: 16 cells, every measure counted once
    cells = charts[2]["data"][0]
    assert len(cells["text"]) == 16 and sum(int(n or 0) for n in cells["text"]) == 82
    table = next(d.value for d in at.dataframe if {"進捗", "効果"} <= set(d.value.columns))
    assert len(table) == 82
    # drill-down: one cell lists exactly its measures, worst first
    box = at.selectbox(key="cell")
    cell = box.options[1]
    count = int(cell.rsplit("(", 1)[1].removesuffix("施策)"))
    box.select_index(1).run()
    narrowed = next(d.value for d in at.dataframe if {"進捗", "効果"} <= set(d.value.columns))
    assert len(narrowed) == count and 0 < count < 82
    progress, effect = cell.removeprefix("進捗 ").split("(")[0].split(" × 効果 ")
    groups = {v: k for k, v in attention.GROUPS.items()}
    icons = {"good": "◎○◇", "attention": "×□◆▽？◉"}  # the icons each reading allows
    for column, group in (("進捗", groups[progress]), ("効果", groups[effect])):
        if group in icons:
            assert all(s[0] in icons[group] for s in narrowed[column]), narrowed[column]


def test_the_overview_opens_with_what_needs_attention(demo, monkeypatch):
    at = open_page("overview", demo, monkeypatch, {"as_of": "2021-03-31"})
    assert at.subheader[0].value == "要対応"
    table = at.dataframe[0].value
    assert list(table.columns[:4]) == ["状況", "施策", "理由", "主担当"]  # the why next to the what
    order = ["× 悪化", "□ 未達", "◆ 遅れ", "▽ 要加速", "？ 期限後の実績未報告", "◉ 期限内達成・その後低下"]
    shown = list(table["状況"])
    assert shown and set(shown) <= set(order) and shown == sorted(shown, key=order.index)  # worst first
    assert not table.isna().any().any() and not table.astype(str).apply(lambda c: c.str.contains("nan|None|FY20")).any().any()
    # one ministry: only its measures remain, national counts below stay national
    at.selectbox(key="f_ministry").select("総務省").run()
    mine = at.dataframe[0].value
    assert 0 < len(mine) < len(table)
    with duckdb.connect(str(demo), read_only=True) as con:
        involved = {r[0] for r in con.execute("select measure_no from measures where list_contains(ministries, '総務省')").fetchall()}
    assert measure_numbers(mine) <= involved


def test_the_first_screen_without_data_says_what_there_is_and_how_to_start(built, monkeypatch):
    at = open_page("overview", built, monkeypatch)
    info = at.info[0].value
    assert "まだ実績値が登録されていません" in info and "計画のKPIは **196件**" in info
    assert at.get("download_button")[0].proto.label == "実績入力テンプレート(Excel)"
    assert at.query_params["as_of"] == [str(dt.date.today().replace(day=1) - dt.timedelta(days=1))] or \
        at.query_params["as_of"] == str(dt.date.today().replace(day=1) - dt.timedelta(days=1))


def test_filters_change_content_and_live_in_the_url(demo, monkeypatch):
    at = open_page("ministries", demo, monkeypatch, {"as_of": "2021-03-31"})
    assert len(at.dataframe) == 2  # only the comparison and reporting tables until a ministry is chosen
    at.selectbox(key="f_ministry").select("国土交通省").run()
    assert at.query_params["ministry"] in ("国土交通省", ["国土交通省"])
    kpis = at.dataframe[0].value
    assert measure_numbers(kpis) >= {16, 20, 21, 24, 58}
    at.toggle(key="f_lead_only").set_value(True).run()
    assert at.query_params["lead_only"] in ("1", ["1"])
    assert 17 not in measure_numbers(at.dataframe[0].value)  # 17 is led by 経済産業省


def test_active_filters_show_as_chips_that_clear_them(demo, monkeypatch):
    at = open_page("measures", demo, monkeypatch, {"as_of": "2021-03-31", "ministry": "総務省", "q": "推進",
                                                   "pref": "13"})  # pref: remembered, but not a filter of this page
    chips = {b.label: b for b in at.button if b.key and b.key.startswith("chip_")}
    assert set(chips) == {"府省庁: 総務省 ✕", "施策名で検索: 「推進」 ✕", "すべて解除"}
    narrowed = len(at.dataframe[0].value)
    chips["府省庁: 総務省 ✕"].click().run()
    assert "ministry" not in at.query_params and at.query_params["q"] in ("推進", ["推進"])
    assert at.selectbox(key="f_ministry").value is None and len(at.dataframe[0].value) > narrowed
    chips = {b.label: b for b in at.button if b.key and b.key.startswith("chip_")}
    assert set(chips) == {"施策名で検索: 「推進」 ✕"}  # one filter left: no 「すべて解除」
    at.toggle(key="f_lead_only").set_value(True).run()
    next(b for b in at.button if b.key == "chip_all").click().run()
    assert not {"q", "lead_only", "ministry"} & set(at.query_params) and at.query_params["as_of"] in (
        "2021-03-31", ["2021-03-31"])  # the report date stays
    assert not [b for b in at.button if b.key and b.key.startswith("chip_")]
    link = at.get("code")[-1].proto.code_text
    assert "as_of=2021-03-31" in link and "ministry" not in link


ROUND_TRIP = {  # every filter of every page, as a link would carry it
    "overview": {"ministry": "総務省", "lead_only": "1"},
    "ministries": {"ministry": "国土交通省", "lead_only": "1"},
    "pillars": {"pillar": "官民データの容易な利用等"},
    "measures": {"pillar": "官民データの容易な利用等", "ministry": "総務省", "lead_only": "1", "q": "推進"},
    "municipalities": {"kpi": "M64-E1", "pref": "13", "area": "131016"},
    "measure": {"measure": "64"},
    "schedule": {"ministry": "総務省"},
    "export": {"ministry": "総務省"},
}


@pytest.mark.parametrize("page", ROUND_TRIP)
def test_every_filter_and_the_report_date_survive_a_link(page, demo, monkeypatch):
    params = {"as_of": "2020-09-30", **ROUND_TRIP[page]}
    at = open_page(page, demo, monkeypatch, params)
    assert not at.exception, at.exception
    for key, value in params.items():
        assert at.query_params[key] in (value, [value]), (key, at.query_params[key])
    widgets = {w.key: w.value for w in [*at.selectbox, *at.toggle, *at.text_input, *at.date_input]}
    assert widgets["f_as_of"] == dt.date(2020, 9, 30)
    for key, value in ROUND_TRIP[page].items():
        shown = widgets[f"f_{key}"]
        assert (shown is True if key == "lead_only" else str(shown) == value), (key, shown)


def test_a_link_reproduces_the_view(demo, monkeypatch):
    at = open_page("measure", demo, monkeypatch, {"measure": "64", "as_of": "2021-03-31"})
    assert "No 64" in at.header[0].value
    assert charts(at) >= 2  # both Lアラート KPIs as time series


def test_report_date_changes_the_status(demo, monkeypatch):
    early = open_page("overview", demo, monkeypatch, {"as_of": "2017-06-30"}).dataframe[0].value
    late = open_page("overview", demo, monkeypatch, {"as_of": "2021-03-31"}).dataframe[0].value
    assert not early.equals(late)


def test_municipality_page_map_and_profile(demo, monkeypatch):
    at = open_page("municipalities", demo, monkeypatch, {"as_of": "2021-03-31", "pref": "01", "area": "011002"})
    assert charts(at) == 2
    prefs = at.dataframe[0].value
    assert len(prefs) == 47
    assert "札幌市" in at.markdown[-1].value or any("札幌市" in m.value for m in at.markdown)


def test_schedule_filter(demo, monkeypatch):
    all_items = open_page("schedule", demo, monkeypatch).dataframe[0].value
    at = open_page("schedule", demo, monkeypatch, {"ministry": "文部科学省"})
    some = at.dataframe[0].value
    assert 0 < len(some) < len(all_items)
    assert all("文部科学省" in m for m in some["府省庁"])


def test_sql_page_is_for_signed_in_users_by_default(built, monkeypatch):
    monkeypatch.delenv("SHINCHOKU_SQL_PUBLIC", raising=False)
    at = open_page("sql", built, monkeypatch)
    assert not at.exception
    assert not at.text_area and any("ログイン" in i.value for i in at.info)


def test_sql_page_for_analysts(built, monkeypatch):
    monkeypatch.setenv("SHINCHOKU_WAREHOUSE", str(built))
    monkeypatch.delenv("SHINCHOKU_SQL_PUBLIC", raising=False)
    at = AppTest.from_file(APP, default_timeout=120)
    at.secrets["users"] = {"suzuki": {"password_hash": hash_password("pw-analyst"), "role": "analyst"}}
    at.switch_page("pages/sql.py")
    at.run()
    at.text_input(key="login_name").input("suzuki")
    at.text_input(key="login_password").input("pw-analyst")
    at.button[0].click().run()
    at.run()
    assert not at.exception and at.session_state["signed_in"] == "suzuki"
    assert [t.key for t in at.text_area] == ["sql"]


def test_sql_page_refuses_files(built, monkeypatch):
    monkeypatch.setenv("SHINCHOKU_SQL_PUBLIC", "1")  # the operator opened it to every visitor
    at = open_page("sql", built, monkeypatch)
    at.text_area(key="sql").input("select * from read_csv('/etc/passwd')").run()
    at.button(key="run").click().run()
    assert any("実行できませんでした" in e.value for e in at.error)
    at.text_area(key="sql").input("select count(*) as n from measures").run()
    at.button(key="run").click().run()
    assert at.dataframe[0].value["n"].tolist() == [82]


def test_passwords_are_hashed_and_checked():
    stored = hash_password("正しいパスワード")
    assert stored.startswith("$argon2id$") and "正しい" not in stored
    assert verify_password("正しいパスワード", stored)
    assert not verify_password("違う", stored)
    assert not verify_password("x", "plain-text")


def test_upload_needs_a_loader(built, tmp_path, monkeypatch):
    wh = tmp_path / "w.duckdb"
    shutil.copy(built, wh)
    monkeypatch.setenv("SHINCHOKU_WAREHOUSE", str(wh))
    at = AppTest.from_file(APP, default_timeout=120)
    at.secrets["users"] = {"yamada": {"password_hash": hash_password("pw-loader"), "role": "loader"},
                           "sato": {"password_hash": hash_password("pw-viewer"), "role": "viewer"}}
    at.switch_page("pages/upload.py")
    at.run()
    assert not at.get("file_uploader") and not at.exception
    at.text_input(key="login_name").input("sato")
    at.text_input(key="login_password").input("pw-viewer")
    at.button[0].click().run()
    assert any("権限" in e.value for e in at.error)
    at.text_input(key="login_name").input("yamada")
    at.text_input(key="login_password").input("pw-loader")
    at.button[0].click().run()
    assert not at.exception
    assert at.session_state["signed_in"] == "yamada"


def test_cli_prints_a_password_hash():
    from click.testing import CliRunner

    from etl.cli import main

    res = CliRunner().invoke(main, ["user", "hash"], input="pw-123\npw-123\n")
    assert res.exit_code == 0, res.output
    stored = res.output.strip().splitlines()[-1]
    assert verify_password("pw-123", stored)


def test_the_default_report_date_is_a_month_end_that_counts_every_load(built, demo):
    from warehouse import queries
    with duckdb.connect(str(built), read_only=True) as con:  # nothing loaded: the last month-end before today
        assert queries.default_as_of(con, dt.date(2026, 12, 1)) == dt.date(2026, 11, 30)
        assert queries.default_as_of(con, dt.date(2024, 3, 31)) == dt.date(2024, 2, 29)
    with duckdb.connect(str(demo), read_only=True) as con:
        last = con.execute("select max(loaded_at)::date from core.obs_batches").fetchall()[0][0]
        month_end = queries.default_as_of(con, dt.date(2030, 1, 1))
        assert month_end >= last and month_end.month == last.month and (month_end + dt.timedelta(days=1)).day == 1
        assert queries.default_as_of(con, last) == last  # that month still running: today


def test_kpi_tables_sort_numbers_as_numbers_worst_first_and_filter_by_status(demo, monkeypatch):
    at = open_page("ministries", demo, monkeypatch, {"as_of": "2021-03-31", "ministry": "総務省"})
    table = at.dataframe[0].value
    assert table["最新値"].dtype.kind == "f" and table["目標"].dtype.kind == "f"  # 11.4 sorts above 7.4
    with duckdb.connect(str(demo), read_only=True) as con:
        rank = dict(con.execute("select icon || ' ' || label, rank from statuses").fetchall())
    ranks = [rank[s] for s in table["状況"]]
    assert ranks == sorted(ranks)  # worst first
    assert not table["時点"].str.contains("FY|None|nan").any()
    at.multiselect(key="status_kpis_総務省_2021-03-31").select("missed").run()
    only = at.dataframe[0].value
    assert 0 < len(only) < len(table) and set(only["状況"]) == {"□ 未達"}


def test_stacked_status_bars_keep_one_order_a_complete_legend_and_leave_no_data_out(demo, monkeypatch):
    at = open_page("ministries", demo, monkeypatch, {"as_of": "2021-03-31"})
    judged, trend = (json.loads(c.proto.spec) for c in at.get("plotly_chart")[:2])
    names = [t["name"] for t in judged["data"]]
    assert names == ["× 悪化", "□ 未達", "◆ 遅れ", "▽ 要加速", "◇ 予定どおり", "○ 順調", "◉ 期限内達成・その後低下", "◎ 達成",
                     "？ 期限後の実績未報告"]  # every judged status, worst first, whatever the data
    assert [t["name"] for t in trend["data"]] == ["↓ 悪化傾向", "→ 横ばい", "↑ 改善傾向", "↕ 方向不明"]
    assert all("データなし" not in t["name"] for t in judged["data"])
    rows = judged["data"][0]["y"]
    problems = [sum(t["x"][i] for t in judged["data"][:4]) + judged["data"][-1]["x"][i] for i in range(len(rows))]
    ministries = [r.split(" [")[0] for r in rows]
    blocks = list(dict.fromkeys(ministries))
    assert len(blocks) == len([m for i, m in enumerate(ministries) if i == 0 or m != ministries[i - 1]])  # kinds together
    per_ministry = [sum(p for m, p in zip(ministries, problems) if m == b) for b in blocks]
    assert per_ministry == sorted(per_ministry, reverse=True)  # the most problems first


def test_the_measure_search_lives_in_the_url_and_is_plain_text(built, monkeypatch):
    at = open_page("measures", built, monkeypatch, {"q": "オープンデータ"})
    found = at.dataframe[0].value
    assert 0 < len(found) < 82 and found["title"].str.contains("オープンデータ").all()
    at.text_input(key="f_q").input("%").run()
    assert at.query_params["q"] in ("%", ["%"]) and len(at.dataframe[0].value) == 0  # no wildcard


def test_reporting_status_turns_no_data_into_a_task_list(demo, monkeypatch):
    at = open_page("ministries", demo, monkeypatch, {"as_of": "2021-03-31"})
    table = next(d.value for d in at.dataframe if "目標ありで実績なし" in d.value.columns)
    owed = list(table["目標ありで実績なし"])
    assert owed == sorted(owed, reverse=True) and owed[0] > 0  # who owes the most data first
    assert (table["実績あり"] <= table["KPI"]).all() and (table["最新"] <= table["実績あり"]).all()
    assert not table["最新の実績の期間末"].str.contains("NaT|None|-").any()
    with duckdb.connect(str(demo), read_only=True) as con:
        plan = con.execute("select count(*) from kpis k join measures m using (measure_no) "
                           "cross join unnest(m.lead_ministries) u(ministry) where k.kind in ('progress', 'effect')").fetchall()
    assert table["KPI"].sum() == plan[0][0]


@pytest.mark.parametrize("page", ["overview", "measure", "quality"])
def test_pages_render_when_the_file_is_released_between_queries(page, demo, monkeypatch):
    """The Windows mode (each query attaches and lets go of the file, so a writer can swap it), forced here."""
    monkeypatch.setenv("SHINCHOKU_RELEASE_FILE", "1")
    at = open_page(page, demo, monkeypatch, {"as_of": "2021-03-31"})
    assert not at.exception and (page == "quality" or charts(at) > 0)
