"""Shinchoku dashboard: the router. Pages render; logic lives in warehouse/ and ui/."""
import streamlit as st

st.set_page_config(page_title="Shinchoku 進捗", page_icon="📈", layout="wide")

pages = [
    st.Page("pages/measures.py", title="施策一覧", icon="📋", url_path="measures", default=True),
]
st.navigation(pages).run()
