"""Which pages each role gets, and the acting user of the current page load."""

from __future__ import annotations

import streamlit as st

from lsmap.access import PERSONAL_ROLES, Actor
from lsmap.ui import login_page, map_page, record_page
from lsmap.ui.session import sign_out
from lsmap.vocab import ROLES

LOGIN = st.Page(login_page.render, title="ログイン", url_path="login", icon=":material/login:")
MAP = st.Page(map_page.render, title="地図", url_path="map", icon=":material/map:", default=True)
RECORD = st.Page(record_page.render, title="見守り記録", url_path="record", icon=":material/assignment:")


def pages_for(actor: Actor | None) -> list[st.Page]:
    """The pages ``actor`` may open; a visitor gets only the login page."""
    if actor is None:
        return [st.Page(login_page.render, title="ログイン", url_path="login", default=True)]
    pages = [MAP]
    if actor.role in PERSONAL_ROLES:
        pages.append(RECORD)
    return pages


def user_box(actor: Actor) -> None:
    """Who is signed in, and the logout button, in the sidebar."""
    with st.sidebar:
        st.markdown(f"**{actor.display_name}**  \n{ROLES.get(actor.role, actor.role)}")
        if st.button("ログアウト", key="logout"):
            sign_out(actor)
            st.session_state.clear()
            st.rerun()
