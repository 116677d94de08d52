"""watcher accounts (issue 13): a user linked to one watcher row, the person's agreement on a
watch link, and one-time sign-in codes

``users.watcher_id`` names the watcher row a ``watcher`` account is (NULL for other roles).
``watch_links.agreed`` says the person agreed that this watcher knows their name, so that a
watcher account sees the 氏名 of a household without 同意 (else its number and address only).
``sign_in_codes`` holds short-lived, single-use, revocable codes that staff print for a
watcher who will not manage a password; only the SHA-256 of a code is stored.

Revision ID: 0018_watcher_accounts
Revises: 0017_meeting_work
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018_watcher_accounts"
down_revision = "0017_meeting_work"
branch_labels = None
depends_on = None

WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("watcher_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_users_watcher_id", "watchers", ["watcher_id"], ["id"])
        batch.create_index("ix_users_watcher_id", ["watcher_id"])
    with op.batch_alter_table("watch_links") as batch:
        batch.add_column(
            sa.Column("agreed", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.create_table(
        "sign_in_codes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False, unique=True),
        sa.Column("created_by", sa.String(length=64), nullable=False, server_default=""),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("expires_at", WHEN, nullable=False),
        sa.Column("used_at", WHEN, nullable=True),
        sa.Column("revoked_at", WHEN, nullable=True),
    )
    op.create_index("ix_sign_in_codes_user_id", "sign_in_codes", ["user_id"])


def downgrade() -> None:
    op.drop_index("ix_sign_in_codes_user_id", table_name="sign_in_codes")
    op.drop_table("sign_in_codes")
    with op.batch_alter_table("watch_links") as batch:
        batch.drop_column("agreed")
    with op.batch_alter_table("users") as batch:
        batch.drop_index("ix_users_watcher_id")
        batch.drop_constraint("fk_users_watcher_id", type_="foreignkey")
        batch.drop_column("watcher_id")
