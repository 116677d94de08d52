"""Background map layers from GeoPackage, (zipped) Shapefile or GeoJSON, in any CRS.

An administrator imports roads, railways, rivers, buildings, parks and schools once (e.g.
基盤地図情報 converted to GeoPackage, or an OpenStreetMap extract); they are drawn under the
points on screen and on paper with their credit line. Files are untrusted: they are read
like boundary files (:mod:`lsmap.io.importing.boundary_files`) in the limited child process,
with their own feature cap (``LSMAP_BASEMAP_MAX_FEATURES``, default 300,000). Geometries
are reprojected to EPSG:4326; invalid polygons are repaired; empty ones are skipped and
reported. Importing a kind again from the same source replaces what that source gave
(the old rows are kept, marked deleted); the import is one transaction and audited.
"""

from __future__ import annotations

import dataclasses
import os
import re
import tempfile
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any

import numpy as np
import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Engine, func, insert, select, update
from sqlalchemy.orm import Session

from lsmap.access import Actor
from lsmap.access.basemap import can_manage_basemap
from lsmap.io.importing.districts import (
    BOUNDARY_FILE_SUFFIXES,
    JAPAN_BOUNDS,
    MAX_BOUNDARY_BYTES,
    with_crs,
)
from lsmap.io.importing.normalise import text
from lsmap.io.importing.problems import ImportRejected, Problem
from lsmap.settings import ImportLimits, import_limits
from lsmap.storage import audit, db
from lsmap.storage.models import BasemapFeature
from lsmap.vocab import BASEMAP_KINDS

if TYPE_CHECKING:
    import geopandas as gpd

DEFAULT_MAX_FEATURES = 300_000
#: Columns that name a feature, in order of preference (OSM, 基盤地図情報, plain files).
NAME_FIELDS = ("name:ja", "name_ja", "name", "名称", "NAME", "Name", "nam", "漢字名称")
#: Columns that give a road's, railway's or river's class, and the values that mean "main".
CLASS_FIELDS = ("highway", "rdCtg", "road_class", "railway", "waterway", "fclass", "class", "種別")
MAIN_ROADS = {
    "motorway",
    "trunk",
    "primary",
    "secondary",
    "tertiary",
    "motorway_link",
    "trunk_link",
    "primary_link",
    "国道",
    "都道府県道",
    "高速自動車国道等",
    "高速自動車国道",
    "main",
}
STATIONS = {"station", "halt", "platform", "駅"}
STREAMS = {"stream", "ditch", "drain", "canal", "水路"}
#: Kinds drawn as areas (points and lines of these kinds are kept as they are).
AREA_KINDS = frozenset({"buildings", "parks", "schools"})


def basemap_limits() -> ImportLimits:
    """The import limits with the background map's own feature cap."""
    cap = int(os.environ.get("LSMAP_BASEMAP_MAX_FEATURES", str(DEFAULT_MAX_FEATURES)))
    return dataclasses.replace(import_limits(), max_features=cap)


@dataclass
class PlannedFeature:
    """One feature ready to be written (EPSG:4326)."""

    subkind: str
    name: str
    geom: BaseGeometry


@dataclass
class BasemapPlan:
    """What importing one file as one kind of background layer would write."""

    kind: str
    source: str
    credit: str
    source_crs: str
    name_field: str
    class_field: str
    features: list[PlannedFeature]
    problems: list[Problem] = field(default_factory=list)

    def summary(self) -> str:
        """「道路 1,234 件（主要道路 56、名前つき 78）」 for the dry run."""
        classes = Counter(f.subkind for f in self.features if f.subkind)
        named = sum(1 for f in self.features if f.name)
        parts = [f"{SUBKIND_LABELS.get(k, k)} {v:,}" for k, v in sorted(classes.items())]
        parts.append(f"名前つき {named:,}")
        return f"{BASEMAP_KINDS[self.kind]} {len(self.features):,} 件（{'、'.join(parts)}）"


SUBKIND_LABELS = {
    "main": "主要道路",
    "local": "その他の道路",
    "station": "駅",
    "rail": "線路",
    "river": "川",
    "stream": "水路",
    "public": "公共施設",
}


