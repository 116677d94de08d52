"""ログイン: the only page shown to a visitor who has not signed in."""

from __future__ import annotations

import streamlit as st

from lsmap.accounts import DEMO_PASSWORD, DEMO_USERS
from lsmap.escape import markdown_text
from lsmap.settings import get_settings
from lsmap.ui.session import oidc_signed_in, sign_in, sign_in_with_identity
from lsmap.vocab import ROLES


def render() -> None:
    """The login form (and, in sample mode, the demo accounts)."""
    st.title("lsmap 支え合い福祉マップ")
    st.caption("見守りネットワークの地図と記録。要配慮個人情報を扱います。担当者以外は閲覧できません。")
    if st.session_state.pop("expired", False):
        st.info("一定時間操作がなかったため、ログアウトしました。もう一度ログインしてください。")
    if get_settings().auth == "oidc":
        _oidc_login()
        return
    with st.form("login"):
        username = st.text_input("ユーザー名")
        password = st.text_input("パスワード", type="password")
        submitted = st.form_submit_button("ログイン", type="primary")
    if submitted:
        if not username or not password:
            st.error("ユーザー名とパスワードを入力してください")
        elif (error := sign_in(username, password)) is not None:
            st.error(markdown_text(error))
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


def _oidc_login() -> None:
    """Sign in through the organisation's identity provider (Streamlit's st.login)."""
    if oidc_signed_in():
        if (error := sign_in_with_identity()) is None:
            st.rerun()
        st.error(markdown_text(error))  # names the e-mail address the provider gave
        if st.button("別のアカウントでログイン"):
            st.logout()
        return
    if st.button("組織のアカウントでログイン", type="primary"):
        try:
            st.login()
        except Exception:  # noqa: BLE001 - Streamlit raises when [auth] is not configured
            st.error("OIDC ログインが設定されていません（.streamlit/secrets.toml の [auth]）。管理者に連絡してください")
