"""District boundaries from GeoJSON, zipped Shapefile, Shapefile or GeoPackage, in any CRS.

Geometries are reprojected to EPSG:4326, invalid polygons repaired (and reported), parts
sharing a code dissolved into one area, and every area nested under the smallest area of a
shallower level that contains its representative point.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import geopandas as gpd
import numpy as np
import shapely
from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from lsmap.io.importing.normalise import text
from lsmap.io.importing.problems import ImportRejected, Problem, errors
from lsmap.settings import JAPAN_BOUNDS
from lsmap.storage import audit, db
from lsmap.storage.models import District
from lsmap.vocab import DISTRICT_LEVELS, LEVEL_DEPTH, AuditAction, Entity

if TYPE_CHECKING:
    import pandas as pd

    from lsmap.access import Actor

#: Boundary files may be larger than lists.
MAX_BOUNDARY_BYTES = 200 * 1024 * 1024
#: What a boundary file may be called (a .shp only from the command line, with its sidecars).
BOUNDARY_FILE_SUFFIXES = (".geojson", ".json", ".gpkg", ".zip", ".shp")
#: Longitude/latitude box that holds all of Japan.
_LEVEL_WORDS = {
    **{label: code for code, label in DISTRICT_LEVELS.items()},
    "町内": "neighbourhood",
    "町丁目": "neighbourhood",
    "自治会": "neighbourhood",
    "市区町村": "municipality",
}


@dataclass
class PlannedDistrict:
    """One area ready to be written."""

    code: str
    name: str
    level: str
    geom: MultiPolygon
    parts: int = 1


@dataclass
class DistrictPlan:
    """What an import of one boundary file would do, and what it found on the way."""

    source_crs: str
    name_field: str
    code_field: str
    features: int
    districts: list[PlannedDistrict]
    problems: list[Problem] = field(default_factory=list)
    repaired: list[str] = field(default_factory=list)


@dataclass
class DistrictImportResult:
    """Outcome of a district import."""

    plan: DistrictPlan
    created: int = 0
    updated: int = 0
    nested: int = 0
    ids: list[int] = field(default_factory=list)


def parse_level(value: str) -> str:
    """A level code from its code or Japanese label; raises ImportRejected otherwise."""
    cleaned = text(value)
    if cleaned in DISTRICT_LEVELS:
        return cleaned
    if cleaned in _LEVEL_WORDS:
        return _LEVEL_WORDS[cleaned]
    choices = "、".join(f"{code}（{label}）" for code, label in DISTRICT_LEVELS.items())
    raise ImportRejected(f"階層「{value}」はありません。{choices} のどれかを指定してください")


def read_boundaries(path: Path, source_crs: str | None = None) -> gpd.GeoDataFrame:
    """Read a boundary file; ``source_crs`` is used only when the file names no CRS.

    The file is opened in a limited child process with only the GDAL driver its name and
    content agree on (see :mod:`lsmap.io.importing.boundary_files`).
    """
    from lsmap.io.importing.sandbox import parse_boundaries

    if not path.is_file():
        raise ImportRejected(f"ファイルが見つかりません: {path.name}")
    size = path.stat().st_size
    if size == 0:
        raise ImportRejected("ファイルが空です")
    if size > MAX_BOUNDARY_BYTES:
        raise ImportRejected(f"ファイルが大きすぎます（{size / 1048576:.0f} MB、上限 200 MB）")
    suffix = path.suffix.lower()
    if suffix not in BOUNDARY_FILE_SUFFIXES:
        raise ImportRejected(
            f"この形式は読めません（{suffix}）。GeoJSON、zip にまとめたシェープファイル、"
            "GeoPackage を使ってください"
        )
    return with_crs(parse_boundaries(path), source_crs)


def with_crs(frame: gpd.GeoDataFrame, source_crs: str | None) -> gpd.GeoDataFrame:
    """``frame`` with a CRS: its own, else ``source_crs``, else JGD2011 when the coordinates
    are longitude/latitude within Japan (marked ``crs_assumed``); ImportRejected otherwise."""
    if frame.empty:
        raise ImportRejected("境界ファイルに地物（区域）がありません")
    if frame.crs is not None:
        return frame
    if source_crs:
        return frame.set_crs(source_crs)
    if _looks_like_japan_lonlat(frame):
        frame = frame.set_crs("EPSG:6668")
        frame.attrs["crs_assumed"] = True
        return frame
    raise ImportRejected(
        "座標参照系（CRS）が分かりません。シェープファイルなら .prj ファイルも一緒に"
        "（zip にまとめて）指定するか、--crs EPSG:6676 のように指定してください"
    )


def _looks_like_japan_lonlat(frame: gpd.GeoDataFrame) -> bool:
    minx, miny, maxx, maxy = frame.total_bounds
    west, south, east, north = JAPAN_BOUNDS
    return west <= minx and maxx <= east and south <= miny and maxy <= north


def guess_fields(frame: gpd.GeoDataFrame) -> tuple[str, str | None]:
    """(name field, code field or None) guessed from the attribute table."""
    columns = [c for c in frame.columns if c != frame.geometry.name]
    if "N03_007" in columns and "N03_004" in columns:
        return "N03_004", "N03_007"
    texts, codes = [], []
    for column in columns:
        values = frame[column].dropna().map(text)
        values = values[values != ""]
        if values.empty:
            continue
        unique = values.nunique()
        numeric = values.str.fullmatch(r"[0-9A-Za-z_\-]+").all()
        if numeric and unique == len(frame):
            codes.append(column)
        elif not numeric and (unique > 1 or len(frame) == 1):
            texts.append((unique, column))
    if not texts:
        raise ImportRejected(
            "名前の列が分かりません。--name-field で列名を指定してください（列: "
            + "、".join(map(str, columns))
            + "）"
        )
    name = max(texts, key=lambda item: item[0])[1]
    return name, (codes[0] if codes else None)


def plan_districts(
    frame: gpd.GeoDataFrame,
    level: str | None,
    *,
    name_field: str | None = None,
    code_field: str | None = None,
    code_prefix: str | None = None,
    source_name: str = "",
) -> DistrictPlan:
    """Check, repair, reproject and dissolve the features of ``frame`` into areas."""
    fields = _plan_fields(frame, level, name_field, code_field, code_prefix, source_name)
    problems: list[Problem] = []
    if frame.attrs.get("crs_assumed"):
        problems.append(
            Problem(
                None, "", "座標参照系の指定がないため、経緯度（JGD2011）とみなしました", "warning"
            )
        )
    repaired: list[str] = []
    rows = [
        row
        for number, (_, feature) in enumerate(frame.iterrows(), 1)
        if (row := _feature_row(number, feature, level, fields, problems, repaired)) is not None
    ]
    if not rows:
        if frame.geometry.isna().all() or frame.geometry.is_empty.all():
            raise ImportRejected(
                "図形をひとつも読めません。ファイルが壊れているか途中で切れています", problems
            )
        raise ImportRejected("取り込める区域がありません", problems)
    districts = _dissolve(rows, frame.crs)
    problems.extend(_outside_japan(districts))
    merged = sum(p.parts for p in districts if p.parts > 1)
    if merged:
        groups = sum(1 for p in districts if p.parts > 1)
        problems.append(
            Problem(
                None,
                fields.code or "",
                f"同じコードの図形 {merged} 件を {groups} 区域にまとめました",
                "info",
            )
        )
    return DistrictPlan(
        source_crs=frame.crs.to_string() if frame.crs is not None else "",
        name_field=fields.name,
        code_field=fields.code or "",
        features=len(frame),
        districts=districts,
        problems=problems,
        repaired=repaired,
    )


@dataclass(frozen=True)
class _Fields:
    """The columns a boundary file's features are read from."""

    columns: list[str]
    name: str
    code: str | None
    level: str | None
    code_prefix: str


