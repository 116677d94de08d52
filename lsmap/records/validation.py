"""Field rules for watch records: each check returns (field, Japanese message) pairs.

Plain functions with no database access: the caller hands in what a rule needs (the
municipality outline, today's date), so that tests and the command line can use them.
A message always names the field in Japanese, e.g. 「電話番号」は 046-123-4567 …
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from shapely.geometry import Point
from shapely.geometry.base import BaseGeometry

from lsmap.vocab import (
    CONSENT_STATUSES,
    CONTACT_METHODS,
    CONTACT_OUTCOMES,
    EMERGENCY_RELATIONS,
    FREQUENCIES,
    HOUSEHOLD_TYPES,
    INVOLVEMENTS,
    WARNING_SIGNS,
    WATCHER_ROLES,
)

FieldError = tuple[str, str]

#: Japanese names of the fields, used in every message.
FIELD_LABELS: dict[str, str] = {
    "district_id": "町丁目",
    "address": "住所",
    "household_type": "世帯の状況",
    "note": "メモ",
    "placement": "位置の決め方",
    "lon": "経度",
    "lat": "緯度",
    "location": "位置",
    "closed_on": "終了日",
    "name": "氏名",
    "furigana": "ふりがな",
    "birth_year": "生年",
    "phone": "電話番号",
    "concern_tags": "気になるところ（タグ）",
    "concerns": "気になるところ",
    "consent_status": "同意の状況",
    "consent_date": "同意の確認日",
    "consent_basis": "同意の根拠",
    "consent_recorded_by": "同意の記録者",
    "role": "役割",
    "watcher_id": "見守り者",
    "household_id": "世帯",
    "involvement": "関わり方",
    "frequency": "頻度",
    "contacted_on": "日付",
    "method": "方法",
    "observation": "様子",
    "signs": "気づき",
    "outcome": "結果",
    "next_visit_on": "次回の訪問予定日",
    "assignee_id": "担当",
    "reviewed_on": "見直し日",
    "recorded_by": "記録者",
    "relation": "関係",
}

PHONE_EXAMPLE = "046-123-4567、0463-12-3456、090-1234-5678、0120-123-456"
_PHONE_PATTERNS = (
    re.compile(r"0[5789]0-\d{4}-\d{4}"),  # mobile, IP phone
    re.compile(r"0120-\d{3}-\d{3}"),  # free dial
    re.compile(r"0800-\d{3}-\d{4}"),  # free dial
    re.compile(r"0570-\d{3}-\d{3}"),  # navi dial
    re.compile(r"0[5789]0\d{8}"),  # mobile without hyphens
)
_LANDLINE = re.compile(r"0\d{1,4}-\d{1,4}-\d{4}")
_DASHES = str.maketrans({c: "-" for c in "‐‑‒–—―−ーｰ－"})
MIN_BIRTH_YEAR = 1900


def label_of(field: str) -> str:
    """The Japanese name of ``field``."""
    return FIELD_LABELS.get(field, field)


def message(field: str, text: str) -> FieldError:
    """One error whose message starts with the field's Japanese name."""
    return field, f"「{label_of(field)}」{text}"


def normalise_text(value: Any) -> str:
    """Trimmed text with full-width letters and digits made half-width (NFKC)."""
    return unicodedata.normalize("NFKC", "" if value is None else str(value)).strip()


def normalise_phone(value: Any) -> str:
    """A phone number with full-width digits and dash-like characters made ASCII."""
    text = unicodedata.normalize("NFKC", "" if value is None else str(value)).translate(_DASHES)
    return re.sub(r"\s+", "", text)


def is_phone(value: str) -> bool:
    """Whether ``value`` (already normalised) is a Japanese phone number."""
    if any(pattern.fullmatch(value) for pattern in _PHONE_PATTERNS):
        return True
    if value.startswith(("0120", "0800", "0570")) or re.match(r"0[5789]0", value):
        return False  # these have their own formats above
    if _LANDLINE.fullmatch(value):
        return len(value.replace("-", "")) == 10
    return bool(re.fullmatch(r"0[1-9]\d{8}", value))  # landline without hyphens


def check_required(values: Mapping[str, Any], fields: Iterable[str]) -> list[FieldError]:
    """Required fields that are missing or blank."""
    errors = []
    for field in fields:
        value = values.get(field)
        if value is None or (isinstance(value, str) and not value.strip()):
            errors.append(message(field, "を入力してください"))
    return errors


def check_phone(values: Mapping[str, Any], field: str = "phone") -> list[FieldError]:
    """An optional phone number in a Japanese format."""
    value = values.get(field)
    if value in (None, ""):
        return []
    if not is_phone(normalise_phone(value)):
        return [message(field, f"は {PHONE_EXAMPLE} のような形で入力してください")]
    return []


def check_date(values: Mapping[str, Any], field: str, today: date) -> list[FieldError]:
    """An optional date that must not lie in the future."""
    value = values.get(field)
    if value in (None, ""):
        return []
    if not isinstance(value, date):
        return [message(field, "は日付（例 2026-04-01）で入力してください")]
    if value > today:
        return [message(field, f"に未来の日付（{value:%Y-%m-%d}）は入力できません")]
    return []


