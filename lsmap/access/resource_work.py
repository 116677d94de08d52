"""Resources kept in the app (issue 12): who may add and change them, and the list a page
edits. Staff keep the resources of their districts; administrators every one, a resource
with no district included. Resources are public, but a facility's CSWs are people: their
phones are handed only to roles that edit.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from lsmap.access.core import AccessDenied, Action, Actor, can, role_may, scoped
from lsmap.storage.models import District, Resource

NOT_ALLOWED = "この資源を編集する権限がありません"


@dataclass(frozen=True)
class CswEntry:
    """A CSW of a participating facility, as the resource form edits it."""

    id: int
    name: str
    phone: str
    version: int


@dataclass(frozen=True)
class ResourceRecord:
    """One resource as the resource page lists and edits it."""

    id: int
    kind: str
    name: str
    address: str
    phone: str
    schedule: str
    weekdays: tuple[str, ...]
    frequency: str
    meetings_per_month: float | None
    district_id: int | None
    district_name: str
    lon: float | None
    lat: float | None
    location_level: str | None
    version: int
    csws: tuple[CswEntry, ...] = ()


def may_edit_resource(actor: Actor | None, district_id: int | None) -> bool:
    """Whether ``actor`` may add, change or delete a resource in ``district_id`` (a resource
    with no district: only a whole-town editor)."""
    if district_id is None:
        return role_may(actor, Action.EDIT) and actor is not None and actor.policy.whole_town
    return can(actor, Action.EDIT, district_id)


def may_keep_resources(actor: Actor | None) -> bool:
    """Whether ``actor`` gets the resource page at all (roles that edit, in some district)."""
    return can(actor, Action.EDIT)


def require_resource_edit(actor: Actor | None, district_id: int | None) -> Actor:
    """``actor`` if they may edit a resource in ``district_id``; AccessDenied otherwise."""
    if actor is None or not may_edit_resource(actor, district_id):
        raise AccessDenied(NOT_ALLOWED)
    return actor


def _record(resource: Resource, district_names: dict[int, str]) -> ResourceRecord:
    location = resource.location
    return ResourceRecord(
        id=resource.id,
        kind=resource.kind,
        name=resource.name,
        address=resource.address,
        phone=resource.phone,
        schedule=resource.schedule,
        weekdays=tuple(d for d in (resource.weekdays or "").split(",") if d),
        frequency=resource.frequency or "",
        meetings_per_month=resource.meetings_per_month,
        district_id=resource.district_id,
        district_name=district_names.get(resource.district_id or -1, ""),
        lon=None if location is None else location.x,
        lat=None if location is None else location.y,
        location_level=resource.location_level,
        version=resource.version,
        csws=tuple(
            CswEntry(c.id, c.name, c.phone, c.version)
            for c in resource.csws
            if c.deleted_at is None
        ),
    )


def editable_resources(
    session: Session, actor: Actor, kind: str | None = None
) -> list[ResourceRecord]:
    """The live resources ``actor`` may edit (optionally of one ``kind``), by kind and name."""
    if not may_keep_resources(actor):
        raise AccessDenied(NOT_ALLOWED)
    query = (
        select(Resource)
        .where(Resource.deleted_at.is_(None))
        .options(selectinload(Resource.csws))
        .order_by(Resource.kind, Resource.name, Resource.id)
    )
    if kind is not None:
        query = query.where(Resource.kind == kind)
    if not actor.policy.whole_town:
        query = scoped(query, Resource.district_id, actor, None)
    names = {i: n for i, n in session.execute(select(District.id, District.name))}
    return [_record(r, names) for r in session.scalars(query)]


def resource_for_edit(session: Session, actor: Actor, resource_id: int) -> ResourceRecord:
    """One live resource ``actor`` may edit; AccessDenied when missing or out of scope."""
    resource = session.get(Resource, resource_id)
    if resource is None or resource.deleted_at is not None:
        raise AccessDenied("この資源は見つからないか、編集する権限がありません")
    require_resource_edit(actor, resource.district_id)
    names = {i: n for i, n in session.execute(select(District.id, District.name))}
    return _record(resource, names)
