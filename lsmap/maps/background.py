"""The offline background map on screen: imported roads, railways, rivers, buildings, parks
and schools drawn under the points, and a local tile folder when one was exported.

Features come from :mod:`lsmap.access.basemap` for the map's area (with a margin), clipped
to it and simplified to half a pixel three zoom steps beyond the opening view (Leaflet
simplifies further per zoom as it draws). They are drawn on one canvas in a pane between
the tiles and the outlines, never interactive; minor roads and buildings appear only when
zoomed in, and road widths follow the zoom. The credit lines go into the map's
attribution (see :func:`lsmap.maps.basemap.base_map`). Nothing here is fetched from
outside the app.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import shapely
from branca.element import MacroElement
from jinja2 import Template
from shapely.geometry import mapping
from shapely.geometry.base import BaseGeometry

from lsmap.access.basemap import BackgroundFeature
from lsmap.escape import html_text
from lsmap.maps.payload import script_json
from lsmap.maps.placement import pixel_size

BACKGROUND_MARK = "/*lsmap-background*/"
#: Screen styles by (kind, subkind, shape): Leaflet path options, plus ``min`` (the zoom
#: from which it shows), ``scale`` (width follows the zoom) and ``under`` (a casing drawn
#: first, for main roads and railways).
_AREA = {"weight": 1, "fillOpacity": 1.0}
STYLES: dict[str, dict[str, Any]] = {
    "parks": {**_AREA, "color": "#a1d99b", "fillColor": "#d9f0d3", "min": 12},
    "schools": {**_AREA, "color": "#cdb98f", "fillColor": "#f3ead3", "min": 12},
    "rivers:area": {**_AREA, "color": "#6baed6", "fillColor": "#b9d9ef", "min": 0},
    "rivers:line": {"color": "#6baed6", "weight": 4, "min": 0, "scale": True},
    "rivers:stream": {"color": "#6baed6", "weight": 2, "min": 14, "scale": True},
    "roads:main": {
        "color": "#fbe3b0",
        "weight": 6,
        "min": 0,
        "scale": True,
        "under": {"color": "#c7a46a", "weight": 8},
    },
    "roads:local": {
        "color": "#ffffff",
        "weight": 4,
        "min": 14,
        "scale": True,
        "under": {"color": "#c9c9c9", "weight": 5.5},
    },
    "roads:area": {**_AREA, "color": "#d0d0d0", "fillColor": "#ffffff", "min": 14},
    "railways:rail": {
        "color": "#ffffff",
        "weight": 2,
        "dashArray": "7 7",
        "min": 0,
        "scale": False,
        "under": {"color": "#4d4d4d", "weight": 4},
    },
    "railways:station": {**_AREA, "color": "#4d4d4d", "fillColor": "#bdbdbd", "min": 0},
    "buildings": {**_AREA, "color": "#b8aca2", "weight": 0.6, "fillColor": "#e3dcd5", "min": 15},
    "buildings:public": {**_AREA, "color": "#9e8f83", "fillColor": "#d5c8bc", "min": 13},
}
#: The background's own outline colour under the map (shown in the legend).
LEGEND_ITEMS = (
    ("roads:main", "主な道路"),
    ("railways:rail", "鉄道"),
    ("rivers:area", "川"),
    ("parks", "公園"),
    ("schools", "学校"),
)


def style_key(feature: BackgroundFeature) -> str:
    """Which of :data:`STYLES` draws ``feature``."""
    shape = feature.geom.geom_type
    line = "Line" in shape
    if feature.kind == "rivers":
        return (
            "rivers:stream"
            if feature.subkind == "stream"
            else ("rivers:line" if line else "rivers:area")
        )
    if feature.kind == "roads":
        if not line:
            return "roads:area"
        return "roads:main" if feature.subkind == "main" else "roads:local"
    if feature.kind == "railways":
        return "railways:station" if feature.subkind == "station" or not line else "railways:rail"
    if feature.kind == "buildings" and feature.subkind == "public":
        return "buildings:public"
    return feature.kind


def _round(geom: BaseGeometry) -> dict[str, Any]:
    return mapping(shapely.set_precision(geom, 1e-6, mode="pointwise"))


def background_payload(
    features: Sequence[BackgroundFeature],
    bounds: tuple[float, float, float, float],
    zoom: float,
) -> dict[str, Any]:
    """What the browser receives: GeoJSON collections per style (in drawing order), the
    styles and the credit lines. Features are clipped to ``bounds`` and simplified for the
    opening ``zoom``."""
    tolerance = pixel_size(zoom + 3) / 2 / 111_000  # half a pixel, in degrees
    groups: dict[str, list[dict[str, Any]]] = {}
    credits: list[str] = []
    for feature in features:
        geom = shapely.clip_by_rect(feature.geom, *bounds)
        if geom.is_empty:
            continue
        geom = shapely.simplify(geom, tolerance, preserve_topology=True)
        key = style_key(feature)
        groups.setdefault(key, []).append(
            {"type": "Feature", "geometry": _round(geom), "properties": {}}
        )
        if feature.credit and feature.credit not in credits:
            credits.append(feature.credit)
    order = list(STYLES)
    layers = [
        {"style": key, "features": groups[key]}
        for key in sorted(groups, key=lambda k: order.index(k) if k in order else len(order))
    ]
    return {
        "styles": {key: STYLES[key] for key in groups if key in STYLES},
        "layers": layers,
        "credits": [html_text(credit) for credit in credits],
    }


class BackgroundLayer(MacroElement):
    """The background drawn from :func:`background_payload` on a canvas under the overlays."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function (m, parent, d) {
            if (!m.getPane("lsmap-background")) {
                m.createPane("lsmap-background").style.zIndex = 250;
            }
            var renderer = L.canvas({pane: "lsmap-background", padding: 0.2});
            var drawn = [];
            d.layers.forEach(function (layer) {
                var s = d.styles[layer.style] || {};
                var passes = s.under ? [Object.assign({}, s, s.under), s] : [s];
                passes.forEach(function (style) {
                    var options = Object.assign({}, style, {renderer: renderer,
                        interactive: false, pane: "lsmap-background"});
                    delete options.under; delete options.min; delete options.scale;
                    var g = new L.GeoJSON({type: "FeatureCollection", features: layer.features}, {
                        style: function () { return options; },
                        pointToLayer: function (f, latlng) {
                            return L.circleMarker(latlng, Object.assign({radius: 4}, options));
                        }
                    });
                    drawn.push({layer: g, min: s.min || 0, scale: s.scale,
                                weight: style.weight || 1, shown: false});
                });
            });
            function update() {
                var z = m.getZoom();
                var factor = Math.min(1.6, Math.max(0.35, Math.pow(2, (z - 16) / 2)));
                drawn.forEach(function (item) {
                    var show = z >= item.min;
                    if (show && !item.shown) { parent.addLayer(item.layer); }
                    if (!show && item.shown) { parent.removeLayer(item.layer); }
                    item.shown = show;
                    if (show && item.scale) { item.layer.setStyle({weight: item.weight * factor}); }
                });
            }
            m.on("zoomend", update);
            m.whenReady(update);
        })({{ this._parent._parent.get_name() }}, {{ this._parent.get_name() }},
           {{ this.mark }}{{ this.json }});
        {% endmacro %}
        """
    )

    def __init__(self, payload: dict[str, Any]) -> None:
        super().__init__()
        self._name = "BackgroundLayer"
        self.data = payload
        self.json = script_json(payload)
        self.mark = BACKGROUND_MARK


def sent_background(html: str) -> list[dict[str, Any]]:
    """The background payloads a rendered map sends (for tests and checks)."""
    import re

    decoder = json.JSONDecoder()
    return [
        decoder.raw_decode(html, match.end())[0]
        for match in re.finditer(re.escape(BACKGROUND_MARK), html)
    ]


# ---------------------------------------------------------------- local tiles

#: Where an exported tile set lives (served by Streamlit at /app/static/tiles/basemap/).
TILES_URL = "/app/static/tiles/basemap/{z}/{x}/{y}.{ext}"


def tiles_dir() -> Path:
    """The app's static tile folder (beside app.py: static/tiles/basemap)."""
    return Path(__file__).resolve().parents[2] / "static" / "tiles" / "basemap"


def local_tiles() -> dict[str, Any] | None:
    """The exported tile set's description (``tiles.json``), or None when there is none."""
    meta = tiles_dir() / "tiles.json"
    if not meta.is_file():
        return None
    try:
        info = json.loads(meta.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return info if isinstance(info, dict) and info.get("format") in ("png", "jpg", "webp") else None
