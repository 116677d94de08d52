"""A 福祉連絡会 records its work (issue 14): proposals that become records only when district
staff confirm them, invisible to other meetings; confirmed 見直し dates; the 会議の記録."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from privacy_town import PASSWORD, PrivacyTown, build_privacy_town
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from lsmap import access
from lsmap.access import AccessDenied, Actor
from lsmap.access.accounts import create_user
from lsmap.records import meeting_work as work
from lsmap.records.writes import RecordError
from lsmap.storage import db
from lsmap.storage.meeting_models import HouseholdReview, MeetingProposal
from lsmap.storage.models import AuditEntry, District, Household, Watcher, WatchLink

TODAY = date(2026, 11, 30)


@pytest.fixture
def town(database_factory) -> Iterator[tuple[Engine, PrivacyTown]]:  # type: ignore[no-untyped-def]
    engine = db.get_engine(database_factory())
    db.upgrade(engine)
    built = build_privacy_town(engine)
    with db.transaction(engine) as session:
        create_user(session, "meeting_b", "meeting", PASSWORD, ["B"])
    yield engine, built


def who(engine: Engine, username: str) -> Actor | None:
    if username == "anonymous":
        return None
    from lsmap.storage.models import User

    with Session(engine) as session:
        user_id = session.scalar(select(User.id).where(User.username == username))
        return access.load_actor(session, user_id)


def block(engine: Engine, code: str) -> District:
    with Session(engine) as session:
        found = session.scalar(select(District).where(District.code == code))
        assert found is not None
        return found


def listed(engine: Engine, username: str, **kwargs) -> list[access.ProposalView]:  # type: ignore[no-untyped-def]
    with db.transaction(engine) as session:
        return access.proposals(session, who(engine, username), **kwargs)


def new_household_proposal(engine: Engine, actor: Actor | None, code: str = "A1") -> int:
    district = block(engine, code)
    point = district.geom.representative_point()
    assert actor is not None
    return work.propose(
        engine,
        actor,
        "household",
        {
            "district_id": district.id,
            "lon": point.x,
            "lat": point.y,
            "address": "",
            "concerns": "最近姿を見ない",
        },
        session_id="sess-a1",
    )


def test_a_meeting_proposal_is_invisible_to_other_meetings_and_becomes_a_household_only_on_confirmation(
    town: tuple[Engine, PrivacyTown],
) -> None:
    engine, _ = town
    households_before = _count(engine, Household)
    proposal = new_household_proposal(engine, who(engine, "meeting_a"))
    assert _count(engine, Household) == households_before  # a proposal is not a record

    assert [p.id for p in listed(engine, "meeting_a")] == [proposal]
    assert listed(engine, "meeting_b") == []  # another meeting: nothing
    assert [p.id for p in listed(engine, "staff_a", status="pending")] == [proposal]
    assert listed(engine, "staff_b") == []
    for refused in ("planner", "anonymous"):
        with pytest.raises(AccessDenied), db.transaction(engine) as session:
            access.proposals(session, who(engine, refused))

    [view] = listed(engine, "staff_a")
    # neither the other meeting nor the other district's staff may decide it
    for outsider in ("meeting_a", "meeting_b", "staff_b"):
        with pytest.raises(AccessDenied):
            work.confirm(engine, who(engine, outsider), view.id, view.version, {})  # type: ignore[arg-type]
    assert _count(engine, Household) == households_before

    created = work.confirm(
        engine,
        who(engine, "staff_a"),  # type: ignore[arg-type]
        view.id,
        view.version,
        {"household_type": "elderly_alone"},
        session_id="sess-staff",
    )
    assert created is not None
    assert _count(engine, Household) == households_before + 1
    with Session(engine) as session:
        household = session.get(Household, created)
        assert household is not None
        assert household.district_id == block(engine, "A1").id
        assert "最近姿を見ない" in household.note
        actions = [
            (e.action, e.entity, e.username, e.detail.get("login_session"))
            for e in session.scalars(select(AuditEntry).order_by(AuditEntry.id))
            if e.entity in ("proposal", "household") and e.action != "view_proposals"
        ]
    assert ("propose", "proposal", "meeting_a", "sess-a1") in actions
    assert ("create", "household", "staff_a", None) in actions
    assert ("confirm", "proposal", "staff_a", "sess-staff") in actions
    # decided once: a second confirmation is refused
    with pytest.raises(RecordError):
        work.confirm(engine, who(engine, "staff_a"), view.id, view.version, {})  # type: ignore[arg-type]
    [done] = listed(engine, "meeting_a")
    assert (done.status, done.result_id) == ("confirmed", created)


def test_a_meeting_cannot_propose_outside_its_districts(town: tuple[Engine, PrivacyTown]) -> None:
    engine, built = town
    meeting_a = who(engine, "meeting_a")
    assert meeting_a is not None
    with pytest.raises(AccessDenied):
        new_household_proposal(engine, meeting_a, code="B1")
    other = built.households[("B", "consented")]
    with pytest.raises(AccessDenied):
        work.propose(engine, meeting_a, "reviewed", {"household_id": other, "note": "x"})
    with pytest.raises(AccessDenied):
        new_household_proposal(engine, who(engine, "planner"))
    staff = who(engine, "staff_a")
    assert staff is not None
    with pytest.raises(AccessDenied):  # staff confirm; they do not propose
        new_household_proposal(engine, staff)
    assert _count(engine, MeetingProposal) == 0


def test_a_point_outside_the_chosen_town_and_an_empty_worry_are_refused(
    town: tuple[Engine, PrivacyTown],
) -> None:
    engine, _ = town
    meeting_a = who(engine, "meeting_a")
    assert meeting_a is not None
    district = block(engine, "A1")
    with pytest.raises(RecordError, match="外"):
        work.propose(
            engine,
            meeting_a,
            "household",
            {"district_id": district.id, "lon": 139.9, "lat": 35.9, "concerns": "x"},
        )
    with pytest.raises(RecordError, match="気がかり"):
        work.propose(engine, meeting_a, "household", {"district_id": district.id, "address": "x"})
    with pytest.raises(RecordError, match="住所"):
        work.propose(engine, meeting_a, "household", {"district_id": district.id, "concerns": "x"})


def test_a_proposed_watcher_becomes_a_link_when_staff_name_the_person(
    town: tuple[Engine, PrivacyTown],
) -> None:
    engine, built = town
    household = built.households[("A", "not_consented")]
    meeting_a = who(engine, "meeting_a")
    assert meeting_a is not None
    proposal = work.propose(
        engine,
        meeting_a,
        "watcher",
        {
            "household_id": household,
            "watcher_role": "neighbour",
            "relation": "向かいの家の方",
            "involvement": "greeting",
            "frequency": "weekly",
        },
    )
    links_before = _count(engine, WatchLink)
    [view] = listed(engine, "staff_a")
    with pytest.raises(RecordError, match="氏名"):
        work.confirm(engine, who(engine, "staff_a"), proposal, view.version, {})  # type: ignore[arg-type]
    link = work.confirm(
        engine,
        who(engine, "staff_a"),  # type: ignore[arg-type]
        proposal,
        view.version,
        {"watcher_name": "向井 一"},
    )
    assert _count(engine, WatchLink) == links_before + 1
    with Session(engine) as session:
        row = session.get(WatchLink, link)
        assert row is not None and row.household_id == household
        watcher = session.get(Watcher, row.watcher_id)
        assert watcher is not None and (watcher.name, watcher.role) == ("向井 一", "neighbour")
        assert "向かいの家の方" in row.note


def test_reviews_and_no_change_land_in_household_reviews_on_confirmation(
    town: tuple[Engine, PrivacyTown],
) -> None:
    engine, built = town
    meeting_a = who(engine, "meeting_a")
    staff_a = who(engine, "staff_a")
    assert meeting_a is not None and staff_a is not None
    reviewed = built.households[("A", "consented")]
    one = work.propose(engine, meeting_a, "reviewed", {"household_id": reviewed, "note": "元気"})
    whole = work.propose(engine, meeting_a, "no_change", {"district_id": block(engine, "A1").id})
    with Session(engine) as session:
        assert access.latest_review_dates(session, [reviewed]) == {}  # not before confirmation
    versions = {p.id: p.version for p in listed(engine, "staff_a")}
    work.confirm(engine, staff_a, one, versions[one], today=TODAY)
    work.reject(engine, staff_a, whole, versions[whole], "次回の会議で確かめる")
    with Session(engine) as session:
        dates = access.latest_review_dates(session, built.households.values())
        assert set(dates) == {reviewed}
        [review] = session.scalars(select(HouseholdReview))
        assert (review.note, review.confirmed_by) == ("元気", "staff_a")
    [rejected] = listed(engine, "meeting_a", status="rejected")
    assert rejected.reject_reason == "次回の会議で確かめる"

    again = work.propose(engine, meeting_a, "no_change", {"district_id": block(engine, "A1").id})
    [pending] = listed(engine, "staff_a", status="pending")
    work.confirm(engine, staff_a, again, pending.version)
    with Session(engine) as session:
        live_in_a = [h for (code, _), h in built.households.items() if code == "A"]
        dates = access.latest_review_dates(session, live_in_a)
        assert set(dates) == set(live_in_a)  # every household of the 町内
        notes = set(session.scalars(select(HouseholdReview.note)))
        assert "変わりなし" in notes


def test_latest_review_dates_takes_the_newest(town: tuple[Engine, PrivacyTown]) -> None:
    engine, built = town
    staff_a = who(engine, "staff_a")
    assert staff_a is not None
    household = built.households[("A", "consented")]
    work.record_review(engine, staff_a, household, "一回目", today=date(2025, 1, 10))
    work.record_review(engine, staff_a, household, "二回目", today=date(2026, 2, 3))
    with Session(engine) as session:
        assert access.latest_review_dates(session, [household, 99999]) == {
            household: date(2026, 2, 3)
        }
    with pytest.raises(AccessDenied):
        work.record_review(engine, staff_a, built.households[("B", "consented")])


def _count(engine: Engine, model: type) -> int:
    with Session(engine) as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)
