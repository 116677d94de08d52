"""Synthetic prefecture-scale coverage inputs, generated in memory for the benchmark.

Finest districts are Voronoi cells whose edges are densified and warped by one smooth
displacement field (so neighbours still share their wavy borders exactly), giving
realistic vertex counts (about 50–200 per polygon). Above them sit 地区 and 市町村 (no
geometry: the engine rolls counts up through ``parent_id``). Nothing here is real.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import shapely
from pyproj import Transformer

from lsmap.coverage.engine import CoverageInputs
from lsmap.vocab import FREQUENCIES

#: The synthetic region, in EPSG:6677 metres (western Kanagawa).
REGION = (-80_000.0, -90_000.0, -20_000.0, -30_000.0)
KIND_SHARES = {
    "facility": 0.15,
    "salon": 0.5,
    "food_bank": 0.1,
    "support_centre": 0.05,
    "other": 0.2,
}


def _warp(coords: np.ndarray) -> np.ndarray:
    """A smooth, small (≤ 18 m), injective displacement: shared vertices stay shared."""
    x, y = coords[:, 0], coords[:, 1]
    dx = 12 * np.sin(y / 97.0) + 6 * np.sin((x + y) / 53.0)
    dy = 12 * np.sin(x / 89.0) + 6 * np.cos((x - y) / 61.0)
    return np.column_stack([x + dx, y + dy])


def synthetic_districts(rng: np.random.Generator, count: int, epsg: int = 6677) -> pd.DataFrame:
    """``count`` finest districts (lon/lat polygons) plus 地区 and 市町村 above them."""
    minx, miny, maxx, maxy = REGION
    seeds = np.column_stack([rng.uniform(minx, maxx, count), rng.uniform(miny, maxy, count)])
    box = shapely.box(*REGION)
    cells = shapely.get_parts(
        shapely.voronoi_polygons(shapely.multipoints(seeds), extend_to=box, ordered=True)
    )
    cells = shapely.intersection(cells, box)
    side = np.sqrt((maxx - minx) * (maxy - miny) / count)
    cells = shapely.segmentize(cells, max_segment_length=side / 28)
    cells = shapely.transform(cells, _warp)
    to_lonlat = Transformer.from_crs(epsg, 4326, always_xy=True)
    cells = shapely.transform(
        cells, lambda c: np.column_stack(to_lonlat.transform(c[:, 0], c[:, 1]))
    )

    n_mid = max(1, count // 25)
    n_top = max(1, n_mid // 6)
    mid_centres = seeds[rng.choice(count, n_mid, replace=False)]
    top_centres = mid_centres[rng.choice(n_mid, n_top, replace=False)]

    def nearest(points: np.ndarray, centres: np.ndarray) -> np.ndarray:
        from scipy.spatial import cKDTree

        return cKDTree(centres).query(points)[1]

    mid_parent = nearest(mid_centres, top_centres)
    leaf_parent = nearest(seeds, mid_centres)
    top_ids = np.arange(1, n_top + 1)
    mid_ids = np.arange(n_top + 1, n_top + n_mid + 1)
    leaf_ids = np.arange(n_top + n_mid + 1, n_top + n_mid + count + 1)
    frames = [
        pd.DataFrame({"id": top_ids, "level": "municipality", "parent_id": -1, "geometry": None}),
        pd.DataFrame(
            {"id": mid_ids, "level": "district", "parent_id": top_ids[mid_parent], "geometry": None}
        ),
        pd.DataFrame(
            {
                "id": leaf_ids,
                "level": "neighbourhood",
                "parent_id": mid_ids[leaf_parent],
                "geometry": list(cells),
            }
        ),
    ]
    table = pd.concat(frames, ignore_index=True)
    table["code"] = [f"S{i:05d}" for i in table["id"]]
    table["name"] = [f"合成{i}" for i in table["id"]]
    return table[["id", "code", "name", "level", "parent_id", "geometry"]]


def _lonlat(rng: np.random.Generator, count: int, epsg: int) -> tuple[np.ndarray, np.ndarray]:
    minx, miny, maxx, maxy = REGION
    x, y = rng.uniform(minx, maxx, count), rng.uniform(miny, maxy, count)
    lon, lat = Transformer.from_crs(epsg, 4326, always_xy=True).transform(x, y)
    return np.asarray(lon), np.asarray(lat)


def synthetic_inputs(
    households: int,
    watchers: int,
    resources: int,
    districts: int,
    *,
    seed: int = 5,
    today: date = date(2026, 11, 1),
    epsg: int = 6677,
) -> CoverageInputs:
    """Coverage inputs of the given size (households are located by polygon)."""
    rng = np.random.default_rng(seed)
    district_table = synthetic_districts(rng, districts, epsg)
    leaf_ids = district_table.loc[district_table["level"] == "neighbourhood", "id"].to_numpy()

    lon, lat = _lonlat(rng, households, epsg)
    hh = pd.DataFrame(
        {"id": np.arange(1, households + 1), "lon": lon, "lat": lat, "district_id": -1}
    )

    birth = rng.integers(1935, 1990, watchers).astype(float)
    birth[rng.random(watchers) < 0.05] = np.nan
    watcher_table = pd.DataFrame(
        {
            "id": np.arange(1, watchers + 1),
            "birth_year": birth,
            "district_id": rng.choice(leaf_ids, watchers),
        }
    )

    links = _synthetic_links(rng, hh["id"].to_numpy(), watchers)
    contacts = _synthetic_contacts(rng, households, today)
    resource_table = _synthetic_resources(rng, resources, epsg)
    return CoverageInputs(hh, watcher_table, links, contacts, resource_table, district_table, today)


def _synthetic_links(
    rng: np.random.Generator, household_ids: np.ndarray, watchers: int
) -> pd.DataFrame:
    """0–3 links per household to random watchers, with a random expected frequency."""
    per_household = rng.choice([0, 1, 2, 3], size=len(household_ids), p=[0.1, 0.35, 0.35, 0.2])
    link_h = np.repeat(household_ids, per_household)
    frequency_days = np.array(
        [d if d is not None else np.nan for _, d in FREQUENCIES.values()], float
    )
    return pd.DataFrame(
        {
            "household_id": link_h,
            "watcher_id": rng.integers(1, watchers + 1, len(link_h)),
            "expected_days": rng.choice(frequency_days, len(link_h)),
        }
    )


def _synthetic_contacts(rng: np.random.Generator, households: int, today: date) -> pd.DataFrame:
    """Two contacts per household on average over the last 120 days."""
    n_contacts = households * 2
    return pd.DataFrame(
        {
            "household_id": rng.integers(1, households + 1, n_contacts),
            "day": (today - timedelta(days=1)).toordinal() - rng.integers(0, 120, n_contacts),
            "seq": np.arange(n_contacts),
            "is_visit": rng.random(n_contacts) < 0.4,
            "urgent_sign": rng.random(n_contacts) < 0.01,
        }
    )


def _synthetic_resources(rng: np.random.Generator, resources: int, epsg: int) -> pd.DataFrame:
    """Resources of every kind in the town's shares, salons with a meeting frequency."""
    kinds = rng.choice(list(KIND_SHARES), size=resources, p=list(KIND_SHARES.values()))
    rlon, rlat = _lonlat(rng, resources, epsg)
    per_month = np.where(kinds == "salon", rng.choice([0.5, 1.0, 2.0, 4.0], resources), np.nan)
    return pd.DataFrame(
        {
            "id": np.arange(1, resources + 1),
            "kind": kinds,
            "lon": rlon,
            "lat": rlat,
            "meetings_per_month": per_month,
            "district_id": -1,
        }
    )
