"""The full contact history of one household (issue 12): newest first, filtered by type and
period, one page at a time. Only for a household whose details the actor may see (the same
rule as the record: :func:`lsmap.access.residents.resident_views`); audited as a read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lsmap.access.core import AccessDenied, Actor
from lsmap.access.records import household_row
from lsmap.access.residents import resident_views
from lsmap.access.views import ContactView
from lsmap.storage import audit
from lsmap.storage.models import ContactLog, Watcher
from lsmap.vocab import AuditAction, Entity

#: Entries per page of the history.
HISTORY_PAGE = 20


@dataclass(frozen=True)
class HistoryPage:
    """One page of a household's contact history and how many entries match in all."""

    entries: tuple[ContactView, ...]
    total: int
    page: int
    pages: int


def contact_history(
    session: Session,
    actor: Actor,
    household_id: int,
    *,
    methods: tuple[str, ...] = (),
    since: date | None = None,
    until: date | None = None,
    page: int = 1,
    page_size: int = HISTORY_PAGE,
) -> HistoryPage:
    """Page ``page`` (from 1) of the household's live contacts matching the filters.

    Raises AccessDenied (audited) outside the actor's scope, and for a household shown as a
    number only.
    """
    household_row(session, actor, household_id)
    _, _, shared = resident_views(session, actor, [household_id])
    if not shared[household_id]:
        raise AccessDenied("この世帯の見守り活動の記録は表示できません（番号のみ）")
    where = [ContactLog.household_id == household_id, ContactLog.deleted_at.is_(None)]
    if methods:
        where.append(ContactLog.method.in_(methods))
    if since is not None:
        where.append(ContactLog.contacted_on >= since)
    if until is not None:
        where.append(ContactLog.contacted_on <= until)
    total = int(session.scalar(select(func.count()).select_from(ContactLog).where(*where)) or 0)
    pages = max(1, -(-total // page_size))
    page = min(max(1, page), pages)
    rows = session.execute(
        select(ContactLog, Watcher.name)
        .outerjoin(Watcher, Watcher.id == ContactLog.watcher_id)
        .where(*where)
        .order_by(ContactLog.contacted_on.desc(), ContactLog.id.desc())
        .offset((page - 1) * page_size)
        .limit(page_size)
    )
    entries = tuple(
        ContactView(
            id=c.id,
            contacted_on=c.contacted_on,
            method=c.method,
            observation=c.observation,
            signs=tuple(c.signs or ()),
            watcher_name=name,
            recorded_by=c.recorded_by,
            outcome=c.outcome,
        )
        for c, name in rows
    )
    audit.log(
        session,
        actor,
        AuditAction.VIEW_RECORD,
        Entity.CONTACT_LOG,
        [e.id for e in entries],
        household=household_id,
        part="history",
        page=page,
    )
    return HistoryPage(entries, total, page, pages)
