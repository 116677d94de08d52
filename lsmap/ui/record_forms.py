"""The parts of a household's record on the editing page: residents, watchers, contacts,
emergency card and history. Each form is filled from a remembered snapshot (see
:mod:`lsmap.ui.editing`), so a stale save is refused and the input is kept."""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
import streamlit as st

from lsmap import access, records
from lsmap.access import Actor
from lsmap.escape import markdown_text
from lsmap.records import history
from lsmap.settings import local_time
from lsmap.storage import db
from lsmap.ui import editing
from lsmap.ui.labels import label_for
from lsmap.ui.widget_text import DATE_FORMAT
from lsmap.vocab import (
    CONSENT_STATUSES,
    CONTACT_METHODS,
    EMERGENCY_RELATIONS,
    FREQUENCIES,
    INVOLVEMENTS,
    URGENT_SIGNS_TEXT,
    WARNING_SIGNS,
    WATCHER_ROLES,
    label,
)

FREQUENCY_LABELS = {code: text for code, (text, _days) in FREQUENCIES.items()}


def _index(options: list[str], value: Any) -> int:
    return options.index(value) if value in options else 0


def _tags(text: str) -> list[str]:
    return [t.strip() for t in text.replace(",", "、").replace("，", "、").split("、") if t.strip()]


# ---------------------------------------------------------------- residents


def _resident_inputs(actor: Actor, p: str, loaded: dict[str, Any]) -> dict[str, Any]:
    col1, col2, col3 = st.columns([2, 2, 1])
    values: dict[str, Any] = {
        "name": col1.text_input("氏名", value=loaded.get("name", ""), key=p + "name"),
        "furigana": col2.text_input(
            "ふりがな", value=loaded.get("furigana", ""), key=p + "furigana"
        ),
        "birth_year": col3.text_input(
            "生年（西暦）",
            value="" if loaded.get("birth_year") is None else str(loaded["birth_year"]),
            key=p + "birth_year",
        ),
    }
    values["phone"] = st.text_input(
        "電話番号",
        value=loaded.get("phone", ""),
        key=p + "phone",
        placeholder="例 046-123-4567、090-1234-5678",
    )
    values["concern_tags"] = _tags(
        st.text_input(
            "気になるところ（タグ、「、」区切り）",
            value="、".join(loaded.get("concern_tags", [])),
            key=p + "concern_tags",
            placeholder="例 物忘れ、足腰が弱い",
        )
    )
    values["concerns"] = st.text_area(
        "気になるところ（自由記述）", value=loaded.get("concerns", ""), key=p + "concerns"
    )
    statuses = list(CONSENT_STATUSES)
    col1, col2, col3 = st.columns(3)
    values["consent_status"] = col1.selectbox(
        "同意の状況",
        statuses,
        format_func=label_for(CONSENT_STATUSES),
        index=_index(statuses, loaded.get("consent_status", "unanswered")),
        key=p + "consent_status",
    )
    values["consent_date"] = col2.date_input(
        "同意の確認日", value=loaded.get("consent_date"), key=p + "consent_date", format=DATE_FORMAT
    )
    values["consent_recorded_by"] = col3.text_input(
        "同意の記録者",
        value=loaded.get("consent_recorded_by") or actor.display_name,
        key=p + "consent_recorded_by",
    )
    values["consent_basis"] = st.text_input(
        "同意の根拠（書面・口頭など）",
        value=loaded.get("consent_basis", ""),
        key=p + "consent_basis",
    )
    return values


