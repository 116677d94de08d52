"""The audit log at scale (issue 11): the indexed link table behind per-record history, the
audit page's record filter and "who changed this" — equal to the old JSON scan, backfilled
by migration 0004, append-only, kept by backups, and measured by ``lsmap bench audit``."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from conftest import SAMPLE_TODAY, DatabaseFactory, actor_for
from small_town import INSIDE_EAST, TODAY, actor, town, town_id  # noqa: F401
from sqlalchemy import Engine, Executable, event, insert, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from lsmap import access, records
from lsmap.access import EDIT_MODELS, Actor
from lsmap.cli import main
from lsmap.io import backup
from lsmap.records import history
from lsmap.records.writes import CHILD_ENTITIES, WRITE_ACTIONS, StaleRecord
from lsmap.storage import audit, db
from lsmap.storage.models import (
    LINK_LIMIT,
    AuditEntry,
    AuditLink,
    Household,
    Resident,
    audit_link_rows,
)

LINK_COLUMNS = ("audit_id", "entity", "action", "entity_id", "household_id")


def _links(engine: Engine) -> list[tuple[Any, ...]]:
    columns = [AuditLink.__table__.c[name] for name in LINK_COLUMNS]
    with engine.connect() as connection:
        rows = connection.execute(select(*columns).order_by(AuditLink.id)).all()
    return sorted((tuple(r) for r in rows), key=repr)


def _expected_links(engine: Engine) -> list[tuple[Any, ...]]:
    """What the writer's rule makes of every entry in the log."""
    with Session(engine) as session:
        entries = session.scalars(select(AuditEntry)).all()
        rows = [
            tuple(link[c] for c in LINK_COLUMNS)
            for e in entries
            for link in audit_link_rows(e.id, e.action, e.entity, e.entity_ids, e.detail)
        ]
    return sorted(rows, key=repr)


# ---------------------------------------------------------------- the old JSON scans (oracles)


def _old_history(session: Session, entity: str, record_id: int) -> list[tuple[Any, ...]]:
    """record_history before the link table: every change read and matched in Python."""
    entities = [entity, *sorted(CHILD_ENTITIES)] if entity == "household" else [entity]
    query = (
        select(AuditEntry)
        .where(AuditEntry.entity.in_(entities), AuditEntry.action.in_(WRITE_ACTIONS))
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    )
    found = []
    for entry in session.scalars(query):
        ids, detail = entry.entity_ids or [], entry.detail or {}
        own = entry.entity == entity and record_id in ids
        child = (
            entity == "household"
            and entry.entity in CHILD_ENTITIES
            and detail.get("household") == record_id
        )
        if own or child:
            found.append(
                (entry.at, entry.username, entry.entity, ids[0], entry.action, detail["fields"])
            )
    return found


def _new_history(
    session: Session, who: Actor, entity: str, record_id: int
) -> list[tuple[Any, ...]]:
    return [
        (e.at, e.username, e.entity, e.record_id, e.action, list(e.fields))
        for e in history.record_history(session, who, entity, record_id, limit=None)
    ]


def _old_filter(session: Session, entity_id: int, since: datetime | None) -> list[int]:
    query = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    if since is not None:
        query = query.where(AuditEntry.at >= since)
    return [e.id for e in session.scalars(query) if entity_id in (e.entity_ids or [])]


def _old_last_writer(session: Session, entity: str, record_id: int) -> str | None:
    entries = session.scalars(
        select(AuditEntry)
        .where(AuditEntry.entity == entity, AuditEntry.action.in_(WRITE_ACTIONS))
        .order_by(AuditEntry.id.desc())
        .limit(200)
    )
    return next((e.username for e in entries if record_id in (e.entity_ids or [])), None)


# ---------------------------------------------------------------- equal to the old scans


def _edit(engine: Engine, who: Actor, entity: str, record_id: int, values: dict[str, Any]) -> None:
    with Session(engine) as session:
        loaded = access.edit_snapshot(session, who, entity, record_id)
    records.update(
        engine,
        who,
        entity,
        record_id,
        values,
        version=loaded["version"],
        loaded=loaded,
        today=SAMPLE_TODAY,
    )


