"""Local accounts: password hashing (argon2), lockout, server-side login sessions."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from lsmap.models import District, LoginSession, User, utcnow
from lsmap.vocab import ROLES

MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
DEMO_PASSWORD = "lsmap-demo"

_hasher = PasswordHasher()


@dataclass(frozen=True)
class DemoUser:
    """A demo account created with the sample town (sample mode only)."""

    username: str
    display_name: str
    role: str
    district_codes: tuple[str, ...]


DEMO_USERS: tuple[DemoUser, ...] = (
    DemoUser("admin", "管理者（デモ）", "admin", ()),
    DemoUser("staff_east", "東地区担当職員（デモ）", "staff", ("149990-01",)),
    DemoUser("staff_west", "西地区担当職員（デモ）", "staff", ("149990-02",)),
    DemoUser("meeting_east", "東地区福祉連絡会（デモ）", "meeting", ("149990-01",)),
    DemoUser("planner", "計画担当（デモ）", "planner", ()),
)


class AccountError(ValueError):
    """A user-facing account problem, with a Japanese message."""


def hash_password(password: str) -> str:
    """Argon2id hash of ``password``."""
    return _hasher.hash(password)


def _aware(moment: datetime | None) -> datetime | None:
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment


def create_user(
    session: Session,
    username: str,
    role: str,
    password: str,
    district_codes: tuple[str, ...] | list[str] = (),
    display_name: str = "",
) -> User:
    """Create an account; raises AccountError with a Japanese message on bad input."""
    if role not in ROLES:
        raise AccountError(f"役割「{role}」は使えません（{', '.join(ROLES)} のいずれか）")
    if not username.strip():
        raise AccountError("ユーザー名を入力してください")
    if len(password) < 8:
        raise AccountError("パスワードは8文字以上にしてください")
    if session.scalar(select(User).where(User.username == username)) is not None:
        raise AccountError(f"ユーザー名「{username}」は既に使われています")
    user = User(
        username=username,
        display_name=display_name or username,
        role=role,
        password_hash=hash_password(password),
    )
    user.districts = _districts_by_code(session, district_codes)
    session.add(user)
    session.flush()
    return user


def _districts_by_code(session: Session, codes: tuple[str, ...] | list[str]) -> list[District]:
    found = {d.code: d for d in session.scalars(select(District).where(District.code.in_(codes)))}
    missing = [code for code in codes if code not in found]
    if missing:
        raise AccountError(f"地区コード {', '.join(missing)} が見つかりません")
    return [found[code] for code in codes]


def ensure_demo_users(session: Session) -> list[str]:
    """Create the demo accounts that do not exist yet; returns the usernames created."""
    created = []
    for demo in DEMO_USERS:
        if session.scalar(select(User.id).where(User.username == demo.username)) is None:
            create_user(
                session, demo.username, demo.role, DEMO_PASSWORD, demo.district_codes,
                demo.display_name,
            )
            created.append(demo.username)
    return created


def authenticate(session: Session, username: str, password: str) -> User:
    """The active user with these credentials; AccountError (Japanese) otherwise.

    Repeated failures lock the account for a while; the message never tells whether the
    user name exists.
    """
    generic = AccountError("ユーザー名またはパスワードが違います")
    user = session.scalar(select(User).where(User.username == username))
    if user is None or not user.active:
        _hasher.hash(password)  # same cost either way: no user-enumeration by timing
        raise generic
    now = utcnow()
    locked_until = _aware(user.locked_until)
    if locked_until is not None and locked_until > now:
        raise AccountError("ログインの失敗が続いたため、しばらくログインできません。15分ほど後にお試しください")
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        user.failed_logins += 1
        if user.failed_logins >= MAX_FAILED_LOGINS:
            user.locked_until = now + LOCKOUT
            user.failed_logins = 0
        raise generic from None
    user.failed_logins = 0
    user.locked_until = None
    return user


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(session: Session, user: User) -> str:
    """Open a login session for ``user``; returns the secret token for the browser."""
    token = secrets.token_urlsafe(32)
    session.add(LoginSession(token_hash=_token_hash(token), user_id=user.id))
    return token


def resume_session(session: Session, token: str, timeout_minutes: int) -> int | None:
    """The user id of a live session, refreshing its idle timer; None if expired or unknown."""
    if not token:
        return None
    row = session.get(LoginSession, _token_hash(token))
    if row is None:
        return None
    now = utcnow()
    last_seen = _aware(row.last_seen_at)
    assert last_seen is not None
    if now - last_seen > timedelta(minutes=timeout_minutes):
        session.delete(row)
        return None
    row.last_seen_at = now
    return row.user_id


def end_session(session: Session, token: str) -> None:
    """Forget a login session (logout)."""
    session.execute(delete(LoginSession).where(LoginSession.token_hash == _token_hash(token)))


def set_active(session: Session, username: str, active: bool) -> User:
    """Enable or disable an account; disabling also ends its open sessions."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise AccountError(f"ユーザー「{username}」は存在しません")
    user.active = active
    if not active:
        session.execute(delete(LoginSession).where(LoginSession.user_id == user.id))
    return user


def assign_districts(session: Session, username: str, district_codes: list[str]) -> User:
    """Replace the account's assigned districts (effective on the user's next page load)."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise AccountError(f"ユーザー「{username}」は存在しません")
    user.districts = _districts_by_code(session, district_codes)
    return user


def user_for_identity(session: Session, email: str | None) -> User:
    """The active lsmap user for an identity verified by the OIDC provider.

    The identity only says who the person is; the role and districts always come from
    lsmap's own tables. The lsmap user name must equal the e-mail address (case-insensitive).
    """
    if not email:
        raise AccountError("ログインしたアカウントにメールアドレスがありません")
    user = session.scalar(select(User).where(func.lower(User.username) == email.strip().lower()))
    if user is None or not user.active:
        raise AccountError(f"{email} は lsmap に登録されていないか、無効になっています。管理者に連絡してください")
    return user
