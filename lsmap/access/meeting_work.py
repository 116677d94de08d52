"""What a 福祉連絡会's work shows to whom: its proposals (the meeting that may propose and the
staff who confirm, each in their own districts), the 会議の記録, the confirmed 見直し dates
and the households a proposal may name.

A proposal is scoped by its 町内 in the query: a meeting sees only the proposals of its own
districts, never another meeting's; planners and visitors see none. Names never appear in a
proposal or a register entry (households are 世帯番号, attendees counts by role); the one
exception, names in printed minutes, is for the roles that edit records
(:func:`household_names`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lsmap.access.core import AccessDenied, Action, Actor, can, role_may, scoped
from lsmap.access.residents import resident_views
from lsmap.storage import audit
from lsmap.storage.meeting_models import HouseholdReview, MeetingProposal, MeetingRecord
from lsmap.storage.models import District, Household, Watcher
from lsmap.vocab import AuditAction, Entity

NOT_FOUND = "この提案は見つからないか、見る権限がありません"
HOUSEHOLD_NOT_FOUND = "この世帯番号は見つからないか、担当の町内にありません"


def may_see_proposals(actor: Actor | None) -> bool:
    """Whether ``actor`` proposes or confirms (and so sees proposals of its districts)."""
    return role_may(actor, Action.PROPOSE) or role_may(actor, Action.CONFIRM_PROPOSAL)


@dataclass(frozen=True)
class ProposalView:
    """One proposal as its meeting and the district staff see it (no names in it)."""

    id: int
    version: int
    kind: str
    status: str
    district_id: int
    district_name: str
    household_id: int | None
    address: str
    lon: float | None
    lat: float | None
    household_type: str
    concerns: str
    watcher_role: str
    relation: str
    watcher_id: int | None
    involvement: str
    frequency: str
    proposed_by: str
    proposed_at: datetime
    decided_by: str
    reject_reason: str
    result_id: int | None


def _require(actor: Actor | None, session: Session, purpose: str) -> Actor:
    if actor is None or not may_see_proposals(actor):
        denied = AccessDenied()
        raise audit.log_denied(session, actor, denied, Entity.PROPOSAL, purpose=purpose)
    return actor


def proposals(
    session: Session,
    actor: Actor | None,
    *,
    status: str | None = None,
    district_ids: Iterable[int] | None = None,
) -> list[ProposalView]:
    """Proposals in the actor's districts (optionally of one status, or of some districts),
    newest first; audited as ``view_proposals``. Planners and visitors are refused."""
    who = _require(actor, session, "list")
    query = (
        select(MeetingProposal, District.name)
        .join(District, District.id == MeetingProposal.district_id)
        .where(MeetingProposal.deleted_at.is_(None))
        .order_by(MeetingProposal.created_at.desc(), MeetingProposal.id.desc())
    )
    if status is not None:
        query = query.where(MeetingProposal.status == status)
    area = frozenset(district_ids) if district_ids is not None else None
    query = scoped(query, MeetingProposal.district_id, who, area)
    found = [_view(row, name) for row, name in session.execute(query)]
    audit.log(
        session,
        who,
        AuditAction.VIEW_PROPOSALS,
        Entity.PROPOSAL,
        [p.id for p in found],
        status=status or "",
    )
    return found


def _view(row: MeetingProposal, district_name: str) -> ProposalView:
    return ProposalView(
        id=row.id,
        version=row.version,
        kind=row.kind,
        status=row.status,
        district_id=row.district_id,
        district_name=district_name,
        household_id=row.household_id,
        address=row.address,
        lon=row.lon,
        lat=row.lat,
        household_type=row.household_type,
        concerns=row.concerns,
        watcher_role=row.watcher_role,
        relation=row.relation,
        watcher_id=row.watcher_id,
        involvement=row.involvement,
        frequency=row.frequency,
        proposed_by=row.proposed_by,
        proposed_at=row.created_at,
        decided_by=row.decided_by,
        reject_reason=row.reject_reason,
        result_id=row.result_id,
    )


def proposal_row(session: Session, actor: Actor, proposal_id: int, action: Action) -> Any:
    """The live proposal ``proposal_id`` if ``actor`` may do ``action`` in its 町内, else
    AccessDenied (audited; the same message whether it exists or not)."""
    row = session.get(MeetingProposal, proposal_id)
    if row is None or row.deleted_at is not None or not can(actor, action, row.district_id):
        denied = AccessDenied(NOT_FOUND)
        raise audit.log_denied(session, actor, denied, Entity.PROPOSAL, [proposal_id])
    return row


def proposable_household(
    session: Session, actor: Actor, household_id: int, action: Action = Action.PROPOSE
) -> Household:
    """The live household ``household_id`` in the actor's districts for ``action``."""
    household = session.get(Household, household_id)
    if (
        household is None
        or household.deleted_at is not None
        or not can(actor, action, household.district_id)
    ):
        denied = AccessDenied(HOUSEHOLD_NOT_FOUND)
        raise audit.log_denied(session, actor, denied, Entity.HOUSEHOLD, [household_id])
    return household


