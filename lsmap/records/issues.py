"""Saving what the paper record says of a household (issue 12): its 課題 (the chosen codes and
the free text) and the 緊急連絡カード's health and care lines. Each save is one change of the
household (its version moves; one audit entry names the changed fields, never the values)."""

from __future__ import annotations

from collections.abc import Collection, Mapping

from sqlalchemy import Engine, delete
from sqlalchemy.orm import Session

from lsmap import access
from lsmap.access import Actor
from lsmap.access.card import CARD_FIELDS, CARD_LABELS
from lsmap.access.issues import issue_codes, ordered
from lsmap.records.validation import normalise_text
from lsmap.records.writes import NOT_FOUND, RecordError, ValidationFailed
from lsmap.storage import audit, db
from lsmap.storage.models import Household, HouseholdIssue, utcnow
from lsmap.vocab import HOUSEHOLD_ISSUES, AuditAction, Entity

STALE = "ほかの人が先にこの世帯を変更しました。画面を読み込み直してください"
MAX_NOTE = 300
MAX_CARD_TEXT = 500


def _household(session: Session, actor: Actor, household_id: int, version: int) -> Household:
    household = session.get(Household, household_id)
    if household is None or household.deleted_at is not None:
        raise access.AccessDenied(NOT_FOUND)
    if not access.can(actor, access.Action.EDIT, household.district_id):
        raise access.AccessDenied(NOT_FOUND)
    if household.version != version:
        raise RecordError(STALE)
    return household


def set_issues(
    db_engine: Engine,
    actor: Actor,
    household_id: int,
    issues: Collection[str],
    note: str,
    *,
    version: int,
) -> int:
    """Replace the household's 課題 and their free text; returns the household's version."""
    unknown = sorted(set(issues) - set(HOUSEHOLD_ISSUES))
    if unknown:
        raise ValidationFailed([("issues", f"「課題」にない項目です: {'、'.join(unknown)}")])
    note = normalise_text(note)
    if len(note) > MAX_NOTE:
        raise ValidationFailed(
            [("issue_note", f"「課題の補足」は{MAX_NOTE}文字以内にしてください")]
        )
    chosen = ordered(issues)
    with db.transaction(db_engine) as session:
        household = _household(session, actor, household_id, version)
        before = issue_codes(session, [household_id]).get(household_id, ())
        fields = [
            name
            for name, changed in (
                ("issues", before != chosen),
                ("issue_note", household.issue_note != note),
            )
            if changed
        ]
        if not fields:
            return version
        session.execute(delete(HouseholdIssue).where(HouseholdIssue.household_id == household_id))
        session.add_all(HouseholdIssue(household_id=household_id, issue=code) for code in chosen)
        household.issue_note = note
        household.updated_at = utcnow()  # an UPDATE of the row: the version moves
        session.flush()
        audit.log(
            session,
            actor,
            AuditAction.UPDATE,
            Entity.HOUSEHOLD,
            [household_id],
            fields=fields,
        )
        return int(household.version)


def set_card_facts(
    db_engine: Engine,
    actor: Actor,
    household_id: int,
    values: Mapping[str, str],
    *,
    version: int,
) -> int:
    """Save 持病, 服薬 and 介護サービス・ケアマネ; returns the household's version."""
    cleaned = {name: normalise_text(values.get(name, "")) for name in CARD_FIELDS}
    too_long = [name for name, text in cleaned.items() if len(text) > MAX_CARD_TEXT]
    if too_long:
        raise ValidationFailed(
            [(n, f"「{CARD_LABELS[n]}」は{MAX_CARD_TEXT}文字以内にしてください") for n in too_long]
        )
    with db.transaction(db_engine) as session:
        household = _household(session, actor, household_id, version)
        fields = [name for name in CARD_FIELDS if getattr(household, name) != cleaned[name]]
        if not fields:
            return version
        for name in fields:
            setattr(household, name, cleaned[name])
        session.flush()
        audit.log(
            session, actor, AuditAction.UPDATE, Entity.HOUSEHOLD, [household_id], fields=fields
        )
        return int(household.version)
