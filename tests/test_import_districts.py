"""District boundaries: real files in several CRSs, repair, dissolve, nesting and bad input."""

from __future__ import annotations

import json
import shutil
import zipfile
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import pytest
from conftest import REALDATA, CliResult
from shapely.geometry import box, mapping
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from lsmap.io.importing.districts import import_districts
from lsmap.io.importing.problems import ImportRejected
from lsmap.storage.models import AuditEntry, District

#: Every test here reads the real boundary files of ../shared/realdata.
pytestmark = pytest.mark.realdata
YAIZU = REALDATA / "yaizu" / "districts"


def _districts(engine: Engine) -> dict[str, District]:
    with Session(engine) as session:
        return {d.code: d for d in session.scalars(select(District))}


def _count(engine: Engine) -> tuple[int, int]:
    with Session(engine) as session:
        return (
            session.scalar(select(func.count()).select_from(District)) or 0,
            session.scalar(select(func.count()).select_from(AuditEntry)) or 0,
        )


def _in_yaizu(geom) -> bool:  # type: ignore[no-untyped-def]
    minx, miny, maxx, maxy = geom.bounds
    return minx > 138.15 and maxx < 138.40 and miny > 34.75 and maxy < 34.95


def test_yaizu_districts_in_two_crss_are_reprojected_repaired_and_nested(engine: Engine) -> None:
    junior = import_districts(engine, YAIZU / "中学校区.shp", "district")
    assert junior.plan.source_crs == "EPSG:6668" and junior.created == 9
    assert (junior.plan.name_field, junior.plan.code_field) == ("item2", "item1")

    hoods = import_districts(engine, YAIZU / "自治会区域.shp", "neighbourhood")
    assert hoods.plan.source_crs == "EPSG:2450"  # JGD2000 plane rectangular zone VIII
    assert hoods.created == 35 and hoods.nested == 35
    assert hoods.plan.repaired == ["小川第13自治会"]
    repaired = [p for p in hoods.plan.problems if p.severity == "warning"]
    assert len(repaired) == 1 and "自己交差" in repaired[0].message and repaired[0].row is not None

    stored = _districts(engine)
    assert len(stored) == 44
    assert all(d.geom.is_valid and _in_yaizu(d.geom) for d in stored.values())
    junior_ids = {d.id for d in stored.values() if d.level == "district"}
    assert all(d.parent_id in junior_ids for d in stored.values() if d.level == "neighbourhood")
    ogawa = next(d for d in stored.values() if d.name == "小川第13自治会")
    assert ogawa.geom.geom_type == "MultiPolygon" and ogawa.geom.area > 0
    with Session(engine) as session:
        entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "import")).all()
        assert [e.entity for e in entry] == ["district", "district"]
        assert entry[1].detail["repaired"] == 1 and len(entry[1].entity_ids) == 35


def test_kanagawa_parts_are_dissolved_by_code_and_fukui_geojson_reads(engine: Engine) -> None:
    kanagawa = import_districts(
        engine, REALDATA / "n03_kanagawa_2025" / "N03-20250101_14.shp", "municipality"
    )
    assert kanagawa.plan.features == 1247 and kanagawa.created == 58
    assert any("まとめました" in p.message for p in kanagawa.plan.problems)
    fukui = import_districts(
        engine, REALDATA / "n03_fukui_2021_simplified" / "N03-21_18_210101.json", "市町村"
    )
    assert fukui.created == 17 and fukui.plan.source_crs == "EPSG:4326"
    stored = _districts(engine)
    assert (
        stored["14101"].name == "横浜市鶴見区" and stored["14101"].geom.geom_type == "MultiPolygon"
    )
    assert stored["18201"].name == "福井市"
    assert stored["14101"].geom.representative_point().within(box(139.6, 35.4, 139.8, 35.6))


def test_zipped_shapefile_and_geopackage_give_the_same_areas(
    engine: Engine, tmp_path: Path
) -> None:
    archive = tmp_path / "yaizu_school.zip"
    with zipfile.ZipFile(archive, "w") as out:
        for part in YAIZU.glob("小学校区.*"):
            out.write(part, f"小学校区{part.suffix}")
    from_zip = import_districts(engine, archive, "district", code_prefix="es-")
    assert from_zip.created == 13 and from_zip.plan.source_crs == "EPSG:2450"
    package = tmp_path / "junior.gpkg"
    gpd.read_file(YAIZU / "中学校区.shp").to_file(package, driver="GPKG")
    from_gpkg = import_districts(
        engine, package, "district", name_field="item2", code_field="item1", code_prefix="jh-"
    )
    assert from_gpkg.created == 9
    stored = _districts(engine)
    assert "es-3" in stored and stored["jh-6"].name == "東益津中学校"
    # the same file again updates in place instead of duplicating
    again = import_districts(
        engine, package, "district", name_field="item2", code_field="item1", code_prefix="jh-"
    )
    assert (again.created, again.updated) == (0, 9)
    assert len(_districts(engine)) == 22


def _geojson(path: Path, features: list[dict], crs: bool = True) -> Path:  # type: ignore[type-arg]
    document: dict = {"type": "FeatureCollection", "features": features}  # type: ignore[type-arg]
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return path


def _feature(name: str, geom) -> dict:  # type: ignore[no-untyped-def, type-arg]
    return {
        "type": "Feature",
        "properties": {"name": name, "code": name},
        "geometry": mapping(geom),
    }


