"""The coverage engine against a brute-force computation, and one small case per metric.

Coordinates here are planar: with ``epsg=4326`` the projection is the identity, so the
test can place points exactly on district borders and resources exactly at the radius
(squared distances of multiples of 0.5 are exact in floating point).
"""

from __future__ import annotations

import math
from datetime import date

import numpy as np
import pandas as pd
from helpers import derivable_cells
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shapely.geometry import Point, box

from lsmap.coverage.engine import CoverageInputs, Lookup, compute_coverage, locate_points
from lsmap.coverage.report import suppress_small_counts, suppressed
from lsmap.coverage.settings import DISTANCE_KINDS, CoverageSettings
from lsmap.coverage.siting import site_candidates
from lsmap.vocab import FREQUENCIES

TODAY = date(2026, 11, 1)
KINDS = ("facility", "salon", "food_bank", "support_centre", "other")


def grid_districts() -> pd.DataFrame:
    """A 市 (id 1) with two 地区 (ids 2, 3: left and right columns) over 3 x 3 unit squares."""
    rows = [
        (1, "m", "municipality", -1, None),
        (2, "d1", "district", 1, None),
        (3, "d2", "district", 1, None),
    ]
    ids = [17, 11, 15, 10, 12, 16, 14, 13, 18]  # shuffled so that id order != position order
    for (col, row), did in zip([(c, r) for r in range(3) for c in range(3)], ids, strict=True):
        rows.append(
            (did, f"n{did}", "neighbourhood", 2 if col < 2 else 3, box(col, row, col + 1, row + 1))
        )
    return pd.DataFrame(rows, columns=["id", "code", "level", "parent_id", "geometry"]).assign(
        name=lambda t: t["code"]
    )


def make_inputs(households, watchers, links, contacts, resources, districts=None) -> CoverageInputs:  # type: ignore[no-untyped-def]
    return CoverageInputs(
        households=pd.DataFrame(households, columns=["id", "lon", "lat", "district_id"]),
        watchers=pd.DataFrame(watchers, columns=["id", "birth_year", "district_id"]),
        links=pd.DataFrame(links, columns=["household_id", "watcher_id", "expected_days"]),
        contacts=pd.DataFrame(
            contacts, columns=["household_id", "day", "seq", "is_visit", "urgent_sign"]
        ),
        resources=pd.DataFrame(
            resources, columns=["id", "kind", "lon", "lat", "meetings_per_month", "district_id"]
        ),
        districts=grid_districts() if districts is None else districts,
        today=TODAY,
    )


# ---------------------------------------------------------------- brute force


