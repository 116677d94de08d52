"""Coverage over time: snapshots of the indicators, monthly and on demand, and their trends.

A snapshot stores, per district of every level, the counts of the coverage table and the
census denominators (aggregates only, exact). It is always computed for the whole town,
as the system, with the default thresholds and the road network in use. The month's
snapshot is taken once (``monthly_key``); the first time the coverage page or
``lsmap snapshot --monthly`` runs in a month. Snapshots of past months can be reconstructed
from the records' dates (households and links created by then, contacts made by then).

Reading them back (:func:`trend_table`) releases each snapshot through the reader's policy,
exactly like the current table: planners get small counts suppressed per snapshot (with
complementary suppression over the snapshot's nesting) and no rate whose numerator is
hidden. One row per district per snapshot.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Engine, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lsmap import access
from lsmap.access import AccessDenied, Actor, planning
from lsmap.coverage.engine import COUNTED, CoverageInputs, compute_coverage, district_rows
from lsmap.coverage.network_store import load_current_network
from lsmap.coverage.rates import CENSUS_COLUMNS, add_rates, blank_suppressed_rates
from lsmap.coverage.report import COUNT_COLUMNS, planning_inputs, suppress_small_counts, with_census
from lsmap.coverage.settings import DEFAULT_COVERAGE_SETTINGS, DISTANCE_KINDS
from lsmap.storage import audit
from lsmap.storage.db import transaction
from lsmap.storage.models import CoverageSnapshot, CoverageSnapshotRow

#: What a snapshot keeps per district.
SNAPSHOT_COLUMNS: tuple[str, ...] = (
    *COUNT_COLUMNS,
    *(f"resources_{k}" for k in DISTANCE_KINDS),
    *CENSUS_COLUMNS,
    "census_missing",
)
TRIGGER_LABELS = {"monthly": "毎月", "manual": "手動", "backfill": "記録から再構成"}


def _plain(value: Any) -> int | None:
    if value is None or (isinstance(value, float) and not np.isfinite(value)):
        return None
    return int(round(float(value)))


def inputs_as_of(
    inputs: CoverageInputs, dates: tuple[pd.DataFrame, pd.DataFrame], as_of: date
) -> CoverageInputs:
    """``inputs`` as the records stood at the end of ``as_of``: households and watch links
    recorded by then (``dates`` from :func:`lsmap.access.planning.record_dates`), contacts
    made by then."""
    end = datetime.combine(as_of, time.max, tzinfo=UTC)
    households, links = dates
    known = set(households.loc[households["created_at"] <= end, "id"])
    agreed = links[links["created_at"] <= end]
    pairs = set(zip(agreed["household_id"], agreed["watcher_id"], strict=True))
    link_pairs = zip(inputs.links["household_id"], inputs.links["watcher_id"], strict=True)
    keep = np.array([(int(h), int(w)) in pairs for h, w in link_pairs], dtype=bool)
    return replace(
        inputs,
        households=inputs.households[inputs.households["id"].isin(known)].reset_index(drop=True),
        links=inputs.links[keep].reset_index(drop=True) if len(keep) else inputs.links,
        contacts=inputs.contacts[inputs.contacts["day"] <= as_of.toordinal()].reset_index(
            drop=True
        ),
        today=as_of,
    )


def take_snapshot(
    session: Session,
    *,
    as_of: date,
    trigger: str,
    taken_by: Actor | None = None,
    monthly_key: str | None = None,
    reconstruct: tuple[CoverageInputs, tuple[pd.DataFrame, pd.DataFrame]] | None = None,
    census: pd.DataFrame | None = None,
) -> CoverageSnapshot:
    """Compute and store the indicators of every district as of ``as_of``; audited.

    ``reconstruct``: (today's inputs, record dates) to rebuild a past month from the records.
    """
    from lsmap.settings import get_settings

    if trigger == "manual" and not planning.may_take_snapshot(taken_by):
        raise AccessDenied("カバー状況の記録は管理者と計画担当だけができます")
    system = planning.system_actor()
    epsg = get_settings().metric_epsg
    if reconstruct is None:
        inputs = planning_inputs(session, system, as_of)
    else:
        inputs = inputs_as_of(reconstruct[0], reconstruct[1], as_of)
    network = load_current_network(session, epsg)
    result = compute_coverage(inputs, DEFAULT_COVERAGE_SETTINGS, epsg=epsg, network=network)
    table = district_rows(with_census(session, system, result, census))
    snapshot = CoverageSnapshot(
        as_of=as_of,
        trigger=trigger,
        monthly_key=monthly_key,
        taken_by=(taken_by or system).username,
        settings={
            "radius_m": DEFAULT_COVERAGE_SETTINGS.radius_m,
            "distance": result.distance_mode,
            "network_id": network.network_id if network else None,
        },
    )
    snapshot.rows = [
        CoverageSnapshotRow(
            district_id=int(row["district_id"]),
            parent_id=int(row["parent_id"]) if row["parent_id"] >= 0 else None,
            district_code=str(row["district_code"]),
            district_name=str(row["district_name"]),
            level=str(row["level"]),
            values={c: _plain(row[c]) for c in SNAPSHOT_COLUMNS if c in row},
        )
        for _, row in table.iterrows()
    ]
    session.add(snapshot)
    session.flush()
    audit.log(
        session, taken_by or system, "snapshot", "coverage_snapshot", [snapshot.id], trigger=trigger
    )
    return snapshot


def month_key(day: date) -> str:
    """``YYYY-MM`` of ``day``."""
    return f"{day:%Y-%m}"


def ensure_monthly_snapshot(engine: Engine, today: date) -> bool:
    """Take this month's snapshot unless it exists; True when one was taken now."""
    key = month_key(today)
    with transaction(engine) as session:
        if session.scalar(select(CoverageSnapshot.id).where(CoverageSnapshot.monthly_key == key)):
            return False
    try:
        with transaction(engine) as session:
            take_snapshot(session, as_of=today, trigger="monthly", monthly_key=key)
    except IntegrityError:  # another process took it meanwhile
        return False
    return True


def backfill_months(session: Session, today: date, months: int) -> int:
    """Reconstruct the snapshots of the ``months`` month-ends before ``today``'s month from
    the records' dates (months already recorded are skipped); the number taken."""
    taken = 0
    system = planning.system_actor()
    base = (planning_inputs(session, system, today), planning.record_dates(session, system))
    census = planning.census_figures(session, system)
    end = today.replace(day=1) - timedelta(days=1)
    for _ in range(months):
        key = month_key(end)
        exists = session.scalar(
            select(CoverageSnapshot.id).where(CoverageSnapshot.monthly_key == key)
        )
        if not exists:
            take_snapshot(
                session,
                as_of=end,
                trigger="backfill",
                monthly_key=key,
                reconstruct=base,
                census=census,
            )
            taken += 1
        end = end.replace(day=1) - timedelta(days=1)
    return taken


def _released(frame: pd.DataFrame, actor: Actor) -> pd.DataFrame:
    """One snapshot's rows with shares and rates, as ``actor`` may see them."""
    table = pd.DataFrame(list(frame["values"])).reindex(columns=list(SNAPSHOT_COLUMNS))
    table.insert(0, "district_id", frame["district_id"].to_numpy())
    table.insert(1, "parent_id", frame["parent_id"].fillna(-1).astype(np.int64).to_numpy())
    households = table["households"].astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        for column in (*COUNTED, *(f"beyond_{k}" for k in DISTANCE_KINDS)):
            table[f"share_{column}"] = np.where(households > 0, table[column] / households, np.nan)
    table = add_rates(table)
    for column in COUNT_COLUMNS:
        table[column] = table[column].fillna(0).astype(np.int64)
    policy = access.aggregate_policy(actor, DEFAULT_COVERAGE_SETTINGS.radius_m)
    if policy.suppress:
        table = blank_suppressed_rates(suppress_small_counts(table, policy.small_count))
    for column in ("as_of", "trigger", "district_code", "district_name", "level"):
        table[column] = frame[column].to_numpy()
    return table


def trend_table(session: Session, actor: Actor, level: str | None = None) -> pd.DataFrame:
    """One row per district per snapshot, released through the actor's policy; audited."""
    rows = planning.snapshot_rows(session, actor)
    parts = [_released(group, actor) for _, group in rows.groupby("snapshot_id", sort=False)]
    table = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    if level is not None and len(table):
        table = table[table["level"] == level].reset_index(drop=True)
    ids = sorted({int(i) for i in rows["snapshot_id"]}) if len(rows) else []
    audit.log(session, actor, "view_trends", "coverage_snapshot", ids, level=level)
    return table
