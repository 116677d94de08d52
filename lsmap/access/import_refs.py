"""What imports of watch links and contact logs match against (issue 17), in the actor's scope.

Only roles that may edit may ask; households and watchers outside the actor's districts are
not returned, so a row naming one is reported as unknown (existence does not leak).
"""

from __future__ import annotations

from collections import Counter
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from lsmap.access import AccessDenied, Actor, can
from lsmap.addresses import normalise_name
from lsmap.storage.models import ContactLog, Household, Watcher, WatchLink

__all__ = ["household_ids_by_ref", "known_contacts", "known_links", "watcher_ids_by_ref"]


def _require_edit(actor: Actor) -> None:
    if not can(actor, "edit"):
        raise AccessDenied("取り込みの権限がありません")


def _in_scope(actor: Actor, district_id: int | None) -> bool:
    return actor.sees_everything or district_id in actor.district_ids


def household_ids_by_ref(session: Session, actor: Actor) -> dict[str, int]:
    """番号 (``ref``) -> id of the live households the actor may edit."""
    _require_edit(actor)
    rows = session.execute(
        select(Household.ref, Household.id, Household.district_id).where(
            Household.ref.is_not(None), Household.deleted_at.is_(None)
        )
    )
    return {str(ref): hid for ref, hid, district in rows if _in_scope(actor, district)}


def watcher_ids_by_ref(session: Session, actor: Actor) -> tuple[dict[str, int], dict[str, int]]:
    """(番号 -> id, normalised name -> id) of the live watchers the actor may edit; a name
    shared by two watchers is left out (it cannot say which one is meant)."""
    _require_edit(actor)
    rows = session.execute(
        select(Watcher.ref, Watcher.name, Watcher.id, Watcher.district_id).where(
            Watcher.deleted_at.is_(None)
        )
    ).all()
    mine = [r for r in rows if _in_scope(actor, r.district_id)]
    refs = {r.ref: r.id for r in mine if r.ref}
    names = Counter(normalise_name(r.name) for r in mine)
    by_name = {normalise_name(r.name): r.id for r in mine if names[normalise_name(r.name)] == 1}
    return refs, by_name


def known_links(
    session: Session, actor: Actor, household_ids: set[int]
) -> dict[tuple[int, int, str], bool]:
    """(household, watcher, involvement) -> deleted? for every stored link of these households."""
    _require_edit(actor)
    if not household_ids:
        return {}
    rows = session.execute(
        select(
            WatchLink.household_id,
            WatchLink.watcher_id,
            WatchLink.involvement,
            WatchLink.deleted_at,
        ).where(WatchLink.household_id.in_(sorted(household_ids)))
    )
    return {(h, w, i): deleted is not None for h, w, i, deleted in rows}


def known_contacts(
    session: Session, actor: Actor, household_ids: set[int]
) -> set[tuple[int, date, str, str]]:
    """(household, date, method, observation) of the live contact logs of these households."""
    _require_edit(actor)
    if not household_ids:
        return set()
    rows = session.execute(
        select(
            ContactLog.household_id,
            ContactLog.contacted_on,
            ContactLog.method,
            ContactLog.observation,
        ).where(ContactLog.household_id.in_(sorted(household_ids)), ContactLog.deleted_at.is_(None))
    )
    return {(h, d, m, o.strip()) for h, d, m, o in rows}