def residents_section(actor: Actor, household_id: int, residents: list[dict[str, Any]]) -> None:
    """Edit, delete and add the residents (気がかりな人)."""
    for fresh in residents:
        loaded = editing.snapshot(actor, "resident", fresh["id"], fresh)
        consent = label(CONSENT_STATUSES, loaded["consent_status"])
        with st.expander(f"{markdown_text(loaded['name'])}（{consent}）"):
            p = editing.widget_prefix("resident", fresh["id"])
            values = _resident_inputs(actor, p, loaded)
            saved = st.button("保存", key=p + "save", type="primary") and editing.save(
                actor, "resident", fresh["id"], values, loaded, "気がかりな人を保存しました"
            )
            what = (
                f"「{markdown_text(loaded['name'])}」を削除します。地図・名簿・印刷から消えます"
                "（「削除した記録」から元に戻せます）。"
            )
            removed = editing.confirmed(p + "delete", "この方を削除", what) and editing.remove(
                actor,
                "resident",
                fresh["id"],
                loaded,
                "削除しました（「削除した記録」から戻せます）",
            )
            if saved or removed:
                st.rerun()
    st.markdown("##### 気がかりな人を追加")
    p = editing.widget_prefix("resident", f"new{household_id}")
    values = _resident_inputs(actor, p, {})
    if st.button("追加する", key=p + "create", type="primary"):
        new_id = editing.attempt(
            lambda: records.add_resident(db.get_engine(), actor, household_id, values)
        )
        if new_id is not None:
            _clear(p)
            editing.flash("気がかりな人を追加しました")
            st.rerun()


def _clear(prefix: str) -> None:
    for key in [k for k in st.session_state if isinstance(k, str) and k.startswith(prefix)]:
        del st.session_state[key]


# ---------------------------------------------------------------- watchers and links


def _watcher_choices(actor: Actor) -> dict[int, str]:
    with db.transaction(db.get_engine()) as session:
        watchers = access.watchers_with_load(session, actor)
    return {
        w["id"]: (
            f"{w['name']}（{label(WATCHER_ROLES, w['role'])}・{w['district_name']}"
            f"・担当 {w['load']} 世帯）"
        )
        for w in watchers
    }


def links_section(actor: Actor, household_id: int, links: list[dict[str, Any]]) -> None:
    """The watchers of this household with their involvement and frequency; link another."""
    choices = _watcher_choices(actor)
    if not links:
        st.warning("この世帯には見守り者がいません。")
    for fresh in links:
        _link_row(actor, fresh, choices)
    st.markdown("##### 見守り者を結びつける")
    if not choices:
        st.info("担当地区に見守り者が登録されていません。「見守り者」のページで登録してください。")
        return
    _new_link_form(actor, household_id, choices)


def _link_row(actor: Actor, fresh: dict[str, Any], choices: dict[int, str]) -> None:
    """One linked watcher: who and how, the frequency to change, and removing the link."""
    loaded = editing.snapshot(actor, "watch_link", fresh["id"], fresh)
    p = editing.widget_prefix("watch_link", fresh["id"])
    who = choices.get(loaded["watcher_id"], f"見守り者 No.{loaded['watcher_id']}")
    st.markdown(
        f"**{markdown_text(who)}** — {markdown_text(label(INVOLVEMENTS, loaded['involvement']))}"
    )
    col1, col2, col3 = st.columns([2, 1, 1])
    frequencies = list(FREQUENCIES)
    frequency = col1.selectbox(
        "頻度",
        frequencies,
        format_func=label_for(FREQUENCY_LABELS),
        index=_index(frequencies, loaded["frequency"]),
        key=p + "frequency",
    )
    logged = col1.checkbox(  # issue 12: only logged links set the expected interval
        "この見守りの連絡を記録する（記録の間隔に数える）",
        value=bool(loaded.get("logged")),
        key=p + "logged",
    )
    agreed = col1.checkbox(  # issue 13: the watcher's phone shows the name without 同意
        "本人の了解を得て、この見守り者に氏名を伝えている（わたしの見守りに氏名を表示）",
        value=bool(loaded.get("agreed")),
        key=p + "agreed",
    )
    saved = col2.button("保存", key=p + "save") and editing.save(
        actor,
        "watch_link",
        fresh["id"],
        {"frequency": frequency, "logged": logged, "agreed": agreed},
        loaded,
        "頻度を保存しました",
    )
    with col3:
        what = (
            f"「{markdown_text(who)}」をこの世帯の見守りから外します。地図の線が消え、"
            "見守り者の数が減ります（元に戻せます）。見守り者の登録は残ります。"
        )
        removed = editing.confirmed(p + "delete", "外す", what) and editing.remove(
            actor, "watch_link", fresh["id"], loaded, "見守り者を外しました（元に戻せます）"
        )
    if saved or removed:
        st.rerun()


