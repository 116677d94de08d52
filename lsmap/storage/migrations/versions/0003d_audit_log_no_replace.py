"""audit log: refuse replacing a row (SQLite) and TRUNCATE (PostgreSQL)

SQLite's ``INSERT OR REPLACE`` (and ``REPLACE``) deletes the old row without firing DELETE
triggers, so the UPDATE/DELETE triggers of 0001 let it rewrite history; a BEFORE INSERT
trigger now refuses an insert whose id already exists. PostgreSQL's TRUNCATE fires no row
triggers; a statement trigger refuses it (the app's own role has no TRUNCATE privilege
either, see ``lsmap db grant-app``).

Revision ID: 0003d
Revises: 0002
Create Date: 2026-11-30
"""

from __future__ import annotations

from alembic import op

revision = "0003d"
down_revision = "0002"
branch_labels = None
depends_on = None

SQLITE_NO_REPLACE = """CREATE TRIGGER audit_log_no_replace BEFORE INSERT ON audit_log
   WHEN EXISTS (SELECT 1 FROM audit_log WHERE id = NEW.id)
   BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END"""
POSTGRES_NO_TRUNCATE = """CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
   FOR EACH STATEMENT EXECUTE FUNCTION lsmap_audit_log_append_only()"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(POSTGRES_NO_TRUNCATE)
    else:
        op.execute(SQLITE_NO_REPLACE)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log")
    else:
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_replace")
