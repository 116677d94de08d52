"""地域資源: staff (their districts) and administrators add, change and delete salons (with
曜日・頻度), food banks, participating facilities with their CSWs, support centres and other
resources; the location by a map click, by the address, or at the 町丁目."""

from __future__ import annotations

from functools import partial
from typing import Any

import pandas as pd
import streamlit as st

from lsmap import access
from lsmap.access import Actor, resource_work
from lsmap.access.resource_work import ResourceRecord
from lsmap.access.views import DistrictInfo
from lsmap.escape import markdown_text
from lsmap.records import resources
from lsmap.storage import audit, db
from lsmap.ui import editing
from lsmap.ui.context import require_actor
from lsmap.ui.locating import address_point
from lsmap.ui.placement_map import click_point
from lsmap.ui.sidebar import user_box
from lsmap.vocab import (
    LOCATION_LEVELS,
    RESOURCE_KINDS,
    SALON_FREQUENCIES,
    WEEKDAYS,
    AuditAction,
    Entity,
)

PLACEMENT_LABELS = {
    "manual": "地図をクリック",
    "address": "住所から探す",
    "district": "町丁目の代表点",
    "none": "地図に載せない",
}


def render() -> None:
    """The list of resources in scope, and the form of a new or chosen one."""
    actor = require_actor()
    user_box(actor)
    st.subheader("地域資源")
    if not resource_work.may_keep_resources(actor):
        st.error(resource_work.NOT_ALLOWED)
        return
    editing.show_flash()
    with db.transaction(db.get_engine()) as session:
        kept = resource_work.editable_resources(session, actor)
        districts = [
            d
            for d in access.visible_districts(session, actor)
            if resource_work.may_edit_resource(actor, d.id)
        ]
        audit.log(session, actor, AuditAction.SEARCH, Entity.RESOURCE, [r.id for r in kept])
    st.caption(
        "サロン・フードバンク・参加法人施設（CSW）・地域包括支援センター・その他の資源を登録します。"
        "サロンの曜日と頻度は、カバー状況の「月1回未満のサロン」の判定に使います。"
    )
    _table(kept)
    by_id = {r.id: r for r in kept}
    chosen = st.selectbox(
        "編集する資源",
        [None, *by_id],
        format_func=lambda i: "＋ 新しい資源を登録する" if i is None else _label(by_id[i]),
        key="resource-chosen",
    )
    _form(actor, None if chosen is None else by_id[chosen], districts)


def _label(resource: ResourceRecord) -> str:
    return f"{RESOURCE_KINDS.get(resource.kind, resource.kind)}：{resource.name}"


def _table(kept: list[ResourceRecord]) -> None:
    if not kept:
        st.info("登録された資源はまだありません。")
        return
    st.dataframe(
        pd.DataFrame(
            {
                "種類": [RESOURCE_KINDS.get(r.kind, r.kind) for r in kept],
                "名称": [r.name for r in kept],
                "町丁目": [r.district_name for r in kept],
                "開催日": [r.schedule for r in kept],
                "位置": [
                    LOCATION_LEVELS.get(r.location_level or "", "未設定")
                    if r.lon is not None
                    else "未設定"
                    for r in kept
                ],
                "CSW": ["、".join(c.name for c in r.csws) for r in kept],
            }
        ),
        hide_index=True,
        use_container_width=True,
    )


def _district_choice(p: str, resource: ResourceRecord | None, districts: list[DistrictInfo]) -> int:
    by_id = {d.id: d for d in districts}
    ids = list(by_id)
    current = resource.district_id if resource and resource.district_id in by_id else ids[0]
    return st.selectbox(
        "町丁目",
        ids,
        index=ids.index(current),
        format_func=lambda i: by_id[i].name,
        key=p + "district",
    )


def _note_default(resource: ResourceRecord | None) -> str:
    """The free part of the stored schedule (all of it when 曜日・頻度 were never chosen)."""
    if resource is None:
        return ""
    generated = resources.schedule_text(resource.frequency, resource.weekdays)
    if generated and resource.schedule.startswith(generated):
        return resource.schedule[len(generated) :].strip()
    return resource.schedule


def _schedule(p: str, resource: ResourceRecord | None, salon: bool) -> dict[str, Any]:
    """曜日・頻度 (salons) and the free text of the schedule (every kind)."""
    values: dict[str, Any] = {}
    if salon:
        st.markdown("##### 開催の曜日と頻度")
        left, right = st.columns([2, 1])
        values["weekdays"] = left.multiselect(
            "曜日",
            list(WEEKDAYS),
            default=list(resource.weekdays) if resource else [],
            format_func=lambda d: WEEKDAYS[d],
            key=p + "weekdays",
            placeholder="曜日を選んでください",
        )
        codes = ["", *SALON_FREQUENCIES]
        values["frequency"] = right.selectbox(
            "頻度",
            codes,
            index=codes.index(resource.frequency)
            if resource and resource.frequency in codes
            else 0,
            format_func=lambda c: "（未設定）" if not c else SALON_FREQUENCIES[c][0],
            key=p + "frequency",
        )
        per_month = resources.meetings_per_month(values["frequency"], values["weekdays"])
        if per_month is None and resource is not None:
            per_month = resource.meetings_per_month
        if per_month is not None:
            rare = " — 月1回未満のサロンとして数えます" if per_month < 1 else ""
            st.caption(f"月あたり約 {per_month:.1f} 回{rare}")
    values["schedule_note"] = st.text_input(
        "時間・補足" if salon else "開いている日・時間",
        value=_note_default(resource),
        key=p + "note",
        placeholder="例 10時〜12時、第2・第4火曜",
    )
    return values


