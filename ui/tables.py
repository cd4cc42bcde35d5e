"""KPI tables shared by the ministry and pillar pages: status with icon, latest vs target, sparkline."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from ui import labels, page


def kpi_table(df: pd.DataFrame, name: str) -> None:
    if df.empty:
        st.info("該当するKPIがありません。")
        return
    view = pd.DataFrame({
        "施策": df["measure_no"],
        "KPI": df["kpi_id"],
        "種別": df["kind"].map(labels.KIND_JA),
        "指標": df["name"],
        "状況": [labels.status(i, l) for i, l in zip(df["status_icon"], df["status_label"])],
        "最新値": [labels.number(v, u) for v, u in zip(df["latest_value"], df["unit"])],
        "時点": df["latest_period"],
        "目標": [labels.number(v, u) for v, u in zip(df["target_value"], df["unit"])],
        "目標年度": df["target_fy"].map(labels.fy),
        "推移": df["series"].map(lambda s: list(s) if isinstance(s, (list, tuple)) or hasattr(s, "__len__") else []),
        "現在のペースでの見込み": [labels.projection(v, d, r, u) for v, d, r, u in
                             zip(df["projected_value"], df["projected_reach_date"], df["reaches_by_deadline"], df["unit"])],
        "判定理由": df["status_reason"],
    })
    st.dataframe(view, hide_index=True, key=f"kpis_{name}",
                 column_config={"推移": st.column_config.LineChartColumn("推移", width="small"),
                                "指標": st.column_config.TextColumn(width="large")})
    without_target = df["status_rule"] == "trend"
    no_data = df["status"] == "no_data"
    st.caption(f"KPI {len(df)}件のうち、目標なし(傾向のみ表示・判定の件数に含めない){int(without_target.sum())}件"
               f"(うちデータなし {int((without_target & no_data).sum())}件)、"
               f"目標ありでデータなし {int((~without_target & no_data).sum())}件")
    page.download(view.drop(columns=["推移"]), name)
