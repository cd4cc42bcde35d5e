"""柱別: one pillar's measures and KPIs, a comparison across pillars, and the pillar × ministry matrix."""
import streamlit as st

from ui import charts, cockpit, filters, labels, page, state, tables
from warehouse import attention, document_queries, queries

as_of = page.start("柱別", "官民データ活用推進計画の柱ごとの状況")
pillar = filters.select("柱", "pillar", state.query(queries.pillars),
                        format_func=lambda n: labels.pillar(n, state.query(queries.pillar_short_names)))

if pillar:
    measures = state.query(queries.measures_of, None, False, pillar)
    st.subheader(f"{labels.pillar(pillar, state.query(queries.pillar_short_names))}: {len(measures)}施策")
    tables.kpi_table(state.query(queries.kpi_table, as_of, tuple(measures)), f"kpis_pillar_{as_of}")
else:
    st.info("柱を選ぶと、その施策とKPIの一覧を表示します。")

st.subheader("柱の比較(全国KPIの状況)")
statuses = state.query(queries.statuses)
comparison = state.query(queries.pillar_comparison, as_of)
cockpit.status_comparison(comparison, "pillar_short", "柱", statuses, "pillar", "pillar", f"pillars_{as_of}")

st.subheader("ICT政策の方向性(総務省)別の状況")
st.caption("総務省「ICT政策の方向性」の5つの方向性による分類です。資料は施策と対応付けていないため、"
           "施策ごとに理由を付けて対応付けました(主な対応で集計。対応する方向性のない施策は「(対応なし)」)。")
cockpit.status_comparison(state.query(document_queries.direction_comparison, as_of), "direction", "方向性", statuses,
                          "direction", "direction", f"directions_{as_of}")

cockpit.reporting_table(state.query(attention.reporting_status, as_of, "pillar"), "柱", f"pillars_{as_of}")

st.subheader("柱 × 主担当府省庁(施策数)")
matrix = state.query(queries.pillar_ministry_matrix)
st.plotly_chart(charts.heatmap(matrix, "pillar", "ministry", "measures", "柱 × 主担当府省庁"), key="pillar_matrix")
with st.expander("表とダウンロード"):
    pivot = matrix.pivot_table(index="pillar", columns="ministry", values="measures", aggfunc="sum", fill_value=0)
    st.dataframe(placeholder="—", data=pivot.rename_axis(index="柱", columns="府省庁"))
    page.download(labels.ja_columns(matrix[["pillar", "ministry", "measures"]]), "pillar_ministry")
