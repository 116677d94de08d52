"""Writing many rows at once, in the caller's transaction (imports at city scale, issue 17).

``insert_many`` sends rows with the driver's ``executemany`` on SQLite and ``COPY … FROM
STDIN`` on PostgreSQL; values are converted exactly as SQLAlchemy would (its bind
processors) on SQLite, and written in COPY's text form on PostgreSQL (geometry as hex
EWKB, JSON as text). ``reserve_ids`` hands out primary keys beforehand, so that children
can name their parents without a round trip per row. ``table`` is a model's ``__table__``
(typed loosely: SQLAlchemy types it as a FromClause).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import JSON, func, select, text
from sqlalchemy.orm import Session

from lsmap.settings import STORAGE_SRID
from lsmap.storage.geometry import Geometry
from lsmap.storage.models import utcnow

#: Rows per executemany call on SQLite.
CHUNK = 5000


def defaults(table: Any) -> dict[str, Any]:
    """Values for the columns a row leaves out: their Python defaults (one clock reading)."""
    now = utcnow()
    values: dict[str, Any] = {}
    for column in table.columns:
        default = column.default
        if default is None or column.primary_key:
            continue
        if getattr(default, "is_scalar", False):
            values[column.name] = default.arg
        elif getattr(default, "is_callable", False):
            values[column.name] = now if column.name.endswith("_at") else default.arg(None)
    return values


def reserve_ids(session: Session, table: Any, count: int) -> list[int]:
    """``count`` new primary keys of ``table`` (its sequence on PostgreSQL; on SQLite the
    keys after the highest, which a concurrent writer would turn into a refused import)."""
    if count == 0:
        return []
    if session.get_bind().dialect.name == "postgresql":
        sequence = session.scalar(select(func.pg_get_serial_sequence(table.name, "id")))
        rows = session.execute(
            text("SELECT nextval(:s) FROM generate_series(1, :n)"), {"s": sequence, "n": count}
        )
        return [int(r[0]) for r in rows]
    highest = session.scalar(select(func.max(table.c.id))) or 0
    return list(range(highest + 1, highest + 1 + count))


def insert_many(session: Session, table: Any, rows: Sequence[dict[str, Any]]) -> None:
    """Insert ``rows`` (column -> Python value; missing columns get their defaults)."""
    if not rows:
        return
    base = defaults(table)
    names = [c.name for c in table.columns if c.name in rows[0] or c.name in base]
    columns = [table.c[name] for name in names]
    if session.get_bind().dialect.name == "postgresql":
        _copy(session, table, columns, rows, base)
        return
    dialect = session.get_bind().dialect
    processors: list[Callable[[Any], Any] | None] = [
        c.type._cached_bind_processor(dialect) for c in columns
    ]
    # Table and column names come from the models, never from input.
    marks = ", ".join("?" * len(names))
    sql = f"INSERT INTO {table.name} ({', '.join(names)}) VALUES ({marks})"  # noqa: S608
    cursor = session.connection().connection.driver_connection.cursor()  # type: ignore[union-attr]
    batch: list[tuple[Any, ...]] = []
    for row in rows:
        values = []
        for name, process in zip(names, processors, strict=True):
            value = row[name] if name in row else base[name]
            values.append(process(value) if process is not None and value is not None else value)
        batch.append(tuple(values))
        if len(batch) >= CHUNK:
            cursor.executemany(sql, batch)
            batch.clear()
    if batch:
        cursor.executemany(sql, batch)


def _copy_value(column: Any, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(column.type, Geometry) and isinstance(value, BaseGeometry):
        return shapely.to_wkb(shapely.set_srid(value, STORAGE_SRID), hex=True, include_srid=True)
    if isinstance(column.type, JSON):
        return json.dumps(value, ensure_ascii=False)
    return value


def _copy(
    session: Session,
    table: Any,
    columns: list[Any],
    rows: Sequence[dict[str, Any]],
    base: dict[str, Any],
) -> None:
    connection = session.connection().connection.driver_connection
    names = ", ".join(f'"{c.name}"' for c in columns)
    statement = f"COPY {table.name} ({names}) FROM STDIN"  # names from the models only
    with connection.cursor() as cursor, cursor.copy(statement) as copy:  # type: ignore[union-attr]
        for row in rows:
            copy.write_row(
                [_copy_value(c, row[c.name] if c.name in row else base[c.name]) for c in columns]
            )
