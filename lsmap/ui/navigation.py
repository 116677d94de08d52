"""Which pages each role gets, and the acting user of the current page load."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from lsmap.access import EDIT_ROLES, PERSONAL_ROLES, Actor
from lsmap.escape import markdown_text
from lsmap.ui.pages import audit_page, login_page, map_page, record_page
from lsmap.ui.pages import deleted_page, record_edit_page, start_page, watchers_page  # issue 3
from lsmap.ui.pages import coverage_page, gaps_page  # issue 5
from lsmap.ui.pages import export_page, import_page  # issue 6
from lsmap.ui.session import sign_out
from lsmap.vocab import ROLES

#: url path -> (render function, title, icon). The navigation gets fresh Page objects on
#: every run (st.navigation marks the landing page as default on the object it is given);
#: the constants below are only targets for st.switch_page.
PAGE_SPECS: dict[str, tuple[Callable[[], None], str, str]] = {
    "login": (login_page.render, "ログイン", ":material/login:"),
    "start": (start_page.render, "要対応", ":material/notification_important:"),  # issue 3
    "map": (map_page.render, "地図", ":material/map:"),
    "record": (record_page.render, "見守り記録", ":material/assignment:"),
    "edit": (record_edit_page.render, "記録の編集", ":material/edit_note:"),  # issue 3
    "watchers": (watchers_page.render, "見守り者", ":material/groups:"),  # issue 3
    "deleted": (deleted_page.render, "削除した記録", ":material/restore_from_trash:"),  # issue 3
    "coverage": (coverage_page.render, "カバー状況", ":material/insights:"),  # issue 5
    "gaps": (gaps_page.render, "空白地帯の一覧", ":material/person_search:"),  # issue 5
    "audit": (audit_page.render, "監査ログ", ":material/policy:"),
    "import": (import_page.render, "データの取り込み", ":material/upload_file:"),  # issue 6
    "export": (export_page.render, "データの書き出し", ":material/download:"),  # issue 6
}


def page(url_path: str, *, default: bool = False) -> st.Page:
    """A new Page object for ``url_path``."""
    render, title, icon = PAGE_SPECS[url_path]
    return st.Page(render, title=title, url_path=url_path, icon=icon, default=default)


LOGIN, START, MAP, RECORD, EDIT, WATCHERS, DELETED, COVERAGE, GAPS, AUDIT, IMPORT, EXPORT = (
    page(path) for path in PAGE_SPECS
)


def pages_for(actor: Actor | None) -> list[st.Page]:
    """The pages ``actor`` may open, landing page first; a visitor gets only the login page.

    Staff and admin land on 要対応 (their urgent and overdue households); meeting viewers
    and planners on the map.
    """
    if actor is None:
        paths = ["login"]
    else:
        paths = ["map"]
        if actor.role in PERSONAL_ROLES:
            paths.append("record")
        if actor.role in EDIT_ROLES:
            paths = ["start", *paths, "edit", "watchers", "deleted"]
        paths.append("coverage")
        if actor.role in PERSONAL_ROLES:
            paths.append("gaps")
        paths.append("export")  # issue 6
        if actor.role == "admin":
            paths.append("import")  # issue 6
            paths.append("audit")
    return [page(path, default=index == 0) for index, path in enumerate(paths)]


def user_box(actor: Actor) -> None:
    """Who is signed in, and the logout button, in the sidebar."""
    with st.sidebar:
        st.markdown(f"**{markdown_text(actor.display_name)}**  \n{ROLES.get(actor.role, actor.role)}")
        if st.button("ログアウト", key="logout"):
            sign_out(actor)
            st.session_state.clear()
            st.rerun()
