"""Reading list files: CSV in UTF-8 / UTF-8 with BOM / Shift_JIS (CP932), and Excel .xlsx.

Files in other encodings are refused with a message naming the encoding (ISO-2022-JP,
UTF-16, EUC-JP) instead of being read as garbled text. Rows are counted while they are read
and reading stops past ``LSMAP_IMPORT_MAX_ROWS``; an .xlsx is checked as a zip (members,
expanded size, compression ratio) and by the row count its sheet declares before a cell is
read. The app and the command line call this through :mod:`lsmap.io.importing.sandbox`.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from lsmap.io.importing import archives
from lsmap.io.importing.normalise import text
from lsmap.io.importing.problems import ImportRejected
from lsmap.settings import ImportLimits, import_limits

#: Escape sequences of ISO-2022-JP (JIS): 7-bit, so they would pass as UTF-8.
_ISO_2022_JP = (b"\x1b$B", b"\x1b$@", b"\x1b(B", b"\x1b(J", b"\x1b(I", b"\x1b$(D")
_SAVE_AGAIN = "UTF-8 または Shift_JIS の CSV で保存し直してください（Excel なら「CSV UTF-8」）"


def max_bytes() -> int:
    """The size limit of one imported list file in bytes (``LSMAP_IMPORT_MAX_MB``, 20 MB)."""
    return int(import_limits().max_mb * 1024 * 1024)


@dataclass(frozen=True)
class RawTable:
    """A list file as read: its header row and data rows (all text), and how it was decoded."""

    headers: list[str]
    rows: list[list[str]]
    encoding: str  # "utf-8-sig", "utf-8", "cp932" or "xlsx"


def read_bytes(path: Path) -> bytes:
    """The file's bytes, refusing a missing, empty or too large file."""
    if not path.is_file():
        raise ImportRejected(f"ファイルが見つかりません: {path.name}")
    size = path.stat().st_size
    if size > max_bytes():
        raise ImportRejected(
            f"ファイルが大きすぎます（{size / 1048576:.1f} MB、上限 {max_bytes() / 1048576:.0f} "
            "MB）"
        )
    return path.read_bytes()


def read_table(data: bytes, filename: str, limits: ImportLimits | None = None) -> RawTable:
    """Parse a CSV or XLSX file given as bytes (``filename`` decides the format).

    This parses in the calling process; files from outside go through
    :func:`lsmap.io.importing.sandbox.parse_table`, which runs it in a limited child.
    """
    limits = limits or import_limits()
    if len(data) > limits.max_mb * 1024 * 1024:
        raise ImportRejected(
            f"ファイルが大きすぎます（{len(data) / 1048576:.1f} MB、上限 {limits.max_mb:g} MB）"
        )
    if not data.strip():
        raise ImportRejected("ファイルが空です")
    suffix = Path(filename).suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        table = _read_xlsx(data, limits)
    elif suffix in (".csv", ".txt", ".tsv", ""):
        table = _read_csv(data, limits)
    elif suffix == ".xls":
        raise ImportRejected(
            "古い Excel 形式（.xls）は読めません。.xlsx か CSV で保存し直してください"
        )
    else:
        raise ImportRejected(
            f"この形式のファイルは読めません（{suffix}）。CSV か .xlsx を使ってください"
        )
    if not any(h for h in table.headers):
        raise ImportRejected("1行目に見出し（列名）がありません")
    if not table.rows:
        raise ImportRejected("見出しだけでデータの行がありません")
    return table


