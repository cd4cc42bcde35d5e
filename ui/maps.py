"""Maps of the 市区町村別 page: prefectures shaded by adoption rate, and every municipality as a dot.

The shading is fitted to the rates observed (a KPI adopted by 0–11 % of the areas would otherwise be a
single colour on a 0–100 % scale); the key under the map says where its classes start and end, and
marks the national average and the target read as a share of the areas.
"""
from __future__ import annotations

import functools
import math
import re

import numpy as np
import pandas as pd
import plotly.colors as pc
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ui.charts import FONT

# class widths the key may use (as a share): round percentages, written with at most one decimal
STEPS = (0.001, 0.002, 0.005, 0.01, 0.02, 0.025, 0.05, 0.1, 0.2, 0.25)
NO_DATA = "#e4e4e4"
AVERAGE, TARGET = "#000000", "#D55E00"
# units of a KPI that counts areas: its target divided by the number of areas is a share of them
COUNT_UNIT = re.compile("団体|市|町|村|都道府県|自治体")
STATES = {  # drawn in this order: the adopters last, on top of the others
    "データなし": dict(color="#c8c8c8", symbol="circle", size=4, opacity=0.4),
    "未実施": dict(color="#7a7a7a", symbol="x-thin", size=5, opacity=0.6, line=dict(color="#7a7a7a", width=1)),
    "実施済": dict(color="#009E73", symbol="circle", size=9, opacity=1.0, line=dict(color="#ffffff", width=1)),
}


def pct(share) -> str:
    """0.074 → '7.4%', 0.5 → '50%', missing → '—' (no more decimals than the value needs)."""
    if share is None or pd.isna(share):
        return "—"
    text = f"{share * 100:.1f}".rstrip("0").rstrip(".")
    return f"{text}%"


def rate_classes(rates, n: int = 5) -> list[float]:
    """Edges of about n classes of equal width at round percentages, from the lowest observed rate to the
    highest; [r, r] when every area has the same rate, [] when there is none."""
    r = pd.Series(rates, dtype=float).dropna()
    if r.empty:
        return []
    lo, hi = float(r.min()), float(r.max())
    if hi - lo < 1e-9:
        return [lo, hi]
    step = min(STEPS, key=lambda s: abs(math.log(s * n / (hi - lo))))
    first = math.floor(lo / step + 1e-9) * step
    count = max(1, math.ceil((hi - first) / step - 1e-9))
    return [round(min(first + i * step, 1.0), 6) for i in range(count + 1)]


def class_of(rate, edges: list[float]) -> int | None:
    """The class of a rate (the last class includes its upper edge); None for a missing rate."""
    if rate is None or pd.isna(rate) or not edges:
        return None
    return int(np.clip(np.searchsorted(edges, rate, side="right") - 1, 0, max(len(edges) - 2, 0)))


def class_colors(count: int) -> list[str]:
    """Light to dark blue, one per class (sequential, readable by colour-blind people and in greyscale)."""
    if count <= 1:
        return pc.sample_colorscale("Blues", [0.6])
    return pc.sample_colorscale("Blues", list(np.linspace(0.2, 0.95, count)))


def national_average(adoption: pd.DataFrame) -> float | None:
    """Adopting areas over reporting areas, over every prefecture (the prefectures' rates pooled, not
    averaged: a small prefecture weighs as many areas as it has); None when nobody has reported."""
    reporting = adoption["reporting"].sum()
    return float(adoption["adopted"].sum() / reporting) if reporting else None


def target_share(target_value, unit, areas: int) -> float | None:
    """The target as a share of the areas: 800 団体 of 1,741 → 0.46; a % target as itself; None without a
    target or when the unit is not a count of areas (a share of what would be a guess)."""
    if target_value is None or pd.isna(target_value) or not areas:
        return None
    if unit == "%":
        return min(float(target_value) / 100, 1.0)
    if unit is None or pd.isna(unit) or COUNT_UNIT.search(str(unit)):
        return min(float(target_value) / areas, 1.0)
    return None


@functools.cache
def _outlines() -> list:
    import japanmap  # prefecture outlines (Apache-2.0), Hokkaido and Okinawa moved closer

    return japanmap.pref_points(rough=True)


