"""データ登録: upload an observation file, see every problem, then confirm the load (loaders only)."""
import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from etl.observations.load import load_files
from etl.observations.template import write_template
from ui import auth, page, state

page.start("データ登録", "実績値のファイル(CSV・Excel)を検証してから読み込みます")
user = auth.current_loader()
if not user:
    st.stop()

st.subheader("テンプレート")
c1, c2 = st.columns(2)
for col, fmt, mime in ((c1, "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (c2, "csv", "text/csv")):
    with tempfile.TemporaryDirectory() as d:
        out = Path(d) / f"実績入力テンプレート.{fmt}"
        write_template(state.connection(), out, fmt)
        col.download_button(f"{fmt.upper()}テンプレート", out.read_bytes(), file_name=out.name, mime=mime, key=f"tpl_{fmt}")

st.subheader("ファイルを検証する")
uploaded = st.file_uploader("実績値のファイル", type=["csv", "xlsx"], key="upload")
if uploaded is None:
    st.stop()

work = Path(tempfile.gettempdir()) / "shinchoku-uploads"
work.mkdir(exist_ok=True)
path = work / Path(uploaded.name).name  # the user's file name, never a path they chose
path.write_bytes(uploaded.getvalue())
report = load_files([path], dry_run=True, user=user)[0]
c1, c2, c3 = st.columns(3)
c1.metric("データ行", report.rows_total)
c2.metric("正常", report.rows_valid)
c3.metric("誤り", report.rows_rejected)
if report.errors:
    st.error(f"{len(report.errors)}件の問題があります。修正して再度アップロードするか、正常な行のみ読み込んでください。")
    errors = pd.DataFrame(report.errors).rename(columns={"sheet": "シート", "row": "行", "column": "列", "message": "理由"})
    st.table(errors.head(200))  # a plain table: every reason readable (and read out by screen readers)
    if len(errors) > 200:
        st.caption(f"最初の200件を表示しています(全{len(errors)}件はCSVで確認できます)。")
    page.download(errors, f"errors_{Path(uploaded.name).stem}", "誤りの一覧をCSVでダウンロード")
elif report.status == "unreadable":
    st.error(report.message)
else:
    st.success("すべての行が正常です。")

can_load = report.rows_valid > 0
if report.errors and can_load and st.button("正常な行のみ読み込む(誤りのある行は隔離)", key="load_valid"):
    done = load_files([path], user=user, accept_valid=True)[0]
    st.success(f"{done.message}(登録者: {user})")
elif not report.errors and can_load and st.button("読み込む", key="load", type="primary"):
    done = load_files([path], user=user)[0]
    st.success(f"{done.message}(登録者: {user})")
