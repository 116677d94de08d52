"""Pages by name: their titles and icons, and moving from one page to another.

A page is identified by its url path (Streamlit finds a registered page by the hash of that
path), so a page can send the user to another without importing it.
"""

from __future__ import annotations

from typing import NoReturn

import streamlit as st

#: url path -> (title, icon), in the order of the navigation.
PAGES: dict[str, tuple[str, str]] = {
    "login": ("ログイン", ":material/login:"),
    "start": ("要対応", ":material/notification_important:"),
    "map": ("地図", ":material/map:"),
    "record": ("見守り記録", ":material/assignment:"),
    "edit": ("記録の編集", ":material/edit_note:"),
    "watchers": ("見守り者", ":material/groups:"),
    "deleted": ("削除した記録", ":material/restore_from_trash:"),
    "coverage": ("カバー状況", ":material/insights:"),
    "gaps": ("空白地帯の一覧", ":material/person_search:"),
    "audit": ("監査ログ", ":material/policy:"),
    "import": ("データの取り込み", ":material/upload_file:"),
    "export": ("データの書き出し", ":material/download:"),
    "locations": ("位置の確認", ":material/edit_location_alt:"),
    "resources": ("地域資源", ":material/home_work:"),
    "users": ("利用者の管理", ":material/manage_accounts:"),
    "proposals": ("会議からの提案", ":material/how_to_vote:"),
    "meetings": ("会議の記録", ":material/event_note:"),
    "contact_sheet": ("緊急連絡表", ":material/contact_phone:"),
    "mine": ("わたしの見守り", ":material/volunteer_activism:"),
}


def _not_drawn() -> None:
    """Stands in for a page's render function: a link target is never drawn itself."""


def target(url_path: str) -> st.Page:
    """A link target for ``url_path`` (the registered page with that path opens)."""
    title, icon = PAGES[url_path]
    return st.Page(_not_drawn, title=title, url_path=url_path, icon=icon)


def go(url_path: str, **query: str) -> NoReturn:
    """Open the page ``url_path`` with ``query`` parameters (stops this run)."""
    st.switch_page(target(url_path), query_params=query or None)
    raise AssertionError("st.switch_page returned")  # pragma: no cover
