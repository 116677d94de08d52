"""The map's reads: districts and outlines (public), household and watcher points, watch
lines, counts for the zoomed-out map, and resources; each scoped and projected in SQL.

Every read takes ``where``: an :class:`~lsmap.access.core.Area` built once for the request
(the map passes the same one to every layer), a district id, or None for the whole scope.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from lsmap.access.core import Action, Actor, AnyRow, Area, area_ids, can, scoped
from lsmap.access.policy import sees_full_records, sees_people, sees_whole_town
from lsmap.access.residents import resident_views
from lsmap.access.views import (
    DistrictInfo,
    HouseholdPoint,
    ResourcePoint,
    WatcherPoint,
    WatchLinkLine,
)
from lsmap.storage.models import Csw, District, Household, Resource, Watcher, WatchLink

# ---------------------------------------------------------------- public geography


def visible_districts(session: Session, actor: Actor) -> list[DistrictInfo]:
    """Districts the actor can choose on the map, outermost first."""
    query = select(District).where(District.deleted_at.is_(None)).order_by(District.code)
    if not sees_whole_town(actor):
        query = query.where(District.id.in_(sorted(actor.district_ids)))
    return [
        DistrictInfo(d.id, d.code, d.name, d.level, d.parent_id) for d in session.scalars(query)
    ]


def district_outlines(session: Session, district_ids: list[int]) -> list[tuple[DistrictInfo, Any]]:
    """Boundaries (public data) of the given districts, as (info, shapely geometry)."""
    rows = session.scalars(
        select(District).where(District.id.in_(district_ids), District.deleted_at.is_(None))
    )
    return [(DistrictInfo(d.id, d.code, d.name, d.level, d.parent_id), d.geom) for d in rows]


# ---------------------------------------------------------------- personal data


def _household_rows(session: Session, actor: Actor, where: Area | int | None) -> list[AnyRow]:
    """Located, live households in scope with their district name and watcher count."""
    watcher_counts = (
        select(WatchLink.household_id, func.count(func.distinct(WatchLink.watcher_id)).label("n"))
        .where(WatchLink.deleted_at.is_(None))
        .group_by(WatchLink.household_id)
        .subquery()
    )
    query = (
        select(
            Household.id,
            Household.location,
            Household.location_approximate,
            Household.household_type,
            Household.address,
            District.name,
            func.coalesce(watcher_counts.c.n, 0),
            Household.number,
        )
        .join(District, District.id == Household.district_id)
        .outerjoin(watcher_counts, watcher_counts.c.household_id == Household.id)
        .where(Household.deleted_at.is_(None), Household.location.is_not(None))
        .order_by(Household.id)
    )
    query = scoped(query, Household.district_id, actor, area_ids(session, where))
    return list(session.execute(query).all())


def household_points(
    session: Session, actor: Actor, where: Area | int | None
) -> list[HouseholdPoint]:
    """Households of concern in the chosen area that the actor may see, with their stable
    世帯番号 (the same on every map, list, paper and export)."""
    if not can(actor, Action.VIEW):
        return []
    rows = _household_rows(session, actor, where)
    residents, hidden, shared = resident_views(session, actor, [row[0] for row in rows])
    points = []
    for hid, location, approximate, htype, address, dname, n, number in rows:
        share = shared[hid]
        points.append(
            HouseholdPoint(
                id=hid,
                number=int(number if number is not None else hid),
                lon=location.x,
                lat=location.y,
                approximate=approximate,
                watcher_count=int(n),
                district_name=dname,
                household_type=htype if share else None,
                address=address if share else None,
                residents=tuple(residents.get(hid, ())),
                hidden_residents=hidden.get(hid, 0),
                details_withheld=not share,
            )
        )
    return points


def watcher_points(session: Session, actor: Actor, where: Area | int | None) -> list[WatcherPoint]:
    """Watchers with a known location in the chosen area, with their load."""
    if not can(actor, Action.VIEW):
        return []
    load = (
        select(WatchLink.watcher_id, func.count(func.distinct(WatchLink.household_id)).label("n"))
        .join(Household, Household.id == WatchLink.household_id)
        .where(WatchLink.deleted_at.is_(None), Household.deleted_at.is_(None))
        .group_by(WatchLink.watcher_id)
        .subquery()
    )
    show_phone = sees_full_records(actor)
    columns = [Watcher.id, Watcher.location, Watcher.name, Watcher.role]
    if show_phone:
        columns.append(Watcher.phone)
    query = (
        select(*columns, func.coalesce(load.c.n, 0))
        .outerjoin(load, load.c.watcher_id == Watcher.id)
        .where(Watcher.deleted_at.is_(None), Watcher.location.is_not(None))
        .order_by(Watcher.id)
    )
    query = scoped(query, Watcher.district_id, actor, area_ids(session, where))
    return [
        WatcherPoint(
            id=row[0],
            lon=row[1].x,
            lat=row[1].y,
            name=row[2],
            role=row[3],
            load=int(row[-1]),
            phone=row[4] if show_phone else None,
        )
        for row in session.execute(query)
    ]


def watch_link_lines(
    session: Session, actor: Actor, where: Area | int | None
) -> list[WatchLinkLine]:
    """Lines from each watcher (with a known location) to the households they watch.

    Same scope as the household points: a line exists only for a household the actor may
    see on the map; it carries the involvement and frequency, no names.
    """
    if not can(actor, Action.VIEW):
        return []
    query = (
        select(
            WatchLink.id,
            WatchLink.household_id,
            WatchLink.watcher_id,
            WatchLink.involvement,
            WatchLink.frequency,
            WatchLink.note,
            Watcher.location,
            Household.location,
        )
        .join(Watcher, Watcher.id == WatchLink.watcher_id)
        .join(Household, Household.id == WatchLink.household_id)
        .where(
            WatchLink.deleted_at.is_(None),
            Watcher.deleted_at.is_(None),
            Household.deleted_at.is_(None),
            Watcher.location.is_not(None),
            Household.location.is_not(None),
        )
        .order_by(WatchLink.id)
    )
    query = scoped(query, Household.district_id, actor, area_ids(session, where))
    with_notes = sees_full_records(actor)  # the 関わり方 note: in staff popups only
    return [
        WatchLinkLine(
            id=row.id,
            household_id=row.household_id,
            watcher_id=row.watcher_id,
            involvement=row.involvement,
            frequency=row.frequency,
            coords=((row[6].x, row[6].y), (row[7].x, row[7].y)),
            note=(row.note or "").strip() or None if with_notes else None,
        )
        for row in session.execute(query)
    ]


def household_counts_by_district(
    session: Session, actor: Actor, where: Area | int | None
) -> dict[int, tuple[int, int]]:
    """Households and households without a watcher per (finest) district, in scope.

    Aggregates only, for the zoomed-out map; counted in the database.
    """
    if not can(actor, Action.VIEW):
        return {}
    watched = (
        select(WatchLink.household_id)
        .where(WatchLink.deleted_at.is_(None))
        .group_by(WatchLink.household_id)
        .subquery()
    )
    query = (
        select(
            Household.district_id,
            func.count(),
            func.sum(case((watched.c.household_id.is_(None), 1), else_=0)),
        )
        .outerjoin(watched, watched.c.household_id == Household.id)
        .where(Household.deleted_at.is_(None))
        .group_by(Household.district_id)
    )
    query = scoped(query, Household.district_id, actor, area_ids(session, where))
    return {
        row[0]: (int(row[1]), int(row[2] or 0))
        for row in session.execute(query)
        if row[0] is not None
    }


# ---------------------------------------------------------------- resources (public)


def _csw_names(session: Session, resource_ids: list[int]) -> dict[int, list[str]]:
    """Live CSW names per resource."""
    names: dict[int, list[str]] = defaultdict(list)
    if not resource_ids:
        return names
    query = select(Csw.resource_id, Csw.name).where(
        Csw.resource_id.in_(resource_ids), Csw.deleted_at.is_(None)
    )
    for resource_id, name in session.execute(query.order_by(Csw.id)):
        names[resource_id].append(name)
    return names


def resource_points(
    session: Session, actor: Actor | None, where: Area | int | None, kind: str
) -> list[ResourcePoint]:
    """Resources of ``kind`` in the chosen area. Public data, but only for signed-in users;
    CSW names are shown to roles that work with people, not to planners."""
    if actor is None:
        return []
    query = (
        select(Resource)
        .where(Resource.deleted_at.is_(None), Resource.kind == kind, Resource.location.is_not(None))
        .order_by(Resource.id)
    )
    area = area_ids(session, where)
    if area is not None:
        query = query.where(Resource.district_id.in_(sorted(area)))
    resources = list(session.scalars(query))
    csw_names = _csw_names(session, [r.id for r in resources]) if sees_people(actor) else {}
    return [
        ResourcePoint(
            id=r.id,
            kind=r.kind,
            lon=location.x,
            lat=location.y,
            name=r.name,
            address=r.address,
            phone=r.phone,
            schedule=r.schedule,
            csw_names=tuple(csw_names.get(r.id, ())),
        )
        for r in resources
        if (location := r.location) is not None  # always: the query keeps located ones only
    ]
