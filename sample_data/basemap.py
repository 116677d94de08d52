"""The sample town's background map: roads, a railway with its station, a river, landmarks.

Generated in metres (EPSG:6677) from the 町内 shapes, so that the sample looks like a real
place when no map of the real town has been imported: a few named main roads, irregular
local street grids (one orientation per 地区), the さくら川 meandering past 川端, the
railway through 駅前 with さくら台駅, parks, schools and a few public buildings. Every name
is invented. Features are stored in EPSG:4326 like everything else.
"""

from __future__ import annotations

import math

import numpy as np
import shapely
from shapely import affinity
from shapely.geometry import LineString, Point, Polygon
from shapely.geometry.base import BaseGeometry

from sample_data.areas import Neighbourhood, to_lonlat
from sample_data.records import SampleBasemapFeature

#: The credit line of the generated layers (printed under every map that shows them).
SAMPLE_CREDIT = "背景：サンプルの町の架空の地図（lsmap が生成）"
SAMPLE_SOURCE = "sample"
#: How far beyond the town the background reaches (the faded neighbours need roads too).
MARGIN_M = 600.0
STREET_SPACING_M = 105.0
STREET_DROP = 0.22
SCHOOLS = ("さくら台東小学校", "さくら台西小学校", "さくら台北小学校", "さくら台中学校")
PUBLIC_BUILDINGS = ("さくら台市役所", "東地区公民館", "西地区公民館", "北地区公民館")


def _hood(neighbourhoods: list[Neighbourhood], *names: str) -> Neighbourhood:
    """The first of ``names`` the town has (a 地区 always has its first five 町内)."""
    by_name = {n.name: n for n in neighbourhoods}
    return next(by_name[name] for name in names if name in by_name)


def _centre(hood: Neighbourhood) -> tuple[float, float]:
    point = hood.metric.representative_point()
    return point.x, point.y


def _smooth_line(
    rng: np.random.Generator,
    through: tuple[float, float],
    angle: float,
    length: float,
    wiggle: float,
) -> LineString:
    """A gently curving line of ``length`` metres through ``through`` at ``angle``."""
    t = np.linspace(-length / 2, length / 2, 120)
    phases = rng.uniform(0, 2 * math.pi, 3)
    offset = sum(
        wiggle / (k + 1) * np.sin(2 * math.pi * (k + 1) * t / length + phases[k]) for k in range(3)
    )
    offset -= np.interp(0.0, t, offset)  # the line passes exactly through ``through``
    dx, dy = math.cos(angle), math.sin(angle)
    x = through[0] + t * dx - offset * dy
    y = through[1] + t * dy + offset * dx
    return LineString(np.column_stack([x, y]))


def _through(points: list[tuple[float, float]], extend: float) -> LineString:
    """A smooth line through ``points`` (Catmull-Rom), extended at both ends."""
    p = np.array(points, dtype=float)
    first = p[0] + (p[0] - p[1]) / np.hypot(*(p[0] - p[1])) * extend
    last = p[-1] + (p[-1] - p[-2]) / np.hypot(*(p[-1] - p[-2])) * extend
    p = np.vstack([first, first, p, last, last])
    out = []
    for i in range(1, len(p) - 2):
        p0, p1, p2, p3 = p[i - 1], p[i], p[i + 1], p[i + 2]
        for t in np.linspace(0, 1, 12, endpoint=False):
            out.append(
                0.5
                * (
                    2 * p1
                    + (-p0 + p2) * t
                    + (2 * p0 - 5 * p1 + 4 * p2 - p3) * t**2
                    + (-p0 + 3 * p1 - 3 * p2 + p3) * t**3
                )
            )
    out.append(p[-2])
    return LineString(out)


