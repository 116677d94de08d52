"""``lsmap bench map``: build the maps the app would send, at city and prefecture scale.

Synthetic data of the requested size is made in memory (already projected view objects,
as the access module hands them to the map), then the app's map is built and rendered to
HTML, next to a plain folium map of individual markers with popups built in the same run.
"""

from __future__ import annotations

import time
from typing import Any

import folium
import numpy as np

from layers import layers_for
from lsmap.access.views import (
    HouseholdPoint,
    ResidentView,
    ResourcePoint,
    WatcherPoint,
    WatchLinkLine,
)
from lsmap.bench.synthetic import synthetic_districts
from lsmap.maps.overview import DETAIL_LIMIT, DistrictCounts, aggregate, overview_map
from lsmap.maps.webmap import render_map

SURNAMES = ("佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "山本", "中村", "小林", "加藤")
GIVEN = ("花子", "一郎", "幸子", "正男", "和子", "健一", "美智子", "茂", "節子", "博")
TAGS = ("物忘れ", "足腰が弱い", "閉じこもり", "持病", "買い物が困難", "転倒歴")
KINDS = ("facility", "salon", "food_bank", "support_centre")
INVOLVEMENTS = ("greeting", "safety_check", "visit", "phone", "garbage", "shopping")
#: Plain-folium baseline: above this many markers, time a sample and scale up linearly.
BASELINE_SAMPLE = 20_000


def _city(households: int, watchers: int, resources: int, seed: int) -> dict[str, list[Any]]:
    """View objects for a city of the given size, centred on the sample town."""
    rng = np.random.default_rng(seed)
    span = 0.06 * np.sqrt(households / 5000)

    def lonlat(n: int) -> tuple[np.ndarray, np.ndarray]:
        return 139.40 + rng.normal(0, span / 3, n), 35.45 + rng.normal(0, span / 4, n)

    hlon, hlat = lonlat(households)
    wlon, wlat = lonlat(watchers)
    rlon, rlat = lonlat(resources)
    watcher_count = rng.choice([0, 1, 2, 3], size=households, p=[0.1, 0.3, 0.4, 0.2])
    points: dict[str, list[Any]] = {
        "households": [
            _household(i, float(hlon[i]), float(hlat[i]), int(watcher_count[i]))
            for i in range(households)
        ],
        "watchers": [
            WatcherPoint(
                id=i + 1,
                lon=float(wlon[i]),
                lat=float(wlat[i]),
                name=f"{SURNAMES[(i + 3) % 10]}\u3000{GIVEN[i % 10]}",
                role="neighbour",
                load=1 + i % 4,
                phone="090-0000-0000",
            )
            for i in range(watchers)
        ],
        "links": [],
    }
    link_id = 0
    for i in range(households):
        for _ in range(int(watcher_count[i])):
            w = int(rng.integers(watchers))
            link_id += 1
            points["links"].append(
                WatchLinkLine(
                    id=link_id,
                    household_id=i + 1,
                    watcher_id=w + 1,
                    involvement=INVOLVEMENTS[link_id % len(INVOLVEMENTS)],
                    frequency="weekly",
                    coords=((float(wlon[w]), float(wlat[w])), (float(hlon[i]), float(hlat[i]))),
                )
            )
    for kind in KINDS:
        points[kind] = []
    for i in range(resources):
        kind = KINDS[i % len(KINDS)]
        points[kind].append(_resource(i, kind, float(rlon[i]), float(rlat[i])))
    return points


def _household(i: int, lon: float, lat: float, watcher_count: int) -> HouseholdPoint:
    """The ``i``-th synthetic household with one resident."""
    resident = ResidentView(
        id=i + 1,
        name=f"{SURNAMES[i % 10]}\u3000{GIVEN[(i // 10) % 10]}",
        furigana="やまだ\u3000はなこ",
        birth_year=1940,
        phone="046-200-0000",
        concern_tags=(TAGS[i % 6], TAGS[(i + 2) % 6]),
        concerns="",
        consent_status="consented",
    )
    return HouseholdPoint(
        id=i + 1,
        number=i + 1,
        lon=lon,
        lat=lat,
        approximate=i % 20 == 0,
        watcher_count=watcher_count,
        district_name="本町一丁目",
        household_type="elderly_alone",
        address=f"さくら台市本町一丁目{i % 40 + 1}-{i % 9 + 1}",
        residents=(resident,),
    )


def _resource(i: int, kind: str, lon: float, lat: float) -> ResourcePoint:
    """The ``i``-th synthetic resource."""
    return ResourcePoint(
        id=i + 1,
        kind=kind,
        lon=lon,
        lat=lat,
        name=f"資源{i + 1}",
        address="さくら台市本町",
        phone="046-200-0000",
        schedule="毎週水曜 10:00〜12:00",
        csw_names=("相談員\u3000一郎",) if kind == "facility" else (),
    )


def _timed(build: Any) -> tuple[float, int]:
    start = time.perf_counter()
    html = build()
    return time.perf_counter() - start, len(html.encode("utf-8"))


def _plain_folium(points: dict[str, list[Any]]) -> str:
    """The naive map: one folium marker with a popup per household, watcher and resource."""
    fmap = folium.Map(location=[35.45, 139.4], zoom_start=13, tiles=None)
    for key, items in points.items():
        if key == "links":
            continue
        for p in items:
            folium.CircleMarker(
                [p.lat, p.lon],
                radius=5,
                popup=folium.Popup(getattr(p, "address", "") or getattr(p, "name", "")),
            ).add_to(fmap)
    return fmap.get_root().render()


def _baseline(points: dict[str, list[Any]]) -> dict[str, Any]:
    total = sum(len(items) for key, items in points.items() if key != "links")
    if total <= BASELINE_SAMPLE:
        seconds, size = _timed(lambda: _plain_folium(points))
        return {
            "seconds": round(seconds, 3),
            "html_bytes": size,
            "markers": total,
            "extrapolated": False,
        }
    share = BASELINE_SAMPLE / total
    sample = {
        key: items[: max(1, int(len(items) * share))]
        for key, items in points.items()
        if key != "links"
    }
    seconds, size = _timed(lambda: _plain_folium(sample))
    measured = sum(len(items) for items in sample.values())
    return {
        "seconds": round(seconds * total / measured, 3),
        "html_bytes": int(size * total / measured),
        "markers": total,
        "extrapolated": True,
        "measured_markers": measured,
    }


def bench_city(households: int, watchers: int, resources: int, seed: int = 7) -> dict[str, Any]:
    """The district map as district staff would get it, and the plain folium baseline."""
    points = _city(households, watchers, resources, seed)
    specs = layers_for("staff")
    seconds, size = _timed(
        lambda: render_map(specs, points, [], None, basemap="none").get_root().render()
    )
    return {
        "households": households,
        "watchers": watchers,
        "resources": resources,
        "lsmap": {"seconds": round(seconds, 3), "html_bytes": size, "links": len(points["links"])},
        "plain_folium": _baseline(points),
    }


def bench_overview(
    households: int, watchers: int, resources: int, districts: int, seed: int = 7
) -> dict[str, Any]:
    """The zoomed-out map of a prefecture: aggregation of every household into its district
    and shaded, simplified district polygons; and the plain folium baseline."""
    rng = np.random.default_rng(seed)
    table = synthetic_districts(rng, districts)
    leaves = table[table["level"] == "neighbourhood"]
    leaf_ids = leaves["id"].to_numpy()
    weights = rng.gamma(1.5, size=len(leaf_ids))
    household_district = rng.choice(leaf_ids, size=households, p=weights / weights.sum())
    no_watcher = rng.random(households) < 0.1
    resource_district = rng.choice(leaf_ids, size=resources)

    def build() -> str:
        counts = aggregate(leaf_ids, household_district, no_watcher, resource_district)
        data = DistrictCounts(
            ids=leaf_ids,
            names=list(leaves["name"]),
            geometries=np.asarray(list(leaves["geometry"])),
            households=counts[0],
            no_watcher=counts[1],
            resources=counts[2],
        )
        return overview_map(data, basemap="none").get_root().render()

    seconds, size = _timed(build)
    points = _city(households, watchers, resources, seed)
    return {
        "households": households,
        "watchers": watchers,
        "resources": resources,
        "districts": districts,
        "detail_limit": DETAIL_LIMIT,
        "lsmap": {"seconds": round(seconds, 3), "html_bytes": size},
        "plain_folium": _baseline(points),
    }


def browser_seconds(html: str, chromium: str = "/usr/bin/chromium") -> float:
    """Seconds from navigation until markers or clusters are in the DOM, in headless
    Chromium (Playwright), with the map served locally beside the vendored Leaflet."""
    import functools
    import http.server
    import tempfile
    import threading
    from pathlib import Path

    from playwright.sync_api import sync_playwright

    root = Path(tempfile.mkdtemp(prefix="lsmap-bench-"))
    (root / "app").mkdir()
    (root / "app" / "static").symlink_to(Path(__file__).resolve().parent.parent / "static")
    (root / "map.html").write_text(html, encoding="utf-8")

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

    handler = functools.partial(Quiet, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=chromium,
                args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
            )
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            start = time.perf_counter()
            page.goto(f"http://127.0.0.1:{server.server_port}/map.html")
            page.wait_for_selector(
                ".marker-cluster, .lsmap-number, path.leaflet-interactive", timeout=30_000
            )
            seconds = time.perf_counter() - start
            browser.close()
    finally:
        server.shutdown()
    return seconds


def bench_map(
    households: int,
    watchers: int,
    resources: int,
    districts: int,
    city: tuple[int, int, int] = (5000, 3000, 100),
    *,
    browser: bool = False,
) -> dict[str, Any]:
    """Both scales: the city detail map and the zoomed-out overview of the given size."""
    report = {
        "city": bench_city(*city),
        "overview": bench_overview(households, watchers, resources, districts),
    }
    if browser:
        points = _city(*city, seed=7)
        html = render_map(layers_for("staff"), points, [], None, basemap="none").get_root().render()
        report["city"]["lsmap"]["browser_interactive_seconds"] = round(browser_seconds(html), 3)
    return report


def add_bench_map_command(bench_sub: Any) -> None:
    """Register ``lsmap bench map`` on the ``bench`` subcommand parser."""
    import argparse
    import json
    import sys

    def run(args: argparse.Namespace) -> int:
        report = bench_map(
            args.households,
            args.watchers,
            args.resources,
            args.districts,
            city=(args.city_households, args.city_watchers, args.city_resources),
            browser=args.browser,
        )
        json.dump(report, sys.stdout, ensure_ascii=False, indent=2)
        print()
        return 0

    parser = bench_sub.add_parser(
        "map", help="市と県の地図の作成時間とHTMLの大きさを素直なfolium地図と比べる"
    )
    parser.add_argument("--households", type=int, default=200_000, help="県の概観の世帯数")
    parser.add_argument("--watchers", type=int, default=50_000)
    parser.add_argument("--resources", type=int, default=10_000)
    parser.add_argument("--districts", type=int, default=3_000)
    parser.add_argument("--city-households", type=int, default=5_000)
    parser.add_argument("--city-watchers", type=int, default=3_000)
    parser.add_argument("--city-resources", type=int, default=100)
    parser.add_argument(
        "--browser",
        action="store_true",
        help="市の地図がヘッドレスChromiumで操作可能になるまでの秒数も測る",
    )
    parser.set_defaults(func=run)
