"""What the pages print: places in documents and filter links in plain Japanese."""
import pytest

from ui import filters, labels


@pytest.mark.parametrize("raw, shown", [
    ("004_3e0c9a1b2c3d4e5f.txt line 453", "テキスト版 453行目"),
    ("line 361, 施策 No 5, column 対応する柱", "361行目、施策 No 5、列「対応する柱」"),
    ("line 12, column 3", "12行目、3列目"),
    ("line 7, column KPI (進捗)", "7行目、列「KPI (進捗)」"),
])
def test_locations_read_in_japanese_without_file_names(raw, shown):
    assert labels.location(raw) == shown


def test_the_link_keeps_every_filter_and_drops_the_old_query():
    url = filters.link({"as_of": "2021-03-31", "ministry": "総務省", "q": "a&b"},
                       "http://host:8501/ministries?as_of=2020-01-01#top")
    assert url == "http://host:8501/ministries?as_of=2021-03-31&ministry=%E7%B7%8F%E5%8B%99%E7%9C%81&q=a%26b"
    assert filters.link({}, "http://host/x?y=1") == "http://host/x"


def test_text_on_a_status_fill_keeps_four_and_a_half_to_one():
    from etl.reference import ink

    assert ink("#000000") == "FFFFFF" and ink("#0072B2") == "FFFFFF"  # 期限後の実績未報告, 期限内達成・その後低下
    assert ink("#F0E442") == "000000" and ink("#EEEEEE") == "000000" and ink("#D55E00") == "000000"