def _work_on_the_sample_town(engine: Engine) -> list[int]:
    """Changes by several users to households, residents, contacts and cards, with reads,
    a district map render and a wide one in between; returns the households changed."""
    with Session(engine) as session:
        admin, staff = actor_for(session, "admin"), actor_for(session, "staff_east")
        everyone = list(session.scalars(select(Household.id).order_by(Household.id)))
        mine = [p.id for p in access.household_points(session, staff, None)][:4]
    changed = [*mine, *everyone[:3]]
    for number, hid in enumerate(changed):
        who = staff if hid in mine else admin
        _edit(engine, who, "household", hid, {"note": f"メモ{number}"})
        with Session(engine) as session:
            query = select(Resident.id).where(Resident.household_id == hid)
            residents = list(session.scalars(query))
            access.watch_record(session, who, hid)  # a view_record entry
            session.commit()
        for rid in residents[:2]:
            _edit(engine, admin, "resident", rid, {"phone": f"046-200-{1000 + rid}"})
        records.record_contact(
            engine, who, hid, {"contacted_on": SAMPLE_TODAY, "method": "visit"}, today=SAMPLE_TODAY
        )
        card = records.add_emergency_contact(
            engine,
            who,
            hid,
            {"name": "東包括センター", "relation": "support_centre", "phone": "0463-12-3456"},
        )
        records.delete(engine, who, "emergency_contact", card, version=1)
        records.restore(engine, admin, "emergency_contact", card)
        with db.transaction(engine) as session:
            audit.log(session, who, "map_render", "household", everyone[:50], layers=["h"])
    with db.transaction(engine) as session:  # more ids than LINK_LIMIT: one wide link
        wide = [*everyone, *range(10**6, 10**6 + LINK_LIMIT)]
        audit.log(session, admin, "map_render", "household", wide, layers=["h"])
        audit.log(session, admin, "update", "resident", [residents[0]], fields=["name"])
    return changed


def test_history_filter_and_last_writer_via_links_equal_the_old_json_scan(
    writable_sample_engine: Engine,
) -> None:
    engine = writable_sample_engine
    changed = _work_on_the_sample_town(engine)
    assert _links(engine) == _expected_links(engine)
    with Session(engine) as session:
        admin = actor_for(session, "admin")
        for entity in ("household", "resident", "watcher", "contact_log", "emergency_contact"):
            model = EDIT_MODELS[entity]
            changed_ids = select(AuditLink.entity_id).where(AuditLink.entity == entity)
            ids = session.scalars(  # the records with a history and a few without
                select(model.id).where(model.id.in_(changed_ids) | (model.id % 40 == 1))
            ).all()
            assert len(ids) > 3, entity
            for record_id in ids:
                old = _old_history(session, entity, record_id)
                assert _new_history(session, admin, entity, record_id) == old, (entity, record_id)
                last = audit.record_changes(session, entity, record_id, 1)
                assert (last[0].username if last else None) == _old_last_writer(
                    session, entity, record_id
                )
        assert all(_old_history(session, "household", hid) for hid in changed)
        since = datetime.now(UTC) - timedelta(minutes=30)
        some = [*changed, *session.scalars(select(Resident.id)).all()[:5], 10**6 + 3, 999_999_999]
        for entity_id in some:
            for window in (None, since):
                new = access.audit_entries(session, admin, since=window, entity_id=entity_id)
                assert [e.id for e in new] == _old_filter(session, entity_id, window), entity_id
        limited = access.audit_entries(session, admin, entity_id=changed[0], limit=2)
        assert [e.id for e in limited] == _old_filter(session, changed[0], None)[:2]


def test_history_shows_the_newest_changes_up_to_the_limit(town: Engine) -> None:  # noqa: F811
    staff = actor(town, "staff_east")
    hid = records.create_household(
        town,
        staff,
        {
            "district_id": town_id(town, "149990-01-01"),
            "household_type": "elderly_alone",
            "lon": INSIDE_EAST[0],
            "lat": INSIDE_EAST[1],
        },
        today=TODAY,
    )
    for number in range(4):
        _edit_small(town, staff, hid, {"note": f"メモ{number}"})
    with Session(town) as session:
        everything = history.record_history(session, staff, "household", hid, limit=None)
        newest = history.record_history(session, staff, "household", hid, limit=2)
    assert [e.action for e in everything] == ["update"] * 4 + ["create"]
    assert newest == everything[:2]


