"""Plain records of the generated town, free of any database code.

Records refer to each other by ``ref`` (households, watchers, resources) or ``code``
(districts); geometries are shapely objects in EPSG:4326 (longitude, latitude).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from shapely.geometry import MultiPolygon, Point
from shapely.geometry.base import BaseGeometry


@dataclass
class SampleBasemapFeature:
    """One feature of the generated background map (a road, the river, a school …)."""

    kind: str
    subkind: str
    name: str
    geom: BaseGeometry


@dataclass
class SampleDistrict:
    """An area: the municipality, a 地区 or a 町内, nested through ``parent_code``."""

    code: str
    name: str
    level: str
    parent_code: str | None
    geom: MultiPolygon


@dataclass
class SampleResident:
    """A person of concern (気がかりな人)."""

    name: str
    furigana: str
    birth_year: int
    phone: str
    concern_tags: list[str]
    concerns: str
    consent_status: str
    consent_date: date | None
    consent_basis: str
    consent_recorded_by: str


@dataclass
class SampleEmergencyContact:
    """One line of a 緊急連絡カード."""

    name: str
    relation: str
    phone: str
    note: str = ""


@dataclass
class SampleHousehold:
    """A household of concern (気がかりな世帯) in the 町内 ``district_code``."""

    ref: str
    district_code: str
    address: str
    household_type: str
    location: Point
    location_approximate: bool
    note: str
    residents: list[SampleResident] = field(default_factory=list)
    emergency_contacts: list[SampleEmergencyContact] = field(default_factory=list)


@dataclass
class SampleWatcher:
    """A watcher (見守り者); ``district_code`` is the 町内 they belong to."""

    ref: str
    name: str
    role: str
    phone: str
    address: str
    birth_year: int
    district_code: str
    location: Point | None


@dataclass
class SampleWatchLink:
    """How one watcher is involved with one household (関わり方)."""

    watcher_ref: str
    household_ref: str
    involvement: str
    frequency: str
    note: str = ""


@dataclass
class SampleContactLog:
    """A dated contact; ``watcher_ref`` is None when council staff made it."""

    household_ref: str
    watcher_ref: str | None
    contacted_on: date
    method: str
    observation: str
    signs: list[str]
    recorded_by: str


@dataclass
class SampleCsw:
    """A community social worker of a participating facility."""

    name: str
    phone: str


@dataclass
class SampleResource:
    """A local resource in the 町内 ``district_code``."""

    ref: str
    kind: str
    name: str
    address: str
    phone: str
    schedule: str
    meetings_per_month: float | None
    district_code: str
    location: Point
    csws: list[SampleCsw] = field(default_factory=list)
