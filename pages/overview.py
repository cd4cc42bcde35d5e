"""概要: what needs attention first (or, before any data, what the plan holds), then KPIs by status, 進捗 and
効果 side by side, and the 進捗 × 効果 count matrix of measures with its drill-down."""
import pandas as pd
import streamlit as st

from ui import charts, cockpit, filters, labels, page, state, tables
from warehouse import attention, queries

as_of = page.start("概要", "国の施策(82施策)のKPIが順調か、施策が効果を上げているか")

held = state.query(attention.holdings)
if held["real_values"] + held["synthetic_values"] == 0:
    cockpit.empty_state(held)
behind_anywhere = state.query(attention.needing_attention, as_of)
if held["real_values"] + held["synthetic_values"] or not behind_anywhere.empty:  # a deadline passes without data too
    st.subheader("要対応")
    c1, c2 = st.columns([3, 1])
    ministry = filters.select("府省庁で絞り込む(要対応の一覧のみ)", "ministry", state.query(queries.ministries), container=c1)
    lead_only = filters.toggle("主担当(◎)の施策のみ", "lead_only", container=c2)
    behind = attention.of_ministry(behind_anywhere, ministry, lead_only)
    cockpit.attention_table(behind, as_of, "attention")

counts = state.query(queries.status_counts, as_of)
targets, trends = counts[counts["kpi_family"] == "target"], counts[counts["kpi_family"] == "trend"]
left, right = st.columns(2)
for col, kind in ((left, "progress"), (right, "effect")):
    d, t = targets[targets["kind"] == kind], trends[trends["kind"] == kind]
    good = d[d["status"].isin(["achieved", "achieved_then_fell", "on_track", "scheduled"])]["kpis"].sum()
    col.metric(f"{labels.KIND_JA[kind]}KPI(目標あり): 達成・順調・予定どおり", f"{good} / {d['kpis'].sum()}",
               help="目標のあるKPI(データなし・期限後の実績未報告を含む)のうち、達成・期限内達成・順調・予定どおりの件数")
    col.caption(f"目標なし・傾向 {t['kpis'].sum()}件: " + "、".join(
        f"{r.icon} {r.label} {r.kpis}" for r in t.itertuples() if r.status != "no_data")
        + f"、データなし {t.loc[t['status'] == 'no_data', 'kpis'].sum()}")
st.plotly_chart(charts.status_bars(targets, "目標のあるKPIの状況(全国): 進捗と効果"), key="status_bars")
st.plotly_chart(charts.status_bars(trends, "目標なし・傾向(全国): 目標のないKPIのデータの動き"), key="trend_bars")
with st.expander("表とダウンロード"):
    table = counts.assign(種別=counts["kind"].map(labels.KIND_JA), 状況=counts["icon"] + " " + counts["label"],
                          目標=counts["kpi_family"].map({"target": "目標あり", "trend": "目標なし・傾向"}))
    st.dataframe(placeholder="—", data=table[["種別", "目標", "状況", "kpis"]].rename(columns={"kpis": "KPI数"}), hide_index=True)
    page.download(table[["種別", "目標", "状況", "kpis"]], f"status_counts_{as_of}")

st.subheader("進捗 × 効果")
st.caption("施策ごとに、進捗KPIと効果KPIのうち最も悪い状況で分類した施策数。マスを選ぶと、その施策の一覧になります。")
matrix = state.query(queries.measure_matrix, as_of, None, None)  # national, like the counts above
cells = attention.outcome_cells(matrix)
event = st.plotly_chart(charts.outcome_matrix(cells, attention.GROUPS), key="matrix", on_select="rerun",
                        selection_mode="points", config={"displayModeBar": False})
filled = cells[cells["measures"] > 0].set_index(["progress_group", "effect_group"])["measures"]
options = [None, *filled.index]
clicked = [tuple(p["customdata"][:2]) for p in (event.selection.points if event and event.selection else [])
           if p.get("customdata")]
click = clicked[0] if clicked else None
if click != st.session_state.get("_matrix_click"):  # a new click on the chart chooses its cell in the box below
    st.session_state["_matrix_click"] = click
    if click:
        st.session_state["cell"] = click
if st.session_state.get("cell") not in options:  # another report date: that cell may be empty now
    st.session_state.pop("cell", None)
cell = st.selectbox("マスを選ぶ", options, key="cell", format_func=lambda c: "(すべての施策)" if c is None else
                    f"進捗 {attention.GROUPS[c[0]]} × 効果 {attention.GROUPS[c[1]]}({filled[c]}施策)")
chosen = attention.in_cell(matrix, *(cell or (None, None)))
table = pd.DataFrame({
    "施策": [f"No {n} {t}" for n, t in zip(chosen["measure_no"], chosen["title"])],
    "柱": chosen["pillar_short"], "主担当": chosen["lead_ministries"].map(labels.join),
    "進捗": [labels.status(i, s) for i, s in zip(chosen["progress_icon"], chosen["progress_label"])],
    "効果": [labels.status(i, s) for i, s in zip(chosen["effect_icon"], chosen["effect_label"])]})
picked = st.dataframe(placeholder="—", data=table, hide_index=True, key="matrix_table", on_select="rerun",
                      selection_mode="single-row", column_config={"施策": st.column_config.TextColumn(width="large")})
st.caption(f"{len(table)}施策(悪い順)。行を選ぶと、その施策の詳細(取組から効果までのつながり)を開きます。")
page.download(table, f"progress_effect_{as_of}")
tables.open_selected_measure(picked, chosen)
