"""A tiny, fully known town for privacy tests: two districts, eight households, six users
(one a 見守り者 account of B's watcher).

District A (code "A") and B ("B") each hold four households (:data:`STATES`): one whose
resident consented, one whose resident did not, one whose only (not consenting) resident
was deleted, and a new one whose residents are not entered yet. In A, the not-consenting
household and the two without a live resident carry the CANARY string in every free-text
field, so tests can prove where it may and may not appear.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from shapely.geometry import MultiPolygon, Point, box
from sqlalchemy import Engine

from lsmap.access.accounts import create_user
from lsmap.storage import db
from lsmap.storage.models import (
    ContactLog,
    District,
    EmergencyContact,
    Household,
    HouseholdIssue,
    Resident,
    Resource,
    Watcher,
    WatchLink,
)

CANARY = "CANARY-7f3a9"
PASSWORD = "privacy-test-pw"
ROLES_UNDER_TEST = (
    "admin",
    "staff_a",
    "staff_b",
    "meeting_a",
    "planner",
    "watcher_b",
    "anonymous",
)
#: The households of each district, by who lives there.
CONSENTED, NOT_CONSENTED = "consented", "not_consented"
RESIDENTS_DELETED, NO_RESIDENTS = "residents_deleted", "no_residents"
STATES = (CONSENTED, NOT_CONSENTED, RESIDENTS_DELETED, NO_RESIDENTS)
#: States with no live resident (the household is only an address and its records).
EMPTY_STATES = frozenset({RESIDENTS_DELETED, NO_RESIDENTS})


@dataclass(frozen=True)
class PrivacyTown:
    """Ids of the households by (district, state) and of the 地区 by code."""

    households: dict[tuple[str, str], int]
    districts: dict[str, int]


def _square(x: float, y: float, size: float = 0.01) -> MultiPolygon:
    return MultiPolygon([box(x, y, x + size, y + size)])


def build_privacy_town(engine: Engine) -> PrivacyTown:
    """Fill an empty, migrated database with the privacy town."""
    households: dict[tuple[str, bool], int] = {}
    watchers: dict[str, int] = {}
    with db.transaction(engine) as session:
        city = District(
            code="M", name="検証市", level="municipality", geom=_square(139.40, 35.40, 0.03)
        )
        session.add(city)
        session.flush()
        districts = {}
        for index, code in enumerate(("A", "B")):
            x = 139.40 + index * 0.015
            area = District(
                code=code,
                name=f"{code}地区",
                level="district",
                parent_id=city.id,
                geom=_square(x, 35.40),
            )
            session.add(area)
            session.flush()
            block = District(
                code=f"{code}1",
                name=f"{code}一丁目",
                level="neighbourhood",
                parent_id=area.id,
                geom=_square(x, 35.40),
            )
            session.add(block)
            session.flush()
            districts[code] = area.id
            watcher = Watcher(
                name=f"{code}見守り 一郎",
                role="commissioner",
                phone="046-200-0000",
                district_id=block.id,
                location=Point(x + 0.001, 35.401),
            )
            session.add(watcher)
            session.add(
                Resource(
                    kind="facility",
                    name=f"{code}苑",
                    district_id=block.id,
                    location=Point(x + 0.002, 35.402),
                )
            )
            session.flush()
            watchers[code] = watcher.id
            for number, state in enumerate(STATES, 1):
                secret = CANARY if code == "A" and state != CONSENTED else ""
                household = Household(
                    household_type="elderly_alone",
                    address=f"検証市{code}一丁目{number}-1{secret}",
                    note=f"メモ{code}{number}{secret}",
                    district_id=block.id,
                    location=Point(x + 0.001 + 0.002 * number, 35.405),
                )
                session.add(household)
                session.flush()
                if state != NO_RESIDENTS:
                    session.add(
                        Resident(
                            household_id=household.id,
                            name=f"{code}{'同意' if state == CONSENTED else '不同意'} 花子{number}{secret}",
                            furigana="けんしょう はなこ",
                            birth_year=1940,
                            phone=f"046-200-111{number}",
                            concern_tags=[f"物忘れ{secret}"],
                            concerns=f"一人で外出できない{number}{secret}",
                            consent_status="consented" if state == CONSENTED else "refused",
                            consent_date=date(2026, 4, 1),
                            consent_basis="同意書",
                            consent_recorded_by="社協 担当者",
                            deleted_at=datetime(2026, 9, 1, tzinfo=UTC)
                            if state == RESIDENTS_DELETED
                            else None,
                        )
                    )
                session.add(
                    WatchLink(
                        watcher_id=watcher.id,
                        household_id=household.id,
                        involvement="visit",
                        frequency="weekly",
                        note="朝のカーテンの開閉を確認",
                    )
                )
                session.add(HouseholdIssue(household_id=household.id, issue="hoarding"))
                session.add(
                    ContactLog(
                        household_id=household.id,
                        watcher_id=watcher.id,
                        contacted_on=date(2026, 10, 1),
                        method="visit",
                        observation=f"元気そう{secret}",
                    )
                )
                session.add(
                    EmergencyContact(
                        household_id=household.id,
                        name=f"長男{code}{number}{secret}",
                        relation="family",
                        phone="090-0000-0000",
                    )
                )
                households[(code, state)] = household.id
        create_user(session, "admin", "admin", PASSWORD)
        create_user(session, "staff_a", "staff", PASSWORD, ["A"])
        create_user(session, "staff_b", "staff", PASSWORD, ["B"])
        create_user(session, "meeting_a", "meeting", PASSWORD, ["A"])
        create_user(session, "planner", "planner", PASSWORD)
        # the 見守り者 account of B's watcher (issue 13): its own households only
        create_user(session, "watcher_b", "watcher", PASSWORD, watcher_id=watchers["B"])
    return PrivacyTown(households=households, districts=districts)
