"""Streamlit pages of lsmap. Pages only parse input, call access/map functions and render."""
