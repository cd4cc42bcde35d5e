"""Commentary beside the figures (取組状況 / 今後の対応 / 担当課室 / 担当者): kept with its history, read as of
a date exactly like the values, and carried over by a rebuild."""
import datetime as dt
import shutil

import duckdb
import pandas as pd
import pytest

from etl.build import build
from etl.observations import store


@pytest.fixture
def wh(built, tmp_path):
    path = tmp_path / "w.duckdb"
    shutil.copy(built, path)
    return path


def add(con, when: dt.datetime, rows: list[dict], synthetic: bool = False) -> int:
    batch = {"file_name": "照会回答.xlsx", "sha256": f"{when:%s}", "loaded_at": when, "loaded_by": "secretariat",
             "mode": "all_or_nothing", "rows_total": len(rows), "rows_valid": len(rows), "rows_rejected": 0,
             "is_synthetic": synthetic}
    batch_id = store.insert_batch(con, batch, pd.DataFrame(), pd.DataFrame())
    store.insert_comments(con, batch_id, pd.DataFrame(rows).assign(sheet="回答", row_number=range(5, 5 + len(rows))), synthetic)
    return batch_id


def comment(text: str, office: str = "情報流通振興課") -> dict:
    return {"kpi_id": "M76-P1", "area_code": "000000", "period": "2021-03", "progress": text,
            "next_steps": "周知を続ける\n(説明会を予定)", "office": office, "person": "山田"}


def as_of(path, d: str):
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(f"select progress, office, revision, location from kpi_comments_as_of(date '{d}') "
                           "where kpi_id = 'M76-P1'").fetchall()


def test_commentary_is_read_as_of_a_date_and_never_overwritten(wh):
    with duckdb.connect(str(wh)) as con:
        add(con, dt.datetime(2021, 4, 10, 9), [comment("導入企業への説明会を3回開催")])
        add(con, dt.datetime(2021, 5, 12, 9), [comment("説明会を5回に拡大", "テレワーク推進室")])
    assert as_of(wh, "2021-04-09") == []
    assert as_of(wh, "2021-04-10") == [("導入企業への説明会を3回開催", "情報流通振興課", 1, "照会回答.xlsx / 回答 行5")]
    assert as_of(wh, "2021-05-31") == [("説明会を5回に拡大", "テレワーク推進室", 2, "照会回答.xlsx / 回答 行5")]
    with duckdb.connect(str(wh), read_only=True) as con:
        history = con.execute("select revision, progress, next_steps from kpi_comments_history order by revision").fetchall()
    assert [r[:2] for r in history] == [(1, "導入企業への説明会を3回開催"), (2, "説明会を5回に拡大")]
    assert history[0][2] == "周知を続ける\n(説明会を予定)"  # line breaks kept


def test_a_real_commentary_wins_over_a_later_synthetic_one(wh):
    with duckdb.connect(str(wh)) as con:
        add(con, dt.datetime(2021, 4, 10), [comment("実際の回答")])
        add(con, dt.datetime(2021, 4, 20), [comment("合成")], synthetic=True)
    assert as_of(wh, "2021-04-30")[0][0] == "実際の回答"


def test_a_rebuild_keeps_the_commentary(wh):
    with duckdb.connect(str(wh)) as con:
        add(con, dt.datetime(2021, 4, 10), [comment("導入企業への説明会を3回開催")])
    build(warehouse=wh, write_defs=False)
    assert as_of(wh, "2021-04-30")[0][0] == "導入企業への説明会を3回開催"


# ---------------------------------------------------------------- typed on the measure page


