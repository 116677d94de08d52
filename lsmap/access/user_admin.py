"""The users page's reads and rules: who may manage accounts, the account list, and what an
account change may not do (disable oneself, leave the council without an administrator,
give a district role no district).

The writes themselves are :mod:`lsmap.records.users`; they ask these functions first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from lsmap.access.core import (
    DISTRICT_ACTIONS,
    ROLE_POLICIES,
    AccessDenied,
    Action,
    Actor,
    can,
    role_may,
    scoped,
)
from lsmap.storage.models import District, User, Watcher, utcnow
from lsmap.vocab import Role

NOT_ALLOWED = "利用者の管理は管理者だけができます"


@dataclass(frozen=True)
class UserAccount:
    """One account as the users page lists it (never its password hash)."""

    id: int
    username: str
    display_name: str
    role: Role
    district_ids: tuple[int, ...]
    district_names: tuple[str, ...]
    active: bool
    locked: bool
    version: int
    created_at: datetime | None


def require_manager(actor: Actor | None) -> Actor:
    """``actor`` if they may manage accounts; :class:`AccessDenied` otherwise."""
    if actor is None or not can(actor, Action.MANAGE_USERS):
        raise AccessDenied(NOT_ALLOWED)
    return actor


def needs_districts(role: Role | str) -> bool:
    """Whether an account of ``role`` works only with assigned districts (staff, meeting; a
    見守り者 account has its watcher row instead)."""
    policy = ROLE_POLICIES[Role(role)]
    return not policy.whole_town and bool(policy.actions & DISTRICT_ACTIONS)


def roles_in_user_form() -> list[Role]:
    """The roles the users page's general form offers (a 見守り者 account is made for a
    watcher row, in 「見守り者のアカウント」)."""
    return [role for role in Role if Action.WATCH_OWN not in ROLE_POLICIES[role].actions]


#: The refusal for a watcher account outside the actor's districts.
NOT_YOUR_WATCHER = "担当地区の見守り者のアカウントだけを作成・管理できます"


def may_manage_watcher_accounts(actor: Actor | None) -> bool:
    """Whether ``actor`` creates 見守り者 accounts and issues their one-time sign-in codes
    (district staff for the watchers of their districts, and administrators)."""
    return role_may(actor, Action.EDIT)


def watcher_account_scope(session: Session, actor: Actor | None, watcher_id: int) -> Watcher:
    """The live watcher row ``watcher_id`` if ``actor`` may manage its account (AccessDenied
    otherwise): a watcher of the actor's districts."""
    watcher = session.get(Watcher, watcher_id)
    if (
        not may_manage_watcher_accounts(actor)
        or watcher is None
        or watcher.deleted_at is not None
        or not can(actor, Action.EDIT, watcher.district_id)
    ):
        raise AccessDenied(NOT_YOUR_WATCHER)
    return watcher


@dataclass(frozen=True)
class WatcherAccount:
    """A watcher row in the actor's districts and its account, if any (never a hash)."""

    watcher_id: int
    watcher_name: str
    district_name: str
    user_id: int | None
    username: str
    active: bool


def watcher_accounts(session: Session, actor: Actor) -> list[WatcherAccount]:
    """The live watchers of the actor's districts with their accounts (staff and admin)."""
    if not may_manage_watcher_accounts(actor):
        raise AccessDenied(NOT_YOUR_WATCHER)
    query = (
        select(Watcher.id, Watcher.name, District.name, User.id, User.username, User.active)
        .outerjoin(District, District.id == Watcher.district_id)
        .outerjoin(User, (User.watcher_id == Watcher.id) & User.deleted_at.is_(None))
        .where(Watcher.deleted_at.is_(None))
        .order_by(Watcher.id)
    )
    query = scoped(query, Watcher.district_id, actor, None)
    return [
        WatcherAccount(wid, name, dname or "", uid, username or "", bool(active))
        for wid, name, dname, uid, username, active in session.execute(query)
    ]


def manages_users(role: Role | str) -> bool:
    """Whether ``role`` may manage accounts (an account that keeps the council manageable)."""
    return Action.MANAGE_USERS in ROLE_POLICIES[Role(role)].actions


def role_differs(user: User, role: Role | str) -> bool:
    """Whether ``role`` is another role than the account's."""
    return str(user.role) != str(Role(role))


def _locked(user: User) -> bool:
    until = user.locked_until
    if until is None:
        return False
    if until.tzinfo is None:
        return until > utcnow().replace(tzinfo=None)
    return until > utcnow()


def user_accounts(session: Session, actor: Actor | None) -> list[UserAccount]:
    """Every account that is not deleted, by user name (administrators only)."""
    require_manager(actor)
    users = session.scalars(
        select(User)
        .where(User.deleted_at.is_(None))
        .options(selectinload(User.districts))
        .order_by(User.username)
    )
    return [
        UserAccount(
            id=user.id,
            username=user.username,
            display_name=user.display_name,
            role=Role(user.role) if user.role in set(Role) else Role.PLANNER,
            district_ids=tuple(d.id for d in user.districts if d.deleted_at is None),
            district_names=tuple(d.name for d in user.districts if d.deleted_at is None),
            active=bool(user.active),
            locked=_locked(user),
            version=user.version,
            created_at=user.created_at,
        )
        for user in users
    ]


def _other_managers(session: Session, user_id: int) -> int:
    """How many other live, active accounts may manage accounts."""
    roles = [str(role) for role in Role if manages_users(role)]
    return int(
        session.scalar(
            select(func.count(User.id)).where(
                User.id != user_id,
                User.active.is_(True),
                User.deleted_at.is_(None),
                User.role.in_(roles),
            )
        )
        or 0
    )


def change_refusal(
    session: Session,
    actor: Actor,
    user: User,
    *,
    active: bool | None = None,
    role: Role | str | None = None,
) -> str | None:
    """Why this change of ``user`` may not be made (Japanese), or None.

    An administrator cannot disable their own account or take away their own right to manage
    accounts, and the last active administrator cannot be disabled or given another role.
    """
    losing = (active is False and bool(user.active)) or (
        role is not None and manages_users(user.role) and not manages_users(role)
    )
    if not losing:
        return None
    if user.id == actor.user_id:
        if active is False:
            return "自分のアカウントは無効にできません"
        return "自分の役割を管理者以外に変えることはできません"
    if manages_users(user.role) and _other_managers(session, user.id) == 0:
        return (
            "最後の管理者です。ほかに有効な管理者がいないため、無効にしたり役割を変えたりできません"
        )
    return None
