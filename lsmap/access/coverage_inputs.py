"""The coverage engine's inputs: ids, coordinates, dates and counts, never names.

One reader per table; :func:`coverage_inputs` runs them for the actor's scope.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from lsmap.access.core import AccessDenied, Action, Actor, role_may
from lsmap.access.policy import sees_whole_town
from lsmap.access.views import CoverageInputs
from lsmap.storage.models import ContactLog, District, Household, Resource, Watcher, WatchLink
from lsmap.vocab import FREQUENCIES, URGENT_SIGNS

__all__ = [
    "coverage_inputs",
    "coverage_scope",
]


def coverage_scope(actor: Actor | None) -> frozenset[int] | None:
    """District ids whose households feed the actor's coverage (None: every district).

    Admins and planners get the whole town (planners only ever receive the aggregates);
    staff and meeting viewers their assigned districts and the areas nested in them.
    """
    if actor is None or not role_may(actor, Action.COVERAGE):
        raise AccessDenied()
    if sees_whole_town(actor):
        return None
    return actor.district_ids


def coverage_inputs(session: Session, actor: Actor | None, today: date) -> CoverageInputs:
    """The coverage engine's inputs for ``actor`` (plain tables, see :class:`CoverageInputs`).

    Only ids, coordinates, dates, counts, frequencies, signs as flags and birth years: no
    names, phones, addresses or concerns. Households are those of :func:`coverage_scope`
    (live, not closed); resources are all live resources (public, and the nearest one may
    lie across a district border); a watcher's ``total_households`` counts every live
    household they watch, also outside the scope.
    """
    scope = coverage_scope(actor)
    households = _households(session, scope)
    in_scope = set(households["id"].tolist())
    links = _links(session, scope, in_scope)
    return CoverageInputs(
        households,
        _watchers(session, scope, set(links["watcher_id"].tolist())),
        links,
        _contacts(session, scope, in_scope),
        _resources(session),
        _districts(session, scope),
        today,
    )


def _ints(values: list[Any]) -> np.ndarray:
    """Optional integers as int64 with -1 for None."""
    return np.array([v if v is not None else -1 for v in values], dtype=np.int64)


def _floats(values: list[Any]) -> np.ndarray:
    """Optional numbers as float with NaN for None."""
    return np.array([v if v is not None else np.nan for v in values], dtype=float)


def _lonlat(points: list[Any]) -> dict[str, np.ndarray]:
    """``lon`` and ``lat`` columns of optional points (NaN when unknown)."""
    return {
        "lon": _floats([p.x if p is not None else None for p in points]),
        "lat": _floats([p.y if p is not None else None for p in points]),
    }


def _scoped_households(scope: frozenset[int] | None) -> Select[Any]:
    """The ids of the households in ``scope`` (a subquery for links and contacts)."""
    return select(Household.id).where(Household.district_id.in_(sorted(scope or ())))


def _districts(session: Session, scope: frozenset[int] | None) -> pd.DataFrame:
    query = (
        select(
            District.id,
            District.code,
            District.name,
            District.level,
            District.parent_id,
            District.geom,
        )
        .where(District.deleted_at.is_(None))
        .order_by(District.id)
    )
    if scope is not None:
        query = query.where(District.id.in_(sorted(scope)))
    districts = pd.DataFrame(
        session.execute(query).all(),
        columns=["id", "code", "name", "level", "parent_id", "geometry"],
    )
    districts["parent_id"] = districts["parent_id"].astype("Int64").fillna(-1).astype(np.int64)
    return districts


def _households(session: Session, scope: frozenset[int] | None) -> pd.DataFrame:
    query = (
        select(Household.id, Household.location, Household.district_id)
        .where(Household.deleted_at.is_(None), Household.closed_on.is_(None))
        .order_by(Household.id)
    )
    if scope is not None:
        query = query.where(Household.district_id.in_(sorted(scope)))
    rows = session.execute(query).all()
    return pd.DataFrame(
        {
            "id": np.array([r[0] for r in rows], dtype=np.int64),
            **_lonlat([r[1] for r in rows]),
            "district_id": _ints([r[2] for r in rows]),
        }
    )


def _links(session: Session, scope: frozenset[int] | None, in_scope: set[int]) -> pd.DataFrame:
    query = (
        select(WatchLink.household_id, WatchLink.watcher_id, WatchLink.frequency, WatchLink.logged)
        .join(Watcher, Watcher.id == WatchLink.watcher_id)
        .where(WatchLink.deleted_at.is_(None), Watcher.deleted_at.is_(None))
        .order_by(WatchLink.id)
    )
    if scope is not None:
        query = query.where(WatchLink.household_id.in_(_scoped_households(scope)))
    rows = [r for r in session.execute(query) if r[0] in in_scope]
    return pd.DataFrame(
        {
            "household_id": np.array([r[0] for r in rows], dtype=np.int64),
            "watcher_id": np.array([r[1] for r in rows], dtype=np.int64),
            "expected_days": np.array(
                # only logged links set the expected interval (lsmap.settings.FollowUpRule)
                [FREQUENCIES.get(r[2], ("", None))[1] if r[3] else None for r in rows],
                dtype=float,
            ),
        }
    )


def _watchers(session: Session, scope: frozenset[int] | None, linked: set[int]) -> pd.DataFrame:
    """Watchers in scope or linked to a household in scope, with every household they watch."""
    totals = (
        select(WatchLink.watcher_id, func.count(func.distinct(WatchLink.household_id)).label("n"))
        .join(Household, Household.id == WatchLink.household_id)
        .where(
            WatchLink.deleted_at.is_(None),
            Household.deleted_at.is_(None),
            Household.closed_on.is_(None),
        )
        .group_by(WatchLink.watcher_id)
        .subquery()
    )
    query = (
        select(Watcher.id, Watcher.birth_year, Watcher.district_id, func.coalesce(totals.c.n, 0))
        .outerjoin(totals, totals.c.watcher_id == Watcher.id)
        .where(Watcher.deleted_at.is_(None))
        .order_by(Watcher.id)
    )
    rows = [r for r in session.execute(query) if scope is None or r[0] in linked or r[2] in scope]
    return pd.DataFrame(
        {
            "id": np.array([r[0] for r in rows], dtype=np.int64),
            "birth_year": _floats([r[1] for r in rows]),
            "district_id": _ints([r[2] for r in rows]),
            "total_households": np.array([r[3] for r in rows], dtype=np.int64),
        }
    )


def _contacts(session: Session, scope: frozenset[int] | None, in_scope: set[int]) -> pd.DataFrame:
    query = (
        select(
            ContactLog.household_id,
            ContactLog.contacted_on,
            ContactLog.id,
            ContactLog.method,
            ContactLog.signs,
        )
        .where(ContactLog.deleted_at.is_(None))
        .order_by(ContactLog.id)
    )
    if scope is not None:
        query = query.where(ContactLog.household_id.in_(_scoped_households(scope)))
    rows = [r for r in session.execute(query) if r[0] in in_scope]
    return pd.DataFrame(
        {
            "household_id": np.array([r[0] for r in rows], dtype=np.int64),
            "day": np.array([r[1].toordinal() for r in rows], dtype=np.int64),
            "seq": np.array([r[2] for r in rows], dtype=np.int64),
            "is_visit": np.array([r[3] == "visit" for r in rows], dtype=bool),
            "urgent_sign": np.array(
                [bool(URGENT_SIGNS & set(r[4] or ())) for r in rows], dtype=bool
            ),
        }
    )


def _resources(session: Session) -> pd.DataFrame:
    """Every live resource (public; the nearest may lie across a district border)."""
    rows = session.execute(
        select(
            Resource.id,
            Resource.kind,
            Resource.location,
            Resource.meetings_per_month,
            Resource.district_id,
        )
        .where(Resource.deleted_at.is_(None))
        .order_by(Resource.id)
    ).all()
    return pd.DataFrame(
        {
            "id": np.array([r[0] for r in rows], dtype=np.int64),
            "kind": np.array([r[1] for r in rows], dtype=object),
            **_lonlat([r[2] for r in rows]),
            "meetings_per_month": _floats([r[3] for r in rows]),
            "district_id": _ints([r[4] for r in rows]),
        }
    )