def test_commentary_typed_on_the_page_is_checked_and_kept_as_a_batch(wh):
    from etl.datacall import commentary

    now = dt.datetime(2021, 4, 20, 10)
    said = {"取組状況": "説明会を開催\r\n(全国3か所)", "今後の対応": "", "担当課室": " 情報流通振興課 ", "担当者": "山田"}
    batches = lambda: duckdb.connect(str(wh), read_only=True).execute("select count(*) from obs_batches").fetchone()[0]  # noqa: E731
    before = batches()
    for bad, reason in [({**said, "取組状況": "x" * 1001}, "1,001文字あります"),
                        ({**said, "担当課室": "課\x07"}, "制御文字"),
                        ({"担当者": "山田"}, "取組状況か今後の対応を記入")]:
        with pytest.raises(commentary.CommentError, match=reason):
            commentary.enter("M76-P1", "2021-03", bad, "suzuki", wh, now)
    with pytest.raises(commentary.CommentError, match="まだ来ていません"):
        commentary.enter("M76-P1", "2021-09", said, "suzuki", wh, now)
    with pytest.raises(commentary.CommentError, match="KPI M99-P9 はありません"):
        commentary.enter("M99-P9", "2021-03", said, "suzuki", wh, now)
    with pytest.raises(commentary.CommentError, match="主担当.*ではないため"):
        commentary.enter("M76-P1", "2021-03", said, "suzuki", wh, now, allowed_ministries=["防衛省"])
    assert batches() == before  # nothing written by any refusal
    lead = duckdb.connect(str(wh), read_only=True).execute(
        "select lead_ministries[1] from measures where measure_no = 76").fetchone()[0]
    batch = commentary.enter("M76-P1", "令和3年3月", said, "suzuki", wh, now, allowed_ministries=[lead])
    with duckdb.connect(str(wh), read_only=True) as con:
        kept = con.execute("""select period, progress, next_steps, office, location, loaded_by, is_synthetic
                              from kpi_comments_as_of(date '2021-04-20') where batch_id = ?""", [batch]).fetchall()
        mode = con.execute("select mode from obs_batches where batch_id = ?", [batch]).fetchone()[0]
    assert kept == [("2021-03", "説明会を開催\n(全国3か所)", None, "情報流通振興課", "画面入力 M76-P1", "suzuki", False)]
    assert mode == "comment"


def test_an_owner_writes_commentary_on_the_measure_page(wh, monkeypatch):
    from streamlit.testing.v1 import AppTest

    from tests.test_pages import APP
    from ui.auth import hash_password

    with duckdb.connect(str(wh), read_only=True) as con:
        lead = con.execute("select lead_ministries[1] from measures where measure_no = 76").fetchone()[0]
    monkeypatch.setenv("SHINCHOKU_WAREHOUSE", str(wh))
    at = AppTest.from_file(APP, default_timeout=120)
    at.secrets["users"] = {"suzuki": {"password_hash": hash_password("pw-owner"), "role": "owner", "ministries": [lead]},
                           "tanaka": {"password_hash": hash_password("pw-other"), "role": "owner", "ministries": ["防衛省"]}}
    at.query_params["measure"] = "76"
    at.switch_page("pages/measure.py")
    at.run()
    at.text_input(key="login_name").input("tanaka")
    at.text_input(key="login_password").input("pw-other")
    next(b for b in at.button if b.label == "ログイン").click().run()
    assert any("主担当" in i.value and "だけが記入できます" in i.value for i in at.info)  # not this measure's owner
    next(b for b in at.button if b.label == "ログアウト").click().run()
    at.text_input(key="login_name").input("suzuki")
    at.text_input(key="login_password").input("pw-owner")
    next(b for b in at.button if b.label == "ログイン").click().run()
    at.selectbox(key="comment_kpi").select("M76-P1")
    at.text_area(key="comment_progress").input("自治体向け説明会を開催\n(オンライン)")
    at.text_input(key="comment_office").input("情報流通振興課")
    next(b for b in at.button if b.label == "記録する").click().run()
    assert not at.exception, at.exception
    assert any("M76-P1 の取組状況を記録しました" in s.value for s in at.success)
    with duckdb.connect(str(wh), read_only=True) as con:
        kept = con.execute("select progress, office, loaded_by from kpi_comments where kpi_id = 'M76-P1'").fetchall()
    assert kept == [("自治体向け説明会を開催\n(オンライン)", "情報流通振興課", "suzuki")]
