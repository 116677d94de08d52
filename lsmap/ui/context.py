"""The acting user of this page load, handed from app.py to the pages."""

from __future__ import annotations

from typing import TypeVar

import streamlit as st

from lsmap.access import Actor

_KEY = "_actor"

D = TypeVar("D", int, int | None)


def set_actor(actor: Actor | None) -> None:
    """Remember the actor for this session's current run (re-read from the DB every run)."""
    st.session_state[_KEY] = actor


def require_actor() -> Actor:
    """The signed-in actor; stops the page if there is none."""
    actor = st.session_state.get(_KEY)
    if actor is None:
        st.error("ログインしてください")
        st.stop()
    return actor


def chosen_district(district_ids: list[int], default: D) -> int | D:
    """The district chosen earlier in this session, if still allowed, else ``default``."""
    chosen = st.session_state.get("district_choice")
    return chosen if chosen in district_ids else default
