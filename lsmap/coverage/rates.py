"""Denominators from the census and rates per district.

Census figures are stored per 町丁目 (:mod:`lsmap.io.importing.census`). A district above
the 町丁目 gets the sum of the 町丁目 below it that have figures; a figure the census hid
(``*``/``X``, counted with a neighbouring area) counts as 0 in those sums (its people are
in the neighbour's figure) but leaves the 町丁目's own figure empty. ``census_missing``
counts the 町丁目 below a district that have no figures at all (their rates would be too
high: the page says so).

Rates (numerator, denominator, per):

- 気がかりな世帯 per 1,000 households and per 1,000 people aged 65+;
- 見守り者 per 100 households;
- 福祉推進員 per 50 households (the source's aim: one per 50 households, i.e. 1.0);
- share of people aged 65+ who live alone (65歳以上単独世帯 / 65歳以上人口).

For planners no rate is shown whose numerator is suppressed (:func:`blank_suppressed_rates`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from lsmap.coverage.engine import rollup_sum

CENSUS_FIELDS: tuple[str, ...] = (
    "population",
    "households",
    "aged_65",
    "aged_75",
    "elderly_alone_households",
)
CENSUS_COLUMNS: tuple[str, ...] = tuple(f"census_{f}" for f in CENSUS_FIELDS)
#: rate column -> (numerator column, denominator column, per).
RATES: dict[str, tuple[str, str, float]] = {
    "rate_households_per_1000": ("households", "census_households", 1000.0),
    "rate_households_per_1000_aged": ("households", "census_aged_65", 1000.0),
    "rate_watchers_per_100": ("watchers", "census_households", 100.0),
    "rate_volunteers_per_50": ("welfare_volunteers", "census_households", 50.0),
    "share_aged_alone": ("census_elderly_alone_households", "census_aged_65", 1.0),
}
RATE_LABELS: dict[str, str] = {
    "rate_households_per_1000": "気がかりな世帯（1,000世帯あたり）",
    "rate_households_per_1000_aged": "気がかりな世帯（65歳以上1,000人あたり）",
    "rate_watchers_per_100": "見守り者（100世帯あたり）",
    "rate_volunteers_per_50": "福祉推進員（50世帯あたり、目標1.0）",
    "share_aged_alone": "65歳以上の一人暮らしの割合",
}
CENSUS_LABELS: dict[str, str] = {
    "census_population": "人口（国勢調査）",
    "census_households": "世帯数（国勢調査）",
    "census_aged_65": "65歳以上人口",
    "census_aged_75": "75歳以上人口",
    "census_elderly_alone_households": "65歳以上単独世帯",
    "census_missing": "統計のない町丁目",
}


def add_census(table: pd.DataFrame, census: pd.DataFrame) -> pd.DataFrame:
    """``table`` (engine district rows) with :data:`CENSUS_COLUMNS` and ``census_missing``."""
    out = table.copy()
    ids = out["district_id"].to_numpy(np.int64)
    parents = out["parent_id"].to_numpy(np.int64)
    finest = ~np.isin(ids, parents[parents >= 0])
    by_id = census.set_index("district_id") if len(census) else None
    has_row = np.array([by_id is not None and d in by_id.index for d in ids], dtype=bool)
    out["census_missing"] = rollup_sum(ids, parents, ids[finest & ~has_row]).astype(np.int64)
    for name, column in zip(CENSUS_FIELDS, CENSUS_COLUMNS, strict=True):
        own = np.full(len(ids), np.nan)
        if by_id is not None:
            values = pd.to_numeric(by_id[name], errors="coerce")
            own = values.reindex(ids).to_numpy(float)
        known = finest & np.isfinite(own)
        summed = rollup_sum(ids, parents, ids[known], own[known])
        counted = rollup_sum(ids, parents, ids[finest & has_row])
        rolled = np.where(counted > 0, summed, np.nan)
        out[column] = np.where(finest | np.isfinite(own), own, rolled)
    return out


def add_rates(table: pd.DataFrame) -> pd.DataFrame:
    """``table`` with the :data:`RATES` columns (NaN where a part is unknown or 0)."""
    out = table.copy()
    for rate, (numerator, denominator, per) in RATES.items():
        top = pd.to_numeric(out.get(numerator), errors="coerce").to_numpy(float)
        bottom = pd.to_numeric(out.get(denominator), errors="coerce").to_numpy(float)
        with np.errstate(invalid="ignore", divide="ignore"):
            out[rate] = np.where(bottom > 0, top / bottom * per, np.nan)
    return out


def blank_suppressed_rates(published: pd.DataFrame) -> pd.DataFrame:
    """``published`` (counts already suppressed) with no rate whose numerator is hidden."""
    out = published.copy()
    for rate, (numerator, _, _) in RATES.items():
        if rate in out and numerator in out:
            hidden = out[numerator].map(lambda v: isinstance(v, str))
            out[rate] = out[rate].astype(object).where(~hidden.astype(bool), None)
    return out
