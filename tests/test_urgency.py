"""Urgent signs until a visit, overdue contact by the agreed frequency, oldest first."""

from __future__ import annotations

from datetime import date, timedelta

from small_town import INSIDE_EAST, TODAY, actor, town, town_id  # noqa: F401
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from lsmap import records
from lsmap.access import ContactFacts
from lsmap.records import urgency


def _facts(
    contacts: list[tuple[int, str, tuple[str, ...]]], frequencies: tuple[str, ...] = ()
) -> ContactFacts:
    rows = tuple(
        (TODAY - timedelta(days=ago), i, method, signs)
        for i, (ago, method, signs) in enumerate(contacts)
    )
    return ContactFacts(1, "東町", "山田", frequencies, rows)


def test_lifeline_or_not_seen_is_urgent_until_a_later_visit() -> None:
    assert urgency.urgent_since(_facts([(5, "phone", ("lifeline_stopped",))])) == (
        TODAY - timedelta(days=5),
        ("lifeline_stopped",),
    )
    assert (
        urgency.urgent_since(_facts([(5, "greeting", ("not_seen",)), (3, "phone", ())])) is not None
    )
    assert urgency.urgent_since(_facts([(5, "greeting", ("not_seen",)), (3, "visit", ())])) is None
    assert urgency.urgent_since(_facts([(5, "phone", ("mail_piling", "no_light"))])) is None
    found = urgency.urgent_since(
        _facts([(9, "phone", ("not_seen",)), (7, "visit", ()), (2, "visit", ("lifeline_stopped",))])
    )
    assert found == (TODAY - timedelta(days=2), ("lifeline_stopped",))


def test_overdue_uses_the_most_frequent_link() -> None:
    weekly_and_monthly = ("monthly", "weekly")
    assert urgency.overdue_since(_facts([(8, "phone", ())], weekly_and_monthly), TODAY) == (
        TODAY - timedelta(days=8),
        8,
        "weekly",
    )
    assert urgency.overdue_since(_facts([(7, "phone", ())], weekly_and_monthly), TODAY) is None
    assert urgency.overdue_since(_facts([(40, "phone", ())], ("as_needed",)), TODAY) is None
    assert urgency.overdue_since(_facts([(40, "phone", ())], ()), TODAY) is None
    assert urgency.overdue_since(_facts([], ("monthly",)), TODAY) == (None, None, "monthly")
    # without a logged link the one rule's interval applies (60 days), as in coverage
    assert urgency.overdue_since(_facts([(61, "phone", ())], ()), TODAY) == (
        TODAY - timedelta(days=61),
        61,
        None,
    )
    assert urgency.overdue_since(_facts([], ()), TODAY) == (None, None, None)


def test_start_page_lists_the_districts_households_oldest_first(town: Engine) -> None:
    staff = actor(town, "staff_east")
    watcher = records.create_watcher(
        town,
        staff,
        {"name": "佐藤", "role": "commissioner", "district_id": town_id(town, "149990-01")},
        today=TODAY,
    )
    ids = []
    for ago in (3, 10):
        hid = records.create_household(
            town,
            staff,
            {
                "district_id": town_id(town, "149990-01-01"),
                "household_type": "elderly_alone",
                "lon": INSIDE_EAST[0],
                "lat": INSIDE_EAST[1],
            },
            today=TODAY,
        )
        records.link_watcher(town, staff, hid, watcher, "greeting", "weekly")
        records.record_contact(
            town,
            staff,
            hid,
            {"contacted_on": TODAY - timedelta(days=ago), "method": "phone", "signs": ["not_seen"]},
            today=TODAY,
        )
        ids.append(hid)
    with Session(town) as session:
        page = urgency.start_page(session, staff, today=TODAY)
        west = urgency.start_page(session, actor(town, "staff_west"), today=TODAY)
        meeting = urgency.start_page(session, actor(town, "meeting_east"), today=TODAY)
    assert [i.household_id for i in page.urgent] == [ids[1], ids[0]]  # oldest first
    assert [i.household_id for i in page.overdue] == [ids[1]]  # 10 days > weekly
    assert page.urgent[0].signs == ("not_seen",) and page.overdue[0].days == 10
    assert west.urgent == [] and meeting.urgent == [] and meeting.overdue == []

    records.record_contact(
        town, staff, ids[1], {"contacted_on": TODAY, "method": "visit"}, today=TODAY
    )
    loaded_version = 1
    records.close_household(
        town, staff, ids[0], closed_on=TODAY, version=loaded_version, today=TODAY
    )
    with Session(town) as session:
        after = urgency.start_page(session, staff, today=TODAY)
    assert after.urgent == [] and after.overdue == []


def test_sample_town_start_page_has_urgent_and_overdue(sample_session: Session) -> None:
    from conftest import SAMPLE_TODAY, actor_for

    page = urgency.start_page(
        sample_session, actor_for(sample_session, "staff_east"), today=SAMPLE_TODAY
    )
    assert page.urgent and page.overdue
    assert [i.since for i in page.urgent] == sorted(i.since for i in page.urgent)
    assert [i.since or date.min for i in page.overdue] == sorted(
        i.since or date.min for i in page.overdue
    )
