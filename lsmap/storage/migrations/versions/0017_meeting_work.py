"""the meeting's work: proposals, confirmed reviews, the meeting register, 緊急連絡表 entries

A 福祉連絡会 proposes (``meeting_proposals``); district staff confirm a proposal into
records, and a confirmed 見直し済み lands in ``household_reviews`` (the 12-month 見直し時期
rule reads it; households get no new column). ``meeting_records`` is the 会議の記録 and
``contact_sheet_entries`` holds what staff wrote on an area's 緊急連絡表 (issue 14).

Revision ID: 0017_meeting_work
Revises: 0016_record_paper
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017_meeting_work"
down_revision = "0016_record_paper"
branch_labels = None
depends_on = None

WHEN = sa.DateTime(timezone=True)


def _versioned() -> list[sa.Column]:
    return [
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", WHEN, nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
        sa.Column("deleted_at", WHEN),
    ]


def _district() -> sa.Column:
    return sa.Column("district_id", sa.Integer(), sa.ForeignKey("districts.id"), nullable=False)


def upgrade() -> None:
    op.create_table(
        "meeting_proposals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        _district(),
        sa.Column("household_id", sa.Integer(), sa.ForeignKey("households.id")),
        sa.Column("address", sa.String(length=300), nullable=False),
        sa.Column("lon", sa.Float()),
        sa.Column("lat", sa.Float()),
        sa.Column("household_type", sa.String(length=32), nullable=False),
        sa.Column("concerns", sa.Text(), nullable=False),
        sa.Column("watcher_role", sa.String(length=32), nullable=False),
        sa.Column("relation", sa.String(length=200), nullable=False),
        sa.Column("watcher_id", sa.Integer(), sa.ForeignKey("watchers.id")),
        sa.Column("involvement", sa.String(length=32), nullable=False),
        sa.Column("frequency", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("proposed_by", sa.String(length=64), nullable=False),
        sa.Column("proposed_session", sa.String(length=32), nullable=False),
        sa.Column("decided_by", sa.String(length=64), nullable=False),
        sa.Column("decided_at", WHEN),
        sa.Column("reject_reason", sa.Text(), nullable=False),
        sa.Column("result_id", sa.Integer()),
        *_versioned(),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_meeting_proposals_district_status", "meeting_proposals", ["district_id", "status"]
    )
    op.create_index("ix_meeting_proposals_household_id", "meeting_proposals", ["household_id"])
    op.create_table(
        "household_reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), sa.ForeignKey("households.id"), nullable=False),
        sa.Column("reviewed_on", sa.Date(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("confirmed_by", sa.String(length=64), nullable=False),
        sa.Column("proposal_id", sa.Integer(), sa.ForeignKey("meeting_proposals.id")),
        sa.Column("created_at", WHEN, nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_household_reviews_household_date", "household_reviews", ["household_id", "reviewed_on"]
    )
    op.create_table(
        "meeting_records",
        sa.Column("id", sa.Integer(), nullable=False),
        _district(),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("attendees", sa.JSON(), nullable=False),
        sa.Column("households_reviewed", sa.JSON(), nullable=False),
        sa.Column("decisions", sa.Text(), nullable=False),
        sa.Column("next_meeting_on", sa.Date()),
        sa.Column("entered_by", sa.String(length=64), nullable=False),
        sa.Column("entered_session", sa.String(length=32), nullable=False),
        *_versioned(),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_meeting_records_district_id", "meeting_records", ["district_id"])
    op.create_table(
        "contact_sheet_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        _district(),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        *_versioned(),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_contact_sheet_entries_district_id", "contact_sheet_entries", ["district_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_contact_sheet_entries_district_id", table_name="contact_sheet_entries")
    op.drop_table("contact_sheet_entries")
    op.drop_index("ix_meeting_records_district_id", table_name="meeting_records")
    op.drop_table("meeting_records")
    op.drop_index("ix_household_reviews_household_date", table_name="household_reviews")
    op.drop_table("household_reviews")
    op.drop_index("ix_meeting_proposals_household_id", table_name="meeting_proposals")
    op.drop_index("ix_meeting_proposals_district_status", table_name="meeting_proposals")
    op.drop_table("meeting_proposals")
