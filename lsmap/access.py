"""The one place that decides who may see what.

Every read of personal data takes the acting user (:class:`Actor`) and goes through a
function of this module. The district filter and the field projection happen in the query,
so that nothing the actor may not see is ever loaded into Python, a map layer, a popup, an
export or a printout. An empty scope returns nothing.

Roles (see ``lsmap.vocab.ROLES``):

- ``admin``: everything.
- ``staff``: records of the assigned districts and the areas nested in them.
- ``meeting``: like staff but read-only; residents whose consent is not 同意 are shown only
  as numbered points, without name, phone or concerns.
- ``planner``: aggregate numbers only; no personal rows at all.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import Session

from lsmap import audit
from lsmap.models import (
    AuditEntry,
    ContactLog,
    Csw,
    District,
    EmergencyContact,
    Household,
    Resident,
    Resource,
    User,
    Watcher,
    WatchLink,
)
from lsmap.views import (
    ContactView,
    DistrictInfo,
    EmergencyContactView,
    HouseholdPoint,
    ResidentView,
    ResourcePoint,
    WatcherInvolvement,
    WatcherPoint,
    WatchLinkLine,
    WatchRecord,
)

#: Resident fields in the order of the 見守りネットワーク記録用紙.
RESIDENT_FIELDS: tuple[str, ...] = (
    "name",
    "furigana",
    "birth_year",
    "phone",
    "concern_tags",
    "concerns",
    "consent_status",
    "consent_date",
    "consent_basis",
    "consent_recorded_by",
)
#: What a meeting viewer sees of a consenting resident (not the consent bookkeeping).
MEETING_RESIDENT_FIELDS: tuple[str, ...] = RESIDENT_FIELDS[:6]
PERSONAL_ROLES = frozenset({"admin", "staff", "meeting"})
EDIT_ROLES = frozenset({"admin", "staff"})
RECENT_CONTACTS = 10


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
    role: str
    #: Assigned districts and every area nested in them.
    district_ids: frozenset[int]

    @property
    def sees_everything(self) -> bool:
        return self.role == "admin"


# ---------------------------------------------------------------- actors and scope


def district_children(session: Session) -> dict[int | None, list[int]]:
    """Parent id -> child ids for all live districts."""
    children: dict[int | None, list[int]] = defaultdict(list)
    rows = session.execute(
        select(District.id, District.parent_id).where(District.deleted_at.is_(None))
    )
    for district_id, parent_id in rows:
        children[parent_id].append(district_id)
    return children


def expand_districts(session: Session, roots: set[int] | frozenset[int]) -> frozenset[int]:
    """``roots`` and every district nested below them."""
    children = district_children(session)
    seen: set[int] = set()
    stack = list(roots)
    while stack:
        current = stack.pop()
        if current in seen:
            continue
        seen.add(current)
        stack.extend(children.get(current, ()))
    return frozenset(seen)


def load_actor(session: Session, user_id: int) -> Actor | None:
    """Read the user's role and districts afresh; None for an unknown or disabled user."""
    user = session.get(User, user_id)
    if user is None or not user.active or user.deleted_at is not None:
        return None
    assigned = {d.id for d in user.districts if d.deleted_at is None}
    return Actor(
        user_id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=user.role,
        district_ids=expand_districts(session, assigned),
    )


def can(actor: Actor | None, action: str, district_id: int | None = None) -> bool:
    """Whether ``actor`` may do ``action`` (optionally in ``district_id``).

    Actions: ``view`` (list, record, map layer, export, print of personal data), ``edit``,
    ``coverage`` (aggregate numbers).
    """
    if actor is None:
        return False
    if action == "coverage":
        return True
    roles = EDIT_ROLES if action == "edit" else PERSONAL_ROLES
    if actor.role not in roles:
        return False
    if actor.sees_everything:
        return True
    if district_id is None:
        return bool(actor.district_ids)
    return district_id in actor.district_ids


def _scoped(query: Select[Any], column: Any, actor: Actor, area_ids: frozenset[int] | None) -> Select[Any]:
    """Restrict ``query`` to the actor's scope and the chosen area (in SQL)."""
    if not actor.sees_everything:
        allowed = actor.district_ids if area_ids is None else actor.district_ids & area_ids
        return query.where(column.in_(sorted(allowed)))
    if area_ids is not None:
        return query.where(column.in_(sorted(area_ids)))
    return query


def _area(session: Session, district_id: int | None) -> frozenset[int] | None:
    return None if district_id is None else expand_districts(session, {district_id})


# ---------------------------------------------------------------- public geography


