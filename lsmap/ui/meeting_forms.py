"""Widgets shared by the pages of a 福祉連絡会's work (proposals, 会議の記録, 緊急連絡表):
the short id of the login session that the audit log records, and choosing an area."""

from __future__ import annotations

import hashlib

import streamlit as st

from lsmap import access
from lsmap.access import Actor
from lsmap.access.views import DistrictInfo
from lsmap.storage import db
from lsmap.vocab import DISTRICT_LEVELS


def login_session_id() -> str:
    """A short, non-secret id of this login session for the audit log (a prefix of the
    token's SHA-256, never the token)."""
    token = st.session_state.get("token") or ""
    return hashlib.sha256(str(token).encode()).hexdigest()[:12] if token else ""


def areas(actor: Actor, *, levels: tuple[str, ...] | None = None) -> list[DistrictInfo]:
    """The districts the actor may choose (optionally of some levels), in code order."""
    with db.transaction(db.get_engine()) as session:
        found = access.visible_districts(session, actor)
    return [d for d in found if levels is None or d.level in levels]


def choose_area(
    actor: Actor, label: str, key: str, *, levels: tuple[str, ...] | None = None
) -> DistrictInfo | None:
    """A select box of the actor's areas (町内 first when ``levels`` allows them)."""
    options = areas(actor, levels=levels)
    if not options:
        st.info("担当の町内・地区がありません")
        return None
    by_id = {d.id: d for d in options}
    chosen = st.selectbox(
        label,
        list(by_id),
        key=key,
        format_func=lambda i: f"{by_id[i].name}（{DISTRICT_LEVELS.get(by_id[i].level, '')}）",
    )
    return by_id.get(chosen) if chosen is not None else None
