"""The command line: ``lsmap db upgrade`` and ``lsmap sample load`` on a fresh database.

Commands run in this process (``run_lsmap``); one smoke test runs the installed ``lsmap``
console script as its own process.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from conftest import CliResult
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lsmap.storage import db
from lsmap.storage.models import Household, User, Watcher


def test_the_installed_lsmap_entry_point_runs_as_a_process(empty_url: str) -> None:
    script = Path(sys.executable).with_name("lsmap")
    assert script.is_file(), f"{script}: the console script is installed by pip install -e ."
    done = subprocess.run(
        [str(script), "--database-url", empty_url, "db", "upgrade"],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "最新" in done.stdout and db.head_revision() in done.stdout
    assert db.current_revision(db.get_engine(empty_url)) == db.head_revision()


def _counts(url: str) -> tuple[int, int, int]:
    with Session(db.get_engine(url)) as session:
        return tuple(  # type: ignore[return-value]
            session.scalar(select(func.count()).select_from(model))
            for model in (Household, Watcher, User)
        )


def test_db_upgrade_and_sample_load_are_idempotent(
    empty_url: str, lsmap: Callable[..., CliResult]
) -> None:
    first = lsmap(empty_url, "db", "upgrade")
    assert first.returncode == 0, first.stderr
    assert "最新" in first.stdout
    assert lsmap(empty_url, "db", "upgrade").returncode == 0
    assert lsmap(empty_url, "db", "current").stdout.strip() == db.head_revision()

    loaded = lsmap(empty_url, "sample", "load")
    assert loaded.returncode == 0, loaded.stderr
    assert "読み込みました" in loaded.stdout
    counts = _counts(empty_url)
    assert counts[0] > 300 and counts[1] > 200 and counts[2] == 5

    again = lsmap(empty_url, "sample", "load")
    assert again.returncode == 0, again.stderr
    assert "読み込み済み" in again.stdout
    assert _counts(empty_url) == counts


def test_users_add_and_list(empty_url: str, lsmap: Callable[..., CliResult]) -> None:
    assert lsmap(empty_url, "sample", "load").returncode == 0
    added = lsmap(
        empty_url,
        "users",
        "add",
        "tanaka",
        "--role",
        "staff",
        "--district",
        "149990-03",
        "--password-stdin",
        stdin="correct horse battery\n",
    )
    assert added.returncode == 0, added.stderr
    listing = lsmap(empty_url, "users", "list").stdout
    assert "tanaka\t地区担当職員\t149990-03\t有効" in listing
    bad = lsmap(
        empty_url, "users", "add", "x", "--role", "boss", "--password-stdin", stdin="longenough\n"
    )
    assert bad.returncode == 1 and "役割" in bad.stderr
    unknown = lsmap(
        empty_url,
        "users",
        "add",
        "y",
        "--role",
        "staff",
        "--district",
        "nowhere",
        "--password-stdin",
        stdin="longenough\n",
    )
    assert unknown.returncode == 1 and "nowhere" in unknown.stderr
