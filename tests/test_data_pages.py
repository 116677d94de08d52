"""The import and export pages through Streamlit's AppTest (issue 6)."""

from __future__ import annotations

import csv
import io

import pytest
from conftest import actor_for
from helpers import EAST, open_page
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest

from lsmap.access import Actor
from lsmap.io.importing.problems import ImportRejected
from lsmap.io.importing.upload import overrides_from_choices
from lsmap.storage import db
from lsmap.storage.models import AuditEntry, District, Household, Resident, Resource


def _open(page: str, actor: Actor, url: str, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    return open_page(page, actor, url, monkeypatch, roles_by="title")


def _url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def _actor(engine: Engine, username: str) -> Actor:
    with Session(engine) as session:
        return actor_for(session, username)


def _inside_town(engine: Engine) -> tuple[float, float]:
    """(lat, lon) of a point inside 東地区."""
    with Session(engine) as session:
        district = session.scalar(select(District).where(District.code == EAST))
        point = district.geom.representative_point()
    return point.y, point.x


def _resources_csv(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["名称", "住所", "緯度", "経度"])
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def _counts(engine: Engine) -> tuple[int, int]:
    with Session(engine) as session:
        resources = session.scalar(select(func.count()).select_from(Resource)) or 0
        imports = (
            session.scalar(
                select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "import")
            )
            or 0
        )
    return resources, imports


def _upload(at: AppTest, data: bytes, name: str = "salons.csv") -> AppTest:
    at.radio(key="imp_kind").set_value("resources").run()
    at.file_uploader(key="imp_file_resources").set_value((name, data, "text/csv")).run()
    at.selectbox(key="imp_resource_kind").set_value("salon").run()
    return at


def _table_cells(at: AppTest) -> list[list[str]]:
    return [
        [str(v) for v in row] for frame in at.dataframe for row in frame.value.to_numpy().tolist()
    ]


def test_admin_imports_resources_through_the_page(
    writable_sample_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = writable_sample_engine
    lat, lon = _inside_town(engine)
    before, imports_before = _counts(engine)
    data = _resources_csv(
        [
            ["ひだまりサロン", "さくら台1-2-3", f"{lat:.6f}", f"{lon:.6f}"],
            ["こもれびサロン", "さくら台4-5-6", f"{lat:.6f}", f"{lon + 0.0005:.6f}"],
        ]
    )
    at = _upload(_open("import", _actor(engine, "admin"), _url(engine), monkeypatch), data)
    assert not at.exception, at.exception
    # The template headers map themselves; the remaining fields stay unused.
    assert at.selectbox(key=next(k for k in _keys(at) if k.endswith("_name"))).value == "名称"
    assert at.button(key="imp_run_button").disabled

    at.button(key="imp_check_button").click().run()
    assert any("作られるもの: 資源 2 件" in s.value for s in at.success), [
        s.value for s in at.success
    ]
    assert _counts(engine) == (before, imports_before)  # the dry run changed nothing
    assert not at.button(key="imp_run_button").disabled

    at.button(key="imp_run_button").click().run()
    assert not at.exception, at.exception
    assert any("取り込みました: 資源 2 件" in s.value for s in at.success), [
        s.value for s in at.success
    ]
    assert _counts(engine) == (before + 2, imports_before + 1)
    with Session(engine) as session:
        kinds = set(
            session.scalars(
                select(Resource.kind).where(Resource.name.in_(["ひだまりサロン", "こもれびサロン"]))
            )
        )
    assert kinds == {"salon"}


def _keys(at: AppTest) -> list[str]:
    return [w.key for w in at.selectbox if w.key]


def test_dry_run_with_a_bad_row_names_row_and_column_and_changes_nothing(
    writable_sample_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = writable_sample_engine
    lat, lon = _inside_town(engine)
    before = _counts(engine)
    data = _resources_csv(
        [
            ["ひだまりサロン", "さくら台1-2-3", f"{lat:.6f}", f"{lon:.6f}"],
            ["こもれびサロン", "さくら台4-5-6", "北のほう", f"{lon:.6f}"],
        ]
    )
    at = _upload(_open("import", _actor(engine, "admin"), _url(engine), monkeypatch), data)
    at.button(key="imp_check_button").click().run()
    assert not at.exception, at.exception
    assert at.error and "取り込みませんでした" in at.error[0].value
    rows = _table_cells(at)
    assert any(row[0] == "エラー" and row[1] == "3" and row[2] == "緯度" for row in rows), (
        rows
    )  # the spreadsheet row of the 2nd data line
    assert at.button(key="imp_run_button").disabled
    assert _counts(engine) == before


def test_meeting_export_of_households_names_no_resident_without_consent(
    app_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = db.get_engine(app_url)
    with Session(engine) as session:
        actor = actor_for(session, "meeting_east")
        residents = session.execute(
            select(Resident.name, Resident.consent_status).join(Household)
        ).all()
        exports_before = session.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "export")
        )
    consented = {name for name, status in residents if status == "consented"}
    withheld = {name for name, status in residents if status != "consented"} - consented
    assert withheld

    at = _open("export", actor, app_url, monkeypatch)
    assert not at.exception, at.exception
    assert "気がかりな世帯" in at.selectbox(key="exp_layer").options  # options are the labels
    at.selectbox(key="exp_layer").set_value("households").run()
    at.selectbox(key="exp_format").set_value("csv").run()
    assert "export_download" not in at.session_state
    at.button(key="exp_make").click().run()
    assert not at.exception, at.exception
    download = at.session_state["export_download"]["download"]
    text = download.data.decode("utf-8-sig")
    assert download.rows > 0 and "氏名" in text
    assert not [name for name in withheld if name in text]
    assert any("同意のない方" in w.value for w in at.warning)
    # Reruns (e.g. changing nothing, or the download click) do not export again.
    at.run()
    with Session(engine) as session:
        exports_after = session.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "export")
        )
    assert exports_after == exports_before + 1


def test_planner_cannot_open_the_import_page_and_exports_no_personal_layer(
    app_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = db.get_engine(app_url)
    pages = {
        name: _open("roles", _actor(engine, name), app_url, monkeypatch).text[0].value.split("|")
        for name in ("admin", "staff_east", "meeting_east", "planner")
    }
    assert "データの取り込み" in pages["admin"]
    assert (
        pages["admin"][0] == pages["staff_east"][0] == "要対応"
    )  # staff and admin still land on 要対応
    assert all(
        "データの取り込み" not in pages[name] for name in ("staff_east", "meeting_east", "planner")
    )
    assert all("データの書き出し" in p for p in pages.values())

    at = _open("import", _actor(engine, "planner"), app_url, monkeypatch)
    assert not at.file_uploader
    assert at.error and "管理者だけ" in at.error[0].value

    at = _open("export", _actor(engine, "planner"), app_url, monkeypatch)
    options = at.selectbox(key="exp_layer").options
    assert "気がかりな世帯" not in options and "見守り者" not in options
    assert "カバー状況（地区別の集計）" in options and "地区の境界" in options


def test_one_column_cannot_feed_two_fields() -> None:
    assert overrides_from_choices(
        ["名称", "住所", "メモ"], {"name": "名称", "address": "住所"}
    ) == {"名称": "name", "住所": "address", "メモ": ""}
    with pytest.raises(ImportRejected, match="2つの項目"):
        overrides_from_choices(["名称"], {"name": "名称", "address": "名称"})
