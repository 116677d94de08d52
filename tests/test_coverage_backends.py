"""Coverage from the database equals coverage computed straight from the sample generator.

The suite runs on SQLite and on PostGIS, so passing on both shows that the two backends
give the same coverage output for the sample town. Also: who gets which rows.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from conftest import SAMPLE_TODAY, actor_for, district_id
from helpers import EAST, WEST, derivable_cells
from sqlalchemy import select
from sqlalchemy.orm import Session

from lsmap import access
from lsmap.access import AccessDenied
from lsmap.coverage.engine import CoverageInputs, compute_coverage, district_rows
from lsmap.coverage.report import REPORT_COLUMNS, coverage_for, district_table, gap_rows, siting
from lsmap.io.sample import _neighbourhood_ids
from lsmap.storage.models import AuditEntry
from lsmap.vocab import FREQUENCIES, URGENT_SIGNS, logged_by_default
from sample_data.town import generate_town


def inputs_from_generator() -> CoverageInputs:
    """The engine's inputs built from the generated town, without any database."""
    town = generate_town(SAMPLE_TODAY)
    ids = {d.code: i + 1 for i, d in enumerate(town.districts)}
    hoods = [d for d in town.districts if d.level == "neighbourhood"]
    codes, geoms = [d.code for d in hoods], [d.geom for d in hoods]

    def locate(records) -> list[int]:  # type: ignore[no-untyped-def]
        # The loader's rule for the recorded district (its own 町内 wins on a shared edge).
        return _neighbourhood_ids(
            [r.location for r in records], [r.district_code for r in records], codes, geoms, ids
        )

    h_ids = {h.ref: i + 1 for i, h in enumerate(town.households)}
    w_ids = {w.ref: i + 1 for i, w in enumerate(town.watchers)}
    roles = {w.ref: w.role for w in town.watchers}
    households = pd.DataFrame(
        {
            "id": list(h_ids.values()),
            "lon": [h.location.x for h in town.households],
            "lat": [h.location.y for h in town.households],
            "district_id": locate(town.households),
        }
    )
    watchers = pd.DataFrame(
        {
            "id": list(w_ids.values()),
            "birth_year": [float(w.birth_year) for w in town.watchers],
            "district_id": locate(town.watchers),
            "welfare_volunteer": [w.role == "welfare_volunteer" for w in town.watchers],
        }
    )
    links = pd.DataFrame(
        {
            "household_id": [h_ids[link.household_ref] for link in town.links],
            "watcher_id": [w_ids[link.watcher_ref] for link in town.links],
            # only logged links set the expected interval (issue 12)
            "expected_days": [
                (FREQUENCIES[link.frequency][1] or math.nan)
                if logged_by_default(roles[link.watcher_ref], link.involvement)
                else math.nan
                for link in town.links
            ],
        }
    )
    contacts = pd.DataFrame(
        {
            "household_id": [h_ids[c.household_ref] for c in town.contacts],
            "day": [c.contacted_on.toordinal() for c in town.contacts],
            "seq": np.arange(len(town.contacts)),  # the database ids follow insertion order
            "is_visit": [c.method == "visit" for c in town.contacts],
            "urgent_sign": [bool(URGENT_SIGNS & set(c.signs)) for c in town.contacts],
        }
    )
    resources = pd.DataFrame(
        {
            "id": np.arange(1, len(town.resources) + 1),
            "kind": [r.kind for r in town.resources],
            "lon": [r.location.x for r in town.resources],
            "lat": [r.location.y for r in town.resources],
            "meetings_per_month": [
                math.nan if r.meetings_per_month is None else r.meetings_per_month
                for r in town.resources
            ],
            "district_id": locate(town.resources),
        }
    )
    districts = pd.DataFrame(
        {
            "id": [ids[d.code] for d in town.districts],
            "code": [d.code for d in town.districts],
            "name": [d.name for d in town.districts],
            "level": [d.level for d in town.districts],
            "parent_id": [ids[d.parent_code] if d.parent_code else -1 for d in town.districts],
            "geometry": [d.geom for d in town.districts],
        }
    )
    return CoverageInputs(households, watchers, links, contacts, resources, districts, SAMPLE_TODAY)