@dataclass
class BasemapImportResult:
    """Outcome of a background layer import."""

    plan: BasemapPlan
    created: int = 0
    replaced: int = 0


def parse_kind(value: str) -> str:
    """A background kind from its code or Japanese label; ImportRejected otherwise."""
    cleaned = text(value)
    for code, label in BASEMAP_KINDS.items():
        if cleaned in (code, label):
            return code
    choices = "、".join(f"{code}（{label}）" for code, label in BASEMAP_KINDS.items())
    raise ImportRejected(f"背景地図の種類「{value}」はありません。{choices} のどれかです")


def read_basemap_file(path: Path, source_crs: str | None = None) -> gpd.GeoDataFrame:
    """Read a background layer file in the limited child (formats, content, zip checks)."""
    from lsmap.io.importing.sandbox import run

    if not path.is_file():
        raise ImportRejected(f"ファイルが見つかりません: {path.name}")
    size = path.stat().st_size
    if size == 0:
        raise ImportRejected("ファイルが空です")
    if size > MAX_BOUNDARY_BYTES:
        raise ImportRejected(f"ファイルが大きすぎます（{size / 1048576:.0f} MB、上限 200 MB）")
    if path.suffix.lower() not in BOUNDARY_FILE_SUFFIXES:
        raise ImportRejected(
            f"この形式は読めません（{path.suffix}）。GeoPackage、zip にまとめたシェープファイル、"
            "GeoJSON を使ってください"
        )
    return with_crs(run("boundaries", {"path": str(path)}, basemap_limits()), source_crs)


def read_basemap_upload(data: bytes, filename: str) -> gpd.GeoDataFrame:
    """Read an uploaded background layer file (bytes) in the limited child; the CRS is
    settled by :func:`plan_basemap`'s caller (see :func:`with_crs`)."""
    from lsmap.io.importing.sandbox import run

    suffix = PurePath(filename.replace("\\", "/")).suffix.lower()
    if suffix not in BOUNDARY_FILE_SUFFIXES or suffix == ".shp":
        raise ImportRejected(
            f"この形式は読めません（{suffix}）。GeoPackage、zip にまとめたシェープファイル、"
            "GeoJSON を使ってください"
        )
    if not data:
        raise ImportRejected("ファイルが空です")
    if len(data) > MAX_BOUNDARY_BYTES:
        raise ImportRejected(f"ファイルが大きすぎます（{len(data) / 1048576:.0f} MB、上限 200 MB）")
    with tempfile.TemporaryDirectory(prefix="lsmap-basemap-") as folder:
        path = Path(folder) / f"upload{suffix}"  # never the uploaded name
        path.write_bytes(data)
        return run("boundaries", {"path": str(path)}, basemap_limits())


#: Words in a file name that say which kind of layer it holds (OSM, 基盤地図情報, plain).
KIND_WORDS: dict[str, tuple[str, ...]] = {
    "railways": ("rail", "鉄道", "駅", "station"),
    "rivers": ("river", "water", "河川", "水涯線", "水部", "wl", "wa"),
    "buildings": ("build", "建築物", "建物", "blda", "bldl"),
    "parks": ("park", "公園", "緑地", "leisure"),
    "schools": ("school", "学校"),
    "roads": ("road", "道路", "rdedg", "rdcl", "highway", "street"),
}


def guess_kind(filename: str) -> str:
    """The kind a file's name suggests (roads when it says nothing)."""
    stem = PurePath(filename.replace("\\", "/")).stem.lower()
    words = set(re.split(r"[^0-9a-z\u3040-\u9fff]+", stem))
    for kind, hints in KIND_WORDS.items():
        if any(hint in stem if len(hint) > 2 else hint in words for hint in hints):
            return kind
    return "roads"


def guess_columns(frame: gpd.GeoDataFrame) -> tuple[str, str]:
    """(name column, class column) guessed from the attribute table ("" when none)."""
    return _field(frame, None, NAME_FIELDS, "名前"), _field(frame, None, CLASS_FIELDS, "種別")


