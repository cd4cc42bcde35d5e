"""KPI tables shared by the ministry and pillar pages: worst first, a status filter, numbers that sort as
numbers, the measure's title, and a row that opens its measure."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from ui import filters, labels, page


def open_selected_measure(event, rows: pd.DataFrame) -> None:
    """Open the measure of the row chosen in a table (`rows`: the frame behind it, with measure_no)."""
    chosen = event.selection.rows if event and event.selection else []
    if chosen:
        filters.put("measure", int(rows.iloc[chosen[0]]["measure_no"]))
        st.switch_page("pages/measure.py")


def kpi_table(df: pd.DataFrame, name: str) -> None:
    if df.empty:
        st.info("該当するKPIがありません。")
        return
    present = df.drop_duplicates("status").sort_values("sort_order")
    shown = st.multiselect("状況で絞り込む", list(present["status"]), key=f"status_{name}",
                           format_func=dict(zip(present["status"], labels.status_series(present))).get,
                           placeholder="(すべての状況)")
    d = df[df["status"].isin(shown)] if shown else df
    view = pd.DataFrame({
        "状況": labels.status_series(d),
        "施策": [f"No {n} {t}" for n, t in zip(d["measure_no"], d["title"])],
        "KPI": d["kpi_id"],
        "種別": d["kind"].map(labels.KIND_JA),
        "指標": d["name"],
        "最新値": d["latest_value"],
        "目標": d["target_value"],
        "単位": d["unit"].where(d["unit"].map(lambda u: isinstance(u, str)), ""),
        "時点": d["latest_period"].map(labels.period),
        "目標年度": d["target_fy"].map(labels.fy),
        "推移": d["series"].map(lambda s: list(s) if isinstance(s, (list, tuple)) or hasattr(s, "__len__") else []),
        "現在のペースでの見込み": [labels.projection(v, t, r, u) for v, t, r, u in
                             zip(d["projected_value"], d["projected_reach_date"], d["reaches_by_deadline"], d["unit"])],
        "判定理由": d["status_reason"],
    })
    event = st.dataframe(
        view, placeholder="—", hide_index=True, key=f"kpis_{name}", on_select="rerun", selection_mode="single-row",
        height=min(38 + 35 * len(view), 640),
        column_config={"推移": st.column_config.LineChartColumn("推移", width="small"),
                       "施策": st.column_config.TextColumn(width="medium"),
                       "指標": st.column_config.TextColumn(width="large"),
                       "最新値": st.column_config.NumberColumn(format="localized"),
                       "目標": st.column_config.NumberColumn(format="localized")})
    without_target = df["status_rule"] == "trend"
    no_data = df["status"] == "no_data"
    st.caption(f"悪い順。行を選ぶと、その施策の詳細を開きます。KPI {len(df)}件のうち、"
               f"目標なし(傾向のみ表示・判定の件数に含めない){int(without_target.sum())}件"
               f"(うちデータなし {int((without_target & no_data).sum())}件)、"
               f"目標ありでデータなし {int((~without_target & no_data).sum())}件")
    page.download(view.drop(columns=["推移"]), name)
    open_selected_measure(event, d)
