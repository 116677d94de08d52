"""PostgreSQL roles: the app's role does the app's work but cannot rewrite, empty, alter or
drop the audit log (``lsmap db grant-app``); SQLite is refused with a Japanese message."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from conftest import BACKEND
from helpers import open_page
from small_town import INSIDE_EAST, TODAY, actor, town, town_id  # noqa: F401
from sqlalchemy import Engine, create_engine, func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from lsmap import access, records
from lsmap.access import accounts
from lsmap.access.accounts import DEMO_PASSWORD
from lsmap.cli import main
from lsmap.storage import audit, db
from lsmap.storage.models import AuditEntry, AuditLink, Household

postgres_only = pytest.mark.skipif(BACKEND != "postgresql", reason="roles exist only on PostgreSQL")


def _url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def _drop_role(owner: Engine, role: str) -> None:
    """Roles are cluster-wide: take back what the role holds in this database and drop it."""
    with owner.begin() as connection:
        if connection.execute(
            text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": role}
        ).first():
            connection.exec_driver_sql(f'DROP OWNED BY "{role}"')
            connection.exec_driver_sql(f'DROP ROLE "{role}"')


@pytest.fixture
def app_engine(town: Engine) -> Iterator[Engine]:  # noqa: F811
    """An engine connected as a fresh app role made by ``lsmap db grant-app --create``."""
    role = f"lsmap_app_{uuid.uuid4().hex[:10]}"
    engine = create_engine(town.url.set(username=role, password=None))
    try:
        assert main.main(["--database-url", _url(town), "db", "grant-app", role, "--create"]) == 0
        yield engine
    finally:
        engine.dispose()
        _drop_role(town, role)


@postgres_only
def test_app_role_cannot_rewrite_empty_alter_or_drop_the_audit_log(
    town: Engine, app_engine: Engine
) -> None:  # noqa: F811
    with db.transaction(app_engine) as session:
        assert session.scalar(select(func.current_user())).startswith("lsmap_app_")
        audit.log(session, actor(town, "admin"), "search", "audit_log", ())
    refused = [
        "TRUNCATE audit_log",
        "UPDATE audit_log SET action = 'x'",
        "DELETE FROM audit_log",
        "ALTER TABLE audit_log DISABLE TRIGGER ALL",
        "DROP TRIGGER audit_log_append_only ON audit_log",
        "DROP TABLE audit_log",
        "ALTER TABLE households ADD COLUMN x integer",
        "TRUNCATE households",
        "DROP TABLE households",
        "CREATE TABLE shadow (id integer)",
        "INSERT INTO audit_log (id, at, username, role, action, entity, entity_ids, detail) "
        "VALUES (1, now(), 'x', 'admin', 'x', '', '[]', '{}') ON CONFLICT (id) DO UPDATE SET action = 'x'",
        "TRUNCATE audit_links",
        "UPDATE audit_links SET entity_id = 2",
        "DELETE FROM audit_links",
        "DROP TABLE audit_links",
    ]
    for statement in refused:
        with pytest.raises(DBAPIError), app_engine.begin() as connection:
            connection.exec_driver_sql(statement)
    with Session(town) as session:
        assert session.scalars(select(AuditEntry.action)).all() == ["search"]
    with db.transaction(app_engine) as session:  # the app role appends links with its entries
        audit.log(session, actor(town, "admin"), "view_record", "household", [1])
    with Session(town) as session:
        assert session.scalars(select(AuditLink.entity_id)).all() == [1]


@postgres_only
def test_app_role_does_the_apps_normal_work(
    town: Engine,
    app_engine: Engine,
    monkeypatch: pytest.MonkeyPatch,  # noqa: F811
) -> None:
    staff = actor(town, "staff_east")
    with db.transaction(app_engine) as session:  # sign in, resume, sign out
        token = accounts.start_session(
            session, accounts.authenticate(session, "staff_east", DEMO_PASSWORD)
        )
    with db.transaction(app_engine) as session:
        assert accounts.resume_session(session, token, 30) == staff.user_id
        accounts.end_session(session, token)
    values = {
        "district_id": town_id(town, "149990-01-01"),
        "household_type": "elderly_alone",
        "lon": INSIDE_EAST[0],
        "lat": INSIDE_EAST[1],
        "address": "東町1-1",
    }
    hid = records.create_household(app_engine, staff, values, today=TODAY)
    rid = records.add_resident(app_engine, staff, hid, {"name": "山田 花子"}, today=TODAY)
    with Session(app_engine) as session:
        loaded = access.edit_snapshot(session, staff, "resident", rid)
    records.update(
        app_engine,
        staff,
        "resident",
        rid,
        {"name": "山田 春子"},
        version=loaded["version"],
        loaded=loaded,
        today=TODAY,
    )
    with Session(app_engine) as session:
        version = access.edit_snapshot(session, staff, "household", hid)["version"]
    records.delete(app_engine, staff, "household", hid, version=version)
    records.restore(app_engine, staff, "household", hid)
    with Session(app_engine) as session:
        assert [r.name for r in access.watch_record(session, staff, hid).residents] == ["山田 春子"]
        assert session.get(Household, hid).deleted_at is None
    for page in ("map", "audit"):  # pages run as the app role too
        at = open_page(page, actor(town, "admin"), _url(app_engine), monkeypatch)
        assert not at.exception, at.exception


@postgres_only
def test_grant_app_refuses_a_superuser_and_an_unknown_role(
    town: Engine, capsys: pytest.CaptureFixture[str]
) -> None:  # noqa: F811
    with town.connect() as connection:
        superuser = connection.scalar(text("SELECT current_user"))
    assert main.main(["--database-url", _url(town), "db", "grant-app", superuser]) == 1
    assert main.main(["--database-url", _url(town), "db", "grant-app", "lsmap_no_such_role_x"]) == 1
    errors = capsys.readouterr().err
    assert "スーパーユーザー" in errors and "ありません" in errors


def test_grant_app_is_for_postgresql_only(
    engine: Engine, capsys: pytest.CaptureFixture[str]
) -> None:
    if BACKEND == "postgresql":
        pytest.skip("the SQLite message")
    assert main.main(["--database-url", _url(engine), "db", "grant-app", "lsmap_app"]) == 1
    assert "PostgreSQL だけ" in capsys.readouterr().err
