"""Printing: the 見守りネットワーク記録用紙 and 緊急連絡カード (``record_sheets``) and the paper
map (``paper_map``, drawn by ``paper_drawing``; every 町内 at once: ``paper_batch``), the
meeting's minutes and an area's 緊急連絡表 (``meeting_sheets``) as PDFs with an embedded
Japanese font.

The record sheets are re-exported here, so callers say ``printing.watch_record_pdf(...)``.
"""

from lsmap.printing.record_sheets import (
    FontMissing,
    emergency_card_pdf,
    japanese_font_path,
    watch_record_pdf,
)

__all__ = ["FontMissing", "emergency_card_pdf", "japanese_font_path", "watch_record_pdf"]
