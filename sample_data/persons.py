"""Random but plausible personal details: names, phone numbers, addresses."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

import numpy as np

from sample_data.names import FOREIGN_NAME_PARTS, GIVEN_NAMES, SURNAMES, to_hiragana

T = TypeVar("T")

#: Separator between family and given name, as typed with a Japanese IME.
NAME_SEPARATOR = "\u3000"


def pick(rng: np.random.Generator, items: Sequence[T]) -> T:
    """One item of ``items``, chosen uniformly (keeps Python types, unlike ``rng.choice``)."""
    return items[int(rng.integers(len(items)))]


def pick_weighted(rng: np.random.Generator, weights: dict[T, float]) -> T:
    """One key of ``weights``, chosen with probability proportional to its weight."""
    keys = list(weights)
    p = np.array([weights[key] for key in keys], dtype=float)
    return keys[int(rng.choice(len(keys), p=p / p.sum()))]


def chance(rng: np.random.Generator, probability: float) -> bool:
    """True with the given probability."""
    return bool(rng.random() < probability)


@dataclass(frozen=True)
class PersonName:
    """A written name and its hiragana reading."""

    name: str
    furigana: str


def generation(birth_year: int) -> str:
    """The given-name generation for a birth year: "old", "mid" or "young"."""
    if birth_year < 1956:
        return "old"
    return "mid" if birth_year < 1986 else "young"


def surname(rng: np.random.Generator) -> tuple[str, str]:
    """A random surname as (written, reading)."""
    return pick(rng, SURNAMES)


def landline(rng: np.random.Generator, area_code: str = "046") -> str:
    """A landline number; ``046`` numbers use the 2xx exchanges of the fictional town."""
    if area_code == "046":
        return f"046-2{rng.integers(10, 100):02d}-{rng.integers(0, 10000):04d}"
    if len(area_code) == 2:
        return f"{area_code}-{rng.integers(3000, 7000):04d}-{rng.integers(0, 10000):04d}"
    if len(area_code) == 4:
        return f"{area_code}-{rng.integers(20, 90):02d}-{rng.integers(0, 10000):04d}"
    return f"{area_code}-{rng.integers(200, 999):03d}-{rng.integers(0, 10000):04d}"


def mobile(rng: np.random.Generator) -> str:
    """A mobile number (090 / 080 / 070)."""
    prefix = pick(rng, ("090", "090", "080", "070"))
    return f"{prefix}-{rng.integers(1000, 10000):04d}-{rng.integers(0, 10000):04d}"


def phone(rng: np.random.Generator, p_mobile: float, p_empty: float = 0.0) -> str:
    """A phone number: empty, mobile or a local landline with the given probabilities."""
    draw = rng.random()
    if draw < p_empty:
        return ""
    return mobile(rng) if draw < p_empty + p_mobile else landline(rng)


class Directory:
    """Hands out the town's addresses (住所) and people's names, never the same one twice."""

    def __init__(self, city: str) -> None:
        self.city = city
        self._addresses: set[str] = set()
        self._names: set[str] = set()

    def address(self, rng: np.random.Generator, neighbourhood: str) -> str:
        """A new address: ``番-号`` in a 丁目, a lot number (地番) elsewhere."""
        while True:
            if neighbourhood.endswith("丁目"):
                number = f"{rng.integers(1, 26)}-{rng.integers(1, 31)}"
            elif chance(rng, 0.6):
                number = f"{rng.integers(100, 2600)}"
            else:
                number = f"{rng.integers(100, 2600)}-{rng.integers(1, 12)}"
            text = f"{self.city}{neighbourhood}{number}"
            if text not in self._addresses:
                self._addresses.add(text)
                return text

    def person(
        self,
        rng: np.random.Generator,
        sex: str,
        birth_year: int,
        family: tuple[str, str] | None = None,
    ) -> PersonName:
        """A new fictional name: a common surname (or ``family``) and a given name of the era."""
        for attempt in range(1000):
            surname_pair = family if family is not None and attempt < 50 else pick(rng, SURNAMES)
            given, given_kana = pick(rng, GIVEN_NAMES[(sex, generation(birth_year))])
            name = PersonName(
                f"{surname_pair[0]}{NAME_SEPARATOR}{given}",
                f"{surname_pair[1]}{NAME_SEPARATOR}{given_kana}",
            )
            if name.name not in self._names:
                self._names.add(name.name)
                return name
        raise RuntimeError("ran out of name combinations")

    def foreign_person(self, rng: np.random.Generator) -> PersonName:
        """A new foreign resident's name in katakana, with its hiragana reading."""
        while True:
            families, givens = pick(rng, FOREIGN_NAME_PARTS)
            written = f"{pick(rng, families)}・{pick(rng, givens)}"
            if written not in self._names:
                self._names.add(written)
                return PersonName(written, to_hiragana(written))
