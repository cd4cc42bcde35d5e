"""施策詳細: everything the 施策一覧 says about one measure, its KPIs over time, sources and schedule items."""
import pandas as pd
import streamlit as st

from ui import charts, cockpit, filters, labels, page, state
from warehouse import datacall_queries, document_queries, queries

as_of = page.start("施策詳細")
options = state.query(queries.measure_options)
titles = dict(zip(options["measure_no"].astype(str), options["title"]))
no = filters.select("施策", "measure", list(titles), format_func=lambda n: f"No {n} {titles[n]}", all_label=None)
m = state.query(queries.measure, int(no))

st.header(f"No {m['measure_no']} {m['title']}")
c1, c2, c3 = st.columns(3)
c1.markdown(f"**柱**: {m['pillar'] or '(記載なし)'}  \n**国の施策番号**: {m['national_measure_no'] or '(記載なし)'}")
c2.markdown(f"**主担当**: {labels.join(m['lead_ministries'])}  \n**府省庁**: {labels.join(m['ministries'])}")
c3.markdown(f"**計画掲載時期**: {m['plan_listing'] or '—'}  \n**予算事業**: {labels.join(m['budget_items']) or '—'}")
effects = [n for n, col in (("行政の効率化・コスト削減", "effect_efficiency"), ("地域社会・経済の活性化", "effect_economy"),
                            ("住民生活の利便性・質の向上", "effect_convenience"), ("住民生活の安全・安心の確保", "effect_safety")) if m[col]]
detail = state.query(queries.measure_kpi_detail, as_of, int(no))
cockpit.logic_model(m, detail, effects)
with st.expander("課題・取組概要(全文)"):
    st.markdown("\n".join(f"- {i}" for i in m["overview_items"]) if len(m["overview_items"]) else m["overview"] or "—")
with st.expander("市町村等への支援策"):
    st.markdown(m["support"] or "—")
with st.expander("ICT政策の方向性(総務省)との対応"):
    links = state.query(document_queries.measure_directions, int(no))
    st.caption("資料間に対応の記載がないため、施策の内容から理由を付けて対応付けたものです。")
    st.dataframe(placeholder="—", hide_index=True, data=labels.ja_columns(
        links.assign(role=links["role"].map({"primary": "主", "secondary": "副"}))[["role", "direction", "sub_measure", "reason"]]))
for url in m["reference_urls"]:
    st.link_button(f"参考URL: {url[:60]}", url)

st.subheader("KPI")
said = state.query(datacall_queries.measure_comments, int(no), as_of)
for k in detail.to_dict("records"):
    series = state.query(queries.kpi_series, k["kpi_id"], as_of)
    st.markdown(f"**{labels.KIND_JA.get(k['kind'], '')} {k['kpi_id']}** {labels.plain(k['name'])} — "
                f"{labels.status(k['status_icon'], k['status_label'])}:{labels.plain(k['status_reason'])}")
    if outlook := labels.projection(k["projected_value"], k["projected_reach_date"], k["reaches_by_deadline"], k["unit"]):
        st.caption(f"現在のペースでの見込み: {outlook}")
    cockpit.commentary(said[said["kpi_id"] == k["kpi_id"]], k["kpi_id"])
    with st.expander(f"{k['kpi_id']} の定義と判定方法"):
        st.markdown("\n".join([
            f"- **計画の記載**: {labels.plain(k['source_text'])}",
            f"- **目標(記載)**: {labels.plain(k['target_text']) if isinstance(k['target_text'], str) else '(記載なし)'}",
            f"- **目標(読み取り)**: {labels.number(k['target_value'], k['unit'])}、期限 {labels.deadline(k['target_date'])}",
            f"- **単位**: {k['unit'] if isinstance(k['unit'], str) else '(なし)'}、"
            f"**集計単位**: {labels.LEVEL_JA.get(k['area_level'], k['area_level'])}",
            f"- **判定方法**: {labels.RULE_JA.get(k['status_rule'], '—')}(閾値: {k['method_label']})",
            f"- **最新の実績**: {labels.period(k['latest_period'])}",
        ]))
    if series.empty:
        st.caption("この基準日までの実績値はありません。" + (f"目標: {labels.number(k['target_value'], k['unit'])}"
                                                   if pd.notna(k["target_value"]) else ""))
    if not series.empty or pd.notna(k["target_date"]):  # the target and its deadline, even before any data
        st.plotly_chart(charts.kpi_timeseries(series, k, as_of), key=f"ts_{k['kpi_id']}")
    if series.empty:
        continue
    quotes = series[series["origin"] == "document"] if not series.empty else series
    for q in quotes.itertuples():
        st.caption(labels.plain(f"出典: {q.source} 「{q.quote}」({labels.location(q.location)})"))
    if not series.empty:
        with st.expander(f"{k['kpi_id']} の値"):
            origin = series["origin"].map(labels.ORIGIN_JA).fillna(series["origin"])
            st.dataframe(placeholder="—", data=labels.ja_columns(series[["period", "value", "source"]].assign(
                origin=origin, period=series["period"].map(labels.period))), hide_index=True)
            page.download(series, f"series_{k['kpi_id']}_{as_of}")

figures = state.query(document_queries.measure_figures, int(no))
if not figures.empty:
    st.subheader("資料に記載された数値")
    st.caption("出典資料の数値のうち、この施策のKPIに対応付けたものです(対応付けは理由とともに確認済み)。"
               "「参考」はKPIと同じものを数えていないため、判定には使いません。")
    for (kpi, relation), group in figures.groupby(["kpi_id", "relation"], sort=False):
        values = [labels.number(v, u) for v, u in zip(group["value"], group["unit"])]
        head = f"**{kpi}** {labels.RELATION_JA[relation]}: " + " + ".join(labels.plain(v) for v in values)
        if relation == "component":
            head += f" = {labels.plain(labels.number(group['value'].sum(), group['unit'].iloc[0]))}(KPIの値として使用)"
        st.markdown(head)
        for f in group.itertuples():
            st.caption(labels.plain(f"{labels.number(f.value, f.unit)}({f.as_of_text if isinstance(f.as_of_text, str) else '時点の記載なし'})"
                                        f"「{f.quote}」— {f.line}。理由: {f.reason}"))

cockpit.comment_entry(m, detail, as_of)

st.subheader("関連する可能性のある工程(工程表)")
st.caption("施策一覧と工程表の間に対応関係の記載はないため、名称の類似度(文字の2-gram)で候補を示しています。")
related = state.query(queries.related_schedule_items, int(no))
if related.empty:
    st.write("類似する工程は見つかりませんでした。")
else:
    st.dataframe(placeholder="—", data=pd.DataFrame({
        "工程": related["item_id"], "施策群": related["section"], "項目": related["title"],
        "府省庁": related["ministries"].map(labels.join),
        "期間": [labels.fy(a) if a == b else f"{labels.fy(a)}〜{labels.fy(b)}" for a, b in zip(related["start_fy"], related["end_fy"])],
        "段階": related["phase"], "類似度": related["similarity"].round(2)}), hide_index=True, key="related")