def _new_link_form(actor: Actor, household_id: int, choices: dict[int, str]) -> None:
    """The form that links another watcher to the household."""
    p = f"link-new-{household_id}-"
    with st.form(p + "form"):
        watcher_id = st.selectbox(
            "見守り者",
            list(choices),
            format_func=label_for(choices),
            index=None,
            placeholder="名前で検索して選ぶ",
            key=p + "watcher",
        )
        col1, col2 = st.columns(2)
        involvement = col1.selectbox(
            "関わり方", list(INVOLVEMENTS), format_func=label_for(INVOLVEMENTS), key=p + "inv"
        )
        frequency = col2.selectbox(
            "頻度",
            list(FREQUENCIES),
            format_func=label_for(FREQUENCY_LABELS),
            index=list(FREQUENCIES).index("weekly"),
            key=p + "freq",
        )
        note = st.text_input("メモ", key=p + "note")
        submitted = st.form_submit_button("結びつける", type="primary")
    if submitted:
        new_id = editing.attempt(
            lambda: records.create(
                db.get_engine(),
                actor,
                "watch_link",
                {
                    "household_id": household_id,
                    "watcher_id": watcher_id,
                    "involvement": involvement,
                    "frequency": frequency,
                    "note": note,
                },
            )
        )
        if new_id is not None:
            editing.flash("見守り者を結びつけました")
            st.rerun()


# ---------------------------------------------------------------- contact log


def contacts_section(
    actor: Actor, household_id: int, contacts: list[dict[str, Any]], links: list[dict[str, Any]]
) -> None:
    """Record a visit, call or observation with the warning-sign checklist; list recent ones."""
    choices = _watcher_choices(actor)
    linked = [lk["watcher_id"] for lk in links if lk["watcher_id"] in choices]
    options: list[int | None] = [
        None,
        *dict.fromkeys(linked),
        *[w for w in choices if w not in linked],
    ]
    p = f"contact-new-{household_id}-"
    with st.form(p + "form", clear_on_submit=False):
        col1, col2, col3 = st.columns(3)
        contacted_on = col1.date_input("日付", value=date.today(), key=p + "on", format=DATE_FORMAT)
        method = col2.selectbox(
            "方法", list(CONTACT_METHODS), format_func=label_for(CONTACT_METHODS), key=p + "method"
        )
        watcher_id = col3.selectbox(
            "対応した人",
            options,
            key=p + "watcher",
            format_func=lambda w: "職員（記録者本人）" if w is None else choices.get(w, str(w)),
        )
        observation = st.text_area("様子", key=p + "observation")
        st.markdown(f"**気づき**（{URGENT_SIGNS_TEXT}は訪問で確認するまで要対応になります）")
        columns = st.columns(3)
        signs = [
            code
            for i, (code, text) in enumerate(WARNING_SIGNS.items())
            if columns[i % 3].checkbox(text, key=p + "sign-" + code)
        ]
        submitted = st.form_submit_button("記録する", type="primary")
    if submitted:
        values = {
            "contacted_on": contacted_on,
            "method": method,
            "watcher_id": watcher_id,
            "observation": observation,
            "signs": signs,
        }
        new_id = editing.attempt(
            lambda: records.record_contact(db.get_engine(), actor, household_id, values)
        )
        if new_id is not None:
            _clear(p)
            editing.flash("見守り活動を記録しました")
            st.rerun()
    st.markdown("##### 最近の記録")
    _recent_contacts(actor, contacts)


