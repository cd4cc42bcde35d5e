"""The 002 parse (policy directions and sub-measures) and the reviewed measure → direction mapping."""
import copy
import re
from pathlib import Path

import pandas as pd
import pytest

from etl import settings
from etl.errors import SourceError
from etl.sources.directions import (
    _sub_item,
    best_matches,
    load_mapping,
    match_heading,
    measure_direction_rows,
    parse_directions,
    words,
)
from etl.sources.measures import parse_measures

FIXTURES = Path(__file__).parent / "fixtures"
SOURCE = settings.SOURCES_DIR / "002_7b5f83ec3369b203.txt"
MEASURES = settings.SOURCES_DIR / "001_3c7fc59f76fc2acb.txt"
MAPPING = settings.REFERENCE_DIR / "measure_directions.yaml"


@pytest.fixture(scope="module")
def parsed():
    return parse_directions(SOURCE)


@pytest.fixture(scope="module")
def measure_nos() -> set[int]:
    return set(parse_measures(MEASURES).measures["measure_no"])


@pytest.fixture(scope="module")
def mapping() -> dict:
    return load_mapping(MAPPING)


# ---------------------------------------------------------------- parser on the real file


def test_five_directions_and_the_recovery_block(parsed):
    df = parsed.directions
    titles = df.drop_duplicates("direction_no").set_index("direction_no")["direction"].to_dict()
    assert titles == {
        1: "地域ICT人材の育成・活用の推進",
        2: "課題解決指向の「地域自立型」の取組の推進",
        3: "地域におけるICT利活用基盤整備の推進",
        4: "官民情報連携の推進",
        5: "様々な分野におけるICT利活用による地域活性化",
        0: "東日本大震災の被災地の復興に向けた取組",
    }


def test_sub_measure_counts_per_direction(parsed):
    counts = parsed.directions.groupby("direction_no").size().to_dict()
    assert counts == {0: 3, 1: 3, 2: 3, 3: 3, 4: 2, 5: 9}


def test_sub_ids_follow_direction_and_number(parsed):
    df = parsed.directions
    assert df["sub_id"].is_unique
    assert (df["sub_id"] == "D" + df["direction_no"].astype(str) + "-" + df["sub_no"].astype(str)).all()


def test_wrapped_sub_measures_are_joined_without_spaces(parsed):
    sub = parsed.directions.set_index("sub_id")["sub_measure"]
    assert sub["D1-2"] == "地域からの情報発信力を高めることができる人材の育成・活用"  # across a blank line
    assert sub["D4-1"] == "「ガバメント2.0」のための情報の公開に関するルールの確立"  # full width folded
    assert sub["D5-9"] == "ICTの利活用を阻む規制・制度の見直し"  # the heading after it is not glued on


def test_descriptions_where_the_document_has_them(parsed):
    desc = parsed.directions.set_index("sub_id")["description"]
    assert set(desc.dropna().index) == {"D1-1", "D2-1", "D4-1", "D4-2", "D0-1", "D0-2", "D0-3"}
    assert desc["D1-1"].startswith("地域におけるICTを活用した事業を軌道に乗せるため")
    assert desc["D1-1"].count("\n") == 1  # two bullets
    assert desc["D0-2"] == "被災地自治体から疎開先の住民に向けてのインターネットを介した情報発信等"


def test_source_lines_point_at_the_raw_text(parsed):
    raw = SOURCE.read_text(encoding="utf-8").split("\n")
    for r in parsed.directions.itertuples():
        assert str(r.sub_no) in raw[r.source_line - 1].translate(str.maketrans("０１２３４５６７８９", "0123456789")), r.sub_id


def test_list_to_direction_decisions_are_all_reported(parsed):
    by_order = {i.entity_id: i for i in parsed.issues if i.kind.startswith("direction_list_")}
    assert set(by_order) == {"D1", "D2", "D3", "D4", "D5"}
    # List 2 (マッチング, クラウド, オープン化) shares only 地域 with its title: the check cannot confirm it.
    assert by_order["D2"].kind == "direction_list_unconfirmed" and by_order["D2"].severity == "warning"
    assert all(by_order[d].severity == "info" for d in ("D1", "D3", "D4", "D5"))
    assert "①④③⑤②" in by_order["D1"].message


def test_fuzzy_description_heading_is_reported(parsed):
    kinds = {(i.entity_id, i.kind) for i in parsed.issues}
    assert ("D2-1", "description_heading_differs") in kinds  # 供給側との / 供給側の
    assert ("D1-2", "sub_measure_joined") in kinds


