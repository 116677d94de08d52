"""Numbered markers that never overlap: a greedy placement of discs, in metres.

A meeting reads the map by its numbers, so no number may hide another. Each marker is a
disc of a given diameter; a marker keeps its own spot when that is free, otherwise it moves
to the nearest free spot on rings around it, away from the crowd it stands in; the caller
draws a leader line back to the true position, which stays marked. The most crowded points
are placed first, so a cluster keeps its middle and spreads outwards. The same pass serves
the screen (in Web-Mercator metres, one placement per zoom step) and paper (in the metric
plane-rectangular zone, with the disc size of the printed marker).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence

import numpy as np

#: Web-Mercator metres per pixel at zoom 0 (256-pixel tiles) and the sphere's radius.
MERCATOR_RESOLUTION = 156543.03392804097
EARTH_RADIUS = 6378137.0
#: Rings are this fraction of the diameter apart; candidates on a ring half a disc apart.
RING_STEP = 0.55
MAX_RINGS = 60
RING_BATCH = 4


def mercator(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Web-Mercator metres (EPSG:3857) of longitude/latitude arrays."""
    x = EARTH_RADIUS * np.radians(lon)
    y = EARTH_RADIUS * np.log(np.tan(np.pi / 4 + np.radians(lat) / 2))
    return x, y


