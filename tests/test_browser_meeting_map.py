"""The meeting map in a real browser: nothing fetched from outside the app, names and
background drawn, numbers that do not overlap, the legend folded on a phone."""

from __future__ import annotations

import itertools
from urllib.parse import urlparse

import pytest
from browser import wait_until_quiet
from test_browser_map import MAP_FRAME, login

pytestmark = pytest.mark.browser
LOCAL_SCHEMES = {"data", "blob", "about"}


@pytest.fixture
def apps(browser_app_url: str, app_servers) -> dict[str, str]:  # type: ignore[no-untyped-def]
    """A fresh sample town served twice: with LSMAP_BASEMAP=none and with the default
    (local)."""
    return {"none": app_servers("none"), "local": app_servers("local")}


@pytest.fixture
def browser(chromium):  # type: ignore[no-untyped-def]
    return chromium


def _outside(requested: list[str]) -> list[str]:
    return [
        url
        for url in requested
        if urlparse(url).scheme not in LOCAL_SCHEMES and urlparse(url).hostname != "127.0.0.1"
    ]


def _open_meeting_map(browser, base: str, width: int = 1400, height: int = 1000):  # type: ignore[no-untyped-def]
    context = browser.new_context(viewport={"width": width, "height": height}, locale="ja-JP")
    page = context.new_page()
    page.set_default_timeout(60_000)
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    login(page, base, "meeting_east")
    frame = page.frame_locator(MAP_FRAME)
    frame.locator(".lsmap-number").first.wait_for()
    wait_until_quiet(page, requested)
    return context, page, frame, requested


@pytest.mark.parametrize("basemap", ["none", "local"])
def test_the_meeting_map_fetches_nothing_from_outside(browser, apps, basemap: str) -> None:  # type: ignore[no-untyped-def]
    context, page, frame, requested = _open_meeting_map(browser, apps[basemap])
    assert page.get_by_text("地図 — 本町一丁目").count() == 1  # opens on its own 町内
    assert frame.locator(".lsmap-label-chosen").first.inner_text() == "本町一丁目"
    background = frame.locator(".leaflet-lsmap-background-pane canvas").count()
    assert (background > 0) == (basemap == "local")
    assert len(requested) > 10 and _outside(requested) == []
    context.close()


def test_numbers_do_not_overlap_on_screen(browser, apps) -> None:  # type: ignore[no-untyped-def]
    context, page, frame, _ = _open_meeting_map(browser, apps["local"])
    boxes = frame.locator(".lsmap-number").evaluate_all(
        "els => els.map(e => { const r = e.getBoundingClientRect();"
        " return [r.left + r.width / 2, r.top + r.height / 2, r.width]; })"
    )
    assert len(boxes) >= 20
    for (x1, y1, w1), (x2, y2, w2) in itertools.combinations(boxes, 2):
        assert ((x1 - x2) ** 2 + (y1 - y2) ** 2) ** 0.5 >= (w1 + w2) / 2 - 0.5
    assert (
        frame.locator("path.lsmap-leader").count() == frame.locator("path.lsmap-true-spot").count()
    )
    context.close()


def test_the_legend_starts_folded_on_a_phone(browser, apps) -> None:  # type: ignore[no-untyped-def]
    context, page, frame, _ = _open_meeting_map(browser, apps["local"], width=390, height=844)
    assert frame.locator(".lsmap-legend details").evaluate("d => d.open") is False
    context.close()
    context, page, frame, _ = _open_meeting_map(browser, apps["local"])
    assert frame.locator(".lsmap-legend details").evaluate("d => d.open") is True
    context.close()
