"""The coverage engine: where the watch network and local resources do not reach.

Plain, vectorised functions (numpy, scipy, shapely); no Streamlit and no database. Inputs
are the arrays of :class:`CoverageInputs` (ids, coordinates, dates, counts, birth years:
never names). Distances are straight lines in metres in a JGD2011 plane-rectangular CRS
(``lsmap.settings.get_settings().metric_epsg``). Rules, each tested against brute force:

- **District of a point**: the recorded ``district_id`` when given; otherwise the finest
  district (one that is nobody's parent) whose polygon *covers* the point, boundary
  included. A point on a shared border belongs to the covering district with the
  **smallest id**; a point outside every polygon belongs to no district. Households are
  counted in their district and in every district above it (through ``parent_id``).
- **Watchers**: distinct watchers linked to the household (0, 1, 2+); "elderly only" when
  it has watchers and every one is ``elderly_age`` or older this year (unknown birth year:
  not elderly). A watcher's load is the number of distinct households they watch
  (``total_households`` when the caller supplies it, e.g. counted beyond a scoped view);
  overloaded when above ``load_threshold``.
- **Stale**: no contact at all, or more days since the last contact than the shortest
  expected interval of the household's links (``lsmap.vocab.FREQUENCIES``), or than
  ``stale_default_days`` when no link has a fixed frequency.
- **Urgent, unvisited**: the latest contact reporting an urgent sign
  (``lsmap.vocab.URGENT_SIGNS``) has no visit after it, contacts ordered by (day, seq).
  A visit that itself reports the sign does not close it.
- **Beyond a resource kind**: the nearest resource of that kind is farther than
  ``radius_m`` (a resource exactly at the radius covers; 1 µm tolerance for rounding). No
  resource of the kind at all: beyond. A household without a location is never beyond
  (it is counted in ``unlocated`` instead). Salons meeting less than
  ``salon_min_meetings_per_month`` are the separate kind ``salon_rare``; a salon whose
  frequency is not recorded counts as a regular salon.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer
from scipy.spatial import cKDTree

from lsmap.access import DistrictTree
from lsmap.access.views import CoverageInputs
from lsmap.coverage.settings import DEFAULT_COVERAGE_SETTINGS, DISTANCE_KINDS, CoverageSettings

if TYPE_CHECKING:
    from lsmap.coverage.network import LoadedGraph

#: Rounding tolerance of the radius test, in metres.
RADIUS_TOLERANCE_M = 1e-6
#: Household metrics that are counted per district (boolean per household).
COUNTED: tuple[str, ...] = (
    "no_watcher",
    "single_watcher",
    "elderly_watchers_only",
    "overloaded_watcher",
    "stale",
    "urgent_unvisited",
)


@dataclass(frozen=True)
class CoverageResult:
    """Per-household metrics (never leave to planners) and per-district aggregates."""

    households: pd.DataFrame
    districts: pd.DataFrame
    watchers: pd.DataFrame
    #: ``id``, ``district_id`` (recorded or located), ``distance_kind``, ``x``, ``y``.
    resources: pd.DataFrame
    settings: CoverageSettings
    #: "network" (walking distance along the road graph) or "straight" (straight line).
    distance_mode: str = "straight"


# ---------------------------------------------------------------- small vector helpers


@lru_cache(maxsize=8)
def _transformer(epsg: int) -> Transformer:
    return Transformer.from_crs(4326, epsg, always_xy=True)


def project(lon: np.ndarray, lat: np.ndarray, epsg: int) -> tuple[np.ndarray, np.ndarray]:
    """Longitude/latitude (EPSG:4326) to metres in ``epsg``; NaN stays NaN."""
    x, y = _transformer(epsg).transform(np.asarray(lon, float), np.asarray(lat, float))
    return np.asarray(x, float), np.asarray(y, float)


class Lookup:
    """Positions of unique integer ids, looked up many times."""

    def __init__(self, ids: np.ndarray) -> None:
        self.ids = np.asarray(ids, dtype=np.int64)
        n = len(self.ids)
        # Fast path: ids that are first, first+1, ... (as the database and generators give).
        self.first = int(self.ids[0]) if n else 0
        self.contiguous = bool(n) and bool(
            np.array_equal(self.ids, np.arange(self.first, self.first + n))
        )
        if not self.contiguous:
            self.order = np.argsort(self.ids, kind="stable")
            self.sorted = self.ids[self.order]

    def __call__(self, values: np.ndarray) -> np.ndarray:
        """Position of each of ``values`` in the ids, -1 when absent."""
        values = np.asarray(values, dtype=np.int64)
        if len(self.ids) == 0:
            return np.full(len(values), -1, dtype=np.int64)
        if self.contiguous:
            pos = values - self.first
            return np.where((pos >= 0) & (pos < len(self.ids)), pos, -1)
        pos = np.minimum(np.searchsorted(self.sorted, values), len(self.ids) - 1)
        return np.where(self.sorted[pos] == values, self.order[pos], -1)


def index_of(ids: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Position of each of ``values`` in ``ids`` (unique ints), -1 when absent."""
    return Lookup(ids)(values)


