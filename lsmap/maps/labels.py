"""Names on the map: 町丁目 and 地区 labels, landmark names, and choropleth labels.

Each area's name stands at its pole of inaccessibility (the inside point farthest from the
edge), large enough to read on a projector. A label is shown only from the zoom at which
it fits inside its area; the chosen area's own name shows while the finer names inside it
are still hidden, so zooming out swaps 町丁目 names for the 地区 name. Landmarks (station,
schools, parks, the river, public buildings) get small names when zoomed in.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from branca.element import MacroElement
from jinja2 import Template
from shapely.geometry.base import BaseGeometry
from shapely.ops import polylabel

from lsmap.escape import html_text
from lsmap.maps.payload import script_json
from lsmap.maps.placement import MERCATOR_RESOLUTION, mercator

#: Font sizes in pixels by the area's part of the map.
FONT_PX = {"chosen": 22, "inner": 17, "neighbour": 15, "landmark": 12}
#: A label may be this much wider than its area's inscribed circle is across.
FIT_FACTOR = 2.4
#: Landmark names appear from this zoom on.
LANDMARK_ZOOM = 15.5
MAX_ZOOM = 19.0


@dataclass(frozen=True)
class MapLabel:
    """One name drawn on the map (``text`` is plain; escaping happens where it is drawn)."""

    text: str
    lon: float
    lat: float
    part: str  # chosen, inner, neighbour or landmark
    min_zoom: float
    max_zoom: float = MAX_ZOOM
    #: Other spots inside the area, best first, in case markers crowd the first one.
    alternatives: tuple[tuple[float, float], ...] = ()

    def box_px(self) -> tuple[float, float]:
        """Width and height of the drawn label in pixels (its halo included)."""
        font = FONT_PX[self.part]
        return text_width_px(self.text, font) + 8, font * 1.35

    def moved_to(self, lon: float, lat: float) -> MapLabel:
        """This label at another spot (its alternatives used up)."""
        return dataclasses.replace(self, lon=lon, lat=lat, alternatives=())


def _largest_part(geom: BaseGeometry) -> BaseGeometry:
    parts = [g for g in getattr(geom, "geoms", [geom]) if g.area > 0]
    return max(parts, key=lambda g: g.area) if parts else geom


def label_point(geom: BaseGeometry) -> tuple[float, float, float]:
    """(lon, lat, inscribed radius in Web-Mercator metres) of the best spot for a name."""
    part = _largest_part(geom)
    if part.geom_type != "Polygon":
        point = part.representative_point()
        return point.x, point.y, 0.0

    def to_mercator(xy: np.ndarray) -> np.ndarray:
        x, y = mercator(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    metric = shapely.transform(part, to_mercator)
    tolerance = max(1.0, math.sqrt(metric.area) / 200)
    spot = polylabel(metric, tolerance=tolerance)
    radius = float(metric.exterior.distance(spot))
    radius = min([radius, *(ring.distance(spot) for ring in metric.interiors)])
    inside = part.representative_point() if not metric.contains(spot) else None
    if inside is not None:
        return inside.x, inside.y, 0.0
    lon = math.degrees(spot.x / 6378137.0)
    lat = math.degrees(2 * math.atan(math.exp(spot.y / 6378137.0)) - math.pi / 2)
    return lon, lat, radius


def spots_inside(
    geom: BaseGeometry, first: tuple[float, float], count: int = 12
) -> tuple[tuple[float, float], ...]:
    """Points on a ``count`` × ``count`` grid inside ``geom``, nearest to ``first`` first."""
    part = _largest_part(geom)
    minx, miny, maxx, maxy = part.bounds
    grid_x, grid_y = np.meshgrid(np.linspace(minx, maxx, count), np.linspace(miny, maxy, count))
    xs, ys = grid_x.ravel(), grid_y.ravel()
    inside = shapely.contains_xy(part, xs, ys)
    order = np.argsort(np.hypot(xs - first[0], ys - first[1]))
    return tuple((float(xs[i]), float(ys[i])) for i in order if inside[i])


def settle_labels(
    labels: list[MapLabel],
    lons: np.ndarray,
    lats: np.ndarray,
    zoom: float,
    marker_px: float,
) -> list[MapLabel]:
    """Move each label that has alternatives to the spot (nearest its best one) that the
    fewest points (markers of ``marker_px`` at ``zoom``) would cover."""
    if len(lons) == 0:
        return labels
    px, py = mercator(np.asarray(lons, dtype=float), np.asarray(lats, dtype=float))
    metres = MERCATOR_RESOLUTION / 2.0**zoom
    settled = []
    for label in labels:
        if not label.alternatives:
            settled.append(label)
            continue
        width, height = label.box_px()
        half_w = (width + marker_px) / 2 * metres
        half_h = (height + marker_px) / 2 * metres
        best, best_count = (label.lon, label.lat), None
        for lon, lat in ((label.lon, label.lat), *label.alternatives):
            (x,), (y,) = mercator(np.array([lon]), np.array([lat]))
            count = int(((np.abs(px - x) < half_w) & (np.abs(py - y) < half_h)).sum())
            if best_count is None or count < best_count:
                best, best_count = (lon, lat), count
            if count == 0:
                break
        settled.append(label.moved_to(*best))
    return settled


def text_width_px(text: str, font_px: float) -> float:
    """Rough rendered width: full-width characters one em, others half."""
    return sum(font_px if ord(c) > 0x2E80 else 0.55 * font_px for c in text)


def fit_min_zoom(text: str, font_px: float, radius: float) -> float:
    """The zoom from which a label of ``text`` fits an area of inscribed ``radius`` metres."""
    if radius <= 0:
        return MAX_ZOOM
    metres_per_px = FIT_FACTOR * 2 * radius / max(text_width_px(text, font_px), 1.0)
    return max(0.0, math.log2(MERCATOR_RESOLUTION / metres_per_px))


def area_labels(areas: list[tuple[str, str, BaseGeometry]]) -> list[MapLabel]:
    """Labels of ``(name, part, geometry)`` areas as the map outlines them (parts: chosen,
    inner, neighbour). The chosen area's name gives way to the inner names once they fit."""
    labels = []
    for name, part, geom in areas:
        if not name or geom is None or geom.is_empty:
            continue
        lon, lat, radius = label_point(geom)
        zoom = fit_min_zoom(name, FONT_PX[part], radius)
        spots = spots_inside(geom, (lon, lat))
        labels.append(MapLabel(name, lon, lat, part, zoom, alternatives=spots))
    inner = [label.min_zoom for label in labels if label.part == "inner"]
    if inner:
        swap = float(np.median(inner))
        labels = [
            dataclasses.replace(lb, min_zoom=0.0, max_zoom=swap) if lb.part == "chosen" else lb
            for lb in labels
        ]
    return labels


