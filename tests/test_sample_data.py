"""The sample town: what the generator makes, and what the loader puts in the database."""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from datetime import date, timedelta
from itertools import combinations

import pytest
import shapely
from conftest import SAMPLE_TODAY
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, selectinload

from lsmap import vocab
from lsmap.io.sample import SAMPLE_TABLES, load_sample
from lsmap.storage import models
from sample_data.areas import to_metres
from sample_data.town import CITY_CODE, DEFAULT_SEED, Town, generate_town

JAPANESE = re.compile(r"^[\u3000\u3005\u3040-\u30ff\u4e00-\u9fff]+$")
HIRAGANA = re.compile(r"^[\u3000\u3040-\u309f・ー]+$")
#: Areas smaller than this (m²) are floating-point noise.
NOISE_M2 = 1.0


@pytest.fixture(scope="module")
def town() -> Town:
    return generate_town(SAMPLE_TODAY)


def _watchers_per_household(town: Town) -> dict[str, set[str]]:
    watchers: dict[str, set[str]] = {h.ref: set() for h in town.households}
    for link in town.links:
        watchers[link.household_ref].add(link.watcher_ref)
    return watchers


def _urgent_without_later_visit(
    logs: list[tuple[str, date, str, list[str]]],
) -> tuple[dict[str, date], set[str]]:
    """Households whose last urgent sign no visit followed (with its date), and those it did."""
    urgent_on: dict[str, date] = {}
    for household, on, _, signs in logs:
        if vocab.URGENT_SIGNS & set(signs):
            urgent_on[household] = max(on, urgent_on.get(household, on))
    visited = {
        h for h, on, method, _ in logs if method == "visit" and h in urgent_on and on > urgent_on[h]
    }
    return {h: on for h, on in urgent_on.items() if h not in visited}, visited


def _check_invariants(town: Town) -> None:
    """What must hold for any seed and day."""
    hoods = {d.code: d.geom for d in town.districts if d.level == "neighbourhood"}
    for record in [*town.households, *town.watchers, *town.resources]:
        assert record.location is None or hoods[record.district_code].covers(record.location), (
            record.ref
        )
    for kind in (town.households, town.watchers, town.resources):
        assert len({r.ref for r in kind}) == len(kind)
    assert len(
        {(link.watcher_ref, link.household_ref, link.involvement) for link in town.links}
    ) == len(town.links)
    assert all(
        town.today - timedelta(days=366) < c.contacted_on <= town.today for c in town.contacts
    )
    logs = [(c.household_ref, c.contacted_on, c.method, c.signs) for c in town.contacts]
    open_urgent, closed_urgent = _urgent_without_later_visit(logs)
    assert 6 <= len(open_urgent) <= 10 and len(closed_urgent) >= 2
    assert all((town.today - on).days <= 14 for on in open_urgent.values())


# --- the generator -------------------------------------------------------------------


def test_counts_are_in_the_stated_ranges(town: Town) -> None:
    levels = Counter(d.level for d in town.districts)
    assert levels == {"municipality": 1, "district": 3, "neighbourhood": 20}
    assert 390 <= len(town.households) <= 410
    assert 240 <= len(town.watchers) <= 260
    assert 28 <= len(town.resources) <= 34
    kinds = Counter(r.kind for r in town.resources)
    assert kinds["facility"] == 8 and 10 <= kinds["salon"] <= 14 and kinds["food_bank"] == 3
    assert 2 <= kinds["support_centre"] <= 3 and 1 <= kinds["other"] <= 3
    assert all(1 <= len(r.csws) <= 2 for r in town.resources if r.kind == "facility")
    assert not any(r.csws for r in town.resources if r.kind != "facility")


def test_generation_is_deterministic(town: Town) -> None:
    assert generate_town(SAMPLE_TODAY) == town
    other = generate_town(SAMPLE_TODAY, seed=DEFAULT_SEED + 1)
    assert other.households[0].location != town.households[0].location


@settings(max_examples=3, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), today=st.dates(date(2024, 1, 1), date(2030, 12, 31)))
def test_invariants_hold_for_any_seed(seed: int, today: date) -> None:
    _check_invariants(generate_town(today, seed))


