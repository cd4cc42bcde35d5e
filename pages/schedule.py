"""工程表: the 2013–2021 schedule of the 地方創生IT利活用促進プラン as a Gantt chart."""
import streamlit as st

from ui import filters, gantt, labels, page, state
from warehouse import queries

as_of = page.start("工程表", "地方創生IT利活用促進プラン 実施スケジュール(平成27年6月30日)")
ministry = filters.select("府省庁", "ministry", state.query(queries.schedule_ministries))
items = state.query(queries.schedule, ministry)
phases = ((2013, 2015, "短期"), (2016, 2018, "中期"), (2019, 2021, "長期"))
# Plotly cannot move its legend or thin its year labels by screen width: phones say so in their user agent.
phone = "Mobi" in st.context.headers.get("User-Agent", "")
if items.empty:
    st.info("該当する工程がありません。")
else:
    items = items.assign(state=gantt.plan_states(items, as_of))
    counts = items["state"].value_counts()
    st.markdown(f"**計画上の状況**(基準日 {labels.date_ja(as_of)}): "
                + " ・ ".join(f"{s} **{counts.get(s, 0)}**" for s in gantt.PLAN_STATES) + f" 工程(全{len(items)}工程)")
    st.caption("工程表には実績の報告がないため、状況は計画期間と基準日の年度(4月〜翌3月)から判断しています"
               "(終了: 計画期間が基準日の年度より前に終わっている、実施中: 基準日の年度が計画期間内、開始前: 計画期間がまだ始まっていない)。"
               "実施の結果を示すものではありません。棒の色と模様は施策群、薄い棒は計画上終了した工程、やや薄い棒は開始前の工程です。")
    # on a phone the tool bar would cover the year labels
    st.plotly_chart(state.chart("ui.gantt:gantt", queries.schedule, ministry, as_of=as_of, phases=phases, compact=phone),
                    key="gantt", config={"displayModeBar": not phone})
    view = items.assign(ministries=items["ministries"].map(labels.join),
                        期間=items["start_fy"].map(labels.fy) + " 〜 " + items["end_fy"].map(labels.fy))
    table = view[["item_id", "title", "state", "期間", "ministries", "section", "phase"]].rename(
        columns={"item_id": "ID", "section": "施策群", "title": "工程", "ministries": "府省庁", "state": "計画上の状況",
                 "phase": "開始時の区分"})
    st.dataframe(placeholder="—", data=table, hide_index=True, key="schedule_table")
    page.download(table, "schedule")
    st.caption(f"{len(items)}工程。PDFからの抽出で重複した行は除いています(データ品質のページを参照)。")
