"""Breakdown of a district's households by category: 世帯の状況, and 課題 when recorded.

Generic over a long table of (household, dimension, category) rows
(:func:`lsmap.access.planning.household_categories`): a household has one category in a
single-valued dimension (``household_type``) and may have several in a multi-valued one
(``concern_category``). For each district (every level, rolled up) and category: the
households, and those of them with the chosen indicator (e.g. 見守り者なし).

For planners the counts are suppressed like the main table: 1–4 as "<5", and more cells
hidden as "X" until none can be derived, along the district nesting for each category and,
for a single-valued dimension, across the categories of each district (whose total is the
main table's count, published as it is there). The two are repeated until both hold.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd
from sqlalchemy.orm import Session

from lsmap.access import planning
from lsmap.coverage.engine import CoverageResult, district_rows, rollup_sum
from lsmap.coverage.report import COLUMN_LABELS, CoverageView, _parent_positions
from lsmap.coverage.suppression import PRIMARY, SECONDARY, VISIBLE, complementary_suppression
from lsmap.storage import audit
from lsmap.vocab import HOUSEHOLD_ISSUES, HOUSEHOLD_TYPES

#: dimension -> (Japanese heading, category labels, single-valued?). A household has
#: several 課題, so their columns do not add up to the district's households.
DIMENSIONS: dict[str, tuple[str, dict[str, str], bool]] = {
    "household_type": ("世帯の状況", HOUSEHOLD_TYPES, True),
    "concern_category": ("課題", HOUSEHOLD_ISSUES, False),
}
WITHHELD_LABEL = "非表示（同意のない世帯）"


def category_counts(
    result: CoverageResult, categories: pd.DataFrame, dimension: str, indicator: str | None
) -> tuple[list[str], np.ndarray, np.ndarray]:
    """(categories, households per district × category, of them with ``indicator``), with
    districts in ``result.districts`` order and counts rolled up the nesting."""
    table = result.districts
    ids, parents = table["district_id"].to_numpy(np.int64), table["parent_id"].to_numpy(np.int64)
    rows = categories[categories["dimension"] == dimension]
    hh = result.households.set_index("id")
    rows = rows[rows["household_id"].isin(hh.index)]
    order = list(DIMENSIONS[dimension][1])
    found = sorted(set(rows["category"]), key=lambda c: (order.index(c) if c in order else 99, c))
    district = hh.loc[rows["household_id"], "district_id"].to_numpy(np.int64)
    flag = (
        hh.loc[rows["household_id"], indicator].to_numpy(bool)
        if indicator
        else np.zeros(len(rows), bool)
    )
    counts = np.zeros((len(ids), len(found)), dtype=np.int64)
    marked = np.zeros_like(counts)
    for j, category in enumerate(found):
        mask = rows["category"].to_numpy(object) == category
        counts[:, j] = rollup_sum(ids, parents, district[mask]).astype(np.int64)
        marked[:, j] = rollup_sum(ids, parents, district[mask & flag]).astype(np.int64)
    return found, counts, marked


def protect(
    values: np.ndarray,
    parent_pos: np.ndarray,
    margin: np.ndarray,
    margin_status: np.ndarray,
    single_valued: bool,
    small: int = 5,
) -> np.ndarray:
    """Status of each district × category cell (see the module docstring)."""
    status = np.where((values > 0) & (values < small), PRIMARY, VISIBLE)
    for _ in range(20):
        before = status.copy()
        for j in range(values.shape[1]):
            status[:, j] = complementary_suppression(
                values[:, j], parent_pos, small, initial=status[:, j]
            )
        if single_valued:
            tree = np.array([-1] + [0] * values.shape[1])
            for i in range(values.shape[0]):
                cells = complementary_suppression(
                    np.concatenate([[margin[i]], values[i]]),
                    tree,
                    small,
                    initial=np.concatenate([[margin_status[i]], status[i]]),
                    frozen=np.array([True] + [False] * values.shape[1]),
                )
                status[i] = cells[1:]
        if np.array_equal(before, status):
            break
    return status


def published(values: np.ndarray, status: np.ndarray, small: int = 5) -> np.ndarray:
    """Cells as a planner sees them: numbers, "<5" or "X"."""
    marks = {PRIMARY: f"<{small}", SECONDARY: "X"}
    out = np.empty(values.shape, dtype=object)
    for index in np.ndindex(values.shape):
        out[index] = marks.get(int(status[index]), int(values[index]))
    return out


def category_label(dimension: str, category: str) -> str:
    """The Japanese label of a category (withheld ones say so)."""
    if category == "withheld":
        return WITHHELD_LABEL
    return DIMENSIONS[dimension][1].get(category, category)


def breakdown_table(
    session: Session,
    view: CoverageView,
    district_id: int,
    dimension: str = "household_type",
    indicator: str | None = None,
) -> pd.DataFrame:
    """The categories of ``district_id``'s households (and of those with ``indicator``), as
    the viewer may see them; audited. Columns in Japanese."""
    categories = planning.household_categories(session, view.actor)
    table = district_rows(view.result)
    found, counts, marked = category_counts(
        replace(view.result, districts=table), categories, dimension, indicator
    )
    row = int(np.flatnonzero(table["district_id"].to_numpy(np.int64) == district_id)[0])
    shown_counts, shown_marked = counts.astype(object), marked.astype(object)
    policy = view.policy
    if policy.suppress:
        parents = _parent_positions(table)
        single = DIMENSIONS[dimension][2]
        shown_counts = _released(table, "households", counts, parents, single, policy.small_count)
        if indicator:
            shown_marked = _released(table, indicator, marked, parents, single, policy.small_count)
    heading = DIMENSIONS[dimension][0]
    out = pd.DataFrame(
        {
            heading: [category_label(dimension, c) for c in found],
            "気がかりな世帯": list(shown_counts[row]),
        }
    )
    if indicator:
        label = COLUMN_LABELS[indicator]
        out[label] = list(shown_marked[row])
        out[f"{label}の割合（%）"] = [
            round(m / c * 100, 1)
            if isinstance(m, int | np.integer) and isinstance(c, int | np.integer) and c
            else None
            for m, c in zip(shown_marked[row], shown_counts[row], strict=True)
        ]
    audit.log(
        session,
        view.actor,
        "view_breakdown",
        "district",
        [district_id],
        dimension=dimension,
        indicator=indicator,
    )
    return out


def _released(
    table: pd.DataFrame,
    margin_column: str,
    values: np.ndarray,
    parents: np.ndarray | None,
    single: bool,
    small: int,
) -> np.ndarray:
    """``values`` (district × category) suppressed with the main table's ``margin_column``."""
    parent_pos = parents if parents is not None else np.full(len(table), -1)
    margin = table[margin_column].to_numpy(np.int64)
    margin_status = complementary_suppression(margin, parent_pos, small)
    return published(
        values, protect(values, parent_pos, margin, margin_status, single, small), small
    )
