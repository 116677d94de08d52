"""Building the district map (folium) from the layer definitions and the access module.

Each layer is sent to the browser as one GeoJSON FeatureCollection whose popups and
tooltips are escaped here, on the server; Leaflet is served from the app's own static
folder, so the map works with no internet (GSI tiles are optional).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import folium
import numpy as np
import shapely
from sqlalchemy.orm import Session

from layers import layers_for
from layers.spec import LayerSpec
from lsmap import access
from lsmap.access import Actor
from lsmap.escape import html_text
from lsmap.maps.basemap import GeoJsonLayer, Legend, base_map
from lsmap.maps.payload import PointLayer, layer_payload
from lsmap.storage import audit

#: Numbered markers of meeting mode: large, high-contrast, readable on a projector.
NUMBER_CSS = """<style>
.lsmap-number > div { width:100%; height:100%; box-sizing:border-box; display:flex;
  align-items:center; justify-content:center; border-radius:50%; background:#f16913;
  color:#fff; border-style:solid; font:bold 13px sans-serif; box-shadow:0 1px 3px rgba(0,0,0,.4); }
</style>"""


@dataclass
class MapResult:
    """The built map and what it contains (for the page, tests and audit)."""

    map: folium.Map
    #: The points drawn, per layer key (already projected by the access module).
    points: dict[str, list[Any]] = field(default_factory=dict)

    @property
    def counts(self) -> dict[str, int]:
        return {key: len(points) for key, points in self.points.items()}

    @property
    def household_ids(self) -> list[int]:
        return [p.id for p in self.points.get("households", [])]


def _legend_html(specs: list[LayerSpec], counts: dict[str, int]) -> str:
    def swatch(color: str, fill: str, weight: float = 1.5, dash: bool = False) -> str:
        border = f"{weight}px {'dashed' if dash else 'solid'} {color}"
        return (
            f'<span style="display:inline-block;width:12px;height:12px;border-radius:50%;'
            f'border:{border};background:{fill};margin-right:6px;vertical-align:middle"></span>'
        )

    def stroke(color: str) -> str:
        return (
            f'<span style="display:inline-block;width:14px;border-top:3px solid {color};'
            'margin-right:6px;vertical-align:middle"></span>'
        )

    lines = []
    for spec in specs:
        mark = (
            stroke(spec.color) if spec.geometry == "line" else swatch(spec.color, spec.fill_color)
        )
        lines.append(f"<div>{mark}{html_text(spec.title)}（{counts.get(spec.key, 0)}）</div>")
        notes = []
        for caption, note in spec.legend_notes:
            mark = (
                stroke(note["color"])
                if note.get("line")
                else swatch(
                    note["color"],
                    note["fill_color"],
                    note.get("weight", 1.5),
                    note.get("dash", False),
                )
            )
            notes.append(f"<div>{mark}{html_text(caption)}</div>")
        if notes:
            columns = 2 if spec.geometry == "line" else 1
            lines.append(
                f'<div style="margin-left:12px;display:grid;grid-template-columns:repeat({columns},auto);'
                f'column-gap:10px">{"".join(notes)}</div>'
            )
    lines.append(
        '<div><span style="display:inline-block;width:14px;border-top:3px solid #252525;'
        'margin-right:6px;vertical-align:middle"></span>表示中の地区の境界</div>'
    )
    style = (
        "background:rgba(255,255,255,0.92);padding:8px 10px;border-radius:6px;"
        "font-size:13px;line-height:1.6;box-shadow:0 1px 4px rgba(0,0,0,.3)"
    )
    return (
        f'<details open style="{style}"><summary style="font-weight:bold;cursor:pointer">凡例</summary>'
        f"{''.join(lines)}</details>"
    )


def _outline_style(role: str) -> dict[str, Any]:
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
            "fillOpacity": 0.35,
        },
    }[role]


def _outline_features(
    session: Session, district_id: int | None
) -> tuple[list[dict[str, Any]], Any]:
    """Outlines of the chosen district, the areas directly inside it, and its neighbours."""
    children = access.district_children(session)
    parent_of = {child: parent for parent, kids in children.items() for child in kids}
    if district_id is None:
        chosen, inner, neighbours = children.get(None, []), [], []
    else:
        chosen = [district_id]
        inner = children.get(district_id, [])
        neighbours = [d for d in children.get(parent_of.get(district_id), []) if d != district_id]
    roles = (
        {d: "chosen" for d in chosen}
        | {d: "inner" for d in inner}
        | {d: "neighbour" for d in neighbours}
    )
    features = []
    bounds = None
    for info, geom in access.district_outlines(session, list(roles)):
        if geom is None:
            continue
        role = roles[info.id]
        if role == "chosen":
            bounds = geom if bounds is None else shapely.union(bounds, geom)
        features.append(
            {
                "type": "Feature",
                "geometry": shapely.geometry.mapping(geom),
                "properties": {
                    "style": _outline_style(role) | {"className": f"lsmap-outline-{role}"},
                    "tooltip": html_text(info.name) if role != "chosen" else "",
                },
            }
        )
    order = {"neighbour": 0, "inner": 1, "chosen": 2}  # draw the chosen outline on top
    features.sort(key=lambda f: order[f["properties"]["style"]["className"].rsplit("-", 1)[1]])
    return features, bounds


#: Households with at most this many watchers are "thinly watched".
FEW_WATCHERS = 1


def _keep_few_watchers(points: dict[str, list[Any]]) -> None:
    """Keep only thinly watched households, and the lines that reach them."""
    households = [p for p in points.get("households", []) if p.watcher_count <= FEW_WATCHERS]
    kept = {p.id for p in households}
    if "households" in points:
        points["households"] = households
    if "links" in points:
        points["links"] = [line for line in points["links"] if line.household_id in kept]


def render_map(
    specs: list[LayerSpec],
    points: dict[str, list[Any]],
    outlines: list[dict[str, Any]],
    bounds: Any,
    *,
    basemap: str = "gsi",
    height: str = "100%",
    meeting_mode: bool = False,
) -> folium.Map:
    """Draw already-projected layer data (no database access: the benchmark calls this)."""
    fmap = base_map(basemap, height)
    boundary_group = folium.FeatureGroup(name="地区の境界", control=False)
    GeoJsonLayer(outlines).add_to(boundary_group)
    boundary_group.add_to(fmap)
    for spec in specs:
        items = points.get(spec.key, [])
        group = folium.FeatureGroup(name=f"{spec.title}（{len(items)}）", show=True)
        PointLayer(layer_payload(spec, items, meeting_mode=meeting_mode)).add_to(group)
        group.add_to(fmap)
    fmap.get_root().header.add_child(folium.Element(NUMBER_CSS))
    folium.LayerControl(collapsed=True, position="topright").add_to(fmap)
    Legend(_legend_html(specs, {key: len(items) for key, items in points.items()})).add_to(fmap)
    if bounds is not None:
        minx, miny, maxx, maxy = bounds.bounds
        fmap.fit_bounds([[miny, minx], [maxy, maxx]])
    return fmap


def fetch_layers(
    session: Session, actor: Actor, district_id: int | None, *, few_watchers_only: bool = False
) -> dict[str, list[Any]]:
    """Each of the actor's layers' items, from its access-module query (no rendering)."""
    points = {
        spec.key: list(spec.fetch(session, actor, district_id)) for spec in layers_for(actor.role)
    }
    if few_watchers_only:
        _keep_few_watchers(points)
    return points


def build_map(
    session: Session,
    actor: Actor,
    district_id: int | None,
    *,
    basemap: str = "gsi",
    height: str = "100%",
    meeting_mode: bool = False,
    few_watchers_only: bool = False,
) -> MapResult:
    """The map of ``district_id`` (None: everything in scope) as ``actor`` may see it.

    Every point comes from the layer's access-module query; rendering personal layers is
    audited with the ids shown. ``meeting_mode`` draws households as numbers and keeps
    names out of the map (the name list is shown apart, on request); ``few_watchers_only``
    keeps only households with 0 or 1 watcher (and their lines).
    """
    specs = layers_for(actor.role)
    overview = _overview_if_too_many(session, actor, district_id, basemap=basemap, height=height)
    if overview is not None:
        return overview
    points = fetch_layers(session, actor, district_id, few_watchers_only=few_watchers_only)
    outlines, bounds = _outline_features(session, district_id)
    fmap = render_map(
        specs, points, outlines, bounds, basemap=basemap, height=height, meeting_mode=meeting_mode
    )
    result = MapResult(map=fmap, points=points)
    personal = [spec.key for spec in specs if spec.personal]
    if personal:
        audit.log(
            session,
            actor,
            "map_render",
            "household",
            result.household_ids,
            district_id=district_id,
            layers=personal,
            meeting_mode=meeting_mode,
            few_watchers_only=few_watchers_only,
        )
    return result


def _overview_if_too_many(
    session: Session, actor: Actor, district_id: int | None, *, basemap: str, height: str
) -> MapResult | None:
    """The shaded overview when the area holds more households than a browser draws quickly."""
    from lsmap.maps.overview import DETAIL_LIMIT, DistrictCounts, overview_map

    counts = access.household_counts_by_district(session, actor, district_id)
    if sum(total for total, _ in counts.values()) <= DETAIL_LIMIT:
        return None
    children = access.district_children(session)
    parent_of = {child: parent for parent, kids in children.items() for child in kids}
    shown = children.get(district_id, []) or [district_id]
    ancestor: dict[int, int] = {}
    for leaf in counts:  # roll each finest district up to the shown district above it
        current: int | None = leaf
        while current is not None and current not in shown:
            current = parent_of.get(current)
        if current is not None:
            ancestor[leaf] = current
    outlines = access.district_outlines(session, shown)
    ids = np.array([info.id for info, geom in outlines if geom is not None])
    households = {i: 0 for i in ids.tolist()}
    no_watcher = dict(households)
    for leaf, (total, unwatched) in counts.items():
        if leaf in ancestor and ancestor[leaf] in households:
            households[ancestor[leaf]] += total
            no_watcher[ancestor[leaf]] += unwatched
    data = DistrictCounts(
        ids=ids,
        names=[info.name for info, geom in outlines if geom is not None],
        geometries=np.asarray([geom for _, geom in outlines if geom is not None], dtype=object),
        households=np.array([households[i] for i in ids.tolist()]),
        no_watcher=np.array([no_watcher[i] for i in ids.tolist()]),
        resources=np.zeros(len(ids), dtype=int),
    )
    audit.log(
        session,
        actor,
        "map_render",
        "district",
        ids.tolist(),
        district_id=district_id,
        layers=["overview"],
    )
    return MapResult(map=overview_map(data, basemap=basemap, height=height), points={})