def test_areas_tile_the_town_in_kanagawa(town: Town) -> None:
    by_level = defaultdict(list)
    for d in town.districts:
        assert isinstance(d.geom, shapely.MultiPolygon) and d.geom.is_valid, d.code
        by_level[d.level].append(d)
    (city,) = by_level["municipality"]
    assert (city.code, city.name) == (CITY_CODE, "さくら台市")
    assert {d.name for d in by_level["district"]} == {"東地区", "西地区", "北地区"}
    assert abs(city.geom.centroid.x - 139.40) < 0.01 and abs(city.geom.centroid.y - 35.45) < 0.01
    metric = to_metres(city.geom)
    minx, miny, maxx, maxy = metric.bounds
    assert 4000 < maxx - minx < 5000 and 3000 < maxy - miny < 4000
    assert metric.area < 0.9 * (maxx - minx) * (maxy - miny)  # not a rectangle

    hoods = {d.code: to_metres(d.geom) for d in by_level["neighbourhood"]}
    for (a, ga), (b, gb) in combinations(hoods.items(), 2):
        assert ga.intersection(gb).area < NOISE_M2, (a, b)
    for district in by_level["district"]:
        members = [g for code, g in hoods.items() if code.startswith(district.code + "-")]
        assert len(members) >= 5 and re.fullmatch(r"149990-0[123]", district.code)
        assert (
            to_metres(district.geom).symmetric_difference(shapely.union_all(members)).area
            < NOISE_M2
        )
        assert len(district.geom.geoms) == 1  # each 地区 is one piece
    union = shapely.union_all([to_metres(d.geom) for d in by_level["district"]])
    assert metric.symmetric_difference(union).area < NOISE_M2
    assert all(re.fullmatch(r"149990-0[123]-\d\d", code) for code in hoods)


def test_households_and_residents_are_plausible(town: Town) -> None:
    types = Counter(h.household_type for h in town.households).most_common()
    assert [t for t, _ in types[:2]] == ["elderly_alone", "elderly_couple"]
    assert {t for t, _ in types} == set(vocab.HOUSEHOLD_TYPES)
    for household in town.households:
        residents = household.residents
        assert 1 <= len(residents) <= 2
        ages = [SAMPLE_TODAY.year - r.birth_year for r in residents]
        if household.household_type == "elderly_couple":
            assert len(residents) == 2 and min(ages) >= 65
        if household.household_type == "elderly_alone":
            assert len(residents) == 1 and ages[0] >= 70
        if household.household_type == "child_carer":
            assert min(ages) < 18
        assert re.fullmatch(r"さくら台市\S+?(\d+(-\d+)?)?", household.address)
        assert 0 <= len(household.emergency_contacts) <= 3
        assert all(
            c.relation in vocab.EMERGENCY_RELATIONS and c.name for c in household.emergency_contacts
        )
    residents = [r for h in town.households for r in h.residents]
    assert sum(1 for r in residents if r.concern_tags and r.concerns) > 0.7 * len(residents)
    phones = [r.phone for r in residents if r.phone]
    assert all(re.fullmatch(r"(046-2\d\d|0[789]0-\d{4})-\d{4}", p) for p in phones)
    assert len(phones) < len(residents)  # some have none
    assert any(h.ref == "sample:hh:0001" for h in town.households)


def test_consent_is_distributed_and_recorded(town: Town) -> None:
    statuses = Counter(h.residents[0].consent_status for h in town.households)
    share = {status: statuses[status] / len(town.households) for status in vocab.CONSENT_STATUSES}
    assert 0.62 <= share["consented"] <= 0.78 and 0.10 <= share["unanswered"] <= 0.20
    assert 0.06 <= share["refused"] <= 0.14 and 0.02 <= share["withdrawn"] <= 0.08
    for resident in (r for h in town.households for r in h.residents):
        decided = resident.consent_status != "unanswered"
        assert (resident.consent_date is not None) == decided
        assert bool(resident.consent_basis) == decided == bool(resident.consent_recorded_by)
        assert resident.consent_date is None or resident.consent_date <= SAMPLE_TODAY


def test_approximate_households_sit_on_their_neighbourhood_point(town: Town) -> None:
    approximate = [h for h in town.households if h.location_approximate]
    assert 0.02 * len(town.households) <= len(approximate) <= 0.08 * len(town.households)
    points = defaultdict(set)
    for household in approximate:
        points[household.district_code].add(household.location.wkb)
    assert all(len(p) == 1 for p in points.values())


