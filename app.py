"""Shinchoku dashboard: the router. Pages render; logic lives in warehouse/ and ui/."""
import streamlit as st

from ui import state

st.set_page_config(page_title="Shinchoku 進捗", page_icon="📈", layout="wide")
state.demo_banner()

pages = [
    st.Page("pages/measures.py", title="施策一覧", icon="📋", url_path="measures", default=True),
]
st.navigation(pages).run()
