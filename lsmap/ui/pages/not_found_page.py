"""ページが見つかりません: what a stale or logged-out link opens (issue 12).

A visitor who follows a link to a page (``/record?household=12``) sees the login form with
「ページが見つかりません／ログインしてください」; after signing in the same address opens the
page asked for (the URL is kept), if the role may open it. A signed-in user whose link
names a page their role does not have is told so in Japanese, not by Streamlit's English
"page not found".
"""

from __future__ import annotations

import streamlit as st

from lsmap.ui import context
from lsmap.ui.links import PAGES
from lsmap.ui.pages import login_page

NOT_FOUND = "ページが見つかりません／ログインしてください"


def render_for_visitor(url_path: str) -> None:
    """The login form, saying which page opens after signing in."""
    title = PAGES.get(url_path, ("", ""))[0]
    st.warning(
        f"{NOT_FOUND}。ログインすると、開こうとしたページ（{title}）を開きます。"
        if title
        else f"{NOT_FOUND}。"
    )
    login_page.render()


def render_for_user(url_path: str) -> None:
    """「ページが見つかりません」 for a page the signed-in role does not have."""
    actor = context.require_actor()
    from lsmap.ui.sidebar import user_box

    user_box(actor)
    st.subheader("ページが見つかりません")
    title = PAGES.get(url_path, ("", ""))[0]
    st.error(
        f"「{title}」は、いまの役割では開けないか、リンクが古くなっています。"
        "左のメニューから開いてください。"
    )
