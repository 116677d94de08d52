"""ログイン: the only page shown to a visitor who has not signed in."""

from __future__ import annotations

import streamlit as st

from lsmap.access.accounts import DEMO_PASSWORD, DEMO_USERS
from lsmap.escape import markdown_text
from lsmap.settings import get_settings
from lsmap.storage import db
from lsmap.ui.session import (
    oidc_fresh,
    oidc_signed_in,
    sign_in,
    sign_in_with_code,
    sign_in_with_identity,
)
from lsmap.vocab import ROLES


def render() -> None:
    """The login form (and, in sample mode, the demo accounts)."""
    st.title("lsmap 支え合い福祉マップ")
    st.caption(
        "見守りネットワークの地図と記録。要配慮個人情報を扱います。担当者以外は閲覧できません。"
    )
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
    _code_login()
    from lsmap.io.sample import sample_mode

    if sample_mode(db.get_engine()):
        with st.expander("デモ用アカウント（サンプルデータ専用）", expanded=True):
            st.markdown(f"パスワードはすべて `{DEMO_PASSWORD}` です。")
            st.table(
                {
                    "ユーザー名": [u.username for u in DEMO_USERS],
                    "役割": [ROLES[u.role] for u in DEMO_USERS],
                    "説明": [u.display_name for u in DEMO_USERS],
                }
            )


def _code_login() -> None:
    """「ワンタイムコード」: a 見守り者 signs in with the code printed by the 社協."""
    with st.form("code-login"):
        st.markdown("**見守り者の方：社協からもらったワンタイムコードでログイン**")
        code = st.text_input("ワンタイムコード（12桁の数字）", max_chars=20)
        submitted = st.form_submit_button("コードで入る")
    if submitted:
        if (error := sign_in_with_code(code)) is not None:
            st.error(markdown_text(error))
        else:
            st.rerun()


def _oidc_login() -> None:
    """Sign in through the organisation's identity provider (Streamlit's st.login).

    A person coming back from the provider just now is signed in; an older identity (kept
    by Streamlit for weeks) must go to the provider again, so lsmap's idle and absolute
    limits hold in OIDC mode too.
    """
    if oidc_fresh():
        if (error := sign_in_with_identity()) is None:
            st.rerun()
        st.error(markdown_text(error))  # names the e-mail address the provider gave
        if st.button("別のアカウントでログイン"):
            st.logout()
        return
    if oidc_signed_in():
        st.info("続けるには、組織のアカウントでもう一度ログインしてください。")
    if st.button("組織のアカウントでログイン", type="primary"):
        try:
            st.login()
        except Exception:  # noqa: BLE001 - Streamlit raises when [auth] is not configured
            st.error(
                "OIDC ログインが設定されていません（.streamlit/secrets.toml の [auth]）。"
                "管理者に連絡してください"
            )
