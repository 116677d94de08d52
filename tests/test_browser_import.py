"""Real-browser test of the import page: an admin uploads a resources CSV, checks, imports."""

from __future__ import annotations

from pathlib import Path

import pytest
from helpers import EAST
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lsmap.access.accounts import DEMO_PASSWORD
from lsmap.storage import db
from lsmap.storage.models import District, Resource

pytestmark = pytest.mark.browser


@pytest.fixture
def app_url(browser_app_url: str) -> str:
    """A fresh sample town in the database of the shared app servers."""
    return browser_app_url


@pytest.fixture
def base_url(app_url: str, app_servers) -> str:  # type: ignore[no-untyped-def]
    return app_servers("none")


def test_admin_uploads_checks_and_imports_resources(
    app_url: str, base_url: str, chromium, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    engine = db.get_engine(app_url)
    with Session(engine) as session:
        point = session.scalar(
            select(District).where(District.code == EAST)
        ).geom.representative_point()
        before = session.scalar(select(func.count()).select_from(Resource))
    upload = tmp_path / "サロン一覧.csv"
    upload.write_bytes(
        f"名称,住所,緯度,経度\r\nブラウザサロン,さくら台1-1,{point.y:.6f},{point.x:.6f}\r\n".encode(
            "cp932"
        )
    )
    context = chromium.new_context(viewport={"width": 1400, "height": 1000}, locale="ja-JP")
    try:
        page = context.new_page()
        page.set_default_timeout(30_000)
        page.goto(base_url)
        page.get_by_label("ユーザー名").fill("admin")
        page.get_by_label("パスワード").fill(DEMO_PASSWORD)
        page.get_by_role("button", name="ログイン").click()
        page.get_by_role("button", name="ログアウト").wait_for()
        page.get_by_role("link", name="データの取り込み").click()
        page.get_by_text("取り込むもの").wait_for()
        page.get_by_text("資源", exact=True).click()
        page.get_by_role("button", name="資源のひな形（CSV）").wait_for()
        page.locator('input[type="file"]').set_input_files(str(upload))
        page.get_by_text("文字コード Shift_JIS").wait_for()
        page.get_by_role("button", name="試行する").click()
        page.get_by_text("作られるもの: 資源 1 件").wait_for()
        page.get_by_role("button", name="取り込む", exact=True).click()
        page.get_by_text("取り込みました: 資源 1 件").wait_for()
    finally:
        context.close()
    with Session(engine) as session:
        assert session.scalar(select(func.count()).select_from(Resource)) == before + 1
        assert session.scalar(select(Resource.name).where(Resource.name == "ブラウザサロン"))
