"""Importing 国勢調査 小地域 statistics: join each area to lsmap's 町丁目 and store the figures.

The file is read in the limited child (:mod:`lsmap.io.importing.census_files`). Each area
joins a district by **code** (the district's code, digits only, equals the 11-digit
KEY_CODE, or the 9-digit one of an area without 丁目), else by **name** within the
municipality whose code starts with the KEY_CODE's first five digits (names compared
after NFKC, with 丁目 numbers in kanji or digits, ヶ/ケ and 大字/字 unified); a name that
fits two districts is not guessed. The result reports what joined how, which areas of the
municipality joined nothing, and which finest districts got no figures. Figures of the
districts that joined replace their previous ones (kept, marked replaced); one transaction;
audited. Figures of districts above the 町丁目 are the sums of those below them
(:mod:`lsmap.coverage.rates`).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path, PurePath

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from lsmap import access
from lsmap.access.planning import require_planning_admin
from lsmap.io.importing.census_files import FIELD_LABELS, CensusArea, CensusFile
from lsmap.io.importing.problems import ImportRejected, Problem
from lsmap.storage import audit
from lsmap.storage.db import transaction
from lsmap.storage.models import CensusStatistic, District, utcnow

_KANJI_DIGITS = {c: i for i, c in enumerate("〇一二三四五六七八九")}


@dataclass
class CensusImportResult:
    """What a census import did (or would do, when ``dry_run``)."""

    areas: int
    fields: list[str]
    by_code: int = 0
    by_name: int = 0
    suppressed_cells: int = 0
    #: Areas of the municipality that joined no district: (KEY_CODE, name, why).
    unmatched: list[tuple[str, str, str]] = field(default_factory=list)
    #: Areas of other municipalities (not in lsmap), only counted.
    other_municipalities: int = 0
    #: Finest districts of the municipality with no figures: (code, name).
    without_figures: list[tuple[str, str]] = field(default_factory=list)
    skipped_hcode: int = 0
    problems: list[Problem] = field(default_factory=list)
    dry_run: bool = True

    @property
    def message(self) -> str:
        """A Japanese summary."""
        done = "確認しました（まだ保存していません）" if self.dry_run else "取り込みました"
        labels = "・".join(FIELD_LABELS[f] for f in self.fields)
        return (
            f"国勢調査の小地域 {self.areas:,} 件（{labels}）を{done}: コードで結び付けた町丁目 "
            f"{self.by_code}、名前で結び付けた町丁目 {self.by_name}、結び付かなかった区域 "
            f"{len(self.unmatched)}、統計のない町丁目 {len(self.without_figures)}、秘匿された値 "
            f"{self.suppressed_cells}。"
        )


def name_key(name: str) -> str:
    """A 町丁目 name in comparable form (see the module docstring)."""
    text = unicodedata.normalize("NFKC", name)
    text = re.sub(r"\s", "", text).replace("ヶ", "ケ").replace("ヵ", "ケ").replace("ｹ", "ケ")
    text = re.sub(r"^(大字|字)", "", text)

    def number(match: re.Match[str]) -> str:
        kanji = match.group(1)
        if kanji.isdigit():
            return f"{int(kanji)}丁目"
        if kanji == "十":
            return "10丁目"
        tens, _, ones = kanji.partition("十")
        if "十" in kanji:
            value = (_KANJI_DIGITS.get(tens, 1) if tens else 1) * 10 + _KANJI_DIGITS.get(ones, 0)
        else:
            value = _KANJI_DIGITS.get(kanji, 0)
        return f"{value}丁目"

    return re.sub(r"([〇一二三四五六七八九十]+|\d+)丁目", number, text)


def _digits(code: str) -> str:
    return re.sub(r"\D", "", unicodedata.normalize("NFKC", code))


@dataclass(frozen=True)
class _Area:
    """A district as the join sees it."""

    id: int
    code: str
    name: str
    municipality: str  # digits of its top ancestor's code
    finest: bool


def _districts(session: Session) -> list[_Area]:
    rows = session.execute(
        select(District.id, District.code, District.name, District.parent_id).where(
            District.deleted_at.is_(None)
        )
    ).all()
    tree = access.DistrictTree.from_pairs((r.id, r.parent_id) for r in rows)
    code = {r.id: r.code for r in rows}
    leaves = tree.leaves()
    return [
        _Area(r.id, r.code, r.name, _digits(code[tree.ancestors(r.id)[-1]]), r.id in leaves)
        for r in rows
    ]


def join_areas(
    areas: list[CensusArea], districts: list[_Area]
) -> tuple[dict[int, tuple[CensusArea, str]], CensusImportResult]:
    """district id -> (area, how joined), and the report of what did not join."""
    result = CensusImportResult(areas=len(areas), fields=[])
    by_code: dict[str, _Area] = {}
    for d in districts:
        digits = _digits(d.code)
        if len(digits) in (9, 11):
            by_code.setdefault(digits if len(digits) == 11 else digits + "00", d)
    cities = {d.municipality[:5] for d in districts if len(d.municipality) >= 5}
    joined: dict[int, tuple[CensusArea, str]] = {}
    pending = []
    for area in areas:
        district = by_code.get(area.key_code)
        if district is not None and district.id not in joined:
            joined[district.id] = (area, "code")
        else:
            pending.append(area)
    names: dict[tuple[str, str], list[_Area]] = {}
    for d in districts:
        if d.finest and d.id not in joined:
            names.setdefault((d.municipality[:5], name_key(d.name)), []).append(d)
    for area in pending:
        city = area.key_code[:5]
        if city not in cities:
            result.other_municipalities += 1
            continue
        found = [d for d in names.get((city, name_key(area.name)), []) if d.id not in joined]
        if len(found) == 1:
            joined[found[0].id] = (area, "name")
        else:
            why = (
                "同じ名前の町丁目が複数あります"
                if found
                else "同じコード・名前の町丁目がありません"
            )
            result.unmatched.append((area.key_code, area.name, why))
    result.by_code = sum(how == "code" for _, how in joined.values())
    result.by_name = sum(how == "name" for _, how in joined.values())
    touched = {d.municipality[:5] for d in districts if d.id in joined}
    result.without_figures = [
        (d.code, d.name)
        for d in districts
        if d.finest and d.id not in joined and d.municipality[:5] in touched
    ]
    return joined, result


def import_census(
    engine: Engine,
    actor: access.Actor,
    parsed: CensusFile,
    *,
    survey: str,
    source_name: str,
    dry_run: bool = True,
) -> CensusImportResult:
    """Join and (unless ``dry_run``) store the figures of a census file read in the child."""
    require_planning_admin(actor)
    with transaction(engine) as session:
        joined, result = join_areas(parsed.areas, _districts(session))
        result.fields = parsed.fields
        result.skipped_hcode = parsed.skipped_hcode
        result.problems = list(parsed.problems)
        result.suppressed_cells = sum(len(a.suppressed) for a, _ in joined.values())
        result.dry_run = dry_run
        if not joined:
            raise ImportRejected(
                "統計のどの区域も lsmap の町丁目と結び付きませんでした。"
                "先に町丁目の境界を取り込み、"
                "コード（KEY_CODE）か名前が合っているか確かめてください"
            )
        if dry_run:
            return result
        _store(session, actor, joined, survey)
        audit.log(
            session,
            actor,
            "census_import",
            "district",
            list(joined),
            source=PurePath(source_name).name[:100],
            by_code=result.by_code,
            by_name=result.by_name,
            unmatched=len(result.unmatched),
        )
    return result


def _store(
    session: Session,
    actor: access.Actor,
    joined: dict[int, tuple[CensusArea, str]],
    survey: str,
) -> None:
    now = utcnow()
    session.execute(
        update(CensusStatistic)
        .where(
            CensusStatistic.district_id.in_(sorted(joined)),
            CensusStatistic.replaced_at.is_(None),
        )
        .values(replaced_at=now)
    )
    session.add_all(
        CensusStatistic(
            district_id=district_id,
            key_code=area.key_code,
            area_name=area.name[:200],
            survey=survey[:100],
            population=area.values.get("population"),
            households=area.values.get("households"),
            aged_65=area.values.get("aged_65"),
            aged_75=area.values.get("aged_75"),
            elderly_alone_households=area.values.get("elderly_alone_households"),
            suppressed=sorted(area.suppressed),
            matched_by=how,
            imported_at=now,
            imported_by=actor.username,
        )
        for district_id, (area, how) in sorted(joined.items())
    )


def read_census_path(path: Path) -> CensusFile:
    """Read a census file from disk in the limited child."""
    from lsmap.io.importing.sandbox import parse_census

    if not path.is_file():
        raise ImportRejected(f"ファイルが見つかりません: {path.name}")
    return parse_census(path.read_bytes(), path.name)


def read_census_upload(data: bytes, filename: str) -> CensusFile:
    """Read an uploaded census file in the limited child (the name only picks the format)."""
    from lsmap.io.importing.sandbox import parse_census

    suffix = PurePath(filename.replace("\\", "/")).suffix.lower()
    return parse_census(data, f"upload{suffix}")
