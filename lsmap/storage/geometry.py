"""A geometry column type that is PostGIS ``geometry`` on PostgreSQL and WKB bytes elsewhere.

SQLite here cannot load SpatiaLite, so on SQLite geometry is stored as plain WKB and all
spatial work happens in shapely/geopandas. On PostgreSQL the column is GeoAlchemy2's
``Geometry`` (with a GiST index created by the migrations). Python code always sees shapely
geometries in EPSG:4326 (longitude, latitude).
"""

from __future__ import annotations

from typing import Any

import shapely
from geoalchemy2 import Geometry as PostGISGeometry
from geoalchemy2.elements import WKBElement
from geoalchemy2.shape import to_shape
from shapely.geometry.base import BaseGeometry
from sqlalchemy.engine import Dialect
from sqlalchemy.types import LargeBinary, TypeDecorator, TypeEngine

from lsmap.settings import STORAGE_SRID


class Geometry(TypeDecorator[BaseGeometry]):
    """Portable geometry column; values are shapely geometries in EPSG:4326."""

    impl = LargeBinary
    cache_ok = True
    #: GeoAlchemy2's DDL hooks ask this; the migrations create GiST indexes explicitly.
    spatial_index = False

    def __init__(self, geometry_type: str = "GEOMETRY", srid: int = STORAGE_SRID) -> None:
        super().__init__()
        self.geometry_type = geometry_type
        self.srid = srid

    def load_dialect_impl(self, dialect: Dialect | None) -> TypeEngine[Any]:
        # GeoAlchemy2's DDL hooks probe with dialect=None; answering "not spatial" keeps
        # them out of our tables (the migrations create the GiST indexes themselves).
        if dialect is None:
            return LargeBinary()
        if dialect.name == "postgresql":
            return dialect.type_descriptor(
                PostGISGeometry(self.geometry_type, srid=self.srid, spatial_index=False)
            )
        return dialect.type_descriptor(LargeBinary())

    def bind_expression(self, bindvalue: Any) -> Any:
        # Let GeoAlchemy2 wrap the parameter (ST_GeomFromEWKB) on PostgreSQL.
        return bindvalue

    def process_bind_param(self, value: BaseGeometry | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if not isinstance(value, BaseGeometry):
            raise TypeError(f"expected a shapely geometry, got {type(value).__name__}")
        if dialect.name == "postgresql":
            return WKBElement(
                shapely.to_wkb(value, include_srid=False), srid=self.srid, extended=False
            )
        return shapely.to_wkb(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> BaseGeometry | None:
        if value is None:
            return None
        if isinstance(value, WKBElement):
            return to_shape(value)
        if isinstance(value, memoryview):
            value = value.tobytes()
        if isinstance(value, str):
            return shapely.from_wkb(bytes.fromhex(value))
        return shapely.from_wkb(value)
