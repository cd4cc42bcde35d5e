"""資料出力: the monthly 進捗管理会議 workbook for the chosen report date (a ministry's edition when chosen)."""
import streamlit as st

from exports.monthly import file_name, load_meeting, workbook_bytes
from ui import filters, labels, page, state
from warehouse import queries

SCALES = {"icons": "記号(◎ 達成・○ 順調・▽ 要加速・◆ 遅れ …)", "abcd": "A・B・C・D", "marks": "◎・○・△・×"}

as_of = page.start("資料出力", "進捗管理会議のExcel資料(基準日の値で作成、同じ基準日と設定なら同じ内容)")
ministry = filters.select("府省庁(主担当の施策のみ)", "ministry", state.query(queries.ministries))
defaults = load_meeting()
left, middle, right = st.columns(3)
held_on = left.date_input("開催日(表紙に記載)", value=None, key="held_on", format="YYYY/MM/DD")
number = middle.text_input("資料番号", value=defaults.document_no, max_chars=20, key="document_no")
scale = right.selectbox("状況の表示", list(SCALES), format_func=SCALES.get, key="scale")
name = file_name(as_of, ministry)
st.caption(f"ファイル名: {name}")
if st.button("Excel資料を作成", type="primary", key="make"):
    meeting = load_meeting(scale=scale, document_no=number, held_on=held_on.isoformat() if held_on else None)
    data, result = state.query(workbook_bytes, as_of, ministry, meeting)
    if result["synthetic"]:
        st.warning("この資料には デモ（合成データ） が含まれます(全シートに表示されます)。")
    st.success(f"{result['rows']}行(施策×KPI)、{len(result['sheets'])}シート: {labels.join(result['sheets'])}")
    st.download_button(f"{name} をダウンロード", data, file_name=name, key="download_xlsx",
                       mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
