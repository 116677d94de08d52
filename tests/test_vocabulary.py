"""Roles, entities and audit actions are one vocabulary with Japanese labels: the audit log
takes nothing outside it, and the audit page shows none of the stored English codes."""

from __future__ import annotations

import re

import pytest
from helpers import open_page
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from lsmap.access import accounts, load_actor
from lsmap.storage import audit
from lsmap.storage.models import Watcher
from lsmap.vocab import (
    AUDIT_ACTION_LABELS,
    ENTITY_LABELS,
    ROLES,
    AuditAction,
    Entity,
    Role,
)

JAPANESE = re.compile(r"[\u3040-\u30ff\u4e00-\u9fff]")


@pytest.mark.parametrize("vocabulary", [Role, Entity, AuditAction])
def test_every_member_has_a_japanese_label_and_stores_its_plain_code(vocabulary) -> None:  # type: ignore[no-untyped-def]
    for member in vocabulary:
        assert JAPANESE.search(member.label), member
        assert member == member.value and str(member) == member.value
        assert type(member.value) is str


def test_the_label_tables_are_the_vocabulary_and_nothing_else() -> None:
    assert set(ROLES) == set(Role)
    assert set(ENTITY_LABELS) == set(Entity)
    assert set(AUDIT_ACTION_LABELS) == set(AuditAction)
    assert {str(a): a.label for a in AuditAction} == audit.ACTION_LABELS
    assert list(audit.ACTION_LABELS) == [str(a) for a in AuditAction]  # the page's order


def test_the_audit_log_refuses_an_action_or_entity_outside_the_vocabulary(
    engine: Engine,
) -> None:
    with Session(engine) as session:
        with pytest.raises(ValueError):
            audit.log(session, None, "view_gap", "household")
        with pytest.raises(ValueError):
            audit.log(session, None, AuditAction.EXPORT, "coverage")
        with pytest.raises(ValueError):
            audit.log_attempt(session, "someone", "login_fail")
        audit.log(session, None, "view_gaps", Entity.HOUSEHOLD, [1])
        [entry] = session.new
        assert (entry.action, entry.entity) == ("view_gaps", "household")
        assert type(entry.action) is str and type(entry.entity) is str


def test_the_audit_page_shows_every_action_role_and_entity_in_japanese(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = engine.url.render_as_string(hide_password=False)
    with Session(engine) as session:
        watcher = Watcher(name="見守り 一郎", role="commissioner")  # a watcher account's row
        session.add(watcher)
        session.flush()
        users = {
            role: accounts.create_user(
                session,
                f"u_{role}",
                role,
                "password-123",
                watcher_id=watcher.id if role == Role.WATCHER else None,
            )
            for role in Role
        }
        entities = list(Entity)
        for index, action in enumerate(AuditAction):
            actor = load_actor(session, users[list(Role)[index % len(Role)]].id)
            audit.log(session, actor, action, entities[index % len(entities)], [index])
        session.commit()
        admin = load_actor(session, users[Role.ADMIN].id)
    at = open_page("audit", admin, url, monkeypatch)
    assert not at.exception, at.exception
    table = at.dataframe[0].value
    assert set(table["操作"]) >= {a.label for a in AuditAction}
    assert set(table["役割"]) == {r.label for r in Role}
    assert set(table["対象"]) == {e.label for e in Entity}
    codes = {str(m) for vocabulary in (Role, Entity, AuditAction) for m in vocabulary}
    shown = {*table["操作"], *table["役割"], *table["対象"]}
    assert not shown & codes, shown & codes
    assert all(JAPANESE.search(text) for text in shown)
