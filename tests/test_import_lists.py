"""List imports: real open-data files, households with residents, and a corpus of bad input."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import CliResult
from openpyxl import Workbook
from shapely.geometry import box, mapping
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from lsmap.access import Actor
from lsmap.io.importing.apply import import_list_file
from lsmap.io.importing.columns import auto_mapping, template_headers
from lsmap.io.importing.districts import import_districts
from lsmap.io.importing.normalise import header_key
from lsmap.io.importing.problems import ImportRejected
from lsmap.storage.models import AuditEntry, Household, ImportMapping, Resident, Resource, Watcher

ADMIN = Actor(
    user_id=0, username="test-admin", display_name="", role="admin", district_ids=frozenset()
)
HEADERS = template_headers("households")


def _counts(engine: Engine) -> dict[str, int]:
    with Session(engine) as session:
        return {
            m.__tablename__: session.scalar(select(func.count()).select_from(m)) or 0
            for m in (Household, Resident, Watcher, Resource, AuditEntry, ImportMapping)
        }


@pytest.fixture
def town(engine: Engine, tmp_path: Path) -> Engine:
    """An empty database with テスト市 (139.0–139.1 E, 35.0–35.1 N) and two 町丁目."""
    features = [
        ("T", "テスト市", "municipality", box(139.0, 35.0, 139.1, 35.1)),
        ("T-1", "本町一丁目", "neighbourhood", box(139.0, 35.0, 139.05, 35.1)),
        ("T-2", "本町2丁目", "neighbourhood", box(139.05, 35.0, 139.1, 35.1)),
    ]
    document = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"code": c, "name": n, "level": lv},
                "geometry": mapping(g),
            }
            for c, n, lv, g in features
        ],
    }
    path = tmp_path / "town.geojson"
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    import_districts(engine, path, None, name_field="name", code_field="code")
    return engine


def _csv(
    path: Path, rows: list[list[str]], headers: list[str] = HEADERS, encoding: str = "utf-8-sig"
) -> Path:
    lines = [",".join(headers)] + [",".join(row) for row in rows]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    return path


def _household(
    ref: str = "H1",
    name: str = "山田花子",
    *,
    lat: str = "35.05",
    lon: str = "139.02",
    address: str = "テスト市本町一丁目1-1",
    town: str = "",
    phone: str = "046-200-0001",
) -> list[str]:
    values = {
        "番号": ref,
        "氏名": name,
        "ふりがな": "やまだはなこ",
        "生年": "1940",
        "電話": phone,
        "世帯の状況": "一人暮らし高齢者",
        "住所": address,
        "町丁目": town,
        "緯度": lat,
        "経度": lon,
        "おおよその位置": "",
        "気になるところ（分類）": "持病、転倒歴",
        "気になるところ": "夏場の体調",
        "同意": "同意",
        "備考": "",
    }
    return [values[h] for h in HEADERS]


# ---------------------------------------------------------------- real open data


def test_yaizu_facility_files_import_with_their_encodings_and_duplicates(
    engine: Engine, realdata: Path
) -> None:
    facilities = realdata / "yaizu" / "facilities"
    import_districts(engine, realdata / "yaizu" / "districts" / "自治会区域.shp", "neighbourhood")
    expected = {  # file: (kind, encoding, rows read, rows imported)
        "222127_aed.csv": ("other", "utf-8", 82, 78),
        "222127_community_center.csv": ("salon", "utf-8-sig", 9, 9),
        "222127_facilities_welfare.csv": ("facility", "utf-8-sig", 2, 2),
        "222127_preschool.csv": ("other", "utf-8", 60, 50),
        "yohairyosya.csv": ("facility", "cp932", 277, 276),
    }
    imported = 0
    for name, (kind, encoding, total, rows) in expected.items():
        result = import_list_file(engine, ADMIN, "resources", facilities / name, default_kind=kind)
        plan = result.plan
        assert (plan.encoding, plan.total_rows, len(plan.rows)) == (encoding, total, rows), name
        assert {"name", "address", "lat", "lon"} <= set(plan.mapping.values()), name
        assert all(
            r.district_id is not None
            for r in plan.rows
            if r.location.within(box(138.2, 34.8, 138.35, 34.9))
        )
        imported += result.created["resources"]
        if name == "222127_aed.csv":  # the same facility listed once per AED
            duplicates = [(p.row, p.column) for p in plan.problems if "重複" in p.message]
            assert duplicates == [(2, "名称"), (6, "名称"), (32, "名称"), (33, "名称")]
        if name == "222127_preschool.csv":  # ten kindergartens already came in as AED sites
            known = [p.row for p in plan.problems if "登録済みのデータ" in p.message]
            assert len(known) == 10 and all(p.severity == "warning" for p in plan.problems)
        if name == "yohairyosya.csv":  # Shift_JIS; three phone cells carry notes
            assert plan.mapping["要配慮者利用施設名称"] == "name"
            assert sum("最初の番号" in p.message for p in plan.problems) == 3
    assert _counts(engine)["resources"] == imported == 415
    # the 子育て施設 header uses U+2015 「―」 for 「ー」 and still reads as the standard header
    preschool_header = (facilities / "222127_preschool.csv").read_text("utf-8").split(",")[0]
    assert "―" in preschool_header and header_key(preschool_header) == header_key(
        "都道府県コード又は市区町村コード"
    )


def test_takamatsu_english_headers_without_any_district(engine: Engine, realdata: Path) -> None:
    result = import_list_file(
        engine,
        ADMIN,
        "resources",
        realdata / "takamatsu" / "elderly_welfare_facility.csv",
        default_kind="facility",
    )
    assert result.plan.mapping == {
        "latitude": "lat",
        "longitude": "lon",
        "name": "name",
        "address": "address",
        "telephoneNumber": "phone",
    }
    assert result.created["resources"] == len(result.plan.rows) > 40
    with Session(engine) as session:
        assert (
            session.scalar(
                select(func.count()).select_from(Resource).where(Resource.kind == "facility")
            )
            == result.created["resources"]
        )


def test_open_data_header_sets_map_without_a_mapping_step() -> None:
    current = [
        "ID",
        "地方公共団体コード",
        "名称",
        "名称_カナ",
        "所在地_連結表記",
        "緯度",
        "経度",
        "電話番号",
    ]
    assert auto_mapping("resources", current) == {
        "ID": "ref",
        "名称": "name",
        "所在地_連結表記": "address",
        "緯度": "lat",
        "経度": "lon",
        "電話番号": "phone",
    }
    older = [
        "都道府県コード又は市区町村コード",
        "NO",
        "都道府県名",
        "市区町村名",
        "名称",
        "名称_カナ",
        "住所",
        "方書",
        "緯度",
        "経度",
        "電話番号",
    ]
    assert set(auto_mapping("resources", older).values()) == {
        "name",
        "address",
        "lat",
        "lon",
        "phone",
    }
    assert auto_mapping("households", ["氏名", "住所", "緯度", "経度", "電話"]) == {
        "氏名": "name",
        "住所": "address",
        "緯度": "lat",
        "経度": "lon",
        "電話": "phone",
    }


# ---------------------------------------------------------------- households and residents


def test_template_file_imports_households_with_residents(town: Engine, tmp_path: Path) -> None:
    rows = [
        _household("H1", "山田花子"),
        _household("H1", "山田太郎"),
        _household(
            "H2", "佐藤一郎", lat="", lon="", town="本町2丁目", address="テスト市本町2丁目5"
        ),
        _household("H3", "鈴木次郎", lat="", lon="", address="テスト市本町２－７－１"),
        _household(
            "H4",
            "田中　三郎",
            lat="３５．０１",
            lon="１３９．０８",
            phone="０４６－２００－０００９",
        ),
    ]
    path = _csv(tmp_path / "households.csv", rows)
    dry = import_list_file(town, ADMIN, "households", path, dry_run=True)
    assert dry.plan.mapping_source == "auto" and not dry.plan.ignored_columns
    assert len(dry.plan.mapping) == len(HEADERS)
    assert _counts(town)["households"] == 0

    result = import_list_file(town, ADMIN, "households", path)
    assert result.created == {"households": 4, "residents": 5}
    approximate = [p for p in result.plan.problems if "代表点" in p.message]
    assert [(p.row, p.column) for p in approximate] == [(3, "町丁目"), (4, "住所")]
    with Session(town) as session:
        by_ref = {h.ref: h for h in session.scalars(select(Household))}
        assert [r.name for r in by_ref["H1"].residents] == ["山田花子", "山田太郎"]
        assert (
            by_ref["H1"].location_approximate is False
            and by_ref["H1"].district.name == "本町一丁目"
        )
        assert by_ref["H2"].location_approximate and by_ref["H2"].district.name == "本町2丁目"
        assert by_ref["H3"].location_approximate and by_ref["H3"].district.name == "本町2丁目"
        tanaka = by_ref["H4"].residents[0]
        assert (tanaka.name, tanaka.phone) == ("田中 三郎", "046-200-0009")
        assert by_ref["H4"].location.x == 139.08 and by_ref["H4"].location.y == 35.01
        first = by_ref["H1"].residents[0]
        assert (first.birth_year, first.concern_tags, first.consent_status) == (
            1940,
            ["持病", "転倒歴"],
            "consented",
        )
        assert by_ref["H1"].household_type == "elderly_alone"
        entry = session.scalars(select(AuditEntry).where(AuditEntry.entity == "household")).one()
        assert entry.action == "import" and sorted(entry.entity_ids) == sorted(
            h.id for h in by_ref.values()
        )
        assert "山田" not in json.dumps(entry.detail, ensure_ascii=False)

    again = import_list_file(town, ADMIN, "households", path)
    assert again.created == {"households": 0, "residents": 0}
    assert all(p.severity == "warning" for p in again.plan.problems if "登録済み" in p.message)
    assert _counts(town)["residents"] == 5


def test_shift_jis_and_xlsx_lists(town: Engine, tmp_path: Path) -> None:
    sjis = _csv(tmp_path / "sjis.csv", [_household("S1", "髙橋ゆき")], encoding="cp932")
    result = import_list_file(town, ADMIN, "households", sjis)
    assert result.plan.encoding == "cp932" and result.created["residents"] == 1

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["氏名", "役割", "電話", "緯度", "経度"])
    sheet.append(["見守 一郎", "民生委員・児童委員", "046-200-1111", 35.02, 139.03])
    sheet.append(["見守 二郎", "近隣住民", "", 35.03, 139.07])
    buffer = io.BytesIO()
    workbook.save(buffer)
    (tmp_path / "watchers.xlsx").write_bytes(buffer.getvalue())
    watchers = import_list_file(town, ADMIN, "watchers", tmp_path / "watchers.xlsx")
    assert watchers.plan.encoding == "xlsx" and watchers.created == {"watchers": 2}
    with Session(town) as session:
        roles = dict(session.execute(select(Watcher.name, Watcher.role)).all())
    assert roles == {"見守 一郎": "commissioner", "見守 二郎": "neighbour"}


def test_column_mapping_is_remembered_for_the_same_layout(town: Engine, tmp_path: Path) -> None:
    headers = ["利用者名", "ところ", "緯度", "経度"]
    path = _csv(
        tmp_path / "own.csv", [["山田花子", "テスト市本町一丁目1", "35.05", "139.02"]], headers
    )
    with pytest.raises(ImportRejected, match="氏名"):
        import_list_file(town, ADMIN, "households", path)
    first = import_list_file(
        town, ADMIN, "households", path, overrides={"利用者名": "name", "ところ": "address"}
    )
    assert first.plan.mapping_source == "given"
    later = _csv(
        tmp_path / "own2.csv", [["佐藤一郎", "テスト市本町一丁目2", "35.06", "139.02"]], headers
    )
    second = import_list_file(town, ADMIN, "households", later, dry_run=True)
    assert second.plan.mapping_source == "remembered"
    assert second.plan.mapping == {
        "利用者名": "name",
        "ところ": "address",
        "緯度": "lat",
        "経度": "lon",
    }


# ---------------------------------------------------------------- the bad-input corpus


def _bad_corpus(tmp_path: Path) -> dict[str, tuple[Path, str, tuple[int | None, str] | None]]:
    """name -> (file, words the message must contain, (row, column) of the problem or None)."""
    good = ("\r\n".join([",".join(HEADERS), ",".join(_household())]) + "\r\n").encode("utf-8")
    cases: dict[str, tuple[Path, str, tuple[int | None, str] | None]] = {}

    def write(name: str, data: bytes) -> Path:
        (tmp_path / name).write_bytes(data)
        return tmp_path / name

    cases["empty file"] = (write("empty.csv", b""), "空", None)
    cases["only headers"] = (
        write("headers.csv", ",".join(HEADERS).encode("utf-8")),
        "データの行",
        None,
    )
    cases["truncated inside a quote"] = (
        write("cut.csv", good + '"H9,山田'.encode()),
        "途中で切れて",
        None,
    )
    cases["truncated xlsx"] = (write("cut.xlsx", _xlsx_bytes()[:300]), "壊れて", None)
    cases["wrong encoding (UTF-16)"] = (
        write("utf16.csv", good.decode("utf-8").encode("utf-16")),
        "文字コード",
        None,
    )
    cases["html saved as csv"] = (
        write("page.csv", b"<!DOCTYPE html><html><body>404</body></html>"),
        "HTML",
        None,
    )
    cases["swapped coordinates"] = (
        _csv(tmp_path / "swap.csv", [_household(lat="139.02", lon="35.05")]),
        "入れ替わって",
        (1, "緯度・経度"),
    )
    cases["outside japan"] = (
        _csv(tmp_path / "paris.csv", [_household(lat="48.85", lon="2.35")]),
        "日本の外",
        (1, "緯度・経度"),
    )
    cases["outside the municipality"] = (
        _csv(tmp_path / "osaka.csv", [_household(lat="34.69", lon="135.50")]),
        "市町村の区域の外",
        (1, "緯度・経度"),
    )
    cases["html in a name"] = (
        _csv(tmp_path / "xss.csv", [_household(name="<img src=x onerror=alert(1)>")]),
        "HTML",
        (1, "氏名"),
    )
    cases["formula in a name"] = (
        _csv(tmp_path / "formula.csv", [_household(name='=HYPERLINK("http://x")')]),
        "数式",
        (1, "氏名"),
    )
    cases["formula in an address"] = (
        _csv(tmp_path / "formula2.csv", [_household(address="@SUM(A1)")]),
        "数式",
        (1, "住所"),
    )
    cases["no place at all"] = (
        _csv(tmp_path / "nowhere.csv", [_household(lat="", lon="", address="どこか")]),
        "位置が分かりません",
        (1, "住所"),
    )
    cases["half a coordinate"] = (
        _csv(tmp_path / "half.csv", [_household(lon="")]),
        "片方",
        (1, "経度"),
    )
    cases["not a number"] = (
        _csv(tmp_path / "nan.csv", [_household(lat="北緯35度")]),
        "数値",
        (1, "緯度"),
    )
    cases["bad birth year"] = (
        _csv(tmp_path / "year.csv", [[*_household()[:3], "昭和十五年", *_household()[4:]]]),
        "生年",
        (1, "生年"),
    )
    cases["no name"] = (
        _csv(tmp_path / "noname.csv", [_household(name="")]),
        "名前が空",
        (1, "氏名"),
    )
    cases["one bad row among good ones"] = (
        _csv(
            tmp_path / "mixed.csv",
            [
                _household("A1", "良い人"),
                _household("A2", "良い人2"),
                _household("A3", "悪い人", lat="1.0"),
            ],
        ),
        "日本の外",
        (3, "緯度・経度"),
    )
    return cases


def _xlsx_bytes() -> bytes:
    workbook = Workbook()
    workbook.active.append(HEADERS)
    workbook.active.append(_household())
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def test_bad_inputs_are_rejected_with_a_clear_message_and_change_nothing(
    town: Engine, tmp_path: Path
) -> None:
    import_list_file(
        town, ADMIN, "households", _csv(tmp_path / "ok.csv", [_household("OK", "最初の人")])
    )
    before = _counts(town)
    for label, (path, words, where) in _bad_corpus(tmp_path).items():
        with pytest.raises(ImportRejected) as caught:
            import_list_file(town, ADMIN, "households", path)
        error = caught.value
        found = [p for p in error.problems if p.severity == "error"]
        text = error.message + " ".join(p.message for p in found)
        assert words in text, (label, text)
        if where is not None:
            assert (found[0].row, found[0].column) == where, (label, found)
        assert _counts(town) == before, label


def test_file_over_the_size_limit_is_refused(
    town: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LSMAP_IMPORT_MAX_MB", "0.01")
    rows = [_household(f"B{i}", f"人{i}") for i in range(200)]
    path = _csv(tmp_path / "big.csv", rows)
    assert path.stat().st_size > 10_486
    before = _counts(town)
    with pytest.raises(ImportRejected, match="大きすぎます"):
        import_list_file(town, ADMIN, "households", path)
    assert _counts(town) == before


def test_planner_and_meeting_cannot_import(town: Engine, tmp_path: Path) -> None:
    path = _csv(tmp_path / "ok.csv", [_household()])
    for role in ("planner", "meeting"):
        actor = Actor(
            user_id=0, username=role, display_name="", role=role, district_ids=frozenset()
        )
        with pytest.raises(ImportRejected, match="権限"):
            import_list_file(town, actor, "households", path)


def test_command_line_template_dry_run_and_import(
    town: Engine, tmp_path: Path, run_lsmap: Callable[..., CliResult]
) -> None:
    url = town.url.render_as_string(hide_password=False)

    def lsmap(*args: str) -> CliResult:
        return run_lsmap("--database-url", url, *args)

    template = tmp_path / "template.csv"
    made = lsmap("import", "households", "--template", "-o", str(template))
    assert made.returncode == 0 and template.read_bytes().startswith(b"\xef\xbb\xbf")
    assert template.read_text("utf-8-sig").strip().split(",") == HEADERS
    with template.open("a", encoding="utf-8", newline="") as out:
        out.write(",".join(_household("C1", "取込 花子")) + "\r\n")
        out.write(",".join(_household("C2", "取込 次郎", lat="139.02", lon="35.05")) + "\r\n")
    dry = lsmap("import", "households", str(template), "--dry-run")
    assert dry.returncode == 1
    assert (
        "3行目「緯度・経度」: 緯度と経度が入れ替わっているようです" in dry.stderr
    )  # spreadsheet row
    assert _counts(town)["households"] == 0
    lines = template.read_text("utf-8-sig").splitlines()
    template.write_text("\n".join(lines[:-1]) + "\n", encoding="utf-8-sig")
    done = lsmap("import", "households", str(template))
    assert done.returncode == 0, done.stderr
    assert "households 1" in done.stdout and _counts(town)["residents"] == 1
    unknown_kind = lsmap("import", "resources", str(template), "--kind", "castle")
    assert unknown_kind.returncode == 1 and "資源の種類" in unknown_kind.stderr
