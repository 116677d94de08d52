"""Checking list rows (households with residents, watchers, resources) before they are written.

Every problem carries the data row number, the column and a Japanese message. Rows are
placed by their coordinates (swapped latitude/longitude, points outside Japan and outside
the municipality are errors) or, without coordinates, at the 町丁目 whose name matches the
town column or the address (marked approximate). Duplicates by normalised name and address,
within the file or against the database, are reported and skipped.

"Outside the municipality" uses the municipality-level areas when there are any, else the
convex hull of all areas (so slivers between 自治会 areas still count as inside), else only
the box of Japan.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import shapely
from shapely.geometry import Point
from shapely.strtree import STRtree
from sqlalchemy import select
from sqlalchemy.orm import Session

from lsmap import access
from lsmap.addresses import normalise_address, normalise_name, with_city
from lsmap.escape import FORMULA_START
from lsmap.io.geocoding.geocoder import Geocoder, GeocodeResult
from lsmap.io.importing.columns import KIND_FIELDS, field_label, missing_required
from lsmap.io.importing.normalise import match_key, text
from lsmap.io.importing.problems import ImportRejected, Problem, spreadsheet_line
from lsmap.io.importing.readers import RawTable
from lsmap.settings import JAPAN_BOUNDS
from lsmap.storage.models import District
from lsmap.vocab import (
    CONSENT_STATUSES,
    HOUSEHOLD_TYPES,
    LEVEL_DEPTH,
    LOCATION_LEVELS,
    RESOURCE_KINDS,
    WATCHER_ROLES,
)

Progress = Callable[[int, int], None]

MAX_LENGTHS = {
    "ref": 64,
    "name": 100,
    "furigana": 100,
    "phone": 32,
    "address": 300,
    "concerns": 2000,
    "note": 2000,
    "schedule": 200,
    "town": 200,
}
#: How far outside every area a point may lie and still be given the nearest one (degrees).
NEAREST_TOLERANCE = 0.003
_TEXT_FIELDS = (
    "ref",
    "name",
    "furigana",
    "address",
    "concerns",
    "note",
    "schedule",
    "town",
    "csws",
)
_HTML = re.compile(r"<\s*[A-Za-z/!?]")
_PHONE = re.compile(r"[0-9()+\- ]*")
_FIRST_PHONE = re.compile(r"\+?\(?\d{2,5}\)?[\- ]?\d{1,4}[\- ]\d{3,4}")
_TRUE = {"はい", "○", "〇", "1", "true", "yes", "y", "おおよそ", "概略"}
_SPLIT = re.compile(r"[、,;；/]")


@dataclass
class PreparedRow:
    """One row that passed the checks, with cleaned values and its place."""

    row: int
    values: dict[str, Any]
    location: Point | None
    approximate: bool
    district_id: int | None
    #: How the point was found (``lsmap.vocab.LOCATION_LEVELS``); None without a point.
    level: str | None = None


#: What the dry run says it does with a row.
OUTCOME_LABELS: dict[str, str] = {
    "import": "取り込む",
    "skip": "除外（重複・登録済み）",
    "error": "問題あり（取り込まない）",
}


@dataclass(frozen=True)
class RowOutcome:
    """What an import does with one data row, for the dry run's per-row table."""

    row: int
    action: str  # a key of OUTCOME_LABELS
    level: str | None
    district: str
    detail: str


@dataclass
class ListPlan:
    """What a list import would write, and every problem found."""

    kind: str
    mapping: dict[str, str]
    mapping_source: str
    encoding: str
    total_rows: int
    rows: list[PreparedRow] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    skipped: int = 0
    ignored_columns: list[str] = field(default_factory=list)
    outcomes: list[RowOutcome] = field(default_factory=list)

    @property
    def has_errors(self) -> bool:
        return any(p.severity == "error" for p in self.problems)

    def error_rows(self) -> set[int]:
        """Data rows with at least one error."""
        return {p.row for p in self.problems if p.severity == "error" and p.row is not None}

    def level_counts(self) -> dict[str, int]:
        """Rows to import per match level (Japanese label -> count), most precise first."""
        counts = {label: 0 for label in LOCATION_LEVELS.values()}
        for outcome in self.outcomes:
            if outcome.action == "import" and outcome.level in LOCATION_LEVELS:
                counts[LOCATION_LEVELS[outcome.level]] += 1
        return {label: n for label, n in counts.items() if n}


@dataclass
class _Area:
    id: int
    name: str
    depth: int
    area: float


