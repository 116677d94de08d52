"""Per-record history from the audit log: who changed which fields when (never the values)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from lsmap import access
from lsmap.access import EDIT_MODELS, AccessDenied, Actor
from lsmap.records.validation import label_of
from lsmap.records.writes import CHILD_ENTITIES, ENTITY_LABELS, WRITE_ACTIONS
from lsmap.storage.models import AuditEntry

ACTION_LABELS: dict[str, str] = {
    "create": "作成",
    "update": "変更",
    "delete": "削除",
    "restore": "復元",
}


@dataclass(frozen=True)
class HistoryEntry:
    """One change: when, who, what kind of record, what action, which fields."""

    at: datetime
    username: str
    entity: str
    record_id: int
    action: str
    fields: tuple[str, ...]

    @property
    def summary(self) -> str:
        """A Japanese one-liner, e.g. 「気がかりな人 No.12 を変更: 電話番号、氏名」."""
        what = f"{ENTITY_LABELS.get(self.entity, self.entity)} No.{self.record_id}"
        names = "、".join(dict.fromkeys(label_of(f) for f in self.fields if f != "deleted_at"))
        action = ACTION_LABELS.get(self.action, self.action)
        return f"{what} を{action}" + (f": {names}" if names and self.action == "update" else "")


def record_history(
    session: Session, actor: Actor, entity: str, record_id: int
) -> list[HistoryEntry]:
    """Changes of one record, newest first; a household's includes its residents, links,
    contacts and emergency contacts. Only actors who may edit the record may read it."""
    row = session.get(EDIT_MODELS[entity], record_id)
    if row is None or not access.can(actor, "edit", access.record_district(session, entity, row)):
        raise AccessDenied("この記録は見つからないか、履歴を見る権限がありません")
    entities = [entity, *sorted(CHILD_ENTITIES)] if entity == "household" else [entity]
    query = (
        select(AuditEntry)
        .where(AuditEntry.entity.in_(entities), AuditEntry.action.in_(WRITE_ACTIONS))
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    )
    history = []
    for entry in session.scalars(query):
        ids = entry.entity_ids or []
        detail = entry.detail or {}
        own = entry.entity == entity and record_id in ids
        child = (
            entity == "household"
            and entry.entity in CHILD_ENTITIES
            and detail.get("household") == record_id
        )
        if own or child:
            history.append(
                HistoryEntry(
                    at=entry.at,
                    username=entry.username,
                    entity=entry.entity,
                    record_id=ids[0] if ids else 0,
                    action=entry.action,
                    fields=tuple(detail.get("fields", ())),
                )
            )
    return history
