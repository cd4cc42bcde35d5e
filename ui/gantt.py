"""The 工程表 Gantt chart and the plan status of its items (pure functions, tested without a browser).

There are no progress reports for schedule items: the status here is 計画上の状況, read from the plan's
period against the report date, never a reported result.
"""
from __future__ import annotations

import datetime as dt
import html
import unicodedata
from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from etl.periods import fiscal_year_of
from etl.text import date_to_wareki, fy_label
from ui.charts import FONT, fiscal_year_axis

ENDED, RUNNING, NOT_STARTED = "終了", "実施中", "開始前"
PLAN_STATES = (ENDED, RUNNING, NOT_STARTED)
# Okabe–Ito without black (it would hide the hatching); the 13 sections need more than 7 looks, so the
# colour repeats with a hatch: (colour, pattern) is distinct for up to 21 sections.
COLORS = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#56B4E9", "#CC79A7", "#F0E442"]
PATTERNS = ["", "/", "x"]
# status by bar opacity as well as by the written status column (never by look alone)
OPACITY = {ENDED: 0.35, RUNNING: 1.0, NOT_STARTED: 0.6}
TOP = 2.8  # lines above the first row, for the phase names and the report date
_BREAK_AFTER = set("、。・)」』 /")
_NO_LINE_START = set("、。・)」』")


def plan_state(start_fy: int, end_fy: int, as_of: dt.date) -> str:
    """終了 when the plan period ended before the report date's fiscal year (April–March), 開始前 when it
    starts in a later fiscal year, else 実施中."""
    fy = fiscal_year_of(as_of.year, as_of.month)
    return ENDED if end_fy < fy else NOT_STARTED if start_fy > fy else RUNNING


def plan_states(items: pd.DataFrame, as_of: dt.date) -> pd.Series:
    return pd.Series([plan_state(s, e, as_of) for s, e in zip(items["start_fy"], items["end_fy"])],
                     index=items.index, dtype=object)


