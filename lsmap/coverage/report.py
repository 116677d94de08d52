"""Coverage as one user may see it: the engine on the data the access module gives them.

Planners get per-district aggregates only, as :func:`lsmap.access.aggregate_policy` says:
counts 1–4 shown as "<5" and, where a parent total would give one of them away, more
counts hidden as "X" (:mod:`lsmap.coverage.suppression`); a radius of at least 500 m; siting
suggestions that reach at least 5 households, rounded to a coarse grid. Staff, meeting
viewers and admins also get the gap list of the households they may see. Each view is
audited (district or household ids, never values).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from lsmap import access
from lsmap.access import AccessDenied, Actor, AggregatePolicy, planning
from lsmap.coverage.engine import (
    COUNTED,
    CoverageInputs,
    CoverageResult,
    compute_coverage,
    district_rows,
)
from lsmap.coverage.network import LoadedGraph
from lsmap.coverage.network_store import load_current_network
from lsmap.coverage.rates import (
    CENSUS_COLUMNS,
    CENSUS_LABELS,
    RATE_LABELS,
    RATES,
    add_census,
    add_rates,
    blank_suppressed_rates,
)
from lsmap.coverage.settings import (
    DEFAULT_COVERAGE_SETTINGS,
    DISTANCE_KIND_LABELS,
    DISTANCE_KINDS,
    CoverageSettings,
)
from lsmap.coverage.siting import SiteCandidate, site_candidates
from lsmap.coverage.suppression import PRIMARY, SECONDARY, complementary_suppression
from lsmap.escape import spreadsheet_cell
from lsmap.storage import audit
from lsmap.vocab import AuditAction, Entity

#: Household counts per district that are suppressed for planners when small.
COUNT_COLUMNS: tuple[str, ...] = (
    "households",
    "unlocated",
    *COUNTED,
    *(f"beyond_{k}" for k in DISTANCE_KINDS),
    "watchers",
    "overloaded_watchers",
    "welfare_volunteers",
)
#: How a count hidden to protect a "<5" elsewhere (complementary suppression) is shown.
HIDDEN = "X"
#: The columns of ``lsmap coverage`` and of the coverage page's export, in order.
REPORT_COLUMNS: tuple[str, ...] = (
    "district_code",
    "district_name",
    "level",
    "households",
    "no_watcher",
    "single_watcher",
    "elderly_watchers_only",
    "overloaded_watcher",
    "stale",
    "urgent_unvisited",
    *(f"beyond_{k}" for k in DISTANCE_KINDS),
    "unlocated",
    "watchers",
    "overloaded_watchers",
    *(f"resources_{k}" for k in DISTANCE_KINDS),
    *(f"lacks_{k}" for k in DISTANCE_KINDS),
    *(f"share_{c}" for c in (*COUNTED, *(f"beyond_{k}" for k in DISTANCE_KINDS))),
    "welfare_volunteers",
    *CENSUS_COLUMNS,
    "census_missing",
    *RATES,
)
#: Japanese column headings (UI and CSV export).
COLUMN_LABELS: dict[str, str] = {
    "district_code": "地区コード",
    "district_name": "地区名",
    "level": "階層",
    "households": "世帯数",
    "no_watcher": "見守り者なし",
    "single_watcher": "見守り者1人",
    "elderly_watchers_only": "見守り者が高齢者のみ",
    "overloaded_watcher": "負担の大きい見守り者がいる世帯",
    "stale": "連絡が途絶えている",
    "urgent_unvisited": "緊急サイン後の訪問なし",
    "unlocated": "位置不明",
    "watchers": "見守り者数",
    "overloaded_watchers": "負担の大きい見守り者",
    **{f"beyond_{k}": f"{v}が遠い" for k, v in DISTANCE_KIND_LABELS.items()},
    **{f"resources_{k}": f"{v}の数" for k, v in DISTANCE_KIND_LABELS.items()},
    **{f"lacks_{k}": f"{v}なし" for k, v in DISTANCE_KIND_LABELS.items()},
    "welfare_volunteers": "福祉推進員数",
    **CENSUS_LABELS,
    **RATE_LABELS,
}


def suppressed(count: int, small: int = 5) -> int | str:
    """A count as a planner may see it: 1 .. small-1 become "<small"."""
    return f"<{small}" if 0 < count < small else int(count)


def _parent_positions(table: pd.DataFrame) -> np.ndarray | None:
    """Each row's parent row in ``table`` (-1: none), or None without the nesting columns."""
    if "district_id" not in table or "parent_id" not in table:
        return None
    position = {int(d): i for i, d in enumerate(table["district_id"].tolist())}
    return np.array([position.get(int(p), -1) for p in table["parent_id"].tolist()], dtype=np.int64)


