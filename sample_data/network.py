"""The watch network: watchers (見守り者) and how they are linked to households."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
from shapely.geometry import Point

from sample_data import persons
from sample_data.areas import Neighbourhood, to_metres
from sample_data.households import ELDERLY_TYPES
from sample_data.persons import Directory, chance, pick, pick_weighted
from sample_data.phrases import LINK_NOTES
from sample_data.records import SampleHousehold, SampleWatcher, SampleWatchLink

#: How many watchers each household gets: about 10 % none and 25 % exactly one.
WATCHER_COUNT_WEIGHTS: dict[int, float] = {0: 0.10, 1: 0.25, 2: 0.38, 3: 0.19, 4: 0.08}
#: Who fills a household's slots after its 民生委員.
SLOT_ROLE_WEIGHTS: dict[str, float] = {
    "neighbour": 0.40,
    "welfare_volunteer": 0.40,
    "ward_head": 0.12,
    "elderly_counsellor": 0.08,
}
#: role -> ((involvement, frequency), weight) of its main link to a household.
INVOLVEMENTS: dict[str, dict[tuple[str, str], float]] = {
    "commissioner": {
        ("visit", "monthly"): 0.6,
        ("safety_check", "weekly"): 0.25,
        ("safety_check", "biweekly"): 0.1,
        ("phone", "biweekly"): 0.05,
    },
    "welfare_volunteer": {
        ("greeting", "weekly"): 0.35,
        ("safety_check", "weekly"): 0.3,
        ("meal_delivery", "weekly"): 0.12,
        ("meal_delivery", "twice_weekly"): 0.08,
        ("visit", "biweekly"): 0.15,
    },
    "ward_head": {
        ("safety_check", "as_needed"): 0.5,
        ("greeting", "monthly"): 0.3,
        ("visit", "monthly"): 0.2,
    },
    "elderly_counsellor": {
        ("visit", "monthly"): 0.6,
        ("visit", "biweekly"): 0.2,
        ("phone", "weekly"): 0.2,
    },
    "neighbour": {
        ("greeting", "daily"): 0.4,
        ("safety_check", "daily"): 0.2,
        ("garbage", "weekly"): 0.1,
        ("garbage", "twice_weekly"): 0.05,
        ("shopping", "weekly"): 0.15,
        ("greeting", "weekly"): 0.1,
    },
}
#: A second link some watchers also have with the same household.
EXTRA_INVOLVEMENTS: dict[str, tuple[tuple[str, str], float]] = {
    "commissioner": (("phone", "as_needed"), 0.1),
    "neighbour": (("garbage", "twice_weekly"), 0.2),
}
#: role -> (youngest, oldest) age, share without a mapped location, share with a mobile.
ROLE_PROFILES: dict[str, tuple[int, int, float, float]] = {
    "commissioner": (58, 76, 0.0, 0.6),
    "ward_head": (64, 83, 0.1, 0.3),
    "welfare_volunteer": (52, 82, 0.08, 0.5),
    "elderly_counsellor": (65, 80, 0.1, 0.4),
    "neighbour": (30, 90, 0.08, 0.5),
}
COMMISSIONER_HOUSEHOLDS = 24
TARGET_WATCHERS = 250
#: A neighbour may watch a second household this close (degrees, about 250 m).
NEAR_DEGREES = 0.0025


@dataclass
class _Staff:
    """The non-neighbour watchers of one 町内."""

    commissioners: list[SampleWatcher] = field(default_factory=list)
    volunteers: list[SampleWatcher] = field(default_factory=list)
    ward_head: SampleWatcher | None = None


class NetworkBuilder:
    """Creates watchers on demand and links them to households."""

    def __init__(self, rng: np.random.Generator, today: date, directory: Directory) -> None:
        self.rng, self.today, self.directory = rng, today, directory
        self.watchers: list[SampleWatcher] = []
        self.links: list[SampleWatchLink] = []
        self.households_of: dict[str, list[SampleHousehold]] = {}

    def watcher(self, role: str, hood: Neighbourhood, near: Point | None = None) -> SampleWatcher:
        """A new watcher living in ``hood`` (next to ``near`` for a neighbour)."""
        youngest, oldest, p_unmapped, p_mobile = ROLE_PROFILES[role]
        rng = self.rng
        if role == "neighbour" and chance(rng, 0.5):
            youngest = 65
        birth_year = self.today.year - int(rng.integers(youngest, oldest + 1))
        name = self.directory.person(rng, "f" if chance(rng, 0.55) else "m", birth_year)
        location: Point | None = None
        if not chance(rng, p_unmapped):
            xy = None
            if near is not None:
                metric = to_metres(near)
                xy = (float(metric.x), float(metric.y))
            location = hood.random_point(rng, xy, spread_m=60.0)
        watcher = SampleWatcher(
            ref=f"sample:w:{len(self.watchers) + 1:04d}",
            name=name.name,
            role=role,
            phone=persons.phone(rng, p_mobile, p_empty=0.05),
            address=self.directory.address(rng, hood.name),
            birth_year=birth_year,
            district_code=hood.code,
            location=location,
        )
        self.watchers.append(watcher)
        self.households_of[watcher.ref] = []
        return watcher

    def link(self, watcher: SampleWatcher, household: SampleHousehold) -> None:
        """Link ``watcher`` to ``household`` with a plausible involvement (sometimes two)."""
        rng = self.rng
        involvements = [pick_weighted(rng, INVOLVEMENTS[watcher.role])]
        extra = EXTRA_INVOLVEMENTS.get(watcher.role)
        if extra and extra[0][0] != involvements[0][0] and chance(rng, extra[1]):
            involvements.append(extra[0])
        for involvement, frequency in involvements:
            notes = LINK_NOTES.get(involvement, ())
            note = pick(rng, notes) if notes and chance(rng, 0.3) else ""
            self.links.append(
                SampleWatchLink(watcher.ref, household.ref, involvement, frequency, note)
            )
        self.households_of[watcher.ref].append(household)

    def nearby_neighbour(
        self, household: SampleHousehold, hood: Neighbourhood, taken: set[str]
    ) -> SampleWatcher | None:
        """A neighbour in ``hood`` who watches one household near ``household``, if any."""
        for watcher in reversed(self.watchers):
            if (
                watcher.role != "neighbour"
                or watcher.district_code != hood.code
                or watcher.ref in taken
            ):
                continue
            watched = self.households_of[watcher.ref]
            if (
                len(watched) == 1
                and watched[0].location.distance(household.location) < NEAR_DEGREES
            ):
                return watcher
        return None


def _slot_counts(rng: np.random.Generator, total: int) -> list[int]:
    """Watchers wanted per household, in the exact proportions of WATCHER_COUNT_WEIGHTS."""
    counts: list[int] = []
    for slots, share in WATCHER_COUNT_WEIGHTS.items():
        counts += [slots] * (
            round(share * total) if slots < max(WATCHER_COUNT_WEIGHTS) else total - len(counts)
        )
    return [counts[int(i)] for i in rng.permutation(total)]


def generate_network(
    rng: np.random.Generator,
    today: date,
    neighbourhoods: list[Neighbourhood],
    households: list[SampleHousehold],
    directory: Directory,
) -> tuple[list[SampleWatcher], list[SampleWatchLink]]:
    """About 250 watchers and their links: 民生委員 carry many households, neighbours 1–2.

    First every household's slots are given to the 町内's commissioners, volunteers, ward
    head and the 地区's counsellors, the rest left to neighbours; then neighbours are made,
    some watching two nearby households, so that the total comes close to TARGET_WATCHERS.
    """
    builder = NetworkBuilder(rng, today, directory)
    by_hood = {n.code: [h for h in households if h.district_code == n.code] for n in neighbourhoods}
    staff: dict[str, _Staff] = {}
    for hood in neighbourhoods:
        count = len(by_hood[hood.code])
        group = staff[hood.code] = _Staff()
        for _ in range(max(1, round(count / COMMISSIONER_HOUSEHOLDS))):
            group.commissioners.append(builder.watcher("commissioner", hood))
        group.ward_head = builder.watcher("ward_head", hood)
        for _ in range(1 + int(count > 18)):
            group.volunteers.append(builder.watcher("welfare_volunteer", hood))
    counsellors: dict[str, list[SampleWatcher]] = {}
    for index, hood in enumerate(neighbourhoods):
        if index % 4 == 1:
            counsellors.setdefault(hood.district_suffix, []).append(
                builder.watcher("elderly_counsellor", hood)
            )

    wanted = iter(_slot_counts(rng, len(households)))
    plan: list[_Slots] = []
    for hood in neighbourhoods:
        group = staff[hood.code]
        members = sorted(by_hood[hood.code], key=lambda h: h.location.x)
        for position, household in enumerate(members):
            commissioner = group.commissioners[position * len(group.commissioners) // len(members)]
            chosen = _slot_watchers(
                rng,
                next(wanted),
                household,
                group,
                commissioner,
                counsellors.get(hood.district_suffix, []),
            )
            plan.append((household, hood, chosen))
    _fill_with_neighbours(rng, builder, plan)
    return builder.watchers, builder.links


#: A household, its 町内 and its watchers (None: a slot left to a neighbour).
_Slots = tuple[SampleHousehold, Neighbourhood, list[SampleWatcher | None]]


def _slot_watchers(
    rng: np.random.Generator,
    slots: int,
    household: SampleHousehold,
    group: _Staff,
    commissioner: SampleWatcher,
    counsellors: list[SampleWatcher],
) -> list[SampleWatcher | None]:
    """The watchers of one household's ``slots``: its commissioner first (usually), then
    volunteers, the ward head or a counsellor by weight; None where nobody is free."""
    chosen: list[SampleWatcher | None] = []
    if slots and chance(rng, 0.6 if slots == 1 else 0.95):
        chosen.append(commissioner)
    while len(chosen) < slots:
        role = pick_weighted(rng, SLOT_ROLE_WEIGHTS)
        candidates: list[SampleWatcher] = []
        if role == "welfare_volunteer":
            candidates = group.volunteers
        elif role == "ward_head" and group.ward_head is not None:
            candidates = [group.ward_head]
        elif role == "elderly_counsellor" and household.household_type in ELDERLY_TYPES:
            candidates = counsellors
        free = [w for w in candidates if w not in chosen]
        chosen.append(pick(rng, free) if free else None)
    return chosen


def _fill_with_neighbours(
    rng: np.random.Generator, builder: NetworkBuilder, plan: list[_Slots]
) -> None:
    """Give every open slot a neighbour (a nearby one reused while new ones would exceed
    TARGET_WATCHERS), and link every household to its watchers."""
    open_slots = sum(chosen.count(None) for _, _, chosen in plan)
    new_allowed = TARGET_WATCHERS - len(builder.watchers)
    for household, hood, chosen in plan:
        taken = {w.ref for w in chosen if w is not None}
        for slot, watcher in enumerate(chosen):
            if watcher is None:
                reuse = new_allowed < open_slots and chance(rng, 1 - new_allowed / open_slots)
                found = builder.nearby_neighbour(household, hood, taken) if reuse else None
                if found is None:
                    found = builder.watcher("neighbour", hood, near=household.location)
                    new_allowed -= 1
                open_slots -= 1
                chosen[slot] = watcher = found
                taken.add(found.ref)
            builder.link(watcher, household)
