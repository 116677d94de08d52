"""Who may do what to whom: role × action × own/other district × who lives in the household
(a resident who consented, one who did not, only deleted residents, no resident yet), with
the exact set of fields each allowed cell returns (the datasette-style permission matrix)."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import DatabaseFactory
from privacy_town import (
    CONSENTED,
    EMPTY_STATES,
    NO_RESIDENTS,
    NOT_CONSENTED,
    RESIDENTS_DELETED,
    ROLES_UNDER_TEST,
    STATES,
    PrivacyTown,
    build_privacy_town,
)
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from lsmap import access
from lsmap.access import Actor
from lsmap.access.user_admin import user_accounts
from lsmap.maps.payload import sent_features
from lsmap.maps.webmap import build_map
from lsmap.storage.models import User

# ------------------------------------------------------------------ the expected fields

RESIDENT_FULL = {
    f"resident.{f}"
    for f in (
        "id",
        "name",
        "furigana",
        "birth_year",
        "phone",
        "concern_tags",
        "concerns",
        "consent_status",
        "consent_date",
        "consent_basis",
        "consent_recorded_by",
    )
}
RESIDENT_MEETING = RESIDENT_FULL - {
    "resident.consent_status",
    "resident.consent_date",
    "resident.consent_basis",
    "resident.consent_recorded_by",
}

POINT_BASE = {"id", "number", "lon", "lat", "watcher_count", "district_name"}
POINT_FULL = POINT_BASE | {"household_type", "address"} | RESIDENT_FULL
POINT_MEETING_CONSENTED = POINT_BASE | {"household_type", "address"} | RESIDENT_MEETING
POINT_NUMBER_ONLY = POINT_BASE | {"hidden_residents", "details_withheld"}

WATCHER_FULL = {
    "watcher.watcher_id",
    "watcher.name",
    "watcher.role",
    "watcher.involvements",
    "watcher.phone",
    "watcher.logged",
    "watcher.notes",  # the 関わり方 note: a detail of the household
}
WATCHER_MEETING = WATCHER_FULL - {"watcher.phone"}
WATCHER_NUMBER_ONLY = WATCHER_MEETING - {"watcher.notes"}
CONTACT = {f"contact.{f}" for f in ("id", "contacted_on", "method", "observation", "watcher_name")}
EMERGENCY = {f"emergency.{f}" for f in ("id", "name", "relation", "phone")}
RECORD_BASE = {"household_id", "district_name", "number"}
RECORD_FULL = (
    RECORD_BASE
    | {"household_type", "address", "note"}
    | RESIDENT_FULL
    | WATCHER_FULL
    | CONTACT
    | EMERGENCY
)
RECORD_MEETING_CONSENTED = (
    RECORD_BASE
    | {"household_type", "address", "note"}
    | RESIDENT_MEETING
    | WATCHER_MEETING
    | CONTACT
    | EMERGENCY
)
RECORD_NUMBER_ONLY = RECORD_BASE | {"hidden_residents", "details_withheld"} | WATCHER_NUMBER_ONLY

POPUP_FULL = {"番号", "氏名", "世帯の状況", "住所", "気になるところ", "見守り者"}
POPUP_NUMBER_ONLY = {"番号", "氏名", "見守り者"}  # 氏名 says only "(同意のない方 1 名)"

REFUSED = None

#: (role, district of the household relative to the role, who lives there) -> expected fields.
OWN, OTHER = "own", "other"
_REFUSED_ELSEWHERE = {(OTHER, state): REFUSED for state in STATES}
CELLS = {
    "admin": {(where, state): "full" for where in (OWN, OTHER) for state in STATES},
    "staff_a": {**{(OWN, state): "full" for state in STATES}, **_REFUSED_ELSEWHERE},
    "staff_b": {**{(OWN, state): "full" for state in STATES}, **_REFUSED_ELSEWHERE},
    # A meeting sees a household's details only when a live resident consented and none
    # is withheld: a household whose residents were all deleted, or are not entered yet,
    # is a number only.
    "meeting_a": {
        (OWN, CONSENTED): "meeting",
        (OWN, NOT_CONSENTED): "number",
        (OWN, RESIDENTS_DELETED): "number",
        (OWN, NO_RESIDENTS): "number",
        **_REFUSED_ELSEWHERE,
    },
    "planner": {(where, state): REFUSED for where in (OWN, OTHER) for state in STATES},
    # A 見守り者 account reads nothing through the district reads, even of its own
    # households: it has only 「わたしの見守り」 (test_watcher_sees_only_its_own_households).
    "watcher_b": {(where, state): REFUSED for where in (OWN, OTHER) for state in STATES},
    "anonymous": {(where, state): REFUSED for where in (OWN, OTHER) for state in STATES},
}
HOME = {
    "admin": "A",
    "staff_a": "A",
    "staff_b": "B",
    "meeting_a": "A",
    "planner": "A",
    "watcher_b": "B",
    "anonymous": "A",
}
EXPECTED = {
    "list": {"full": POINT_FULL, "meeting": POINT_MEETING_CONSENTED, "number": POINT_NUMBER_ONLY},
    "view": {
        "full": RECORD_FULL,
        "meeting": RECORD_MEETING_CONSENTED,
        "number": RECORD_NUMBER_ONLY,
    },
    "map": {"full": POPUP_FULL, "meeting": POPUP_FULL, "number": POPUP_NUMBER_ONLY},
}
#: The same for a household with no live resident: no resident fields for anybody.
EXPECTED_EMPTY = {
    "list": {
        "full": POINT_BASE | {"household_type", "address"},
        "number": POINT_BASE | {"details_withheld"},
    },
    "view": {
        "full": RECORD_BASE
        | {"household_type", "address", "note"}
        | WATCHER_FULL
        | CONTACT
        | EMERGENCY,
        "number": RECORD_BASE | {"details_withheld"} | WATCHER_NUMBER_ONLY,
    },
    # 氏名 of a number-only household says only "(同意を得た方の登録なし)".
    "map": {
        "full": {"番号", "世帯の状況", "住所", "見守り者"},
        "number": {"番号", "氏名", "見守り者"},
    },
}


def expected_fields(kind: str, level: str, state: str) -> set[str]:
    """The fields ``kind`` of a household in ``state`` carries at ``level``."""
    return (EXPECTED_EMPTY if state in EMPTY_STATES else EXPECTED)[kind][level]


CAN_EDIT = {
    "admin": {OWN, OTHER},
    "staff_a": {OWN},
    "staff_b": {OWN},
    "meeting_a": set(),
    "planner": set(),
    "watcher_b": set(),
    "anonymous": set(),
}


#: Who finds a household with the search box (issue 12): the roles that keep records, in
#: their districts; meeting, planner and visitors get nothing.
CAN_SEARCH = CAN_EDIT


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
            singular = {
                "residents": "resident",
                "watchers": "watcher",
                "contacts": "contact",
                "emergency_contacts": "emergency",
            }[field.name]
            for item in value:
                found |= fields_of(item, f"{singular}.")
        elif _present(value):
            found.add(f"{prefix}{field.name}")
    return found


# ------------------------------------------------------------------ fixtures


@pytest.fixture(scope="module")
def town_engine(database_factory: DatabaseFactory) -> Iterator[tuple[Engine, PrivacyTown]]:
    from lsmap.storage import db

    engine = db.get_engine(database_factory.migrated())
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


def target(town: PrivacyTown, role: str, where: str, state: str) -> int:
    home = HOME[role]
    code = home if where == OWN else ("B" if home == "A" else "A")
    return town.households[(code, state)]


PARAMS = [
    (role, where, state) for role in ROLES_UNDER_TEST for where in (OWN, OTHER) for state in STATES
]


def _id(param: tuple[str, str, str]) -> str:
    role, where, state = param
    return f"{role}-{where}-{state}"


# ------------------------------------------------------------------ the matrix


@pytest.mark.parametrize("role, where, state", PARAMS, ids=[_id(p) for p in PARAMS])
def test_list(session: Session, town_engine, role: str, where: str, state: str) -> None:  # type: ignore[no-untyped-def]
    household = target(town_engine[1], role, where, state)
    who = actor(session, role)
    expected = CELLS[role][(where, state)]
    points = {p.id: p for p in access.household_points(session, who, None)}  # type: ignore[arg-type]
    if who is None:  # the real read gives a visitor no household at all
        assert points == {}
    if expected is REFUSED:
        assert household not in points
    else:
        assert fields_of(points[household]) == expected_fields("list", expected, state)


@pytest.mark.parametrize("role, where, state", PARAMS, ids=[_id(p) for p in PARAMS])
def test_view_record(session: Session, town_engine, role: str, where: str, state: str) -> None:  # type: ignore[no-untyped-def]
    household = target(town_engine[1], role, where, state)
    who = actor(session, role)
    expected = CELLS[role][(where, state)]
    if expected is REFUSED:
        with pytest.raises(access.AccessDenied):
            access.watch_record(session, who, household)  # type: ignore[arg-type]
        # the probe is audited, for the one who made it (a visitor as "system")
        assert _denials(session) == [("system" if who is None else role, [household], "view")]
    else:
        assert fields_of(access.watch_record(session, who, household)) == expected_fields(
            "view", expected, state
        )
        assert _denials(session) == []


def _denials(session: Session) -> list[tuple[str, list[int], str]]:
    from lsmap.storage.models import AuditEntry

    entries = session.scalars(select(AuditEntry).where(AuditEntry.action == "access_denied"))
    return [(e.username, e.entity_ids, e.detail["purpose"]) for e in entries]


@pytest.mark.parametrize("role, where, state", PARAMS, ids=[_id(p) for p in PARAMS])
def test_edit_read(
    session: Session, town_engine: tuple[Engine, PrivacyTown], role: str, where: str, state: str
) -> None:
    household = target(town_engine[1], role, where, state)
    who = actor(session, role)
    if where in CAN_EDIT[role]:
        assert who is not None
        assert access.household_for_edit(session, who, household)["household"]["id"] == household
        assert _denials(session) == []
    else:
        with pytest.raises(access.AccessDenied):
            access.household_for_edit(session, who, household)  # type: ignore[arg-type]
        assert _denials(session) == [("system" if who is None else role, [household], "edit")]


@pytest.mark.parametrize("role, where, state", PARAMS, ids=[_id(p) for p in PARAMS])
def test_search(session: Session, town_engine, role: str, where: str, state: str) -> None:  # type: ignore[no-untyped-def]
    from lsmap.storage.models import AuditEntry, Household

    household = target(town_engine[1], role, where, state)
    number = session.scalar(select(Household.number).where(Household.id == household))
    who = actor(session, role)
    by_number = access.search_households(session, who, f"No.{number}") if who else []
    by_kana = access.search_households(session, who, "ｹﾝｼｮｳ ﾊﾅｺ") if who else []
    allowed = where in CAN_SEARCH[role]
    assert (household in {h.household_id for h in by_number}) == allowed
    assert (household in {h.household_id for h in by_kana}) == (
        allowed and state not in EMPTY_STATES
    )
    searches = session.scalars(select(AuditEntry).where(AuditEntry.action == "search")).all()
    assert len(searches) == (2 if who is not None and access.may_search(who) else 0)
    assert all("ハナコ" not in repr(e.detail) for e in searches)  # the query is not logged


@pytest.mark.parametrize("role, where, state", PARAMS, ids=[_id(p) for p in PARAMS])
def test_map_layer(session: Session, town_engine, role: str, where: str, state: str) -> None:  # type: ignore[no-untyped-def]
    household = target(town_engine[1], role, where, state)
    who = actor(session, role)
    expected = CELLS[role][(where, state)]
    html = build_map(session, who, None).map.get_root().render()  # type: ignore[arg-type]
    popups = {f["id"]: f["popup"] for f in sent_features(html) if f["layer"] == "households"}
    if who is None:  # the real map of a visitor draws no household
        assert popups == {} and not [f for f in sent_features(html) if f["layer"] == "watchers"]
    if expected is REFUSED:
        assert household not in popups
    else:
        captions = set(re.findall(r"<th>([^<]+)</th>", popups[household]))
        assert captions == expected_fields("map", expected, state)


@pytest.mark.parametrize("role, where, state", PARAMS, ids=[_id(p) for p in PARAMS])
def test_issues_and_card_lines(
    session: Session, town_engine, role: str, where: str, state: str
) -> None:  # type: ignore[no-untyped-def]
    """A household's 課題 and its card's health lines follow the household-details rule."""
    from lsmap.access.card import card_facts
    from lsmap.access.issues import household_issues, households_with_issues

    household = target(town_engine[1], role, where, state)
    who = actor(session, role)
    expected = CELLS[role][(where, state)]
    if expected is REFUSED:
        if who is not None:
            with pytest.raises(access.AccessDenied):
                household_issues(session, who, household)
            with pytest.raises(access.AccessDenied):
                card_facts(session, who, household)
            assert households_with_issues(session, who, [household], ["hoarding"]) == set()
        return
    assert who is not None
    shown = expected != "number"
    issues = household_issues(session, who, household)
    assert (issues.issues if issues else None) == (("hoarding",) if shown else None)
    assert (card_facts(session, who, household) is not None) == shown
    found = households_with_issues(session, who, [household], ["hoarding"])
    assert found == ({household} if shown else set())


@pytest.mark.parametrize("role", ROLES_UNDER_TEST)
def test_link_notes_only_in_editor_popups(session: Session, town_engine, role: str) -> None:  # type: ignore[no-untyped-def]
    """The 関わり方 note of a watch link is in the line's popup for roles that edit only."""
    who = actor(session, role)
    if who is None:
        return
    html = build_map(session, who, None).map.get_root().render()
    popups = [f["popup"] for f in sent_features(html) if f["layer"] == "links"]
    if role in ("planner", "watcher_b"):
        assert popups == []
        return
    assert popups, role
    noted = ["朝のカーテンの開閉を確認" in popup for popup in popups]
    assert all(noted) if CAN_EDIT[role] else not any(noted)


