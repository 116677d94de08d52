"""offline geocoding: the address reference table and the match level of every point

``address_points`` holds the 位置参照情報 the council imports (街区 and 大字・町丁目 level);
households, watchers and resources get ``location_level`` (座標 / 地図で指定 / 街区 / 町丁目 /
市町村 / 不明). Existing households are marked from ``location_approximate``: approximate
points were put on their 町丁目, the others had coordinates.

Revision ID: 0014_geocoding
Revises: 0013_planning
Create Date: 2026-12-06
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014_geocoding"
down_revision = "0013_planning"
branch_labels = None
depends_on = None

POINT_TABLES = ("households", "watchers", "resources")


def upgrade() -> None:
    op.create_table(
        "address_points",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(length=8), nullable=False),
        sa.Column("pref", sa.String(length=16), nullable=False),
        sa.Column("city", sa.String(length=64), nullable=False),
        sa.Column("town", sa.String(length=200), nullable=False),
        sa.Column("koaza", sa.String(length=200), nullable=False),
        sa.Column("block", sa.String(length=32), nullable=False),
        sa.Column("city_key", sa.String(length=64), nullable=False),
        sa.Column("town_key", sa.String(length=200), nullable=False),
        sa.Column("block_key", sa.String(length=32), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("current", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_address_points_lookup", "address_points", ["city_key", "town_key", "block_key"]
    )
    for table in POINT_TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("location_level", sa.String(length=16), nullable=True))
    op.execute(
        "UPDATE households SET location_level = CASE WHEN location_approximate "
        "THEN 'town' ELSE 'given' END WHERE location IS NOT NULL"
    )
    op.execute("UPDATE watchers SET location_level = 'given' WHERE location IS NOT NULL")
    op.execute("UPDATE resources SET location_level = 'given' WHERE location IS NOT NULL")


def downgrade() -> None:
    for table in POINT_TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("location_level")
    op.drop_index("ix_address_points_lookup", table_name="address_points")
    op.drop_table("address_points")
