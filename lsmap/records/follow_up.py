"""Writing a household's follow-up plan (issue 12): 次回の訪問予定日, 担当 and 見直し.

A plan save is a versioned update of the household (a stale save is refused and names
what changed) and is audited as an ``update`` of its fields, like every record change.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.orm.exc import StaleDataError

from lsmap import access
from lsmap.access import AccessDenied, Actor
from lsmap.records import validation
from lsmap.records.writes import StaleRecord, ValidationFailed
from lsmap.storage import audit, db
from lsmap.storage.models import Household
from lsmap.vocab import AuditAction, Entity

PLAN_FIELDS = ("next_visit_on", "assignee_id", "reviewed_on")


def _check(values: dict[str, Any], assignable: set[int], today: date) -> None:
    errors = []
    planned = values.get("next_visit_on")
    if planned is not None and not isinstance(planned, date):
        errors.append(validation.message("next_visit_on", "は日付で入力してください"))
    assignee = values.get("assignee_id")
    if assignee is not None and assignee not in assignable:
        errors.append(
            validation.message("assignee_id", "はこの世帯を担当できる職員から選んでください")
        )
    reviewed = values.get("reviewed_on")
    if reviewed is not None and (not isinstance(reviewed, date) or reviewed > today):
        errors.append(validation.message("reviewed_on", "に未来の日付は入力できません"))
    if errors:
        raise ValidationFailed(errors)


def save_plan(
    engine: Engine,
    actor: Actor,
    household_id: int,
    values: dict[str, Any],
    *,
    version: int,
    today: date | None = None,
) -> int:
    """Save the changed plan ``values`` (keys of :data:`PLAN_FIELDS`) of a household loaded
    at ``version``; returns the new version."""
    today = today or date.today()
    try:
        return _save(engine, actor, household_id, values, version, today)
    except StaleDataError:  # saved by someone else between our read and our write
        raise StaleRecord("household", list(values), None, {}) from None


def _save(
    engine: Engine,
    actor: Actor,
    household_id: int,
    values: dict[str, Any],
    version: int,
    today: date,
) -> int:
    with db.transaction(engine) as session:
        plan = access.follow_up_plan(session, actor, household_id)
        household = session.get(Household, household_id)
        if household is None:
            raise AccessDenied()
        if plan.version != version:
            current = {f: getattr(household, f) for f in PLAN_FIELDS}
            raise StaleRecord("household", [f for f in values if f in PLAN_FIELDS], None, current)
        _check(values, {uid for uid, _ in plan.assignable}, today)
        changed = [f for f in PLAN_FIELDS if f in values and getattr(household, f) != values[f]]
        if not changed:
            return version
        for name in changed:
            setattr(household, name, values[name])
        session.flush()
        audit.log(
            session, actor, AuditAction.UPDATE, Entity.HOUSEHOLD, [household_id], fields=changed
        )
        return int(household.version)


def mark_reviewed(
    engine: Engine, actor: Actor, household_id: int, *, version: int, today: date | None = None
) -> int:
    """Record that the household was reviewed (見直し) today; returns the new version."""
    today = today or date.today()
    return save_plan(
        engine, actor, household_id, {"reviewed_on": today}, version=version, today=today
    )
