"""ログイン: the only page shown to a visitor who has not signed in."""

from __future__ import annotations

import streamlit as st

from lsmap.accounts import DEMO_PASSWORD, DEMO_USERS
from lsmap.settings import get_settings
from lsmap.ui.session import sign_in
from lsmap.vocab import ROLES


def render() -> None:
    """The login form (and, in sample mode, the demo accounts)."""
    st.title("lsmap 支え合い福祉マップ")
    st.caption("見守りネットワークの地図と記録。要配慮個人情報を扱います。担当者以外は閲覧できません。")
    if st.session_state.pop("expired", False):
        st.info("一定時間操作がなかったため、ログアウトしました。もう一度ログインしてください。")
    with st.form("login"):
        username = st.text_input("ユーザー名")
        password = st.text_input("パスワード", type="password")
        submitted = st.form_submit_button("ログイン", type="primary")
    if submitted:
        if not username or not password:
            st.error("ユーザー名とパスワードを入力してください")
        elif (error := sign_in(username, password)) is not None:
            st.error(error)
        else:
            st.rerun()
    if get_settings().sample_mode:
        with st.expander("デモ用アカウント（サンプルデータ専用）", expanded=True):
            st.markdown(f"パスワードはすべて `{DEMO_PASSWORD}` です。")
            st.table(
                {
                    "ユーザー名": [u.username for u in DEMO_USERS],
                    "役割": [ROLES[u.role] for u in DEMO_USERS],
                    "説明": [u.display_name for u in DEMO_USERS],
                }
            )
