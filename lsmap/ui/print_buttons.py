"""PDF buttons: the 見守りネットワーク記録用紙 and the 緊急連絡カード of one household.

One click downloads the PDF: it is made when clicked, for the user who clicks, from the
record as it is then (audited as ``print`` and the click as ``download``); nothing is held
in the tab's state, so nothing is left for the next user of the browser.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

import streamlit as st
from sqlalchemy.orm import Session

from lsmap import printing
from lsmap.access import Actor
from lsmap.storage import db
from lsmap.ui import downloads

Builder = Callable[[Session, Actor, int], bytes]


def _made(build: Builder, household_id: int, actor: Actor) -> bytes:
    """The PDF for ``actor``, made now in its own transaction (its print is audited)."""
    with db.transaction(db.get_engine()) as session:
        return build(session, actor, household_id)


def print_buttons(actor: Actor, household_id: int, made_from: object = None) -> None:
    """One download button per printout of the household (the PDF is made on the click).

    ``made_from`` (the record as shown) is kept for callers; the PDF is always made from
    the record as it is at the click.
    """
    try:
        printing.japanese_font_path()
    except printing.FontMissing as missing:
        st.error(str(missing))
        return
    documents: dict[str, tuple[str, Builder]] = {
        "watch_record": ("見守りネットワーク記録用紙（PDF）", printing.watch_record_pdf),
        "emergency_card": ("緊急連絡カード（PDF）", printing.emergency_card_pdf),
    }
    columns = st.columns(len(documents))
    for column, (kind, (title, build)) in zip(columns, documents.items(), strict=True):
        with column:
            downloads.made_on_click(
                actor,
                f"{title}をダウンロード",
                partial(_made, build, household_id),
                file_name=f"{kind}_{household_id}.pdf",
                mime="application/pdf",
                what=kind,
                entity="household",
                ids=[household_id],
                key=f"download-{kind}-{household_id}",
            )
