"""Small helpers shared by tests."""

from __future__ import annotations

EAST = "149990-01"
WEST = "149990-02"
NORTH = "149990-03"
XSS = "<img src=x onerror=alert(1)>"


def app_login(at, username: str, password: str, *, to_map: bool = True):  # type: ignore[no-untyped-def]
    """Sign in through an AppTest; staff land on 要対応 and reach the map by its button."""
    at.text_input[0].input(username)
    at.text_input[1].input(password)
    at.button[0].click()
    at.run()
    if to_map:
        open_map = [b for b in at.button if b.label == "地図を開く"]
        if open_map:
            open_map[0].click().run()
    return at


def _page_script(page: str, roles_by: str) -> None:
    """Runs one lsmap page (or lists the role's pages) for the actor in session state."""
    import importlib

    import streamlit as st

    from lsmap.ui import context

    actor = st.session_state["_test_actor"]
    context.set_actor(actor)
    if page == "roles":
        # Pages are built inside a script run: importing lsmap.ui.pages outside one breaks
        # later AppTests.
        from lsmap.ui.pages import pages_for

        st.text("|".join(getattr(p, roles_by) for p in pages_for(actor)))
        return
    importlib.import_module(f"lsmap.ui.{page}_page").render()


def open_page(page: str, actor, url: str, monkeypatch, *, roles_by: str = "url_path"):  # type: ignore[no-untyped-def]
    """An AppTest of one page (``coverage``, ``gaps``, ``import``, ``export`` ...) as ``actor``;
    ``roles`` lists the actor's pages by ``roles_by`` (url_path or title)."""
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("LSMAP_DATABASE_URL", url)
    monkeypatch.setenv("LSMAP_BASEMAP", "none")
    at = AppTest.from_function(_page_script, default_timeout=120, args=(page, roles_by))
    at.session_state["_test_actor"] = actor
    return at.run()
