"""要対応: the staff start page — urgent households and overdue records, oldest first."""

from __future__ import annotations

import streamlit as st

from lsmap.escape import markdown_text
from lsmap.records import urgency
from lsmap.records.urgency import WorkItem
from lsmap.storage import audit, db
from lsmap.ui.context import require_actor
from lsmap.ui.links import go
from lsmap.ui.sidebar import user_box
from lsmap.vocab import FREQUENCIES, WARNING_SIGNS, AuditAction, Entity, label

OVERDUE_SHOWN = 100


def render() -> None:
    """Draw the start page for staff and admin."""
    actor = require_actor()

    user_box(actor)
    with db.transaction(db.get_engine()) as session:
        work = urgency.start_page(session, actor)
        shown = [item.household_id for item in [*work.urgent, *work.overdue[:OVERDUE_SHOWN]]]
        audit.log(
            session,
            actor,
            AuditAction.VIEW_START,
            Entity.HOUSEHOLD,
            shown,
            urgent=len(work.urgent),
            overdue=len(work.overdue),
        )
    st.subheader("要対応の世帯（担当地区）")
    left, right = st.columns(2)
    if left.button("気がかりな世帯を新しく登録する", key="start-new"):
        go("edit", household="new")
    if right.button("地図を開く", key="start-map"):
        go("map")

    st.markdown(f"#### 緊急のサインがあり訪問で確認されていない世帯（{len(work.urgent)}）")
    st.caption(
        "「水道・電気・ガス・電話が止められている」「2〜3日姿を見ない」の記録のあと、訪問の記録がない世帯です。古い順。"
    )
    if not work.urgent:
        st.success("いま緊急のサインが残っている世帯はありません。")
    for item in work.urgent:
        signs = "、".join(label(WARNING_SIGNS, s) for s in item.signs)
        _row(
            item,
            f"{item.since:%Y-%m-%d} から（{item.days} 日）: :red[{markdown_text(signs)}]",
            "urgent",
        )

    st.markdown(f"#### 見守りの連絡が途絶えている世帯（{len(work.overdue)}）")
    st.caption(
        "最後の連絡から、取り決めた頻度（最も頻繁な関わり方）より長く経っている世帯です。古い順。"
    )
    if not work.overdue:
        st.success("連絡が途絶えている世帯はありません。")
    for item in work.overdue[:OVERDUE_SHOWN]:
        freq = label(FREQUENCIES, item.frequency)
        when = (
            "連絡の記録なし"
            if item.since is None
            else f"最後の連絡 {item.since:%Y-%m-%d}（{item.days} 日前）"
        )
        _row(item, f"{when}・取り決め {freq}", "overdue")
    if len(work.overdue) > OVERDUE_SHOWN:
        st.caption(
            f"ほか {len(work.overdue) - OVERDUE_SHOWN} 世帯（古い順に {OVERDUE_SHOWN} 世帯を表示）"
        )


def _row(item: WorkItem, text: str, kind: str) -> None:
    col1, col2 = st.columns([6, 1])
    name = markdown_text(item.label) or "（氏名未登録）"
    col1.markdown(
        f"**No.{item.household_id} {name}**（{markdown_text(item.district_name)}）  \n{text}"
    )
    if col2.button("記録を開く", key=f"open-{kind}-{item.household_id}"):
        go("record", household=str(item.household_id))