def test_matches_the_hand_made_gold(parsed):
    path = FIXTURES / "directions_expected.csv"
    if not path.exists():
        pytest.skip("no hand-made gold (tests/fixtures/directions_expected.csv)")
    gold = pd.read_csv(path, dtype=str, keep_default_na=False)
    got = parsed.directions.assign(
        has_description=parsed.directions["description"].notna().map({True: "yes", False: "no"}),
        line=parsed.directions["source_line"],
    ).astype(str)
    key = ["direction_no", "sub_no"]
    merged = gold.merge(got, on=key, how="outer", suffixes=("_gold", "_got"), indicator=True)
    fields = ["direction", "sub_measure", "has_description", "line"]
    rates = {"rows": (merged["_merge"] == "both").mean()}
    rates |= {f: (merged[f"{f}_gold"] == merged[f"{f}_got"]).mean() for f in fields}
    print("match rates:", {k: f"{v:.0%}" for k, v in rates.items()})
    diffs = merged[~merged[[f"{f}_gold" for f in fields]].eq(merged[[f"{f}_got" for f in fields]].values).all(axis=1)]
    assert all(v == 1.0 for v in rates.values()), diffs.to_string()


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize("keep, line", [(100, 100), (200, 199), (240, 240)])
def test_a_truncated_file_is_refused_naming_file_and_line(tmp_path, keep, line):
    lines = SOURCE.read_text(encoding="utf-8").split("\n")
    cut = tmp_path / SOURCE.name
    cut.write_text("\n".join(lines[:keep]), encoding="utf-8")
    with pytest.raises(SourceError, match=rf"{SOURCE.name}: line {line}:"):
        parse_directions(cut)


def test_another_document_is_refused(tmp_path):
    other = tmp_path / "other.txt"
    other.write_text("第1章\n\n① はじめに\n(1) 概要\n", encoding="utf-8")
    with pytest.raises(SourceError, match=r"other.txt: line \d+:"):
        parse_directions(other)


def test_a_wrong_list_to_title_order_is_flagged(tmp_path):
    """Swap the numbers ③ and ④ everywhere: the by-order assignment must then be contradicted by the content."""
    swapped = tmp_path / SOURCE.name
    swapped.write_text(SOURCE.read_text(encoding="utf-8").translate(str.maketrans("③④", "④③")), encoding="utf-8")
    issues = {i.entity_id: i for i in parse_directions(swapped).issues if i.kind.startswith("direction_list_")}
    assert issues["D3"].kind == issues["D4"].kind == "direction_list_unconfirmed"
    assert issues["D1"].kind == "direction_list_by_order"


def test_titles_that_disagree_between_summary_and_titles_block_are_flagged(tmp_path):
    """The 第2章 summary repeats the five titles in order; a title changed there is reported, not used."""
    text = SOURCE.read_text(encoding="utf-8").replace("④官民情報連携の推進", "④官民データ連携の推進", 1)
    changed = tmp_path / SOURCE.name
    changed.write_text(text, encoding="utf-8")
    parsed = parse_directions(changed)
    assert [(i.entity_id, i.location) for i in parsed.issues if i.kind == "direction_title_differs"] == [("D4", "line 67")]
    assert parsed.directions.set_index("sub_id").loc["D4-1", "direction"] == "官民情報連携の推進"


# ---------------------------------------------------------------- small pure functions


def test_words_are_kanji_bigrams_and_katakana_words():
    assert words("ICTに関するハード・ソフト・人材の推進") == {"ICT", "ハード", "ソフト", "人材"}


def test_best_matches_returns_ties_and_nothing_without_overlap():
    top, _ = best_matches("クラウドの活用", {1: "人材の活用", 2: "情報の活用", 3: "テレワーク"})
    assert top == {1, 2}
    assert best_matches("テレビ", {1: "人材"})[0] == set()


@pytest.mark.parametrize(
    "heading, expected",
    [
        ("「ICT地域マネージャー制度(仮称)」", ("a", 1.0)),  # contained
        ("情報の連携に関するルールの確立", ("b", 1.0)),
        ("利用者のニーズと供給側とのマッチングの促進", ("c", pytest.approx(0.98, abs=0.01))),  # similar
        ("まったく別の見出し", (None, pytest.approx(0.0, abs=0.3))),
    ],
)
def test_match_heading(heading, expected):
    subs = {"a": "「ICT地域マネージャー制度(仮称)」の創設", "b": "情報の連携に関するルールの確立",
            "c": "利用者のニーズと供給側のマッチングの促進"}
    assert match_heading(heading, subs) == expected


def test_sub_item_crosses_one_blank_line_but_not_two_nor_a_heading():
    lines = ["(1)ひとつめの", "", "つづき", "(2)ふたつめ", "", "", "はなれた行", "見出し", "・箇条"]
    first = _sub_item(lines, 0)
    assert (first.text, first.last_line, first.joined_across_blank) == ("ひとつめのつづき", 3, True)
    assert _sub_item(lines, 3).text == "ふたつめ"
    assert _sub_item(["(9)おわり", "", "見出し", "・箇条"], 0).text == "おわり"


