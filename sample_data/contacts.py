"""A year of contact logs (見守り活動記録), with stale records and urgent signs."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np

from sample_data.names import STAFF_NAMES
from sample_data.persons import chance, pick
from sample_data.phrases import (
    OBSERVATIONS,
    RESOLVING_VISITS,
    SIGN_OBSERVATIONS,
    STAFF_OBSERVATIONS,
    UNWATCHED_OBSERVATIONS,
    URGENT_OBSERVATIONS,
)
from sample_data.records import SampleContactLog, SampleHousehold, SampleWatcher, SampleWatchLink

#: frequency -> days between logged contacts (daily greetings are logged about weekly).
LOG_INTERVAL_DAYS: dict[str, int] = {
    "daily": 7,
    "twice_weekly": 7,
    "weekly": 9,
    "biweekly": 14,
    "monthly": 30,
    "as_needed": 45,
}
#: involvement -> contact method of the log entry.
METHOD_OF: dict[str, str] = {
    "visit": "visit",
    "meal_delivery": "visit",
    "phone": "phone",
    "greeting": "greeting",
    "garbage": "greeting",
    "safety_check": "greeting",
    "shopping": "other",
    "other": "other",
}
MAX_LOGS_PER_HOUSEHOLD = 20
P_STALE_LINKED = 0.03
P_SIGN = 0.03
STALE_AFTER_DAYS = 60


def _entry(
    rng: np.random.Generator,
    household: SampleHousehold,
    on: date,
    method: str,
    watcher: SampleWatcher | None,
    observation: str,
    signs: list[str] | None = None,
) -> SampleContactLog:
    """One log entry; staff sometimes type in what a watcher told them."""
    recorded_by = (
        watcher.name if watcher is not None and not chance(rng, 0.12) else pick(rng, STAFF_NAMES)
    )
    return SampleContactLog(
        household_ref=household.ref,
        watcher_ref=watcher.ref if watcher else None,
        contacted_on=on,
        method=method,
        observation=observation,
        signs=signs or [],
        recorded_by=recorded_by,
    )


def _staff_entry(
    rng: np.random.Generator, household: SampleHousehold, on: date, watched: bool = True
) -> SampleContactLog:
    """A visit or call by council staff themselves."""
    method = pick(rng, ("visit", "phone"))
    texts = STAFF_OBSERVATIONS if watched else UNWATCHED_OBSERVATIONS
    return _entry(rng, household, on, method, None, pick(rng, texts[method]))


def _routine(
    rng: np.random.Generator,
    today: date,
    household: SampleHousehold,
    links: list[SampleWatchLink],
    watchers: dict[str, SampleWatcher],
    stale: bool,
) -> list[SampleContactLog]:
    """Entries going back from the last contact at about the pace of the household's links."""
    intervals = np.array([LOG_INTERVAL_DAYS[link.frequency] for link in links], dtype=float)
    pace = float(intervals.min())
    rates = (1.0 / intervals) / (1.0 / intervals).sum()
    if stale:
        last = today - timedelta(days=int(rng.integers(STALE_AFTER_DAYS + 1, 200)))
    else:
        last = today - timedelta(days=int(rng.integers(0, int(min(pace, 40)) + 1)))
    cap = int(rng.integers(8, MAX_LOGS_PER_HOUSEHOLD - 1))
    entries: list[SampleContactLog] = []
    day = last
    while len(entries) < cap and day > today - timedelta(days=365):
        link = links[int(rng.choice(len(links), p=rates))]
        if chance(rng, 0.08):
            entries.append(_staff_entry(rng, household, day))
        else:
            method = METHOD_OF[link.involvement]
            if chance(rng, P_SIGN):
                sign = pick(rng, sorted(SIGN_OBSERVATIONS))
                observation, signs = SIGN_OBSERVATIONS[sign], [sign]
            else:
                observation, signs = pick(rng, OBSERVATIONS[method]), []
            entries.append(
                _entry(rng, household, day, method, watchers[link.watcher_ref], observation, signs)
            )
        day -= timedelta(days=max(1, round(pace * rng.uniform(0.6, 1.4))))
    return entries


