"""Japanese names and addresses in one comparable form: the normaliser every feature reuses.

Real 名簿 write one address many ways: 「さくら台市本町三丁目１２番地３」, 「本町3-12-3」,
「本町３丁目１２－３ さくらハイツ101」, 「神奈川県さくら台市大字新田字東1234番地」.
:func:`normalise_address` turns each into one canonical string, and :func:`normalise_name`
does the same for people's names (spaces, width, old character forms). Both are pure,
offline and fast (about 20 µs a call), so imports, duplicate checks, the geocoder and name
list matching all compare the same keys.

Canonical address form (what the rules do, in order):

1. NFKC: full-width digits, letters and spaces become half-width; every space is removed.
2. Dashes between numbers (-, −, ー, ‐, －, ― …) become ``-``.
3. 漢数字 before 丁目・番地・番・号・地割 or next to a dash become digits
   (三丁目 → 3丁目, 十二番 → 12番, 一二三 → 123, 百二 → 102).
4. Three numbers after a town name are 丁目-番-号 (本町3-12-3 → 本町3丁目12-3);
   番地・番・号・の between numbers become ``-``; a trailing 番地・番・号 is dropped
   (12番地3 → 12-3, 12番3号 → 12-3, 12の3 → 12-3).
5. 大字, 小字 and the 字 marker are dropped (大字新田字東 → 新田東).
6. ヶ・ケ・が・ガ・ヵ between kanji become ケ, の・之・ノ between kanji become ノ
   (桜ヶ丘 = 桜が丘 = 桜ケ丘), and old character forms become the common ones (澤 → 沢).
7. A leading prefecture name is dropped; with ``city`` given, an address without a
   市町村 gets it in front (addresses written relative to the city).

Building names and room numbers stay in the string (two flats of one building are two
households); :func:`split_number` reads only the first numbers after the town.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

__all__ = [
    "PREFECTURES",
    "NumberParts",
    "kanji_number",
    "normalise_address",
    "normalise_name",
    "split_number",
    "strip_prefecture",
    "with_city",
]

PREFECTURES: tuple[str, ...] = (
    "北海道", "青森県", "岩手県", "宮城県", "秋田県", "山形県", "福島県", "茨城県", "栃木県",
    "群馬県", "埼玉県", "千葉県", "東京都", "神奈川県", "新潟県", "富山県", "石川県", "福井県",
    "山梨県", "長野県", "岐阜県", "静岡県", "愛知県", "三重県", "滋賀県", "京都府", "大阪府",
    "兵庫県", "奈良県", "和歌山県", "鳥取県", "島根県", "岡山県", "広島県", "山口県", "徳島県",
    "香川県", "愛媛県", "高知県", "福岡県", "佐賀県", "長崎県", "熊本県", "大分県", "宮崎県",
    "鹿児島県", "沖縄県",
)  # fmt: skip

#: Old or variant character forms seen in names and addresses, and the common form.
VARIANTS: dict[str, str] = {
    "髙": "高", "﨑": "崎", "嵜": "崎", "齋": "斎", "齊": "斉", "邊": "辺", "邉": "辺",
    "澤": "沢", "濱": "浜", "濵": "浜", "廣": "広", "國": "国", "嶋": "島", "嶌": "島",
    "櫻": "桜", "瀨": "瀬", "舘": "館", "冨": "富", "萬": "万", "會": "会", "驒": "騨",
    "槇": "槙", "彌": "弥", "藏": "蔵", "條": "条", "鐵": "鉄", "龍": "竜", "壽": "寿",
    "眞": "真", "實": "実", "惠": "恵", "户": "戸", "德": "徳", "靜": "静", "淺": "浅",
    "關": "関", "黑": "黒", "曾": "曽", "增": "増",
}  # fmt: skip
_VARIANT_TABLE = str.maketrans(VARIANTS)
_KANJI_DIGITS = "〇一二三四五六七八九"
_KANJI = "〇一二三四五六七八九十百千"
_DASH = "-‐‑‒–—―−ー─━ｰ－"
_SPACES = re.compile(r"[\s\u3000]+")
_DASH_BETWEEN = re.compile(rf"(?<=[0-9{_KANJI}])[{re.escape(_DASH)}](?=[0-9{_KANJI}])")
_KANJI_NUMBER = re.compile(
    rf"[{_KANJI}]+(?=丁目|番地|番|号|地割|-|の[0-9{_KANJI}])|(?<=-)[{_KANJI}]+|(?<=[0-9]番地)[{_KANJI}]+"
)
_CHOME_DASH = re.compile(r"丁目-(?=\d)")
_THREE_NUMBERS = re.compile(r"(?<=[^\d-])(\d{1,2})-(?=\d+-\d+)")
_BANCHI = re.compile(r"(\d+)(?:番地の?|番の?|の)(?=\d)")
_GOU = re.compile(r"(\d+)(?:番地|号|番)")
_AZA = re.compile(r"大字|小字|字")
_KE = re.compile(r"(?<=[\u4e00-\u9fff])[ヶケヵカがガ](?=[\u4e00-\u9fff])")
_NO = re.compile(r"(?<=[\u4e00-\u9fff])[の之ノ](?=[\u4e00-\u9fff])")
_CITY_START = re.compile(r"^[^\d-]{1,7}?[市郡]|^[^\d-]{1,5}?[町村](?=[^\d-]{1,7}?[町村])")
_FIRST_NUMBERS = re.compile(r"^-?(\d+)(?:-(\d+))?(?:-(\d+))?")
_DASH_SET = frozenset(_DASH)
_KANJI_SET = frozenset(_KANJI)
_BANCHI_SET = frozenset("番号の")
_KE_SET = frozenset("ヶケヵカがガ")
_NO_SET = frozenset("の之ノ")
_PREFECTURE = re.compile("^(?:" + "|".join(PREFECTURES) + ")")
_NAME_DROP = re.compile(r"[\s\u3000・･.,、。]+")


def kanji_number(text: str) -> int:
    """The value of a 漢数字: positional (三百二十一) or digit by digit (三二一)."""
    if not any(ch in "十百千" for ch in text):
        return int("".join(str(_KANJI_DIGITS.index(ch)) for ch in text))
    total, current = 0, 0
    for ch in text:
        if ch in _KANJI_DIGITS:
            current = _KANJI_DIGITS.index(ch)
        else:
            unit = {"十": 10, "百": 100, "千": 1000}[ch]
            total += (current or 1) * unit
            current = 0
    return total + current


def _numbers(text: str) -> str:
    return _KANJI_NUMBER.sub(lambda m: str(kanji_number(m.group())), text)


def strip_prefecture(text: str) -> str:
    """``text`` without a leading prefecture name."""
    return _PREFECTURE.sub("", text, count=1)


def normalise_address(text: object, city: str = "") -> str:
    """``text`` as a canonical address (see the module docstring); ``city`` (e.g. the
    municipality's name) is put in front of an address that starts without a 市町村."""
    if text is None:
        return ""
    value = unicodedata.normalize("NFKC", str(text)).translate(_VARIANT_TABLE)
    value = _SPACES.sub("", value)
    has = set(value)
    if has & _DASH_SET:
        value = _DASH_BETWEEN.sub("-", value)
    if has & _KANJI_SET:
        value = _DASH_BETWEEN.sub("-", _numbers(value))
    if "丁" in has:
        value = _CHOME_DASH.sub("丁目", value)
    if "-" in value:
        value = _THREE_NUMBERS.sub(r"\1丁目", value, count=1)
    if has & _BANCHI_SET:
        value = _GOU.sub(r"\1", _BANCHI.sub(r"\1-", _BANCHI.sub(r"\1-", value)))
    if "字" in has:
        value = _AZA.sub("", value)
    if has & _KE_SET:
        value = _KE.sub("ケ", value)
    if has & _NO_SET:
        value = _NO.sub("ノ", value)
    value = strip_prefecture(value)
    return with_city(value, city) if city else value


def with_city(normalised: str, city: str) -> str:
    """An address already normalised, with ``city`` in front when it starts without a
    市町村 (what ``normalise_address(text, city)`` returns)."""
    city_key = _city_key(city)
    if normalised and not normalised.startswith(city_key) and not _CITY_START.match(normalised):
        return city_key + normalised
    return normalised


@lru_cache(maxsize=64)
def _city_key(city: str) -> str:
    return normalise_address(city)


def normalise_name(text: object) -> str:
    """A person's or place's name in comparable form: NFKC, no spaces or ・, common
    character forms (髙 → 高, 﨑 → 崎), katakana as hiragana, Latin letters in lower case."""
    if text is None:
        return ""
    value = unicodedata.normalize("NFKC", str(text)).translate(_VARIANT_TABLE)
    value = _NAME_DROP.sub("", value).lower()
    return "".join(chr(ord(ch) - 0x60) if "ァ" <= ch <= "ヶ" else ch for ch in value)


@dataclass(frozen=True)
class NumberParts:
    """The first numbers after the town: 街区符号 or 地番 (``block``), then 住居番号 or 枝番."""

    block: str
    rest: tuple[str, ...]
    #: Whatever follows the numbers (building name, room), as written after normalising.
    tail: str


def split_number(remainder: str) -> NumberParts | None:
    """The numbers at the start of ``remainder`` (what follows the town), or None."""
    found = _FIRST_NUMBERS.match(remainder)
    if found is None:
        return None
    rest = tuple(part for part in found.groups()[1:] if part)
    return NumberParts(found.group(1), rest, remainder[found.end() :])
