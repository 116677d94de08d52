"""Households of concern with their residents and 緊急連絡カード."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

from sample_data import persons
from sample_data.areas import Neighbourhood, to_metres
from sample_data.names import CARE_OFFICES, CLINIC_SUFFIXES, FAMILY_PLACES, STAFF_NAMES
from sample_data.persons import Directory, chance, pick, pick_weighted
from sample_data.phrases import APPROXIMATE_NOTE, CONCERNS, CONSENT_BASES, HOUSEHOLD_NOTES
from sample_data.records import SampleEmergencyContact, SampleHousehold, SampleResident

HOUSEHOLD_TYPE_WEIGHTS: dict[str, float] = {
    "elderly_alone": 0.44,
    "elderly_couple": 0.22,
    "disability": 0.08,
    "withdrawn": 0.07,
    "poverty": 0.06,
    "child_carer": 0.05,
    "foreign": 0.04,
    "other": 0.04,
}
CONSENT_WEIGHTS: dict[str, float] = {
    "consented": 0.70,
    "unanswered": 0.15,
    "refused": 0.10,
    "withdrawn": 0.05,
}
#: Relative density of households of concern per 地区, and a few denser 町内.
DISTRICT_DENSITY = {"01": 1.3, "02": 1.0, "03": 0.7}
NEIGHBOURHOOD_DENSITY = {"本町一丁目": 1.3, "駅前": 1.2, "若葉台": 1.6}
MIN_PER_NEIGHBOURHOOD = 11
P_APPROXIMATE = 0.05
ELDERLY_TYPES = frozenset({"elderly_alone", "elderly_couple"})


def household_counts(rng: np.random.Generator, neighbourhoods: list[Neighbourhood]) -> list[int]:
    """How many households of concern each 町内 has: about 400 in all, unevenly spread."""
    total = 400 + int(rng.integers(-6, 7))
    weights = np.array(
        [
            n.metric.area
            * DISTRICT_DENSITY[n.district_suffix]
            * NEIGHBOURHOOD_DENSITY.get(n.name, 1.0)
            * rng.lognormal(0.0, 0.3)
            for n in neighbourhoods
        ]
    )
    base = MIN_PER_NEIGHBOURHOOD * len(neighbourhoods)
    extra = rng.multinomial(total - base, weights / weights.sum())
    return [MIN_PER_NEIGHBOURHOOD + int(e) for e in extra]


@dataclass
class _HouseholdMaker:
    """Makes one household's people and card from shared randomness and directory."""

    rng: np.random.Generator
    today: date
    directory: Directory

    def resident(
        self, household_type: str, age: int, sex: str, family: tuple[str, str], primary: bool
    ) -> SampleResident:
        """A person of concern; the first of a household carries most of the concerns."""
        rng = self.rng
        birth_year = self.today.year - age
        if household_type == "foreign":
            name = self.directory.foreign_person(rng)
        else:
            name = self.directory.person(rng, sex, birth_year, family)
        p_mobile = 0.25 if age >= 65 else 0.85
        phone = persons.phone(rng, p_mobile, p_empty=0.1 if primary else 0.5)
        pool = CONCERNS[household_type]
        count = min(len(pool), int(rng.integers(1, 4)) if primary else int(rng.integers(0, 2)))
        chosen = [pool[int(i)] for i in sorted(rng.choice(len(pool), count, replace=False))]
        return SampleResident(
            name=name.name,
            furigana=name.furigana,
            birth_year=birth_year,
            phone=phone,
            concern_tags=[tag for tag, _ in chosen],
            concerns="。".join(text for _, text in chosen),
            consent_status="unanswered",
            consent_date=None,
            consent_basis="",
            consent_recorded_by="",
        )

    def residents(self, household_type: str, family: tuple[str, str]) -> list[SampleResident]:
        """One or two residents whose ages fit the household type."""
        rng = self.rng
        sex = "f" if chance(rng, 0.5) else "m"

        def person(age: int, who_sex: str, primary: bool = True) -> SampleResident:
            return self.resident(household_type, age, who_sex, family, primary)

        if household_type == "elderly_alone":
            return [person(int(rng.integers(72, 97)), "f" if chance(rng, 0.68) else "m")]
        if household_type == "elderly_couple":
            husband = int(rng.integers(74, 94))
            return [person(husband, "m"), person(max(68, husband - int(rng.integers(0, 7))), "f")]
        if household_type in ("disability", "withdrawn"):
            low, high = (20, 86) if household_type == "disability" else (25, 56)
            age = int(rng.integers(low, high))
            residents = [person(age, sex)]
            if age < 60 and chance(rng, 0.5 if household_type == "disability" else 0.6):
                parent_age = min(95, age + int(rng.integers(26, 35)))
                residents.append(person(parent_age, "f" if chance(rng, 0.6) else "m", False))
            return residents
        if household_type == "child_carer":
            parent, child = int(rng.integers(35, 53)), int(rng.integers(10, 18))
            return [person(child, sex), person(parent, "f" if chance(rng, 0.7) else "m", False)]
        if household_type in ("poverty", "foreign"):
            age = int(rng.integers(30, 76) if household_type == "poverty" else rng.integers(25, 66))
            residents = [person(age, sex)]
            if chance(rng, 0.35 if household_type == "poverty" else 0.5):
                partner_age = max(20, age + int(rng.integers(-5, 6)))
                residents.append(person(partner_age, "m" if sex == "f" else "f", False))
            return residents
        return [person(int(rng.integers(50, 86)), sex)]

    def set_consent(self, residents: list[SampleResident]) -> None:
        """The household's consent decision, recorded on every resident."""
        rng = self.rng
        status = pick_weighted(rng, CONSENT_WEIGHTS)
        if status == "unanswered":
            return
        decided = self.today - timedelta(days=int(rng.integers(20, 900)))
        basis = pick(rng, CONSENT_BASES[status])
        recorded_by = pick(rng, STAFF_NAMES)
        for resident in residents:
            resident.consent_status = status
            resident.consent_date = decided
            resident.consent_basis = basis
            resident.consent_recorded_by = recorded_by

    def emergency_contacts(
        self,
        household_type: str,
        residents: list[SampleResident],
        family: tuple[str, str],
        centre: tuple[str, str],
    ) -> list[SampleEmergencyContact]:
        """0–3 lines of the emergency card: family, care manager, support centre, doctor."""
        rng = self.rng
        count = int(rng.choice(4, p=[0.15, 0.35, 0.35, 0.15]))
        elderly = household_type in ELDERLY_TYPES
        weights = {
            "family": 0.9 if household_type != "foreign" else 0.3,
            "care_manager": 0.6 if elderly else 0.15,
            "support_centre": 0.45 if elderly else 0.2,
            "doctor": 0.4,
        }
        relations: list[str] = []
        while len(relations) < count:
            relations.append(
                pick_weighted(rng, {k: v for k, v in weights.items() if k not in relations})
            )
        contacts = []
        for relation in sorted(relations, key=list(weights).index):
            if relation == "family":
                place, area_code = pick(rng, FAMILY_PLACES)
                sex = "f" if chance(rng, 0.5) else "m"
                kin = pick(
                    rng, ("長女", "次女", "姪") if sex == "f" else ("長男", "次男", "弟", "甥")
                )
                same_name = sex == "m" and household_type != "foreign"
                birth_year = min(r.birth_year for r in residents) + int(rng.integers(22, 35))
                name = self.directory.person(rng, sex, birth_year, family if same_name else None)
                number = (
                    persons.mobile(rng) if chance(rng, 0.7) else persons.landline(rng, area_code)
                )
                note = f"{kin}（{place}在住）"
                contacts.append(SampleEmergencyContact(name.name, "family", number, note))
            elif relation == "care_manager":
                name = self.directory.person(rng, "f" if chance(rng, 0.7) else "m", 1975)
                office = pick(rng, CARE_OFFICES)
                contacts.append(
                    SampleEmergencyContact(name.name, "care_manager", persons.landline(rng), office)
                )
            elif relation == "support_centre":
                contacts.append(SampleEmergencyContact(centre[0], "support_centre", centre[1]))
            else:
                clinic = persons.surname(rng)[0] + pick(rng, CLINIC_SUFFIXES)
                contacts.append(
                    SampleEmergencyContact(clinic, "doctor", persons.landline(rng), "かかりつけ医")
                )
        return contacts