def suppress_small_counts(table: pd.DataFrame, small: int = 5) -> pd.DataFrame:
    """``table`` with counts 1–4 as "<5", and the shares that would reveal them (the share
    of a hidden count, and every share of a row whose households are hidden) blanked.

    When the table has ``district_id`` and ``parent_id`` (every level of the nesting), more
    counts are hidden as "X" so that no "<5" can be derived from a parent total and the
    visible siblings (:func:`lsmap.coverage.suppression.complementary_suppression`).
    """
    out = table.copy()
    parents = _parent_positions(table)
    status: dict[str, np.ndarray] = {}
    for column in COUNT_COLUMNS:
        if column in table:
            values = table[column].to_numpy(np.int64)
            primary = np.where((values > 0) & (values < small), PRIMARY, 0)
            status[column] = (
                primary if parents is None else complementary_suppression(values, parents, small)
            )
    hidden_row = status["households"] != 0 if "households" in status else np.zeros(len(table), bool)
    marks = {PRIMARY: f"<{small}", SECONDARY: HIDDEN}
    for column, state in status.items():
        out[column] = pd.Series(
            [marks.get(int(s), int(v)) for s, v in zip(state, table[column], strict=True)],
            index=table.index,
            dtype=object,
        )
        share = f"share_{column}"
        if share in table:
            out[share] = table[share].astype(object).where(~((state != 0) | hidden_row), None)
    return out


@dataclass(frozen=True)
class CoverageView:
    """The engine's result for one actor, with the inputs (needed for siting)."""

    actor: Actor
    inputs: CoverageInputs
    result: CoverageResult
    #: How the numbers are released to the actor (suppression, radius, siting).
    policy: AggregatePolicy
    #: The road network the distances were walked on (None: straight lines).
    network: LoadedGraph | None = None

    @property
    def distance_note(self) -> str:
        """Which distance the numbers use, in plain Japanese."""
        radius = f"{self.result.settings.radius_m:g} m"
        if self.network is None:
            return (
                f"資源までの距離は直線距離で {radius} を基準にしています"
                "（道路網が取り込まれていないため、川や線路を越える遠回りは数えていません）。"
            )
        return (
            f"資源までの距離は道路に沿って歩く距離（道路網「{self.network.name}」、"
            f"{self.network.imported_on} 取り込み）で {radius} を基準にしています。"
        )


def coverage_for(
    session: Session,
    actor: Actor,
    *,
    today: date | None = None,
    settings: CoverageSettings = DEFAULT_COVERAGE_SETTINGS,
    epsg: int | None = None,
    straight_line: bool = False,
) -> CoverageView:
    """Run the engine on what ``actor`` may use (see :func:`lsmap.access.coverage_inputs`),
    with the radius raised to the actor's minimum (:func:`lsmap.access.aggregate_policy`),
    walking distances on the road network when one is loaded (unless ``straight_line``),
    and the census denominators and rates per district."""
    if epsg is None:
        from lsmap.settings import get_settings

        epsg = get_settings().metric_epsg
    policy = access.aggregate_policy(actor, settings.radius_m, settings.small_count)
    settings = settings.with_overrides(radius_m=policy.radius_m)
    inputs = planning_inputs(session, actor, today or date.today())
    network = None if straight_line else load_current_network(session, epsg)
    result = compute_coverage(inputs, settings, epsg=epsg, network=network)
    return CoverageView(actor, inputs, with_census(session, actor, result), policy, network)


def planning_inputs(session: Session, actor: Actor, today: date) -> CoverageInputs:
    """The engine's inputs for ``actor``, with which watchers are 福祉推進員."""
    inputs = access.coverage_inputs(session, actor, today)
    volunteers = planning.volunteer_watcher_ids(session, actor)
    watchers = inputs.watchers.assign(welfare_volunteer=inputs.watchers["id"].isin(volunteers))
    return replace(inputs, watchers=watchers)


def with_census(
    session: Session, actor: Actor, result: CoverageResult, census: pd.DataFrame | None = None
) -> CoverageResult:
    """``result`` with census denominators and rates in its district table."""
    if census is None:
        census = planning.census_figures(session, actor)
    return replace(result, districts=add_rates(add_census(result.districts, census)))


def district_table(session: Session, view: CoverageView, level: str | None = None) -> pd.DataFrame:
    """Per-district aggregates in :data:`REPORT_COLUMNS`, suppressed for planners; audited.

    Suppression is decided on every level at once (a reader can ask for each level), then
    the rows of ``level`` are kept.
    """
    table = district_rows(view.result)
    if view.policy.suppress:
        table = blank_suppressed_rates(suppress_small_counts(table, view.policy.small_count))
    if level is not None:
        table = table[table["level"] == level]
    audit.log(
        session,
        view.actor,
        AuditAction.COVERAGE,
        Entity.DISTRICT,
        table["district_id"].tolist(),
        level=level,
        radius_m=view.result.settings.radius_m,
        distance=view.result.distance_mode,
    )
    return table[list(REPORT_COLUMNS)].reset_index(drop=True)


