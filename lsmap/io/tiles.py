"""A local raster tile set for the background: an MBTiles file exported to the app's folder.

``lsmap basemap tiles FILE.mbtiles`` writes every tile of a raster MBTiles file (PNG, JPEG
or WebP) to ``static/tiles/basemap/{z}/{x}/{y}.{ext}`` with a ``tiles.json`` beside them;
Streamlit serves that folder on the app's own origin (/app/static/tiles/basemap/…), so the
map needs no internet (``LSMAP_BASEMAP=local``). The file is opened read-only, its schema
is not trusted, every tile must carry the image signature of the declared format, and the
count and size are capped; the new set replaces the old one only when it is complete.
Vector tiles (pbf) are refused: drawing them would need a style engine in the browser.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from lsmap.io.importing.problems import ImportRejected

#: Image signatures of the raster formats a tile may have.
SIGNATURES = {"png": (b"\x89PNG\r\n\x1a\n",), "jpg": (b"\xff\xd8\xff",), "webp": (b"RIFF",)}
FORMAT_NAMES = {"png": "png", "jpg": "jpg", "jpeg": "jpg", "webp": "webp"}
DEFAULT_MAX_TILES = 500_000
DEFAULT_MAX_MB = 4096


@dataclass(frozen=True)
class TileSet:
    """What an export wrote."""

    tiles: int
    format: str
    minzoom: int
    maxzoom: int
    credit: str
    bytes: int


def _open(path: Path) -> sqlite3.Connection:
    if not path.is_file():
        raise ImportRejected(f"ファイルが見つかりません: {path.name}")
    with path.open("rb") as handle:
        if handle.read(16) != b"SQLite format 3\x00":
            raise ImportRejected(f"「{path.name}」は MBTiles（SQLite）ではありません")
    connection = sqlite3.connect(f"file:{quote(str(path))}?mode=ro&immutable=1", uri=True)
    connection.execute("PRAGMA trusted_schema = OFF")
    return connection


def _metadata(connection: sqlite3.Connection) -> dict[str, str]:
    try:
        rows = connection.execute("SELECT name, value FROM metadata").fetchall()
    except sqlite3.DatabaseError as error:
        raise ImportRejected("MBTiles の metadata 表を読めません") from error
    return {str(name): str(value) for name, value in rows}


def export_mbtiles(path: Path, target: Path, credit: str = "") -> TileSet:
    """Write the tiles of ``path`` under ``target`` (replacing what was there); ImportRejected
    with a Japanese message when the file is not a raster MBTiles lsmap can serve."""
    connection = _open(path)
    try:
        meta = _metadata(connection)
        fmt = FORMAT_NAMES.get(meta.get("format", "png").lower())
        if fmt is None:
            raise ImportRejected(
                f"タイルの形式「{meta.get('format')}」には対応していません（PNG・JPEG・WebP "
                "の画像タイルだけです）"
            )
        count = connection.execute("SELECT count(*) FROM tiles").fetchone()[0]
        limit = int(os.environ.get("LSMAP_TILES_MAX", str(DEFAULT_MAX_TILES)))
        if count == 0 or count > limit:
            raise ImportRejected(
                f"タイルの数が 0 か、多すぎます（{count:,} 枚、上限 {limit:,} 枚）"
            )
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".tiles-", dir=target.parent))
        try:
            written, zooms = _write_tiles(connection, staging, fmt)
            info = TileSet(
                count,
                fmt,
                min(zooms),
                max(zooms),
                (credit or meta.get("attribution", "") or f"背景地図：{path.name}")[:300],
                written,
            )
            (staging / "tiles.json").write_text(
                json.dumps(info.__dict__, ensure_ascii=False), encoding="utf-8"
            )
            if target.exists():
                shutil.rmtree(target)
            staging.rename(target)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    finally:
        connection.close()
    return info


def _write_tiles(connection: sqlite3.Connection, folder: Path, fmt: str) -> tuple[int, set[int]]:
    """Every tile as ``{z}/{x}/{y}.{fmt}`` (MBTiles rows count from the south: flipped)."""
    limit = int(os.environ.get("LSMAP_TILES_MAX_MB", str(DEFAULT_MAX_MB))) * 1024 * 1024
    written = 0
    zooms: set[int] = set()
    query = "SELECT zoom_level, tile_column, tile_row, tile_data FROM tiles"
    for z, x, row, data in connection.execute(query):
        z, x, row = int(z), int(x), int(row)
        if not (0 <= z <= 24 and 0 <= x < 2**z and 0 <= row < 2**z):
            raise ImportRejected(f"タイルの番号が正しくありません（z={z}, x={x}, y={row}）")
        blob = bytes(data or b"")
        if not blob.startswith(SIGNATURES[fmt]):
            raise ImportRejected(f"{fmt} の画像ではないタイルがあります（z={z}, x={x}）")
        written += len(blob)
        if written > limit:
            raise ImportRejected("タイルの合計が大きすぎます（LSMAP_TILES_MAX_MB で変えられます）")
        y = 2**z - 1 - row
        tile = folder / str(z) / str(x) / f"{y}.{fmt}"
        tile.parent.mkdir(parents=True, exist_ok=True)
        tile.write_bytes(blob)
        zooms.add(z)
    return written, zooms
