"""Who may do what to whom: role × action × own/other district × consent, with the exact
set of fields each allowed cell returns (the datasette-style permission matrix)."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from lsmap import access
from lsmap.access import Actor
from lsmap.mapview import build_map, sent_features
from lsmap.models import User
from privacy_town import ROLES_UNDER_TEST, PrivacyTown, build_privacy_town

# ------------------------------------------------------------------ the expected fields

RESIDENT_FULL = {f"resident.{f}" for f in (
    "id", "name", "furigana", "birth_year", "phone", "concern_tags", "concerns", "consent_status",
    "consent_date", "consent_basis", "consent_recorded_by")}
RESIDENT_MEETING = RESIDENT_FULL - {"resident.consent_status", "resident.consent_date",
                                    "resident.consent_basis", "resident.consent_recorded_by"}

POINT_BASE = {"id", "number", "lon", "lat", "watcher_count", "district_name"}
POINT_FULL = POINT_BASE | {"household_type", "address"} | RESIDENT_FULL
POINT_MEETING_CONSENTED = POINT_BASE | {"household_type", "address"} | RESIDENT_MEETING
POINT_NUMBER_ONLY = POINT_BASE | {"hidden_residents"}

WATCHER_FULL = {"watcher.watcher_id", "watcher.name", "watcher.role", "watcher.involvements",
                "watcher.phone"}
WATCHER_MEETING = WATCHER_FULL - {"watcher.phone"}
CONTACT = {f"contact.{f}" for f in ("id", "contacted_on", "method", "observation", "watcher_name")}
EMERGENCY = {f"emergency.{f}" for f in ("id", "name", "relation", "phone")}
RECORD_BASE = {"household_id", "district_name"}
RECORD_FULL = (RECORD_BASE | {"household_type", "address", "note"} | RESIDENT_FULL | WATCHER_FULL
               | CONTACT | EMERGENCY)
RECORD_MEETING_CONSENTED = (RECORD_BASE | {"household_type", "address", "note"} | RESIDENT_MEETING
                            | WATCHER_MEETING | CONTACT | EMERGENCY)
RECORD_NUMBER_ONLY = RECORD_BASE | {"hidden_residents", "details_withheld"} | WATCHER_MEETING

POPUP_FULL = {"番号", "氏名", "世帯の状況", "住所", "気になるところ", "見守り者"}
POPUP_NUMBER_ONLY = {"番号", "氏名", "見守り者"}  # 氏名 says only "(同意のない方 1 名)"

REFUSED = None

#: (role, district of the household relative to the role, consented) -> expected fields.
OWN, OTHER = "own", "other"
CELLS = {
    "admin": {(OWN, True): "full", (OWN, False): "full", (OTHER, True): "full", (OTHER, False): "full"},
    "staff_a": {(OWN, True): "full", (OWN, False): "full", (OTHER, True): REFUSED, (OTHER, False): REFUSED},
    "staff_b": {(OWN, True): "full", (OWN, False): "full", (OTHER, True): REFUSED, (OTHER, False): REFUSED},
    "meeting_a": {(OWN, True): "meeting", (OWN, False): "number", (OTHER, True): REFUSED,
                  (OTHER, False): REFUSED},
    "planner": {key: REFUSED for key in [(OWN, True), (OWN, False), (OTHER, True), (OTHER, False)]},
    "anonymous": {key: REFUSED for key in [(OWN, True), (OWN, False), (OTHER, True), (OTHER, False)]},
}
HOME = {"admin": "A", "staff_a": "A", "staff_b": "B", "meeting_a": "A", "planner": "A", "anonymous": "A"}
EXPECTED = {
    "list": {"full": POINT_FULL, "meeting": POINT_MEETING_CONSENTED, "number": POINT_NUMBER_ONLY},
    "view": {"full": RECORD_FULL, "meeting": RECORD_MEETING_CONSENTED, "number": RECORD_NUMBER_ONLY},
    "map": {"full": POPUP_FULL, "meeting": POPUP_FULL, "number": POPUP_NUMBER_ONLY},
}
CAN_EDIT = {"admin": {OWN, OTHER}, "staff_a": {OWN}, "staff_b": {OWN}, "meeting_a": set(),
            "planner": set(), "anonymous": set()}


# ------------------------------------------------------------------ flattening results

def _present(value: Any) -> bool:
    return value not in (None, "", (), [], {}, False)


def fields_of(obj: Any, prefix: str = "") -> set[str]:
    """The names of the fields that carry a value, nested collections flattened."""
    found: set[str] = set()
    for field in dataclasses.fields(obj):
        value = getattr(obj, field.name)
        if field.name in ("approximate", "extra", "closed_on"):
            continue
        if isinstance(value, tuple) and value and dataclasses.is_dataclass(value[0]):
            singular = {"residents": "resident", "watchers": "watcher", "contacts": "contact",
                        "emergency_contacts": "emergency"}[field.name]
            for item in value:
                found |= fields_of(item, f"{singular}.")
        elif _present(value):
            found.add(f"{prefix}{field.name}")
    return found


# ------------------------------------------------------------------ fixtures

@pytest.fixture(scope="module")
def town_engine(database_factory) -> Iterator[tuple[Engine, PrivacyTown]]:  # type: ignore[no-untyped-def]
    from lsmap import db

    engine = db.get_engine(database_factory())
    db.upgrade(engine)
    yield engine, build_privacy_town(engine)


@pytest.fixture
def session(town_engine: tuple[Engine, PrivacyTown]) -> Iterator[Session]:
    with Session(town_engine[0]) as session:
        yield session
        session.rollback()


def actor(session: Session, role: str) -> Actor | None:
    if role == "anonymous":
        return None
    user_id = session.scalar(select(User.id).where(User.username == role))
    return access.load_actor(session, user_id)


def target(town: PrivacyTown, role: str, where: str, consented: bool) -> int:
    home = HOME[role]
    code = home if where == OWN else ("B" if home == "A" else "A")
    return town.households[(code, consented)]


PARAMS = [(role, where, consented) for role in ROLES_UNDER_TEST for where in (OWN, OTHER)
          for consented in (True, False)]


def _id(param: tuple[str, str, bool]) -> str:
    role, where, consented = param
    return f"{role}-{where}-{'consented' if consented else 'not_consented'}"


# ------------------------------------------------------------------ the matrix

@pytest.mark.parametrize("role, where, consented", PARAMS, ids=[_id(p) for p in PARAMS])
def test_list(session: Session, town_engine, role: str, where: str, consented: bool) -> None:  # type: ignore[no-untyped-def]
    household = target(town_engine[1], role, where, consented)
    who = actor(session, role)
    points = {p.id: p for p in access.household_points(session, who, None)} if who else {}
    expected = CELLS[role][(where, consented)]
    if expected is REFUSED:
        assert household not in points
    else:
        assert fields_of(points[household]) == EXPECTED["list"][expected]


@pytest.mark.parametrize("role, where, consented", PARAMS, ids=[_id(p) for p in PARAMS])
def test_view_record(session: Session, town_engine, role: str, where: str, consented: bool) -> None:  # type: ignore[no-untyped-def]
    household = target(town_engine[1], role, where, consented)
    who = actor(session, role)
    expected = CELLS[role][(where, consented)]
    if expected is REFUSED:
        with pytest.raises(access.AccessDenied):
            if who is None:
                raise access.AccessDenied()
            access.watch_record(session, who, household)
        if who is not None:  # the probe is audited, for the one who made it
            assert _denials(session) == [(role, [household], "view")]
    else:
        assert fields_of(access.watch_record(session, who, household)) == EXPECTED["view"][expected]
        assert _denials(session) == []


def _denials(session: Session) -> list[tuple[str, list[int], str]]:
    from lsmap.models import AuditEntry

    entries = session.scalars(select(AuditEntry).where(AuditEntry.action == "access_denied"))
    return [(e.username, e.entity_ids, e.detail["purpose"]) for e in entries]


@pytest.mark.parametrize("role, where, consented", PARAMS, ids=[_id(p) for p in PARAMS])
def test_edit_read(
    session: Session, town_engine: tuple[Engine, PrivacyTown], role: str, where: str, consented: bool
) -> None:
    household = target(town_engine[1], role, where, consented)
    who = actor(session, role)
    if who is None:
        return  # a visitor has no actor to ask with
    if where in CAN_EDIT[role]:
        assert access.household_for_edit(session, who, household)["household"]["id"] == household
        assert _denials(session) == []
    else:
        with pytest.raises(access.AccessDenied):
            access.household_for_edit(session, who, household)
        assert _denials(session) == [(role, [household], "edit")]


@pytest.mark.parametrize("role, where, consented", PARAMS, ids=[_id(p) for p in PARAMS])
def test_map_layer(session: Session, town_engine, role: str, where: str, consented: bool) -> None:  # type: ignore[no-untyped-def]
    household = target(town_engine[1], role, where, consented)
    who = actor(session, role)
    expected = CELLS[role][(where, consented)]
    if who is None:
        assert expected is REFUSED
        return
    html = build_map(session, who, None).map.get_root().render()
    popups = {f["id"]: f["popup"] for f in sent_features(html) if f["layer"] == "households"}
    if expected is REFUSED:
        assert household not in popups
    else:
        captions = set(re.findall(r"<th>([^<]+)</th>", popups[household]))
        assert captions == EXPECTED["map"][expected]


@pytest.mark.parametrize("role, where, consented", PARAMS, ids=[_id(p) for p in PARAMS])
def test_edit_permission(session: Session, town_engine, role: str, where: str, consented: bool) -> None:  # type: ignore[no-untyped-def]
    town = town_engine[1]
    home = HOME[role]
    code = home if where == OWN else ("B" if home == "A" else "A")
    who = actor(session, role)
    district = town.districts[code]
    assert access.can(who, "edit", district) == (where in CAN_EDIT[role])


@pytest.mark.parametrize("role", ROLES_UNDER_TEST)
def test_coverage_permission(session: Session, role: str) -> None:
    assert access.can(actor(session, role), "coverage") == (role != "anonymous")


# ------------------------------------------------------------------ export, print, coverage

EXPORT_BASE = {"番号", "町丁目", "緯度", "経度"}
EXPORT_MEETING = EXPORT_BASE | {"氏名", "ふりがな", "生年", "電話", "世帯の状況", "住所", "気になるところ（分類）",
                                "気になるところ"}
EXPORT_FULL = EXPORT_MEETING | {"同意"}
EXPECTED["export"] = {"full": EXPORT_FULL, "meeting": EXPORT_MEETING, "number": EXPORT_BASE}
#: Which of the resident's values a printed 記録用紙 shows (searched in the PDF's text).
EXPECTED["print"] = {"full": {"name", "phone", "concerns"}, "meeting": {"name", "phone", "concerns"},
                     "number": set()}


@pytest.mark.parametrize("role, where, consented", PARAMS, ids=[_id(p) for p in PARAMS])
def test_export(session: Session, town_engine, role: str, where: str, consented: bool) -> None:  # type: ignore[no-untyped-def]
    household = target(town_engine[1], role, where, consented)
    who = actor(session, role)
    expected = CELLS[role][(where, consented)]
    if who is None or role == "planner":
        with pytest.raises(access.AccessDenied):
            if who is None:
                raise access.AccessDenied()
            access.export_rows(session, who, "households")
        return
    table = access.export_rows(session, who, "households")
    rows = [row for row_id, row in zip(table.ids, table.rows, strict=True) if row_id == household]
    if expected is REFUSED:
        assert rows == []
    else:
        assert rows and {key for key, value in rows[0].items() if value not in (None, "")} == EXPECTED["export"][expected]


@pytest.mark.parametrize("role, where, consented", PARAMS, ids=[_id(p) for p in PARAMS])
def test_print(session: Session, town_engine, role: str, where: str, consented: bool) -> None:  # type: ignore[no-untyped-def]
    import io

    from pypdf import PdfReader

    from lsmap.models import Resident
    from lsmap.printing import watch_record_pdf

    household = target(town_engine[1], role, where, consented)
    who = actor(session, role)
    expected = CELLS[role][(where, consented)]
    if expected is REFUSED:
        with pytest.raises(access.AccessDenied):
            if who is None:
                raise access.AccessDenied()
            watch_record_pdf(session, who, household)
        return
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(watch_record_pdf(session, who, household))).pages)
    text = re.sub(r"\s", "", text)  # the sheet wraps long cells
    resident = session.scalars(select(Resident).where(Resident.household_id == household)).one()
    shown = {field for field, value in (("name", resident.name), ("phone", resident.phone),
                                        ("concerns", resident.concerns))
             if re.sub(r"\s", "", value) in text}
    assert shown == EXPECTED["print"][expected]


@pytest.mark.parametrize("role", ROLES_UNDER_TEST)
def test_coverage_is_aggregate_and_scoped(session: Session, town_engine, role: str) -> None:  # type: ignore[no-untyped-def]
    from lsmap.coverage_report import REPORT_COLUMNS, coverage_for, district_table

    who = actor(session, role)
    if who is None:
        with pytest.raises(access.AccessDenied):
            coverage_for(session, who)  # type: ignore[arg-type]
        return
    table = district_table(session, coverage_for(session, who))
    assert list(table.columns) == list(REPORT_COLUMNS)  # districts and numbers, never people
    codes = set(table["district_code"])
    expected = {"staff_a": {"A", "A1"}, "meeting_a": {"A", "A1"}, "staff_b": {"B", "B1"}}.get(
        role, {"M", "A", "A1", "B", "B1"})
    assert codes == expected
    counts = table.loc[table["district_code"] == ("B" if role == "staff_b" else "A"), "households"].iloc[0]
    assert counts == ("<5" if role == "planner" else 2)
