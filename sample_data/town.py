"""Generate the fictional town さくら台市 (Kanagawa): areas, households, watchers, resources.

Generation is pure and deterministic: the same ``(today, seed)`` always gives the same
town. Every person and place in it is invented.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from sample_data.areas import CITY_CODE, CITY_NAME, build_areas
from sample_data.basemap import generate_basemap
from sample_data.contacts import generate_contacts
from sample_data.households import generate_households
from sample_data.network import generate_network
from sample_data.persons import Directory
from sample_data.records import (
    SampleBasemapFeature,
    SampleContactLog,
    SampleDistrict,
    SampleHousehold,
    SampleResource,
    SampleWatcher,
    SampleWatchLink,
)
from sample_data.resources import generate_resources, support_centre_names

DEFAULT_SEED = 20261122

__all__ = ["CITY_CODE", "CITY_NAME", "DEFAULT_SEED", "Town", "generate_town"]


@dataclass
class Town:
    """The whole sample town; districts come parents first (市, 地区, 町内)."""

    today: date
    seed: int
    districts: list[SampleDistrict]
    households: list[SampleHousehold]
    watchers: list[SampleWatcher]
    links: list[SampleWatchLink]
    contacts: list[SampleContactLog]
    resources: list[SampleResource]
    #: The generated background map (roads, railway, river, landmarks).
    basemap: list[SampleBasemapFeature]

    def counts(self) -> dict[str, int]:
        """Number of rows per database table that this town fills."""
        return {
            "districts": len(self.districts),
            "households": len(self.households),
            "residents": sum(len(h.residents) for h in self.households),
            "emergency_contacts": sum(len(h.emergency_contacts) for h in self.households),
            "watchers": len(self.watchers),
            "watch_links": len(self.links),
            "contact_logs": len(self.contacts),
            "resources": len(self.resources),
            "csws": sum(len(r.csws) for r in self.resources),
            "basemap_features": len(self.basemap),
        }


def generate_town(today: date, seed: int = DEFAULT_SEED) -> Town:
    """The sample town as it stands on ``today`` (contacts cover the year before it)."""
    # One independent stream per part, so changing one part leaves the others as they are.
    # (spawn(6) gives the same first five streams as spawn(5) did, so adding the basemap's
    # stream left the rest of the town as it was.)
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(6)]
    area_rng, resource_rng, household_rng, network_rng, contact_rng, basemap_rng = streams
    districts, neighbourhoods = build_areas(area_rng)
    directory = Directory(CITY_NAME)
    resources = generate_resources(resource_rng, neighbourhoods, directory)
    phones = {r.name: r.phone for r in resources if r.kind == "support_centre"}
    centres = {suffix: (name, phones[name]) for suffix, name in support_centre_names().items()}
    households = generate_households(household_rng, today, neighbourhoods, directory, centres)
    watchers, links = generate_network(network_rng, today, neighbourhoods, households, directory)
    contacts = generate_contacts(contact_rng, today, households, watchers, links)
    basemap = generate_basemap(basemap_rng, neighbourhoods)
    return Town(today, seed, districts, households, watchers, links, contacts, resources, basemap)