def visible_districts(session: Session, actor: Actor) -> list[DistrictInfo]:
    """Districts the actor can choose on the map, outermost first."""
    query = select(District).where(District.deleted_at.is_(None)).order_by(District.code)
    if actor.role not in ("admin", "planner"):
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


def resident_fields(actor: Actor, consent_status: str) -> tuple[str, ...]:
    """The resident fields ``actor`` may see for a resident with this consent status."""
    if actor.role in EDIT_ROLES:
        return RESIDENT_FIELDS
    if actor.role == "meeting" and consent_status == "consented":
        return MEETING_RESIDENT_FIELDS
    return ()


def _resident_views(
    session: Session, actor: Actor, household_ids: list[int]
) -> tuple[dict[int, list[ResidentView]], dict[int, int]]:
    """Visible residents per household and the number withheld, projected in SQL."""
    visible: dict[int, list[ResidentView]] = defaultdict(list)
    hidden: dict[int, int] = defaultdict(int)
    if not household_ids:
        return visible, hidden
    live = (Resident.household_id.in_(household_ids), Resident.deleted_at.is_(None))
    if actor.role in EDIT_ROLES:
        fields, condition = RESIDENT_FIELDS, None
    else:
        fields, condition = MEETING_RESIDENT_FIELDS, Resident.consent_status == "consented"
        withheld = select(Resident.household_id, func.count()).where(
            *live, Resident.consent_status != "consented"
        )
        for household_id, count in session.execute(withheld.group_by(Resident.household_id)):
            hidden[household_id] = count
    columns = [getattr(Resident, name) for name in fields]
    query = select(Resident.id, Resident.household_id, *columns).where(*live)
    if condition is not None:
        query = query.where(condition)
    for row in session.execute(query.order_by(Resident.id)):
        values = dict(zip(fields, row[2:], strict=True))
        if "concern_tags" in values:
            values["concern_tags"] = tuple(values["concern_tags"] or ())
        visible[row.household_id].append(ResidentView(id=row.id, **values))
    return visible, hidden


def _shareable(actor: Actor, hidden_count: int) -> bool:
    """Whether household-level details (address, type, log) may be shown."""
    return actor.role in EDIT_ROLES or (actor.role == "meeting" and hidden_count == 0)


def household_points(session: Session, actor: Actor, district_id: int | None) -> list[HouseholdPoint]:
    """Households of concern in the chosen area that the actor may see, numbered 1..n."""
    if not can(actor, "view"):
        return []
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
        )
        .join(District, District.id == Household.district_id)
        .outerjoin(watcher_counts, watcher_counts.c.household_id == Household.id)
        .where(Household.deleted_at.is_(None), Household.location.is_not(None))
        .order_by(Household.id)
    )
    query = _scoped(query, Household.district_id, actor, _area(session, district_id))
    rows = session.execute(query).all()
    residents, hidden = _resident_views(session, actor, [row[0] for row in rows])
    points = []
    for number, (hid, location, approximate, htype, address, dname, n) in enumerate(rows, 1):
        share = _shareable(actor, hidden.get(hid, 0))
        points.append(
            HouseholdPoint(
                id=hid,
                number=number,
                lon=location.x,
                lat=location.y,
                approximate=approximate,
                watcher_count=int(n),
                district_name=dname,
                household_type=htype if share else None,
                address=address if share else None,
                residents=tuple(residents.get(hid, ())),
                hidden_residents=hidden.get(hid, 0),
            )
        )
    return points


def watcher_points(session: Session, actor: Actor, district_id: int | None) -> list[WatcherPoint]:
    """Watchers with a known location in the chosen area, with their load."""
    if not can(actor, "view"):
        return []
    load = (
        select(WatchLink.watcher_id, func.count(func.distinct(WatchLink.household_id)).label("n"))
        .join(Household, Household.id == WatchLink.household_id)
        .where(WatchLink.deleted_at.is_(None), Household.deleted_at.is_(None))
        .group_by(WatchLink.watcher_id)
        .subquery()
    )
    show_phone = actor.role in EDIT_ROLES
    columns = [Watcher.id, Watcher.location, Watcher.name, Watcher.role]
    if show_phone:
        columns.append(Watcher.phone)
    query = (
        select(*columns, func.coalesce(load.c.n, 0))
        .outerjoin(load, load.c.watcher_id == Watcher.id)
        .where(Watcher.deleted_at.is_(None), Watcher.location.is_not(None))
        .order_by(Watcher.id)
    )
    query = _scoped(query, Watcher.district_id, actor, _area(session, district_id))
    points = []
    for row in session.execute(query):
        location = row[1]
        points.append(
            WatcherPoint(
                id=row[0],
                lon=location.x,
                lat=location.y,
                name=row[2],
                role=row[3],
                load=int(row[-1]),
                phone=row[4] if show_phone else None,
            )
        )
    return points


