"""The coverage engine's inputs: ids, coordinates, dates and counts, never names."""

from __future__ import annotations

from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lsmap.access import AccessDenied, Actor
from lsmap.access.views import CoverageInputs
from lsmap.storage.models import ContactLog, District, Household, Resource, Watcher, WatchLink

__all__ = [
    "coverage_scope",
    "coverage_inputs",
]


def coverage_scope(actor: Actor | None) -> frozenset[int] | None:
    """District ids whose households feed the actor's coverage (None: every district).

    Admins and planners get the whole town (planners only ever receive the aggregates);
    staff and meeting viewers their assigned districts and the areas nested in them.
    """
    if actor is None:
        raise AccessDenied()
    if actor.role in ("admin", "planner"):
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
    import numpy as np
    import pandas as pd

    from lsmap.vocab import FREQUENCIES, URGENT_SIGNS

    scope = coverage_scope(actor)
    district_query = (
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
        district_query = district_query.where(District.id.in_(sorted(scope)))
    districts = pd.DataFrame(
        session.execute(district_query).all(),
        columns=["id", "code", "name", "level", "parent_id", "geometry"],
    )
    districts["parent_id"] = districts["parent_id"].astype("Int64").fillna(-1).astype(np.int64)

    household_query = (
        select(Household.id, Household.location, Household.district_id)
        .where(Household.deleted_at.is_(None), Household.closed_on.is_(None))
        .order_by(Household.id)
    )
    if scope is not None:
        household_query = household_query.where(Household.district_id.in_(sorted(scope)))
    rows = session.execute(household_query).all()
    household_ids = [row[0] for row in rows]
    households = pd.DataFrame(
        {
            "id": np.array(household_ids, dtype=np.int64),
            "lon": np.array([r[1].x if r[1] is not None else np.nan for r in rows], dtype=float),
            "lat": np.array([r[1].y if r[1] is not None else np.nan for r in rows], dtype=float),
            "district_id": np.array(
                [r[2] if r[2] is not None else -1 for r in rows], dtype=np.int64
            ),
        }
    )

    live_link = (WatchLink.deleted_at.is_(None), Watcher.deleted_at.is_(None))
    scoped_households = select(Household.id).where(Household.district_id.in_(sorted(scope or ())))
    link_query = (
        select(WatchLink.household_id, WatchLink.watcher_id, WatchLink.frequency)
        .join(Watcher, Watcher.id == WatchLink.watcher_id)
        .where(*live_link)
        .order_by(WatchLink.id)
    )
    if scope is not None:
        link_query = link_query.where(WatchLink.household_id.in_(scoped_households))
    in_scope = set(household_ids)
    link_rows = [r for r in session.execute(link_query) if r[0] in in_scope]
    links = pd.DataFrame(
        {
            "household_id": np.array([r[0] for r in link_rows], dtype=np.int64),
            "watcher_id": np.array([r[1] for r in link_rows], dtype=np.int64),
            "expected_days": np.array(
                [FREQUENCIES.get(r[2], ("", None))[1] for r in link_rows], dtype=float
            ),
        }
    )

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
    watcher_query = (
        select(Watcher.id, Watcher.birth_year, Watcher.district_id, func.coalesce(totals.c.n, 0))
        .outerjoin(totals, totals.c.watcher_id == Watcher.id)
        .where(Watcher.deleted_at.is_(None))
        .order_by(Watcher.id)
    )
    linked = set(links["watcher_id"].tolist())
    watcher_rows = [
        r
        for r in session.execute(watcher_query)
        if scope is None or r[0] in linked or r[2] in scope
    ]
    watchers = pd.DataFrame(
        {
            "id": np.array([r[0] for r in watcher_rows], dtype=np.int64),
            "birth_year": np.array(
                [r[1] if r[1] is not None else np.nan for r in watcher_rows], dtype=float
            ),
            "district_id": np.array(
                [r[2] if r[2] is not None else -1 for r in watcher_rows], dtype=np.int64
            ),
            "total_households": np.array([r[3] for r in watcher_rows], dtype=np.int64),
        }
    )

    contact_query = (
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
        contact_query = contact_query.where(ContactLog.household_id.in_(scoped_households))
    contact_rows = [r for r in session.execute(contact_query) if r[0] in in_scope]
    contacts = pd.DataFrame(
        {
            "household_id": np.array([r[0] for r in contact_rows], dtype=np.int64),
            "day": np.array([r[1].toordinal() for r in contact_rows], dtype=np.int64),
            "seq": np.array([r[2] for r in contact_rows], dtype=np.int64),
            "is_visit": np.array([r[3] == "visit" for r in contact_rows], dtype=bool),
            "urgent_sign": np.array(
                [bool(URGENT_SIGNS & set(r[4] or ())) for r in contact_rows], dtype=bool
            ),
        }
    )

    resource_rows = session.execute(
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
    resources = pd.DataFrame(
        {
            "id": np.array([r[0] for r in resource_rows], dtype=np.int64),
            "kind": np.array([r[1] for r in resource_rows], dtype=object),
            "lon": np.array(
                [r[2].x if r[2] is not None else np.nan for r in resource_rows], dtype=float
            ),
            "lat": np.array(
                [r[2].y if r[2] is not None else np.nan for r in resource_rows], dtype=float
            ),
            "meetings_per_month": np.array(
                [r[3] if r[3] is not None else np.nan for r in resource_rows], dtype=float
            ),
            "district_id": np.array(
                [r[4] if r[4] is not None else -1 for r in resource_rows], dtype=np.int64
            ),
        }
    )
    return CoverageInputs(households, watchers, links, contacts, resources, districts, today)
