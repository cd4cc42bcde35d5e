"""Shinchoku dashboard: the router. Pages render; logic lives in warehouse/ and ui/."""
import streamlit as st

st.set_page_config(page_title="Shinchoku 進捗", page_icon=":material/monitoring:", layout="wide")
st.session_state["_via_router"] = True

# Accessibility (JIS X 8341-3 / WCAG 2.x AA, docs/accessibility.md; checked by tests/e2e/test_accessibility.py):
# - the page is Japanese, but Streamlit serves <html lang="en">: set lang="ja" so that screen readers read it
#   with a Japanese voice (WCAG 3.1.1);
# - captions: Streamlit draws them in the body colour at opacity 0.6 (3.9:1 on white); an opaque grey
#   #64625f gives 6.1:1 on white and 5.3:1 on the sidebar's widget grey (WCAG 1.4.3, 4.5:1);
# - the month and day fields of a date input are 18×20 px: at least 24×24 px (WCAG 2.5.8);
# - a page link in the sidebar shows keyboard focus only as a faint grey background: add an outline in the
#   theme's primary colour (WCAG 2.4.7);
# - a folded sidebar (always on a phone) is only moved off screen, so Tab went through its 15 links and fields
#   unseen before reaching the page: hide it once it has slid away (WCAG 2.4.7, 2.4.11).
# The element that carries this is hidden (no gap above the title); its script has run by then.
st.html("""<style>
[data-testid="stCaptionContainer"] { opacity: 1; color: #64625f; }
[data-testid="stDateInputFieldsScroller"] [role="spinbutton"] {
  display: inline-block; min-width: 24px; min-height: 24px; line-height: 24px; text-align: center; }
[data-testid="stSidebarNavLink"]:focus-visible { outline: 2px solid #c53948; outline-offset: 1px; }
[data-testid="stSidebar"][data-collapsed="true"] {
  visibility: hidden; transition: transform 0.3s, min-width 0.3s, max-width 0.3s, visibility 0s 0.3s; }
[data-testid="stElementContainer"]:has(> [data-testid="stHtml"] > [data-shinchoku-a11y]) { display: none; }
</style><span data-shinchoku-a11y hidden></span><script>document.documentElement.lang = "ja";</script>""",
        unsafe_allow_javascript=True)

# One flat list: navigation sections put their headers inside the <ul> of links (invalid list markup for
# screen readers, axe rules list/listitem). The order keeps the cockpit pages first, the data pages after.
pages = [
    st.Page("pages/overview.py", title="概要", icon=":material/home:", default=True),
    st.Page("pages/ministries.py", title="府省庁別", icon=":material/account_balance:", url_path="ministries"),
    st.Page("pages/pillars.py", title="柱別", icon=":material/view_column:", url_path="pillars"),
    st.Page("pages/municipalities.py", title="市区町村別", icon=":material/map:", url_path="municipalities"),
    st.Page("pages/measure.py", title="施策詳細", icon=":material/description:", url_path="measure"),
    st.Page("pages/measures.py", title="施策一覧", icon=":material/list:", url_path="measures"),
    st.Page("pages/schedule.py", title="工程表", icon=":material/calendar_month:", url_path="schedule"),
    st.Page("pages/quality.py", title="データ品質", icon=":material/fact_check:", url_path="quality"),
    st.Page("pages/upload.py", title="データ登録", icon=":material/upload:", url_path="upload"),
    st.Page("pages/datacall.py", title="照会", icon=":material/forward_to_inbox:", url_path="datacall"),
    st.Page("pages/export.py", title="資料出力", icon=":material/download:", url_path="export"),
    st.Page("pages/sql.py", title="SQL", icon=":material/terminal:", url_path="sql"),
]
navigation = st.navigation(pages)
# A page opened by its own URL before the router ever ran (Streamlit's legacy pages/ mode) comes back here.
if (back_to := st.session_state.pop("_return_to", None)) is not None:
    st.switch_page(back_to)
navigation.run()
