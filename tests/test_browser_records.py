"""Real browser: district staff keep a watch record from first click to closing an urgent sign."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from lsmap.access.accounts import DEMO_PASSWORD
from lsmap.storage import db
from lsmap.storage.models import ContactLog, Household, Resident, WatchLink

pytestmark = pytest.mark.browser
MAP_FRAME = 'iframe[title="streamlit_folium.st_folium"]'
NAME = "見守 試験子"


@pytest.fixture
def app_url(browser_app_url: str) -> str:
    """A fresh sample town in the database of the shared app servers."""
    return browser_app_url


@pytest.fixture
def base_url(app_url: str, app_servers) -> str:  # type: ignore[no-untyped-def]
    return app_servers("none")


@pytest.fixture
def page(chromium, base_url: str):  # type: ignore[no-untyped-def]
    context = chromium.new_context(viewport={"width": 1400, "height": 1100}, locale="ja-JP")
    page = context.new_page()
    page.set_default_timeout(30_000)
    yield page
    context.close()


def _choose(page, label: str, option: str | None = None) -> None:  # type: ignore[no-untyped-def]
    """Open the visible Streamlit selectbox ``label`` and pick ``option`` (or the first)."""
    box = (
        page.locator("[data-testid='stSelectbox']")
        .filter(has=page.get_by_text(label, exact=True))
        .locator("visible=true")
        .first
    )
    box.get_by_role("combobox").click()
    options = page.get_by_role("option")
    (options.first if option is None else options.filter(has_text=option).first).click()


def _visible_button(page, name: str):  # type: ignore[no-untyped-def]
    return page.get_by_role("button", name=name, exact=True).locator("visible=true").first


def _start_page_entries(page) -> str:  # type: ignore[no-untyped-def]
    page.get_by_role("link", name="要対応").click()
    page.get_by_text("緊急のサインがあり訪問で確認されていない世帯").wait_for()
    page.get_by_text("記録された見守りが途絶えている世帯").wait_for()
    return page.locator("section.main, [data-testid='stMain']").first.inner_text()


def test_staff_keeps_a_record_from_map_click_to_visit(page, base_url: str, app_url: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(base_url)
    page.get_by_label("ユーザー名").fill("staff_east")
    page.get_by_label("パスワード").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="ログイン").click()
    page.get_by_text("要対応の世帯（担当地区）").wait_for()  # staff land on their work list

    # 1. A new household, placed by clicking the district map.
    page.get_by_role("link", name="記録の編集").click()
    page.get_by_text("気がかりな世帯を登録する").wait_for()
    frame = page.frame_locator(MAP_FRAME)
    frame.locator(".leaflet-container path").first.wait_for()
    box = frame.locator(".leaflet-container").bounding_box()
    frame.locator(".leaflet-container").click(
        position={"x": box["width"] / 2, "y": box["height"] / 2}
    )
    longitude = page.get_by_label("経度", exact=True)
    page.wait_for_function(
        "() => [...document.querySelectorAll('input')].some(i => i.getAttribute('aria-label') === '経度' && i.value)"
    )
    assert 139 < float(longitude.input_value()) < 140
    _visible_button(page, "登録する").click()
    page.get_by_text(re.compile(r"世帯番号 \d+ を登録しました")).wait_for()
    household_id = int(re.search(r"household=(\d+)", page.url).group(1))

    # 2. A resident.
    page.get_by_role("tab", name="気がかりな人").click()
    page.get_by_label("氏名", exact=True).locator("visible=true").first.fill(NAME)
    _visible_button(page, "追加する").click()
    page.get_by_text("気がかりな人を追加しました").wait_for()

    # 3. A watcher, linked weekly.
    page.get_by_role("tab", name="見守り者").click()
    _choose(page, "見守り者")
    _visible_button(page, "結びつける").click()
    page.get_by_text("見守り者を結びつけました").wait_for()

    # 4. A phone call that finds the lifeline stopped.
    page.get_by_role("tab", name="見守り活動").click()
    _choose(page, "方法", "電話")
    page.get_by_text("水道・電気・電話が止められている", exact=True).locator(
        "visible=true"
    ).first.click()
    _visible_button(page, "記録する").click()
    page.get_by_text("見守り活動を記録しました").wait_for()

    with Session(db.get_engine(app_url)) as session:
        household = session.get(Household, household_id)
        assert household is not None and not household.location_approximate
        assert [
            r.name
            for r in session.scalars(select(Resident).where(Resident.household_id == household_id))
        ] == [NAME]
        assert (
            session.scalar(
                select(WatchLink.frequency).where(WatchLink.household_id == household_id)
            )
            == "weekly"
        )
        signs = session.scalars(
            select(ContactLog.signs).where(ContactLog.household_id == household_id)
        ).all()
        assert signs == [["lifeline_stopped"]]

    # 5. The start page lists it as urgent.
    urgent_text = _start_page_entries(page)
    assert f"No.{household_id} {NAME}" in urgent_text

    # 6. From the list to the record, to editing, where a visit closes it.
    page.locator(f".st-key-open-urgent-{household_id} button").click()
    page.get_by_text(f"見守りネットワーク記録 — 世帯番号 {household_id}").wait_for()
    page.get_by_role("button", name="この記録を編集する").click()
    page.get_by_text(f"記録の編集 — 世帯番号 {household_id}").wait_for()
    page.get_by_role("tab", name="見守り活動").click()
    _visible_button(page, "記録する").click()  # 訪問 is the default method
    page.get_by_text("見守り活動を記録しました").wait_for()
    assert f"No.{household_id} {NAME}" not in _start_page_entries(page)