def test_names_are_japanese_with_hiragana_readings(town: Town) -> None:
    residents = [r for h in town.households for r in h.residents]
    for resident in residents:
        assert JAPANESE.match(resident.name) and HIRAGANA.match(resident.furigana), resident.name
    people = [w.name for w in town.watchers] + [c.name for r in town.resources for c in r.csws]
    assert all(JAPANESE.match(name) for name in people)
    contacts = [
        c.name
        for h in town.households
        for c in h.emergency_contacts
        if c.relation in ("family", "care_manager")
    ]
    everyone = [r.name for r in residents] + people + contacts
    assert len(everyone) == len(set(everyone))  # no two invented people share a name
    places = [d.name for d in town.districts] + [r.name for r in town.resources]
    assert all(re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", name) for name in places)


def test_watchers_and_their_load(town: Town) -> None:
    roles = Counter(w.role for w in town.watchers)
    assert roles.most_common(1)[0][0] == "neighbour"
    assert 20 <= roles["commissioner"] <= 24 and roles["ward_head"] == 20
    assert 1 <= roles["elderly_counsellor"] <= 8 and roles["welfare_volunteer"] >= 20
    assert set(roles) <= set(vocab.WATCHER_ROLES)
    assert sum(SAMPLE_TODAY.year - w.birth_year > 70 for w in town.watchers) > 0.25 * len(
        town.watchers
    )
    assert any(w.location is None for w in town.watchers)
    assert len({w.district_code for w in town.watchers if w.role == "ward_head"}) == 20

    load = Counter()
    for watcher_ref, _ in {(link.watcher_ref, link.household_ref) for link in town.links}:
        load[watcher_ref] += 1
    by_role = defaultdict(list)
    for watcher in town.watchers:
        by_role[watcher.role].append(load[watcher.ref])
    assert min(by_role["commissioner"]) >= 8 and max(by_role["commissioner"]) <= 30
    assert sum(n >= 10 for n in by_role["commissioner"]) >= 15
    assert set(by_role["neighbour"]) <= {1, 2} and 2 in by_role["neighbour"]


def test_watch_links(town: Town) -> None:
    per_household = Counter(len(w) for w in _watchers_per_household(town).values())
    total = len(town.households)
    assert 0.07 <= per_household[0] / total <= 0.13 and 0.20 <= per_household[1] / total <= 0.30
    assert max(per_household) == 4
    triples = [(link.watcher_ref, link.household_ref, link.involvement) for link in town.links]
    assert len(triples) == len(set(triples))
    assert all(
        link.involvement in vocab.INVOLVEMENTS and link.frequency in vocab.FREQUENCIES
        for link in town.links
    )
    roles = {w.ref: w.role for w in town.watchers}
    commissioner_links = Counter(
        (link.involvement, link.frequency)
        for link in town.links
        if roles[link.watcher_ref] == "commissioner"
    )
    assert commissioner_links.most_common(1)[0][0] == ("visit", "monthly")


def test_contact_logs(town: Town) -> None:
    _check_invariants(town)
    per_household = Counter(c.household_ref for c in town.contacts)
    assert max(per_household.values()) <= 20
    watched = {h for h, w in _watchers_per_household(town).items() if w}
    assert watched <= set(per_household)
    last = {}
    for contact in town.contacts:
        last[contact.household_ref] = max(
            contact.contacted_on, last.get(contact.household_ref, contact.contacted_on)
        )
        assert (
            contact.method in vocab.CONTACT_METHODS and contact.observation and contact.recorded_by
        )
        assert set(contact.signs) <= set(vocab.WARNING_SIGNS)
    stale = [
        h for h in town.households if h.ref not in last or (SAMPLE_TODAY - last[h.ref]).days >= 60
    ]
    assert 0.07 <= len(stale) / len(town.households) <= 0.14
    other_signs = {s for c in town.contacts for s in c.signs} - vocab.URGENT_SIGNS
    assert len(other_signs) >= 5
    refs = {w.ref for w in town.watchers}
    assert all(c.watcher_ref is None or c.watcher_ref in refs for c in town.contacts)


def test_resources(town: Town) -> None:
    salons = [r for r in town.resources if r.kind == "salon"]
    assert all(r.schedule and r.meetings_per_month for r in salons)
    assert {r.meetings_per_month for r in salons} >= {4, 2, 1} and min(
        r.meetings_per_month for r in salons
    ) < 1
    food_districts = {r.district_code[:9] for r in town.resources if r.kind == "food_bank"}
    assert len({"149990-01", "149990-02", "149990-03"} - food_districts) == 1
    assert all(
        re.fullmatch(r"sample:r:\d{4}", r.ref) and r.name and r.address and r.phone
        for r in town.resources
    )
    assert len({r.name for r in town.resources}) == len(town.resources)


# --- the loader ------------------------------------------------------------------------


def _row_counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {
            table: connection.scalar(
                select(func.count()).select_from(models.Base.metadata.tables[table])
            )
            for table in SAMPLE_TABLES
        }


def test_loading_twice_inserts_once(engine: Engine, town: Town) -> None:
    first = load_sample(engine, today=SAMPLE_TODAY)
    assert first.created and first.counts == town.counts() == _row_counts(engine)
    second = load_sample(engine, today=SAMPLE_TODAY)
    assert not second.created and second.counts == first.counts
    assert _row_counts(engine) == first.counts
    with Session(engine) as session:
        audits = session.scalars(
            select(models.AuditEntry).where(models.AuditEntry.action == "sample_load")
        ).all()
    assert len(audits) == 1
    assert (audits[0].username, audits[0].role, audits[0].entity) == ("system", "admin", "sample")
    assert audits[0].detail == first.counts  # counts only, nothing personal
    with Session(engine) as session:
        query = select(models.Household).options(selectinload(models.Household.residents))
        stored = {h.ref: h for h in session.scalars(query)}
        districts = dict(session.execute(select(models.District.id, models.District.code)).all())
        for record in town.households:
            household = stored[record.ref]
            assert household.location == record.location  # exact round trip
            assert districts[household.district_id] == record.district_code
            assert [r.name for r in household.residents] == [r.name for r in record.residents]


def test_loaded_points_lie_in_their_neighbourhood(sample_engine: Engine) -> None:
    with Session(sample_engine) as session:
        districts = {d.id: d for d in session.scalars(select(models.District))}
        located = [
            *session.scalars(select(models.Household)),
            *session.scalars(select(models.Watcher)),
            *session.scalars(select(models.Resource)),
        ]
    city = next(d for d in districts.values() if d.code == CITY_CODE)
    assert city.level == "municipality" and city.parent_id is None
    for district in districts.values():
        if district.level == "neighbourhood":
            parent = districts[district.parent_id]
            assert parent.level == "district" and parent.parent_id == city.id
            assert district.code.startswith(parent.code + "-")
            assert to_metres(district.geom.difference(parent.geom)).area < NOISE_M2
    for record in located:
        hood = districts[record.district_id]
        assert hood.level == "neighbourhood", record.ref
        assert record.location is None or hood.geom.covers(record.location), record.ref
    assert sum(r.location is None for r in located) > 0


def test_loaded_network_shows_gaps_loads_and_urgent_cases(sample_engine: Engine) -> None:
    with Session(sample_engine) as session:
        households = set(session.scalars(select(models.Household.id)))
        links = session.execute(
            select(models.WatchLink.household_id, models.WatchLink.watcher_id)
        ).all()
        logs = session.execute(
            select(
                models.ContactLog.household_id,
                models.ContactLog.contacted_on,
                models.ContactLog.method,
                models.ContactLog.signs,
            )
        ).all()
        kinds = session.execute(
            select(models.Resource.kind, models.District.parent_id).join(models.District)
        ).all()
        district_ids = set(
            session.scalars(select(models.District.id).where(models.District.level == "district"))
        )
    watchers_of = defaultdict(set)
    households_of = defaultdict(set)
    for household_id, watcher_id in links:
        watchers_of[household_id].add(watcher_id)
        households_of[watcher_id].add(household_id)
    assert any(len(watchers_of[h]) == 0 for h in households)
    assert any(len(watchers_of[h]) == 1 for h in households)
    assert max(len(h) for h in households_of.values()) >= 10
    open_urgent, closed_urgent = _urgent_without_later_visit([tuple(row) for row in logs])
    assert 6 <= len(open_urgent) <= 10 and len(closed_urgent) >= 2
    assert max(on for _, on, _, _ in logs) <= SAMPLE_TODAY
    food_bank_districts = {parent for kind, parent in kinds if kind == "food_bank"}
    assert len(district_ids - food_bank_districts) == 1