def lonlat(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Longitude/latitude of Web-Mercator metres."""
    lon = np.degrees(x / EARTH_RADIUS)
    lat = np.degrees(2 * np.arctan(np.exp(y / EARTH_RADIUS)) - np.pi / 2)
    return lon, lat


def pixel_size(zoom: float) -> float:
    """Web-Mercator metres one screen pixel spans at ``zoom``."""
    return MERCATOR_RESOLUTION / 2.0**zoom


def fit_zoom(
    bounds: tuple[float, float, float, float], width_px: float, height_px: float, snap: float
) -> float:
    """The zoom Leaflet's fitBounds picks for ``bounds`` (west, south, east, north) in a
    viewport of the given size, rounded down to ``snap``."""
    (x0, x1), (y0, y1) = mercator(
        np.array([bounds[0], bounds[2]]), np.array([bounds[1], bounds[3]])
    )
    span = max((x1 - x0) / width_px, (y1 - y0) / height_px, 1e-9)
    zoom = math.log2(MERCATOR_RESOLUTION / span)
    return math.floor(zoom / snap) * snap


def _crowding(xs: np.ndarray, ys: np.ndarray, diameter: float) -> np.ndarray:
    """How many other points lie within two diameters of each point."""
    from scipy.spatial import cKDTree

    tree = cKDTree(np.column_stack([xs, ys]))
    return np.array([len(n) - 1 for n in tree.query_ball_point(tree.data, 2 * diameter)])


@functools.cache
def _ring_offsets(count: int) -> np.ndarray:
    """0, 1, -1, 2, -2 … : the steps around a ring of ``count`` spots, nearest first."""
    steps = np.arange(count)
    return np.where(steps % 2 == 1, (steps + 1) // 2, -(steps // 2))


@functools.cache
def _ring_batch(first: int) -> tuple[np.ndarray, np.ndarray]:
    """Radii (in diameters) and angle offsets of the spots of rings ``first`` … the next
    few: each ring's spots half a diameter apart, in the order 0, 1, -1, 2, -2 …"""
    radii, angles = [], []
    for ring in range(first, min(first + RING_BATCH, MAX_RINGS + 1)):
        radius = ring * RING_STEP
        count = max(8, math.ceil(2 * math.pi * radius / 0.5))
        radii.append(np.full(count, radius))
        angles.append(2 * math.pi * _ring_offsets(count) / count)
    return np.concatenate(radii), np.concatenate(angles)


def _free_spot(
    x: float, y: float, others: np.ndarray, need: np.ndarray, diameter: float, away: float
) -> tuple[float, float]:
    """The first spot on rings around (x, y), nearest ring first and each ring from the
    direction ``away``, at least ``need[i]`` from each centre ``others[i]`` (n × 2).
    Rings are tried a few at a time (one array operation for each batch)."""
    distance = np.hypot(others[:, 0] - x, others[:, 1] - y)
    for first in range(1, MAX_RINGS + 1, RING_BATCH):
        radii, offsets = _ring_batch(first)
        spots = np.empty((len(radii), 2))
        spots[:, 0] = x + diameter * radii * np.cos(away + offsets)
        spots[:, 1] = y + diameter * radii * np.sin(away + offsets)
        near = distance < radii[-1] * diameter + need
        if not near.any():
            return float(spots[0, 0]), float(spots[0, 1])
        dx = spots[:, 0, None] - others[None, near, 0]
        dy = spots[:, 1, None] - others[None, near, 1]
        clear = (dx * dx + dy * dy >= (need[near] ** 2)[None, :] * (1 - 1e-9)).all(axis=1)
        free = np.flatnonzero(clear)
        if len(free):
            return float(spots[free[0], 0]), float(spots[free[0], 1])
    return x, y


def box_obstacle(
    x: float, y: float, width: float, height: float
) -> list[tuple[float, float, float]]:
    """A ``width`` × ``height`` box centred on (x, y) as a chain of discs (x, y, radius)
    that covers it (a label a marker must not hide)."""
    radius = height / 2 * math.sqrt(2)
    span = max(width - height, 0.0)
    count = max(1, math.ceil(span / (height / 2)) + 1)
    return [(x - span / 2 + span * k / max(count - 1, 1), y, radius) for k in range(count)]


def place_discs(
    xs: np.ndarray,
    ys: np.ndarray,
    diameter: float,
    *,
    fixed: Sequence[tuple[float, float, float]] = (),
) -> tuple[np.ndarray, np.ndarray]:
    """Centres for discs of ``diameter`` near (xs, ys) so that no two overlap, nor any
    fixed disc ``(x, y, radius)`` (a label, the north arrow); a point keeps its own spot
    when it is free."""
    xs, ys = np.asarray(xs, dtype=float), np.asarray(ys, dtype=float)
    n = len(xs)
    if n == 0:
        return xs.copy(), ys.copy()
    placed = np.empty((n + len(fixed), 2))
    need = np.empty(n + len(fixed))
    for k, (fx, fy, radius) in enumerate(fixed):
        placed[k], need[k] = (fx, fy), diameter / 2 + radius
    taken = len(fixed)
    out_x, out_y = xs.copy(), ys.copy()
    for i in np.lexsort((np.arange(n), -_crowding(xs, ys, diameter))):  # most crowded first
        x, y = float(xs[i]), float(ys[i])
        others, clearance = placed[:taken], need[:taken]
        if taken and np.any(((others - (x, y)) ** 2).sum(axis=1) < clearance**2 * (1 - 1e-9)):
            near = (np.abs(xs - x) < 3 * diameter) & (np.abs(ys - y) < 3 * diameter)
            dx, dy = x - float(np.mean(xs[near])), y - float(np.mean(ys[near]))
            away = math.atan2(dy, dx) if abs(dx) + abs(dy) > 1e-9 else -math.pi / 2
            x, y = _free_spot(x, y, others, clearance, diameter, away)
        placed[taken], need[taken] = (x, y), diameter
        taken += 1
        out_x[i], out_y[i] = x, y
    return out_x, out_y


#: A label the screen markers keep clear of: lon, lat, width and height in pixels, and the
#: zooms between which it is shown.
LabelBox = tuple[float, float, float, float, float, float]


def screen_placements(
    lons: Sequence[float],
    lats: Sequence[float],
    size_px: float,
    zooms: Sequence[float],
    labels: Sequence[LabelBox] = (),
) -> list[list[list[float]]]:
    """For each zoom, the markers that move: ``[index, lon, lat]`` of their placed centre,
    so that discs of ``size_px`` pixels overlap neither each other nor the labels shown,
    at that zoom or any zoom up to the next one."""
    x, y = mercator(np.asarray(lons, dtype=float), np.asarray(lats, dtype=float))
    result = []
    for step, zoom in enumerate(zooms):
        upto = zooms[step + 1] if step + 1 < len(zooms) else zoom + 0.5
        metres = pixel_size(zoom)
        fixed = []
        for label_lon, label_lat, width, height, shown_from, shown_until in labels:
            if shown_from < upto and shown_until > zoom:
                (lx,), (ly,) = mercator(np.array([label_lon]), np.array([label_lat]))
                fixed += box_obstacle(float(lx), float(ly), width * metres, height * metres)
        px, py = place_discs(x, y, size_px * metres, fixed=fixed)
        moved = np.flatnonzero((np.abs(px - x) > 1e-6) | (np.abs(py - y) > 1e-6))
        moved_lon, moved_lat = lonlat(px[moved], py[moved])
        result.append(
            [
                [int(i), round(float(a), 6), round(float(b), 6)]
                for i, a, b in zip(moved.tolist(), moved_lon, moved_lat, strict=True)
            ]
        )
    return result