def _hover(row, average: float | None) -> str:
    if not row.reporting:
        return f"{row.prefecture}<br>報告なし(全{row.areas:,}団体)"
    text = f"{row.prefecture}<br>実施率 {pct(row.rate)}(報告 {row.reporting:,}団体のうち実施 {row.adopted:,})"
    if row.reporting < row.areas:
        text += f"<br>未報告 {row.areas - row.reporting:,}団体"
    if average is not None:
        text += f"<br>全国平均との差 {(row.rate - average) * 100:+.1f}ポイント"
    return text


def prefecture_map(adoption: pd.DataFrame, target: float | None = None, selected: str | None = None,
                   outlines: list | None = None) -> go.Figure:
    """Prefectures shaded by adoption rate in classes fitted to the observed rates; the key below shows the
    classes, the national average (▼) and the target (▲, ▶ when above every class)."""
    outlines = outlines or _outlines()
    edges = rate_classes(adoption["rate"])
    colors = class_colors(len(edges) - 1)
    average = national_average(adoption)
    rows = {r.prefecture_code: r for r in adoption.itertuples()}
    digits = 1 if edges and edges[-1] < 0.1 else 0  # short labels, Kanto is crowded; the hover has the exact rate
    fig = make_subplots(rows=2, cols=1, row_heights=[0.88, 0.12], vertical_spacing=0.08)
    # the chosen prefecture last, so that its thick outline is on top
    for i, pts in sorted(enumerate(outlines, start=1), key=lambda p: f"{p[0]:02d}" == selected):
        row = rows.get(f"{i:02d}")
        if row is None:
            continue
        k = class_of(row.rate, edges)
        xs, ys = zip(*pts)
        chosen = row.prefecture_code == selected
        fig.add_scatter(x=xs, y=ys, fill="toself", mode="lines", fillcolor=NO_DATA if k is None else colors[k],
                        line=dict(color="#000" if chosen else "#666", width=2.5 if chosen else 0.5), showlegend=False,
                        hoveron="fills", text=_hover(row, average), hovertemplate="%{text}<extra></extra>",
                        row=1, col=1)
        if k is not None:
            label = f"{row.rate * 100:.{digits}f}%" if row.rate else "0%"
            fig.add_annotation(x=np.mean(xs), y=np.mean(ys), text=label, showarrow=False, row=1, col=1,
                               font=dict(size=9, color="#fff" if k >= len(colors) * 0.6 else "#000"))
    fig.update_xaxes(visible=False, row=1, col=1)
    fig.update_yaxes(visible=False, scaleanchor="x", scaleratio=1.2, row=1, col=1)
    _key(fig, edges, colors, average, target, missing=int((adoption["reporting"] == 0).sum()))
    fig.update_layout(height=580, margin=dict(l=14, r=24, t=60, b=10), font=FONT, showlegend=False,
                      title=dict(text="都道府県別の実施率", subtitle=dict(text="北海道・沖縄は位置を移動して表示")))
    return fig


