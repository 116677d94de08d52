"""Local resources: participating facilities with CSWs, salons, food banks, centres."""

from __future__ import annotations

import re

import numpy as np

from sample_data import persons
from sample_data.areas import CITY_NAME, DISTRICT_NAMES, Neighbourhood
from sample_data.names import FACILITY_PARTS
from sample_data.persons import Directory, chance, pick
from sample_data.records import SampleCsw, SampleResource

#: Facility kinds of the participating social-welfare corporations: name pattern.
FACILITY_PATTERNS: tuple[str, ...] = (
    "特別養護老人ホーム{}苑",
    "特別養護老人ホーム{}の郷",
    "特別養護老人ホーム{}荘",
    "障害者支援施設{}園",
    "障害福祉サービス事業所{}",
    "{}保育園",
    "{}こども園",
    "養護老人ホーム{}寮",
)
SALON_PATTERNS: tuple[str, ...] = (
    "{town}ふれあいサロン",
    "いきいきサロン{part}",
    "ミニデイ{part}",
    "居場所カフェ「{part}」",
    "{town}いきいきサロン",
    "たまり場{part}",
    "{town}ミニデイ",
    "サロン{part}",
)
WEEKDAYS = ("月", "火", "水", "木", "金")
#: Salon frequencies (meetings per month) handed out in turn.
SALON_FREQUENCIES: tuple[float, ...] = (4, 4, 4, 4, 2, 2, 2, 1, 1, 1, 0.5)
#: 地区 code suffix of each food bank; the north (03) deliberately has none.
FOOD_BANK_DISTRICTS: tuple[str, ...] = ("01", "01", "02")
FOOD_BANKS: tuple[tuple[str, str, float], ...] = (
    ("フードバンクさくら台", "毎週土曜 10:00〜12:00（食品の受け取り）", 4),
    ("フードパントリー本町", "第2・第4水曜 14:00〜16:00", 2),
    ("みんなのフードパントリー", "毎月第1日曜 10:00〜12:00", 1),
)
#: Other resources: name, schedule, meetings per month, 地区 code suffix.
OTHER_RESOURCES: tuple[tuple[str, str, float | None, str], ...] = (
    (f"{CITY_NAME}社会福祉協議会 福祉総合相談窓口", "平日 8:30〜17:15", None, "01"),
    (f"{CITY_NAME}生活困窮者自立相談支援窓口", "平日 9:00〜17:00", None, "01"),
    ("学習支援教室「わかば」", "毎週火曜 17:00〜19:00", 4, "02"),
)


def schedule_text(rng: np.random.Generator, per_month: float) -> str:
    """Schedule text for a gathering held ``per_month`` times a month."""
    day = pick(rng, WEEKDAYS)
    hours = pick(rng, ("10:00〜12:00", "13:30〜15:30", "10:00〜11:30", "13:00〜15:00"))
    if per_month >= 4:
        return f"毎週{day}曜 {hours}"
    if per_month >= 2:
        first = int(rng.integers(1, 3))
        return f"第{first}・第{first + 2}{day}曜 {hours}"
    week = int(rng.integers(1, 5))
    if per_month >= 1:
        return f"毎月第{week}{day}曜 {hours}"
    return f"奇数月の第{week}{day}曜 {hours}"


def town_stem(neighbourhood: str) -> str:
    """The 町内 name without its 丁目 (桜ヶ丘二丁目 -> 桜ヶ丘)."""
    return re.sub(r"[一二三四五]丁目$", "", neighbourhood)


def support_centre_names() -> dict[str, str]:
    """地区 code suffix -> the name of its 地域包括支援センター."""
    return {
        suffix: f"{CITY_NAME}{name[0]}部地域包括支援センター"
        for suffix, name in DISTRICT_NAMES.items()
    }