def _recent_contacts(actor: Actor, contacts: list[dict[str, Any]]) -> None:
    """The 20 newest contacts, their warning signs in red, each with a delete button."""
    if not contacts:
        st.info("見守り活動の記録はまだありません。")
    for fresh in contacts[:20]:
        signs_text = "、".join(label(WARNING_SIGNS, s) for s in fresh["signs"])
        col1, col2 = st.columns([5, 1])
        col1.markdown(
            f"{fresh['contacted_on']:%Y/%m/%d} "
            f"{markdown_text(label(CONTACT_METHODS, fresh['method']))} "
            f"— {markdown_text(fresh['observation'])}"
            + (f"  \n:red[**サイン**: {markdown_text(signs_text)}]" if signs_text else "")
        )
        if col2.button("削除", key=f"contact-delete-{fresh['id']}"):
            loaded = editing.snapshot(actor, "contact_log", fresh["id"], fresh)
            if editing.remove(
                actor, "contact_log", fresh["id"], loaded, "記録を削除しました（元に戻せます）"
            ):
                st.rerun()


# ---------------------------------------------------------------- emergency card


def _emergency_inputs(p: str, loaded: dict[str, Any]) -> dict[str, Any]:
    relations = list(EMERGENCY_RELATIONS)
    col1, col2, col3 = st.columns(3)
    return {
        "name": col1.text_input("氏名・機関名", value=loaded.get("name", ""), key=p + "name"),
        "relation": col2.selectbox(
            "関係",
            relations,
            format_func=label_for(EMERGENCY_RELATIONS),
            index=_index(relations, loaded.get("relation")),
            key=p + "relation",
        ),
        "phone": col3.text_input("電話番号", value=loaded.get("phone", ""), key=p + "phone"),
        "note": st.text_input("備考", value=loaded.get("note", ""), key=p + "note"),
    }


def emergency_section(actor: Actor, household_id: int, contacts: list[dict[str, Any]]) -> None:
    """The 緊急連絡カード: family, ケアマネ, 地域包括支援センター, doctor."""
    for fresh in contacts:
        loaded = editing.snapshot(actor, "emergency_contact", fresh["id"], fresh)
        with st.expander(
            f"{markdown_text(loaded['name'])}（{label(EMERGENCY_RELATIONS, loaded['relation'])}）"
            f"{markdown_text(loaded['phone'])}"
        ):
            p = editing.widget_prefix("emergency_contact", fresh["id"])
            values = _emergency_inputs(p, loaded)
            saved = st.button("保存", key=p + "save", type="primary") and editing.save(
                actor, "emergency_contact", fresh["id"], values, loaded, "緊急連絡先を保存しました"
            )
            what = (
                f"緊急連絡先「{markdown_text(loaded['name'])}」を削除します。"
                "緊急連絡カードに載らなくなります（元に戻せます）。"
            )
            removed = editing.confirmed(p + "delete", "削除", what) and editing.remove(
                actor, "emergency_contact", fresh["id"], loaded, "削除しました（元に戻せます）"
            )
            if saved or removed:
                st.rerun()
    st.markdown("##### 緊急連絡先を追加")
    p = editing.widget_prefix("emergency_contact", f"new{household_id}")
    values = _emergency_inputs(p, {})
    if st.button("追加する", key=p + "create", type="primary"):
        new_id = editing.attempt(
            lambda: records.add_emergency_contact(db.get_engine(), actor, household_id, values)
        )
        if new_id is not None:
            _clear(p)
            editing.flash("緊急連絡先を追加しました")
            st.rerun()


# ---------------------------------------------------------------- history


def history_section(actor: Actor, entity: str, record_id: int) -> None:
    """Who changed which fields when (never the values)."""
    with db.transaction(db.get_engine()) as session:
        entries = history.record_history(session, actor, entity, record_id)
    if not entries:
        st.info("変更の履歴はありません。")
        return
    if len(entries) >= history.HISTORY_LIMIT:
        st.caption(f"新しい順に {history.HISTORY_LIMIT} 件までを表示しています。")
    st.dataframe(
        pd.DataFrame(
            {
                "日時": [f"{local_time(e.at):%Y-%m-%d %H:%M}" for e in entries],
                "ユーザー": [e.username for e in entries],
                "内容": [e.summary for e in entries],
            }
        ),
        hide_index=True,
        use_container_width=True,
    )
