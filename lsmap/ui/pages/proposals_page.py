"""会議からの提案: a 福祉連絡会 proposes (a new 気がかりな世帯, a watcher, 見直し済み,
「変わりなし」 for a whole 町内); district staff confirm them into records or decline them on
the 確認待ち list (:func:`pending_section`, which the start page may call too)."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from lsmap import access
from lsmap.access import Actor, ProposalView
from lsmap.access.views import DistrictInfo
from lsmap.escape import markdown_text
from lsmap.records import meeting_work
from lsmap.settings import LOCAL_TZ
from lsmap.storage import db
from lsmap.ui import editing
from lsmap.ui.context import require_actor
from lsmap.ui.meeting_forms import choose_area, login_session_id
from lsmap.ui.placement_map import click_point
from lsmap.ui.sidebar import user_box
from lsmap.vocab import (
    FREQUENCIES,
    HOUSEHOLD_TYPES,
    INVOLVEMENTS,
    PROPOSAL_KINDS,
    PROPOSAL_STATUSES,
    WATCHER_ROLES,
    label,
)

TOWN_LEVELS = ("neighbourhood",)


def render() -> None:
    """Propose (meetings), confirm (staff), and the proposals of the actor's districts."""
    actor = require_actor()
    user_box(actor)
    editing.show_flash()
    st.subheader("会議からの提案")
    if access.may_propose(actor):
        propose_section(actor)
    if access.may_confirm_proposals(actor):
        pending_section(actor)
    history_section(actor)


# ---------------------------------------------------------------- proposing


def propose_section(actor: Actor) -> None:
    """The meeting's forms: one tab per kind of proposal, for one 町内."""
    st.caption(
        "提案は記録ではありません。地区担当職員が確認してから記録になります。"
        "氏名は書かなくてかまいません。"
    )
    town = choose_area(actor, "町内", "prop-town", levels=TOWN_LEVELS)
    if town is None:
        return
    tabs = st.tabs([PROPOSAL_KINDS[k] for k in PROPOSAL_KINDS])
    with tabs[0]:
        _household_form(actor, town)
    with tabs[1]:
        _watcher_form(actor, town)
    with tabs[2]:
        _review_form(actor, town)
    with tabs[3]:
        _no_change_form(actor, town)


def _send(actor: Actor, kind: str, values: dict[str, Any]) -> None:
    sent = editing.attempt(
        lambda: meeting_work.propose(
            db.get_engine(), actor, kind, values, session_id=login_session_id()
        )
    )
    if sent is not None:
        editing.flash(f"提案しました（提案番号 {sent}）。地区担当職員の確認を待ちます。")
        st.rerun()


def _household_form(actor: Actor, town: DistrictInfo) -> None:
    st.markdown("住所を書くか、地図をクリックして場所を示してください。")
    key = f"prop-point-{town.id}"
    clicked = click_point(town.id, st.session_state.get(key), key=f"prop-map-{town.id}")
    if clicked is not None:
        st.session_state[key] = clicked
    point = st.session_state.get(key)
    if point is not None:
        st.caption(f"指定した場所: 緯度 {point[1]:.5f}、経度 {point[0]:.5f}")
    address = st.text_input("住所（わかれば）", key=f"prop-address-{town.id}")
    worry = st.text_area("気がかりなこと", key=f"prop-worry-{town.id}")
    kind = st.selectbox(
        "世帯の状況（わかれば）",
        ["", *HOUSEHOLD_TYPES],
        key=f"prop-type-{town.id}",
        format_func=lambda c: label(HOUSEHOLD_TYPES, c) if c else "わからない",
    )
    if st.button("この世帯を提案する", key=f"prop-send-h-{town.id}", type="primary"):
        values = {
            "district_id": town.id,
            "address": address,
            "concerns": worry,
            "household_type": kind,
            "lon": point[0] if point else None,
            "lat": point[1] if point else None,
        }
        _send(actor, "household", values)


def _households(actor: Actor, town: DistrictInfo) -> dict[int, str]:
    """世帯番号 -> its label (with the number on the map of this 町内)."""
    with db.transaction(db.get_engine()) as session:
        points = access.household_points(session, actor, access.area_for(session, town.id))
    return {p.id: f"世帯番号 {p.id}（地図の番号 {p.number}）" for p in points}


def _pick_household(actor: Actor, town: DistrictInfo, key: str) -> int | None:
    options = _households(actor, town)
    return st.selectbox(
        "世帯",
        list(options),
        index=None,
        key=key,
        placeholder="世帯番号を選ぶ",
        format_func=lambda h: options[h],
    )


