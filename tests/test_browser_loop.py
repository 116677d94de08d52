"""Real browser, the daily loop (issue 12): search a resident by katakana → record →
「見守りを記録」 with two 気づき → the entry tops the history → the household moves to the
top group of 要対応. Once on a desktop, once on a 390×844 phone in at most four taps plus
typing. Screenshots go to the folder LSMAP_SHOTS names, for people to look at (none when unset).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from conftest import actor_for
from sqlalchemy import select
from sqlalchemy.orm import Session

from lsmap import access
from lsmap.access.accounts import DEMO_PASSWORD
from lsmap.records import urgency
from lsmap.storage import db
from lsmap.storage.models import ContactLog, Household, Resident

pytestmark = pytest.mark.browser
SHOTS = Path(os.environ["LSMAP_SHOTS"]) if os.environ.get("LSMAP_SHOTS") else None


@pytest.fixture
def app_url(browser_app_url: str) -> str:
    """A fresh sample town in the database of the shared app servers."""
    return browser_app_url


@pytest.fixture
def base_url(app_url: str, app_servers) -> str:  # type: ignore[no-untyped-def]
    return app_servers("none")


@pytest.fixture
def browser(chromium):  # type: ignore[no-untyped-def]
    """The session's one Chromium (tests open their own contexts)."""
    return chromium


def _katakana(text: str) -> str:
    return "".join(chr(ord(c) + 0x60) if "ぁ" <= c <= "ゖ" else c for c in text)


def _targets(app_url: str, count: int) -> list[tuple[int, int, str]]:
    """(household id, 世帯番号, furigana) of quiet east households with a unique furigana."""
    found = []
    with Session(db.get_engine(app_url)) as session:
        staff = actor_for(session, "staff_east")
        quiet = [
            f.household_id
            for f in access.contact_facts(session, staff)
            if f.label and urgency.urgent_since(f) is None
        ]
        furigana = session.execute(select(Resident.furigana, Resident.household_id)).all()
        counts: dict[str, int] = {}
        for kana, _ in furigana:
            counts[kana.replace("　", "")] = counts.get(kana.replace("　", ""), 0) + 1
        by_household = {hid: kana for kana, hid in furigana if counts[kana.replace("　", "")] == 1}
        for hid in quiet:
            if hid in by_household and len(found) < count:
                number = session.scalar(select(Household.number).where(Household.id == hid))
                found.append((hid, int(number or hid), by_household[hid]))
        session.rollback()
    assert len(found) == count
    return found


def _login(page, base_url: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(base_url)
    page.get_by_label("ユーザー名").fill("staff_east")
    page.get_by_label("パスワード").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    page.get_by_text("要対応の世帯（担当地区）").wait_for()


class Taps:
    """Counts the taps (clicks) of a flow; typing is free."""

    def __init__(self) -> None:
        self.count = 0

    def tap(self, locator) -> None:  # type: ignore[no-untyped-def]
        locator.click()
        self.count += 1


def _loop(page, number: int, furigana: str, signs: tuple[str, str], taps: Taps) -> None:  # type: ignore[no-untyped-def]
    """Search by katakana, open the record, log a visit with two 気づき."""
    box = page.get_by_role("textbox", name="世帯をさがす").locator("visible=true").first
    box.fill(_katakana(furigana.replace("　", " ")))
    box.press("Enter")
    result = page.get_by_role("button", name=re.compile(rf"^No\.{number} ")).first
    result.wait_for()
    _shoot(page, f"search_results_{page.viewport_size['width']}.png")
    taps.tap(result)
    page.get_by_text(f"見守りネットワーク記録 — 世帯番号 {number}").wait_for()
    for sign in signs:
        taps.tap(page.get_by_text(sign, exact=True).locator("visible=true").first)
    taps.tap(page.get_by_role("button", name="記録する", exact=True))
    page.get_by_text("見守りを記録しました").wait_for()


def _shoot(page, name: str, *, top: bool = True) -> None:  # type: ignore[no-untyped-def]
    """A screenshot of the viewport, scrolled to the top of the page first (Streamlit
    scrolls its main area, not the document)."""
    if top:
        page.evaluate(
            "() => document.querySelectorAll('[data-testid=stMain], section.main')"
            ".forEach(e => e.scrollTo(0, 0))"
        )
        page.wait_for_timeout(300)
    if SHOTS is None:
        return
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / name))