def landmark_labels(features: list[Any]) -> list[MapLabel]:
    """Names of named background features worth showing (not every street)."""
    labels = []
    seen: set[str] = set()
    for feature in features:
        if not feature.name or feature.name in seen:
            continue
        if feature.kind == "roads" or (feature.kind == "buildings" and not feature.subkind):
            continue
        seen.add(feature.name)
        part = _largest_part(feature.geom)
        if part.geom_type in ("LineString", "MultiLineString"):
            point = part.interpolate(0.5, normalized=True)
            lon, lat = point.x, point.y
        else:
            lon, lat, _ = label_point(part)
        labels.append(MapLabel(feature.name, lon, lat, "landmark", LANDMARK_ZOOM))
    return labels


def labels_payload(labels: list[MapLabel]) -> list[list[Any]]:
    """``[text, lon, lat, part, min_zoom, max_zoom]`` per label, text escaped for HTML."""
    return [
        [
            html_text(lb.text),
            round(lb.lon, 6),
            round(lb.lat, 6),
            lb.part,
            round(lb.min_zoom, 2),
            round(lb.max_zoom, 2),
        ]
        for lb in labels
    ]


#: How the names look: bold with a white halo, centred on their point, never clickable.
LABEL_CSS = """<style>
.lsmap-label { background: none; border: none; }
.lsmap-label span { position: absolute; transform: translate(-50%, -50%); white-space: nowrap;
  font-family: sans-serif; font-weight: bold; color: #1a1a1a; pointer-events: none;
  text-shadow: 0 0 3px #fff, 0 0 3px #fff, 0 0 4px #fff, 0 0 5px #fff; }
.lsmap-label-chosen span { font-size: 22px; color: #111; }
.lsmap-label-inner span { font-size: 17px; }
.lsmap-label-neighbour span { font-size: 15px; color: #616161; }
.lsmap-label-landmark span { font-size: 12px; font-weight: normal; color: #3f3f3f; }
</style>"""
LABEL_MARK = "/*lsmap-labels*/"


