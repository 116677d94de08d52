"""Building the district map (folium) from the layer definitions and the access module.

Each layer is sent to the browser as one GeoJSON FeatureCollection whose popups and
tooltips are escaped here, on the server; Leaflet is served from the app's own static
folder, so the map works with no internet (GSI tiles are optional).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import folium
import shapely
from branca.element import MacroElement
from jinja2 import Template
from sqlalchemy.orm import Session

from layers import layers_for
from lsmap import access, audit
from lsmap.access import Actor
from lsmap.escape import html_text
from lsmap.layerspec import LayerSpec

STATIC = "/app/static/vendor"
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
        var {{ this.get_name() }} = L.geoJSON({{ this.data|tojson }}, {
            pointToLayer: function (feature, latlng) {
                return L.circleMarker(latlng, feature.properties.style);
            },
            style: function (feature) { return feature.properties.style; },
            onEachFeature: function (feature, layer) {
                var p = feature.properties;
                if (p.popup) { layer.bindPopup(p.popup, {maxWidth: 340}); }
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


class Legend(MacroElement):
    """The map's legend, a Leaflet control (so that it is also on exported maps)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        var {{ this.get_name() }} = L.control({position: "bottomright"});
        {{ this.get_name() }}.onAdd = function () {
            var div = L.DomUtil.create("div", "lsmap-legend");
            div.innerHTML = {{ this.html|tojson }};
            return div;
        };
        {{ this.get_name() }}.addTo({{ this._parent.get_name() }});
        {% endmacro %}
        """
    )

    def __init__(self, html: str) -> None:
        super().__init__()
        self._name = "Legend"
        self.html = html


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


def _marker_style(spec: LayerSpec, point: Any) -> dict[str, Any]:
    style: dict[str, Any] = {
        "radius": spec.radius,
        "color": spec.color,
        "weight": 1.5,
        "fillColor": spec.fill_color,
        "fillOpacity": 0.85,
        "className": f"lsmap-{spec.key} lsmap-id-{point.id}",
    }
    if spec.point_style is not None:
        extra = spec.point_style(point)
        if "dash_array" in extra:
            extra["dashArray"] = extra.pop("dash_array")
        if "fill_opacity" in extra:
            extra["fillOpacity"] = extra.pop("fill_opacity")
        style.update(extra)
    return style


def popup_html(spec: LayerSpec, point: Any) -> str:
    """The escaped popup of one point: a small table and, for records, a link."""
    rows = []
    for caption, getter in spec.popup_rows:
        value = getter(point)
        if value is None or value == "":
            continue
        rows.append(f"<tr><th>{html_text(caption)}</th><td>{html_text(value)}</td></tr>")
    body = f'<table class="lsmap-popup">{"".join(rows)}</table>'
    if spec.record_link is not None and (href := spec.record_link(point)):
        body += (
            # Streamlit sandboxes the map's iframe without top navigation but lets popups
            # escape: the record opens in a new tab (signed in by the session cookie).
            f'<p><a class="lsmap-record-link" href="/{html_text(href)}" target="_blank" '
            'rel="noopener">見守り記録を開く（新しいタブ）</a></p>'
        )
    return f'<div class="lsmap-popup-{html_text(spec.key)}">{body}</div>'


def point_features(spec: LayerSpec, points: list[Any]) -> list[dict[str, Any]]:
    """GeoJSON features of a layer's points, with style, tooltip and popup."""
    return [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [round(p.lon, 6), round(p.lat, 6)]},
            "properties": {
                "id": p.id,
                "style": _marker_style(spec, p),
                "tooltip": html_text(spec.tooltip(p)),
                "popup": popup_html(spec, p),
            },
        }
        for p in points
    ]


