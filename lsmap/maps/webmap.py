"""Building the district map (folium) from the layer definitions and the access module.

Each layer is sent to the browser as one GeoJSON FeatureCollection whose popups and
tooltips are escaped here, on the server; Leaflet is served from the app's own static
folder, so the map works with no internet (GSI tiles are optional).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

import folium
import numpy as np
from branca.element import Figure
from sqlalchemy.orm import Session

from layers import layers_for
from layers.spec import LayerSpec
from lsmap import access
from lsmap.access import Actor, Area
from lsmap.access.basemap import background_features
from lsmap.access.issues import households_with_issues
from lsmap.access.watcher_places import unlocated_watcher_count
from lsmap.escape import html_text
from lsmap.maps.areas import MapAreas, map_areas
from lsmap.maps.background import LEGEND_ITEMS, STYLES, BackgroundLayer, background_payload
from lsmap.maps.basemap import FitBesideLegend, GeoJsonLayer, Legend, add_number_css, base_map
from lsmap.maps.labels import (
    LABEL_CSS,
    LabelLayer,
    MapLabel,
    area_labels,
    landmark_labels,
    settle_labels,
)
from lsmap.maps.payload import NUMBER_SIZE, PointLayer, layer_payload
from lsmap.maps.placement import fit_zoom
from lsmap.storage import audit
from lsmap.vocab import AuditAction, Entity


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


def _background_legend(background: dict[str, Any] | None) -> str:
    """Legend rows of the background layers that are on the map."""
    if not background:
        return ""
    present = set(background["styles"])
    rows = []
    for key, caption in LEGEND_ITEMS:
        if key not in present:
            continue
        style = STYLES[key]
        if "fillColor" in style:
            mark = (
                f'<span style="display:inline-block;width:14px;height:10px;margin-right:6px;'
                f"vertical-align:middle;background:{style['fillColor']};"
                f'border:1px solid {style["color"]}"></span>'
            )
        else:
            under = style.get("under", {}).get("color", style["color"])
            mark = (
                f'<span style="display:inline-block;width:16px;border-top:5px solid {under};'
                'margin-right:6px;vertical-align:middle"></span>'
            )
        rows.append(f"<div>{mark}{caption}</div>")
    if not rows:
        return ""
    return (
        '<div style="margin-top:4px;color:#555">背景</div>'
        '<div style="display:grid;grid-template-columns:repeat(2,auto);column-gap:10px">'
        f"{''.join(rows)}</div>"
    )


def _legend_html(
    specs: list[LayerSpec],
    counts: dict[str, int],
    background: dict[str, Any] | None = None,
    unlocated_watchers: int = 0,
) -> str:
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
        if spec.key == "watchers" and unlocated_watchers:
            lines.append(
                f'<div style="margin-left:12px">位置未設定の見守り者 {unlocated_watchers} 人</div>'
            )
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
                '<div style="margin-left:12px;display:grid;'
                f"grid-template-columns:repeat({columns},auto);"
                f'column-gap:10px">{"".join(notes)}</div>'
            )
    lines.append(
        '<div><span style="display:inline-block;width:14px;border-top:3px solid #252525;'
        'margin-right:6px;vertical-align:middle"></span>表示中の地区の境界</div>'
    )
    lines.append(_background_legend(background))
    style = (
        "background:rgba(255,255,255,0.92);padding:8px 10px;border-radius:6px;"
        "font-size:13px;line-height:1.6;box-shadow:0 1px 4px rgba(0,0,0,.3)"
    )
    return (
        f'<details open style="{style}">'
        '<summary style="font-weight:bold;cursor:pointer">凡例</summary>'
        f"{''.join(lines)}</details>"
    )


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


#: The viewport the opening zoom is worked out for: the map column of a wide page, less
#: the open legend on its left (see :class:`lsmap.maps.basemap.FitBesideLegend`).
VIEWPORT_PX = (1000 - 230, 640 - 20)
ZOOM_SNAP = 0.25
#: The background reaches this share of the district's size beyond it on every side.
BACKGROUND_MARGIN = 0.6


def opening_zoom(bounds: Any) -> float | None:
    """The zoom at which the map opens on ``bounds`` (Leaflet's fitBounds in the usual
    viewport); None without bounds."""
    if bounds is None:
        return None
    return min(18.0, fit_zoom(bounds.bounds, *VIEWPORT_PX, ZOOM_SNAP))


def render_map(
    specs: list[LayerSpec],
    points: dict[str, list[Any]],
    outlines: list[dict[str, Any]],
    bounds: Any,
    *,
    basemap: str = "local",
    height: str = "100%",
    meeting_mode: bool = False,
    labels: Sequence[MapLabel] = (),
    background: dict[str, Any] | None = None,
    unlocated_watchers: int = 0,
) -> folium.Map:
    """Draw already-projected layer data (no database access: the benchmark calls this):
    the background under everything, outlines, the layers, names, legend (which counts the
    ``unlocated_watchers`` not drawn)."""
    drawn = background is not None and bool(background["layers"])
    credit = "、".join(background["credits"]) if background and drawn else ""
    fmap = base_map(basemap, height, blank_credit=credit or "背景地図なし")
    if background is not None and drawn:
        group = folium.FeatureGroup(name="背景地図（道路・鉄道・川など）", show=True)
        BackgroundLayer(background).add_to(group)
        group.add_to(fmap)
    boundary_group = folium.FeatureGroup(name="地区の境界", control=False)
    GeoJsonLayer(outlines).add_to(boundary_group)
    boundary_group.add_to(fmap)
    zoom = opening_zoom(bounds)
    boxes = [(lb.lon, lb.lat, *lb.box_px(), lb.min_zoom, lb.max_zoom) for lb in labels]
    for spec in specs:
        items = points.get(spec.key, [])
        group = folium.FeatureGroup(name=f"{spec.title}（{len(items)}）", show=True)
        payload = layer_payload(
            spec, items, meeting_mode=meeting_mode, opening_zoom=zoom, labels=boxes
        )
        PointLayer(payload).add_to(group)
        group.add_to(fmap)
    figure = cast(Figure, fmap.get_root())
    add_number_css(figure)
    if labels:
        figure.header.add_child(folium.Element(LABEL_CSS))
        LabelLayer(list(labels)).add_to(fmap)
    folium.LayerControl(collapsed=True, position="topright").add_to(fmap)
    counts = {key: len(items) for key, items in points.items()}
    Legend(_legend_html(specs, counts, background, unlocated_watchers)).add_to(fmap)
    if bounds is not None:
        FitBesideLegend(bounds.bounds).add_to(fmap)
    return fmap


def map_labels(
    areas: MapAreas, features: list[Any], points: dict[str, list[Any]], bounds: Any
) -> list[MapLabel]:
    """Area and landmark names; area names move to where the fewest points would cover
    them at the opening zoom."""
    labels = area_labels(areas.named) + landmark_labels(features)
    zoom = opening_zoom(bounds)
    located = [p for items in points.values() for p in items if hasattr(p, "lon")]
    if zoom is None or not located:
        return labels
    lons = np.array([p.lon for p in located])
    lats = np.array([p.lat for p in located])
    return settle_labels(labels, lons, lats, zoom, NUMBER_SIZE)


def map_background(
    session: Session, actor: Actor, bounds: Any, basemap: str
) -> tuple[dict[str, Any] | None, list[Any]]:
    """The imported background around ``bounds`` as the browser receives it, and the
    features it holds (for landmark names); (None, []) unless ``basemap`` is "local"."""
    if basemap != "local" or bounds is None:
        return None, []
    area = expanded(bounds.bounds, BACKGROUND_MARGIN)
    features = background_features(session, actor, area)
    if not features:
        return None, []
    return background_payload(features, area, opening_zoom(bounds) or 15.0), features


def expanded(
    bounds: tuple[float, float, float, float], share: float
) -> tuple[float, float, float, float]:
    """``bounds`` grown by ``share`` of its larger side on every side."""
    minx, miny, maxx, maxy = bounds
    pad = share * max(maxx - minx, maxy - miny)
    return minx - pad, miny - pad, maxx + pad, maxy + pad


def fetch_layers(
    session: Session,
    actor: Actor,
    where: Area | int | None,
    *,
    few_watchers_only: bool = False,
    issues: Collection[str] = (),
) -> dict[str, list[Any]]:
    """Each of the actor's layers' items, from its access-module query (no rendering).

    ``where`` is the map's :class:`~lsmap.access.Area` (or a district id, None: all in
    scope); every layer reads the same area, so the district tree is read once. ``issues``
    keeps only the households with any of those 課題 (that the actor may see).
    """
    area = where if isinstance(where, Area) else access.area_for(session, where)
    points = {spec.key: list(spec.fetch(session, actor, area)) for spec in layers_for(actor)}
    if few_watchers_only:
        _keep_few_watchers(points)
    if issues and "households" in points:
        ids = [p.id for p in points["households"]]
        kept = households_with_issues(session, actor, ids, issues)
        _keep_households(points, kept)
    return points


def _keep_households(points: dict[str, list[Any]], kept: set[int]) -> None:
    """Keep only the households ``kept``, and the lines that reach them."""
    points["households"] = [p for p in points.get("households", []) if p.id in kept]
    if "links" in points:
        points["links"] = [line for line in points["links"] if line.household_id in kept]


def build_map(
    session: Session,
    actor: Actor,
    district_id: int | None,
    *,
    basemap: str = "local",
    height: str = "100%",
    meeting_mode: bool = False,
    few_watchers_only: bool = False,
    issues: Collection[str] = (),
) -> MapResult:
    """The map of ``district_id`` (None: everything in scope) as ``actor`` may see it.

    Every point comes from the layer's access-module query; rendering personal layers is
    audited with the ids shown. ``meeting_mode`` draws households as numbers and keeps
    names out of the map (the name list is shown apart, on request); ``few_watchers_only``
    keeps only households with 0 or 1 watcher (and their lines).
    """
    specs = layers_for(actor)
    area = access.area_for(session, district_id)  # the district tree, read once per render
    overview = _overview_if_too_many(session, actor, area, basemap=basemap, height=height)
    if overview is not None:
        return overview
    points = fetch_layers(session, actor, area, few_watchers_only=few_watchers_only, issues=issues)
    areas = map_areas(session, area)
    background, features = map_background(session, actor, areas.bounds, basemap)
    fmap = render_map(
        specs,
        points,
        areas.outlines,
        areas.bounds,
        basemap=basemap,
        height=height,
        meeting_mode=meeting_mode,
        labels=map_labels(areas, features, points, areas.bounds),
        background=background,
        unlocated_watchers=(
            unlocated_watcher_count(session, actor, area) if "watchers" in points else 0
        ),
    )
    result = MapResult(map=fmap, points=points)
    personal = [spec.key for spec in specs if spec.personal]
    if personal:
        audit.log(
            session,
            actor,
            AuditAction.MAP_RENDER,
            Entity.HOUSEHOLD,
            result.household_ids,
            district_id=district_id,
            layers=personal,
            meeting_mode=meeting_mode,
            few_watchers_only=few_watchers_only,
        )
    return result


def _overview_if_too_many(
    session: Session, actor: Actor, area: Area, *, basemap: str, height: str
) -> MapResult | None:
    """The shaded overview when the area holds more households than a browser draws quickly."""
    from lsmap.maps.overview import DETAIL_LIMIT, DistrictCounts, overview_map

    district_id = area.district_id
    counts = access.household_counts_by_district(session, actor, area)
    if sum(total for total, _ in counts.values()) <= DETAIL_LIMIT:
        return None
    shown = list(area.tree.children_of(district_id))
    if not shown and district_id is not None:
        shown = [district_id]
    targets, ancestor = set(shown), {}
    for leaf in counts:  # roll each finest district up to the shown district above it
        above = area.tree.nearest_in(leaf, targets)
        if above is not None:
            ancestor[leaf] = above
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
        AuditAction.MAP_RENDER,
        Entity.DISTRICT,
        ids.tolist(),
        district_id=district_id,
        layers=["overview"],
    )
    return MapResult(map=overview_map(data, basemap=basemap, height=height), points={})
