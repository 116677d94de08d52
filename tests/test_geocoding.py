"""Offline geocoding and city-scale list imports (issue 17).

Normalisation variants, the generated 位置参照情報 fixture in its real format, match levels,
the match rate on 1,000 realistic addresses, partial imports with the rejected rows' file,
watch link and contact log imports, and who may see the 位置の確認 list.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from functools import cache
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from lsmap.access import AccessDenied, Actor
from lsmap.access.geocoding import location_checks, may_import_reference
from lsmap.addresses import normalise_address, normalise_name
from lsmap.io.geocoding.geocoder import Geocoder
from lsmap.io.geocoding.reference import import_reference, read_reference
from lsmap.io.importing.apply import import_list_file
from lsmap.io.importing.problems import ImportRejected
from lsmap.io.importing.readers import read_table
from lsmap.io.importing.rejected import rejected_file
from lsmap.records import update
from lsmap.storage.models import AuditEntry, ContactLog, Household, WatchLink
from sample_data.address_reference import (
    GAIKU_HEADER,
    OAZA_HEADER,
    address_variants,
    gaiku_csv,
    oaza_csv,
)
from sample_data.town import DEFAULT_SEED
from tests.conftest import actor_for

ADMIN = Actor(0, "test-admin", "", "admin", frozenset())


@cache
def _files() -> tuple[tuple[str, bytes], ...]:
    return (
        ("14_sakura_gaiku.csv", gaiku_csv(DEFAULT_SEED)),
        ("14_sakura_oaza.csv", oaza_csv(DEFAULT_SEED)),
    )


@pytest.fixture
def geocoded(writable_sample_engine: Engine) -> Engine:
    """The sample town with its address reference imported as an administrator would."""
    import_reference(writable_sample_engine, ADMIN, list(_files()))
    return writable_sample_engine


# ---------------------------------------------------------------- normalisation


@pytest.mark.parametrize(
    ("written", "canonical"),
    [
        ("さくら台市本町三丁目１２番地３", "さくら台市本町3丁目12-3"),
        ("本町3-12-3", "さくら台市本町3丁目12-3"),
        ("本町３丁目１２－３", "さくら台市本町3丁目12-3"),
        ("本町3丁目12ー3", "さくら台市本町3丁目12-3"),
        ("本町3丁目12‐3", "さくら台市本町3丁目12-3"),
        ("本町3丁目12−3", "さくら台市本町3丁目12-3"),
        ("本町三丁目十二番三号", "さくら台市本町3丁目12-3"),
        ("神奈川県さくら台市本町3丁目12番3号", "さくら台市本町3丁目12-3"),
        ("さくら台市　本町 3丁目 12-3", "さくら台市本町3丁目12-3"),
        ("大字新田字東1234番地の5", "さくら台市新田東1234-5"),
        ("新田千二百三十四番地", "さくら台市新田1234"),
        ("桜が丘2丁目5-7", "さくら台市桜ケ丘2丁目5-7"),
        ("櫻ヶ丘2丁目5-7", "さくら台市桜ケ丘2丁目5-7"),
        ("上の原1234", "さくら台市上ノ原1234"),
        ("横浜市中区山下町1", "横浜市中区山下町1"),
    ],
)
def test_address_variants_normalise_to_one_form(written: str, canonical: str) -> None:
    assert normalise_address(written, "さくら台市") == canonical


def test_room_numbers_stay_so_two_flats_are_two_addresses() -> None:
    one = normalise_address("本町3-12-3 さくらハイツ101")
    other = normalise_address("本町３丁目１２番３号　さくらハイツ１０２")
    assert one != other and one.startswith("本町3丁目12-3")


def test_names_normalise_spaces_width_old_forms_and_kana() -> None:
    assert normalise_name("髙橋　花子") == normalise_name("高橋 花子") == "高橋花子"
    assert normalise_name("山﨑太郎") == normalise_name("山崎　太郎")
    assert normalise_name("マリア・サントス") == normalise_name("まりあ さんとす")
    assert normalise_name("ＴＡＮＡＫＡ") == "tanaka"


# ---------------------------------------------------------------- the fixture in the real format


def test_fixture_is_cp932_quoted_with_the_real_columns() -> None:
    (_, gaiku), (_, oaza) = _files()
    text = gaiku.decode("cp932")
    first, second = text.splitlines()[:2]
    assert first.split(",")[0] == '"都道府県名"' and second.startswith('"神奈川県","さくら台市"')
    rows = list(csv.reader(io.StringIO(text)))
    assert tuple(rows[0]) == GAIKU_HEADER and {len(r) for r in rows} == {14}
    assert {r[10] for r in rows[1:]} == {"0", "1"}  # 住居表示 and 地番 areas
    assert any(r[12] == "1" for r in rows[1:])  # 旧町名 rows (更新前履歴フラグ)
    oaza_rows = list(csv.reader(io.StringIO(oaza.decode("cp932"))))
    assert tuple(oaza_rows[0]) == OAZA_HEADER and {len(r) for r in oaza_rows} == {10}


def test_fixture_round_trip_places_the_sample_households(geocoded: Engine) -> None:
    with Session(geocoded) as session:
        geocoder = Geocoder(session, ["さくら台市"])
        rows = session.execute(
            select(Household.address, Household.location_approximate, Household.district_id)
        ).all()
        from lsmap.io.importing.lists import Geography

        geography = Geography(session)
        levels = []
        for address, approximate, district in rows:
            found = geocoder.locate(address)
            levels.append(found.level)
            assert found.level == ("town" if approximate else "block"), address
            area = geography.containing(__import__("shapely").Point(found.lon, found.lat))
            assert geography.areas[area].id == district, address
    assert len(levels) > 350


def test_match_rate_on_1000_realistic_addresses(geocoded: Engine) -> None:
    variants = address_variants(DEFAULT_SEED, 1000)
    with Session(geocoded) as session:
        geocoder = Geocoder(session, ["さくら台市"])
        found = [(v, geocoder.locate(v.text)) for v in variants]
    block = sum(
        1
        for v, r in found
        if r.level == "block"
        and r.block == str(v.block)
        and (r.old_name or normalise_address(r.town).startswith(normalise_address(v.town)))
    )
    town = sum(1 for _, r in found if r.level in ("block", "town"))
    print(f"match rate: 街区 {block / 10:.1f} %, 町丁目以上 {town / 10:.1f} %")
    assert block >= 950
    assert town == 1000


def test_match_levels_and_former_names(geocoded: Engine) -> None:
    with Session(geocoded) as session:
        geocoder = Geocoder(session, ["さくら台市"])
        assert geocoder.locate("さくら台市本町一丁目12-3").level == "block"
        assert geocoder.locate("本町1-12").level == "block"
        assert geocoder.locate("本町一丁目99番").level == "town"
        assert geocoder.locate("さくら台市").level == "city"
        assert geocoder.locate("さくら台市どこでもない町1").level == "city"
        assert geocoder.locate("横浜市中区山下町1").level == "unknown"
        old = geocoder.locate("停車場通1234")
        new = geocoder.locate("駅前1234")
        assert old.level == "block" and old.old_name and (old.lon, old.lat) == (new.lon, new.lat)


def test_only_administrators_import_the_reference(engine: Engine) -> None:
    staff = Actor(1, "s", "", "staff", frozenset({1}))
    assert may_import_reference(ADMIN) and not may_import_reference(staff)
    with pytest.raises(ImportRejected, match="管理者"):
        import_reference(engine, staff, list(_files()))
    with pytest.raises(ImportRejected, match="形式ではありません"):
        import_reference(engine, ADMIN, [("x.csv", "名前,住所\r\nA,B\r\n".encode("cp932"))])


def test_reference_keeps_only_the_named_cities() -> None:
    plan = read_reference(list(_files()), {"横浜市"})
    assert not plan.rows and plan.other_cities["さくら台市"] > 40000


# ---------------------------------------------------------------- list imports


def _list(path: Path, rows: list[list[str]], headers: list[str] | None = None) -> Path:
    headers = headers or ["番号", "氏名", "住所", "世帯の状況"]
    text = "\r\n".join(",".join(r) for r in [headers, *rows]) + "\r\n"
    path.write_bytes(text.encode("cp932"))
    return path


def test_list_rows_are_placed_by_address_with_their_level(geocoded: Engine, tmp_path: Path) -> None:
    path = _list(
        tmp_path / "meibo.csv",
        [
            ["N1", "佐藤　一", "本町３丁目１２－３ さくらハイツ101", "一人暮らし高齢者"],
            ["N2", "鈴木　二", "さくら台市新田字東1234番地", "高齢者夫婦"],
            ["N3", "田中　三", "本町一丁目99番", "その他"],
        ],
    )
    result = import_list_file(geocoded, ADMIN, "households", path)
    assert [o.level for o in result.plan.outcomes] == ["block", "block", "town"]
    assert result.plan.level_counts() == {"街区": 2, "町丁目": 1}
    with Session(geocoded) as session:
        rows = session.execute(
            select(Household.ref, Household.location_level).where(Household.ref.like("N%"))
        )
        stored = {ref: level for ref, level in rows}
    assert stored == {"N1": "block", "N2": "block", "N3": "town"}


def test_city_level_and_unknown_rows_are_never_placed(geocoded: Engine, tmp_path: Path) -> None:
    path = _list(
        tmp_path / "bad.csv",
        [["C1", "市だけ", "さくら台市", "その他"], ["C2", "よそ", "横浜市中区山下町1", "その他"]],
    )
    with pytest.raises(ImportRejected) as caught:
        import_list_file(geocoded, ADMIN, "households", path)
    messages = [p.message for p in caught.value.problems if p.severity == "error"]
    assert "市町村（さくら台市）までしか一致せず" in messages[0]
    assert "位置が分かりません" in messages[1]


def test_partial_import_writes_good_rows_and_a_rejected_file_to_fix(
    geocoded: Engine, tmp_path: Path
) -> None:
    rows = [
        ["P1", "良い　一", "本町一丁目1-1", "その他"],
        ["P2", "悪い　二", "どこにもない", "その他"],
        ["P3", "良い　三", "本町一丁目2-2", "その他"],
        ["P3", "良い　三の家族", "本町一丁目2-2", "ひきこもり"],
        ["P3", "=悪い式", "本町一丁目2-2", "その他"],
    ]
    path = _list(tmp_path / "meibo.csv", rows)
    with Session(geocoded) as session:
        before = session.scalar(select(func.count()).select_from(Household))
    with pytest.raises(ImportRejected):
        import_list_file(geocoded, ADMIN, "households", path)  # the default: all or nothing
    result = import_list_file(geocoded, ADMIN, "households", path, partial=True)
    assert result.created == {"households": 1, "residents": 1}
    assert [r.row for r in result.rejected] == [2, 3, 4, 5]  # all of household P3 goes back
    table = read_table(path.read_bytes(), path.name)
    data, name, mime = rejected_file(table, result.rejected, path.name)
    assert name == "meibo_問題の行.csv" and mime == "text/csv"
    back = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert back[0] == ["番号", "氏名", "住所", "世帯の状況", "問題"]
    assert back[1][:3] == ["P2", "悪い　二", "どこにもない"] and "位置が分かりません" in back[1][4]
    assert back[4][1] == "'=悪い式" and "数式" in back[4][4]
    with Session(geocoded) as session:
        assert session.scalar(select(func.count()).select_from(Household)) == before + 1
        entry = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
        assert entry is not None and entry.detail["rejected"] == 4
    fixed = tmp_path / "fixed.csv"
    fixed.write_text(
        data.decode("utf-8-sig")
        .replace("どこにもない", "本町一丁目3-3")
        .replace("'=悪い式", "良い　四"),
        encoding="utf-8-sig",
    )
    again = import_list_file(geocoded, ADMIN, "households", fixed)
    assert again.created == {"households": 2, "residents": 4} and not again.rejected


def test_duplicates_are_found_by_normalised_address(geocoded: Engine, tmp_path: Path) -> None:
    first = _list(tmp_path / "a.csv", [["D1", "高橋　花子", "本町三丁目十二番三号", "その他"]])
    import_list_file(geocoded, ADMIN, "households", first)
    again = _list(tmp_path / "b.csv", [["D2", "髙橋花子", "さくら台市本町3-12-3", "その他"]])
    result = import_list_file(geocoded, ADMIN, "households", again)
    assert result.plan.skipped == 1 and result.created == {"households": 0, "residents": 0}
    assert any("重複" in p.message for p in result.plan.problems)


def test_links_and_contacts_import_with_refs_names_and_japanese_dates(
    geocoded: Engine, tmp_path: Path
) -> None:
    with Session(geocoded) as session:
        household = session.scalars(select(Household).order_by(Household.id)).first()
        assert household is not None and household.ref
        from lsmap.storage.models import Watcher

        watcher = session.scalars(select(Watcher).order_by(Watcher.id)).first()
        assert watcher is not None and watcher.ref
        hid, href, wid, wref, wname = (
            household.id,
            household.ref,
            watcher.id,
            watcher.ref,
            watcher.name,
        )
    links = _list(
        tmp_path / "links.csv",
        [
            [href, wref, "買い物", "週1回"],
            [href, wname.replace("\u3000", " "), "配食", ""],
            [href, "W-none", "訪問", "毎日"],
            ["no-such", wref, "訪問", "毎日"],
        ],
        ["世帯の番号", "見守り者の番号", "関わり方", "頻度"],
    )
    result = import_list_file(geocoded, ADMIN, "links", links, partial=True)
    assert result.created == {"watch_links": 2} and [r.row for r in result.rejected] == [3, 4]
    contacts = _list(
        tmp_path / "contacts.csv",
        [
            [href, "令和6年4月1日", "訪問", wref, "元気そう"],
            [href, "2024/4/2", "電話", "民生委員の山田さん", "留守"],
            [href, "R6.4.1", "訪問", wref, "元気そう"],
            [href, "2999-01-01", "訪問", "", ""],
        ],
        ["世帯の番号", "日付", "方法", "対応した人", "内容"],
    )
    done = import_list_file(geocoded, ADMIN, "contacts", contacts, partial=True)
    assert done.created == {"contact_logs": 2} and done.plan.skipped == 1
    assert [r.row for r in done.rejected] == [4] and "未来" in done.rejected[0].messages[0]
    with Session(geocoded) as session:
        logs = session.execute(
            select(ContactLog.contacted_on, ContactLog.watcher_id, ContactLog.recorded_by)
            .where(ContactLog.household_id == hid, ContactLog.contacted_on >= date(2024, 4, 1))
            .where(ContactLog.contacted_on <= date(2024, 4, 2))
            .order_by(ContactLog.contacted_on)
        ).all()
        assert (logs[0].watcher_id, logs[1].watcher_id) == (wid, None)
        assert logs[1].recorded_by == "民生委員の山田さん"
        kinds = session.scalars(
            select(WatchLink.involvement).where(
                WatchLink.household_id == hid, WatchLink.watcher_id == wid
            )
        ).all()
        assert {"shopping", "meal_delivery"} <= set(kinds)


def test_staff_cannot_link_households_outside_their_districts(
    geocoded: Engine, tmp_path: Path
) -> None:
    with Session(geocoded) as session:
        staff = actor_for(session, "staff_west")
        outside = session.scalar(
            select(Household.ref).where(Household.district_id.not_in(sorted(staff.district_ids)))
        )
    path = _list(
        tmp_path / "l.csv",
        [[str(outside), "x", "訪問", ""]],
        ["世帯の番号", "見守り者の番号", "関わり方", "頻度"],
    )
    with pytest.raises(ImportRejected) as caught:
        import_list_file(geocoded, staff, "links", path)
    assert "見つかりません" in caught.value.problems[0].message


# ---------------------------------------------------------------- 位置の確認


def test_location_checks_list_town_level_households_in_scope_and_a_click_fixes_one(
    geocoded: Engine,
) -> None:
    with Session(geocoded) as session:
        staff = actor_for(session, "staff_east")
        checks = location_checks(session, staff)
        session.commit()
        assert checks and all(c.district_id in staff.district_ids for c in checks)
        assert {c.level for c in checks} <= {"town", None}
        for role in ("meeting_east", "planner"):
            with pytest.raises(AccessDenied):
                location_checks(session, actor_for(session, role))
    first = checks[0]
    with Session(geocoded) as session:
        household = session.get(Household, first.household_id)
        assert household is not None and household.location is not None
        point = household.location.representative_point()
    update(
        geocoded,
        staff,
        "household",
        first.household_id,
        {"placement": "exact", "lon": point.x + 0.0002, "lat": point.y},
        version=first.version,
    )
    with Session(geocoded) as session:
        fixed = session.get(Household, first.household_id)
        assert fixed is not None and fixed.location_level == "manual"
        assert not fixed.location_approximate
        remaining = {c.household_id for c in location_checks(session, staff)}
        assert first.household_id not in remaining
        actions = set(session.scalars(select(AuditEntry.action)).all())
        assert "view_location_checks" in actions and "import_reference" in actions
