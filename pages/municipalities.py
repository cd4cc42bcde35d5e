"""市区町村別: adoption of the KPIs reported per municipality or prefecture, by prefecture and municipality."""
import pandas as pd
import streamlit as st

from etl.observations import template
from ui import filters, labels, maps, page, state
from warehouse import area_queries

COMPARATOR = {"approx": "約{}", "at_least": "{}以上", "at_most": "{}以下"}


def target_text(value, comparator, unit) -> str:
    """'約1,600団体', '10以上', or '—' without a target."""
    if pd.isna(value):
        return "—"
    return COMPARATOR.get(comparator, "{}").format(labels.number(value, unit))


def kpi_tables(kpis: pd.DataFrame) -> None:
    """The KPIs by the level they are reported at: ID, 指標, 目標 (with its unit), 期限. A plain table wraps the
    long names, so it reads on a phone too."""
    for level, d in kpis.groupby("area_level", sort=False):
        st.markdown(f"**{labels.LEVEL_JA[level]}単位のKPI({len(d)}件)**")
        st.table(pd.DataFrame({
            "ID": d["kpi_id"], "指標": d["name"],
            "目標": list(map(target_text, d["target_value"], d["comparator"], d["unit"])),
            "期限": d["target_date"].map(labels.deadline),
        }), hide_index=True, border="horizontal")


