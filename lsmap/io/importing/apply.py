"""Writing a checked list import: all rows in one transaction, or nothing."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine

from lsmap import access
from lsmap.io.importing import columns as cols
from lsmap.io.importing.lists import ListPlan, Progress, plan_list
from lsmap.io.importing.problems import ImportRejected, Problem
from lsmap.io.importing.readers import RawTable, read_bytes
from lsmap.io.importing.sandbox import parse_table
from lsmap.storage import audit, db
from lsmap.storage.models import Csw, Household, Resident, Resource, Watcher


@dataclass
class ListImportResult:
    """What a list import did (or, for a dry run, would do)."""

    plan: ListPlan
    dry_run: bool
    created: dict[str, int] = field(default_factory=dict)
    ids: list[int] = field(default_factory=list)


def import_list_file(
    engine: Engine,
    actor: access.Actor,
    kind: str,
    path: Path,
    *,
    overrides: dict[str, str] | None = None,
    default_kind: str | None = None,
    dry_run: bool = False,
    remember: bool = True,
    progress: Progress | None = None,
) -> ListImportResult:
    """Read (in a limited child process), check and (unless ``dry_run`` or there are
    errors) write one list file."""
    table = parse_table(read_bytes(path), path.name)
    return import_list_table(
        engine,
        actor,
        kind,
        table,
        overrides=overrides,
        default_kind=default_kind,
        dry_run=dry_run,
        remember=remember,
        progress=progress,
    )


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
    progress: Progress | None = None,
) -> ListImportResult:
    """Check ``table`` and write it in one transaction; raise ImportRejected on any error."""
    if not access.can(actor, "edit"):
        raise ImportRejected("取り込みの権限がありません")
    with db.transaction(engine) as session:
        mapping, source = cols.resolve_mapping(session, kind, table.headers, overrides)
        plan = plan_list(
            session,
            actor,
            kind,
            table,
            mapping,
            mapping_source=source,
            default_kind=default_kind,
            progress=progress,
        )
        result = ListImportResult(plan=plan, dry_run=dry_run)
        if plan.has_errors:
            raise ImportRejected(
                "問題があるため取り込みませんでした（データベースは変わっていません）",
                plan.problems,
            )
        if dry_run:
            session.rollback()
            return result
        writer = {
            "households": _write_households,
            "watchers": _write_watchers,
            "resources": _write_resources,
        }[kind]
        result.created, result.ids = writer(session, plan)
        if remember:
            cols.remember_mapping(session, kind, table.headers, mapping, actor.username)
        audit.log(
            session,
            actor,
            "import",
            kind.rstrip("s"),
            result.ids,
            rows=plan.total_rows,
            skipped=plan.skipped,
            **result.created,
        )
    return result


def _write_households(session, plan: ListPlan) -> tuple[dict[str, int], list[int]]:  # type: ignore[no-untyped-def]
    households: dict[str, Household] = {}
    residents = 0
    for row in plan.rows:
        v = row.values
        key = v.get("ref") or f"row-{row.row}"
        household = households.get(key)
        if household is None:
            household = Household(
                ref=v.get("ref") or None,
                district_id=row.district_id,
                address=v.get("address", ""),
                household_type=v.get("household_type", "other"),
                location=row.location,
                location_approximate=row.approximate,
                note=v.get("note", ""),
            )
            session.add(household)
            households[key] = household
        household.residents.append(
            Resident(
                name=v["name"],
                furigana=v.get("furigana", ""),
                birth_year=v.get("birth_year"),
                phone=v.get("phone", ""),
                concern_tags=v.get("concern_tags", []),
                concerns=v.get("concerns", ""),
                consent_status=v.get("consent_status", "unanswered"),
            )
        )
        residents += 1
    session.flush()
    return {"households": len(households), "residents": residents}, [
        h.id for h in households.values()
    ]


def _write_watchers(session, plan: ListPlan) -> tuple[dict[str, int], list[int]]:  # type: ignore[no-untyped-def]
    watchers = []
    for row in plan.rows:
        v = row.values
        watcher = Watcher(
            ref=v.get("ref") or None,
            name=v["name"],
            role=v.get("role", "other"),
            phone=v.get("phone", ""),
            address=v.get("address", ""),
            birth_year=v.get("birth_year"),
            district_id=row.district_id,
            location=row.location,
        )
        session.add(watcher)
        watchers.append(watcher)
    session.flush()
    return {"watchers": len(watchers)}, [w.id for w in watchers]


def _write_resources(session, plan: ListPlan) -> tuple[dict[str, int], list[int]]:  # type: ignore[no-untyped-def]
    resources = []
    csws = 0
    for row in plan.rows:
        v = row.values
        resource = Resource(
            ref=v.get("ref") or None,
            kind=v.get("kind", "other"),
            name=v["name"],
            address=v.get("address", ""),
            phone=v.get("phone", ""),
            schedule=v.get("schedule", ""),
            district_id=row.district_id,
            location=row.location,
        )
        resource.csws = [Csw(name=name) for name in v.get("csws", [])]
        csws += len(resource.csws)
        session.add(resource)
        resources.append(resource)
    session.flush()
    return {"resources": len(resources), "csws": csws}, [r.id for r in resources]


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
    "import_list_file",
    "import_list_table",
    "problem_rows",
]
