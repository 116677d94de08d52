"""Load the fictional sample town さくら台市 into the database, once.

The town comes from :func:`sample_data.town.generate_town`; every person and place in it
is invented. Loading is one transaction and is skipped when the town is already there.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import numpy as np
import shapely
from shapely.geometry import Point
from sqlalchemy import Engine, func, insert, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from lsmap.access.accounts import DEMO_USERS, ensure_demo_users
from lsmap.io.importing.basemap import feature_row, write_features
from lsmap.settings import LOCAL_TZ, get_settings
from lsmap.storage import models
from lsmap.storage.db import transaction
from lsmap.vocab import AuditAction, Entity, Role, logged_by_default
from sample_data.basemap import SAMPLE_CREDIT, SAMPLE_SOURCE
from sample_data.town import CITY_CODE, CITY_NAME, DEFAULT_SEED, Town, generate_town

#: Tables the sample fills, in insertion order.
SAMPLE_TABLES: tuple[str, ...] = (
    "districts",
    "households",
    "residents",
    "emergency_contacts",
    "watchers",
    "watch_links",
    "contact_logs",
    "resources",
    "csws",
    "basemap_features",
)


@dataclass(frozen=True)
class SampleReport:
    """What :func:`load_sample` did.

    ``counts`` holds the rows inserted per table when ``created``; when the town was
    already loaded nothing is inserted and it holds the rows present in each table.
    """

    created: bool
    counts: dict[str, int]

    @property
    def message(self) -> str:
        """A one-line Japanese summary for the command line or the UI."""
        if not self.created:
            return f"サンプルの町（{CITY_NAME}）は読み込み済みです。何も追加していません。"
        return (
            f"サンプルの町（{CITY_NAME}）を読み込みました: 世帯 {self.counts['households']}、"
            f"見守り者 {self.counts['watchers']}、資源 {self.counts['resources']}。"
        )


class RealUsersPresent(ValueError):
    """The database has accounts other than the demo ones (a Japanese message)."""


def real_usernames(session: Session) -> list[str]:
    """User names in the database that are not demo accounts."""
    demo = [u.username for u in DEMO_USERS]
    return list(
        session.scalars(
            select(models.User.username)
            .where(models.User.username.not_in(demo))
            .order_by(models.User.username)
        )
    )


def holds_only_sample(session: Session) -> bool:
    """Whether the database holds the sample town and nothing else: its municipality is the
    only top-level area and every account is a demo account."""
    if real_usernames(session):
        return False
    tops = set(
        session.scalars(select(models.District.code).where(models.District.parent_id.is_(None)))
    )
    return tops == {CITY_CODE}


def sample_mode(engine: Engine) -> bool:
    """Whether the login page lists the demo accounts and their shared password.

    ``LSMAP_SAMPLE_MODE`` decides when set; otherwise only while the database holds
    nothing but the sample town (:func:`holds_only_sample`).
    """
    setting = get_settings().sample_mode
    if setting is not None:
        return setting
    try:
        with transaction(engine) as session:
            return holds_only_sample(session)
    except SQLAlchemyError:
        return False


def load_sample(
    engine: Engine,
    *,
    today: date | None = None,
    seed: int = DEFAULT_SEED,
    force: bool = False,
    with_reference: bool = False,
) -> SampleReport:
    """Insert the sample town unless municipality 149990 exists; ensure the demo users.

    ``with_reference`` also stores the town's address reference (the generated 位置参照情報)
    and places every tenth household from its address, at 街区 level, as an import would.

    Refuses (RealUsersPresent, nothing changed) when the database has real accounts: the
    demo accounts share a published password. ``force`` loads all the same.
    """
    if not force:
        with transaction(engine) as session:
            real = real_usernames(session)
        if real:
            raise RealUsersPresent(
                f"このデータベースにはデモ以外のユーザー（{len(real)} 人）がいます。"
                "共通パスワードのデモ用アカウントを"
                "追加しないよう、サンプルを読み込みませんでした。本当に読み込むときは --force "
                "を付けてください。"
            )
    if _is_loaded(engine):
        _add_missing_basemap(engine, seed)
        return _already_loaded(engine)
    town = generate_town(today or date.today(), seed)
    try:
        with transaction(engine) as session:
            if _town_exists(session):  # loaded meanwhile by another process
                counts = None
            else:
                counts = _insert_town(session, town)
                if with_reference:
                    counts["address_points"] = _insert_reference(session, seed)
                session.add(
                    models.AuditEntry(
                        username="system",
                        role=Role.ADMIN.value,
                        action=AuditAction.SAMPLE_LOAD,
                        entity=Entity.SAMPLE,
                        detail=dict(counts),
                    )
                )
                ensure_demo_users(session)
    except IntegrityError:
        if not _is_loaded(engine):
            raise
        counts = None
    if counts is None:
        return _already_loaded(engine)
    load_planning(engine, town)
    return SampleReport(created=True, counts=counts)


def _insert_reference(session: Session, seed: int) -> int:
    """Store the generated 位置参照情報 and geocode every tenth exactly placed household."""
    from lsmap.io.geocoding.geocoder import Geocoder
    from lsmap.io.geocoding.reference import read_reference, store_reference
    from sample_data.address_reference import gaiku_csv, oaza_csv

    plan = read_reference([("gaiku.csv", gaiku_csv(seed)), ("oaza.csv", oaza_csv(seed))], None)
    stored = store_reference(session, plan)
    geocoder = Geocoder(session, [CITY_NAME])
    households = session.scalars(
        select(models.Household).where(models.Household.location_approximate.is_(False))
    )
    for household in households:
        if household.id % 10 != 3:
            continue
        found = geocoder.locate(household.address)
        if found.level == "block":
            household.location = Point(found.lon, found.lat)
            household.location_approximate = True
            household.location_level = "block"
    return stored


def _morning(day: date | None) -> datetime:
    """09:00 Japan time of ``day`` (now when unknown), as the records' creation time."""
    if day is None:
        return datetime.now(UTC)
    return datetime.combine(day, time(9), tzinfo=LOCAL_TZ).astimezone(UTC)


