"""データ品質: what the parsers could not read with confidence, quarantined rows, coverage and loads."""
import streamlit as st

from ui import labels, page, state
from warehouse import queries

page.start("データ品質", "読み取りの不確かな箇所、隔離された行、データの充足状況、読込履歴")
summary = state.query(queries.coverage_summary)
c1, c2, c3 = st.columns(3)
c1.metric("施策KPI", summary["kpis"])
c2.metric("目標値のあるKPI", summary["with_target"])
c3.metric("実績値のあるKPI", summary["with_data"])

st.subheader("抽出時の品質課題")
st.caption("資料の読み取りで確実でなかった箇所と、その扱いです。「要確認」は値が違っている・欠けているおそれがあるもの、"
           "「判断の記録」は読み取り側で判断して処理したもの(施策群の判定、数値の時点など。判断の根拠と別の読み方を記載)です。")
severity = st.radio("重要度", ["warning", "info"], horizontal=True, key="severity",
                    format_func={"warning": "要確認", "info": "判断の記録"}.get)
issues = state.query(queries.quality_issues, severity)
kinds = st.multiselect("種別", sorted(set(issues["kind"]), key=lambda k: labels.ISSUE_KINDS_JA.get(k, k)),
                       format_func=lambda k: labels.ISSUE_KINDS_JA.get(k, k), key="issue_kinds", placeholder="すべての種別")
if kinds:
    issues = issues[issues["kind"].isin(kinds)]
issues = labels.ja_columns(issues.assign(kind=issues["kind"].map(labels.ISSUE_KINDS_JA).fillna(issues["kind"]),
                                         severity=issues["severity"].map(labels.SEVERITY_JA),
                                         location=issues["location"].map(labels.location)))
st.caption(f"{len(issues)}件")
st.dataframe(placeholder="—", data=issues, hide_index=True, key="issues")
page.download(issues, f"quality_issues_{severity}")

st.subheader("隔離された行(--accept-valid で読み込まれなかった行)")
q = labels.ja_columns(state.query(queries.quarantine))
if q.empty:
    st.write("ありません。")
else:
    st.dataframe(placeholder="—", data=q, hide_index=True, key="quarantine")

st.subheader("データの充足状況(KPI × 団体 × 期間)")
cov = state.query(queries.coverage)
cov = labels.ja_columns(cov.assign(area_level=cov["area_level"].map(labels.LEVEL_JA).fillna(cov["area_level"]),
                                   first_period=cov["first_period"].map(labels.period),
                                   last_period=cov["last_period"].map(labels.period),
                                   synthetic=cov["synthetic"].map({True: "合成データ", False: ""})))
st.dataframe(placeholder="—", data=cov, hide_index=True, key="coverage")
page.download(cov, "coverage")

st.subheader("最近の読込")
loads = state.query(queries.batches)
st.dataframe(placeholder="—", data=labels.ja_columns(loads.assign(mode=loads["mode"].map(labels.MODE_JA).fillna(loads["mode"]),
                                            loaded_at=loads["loaded_at"].map(labels.timestamp))), hide_index=True, key="batches")