def decode(data: bytes) -> tuple[str, str]:
    """Decode CSV bytes: BOM → UTF-8; else strict UTF-8; else strict CP932 (Shift_JIS).

    ISO-2022-JP, UTF-16/32 and EUC-JP are refused with a message naming the encoding.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError as error:
            raise _undecodable(data[3:], error, "UTF-8") from error
    refuse_other_encodings(data)
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        content = data.decode("cp932")
    except UnicodeDecodeError as error:
        if reads_as_euc_jp(data):
            raise _other_encoding("EUC-JP") from error
        raise _undecodable(data, error, "UTF-8 でも Shift_JIS でも") from error
    if mostly_halfwidth_kana(content) and reads_as_euc_jp(data):
        raise _other_encoding("EUC-JP")
    return content, "cp932"


def refuse_other_encodings(data: bytes) -> None:
    """Raise ImportRejected for UTF-16/32 (BOM or NUL pattern) and ISO-2022-JP (escapes)."""
    if data.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        raise _other_encoding("UTF-32")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise _other_encoding("UTF-16")
    sample = data[:65536]
    nuls = sample.count(b"\x00")
    if nuls and nuls * 20 >= len(sample):
        even = sample[0::2].count(b"\x00")
        if max(even, nuls - even) >= nuls * 0.9:
            raise _other_encoding("UTF-16")
    if any(escape in data for escape in _ISO_2022_JP):
        raise _other_encoding("ISO-2022-JP（JIS コード）")


def mostly_halfwidth_kana(text: str) -> bool:
    """True when most non-ASCII characters are half-width katakana: what EUC-JP kana and
    kanji (bytes 0xA1–0xFE) turn into when read as Shift_JIS."""
    foreign = [c for c in text if ord(c) > 0x7F]
    return bool(foreign) and 2 * sum(0xFF61 <= ord(c) <= 0xFF9F for c in foreign) >= len(foreign)


def reads_as_euc_jp(data: bytes) -> bool:
    """True when ``data`` is valid EUC-JP and reads as Japanese (kana, kanji, full-width forms).

    Real Shift_JIS kanji (lead bytes 0x81–0x9F) are invalid EUC-JP, so Shift_JIS files
    rarely pass.
    """
    try:
        foreign = [c for c in data.decode("euc_jp") if ord(c) > 0x7F]
    except UnicodeDecodeError:
        return False
    japanese = sum(
        0x3000 <= ord(c) <= 0x30FF or 0x4E00 <= ord(c) <= 0x9FFF or 0xFF01 <= ord(c) <= 0xFF5E
        for c in foreign
    )
    return bool(foreign) and japanese >= 0.9 * len(foreign)


def _other_encoding(name: str) -> ImportRejected:
    return ImportRejected(
        f"文字コードが {name} のファイルは読めません（そのまま読むと文字化けします）。{_SAVE_AGAIN}"
    )


def _undecodable(data: bytes, error: UnicodeDecodeError, tried: str) -> ImportRejected:
    line = data[: error.start].count(b"\n") + 1
    return ImportRejected(
        f"文字コードを判別できません（{tried}読めません。ファイルの{line}行目付近）。"
        f"ファイルが途中で切れているか、別の文字コードの可能性があります。{_SAVE_AGAIN}"
    )


def _read_csv(data: bytes, limits: ImportLimits) -> RawTable:
    content, encoding = decode(data)
    if "\x00" in content:
        raise ImportRejected("CSV ではないバイナリファイルのようです")
    head = content.lstrip()[:200].lower()
    if head.startswith(("<!doctype", "<html", "<?xml")):
        raise ImportRejected("HTML または XML のファイルです。CSV か .xlsx を指定してください")
    sample = content[:4096]
    delimiter = "\t" if sample.count("\t") > sample.count(",") else ","
    reader = csv.reader(io.StringIO(content, newline=""), delimiter=delimiter, strict=True)
    try:
        records = _capped(reader, limits)
    except csv.Error as error:
        raise ImportRejected(
            f'CSV を読めません（{reader.line_num}行目: 引用符 " が閉じていません）。'
            "ファイルが途中で切れていないか確かめてください"
        ) from error
    if not records:
        raise ImportRejected("ファイルが空です")
    headers = [text(h).lstrip("\ufeff") for h in records[0]]
    return RawTable(
        headers=headers, rows=[_pad(row, len(headers)) for row in records[1:]], encoding=encoding
    )


def _capped(rows: Iterable[Sequence[object]], limits: ImportLimits) -> list[list[str]]:
    """The non-blank rows as text; stops with ImportRejected past the header and max_rows."""
    records: list[list[str]] = []
    for count, values in enumerate(rows, 1):
        if count > limits.max_rows + 1:
            raise _too_many_rows(limits)
        row = ["" if v is None else _cell_text(v) for v in values]
        if any(cell.strip() for cell in row):
            records.append(row)
    return records


def _too_many_rows(limits: ImportLimits, declared: int | None = None) -> ImportRejected:
    found = f"シートの使用範囲は {declared:,} 行あります。" if declared else ""
    return ImportRejected(
        f"行が多すぎます（見出しを除いて上限 {limits.max_rows:,} 行）。{found}"
        "ファイルを分けて取り込んでください（上限は LSMAP_IMPORT_MAX_ROWS で変えられます）"
    )


def _read_xlsx(data: bytes, limits: ImportLimits) -> RawTable:
    from openpyxl import load_workbook

    what = "Excel ファイル"
    with archives.open_zip(io.BytesIO(data), what) as archive:
        archives.check_members(archive, limits, what)
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise ImportRejected("Excel ファイルが壊れているか、途中で切れています") from error
    try:
        sheet = workbook.worksheets[0]
        declared = sheet.max_row  # from the sheet's <dimension>, before any row is read
        if declared is not None and declared > limits.max_rows + 1:
            raise _too_many_rows(limits, declared)
        records = _capped(sheet.iter_rows(values_only=True), limits)
    finally:
        workbook.close()
    if not records:
        raise ImportRejected("ファイルが空です")
    headers = [text(h) for h in records[0]]
    while headers and not headers[-1]:
        headers.pop()
    return RawTable(
        headers=headers, rows=[_pad(row, len(headers)) for row in records[1:]], encoding="xlsx"
    )


def _cell_text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _pad(row: list[str], width: int) -> list[str]:
    return (row + [""] * width)[:width] if len(row) < width else row[:width]