#: Months of coverage history the sample reconstructs from its records' dates.
SAMPLE_HISTORY_MONTHS = 12


def load_planning(engine: Engine, town: Town) -> None:
    """The sample's road network, census table and coverage history (issue 16)."""
    from lsmap.access.planning import system_actor
    from lsmap.coverage.history import backfill_months, month_key, take_snapshot
    from lsmap.io.importing.census import import_census
    from lsmap.io.importing.census_files import read_census_file
    from lsmap.io.importing.road_files import RoadLines
    from lsmap.io.importing.roads import build_and_store

    actor = system_actor("sample")
    lines = RoadLines(
        wkb=[shapely.to_wkb(s.geom) for s in town.streets],
        crs="EPSG:4326",
        excluded=[s.highway in ("motorway", "motorway_link") for s in town.streets],
        rule="OpenStreetMap の highway=motorway を除きました",
        features=len(town.streets),
    )
    build_and_store(engine, actor, lines, name=f"{CITY_NAME}の道路（サンプル）", source="sample")
    parsed = read_census_file(town.census, "sample_census.csv")
    import_census(
        engine,
        actor,
        parsed,
        survey="国勢調査（サンプル・架空）",
        source_name="sample_census.csv",
        dry_run=False,
    )
    with transaction(engine) as session:
        backfill_months(session, town.today, SAMPLE_HISTORY_MONTHS)
        take_snapshot(
            session, as_of=town.today, trigger="monthly", monthly_key=month_key(town.today)
        )


def _insert_basemap(session: Session, town: Town) -> None:
    """The generated background map (roads, railway, river, landmarks) of the town."""
    rows = [
        feature_row(f.kind, f.subkind, f.name, f.geom, SAMPLE_SOURCE, SAMPLE_CREDIT, "system")
        for f in town.basemap
    ]
    write_features(session, rows)


def _add_missing_basemap(engine: Engine, seed: int) -> None:
    """A town loaded before the background map existed gets it once (never again after an
    administrator removed it: removed rows are kept, marked deleted)."""
    with transaction(engine) as session:
        query = select(models.BasemapFeature.id).where(
            models.BasemapFeature.source == SAMPLE_SOURCE
        )
        if session.scalar(query.limit(1)) is not None:
            return
        _insert_basemap(session, generate_town(date.today(), seed))


def _town_exists(session: Session) -> bool:
    query = select(models.District.id).where(models.District.code == CITY_CODE)
    return session.scalar(query) is not None


def _is_loaded(engine: Engine) -> bool:
    with transaction(engine) as session:
        return _town_exists(session)


def _already_loaded(engine: Engine) -> SampleReport:
    with transaction(engine) as session:
        ensure_demo_users(session)
        counts = {
            table: session.scalar(
                select(func.count()).select_from(models.Base.metadata.tables[table])
            )
            or 0
            for table in SAMPLE_TABLES
        }
    return SampleReport(created=False, counts=counts)


