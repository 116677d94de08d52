"""Streets of the fictional town: a slightly irregular grid, a river with bridges, a highway.

:func:`generate_streets` returns plain line geometries (longitude/latitude) with an
OpenStreetMap-style ``highway`` value each, so the road import reads them like any OSM or
converted 基盤地図情報 file: the 高速道路 (``motorway``) is not walkable, and street segments
that would cross the river are left out except at the bridges. :func:`street_grid` builds
the same kind of network in metres for tests (one straight river, bridges where asked).

Everything here is invented; the generator is pure and deterministic for a given ``rng``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from shapely.geometry import LineString, Polygon
from shapely.geometry.base import BaseGeometry

#: Width of the river (metres) and the distance between streets of the town's grid.
RIVER_WIDTH_M = 45.0
STREET_SPACING_M = 110.0
#: Bridges of the town's river, as fractions of its length from the west.
BRIDGES = (0.18, 0.5, 0.83)


@dataclass(frozen=True)
class Street:
    """One street segment: its line, OSM-style kind (``residential``, ``secondary``,
    ``motorway``, …), name (may be empty) and whether it is a bridge."""

    geom: LineString
    highway: str
    name: str = ""
    bridge: bool = False


def _grid_segments(
    bounds: tuple[float, float, float, float],
    spacing: float,
    jitter: tuple[np.ndarray, np.ndarray] | None = None,
) -> list[LineString]:
    """The block edges of a square grid over ``bounds`` (metres), intersections shared."""
    minx, miny, maxx, maxy = bounds
    xs = np.arange(minx, maxx + spacing / 2, spacing)
    ys = np.arange(miny, maxy + spacing / 2, spacing)
    gx, gy = np.meshgrid(xs, ys)
    if jitter is not None:
        gx, gy = (
            gx + jitter[0][: gx.shape[0], : gx.shape[1]],
            gy + jitter[1][: gy.shape[0], : gy.shape[1]],
        )
    lines = []
    rows, cols = gx.shape
    for r in range(rows):
        for c in range(cols):
            if c + 1 < cols:
                lines.append(LineString([(gx[r, c], gy[r, c]), (gx[r, c + 1], gy[r, c + 1])]))
            if r + 1 < rows:
                lines.append(LineString([(gx[r, c], gy[r, c]), (gx[r + 1, c], gy[r + 1, c])]))
    return lines


def _cut_by_river(
    segments: list[LineString], river: BaseGeometry, bridges: list[BaseGeometry]
) -> list[tuple[LineString, bool]]:
    """Segments with (segment, is_bridge): those crossing the river survive only as bridges."""
    water = river.buffer(RIVER_WIDTH_M / 2, cap_style="flat")
    wet = [s for s in segments if s.intersects(water)]
    spans = [  # segments from one dry bank to the other: where a bridge can be
        s
        for s in wet
        if s.intersects(river)
        and not water.covers(shapely.Point(s.coords[0]))
        and not water.covers(shapely.Point(s.coords[-1]))
    ]
    chosen = [min(spans, key=bridge.distance) for bridge in bridges if spans]
    kept = [(s, True) for s in {id(s): s for s in chosen}.values()]
    kept.extend((s, False) for s in segments if not s.intersects(water))
    return kept


def street_grid(
    width_m: float,
    height_m: float,
    spacing_m: float,
    *,
    river_y_m: float | None = None,
    bridge_x_m: tuple[float, ...] = (),
) -> list[Street]:
    """A square street grid from (0, 0) to (width, height) in metres, optionally cut by a
    straight east-west river at ``river_y_m`` that only the bridges at ``bridge_x_m`` cross."""
    segments = _grid_segments((0.0, 0.0, width_m, height_m), spacing_m)
    if river_y_m is None:
        return [Street(s, "residential") for s in segments]
    river = LineString([(-spacing_m, river_y_m), (width_m + spacing_m, river_y_m)])
    bridges = [shapely.Point(x, river_y_m) for x in bridge_x_m]
    return [
        Street(s, "residential", bridge=is_bridge)
        for s, is_bridge in _cut_by_river(segments, river, bridges)
    ]


def town_river(outline_m: Polygon, rng: np.random.Generator) -> LineString:
    """A meandering river across the town from west to east (metres)."""
    minx, miny, maxx, maxy = outline_m.bounds
    x = np.linspace(minx - 300, maxx + 300, 60)
    phase = rng.uniform(0, 2 * np.pi)
    middle = miny + 0.42 * (maxy - miny)
    y = middle + 180 * np.sin((x - minx) / 700 + phase) + 0.12 * (x - (minx + maxx) / 2)
    return LineString(np.column_stack([x, y]))


def generate_streets(
    rng: np.random.Generator, outline_m: Polygon, to_lonlat: object
) -> tuple[list[Street], LineString]:
    """The town's streets (longitude/latitude) and its river (metres).

    ``to_lonlat`` converts a shapely geometry from metres to longitude/latitude.
    """
    area = outline_m.buffer(150)
    minx, miny, maxx, maxy = area.bounds
    shape = (int((maxy - miny) / STREET_SPACING_M) + 2, int((maxx - minx) / STREET_SPACING_M) + 2)
    jitter = (rng.normal(0, 12, shape), rng.normal(0, 12, shape))
    segments = [s for s in _grid_segments(area.bounds, STREET_SPACING_M, jitter) if s.within(area)]
    river = town_river(outline_m, rng)
    bridges = [river.interpolate(f, normalized=True) for f in BRIDGES]
    streets = []
    main_y = miny + 0.7 * (maxy - miny)
    for segment, is_bridge in _cut_by_river(segments, river, bridges):
        centre_y = segment.centroid.y
        main = abs(centre_y - main_y) < STREET_SPACING_M / 2 and _horizontal(segment)
        kind = "secondary" if main or is_bridge else "residential"
        name = "さくら通り" if main else ("さくら橋" if is_bridge else "")
        streets.append(Street(to_lonlat(segment), kind, name, is_bridge))  # type: ignore[operator]
    highway = LineString([(minx - 200, miny + 0.2 * (maxy - miny)), (maxx + 200, maxy - 100)])
    streets.append(Street(to_lonlat(highway), "motorway", "さくら台自動車道"))  # type: ignore[operator]
    return streets, river


def _horizontal(segment: LineString) -> bool:
    (x0, y0), (x1, y1) = segment.coords[0], segment.coords[-1]
    return abs(x1 - x0) > abs(y1 - y0)
