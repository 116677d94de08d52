"""The pages of a meeting's work run for each role: a meeting proposes 「変わりなし」 on the
page, staff confirm it on the 確認待ち list; the register and the 緊急連絡表 render."""

from __future__ import annotations

import pytest
from conftest import actor_for
from helpers import open_page
from sqlalchemy import select
from sqlalchemy.orm import Session

from lsmap.storage import db
from lsmap.storage.meeting_models import HouseholdReview, MeetingProposal


def _actor(url: str, username: str):  # type: ignore[no-untyped-def]
    with Session(db.get_engine(url)) as session:
        return actor_for(session, username)


def test_a_meeting_proposes_on_the_page_and_staff_confirm_it(
    app_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = open_page("proposals", _actor(app_url, "meeting_east"), app_url, monkeypatch)
    assert not at.exception
    assert [t.label for t in at.tabs] == [
        "気がかりな世帯の追加",
        "見守り者の提案",
        "見直し済み",
        "町内「変わりなし」",
    ]
    assert not [m for m in at.markdown if "確認待ち" in m.value]  # a meeting does not confirm
    [send] = [b for b in at.button if b.label == "「変わりなし」を提案する"]
    at = send.click().run()
    assert not at.exception
    assert any("提案しました" in s.value for s in at.success)
    with Session(db.get_engine(app_url)) as session:
        [proposal] = session.scalars(select(MeetingProposal)).all()
        assert (proposal.kind, proposal.status, proposal.proposed_by) == (
            "no_change",
            "pending",
            "meeting_east",
        )

    for username, told in (("staff_east", True), ("staff_west", False)):  # 要対応 says so
        start = open_page("start", _actor(app_url, username), app_url, monkeypatch)
        assert not start.exception
        assert any("会議からの提案が 1 件" in i.value for i in start.info) == told

    west = open_page("proposals", _actor(app_url, "staff_west"), app_url, monkeypatch)
    assert any("確認待ちの提案はありません" in c.value for c in west.caption)

    staff = open_page("proposals", _actor(app_url, "staff_east"), app_url, monkeypatch)
    assert not staff.exception
    assert any("1 件の提案" in c.value for c in staff.caption)
    [confirm] = [b for b in staff.button if b.label == "確認して記録にする"]
    staff = confirm.click().run()
    assert not staff.exception
    assert any("記録にしました" in s.value for s in staff.success)
    with Session(db.get_engine(app_url)) as session:
        assert session.scalar(select(MeetingProposal.status)) == "confirmed"
        assert session.scalars(select(HouseholdReview)).first() is not None


@pytest.mark.parametrize("username", ["meeting_east", "staff_east"])
def test_register_and_contact_sheet_pages_render(
    app_url: str, monkeypatch: pytest.MonkeyPatch, username: str
) -> None:
    who = _actor(app_url, username)
    register = open_page("meetings", who, app_url, monkeypatch)
    assert not register.exception
    assert any(b.label == "記録する" for b in register.button)
    sheet = open_page("contact_sheet", who, app_url, monkeypatch)
    assert not sheet.exception
    assert any(b.label == "緊急連絡表（PDF）を作る" for b in sheet.button)
    editable = any(b.label == "この区分を保存" for b in sheet.button)
    assert editable == (username == "staff_east")
