"""The 工程表 Gantt (ui/gantt.py): plan status by fiscal year, fixed section looks, wrapped labels, layouts."""
import datetime as dt
import re

import pandas as pd
import pytest

from ui.gantt import ENDED, NOT_STARTED, RUNNING, gantt, plan_state, section_style, wrap

PHASES = [(2013, 2015, "短期"), (2016, 2018, "中期"), (2019, 2021, "長期")]
LONG = "地域経済分析システム(RESAS)及び地域の産業・雇用創造チャートの活用推進、必要に応じて機能等修正"  # 47 chars


def items(sections=range(1, 14)) -> pd.DataFrame:
    rows = [dict(item_id=f"S{no:02d}-I01", section_no=no, section=f"施策群その{no}", title=LONG if no == 1 else f"工程{no}",
                 ministries=["総務省"] if no % 2 else ["文部科学省"], start_fy=2013 + no % 5, end_fy=2015 + no % 7, phase="短期")
            for no in sections]
    return pd.DataFrame(rows)


def bars(fig):
    return [t for t in fig.data if t.type == "bar"]


@pytest.mark.parametrize("as_of, state", [
    (dt.date(2015, 3, 31), NOT_STARTED),  # the last day of FY2014
    (dt.date(2015, 4, 1), RUNNING),       # FY2015 begins
    (dt.date(2017, 3, 31), RUNNING),      # the last day of FY2016, the plan's last year
    (dt.date(2017, 4, 1), ENDED),
])
def test_plan_state_by_fiscal_year(as_of, state):
    assert plan_state(2015, 2016, as_of) == state


def test_a_one_year_item_runs_through_its_fiscal_year():
    assert [plan_state(2020, 2020, dt.date(*d)) for d in [(2020, 3, 31), (2020, 4, 1), (2021, 3, 31), (2021, 4, 1)]] == \
        [NOT_STARTED, RUNNING, RUNNING, ENDED]


def test_every_section_looks_different():
    looks = [section_style(no) for no in range(1, 22)]
    assert len(set(looks)) == len(looks)


def test_a_section_keeps_its_look_when_filtered():
    whole = {t.name: (t.marker.color, t.marker.pattern.shape) for t in bars(gantt(items(), dt.date(2021, 3, 31), PHASES))}
    some = {t.name: (t.marker.color, t.marker.pattern.shape) for t in bars(gantt(items([3, 9, 12]), dt.date(2021, 3, 31), PHASES))}
    assert len(whole) == 13 and len(some) == 3
    assert all(whole[name] == look for name, look in some.items())


def test_labels_wrap_without_losing_text():
    lines = wrap(LONG, 20, 3)
    assert 1 < len(lines) <= 3 and "".join(lines) == LONG
    assert all(sum(1 if ord(c) > 0x2000 else 0.5 for c in line) <= 21 for line in lines)
    assert not any(line[0] in "、。・)」" for line in lines)  # no line starts with closing punctuation
    fig = gantt(items([1]), dt.date(2021, 3, 31), PHASES)
    assert LONG in [t.replace("<br>", "") for t in fig.layout.yaxis.ticktext]


def test_a_very_long_title_ends_with_an_ellipsis_and_hovers_in_full():
    title = LONG * 3
    assert wrap(title, 20, 3)[-1].endswith("…")
    fig = gantt(items([1]).assign(title=title), dt.date(2021, 3, 31), PHASES)
    hover = bars(fig)[0].customdata[0][1].replace("<br>", "")
    assert hover == title


def test_titles_are_text_not_markup():
    fig = gantt(items([1]).assign(title="<a href='x'>工程</a>"), dt.date(2021, 3, 31), PHASES)
    assert "&lt;a href='x'&gt;工程&lt;/a&gt;" in fig.layout.yaxis.ticktext


def test_desktop_layout_legend_at_the_right_and_status_column():
    fig = gantt(items(), dt.date(2021, 3, 31), PHASES)
    assert fig.layout.legend.orientation == "v" and fig.layout.legend.x > 1
    status = next(t for t in fig.data if t.type == "scatter" and t.xaxis == "x2")
    assert {re.sub("<[^>]+>", "", s) for s in status.text} == {ENDED, RUNNING}
    assert len(fig.layout.xaxis.ticktext) == 5  # every other year: 2013 … 2021


def test_phone_layout_legend_below_status_in_the_label_fewer_years():
    fig = gantt(items(), dt.date(2021, 3, 31), PHASES, compact=True)
    assert fig.layout.legend.orientation == "v" and fig.layout.legend.y < 0
    labels = [a.text for a in fig.layout.annotations if a.text.startswith("【")]
    assert len(labels) == 13 and all(label[1:].startswith((ENDED, RUNNING, NOT_STARTED)) for label in labels)
    assert len(fig.layout.xaxis.ticktext) == 3
    assert not fig.layout.yaxis.showticklabels


def test_report_date_line_only_within_the_plan():
    inside = gantt(items(), dt.date(2021, 3, 31), PHASES)
    outside = gantt(items(), dt.date(2026, 3, 31), PHASES)
    assert any("基準日" in a.text for a in inside.layout.annotations)
    assert not any("基準日" in a.text for a in outside.layout.annotations)