def empty_state(kpis: pd.DataFrame) -> None:
    """Nothing reported per area yet: which KPIs are concerned, where their data come from, how to load them."""
    levels = kpis["area_level"].value_counts()
    st.info(
        "**市区町村・都道府県単位の実績値はまだ登録されていません。**\n\n"
        f"計画のKPIのうち **{len(kpis)}件** は、団体ごとに実施の有無を数えるものです"
        f"(市区町村単位 {levels.get('municipality', 0)}件、都道府県単位 {levels.get('prefecture', 0)}件)。"
        "これらの実績は、都道府県からの回答(管内の市区町村ごとの値)を「データ登録」で読み込むと、"
        "ここに都道府県別の実施率の地図と市区町村ごとの実施状況が表示されます。\n\n"
        "入力テンプレートの「団体コード」に市区町村または都道府県のコード、「値」にその団体の値"
        "(実施済なら1以上、未実施なら0)を記入してください。",
        icon="ℹ️")
    left, right = st.columns(2)
    left.download_button("実績入力テンプレート(Excel)", state.query(template.template_bytes, "xlsx"),
                         file_name="実績入力テンプレート.xlsx", icon=":material/download:",
                         mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    right.page_link("pages/upload.py", label="データ登録へ(担当者のサインインが必要)", icon=":material/upload:")
    kpi_tables(kpis)


as_of = page.start("市区町村別", "市区町村・都道府県ごとに数えるKPI(実施団体数)の実施状況")
kpis = state.query(area_queries.area_kpis)
loaded = kpis[kpis["has_data"]]
if loaded.empty:
    empty_state(kpis)
    st.stop()

names = dict(zip(loaded["kpi_id"], loaded["name"]))
prefs = state.query(area_queries.prefectures)
pref_names = dict(zip(prefs["prefecture_code"], prefs["name"]))
c1, c2 = st.columns([3, 2])
kpi = filters.select("KPI", "kpi", loaded["kpi_id"].tolist(), format_func=lambda k: f"{k} {names[k]}", all_label=None,
                     container=c1)
pref = filters.select("都道府県", "pref", prefs["prefecture_code"].tolist(), format_func=pref_names.get, container=c2)
k = loaded.set_index("kpi_id").loc[kpi]
level = labels.LEVEL_JA[k["area_level"]]

adoption = state.query(area_queries.prefecture_adoption, kpi, as_of)
average = maps.national_average(adoption)
target = maps.target_share(k["target_value"], k["unit"], k["areas"])
reporting, adopted, areas = (int(adoption[c].sum()) for c in ("reporting", "adopted", "areas"))
details = ([f"全{level}の{maps.pct(target)}"] if target is not None else []) + \
    ([f"期限 {labels.deadline(k['target_date'])}"] if pd.notna(k["target_date"]) else [])
m1, m2 = st.columns(2)  # two, not three: stacked on a phone they come before the map
m1.metric("全国平均の実施率", maps.pct(average), f"実施 {adopted:,} / 報告 {reporting:,}団体(全{areas:,}団体)",
          delta_color="off", delta_arrow="off", help="報告のあった団体のうち、最新の値が0より大きい団体の割合")
goal = target_text(k["target_value"], k["comparator"], k["unit"]) if pd.notna(k["target_value"]) else "設定なし"
m2.metric("目標", goal, "・".join(details) or None, delta_color="off", delta_arrow="off")

left, right = st.columns(2)
with left:
    st.plotly_chart(state.chart("ui.maps:prefecture_map", area_queries.prefecture_adoption, kpi, as_of,
                                target=target, selected=pref), key="pref_map")
with right:
    if k["area_level"] == "municipality":
        st.plotly_chart(state.chart("ui.maps:municipality_dots", area_queries.municipality_points, kpi, as_of,
                                    prefecture_code=pref), key="dots")
    else:
        st.info("このKPIは都道府県単位で数えるため、市区町村の地図はありません。")
st.caption("実施率 = 実施団体(最新の値が0より大きい団体)÷ 報告団体。報告のない都道府県は灰色です。"
           "色の区切りは観測された実施率の最小〜最大に合わせてあり、目標は全団体に占める割合に換算しています。")

edges = maps.rate_classes(adoption["rate"])
top = edges[-1] if edges and edges[-1] else 1.0  # the table's bars end where the map's colours end
view = adoption.sort_values(["rate", "prefecture_code"], ascending=[False, True], na_position="last")
view = pd.DataFrame({
    "都道府県": view["prefecture"], "実施率": view["rate"] * 100,
    "全国平均との差": [("—" if pd.isna(r) or average is None else f"{(r - average) * 100:+.1f}ポイント") for r in view["rate"]],
    "実施団体": view["adopted"], "報告団体": view["reporting"], "団体数": view["areas"],
})
st.dataframe(view, placeholder="—", hide_index=True, key="pref_table", column_config={
    "実施率": st.column_config.ProgressColumn(
        "実施率", format="%.1f%%", min_value=0.0, max_value=top * 100, color="#2171b5",
        help=f"棒の長さは地図の色の区切りと同じく {maps.pct(top)} を満幅として表示")})
page.download(view, f"adoption_{kpi}_{as_of}")

st.subheader("団体を選ぶ")
if not pref:
    st.caption("上の「都道府県」を選ぶと、市区町村を選んでその団体の実施状況を見られます。")
else:
    munis = state.query(area_queries.municipalities, pref)
    muni_names = dict(zip(munis["area_code"], munis["name"]))
    area = filters.select("市区町村", "area", munis["area_code"].tolist(), format_func=muni_names.get)
    if area:
        profile = state.query(area_queries.municipality_profile, area, as_of)
        st.markdown(f"**{pref_names[pref]} {muni_names[area]}** の実施状況(都道府県・全国の実施率との比較)")
        st.dataframe(pd.DataFrame({
            "KPI": profile["kpi_id"], "指標": profile["name"],
            "実施": profile["adopted"].map({True: "◎ 実施済", False: "－ 未実施"}).fillna("データなし"),
            "開始時期": profile["since"].map(labels.period),
            "都道府県": profile["pref_rate"].map(maps.pct), "全国": profile["national_rate"].map(maps.pct),
        }), placeholder="—", hide_index=True, key="profile")

st.subheader("団体ランキング")
search = st.text_input("団体名で検索(かな可)", key="muni_search")
ranking = state.query(area_queries.municipality_ranking, as_of, pref, search or None)
ranking = ranking.rename(columns={"area_code": "団体コード", "name": "団体名", "prefecture": "都道府県", "kind": "区分",
                                  "adopted_kpis": "実施KPI数", "reported_kpis": "報告KPI数"})
st.dataframe(ranking.head(200), placeholder="—", hide_index=True, key="ranking")
page.download(ranking, f"ranking_{as_of}")

waiting = kpis[~kpis["has_data"]]
if not waiting.empty:
    with st.expander(f"実績がまだないKPI({len(waiting)}件)"):
        kpi_tables(waiting)
st.caption(f"{labels.date_ja(as_of)} 時点")
