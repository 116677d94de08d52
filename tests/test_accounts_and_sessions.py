"""Accounts: hashed passwords, lockout, idle timeout, disable, reassignment; the CLI for them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from conftest import CliResult
from helpers import app_login
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest

from lsmap.access import accounts
from lsmap.storage import db
from lsmap.storage.models import LoginSession, User, utcnow


@pytest.fixture
def town(writable_sample_engine: Engine) -> Engine:
    return writable_sample_engine


def test_passwords_are_stored_as_argon2_hashes(town: Engine) -> None:
    with Session(town) as session:
        user = session.scalar(select(User).where(User.username == "staff_east"))
        assert user.password_hash.startswith("$argon2id$")
        assert accounts.DEMO_PASSWORD not in user.password_hash


def test_lockout_after_repeated_failures(town: Engine) -> None:
    with db.transaction(town) as session:
        for _ in range(accounts.MAX_FAILED_LOGINS):
            with pytest.raises(accounts.AccountError, match="パスワードが違います"):
                accounts.authenticate(session, "staff_east", "wrong")
    # Locked: even the right password is refused, with the same message as a wrong one
    # (a lock tells an attacker the name exists).
    with (
        db.transaction(town) as session,
        pytest.raises(accounts.AccountError, match="^ユーザー名またはパスワードが違います$"),
    ):
        accounts.authenticate(session, "staff_east", accounts.DEMO_PASSWORD)
    with db.transaction(town) as session:  # the lock expires
        user = session.scalar(select(User).where(User.username == "staff_east"))
        user.locked_until = utcnow() - timedelta(seconds=1)
    with db.transaction(town) as session:
        assert (
            accounts.authenticate(session, "staff_east", accounts.DEMO_PASSWORD).username
            == "staff_east"
        )


def test_unknown_user_gets_the_same_message(town: Engine) -> None:
    with db.transaction(town) as session, pytest.raises(accounts.AccountError) as error:
        accounts.authenticate(session, "nobody", "whatever")
    assert str(error.value) == "ユーザー名またはパスワードが違います"


def test_idle_session_times_out_and_only_the_hash_is_stored(town: Engine) -> None:
    with db.transaction(town) as session:
        user = session.scalar(select(User).where(User.username == "staff_east"))
        token = accounts.start_session(session, user)
    with db.transaction(town) as session:
        assert accounts.resume_session(session, token, 30) is not None
        stored = session.scalars(select(LoginSession.token_hash)).all()
        assert token not in stored and len(stored) == 1
        session.scalars(select(LoginSession)).one().last_seen_at = utcnow() - timedelta(minutes=31)
    with db.transaction(town) as session:
        assert accounts.resume_session(session, token, 30) is None
    with db.transaction(town) as session:
        assert session.scalars(select(LoginSession)).all() == []


def test_disabling_a_user_ends_their_sessions(town: Engine) -> None:
    with db.transaction(town) as session:
        token = accounts.start_session(
            session, session.scalar(select(User).where(User.username == "staff_west"))
        )
    with db.transaction(town) as session:
        accounts.set_active(session, "staff_west", False)
    with db.transaction(town) as session:
        assert accounts.resume_session(session, token, 30) is None
        with pytest.raises(accounts.AccountError):
            accounts.authenticate(session, "staff_west", accounts.DEMO_PASSWORD)


def test_reassignment_takes_effect_on_the_next_page_load(
    town: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LSMAP_DATABASE_URL", town.url.render_as_string(hide_password=False))
    at = AppTest.from_file("../app.py", default_timeout=60)
    at.run()
    app_login(at, "staff_east", accounts.DEMO_PASSWORD)
    assert any("東地区" in o for o in at.sidebar.selectbox[0].options)
    with db.transaction(town) as session:
        accounts.assign_districts(session, "staff_east", ["149990-02"])
    at.run()  # the next page load
    options = at.sidebar.selectbox[0].options
    assert any("西地区" in o for o in options) and not any("東地区" in o for o in options)
    with db.transaction(town) as session:
        accounts.set_active(session, "staff_east", False)
    at.run()
    assert [t.label for t in at.text_input] == [
        "ユーザー名",
        "パスワード",
        "ワンタイムコード（12桁の数字）",
    ]


def test_users_cli_disable_enable_assign(empty_url: str, lsmap: Callable[..., CliResult]) -> None:
    assert lsmap(empty_url, "sample", "load").returncode == 0
    assert lsmap(empty_url, "users", "disable", "staff_west").returncode == 0
    assert "staff_west\t地区担当職員\t149990-02\t無効" in lsmap(empty_url, "users", "list").stdout
    assert lsmap(empty_url, "users", "enable", "staff_west").returncode == 0
    assigned = lsmap(
        empty_url,
        "users",
        "assign",
        "staff_west",
        "--district",
        "149990-03",
        "--district",
        "149990-01",
    )
    assert assigned.returncode == 0, assigned.stderr
    assert (
        "staff_west\t地区担当職員\t149990-01,149990-03\t有効"
        in lsmap(empty_url, "users", "list").stdout
    )
    missing = lsmap(empty_url, "users", "disable", "ghost")
    assert missing.returncode == 1 and "ghost" in missing.stderr


def test_audit_cli_exports_csv_since_a_date(
    empty_url: str, lsmap: Callable[..., CliResult]
) -> None:
    assert lsmap(empty_url, "sample", "load").returncode == 0
    out = lsmap(empty_url, "audit", "--since", "2020-01-01", "--format", "csv")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0] == "id,at,username,role,action,entity,entity_ids,detail"
    assert any(",sample_load," in line for line in lines)
    future = lsmap(empty_url, "audit", "--since", "2999-01-01", "--format", "csv")
    assert future.stdout.splitlines() == [lines[0]]
    bad = lsmap(empty_url, "audit", "--since", "yesterday")
    assert bad.returncode == 2 and "YYYY-MM-DD" in bad.stderr


def test_oidc_identity_maps_to_an_lsmap_user_by_email(town: Engine) -> None:
    with db.transaction(town) as session:
        accounts.create_user(
            session, "Sato.Keiko@shakyo.example.jp", "staff", "long-enough-pw", ["149990-03"]
        )
    with db.transaction(town) as session:
        user = accounts.user_for_identity(session, "sato.keiko@SHAKYO.example.jp")
        assert (user.role, [d.code for d in user.districts]) == ("staff", ["149990-03"])
        with pytest.raises(accounts.AccountError, match="登録されていない"):
            accounts.user_for_identity(session, "stranger@example.jp")
        with pytest.raises(accounts.AccountError, match="メールアドレスがありません"):
            accounts.user_for_identity(session, None)
        accounts.set_active(session, "Sato.Keiko@shakyo.example.jp", False)
    with db.transaction(town) as session, pytest.raises(accounts.AccountError):
        accounts.user_for_identity(session, "sato.keiko@shakyo.example.jp")


def test_oidc_mode_login_page_offers_only_the_identity_provider(
    town: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LSMAP_DATABASE_URL", town.url.render_as_string(hide_password=False))
    monkeypatch.setenv("LSMAP_AUTH", "oidc")
    at = AppTest.from_file("../app.py", default_timeout=60)
    at.run()
    assert [b.label for b in at.button] == ["組織のアカウントでログイン"]
    assert list(at.text_input) == []  # no password form: roles never come from the browser
    at.button[0].click().run()
    assert "OIDC ログインが設定されていません" in at.error[0].value