def _edit_small(engine: Engine, who: Actor, hid: int, values: dict[str, Any]) -> None:
    with Session(engine) as session:
        loaded = access.edit_snapshot(session, who, "household", hid)
    records.update(
        engine, who, "household", hid, values, version=loaded["version"], loaded=loaded, today=TODAY
    )


def test_a_stale_save_names_the_last_writer_after_many_other_changes(
    town: Engine,  # noqa: F811
) -> None:
    """The old "who changed this" looked at the newest 200 changes of the entity only."""
    staff, admin = actor(town, "staff_east"), actor(town, "admin")
    hid = records.create_household(
        town,
        staff,
        {
            "district_id": town_id(town, "149990-01-01"),
            "household_type": "elderly_alone",
            "lon": INSIDE_EAST[0],
            "lat": INSIDE_EAST[1],
        },
        today=TODAY,
    )
    rid = records.add_resident(town, staff, hid, {"name": "山田 花子"}, today=TODAY)
    with Session(town) as session:
        loaded = access.edit_snapshot(session, admin, "resident", rid)
    records.update(
        town,
        staff,
        "resident",
        rid,
        {"phone": "046-200-0001"},
        version=1,
        loaded=loaded,
        today=TODAY,
    )
    with db.transaction(town) as session:  # then 250 changes of other residents by others
        for other in range(rid + 1, rid + 251):
            audit.log(session, admin, "update", "resident", [other], fields=["phone"])
    with pytest.raises(StaleRecord) as refused:
        records.update(
            town,
            admin,
            "resident",
            rid,
            {"phone": "046-200-0002"},
            version=loaded["version"],
            loaded=loaded,
            today=TODAY,
        )
    assert refused.value.by == "staff_east"
    assert "staff_east" in refused.value.message


def _statements(engine: Engine, work: Callable[[], object]) -> list[tuple[str, Any]]:
    """The SQL ``work`` sends that reads the link table."""
    seen: list[tuple[str, Any]] = []

    def remember(_c: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if "audit_links" in statement and statement.lstrip().upper().startswith("SELECT"):
            seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", remember)
    try:
        work()
    finally:
        event.remove(engine, "before_cursor_execute", remember)
    return seen


def _plan(engine: Engine, statement: str, parameters: Any) -> str:
    with engine.connect() as connection:
        if db.is_postgres(engine):  # a tiny table: ask whether the index CAN be used
            connection.exec_driver_sql("SET enable_seqscan = off")
            rows = connection.exec_driver_sql("EXPLAIN " + statement, parameters)
            return " ".join(r[0] for r in rows)
        rows = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
        return " ".join(r[3] for r in rows)


def test_history_last_writer_and_filter_read_the_link_indexes(town: Engine) -> None:  # noqa: F811
    """History and "who changed this" read only changes through the partial indexes (whose
    condition SQLite matches only when repeated literally); the filter reads by entry range."""
    staff, admin = actor(town, "staff_east"), actor(town, "admin")
    hid = records.create_household(
        town,
        staff,
        {
            "district_id": town_id(town, "149990-01-01"),
            "household_type": "elderly_alone",
            "lon": INSIDE_EAST[0],
            "lat": INSIDE_EAST[1],
        },
        today=TODAY,
    )
    rid = records.add_resident(town, staff, hid, {"name": "山田 花子"}, today=TODAY)
    since = datetime.now(UTC) - timedelta(days=1)
    with Session(town) as session:
        reads = {
            "ix_audit_links_household": lambda: history.record_history(
                session, staff, "household", hid
            ),
            "ix_audit_links_record": lambda: audit.record_changes(session, "resident", rid, 1),
            "ix_audit_links_audit": lambda: access.audit_entries(
                session, admin, since=since, entity_id=hid
            ),
        }
        for index, work in reads.items():
            statements = _statements(town, work)
            assert statements, index
            plans = [_plan(town, statement, parameters) for statement, parameters in statements]
            assert index in plans[0], plans[0]
            assert all("ix_audit_links" in plan for plan in plans), plans


# ---------------------------------------------------------------- written with the entry


def test_links_are_written_with_the_entry_and_rolled_back_with_it(engine: Engine) -> None:
    with db.transaction(engine) as session:
        audit.log(session, None, "view_record", "household", [7, 3, 7])
        audit.log(session, None, "update", "contact_log", [12], fields=["note"], household=3)
        audit.log(session, None, "map_render", "household", range(1, LINK_LIMIT + 1))
        audit.log(session, None, "map_render", "household", range(1, LINK_LIMIT + 2))
        audit.log(session, None, "search", "audit_log", (), count=1)
    with pytest.raises(RuntimeError), db.transaction(engine) as session:
        audit.log(session, None, "view_record", "household", [5])
        session.flush()
        raise RuntimeError("rolled back")
    links = _links(engine)
    assert links == _expected_links(engine)
    assert len(links) == 2 + 1 + LINK_LIMIT + 1
    assert (1, "household", "view_record", 3, 3) in links
    assert (2, "contact_log", "update", 12, 3) in links
    assert (4, "household", "map_render", None, None) in links
    assert not [link for link in links if link[0] == 5]


def test_a_refused_read_keeps_its_entry_and_links_once(engine: Engine) -> None:
    denied = access.AccessDenied("だめ")
    with pytest.raises(access.AccessDenied), db.transaction(engine) as session:
        raise audit.log_denied(session, None, denied, "household", [9], purpose="view")
    assert _links(engine) == _expected_links(engine)
    assert [link[1:] for link in _links(engine)] == [("household", "access_denied", 9, 9)]


# ---------------------------------------------------------------- migration 0004


def _old_entry(
    entry_id: int, entity: str, action: str, ids: list[int], **detail: Any
) -> dict[str, Any]:
    return {
        "id": entry_id,
        "at": datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=entry_id),
        "username": "staff_east",
        "role": "staff",
        "action": action,
        "entity": entity,
        "entity_ids": ids,
        "detail": detail,
    }