def brute_force(inputs: CoverageInputs, cfg: CoverageSettings) -> tuple[pd.DataFrame, pd.DataFrame]:
    districts = inputs.districts
    parent = dict(zip(districts["id"], districts["parent_id"], strict=True))
    leaves = [r for r in districts.itertuples() if r.id not in set(districts["parent_id"])]
    today = TODAY.toordinal()

    def district_of(x: float, y: float, given: int) -> int:
        if given >= 0:
            return given
        covering = [
            r.id for r in leaves if r.geometry is not None and r.geometry.covers(Point(x, y))
        ]
        return min(covering) if covering else -1

    birth = dict(zip(inputs.watchers["id"], inputs.watchers["birth_year"], strict=True))
    loads: dict[int, set[int]] = {}
    for link in inputs.links.itertuples():
        loads.setdefault(link.watcher_id, set()).add(link.household_id)
    resources = []
    for r in inputs.resources.itertuples():
        kind = (
            "salon_rare"
            if r.kind == "salon" and r.meetings_per_month < cfg.salon_min_meetings_per_month
            else r.kind
        )
        resources.append((kind, r.lon, r.lat))

    rows = []
    for h in inputs.households.itertuples():
        mine = inputs.links[inputs.links["household_id"] == h.id]
        who = set(mine["watcher_id"])
        elderly = [
            not math.isnan(birth[w]) and TODAY.year - birth[w] >= cfg.elderly_age for w in who
        ]
        days = [d for d in mine["expected_days"] if not math.isnan(d)]
        allowed = min(days) if days else cfg.stale_default_days
        log = inputs.contacts[inputs.contacts["household_id"] == h.id]
        ordered = sorted(log.itertuples(), key=lambda c: (c.day, c.seq))
        last_urgent = max((i for i, c in enumerate(ordered) if c.urgent_sign), default=None)
        row = {
            "id": h.id,
            "district_id": district_of(h.lon, h.lat, h.district_id),
            "no_watcher": len(who) == 0,
            "single_watcher": len(who) == 1,
            "elderly_watchers_only": bool(who) and all(elderly),
            "overloaded_watcher": any(len(loads[w]) > cfg.load_threshold for w in who),
            "stale": not ordered or today - max(c.day for c in ordered) > allowed,
            "urgent_unvisited": last_urgent is not None
            and not any(c.is_visit for c in ordered[last_urgent + 1 :]),
        }
        for kind in DISTANCE_KINDS:
            distances = [math.dist((h.lon, h.lat), (x, y)) for k, x, y in resources if k == kind]
            nearest = min(distances, default=math.inf)
            row[f"dist_{kind}_m"] = nearest
            row[f"beyond_{kind}"] = nearest > cfg.radius_m
        rows.append(row)
    per_household = pd.DataFrame(rows)

    def chain(did: int) -> list[int]:
        found = []
        while did >= 0:
            found.append(did)
            did = parent[did]
        return found

    totals = {did: {"households": 0} for did in districts["id"]}
    for row in rows:
        for did in chain(row["district_id"]):
            totals[did]["households"] += 1
            for key in (
                "no_watcher",
                "single_watcher",
                "elderly_watchers_only",
                "overloaded_watcher",
                "stale",
                "urgent_unvisited",
                *(f"beyond_{k}" for k in DISTANCE_KINDS),
            ):
                totals[did][key] = totals[did].get(key, 0) + int(row[key])
    for kind, x, y in resources:
        if kind not in DISTANCE_KINDS:
            continue
        home = district_of(x, y, -1)
        for did in chain(home):
            totals[did][f"resources_{kind}"] = totals[did].get(f"resources_{kind}", 0) + 1
    per_district = pd.DataFrame.from_dict(totals, orient="index").fillna(0).astype(int)
    return per_household, per_district


# ---------------------------------------------------------------- property test

half = st.integers(-1, 7).map(lambda v: v / 2)  # -0.5 .. 3.5: outside, inside and on borders


@st.composite
def coverage_case(draw):  # type: ignore[no-untyped-def]
    n_h = draw(st.integers(1, 12))
    n_w = draw(st.integers(0, 6))
    households = [(100 + i, draw(half), draw(half), -1) for i in range(n_h)]
    watchers = [
        (500 + i, draw(st.sampled_from([1940.0, 1951.0, 1952.0, 1980.0, math.nan])), -1)
        for i in range(n_w)
    ]
    frequencies = [d if d is not None else math.nan for _, d in FREQUENCIES.values()]
    links = []
    if n_w:
        for _ in range(draw(st.integers(0, 20))):
            links.append(
                (
                    100 + draw(st.integers(0, n_h - 1)),
                    500 + draw(st.integers(0, n_w - 1)),
                    draw(st.sampled_from(frequencies)),
                )
            )
    contacts = []
    for seq in range(draw(st.integers(0, 25))):
        contacts.append(
            (
                100 + draw(st.integers(0, n_h - 1)),
                TODAY.toordinal() - draw(st.integers(0, 90)),
                seq,
                draw(st.booleans()),
                draw(st.booleans()),
            )
        )
    resources = []
    for i in range(draw(st.integers(0, 10))):
        resources.append(
            (
                900 + i,
                draw(st.sampled_from(KINDS)),
                draw(half),
                draw(half),
                draw(st.sampled_from([0.5, 1.0, 4.0, math.nan])),
                -1,
            )
        )
    cfg = CoverageSettings(
        radius_m=draw(st.sampled_from([0.5, 1.0, 1.5, 2.5])),
        load_threshold=draw(st.integers(1, 4)),
        stale_default_days=draw(st.integers(10, 60)),
        elderly_age=75,
    )
    return make_inputs(households, watchers, links, contacts, resources), cfg


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(coverage_case())
def test_engine_agrees_with_brute_force(case) -> None:  # type: ignore[no-untyped-def]
    inputs, cfg = case
    result = compute_coverage(inputs, cfg, epsg=4326)
    expected_h, expected_d = brute_force(inputs, cfg)
    got = result.households.set_index("id").loc[expected_h["id"]]
    for column in expected_h.columns.drop("id"):
        if column.startswith("dist_"):
            np.testing.assert_allclose(
                got[column].to_numpy(), expected_h[column].to_numpy(), rtol=1e-12
            )
        else:
            assert got[column].tolist() == expected_h[column].tolist(), column
    table = result.districts.set_index("district_id")
    for column in expected_d.columns:
        assert table.loc[expected_d.index, column].tolist() == expected_d[column].tolist(), column