class Geography:
    """The live areas of the database, for placing points and matching 町丁目 names."""

    def __init__(self, session: Session) -> None:
        rows = session.execute(
            select(District.id, District.name, District.code, District.level, District.geom).where(
                District.deleted_at.is_(None), District.geom.is_not(None)
            )
        ).all()
        self.areas = [_Area(r.id, r.name, LEVEL_DEPTH.get(r.level, 9), r.geom.area) for r in rows]
        self.geoms = [r.geom for r in rows]
        self.tree = STRtree(self.geoms) if rows else None
        municipal = [r.geom for r in rows if r.level == "municipality"]
        if municipal:
            self.boundary = shapely.union_all(municipal)
        elif rows:
            self.boundary = shapely.union_all(self.geoms).convex_hull
        else:
            self.boundary = None
        if self.boundary is not None:
            self.boundary = self.boundary.buffer(0.0005)
            shapely.prepare(self.boundary)
        self.by_name: dict[str, int] = {}
        for index, row in sorted(enumerate(rows), key=lambda item: -self.areas[item[0]].depth):
            self.by_name.setdefault(match_key(row.name), index)
            self.by_name.setdefault(match_key(row.code), index)
        self.names_longest_first = sorted(
            (k for k in self.by_name if len(k) >= 2), key=len, reverse=True
        )
        self.city_names = [r.name for r in rows if r.level == "municipality"]
        self.geocoder = Geocoder(session, self.city_names)
        city = self.geocoder.default_city
        self.city = self.geocoder.city_names.get(city, "") if city else (self.city_names or [""])[0]
        self._keys: dict[str, str] = {}
        self._known: dict[tuple[float, float], int] = {}
        self.prefetch(self.geocoder.default_points())

    def _normalised(self, address: str) -> str:
        plain = self._keys.get(address)
        if plain is None:
            plain = self._keys[address] = normalise_address(address)
        return plain

    def address_key(self, address: str) -> str:
        """The normalised address (relative addresses read in this city), remembered."""
        plain = self._normalised(address)
        return with_city(plain, self.city) if self.city else plain

    def locate(self, address: str, town: str) -> GeocodeResult | None:
        """The address looked up in the address reference (None when there is none)."""
        if not self.geocoder.has_reference:
            return None
        return self.geocoder.locate(address, town, normalised=self._normalised(address))

    def name_of(self, district_id: int | None) -> str:
        """The name of a live area by id ("" for none)."""
        if district_id is None:
            return ""
        if not hasattr(self, "_names"):
            self._names = {a.id: a.name for a in self.areas}
        return self._names.get(district_id, "")

    def prefetch(self, lonlat: list[tuple[float, float]]) -> None:
        """Find the areas of many points at once (one vectorised query) for :meth:`containing`."""
        if self.tree is None or not lonlat:
            return
        points = shapely.points(lonlat)
        found: dict[int, list[int]] = {}
        for source, target in zip(*self.tree.query(points, predicate="within"), strict=True):
            found.setdefault(int(source), []).append(int(target))
        for index, hits in found.items():
            best = min(hits, key=lambda i: (-self.areas[i].depth, self.areas[i].area))
            self._known[lonlat[index]] = best

    def containing(self, point: Point) -> int | None:
        """Index of the deepest, smallest area containing ``point`` (or the nearest within
        tolerance)."""
        if self.tree is None:
            return None
        known = self._known.get((point.x, point.y))
        if known is not None:
            return known
        hits = self.tree.query(point, predicate="within")
        if len(hits):
            return min(hits, key=lambda i: (-self.areas[i].depth, self.areas[i].area))
        near = self.tree.query_nearest(point, max_distance=NEAREST_TOLERANCE)
        return int(near[0]) if len(near) else None

    def match_town(self, town: str, address: str) -> int | None:
        """Index of the area below the municipality named by ``town``, or whose name appears
        in ``address`` (a municipality's name alone is only a 市町村-level match)."""
        if town:
            found = self.by_name.get(match_key(town))
            return found if found is not None and self.areas[found].depth > 0 else None
        key = _chome_variants(match_key(address))
        for name in self.names_longest_first:
            if self.areas[self.by_name[name]].depth > 0 and any(name in v for v in key):
                return self.by_name[name]
        return None


def _chome_variants(address: str) -> list[str]:
    """The address, and the address with 「2-16-3」 read as 「2丁目16-3」."""
    return [address, re.sub(r"(\D)(\d+)-", r"\1\2丁目", address, count=1)]


