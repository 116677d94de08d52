"""The top of the record page (issue 12): the number, why the household is urgent, the
follow-up plan, 「見守りを記録」 and the contact history. Kept apart from the record's
lower sections (residents, watchers, card) so that each can grow on its own."""

from __future__ import annotations

from datetime import date

import streamlit as st

from lsmap import access
from lsmap.access import Actor
from lsmap.access.views import WatchRecord
from lsmap.escape import markdown_text
from lsmap.records import follow_up, urgency
from lsmap.settings import follow_up_rule
from lsmap.storage import db
from lsmap.ui import editing
from lsmap.ui.visit_log import history_section, visit_form
from lsmap.vocab import WARNING_SIGNS, label


def urgent_reason(facts: access.ContactFacts, today: date) -> str | None:
    """Why the household is urgent (Japanese), or None."""
    found = urgency.urgent_since(facts)
    if found is None:
        return None
    since, signs = found
    names = "、".join(f"「{label(WARNING_SIGNS, s)}」" for s in signs)
    return (
        f"緊急: {since:%Y-%m-%d}（{(today - since).days} 日前）に{names}と記録されています。"
        "そのあとの訪問の記録はありません。訪問で無事を確かめたら「訪問」で記録してください。"
    )


def _notices(facts: access.ContactFacts, today: date) -> list[str]:
    """The other 要対応 reasons of this household (past plan, lapsed, review)."""
    rule = follow_up_rule()
    found = []
    if urgency.planned_past(facts, today) and facts.next_visit_on is not None:
        found.append(f"次回の訪問予定日（{facts.next_visit_on:%Y-%m-%d}）を過ぎています。")
    late = urgency.overdue_since(facts, today, rule)
    if late is not None:
        last = "記録がありません" if late[0] is None else f"最後の記録は {late[0]:%Y-%m-%d}"
        found.append(f"記録された見守りが途絶えています（{last}）。")
    start = urgency.review_from(facts)
    if rule.review_due(start, today) and start is not None:
        found.append(f"見直し時期です（前回 {start:%Y-%m-%d}）。")
    return found


def _banners(actor: Actor, household_id: int) -> None:
    today = date.today()
    with db.transaction(db.get_engine()) as session:
        facts = access.contact_facts(session, actor, household_id)
    if not facts:
        return
    reason = urgent_reason(facts[0], today)
    if reason is not None:
        st.error(markdown_text(reason))
    for notice in _notices(facts[0], today):
        st.warning(markdown_text(notice))


def _plan(actor: Actor, record: WatchRecord) -> None:
    """The plan line and its small form (次回の訪問予定日, 担当, 見直し)."""
    with db.transaction(db.get_engine()) as session:
        plan = access.follow_up_plan(session, actor, record.household_id)
    names = dict(plan.assignable)
    shown = [
        f"次回の訪問予定日: {plan.next_visit_on:%Y-%m-%d}"
        if plan.next_visit_on
        else "次回の訪問予定日: 未定",
        f"担当: {names.get(plan.assignee_id, '未定') if plan.assignee_id else '未定'}",
        f"前回の見直し: {plan.reviewed_on:%Y-%m-%d}"
        if plan.reviewed_on
        else "前回の見直し: 記録なし",
    ]
    st.markdown(markdown_text("｜".join(shown)))
    with st.expander("予定・担当・見直しを変更する"):
        _plan_form(actor, plan, names)


def _plan_form(actor: Actor, plan: access.FollowUpPlan, names: dict[int, str]) -> None:
    p = f"plan-{plan.household_id}-{plan.version}-"
    with st.form(p + "form", border=False):
        planned = st.date_input(
            "次回の訪問予定日", value=plan.next_visit_on, format="YYYY/MM/DD", key=p + "next"
        )
        options: list[int | None] = [None, *names]
        assignee = st.selectbox(
            "担当",
            options,
            index=options.index(plan.assignee_id) if plan.assignee_id in options else 0,
            format_func=lambda u: "未定" if u is None else names[u],
            key=p + "who",
        )
        reviewed = st.checkbox("今日、見直しをした", key=p + "reviewed")
        if st.form_submit_button("予定を保存する"):
            values = {"next_visit_on": planned or None, "assignee_id": assignee}
            if reviewed:
                values["reviewed_on"] = date.today()
            saved = editing.attempt(
                lambda: follow_up.save_plan(
                    db.get_engine(), actor, plan.household_id, values, version=plan.version
                )
            )
            if saved is not None:
                editing.flash("予定を保存しました")
                st.rerun()


def record_top(actor: Actor, record: WatchRecord) -> None:
    """Number, urgent banner, plan, 「見守りを記録」 and the history, in that order."""
    editing.show_flash()
    st.subheader(f"見守りネットワーク記録 — 世帯番号 {record.shown_number}")
    keeps_records = access.sees_full_records(actor)
    if keeps_records:
        _banners(actor, record.household_id)
        _plan(actor, record)
        with st.container(border=True):
            st.markdown("##### 見守りを記録")
            visit_form(
                actor,
                record.household_id,
                [(w.watcher_id, w.name) for w in record.watchers],
                key="record",
            )
    if not record.details_withheld:
        history_section(actor, record.household_id)