def guess_credit(frame: gpd.GeoDataFrame, source: str) -> str:
    """A credit line from what the columns say about the data's origin."""
    columns = {str(c) for c in frame.columns}
    if columns & {"osm_id", "osm_type", "@id", "osm_way_id"}:
        return "© OpenStreetMap contributors（ODbL）"
    if columns & {"rdCtg", "lfSpanFr", "orgGILvl", "gmlID"}:
        return "出典：基盤地図情報（国土地理院）"
    return f"背景地図：{source}"


def _field(frame: gpd.GeoDataFrame, given: str | None, options: tuple[str, ...], what: str) -> str:
    columns = [str(c) for c in frame.columns if c != frame.geometry.name]
    if given:
        if given not in columns:
            raise ImportRejected(
                f"{what}の列「{given}」はありません（列: " + "、".join(columns) + "）"
            )
        return given
    return next((c for c in options if c in columns), "")


def _subkind(kind: str, value: str) -> str:
    """The drawing class of a feature from its class column's value ("" when none)."""
    if kind == "roads":
        return "main" if value in MAIN_ROADS else "local"
    if kind == "railways":
        return "station" if value in STATIONS else "rail"
    if kind == "rivers":
        return "stream" if value in STREAMS else "river"
    return ""


def plan_basemap(
    frame: gpd.GeoDataFrame,
    kind: str,
    *,
    source: str,
    credit: str = "",
    name_field: str | None = None,
    class_field: str | None = None,
) -> BasemapPlan:
    """Check, repair and reproject the features of ``frame`` (which has a CRS) as ``kind``."""
    kind = parse_kind(kind)
    if frame.crs is None:
        raise ImportRejected("座標参照系（CRS）が分かりません。--crs で指定してください")
    name_col = _field(frame, name_field, NAME_FIELDS, "名前")
    class_col = _field(frame, class_field, CLASS_FIELDS, "種別")
    geoms = np.asarray(frame.geometry.to_crs(4326).values, dtype=object)
    missing = np.array([g is None for g in geoms]) | shapely.is_empty(geoms)
    invalid = ~missing & ~shapely.is_valid(geoms)
    geoms[invalid] = shapely.make_valid(geoms[invalid])
    names = frame[name_col].map(text).tolist() if name_col else [""] * len(frame)
    classes = frame[class_col].map(text).tolist() if class_col else [""] * len(frame)
    features = [
        PlannedFeature(_subkind(kind, value), name[:200], geom)
        for geom, name, value, skip in zip(geoms, names, classes, missing, strict=True)
        if not skip
    ]
    problems = _geometry_problems(missing, invalid)
    if not features:
        raise ImportRejected("取り込める図形がありません", problems)
    _check_in_japan(features)
    return BasemapPlan(
        kind=kind,
        source=source[:200],
        credit=(credit.strip() or guess_credit(frame, source))[:300],
        source_crs=frame.crs.to_string(),
        name_field=name_col,
        class_field=class_col,
        features=features,
        problems=problems,
    )


def _geometry_problems(missing: np.ndarray, invalid: np.ndarray) -> list[Problem]:
    """One warning for the features without a geometry (naming the first rows), one for
    the repaired ones."""
    problems = []
    if missing.any():
        rows = [int(i) + 1 for i in np.flatnonzero(missing)]
        first = "、".join(f"{r}番目" for r in rows[:5])
        problems.append(
            Problem(
                None,
                "geometry",
                f"図形のない地物 {len(rows):,} "
                f"件を飛ばしました（{first}{' ほか' if len(rows) > 5 else ''}）",
                "warning",
            )
        )
    if invalid.any():
        problems.append(
            Problem(
                None, "geometry", f"不正な図形 {int(invalid.sum()):,} 件を修復しました", "warning"
            )
        )
    return problems


def _check_in_japan(features: list[PlannedFeature]) -> None:
    minx, miny, maxx, maxy = shapely.total_bounds([f.geom for f in features])
    west, south, east, north = JAPAN_BOUNDS
    if not (west <= minx and maxx <= east and south <= miny and maxy <= north):
        raise ImportRejected(
            "図形が日本の範囲外にあります。座標参照系（CRS）が正しいか確かめてください"
            "（シェープファイルなら .prj も一緒に zip にするか、--crs EPSG:6677 のように指定）"
        )


