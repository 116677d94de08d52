"""Fixtures that run every test against the backend chosen by ``LSMAP_TEST_BACKEND``.

``LSMAP_TEST_BACKEND=sqlite`` (default) uses a temporary SQLite file per database;
``LSMAP_TEST_BACKEND=postgresql`` creates a fresh PostGIS database per fixture on the
server at ``LSMAP_TEST_POSTGRES_URL`` and fails (never skips) when it cannot connect.

Migrating and loading the sample town are done once per session, into two templates: a
test's migrated database is a copy of the first (SQLite: the file is copied; PostGIS:
``CREATE DATABASE ... TEMPLATE``) and a writable sample town a copy of the second.
"""

from __future__ import annotations

import io
import os
import shutil
import sqlite3
import sys
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
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


class DatabaseFactory:
    """Creates test databases: empty (call it), migrated, or holding the sample town.

    Migrated and sample databases are copies of templates built once per session.
    Every database made here is dropped (PostGIS) or disposed (SQLite) at the end.
    """

    def __init__(self, folder: Callable[[], Path]) -> None:
        if BACKEND not in ("sqlite", "postgresql"):  # pragma: no cover - configuration error
            raise pytest.UsageError(f"unknown LSMAP_TEST_BACKEND {BACKEND!r}")
        self._folder = folder
        self._templates: dict[str, str] = {}
        self.created: list[str] = []
        self._admin: Engine | None = None

    def __call__(self) -> str:
        """URL of a new, empty database with no schema."""
        return self._new()

    def migrated(self) -> str:
        """URL of a new database at the newest schema, with no data."""
        return self._new(template=self._template("migrated", _migrate))

    def sample(self) -> str:
        """URL of a new database holding the sample town (its own copy, free to change)."""
        return self._new(template=self._template("sample", _migrate_and_load_sample))

    def reset_to_sample(self, url: str) -> None:
        """Put a fresh sample town into the database at ``url`` in place, so that a running
        server keeps its URL (SQLite: copied in with the backup API; PostGIS: dropped and
        created again from the template under the same name)."""
        template = self._template("sample", _migrate_and_load_sample)
        db.get_engine(url).dispose()
        if BACKEND == "postgresql":
            name = make_url(url).database
            with self._admin_engine().connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                connection.execute(
                    text(f'CREATE DATABASE "{name}" TEMPLATE "{make_url(template).database}"')
                )
            return
        source = sqlite3.connect(str(make_url(template).database))
        target = sqlite3.connect(str(make_url(url).database), timeout=30)
        try:
            source.backup(target)
        finally:
            source.close()
            target.close()

    def _template(self, name: str, build: Callable[[Engine], None]) -> str:
        if name not in self._templates:
            url = self._new()
            engine = db.get_engine(url)
            build(engine)
            if BACKEND == "sqlite":
                with engine.connect() as connection:
                    connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            engine.dispose()  # a template database must have no open connections
            self._templates[name] = url
        return self._templates[name]

    def _admin_engine(self) -> Engine:
        if self._admin is None:
            self._admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
        return self._admin

    def _new(self, template: str | None = None) -> str:
        if BACKEND == "postgresql":
            name = f"lsmap_test_{uuid.uuid4().hex[:12]}"
            clause = f' TEMPLATE "{make_url(template).database}"' if template else ""
            with self._admin_engine().connect() as connection:
                connection.execute(text(f'CREATE DATABASE "{name}"{clause}'))
            url = (
                make_url(POSTGRES_ADMIN_URL)
                .set(database=name)
                .render_as_string(hide_password=False)
            )
        else:
            path = self._folder() / "lsmap.sqlite"
            if template:
                source = Path(str(make_url(template).database))
                os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
                shutil.copyfile(source, path)
            url = f"sqlite:///{path}"
        self.created.append(url)
        return url

    def close(self) -> None:
        """Drop (PostGIS) or dispose (SQLite) every database made, templates included."""
        for url in self.created:
            db.get_engine(url).dispose()
            if BACKEND == "postgresql":
                with self._admin_engine().connect() as connection:
                    connection.execute(
                        text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')
                    )
        if self._admin is not None:
            self._admin.dispose()


def _migrate(engine: Engine) -> None:
    db.upgrade(engine)


def _migrate_and_load_sample(engine: Engine) -> None:
    from lsmap.io.sample import load_sample

    db.upgrade(engine)
    load_sample(engine, today=SAMPLE_TODAY)


@pytest.fixture(scope="session")
def database_factory(tmp_path_factory: pytest.TempPathFactory) -> Iterator[DatabaseFactory]:
    """Creates new databases (empty, migrated or with the sample town) and gives their URLs."""
    factory = DatabaseFactory(lambda: tmp_path_factory.mktemp("db"))
    yield factory
    factory.close()


@pytest.fixture
def empty_url(database_factory: DatabaseFactory) -> str:
    """URL of a fresh database with no schema."""
    return database_factory()


