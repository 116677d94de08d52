"""The search box in every signed-in page's sidebar (issue 12): 世帯番号, 氏名, ふりがな,
住所 or 電話 → a short list → the record. Staff and admin only, within their districts
(:func:`lsmap.access.search_households` decides and audits)."""

from __future__ import annotations

import streamlit as st

from lsmap import access
from lsmap.access import Actor, SearchHit
from lsmap.escape import markdown_text
from lsmap.storage import db
from lsmap.ui.links import go

QUERY_KEY = "search-query"
HITS_KEY = "search-hits"


def hit_label(hit: SearchHit) -> str:
    """One result line: number, names, district (escaped for a button's Markdown)."""
    names = "・".join(hit.names) or "（氏名未登録）"
    return markdown_text(f"No.{hit.number} {names}（{hit.district_name}）")


def _hits(actor: Actor, query: str) -> list[SearchHit]:
    """The results of ``query``, searched (and audited) once per new query text."""
    cached = st.session_state.get(HITS_KEY)
    if cached is not None and cached[0] == (actor.user_id, query):
        return list(cached[1])
    with db.transaction(db.get_engine()) as session:
        hits = access.search_households(session, actor, query)
    st.session_state[HITS_KEY] = ((actor.user_id, query), hits)
    return hits


def search_box(actor: Actor) -> None:
    """Draw the search box and its results (in the caller's sidebar context)."""
    if not access.may_search(actor):
        return
    query = st.text_input(
        "世帯をさがす",
        key=QUERY_KEY,
        placeholder="番号・氏名・ふりがな・住所・電話",
        help="世帯番号、氏名、ふりがな（ひらがな・カタカナ）、住所、電話番号で担当地区の世帯をさがします",
    ).strip()
    if not query:
        return
    hits = _hits(actor, query)
    if not hits:
        st.caption("見つかりませんでした（担当地区の世帯のみ）。")
        return
    st.caption(f"{len(hits)} 件（{'・'.join(sorted({h.matched for h in hits}))}で一致）")
    for hit in hits:
        if st.button(hit_label(hit), key=f"search-hit-{hit.household_id}"):
            go("record", household=str(hit.household_id))
