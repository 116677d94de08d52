"""One map layer as the browser receives it: a compact, pre-escaped payload for Leaflet.

A layer is sent as one JSON object: a base style, a small palette of per-feature style
overrides, the popup captions, and per feature only ``[id, coordinates, palette index,
number label, popup values, tooltip, record link]``. Every user-written value is escaped
here, on the server; the browser only puts escaped pieces into lsmap's own markup, and
builds a popup when it is opened. Large layers are drawn on a canvas and large point
layers are clustered, so a city of thousands of households stays quick.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from branca.element import MacroElement
from folium.elements import JSCSSMixin
from jinja2 import Template

from layers.spec import LayerSpec
from lsmap.escape import html_text

if TYPE_CHECKING:
    from lsmap.maps.placement import LabelBox

STATIC = "/app/static/vendor"
#: Above this many features a layer is drawn on a canvas instead of SVG elements.
CANVAS_ABOVE = 1500
#: Above this many points a personal point layer is clustered.
CLUSTER_ABOVE = 1500
RECORD_LINK_TEXT = "見守り記録を開く（新しいタブ）"
#: The popup markup, written once: :func:`compose_popup` and the browser (``PointLayer``)
#: fill the same templates (``{name}`` placeholders, values already escaped).
#: Streamlit sandboxes the map's iframe without top navigation but lets popups escape: the
#: record opens in a new tab (signed in by the session cookie).
POPUP_TEMPLATES = {
    "head": '<div class="lsmap-popup-{key}"><table class="lsmap-popup">',
    "row": "<tr><th>{caption}</th><td>{value}</td></tr>",
    "table_end": "</table>",
    "link": (
        '<p><a class="lsmap-record-link" href="{link}" target="_blank" rel="noopener">'
        f"{RECORD_LINK_TEXT}</a></p>"
    ),
    "tail": "</div>",
}
#: Numbered markers: diameter in pixels (read on a projector) and the gap kept between them.
NUMBER_SIZE = 32
NUMBER_GAP = 3
#: Numbered markers, drawn the same way by every layer that has them (their CSS and icon).
NUMBER_CSS = """<style>
.lsmap-number > div { width:100%; height:100%; box-sizing:border-box; display:flex;
  align-items:center; justify-content:center; border-radius:50%; background:#f16913;
  color:#fff; border-style:solid; font:bold 13px sans-serif; box-shadow:0 1px 3px rgba(0,0,0,.4); }
</style>"""
NUMBER_ICON_JS = """
        function lsmapNumberIcon(style, label, size) {
            var ring = "border-color:" + style.color
                + ";border-width:" + Math.max(2, style.weight) + "px";
            var half = size / 2;
            return L.divIcon({className: "lsmap-number " + style.className,
                html: '<div style="' + ring + '">' + label + "</div>",
                iconSize: [size, size], iconAnchor: [half, half], popupAnchor: [0, -half + 3]});
        }
"""
#: Zoom steps (relative to the opening zoom) with their own marker placement.
PLACEMENT_STEPS = (-1.5, -1.0, -0.5, 0.0, 0.5, 1.0, 1.5, 2.0, 3.0)
PAYLOAD_MARK = "/*lsmap-layer*/"


def _rows(spec: LayerSpec, meeting_mode: bool) -> tuple[tuple[str, Any], ...]:
    if meeting_mode and spec.personal:
        return tuple(row for row in spec.popup_rows if row[0] in spec.meeting_rows)
    return spec.popup_rows


def _tooltip(spec: LayerSpec, item: Any, meeting_mode: bool) -> str:
    if meeting_mode and spec.personal:
        values = (getter(item) for _, getter in _rows(spec, meeting_mode))
        return " / ".join(str(value) for value in values if value not in (None, ""))
    return str(spec.tooltip(item))


def base_style(spec: LayerSpec) -> dict[str, Any]:
    """The layer's default Leaflet path style."""
    if spec.geometry == "line":
        return {"color": spec.color, "weight": 2, "opacity": 0.75}
    return {
        "radius": spec.radius,
        "color": spec.color,
        "weight": 1.5,
        "fillColor": spec.fill_color,
        "fillOpacity": 0.85,
    }


def style_override(spec: LayerSpec, item: Any) -> dict[str, Any]:
    """The per-feature style differences declared by the layer (Leaflet option names)."""
    if spec.point_style is None:
        return {}
    renames = {"dash_array": "dashArray", "fill_opacity": "fillOpacity"}
    return {renames.get(key, key): value for key, value in spec.point_style(item).items()}


def record_link(href: str) -> str:
    """The popup's link to a household's record; ``href`` already escaped."""
    return POPUP_TEMPLATES["link"].format(link=href)


def compose_popup(key: str, captions: list[str], values: list[str], link: str | None) -> str:
    """The popup markup from escaped pieces (the browser builds exactly this)."""
    html = POPUP_TEMPLATES["head"].format(key=key) + "".join(
        POPUP_TEMPLATES["row"].format(caption=caption, value=value)
        for caption, value in zip(captions, values, strict=True)
        if value != ""
    )
    html += POPUP_TEMPLATES["table_end"]
    if link:
        html += record_link(link)
    return html + POPUP_TEMPLATES["tail"]


def _values(spec: LayerSpec, item: Any, meeting_mode: bool) -> list[str]:
    values = []
    for _, getter in _rows(spec, meeting_mode):
        value = getter(item)
        values.append("" if value is None or value == "" else html_text(value))
    return values


def _link(spec: LayerSpec, item: Any) -> str | None:
    href = spec.record_link(item) if spec.record_link is not None else None
    return html_text(f"/{href}") if href else None


def popup_html(spec: LayerSpec, item: Any, *, meeting_mode: bool = False) -> str:
    """The escaped popup of one feature. In meeting mode a personal layer shows only its
    ``meeting_rows`` (no names)."""
    captions = [html_text(caption) for caption, _ in _rows(spec, meeting_mode)]
    return compose_popup(spec.key, captions, _values(spec, item, meeting_mode), _link(spec, item))


class _Strings:
    """Interned strings of one layer: repeated labels are sent once, features carry indices."""

    def __init__(self) -> None:
        self.table: list[str] = []
        self._index: dict[str, int] = {}

    def __call__(self, text: str) -> int:
        found = self._index.get(text)
        if found is None:
            found = self._index[text] = len(self.table)
            self.table.append(text)
        return found


def placement_payload(
    items: list[Any], opening_zoom: float, labels: Sequence[LabelBox] = ()
) -> dict[str, Any]:
    """Where numbered markers go so that none overlaps another: for each zoom step from
    just below the opening zoom, the markers that move (``[index, lon, lat]``). The browser
    uses the step at or below its zoom, draws a leader line to the true spot and marks it.
    Markers also keep clear of the ``labels`` shown at each step."""
    from lsmap.maps.placement import screen_placements

    zooms = [opening_zoom + step for step in PLACEMENT_STEPS if opening_zoom + step <= 20]
    moved = screen_placements(
        [item.lon for item in items],
        [item.lat for item in items],
        NUMBER_SIZE + NUMBER_GAP,
        zooms,
        labels,
    )
    while len(moved) > 1 and not moved[-1] and not moved[-2]:  # nothing moves from here on
        zooms.pop()
        moved.pop()
    return {"zooms": zooms, "moved": moved, "opening_zoom": opening_zoom}


def _coordinates(spec: LayerSpec, item: Any) -> list[float]:
    if spec.geometry == "line":
        (x1, y1), (x2, y2) = item.coords
        return [round(x1, 5), round(y1, 5), round(x2, 5), round(y2, 5)]
    return [round(item.lon, 5), round(item.lat, 5)]


def _features(
    spec: LayerSpec, items: list[Any], meeting_mode: bool, strings: _Strings
) -> tuple[list[list[Any]], list[dict[str, Any]]]:
    """The compact features of a layer and the palette of style overrides they index."""
    palette: list[dict[str, Any]] = []
    palette_index: dict[str, int] = {}
    numbered = meeting_mode and spec.meeting_label is not None
    rows = _rows(spec, meeting_mode)
    features = []
    for item in items:
        override = style_override(spec, item)
        signature = repr(sorted(override.items()))
        if signature not in palette_index:
            palette_index[signature] = len(palette)
            palette.append(override)
        values = []
        for _, getter in rows:
            value = getter(item)
            values.append(strings("" if value is None or value == "" else html_text(value)))
        features.append(
            [
                item.id,
                _coordinates(spec, item),
                palette_index[signature],
                html_text(spec.meeting_label(item)) if numbered else None,  # type: ignore[misc]
                values,
                strings(html_text(_tooltip(spec, item, meeting_mode))),
                _link(spec, item),
            ]
        )
    return features, palette


def layer_payload(
    spec: LayerSpec,
    items: list[Any],
    *,
    meeting_mode: bool = False,
    opening_zoom: float | None = None,
    labels: Sequence[LabelBox] = (),
) -> dict[str, Any]:
    """What the browser receives for one layer (strings escaped and interned). Numbered
    layers get a marker placement for ``opening_zoom`` and the zooms around it."""
    strings = _Strings()
    features, palette = _features(spec, items, meeting_mode, strings)
    numbered = meeting_mode and spec.meeting_label is not None
    cluster = spec.geometry == "point" and spec.personal and len(items) > CLUSTER_ABOVE
    canvas = len(items) > CANVAS_ABOVE
    placement = None
    if numbered and opening_zoom is not None and items and not (cluster or canvas):
        placement = placement_payload(items, opening_zoom, labels)
    return {
        "key": spec.key,
        "geometry": spec.geometry,
        "style": base_style(spec),
        "palette": palette,
        "captions": [html_text(caption) for caption, _ in _rows(spec, meeting_mode)],
        "strings": strings.table,
        "features": features,
        "canvas": canvas,
        "cluster": cluster,
        "size": NUMBER_SIZE,
        "placement": placement,
    }


def script_json(data: Any) -> str:
    """Compact JSON that is safe inside a <script> element (no ASCII escaping of Japanese)."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    for char, escape in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("'", "\\u0027"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(char, escape)
    return text


class PointLayer(JSCSSMixin, MacroElement):
    """A layer drawn from :func:`layer_payload` (points, numbered points or lines)."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        {{ this.number_icon_js }}
        function placeNumbers(parent, d, markers) {
            // Numbers never overlap: at each zoom use the placement made for the step at or
            // below it; a moved number gets a leader line to its true spot, marked by a dot.
            var P = d.placement, leaders = L.layerGroup(), hooked = false;
            parent.addLayer(leaders);
            function apply() {
                var m = parent._map;
                if (!m) { return; }
                var z = m.getZoom(), level = 0;
                for (var i = 0; i < P.zooms.length; i++) {
                    if (P.zooms[i] <= z + 1e-6) { level = i; }
                }
                var moved = {};
                P.moved[level].forEach(function (e) { moved[e[0]] = e; });
                leaders.clearLayers();
                markers.forEach(function (mk, i) {
                    var c = d.features[i][1], e = moved[i];
                    mk.setLatLng(e ? [e[2], e[1]] : [c[1], c[0]]);
                    if (!e) { return; }
                    leaders.addLayer(L.polyline([[c[1], c[0]], [e[2], e[1]]], {color: "#252525",
                        weight: 1.5, opacity: 0.9, interactive: false, className: "lsmap-leader"}));
                    leaders.addLayer(L.circleMarker([c[1], c[0]], {radius: 3.5, color: "#ffffff",
                        weight: 1.5, fillColor: "#252525", fillOpacity: 1, interactive: false,
                        className: "lsmap-true-spot"}));
                });
            }
            parent.on("add", function () {
                if (!hooked) { parent._map.on("zoomend", apply); hooked = true; }
                apply();
            });
            apply();
        }
        (function (parent, d) {
            var renderer = d.canvas ? L.canvas({padding: 0.3}) : null;
            var target = parent;
            if (d.cluster) {
                target = L.markerClusterGroup({chunkedLoading: true, showCoverageOnHover: false,
                                               disableClusteringAtZoom: 17});
                parent.addLayer(target);
            }
            var S = d.strings, T = {{ this.popup_templates|tojson }};
            function fill(template, values) {  // one pass: a value is never read as a name
                return template.replace(/\\{(\\w+)\\}/g, function (_, name) {
                    return values[name];
                });
            }
            function popup(f) {  // the same templates as compose_popup
                var html = fill(T.head, {key: d.key});
                for (var i = 0; i < d.captions.length; i++) {
                    var value = S[f[4][i]];
                    if (value !== "") {
                        html += fill(T.row, {caption: d.captions[i], value: value});
                    }
                }
                html += T.table_end;
                if (f[6]) { html += fill(T.link, {link: f[6]}); }
                return html + T.tail;
            }
            function make(f) {
                var style = Object.assign({}, d.style, d.palette[f[2]],
                    {className: "lsmap-" + d.key + " lsmap-id-" + f[0]});
                if (renderer) { style.renderer = renderer; }
                var c = f[1], layer;
                if (d.geometry === "line") {
                    layer = L.polyline([[c[1], c[0]], [c[3], c[2]]], style);
                } else if (f[3] !== null) {
                    layer = L.marker([c[1], c[0]], {icon: lsmapNumberIcon(style, f[3], d.size)});
                } else {
                    layer = L.circleMarker([c[1], c[0]], style);
                }
                layer.bindPopup(function () { return popup(f); },
                    {maxWidth: 340, autoPanPaddingTopLeft: [60, 70],
                     autoPanPaddingBottomRight: [60, 40]});
                if (S[f[5]]) { layer.bindTooltip(S[f[5]], {sticky: true}); }
                return layer;
            }
            if (d.cluster) {
                target.addLayers(d.features.map(make));  // markercluster loads in chunks itself
            } else if (d.canvas) {
                // Large layers are built in slices after the page has become interactive.
                var next = 0;
                (function slice() {
                    var end = Math.min(next + 1500, d.features.length);
                    for (; next < end; next++) { target.addLayer(make(d.features[next])); }
                    if (next < d.features.length) { setTimeout(slice, 0); }
                })();
            } else {
                var markers = d.features.map(function (f) {
                    var l = make(f); target.addLayer(l); return l;
                });
                if (d.placement) { placeNumbers(parent, d, markers); }
            }
        })({{ this._parent.get_name() }}, {{ this.mark }}{{ this.json }});
        {% endmacro %}
        """
    )

    def __init__(self, payload: dict[str, Any]) -> None:
        super().__init__()
        self._name = "PointLayer"
        self.data = payload
        self.json = script_json(payload)
        self.mark = PAYLOAD_MARK
        self.popup_templates = POPUP_TEMPLATES
        self.number_icon_js = NUMBER_ICON_JS
        if payload["cluster"]:
            self.default_js = [
                ("markercluster", f"{STATIC}/markercluster/leaflet.markercluster.js")
            ]
            self.default_css = [
                ("markercluster_css", f"{STATIC}/markercluster/MarkerCluster.css"),
                ("markercluster_default_css", f"{STATIC}/markercluster/MarkerCluster.Default.css"),
            ]
        else:
            self.default_js = []
            self.default_css = []


def sent_payloads(html: str) -> list[dict[str, Any]]:
    """Every layer payload a rendered map sends to the browser, as sent (for checks)."""
    decoder = json.JSONDecoder()
    return [
        decoder.raw_decode(html, match.end())[0]
        for match in re.finditer(re.escape(PAYLOAD_MARK), html)
    ]


def sent_features(html: str) -> list[dict[str, Any]]:
    """Every feature a rendered map sends to the browser, decoded (for tests and checks):
    ``layer``, ``id``, ``className``, ``popup`` (as the browser builds it), ``tooltip``,
    ``label``. Outlines and other GeoJSON layers come with ``layer`` None."""
    decoder = json.JSONDecoder()
    found: list[dict[str, Any]] = []
    for match in re.finditer(re.escape(PAYLOAD_MARK), html):
        payload, _ = decoder.raw_decode(html, match.end())
        for f in payload["features"]:
            found.append(
                {
                    "layer": payload["key"],
                    "id": f[0],
                    "className": f"lsmap-{payload['key']} lsmap-id-{f[0]}",
                    "popup": compose_popup(
                        payload["key"],
                        payload["captions"],
                        [payload["strings"][i] for i in f[4]],
                        f[6],
                    ),
                    "tooltip": payload["strings"][f[5]],
                    "label": f[3],
                    "style": {**payload["style"], **payload["palette"][f[2]]},
                }
            )
    for match in re.finditer(r"L\.geoJSON\(", html):
        collection, _ = decoder.raw_decode(html, match.end())
        for feature in collection["features"]:
            properties = feature["properties"]
            found.append(
                {
                    "layer": None,
                    "id": properties.get("id"),
                    "className": properties.get("style", {}).get("className", ""),
                    "popup": properties.get("popup", ""),
                    "tooltip": properties.get("tooltip", ""),
                    "label": properties.get("label"),
                    "style": properties.get("style", {}),
                }
            )
    return found
