"""A household's follow-up plan as the record shows it (issue 12): 次回の訪問予定日, 担当 (a
staff user who may edit the household) and the last 見直し, with the version to save
against. Staff and admin only, within their districts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from lsmap.access.core import AccessDenied, Action, Actor, can, load_actor, role_may
from lsmap.storage.models import Household, User


@dataclass(frozen=True)
class FollowUpPlan:
    """The plan of one household and who may be its 担当."""

    household_id: int
    version: int
    next_visit_on: date | None
    assignee_id: int | None
    reviewed_on: date | None
    #: (user id, display name) of the active users who may edit this household
    assignable: tuple[tuple[int, str], ...]


def assignable_users(session: Session, district_id: int | None) -> list[tuple[int, str]]:
    """Active users who may edit records in ``district_id`` (the possible 担当)."""
    found = []
    for user in session.scalars(select(User).where(User.active.is_(True)).order_by(User.id)):
        other = load_actor(session, user.id)
        if other is not None and can(other, Action.EDIT, district_id):
            found.append((user.id, user.display_name or user.username))
    return found


def follow_up_plan(session: Session, actor: Actor, household_id: int) -> FollowUpPlan:
    """The plan of a household ``actor`` may edit; AccessDenied otherwise."""
    household = session.get(Household, household_id)
    if (
        household is None
        or household.deleted_at is not None
        or not role_may(actor, Action.EDIT)
        or not can(actor, Action.EDIT, household.district_id)
    ):
        raise AccessDenied("この記録は見つからないか、編集する権限がありません")
    return FollowUpPlan(
        household.id,
        household.version,
        household.next_visit_on,
        household.assignee_id,
        household.reviewed_on,
        tuple(assignable_users(session, household.district_id)),
    )
