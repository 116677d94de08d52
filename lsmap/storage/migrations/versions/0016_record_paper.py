"""the record as the paper says it: a household's 課題, and a salon's 曜日 and 頻度

``household_issues`` holds several 課題 per household (codes of
``lsmap.vocab.HOUSEHOLD_ISSUES``) and ``households.issue_note`` the free text beside them.
``households.medical_conditions`` (持病), ``medications`` (服薬) and ``care_services``
(介護サービス・ケアマネ) are the health and care lines of the 緊急連絡カード.

``resources.weekdays`` (e.g. ``"tue,fri"``) and ``resources.frequency`` (``weekly``,
``biweekly``, ``twice_monthly``, ``monthly``, ``bimonthly``, ``irregular``) are what staff
choose in the resource form; ``meetings_per_month``, which the coverage rule reads, is worked
out from them. Existing rows keep their free-text ``schedule`` and get empty values.

Revision ID: 0016_record_paper
Revises: 0015_household_number
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016_record_paper"
down_revision = "0015_household_number"
branch_labels = None
depends_on = None

CARD_COLUMNS = ("medical_conditions", "medications", "care_services")


def upgrade() -> None:
    op.create_table(
        "household_issues",
        sa.Column("household_id", sa.Integer(), sa.ForeignKey("households.id"), nullable=False),
        sa.Column("issue", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("household_id", "issue"),
    )
    with op.batch_alter_table("households") as batch:
        batch.add_column(
            sa.Column("issue_note", sa.String(length=300), nullable=False, server_default="")
        )
        for name in CARD_COLUMNS:
            batch.add_column(
                sa.Column(name, sa.String(length=500), nullable=False, server_default="")
            )
    with op.batch_alter_table("resources") as batch:
        batch.add_column(
            sa.Column("weekdays", sa.String(length=32), nullable=False, server_default="")
        )
        batch.add_column(
            sa.Column("frequency", sa.String(length=16), nullable=False, server_default="")
        )


def downgrade() -> None:
    with op.batch_alter_table("resources") as batch:
        batch.drop_column("frequency")
        batch.drop_column("weekdays")
    with op.batch_alter_table("households") as batch:
        for name in reversed(CARD_COLUMNS):
            batch.drop_column(name)
        batch.drop_column("issue_note")
    op.drop_table("household_issues")
