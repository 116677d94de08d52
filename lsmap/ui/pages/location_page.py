"""位置の確認: households placed from their address only on their 町丁目 (issue 17).

Staff and administrators see the households of their districts whose point stands for a
whole 町丁目 (or whose place is not known more precisely), pick one, click where the house
is on the district map and save: the point becomes 「地図で指定」 and leaves the list. The
save is an ordinary record update (version-checked and audited).
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from lsmap import access
from lsmap.access.geocoding import LocationCheck, location_checks
from lsmap.escape import markdown_text
from lsmap.records import RecordError, update
from lsmap.storage import db
from lsmap.ui.context import require_actor
from lsmap.ui.links import go
from lsmap.ui.placement_map import click_point
from lsmap.ui.sidebar import user_box
from lsmap.vocab import LOCATION_LEVELS


def _label(check: LocationCheck) -> str:
    level = LOCATION_LEVELS.get(check.level or "town", "町丁目")
    address = check.address or "（住所なし）"
    return (
        f"世帯番号 {check.number or check.household_id}｜{check.district_name}｜{address}｜{level}"
    )


def render() -> None:
    """Draw the list and the click-to-correct map."""
    actor = require_actor()
    user_box(actor)
    st.subheader("位置の確認")
    if not access.can(actor, "edit"):
        st.error("位置を直せるのは地区担当職員と管理者だけです。")
        return
    st.caption(
        "住所から町丁目までしか分からず、町丁目の代表点（おおよその位置）に置いた世帯です。"
        "世帯を選び、地図で家の場所をクリックして「この位置に直す」を押してください。"
    )
    with db.transaction(db.get_engine()) as session:
        checks = location_checks(session, actor)
    if not checks:
        st.success("確認が必要な世帯はありません。")
        return
    frame = pd.DataFrame(
        {
            "世帯番号": [c.number or c.household_id for c in checks],
            "地区": [c.district_name for c in checks],
            "住所": [c.address for c in checks],
            "位置の精度": [LOCATION_LEVELS.get(c.level or "town", "町丁目") for c in checks],
        }
    )
    st.markdown(f"**{len(checks)} 世帯**")
    st.dataframe(frame, hide_index=True, use_container_width=True)
    by_id = {c.household_id: c for c in checks}
    chosen = st.selectbox(
        "直す世帯", list(by_id), format_func=lambda i: _label(by_id[i]), key="loc_household"
    )
    _correct(actor, by_id[chosen])


def _correct(actor: access.Actor, check: LocationCheck) -> None:
    st.markdown(
        f"##### 世帯番号 {check.number or check.household_id}: {markdown_text(check.address or '')}"
    )
    current = (check.lon, check.lat) if check.lon is not None and check.lat is not None else None
    clicked = click_point(check.district_id, current, key=f"loc-map-{check.household_id}")
    if clicked is None:
        st.info("地図で家の場所をクリックしてください（点線の点が今の位置です）。")
        return
    st.write(f"クリックした位置: 経度 {clicked[0]}、緯度 {clicked[1]}")
    left, right = st.columns(2)
    if left.button("この位置に直す", type="primary", key=f"loc-save-{check.household_id}"):
        values = {"placement": "exact", "lon": clicked[0], "lat": clicked[1]}
        try:
            update(
                db.get_engine(),
                actor,
                "household",
                check.household_id,
                values,
                version=check.version,
            )
        except RecordError as error:
            st.error(markdown_text(error.message))
            return
        except access.AccessDenied as denied:
            st.error(markdown_text(denied.message))
            return
        st.success("位置を直しました（地図で指定）。")
        st.rerun()
    if right.button("記録を開く", key=f"loc-open-{check.household_id}"):
        go("record", household=str(check.household_id))
