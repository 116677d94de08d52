"""監査ログ: administrators list and filter the audit trail and download it as CSV."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

import pandas as pd
import streamlit as st

from lsmap import access
from lsmap.escape import markdown_text
from lsmap.settings import LOCAL_TZ, local_time
from lsmap.storage import audit, db
from lsmap.ui.context import require_actor
from lsmap.ui.sidebar import user_box
from lsmap.ui.widget_text import DATE_FORMAT
from lsmap.vocab import ENTITY_LABELS, ROLES, AuditAction, Entity

PAGE_ROWS = 500


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=LOCAL_TZ)


def render() -> None:
    """Filters, the newest entries, and a CSV download of the filtered log."""
    actor = require_actor()

    user_box(actor)
    st.subheader("監査ログ")
    st.caption(
        "閲覧・地図表示・出力・印刷・変更の記録です。記録には対象のIDだけを残し、内容は残しません。"
    )
    today = datetime.now(LOCAL_TZ).date()
    left, middle, right = st.columns(3)
    since = left.date_input(
        "開始日", today - timedelta(days=7), max_value=today, format=DATE_FORMAT
    )
    until = middle.date_input("終了日", today, max_value=today, format=DATE_FORMAT)
    action = right.selectbox(
        "操作",
        [None, *audit.ACTION_LABELS],
        format_func=lambda a: "すべて" if a is None else audit.ACTION_LABELS[a],
    )
    left, right = st.columns(2)
    username = left.text_input("ユーザー名", help="完全一致")
    entity_id = right.number_input("記録ID", min_value=0, step=1, value=0, help="0 は指定なし")
    if since > until:
        st.error("開始日は終了日より前にしてください")
        return
    with db.transaction(db.get_engine()) as session:
        try:
            entries = access.audit_entries(
                session,
                actor,
                since=_start_of(since),
                until=_start_of(until + timedelta(days=1)),
                username=username.strip() or None,
                action=action,
                entity_id=int(entity_id) or None,
            )
        except access.AccessDenied as denied:
            st.error(markdown_text(denied.message))
            return
        audit.log(session, actor, AuditAction.SEARCH, Entity.AUDIT_LOG, (), count=len(entries))
        csv_text = audit.entries_csv(entries)
    st.write(
        f"{len(entries)} 件"
        + (f"（新しい順に {PAGE_ROWS} 件を表示）" if len(entries) > PAGE_ROWS else "")
    )
    st.dataframe(_entry_table(entries[:PAGE_ROWS]), hide_index=True, use_container_width=True)
    st.download_button(
        "CSVでダウンロード",
        data=("\ufeff" + csv_text).encode("utf-8"),
        file_name=f"lsmap-audit-{since}-{until}.csv",
        mime="text/csv",
        on_click=_log_download,
        args=(len(entries),),
    )


def _entry_table(shown: list[Any]) -> pd.DataFrame:
    """Audit entries as shown: local time, Japanese labels, the first 20 ids."""
    return pd.DataFrame(
        {
            "日時": [f"{local_time(e.at):%Y-%m-%d %H:%M:%S}" for e in shown],
            "ユーザー": [e.username for e in shown],
            "役割": [ROLES.get(e.role, e.role) for e in shown],
            "操作": [audit.ACTION_LABELS.get(e.action, e.action) for e in shown],
            "対象": [ENTITY_LABELS.get(e.entity, e.entity) for e in shown],
            "ID": [
                " ".join(str(i) for i in (e.entity_ids or [])[:20])
                + (" …" if len(e.entity_ids or []) > 20 else "")
                for e in shown
            ],
        }
    )


def _log_download(count: int) -> None:
    actor = require_actor()
    with db.transaction(db.get_engine()) as session:
        audit.log(session, actor, AuditAction.AUDIT_EXPORT, Entity.AUDIT_LOG, (), count=count)
