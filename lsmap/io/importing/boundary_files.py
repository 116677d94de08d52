"""Opening a boundary file with GDAL only as the format its name and its content agree on.

Runs inside the limited child process (:mod:`lsmap.io.importing.sandbox`). The suffix picks
one driver (GeoJSON, ESRI Shapefile or GPKG) and the content must match it: GeoJSON parses
as a JSON FeatureCollection, Feature or geometry; a .shp starts with the Shapefile magic
number; a GeoPackage has the SQLite header and the GeoPackage application id and holds no
views and no virtual tables but its R-tree index. A file that mentions a GDAL virtual file
system (``/vsicurl/``, ``/vsizip/`` …), ``vrt://``, a VRT document or a GDAL pipeline is
refused, and the child has every other GDAL driver switched off, so a VRT disguised as
GeoJSON can never make GDAL read another file or the network.

A zip must hold exactly one layer: one Shapefile set (.shp with its .shx and .dbf; .prj and
.cpg when present) or one .geojson / .json / .gpkg. Nested archives and .vrt members are
refused; other members (read-me files, metadata, ``__MACOSX``) are never extracted. The
layer is extracted under fixed names into a private folder, so GDAL only ever sees paths
lsmap made. Features are counted before any geometry is read.
"""

from __future__ import annotations

import json
import re
import sqlite3
import tempfile
import zipfile
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from lsmap.io.importing import archives
from lsmap.io.importing.problems import ImportRejected
from lsmap.settings import ImportLimits

if TYPE_CHECKING:
    import geopandas as gpd

#: The drivers a boundary file may be read with, by suffix.
DRIVERS = {".geojson": "GeoJSON", ".json": "GeoJSON", ".gpkg": "GPKG", ".shp": "ESRI Shapefile"}
SHAPEFILE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg")
NESTED_ARCHIVES = {
    ".zip",
    ".gz",
    ".tgz",
    ".tar",
    ".7z",
    ".rar",
    ".bz2",
    ".xz",
    ".zst",
    ".lzh",
    ".cab",
    ".kmz",
    ".gpkg.zip",
}
GEOMETRY_TYPES = {
    "Point",
    "MultiPoint",
    "LineString",
    "MultiLineString",
    "Polygon",
    "MultiPolygon",
    "GeometryCollection",
}
#: What a boundary file never needs to say: references GDAL would follow.
FORBIDDEN = re.compile(
    rb"(?i)/vsi[a-z0-9_]*/|vrt://|<\s*OGRVRTDataSource|<\s*VRTDataset|gdal_streamed_alg"
)
SHAPEFILE_MAGIC = b"\x00\x00\x27\x0a"
SQLITE_MAGIC = b"SQLite format 3\x00"
GPKG_APPLICATION_IDS = {b"GPKG", b"GP10", b"GP11"}
_FORMATS = "GeoJSON、zip にまとめたシェープファイル、GeoPackage を使ってください"


def read_boundary_file(path: str, limits: ImportLimits) -> gpd.GeoDataFrame:
    """(child) Read the one layer of a boundary file; raises ImportRejected on anything else."""
    refuse_virtual_path(path)
    source = Path(path)
    suffix = source.suffix.lower()
    if suffix == ".zip":
        with tempfile.TemporaryDirectory(prefix="lsmap-zip-") as folder:
            return _read_layer(extract_layer(source, Path(folder), limits), limits)
    if suffix not in DRIVERS:
        raise ImportRejected(f"この形式は読めません（{suffix}）。{_FORMATS}")
    return _read_layer(source, limits)


def refuse_virtual_path(path: str) -> None:
    """Refuse a path that names a GDAL virtual file system or a connection string."""
    if FORBIDDEN.search(path.encode("utf-8", "replace")) or "://" in path:
        raise ImportRejected(
            "ファイルの指定に GDAL の仮想ファイルや URL が含まれています。"
            "普通のファイルを指定してください"
        )