def _legend_html(specs: list[LayerSpec], counts: dict[str, int]) -> str:
    def swatch(color: str, fill: str, weight: float = 1.5, dash: bool = False) -> str:
        border = f"{weight}px {'dashed' if dash else 'solid'} {color}"
        return (
            f'<span style="display:inline-block;width:12px;height:12px;border-radius:50%;'
            f'border:{border};background:{fill};margin-right:6px;vertical-align:middle"></span>'
        )

    lines = ['<div style="font-weight:bold;margin-bottom:4px">凡例</div>']
    for spec in specs:
        lines.append(
            f"<div>{swatch(spec.color, spec.fill_color)}{html_text(spec.title)}"
            f"（{counts.get(spec.key, 0)}）</div>"
        )
        for caption, note in spec.legend_notes:
            lines.append(
                '<div style="margin-left:12px">'
                f'{swatch(note["color"], note["fill_color"], note.get("weight", 1.5), note.get("dash", False))}'
                f"{html_text(caption)}</div>"
            )
    lines.append(
        '<div><span style="display:inline-block;width:14px;border-top:3px solid #252525;'
        'margin-right:6px;vertical-align:middle"></span>表示中の地区の境界</div>'
    )
    style = (
        "background:rgba(255,255,255,0.92);padding:8px 10px;border-radius:6px;"
        "font-size:13px;line-height:1.6;box-shadow:0 1px 4px rgba(0,0,0,.3)"
    )
    return f'<div style="{style}">{"".join(lines)}</div>'


def _outline_features(session: Session, district_id: int | None) -> tuple[list[dict[str, Any]], Any]:
    """Outline of the chosen district (bold) and of the areas directly inside it (thin)."""
    children = access.district_children(session)
    if district_id is None:
        chosen = children.get(None, [])
        inner: list[int] = []
    else:
        chosen = [district_id]
        inner = children.get(district_id, [])
    features = []
    bounds = None
    for info, geom in access.district_outlines(session, chosen + inner):
        if geom is None:
            continue
        bold = info.id in chosen
        if bold:
            bounds = geom if bounds is None else shapely.union(bounds, geom)
        features.append(
            {
                "type": "Feature",
                "geometry": shapely.geometry.mapping(geom),
                "properties": {
                    "style": {
                        "color": "#252525" if bold else "#737373",
                        "weight": 3 if bold else 1,
                        "fill": not bold,
                        "fillColor": "#ffffff",
                        "fillOpacity": 0.0 if bold else 0.05,
                        "dashArray": None if bold else "4 4",
                        "interactive": not bold,
                    },
                    "tooltip": html_text(info.name),
                },
            }
        )
    return features, bounds


def build_map(
    session: Session,
    actor: Actor,
    district_id: int | None,
    *,
    basemap: str = "gsi",
    height: str = "100%",
) -> MapResult:
    """The map of ``district_id`` (None: everything in scope) as ``actor`` may see it.

    Every point comes from the layer's access-module query; rendering personal layers is
    audited with the ids shown.
    """
    fmap = OfflineMap(
        location=[35.45, 139.4],
        zoom_start=14,
        tiles=None,
        height=height,
        control_scale=True,
        zoom_snap=0.25,
        zoom_delta=0.5,
    )
    if basemap == "gsi":
        folium.TileLayer(GSI_TILES, attr=GSI_ATTRIBUTION, name="地理院地図（淡色）", max_zoom=18).add_to(fmap)
    folium.TileLayer(
        BLANK_TILE, attr="背景地図なし", name="背景なし（白地図）", show=basemap != "gsi"
    ).add_to(fmap)

    outlines, bounds = _outline_features(session, district_id)
    boundary_group = folium.FeatureGroup(name="地区の境界", control=False)
    GeoJsonLayer(outlines).add_to(boundary_group)
    boundary_group.add_to(fmap)

    result = MapResult(map=fmap)
    specs = layers_for(actor.role)
    for spec in specs:
        points = list(spec.fetch(session, actor, district_id))
        result.points[spec.key] = points
        group = folium.FeatureGroup(name=f"{spec.title}（{len(points)}）", show=True)
        GeoJsonLayer(point_features(spec, points)).add_to(group)
        group.add_to(fmap)

    folium.LayerControl(collapsed=False, position="topright").add_to(fmap)
    Legend(_legend_html(specs, result.counts)).add_to(fmap)
    if bounds is not None:
        minx, miny, maxx, maxy = bounds.bounds
        fmap.fit_bounds([[miny, minx], [maxy, maxx]])

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
        )
    return result
