"""Imports as an attack surface (issue 10): uploads that try to read the server's files or
network through GDAL, to exhaust memory and CPU, or to slip in an undeclared encoding."""

from __future__ import annotations

import io
import json
import sqlite3
import zipfile
from pathlib import Path

import geopandas as gpd
import pytest
from helpers import open_page
from openpyxl import Workbook
from shapely.geometry import box, mapping
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from lsmap.access import Actor
from lsmap.io.importing.apply import import_list_file
from lsmap.io.importing.columns import template_headers
from lsmap.io.importing.districts import import_districts
from lsmap.io.importing.problems import ImportRejected
from lsmap.io.importing.upload import read_list_upload
from lsmap.storage.models import AuditEntry, District, Household, Resident, Resource, Watcher

ADMIN = Actor(
    user_id=0, username="test-admin", display_name="", role="admin", district_ids=frozenset()
)
HEADERS = template_headers("households")
#: An OGR VRT that exposes /etc/passwd as a layer of points: what was uploaded as .geojson.
PASSWD_VRT = """<OGRVRTDataSource>
  <OGRVRTLayer name="passwd">
    <SrcDataSource>CSV:/etc/passwd</SrcDataSource>
    <SrcSQL dialect="OGRSQL">SELECT *, 139.05 AS x, 35.05 AS y FROM passwd</SrcSQL>
    <GeometryType>wkbPoint</GeometryType>
    <LayerSRS>EPSG:6668</LayerSRS>
    <GeometryField encoding="PointFromColumns" x="x" y="y"/>
  </OGRVRTLayer>
</OGRVRTDataSource>
"""
PASSWD_WORDS = ("root:", "daemon", "nologin", "/bin/")


def _counts(engine: Engine) -> dict[str, int]:
    with Session(engine) as session:
        return {
            m.__tablename__: session.scalar(select(func.count()).select_from(m)) or 0
            for m in (District, Household, Resident, Watcher, Resource, AuditEntry)
        }


def _text(error: ImportRejected) -> str:
    return error.message + " ".join(p.message for p in error.problems)


def _japanese(text: str) -> bool:
    return any("\u3040" <= c <= "\u30ff" or "\u4e00" <= c <= "\u9fff" for c in text)


def _squares(count: int, **document: object) -> bytes:
    """A GeoJSON FeatureCollection of ``count`` small squares inside テスト市 (139.0 E, 35.0 N)."""
    features = [
        {
            "type": "Feature",
            "properties": {"name": f"区域{i}", "code": f"A{i}"},
            "geometry": mapping(box(139.0 + i * 0.001, 35.0, 139.0005 + i * 0.001, 35.0005)),
        }
        for i in range(count)
    ]
    return json.dumps(
        {"type": "FeatureCollection", "features": features, **document}, ensure_ascii=False
    ).encode()


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for name, data in members.items():
            out.writestr(name, data)
    return path


def _refused(engine: Engine, path: Path, *words: str) -> str:
    """Import ``path`` as districts (dry run): it must be refused, in Japanese, with ``words``,
    reveal nothing of /etc/passwd, and leave the database as it was."""
    before = _counts(engine)
    with pytest.raises(ImportRejected) as caught:
        import_districts(
            engine, path, "district", name_field="name", code_field="code", dry_run=True
        )
    text = _text(caught.value)
    assert _japanese(caught.value.message), text
    assert all(word in text for word in words), (path.name, text)
    assert not any(word in text for word in PASSWD_WORDS), text
    assert _counts(engine) == before
    return text


# ---------------------------------------------------------------- item 7: GDAL as a file reader


