"""What the audit trail must hold (issue 10): failed sign-ins and lockouts, refused record
and edit probes, views of the work lists, and every file download with who received it."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from conftest import actor_for
from helpers import _page_script, open_page
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest

from lsmap import access, records
from lsmap.access import Actor, accounts
from lsmap.storage import audit, db
from lsmap.storage.models import AuditEntry
from lsmap.ui import session as ui_session
from lsmap.vocab import AuditAction

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def town(writable_sample_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Engine:
    monkeypatch.setenv("LSMAP_DATABASE_URL", _url(writable_sample_engine))
    return writable_sample_engine


def _url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def _actor(engine: Engine, username: str) -> Actor:
    with Session(engine) as session:
        return actor_for(session, username)


def _entries(engine: Engine, action: str) -> list[AuditEntry]:
    with Session(engine) as session:
        found = list(
            session.scalars(
                select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
            )
        )
        session.expunge_all()
        return found


def _east_household(engine: Engine) -> int:
    with Session(engine) as session:
        return access.household_points(session, actor_for(session, "staff_east"), None)[0].id


def test_failed_logins_and_the_lockout_are_audited_under_the_name_typed(town: Engine) -> None:
    ui_session.sign_in("no-such-person", "secret-typed-1")
    for number in range(accounts.MAX_FAILED_LOGINS):
        ui_session.sign_in("staff_east", f"secret-typed-{number + 2}")
    failed = _entries(town, "login_failed")
    assert [(e.username, e.detail["reason"]) for e in failed] == [
        ("no-such-person", "unknown_user"),
        *[("staff_east", "wrong_password")] * accounts.MAX_FAILED_LOGINS,
    ]
    assert [e.username for e in _entries(town, "account_locked")] == ["staff_east"]
    ui_session.sign_in(
        "staff_east", accounts.DEMO_PASSWORD
    )  # refused while locked: audited as such
    assert _entries(town, "login_failed")[-1].detail["reason"] == "locked"
    with Session(town) as session:
        everything = repr([(e.username, e.detail) for e in session.scalars(select(AuditEntry))])
    assert "secret-typed" not in everything and accounts.DEMO_PASSWORD not in everything


def _page_with_query(
    page: str, actor: Actor, engine: Engine, monkeypatch: pytest.MonkeyPatch, **query: str
) -> AppTest:
    monkeypatch.setenv("LSMAP_DATABASE_URL", _url(engine))
    monkeypatch.setenv("LSMAP_BASEMAP", "none")
    at = AppTest.from_function(_page_script, default_timeout=120, args=(page, "url_path"))
    at.session_state["_test_actor"] = actor
    at.query_params.update(query)
    return at.run()


@pytest.mark.parametrize("page, purpose", [("record", "view"), ("record_edit", "edit")])
def test_a_refused_record_probe_is_audited(
    town: Engine, monkeypatch: pytest.MonkeyPatch, page: str, purpose: str
) -> None:
    household = _east_household(town)
    at = _page_with_query(
        page, _actor(town, "staff_west"), town, monkeypatch, household=str(household)
    )
    assert not at.exception, at.exception
    assert (
        "見る権限がありません" in at.error[0].value
        or "編集する権限がありません" in at.error[0].value
    )
    denied = _entries(town, "access_denied")
    assert [(e.username, e.entity, e.entity_ids, e.detail) for e in denied] == [
        ("staff_west", "household", [household], {"purpose": purpose})
    ]


def test_a_refused_edit_snapshot_is_audited_even_when_the_error_rolls_back(town: Engine) -> None:
    household = _east_household(town)
    west = _actor(town, "staff_west")
    with pytest.raises(access.AccessDenied), db.transaction(town) as session:
        access.edit_snapshot(session, west, "household", household)
    with (
        pytest.raises(access.AccessDenied),
        db.transaction(town) as session,
    ):  # planners may not read at all
        access.watch_record(session, _actor(town, "planner"), household)
    assert [
        (e.username, e.entity_ids, e.detail["purpose"]) for e in _entries(town, "access_denied")
    ] == [("staff_west", [household], "edit"), ("planner", [household], "view")]


@pytest.mark.parametrize(
    "page, action",
    [("start", "view_start"), ("watchers", "view_watchers"), ("deleted", "view_deleted")],
)
def test_opening_the_work_lists_is_audited(
    town: Engine, monkeypatch: pytest.MonkeyPatch, page: str, action: str
) -> None:
    staff = _actor(town, "staff_east")
    if page == "deleted":  # something to list
        household = _east_household(town)
        with Session(town) as session:
            version = access.edit_snapshot(session, staff, "household", household)["version"]
        records.delete(town, staff, "household", household, version=version)
    at = open_page(page, staff, _url(town), monkeypatch)
    assert not at.exception, at.exception
    [entry] = _entries(town, action)
    assert entry.username == "staff_east"
    if page == "deleted":
        assert entry.detail["records"] == {"household": [_deleted_household(town)]}
    else:
        assert entry.entity_ids


def _deleted_household(engine: Engine) -> int:
    with Session(engine) as session:
        return access.deleted_records(session, actor_for(session, "staff_east"))[0]["id"]


def test_an_export_download_is_audited_for_the_user_who_receives_it(
    town: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = open_page("export", _actor(town, "meeting_east"), _url(town), monkeypatch)
    at.selectbox(key="exp_layer").set_value("households").run()
    at.selectbox(key="exp_format").set_value("csv").run()
    at.button(key="exp_make").click().run()
    assert _entries(town, "download") == []  # made, not yet taken
    at.download_button(key="exp_download").click().run()
    assert not at.exception, at.exception
    [entry] = _entries(town, "download")
    assert (entry.username, entry.role, entry.detail) == (
        "meeting_east",
        "meeting",
        {"file": "export:households", "file_name": "lsmap_households.csv"},
    )


def _action_name(argument: ast.expr) -> str | None:
    """The action an argument names: a literal, or a member of ``AuditAction``."""
    if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
        return argument.value
    if (
        isinstance(argument, ast.Attribute)
        and isinstance(argument.value, ast.Name)
        and argument.value.id == "AuditAction"
    ):
        return str(AuditAction[argument.attr])
    return None


def _audited_actions() -> set[str]:
    """Every action written with a literal name or an ``AuditAction`` member anywhere in lsmap
    (audit.log, log_attempt, or an AuditEntry made directly)."""
    found: set[str] = set()
    for path in (ROOT / "lsmap").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = ast.unparse(node.func)
            if (
                name in ("log", "log_attempt", "audit.log", "audit.log_attempt")
                and len(node.args) >= 3
            ):
                found.add(_action_name(node.args[2]) or "")
            if name.endswith("AuditEntry"):
                found |= {_action_name(k.value) or "" for k in node.keywords if k.arg == "action"}
    return found - {""}


def test_every_audited_action_has_a_japanese_label() -> None:
    actions = _audited_actions()
    assert {"login_failed", "account_locked", "access_denied", "download", "view_start"} <= actions
    assert actions - set(audit.ACTION_LABELS) == set()
    assert all(re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", audit.ACTION_LABELS[a]) for a in actions)