def feature_row(
    kind: str, subkind: str, name: str, geom: BaseGeometry, source: str, credit: str, by: str
) -> dict[str, Any]:
    """The ``basemap_features`` row of one feature, with its bounding box."""
    minx, miny, maxx, maxy = geom.bounds
    return {
        "kind": kind,
        "subkind": subkind,
        "name": name,
        "geom": geom,
        "minx": minx,
        "miny": miny,
        "maxx": maxx,
        "maxy": maxy,
        "source": source,
        "credit": credit,
        "imported_at": datetime.now(UTC),
        "imported_by": by,
        "deleted_at": None,
    }


def write_features(session: Session, rows: list[dict[str, Any]], chunk: int = 5000) -> None:
    """Insert ``rows`` (see :func:`feature_row`) in chunks, in the caller's transaction."""
    for start in range(0, len(rows), chunk):
        session.execute(insert(BasemapFeature), rows[start : start + chunk])


def import_basemap_frame(
    engine: Engine,
    actor: Actor,
    frame: gpd.GeoDataFrame,
    kind: str,
    *,
    source: str,
    credit: str = "",
    name_field: str | None = None,
    class_field: str | None = None,
    dry_run: bool = False,
) -> BasemapImportResult:
    """Check (``dry_run``) or import ``frame`` as a background layer in one transaction."""
    if not can_manage_basemap(actor):
        raise ImportRejected("背景地図の取り込みは管理者だけができます")
    plan = plan_basemap(
        frame, kind, source=source, credit=credit, name_field=name_field, class_field=class_field
    )
    result = BasemapImportResult(plan=plan)
    with db.transaction(engine) as session:
        result.replaced = _live_count(session, plan.kind, plan.source)
        if dry_run:
            return result
        _retire(session, plan.kind, plan.source)
        rows = [
            feature_row(
                plan.kind, f.subkind, f.name, f.geom, plan.source, plan.credit, actor.username
            )
            for f in plan.features
        ]
        write_features(session, rows)
        result.created = len(rows)
        audit.log(
            session,
            actor,
            "basemap_import",
            "basemap",
            (),
            kind=plan.kind,
            source=plan.source,
            features=result.created,
            replaced=result.replaced,
        )
    return result


def _live(kind: str, source: str) -> tuple[Any, ...]:
    return (
        BasemapFeature.kind == kind,
        BasemapFeature.source == source,
        BasemapFeature.deleted_at.is_(None),
    )


def _live_count(session: Session, kind: str, source: str) -> int:
    return int(session.scalar(select(func.count()).where(*_live(kind, source))) or 0)


def _retire(session: Session, kind: str, source: str) -> None:
    session.execute(
        update(BasemapFeature).where(*_live(kind, source)).values(deleted_at=datetime.now(UTC))
    )


def remove_basemap_layer(engine: Engine, actor: Actor, kind: str, source: str) -> int:
    """Take one imported layer off the map (its rows are kept, marked deleted); audited."""
    if not can_manage_basemap(actor):
        raise ImportRejected("背景地図の削除は管理者だけができます")
    with db.transaction(engine) as session:
        count = _live_count(session, kind, source)
        _retire(session, kind, source)
        audit.log(
            session,
            actor,
            "basemap_remove",
            "basemap",
            (),
            kind=kind,
            source=source,
            features=count,
        )
    return count


def import_basemap(
    engine: Engine,
    actor: Actor,
    path: Path,
    kind: str,
    *,
    credit: str = "",
    name_field: str | None = None,
    class_field: str | None = None,
    source_crs: str | None = None,
    dry_run: bool = False,
) -> BasemapImportResult:
    """Read ``path`` in the limited child and import it as ``kind`` (the command line's path)."""
    kind = parse_kind(kind)
    if not can_manage_basemap(actor):
        raise ImportRejected("背景地図の取り込みは管理者だけができます")
    frame = read_basemap_file(path, source_crs)
    return import_basemap_frame(
        engine,
        actor,
        frame,
        kind,
        source=path.name,
        credit=credit,
        name_field=name_field,
        class_field=class_field,
        dry_run=dry_run,
    )
