"""Checking a zip (a zipped Shapefile, or an .xlsx) before anything in it is decompressed.

Only the central directory is read: member names, declared sizes and flags. A member whose
name leaves the archive (``../``, absolute, drive letters), a link, an encrypted member,
too many members, too much data once expanded, or a compression ratio no real file reaches
(a zip bomb) refuses the whole archive. Extraction then never writes more than a member
declares: :mod:`zipfile` stops at the declared size and checks the CRC.
"""

from __future__ import annotations

import re
import shutil
import stat
import zipfile
import zlib
from pathlib import Path, PurePosixPath
from typing import IO

from lsmap.io.importing.problems import ImportRejected
from lsmap.settings import ImportLimits

#: More members than this is not a boundary file or a workbook.
MAX_MEMBERS = 200
#: Deflate reaches about 1000:1 on constant data; real members (even blank-padded .dbf
#: files at about 100:1) stay well below this.
MAX_RATIO = 300
#: Small members may have any ratio (a few kB of spaces); the ratio matters above this.
RATIO_FROM_BYTES = 1024 * 1024
_DRIVE = re.compile(r"^[A-Za-z]:")
MB = 1024 * 1024


def open_zip(source: Path | IO[bytes], what: str) -> zipfile.ZipFile:
    """The archive, or ImportRejected naming ``what`` (「zip ファイル」, 「Excel ファイル」)
    when damaged."""
    try:
        return zipfile.ZipFile(source)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as error:
        raise ImportRejected(f"{what}が壊れているか、途中で切れています") from error


def unsafe_name(name: str) -> bool:
    """True when a member name would leave the folder it is extracted to."""
    cleaned = name.replace("\\", "/")
    if "\x00" in cleaned or cleaned.startswith("/") or _DRIVE.match(cleaned):
        return True
    return any(part == ".." for part in cleaned.split("/"))


def is_link(info: zipfile.ZipInfo) -> bool:
    """True for a member stored as a symbolic link (Unix mode in the external attributes)."""
    return stat.S_ISLNK(info.external_attr >> 16)


def check_members(
    archive: zipfile.ZipFile, limits: ImportLimits, what: str
) -> list[zipfile.ZipInfo]:
    """The members of ``archive`` after the checks above; raises ImportRejected otherwise."""
    members = archive.infolist()
    if len(members) > MAX_MEMBERS:
        raise ImportRejected(
            f"{what}の中のファイルが多すぎます（{len(members)} 個、上限 {MAX_MEMBERS} 個）"
        )
    for info in members:
        if unsafe_name(info.filename):
            raise ImportRejected(
                f"{what}の中に、展開先の外を指すファイル名があります（{info.filename[:80]}）。安全のため読みません"
            )
        if is_link(info):
            raise ImportRejected(
                f"{what}の中にリンク（シンボリックリンク）があります（{info.filename[:80]}）。安全のため読みません"
            )
        if info.flag_bits & 0x1:
            raise ImportRejected(
                f"{what}にパスワードがかかっています。パスワードなしで保存し直してください"
            )
    total = sum(info.file_size for info in members)
    if total > limits.max_uncompressed_mb * MB:
        raise ImportRejected(
            f"{what}を展開すると {total / MB:,.0f} MB になります（上限 "
            f"{limits.max_uncompressed_mb:,.0f} MB）。"
            "ファイルを分けてください"
        )
    for info in members:
        if info.file_size > RATIO_FROM_BYTES and info.file_size > MAX_RATIO * max(
            info.compress_size, 1
        ):
            raise ImportRejected(
                f"{what}の中の「{info.filename[:80]}」"
                f"は圧縮率が異常に高く（{info.file_size // max(info.compress_size, 1):,} 倍）、"
                "zip 爆弾の疑いがあるため展開しません"
            )
    return members


def extract(archive: zipfile.ZipFile, info: zipfile.ZipInfo, target: Path, what: str) -> None:
    """Write one checked member to ``target`` (a path the caller chose, never the member's name)."""
    try:
        with archive.open(info) as source, target.open("wb") as out:
            shutil.copyfileobj(source, out, 1024 * 1024)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError) as error:
        raise ImportRejected(
            f"{what}が壊れているか、途中で切れています（{info.filename[:80]}）"
        ) from error


def member_suffix(name: str) -> str:
    """The lower-case suffix of a member name (``.shp``)."""
    return PurePosixPath(name.replace("\\", "/")).suffix.lower()
