"""The offline background map: import in any CRS, drawn on screen and paper with its credit,
nothing fetched from outside, the sample town's generated streets, local MBTiles tiles."""

from __future__ import annotations

import io
import json
import sqlite3
import zipfile
from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from conftest import SAMPLE_TODAY, actor_for, district_id
from pypdf import PdfReader
from shapely.geometry import LineString, Polygon
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from lsmap.access import Actor
from lsmap.access.basemap import background_features, basemap_layers
from lsmap.io.importing.basemap import (
    import_basemap,
    read_basemap_upload,
    remove_basemap_layer,
)
from lsmap.io.importing.problems import ImportRejected
from lsmap.io.tiles import export_mbtiles
from lsmap.maps.background import sent_background
from lsmap.maps.labels import sent_labels
from lsmap.maps.webmap import build_map
from lsmap.printing.paper_map import PaperOptions, map_pdf
from lsmap.storage import db
from lsmap.storage.models import AuditEntry, BasemapFeature
from sample_data.town import generate_town

HONCHO = "149990-01-01"  # 本町一丁目
ADMIN = Actor(0, "cli", "コマンドライン", "admin", frozenset())


def _centre(session: Session, code: str) -> shapely.Point:
    from lsmap.storage.models import District

    geom = session.scalars(select(District.geom).where(District.code == code)).one()
    return geom.representative_point()


def _metric(lon: float, lat: float, epsg: int) -> shapely.Point:
    return gpd.GeoSeries([shapely.Point(lon, lat)], crs=4326).to_crs(epsg).iloc[0]


def _roads_gpkg(path: Path, at: shapely.Point) -> Path:
    """Two named roads and a school in EPSG:6677 (JGD2011 plane rectangular IX) at ``at``."""
    c = _metric(at.x, at.y, 6677)
    frame = gpd.GeoDataFrame(
        {"name": ["試験通り", "", "試験小学校"], "highway": ["primary", "residential", "school"]},
        geometry=[
            LineString([(c.x - 300, c.y + 5), (c.x + 300, c.y + 5)]),
            LineString([(c.x + 5, c.y - 300), (c.x + 5, c.y + 300)]),
            Polygon([(c.x + 40, c.y + 40), (c.x + 120, c.y + 40), (c.x + 120, c.y + 100)]),
        ],
        crs=6677,
    )
    frame.iloc[:2].to_file(path, driver="GPKG")
    return path


def _parks_zip(folder: Path, at: shapely.Point) -> Path:
    """A zipped Shapefile (with its .prj) of one park in EPSG:2451 (JGD2000 zone IX)."""
    c = _metric(at.x, at.y, 2451)
    frame = gpd.GeoDataFrame(
        {"名称": ["試験の森公園"]},
        geometry=[Polygon([(c.x - 60, c.y - 50), (c.x + 60, c.y - 50), (c.x, c.y + 70)])],
        crs=2451,
    )
    shp = folder / "shp"
    shp.mkdir()
    frame.to_file(shp / "parks.shp", encoding="utf-8")
    archive = folder / "parks.zip"
    with zipfile.ZipFile(archive, "w") as out:
        for part in sorted(shp.iterdir()):
            out.write(part, part.name)
    return archive