@pytest.mark.parametrize("role, where, state", PARAMS, ids=[_id(p) for p in PARAMS])
def test_edit_permission(session: Session, town_engine, role: str, where: str, state: str) -> None:  # type: ignore[no-untyped-def]
    town = town_engine[1]
    home = HOME[role]
    code = home if where == OWN else ("B" if home == "A" else "A")
    who = actor(session, role)
    district = town.districts[code]
    assert access.can(who, "edit", district) == (where in CAN_EDIT[role])


@pytest.mark.parametrize("role", ROLES_UNDER_TEST)
def test_coverage_permission(session: Session, role: str) -> None:
    assert access.can(actor(session, role), "coverage") == (role not in ("anonymous", "watcher_b"))


# ------------------------------------------------------------------ export, print, coverage

EXPORT_BASE = {"番号", "世帯番号", "町丁目", "緯度", "経度"}
EXPORT_MEETING = EXPORT_BASE | {
    "氏名",
    "ふりがな",
    "生年",
    "電話",
    "世帯の状況",
    "住所",
    "気になるところ（分類）",
    "気になるところ",
}
EXPORT_FULL = EXPORT_MEETING | {"同意"}
EXPECTED["export"] = {"full": EXPORT_FULL, "meeting": EXPORT_MEETING, "number": EXPORT_BASE}
EXPECTED_EMPTY["export"] = {"full": EXPORT_BASE | {"世帯の状況", "住所"}, "number": EXPORT_BASE}
#: Which of the resident's values a printed 記録用紙 shows, and whether the household's note
#: (記録用紙) and emergency contact (緊急連絡カード) are printed (searched in the PDFs' text).
PRINTED_DETAILS = {"note", "emergency"}
EXPECTED["print"] = {
    "full": {"name", "phone", "concerns"} | PRINTED_DETAILS,
    "meeting": {"name", "phone", "concerns"} | PRINTED_DETAILS,
    "number": set(),
}
#: A deleted resident is printed for nobody.
EXPECTED_EMPTY["print"] = {"full": PRINTED_DETAILS, "number": set()}


