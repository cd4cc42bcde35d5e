"""Property: for any mix of valid and invalid rows, loaded + rejected = total, and the warehouse
changes by exactly the valid rows (accept-valid) or not at all (all-or-nothing with a bad row)."""
import datetime as dt
import shutil

import duckdb
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from etl.observations.load import load_files

NOW = dt.datetime(2021, 5, 10, 9, 0)
# (kpi_id, area as typed, normalised area code) that are valid for the KPI's level
GOOD_KEYS = [("M36-E1", "011002", "011002"), ("M36-E1", "13101", "131016"), ("M37-E1", "全国", "000000"),
             ("M15-E1", "", "000000"), ("M58-E1", "000000", "000000")]
# one defect per invalid row; none of them can collide with another row's key
DEFECTS = {
    "unknown_kpi": lambda r: {**r, "kpi": "M98-P9"},
    "bad_area": lambda r: {**r, "area": "12345X"},
    "wrong_level": lambda r: {**r, "kpi": "M37-E1", "area": "011002"},
    "bad_value": lambda r: {**r, "value": "不明"},
    "negative": lambda r: {**r, "value": "-3"},
    "future": lambda r: {**r, "period": "2030-01"},
}
MONTHS = [f"{y}-{m:02d}" for y in range(2013, 2021) for m in range(1, 13)]


@st.composite
def files(draw):
    n = draw(st.integers(min_value=1, max_value=25))
    rows = []
    for i in range(n):
        kpi, area, code = draw(st.sampled_from(GOOD_KEYS))
        value = draw(st.sampled_from(["1", "0", "１２", "1,500", "約3万", "45.5"]))
        if kpi == "M36-E1":  # adoption flag of a municipality
            value = draw(st.sampled_from(["0", "1"]))
        elif kpi == "M15-E1":  # a percentage
            value = draw(st.sampled_from(["0", "45.5", "１００", "99.9%"]))
        row = {"kpi": kpi, "area": area, "code": code, "period": MONTHS[i], "value": value, "defect": None}
        defect = draw(st.one_of(st.none(), st.sampled_from(sorted(DEFECTS))))
        if defect:
            row = DEFECTS[defect](row) | {"defect": defect}
        rows.append(row)
    return rows


def write(path, rows):
    lines = ["報告書", "", "KPI ID,団体コード,期間,値,出典,備考"]
    lines += [f"{r['kpi']},{r['area']},{r['period']},\"{r['value']}\",prop," for r in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def history(wh):
    con = duckdb.connect(str(wh), read_only=True)
    try:
        return set(con.execute("select kpi_id, area_code, period, location from observations_history where origin = 'load'").fetchall())
    finally:
        con.close()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=files(), accept_valid=st.booleans())
def test_loaded_plus_rejected_is_total_and_only_valid_rows_land(built, tmp_path_factory, rows, accept_valid):
    d = tmp_path_factory.mktemp("prop")
    wh = d / "w.duckdb"
    shutil.copy(built, wh)
    path = d / "p.csv"
    write(path, rows)
    before_bytes, before = wh.read_bytes(), history(wh)

    (r,) = load_files([path], wh, now=NOW, accept_valid=accept_valid)

    bad_rows = {i + 4 for i, row in enumerate(rows) if row["defect"]}  # data starts on line 4
    assert r.rows_total == len(rows)
    assert r.rows_valid + r.rows_rejected == r.rows_total
    assert {e["row"] for e in r.errors} == bad_rows
    assert r.rows_rejected == len(bad_rows)
    added = history(wh) - before
    if bad_rows and not accept_valid:
        assert r.rows_loaded == 0 and wh.read_bytes() == before_bytes
    else:
        expected = {(row["kpi"], row["code"], row["period"], f"p.csv 行{i + 4}")
                    for i, row in enumerate(rows) if not row["defect"]}
        assert added == expected
        assert r.rows_loaded == len(expected)


