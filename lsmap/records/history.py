"""Per-record history from the audit log: who changed which fields when (never the values)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from lsmap import access
from lsmap.access import EDIT_MODELS, AccessDenied, Actor
from lsmap.records.validation import label_of
from lsmap.records.writes import CHILD_ENTITIES, ENTITY_LABELS
from lsmap.storage import audit

#: The history shows the newest changes up to this many.
HISTORY_LIMIT = 200
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
    session: Session, actor: Actor, entity: str, record_id: int, limit: int | None = HISTORY_LIMIT
) -> list[HistoryEntry]:
    """Changes of one record, newest first, at most ``limit``; a household's includes its
    residents, links, contacts and emergency contacts. Only actors who may edit the record
    may read it. Read through the audit log's link table (an index lookup)."""
    row = session.get(EDIT_MODELS[entity], record_id)
    if row is None or not access.can(actor, "edit", access.record_district(session, entity, row)):
        raise AccessDenied("この記録は見つからないか、履歴を見る権限がありません")
    if entity == "household":
        children = sorted(CHILD_ENTITIES)
        entries = audit.household_changes(session, record_id, [entity, *children], limit)
    else:
        entries = audit.record_changes(session, entity, record_id, limit)
    return [
        HistoryEntry(
            at=entry.at,
            username=entry.username,
            entity=entry.entity,
            record_id=(entry.entity_ids or [0])[0],
            action=entry.action,
            fields=tuple((entry.detail or {}).get("fields", ())),
        )
        for entry in entries
    ]
