"""The 施策一覧 parse, checked measure by measure against the source text."""
import io
from pathlib import Path

import pandas as pd
import pytest

from etl import settings
from etl.errors import SourceError
from etl.reference import ministry_table, pillar_table
from etl.sources.measures import _read_flags, parse_measures

FIXTURES = Path(__file__).parent / "fixtures"
SOURCE = settings.SOURCES_DIR / "001_3c7fc59f76fc2acb.txt"


@pytest.fixture(scope="module")
def parsed():
    return parse_measures(SOURCE)


@pytest.fixture(scope="module")
def expected():
    # Reviewed by hand against the PDF text: number, pillar code, lead and all ministries, ○ flags.
    return pd.read_csv(FIXTURES / "measures_expected.csv", dtype=str, keep_default_na=False)


def test_all_82_measures_in_order(parsed):
    assert parsed.measures["measure_no"].tolist() == list(range(1, 83))


def test_every_measure_matches_the_reviewed_table(parsed, expected):
    codes = dict(zip(pillar_table().name, pillar_table().code))
    for exp, got in zip(expected.itertuples(), parsed.measures.itertuples()):
        where = f"施策 No {exp.measure_no}"
        assert int(exp.measure_no) == got.measure_no
        assert (exp.national_measure_no or None) == (got.national_measure_no if isinstance(got.national_measure_no, str) else None), where
        assert exp.pillar == codes.get(got.pillar, "") if isinstance(got.pillar, str) else exp.pillar == "", where
        assert exp.lead_ministries.split("|") == got.lead_ministries, where
        assert exp.ministries.split("|") == got.ministries, where
        flags = "".join("1" if f else "0" for f in (got.effect_efficiency, got.effect_economy, got.effect_convenience, got.effect_safety))
        assert exp.effect_flags == flags, where


def test_parse_is_consistent_with_the_raw_source_lines(parsed):
    lines = SOURCE.read_text(encoding="utf-8").split("\n")
    aliases = {a: row.name for row in ministry_table().itertuples() for a in row.aliases}
    for m in parsed.measures.itertuples():
        raw = lines[m.source_line - 1]
        cells = [c.strip() for c in raw.split("\t")]
        assert cells[0] == str(m.measure_no)
        if isinstance(m.national_measure_no, str):
            assert m.national_measure_no in cells
        for name in m.ministries:
            assert name in raw or any(aliases.get(a) == name and a in raw for a in aliases), (m.measure_no, name)
        for lead in m.lead_ministries:
            if m.lead_basis == "marked":
                assert f"◎{lead}" in raw or any(f"◎{a}" in raw for a, n in aliases.items() if n == lead)


def test_every_national_number_is_unique_and_well_formed(parsed):
    numbers = parsed.measures["national_measure_no"].dropna()
    assert numbers.str.fullmatch(r"\d{2}-\d{2}").all()
    assert numbers.is_unique
    assert len(numbers) == 81  # No 79 (自治体ピッチ) has none in the source


def test_missing_number_and_pillar_are_reported_not_guessed(parsed):
    m = parsed.measures.set_index("measure_no")
    assert pd.isna(m.loc[79, "national_measure_no"])
    assert pd.isna(m.loc[31, "pillar"])
    kinds = {(i.entity_id, i.kind) for i in parsed.issues}
    assert ("79", "missing_national_no") in kinds
    assert {("31", "missing_pillar"), ("48", "missing_pillar"), ("66", "missing_pillar")} <= kinds


def test_ministry_names_are_normalised_and_groups_kept(parsed):
    m = parsed.measures.set_index("measure_no")
    assert m.loc[54, "ministries"] == ["内閣官房", "総務省", "経済産業省", "内閣府"]  # source: 経産省
    assert m.loc[4, "ministries"][-1] == "関係府省庁"  # source: 関係府省
    assert m.loc[78, "ministries"] == ["内閣官房", "関係府省庁"]  # source: 関係省庁
    assert m.loc[3, "ministry_groups"] == ["全府省庁"]
    assert m.loc[51, "lead_ministries"] == ["内閣官房", "総務省", "経済産業省"]  # three ◎


