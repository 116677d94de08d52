"""Exports: access filtering per role, CSV/XLSX safety, audit, and the import round trip."""

from __future__ import annotations

import csv
import io
import json
import unicodedata
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest
from conftest import CliResult, DatabaseFactory, actor_for
from openpyxl import load_workbook
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from lsmap import access
from lsmap.access import AccessDenied, Actor
from lsmap.io.export import FORMATS, export_frame, export_layer
from lsmap.io.importing.apply import import_list_file
from lsmap.io.importing.districts import import_districts
from lsmap.storage import db
from lsmap.storage.models import AuditEntry, Household, Resident

ADMIN = Actor(
    user_id=0, username="round-trip", display_name="", role="admin", district_ids=frozenset()
)


def _csv_rows(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_bytes().decode("utf-8-sig"))))


def test_each_role_exports_only_what_it_may_see(sample_session: Session, tmp_path: Path) -> None:
    exported: dict[str, list[list[str]]] = {}
    for user in ("admin", "staff_east", "meeting_east"):
        path = tmp_path / f"{user}.csv"
        export_layer(sample_session, actor_for(sample_session, user), "households", "csv", path)
        exported[user] = _csv_rows(path)
    admin, staff, meeting = exported["admin"], exported["staff_east"], exported["meeting_east"]
    towns_of = {
        user: {row[7] for row in rows[1:] if not row[0].startswith("#")}
        for user, rows in exported.items()
    }
    east = access.expand_districts(
        sample_session,
        {access.visible_districts(sample_session, actor_for(sample_session, "staff_east"))[0].id},
    )
    assert 0 < len(staff) < len(admin) and towns_of["staff_east"] < towns_of["admin"]
    with Session(sample_session.bind) as check:
        east_names = {
            n
            for n in check.scalars(
                select(Resident.name).join(Household).where(Household.district_id.in_(east))
            )
        }
    assert {row[1] for row in staff[1:]} <= east_names
    # meeting: no consent column, no names of residents without consent, and a note saying so
    assert "同意" not in meeting[0] and meeting[-1][0].startswith("# 注記: 同意のない方")
    with Session(sample_session.bind) as check:
        refused = set(
            check.scalars(select(Resident.name).where(Resident.consent_status != "consented"))
        )
    assert refused and not refused & {row[1] for row in meeting[1:-1]}
    planner = actor_for(sample_session, "planner")
    for layer in ("households", "watchers"):
        with pytest.raises(AccessDenied):
            export_layer(sample_session, planner, layer, "csv", tmp_path / "no.csv")
    assert not (tmp_path / "no.csv").exists()
    export_layer(sample_session, planner, "resources", "csv", tmp_path / "res.csv")
    resources = _csv_rows(tmp_path / "res.csv")
    assert "CSW" not in resources[0] and "CSW" in resources[-1][0]


def test_every_format_is_written_and_audited_with_ids(
    sample_session: Session, tmp_path: Path
) -> None:
    staff = actor_for(sample_session, "staff_east")
    for fmt in FORMATS:
        result = export_layer(sample_session, staff, "watchers", fmt, tmp_path / f"w.{fmt}")
        assert result.rows > 0
    entries = sample_session.scalars(select(AuditEntry).where(AuditEntry.action == "export")).all()
    assert [e.detail["format"] for e in entries] == list(FORMATS)
    assert all(
        e.username == "staff_east" and e.entity == "watcher" and len(e.entity_ids) == result.rows
        for e in entries
    )
    geojson = json.loads((tmp_path / "w.geojson").read_text("utf-8"))
    assert (
        len(geojson["features"]) == result.rows
        and geojson["features"][0]["geometry"]["type"] == "Point"
    )
    import geopandas as gpd

    package = gpd.read_file(tmp_path / "w.gpkg")
    assert len(package) == result.rows and package.crs.to_epsg() == 4326
    sheet = load_workbook(tmp_path / "w.xlsx").worksheets[0]
    assert sheet.max_row == result.rows + 1 and sheet["A1"].value == "番号"