def proposable_watcher(session: Session, actor: Actor, watcher_id: int) -> Watcher:
    """A live, registered watcher the actor sees (a person present at the meeting)."""
    watcher = session.get(Watcher, watcher_id)
    if (
        watcher is None
        or watcher.deleted_at is not None
        or not can(actor, Action.VIEW, watcher.district_id)
    ):
        raise AccessDenied("この見守り者は見つからないか、担当の町内にいません")
    return watcher


def households_in(session: Session, actor: Actor, district_ids: Iterable[int]) -> list[int]:
    """Ids of the live, open households in ``district_ids`` that ``actor`` may see."""
    if not can(actor, Action.VIEW):
        return []
    query = select(Household.id).where(
        Household.deleted_at.is_(None), Household.closed_on.is_(None)
    )
    query = scoped(query, Household.district_id, actor, frozenset(district_ids))
    return list(session.scalars(query.order_by(Household.id)))


# ---------------------------------------------------------------- reviews


def latest_review_dates(session: Session, household_ids: Iterable[int]) -> dict[int, date]:
    """The newest confirmed 見直し date of each of ``household_ids`` that has one.

    Dates only, no personal data: the 見直し時期 rule (12 months) reads it for households it
    has already scoped.
    """
    ids = sorted(set(household_ids))
    if not ids:
        return {}
    found: dict[int, date] = {}
    for start in range(0, len(ids), 5000):  # stay under any bound-parameter limit
        chunk = ids[start : start + 5000]
        query = (
            select(HouseholdReview.household_id, func.max(HouseholdReview.reviewed_on))
            .where(HouseholdReview.household_id.in_(chunk))
            .group_by(HouseholdReview.household_id)
        )
        found.update({int(h): d for h, d in session.execute(query)})
    return found


# ---------------------------------------------------------------- the meeting register


@dataclass(frozen=True)
class MeetingRecordView:
    """One entry of the 会議の記録: counts and numbers, never names."""

    id: int
    version: int
    district_id: int
    district_name: str
    held_on: date
    attendees: dict[str, int]
    households_reviewed: tuple[int, ...]
    decisions: str
    next_meeting_on: date | None
    entered_by: str


def may_keep_register(actor: Actor | None) -> bool:
    """Whether ``actor`` reads and writes the 会議の記録 (meetings and staff)."""
    return role_may(actor, Action.PROPOSE) or role_may(actor, Action.EDIT)


def register_district_allowed(actor: Actor, district_id: int) -> bool:
    """Whether ``actor`` keeps the register of ``district_id``."""
    return can(actor, Action.PROPOSE, district_id) or can(actor, Action.EDIT, district_id)


def meeting_records(
    session: Session, actor: Actor | None, district_ids: Iterable[int] | None = None
) -> list[MeetingRecordView]:
    """The 会議の記録 of the actor's districts (optionally some of them), newest first."""
    if actor is None or not may_keep_register(actor):
        denied = AccessDenied()
        raise audit.log_denied(session, actor, denied, Entity.MEETING_RECORD, purpose="list")
    query = (
        select(MeetingRecord, District.name)
        .join(District, District.id == MeetingRecord.district_id)
        .where(MeetingRecord.deleted_at.is_(None))
        .order_by(MeetingRecord.held_on.desc(), MeetingRecord.id.desc())
    )
    area = frozenset(district_ids) if district_ids is not None else None
    query = scoped(query, MeetingRecord.district_id, actor, area)
    return [
        MeetingRecordView(
            id=row.id,
            version=row.version,
            district_id=row.district_id,
            district_name=name,
            held_on=row.held_on,
            attendees={k: int(v) for k, v in (row.attendees or {}).items()},
            households_reviewed=tuple(int(h) for h in row.households_reviewed or ()),
            decisions=row.decisions,
            next_meeting_on=row.next_meeting_on,
            entered_by=row.entered_by,
        )
        for row, name in session.execute(query)
    ]


def may_print_names(actor: Actor | None) -> bool:
    """Whether ``actor`` may ask for names in printed minutes (the roles that edit)."""
    return role_may(actor, Action.EDIT)


def household_names(session: Session, actor: Actor, household_ids: Iterable[int]) -> dict[int, str]:
    """Residents' names per household for staff-only minutes; households outside the
    actor's editable districts are left out. Audited as ``name_list``."""
    if not may_print_names(actor):
        raise AccessDenied("氏名を印刷する権限がありません")
    ids = [
        h
        for h, district in session.execute(
            select(Household.id, Household.district_id).where(
                Household.id.in_(sorted(set(household_ids))), Household.deleted_at.is_(None)
            )
        )
        if can(actor, Action.EDIT, district)
    ]
    residents, _, _ = resident_views(session, actor, ids)
    names = {h: "、".join(r.name for r in residents.get(h, ()) if r.name) for h in ids}
    audit.log(session, actor, AuditAction.NAME_LIST, Entity.HOUSEHOLD, ids, purpose="minutes")
    return names
