"""緊急連絡表: who to call in a 町内 or 地区, filled in from the records; staff write the lines
the records do not hold (市の窓口, 交番, phones) and print it on one A4 page in large type."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from lsmap import access
from lsmap.access import Actor
from lsmap.access.contact_sheet import ContactSheet, contact_sheet
from lsmap.printing.meeting_sheets import contact_sheet_pdf
from lsmap.records import meeting_work
from lsmap.storage import db
from lsmap.ui import downloads, editing
from lsmap.ui.context import require_actor
from lsmap.ui.meeting_forms import choose_area
from lsmap.ui.sidebar import user_box
from lsmap.vocab import CONTACT_SHEET_CATEGORIES, Entity

SLOT = "contact_sheet"
SOURCES = {"written": "職員が記入", "records": "記録から"}


def render() -> None:
    """The sheet of the chosen area, its PDF, and (staff) the lines to write."""
    actor = require_actor()
    user_box(actor)
    editing.show_flash()
    st.subheader("緊急連絡表")
    area = choose_area(actor, "町内・地区", "sheet-area")
    if area is None:
        return
    with db.transaction(db.get_engine()) as session:
        sheet = contact_sheet(session, actor, area.id)
    _table(sheet)
    _pdf(actor, sheet)
    if access.may_edit_contact_sheet(actor):
        _edit(actor, sheet)


def _table(sheet: ContactSheet) -> None:
    rows = []
    for category, title in CONTACT_SHEET_CATEGORIES.items():
        lines = sheet.of(category)
        if not lines:
            rows.append((title, "（未登録）", "", ""))
        rows += [(title, line.name, line.phone, SOURCES[line.source]) for line in lines]
    st.dataframe(
        pd.DataFrame(rows, columns=["連絡先", "氏名・名称", "電話", "出どころ"]),
        hide_index=True,
        use_container_width=True,
    )


def _pdf(actor: Actor, sheet: ContactSheet) -> None:
    key = downloads.file_key(actor, "contact_sheet", sheet)
    if st.button("緊急連絡表（PDF）を作る", key="sheet-make"):
        with db.transaction(db.get_engine()) as session:
            made = contact_sheet_pdf(session, actor, sheet.district_id, meeting_work.local_today())
        downloads.keep(SLOT, key, made)
    data = downloads.kept(SLOT, key)
    if data is not None:
        downloads.download_button(
            actor,
            "緊急連絡表（PDF）をダウンロード",
            data,
            file_name=f"緊急連絡表_{sheet.district_name}.pdf",
            mime="application/pdf",
            what="contact_sheet",
            entity=Entity.CONTACT_SHEET,
            ids=[sheet.district_id],
            key="sheet-download",
            then_drop=SLOT,
        )


def _edit(actor: Actor, sheet: ContactSheet) -> None:
    st.markdown("#### 職員が記入する")
    st.caption(
        "記入した区分は記録から埋めた行の代わりに印刷されます。行をすべて消すと記録からの行に戻ります。"
    )
    category = st.selectbox(
        "区分",
        list(CONTACT_SHEET_CATEGORIES),
        key="sheet-category",
        format_func=lambda c: CONTACT_SHEET_CATEGORIES[c],
    )
    written = [line for line in sheet.of(category) if line.source == "written"]
    frame = pd.DataFrame(
        [(line.name, line.phone, line.note) for line in written],
        columns=["氏名・名称", "電話", "備考"],
    )
    edited = st.data_editor(
        frame,
        num_rows="dynamic",
        hide_index=True,
        use_container_width=True,
        key=f"sheet-editor-{sheet.district_id}-{category}",
    )
    if st.button("この区分を保存", key="sheet-save", type="primary"):
        lines = [
            {"name": row["氏名・名称"] or "", "phone": row["電話"] or "", "note": row["備考"] or ""}
            for _, row in edited.iterrows()
        ]
        saved = editing.attempt(
            lambda: _save(actor, sheet.district_id, category, lines),
        )
        if saved is not None:
            editing.flash(f"「{CONTACT_SHEET_CATEGORIES[category]}」を保存しました")
            st.rerun()


def _save(actor: Actor, district_id: int, category: str, lines: list[dict[str, str]]) -> bool:
    meeting_work.save_contact_lines(db.get_engine(), actor, district_id, category, lines)
    return True
