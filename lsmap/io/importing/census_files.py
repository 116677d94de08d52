"""Reading 国勢調査 小地域 (町丁・字等) tables as the government statistics portal gives them.

Runs in the limited child process (:mod:`lsmap.io.importing.sandbox`, job ``census``).
Accepted: CSV (CP932 or UTF-8, as e-Stat writes it: a header row of codes such as
``KEY_CODE, HYOSYO, CITYNAME, NAME, … T000849001 …``, optionally a second row with the
Japanese labels of the table columns) or the DBF of e-Stat's boundary data (``KEY_CODE``,
``HCODE``, ``MOJI``, ``JINKO``, ``SETAI`` …, CP932).

Rules: ``KEY_CODE`` is 11 digits (a 9-digit code is an area without 丁目 and gets ``00``);
rows with an ``HCODE`` other than 8101 (water areas, 8154) are skipped; a cell ``*`` or
``X`` is suppressed (秘匿: its figures are counted with a neighbouring area), ``-`` is 0; a
DBF row marked 合算 (``KIGO_D``) is suppressed as a whole; pieces of one area (several rows
with the same code) are added up; rows that total their children (a 町 above its 丁目, a
city) are dropped so nothing is counted twice.
"""

from __future__ import annotations

import csv
import io
import re
import struct
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from lsmap.io.importing.problems import ImportRejected, Problem
from lsmap.io.importing.readers import decode
from lsmap.settings import ImportLimits

#: Census fields lsmap keeps, with the labels/field names that carry them, best first.
FIELD_NAMES: dict[str, tuple[str, ...]] = {
    "population": ("人口総数", "総人口", "人口", "jinko", "人口総数総数"),
    "households": ("世帯総数", "世帯数", "世帯", "setai", "一般世帯数", "一般世帯"),
    "aged_65": ("65歳以上人口", "65歳以上", "うち65歳以上", "65歳以上総数", "老年人口"),
    "aged_75": ("75歳以上人口", "75歳以上", "うち75歳以上", "75歳以上総数"),
    "elderly_alone_households": (
        "65歳以上単独世帯",
        "65歳以上の単独世帯",
        "65歳以上単身世帯",
        "高齢単身世帯",
        "高齢者単独世帯",
    ),
}
FIELD_LABELS: dict[str, str] = {
    "population": "人口",
    "households": "世帯数",
    "aged_65": "65歳以上人口",
    "aged_75": "75歳以上人口",
    "elderly_alone_households": "65歳以上単独世帯",
}
NAME_COLUMNS = ("moji", "name", "町丁字名", "町丁・字等名", "地域名", "名称")
CITY_COLUMNS = ("cityname", "city_name", "市区町村名")
SUPPRESSED_MARKS = frozenset({"*", "X", "x", "＊", "Ｘ", "秘匿"})
ZERO_MARKS = frozenset({"-", "－", "‐", "−", "―"})
#: The largest census file read (DBF of a whole prefecture is a few MB; Japan ~70 MB).
MAX_CENSUS_BYTES = 100 * 1024 * 1024


@dataclass
class CensusArea:
    """One 町丁・字等 as read: code, name and figures (None: suppressed or not given)."""

    key_code: str
    name: str
    city: str
    values: dict[str, int | None]
    suppressed: set[str] = field(default_factory=set)
    rows: list[int] = field(default_factory=list)


@dataclass
class CensusFile:
    """What a census file holds once read."""

    areas: list[CensusArea]
    fields: list[str]
    encoding: str
    skipped_hcode: int
    dropped_totals: int
    problems: list[Problem]


def label_key(label: str) -> str:
    """A column label in comparable form: NFKC, no spaces, units and brackets removed."""
    cleaned = unicodedata.normalize("NFKC", label).strip().lower()
    cleaned = re.sub(r"\((人|世帯|人口|世帯数)\)$", "", cleaned)
    cleaned = re.sub(r"[\s_()（）・、,]", "", cleaned)
    return cleaned.removeprefix("総数").removesuffix("総数") or cleaned


def field_columns(labels: list[str]) -> dict[str, int]:
    """lsmap field -> column index, from the labels (each column used once)."""
    keys = [label_key(label) for label in labels]
    found: dict[str, int] = {}
    for name, aliases in FIELD_NAMES.items():
        for alias in aliases:
            matches = [i for i, k in enumerate(keys) if k == label_key(alias)]
            free = [i for i in matches if i not in found.values()]
            if free:
                found[name] = free[0]
                break
    return found


