"""One stable 世帯番号 per household (issue 12): assigned once from a counter that survives
deletes, backfilled by the migration, and the same on the map, the meeting's name list, the
paper map, the record (page and PDF) and the export."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from conftest import actor_for
from helpers import EAST, open_page
from pypdf import PdfReader
from shapely.geometry import Point
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from lsmap import access
from lsmap.printing.paper_map import PaperOptions, map_pdf
from lsmap.printing.record_sheets import watch_record_pdf
from lsmap.records.numbering import household_numbers, next_household_number
from lsmap.storage import db
from lsmap.storage.models import District, Household, Resident
from lsmap.ui.pages.map_page import name_list


def _pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_sample_households_have_unique_numbers(sample_session: Session) -> None:
    numbers = sample_session.scalars(select(Household.number)).all()
    assert None not in numbers
    assert len(set(numbers)) == len(numbers) > 100


def test_numbers_are_never_reused_after_a_delete(writable_sample_engine: Engine) -> None:
    with db.transaction(writable_sample_engine) as session:
        highest = session.scalar(select(func.max(Household.number)))
        last = session.scalar(select(Household).where(Household.number == highest))
        assert last is not None
        for resident in list(last.residents):
            session.delete(resident)
        session.flush()
        session.execute(text("DELETE FROM contact_logs WHERE household_id = :h"), {"h": last.id})
        session.execute(text("DELETE FROM watch_links WHERE household_id = :h"), {"h": last.id})
        session.execute(
            text("DELETE FROM emergency_contacts WHERE household_id = :h"), {"h": last.id}
        )
        session.delete(last)  # even a hard delete does not free the number
    with db.transaction(writable_sample_engine) as session:
        fresh = Household(household_type="other")
        session.add(fresh)
        session.flush()
        assert fresh.number == highest + 1
        assert next_household_number(session) == highest + 2
        assert household_numbers(session, 3) == [highest + 3, highest + 4, highest + 5]


def test_migration_backfills_numbers_in_creation_order(engine: Engine) -> None:
    db.downgrade(engine, "0014_geocoding")
    with engine.begin() as connection:
        for i in range(3):
            connection.execute(
                text(
                    "INSERT INTO households (id, household_type, address, note, "
                    "location_approximate, version, created_at, updated_at) "
                    "VALUES (:id, 'other', '', '', false, 1, :now, :now)"
                ),
                {"id": 10 + i * 5, "now": datetime.now(UTC)},
            )
    db.upgrade(engine)
    with Session(engine) as session:
        rows = session.execute(select(Household.id, Household.number).order_by(Household.id))
        assert [tuple(r) for r in rows] == [(10, 1), (15, 2), (20, 3)]
        session.add(Household(household_type="other"))
        session.flush()
        assert session.scalar(select(func.max(Household.number))) == 4
        session.rollback()


def _new_household(session: Session) -> tuple[int, int, int]:
    """A new household in an east 町内 with a consenting resident: (id, number, town id)."""
    east = session.scalar(select(District.id).where(District.code == EAST))
    town = session.scalar(
        select(District).where(District.parent_id == east).order_by(District.code.desc())
    )
    assert town is not None and town.geom is not None
    centre = town.geom.representative_point()
    household = Household(
        household_type="elderly_alone",
        district_id=town.id,
        address="東一丁目9-9",
        location=Point(centre.x, centre.y),
    )
    session.add(household)
    session.flush()
    session.add(Resident(household_id=household.id, name="番号 確認子", consent_status="consented"))
    session.flush()
    assert household.number is not None
    return household.id, household.number, town.id


def test_one_number_on_map_name_list_paper_record_and_export(
    writable_sample_engine: Engine, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    with db.transaction(writable_sample_engine) as session:
        highest = session.scalar(select(func.max(Household.number)))
        hid, number, town = _new_household(session)
    assert highest is not None and number == highest + 1
    with Session(writable_sample_engine) as session:
        staff = actor_for(session, "staff_east")
        # 1. the web map (the marker's number, tooltip and popup come from this point)
        points = access.household_points(session, staff, town)
        point = next(p for p in points if p.id == hid)
        from layers.households import LAYER

        assert LAYER.meeting_label is not None and LAYER.meeting_label(point) == str(number)
        # 2. the meeting's name list
        table = name_list(points)
        assert table.loc[table["氏名"] == "番号 確認子", "番号"].tolist() == [number]
        # 3. the paper map's name page
        paper = _pdf_text(map_pdf(session, staff, town, PaperOptions(with_list=True)))
        assert f"{number}\n番号 確認子" in paper or f"{number} 番号 確認子" in paper
        # 4. the record (its PDF here, its page below)
        assert access.watch_record(session, staff, hid).shown_number == number
        assert f"世帯番号: {number}" in _pdf_text(watch_record_pdf(session, staff, hid))
        # 5. the export
        export = access.export_rows(session, staff, "households")
        rows = [r for r in export.rows if r.get("氏名") == "番号 確認子"]
        assert [r["世帯番号"] for r in rows] == [number]
        session.rollback()
    page = open_page(
        "record",
        staff,
        writable_sample_engine.url.render_as_string(hide_password=False),
        monkeypatch,
        query={"household": str(hid)},
    )
    assert not page.exception
    assert any(f"世帯番号 {number}" in h.value for h in page.subheader)
