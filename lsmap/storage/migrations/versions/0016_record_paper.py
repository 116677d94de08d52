"""resources kept in the app: a salon's schedule as 曜日 and 頻度

``resources.weekdays`` (e.g. ``"tue,fri"``) and ``resources.frequency`` (``weekly``,
``biweekly``, ``twice_monthly``, ``monthly``, ``bimonthly``, ``irregular``) are what staff
choose in the resource form; ``meetings_per_month``, which the coverage rule reads, is worked
out from them. Existing rows keep their free-text ``schedule`` and get empty values.

Revision ID: 0016_record_paper
Revises: 0014_geocoding
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016_record_paper"
down_revision = "0014_geocoding"
branch_labels = None
depends_on = None


def upgrade() -> None:
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
