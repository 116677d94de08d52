"""Reading the MLIT 位置参照情報 and storing it as the address reference (``address_points``).

Two formats are recognised by their header row (CP932, every field quoted):

- 街区レベル位置参照情報, 14 columns: 都道府県名, 市区町村名, 大字・丁目名, 小字・通称名,
  街区符号・地番, 座標系番号, Ｘ座標, Ｙ座標, 緯度, 経度, 住居表示フラグ, 代表フラグ,
  更新前履歴フラグ, 更新後履歴フラグ → one "block" point per 街区 or 地番;
- 大字・町丁目レベル位置参照情報, 10 columns: 都道府県コード, 都道府県名, 市区町村コード,
  市区町村名, 大字町丁目コード, 大字町丁目名, 緯度, 経度, 原典資料コード,
  大字・字・丁目区分コード → one "town" point per 大字・町丁目.

A file may be the CSV itself or the zip it is distributed in. Only the cities asked for are
kept (by default the municipalities among the districts; a prefecture file holds them all).
Importing a city again replaces its rows of that level, in one transaction.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import PurePath

from sqlalchemy import Engine, delete, func, select
from sqlalchemy.orm import Session

from lsmap.access import Actor
from lsmap.access.geocoding import may_import_reference
from lsmap.addresses import normalise_address, split_number
from lsmap.io.importing.archives import check_members, member_suffix, open_zip
from lsmap.io.importing.problems import ImportRejected, Problem
from lsmap.settings import import_limits
from lsmap.storage import audit, db
from lsmap.storage.bulk import insert_many
from lsmap.storage.models import AddressPoint, District

Progress = Callable[[int, int], None]

GAIKU_COLUMNS = ("都道府県名", "市区町村名", "大字・丁目名", "小字・通称名", "街区符号・地番")
OAZA_COLUMNS = ("都道府県名", "市区町村名", "大字町丁目名", "緯度", "経度")
#: How many problem lines are listed before the rest are only counted.
MAX_LISTED = 50
BATCH = 5000


@dataclass
class ReferencePlan:
    """What an import of reference files would store, and what it left out."""

    files: list[str] = field(default_factory=list)
    rows: list[dict[str, object]] = field(default_factory=list)
    counts: Counter[tuple[str, str]] = field(default_factory=Counter)
    other_cities: Counter[str] = field(default_factory=Counter)
    problems: list[Problem] = field(default_factory=list)
    bad_lines: int = 0

    def summary(self) -> str:
        """One Japanese sentence: points per city and level, and what was left out."""
        labels = {"block": "街区・地番", "town": "大字・町丁目"}
        parts = [
            f"{city} {labels[level]} {n:,} 件" for (city, level), n in sorted(self.counts.items())
        ]
        text = "、".join(parts) or "取り込める地点はありません"
        if self.other_cities:
            rows = sum(self.other_cities.values())
            text += f"。対象外の市区町村 {len(self.other_cities)} 件（{rows:,} 行）は取り込みません"
        if self.bad_lines:
            text += f"。読めない行 {self.bad_lines:,} 行は飛ばします"
        return text


def _header_key(value: str) -> str:
    return unicodedata.normalize("NFKC", value).strip().lstrip("\ufeff")


def _text_lines(data: bytes, filename: str) -> Iterator[tuple[str, io.TextIOBase]]:
    """(name, text stream) of each CSV in ``data`` (a CSV, or a zip holding CSVs)."""
    if PurePath(filename).suffix.lower() == ".zip":
        archive = open_zip(io.BytesIO(data), "zip ファイル")
        members = check_members(archive, import_limits(), "zip ファイル")
        csvs = [m for m in members if member_suffix(m.filename) in (".csv", ".txt")]
        if not csvs:
            raise ImportRejected(f"{filename} の中に CSV がありません")
        for member in csvs:
            yield member.filename, _decoded(archive.read(member), member.filename)
        return
    yield filename, _decoded(data, filename)


def _decoded(data: bytes, name: str) -> io.TextIOBase:
    for encoding in ("cp932", "utf-8-sig"):
        try:
            return io.StringIO(data.decode(encoding), newline="")
        except UnicodeDecodeError:
            continue
    raise ImportRejected(f"{name} は Shift_JIS（CP932）としても UTF-8 としても読めません")


def wanted_cities(session: Session) -> set[str]:
    """The normalised names of the municipalities among the districts (may be empty)."""
    names = session.scalars(
        select(District.name).where(District.level == "municipality", District.deleted_at.is_(None))
    )
    return {normalise_address(n) for n in names}


def read_reference(
    files: list[tuple[str, bytes]], cities: set[str] | None, source: str = ""
) -> ReferencePlan:
    """Parse reference files (name, bytes); keep the rows of ``cities`` (normalised names,
    None = every city). Raises ImportRejected for a file in neither format."""
    plan = ReferencePlan()
    for filename, data in files:
        for name, stream in _text_lines(data, filename):
            plan.files.append(PurePath(name).name)
            _read_one(stream, name, cities, plan, source or PurePath(filename).name)
    return plan


def _read_one(
    stream: io.TextIOBase, name: str, cities: set[str] | None, plan: ReferencePlan, source: str
) -> None:
    reader = csv.reader(stream)
    header = [_header_key(h) for h in next(reader, [])]
    if all(c in header for c in GAIKU_COLUMNS):
        level, columns = "block", GAIKU_COLUMNS
    elif all(c in header for c in OAZA_COLUMNS):
        level, columns = "town", OAZA_COLUMNS
    else:
        raise ImportRejected(
            f"{PurePath(name).name} は街区レベル・大字町丁目レベルの"
            "位置参照情報の形式ではありません"
            f"（見出し: {'、'.join(header[:14]) or 'なし'}）"
        )
    at = {c: header.index(c) for c in (*columns, "緯度", "経度")}
    flags = {c: header.index(c) for c in ("更新前履歴フラグ",) if c in header}
    for line, values in enumerate(reader, start=2):
        if not values:
            continue
        row = _row(values, at, flags, level, source)
        if row is None:
            plan.bad_lines += 1
            if plan.bad_lines <= MAX_LISTED:
                plan.problems.append(
                    Problem(
                        line - 1,
                        f"{PurePath(name).name}",
                        "緯度・経度か名前が読めないため飛ばします",
                        "warning",
                    )
                )
            continue
        if cities is not None and row["city_key"] not in cities:
            plan.other_cities[str(row["city"])] += 1
            continue
        plan.rows.append(row)
        plan.counts[(str(row["city"]), level)] += 1


def _key(text: str, cache: dict[str, str] = {}) -> str:  # noqa: B006 - a deliberate memo
    """normalise_address, remembered: a reference file repeats its city and town names."""
    found = cache.get(text)
    if found is None:
        if len(cache) > 100_000:
            cache.clear()
        found = cache[text] = normalise_address(text)
    return found


def _row(
    values: list[str], at: dict[str, int], flags: dict[str, int], level: str, source: str
) -> dict[str, object] | None:
    """One stored point from a CSV line, or None when it cannot be read."""
    try:
        lat, lon = float(values[at["緯度"]]), float(values[at["経度"]])
        city = values[at["市区町村名"]].strip()
        if level == "block":
            town, koaza = values[at["大字・丁目名"]].strip(), values[at["小字・通称名"]].strip()
            block = values[at["街区符号・地番"]].strip()
        else:
            town, koaza, block = values[at["大字町丁目名"]].strip(), "", ""
        old = bool(flags) and values[flags["更新前履歴フラグ"]].strip() == "1"
    except (IndexError, ValueError):
        return None
    if not (20.0 <= lat <= 46.0 and 122.0 <= lon <= 154.0) or not city or not town:
        return None
    number = None if block.isdigit() or not block else split_number(normalise_address(block))
    return {
        "level": level,
        "pref": values[at["都道府県名"]].strip()[:16],
        "city": city[:64],
        "town": town[:200],
        "koaza": koaza[:200],
        "block": block[:32],
        "city_key": _key(city)[:64],
        "town_key": _key(town + koaza)[:200],
        "block_key": (block if block.isdigit() else number.block if number else _key(block))[:32],
        "lat": lat,
        "lon": lon,
        "current": not old,
        "source": source[:200],
    }


def store_reference(session: Session, plan: ReferencePlan, progress: Progress | None = None) -> int:
    """Replace the stored points of every (city, level) in ``plan`` by its rows (in the
    caller's transaction); returns the number of rows written."""
    for city_key, level in {(str(r["city_key"]), str(r["level"])) for r in plan.rows}:
        session.execute(
            delete(AddressPoint).where(
                AddressPoint.city_key == city_key, AddressPoint.level == level
            )
        )
    total = len(plan.rows)
    for start in range(0, total, BATCH):
        insert_many(session, AddressPoint.__table__, plan.rows[start : start + BATCH])
        if progress:
            progress(min(start + BATCH, total), total)
    return total


def reference_summary(session: Session) -> list[tuple[str, str, int, str]]:
    """(city, level, points, source files) of the stored reference, for the admin page."""
    rows = session.execute(
        select(
            AddressPoint.city,
            AddressPoint.level,
            func.count(),
            func.min(AddressPoint.source),
            func.max(AddressPoint.source),
        )
        .group_by(AddressPoint.city, AddressPoint.level)
        .order_by(AddressPoint.city, AddressPoint.level)
    )
    return [
        (city, level, int(n), first if first == last else f"{first} ほか")
        for city, level, n, first, last in rows
    ]


def import_reference(
    engine: Engine,
    actor: Actor,
    files: list[tuple[str, bytes]],
    *,
    cities: list[str] | None = None,
    every_city: bool = False,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ReferencePlan:
    """Read reference files and (unless ``dry_run``) store them in one transaction; audited.

    Kept: the named ``cities``, else the municipalities among the districts (a prefecture
    file holds every city), else (or with ``every_city``) all. Administrators only.
    """
    if not may_import_reference(actor):
        raise ImportRejected("住所の参照データを取り込めるのは管理者だけです")
    with db.transaction(engine) as session:
        wanted: set[str] | None = None
        if cities:
            wanted = {normalise_address(c) for c in cities}
        elif not every_city:
            wanted = wanted_cities(session) or None
        plan = read_reference(files, wanted)
        if not plan.rows:
            raise ImportRejected(
                "取り込める地点がありません（" + plan.summary() + "）", plan.problems
            )
        if dry_run:
            return plan
        store_reference(session, plan, progress)
        audit.log(
            session, actor, "import_reference", "address_points", (), rows=len(plan.rows),
            files=plan.files[:20], cities=sorted({c for c, _ in plan.counts}),
        )  # fmt: skip
    return plan
