"""Local accounts: password hashing (argon2), lockout, server-side login sessions."""

from __future__ import annotations

import functools
import hashlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, Table, and_, case, delete, func, null, or_, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from lsmap.access.core import load_actor
from lsmap.storage import audit
from lsmap.storage.db import transaction
from lsmap.storage.models import District, LoginSession, User, Watcher, utcnow
from lsmap.vocab import ROLES, AuditAction, Entity, Role

MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
#: Default absolute lifetime of a login session (LSMAP_SESSION_MAX_HOURS).
SESSION_MAX_HOURS = 12.0
#: An OIDC identity is taken as a fresh sign-in only this soon after it was issued.
FRESH_IDENTITY = timedelta(minutes=5)
#: The published password of the demo accounts (never added beside real users).
DEMO_PASSWORD = "lsmap-demo"  # noqa: S105 - documented demo password, not a secret

_hasher = PasswordHasher()


@dataclass(frozen=True)
class DemoUser:
    """A demo account created with the sample town (sample mode only)."""

    username: str
    display_name: str
    role: Role
    district_codes: tuple[str, ...]


DEMO_USERS: tuple[DemoUser, ...] = (
    DemoUser("admin", "管理者（デモ）", Role.ADMIN, ()),
    DemoUser("staff_east", "東地区担当職員（デモ）", Role.STAFF, ("149990-01",)),
    DemoUser("staff_west", "西地区担当職員（デモ）", Role.STAFF, ("149990-02",)),
    DemoUser("meeting_east", "東地区福祉連絡会（デモ）", Role.MEETING, ("149990-01",)),
    DemoUser("planner", "計画担当（デモ）", Role.PLANNER, ()),
)


class AccountError(ValueError):
    """A user-facing account problem, with a Japanese message."""


def hash_password(password: str) -> str:
    """Argon2id hash of ``password``."""
    return _hasher.hash(password)


def _aware(moment: datetime | None) -> datetime | None:
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


def create_user(
    session: Session,
    username: str,
    role: Role | str,
    password: str,
    district_codes: tuple[str, ...] | list[str] = (),
    display_name: str = "",
    watcher_id: int | None = None,
) -> User:
    """Create an account; raises AccountError with a Japanese message on bad input.

    A ``watcher`` account names its watcher row (``watcher_id``) and may have no password
    (it then signs in with one-time codes only); no other role names a watcher.
    """
    if role not in ROLES:
        raise AccountError(f"役割「{role}」は使えません（{', '.join(ROLES)} のいずれか）")
    if not username.strip():
        raise AccountError("ユーザー名を入力してください")
    is_watcher = Role(role) == Role.WATCHER
    if watcher_id is not None and not is_watcher:
        raise AccountError("見守り者を結び付けられるのは役割「見守り者」だけです")
    if (password or not is_watcher) and len(password) < 8:
        raise AccountError("パスワードは8文字以上にしてください")
    if session.scalar(select(User).where(User.username == username)) is not None:
        raise AccountError(f"ユーザー名「{username}」は既に使われています")
    user = User(
        username=username,
        display_name=display_name or username,
        role=str(Role(role)),
        password_hash=hash_password(password) if password else "",
        watcher_id=_watcher_for(session, watcher_id) if is_watcher else None,
    )
    user.districts = _districts_by_code(session, district_codes)
    session.add(user)
    session.flush()
    return user


def _watcher_for(session: Session, watcher_id: int | None) -> int:
    """The live watcher row a new watcher account is linked to (AccountError otherwise)."""
    if watcher_id is None:
        raise AccountError("見守り者のアカウントには見守り者（番号）を選んでください")
    watcher = session.get(Watcher, watcher_id)
    if watcher is None or watcher.deleted_at is not None:
        raise AccountError(f"見守り者 {watcher_id} が見つかりません")
    taken = session.scalar(
        select(User.username).where(User.watcher_id == watcher_id, User.deleted_at.is_(None))
    )
    if taken is not None:
        raise AccountError(f"この見守り者には既にアカウント「{taken}」があります")
    return int(watcher.id)


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
                session,
                demo.username,
                demo.role,
                DEMO_PASSWORD,
                demo.district_codes,
                demo.display_name,
            )
            created.append(demo.username)
    return created


