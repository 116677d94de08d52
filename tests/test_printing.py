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
        "町丁目: 東町",
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


def _versioned(town: Engine, hid: int) -> int:
    from lsmap.storage.models import Household

    with Session(town) as session:
        return session.get_one(Household, hid).version


def test_record_sheet_has_issues_involvement_notes_contacts_card_and_ruled_space(
    town: Engine,
) -> None:
    from pypdf import PdfReader

    from lsmap.printing.record_sheets import RULED_LINES
    from lsmap.records.issues import set_card_facts, set_issues
    from lsmap.storage.models import WatchLink

    hid = _household(town)
    staff = actor(town, "staff_east")
    with Session(town) as session:  # the 関わり方 note of the link
        session.scalars(select(WatchLink)).one().note = "朝のカーテンの開閉を確認"
        session.commit()
    version = set_issues(
        town, staff, hid, ["dementia", "8050"], "日中独居", version=_versioned(town, hid)
    )
    set_card_facts(
        town,
        staff,
        hid,
        {"medical_conditions": "高血圧", "medications": "降圧剤", "care_services": "デイ（月）"},
        version=version,
    )
    records.record_contact(
        town,
        staff,
        hid,
        {"method": "visit", "observation": "元気そう", "contacted_on": TODAY},
        today=TODAY,
    )
    with Session(town) as session:
        pdf = printing.watch_record_pdf(session, staff, hid)
        card = printing.emergency_card_pdf(session, staff, hid)
        meeting_pdf = printing.watch_record_pdf(session, actor(town, "meeting_east"), hid)
        session.commit()
    text = _text(pdf)
    for expected in (
        "課題",
        "認知症の疑い・8050",
        "日中独居",
        "声かけ（週1回）: 朝のカーテンの開閉を確認",
        "最近の見守り活動",
        "元気そう",
        "緊急連絡先",
        "東包括センター",
        "記入欄（訪問・気づき・連絡）",
        "住所: 東町2-3",
    ):
        assert expected in text, expected
    # ruled lines: many horizontal strokes on the last page
    last = PdfReader(io.BytesIO(pdf)).pages[-1].get_contents().get_data().decode("latin-1")
    assert last.count(" l S") >= RULED_LINES + 4  # the rows and the column rules
    card_text = _text(card)
    for expected in (
        "かかりつけ医",
        "持病",
        "高血圧",
        "服薬",
        "降圧剤",
        "介護サービス・ケアマネ",
        "家族",
        "地域包括",
        "東包括センター",
    ):
        assert expected in card_text, expected
    # a meeting viewer (household not shareable here): no 課題, no note, no card lines
    meeting_text = _text(meeting_pdf)
    assert "認知症の疑い" not in meeting_text and "朝のカーテン" not in meeting_text


def test_address_is_printed_without_residents_and_never_cut_in_a_number(town: Engine) -> None:
    from lsmap.printing.record_sheets import _Sheet, address_lines

    staff = actor(town, "staff_east")
    long_address = (
        "さくら台市東町三丁目12番地の34 さくら台ハイツ 205号室 " + "（長い建物名の確認）" * 4
    )
    hid = records.create_household(
        town,
        staff,
        {
            "district_id": town_id(town, "149990-01-01"),
            "household_type": "elderly_alone",
            "address": "東町3-15-2",
            "lon": INSIDE_EAST[0],
            "lat": INSIDE_EAST[1],
        },
        today=TODAY,
    )
    with Session(town) as session:
        text = _text(printing.watch_record_pdf(session, staff, hid))
        session.commit()
    assert "住所: 東町3-15-2" in text  # no resident yet: the address is still there
    sheet = _Sheet("試し")
    size, lines = address_lines(sheet, "東町2丁目3-15", 100)
    assert lines == ["東町2丁目3-15"] and size == 11
    size, lines = address_lines(sheet, long_address, 60)
    assert size == 8 and len(lines) > 1 and "".join(lines) == long_address.strip()
    digits = "0123456789-"
    for before, after in zip(lines, lines[1:], strict=False):
        assert not (before[-1] in digits and after[0] in digits), (before, after)
