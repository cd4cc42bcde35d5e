"""概要: what needs attention first (or, before any data, what the plan holds), then KPIs by status, 進捗 and
効果 side by side, and the 進捗 × 効果 matrix of measures."""
import streamlit as st

from ui import charts, cockpit, filters, labels, page, state
from warehouse import attention, queries

as_of = page.start("概要", "国の施策(82施策)のKPIが順調か、施策が効果を上げているか")

held = state.query(attention.holdings)
if held["real_values"] + held["synthetic_values"] == 0:
    cockpit.empty_state(held)
else:
    st.subheader("要対応")
    c1, c2 = st.columns([3, 1])
    ministry = filters.select("府省庁で絞り込む(要対応の一覧のみ)", "ministry", state.query(queries.ministries), container=c1)
    lead_only = filters.toggle("主担当(◎)の施策のみ", "lead_only", container=c2)
    behind = attention.of_ministry(state.query(attention.needing_attention, as_of), ministry, lead_only)
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
matrix = state.query(queries.measure_matrix, as_of, None, None)  # national, like the counts above
event = st.plotly_chart(charts.progress_effect_matrix(matrix, state.query(queries.statuses)), key="matrix",
                        on_select="rerun", selection_mode="points")
picked = [p["customdata"][0] for p in (event.selection.points if event and event.selection else []) if p.get("customdata")]
table = matrix.assign(進捗=matrix["progress_icon"] + " " + matrix["progress_label"],
                      効果=matrix["effect_icon"] + " " + matrix["effect_label"],
                      主担当=matrix["lead_ministries"].map(labels.join))
st.dataframe(placeholder="—", data=table[["measure_no", "title", "pillar", "主担当", "進捗", "効果"]].rename(
    columns={"measure_no": "No", "title": "施策名", "pillar": "柱"}), hide_index=True, key="matrix_table")
page.download(table[["measure_no", "title", "pillar", "主担当", "進捗", "効果"]], f"progress_effect_{as_of}")
choice = st.selectbox("施策の詳細を開く", [None, *matrix["measure_no"].tolist()], key="open_measure",
                      format_func=lambda n: "(選択)" if n is None else f"No {n} {matrix.set_index('measure_no').at[n, 'title']}")
target = picked[0] if picked else choice
if target is not None:
    filters.put("measure", int(target))
    st.switch_page("pages/measure.py")