@pytest.mark.parametrize("role, where, state", PARAMS, ids=[_id(p) for p in PARAMS])
def test_export(session: Session, town_engine, role: str, where: str, state: str) -> None:  # type: ignore[no-untyped-def]
    household = target(town_engine[1], role, where, state)
    who = actor(session, role)
    expected = CELLS[role][(where, state)]
    if who is None or role in ("planner", "watcher_b"):
        with pytest.raises(access.AccessDenied):
            access.export_rows(session, who, "households")  # type: ignore[arg-type]
        return
    table = access.export_rows(session, who, "households")
    rows = [row for row_id, row in zip(table.ids, table.rows, strict=True) if row_id == household]
    if expected is REFUSED:
        assert rows == []
    else:
        shown = {key for key, value in rows[0].items() if value not in (None, "")} if rows else None
        assert shown == expected_fields("export", expected, state)


@pytest.mark.parametrize("role, where, state", PARAMS, ids=[_id(p) for p in PARAMS])
def test_print(session: Session, town_engine, role: str, where: str, state: str) -> None:  # type: ignore[no-untyped-def]
    import io

    from pypdf import PdfReader

    from lsmap.printing.record_sheets import emergency_card_pdf, watch_record_pdf
    from lsmap.storage.models import EmergencyContact, Household, Resident

    household = target(town_engine[1], role, where, state)
    who = actor(session, role)
    expected = CELLS[role][(where, state)]
    if expected is REFUSED:
        for printed in (watch_record_pdf, emergency_card_pdf):
            with pytest.raises(access.AccessDenied):
                printed(session, who, household)  # type: ignore[arg-type]
        return
    pdfs = (watch_record_pdf(session, who, household), emergency_card_pdf(session, who, household))
    text = "".join(p.extract_text() for pdf in pdfs for p in PdfReader(io.BytesIO(pdf)).pages)
    text = re.sub(r"\s", "", text)  # the sheet wraps long cells
    resident = session.scalars(
        select(Resident).where(Resident.household_id == household)
    ).one_or_none()
    values = [
        ("note", session.get(Household, household).note),
        (
            "emergency",
            session.scalars(
                select(EmergencyContact.name).where(EmergencyContact.household_id == household)
            ).one(),
        ),
    ]
    if resident is not None:  # also the deleted one
        values += [
            ("name", resident.name),
            ("phone", resident.phone),
            ("concerns", resident.concerns),
        ]
    shown = {field for field, value in values if re.sub(r"\s", "", value) in text}
    assert shown == expected_fields("print", expected, state)