@pytest.fixture
def engine(database_factory: DatabaseFactory) -> Engine:
    """A fresh database at the newest schema, with no data."""
    return db.get_engine(database_factory.migrated())


@pytest.fixture(scope="session")
def sample_url(database_factory: DatabaseFactory) -> str:
    """URL of a database holding the sample town; shared by tests, which must not write."""
    return database_factory.sample()


@pytest.fixture
def sample_engine(sample_url: str) -> Engine:
    """Engine of the shared, read-only sample town."""
    return db.get_engine(sample_url)


@pytest.fixture
def writable_sample_engine(database_factory: DatabaseFactory) -> Engine:
    """A private copy of the sample town that the test may change."""
    return db.get_engine(database_factory.sample())


@pytest.fixture
def sample_session(sample_engine: Engine) -> Iterator[Session]:
    """A session on the shared sample town whose writes (e.g. audit rows) are rolled back."""
    with Session(sample_engine) as session:
        yield session
        session.rollback()


@dataclass(frozen=True)
class CliResult:
    """What one ``lsmap`` command returned and printed."""

    returncode: int
    stdout: str
    stderr: str


@pytest.fixture
def run_lsmap(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> Callable[..., CliResult]:
    """Runs ``lsmap *argv`` in this process (``lsmap.cli.main.main``), with ``stdin`` as its
    standard input and ``env`` added to the environment; argparse's exits give their code."""
    from lsmap.cli.main import main

    def run(*argv: str, stdin: str = "", env: dict[str, str] | None = None) -> CliResult:
        capsys.readouterr()  # output printed before this command is not its output
        with monkeypatch.context() as patch:
            patch.setattr(sys, "stdin", io.StringIO(stdin))
            for name, value in (env or {}).items():
                patch.setenv(name, value)
            try:
                code = main(list(argv))
            except SystemExit as exit_:
                code = exit_.code if isinstance(exit_.code, int) else int(exit_.code is not None)
        printed = capsys.readouterr()
        return CliResult(code, printed.out, printed.err)

    return run


@pytest.fixture(scope="session")
def browser_database(database_factory: DatabaseFactory) -> str:
    """URL of the one database the shared app servers serve (see ``browser_app_url``)."""
    return database_factory.sample()


@pytest.fixture
def browser_app_url(database_factory: DatabaseFactory, browser_database: str) -> str:
    """The shared app servers' database, holding a fresh sample town for this test."""
    database_factory.reset_to_sample(browser_database)
    return browser_database


@pytest.fixture(scope="session")
def app_servers(browser_database: str) -> Iterator[Callable[[str], str]]:
    """Gives the base URL of the app serving ``browser_database`` with ``LSMAP_BASEMAP`` set
    as asked; each server starts on first use and serves every browser test after that."""
    from browser import require_chromium, running_app

    require_chromium()
    started: dict[str, str] = {}
    with ExitStack() as stack:

        def serve(basemap: str = "none") -> str:
            if basemap not in started:
                started[basemap] = stack.enter_context(running_app(browser_database, basemap))
            return started[basemap]

        yield serve


@pytest.fixture(scope="session")
def chromium():  # type: ignore[no-untyped-def]
    """One headless Chromium for every browser test (each test opens its own context)."""
    from browser import CHROMIUM, CHROMIUM_ARGS, require_chromium
    from playwright.sync_api import sync_playwright

    require_chromium()
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def lsmap(run_lsmap: Callable[..., CliResult]) -> Callable[..., CliResult]:
    """``lsmap --database-url URL *args`` run in this process (``stdin=`` as its input)."""

    def run(url: str, *args: str, stdin: str = "") -> CliResult:
        return run_lsmap("--database-url", url, *args, stdin=stdin)

    return run


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
def app_url(database_factory: DatabaseFactory) -> str:
    """A sample town for tests that run the app (which writes sessions and audit rows)."""
    return database_factory.sample()


#: Real public files beside the repository (../shared/realdata), as CI provides them.
REALDATA = Path(__file__).resolve().parents[2] / "shared" / "realdata"


@pytest.fixture
def realdata() -> Path:
    """The folder of real public files; a test asking for it is marked ``realdata``."""
    return REALDATA


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests that read ../shared/realdata carry the ``realdata`` marker (set on the test or
    its module, or given by the ``realdata`` fixture), so ``-m realdata`` / ``-m "not
    realdata"`` select them; outside CI they skip when the folder is not there."""
    marker = pytest.mark.realdata
    for item in items:
        if "realdata" in getattr(item, "fixturenames", ()):
            item.add_marker(marker)
    if REALDATA.exists() or os.environ.get("CI"):
        return
    skip = pytest.mark.skip(reason=f"{REALDATA} not present (CI provides ../shared/realdata)")
    for item in items:
        if item.get_closest_marker("realdata") is not None:
            item.add_marker(skip)