def _plan_fields(
    frame: gpd.GeoDataFrame,
    level: str | None,
    name_field: str | None,
    code_field: str | None,
    code_prefix: str | None,
    source_name: str,
) -> _Fields:
    """The name, code and level columns: given, else guessed; refused when unusable."""
    columns = [c for c in frame.columns if c != frame.geometry.name]
    for given, what in ((name_field, "--name-field"), (code_field, "--code-field")):
        if given and given not in columns:
            raise ImportRejected(
                f"{what} の列「{given}」はありません（列: " + "、".join(map(str, columns)) + "）"
            )
    guessed_name, guessed_code = (
        guess_fields(frame) if not (name_field and code_field) else ("", None)
    )
    name_col = name_field or guessed_name
    code_col = code_field or guessed_code
    if code_prefix is None:
        code_prefix = "" if (code_field or name_col == "N03_004") else f"{source_name}-"
    level_col = next((c for c in ("level", "階層") if c in columns), None)
    if level is None and level_col is None:
        raise ImportRejected("階層を --level で指定してください（市町村・地区・町内）")
    return _Fields(columns, name_col, code_col, level_col, code_prefix)


def _feature_row(
    number: int,
    feature: pd.Series,
    level: str | None,
    fields: _Fields,
    problems: list[Problem],
    repaired: list[str],
) -> tuple[str, str, str, BaseGeometry] | None:
    """(code, name, level, polygonal geometry) of one feature; None (with a problem) when
    it cannot be imported. Invalid geometries are repaired and noted in ``repaired``."""
    name = text(feature[fields.name])
    if fields.name == "N03_004" and "N03_005" in fields.columns and text(feature["N03_005"]):
        name += text(feature["N03_005"])
    raw_code = text(feature[fields.code]) if fields.code else str(number)
    feature_level = level or parse_level(text(feature[fields.level]))
    geom = feature.geometry
    if not name:
        problems.append(Problem(number, fields.name, "名前が空です"))
        return None
    if not raw_code:
        problems.append(Problem(number, fields.code or "", "コードが空です"))
        return None
    if geom is None or geom.is_empty:
        problems.append(Problem(number, "geometry", f"「{name}」に図形がありません"))
        return None
    if not geom.is_valid:
        reason = shapely.is_valid_reason(geom)
        geom = _polygonal(shapely.make_valid(geom))
        repaired.append(name)
        problems.append(
            Problem(
                number,
                "geometry",
                f"「{name}」の図形が不正（{_reason_ja(reason)}）だったため修復しました",
                "warning",
            )
        )
    geom = _polygonal(geom)
    if geom.is_empty:
        problems.append(Problem(number, "geometry", f"「{name}」は面（ポリゴン）ではありません"))
        return None
    return (f"{fields.code_prefix}{raw_code}", name, feature_level, geom)


