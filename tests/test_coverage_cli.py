"""``lsmap coverage`` and ``lsmap bench coverage`` on the command line."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable

from conftest import SAMPLE_TODAY, CliResult
from helpers import EAST

REQUIRED = (
    "district_code",
    "district_name",
    "level",
    "households",
    "no_watcher",
    "single_watcher",
    "stale",
    "urgent_unvisited",
    "beyond_facility",
    "beyond_salon",
    "beyond_food_bank",
    "beyond_support_centre",
)


def test_coverage_json_per_district_level(app_url: str, lsmap: Callable[..., CliResult]) -> None:
    done = lsmap(
        app_url,
        "coverage",
        "--level",
        "district",
        "--today",
        SAMPLE_TODAY.isoformat(),
        "--format",
        "json",
    )
    assert done.returncode == 0, done.stderr
    rows = json.loads(done.stdout)
    assert [r["district_code"] for r in rows] == ["149990-01", "149990-02", "149990-03"]
    for row in rows:
        assert set(REQUIRED) <= set(row) and row["level"] == "district"
        assert row["no_watcher"] + row["single_watcher"] <= row["households"]
    town = json.loads(
        lsmap(
            app_url, "coverage", "--level", "municipality", "--today", SAMPLE_TODAY.isoformat()
        ).stdout
    )
    assert town[0]["households"] == sum(r["households"] for r in rows)
    assert town[0]["stale"] == sum(r["stale"] for r in rows)


def test_radius_changes_the_beyond_counts(app_url: str, lsmap: Callable[..., CliResult]) -> None:
    def beyond(radius: str) -> int:
        done = lsmap(
            app_url,
            "coverage",
            "--level",
            "municipality",
            "--radius-m",
            radius,
            "--format",
            "json",
            "--today",
            SAMPLE_TODAY.isoformat(),
        )
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)[0]["beyond_salon"]

    assert beyond("300") > beyond("800") > beyond("5000") == 0


def test_coverage_csv_as_planner_suppresses_small_counts(
    app_url: str, lsmap: Callable[..., CliResult]
) -> None:
    done = lsmap(
        app_url,
        "coverage",
        "--as",
        "planner",
        "--level",
        "neighbourhood",
        "--format",
        "csv",
        "--today",
        SAMPLE_TODAY.isoformat(),
    )
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    assert len(rows) == 20 and set(REQUIRED) <= set(rows[0])
    values = [r["no_watcher"] for r in rows]
    assert "<5" in values and not any(v in {"1", "2", "3", "4"} for v in values)


def test_planner_asking_for_a_small_radius_gets_500_m_and_is_told(
    app_url: str, lsmap: Callable[..., CliResult]
) -> None:
    def town(*who: str) -> CliResult:
        return lsmap(
            app_url,
            "coverage",
            *who,
            "--level",
            "municipality",
            "--radius-m",
            "100",
            "--format",
            "json",
            "--today",
            SAMPLE_TODAY.isoformat(),
        )

    planner, admin = town("--as", "planner"), town()
    assert planner.returncode == 0 and "500 m" in planner.stderr
    beyond_500 = json.loads(
        lsmap(
            app_url,
            "coverage",
            "--level",
            "municipality",
            "--radius-m",
            "500",
            "--format",
            "json",
            "--today",
            SAMPLE_TODAY.isoformat(),
        ).stdout
    )
    assert json.loads(planner.stdout)[0]["beyond_salon"] == beyond_500[0]["beyond_salon"]
    assert json.loads(admin.stdout)[0]["beyond_salon"] > beyond_500[0]["beyond_salon"]
    assert "500 m" not in admin.stderr


def test_coverage_as_staff_is_scoped_and_unknown_user_fails(
    app_url: str, lsmap: Callable[..., CliResult]
) -> None:
    done = lsmap(
        app_url,
        "coverage",
        "--as",
        "staff_east",
        "--format",
        "json",
        "--today",
        SAMPLE_TODAY.isoformat(),
    )
    assert done.returncode == 0, done.stderr
    codes = {r["district_code"] for r in json.loads(done.stdout)}
    assert EAST in codes and all(c.startswith(EAST) for c in codes)
    unknown = lsmap(app_url, "coverage", "--as", "nobody")
    assert unknown.returncode == 1 and "nobody" in unknown.stderr


def test_bench_coverage_prints_both_times_and_their_ratio(
    run_lsmap: Callable[..., CliResult],
) -> None:
    done = run_lsmap(
        "bench",
        "coverage",
        "--households",
        "400",
        "--watchers",
        "100",
        "--resources",
        "40",
        "--districts",
        "30",
        "--repeat",
        "1",
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["households"] == 400 and report["districts"] == 30
    assert report["engine_seconds"] > 0 and report["geopandas_seconds"] > 0
    assert report["speedup"] > 0 and len(report["engine_runs"]) == 1
    # The two approaches agree except where the buffer polygon approximates the circle.
    assert all(k.startswith("beyond_") for k in report["district_rows_differing"])
    assert report["max_distance_difference_m"] < 1e-6  # same nearest distances as sjoin_nearest
