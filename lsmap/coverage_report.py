"""Coverage as one user may see it: the engine on the data the access module gives them.

Planners get per-district aggregates only, with counts 1–4 shown as "<5"; staff, meeting
viewers and admins also get the gap list of the households they may see. Each view is
audited (district or household ids, never values).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from lsmap import access, audit
from lsmap.escape import spreadsheet_cell
from lsmap.access import AccessDenied, Actor
from lsmap.coverage import COUNTED, CoverageInputs, CoverageResult, compute_coverage, district_rows
from lsmap.coverage_settings import (
    DEFAULT_COVERAGE_SETTINGS,
    DISTANCE_KIND_LABELS,
    DISTANCE_KINDS,
    CoverageSettings,
)
from lsmap.siting import SiteCandidate, site_candidates

#: Household counts per district that are suppressed for planners when small.
COUNT_COLUMNS: tuple[str, ...] = (
    "households",
    "unlocated",
    *COUNTED,
    *(f"beyond_{k}" for k in DISTANCE_KINDS),
    "watchers",
    "overloaded_watchers",
)
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
}


def suppressed(count: int, small: int = 5) -> int | str:
    """A count as a planner may see it: 1 .. small-1 become "<small"."""
    return f"<{small}" if 0 < count < small else int(count)


def suppress_small_counts(table: pd.DataFrame, small: int = 5) -> pd.DataFrame:
    """``table`` with household counts 1–4 as "<5", and the shares that would reveal them
    (the share of a suppressed count, and every share of a row with "<5" households) blanked."""
    out = table.copy()
    households = table["households"].to_numpy()
    tiny_row = (households > 0) & (households < small)
    for column in COUNT_COLUMNS:
        if column not in table:
            continue
        values = table[column].to_numpy()
        out[column] = pd.Series([suppressed(int(v), small) for v in values], index=table.index, dtype=object)
        share = f"share_{column}"
        if share in table:
            hide = ((values > 0) & (values < small)) | tiny_row
            out[share] = table[share].astype(object).where(~hide, None)
    return out


@dataclass(frozen=True)
class CoverageView:
    """The engine's result for one actor, with the inputs (needed for siting)."""

    actor: Actor
    inputs: CoverageInputs
    result: CoverageResult


def coverage_for(
    session: Session,
    actor: Actor,
    *,
    today: date | None = None,
    settings: CoverageSettings = DEFAULT_COVERAGE_SETTINGS,
    epsg: int | None = None,
) -> CoverageView:
    """Run the engine on what ``actor`` may use (see :func:`lsmap.access.coverage_inputs`)."""
    inputs = access.coverage_inputs(session, actor, today or date.today())
    return CoverageView(actor, inputs, compute_coverage(inputs, settings, epsg=epsg))


def district_table(
    session: Session, view: CoverageView, level: str | None = None
) -> pd.DataFrame:
    """Per-district aggregates in :data:`REPORT_COLUMNS`, suppressed for planners; audited."""
    table = district_rows(view.result, level)
    audit.log(
        session,
        view.actor,
        "coverage",
        "district",
        table["district_id"].tolist(),
        level=level,
        radius_m=view.result.settings.radius_m,
    )
    table = table[list(REPORT_COLUMNS)]
    if view.actor.role == "planner":
        table = suppress_small_counts(table, view.result.settings.small_count)
    return table.reset_index(drop=True)


def siting(
    view: CoverageView, kind: str, district_id: int, *, epsg: int | None = None, top: int = 3
) -> list[SiteCandidate]:
    """Top places for a new ``kind`` in ``district_id`` (gains suppressed by the caller)."""
    if epsg is None:
        from lsmap.settings import get_settings

        epsg = get_settings().metric_epsg
    return site_candidates(view.inputs, view.result, kind, district_id, top=top, epsg=epsg)


def gap_rows(session: Session, view: CoverageView, district_id: int | None) -> pd.DataFrame:
    """Households in ``district_id`` (None: whole scope) with a gap, as the actor may see
    them (names only where the access module projects them). Never for planners."""
    actor = view.actor
    if not access.can(actor, "view"):
        raise AccessDenied("計画担当の方には世帯ごとの一覧は表示されません")
    points = access.household_points(session, actor, district_id)
    metrics = view.result.households.set_index("id")
    # Rare salons are reported in the aggregates; being far from one is no gap by itself.
    gap_kinds = [k for k in DISTANCE_KINDS if k != "salon_rare"]
    beyond_columns = [f"beyond_{k}" for k in gap_kinds]
    rows = []
    for point in points:
        if point.id not in metrics.index:
            continue
        m = metrics.loc[point.id]
        far = [DISTANCE_KIND_LABELS[k] for k in gap_kinds if bool(m[f"beyond_{k}"])]
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
        if not gaps and not far:
            continue
        names = "・".join(r.name for r in point.residents if r.name)
        rows.append(
            {
                "household_id": point.id,
                "number": point.number,
                "lon": point.lon,
                "lat": point.lat,
                "district_name": point.district_name,
                "names": names,
                "watchers": int(m["watchers"]),
                "days_since_contact": None if np.isnan(m["days_since_contact"]) else int(m["days_since_contact"]),
                "urgent_unvisited": bool(m["urgent_unvisited"]),
                "gaps": "、".join(gaps),
                "far_from": "、".join(far),
                "far_count": int(sum(bool(m[c]) for c in beyond_columns)),
                "record": f"/record?household={point.id}",
            }
        )
    table = pd.DataFrame(rows, columns=[
        "household_id", "number", "lon", "lat", "district_name", "names", "watchers",
        "days_since_contact", "urgent_unvisited", "gaps", "far_from", "far_count", "record",
    ])
    audit.log(session, actor, "view_gaps", "household", table["household_id"].tolist(), district_id=district_id)
    return table


def csv_bytes(table: pd.DataFrame, labels: dict[str, str] | None = None, *, bom: bool = True) -> bytes:
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
