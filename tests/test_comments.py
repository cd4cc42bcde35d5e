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
