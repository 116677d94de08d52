"""What the access module hands out: plain, already-projected records (no ORM objects).

A field the actor may not see is simply absent (``None`` or empty), never filled in later.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pandas as pd

#: Shown instead of names for a household with no live resident who consented.
NO_CONSENTED_RESIDENT = "（同意を得た方の登録なし）"


def withheld_reason(hidden_residents: int) -> str:
    """Why a household is shown as a number only (Japanese, for pages and printouts)."""
    if hidden_residents:
        return "同意が得られていない方がいるため"
    return "同意を得た方が登録されていないため"


@dataclass(frozen=True)
class DistrictInfo:
    """A district as a chooser and a map outline need it (public data)."""

    id: int
    code: str
    name: str
    level: str
    parent_id: int | None


@dataclass(frozen=True)
class ResidentView:
    """A resident with only the fields the actor may see."""

    id: int
    name: str | None = None
    furigana: str | None = None
    birth_year: int | None = None
    phone: str | None = None
    concern_tags: tuple[str, ...] = ()
    concerns: str | None = None
    consent_status: str | None = None
    consent_date: date | None = None
    consent_basis: str | None = None
    consent_recorded_by: str | None = None


@dataclass(frozen=True)
class HouseholdPoint:
    """One household of concern on the map."""

    id: int
    number: int
    lon: float
    lat: float
    approximate: bool
    watcher_count: int
    district_name: str
    household_type: str | None = None
    address: str | None = None
    residents: tuple[ResidentView, ...] = ()
    hidden_residents: int = 0
    #: True when the viewer sees the household as a number only (see access.details_shareable).
    details_withheld: bool = False
    #: How the point was found (lsmap.vocab.LOCATION_LEVELS; issue 17), None if not known.
    location_level: str | None = None


@dataclass(frozen=True)
class WatcherPoint:
    """A watcher on the map, with the number of households they watch (their load)."""

    id: int
    lon: float
    lat: float
    name: str
    role: str
    load: int
    phone: str | None = None


@dataclass(frozen=True)
class WatchLinkLine:
    """A watch link drawn as a line from the watcher to the household."""

    id: int
    household_id: int
    watcher_id: int
    involvement: str
    frequency: str
    coords: tuple[tuple[float, float], tuple[float, float]]
    #: The 関わり方 note (「朝のカーテンの開閉を確認」), for roles that edit only.
    note: str | None = None


@dataclass(frozen=True)
class ResourcePoint:
    """A resource on the map: facility with CSWs, salon, food bank, support centre ..."""

    id: int
    kind: str
    lon: float
    lat: float
    name: str
    address: str
    phone: str
    schedule: str
    csw_names: tuple[str, ...] = ()


@dataclass(frozen=True)
class WatcherInvolvement:
    """One line of the record's 見守り者 section: who, and how they are involved."""

    watcher_id: int
    name: str
    role: str
    involvements: tuple[tuple[str, str], ...]  # (involvement, frequency)
    phone: str | None = None
    #: per involvement: whether its contacts are logged (issue 12)
    logged: tuple[bool, ...] = ()
    #: The 関わり方 notes of the links, one per involvement ("" for none); only for a
    #: household whose details are shown.
    notes: tuple[str, ...] = ()
    #: The watcher has no home location, so the map draws no point or line for them.
    unlocated: bool = False

    def involvement_lines(
        self, involvement: Callable[[str], str], frequency: Callable[[str], str]
    ) -> list[str]:
        """「声かけ（毎日）: 朝のカーテンの開閉を確認」 per involvement, with the given labels."""
        notes = self.notes or ("",) * len(self.involvements)
        return [
            f"{involvement(inv)}（{frequency(freq)}）" + (f": {note}" if note else "")
            for (inv, freq), note in zip(self.involvements, notes, strict=True)
        ]


@dataclass(frozen=True)
class ContactView:
    """One contact-log entry."""

    id: int
    contacted_on: date
    method: str
    observation: str
    signs: tuple[str, ...]
    watcher_name: str | None
    recorded_by: str
    outcome: str = ""


@dataclass(frozen=True)
class EmergencyContactView:
    """One line of the 緊急連絡カード."""

    id: int
    name: str
    relation: str
    phone: str
    note: str


@dataclass(frozen=True)
class WatchRecord:
    """The 見守りネットワーク記録 of one household, projected for one actor."""

    household_id: int
    district_name: str
    household_type: str | None
    address: str | None
    note: str | None
    approximate: bool
    closed_on: date | None
    residents: tuple[ResidentView, ...]
    hidden_residents: int
    watchers: tuple[WatcherInvolvement, ...]
    contacts: tuple[ContactView, ...]
    emergency_contacts: tuple[EmergencyContactView, ...]
    details_withheld: bool = False
    extra: dict[str, str] = field(default_factory=dict)
    #: the stable 世帯番号 (None only for rows made before it existed)
    number: int | None = None
    #: the follow-up plan: 次回の訪問予定日, 担当 (display name), last 見直し
    next_visit_on: date | None = None
    assignee_name: str | None = None
    reviewed_on: date | None = None

    @property
    def shown_number(self) -> int:
        """The 世帯番号 shown to people (the id for a row without one)."""
        return self.number if self.number is not None else self.household_id


@dataclass
class ExportTable:
    """Rows of one layer for one actor, with what was left out and why.

    ``geometry`` holds one shapely geometry (EPSG:4326) per row, or is empty for tables
    without geometry; ``ids`` are the database ids of the exported records (for the audit).
    """

    layer: str
    entity: str
    columns: list[str]
    rows: list[dict[str, Any]]
    geometry: list[Any] = field(default_factory=list)
    ids: list[int] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class CoverageInputs:
    """What the engine needs, as plain tables (see the column lists below).

    - ``households``: ``id``, ``lon``, ``lat`` (NaN when unknown), ``district_id``
      (NaN/-1: locate by polygon)
    - ``watchers``: ``id``, ``birth_year`` (NaN when unknown), ``district_id``, optional
      ``total_households``
    - ``links``: ``household_id``, ``watcher_id``, ``expected_days`` (NaN: as needed)
    - ``contacts``: ``household_id``, ``day`` (``date.toordinal()``), ``seq`` (order within
      a day, < 2**32), ``is_visit``, ``urgent_sign``
    - ``resources``: ``id``, ``kind``, ``lon``, ``lat``, ``meetings_per_month``,
      ``district_id`` (NaN/-1: locate by polygon)
    - ``districts``: ``id``, ``code``, ``name``, ``level``, ``parent_id`` (NaN/-1: top),
      ``geometry`` (shapely, lon/lat, may be None)
    """

    households: pd.DataFrame
    watchers: pd.DataFrame
    links: pd.DataFrame
    contacts: pd.DataFrame
    resources: pd.DataFrame
    districts: pd.DataFrame
    today: date