def test_csv_has_bom_and_formula_cells_are_neutralised(
    sample_session: Session, tmp_path: Path
) -> None:
    frame = pd.DataFrame(
        {
            "名前": ['=HYPERLINK("http://evil")', "+81", "-1+1", "@SUM(A1)", "普通", "\tx"],
            "数": [1, 2, -3, 4, 5, 6],
        }
    )
    admin = actor_for(sample_session, "admin")
    export_frame(
        sample_session, admin, frame, "csv", tmp_path / "c.csv", layer="coverage", ids=[1, 2]
    )
    export_frame(sample_session, admin, frame, "xlsx", tmp_path / "c.xlsx", layer="coverage")
    data = (tmp_path / "c.csv").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") and b"\r\n" in data
    rows = _csv_rows(tmp_path / "c.csv")
    assert [r[0] for r in rows[1:]] == [
        '\'=HYPERLINK("http://evil")',
        "'+81",
        "'-1+1",
        "'@SUM(A1)",
        "普通",
        "'\tx",
    ]
    assert [r[1] for r in rows[1:]] == ["1", "2", "-3", "4", "5", "6"]  # numbers stay numbers
    cells = [
        row[0]
        for row in load_workbook(tmp_path / "c.xlsx")
        .worksheets[0]
        .iter_rows(min_row=2, values_only=True)
    ]
    assert cells[0] == '\'=HYPERLINK("http://evil")' and cells[4] == "普通"
    coverage = sample_session.scalars(
        select(AuditEntry).where(AuditEntry.detail["layer"].as_string() == "coverage")
    ).all()
    assert len(coverage) == 2 and coverage[0].entity_ids == [1, 2]


def _nfkc(rows: list[list[str]]) -> list[list[str]]:
    return [[" ".join(unicodedata.normalize("NFKC", c).split()) for c in row] for row in rows]


def test_round_trip_export_import_export_is_identical(
    sample_engine: Engine, database_factory: DatabaseFactory, tmp_path: Path
) -> None:
    def export_all(engine: Engine, folder: Path) -> dict[str, Path]:
        folder.mkdir()
        files = {"districts": folder / "districts.geojson"}
        with db.transaction(engine) as session:
            export_layer(session, ADMIN, "districts", "geojson", files["districts"])
            for layer in ("resources", "watchers", "households"):
                files[layer] = folder / f"{layer}.csv"
                export_layer(session, ADMIN, layer, "csv", files[layer])
        return files

    def import_all(files: dict[str, Path]) -> Engine:
        engine = db.get_engine(database_factory.migrated())
        import_districts(engine, files["districts"], None, name_field="名称", code_field="コード")
        for layer in ("resources", "watchers", "households"):
            result = import_list_file(engine, ADMIN, layer, files[layer])
            assert result.plan.mapping_source == "auto"
            assert not [p for p in result.plan.problems if p.severity != "info"], layer
        return engine

    first = export_all(sample_engine, tmp_path / "first")
    second_db = import_all(first)
    second = export_all(second_db, tmp_path / "second")
    third = export_all(import_all(second), tmp_path / "third")
    for layer in ("resources", "households"):
        # the sample's full-width spaces are normalised once on import; after that, byte-identical
        assert _nfkc(_csv_rows(first[layer])) == _nfkc(_csv_rows(second[layer])), layer
        assert second[layer].read_bytes() == third[layer].read_bytes(), layer
    # watchers: everything but the derived load column (watch links are not part of list imports)
    strip = lambda rows: [row[:-1] for row in rows]  # noqa: E731
    assert _nfkc(strip(_csv_rows(first["watchers"]))) == _nfkc(strip(_csv_rows(second["watchers"])))
    one, two = (json.loads(p["districts"].read_text("utf-8")) for p in (first, second))
    assert [f["properties"] for f in one["features"]] == [f["properties"] for f in two["features"]]
    assert second["districts"].read_bytes() == third["districts"].read_bytes()


def test_command_line_export_checks_user_and_layer(
    sample_url: str, tmp_path: Path, run_lsmap: Callable[..., CliResult]
) -> None:
    def lsmap(*args: str) -> CliResult:
        return run_lsmap("--database-url", sample_url, *args)

    done = lsmap(
        "export",
        "households",
        "--format",
        "xlsx",
        "--as",
        "meeting_east",
        "-o",
        str(tmp_path / "h.xlsx"),
    )
    assert done.returncode == 0, done.stderr
    assert "行を書き出しました" in done.stdout and "注記: 同意のない方" in done.stdout
    denied = lsmap(
        "export", "households", "--format", "csv", "--as", "planner", "-o", str(tmp_path / "p.csv")
    )
    assert (
        denied.returncode == 1 and "計画担当" in denied.stderr and not (tmp_path / "p.csv").exists()
    )
    unknown = lsmap(
        "export", "castles", "--format", "csv", "--as", "admin", "-o", str(tmp_path / "x.csv")
    )
    assert unknown.returncode == 2 and "castles" in unknown.stderr
