"""The canary: a sentinel in a non-consenting resident's data reaches only those allowed.

It must appear for district staff (and the administrator) and never for staff of another
district, the meeting viewer, the planner or a visitor, in any output: map HTML (normal and
meeting mode), the meeting name list, records, rendered pages, the audit trail, caches.
The sentinel is also in the address, note, contact log and emergency card of households
with no live resident (all deleted, or none entered yet): a meeting must not see those.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path

import pytest
from conftest import DatabaseFactory
from helpers import app_login
from privacy_town import (
    CANARY,
    EMPTY_STATES,
    PASSWORD,
    ROLES_UNDER_TEST,
    PrivacyTown,
    build_privacy_town,
)
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from streamlit.runtime.caching import cache_data_api, cache_resource_api
from streamlit.testing.v1 import AppTest

from lsmap import access
from lsmap.access.geocoding import household_points_with_levels, location_checks
from lsmap.maps.webmap import build_map
from lsmap.storage import audit, db
from lsmap.storage.models import AuditEntry, User
from lsmap.ui.pages.map_page import name_list

ALLOWED = {"admin", "staff_a"}
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def town(database_factory: DatabaseFactory) -> Iterator[tuple[str, PrivacyTown]]:
    url = database_factory.migrated()
    engine = db.get_engine(url)
    layout = build_privacy_town(engine)
    from lsmap.coverage.history import take_snapshot  # trends read snapshots (issue 16)

    with db.transaction(engine) as session:
        take_snapshot(session, as_of=date(2026, 11, 1), trigger="monthly", monthly_key="2026-11")
    _meeting_work(engine, layout)
    yield url, layout


def _meeting_work(engine: Engine, town: PrivacyTown) -> None:
    """A proposal and a register entry of meeting A about its households (issue 14)."""
    from lsmap.records import meeting_work

    with Session(engine) as session:
        meeting = _actor(session, "meeting_a")
    assert meeting is not None
    households = [h for (code, _), h in town.households.items() if code == "A"]
    meeting_work.propose(engine, meeting, "reviewed", {"household_id": households[1]})
    meeting_work.save_meeting_record(
        engine,
        meeting,
        {
            "district_id": town.districts["A"],
            "held_on": date(2026, 11, 1),
            "attendees": {"commissioner": 2},
            "households_reviewed": households,
        },
        today=date(2026, 11, 2),
    )


def _actor(session: Session, role: str) -> access.Actor | None:
    if role == "anonymous":
        return None
    return access.load_actor(session, session.scalar(select(User.id).where(User.username == role)))


def library_outputs(engine: Engine, town: PrivacyTown, role: str) -> str:
    """Everything the library hands this role (a visitor: None), as one text; a refusal
    adds its message."""
    parts: list[str] = []
    with Session(engine) as session:
        who = _actor(session, role)
        for meeting_mode in (False, True):
            result = build_map(session, who, None, meeting_mode=meeting_mode)  # type: ignore[arg-type]
            parts.append(result.map.get_root().render())
            parts.append(name_list(result.points.get("households", [])).to_csv())
        for household in town.households.values():
            parts.append(_or_refusal(lambda: repr(access.watch_record(session, who, household))))  # type: ignore[arg-type]  # noqa: B023
        parts.extend(repr(p) for p in access.household_points(session, who, None))  # type: ignore[arg-type]
        parts.extend(repr(p) for p in household_points_with_levels(session, who, None))  # type: ignore[arg-type]
        # 位置の確認 (issue 17): only roles that edit get it
        parts.append(_or_refusal(lambda: "".join(map(repr, location_checks(session, who)))))  # type: ignore[arg-type]
        parts.extend(repr(p) for p in access.watcher_points(session, who, None))  # type: ignore[arg-type]
        for query in ("花子", "ハナコ", "検証市", "No.1", "046-200"):  # the search box
            parts.append(
                _or_refusal(
                    lambda q=query: "".join(
                        repr(h)
                        for h in access.search_households(session, who, q)  # type: ignore[arg-type]
                    )
                )
            )
        parts.append(_exports(session, who))  # type: ignore[arg-type]
        parts.append(_printouts(session, who, town))  # type: ignore[arg-type]
        parts.append(_or_refusal(lambda: _coverage(session, who)))  # type: ignore[arg-type]
        parts.append(_meeting_outputs(session, who, town))
        # 「わたしの見守り」 (issue 13): a 見守り者 account's own households, refused to others
        parts.append(_or_refusal(lambda: repr(access.my_households(session, who))))  # type: ignore[arg-type]
        session.rollback()
    return "\n".join(parts)


def _or_refusal(read: Callable[[], str]) -> str:
    """What ``read`` gives, or the message of its AccessDenied."""
    try:
        return read()
    except access.AccessDenied as denied:
        return f"refused: {denied.message}"


def _meeting_outputs(session: Session, who: access.Actor | None, town: PrivacyTown) -> str:
    """Proposals, the 会議の記録 and its minutes (with names where allowed), the 緊急連絡表."""
    from lsmap.printing.meeting_sheets import contact_sheet_pdf, minutes_pdf

    parts: list[str] = []
    try:
        parts.extend(repr(p) for p in access.proposals(session, who))
    except access.AccessDenied as denied:
        parts.append(denied.message)
    try:
        records = access.meeting_records(session, who)
    except access.AccessDenied as denied:
        records = []
        parts.append(denied.message)
    for record in records:
        parts.append(repr(record))
        for names in {False, access.may_print_names(who)}:
            parts.append(_pdf_text(minutes_pdf(session, who, record.id, with_names=names)))  # type: ignore[arg-type]
    for district in town.districts.values():
        try:
            parts.append(_pdf_text(contact_sheet_pdf(session, who, district, date(2026, 11, 2))))  # type: ignore[arg-type]
        except access.AccessDenied as denied:
            parts.append(denied.message)
    return "\n".join(parts)


def _pdf_text(pdf: bytes) -> str:
    import io

    from pypdf import PdfReader

    return re.sub(r"\s", "", "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages))


def _exports(session: Session, who: access.Actor) -> str:
    """Every export layer in every format the actor may take, as text."""
    import tempfile

    from lsmap.io.export import export_layer

    parts = []
    for layer in access.EXPORT_LAYERS:
        for fmt in ("csv", "xlsx", "geojson", "gpkg"):
            with tempfile.TemporaryDirectory() as folder:
                path = Path(folder) / f"out.{fmt}"
                try:
                    export_layer(session, who, layer, fmt, path)
                except access.AccessDenied:
                    continue
                data = path.read_bytes()
                if fmt == "xlsx":
                    from openpyxl import load_workbook

                    book = load_workbook(path)
                    data = repr(
                        [[c.value for c in row] for sheet in book for row in sheet.iter_rows()]
                    ).encode()
                parts.append(
                    data.decode("utf-8", errors="replace")
                    if fmt != "gpkg"
                    else data.decode("latin-1")
                )
    return "\n".join(parts)


def _printouts(session: Session, who: access.Actor, town: PrivacyTown) -> str:
    from lsmap.printing.paper_map import PaperOptions, map_pdf
    from lsmap.printing.record_sheets import emergency_card_pdf, watch_record_pdf

    parts = []
    for household in town.households.values():
        for printer in (watch_record_pdf, emergency_card_pdf):
            try:
                parts.append(_pdf_text(printer(session, who, household)))
            except access.AccessDenied as denied:
                parts.append(denied.message)
    if access.can(who, "view"):
        parts.append(_pdf_text(map_pdf(session, who, None, PaperOptions(with_list=True))))
    parts.append(_batches(session, who, town))
    return "\n".join(parts)


def _batches(session: Session, who: access.Actor, town: PrivacyTown) -> str:
    """「全町丁目を一括で印刷」 of every 地区 the actor may print, as text."""
    import io
    import zipfile

    from lsmap.printing.paper_batch import neighbourhood_batch
    from lsmap.printing.paper_map import PaperOptions

    parts = []
    for district in town.districts.values():
        try:
            batch = neighbourhood_batch(session, who, district, PaperOptions(with_list=True))
        except access.AccessDenied as denied:
            parts.append(denied.message)
            continue
        archive = zipfile.ZipFile(io.BytesIO(batch.data))
        parts.extend(_pdf_text(archive.read(name)) for name in archive.namelist())
    return "\n".join(parts)


def _coverage(session: Session, who: access.Actor) -> str:
    from lsmap.coverage.breakdown import breakdown_table
    from lsmap.coverage.history import TRIGGER_LABELS, trend_table
    from lsmap.coverage.presentation import presented, presented_trends
    from lsmap.coverage.report import coverage_for, district_table, gap_rows

    view = coverage_for(session, who)
    table = district_table(session, view)
    parts = [table.to_csv(), presented(table, "share_no_watcher").to_csv()]
    parts.append(presented_trends(trend_table(session, who), TRIGGER_LABELS).to_csv())
    for district in table["district_code"]:  # the breakdown of every district it may see
        row = view.result.districts.set_index("district_code").loc[district]
        frame = breakdown_table(session, view, int(row["district_id"]), indicator="no_watcher")
        parts.append(frame.to_csv())
    if access.can(who, "view"):
        parts.append(gap_rows(session, view, None).to_csv())
    return "\n".join(parts)


@pytest.mark.parametrize("role", ROLES_UNDER_TEST)
def test_canary_in_library_outputs(town: tuple[str, PrivacyTown], role: str) -> None:
    url, layout = town
    text = library_outputs(db.get_engine(url), layout, role)
    assert (CANARY in text) == (role in ALLOWED)
    refusals = text.count("refused: ")
    if role == "anonymous":  # every record, the checks, the coverage and 「わたしの見守り」
        assert refusals == len(layout.households) + 3, refusals
        assert "<html>" in text or "<!DOCTYPE html>" in text  # a map was drawn (without people)


@pytest.mark.parametrize("state", sorted(EMPTY_STATES))
def test_household_without_a_live_resident_is_a_number_for_the_meeting(
    town: tuple[str, PrivacyTown], state: str
) -> None:
    """Its address, note and emergency contact reach district staff, never the meeting:
    not on the map, popups, name lists, records, exports, printouts or the paper map."""
    from lsmap.storage.models import EmergencyContact, Household

    url, layout = town
    engine = db.get_engine(url)
    household_id = layout.households[("A", state)]
    with Session(engine) as session:
        household = session.get(Household, household_id)
        assert household is not None
        details = {
            household.address,
            household.note,
            session.scalars(
                select(EmergencyContact.name).where(EmergencyContact.household_id == household_id)
            ).one(),
        }
    for role, allowed in (("staff_a", True), ("meeting_a", False)):
        text = library_outputs(engine, layout, role)
        assert {d for d in details if d in text} == (details if allowed else set()), role


def _page_text(at: AppTest) -> str:
    chunks = []
    for kind in ("markdown", "subheader", "title", "caption", "error", "info", "warning", "text"):
        chunks.extend(str(e.value) for e in getattr(at, kind))
    for frame in at.dataframe:
        chunks.append(frame.value.to_csv())
    for box in at.selectbox:
        chunks.extend(str(option) for option in box.options)  # AppTest gives the shown labels
    return "\n".join(chunks)


@pytest.mark.parametrize("role", [r for r in ROLES_UNDER_TEST if r != "anonymous"])
def test_canary_in_rendered_pages_and_caches(
    town: tuple[str, PrivacyTown], role: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, layout = town
    monkeypatch.setenv("LSMAP_DATABASE_URL", url)
    monkeypatch.setenv("LSMAP_BASEMAP", "none")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    app_login(at, role, PASSWORD, to_map=False)
    assert not at.exception, at.exception
    seen = [_page_text(at)]  # the landing page (要対応 for staff) ...
    if [b for b in at.button if b.label == "地図を開く"]:
        next(b for b in at.button if b.label == "地図を開く").click().run()
        seen.append(_page_text(at))  # ... and the map
    for label in ("会議モード（番号で表示）", "名簿を表示"):  # meeting mode, then its name list
        toggles = [t for t in at.sidebar.toggle if t.label == label]
        if toggles:  # planners get neither
            toggles[0].set_value(True).run()
            seen.append(_page_text(at))
    pickers = [s for s in at.sidebar.selectbox if s.label == "世帯の見守り記録を開く"]
    for household in layout.households.values():
        if pickers and household in pickers[0].options:
            pickers[0].select(household).run()
            next(b for b in at.sidebar.button if b.label == "記録を開く").click().run()
            seen.append(_page_text(at))
            break
    text = "\n".join(seen)
    if role == "staff_a":
        assert CANARY in text  # proves the probe can see it where it belongs
    elif role not in ALLOWED:
        assert CANARY not in text
    # Nothing personal is cached across sessions: the app caches nothing at all.
    assert not cache_data_api.get_data_cache_stats_provider().get_stats()
    assert not cache_resource_api.get_resource_cache_stats_provider().get_stats()


def _held_text(at: AppTest) -> str:
    """Everything the tab's session state holds, PDFs as their text."""
    parts = []
    for value in at.session_state.to_dict().values():
        held = value[1] if isinstance(value, tuple) and len(value) == 2 else value
        parts.append(
            _pdf_text(held) if isinstance(held, bytes) and held.startswith(b"%PDF") else repr(value)
        )
    return "\n".join(parts)