def _key(fig: go.Figure, edges: list[float], colors: list[str], average: float | None, target: float | None,
         missing: int) -> None:
    """The colour key in the second row: one box per class, ticks at the class edges, and the markers."""
    if not edges:
        fig.update_xaxes(visible=False, row=2, col=1)
        fig.update_yaxes(visible=False, row=2, col=1)
        fig.add_annotation(text="報告のある都道府県がありません", xref="x2 domain", yref="y2 domain", x=0.5, y=0.5,
                           showarrow=False)
        return
    lo, hi = edges[0], edges[-1]
    if hi == lo:  # every prefecture at one rate: a single box around it
        lo, hi = max(lo - 0.05, 0), min(hi + 0.05, 1)
        edges = [lo, hi]
    for k, (a, b) in enumerate(zip(edges, edges[1:])):
        fig.add_shape(type="rect", x0=a, x1=b, y0=0, y1=1, fillcolor=colors[k], line=dict(color="#fff", width=1),
                      row=2, col=1)
    fig.update_xaxes(range=[lo, hi], tickvals=edges, ticktext=[pct(e) for e in edges], showgrid=False, zeroline=False,
                     fixedrange=True, ticks="outside", title=dict(text="実施率(色の区切りは観測値の最小〜最大を等分)",
                     font=dict(size=11, color="#555"), standoff=4), row=2, col=1)
    fig.update_yaxes(range=[-0.8, 1.8], visible=False, fixedrange=True, row=2, col=1)
    marks = []  # (rate, height, symbol, colour, note)
    if average is not None:
        marks.append((average, 1.4, "triangle-down", AVERAGE, f"<b>▼ 全国平均 {pct(average)}</b>"))
    if target is not None:
        # below the strip, so that it never hides the average; an arrow at the end when outside every class
        symbol, icon = (("triangle-right", "▶") if target > hi else ("triangle-left", "◀") if target < lo
                        else ("triangle-up", "▲"))
        label = f"{icon} 目標 {pct(target)}" + ("" if icon == "▲" else "(色の範囲外)")
        marks.append((target, -0.4, symbol, TARGET, f"<span style='color:{TARGET}'><b>{label}</b></span>"))
    for rate, y, symbol, color, _ in marks:
        fig.add_scatter(x=[min(max(rate, lo), hi)], y=[y], mode="markers", hoverinfo="skip", cliponaxis=False,
                        marker=dict(symbol=symbol, size=11, color=color), row=2, col=1)
    notes = [m[-1] for m in marks]
    text = "  ".join(notes)
    if missing:  # on a line of its own: one line of three notes overflows a phone's width
        text += f"<br><span style='color:#bbb'>■</span> 報告なし {missing}都道府県"
    fig.add_annotation(text=text, xref="paper", yref="y2 domain", x=0, y=1, xanchor="left",
                       yanchor="bottom", showarrow=False, align="left", font=dict(size=11))


def _zoom(points: pd.DataFrame) -> tuple[list[float], list[float]]:
    """Lon and lat ranges around most of the prefecture's municipalities: remote islands (小笠原, 先島) would
    otherwise shrink the mainland to a corner."""
    lon, lat = points["lon"], points["lat"]
    dist = np.hypot(lon - lon.median(), lat - lat.median())
    near = points[dist <= max(3 * dist.median(), 0.3)]
    pad_x = max(near["lon"].max() - near["lon"].min(), 0.3) * 0.1
    pad_y = max(near["lat"].max() - near["lat"].min(), 0.3) * 0.1
    return ([near["lon"].min() - pad_x, near["lon"].max() + pad_x],
            [near["lat"].min() - pad_y, near["lat"].max() + pad_y])


def municipality_dots(points: pd.DataFrame, prefecture_code: str | None = None) -> go.Figure:
    """Every municipality at its coordinates: adopters drawn last and biggest, areas without data faint.
    With a prefecture chosen: zoomed to it, its neighbours faded, and the legend counts its municipalities."""
    mine = points["prefecture_code"] == prefecture_code
    chosen = bool(mine.any())
    if not chosen:
        mine = pd.Series(True, index=points.index)
    fig = go.Figure()
    for faded in (True, False) if chosen else (False,):  # the neighbours first, underneath
        for rank, (state, style) in enumerate(STATES.items()):
            d = points[(points["state"] == state) & (mine != faded)]
            marker = dict(style, opacity=style["opacity"] * (0.25 if faded else 1),
                          size=style["size"] * (1.4 if chosen and not faded else 1))
            empty = [None] if d.empty else None  # a point nowhere keeps "実施済 0団体" in the legend
            fig.add_scatter(x=empty or d["lon"], y=empty or d["lat"], mode="markers", name=f"{state} {len(d):,}団体",
                            marker=marker, showlegend=not faded, legendrank=len(STATES) - rank,
                            text=d["prefecture"] + d["name"], hovertemplate="%{text}<extra>" + state + "</extra>")
    xaxis, yaxis = dict(visible=False), dict(visible=False, scaleanchor="x", scaleratio=1.2)
    title = dict(text="市区町村別の実施状況", subtitle=dict(text="都道府県を選ぶと拡大して表示"))
    if chosen:
        xaxis["range"], yaxis["range"] = _zoom(points[mine])
        title = dict(text=f"{points.loc[mine, 'prefecture'].iloc[0]}の市区町村",
                     subtitle=dict(text="周りの都道府県の団体は薄く表示"))
    fig.update_layout(xaxis=xaxis, yaxis=yaxis, height=560, margin=dict(l=10, r=10, t=60, b=10), font=FONT,
                      title=title, legend=dict(orientation="h", x=0, y=-0.02, yanchor="top", itemsizing="constant"))
    return fig
