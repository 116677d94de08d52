"""``lsmap bench audit``: the history of one record in a large audit log (issue 11).

Fills a fresh database (a SQLite file in a temporary folder, or an empty PostGIS database)
with a synthetic audit log of ``rows`` entries (views, changes of households and their
records, map renders of a district and a few of the whole town, sign-ins, ...) and their
links, written with bulk inserts in the app's own formats and the writer's link rule
(:func:`lsmap.storage.models.audit_link_rows`), the log's indexes built after the load.
Then it times the history of one record read through the link table (median of ``repeat``
runs, a fresh session each), the audit page's record filter over its default week, and once
the old way: every change's JSON scanned in Python. Nothing here is real.
"""

from __future__ import annotations

import json
import random
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, insert, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from lsmap import access
from lsmap.access import Actor
from lsmap.storage import audit, db
from lsmap.storage.models import LINK_LIMIT, AuditEntry, Base, District, Household, Resident
from lsmap.storage.models import audit_link_rows as link_rows
from lsmap.vocab import Role

#: ``record_history(session, actor, entity, record_id)`` (lsmap.records.history), handed in
#: by the command line: the bench room sits beside, not above, the records room.
History = Callable[[Session, Actor, str, int], Sequence[Any]]
TARGET_MS = 50.0
CHANGES = ("create", "update", "delete", "restore")
CHILDREN = ("resident", "watch_link", "contact_log", "emergency_contact")
#: Share of each kind of entry (the rest are sign-ins and coverage views).
SHARES = {
    "view_record": 0.40,
    "change": 0.15,
    "map_render": 0.03,
    "wide_map_render": 0.0005,
    "print": 0.02,
    "access_denied": 0.01,
    "view_start": 0.02,
    "search": 0.02,
    "login": 0.20,
}
CHUNK = 20_000
AUDIT_COLUMNS = ("id", "at", "username", "role", "action", "entity", "entity_ids", "detail")
LINK_COLUMNS = ("audit_id", "entity", "action", "entity_id", "household_id")


