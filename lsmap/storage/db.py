"""Engines, sessions and schema migrations for SQLite (embedded) and PostGIS."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from lsmap.settings import get_settings

MIGRATIONS_DIR = Path(__file__).with_name("migrations")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def get_engine(url: str | None = None) -> Engine:
    """The process-wide engine for ``url`` (default: from settings). Holds no personal data."""
    return _engine_for(url or get_settings().database_url)


def private_file(path: Path) -> None:
    """Create ``path`` readable and writable by its owner only (0600), or take "other"
    users' permissions away from an existing file."""
    if path.exists():
        path.chmod(path.stat().st_mode & 0o770)
    else:
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
        path.chmod(0o600)  # whatever the umask


def _private_sqlite(url: str) -> None:
    """Make a SQLite database file private before SQLite opens it.

    SQLite creates the ``-wal`` and ``-shm`` files with the permissions of the database
    file, so they follow; existing ones are tightened too.
    """
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = Path(database)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    for part in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if part == path or part.exists():
            private_file(part)


@lru_cache(maxsize=16)
def _engine_for(url: str) -> Engine:
    if url.startswith("sqlite"):
        _private_sqlite(url)
        engine = create_engine(url, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        engine = create_engine(url, pool_pre_ping=True)
    return engine


def is_postgres(engine: Engine) -> bool:
    """True when ``engine`` talks to PostgreSQL/PostGIS."""
    return engine.dialect.name == "postgresql"


@contextmanager
def transaction(engine: Engine) -> Iterator[Session]:
    """A session whose work is committed as one transaction, or rolled back on error.

    An error that carries ``after_rollback`` (a refused read, see ``audit.log_denied``) has
    it run in a fresh transaction after the rollback, so that its audit entry is kept.
    """
    factory = sessionmaker(engine, expire_on_commit=False)
    try:
        with factory() as session, session.begin():
            yield session
    except Exception as error:
        keep = getattr(error, "after_rollback", None)
        if keep is not None:
            error.after_rollback = None  # type: ignore[attr-defined]  # marker; written once only
            with factory() as session, session.begin():
                keep(session)
        raise


def _alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision`` (idempotent)."""
    command.upgrade(_alembic_config(engine), revision)


def downgrade(engine: Engine, revision: str) -> None:
    """Take the schema back to ``revision``."""
    command.downgrade(_alembic_config(engine), revision)


def current_revision(engine: Engine) -> str | None:
    """The migration revision the database is at, or None for an empty database."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def head_revision() -> str:
    """The newest migration revision shipped with this code."""
    script = ScriptDirectory.from_config(_alembic_config(get_engine("sqlite://")))
    head = script.get_current_head()
    if head is None:
        raise RuntimeError("no Alembic migrations found")
    return head
