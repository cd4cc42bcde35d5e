"""Shinchoku dashboard: the router. Pages render; logic lives in warehouse/ and ui/."""
import streamlit as st

st.set_page_config(page_title="Shinchoku 進捗", page_icon=":material/monitoring:", layout="wide")
st.session_state["_via_router"] = True

pages = {
    "状況": [
        st.Page("pages/overview.py", title="概要", icon=":material/home:", default=True),
        st.Page("pages/ministries.py", title="府省庁別", icon=":material/account_balance:", url_path="ministries"),
        st.Page("pages/pillars.py", title="柱別", icon=":material/view_column:", url_path="pillars"),
        st.Page("pages/municipalities.py", title="市区町村別", icon=":material/map:", url_path="municipalities"),
        st.Page("pages/measure.py", title="施策詳細", icon=":material/description:", url_path="measure"),
        st.Page("pages/measures.py", title="施策一覧", icon=":material/list:", url_path="measures"),
        st.Page("pages/schedule.py", title="工程表", icon=":material/calendar_month:", url_path="schedule"),
    ],
    "データ": [
        st.Page("pages/quality.py", title="データ品質", icon=":material/fact_check:", url_path="quality"),
        st.Page("pages/upload.py", title="データ登録", icon=":material/upload:", url_path="upload"),
        st.Page("pages/export.py", title="資料出力", icon=":material/download:", url_path="export"),
        st.Page("pages/sql.py", title="SQL", icon=":material/terminal:", url_path="sql"),
    ],
}
navigation = st.navigation(pages)
# A page opened by its own URL before the router ever ran (Streamlit's legacy pages/ mode) comes back here.
if (back_to := st.session_state.pop("_return_to", None)) is not None:
    st.switch_page(back_to)
navigation.run()