def generate_households(
    rng: np.random.Generator,
    today: date,
    neighbourhoods: list[Neighbourhood],
    directory: Directory,
    centres: dict[str, tuple[str, str]],
) -> list[SampleHousehold]:
    """About 400 households of concern, clustered unevenly inside the 町内.

    ``centres`` maps a 地区 code suffix to its support centre's (name, phone).
    """
    maker = _HouseholdMaker(rng, today, directory)
    households: list[SampleHousehold] = []
    for hood, count in zip(neighbourhoods, household_counts(rng, neighbourhoods), strict=True):
        clusters = [to_metres(hood.random_point(rng)) for _ in range(int(rng.integers(1, 4)))]
        cluster_xy = [(float(p.x), float(p.y)) for p in clusters]
        for _ in range(count):
            household_type = pick_weighted(rng, HOUSEHOLD_TYPE_WEIGHTS)
            approximate = chance(rng, P_APPROXIMATE)
            if approximate:
                location, note = hood.representative, APPROXIMATE_NOTE
                address = directory.city + hood.name
            else:
                near = pick(rng, cluster_xy) if chance(rng, 0.65) else None
                location = hood.random_point(rng, near, spread_m=float(rng.uniform(60, 140)))
                address = directory.address(rng, hood.name)
                note = pick(rng, HOUSEHOLD_NOTES) if chance(rng, 0.12) else ""
            family = persons.surname(rng)
            residents = maker.residents(household_type, family)
            maker.set_consent(residents)
            centre = centres[hood.district_suffix]
            households.append(
                SampleHousehold(
                    ref=f"sample:hh:{len(households) + 1:04d}",
                    district_code=hood.code,
                    address=address,
                    household_type=household_type,
                    location=location,
                    location_approximate=approximate,
                    note=note,
                    residents=residents,
                    emergency_contacts=maker.emergency_contacts(
                        household_type, residents, family, centre
                    ),
                )
            )
    return households
