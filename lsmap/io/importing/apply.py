"""Writing a checked list import in one transaction: all rows, or (on request) the good ones.

By default a file with any error changes nothing. With ``partial`` (「問題のない行だけ取り込む」)
the rows without errors are written in one transaction and the rejected rows are returned
with their Japanese messages, to be written back in the file's own format with a 問題 column
(:mod:`lsmap.io.importing.rejected`), fixed and imported again. For households, rows that
share a 番号 are one household: when one of them is rejected, all of them are.

Rows are written in bulk (:mod:`lsmap.storage.bulk`: executemany on SQLite, COPY on
PostgreSQL), so a list of 20,000 households takes seconds, not minutes.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from lsmap import access
from lsmap.io.importing import columns as cols
from lsmap.io.importing.lists import ListPlan, PreparedRow, Progress, RowOutcome, plan_list
from lsmap.io.importing.problems import ImportRejected, Problem
from lsmap.io.importing.readers import RawTable, read_bytes
from lsmap.io.importing.sandbox import parse_table
from lsmap.records.numbering import household_numbers
from lsmap.storage import audit, db
from lsmap.storage.bulk import insert_many, reserve_ids
from lsmap.storage.models import (
    ContactLog,
    Csw,
    Household,
    Resident,
    Resource,
    Watcher,
    WatchLink,
)
from lsmap.vocab import AuditAction, logged_by_default

ENTITIES = {
    "households": "household",
    "watchers": "watcher",
    "resources": "resource",
    "links": "watch_link",
    "contacts": "contact_log",
}


@dataclass(frozen=True)
class RejectedRow:
    """A row left out of a partial import: its data row number, cells and messages."""

    row: int
    cells: list[str]
    messages: list[str]


@dataclass
class ListImportResult:
    """What a list import did (or, for a dry run, would do)."""

    plan: ListPlan
    dry_run: bool
    created: dict[str, int] = field(default_factory=dict)
    ids: list[int] = field(default_factory=list)
    partial: bool = False
    rejected: list[RejectedRow] = field(default_factory=list)


def import_list_file(
    engine: Engine,
    actor: access.Actor,
    kind: str,
    path: Path,
    **options: Any,
) -> ListImportResult:
    """Read (in a limited child process), check and (unless ``dry_run`` or there are
    errors) write one list file; ``options`` as for :func:`import_list_table`."""
    table = parse_table(read_bytes(path), path.name)
    return import_list_table(engine, actor, kind, table, **options)


def import_list_table(
    engine: Engine,
    actor: access.Actor,
    kind: str,
    table: RawTable,
    *,
    overrides: dict[str, str] | None = None,
    default_kind: str | None = None,
    dry_run: bool = False,
    remember: bool = True,
    partial: bool = False,
    progress: Progress | None = None,
    today: date | None = None,
) -> ListImportResult:
    """Check ``table`` and write it in one transaction. Without ``partial`` any error raises
    ImportRejected (nothing written); with it, rows with errors are left out and returned."""
    if not access.can(actor, access.Action.EDIT):
        raise ImportRejected("取り込みの権限がありません")
    with _no_gc(), db.transaction(engine) as session:
        mapping, source = cols.resolve_mapping(session, kind, table.headers, overrides)
        plan = _plan(session, actor, kind, table, mapping, source, default_kind, progress, today)
        result = ListImportResult(plan=plan, dry_run=dry_run, partial=partial)
        if plan.has_errors and not partial:
            raise ImportRejected(
                "問題があるため取り込みませんでした（データベースは変わっていません）",
                plan.problems,
            )
        result.rejected = _set_aside(plan, table)
        if dry_run:
            session.rollback()
            return result
        writer = {
            "households": _write_households,
            "watchers": _write_watchers,
            "resources": _write_resources,
            "links": _write_links,
            "contacts": _write_contacts,
        }[kind]
        result.created, result.ids = writer(session, plan)
        if remember:
            cols.remember_mapping(session, kind, table.headers, mapping, actor.username)
        detail: dict[str, Any] = {"rows": plan.total_rows, "skipped": plan.skipped}
        if partial:
            detail["rejected"] = len(result.rejected)
        audit.log(
            session,
            actor,
            AuditAction.IMPORT,
            ENTITIES[kind],
            result.ids,
            **detail,
            **result.created,
        )
    return result


@contextmanager
def _no_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while a list is checked and written: the rows
    make millions of small objects that would each time be scanned again, and nothing of
    an import forms cycles that must be freed before it ends."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _plan(
    session: Session,
    actor: access.Actor,
    kind: str,
    table: RawTable,
    mapping: dict[str, str],
    source: str,
    default_kind: str | None,
    progress: Progress | None,
    today: date | None,
) -> ListPlan:
    if kind in ("links", "contacts"):
        from lsmap.io.importing.network import missing_or_fail, plan_network

        missing_or_fail(kind, table, mapping)
        return plan_network(
            session, actor, kind, table, mapping, mapping_source=source, today=today,
            progress=progress,
        )  # fmt: skip
    return plan_list(
        session,
        actor,
        kind,
        table,
        mapping,
        mapping_source=source,
        default_kind=default_kind,
        progress=progress,
    )


def _set_aside(plan: ListPlan, table: RawTable) -> list[RejectedRow]:
    """Take the rows with errors (and, for households, every row of the same 番号) out of
    ``plan.rows``; return them with their messages, in file order."""
    bad = plan.error_rows()
    if plan.kind == "households":
        index = {h: i for i, h in enumerate(table.headers)}
        ref_column = next((h for h, f in plan.mapping.items() if f == "ref"), None)
        if ref_column is not None:
            bad_refs = {table.rows[n - 1][index[ref_column]].strip() for n in bad} - {""}
            for row in plan.rows:
                if row.values.get("ref") in bad_refs:
                    bad.add(row.row)
                    plan.problems.append(
                        Problem(
                            row.row,
                            ref_column,
                            "同じ番号の世帯の別の行に問題があるため、この行も取り込みません",
                        )
                    )
            plan.outcomes = [
                RowOutcome(o.row, "error", None, "", "同じ番号の世帯の別の行に問題があります")
                if o.row in bad and o.action == "import"
                else o
                for o in plan.outcomes
            ]
    plan.rows = [row for row in plan.rows if row.row not in bad]
    messages: dict[int, list[str]] = {n: [] for n in sorted(bad)}
    for problem in plan.problems:
        if problem.row in messages and problem.severity == "error":
            column = f"「{problem.column}」" if problem.column else ""
            messages[problem.row].append(f"{column}{problem.message}")
    return [RejectedRow(n, list(table.rows[n - 1]), found) for n, found in messages.items()]


# ---------------------------------------------------------------- bulk writers


def _household_row(hid: int, row: PreparedRow) -> dict[str, Any]:
    v = row.values
    return {
        "id": hid,
        "ref": v.get("ref") or None,
        "district_id": row.district_id,
        "address": v.get("address", ""),
        "household_type": v.get("household_type", "other"),
        "location": row.location,
        "location_approximate": row.approximate,
        "location_level": row.level,
        "note": v.get("note", ""),
    }


def _write_households(session: Session, plan: ListPlan) -> tuple[dict[str, int], list[int]]:
    firsts: dict[str, PreparedRow] = {}
    for row in plan.rows:
        firsts.setdefault(row.values.get("ref") or f"row-{row.row}", row)
    ids = dict(zip(firsts, reserve_ids(session, Household.__table__, len(firsts)), strict=True))
    households = [_household_row(ids[key], row) for key, row in firsts.items()]
    for household, number in zip(
        households, household_numbers(session, len(households)), strict=True
    ):
        household["number"] = number
    residents = [
        {
            "household_id": ids[row.values.get("ref") or f"row-{row.row}"],
            "name": row.values["name"],
            "furigana": row.values.get("furigana", ""),
            "birth_year": row.values.get("birth_year"),
            "phone": row.values.get("phone", ""),
            "concern_tags": row.values.get("concern_tags", []),
            "concerns": row.values.get("concerns", ""),
            "consent_status": row.values.get("consent_status", "unanswered"),
        }
        for row in plan.rows
    ]
    insert_many(session, Household.__table__, households)
    insert_many(session, Resident.__table__, residents)
    return {"households": len(households), "residents": len(residents)}, list(ids.values())


def _write_watchers(session: Session, plan: ListPlan) -> tuple[dict[str, int], list[int]]:
    ids = reserve_ids(session, Watcher.__table__, len(plan.rows))
    rows = [
        {
            "id": wid,
            "ref": row.values.get("ref") or None,
            "name": row.values["name"],
            "role": row.values.get("role", "other"),
            "phone": row.values.get("phone", ""),
            "address": row.values.get("address", ""),
            "birth_year": row.values.get("birth_year"),
            "district_id": row.district_id,
            "location": row.location,
            "location_level": row.level,
        }
        for wid, row in zip(ids, plan.rows, strict=True)
    ]
    insert_many(session, Watcher.__table__, rows)
    return {"watchers": len(rows)}, ids


def _write_resources(session: Session, plan: ListPlan) -> tuple[dict[str, int], list[int]]:
    ids = reserve_ids(session, Resource.__table__, len(plan.rows))
    rows, csws = [], []
    for rid, row in zip(ids, plan.rows, strict=True):
        v = row.values
        rows.append(
            {
                "id": rid,
                "ref": v.get("ref") or None,
                "kind": v.get("kind", "other"),
                "name": v["name"],
                "address": v.get("address", ""),
                "phone": v.get("phone", ""),
                "schedule": v.get("schedule", ""),
                "district_id": row.district_id,
                "location": row.location,
                "location_level": row.level,
            }
        )
        csws += [{"resource_id": rid, "name": name} for name in v.get("csws", [])]
    insert_many(session, Resource.__table__, rows)
    insert_many(session, Csw.__table__, csws)
    return {"resources": len(rows), "csws": len(csws)}, ids


def _write_links(session: Session, plan: ListPlan) -> tuple[dict[str, int], list[int]]:
    ids = reserve_ids(session, WatchLink.__table__, len(plan.rows))
    keys = ("household_id", "watcher_id", "involvement", "frequency", "note")
    roles = dict(session.execute(select(Watcher.id, Watcher.role)).all())
    rows = [
        {
            "id": lid,
            **{k: row.values[k] for k in keys},
            "logged": logged_by_default(
                roles.get(row.values["watcher_id"]), row.values["involvement"]
            ),
        }
        for lid, row in zip(ids, plan.rows, strict=True)
    ]
    insert_many(session, WatchLink.__table__, rows)
    return {"watch_links": len(rows)}, ids


def _write_contacts(session: Session, plan: ListPlan) -> tuple[dict[str, int], list[int]]:
    ids = reserve_ids(session, ContactLog.__table__, len(plan.rows))
    keys = ("household_id", "watcher_id", "contacted_on", "method", "observation", "recorded_by")
    rows = [
        {"id": cid, "signs": [], **{k: row.values[k] for k in keys}}
        for cid, row in zip(ids, plan.rows, strict=True)
    ]
    insert_many(session, ContactLog.__table__, rows)
    return {"contact_logs": len(rows)}, ids


def problem_rows(problems: list[Problem]) -> list[dict[str, object]]:
    """Problems as table rows for display (行 as the spreadsheet numbers it, 列, 内容, 重大度)."""
    labels = {"error": "エラー", "warning": "注意", "info": "情報"}
    return [
        {
            "行": p.line if p.line is not None else "",
            "列": p.column,
            "内容": p.message,
            "種類": labels.get(p.severity, p.severity),
        }
        for p in problems
    ]


__all__ = [
    "ImportRejected",
    "ListImportResult",
    "RejectedRow",
    "import_list_file",
    "import_list_table",
    "problem_rows",
]