def check_choice(
    values: Mapping[str, Any], field: str, choices: Mapping[str, Any]
) -> list[FieldError]:
    """An optional code that must be one of ``choices``."""
    value = values.get(field)
    if value in (None, "") or value in choices:
        return []
    return [message(field, "の選択肢から選んでください")]


def check_point(
    values: Mapping[str, Any], municipality: BaseGeometry | None, municipality_name: str = "市町村"
) -> list[FieldError]:
    """Longitude and latitude that are numbers and lie inside the municipality."""
    errors = check_required(values, ("lon", "lat"))
    if errors:
        return errors
    try:
        lon, lat = float(values["lon"]), float(values["lat"])
    except (TypeError, ValueError):
        return [message("location", "は数値の経度・緯度で入力してください（例 139.40, 35.45）")]
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        return [message("location", "の経度・緯度が範囲外です（経度 -180〜180、緯度 -90〜90）")]
    if municipality is not None and not municipality.covers(Point(lon, lat)):
        return [
            message(
                "location",
                f"が{municipality_name}の区域の外です。地図で区域内をクリックしてください",
            )
        ]
    return []


def check_birth_year(values: Mapping[str, Any], today: date) -> list[FieldError]:
    """An optional birth year between 1900 and this year."""
    value = values.get("birth_year")
    if value in (None, ""):
        return []
    try:
        year = int(value)
    except (TypeError, ValueError):
        return [message("birth_year", "は西暦の年（例 1945）で入力してください")]
    if not MIN_BIRTH_YEAR <= year <= today.year:
        return [
            message("birth_year", f"は {MIN_BIRTH_YEAR}〜{today.year} の西暦で入力してください")
        ]
    return []


# ---------------------------------------------------------------- one rule set per record


def validate_household(
    values: Mapping[str, Any],
    *,
    municipality: BaseGeometry | None,
    municipality_name: str = "市町村",
    today: date,
) -> list[FieldError]:
    """Rules of a household: 町丁目, type, placement, closing date."""
    errors = check_required(values, ("district_id", "household_type"))
    errors += check_choice(values, "household_type", HOUSEHOLD_TYPES)
    placement = values.get("placement", "exact")
    if placement not in ("exact", "approximate"):
        errors.append(
            message("placement", "は「地図・座標」か「町丁目（おおよそ）」を選んでください")
        )
    elif placement == "exact":
        errors += check_point(values, municipality, municipality_name)
    errors += check_date(values, "closed_on", today)
    return errors


def validate_resident(values: Mapping[str, Any], *, today: date) -> list[FieldError]:
    """Rules of a resident: name, phone, birth year, consent with date and recorder."""
    errors = check_required(values, ("name",))
    errors += check_phone(values)
    errors += check_birth_year(values, today)
    errors += check_choice(values, "consent_status", CONSENT_STATUSES)
    furigana = normalise_text(values.get("furigana"))
    if furigana and not re.fullmatch(r"[ぁ-ゖァ-ヺー・\s　]+", furigana):
        errors.append(message("furigana", "はひらがな・カタカナで入力してください"))
    if values.get("consent_status") in set(CONSENT_STATUSES) - {"unanswered"}:
        errors += check_required(values, ("consent_date", "consent_recorded_by"))
    errors += check_date(values, "consent_date", today)
    return errors


def validate_watcher(
    values: Mapping[str, Any],
    *,
    municipality: BaseGeometry | None = None,
    municipality_name: str = "市町村",
    today: date,
) -> list[FieldError]:
    """Rules of a watcher: name, role, phone, optional location inside the municipality."""
    errors = check_required(values, ("name", "role", "district_id"))
    errors += check_choice(values, "role", WATCHER_ROLES)
    errors += check_phone(values)
    errors += check_birth_year(values, today)
    if values.get("lon") not in (None, "") or values.get("lat") not in (None, ""):
        errors += check_point(values, municipality, municipality_name)
    return errors


def validate_link(values: Mapping[str, Any]) -> list[FieldError]:
    """Rules of a watch link: watcher, involvement and frequency."""
    errors = check_required(values, ("watcher_id", "involvement", "frequency"))
    errors += check_choice(values, "involvement", INVOLVEMENTS)
    errors += check_choice(values, "frequency", FREQUENCIES)
    return errors


def validate_contact(values: Mapping[str, Any], *, today: date) -> list[FieldError]:
    """Rules of a contact-log entry: date (not future), method, outcome (when given), known
    warning signs."""
    errors = check_required(values, ("contacted_on", "method"))
    errors += check_date(values, "contacted_on", today)
    errors += check_choice(values, "method", CONTACT_METHODS)
    errors += check_choice(values, "outcome", CONTACT_OUTCOMES)
    unknown = [s for s in values.get("signs") or () if s not in WARNING_SIGNS]
    if unknown:
        errors.append(message("signs", "に一覧にない項目があります"))
    return errors


def validate_emergency_contact(values: Mapping[str, Any]) -> list[FieldError]:
    """Rules of an emergency-card line: name, relation and a phone number."""
    errors = check_required(values, ("name", "relation", "phone"))
    errors += check_choice(values, "relation", EMERGENCY_RELATIONS)
    errors += check_phone(values)
    return errors
