"""Writing the append-only audit trail: who did what to which record ids, never the values.

Each entry's ids are also written, in the same transaction, to the indexed ``audit_links``
table (:class:`~lsmap.storage.models.AuditLink`); :func:`record_changes`,
:func:`household_changes` and :func:`names` read through it instead of scanning JSON.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from datetime import datetime
from typing import Any, Protocol, TypeVar

from sqlalchemy import ColumnElement, bindparam, false, func, or_, select, union_all
from sqlalchemy.orm import Session

from lsmap.storage.models import CHANGE_ACTIONS, AuditEntry, AuditLink
from lsmap.vocab import AUDIT_ACTION_LABELS, AuditAction, Entity


class Actor(Protocol):
    """Who acts, as the audit log records it (``lsmap.access.Actor`` is one)."""

    @property
    def username(self) -> str: ...

    @property
    def role(self) -> str: ...


E = TypeVar("E", bound=BaseException)


def log(
    session: Session,
    actor: Actor | None,
    action: AuditAction | str,
    entity: Entity | str = "",
    ids: Iterable[int] = (),
    **detail: Any,
) -> None:
    """Append one audit entry in the caller's transaction; its links (one per id, see
    :class:`~lsmap.storage.models.AuditLink`) are inserted with it when the session flushes.

    ``action`` and ``entity`` must be members of :class:`lsmap.vocab.AuditAction` and
    :class:`lsmap.vocab.Entity` (a plain string is checked against them: ValueError if
    unknown), so that every entry has a Japanese label. ``detail`` holds only
    non-sensitive facts (counts, layer names, district ids). Writers of a household's records
    pass ``household=<id>`` so that its history finds them.
    """
    session.add(
        AuditEntry(
            username=actor.username if actor else "system",
            role=str(actor.role) if actor else "",
            action=str(AuditAction(action)),
            entity=str(Entity(entity)) if entity else "",
            entity_ids=sorted(set(ids)),
            detail=detail,
        )
    )


def log_attempt(
    session: Session,
    username: str,
    action: AuditAction | str,
    ids: Iterable[int] = (),
    **detail: Any,
) -> None:
    """Append an entry for a sign-in attempt under the user name as typed (never the password).

    The name may belong to nobody; it is cut to the column's 64 characters.
    """
    session.add(
        AuditEntry(
            username=username[:64],
            role="",
            action=str(AuditAction(action)),
            entity=str(Entity.USER),
            entity_ids=sorted(set(ids)),
            detail=detail,
        )
    )


def log_denied(
    session: Session,
    actor: Actor | None,
    error: E,
    entity: Entity | str,
    ids: Iterable[int] = (),
    **detail: Any,
) -> E:
    """Audit a refused read as ``access_denied`` and return ``error`` to raise.

    The entry is added to the caller's transaction; because raising ``error`` usually rolls
    that transaction back, the error also carries the entry, and
    :func:`lsmap.storage.db.transaction` writes it again in a transaction of its own after the
    rollback (exactly once either way).
    """
    ids = sorted(set(ids))
    log(session, actor, AuditAction.ACCESS_DENIED, entity, ids, **detail)

    def after_rollback(fresh: Session) -> None:
        log(fresh, actor, AuditAction.ACCESS_DENIED, entity, ids, **detail)

    error.after_rollback = after_rollback  # type: ignore[attr-defined]  # a marker on any exception
    return error


# ---------------------------------------------------------------- reading through the links


def names(
    session: Session,
    entity_id: int,
    since: datetime | None = None,
    until: datetime | None = None,
) -> ColumnElement[bool]:
    """A condition on :class:`AuditEntry`: it names ``entity_id`` (of any entity).

    Wide entries (more ids than ``LINK_LIMIT``) match too: the caller keeps those whose
    ``entity_ids`` hold the id. With a time window only the links of the window's range of
    entry ids are read (found with one pass over the ``at`` index); without one, all.
    """
    window: tuple[ColumnElement[bool], ...] = ()
    if since is not None or until is not None:
        # "+ 0": read the ids from the window's rows; PostgreSQL would otherwise walk the
        # primary key from one end, row by row, until it reached the window
        bounds = select(func.min(AuditEntry.id + 0), func.max(AuditEntry.id + 0))
        if since is not None:
            bounds = bounds.where(AuditEntry.at >= since)
        if until is not None:
            bounds = bounds.where(AuditEntry.at < until)
        lowest, highest = session.execute(bounds).one()
        if lowest is None:
            return false()
        window = (AuditLink.audit_id.between(lowest, highest),)
    linked = select(AuditLink.audit_id).where(
        *window, or_(AuditLink.entity_id == entity_id, AuditLink.entity_id.is_(None))
    )
    return AuditEntry.id.in_(linked)


def record_changes(
    session: Session, entity: str, record_id: int, limit: int | None
) -> list[AuditEntry]:
    """Changes (create, update, delete, restore) of ``entity`` No. ``record_id``, newest
    first, at most ``limit``."""
    return _newest_changes(
        session,
        (AuditLink.entity == entity, AuditLink.entity_id == record_id),
        (AuditLink.entity == entity, AuditLink.entity_id.is_(None)),
        lambda entry: record_id in (entry.entity_ids or []),
        limit,
    )


def household_changes(
    session: Session, household_id: int, entities: Collection[str], limit: int | None
) -> list[AuditEntry]:
    """Changes of the household and of its records of ``entities`` (those whose entry says
    ``household``), newest first, at most ``limit``."""

    def belongs(entry: AuditEntry) -> bool:
        if entry.entity == "household":
            return household_id in (entry.entity_ids or [])
        return (entry.detail or {}).get("household") == household_id

    return _newest_changes(
        session,
        (AuditLink.household_id == household_id,),
        (AuditLink.entity.in_(entities), AuditLink.entity_id.is_(None)),
        belongs,
        limit,
    )


def _changes_only() -> ColumnElement[bool]:
    """The partial indexes' condition, with literal values so that SQLite matches it."""
    return AuditLink.action.in_(
        bindparam("changes", CHANGE_ACTIONS, expanding=True, literal_execute=True)
    )


