"""Watchers without a home location (issue 12): never silently missing from the map.

The map legend counts them (「位置未設定の見守り者 N 人」) for the roles that see watchers,
in the same scope and area as the watcher points.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lsmap.access.core import Action, Actor, Area, area_ids, can, scoped
from lsmap.storage.models import Watcher


def unlocated_watcher_count(session: Session, actor: Actor, where: Area | int | None) -> int:
    """How many live watchers of the chosen area (in scope) have no location."""
    if not can(actor, Action.VIEW):
        return 0
    query = select(func.count(Watcher.id)).where(
        Watcher.deleted_at.is_(None), Watcher.location.is_(None)
    )
    query = scoped(query, Watcher.district_id, actor, area_ids(session, where))
    return int(session.scalar(query) or 0)
