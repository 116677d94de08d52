"""Watcher accounts and 「わたしの見守り」 (issue 13): a 見守り者 reports from its phone on its
own households only; 「会えた・元気」 is one tap from the list; an urgent tick reaches district
staff's 要対応 at once with who reported, and the watcher is told to call 119 when life is
at stake."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from conftest import actor_for
from helpers import EAST, open_page
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from lsmap import access
from lsmap.access.accounts import AccountError, create_user
from lsmap.records import urgency
from lsmap.records.watcher_reports import URGENT_NOTICE, Report, report_contact
from lsmap.storage import db
from lsmap.storage.models import AuditEntry, ContactLog, District, Household, Watcher, WatchLink
from lsmap.vocab import WARNING_SIGNS


def _url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def _east_watcher(session: Session) -> int:
    """A live 東地区 watcher with at least two linked open households, none urgent now."""
    east = session.scalar(select(District.id).where(District.code == EAST))
    inside = access.expand_districts(session, {east})
    counts = session.execute(
        select(WatchLink.watcher_id, func.count())
        .join(Household, Household.id == WatchLink.household_id)
        .join(Watcher, Watcher.id == WatchLink.watcher_id)
        .where(
            WatchLink.deleted_at.is_(None),
            Household.deleted_at.is_(None),
            Household.closed_on.is_(None),
            Household.district_id.in_(sorted(inside)),
            Watcher.deleted_at.is_(None),
        )
        .group_by(WatchLink.watcher_id)
        .having(func.count() >= 2)
        .order_by(WatchLink.watcher_id)
    ).all()
    assert counts, "no east watcher with two households"
    return int(counts[0][0])


def _watcher_account(engine: Engine, name: str = "mimamori") -> access.Actor:
    with db.transaction(engine) as session:
        watcher_id = _east_watcher(session)
        create_user(session, name, "watcher", "", watcher_id=watcher_id, display_name="見守り花子")
    with Session(engine) as session:
        return actor_for(session, name)


def test_watcher_account_needs_one_live_watcher_row(writable_sample_engine: Engine) -> None:
    with db.transaction(writable_sample_engine) as session:
        watcher_id = _east_watcher(session)
        with pytest.raises(AccountError, match="見守り者"):
            create_user(session, "w0", "watcher", "")  # no watcher row named
        with pytest.raises(AccountError, match="見守り者"):
            create_user(session, "s0", "staff", "password-123", watcher_id=watcher_id)
        with pytest.raises(AccountError, match="パスワード"):
            create_user(session, "s1", "staff", "")  # only a watcher may have no password
        create_user(session, "w1", "watcher", "", watcher_id=watcher_id)
        with pytest.raises(AccountError, match="既にアカウント"):
            create_user(session, "w2", "watcher", "", watcher_id=watcher_id)


def test_watcher_reports_only_on_its_own_households(writable_sample_engine: Engine) -> None:
    engine = writable_sample_engine
    watcher = _watcher_account(engine)
    with Session(engine) as session:
        mine = {h.household_id for h in access.my_households(session, watcher, audited=False)}
        other = session.scalar(
            select(Household.id)
            .where(Household.id.not_in(mine), Household.deleted_at.is_(None))
            .order_by(Household.id)
        )
    assert mine and other is not None
    with pytest.raises(access.AccessDenied):
        report_contact(engine, watcher, other, Report.MET_WELL, on=date.today())
    saved = report_contact(engine, watcher, min(mine), Report.MET_WELL, on=date.today())
    assert not saved.urgent
    with Session(engine) as session:
        row = session.get_one(ContactLog, saved.contact_id)
        assert (row.watcher_id, row.method, row.outcome) == (watcher.watcher_id, "visit", "met")
        assert row.recorded_by == "見守り花子"
        entries = session.execute(
            select(AuditEntry.username, AuditEntry.action, AuditEntry.entity_ids)
        ).all()
    assert ("mimamori", "create", [saved.contact_id]) in entries
    assert ("mimamori", "access_denied", [other]) in entries


def test_not_met_and_worry_never_close_an_urgent_sign(writable_sample_engine: Engine) -> None:
    """Only 会えた・元気 is a visit: a failed visit does not take the household off 要対応."""
    engine = writable_sample_engine
    watcher = _watcher_account(engine)
    with Session(engine) as session:
        hid = access.my_households(session, watcher, audited=False)[0].household_id
    yesterday = date.today() - timedelta(days=1)
    report_contact(
        engine, watcher, hid, Report.WORRIED, on=yesterday, signs=["not_seen"], note="雨戸"
    )
    report_contact(engine, watcher, hid, Report.NOT_MET, on=date.today())
    with Session(engine) as session:
        staff = actor_for(session, "staff_east")
        assert hid in {i.household_id for i in urgency.start_page(session, staff).urgent}
    report_contact(engine, watcher, hid, Report.MET_WELL, on=date.today())
    with Session(engine) as session:
        assert hid not in {i.household_id for i in urgency.start_page(session, staff).urgent}


def _button(at, label: str, index: int = 0):  # type: ignore[no-untyped-def]
    return [b for b in at.button if b.label == label][index]


def test_my_watch_page_one_tap_and_urgent_tick_reach_staff(
    writable_sample_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = writable_sample_engine
    watcher = _watcher_account(engine)
    with Session(engine) as session:
        first, second = access.my_households(session, watcher, audited=False)[:2]
    at = open_page("mine", watcher, _url(engine), monkeypatch)
    assert not at.exception, at.exception
    assert at.title[0].value == "わたしの見守り"
    assert [r.value for r in at.radio] == ["today"]  # 今日 / 昨日, no calendar
    assert not at.get("date_input")
    text = " ".join(m.value for m in at.markdown)
    assert f"No.{first.number}" in text and f"No.{second.number}" in text
    # 「会えた・元気」: one tap from the list
    _button(at, "会えた・元気", 0).click().run()
    assert not at.exception, at.exception
    assert "「会えた・元気」を記録しました" in [s.value for s in at.success]
    # 「気になることがある」 on the second: the staff form's checklist, an urgent tick
    _button(at, "気になることがある", 1).click().run()
    assert [c.label for c in at.checkbox] == list(WARNING_SIGNS.values())
    next(c for c in at.checkbox if c.label == WARNING_SIGNS["lifeline_stopped"]).check()
    at.text_area[0].input("郵便受けがいっぱい")
    _button(at, "社協に送る").click().run()
    assert not at.exception, at.exception
    assert URGENT_NOTICE in [e.value for e in at.error]
    with Session(engine) as session:
        logged = session.execute(
            select(ContactLog.household_id, ContactLog.outcome, ContactLog.signs)
            .where(ContactLog.watcher_id == watcher.watcher_id)
            .order_by(ContactLog.id.desc())
            .limit(2)
        ).all()
        staff = actor_for(session, "staff_east")
        urgent = {i.household_id: i for i in urgency.start_page(session, staff).urgent}
    assert (second.household_id, "", ["lifeline_stopped"]) == tuple(logged[0])
    assert (first.household_id, "met") == tuple(logged[1][:2])
    item = urgent[second.household_id]
    assert item.signs == ("lifeline_stopped",) and item.since == date.today()
    assert item.reported_by  # the watcher's name, on 要対応
    start = open_page("start", staff, _url(engine), monkeypatch)
    assert any(f"報告：{item.reported_by}" in m.value for m in start.markdown)


def test_pages_of_a_watcher(writable_sample_engine: Engine) -> None:
    watcher = _watcher_account(writable_sample_engine)
    assert access.pages_for_role(watcher) == ["mine"]
    with Session(writable_sample_engine) as session:
        staff = actor_for(session, "staff_east")
    assert "mine" not in access.pages_for_role(staff)


def test_cli_adds_a_watcher_account(empty_url: str, lsmap) -> None:  # type: ignore[no-untyped-def]
    assert lsmap(empty_url, "sample", "load").returncode == 0
    engine = db.get_engine(empty_url)
    with Session(engine) as session:
        watcher_id = _east_watcher(session)
    added = lsmap(
        empty_url, "users", "add", "yamada", "--role", "watcher", "--watcher", str(watcher_id)
    )
    assert added.returncode == 0, added.stderr
    assert "yamada\t見守り者" in lsmap(empty_url, "users", "list").stdout
    with Session(engine) as session:
        actor = actor_for(session, "yamada")
        assert actor.watcher_id == watcher_id and access.my_households(session, actor)
    again = lsmap(
        empty_url, "users", "add", "sato", "--role", "watcher", "--watcher", str(watcher_id)
    )
    assert again.returncode == 1 and "既にアカウント" in again.stderr
    staff = lsmap(empty_url, "users", "add", "ito", "--role", "staff", "--watcher", str(watcher_id))
    assert staff.returncode == 1 and "見守り者" in staff.stderr


# ------------------------------------------------------------------ one-time sign-in codes


def _staff_made_account(engine: Engine) -> tuple[access.Actor, int]:
    """staff_east makes the account of an east watcher; (staff, the account's user id)."""
    from lsmap.records import users

    with Session(engine) as session:
        staff = actor_for(session, "staff_east")
        west = actor_for(session, "staff_west")
        watcher_id = _east_watcher(session)
    with pytest.raises(access.AccessDenied):  # another district's staff may not
        users.add_watcher_account(engine, west, "nope", watcher_id)
    return staff, users.add_watcher_account(engine, staff, "hanako", watcher_id)


def test_one_time_code_is_single_use_revocable_and_expires(writable_sample_engine: Engine) -> None:
    from sqlalchemy import update

    from lsmap.access.accounts import AccountError
    from lsmap.access.sign_in_codes import issue_code, login_with_code, revoke_codes, shown
    from lsmap.storage.models import SignInCode

    engine = writable_sample_engine
    staff, user_id = _staff_made_account(engine)
    with Session(engine) as session:
        west = actor_for(session, "staff_west")
        east_staff_id = staff.user_id
    with db.transaction(engine) as session, pytest.raises(access.AccessDenied):
        issue_code(session, west, user_id)  # not west's watcher
    with db.transaction(engine) as session, pytest.raises(access.AccessDenied):
        issue_code(session, staff, east_staff_id)  # codes only for watcher accounts
    with db.transaction(engine) as session:
        first = issue_code(session, staff, user_id)
    assert len(first) == 12 and first.isdigit()
    with Session(engine) as session:  # only the hash is stored
        stored = session.scalars(select(SignInCode.code_hash)).all()
        assert first not in " ".join(stored)
    assert login_with_code(engine, shown(first))[0] == user_id  # typed with spaces
    with pytest.raises(AccountError):
        login_with_code(engine, first)  # single use
    with db.transaction(engine) as session:
        second = issue_code(session, staff, user_id)
    with db.transaction(engine) as session:
        third = issue_code(session, staff, user_id)  # revokes the second
    with pytest.raises(AccountError):
        login_with_code(engine, second)
    with db.transaction(engine) as session:
        assert revoke_codes(session, staff, user_id) == 1
    with pytest.raises(AccountError):
        login_with_code(engine, third)
    with db.transaction(engine) as session:
        fourth = issue_code(session, staff, user_id)
        session.execute(update(SignInCode).values(expires_at=SignInCode.created_at))
    with pytest.raises(AccountError):
        login_with_code(engine, fourth)  # expired
    with Session(engine) as session:
        actions = session.scalars(
            select(AuditEntry.action).where(AuditEntry.entity_ids.is_not(None))
        ).all()
    for action in ("issue_code", "use_code", "revoke_code", "login_failed"):
        assert action in actions


def test_code_signs_in_on_the_login_page_to_my_watch(
    writable_sample_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pathlib import Path

    from streamlit.testing.v1 import AppTest

    from lsmap.access.sign_in_codes import issue_code

    engine = writable_sample_engine
    staff, user_id = _staff_made_account(engine)
    with db.transaction(engine) as session:
        code = issue_code(session, staff, user_id)
    monkeypatch.setenv("LSMAP_DATABASE_URL", _url(engine))
    monkeypatch.setenv("LSMAP_BASEMAP", "none")
    app = Path(__file__).resolve().parent.parent / "app.py"
    at = AppTest.from_file(str(app), default_timeout=60).run()
    box = next(t for t in at.text_input if t.label.startswith("ワンタイムコード"))
    box.input(code)
    next(b for b in at.button if b.label == "コードで入る").click().run()
    assert not at.exception, at.exception
    assert [t.value for t in at.title] == ["わたしの見守り"]
    assert [b.label for b in at.button].count("会えた・元気") >= 2


def test_staff_make_watcher_accounts_on_the_watchers_page(
    writable_sample_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = writable_sample_engine
    with Session(engine) as session:
        staff = actor_for(session, "staff_east")
    at = open_page("watchers", staff, _url(engine), monkeypatch)
    assert not at.exception, at.exception
    next(t for t in at.text_input if t.label == "ユーザー名（ログイン名）").input("tomoko")
    next(b for b in at.button if b.label == "見守り者のアカウントを作る").click().run()
    assert not at.exception, at.exception
    with Session(engine) as session:
        made = actor_for(session, "tomoko")
    assert access.watches_own(made) and made.watcher_id is not None
    next(b for b in at.button if b.label == "ワンタイムコードを発行").click().run()
    assert not at.exception, at.exception
    assert any("ワンタイムコード" in s.value for s in at.success)


def test_staff_record_the_persons_agreement_on_the_link(writable_sample_engine: Engine) -> None:
    """Staff tick 「本人の了解」 on a link: the watcher then sees the 氏名 of a household
    without 同意 (never its phone or card); untick, and it is number and address again."""
    from sqlalchemy import update

    from lsmap import records
    from lsmap.storage.models import Resident

    engine = writable_sample_engine
    watcher = _watcher_account(engine)
    with db.transaction(engine) as session:
        hid = access.my_households(session, watcher, audited=False)[0].household_id
        session.execute(
            update(Resident).where(Resident.household_id == hid).values(consent_status="refused")
        )
        link = session.scalars(
            select(WatchLink).where(
                WatchLink.household_id == hid, WatchLink.watcher_id == watcher.watcher_id
            )
        ).first()
        assert link is not None
        link_id, version = link.id, link.version
        staff = actor_for(session, "staff_east")

    def seen() -> access.MyHousehold:
        with Session(engine) as session:
            mine = access.my_households(session, watcher, audited=False)
        return next(h for h in mine if h.household_id == hid)

    assert seen().level == "number" and not seen().names
    version = records.update(
        engine, staff, "watch_link", link_id, {"agreed": True}, version=version
    )
    shown_now = seen()
    assert shown_now.level == "agreed" and shown_now.names
    assert not shown_now.phones and not shown_now.emergency
    records.update(engine, staff, "watch_link", link_id, {"agreed": False}, version=version)
    assert seen().level == "number"


@pytest.mark.parametrize("sign", ["lifeline_stopped", "not_seen", "no_response"])
def test_each_urgent_tick_tops_staff_start_page_with_who_reported(
    writable_sample_engine: Engine, sign: str
) -> None:
    engine = writable_sample_engine
    watcher = _watcher_account(engine)
    with Session(engine) as session:
        hid = access.my_households(session, watcher, audited=False)[0].household_id
        name = session.get_one(Watcher, watcher.watcher_id).name
        staff = actor_for(session, "staff_east")
        assert hid not in {i.household_id for i in urgency.start_page(session, staff).urgent}
    saved = report_contact(engine, watcher, hid, Report.WORRIED, on=date.today(), signs=[sign])
    assert saved.urgent
    with Session(engine) as session:
        urgent = {i.household_id: i for i in urgency.start_page(session, staff).urgent}
        west = actor_for(session, "staff_west")
        assert hid not in {i.household_id for i in urgency.start_page(session, west).urgent}
    assert urgent[hid].signs == (sign,) and urgent[hid].reported_by == name


def test_guessing_codes_stops_code_sign_ins_for_a_while(
    writable_sample_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lsmap.access import sign_in_codes
    from lsmap.access.accounts import AccountError
    from lsmap.access.sign_in_codes import MAX_CODE_FAILURES, issue_code, login_with_code

    engine = writable_sample_engine
    staff, user_id = _staff_made_account(engine)
    with db.transaction(engine) as session:
        code = issue_code(session, staff, user_id)
    for guess in range(MAX_CODE_FAILURES):
        with pytest.raises(AccountError):
            login_with_code(engine, f"{guess:012d}")
    with pytest.raises(AccountError):
        login_with_code(engine, code)  # the right code, refused while guessing goes on
    monkeypatch.setattr(sign_in_codes, "CODE_FAILURE_WINDOW", timedelta(0))  # it passes
    assert login_with_code(engine, code)[0] == user_id  # and was not used up meanwhile


def test_deleted_watcher_row_or_closed_household_drops_out(writable_sample_engine: Engine) -> None:
    from sqlalchemy import update

    from lsmap.storage.models import utcnow

    engine = writable_sample_engine
    watcher = _watcher_account(engine)
    with Session(engine) as session:
        first, second = [h.household_id for h in access.my_households(session, watcher)][:2]
    with db.transaction(engine) as session:
        session.execute(
            update(Household).where(Household.id == first).values(closed_on=date.today())
        )
    with Session(engine) as session:
        left = {h.household_id for h in access.my_households(session, watcher, audited=False)}
        assert first not in left and second in left
        assert not access.may_report_on(session, watcher, first)
    with db.transaction(engine) as session:
        session.execute(
            update(Watcher).where(Watcher.id == watcher.watcher_id).values(deleted_at=utcnow())
        )
    with Session(engine) as session:
        assert access.my_households(session, watcher, audited=False) == []
    with pytest.raises(access.AccessDenied):
        report_contact(engine, watcher, second, Report.MET_WELL, on=date.today())


def test_monthly_activity_counts_match_the_logged_contacts(
    writable_sample_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lsmap.storage.models import Household as H
    from lsmap.ui.pages.mine_page import activity_table

    engine = writable_sample_engine
    watcher = _watcher_account(engine)
    today = date.today()
    first_day = today.replace(day=1)
    following = (first_day + timedelta(days=32)).replace(day=1)
    with Session(engine) as session:
        mine = access.my_households(session, watcher, audited=False)
        before = access.monthly_activity(session, watcher, first_day, following)
        types = {h.household_id: session.get_one(H, h.household_id).household_type for h in mine}
    a, b = mine[0].household_id, mine[1].household_id
    report_contact(engine, watcher, a, Report.MET_WELL, on=today)
    report_contact(engine, watcher, b, Report.MET_WELL, on=today)
    report_contact(engine, watcher, b, Report.WORRIED, on=today, signs=["mail_piling"])
    with Session(engine) as session:
        after = access.monthly_activity(session, watcher, first_day, following)
        staff = actor_for(session, "staff_east")
        with pytest.raises(access.AccessDenied):
            access.monthly_activity(session, staff, first_day, following)
    field = {hid: access.my_watch.HOUSEHOLD_FIELD.get(t, "other") for hid, t in types.items()}
    expected = dict(before)
    for hid, method in ((a, "visit"), (b, "visit"), (b, "other")):
        expected[(method, field[hid])] = expected.get((method, field[hid]), 0) + 1
    assert after == expected
    table = activity_table(after)
    assert int(table["合計"].sum()) == sum(after.values())
    page = open_page("mine", watcher, _url(engine), monkeypatch)
    assert not page.exception, page.exception
    assert page.table  # the 活動記録 is drawn
