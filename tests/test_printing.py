"""Printable record and emergency card: PDFs with the Japanese font embedded."""

from __future__ import annotations

import io

from pypdf import PdfReader
from small_town import INSIDE_EAST, TODAY, actor, town, town_id  # noqa: F401
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from lsmap import printing, records
from lsmap.storage.models import AuditEntry

NAME = "見守 花子"


def _household(town: Engine) -> int:
    staff = actor(town, "staff_east")
    hid = records.create_household(
        town,
        staff,
        {
            "district_id": town_id(town, "149990-01-01"),
            "household_type": "elderly_alone",
            "address": "東町2-3",
            "lon": INSIDE_EAST[0],
            "lat": INSIDE_EAST[1],
        },
        today=TODAY,
    )
    records.add_resident(
        town,
        staff,
        hid,
        {"name": NAME, "phone": "046-123-4567", "concern_tags": ["物忘れ"]},
        today=TODAY,
    )
    records.add_resident(town, staff, hid, {"name": "未同意 次郎"}, today=TODAY)
    wid = records.create_watcher(
        town,
        staff,
        {"name": "佐藤 一郎", "role": "commissioner", "district_id": town_id(town, "149990-01")},
        today=TODAY,
    )
    records.link_watcher(town, staff, hid, wid, "greeting", "weekly")
    records.add_emergency_contact(
        town,
        staff,
        hid,
        {"name": "東包括センター", "relation": "support_centre", "phone": "0463-12-3456"},
    )
    return hid


def _text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def _fonts(pdf: bytes) -> list[dict]:
    fonts = []
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for font in page["/Resources"]["/Font"].values():
            fonts.append(font.get_object())
    return fonts


def test_watch_record_pdf_has_the_japanese_name_in_an_embedded_font(town: Engine) -> None:
    hid = _household(town)
    with Session(town) as session:
        pdf = printing.watch_record_pdf(session, actor(town, "staff_east"), hid)
        session.commit()
    assert pdf.startswith(b"%PDF")
    text = _text(pdf)
    for expected in (
        "見守りネットワーク記録用紙",
        "町名: 東町",
        NAME,
        "東町2-3",
        "046-123-4567",
        "物忘れ",
        "佐藤 一郎",
        "声かけ（週1回）",
    ):
        assert expected in text, expected
    [font] = _fonts(pdf)
    descriptor = font["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
    assert "IPAexGothic" in font["/BaseFont"] and "/FontFile2" in descriptor
    with Session(town) as session:
        printed = session.scalars(select(AuditEntry).where(AuditEntry.action == "print")).all()
    assert [(e.entity_ids, e.detail) for e in printed] == [([hid], {"document": "watch_record"})]


def test_emergency_card_pdf(town: Engine) -> None:
    hid = _household(town)
    with Session(town) as session:
        text = _text(printing.emergency_card_pdf(session, actor(town, "staff_east"), hid))
    assert (
        "緊急連絡カード" in text
        and NAME in text
        and "東包括センター" in text
        and "0463-12-3456" in text
    )


def test_meeting_printout_follows_the_consent_projection(town: Engine) -> None:
    hid = _household(town)
    with Session(town) as session:
        text = _text(printing.watch_record_pdf(session, actor(town, "meeting_east"), hid))
    assert NAME not in text and "未同意 次郎" not in text and "046-123-4567" not in text
    assert "同意のない方 2 名" in text
