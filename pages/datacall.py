"""照会: the monthly data call for the secretariat — submission status, request forms out, replies in.

Replies are hostile input: each upload is checked and loaded in a child process under the upload limits,
from a private folder removed when the page has run; what is taken from them is shown as plain text.
"""
import contextlib
import datetime as dt
import io
import tempfile
import zipfile
from pathlib import Path

import pandas as pd
import streamlit as st

from etl.datacall import forms
from etl.datacall.collect import collect_isolated
from etl.datacall.status import reminder, submission_status
from etl.isolation import LimitExceeded
from etl.observations.load import private_upload
from etl.observations.store import now_jst
from ui import auth, labels, page, state
from warehouse import area_queries, datacall_queries, queries

as_of = page.start("照会", "月次の照会: 様式の送付、回答の読込、提出状況")
st.markdown("各府省庁(主担当の施策の全国KPI)と各都道府県(管内市区町村の分を含む市区町村・都道府県単位のKPI)に、"
            "前回値と前回の取組状況を記入済みの照会様式(Excel)を送り、返送された回答を読み込みます。"
            "回答の実績値は改訂履歴とともに保存され、取組状況・今後の対応は施策詳細に表示されます。")
user = auth.current_loader()
if not user:
    st.stop()

today = now_jst().date()
# the 18 months up to the report date's, and every month a call was made for (a past call stays reachable)
recent = [str(m) for m in pd.period_range(end=as_of, periods=18, freq="M")]
called = state.query(datacall_queries.call_periods)
months = sorted(set(recent) | set(called), reverse=True)
period = st.selectbox("照会の対象月", months, key="datacall_period", index=months.index(called[0] if called else recent[-1]),
                      format_func=lambda p: labels.period(p) + "末時点")
status_tab, make_tab, collect_tab = st.tabs(["提出状況", "様式の作成", "回答の読込"])

with status_tab:
    table = state.query(submission_status, period, today)
    counts = table["state"].value_counts()
    st.markdown(" ・ ".join(f"{s} **{counts.get(s, 0)}**" for s in ("回答済", "一部未記入", "未回答", "期限超過", "未送付")))
    view = pd.DataFrame({
        "状態": table["state"], "宛先": table["recipient_name"],
        "送付": table["made_at"].map(labels.timestamp),
        "回答期限": table["deadline"].map(labels.deadline),
        "回答": table["replies"].map(lambda n: "—" if pd.isna(n) else f"{int(n)}回"),
        "最終回答": table["last_reply"].map(labels.timestamp),
        "記入済み": [("—" if pd.isna(a) else f"{int(f)}/{int(a)}行") for f, a in
                 zip(table["rows_filled"], table["rows_asked"])],
        "未記入のKPI": table["empty_kpis"].map(lambda ks: "、".join(ks[:8]) + (f" ほか{len(ks) - 8}件" if len(ks) > 8 else "")),
    })
    st.dataframe(view, placeholder="—", hide_index=True, key="datacall_status")
    page.download(view, f"datacall_status_{period}")
    texts = {r["recipient_name"]: t for _, r in table.iterrows() if (t := reminder(r, period))}
    if texts:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as z:
            for name, text in texts.items():
                z.writestr(f"督促_{period}_{name}.txt", text)
        st.download_button(f"督促文をダウンロード({len(texts)}件、メール本文用)", buffer.getvalue(),
                           file_name=f"督促_{period}.zip", mime="application/zip", key="reminders")
        st.caption("Shinchoku はメールを送りません。事務局のメールに本文を貼り付けて送ってください。")

with make_tab:
    with st.form("make_forms"):
        who = st.radio("宛先", ["すべての府省庁と都道府県", "府省庁を選ぶ", "都道府県を選ぶ"], horizontal=True, key="datacall_who")
        ministry = st.selectbox("府省庁(主担当の施策がある府省庁)", state.query(queries.ministries), key="datacall_ministry")
        prefs = state.query(area_queries.prefectures)
        prefecture = st.selectbox("都道府県", prefs["prefecture_code"].tolist(), key="datacall_pref",
                                  format_func=dict(zip(prefs["prefecture_code"], prefs["name"])).get)
        _, last_day = forms.parse_period(period)
        deadline = st.date_input("回答期限", value=last_day + dt.timedelta(days=15), key="datacall_deadline")
        contact = st.text_input("照会先(表紙に記載)", value="進捗管理会議 事務局", max_chars=100, key="datacall_contact")
        made_now = st.form_submit_button("様式を作成", type="primary")
    if made_now:
        with tempfile.TemporaryDirectory() as folder:
            try:
                made = forms.make_forms(period, Path(folder), ministry=ministry if who == "府省庁を選ぶ" else None,
                                        prefecture=prefecture if who == "都道府県を選ぶ" else None,
                                        everyone=who.startswith("すべて"), deadline=deadline, contact=contact, user=user)
            except forms.DataCallError as e:
                st.error(labels.plain(e))
                st.stop()
            buffer = io.BytesIO()
            with zipfile.ZipFile(buffer, "w") as z:
                for m in made:
                    z.write(m.path, m.path.name)
        st.session_state["datacall_made"] = (f"照会様式_{period}.zip", buffer.getvalue(), len(made), sum(m.rows for m in made))
        st.rerun()  # the status tab above was drawn before the forms were registered
    if made := st.session_state.get("datacall_made"):
        name, data, n, rows = made
        st.success(f"{n}件の照会様式を作成し、送付記録に登録しました({rows:,}行)。")
        st.download_button("照会様式をダウンロード(ZIP)", data, file_name=name, mime="application/zip", key="forms_zip")

with collect_tab:
    uploaded = st.file_uploader("返送された回答(Excel、複数可)", type=["xlsx"], accept_multiple_files=True, key="replies")
    if uploaded and st.button("検証して読み込む(問題のないファイルのみ)", type="primary", key="collect"):
        with contextlib.ExitStack() as stack:
            paths = [stack.enter_context(private_upload(f.name, f.getvalue())) for f in uploaded]
            try:
                reports = collect_isolated(paths, user, period=period)
            except LimitExceeded as e:
                st.error(f"回答を読み込めませんでした: {labels.plain(e)}")
                st.stop()
        results = pd.DataFrame({
            "ファイル": [r.file for r in reports], "宛先": [r.recipient_name or "—" for r in reports],
            "結果": [{"loaded": "読込済", "revised": "再提出を読込", "already_loaded": "読込済(変更なし)"}.get(r.status, "読み込まず")
                   for r in reports],
            "内容": [r.message for r in reports]})
        errors = pd.DataFrame([{"ファイル": r.file, "シート": e["sheet"], "行": e["row"], "列": e["column"],
                                "理由": e["message"]} for r in reports for e in r.errors])
        st.session_state["datacall_collected"] = (results, errors)
        st.rerun()  # the status tab above was drawn before the replies were loaded
    if collected := st.session_state.get("datacall_collected"):
        results, errors = collected
        st.dataframe(results, placeholder="—", hide_index=True, key="collect_result")
        if not errors.empty:
            st.error(f"{errors['ファイル'].nunique()}件のファイルに問題があります。直して再度返送してもらってください。")
            st.table(errors.astype(object).map(lambda v: labels.plain(v) if isinstance(v, str) else ("—" if v is None or pd.isna(v) else v)))
