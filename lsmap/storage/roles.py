"""Two PostgreSQL roles: the owner runs migrations, the app runs Streamlit with less.

The owner (who ran ``lsmap db upgrade``) owns every table. :func:`grant_app` gives the app's
role exactly what the app needs: SELECT, INSERT, UPDATE and DELETE on the ordinary tables,
only SELECT and INSERT on ``audit_log`` and its ``audit_links``, SELECT on
``alembic_version`` and USAGE on the id sequences. The app role owns nothing, so it cannot
TRUNCATE, ALTER or DROP a table nor disable the audit log's triggers. Run it again after
every ``lsmap db upgrade`` (new tables get no privileges until then).
"""

from __future__ import annotations

import re

from sqlalchemy import Engine, text
from sqlalchemy.engine import Connection

from lsmap.storage import db
from lsmap.storage.models import Base

#: Tables the app may only read and append to.
APPEND_ONLY = ("audit_log", "audit_links")
#: Tables the app may only read (Alembic's bookkeeping).
READ_ONLY = ("alembic_version",)
_ROLE_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


class RoleError(RuntimeError):
    """A role that cannot be set up; ``message`` says why in Japanese."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _quote(connection: Connection, name: str) -> str:
    return connection.dialect.identifier_preparer.quote(name)


def _run(connection: Connection, statement: str) -> None:
    """Run DDL as written, in the connection's transaction (no placeholder processing)."""
    cursor = connection.connection.cursor()
    try:
        cursor.execute(statement)
    finally:
        cursor.close()


def _check_role(connection: Connection, role: str, create: bool, password: str | None) -> None:
    """Create ``role`` if asked; refuse a superuser, the owner or a member of the owner."""
    found = connection.execute(
        text("SELECT rolsuper FROM pg_roles WHERE rolname = :r"), {"r": role}
    ).first()
    if found is None and not create:
        raise RoleError(
            f"ロール「{role}」がありません。--create を付けるか、先に作成してください（createuser "
            f"{role}）"
        )
    if found is None:
        from psycopg import sql

        statement = sql.SQL("CREATE ROLE {} LOGIN").format(sql.Identifier(role))
        if password:
            statement += sql.SQL(" PASSWORD {}").format(sql.Literal(password))
        _run(connection, statement.as_string(connection.connection.driver_connection))
    elif found.rolsuper:
        raise RoleError(
            f"ロール「{role}」はスーパーユーザーです。アプリには権限を絞った別のロールを使ってください"
        )
    owner = connection.execute(
        text(
            "SELECT tableowner FROM pg_tables WHERE schemaname = current_schema() "
            "AND tablename = 'audit_log'"
        )
    ).scalar()
    if owner is None:
        raise RoleError(
            "スキーマがありません。所有者のロールで先に lsmap db upgrade を実行してください"
        )
    if connection.execute(
        text("SELECT pg_has_role(:r, :o, 'MEMBER')"), {"r": role, "o": owner}
    ).scalar():
        raise RoleError(
            f"ロール「{role}」は表の所有者（{owner}）か、そのメンバーです。アプリには別のロールを使ってください"
        )


def _statements(connection: Connection, role: str) -> list[str]:
    """The REVOKE/GRANT statements that leave ``role`` with exactly the app's privileges."""
    who = _quote(connection, role)
    database = _quote(
        connection, connection.execute(text("SELECT current_database()")).scalar_one()
    )
    schema = _quote(connection, connection.execute(text("SELECT current_schema()")).scalar_one())
    tables = [t.name for t in Base.metadata.sorted_tables]
    statements = [
        f"REVOKE ALL ON ALL TABLES IN SCHEMA {schema} FROM {who}",
        f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {schema} FROM {who}",
        f"GRANT CONNECT ON DATABASE {database} TO {who}",
        f"GRANT USAGE ON SCHEMA {schema} TO {who}",
    ]
    for name in [*tables, *READ_ONLY]:
        table = _quote(connection, name)
        statements.append(f"REVOKE ALL ON {table} FROM PUBLIC")
        if name in APPEND_ONLY:
            statements.append(f"GRANT SELECT, INSERT ON {table} TO {who}")
        elif name in READ_ONLY:
            statements.append(f"GRANT SELECT ON {table} TO {who}")
        else:
            statements.append(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO {who}")
    for name in [t.name for t in Base.metadata.sorted_tables if "id" in t.c]:
        sequence = connection.execute(
            text("SELECT pg_get_serial_sequence(:t, 'id')"), {"t": name}
        ).scalar()
        if sequence:  # already quoted and qualified by PostgreSQL
            statements.append(f"GRANT USAGE ON SEQUENCE {sequence} TO {who}")
    return statements


def grant_app(
    engine: Engine, role: str, *, create: bool = False, password: str | None = None
) -> list[str]:
    """Give the app's ``role`` only what the app needs (run as the owner); returns the
    statements run. ``create`` makes a LOGIN role first when it does not exist."""
    if not db.is_postgres(engine):
        raise RoleError(
            "ロールの設定は PostgreSQL だけで使います（SQLite ではファイルの権限で守ってください）"
        )
    if not _ROLE_NAME.fullmatch(role):
        raise RoleError(f"ロール名「{role}」は使えません（英小文字・数字・_ で 63 文字まで）")
    with engine.begin() as connection:
        _check_role(connection, role, create, password)
        statements = _statements(connection, role)
        for statement in statements:
            _run(connection, statement)
    return statements
