"""The 緊急連絡カード's health and care lines of a household (持病, 服薬, 介護サービス・ケアマネ).

They are household details under the one rule (:func:`details_shareable`): roles that
edit see them in their districts; a meeting only for a household whose details are shown;
planners never.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from lsmap.access.core import AccessDenied, Action, Actor, can, scoped
from lsmap.access.policy import sees_full_records
from lsmap.access.residents import consent_counts, details_shareable
from lsmap.storage.models import Household

CARD_FIELDS = ("medical_conditions", "medications", "care_services")
CARD_LABELS = {
    "medical_conditions": "持病",
    "medications": "服薬",
    "care_services": "介護サービス・ケアマネ",
}


@dataclass(frozen=True)
class CardFacts:
    """持病, 服薬 and 介護サービス・ケアマネ of one household, and its version."""

    household_id: int
    medical_conditions: str
    medications: str
    care_services: str
    version: int


def card_facts(session: Session, actor: Actor, household_id: int) -> CardFacts | None:
    """The card's health and care lines; None when the actor may not see the household's
    details. AccessDenied when the household is unknown, deleted or out of scope."""
    if not can(actor, Action.VIEW):
        raise AccessDenied()
    query = select(
        Household.id,
        Household.medical_conditions,
        Household.medications,
        Household.care_services,
        Household.version,
    ).where(Household.id == household_id, Household.deleted_at.is_(None))
    row = session.execute(scoped(query, Household.district_id, actor, None)).first()
    if row is None:
        raise AccessDenied("この記録は見つからないか、見る権限がありません")
    if not sees_full_records(actor):
        consented, withheld = consent_counts(session, [household_id]).get(household_id, (0, 0))
        if not details_shareable(actor, consented, withheld):
            return None
    return CardFacts(
        household_id=household_id,
        medical_conditions=row.medical_conditions or "",
        medications=row.medications or "",
        care_services=row.care_services or "",
        version=int(row.version),
    )
