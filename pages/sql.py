"""SQL: one read-only query over the documented views, run in an isolated worker process."""

import streamlit as st

from ui import auth, labels, page
from warehouse import schema_doc
from warehouse.sandbox import MAX_ROWS, MEMORY_BYTES, TIMEOUT_S, QueryRefused, run_query

page.start("SQL", "文書化されたビュー(docs/schema.md)を読み取り専用で照会できます")
if not auth.sql_open_to_visitors():
    if not st.session_state.get("signed_in"):
        st.info("SQLでの照会は、ログインした利用者(分析担当・データ登録担当)が使えます。")
    if not auth.current_user("query"):
        st.stop()
examples = schema_doc.examples()
# every example starts with its title as a Japanese comment (tests/test_docs.py)
example = st.selectbox("例", examples, index=0, key="example", format_func=lambda s: s.splitlines()[0].removeprefix("-- "))
sql = st.text_area("SQL", value=example, height=160, key="sql")
st.caption(f"SELECT文を1つだけ実行できます。最大 {MAX_ROWS:,} 行、{TIMEOUT_S:.0f} 秒、メモリ {MEMORY_BYTES // 2**20:,} MB まで。"
           "ファイルの読み書き、ATTACH、拡張機能、設定の変更はできません。")
if st.button("実行", type="primary", key="run"):
    try:
        result = run_query(sql)
    except QueryRefused as e:
        st.error(f"実行できませんでした: {labels.plain(e.message)}")
        if e.detail:  # DuckDB's own words (English), as plain text, for those who want them
            with st.expander("詳細(DuckDBのメッセージ・英語の原文)"):
                st.code(e.detail, language=None)
    else:
        st.dataframe(placeholder="NULL", data=result.frame, hide_index=True, key="result")
        st.caption(f"{len(result.frame):,} 行{'(上限で打ち切り)' if result.truncated else ''}・{result.seconds:.2f} 秒")
        # both files were made in the worker process, under its limits
        st.download_button("CSVをダウンロード", result.csv, file_name="query.csv", mime="text/csv", key="dl_query")
        if result.parquet is not None:
            st.download_button("Parquetをダウンロード", result.parquet, file_name="query.parquet", key="parquet")
        else:
            st.caption("Parquetにできない型の列があるため、CSVのみダウンロードできます。")