def _urgent_section(page) -> str:  # type: ignore[no-untyped-def]
    """The text of 要対応's urgent group, once the page has drawn it and the group after it."""
    for heading in ("緊急のサインがあり訪問で確認されていない世帯", "次回の訪問予定日を過ぎた世帯"):
        page.get_by_text(heading, exact=False).first.wait_for()
    text = page.locator("[data-testid='stMain']").first.inner_text()
    start = text.index("緊急のサインがあり訪問で確認されていない世帯")
    return text[start : text.index("次回の訪問予定日を過ぎた世帯")]


def test_desktop_loop_search_record_log_and_start_page(
    browser, base_url: str, app_url: str
) -> None:  # type: ignore[no-untyped-def]
    (hid, number, furigana), (other, other_number, _) = _targets(app_url, 2)
    page = browser.new_context(viewport={"width": 1400, "height": 1100}, locale="ja-JP").new_page()
    page.set_default_timeout(30_000)
    _login(page, base_url)
    assert f"No.{number} " not in _urgent_section(page)
    signs = ("2〜3日姿を見ない", "新聞・郵便物がたまる")
    _loop(page, number, furigana, signs, Taps())
    entries = page.locator("[data-testid='stMarkdownContainer']").filter(has_text="気づき")
    newest = entries.filter(has_text="新聞・郵便物がたまる").first.inner_text()
    assert "2〜3日姿を見ない" in newest and "訪問" in newest
    page.get_by_text("緊急:").first.wait_for()  # the banner says why it is urgent now
    _shoot(page, "record_page_top.png")
    page.get_by_text("見守り活動の記録", exact=True).scroll_into_view_if_needed()
    _shoot(page, "record_page_history.png", top=False)
    with Session(db.get_engine(app_url)) as session:
        row = session.scalars(
            select(ContactLog).where(ContactLog.household_id == hid).order_by(ContactLog.id.desc())
        ).first()
        assert row is not None and sorted(row.signs) == ["mail_piling", "not_seen"]

    page.get_by_role("link", name="要対応").click()
    page.get_by_text("要対応の世帯（担当地区）").wait_for()
    page.locator(f".st-key-log-urgent-{hid} button").wait_for()
    assert f"No.{number} " in _urgent_section(page)
    _shoot(page, "start_page.png")
    # the same action, one click from a 要対応 row: a dialog
    page.locator(f".st-key-log-urgent-{hid} button").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_text("種類").first.wait_for()
    dialog.get_by_text(re.compile(rf"^世帯番号 {number} ")).wait_for()
    _shoot(page, "dialog.png", top=False)
    dialog.get_by_text("訪問", exact=True).first.click()
    dialog.get_by_role("button", name="記録する").click()
    page.get_by_text("見守りを記録しました").wait_for()
    page.get_by_role("dialog").wait_for(state="detached")
    for _ in range(40):  # a visit closed the urgent signs: the row leaves the urgent group
        if f"No.{number} " not in _urgent_section(page):
            break
        page.wait_for_timeout(250)
    assert f"No.{number} " not in _urgent_section(page)
    del other, other_number


def test_phone_loop_in_four_taps(browser, base_url: str, app_url: str) -> None:  # type: ignore[no-untyped-def]
    hid, number, furigana = _targets(app_url, 3)[2]
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, locale="ja-JP"
    )
    page = context.new_page()
    page.set_default_timeout(30_000)
    _login(page, base_url)
    taps = Taps()
    _loop(page, number, furigana, ("水道・電気・電話が止められている", "徘徊"), taps)
    assert taps.count <= 4, taps.count
    _shoot(page, "phone_record_after_save.png", top=False)
    _shoot(page, "phone_record_top.png")
    with Session(db.get_engine(app_url)) as session:
        signs = session.scalars(
            select(ContactLog.signs)
            .where(ContactLog.household_id == hid)
            .order_by(ContactLog.id.desc())
        ).first()
        assert sorted(signs or []) == ["lifeline_stopped", "wandering"]
    page.goto(base_url)
    page.get_by_text("要対応の世帯（担当地区）").wait_for()
    page.locator(f".st-key-log-urgent-{hid} button").wait_for()
    assert f"No.{number} " in _urgent_section(page)
    _shoot(page, "phone_start.png")
