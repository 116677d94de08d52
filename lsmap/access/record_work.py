"""Reads for record work (editing, the 要対応 start page, watchers, deleted records):
roles that may edit, in their districts."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lsmap.access.core import AccessDenied, Action, Actor, AnySelect, can, role_may, scoped
from lsmap.access.map_reads import visible_districts
from lsmap.access.views import DistrictInfo
from lsmap.settings import local_time
from lsmap.storage import audit
from lsmap.storage.models import (
    ContactLog,
    District,
    EmergencyContact,
    Household,
    Resident,
    User,
    Watcher,
    WatchLink,
)
from lsmap.vocab import URGENT_SIGNS, AuditAction, Entity

# Reads for editing, the staff start page, the watcher list and the deleted-records list.
# All of them are for roles that may edit (staff in their districts, admin).

#: Editable columns per table, as the edit forms and the stale-save check compare them.
__all__ = [
    "EDIT_FIELDS",
    "EDIT_MODELS",
    "ContactFacts",
    "contact_facts",
    "deleted_records",
    "edit_snapshot",
    "editable_districts",
    "household_for_edit",
    "record_district",
    "row_snapshot",
    "watchers_with_load",
]

EDIT_FIELDS: dict[str, tuple[str, ...]] = {
    "household": (
        "district_id",
        "address",
        "household_type",
        "note",
        "location_approximate",
        "lon",
        "lat",
        "closed_on",
    ),
    "resident": (
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
    ),
    "watcher": ("name", "role", "phone", "address", "birth_year", "district_id", "lon", "lat"),
    "watch_link": ("watcher_id", "involvement", "frequency", "note", "logged", "agreed"),
    "contact_log": (
        "watcher_id",
        "contacted_on",
        "method",
        "outcome",
        "observation",
        "signs",
        "recorded_by",
    ),
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


def row_snapshot(entity: str, row: Any) -> dict[str, Any]:
    """The editable values of one already-loaded row, plus ``id`` and ``version``.

    No access check: for rows the caller has already checked (the record writes do).
    """
    values: dict[str, Any] = {"id": row.id, "version": row.version}
    for name in EDIT_FIELDS[entity]:
        if name in ("lon", "lat"):
            point = row.location
            values[name] = (
                None if point is None else round(point.x if name == "lon" else point.y, 7)
            )
        elif name in ("concern_tags", "signs"):
            values[name] = list(getattr(row, name) or [])
        else:
            values[name] = getattr(row, name)
    return values


def edit_snapshot(session: Session, actor: Actor, entity: str, record_id: int) -> dict[str, Any]:
    """The current editable values of one live record (for forms and stale-save checks)."""
    model = EDIT_MODELS[entity]
    row = session.get(model, record_id)
    if (
        row is None
        or row.deleted_at is not None
        or not can(actor, Action.EDIT, record_district(session, entity, row))
    ):
        denied = AccessDenied("この記録は見つからないか、編集する権限がありません")
        raise audit.log_denied(session, actor, denied, entity, [record_id], purpose="edit")
    return row_snapshot(entity, row)


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
        or not can(actor, Action.EDIT, household.district_id)
    ):
        denied = AccessDenied("この記録は見つからないか、編集する権限がありません")
        raise audit.log_denied(
            session, actor, denied, Entity.HOUSEHOLD, [household_id], purpose="edit"
        )
    result: dict[str, Any] = {
        "household": row_snapshot("household", household),
        "number": household.number if household.number is not None else household.id,
    }
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
        result[key] = [row_snapshot(entity, row) for row in rows]
    audit.log(
        session, actor, AuditAction.VIEW_RECORD, Entity.HOUSEHOLD, [household_id], purpose="edit"
    )
    return result


def editable_districts(session: Session, actor: Actor) -> list[DistrictInfo]:
    """Districts in which ``actor`` may create records, outermost first."""
    if not role_may(actor, Action.EDIT):
        return []
    return [d for d in visible_districts(session, actor) if can(actor, Action.EDIT, d.id)]


def watchers_with_load(session: Session, actor: Actor) -> list[dict[str, Any]]:
    """Live watchers in scope with their load (households watched); staff/admin only."""
    if not role_may(actor, Action.EDIT):
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
    query = scoped(query, Watcher.district_id, actor, None)
    return [
        {**row_snapshot("watcher", w), "district_name": dname or "", "load": int(n)}
        for w, dname, n in session.execute(query)
    ]


@dataclass(frozen=True)
class ContactFacts:
    """What the start page needs to know about one open household's contacts."""

    household_id: int
    district_name: str
    label: str  # resident names (staff and admin only ever get these rows)
    #: frequencies of the live links whose contacts are logged (only those set an interval)
    frequencies: tuple[str, ...]
    #: (contacted_on, id, method, signs) of every live contact, oldest first
    contacts: tuple[tuple[date, int, str, tuple[str, ...]], ...]
    #: the stable 世帯番号
    number: int | None = None
    #: the follow-up plan: 次回の訪問予定日, 担当 (user id and name), last 見直し
    next_visit_on: date | None = None
    assignee_id: int | None = None
    assignee_name: str = ""
    reviewed_on: date | None = None
    #: when the household was registered (the review clock starts there)
    created_on: date | None = None
    #: who reported each contact that ticked an urgent sign (contact id -> the watcher's name,
    #: else who recorded it), so that 要対応 says who reported (issue 13)
    reporters: Mapping[int, str] = field(default_factory=dict)