def _neighbourhood_ids(
    points: Sequence[Point | None],
    own_codes: Sequence[str],
    codes: list[str],
    geoms: list[shapely.Geometry],
    ids: dict[str, int],
) -> list[int]:
    """Id of the 町内 covering each point (its own code wins on a shared edge).

    Records without a point, or outside every 町内, keep the 町内 of ``own_codes``.
    """
    tree = shapely.STRtree(geoms)
    located = [i for i, point in enumerate(points) if point is not None]
    covering: dict[int, list[str]] = {}
    if located:
        query = np.array([points[i] for i in located], dtype=object)
        for source, target in zip(*tree.query(query, predicate="covered_by"), strict=True):
            covering.setdefault(located[int(source)], []).append(codes[int(target)])
    result = []
    for index, own in enumerate(own_codes):
        found = sorted(covering.get(index, []))
        result.append(ids[own if own in found or not found else found[0]])
    return result


#: Finds the 町内 of each record: (points, own district codes) -> district ids.
Locate = Callable[[Sequence[Point | None], Sequence[str]], list[int]]


def _insert_town(session: Session, town: Town) -> dict[str, int]:
    """Add every record of ``town`` to ``session``; returns the rows per table."""
    district_ids = _insert_districts(session, town)
    hoods = [d for d in town.districts if d.level == "neighbourhood"]
    hood_codes, hood_geoms = [d.code for d in hoods], [d.geom for d in hoods]

    def locate(points: Sequence[Point | None], own: Sequence[str]) -> list[int]:
        return _neighbourhood_ids(points, own, hood_codes, hood_geoms, district_ids)

    households = _households(town, locate)
    watchers = _watchers(town, locate)
    resources = _resources(town, locate)
    session.add_all([*households.values(), *watchers.values(), *resources])
    session.flush()
    household_ids = {ref: household.id for ref, household in households.items()}
    watcher_ids = {ref: watcher.id for ref, watcher in watchers.items()}
    _insert_links(session, town, household_ids, watcher_ids)
    _insert_contacts(session, town, household_ids, watcher_ids)
    _insert_issues(session, town, household_ids)
    _insert_basemap(session, town)
    counts = town.counts()
    return {table: counts[table] for table in SAMPLE_TABLES}


def _insert_districts(session: Session, town: Town) -> dict[str, int]:
    """Add the districts of ``town``, parents first; returns their ids by code."""
    by_code: dict[str, models.District] = {}
    for record in town.districts:
        district = models.District(
            code=record.code,
            name=record.name,
            level=record.level,
            geom=record.geom,
            parent=by_code[record.parent_code] if record.parent_code else None,
        )
        by_code[record.code] = district
    session.add_all(by_code.values())
    session.flush()
    return {code: district.id for code, district in by_code.items()}


def _households(town: Town, locate: Locate) -> dict[str, models.Household]:
    """The households of ``town`` with their residents and emergency contacts, by ref."""
    district_ids = locate(
        [h.location for h in town.households], [h.district_code for h in town.households]
    )
    households: dict[str, models.Household] = {}
    for record, district_id in zip(town.households, district_ids, strict=True):
        index = len(households)
        household = models.Household(
            created_at=_morning(town.recorded.get(record.ref)),
            # issue 12: most records were reviewed (見直し) within the year, a few are due
            reviewed_on=max(
                town.today - timedelta(days=(index * 53) % 400),
                town.recorded.get(record.ref) or date.min,
            ),
            # and a few have a planned next visit, some of them already past
            next_visit_on=town.today + timedelta(days=index % 21 - 10) if index % 20 == 0 else None,
            ref=record.ref,
            district_id=district_id,
            address=record.address,
            household_type=record.household_type,
            location=record.location,
            location_approximate=record.location_approximate,
            location_level="town" if record.location_approximate else "given",
            note=record.note,
        )
        household.residents = [
            models.Resident(
                name=r.name,
                furigana=r.furigana,
                birth_year=r.birth_year,
                phone=r.phone,
                concern_tags=list(r.concern_tags),
                concerns=r.concerns,
                consent_status=r.consent_status,
                consent_date=r.consent_date,
                consent_basis=r.consent_basis,
                consent_recorded_by=r.consent_recorded_by,
            )
            for r in record.residents
        ]
        household.emergency_contacts = [
            models.EmergencyContact(name=c.name, relation=c.relation, phone=c.phone, note=c.note)
            for c in record.emergency_contacts
        ]
        households[record.ref] = household
    return households