#: The one answer to every refused sign-in: unknown user, wrong password, locked or
#: disabled account, or a database error (nothing tells them apart).
LOGIN_REFUSED = "ユーザー名またはパスワードが違います"


@dataclass(frozen=True)
class _Attempt:
    """A counted sign-in attempt: the account's row as the counting UPDATE left it."""

    user_id: int
    password_hash: str
    count: int
    locked_until: datetime | None
    usable: bool


def _users() -> Table:
    """The users table, for the core UPDATE statements of the sign-in count."""
    return cast(Table, User.__table__)


@functools.cache
def _dummy_hash() -> str:
    """A hash to verify against when there is no account, so every refusal costs the same."""
    return _hasher.hash(secrets.token_urlsafe(16))


def _count_attempt(engine: Engine, username: str) -> _Attempt | None:
    """Count one attempt atomically, before the password is checked; None for no account.

    One ``UPDATE … RETURNING`` (SQLite >= 3.35 and PostgreSQL): parallel attempts each get
    their own number. An expired lock starts the count afresh.
    """
    users = _users()
    now = utcnow()
    expired = and_(users.c.locked_until.is_not(None), users.c.locked_until <= now)
    statement = (
        update(users)
        .where(users.c.username == username)
        .values(
            failed_logins=case((expired, 1), else_=users.c.failed_logins + 1),
            locked_until=case((expired, null()), else_=users.c.locked_until),
        )
        .returning(
            users.c.id,
            users.c.password_hash,
            users.c.failed_logins,
            users.c.locked_until,
            users.c.active,
            users.c.deleted_at,
        )
    )
    with engine.begin() as connection:
        row = connection.execute(statement).first()
    if row is None:
        return None
    return _Attempt(
        row.id,
        row.password_hash,
        row.failed_logins,
        _aware(row.locked_until),
        bool(row.active) and row.deleted_at is None,
    )


