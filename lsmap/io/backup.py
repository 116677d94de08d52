"""Encrypted backups of the whole database, and restoring them (SQLite and PostGIS).

A backup is a logical dump of every table read in one transaction (a consistent snapshot:
SQLite's WAL lets the app keep writing meanwhile; PostgreSQL uses REPEATABLE READ), with
ids, versions and timestamps as stored and geometry as WKB hex. The JSON is gzipped and
encrypted with AES-256-GCM under a key derived from the passphrase with scrypt.

File layout: ``LSMAPBAK`` | format version (1 byte) | scrypt log2(N), r, p (1 byte each) |
salt (16 bytes) | nonce (12 bytes) | ciphertext with GCM tag. The header is authenticated
too, so any changed byte makes the file unreadable rather than wrong. The scrypt cost is
read before the key can be checked, so a file asking for more than this writer's own cost
(memory 128·N·r bytes, time N·r·p) is refused as damaged before deriving anything.

Restore decrypts and checks the whole file before it touches the database, and then only
writes into an **empty** database (the append-only audit log cannot be cleared, and a
merge could silently mix two histories): restore into a fresh database, then point
``LSMAP_DATABASE_URL`` at it. A SQLite backup restores into PostGIS and vice versa.
"""

from __future__ import annotations

import gzip
import json
import os
import struct
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import shapely
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from sqlalchemy import (
    Date,
    DateTime,
    Engine,
    LargeBinary,
    Table,
    create_engine,
    event,
    func,
    select,
    text,
)
from sqlalchemy.engine import Connection

from lsmap.storage import db
from lsmap.storage.geometry import Geometry
from lsmap.storage.models import Base

MAGIC = b"LSMAPBAK"
FORMAT_VERSION = 1
SCRYPT_LOG2_N, SCRYPT_R, SCRYPT_P = 15, 8, 1
_HEADER = struct.Struct(">8sBBBB16s12s")
#: A passphrase guessed offline only costs the attacker scrypt per try: ask for length.
MIN_PASSPHRASE = 12
PASSPHRASE_ENV = "LSMAP_BACKUP_PASSPHRASE"  # noqa: S105 - a variable name, not a secret


class BackupError(RuntimeError):
    """A backup or restore that cannot go on; ``message`` says why in Japanese."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class BackupSummary:
    """What a backup holds: schema revision and rows per table."""

    revision: str
    created_at: str
    counts: dict[str, int]


# ---------------------------------------------------------------- dumping


def dump(engine: Engine) -> dict[str, Any]:
    """Every table's rows as JSON-ready data, read in one consistent transaction."""
    revision = db.current_revision(engine)
    if revision is None:
        raise BackupError(
            "データベースにスキーマがありません（lsmap db upgrade を先に実行してください）"
        )
    tables: dict[str, Any] = {}
    with _snapshot(engine) as connection:
        for table in Base.metadata.sorted_tables:
            columns = [c.name for c in table.columns]
            order = [c for c in table.primary_key.columns]
            rows = connection.execute(select(table).order_by(*order)).all()
            tables[table.name] = {
                "columns": columns,
                "rows": [
                    [
                        _encode(table.c[name].type, value)
                        for name, value in zip(columns, row, strict=True)
                    ]
                    for row in rows
                ],
            }
    return {
        "format": FORMAT_VERSION,
        "revision": revision,
        "backend": engine.dialect.name,
        "created_at": datetime.now(UTC).isoformat(),
        "tables": tables,
    }


