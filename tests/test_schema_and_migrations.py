"""The schema: migrations, portable geometry, optimistic locking, append-only audit."""

from __future__ import annotations

import pytest
from shapely.geometry import MultiPolygon, Point, box
from sqlalchemy import Engine, inspect, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from lsmap.storage import db
from lsmap.storage.models import AuditEntry, District, Household, Resident

EXPECTED_TABLES = {
    "districts",
    "households",
    "residents",
    "watchers",
    "watch_links",
    "contact_logs",
    "emergency_contacts",
    "resources",
    "csws",
    "users",
    "user_districts",
    "login_sessions",
    "audit_log",
    "audit_links",
    "basemap_features",
}


def test_upgrade_creates_every_table_and_is_idempotent(empty_url: str) -> None:
    engine = db.get_engine(empty_url)
    assert db.current_revision(engine) is None
    db.upgrade(engine)
    db.upgrade(engine)
    assert db.current_revision(engine) == db.head_revision()
    assert set(inspect(engine).get_table_names()) >= EXPECTED_TABLES


def test_downgrade_to_base_and_back(engine: Engine) -> None:
    db.downgrade(engine, "base")
    assert db.current_revision(engine) is None
    assert not EXPECTED_TABLES & set(inspect(engine).get_table_names())
    db.upgrade(engine)
    assert set(inspect(engine).get_table_names()) >= EXPECTED_TABLES


def test_geometry_round_trips_as_shapely(engine: Engine) -> None:
    area = MultiPolygon([box(139.40, 35.44, 139.41, 35.45)])
    with db.transaction(engine) as session:
        district = District(code="t-1", name="テスト町", level="neighbourhood", geom=area)
        session.add(district)
        session.flush()
        session.add(
            Household(
                household_type="elderly_alone",
                district_id=district.id,
                location=Point(139.405, 35.445),
            )
        )
    with Session(engine) as session:
        household = session.scalars(select(Household)).one()
        assert household.location.equals(Point(139.405, 35.445))
        assert session.scalars(select(District)).one().geom.equals(area)


def test_postgis_columns_are_geometry_with_gist_indexes(engine: Engine) -> None:
    if not db.is_postgres(engine):
        pytest.skip("PostGIS only: SQLite stores WKB")
    with engine.connect() as connection:
        types = dict(
            connection.execute(
                text(
                    "SELECT f_table_name || '.' || f_geometry_column, type || ':' || srid "
                    "FROM geometry_columns"
                )
            ).all()
        )
        indexes = set(
            connection.execute(
                text("SELECT indexname FROM pg_indexes WHERE indexdef LIKE '%USING gist%'")
            ).scalars()
        )
    assert types == {
        "districts.geom": "MULTIPOLYGON:4326",
        "households.location": "POINT:4326",
        "watchers.location": "POINT:4326",
        "resources.location": "POINT:4326",
        "basemap_features.geom": "GEOMETRY:4326",
    }
    assert indexes == {
        "ix_districts_geom_gist",
        "ix_households_location_gist",
        "ix_watchers_location_gist",
        "ix_resources_location_gist",
    }


def test_second_save_of_a_stale_copy_is_refused(engine: Engine) -> None:
    with db.transaction(engine) as session:
        household = Household(household_type="elderly_alone")
        session.add(household)
        session.flush()
        session.add(Resident(household_id=household.id, name="山田花子"))
    first, second = Session(engine), Session(engine)
    mine = first.scalars(select(Resident)).one()
    theirs = second.scalars(select(Resident)).one()
    mine.phone = "046-200-0001"
    first.commit()
    theirs.phone = "046-200-0002"
    with pytest.raises(StaleDataError):
        second.commit()
    second.rollback()
    with Session(engine) as check:
        kept = check.scalars(select(Resident)).one()
        assert (kept.phone, kept.version) == ("046-200-0001", 2)
    first.close()
    second.close()


def test_audit_log_refuses_update_and_delete(engine: Engine) -> None:
    with db.transaction(engine) as session:
        session.add(
            AuditEntry(
                username="staff",
                role="staff",
                action="view_record",
                entity="household",
                entity_ids=[1],
            )
        )
    for statement in (update(AuditEntry).values(action="nothing"), text("DELETE FROM audit_log")):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
            connection.execute(statement)
    with Session(engine) as session:
        assert session.scalars(select(AuditEntry.action)).all() == ["view_record"]


def _audit_row(engine: Engine) -> int:
    with db.transaction(engine) as session:
        entry = AuditEntry(
            username="staff", role="staff", action="view_record", entity="household", entity_ids=[1]
        )
        session.add(entry)
        session.flush()
        return entry.id


def test_audit_log_refuses_replacing_or_truncating(engine: Engine) -> None:
    entry_id = _audit_row(engine)
    columns = "(id, at, username, role, action, entity, entity_ids, detail)"
    values = "(:id, CURRENT_TIMESTAMP, 'x', 'admin', 'nothing', '', '[]', '{}')"
    if db.is_postgres(engine):
        statements = [
            f"INSERT INTO audit_log {columns} VALUES {values} ON CONFLICT (id) DO UPDATE SET action = 'nothing'",
            "TRUNCATE audit_log",
        ]
    else:  # REPLACE deletes the old row without firing DELETE triggers
        statements = [
            f"INSERT OR REPLACE INTO audit_log {columns} VALUES {values}",
            f"REPLACE INTO audit_log {columns} VALUES {values}",
        ]
    for statement in statements:
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
            connection.execute(text(statement), {"id": entry_id})
    with engine.begin() as connection:  # a new row with its own id (as a restore writes) is fine
        connection.execute(
            text(f"INSERT INTO audit_log {columns} VALUES {values}"), {"id": entry_id + 100}
        )
    with Session(engine) as session:
        assert session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all() == [
            "view_record",
            "nothing",
        ]