def _street_grid(
    rng: np.random.Generator, area: BaseGeometry, angle: float, spacing: float
) -> list[LineString]:
    """An irregular street grid over ``area``: a jittered lattice at ``angle``, some links
    dropped, merged into street lines."""
    cx, cy = area.centroid.x, area.centroid.y
    half = math.hypot(*(np.array(area.bounds[2:]) - np.array(area.bounds[:2]))) / 2 + spacing
    steps = int(half // spacing) + 1
    grid = np.arange(-steps, steps + 1) * spacing
    u, v = np.meshgrid(grid, grid, indexing="ij")
    # Each street keeps a line of its own (a row or column offset), bent a little at corners.
    u = u + rng.normal(0, 0.12 * spacing, (len(grid), 1)) + rng.normal(0, 0.05 * spacing, u.shape)
    v = v + rng.normal(0, 0.12 * spacing, (1, len(grid))) + rng.normal(0, 0.05 * spacing, v.shape)
    ca, sa = math.cos(angle), math.sin(angle)
    x = cx + u * ca - v * sa
    y = cy + u * sa + v * ca
    shapely.prepare(area)
    inside = shapely.contains_xy(area, x, y)
    lines: list[LineString] = []
    for transpose in (False, True):  # streets along one lattice direction, then the other
        for i in range(len(grid)):
            run: list[tuple[float, float]] = []
            for j in range(len(grid)):
                node = (j, i) if transpose else (i, j)
                keep = bool(inside[node]) and (not run or rng.random() >= STREET_DROP)
                if keep:
                    run.append((float(x[node]), float(y[node])))
                if not keep or j == len(grid) - 1:
                    if len(run) >= 2:
                        lines.append(LineString(run))
                    run = [(float(x[node]), float(y[node]))] if bool(inside[node]) else []
    return lines


def _block(centre: tuple[float, float], width: float, height: float, angle: float) -> Polygon:
    box = shapely.box(-width / 2, -height / 2, width / 2, height / 2)
    rotated = affinity.rotate(box, angle, origin=(0, 0), use_radians=True)
    return affinity.translate(rotated, centre[0], centre[1])


def _free_spot(
    rng: np.random.Generator, hood: Neighbourhood, avoid: BaseGeometry, size: float
) -> tuple[float, float]:
    """A point well inside ``hood`` at least ``size`` metres away from ``avoid``."""
    inner = hood.metric.buffer(-size)
    if inner.is_empty:
        inner = hood.metric
    minx, miny, maxx, maxy = inner.bounds
    for _ in range(300):
        point = Point(rng.uniform(minx, maxx), rng.uniform(miny, maxy))
        if inner.contains(point) and point.distance(avoid) > size:
            return point.x, point.y
    return _centre(hood)


def _feature(kind: str, subkind: str, name: str, geom: BaseGeometry) -> SampleBasemapFeature:
    return SampleBasemapFeature(kind, subkind, name, to_lonlat(geom))


def _main_roads(
    rng: np.random.Generator, hoods: list[Neighbourhood], rail: LineString, area: BaseGeometry
) -> list[tuple[str, LineString]]:
    """Named main roads: one along the railway, one north–south through 本町, one across."""
    station = _centre(_hood(hoods, "駅前"))
    honcho = _centre(_hood(hoods, "本町一丁目"))
    west = _centre(_hood(hoods, "桜ヶ丘一丁目"))
    north = _centre(_hood(hoods, "中里"))
    along = rail.offset_curve(160.0)
    along = max(getattr(along, "geoms", [along]), key=lambda g: g.length)
    roads = [
        ("県道さくら台線", along),
        ("本町通り", _through([honcho, station, north], 2500.0)),
        ("桜ヶ丘通り", _through([west, _centre(_hood(hoods, "若葉台")), honcho], 2500.0)),
        ("北山街道", _through([north, _centre(_hood(hoods, "北山"))], 2500.0)),
    ]
    return [(name, line.intersection(area)) for name, line in roads]


def generate_basemap(
    rng: np.random.Generator, neighbourhoods: list[Neighbourhood]
) -> list[SampleBasemapFeature]:
    """The town's background layers (deterministic for a given ``rng`` state)."""
    town = shapely.union_all([n.metric for n in neighbourhoods])
    area = town.buffer(MARGIN_M, join_style="mitre").envelope
    station_at = _centre(_hood(neighbourhoods, "駅前"))
    rail_angle = rng.uniform(math.radians(10), math.radians(30))
    rail = _smooth_line(rng, station_at, rail_angle, 12000.0, 120.0).intersection(area)
    river_at = _centre(_hood(neighbourhoods, "川端", "新田", "栄町"))
    river_line = _smooth_line(
        rng, river_at, rail_angle + math.radians(rng.uniform(70, 95)), 12000.0, 420.0
    ).intersection(area)
    river = river_line.buffer(14.0)
    station = _block(station_at, 170.0, 22.0, rail_angle)
    features = [
        _feature("rivers", "river", "さくら川", river),
        _feature("railways", "rail", "さくら台線", rail),
        _feature("railways", "station", "さくら台駅", station),
    ]
    mains = _main_roads(rng, neighbourhoods, rail, area)
    features += [_feature("roads", "main", name, line) for name, line in mains]
    barriers = shapely.union_all([river, rail.buffer(6.0), *(m.buffer(8.0) for _, m in mains)])
    features += _local_streets(rng, neighbourhoods, area, town, barriers)
    features += _landmarks(rng, neighbourhoods, barriers)
    return features


def _local_streets(
    rng: np.random.Generator,
    hoods: list[Neighbourhood],
    area: BaseGeometry,
    town: BaseGeometry,
    barriers: BaseGeometry,
) -> list[SampleBasemapFeature]:
    """Street grids, one orientation per 地区 and one for the land around the town."""
    districts = sorted({n.district_suffix for n in hoods})
    parts = [
        (shapely.union_all([n.metric for n in hoods if n.district_suffix == d]), 1.0)
        for d in districts
    ]
    parts.append((area.difference(town.buffer(-20.0)), 1.35))  # sparser outside the town
    streets = []
    for part, spread in parts:
        angle = rng.uniform(0, math.pi / 2)
        for line in _street_grid(rng, part, angle, STREET_SPACING_M * spread):
            cut = line.difference(barriers)
            streets += [g for g in getattr(cut, "geoms", [cut]) if g.length > 25.0]
    return [_feature("roads", "local", "", line) for line in streets]


def _landmarks(
    rng: np.random.Generator, hoods: list[Neighbourhood], barriers: BaseGeometry
) -> list[SampleBasemapFeature]:
    """Schools, parks and public buildings, each in its own 町内."""
    order = [hoods[int(i)] for i in rng.permutation(len(hoods))]
    features = []
    for name, hood in zip(SCHOOLS, order[:4], strict=True):
        at = _free_spot(rng, hood, barriers, 70.0)
        features.append(
            _feature("schools", "", name, _block(at, 120.0, 90.0, rng.uniform(0, math.pi)))
        )
    for hood in order[4:10]:
        at = _free_spot(rng, hood, barriers, 45.0)
        size = rng.uniform(45.0, 85.0)
        block = _block(at, size, size * rng.uniform(0.7, 1.3), rng.uniform(0, math.pi))
        features.append(_feature("parks", "", f"{hood.name}公園", block))
    for name, hood in zip(PUBLIC_BUILDINGS, order[10:14], strict=True):
        at = _free_spot(rng, hood, barriers, 30.0)
        features.append(
            _feature("buildings", "public", name, _block(at, 40.0, 28.0, rng.uniform(0, math.pi)))
        )
    return features
