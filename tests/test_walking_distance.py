"""Walking distance along a road network (issue 16): a river crossed by one bridge.

A household 300 m from a salon across the river, but 1.5 km by the bridge, is "beyond
800 m" by network and "within" by straight line; the 高速道路 over the river is no way
across; road files (GeoJSON, OpenStreetMap XML and PBF) import through the limited child.
"""

from __future__ import annotations

import json
import struct
import zlib
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely
from pyproj import Transformer
from shapely.geometry import LineString
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from lsmap.access.planning import system_actor
from lsmap.access.views import CoverageInputs
from lsmap.coverage.engine import compute_coverage
from lsmap.coverage.network import LoadedGraph, build_graph
from lsmap.coverage.report import coverage_for
from lsmap.io.importing.problems import ImportRejected
from lsmap.io.importing.roads import build_and_store, read_road_path
from lsmap.storage import db
from lsmap.storage.models import District, Household, Resource
from sample_data.streets import street_grid

EPSG = 6677
ORIGIN = (-50_000.0, -80_000.0)  # metres in EPSG:6677 (Kanagawa)
TO_LONLAT = Transformer.from_crs(EPSG, 4326, always_xy=True)
#: The river runs east-west at y = 450 m; the only bridge is at x = 1300 m.
HOUSEHOLD = (700.0, 330.0)
SALON = (700.0, 630.0)


def _grid(bridge_x: tuple[float, ...] = (1350.0,)) -> list[LineString]:
    return [s.geom for s in street_grid(2000, 1000, 100, river_y_m=450, bridge_x_m=bridge_x)]


def _lonlat(x: float, y: float) -> tuple[float, float]:
    lon, lat = TO_LONLAT.transform(ORIGIN[0] + x, ORIGIN[1] + y)
    return float(lon), float(lat)


def _shifted(lines: list[LineString]) -> np.ndarray:
    return np.array([shapely.transform(g, lambda c: c + np.array(ORIGIN)) for g in lines])


def _inputs() -> CoverageInputs:
    hlon, hlat = _lonlat(*HOUSEHOLD)
    slon, slat = _lonlat(*SALON)
    empty = pd.DataFrame({"household_id": [], "watcher_id": [], "expected_days": []})
    return CoverageInputs(
        households=pd.DataFrame({"id": [1], "lon": [hlon], "lat": [hlat], "district_id": [1]}),
        watchers=pd.DataFrame({"id": [], "birth_year": [], "district_id": []}),
        links=empty,
        contacts=pd.DataFrame(
            {"household_id": [], "day": [], "seq": [], "is_visit": [], "urgent_sign": []}
        ),
        resources=pd.DataFrame(
            {
                "id": [1],
                "kind": ["salon"],
                "lon": [slon],
                "lat": [slat],
                "meetings_per_month": [4.0],
                "district_id": [1],
            }
        ),
        districts=pd.DataFrame(
            {
                "id": [1],
                "code": ["R"],
                "name": ["川の町"],
                "level": ["neighbourhood"],
                "parent_id": [-1],
                "geometry": [None],
            }
        ),
        today=date(2026, 11, 1),
    )


def test_across_the_river_is_beyond_800_m_by_network_and_within_by_straight_line() -> None:
    graph, report = build_graph(_shifted(_grid()), EPSG)
    assert report.dropped_components == 0 and report.edges > 300
    straight = compute_coverage(_inputs(), epsg=EPSG)
    walked = compute_coverage(_inputs(), epsg=EPSG, network=LoadedGraph(graph))
    assert straight.distance_mode == "straight" and walked.distance_mode == "network"
    assert straight.households.loc[0, "dist_salon_m"] == pytest.approx(300.0, abs=0.5)
    assert walked.households.loc[0, "dist_salon_m"] == pytest.approx(1500.0, abs=1.0)
    assert not straight.households.loc[0, "beyond_salon"]
    assert walked.households.loc[0, "beyond_salon"]
    # A bridge right there brings it back within reach.
    near, _ = build_graph(_shifted(_grid(bridge_x=(700.0,))), EPSG)
    closer = compute_coverage(_inputs(), epsg=EPSG, network=LoadedGraph(near))
    assert closer.households.loc[0, "dist_salon_m"] == pytest.approx(300.0, abs=1.0)
    assert not closer.households.loc[0, "beyond_salon"]


