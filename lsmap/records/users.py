"""Changing accounts from the users page: add, disable and enable, reset a password, assign a
role and districts.

Every function takes the acting administrator, asks :mod:`lsmap.access.user_admin` whether
the change is allowed, runs as one transaction with the version the page loaded, and writes
one audit entry naming the changed fields (never a password or its hash).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Engine, delete, select
from sqlalchemy.orm import Session

from lsmap.access import Actor, accounts, user_admin
from lsmap.records.writes import RecordError
from lsmap.storage import audit, db
from lsmap.storage.models import District, LoginSession, User, utcnow
from lsmap.vocab import AuditAction, Entity, Role

STALE = "ほかの人が先にこのアカウントを変更しました。画面を読み込み直してください"
MIN_PASSWORD = 8


def _districts(session: Session, role: Role, district_ids: Sequence[int]) -> list[District]:
    """The live districts ``district_ids``; a district role needs at least one."""
    if not user_admin.needs_districts(role):
        return []
    if not district_ids:
        raise RecordError(f"{role.label}には担当地区を1つ以上選んでください")
    found = list(
        session.scalars(
            select(District).where(District.id.in_(district_ids), District.deleted_at.is_(None))
        )
    )
    if len(found) != len(set(district_ids)):
        raise RecordError("選んだ地区が見つかりません。画面を読み込み直してください")
    return sorted(found, key=lambda d: d.id)


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise RecordError(f"パスワードは{MIN_PASSWORD}文字以上にしてください")


def _loaded(session: Session, actor: Actor, user_id: int, version: int) -> User:
    """The account at the version the page loaded; RecordError otherwise."""
    user_admin.require_manager(actor)
    user = session.get(User, user_id)
    if user is None or user.deleted_at is not None:
        raise RecordError("このアカウントは見つかりません")
    if user.version != version:
        raise RecordError(STALE)
    return user


def add_user(
    engine: Engine,
    actor: Actor,
    username: str,
    role: Role | str,
    password: str,
    district_ids: Sequence[int] = (),
    display_name: str = "",
) -> int:
    """Create an account; returns its id. Raises RecordError (Japanese) on bad input."""
    user_admin.require_manager(actor)
    role = Role(role)
    _check_password(password)
    with db.transaction(engine) as session:
        districts = _districts(session, role, district_ids)
        try:
            user = accounts.create_user(
                session, username.strip(), role, password, (), display_name.strip()
            )
        except accounts.AccountError as error:
            raise RecordError(str(error)) from None
        user.districts = districts
        session.flush()
        audit.log(
            session,
            actor,
            AuditAction.CREATE,
            Entity.USER,
            [user.id],
            fields=["username", "display_name", "role", "districts", "password"],
            districts=[d.id for d in districts],
        )
        return int(user.id)


def add_watcher_account(
    engine: Engine, actor: Actor, username: str, watcher_id: int, display_name: str = ""
) -> int:
    """Create the 見守り者 account of ``watcher_id`` (staff of its district or an
    administrator); it has no password and signs in with one-time codes. Returns its id."""
    with db.transaction(engine) as session:
        watcher = user_admin.watcher_account_scope(session, actor, watcher_id)
        try:
            user = accounts.create_user(
                session,
                username.strip(),
                Role.WATCHER,
                "",
                (),
                display_name.strip() or watcher.name,
                watcher_id=watcher.id,
            )
        except accounts.AccountError as error:
            raise RecordError(str(error)) from None
        audit.log(
            session,
            actor,
            AuditAction.CREATE,
            Entity.USER,
            [user.id],
            fields=["username", "display_name", "role", "watcher"],
            watcher=watcher.id,
        )
        return int(user.id)


def set_active(engine: Engine, actor: Actor, user_id: int, active: bool, *, version: int) -> int:
    """Disable (and sign out everywhere) or enable an account; returns the new version."""
    with db.transaction(engine) as session:
        user = _loaded(session, actor, user_id, version)
        refusal = user_admin.change_refusal(session, actor, user, active=active)
        if refusal:
            raise RecordError(refusal)
        if bool(user.active) == active:
            return version
        user.active = active
        if not active:
            session.execute(delete(LoginSession).where(LoginSession.user_id == user.id))
        session.flush()
        audit.log(
            session,
            actor,
            AuditAction.UPDATE,
            Entity.USER,
            [user.id],
            fields=["active"],
            active=active,
        )
        return int(user.version)


def reset_password(
    engine: Engine, actor: Actor, user_id: int, password: str, *, version: int
) -> int:
    """Give an account a new password; unlocks it and ends its open sessions."""
    _check_password(password)
    with db.transaction(engine) as session:
        user = _loaded(session, actor, user_id, version)
        user.password_hash = accounts.hash_password(password)
        user.failed_logins = 0
        user.locked_until = None
        session.execute(delete(LoginSession).where(LoginSession.user_id == user.id))
        session.flush()
        audit.log(session, actor, AuditAction.UPDATE, Entity.USER, [user.id], fields=["password"])
        return int(user.version)


def assign(
    engine: Engine,
    actor: Actor,
    user_id: int,
    role: Role | str,
    district_ids: Sequence[int],
    *,
    version: int,
    display_name: str | None = None,
) -> int:
    """Set an account's role, districts (and display name); effective on its next page load."""
    role = Role(role)
    with db.transaction(engine) as session:
        user = _loaded(session, actor, user_id, version)
        refusal = user_admin.change_refusal(session, actor, user, role=role)
        if refusal:
            raise RecordError(refusal)
        districts = _districts(session, role, district_ids)
        fields = []
        if user_admin.role_differs(user, role):
            fields.append("role")
            user.role = str(role)
        if sorted(d.id for d in user.districts) != [d.id for d in districts]:
            fields.append("districts")
            user.districts = districts
        if display_name is not None and display_name.strip() != user.display_name:
            fields.append("display_name")
            user.display_name = display_name.strip() or user.username
        if not fields:
            return version
        user.updated_at = utcnow()  # an UPDATE of the row, so the version moves for districts too
        session.flush()
        audit.log(
            session,
            actor,
            AuditAction.UPDATE,
            Entity.USER,
            [user.id],
            fields=fields,
            districts=[d.id for d in districts],
        )
        return int(user.version)
