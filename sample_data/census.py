"""A census small-area table (国勢調査 小地域集計) of the fictional town, as e-Stat writes it.

CP932 CSV: a row of column codes, a row of Japanese labels, the town's total (5-digit
KEY_CODE), a 町 total above its 丁目 (9 digits) and one row per 町内 (11 digits). One
small figure is suppressed (``*``), as the census does. Figures are invented but in
proportion: about 50 households per household of concern, 2.3 people per household, an
ageing rate of 22–36 %.
"""

from __future__ import annotations

import re

import numpy as np

from sample_data.records import SampleDistrict, SampleHousehold

CITY_KEY = "14999"
HEADER = ["KEY_CODE", "HYOSYO", "CITYNAME", "NAME", "HTKSYORI", "HTKSAKI", "GASSAN"]
TABLE = ["T000001", "T000002", "T000003", "T000004", "T000005"]
LABELS = ["人口総数", "世帯総数", "65歳以上人口", "75歳以上人口", "65歳以上単独世帯"]
_CHOME = re.compile(r"^(.+?)([一二三四五六七八九])丁目$")
_KANJI = "一二三四五六七八九"


def _key_codes(names: list[str]) -> dict[str, str]:
    """KEY_CODE per 町内 name: one 町 code per base name, 丁目 as the last two digits."""
    codes: dict[str, str] = {}
    towns: dict[str, int] = {}
    for name in names:
        match = _CHOME.match(name)
        base, chome = (match.group(1), _KANJI.index(match.group(2)) + 1) if match else (name, 0)
        town = towns.setdefault(base, 10 * (len(towns) + 1))
        codes[name] = f"{CITY_KEY}{town:04d}{chome:02d}"
    return codes


def census_rows(
    rng: np.random.Generator, districts: list[SampleDistrict], households: list[SampleHousehold]
) -> list[list[str]]:
    """The data rows (strings) of the town's table, totals included."""
    hoods = [d for d in districts if d.level == "neighbourhood"]
    concern = {d.code: 0 for d in hoods}
    for household in households:
        concern[household.district_code] = concern.get(household.district_code, 0) + 1
    codes = _key_codes([d.name for d in hoods])
    rows, figures = [], []
    for index, hood in enumerate(hoods):
        homes = int(concern[hood.code] * rng.uniform(38, 62))
        people = int(homes * rng.uniform(2.0, 2.6))
        aged = int(people * rng.uniform(0.22, 0.36))
        old = int(aged * rng.uniform(0.45, 0.6))
        alone = int(aged * rng.uniform(0.14, 0.3))
        values = [people, homes, aged, old, alone]
        figures.append(values)
        cells = [str(v) for v in values]
        if index == len(hoods) - 1:
            cells[4] = "*"  # the census hides it (counted with a neighbouring area)
        rows.append([codes[hood.name], "3", "さくら台市", hood.name, "0", "", "", *cells])
    totals = [str(sum(column)) for column in zip(*figures, strict=True)]
    rows.insert(0, [CITY_KEY, "1", "さくら台市", "さくら台市", "0", "", "", *totals])
    chome = [r for r in rows[1:] if not r[0].endswith("00")]
    if chome:
        base = chome[0][0][:9]
        part = [r for r in chome if r[0][:9] == base]
        sums = [str(sum(int(r[7 + i]) for r in part)) for i in range(5)]
        rows.insert(1, [base, "2", "さくら台市", _CHOME.sub(r"\1", part[0][3]), "0", "", "", *sums])
    return rows


def census_csv(
    rng: np.random.Generator, districts: list[SampleDistrict], households: list[SampleHousehold]
) -> bytes:
    """The table as CP932 CSV bytes (CRLF), e-Stat style."""
    lines = [HEADER + TABLE, [""] * len(HEADER) + LABELS, *census_rows(rng, districts, households)]
    return "".join(",".join(line) + "\r\n" for line in lines).encode("cp932")