def test_lead_without_mark_is_flagged(parsed):
    m = parsed.measures.set_index("measure_no")
    assert m.loc[10, "lead_basis"] == "sole"
    assert m.loc[8, "lead_basis"] == "first_listed"
    assert any(i.entity_id == "8" and i.kind == "lead_not_marked" for i in parsed.issues)


def test_listing_text_and_start_year(parsed):
    m = parsed.measures.set_index("measure_no")
    assert (m.loc[1, "plan_listing"], m.loc[1, "plan_start_fy"]) == ("時期調整中", None) or pd.isna(m.loc[1, "plan_start_fy"])
    assert (m.loc[16, "plan_listing"], m.loc[16, "plan_start_fy"]) == ("平成31年度以降", 2019)
    assert (m.loc[61, "plan_listing"], m.loc[61, "plan_start_fy"]) == ("令和3年度から(時期調整中)", 2021)
    assert (m.loc[78, "plan_listing"], m.loc[78, "plan_start_fy"]) == ("令和2年度から", 2020)


def test_html_becomes_text_lists_and_links(parsed):
    m = parsed.measures.set_index("measure_no")
    assert len(m.loc[1, "overview_items"]) == 3 and "<li>" not in m.loc[1, "overview"]
    assert m.loc[33, "budget_items"] == ["高度無線環境整備推進事業", "携帯電話等エリア整備事業"]
    assert m.loc[81, "budget_program"] == "地方公共団体における非識別加工情報の作成・提供方法の検証等"
    assert m.loc[81, "reference_url"] == "http://www.soumu.go.jp/denshijiti/index.html"
    assert m.loc[36, "reference_url"].endswith("/local_support/ict/support/index.html#anc01")


def test_effect_flags_confidence(parsed):
    m = parsed.measures.set_index("measure_no")
    assert m.loc[15, "effect_flags_confidence"] == "aligned"
    assert m.loc[37, "effect_flags_confidence"] == "shifted"  # five cells, ○ in the last: 安全・安心
    assert bool(m.loc[37, "effect_safety"]) and not m.loc[37, "effect_efficiency"]


@pytest.mark.parametrize(
    "cells, flags, confidence",
    [
        (["○", "", "○", ""], [True, False, True, False], "aligned"),
        (["", "", "", "", "○"], [False, False, False, True], "shifted"),
        (["", "", ""], [False] * 4, "shifted"),
        (["", "○", "", "", ""], [True, False, False, False], "ambiguous"),  # could be flag 1 or 2
        (["○", ""], [True, False, False, False], "ambiguous"),
    ],
)
def test_read_flags(cells, flags, confidence):
    assert _read_flags(cells) == (flags, confidence)


def test_truncated_file_is_a_clear_error(tmp_path):
    text = SOURCE.read_text(encoding="utf-8")
    cut = text[: text.index("\n41\t") + 400]  # stops in the middle of measure 41
    path = tmp_path / SOURCE.name
    path.write_text(cut, encoding="utf-8")
    with pytest.raises(SourceError, match=r"001_3c7fc59f76fc2acb.txt: line \d+, 施策 No 41.*truncated"):
        parse_measures(path)


def test_unknown_ministry_is_kept_and_reported(tmp_path):
    text = SOURCE.read_text(encoding="utf-8").replace("◎厚生労働省、内閣官房、内閣府", "◎厚生労働省、デジタル省、内閣府")
    path = tmp_path / SOURCE.name
    path.write_text(text, encoding="utf-8")
    parsed = parse_measures(path)
    m = parsed.measures.set_index("measure_no")
    assert m.loc[82, "ministries"] == ["厚生労働省", "デジタル省", "内閣府"]
    issue = next(i for i in parsed.issues if i.kind == "unknown_ministry")
    assert issue.entity_id == "82" and "デジタル省" in issue.message and "府省庁名" in issue.location
