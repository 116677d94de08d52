"""Fixtures that run every test against the backend chosen by ``LSMAP_TEST_BACKEND``.

``LSMAP_TEST_BACKEND=sqlite`` (default) uses a temporary SQLite file per database;
``LSMAP_TEST_BACKEND=postgresql`` creates a fresh PostGIS database per fixture on the
server at ``LSMAP_TEST_POSTGRES_URL`` and fails (never skips) when it cannot connect.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from lsmap.access import Actor, load_actor
from lsmap.storage import db
from lsmap.storage.models import District, User

BACKEND = os.environ.get("LSMAP_TEST_BACKEND", "sqlite")
POSTGRES_ADMIN_URL = os.environ.get(
    "LSMAP_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
#: The sample town is generated relative to this day in tests, so counts are stable.
SAMPLE_TODAY = date(2026, 11, 1)


def pytest_report_header(config: pytest.Config) -> str:
    return f"lsmap test backend: {BACKEND}"


def _create_postgres_database() -> str:
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"lsmap_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)


def _drop_postgres_database(url: str) -> None:
    db.get_engine(url).dispose()
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session")
def database_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[[], str]]:
    """Returns a function that creates a new, empty database and gives its URL."""
    created: list[str] = []

    def create() -> str:
        if BACKEND == "postgresql":
            url = _create_postgres_database()
        elif BACKEND == "sqlite":
            path: Path = tmp_path_factory.mktemp("db") / "lsmap.sqlite"
            url = f"sqlite:///{path}"
        else:  # pragma: no cover - configuration error
            raise pytest.UsageError(f"unknown LSMAP_TEST_BACKEND {BACKEND!r}")
        created.append(url)
        return url

    yield create
    for url in created:
        if BACKEND == "postgresql":
            _drop_postgres_database(url)
        else:
            db.get_engine(url).dispose()


@pytest.fixture
def empty_url(database_factory: Callable[[], str]) -> str:
    """URL of a fresh database with no schema."""
    return database_factory()


@pytest.fixture
def engine(empty_url: str) -> Engine:
    """A fresh database at the newest schema, with no data."""
    engine = db.get_engine(empty_url)
    db.upgrade(engine)
    return engine


@pytest.fixture(scope="session")
def sample_url(database_factory: Callable[[], str]) -> str:
    """URL of a database holding the sample town; shared by tests, which must not write."""
    from lsmap.io.sample import load_sample

    url = database_factory()
    engine = db.get_engine(url)
    db.upgrade(engine)
    load_sample(engine, today=SAMPLE_TODAY)
    return url


@pytest.fixture
def sample_engine(sample_url: str) -> Engine:
    """Engine of the shared, read-only sample town."""
    return db.get_engine(sample_url)


@pytest.fixture
def writable_sample_engine(database_factory: Callable[[], str]) -> Engine:
    """A private copy of the sample town that the test may change."""
    from lsmap.io.sample import load_sample

    engine = db.get_engine(database_factory())
    db.upgrade(engine)
    load_sample(engine, today=SAMPLE_TODAY)
    return engine


@pytest.fixture
def sample_session(sample_engine: Engine) -> Iterator[Session]:
    """A session on the shared sample town whose writes (e.g. audit rows) are rolled back."""
    with Session(sample_engine) as session:
        yield session
        session.rollback()


def actor_for(session: Session, username: str) -> Actor:
    """The actor of a demo user, read as the app reads it."""
    user_id = session.scalar(select(User.id).where(User.username == username))
    assert user_id is not None, username
    actor = load_actor(session, user_id)
    assert actor is not None
    return actor


def district_id(session: Session, code: str) -> int:
    """Id of the district with ``code``."""
    found = session.scalar(select(District.id).where(District.code == code))
    assert found is not None, code
    return found


@pytest.fixture(scope="module")
def app_url(database_factory: Callable[[], str]) -> str:
    """A sample town for tests that run the app (which writes sessions and audit rows)."""
    from lsmap.io.sample import load_sample

    url = database_factory()
    engine = db.get_engine(url)
    db.upgrade(engine)
    load_sample(engine, today=SAMPLE_TODAY)
    return url


#: Real public files beside the repository (../shared/realdata), as CI provides them.
REALDATA = Path(__file__).resolve().parents[2] / "shared" / "realdata"
_REALDATA_NAMES = ("REALDATA", "YAIZU", "FACILITIES")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Outside CI, tests that read ../shared/realdata skip when it is not there."""
    if REALDATA.exists() or os.environ.get("CI"):
        return
    import inspect

    skip = pytest.mark.skip(reason=f"{REALDATA} not present (CI provides ../shared/realdata)")
    for item in items:
        function = getattr(item, "function", None)
        if item.get_closest_marker("realdata") is not None or (
            function is not None
            and any(name in inspect.getsource(function) for name in _REALDATA_NAMES)
        ):
            item.add_marker(skip)