# ---------------------------------------------------------------- "as of d" over any history
# A key a document also quotes (known 2017-07-28), one only ever loaded, and two municipalities of a
# municipality-level KPI, whose total is kept in core.area_totals.
KEYS = [("M76-R1", "000000", "national", "FY2016", 2016, None, dt.date(2017, 3, 31)),
        ("M37-E1", "000000", "national", "FY2016", 2016, None, dt.date(2017, 3, 31)),
        ("M36-E1", "011002", "municipality", "FY2016", 2016, None, dt.date(2017, 3, 31)),
        ("M36-E1", "131016", "municipality", "FY2016", 2016, None, dt.date(2017, 3, 31))]
DAYS = [dt.datetime(2017, 7, d) for d in (1, 28, 29, 30)]  # ties with each other and with the document


def ranked_as_of(con, day: dt.date) -> set:
    """The definition observations_as_of must agree with: rank every revision known by the end of day."""
    return set(con.execute("""
        select kpi_id, area_code, period, value from (
            select *, row_number() over (partition by kpi_id, area_code, period
                                         order by is_synthetic, known_at desc, batch_id desc nulls last) as pick
            from observations_history where known_at < ?::date + 1 and kpi_id in ('M76-R1', 'M37-E1', 'M36-E1'))
        where pick = 1""", [day]).fetchall())


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batches=st.lists(st.tuples(st.sampled_from(DAYS), st.booleans(), st.lists(st.booleans(), min_size=1, max_size=4)),
                        min_size=1, max_size=6))
# a synthetic value arriving after a real one is never in force, and must not touch the totals meanwhile
@example(batches=[(DAYS[0], False, [False, False, True]), (DAYS[1], True, [False, False, True, True])])
def test_as_of_filter_equals_ranking_the_history(built, tmp_path_factory, batches):
    """Batches of real or synthetic values, loaded out of order and on the same days, in any combination."""
    import pandas as pd

    from etl.observations import store

    wh = tmp_path_factory.mktemp("asof") / "w.duckdb"
    shutil.copy(built, wh)
    con = duckdb.connect(str(wh))
    try:
        for i, (day, synthetic, which) in enumerate(batches):
            keys = [KEYS[j] for j, on in enumerate(which) if on] or [KEYS[0]]
            frame = pd.DataFrame(keys, columns=["kpi_id", "area_code", "area_level", "period", "fiscal_year", "month",
                                                "period_end"]).assign(value=float(i % 3), source="prop", note=None, row=i + 1)
            frame["month"] = frame["month"].astype("Int64")
            store.insert_batch(con, {"file_name": f"b{i}", "sha256": str(i), "loaded_at": day, "loaded_by": "prop",
                                     "mode": "synthetic" if synthetic else "all_or_nothing", "rows_total": len(frame),
                                     "rows_valid": len(frame), "rows_rejected": 0, "is_synthetic": synthetic},
                               frame, pd.DataFrame())
        for day in [dt.date(2017, 6, 30), *(d.date() for d in DAYS)]:
            got = set(con.execute("select kpi_id, area_code, period, value from observations_as_of(?::date) "
                                  "where kpi_id in ('M76-R1', 'M37-E1', 'M36-E1')", [day]).fetchall())
            assert got == ranked_as_of(con, day), day
            # the kept totals equal a sum over the values in force
            totals = con.execute("""select sum(d_sum)::double, sum(d_count), sum(d_positive), sum(d_synthetic)
                                    from core.area_totals where kpi_id = 'M36-E1' and changed_at < ?::date + 1""",
                                 [day]).fetchone()
            direct = con.execute("""select sum(value), count(*), count(*) filter (where value > 0),
                                           count(*) filter (where is_synthetic)
                                    from observations_as_of(?::date) where kpi_id = 'M36-E1'""", [day]).fetchone()
            assert tuple(x or 0 for x in totals) == tuple(x or 0 for x in direct), day
        # revisions count up in the order the values became known, per key, without gaps
        revisions = con.execute("""select kpi_id, area_code, list(revision order by known_at, batch_id nulls first)
                                   from observations_history where kpi_id in ('M76-R1', 'M37-E1', 'M36-E1')
                                     and period = 'FY2016' group by kpi_id, area_code""").fetchall()
        for _, _, revs in revisions:
            assert revs == list(range(1, len(revs) + 1))
    finally:
        con.close()
