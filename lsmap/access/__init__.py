"""The one place that decides who may see what.

Every read of personal data takes the acting user (:class:`Actor`) and goes through a
function of this module. The district filter and the field projection happen in the query,
so that nothing the actor may not see is ever loaded into Python, a map layer, a popup, an
export or a printout. An empty scope returns nothing.

Roles (see ``lsmap.vocab.ROLES``):

- ``admin``: everything.
- ``staff``: records of the assigned districts and the areas nested in them.
- ``meeting``: like staff but read-only; residents whose consent is not 同意 are shown only
  as numbered points, without name, phone or concerns. A household's own details (address,
  type, note, contact log, emergency card) only when at least one live resident consented
  and none is withheld (:func:`details_shareable`); otherwise it is a number only.
- ``planner``: aggregate numbers only; no personal rows at all; small counts suppressed
  (:mod:`lsmap.access.aggregates`).

This package is that one module: the core (actors, scope, the map's and records' reads)
is here, and the reads for record work, exports, coverage and the audit log live in
submodules that build on it; everything is importable as ``lsmap.access.<name>``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, case, func, select
from sqlalchemy.orm import Session

from lsmap.access.views import (
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
from lsmap.storage import audit
from lsmap.storage.models import (
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


def _scoped(
    query: Select[Any], column: Any, actor: Actor, area_ids: frozenset[int] | None
) -> Select[Any]:
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


def consent_counts(session: Session, household_ids: list[int]) -> dict[int, tuple[int, int]]:
    """(live residents with 同意, live residents without) per household, counted in SQL.

    Households with no live resident are absent (read them as ``(0, 0)``).
    """
    if not household_ids:
        return {}
    consented = Resident.consent_status == "consented"
    query = (
        select(
            Resident.household_id,
            func.sum(case((consented, 1), else_=0)),
            func.sum(case((consented, 0), else_=1)),
        )
        .where(Resident.household_id.in_(household_ids), Resident.deleted_at.is_(None))
        .group_by(Resident.household_id)
    )
    return {hid: (int(yes or 0), int(no or 0)) for hid, yes, no in session.execute(query)}


def details_shareable(actor: Actor, consented: int, withheld: int) -> bool:
    """Whether household-level details (address, type, note, contact log, emergency card)
    may be shown to ``actor``, given the household's live residents with and without 同意.

    The one rule, used by the map, records, exports and printouts: roles that edit see
    them; any other role that sees people (the meeting, and any future read-only role)
    only when at least one live resident consented and none is withheld. A household with
    no live resident (not yet entered, or all deleted) is a number only.
    """
    if actor.role in EDIT_ROLES:
        return True
    return actor.role in PERSONAL_ROLES and consented > 0 and withheld == 0


def _resident_views(
    session: Session, actor: Actor, household_ids: list[int]
) -> tuple[dict[int, list[ResidentView]], dict[int, int], dict[int, bool]]:
    """Visible residents per household, the number withheld, and whether the household's
    details may be shown (:func:`details_shareable`); projected and counted in SQL."""
    visible: dict[int, list[ResidentView]] = defaultdict(list)
    hidden: dict[int, int] = defaultdict(int)
    # Roles that edit see every household's details; the counts matter for the others.
    counts = {} if actor.role in EDIT_ROLES else consent_counts(session, household_ids)
    shared = {hid: details_shareable(actor, *counts.get(hid, (0, 0))) for hid in household_ids}
    if not household_ids:
        return visible, hidden, shared
    live = (Resident.household_id.in_(household_ids), Resident.deleted_at.is_(None))
    if actor.role in EDIT_ROLES:
        fields, condition = RESIDENT_FIELDS, None
    else:
        fields, condition = MEETING_RESIDENT_FIELDS, Resident.consent_status == "consented"
        hidden.update({hid: withheld for hid, (_, withheld) in counts.items() if withheld})
    columns = [getattr(Resident, name) for name in fields]
    query = select(Resident.id, Resident.household_id, *columns).where(*live)
    if condition is not None:
        query = query.where(condition)
    for row in session.execute(query.order_by(Resident.id)):
        values = dict(zip(fields, row[2:], strict=True))
        if "concern_tags" in values:
            values["concern_tags"] = tuple(values["concern_tags"] or ())
        visible[row.household_id].append(ResidentView(id=row.id, **values))
    return visible, hidden, shared


def household_points(
    session: Session, actor: Actor, district_id: int | None
) -> list[HouseholdPoint]:
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
    residents, hidden, shared = _resident_views(session, actor, [row[0] for row in rows])
    points = []
    for number, (hid, location, approximate, htype, address, dname, n) in enumerate(rows, 1):
        share = shared[hid]
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
                details_withheld=not share,
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
        for link_id, household_id, watcher_id, involvement, frequency, start, end in session.execute(
            query
        )
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
    return {
        row[0]: (int(row[1]), int(row[2] or 0))
        for row in session.execute(query)
        if row[0] is not None
    }


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
        raise audit.log_denied(
            session, actor, AccessDenied(), "household", [household_id], purpose="view"
        )
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
        denied = AccessDenied("この記録は見つからないか、見る権限がありません")
        raise audit.log_denied(session, actor, denied, "household", [household_id], purpose="view")
    residents, hidden, shared = _resident_views(session, actor, [household_id])
    share = shared[household_id]
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


def _watchers_of(
    session: Session, actor: Actor, household_id: int
) -> tuple[WatcherInvolvement, ...]:
    rows = session.execute(
        select(
            Watcher.id,
            Watcher.name,
            Watcher.role,
            Watcher.phone,
            WatchLink.involvement,
            WatchLink.frequency,
        )
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


# The access module continues in these submodules; everything is importable from here.
from lsmap.access.aggregates import PLANNER_MIN_RADIUS_M, AggregatePolicy, aggregate_policy  # noqa: E402,F401
from lsmap.access.audit_log import *  # noqa: E402,F403
from lsmap.access.coverage_inputs import *  # noqa: E402,F403
from lsmap.access.exports import *  # noqa: E402,F403
from lsmap.access.record_work import *  # noqa: E402,F403
from lsmap.access.record_work import _edit_snapshot  # noqa: E402,F401 - used by lsmap.records
