"""Shinchoku dashboard: the router. Pages render; logic lives in warehouse/ and ui/."""
import streamlit as st

st.set_page_config(page_title="Shinchoku 進捗", page_icon="📈", layout="wide")

pages = {
    "状況": [
        st.Page("pages/overview.py", title="概要", icon="🏠", url_path="overview", default=True),
        st.Page("pages/ministries.py", title="府省庁別", icon="🏛️", url_path="ministries"),
        st.Page("pages/pillars.py", title="柱別", icon="🧭", url_path="pillars"),
        st.Page("pages/municipalities.py", title="市区町村別", icon="🗾", url_path="municipalities"),
        st.Page("pages/measure.py", title="施策詳細", icon="📄", url_path="measure"),
        st.Page("pages/measures.py", title="施策一覧", icon="📋", url_path="measures"),
        st.Page("pages/schedule.py", title="工程表", icon="📅", url_path="schedule"),
    ],
    "データ": [
        st.Page("pages/quality.py", title="データ品質", icon="🔎", url_path="quality"),
        st.Page("pages/upload.py", title="データ登録", icon="⬆️", url_path="upload"),
        st.Page("pages/sql.py", title="SQL", icon="🧮", url_path="sql"),
    ],
}
st.navigation(pages).run()