def test_a_highway_over_the_river_is_no_way_across() -> None:
    lines = _grid()
    highway = LineString([(700.0, 400.0), (700.0, 500.0)])  # shares both bank vertices
    graph, report = build_graph(
        _shifted([*lines, highway]), EPSG, excluded=np.array([False] * len(lines) + [True])
    )
    assert report.excluded_lines == 1
    walked = compute_coverage(_inputs(), epsg=EPSG, network=LoadedGraph(graph))
    assert walked.households.loc[0, "dist_salon_m"] == pytest.approx(1500.0, abs=1.0)
    crossing, _ = build_graph(_shifted([*lines, highway]), EPSG)  # if it were walkable
    shortcut = compute_coverage(_inputs(), epsg=EPSG, network=LoadedGraph(crossing))
    assert shortcut.households.loc[0, "dist_salon_m"] == pytest.approx(300.0, abs=1.0)


def test_network_distances_equal_dijkstra_from_each_resource() -> None:
    """Multi-source distances equal the minimum over single-source runs (brute force)."""
    from scipy.sparse.csgraph import dijkstra

    rng = np.random.default_rng(3)
    graph, _ = build_graph(_shifted(_grid()), EPSG)
    loaded = LoadedGraph(graph)
    hx, hy = rng.uniform(0, 2000, 60) + ORIGIN[0], rng.uniform(0, 1000, 60) + ORIGIN[1]
    rx, ry = rng.uniform(0, 2000, 4) + ORIGIN[0], rng.uniform(0, 1000, 4) + ORIGIN[1]
    got = loaded.nearest_distances(hx, hy, rx, ry)
    h, r = loaded.snap(hx, hy), loaded.snap(rx, ry)
    table = dijkstra(loaded._matrix(np.array([]), np.array([]), np.array([]), 0), directed=False)
    best = np.full(len(hx), np.inf)
    for j in range(len(rx)):
        for ends_h in ((h.node_a, h.to_a), (h.node_b, h.to_b)):
            for node_r, to_r in ((r.node_a[j], r.to_a[j]), (r.node_b[j], r.to_b[j])):
                best = np.minimum(best, ends_h[1] + table[ends_h[0], node_r] + to_r)
        same = h.edge == r.edge[j]
        best[same] = np.minimum(
            best[same], h.leg[same] + r.leg[j] + np.abs(h.along[same] - r.along[j])
        )
    np.testing.assert_allclose(got, best, rtol=1e-9)
    assert (got >= np.hypot(hx[:, None] - rx, hy[:, None] - ry).min(axis=1) - 1e-6).all()


def _river_town(engine: Engine) -> None:
    """One 町内 around the grid, the household and the salon, in the database."""
    corners = [_lonlat(x, y) for x, y in ((-100, -100), (2100, -100), (2100, 1100), (-100, 1100))]
    with db.transaction(engine) as session:
        town = District(
            code="R",
            name="川の町",
            level="neighbourhood",
            geom=shapely.MultiPolygon([shapely.Polygon(corners)]),
        )
        session.add(town)
        session.flush()
        session.add(
            Household(
                district_id=town.id,
                household_type="elderly_alone",
                location=shapely.Point(*_lonlat(*HOUSEHOLD)),
            )
        )
        session.add(
            Resource(
                kind="salon",
                name="川向こうのサロン",
                meetings_per_month=4.0,
                district_id=town.id,
                location=shapely.Point(*_lonlat(*SALON)),
            )
        )


def test_imported_road_file_makes_coverage_walk_and_say_so(engine: Engine, tmp_path: Path) -> None:
    _river_town(engine)
    admin = system_actor("admin")
    with Session(engine) as session:
        before = coverage_for(session, admin, today=date(2026, 11, 1))
        assert before.network is None and "直線距離" in before.distance_note
        assert not before.result.households.loc[0, "beyond_salon"]
        session.rollback()
    features = [
        {
            "type": "Feature",
            "properties": {"highway": "residential"},
            "geometry": {"type": "LineString", "coordinates": [_lonlat(*c) for c in g.coords]},
        }
        for g in _grid()
    ]
    path = tmp_path / "roads.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    result = build_and_store(
        engine, admin, read_road_path(path), name="川の町の道", source=path.name
    )
    assert result.report.edges > 300 and "highway" in result.rule
    with Session(engine) as session:
        after = coverage_for(session, admin, today=date(2026, 11, 1))
        assert after.network is not None and "道路に沿って歩く距離" in after.distance_note
        assert after.result.households.loc[0, "beyond_salon"]
        straight = coverage_for(session, admin, today=date(2026, 11, 1), straight_line=True)
        assert not straight.result.households.loc[0, "beyond_salon"]
        session.rollback()


