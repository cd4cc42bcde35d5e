"""データ登録: upload an observation file, see every problem, then confirm the load (loaders only).

The file is checked and loaded in a child process under memory and time limits, from a private
folder that is removed when the page has run; everything taken from the file is shown as plain text.
"""
import logging
from pathlib import Path

import pandas as pd
import streamlit as st

from etl.isolation import LimitExceeded
from etl.observations import template
from etl.observations.load import check_isolated, load_isolated, private_upload
from ui import auth, labels, page, state

page.start("データ登録", "実績値のファイル(CSV・Excel)を検証してから読み込みます")
# what the page does and the templates are for everyone (an office preparing its figures); checking and
# loading a file are for signed-in loaders only
st.markdown("1. テンプレートをダウンロードし、KPIごとに実績値・時点・出典を記入します(記入方法はテンプレート内)。\n"
            "2. データ登録担当者がログインしてファイルをアップロードすると、読み込む前に全行を検証し、"
            "誤りをファイル名・行・列・理由とともに示します。\n"
            "3. 誤りがなければ読み込みます(誤りのある行だけを隔離して、正常な行を読み込むこともできます)。"
            "読み込んだ値は改訂履歴とともに保存され、過去の報告が上書きされることはありません。")
st.page_link("pages/datacall.py", label="事務局が送った照会様式の回答(複数ファイル可)は「照会」ページで読み込みます",
             icon=":material/forward_to_inbox:")
st.subheader("テンプレート")
c1, c2 = st.columns(2)
for col, fmt, mime in ((c1, "xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (c2, "csv", "text/csv")):
    col.download_button(f"{fmt.upper()}テンプレート", state.query(template.template_bytes, fmt),
                        file_name=f"実績入力テンプレート.{fmt}", mime=mime, key=f"tpl_{fmt}")

st.subheader("ファイルを検証する")
user = auth.current_loader()
if not user:
    st.stop()
uploaded = st.file_uploader("実績値のファイル", type=["csv", "xlsx"], key="upload")
if uploaded is None:
    st.stop()

with private_upload(uploaded.name, uploaded.getvalue()) as path:
    try:
        report = check_isolated(path)
    except LimitExceeded as e:
        st.error(f"このファイルは検証できませんでした: {e}")
        st.stop()
    except Exception:  # noqa: BLE001 - logged for the operator; the loader gets a sentence, not a traceback
        logging.getLogger(__name__).exception("checking an upload failed")
        st.error("このファイルの検証中にエラーが発生しました。形式を確認して、もう一度アップロードしてください。")
        st.stop()
    c1, c2, c3 = st.columns(3)
    c1.metric("データ行", report.rows_total)
    c2.metric("正常", report.rows_valid)
    c3.metric("誤り", report.rows_rejected)
    if report.status == "unreadable":
        st.error(labels.plain(report.message))
    elif report.errors:
        st.error(f"{len(report.errors):,}件の問題があります(誤りのある行 {report.rows_rejected:,}行)。"
                 "修正して再度アップロードするか、正常な行のみ読み込んでください。")
        errors = pd.DataFrame(report.errors).rename(columns={"sheet": "シート", "row": "行", "column": "列", "message": "理由"})
        # a plain table keeps every reason readable (and read out by screen readers); st.table renders
        # cells as Markdown, so every text from the file is escaped first (no links, no remote images)
        shown = errors.head(200).astype(object).map(lambda v: labels.plain(v) if isinstance(v, str) else v)
        st.table(shown)
        if len(errors) > 200:
            st.caption(f"最初の200件を表示しています(全{len(errors):,}件はCSVで確認できます)。")
        page.download(errors, f"errors_{Path(uploaded.name).stem}", "誤りの一覧をCSVでダウンロード")
    else:
        st.success("すべての行が正常です。")

    can_load = report.rows_valid > 0
    accept_valid = bool(report.errors)
    label = "正常な行のみ読み込む(誤りのある行は隔離)" if accept_valid else "読み込む"
    if can_load and st.button(label, key="load_valid" if accept_valid else "load", type="primary"):
        try:
            done = load_isolated(path, user, accept_valid=accept_valid)
        except Exception as e:  # noqa: BLE001 - a limit, a busy or damaged warehouse: the loader must know
            st.error(f"読み込めませんでした(データウェアハウスは変更されていません): {labels.plain(e)}")
        else:
            st.success(f"{labels.plain(done.message)}(登録者: {labels.plain(user)})")
