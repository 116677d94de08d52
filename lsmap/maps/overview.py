"""The zoomed-out map: districts shaded by how many households of concern they hold.

When an area holds more households than a browser can draw quickly, the map sends one
simplified polygon per district with its counts instead of the points; choosing a smaller
district brings the detail back. Aggregation is a numpy bincount over district ids.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import folium
import numpy as np
import shapely
from branca.element import MacroElement
from jinja2 import Template
from pyproj import Transformer

from lsmap.escape import html_text
from lsmap.maps.basemap import fit_to
from lsmap.maps.payload import script_json
from lsmap.settings import STORAGE_SRID, get_settings

#: Above this many households in the chosen area the map shows district shading instead.
DETAIL_LIMIT = 20_000
#: Simplification of district outlines on the overview, in metres.
SIMPLIFY_M = 60.0
#: Sequential orange shades (ColorBrewer Oranges), light to dark.
SHADES = ("#fff5eb", "#fee6ce", "#fdd0a2", "#fdae6b", "#fd8d3c", "#f16913", "#d94801", "#8c2d04")


@dataclass(frozen=True)
class DistrictCounts:
    """Per-district numbers for the overview (aggregates only, no people)."""

    ids: np.ndarray
    names: list[str]
    geometries: np.ndarray  # shapely polygons in EPSG:4326
    households: np.ndarray
    no_watcher: np.ndarray
    resources: np.ndarray


def aggregate(
    district_ids: np.ndarray,
    household_district: np.ndarray,
    household_no_watcher: np.ndarray,
    resource_district: np.ndarray,
) -> tuple[np.ndarray, ...]:
    """Households, households without a watcher, and resources per district, vectorised."""
    index = {int(d): i for i, d in enumerate(district_ids)}
    lookup = np.full(
        int(
            max(
                district_ids.max(initial=0),
                household_district.max(initial=0),
                resource_district.max(initial=0),
            )
        )
        + 1,
        -1,
    )
    for district, position in index.items():
        lookup[district] = position
    size = len(district_ids)

    def count(ids: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        positions = lookup[ids]
        keep = positions >= 0
        return np.bincount(
            positions[keep], weights=None if weights is None else weights[keep], minlength=size
        ).astype(int)

    return (
        count(household_district),
        count(household_district, household_no_watcher.astype(float)),
        count(resource_district),
    )


def simplified(geometries: np.ndarray, metres: float = SIMPLIFY_M) -> np.ndarray:
    """District outlines simplified in metres, keeping shared edges shared."""
    epsg = get_settings().metric_epsg
    forward = Transformer.from_crs(STORAGE_SRID, epsg, always_xy=True)
    back = Transformer.from_crs(epsg, STORAGE_SRID, always_xy=True)
    projected = shapely.transform(
        geometries, lambda c: np.column_stack(forward.transform(c[:, 0], c[:, 1]))
    )
    try:
        thinner = shapely.coverage_simplify(projected, metres)
    except Exception:  # noqa: BLE001 - not a clean coverage (overlaps): simplify one by one
        thinner = shapely.simplify(projected, metres, preserve_topology=True)
    return shapely.transform(thinner, lambda c: np.column_stack(back.transform(c[:, 0], c[:, 1])))


class OverviewLayer(MacroElement):
    """Shaded district polygons: a shade palette, 4-decimal rings and one tooltip each."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function (parent, d) {
            d.features.forEach(function (f) {
                var rings = f[0].map(function (polygon) {
                    return polygon.map(function (ring) {
                        var points = [];
                        for (var i = 0; i < ring.length; i += 2) {
                            points.push([ring[i + 1], ring[i]]);
                        }
                        return points;
                    });
                });
                L.polygon(rings, {color: "#8c8c8c", weight: 0.5, fillColor: d.shades[f[1]],
                                  fillOpacity: 0.75, className: "lsmap-overview"})
                    .bindTooltip(f[2], {sticky: true}).addTo(parent);
            });
        })({{ this._parent.get_name() }}, {{ this.json }});
        {% endmacro %}
        """
    )

    def __init__(self, counts: DistrictCounts) -> None:
        super().__init__()
        self._name = "OverviewLayer"
        self.json = script_json({"shades": SHADES, "features": overview_features(counts)})


def _rings(geometry: Any) -> list[list[list[float]]]:
    polygons = getattr(geometry, "geoms", [geometry])
    return [
        [
            np.round(np.asarray(ring.coords)[:, :2], 4).ravel().tolist()
            for ring in (polygon.exterior, *polygon.interiors)
        ]
        for polygon in polygons
        if isinstance(polygon, shapely.Polygon)
    ]


def overview_features(counts: DistrictCounts) -> list[list[Any]]:
    """Per district: rings as flat lon/lat arrays, a shade index, an escaped tooltip."""
    top = max(int(counts.households.max(initial=0)), 1)
    features = []
    for geometry, name, households, no_watcher, resources in zip(
        simplified(counts.geometries),
        counts.names,
        counts.households,
        counts.no_watcher,
        counts.resources,
        strict=True,
    ):
        if geometry is None or geometry.is_empty:
            continue
        shade = min(len(SHADES) - 1, int(len(SHADES) * households / (top + 1)))
        tooltip = (
            f"{html_text(name)}<br>気がかりな世帯 {households}"
            f"<br>見守り者なし {no_watcher}<br>資源 {resources}"
        )
        features.append([_rings(geometry), shade, tooltip])
    return features


def overview_map(
    counts: DistrictCounts, *, basemap: str = "gsi", height: str = "100%"
) -> folium.Map:
    """The zoomed-out map: shaded districts, a legend of the shades, no individual points."""
    from lsmap.maps.basemap import Legend, base_map

    fmap = base_map(basemap, height)
    group = folium.FeatureGroup(name="地区ごとの気がかりな世帯数", show=True)
    OverviewLayer(counts).add_to(group)
    group.add_to(fmap)
    top = int(counts.households.max(initial=0))
    steps = "".join(
        f'<div><span style="display:inline-block;width:14px;height:10px;background:{shade};'
        f'border:1px solid #aaa;margin-right:6px"></span>{int(top * i / len(SHADES))}〜</div>'
        for i, shade in enumerate(SHADES)
    )
    Legend(
        '<details open style="background:rgba(255,255,255,.92);padding:8px 10px;border-radius:6px;'
        'font-size:13px"><summary style="font-weight:bold">凡例</summary>'
        f"<div>地区ごとの気がかりな世帯数（全 {int(counts.households.sum())} 世帯）</div>{steps}"
        "<div>地区を選ぶと個々の世帯を表示します</div></details>"
    ).add_to(fmap)
    folium.LayerControl(collapsed=True).add_to(fmap)
    fit_to(fmap, shapely.total_bounds(counts.geometries).tolist())
    return fmap