def _int_ids(values: pd.Series | np.ndarray) -> np.ndarray:
    """Optional integer ids as int64 with -1 for missing."""
    array = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    return np.where(np.isfinite(array), array, -1).astype(np.int64)


def finest_districts(district_ids: np.ndarray, parent_ids: np.ndarray) -> np.ndarray:
    """Mask of districts that are nobody's parent (the district tree's leaves)."""
    return DistrictTree.leaf_mask(district_ids, parent_ids)


def _grid_candidates(
    x: np.ndarray, y: np.ndarray, bounds: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(point, polygon) pairs whose bounding boxes meet, through a uniform grid index."""
    width = np.median(np.maximum(bounds[:, 2] - bounds[:, 0], bounds[:, 3] - bounds[:, 1]))
    cell = float(width) if width > 0 else 1.0
    x0, y0 = bounds[:, 0].min(), bounds[:, 1].min()
    nx = int((bounds[:, 2].max() - x0) // cell) + 1
    ny = int((bounds[:, 3].max() - y0) // cell) + 1
    ix0 = ((bounds[:, 0] - x0) // cell).astype(np.int64)
    iy0 = ((bounds[:, 1] - y0) // cell).astype(np.int64)
    wx = ((bounds[:, 2] - x0) // cell).astype(np.int64) - ix0 + 1
    wy = ((bounds[:, 3] - y0) // cell).astype(np.int64) - iy0 + 1
    per_polygon = wx * wy
    poly = np.repeat(np.arange(len(bounds)), per_polygon)
    offset = np.arange(len(poly)) - np.repeat(np.cumsum(per_polygon) - per_polygon, per_polygon)
    cells = (iy0[poly] + offset // wx[poly]) * nx + ix0[poly] + offset % wx[poly]
    order = np.argsort(cells, kind="stable")  # by cell, then polygon index
    cells, poly = cells[order], poly[order]
    starts = np.searchsorted(cells, np.arange(nx * ny + 1))

    px = np.floor((x - x0) / cell)
    py = np.floor((y - y0) / cell)
    inside = (px >= 0) & (px < nx) & (py >= 0) & (py < ny)
    points = np.flatnonzero(inside)
    pc = (py[inside] * nx + px[inside]).astype(np.int64)
    counts = starts[pc + 1] - starts[pc]
    pair_point = np.repeat(points, counts)
    first = np.repeat(starts[pc] - (np.cumsum(counts) - counts), counts)
    pair_poly = poly[first + np.arange(len(pair_point))]
    bx, by = x[pair_point], y[pair_point]
    b = bounds[pair_poly]
    meet = (b[:, 0] <= bx) & (bx <= b[:, 2]) & (b[:, 1] <= by) & (by <= b[:, 3])
    return pair_point[meet], pair_poly[meet]


_POOL = ThreadPoolExecutor(max_workers=2, thread_name_prefix="lsmap-coverage")


def _covers_pairs(
    geoms: np.ndarray, pair_poly: np.ndarray, x: np.ndarray, y: np.ndarray
) -> np.ndarray:
    """Whether polygon ``geoms[pair_poly[i]]`` covers point ``(x[i], y[i])``.

    Large inputs run in two threads (shapely frees the GIL); each polygon is tested in one
    thread only, because a prepared geometry builds its index lazily and is not safe to
    share between threads.
    """
    if len(pair_poly) < 20_000:
        return shapely.intersects_xy(geoms[pair_poly], x, y)
    first = pair_poly < len(geoms) // 2
    parts = [np.flatnonzero(first), np.flatnonzero(~first)]
    hit = np.empty(len(pair_poly), dtype=bool)

    def run(part: np.ndarray) -> None:
        hit[part] = shapely.intersects_xy(geoms[pair_poly[part]], x[part], y[part])

    list(_POOL.map(run, parts))
    return hit


def locate_points(
    lon: np.ndarray, lat: np.ndarray, polygons: np.ndarray, polygon_ids: np.ndarray
) -> np.ndarray:
    """Id of the polygon covering each point (smallest id on shared borders), else -1."""
    lon = np.asarray(lon, float)
    lat = np.asarray(lat, float)
    result = np.full(len(lon), -1, dtype=np.int64)
    polygons = np.asarray(polygons, dtype=object)
    usable = np.array([g is not None and not shapely.is_empty(g) for g in polygons], dtype=bool)
    if not usable.any() or len(lon) == 0:
        return result
    geoms = polygons[usable]
    gids = np.asarray(polygon_ids, dtype=np.int64)[usable]
    order = np.argsort(gids, kind="stable")  # polygon index order == id order
    geoms, gids = geoms[order], gids[order]
    shapely.prepare(geoms)
    finite = np.isfinite(lon) & np.isfinite(lat)
    x, y = np.where(finite, lon, np.inf), np.where(finite, lat, np.inf)
    pair_point, pair_poly = _grid_candidates(x, y, shapely.bounds(geoms))
    hit = _covers_pairs(geoms, pair_poly, x[pair_point], y[pair_point])
    pair_point, pair_poly = pair_point[hit], pair_poly[hit]
    if len(pair_point):
        best = np.full(len(lon), len(gids), dtype=np.int64)
        np.minimum.at(best, pair_point, pair_poly)
        found = best < len(gids)
        result[found] = gids[best[found]]
    return result


class _Rollup:
    """Sums per district, rolled up from each district to all its ancestors."""

    def __init__(self, district_ids: np.ndarray, parent_ids: np.ndarray) -> None:
        self.n = len(district_ids)
        self.lookup = Lookup(district_ids)
        self.desc, self.anc = DistrictTree.ancestor_positions(self.lookup(parent_ids))

    def members(self, member_district_ids: np.ndarray) -> np.ndarray:
        """District positions of members (-1: in no known district), for :meth:`sum`."""
        return self.lookup(member_district_ids)

    def sum(self, members: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
        """Rolled-up sum of ``weights`` (default 1) per district, given :meth:`members`."""
        keep = members >= 0
        w = None if weights is None else np.asarray(weights, float)[keep]
        direct = np.bincount(members[keep], weights=w, minlength=self.n)
        return np.bincount(self.anc, weights=direct[self.desc], minlength=self.n)


# ---------------------------------------------------------------- the engine


def resource_distance_kind(
    kind: pd.Series | np.ndarray,
    meetings_per_month: pd.Series | np.ndarray,
    settings: CoverageSettings,
) -> np.ndarray:
    """The distance kind of each resource (salons split by how often they meet)."""
    kinds = np.asarray(kind, dtype=object).copy()
    per_month = pd.to_numeric(pd.Series(meetings_per_month), errors="coerce").to_numpy(float)
    rare = (kinds == "salon") & (per_month < settings.salon_min_meetings_per_month)
    kinds[rare] = "salon_rare"
    return kinds


def query_order(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Positions of the located points in 1 km grid order (nearby queries walk the same
    tree nodes, which keeps the k-d tree queries cache friendly)."""
    where = np.flatnonzero(np.isfinite(x) & np.isfinite(y))
    return where[np.lexsort((y[where] // 1000, x[where] // 1000))]


def nearest_distances(
    hx: np.ndarray, hy: np.ndarray, rx: np.ndarray, ry: np.ndarray, order: np.ndarray | None = None
) -> np.ndarray:
    """Distance (m) from each household to the nearest resource; inf when there is none,
    NaN for a household without coordinates. ``order``: from :func:`query_order`."""
    result = np.full(len(hx), np.nan)
    where = query_order(hx, hy) if order is None else order
    usable = np.isfinite(rx) & np.isfinite(ry)
    if not usable.any():
        result[where] = np.inf
        return result
    tree = cKDTree(np.column_stack([rx[usable], ry[usable]]))
    distance, _ = tree.query(np.column_stack([hx[where], hy[where]]), k=1, workers=-1)
    result[where] = distance
    return result


def compute_coverage(
    inputs: CoverageInputs,
    settings: CoverageSettings = DEFAULT_COVERAGE_SETTINGS,
    *,
    epsg: int | None = None,
    network: LoadedGraph | None = None,
) -> CoverageResult:
    """Every coverage metric per household, per watcher and per district (all levels).

    With ``network`` (in ``epsg``), distances to resources are walking distances along it
    (:mod:`lsmap.coverage.network`) instead of straight lines.
    """
    if epsg is None:
        from lsmap.settings import get_settings

        epsg = get_settings().metric_epsg
    hh, res = inputs.households, inputs.resources
    hid = hh["id"].to_numpy(np.int64)
    hx, hy = project(hh["lon"].to_numpy(float), hh["lat"].to_numpy(float), epsg)
    locator = _Locator(inputs.districts)
    h_district = locator.district_of(hh)
    h_lookup = Lookup(hid)
    watch = _watch_metrics(inputs, settings, h_lookup)
    since, stale, urgent = _contact_metrics(inputs, h_lookup, watch.allowed)
    count = watch.watcher_count
    result = pd.DataFrame(
        {
            "id": hid,
            "district_id": h_district,
            "x": hx,
            "y": hy,
            "watchers": count,
            "no_watcher": count == 0,
            "single_watcher": count == 1,
            "elderly_watchers_only": (count > 0) & (watch.elderly_count == count),
            "overloaded_watcher": watch.overloaded_links > 0,
            "days_since_contact": np.where(since >= 0, since, np.nan),
            "allowed_days": watch.allowed,
            "stale": stale,
            "urgent_unvisited": urgent,
        }
    )
    rx, ry = project(res["lon"].to_numpy(float), res["lat"].to_numpy(float), epsg)
    rkind = resource_distance_kind(res["kind"], res["meetings_per_month"], settings)
    _add_resource_distances(result, rx, ry, rkind, settings, network)
    watcher_frame = _watcher_frame(inputs.watchers, watch)
    resource_frame = pd.DataFrame(
        {
            "id": res["id"].to_numpy(np.int64),
            "district_id": locator.district_of(res),
            "distance_kind": rkind,
            "x": rx,
            "y": ry,
        }
    )
    return CoverageResult(
        households=result,
        districts=_district_table(inputs, locator, result, watcher_frame, resource_frame),
        watchers=watcher_frame,
        resources=resource_frame,
        settings=settings,
        distance_mode="straight" if network is None else "network",
    )


def _watcher_frame(watchers: pd.DataFrame, watch: _Watch) -> pd.DataFrame:
    """Per watcher: district, load, overloaded, elderly."""
    return pd.DataFrame(
        {
            "id": watch.wid,
            "district_id": _int_ids(watchers["district_id"]) if "district_id" in watchers else -1,
            "load": watch.load,
            "overloaded": watch.overloaded,
            "elderly": watch.elderly,
        }
    )


class _Locator:
    """The district of each record: recorded, or located in the finest polygons."""

    def __init__(self, districts: pd.DataFrame) -> None:
        self.ids = districts["id"].to_numpy(np.int64)
        self.parents = _int_ids(districts["parent_id"])
        leaves = finest_districts(self.ids, self.parents)
        self.leaf_ids = self.ids[leaves]
        self.leaf_geoms = districts["geometry"].to_numpy(object)[leaves]

    def district_of(self, frame: pd.DataFrame) -> np.ndarray:
        """``district_id`` of each row of ``frame`` (with ``lon``/``lat``); -1 for none."""
        given = (
            _int_ids(frame["district_id"]) if "district_id" in frame else np.full(len(frame), -1)
        )
        missing = np.flatnonzero(given < 0)
        if len(missing):
            lon, lat = frame["lon"].to_numpy(float), frame["lat"].to_numpy(float)
            given[missing] = locate_points(
                lon[missing], lat[missing], self.leaf_geoms, self.leaf_ids
            )
        return given


@dataclass(frozen=True)
class _Watch:
    """Watch-network figures: per household (``n``) and per watcher (``wid``)."""

    wid: np.ndarray
    watcher_count: np.ndarray
    elderly_count: np.ndarray
    overloaded_links: np.ndarray
    #: Days allowed between contacts (the shortest expected interval of the links).
    allowed: np.ndarray
    load: np.ndarray
    overloaded: np.ndarray
    elderly: np.ndarray


def _watch_metrics(inputs: CoverageInputs, settings: CoverageSettings, h_lookup: Lookup) -> _Watch:
    """Distinct watchers per household, their age and load, and the contact interval."""
    n = len(h_lookup.ids)
    watchers, links = inputs.watchers, inputs.links
    wid = watchers["id"].to_numpy(np.int64)
    nw = len(wid)
    l_h = h_lookup(links["household_id"].to_numpy(np.int64))
    l_w = index_of(wid, links["watcher_id"].to_numpy(np.int64))
    keep = (l_h >= 0) & (l_w >= 0)
    pair = np.sort(l_h[keep] * np.int64(nw + 1) + l_w[keep])
    pair = pair[np.r_[True, pair[1:] != pair[:-1]]] if len(pair) else pair
    p_h, p_w = pair // (nw + 1), pair % (nw + 1)
    birth = pd.to_numeric(watchers["birth_year"], errors="coerce").to_numpy(float)
    elderly = (inputs.today.year - birth) >= settings.elderly_age  # NaN compares False
    load = np.bincount(p_w, minlength=nw).astype(np.int64)
    if "total_households" in watchers:
        total = pd.to_numeric(watchers["total_households"], errors="coerce").to_numpy(float)
        load = np.where(np.isfinite(total), total, load).astype(np.int64)
    overloaded = load > settings.load_threshold
    expected = np.full(n, np.inf)
    days = pd.to_numeric(links["expected_days"], errors="coerce").to_numpy(float)[keep]
    days = np.where(np.isfinite(days), days, np.inf)
    np.minimum.at(expected, l_h[keep], days)
    return _Watch(
        wid=wid,
        watcher_count=np.bincount(p_h, minlength=n),
        elderly_count=np.bincount(p_h, weights=elderly[p_w].astype(float), minlength=n),
        overloaded_links=np.bincount(p_h, weights=overloaded[p_w].astype(float), minlength=n),
        allowed=np.where(np.isfinite(expected), expected, float(settings.stale_default_days)),
        load=load,
        overloaded=overloaded,
        elderly=elderly,
    )


def _contact_metrics(
    inputs: CoverageInputs, h_lookup: Lookup, allowed: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per household: days since the last contact (-1: never), stale, urgent and unvisited."""
    n = len(h_lookup.ids)
    contacts = inputs.contacts
    c_h = h_lookup(contacts["household_id"].to_numpy(np.int64))
    c_ok = c_h >= 0
    c_h = c_h[c_ok]
    c_day = contacts["day"].to_numpy(np.int64)[c_ok]
    c_key = (c_day << np.int64(32)) + contacts["seq"].to_numpy(np.int64)[c_ok]
    none = np.int64(-1)
    last_day = np.full(n, none)
    np.maximum.at(last_day, c_h, c_day)
    urgent_rows = contacts["urgent_sign"].to_numpy(bool)[c_ok]
    visit_rows = contacts["is_visit"].to_numpy(bool)[c_ok]
    last_urgent = np.full(n, none)
    np.maximum.at(last_urgent, c_h[urgent_rows], c_key[urgent_rows])
    last_visit = np.full(n, none)
    np.maximum.at(last_visit, c_h[visit_rows], c_key[visit_rows])
    today = inputs.today.toordinal()
    since = np.where(last_day >= 0, today - last_day, -1)
    stale = (last_day < 0) | (since > allowed)
    urgent = (last_urgent >= 0) & (last_visit <= last_urgent)  # keys are unique per contact
    return since, stale, urgent


def _add_resource_distances(
    result: pd.DataFrame,
    rx: np.ndarray,
    ry: np.ndarray,
    rkind: np.ndarray,
    settings: CoverageSettings,
    network: LoadedGraph | None,
) -> None:
    """Add ``dist_<kind>_m`` and ``beyond_<kind>`` per household to ``result``."""
    hx, hy = result["x"].to_numpy(float), result["y"].to_numpy(float)
    located = np.isfinite(hx) & np.isfinite(hy)
    order = query_order(hx, hy)
    snapped = network.snap(hx, hy) if network is not None else None
    for kind in DISTANCE_KINDS:
        mask = rkind == kind
        if network is not None:
            distance = network.nearest_distances(hx, hy, rx[mask], ry[mask], snapped)
        else:
            distance = nearest_distances(hx, hy, rx[mask], ry[mask], order)
        result[f"dist_{kind}_m"] = distance
        result[f"beyond_{kind}"] = located & (distance > settings.radius_m + RADIUS_TOLERANCE_M)


def _district_table(
    inputs: CoverageInputs,
    locator: _Locator,
    households: pd.DataFrame,
    watchers: pd.DataFrame,
    resources: pd.DataFrame,
) -> pd.DataFrame:
    """Counts and shares per district, rolled up to every level."""
    districts, did, dparent = inputs.districts, locator.ids, locator.parents
    rollup = _Rollup(did, dparent)
    out = pd.DataFrame(
        {
            "district_id": did,
            "district_code": districts["code"].to_numpy(object),
            "district_name": districts["name"].to_numpy(object),
            "level": districts["level"].to_numpy(object),
            "parent_id": np.where(dparent >= 0, dparent, -1),
        }
    )
    h_members = rollup.members(households["district_id"].to_numpy(np.int64))
    r_members = rollup.members(resources["district_id"].to_numpy(np.int64))
    w_members = rollup.members(watchers["district_id"].to_numpy(np.int64))
    located = np.isfinite(households["x"].to_numpy(float)) & np.isfinite(
        households["y"].to_numpy(float)
    )
    households_n = rollup.sum(h_members).astype(np.int64)
    out["households"] = households_n
    out["unlocated"] = rollup.sum(h_members, ~located).astype(np.int64)
    counted = (*COUNTED, *(f"beyond_{k}" for k in DISTANCE_KINDS))
    for column in counted:
        out[column] = rollup.sum(h_members, households[column].to_numpy()).astype(np.int64)
    rkind = resources["distance_kind"].to_numpy()
    for kind in DISTANCE_KINDS:
        count = rollup.sum(r_members, rkind == kind).astype(np.int64)
        out[f"resources_{kind}"] = count
        out[f"lacks_{kind}"] = count == 0
    out["watchers"] = rollup.sum(w_members).astype(np.int64)
    out["overloaded_watchers"] = rollup.sum(w_members, watchers["overloaded"]).astype(np.int64)
    volunteer = (
        inputs.watchers["welfare_volunteer"].to_numpy(bool)
        if "welfare_volunteer" in inputs.watchers
        else np.zeros(len(watchers), dtype=bool)
    )
    out["welfare_volunteers"] = rollup.sum(w_members, volunteer).astype(np.int64)
    with np.errstate(invalid="ignore", divide="ignore"):
        for column in counted:
            out[f"share_{column}"] = np.where(households_n > 0, out[column] / households_n, np.nan)
    return out


def rollup_sum(
    district_ids: np.ndarray,
    parent_ids: np.ndarray,
    member_district_ids: np.ndarray,
    weights: np.ndarray | None = None,
) -> np.ndarray:
    """Per district (in ``district_ids`` order), the sum of ``weights`` (default 1) of the
    members in it or in any district below it."""
    rollup = _Rollup(np.asarray(district_ids, np.int64), _int_ids(parent_ids))
    return rollup.sum(rollup.members(np.asarray(member_district_ids, np.int64)), weights)


def district_rows(result: CoverageResult, level: str | None = None) -> pd.DataFrame:
    """The per-district table, optionally of one level, in code order."""
    table = result.districts
    if level is not None:
        table = table[table["level"] == level]
    return table.sort_values("district_code", kind="stable").reset_index(drop=True)
