"""空白地帯の一覧: households of the user's districts with a gap, each linking to its record.

For staff, meeting viewers and admins. Rows come from the access module (names only where
it projects them); the map highlights the listed households.
"""

from __future__ import annotations

import folium
import pandas as pd
import shapely
import streamlit as st
from streamlit_folium import st_folium

from lsmap import access
from lsmap.access.issues import households_with_issues
from lsmap.coverage.report import coverage_for, gap_rows
from lsmap.escape import html_text, markdown_text
from lsmap.maps.basemap import GeoJsonLayer, base_map, fit_to
from lsmap.maps.payload import record_link
from lsmap.settings import get_settings
from lsmap.storage import db
from lsmap.ui.context import chosen_district, require_actor
from lsmap.ui.sidebar import user_box
from lsmap.vocab import DISTRICT_LEVELS, HOUSEHOLD_ISSUES, LEVEL_DEPTH, label

#: Filter label -> test on a gap row.
FILTERS: dict[str, str] = {
    "watchers": "見守り者なし・1人・高齢者のみ",
    "stale": "連絡が途絶えている",
    "urgent": "緊急サイン後の訪問なし",
    "far": "資源が遠い",
}


def select_rows(table: pd.DataFrame, chosen: list[str]) -> pd.DataFrame:
    """Rows with at least one of the chosen kinds of gap."""
    keep = pd.Series(False, index=table.index)
    if "watchers" in chosen:
        keep |= table["gaps"].str.contains("見守り者")
    if "stale" in chosen:
        keep |= table["gaps"].str.contains("連絡が途絶えている")
    if "urgent" in chosen:
        keep |= table["urgent_unvisited"].astype(bool)
    if "far" in chosen:
        keep |= table["far_count"] > 0
    return table[keep]


def gap_map(session, rows: pd.DataFrame, district_id: int, basemap: str) -> folium.Map:
    """The district outline and the listed households as red points with escaped popups."""
    fmap = base_map(basemap)
    outlines = []
    bounds = None
    for info, geom in access.district_outlines(session, [district_id]):
        if geom is None:
            continue
        bounds = geom
        outlines.append(
            {
                "type": "Feature",
                "geometry": shapely.geometry.mapping(geom),
                "properties": {
                    "style": {"color": "#252525", "weight": 3, "fill": False},
                    "tooltip": html_text(info.name),
                },
            }
        )
    GeoJsonLayer(outlines).add_to(fmap)
    features = []
    for row in rows.itertuples(index=False):
        title = f"No.{row.number} {row.names}".strip()
        lines = [title, row.gaps, f"遠い資源: {row.far_from}" if row.far_from else ""]
        popup = "<br>".join(html_text(line) for line in lines if line)
        popup += record_link(html_text(row.record))
        urgent = bool(row.urgent_unvisited)
        features.append(
            {
                "type": "Feature",
                "geometry": {
                    "type": "Point",
                    "coordinates": [round(row.lon, 6), round(row.lat, 6)],
                },
                "properties": {
                    "style": {
                        "radius": 9 if urgent else 7,
                        "color": "#67000d",
                        "weight": 2,
                        "fillColor": "#cb181d" if urgent else "#fb6a4a",
                        "fillOpacity": 0.9,
                        "className": f"lsmap-gap lsmap-id-{row.household_id}",
                    },
                    "tooltip": html_text(title),
                    "popup": popup,
                },
            }
        )
    GeoJsonLayer(features).add_to(fmap)
    fit_to(fmap, bounds)
    return fmap


def render() -> None:
    """Draw the gap list page."""
    actor = require_actor()

    user_box(actor)
    st.subheader("空白地帯の一覧（見守りや資源が届いていない世帯）")
    with db.transaction(db.get_engine()) as session:
        districts = access.visible_districts(session, actor)
        if not districts or not access.can(actor, access.Action.VIEW):
            st.warning("表示できる地区がありません。")
            return
        by_id = {d.id: d for d in districts}
        ids = list(by_id)
        default = chosen_district(ids, ids[0])

        def name(i: int) -> str:
            level = by_id[i].level
            return (
                "　" * LEVEL_DEPTH.get(level, 0)
                + f"{by_id[i].name}（{label(DISTRICT_LEVELS, level)}）"
            )

        district_id = st.sidebar.selectbox("地区", ids, index=ids.index(default), format_func=name)
        st.session_state["district_choice"] = district_id
        chosen = st.sidebar.multiselect(
            "表示する空白",
            list(FILTERS),
            default=["watchers", "stale", "urgent"],
            format_func=FILTERS.__getitem__,
        )
        issues = st.sidebar.multiselect(
            "課題で絞り込む",
            list(HOUSEHOLD_ISSUES),
            format_func=lambda code: HOUSEHOLD_ISSUES[code],
            placeholder="すべての世帯",
            help="選んだ課題のどれかがある世帯だけにします（課題を見られない世帯は出ません）。",
        )
        view = coverage_for(session, actor)
        rows = select_rows(gap_rows(session, view, district_id), chosen)
        if issues:
            kept = households_with_issues(session, actor, rows["household_id"].tolist(), issues)
            rows = rows[rows["household_id"].isin(kept)]
        fmap = gap_map(session, rows, district_id, get_settings().basemap)
    st.caption(
        f"{markdown_text(by_id[district_id].name)}: 該当 {len(rows)} 世帯。番号は地図と同じです。"
        "「記録」から見守り記録を開きます。" + view.distance_note
    )
    if rows.empty:
        st.success("選んだ条件に当てはまる世帯はありません。")
    else:
        st.dataframe(
            _gap_table(rows),
            column_config={"記録": st.column_config.LinkColumn("記録", display_text="記録を開く")},
            hide_index=True,
            use_container_width=True,
        )
    st_folium(
        fmap,
        height=520,
        use_container_width=True,
        returned_objects=[],
        key=f"gap-map-{district_id}",
    )


def _gap_table(rows: pd.DataFrame) -> pd.DataFrame:
    """The gap list as shown, with Japanese column names."""
    return pd.DataFrame(
        {
            "No.": rows["number"],
            "町丁目": rows["district_name"],
            "氏名": rows["names"].replace("", "（同意なし・非表示）"),
            "見守り者数": rows["watchers"],
            "空白": rows["gaps"],
            "遠い資源": rows["far_from"],
            "最後の連絡": [
                "連絡の記録なし" if pd.isna(days) else f"{int(days)} 日前"
                for days in rows["days_since_contact"]
            ],
            "記録": rows["record"],
        }
    )
