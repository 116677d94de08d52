"""Printable PDFs: the 見守りネットワーク記録用紙 and the 緊急連絡カード of one household.

Both are built from :func:`lsmap.access.watch_record`, so the viewer's projection applies
(a meeting viewer's printout has no names of residents without consent), and each print
is audited as ``print``. The Japanese font (IPAexゴシック) is embedded as a subset, so the
PDF reads the same on any computer. It comes from the ``japanize-matplotlib`` package on
PyPI (no system package needed); Debian's ``fonts-ipaexfont-gothic`` works as well.
"""

from __future__ import annotations

import importlib.util
import os
import unicodedata
from datetime import date
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace
from sqlalchemy.orm import Session

from lsmap import access
from lsmap.access import Actor
from lsmap.access.views import WatchRecord, withheld_reason
from lsmap.storage import audit
from lsmap.vocab import (
    CONSENT_STATUSES,
    EMERGENCY_RELATIONS,
    FREQUENCIES,
    HOUSEHOLD_TYPES,
    INVOLVEMENTS,
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
        self.add_page()

    def header(self) -> None:
        self.set_font(FONT_FAMILY, size=15)
        self.cell(0, 10, self.sheet_title, new_x=XPos.LMARGIN, new_y=YPos.NEXT, align="C")
        self.set_font(FONT_FAMILY, size=8)
        self.cell(0, 5, "要配慮個人情報 取扱注意", new_x=XPos.LMARGIN, new_y=YPos.NEXT, align="R")

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


def _facts(pdf: _Sheet, record: WatchRecord, printed_by: str) -> None:
    pdf.set_font(FONT_FAMILY, size=10)
    lines = [f"町名: {_clean(record.district_name)}", f"世帯番号: {record.shown_number}"]
    if record.household_type is not None:
        lines.append(f"世帯の状況: {label(HOUSEHOLD_TYPES, record.household_type)}")
    if record.closed_on is not None:
        lines.append(f"見守り終了日: {record.closed_on:%Y-%m-%d}")
    lines.append(f"印刷: {date.today():%Y-%m-%d} {_clean(printed_by)}")
    for line in lines:
        pdf.cell(0, 6, line, new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def watch_record_pdf(session: Session, actor: Actor, household_id: int) -> bytes:
    """The 見守りネットワーク記録用紙 of one household as PDF bytes (audited as print)."""
    record = access.watch_record(session, actor, household_id)
    pdf = _Sheet("見守りネットワーク記録用紙")
    _facts(pdf, record, actor.display_name or actor.username)
    address = record.address or ""
    pdf.heading("気がかりな人")
    pdf.grid(
        ("氏名", "住所", "TEL", "気になるところ", "同意"),
        [
            (
                r.name or "",
                address,
                r.phone or "",
                "、".join(r.concern_tags) + (f"（{r.concerns}）" if r.concerns else ""),
                label(CONSENT_STATUSES, r.consent_status),
            )
            for r in record.residents
        ],
        (30, 45, 28, 67, 16),
    )
    if record.hidden_residents:
        pdf.cell(
            0,
            6,
            f"ほかに同意のない方 {record.hidden_residents} 名（氏名等は記載しません）",
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
    pdf.heading("見守り者")
    pdf.grid(
        ("氏名", "役割", "関わり方"),
        [
            (
                w.name,
                label(WATCHER_ROLES, w.role),
                "、".join(
                    f"{label(INVOLVEMENTS, i)}（{label(FREQUENCIES, f)}）"
                    for i, f in w.involvements
                ),
            )
            for w in record.watchers
        ],
        (40, 45, 101),
    )
    if record.note:
        pdf.heading("メモ")
        pdf.multi_cell(0, 6, _clean(record.note))
    audit.log(
        session, actor, AuditAction.PRINT, Entity.HOUSEHOLD, [household_id], document="watch_record"
    )
    return bytes(pdf.output())


def emergency_card_pdf(session: Session, actor: Actor, household_id: int) -> bytes:
    """The 緊急連絡カード of one household as PDF bytes (audited as print)."""
    record = access.watch_record(session, actor, household_id)
    pdf = _Sheet("緊急連絡カード")
    _facts(pdf, record, actor.display_name or actor.username)
    pdf.heading("ご本人")
    pdf.grid(
        ("氏名", "ふりがな", "生年", "TEL"),
        [
            (r.name or "", r.furigana or "", str(r.birth_year or ""), r.phone or "")
            for r in record.residents
        ],
        (50, 50, 30, 56),
    )
    pdf.heading("緊急連絡先")
    if record.details_withheld:
        pdf.cell(
            0,
            6,
            f"{withheld_reason(record.hidden_residents)}、連絡先は記載しません。",
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
    else:
        pdf.grid(
            ("氏名・機関", "関係", "電話", "備考"),
            [
                (e.name, label(EMERGENCY_RELATIONS, e.relation), e.phone, e.note)
                for e in record.emergency_contacts
            ],
            (50, 40, 40, 56),
        )
    audit.log(
        session,
        actor,
        AuditAction.PRINT,
        Entity.HOUSEHOLD,
        [household_id],
        document="emergency_card",
    )
    return bytes(pdf.output())