def section_style(section_no: int) -> tuple[str, str]:
    """(colour, pattern) of a section, fixed by its number in the whole plan, so filtering never recolours."""
    k = int(section_no) - 1
    return COLORS[k % len(COLORS)], PATTERNS[k // len(COLORS) % len(PATTERNS)]


def _width(ch: str) -> float:
    return 1.0 if unicodedata.east_asian_width(ch) in "FWA" else 0.5


def wrap(text: str, width: float = 20, max_lines: int = 3) -> list[str]:
    """Lines of at most `width` full-width characters (half-width ones count half), broken after
    punctuation when one is near the end; past `max_lines` the last line ends with …"""
    lines, line = [], ""
    for i, ch in enumerate(text):
        # break when full, but never leave one or two characters alone on the last line, nor start a line
        # with punctuation (it stays on the line it closes, one character over)
        if line and sum(map(_width, line + ch)) > width and len(text) - i > 2 and ch not in _NO_LINE_START:
            cut = max((j + 1 for j, c in enumerate(line) if c in _BREAK_AFTER and j >= len(line) - 6), default=len(line))
            if line[-1].isascii() and line[-1].isalnum() and ch.isascii() and ch.isalnum():  # keep a word like RESAS
                start = len(line.rstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"))
                cut = start if start > len(line) // 2 else cut
            lines.append(line[:cut])
            line = line[cut:]
        line += ch
    lines = [s.strip() for s in [*lines, line] if s.strip()]
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1][:-1] + "…"
    return lines


def _br(lines: list[str]) -> str:
    # titles come from a PDF: Plotly reads <…> as markup, so escape before adding ours
    return "<br>".join(html.escape(s, quote=False) for s in lines)


def _rows(d: pd.DataFrame, chars: float, above: bool) -> tuple[list[float], list[float], list[str], list[float], float]:
    """Where everything goes on the y axis, in text lines (rows are as tall as their wrapped label):
    bar centres, label centres, label texts, section rules and the total height. With `above` (the phone
    layout) a label takes its own lines over the bar and starts with the status; otherwise it sits beside."""
    y, bars, at, texts, rules = 0.0, [], [], [], []
    for no, g in d.groupby("section_no", sort=True):
        head = wrap(f"{no} {g['section'].iloc[0]}", chars, 3)
        rules.append(y)
        at.append(y + 0.3 + len(head) / 2)
        texts.append(f"<span style='color:{section_style(no)[0]}'>■</span> <b>{_br(head)}</b>")
        y += len(head) + 0.6
        for it in g.itertuples():
            label = wrap(f"【{it.state}】{it.title}" if above else it.title, chars, 3)
            at.append(y + len(label) / 2)
            texts.append(_br(label))
            bars.append(y + len(label) + 0.5 if above else y + len(label) / 2)
            y += len(label) + (1.6 if above else 0.6)
    return bars, at, texts, rules, y


def gantt(items: pd.DataFrame, as_of: dt.date, phases: Sequence[tuple[int, int, str]], compact: bool = False) -> go.Figure:
    """Bars per item from the start of its first fiscal year to the end of its last, under a header row per
    section (施策群), the plan status (計画上の状況) written per item, and the report-date line.

    Desktop: labels beside the bars, the status in a column at the right, the legend at the right.
    `compact` (phone): labels over the bars so that both get the whole width, status at the start of the
    label, a year label every third year, the legend below."""
    chars, line_px, font = (24, 15, 11) if compact else (20, 17, 12)
    d = items.sort_values(["section_no", "item_id"]).assign(state=lambda x: plan_states(x, as_of))
    d["y"], at, texts, rules, height = _rows(d, chars, above=compact)
    d["start"] = pd.to_datetime(d["start_fy"].astype(str) + "-04-01")
    d["end"] = pd.to_datetime((d["end_fy"] + 1).astype(str) + "-04-01")
    first, last = pd.Timestamp(f"{phases[0][0]}-04-01"), pd.Timestamp(f"{phases[-1][1] + 1}-04-01")

    fig = go.Figure()
    for no, g in d.groupby("section_no", sort=True):
        color, pattern = section_style(no)
        hover = np.stack([g["item_id"], g["title"].map(lambda t: _br(wrap(t, 30, 9))),
                          g["ministries"].map(lambda m: html.escape("、".join(m)) or "—"),
                          g["start_fy"].map(fy_label) + " 〜 " + g["end_fy"].map(fy_label), g["state"]], axis=1)
        fig.add_bar(y=g["y"], x=(g["end"] - g["start"]).dt.days * 86_400_000, base=g["start"], orientation="h",
                    width=1.0, name=_br(wrap(f"{no} {g['section'].iloc[0]}", 13, 3)),
                    marker=dict(color=color, opacity=g["state"].map(OPACITY).tolist(), line=dict(color=color, width=1),
                                pattern=dict(shape=pattern, fillmode="overlay", fgcolor="#000", fgopacity=0.45, size=7)),
                    customdata=hover,
                    hovertemplate="%{customdata[0]}<br>%{customdata[1]}<br>府省庁: %{customdata[2]}<br>"
                                  "計画期間: %{customdata[3]}<br>計画上の状況: %{customdata[4]}<extra></extra>")
    # two lines above the first row: the phase names, then the report date (so that they never overlap)
    for start, end, name in phases:
        fig.add_vrect(x0=pd.Timestamp(f"{start}-04-01"), x1=pd.Timestamp(f"{end + 1}-04-01"), line_width=0,
                      fillcolor="#999" if name == "中期" else "#ddd", opacity=0.12, layer="below")
        fig.add_annotation(x=pd.Timestamp(f"{start}-04-01"), y=-TOP, yref="y", text=name, showarrow=False,
                           xanchor="left", yanchor="top", font=dict(size=font, color="#555"))
    if first <= pd.Timestamp(as_of) < last:
        fig.add_vline(x=pd.Timestamp(as_of).timestamp() * 1000, line=dict(color="#D55E00", width=2))
        fig.add_annotation(x=pd.Timestamp(as_of), y=-TOP / 2, yref="y", text=f"基準日 {date_to_wareki(as_of)}",
                           showarrow=False, xanchor="right", yanchor="top", bgcolor="rgba(255,255,255,0.85)",
                           font=dict(size=font, color="#D55E00"))
    for y in rules[1:]:
        fig.add_hline(y=y, line=dict(color="#bbb", width=1))
    # a year label every other year (every third on a phone) fits without slanting; a grid line every year.
    # A phone has no margin for a label centred on the left edge: its labels start a year in.
    fiscal_year_axis(fig, first + pd.DateOffset(years=int(compact)), last - pd.Timedelta(days=1),
                     max_labels=3 if compact else 5)
    fig.update_xaxes(range=[first, last], side="top", automargin=True, showgrid=True, gridcolor="#ccc", tickangle=0,
                     tickfont=dict(size=font),
                     minor=dict(tickvals=pd.date_range(first, last, freq="12MS"), showgrid=True, gridcolor="#e5e5e5"))
    # the same year labels under the chart, which is far taller than a screen (Plotly draws an axis only
    # when a trace uses it: an invisible point)
    fig.update_layout(xaxis3=fig.layout.xaxis.to_plotly_json() | dict(overlaying="x", matches="x", side="bottom"))
    fig.add_scatter(x=[first], y=[0], xaxis="x3", mode="markers", marker_opacity=0, showlegend=False, hoverinfo="skip")
    yaxis = dict(range=[height, -TOP], showgrid=False, zeroline=False, automargin=True, tickfont=dict(size=font))
    if compact:
        for y, text in zip(at, texts):  # on a white ground: the year grid and the report-date line pass behind
            fig.add_annotation(x=first, y=y, text=text, showarrow=False, xanchor="left", align="left", borderpad=0,
                               bgcolor="rgba(255,255,255,0.85)", font=dict(size=font))
        fig.update_yaxes(showticklabels=False, **yaxis)
        legend = dict(orientation="v", x=0, y=-40 / (height * line_px), yanchor="top")  # under the year labels
        # room for it: Plotly would shrink the rows instead
        names = d.groupby("section_no")["section"].first()
        bottom = 70 + sum(len(wrap(f"{no} {name}", 13, 3)) * 15 + 6 for no, name in names.items())
    else:
        fig.update_yaxes(tickmode="array", tickvals=at, ticktext=texts, **yaxis)
        legend = dict(orientation="v", x=1.02, xanchor="left", y=1, yanchor="top", title_text="施策群")
        bottom = 50
        # the status column: its own strip at the right of the bars (added after the year axis is set, which
        # would otherwise apply to it too)
        fig.update_layout(xaxis_domain=[0, 0.9], xaxis2=dict(domain=[0.91, 1], range=[0, 1], visible=False))
        style = {ENDED: f"<span style='color:#666'>{ENDED}</span>", RUNNING: f"<b>{RUNNING}</b>", NOT_STARTED: NOT_STARTED}
        fig.add_scatter(x=[0.5] * len(d), y=d["y"], xaxis="x2", mode="text", text=d["state"].map(style),
                        showlegend=False, textfont=dict(size=font), hoverinfo="skip")
        fig.add_annotation(xref="x2", x=0.5, y=-TOP, yref="y", text="計画上の<br>状況", showarrow=False, yanchor="top",
                           font=dict(size=font - 1, color="#555"))
    fig.update_layout(barmode="overlay", showlegend=True, legend=dict(font=dict(size=font), **legend),
                      height=int((height + TOP) * line_px) + 60 + bottom, font=FONT, hovermode="closest",
                      margin=dict(l=4, r=4, t=60, b=bottom))
    return fig
