"""Smoke tests of every page through Streamlit's AppTest (no browser)."""

from __future__ import annotations

import pytest
from conftest import actor_for
from helpers import app_login
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest

from lsmap import access
from lsmap.access.accounts import DEMO_PASSWORD
from lsmap.storage import db


@pytest.fixture
def app(app_url: str, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("LSMAP_DATABASE_URL", app_url)
    monkeypatch.setenv("LSMAP_BASEMAP", "none")
    at = AppTest.from_file("../app.py", default_timeout=60)
    at.run()
    return at


def _login(at: AppTest, username: str, password: str = DEMO_PASSWORD) -> AppTest:
    return app_login(at, username, password)


def _texts(at: AppTest) -> str:
    parts = (
        [e.value for e in at.markdown]
        + [e.value for e in at.subheader]
        + [e.value for e in at.title]
    )
    parts += (
        [e.value for e in at.error] + [e.value for e in at.info] + [e.value for e in at.warning]
    )
    return "\n".join(str(p) for p in parts)


def test_visitor_sees_only_the_login_page(app: AppTest) -> None:
    assert not app.exception
    assert "lsmap 支え合い福祉マップ" in _texts(app)
    assert [t.label for t in app.text_input] == [
        "ユーザー名",
        "パスワード",
        "ワンタイムコード（12桁の数字）",
    ]
    assert "地図 —" not in _texts(app)


def test_wrong_password_is_refused_in_japanese(app: AppTest) -> None:
    _login(app, "staff_east", "wrong-password")
    assert "ユーザー名またはパスワードが違います" in [e.value for e in app.error]
    assert "地図 —" not in _texts(app)


def test_staff_login_opens_the_map_of_their_district(app: AppTest) -> None:
    _login(app, "staff_east")
    assert not app.exception, app.exception
    assert "地図 — 東地区" in _texts(app)
    assert app.sidebar.selectbox[0].label == "表示する地区"
    assert any("東地区" in str(o) for o in app.sidebar.selectbox[0].options)
    assert not any("西地区" in str(o) for o in app.sidebar.selectbox[0].options)


def test_planner_map_page_has_no_record_picker(app: AppTest) -> None:
    _login(app, "planner")
    assert not app.exception
    assert "計画担当の方には個人の点は表示されません" in _texts(app)
    assert all(s.label != "世帯の見守り記録を開く" for s in app.sidebar.selectbox)


def test_record_page_shows_the_watch_record(app: AppTest, app_url: str) -> None:
    with Session(db.get_engine(app_url)) as session:
        staff = actor_for(session, "staff_east")
        point = access.household_points(session, staff, None)[0]
        session.rollback()
    _login(app, "staff_east")
    picker = next(s for s in app.sidebar.selectbox if s.label == "世帯の見守り記録を開く")
    picker.select(point.id).run()
    next(b for b in app.sidebar.button if b.label == "記録を開く").click().run()
    assert not app.exception, app.exception
    text = _texts(app)
    assert f"見守りネットワーク記録 — 世帯番号 {point.id}" in text
    residents = app.dataframe[0].value
    assert list(residents["氏名"]) == [r.name for r in point.residents]


def test_meeting_record_has_no_watcher_phone_column(app: AppTest, app_url: str) -> None:
    with Session(db.get_engine(app_url)) as session:
        meeting = actor_for(session, "meeting_east")
        # the meeting's map opens on its first 町内 (issue 14): pick a household shown there
        from lsmap.access.map_defaults import default_map_district

        opened = default_map_district(meeting, access.visible_districts(session, meeting))
        point = next(
            p
            for p in access.household_points(session, meeting, opened)
            if p.residents and p.watcher_count
        )
        session.rollback()
    _login(app, "meeting_east")
    picker = next(s for s in app.sidebar.selectbox if s.label == "世帯の見守り記録を開く")
    picker.select(point.id).run()
    next(b for b in app.sidebar.button if b.label == "記録を開く").click().run()
    assert not app.exception, app.exception
    watchers = app.dataframe[1].value
    assert list(watchers.columns) == [
        "氏名",
        "役割",
        "関わり方",
        "連絡の記録",
        "自宅の位置",
    ]  # no 電話


def test_staff_land_on_their_work_list_and_meetings_on_the_map(app: AppTest) -> None:
    app_login(app, "staff_east", DEMO_PASSWORD, to_map=False)
    assert "要対応の世帯（担当地区）" in _texts(app)
    fresh = AppTest.from_file("../app.py", default_timeout=60)
    fresh.run()
    app_login(fresh, "meeting_east", DEMO_PASSWORD, to_map=False)
    # issue 14: a meeting's map opens on the first 町内 of its 地区 (本町一丁目 in 東地区)
    assert "地図 — 本町一丁目" in _texts(fresh)
