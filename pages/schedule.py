"""工程表: the 2013–2021 schedule of the 地方創生IT利活用促進プラン as a Gantt chart."""
import streamlit as st

from ui import charts, filters, labels, page, state
from warehouse import queries

as_of = page.start("工程表", "地方創生IT利活用促進プラン 実施スケジュール(平成27年6月30日)")
ministry = filters.select("府省庁", "ministry", state.query(queries.schedule_ministries))
items = state.query(queries.schedule, ministry)
phases = [(2013, 2015, "短期"), (2016, 2018, "中期"), (2019, 2021, "長期")]
if items.empty:
    st.info("該当する工程がありません。")
else:
    st.plotly_chart(charts.gantt(items, as_of, phases), key="gantt")
    view = items.assign(ministries=items["ministries"].map(labels.join),
                        期間=items["start_fy"].map(labels.fy) + " 〜 " + items["end_fy"].map(labels.fy))
    st.dataframe(placeholder="—", data=view[["item_id", "section", "title", "ministries", "期間", "phase"]].rename(
        columns={"item_id": "ID", "section": "施策群", "title": "工程", "ministries": "府省庁", "phase": "開始時の区分"}),
        hide_index=True, key="schedule_table")
    page.download(view.drop(columns=["ministries"]), "schedule")
    st.caption(f"{len(items)}工程。PDFからの抽出で重複した行は除いています(データ品質のページを参照)。")
