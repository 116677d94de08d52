"""Printable sheets of a 福祉連絡会 (issue 14): the minutes of one entry of the 会議の記録,
and the 緊急連絡表 of an area on one A4 page in large type.

The minutes carry numbers, not names: attendees as counts by role and households as their
世帯番号. Only a role that edits records may ask for the residents' names beside the numbers
(``with_names``; audited as a name list). Both use the Japanese font of the record sheets
and are audited as ``print``.
"""

from __future__ import annotations

from datetime import date

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace
from sqlalchemy.orm import Session

from lsmap import access
from lsmap.access import AccessDenied, Actor
from lsmap.access.contact_sheet import ContactSheet, contact_sheet
from lsmap.printing.record_sheets import FONT_FAMILY, _clean, japanese_font_path
from lsmap.storage import audit
from lsmap.vocab import ATTENDEE_ROLES, CONTACT_SHEET_CATEGORIES, AuditAction, Entity

#: Type sizes of the 緊急連絡表 (points): it hangs on a wall and is read at arm's length.
SHEET_TITLE_PT = 28
SHEET_TEXT_PT = 16
SHEET_EMERGENCY_PT = 20
#: Lines printed per category, so that the sheet stays one page (a 地区 has many 区長).
SHEET_LINES_PER_CATEGORY = 3


def japanese_date(day: date | None) -> str:
    """2026年11月30日 ("" for none)."""
    return "" if day is None else f"{day.year}年{day.month}月{day.day}日"


def _pdf(title: str) -> FPDF:
    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.add_font(FONT_FAMILY, "", str(japanese_font_path()))
    pdf.set_title(title)
    pdf.set_creator("lsmap")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    return pdf


def _line(pdf: FPDF, text: str, size: float, height: float, align: str = "L") -> None:
    pdf.set_font(FONT_FAMILY, size=size)
    pdf.multi_cell(0, height, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT, align=align)


def _table(
    pdf: FPDF, headings: tuple[str, ...], rows: list[tuple[str, ...]], widths: tuple[int, ...]
) -> None:
    style = FontFace(emphasis="", fill_color=(232, 232, 232))
    with pdf.table(
        col_widths=widths, text_align="LEFT", line_height=pdf.font_size * 1.6, headings_style=style
    ) as table:
        table.row(headings)
        for row in rows or [tuple("" for _ in headings)]:
            table.row([_clean(cell) for cell in row])


# ---------------------------------------------------------------- minutes


def minutes_pdf(
    session: Session, actor: Actor, record_id: int, *, with_names: bool = False
) -> bytes:
    """The minutes of one meeting as PDF bytes: numbers, not names, unless ``with_names``
    (staff only). Audited as ``print``."""
    found = [r for r in access.meeting_records(session, actor) if r.id == record_id]
    if not found:
        raise AccessDenied("この会議の記録は見つからないか、見る権限がありません")
    record = found[0]
    names = access.household_names(session, actor, record.households_reviewed) if with_names else {}
    pdf = _pdf("福祉連絡会 会議の記録")
    _line(pdf, "福祉連絡会 会議の記録", 18, 11, align="C")
    _line(pdf, "要配慮個人情報 取扱注意", 8, 5, align="R")
    _line(pdf, f"町内・地区: {_clean(record.district_name)}", 12, 8)
    _line(pdf, f"開催日: {japanese_date(record.held_on)}", 12, 8)
    pdf.ln(2)
    _line(pdf, "出席者（役割ごとの人数）", 13, 9)
    pdf.set_font(FONT_FAMILY, size=11)
    counted = [(ATTENDEE_ROLES[k], f"{v} 名") for k, v in record.attendees.items() if v]
    total = sum(record.attendees.values())
    _table(pdf, ("役割", "人数"), [*counted, ("合計", f"{total} 名")], (120, 60))
    pdf.ln(3)
    reviewed = record.households_reviewed
    _line(pdf, f"見直した世帯（{len(reviewed)} 世帯）", 13, 9)
    pdf.set_font(FONT_FAMILY, size=11)
    if with_names:
        _table(pdf, ("世帯番号", "氏名"), [(str(h), names.get(h, "")) for h in reviewed], (40, 140))
    else:
        numbers = "、".join(str(h) for h in reviewed) or "なし"
        _line(pdf, f"世帯番号: {numbers}", 11, 7)
    pdf.ln(3)
    _line(pdf, "決まったこと", 13, 9)
    _line(pdf, _clean_block(record.decisions) or "（記入なし）", 11, 7)
    pdf.ln(3)
    _line(pdf, f"次回の開催日: {japanese_date(record.next_meeting_on) or '未定'}", 12, 8)
    _line(pdf, f"記入: {_clean(record.entered_by)}", 9, 6, align="R")
    audit.log(
        session,
        actor,
        AuditAction.PRINT,
        Entity.MEETING_RECORD,
        [record.id],
        document="minutes",
        names=with_names,
    )
    return bytes(pdf.output())


def _clean_block(text: str) -> str:
    """Several lines of user text for the PDF (control characters dropped per line)."""
    return "\n".join(_clean(line) for line in (text or "").splitlines()).strip()


# ---------------------------------------------------------------- the 緊急連絡表


def contact_sheet_pdf(session: Session, actor: Actor, district_id: int, today: date) -> bytes:
    """The 緊急連絡表 of ``district_id`` on one A4 page in large type; audited as ``print``."""
    sheet = contact_sheet(session, actor, district_id)
    pdf = _pdf(f"緊急連絡表 {sheet.district_name}")
    _draw_contact_sheet(pdf, sheet, today)
    audit.log(
        session,
        actor,
        AuditAction.PRINT,
        Entity.CONTACT_SHEET,
        [district_id],
        document="contact_sheet",
    )
    return bytes(pdf.output())


def _draw_contact_sheet(pdf: FPDF, sheet: ContactSheet, today: date) -> None:
    place = f"{sheet.parent_name} {sheet.district_name}".strip()
    _line(pdf, "緊急連絡表", SHEET_TITLE_PT, 14, align="C")
    _line(pdf, _clean(place), SHEET_TEXT_PT + 2, 10, align="C")
    pdf.ln(2)
    pdf.set_fill_color(255, 235, 230)
    pdf.set_font(FONT_FAMILY, size=SHEET_EMERGENCY_PT)
    pdf.cell(0, 13, "火事・救急 119　　事件・事故 110", border=1, fill=True, align="C")
    pdf.ln(17)
    pdf.set_fill_color(255, 255, 255)
    pdf.set_font(FONT_FAMILY, size=SHEET_TEXT_PT)
    rows: list[tuple[str, ...]] = []
    for category, title in CONTACT_SHEET_CATEGORIES.items():
        lines = sheet.of(category)
        if not lines:
            rows.append((title, "", ""))
        for index, line in enumerate(lines[:SHEET_LINES_PER_CATEGORY]):
            name = _clean(line.name) + (f"（{_clean(line.note)}）" if line.note else "")
            rows.append((title if index == 0 else "", name, _clean(line.phone)))
        if len(lines) > SHEET_LINES_PER_CATEGORY:
            more = len(lines) - SHEET_LINES_PER_CATEGORY
            rows.append(("", f"ほか {more} 名（町内の表に記載）", ""))
    _table(pdf, ("連絡先", "氏名・名称", "電話"), rows, (62, 82, 46))
    pdf.ln(4)
    _line(pdf, f"{japanese_date(today)} 現在　空欄は社協の地区担当にお問い合わせください", 10, 6)
    _line(pdf, "要配慮個人情報 取扱注意", 9, 5, align="R")