class _Resources:
    """The resources generated so far, numbered as they are added."""

    def __init__(self, rng: np.random.Generator, directory: Directory) -> None:
        self.rng, self.directory = rng, directory
        self.items: list[SampleResource] = []

    def add(
        self,
        kind: str,
        name: str,
        hood: Neighbourhood,
        schedule: str = "",
        per_month: float | None = None,
        csws: list[SampleCsw] | None = None,
        phone: str | None = None,
    ) -> None:
        """Add one resource at a random point of ``hood``."""
        rng = self.rng
        self.items.append(
            SampleResource(
                ref=f"sample:r:{len(self.items) + 1:04d}",
                kind=kind,
                name=name,
                address=self.directory.address(rng, hood.name),
                phone=persons.landline(rng) if phone is None else phone,
                schedule=schedule,
                meetings_per_month=per_month,
                district_code=hood.code,
                location=hood.random_point(rng),
                csws=csws or [],
            )
        )


def generate_resources(
    rng: np.random.Generator, neighbourhoods: list[Neighbourhood], directory: Directory
) -> list[SampleResource]:
    """About 30 resources spread over the 町内 (no food bank in the north 地区)."""
    book = _Resources(rng, directory)
    parts = [FACILITY_PARTS[int(i)] for i in rng.permutation(len(FACILITY_PARTS))]

    def hoods_in(suffix: str) -> list[Neighbourhood]:
        return [n for n in neighbourhoods if n.district_suffix == suffix]

    _add_facilities(book, neighbourhoods, parts)
    _add_salons(book, neighbourhoods, parts)
    for (name, schedule, per_month), suffix in zip(FOOD_BANKS, FOOD_BANK_DISTRICTS, strict=True):
        book.add("food_bank", name, pick(rng, hoods_in(suffix)), schedule, float(per_month))

    for suffix, name in support_centre_names().items():
        book.add("support_centre", name, pick(rng, hoods_in(suffix)), "月〜土 8:30〜17:30")

    for name, schedule, monthly, suffix in OTHER_RESOURCES:
        book.add(
            "other",
            name,
            pick(rng, hoods_in(suffix)),
            schedule,
            None if monthly is None else float(monthly),
        )
    return book.items


def _add_facilities(
    book: _Resources, neighbourhoods: list[Neighbourhood], parts: list[str]
) -> None:
    """Care facilities with their CSWs, one per pattern, in shuffled 町内."""
    rng, directory = book.rng, book.directory
    facility_hoods = [neighbourhoods[int(i)] for i in rng.permutation(len(neighbourhoods))]
    for pattern, hood in zip(FACILITY_PATTERNS, facility_hoods, strict=False):
        phone = persons.landline(rng)
        csws = []
        for _ in range(int(rng.integers(1, 3))):
            csw = directory.person(
                rng, "f" if chance(rng, 0.55) else "m", int(rng.integers(1965, 1996))
            )
            csws.append(SampleCsw(csw.name, phone if chance(rng, 0.6) else persons.mobile(rng)))
        book.add(
            "facility",
            pattern.format(parts.pop()),
            hood,
            "相談受付 平日 9:00〜17:00",
            None,
            csws,
            phone,
        )


def _add_salons(book: _Resources, neighbourhoods: list[Neighbourhood], parts: list[str]) -> None:
    """Thirteen salons (two of them 子ども食堂), fewer in the 03 地区."""
    rng = book.rng
    salon_weights = np.array([0.6 if n.district_suffix == "03" else 1.0 for n in neighbourhoods])
    salon_hoods = rng.choice(
        len(neighbourhoods), 13, replace=False, p=salon_weights / salon_weights.sum()
    )
    frequencies = [SALON_FREQUENCIES[int(i)] for i in rng.permutation(len(SALON_FREQUENCIES))]
    for number, index in enumerate(salon_hoods):
        hood = neighbourhoods[int(index)]
        if number < 2:  # 子ども食堂, an evening 居場所 for children
            per_month = float(pick(rng, (1, 2)))
            schedule = f"{'毎月第3金曜' if per_month == 1 else '第2・第4土曜'} 17:00〜19:00"
            name, fallback = f"{town_stem(hood.name)}子ども食堂", f"子ども食堂{parts[-1]}"
        else:
            per_month = float(frequencies[number - 2])
            schedule = schedule_text(rng, per_month)
            name = pick(rng, SALON_PATTERNS).format(town=town_stem(hood.name), part=parts[-1])
            fallback = f"サロン{parts[-1]}"
        if name in {r.name for r in book.items}:
            name = fallback
        if parts[-1] in name:
            parts.pop()
        book.add("salon", name, hood, schedule, per_month)
