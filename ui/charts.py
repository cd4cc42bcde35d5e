"""Chart builders: pure functions from query frames to Plotly figures (tested without a browser).

Status colours come from the statuses table (Okabe–Ito, colour-blind safe); every chart also
writes the status label or icon on the marks, so colour is never the only signal.
"""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from etl.reference import ink
from etl.text import period_label, year_to_wareki
from warehouse.attention import ATTENTION

FONT = dict(family="Noto Sans JP, Hiragino Sans, Yu Gothic, Meiryo, sans-serif")
KIND_JA = {"progress": "進捗", "effect": "効果", "reference": "参考"}


def fiscal_year_axis(fig: go.Figure, first: pd.Timestamp, last: pd.Timestamp, max_labels: int = 10,
                     **axis) -> go.Figure:
    """A time axis read in fiscal years: each year's label (和暦 with the western year) in the middle of its
    April–March span, a grid line where it starts. A fiscal year's value (dated its last day, 31 March)
    thus sits inside its own year's span, at its right edge, not under the next year's label."""
    first_fy = first.year if first.month >= 4 else first.year - 1
    last_fy = last.year if last.month >= 4 else last.year - 1
    years = list(range(first_fy, last_fy + 1))
    step = max(1, -(-len(years) // max_labels))  # at most about ten labels (fewer on a phone)
    shown = years[::step]
    fig.update_xaxes(type="date", tickmode="array", tickvals=[pd.Timestamp(f"{y}-10-01") for y in shown],
                     ticktext=[f"{year_to_wareki(y)}<br>({y})" for y in shown], showgrid=False, ticks="",
                     minor=dict(tickmode="array", tickvals=[pd.Timestamp(f"{y}-04-01") for y in years + [years[-1] + 1]],
                                showgrid=True, gridcolor="#ddd", ticks="outside"), **axis)
    return fig


def _layout(fig: go.Figure, height: int = 360, **kw) -> go.Figure:
    # the legend under the plot: beside it, it takes half the width of a phone
    fig.update_layout(**{"height": height, "margin": dict(l=10, r=10, t=40, b=10), "font": FONT,
                         "legend": dict(orientation="h", yanchor="top", y=-0.25, xanchor="left", x=0, title_text=""), **kw})
    return fig


def status_bars(counts: pd.DataFrame, title: str = "KPIの状況(全国): 進捗と効果") -> go.Figure:
    """KPIs by status, 進捗 and 効果 side by side (one bar group per status)."""
    fig = go.Figure()
    for kind, pattern in (("progress", ""), ("effect", "/")):
        d = counts[counts["kind"] == kind]
        fig.add_bar(x=[f"{i} {l}" for i, l in zip(d["icon"], d["label"])], y=d["kpis"], name=KIND_JA[kind],
                    marker=dict(color=d["color"].tolist(), pattern_shape=pattern, line=dict(color="#333", width=1)),
                    text=d["kpis"], textposition="outside")
    fig.update_layout(barmode="group", yaxis_title="KPI数")
    return _layout(fig, title=title)


def outcome_matrix(cells: pd.DataFrame, groups: dict[str, str]) -> go.Figure:
    """Measures counted per 進捗 × 効果 reading (attention.outcome_cells): a square per cell sized by its
    count, the count written in it; clicking a cell selects it (customdata: the two group codes)."""
    order = list(groups)
    names = [groups[g].replace("・", "・<br>", 1) for g in order]  # narrow columns: readable on a phone
    x = cells["progress_group"].map(order.index)
    y = cells["effect_group"].map(order.index)
    biggest = max(1, int(cells["measures"].max()))
    # the two cells staff look for first get a colour; the rest stay neutral
    tone = {("good", "attention"): "#E69F00", ("attention", "good"): "#E69F00", ("good", "good"): "#009E73",
            ("attention", "attention"): "#D55E00"}
    colors = [tone.get((p, e), "#56B4E9") for p, e in zip(cells["progress_group"], cells["effect_group"])]
    fig = go.Figure(go.Scatter(
        x=x, y=y, mode="markers+text", text=[str(n) for n in cells["measures"]],  # an empty cell says 0
        textfont=dict(size=14, color="#000"),
        marker=dict(symbol="square", size=[18 + 30 * (n / biggest) ** 0.5 if n else 0 for n in cells["measures"]],
                    color=colors, opacity=0.55, line=dict(color="#333", width=1)),
        customdata=np.stack([cells["progress_group"], cells["effect_group"],
                             [groups[g] for g in cells["progress_group"]], [groups[g] for g in cells["effect_group"]],
                             cells["measures"]], axis=1),
        hovertemplate="進捗: %{customdata[2]} × 効果: %{customdata[3]}<br>%{customdata[4]}施策(選ぶと一覧)<extra></extra>",
        showlegend=False))
    axis = dict(tickmode="array", tickvals=list(range(len(order))), ticktext=names, range=[-0.6, len(order) - 0.4],
                zeroline=False, showgrid=True, fixedrange=True, tickangle=0)
    # axis titles short: at 390 px a long one runs into the column headings (the caption says the rest)
    fig.update_layout(xaxis=dict(title="進捗KPIの状況", side="top", **axis),
                      yaxis=dict(title="効果KPIの状況", autorange="reversed", **axis), dragmode=False)
    # the two cells that say most about a measure's logic: shaded, named at their top
    a, g = order.index("attention"), order.index("good")
    for x0, y0, text in ((g, a, "実施は順調<br>効果が出ていない"), (a, g, "効果はあるが<br>実施が遅れ")):
        fig.add_shape(type="rect", x0=x0 - 0.5, x1=x0 + 0.5, y0=y0 - 0.5, y1=y0 + 0.5, line_width=0,
                      fillcolor="#E69F00", opacity=0.12, layer="below")
        fig.add_annotation(x=x0, y=y0 - 0.47, text=text, showarrow=False, yanchor="top", font=dict(size=9, color="#333"))
    return _layout(fig, height=460, title="進捗 × 効果(施策数)", margin=dict(l=10, r=10, t=110, b=10))


def stacked_status(df: pd.DataFrame, category: str, title: str, statuses: pd.DataFrame) -> go.Figure:
    """KPI status counts stacked per category (ministry or pillar) and kind, one segment per status in the
    fixed order of `statuses` (worst first, so the problems line up on the left), every status of the
    chart in the legend with its icon. Statuses with nothing to judge (データなし …) are not stacked: they
    would set the scale; their count is written beside the category instead."""
    families = set(statuses.loc[statuses["code"].isin(df["status"]), "family"]) - {"none"}
    order = statuses[statuses["family"].isin(families) & (statuses["code"] != "not_adopted")].sort_values("rank")
    counts = df.pivot_table(index=[category, "kind"], columns="status", values="kpis", aggfunc="sum", fill_value=0, sort=False)
    counts = counts.reindex(columns=sorted(set(counts.columns) | set(order["code"])), fill_value=0)
    # categories with the most problems first (進捗 and 効果 of one category stay together)
    problems = counts[[c for c in ATTENTION if c in counts.columns]].sum(axis=1).groupby(level=0, sort=False).sum()
    first = {c: i for i, c in enumerate(problems.sort_values(ascending=False, kind="stable").index)}
    counts = counts.iloc[sorted(range(len(counts)), key=lambda i: (first[counts.index[i][0]], counts.index[i][1] != "progress"))]
    nothing = counts[[c for c in counts.columns if c not in set(order["code"])]].sum(axis=1)
    rows = [f"{c} [{KIND_JA[k]}]" + (f"(判定なし {n})" if n else "") for (c, k), n in zip(counts.index, nothing)]
    fig = go.Figure()
    for s in order.itertuples():
        name = f"{s.icon} {s.label}"
        # the icon and count on each segment: told apart without colour
        fig.add_bar(y=rows, x=counts[s.code].tolist(), name=name, orientation="h", marker_color=s.color,
                    marker_line=dict(color="#333", width=0.5), hovertemplate=f"%{{y}} {name}: %{{x}}<extra></extra>",
                    text=[f"{s.icon}{n}" if n else "" for n in counts[s.code]], textposition="inside",
                    insidetextanchor="middle", textfont=dict(color="#" + ink(s.color), size=11))
    fig.update_layout(barmode="stack", xaxis_title="KPI数", yaxis=dict(autorange="reversed", type="category"),
                      legend=dict(traceorder="normal"))
    return _layout(fig, height=max(300, 24 * len(rows) + 100), title=title)


def heatmap(df: pd.DataFrame, rows: str, cols: str, value: str, title: str) -> go.Figure:
    pivot = df.pivot_table(index=rows, columns=cols, values=value, aggfunc="sum", fill_value=0, sort=False)
    fig = go.Figure(go.Heatmap(z=pivot.values, x=list(pivot.columns), y=list(pivot.index), colorscale="Cividis",
                               text=pivot.values, texttemplate="%{text}", hovertemplate="%{y} × %{x}: %{z}<extra></extra>"))
    fig.update_layout(xaxis=dict(type="category"), yaxis=dict(type="category", autorange="reversed"))
    return _layout(fig, height=max(300, 28 * len(pivot) + 120), title=title)


def pace_path(y0: float, t0: pd.Timestamp, yt: float, t: pd.Timestamp, until: pd.Timestamp, basis: str,
              points: int = 12) -> tuple[list[pd.Timestamp], list[float]]:
    """The current pace carried from the latest value to `until`, as the status view projects it:
    compound growth ('cagr') or change per year ('linear'); it ends at kpi_status.projected_value."""
    done = (t - t0).days / 365.25
    xs = [t + (until - t) * i / points for i in range(points + 1)]
    years = [(x - t0).days / 365.25 for x in xs]
    if basis == "cagr":
        return xs, [y0 * (yt / y0) ** (y / done) for y in years]
    return xs, [y0 + (yt - y0) * y / done for y in years]


def milestone_reports(series: pd.DataFrame, kpi: dict, as_of: dt.date) -> go.Figure:
    """A dated milestone: its reports as 未実施 / 実施済 points (nothing in between) and its deadline."""
    fig = go.Figure()
    done = series["value"] >= 1
    for mask, name, color, symbol in ((~done, "未実施の報告", "#767676", "circle-open"), (done, "実施済の報告", "#009E73", "circle")):
        d = series[mask]
        fig.add_scatter(x=d["period_end"], y=d["value"].clip(0, 1), mode="markers", name=name,
                        marker=dict(size=12, color=color, symbol=symbol, line=dict(color=color, width=2)))
    tdate = kpi.get("target_date")
    if tdate is not None and not pd.isna(tdate):
        fig.add_vline(x=pd.Timestamp(tdate).timestamp() * 1000, line=dict(color="#D55E00", dash="dash"),
                      annotation_text="期限", annotation_position="top left")
    fig.add_vline(x=pd.Timestamp(as_of).timestamp() * 1000, line=dict(color="#333", width=1))
    fig.update_layout(yaxis=dict(tickvals=[0, 1], ticktext=["未実施", "実施済"], range=[-0.4, 1.4]))
    _series_axis(fig, series, kpi, as_of)
    return _layout(fig, height=240, title=f"{kpi.get('kpi_id', '')} {kpi.get('name', '')}(実施の有無)")


def kpi_timeseries(series: pd.DataFrame, kpi: dict, as_of: dt.date) -> go.Figure:
    """Observed values, the target, the path needed from the base to the target, and the projection."""
    if kpi.get("status_rule") == "milestone":
        return milestone_reports(series, kpi, as_of)
    fig = go.Figure()
    if not series.empty:
        real = series[~series["is_synthetic"].astype(bool)]
        synth = series[series["is_synthetic"].astype(bool)]
        unit = kpi.get("unit") if isinstance(kpi.get("unit"), str) else ""
        hover = "%{customdata}: %{y:,.10g}" + unit.replace("%", "%%") + "<extra></extra>"  # 和暦, never 'Mar 31, 2021'
        if not real.empty:
            fig.add_scatter(x=real["period_end"], y=real["value"], mode="lines+markers", name="実績",
                            line=dict(color="#0072B2"), customdata=real["period"].map(period_label), hovertemplate=hover)
        if not synth.empty:
            fig.add_scatter(x=synth["period_end"], y=synth["value"], mode="lines+markers", name="実績(デモ・合成データ)",
                            line=dict(color="#0072B2", dash="dot"), marker=dict(symbol="circle-open"),
                            customdata=synth["period"].map(period_label), hovertemplate=hover)
    target, tdate = kpi.get("target_value"), kpi.get("target_date")
    if target is not None and not pd.isna(target) and tdate is not None and not pd.isna(tdate):
        fig.add_scatter(x=[tdate], y=[target], mode="markers+text", name="目標", text=["目標"], textposition="top center",
                        marker=dict(symbol="star", size=14, color="#D55E00"))
        fig.add_hline(y=target, line=dict(color="#D55E00", dash="dash", width=1))
        base, t0 = kpi.get("base_value"), kpi.get("base_end")
        if pd.notna(base) and pd.notna(t0):
            fig.add_scatter(x=[t0, tdate], y=[base, target], mode="lines", name="目標に必要な経路(線形)",
                            line=dict(color="#767676", dash="dot"))
            latest, t = kpi.get("latest_value"), kpi.get("latest_end")
            if kpi.get("pace_basis") in ("cagr", "linear") and pd.notna(latest) and pd.Timestamp(t) < pd.Timestamp(tdate):
                x, y = pace_path(base, pd.Timestamp(t0), latest, pd.Timestamp(t), pd.Timestamp(tdate), kpi["pace_basis"])
                fig.add_scatter(x=x, y=y, mode="lines", name="現在のペースでの見込み", line=dict(color="#009E73", dash="dashdot"))
    fig.add_vline(x=pd.Timestamp(as_of).timestamp() * 1000, line=dict(color="#333", width=1),
                  annotation_text="基準日", annotation_position="bottom right", annotation_font_size=10)
    _series_axis(fig, series, kpi, as_of)
    unit = kpi.get("unit")
    return _layout(fig, height=320, title=f"{kpi.get('kpi_id', '')} {kpi.get('name', '')}",
                   yaxis_title=unit if isinstance(unit, str) else "")


def _series_axis(fig: go.Figure, series: pd.DataFrame, kpi: dict, as_of: dt.date) -> None:
    """The fiscal-year axis spanning the series, the deadline and the report date."""
    points = [pd.Timestamp(as_of), *pd.to_datetime(series["period_end"]).tolist()]
    if kpi.get("target_date") is not None and not pd.isna(kpi.get("target_date")):
        points.append(pd.Timestamp(kpi["target_date"]))
    fiscal_year_axis(fig, min(points), max(points))