#: (contacted_on, id, method, signs) of one contact.
ContactRow = tuple[date, int, str, tuple[str, ...]]


def _read_contact_parts(
    session: Session,
    chunk: list[int],
    names: dict[int, list[str]],
    frequencies: dict[int, list[str]],
    contacts: dict[int, list[ContactRow]],
    reporters: dict[int, dict[int, str]],
) -> None:
    """Add the live residents' names, link frequencies, contacts and urgent reporters of
    ``chunk`` households."""
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
            WatchLink.logged.is_(True),
            Watcher.deleted_at.is_(None),
        )
    ):
        frequencies[hid].append(frequency)
    for hid, on, cid, method, signs, recorded_by, watcher_name in session.execute(
        select(
            ContactLog.household_id,
            ContactLog.contacted_on,
            ContactLog.id,
            ContactLog.method,
            ContactLog.signs,
            ContactLog.recorded_by,
            Watcher.name,
        )
        .outerjoin(Watcher, Watcher.id == ContactLog.watcher_id)
        .where(ContactLog.household_id.in_(chunk), ContactLog.deleted_at.is_(None))
        .order_by(ContactLog.contacted_on, ContactLog.id)
    ):
        contacts[hid].append((on, cid, method, tuple(signs or ())))
        if URGENT_SIGNS.intersection(signs or ()):
            reporters[hid][cid] = watcher_name or recorded_by or ""


def contact_facts(
    session: Session, actor: Actor, household_id: int | None = None
) -> list[ContactFacts]:
    """Open, live households in the actor's districts (or just ``household_id``) with their
    logged links, contacts and follow-up plan."""
    if not role_may(actor, Action.EDIT):
        return []
    query = (
        select(
            Household.id,
            District.name,
            Household.number,
            Household.next_visit_on,
            Household.assignee_id,
            User.display_name,
            Household.reviewed_on,
            Household.created_at,
        )
        .join(District, District.id == Household.district_id)
        .outerjoin(User, User.id == Household.assignee_id)
        .where(Household.deleted_at.is_(None), Household.closed_on.is_(None))
        .order_by(Household.id)
    )
    if household_id is not None:
        query = query.where(Household.id == household_id)
    households = session.execute(scoped(query, Household.district_id, actor, None)).all()
    ids = [h[0] for h in households]
    if not ids:
        return []
    names: dict[int, list[str]] = defaultdict(list)
    frequencies: dict[int, list[str]] = defaultdict(list)
    contacts: dict[int, list[ContactRow]] = defaultdict(list)
    reporters: dict[int, dict[int, str]] = defaultdict(dict)
    for chunk_start in range(0, len(ids), 500):
        _read_contact_parts(
            session, ids[chunk_start : chunk_start + 500], names, frequencies, contacts, reporters
        )
    return [
        ContactFacts(
            household_id=hid,
            district_name=dname,
            label="・".join(names.get(hid, [])),
            frequencies=tuple(frequencies.get(hid, ())),
            contacts=tuple(contacts.get(hid, ())),
            number=number,
            next_visit_on=next_visit_on,
            assignee_id=assignee_id,
            assignee_name=assignee_name or "",
            reviewed_on=reviewed_on,
            created_on=local_time(created_at).date() if created_at else None,
            reporters=reporters.get(hid, {}),
        )
        for (
            hid,
            dname,
            number,
            next_visit_on,
            assignee_id,
            assignee_name,
            reviewed_on,
            created_at,
        ) in households
    ]


def _deleted_household_parts() -> dict[str, AnySelect]:
    """entity -> (id, deleted_at, label, household id) of its soft-deleted rows."""
    return {
        "household": select(
            Household.id, Household.deleted_at, Household.address, Household.id
        ).where(Household.deleted_at.is_not(None)),
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


def deleted_records(session: Session, actor: Actor) -> list[dict[str, Any]]:
    """Soft-deleted records in the actor's districts, newest deletion first (for restoring)."""
    if not role_may(actor, Action.EDIT):
        return []
    found: list[dict[str, Any]] = []
    for entity, query in _deleted_household_parts().items():
        for rid, deleted_at, text, hid in session.execute(
            scoped(query, Household.district_id, actor, None)
        ):
            found.append(
                {
                    "entity": entity,
                    "id": rid,
                    "deleted_at": deleted_at,
                    "label": text or "",
                    "household_id": hid,
                }
            )
    watchers = select(Watcher.id, Watcher.deleted_at, Watcher.name).where(
        Watcher.deleted_at.is_not(None)
    )
    for rid, deleted_at, text in session.execute(
        scoped(watchers, Watcher.district_id, actor, None)
    ):
        found.append(
            {
                "entity": "watcher",
                "id": rid,
                "deleted_at": deleted_at,
                "label": text,
                "household_id": None,
            }
        )
    owners = {r["household_id"] for r in found if r["household_id"] is not None}
    numbers: dict[int, int | None] = {
        household_id: number
        for household_id, number in session.execute(
            select(Household.id, Household.number).where(Household.id.in_(owners))
        )
    }
    for row in found:  # the 世帯番号 people know the household by
        row["household_number"] = numbers.get(row["household_id"]) or row["household_id"]
    found.sort(key=lambda r: (r["deleted_at"], r["id"]), reverse=True)
    return found
