"""lsmap, the Streamlit app: who is the user, and which pages they get."""

import streamlit as st

from lsmap.ui import context, navigation, session, widget_text

# An emoji icon is drawn by the browser itself; a ":material/…:" icon would be fetched from
# fonts.gstatic.com, and lsmap must work (and fetch nothing) without the internet.
st.set_page_config(page_title="lsmap 支え合い福祉マップ", page_icon="🤝", layout="wide")

widget_text.page_style()
actor = session.current_actor()
context.set_actor(actor)
pages = [
    navigation.landing_page(actor),
    *navigation.pages_for(actor),
    *navigation.hidden_pages_for(actor),
]
st.navigation(pages, expanded=True).run()
