"""``lsmap bench map`` runs at small sizes and reports both maps and the baseline."""

from __future__ import annotations

import json
from collections.abc import Callable

from conftest import CliResult


def test_bench_map_reports_city_and_overview(
    empty_url: str, lsmap: Callable[..., CliResult]
) -> None:
    out = lsmap(
        empty_url,
        "bench",
        "map",
        "--households",
        "3000",
        "--watchers",
        "500",
        "--resources",
        "60",
        "--districts",
        "40",
        "--city-households",
        "300",
        "--city-watchers",
        "150",
        "--city-resources",
        "20",
    )
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    for scale in ("city", "overview"):
        assert (
            report[scale]["lsmap"]["seconds"] > 0 and report[scale]["lsmap"]["html_bytes"] > 10_000
        )
        assert report[scale]["plain_folium"]["html_bytes"] > 0
    assert report["city"]["lsmap"]["html_bytes"] < report["city"]["plain_folium"]["html_bytes"]
    assert (
        report["overview"]["lsmap"]["html_bytes"] < report["overview"]["plain_folium"]["html_bytes"]
    )
