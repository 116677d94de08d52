"""The access core: who acts (:class:`Actor`), what each role may do (:func:`can`), the
district tree and the area a request reads (:class:`DistrictTree`, :class:`Area`), and the
SQL scope filter every personal read applies (:func:`scoped`).

It imports nothing above storage. The district tree is read with one query; a request
builds its :class:`Area` once and hands it to every read (a map render reads the tree once).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TypeVar

import numpy as np
from sqlalchemy import Row, Select, select
from sqlalchemy.orm import Session

from lsmap.storage.models import District, User
from lsmap.vocab import Role

#: Any SELECT statement and any result row, whatever their columns.
AnySelect = Select[*tuple[Any, ...]]
AnyRow = Row[*tuple[Any, ...]]
Query = TypeVar("Query", bound=AnySelect)


class Action(StrEnum):
    """What an actor may ask to do (see :data:`ROLE_POLICIES`)."""

    #: Personal data: lists, records, map layers, exports and printouts of people.
    VIEW = "view"
    #: Create, change, delete and restore records.
    EDIT = "edit"
    #: Aggregate coverage numbers.
    COVERAGE = "coverage"
    #: Take data away as a file (which layers: :func:`lsmap.access.may_export`).
    EXPORT = "export"
    #: Import boundaries and lists.
    IMPORT = "import"
    #: Read the audit log.
    READ_AUDIT = "read_audit"
    #: Add accounts, disable and enable them, reset passwords, assign roles and districts.
    MANAGE_USERS = "manage_users"
    #: Propose records to district staff (a 福祉連絡会's work: new households, watchers,
    #: 見直し済み, 「変わりなし」); proposals are not records until confirmed.
    PROPOSE = "propose"
    #: Confirm or reject the proposals of a 福祉連絡会 (district staff).
    CONFIRM_PROPOSAL = "confirm_proposal"
    #: See and report on the households linked to one's own watcher row only (a 見守り者's
    #: phone page 「わたしの見守り」); never granted per district.
    WATCH_OWN = "watch_own"


#: Actions that are granted per district (the actor's districts; all for a whole-town role).
DISTRICT_ACTIONS = frozenset({Action.VIEW, Action.EDIT, Action.PROPOSE, Action.CONFIRM_PROPOSAL})


@dataclass(frozen=True)
class RolePolicy:
    """What one role may do, as data."""

    actions: frozenset[Action]
    #: Reads every district (else the assigned districts and the areas nested in them).
    whole_town: bool
    #: Whether the map opens in meeting mode (numbers instead of names).
    meeting_mode_default: bool = False


#: The one table of role decisions; every named decision of :mod:`lsmap.access` reads it.
ROLE_POLICIES: Mapping[Role, RolePolicy] = {
    Role.ADMIN: RolePolicy(frozenset(Action) - {Action.WATCH_OWN}, whole_town=True),
    Role.STAFF: RolePolicy(
        frozenset(
            {Action.VIEW, Action.EDIT, Action.COVERAGE, Action.EXPORT, Action.CONFIRM_PROPOSAL}
        ),
        whole_town=False,
    ),
    Role.MEETING: RolePolicy(
        frozenset({Action.VIEW, Action.COVERAGE, Action.EXPORT, Action.PROPOSE}),
        whole_town=False,
        meeting_mode_default=True,
    ),
    Role.PLANNER: RolePolicy(frozenset({Action.COVERAGE, Action.EXPORT}), whole_town=True),
    Role.WATCHER: RolePolicy(frozenset({Action.WATCH_OWN}), whole_town=False),
}


class AccessDenied(PermissionError):
    """Raised when an actor asks for something outside their role or districts."""

    def __init__(self, message: str = "この情報を見る権限がありません") -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Actor:
    """The signed-in user as the database says now (never as the browser says)."""

    user_id: int
    username: str
    display_name: str
    role: Role
    #: Assigned districts and every area nested in them.
    district_ids: frozenset[int]
    #: The watcher row a ``watcher`` account is (None for every other role).
    watcher_id: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "role", Role(self.role))  # a stored string becomes a Role

    @property
    def policy(self) -> RolePolicy:
        """What this actor's role may do."""
        return ROLE_POLICIES[self.role]

    @property
    def sees_everything(self) -> bool:
        """Whether the actor reads personal rows in every district."""
        return self.policy.whole_town and Action.VIEW in self.policy.actions


def command_line_actor() -> Actor:
    """The command line acts as an administrator (whoever can run it can read the database)."""
    return Actor(
        user_id=0,
        username="cli",
        display_name="コマンドライン",
        role=Role.ADMIN,
        district_ids=frozenset(),
    )


# ---------------------------------------------------------------- the district tree


