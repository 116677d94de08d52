"""Adding a watcher from the household (issue 12): an existing one is chosen in the link
form above it (:func:`lsmap.ui.record_forms.links_section`); here a new one is registered
and linked in one step, with the home located by a map click, by the address, at the
町丁目, or 「自宅の位置なし」 (then the map legend and the record say so)."""

from __future__ import annotations

from typing import Any

import streamlit as st

from lsmap.access import Actor
from lsmap.escape import markdown_text
from lsmap.records.household_watchers import add_new_watcher
from lsmap.storage import db
from lsmap.ui import editing
from lsmap.ui.locating import address_point, district_point
from lsmap.ui.placement_map import click_point
from lsmap.vocab import FREQUENCIES, INVOLVEMENTS, WATCHER_ROLES, label

PLACES = {
    "map": "地図をクリック",
    "address": "住所から探す",
    "district": "町丁目の代表点",
    "none": "自宅の位置なし",
}


def _place(p: str, district_id: int, address: str) -> dict[str, Any] | None:
    """lon/lat of the new watcher's home as chosen (empty: no location); None: not yet."""
    how = st.radio(
        "自宅の位置",
        list(PLACES),
        format_func=lambda k: PLACES[k],
        horizontal=True,
        key=p + "place",
    )
    if how == "none":
        st.caption("地図には点も線も出ません。凡例と記録に「位置未設定の見守り者」として出ます。")
        return {}
    if how == "district":
        point = district_point(district_id)
    elif how == "address":
        found = address_point(address)
        point = None if found is None else found[:2]
        if found is None:
            st.warning(
                "住所から位置が見つかりません。地図をクリックするか、町丁目を選んでください。"
            )
    else:
        point = st.session_state.get(p + "point")
        clicked = click_point(district_id, point, key=p + "map")
        if clicked is not None and clicked != point:
            st.session_state[p + "point"] = clicked
            st.rerun()
    if point is None:
        return None
    st.caption(f"位置: 経度 {point[0]:.5f}、緯度 {point[1]:.5f}")
    return {"lon": point[0], "lat": point[1]}


def new_watcher_section(actor: Actor, household_id: int, district_id: int | None) -> None:
    """Register a new watcher and link them to this household (edit page, 見守り者 tab)."""
    if district_id is None:
        return
    with st.expander("新しい見守り者を登録して結びつける"):
        p = f"new-watcher-{household_id}-"
        left, right = st.columns(2)
        name = left.text_input("氏名", key=p + "name", max_chars=100)
        roles = list(WATCHER_ROLES)
        role = right.selectbox(
            "役割", roles, format_func=lambda r: label(WATCHER_ROLES, r), key=p + "role"
        )
        left, right = st.columns(2)
        phone = left.text_input("電話", key=p + "phone", max_chars=32)
        address = right.text_input("住所", key=p + "address")
        place = _place(p, district_id, address)
        left, right = st.columns(2)
        involvement = left.selectbox(
            "関わり方", list(INVOLVEMENTS), format_func=lambda k: INVOLVEMENTS[k], key=p + "inv"
        )
        frequencies = list(FREQUENCIES)
        frequency = right.selectbox(
            "頻度",
            frequencies,
            index=frequencies.index("weekly"),
            format_func=lambda k: label(FREQUENCIES, k),
            key=p + "freq",
        )
        note = st.text_input(
            "関わり方のメモ", key=p + "note", placeholder="例 朝のカーテンの開閉を確認"
        )
        if not st.button("登録して結びつける", type="primary", key=p + "save"):
            return
        if place is None:
            st.error("自宅の位置を決めてください（「自宅の位置なし」も選べます）")
            return
        watcher = {
            "name": name,
            "role": role,
            "phone": phone,
            "address": address,
            "district_id": district_id,
            **place,
        }
        link = {"involvement": involvement, "frequency": frequency, "note": note}
        done = editing.attempt(
            lambda: add_new_watcher(db.get_engine(), actor, household_id, watcher, link)
        )
        if done is not None:
            for key in [k for k in st.session_state if isinstance(k, str) and k.startswith(p)]:
                del st.session_state[key]
            editing.flash(f"見守り者「{markdown_text(name.strip())}」を登録して結びつけました")
            st.rerun()