def watch_link_lines(
    session: Session, actor: Actor, district_id: int | None
) -> list[WatchLinkLine]:
    """Lines from each watcher (with a known location) to the households they watch.

    Same scope as the household points: a line exists only for a household the actor may
    see on the map; it carries the involvement and frequency, no names.
    """
    if not can(actor, "view"):
        return []
    query = (
        select(
            WatchLink.id,
            WatchLink.household_id,
            WatchLink.watcher_id,
            WatchLink.involvement,
            WatchLink.frequency,
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
    query = _scoped(query, Household.district_id, actor, _area(session, district_id))
    return [
        WatchLinkLine(
            id=link_id,
            household_id=household_id,
            watcher_id=watcher_id,
            involvement=involvement,
            frequency=frequency,
            coords=((start.x, start.y), (end.x, end.y)),
        )
        for link_id, household_id, watcher_id, involvement, frequency, start, end in session.execute(query)
    ]


def household_counts_by_district(
    session: Session, actor: Actor, district_id: int | None
) -> dict[int, tuple[int, int]]:
    """Households and households without a watcher per (finest) district, in scope.

    Aggregates only, for the zoomed-out map; counted in the database.
    """
    if not can(actor, "view"):
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
    query = _scoped(query, Household.district_id, actor, _area(session, district_id))
    return {row[0]: (int(row[1]), int(row[2] or 0)) for row in session.execute(query) if row[0] is not None}


def resource_points(
    session: Session, actor: Actor | None, district_id: int | None, kind: str
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
    area = _area(session, district_id)
    if area is not None:
        query = query.where(Resource.district_id.in_(sorted(area)))
    resources = list(session.scalars(query))
    csw_names: dict[int, list[str]] = defaultdict(list)
    if actor.role in PERSONAL_ROLES and resources:
        csw_query = select(Csw.resource_id, Csw.name).where(
            Csw.resource_id.in_([r.id for r in resources]), Csw.deleted_at.is_(None)
        )
        for resource_id, name in session.execute(csw_query.order_by(Csw.id)):
            csw_names[resource_id].append(name)
    return [
        ResourcePoint(
            id=r.id,
            kind=r.kind,
            lon=r.location.x,
            lat=r.location.y,
            name=r.name,
            address=r.address,
            phone=r.phone,
            schedule=r.schedule,
            csw_names=tuple(csw_names.get(r.id, ())),
        )
        for r in resources
    ]


def watch_record(session: Session, actor: Actor, household_id: int) -> WatchRecord:
    """The 見守りネットワーク記録 of one household, projected for ``actor``; audited.

    Raises AccessDenied when the household is unknown, deleted or outside the scope
    (the same message either way, so that existence does not leak).
    """
    if not can(actor, "view"):
        raise AccessDenied()
    query = (
        select(
            Household.id,
            Household.household_type,
            Household.address,
            Household.note,
            Household.location_approximate,
            Household.closed_on,
            District.name,
        )
        .join(District, District.id == Household.district_id)
        .where(Household.id == household_id, Household.deleted_at.is_(None))
    )
    row = session.execute(_scoped(query, Household.district_id, actor, None)).first()
    if row is None:
        raise AccessDenied("この記録は見つからないか、見る権限がありません")
    residents, hidden = _resident_views(session, actor, [household_id])
    share = _shareable(actor, hidden.get(household_id, 0))
    record = WatchRecord(
        household_id=household_id,
        district_name=row.name,
        household_type=row.household_type if share else None,
        address=row.address if share else None,
        note=row.note if share else None,
        approximate=row.location_approximate,
        closed_on=row.closed_on,
        residents=tuple(residents.get(household_id, ())),
        hidden_residents=hidden.get(household_id, 0),
        watchers=_watchers_of(session, actor, household_id),
        contacts=_contacts_of(session, household_id) if share else (),
        emergency_contacts=_emergency_contacts_of(session, household_id) if share else (),
        details_withheld=not share,
    )
    audit.log(session, actor, "view_record", "household", [household_id])
    return record


def _watchers_of(session: Session, actor: Actor, household_id: int) -> tuple[WatcherInvolvement, ...]:
    rows = session.execute(
        select(Watcher.id, Watcher.name, Watcher.role, Watcher.phone, WatchLink.involvement, WatchLink.frequency)
        .join(WatchLink, WatchLink.watcher_id == Watcher.id)
        .where(
            WatchLink.household_id == household_id,
            WatchLink.deleted_at.is_(None),
            Watcher.deleted_at.is_(None),
        )
        .order_by(Watcher.id, WatchLink.id)
    )
    grouped: dict[int, dict[str, Any]] = {}
    for wid, name, role, phone, involvement, frequency in rows:
        entry = grouped.setdefault(wid, {"name": name, "role": role, "phone": phone, "inv": []})
        entry["inv"].append((involvement, frequency))
    show_phone = actor.role in EDIT_ROLES
    return tuple(
        WatcherInvolvement(
            watcher_id=wid,
            name=e["name"],
            role=e["role"],
            involvements=tuple(e["inv"]),
            phone=e["phone"] if show_phone else None,
        )
        for wid, e in grouped.items()
    )


def _contacts_of(session: Session, household_id: int) -> tuple[ContactView, ...]:
    rows = session.execute(
        select(ContactLog, Watcher.name)
        .outerjoin(Watcher, Watcher.id == ContactLog.watcher_id)
        .where(ContactLog.household_id == household_id, ContactLog.deleted_at.is_(None))
        .order_by(ContactLog.contacted_on.desc(), ContactLog.id.desc())
        .limit(RECENT_CONTACTS)
    )
    return tuple(
        ContactView(
            id=c.id,
            contacted_on=c.contacted_on,
            method=c.method,
            observation=c.observation,
            signs=tuple(c.signs or ()),
            watcher_name=watcher_name,
            recorded_by=c.recorded_by,
        )
        for c, watcher_name in rows
    )


def _emergency_contacts_of(session: Session, household_id: int) -> tuple[EmergencyContactView, ...]:
    rows = session.scalars(
        select(EmergencyContact)
        .where(EmergencyContact.household_id == household_id, EmergencyContact.deleted_at.is_(None))
        .order_by(EmergencyContact.id)
    )
    return tuple(EmergencyContactView(e.id, e.name, e.relation, e.phone, e.note) for e in rows)


# ---- audit log (issue 4)


def audit_entries(
    session: Session,
    actor: Actor,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    username: str | None = None,
    action: str | None = None,
    entity_id: int | None = None,
    limit: int | None = None,
) -> list[AuditEntry]:
    """Audit entries, newest first; only administrators may read the audit log."""
    if actor.role != "admin":
        raise AccessDenied("監査ログを見る権限がありません")
    query = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    if since is not None:
        query = query.where(AuditEntry.at >= since)
    if until is not None:
        query = query.where(AuditEntry.at < until)
    if username:
        query = query.where(AuditEntry.username == username)
    if action:
        query = query.where(AuditEntry.action == action)
    entries = list(session.scalars(query.limit(limit) if limit and entity_id is None else query))
    if entity_id is not None:  # JSON containment differs by backend: filter the ids here
        entries = [e for e in entries if entity_id in (e.entity_ids or [])][:limit]
    return entries


# ---- watch record work (issue 3)
# Reads for editing, the staff start page, the watcher list and the deleted-records list.
# All of them are for roles that may edit (staff in their districts, admin).

#: Editable columns per table, as the edit forms and the stale-save check compare them.
EDIT_FIELDS: dict[str, tuple[str, ...]] = {
    "household": ("district_id", "address", "household_type", "note", "location_approximate",
                  "lon", "lat", "closed_on"),
    "resident": ("name", "furigana", "birth_year", "phone", "concern_tags", "concerns",
                 "consent_status", "consent_date", "consent_basis", "consent_recorded_by"),
    "watcher": ("name", "role", "phone", "address", "birth_year", "district_id", "lon", "lat"),
    "watch_link": ("watcher_id", "involvement", "frequency", "note"),
    "contact_log": ("watcher_id", "contacted_on", "method", "observation", "signs", "recorded_by"),
    "emergency_contact": ("name", "relation", "phone", "note"),
}
#: entity name (as audited) -> model
EDIT_MODELS: dict[str, Any] = {
    "household": Household,
    "resident": Resident,
    "watcher": Watcher,
    "watch_link": WatchLink,
    "contact_log": ContactLog,
    "emergency_contact": EmergencyContact,
}


def _edit_snapshot(entity: str, row: Any) -> dict[str, Any]:
    """The editable values of one row, plus ``id`` and ``version``."""
    values: dict[str, Any] = {"id": row.id, "version": row.version}
    for name in EDIT_FIELDS[entity]:
        if name in ("lon", "lat"):
            point = row.location
            values[name] = None if point is None else round(point.x if name == "lon" else point.y, 7)
        elif name in ("concern_tags", "signs"):
            values[name] = list(getattr(row, name) or [])
        else:
            values[name] = getattr(row, name)
    return values


def edit_snapshot(session: Session, actor: Actor, entity: str, record_id: int) -> dict[str, Any]:
    """The current editable values of one live record (for forms and stale-save checks)."""
    model = EDIT_MODELS[entity]
    row = session.get(model, record_id)
    if row is None or row.deleted_at is not None or not can(actor, "edit", record_district(session, entity, row)):
        raise AccessDenied("この記録は見つからないか、編集する権限がありません")
    return _edit_snapshot(entity, row)


def record_district(session: Session, entity: str, row: Any) -> int | None:
    """The district a record belongs to (its household's for residents, links, contacts)."""
    if entity in ("household", "watcher"):
        return row.district_id
    return session.scalar(select(Household.district_id).where(Household.id == row.household_id))


def household_for_edit(session: Session, actor: Actor, household_id: int) -> dict[str, Any]:
    """One household with all its live parts, as editable snapshots; staff/admin only."""
    household = session.get(Household, household_id)
    if (
        household is None
        or household.deleted_at is not None
        or not can(actor, "edit", household.district_id)
    ):
        raise AccessDenied("この記録は見つからないか、編集する権限がありません")
    result: dict[str, Any] = {"household": _edit_snapshot("household", household)}
    parts = (
        ("resident", Resident, "residents", Resident.id),
        ("watch_link", WatchLink, "links", WatchLink.id),
        ("contact_log", ContactLog, "contacts", ContactLog.contacted_on.desc()),
        ("emergency_contact", EmergencyContact, "emergency_contacts", EmergencyContact.id),
    )
    for entity, model, key, order in parts:
        rows = session.scalars(
            select(model)
            .where(model.household_id == household_id, model.deleted_at.is_(None))
            .order_by(order, model.id.desc())
        )
        result[key] = [_edit_snapshot(entity, row) for row in rows]
    audit.log(session, actor, "view_record", "household", [household_id], purpose="edit")
    return result


def editable_districts(session: Session, actor: Actor) -> list[DistrictInfo]:
    """Districts in which ``actor`` may create records, outermost first."""
    if actor.role not in EDIT_ROLES:
        return []
    return [d for d in visible_districts(session, actor) if can(actor, "edit", d.id)]


def watchers_with_load(session: Session, actor: Actor) -> list[dict[str, Any]]:
    """Live watchers in scope with their load (households watched); staff/admin only."""
    if actor.role not in EDIT_ROLES:
        return []
    load = (
        select(WatchLink.watcher_id, func.count(func.distinct(WatchLink.household_id)).label("n"))
        .join(Household, Household.id == WatchLink.household_id)
        .where(WatchLink.deleted_at.is_(None), Household.deleted_at.is_(None))
        .group_by(WatchLink.watcher_id)
        .subquery()
    )
    query = (
        select(Watcher, District.name, func.coalesce(load.c.n, 0))
        .outerjoin(load, load.c.watcher_id == Watcher.id)
        .outerjoin(District, District.id == Watcher.district_id)
        .where(Watcher.deleted_at.is_(None))
        .order_by(Watcher.id)
    )
    query = _scoped(query, Watcher.district_id, actor, None)
    return [
        {**_edit_snapshot("watcher", w), "district_name": dname or "", "load": int(n)}
        for w, dname, n in session.execute(query)
    ]


@dataclass(frozen=True)
class ContactFacts:
    """What the start page needs to know about one open household's contacts."""

    household_id: int
    district_name: str
    label: str  # resident names (staff and admin only ever get these rows)
    frequencies: tuple[str, ...]
    #: (contacted_on, id, method, signs) of every live contact, oldest first
    contacts: tuple[tuple[date, int, str, tuple[str, ...]], ...]


def contact_facts(session: Session, actor: Actor) -> list[ContactFacts]:
    """Open, live households in the actor's districts with their links and contacts."""
    if actor.role not in EDIT_ROLES:
        return []
    query = (
        select(Household.id, District.name)
        .join(District, District.id == Household.district_id)
        .where(Household.deleted_at.is_(None), Household.closed_on.is_(None))
        .order_by(Household.id)
    )
    households = session.execute(_scoped(query, Household.district_id, actor, None)).all()
    ids = [h[0] for h in households]
    if not ids:
        return []
    names: dict[int, list[str]] = defaultdict(list)
    frequencies: dict[int, list[str]] = defaultdict(list)
    contacts: dict[int, list[tuple[date, int, str, tuple[str, ...]]]] = defaultdict(list)
    for chunk_start in range(0, len(ids), 500):
        chunk = ids[chunk_start : chunk_start + 500]
        for hid, name in session.execute(
            select(Resident.household_id, Resident.name)
            .where(Resident.household_id.in_(chunk), Resident.deleted_at.is_(None))
            .order_by(Resident.id)
        ):
            names[hid].append(name)
        for hid, frequency in session.execute(
            select(WatchLink.household_id, WatchLink.frequency)
            .join(Watcher, Watcher.id == WatchLink.watcher_id)
            .where(
                WatchLink.household_id.in_(chunk),
                WatchLink.deleted_at.is_(None),
                Watcher.deleted_at.is_(None),
            )
        ):
            frequencies[hid].append(frequency)
        for hid, on, cid, method, signs in session.execute(
            select(
                ContactLog.household_id,
                ContactLog.contacted_on,
                ContactLog.id,
                ContactLog.method,
                ContactLog.signs,
            )
            .where(ContactLog.household_id.in_(chunk), ContactLog.deleted_at.is_(None))
            .order_by(ContactLog.contacted_on, ContactLog.id)
        ):
            contacts[hid].append((on, cid, method, tuple(signs or ())))
    return [
        ContactFacts(
            household_id=hid,
            district_name=dname,
            label="・".join(names.get(hid, [])),
            frequencies=tuple(frequencies.get(hid, ())),
            contacts=tuple(contacts.get(hid, ())),
        )
        for hid, dname in households
    ]


def deleted_records(session: Session, actor: Actor) -> list[dict[str, Any]]:
    """Soft-deleted records in the actor's districts, newest deletion first (for restoring)."""
    if actor.role not in EDIT_ROLES:
        return []
    found: list[dict[str, Any]] = []
    hd = Household.district_id
    queries = {
        "household": select(Household.id, Household.deleted_at, Household.address, Household.id)
        .where(Household.deleted_at.is_not(None)),
        "resident": select(Resident.id, Resident.deleted_at, Resident.name, Household.id)
        .join(Household, Household.id == Resident.household_id)
        .where(Resident.deleted_at.is_not(None)),
        "watch_link": select(WatchLink.id, WatchLink.deleted_at, Watcher.name, Household.id)
        .join(Household, Household.id == WatchLink.household_id)
        .join(Watcher, Watcher.id == WatchLink.watcher_id)
        .where(WatchLink.deleted_at.is_not(None)),
        "contact_log": select(ContactLog.id, ContactLog.deleted_at, ContactLog.method, Household.id)
        .join(Household, Household.id == ContactLog.household_id)
        .where(ContactLog.deleted_at.is_not(None)),
        "emergency_contact": select(
            EmergencyContact.id, EmergencyContact.deleted_at, EmergencyContact.name, Household.id
        )
        .join(Household, Household.id == EmergencyContact.household_id)
        .where(EmergencyContact.deleted_at.is_not(None)),
    }
    for entity, query in queries.items():
        for rid, deleted_at, text, hid in session.execute(_scoped(query, hd, actor, None)):
            found.append(
                {"entity": entity, "id": rid, "deleted_at": deleted_at, "label": text or "", "household_id": hid}
            )
    watchers = select(Watcher.id, Watcher.deleted_at, Watcher.name).where(Watcher.deleted_at.is_not(None))
    for rid, deleted_at, text in session.execute(_scoped(watchers, Watcher.district_id, actor, None)):
        found.append({"entity": "watcher", "id": rid, "deleted_at": deleted_at, "label": text, "household_id": None})
    found.sort(key=lambda r: (r["deleted_at"], r["id"]), reverse=True)
    return found


# ---- exports (issue 6)
# Rows of a layer for export, with the same scope and field projection as the map (they
# are built from the map's own functions above), plus the keys a list import checks for
# duplicates. Planners get no personal rows.

from lsmap.export_table import ExportTable  # noqa: E402

#: Layers that can be exported: the map's point layers, all resources, and the boundaries.
EXPORT_LAYERS: tuple[str, ...] = (
    "households", "watchers", "resources", "facility", "salon", "food_bank",
    "support_centre", "other", "districts",
)


def export_rows(session: Session, actor: Actor, layer: str) -> ExportTable:
    """The rows of ``layer`` that ``actor`` may take away, projected as on the map.

    Raises AccessDenied for personal layers when the actor may not see personal rows, and
    ValueError for an unknown layer. The returned notes say what was left out.
    """
    from lsmap.importing.columns import field_label
    from lsmap.vocab import CONSENT_STATUSES, HOUSEHOLD_TYPES, RESOURCE_KINDS, WATCHER_ROLES, label

    if layer not in EXPORT_LAYERS:
        raise ValueError(layer)
    if layer == "districts":
        return _export_districts(session, actor)
    if layer in ("households", "watchers") and not can(actor, "view"):
        raise AccessDenied("計画担当は個人の一覧を出力できません（集計表を使ってください）")
    if layer == "households":
        points = household_points(session, actor, None)
        refs = _refs(session, Household, [p.id for p in points])
        columns = [field_label("households", f) for f in (
            "ref", "name", "furigana", "birth_year", "phone", "household_type", "address", "town",
            "lat", "lon", "approximate", "concern_tags", "concerns", "consent_status")]
        if actor.role not in EDIT_ROLES:
            columns.remove("同意")
        table = ExportTable(layer, "household", columns, [])
        hidden = 0
        for point in points:
            shared = {
                "番号": refs.get(point.id) or f"H{point.id}",
                "世帯の状況": label(HOUSEHOLD_TYPES, point.household_type),
                "住所": point.address or "",
                "町丁目": point.district_name,
                "緯度": point.lat, "経度": point.lon,
                "おおよその位置": "はい" if point.approximate else "",
            }
            residents = point.residents or (None,)
            for resident in residents:
                row = dict(shared)
                if resident is not None:
                    row.update({
                        "氏名": resident.name or "", "ふりがな": resident.furigana or "",
                        "生年": resident.birth_year if resident.birth_year is not None else "",
                        "電話": resident.phone or "",
                        "気になるところ（分類）": "、".join(resident.concern_tags),
                        "気になるところ": resident.concerns or "",
                        "同意": label(CONSENT_STATUSES, resident.consent_status),
                    })
                table.rows.append({c: row.get(c, "") for c in columns})
                table.geometry.append((point.lon, point.lat))
            table.ids.append(point.id)
            hidden += point.hidden_residents
        if hidden:
            table.notes.append(f"同意のない方 {hidden} 名の氏名・連絡先・気になるところと、その世帯の住所・状況は出力していません")
        if actor.role not in EDIT_ROLES:
            table.notes.append("同意状況の列は出力していません")
        return table
    if layer == "watchers":
        points = watcher_points(session, actor, None)
        refs = _refs(session, Watcher, [p.id for p in points])
        columns = [field_label("watchers", f) for f in ("ref", "name", "role", "phone", "lat", "lon")]
        columns.append("見守っている世帯数")
        if actor.role not in EDIT_ROLES:
            columns.remove("電話")
        table = ExportTable(layer, "watcher", columns, [])
        for point in points:
            row = {
                "番号": refs.get(point.id) or f"W{point.id}", "氏名": point.name,
                "役割": label(WATCHER_ROLES, point.role), "電話": point.phone or "",
                "緯度": point.lat, "経度": point.lon, "見守っている世帯数": point.load,
            }
            table.rows.append({c: row[c] for c in columns})
            table.geometry.append((point.lon, point.lat))
            table.ids.append(point.id)
        if actor.role not in EDIT_ROLES:
            table.notes.append("見守り者の電話番号は出力していません")
        return table
    kinds = list(RESOURCE_KINDS) if layer == "resources" else [layer]
    columns = [field_label("resources", f) for f in ("ref", "name", "kind", "address", "phone", "schedule", "lat", "lon")]
    if actor.role in PERSONAL_ROLES:
        columns.append("CSW")
    table = ExportTable(layer, "resource", columns, [])
    points = [p for kind in kinds for p in resource_points(session, actor, None, kind)]
    refs = _refs(session, Resource, [p.id for p in points])
    for point in sorted(points, key=lambda p: p.id):
        row = {
            "番号": refs.get(point.id) or f"R{point.id}", "名称": point.name,
            "資源の種類": label(RESOURCE_KINDS, point.kind), "住所": point.address,
            "電話": point.phone, "開催日": point.schedule, "緯度": point.lat, "経度": point.lon,
            "CSW": "、".join(point.csw_names),
        }
        table.rows.append({c: row[c] for c in columns})
        table.geometry.append((point.lon, point.lat))
        table.ids.append(point.id)
    if actor.role not in PERSONAL_ROLES:
        table.notes.append("CSW の氏名は出力していません")
    return table


def _refs(session: Session, model: Any, ids: list[int]) -> dict[int, str | None]:
    """Reference numbers of already-visible records (ids come from a scoped query)."""
    if not ids:
        return {}
    return dict(session.execute(select(model.id, model.ref).where(model.id.in_(ids))).all())


def _export_districts(session: Session, actor: Actor) -> ExportTable:
    infos = visible_districts(session, actor)
    codes = {d.id: d.code for d in infos}
    parents = dict(
        session.execute(select(District.id, District.code).where(District.id.in_(
            [d.parent_id for d in infos if d.parent_id is not None]))).all()
    ) if infos else {}
    outlines = {info.id: geom for info, geom in district_outlines(session, list(codes))}
    table = ExportTable("districts", "district", ["コード", "名称", "階層", "上位コード"], [])
    for info in infos:
        table.rows.append({"コード": info.code, "名称": info.name, "階層": info.level,
                           "上位コード": parents.get(info.parent_id, "") if info.parent_id else ""})
        table.geometry.append(outlines.get(info.id))
        table.ids.append(info.id)
    return table


def import_match_keys(session: Session, actor: Actor, kind: str) -> tuple[list[tuple[str, str, str]], set[str]]:
    """(name, address, resource kind or "") of live records of ``kind`` in scope, and all refs.

    Used by list imports to report duplicates; only roles that may edit may ask.
    """
    if not can(actor, "edit"):
        raise AccessDenied("取り込みの権限がありません")
    if kind == "households":
        query = (
            select(Resident.name, Household.address, Household.ref)
            .join(Household, Household.id == Resident.household_id)
            .where(Resident.deleted_at.is_(None), Household.deleted_at.is_(None))
        )
        rows = session.execute(_scoped(query, Household.district_id, actor, None)).all()
    elif kind == "watchers":
        query = select(Watcher.name, Watcher.address, Watcher.ref).where(Watcher.deleted_at.is_(None))
        rows = session.execute(_scoped(query, Watcher.district_id, actor, None)).all()
    else:
        query = select(Resource.name, Resource.address, Resource.kind).where(Resource.deleted_at.is_(None))
        rows = session.execute(query).all()
    all_refs = {
        "households": select(Household.ref), "watchers": select(Watcher.ref), "resources": select(Resource.ref)
    }[kind]
    refs = {r for r in session.scalars(all_refs.where(all_refs.selected_columns[0].is_not(None)))}
    return [(name, address, third if kind == "resources" else "") for name, address, third in rows], refs


# ---- coverage inputs (issue 5)


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


def coverage_inputs(session: Session, actor: Actor | None, today: Any) -> Any:
    """The coverage engine's inputs for ``actor`` (a :class:`lsmap.coverage.CoverageInputs`).

    Only ids, coordinates, dates, counts, frequencies, signs as flags and birth years: no
    names, phones, addresses or concerns. Households are those of :func:`coverage_scope`
    (live, not closed); resources are all live resources (public, and the nearest one may
    lie across a district border); a watcher's ``total_households`` counts every live
    household they watch, also outside the scope.
    """
    import numpy as np
    import pandas as pd

    from lsmap.coverage import CoverageInputs
    from lsmap.vocab import FREQUENCIES, URGENT_SIGNS

    scope = coverage_scope(actor)
    district_query = select(
        District.id, District.code, District.name, District.level, District.parent_id, District.geom
    ).where(District.deleted_at.is_(None)).order_by(District.id)
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
            "district_id": np.array([r[2] if r[2] is not None else -1 for r in rows], dtype=np.int64),
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
        .where(WatchLink.deleted_at.is_(None), Household.deleted_at.is_(None), Household.closed_on.is_(None))
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
        r for r in session.execute(watcher_query)
        if scope is None or r[0] in linked or r[2] in scope
    ]
    watchers = pd.DataFrame(
        {
            "id": np.array([r[0] for r in watcher_rows], dtype=np.int64),
            "birth_year": np.array([r[1] if r[1] is not None else np.nan for r in watcher_rows], dtype=float),
            "district_id": np.array([r[2] if r[2] is not None else -1 for r in watcher_rows], dtype=np.int64),
            "total_households": np.array([r[3] for r in watcher_rows], dtype=np.int64),
        }
    )

    contact_query = (
        select(ContactLog.household_id, ContactLog.contacted_on, ContactLog.id, ContactLog.method, ContactLog.signs)
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
            "urgent_sign": np.array([bool(URGENT_SIGNS & set(r[4] or ())) for r in contact_rows], dtype=bool),
        }
    )

    resource_rows = session.execute(
        select(Resource.id, Resource.kind, Resource.location, Resource.meetings_per_month, Resource.district_id)
        .where(Resource.deleted_at.is_(None))
        .order_by(Resource.id)
    ).all()
    resources = pd.DataFrame(
        {
            "id": np.array([r[0] for r in resource_rows], dtype=np.int64),
            "kind": np.array([r[1] for r in resource_rows], dtype=object),
            "lon": np.array([r[2].x if r[2] is not None else np.nan for r in resource_rows], dtype=float),
            "lat": np.array([r[2].y if r[2] is not None else np.nan for r in resource_rows], dtype=float),
            "meetings_per_month": np.array(
                [r[3] if r[3] is not None else np.nan for r in resource_rows], dtype=float
            ),
            "district_id": np.array([r[4] if r[4] is not None else -1 for r in resource_rows], dtype=np.int64),
        }
    )
    return CoverageInputs(households, watchers, links, contacts, resources, districts, today)
