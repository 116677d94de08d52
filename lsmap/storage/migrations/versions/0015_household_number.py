"""the daily loop (issue 12): 世帯番号, follow-up plan, logged links, contact outcome

- ``households.number``: one stable 世帯番号, unique, assigned once and never reused;
  ``counters`` keeps the last number handed out so a deleted household's number stays
  used. Existing households are numbered in the order they were created (by id).
- ``households.next_visit_on`` / ``assignee_id`` / ``reviewed_on``: the follow-up plan
  (次回の訪問予定日, 担当, 見直し).
- ``watch_links.logged``: whether the link's contacts are recorded; only logged links set
  the expected interval. Links of 民生委員, 福祉推進員 and 老人家庭相談員 and every 訪問
  link are logged; a neighbour's daily greeting is not.
- ``contact_logs.outcome``: 会えた / 不在 / 入院中 / 施設入所 / その他.

Revision ID: 0015_household_number
Revises: 0014_geocoding
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015_household_number"
down_revision = "0014_geocoding"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "counters",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    with op.batch_alter_table("households") as batch:
        batch.add_column(sa.Column("number", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("next_visit_on", sa.Date(), nullable=True))
        batch.add_column(sa.Column("assignee_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("reviewed_on", sa.Date(), nullable=True))
        batch.create_unique_constraint("uq_households_number", ["number"])
        batch.create_foreign_key("fk_households_assignee", "users", ["assignee_id"], ["id"])
    op.execute(
        "UPDATE households SET number = (SELECT COUNT(*) FROM households AS h "
        "WHERE h.id <= households.id)"
    )
    # only where households exist: a fresh database stays empty (a restore needs that);
    # the first number taken then creates the row
    op.execute(
        "INSERT INTO counters (name, value) "
        "SELECT 'household_number', MAX(number) FROM households HAVING COUNT(*) > 0"
    )  # an empty database stays empty (a backup restores only into one); see take_numbers
    with op.batch_alter_table("watch_links") as batch:
        batch.add_column(
            sa.Column("logged", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.execute(
        "UPDATE watch_links SET logged = (involvement = 'visit' OR EXISTS ("
        "SELECT 1 FROM watchers AS w WHERE w.id = watch_links.watcher_id "
        # the rule of lsmap.vocab.logged_by_default, frozen here for the backfill
        "AND w.role IN ('commissioner', 'welfare_volunteer', 'elderly_counsellor')))"
    )
    with op.batch_alter_table("contact_logs") as batch:
        batch.add_column(
            sa.Column("outcome", sa.String(length=16), nullable=False, server_default="")
        )


def downgrade() -> None:
    with op.batch_alter_table("contact_logs") as batch:
        batch.drop_column("outcome")
    with op.batch_alter_table("watch_links") as batch:
        batch.drop_column("logged")
    with op.batch_alter_table("households") as batch:
        batch.drop_constraint("fk_households_assignee", type_="foreignkey")
        batch.drop_constraint("uq_households_number", type_="unique")
        batch.drop_column("reviewed_on")
        batch.drop_column("assignee_id")
        batch.drop_column("next_visit_on")
        batch.drop_column("number")
    op.drop_table("counters")
