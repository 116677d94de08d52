"""Imports of uploaded bytes (the admin page's path): lists and boundaries, checked or written.

The page parses what the browser sent (bytes and the file name) once per upload, in a
limited child process (:func:`read_list_upload`, :func:`read_boundary_upload`), and hands
the parsed table or boundaries with the choices made on screen to these functions; they
call the same library functions the command line uses, so checks, all-or-nothing writing,
remembered mappings and audit are shared.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path, PurePath

import geopandas as gpd
import pandas as pd
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from lsmap import access
from lsmap.io.importing import columns as cols
from lsmap.io.importing.apply import ListImportResult, import_list_table
from lsmap.io.importing.districts import (
    MAX_BOUNDARY_BYTES,
    DistrictImportResult,
    guess_fields,
    import_district_frame,
    with_crs,
)
from lsmap.io.importing.lists import ListPlan, Progress
from lsmap.io.importing.problems import ImportRejected
from lsmap.io.importing.readers import RawTable
from lsmap.io.importing.sandbox import parse_boundaries, parse_table

#: What the page offers to import, in order, with Japanese labels.
IMPORT_KINDS: dict[str, str] = {
    "districts": "地区の境界",
    "households": "気がかりな世帯",
    "watchers": "見守り者",
    "resources": "資源",
    "links": "見守りの関わり",
    "contacts": "見守り活動記録",
    "address_reference": "住所の位置参照情報",
    "census": "国勢調査（小地域）",
    "roads": "道路網",
}
LIST_SUFFIXES = ("csv", "txt", "xlsx")
BOUNDARY_SUFFIXES = ("geojson", "json", "zip", "gpkg")


def require_admin(actor: access.Actor) -> None:
    """Raise ImportRejected unless ``actor`` may import (:func:`lsmap.access.may_import`)."""
    if not access.may_import(actor):
        raise ImportRejected("取り込みは管理者だけができます")


def _safe_name(filename: str) -> str:
    """The last part of an uploaded file name (never a path)."""
    return PurePath(filename.replace("\\", "/")).name or "upload"


# ---------------------------------------------------------------- lists


def read_list_upload(data: bytes, filename: str) -> RawTable:
    """Parse an uploaded CSV / XLSX in a limited child (size, rows, encodings, damage checks)."""
    return parse_table(data, _safe_name(filename))


def initial_choices(
    session: Session | None, kind: str, headers: list[str]
) -> tuple[dict[str, str | None], str]:
    """field -> header to pre-select for each field of ``kind`` (remembered mapping, else the
    template/alias headers), and where that came from (``remembered`` or ``auto``)."""
    mapping, source = cols.resolve_mapping(session, kind, headers)
    by_field = {field: header for header, field in mapping.items()}
    return {field: by_field.get(field) for field in cols.KIND_FIELDS[kind]}, source


def overrides_from_choices(headers: list[str], choices: dict[str, str | None]) -> dict[str, str]:
    """The library's header -> field overrides for a field -> header choice on screen.

    Every header is named, so a column chosen for no field is ignored even when an alias or
    a remembered mapping would have used it. Raises ImportRejected when one column is chosen
    for two fields.
    """
    overrides = {header: "" for header in headers}
    for field, header in choices.items():
        if not header:
            continue
        if overrides.get(header):
            raise ImportRejected(
                f"列「{header}」が2つの項目に選ばれています。1つの列は1つの項目にだけ使えます"
            )
        overrides[header] = field
    return overrides


def import_list_upload(
    engine: Engine,
    actor: access.Actor,
    kind: str,
    table: RawTable,
    choices: dict[str, str | None],
    *,
    default_kind: str | None = None,
    dry_run: bool = True,
    partial: bool = False,
    progress: Progress | None = None,
) -> ListImportResult:
    """Check (``dry_run``) or import an uploaded list, parsed by :func:`read_list_upload`,
    with the on-screen column choices (``partial``: 「問題のない行だけ取り込む」).

    Raises ImportRejected (with every problem) when anything blocks the import; then
    nothing was written. A real import remembers the mapping for files with these headers.
    """
    require_admin(actor)
    overrides = overrides_from_choices(table.headers, choices)
    return import_list_table(
        engine,
        actor,
        kind,
        table,
        overrides=overrides,
        default_kind=default_kind,
        dry_run=dry_run,
        partial=partial,
        progress=progress,
    )


def planned_counts(plan: ListPlan) -> dict[str, int]:
    """What an import of ``plan`` creates, with Japanese labels (e.g. 世帯, 住民)."""
    if plan.kind == "households":
        households = {row.values.get("ref") or f"row-{row.row}" for row in plan.rows}
        return {"世帯": len(households), "住民": len(plan.rows)}
    if plan.kind == "watchers":
        return {"見守り者": len(plan.rows)}
    if plan.kind == "links":
        return {"見守りの関わり": len(plan.rows)}
    if plan.kind == "contacts":
        return {"見守り活動記録": len(plan.rows)}
    return {
        "資源": len(plan.rows),
        "CSW": sum(len(row.values.get("csws", [])) for row in plan.rows),
    }


CREATED_LABELS = {
    "households": "世帯",
    "residents": "住民",
    "watchers": "見守り者",
    "resources": "資源",
    "csws": "CSW",
    "watch_links": "見守りの関わり",
    "contact_logs": "見守り活動記録",
}


def created_text(created: dict[str, int]) -> str:
    """「資源 3 件、CSW 1 件」 for the result of a list import."""
    return "、".join(
        f"{CREATED_LABELS.get(k, k)} {v} 件" for k, v in created.items() if v or k != "csws"
    )


def template_csv(kind: str) -> bytes:
    """The CSV template (UTF-8 with BOM, Japanese headers) for a list of ``kind``."""
    from lsmap.io.export import csv_bytes

    return csv_bytes(pd.DataFrame(columns=cols.template_headers(kind)), [])


# ---------------------------------------------------------------- boundaries


@dataclass(frozen=True)
class BoundaryPreview:
    """What the page needs before the dry run: the attribute columns and the guesses."""

    columns: list[str]
    name_guess: str
    code_guess: str | None
    has_level_column: bool
    crs: str
    crs_assumed: bool
    features: int


def read_boundary_upload(data: bytes, filename: str) -> gpd.GeoDataFrame:
    """Read an uploaded boundary file in a limited child (formats, content, zip and feature
    checks of :mod:`lsmap.io.importing.boundary_files`); the CRS is settled later."""
    suffix = PurePath(_safe_name(filename)).suffix.lower()
    if suffix.lstrip(".") not in BOUNDARY_SUFFIXES:
        raise ImportRejected(
            f"この形式は読めません（{suffix}）。GeoJSON、zip にまとめたシェープファイル、"
            "GeoPackage を使ってください"
        )
    if len(data) > MAX_BOUNDARY_BYTES:
        raise ImportRejected(f"ファイルが大きすぎます（{len(data) / 1048576:.0f} MB、上限 200 MB）")
    if not data:
        raise ImportRejected("ファイルが空です")
    with tempfile.TemporaryDirectory(prefix="lsmap-upload-") as folder:
        path = Path(folder) / f"upload{suffix}"  # never the uploaded name
        path.write_bytes(data)
        return parse_boundaries(path)


def preview_boundaries(frame: gpd.GeoDataFrame, source_crs: str | None = None) -> BoundaryPreview:
    """The choice of name, code and level columns for boundaries read by
    :func:`read_boundary_upload`."""
    frame = with_crs(frame, source_crs or None)
    columns = [str(c) for c in frame.columns if c != frame.geometry.name]
    name_guess, code_guess = guess_fields(frame)
    return BoundaryPreview(
        columns=columns,
        name_guess=str(name_guess),
        code_guess=str(code_guess) if code_guess else None,
        has_level_column=any(c in columns for c in ("level", "階層")),
        crs=frame.crs.to_string() if frame.crs is not None else "",
        crs_assumed=bool(frame.attrs.get("crs_assumed")),
        features=len(frame),
    )


def import_boundary_upload(
    engine: Engine,
    actor: access.Actor,
    frame: gpd.GeoDataFrame,
    filename: str,
    level: str | None,
    *,
    name_field: str | None,
    code_field: str | None,
    source_crs: str | None = None,
    dry_run: bool = True,
) -> DistrictImportResult:
    """Check (``dry_run``) or import boundaries read by :func:`read_boundary_upload` in one
    transaction; ``filename`` (the upload's name) gives the default code prefix."""
    require_admin(actor)
    return import_district_frame(
        engine,
        with_crs(frame, source_crs or None),
        level,
        name_field=name_field or None,
        code_field=code_field or None,
        source_name=PurePath(_safe_name(filename)).stem,
        actor=actor,
        dry_run=dry_run,
    )
