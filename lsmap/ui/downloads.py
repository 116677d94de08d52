"""Files made for download: kept for one user and the exact data they were made from, and
every download audited for the user who receives it.

A made file lives only in this tab's ``st.session_state`` (never in a shared cache); the tab's
state is wiped when the user changes (``lsmap.ui.session.hand_over_state``), and a file is
offered again only while its key (user id, what it was made from) still matches.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from typing import Any

import streamlit as st

from lsmap.access import Actor
from lsmap.storage import audit, db
from lsmap.vocab import AuditAction

_PREFIX = "_file:"


def file_key(actor: Actor, *made_from: object) -> str:
    """A key naming the user and what a file is made from (data as read now, options)."""
    return hashlib.sha256(repr((actor.user_id, made_from)).encode()).hexdigest()


def keep(slot: str, key: str, data: bytes) -> None:
    """Hold ``data`` in this tab's state under ``slot`` (one file per slot), made for ``key``."""
    st.session_state[_PREFIX + slot] = (key, data)


def kept(slot: str, key: str) -> bytes | None:
    """The file held in ``slot`` if it was made for ``key``; None otherwise."""
    held = st.session_state.get(_PREFIX + slot)
    return held[1] if held is not None and held[0] == key else None


def drop(slot: str) -> None:
    """Forget the file held in ``slot``."""
    st.session_state.pop(_PREFIX + slot, None)


def download_button(
    actor: Actor,
    label: str,
    data: bytes | str,
    *,
    file_name: str,
    mime: str,
    what: str,
    entity: str = "",
    ids: Iterable[int] = (),
    key: str | None = None,
    then_drop: str | None = None,
    **options: Any,
) -> None:
    """``st.download_button`` whose click is audited as ``download`` by ``actor``.

    ``actor`` is the user the button is shown to, who receives the file; ``what`` names the
    kind of file (never its contents). ``then_drop`` forgets that slot's file once taken.
    """
    st.download_button(
        label,
        data,
        file_name=file_name,
        mime=mime,
        key=key,
        on_click=_log_download,
        args=(actor, what, entity, tuple(ids), file_name, then_drop),
        **options,
    )


def made_on_click(
    actor: Actor,
    label: str,
    build: Callable[[Actor], bytes],
    *,
    file_name: str,
    mime: str,
    what: str,
    entity: str = "",
    ids: Iterable[int] = (),
    key: str | None = None,
) -> None:
    """One click, one file: ``st.download_button`` whose bytes ``build(actor)`` makes only
    when this user clicks (fresh data, for ``actor`` alone; nothing is kept in the tab's
    state or any cache). The click is audited as ``download`` like :func:`download_button`.
    """
    st.download_button(
        label,
        data=lambda: build(actor),
        file_name=file_name,
        mime=mime,
        key=key,
        on_click=_log_download,
        args=(actor, what, entity, tuple(ids), file_name, None),
    )


def _log_download(
    actor: Actor,
    what: str,
    entity: str,
    ids: tuple[int, ...],
    file_name: str,
    then_drop: str | None,
) -> None:
    with db.transaction(db.get_engine()) as session:
        audit.log(session, actor, AuditAction.DOWNLOAD, entity, ids, file=what, file_name=file_name)
    if then_drop is not None:
        drop(then_drop)
