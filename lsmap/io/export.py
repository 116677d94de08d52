"""Exports of map layers (and any table, e.g. coverage) as GeoJSON, GeoPackage, CSV or XLSX.

Rows come only from :func:`lsmap.access.export_rows`, so the exporting user's scope and
field projection apply. CSV is UTF-8 with BOM and CRLF (Excel opens it correctly); in CSV
and XLSX every text cell that a spreadsheet would read as a formula (= + - @, tab, CR)
gets a leading 「'」. What an export left out is written into it (a closing 「# 注記」 row in
CSV, a 注記 sheet in XLSX, ``lsmap_notes`` in GeoJSON, layer metadata in GeoPackage), and
every export is audited with the ids of the exported records.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import shapely
from shapely.geometry import Point, mapping
from sqlalchemy.orm import Session

from lsmap import access
from lsmap.escape import spreadsheet_cell
from lsmap.storage import audit
from lsmap.vocab import AuditAction, Entity

FORMATS = ("geojson", "gpkg", "csv", "xlsx")


@dataclass(frozen=True)
class ExportResult:
    """What was written: how many rows, and the notes on what was left out."""

    path: Path
    rows: int
    notes: tuple[str, ...]


def neutralise(value: Any) -> Any:
    """A text cell that a spreadsheet would run as a formula, made inert with a leading 「'」."""
    return spreadsheet_cell(value)


def export_layer(
    session: Session, actor: access.Actor, layer: str, fmt: str, path: Path
) -> ExportResult:
    """Write ``layer`` as the actor may see it to ``path`` and audit it (caller commits)."""
    fmt = _check_format(fmt)
    table = access.export_rows(session, actor, layer)
    frame = pd.DataFrame(table.rows, columns=table.columns)
    if table.geometry and fmt in ("geojson", "gpkg"):
        geoms = [Point(g) if isinstance(g, tuple) else g for g in table.geometry]
        frame = gpd.GeoDataFrame(frame, geometry=geoms, crs=4326)
    write_frame(frame, fmt, path, layer=layer, notes=table.notes)
    audit.log(
        session,
        actor,
        AuditAction.EXPORT,
        table.entity,
        table.ids,
        layer=layer,
        format=fmt,
        rows=len(table.rows),
        withheld=bool(table.notes),
    )
    return ExportResult(path, len(table.rows), tuple(table.notes))


def export_frame(
    session: Session,
    actor: access.Actor,
    frame: pd.DataFrame,
    fmt: str,
    path: Path,
    *,
    layer: str,
    entity: Entity | str = "",
    ids: list[int] | None = None,
    notes: list[str] | None = None,
) -> ExportResult:
    """Write an already-filtered table (e.g. coverage numbers) and audit it (caller commits).

    ``entity`` says what ``ids`` are (an :class:`~lsmap.vocab.Entity`, empty without ids).
    """
    fmt = _check_format(fmt)
    write_frame(frame, fmt, path, layer=layer, notes=notes or [])
    audit.log(
        session,
        actor,
        AuditAction.EXPORT,
        entity,
        ids or [],
        layer=layer,
        format=fmt,
        rows=len(frame),
    )
    return ExportResult(path, len(frame), tuple(notes or ()))


def write_frame(frame: pd.DataFrame, fmt: str, path: Path, *, layer: str, notes: list[str]) -> None:
    """Write ``frame`` (a DataFrame or GeoDataFrame) atomically: all of the file, or none."""
    fmt = _check_format(fmt)
    path = Path(path)
    handle, temp_name = tempfile.mkstemp(
        dir=path.parent or Path("."), prefix=".lsmap-export-", suffix=f".{fmt}"
    )
    os.close(handle)
    temp = Path(temp_name)
    try:
        if fmt == "csv":
            temp.write_bytes(csv_bytes(frame, notes))
        elif fmt == "xlsx":
            temp.write_bytes(xlsx_bytes(frame, notes))
        elif fmt == "geojson":
            temp.write_text(geojson_text(frame, notes), encoding="utf-8")
        else:
            temp.unlink()
            _write_gpkg(frame, temp, layer, notes)
        os.replace(temp, path)
    finally:
        temp.unlink(missing_ok=True)


def _check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise ValueError(f"形式は {' / '.join(FORMATS)} のどれかです（{fmt}）")
    return fmt


def _cells(frame: pd.DataFrame) -> tuple[list[str], list[list[Any]]]:
    columns = [
        c
        for c in frame.columns
        if not isinstance(frame, gpd.GeoDataFrame) or c != frame.geometry.name
    ]
    rows = [
        [_plain(v) for v in record] for record in frame[columns].itertuples(index=False, name=None)
    ]
    return [str(c) for c in columns], rows


def _plain(value: Any) -> Any:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        return value.item()
    return value


def csv_bytes(frame: pd.DataFrame, notes: list[str]) -> bytes:
    """CSV with BOM and CRLF, formula-like text neutralised, notes as a closing row."""
    columns, rows = _cells(frame)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([neutralise(c) for c in columns])
    for row in rows:
        writer.writerow([neutralise(v) for v in row])
    if notes:
        writer.writerow(["# 注記: " + " / ".join(notes)])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def xlsx_bytes(frame: pd.DataFrame, notes: list[str]) -> bytes:
    """An Excel workbook: the rows on sheet 「データ」, notes on sheet 「注記」."""
    from openpyxl import Workbook

    columns, rows = _cells(frame)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("データ")
    sheet.append([neutralise(c) for c in columns])
    for row in rows:
        sheet.append([neutralise(v) for v in row])
    if notes:
        note_sheet = workbook.create_sheet("注記")
        for note in notes:
            note_sheet.append([neutralise(note)])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def geojson_text(frame: pd.DataFrame, notes: list[str]) -> str:
    """A GeoJSON FeatureCollection (EPSG:4326); a frame without geometry gets null geometry."""
    columns, rows = _cells(frame)
    geoms = list(frame.geometry) if isinstance(frame, gpd.GeoDataFrame) else [None] * len(rows)
    features = [
        {
            "type": "Feature",
            "properties": dict(zip(columns, row, strict=True)),
            "geometry": mapping(geom) if geom is not None and not shapely.is_empty(geom) else None,
        }
        for row, geom in zip(rows, geoms, strict=True)
    ]
    document: dict[str, Any] = {"type": "FeatureCollection", "features": features}
    if notes:
        document["lsmap_notes"] = notes
    return json.dumps(document, ensure_ascii=False, indent=1)


def _write_gpkg(frame: pd.DataFrame, path: Path, layer: str, notes: list[str]) -> None:
    import pyogrio

    metadata = {"lsmap_notes": " / ".join(notes)} if notes else None
    if isinstance(frame, gpd.GeoDataFrame):
        frame.to_file(path, driver="GPKG", layer=layer, engine="pyogrio", layer_metadata=metadata)
    else:
        pyogrio.write_dataframe(frame, path, driver="GPKG", layer=layer, layer_metadata=metadata)
