"""Streamlit helpers shared by the pages: the cached read-only connection and display labels."""
