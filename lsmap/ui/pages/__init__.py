"""The Streamlit pages, one module each."""
