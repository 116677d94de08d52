"""PDF buttons: the 見守りネットワーク記録用紙 and the 緊急連絡カード of one household."""

from __future__ import annotations

import streamlit as st

from lsmap import access, printing
from lsmap.access import Actor
from lsmap.storage import db
from lsmap.ui import downloads

_SLOT = "printed_pdf"


def print_buttons(actor: Actor, household_id: int, made_from: object) -> None:
    """Make a PDF on request (audited as print) and offer it for download (audited too).

    ``made_from`` is the record as shown now: a PDF made from other data, or for another
    user, is not offered.
    """
    documents = {
        "watch_record": ("見守りネットワーク記録用紙（PDF）", printing.watch_record_pdf),
        "emergency_card": ("緊急連絡カード（PDF）", printing.emergency_card_pdf),
    }
    columns = st.columns(len(documents))
    for column, (kind, (title, build)) in zip(columns, documents.items(), strict=True):
        key = downloads.file_key(actor, kind, household_id, made_from)
        with column:
            if (made := downloads.kept(_SLOT, key)) is not None:
                downloads.download_button(
                    actor,
                    f"{title}をダウンロード",
                    made,
                    file_name=f"{kind}_{household_id}.pdf",
                    mime="application/pdf",
                    what=kind,
                    entity="household",
                    ids=[household_id],
                    key=f"download-{kind}-{household_id}",
                )
            elif st.button(f"{title}を作成", key=f"make-{kind}-{household_id}"):
                try:
                    with db.transaction(db.get_engine()) as session:
                        data = build(session, actor, household_id)
                except (access.AccessDenied, printing.FontMissing) as error:
                    st.error(getattr(error, "message", str(error)))
                else:
                    # Held only in this user's tab state (never in a shared cache).
                    downloads.keep(_SLOT, key, data)
                    st.rerun()