# ---------------------------------------------------------------- one case per rule


def test_border_points_go_to_the_smallest_covering_id_and_outside_points_to_none() -> None:
    districts = grid_districts()
    leaves = districts[districts["level"] == "neighbourhood"]
    # (1, 1) is the corner of the cells with ids 17 (0,0), 11 (1,0), 10 (0,1), 12 (1,1).
    lon = np.array([1.0, 0.5, 1.0, 3.0, 3.01, np.nan])
    lat = np.array([1.0, 0.5, 0.5, 3.0, 1.0, 1.0])
    got = locate_points(lon, lat, leaves["geometry"].to_numpy(), leaves["id"].to_numpy())
    assert got.tolist() == [10, 17, 11, 18, -1, -1]


def test_resource_exactly_at_the_radius_covers() -> None:
    inputs = make_inputs(
        [(1, 0.0, 0.0, 10), (2, 0.0, -0.1, 10)],
        [],
        [],
        [],
        [(1, "salon", 1.5, 2.0, 4.0, 10)],  # 2.5 from household 1
    )
    result = compute_coverage(inputs, CoverageSettings(radius_m=2.5), epsg=4326)
    h = result.households.set_index("id")
    assert h.loc[1, "dist_salon_m"] == 2.5 and not h.loc[1, "beyond_salon"]
    assert h.loc[2, "beyond_salon"]  # a little farther
    assert h["beyond_food_bank"].all() and np.isinf(h["dist_food_bank_m"]).all()  # none at all


def test_a_salon_meeting_less_than_monthly_counts_separately() -> None:
    inputs = make_inputs(
        [(1, 0.5, 0.5, -1)],
        [],
        [],
        [],
        [(1, "salon", 0.5, 0.6, 0.5, -1), (2, "salon", 2.5, 2.5, 2.0, -1)],
    )
    result = compute_coverage(inputs, CoverageSettings(radius_m=1.0), epsg=4326)
    h = result.households.iloc[0]
    assert h["beyond_salon"] and not h["beyond_salon_rare"]
    d = result.districts.set_index("district_code")
    assert d.loc["m", "resources_salon"] == 1 and d.loc["m", "resources_salon_rare"] == 1
    assert d.loc["n17", "lacks_salon"] and not d.loc["n17", "lacks_salon_rare"]


def test_watchers_elderly_and_load() -> None:
    inputs = make_inputs(
        [(1, 0.5, 0.5, -1), (2, 1.5, 0.5, -1), (3, 2.5, 0.5, -1)],
        [(7, 1950.0, 17), (8, 1990.0, 17), (9, math.nan, 11)],
        [(1, 7, 7.0), (1, 7, 31.0), (2, 7, 7.0), (2, 8, 7.0), (3, 9, math.nan)],
        [],
        [],
    )
    result = compute_coverage(inputs, CoverageSettings(load_threshold=1), epsg=4326)
    h = result.households.set_index("id")
    assert h["watchers"].tolist() == [1, 2, 1]  # watcher 7 twice on household 1 counts once
    assert h["single_watcher"].tolist() == [True, False, True]
    assert h["elderly_watchers_only"].tolist() == [True, False, False]  # unknown age: not elderly
    assert h["overloaded_watcher"].tolist() == [True, True, False]  # watcher 7 has 2 households
    d = result.districts.set_index("district_code")
    assert d.loc["n17", "watchers"] == 2 and d.loc["n17", "overloaded_watchers"] == 1
    assert d.loc["d1", "households"] == 2 and d.loc["m", "households"] == 3