def _dissolve(rows: list[tuple[str, str, str, BaseGeometry]], crs: Any) -> list[PlannedDistrict]:
    """Reproject to longitude/latitude and join the parts that share a code."""
    reprojected = gpd.GeoSeries([r[3] for r in rows], crs=crs).to_crs(4326)
    districts: dict[str, PlannedDistrict] = {}
    parts: dict[str, list[Polygon]] = {}
    for (code, name, feature_level, _), geom in zip(rows, reprojected, strict=True):
        geom = _polygonal(geom if geom.is_valid else shapely.make_valid(geom))
        if code in districts:
            districts[code].parts += 1
        else:
            districts[code] = PlannedDistrict(code, name, feature_level, geom)
        parts.setdefault(code, []).extend(geom.geoms)
    for code, polygons in parts.items():
        if districts[code].parts > 1:
            # parts of one area (islands) are usually disjoint: then no union is needed
            joined = MultiPolygon(polygons)
            districts[code].geom = (
                joined if joined.is_valid else _polygonal(shapely.union_all(polygons))
            )
    return list(districts.values())


def _outside_japan(districts: list[PlannedDistrict]) -> list[Problem]:
    """A problem for each area that lies outside Japan (a wrong CRS, usually)."""
    west, south, east, north = JAPAN_BOUNDS
    problems = []
    for planned in districts:
        minx, miny, maxx, maxy = planned.geom.bounds
        if not (west <= minx and maxx <= east and south <= miny and maxy <= north):
            problems.append(
                Problem(
                    None,
                    "geometry",
                    f"「{planned.name}」が日本の範囲外にあります。"
                    "座標参照系が正しいか確かめてください",
                )
            )
    return problems


def _reason_ja(reason: str) -> str:
    if reason.startswith("Self-intersection"):
        return "自己交差"
    if reason.startswith("Ring Self-intersection"):
        return "輪の自己交差"
    if reason.startswith("Too few points"):
        return "点が足りない"
    return reason.split("[")[0]


def _polygonal(geom: BaseGeometry) -> MultiPolygon:
    """Only the polygon parts of ``geom``, as one MultiPolygon (possibly empty)."""
    if isinstance(geom, MultiPolygon):
        return geom
    if isinstance(geom, Polygon):
        return MultiPolygon([geom])
    parts: list[Polygon] = []
    for part in getattr(geom, "geoms", ()):
        polygonal = _polygonal(part)
        parts.extend(polygonal.geoms)
    return MultiPolygon(parts)


def import_districts(
    engine: Engine,
    path: Path,
    level: str | None,
    *,
    name_field: str | None = None,
    code_field: str | None = None,
    code_prefix: str | None = None,
    source_crs: str | None = None,
    actor: Actor | None = None,
    dry_run: bool = False,
) -> DistrictImportResult:
    """Import one boundary file in one transaction; nothing is written when it has errors."""
    level = parse_level(level) if level else None
    frame = read_boundaries(path, source_crs)
    return import_district_frame(
        engine,
        frame,
        level,
        name_field=name_field,
        code_field=code_field,
        code_prefix=code_prefix,
        source_name=path.stem,
        actor=actor,
        dry_run=dry_run,
    )


