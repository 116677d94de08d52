"""Reading the audit log: administrators only."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from lsmap.access.core import AccessDenied, Actor
from lsmap.access.policy import may_read_audit
from lsmap.storage import audit
from lsmap.storage.models import AuditEntry

__all__ = [
    "audit_entries",
]


def audit_entries(
    session: Session,
    actor: Actor,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    username: str | None = None,
    action: str | None = None,
    entity_id: int | None = None,
    limit: int | None = None,
) -> list[AuditEntry]:
    """Audit entries, newest first; only administrators may read the audit log."""
    if not may_read_audit(actor):
        raise AccessDenied("監査ログを見る権限がありません")
    query = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    if since is not None:
        query = query.where(AuditEntry.at >= since)
    if until is not None:
        query = query.where(AuditEntry.at < until)
    if username:
        query = query.where(AuditEntry.username == username)
    if action:
        query = query.where(AuditEntry.action == action)
    if entity_id is not None:  # through the indexed link table (audit.names)
        query = query.where(audit.names(session, entity_id, since, until))
    entries = list(session.scalars(query.limit(limit) if limit and entity_id is None else query))
    if entity_id is not None:  # wide entries (over LINK_LIMIT ids) name their ids only in JSON
        entries = [e for e in entries if entity_id in (e.entity_ids or [])][:limit]
    return entries
