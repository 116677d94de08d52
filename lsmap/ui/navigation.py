"""Which pages each role gets: the navigation that app.py runs."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import streamlit as st

from lsmap import access
from lsmap.access import Actor
from lsmap.ui.links import PAGES
from lsmap.ui.pages import (
    audit_page,
    contact_sheet_page,
    coverage_page,
    deleted_page,
    export_page,
    gaps_page,
    import_page,
    location_page,
    login_page,
    map_page,
    meetings_page,
    mine_page,
    not_found_page,
    proposals_page,
    record_edit_page,
    record_page,
    resources_page,
    start_page,
    users_page,
    watchers_page,
)

#: url path -> render function; titles and icons are in :mod:`lsmap.ui.links`.
RENDERERS: dict[str, Callable[[], None]] = {
    "login": login_page.render,
    "start": start_page.render,
    "map": map_page.render,
    "record": record_page.render,
    "edit": record_edit_page.render,
    "watchers": watchers_page.render,
    "deleted": deleted_page.render,
    "coverage": coverage_page.render,
    "gaps": gaps_page.render,
    "audit": audit_page.render,
    "import": import_page.render,
    "export": export_page.render,
    "locations": location_page.render,
    "resources": resources_page.render,
    "users": users_page.render,
    "proposals": proposals_page.render,
    "meetings": meetings_page.render,
    "contact_sheet": contact_sheet_page.render,
    "mine": mine_page.render,
}


def page(url_path: str, *, default: bool = False) -> st.Page:
    """A new Page object for ``url_path`` (st.navigation marks the landing page as default
    on the object it is given, so every run builds fresh ones)."""
    title, icon = PAGES[url_path]
    return st.Page(RENDERERS[url_path], title=title, url_path=url_path, icon=icon, default=default)


def pages_for(actor: Actor | None) -> list[st.Page]:
    """The pages ``actor`` may open, landing page first, as
    :func:`lsmap.access.pages_for_role` decides (a visitor gets only the login page)."""
    return [page(path) for path in access.pages_for_role(actor)]


def landing_page(actor: Actor | None) -> st.Page:
    """The page served at the app's root: the role's landing page, hidden from the menu.

    Streamlit serves its default page only at the root and answers the default page's own
    address with an English "Page not found" dialog; with this hidden root page every
    visible page keeps its own address (a bookmarked ``/map`` or ``/start`` opens)."""
    landing = access.pages_for_role(actor)[0]
    title, icon = PAGES[landing]
    return st.Page(
        RENDERERS[landing],
        title=title,
        url_path="home",
        icon=icon,
        default=True,
        visibility="hidden",
    )


def hidden_pages_for(actor: Actor | None) -> list[st.Page]:
    """Every other known page, hidden from the menu: a stale or logged-out link opens a
    Japanese 「ページが見つかりません／ログインしてください」 (a visitor gets the login form,
    and after signing in the same address opens the page asked for)."""
    # After signing in, the tab may still name the login page: it falls back to the landing
    # page (as it always did), never to "not found".
    shown = {*access.pages_for_role(actor), "login"}
    render = not_found_page.render_for_visitor if actor is None else not_found_page.render_for_user
    return [
        st.Page(
            partial(render, path),
            title=PAGES[path][0],
            url_path=path,
            icon=PAGES[path][1],
            visibility="hidden",
        )
        for path in PAGES
        if path not in shown
    ]
