"""Writing watch records: create/edit/close/reopen, stale saves, soft delete, history, access."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from small_town import INSIDE_EAST, OUTSIDE_CITY, TODAY, actor, town, town_id  # noqa: F401
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from lsmap import access, records
from lsmap.records import history
from lsmap.storage.models import AuditEntry, Household, Resident

EAST_TOWN = "149990-01-01"


def _household(engine: Engine, **extra: Any) -> int:
    values = {
        "district_id": town_id(engine, EAST_TOWN),
        "household_type": "elderly_alone",
        "lon": INSIDE_EAST[0],
        "lat": INSIDE_EAST[1],
        "address": "東町1-1",
        **extra,
    }
    return records.create_household(engine, actor(engine, "staff_east"), values, today=TODAY)


def _snapshot(
    engine: Engine, entity: str, record_id: int, username: str = "staff_east"
) -> dict[str, Any]:
    with Session(engine) as session:
        return access.edit_snapshot(session, actor(engine, username), entity, record_id)


def test_create_edit_close_and_reopen_a_household(town: Engine) -> None:
    staff = actor(town, "staff_east")
    hid = _household(town)
    loaded = _snapshot(town, "household", hid)
    assert loaded["address"] == "東町1-1" and not loaded["location_approximate"]
    version = records.update(
        town,
        staff,
        "household",
        hid,
        {"note": "夜間に注意"},
        version=loaded["version"],
        loaded=loaded,
        today=TODAY,
    )
    version = records.close_household(
        town, staff, hid, closed_on=TODAY, version=version, today=TODAY
    )
    assert _snapshot(town, "household", hid)["closed_on"] == TODAY
    records.reopen_household(town, staff, hid, version=version)
    current = _snapshot(town, "household", hid)
    assert (
        current["closed_on"] is None and current["note"] == "夜間に注意" and current["version"] == 4
    )


def test_household_at_its_town_is_marked_approximate(town: Engine) -> None:
    hid = _household(town, placement="approximate", lon=None, lat=None)
    with Session(town) as session:
        household = session.get(Household, hid)
        east_town = session.get(type(household.district), household.district_id)
        assert household.location_approximate
        assert east_town.geom.covers(household.location)


def test_nothing_is_saved_when_validation_fails(town: Engine) -> None:
    staff = actor(town, "staff_east")
    with pytest.raises(records.ValidationFailed) as failed:
        _household(town, lon=OUTSIDE_CITY[0], lat=OUTSIDE_CITY[1])
    assert failed.value.fields == ["location"] and "さくら台市の区域の外" in failed.value.message
    hid = _household(town)
    with pytest.raises(records.ValidationFailed) as failed:
        records.add_resident(town, staff, hid, {"name": "山田 花子", "phone": "123"}, today=TODAY)
    assert failed.value.fields == ["phone"]
    loaded = _snapshot(town, "household", hid)
    with pytest.raises(records.ValidationFailed):
        records.update(
            town,
            staff,
            "household",
            hid,
            {"note": "x", "closed_on": date(2027, 1, 1)},
            version=loaded["version"],
            loaded=loaded,
            today=TODAY,
        )
    with Session(town) as session:
        assert session.scalars(select(Resident)).all() == []
        assert session.get(Household, hid).note == "" and session.get(Household, hid).version == 1
        assert session.scalar(select(AuditEntry).where(AuditEntry.action == "update")) is None


def test_second_of_two_sessions_is_refused_and_the_first_is_kept(town: Engine) -> None:
    first, second = actor(town, "staff_east"), actor(town, "admin")
    hid = _household(town)
    rid = records.add_resident(
        town, first, hid, {"name": "山田 花子", "phone": "046-123-4567"}, today=TODAY
    )
    loaded_by_first = _snapshot(town, "resident", rid)
    loaded_by_second = _snapshot(town, "resident", rid, "admin")
    records.update(
        town,
        first,
        "resident",
        rid,
        {"phone": "090-1111-2222", "concerns": "足が弱い"},
        version=loaded_by_first["version"],
        loaded=loaded_by_first,
        today=TODAY,
    )
    with pytest.raises(records.StaleRecord) as stale:
        records.update(
            town,
            second,
            "resident",
            rid,
            {"phone": "0463-99-0000"},
            version=loaded_by_second["version"],
            loaded=loaded_by_second,
            today=TODAY,
        )
    assert stale.value.changed == ["phone", "concerns"]
    assert "電話番号、気になるところ" in stale.value.message and "staff_east" in stale.value.message
    assert stale.value.current["phone"] == "090-1111-2222"
    kept = _snapshot(town, "resident", rid)
    assert (kept["phone"], kept["concerns"], kept["version"]) == ("090-1111-2222", "足が弱い", 2)
    with pytest.raises(records.StaleRecord):  # deleting with the old version is refused too
        records.delete(
            town,
            second,
            "resident",
            rid,
            version=loaded_by_second["version"],
            loaded=loaded_by_second,
        )


def test_soft_delete_and_restore(town: Engine) -> None:
    staff = actor(town, "staff_east")
    hid = _household(town)
    rid = records.add_resident(town, staff, hid, {"name": "山田 花子"}, today=TODAY)
    records.delete(
        town, staff, "resident", rid, version=_snapshot(town, "resident", rid)["version"]
    )
    with Session(town) as session:
        assert session.get(Resident, rid) is not None  # still stored
        assert access.watch_record(session, staff, hid).residents == ()
        assert [(d["entity"], d["id"]) for d in access.deleted_records(session, staff)] == [
            ("resident", rid)
        ]
        session.rollback()
    records.delete(
        town, staff, "household", hid, version=_snapshot(town, "household", hid)["version"]
    )
    with pytest.raises(records.RecordError, match="先に世帯を復元"):
        records.restore(town, staff, "resident", rid)
    records.restore(town, staff, "household", hid)
    records.restore(town, staff, "resident", rid)
    with Session(town) as session:
        assert [r.name for r in access.watch_record(session, staff, hid).residents] == ["山田 花子"]
        assert access.deleted_records(session, staff) == []
        session.rollback()


def test_history_names_who_changed_which_fields_never_values(town: Engine) -> None:
    staff, admin = actor(town, "staff_east"), actor(town, "admin")
    hid = _household(town)
    rid = records.add_resident(town, staff, hid, {"name": "山田 花子"}, today=TODAY)
    loaded = _snapshot(town, "resident", rid)
    records.update(
        town,
        admin,
        "resident",
        rid,
        {"phone": "046-123-4567", "furigana": "やまだ はなこ"},
        version=loaded["version"],
        loaded=loaded,
        today=TODAY,
    )
    records.delete(town, staff, "resident", rid, version=loaded["version"] + 1)
    with Session(town) as session:
        entries = history.record_history(session, staff, "household", hid)
        own = history.record_history(session, staff, "resident", rid)
        details = [e.detail for e in session.scalars(select(AuditEntry))]
    assert [(e.entity, e.action, e.username) for e in entries] == [
        ("resident", "delete", "staff_east"),
        ("resident", "update", "admin"),
        ("resident", "create", "staff_east"),
        ("household", "create", "staff_east"),
    ]
    assert entries[1].fields == ("furigana", "phone")
    assert entries[1].summary == f"気がかりな人 No.{rid} を変更: ふりがな、電話番号"
    assert [e.action for e in own] == ["delete", "update", "create"]
    assert not any("046-123-4567" in str(d) or "山田" in str(d) for d in details)


def test_meeting_and_other_district_staff_are_refused(town: Engine) -> None:
    hid = _household(town)
    loaded = _snapshot(town, "household", hid)
    for username in ("meeting_east", "staff_west", "planner"):
        someone = actor(town, username)
        with pytest.raises(access.AccessDenied):
            records.update(
                town,
                someone,
                "household",
                hid,
                {"note": "x"},
                version=loaded["version"],
                today=TODAY,
            )
        with pytest.raises(access.AccessDenied):
            records.add_resident(town, someone, hid, {"name": "x"}, today=TODAY)
        with pytest.raises(access.AccessDenied):
            records.delete(town, someone, "household", hid, version=loaded["version"])
        with Session(town) as session, pytest.raises(access.AccessDenied):
            history.record_history(session, someone, "household", hid)
    with pytest.raises(access.AccessDenied):  # staff cannot create in another district either
        records.create_household(
            town,
            actor(town, "staff_west"),
            {
                "district_id": town_id(town, EAST_TOWN),
                "household_type": "other",
                "placement": "approximate",
            },
        )
    assert _snapshot(town, "household", hid)["version"] == 1


def test_watcher_load_and_links(town: Engine) -> None:
    staff = actor(town, "staff_east")
    wid = records.create_watcher(
        town,
        staff,
        {
            "name": "佐藤 一郎",
            "role": "commissioner",
            "district_id": town_id(town, EAST_TOWN),
            "phone": "0463-12-3456",
        },
        today=TODAY,
    )
    first, second = _household(town), _household(town)
    link = records.link_watcher(town, staff, first, wid, "greeting", "weekly")
    records.link_watcher(town, staff, first, wid, "safety_check", "daily")
    records.link_watcher(town, staff, second, wid, "greeting", "monthly")
    with pytest.raises(records.ValidationFailed) as failed:
        records.link_watcher(town, staff, first, wid, "greeting", "daily")
    assert failed.value.fields == ["involvement"]
    with Session(town) as session:
        [watcher] = access.watchers_with_load(session, staff)
        assert (watcher["id"], watcher["load"]) == (wid, 2)
        session.rollback()
    records.delete(town, staff, "watch_link", link, version=1)
    assert records.link_watcher(town, staff, first, wid, "greeting", "biweekly") == link  # revived
    assert _snapshot(town, "watch_link", link)["frequency"] == "biweekly"
