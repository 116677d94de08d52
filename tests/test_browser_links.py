"""Real browser (issue 12): a stale or logged-out link says 「ページが見つかりません／ログイン
してください」 in Japanese and, after signing in, opens the page asked for; a page the role
does not have is a Japanese 「ページが見つかりません」 too; every page is in the menu."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from browser import CHROMIUM, CHROMIUM_ARGS, require_chromium, running_app

from lsmap.access.accounts import DEMO_PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def base_url(app_url: str) -> Iterator[str]:
    require_chromium()
    with running_app(app_url) as url:
        yield url


@pytest.fixture
def page(base_url: str):  # type: ignore[no-untyped-def]
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="ja-JP")
        page = context.new_page()
        page.set_default_timeout(30_000)
        yield page
        browser.close()


def _sign_in(page, username: str) -> None:  # type: ignore[no-untyped-def]
    page.get_by_label("ユーザー名").fill(username)
    page.get_by_label("パスワード").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="ログイン").click()


def test_a_logged_out_link_asks_to_sign_in_then_opens_the_record(page, base_url: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(f"{base_url}/record?household=2")
    page.get_by_text("ページが見つかりません／ログインしてください").wait_for()
    assert "開こうとしたページ（見守り記録）" in page.content()
    assert "Page not found" not in page.content()
    page.get_by_label("ユーザー名").fill("staff_east")
    hint = page.get_by_text("Press Enter to submit form")
    assert hint.count() == 0 or not hint.first.is_visible()  # English hint hidden
    _sign_in(page, "staff_east")
    page.get_by_text("見守りネットワーク記録 — 世帯番号 2").wait_for()
    assert page.url.endswith("/record?household=2")
    # every page is listed in the menu (no English "View more")
    assert page.get_by_text("View", exact=False).count() == 0


def test_a_page_the_role_does_not_have_is_a_japanese_not_found(page, base_url: str) -> None:  # type: ignore[no-untyped-def]
    page.goto(base_url)
    _sign_in(page, "staff_east")
    page.get_by_role("link", name="地図").first.wait_for()
    page.goto(f"{base_url}/users")
    page.get_by_text("ページが見つかりません").first.wait_for()
    assert "いまの役割では開けないか" in page.content()
    assert page.get_by_role("link", name="利用者の管理").count() == 0