def _read_layer(path: Path, limits: ImportLimits) -> gpd.GeoDataFrame:
    import geopandas as gpd
    import pyogrio

    driver = DRIVERS[path.suffix.lower()]
    features = check_content(path, driver)
    if features is None:
        try:
            info = pyogrio.read_info(path, layer=0, force_feature_count=True)
        except Exception as error:  # pyogrio raises several types for damaged input
            raise _unreadable(error) from error
        if info.get("driver") != driver:
            raise ImportRejected(f"ファイルの中身が拡張子（{path.suffix}）と合いません。{_FORMATS}")
        features = int(info["features"])
    _check_feature_count(features, limits)
    try:
        frame = gpd.read_file(path, engine="pyogrio", layer=0)
    except Exception as error:  # pyogrio raises several types for damaged input
        raise _unreadable(error) from error
    _check_feature_count(len(frame), limits)
    return frame


def _unreadable(error: Exception) -> ImportRejected:
    return ImportRejected(
        f"境界ファイルを読めません。壊れているか途中で切れている可能性があります（{type(error).__name__}）"
    )


def _check_feature_count(features: int, limits: ImportLimits) -> None:
    if features > limits.max_features:
        raise ImportRejected(
            f"図形が多すぎます（{features:,} 件、上限 {limits.max_features:,} 件）。"
            "区域を絞ったファイルにしてください（上限は LSMAP_IMPORT_MAX_FEATURES で変えられます）"
        )


def check_content(path: Path, driver: str) -> int | None:
    """Check that ``path`` really is ``driver``'s format; the GeoJSON feature count, else None."""
    data = path.read_bytes()
    if re.fullmatch(rb"\s*", data):
        raise ImportRejected("ファイルが空です")
    refuse_references(data)
    if driver == "GeoJSON":
        return geojson_features(data)
    if driver == "ESRI Shapefile":
        if not data.startswith(SHAPEFILE_MAGIC):
            raise ImportRejected(
                f"「{path.name}」はシェープファイル（.shp）ではありません。中身が拡張子と合いません"
            )
        for part in SHAPEFILE_PARTS[1:]:
            sidecar = path.with_suffix(part)
            if sidecar.is_file():
                refuse_references(sidecar.read_bytes())
        return None
    _check_geopackage(path, data)
    return None


def refuse_references(data: bytes) -> None:
    """Refuse content that points GDAL at other files or the network."""
    if FORBIDDEN.search(data):
        raise ImportRejected(
            "ファイルの中に、別のファイルや URL を読ませる記述（/vsicurl/、vrt://、VRT など）"
            "があります。安全のため読みません"
        )


def geojson_features(data: bytes) -> int:
    """The number of features of a GeoJSON document; ImportRejected when it is not one."""
    head = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    if head != b"{":
        raise ImportRejected(f"GeoJSON として読めません（中身が JSON ではありません）。{_FORMATS}")
    try:
        document = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ImportRejected(
            "GeoJSON として読めません（JSON が壊れているか、途中で切れています）"
        ) from error
    kind = document.get("type") if isinstance(document, dict) else None
    if kind == "FeatureCollection":
        features = document.get("features")
        if not isinstance(features, list):
            raise ImportRejected(
                "GeoJSON として読めません（FeatureCollection に features の配列がありません）"
            )
        count = len(features)
    elif kind == "Feature" or kind in GEOMETRY_TYPES:
        count = 1
    else:
        raise ImportRejected(
            "GeoJSON として読めません（type が FeatureCollection・Feature・"
            "図形のどれでもありません）"
        )
    _check_geojson_crs(document.get("crs"))
    return count


def _check_geojson_crs(crs: Any) -> None:
    """Only a named CRS (EPSG code or OGC URN) is read; links to other files or URLs are refused."""
    if crs is None:
        return
    name = (
        crs.get("properties", {}).get("name")
        if isinstance(crs, dict) and crs.get("type") == "name"
        else None
    )
    if not isinstance(name, str) or not re.fullmatch(
        r"(?i)(urn:ogc:def:crs:[A-Za-z0-9:._]+|EPSG:\d+)", name.strip()
    ):
        raise ImportRejected(
            "GeoJSON の座標参照系（crs）は EPSG コードの名前だけ使えます（外部のファイルや URL "
            "は読みません）"
        )


