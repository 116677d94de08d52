"""A household's 課題 on the record edit page (choose several, plus free text) and on the
record page (read-only), and the 緊急連絡カード's health and care lines."""

from __future__ import annotations

import streamlit as st

from lsmap.access import Actor
from lsmap.access.card import CARD_FIELDS, CARD_LABELS, card_facts
from lsmap.access.issues import HouseholdIssues, household_issues
from lsmap.escape import markdown_text
from lsmap.records.issues import MAX_CARD_TEXT, MAX_NOTE, set_card_facts, set_issues
from lsmap.storage import db
from lsmap.ui import editing
from lsmap.vocab import HOUSEHOLD_ISSUES


def issues_section(actor: Actor, household_id: int) -> None:
    """The 課題 form of one household (edit page)."""
    with db.transaction(db.get_engine()) as session:
        current = household_issues(session, actor, household_id)
    if current is None:  # an editor always sees them; kept for safety
        st.info("この世帯の課題は表示できません。")
        return
    p = f"issues-{household_id}-{current.version}-"
    with st.form(p + "form"):
        chosen = st.multiselect(
            "課題（複数選べます）",
            list(HOUSEHOLD_ISSUES),
            default=list(current.issues),
            format_func=lambda code: HOUSEHOLD_ISSUES[code],
            key=p + "codes",
            placeholder="課題を選んでください",
        )
        note = st.text_area(
            "課題の補足",
            value=current.note,
            max_chars=MAX_NOTE,
            key=p + "note",
            help="選択肢にないことや具体的な様子（例: 日中独居、長男と同居だが不在がち）",
        )
        submitted = st.form_submit_button("課題を保存", type="primary")
    if submitted and editing.attempt(
        lambda: set_issues(
            db.get_engine(), actor, household_id, chosen, note, version=current.version
        )
    ):
        editing.forget("household", household_id)  # the household's version moved
        editing.flash("課題を保存しました")
        st.rerun()


def issues_view(issues: HouseholdIssues | None) -> None:
    """The 課題 block of the record page (nothing when the reader may not see them)."""
    if issues is None:
        return
    st.markdown("#### 課題")
    if not issues.issues and not issues.note:
        st.caption("課題は登録されていません。")
        return
    if issues.issues:
        st.markdown("**" + "・".join(issues.labels) + "**")
    if issues.note:
        st.markdown(markdown_text(issues.note))


def card_facts_section(actor: Actor, household_id: int) -> None:
    """持病, 服薬 and 介護サービス・ケアマネ of the 緊急連絡カード (edit page)."""
    with db.transaction(db.get_engine()) as session:
        facts = card_facts(session, actor, household_id)
    if facts is None:
        return
    st.markdown("##### カードに載せる健康と介護のこと")
    p = f"card-{household_id}-{facts.version}-"
    with st.form(p + "form"):
        values = {
            name: st.text_area(
                CARD_LABELS[name],
                value=getattr(facts, name),
                max_chars=MAX_CARD_TEXT,
                height=68,
                key=p + name,
            )
            for name in CARD_FIELDS
        }
        submitted = st.form_submit_button("カードの内容を保存")
    st.caption(
        "かかりつけ医・家族・ケアマネジャー・地域包括支援センターは、上の「緊急連絡先」に"
        "関係を選んで登録すると、カードのそれぞれの欄に載ります。"
    )
    if submitted and editing.attempt(
        lambda: set_card_facts(db.get_engine(), actor, household_id, values, version=facts.version)
    ):
        editing.forget("household", household_id)  # the household's version moved
        editing.flash("カードの内容を保存しました")
        st.rerun()
