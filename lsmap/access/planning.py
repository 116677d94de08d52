"""Planning reads and rights (issue 16): census figures, categories, snapshots, road networks.

Everything here is aggregate input or public data; what a planner finally sees is
suppressed by :mod:`lsmap.coverage.report` with :func:`lsmap.access.aggregate_policy`.

- Census figures and road networks are public statistics: any signed-in user may read them;
  importing them is administrator work (:func:`require_planning_admin`).
- Snapshots of the coverage indicators hold exact aggregates and are read back through the
  reader's policy; administrators and planners may take one on demand
  (:func:`may_take_snapshot`); the monthly one is taken by the system (:func:`system_actor`).
- Household categories (世帯の状況, and 課題 once households have them) feed the breakdown.
  Roles that edit get every household's category; a meeting viewer only those of households
  whose details it may see (:func:`lsmap.access.details_shareable`), the rest as
  ``withheld``; a planner every category, only ever released as suppressed counts.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pandas as pd
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from lsmap.access import (
    AccessDenied,
    Action,
    Actor,
    aggregates_only,
    can,
    consent_counts,
    details_shareable,
    sees_full_records,
    sees_whole_town,
)
from lsmap.access.coverage_inputs import coverage_scope
from lsmap.access.issues import issue_categories
from lsmap.storage.models import (
    CensusStatistic,
    CoverageSnapshot,
    CoverageSnapshotRow,
    Household,
    RoadNetwork,
    Watcher,
    WatchLink,
)
from lsmap.vocab import Role

__all__ = [
    "CATEGORY_SOURCES",
    "WITHHELD_CATEGORY",
    "record_dates",
    "census_figures",
    "current_road_network",
    "household_categories",
    "may_take_snapshot",
    "require_planning_admin",
    "snapshot_rows",
    "system_actor",
    "volunteer_watcher_ids",
]

#: The category of a household whose details the reader may not see.
WITHHELD_CATEGORY = "withheld"
#: Watcher roles counted as 福祉推進員等 (the source's one per 50 households).
VOLUNTEER_ROLES = ("welfare_volunteer",)


def require_planning_admin(actor: Actor | None) -> None:
    """Raise AccessDenied unless ``actor`` may import census figures and road networks."""
    if not can(actor, Action.IMPORT):
        raise AccessDenied("統計と道路網の取り込みは管理者だけができます")


def may_take_snapshot(actor: Actor | None) -> bool:
    """Whether ``actor`` may record the coverage indicators now (on demand): the roles that
    read the whole town's coverage (administrators and planners)."""
    return sees_whole_town(actor) and can(actor, Action.COVERAGE)


def system_actor(name: str = "system") -> Actor:
    """The actor of lsmap's own jobs (the monthly snapshot, the sample loader)."""
    return Actor(
        user_id=0, username=name, display_name=name, role=Role.ADMIN, district_ids=frozenset()
    )


def census_figures(session: Session, actor: Actor | None) -> pd.DataFrame:
    """Current census figures per district (public statistics; signed-in users only)."""
    if actor is None:
        raise AccessDenied()
    columns = [
        "district_id",
        "population",
        "households",
        "aged_65",
        "aged_75",
        "elderly_alone_households",
        "suppressed",
        "survey",
        "matched_by",
    ]
    query = select(*(getattr(CensusStatistic, c) for c in columns)).where(
        CensusStatistic.replaced_at.is_(None)
    )
    rows = session.execute(query.order_by(CensusStatistic.district_id)).all()
    return pd.DataFrame([tuple(r) for r in rows], columns=columns)


def current_road_network(session: Session) -> RoadNetwork | None:
    """The road network in use (public data): the newest one not replaced."""
    return session.scalars(
        select(RoadNetwork)
        .where(RoadNetwork.replaced_at.is_(None))
        .order_by(RoadNetwork.id.desc())
        .limit(1)
    ).first()


def volunteer_watcher_ids(session: Session, actor: Actor | None) -> set[int]:
    """Ids of live watchers who are 福祉推進員 (a role, not a person's details)."""
    if actor is None:
        raise AccessDenied()
    query = select(Watcher.id).where(
        Watcher.deleted_at.is_(None), Watcher.role.in_(VOLUNTEER_ROLES)
    )
    return set(session.scalars(query))