class _snapshot:
    """A read transaction that sees one snapshot of the whole database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.own: Engine | None = None

    def __enter__(self) -> Connection:
        if self.engine.dialect.name == "sqlite":
            # pysqlite starts no transaction for SELECT; issue BEGIN ourselves so that all
            # tables are read from one WAL snapshot while the app goes on writing.
            self.own = create_engine(self.engine.url)

            @event.listens_for(self.own, "connect")
            def _autocommit_driver(dbapi_connection: Any, _record: Any) -> None:
                dbapi_connection.isolation_level = None

            @event.listens_for(self.own, "begin")
            def _begin(connection: Connection) -> None:
                connection.exec_driver_sql("BEGIN")

            self.connection = self.own.connect()
        else:
            self.connection = self.engine.connect().execution_options(
                isolation_level="REPEATABLE READ"
            )
        self.transaction = self.connection.begin()
        return self.connection

    def __exit__(self, *exc: object) -> None:
        self.transaction.rollback()
        self.connection.close()
        if self.own is not None:
            self.own.dispose()


def _encode(column_type: Any, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(column_type, Geometry):
        return shapely.to_wkb(value, hex=True)
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    return value


def _decode(column_type: Any, value: Any) -> Any:
    if value is None:
        return None
    if isinstance(column_type, Geometry):
        return shapely.from_wkb(bytes.fromhex(value))
    if isinstance(column_type, DateTime):
        return datetime.fromisoformat(value)
    if isinstance(column_type, Date):
        return date.fromisoformat(value)
    if isinstance(column_type, LargeBinary):
        return bytes.fromhex(value)
    return value


# ---------------------------------------------------------------- encryption


def _key(passphrase: str, salt: bytes, log2_n: int, r: int, p: int) -> bytes:
    return Scrypt(salt=salt, length=32, n=2**log2_n, r=r, p=p).derive(passphrase.encode("utf-8"))


def check_passphrase(passphrase: str) -> None:
    """Refuse a passphrase too short to write a backup with (reading any length is fine)."""
    if len(passphrase) < MIN_PASSPHRASE:
        raise BackupError(
            f"パスフレーズは {MIN_PASSPHRASE} 文字以上にしてください（いまは {len(passphrase)} "
            "文字）"
        )


def encrypt(data: dict[str, Any], passphrase: str) -> bytes:
    """The dump, gzipped and encrypted with the passphrase."""
    check_passphrase(passphrase)
    salt, nonce = os.urandom(16), os.urandom(12)
    header = _HEADER.pack(MAGIC, FORMAT_VERSION, SCRYPT_LOG2_N, SCRYPT_R, SCRYPT_P, salt, nonce)
    plain = gzip.compress(
        json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    )
    key = _key(passphrase, salt, SCRYPT_LOG2_N, SCRYPT_R, SCRYPT_P)
    return header + AESGCM(key).encrypt(nonce, plain, header)


def decrypt(blob: bytes, passphrase: str) -> dict[str, Any]:
    """The dump inside ``blob``; BackupError for a foreign, damaged or wrongly keyed file."""
    if len(blob) < _HEADER.size + 16 or not blob.startswith(MAGIC):
        raise BackupError("lsmap のバックアップファイルではないか、壊れています")
    magic, version, log2_n, r, p, salt, nonce = _HEADER.unpack_from(blob)
    if version != FORMAT_VERSION:
        raise BackupError(f"このバックアップの形式（版 {version}）には対応していません")
    if not (10 <= log2_n <= SCRYPT_LOG2_N and 1 <= r <= SCRYPT_R and 1 <= p <= SCRYPT_P):
        raise BackupError(
            "バックアップファイルの見出しが壊れています"
        )  # never more work than we ask
    header = blob[: _HEADER.size]
    try:
        plain = AESGCM(_key(passphrase, salt, log2_n, r, p)).decrypt(
            nonce, blob[_HEADER.size :], header
        )
    except InvalidTag as error:
        raise BackupError(
            "パスフレーズが違うか、バックアップファイルが壊れています（何も変更していません）"
        ) from error
    try:
        data = json.loads(gzip.decompress(plain))
    except (OSError, ValueError) as error:  # pragma: no cover - authenticated, so unlikely
        raise BackupError("バックアップの中身を読めません") from error
    if data.get("format") != FORMAT_VERSION or "tables" not in data:
        raise BackupError("バックアップの中身の形式が違います")
    return data


# ---------------------------------------------------------------- files


def backup(engine: Engine, path: Path, passphrase: str) -> BackupSummary:
    """Write an encrypted backup of the whole database to ``path`` (atomically)."""
    check_passphrase(passphrase)
    data = dump(engine)
    blob = encrypt(data, passphrase)
    temp = path.with_name(path.name + ".part")
    temp.unlink(missing_ok=True)
    with os.fdopen(os.open(temp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600), "wb") as out:
        os.fchmod(out.fileno(), 0o600)  # owner only, whatever the umask
        out.write(blob)
    os.replace(temp, path)
    return summary(data)


def summary(data: dict[str, Any]) -> BackupSummary:
    """Revision, time and row counts of a dump."""
    counts = {name: len(t["rows"]) for name, t in data["tables"].items()}
    return BackupSummary(data["revision"], data["created_at"], counts)


def read_backup(path: Path, passphrase: str) -> dict[str, Any]:
    """Decrypt and check a backup file without touching any database."""
    if not path.is_file():
        raise BackupError(f"バックアップファイルが見つかりません: {path}")
    return decrypt(path.read_bytes(), passphrase)


def restore(
    engine: Engine, path: Path, passphrase: str, progress: Callable[[str, int], None] | None = None
) -> BackupSummary:
    """Restore ``path`` into the empty database of ``engine`` in one transaction."""
    data = read_backup(path, passphrase)
    head = db.head_revision()
    if data["revision"] != head:
        raise BackupError(
            f"バックアップのスキーマ（{data['revision']}）がこの lsmap のスキーマ（{head}）"
            "と違います。"
            "同じ版の lsmap で復元してください"
        )
    known = {t.name for t in Base.metadata.sorted_tables}
    unknown = set(data["tables"]) - known
    if unknown:
        raise BackupError(
            "バックアップにこの版の知らない表があります: " + "、".join(sorted(unknown))
        )
    db.upgrade(engine)
    with engine.begin() as connection:
        filled = [
            t.name
            for t in Base.metadata.sorted_tables
            if connection.execute(select(func.count()).select_from(t)).scalar()
        ]
        if filled:
            raise BackupError(
                "復元先のデータベースが空ではありません（" + "、".join(filled[:5]) + " など）。"
                "新しい空のデータベースに復元してください（監査ログは消せないため、上書きはしません）"
            )
        for table in Base.metadata.sorted_tables:
            dumped = data["tables"].get(table.name)
            if not dumped or not dumped["rows"]:
                continue
            rows = _restore_table(connection, table, dumped)
            if progress:
                progress(table.name, rows)
        if engine.dialect.name == "postgresql":
            _reset_sequences(connection)
    return summary(data)


def _restore_table(connection: Connection, table: Table, dumped: dict[str, Any]) -> int:
    """Insert one table's dumped rows; returns how many. References to rows of the same
    table are set afterwards (they may point forwards)."""
    names = dumped["columns"]
    missing = [n for n in names if n not in table.c]
    if missing:
        raise BackupError(f"表 {table.name} の列 {missing} がこの版にありません")
    self_refs = [fk.parent.name for fk in table.foreign_keys if fk.column.table is table]
    rows = []
    for values in dumped["rows"]:
        row = {n: _decode(table.c[n].type, v) for n, v in zip(names, values, strict=True)}
        rows.append(row)
    deferred = [(r, {n: r[n] for n in self_refs}) for r in rows if any(r.get(n) for n in self_refs)]
    for row, _ in deferred:
        for name in self_refs:
            row[name] = None
    for start in range(0, len(rows), 1000):
        connection.execute(table.insert(), rows[start : start + 1000])
    pk = list(table.primary_key.columns)
    # keep onupdate columns (updated_at) as they were in the backup
    stamped = [c.name for c in table.columns if c.onupdate is not None and c.name in names]
    for row, refs in deferred:
        kept = {name: row[name] for name in stamped}
        connection.execute(table.update().where(pk[0] == row[pk[0].name]).values(**refs, **kept))
    return len(rows)


def _reset_sequences(connection: Connection) -> None:
    """Point every serial id sequence past the restored ids."""
    for table in Base.metadata.sorted_tables:
        if "id" not in table.c or not table.c.id.primary_key:
            continue
        # table.name comes from our own metadata, never from the backup file.
        sql = (
            f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "  # noqa: S608
            f"COALESCE((SELECT MAX(id) FROM {table.name}), 0) + 1, false)"
        )
        connection.execute(text(sql))