def _check_geopackage(path: Path, data: bytes) -> None:
    if not data.startswith(SQLITE_MAGIC) or data[68:72] not in GPKG_APPLICATION_IDS:
        raise ImportRejected(
            f"「{path.name}」は GeoPackage ではありません。中身が拡張子と合いません"
        )
    try:
        connection = sqlite3.connect(f"file:{quote(str(path))}?mode=ro&immutable=1", uri=True)
        try:
            connection.execute("PRAGMA trusted_schema = OFF")
            schema = connection.execute("SELECT type, name, sql FROM sqlite_master").fetchall()
        finally:
            connection.close()
    except sqlite3.DatabaseError as error:
        raise ImportRejected("GeoPackage が壊れているか、途中で切れています") from error
    for kind, name, sql in schema:
        virtual = kind == "table" and (sql or "").upper().startswith("CREATE VIRTUAL TABLE")
        if kind == "view" or (virtual and not re.search(r"(?i)\bUSING\s+rtree\s*\(", sql or "")):
            raise ImportRejected(
                f"GeoPackage にビューや仮想テーブル（{str(name)[:60]}）があります。図形の表だけの "
                "GeoPackage にしてください"
            )


def extract_layer(archive_path: Path, folder: Path, limits: ImportLimits) -> Path:
    """Extract the one layer of a checked zip under fixed names; the path of its main file."""
    what = "zip ファイル"
    with archives.open_zip(archive_path, what) as archive:
        members = [m for m in archives.check_members(archive, limits, what) if not m.is_dir()]
        members = [m for m in members if not _is_clutter(m.filename)]
        for member in members:
            suffix = archives.member_suffix(member.filename)
            if suffix in NESTED_ARCHIVES or member.filename.lower().endswith(".tar.gz"):
                raise ImportRejected(
                    f"zip の中に圧縮ファイル（{member.filename[:80]}）があります。中身を直接 zip "
                    "にしてください"
                )
            if suffix in (".vrt", ".ovf") or FORBIDDEN.search(
                member.filename.encode("utf-8", "replace")
            ):
                raise ImportRejected(
                    f"zip の中に GDAL の仮想ファイル（VRT など: {member.filename[:80]}）"
                    "があります。安全のため読みません"
                )
        chosen = _layer_members(members)
        main_suffix = archives.member_suffix(chosen[0].filename)
        for member in chosen:
            archives.extract(
                archive, member, folder / f"layer{archives.member_suffix(member.filename)}", what
            )
    return folder / f"layer{main_suffix}"


def _is_clutter(name: str) -> bool:
    """Members that zip tools on macOS add beside the real files."""
    cleaned = name.replace("\\", "/")
    return cleaned.startswith("__MACOSX/") or PurePosixPath(cleaned).name.startswith("._")


def _layer_members(members: list[zipfile.ZipInfo]) -> list[zipfile.ZipInfo]:
    """The members of the one layer: the .shp set (main file first), or one GeoJSON / GPKG."""
    layers = [m for m in members if archives.member_suffix(m.filename) in DRIVERS]
    if not layers:
        raise ImportRejected(
            "zip の中にシェープファイル（.shp）や GeoJSON・GeoPackage がありません"
        )
    if len(layers) > 1:
        names = "、".join(m.filename for m in layers[:10])
        raise ImportRejected(
            f"zip の中に境界ファイルが複数あります（{names}）。1つずつ zip にしてください"
        )
    main = layers[0]
    if archives.member_suffix(main.filename) != ".shp":
        return [main]
    stem = _stem(main.filename)
    parts = {
        archives.member_suffix(m.filename): m
        for m in members
        if _stem(m.filename) == stem and archives.member_suffix(m.filename) in SHAPEFILE_PARTS
    }
    missing = [p for p in (".shx", ".dbf") if p not in parts]
    if missing:
        raise ImportRejected(
            f"zip の中のシェープファイルに {'・'.join(missing)} がありません。一緒に zip "
            "にしてください"
        )
    return [main, *(member for suffix, member in parts.items() if suffix != ".shp")]


def _stem(name: str) -> str:
    path = PurePosixPath(name.replace("\\", "/"))
    return str(path.with_suffix("")).lower()
