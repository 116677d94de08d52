"""Encrypted backup and restore: every table equal, wrong passphrase and damage refused."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import CliResult, DatabaseFactory
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from lsmap.io import backup
from lsmap.storage import db
from lsmap.storage.models import AuditEntry, Base, Household

PASSPHRASE = "correct horse battery"


def _row_counts(engine: Engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {
            t.name: connection.execute(select(func.count()).select_from(t)).scalar() or 0
            for t in Base.metadata.sorted_tables
        }


def test_backup_restores_every_table_equal_into_a_fresh_database(
    sample_engine: Engine, engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "lsmap.bak"
    summary = backup.backup(sample_engine, path, PASSPHRASE)
    assert summary.counts["households"] > 300 and summary.revision == db.head_revision()
    assert b"households" not in path.read_bytes() and path.read_bytes().startswith(backup.MAGIC)

    restored = backup.restore(engine, path, PASSPHRASE)
    assert restored.counts == summary.counts
    assert backup.dump(engine)["tables"] == backup.dump(sample_engine)["tables"]
    # ids continue after the restored ones (PostgreSQL sequences were reset)
    with db.transaction(engine) as session:
        household = Household(household_type="other")
        session.add(household)
        session.flush()
        assert household.id > summary.counts["households"]


def test_wrong_passphrase_damage_and_non_empty_target_change_nothing(
    sample_engine: Engine, engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "lsmap.bak"
    backup.backup(sample_engine, path, PASSPHRASE)
    blob = path.read_bytes()
    damaged = tmp_path / "damaged.bak"
    damaged.write_bytes(blob[:2000] + bytes([blob[2000] ^ 0x01]) + blob[2001:])
    truncated = tmp_path / "truncated.bak"
    truncated.write_bytes(blob[: len(blob) // 2])
    foreign = tmp_path / "foreign.bak"
    foreign.write_bytes(b"PK\x03\x04 not a backup at all" * 10)
    header = tmp_path / "header.bak"
    header.write_bytes(blob[:9] + b"\x30" + blob[10:])  # absurd scrypt cost
    before = _row_counts(engine)
    cases = [
        (path, "wrong passphrase", "パスフレーズが違う"),
        (damaged, PASSPHRASE, "壊れて"),
        (truncated, PASSPHRASE, "壊れて"),
        (foreign, PASSPHRASE, "バックアップファイルではない"),
        (header, PASSPHRASE, "壊れて"),
        (tmp_path / "missing.bak", PASSPHRASE, "見つかりません"),
    ]
    for source, passphrase, words in cases:
        with pytest.raises(backup.BackupError, match=words):
            backup.restore(engine, source, passphrase)
        assert _row_counts(engine) == before, source.name
    backup.restore(engine, path, PASSPHRASE)
    filled = _row_counts(engine)
    with pytest.raises(backup.BackupError, match="空ではありません"):
        backup.restore(engine, path, PASSPHRASE)
    assert _row_counts(engine) == filled
    with pytest.raises(backup.BackupError, match="12 文字以上"):
        backup.backup(sample_engine, tmp_path / "weak.bak", "short")


def test_backup_restores_across_backends(sample_engine: Engine, tmp_path: Path) -> None:
    """A backup of this backend restores into a SQLite file (and so a SQLite one into PostGIS)."""
    path = tmp_path / "lsmap.bak"
    summary = backup.backup(sample_engine, path, PASSPHRASE)
    target = db.get_engine(f"sqlite:///{tmp_path / 'other.sqlite'}")
    backup.restore(target, path, PASSPHRASE)
    assert _row_counts(target) == summary.counts
    with Session(target) as there, Session(sample_engine) as here:
        query = select(Household.id, Household.ref, Household.location, Household.version).order_by(
            Household.id
        )
        assert [tuple(r) for r in there.execute(query)] == [tuple(r) for r in here.execute(query)]
    target.dispose()


def test_command_line_backup_and_restore(
    engine: Engine,
    database_factory: DatabaseFactory,
    tmp_path: Path,
    run_lsmap: Callable[..., CliResult],
) -> None:
    empty_url = database_factory()

    def lsmap(url: str, *args: str, passphrase: str = PASSPHRASE) -> CliResult:
        env = {"LSMAP_BACKUP_PASSPHRASE": passphrase}
        return run_lsmap("--database-url", url, *args, env=env)

    with db.transaction(engine) as session:
        session.add_all([Household(household_type="other", ref=f"cli-{i}") for i in range(3)])
    source_url = engine.url.render_as_string(hide_password=False)
    path = tmp_path / "main.bak"
    made = lsmap(source_url, "backup", str(path))
    assert made.returncode == 0, made.stderr
    assert "バックアップしました" in made.stdout and path.is_file()
    wrong = lsmap(empty_url, "restore", str(path), passphrase="not the passphrase")
    assert wrong.returncode == 1 and "パスフレーズが違う" in wrong.stderr
    done = lsmap(empty_url, "restore", str(path))
    assert done.returncode == 0, done.stderr
    assert "復元しました" in done.stdout
    restored = db.get_engine(empty_url)
    assert _row_counts(restored)["households"] == 3
    with Session(restored) as session:
        actions = list(session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))
    assert actions == ["restore"]  # the source's own "backup" entry came after its snapshot


#: Offsets of scrypt's log2(N), r and p in the header (after the magic and the version).
SCRYPT_OFFSETS = {"log2_n": 9, "r": 10, "p": 11}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("log2_n", backup.SCRYPT_LOG2_N + 1),
        ("log2_n", 22),
        ("r", backup.SCRYPT_R + 1),
        ("r", 32),
        ("p", backup.SCRYPT_P + 1),
        ("p", 16),
    ],
)
def test_scrypt_cost_above_the_writers_is_refused_before_deriving(
    field: str, value: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    blob = backup.encrypt({"format": backup.FORMAT_VERSION, "tables": {}}, PASSPHRASE)
    offset = SCRYPT_OFFSETS[field]
    tampered = blob[:offset] + bytes([value]) + blob[offset + 1 :]

    def derive(*args: object) -> bytes:  # a tampered cost could ask for gigabytes and hours
        raise AssertionError(f"scrypt ran with {args[2:]}")

    monkeypatch.setattr(backup, "_key", derive)
    started = time.monotonic()
    with pytest.raises(backup.BackupError, match="壊れています"):
        backup.decrypt(tampered, PASSPHRASE)
    assert time.monotonic() - started < 1


def test_a_passphrase_under_twelve_characters_is_refused(
    engine: Engine,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from lsmap.cli import main

    eleven = "abcdefghijk"
    with pytest.raises(backup.BackupError, match="12 文字以上"):
        backup.backup(engine, tmp_path / "a.bak", eleven)
    url = engine.url.render_as_string(hide_password=False)
    monkeypatch.setenv(backup.PASSPHRASE_ENV, eleven)
    assert main.main(["--database-url", url, "backup", str(tmp_path / "b.bak")]) == 1
    monkeypatch.delenv(backup.PASSPHRASE_ENV)
    asked: list[str] = []
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True)
    monkeypatch.setattr("getpass.getpass", lambda prompt: asked.append(prompt) or eleven)
    assert main.main(["--database-url", url, "backup", str(tmp_path / "c.bak")]) == 1
    assert len(asked) == 1 and "12 文字以上" in asked[0]  # refused before asking again
    assert capsys.readouterr().err.count("12 文字以上") == 2
    assert not list(tmp_path.iterdir())
    backup.backup(engine, tmp_path / "ok.bak", eleven + "l")  # twelve is enough
    assert backup.read_backup(tmp_path / "ok.bak", eleven + "l")["revision"] == db.head_revision()
