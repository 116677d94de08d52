"""Printable PDFs: the 見守りネットワーク記録用紙 and the 緊急連絡カード of one household.

Both are built from :func:`lsmap.access.watch_record` (and the household's 課題 and card
lines, read through access too), so the viewer's projection applies (a meeting viewer's
printout has no names of residents without consent, no phones of watchers), and each print
is audited as ``print``. The 記録用紙 has the household, residents, 課題, watchers with their
関わり方, the last contacts, the emergency contacts and ruled lines for handwriting; the card
is one page to tape by the phone. An address is printed on one line (the font shrinks) or
broken only where no number is cut. The Japanese font (IPAexゴシック) is embedded as a
subset, so the PDF reads the same on any computer. It comes from the
``japanize-matplotlib`` package on PyPI (no system package needed); Debian's
``fonts-ipaexfont-gothic`` works as well.
"""

from __future__ import annotations

import importlib.util
import os
import re
import unicodedata
from datetime import date
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace
from sqlalchemy.orm import Session

from lsmap import access
from lsmap.access import Actor
from lsmap.access.card import CardFacts, card_facts
from lsmap.access.issues import HouseholdIssues, household_issues
from lsmap.access.views import WatcherInvolvement, WatchRecord, withheld_reason
from lsmap.storage import audit
from lsmap.vocab import (
    CONSENT_STATUSES,
    CONTACT_METHODS,
    EMERGENCY_RELATIONS,
    FREQUENCIES,
    HOUSEHOLD_TYPES,
    INVOLVEMENTS,
    WARNING_SIGNS,
    WATCHER_ROLES,
    AuditAction,
    Entity,
    label,
)

FONT_FAMILY = "IPAexGothic"
FONT_FILE = "ipaexg.ttf"
SYSTEM_FONT_DIRS = (
    "/usr/share/fonts/opentype/ipaexfont-gothic",
    "/usr/share/fonts/truetype/ipaexfont-gothic",
    "/usr/share/fonts/truetype/fonts-japanese-gothic",
)


class FontMissing(RuntimeError):
    """No embeddable Japanese font was found."""


def japanese_font_path() -> Path:
    """Path of IPAexGothic: ``LSMAP_PDF_FONT``, the PyPI package, or Debian's package."""
    candidates: list[Path] = []
    if configured := os.environ.get("LSMAP_PDF_FONT"):
        candidates.append(Path(configured))
    spec = importlib.util.find_spec("japanize_matplotlib")  # locate, do not import matplotlib
    if spec is not None and spec.submodule_search_locations:
        candidates += [Path(p) / "fonts" / FONT_FILE for p in spec.submodule_search_locations]
    candidates += [Path(d) / FONT_FILE for d in SYSTEM_FONT_DIRS]
    for path in candidates:
        if path.is_file():
            return path
    raise FontMissing(
        "PDF用の日本語フォント（IPAexゴシック）が見つかりません。"
        "`pip install japanize-matplotlib` か `apt-get install fonts-ipaexfont-gothic` "
        "で入れてください。"
    )


def _clean(value: object) -> str:
    """Text for the PDF: no control characters (fpdf2 draws text literally, no markup)."""
    text = "" if value is None else str(value)
    return "".join(" " if unicodedata.category(c).startswith("C") else c for c in text).strip()