def _held_downloads(at: AppTest) -> list[object]:
    """Download buttons offering bytes made earlier (not those whose file is made on the
    click, for the user who clicks: the record's printouts since issue 12)."""
    return [d for d in at.download_button if not d.proto.deferred_file_id]


def _open_record(at: AppTest, household: int) -> bool:
    """Open one household's record from the map's picker, if the user may pick it."""
    pickers = [s for s in at.sidebar.selectbox if s.label == "世帯の見守り記録を開く"]
    if not pickers:
        return False
    try:  # the options are the labels shown; the format function knows only the listed ids
        pickers[0].format_func(household)
    except StopIteration:
        return False
    pickers[0].select(household).run()
    next(b for b in at.sidebar.button if b.label == "記録を開く").click().run()
    return True


@pytest.mark.parametrize(
    "next_role", [r for r in ROLES_UNDER_TEST if r not in ALLOWED and r != "anonymous"]
)
def test_canary_is_not_handed_to_the_next_user_of_the_same_tab(
    town: tuple[str, PrivacyTown], next_role: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """staff_a prints the canary's record and card and a paper map with names, then idles
    out; another person signs in on the same browser tab and gets none of it."""
    from datetime import timedelta

    from sqlalchemy import update

    from lsmap.storage.models import LoginSession, utcnow

    url, layout = town
    canary_household = layout.households[("A", "not_consented")]
    monkeypatch.setenv("LSMAP_DATABASE_URL", url)
    monkeypatch.setenv("LSMAP_BASEMAP", "none")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    app_login(at, "staff_a", PASSWORD)
    assert _open_record(at, canary_household)
    for label in ("見守りネットワーク記録用紙（PDF）", "緊急連絡カード（PDF）"):  # made on click
        next(d for d in at.download_button if d.label.startswith(label)).click().run()
    next(b for b in at.button if b.label == "地図へ戻る").click().run()
    next(c for c in at.checkbox if c.label == "番号一覧（名簿）のページを付ける").check().run()
    # on a 地区 the default is one PDF per 町内 (issue 14); print the shown area on one sheet
    next(r for r in at.radio if r.label == "印刷する範囲").set_value("one").run()
    next(b for b in at.button if b.label == "PDFを作成").click().run()
    assert len(at.download_button) == 1 and CANARY in _held_text(at)  # the probe sees it held

    with db.transaction(db.get_engine(url)) as session:  # staff_a walks away
        session.execute(update(LoginSession).values(last_seen_at=utcnow() - timedelta(days=1)))
    at.run()
    app_login(at, next_role, PASSWORD)
    assert not at.exception, at.exception
    seen = [_page_text(at)]
    offered = len(_held_downloads(at))
    if _open_record(at, canary_household):  # the meeting viewer may open it (numbers only)
        seen.append(_page_text(at))
        offered += len(_held_downloads(at))
    assert offered == 0
    assert CANARY not in "\n".join(seen)
    assert CANARY not in _held_text(at)


def test_visitor_page_never_shows_the_canary(
    town: tuple[str, PrivacyTown], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LSMAP_DATABASE_URL", town[0])
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    assert CANARY not in _page_text(at)
    assert [t.label for t in at.text_input] == [
        "ユーザー名",
        "パスワード",
        "ワンタイムコード（12桁の数字）",
    ]


def test_audit_trail_never_holds_the_canary(town: tuple[str, PrivacyTown]) -> None:
    url, layout = town
    engine = db.get_engine(url)
    for role in ROLES_UNDER_TEST:  # produce audit rows of every kind the library writes
        with Session(engine) as session:
            who = _actor(session, role)
            build_map(session, who, None, meeting_mode=True)  # type: ignore[arg-type]
            for household in layout.households.values():  # a refusal writes access_denied
                with contextlib.suppress(access.AccessDenied):
                    access.watch_record(session, who, household)  # type: ignore[arg-type]
            session.commit()
    with Session(engine) as session:
        admin = _actor(session, "admin")
        entries = access.audit_entries(session, admin)
        assert {e.action for e in entries} >= {"map_render", "view_record", "access_denied"}
        assert CANARY not in audit.entries_csv(entries)
        assert all(CANARY not in repr(e.detail) for e in session.scalars(select(AuditEntry)))


def test_no_personal_function_is_cached() -> None:
    """A static guard: st.cache_data / st.cache_resource are not used on lsmap's code."""
    offenders = [
        str(path.relative_to(ROOT))
        for folder in ("lsmap", "layers")
        for path in (ROOT / folder).rglob("*.py")
        if re.search(r"cache_data|cache_resource", path.read_text(encoding="utf-8"))
    ]
    offenders += (
        ["app.py"] if re.search(r"cache_data|cache_resource", (ROOT / "app.py").read_text()) else []
    )
    assert offenders == []


@pytest.mark.parametrize("role", ["staff_b", "meeting_a"])
def test_canary_not_on_the_pages_of_the_meetings_work(
    town: tuple[str, PrivacyTown], role: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """会議からの提案, 会議の記録 and 緊急連絡表 as rendered for roles that may not see the
    canary (issue 14): the forms list households by 世帯番号, never by name."""
    from helpers import open_page

    url, _ = town
    with Session(db.get_engine(url)) as session:
        who = _actor(session, role)
    assert who is not None
    for page in ("proposals", "meetings", "contact_sheet"):
        assert page in access.pages_for_role(who)
        at = open_page(page, who, url, monkeypatch)
        assert not at.exception, (page, at.exception)
        text = _page_text(at)
        assert text.strip(), page
        assert CANARY not in text, page


def test_watcher_of_the_canary_households_sees_their_address_only(
    town: tuple[str, PrivacyTown],
) -> None:
    """A 見守り者 account of A's watcher: households without 同意 are number and address
    (the address carries the canary here); never a name, concern, note, contact or card."""
    import dataclasses

    from lsmap.access.accounts import create_user
    from lsmap.storage.models import Watcher

    url, layout = town
    engine = db.get_engine(url)
    with db.transaction(engine) as session:
        watcher_id = session.scalar(select(Watcher.id).where(Watcher.name == "A見守り 一郎"))
        if session.scalar(select(User.id).where(User.username == "watcher_a")) is None:
            create_user(session, "watcher_a", "watcher", PASSWORD, watcher_id=watcher_id)
    with Session(engine) as session:
        who = _actor(session, "watcher_a")
        assert who is not None
        mine = access.my_households(session, who, audited=False)
    assert {h.household_id for h in mine} == {
        hid for (code, _), hid in layout.households.items() if code == "A"
    }
    for household in mine:
        rest = dataclasses.replace(household, address="")
        assert CANARY not in repr(rest), household.level
        assert (CANARY in household.address) == (household.level == "number")
