"""The daily loop on the record (issue 12): 「見守りを記録」 at the top of the record, the
full history with filters and pages, the urgent banner, the follow-up plan, and one
follow-up rule shared by 要対応 and coverage's ``stale``."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from conftest import SAMPLE_TODAY, actor_for
from helpers import open_page
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from lsmap import access, records
from lsmap.coverage.report import coverage_for
from lsmap.records import follow_up, urgency
from lsmap.storage.models import AuditEntry, ContactLog, Household, User, WatchLink
from lsmap.vocab import WARNING_SIGNS


def _url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def _quiet_household(session: Session, actor: access.Actor) -> int:
    """An open household of the actor with residents, not urgent now."""
    for facts in access.contact_facts(session, actor):
        if facts.label and urgency.urgent_since(facts) is None:
            return facts.household_id
    raise AssertionError("no quiet household")


def test_record_page_logs_a_visit_that_tops_the_history(
    writable_sample_engine: Engine, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    with Session(writable_sample_engine) as session:
        staff = actor_for(session, "staff_east")
        hid = _quiet_household(session, staff)
    page = open_page(
        "record", staff, _url(writable_sample_engine), monkeypatch, query={"household": str(hid)}
    )
    assert not page.exception
    assert page.radio[0].label == "種類" and page.radio[0].value == "visit"
    assert [r.label for r in page.radio] == ["種類", "いつ", "結果"]
    boxes = {c.label: c for c in page.checkbox}
    assert list(WARNING_SIGNS.values()) == [c for c in boxes if c in WARNING_SIGNS.values()]
    boxes["新聞・郵便物がたまる"].check()
    boxes["夜に電気がつかない"].check()
    page.radio[2].set_value("absent")
    page.text_area(key=f"visit-record-{hid}-0-note").input("呼び鈴に応答なし")
    next(b for b in page.button if b.label == "記録する").click().run()
    assert not page.exception
    assert any("見守りを記録しました" in s.value for s in page.success)
    entries = [m.value for m in page.markdown if "気づき" in m.value and "**" in m.value]
    first = next(m for m in entries if "呼び鈴に応答なし" in m)
    assert "新聞・郵便物がたまる" in first and "夜に電気がつかない" in first and "不在" in first
    # the form is empty again for the next entry
    assert not any(c.value for c in page.checkbox if c.label in WARNING_SIGNS.values())
    assert page.text_area(key=f"visit-record-{hid}-1-note").value == ""
    with Session(writable_sample_engine) as session:
        row = session.scalars(
            select(ContactLog).where(ContactLog.household_id == hid).order_by(ContactLog.id.desc())
        ).first()
        assert row is not None and row.outcome == "absent" and row.method == "visit"
        assert sorted(row.signs) == ["mail_piling", "no_light"]
        assert row.contacted_on == date.today() and row.version == 1
        entry = session.scalars(
            select(AuditEntry)
            .where(AuditEntry.action == "create", AuditEntry.entity == "contact_log")
            .order_by(AuditEntry.id.desc())
        ).first()
        assert entry is not None and entry.entity_ids == [row.id]
        assert "outcome" in entry.detail["fields"]


def test_contact_validation_speaks_japanese(writable_sample_engine: Engine) -> None:
    with Session(writable_sample_engine) as session:
        staff = actor_for(session, "staff_east")
        hid = _quiet_household(session, staff)
    cases = [
        ({"contacted_on": date.today() + timedelta(days=1), "method": "visit"}, "未来の日付"),
        ({"contacted_on": date.today(), "method": "visit", "outcome": "moon"}, "「結果」"),
        ({"contacted_on": date.today(), "method": "fax"}, "「方法」"),
        ({"method": "visit"}, "「日付」"),
    ]
    for values, expected in cases:
        with pytest.raises(records.ValidationFailed) as failed:
            records.record_contact(writable_sample_engine, staff, hid, values)
        assert expected in failed.value.message


def test_history_pages_and_filters(writable_sample_engine: Engine) -> None:
    with Session(writable_sample_engine) as session:
        staff = actor_for(session, "staff_east")
        hid = _quiet_household(session, staff)
        before = access.contact_history(session, staff, hid).total
        session.rollback()
    for day in range(25):
        records.record_contact(
            writable_sample_engine,
            staff,
            hid,
            {
                "contacted_on": date.today() - timedelta(days=day * 10),
                "method": "phone" if day % 2 else "walk_in",
                "observation": f"記録{day}",
            },
        )
    with Session(writable_sample_engine) as session:
        first = access.contact_history(session, staff, hid)
        assert first.total == before + 25 and first.page == 1 and len(first.entries) == 20
        assert first.entries[0].observation == "記録0"
        days = [e.contacted_on for e in first.entries]
        assert days == sorted(days, reverse=True)
        last = access.contact_history(session, staff, hid, page=first.pages)
        assert last.page == first.pages and len(last.entries) == first.total - 20 * (
            first.pages - 1
        )
        walk_ins = access.contact_history(session, staff, hid, methods=("walk_in",))
        assert walk_ins.total == 13 and {e.method for e in walk_ins.entries} == {"walk_in"}
        recent = access.contact_history(
            session, staff, hid, since=date.today() - timedelta(days=31)
        )
        assert [e.observation for e in recent.entries][:4] == ["記録0", "記録1", "記録2", "記録3"]
        west = actor_for(session, "staff_west")
        with pytest.raises(access.AccessDenied):
            access.contact_history(session, west, hid)


def test_urgent_sign_tops_the_start_page_and_bans_the_record(
    writable_sample_engine: Engine, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    with Session(writable_sample_engine) as session:
        staff = actor_for(session, "staff_east")
        hid = _quiet_household(session, staff)
    records.record_contact(
        writable_sample_engine,
        staff,
        hid,
        {"contacted_on": date.today(), "method": "phone", "signs": ["gas_meter_still"]},
    )
    with Session(writable_sample_engine) as session:
        work = urgency.start_page(session, staff)
    assert hid in [i.household_id for i in work.urgent]
    page = open_page(
        "record", staff, _url(writable_sample_engine), monkeypatch, query={"household": str(hid)}
    )
    banner = " ".join(e.value for e in page.error)
    assert "緊急" in banner and "ガスメーターが動かない" in banner
    records.record_contact(
        writable_sample_engine, staff, hid, {"contacted_on": date.today(), "method": "visit"}
    )
    with Session(writable_sample_engine) as session:
        assert hid not in [i.household_id for i in urgency.start_page(session, staff).urgent]


def test_follow_up_plan_past_date_assignee_and_review(writable_sample_engine: Engine) -> None:
    with Session(writable_sample_engine) as session:
        staff = actor_for(session, "staff_east")
        hid = _quiet_household(session, staff)
        plan = access.follow_up_plan(session, staff, hid)
        names = dict(plan.assignable)
        west_id = session.scalar(select(User.id).where(User.username == "staff_west"))
        assert staff.user_id in names and west_id not in names
        with pytest.raises(access.AccessDenied):
            access.follow_up_plan(session, actor_for(session, "meeting_east"), hid)
    today = date.today()
    version = follow_up.save_plan(
        writable_sample_engine,
        staff,
        hid,
        {"next_visit_on": today - timedelta(days=3), "assignee_id": staff.user_id},
        version=plan.version,
    )
    with pytest.raises(records.StaleRecord):
        follow_up.save_plan(
            writable_sample_engine, staff, hid, {"next_visit_on": today}, version=plan.version
        )
    with pytest.raises(records.ValidationFailed) as failed:
        follow_up.save_plan(
            writable_sample_engine, staff, hid, {"assignee_id": west_id}, version=version
        )
    assert "「担当」" in failed.value.message
    with Session(writable_sample_engine) as session:
        planned = urgency.start_page(session, staff).planned
        item = next(i for i in planned if i.household_id == hid)
        assert item.days == 3 and item.assignee_name
        # a household registered 13 months ago and never reviewed is due for review
        household = session.get(Household, hid)
        assert household is not None
        household.reviewed_on = today - timedelta(days=400)
        session.commit()
        version = household.version
        assert hid in [i.household_id for i in urgency.start_page(session, staff).review]
    follow_up.mark_reviewed(writable_sample_engine, staff, hid, version=version)
    records.record_contact(
        writable_sample_engine, staff, hid, {"contacted_on": today, "method": "visit"}
    )
    with Session(writable_sample_engine) as session:
        work = urgency.start_page(session, staff)
        assert hid not in [i.household_id for i in work.review + work.planned]
        updates = session.scalars(
            select(AuditEntry).where(
                AuditEntry.action == "update", AuditEntry.entity == "household"
            )
        ).all()
        assert [e.detail["fields"] for e in updates][-2:] == [
            ["next_visit_on", "assignee_id"],
            ["reviewed_on"],
        ]


def test_start_page_and_coverage_share_one_lapse_rule(sample_session: Session) -> None:
    staff = actor_for(sample_session, "staff_east")
    work = urgency.start_page(sample_session, staff, today=SAMPLE_TODAY)
    view = coverage_for(sample_session, staff, today=SAMPLE_TODAY, straight_line=True)
    table = view.result.households
    stale = set(table.loc[table["stale"], "id"].tolist())
    overdue = {i.household_id for i in work.overdue}
    assert overdue & set(table["id"].tolist()) == stale
    assert stale  # the rule finds something in the sample


def test_only_logged_links_set_the_interval(sample_session: Session) -> None:
    daily_unlogged = sample_session.scalars(
        select(WatchLink).where(WatchLink.frequency == "daily", WatchLink.logged.is_(False))
    ).all()
    assert daily_unlogged, "the sample has neighbours' daily greetings, not logged"
    assert sample_session.scalars(
        select(WatchLink).join(WatchLink.watcher).where(WatchLink.logged.is_(True))
    ).first()
    staff = actor_for(sample_session, "staff_east")
    facts = {f.household_id: f for f in access.contact_facts(sample_session, staff)}
    for link in daily_unlogged:
        if link.household_id in facts:
            assert "daily" not in facts[link.household_id].frequencies or any(
                other.logged and other.frequency == "daily"
                for other in sample_session.scalars(
                    select(WatchLink).where(WatchLink.household_id == link.household_id)
                )
            )


def test_a_link_says_whether_its_contacts_are_logged(writable_sample_engine: Engine) -> None:
    with Session(writable_sample_engine) as session:
        staff = actor_for(session, "staff_east")
        hid = _quiet_household(session, staff)
        district = session.scalar(select(Household.district_id).where(Household.id == hid))
    made = {
        role: records.create_watcher(
            writable_sample_engine,
            staff,
            {"name": f"試験 {role}", "role": role, "district_id": district},
        )
        for role in ("commissioner", "neighbour")
    }
    commissioner = records.link_watcher(
        writable_sample_engine, staff, hid, made["commissioner"], "greeting", "weekly"
    )
    neighbour = records.link_watcher(
        writable_sample_engine, staff, hid, made["neighbour"], "greeting", "daily"
    )
    with Session(writable_sample_engine) as session:
        assert session.get(WatchLink, commissioner).logged is True  # type: ignore[union-attr]
        link = session.get(WatchLink, neighbour)
        assert link is not None and link.logged is False
        version = link.version
        facts = access.contact_facts(session, staff, hid)[0]
        assert "weekly" in facts.frequencies and "daily" not in facts.frequencies
        shown = {w.name: w.logged for w in access.watch_record(session, staff, hid).watchers}
        assert shown["試験 commissioner"] == (True,) and shown["試験 neighbour"] == (False,)
        session.rollback()
    records.update(
        writable_sample_engine, staff, "watch_link", neighbour, {"logged": True}, version=version
    )
    with Session(writable_sample_engine) as session:
        assert "daily" in access.contact_facts(session, staff, hid)[0].frequencies