def _osm_xml(lines: list[LineString]) -> bytes:
    nodes, ways, ids = [], [], {}
    for number, line in enumerate(lines, 1):
        refs = []
        for x, y in line.coords:
            key = (round(x, 3), round(y, 3))
            if key not in ids:
                ids[key] = len(ids) + 1
                lon, lat = _lonlat(x, y)
                nodes.append(f'<node id="{ids[key]}" lat="{lat:.7f}" lon="{lon:.7f}"/>')
            refs.append(f'<nd ref="{ids[key]}"/>')
        ways.append(f'<way id="{number}">{"".join(refs)}<tag k="highway" v="residential"/></way>')
    return f'<?xml version="1.0"?><osm version="0.6">{"".join(nodes)}{"".join(ways)}</osm>'.encode()


def test_openstreetmap_xml_is_read_and_a_doctype_refused(tmp_path: Path) -> None:
    path = tmp_path / "town.osm"
    path.write_bytes(_osm_xml(_grid()))
    lines = read_road_path(path)
    assert len(lines.wkb) == len(_grid()) and not any(lines.excluded)
    bomb = tmp_path / "bomb.osm"
    bomb.write_bytes(b'<?xml version="1.0"?><!DOCTYPE osm [<!ENTITY a "aaaa">]><osm>&a;</osm>')
    with pytest.raises(ImportRejected, match="DOCTYPE"):
        read_road_path(bomb)


def _blob(kind: str, payload: bytes) -> bytes:
    from osmiter.pbf import fileformat_pb2

    blob = fileformat_pb2.Blob(raw_size=len(payload), zlib_data=zlib.compress(payload))
    data = blob.SerializeToString()
    header = fileformat_pb2.BlobHeader(type=kind, datasize=len(data)).SerializeToString()
    return struct.pack(">I", len(header)) + header + data


def test_openstreetmap_pbf_is_read_and_motorways_left_out(tmp_path: Path) -> None:
    from osmiter.pbf import osmformat_pb2

    header = osmformat_pb2.HeaderBlock(required_features=["OsmSchema-V0.6", "DenseNodes"])
    block = osmformat_pb2.PrimitiveBlock()
    block.stringtable.s.extend([b"", b"highway", b"residential", b"motorway"])
    group = block.primitivegroup.add()
    coords = [_lonlat(0, 0), _lonlat(100, 0), _lonlat(200, 0)]
    last = (0, 0, 0)
    for number, (lon, lat) in enumerate(coords, 1):
        values = (number, round(lat * 1e7), round(lon * 1e7))  # 1e9 / granularity 100
        group.dense.id.append(values[0] - last[0])
        group.dense.lat.append(values[1] - last[1])
        group.dense.lon.append(values[2] - last[2])
        group.dense.denseinfo.version.append(1)  # osmiter reads dense nodes with metadata
        last = values
    ways = block.primitivegroup.add()
    for way_id, refs, value in ((10, (1, 2), 2), (11, (2, 3), 3)):
        way = ways.ways.add(id=way_id, keys=[1], vals=[value])
        way.refs.extend([refs[0], refs[1] - refs[0]])
    path = tmp_path / "town.osm.pbf"
    path.write_bytes(
        _blob("OSMHeader", header.SerializeToString()) + _blob("OSMData", block.SerializeToString())
    )
    lines = read_road_path(path)
    assert lines.excluded == [False, True]
    assert "motorway" in lines.rule
    first = shapely.from_wkb(lines.wkb[0])
    assert first.coords[0] == pytest.approx(coords[0], abs=1e-6)


def test_road_import_needs_an_administrator(engine: Engine) -> None:
    from lsmap.access import AccessDenied, Actor
    from lsmap.io.importing.road_files import RoadLines

    planner = Actor(1, "planner", "計画担当", "planner", frozenset())
    grid = _grid()
    lines = RoadLines([shapely.to_wkb(g) for g in grid], "EPSG:6677", [False] * len(grid), "", 1)
    with pytest.raises(AccessDenied):
        build_and_store(engine, planner, lines, name="x", source="x")
