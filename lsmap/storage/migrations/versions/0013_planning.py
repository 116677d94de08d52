"""planning: census small-area statistics, coverage snapshots, road networks (issue 16)

Revision ID: 0013_planning
Revises: 0012_basemap
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_planning"
down_revision = "0012_basemap"
branch_labels = None
depends_on = None

WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "census_statistics",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("district_id", sa.Integer(), sa.ForeignKey("districts.id"), nullable=False),
        sa.Column("key_code", sa.String(length=16), nullable=False),
        sa.Column("area_name", sa.String(length=200), nullable=False),
        sa.Column("survey", sa.String(length=100), nullable=False),
        sa.Column("population", sa.Integer()),
        sa.Column("households", sa.Integer()),
        sa.Column("aged_65", sa.Integer()),
        sa.Column("aged_75", sa.Integer()),
        sa.Column("elderly_alone_households", sa.Integer()),
        sa.Column("suppressed", sa.JSON(), nullable=False),
        sa.Column("matched_by", sa.String(length=8), nullable=False),
        sa.Column("imported_at", WHEN, nullable=False),
        sa.Column("imported_by", sa.String(length=64), nullable=False),
        sa.Column("replaced_at", WHEN),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_census_statistics_district_id", "census_statistics", ["district_id"])
    op.create_table(
        "coverage_snapshots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("taken_at", WHEN, nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("trigger", sa.String(length=16), nullable=False),
        sa.Column("monthly_key", sa.String(length=7)),
        sa.Column("taken_by", sa.String(length=64), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("monthly_key"),
    )
    op.create_index("ix_coverage_snapshots_as_of", "coverage_snapshots", ["as_of"])
    op.create_table(
        "coverage_snapshot_rows",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "snapshot_id", sa.Integer(), sa.ForeignKey("coverage_snapshots.id"), nullable=False
        ),
        sa.Column("district_id", sa.Integer(), sa.ForeignKey("districts.id")),
        sa.Column("parent_id", sa.Integer()),
        sa.Column("district_code", sa.String(length=64), nullable=False),
        sa.Column("district_name", sa.String(length=200), nullable=False),
        sa.Column("level", sa.String(length=32), nullable=False),
        sa.Column("values", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_coverage_snapshot_rows_snapshot_id", "coverage_snapshot_rows", ["snapshot_id"]
    )
    op.create_table(
        "road_networks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("epsg", sa.Integer(), nullable=False),
        sa.Column("nodes", sa.Integer(), nullable=False),
        sa.Column("edges", sa.Integer(), nullable=False),
        sa.Column("length_m", sa.Float(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("graph", sa.LargeBinary(), nullable=False),
        sa.Column("imported_at", WHEN, nullable=False),
        sa.Column("imported_by", sa.String(length=64), nullable=False),
        sa.Column("replaced_at", WHEN),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("road_networks")
    op.drop_index("ix_coverage_snapshot_rows_snapshot_id", "coverage_snapshot_rows")
    op.drop_table("coverage_snapshot_rows")
    op.drop_index("ix_coverage_snapshots_as_of", "coverage_snapshots")
    op.drop_table("coverage_snapshots")
    op.drop_index("ix_census_statistics_district_id", "census_statistics")
    op.drop_table("census_statistics")
