"""PDF buttons: the 見守りネットワーク記録用紙 and the 緊急連絡カード of one household."""

from __future__ import annotations

import streamlit as st

from lsmap import access, db, printing
from lsmap.access import Actor

_KEY = "_printed_pdf"


def print_buttons(actor: Actor, household_id: int) -> None:
    """Make a PDF on request (audited as print) and offer it for download."""
    documents = {
        "watch_record": ("見守りネットワーク記録用紙（PDF）", printing.watch_record_pdf),
        "emergency_card": ("緊急連絡カード（PDF）", printing.emergency_card_pdf),
    }
    columns = st.columns(len(documents))
    for column, (kind, (title, build)) in zip(columns, documents.items(), strict=True):
        with column:
            made = st.session_state.get(_KEY)
            if made and made[0] == (kind, household_id):
                st.download_button(
                    f"{title}をダウンロード", made[1], file_name=f"{kind}_{household_id}.pdf",
                    mime="application/pdf", key=f"download-{kind}-{household_id}",
                )
            elif st.button(f"{title}を作成", key=f"make-{kind}-{household_id}"):
                try:
                    with db.transaction(db.get_engine()) as session:
                        data = build(session, actor, household_id)
                except (access.AccessDenied, printing.FontMissing) as error:
                    st.error(getattr(error, "message", str(error)))
                else:
                    # Held only in this user's session (never in a shared cache).
                    st.session_state[_KEY] = ((kind, household_id), data)
                    st.rerun()
