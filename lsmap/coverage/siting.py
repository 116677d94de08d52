"""Siting help: where a new resource of one kind would reach the most uncovered households.

Greedy maximal coverage: among candidate places (existing resources of other kinds in the
district, and a grid over the district), pick the place that brings the most uncovered
households within the radius, count those as covered, and repeat. With a road network,
"within the radius" is walking distance along it (:meth:`LoadedGraph.reach`), the same
distance that made the households uncovered. Ties go to existing
resources before grid points, then to the lower resource id / grid position.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely
from pyproj import Transformer
from scipy.spatial import cKDTree

from lsmap.access import DistrictTree
from lsmap.coverage.engine import RADIUS_TOLERANCE_M, CoverageInputs, CoverageResult

if TYPE_CHECKING:
    from collections.abc import Sequence

    from lsmap.coverage.network import LoadedGraph

#: At most this many grid points are tried per district.
MAX_GRID_POINTS = 4000


@dataclass(frozen=True)
class SiteCandidate:
    """One suggested place, with the number of uncovered households it would add."""

    rank: int
    source: str  # "resource" (an existing resource of another kind) or "grid"
    resource_id: int | None
    resource_kind: str | None
    lon: float
    lat: float
    gained: int


def descendants(district_ids: np.ndarray, parent_ids: np.ndarray, root: int) -> set[int]:
    """``root`` and every district below it (the district tree of :mod:`lsmap.access`)."""
    pairs = zip(district_ids.tolist(), parent_ids.tolist(), strict=True)
    return set(DistrictTree.from_pairs(pairs).descendants({int(root)}))


def _district_shape(inputs: CoverageInputs, members: set[int]) -> shapely.Geometry | None:
    table = inputs.districts[inputs.districts["id"].isin(members)]
    geoms = [g for g in table["geometry"] if g is not None and not g.is_empty]
    return shapely.union_all(geoms) if geoms else None


def grid_points(shape_m: shapely.Geometry, spacing_m: float | None = None) -> np.ndarray:
    """Points of a square grid inside ``shape_m`` (metres), at most ``MAX_GRID_POINTS``."""
    minx, miny, maxx, maxy = shape_m.bounds
    if spacing_m is None:
        spacing_m = max(50.0, float(np.sqrt(shape_m.area / MAX_GRID_POINTS)) * 1.01)
    xs = np.arange(minx + spacing_m / 2, maxx, spacing_m)
    ys = np.arange(miny + spacing_m / 2, maxy, spacing_m)
    gx, gy = (a.ravel() for a in np.meshgrid(xs, ys))
    inside = shapely.contains_xy(shape_m, gx, gy)
    return np.column_stack([gx[inside], gy[inside]])[:MAX_GRID_POINTS]


def _candidate_places(
    inputs: CoverageInputs,
    result: CoverageResult,
    kind: str,
    members: set[int],
    epsg: int,
    grid_spacing_m: float | None,
) -> tuple[np.ndarray, list[tuple[str, int | None, str | None]]]:
    """Candidate places (metres): resources of other kinds in the district, then a grid."""
    res = result.resources
    rkind = res["distance_kind"].to_numpy(object)
    rx, ry = res["x"].to_numpy(float), res["y"].to_numpy(float)
    r_district = res["district_id"].to_numpy(np.int64)
    pick = (rkind != kind) & np.isin(r_district, list(members)) & np.isfinite(rx) & np.isfinite(ry)
    cand_xy = [np.column_stack([rx[pick], ry[pick]])]
    cand_info: list[tuple[str, int | None, str | None]] = [
        ("resource", int(i), str(k)) for i, k in zip(res["id"][pick], rkind[pick], strict=True)
    ]
    shape = _district_shape(inputs, members)
    if shape is not None:
        to_m = Transformer.from_crs(4326, epsg, always_xy=True)
        shape_m = shapely.transform(
            shape, lambda c: np.column_stack(to_m.transform(c[:, 0], c[:, 1]))
        )
        grid = grid_points(shape_m, grid_spacing_m)
        cand_xy.append(grid)
        cand_info += [("grid", None, None)] * len(grid)
    return np.concatenate(cand_xy), cand_info


def site_candidates(
    inputs: CoverageInputs,
    result: CoverageResult,
    kind: str,
    district_id: int,
    *,
    top: int = 3,
    epsg: int = 6677,
    grid_spacing_m: float | None = None,
    min_gain: int = 1,
    round_to_m: float | None = None,
    network: LoadedGraph | None = None,
) -> list[SiteCandidate]:
    """The ``top`` places for a new ``kind`` in ``district_id``, greedy, with households gained.

    Places that would add fewer than ``min_gain`` households are not suggested. With
    ``round_to_m``, each place is shown at the nearest point of a square grid of that size
    (metres, in ``epsg``), and a place that rounds onto an earlier one is not repeated.
    """
    radius = result.settings.radius_m
    parents = inputs.districts["parent_id"].fillna(-1).to_numpy(np.int64)
    members = descendants(inputs.districts["id"].to_numpy(np.int64), parents, district_id)
    hh = result.households
    uncovered = hh[hh["district_id"].isin(members) & hh[f"beyond_{kind}"]]
    points = uncovered[["x", "y"]].to_numpy(float)
    candidates, cand_info = _candidate_places(inputs, result, kind, members, epsg, grid_spacing_m)
    if len(points) == 0 or len(candidates) == 0:
        return []

    if network is not None:
        reach = network.reach(
            points[:, 0], points[:, 1], candidates[:, 0], candidates[:, 1], radius
        )
    else:
        reach = cKDTree(points).query_ball_point(candidates, r=radius + RADIUS_TOLERANCE_M)
    return _greedy_sites(reach, len(points), candidates, cand_info, top, min_gain, round_to_m, epsg)


def _greedy_sites(
    reach: Sequence[Any],
    households: int,
    candidates: np.ndarray,
    cand_info: list[tuple[str, int | None, str | None]],
    top: int,
    min_gain: int,
    round_to_m: float | None,
    epsg: int,
) -> list[SiteCandidate]:
    """Pick, ``top`` times, the candidate reaching the most households not yet reached
    (``reach[i]``: the households candidate ``i`` reaches)."""
    covered = np.zeros(households, dtype=bool)
    to_lonlat = Transformer.from_crs(epsg, 4326, always_xy=True)
    chosen: list[SiteCandidate] = []
    shown: set[tuple[float, float]] = set()
    for _ in range(top):
        gains = np.array([np.count_nonzero(~covered[r]) if len(r) else 0 for r in reach])
        best = int(np.argmax(gains))  # first maximum: resources first, then grid order
        if gains[best] == 0 or gains[best] < min_gain:
            break
        covered[reach[best]] = True
        x, y = candidates[best]
        if round_to_m:
            x, y = round(x / round_to_m) * round_to_m, round(y / round_to_m) * round_to_m
            if (x, y) in shown:
                continue
            shown.add((x, y))
        source, resource_id, resource_kind = cand_info[best]
        lon, lat = to_lonlat.transform(x, y)
        chosen.append(
            SiteCandidate(
                len(chosen) + 1,
                source,
                resource_id,
                resource_kind,
                float(lon),
                float(lat),
                int(gains[best]),
            )
        )
    return chosen
