"""市区町村別: adoption of municipality-level KPIs by prefecture and municipality."""
import streamlit as st

from ui import filters, labels, page, state
from warehouse import queries

as_of = page.start("市区町村別", "市区町村単位のKPI(団体数を数えるKPI)の実施状況")
kpis = state.query(queries.municipal_kpis)
if kpis.empty:
    st.info("市区町村単位の実績値がまだありません。「データ登録」から読み込むと、ここに表示されます。")
    st.stop()

names = dict(zip(kpis["kpi_id"], kpis["name"]))
kpi = filters.select("KPI", "kpi", kpis["kpi_id"].tolist(), format_func=lambda k: f"{k} {names[k]}", all_label=None)
adoption = state.query(queries.prefecture_adoption, kpi, as_of)
left, right = st.columns(2)
with left:
    st.plotly_chart(state.chart("prefecture_map", queries.prefecture_adoption, kpi, as_of), key="pref_map")
with right:
    if kpis.set_index("kpi_id").at[kpi, "area_level"] == "municipality":
        st.plotly_chart(state.chart("municipality_dots", queries.municipality_points, kpi, as_of), key="dots")
    else:
        st.info("このKPIは都道府県単位で数えるため、市区町村の地図はありません。")
view = adoption.assign(rate=adoption["rate"].map(lambda r: "—" if r != r else f"{r:.1%}"))
st.dataframe(placeholder="—", data=view.rename(columns={"prefecture": "都道府県", "areas": "団体数", "reporting": "報告団体",
                                  "adopted": "実施団体", "rate": "実施率"}).drop(columns=["kpi_id", "prefecture_code"]),
             hide_index=True, key="pref_table")
page.download(adoption, f"adoption_{kpi}_{as_of}")

st.subheader("団体を選ぶ")
prefs = state.query(queries.prefectures)
pref_names = dict(zip(prefs["prefecture_code"], prefs["name"]))
c1, c2 = st.columns(2)
pref = filters.select("都道府県", "pref", prefs["prefecture_code"].tolist(), format_func=pref_names.get, container=c1)
if pref:
    munis = state.query(queries.municipalities, pref)
    muni_names = dict(zip(munis["area_code"], munis["name"]))
    area = filters.select("市区町村", "area", munis["area_code"].tolist(), format_func=muni_names.get, container=c2)
    if area:
        profile = state.query(queries.municipality_profile, area, as_of)
        st.markdown(f"**{pref_names[pref]} {muni_names[area]}** の実施状況(都道府県・全国の実施率との比較)")
        st.dataframe(placeholder="—", data=profile.assign(
            実施=profile["adopted"].map({True: "◎ 実施済", False: "－ 未実施"}).fillna("データなし"),
            都道府県=profile["pref_rate"].map(lambda r: "—" if r != r else f"{r:.0%}"),
            全国=profile["national_rate"].map(lambda r: "—" if r != r else f"{r:.0%}"),
        )[["kpi_id", "name", "実施", "since", "都道府県", "全国"]].rename(
            columns={"kpi_id": "KPI", "name": "指標", "since": "開始時期"}), hide_index=True, key="profile")

st.subheader("団体ランキング")
search = st.text_input("団体名で検索(かな可)", key="muni_search")
ranking = state.query(queries.municipality_ranking, as_of, pref, search or None)
st.dataframe(placeholder="—", data=ranking.rename(columns={"area_code": "団体コード", "name": "団体名", "prefecture": "都道府県", "kind": "区分",
                                     "adopted_kpis": "実施KPI数", "reported_kpis": "報告KPI数"}).head(200),
             hide_index=True, key="ranking")
page.download(ranking, f"ranking_{as_of}")
st.caption(f"{labels.date_ja(as_of)} 時点")