def import_district_frame(
    engine: Engine,
    frame: gpd.GeoDataFrame,
    level: str | None,
    *,
    name_field: str | None = None,
    code_field: str | None = None,
    code_prefix: str | None = None,
    source_name: str = "",
    actor: Actor | None = None,
    dry_run: bool = False,
) -> DistrictImportResult:
    """Import boundaries already read (with a CRS) in one transaction; see
    :func:`import_districts`."""
    level = parse_level(level) if level else None
    plan = plan_districts(
        frame,
        level,
        name_field=name_field,
        code_field=code_field,
        code_prefix=code_prefix,
        source_name=source_name,
    )
    with db.transaction(engine) as session:
        existing = {
            d.code: d
            for d in session.scalars(
                select(District).where(District.code.in_([p.code for p in plan.districts]))
            )
        }
        plan.problems.extend(_level_clashes(plan, existing))
        if errors(plan.problems):
            raise ImportRejected("境界ファイルに問題があるため取り込みませんでした", plan.problems)
        result = DistrictImportResult(plan=plan)
        if dry_run:
            session.rollback()
            return result
        _write_districts(session, plan, existing, result)
        result.nested = nest_districts(session, set(result.ids))
        audit.log(
            session,
            actor,
            AuditAction.IMPORT,
            Entity.DISTRICT,
            result.ids,
            level=level or "mixed",
            created=result.created,
            updated=result.updated,
            repaired=len(plan.repaired),
            crs=plan.source_crs,
        )
    return result


def _level_clashes(plan: DistrictPlan, existing: dict[str, District]) -> list[Problem]:
    """An error for each planned area whose code an area of another level already has."""
    return [
        Problem(
            None,
            plan.code_field,
            f"コード「{planned.code}」は既に別の階層の区域「{found.name}」"
            "で使われています。--code-prefix で区別してください",
        )
        for planned in plan.districts
        if (found := existing.get(planned.code)) is not None and found.level != planned.level
    ]


def _write_districts(
    session: Session,
    plan: DistrictPlan,
    existing: dict[str, District],
    result: DistrictImportResult,
) -> None:
    """Add the new areas and update (and undelete) the known ones; counted in ``result``."""
    for planned in plan.districts:
        found = existing.get(planned.code)
        if found is None:
            found = District(
                code=planned.code, name=planned.name, level=planned.level, geom=planned.geom
            )
            session.add(found)
            result.created += 1
        else:
            found.name, found.geom, found.deleted_at = planned.name, planned.geom, None
            result.updated += 1
        session.flush()
        result.ids.append(found.id)


def nest_districts(session: Session, changed: set[int]) -> int:
    """Set ``parent_id`` of changed areas, and of unparented deeper areas, by containment.

    The parent is the smallest live area of a shallower level containing the area's
    representative point. Returns the number of parents set or changed.
    """
    live = list(session.scalars(select(District).where(District.deleted_at.is_(None))))
    depth = {d.id: LEVEL_DEPTH.get(d.level, 99) for d in live}
    changed_depths = [depth[i] for i in changed if i in depth]
    shallowest = min(changed_depths, default=99)
    targets = [
        d
        for d in live
        if _has_area(d)
        and (
            d.id in changed
            or (
                depth[d.id] > shallowest
                and (d.parent_id is None or depth.get(d.parent_id, -1) < shallowest)
            )
        )
    ]
    parents = containing_parents(targets, [d for d in live if _has_area(d)], depth)
    updated = 0
    for target in targets:
        parent_id = parents.get(target.id, target.parent_id)
        if parent_id != target.parent_id:
            target.parent_id = parent_id
            updated += 1
    session.flush()
    return updated


def _has_area(district: District) -> bool:
    return district.geom is not None and not district.geom.is_empty


def containing_parents(
    targets: list[District], candidates: list[District], depth: dict[int, int]
) -> dict[int, int]:
    """Id of the parent of each target: of the candidates of a shallower level whose polygon
    contains the target's representative point, the deepest, then the smallest (then the
    first listed). One spatial-index query for all targets; targets with none are left out.
    """
    if not targets or not candidates:
        return {}
    geoms = [c.geom for c in candidates]
    tree = shapely.STRtree(geoms)
    points = shapely.point_on_surface([t.geom for t in targets])
    t_idx, c_idx = tree.query(points, predicate="within")
    target_id = np.array([t.id for t in targets], dtype=np.int64)
    target_depth = np.array([depth[t.id] for t in targets])
    cand_id = np.array([c.id for c in candidates], dtype=np.int64)
    cand_depth = np.array([depth[c.id] for c in candidates])
    keep = (cand_id[c_idx] != target_id[t_idx]) & (cand_depth[c_idx] < target_depth[t_idx])
    t_idx, c_idx = t_idx[keep], c_idx[keep]
    area = shapely.area(geoms)
    # Primary key last: per target, deepest candidate first, then smallest, then listed first.
    order = np.lexsort((c_idx, area[c_idx], -cand_depth[c_idx], t_idx))
    t_idx, c_idx = t_idx[order], c_idx[order]
    first = np.r_[True, t_idx[1:] != t_idx[:-1]] if len(t_idx) else np.zeros(0, dtype=bool)
    return {
        int(target_id[t]): int(cand_id[c]) for t, c in zip(t_idx[first], c_idx[first], strict=True)
    }