def test_stale_and_urgent_rules() -> None:
    day = TODAY.toordinal()
    inputs = make_inputs(
        [
            (1, 0.5, 0.5, -1),
            (2, 0.5, 0.5, -1),
            (3, 0.5, 0.5, -1),
            (4, 0.5, 0.5, -1),
            (5, 0.5, 0.5, -1),
        ],
        [(7, 1980.0, -1)],
        [(1, 7, 7.0), (2, 7, math.nan)],
        [
            (1, day - 8, 1, False, False),  # weekly, 8 days ago: stale
            (
                2,
                day - 50,
                2,
                False,
                True,
            ),  # as needed: default 60 days, not stale; urgent, no visit
            (3, day - 5, 3, True, False),  # visit, then urgent the same day later: urgent
            (3, day - 5, 4, False, True),
            (4, day - 5, 5, False, True),  # urgent, then a visit: closed
            (4, day - 4, 6, True, False),
        ],
        [],
    )
    result = compute_coverage(inputs, CoverageSettings(stale_default_days=60), epsg=4326)
    h = result.households.set_index("id")
    assert h["stale"].tolist() == [True, False, False, False, True]  # 5: never contacted
    assert h["urgent_unvisited"].tolist() == [False, True, True, False, False]
    assert h.loc[1, "days_since_contact"] == 8 and np.isnan(h.loc[5, "days_since_contact"])


def test_recorded_district_wins_and_unknown_location_is_never_beyond() -> None:
    inputs = make_inputs([(1, 0.5, 0.5, 14), (2, math.nan, math.nan, 13)], [], [], [], [])
    result = compute_coverage(inputs, epsg=4326)
    h = result.households.set_index("id")
    assert h["district_id"].tolist() == [14, 13]
    assert not h.loc[2, "beyond_salon"] and h.loc[1, "beyond_salon"]
    assert result.districts.set_index("district_code").loc["m", "unlocated"] == 1


def test_lookup_of_unsorted_ids() -> None:
    lookup = Lookup(np.array([30, 10, 20]))
    assert lookup(np.array([20, 30, 99, 10])).tolist() == [2, 0, -1, 1]
    assert Lookup(np.array([5, 6, 7]))(np.array([7, 4, 8])).tolist() == [2, -1, -1]


def test_small_counts_are_suppressed_for_planners() -> None:
    assert [suppressed(v) for v in (0, 1, 4, 5, 12)] == [0, "<5", "<5", 5, 12]
    table = pd.DataFrame(
        {
            "households": [20, 3],
            "no_watcher": [2, 0],
            "share_no_watcher": [0.1, 0.0],
            "stale": [9, 1],
        }
    )
    out = suppress_small_counts(table)
    assert out["households"].tolist() == [20, "<5"]
    assert out["no_watcher"].tolist() == ["<5", 0]
    assert out["share_no_watcher"].tolist() == [None, None]  # suppressed count; tiny row
    assert out["stale"].tolist() == [9, "<5"]


def _nested_table(columns: dict[str, list[int]], parents: list[int]) -> pd.DataFrame:
    """A district table (ids 1..n) whose counts roll up: each given value is the district's
    own households; the table holds the rolled-up sums, as the engine reports them."""
    n = len(parents)
    table = pd.DataFrame({"district_id": range(1, n + 1), "parent_id": parents})
    for name, own in columns.items():
        total = list(own)
        for row in range(n - 1, -1, -1):  # children come after their parents
            if parents[row] > 0:
                total[parents[row] - 1] += total[row]
        table[name] = total
    return table


def _parent_rows(table: pd.DataFrame) -> list[int]:
    return [p - 1 if p > 0 else -1 for p in table["parent_id"]]


