"""``lsmap bench network``: walking distances on a city-sized road graph, next to straight lines.

A synthetic city (nothing real): a jittered street grid of about ``nodes`` intersections
over a square, some blocks without a through street, an east-west river crossed by a few
bridges and a 高速道路 that is excluded. The report gives the graph build, the load of the
stored graph (bytes to a ready segment index), the network distances from every household
to the nearest resource of each kind (multi-source Dijkstra per kind), and the straight-line
engine's distances on the same points, each the median of ``repeat`` runs.
"""

from __future__ import annotations

import statistics
import time
from typing import Any

import numpy as np
import shapely

from lsmap.coverage.engine import nearest_distances
from lsmap.coverage.network import LoadedGraph, RoadGraph, build_graph
from lsmap.coverage.settings import DISTANCE_KINDS

EPSG = 6677


def city_lines(
    rng: np.random.Generator, nodes: int, spacing_m: float = 35.0
) -> tuple[np.ndarray, np.ndarray, float]:
    """(street lines in metres, excluded mask, side length of the city in metres)."""
    side = int(np.sqrt(nodes))
    x = np.arange(side) * spacing_m + rng.normal(0, 3, (side, side))
    y = np.arange(side)[:, None] * spacing_m + rng.normal(0, 3, (side, side))
    xx, yy = np.broadcast_to(x, (side, side)), np.broadcast_to(y, (side, side))
    starts, ends = [], []
    for dr, dc in ((0, 1), (1, 0)):
        r, c = np.meshgrid(np.arange(side - dr), np.arange(side - dc), indexing="ij")
        starts.append(np.column_stack([xx[r, c].ravel(), yy[r, c].ravel()]))
        ends.append(np.column_stack([xx[r + dr, c + dc].ravel(), yy[r + dr, c + dc].ravel()]))
    start, end = np.concatenate(starts), np.concatenate(ends)
    keep = rng.random(len(start)) > 0.08  # dead ends and missing links
    river_y = side * spacing_m * 0.45
    crosses = (np.minimum(start[:, 1], end[:, 1]) < river_y) & (
        np.maximum(start[:, 1], end[:, 1]) > river_y
    )
    bridges = crosses & (np.abs(start[:, 0] % (side * spacing_m / 6)) < spacing_m)
    keep &= ~crosses | bridges
    segments = np.stack([start[keep], end[keep]], axis=1)
    lines = shapely.linestrings(segments)
    length = side * spacing_m
    highway = shapely.linestrings([[0, length * 0.2], [length, length * 0.8]])
    all_lines = np.concatenate([lines, [highway]])
    excluded = np.zeros(len(all_lines), bool)
    excluded[-1] = True
    return all_lines, excluded, length


def _median(function: Any, repeat: int) -> tuple[float, Any]:
    times, value = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        value = function()
        times.append(time.perf_counter() - start)
    return statistics.median(times), value


def bench_network(
    nodes: int = 100_000,
    households: int = 5_000,
    resources: int = 100,
    *,
    repeat: int = 3,
    seed: int = 16,
) -> dict[str, Any]:
    """Time build, load and distances on a synthetic city (see the module docstring)."""
    rng = np.random.default_rng(seed)
    lines, excluded, side = city_lines(rng, nodes)
    build_s, (graph, report) = _median(lambda: build_graph(lines, EPSG, excluded=excluded), 1)
    data = graph.to_bytes()

    def load() -> LoadedGraph:
        loaded = LoadedGraph(RoadGraph.from_bytes(data))
        _ = loaded.tree  # the segment index is part of loading
        return loaded

    load_s, loaded = _median(load, repeat)
    hx, hy = rng.uniform(0, side, households), rng.uniform(0, side, households)
    kinds = rng.choice(list(DISTANCE_KINDS), resources)
    rx, ry = rng.uniform(0, side, resources), rng.uniform(0, side, resources)

    def walk() -> dict[str, np.ndarray]:
        snapped = loaded.snap(hx, hy)  # once for every kind, as the engine does
        return {
            k: loaded.nearest_distances(hx, hy, rx[kinds == k], ry[kinds == k], snapped)
            for k in DISTANCE_KINDS
        }

    def straight_lines() -> dict[str, np.ndarray]:
        return {
            k: nearest_distances(hx, hy, rx[kinds == k], ry[kinds == k]) for k in DISTANCE_KINDS
        }

    network_s, walked = _median(walk, repeat)
    straight_s, straight = _median(straight_lines, repeat)
    ratio = np.concatenate(
        [
            walked[k][np.isfinite(walked[k])] / np.maximum(straight[k][np.isfinite(walked[k])], 1.0)
            for k in DISTANCE_KINDS
        ]
    )
    return {
        "nodes": report.nodes,
        "edges": report.edges,
        "households": households,
        "resources": resources,
        "kinds": len(DISTANCE_KINDS),
        "graph_build_seconds": round(build_s, 3),
        "graph_bytes": len(data),
        "graph_load_seconds": round(load_s, 3),
        "network_distances_seconds": round(network_s, 3),
        "straight_line_distances_seconds": round(straight_s, 4),
        "median_walk_to_straight_ratio": round(float(np.median(ratio)), 3),
        "never_shorter_than_straight": bool((ratio >= 1 - 1e-9).all()),
        "build_report": report.as_dict(),
    }