@pytest.mark.parametrize("role", ROLES_UNDER_TEST)
def test_coverage_is_aggregate_and_scoped(session: Session, town_engine, role: str) -> None:  # type: ignore[no-untyped-def]
    from lsmap.coverage.report import REPORT_COLUMNS, coverage_for, district_table

    who = actor(session, role)
    if who is None or role == "watcher_b":  # a 見守り者 gets no coverage numbers either
        with pytest.raises(access.AccessDenied):
            coverage_for(session, who)  # type: ignore[arg-type]
        return
    table = district_table(session, coverage_for(session, who))
    assert list(table.columns) == list(REPORT_COLUMNS)  # districts and numbers, never people
    codes = set(table["district_code"])
    expected = {"staff_a": {"A", "A1"}, "meeting_a": {"A", "A1"}, "staff_b": {"B", "B1"}}.get(
        role, {"M", "A", "A1", "B", "B1"}
    )
    assert codes == expected
    home = "B" if role == "staff_b" else "A"
    counts = table.loc[table["district_code"] == home, "households"].iloc[0]
    assert counts == (
        "<5" if role == "planner" else sum(code == home for code, _ in town_engine[1].households)
    )


@pytest.mark.parametrize("role", ROLES_UNDER_TEST)
def test_aggregate_policy(session: Session, role: str) -> None:
    """Who gets exact coverage numbers; aggregate-only roles get them suppressed and coarse."""
    who = actor(session, role)
    if who is None or role == "watcher_b":
        with pytest.raises(access.AccessDenied):
            access.aggregate_policy(who, 100.0)
        return
    policy = access.aggregate_policy(who, 100.0)
    if role == "planner":
        assert policy.suppress and policy.radius_m == 500.0 and policy.radius_raised
        assert policy.site_grid_m is not None and policy.site_grid_m > policy.radius_m
        assert policy.min_site_gain == policy.small_count == 5
    else:
        assert not policy.suppress and policy.radius_m == 100.0 and policy.site_grid_m is None
        assert policy.min_site_gain == 1


