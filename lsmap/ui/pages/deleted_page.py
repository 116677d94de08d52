"""削除した記録: soft-deleted records of the staff member's districts, to restore."""

from __future__ import annotations

from functools import partial

import streamlit as st

from lsmap import access, records
from lsmap.escape import markdown_text
from lsmap.records.writes import ENTITY_LABELS
from lsmap.settings import local_time
from lsmap.storage import audit, db
from lsmap.ui import editing
from lsmap.ui.context import require_actor
from lsmap.ui.sidebar import user_box
from lsmap.vocab import CONTACT_METHODS, AuditAction, Entity, label

SHOWN = 200


def _restore(actor: access.Actor, entity: str, record_id: int) -> bool:
    """Restore one soft-deleted record; True once restored (refusals raise)."""
    records.restore(db.get_engine(), actor, entity, record_id)
    return True


def render() -> None:
    """List deleted records with a restore button each."""
    actor = require_actor()

    user_box(actor)
    editing.show_flash()
    st.subheader("削除した記録")
    st.caption("削除は取り消せます。「元に戻す」を押すと記録が戻ります（監査ログに残ります）。")
    with db.transaction(db.get_engine()) as session:
        deleted = access.deleted_records(session, actor)
        shown: dict[str, list[int]] = {}
        for item in deleted[:SHOWN]:
            shown.setdefault(item["entity"], []).append(item["id"])
        audit.log(session, actor, AuditAction.VIEW_DELETED, Entity.DELETED, (), records=shown)
    if not deleted:
        st.info("削除した記録はありません。")
    for item in deleted[:SHOWN]:
        text = (
            label(CONTACT_METHODS, item["label"])
            if item["entity"] == "contact_log"
            else item["label"]
        )
        where = f"（世帯番号 {item['household_number']}）" if item["household_id"] else ""
        col1, col2 = st.columns([6, 1])
        col1.markdown(
            f"**{ENTITY_LABELS[item['entity']]}** No.{item['id']} {markdown_text(text)}{where}  \n"
            f"削除日時 {local_time(item['deleted_at']):%Y-%m-%d %H:%M}"
        )
        if col2.button("元に戻す", key=f"restore-{item['entity']}-{item['id']}"):
            done = editing.attempt(partial(_restore, actor, item["entity"], item["id"]))
            if done:
                editing.flash(f"{ENTITY_LABELS[item['entity']]} No.{item['id']} を元に戻しました")
                st.rerun()