def test_vrt_named_geojson_is_refused_and_reveals_nothing(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "boundaries.geojson"
    path.write_text(PASSWD_VRT, encoding="utf-8")
    before = _counts(engine)
    with pytest.raises(ImportRejected) as caught:  # with a CRS given, as the page lets one type it
        import_districts(engine, path, "district", source_crs="EPSG:6668", dry_run=True)
    text = _text(caught.value)
    assert _japanese(caught.value.message) and "読みません" in text, text
    assert not any(word in text for word in PASSWD_WORDS), text
    assert _counts(engine) == before


def _page_text(at) -> str:  # type: ignore[no-untyped-def]
    """Everything an AppTest page shows as text: messages, captions, options and tables."""
    parts: list[str] = []
    for kind in ("error", "warning", "info", "success", "caption", "markdown", "text"):
        parts.extend(str(element.value) for element in getattr(at, kind))
    for box_ in at.selectbox:
        parts.extend(str(option) for option in box_.options)
    for frame in at.dataframe:
        parts.extend(str(cell) for row in frame.value.to_numpy().tolist() for cell in row)
    return "\n".join(parts)


def test_vrt_upload_on_the_import_page_shows_no_server_file(
    writable_sample_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The reported attack: the VRT uploaded as .geojson, then 試行する (dry run)."""
    engine = writable_sample_engine
    before = _counts(engine)
    at = open_page(
        "import", _admin(engine), engine.url.render_as_string(hide_password=False), monkeypatch
    )
    at.radio(key="imp_kind").set_value("districts").run()
    at.file_uploader(key="imp_file_districts").set_value(
        ("boundaries.geojson", PASSWD_VRT.encode(), "application/geo+json")
    ).run()
    if any(t.key == "imp_crs" for t in at.text_input):  # the page asked for a CRS: give one
        at.text_input(key="imp_crs").input("EPSG:6668").run()
    check = [b for b in at.button if b.key == "imp_check_button"]
    if check:  # the page offered a dry run: run it, as the attacker did
        check[0].click().run()
    assert not at.exception, at.exception
    shown = _page_text(at)
    assert not any(word in shown for word in PASSWD_WORDS), shown
    assert (
        at.error
        and "読みません" in at.error[0].value
        and "データベースは変わっていません" in at.error[0].value
    )
    assert _counts(engine) == before


def _admin(engine: Engine) -> Actor:
    from conftest import actor_for

    with Session(engine) as session:
        return actor_for(session, "admin")


def test_virtual_file_references_in_geojson_or_zip_are_refused(
    engine: Engine, tmp_path: Path
) -> None:
    curl = "/vsicurl/http://127.0.0.1:9/crs.prj"
    linked = _squares(2, crs={"type": "link", "properties": {"href": curl, "type": "ogcwkt"}})
    (tmp_path / "linked.geojson").write_bytes(linked)
    _refused(engine, tmp_path / "linked.geojson", "/vsicurl/")
    named = _squares(2, crs={"type": "name", "properties": {"name": "vrt:///etc/passwd"}})
    (tmp_path / "named.geojson").write_bytes(named)
    _refused(engine, tmp_path / "named.geojson", "vrt://")
    _refused(engine, _zip(tmp_path / "linked.zip", {"areas.geojson": linked}), "/vsicurl/")
    _refused(engine, _zip(tmp_path / "vrt.zip", {"areas.vrt": PASSWD_VRT.encode()}), "VRT")
    disguised = {
        "areas.shp": PASSWD_VRT.encode(),
        "areas.shx": b"\x00" * 100,
        "areas.dbf": b"\x03" + b"\x00" * 40,
    }
    _refused(engine, _zip(tmp_path / "disguised.zip", disguised), "読みません")
    (tmp_path / "fake.gpkg").write_text(PASSWD_VRT, encoding="utf-8")
    _refused(engine, tmp_path / "fake.gpkg", "読みません")


def test_geopackage_with_a_virtual_table_is_refused(engine: Engine, tmp_path: Path) -> None:
    package = tmp_path / "areas.gpkg"
    gpd.GeoDataFrame(
        {"name": ["区域"], "code": ["A"]}, geometry=[box(139.0, 35.0, 139.01, 35.01)], crs=4326
    ).to_file(package, driver="GPKG")
    connection = sqlite3.connect(package)
    connection.execute("PRAGMA writable_schema = ON")
    connection.execute(
        "INSERT INTO sqlite_master (type, name, tbl_name, rootpage, sql) VALUES "
        "('table', 'secrets', 'secrets', 0, 'CREATE VIRTUAL TABLE secrets USING VirtualOGR(''/etc/passwd'')')"
    )
    connection.commit()
    connection.close()
    _refused(engine, package, "仮想テーブル")


def test_zip_members_that_escape_nest_or_link_are_refused(engine: Engine, tmp_path: Path) -> None:
    good = _squares(2)
    _refused(
        engine,
        _zip(tmp_path / "up.zip", {"../areas.geojson": good}),
        "../areas.geojson",
        "展開先の外",
    )
    absolute = "/tmp/areas.geojson"  # noqa: S108 - a member name inside the zip, never written
    _refused(engine, _zip(tmp_path / "abs.zip", {absolute: good}), "展開先の外")
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as out:
        out.writestr("areas.geojson", good)
    _refused(engine, _zip(tmp_path / "nested.zip", {"inner.zip": inner.getvalue()}), "圧縮ファイル")
    link = zipfile.ZipInfo("areas.geojson")
    link.external_attr = 0o120777 << 16  # a symbolic link to /etc/passwd
    with zipfile.ZipFile(tmp_path / "link.zip", "w") as out:
        out.writestr(link, "/etc/passwd")
    _refused(engine, tmp_path / "link.zip", "リンク")


def test_real_files_still_import_through_the_guarded_reader(engine: Engine, tmp_path: Path) -> None:
    """A zip made on a Mac (with __MACOSX clutter and a read-me) and a GeoPackage still import."""
    document = _squares(
        3, crs={"type": "name", "properties": {"name": "urn:ogc:def:crs:OGC:1.3:CRS84"}}
    )
    archive = _zip(
        tmp_path / "areas.zip",
        {
            "areas/areas.geojson": document,
            "__MACOSX/areas/._areas.geojson": b"\x00\x05",
            "areas/README.txt": "説明".encode(),
        },
    )
    result = import_districts(engine, archive, "district", name_field="name", code_field="code")
    assert result.created == 3
    package = tmp_path / "more.gpkg"
    gpd.read_file(io.BytesIO(_squares(2))).assign(code=["B0", "B1"]).to_file(package, driver="GPKG")
    assert (
        import_districts(engine, package, "district", name_field="name", code_field="code").created
        == 2
    )


# ---------------------------------------------------------------- item 8: resource exhaustion


def _household(index: int) -> list[str]:
    values = {
        "番号": f"H{index}",
        "氏名": f"山田{index}",
        "住所": f"テスト市本町{index}",
        "緯度": "35.05",
        "経度": "139.02",
    }
    return [values.get(h, "") for h in HEADERS]


def _csv_bytes(rows: int) -> bytes:
    lines = [",".join(HEADERS)] + [",".join(_household(i)) for i in range(rows)]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def _xlsx_bytes(rows: int) -> bytes:
    workbook = Workbook()
    workbook.active.append(HEADERS)
    for index in range(rows):
        workbook.active.append(_household(index))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _declaring(data: bytes, dimension: str) -> bytes:
    """The .xlsx ``data`` with its first sheet's <dimension> rewritten to ``dimension``."""
    source, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                start = content.index(b'<dimension ref="') + len(b'<dimension ref="')
                content = (
                    content[:start] + dimension.encode() + content[content.index(b'"', start) :]
                )
            target.writestr(info.filename, content)
    return out.getvalue()


def test_lists_with_more_rows_than_the_cap_are_refused(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LSMAP_IMPORT_MAX_ROWS", "20")
    assert len(read_list_upload(_csv_bytes(20), "ok.csv").rows) == 20  # at the cap: read
    cases = {
        "long.csv": _csv_bytes(25),
        "long.xlsx": _xlsx_bytes(25),
        "declares.xlsx": _declaring(_xlsx_bytes(2), "A1:O5000000"),  # 5 M rows declared, 2 held
    }
    for name, data in cases.items():
        with pytest.raises(ImportRejected) as caught:
            read_list_upload(data, name)
        assert "行が多すぎます" in caught.value.message and "20 行" in caught.value.message, (
            name,
            caught.value.message,
        )
    assert "5,000,000 行" in _message(
        lambda: read_list_upload(cases["declares.xlsx"], "declares.xlsx")
    )
    path = tmp_path / "long.csv"  # the command line's path: refused, nothing written
    path.write_bytes(cases["long.csv"])
    before = _counts(engine)
    assert "行が多すぎます" in _message(lambda: import_list_file(engine, ADMIN, "households", path))
    assert _counts(engine) == before


def _message(call) -> str:  # type: ignore[no-untyped-def]
    with pytest.raises(ImportRejected) as caught:
        call()
    return caught.value.message


def _bomb(name: str, megabytes: int) -> bytes:
    """A zip whose member expands ~1000:1, with its compressed stream damaged after the first
    kilobytes: extracting (or streaming) it would fail, so only a check of the declared
    sizes can give the zip-bomb message."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, b" " * (megabytes * 1024 * 1024))
    data = bytearray(out.getvalue())
    start = 30 + len(name.encode()) + 2000
    data[start : start + 64] = b"\xff" * 64
    return bytes(data)


def test_zip_bombs_are_refused_before_extraction(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "bomb.zip").write_bytes(_bomb("areas.geojson", 50))
    _refused(engine, tmp_path / "bomb.zip", "圧縮率", "zip 爆弾")
    assert "圧縮率" in _message(
        lambda: read_list_upload(_bomb("xl/worksheets/sheet1.xml", 50), "bomb.xlsx")
    )
    monkeypatch.setenv("LSMAP_IMPORT_MAX_UNCOMPRESSED_MB", "1")
    plain = _zip(tmp_path / "plain.zip", {"areas.geojson": _squares(3) + b" " * 1_200_000})
    _refused(engine, plain, "展開すると", "上限 1 MB")


def _shapefile_zip(tmp_path: Path, count: int, *, damage_geometries: bool) -> Path:
    """A zipped Shapefile of ``count`` squares; optionally with every geometry record damaged
    (header and index intact), so reading any geometry fails."""
    folder = tmp_path / f"shp{count}"
    folder.mkdir()
    frame = gpd.read_file(io.BytesIO(_squares(count)))
    frame.to_file(folder / "areas.shp", driver="ESRI Shapefile", encoding="utf-8")
    shp = bytearray((folder / "areas.shp").read_bytes())
    if damage_geometries:
        shp[100:] = b"\xff" * (len(shp) - 100)
    members = {f"areas{p.suffix}": p.read_bytes() for p in folder.iterdir()}
    members["areas.shp"] = bytes(shp)
    return _zip(tmp_path / f"areas{count}.zip", members)


def test_more_features_than_the_cap_are_refused_before_geometries_are_read(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LSMAP_IMPORT_MAX_FEATURES", "5")
    (tmp_path / "six.geojson").write_bytes(_squares(6))
    _refused(engine, tmp_path / "six.geojson", "図形が多すぎます", "6 件", "上限 5 件")
    _refused(
        engine, _shapefile_zip(tmp_path, 6, damage_geometries=True), "図形が多すぎます", "6 件"
    )
    at_cap = import_districts(
        engine,
        _shapefile_zip(tmp_path, 5, damage_geometries=False),
        "district",
        name_field="name",
        code_field="code",
    )
    assert at_cap.created == 5


def test_a_parse_that_needs_more_memory_than_allowed_is_stopped(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = _csv_bytes(40_000)
    assert 2_000_000 < len(data) < 20 * 1024 * 1024
    monkeypatch.setenv("LSMAP_IMPORT_MEMORY_MB", "16")
    message = _message(lambda: read_list_upload(data, "big.csv"))
    assert "メモリ" in message and "16 MB" in message, message
    monkeypatch.setenv("LSMAP_IMPORT_MEMORY_MB", "1024")
    assert len(read_list_upload(data, "big.csv").rows) == 40_000


def test_a_parse_that_takes_too_long_is_stopped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LSMAP_IMPORT_TIMEOUT_S", "0.05")
    message = _message(lambda: read_list_upload(_csv_bytes(10), "slow.csv"))
    assert "時間がかかりすぎる" in message and "0.05 秒" in message, message


def test_the_parse_child_gets_no_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    from lsmap.io.importing.sandbox import child_environment

    monkeypatch.setenv("LSMAP_DATABASE_URL", "postgresql://user:secret@db/lsmap")
    monkeypatch.setenv("LSMAP_BACKUP_PASSPHRASE", "secret")
    env = child_environment("boundaries")
    assert "secret" not in " ".join(env.values())
    skipped = env["GDAL_SKIP"].split(",")
    assert {"VRT", "OGR_VRT", "CSV", "SQLite"} <= set(skipped) and "GeoJSON" not in skipped


# ---------------------------------------------------------------- item 8: parse once per upload


class _Counter:
    def __init__(self, function) -> None:  # type: ignore[no-untyped-def]
        self.function, self.calls = function, 0

    def __call__(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        self.calls += 1
        return self.function(*args, **kwargs)


def test_the_import_page_parses_an_upload_once(
    writable_sample_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    import lsmap.io.importing.sandbox as sandbox
    import lsmap.ui.pages.import_page as page

    engine = writable_sample_engine
    with Session(engine) as session:
        point = session.scalars(select(District)).first().geom.representative_point()
    page_reads, child_runs = _Counter(page.read_list_upload), _Counter(sandbox.run)
    monkeypatch.setattr(page, "read_list_upload", page_reads)
    monkeypatch.setattr(sandbox, "run", child_runs)
    data = (
        f"名称,住所,緯度,経度\r\nひとつサロン,さくら台1-1,{point.y:.6f},{point.x:.6f}\r\n".encode(
            "cp932"
        )
    )
    at = open_page(
        "import", _admin(engine), engine.url.render_as_string(hide_password=False), monkeypatch
    )
    at.radio(key="imp_kind").set_value("resources").run()
    at.file_uploader(key="imp_file_resources").set_value(("salons.csv", data, "text/csv")).run()
    at.selectbox(key="imp_resource_kind").set_value("salon").run()
    address = next(k for k in (w.key for w in at.selectbox) if k and k.endswith("_address"))
    at.selectbox(key=address).set_value("（使わない）").run()
    at.selectbox(key=address).set_value("住所").run()
    at.button(key="imp_check_button").click().run()
    at.button(key="imp_run_button").click().run()
    assert not at.exception, at.exception
    assert any("取り込みました: 資源 1 件" in s.value for s in at.success), [
        s.value for s in at.success
    ]
    assert (page_reads.calls, child_runs.calls) == (1, 1)


def test_the_import_page_reads_boundaries_once(
    writable_sample_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    import lsmap.io.importing.sandbox as sandbox

    engine = writable_sample_engine
    child_runs = _Counter(sandbox.run)
    monkeypatch.setattr(sandbox, "run", child_runs)
    at = open_page(
        "import", _admin(engine), engine.url.render_as_string(hide_password=False), monkeypatch
    )
    at.radio(key="imp_kind").set_value("districts").run()
    at.file_uploader(key="imp_file_districts").set_value(
        ("areas.geojson", _squares(2), "application/geo+json")
    ).run()
    at.text_input(key="imp_crs").input("EPSG:4326").run()
    at.button(key="imp_check_button").click().run()
    at.button(key="imp_run_button").click().run()
    assert not at.exception, at.exception
    assert any("新規 2 区域" in s.value for s in at.success), [s.value for s in at.success]
    assert child_runs.calls == 1


# ---------------------------------------------------------------- item 9: undeclared encodings


def test_iso_2022_jp_utf16_and_euc_jp_lists_are_refused_naming_the_encoding() -> None:
    text = "\r\n".join([",".join(HEADERS), ",".join(_household(1))]) + "\r\n"
    cases = {
        "ISO-2022-JP": text.encode("iso2022_jp"),
        "UTF-16": text.encode("utf-16"),
        "UTF-16 ": text.encode("utf-16-le"),  # no BOM
        "EUC-JP": text.encode("euc_jp"),
    }
    for name, data in cases.items():
        message = _message(lambda data=data: read_list_upload(data, "list.csv"))
        assert name.strip() in message and "文字コード" in message, (name, message)
        assert "UTF-8" in message and "Shift_JIS" in message, message


def test_the_supported_encodings_still_read() -> None:
    text = "\r\n".join([",".join(HEADERS), ",".join(_household(1)), "ﾔﾏﾀﾞ,ﾎﾝﾁｮｳ"]) + "\r\n"
    for encoding, expected in (("utf-8", "utf-8"), ("utf-8-sig", "utf-8-sig"), ("cp932", "cp932")):
        table = read_list_upload(text.encode(encoding), "list.csv")
        assert (
            table.encoding == expected and table.rows[0][1] == "山田1" and table.rows[1][0] == "ﾔﾏﾀﾞ"
        )
