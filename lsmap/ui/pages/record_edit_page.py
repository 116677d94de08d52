"""記録の編集: create and edit one household's watch record (staff and admin only).

``?household=ID`` edits that household; without it the page creates a new one. The parts
(residents, watchers, contacts, emergency card, history, printouts) are in
:mod:`lsmap.ui.record_forms`.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import streamlit as st

from lsmap import access, records
from lsmap.access import Actor
from lsmap.access.views import DistrictInfo
from lsmap.escape import markdown_text
from lsmap.storage import db
from lsmap.ui import editing, issue_forms, record_forms, watcher_flow
from lsmap.ui.context import require_actor
from lsmap.ui.labels import label_for
from lsmap.ui.links import go
from lsmap.ui.placement_map import click_point
from lsmap.ui.sidebar import user_box
from lsmap.ui.widget_text import DATE_FORMAT
from lsmap.vocab import DISTRICT_LEVELS, HOUSEHOLD_TYPES, LEVEL_DEPTH

PLACEMENTS = {
    "exact": "地図をクリック・座標を入力",
    "approximate": "町丁目の代表点（正確な場所が不明）",
}


def _household_id() -> int | None:
    raw = st.query_params.get("household")
    try:
        return int(raw) if raw not in (None, "", "new") else None
    except ValueError:
        return None


def _district_label(district: DistrictInfo) -> str:
    indent = "　" * LEVEL_DEPTH.get(district.level, 0)
    return f"{indent}{district.name}（{DISTRICT_LEVELS.get(district.level, district.level)}）"


def render() -> None:
    """Draw the editing page."""
    actor = require_actor()

    user_box(actor)
    if not access.role_may(actor, access.Action.EDIT):
        st.error("記録を編集する権限がありません")
        return
    editing.show_flash()
    household_id = _household_id()
    with db.transaction(db.get_engine()) as session:
        districts = access.editable_districts(session, actor)
        try:
            data = access.household_for_edit(session, actor, household_id) if household_id else None
        except access.AccessDenied as denied:
            st.error(markdown_text(denied.message))
            return
    if not districts:
        st.warning("担当地区が割り当てられていません。管理者に連絡してください。")
        return
    if data is None or household_id is None:
        st.subheader("気がかりな世帯を登録する")
        household_form(actor, districts, None)
        return
    st.subheader(f"記録の編集 — 世帯番号 {data.get('number', household_id)}")
    if st.button("見守り記録（閲覧・印刷）を開く"):
        go("record", household=str(household_id))
    tabs = st.tabs(
        [
            "世帯",
            "課題",
            "気がかりな人",
            "見守り者",
            "見守り活動",
            "緊急連絡カード",
            "履歴",
            "終了・削除",
        ]
    )
    with tabs[0]:
        household_form(actor, districts, data["household"])
    with tabs[1]:
        issue_forms.issues_section(actor, household_id)
    with tabs[2]:
        record_forms.residents_section(actor, household_id, data["residents"])
    with tabs[3]:
        record_forms.links_section(actor, household_id, data["links"])
        watcher_flow.new_watcher_section(actor, household_id, data["household"].get("district_id"))
    with tabs[4]:
        record_forms.contacts_section(actor, household_id, data["contacts"], data["links"])
    with tabs[5]:
        record_forms.emergency_section(actor, household_id, data["emergency_contacts"])
        issue_forms.card_facts_section(actor, household_id)
    with tabs[6]:
        record_forms.history_section(actor, "household", household_id)
    with tabs[7]:  # not the tab that opens first (issue 12)
        _close_and_delete(
            actor, editing.snapshot(actor, "household", household_id, data["household"])
        )


def household_form(
    actor: Actor, districts: list[DistrictInfo], fresh: dict[str, Any] | None
) -> None:
    """The household's own fields and its placement; create when ``fresh`` is None."""
    record_id = fresh["id"] if fresh else "new"
    loaded = editing.snapshot(actor, "household", fresh["id"], fresh) if fresh else {}
    p = editing.widget_prefix("household", record_id)
    by_id = {d.id: d for d in districts}
    ids = list(by_id)
    default_district = loaded.get("district_id")
    if default_district not in by_id:
        hoods = [d.id for d in districts if d.level == "neighbourhood"]
        default_district = (hoods or ids)[0]
    district_id = st.selectbox(
        "町丁目",
        ids,
        index=ids.index(default_district),
        format_func=lambda i: _district_label(by_id[i]),
        key=p + "district_id",
    )
    placement = st.radio(
        "位置の決め方",
        list(PLACEMENTS),
        format_func=label_for(PLACEMENTS),
        horizontal=True,
        index=1 if loaded.get("location_approximate") else 0,
        key=p + "placement",
    )
    st.session_state.setdefault(p + "lon", "" if loaded.get("lon") is None else str(loaded["lon"]))
    st.session_state.setdefault(p + "lat", "" if loaded.get("lat") is None else str(loaded["lat"]))
    if placement == "exact":
        st.caption("地図をクリックすると、その場所の経度・緯度が入ります。直接入力もできます。")
        current = _typed_point(p)
        clicked = click_point(district_id, current, key=f"place-{record_id}-{district_id}")
        if clicked is not None and clicked != st.session_state.get(p + "click"):
            st.session_state[p + "click"] = clicked
            st.session_state[p + "lon"], st.session_state[p + "lat"] = (
                str(clicked[0]),
                str(clicked[1]),
            )
            st.rerun()
        col1, col2 = st.columns(2)
        col1.text_input("経度", key=p + "lon", placeholder="例 139.40123")
        col2.text_input("緯度", key=p + "lat", placeholder="例 35.45123")
    else:
        st.info("町丁目の代表点に置き、地図では「おおよその位置」（点線）として表示します。")
    types = list(HOUSEHOLD_TYPES)
    household_type = st.selectbox(
        "世帯の状況",
        types,
        format_func=label_for(HOUSEHOLD_TYPES),
        index=types.index(loaded["household_type"]) if loaded.get("household_type") in types else 0,
        key=p + "household_type",
    )
    address = st.text_input("住所", value=loaded.get("address", ""), key=p + "address")
    note = st.text_area("メモ", value=loaded.get("note", ""), key=p + "note")
    values = {
        "district_id": district_id,
        "placement": placement,
        "household_type": household_type,
        "address": address,
        "note": note,
        "lon": st.session_state.get(p + "lon") or None,
        "lat": st.session_state.get(p + "lat") or None,
    }
    if fresh is None:
        if st.button("登録する", type="primary", key=p + "create"):
            new_id = editing.attempt(
                lambda: records.create_household(db.get_engine(), actor, values)
            )
            if new_id is not None:
                for key in [k for k in st.session_state if isinstance(k, str) and k.startswith(p)]:
                    del st.session_state[key]
                with db.transaction(db.get_engine()) as session:
                    number = access.household_for_edit(session, actor, new_id)["number"]
                editing.flash(
                    f"世帯番号 {number} を登録しました。続けて気がかりな人を追加してください。"
                )
                st.query_params["household"] = str(new_id)
                st.rerun()
        return
    if st.button("世帯の内容を保存", type="primary", key=p + "save") and editing.save(
        actor, "household", fresh["id"], values, loaded, "世帯の内容を保存しました"
    ):
        st.rerun()