def test_a_small_count_given_away_by_its_parent_is_protected() -> None:
    # 市 (1) → 地区 2 (町丁目 4: 3 households, 5: 7) and 地区 3 (町丁目 6: 8).
    table = _nested_table(
        {"households": [0, 0, 0, 3, 7, 8], "stale": [0, 0, 0, 4, 4, 6]}, [-1, 1, 1, 2, 2, 3]
    )
    table["share_households"] = 1.0
    out = suppress_small_counts(table)
    # Without more suppression 地区 2's 10 minus the visible 7 gives the "<5" away as 3.
    assert out["households"].tolist() == [18, 10, 8, "<5", "X", 8]
    # Both 町丁目 of 地区 2 are "<5" and add up to 8, so both would be 4. Hiding 地区 2 or
    # the 市 does not help (14 minus 地区 3's 6 gives 8 back): one of them is shown as "X"
    # (any count), after which the other may be anything from 1 to 4.
    assert out["stale"].tolist() == [14, 8, 6, "X", "<5", 6]
    assert out["share_households"].tolist() == [1.0, 1.0, 1.0, None, None, 1.0]
    for column in ("households", "stale"):
        assert (
            derivable_cells(table[column].tolist(), _parent_rows(table), out[column].tolist()) == []
        )


@st.composite
def nested_counts(draw):  # type: ignore[no-untyped-def]
    """市 → 地区 → 町丁目 with small, skewed counts; some households only on a 地区."""
    parents, own = [-1], [0]
    for _ in range(draw(st.integers(1, 4))):
        district = len(parents) + 1
        parents.append(1)
        own.append(draw(st.sampled_from([0, 0, 0, 0, 1, 3, 6])))
        for _ in range(draw(st.integers(1, 5))):
            parents.append(district)
            own.append(draw(st.sampled_from([0, 0, 1, 1, 2, 3, 4, 4, 5, 6, 7, 9, 12, 30])))
    return parents, own


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(nested_counts())
def test_no_suppressed_count_can_be_derived_from_parent_and_siblings(case) -> None:  # type: ignore[no-untyped-def]
    parents, own = case
    table = _nested_table({"households": own}, parents)
    out = suppress_small_counts(table)
    values, shown = table["households"].tolist(), out["households"].tolist()
    for value, mark in zip(values, shown, strict=True):
        assert mark in ("<5", "X") if 0 < value < 5 else mark in ("X", value)
        assert mark != "<5" or 0 < value < 5  # "<5" always means 1 to 4
    assert derivable_cells(values, _parent_rows(table), shown) == []


def test_siting_picks_the_place_that_reaches_most_uncovered_households() -> None:
    households = [(i, 0.1 + 0.05 * i, 2.5, -1) for i in range(1, 6)] + [(9, 2.5, 0.5, -1)]
    inputs = make_inputs(
        households,
        [],
        [],
        [],
        [(1, "facility", 0.3, 2.4, math.nan, -1), (2, "other", 2.5, 0.6, math.nan, -1)],
    )
    result = compute_coverage(inputs, CoverageSettings(radius_m=0.5), epsg=4326)
    picks = site_candidates(inputs, result, "food_bank", 1, epsg=4326, grid_spacing_m=0.5)
    assert [p.gained for p in picks] == [5, 1]
    assert (picks[0].source, picks[0].resource_id) == ("resource", 1)
    assert (picks[1].source, picks[1].resource_id) == ("resource", 2)
    right = site_candidates(inputs, result, "food_bank", 3, epsg=4326)  # 地区 d2 only
    assert [(p.resource_id, p.gained) for p in right] == [(2, 1)]


def test_csv_export_has_a_bom_and_neutralises_formulas() -> None:
    from lsmap.coverage.report import csv_bytes

    table = pd.DataFrame(
        {
            "district_name": ["=HYPERLINK(1)", "本町"],
            "households": [3, 12],
            "share_stale": [np.nan, 0.5],
        }
    )
    data = csv_bytes(table, {"district_name": "地区名"})
    assert data.startswith("\ufeff".encode())
    lines = data.decode("utf-8-sig").splitlines()
    assert lines == ["地区名,households,share_stale", "'=HYPERLINK(1),3,", "本町,12,0.5"]
