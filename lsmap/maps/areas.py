"""The areas a district map shows: the chosen district, the areas in it, its neighbours.

Boundaries are public data read through :mod:`lsmap.access`; the chosen one is drawn bold,
the areas directly inside it thin and dashed, the neighbours (its siblings) faded grey.
The same areas carry the names the map and the paper print as labels.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy.orm import Session

from lsmap import access
from lsmap.escape import html_text


@dataclass
class MapAreas:
    """Outlines as GeoJSON features (chosen on top), the chosen district's bounds, and
    ``(name, part, geometry)`` of every area for the labels."""

    outlines: list[dict[str, Any]]
    bounds: BaseGeometry | None
    named: list[tuple[str, str, BaseGeometry]] = field(default_factory=list)


def _outline_style(part: str) -> dict[str, Any]:
    """Chosen district bold; areas inside it thin and dashed; neighbours faded grey."""
    return {
        "chosen": {"color": "#252525", "weight": 3, "fill": False, "interactive": False},
        "inner": {
            "color": "#737373",
            "weight": 1,
            "fill": True,
            "fillColor": "#ffffff",
            "fillOpacity": 0.05,
            "dashArray": "4 4",
        },
        "neighbour": {
            "color": "#bdbdbd",
            "weight": 1,
            "fill": True,
            "fillColor": "#9e9e9e",
            "fillOpacity": 0.3,
        },
    }[part]


def map_areas(session: Session, area: access.Area) -> MapAreas:
    """The areas of the map of ``area`` (no district chosen: the top-level areas); the
    district tree comes with ``area`` (read once per render)."""
    tree, district_id = area.tree, area.district_id
    if district_id is None:
        chosen, inner, neighbours = list(tree.children_of(None)), [], []
    else:
        chosen = [district_id]
        inner = list(tree.children_of(district_id))
        neighbours = list(tree.siblings_of(district_id))
    parts = (
        {d: "chosen" for d in chosen}
        | {d: "inner" for d in inner}
        | {d: "neighbour" for d in neighbours}
    )
    features = []
    named: list[tuple[str, str, BaseGeometry]] = []
    bounds = None
    for info, geom in access.district_outlines(session, list(parts)):
        if geom is None:
            continue
        part = parts[info.id]
        named.append((info.name, part, geom))
        if part == "chosen":
            bounds = geom if bounds is None else shapely.union(bounds, geom)
        features.append(
            {
                "type": "Feature",
                "geometry": shapely.geometry.mapping(geom),
                "properties": {
                    "style": _outline_style(part) | {"className": f"lsmap-outline-{part}"},
                    "tooltip": html_text(info.name) if part != "chosen" else "",
                },
            }
        )
    order = {"neighbour": 0, "inner": 1, "chosen": 2}  # draw the chosen outline on top
    features.sort(key=lambda f: order[f["properties"]["style"]["className"].rsplit("-", 1)[1]])
    return MapAreas(features, bounds, named)
