"""The users page (issue 12): administrators add accounts, change role and districts, reset
passwords, disable and enable; every change is audited, versioned and refused when it would
lock the council out (oneself, the last administrator) or leave a district role without
districts. The page itself runs in AppTest and asks before disabling."""

from __future__ import annotations

import pytest
from helpers import open_page
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from lsmap import access
from lsmap.access import AccessDenied, Actor, accounts, command_line_actor, load_actor, user_admin
from lsmap.records import RecordError, users
from lsmap.storage import db
from lsmap.storage.models import AuditEntry, District, LoginSession, User
from lsmap.vocab import AuditAction, Entity, Role

PASSWORD = "correct-horse-1"


def _setup(engine: Engine) -> tuple[Actor, int, int]:
    """An administrator, a staff member, and the district 東地区 (id)."""
    with db.transaction(engine) as session:
        east = District(code="T-01", name="東地区", level="地区")
        session.add(east)
        session.flush()
        admin = accounts.create_user(session, "boss", Role.ADMIN, PASSWORD)
        staff = accounts.create_user(session, "sato", Role.STAFF, PASSWORD, ["T-01"])
        ids = admin.id, staff.id, east.id
    with Session(engine) as session:
        actor = load_actor(session, ids[0])
    assert actor is not None
    return actor, ids[1], ids[2]


def _user(engine: Engine, user_id: int) -> User:
    with Session(engine, expire_on_commit=False) as session:
        user = session.get_one(User, user_id)
        _ = list(user.districts)
        return user


def _audits(engine: Engine) -> list[tuple[str, str, list[int], dict]]:
    with Session(engine) as session:
        return [
            (e.action, e.entity, e.entity_ids, e.detail)
            for e in session.scalars(
                select(AuditEntry).where(AuditEntry.entity == Entity.USER).order_by(AuditEntry.id)
            )
        ]


def test_add_change_reset_disable_enable_each_audited(engine: Engine) -> None:
    admin, staff_id, east = _setup(engine)
    new_id = users.add_user(engine, admin, " tanaka ", Role.MEETING, PASSWORD, [east], "田中")
    created = _user(engine, new_id)
    assert (created.username, created.display_name, created.role) == ("tanaka", "田中", "meeting")
    assert [d.id for d in created.districts] == [east]
    assert accounts.verify_login(engine, "tanaka", PASSWORD) == new_id

    version = users.assign(engine, admin, new_id, Role.PLANNER, [east], version=created.version)
    changed = _user(engine, new_id)
    assert changed.role == "planner" and changed.districts == []  # whole-town role: none
    assert version == changed.version > created.version

    with db.transaction(engine) as session:  # tanaka is signed in somewhere
        accounts.start_session(session, session.get_one(User, new_id))
    version = users.reset_password(engine, admin, new_id, "a-new-secret", version=version)
    with Session(engine) as session:
        assert (
            session.scalars(select(LoginSession).where(LoginSession.user_id == new_id)).all() == []
        )
    assert accounts.verify_login(engine, "tanaka", "a-new-secret") == new_id
    with pytest.raises(accounts.AccountError):
        accounts.verify_login(engine, "tanaka", PASSWORD)

    version = users.set_active(engine, admin, new_id, False, version=version)
    with pytest.raises(accounts.AccountError):
        accounts.verify_login(engine, "tanaka", "a-new-secret")
    users.set_active(engine, admin, new_id, True, version=version)
    assert accounts.verify_login(engine, "tanaka", "a-new-secret") == new_id

    changes = [
        (a, ids, d.get("fields")) for a, _, ids, d in _audits(engine) if a in ("create", "update")
    ]
    assert changes == [
        ("create", [new_id], ["username", "display_name", "role", "districts", "password"]),
        ("update", [new_id], ["role", "districts"]),
        ("update", [new_id], ["password"]),
        ("update", [new_id], ["active"]),
        ("update", [new_id], ["active"]),
    ]
    # the audit log never holds a password or its hash
    with Session(engine) as session:
        logged = str([(e.detail, e.entity_ids) for e in session.scalars(select(AuditEntry))])
    assert "a-new-secret" not in logged and "argon2" not in logged and staff_id


def test_an_admin_cannot_lock_the_council_out(engine: Engine) -> None:
    admin, staff_id, east = _setup(engine)
    version = _user(engine, admin.user_id).version
    with pytest.raises(RecordError, match="自分のアカウントは無効にできません"):
        users.set_active(engine, admin, admin.user_id, False, version=version)
    with pytest.raises(RecordError, match="自分の役割"):
        users.assign(engine, admin, admin.user_id, Role.STAFF, [east], version=version)
    # another administrator may disable one of two; nobody may disable or demote the last
    second = users.add_user(engine, admin, "deputy", Role.ADMIN, PASSWORD)
    with Session(engine) as session:
        deputy = load_actor(session, second)
    assert deputy is not None
    users.set_active(engine, deputy, admin.user_id, False, version=version)  # two admins: fine
    cli = command_line_actor()  # acts without an account of its own
    deputy_version = _user(engine, second).version
    with pytest.raises(RecordError, match="最後の管理者"):
        users.set_active(engine, cli, second, False, version=deputy_version)
    with pytest.raises(RecordError, match="最後の管理者"):
        users.assign(engine, cli, second, Role.STAFF, [east], version=deputy_version)
    assert _user(engine, second).role == "admin" and _user(engine, second).active


