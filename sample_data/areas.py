"""The areas of the fictional town: an irregular outline cut into 町内, grouped into 地区.

Shapes are built in metres (EPSG:6677, JGD2011 zone IX) and stored in EPSG:4326. Each
町内 is a Voronoi cell of the outline; each 地区 is the exact union of adjacent 町内 and
the municipality the union of all of them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import shapely
from pyproj import Transformer
from shapely.geometry import MultiPoint, MultiPolygon, Point, Polygon
from shapely.geometry.base import BaseGeometry

from sample_data.names import NEIGHBOURHOOD_NAMES
from sample_data.records import SampleDistrict

CITY_NAME = "さくら台市"
CITY_CODE = "149990"
#: 地区 code suffix -> name.
DISTRICT_NAMES: dict[str, str] = {"01": "東地区", "02": "西地区", "03": "北地区"}
CENTRE_LONLAT = (139.40, 35.45)
HALF_WIDTH_M, HALF_HEIGHT_M = 2250.0, 1750.0
NEIGHBOURHOOD_COUNT = 20
METRIC_EPSG = 6677

_TO_METRES = Transformer.from_crs(4326, METRIC_EPSG, always_xy=True)
_TO_LONLAT = Transformer.from_crs(METRIC_EPSG, 4326, always_xy=True)


def to_lonlat(geom: BaseGeometry) -> BaseGeometry:
    """``geom`` from metres (EPSG:6677) to longitude/latitude (EPSG:4326)."""

    def convert(xy: np.ndarray) -> np.ndarray:
        return np.column_stack(_TO_LONLAT.transform(xy[:, 0], xy[:, 1]))

    return shapely.transform(geom, convert)


def to_metres(geom: BaseGeometry) -> BaseGeometry:
    """``geom`` from longitude/latitude to metres (EPSG:6677)."""

    def convert(xy: np.ndarray) -> np.ndarray:
        return np.column_stack(_TO_METRES.transform(xy[:, 0], xy[:, 1]))

    return shapely.transform(geom, convert)


def as_multipolygon(geom: BaseGeometry) -> MultiPolygon:
    """``geom`` as a valid MultiPolygon (polygonal parts only)."""
    geom = shapely.make_valid(geom) if not geom.is_valid else geom
    parts = [g for g in getattr(geom, "geoms", [geom]) if isinstance(g, Polygon) and g.area > 0]
    return MultiPolygon(parts)


@dataclass
class Neighbourhood:
    """A 町内 with its shapes in both systems, for placing points in it."""

    code: str
    name: str
    district_suffix: str
    metric: BaseGeometry
    lonlat: MultiPolygon
    representative: Point

    def random_point(
        self,
        rng: np.random.Generator,
        near: tuple[float, float] | None = None,
        spread_m: float = 120.0,
    ) -> Point:
        """A point well inside this 町内, uniform or scattered around ``near`` (metres)."""
        inner = self.metric.buffer(-12.0)
        if inner.is_empty:
            inner = self.metric
        shapely.prepare(inner)
        minx, miny, maxx, maxy = inner.bounds
        for attempt in range(400):
            if near is not None and attempt < 200:
                x, y = rng.normal(near, spread_m)
            else:
                x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
            candidate = Point(x, y)
            if inner.contains(candidate):
                point = to_lonlat(candidate)
                if self.lonlat.contains(point):
                    return point
        return self.representative


def _outline(rng: np.random.Generator, centre: tuple[float, float]) -> Polygon:
    """An irregular, roughly elliptical outline around ``centre`` (metres)."""
    angles = np.linspace(0.0, 2 * np.pi, 72, endpoint=False)
    radius = np.ones_like(angles)
    for k, amplitude in ((2, 0.06), (3, 0.07), (5, 0.04), (7, 0.025)):
        radius += amplitude * np.cos(k * angles + rng.uniform(0, 2 * np.pi))
    radius += rng.normal(0.0, 0.012, angles.size)
    x = centre[0] + HALF_WIDTH_M * radius * np.cos(angles)
    y = centre[1] + HALF_HEIGHT_M * radius * np.sin(angles)
    return Polygon(np.column_stack([x, y]))


def _seed_points(rng: np.random.Generator, area: BaseGeometry, count: int) -> np.ndarray:
    """``count`` well-spread points in ``area``, relaxed twice towards their cell centres."""
    minx, miny, maxx, maxy = area.bounds
    spacing = 0.8 * np.sqrt(area.area / count)
    points: list[tuple[float, float]] = []
    while len(points) < count:
        x, y = rng.uniform(minx, maxx), rng.uniform(miny, maxy)
        far_enough = all(np.hypot(x - px, y - py) >= spacing for px, py in points)
        if far_enough and area.contains(Point(x, y)):
            points.append((x, y))
        spacing *= 0.995
    seeds = np.array(points)
    for _ in range(2):
        cells = _cells(area, seeds)
        seeds = np.array([[c.centroid.x, c.centroid.y] for c in cells])
    return seeds


def _cells(area: BaseGeometry, seeds: np.ndarray) -> list[BaseGeometry]:
    """The Voronoi cell of each seed, clipped to ``area``, in the order of ``seeds``."""
    diagram = shapely.voronoi_polygons(MultiPoint(seeds), extend_to=area.buffer(2000))
    cells = list(diagram.geoms)
    ordered = []
    for x, y in seeds:
        cell = next(c for c in cells if c.covers(Point(x, y)))
        ordered.append(cell.intersection(area))
    return ordered


def _walk_order(seeds: np.ndarray) -> list[int]:
    """Seed indices in a nearest-neighbour walk from the westernmost seed."""
    remaining = list(range(len(seeds)))
    order = [min(remaining, key=lambda i: seeds[i][0])]
    remaining.remove(order[0])
    while remaining:
        last = seeds[order[-1]]
        nearest = min(remaining, key=lambda i: float(np.hypot(*(seeds[i] - last))))
        order.append(nearest)
        remaining.remove(nearest)
    return order


def _coverage(cells: list[BaseGeometry]) -> list[BaseGeometry]:
    """The cells rebuilt from one noded set of edges, so neighbours share edges exactly.

    Cells clipped one by one may leave hairline gaps or overlaps; here their boundaries
    are noded together and polygonized, and every face (hairline slivers included) goes
    to the cell nearest to it, so the result tiles the union without gaps or overlaps.
    """
    edges = shapely.union_all([c.boundary for c in cells])
    faces = list(shapely.get_parts(shapely.polygonize(shapely.get_parts(edges))))
    owned: list[list[BaseGeometry]] = [[] for _ in cells]
    for face in faces:
        inside = face.point_on_surface()
        owner = min(range(len(cells)), key=lambda i: cells[i].distance(inside))
        owned[owner].append(face)
    return [shapely.union_all(parts) for parts in owned]


def _group_districts(seeds: np.ndarray, cells: list[BaseGeometry]) -> dict[str, list[int]]:
    """Grow the 地区 from the cells nearest their anchors (east, west, north).

    The smallest 地区 that still borders a free cell takes the free neighbour nearest its
    anchor, so every 地区 is contiguous and their sizes stay close.
    """
    cx, cy = seeds.mean(axis=0)
    anchors = {
        "01": (cx + 0.7 * HALF_WIDTH_M, cy - 0.4 * HALF_HEIGHT_M),
        "02": (cx - 0.7 * HALF_WIDTH_M, cy - 0.4 * HALF_HEIGHT_M),
        "03": (cx, cy + 0.8 * HALF_HEIGHT_M),
    }
    distance = {k: np.hypot(*(seeds - np.array(a)).T) for k, a in anchors.items()}
    adjacent = [
        {j for j, other in enumerate(cells) if j != i and cell.intersection(other).length > 0}
        for i, cell in enumerate(cells)
    ]
    groups: dict[str, list[int]] = {}
    for suffix in anchors:
        start = min(
            (i for i in range(len(cells)) if all(i not in g for g in groups.values())),
            key=lambda i: distance[suffix][i],
        )
        groups[suffix] = [start]
    free = set(range(len(cells))) - {g[0] for g in groups.values()}
    while free:
        options = {
            k: sorted(free & set().union(*(adjacent[i] for i in g))) for k, g in groups.items()
        }
        suffix = min((k for k in groups if options[k]), key=lambda k: (len(groups[k]), k))
        chosen = min(options[suffix], key=lambda i: distance[suffix][i])
        groups[suffix].append(chosen)
        free.remove(chosen)
    return groups


def build_areas(rng: np.random.Generator) -> tuple[list[SampleDistrict], list[Neighbourhood]]:
    """The town's districts (municipality, 地区, 町内 in that order) and its 町内."""
    outline = _outline(rng, _TO_METRES.transform(*CENTRE_LONLAT))
    seeds = _seed_points(rng, outline, NEIGHBOURHOOD_COUNT)
    cells = _coverage(_cells(outline, seeds))
    neighbourhoods: list[Neighbourhood] = []
    for suffix, members in sorted(_group_districts(seeds, cells).items()):
        walk = [members[i] for i in _walk_order(seeds[members])]
        if len(walk) > len(NEIGHBOURHOOD_NAMES[suffix]):
            raise ValueError(f"地区 {suffix} has {len(walk)} 町内 but fewer names")
        for number, (index, name) in enumerate(
            zip(walk, NEIGHBOURHOOD_NAMES[suffix], strict=False), start=1
        ):
            lonlat = as_multipolygon(to_lonlat(cells[index]))
            neighbourhoods.append(
                Neighbourhood(
                    code=f"{CITY_CODE}-{suffix}-{number:02d}",
                    name=name,
                    district_suffix=suffix,
                    metric=as_multipolygon(cells[index]),
                    lonlat=lonlat,
                    representative=lonlat.point_on_surface(),
                )
            )
    districts = [
        SampleDistrict(
            CITY_CODE,
            CITY_NAME,
            "municipality",
            None,
            as_multipolygon(shapely.union_all([n.lonlat for n in neighbourhoods])),
        )
    ]
    for suffix, name in DISTRICT_NAMES.items():
        parts = [n.lonlat for n in neighbourhoods if n.district_suffix == suffix]
        districts.append(
            SampleDistrict(
                f"{CITY_CODE}-{suffix}",
                name,
                "district",
                CITY_CODE,
                as_multipolygon(shapely.union_all(parts)),
            )
        )
    for n in neighbourhoods:
        districts.append(
            SampleDistrict(
                n.code, n.name, "neighbourhood", f"{CITY_CODE}-{n.district_suffix}", n.lonlat
            )
        )

    return districts, neighbourhoods
