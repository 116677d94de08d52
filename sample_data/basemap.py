"""The sample town's background map: its streets and river, a railway with its station, landmarks.

The streets and the river are the town's own (:mod:`sample_data.streets`, the lines the
walking-distance network is built from); here they become background layers, with the
さくら台線 railway through 駅前 and さくら台駅, parks, schools and a few public buildings,
generated in metres (EPSG:6677) from the 町内 shapes. Every name is invented. Features are
stored in EPSG:4326 like everything else.
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
from sample_data.streets import RIVER_WIDTH_M, Street

#: The credit line of the generated layers (printed under every map that shows them).
SAMPLE_CREDIT = "背景：サンプルの町の架空の地図（lsmap が生成）"
SAMPLE_SOURCE = "sample"
#: How far beyond the town the background reaches (the faded neighbours need roads too).
MARGIN_M = 600.0
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


def generate_basemap(
    rng: np.random.Generator,
    neighbourhoods: list[Neighbourhood],
    streets: list[Street],
    river_m: LineString,
) -> list[SampleBasemapFeature]:
    """The town's background layers (deterministic for a given ``rng`` state).

    The roads and the river are the town's own streets and river (:mod:`sample_data.streets`),
    the same lines the walking-distance network is built from, so the map shows the roads
    people walk and the bridges they cross; the railway, the station and the landmarks are
    added here.
    """
    town = shapely.union_all([n.metric for n in neighbourhoods])
    area = town.buffer(MARGIN_M, join_style="mitre").envelope
    station_at = _centre(_hood(neighbourhoods, "駅前"))
    rail_angle = rng.uniform(math.radians(10), math.radians(30))
    rail = _smooth_line(rng, station_at, rail_angle, 12000.0, 120.0).intersection(area)
    river = river_m.buffer(RIVER_WIDTH_M / 2, cap_style="flat").intersection(area)
    station = _block(station_at, 170.0, 22.0, rail_angle)
    features = [
        _feature("rivers", "river", "さくら川", river),
        _feature("railways", "rail", "さくら台線", rail),
        _feature("railways", "station", "さくら台駅", station),
    ]
    features += [SampleBasemapFeature("roads", _road_class(s), s.name, s.geom) for s in streets]
    barriers = shapely.union_all([river, rail.buffer(6.0)])
    features += _landmarks(rng, neighbourhoods, barriers)
    return features


def _road_class(street: Street) -> str:
    """ "main" for the named through roads, bridges and the expressway; "local" otherwise."""
    return "local" if street.highway in ("residential", "service", "unclassified") else "main"


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
