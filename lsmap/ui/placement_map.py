"""A small map of one district on which staff click to place a household or watcher."""

from __future__ import annotations

from typing import Any

import folium
from streamlit_folium import st_folium

from lsmap import access
from lsmap.escape import html_text
from lsmap.maps.background import BackgroundLayer
from lsmap.maps.basemap import GeoJsonLayer, base_map, fit_to
from lsmap.maps.webmap import map_background
from lsmap.settings import get_settings
from lsmap.storage import db
from lsmap.ui.context import require_actor


def _outline(district_id: int) -> tuple[list[dict[str, Any]], Any]:
    with db.transaction(db.get_engine()) as session:
        outlines = access.district_outlines(session, [district_id])
    features, bounds = [], None
    for info, geom in outlines:
        if geom is None:
            continue
        bounds = geom
        features.append(
            {
                "type": "Feature",
                "geometry": geom.__geo_interface__,
                "properties": {
                    "style": {
                        "color": "#252525",
                        "weight": 3,
                        "fill": True,
                        "fillOpacity": 0.03,
                        "interactive": False,
                    },
                    "tooltip": html_text(info.name),
                },
            }
        )
    return features, bounds


def click_point(
    district_id: int, current: tuple[float, float] | None, key: str
) -> tuple[float, float] | None:
    """Draw the district with the current point; returns the last clicked (lon, lat)."""
    settings = get_settings()
    features, bounds = _outline(district_id)
    with db.transaction(db.get_engine()) as session:  # roads help to click the right spot
        background, _ = map_background(session, require_actor(), bounds, settings.basemap)
    credit = "、".join(background["credits"]) if background else ""
    fmap = base_map(settings.basemap, blank_credit=credit or "背景地図なし")
    if background:
        group = folium.FeatureGroup(name="背景地図", control=False)
        BackgroundLayer(background).add_to(group)
        group.add_to(fmap)
    GeoJsonLayer(features).add_to(fmap)
    if current is not None:
        folium.CircleMarker(
            location=[current[1], current[0]],
            radius=8,
            color="#7f2704",
            fill=True,
            fill_color="#f16913",
            fill_opacity=0.9,
            class_name="lsmap-placed",
        ).add_to(fmap)
    fit_to(fmap, bounds)
    result = st_folium(
        fmap, height=380, use_container_width=True, returned_objects=["last_clicked"], key=key
    )
    clicked = (result or {}).get("last_clicked")
    if not clicked:
        return None
    return round(float(clicked["lng"]), 7), round(float(clicked["lat"]), 7)
