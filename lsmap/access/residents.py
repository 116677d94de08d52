"""The consent rule: which resident fields, and which household details, an actor may see.

Used by the map's reads, the watch record, exports and printouts alike; the projection and
the counts happen in SQL.
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from lsmap.access.core import Actor
from lsmap.access.policy import sees_full_records, sees_people
from lsmap.access.views import ResidentView
from lsmap.storage.models import Resident

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


def resident_fields(actor: Actor, consent_status: str) -> tuple[str, ...]:
    """The resident fields ``actor`` may see for a resident with this consent status."""
    if sees_full_records(actor):
        return RESIDENT_FIELDS
    if sees_people(actor) and consent_status == "consented":
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
    if sees_full_records(actor):
        return True
    return sees_people(actor) and consented > 0 and withheld == 0


def resident_views(
    session: Session, actor: Actor, household_ids: list[int]
) -> tuple[dict[int, list[ResidentView]], dict[int, int], dict[int, bool]]:
    """Visible residents per household, the number withheld, and whether the household's
    details may be shown (:func:`details_shareable`); projected and counted in SQL."""
    visible: dict[int, list[ResidentView]] = defaultdict(list)
    hidden: dict[int, int] = defaultdict(int)
    full = sees_full_records(actor)
    # Roles that edit see every household's details; the counts matter for the others.
    counts = {} if full else consent_counts(session, household_ids)
    shared = {hid: details_shareable(actor, *counts.get(hid, (0, 0))) for hid in household_ids}
    if not household_ids:
        return visible, hidden, shared
    live = (Resident.household_id.in_(household_ids), Resident.deleted_at.is_(None))
    if full:
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
