"""What a 見守り者 reports from 「わたしの見守り」 (issue 13): one contact-log entry, written as
the watcher, audited, on a household its own watcher row is linked to.

Three reports: 「会えた・元気」 (a visit, 会えた), 「会えなかった」 and
「気になることがある」 (the 気づき checklist and a note). Only 会えた・元気 is a visit, so
that a failed visit or a worry never closes an urgent sign on 要対応
(:func:`lsmap.records.urgency.urgent_since`); urgent ticks (:data:`URGENT_SIGNS`) put the
household on district staff's 要対応 at once.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from sqlalchemy import Engine

from lsmap import access
from lsmap.access import AccessDenied, Actor
from lsmap.records.validation import message, validate_contact
from lsmap.records.writes import ValidationFailed
from lsmap.storage import audit, db
from lsmap.storage.models import ContactLog
from lsmap.vocab import URGENT_SIGNS, AuditAction, Entity

NOT_YOURS = "この世帯の見守りを記録する権限がありません"
#: What the watcher is told when it ticked an urgent sign.
URGENT_NOTICE = "社協に連絡しました。命に関わるときは119番へ"


class Report(StrEnum):
    """The three buttons of 「わたしの見守り」."""

    MET_WELL = "met_well"
    NOT_MET = "not_met"
    WORRIED = "worried"

    @property
    def label(self) -> str:
        """The button text."""
        return REPORT_LABELS[self]


REPORT_LABELS: dict[str, str] = {
    Report.MET_WELL: "会えた・元気",
    Report.NOT_MET: "会えなかった",
    Report.WORRIED: "気になることがある",
}
#: (method, outcome) stored for each report.
REPORT_ENTRIES: dict[str, tuple[str, str]] = {
    Report.MET_WELL: ("visit", "met"),
    Report.NOT_MET: ("other", "absent"),
    Report.WORRIED: ("other", ""),
}


@dataclass(frozen=True)
class Reported:
    """The entry written and whether it ticked an urgent sign."""

    contact_id: int
    urgent: bool


def report_contact(
    engine: Engine,
    actor: Actor,
    household_id: int,
    report: Report | str,
    *,
    on: date,
    signs: Iterable[str] = (),
    note: str = "",
    today: date | None = None,
) -> Reported:
    """Record the watcher's report on one of its own households (AccessDenied otherwise)."""
    report = Report(report)
    today = today or date.today()
    method, outcome = REPORT_ENTRIES[report]
    chosen = sorted(set(signs)) if report == Report.WORRIED else []
    values = {"contacted_on": on, "method": method, "outcome": outcome, "signs": chosen}
    errors = validate_contact(values, today=today)
    if errors:
        raise ValidationFailed(errors)
    if report == Report.WORRIED and not chosen and not note.strip():
        raise ValidationFailed([message("signs", "を選ぶか、メモを書いてください")])
    with db.transaction(engine) as session:
        if not access.may_report_on(session, actor, household_id):
            raise audit.log_denied(
                session, actor, AccessDenied(NOT_YOURS), Entity.HOUSEHOLD, [household_id]
            )
        row = ContactLog(
            household_id=household_id,
            watcher_id=actor.watcher_id,
            contacted_on=on,
            method=method,
            outcome=outcome,
            signs=chosen,
            observation=note.strip(),
            recorded_by=actor.display_name or actor.username,
        )
        session.add(row)
        session.flush()
        audit.log(
            session,
            actor,
            AuditAction.CREATE,
            Entity.CONTACT_LOG,
            [row.id],
            household=household_id,
            report=str(report),
        )
        return Reported(int(row.id), bool(URGENT_SIGNS.intersection(chosen)))