def plan_list(
    session: Session,
    actor: access.Actor,
    kind: str,
    table: RawTable,
    mapping: dict[str, str],
    *,
    mapping_source: str = "auto",
    default_kind: str | None = None,
    progress: Progress | None = None,
) -> ListPlan:
    """Check every row of ``table`` under ``mapping`` (header -> field)."""
    _require_columns(kind, table, mapping)
    default_kind = _default_kind(default_kind)
    plan = ListPlan(kind, mapping, mapping_source, table.encoding, len(table.rows))
    plan.ignored_columns = [h for h in table.headers if h and h not in mapping]
    geography = Geography(session)
    if geography.tree is None and kind in ("households", "watchers"):
        raise ImportRejected(
            "地区の境界がまだありません。先に `lsmap import districts` で境界を取り込んでください"
        )
    known_pairs, known_refs = access.import_match_keys(session, actor, kind)
    seen = {(normalise_name(n), geography.address_key(a), k): 0 for n, a, k in known_pairs}
    columns = {field_name: header for header, field_name in mapping.items()}
    index = {header: i for i, header in enumerate(table.headers)}
    for number, raw in enumerate(table.rows, 1):
        if progress and (number % 500 == 0 or number == len(table.rows)):
            progress(number, len(table.rows))
        if number == len(table.rows) and text(raw[0]).startswith("# 注記"):
            continue  # the note line an lsmap export adds when it withheld something
        values = {f: raw[index[h]] for f, h in columns.items()}
        row_problems: list[Problem] = []
        cleaned = _clean(kind, number, values, columns, row_problems, default_kind)
        prepared = None
        if not any(p.severity == "error" for p in row_problems):
            prepared = _place(number, cleaned, columns, geography, row_problems, kind)
        plan.problems.extend(row_problems)
        if prepared is None:
            plan.outcomes.append(_outcome(number, "error", None, "", row_problems))
            continue
        skip = _duplicate(number, cleaned, columns, known_refs, seen, geography)
        if skip is not None:
            plan.problems.append(skip)
            plan.skipped += 1
            plan.outcomes.append(_outcome(number, "skip", None, "", [skip]))
            continue
        plan.rows.append(prepared)
        area = geography.name_of(prepared.district_id)
        plan.outcomes.append(_outcome(number, "import", prepared.level, area, row_problems))
    if not plan.rows and not plan.has_errors:
        plan.problems.append(
            Problem(None, "", "取り込む行がありません（すべて重複または登録済みです）", "warning")
        )
    return plan


def _require_columns(kind: str, table: RawTable, mapping: dict[str, str]) -> None:
    missing = missing_required(kind, mapping)
    if missing:
        raise ImportRejected(
            "必須の項目の列が見つかりません: "
            + "、".join(missing)
            + "。列の対応付けで指定してください（ファイルの列: "
            + "、".join(table.headers)
            + "）"
        )


def _default_kind(default_kind: str | None) -> str | None:
    if default_kind is not None and default_kind not in RESOURCE_KINDS:
        default_kind = _code(RESOURCE_KINDS, default_kind)
        if default_kind is None:
            raise ImportRejected(
                "資源の種類（--kind）は "
                + "、".join(f"{k}（{v}）" for k, v in RESOURCE_KINDS.items())
                + " のどれかです"
            )
    return default_kind


def _outcome(
    number: int, action: str, level: str | None, district: str, problems: list[Problem]
) -> RowOutcome:
    shown = [p.message for p in problems if p.row == number]
    return RowOutcome(number, action, level, district, " / ".join(shown))


def _duplicate(
    number: int,
    cleaned: dict[str, Any],
    columns: dict[str, str],
    known_refs: set[str],
    seen: dict[tuple[str, str, str], int],
    geography: Geography,
) -> Problem | None:
    """The warning that skips a row already registered or already in the file, else None.

    Names and addresses are compared after :func:`normalise_name` and
    :func:`normalise_address`, so 「本町3-12-3」 and 「本町三丁目12番3号」 are one address.
    """
    ref = cleaned.get("ref") or ""
    if ref and ref in known_refs:
        return Problem(
            number,
            columns.get("ref", ""),
            f"番号「{ref}」は登録済みのため取り込みません",
            "warning",
        )
    key = (
        normalise_name(cleaned["name"]),
        geography.address_key(cleaned.get("address", "")),
        cleaned.get("kind", ""),
    )
    if key in seen:
        where = "登録済みのデータ" if seen[key] == 0 else f"{spreadsheet_line(seen[key])}行目"
        return Problem(
            number,
            columns["name"],
            f"{where}と名前・住所が同じため重複として取り込みません",
            "warning",
        )
    seen[key] = number
    return None


