"""Writing the append-only audit trail: who did what to which record ids, never the values."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from lsmap.models import AuditEntry

if TYPE_CHECKING:
    from lsmap.access import Actor


def log(
    session: Session,
    actor: Actor | None,
    action: str,
    entity: str = "",
    ids: Iterable[int] = (),
    **detail: Any,
) -> None:
    """Append one audit entry in the caller's transaction.

    ``detail`` holds only non-sensitive facts (counts, layer names, district ids).
    """
    session.add(
        AuditEntry(
            username=actor.username if actor else "system",
            role=actor.role if actor else "",
            action=action,
            entity=entity,
            entity_ids=sorted(set(ids)),
            detail=detail,
        )
    )
