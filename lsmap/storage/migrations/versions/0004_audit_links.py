"""audit links: an indexed, append-only table of the records each audit entry names

One row per (audit entry, id in its ``entity_ids``), with the entry's entity and action and
the household the record belongs to, so that per-record history, the audit page's record
filter and "who changed this" are index lookups instead of scans of JSON. The record and
household indexes hold only changes (partial indexes on the action); the third index, by
entry, serves the audit page's filter over a range of entries. Entries naming
more than ``LINK_LIMIT`` (1000) ids get one row with ``entity_id`` NULL instead (see
``lsmap.storage.models.LINK_LIMIT``). Existing entries are backfilled here, in SQL, in
batches of ids; the same rule as ``lsmap.storage.models.audit_link_rows``.

``audit_id`` is ``audit_log.id`` without a foreign key: PostgreSQL checks keys before
TRUNCATE triggers, so a key would let ``TRUNCATE audit_log`` fail with a key error instead of
the append-only refusal. Like ``audit_log`` the table is append-only: triggers refuse UPDATE and DELETE, on SQLite
also INSERT OR REPLACE of an existing id, on PostgreSQL also TRUNCATE.

Revision ID: 0004
Revises: 0003d
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003d"
branch_labels = None
depends_on = None

#: Same value as lsmap.storage.models.LINK_LIMIT when this migration was written (frozen here
#: so that the migration means the same thing forever).
LINK_LIMIT = 1000
#: Only changes are in the record and household indexes (as lsmap.storage.models.CHANGES_ONLY).
CHANGES_ONLY = "action IN ('create', 'update', 'delete', 'restore')"
BATCH = 50_000

SQLITE_TRIGGERS = [
    """CREATE TRIGGER audit_links_no_update BEFORE UPDATE ON audit_links
       BEGIN SELECT RAISE(ABORT, 'audit_links is append-only'); END""",
    """CREATE TRIGGER audit_links_no_delete BEFORE DELETE ON audit_links
       BEGIN SELECT RAISE(ABORT, 'audit_links is append-only'); END""",
    """CREATE TRIGGER audit_links_no_replace BEFORE INSERT ON audit_links
       WHEN EXISTS (SELECT 1 FROM audit_links WHERE id = NEW.id)
       BEGIN SELECT RAISE(ABORT, 'audit_links is append-only'); END""",
]
POSTGRES_TRIGGERS = [
    """CREATE FUNCTION lsmap_audit_links_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
       BEGIN RAISE EXCEPTION 'audit_links is append-only'; END $$""",
    """CREATE TRIGGER audit_links_append_only BEFORE UPDATE OR DELETE ON audit_links
       FOR EACH ROW EXECUTE FUNCTION lsmap_audit_links_append_only()""",
    """CREATE TRIGGER audit_links_no_truncate BEFORE TRUNCATE ON audit_links
       FOR EACH STATEMENT EXECUTE FUNCTION lsmap_audit_links_append_only()""",
]

# One statement per dialect for each kind of row; :lo and :hi bound the audit ids of a batch.
SQLITE_LINKS = """
INSERT INTO audit_links (audit_id, entity, action, entity_id, household_id)
SELECT a.id, a.entity, a.action, CAST(j.value AS INTEGER),
       CASE WHEN a.entity = 'household' THEN CAST(j.value AS INTEGER)
            WHEN json_type(a.detail, '$.household') = 'integer'
            THEN json_extract(a.detail, '$.household') END
FROM audit_log AS a, json_each(a.entity_ids) AS j
WHERE a.id >= :lo AND a.id < :hi AND json_array_length(a.entity_ids) <= :limit
ORDER BY a.id, j.key"""
SQLITE_WIDE = """
INSERT INTO audit_links (audit_id, entity, action, entity_id, household_id)
SELECT a.id, a.entity, a.action, NULL, NULL FROM audit_log AS a
WHERE a.id >= :lo AND a.id < :hi AND json_array_length(a.entity_ids) > :limit
ORDER BY a.id"""
POSTGRES_LINKS = """
INSERT INTO audit_links (audit_id, entity, action, entity_id, household_id)
SELECT a.id, a.entity, a.action, j.value::integer,
       CASE WHEN a.entity = 'household' THEN j.value::integer
            WHEN json_typeof(a.detail -> 'household') = 'number'
                 AND (a.detail ->> 'household') ~ '^-?[0-9]+$'
            THEN (a.detail ->> 'household')::integer END
FROM audit_log AS a
CROSS JOIN LATERAL json_array_elements_text(a.entity_ids) WITH ORDINALITY AS j(value, n)
WHERE a.id >= :lo AND a.id < :hi AND json_array_length(a.entity_ids) <= :limit
ORDER BY a.id, j.n"""
POSTGRES_WIDE = """
INSERT INTO audit_links (audit_id, entity, action, entity_id, household_id)
SELECT a.id, a.entity, a.action, NULL, NULL FROM audit_log AS a
WHERE a.id >= :lo AND a.id < :hi AND json_array_length(a.entity_ids) > :limit
ORDER BY a.id"""


def _create_table() -> None:
    op.create_table(
        "audit_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("audit_id", sa.Integer(), nullable=False),
        sa.Column("entity", sa.String(length=32), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=True),
        sa.Column("household_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )


def _backfill(postgres: bool) -> None:
    """Links of every existing entry, in batches of ``BATCH`` audit ids, oldest first."""
    bind = op.get_bind()
    top = bind.execute(sa.text("SELECT MAX(id) FROM audit_log")).scalar()
    if top is None:
        return
    links, wide = (POSTGRES_LINKS, POSTGRES_WIDE) if postgres else (SQLITE_LINKS, SQLITE_WIDE)
    for lo in range(1, top + 1, BATCH):  # wide entries are rare: the order within a batch
        bounds = {"lo": lo, "hi": lo + BATCH, "limit": LINK_LIMIT}  # does not matter to readers
        bind.execute(sa.text(links), bounds)
        bind.execute(sa.text(wide), bounds)


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    _create_table()
    _backfill(postgres)  # before the indexes and triggers: faster on a large log
    changes = {"sqlite_where": sa.text(CHANGES_ONLY), "postgresql_where": sa.text(CHANGES_ONLY)}
    with op.batch_alter_table("audit_links", schema=None) as batch_op:
        batch_op.create_index(
            "ix_audit_links_record", ["entity", "entity_id", "audit_id"], unique=False, **changes
        )
        batch_op.create_index(
            "ix_audit_links_household", ["household_id", "audit_id"], unique=False, **changes
        )
        batch_op.create_index("ix_audit_links_audit", ["audit_id", "entity_id"], unique=False)
    for statement in POSTGRES_TRIGGERS if postgres else SQLITE_TRIGGERS:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_links_no_truncate ON audit_links")
        op.execute("DROP TRIGGER IF EXISTS audit_links_append_only ON audit_links")
        op.execute("DROP FUNCTION IF EXISTS lsmap_audit_links_append_only()")
    else:
        for name in ("no_update", "no_delete", "no_replace"):
            op.execute(f"DROP TRIGGER IF EXISTS audit_links_{name}")
    op.drop_table("audit_links")  # with its indexes