def _watchers(town: Town, locate: Locate) -> dict[str, models.Watcher]:
    """The watchers of ``town`` by ref."""
    district_ids = locate(
        [w.location for w in town.watchers], [w.district_code for w in town.watchers]
    )
    return {
        w.ref: models.Watcher(
            ref=w.ref,
            name=w.name,
            role=w.role,
            phone=w.phone,
            address=w.address,
            birth_year=w.birth_year,
            district_id=district_id,
            location=w.location,
            location_level="given" if w.location is not None else None,
        )
        for w, district_id in zip(town.watchers, district_ids, strict=True)
    }


def _resources(town: Town, locate: Locate) -> list[models.Resource]:
    """The resources of ``town`` with their CSWs."""
    district_ids = locate(
        [r.location for r in town.resources], [r.district_code for r in town.resources]
    )
    resources = []
    for record, district_id in zip(town.resources, district_ids, strict=True):
        resource = models.Resource(
            ref=record.ref,
            kind=record.kind,
            name=record.name,
            address=record.address,
            phone=record.phone,
            schedule=record.schedule,
            meetings_per_month=record.meetings_per_month,
            district_id=district_id,
            location=record.location,
            location_level="given" if record.location is not None else None,
        )
        resource.csws = [models.Csw(name=c.name, phone=c.phone) for c in record.csws]
        resources.append(resource)
    return resources


def _insert_links(
    session: Session, town: Town, households: dict[str, int], watchers: dict[str, int]
) -> None:
    """Add the watch links; many small rows, so one ORM bulk INSERT (column defaults apply)."""
    starts: list[date | None] = [*town.link_started] or [None] * len(town.links)
    roles = {watcher.ref: watcher.role for watcher in town.watchers}
    session.execute(
        insert(models.WatchLink),
        [
            {
                "watcher_id": watchers[link.watcher_ref],
                "household_id": households[link.household_ref],
                "involvement": link.involvement,
                "frequency": link.frequency,
                "note": link.note,
                "logged": logged_by_default(roles[link.watcher_ref], link.involvement),
                "created_at": _morning(started),
                "updated_at": _morning(started),
            }
            for link, started in zip(town.links, starts, strict=True)
        ],
    )


def _insert_contacts(
    session: Session, town: Town, households: dict[str, int], watchers: dict[str, int]
) -> None:
    """Add the contact logs in one ORM bulk INSERT."""
    session.execute(
        insert(models.ContactLog),
        [
            {
                "household_id": households[log.household_ref],
                "watcher_id": watchers[log.watcher_ref] if log.watcher_ref else None,
                "contacted_on": log.contacted_on,
                "method": log.method,
                "observation": log.observation,
                "signs": list(log.signs),
                "recorded_by": log.recorded_by,
            }
            for log in town.contacts
        ],
    )


def _insert_issues(session: Session, town: Town, households: dict[str, int]) -> None:
    """Add each household's 課題, read from its type and its residents' concern tags."""
    session.add_all(
        models.HouseholdIssue(household_id=households[sample.ref], issue=issue)
        for sample in town.households
        for issue in sorted(sample_issues(sample.household_type, sample.residents))
    )


#: The sample's concern tags and household types as 課題 (the paper's checkboxes).
_TAG_ISSUES = {
    "8050": "8050",
    "ごみ屋敷": "hoarding",
    "ひきこもり": "hikikomori",
    "閉じこもり": "hikikomori",
    "ひとり親": "single_parent",
    "生活困窮": "poverty",
    "多重債務": "poverty",
    "家賃滞納": "poverty",
    "知的障害": "disability",
    "精神障害": "disability",
    "視覚障害": "disability",
    "車いす": "disability",
    "医療的ケア": "disability",
    "認知症": "dementia",
    "物忘れ": "dementia",
    "老老介護": "carer_burden",
    "ヤングケアラー": "carer_burden",
    "災害時要支援": "disaster",
}
_TYPE_ISSUES = {"elderly_alone": "elderly_alone", "elderly_couple": "elderly_only"}


def sample_issues(household_type: str, residents: Iterable[Any]) -> set[str]:
    """The 課題 of a sample household, from its type and its residents' concern tags."""
    issues = {_TYPE_ISSUES[household_type]} if household_type in _TYPE_ISSUES else set()
    for resident in residents:
        issues.update(_TAG_ISSUES[t] for t in resident.concern_tags if t in _TAG_ISSUES)
    return issues
