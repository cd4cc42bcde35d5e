"""SQL: a read-only query box over the documented views, with row and time limits."""
import io
import re

import streamlit as st

from etl import settings
from ui import page
from warehouse.sandbox import MAX_ROWS, TIMEOUT_S, QueryRefused, run_query, sandbox_connection

page.start("SQL", "文書化されたビュー(docs/schema.md)を読み取り専用で照会できます")
examples = re.findall(r"```sql\n(.*?)```", (settings.ROOT / "docs" / "schema.md").read_text(encoding="utf-8"), flags=re.S)
example = st.selectbox("例", examples, index=0, key="example", format_func=lambda s: s.strip().splitlines()[0][:90])
sql = st.text_area("SQL", value=example, height=160, key="sql")
st.caption(f"最大 {MAX_ROWS:,} 行、{TIMEOUT_S:.0f} 秒まで。ファイルの読み書き、ATTACH、拡張機能、設定の変更はできません。")
if st.button("実行", type="primary", key="run"):
    con = sandbox_connection()
    try:
        result = run_query(con, sql)
    except QueryRefused as e:
        st.error(f"実行できませんでした: {e}")
    else:
        st.dataframe(result.frame, hide_index=True, key="result")
        st.caption(f"{len(result.frame):,} 行{'(上限で打ち切り)' if result.truncated else ''}・{result.seconds:.2f} 秒")
        page.download(result.frame, "query")
        buf = io.BytesIO()
        result.frame.to_parquet(buf, index=False)
        st.download_button("Parquetをダウンロード", buf.getvalue(), file_name="query.parquet", key="parquet")
    finally:
        con.close()