class LabelLayer(MacroElement):
    """Names drawn in their own pane above the outlines and lines, below the markers;
    each shown only between its zooms."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function (m, labels) {
            if (!m.getPane("lsmap-labels")) {
                var pane = m.createPane("lsmap-labels");
                pane.style.zIndex = 450;
                pane.style.pointerEvents = "none";
            }
            var items = labels.map(function (l) {
                return {min: l[4], max: l[5], shown: false, marker: L.marker([l[2], l[1]], {
                    pane: "lsmap-labels", interactive: false, keyboard: false,
                    icon: L.divIcon({className: "lsmap-label lsmap-label-" + l[3],
                                     html: "<span>" + l[0] + "</span>", iconSize: [0, 0]})})};
            });
            function update() {
                var z = m.getZoom();
                items.forEach(function (it) {
                    var show = z >= it.min && z < it.max;
                    if (show && !it.shown) { it.marker.addTo(m); }
                    if (!show && it.shown) { m.removeLayer(it.marker); }
                    it.shown = show;
                });
            }
            m.on("zoomend", update);
            m.whenReady(update);
        })({{ this._parent.get_name() }}, {{ this.mark }}{{ this.json }});
        {% endmacro %}
        """
    )

    def __init__(self, labels: list[MapLabel]) -> None:
        super().__init__()
        self._name = "LabelLayer"
        self.labels = labels
        self.json = script_json(labels_payload(labels))
        self.mark = LABEL_MARK


def sent_labels(html: str) -> list[list[Any]]:
    """Every label a rendered map sends: ``[text, lon, lat, part, min_zoom, max_zoom]``."""
    import json
    import re

    decoder = json.JSONDecoder()
    found: list[list[Any]] = []
    for match in re.finditer(re.escape(LABEL_MARK), html):
        found.extend(decoder.raw_decode(html, match.end())[0])
    return found


class AreaLabels(MacroElement):
    """Non-interactive labels: ``(lat, lon, first line, second line)``; text is escaped."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function (map, labels) {
            labels.forEach(function (l) {
                L.marker([l[0], l[1]], {interactive: false, keyboard: false, icon: L.divIcon({
                    className: "lsmap-area-label", iconSize: null,
                    html: '<div style="transform:translate(-50%,-50%);white-space:nowrap;' +
                          'text-align:center;font:600 13px/1.25 sans-serif;color:#111;' +
                          'text-shadow:0 0 3px #fff,0 0 3px #fff,0 0 3px #fff">' +
                          l[2] + (l[3] ? '<br><span style="font-weight:400">' + l[3] +
                          '</span>' : '') + '</div>'
                })}).addTo(map);
            });
        })({{ this._parent.get_name() }}, {{ this.labels|tojson }});
        {% endmacro %}
        """
    )

    def __init__(self, labels: list[tuple[float, float, str, str]]) -> None:
        super().__init__()
        self._name = "AreaLabels"
        self.labels: list[Any] = [
            [round(lat, 6), round(lon, 6), html_text(name), html_text(value)]
            for lat, lon, name, value in labels
        ]
