"""``lsmap bench coverage``: the coverage engine against the plain geopandas approach.

Both run on the same synthetic inputs (:mod:`lsmap.bench.synthetic`). The plain approach is what
a GIS analyst would write: ``sjoin`` of households to the finest districts, ``sjoin_nearest``
per resource kind for distances, a buffer join for "within the radius", pandas ``groupby``
for the rest and merges up the district tree.

The report's ``district_rows_differing`` lists rows whose counts differ between the two;
only ``beyond_*`` columns ever do, because the buffer is a polygon inscribed in the circle
(shapely's 16 segments per quarter), so a household just inside the radius can fall
outside it. ``max_distance_difference_m`` compares the nearest distances themselves.
"""

from __future__ import annotations

import statistics
import time
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from lsmap.bench.synthetic import synthetic_inputs
from lsmap.coverage.engine import (
    CoverageInputs,
    CoverageResult,
    compute_coverage,
    resource_distance_kind,
)
from lsmap.coverage.settings import DEFAULT_COVERAGE_SETTINGS, DISTANCE_KINDS, CoverageSettings


def plain_geopandas(
    inputs: CoverageInputs, settings: CoverageSettings = DEFAULT_COVERAGE_SETTINGS, epsg: int = 6677
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-district counts and per-household metrics computed the plain geopandas way."""
    hh = gpd.GeoDataFrame(
        inputs.households[["id"]].copy(),
        geometry=gpd.points_from_xy(inputs.households["lon"], inputs.households["lat"]),
        crs=4326,
    )
    hh["district_id"] = _plain_districts(hh, inputs.districts)
    _plain_watch_and_contacts(hh, inputs, settings)
    _plain_distances(hh, inputs, settings, epsg)
    return _plain_rollup(hh, inputs.districts), pd.DataFrame(hh.drop(columns="geometry"))


def _plain_districts(hh: gpd.GeoDataFrame, districts: pd.DataFrame) -> pd.Series:
    """The finest district of each household: a spatial join, smallest id on borders."""
    leaves = districts[~districts["id"].isin(districts["parent_id"])]
    leaves = gpd.GeoDataFrame(leaves[["id"]], geometry=list(leaves["geometry"]), crs=4326)
    joined = gpd.sjoin(
        hh, leaves.rename(columns={"id": "district_id"}), how="left", predicate="intersects"
    )
    joined = joined.sort_values("district_id").groupby(level=0).first()  # smallest id on borders
    return joined["district_id"].reindex(hh.index).fillna(-1).astype(int)


def _plain_watch_and_contacts(
    hh: gpd.GeoDataFrame, inputs: CoverageInputs, settings: CoverageSettings
) -> None:
    """The watcher and contact metrics per household, with pandas ``groupby`` and ``map``."""
    links = inputs.links.drop_duplicates(["household_id", "watcher_id"])
    watcher_n = links.groupby("household_id").size()
    birth = inputs.watchers.set_index("id")["birth_year"]
    links = links.assign(
        elderly=(inputs.today.year - links["watcher_id"].map(birth)) >= settings.elderly_age
    )
    elderly_n = links.groupby("household_id")["elderly"].sum()
    load = links.groupby("watcher_id").size()
    links = links.assign(overloaded=links["watcher_id"].map(load) > settings.load_threshold)
    overloaded_n = links.groupby("household_id")["overloaded"].sum()
    expected = inputs.links.groupby("household_id")["expected_days"].min()

    contacts = inputs.contacts.assign(key=inputs.contacts["day"] * 2**32 + inputs.contacts["seq"])
    last_day = contacts.groupby("household_id")["day"].max()
    last_urgent = contacts[contacts["urgent_sign"]].groupby("household_id")["key"].max()
    last_visit = contacts[contacts["is_visit"]].groupby("household_id")["key"].max()

    ids = hh["id"]
    n_w = ids.map(watcher_n).fillna(0).to_numpy()
    allowed = ids.map(expected).fillna(settings.stale_default_days).to_numpy()
    since = inputs.today.toordinal() - ids.map(last_day).to_numpy()
    u, v = ids.map(last_urgent).to_numpy(), ids.map(last_visit).fillna(-1).to_numpy()
    hh["no_watcher"] = n_w == 0
    hh["single_watcher"] = n_w == 1
    hh["elderly_watchers_only"] = (n_w > 0) & (ids.map(elderly_n).fillna(0).to_numpy() == n_w)
    hh["overloaded_watcher"] = ids.map(overloaded_n).fillna(0).to_numpy() > 0
    hh["stale"] = np.isnan(since) | (since > allowed)
    hh["urgent_unvisited"] = ~np.isnan(u) & (v <= u)


def _plain_distances(
    hh: gpd.GeoDataFrame, inputs: CoverageInputs, settings: CoverageSettings, epsg: int
) -> None:
    """Nearest resource per kind (``sjoin_nearest``) and "beyond" by a buffer join."""
    hh_m = hh.to_crs(epsg)
    res = gpd.GeoDataFrame(
        inputs.resources[["id"]].assign(
            kind=resource_distance_kind(
                inputs.resources["kind"], inputs.resources["meetings_per_month"], settings
            )
        ),
        geometry=gpd.points_from_xy(inputs.resources["lon"], inputs.resources["lat"]),
        crs=4326,
    ).to_crs(epsg)
    for kind in DISTANCE_KINDS:
        of_kind = res[res["kind"] == kind][["geometry"]]
        nearest = gpd.sjoin_nearest(hh_m[["geometry"]], of_kind, distance_col="distance")
        hh[f"dist_{kind}_m"] = nearest.groupby(level=0)["distance"].first().reindex(hh.index)
        buffers = gpd.GeoDataFrame(geometry=of_kind.buffer(settings.radius_m), crs=epsg)
        within = gpd.sjoin(hh_m[["geometry"]], buffers, predicate="intersects")
        hh[f"beyond_{kind}"] = ~hh.index.isin(within.index)


def _plain_rollup(hh: gpd.GeoDataFrame, districts: pd.DataFrame) -> pd.DataFrame:
    """Counts per district, merged up the district tree one level at a time."""
    columns = [
        "no_watcher",
        "single_watcher",
        "elderly_watchers_only",
        "overloaded_watcher",
        "stale",
        "urgent_unvisited",
        *(f"beyond_{k}" for k in DISTANCE_KINDS),
    ]
    direct = pd.DataFrame(hh[columns]).assign(households=1, district_id=hh["district_id"])
    direct = direct.groupby("district_id")[["households", *columns]].sum().rename_axis(None)
    parents = districts.set_index("id")["parent_id"]
    total = direct.copy()
    level = direct
    while len(level):
        level = level.assign(parent=level.index.map(parents)).dropna(subset=["parent"])
        level = level[level["parent"] >= 0].groupby("parent")[["households", *columns]].sum()
        level.index = level.index.astype(int).rename(None)
        total = total.add(level, fill_value=0)
    return total.reindex(districts["id"]).fillna(0).astype(int)


def _timed(function: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    value = function()
    return time.perf_counter() - start, value


def bench_coverage(
    households: int,
    watchers: int,
    resources: int,
    districts: int,
    *,
    repeat: int = 3,
    seed: int = 5,
    plain_repeat: int | None = None,
) -> dict[str, Any]:
    """Time the engine and the plain approach on the same inputs; medians and their ratio."""
    inputs = synthetic_inputs(households, watchers, resources, districts, seed=seed)
    compute_coverage(inputs)  # warm up (imports, thread pool)
    engine_times, plain_times = [], []
    result = None
    for _ in range(repeat):
        elapsed, result = _timed(lambda: compute_coverage(inputs))
        engine_times.append(elapsed)
    plain = None
    for _ in range(plain_repeat or repeat):
        elapsed, plain = _timed(lambda: plain_geopandas(inputs))
        plain_times.append(elapsed)
    if result is None or plain is None:
        raise ValueError("repeat must be at least 1")
    distance_gap, mismatches = _differences(result, *plain)
    engine_s = statistics.median(engine_times)
    plain_s = statistics.median(plain_times)
    return {
        "households": households,
        "watchers": watchers,
        "resources": resources,
        "districts": districts,
        "median_vertices_per_polygon": _median_vertices(inputs.districts["geometry"]),
        "links": len(inputs.links),
        "contacts": len(inputs.contacts),
        "engine_seconds": round(engine_s, 4),
        "geopandas_seconds": round(plain_s, 4),
        "speedup": round(plain_s / engine_s, 2),
        "engine_runs": [round(t, 4) for t in engine_times],
        "geopandas_runs": [round(t, 4) for t in plain_times],
        "district_rows_differing": {k: v for k, v in mismatches.items() if v},
        "max_distance_difference_m": distance_gap,
    }


def _differences(
    result: CoverageResult, plain: pd.DataFrame, plain_households: pd.DataFrame
) -> tuple[float, dict[str, int]]:
    """The largest difference of a nearest distance (metres), and per column the number of
    district rows whose counts differ."""
    engine_table = result.districts.set_index("district_id")
    distance_gap = max(
        float(
            np.nanmax(
                np.abs(
                    result.households[f"dist_{k}_m"].to_numpy()
                    - plain_households[f"dist_{k}_m"].to_numpy()
                )
            )
        )
        for k in DISTANCE_KINDS
    )
    mismatches = {
        column: int((engine_table[column] != plain[column]).sum()) for column in plain.columns
    }
    return distance_gap, mismatches


def _median_vertices(geometries: pd.Series) -> int:
    """The median number of vertices of the district polygons."""
    return int(
        np.median(
            [
                g.exterior.coords.__len__()
                if g.geom_type == "Polygon"
                else sum(len(p.exterior.coords) for p in g.geoms)
                for g in geometries
                if g is not None
            ]
        )
    )
