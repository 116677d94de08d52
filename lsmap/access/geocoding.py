"""Who may import the address reference, and the households whose point needs checking
(issue 17): those placed from their address only at 町丁目 level, or not precisely at all.

The list shows what the record would show the actor: staff and administrators see the
address; nobody else gets the list (it exists to correct points, which is editing).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from lsmap.access import AccessDenied, Actor, can, expand_districts, household_points
from lsmap.access.views import HouseholdPoint
from lsmap.storage import audit
from lsmap.storage.models import District, Household

__all__ = [
    "CHECK_LEVELS",
    "LocationCheck",
    "household_points_with_levels",
    "location_checks",
    "location_level",
    "may_import_reference",
]

#: Match levels whose point stands for a whole 町丁目 (or worse): listed for correction.
CHECK_LEVELS: tuple[str, ...] = ("town", "city", "unknown")


@dataclass(frozen=True)
class LocationCheck:
    """A household whose point is only approximate, for the correction list."""

    household_id: int
    district_id: int
    district_name: str
    address: str
    level: str | None
    lon: float | None
    lat: float | None
    version: int
    #: the stable 世帯番号 shown to people
    number: int | None = None


def may_import_reference(actor: Actor | None) -> bool:
    """The address reference is shared by everyone: only administrators replace it."""
    return actor is not None and actor.sees_everything


def location_checks(
    session: Session, actor: Actor, district_id: int | None = None
) -> list[LocationCheck]:
    """Live households in the actor's editing scope (optionally one area) whose point came
    from their address at 町丁目 level or coarser, or is approximate without a known level;
    audited as a view of personal data."""
    if not can(actor, "edit"):
        raise audit.log_denied(session, actor, AccessDenied(), "household", [], purpose="checks")
    query = (
        select(
            Household.id,
            Household.district_id,
            District.name,
            Household.address,
            Household.location_level,
            Household.location,
            Household.version,
            Household.number,
        )
        .join(District, District.id == Household.district_id)
        .where(
            Household.deleted_at.is_(None),
            Household.location_level.in_(CHECK_LEVELS)
            | (Household.location_level.is_(None) & Household.location_approximate.is_(True)),
        )
        .order_by(District.name, Household.id)
    )
    allowed: frozenset[int] | None = None if actor.sees_everything else actor.district_ids
    if district_id is not None:
        area = expand_districts(session, {district_id})
        allowed = area if allowed is None else allowed & area
    if allowed is not None:
        query = query.where(Household.district_id.in_(sorted(allowed)))
    rows = session.execute(query).all()
    audit.log(session, actor, "view_location_checks", "household", [r[0] for r in rows])
    return [
        LocationCheck(
            hid,
            did,
            name,
            address,
            level,
            point.x if point else None,
            point.y if point else None,
            version,
            number,
        )
        for hid, did, name, address, level, point, version, number in rows
    ]


def _levels(session: Session, household_ids: list[int]) -> dict[int, str | None]:
    if not household_ids:
        return {}
    rows = session.execute(
        select(Household.id, Household.location_level).where(Household.id.in_(household_ids))
    )
    return {hid: level for hid, level in rows}


def household_points_with_levels(
    session: Session, actor: Actor, district_id: int | None
) -> list[HouseholdPoint]:
    """:func:`lsmap.access.household_points` with each point's match level (街区, 町丁目 …):
    the same rows and fields, the level read for exactly the households returned."""
    points = household_points(session, actor, district_id)
    levels = _levels(session, [p.id for p in points])
    return [replace(p, location_level=levels.get(p.id)) for p in points]


def location_level(session: Session, actor: Actor, household_id: int) -> str | None:
    """The match level of one household the actor may view (None when not known or not
    visible; call after :func:`lsmap.access.watch_record`, which decides and audits)."""
    if not can(actor, "view"):
        return None
    row = session.execute(
        select(Household.location_level, Household.district_id).where(Household.id == household_id)
    ).first()
    if row is None or not (actor.sees_everything or row.district_id in actor.district_ids):
        return None
    return row.location_level