@dataclass(frozen=True)
class DistrictTree:
    """Which district lies in which: the one walk of the nesting that lsmap uses.

    Built from (id, parent id) pairs (a parent of None or below 0 means none), either read
    from the database (:meth:`load`) or from a table the caller already has.
    """

    parent_of: Mapping[int, int | None]
    children: Mapping[int | None, tuple[int, ...]]

    @classmethod
    def from_pairs(cls, pairs: Iterable[tuple[int, int | None]]) -> DistrictTree:
        """The tree of ``(district id, parent id)`` pairs, children in the given order."""
        parent_of: dict[int, int | None] = {}
        children: dict[int | None, list[int]] = defaultdict(list)
        for district, parent in pairs:
            up = None if parent is None or parent < 0 else int(parent)
            parent_of[int(district)] = up
            children[up].append(int(district))
        return cls(parent_of, {key: tuple(kids) for key, kids in children.items()})

    @classmethod
    def load(cls, session: Session) -> DistrictTree:
        """The tree of all live districts (one query)."""
        rows = session.execute(
            select(District.id, District.parent_id)
            .where(District.deleted_at.is_(None))
            .order_by(District.id)
        )
        return cls.from_pairs((district, parent) for district, parent in rows)

    def children_of(self, district: int | None) -> tuple[int, ...]:
        """The districts directly inside ``district`` (None: the outermost districts)."""
        return self.children.get(district, ())

    def siblings_of(self, district: int) -> tuple[int, ...]:
        """The other districts with the same parent."""
        parent = self.parent_of.get(district)
        return tuple(d for d in self.children_of(parent) if d != district)

    def descendants(self, roots: Iterable[int]) -> frozenset[int]:
        """``roots`` and every district nested below them."""
        seen: set[int] = set()
        stack = list(roots)
        while stack:
            current = stack.pop()
            if current not in seen:
                seen.add(current)
                stack.extend(self.children_of(current))
        return frozenset(seen)

    def ancestors(self, district: int) -> list[int]:
        """``district`` and every district above it, innermost first (stops at a cycle)."""
        chain: list[int] = []
        current: int | None = district
        while current is not None and current not in chain:
            chain.append(current)
            current = self.parent_of.get(current)
        return chain

    def nearest_in(self, district: int, targets: frozenset[int] | set[int]) -> int | None:
        """The first of ``district`` and its ancestors that is in ``targets`` (None: none)."""
        return next((d for d in self.ancestors(district) if d in targets), None)

    def leaves(self) -> frozenset[int]:
        """Districts with no district inside them (the finest ones)."""
        return frozenset(d for d in self.parent_of if not self.children_of(d))

    # The same walks over id / parent-id columns, vectorised for the coverage engine.

    @staticmethod
    def leaf_mask(district_ids: np.ndarray, parent_ids: np.ndarray) -> np.ndarray:
        """Which of ``district_ids`` are leaves (nobody's parent; parent ids below 0: none)."""
        return ~np.isin(district_ids, parent_ids[parent_ids >= 0])

    @staticmethod
    def ancestor_positions(parent_positions: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(descendant, ancestor) row pairs, each row with itself included, given each row's
        parent row (-1: none or not in the table); a (bad) cycle ends after n rounds."""
        n = len(parent_positions)
        below, above = [np.arange(n)], [np.arange(n)]
        current = parent_positions.copy()
        for _ in range(n):  # depth is bounded by n even with a (bad) cycle
            valid = current >= 0
            if not valid.any():
                break
            below.append(np.flatnonzero(valid))
            above.append(current[valid])
            current = np.where(valid, parent_positions[np.maximum(current, 0)], -1)
        return np.concatenate(below), np.concatenate(above)


def expand_districts(session: Session, roots: set[int] | frozenset[int]) -> frozenset[int]:
    """``roots`` and every district nested below them (reads the tree)."""
    return DistrictTree.load(session).descendants(roots)


@dataclass(frozen=True)
class Area:
    """The district a request shows and every district nested in it, read once.

    ``district_id`` None means everything in the actor's scope (``ids`` is then None).
    """

    district_id: int | None
    ids: frozenset[int] | None
    tree: DistrictTree


def area_for(session: Session, district_id: int | None) -> Area:
    """The :class:`Area` of ``district_id``; reads the district tree once."""
    tree = DistrictTree.load(session)
    ids = None if district_id is None else tree.descendants({district_id})
    return Area(district_id, ids, tree)


def area_ids(session: Session, where: Area | int | None) -> frozenset[int] | None:
    """The district ids of ``where``: an :class:`Area` as built, a district id (reads the tree),
    or None for everything in scope."""
    if isinstance(where, Area):
        return where.ids
    return None if where is None else expand_districts(session, {where})


# ---------------------------------------------------------------- actors and permission


def load_actor(session: Session, user_id: int) -> Actor | None:
    """Read the user's role and districts afresh; None for an unknown or disabled user, or
    a role lsmap does not know."""
    user = session.get(User, user_id)
    if user is None or not user.active or user.deleted_at is not None:
        return None
    if user.role not in set(Role):
        return None
    assigned = {d.id for d in user.districts if d.deleted_at is None}
    return Actor(
        user_id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=Role(user.role),
        district_ids=expand_districts(session, assigned),
        watcher_id=user.watcher_id if user.role == Role.WATCHER else None,
    )


def role_may(actor: Actor | None, action: Action | str) -> bool:
    """Whether ``actor``'s role grants ``action`` at all (in some district)."""
    return actor is not None and Action(action) in actor.policy.actions


def can(actor: Actor | None, action: Action | str, district_id: int | None = None) -> bool:
    """Whether ``actor`` may do ``action`` (optionally in ``district_id``).

    ``action`` is an :class:`Action` (a plain string must name one). View and edit are granted
    per district: in ``district_id``, or without one, in at least one district.
    """
    action = Action(action)
    if actor is None or not role_may(actor, action):
        return False
    if action not in DISTRICT_ACTIONS or actor.policy.whole_town:
        return True
    if district_id is None:
        return bool(actor.district_ids)
    return district_id in actor.district_ids


def scoped(query: Query, column: Any, actor: Actor, area: frozenset[int] | None) -> Query:
    """``query`` restricted, in SQL, to the actor's districts and the chosen ``area`` ids."""
    if not actor.sees_everything:
        allowed = actor.district_ids if area is None else actor.district_ids & area
        return query.where(column.in_(sorted(allowed)))
    if area is not None:
        return query.where(column.in_(sorted(area)))
    return query
