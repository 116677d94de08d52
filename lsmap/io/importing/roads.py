"""Importing a road network: read the lines in the limited child, build the walkable graph
once, store it (:mod:`lsmap.coverage.network`, :mod:`lsmap.coverage.network_store`).

From then on coverage, the gap list and siting help use walking distances along it; the
previous network is kept, marked replaced. Administrators only; audited.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from pathlib import Path, PurePath

import geopandas as gpd
import numpy as np
import shapely

from lsmap import access
from lsmap.access.planning import require_planning_admin
from lsmap.coverage.network import BuildReport, build_graph
from lsmap.coverage.network_store import store_network
from lsmap.io.importing.problems import ImportRejected
from lsmap.io.importing.road_files import OSM_SUFFIXES, RoadLines
from lsmap.settings import get_settings
from lsmap.storage import audit
from lsmap.storage.db import transaction

ROAD_SUFFIXES = (".geojson", ".json", ".gpkg", ".zip", ".shp", *OSM_SUFFIXES)
MAX_ROAD_BYTES = 500 * 1024 * 1024


@dataclass(frozen=True)
class RoadImportResult:
    """What a road import built (or would build, when ``dry_run``)."""

    report: BuildReport
    rule: str
    seconds: float
    dry_run: bool

    @property
    def message(self) -> str:
        """A Japanese summary."""
        r = self.report
        done = "確認しました（まだ保存していません）" if self.dry_run else "取り込みました"
        return (
            f"道路網を{done}: 線 {r.input_lines:,} 本"
            f"（うち歩けない道 {r.excluded_lines:,} 本を除外）から、"
            f"交差点・曲がり角 {r.nodes:,} 点、区間 {r.edges:,}、"
            f"延長 {r.length_m / 1000:,.1f} km の歩行ネットワークを作りました。"
            f"つながっていない小さな部分 {r.dropped_components:,} か所"
            f"（区間 {r.dropped_edges:,}）は除き、"
            f"端が近い道 {r.joined_ends:,} か所をつなぎました。"
            f"{self.rule}。"
        )


def lines_in_metres(lines: RoadLines, epsg: int) -> np.ndarray:
    """The lines of ``lines`` reprojected to ``epsg`` (metres)."""
    series = gpd.GeoSeries(shapely.from_wkb(lines.wkb), crs=lines.crs or "EPSG:4326")
    if series.crs is None:
        raise ImportRejected("座標参照系（CRS）が分かりません。.prj も一緒に zip にしてください")
    return np.asarray(series.to_crs(epsg).to_numpy(), dtype=object)


def build_and_store(
    engine: object,
    actor: access.Actor,
    lines: RoadLines,
    *,
    name: str,
    source: str,
    dry_run: bool = False,
) -> RoadImportResult:
    """Build the walkable graph of ``lines`` and (unless ``dry_run``) store it; audited."""
    require_planning_admin(actor)
    epsg = get_settings().metric_epsg
    start = time.perf_counter()
    graph, report = build_graph(
        lines_in_metres(lines, epsg), epsg, excluded=np.array(lines.excluded)
    )
    seconds = time.perf_counter() - start
    if report.edges == 0:
        raise ImportRejected("歩ける道がありません（すべて除外されたか、線がつながっていません）")
    if not dry_run:
        with transaction(engine) as session:  # type: ignore[arg-type]
            row = store_network(
                session,
                graph,
                report,
                name=name,
                source=source,
                imported_by=actor.username,
                details={"rule": lines.rule, "build_seconds": round(seconds, 2)},
            )
            audit.log(
                session, actor, "network_import", "road_network", [row.id], source=source[:100]
            )
    return RoadImportResult(report, lines.rule, seconds, dry_run)


def read_road_path(path: Path) -> RoadLines:
    """Read a road file from disk in the limited child."""
    from lsmap.io.importing.sandbox import parse_roads

    if not path.is_file():
        raise ImportRejected(f"ファイルが見つかりません: {path.name}")
    _check(path.name, path.stat().st_size)
    return parse_roads(path)


def read_road_upload(data: bytes, filename: str) -> RoadLines:
    """Read an uploaded road file in the limited child (never under the uploaded name)."""
    from lsmap.io.importing.sandbox import parse_roads

    name = PurePath(filename.replace("\\", "/")).name
    _check(name, len(data))
    suffix = ".pbf" if name.lower().endswith(".pbf") else PurePath(name).suffix.lower()
    with tempfile.TemporaryDirectory(prefix="lsmap-roads-") as folder:
        path = Path(folder) / f"upload{suffix}"
        path.write_bytes(data)
        return parse_roads(path)


def _check(name: str, size: int) -> None:
    lowered = name.lower()
    if not any(lowered.endswith(s) for s in ROAD_SUFFIXES):
        raise ImportRejected(
            "この形式は読めません。GeoPackage、zip にまとめたシェープファイル、GeoJSON、"
            "OpenStreetMap（.osm・.pbf）を使ってください"
        )
    if size == 0:
        raise ImportRejected("ファイルが空です")
    if size > MAX_ROAD_BYTES:
        raise ImportRejected(f"ファイルが大きすぎます（{size / 1048576:.0f} MB、上限 500 MB）")
