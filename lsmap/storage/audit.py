"""Writing the append-only audit trail: who did what to which record ids, never the values."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol, TypeVar

from sqlalchemy.orm import Session

from lsmap.storage.models import AuditEntry


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


def log_attempt(
    session: Session, username: str, action: str, ids: Iterable[int] = (), **detail: Any
) -> None:
    """Append an entry for a sign-in attempt under the user name as typed (never the password).

    The name may belong to nobody; it is cut to the column's 64 characters.
    """
    session.add(
        AuditEntry(
            username=username[:64],
            role="",
            action=action,
            entity="user",
            entity_ids=sorted(set(ids)),
            detail=detail,
        )
    )


def log_denied(
    session: Session,
    actor: Actor | None,
    error: E,
    entity: str,
    ids: Iterable[int] = (),
    **detail: Any,
) -> E:
    """Audit a refused read as ``access_denied`` and return ``error`` to raise.

    The entry is added to the caller's transaction; because raising ``error`` usually rolls
    that transaction back, the error also carries the entry, and :func:`lsmap.storage.db.transaction`
    writes it again in a transaction of its own after the rollback (exactly once either way).
    """
    ids = sorted(set(ids))
    log(session, actor, "access_denied", entity, ids, **detail)

    def after_rollback(fresh: Session) -> None:
        log(fresh, actor, "access_denied", entity, ids, **detail)

    error.after_rollback = after_rollback  # type: ignore[attr-defined]  # a marker on any exception
    return error


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

#: Japanese labels of the audited actions (the admin page shows these).
ACTION_LABELS: dict[str, str] = {
    "login": "ログイン",
    "logout": "ログアウト",
    "view_record": "記録の閲覧",
    "map_render": "地図の表示",
    "search": "検索",
    "name_list": "名簿の表示",
    "export": "エクスポート",
    "print": "印刷",
    "create": "作成",
    "update": "更新",
    "delete": "削除",
    "restore": "復元",
    "audit_export": "監査ログの出力",
    "sample_load": "サンプル読込",
    "view_gaps": "空白地帯の一覧の表示",
    "coverage": "カバー状況の表示",
    "import": "取り込み",
    "backup": "バックアップ",
    "login_failed": "ログイン失敗",
    "account_locked": "アカウントのロック",
    "access_denied": "権限のない閲覧の試み",
    "view_start": "要対応の一覧の表示",
    "view_watchers": "見守り者の一覧の表示",
    "view_deleted": "削除した記録の一覧の表示",
    "download": "ファイルのダウンロード",
    "basemap_import": "背景地図の取り込み",
    "basemap_remove": "背景地図の削除",
    "basemap_tiles": "背景地図タイルの書き出し",
}


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