def test_backfill_gives_entries_written_before_the_migration_their_links(
    empty_url: str,
) -> None:
    engine = db.get_engine(empty_url)
    db.upgrade(engine, "0003d")
    entries = [
        _old_entry(1, "household", "view_record", [5]),
        _old_entry(2, "resident", "update", [40], fields=["phone"], household=5),
        _old_entry(3, "household", "map_render", [1, 2, 5], layers=["h"]),
        _old_entry(4, "household", "map_render", list(range(1, LINK_LIMIT + 2))),
        _old_entry(5, "user", "login", [3]),
        _old_entry(6, "audit_log", "search", [], count=2),
        _old_entry(49_999, "contact_log", "create", [8], fields=["note"], household=6),
        _old_entry(50_000, "watch_link", "delete", [9], household=True),
        _old_entry(50_001, "emergency_contact", "update", [10], household="6"),
        _old_entry(120_000, "household", "update", [6], fields=["note"]),
        _old_entry(120_001, "district", "import", list(range(1, LINK_LIMIT + 1)), level="x"),
    ]
    with engine.begin() as connection:  # as the app wrote them before 0004 (no links)
        connection.execute(insert(AuditEntry), entries)
    db.upgrade(engine)
    links = _links(engine)
    assert links == _expected_links(engine)
    assert len(links) == 1 + 1 + 3 + 1 + 1 + 0 + 1 + 1 + 1 + 1 + LINK_LIMIT
    assert (2, "resident", "update", 40, 5) in links
    assert (49_999, "contact_log", "create", 8, 6) in links
    assert (50_000, "watch_link", "delete", 9, None) in links  # not an id: no household
    assert (4, "household", "map_render", None, None) in links
    admin = Actor(
        user_id=0, username="cli", display_name="cli", role="admin", district_ids=frozenset()
    )
    with Session(engine) as session:
        changes = audit.household_changes(session, 6, ["household", *CHILD_ENTITIES], None)
        assert [e.id for e in changes] == [120_000, 49_999]
        naming = access.audit_entries(session, admin, entity_id=5)
        assert [e.id for e in naming] == [120_001, 4, 3, 1]
    if db.is_postgres(engine):  # the ids above were written explicitly
        with engine.begin() as connection:
            connection.execute(text("SELECT setval('audit_log_id_seq', 120001)"))
    with db.transaction(engine) as session:  # new entries' links go on after the backfilled
        audit.log(session, None, "view_record", "household", [5])
    assert len(_links(engine)) == len(links) + 1


# ---------------------------------------------------------------- append-only


