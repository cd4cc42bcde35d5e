"""府省庁別: one ministry's measures and KPIs, and a comparison across ministries."""
import streamlit as st

from ui import charts, cockpit, filters, labels, page, state, tables
from warehouse import attention, queries

as_of = page.start("府省庁別", "府省庁ごとの施策とKPIの状況")
c1, c2 = st.columns([3, 1])
ministry = filters.select("府省庁", "ministry", state.query(queries.ministries), container=c1)
lead_only = filters.toggle("主担当(◎)の施策のみ", "lead_only", container=c2)

if ministry:
    measures = state.query(queries.measures_of, ministry, lead_only, None)
    st.subheader(f"{ministry}: {len(measures)}施策")
    tables.kpi_table(state.query(queries.kpi_table, as_of, tuple(measures)), f"kpis_{ministry}_{as_of}")
else:
    st.info("府省庁を選ぶと、その施策とKPIの一覧を表示します。")

st.subheader("府省庁の比較(全国KPIの状況)")
statuses = state.query(queries.statuses)
comparison = state.query(queries.ministry_comparison, as_of, "lead" if lead_only else "involved")
st.plotly_chart(charts.stacked_status(comparison[comparison["family"] != "trend"], "ministry",
                                     "府省庁別のKPIの状況(目標に対する判定、問題の多い順)", statuses), key="ministry_bars")
if (comparison["family"] == "trend").any():
    st.plotly_chart(charts.stacked_status(comparison[comparison["family"] == "trend"], "ministry",
                                         "府省庁別の目標なし・傾向(目標のないKPIのデータの動き)", statuses), key="ministry_trend_bars")
with st.expander("表とダウンロード"):
    table = labels.ja_columns(comparison[["ministry", "kind", "status_label", "kpis"]].assign(
        kind=comparison["kind"].map(labels.KIND_JA)))
    st.dataframe(placeholder="—", data=table, hide_index=True)
    page.download(table, f"ministries_{as_of}")

cockpit.reporting_table(state.query(attention.reporting_status, as_of, "ministry"), "主担当府省庁", f"ministries_{as_of}")
