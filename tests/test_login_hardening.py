"""Signing in under pressure (issue 10): parallel attempts, look-alike refusals, database
errors, OIDC idle expiry, the cookie, the absolute session limit, private files, sample mode."""

from __future__ import annotations

import os
import stat
import threading
import time
import tomllib
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import streamlit
from conftest import CliResult
from helpers import app_login
from sqlalchemy import Engine, func, select, update
from streamlit.testing.v1 import AppTest

from lsmap.access import accounts
from lsmap.storage import db
from lsmap.storage.models import AuditEntry, LoginSession, User, utcnow
from lsmap.ui import session as ui_session

ROOT = Path(__file__).resolve().parent.parent
REFUSED = "ユーザー名またはパスワードが違います"


@pytest.fixture
def town(writable_sample_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> Engine:
    monkeypatch.setenv(
        "LSMAP_DATABASE_URL", writable_sample_engine.url.render_as_string(hide_password=False)
    )
    monkeypatch.setenv("LSMAP_BASEMAP", "none")
    return writable_sample_engine


def _user(engine: Engine, username: str) -> User:
    with db.transaction(engine) as session:
        user = session.scalar(select(User).where(User.username == username))
        assert user is not None
        session.expunge(user)
        return user


def _actions(engine: Engine, action: str) -> list[AuditEntry]:
    with db.transaction(engine) as session:
        entries = list(
            session.scalars(
                select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)
            )
        )
        session.expunge_all()
        return entries


# ------------------------------------------------------------------ item 4: the lockout holds


def test_parallel_wrong_passwords_lock_the_account_and_nothing_escapes(town: Engine) -> None:
    start = threading.Barrier(12)
    answers: list[str | None] = []
    escaped: list[BaseException] = []

    def attempt(number: int) -> None:
        start.wait()
        try:
            answers.append(ui_session.sign_in("staff_east", f"wrong-{number}"))
        except BaseException as error:  # noqa: BLE001 - whatever escapes is the failure
            escaped.append(error)

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert escaped == []
    assert answers == [REFUSED] * 12
    assert ui_session.sign_in("staff_east", accounts.DEMO_PASSWORD) == REFUSED  # locked
    user = _user(town, "staff_east")
    assert user.failed_logins == 13 and user.locked_until is not None
    assert len(_actions(town, "login_failed")) == 13
    assert [e.username for e in _actions(town, "account_locked")] == ["staff_east"]


class CountingHasher:
    """The real argon2 hasher, counting how often each operation runs."""

    def __init__(self, real: Any) -> None:
        self.real = real
        self.calls: list[str] = []

    def verify(self, *args: Any) -> Any:
        self.calls.append("verify")
        return self.real.verify(*args)

    def hash(self, *args: Any) -> Any:
        self.calls.append("hash")
        return self.real.hash(*args)