def _household_types(session: Session, scoped: Select[Any]) -> list[tuple[int, str]]:
    query = select(Household.id, Household.household_type).where(Household.id.in_(scoped))
    return [(int(h), str(t)) for h, t in session.execute(query.order_by(Household.id))]


#: dimension -> reader of (household id, category) for the households of a scoped query.
#: Households' 課題 are ``"concern_category"`` (several per household).
CATEGORY_SOURCES: dict[str, Callable[[Session, Select[Any]], list[tuple[int, str]]]] = {
    "household_type": _household_types,
    "concern_category": issue_categories,
}


def household_categories(session: Session, actor: Actor | None) -> pd.DataFrame:
    """``household_id``, ``dimension``, ``category`` of the live, open households in the
    actor's coverage scope (see the module docstring for what each role gets)."""
    scope = coverage_scope(actor)
    if actor is None:  # coverage_scope refused None already; for the type checker
        raise AccessDenied()
    scoped = select(Household.id).where(
        Household.deleted_at.is_(None), Household.closed_on.is_(None)
    )
    if scope is not None:
        scoped = scoped.where(Household.district_id.in_(sorted(scope)))
    rows = [
        (hid, dimension, category)
        for dimension, read in CATEGORY_SOURCES.items()
        for hid, category in read(session, scoped)
    ]
    frame = pd.DataFrame(rows, columns=["household_id", "dimension", "category"])
    if sees_full_records(actor) or aggregates_only(actor) or frame.empty:
        return frame
    counts = consent_counts(session, sorted(set(frame["household_id"])))
    shown = frame["household_id"].map(
        lambda h: details_shareable(actor, *counts.get(int(h), (0, 0)))
    )
    frame.loc[~shown.astype(bool), "category"] = WITHHELD_CATEGORY
    return frame


def record_dates(session: Session, actor: Actor | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """When each household was recorded and each live watch link agreed (ids and times
    only), to reconstruct the coverage of past months from the records."""
    if not may_take_snapshot(actor):
        raise AccessDenied()
    households = pd.DataFrame(
        [(int(h), _utc(c)) for h, c in session.execute(select(Household.id, Household.created_at))],
        columns=["id", "created_at"],
    )
    link_query = select(WatchLink.household_id, WatchLink.watcher_id, WatchLink.created_at).where(
        WatchLink.deleted_at.is_(None)
    )
    links = pd.DataFrame(
        [(int(h), int(w), _utc(c)) for h, w, c in session.execute(link_query)],
        columns=["household_id", "watcher_id", "created_at"],
    )
    return households, links


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment


def snapshot_rows(session: Session, actor: Actor | None) -> pd.DataFrame:
    """Every snapshot's district rows (exact aggregates; the caller releases them through
    the actor's policy), oldest first: snapshot id, date, trigger, district and values."""
    if actor is None:
        raise AccessDenied()
    query = (
        select(
            CoverageSnapshot.id,
            CoverageSnapshot.as_of,
            CoverageSnapshot.trigger,
            CoverageSnapshotRow.district_id,
            CoverageSnapshotRow.parent_id,
            CoverageSnapshotRow.district_code,
            CoverageSnapshotRow.district_name,
            CoverageSnapshotRow.level,
            CoverageSnapshotRow.values,
        )
        .join(CoverageSnapshotRow, CoverageSnapshotRow.snapshot_id == CoverageSnapshot.id)
        .order_by(CoverageSnapshot.as_of, CoverageSnapshot.id, CoverageSnapshotRow.id)
    )
    scope = coverage_scope(actor)
    if scope is not None:
        query = query.where(CoverageSnapshotRow.district_id.in_(sorted(scope)))
    columns = [
        "snapshot_id",
        "as_of",
        "trigger",
        "district_id",
        "parent_id",
        "district_code",
        "district_name",
        "level",
        "values",
    ]
    return pd.DataFrame([tuple(r) for r in session.execute(query)], columns=columns)
