"""Reading a road network file: lines and whether each one may be walked.

Runs in the limited child process (:mod:`lsmap.io.importing.sandbox`, job ``roads``).
GeoPackage, Shapefile (zipped or not) and GeoJSON go through the same hardened reader as
boundary files (:mod:`lsmap.io.importing.boundary_files`: one driver per suffix, content
checked, no virtual files), with a cap of ``LSMAP_IMPORT_MAX_ROAD_FEATURES`` lines.
OpenStreetMap extracts (``.osm`` XML, ``.pbf``) are read with ``osmiter`` (pure Python);
an XML file with a DOCTYPE or entity declarations is refused before parsing.

Not walkable: OSM ``highway=motorway``/``motorway_link`` and ``foot=no``; 基盤地図情報's
道路分類 / 種別 naming 高速 (高速自動車国道等) or 自動車専用道路. Without any such attribute
every line counts as walkable and the result says so.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from lsmap.io.importing.problems import ImportRejected
from lsmap.settings import ImportLimits

OSM_SUFFIXES = (".osm", ".pbf")
#: OSM highway values that are roads or paths (other ways are buildings, areas …).
OSM_NOT_ROADS = frozenset(
    {"proposed", "construction", "abandoned", "platform", "raceway", "bus_stop"}
)
OSM_NOT_WALKABLE = frozenset({"motorway", "motorway_link"})
#: Attribute columns that tell a 高速道路 in converted 基盤地図情報 or other road files.
CLASS_COLUMNS = (
    "rdctg",
    "道路分類",
    "種別",
    "road_class",
    "roadclass",
    "fclass",
    "highway",
    "type",
)
MOTORWAY_COLUMNS = ("motorway", "自動車専用", "自専道")
MOTORWAY_WORDS = re.compile(r"高速|自動車専用|^motorway(_link)?$", re.IGNORECASE)


@dataclass(frozen=True)
class RoadLines:
    """The lines of a road file (WKB, in ``crs``) and which of them are not walkable."""

    wkb: list[bytes]
    crs: str | None
    excluded: list[bool]
    rule: str  # in Japanese: which attribute decided, or that none could
    features: int


def read_road_file(path: str, limits: ImportLimits) -> RoadLines:
    """(child) Read the lines of a road file."""
    source = Path(path)
    if source.suffix.lower() in OSM_SUFFIXES:
        return read_osm(source, limits)
    from lsmap.io.importing.boundary_files import read_boundary_file

    capped = dataclasses.replace(limits, max_features=limits.max_road_features)
    frame = read_boundary_file(path, capped)
    lines = frame[
        frame.geometry.notna() & frame.geometry.geom_type.isin(["LineString", "MultiLineString"])
    ]
    if lines.empty:
        raise ImportRejected(
            "道路の線（LineString）がありません。道路中心線などの線のファイルを指定してください"
        )
    excluded, rule = excluded_by_attributes(lines)
    crs = lines.crs.to_wkt() if lines.crs is not None else None
    return RoadLines(list(lines.geometry.to_wkb()), crs, excluded, rule, len(frame))


def excluded_by_attributes(frame: Any) -> tuple[list[bool], str]:
    """Which lines are 高速道路 (or closed to walkers), and the rule used, in Japanese."""
    columns = {re.sub(r"[\s_]", "", str(c)).lower(): c for c in frame.columns if c != "geometry"}
    excluded = [False] * len(frame)
    used = []
    for key in (*CLASS_COLUMNS, *MOTORWAY_COLUMNS):
        column = columns.get(re.sub(r"[\s_]", "", key).lower())
        if column is None:
            continue
        values = frame[column].astype(str).tolist()
        if key in MOTORWAY_COLUMNS:
            hits = [
                bool(re.search(r"該当|自動車専用|^1$|^true$|^yes$", v)) and "非該当" not in v
                for v in values
            ]
        else:
            hits = [bool(MOTORWAY_WORDS.search(v.strip())) for v in values]
        excluded = [a or b for a, b in zip(excluded, hits, strict=True)]
        used.append(str(column))
    if "foot" in columns:
        excluded = [
            a or str(v) == "no" for a, v in zip(excluded, frame[columns["foot"]], strict=True)
        ]
        used.append(str(columns["foot"]))
    if not used:
        return (
            excluded,
            "高速道路を見分ける属性（highway・道路分類など）がないため、すべての線を歩ける道として扱いました",
        )
    return excluded, f"属性「{'・'.join(used)}」で高速道路・歩行者の通れない道を除きました"


def read_osm(path: Path, limits: ImportLimits) -> RoadLines:
    """(child) The ways with a ``highway`` tag of an OSM XML or PBF file, as lines."""
    import osmiter
    from shapely import to_wkb
    from shapely.geometry import LineString

    data = path.read_bytes()
    fmt = _osm_format(path, data)
    nodes: dict[int, tuple[float, float]] = {}
    wkb: list[bytes] = []
    excluded: list[bool] = []
    skipped_ways = 0
    for feature in osmiter.iter_from_osm(str(path), file_format=fmt):
        if feature["type"] == "node":
            nodes[feature["id"]] = (feature["lon"], feature["lat"])
        elif feature["type"] == "way":
            tags = feature.get("tag", {})
            highway = tags.get("highway")
            if highway is None or highway in OSM_NOT_ROADS:
                continue
            coords = [nodes[n] for n in feature.get("nd", []) if n in nodes]
            if len(coords) < 2:
                skipped_ways += 1
                continue
            if len(wkb) >= limits.max_road_features:
                raise ImportRejected(
                    f"道路が多すぎます（上限 {limits.max_road_features:,} 本）"
                    "。区域を絞ったファイルにしてください"
                    "（上限は LSMAP_IMPORT_MAX_ROAD_FEATURES で変えられます）"
                )
            wkb.append(to_wkb(LineString(coords)))
            excluded.append(highway in OSM_NOT_WALKABLE or tags.get("foot") == "no")
    if not wkb and not nodes and skipped_ways:
        raise ImportRejected(
            "OpenStreetMap のファイルから点（node）の位置を読めませんでした。"
            "メタデータのない .pbf は"
            "読めないため、.osm で書き出すか、メタデータ付きで抽出してください"
        )
    if not wkb:
        raise ImportRejected("OpenStreetMap のファイルに道路（highway のある way）がありません")
    rule = "OpenStreetMap の highway=motorway・motorway_link と foot=no を除きました"
    return RoadLines(wkb, "EPSG:4326", excluded, rule, len(wkb))


def _osm_format(path: Path, data: bytes) -> Literal["xml", "pbf"]:
    """``xml`` or ``pbf`` as the content says; refuses XML with DOCTYPE/ENTITY."""
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith((b"<?xml", b"<osm")):
        if re.search(rb"<!(DOCTYPE|ENTITY)", data, re.IGNORECASE):
            raise ImportRejected("XML に DOCTYPE や ENTITY の宣言があります。安全のため読みません")
        return "xml"
    if len(data) > 8 and b"OSMHeader" in data[:64]:
        return "pbf"
    raise ImportRejected(
        f"OpenStreetMap のファイル（{path.suffix}）として読めません。中身が拡張子と合いません"
    )
