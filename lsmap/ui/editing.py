"""Shared pieces of the editing pages: loaded snapshots, saving, and explaining refusals.

A form remembers the snapshot (values and ``version``) it was filled from; a save hands
both to :mod:`lsmap.records.writes`, so a save over someone else's newer change is refused and the
user's input stays in the form. Pages only parse input, call these and render.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from lsmap import access, records
from lsmap.access import Actor
from lsmap.escape import markdown_text
from lsmap.records.validation import label_of
from lsmap.storage import db

_SNAPSHOTS = "_edit_snapshots"
_FLASH = "_edit_flash"
_CONFIRM = "_edit_confirm"


def snapshot(
    actor: Actor, entity: str, record_id: int, fresh: dict[str, Any] | None = None
) -> dict[str, Any]:
    """The values this session loaded for a record (loaded now if not yet remembered)."""
    store: dict[str, dict[str, Any]] = st.session_state.setdefault(_SNAPSHOTS, {})
    key = f"{entity}:{record_id}"
    if key not in store:
        if fresh is None:
            with db.transaction(db.get_engine()) as session:
                fresh = access.edit_snapshot(session, actor, entity, record_id)
        store[key] = fresh
    return store[key]


def forget(entity: str, record_id: int) -> None:
    """Drop the remembered snapshot and the form's widget values (reload from the DB)."""
    st.session_state.setdefault(_SNAPSHOTS, {}).pop(f"{entity}:{record_id}", None)
    prefix = widget_prefix(entity, record_id)
    for key in [k for k in st.session_state if isinstance(k, str) and k.startswith(prefix)]:
        del st.session_state[key]


def widget_prefix(entity: str, record_id: int | str) -> str:
    """Prefix of the widget keys of one record's form."""
    return f"f-{entity}-{record_id}-"


def flash(text: str) -> None:
    """Show ``text`` as a success message after the next rerun."""
    st.session_state[_FLASH] = text


def show_flash() -> None:
    """Show and clear the pending success message."""
    if text := st.session_state.pop(_FLASH, None):
        st.success(text)


def attempt(action: Callable[[], Any], *, stale_key: tuple[str, int] | None = None) -> Any | None:
    """Run a write; on refusal explain it in Japanese and return None (nothing was saved)."""
    try:
        return action()
    except records.ValidationFailed as failed:
        st.error(
            "保存できませんでした。次の項目を直してください。\n\n"
            + "\n".join(f"- {markdown_text(text)}" for _, text in failed.errors)
        )
    except records.StaleRecord as stale:
        st.error(markdown_text(stale.message))
        if stale.current is not None and stale.changed:
            rows = {
                label_of(f): markdown_text(stale.current.get(f, ""))
                for f in stale.changed
                if f in stale.current
            }
            st.caption("保存されている最新の内容（変更された項目）")
            st.table({"項目": list(rows), "最新の値": list(rows.values())})
        if stale_key is not None:
            entity, record_id = stale_key
            if st.button("入力を捨てて最新の内容を読み込む", key=f"reload-{entity}-{record_id}"):
                forget(entity, record_id)
                st.rerun()
    except records.RecordError as refused:
        st.error(markdown_text(refused.message))
    except access.AccessDenied as denied:
        st.error(markdown_text(denied.message))
    return None


def save(
    actor: Actor,
    entity: str,
    record_id: int,
    values: dict[str, Any],
    loaded: dict[str, Any],
    done: str,
) -> bool:
    """Update one record from its form; True when saved (the form is then reloaded)."""
    result = attempt(
        lambda: records.update(
            db.get_engine(),
            actor,
            entity,
            record_id,
            values,
            version=loaded["version"],
            loaded=loaded,
        ),
        stale_key=(entity, record_id),
    )
    if result is None:
        return False
    forget(entity, record_id)
    flash(done)
    return True


def remove(actor: Actor, entity: str, record_id: int, loaded: dict[str, Any], done: str) -> bool:
    """Soft-delete one record; True when deleted."""

    def delete() -> bool:
        records.delete(
            db.get_engine(), actor, entity, record_id, version=loaded["version"], loaded=loaded
        )
        return True

    result = attempt(delete, stale_key=(entity, record_id))
    if result is None:
        return False
    forget(entity, record_id)
    flash(done)
    return True


def confirmed(key: str, verb: str, what: str) -> bool:
    """A destructive button that asks first and says what will happen: True once
    「はい、{verb}」 is pressed (「やめる」 takes the question back)."""
    if st.session_state.get(_CONFIRM) != key:
        if st.button(verb, key=f"ask-{key}"):
            st.session_state[_CONFIRM] = key
            st.rerun()
        return False
    st.warning(what)
    left, right = st.columns(2)
    if right.button("やめる", key=f"no-{key}"):
        st.session_state.pop(_CONFIRM, None)
        st.rerun()
    if left.button(f"はい、{verb}", type="primary", key=f"yes-{key}"):
        st.session_state.pop(_CONFIRM, None)
        return True
    return False