def _placement(
    p: str, resource: ResourceRecord | None, district_id: int, address: str
) -> dict[str, Any]:
    st.markdown("##### 位置")
    placement = st.radio(
        "位置の決め方",
        list(PLACEMENT_LABELS),
        format_func=lambda k: PLACEMENT_LABELS[k],
        horizontal=True,
        key=p + "placement",
    )
    current = None if resource is None or resource.lon is None else (resource.lon, resource.lat)
    point = st.session_state.get(p + "point", current)
    if placement == "manual":
        clicked = click_point(district_id, point, key=f"{p}map-{district_id}")
        if clicked is not None and clicked != point:
            st.session_state[p + "point"] = clicked
            st.rerun()
        return {
            "placement": "manual",
            "lon": point[0] if point else None,
            "lat": point[1] if point else None,
        }
    if placement == "address":
        found = address_point(address)
        if found is None:
            st.warning(
                "住所から位置が見つかりません（住所の参照データが取り込まれているか確認してください）"
            )
            return {"placement": "manual", "lon": None, "lat": None}
        st.caption(f"住所から見つけた位置（{LOCATION_LEVELS[found[2]]}の精度）に置きます。")
        return {"placement": found[2], "lon": found[0], "lat": found[1]}
    if placement == "district":
        st.caption("町丁目の代表点に置きます（おおよその位置）。")
    return {"placement": placement}


def _form(actor: Actor, resource: ResourceRecord | None, districts: list[DistrictInfo]) -> None:
    if not districts:
        st.warning("資源を登録できる地区がありません。")
        return
    p = f"res-{resource.id if resource else 'new'}-{resource.version if resource else 0}-"
    kinds = list(RESOURCE_KINDS)
    kind = st.selectbox(
        "種類",
        kinds,
        index=kinds.index(resource.kind) if resource else 1,
        format_func=lambda k: RESOURCE_KINDS[k],
        key=p + "kind",
    )
    name = st.text_input(
        "名称", value=resource.name if resource else "", max_chars=200, key=p + "name"
    )
    left, right = st.columns(2)
    address = left.text_input("住所", value=resource.address if resource else "", key=p + "address")
    phone = right.text_input("電話", value=resource.phone if resource else "", key=p + "phone")
    district_id = _district_choice(p, resource, districts)
    values: dict[str, Any] = {
        "kind": kind,
        "name": name,
        "address": address,
        "phone": phone,
        "district_id": district_id,
    }
    values |= _schedule(p, resource, kind == "salon")
    values |= _placement(p, resource, district_id, address)
    if st.button("保存する" if resource else "登録する", type="primary", key=p + "save"):
        saved = editing.attempt(
            lambda: resources.save_resource(
                db.get_engine(),
                actor,
                values,
                resource_id=resource.id if resource else None,
                version=resource.version if resource else None,
            )
        )
        if saved is not None:
            editing.flash(f"「{markdown_text(values['name'].strip())}」を保存しました")
            st.rerun()
    if resource is not None:
        if resource.kind == "facility":
            _csws(actor, resource)
        _delete(actor, resource)


def _csws(actor: Actor, resource: ResourceRecord) -> None:
    st.markdown("##### この施設のCSW")
    for csw in resource.csws:
        st.write(f"{markdown_text(csw.name)}　{markdown_text(csw.phone)}")
        what = (
            f"CSW「{markdown_text(csw.name)}」をこの施設から外します"
            "（地図のポップアップに出なくなります）。"
        )
        if editing.confirmed(f"csw-{csw.id}-{csw.version}", "外す", what) and editing.attempt(
            partial(resources.remove_csw, db.get_engine(), actor, csw.id, version=csw.version)
        ):
            editing.flash(f"CSW「{markdown_text(csw.name)}」をこの施設から外しました")
            st.rerun()
    with st.form(f"csw-add-{resource.id}", clear_on_submit=True):
        left, right = st.columns(2)
        name = left.text_input("CSWの氏名")
        phone = right.text_input("CSWの電話")
        if st.form_submit_button("CSWを追加") and editing.attempt(
            lambda: resources.add_csw(db.get_engine(), actor, resource.id, name, phone)
        ):
            editing.flash(f"CSW「{markdown_text(name.strip())}」を追加しました")
            st.rerun()


def _delete(actor: Actor, resource: ResourceRecord) -> None:
    what = (
        f"「{markdown_text(resource.name)}」を削除します。地図とカバー状況の計算から外れます"
        "（削除したことは監査ログに残ります）。"
    )
    if editing.confirmed(f"res-{resource.id}-{resource.version}", "削除", what) and editing.attempt(
        lambda: resources.delete_resource(
            db.get_engine(), actor, resource.id, version=resource.version
        )
    ):
        editing.flash(f"「{markdown_text(resource.name)}」を削除しました")
        st.rerun()