class _Sheet(FPDF):
    def __init__(self, title: str) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.add_font(FONT_FAMILY, "", str(japanese_font_path()))
        self.set_title(title)
        self.set_creator("lsmap")
        self.set_auto_page_break(auto=True, margin=15)
        self.sheet_title = title
        #: Printed at the top right of every page: the household's number once known.
        self.mark = "要配慮個人情報 取扱注意"
        self.add_page()

    def for_household(self, household_id: int) -> None:
        """Name the household on this and every following page (pages may get separated)."""
        self.mark = f"世帯番号 {household_id}　要配慮個人情報 取扱注意"

    def header(self) -> None:
        self.set_font(FONT_FAMILY, size=15)
        self.cell(0, 10, self.sheet_title, new_x=XPos.LMARGIN, new_y=YPos.NEXT, align="C")
        self.set_font(FONT_FAMILY, size=8)
        self.cell(0, 5, self.mark, new_x=XPos.LMARGIN, new_y=YPos.NEXT, align="R")

    def footer(self) -> None:
        self.set_y(-12)
        self.set_font(FONT_FAMILY, size=8)
        self.cell(0, 6, f"{self.page_no()} / {{nb}}", align="C")

    def heading(self, text: str) -> None:
        self.ln(3)
        self.set_font(FONT_FAMILY, size=12)
        self.cell(0, 8, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font(FONT_FAMILY, size=10)

    def grid(
        self, headings: tuple[str, ...], rows: list[tuple[str, ...]], widths: tuple[int, ...]
    ) -> None:
        self.set_font(FONT_FAMILY, size=10)
        heading_style = FontFace(emphasis="", fill_color=(232, 232, 232))
        with self.table(
            col_widths=widths, text_align="LEFT", line_height=6, headings_style=heading_style
        ) as table:
            table.row(headings)
            for row in rows or [tuple("" for _ in headings)]:
                table.row([_clean(cell) for cell in row])


#: How many of the newest contacts the 記録用紙 lists.
PRINTED_CONTACTS = 5
#: Ruled lines for handwriting at least (more when the page has room).
RULED_LINES = 8
#: Characters an address line may not be broken between (a number, 番地 and 号 stay whole).
_UNBREAKABLE = re.compile(r"[0-9０-９〇一二三四五六七八九十百千\-－―‐ー−の丁目番地号]")


def address_lines(
    pdf: FPDF, text: str, width: float, size: float = 11, smallest: float = 8
) -> tuple[float, list[str]]:
    """(font size, lines) to print ``text`` in ``width`` mm: one line if a font size down to
    ``smallest`` fits, else lines broken only between characters that are not both part of
    a number (「2丁目3-15」 is never cut)."""
    text = _clean(text)
    for step in range(int((size - smallest) * 2) + 1):
        current = size - step / 2
        pdf.set_font(FONT_FAMILY, size=current)
        if pdf.get_string_width(text) <= width:
            return current, [text]
    lines, line = [], ""
    for index, char in enumerate(text):
        line += char
        following = text[index + 1] if index + 1 < len(text) else ""
        breakable = not (_UNBREAKABLE.match(char) and _UNBREAKABLE.match(following or " "))
        if breakable and pdf.get_string_width(line) > width * 0.85:
            lines.append(line)
            line = ""
    if line:
        lines.append(line)
    return smallest, lines


def _labelled(pdf: _Sheet, name: str, text: str, *, size: float = 10) -> None:
    """「名前: 内容」 on its own lines (contents wrapped by fpdf)."""
    pdf.set_font(FONT_FAMILY, size=size)
    pdf.multi_cell(0, size * 0.6, f"{name}: {_clean(text)}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _address(pdf: _Sheet, record: WatchRecord, *, size: float = 11) -> None:
    """The household's address (also for a household with no residents), never cut in a
    number; the place of the point when the address is withheld."""
    if record.address is None:
        return
    label_text = "住所: "
    pdf.set_font(FONT_FAMILY, size=size)
    indent = pdf.get_string_width(label_text)
    font_size, lines = address_lines(
        pdf, record.address or "（未登録）", pdf.epw - indent, size=size
    )
    for index, line in enumerate(lines):
        pdf.set_font(FONT_FAMILY, size=size)
        pdf.cell(indent, size * 0.6, label_text if index == 0 else "")
        pdf.set_font(FONT_FAMILY, size=font_size)
        pdf.cell(0, size * 0.6, line, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT_FAMILY, size=10)


def _facts(pdf: _Sheet, record: WatchRecord, printed_by: str) -> None:
    pdf.set_font(FONT_FAMILY, size=10)
    parts = [f"世帯番号: {record.shown_number}", f"町丁目: {_clean(record.district_name)}"]
    if record.household_type is not None:
        parts.append(f"世帯の状況: {label(HOUSEHOLD_TYPES, record.household_type)}")
    if record.closed_on is not None:
        parts.append(f"見守り終了日: {record.closed_on:%Y/%m/%d}")
    pdf.cell(0, 6, "　".join(parts), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    _address(pdf, record)
    pdf.set_font(FONT_FAMILY, size=8)
    pdf.cell(
        0,
        5,
        f"印刷: {date.today():%Y/%m/%d} {_clean(printed_by)}",
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    pdf.set_font(FONT_FAMILY, size=10)


def _age(birth_year: int | None) -> str:
    return "" if birth_year is None else f"{birth_year}（{date.today().year - birth_year}歳）"


def _residents(pdf: _Sheet, record: WatchRecord) -> None:
    pdf.heading("気がかりな人")
    pdf.grid(
        ("氏名", "ふりがな", "生年", "電話", "気になるところ", "同意"),
        [
            (
                r.name or "",
                r.furigana or "",
                _age(r.birth_year),
                r.phone or "",
                "、".join(r.concern_tags) + (f"（{r.concerns}）" if r.concerns else ""),
                label(CONSENT_STATUSES, r.consent_status),
            )
            for r in record.residents
        ],
        (26, 24, 28, 32, 62, 14),
    )
    if record.hidden_residents:
        pdf.cell(
            0,
            6,
            f"ほかに同意のない方 {record.hidden_residents} 名（氏名等は記載しません）",
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )


def _issues(pdf: _Sheet, issues: HouseholdIssues | None) -> None:
    if issues is None:
        return
    pdf.heading("課題")
    text = "・".join(issues.labels) or "（登録なし）"
    pdf.multi_cell(0, 6, _clean(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    if issues.note:
        pdf.multi_cell(0, 6, _clean(issues.note), new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _involvement(watcher: WatcherInvolvement) -> str:
    lines = watcher.involvement_lines(
        lambda i: label(INVOLVEMENTS, i), lambda f: label(FREQUENCIES, f)
    )
    return "\n".join(lines)


def _watchers(pdf: _Sheet, record: WatchRecord) -> None:
    pdf.heading("見守り者と関わり方")
    with_phone = any(w.phone is not None for w in record.watchers)  # roles that edit only
    rows = [
        (w.name, label(WATCHER_ROLES, w.role), _involvement(w))
        + ((w.phone or "",) if with_phone else ())
        for w in record.watchers
    ]
    if with_phone:
        pdf.grid(("氏名", "役割", "関わり方", "電話"), rows, (32, 30, 94, 30))
    else:
        pdf.grid(("氏名", "役割", "関わり方"), rows, (36, 34, 116))


def _contacts(pdf: _Sheet, record: WatchRecord) -> None:
    if record.details_withheld:
        return
    pdf.heading(f"最近の見守り活動（新しい順に {PRINTED_CONTACTS} 件まで）")
    pdf.grid(
        ("日付", "方法", "対応者", "様子・気になるサイン"),
        [
            (
                f"{c.contacted_on:%Y/%m/%d}",
                label(CONTACT_METHODS, c.method),
                c.watcher_name or c.recorded_by,
                c.observation
                + (
                    "（" + "、".join(label(WARNING_SIGNS, s) for s in c.signs) + "）"
                    if c.signs
                    else ""
                ),
            )
            for c in record.contacts[:PRINTED_CONTACTS]
        ],
        (24, 20, 32, 110),
    )


def _emergency(pdf: _Sheet, record: WatchRecord) -> None:
    if record.details_withheld:
        return
    pdf.heading("緊急連絡先")
    pdf.grid(
        ("氏名・機関", "関係", "電話", "備考"),
        [
            (e.name, label(EMERGENCY_RELATIONS, e.relation), e.phone, e.note)
            for e in record.emergency_contacts
        ],
        (50, 36, 40, 60),
    )


def _ruled_space(pdf: _Sheet) -> None:
    """Ruled lines (日付 | 内容 | 記入者) to the foot of the page, at least RULED_LINES."""
    row = 9.0
    bottom = pdf.h - pdf.b_margin
    if bottom - pdf.get_y() < row * (RULED_LINES + 1) + 11:  # the heading, a header row
        pdf.add_page()
    pdf.heading("記入欄（訪問・気づき・連絡）")
    left, right = pdf.l_margin, pdf.w - pdf.r_margin
    columns = (left + 24, right - 30)
    pdf.set_font(FONT_FAMILY, size=9)
    pdf.cell(24, row, "日付", align="C")
    pdf.cell(columns[1] - columns[0], row, "内容", align="C")
    pdf.cell(30, row, "記入者", align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    top = pdf.get_y() - row
    y = top
    while y + row <= bottom:
        pdf.line(left, y, right, y)
        y += row
    pdf.line(left, y, right, y)
    for x in (left, *columns, right):
        pdf.line(x, top, x, y)
    pdf.set_y(y)


def watch_record_pdf(session: Session, actor: Actor, household_id: int) -> bytes:
    """The 見守りネットワーク記録用紙 of one household as PDF bytes (audited as print)."""
    record = access.watch_record(session, actor, household_id)
    issues = household_issues(session, actor, household_id)
    pdf = _Sheet("見守りネットワーク記録用紙")
    pdf.for_household(household_id)
    _facts(pdf, record, actor.display_name or actor.username)
    _issues(pdf, issues)
    _residents(pdf, record)
    _watchers(pdf, record)
    _contacts(pdf, record)
    _emergency(pdf, record)
    if record.note:
        pdf.heading("メモ")
        pdf.multi_cell(0, 6, _clean(record.note), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    _ruled_space(pdf)
    audit.log(
        session, actor, AuditAction.PRINT, Entity.HOUSEHOLD, [household_id], document="watch_record"
    )
    return bytes(pdf.output())


def _card_contacts(record: WatchRecord, relation: str) -> str:
    return "\n".join(
        _clean(f"{e.name}　{e.phone}" + (f"（{e.note}）" if e.note else ""))
        for e in record.emergency_contacts
        if e.relation == relation
    )


def card_rows(record: WatchRecord, facts: CardFacts) -> list[tuple[str, str]]:
    """The 緊急連絡カード's lines: かかりつけ医, 持病, 服薬, 介護サービス・ケアマネ, 家族,
    地域包括 and その他 (empty ones are printed too, to be filled in by hand)."""
    care = "\n".join(t for t in (facts.care_services, _card_contacts(record, "care_manager")) if t)
    return [
        ("かかりつけ医", _card_contacts(record, "doctor")),
        ("持病", facts.medical_conditions),
        ("服薬", facts.medications),
        ("介護サービス・ケアマネ", care),
        ("家族", _card_contacts(record, "family")),
        ("地域包括", _card_contacts(record, "support_centre")),
        ("その他", _card_contacts(record, "other")),
    ]


def emergency_card_pdf(session: Session, actor: Actor, household_id: int) -> bytes:
    """The 緊急連絡カード of one household as PDF bytes (audited as print): one page to tape
    by the phone."""
    record = access.watch_record(session, actor, household_id)
    facts = card_facts(session, actor, household_id)
    pdf = _Sheet("緊急連絡カード")
    pdf.set_font(FONT_FAMILY, size=12)
    pdf.cell(0, 8, "救急・火事 119　警察 110", new_x=XPos.LMARGIN, new_y=YPos.NEXT, align="C")
    _facts(pdf, record, actor.display_name or actor.username)
    pdf.heading("ご本人")
    pdf.grid(
        ("氏名", "ふりがな", "生年", "電話"),
        [
            (r.name or "", r.furigana or "", _age(r.birth_year), r.phone or "")
            for r in record.residents
        ],
        (50, 50, 36, 50),
    )
    if record.details_withheld or facts is None:
        pdf.heading("連絡先")
        pdf.cell(
            0,
            6,
            f"{withheld_reason(record.hidden_residents)}、連絡先や健康のことは記載しません。",
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
    else:
        pdf.heading("もしものときの連絡先と健康のこと")
        pdf.set_font(FONT_FAMILY, size=12)
        heading_style = FontFace(emphasis="", fill_color=(232, 232, 232))
        with pdf.table(
            col_widths=(56, 130), text_align="LEFT", line_height=8, first_row_as_headings=False
        ) as table:
            for name, text in card_rows(record, facts):
                row = table.row()
                row.cell(name, style=heading_style)
                row.cell(_clean(text) if "\n" not in text else text)
    audit.log(
        session,
        actor,
        AuditAction.PRINT,
        Entity.HOUSEHOLD,
        [household_id],
        document="emergency_card",
    )
    return bytes(pdf.output())
