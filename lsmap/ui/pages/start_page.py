"""要対応: the staff start page — urgent households first, then past plans, lapsed
recorded watching and due reviews; 「見守りを記録」 is one click from every row."""

from __future__ import annotations

import streamlit as st

from lsmap import access
from lsmap.access import Actor
from lsmap.escape import markdown_text
from lsmap.records import urgency
from lsmap.records.urgency import StartPage, WorkItem
from lsmap.settings import follow_up_rule
from lsmap.storage import audit, db
from lsmap.ui import editing
from lsmap.ui.context import require_actor
from lsmap.ui.links import go
from lsmap.ui.search_box import search_box
from lsmap.ui.sidebar import user_box
from lsmap.ui.visit_log import visit_form
from lsmap.vocab import FREQUENCIES, URGENT_SIGNS_TEXT, WARNING_SIGNS, AuditAction, Entity, label

OVERDUE_SHOWN = 100
#: Reviews are not urgent: the oldest few are listed, the rest counted.
REVIEW_SHOWN = 20


def _pending_proposals(actor: Actor) -> None:
    """A line about the 福祉連絡会's proposals waiting for this staff member, with the way
    to the 確認待ち list (issue 14)."""
    if not access.may_confirm_proposals(actor):
        return
    with db.transaction(db.get_engine()) as session:
        waiting = len(access.proposals(session, actor, status="pending"))
    if waiting:
        st.info(f"会議からの提案が {waiting} 件、確認を待っています。")
        if st.button("確認待ちの提案を開く", key="start-proposals"):
            go("proposals")


def render() -> None:
    """Draw the start page for staff and admin."""
    actor = require_actor()

    user_box(actor, search=False)  # the search box is this page's first line (phones)
    with db.transaction(db.get_engine()) as session:
        work = urgency.start_page(session, actor)
        shown = [
            item.household_id
            for item in [
                *work.urgent,
                *work.planned,
                *work.overdue[:OVERDUE_SHOWN],
                *work.review[:REVIEW_SHOWN],
            ]
        ]
        audit.log(
            session,
            actor,
            AuditAction.VIEW_START,
            Entity.HOUSEHOLD,
            list(dict.fromkeys(shown)),
            urgent=len(work.urgent),
            planned=len(work.planned),
            overdue=len(work.overdue),
            review=len(work.review),
        )
    editing.show_flash()
    search_box(actor)
    st.subheader("要対応の世帯（担当地区）")
    left, right = st.columns(2)
    if left.button("気がかりな世帯を新しく登録する", key="start-new"):
        go("edit", household="new")
    if right.button("地図を開く", key="start-map"):
        go("map")
    _pending_proposals(actor)
    _urgent(actor, work)
    _planned(actor, work)
    _overdue(actor, work)
    _review(actor, work)


def _urgent(actor: Actor, work: StartPage) -> None:
    st.markdown(f"#### 緊急のサインがあり訪問で確認されていない世帯（{len(work.urgent)}）")
    st.caption(f"{URGENT_SIGNS_TEXT}の記録のあと、訪問の記録がない世帯です。古い順。")
    if not work.urgent:
        st.success("いま緊急のサインが残っている世帯はありません。")
    for item in work.urgent:
        signs = "、".join(label(WARNING_SIGNS, s) for s in item.signs)
        who = f"（報告：{markdown_text(item.reported_by)}）" if item.reported_by else ""
        _row(
            actor,
            item,
            f"{item.since:%Y-%m-%d} から（{item.days} 日）: :red[{markdown_text(signs)}]{who}",
            "urgent",
        )


def _planned(actor: Actor, work: StartPage) -> None:
    st.markdown(f"#### 次回の訪問予定日を過ぎた世帯（{len(work.planned)}）")
    if not work.planned:
        st.success("予定日を過ぎた世帯はありません。")
    for item in work.planned:
        _row(actor, item, f"予定日 {item.since:%Y-%m-%d}（{item.days} 日経過）", "planned")


def _overdue(actor: Actor, work: StartPage) -> None:
    rule = follow_up_rule()
    st.markdown(f"#### 記録された見守りが途絶えている世帯（{len(work.overdue)}）")
    st.caption(
        "記録する関わり方（民生委員の訪問など）の頻度より長く、記録がない世帯です。"
        f"記録する関わり方がない世帯は {rule.no_interval_days} 日で数えます"
        "（カバー状況の「連絡が途絶えている」と同じ基準）。古い順。"
    )
    if not work.overdue:
        st.success("記録が途絶えている世帯はありません。")
    for item in work.overdue[:OVERDUE_SHOWN]:
        freq = (
            f"取り決め {label(FREQUENCIES, item.frequency)}"
            if item.frequency
            else f"基準 {rule.no_interval_days} 日"
        )
        when = (
            "記録なし"
            if item.since is None
            else f"最後の記録 {item.since:%Y-%m-%d}（{item.days} 日前）"
        )
        _row(actor, item, f"{when}・{freq}", "overdue")
    if len(work.overdue) > OVERDUE_SHOWN:
        st.caption(
            f"ほか {len(work.overdue) - OVERDUE_SHOWN} 世帯（古い順に {OVERDUE_SHOWN} 世帯を表示）"
        )


def _review(actor: Actor, work: StartPage) -> None:
    months = follow_up_rule().review_months
    st.markdown(f"#### 見直し時期の世帯（{len(work.review)}）")
    st.caption(f"{months} か月以上、記録の見直しをしていない世帯です。")
    if not work.review:
        st.success("見直し時期の世帯はありません。")
    for item in work.review[:REVIEW_SHOWN]:
        _row(actor, item, f"見直し時期（前回 {item.since:%Y-%m-%d}）", "review")
    if len(work.review) > REVIEW_SHOWN:
        st.caption(
            f"ほか {len(work.review) - REVIEW_SHOWN} 世帯（古い順に {REVIEW_SHOWN} 世帯を表示）"
        )


@st.dialog("見守りを記録", width="large")
def _log_dialog(actor: Actor, household_id: int) -> None:
    """The record page's 「見守りを記録」 form, opened from a 要対応 row."""
    try:
        with db.transaction(db.get_engine()) as session:
            record = access.watch_record(session, actor, household_id)
    except access.AccessDenied as denied:
        st.error(markdown_text(denied.message))
        return
    names = "・".join(r.name for r in record.residents if r.name)
    st.markdown(markdown_text(f"世帯番号 {record.shown_number} {names}"))
    watchers = [(w.watcher_id, w.name) for w in record.watchers]
    visit_form(actor, household_id, watchers, key="start")


def _row(actor: Actor, item: WorkItem, text: str, kind: str) -> None:
    col1, col2, col3 = st.columns([5, 1, 1])
    name = markdown_text(item.label) or "（氏名未登録）"
    who = f"・担当 {markdown_text(item.assignee_name)}" if item.assignee_name else ""
    col1.markdown(
        f"**No.{item.shown_number} {name}**（{markdown_text(item.district_name)}{who}）  \n{text}"
    )
    if col2.button("見守りを記録", key=f"log-{kind}-{item.household_id}", type="primary"):
        _log_dialog(actor, item.household_id)
    if col3.button("記録を開く", key=f"open-{kind}-{item.household_id}"):
        go("record", household=str(item.household_id))
