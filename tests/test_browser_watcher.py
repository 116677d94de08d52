"""Real browser at 390×844 (issue 13): a 見守り者 signs in with a one-time code, taps
「会えた・元気」 for one household (one tap from the list) and reports 「気になることがある」 with
新聞・郵便物がたまる for another; district staff then read both. Text ≥ 16 px, buttons ≥ 44 px.
Screenshots go to the folder LSMAP_SHOTS names (none when unset)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from conftest import actor_for
from sqlalchemy.orm import Session
from test_watcher_accounts import _east_watcher

from lsmap import access
from lsmap.access.sign_in_codes import issue_code, shown
from lsmap.records import users
from lsmap.storage import db
from lsmap.vocab import WARNING_SIGNS

pytestmark = pytest.mark.browser
SHOTS = Path(os.environ["LSMAP_SHOTS"]) if os.environ.get("LSMAP_SHOTS") else None


@pytest.fixture
def app_url(browser_app_url: str) -> str:
    """A fresh sample town in the database of the shared app servers."""
    return browser_app_url


@pytest.fixture
def base_url(app_url: str, app_servers) -> str:  # type: ignore[no-untyped-def]
    return app_servers("none")


def _code(app_url: str) -> tuple[str, list[int]]:
    """A watcher account of an east watcher made by staff_east, its code and households."""
    engine = db.get_engine(app_url)
    with Session(engine) as session:
        staff = actor_for(session, "staff_east")
        watcher_id = _east_watcher(session)
    user_id = users.add_watcher_account(engine, staff, "phone_watcher", watcher_id)
    with db.transaction(engine) as session:
        code = issue_code(session, staff, user_id)
    with Session(engine) as session:
        watcher = actor_for(session, "phone_watcher")
        mine = [h.household_id for h in access.my_households(session, watcher, audited=False)]
    return code, mine


def _shoot(page, name: str) -> None:  # type: ignore[no-untyped-def]
    if SHOTS is None:
        return
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / name))


def test_watcher_reports_from_a_phone(chromium, base_url: str, app_url: str) -> None:  # type: ignore[no-untyped-def]
    code, mine = _code(app_url)
    first, second = mine[:2]
    context = chromium.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, locale="ja-JP"
    )
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.goto(base_url)
    page.get_by_label("ワンタイムコード（12桁の数字）").fill(shown(code))
    page.get_by_role("button", name="コードで入る").click()
    met = page.locator(f".st-key-mine-met-{first} button")
    met.wait_for()
    _shoot(page, "phone_my_watch.png")
    box = met.bounding_box()
    assert box is not None and box["height"] >= 44
    size = met.evaluate("b => parseFloat(getComputedStyle(b.querySelector('p') || b).fontSize)")
    assert size >= 16
    body = page.get_by_text("わたしの関わり方", exact=False).first
    assert body.evaluate("e => parseFloat(getComputedStyle(e).fontSize)") >= 16
    met.click()  # one tap from the list
    page.get_by_text("「会えた・元気」を記録しました").wait_for()
    page.locator(f".st-key-mine-worry-{second} button").click()
    page.get_by_text(WARNING_SIGNS["mail_piling"]).click()
    _shoot(page, "phone_worry_form.png")
    page.get_by_role("button", name="社協に送る").click()
    sent = page.get_by_text("「気になることがある」を社協に送りました")
    sent.wait_for()
    page.get_by_role("button", name="社協に送る").wait_for(state="detached")  # form closed
    sent.scroll_into_view_if_needed()
    page.wait_for_timeout(300)
    _shoot(page, "phone_worry_sent.png")
    context.close()
    with Session(db.get_engine(app_url)) as session:
        staff = actor_for(session, "staff_east")
        latest = {
            hid: access.contact_history(session, staff, hid).entries[0] for hid in (first, second)
        }
        session.rollback()
    assert latest[first].outcome == "met" and latest[first].method == "visit"
    assert list(latest[second].signs) == ["mail_piling"]