def _clean(
    kind: str,
    number: int,
    values: dict[str, str],
    columns: dict[str, str],
    problems: list[Problem],
    default_kind: str | None,
) -> dict[str, Any]:
    """Normalised, typed values of one row; problems are appended."""
    out: dict[str, Any] = {}

    def fail(field_name: str, message: str) -> None:
        problems.append(
            Problem(number, columns.get(field_name, field_label(kind, field_name)), message)
        )

    def warn_phone(message: str) -> None:
        problems.append(Problem(number, columns["phone"], message, "warning"))

    for field_name in KIND_FIELDS[kind]:
        value = text(values.get(field_name, ""))
        if value and field_name in _TEXT_FIELDS:
            unsafe = _unsafe_text(field_name, value)
            if unsafe is not None:
                fail(field_name, unsafe)
        out[field_name] = _typed(field_name, value, fail, warn_phone, default_kind)
    return out


def _unsafe_text(field_name: str, value: str) -> str | None:
    """Why a free-text value cannot be imported (HTML, a formula, too long); None if it can."""
    if "<" in value and _HTML.search(value):
        return "HTML のタグのような文字（<…>）が含まれています。取り除いてください"
    if value.startswith(FORMULA_START):
        return "先頭が = + - @ の値は数式として扱われるおそれがあるため取り込めません"
    if field_name in MAX_LENGTHS and len(value) > MAX_LENGTHS[field_name]:
        return f"長すぎます（{len(value)} 文字、上限 {MAX_LENGTHS[field_name]} 文字）"
    return None


def _typed(
    field_name: str,
    value: str,
    fail: Callable[[str, str], None],
    warn_phone: Callable[[str], None],
    default_kind: str | None,
) -> Any:
    """The value of one field as stored (number, flag, list, vocabulary code or text)."""
    if field_name == "name" and not value:
        fail(field_name, "名前が空です")
    elif field_name == "phone" and not (_PHONE.fullmatch(value) and len(value) <= 32):
        first = _FIRST_PHONE.search(value)
        if first is None:
            fail(field_name, f"電話番号として読めません（{value[:20]}）")
        else:
            warn_phone(
                "電話番号に番号以外の文字があるため、"
                f"最初の番号「{first.group()}」だけを取り込みます"
            )
            return first.group()
    elif field_name == "birth_year":
        if not value:
            return None
        year = _int(value)
        if year is None or not 1880 <= year <= date.today().year:
            fail(field_name, f"生年は西暦の4桁で書いてください（{value[:10]}）")
        return year
    elif field_name in ("lat", "lon"):
        number_value = _float(value) if value else None
        if value and number_value is None:
            fail(field_name, f"数値として読めません（{value[:20]}）")
        return number_value
    elif field_name == "approximate":
        return value.lower() in _TRUE
    elif field_name in ("concern_tags", "csws"):
        return [part.strip() for part in _SPLIT.split(value) if part.strip()]
    elif field_name in _VOCABULARIES:
        vocab, fallback, what = _VOCABULARIES[field_name]
        return _vocab(value, vocab, fallback, fail, field_name, what)
    elif field_name == "kind":
        if not value and default_kind is None:
            fail(field_name, "資源の種類が分かりません。列で指定するか --kind で指定してください")
        return _vocab(
            value, RESOURCE_KINDS, default_kind or "other", fail, field_name, "資源の種類"
        )
    return value


#: Fields read as a vocabulary code: (vocabulary, code when empty, what it is called).
_VOCABULARIES: dict[str, tuple[dict[str, Any], str, str]] = {
    "household_type": (HOUSEHOLD_TYPES, "other", "世帯の状況"),
    "consent_status": (CONSENT_STATUSES, "unanswered", "同意"),
    "role": (WATCHER_ROLES, "other", "役割"),
}


def _vocab(
    value: str,
    vocab: dict[str, str],
    default: str,
    fail: Callable[[str, str], None],
    field_name: str,
    what: str,
) -> str:
    if not value:
        return default
    code = _code(vocab, value)
    if code is None:
        fail(field_name, f"{what}「{value[:20]}」は使えません（" + "、".join(vocab.values()) + "）")
        return default
    return code


_CODES: dict[tuple[int, str], str | None] = {}


def _code(vocab: dict[str, str], value: str) -> str | None:
    """The code of ``value`` (a code or a label, or part of one) in ``vocab``, remembered."""
    key = (id(vocab), value)
    if key not in _CODES:
        if len(_CODES) > 10_000:
            _CODES.clear()
        _CODES[key] = _find_code(vocab, value)
    return _CODES[key]


