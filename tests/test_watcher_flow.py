"""Adding a watcher from the household (issue 12): a new watcher is registered and linked in
one step, with or without a home location; one without is never silently missing: the map
legend counts them and the record lists them."""

from __future__ import annotations

import re

import pytest
from conftest import actor_for
from helpers import open_page
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from lsmap import access
from lsmap.access.watcher_places import unlocated_watcher_count
from lsmap.maps.webmap import build_map
from lsmap.records import ValidationFailed
from lsmap.records.household_watchers import add_new_watcher
from lsmap.storage.models import Household, Watcher, WatchLink


def _east_household(session: Session, staff: access.Actor) -> tuple[int, int]:
    point = access.household_points(session, staff, None)[0]
    household = session.get_one(Household, point.id)
    assert household.district_id is not None
    return point.id, household.district_id


def test_new_watcher_without_a_home_is_linked_counted_and_listed(
    writable_sample_engine: Engine,
) -> None:
    engine = writable_sample_engine
    with Session(engine) as session:
        staff = actor_for(session, "staff_east")
        household, district = _east_household(session, staff)
        before = unlocated_watcher_count(session, staff, None)
    watcher_id, link_id = add_new_watcher(
        engine,
        staff,
        household,
        {"name": "新見 守", "role": "neighbour", "district_id": district},
        {"involvement": "greeting", "frequency": "daily", "note": "朝のカーテンの開閉を確認"},
    )
    with Session(engine) as session:
        assert session.get_one(Watcher, watcher_id).location is None
        link = session.get_one(WatchLink, link_id)
        assert (link.household_id, link.watcher_id, link.note) == (
            household,
            watcher_id,
            "朝のカーテンの開閉を確認",
        )
        assert unlocated_watcher_count(session, staff, None) == before + 1
        record = access.watch_record(session, staff, household)
        mine = next(w for w in record.watchers if w.watcher_id == watcher_id)
        assert mine.unlocated and mine.notes == ("朝のカーテンの開閉を確認",)
        html = build_map(session, staff, district).map.get_root().render()  # its 町丁目
        shown = unlocated_watcher_count(session, staff, district)
        assert shown >= 1
        session.rollback()
    readable = re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), html)
    assert f"位置未設定の見守り者 {shown} 人" in readable


def test_a_bad_link_leaves_no_watcher_behind(writable_sample_engine: Engine) -> None:
    engine = writable_sample_engine
    with Session(engine) as session:
        staff = actor_for(session, "staff_east")
        household, district = _east_household(session, staff)
        count = session.scalar(select(func.count(Watcher.id)))
    with pytest.raises(ValidationFailed):
        add_new_watcher(
            engine,
            staff,
            household,
            {"name": "失敗 例", "role": "neighbour", "district_id": district},
            {"involvement": "greeting", "frequency": "sometimes"},
        )
    with Session(engine) as session:
        assert session.scalar(select(func.count(Watcher.id))) == count


def test_edit_page_adds_a_watcher_without_a_home_and_the_record_lists_them(
    writable_sample_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = writable_sample_engine
    url = engine.url.render_as_string(hide_password=False)
    with Session(engine) as session:
        staff = actor_for(session, "staff_east")
        household, _ = _east_household(session, staff)
    query = {"household": str(household)}
    at = open_page("record_edit", staff, url, monkeypatch, query=query)
    assert not at.exception, at.exception
    prefix = f"new-watcher-{household}-"
    at.text_input(key=prefix + "name").input("位置 なし子")
    at.radio(key=prefix + "place").set_value("none")
    at.text_input(key=prefix + "note").input("夕方に声かけ")
    at.run()
    at.button(key=prefix + "save").click().run()
    assert not at.exception, at.exception
    assert any("位置 なし子" in s.value for s in at.success)
    page = open_page("record", staff, url, monkeypatch, query=query)
    captions = "\n".join(c.value for c in page.caption)
    assert "位置未設定の見守り者" in captions and "位置 なし子" in captions
    table = next(d.value for d in page.dataframe if "自宅の位置" in d.value.columns)
    row = table[table["氏名"] == "位置 なし子"].iloc[0]
    assert row["自宅の位置"] == "未設定" and "夕方に声かけ" in row["関わり方"]


def test_removing_a_watcher_asks_first_and_says_what_happens(
    writable_sample_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = writable_sample_engine
    url = engine.url.render_as_string(hide_password=False)
    with Session(engine) as session:
        staff = actor_for(session, "staff_east")
        household, _ = _east_household(session, staff)
        link_id = session.scalar(
            select(WatchLink.id).where(
                WatchLink.household_id == household, WatchLink.deleted_at.is_(None)
            )
        )
    assert link_id is not None
    at = open_page("record_edit", staff, url, monkeypatch, query={"household": str(household)})
    key = f"f-watch_link-{link_id}-delete"
    at.button(key=f"ask-{key}").click().run()
    assert any("この世帯の見守りから外します" in w.value for w in at.warning)
    with Session(engine) as session:
        assert session.get_one(WatchLink, link_id).deleted_at is None  # nothing yet
    at.button(key=f"no-{key}").click().run()  # やめる: the question goes away
    assert not any("見守りから外します" in w.value for w in at.warning)
    at.button(key=f"ask-{key}").click().run()
    at.button(key=f"yes-{key}").click().run()
    assert not at.exception, at.exception
    with Session(engine) as session:
        assert session.get_one(WatchLink, link_id).deleted_at is not None
