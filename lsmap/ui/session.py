"""Who is signed in: a server-side session whose token lives in the browser's cookie.

The cookie holds only a random token; the role and districts are read from the database on
every page load, so a change of assignment or a disabled account takes effect at once.
"""

from __future__ import annotations

import streamlit as st

from lsmap import accounts, audit, db
from lsmap.access import Actor, load_actor
from lsmap.settings import get_settings

COOKIE = "lsmap_session"
COOKIE_MAX_AGE = 12 * 3600


def _set_cookie(token: str, max_age: int) -> None:
    # The token is URL-safe base64 (no quotes or semicolons), so it is safe in this script.
    st.html(
        f"<script>document.cookie = '{COOKIE}={token}; path=/; max-age={max_age}; "
        "SameSite=Strict';</script>",
        unsafe_allow_javascript=True,
    )


def _cookie() -> str:
    """The session cookie sent with this page load ("" when absent, e.g. in AppTest)."""
    value = st.context.cookies.get(COOKIE, "")
    return value if isinstance(value, str) else ""


def current_actor() -> Actor | None:
    """The signed-in actor for this page load, or None (then only the login page is shown)."""
    token = st.session_state.get("token") or _cookie()
    if not token:
        return None
    settings = get_settings()
    with db.transaction(db.get_engine()) as session:
        user_id = accounts.resume_session(session, token, settings.session_minutes)
        actor = load_actor(session, user_id) if user_id is not None else None
    if actor is None:
        st.session_state.pop("token", None)
        if _cookie():
            _set_cookie("", 0)
            st.session_state["expired"] = True
        return None
    st.session_state["token"] = token
    if _cookie() != token:
        _set_cookie(token, COOKIE_MAX_AGE)
    return actor


def sign_in(username: str, password: str) -> str | None:
    """Check the credentials and open a session; returns a Japanese error or None."""
    with db.transaction(db.get_engine()) as session:
        try:
            user = accounts.authenticate(session, username.strip(), password)
        except accounts.AccountError as error:
            failed = str(error)
        else:
            st.session_state["token"] = accounts.start_session(session, user)
            audit.log(session, load_actor(session, user.id), "login", "user", [user.id])
            return None
    return failed


def oidc_signed_in() -> bool:
    """Whether Streamlit's OIDC login has a signed-in person (False when not configured)."""
    return bool(st.user.get("is_logged_in", False))


def sign_in_with_identity() -> str | None:
    """Open an lsmap session for the person signed in through ``st.login`` (OIDC).

    Returns a Japanese error, or None when signed in (or nobody is signed in yet).
    """
    if not oidc_signed_in():
        return None
    email = st.user.get("email")
    with db.transaction(db.get_engine()) as session:
        try:
            user = accounts.user_for_identity(session, email if isinstance(email, str) else None)
        except accounts.AccountError as error:
            failed = str(error)
        else:
            st.session_state["token"] = accounts.start_session(session, user)
            audit.log(session, load_actor(session, user.id), "login", "user", [user.id], method="oidc")
            return None
    return failed


def sign_out(actor: Actor) -> None:
    """End the session on the server and in the browser (and at the OIDC provider)."""
    token = st.session_state.pop("token", "") or _cookie()
    with db.transaction(db.get_engine()) as session:
        accounts.end_session(session, token)
        audit.log(session, actor, "logout", "user", [actor.user_id])
    _set_cookie("", 0)
    if get_settings().auth == "oidc" and oidc_signed_in():
        st.logout()
