"""府省庁別: one ministry's measures and KPIs, and a comparison across ministries."""
import streamlit as st

from ui import cockpit, filters, page, state, tables
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
cockpit.status_comparison(comparison, "ministry", "府省庁", statuses, "ministry", "ministry", f"ministries_{as_of}")

cockpit.reporting_table(state.query(attention.reporting_status, as_of, "ministry"), "主担当府省庁", f"ministries_{as_of}")
