"""施策一覧: every measure of the plan, filterable by pillar, ministry and title."""
import streamlit as st

from ui import filters, labels, page, state
from warehouse import queries

page.start("施策一覧", "官民データ活用推進計画「市町村の施策に関する国の施策一覧」(令和元年) の82施策")
c1, c2, c3, c4 = st.columns([2, 2, 1, 2])
pillar = filters.select("柱", "pillar", state.query(queries.pillars),
                        format_func=lambda n: labels.pillar(n, state.query(queries.pillar_short_names)), container=c1)
ministry = filters.select("府省庁", "ministry", state.query(queries.ministries), container=c2)
lead_only = filters.toggle("主担当(◎)のみ", "lead_only", container=c3)
search = filters.text("施策名で検索", "q", container=c4)

df = state.query(queries.measure_list, pillar, ministry, lead_only, search)
view = df.assign(
    pillar=df["pillar"].fillna("(柱なし)"),
    lead_ministries=df["lead_ministries"].map(labels.join),
    ministries=df["ministries"].map(labels.join),
    plan_start_fy=df["plan_start_fy"].map(labels.fy),
    needs_review=df["needs_review"].map({True: "⚠ 要確認", False: ""}),
)
st.dataframe(
    view, placeholder="—",
    hide_index=True,
    key="measures",
    column_config={
        "measure_no": st.column_config.NumberColumn("No", format="%d"),
        "national_measure_no": "国の施策番号",
        "title": st.column_config.TextColumn("施策名", width="large"),
        "pillar": "対応する柱",
        "lead_ministries": "主担当府省庁",
        "ministries": "府省庁",
        "plan_listing": "計画掲載時期",
        "plan_start_fy": "掲載開始年度",
        "kpi_progress_text": "KPI(進捗)",
        "kpi_effect_text": "KPI(効果)",
        "needs_review": "データ品質",
    },
)
page.download(view.rename(columns={  # the headings the table shows
    "measure_no": "No", "national_measure_no": "国の施策番号", "title": "施策名", "pillar": "対応する柱",
    "lead_ministries": "主担当府省庁", "ministries": "府省庁", "plan_listing": "計画掲載時期", "plan_start_fy": "掲載開始年度",
    "kpi_progress_text": "KPI(進捗)", "kpi_effect_text": "KPI(効果)", "needs_review": "データ品質"}), "measures")
counts = state.query(queries.warehouse_counts)
st.caption(
    f"{len(df)} / {counts['measures']} 施策 ・ KPI {counts['kpis']} 件(うち目標値あり {counts['kpis_with_target']} 件)"
    f" ・ 工程 {counts['schedule_items']} 件 ・ データ品質の警告 {counts['quality_warnings']} 件"
)