# ---------------------------------------------------------------- 位置の確認 (issue 17)


@pytest.mark.parametrize("role", list(HOME))
def test_location_checks_by_role(
    role: str, session: Session, town_engine: tuple[Engine, PrivacyTown]
) -> None:
    """Only roles that edit get the correction list, and only their districts' households."""
    from sqlalchemy import update as sql_update

    from lsmap.access.geocoding import location_checks
    from lsmap.storage.models import Household

    session.execute(sql_update(Household).values(location_level="town"))
    who = actor(session, role)
    town = town_engine[1]
    if role not in CAN_EDIT_ROLES:
        with pytest.raises(access.AccessDenied):
            location_checks(session, who)  # type: ignore[arg-type]
        return
    listed = {c.household_id for c in location_checks(session, who)}  # type: ignore[arg-type]
    own = {hid for (code, _), hid in town.households.items() if code == HOME[role]}
    other = {hid for (code, _), hid in town.households.items() if code != HOME[role]}
    assert own <= listed
    assert (other <= listed) == (role == "admin") and (listed & other) == (
        other if role == "admin" else set()
    )


CAN_EDIT_ROLES = frozenset({"admin", "staff_a", "staff_b"})


# ------------------------------------------------------------------ planning (issue 16)

#: Household categories of district A per role: a meeting sees the type of the consenting
#: household only; the three others are counted as withheld; a planner gets "<5".
BREAKDOWN_A = {
    "admin": {"一人暮らし高齢者": "4"},
    "staff_a": {"一人暮らし高齢者": "4"},
    "meeting_a": {"一人暮らし高齢者": "1", "非表示（同意のない世帯）": "3"},
    "planner": {"一人暮らし高齢者": "<5"},
}


@pytest.mark.parametrize("role", ROLES_UNDER_TEST)
def test_breakdown_trends_and_planning_rights(session: Session, town_engine, role: str) -> None:  # type: ignore[no-untyped-def]
    from lsmap.coverage.breakdown import breakdown_table
    from lsmap.coverage.history import trend_table
    from lsmap.coverage.report import coverage_for

    who = actor(session, role)
    assert access.planning.may_take_snapshot(who) == (role in ("admin", "planner"))
    if role != "admin":
        with pytest.raises(access.AccessDenied):
            access.planning.require_planning_admin(who)
    if who is None or role == "watcher_b":
        for read in (access.planning.household_categories, trend_table):
            with pytest.raises(access.AccessDenied):
                read(session, who)  # type: ignore[operator]
        return
    if role == "staff_b":
        return  # district A is outside its scope (the coverage table test covers B)
    view = coverage_for(session, who)
    area = town_engine[1].districts["A"]
    frame = breakdown_table(session, view, area)
    shown = {k: str(v) for k, v in zip(frame["世帯の状況"], frame["気がかりな世帯"], strict=True)}
    assert shown == BREAKDOWN_A[role]
    assert list(frame.columns) == ["世帯の状況", "気がかりな世帯"]  # categories and numbers only
    categories = access.planning.household_categories(session, who)
    assert list(categories.columns) == ["household_id", "dimension", "category"]


