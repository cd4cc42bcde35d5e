"""Measuring wrapped Japanese text with the workbooks' font (BIZ UDPゴシック), so that no printed row is cut."""
import pytest

from exports import textfit


def test_the_font_file_is_measured_not_guessed():
    m = textfit.metrics()
    assert m.source != "fallback", "install the font: apt-get install fonts-morisawa-bizud-gothic (.ci/run does)"
    assert m.advance("漢") == 1.0 and m.advance("1") < m.advance("0") < 1.0  # a proportional face
    assert 0.9 <= m.line_em <= 1.3 and textfit.digit_px(11) == 11


def test_japanese_wraps_between_any_two_characters_and_latin_at_spaces():
    width = 10 * 10.0  # ten full-width characters at 10 pt
    assert textfit.wrap("あ" * 25, width, 10) == ["あ" * 10, "あ" * 10, "あ" * 5]
    assert textfit.wrap("あ" * 10 + "。い", width, 10)[0].endswith("。")  # 。 never starts a line
    lines = textfit.wrap("My Number card and e-Tax", 60, 10)
    assert all(line == line.strip() or " " in line for line in lines) and "card" in " ".join(lines)
    assert not any(w.startswith(("umber", "ard")) for w in lines)  # words are not split when they fit a line
    assert len(textfit.wrap("x" * 100, 60, 10)) > 1  # a word longer than the line is split
    assert textfit.wrap("一行目\n二行目", width, 10) == ["一行目", "二行目"]


@pytest.mark.parametrize("points", [28, 46, 90, 150, 700])
def test_a_column_width_round_trips_to_its_text_area(points):
    assert textfit.usable_pt(textfit.column_width(points)) == pytest.approx(points, abs=0.8)


def test_a_row_is_as_tall_as_its_longest_wrapped_cell():
    narrow, wide = textfit.column_width(40), textfit.column_width(400)
    one = textfit.row_height([("短い", wide)], 10)
    three = textfit.row_height([("短い", wide), ("あ" * 10, narrow)], 10)  # 4 characters a line: 3 lines
    assert textfit.lines("あ" * 10, narrow, 10) == 3
    assert three >= 3 * textfit.line_pt(10) and three > 2.5 * one - 4
    assert three * 4 == int(three * 4)  # Excel stores quarter points