def test_audit_links_refuse_update_delete_replace_and_truncate(engine: Engine) -> None:
    with db.transaction(engine) as session:
        audit.log(session, None, "view_record", "household", [1])
    with Session(engine) as session:
        link_id = session.scalars(select(AuditLink.id)).one()
    columns = "(id, audit_id, entity, action, entity_id, household_id)"
    values = "(:id, 1, 'household', 'nothing', 2, 2)"
    statements: list[Executable] = [
        update(AuditLink).values(entity_id=99),
        text("DELETE FROM audit_links"),
    ]
    if db.is_postgres(engine):
        statements += [
            text(
                f"INSERT INTO audit_links {columns} VALUES {values} "
                "ON CONFLICT (id) DO UPDATE SET entity_id = 99"
            ),
            text("TRUNCATE audit_links"),
        ]
    else:  # REPLACE deletes the old row without firing DELETE triggers
        statements += [
            text(f"INSERT OR REPLACE INTO audit_links {columns} VALUES {values}"),
            text(f"REPLACE INTO audit_links {columns} VALUES {values}"),
        ]
    for statement in statements:
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
            connection.execute(statement, {"id": link_id})
    with engine.begin() as connection:  # a new row with its own id (as a restore writes) is fine
        connection.execute(text(f"INSERT INTO audit_links {columns} VALUES {values}"), {"id": 50})
    assert [link[1:] for link in _links(engine)] == [
        ("household", "nothing", 2, 2),
        ("household", "view_record", 1, 1),
    ]


# ---------------------------------------------------------------- backups


def test_backup_and_restore_keep_the_links(
    engine: Engine, database_factory: DatabaseFactory, tmp_path: Path
) -> None:
    with db.transaction(engine) as session:
        audit.log(session, None, "view_record", "household", [4])
        audit.log(session, None, "update", "resident", [8], fields=["name"], household=4)
    path = tmp_path / "lsmap.bak"
    backup.backup(engine, path, "correct horse battery")
    target = db.get_engine(database_factory())
    backup.restore(target, path, "correct horse battery")
    assert _links(target) == _links(engine)
    with db.transaction(target) as session:  # the link ids go on after the restored ones
        audit.log(session, None, "view_record", "household", [4])
    with Session(target) as session:
        assert [e.entity for e in audit.household_changes(session, 4, ["resident"], None)] == [
            "resident"
        ]
        assert len(session.scalars(select(AuditLink.id)).all()) == 3


# ---------------------------------------------------------------- lsmap bench audit


def _index_ddl(engine: Engine, table: str) -> list[tuple[str, str]]:
    """Each index of ``table`` as the database states its definition."""
    if db.is_postgres(engine):
        query = "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = :t"
    else:
        query = "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = :t"
    with engine.connect() as connection:
        found = [tuple(row) for row in connection.execute(text(query), {"t": table})]
    assert len(found) >= 1, table
    return sorted(found)


def test_bench_audit_reports_history_timings_as_json(
    empty_url: str,
    database_factory: DatabaseFactory,
    capsys: pytest.CaptureFixture[str],
) -> None:
    arguments = ["--database-url", empty_url, "bench", "audit", "--rows", "3000", "--repeat", "2"]
    assert main.main(arguments) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["backend"] == db.get_engine(empty_url).dialect.name
    assert report["rows"] == 3000 and report["households"] == 50
    assert report["links"] > report["rows"]
    assert set(report["history"]) == {"household_busiest", "household_typical", "resident_busiest"}
    for timing in [*report["history"].values(), report["audit_filter_7_days"]]:
        assert timing["entries"] >= 0 and 0 <= timing["median_ms"] <= timing["max_ms"]
    assert all(timing["entries"] > 0 for timing in report["history"].values())
    assert report["history"]["household_busiest"]["entries"] == min(
        report["json_scan"]["entries"], history.HISTORY_LIMIT
    )
    assert report["history_same_as_json_scan"] is True
    assert set(report["map_render_audit"]) == {"one", "at_limit", "wide"}
    assert report["target_ms"] == 50.0 and isinstance(report["within_target"], bool)
    with Session(db.get_engine(empty_url)) as session:
        assert session.scalar(select(AuditEntry.id).order_by(AuditEntry.id.desc())) == 3000
    # the indexes rebuilt after the load are the same as in a freshly migrated database
    fresh = db.get_engine(database_factory.migrated())
    for table in ("audit_log", "audit_links"):
        assert _index_ddl(db.get_engine(empty_url), table) == _index_ddl(fresh, table)
    assert main.main(arguments) == 1  # never into a database that has a schema
    assert "空のデータベース" in capsys.readouterr().err
