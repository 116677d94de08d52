"""Generate the fictional town さくら台市 (Kanagawa): areas, households, watchers, resources.

Generation is pure and deterministic: the same ``(today, seed)`` always gives the same
town. Every person and place in it is invented.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import shapely
from shapely.geometry import LineString

from sample_data.areas import CITY_CODE, CITY_NAME, build_areas, to_lonlat
from sample_data.basemap import generate_basemap
from sample_data.census import census_csv
from sample_data.contacts import generate_contacts
from sample_data.history import recorded_dates
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
from sample_data.streets import Street, generate_streets

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
    #: Streets (lon/lat, OSM-style kinds) with the river cutting them, and the river (metres).
    streets: list[Street] = field(default_factory=list)
    river_m: LineString | None = None
    #: Day each household (by ref) was recorded and each link (in ``links`` order) agreed.
    recorded: dict[str, date] = field(default_factory=dict)
    link_started: list[date] = field(default_factory=list)
    #: The town's 国勢調査 小地域 table (CP932 CSV, e-Stat style).
    census: bytes = b""
    #: The background map (the streets and the river above, the railway, landmarks).
    basemap: list[SampleBasemapFeature] = field(default_factory=list)

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
    # (spawn(n) gives the same first streams as a smaller spawn did, so adding a stream
    # leaves the rest of the town as it was.)
    streams = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(9)]
    area_rng, resource_rng, household_rng, network_rng, contact_rng = streams[:5]
    street_rng, history_rng, census_rng, basemap_rng = streams[5:]
    districts, neighbourhoods = build_areas(area_rng)
    directory = Directory(CITY_NAME)
    resources = generate_resources(resource_rng, neighbourhoods, directory)
    phones = {r.name: r.phone for r in resources if r.kind == "support_centre"}
    centres = {suffix: (name, phones[name]) for suffix, name in support_centre_names().items()}
    households = generate_households(household_rng, today, neighbourhoods, directory, centres)
    watchers, links = generate_network(network_rng, today, neighbourhoods, households, directory)
    contacts = generate_contacts(contact_rng, today, households, watchers, links)
    outline = shapely.union_all([n.metric for n in neighbourhoods])
    streets, river = generate_streets(street_rng, outline, to_lonlat)
    recorded, started = recorded_dates(history_rng, today, households, links)
    census = census_csv(census_rng, districts, households)
    basemap = generate_basemap(basemap_rng, neighbourhoods, streets, river)
    return Town(
        today,
        seed,
        districts,
        households,
        watchers,
        links,
        contacts,
        resources,
        streets,
        river,
        recorded,
        started,
        census,
        basemap,
    )
