"""The search box (issue 12): 世帯番号, 氏名, ふりがな in any kana, 住所 variants and phone
digits find the same household, only within the searcher's districts, audited."""

from __future__ import annotations

import pytest
from conftest import actor_for
from helpers import open_page
from sqlalchemy import select
from sqlalchemy.orm import Session

from lsmap import access
from lsmap.escape import markdown_text
from lsmap.storage.models import AuditEntry, Household, Resident


def _first_resident(session: Session) -> tuple[Household, Resident]:
    staff = actor_for(session, "staff_east")
    point = next(p for p in access.household_points(session, staff, None) if p.residents)
    household = session.get(Household, point.id)
    assert household is not None
    resident = session.scalars(
        select(Resident).where(Resident.household_id == household.id).order_by(Resident.id)
    ).first()
    assert resident is not None and resident.furigana and resident.phone
    return household, resident


def _kana(text: str) -> tuple[str, str]:
    """(katakana, half-width katakana) of a hiragana text."""
    import unicodedata

    katakana = "".join(chr(ord(c) + 0x60) if "ぁ" <= c <= "ゖ" else c for c in text)
    half = "".join(
        {
            v: k
            for k, v in (
                (chr(c), unicodedata.normalize("NFKC", chr(c))) for c in range(0xFF61, 0xFFA0)
            )
        }.get(c, c)
        for c in katakana
    )
    return katakana, half


def test_every_kind_of_query_finds_the_household(sample_session: Session) -> None:
    household, resident = _first_resident(sample_session)
    staff = actor_for(sample_session, "staff_east")
    katakana, half = _kana(resident.furigana)
    digits = "".join(c for c in resident.phone if c.isdigit())
    wide_address = household.address.translate(
        str.maketrans("0123456789-", "０１２３４５６７８９－")
    )
    queries = {
        f"No.{household.number}": "世帯番号",
        str(household.number): "世帯番号",
        resident.name: "氏名",
        resident.name.replace("\u3000", ""): "氏名",
        resident.furigana: "ふりがな",
        katakana: "ふりがな",
        half: "ふりがな",
        digits: "電話",
        resident.phone: "電話",
        wide_address: "住所",
    }
    for query, kind in queries.items():
        hits = access.search_households(sample_session, staff, query)
        found = {h.household_id: h.matched for h in hits}
        assert found.get(household.id) == kind, (query, found.get(household.id))
    sample_session.rollback()


def test_kanji_numbers_and_chome_variants_match(sample_session: Session) -> None:
    household, _ = _first_resident(sample_session)
    staff = actor_for(sample_session, "staff_east")
    assert "丁目" in household.address
    town, rest = household.address.split("丁目", 1)
    digits_town = town.replace("一", "1").replace("二", "2").replace("三", "3")
    for variant in (f"{digits_town}丁目{rest}", f"{town}丁目{rest.replace('-', '番')}号"):
        hits = access.search_households(sample_session, staff, variant)
        assert household.id in {h.household_id for h in hits}, variant
    sample_session.rollback()


def test_search_stays_within_the_district_and_is_audited(sample_session: Session) -> None:
    household, resident = _first_resident(sample_session)
    west = actor_for(sample_session, "staff_west")
    admin = actor_for(sample_session, "admin")
    assert household.id not in {
        h.household_id for h in access.search_households(sample_session, west, resident.name)
    }
    assert household.id in {
        h.household_id for h in access.search_households(sample_session, admin, resident.name)
    }
    for role in ("meeting_east", "planner"):
        assert access.search_households(sample_session, actor_for(sample_session, role), "1") == []
    entries = sample_session.scalars(
        select(AuditEntry).where(AuditEntry.action == "search").order_by(AuditEntry.id)
    ).all()
    assert [e.username for e in entries] == ["staff_west", "admin"]
    assert household.id in entries[1].entity_ids
    assert all(resident.name not in repr(e.detail) for e in entries)
    sample_session.rollback()


@pytest.mark.parametrize("role, shown", [("staff_east", True), ("meeting_east", False)])
def test_sidebar_search_box_lists_results_that_open_the_record(
    sample_session: Session, sample_url: str, monkeypatch, role: str, shown: bool
) -> None:  # type: ignore[no-untyped-def]
    household, resident = _first_resident(sample_session)
    who = actor_for(sample_session, role)
    sample_session.rollback()
    page = open_page("record", who, sample_url, monkeypatch)
    boxes = [t for t in page.sidebar.text_input if t.label == "世帯をさがす"]
    assert bool(boxes) == shown
    if not shown:
        return
    boxes[0].input(_kana(resident.furigana)[0]).run()
    prefix = markdown_text(f"No.{household.number} ")
    hit = next(b for b in page.sidebar.button if b.label.startswith(prefix))
    hit.click().run()
    assert not page.exception


def test_start_page_has_the_search_box_first_in_its_main_area(
    sample_session: Session, sample_url: str, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    staff = actor_for(sample_session, "staff_east")
    sample_session.rollback()
    page = open_page("start", staff, sample_url, monkeypatch)
    assert [t.label for t in page.main.text_input][:1] == ["世帯をさがす"]
    assert not [t for t in page.sidebar.text_input if t.label == "世帯をさがす"]