def _pdf_text(pdf: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_layers_import_from_shapefile_zip_and_geopackage_in_projected_crs(
    writable_sample_engine: Engine, tmp_path: Path
) -> None:
    engine = writable_sample_engine
    with Session(engine) as session:
        at = _centre(session, HONCHO)
    roads = import_basemap(
        engine, ADMIN, _roads_gpkg(tmp_path / "roads.gpkg", at), "roads", credit="試験の出典A"
    )
    parks = import_basemap(engine, ADMIN, _parks_zip(tmp_path, at), "parks", credit="試験の出典B")
    assert roads.plan.source_crs == "EPSG:6677" and parks.plan.source_crs == "EPSG:2451"
    assert (roads.created, parks.created) == (2, 1)
    assert [f.subkind for f in roads.plan.features] == ["main", "local"]
    with Session(engine) as session:
        stored = session.scalars(
            select(BasemapFeature).where(BasemapFeature.source.in_(["roads.gpkg", "parks.zip"]))
        ).all()
        park = next(f for f in stored if f.kind == "parks")
        # reprojected to longitude/latitude: the park sits on the 町内 it was drawn at
        assert park.geom.distance(at) < 0.001 and park.geom.geom_type == "Polygon"
        assert (park.minx, park.maxy) == (park.geom.bounds[0], park.geom.bounds[3])
        entries = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "basemap_import")
        ).all()
        assert {(e.detail["kind"], e.detail["features"]) for e in entries} == {
            ("roads", 2),
            ("parks", 1),
        }


def test_imported_layers_appear_in_the_map_html_and_the_pdf(
    writable_sample_engine: Engine, tmp_path: Path
) -> None:
    engine = writable_sample_engine
    with Session(engine) as session:
        at = _centre(session, HONCHO)
    import_basemap(engine, ADMIN, _roads_gpkg(tmp_path / "roads.gpkg", at), "roads", credit="試験A")
    import_basemap(engine, ADMIN, _parks_zip(tmp_path, at), "parks", credit="試験の出典B")
    with Session(engine) as session:
        meeting = actor_for(session, "meeting_east")
        honcho = district_id(session, HONCHO)
        html = build_map(session, meeting, honcho, meeting_mode=True).map.get_root().render()
        (background,) = sent_background(html)
        assert {"試験A", "試験の出典B"} <= set(background["credits"])
        roads = [
            f["geometry"]["coordinates"]
            for layer in background["layers"]
            if layer["style"] == "roads:main"
            for f in layer["features"]
        ]
        assert any(abs(c[0][1] - at.y) < 0.001 for c in roads)  # the imported main road
        assert "試験の森公園" in [label[0] for label in sent_labels(html)]
        assert "試験の出典B" in html  # the credit line is the map's attribution
        pdf = map_pdf(session, meeting, honcho, PaperOptions(paper="A3", with_list=False))
        text = _pdf_text(pdf)
        assert "試験の出典B" in text and "試験の森公園" in text
        session.rollback()


def test_basemap_none_and_gsi_draw_no_imported_layers(sample_session: Session) -> None:
    staff = actor_for(sample_session, "staff_east")
    east = district_id(sample_session, "149990-01")
    local = build_map(sample_session, staff, east, basemap="local").map.get_root().render()
    assert sent_background(local) and "サンプルの町" in local
    for choice in ("none", "gsi"):
        html = build_map(sample_session, staff, east, basemap=choice).map.get_root().render()
        assert sent_background(html) == []
    none = build_map(sample_session, staff, east, basemap="none").map.get_root().render()
    assert "https://" not in none.replace("https://leafletjs.com", "")
    pdf = map_pdf(sample_session, staff, east, PaperOptions(with_list=False, basemap="none"))
    assert "背景地図なし" in _pdf_text(pdf)


def test_a_file_outside_japan_or_from_a_non_admin_is_refused(
    engine: Engine, tmp_path: Path
) -> None:
    wrong = gpd.GeoDataFrame(
        {"name": ["x"]}, geometry=[LineString([(-39000, -61000), (-38000, -61000)])], crs=4326
    )  # metres labelled as degrees
    wrong.to_file(tmp_path / "wrong.gpkg", driver="GPKG")
    with pytest.raises(ImportRejected, match="日本の範囲外"):
        import_basemap(engine, ADMIN, tmp_path / "wrong.gpkg", "roads")
    staff = Actor(5, "staff_x", "職員", "staff", frozenset({1}))
    with pytest.raises(ImportRejected, match="管理者だけ"):
        import_basemap(engine, staff, tmp_path / "wrong.gpkg", "roads")
    with pytest.raises(ImportRejected, match="この形式は読めません"):
        read_basemap_upload(b"<VRTDataset/>", "roads.vrt")
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(BasemapFeature)) == 0


