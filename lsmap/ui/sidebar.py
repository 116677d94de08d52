"""The sidebar every signed-in page shows: who is signed in, the logout button and (for
staff and admin) the search box."""

from __future__ import annotations

import streamlit as st

from lsmap.access import Actor
from lsmap.escape import markdown_text
from lsmap.ui.search_box import search_box
from lsmap.ui.session import sign_out
from lsmap.vocab import ROLES


def user_box(actor: Actor, *, search: bool = True) -> None:
    """Who is signed in, the logout button and (unless the page shows it in its main area,
    as 要対応 does for phones) the search box, in the sidebar."""
    with st.sidebar:
        st.markdown(
            f"**{markdown_text(actor.display_name)}**  \n{ROLES.get(actor.role, actor.role)}"
        )
        if st.button("ログアウト", key="logout"):
            sign_out(actor)
            st.session_state.clear()
            st.rerun()
        if search:
            search_box(actor)