def _column(labels: list[str], names: tuple[str, ...]) -> int | None:
    keys = [label_key(label) for label in labels]
    for name in names:
        if label_key(name) in keys:
            return keys.index(label_key(name))
    return None


def parse_value(cell: str) -> tuple[int | None, bool]:
    """(value, suppressed) of one census cell; ValueError for anything else."""
    text = unicodedata.normalize("NFKC", cell).strip()
    if text == "":
        return None, False
    if text in SUPPRESSED_MARKS or cell.strip() in SUPPRESSED_MARKS:
        return None, True
    if text in ZERO_MARKS or cell.strip() in ZERO_MARKS:
        return 0, False
    number = text.replace(",", "")
    if not re.fullmatch(r"\d+(\.0+)?", number):
        raise ValueError(text)
    return int(float(number)), False


def normalise_key_code(value: str) -> str | None:
    """The 11-digit KEY_CODE (a 9-digit one gets ``00``), else None."""
    digits = re.sub(r"\D", "", unicodedata.normalize("NFKC", value))
    if len(digits) == 11:
        return digits
    if len(digits) == 9:
        return digits + "00"
    return None


def read_census_file(data: bytes, filename: str, limits: ImportLimits | None = None) -> CensusFile:
    """(child) Read a census CSV or DBF given as bytes."""
    if len(data) > MAX_CENSUS_BYTES:
        raise ImportRejected(
            f"ファイルが大きすぎます（{len(data) / 1048576:.0f} MB、"
            f"上限 {MAX_CENSUS_BYTES // 1048576} MB）"
        )
    if not data.strip():
        raise ImportRejected("ファイルが空です")
    suffix = Path(filename).suffix.lower()
    max_rows = limits.max_rows if limits else 200_000
    if suffix == ".dbf":
        labels, rows, encoding = read_dbf(data, max_rows)
    elif suffix in (".csv", ".txt"):
        labels, rows, encoding = _read_csv(data, max_rows)
    else:
        raise ImportRejected(
            f"この形式は読めません（{suffix or '拡張子なし'}）"
            "。e-Stat の CSV か DBF を指定してください"
        )
    return census_table(labels, rows, encoding)


def _read_csv(data: bytes, max_rows: int) -> tuple[list[str], list[list[str]], str]:
    content, encoding = decode(data)
    if "\x00" in content:
        raise ImportRejected("CSV ではないバイナリファイルのようです")
    rows: list[list[str]] = []
    reader = csv.reader(io.StringIO(content, newline=""))
    try:
        for row in reader:
            if len(rows) > max_rows + 2:
                raise ImportRejected(f"行が多すぎます（上限 {max_rows:,} 行）")
            if any(cell.strip() for cell in row):
                rows.append(row)
    except csv.Error as error:
        raise ImportRejected(f"CSV を読めません（{reader.line_num}行目）") from error
    if len(rows) < 2:
        raise ImportRejected("見出しだけでデータの行がありません")
    labels = [c.strip().lstrip("\ufeff") for c in rows[0]]
    body = rows[1:]
    key = _column(labels, ("key_code",))
    if key is not None and body and normalise_key_code(body[0][key]) is None:
        # e-Stat: the second row names the table's columns (人口総数, 世帯総数 …).
        second = body[0] + [""] * (len(labels) - len(body[0]))
        labels = [second[i].strip() or labels[i] for i in range(len(labels))]
        body = body[1:]
    return labels, body, encoding


def read_dbf(data: bytes, max_rows: int) -> tuple[list[str], list[list[str]], str]:
    """Field names and text rows of a dBASE III file (CP932 text, as e-Stat writes it)."""
    if len(data) < 32 or data[0] not in (0x02, 0x03, 0x30, 0x83, 0x8B, 0xF5):
        raise ImportRejected("DBF ファイルではありません（先頭の形式が違います）")
    count, header_size, record_size = struct.unpack("<IHH", data[4:12])
    if count > max_rows:
        raise ImportRejected(f"行が多すぎます（{count:,} 行、上限 {max_rows:,} 行）")
    if header_size + count * record_size > len(data) or record_size < 2:
        raise ImportRejected("DBF ファイルが途中で切れているか、壊れています")
    fields = []
    offset = 32
    while offset + 32 <= header_size and data[offset] != 0x0D:
        raw = data[offset : offset + 32]
        fields.append((raw[:11].split(b"\x00")[0].decode("ascii", "replace"), raw[16]))
        offset += 32
    encoding = "utf-8" if data[29] == 0x00 and _is_utf8(data[header_size:]) else "cp932"
    rows = []
    for index in range(count):
        start = header_size + index * record_size
        record = data[start : start + record_size]
        if record[:1] == b"*":  # deleted
            continue
        position, row = 1, []
        for _, width in fields:
            row.append(record[position : position + width].decode(encoding, "replace").strip())
            position += width
        rows.append(row)
    return [name for name, _ in fields], rows, encoding