def _newest_changes(
    session: Session,
    linked: tuple[ColumnElement[bool], ...],
    wide: tuple[ColumnElement[bool], ...],
    keep: Callable[[AuditEntry], bool],
    limit: int | None,
) -> list[AuditEntry]:
    """Changes whose links match ``linked`` and the wide changes matching ``wide``, those
    that ``keep`` accepts, newest first, at most ``limit``; one query.

    The links are read from a partial index newest first and cut at ``limit``: the work is
    bounded by ``limit`` whatever the size of the log (wide changes are few or none).
    """
    newest = (
        select(AuditLink.audit_id)
        .where(*linked, _changes_only())
        .order_by(AuditLink.audit_id.desc())
        .limit(limit)
        .subquery()
    )
    ids = union_all(
        select(newest.c.audit_id),
        select(AuditLink.audit_id).where(*wide, _changes_only()),
    )
    query = select(AuditEntry).where(AuditEntry.id.in_(ids)).order_by(AuditEntry.id.desc())
    return [entry for entry in session.scalars(query) if keep(entry)][:limit]


AUDIT_COLUMNS: tuple[str, ...] = (
    "id",
    "at",
    "username",
    "role",
    "action",
    "entity",
    "entity_ids",
    "detail",
)

#: Japanese labels of the audited actions (the admin page shows these), from the vocabulary.
ACTION_LABELS: dict[str, str] = {str(action): text for action, text in AUDIT_ACTION_LABELS.items()}


def entries_csv(entries: list[AuditEntry]) -> str:
    """Audit entries as CSV text (cells that look like formulas are neutralised)."""
    import csv
    import io
    import json

    from lsmap.escape import spreadsheet_cell

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(AUDIT_COLUMNS)
    for entry in entries:
        row = [
            entry.id,
            entry.at.isoformat(),
            entry.username,
            entry.role,
            entry.action,
            entry.entity,
            " ".join(str(i) for i in entry.entity_ids or []),
            json.dumps(entry.detail or {}, ensure_ascii=False, sort_keys=True),
        ]
        writer.writerow([spreadsheet_cell(value) for value in row])
    return buffer.getvalue()