def siting(
    view: CoverageView, kind: str, district_id: int, *, epsg: int | None = None, top: int = 3
) -> list[SiteCandidate]:
    """Top places for a new ``kind`` in ``district_id``, as the actor's policy allows: for
    planners only places that reach at least ``small_count`` households, rounded to the
    policy's grid."""
    if epsg is None:
        from lsmap.settings import get_settings

        epsg = get_settings().metric_epsg
    policy = view.policy
    return site_candidates(
        view.inputs,
        view.result,
        kind,
        district_id,
        top=top,
        epsg=epsg,
        min_gain=policy.min_site_gain,
        round_to_m=policy.site_grid_m,
        network=view.network,
    )


#: Columns of :func:`gap_rows`.
GAP_COLUMNS = [
    "household_id",
    "number",
    "lon",
    "lat",
    "district_name",
    "names",
    "watchers",
    "days_since_contact",
    "urgent_unvisited",
    "gaps",
    "far_from",
    "far_count",
    "record",
]
#: Rare salons are reported in the aggregates; being far from one is no gap by itself.
GAP_KINDS = [k for k in DISTANCE_KINDS if k != "salon_rare"]


def gap_rows(session: Session, view: CoverageView, district_id: int | None) -> pd.DataFrame:
    """Households in ``district_id`` (None: whole scope) with a gap, as the actor may see
    them (names only where the access module projects them). Never for planners."""
    actor = view.actor
    if not access.can(actor, access.Action.VIEW):
        raise AccessDenied("計画担当の方には世帯ごとの一覧は表示されません")
    points = access.household_points(session, actor, district_id)
    metrics = view.result.households.set_index("id")
    rows = [
        row
        for point in points
        if point.id in metrics.index and (row := _gap_row(point, metrics.loc[point.id])) is not None
    ]
    table = pd.DataFrame(rows, columns=GAP_COLUMNS)
    audit.log(
        session,
        actor,
        AuditAction.VIEW_GAPS,
        Entity.HOUSEHOLD,
        table["household_id"].tolist(),
        district_id=district_id,
    )
    return table


def _watch_gaps(m: pd.Series) -> list[str]:
    """The gaps of a household's watch network, in Japanese."""
    gaps = []
    if m["no_watcher"]:
        gaps.append("見守り者なし")
    elif m["single_watcher"]:
        gaps.append("見守り者1人")
    if m["elderly_watchers_only"]:
        gaps.append("見守り者が高齢者のみ")
    if m["stale"]:
        gaps.append("連絡が途絶えている")
    if m["urgent_unvisited"]:
        gaps.append("緊急サイン後の訪問なし")
    return gaps


def _gap_row(point: Any, m: pd.Series) -> dict[str, Any] | None:
    """The row of one household (``m``: its metrics); None when it has no gap."""
    far = [DISTANCE_KIND_LABELS[k] for k in GAP_KINDS if bool(m[f"beyond_{k}"])]
    gaps = _watch_gaps(m)
    if not gaps and not far:
        return None
    return {
        "household_id": point.id,
        "number": point.number,
        "lon": point.lon,
        "lat": point.lat,
        "district_name": point.district_name,
        "names": "・".join(r.name for r in point.residents if r.name),
        "watchers": int(m["watchers"]),
        "days_since_contact": None
        if np.isnan(m["days_since_contact"])
        else int(m["days_since_contact"]),
        "urgent_unvisited": bool(m["urgent_unvisited"]),
        "gaps": "、".join(gaps),
        "far_from": "、".join(far),
        "far_count": int(sum(bool(m[f"beyond_{k}"]) for k in GAP_KINDS)),
        "record": f"/record?household={point.id}",
    }


def csv_bytes(
    table: pd.DataFrame, labels: dict[str, str] | None = None, *, bom: bool = True
) -> bytes:
    """``table`` as UTF-8 CSV, with BOM by default (Excel-friendly); text cells that a
    spreadsheet would run as a formula get a leading apostrophe."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([(labels or {}).get(c, c) for c in table.columns])
    for row in table.itertuples(index=False):
        writer.writerow(
            [spreadsheet_cell(v) if isinstance(v, str) else ("" if pd.isna(v) else v) for v in row]
        )
    return (("\ufeff" if bom else "") + buffer.getvalue()).encode("utf-8")