def test_district_roles_need_districts_and_bad_input_changes_nothing(engine: Engine) -> None:
    admin, staff_id, east = _setup(engine)
    before = _audits(engine)
    for name, role, password, districts, message in (
        ("new1", Role.STAFF, PASSWORD, [], "担当地区を1つ以上"),
        ("new2", Role.MEETING, PASSWORD, [east + 99], "地区が見つかりません"),
        ("new3", Role.STAFF, "short", [east], "8文字以上"),
        ("sato", Role.STAFF, PASSWORD, [east], "既に使われています"),
        ("  ", Role.STAFF, PASSWORD, [east], "ユーザー名を入力"),
    ):
        with pytest.raises(RecordError, match=message):
            users.add_user(engine, admin, name, role, password, districts)
    with Session(engine) as session:
        assert session.scalar(select(User.id).where(User.username.like("new%"))) is None
    staff = _user(engine, staff_id)
    with pytest.raises(RecordError, match="担当地区を1つ以上"):
        users.assign(engine, admin, staff_id, Role.STAFF, [], version=staff.version)
    assert _audits(engine) == before


def test_a_stale_version_is_refused(engine: Engine) -> None:
    admin, staff_id, east = _setup(engine)
    loaded = _user(engine, staff_id).version
    users.assign(engine, admin, staff_id, Role.MEETING, [east], version=loaded)
    with pytest.raises(RecordError, match="先にこのアカウントを変更しました"):
        users.set_active(engine, admin, staff_id, False, version=loaded)
    assert _user(engine, staff_id).active


def test_only_administrators_manage_users(engine: Engine) -> None:
    admin, staff_id, east = _setup(engine)
    with Session(engine) as session:
        staff = load_actor(session, staff_id)
        assert staff is not None
        with pytest.raises(AccessDenied):
            user_admin.user_accounts(session, staff)
        listed = user_admin.user_accounts(session, admin)
    assert [a.username for a in listed] == ["boss", "sato"]
    assert listed[1].district_names == ("東地区",) and listed[1].role is Role.STAFF
    assert not access.may_manage_users(staff) and access.may_manage_users(admin)
    with pytest.raises(AccessDenied):
        users.add_user(engine, staff, "x", Role.STAFF, PASSWORD, [east])
    with pytest.raises(AccessDenied):
        users.set_active(engine, staff, admin.user_id, False, version=1)


def _url(engine: Engine) -> str:
    """The URL of ``engine``'s database, for the app under test."""
    return engine.url.render_as_string(hide_password=False)


def _button(at, label: str):  # type: ignore[no-untyped-def]
    return next(b for b in at.button if b.label == label)


def test_users_page_lists_adds_and_asks_before_disabling(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin, staff_id, east = _setup(engine)
    at = open_page("users", admin, _url(engine), monkeypatch)
    assert not at.exception, at.exception
    table = at.dataframe[0].value
    assert list(table["ユーザー名"]) == ["boss", "sato"]
    assert list(table["役割"]) == ["管理者", "地区担当職員"] and table["担当地区"][1] == "東地区"

    form = [t for t in at.text_input if t.label.startswith("ユーザー名")][0]
    form.input("suzuki")
    next(t for t in at.text_input if t.label == "表示名").input("鈴木")
    next(m for m in at.multiselect if m.label == "担当地区").select(east)
    next(t for t in at.text_input if t.label.startswith("最初のパスワード")).input(PASSWORD)
    next(t for t in at.text_input if t.label == "パスワード（確認）").input(PASSWORD)
    _button(at, "利用者を追加する").click().run()
    assert not at.exception, at.exception
    assert any("「suzuki」を追加しました" in s.value for s in at.success)
    assert "suzuki" in list(at.dataframe[0].value["ユーザー名"])

    at.selectbox(key="users-chosen").select(staff_id).run()
    _button(at, "無効にする").click().run()
    assert any("すぐにログアウトされ" in w.value for w in at.warning)
    assert _user(engine, staff_id).active  # nothing happened yet
    _button(at, "はい、無効にする").click().run()
    assert not at.exception, at.exception
    assert not _user(engine, staff_id).active
    assert (
        list(at.dataframe[0].value["状態"])[list(at.dataframe[0].value["ユーザー名"]).index("sato")]
        == "無効"
    )
    assert (AuditAction.VIEW_USERS, Entity.USER) in {(a, e) for a, e, _, _ in _audits(engine)}


def test_users_page_refuses_other_roles(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    _, staff_id, _ = _setup(engine)
    with Session(engine) as session:
        staff = load_actor(session, staff_id)
    at = open_page("users", staff, _url(engine), monkeypatch)
    assert [e.value for e in at.error] == [user_admin.NOT_ALLOWED]
    assert not at.dataframe