# ------------------------------------------------------------------ the meeting map (issue 14)


@pytest.mark.parametrize("role, where, state", PARAMS, ids=[_id(p) for p in PARAMS])
def test_paper_batch(session: Session, town_engine, role: str, where: str, state: str) -> None:  # type: ignore[no-untyped-def]
    """「全町丁目を一括で印刷」: refused outside the scope; the list pages name exactly whom the
    role's list may name."""
    import io
    import zipfile

    from pypdf import PdfReader

    from lsmap.printing.paper_batch import neighbourhood_batch
    from lsmap.printing.paper_map import PaperOptions
    from lsmap.storage.models import Resident

    town = town_engine[1]
    home = HOME[role]
    code = home if where == OWN else ("B" if home == "A" else "A")
    household = target(town, role, where, state)
    who = actor(session, role)
    expected = CELLS[role][(where, state)]
    options = PaperOptions(with_list=True, basemap="none")
    if expected is REFUSED:
        with pytest.raises(access.AccessDenied):
            neighbourhood_batch(session, who, town.districts[code], options)  # type: ignore[arg-type]
        return
    batch = neighbourhood_batch(session, who, town.districts[code], options)
    archive = zipfile.ZipFile(io.BytesIO(batch.data))
    assert archive.namelist() == [f"01_{code}一丁目.pdf"]
    text = "".join(
        page.extract_text()
        for page in PdfReader(io.BytesIO(archive.read(f"01_{code}一丁目.pdf"))).pages
    ).replace(" ", "")
    resident = session.scalars(select(Resident).where(Resident.household_id == household)).first()
    named = resident is not None and resident.name.replace(" ", "") in text
    assert named == ("resident.name" in expected_fields("list", expected, state))
    assert household in batch.households


@pytest.mark.parametrize("role", ROLES_UNDER_TEST)
def test_background_map_and_map_defaults(session: Session, town_engine, role: str) -> None:  # type: ignore[no-untyped-def]
    """The background map is public: every signed-in role reads it, visitors get nothing,
    only administrators manage it. Each role's map opens on its own area."""
    from shapely.geometry import LineString

    from lsmap.access.basemap import background_features, basemap_layers, can_manage_basemap
    from lsmap.access.map_defaults import default_map_district
    from lsmap.storage.models import BasemapFeature, District

    road = LineString([(139.40, 35.405), (139.43, 35.405)])
    session.add(
        BasemapFeature(
            kind="roads", subkind="main", name="検証通り", geom=road, minx=139.40, miny=35.405,
            maxx=139.43, maxy=35.405, source="t.gpkg", credit="検証", imported_by="t",
        )
    )  # fmt: skip
    session.flush()
    who = actor(session, role)
    found = background_features(session, who, (139.39, 35.39, 139.44, 35.44))
    assert [f.name for f in found] == ([] if who is None else ["検証通り"])
    assert len(basemap_layers(session, who)) == (0 if who is None else 1)
    assert can_manage_basemap(who) == (role == "admin")
    if who is None or role == "watcher_b":  # a 見守り者 has no map
        return
    opened = session.get(
        District, default_map_district(who, access.visible_districts(session, who))
    )
    # administrators and planners: the first area by code, as before
    expected = {"staff_a": "A", "staff_b": "B", "meeting_a": "A1"}.get(role, "A")
    assert opened.code == expected


# ------------------------------------------------------------------ the named role decisions