def _comparable(table: pd.DataFrame) -> pd.DataFrame:
    return table.drop(columns=["district_id", "parent_id"]).reset_index(drop=True)


def test_database_coverage_equals_the_generator_computation(sample_session: Session) -> None:
    admin = actor_for(sample_session, "admin")
    from_db = coverage_for(sample_session, admin, today=SAMPLE_TODAY)
    # Walking distances on the sample's road network, as the app computes them.
    expected = district_rows(compute_coverage(inputs_from_generator(), network=from_db.network))
    got = district_rows(from_db.result)[list(expected.columns)]  # the census comes on top
    assert len(got) == 24  # 市, 3 地区, 20 町内
    pd.testing.assert_frame_equal(_comparable(got), _comparable(expected), check_exact=True)
    # The result is not trivially empty: there are gaps to find in the sample town.
    town = got.set_index("district_code").loc["149990"]
    assert town["households"] > 300 and 0 < town["no_watcher"] < town["households"]
    assert town["stale"] > 0 and town["urgent_unvisited"] > 0 and town["beyond_food_bank"] > 0


def test_inputs_carry_no_names_phones_or_concerns(sample_session: Session) -> None:
    inputs = access.coverage_inputs(
        sample_session, actor_for(sample_session, "planner"), SAMPLE_TODAY
    )
    columns = {
        c
        for frame in (
            inputs.households,
            inputs.watchers,
            inputs.links,
            inputs.contacts,
            inputs.resources,
        )
        for c in frame.columns
    }
    assert not columns & {
        "name",
        "phone",
        "address",
        "concerns",
        "concern_tags",
        "observation",
        "note",
    }


def test_staff_coverage_is_scoped_to_their_districts(sample_session: Session) -> None:
    staff = actor_for(sample_session, "staff_east")
    view = coverage_for(sample_session, staff, today=SAMPLE_TODAY)
    table = district_table(sample_session, view)
    assert set(table["district_code"]) == {EAST} | {
        c for c in table["district_code"] if c.startswith(EAST + "-")
    }
    admin_table = district_table(
        sample_session,
        coverage_for(sample_session, actor_for(sample_session, "admin"), today=SAMPLE_TODAY),
    )
    east = admin_table.set_index("district_code").loc[EAST]
    assert table.set_index("district_code").loc[EAST].equals(east)  # same numbers, own scope
    east_id = district_id(sample_session, EAST)
    assert set(view.result.households["district_id"]) <= staff.district_ids
    assert east_id in staff.district_ids


def test_planner_gets_suppressed_aggregates_and_no_gap_rows(sample_session: Session) -> None:
    planner = actor_for(sample_session, "planner")
    view = coverage_for(sample_session, planner, today=SAMPLE_TODAY)
    table = district_table(sample_session, view, "neighbourhood")
    assert list(table.columns) == list(REPORT_COLUMNS)
    values = table["no_watcher"].tolist()
    assert "<5" in values and not any(isinstance(v, int) and 0 < v < 5 for v in values)
    with pytest.raises(AccessDenied):
        gap_rows(sample_session, view, None)
    audit = sample_session.scalars(select(AuditEntry).where(AuditEntry.action == "coverage")).all()
    assert (
        audit and audit[-1].username == "planner" and audit[-1].detail["level"] == "neighbourhood"
    )


def test_gap_list_follows_the_access_module(sample_session: Session) -> None:
    meeting = actor_for(sample_session, "meeting_east")
    view = coverage_for(sample_session, meeting, today=SAMPLE_TODAY)
    gaps = gap_rows(sample_session, view, None)
    points = {p.id: p for p in access.household_points(sample_session, meeting, None)}
    assert len(gaps) > 0 and set(gaps["household_id"]) <= set(points)
    metrics = view.result.households.set_index("id")
    for row in gaps.itertuples():
        point = points[row.household_id]
        assert row.names == "・".join(
            r.name for r in point.residents if r.name
        )  # projected names only
        assert row.record == f"/record?household={row.household_id}"
        assert row.watchers == metrics.loc[row.household_id, "watchers"]
    west = actor_for(sample_session, "staff_west")
    west_ids = set(
        gap_rows(sample_session, coverage_for(sample_session, west, today=SAMPLE_TODAY), None)[
            "household_id"
        ]
    )
    assert not west_ids & set(gaps["household_id"])


