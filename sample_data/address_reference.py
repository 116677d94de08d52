"""The sample town's address reference, in the real 位置参照情報 formats, and address variants.

The MLIT 位置参照情報 a council downloads comes as CP932 CSV with every field quoted:

- 街区レベル (14 columns): 都道府県名, 市区町村名, 大字・丁目名, 小字・通称名, 街区符号・地番,
  座標系番号, Ｘ座標, Ｙ座標, 緯度, 経度, 住居表示フラグ, 代表フラグ, 更新前履歴フラグ,
  更新後履歴フラグ. Ｘ is the northing and Ｙ the easting of the plane-rectangular zone.
- 大字・町丁目レベル (10 columns): 都道府県コード, 都道府県名, 市区町村コード, 市区町村名,
  大字町丁目コード, 大字町丁目名, 緯度, 経度, 原典資料コード, 大字・字・丁目区分コード.

Here both are generated for さくら台市 so that the addresses the sample town writes resolve:
the 丁目 towns have 街区 1–25 (住居表示), the other towns 地番 100–2599; two towns carry 小字
(新田: 東・西, 北山: 上・下) and two have a former name (旧町名) kept as 更新前履歴 rows.
:func:`address_variants` writes addresses the way real 名簿 do, with the town and number each
one means, to measure the geocoder's match rate.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

import numpy as np
import shapely
from pyproj import Transformer

from sample_data.areas import CITY_NAME, METRIC_EPSG, Neighbourhood, build_areas
from sample_data.persons import chance, pick

PREF_NAME = "神奈川県"
PREF_CODE = "14"
CITY_CODE5 = "14999"
ZONE = "9"
GAIKU_HEADER: tuple[str, ...] = (
    "都道府県名", "市区町村名", "大字・丁目名", "小字・通称名", "街区符号・地番", "座標系番号",
    "Ｘ座標", "Ｙ座標", "緯度", "経度", "住居表示フラグ", "代表フラグ", "更新前履歴フラグ",
    "更新後履歴フラグ",
)  # fmt: skip
OAZA_HEADER: tuple[str, ...] = (
    "都道府県コード", "都道府県名", "市区町村コード", "市区町村名", "大字町丁目コード",
    "大字町丁目名", "緯度", "経度", "原典資料コード", "大字・字・丁目区分コード",
)  # fmt: skip
#: 街区 of a 丁目 town (住居表示) and 地番 of the other towns, as the sample writes them.
CHOME_BLOCKS = range(1, 26)
LOT_NUMBERS = range(100, 2600)
#: 小字 of some towns: town -> (koaza for lots below the split, koaza above, split).
KOAZA: dict[str, tuple[str, str, int]] = {"新田": ("東", "西", 1350), "北山": ("上", "下", 900)}
#: Former names (旧町名) kept in the reference as 更新前履歴 rows.
OLD_NAMES: dict[str, str] = {"駅前": "停車場通", "緑町": "緑ケ谷"}
_TO_METRES = Transformer.from_crs(4326, METRIC_EPSG, always_xy=True)
_TO_LONLAT = Transformer.from_crs(METRIC_EPSG, 4326, always_xy=True)
_NUMERALS = "〇一二三四五六七八九"


@dataclass(frozen=True)
class ReferenceRow:
    """One 街区 or 地番 of the reference."""

    town: str
    koaza: str
    block: str
    lon: float
    lat: float
    residential: bool
    old: bool = False


@dataclass(frozen=True)
class AddressVariant:
    """An address as a 名簿 might write it, with the town and number it means."""

    text: str
    town: str
    block: int | None


def _streams(seed: int) -> tuple[np.random.Generator, np.random.Generator]:
    """The town's area stream (as :func:`sample_data.town.generate_town` uses it) and the
    reference's own stream, so the reference never changes the town."""
    sequences = np.random.SeedSequence(seed).spawn(6)
    return np.random.default_rng(sequences[0]), np.random.default_rng(sequences[5])


def _points_in(hood: Neighbourhood, rng: np.random.Generator, count: int) -> np.ndarray:
    """``count`` points (lon, lat) well inside the 町内, uniformly spread."""
    inner = hood.metric.buffer(-15.0)
    inner = hood.metric if inner.is_empty else inner
    minx, miny, maxx, maxy = inner.bounds
    found = np.empty((0, 2))
    while len(found) < count:
        xy = rng.uniform((minx, miny), (maxx, maxy), size=(count * 3, 2))
        found = np.vstack([found, xy[shapely.contains_xy(inner, xy[:, 0], xy[:, 1])]])
    lon, lat = _TO_LONLAT.transform(found[:count, 0], found[:count, 1])
    return np.column_stack([lon, lat])


def reference_rows(seed: int) -> list[ReferenceRow]:
    """Every 街区 and 地番 of the sample town, with the 旧町名 rows."""
    area_rng, rng = _streams(seed)
    _, neighbourhoods = build_areas(area_rng)
    rows: list[ReferenceRow] = []
    for hood in neighbourhoods:
        chome = hood.name.endswith("丁目")
        numbers = CHOME_BLOCKS if chome else LOT_NUMBERS
        points = _points_in(hood, rng, len(numbers))
        for number, (lon, lat) in zip(numbers, points, strict=True):
            koaza = ""
            if hood.name in KOAZA:
                low, high, split = KOAZA[hood.name]
                koaza = low if number < split else high
            row = ReferenceRow(hood.name, koaza, str(number), round(lon, 6), round(lat, 6), chome)
            rows.append(row)
            if hood.name in OLD_NAMES:
                old = OLD_NAMES[hood.name]
                rows.append(ReferenceRow(old, "", row.block, row.lon, row.lat, chome, old=True))
    return rows