EDITOR_PAGES = [
    "start",
    "map",
    "record",
    "edit",
    "watchers",
    "resources",
    "locations",
    "deleted",
    "coverage",
    "gaps",
]
MEETING_WORK_PAGES = ["proposals", "meetings", "contact_sheet"]
PEOPLE_LAYERS = {"links", "households", "watchers"}
RESOURCE_LAYERS = {"facility", "salon", "food_bank", "support_centre", "other"}
#: role -> the decisions lsmap.access makes for it (pages landing first, imports, the audit
#: log, what the map offers, which layers are drawn, which exports are personal).
DECISIONS: dict[str, dict[str, Any]] = {
    "admin": {
        "pages": [*EDITOR_PAGES, *MEETING_WORK_PAGES, "export", "import", "audit", "users"],
        "import": True,
        "audit": True,
        "manage_users": True,
        "meeting_default": False,
        "map_options": True,
        "layers": PEOPLE_LAYERS | RESOURCE_LAYERS,
        "personal_export": True,
    },
    "staff_a": {
        "pages": [*EDITOR_PAGES, *MEETING_WORK_PAGES, "export"],
        "import": False,
        "audit": False,
        "manage_users": False,
        "meeting_default": False,
        "map_options": True,
        "layers": PEOPLE_LAYERS | RESOURCE_LAYERS,
        "personal_export": True,
    },
    "meeting_a": {
        "pages": ["map", "record", "coverage", "gaps", *MEETING_WORK_PAGES, "export"],
        "import": False,
        "audit": False,
        "manage_users": False,
        "meeting_default": True,
        "map_options": True,
        "layers": PEOPLE_LAYERS | RESOURCE_LAYERS,
        "personal_export": True,
    },
    "planner": {
        "pages": ["map", "coverage", "export"],
        "import": False,
        "audit": False,
        "manage_users": False,
        "meeting_default": False,
        "map_options": False,
        "layers": RESOURCE_LAYERS,
        "personal_export": False,
    },
    # a 見守り者 account: its own households on its phone page, nothing else
    "watcher_b": {
        "pages": ["mine"],
        "import": False,
        "audit": False,
        "manage_users": False,
        "meeting_default": False,
        "map_options": False,
        "layers": RESOURCE_LAYERS,  # public data (it has no map page to draw them on)
        "personal_export": False,
    },
    "anonymous": {
        "pages": ["login"],
        "import": False,
        "audit": False,
        "manage_users": False,
        "meeting_default": False,
        "map_options": False,
        "layers": set(),
        "personal_export": False,
    },
}
DECISIONS["staff_b"] = DECISIONS["staff_a"]


@pytest.mark.parametrize("role", ROLES_UNDER_TEST)
def test_named_role_decisions(session: Session, role: str) -> None:
    from layers import all_layers

    who = actor(session, role)
    expected = DECISIONS[role]
    assert access.pages_for_role(who) == expected["pages"]
    assert access.may_import(who) == expected["import"]
    assert access.may_read_audit(who) == expected["audit"]
    assert access.may_manage_users(who) == expected["manage_users"]
    assert access.meeting_mode_default(who) == expected["meeting_default"]
    assert access.may_use_meeting_mode(who) == access.may_print_map(who) == expected["map_options"]
    assert {s.key for s in all_layers() if access.may_draw(who, s)} == expected["layers"]
    for layer in ("households", "watchers"):
        assert access.may_export(who, layer) == expected["personal_export"]
    assert access.may_export(who, "resources") == (who is not None and role != "watcher_b")
    assert access.aggregates_only(who) == (role == "planner")
    if not expected["manage_users"]:
        with pytest.raises(access.AccessDenied):
            user_accounts(session, who)
    else:
        assert {a.username for a in user_accounts(session, who)} >= {role}
    if who is None:
        with pytest.raises(access.AccessDenied):
            access.export_rows(session, who, "resources")  # type: ignore[arg-type]
        with pytest.raises(access.AccessDenied):
            access.audit_entries(session, who)  # type: ignore[arg-type]
    elif not expected["audit"]:
        with pytest.raises(access.AccessDenied):
            access.audit_entries(session, who)


# ------------------------------------------------------------------ a meeting's proposals

#: role -> (districts whose proposals it sees, districts whose proposals it may confirm);
#: None: refused outright (planners and visitors see no proposal at all).
PROPOSAL_RIGHTS: dict[str, tuple[set[str], set[str]] | None] = {
    "admin": ({"A", "B"}, {"A", "B"}),
    "staff_a": ({"A"}, {"A"}),
    "staff_b": ({"B"}, {"B"}),
    "meeting_a": ({"A"}, set()),  # never another meeting's (B's) proposals; never confirms
    "planner": None,
    "watcher_b": None,
    "anonymous": None,
}


@pytest.fixture(scope="module")
def proposal_town(database_factory) -> Iterator[tuple[Engine, dict[str, int]]]:  # type: ignore[no-untyped-def]
    """The privacy town with a second meeting (B) and one proposal by each meeting."""
    from lsmap.access.accounts import create_user
    from lsmap.records import meeting_work
    from lsmap.storage import db
    from lsmap.storage.models import District

    engine = db.get_engine(database_factory())
    db.upgrade(engine)
    build_privacy_town(engine)
    with db.transaction(engine) as setup:
        create_user(setup, "meeting_b", "meeting", "privacy-test-pw", ["B"])
    made: dict[str, int] = {}
    for code in ("A", "B"):
        with Session(engine) as reading:
            block = reading.scalar(select(District).where(District.code == f"{code}1"))
            proposer = actor(reading, f"meeting_{code.lower()}")
        assert block is not None and proposer is not None
        made[code] = meeting_work.propose(
            engine, proposer, "no_change", {"district_id": block.id, "note": f"提案{code}"}
        )
    yield engine, made


