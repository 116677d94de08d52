"""Real-browser tests: Playwright drives Debian's Chromium against the running app."""

from __future__ import annotations

import re

import pytest
from browser import wait_for_app_idle, wait_until_quiet
from conftest import actor_for
from helpers import EAST, MARKDOWN_XSS, MD_AUTOLINK, MD_COLOR, MD_IMAGE, MD_LINK, XSS
from sqlalchemy import select
from sqlalchemy.orm import Session

from lsmap import access
from lsmap.access.accounts import DEMO_PASSWORD
from lsmap.escape import WORD_JOINER
from lsmap.storage import db
from lsmap.storage.models import District, EmergencyContact, Household, Resident, User

pytestmark = pytest.mark.browser
MAP_FRAME = 'iframe[title="streamlit_folium.st_folium"]'
FIVE_LAYER_CLASSES = ["households", "watchers", "facility", "salon", "food_bank"]


@pytest.fixture
def app_url(browser_app_url: str) -> str:
    """A fresh sample town in the database of the shared app servers."""
    return browser_app_url


@pytest.fixture
def base_url(app_url: str, app_servers) -> str:  # type: ignore[no-untyped-def]
    return app_servers("none")


@pytest.fixture
def browser(chromium):  # type: ignore[no-untyped-def]
    return chromium


@pytest.fixture
def page(browser, base_url: str):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="ja-JP")
    page = context.new_page()
    page.set_default_timeout(30_000)
    page.dialogs = []  # type: ignore[attr-defined]
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    yield page
    context.close()


