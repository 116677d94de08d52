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
        # the household's own 見直し date moves too, so 要対応 stops listing it as 見直し時期
        assert session.get(Household, reviewed).reviewed_on == TODAY
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


# ------------------------------------------------------------------ the 会議の記録


def _pdf_text(pdf: bytes) -> str:
    import io
    import re

    from pypdf import PdfReader

    return re.sub(r"\s", "", "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages))


def _register_entry(engine: Engine, built: PrivacyTown, username: str = "meeting_a") -> int:
    author = who(engine, username)
    assert author is not None
    reviewed = [built.households[("A", "consented")], built.households[("A", "not_consented")]]
    return work.save_meeting_record(
        engine,
        author,
        {
            "district_id": block(engine, "A1").id,
            "held_on": date(2026, 11, 20),
            "attendees": {"ward_head": 1, "commissioner": 2, "neighbour": 3},
            "households_reviewed": reviewed,
            "decisions": "週1回の声かけを続ける",
            "next_meeting_on": date(2027, 5, 20),
        },
        session_id="sess-reg",
        today=TODAY,
    )


def test_the_register_prints_without_names_by_default(town: tuple[Engine, PrivacyTown]) -> None:
    from lsmap.printing.meeting_sheets import minutes_pdf

    engine, built = town
    record = _register_entry(engine, built)
    consented = built.households[("A", "consented")]
    with db.transaction(engine) as session:
        default = _pdf_text(minutes_pdf(session, who(engine, "meeting_a"), record))  # type: ignore[arg-type]
        by_staff = _pdf_text(minutes_pdf(session, who(engine, "staff_a"), record))  # type: ignore[arg-type]
        named = _pdf_text(minutes_pdf(session, who(engine, "staff_a"), record, with_names=True))  # type: ignore[arg-type]
    for text in (default, by_staff):
        assert "花子" not in text and "同意" not in text  # no resident's name
        assert f"世帯番号:{consented}、" in text
        assert "区長・自治会長1名" in text and "合計6名" in text
        assert "2027年5月20日" in text
    assert "A同意花子1" in named and "CANARY" in named  # the staff-only option names them
    with db.transaction(engine) as session:
        with pytest.raises(AccessDenied):  # a meeting may not ask for names
            minutes_pdf(session, who(engine, "meeting_a"), record, with_names=True)  # type: ignore[arg-type]
        with pytest.raises(AccessDenied):  # another district's staff never see it
            minutes_pdf(session, who(engine, "staff_b"), record)  # type: ignore[arg-type]
        with pytest.raises(AccessDenied):
            minutes_pdf(session, who(engine, "meeting_b"), record)  # type: ignore[arg-type]
    with Session(engine) as session:
        printed = [
            e.detail
            for e in session.scalars(
                select(AuditEntry).where(AuditEntry.entity == "meeting_record")
            )
            if e.action == "print"
        ]
    assert [d["names"] for d in printed] == [False, False, True]


def test_the_register_refuses_households_and_dates_it_cannot_hold(
    town: tuple[Engine, PrivacyTown],
) -> None:
    engine, built = town
    meeting_a = who(engine, "meeting_a")
    assert meeting_a is not None
    base = {"district_id": block(engine, "A1").id, "held_on": date(2026, 11, 20)}
    with pytest.raises(AccessDenied):  # a household of another district
        work.save_meeting_record(
            engine,
            meeting_a,
            {**base, "households_reviewed": [built.households[("B", "consented")]]},
            today=TODAY,
        )
    with pytest.raises(RecordError, match="開催日"):
        work.save_meeting_record(
            engine, meeting_a, {**base, "held_on": date(2027, 1, 1)}, today=TODAY
        )
    with pytest.raises(RecordError, match="次回"):
        work.save_meeting_record(
            engine, meeting_a, {**base, "next_meeting_on": date(2026, 11, 1)}, today=TODAY
        )
    with pytest.raises(AccessDenied):
        work.save_meeting_record(engine, who(engine, "planner"), base, today=TODAY)  # type: ignore[arg-type]
    with pytest.raises(AccessDenied):
        work.save_meeting_record(
            engine, meeting_a, {**base, "district_id": block(engine, "B1").id}, today=TODAY
        )
    record = _register_entry(engine, built)
    with db.transaction(engine) as session:
        assert [r.id for r in access.meeting_records(session, who(engine, "staff_a"))] == [record]
        assert access.meeting_records(session, who(engine, "meeting_b")) == []  # type: ignore[arg-type]


# ------------------------------------------------------------------ the 緊急連絡表


def test_the_contact_sheet_is_filled_from_records_and_staff_lines_replace_them(
    town: tuple[Engine, PrivacyTown],
) -> None:
    from lsmap.access.contact_sheet import contact_sheet
    from lsmap.printing.meeting_sheets import contact_sheet_pdf

    engine, built = town
    area = built.districts["A"]
    staff_a = who(engine, "staff_a")
    assert staff_a is not None
    with db.transaction(engine) as session:
        sheet = contact_sheet(session, staff_a, area)
        assert [(line.name, line.phone) for line in sheet.of("commissioner")] == [
            ("A見守り 一郎", "046-200-0000")
        ]
        assert [line.name for line in sheet.of("csw")] == ["staff_a"]
        meeting_sheet = contact_sheet(session, who(engine, "meeting_a"), area)
        assert [line.phone for line in meeting_sheet.of("commissioner")] == [""]  # not theirs
        for outsider in ("staff_b", "meeting_b", "planner", "anonymous"):
            with pytest.raises(AccessDenied):
                contact_sheet(session, who(engine, outsider), area)
    work.save_contact_lines(
        engine,
        staff_a,
        area,
        "police_box",
        [{"name": "A駅前交番", "phone": "０４６-１１１-０１１０"}],
    )
    work.save_contact_lines(engine, staff_a, area, "commissioner", [{"name": "代表 民生委員"}])
    with pytest.raises(AccessDenied):
        work.save_contact_lines(engine, who(engine, "meeting_a"), area, "police_box", [])  # type: ignore[arg-type]
    with pytest.raises(AccessDenied):
        work.save_contact_lines(engine, who(engine, "staff_b"), area, "police_box", [])  # type: ignore[arg-type]
    with db.transaction(engine) as session:
        sheet = contact_sheet(session, who(engine, "meeting_a"), area)
        assert [(x.name, x.phone) for x in sheet.of("police_box")] == [
            ("A駅前交番", "046-111-0110")
        ]
        assert [x.name for x in sheet.of("commissioner")] == ["代表 民生委員"]
        text = _pdf_text(contact_sheet_pdf(session, who(engine, "meeting_a"), area, TODAY))  # type: ignore[arg-type]
    assert "緊急連絡表" in text and "A駅前交番" in text and "046-111-0110" in text
    assert "市の窓口" in text and "社協の地区担当" in text
    work.save_contact_lines(engine, staff_a, area, "commissioner", [])  # back to the records
    with db.transaction(engine) as session:
        sheet = contact_sheet(session, staff_a, area)
        assert [x.name for x in sheet.of("commissioner")] == ["A見守り 一郎"]


def test_the_contact_sheet_pdf_is_one_a4_page_in_large_type(
    town: tuple[Engine, PrivacyTown],
) -> None:
    import io

    from pypdf import PdfReader

    from lsmap.printing.meeting_sheets import SHEET_TEXT_PT, contact_sheet_pdf

    engine, built = town
    with db.transaction(engine) as session:  # a 地区 with many 区長 and 福祉推進員
        for index in range(12):
            role = "ward_head" if index % 2 else "welfare_volunteer"
            session.add(
                Watcher(name=f"多数 {index}", role=role, district_id=block(engine, "A1").id)
            )
    with db.transaction(engine) as session:
        pdf = contact_sheet_pdf(session, who(engine, "staff_a"), built.districts["A"], TODAY)  # type: ignore[arg-type]
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    assert "ほか3名" in _pdf_text(pdf)  # the rest are on the 町内 sheets
    box = reader.pages[0].mediabox
    assert (round(float(box.width) * 25.4 / 72), round(float(box.height) * 25.4 / 72)) == (210, 297)
    sizes: list[float] = []

    def visit(text, cm, tm, font, size) -> None:  # type: ignore[no-untyped-def]
        if text.strip():
            sizes.append(size * tm[0])

    reader.pages[0].extract_text(visitor_text=visit)
    body = [s for s in sizes if s >= 12]
    assert SHEET_TEXT_PT >= 16 and len(body) >= 10 and min(body) >= 16


def test_a_watcher_present_at_the_meeting_is_linked_on_confirmation(
    town: tuple[Engine, PrivacyTown],
) -> None:
    engine, built = town
    meeting_a, staff_a = who(engine, "meeting_a"), who(engine, "staff_a")
    assert meeting_a is not None and staff_a is not None
    household = built.households[("A", "no_residents")]
    with Session(engine) as session:
        own = session.scalar(select(Watcher.id).where(Watcher.name == "A見守り 一郎"))
        other = session.scalar(select(Watcher.id).where(Watcher.name == "B見守り 一郎"))
    with pytest.raises(AccessDenied):  # a watcher of another district is nobody present
        work.propose(engine, meeting_a, "watcher", {"household_id": household, "watcher_id": other})
    proposal = work.propose(
        engine,
        meeting_a,
        "watcher",
        {"household_id": household, "watcher_id": own, "involvement": "phone"},
    )
    [view] = listed(engine, "staff_a")
    link = work.confirm(engine, staff_a, proposal, view.version)
    with Session(engine) as session:
        row = session.get(WatchLink, link)
        assert row is not None
        assert (row.watcher_id, row.household_id, row.involvement) == (own, household, "phone")


def test_a_register_entry_is_updated_only_at_the_version_loaded(
    town: tuple[Engine, PrivacyTown],
) -> None:
    engine, built = town
    record = _register_entry(engine, built)
    staff_a = who(engine, "staff_a")
    assert staff_a is not None
    values = {
        "district_id": block(engine, "A1").id,
        "held_on": date(2026, 11, 20),
        "decisions": "訂正",
    }
    work.save_meeting_record(engine, staff_a, values, record_id=record, version=1, today=TODAY)
    with pytest.raises(RecordError, match="先に"):
        work.save_meeting_record(engine, staff_a, values, record_id=record, version=1, today=TODAY)
    with pytest.raises(AccessDenied):
        work.save_meeting_record(
            engine,
            who(engine, "staff_b"),
            values,
            record_id=record,
            version=2,
            today=TODAY,  # type: ignore[arg-type]
        )
    with db.transaction(engine) as session:
        [entry] = access.meeting_records(session, staff_a)
    assert (entry.decisions, entry.version) == ("訂正", 2)