# ---------------------------------------------------------------- the reviewed mapping


def test_the_reviewed_mapping_is_valid_and_complete(parsed, mapping, measure_nos):
    rows, problems = measure_direction_rows(mapping, parsed.directions, measure_nos)
    assert problems == []
    primary = rows[rows["role"] == "primary"]
    assert sorted(primary["measure_no"]) == sorted(measure_nos)
    assert rows["reason"].str.len().gt(10).all()
    # sub_id, when given, belongs to the row's direction
    with_sub = rows.dropna(subset=["sub_id"])
    assert (with_sub["sub_id"].str[1].astype(int) == with_sub["direction_no"]).all()


def test_mapping_rows_given_expect():
    directions = pd.DataFrame({"direction_no": [1, 1, 2], "sub_id": ["D1-1", "D1-2", "D2-1"]})
    mapping = {"measures": [
        {"measure_no": 1, "sub_id": "D1-2", "reason": "理由", "secondary": [{"direction_no": 2, "reason": "副"}]},
        {"measure_no": 2, "direction_no": 2, "sub_id": None, "reason": "方向性のみ"},
        {"measure_no": 3, "direction_no": None, "sub_id": None, "reason": "該当なし"},
    ]}
    rows, problems = measure_direction_rows(mapping, directions, {1, 2, 3})
    assert problems == []
    expected = pd.DataFrame({
        "measure_no": [1, 1, 2, 3], "role": ["primary", "secondary", "primary", "primary"],
        "direction_no": pd.array([1, 2, 2, None], dtype="Int64"), "sub_id": ["D1-2", None, None, None],
        "reason": ["理由", "副", "方向性のみ", "該当なし"],
    })
    pd.testing.assert_frame_equal(rows, expected)


def _broken(mapping: dict, which: int, **change) -> dict:
    """A copy of the mapping with the entry of measure `which` changed (`...` removes a key)."""
    bad = copy.deepcopy(mapping)
    entry = next(e for e in bad["measures"] if e["measure_no"] == which)
    for k, v in change.items():
        if v is ...:
            entry.pop(k, None)
        else:
            entry[k] = v
    return bad


@pytest.mark.parametrize(
    "measure_no, change, message",
    [
        (12, {"sub_id": "D4-7", "direction_no": 4}, r"measures\[11\] \(measure_no 12\): sub_id 'D4-7' は 002 の小項目にありません"),
        (12, {"reason": ...}, r"measures\[11\] \(measure_no 12\): reason\(対応付けの理由\)がありません"),
        (12, {"reason": "  "}, r"measure_no 12\): reason"),
        (12, {"sub_id": "D3-1", "direction_no": 4}, r"measure_no 12\): direction_no 4 と sub_id D3-1"),
        (12, {"direction_no": 9, "sub_id": None}, r"measure_no 12\): direction_no 9 は 002 の方向性にありません"),
        (12, {"measure_no": 999}, r"measure_no 999\): 施策 No 999 は施策一覧にありません"),
        (12, {"reasons": "typo"}, r"measure_no 12\): 不明な項目 \['reasons'\]"),
    ],
)
def test_a_broken_mapping_is_refused(parsed, mapping, measure_nos, measure_no, change, message):
    _, problems = measure_direction_rows(_broken(mapping, measure_no, **change), parsed.directions, measure_nos)
    assert any(re.search(message, p) for p in problems), problems


def test_missing_and_duplicate_measures_are_refused(parsed, mapping, measure_nos):
    bad = copy.deepcopy(mapping)
    dropped = bad["measures"].pop(0)
    bad["measures"].append(copy.deepcopy(bad["measures"][0]))
    _, problems = measure_direction_rows(bad, parsed.directions, measure_nos)
    assert any(f"対応付けがありません: [{dropped['measure_no']}]" in p for p in problems), problems
    assert any("と重複しています" in p for p in problems), problems


def test_a_secondary_without_target_or_reason_is_refused(parsed, mapping, measure_nos):
    bad = _broken(mapping, 13, secondary=[{"sub_id": "D2-1"}, {"reason": "先がない"}])
    _, problems = measure_direction_rows(bad, parsed.directions, measure_nos)
    assert any("secondary[0]: reason" in p for p in problems), problems
    assert any("secondary[1]: sub_id か direction_no が必要です" in p for p in problems), problems


def test_recovery_block_heading_is_confirmed_by_its_chapter(parsed):
    assert not [i for i in parsed.issues if i.kind == "recovery_heading_unconfirmed"]