def town_points(seed: int) -> list[tuple[str, float, float, bool]]:
    """(町丁目, lon, lat, is 丁目) of every 町内: the 大字・町丁目レベル rows."""
    area_rng, _ = _streams(seed)
    _, neighbourhoods = build_areas(area_rng)
    return [
        (n.name, round(n.representative.x, 6), round(n.representative.y, 6), "丁目" in n.name)
        for n in neighbourhoods
    ]


def _write(header: tuple[str, ...], rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("cp932")


def gaiku_csv(seed: int) -> bytes:
    """The 街区レベル位置参照情報 of the sample town: CP932, quoted, 14 columns."""
    out = []
    for r in reference_rows(seed):
        x_east, y_north = _TO_METRES.transform(r.lon, r.lat)
        out.append(
            [PREF_NAME, CITY_NAME, r.town, r.koaza, r.block, ZONE, f"{y_north:.1f}",
             f"{x_east:.1f}", f"{r.lat:.6f}", f"{r.lon:.6f}", "1" if r.residential else "0",
             "1", "1" if r.old else "0", "0"]
        )  # fmt: skip
    return _write(GAIKU_HEADER, out)


def oaza_csv(seed: int) -> bytes:
    """The 大字・町丁目レベル位置参照情報 of the sample town: CP932, quoted, 10 columns."""
    out = []
    for number, (name, lon, lat, chome) in enumerate(town_points(seed), start=1):
        out.append(
            [PREF_CODE, PREF_NAME, CITY_CODE5, CITY_NAME, f"{CITY_CODE5}{number:04d}000", name,
             f"{lat:.6f}", f"{lon:.6f}", "3", "3" if chome else "1"]
        )  # fmt: skip
    return _write(OAZA_HEADER, out)


# ---------------------------------------------------------------- address variants


def _kanji(number: int) -> str:
    """``number`` in positional 漢数字 (十二, 百二十三, 千二百)."""
    out = ""
    for unit, mark in ((1000, "千"), (100, "百"), (10, "十")):
        digit, number = divmod(number, unit)
        if digit:
            out += ("" if digit == 1 else _NUMERALS[digit]) + mark
    return out + (_NUMERALS[number] if number else "")


def _wide(text: str) -> str:
    return text.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789"})


def _chome_split(town: str) -> tuple[str, int]:
    base = town.removesuffix("丁目")
    return base[:-1], _NUMERALS.index(base[-1])


def _chome_text(rng: np.random.Generator, town: str, block: int) -> str:
    base, chome = _chome_split(town)
    go = int(rng.integers(1, 31))
    dash = pick(rng, ("-", "－", "ー", "‐", "−"))
    styles = (
        f"{town}{block}-{go}",
        f"{base}{chome}丁目{block}番{go}号",
        f"{base}{chome}-{block}-{go}",
        f"{base}{_kanji(chome)}丁目{_kanji(block)}番{_kanji(go)}号",
        _wide(f"{base}{chome}丁目{block}{dash}{go}"),
        f"{base}{chome}丁目{block}番地{go}",
        f"{town}{block}番{go}",
    )
    return pick(rng, styles)


def _lot_text(rng: np.random.Generator, town: str, lot: int) -> str:
    branch = int(rng.integers(1, 12))
    koaza = ""
    if town in KOAZA:
        low, high, split = KOAZA[town]
        koaza = low if lot < split else high
    styles = (
        f"{town}{lot}",
        f"{town}{lot}-{branch}",
        f"{town}{lot}番地",
        f"{town}{lot}番地の{branch}",
        f"大字{town}{lot}番地{branch}",
        f"{town}{_kanji(lot)}番地",
        _wide(f"{town}{lot}－{branch}"),
    )
    text = pick(rng, styles)
    if koaza and chance(rng, 0.5):
        text = text.replace(town, f"{town}字{koaza}" if chance(rng, 0.5) else town + koaza, 1)
    return text


def _spelling(rng: np.random.Generator, text: str) -> str:
    """The other ways a town is spelt: 桜が丘 / 桜ケ丘, 上の原, 旧町名."""
    if "桜ヶ丘" in text and chance(rng, 0.6):
        text = text.replace("桜ヶ丘", pick(rng, ("桜が丘", "桜ケ丘", "櫻ヶ丘")))
    if "上ノ原" in text and chance(rng, 0.5):
        text = text.replace("上ノ原", "上の原")
    for new, old in OLD_NAMES.items():
        if text.startswith(new) and chance(rng, 0.3):
            text = pick(rng, (old, "字" + old)) + text[len(new) :]
    return text


def address_variants(seed: int, count: int = 1000) -> list[AddressVariant]:
    """``count`` addresses of the sample town written as real lists write them.

    About 2 % name a 街区 or 地番 the reference does not have (a new house, a typo):
    those can be placed only on their 町丁目.
    """
    rng = np.random.default_rng(seed + 17)
    towns = [name for name, *_ in town_points(seed)]
    variants = []
    for _ in range(count):
        town = pick(rng, towns)
        chome = town.endswith("丁目")
        missing = chance(rng, 0.02)
        if chome:
            block = int(rng.integers(26, 40)) if missing else int(rng.integers(1, 26))
            text = _chome_text(rng, town, block)
        else:
            block = int(rng.integers(2600, 3000)) if missing else int(rng.integers(100, 2600))
            text = _lot_text(rng, town, block)
        text = _spelling(rng, text)
        prefix = pick(rng, ("", CITY_NAME, CITY_NAME, PREF_NAME + CITY_NAME, CITY_NAME + "　"))
        suffix = pick(rng, ("", "", "", " さくらハイツ101", "　グリーンコート２０３号室", "-205"))
        if suffix == "-205" and not chome:
            suffix = ""
        variants.append(AddressVariant(prefix + text + suffix, town, None if missing else block))
    return variants