def test_reimport_replaces_and_removal_takes_a_layer_off_the_map(
    engine: Engine, tmp_path: Path
) -> None:
    at = shapely.Point(139.40, 35.45)
    path = _roads_gpkg(tmp_path / "roads.gpkg", at)
    import_basemap(engine, ADMIN, path, "roads")
    again = import_basemap(engine, ADMIN, path, "roads")
    assert again.replaced == 2
    area = (139.39, 35.44, 139.41, 35.46)
    with Session(engine) as session:
        assert len(background_features(session, ADMIN, area)) == 2
        assert background_features(session, None, area) == []  # visitors get nothing
        assert [(x.kind, x.features) for x in basemap_layers(session, ADMIN)] == [("roads", 2)]
        kept = session.scalar(select(func.count()).select_from(BasemapFeature))
        assert kept == 4  # the replaced rows are kept, marked deleted
    assert remove_basemap_layer(engine, ADMIN, "roads", "roads.gpkg") == 2
    with Session(engine) as session:
        assert background_features(session, ADMIN, area) == []
        removal = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "basemap_remove")
        ).one()
        assert removal.detail == {"kind": "roads", "source": "roads.gpkg", "features": 2}


def test_sample_town_ships_streets_a_railway_with_its_station_and_a_river(
    sample_session: Session,
) -> None:
    town = generate_town(SAMPLE_TODAY)
    kinds = {(f.kind, f.subkind) for f in town.basemap}
    assert {("roads", "main"), ("roads", "local"), ("railways", "rail")} <= kinds
    assert {("railways", "station"), ("rivers", "river"), ("schools", ""), ("parks", "")} <= kinds
    names = {f.name for f in town.basemap}
    assert {"さくら台駅", "さくら川", "さくら台線"} <= names
    assert sum(f.subkind == "main" for f in town.basemap) >= 3
    assert sum(f.subkind == "local" for f in town.basemap) > 300
    station = next(f for f in town.basemap if f.name == "さくら台駅")
    ekimae = next(d for d in town.districts if d.name == "駅前")
    assert ekimae.geom.covers(station.geom.centroid)
    assert generate_town(SAMPLE_TODAY).basemap == town.basemap  # fixed seed
    loaded = sample_session.scalar(
        select(func.count()).select_from(BasemapFeature).where(BasemapFeature.source == "sample")
    )
    assert loaded == len(town.basemap)


def _mbtiles(path: Path, fmt: str, blob: bytes) -> Path:
    connection = sqlite3.connect(path)
    connection.execute("CREATE TABLE metadata (name TEXT, value TEXT)")
    connection.execute(
        "CREATE TABLE tiles (zoom_level INT, tile_column INT, tile_row INT, tile_data BLOB)"
    )
    connection.executemany(
        "INSERT INTO metadata VALUES (?, ?)", [("format", fmt), ("attribution", "試験タイル")]
    )
    connection.execute("INSERT INTO tiles VALUES (2, 1, 0, ?)", (blob,))
    connection.commit()
    connection.close()
    return path


def test_mbtiles_become_a_local_tile_folder(tmp_path: Path) -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40
    target = tmp_path / "static" / "tiles" / "basemap"
    info = export_mbtiles(_mbtiles(tmp_path / "a.mbtiles", "png", png), target)
    assert (info.tiles, info.minzoom, info.maxzoom, info.credit) == (1, 2, 2, "試験タイル")
    assert (target / "2" / "1" / "3.png").read_bytes() == png  # TMS row 0 is XYZ y 3
    assert json.loads((target / "tiles.json").read_text(encoding="utf-8"))["format"] == "png"
    with pytest.raises(ImportRejected, match="対応していません"):
        export_mbtiles(_mbtiles(tmp_path / "v.mbtiles", "pbf", b"\x1a\x00"), target)
    with pytest.raises(ImportRejected, match="画像ではない"):
        export_mbtiles(_mbtiles(tmp_path / "b.mbtiles", "png", b"<svg/>"), target)
    assert (target / "2" / "1" / "3.png").exists()  # a refused file leaves the old set