def _is_utf8(data: bytes) -> bool:
    try:
        data[:200_000].decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def census_table(labels: list[str], rows: list[list[str]], encoding: str) -> CensusFile:
    """Areas from a header and text rows (see the module docstring for the rules)."""
    key = _column(labels, ("key_code", "keycode"))
    if key is None:
        raise ImportRejected(
            "KEY_CODE の列がありません。e-Stat の小地域集計の CSV か DBF を指定してください"
        )
    columns = field_columns(labels)
    if "population" not in columns and "households" not in columns:
        shown = "、".join(labels[:20])
        raise ImportRejected(f"人口・世帯数の列が見つかりません（見出し: {shown}）")
    hcode = _column(labels, ("hcode",))
    merged = _column(labels, ("kigo_d",))
    name, city = _column(labels, NAME_COLUMNS), _column(labels, CITY_COLUMNS)
    areas: dict[str, CensusArea] = {}
    problems: list[Problem] = []
    skipped = city_totals = 0
    for number, row in enumerate(rows, 1):
        row = row + [""] * (len(labels) - len(row))
        if hcode is not None and row[hcode].strip() not in ("8101", ""):
            skipped += 1
            continue
        code = normalise_key_code(row[key])
        if code is None and len(re.sub(r"\D", "", row[key])) == 5:
            city_totals += 1  # a municipality's total row
            continue
        if code is None:
            problems.append(
                Problem(
                    number,
                    labels[key],
                    f"KEY_CODE「{row[key][:20]}」は11桁の数字ではないため読み飛ばしました",
                    "warning",
                )
            )
            continue
        area = areas.setdefault(
            code,
            CensusArea(code, row[name] if name is not None else "", _city(row, labels, city), {}),
        )
        if merged is not None and row[merged].strip():
            continue  # a piece merged into a neighbouring area: its people are counted there
        _add_figures(area, row, columns, labels, number, problems)
        area.rows.append(number)
    # With HCODE every 8101 row is a smallest area; tables without it also list totals.
    leaves, dropped = (
        _leaf_areas(list(areas.values())) if hcode is None else (list(areas.values()), 0)
    )
    dropped += city_totals
    for area in leaves:
        if not area.rows:  # every piece merged into a neighbour (合算地域)
            area.suppressed.update(columns)
        for suppressed in area.suppressed:
            area.values[suppressed] = None
    return CensusFile(leaves, list(columns), encoding, skipped, dropped, problems)


def _city(row: list[str], labels: list[str], city: int | None) -> str:
    if city is not None:
        return row[city]
    parts = [_column(labels, (name,)) for name in ("gst_name", "css_name")]
    return "".join(row[i] for i in parts if i is not None)


def _add_figures(
    area: CensusArea,
    row: list[str],
    columns: dict[str, int],
    labels: list[str],
    number: int,
    problems: list[Problem],
) -> None:
    for name, index in columns.items():
        try:
            value, hidden = parse_value(row[index])
        except ValueError:
            problems.append(
                Problem(number, labels[index], f"数値ではありません（{row[index][:20]}）")
            )
            continue
        if hidden:
            area.suppressed.add(name)
        elif value is not None:
            area.values[name] = (area.values.get(name) or 0) + value


def _leaf_areas(areas: list[CensusArea]) -> tuple[list[CensusArea], int]:
    """Areas that are not the total of others (a 町 ``…00`` above its 丁目)."""
    bases = {a.key_code[:9] for a in areas if not a.key_code.endswith("00")}
    leaves = [a for a in areas if not (a.key_code.endswith("00") and a.key_code[:9] in bases)]
    return leaves, len(areas) - len(leaves)