def test_unknown_user_wrong_password_and_locked_account_look_alike(
    town: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    ui_session.sign_in("warm-up", "x")  # anything computed once per process is done now
    with db.transaction(town) as session:  # staff_west is locked (the right password is used)
        session.execute(
            update(User)
            .where(User.username == "staff_west")
            .values(locked_until=utcnow() + timedelta(minutes=10))
        )
    counting = CountingHasher(accounts._hasher)
    monkeypatch.setattr(accounts, "_hasher", counting)
    seen = {}
    for case, (username, password) in {
        "unknown user": ("nobody-here", "whatever-pw"),
        "wrong password": ("staff_east", "wrong-password"),
        "locked account": ("staff_west", accounts.DEMO_PASSWORD),
    }.items():
        counting.calls.clear()
        seen[case] = (ui_session.sign_in(username, password), tuple(counting.calls))
    # the same message, and the same work: one argon2 verification each
    assert set(seen.values()) == {(REFUSED, ("verify",))}, seen


def test_a_database_error_during_login_is_a_plain_refusal(
    empty_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LSMAP_DATABASE_URL", empty_url)  # no tables at all: every query fails
    assert ui_session.sign_in("staff_east", accounts.DEMO_PASSWORD) == REFUSED
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    app_login(at, "staff_east", accounts.DEMO_PASSWORD, to_map=False)
    assert not at.exception
    assert [e.value for e in at.error] == [REFUSED]


def test_no_user_ever_sees_a_traceback() -> None:
    from streamlit.config import ShowErrorDetailsConfigOptions

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    value = config["client"]["showErrorDetails"]
    assert value == ShowErrorDetailsConfigOptions.NONE.value == "none"


# ------------------------------------------------------------------ item 5: OIDC obeys the idle limit


@pytest.fixture
def oidc_town(town: Engine, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    monkeypatch.setenv("LSMAP_AUTH", "oidc")
    with db.transaction(town) as session:
        accounts.create_user(
            session, "sato@shakyo.example.jp", "staff", "long-enough-pw", ["149990-01"]
        )
    requested: list[str] = []
    monkeypatch.setattr(streamlit, "login", lambda *args, **kwargs: requested.append("login"))
    return requested


def _identity(seconds_ago: float) -> dict[str, Any]:
    return {
        "is_logged_in": True,
        "email": "sato@shakyo.example.jp",
        "iat": int(time.time() - seconds_ago),
    }


def _texts(at: AppTest) -> str:
    return "\n".join(
        str(e.value)
        for kind in ("subheader", "info", "error", "markdown")
        for e in getattr(at, kind)
    )


def test_oidc_identity_does_not_outlive_the_idle_timeout(
    town: Engine, oidc_town: list[str]
) -> None:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.user = _identity(seconds_ago=20)  # just back from the provider
    at.run()
    assert not at.exception, at.exception
    assert "要対応の世帯（担当地区）" in _texts(at)

    with db.transaction(town) as session:  # 31 idle minutes later ...
        session.execute(update(LoginSession).values(last_seen_at=utcnow() - timedelta(minutes=31)))
    at.user = _identity(seconds_ago=20 + 31 * 60)  # ... the same identity cookie, older now
    at.run()
    assert not at.exception, at.exception
    assert "要対応の世帯（担当地区）" not in _texts(at)
    assert "もう一度ログインしてください" in _texts(at)
    with db.transaction(town) as session:
        assert session.scalar(select(func.count()).select_from(LoginSession)) == 0  # not re-created
    next(b for b in at.button if b.label == "組織のアカウントでログイン").click().run()
    assert oidc_town == ["login"]  # back to the provider, explicitly


def test_a_weeks_old_identity_cookie_opens_no_session(town: Engine, oidc_town: list[str]) -> None:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.user = _identity(seconds_ago=3 * 86400)
    at.run()
    assert "要対応の世帯（担当地区）" not in _texts(at)
    assert [b.label for b in at.button] == ["組織のアカウントでログイン"]
    no_iat = _identity(0)
    del no_iat["iat"]
    at.user = no_iat
    at.run()
    assert "要対応の世帯（担当地区）" not in _texts(at)


# ------------------------------------------------------------------ item 6: cookie and lifetime


def _cookie_scripts(at: AppTest) -> list[str]:
    return [e.proto.body for e in at.get("html") if "lsmap_session=" in e.proto.body]


@pytest.mark.parametrize(
    "url, setting, secure",
    [
        ("http://127.0.0.1:8501/", None, False),
        ("https://lsmap.example.jp/", None, True),
        ("http://127.0.0.1:8501/", "1", True),
        ("https://lsmap.example.jp/", "0", False),
    ],
)
def test_session_cookie_is_secure_over_https_and_lives_12_hours(
    town: Engine, monkeypatch: pytest.MonkeyPatch, url: str, setting: str | None, secure: bool
) -> None:
    if setting is None:
        monkeypatch.delenv("LSMAP_COOKIE_SECURE", raising=False)
    else:
        monkeypatch.setenv("LSMAP_COOKIE_SECURE", setting)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.context = {"url": url}
    at.run()
    app_login(at, "staff_east", accounts.DEMO_PASSWORD, to_map=False)
    [script] = _cookie_scripts(at)
    assert "max-age=43200" in script and "SameSite=Strict" in script
    assert ("; Secure" in script) == secure


def test_the_proxy_header_marks_the_request_as_https(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LSMAP_COOKIE_SECURE", raising=False)

    class Context:
        headers = {"X-Forwarded-Proto": "https"}
        url = "http://127.0.0.1:8501/"

    monkeypatch.setattr(ui_session.st, "context", Context())
    assert ui_session.serves_https()
    Context.headers = {"X-Forwarded-Proto": "http"}
    assert not ui_session.serves_https()


def test_a_session_ends_12_hours_after_login_however_active(
    town: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    with db.transaction(town) as session:
        token = accounts.start_session(
            session, session.scalar(select(User).where(User.username == "staff_east"))
        )
    with db.transaction(town) as session:  # busy all day: seen a minute ago, signed in 12 h ago
        session.execute(
            update(LoginSession).values(
                created_at=utcnow() - timedelta(hours=12, minutes=1),
                last_seen_at=utcnow() - timedelta(minutes=1),
            )
        )
    with db.transaction(town) as session:
        assert accounts.resume_session(session, token, 30) is None
    with db.transaction(town) as session:
        assert session.scalar(select(func.count()).select_from(LoginSession)) == 0
    monkeypatch.setenv("LSMAP_SESSION_MAX_HOURS", "2")  # the operator's setting reaches the app
    with db.transaction(town) as session:
        token = accounts.start_session(
            session, session.scalar(select(User).where(User.username == "staff_east"))
        )
    with db.transaction(town) as session:
        session.execute(
            update(LoginSession).values(created_at=utcnow() - timedelta(hours=2, minutes=1))
        )
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state["token"] = token
    at.run()
    assert [t.label for t in at.text_input] == [
        "ユーザー名",
        "パスワード",
        "ワンタイムコード（12桁の数字）",
    ]


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_database_file_and_backups_are_private(tmp_path: Path, sample_engine: Engine) -> None:
    from lsmap.io import backup

    old = os.umask(0o022)  # a common default that would leave files world-readable
    try:
        path = tmp_path / "private" / "lsmap.sqlite"
        engine = db.get_engine(f"sqlite:///{path}")
        db.upgrade(engine)
        with db.transaction(engine) as session:
            accounts.create_user(session, "someone", "staff", "long-enough-pw")
            wal = path.with_name("lsmap.sqlite-wal")
            assert wal.exists()  # WAL mode: written while the transaction is open
        files = [p for p in path.parent.iterdir() if p.name.startswith("lsmap.sqlite")]
        assert {p.name for p in files} >= {"lsmap.sqlite", "lsmap.sqlite-wal", "lsmap.sqlite-shm"}
        assert {p.name: _mode(p) for p in files} == {p.name: 0o600 for p in files}
        assert _mode(path.parent) == 0o700
        engine.dispose()
        target = tmp_path / "lsmap.bak"
        backup.backup(sample_engine, target, "a long enough passphrase")
        assert _mode(target) == 0o600
    finally:
        os.umask(old)


def test_sample_load_refuses_a_database_with_real_users(
    empty_url: str, lsmap: Callable[..., CliResult]
) -> None:
    engine = db.get_engine(empty_url)
    db.upgrade(engine)
    with db.transaction(engine) as session:
        accounts.create_user(session, "sato", "admin", "long-enough-pw")
    refused = lsmap(empty_url, "sample", "load")
    assert refused.returncode == 1
    assert "デモ以外のユーザー" in refused.stderr and "--force" in refused.stderr
    with db.transaction(engine) as session:
        assert list(session.scalars(select(User.username))) == ["sato"]
    forced = lsmap(empty_url, "sample", "load", "--force")
    assert forced.returncode == 0, forced.stderr
    with db.transaction(engine) as session:
        assert session.scalar(select(func.count()).select_from(User)) == 1 + len(
            accounts.DEMO_USERS
        )


def test_sample_mode_is_off_unless_the_database_holds_only_the_sample_town(
    town: Engine, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lsmap.io.sample import sample_mode

    monkeypatch.delenv("LSMAP_SAMPLE_MODE", raising=False)
    assert sample_mode(town) and not sample_mode(engine)  # the sample town; an empty database
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.run()
    assert [x.label for x in at.expander] == ["デモ用アカウント（サンプルデータ専用）"]
    with db.transaction(town) as session:
        accounts.create_user(session, "sato", "staff", "long-enough-pw")
    assert not sample_mode(town)
    at.run()
    assert list(at.expander) == [] and accounts.DEMO_PASSWORD not in _texts(at)
    monkeypatch.setenv("LSMAP_SAMPLE_MODE", "1")  # the operator may still ask for it
    assert sample_mode(town)