def _find_code(vocab: dict[str, str], value: str) -> str | None:
    if value in vocab:
        return value
    value = text(value)
    for code, label in vocab.items():
        label = text(label)
        if value == label or value in label.split("・") or value in label.split("("):
            return code
    return None


def _place(
    number: int,
    values: dict[str, Any],
    columns: dict[str, str],
    geography: Geography,
    problems: list[Problem],
    kind: str,
) -> PreparedRow | None:
    """The row's point and area, or None (with a problem) when it cannot be placed."""
    lat, lon = values.get("lat"), values.get("lon")
    lat_col, lon_col = columns.get("lat", "緯度"), columns.get("lon", "経度")
    if (lat is None) != (lon is None):
        problems.append(
            Problem(number, lat_col if lat is None else lon_col, "緯度と経度の片方しかありません")
        )
        return None
    west, south, east, north = JAPAN_BOUNDS
    if lat is not None and lon is not None:
        if south <= lon <= north and west <= lat <= east:
            problems.append(
                Problem(
                    number,
                    f"{lat_col}・{lon_col}",
                    f"緯度と経度が入れ替わっているようです（緯度 {lat}、経度 {lon}）",
                )
            )
            return None
        if not (south <= lat <= north and west <= lon <= east):
            problems.append(
                Problem(
                    number, f"{lat_col}・{lon_col}", f"日本の外の位置です（緯度 {lat}、経度 {lon}）"
                )
            )
            return None
        point = Point(lon, lat)
        if geography.boundary is not None and not geography.boundary.contains(point):
            problems.append(
                Problem(
                    number,
                    f"{lat_col}・{lon_col}",
                    f"市町村の区域の外の位置です（緯度 {lat}、経度 {lon}）",
                )
            )
            return None
        area = geography.containing(point)
        if area is None and kind != "resources":
            problems.append(
                Problem(number, f"{lat_col}・{lon_col}", "どの地区にも入らない位置です")
            )
            return None
        return PreparedRow(
            number,
            values,
            point,
            bool(values.get("approximate")),
            geography.areas[area].id if area is not None else None,
            "given",
        )
    return _geocode(number, values, columns, geography, problems)


def _geocode(
    number: int,
    values: dict[str, Any],
    columns: dict[str, str],
    geography: Geography,
    problems: list[Problem],
) -> PreparedRow | None:
    """A row without coordinates: placed by its address (address reference, then the
    names of the areas) at 街区 or 町丁目 level, or refused with the reason."""
    address, town = values.get("address", ""), values.get("town", "")
    used = (columns.get("town") if town else columns.get("address")) or columns.get("lat", "緯度")
    found = geography.locate(address, town)
    if found is not None and found.level in ("block", "town"):
        point = Point(found.lon, found.lat)
        area = geography.containing(point)
        if area is not None:
            what = "街区・地番" if found.level == "block" else "町丁目"
            old = "（旧町名で一致）" if found.old_name else ""
            rest = "" if found.level == "block" else "。街区・地番は参照データにありません"
            problems.append(
                Problem(
                    number,
                    used,
                    f"住所から{what}「{found.matched}」{old}の代表点に置きました（おおよその位置{rest}）",
                    "info",
                )
            )
            return PreparedRow(number, values, point, True, geography.areas[area].id, found.level)
    area = geography.match_town(town, address)
    if area is not None:
        point = geography.geoms[area].representative_point()
        problems.append(
            Problem(
                number,
                used,
                f"緯度・経度がないため「{geography.areas[area].name}」の代表点に置きました（おおよその位置）",
                "info",
            )
        )
        return PreparedRow(number, values, point, True, geography.areas[area].id, "town")
    if found is not None and found.level == "city":
        message = (
            f"住所が市町村（{found.city}）までしか一致せず、町丁目が分からないため置けません。"
            "住所を直すか、町丁目または緯度・経度を入れてください"
        )
    else:
        message = "緯度・経度がなく、町丁目の名前も一致しないため位置が分かりません"
        if found is not None:
            message += "（住所の参照データにも見つかりません）"
    problems.append(Problem(number, used, message))
    return None


def _int(value: str) -> int | None:
    try:
        return int(float(value))
    except ValueError:
        return None


def _float(value: str) -> float | None:
    try:
        number = float(value)
    except ValueError:
        return None
    return number if number == number and abs(number) != float("inf") else None
