"""background map layers (roads, railways, rivers, buildings, parks, schools)

An administrator imports them once from GeoPackage, Shapefile or GeoJSON (issue 14); they
are public map data drawn under the points on screen and on paper, with their credit line.
The bounding-box columns let both databases pick a map's features with indexed comparisons.

Revision ID: 0012_basemap
Revises: 0004
Create Date: 2026-12-05
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import lsmap.storage.geometry

revision = "0012_basemap"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "basemap_features",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("subkind", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("geom", lsmap.storage.geometry.Geometry("GEOMETRY"), nullable=False),
        sa.Column("minx", sa.Float(), nullable=False),
        sa.Column("miny", sa.Float(), nullable=False),
        sa.Column("maxx", sa.Float(), nullable=False),
        sa.Column("maxy", sa.Float(), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("credit", sa.String(length=300), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("imported_by", sa.String(length=64), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("basemap_features", schema=None) as batch_op:
        batch_op.create_index(
            "ix_basemap_features_kind_box",
            ["kind", "minx", "maxx", "miny", "maxy"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("basemap_features", schema=None) as batch_op:
        batch_op.drop_index("ix_basemap_features_kind_box")
    op.drop_table("basemap_features")