def _password_matches(stored_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _refusal(attempt: _Attempt | None) -> str | None:
    """Why an attempt is refused whatever its password, or None."""
    if attempt is None:
        return "unknown_user"
    if not attempt.usable:
        return "disabled"
    locked = attempt.locked_until is not None and attempt.locked_until > utcnow()
    return "locked" if locked or attempt.count > MAX_FAILED_LOGINS else None


def _refuse(engine: Engine, username: str, attempt: _Attempt | None, reason: str) -> None:
    """Audit a refused attempt, and lock the account when it was one failure too many."""
    now = utcnow()
    users = _users()
    ids = [attempt.user_id] if attempt else []
    try:
        with transaction(engine) as session:
            audit.log_attempt(session, username, AuditAction.LOGIN_FAILED, ids, reason=reason)
            if attempt is None or not attempt.usable or attempt.count < MAX_FAILED_LOGINS:
                return
            not_locked = or_(users.c.locked_until.is_(None), users.c.locked_until <= now)
            locked = session.execute(
                update(users)
                .where(users.c.id == attempt.user_id, not_locked)
                .values(locked_until=now + LOCKOUT)
                .returning(users.c.id)
            ).first()
            if locked is not None:  # this attempt locked the account
                audit.log_attempt(
                    session,
                    username,
                    AuditAction.ACCOUNT_LOCKED,
                    ids,
                    minutes=LOCKOUT.seconds // 60,
                )
    except SQLAlchemyError:
        pass  # the database is failing: the attempt is refused all the same


def verify_login(engine: Engine, username: str, password: str) -> int:
    """The id of the usable account with these credentials; AccountError otherwise.

    The attempt is counted before the password is checked, so parallel attempts cannot
    slip past the lockout. Unknown user, wrong password, locked or disabled account and a
    database error all cost one password verification and get the same message; each
    refusal is audited under the name as typed.
    """
    try:
        attempt = _count_attempt(engine, username)
        reason = _refusal(attempt)
    except SQLAlchemyError:
        attempt, reason = None, "error"
    if reason is not None or attempt is None:
        _password_matches(_dummy_hash(), password)  # the same cost as a real check
    elif _password_matches(attempt.password_hash, password):
        try:
            return _succeed(engine, attempt.user_id)
        except SQLAlchemyError:
            reason = "error"
    else:
        reason = "wrong_password"
    _refuse(engine, username, attempt, reason or "error")
    raise AccountError(LOGIN_REFUSED)


def _succeed(engine: Engine, user_id: int) -> int:
    users = _users()
    with engine.begin() as connection:
        connection.execute(
            update(users).where(users.c.id == user_id).values(failed_logins=0, locked_until=null())
        )
    return user_id


def authenticate(session: Session, username: str, password: str) -> User:
    """The active user with these credentials; AccountError (one Japanese message) otherwise.

    See :func:`verify_login`; the attempt is counted and audited in transactions of its own.
    """
    bind = session.get_bind()
    engine = bind if isinstance(bind, Engine) else bind.engine
    return session.get_one(User, verify_login(engine, username, password))


def login(engine: Engine, username: str, password: str) -> tuple[int, str]:
    """Check the credentials and open a login session: (user id, token for the browser).

    Every failure, a database error included, is the generic AccountError.
    """
    try:
        user_id = verify_login(engine, username, password)
        with transaction(engine) as session:
            actor = load_actor(session, user_id)
            if actor is None:
                raise AccountError(LOGIN_REFUSED)
            token = start_session(session, session.get_one(User, user_id))
            audit.log(session, actor, AuditAction.LOGIN, Entity.USER, [user_id])
    except SQLAlchemyError:
        raise AccountError(LOGIN_REFUSED) from None
    return user_id, token


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(session: Session, user: User) -> str:
    """Open a login session for ``user``; returns the secret token for the browser."""
    token = secrets.token_urlsafe(32)
    session.add(LoginSession(token_hash=_token_hash(token), user_id=user.id))
    return token


def resume_session(
    session: Session, token: str, timeout_minutes: int, max_hours: float = SESSION_MAX_HOURS
) -> int | None:
    """The user id of a live session, refreshing its idle timer; None if expired or unknown.

    A session ends after ``timeout_minutes`` without a page load, and ``max_hours`` after it
    was opened however active it is (the server's rule, not only the cookie's max-age).
    """
    if not token:
        return None
    row = session.get(LoginSession, _token_hash(token))
    if row is None:
        return None
    now = utcnow()
    last_seen, created = _aware(row.last_seen_at), _aware(row.created_at)
    if last_seen is None or created is None:
        raise RuntimeError("login session row without timestamps")
    if now - last_seen > timedelta(minutes=timeout_minutes) or now - created > timedelta(
        hours=max_hours
    ):
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


def identity_is_fresh(claims: Mapping[str, Any], window: timedelta = FRESH_IDENTITY) -> bool:
    """Whether an OIDC identity was issued within ``window`` (its ``iat`` claim).

    Streamlit keeps the identity in a cookie for 30 days. Only a person who has just come
    back from the provider may open a new lsmap session from it; an older identity after
    lsmap's own session ended (idle or absolute limit) must sign in at the provider again.
    """
    issued = claims.get("iat")
    if isinstance(issued, bool) or not isinstance(issued, (int, float)):
        return False
    age = utcnow().timestamp() - float(issued)
    return -60 <= age <= window.total_seconds()  # a minute of clock skew


def user_for_identity(session: Session, email: str | None) -> User:
    """The active lsmap user for an identity verified by the OIDC provider.

    The identity only says who the person is; the role and districts always come from
    lsmap's own tables. The lsmap user name must equal the e-mail address (case-insensitive).
    """
    if not email:
        raise AccountError("ログインしたアカウントにメールアドレスがありません")
    user = session.scalar(select(User).where(func.lower(User.username) == email.strip().lower()))
    if user is None or not user.active:
        raise AccountError(
            f"{email} は lsmap に登録されていないか、無効になっています。管理者に連絡してください"
        )
    return user