def _urgent_entry(
    rng: np.random.Generator,
    household: SampleHousehold,
    on: date,
    links: list[SampleWatchLink],
    watchers: dict[str, SampleWatcher],
) -> SampleContactLog:
    """A greeting or call that noticed an urgent sign (lifeline stopped, not seen)."""
    sign = pick(rng, ("not_seen", "not_seen", "lifeline_stopped"))
    observers = [
        watchers[link.watcher_ref]
        for link in links
        if watchers[link.watcher_ref].role != "commissioner"
    ]
    watcher = pick(rng, observers) if observers else watchers[links[0].watcher_ref]
    signs = [sign, "mail_piling"] if sign == "not_seen" and chance(rng, 0.5) else [sign]
    method = pick(rng, ("greeting", "phone", "other"))
    return _entry(rng, household, on, method, watcher, pick(rng, URGENT_OBSERVATIONS[sign]), signs)


def generate_contacts(
    rng: np.random.Generator,
    today: date,
    households: list[SampleHousehold],
    watchers: list[SampleWatcher],
    links: list[SampleWatchLink],
) -> list[SampleContactLog]:
    """Contact logs of the year before ``today``.

    About 10 % of households are stale (no contact for 60+ days, or none at all); 7–9
    have an urgent sign with no later visit, and 4 had one that a visit followed up.
    """
    by_ref = {w.ref: w for w in watchers}
    links_of: dict[str, list[SampleWatchLink]] = {}
    for link in links:
        links_of.setdefault(link.household_ref, []).append(link)
    linked = [h for h in households if h.ref in links_of]
    stale = {h.ref for h in linked if chance(rng, P_STALE_LINKED)}
    candidates = [h for h in linked if h.ref not in stale]
    picked = [candidates[int(i)] for i in rng.choice(len(candidates), 13, replace=False)]
    urgent_count = int(rng.integers(7, 10))
    urgent = {h.ref for h in picked[:urgent_count]}
    resolved = {h.ref for h in picked[urgent_count : urgent_count + 4]}

    logs: list[SampleContactLog] = []
    for household in households:
        hl = links_of.get(household.ref)
        if not hl:
            draw = rng.random()
            if draw < 0.2:
                on = today - timedelta(days=int(rng.integers(3, 46)))
                logs.append(_staff_entry(rng, household, on, watched=False))
            elif draw < 0.5:
                on = today - timedelta(days=int(rng.integers(STALE_AFTER_DAYS + 1, 330)))
                logs.append(_staff_entry(rng, household, on, watched=False))
            continue
        entries = _routine(rng, today, household, hl, by_ref, household.ref in stale)
        if household.ref in urgent:
            noticed = today - timedelta(days=int(rng.integers(1, 11)))
            entries = [e for e in entries if e.contacted_on < noticed]
            entries.append(_urgent_entry(rng, household, noticed, hl, by_ref))
        elif household.ref in resolved:
            noticed = today - timedelta(days=int(rng.integers(20, 120)))
            visited = noticed + timedelta(days=int(rng.integers(1, 3)))
            entries = [e for e in entries if e.contacted_on not in (noticed, visited)]
            commissioners = [
                by_ref[link.watcher_ref]
                for link in hl
                if by_ref[link.watcher_ref].role == "commissioner"
            ]
            entries.append(_urgent_entry(rng, household, noticed, hl, by_ref))
            visitor = commissioners[0] if commissioners else None
            entries.append(
                _entry(rng, household, visited, "visit", visitor, pick(rng, RESOLVING_VISITS))
            )
        logs.extend(sorted(entries, key=lambda e: e.contacted_on))
    return logs
