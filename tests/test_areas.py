"""The area master and the codes people type."""
import pytest

from etl.areas import area_table, check_digit, resolve_area


def test_counts_of_the_master():
    df = area_table()
    assert df.level.value_counts().to_dict() == {"municipality": 1741, "ward": 175, "prefecture": 47, "national": 1}
    assert (df.kind == "政令指定都市").sum() == 20
    assert (df.kind == "特別区").sum() == 23
    assert df.area_code.is_unique


def test_every_code_has_a_valid_check_digit():
    codes = area_table().area_code
    assert all(check_digit(c[:5]) == int(c[5]) for c in codes if c != "000000")


def test_wards_hang_under_their_city_and_cities_under_prefectures():
    df = area_table().set_index("area_code")
    assert df.loc["011011", "name"] == "札幌市中央区" and df.loc["011011", "parent_code"] == "011002"
    assert df.loc["011002", "parent_code"] == "010006"
    assert df.loc["131016", ["name", "kind", "parent_code"]].tolist() == ["千代田区", "特別区", "130001"]
    assert df.loc["130001", "lat"] == pytest.approx(35.7, abs=0.5)


@pytest.mark.parametrize("raw, code", [
    ("131016", "131016"), ("13101", "131016"), ("１３１０１６", "131016"), (131016, "131016"),
    ("11011", "011011"), ("011011", "011011"), ("13", "130001"), ("1", "010006"), ("全国", "000000"), ("", "000000"),
])
def test_codes_people_type(raw, code):
    assert resolve_area(raw)[0] == code


@pytest.mark.parametrize("raw, message", [
    ("131017", "検査数字が正しくありません(正: 131016)"), ("48", "形式が正しくありません"), ("00000X", "形式"),
    ("99999", "該当する団体がありません"),
])
def test_bad_codes(raw, message):
    code, level, error = resolve_area(raw)
    assert code is None and message in error