def test_command_line_imports_a_background_layer(engine: Engine, tmp_path: Path) -> None:
    from lsmap.cli.main import main

    url = engine.url.render_as_string(hide_password=False)
    path = _roads_gpkg(tmp_path / "roads.gpkg", shapely.Point(139.40, 35.45))
    top = ["--database-url", url, "import", "basemap", str(path)]
    assert main([*top, "--kind", "roads", "--dry-run"]) == 0
    with Session(db.get_engine(url)) as session:
        assert session.scalar(select(func.count()).select_from(BasemapFeature)) == 0
    assert main([*top, "--kind", "道路", "--credit", "出典X"]) == 0
    with Session(db.get_engine(url)) as session:
        credits = set(session.scalars(select(BasemapFeature.credit)))
    assert credits == {"出典X"}
    assert main(top) == 2  # no --kind


def test_file_names_suggest_the_kind() -> None:
    from lsmap.io.importing.basemap import guess_kind

    assert guess_kind("gis_osm_roads_free_1.zip") == "roads"
    assert guess_kind("FG-GML-533945-RdEdg.gpkg") == "roads"
    assert guess_kind("gis_osm_water_a_free_1.zip") == "rivers"
    assert guess_kind("建築物.gpkg") == "buildings"
    assert guess_kind("parks.zip") == "parks" and guess_kind("rail.geojson") == "railways"
    assert guess_kind("layer.gpkg") == "roads"


def test_import_page_lists_layers_and_removes_one_after_confirmation(
    writable_sample_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from helpers import open_page

    url = writable_sample_engine.url.render_as_string(hide_password=False)
    with Session(writable_sample_engine) as session:
        admin = actor_for(session, "admin")
        staff = actor_for(session, "staff_east")
    at = open_page("import", admin, url, monkeypatch)
    at.radio(key="imp_kind").set_value("basemap").run()
    assert any(e.label.startswith("道路：sample（") for e in at.expander)
    button = next(b for b in at.button if b.key == "bm_rm_btn_roads_sample")
    assert button.disabled  # nothing is removed without the confirmation
    at.checkbox(key="bm_rm_roads_sample").check().run()
    at.button(key="bm_rm_btn_roads_sample").click().run()
    assert any("地図から外しました" in s.value for s in at.success)
    assert not any(e.label.startswith("道路：sample") for e in at.expander)
    with Session(writable_sample_engine) as session:
        live = session.scalar(
            select(func.count())
            .select_from(BasemapFeature)
            .where(BasemapFeature.kind == "roads", BasemapFeature.deleted_at.is_(None))
        )
        assert live == 0
    refused = open_page("import", staff, url, monkeypatch)
    assert [e.value for e in refused.error] == ["データの取り込みは管理者だけができます。"]


def test_names_and_credits_from_a_file_are_escaped(writable_sample_engine: Engine) -> None:
    from helpers import XSS

    from lsmap.escape import html_text
    from lsmap.io.importing.basemap import feature_row, write_features

    with Session(writable_sample_engine) as session:
        at = _centre(session, HONCHO)
        park = shapely.Point(at.x, at.y).buffer(0.0003)
        write_features(
            session, [feature_row("parks", "", XSS, park, "evil.gpkg", XSS + "出典", "t")]
        )
        meeting = actor_for(session, "meeting_east")
        html = build_map(session, meeting, district_id(session, HONCHO), meeting_mode=True)
        rendered = html.map.get_root().render()
        assert XSS not in rendered and "<img" not in rendered
        assert html_text(XSS) in [label[0] for label in sent_labels(rendered)]
        pdf = map_pdf(session, meeting, district_id(session, HONCHO), PaperOptions())
        assert XSS + "出典" in _pdf_text(pdf).replace("\n", "")  # printed as text
        session.rollback()