def login(page, base_url: str, username: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(base_url)
    page.get_by_label("ユーザー名").fill(username)
    page.get_by_label("パスワード").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    page.get_by_role("button", name="ログアウト").wait_for()
    # staff land on 要対応 and others on the map: open the map by its address either way
    # (a check for the 「地図を開く」 button could run before the start page has drawn it)
    page.goto(f"{base_url}/map")
    page.get_by_text(re.compile("地図 — ")).wait_for()


def test_map_shows_five_layers_and_popup_link_opens_record(page, base_url: str) -> None:  # type: ignore[no-untyped-def]
    login(page, base_url, "staff_east")
    frame = page.frame_locator(MAP_FRAME)
    frame.locator("path.lsmap-households").first.wait_for()
    for key in FIVE_LAYER_CLASSES:
        assert frame.locator(f"path.lsmap-{key}").count() > 0, key
    assert frame.get_by_text("凡例").count() == 1

    marker = frame.locator("path.lsmap-households").first
    household_id = int(re.search(r"lsmap-id-(\d+)", marker.get_attribute("class")).group(1))
    marker.dispatch_event("click")
    link = frame.locator("a.lsmap-record-link")
    link.wait_for()
    assert link.get_attribute("href") == f"/record?household={household_id}"
    with page.context.expect_page() as opened:
        link.click()
    record = opened.value
    record.wait_for_url(re.compile(rf"/record\?household={household_id}$"))
    record.get_by_text(f"見守りネットワーク記録 — 世帯番号 {household_id}").wait_for()
    record.get_by_text("見守り者と関わり方").wait_for()
    assert record.get_by_label("ユーザー名").count() == 0  # signed in by the session cookie
    assert page.get_by_text("地図 — 東地区").count() == 1  # and the map stays open


def test_resident_name_with_html_renders_as_text(page, base_url: str, app_url: str) -> None:  # type: ignore[no-untyped-def]
    with Session(db.get_engine(app_url)) as session:
        staff = actor_for(session, "staff_east")
        household = access.household_points(session, staff, None)[0]
        resident = session.scalars(
            select(Resident).where(Resident.household_id == household.id)
        ).first()
        resident.name = XSS
        session.commit()
    login(page, base_url, "staff_east")
    frame = page.frame_locator(MAP_FRAME)
    frame.locator(f"path.lsmap-id-{household.id}.lsmap-households").dispatch_event("click")
    popup = frame.locator(".leaflet-popup-content")
    popup.wait_for()
    assert XSS in popup.inner_text()
    assert popup.locator("img").count() == 0

    page.goto(f"{base_url}/record?household={household.id}")
    page.get_by_text("見守りネットワーク記録").first.wait_for()
    page.get_by_text("気がかりな人").wait_for()
    # the name is on the page, as text (in the residents table's accessible grid)
    page.get_by_text(XSS).first.wait_for(state="attached")
    wait_for_app_idle(page)
    assert page.locator('img[src="x"]').count() == 0
    assert page.dialogs == []


def test_record_outside_the_district_is_refused(page, base_url: str, app_url: str) -> None:  # type: ignore[no-untyped-def]
    with Session(db.get_engine(app_url)) as session:
        west = access.household_points(session, actor_for(session, "staff_west"), None)[0].id
        session.rollback()
    login(page, base_url, "staff_east")
    page.goto(f"{base_url}/record?household={west}")
    page.get_by_text("この記録は見つからないか、見る権限がありません").wait_for()


def test_visitor_gets_only_the_login_page(page, base_url: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base_url}/record?household=1")
    page.get_by_label("パスワード").wait_for()
    assert page.get_by_text("見守りネットワーク記録").count() == 0


def test_lines_filter_and_numbered_markers(page, base_url: str) -> None:  # type: ignore[no-untyped-def]
    login(page, base_url, "staff_east")
    frame = page.frame_locator(MAP_FRAME)
    frame.locator("path.lsmap-links").first.wait_for()
    lines_before = frame.locator("path.lsmap-links").count()
    households_before = frame.locator("path.lsmap-households").count()
    assert lines_before > households_before / 2

    page.get_by_text("見守り者が0〜1人の世帯だけ表示").click()
    page.wait_for_function(
        """([before]) => {
            const frame = document.querySelector('iframe[title="streamlit_folium.st_folium"]');
            const doc = frame && frame.contentDocument;
            const n = doc ? doc.querySelectorAll('path.lsmap-households').length : 0;
            return n > 0 && n < before;
        }""",
        arg=[households_before],
    )
    frame = page.frame_locator(MAP_FRAME)
    assert frame.locator("path.lsmap-links").count() < lines_before

    page.get_by_text("会議モード（番号で表示）").click()
    page.wait_for_function(
        """() => {
            const frame = document.querySelector('iframe[title="streamlit_folium.st_folium"]');
            return frame && frame.contentDocument &&
                frame.contentDocument.querySelectorAll('.lsmap-number').length > 0;
        }"""
    )
    frame = page.frame_locator(MAP_FRAME)
    marker = frame.locator(".lsmap-number").first
    number = marker.inner_text()
    household_id = int(re.search(r"lsmap-id-(\d+)", marker.get_attribute("class")).group(1))
    marker.dispatch_event("click")
    popup = frame.locator(".leaflet-popup-content")
    popup.wait_for()
    assert f"No.{number}" in popup.inner_text() and "住所" not in popup.inner_text()
    with page.context.expect_page() as opened:
        frame.locator("a.lsmap-record-link").click()
    record = opened.value
    record.get_by_text(f"見守りネットワーク記録 — 世帯番号 {household_id}").wait_for()


@pytest.fixture
def markdown_app(app_url: str, base_url: str) -> tuple[str, int]:
    """The sample town served with Markdown payloads in a household's resident and
    emergency-contact names, the imported names of 東地区 and of the household's town, and
    staff_east's display name."""
    engine = db.get_engine(app_url)
    with Session(engine) as session:
        staff = actor_for(session, "staff_east")
        visible = {p.id for p in access.household_points(session, staff, None)}
        card = session.scalars(
            select(EmergencyContact).where(EmergencyContact.household_id.in_(visible))
        ).first()
        for resident in session.scalars(
            select(Resident).where(Resident.household_id == card.household_id)
        ):
            resident.name = MD_LINK
        card.name = MD_IMAGE
        town = session.get(Household, card.household_id).district_id
        for district in session.scalars(
            select(District).where((District.code == EAST) | (District.id == town))
        ):
            district.name = MARKDOWN_XSS  # as if imported so
        session.scalars(select(User).where(User.username == "staff_east")).one().display_name = (
            MD_COLOR + MD_AUTOLINK
        )
        session.commit()
        household_id = card.household_id
    return base_url, household_id


def test_markdown_in_names_renders_as_text_and_fetches_nothing(browser, markdown_app) -> None:  # type: ignore[no-untyped-def]
    base, household_id = markdown_app
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="ja-JP")
    page = context.new_page()
    page.set_default_timeout(30_000)
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))

    def no_markup() -> str:
        """The page's text as shown (word joiners dropped), after checking it has no markup."""
        wait_until_quiet(page, requested)
        # (a heading's own anchor, href="#…", may carry the words of the heading)
        markup = page.locator(
            'a[href*="evil"]:not([href^="#"]), img[src*="evil"], .katex, '
            '[data-testid="stMain"] span[role="img"]'
        )
        assert markup.evaluate_all("found => found.map(e => e.outerHTML)") == []
        return page.locator("body").inner_text().replace(WORD_JOINER, "")

    login(page, base, "staff_east")
    page.get_by_text("地図 — ").first.wait_for()
    shown = no_markup()
    assert (
        f"地図 — {MARKDOWN_XSS}" in shown and MD_COLOR + MD_AUTOLINK in shown
    )  # heading, user box

    page.goto(f"{base}/record?household={household_id}")
    page.get_by_text("見守りネットワーク記録").first.wait_for()
    page.get_by_text("緊急連絡カード").first.wait_for()
    assert f"町丁目: {MARKDOWN_XSS}" in no_markup()

    page.goto(f"{base}/edit?household={household_id}")
    page.get_by_role("tab", name="気がかりな人").click()
    resident = page.locator("summary").filter(has_text="[クリック](").first
    resident.wait_for()
    assert f"\n{MD_LINK}（" in resident.inner_text().replace(WORD_JOINER, "")  # as typed
    page.get_by_role("tab", name="緊急連絡カード").click()
    card = page.locator("summary").filter(has_text="//evil.example/b.png)").first
    card.wait_for()
    assert f"\n{MD_IMAGE}（" in card.inner_text().replace(WORD_JOINER, "")
    no_markup()
    context.close()
    assert [url for url in requested if "evil.example" in url] == []
