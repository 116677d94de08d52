"""lsmap, the Streamlit app: who is the user, and which pages they get."""

import streamlit as st

from lsmap.ui import context, navigation, session

st.set_page_config(
    page_title="lsmap 支え合い福祉マップ", page_icon=":material/diversity_3:", layout="wide"
)

actor = session.current_actor()
context.set_actor(actor)
st.navigation(navigation.pages_for(actor)).run()
