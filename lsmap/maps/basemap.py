"""The map's ground: an offline Leaflet map, the optional GSI basemap, outlines and legend.

Everything here is public drawing machinery shared by the district map, the overview, the
coverage choropleth and the small placement maps; no data is read here.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import folium
from branca.element import MacroElement
from jinja2 import Template
from shapely.geometry.base import BaseGeometry

from lsmap.escape import html_text
from lsmap.maps.background import TILES_URL, local_tiles
from lsmap.maps.payload import NUMBER_CSS, NUMBER_ICON_JS, STATIC

GSI_TILES = "https://cyberjapandata.gsi.go.jp/xyz/pale/{z}/{x}/{y}.png"
#: A one-pixel off-white tile: the "no basemap" background, which needs no network.
BLANK_TILE = (
    "data:image/png;base64,"
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP49esHAAXeAu1bZGBTAAAAAElFTkSuQmCC"
)
GSI_ATTRIBUTION = (
    '<a href="https://maps.gsi.go.jp/development/ichiran.html" target="_blank">国土地理院</a>'
)


class OfflineMap(folium.Map):
    """A folium map that loads only Leaflet, from the app's own static files."""

    default_js = [("leaflet", f"{STATIC}/leaflet/leaflet.js")]
    default_css = [("leaflet_css", f"{STATIC}/leaflet/leaflet.css")]


class GeoJsonLayer(MacroElement):
    """A FeatureCollection drawn as circle markers or outlines, with pre-escaped popups."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        {{ this.number_icon_js }}
        var {{ this.get_name() }} = L.geoJSON({{ this.data|tojson }}, {
            pointToLayer: function (feature, latlng) {
                var p = feature.properties;
                if (p.label) {
                    return L.marker(latlng, {icon: lsmapNumberIcon(p.style, p.label, 30)});
                }
                return L.circleMarker(latlng, p.style);
            },
            style: function (feature) { return feature.properties.style; },
            onEachFeature: function (feature, layer) {
                var p = feature.properties;
                if (p.popup) {
                    layer.bindPopup(p.popup, {maxWidth: 340, autoPanPaddingTopLeft: [60, 70],
                                              autoPanPaddingBottomRight: [60, 40]});
                }
                if (p.tooltip) { layer.bindTooltip(p.tooltip, {sticky: true}); }
            }
        }).addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, features: list[dict[str, Any]]) -> None:
        super().__init__()
        self._name = "GeoJsonLayer"
        self.data = {"type": "FeatureCollection", "features": features}
        self.numbered = any(f["properties"].get("label") for f in features)
        self.number_icon_js = NUMBER_ICON_JS if self.numbered else ""

    def render(self, **kwargs: Any) -> Any:
        """Also style numbered markers, once per page."""
        if self.numbered:
            add_number_css(self.get_root())
        return super().render(**kwargs)


def add_number_css(root: Any) -> None:
    """The numbered markers' CSS in the page header (once, however many layers have them)."""
    root.header.add_child(folium.Element(NUMBER_CSS), name="lsmap_number_css")


class Legend(MacroElement):
    """The map's legend, a Leaflet control (so that it is also on exported maps)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.control({position: "bottomleft"});
        {{ this.get_name() }}.onAdd = function () {
            var div = L.DomUtil.create("div", "lsmap-legend");
            div.innerHTML = {{ this.html|tojson }};
            return div;
        };
        {{ this.get_name() }}.addTo({{ this._parent.get_name() }});
        // On a small screen (a phone) the legend starts folded, so it never hides the map.
        (function (map, control) {
            var details = control.getContainer().querySelector("details");
            if (details && Math.min(window.innerWidth, map.getSize().x) <= 600) {
                details.open = false;
            }
        })({{ this._parent.get_name() }}, {{ this.get_name() }});
        // While a popup is open the legend folds to its title, so it never covers the popup.
        (function (map, control) {
            var wasOpen = true;
            map.on("popupopen", function () {
                var details = control.getContainer().querySelector("details");
                if (details) { wasOpen = details.open; details.open = false; }
            });
            map.on("popupclose", function () {
                var details = control.getContainer().querySelector("details");
                if (details) { details.open = wasOpen; }
            });
        })({{ this._parent.get_name() }}, {{ this.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, html: str) -> None:
        super().__init__()
        self._name = "Legend"
        self.html = html


def fit_to(fmap: folium.Map, area: BaseGeometry | Sequence[float] | None) -> None:
    """Open ``fmap`` on ``area`` (a geometry, or west, south, east, north in degrees);
    nothing when it is unknown or empty."""
    if area is None:
        return
    west, south, east, north = (
        float(v) for v in (area.bounds if isinstance(area, BaseGeometry) else area)
    )
    if all(math.isfinite(v) for v in (west, south, east, north)):
        fmap.fit_bounds([[south, west], [north, east]])


class FitBesideLegend(MacroElement):
    """Open the map on ``bounds`` (west, south, east, north), kept clear of the legend
    when the screen is wide enough for the legend to start open."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function (map, b) {
            var wide = Math.min(window.innerWidth, map.getSize().x) > 600;
            map.fitBounds([[b[1], b[0]], [b[3], b[2]]], {
                paddingTopLeft: wide ? [230, 10] : [5, 5], paddingBottomRight: [10, 10]});
        })({{ this._parent.get_name() }}, {{ this.bounds|tojson }});
        {% endmacro %}
        """
    )

    def __init__(self, bounds: tuple[float, float, float, float]) -> None:
        super().__init__()
        self._name = "FitBesideLegend"
        self.bounds = [round(float(v), 6) for v in bounds]


class MetricScale(MacroElement):
    """Leaflet's scale bar in metres only (issue 12: no feet on a Japanese map)."""

    _template = Template(
        """{% macro script(this, kwargs) %}
        L.control.scale({imperial: false}).addTo({{ this._parent.get_name() }});
        {% endmacro %}"""
    )


def base_map(
    basemap: str = "local", height: str = "100%", blank_credit: str = "背景地図なし"
) -> folium.Map:
    """An empty offline map with a blank background: with ``basemap`` "gsi" the 地理院タイル
    (from the internet), with "local" an exported local tile set if there is one (served by
    the app itself), with "none" nothing else. ``blank_credit`` (escaped HTML) is the blank
    background's credit: the imported background's credit lines when one is drawn on it."""
    fmap = OfflineMap(
        location=[35.45, 139.4],
        zoom_start=14,
        tiles=None,
        height=height,
        control_scale=False,  # MetricScale: metres only (no feet)
        zoom_snap=0.25,
        zoom_delta=0.5,
    )
    MetricScale().add_to(fmap)
    if basemap == "gsi":
        folium.TileLayer(
            GSI_TILES, attr=GSI_ATTRIBUTION, name="地理院地図（淡色）", max_zoom=18
        ).add_to(fmap)
    tiles = local_tiles() if basemap == "local" else None
    if tiles is not None:
        folium.TileLayer(
            TILES_URL.format(z="{z}", x="{x}", y="{y}", ext=tiles["format"]),
            attr=html_text(str(tiles.get("credit", ""))),
            name="背景地図（タイル）",
            min_zoom=0,
            max_zoom=19,
            max_native_zoom=int(tiles.get("maxzoom", 18)),
        ).add_to(fmap)
    folium.TileLayer(
        BLANK_TILE,
        attr=blank_credit,
        name="背景なし（白地図）",
        show=basemap != "gsi" and tiles is None,
    ).add_to(fmap)
    return fmap
