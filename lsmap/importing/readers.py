"""Reading list files: CSV in UTF-8 / UTF-8 with BOM / Shift_JIS (CP932), and Excel .xlsx."""

from __future__ import annotations

import csv
import io
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

from lsmap.importing.normalise import text
from lsmap.importing.problems import ImportRejected

#: Largest file accepted (bytes); ``LSMAP_IMPORT_MAX_MB`` overrides the default of 20 MB.
DEFAULT_MAX_MB = 20


def max_bytes() -> int:
    """The size limit of one imported file in bytes."""
    return int(float(os.environ.get("LSMAP_IMPORT_MAX_MB", DEFAULT_MAX_MB)) * 1024 * 1024)


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
            f"ファイルが大きすぎます（{size / 1048576:.1f} MB、上限 {max_bytes() / 1048576:.0f} MB）"
        )
    return path.read_bytes()


def read_table(data: bytes, filename: str) -> RawTable:
    """Parse a CSV or XLSX file given as bytes (``filename`` decides the format)."""
    if len(data) > max_bytes():
        raise ImportRejected(
            f"ファイルが大きすぎます（{len(data) / 1048576:.1f} MB、上限 {max_bytes() / 1048576:.0f} MB）"
        )
    if not data.strip():
        raise ImportRejected("ファイルが空です")
    suffix = Path(filename).suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        table = _read_xlsx(data)
    elif suffix in (".csv", ".txt", ".tsv", ""):
        table = _read_csv(data)
    elif suffix == ".xls":
        raise ImportRejected("古い Excel 形式（.xls）は読めません。.xlsx か CSV で保存し直してください")
    else:
        raise ImportRejected(f"この形式のファイルは読めません（{suffix}）。CSV か .xlsx を使ってください")
    if not any(h for h in table.headers):
        raise ImportRejected("1行目に見出し（列名）がありません")
    if not table.rows:
        raise ImportRejected("見出しだけでデータの行がありません")
    return table


def decode(data: bytes) -> tuple[str, str]:
    """Decode CSV bytes: BOM → UTF-8; else strict UTF-8; else strict CP932 (Shift_JIS)."""
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError as error:
            raise _undecodable(data[3:], error, "UTF-8") from error
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp932"), "cp932"
    except UnicodeDecodeError as error:
        raise _undecodable(data, error, "UTF-8 でも Shift_JIS でも") from error


def _undecodable(data: bytes, error: UnicodeDecodeError, tried: str) -> ImportRejected:
    line = data[: error.start].count(b"\n") + 1
    return ImportRejected(
        f"文字コードを判別できません（{tried}読めません。ファイルの{line}行目付近）。"
        "ファイルが途中で切れているか、別の文字コードの可能性があります。"
        "UTF-8 または Shift_JIS の CSV で保存し直してください"
    )


def _read_csv(data: bytes) -> RawTable:
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
        records = [row for row in reader]
    except csv.Error as error:
        raise ImportRejected(
            f"CSV を読めません（{reader.line_num}行目: 引用符 \" が閉じていません）。"
            "ファイルが途中で切れていないか確かめてください"
        ) from error
    records = [row for row in records if any(cell.strip() for cell in row)]
    if not records:
        raise ImportRejected("ファイルが空です")
    headers = [text(h).lstrip("\ufeff") for h in records[0]]
    return RawTable(headers=headers, rows=[_pad(row, len(headers)) for row in records[1:]], encoding=encoding)


def _read_xlsx(data: bytes) -> RawTable:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise ImportRejected("Excel ファイルが壊れているか、途中で切れています") from error
    try:
        sheet = workbook.worksheets[0]
        records = []
        for values in sheet.iter_rows(values_only=True):
            row = ["" if v is None else _cell_text(v) for v in values]
            if any(cell.strip() for cell in row):
                records.append(row)
    finally:
        workbook.close()
    if not records:
        raise ImportRejected("ファイルが空です")
    headers = [text(h) for h in records[0]]
    while headers and not headers[-1]:
        headers.pop()
    return RawTable(headers=headers, rows=[_pad(row, len(headers)) for row in records[1:]], encoding="xlsx")


def _cell_text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _pad(row: list[str], width: int) -> list[str]:
    return (row + [""] * width)[:width] if len(row) < width else row[:width]
