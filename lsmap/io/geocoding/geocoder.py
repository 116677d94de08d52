"""Addresses to points against the stored address reference, with a match level.

:meth:`Geocoder.locate` normalises the address (:func:`lsmap.addresses.normalise_address`),
finds the 市町村 at its start (or takes the default city: addresses in 名簿 are often written
relative to the city), then the longest 大字・町丁目 (with or without its 小字) that the
rest starts with, then the 街区符号 or 地番 that follows:

- ``block`` (街区): the 街区 or 地番 is in the reference; the point is its representative point;
- ``town`` (町丁目): the town is known but not the number; the point is the town's point
  (the 大字・町丁目レベル point, else the middle of its 街区);
- ``city`` (市町村): only the city is known; ``unknown`` (不明): not even that.
  Neither is ever given a point: the import lists them for correction.

「本町3-12-3」 is read as 本町三丁目12番3号 when 本町三丁目 exists; former names (旧町名, the
更新前履歴 rows) resolve to where they were. The city's rows are read once per import.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from lsmap.addresses import normalise_address, split_number
from lsmap.storage.models import AddressPoint

_CHOME_GUESS = re.compile(r"^(\D+?)(\d{1,2})-(?=\d)")
_GUN = re.compile(r"^.+?郡")


@dataclass(frozen=True)
class GeocodeResult:
    """Where an address lies and how precisely it matched."""

    level: str  # "block", "town", "city" or "unknown"
    lon: float | None = None
    lat: float | None = None
    city: str = ""
    #: The town as the reference writes it (with 小字), and the 街区符号・地番 matched.
    town: str = ""
    block: str = ""
    old_name: bool = False

    @property
    def matched(self) -> str:
        """What was matched, in Japanese (「さくら台市本町一丁目 12」)."""
        return f"{self.city}{self.town}{(' ' + self.block) if self.block else ''}"


@dataclass
class _Town:
    name: str
    current: bool
    blocks: dict[str, tuple[float, float]] = field(default_factory=dict)
    point: tuple[float, float] | None = None

    def centre(self) -> tuple[float, float] | None:
        if self.point is not None:
            return self.point
        if not self.blocks:
            return None
        lons, lats = zip(*self.blocks.values(), strict=True)
        self.point = (sum(lons) / len(lons), sum(lats) / len(lats))
        return self.point


@dataclass
class _City:
    name: str
    towns: dict[str, _Town] = field(default_factory=dict)
    longest: int = 0


class Geocoder:
    """Looks addresses up in ``address_points``; cities are read on first use."""

    def __init__(self, session: Session, default_cities: list[str] | tuple[str, ...] = ()) -> None:
        self.session = session
        rows = session.execute(select(AddressPoint.city_key, AddressPoint.city).distinct()).all()
        self.city_names = {key: name for key, name in rows}
        aliases = {_GUN.sub("", key): key for key in self.city_names if _GUN.match(key)}
        self.city_keys = sorted(
            {**aliases, **{k: k for k in self.city_names}}.items(), key=lambda kv: -len(kv[0])
        )
        wanted = [normalise_address(c) for c in default_cities]
        known = [c for c in wanted if c in self.city_names]
        if not known and len(self.city_names) == 1:
            known = list(self.city_names)
        self.default_city = known[0] if known else None
        self._cities: dict[str, _City] = {}

    @property
    def has_reference(self) -> bool:
        """Whether any reference has been imported."""
        return bool(self.city_names)

    def default_points(self) -> list[tuple[float, float]]:
        """Every (lon, lat) of the default city's reference (to find their areas at once)."""
        if self.default_city is None:
            return []
        city = self._city(self.default_city)
        points = {p for town in city.towns.values() for p in town.blocks.values()}
        points.update(t.centre() or (0.0, 0.0) for t in city.towns.values())
        return sorted(points)

    def _city(self, key: str) -> _City:
        city = self._cities.get(key)
        if city is not None:
            return city
        city = _City(self.city_names[key])
        query = select(
            AddressPoint.level,
            AddressPoint.town,
            AddressPoint.koaza,
            AddressPoint.town_key,
            AddressPoint.block_key,
            AddressPoint.lon,
            AddressPoint.lat,
            AddressPoint.current,
        ).where(AddressPoint.city_key == key)
        for level, town, koaza, town_key, block_key, lon, lat, current in self.session.execute(
            query.order_by(AddressPoint.current.desc(), AddressPoint.id)
        ):
            keys = {town_key, normalise_address(town)} if koaza else {town_key}
            for k in keys:
                entry = city.towns.setdefault(
                    k, _Town(town + koaza if k == town_key else town, current)
                )
                if level == "town":
                    entry.point = entry.point or (lon, lat)
                else:
                    entry.blocks.setdefault(block_key, (lon, lat))
        city.longest = max((len(k) for k in city.towns), default=0)
        self._cities[key] = city
        return city

    def _split_city(self, address: str) -> tuple[str | None, str]:
        """(city key, the rest) for an address that names a known city, else (None, address)."""
        for alias, key in self.city_keys:
            if address.startswith(alias):
                return key, address[len(alias) :]
        return None, address

    def locate(
        self, address: str, town_hint: str = "", *, normalised: str | None = None
    ) -> GeocodeResult:
        """The point and match level of ``address`` (``town_hint``: a 町丁目 column's value;
        ``normalised``: the address already through :func:`normalise_address`)."""
        text = normalise_address(address) if normalised is None else normalised
        if not text and not town_hint:
            return GeocodeResult("unknown")
        explicit, rest = self._split_city(text)
        key = explicit or self.default_city
        if key is None:
            return GeocodeResult("unknown")
        city = self._city(key)
        found = self._town(city, rest)
        if found is None and town_hint:
            hint = normalise_address(town_hint)
            found = (city.towns[hint], "") if hint in city.towns else None
        if found is None:
            if explicit is None:
                return GeocodeResult("unknown")
            return GeocodeResult("city", city=city.name)
        town, remainder = found
        number = split_number(remainder)
        if number is not None and number.block in town.blocks:
            lon, lat = town.blocks[number.block]
            return GeocodeResult(
                "block", lon, lat, city.name, town.name, number.block, not town.current
            )
        centre = town.centre()
        if centre is None:
            return GeocodeResult("city", city=city.name)
        return GeocodeResult(
            "town", centre[0], centre[1], city.name, town.name, "", not town.current
        )

    def _town(self, city: _City, rest: str) -> tuple[_Town, str] | None:
        """The town ``rest`` starts with (longest name first) and what follows it."""
        guess = _CHOME_GUESS.match(rest)
        if guess is not None:
            chome = f"{guess.group(1)}{guess.group(2)}丁目"
            if chome in city.towns:
                return city.towns[chome], rest[guess.end() :]
        for length in range(min(len(rest), city.longest), 0, -1):
            town = city.towns.get(rest[:length])
            if town is not None:
                return town, rest[length:]
        return None