def test_siting_in_the_sample_town(sample_session: Session) -> None:
    view = coverage_for(sample_session, actor_for(sample_session, "admin"), today=SAMPLE_TODAY)
    west = district_id(sample_session, WEST)
    picks = siting(view, "food_bank", west)
    assert 1 <= len(picks) <= 3
    uncovered = view.result.households
    members = {west} | {
        d
        for d in view.inputs.districts["id"]
        if d in access.expand_districts(sample_session, {west})
    }
    total = int((uncovered["district_id"].isin(members) & uncovered["beyond_food_bank"]).sum())
    assert sum(p.gained for p in picks) <= total
    assert [p.gained for p in picks] == sorted((p.gained for p in picks), reverse=True)


def test_no_suppressed_count_of_the_sample_town_can_be_derived(sample_session: Session) -> None:
    """Planners get every level; for every count column no "<5" or "X" can be worked out
    from a parent total and the visible siblings (LP over the whole nesting)."""
    from lsmap.coverage.report import COUNT_COLUMNS

    view = coverage_for(sample_session, actor_for(sample_session, "planner"), today=SAMPLE_TODAY)
    published = district_table(sample_session, view).set_index("district_code")
    truth = district_rows(view.result)
    rows = {code: i for i, code in enumerate(truth["district_code"])}
    codes = dict(zip(truth["district_id"], truth["district_code"], strict=True))
    parents = [rows[codes[p]] if p in codes else -1 for p in truth["parent_id"]]
    hidden = 0
    for column in (c for c in COUNT_COLUMNS if c in REPORT_COLUMNS):
        shown = published.loc[truth["district_code"], column].tolist()
        hidden += sum(isinstance(v, str) for v in shown)
        assert derivable_cells(truth[column].tolist(), parents, shown) == [], column
    assert hidden > 40  # the sample town has many small counts to protect
    # Each level's table is cut from the same decision (a reader can ask for every level).
    for level in ("municipality", "district", "neighbourhood"):
        part = district_table(sample_session, view, level).set_index("district_code")
        pd.testing.assert_frame_equal(part, published.loc[part.index])


def test_planner_siting_is_coarse_and_never_small(sample_session: Session) -> None:
    """Asking for 100 m, a planner gets 500 m; suggestions reach at least 5 households and
    sit on a grid coarser than the radius; district staff keep what they asked for."""
    from pyproj import Transformer

    from lsmap.coverage.settings import DEFAULT_COVERAGE_SETTINGS
    from lsmap.settings import get_settings

    asked = DEFAULT_COVERAGE_SETTINGS.with_overrides(radius_m=100.0)
    view = coverage_for(
        sample_session, actor_for(sample_session, "planner"), today=SAMPLE_TODAY, settings=asked
    )
    assert view.result.settings.radius_m == 500.0 and view.policy.radius_raised
    grid = view.policy.site_grid_m
    assert grid is not None and grid > view.result.settings.radius_m
    to_m = Transformer.from_crs(4326, get_settings().metric_epsg, always_xy=True)
    picks = [
        p
        for d in view.result.districts["district_id"]
        for kind in ("food_bank", "salon", "facility")
        for p in siting(view, kind, int(d))
    ]
    assert picks  # the sample town has places worth suggesting at 500 m
    for pick in picks:
        assert pick.gained >= 5
        x, y = to_m.transform(pick.lon, pick.lat)
        assert abs(x / grid - round(x / grid)) < 1e-6 and abs(y / grid - round(y / grid)) < 1e-6
    staff = coverage_for(
        sample_session, actor_for(sample_session, "staff_east"), today=SAMPLE_TODAY, settings=asked
    )
    assert staff.result.settings.radius_m == 100.0 and not staff.policy.suppress
    east = [
        d for d in staff.result.districts["district_id"] if d != district_id(sample_session, EAST)
    ]
    staff_picks = [p for d in east for p in siting(staff, "salon", int(d))]
    assert any(p.gained < 5 for p in staff_picks)  # what the planner no longer gets
    assert any(abs(to_m.transform(p.lon, p.lat)[0] / grid % 1) > 1e-3 for p in staff_picks)
