"""Who is signed in: a server-side session whose token lives in the browser's cookie.

The cookie holds only a random token; the role and districts are read from the database on
every page load, so a change of assignment or a disabled account takes effect at once.

A browser tab's ``st.session_state`` belongs to one user. When the signed-in user changes
or becomes nobody (logout, idle or absolute timeout, another person's cookie), everything
in it is wiped: files made for download, form values, choices, remembered records.
"""

from __future__ import annotations

import streamlit as st

from lsmap.access import Actor, accounts, load_actor
from lsmap.settings import get_settings
from lsmap.storage import audit, db
from lsmap.vocab import AuditAction, Entity

COOKIE = "lsmap_session"
_OWNER = "_state_owner"
#: Session-state keys that survive a change of user: the token of the user now signed in,
#: the notice that the last session expired, and the owner mark itself.
_KEPT_KEYS = frozenset({"token", "expired", _OWNER})


def cookie_max_age() -> int:
    """The cookie's lifetime in seconds: the absolute session limit."""
    return int(get_settings().session_max_hours * 3600)


def serves_https() -> bool:
    """Whether the session cookie is to be ``Secure``.

    ``LSMAP_COOKIE_SECURE`` decides when set; otherwise the request's scheme as the reverse
    proxy reports it (``X-Forwarded-Proto``), else the page's origin or URL.
    """
    setting = get_settings().cookie_secure
    if setting is not None:
        return setting
    headers = st.context.headers
    forwarded = (headers.get("X-Forwarded-Proto") or "").split(",")[0].strip().lower()
    if forwarded:
        return forwarded == "https"
    origin = headers.get("Origin") or ""
    return origin.startswith("https://") or (st.context.url or "").startswith("https://")


def cookie_script(token: str, max_age: int, *, secure: bool) -> str:
    """The script that sets (or, with ``max_age`` 0, removes) the session cookie."""
    # The token is URL-safe base64 (no quotes or semicolons), so it is safe in this script.
    flags = f"path=/; max-age={max_age}; SameSite=Strict" + ("; Secure" if secure else "")
    return f"<script>document.cookie = '{COOKIE}={token}; {flags}';</script>"


def _set_cookie(token: str, max_age: int) -> None:
    st.html(cookie_script(token, max_age, secure=serves_https()), unsafe_allow_javascript=True)


def _cookie() -> str:
    """The session cookie sent with this page load ("" when absent, e.g. in AppTest)."""
    value = st.context.cookies.get(COOKIE, "")
    return value if isinstance(value, str) else ""


def hand_over_state(user_id: int | None) -> None:
    """Give the tab's session state to ``user_id``: wipe it when the user changes.

    Nothing made for, typed by or loaded for one user is left for the next one.
    """
    if _OWNER in st.session_state and st.session_state[_OWNER] == user_id:
        return
    for key in list(st.session_state.keys()):
        if key not in _KEPT_KEYS and not str(key).startswith("$$"):  # $$: Streamlit's own
            del st.session_state[key]
    st.session_state[_OWNER] = user_id


def current_actor() -> Actor | None:
    """The signed-in actor for this page load, or None (then only the login page is shown).

    The tab's session state is handed over to whoever that is (see :func:`hand_over_state`).
    """
    actor = _signed_in()
    hand_over_state(None if actor is None else actor.user_id)
    return actor


def _signed_in() -> Actor | None:
    token = st.session_state.get("token") or _cookie()
    if not token:
        return None
    settings = get_settings()
    with db.transaction(db.get_engine()) as session:
        user_id = accounts.resume_session(
            session, token, settings.session_minutes, settings.session_max_hours
        )
        actor = load_actor(session, user_id) if user_id is not None else None
    if actor is None:
        st.session_state.pop("token", None)
        if _cookie():
            _set_cookie("", 0)
        st.session_state["expired"] = True
        return None
    st.session_state["token"] = token
    if _cookie() != token:
        _set_cookie(token, cookie_max_age())
    return actor


def sign_in(username: str, password: str) -> str | None:
    """Check the credentials and open a session; returns a Japanese error or None.

    Every refusal, a database error included, gets the same message (no traceback).
    """
    try:
        _, token = accounts.login(db.get_engine(), username.strip(), password)
    except accounts.AccountError as error:
        return str(error)
    st.session_state["token"] = token
    return None


def sign_in_with_code(code: str) -> str | None:
    """Sign a 見守り者 in with a one-time code; returns a Japanese error or None."""
    from lsmap.access.sign_in_codes import login_with_code

    try:
        _, token = login_with_code(db.get_engine(), code)
    except accounts.AccountError as error:
        return str(error)
    st.session_state["token"] = token
    return None


def oidc_signed_in() -> bool:
    """Whether Streamlit's OIDC login has a signed-in person (False when not configured)."""
    return bool(st.user.get("is_logged_in", False))


def oidc_fresh() -> bool:
    """Whether the OIDC identity comes from a sign-in at the provider just now.

    Streamlit's identity cookie lasts 30 days; after lsmap's own session has ended (idle or
    absolute limit, logout) an older identity must not sign the person straight back in.
    """
    return oidc_signed_in() and accounts.identity_is_fresh(st.user)


def sign_in_with_identity() -> str | None:
    """Open an lsmap session for the person just signed in through ``st.login`` (OIDC).

    Returns a Japanese error, or None when signed in.
    """
    if not oidc_fresh():
        return "組織のアカウントでもう一度ログインしてください"
    email = st.user.get("email")
    email = email if isinstance(email, str) else None
    engine = db.get_engine()
    try:
        with db.transaction(engine) as session:
            user = accounts.user_for_identity(session, email)
            token = accounts.start_session(session, user)
            audit.log(
                session,
                load_actor(session, user.id),
                AuditAction.LOGIN,
                Entity.USER,
                [user.id],
                method="oidc",
            )
    except accounts.AccountError as error:
        with db.transaction(engine) as session:
            audit.log_attempt(
                session, email or "", AuditAction.LOGIN_FAILED, reason="no_account", method="oidc"
            )
        return str(error)
    st.session_state["token"] = token
    return None


def sign_out(actor: Actor) -> None:
    """End the session on the server and in the browser (and at the OIDC provider)."""
    token = st.session_state.pop("token", "") or _cookie()
    with db.transaction(db.get_engine()) as session:
        accounts.end_session(session, token)
        audit.log(session, actor, AuditAction.LOGOUT, Entity.USER, [actor.user_id])
    _set_cookie("", 0)
    if get_settings().auth == "oidc" and oidc_signed_in():
        st.logout()
