"""The coverage table as people read it: ranked worst first, Japanese headings, rounded.

One form for the page and its CSV: shares as percentages with one decimal, rates with one
decimal (no floating-point noise), counts as they were released ("<5", "X" for planners),
whether a district has a resource as あり/なし, unknown values empty.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from lsmap.coverage.engine import COUNTED
from lsmap.coverage.rates import CENSUS_COLUMNS, CENSUS_LABELS, RATE_LABELS, RATES
from lsmap.coverage.report import COLUMN_LABELS
from lsmap.coverage.settings import DISTANCE_KIND_LABELS, DISTANCE_KINDS

SHARED = (*COUNTED, *(f"beyond_{k}" for k in DISTANCE_KINDS))


@dataclass(frozen=True)
class Indicator:
    """A column a planner can rank and colour by."""

    column: str
    label: str
    #: True when a higher value is worse (ranked first).
    higher_is_worse: bool
    #: "share" (0..1, shown in %), "rate" (per N) or "percent" (census share, in %).
    kind: str


def _indicators() -> dict[str, Indicator]:
    found = {
        f"share_{c}": Indicator(f"share_{c}", f"{COLUMN_LABELS[c]}の割合", True, "share")
        for c in SHARED
    }
    for rate in RATES:
        worse_high = rate not in ("rate_watchers_per_100", "rate_volunteers_per_50")
        kind = "share" if rate == "share_aged_alone" else "rate"
        found[rate] = Indicator(rate, RATE_LABELS[rate], worse_high, kind)
    return found


INDICATORS: dict[str, Indicator] = _indicators()
#: Headings of the published table (the page and the CSV use the same).
HEADINGS: dict[str, str] = {
    **COLUMN_LABELS,
    "households": "気がかりな世帯数",
    **CENSUS_LABELS,
    **RATE_LABELS,
    **{f"has_{k}": f"{v}（地区内）" for k, v in DISTANCE_KIND_LABELS.items()},
    **{i.column: f"{i.label}（%）" for i in INDICATORS.values() if i.kind == "share"},
    "rank": "順位",
}
COUNT_ORDER = (
    "households",
    *COUNTED,
    *(f"beyond_{k}" for k in DISTANCE_KINDS),
    "unlocated",
    "watchers",
    "overloaded_watchers",
    "welfare_volunteers",
)


def number(value: Any) -> float | None:
    """A released value as a number; None for hidden ("<5", "X") or unknown."""
    if value is None or isinstance(value, str):
        return None
    try:
        result = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(result) else result


def ranked(table: pd.DataFrame, indicator: str) -> pd.DataFrame:
    """``table`` worst first on ``indicator``; districts without a value last (code order)."""
    spec = INDICATORS[indicator]
    values = table[indicator].map(number)
    known = values.notna()
    order = values[known].sort_values(ascending=not spec.higher_is_worse, kind="stable")
    rest = table.index[~known]
    out = table.loc[list(order.index) + list(rest)].copy()
    out.insert(0, "rank", [*range(1, len(order) + 1), *([None] * len(rest))])
    return out.reset_index(drop=True)


def _cell(column: str, value: Any) -> Any:
    if isinstance(value, str):
        return value
    if isinstance(value, (bool, np.bool_)):
        return "あり" if value else "なし"
    found = number(value)
    if found is None:
        return None
    spec = INDICATORS.get(column)
    if spec is not None and spec.kind == "share":
        return round(found * 100, 1)
    if column in RATES:
        return round(found, 1)
    return int(round(found))


def presented(table: pd.DataFrame, indicator: str) -> pd.DataFrame:
    """The ranked table with Japanese headings and rounded cells (page and CSV)."""
    frame = ranked(table, indicator)
    for kind in DISTANCE_KINDS:
        frame[f"has_{kind}"] = ~frame[f"lacks_{kind}"].astype(bool)
    shares = [c for c in frame.columns if c.startswith("share_") and c != indicator]
    columns = [
        "rank",
        "district_code",
        "district_name",
        indicator,
        *[c for c in COUNT_ORDER if c != indicator],
        *[r for r in RATES if r != indicator],
        *CENSUS_COLUMNS,
        "census_missing",
        *(f"has_{k}" for k in DISTANCE_KINDS),
        *shares,
    ]
    return pd.DataFrame(
        {
            HEADINGS.get(c, c): pd.Series([_cell(c, v) for v in frame[c]], dtype=object)
            for c in columns
            if c in frame
        }
    )


TREND_HEADINGS = {"as_of": "記録日", "trigger": "記録の種類"}


def presented_trends(trends: pd.DataFrame, trigger_labels: dict[str, str]) -> pd.DataFrame:
    """One row per district per snapshot, with the table's headings and rounding (CSV)."""
    if trends.empty:
        return pd.DataFrame(columns=["記録日", "記録の種類", "地区コード", "地区名"])
    shares = [c for c in trends.columns if c.startswith("share_")]
    columns = [
        "district_code",
        "district_name",
        *COUNT_ORDER,
        *RATES,
        *CENSUS_COLUMNS,
        "census_missing",
        *shares,
    ]
    out = pd.DataFrame(
        {
            "記録日": [f"{d:%Y-%m-%d}" for d in trends["as_of"]],
            "記録の種類": [trigger_labels.get(t, t) for t in trends["trigger"]],
        }
    )
    for column in columns:
        if column in trends:
            cells = [_cell(column, v) for v in trends[column]]
            out[HEADINGS.get(column, column)] = pd.Series(cells, dtype=object)
    return out
