"""Periods as people write them."""
import datetime as dt

import pytest

from etl.periods import parse_period


@pytest.mark.parametrize("raw, key, fy, end", [
    ("2020", "FY2020", 2020, dt.date(2021, 3, 31)),
    ("2020年度", "FY2020", 2020, dt.date(2021, 3, 31)),
    ("令和2年度", "FY2020", 2020, dt.date(2021, 3, 31)),
    ("令和元年度", "FY2019", 2019, dt.date(2020, 3, 31)),
    ("平成31年度", "FY2019", 2019, dt.date(2020, 3, 31)),
    ("R2", "FY2020", 2020, dt.date(2021, 3, 31)),
    ("H30", "FY2018", 2018, dt.date(2019, 3, 31)),
    ("FY2020", "FY2020", 2020, dt.date(2021, 3, 31)),
    ("２０２０年度", "FY2020", 2020, dt.date(2021, 3, 31)),
    ("2020-04", "2020-04", 2020, dt.date(2020, 4, 30)),
    ("2021/2", "2021-02", 2020, dt.date(2021, 2, 28)),
    ("令和2年4月", "2020-04", 2020, dt.date(2020, 4, 30)),
    ("令和3年3月", "2021-03", 2020, dt.date(2021, 3, 31)),
    ("2020年12月", "2020-12", 2020, dt.date(2020, 12, 31)),
    (dt.datetime(2021, 1, 1), "2021-01", 2020, dt.date(2021, 1, 31)),
])
def test_periods(raw, key, fy, end):
    p, err = parse_period(raw)
    assert err is None and (p.key, p.fiscal_year, p.end) == (key, fy, end)


def test_month_starts_and_fiscal_year_starts():
    assert parse_period("2021-02")[0].start == dt.date(2021, 2, 1)
    assert parse_period("2020")[0].start == dt.date(2020, 4, 1)


@pytest.mark.parametrize("raw", ["", "そのうち", "2020-13", "令和2年13月", "20200"])
def test_unreadable_periods(raw):
    p, err = parse_period(raw)
    assert p is None and err


@pytest.mark.parametrize("key", ["FY2019", "FY2020", "2019-03", "2021-04"])
def test_a_period_as_shinchoku_shows_it_reads_back(key):
    """The forms and pages show 「令和2(2020)年度」: an office that copies it must not be refused."""
    from etl.text import period_label

    assert parse_period(period_label(key))[0].key == key
    assert parse_period(period_label(key).translate(str.maketrans("()0123456789", "（）０１２３４５６７８９")))[0].key == key


def test_a_wareki_year_that_contradicts_its_seireki_is_refused():
    p, err = parse_period("令和2(2021)年度")
    assert p is None and "和暦と西暦が合いません" in err