def _bad_inputs(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    cases: dict[str, tuple[Path, str]] = {}
    no_prj = tmp_path / "noprj"
    no_prj.mkdir()
    for part in YAIZU.glob("自治会区域.*"):
        if part.suffix != ".prj":
            shutil.copy(part, no_prj / f"hoods{part.suffix}")
    cases["missing crs"] = (no_prj / "hoods.shp", ".prj")
    truncated = tmp_path / "truncated.zip"
    with zipfile.ZipFile(truncated, "w") as out:
        for part in YAIZU.glob("中学校区.*"):
            data = part.read_bytes()
            out.writestr(
                f"junior{part.suffix}", data[: len(data) // 3] if part.suffix == ".shp" else data
            )
    cases["truncated shapefile"] = (truncated, "途中で切れて")
    half_zip = tmp_path / "half.zip"
    half_zip.write_bytes(truncated.read_bytes()[:200])
    cases["truncated zip"] = (half_zip, "zip")
    empty = tmp_path / "empty.geojson"
    empty.write_bytes(b"")
    cases["empty file"] = (empty, "空")
    cases["no features"] = (_geojson(tmp_path / "none.geojson", []), "地物")
    html = tmp_path / "page.geojson"
    html.write_text("<html><body>not found</body></html>", encoding="utf-8")
    cases["html"] = (html, "読めません")
    cases["outside japan"] = (
        _geojson(tmp_path / "london.geojson", [_feature("ロンドン", box(-0.2, 51.4, 0.1, 51.6))]),
        "日本の範囲外",
    )
    cases["wrong format"] = (tmp_path / "list.csv", "形式")
    (tmp_path / "list.csv").write_text("a,b\n1,2\n", encoding="utf-8")
    return cases


def test_bad_boundary_files_are_rejected_and_change_nothing(engine: Engine, tmp_path: Path) -> None:
    import_districts(engine, YAIZU / "中学校区.shp", "district")
    before = _count(engine)
    for label, (path, expected) in _bad_inputs(tmp_path).items():
        with pytest.raises(ImportRejected) as caught:
            import_districts(engine, path, "neighbourhood")
        text = caught.value.message + " ".join(p.message for p in caught.value.problems)
        assert expected in text, (label, text)
        assert _count(engine) == before, label
    with pytest.raises(ImportRejected, match="階層"):
        import_districts(engine, YAIZU / "中学校区.shp", "prefecture")
    with pytest.raises(ImportRejected) as clash:
        import_districts(engine, YAIZU / "中学校区.shp", "neighbourhood")
    assert all(
        "別の階層" in p.message and "--code-prefix" in p.message for p in clash.value.problems
    )
    assert len(clash.value.problems) == 9
    assert _count(engine) == before


def test_missing_crs_can_be_given(engine: Engine, tmp_path: Path) -> None:
    path, _ = _bad_inputs(tmp_path)["missing crs"]
    result = import_districts(engine, path, "neighbourhood", source_crs="EPSG:2450")
    assert result.created == 35 and all(_in_yaizu(d.geom) for d in _districts(engine).values())


def test_command_line_imports_districts_and_refuses_bad_input(
    engine: Engine, run_lsmap: Callable[..., CliResult]
) -> None:
    url = engine.url.render_as_string(hide_password=False)

    def _lsmap(url: str, *args: str) -> CliResult:
        return run_lsmap("--database-url", url, *args)

    done = _lsmap(
        url,
        "import",
        "districts",
        str(YAIZU / "中学校区.shp"),
        "--level",
        "地区",
        "--name-field",
        "item2",
        "--code-field",
        "item1",
    )
    assert done.returncode == 0, done.stderr
    assert "新規 9" in done.stdout and "EPSG:6668" in done.stdout
    bad_level = _lsmap(url, "import", "districts", str(YAIZU / "中学校区.shp"), "--level", "県")
    assert bad_level.returncode == 1 and "階層「県」" in bad_level.stderr
    bad_field = _lsmap(
        url,
        "import",
        "districts",
        str(YAIZU / "中学校区.shp"),
        "--level",
        "地区",
        "--name-field",
        "nothing",
    )
    assert bad_field.returncode == 1 and "nothing" in bad_field.stderr
    assert _count(engine)[0] == 9


def _brute_force_parents(
    targets: list[District], candidates: list[District], depth: dict[int, int]
) -> dict[int, int]:
    """The double loop the spatial join replaced: deepest, then smallest, then first."""
    parents = {}
    for target in targets:
        point = target.geom.representative_point()
        best = None
        for candidate in candidates:
            if candidate.id == target.id or depth[candidate.id] >= depth[target.id]:
                continue
            if candidate.geom.contains(point):
                key = (-depth[candidate.id], candidate.geom.area)
                if best is None or key < best[:2]:
                    best = (*key, candidate.id)
        if best is not None:
            parents[target.id] = best[2]
    return parents


def test_spatial_join_nesting_matches_the_double_loop() -> None:
    import numpy as np

    from lsmap.io.importing.districts import containing_parents

    rng = np.random.default_rng(7)
    districts, depth = [], {}
    for i in range(400):
        x, y = rng.uniform(0, 100, 2)
        size = rng.choice([60.0, 20.0, 5.0, 5.0])  # overlapping areas of three levels
        level = {60.0: 0, 20.0: 1, 5.0: 2}[size]
        district = District(id=i + 1, code=str(i), name=str(i), level="x")
        district.geom = box(x, y, x + size * rng.uniform(0.5, 1), y + size)
        districts.append(district)
        depth[district.id] = level
    districts.append(District(id=999, code="dup", name="dup", level="x", geom=districts[0].geom))
    depth[999] = depth[1]  # an exact duplicate: same depth and area, first listed wins
    expected = _brute_force_parents(districts, districts, depth)
    assert len(expected) > 200  # the case is not vacuous
    assert containing_parents(districts, districts, depth) == expected
    assert containing_parents([], districts, depth) == {}
