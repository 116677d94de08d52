"""When the town's records began: the day each household and each watch link was recorded.

Most households have been on the map for years; about a fifth were added during the last
year, and some links were agreed only months after their household was recorded, so
coverage improves over the year, as it does when a 福祉連絡会 works through its list.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np

from sample_data.records import SampleHousehold, SampleWatchLink


def recorded_dates(
    rng: np.random.Generator,
    today: date,
    households: list[SampleHousehold],
    links: list[SampleWatchLink],
) -> tuple[dict[str, date], list[date]]:
    """(household ref -> day recorded, day each link was agreed, in ``links`` order)."""
    registered: dict[str, date] = {}
    for household in households:
        recent = rng.random() < 0.22
        back = int(rng.integers(1, 365)) if recent else int(rng.integers(365, 365 * 4))
        registered[household.ref] = today - timedelta(days=back)
    started = []
    for link in links:
        start = registered[link.household_ref]
        delay = int(rng.integers(60, 300)) if rng.random() < 0.25 else int(rng.integers(0, 14))
        started.append(min(today - timedelta(days=1), start + timedelta(days=delay)))
    return registered, started
