"""The coverage page's choropleth: districts coloured by the chosen indicator, each labelled
with its name and value, a legend with the classes, and the siting candidates."""

from __future__ import annotations

import math
from typing import Any

import folium
import pandas as pd
import shapely

from lsmap.coverage.presentation import INDICATORS, number
from lsmap.coverage.report import CoverageView
from lsmap.escape import html_text
from lsmap.maps.basemap import GeoJsonLayer, Legend, base_map, fit_to
from lsmap.maps.labels import AreaLabels

#: Light to dark (ColorBrewer YlOrRd, 5 classes); dark is worse.
COLOURS = ("#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026")
GREY = "#d9d9d9"


def shown_value(indicator: str, value: Any) -> str:
    """A released value as text: 12.5%, 3.4, or — when hidden or unknown."""
    found = number(value)
    if found is None:
        return "—"
    if INDICATORS[indicator].kind == "share":
        return f"{found * 100:.1f}%"
    return f"{found:.1f}"


def class_breaks(values: list[float], kind: str = "share") -> tuple[float, list[float]]:
    """(lowest value, upper bounds of five equal classes) over the shown values' range,
    rounded outwards; at least 5 % (or 5) wide so that small differences are not dramatised."""
    width = 0.05 if kind == "share" else 5.0
    low, top = min(values, default=0.0), max(values, default=0.0)
    step = 10 ** math.floor(math.log10(max(top - low, width))) / 2
    low = math.floor(low / step) * step
    top = max(math.ceil(top / step) * step, low + width)
    return low, [low + (top - low) * (i + 1) / len(COLOURS) for i in range(len(COLOURS))]


def colour(value: float | None, breaks: list[float], higher_is_worse: bool) -> str:
    """Fill colour of ``value``; grey when withheld or unknown."""
    if value is None:
        return GREY
    index = next((i for i, b in enumerate(breaks) if value <= b), len(breaks) - 1)
    return COLOURS[index if higher_is_worse else len(COLOURS) - 1 - index]


def _legend(indicator: str, low: float, breaks: list[float]) -> str:
    spec = INDICATORS[indicator]
    scale = 100.0 if spec.kind == "share" else 1.0
    unit = "%" if spec.kind == "share" else ""
    rows = []
    for i, high in enumerate(breaks):
        fill = COLOURS[i if spec.higher_is_worse else len(COLOURS) - 1 - i]
        rows.append(
            f'<div><span style="display:inline-block;width:14px;height:10px;background:{fill};'
            f'margin-right:6px"></span>{low * scale:.1f}〜{high * scale:.1f}{unit}</div>'
        )
        low = high
    worse = "色が濃いほど" + ("高い" if spec.higher_is_worse else "低い（少ない）")
    return (
        '<div style="background:rgba(255,255,255,.92);padding:6px 8px;border-radius:6px;'
        f'font-size:12px"><b>{html_text(spec.label)}</b><div>{worse}</div>{"".join(rows)}'
        f'<div><span style="display:inline-block;width:14px;height:10px;background:{GREY};'
        'margin-right:6px"></span>非表示（「&lt;5」「X」）・値なし</div></div>'
    )


def choropleth(
    view: CoverageView,
    table: pd.DataFrame,
    indicator: str,
    basemap: str,
    sites: list[Any] | None = None,
) -> folium.Map:
    """Districts of ``table`` coloured by ``indicator``, labelled; tooltips escaped."""
    fmap = base_map(basemap)
    geoms = view.inputs.districts.set_index("code")["geometry"]
    spec = INDICATORS[indicator]
    values = [number(v) for v in table[indicator]]
    low, breaks = class_breaks([v for v in values if v is not None], spec.kind)
    features, labels, bounds = [], [], None
    for row, value in zip(table.itertuples(index=False), values, strict=True):
        geom = geoms.get(row.district_code)
        if geom is None:
            continue
        bounds = geom if bounds is None else shapely.union(bounds, geom)
        text = f"{row.district_name}: {spec.label} {shown_value(indicator, value)}"
        style = {"color": "#525252", "weight": 1, "fillOpacity": 0.7}
        features.append(
            {
                "type": "Feature",
                "geometry": shapely.geometry.mapping(geom),
                "properties": {
                    "style": {**style, "fillColor": colour(value, breaks, spec.higher_is_worse)},
                    "tooltip": html_text(text),
                },
            }
        )
        spot = geom.representative_point()
        labels.append((spot.y, spot.x, str(row.district_name), shown_value(indicator, value)))
    GeoJsonLayer(features).add_to(fmap)
    AreaLabels(labels).add_to(fmap)
    if sites:
        GeoJsonLayer([_site_feature(s) for s in sites]).add_to(fmap)
    Legend(_legend(indicator, low, breaks)).add_to(fmap)
    fit_to(fmap, bounds)
    return fmap


def _site_feature(site: Any) -> dict[str, Any]:
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [round(site.lon, 6), round(site.lat, 6)]},
        "properties": {
            "style": {
                "radius": 11,
                "color": "#08306b",
                "weight": 2,
                "fillColor": "#4292c6",
                "fillOpacity": 0.9,
                "className": "",
            },
            "label": str(site.rank),
            "tooltip": html_text(f"候補 {site.rank}"),
        },
    }
