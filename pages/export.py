"""資料出力: the monthly 進捗管理会議 workbook for the chosen report date."""
import tempfile
from pathlib import Path

import streamlit as st

from exports.monthly import file_name, write_monthly
from ui import filters, page, state
from warehouse import queries

as_of = page.start("資料出力", "進捗管理会議のExcel資料(基準日の値で作成、同じ基準日なら同じ内容)")
ministry = filters.select("府省庁(主担当の施策のみ)", "ministry", state.query(queries.ministries))
name = file_name(as_of, ministry)
st.caption(f"ファイル名: {name}")
if st.button("Excel資料を作成", type="primary", key="make"):
    with tempfile.TemporaryDirectory() as d:
        out = Path(d) / name
        result = write_monthly(state.connection(), as_of, out, ministry)
        data = out.read_bytes()
    if result["synthetic"]:
        st.warning("この資料には デモ（合成データ） が含まれます(全シートに表示されます)。")
    st.success(f"{result['rows']}行(施策×KPI)、{len(result['sheets'])}シート")
    st.download_button(f"{name} をダウンロード", data, file_name=name, key="download_xlsx",
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