def _watcher_form(actor: Actor, town: DistrictInfo) -> None:
    household = _pick_household(actor, town, f"prop-w-house-{town.id}")
    present = st.radio(
        "見守る人",
        ["new", "present"],
        key=f"prop-w-who-{town.id}",
        horizontal=True,
        format_func=lambda c: (
            "新しい近所の方など（氏名は不要）" if c == "new" else "登録済みの見守り者（出席者）"
        ),
    )
    values: dict[str, Any] = {"household_id": household}
    if present == "present":
        with db.transaction(db.get_engine()) as session:
            watchers = access.watcher_points(session, actor, access.area_for(session, town.id))
        names = {w.id: f"{w.name}（{label(WATCHER_ROLES, w.role)}）" for w in watchers}
        values["watcher_id"] = st.selectbox(
            "見守り者",
            list(names),
            index=None,
            key=f"prop-w-id-{town.id}",
            placeholder="出席している見守り者を選ぶ",
            format_func=lambda i: names[i],
        )
    values["watcher_role"] = st.selectbox(
        "役割",
        list(WATCHER_ROLES),
        index=2,
        key=f"prop-w-role-{town.id}",
        format_func=lambda c: label(WATCHER_ROLES, c),
    )
    values["relation"] = st.text_input("関係（例: 向かいの家の方）", key=f"prop-w-rel-{town.id}")
    values["involvement"] = st.selectbox(
        "関わり方",
        list(INVOLVEMENTS),
        key=f"prop-w-inv-{town.id}",
        format_func=lambda c: label(INVOLVEMENTS, c),
    )
    values["frequency"] = st.selectbox(
        "頻度",
        list(FREQUENCIES),
        key=f"prop-w-freq-{town.id}",
        format_func=lambda c: label(FREQUENCIES, c),
    )
    if st.button("見守り者を提案する", key=f"prop-send-w-{town.id}", type="primary"):
        if household is None:
            st.error("世帯を選んでください")
        else:
            _send(actor, "watcher", values)


def _review_form(actor: Actor, town: DistrictInfo) -> None:
    household = _pick_household(actor, town, f"prop-r-house-{town.id}")
    note = st.text_input("ひとこと（200字まで）", key=f"prop-r-note-{town.id}", max_chars=200)
    if st.button("見直し済みとして提案する", key=f"prop-send-r-{town.id}", type="primary"):
        if household is None:
            st.error("世帯を選んでください")
        else:
            _send(actor, "reviewed", {"household_id": household, "note": note})


def _no_change_form(actor: Actor, town: DistrictInfo) -> None:
    st.markdown(f"{markdown_text(town.name)} の世帯すべてについて「変わりなし」と記録します。")
    note = st.text_input("ひとこと（任意）", key=f"prop-n-note-{town.id}", max_chars=200)
    if st.button("「変わりなし」を提案する", key=f"prop-send-n-{town.id}", type="primary"):
        _send(actor, "no_change", {"district_id": town.id, "note": note})


# ---------------------------------------------------------------- confirming


def pending_section(actor: Actor) -> None:
    """The 確認待ち list of staff: each proposal with confirm and decline."""
    st.markdown("#### 確認待ち")
    with db.transaction(db.get_engine()) as session:
        pending = access.proposals(session, actor, status="pending")
    if not pending:
        st.caption("確認待ちの提案はありません")
        return
    st.caption(f"{len(pending)} 件の提案が確認を待っています")
    for proposal in pending:
        title = (
            f"提案 {proposal.id}: {PROPOSAL_KINDS.get(proposal.kind, proposal.kind)}"
            f" — {proposal.district_name}（{_day(proposal)}）"
        )
        with st.expander(markdown_text(title)):
            _pending_one(actor, proposal)


def _day(proposal: ProposalView) -> str:
    day = proposal.proposed_at.astimezone(LOCAL_TZ).date()
    return f"{day.year}年{day.month}月{day.day}日"


