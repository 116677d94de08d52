"""地図: the chosen district with its layers, legend and links to the watch records."""

from __future__ import annotations

import streamlit as st
from streamlit_folium import st_folium

from lsmap import access, db
from lsmap.mapview import build_map
from lsmap.settings import get_settings
from lsmap.ui.context import chosen_district, require_actor
from lsmap.views import DistrictInfo
from lsmap.vocab import DISTRICT_LEVELS, LEVEL_DEPTH


def _label(district: DistrictInfo) -> str:
    indent = "　" * LEVEL_DEPTH.get(district.level, 0)
    return f"{indent}{district.name}（{DISTRICT_LEVELS.get(district.level, district.level)}）"


def _default_district(actor: access.Actor, districts: list[DistrictInfo]) -> int | None:
    if not districts:
        return None
    if actor.role in ("admin", "planner"):
        return districts[0].id
    ids = {d.id for d in districts}
    top = [d for d in districts if d.parent_id not in ids]
    return (top or districts)[0].id


def render() -> None:
    """Draw the map page."""
    actor = require_actor()
    from lsmap.ui.pages import RECORD, user_box

    user_box(actor)
    settings = get_settings()
    with db.transaction(db.get_engine()) as session:
        districts = access.visible_districts(session, actor)
        if not districts:
            st.warning("担当地区が割り当てられていません。管理者に連絡してください。")
            return
        by_id = {d.id: d for d in districts}
        ids = list(by_id)
        default = chosen_district(ids, _default_district(actor, districts))
        district_id = st.sidebar.selectbox(
            "表示する地区",
            ids,
            index=ids.index(default) if default in ids else 0,
            format_func=lambda i: _label(by_id[i]),
        )
        st.session_state["district_choice"] = district_id
        result = build_map(session, actor, district_id, basemap=settings.basemap)
    households = result.points.get("households", [])

    st.subheader(f"地図 — {by_id[district_id].name}")
    st.caption(
        "レイヤーの表示・非表示は地図右上で切り替えます。点をクリックすると詳細が開き、"
        "世帯は「見守り記録を開く」から記録へ進めます。背景地図が読み込めないときも境界と点は表示されます。"
    )
    st_folium(
        result.map,
        height=640,
        use_container_width=True,
        returned_objects=[],
        key=f"district-map-{district_id}",
    )
    if actor.role == "planner":
        st.info("計画担当の方には個人の点は表示されません（資源と地区の境界のみ）。")
    if households:
        with st.sidebar:
            st.divider()
            choice = st.selectbox(
                "世帯の見守り記録を開く",
                [p.id for p in households],
                format_func=lambda hid: _household_label(households, hid),
                index=None,
                placeholder="番号で選ぶ",
            )
            if choice is not None and st.button("記録を開く", type="primary"):
                st.switch_page(RECORD, query_params={"household": str(choice)})


def _household_label(points: list, household_id: int) -> str:  # type: ignore[type-arg]
    point = next(p for p in points if p.id == household_id)
    names = "・".join(r.name for r in point.residents if r.name)
    return f"No.{point.number} {names}" if names else f"No.{point.number}"