@pytest.mark.parametrize("role", ROLES_UNDER_TEST)
def test_proposals_by_role(proposal_town: tuple[Engine, dict[str, int]], role: str) -> None:
    from lsmap.records import meeting_work

    engine, made = proposal_town
    with Session(engine) as reading:
        who = actor(reading, role)
        rights = PROPOSAL_RIGHTS[role]
        if rights is None:
            with pytest.raises(access.AccessDenied):
                access.proposals(reading, who)  # type: ignore[arg-type]
            assert not access.may_propose(who) and not access.may_confirm_proposals(who)
            return
        seen = {p.id: p for p in access.proposals(reading, who)}
        reading.rollback()
    sees, confirms = rights
    assert set(seen) == {made[code] for code in sees}
    assert access.may_propose(who) == (role in ("admin", "meeting_a"))
    assert access.may_confirm_proposals(who) == bool(confirms)
    for code, proposal in made.items():
        if code in confirms:
            continue  # deciding would change the shared fixture; the refusals are the point
        with pytest.raises(access.AccessDenied):
            meeting_work.reject(engine, who, proposal, 1, "権限の確認")  # type: ignore[arg-type]


# ------------------------------------------------------------------ 「わたしの見守り」 (issue 13)

#: What watcher_b (B's watcher) sees of B's households: the declared field set per state.
WATCHER_LEVELS = {
    CONSENTED: "consented",
    NOT_CONSENTED: "number",
    RESIDENTS_DELETED: "number",
    NO_RESIDENTS: "number",
}


def _shown(household: access.MyHousehold) -> set[str]:
    return {
        f.name
        for f in dataclasses.fields(household)
        if f.name != "level" and _present(getattr(household, f.name))
    }


@pytest.mark.parametrize("role", ROLES_UNDER_TEST)
def test_watcher_sees_only_its_own_households(
    session: Session, town_engine: tuple[Engine, PrivacyTown], role: str
) -> None:
    """Only a 見守り者 account reads 「わたしの見守り」: its own links' households with the
    field set declared in access, nothing of another district, no other watcher."""
    town = town_engine[1]
    who = actor(session, role)
    if role != "watcher_b":
        with pytest.raises(access.AccessDenied):
            access.my_households(session, who)  # type: ignore[arg-type]
        return
    assert who is not None
    mine = {h.household_id: h for h in access.my_households(session, who)}
    assert set(mine) == {town.households[("B", state)] for state in STATES}
    for state, level in WATCHER_LEVELS.items():
        household = mine[town.households[("B", state)]]
        assert household.level == level
        assert _shown(household) == set(access.MY_WATCH_FIELDS[level]), state
        assert household.involvements == ("visit",)
    consented = mine[town.households[("B", CONSENTED)]]
    assert consented.names == ("B同意 花子1",) and consented.phones == ("046-200-1111",)
    assert [e.name for e in consented.emergency] == ["長男B1"]
    text = repr(list(mine.values()))
    for hidden in ("B見守り 一郎", "046-200-0000", "朝のカーテン", "一人で外出", "同意書", "メモ"):
        assert hidden not in text  # no watcher, link note, concern, consent or household note
    assert not any(access.may_report_on(session, who, hid) for (code, _), hid in
                   town.households.items() if code == "A")  # fmt: skip
    assert all(access.may_report_on(session, who, hid) for hid in mine)


def test_agreed_link_shows_names_without_consent(
    session: Session, town_engine: tuple[Engine, PrivacyTown]
) -> None:
    """A link made with the person's agreement shows the 氏名 (never phone or card) of a
    household without 同意; a household with no live resident stays number and address."""
    from sqlalchemy import update as sql_update

    from lsmap.storage.models import WatchLink

    town = town_engine[1]
    session.execute(sql_update(WatchLink).values(agreed=True))
    who = actor(session, "watcher_b")
    assert who is not None
    mine = {h.household_id: h for h in access.my_households(session, who)}
    refused = mine[town.households[("B", NOT_CONSENTED)]]
    assert refused.level == "agreed" and refused.names == ("B不同意 花子2",)
    assert _shown(refused) == set(access.MY_WATCH_FIELDS["agreed"])
    assert mine[town.households[("B", RESIDENTS_DELETED)]].level == "number"
    assert mine[town.households[("B", NO_RESIDENTS)]].level == "number"
