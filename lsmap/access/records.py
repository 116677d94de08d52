"""The 見守りネットワーク記録 of one household as an actor may read it: the household, its
residents (consent rule), watchers, recent contacts and emergency contacts; audited."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lsmap.access.core import AccessDenied, Action, Actor, AnyRow, can, scoped
from lsmap.access.policy import sees_full_records
from lsmap.access.residents import resident_views
from lsmap.access.views import (
    ContactView,
    EmergencyContactView,
    WatcherInvolvement,
    WatchRecord,
)
from lsmap.storage import audit
from lsmap.storage.models import (
    ContactLog,
    District,
    EmergencyContact,
    Household,
    User,
    Watcher,
    WatchLink,
)
from lsmap.vocab import AuditAction, Entity

#: How many of the newest contacts a record shows.
RECENT_CONTACTS = 10


def household_row(session: Session, actor: Actor, household_id: int) -> AnyRow:
    """The household's own columns, in scope; AccessDenied (audited) otherwise."""
    if not can(actor, Action.VIEW):
        raise audit.log_denied(
            session, actor, AccessDenied(), Entity.HOUSEHOLD, [household_id], purpose="view"
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
            Household.number,
            Household.next_visit_on,
            Household.reviewed_on,
            User.display_name.label("assignee_name"),
        )
        .join(District, District.id == Household.district_id)
        .outerjoin(User, User.id == Household.assignee_id)
        .where(Household.id == household_id, Household.deleted_at.is_(None))
    )
    row = session.execute(scoped(query, Household.district_id, actor, None)).first()
    if row is None:
        denied = AccessDenied("この記録は見つからないか、見る権限がありません")
        raise audit.log_denied(
            session, actor, denied, Entity.HOUSEHOLD, [household_id], purpose="view"
        )
    return row


def watch_record(session: Session, actor: Actor, household_id: int) -> WatchRecord:
    """The 見守りネットワーク記録 of one household, projected for ``actor``; audited.

    Raises AccessDenied when the household is unknown, deleted or outside the scope
    (the same message either way, so that existence does not leak).
    """
    row = household_row(session, actor, household_id)
    residents, hidden, shared = resident_views(session, actor, [household_id])
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
        watchers=_watchers_of(session, actor, household_id, with_notes=share),
        contacts=_contacts_of(session, household_id) if share else (),
        emergency_contacts=_emergency_contacts_of(session, household_id) if share else (),
        details_withheld=not share,
        number=row.number,
        next_visit_on=row.next_visit_on,
        assignee_name=row.assignee_name,
        reviewed_on=row.reviewed_on,
    )
    audit.log(session, actor, AuditAction.VIEW_RECORD, Entity.HOUSEHOLD, [household_id])
    return record


def _watchers_of(
    session: Session, actor: Actor, household_id: int, *, with_notes: bool = False
) -> tuple[WatcherInvolvement, ...]:
    """The household's live watchers with how they are involved (phones for editing roles;
    the 関わり方 notes when the household's details are shown).

    Only for a household ``actor`` may see (:func:`watch_record` checks first).
    """
    rows = session.execute(
        select(
            Watcher.id,
            Watcher.name,
            Watcher.role,
            Watcher.phone,
            WatchLink.involvement,
            WatchLink.frequency,
            WatchLink.logged,
            WatchLink.note,
            Watcher.location.is_(None),
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
    for wid, name, role, phone, involvement, frequency, logged, note, unlocated in rows:
        entry = grouped.setdefault(
            wid,
            {
                "name": name,
                "role": role,
                "phone": phone,
                "inv": [],
                "logged": [],
                "notes": [],
                "unlocated": bool(unlocated),
            },
        )
        entry["inv"].append((involvement, frequency))
        entry["logged"].append(bool(logged))
        entry["notes"].append((note or "").strip())
    show_phone = sees_full_records(actor)
    return tuple(
        WatcherInvolvement(
            watcher_id=wid,
            name=e["name"],
            role=e["role"],
            involvements=tuple(e["inv"]),
            phone=e["phone"] if show_phone else None,
            logged=tuple(e["logged"]),
            notes=tuple(e["notes"]) if with_notes and any(e["notes"]) else (),
            unlocated=e["unlocated"],
        )
        for wid, e in grouped.items()
    )


def _contacts_of(session: Session, household_id: int) -> tuple[ContactView, ...]:
    """The household's newest live contacts (only for a household whose details are shown)."""
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
            outcome=c.outcome,
        )
        for c, watcher_name in rows
    )


def _emergency_contacts_of(session: Session, household_id: int) -> tuple[EmergencyContactView, ...]:
    """The household's live emergency contacts (only for a household whose details are shown)."""
    rows = session.scalars(
        select(EmergencyContact)
        .where(EmergencyContact.household_id == household_id, EmergencyContact.deleted_at.is_(None))
        .order_by(EmergencyContact.id)
    )
    return tuple(EmergencyContactView(e.id, e.name, e.relation, e.phone, e.note) for e in rows)
