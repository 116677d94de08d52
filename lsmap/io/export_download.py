"""Exports as bytes for a download button: a map layer or the coverage table, audited.

The rows come from :func:`lsmap.io.export.export_layer` (through ``access.export_rows``) or,
for coverage, from :func:`lsmap.coverage.report.district_table` (suppressed for planners),
so the app's downloads apply exactly the command line's scope and projection.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
from sqlalchemy.orm import Session

from lsmap import access
from lsmap.io.export import FORMATS, ExportResult, export_frame, export_layer
from lsmap.vocab import RESOURCE_KINDS

COVERAGE = "coverage"
#: Layer -> Japanese label, in the order offered.
LAYER_LABELS: dict[str, str] = {
    "households": "気がかりな世帯",
    "watchers": "見守り者",
    "resources": "資源（すべて）",
    **{kind: f"資源: {label}" for kind, label in RESOURCE_KINDS.items()},
    "districts": "地区の境界",
    COVERAGE: "カバー状況（地区別の集計）",
}
FORMAT_LABELS: dict[str, str] = {
    "csv": "CSV（Excel 向け）",
    "xlsx": "Excel（.xlsx）",
    "geojson": "GeoJSON",
    "gpkg": "GeoPackage",
}
MIME: dict[str, str] = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "geojson": "application/geo+json",
    "gpkg": "application/geopackage+sqlite3",
}


@dataclass(frozen=True)
class Download:
    """One produced export: its bytes, file name, media type, row count and notes."""

    data: bytes
    file_name: str
    mime: str
    rows: int
    notes: tuple[str, ...]


def layers_for(actor: access.Actor) -> list[str]:
    """The layers ``actor`` may export (:func:`lsmap.access.may_export`): planners no
    personal layers."""
    return [layer for layer in LAYER_LABELS if access.may_export(actor, layer)]


def export_download(
    session: Session, actor: access.Actor, layer: str, fmt: str, *, level: str | None = None
) -> Download:
    """Export ``layer`` (or the coverage table at ``level``) as ``actor`` may see it; audited.

    Raises AccessDenied when the actor may not export the layer (caller commits).
    """
    if fmt not in FORMATS:
        raise ValueError(fmt)
    if layer not in layers_for(actor):
        raise access.AccessDenied("この一覧は書き出せません")
    with tempfile.TemporaryDirectory(prefix="lsmap-export-") as folder:
        path = Path(folder) / f"{layer}.{fmt}"
        if layer == COVERAGE:
            result = _coverage(session, actor, fmt, path, level)
        else:
            result = export_layer(session, actor, layer, fmt, path)
        data = path.read_bytes()
    suffix = f"_{level}" if layer == COVERAGE and level else ""
    return Download(data, f"lsmap_{layer}{suffix}.{fmt}", MIME[fmt], result.rows, result.notes)


def _coverage(
    session: Session, actor: access.Actor, fmt: str, path: Path, level: str | None
) -> ExportResult:
    from lsmap.coverage.report import COLUMN_LABELS, coverage_for, district_table

    view = coverage_for(session, actor)
    table = district_table(session, view, level)
    small = view.policy.small_count
    notes = (
        [
            f"1〜{small - 1} の件数は「<{small}」と、"
            "上位の地区の合計からそれが割り出せてしまう件数は"
            "「X」と表示しています"
        ]
        if view.policy.suppress
        else []
    )
    ids = (
        view.result.districts.set_index("district_code")
        .loc[table["district_code"], "district_id"]
        .tolist()
    )
    labelled = table.rename(columns={c: COLUMN_LABELS.get(c, c) for c in table.columns})
    if fmt in ("geojson", "gpkg"):
        geoms = view.inputs.districts.set_index("code")["geometry"]
        labelled = gpd.GeoDataFrame(
            labelled, geometry=[geoms.get(c) for c in table["district_code"]], crs=4326
        )
    return export_frame(
        session,
        actor,
        labelled,
        fmt,
        path,
        layer=COVERAGE,
        entity="district",
        ids=[int(i) for i in ids],
        notes=notes,
    )