def _typed_point(p: str) -> tuple[float, float] | None:
    try:
        return float(st.session_state.get(p + "lon") or ""), float(
            st.session_state.get(p + "lat") or ""
        )
    except ValueError:
        return None


def _close_and_delete(actor: Actor, loaded: dict[str, Any]) -> None:
    engine = db.get_engine()
    hid = loaded["id"]
    st.divider()
    col1, col2 = st.columns(2)
    with col1:
        if loaded.get("closed_on") is None:
            closed_on = st.date_input(
                "見守りの終了日", value=date.today(), key=f"close-on-{hid}", format=DATE_FORMAT
            )
            st.caption(
                "転居・入所・死亡などで見守りが要らなくなったときに。地図・要対応・カバー状況から"
                "外れます。記録は残り、再開できます。"
            )
            close_sure = st.checkbox("見守りを終了してよい", key=f"close-sure-{hid}")
            if st.button("見守りを終了する", key=f"close-{hid}", disabled=not close_sure):
                done = editing.attempt(
                    lambda: records.close_household(
                        engine,
                        actor,
                        hid,
                        closed_on=closed_on,
                        version=loaded["version"],
                        loaded=loaded,
                    ),
                    stale_key=("household", hid),
                )
                if done is not None:
                    editing.forget("household", hid)
                    editing.flash("見守りを終了しました（再開できます）")
                    st.rerun()
        else:
            st.info(f"この世帯の見守りは {loaded['closed_on']:%Y-%m-%d} に終了しています。")
            if st.button("見守りを再開する", key=f"reopen-{hid}"):
                done = editing.attempt(
                    lambda: records.reopen_household(
                        engine, actor, hid, version=loaded["version"], loaded=loaded
                    ),
                    stale_key=("household", hid),
                )
                if done is not None:
                    editing.forget("household", hid)
                    editing.flash("見守りを再開しました")
                    st.rerun()
    with col2:
        st.caption(
            "間違えて登録した世帯を消すときに。地図・一覧・書き出しから消えます"
            "（「削除した記録」から元に戻せます）。"
        )
        sure = st.checkbox("この世帯を削除してよい", key=f"delete-sure-{hid}")
        deleted = st.button("削除", key=f"delete-{hid}", disabled=not sure) and editing.remove(
            actor, "household", hid, loaded, f"世帯番号 {hid} を削除しました"
        )
        if deleted:
            st.query_params.clear()
            st.rerun()