def _facts(proposal: ProposalView) -> dict[str, str]:
    facts = {"提案者": proposal.proposed_by, "町内": proposal.district_name}
    if proposal.household_id is not None:
        facts["世帯番号"] = str(proposal.household_id)
    if proposal.kind == "household":
        facts["住所"] = proposal.address or "（未記入）"
        located = proposal.lat is not None and proposal.lon is not None
        facts["場所"] = (
            f"緯度 {proposal.lat:.5f}、経度 {proposal.lon:.5f}"
            if located
            else "地図での指定なし（町丁目の代表点に置きます）"
        )
        facts["気がかりなこと"] = proposal.concerns
    elif proposal.kind == "watcher":
        who = f"登録済みの見守り者 {proposal.watcher_id}" if proposal.watcher_id else "新しい方"
        facts["見守る人"] = who
        facts["役割"] = label(WATCHER_ROLES, proposal.watcher_role)
        facts["関係"] = proposal.relation
        facts["関わり方・頻度"] = (
            f"{label(INVOLVEMENTS, proposal.involvement)}・{label(FREQUENCIES, proposal.frequency)}"
        )
    else:
        facts["ひとこと"] = proposal.concerns
    return facts


def _pending_one(actor: Actor, proposal: ProposalView) -> None:
    facts = _facts(proposal)
    st.dataframe(
        pd.DataFrame({"項目": list(facts), "内容": list(facts.values())}),
        hide_index=True,
        use_container_width=True,
    )
    key = f"pend-{proposal.id}-{proposal.version}"
    extra = _completion(actor, proposal, key)
    col1, col2 = st.columns(2)
    ok = col1.button("確認して記録にする", key=key + "-ok", type="primary")
    if ok and editing.attempt(lambda: _confirm(actor, proposal, extra)) is not None:
        editing.flash(f"提案 {proposal.id} を確認し、記録にしました")
        st.rerun()
    reason = col2.text_input("見送る理由", key=key + "-reason")
    no = col2.button("見送る", key=key + "-no")
    if no and editing.attempt(lambda: _reject(actor, proposal, reason)) is not None:
        editing.flash(f"提案 {proposal.id} を見送りました")
        st.rerun()


def _confirm(actor: Actor, proposal: ProposalView, extra: dict[str, Any]) -> bool:
    meeting_work.confirm(
        db.get_engine(),
        actor,
        proposal.id,
        proposal.version,
        extra,
        session_id=login_session_id(),
    )
    return True


def _reject(actor: Actor, proposal: ProposalView, reason: str) -> bool:
    meeting_work.reject(
        db.get_engine(),
        actor,
        proposal.id,
        proposal.version,
        reason,
        session_id=login_session_id(),
    )
    return True


def _completion(actor: Actor, proposal: ProposalView, key: str) -> dict[str, Any]:
    """What staff add on confirming: the household's type, or who the watcher is."""
    if proposal.kind == "household":
        types = list(HOUSEHOLD_TYPES)
        start = types.index(proposal.household_type) if proposal.household_type in types else None
        chosen = st.selectbox(
            "世帯の状況",
            types,
            index=start,
            key=key + "-type",
            placeholder="選んでください（会議では未記入）",
            format_func=lambda c: label(HOUSEHOLD_TYPES, c),
        )
        return {"household_type": chosen}
    if proposal.kind == "watcher" and proposal.watcher_id is None:
        with db.transaction(db.get_engine()) as session:
            known = access.watchers_with_load(session, actor)
        names = {w["id"]: f"{w['name']}（{label(WATCHER_ROLES, w['role'])}）" for w in known}
        watcher = st.selectbox(
            "登録済みの見守り者から選ぶ",
            list(names),
            index=None,
            key=key + "-watcher",
            placeholder="選ばないときは下に新しい方の氏名を入力",
            format_func=lambda i: names[i],
        )
        name = st.text_input("新しい見守り者の氏名", key=key + "-name")
        phone = st.text_input("電話（任意）", key=key + "-phone")
        return {"watcher_id": watcher, "watcher_name": name, "watcher_phone": phone}
    return {}


# ---------------------------------------------------------------- every proposal


def history_section(actor: Actor) -> None:
    """Every proposal of the actor's districts with its state."""
    st.markdown("#### 提案の一覧")
    with db.transaction(db.get_engine()) as session:
        found = access.proposals(session, actor)
    if not found:
        st.caption("まだ提案はありません")
        return
    st.dataframe(
        pd.DataFrame(
            {
                "提案番号": [p.id for p in found],
                "種類": [PROPOSAL_KINDS.get(p.kind, p.kind) for p in found],
                "町内": [p.district_name for p in found],
                "世帯番号": [p.household_id or p.result_id or "" for p in found],
                "状況": [PROPOSAL_STATUSES.get(p.status, p.status) for p in found],
                "提案日": [_day(p) for p in found],
                "提案者": [p.proposed_by for p in found],
                "見送りの理由": [p.reject_reason for p in found],
            }
        ),
        hide_index=True,
        use_container_width=True,
    )