class BenchError(RuntimeError):
    """The bench cannot run; ``message`` says why in Japanese."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def bench_audit(
    url: str | None, rows: int, *, history: History, repeat: int = 20, seed: int = 11
) -> dict[str, Any]:
    """Fill a fresh database at ``url`` (None: a temporary SQLite file) and time the reads."""
    if rows < 100:
        raise BenchError("--rows は 100 以上にしてください")
    folder = None if url else tempfile.mkdtemp(prefix="lsmap-bench-audit-")
    url = url or f"sqlite:///{folder}/bench.sqlite"
    engine = db.get_engine(url)
    try:
        if db.current_revision(engine) is not None:
            raise BenchError(
                "ベンチマークは空のデータベースにだけ書き込みます（このデータベースにはスキーマがあります）"
            )
        db.upgrade(engine)
        started = time.perf_counter()
        households, links = _fill(engine, rows, random.Random(seed))  # noqa: S311 - filler data
        fill_s = time.perf_counter() - started
        engine.dispose()  # measure on fresh connections (no fill-time pragmas)
        report = _measure(engine, history, households, repeat)
        size_mb = _size_mb(engine)
    finally:
        engine.dispose()
        if folder:
            shutil.rmtree(folder, ignore_errors=True)
    return {
        "backend": engine.dialect.name,
        "rows": rows,
        "links": links,
        "households": households,
        "fill_s": round(fill_s, 1),
        "database_mb": size_mb,
        "repeat": repeat,
        **report,
        "target_ms": TARGET_MS,
    }


# ---------------------------------------------------------------- filling


def _fill(engine: Engine, rows: int, rng: random.Random) -> tuple[int, int]:
    """The town and ``rows`` audit entries; returns (households, links written)."""
    households = max(50, rows // 200)
    district = _town(engine, households)
    end = datetime.now(UTC)
    start, step = end - timedelta(days=730), timedelta(days=730) / rows
    links = 0
    tables = Base.metadata.tables
    indexes = [*tables["audit_log"].indexes, *tables["audit_links"].indexes]
    with engine.begin() as connection:
        _fast_sqlite(connection)
        for index in indexes:  # a bulk load: fill first, then build the same indexes
            index.drop(connection)
        for first in range(1, rows + 1, CHUNK):
            entries = [
                (i, start + step * i, *_entry(rng, households, district))
                for i in range(first, min(first + CHUNK, rows + 1))
            ]
            links += _write(connection, entries)
        for index in indexes:
            index.create(connection)
        _set_sequences(connection, {"audit_log": rows})
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.execute(text("ANALYZE"))  # as autovacuum would after a big load
    return households, links


def _town(engine: Engine, households: int) -> int:
    """One district whose households (ids 1..n) have one resident each (same id)."""
    with engine.begin() as connection:
        district = connection.execute(
            insert(District)
            .values(code="bench-1", name="ベンチ町", level="neighbourhood")
            .returning(District.id)
        ).scalar_one()
        numbers = range(1, households + 1)
        connection.execute(
            insert(Household),
            [
                {"id": h, "district_id": district, "household_type": "elderly_alone"}
                for h in numbers
            ],
        )
        connection.execute(
            insert(Resident), [{"id": h, "household_id": h, "name": "ベンチ"} for h in numbers]
        )
        _set_sequences(connection, {"households": households, "residents": households})
    return int(district)


def _set_sequences(connection: Connection, tops: dict[str, int]) -> None:
    """PostgreSQL: move the id sequences past ids written explicitly."""
    if connection.dialect.name != "postgresql":
        return
    for name, top in tops.items():
        connection.execute(text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), {top})"))


def _fast_sqlite(connection: Connection) -> None:
    """A throw-away bench file needs no fsync; a big page cache keeps index inserts in memory."""
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("PRAGMA synchronous=OFF")
        connection.exec_driver_sql("PRAGMA cache_size=-262144")


def _household(rng: random.Random, households: int) -> int:
    """A household: No. 1 is the busiest (1 % of everything), the rest evenly."""
    return 1 if rng.random() < 0.01 else rng.randint(1, households)


def _entry(
    rng: random.Random, households: int, district: int
) -> tuple[str, str, str, str, list[int], dict[str, Any]]:
    """(username, role, action, entity, ids, detail) of one synthetic entry."""
    user = f"staff{rng.randint(1, 40):02d}"
    pick, kind = rng.random(), "coverage"
    for name, share in SHARES.items():
        if pick < share:
            kind = name
            break
        pick -= share
    h = _household(rng, households)
    if kind == "change":
        return (user, "staff", *_change(rng, h, households))
    if kind == "map_render":
        first = rng.randint(1, max(1, households - 90))
        block = list(range(first, min(households, first + rng.randint(10, 90)) + 1))
        return user, "staff", "map_render", "household", block, {"layers": ["households"]}
    if kind == "wide_map_render":
        everyone = list(range(1, households + 1))
        return "admin", "admin", "map_render", "household", everyone, {"layers": ["households"]}
    if kind == "view_start":
        shown = sorted({_household(rng, households) for _ in range(8)})
        return user, "staff", "view_start", "household", shown, {"urgent": 3}
    if kind in ("view_record", "print", "access_denied"):
        return user, "staff", kind, "household", [h], {}
    if kind in ("search", "login"):
        return user, "staff", kind, "user", [] if kind == "search" else [rng.randint(1, 40)], {}
    return user, "staff", "coverage", "district", [district], {"radius_m": 300}


def _change(
    rng: random.Random, h: int, households: int
) -> tuple[str, str, list[int], dict[str, Any]]:
    """(action, entity, ids, detail) of a change of household ``h`` or one of its records."""
    action = rng.choices(CHANGES, weights=(20, 70, 5, 5))[0]
    entity = rng.choices(("household", *CHILDREN), weights=(30, 30, 10, 25, 5))[0]
    fields = sorted(rng.sample(("address", "note", "phone", "name", "contacted_on"), 2))
    if entity == "household":
        return action, entity, [h], {"fields": fields}
    record = h if entity == "resident" else rng.randint(1, 3 * households)
    return action, entity, [record], {"fields": fields, "household": h}


def _write(connection: Connection, entries: list[tuple[Any, ...]]) -> int:
    """Bulk-insert audit entries (id, at, user, role, action, entity, ids, detail) and their
    links; returns the number of links."""
    sqlite = connection.dialect.name == "sqlite"
    at = AuditEntry.__table__.c.at.type.dialect_impl(connection.dialect)
    as_stored = at.bind_processor(connection.dialect) if sqlite else None
    audit_rows = [
        (i, as_stored(moment) if as_stored else moment, *who, json.dumps(ids), json.dumps(detail))
        for i, moment, *who, ids, detail in entries
    ]
    link_rows_ = [
        tuple(link[c] for c in LINK_COLUMNS)
        for i, _, _, _, action, entity, ids, detail in entries
        for link in link_rows(i, action, entity, ids, detail)
    ]
    _bulk(connection, "audit_log", AUDIT_COLUMNS, audit_rows)
    _bulk(connection, "audit_links", LINK_COLUMNS, link_rows_)
    return len(link_rows_)


def _bulk(
    connection: Connection, table: str, columns: Sequence[str], rows: list[tuple[Any, ...]]
) -> None:
    """SQLite: one executemany; PostgreSQL: COPY (psycopg)."""
    names = ", ".join(columns)
    if connection.dialect.name == "sqlite":
        marks = ", ".join("?" for _ in columns)
        # Constant table and column names of our own schema; the values go as parameters.
        sql = f"INSERT INTO {table} ({names}) VALUES ({marks})"  # noqa: S608
        connection.exec_driver_sql(sql, rows)
        return
    driver: Any = connection.connection.driver_connection  # a psycopg connection here
    with driver.cursor().copy(f"COPY {table} ({names}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


# ---------------------------------------------------------------- measuring


def _size_mb(engine: Engine) -> float:
    """Size of the database (SQLite: pages in use; PostgreSQL: the database on disk)."""
    with engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            pages = connection.exec_driver_sql("PRAGMA page_count").scalar_one()
            size = pages * connection.exec_driver_sql("PRAGMA page_size").scalar_one()
        else:
            size = connection.execute(text("SELECT pg_database_size(current_database())")).scalar()
    return round(size / 1e6, 1)


def _timed(engine: Engine, repeat: int, read: Callable[[Session], Sequence[Any]]) -> dict[str, Any]:
    """Median and worst of ``repeat`` runs of ``read``, each in a fresh session."""
    times, found = [], 0
    for _ in range(repeat):
        with Session(engine) as session:
            started = time.perf_counter()
            found = len(read(session))
            times.append((time.perf_counter() - started) * 1000)
    return {
        "entries": found,
        "median_ms": round(statistics.median(times), 2),
        "max_ms": round(max(times), 2),
    }


def _measure(engine: Engine, history: History, households: int, repeat: int) -> dict[str, Any]:
    """History of the busiest and of a typical household and of a resident; the audit page's
    record filter; the old JSON scan once."""
    with Session(engine) as session:
        district = session.execute(select(District.id)).scalar_one()
    staff = Actor(
        user_id=0,
        username="bench",
        display_name="ベンチ",
        role=Role.STAFF,
        district_ids=frozenset({district}),
    )
    admin = Actor(
        user_id=0,
        username="bench",
        display_name="ベンチ",
        role=Role.ADMIN,
        district_ids=frozenset(),
    )
    typical = households // 2
    timings = {
        "household_busiest": _timed(engine, repeat, lambda s: history(s, staff, "household", 1)),
        "household_typical": _timed(
            engine, repeat, lambda s: history(s, staff, "household", typical)
        ),
        "resident_busiest": _timed(engine, repeat, lambda s: history(s, staff, "resident", 1)),
    }
    since = datetime.now(UTC) - timedelta(days=7)
    page = _timed(
        engine, repeat, lambda s: access.audit_entries(s, admin, since=since, entity_id=1)
    )
    with Session(engine) as session:
        started = time.perf_counter()
        scanned = _json_scan(session, 1)
        scan_ms = (time.perf_counter() - started) * 1000
        linked = history(session, staff, "household", 1)
        same = [(e.at, e.entity, e.action) for e in linked] == [
            (e.at, e.entity, e.action) for e in scanned[: len(linked)]
        ]
    return {
        "history": timings,
        "audit_filter_7_days": page,
        "map_render_audit": _render_writes(engine, staff, repeat),
        "json_scan": {"entries": len(scanned), "ms": round(scan_ms, 1)},
        "history_same_as_json_scan": same,
        "within_target": all(t["median_ms"] <= TARGET_MS for t in timings.values()),
    }


def _render_writes(engine: Engine, actor: Actor, repeat: int) -> dict[str, Any]:
    """Time auditing a map render (entry and links, rolled back) of one household, of
    ``LINK_LIMIT`` households (one link each) and of more (one wide link)."""
    result = {}
    for label, count in (("one", 1), ("at_limit", LINK_LIMIT), ("wide", 5 * LINK_LIMIT)):
        ids = list(range(1, count + 1))
        times = []
        for _ in range(repeat):
            with Session(engine) as session:
                started = time.perf_counter()
                audit.log(session, actor, "map_render", "household", ids, layers=["households"])
                session.flush()
                times.append((time.perf_counter() - started) * 1000)
                session.rollback()
        result[label] = {"ids": count, "median_ms": round(statistics.median(times), 2)}
    return result


def _json_scan(session: Session, household_id: int) -> list[AuditEntry]:
    """The old way (before the link table): every change of a household-like entity, its
    JSON read in Python, newest first."""
    query = (
        select(AuditEntry)
        .where(AuditEntry.entity.in_(("household", *CHILDREN)), AuditEntry.action.in_(CHANGES))
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    )
    entries = session.scalars(query.execution_options(yield_per=5000))
    return [e for e in entries if _belongs(e, household_id)]


def _belongs(entry: AuditEntry, household_id: int) -> bool:
    if entry.entity == "household":
        return household_id in (entry.entity_ids or [])
    return (entry.detail or {}).get("household") == household_id
