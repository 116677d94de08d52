"""Field rules: every rule gives a Japanese message that names the field."""

from __future__ import annotations

from datetime import date

import pytest
from shapely.geometry import box

from lsmap.records import validation as v

TODAY = date(2026, 11, 1)
CITY = box(139.3, 35.4, 139.5, 35.5)


def _fields(errors: list[tuple[str, str]]) -> list[str]:
    return [field for field, _ in errors]


@pytest.mark.parametrize(
    "phone",
    [
        "046-123-4567",
        "0463-12-3456",
        "03-1234-5678",
        "090-1234-5678",
        "080-1234-5678",
        "0120-123-456",
        "0800-123-4567",
        "0570-123-456",
        "０４６－１２３－４５６７",
        "09012345678",
        "0461234567",
        "046 - 123 - 4567",
    ],
)
def test_japanese_phone_formats_are_accepted(phone: str) -> None:
    assert v.check_phone({"phone": phone}) == []


@pytest.mark.parametrize(
    "phone",
    [
        "12345",
        "046-123-456",
        "090-123-4567",
        "0120-1234-5678",
        "46-123-4567",
        "abc",
        "046-1234-56789",
    ],
)
def test_malformed_phone_is_refused_naming_the_field(phone: str) -> None:
    [(field, text)] = v.check_phone({"phone": phone})
    assert field == "phone" and text.startswith("「電話番号」") and "046-123-4567" in text


def test_full_width_phone_is_normalised() -> None:
    assert v.normalise_phone("０９０ー１２３４ー５６７８") == "090-1234-5678"


def test_required_fields_are_named() -> None:
    errors = v.validate_resident({"name": "  "}, today=TODAY)
    assert errors == [("name", "「氏名」を入力してください")]
    assert _fields(v.validate_household({}, municipality=CITY, today=TODAY)) == [
        "district_id",
        "household_type",
        "lon",
        "lat",
    ]
    assert _fields(v.validate_emergency_contact({})) == ["name", "relation", "phone"]
    assert _fields(v.validate_link({})) == ["watcher_id", "involvement", "frequency"]
    assert _fields(v.validate_contact({}, today=TODAY)) == ["contacted_on", "method"]
    assert _fields(v.validate_watcher({}, today=TODAY)) == ["name", "role", "district_id"]


def test_coordinates_must_lie_inside_the_municipality() -> None:
    base = {"district_id": 1, "household_type": "elderly_alone"}
    assert (
        v.validate_household({**base, "lon": 139.45, "lat": 35.45}, municipality=CITY, today=TODAY)
        == []
    )
    [(field, text)] = v.validate_household(
        {**base, "lon": 139.9, "lat": 35.9},
        municipality=CITY,
        municipality_name="さくら台市",
        today=TODAY,
    )
    assert field == "location" and "さくら台市の区域の外" in text and text.startswith("「位置」")
    [(_, text)] = v.validate_household(
        {**base, "lon": "東", "lat": "35"}, municipality=CITY, today=TODAY
    )
    assert "数値" in text
    [(_, text)] = v.validate_household(
        {**base, "lon": 200, "lat": 35}, municipality=CITY, today=TODAY
    )
    assert "範囲外" in text


def test_approximate_placement_needs_no_coordinates() -> None:
    values = {"district_id": 1, "household_type": "withdrawn", "placement": "approximate"}
    assert v.validate_household(values, municipality=CITY, today=TODAY) == []


def test_dates_must_not_be_in_the_future() -> None:
    [(field, text)] = v.validate_contact(
        {"contacted_on": date(2026, 11, 2), "method": "visit"}, today=TODAY
    )
    assert field == "contacted_on" and "「日付」に未来の日付" in text
    assert v.validate_contact({"contacted_on": TODAY, "method": "visit"}, today=TODAY) == []
    errors = v.validate_resident(
        {
            "name": "a",
            "consent_status": "consented",
            "consent_date": date(2027, 1, 1),
            "consent_recorded_by": "x",
        },
        today=TODAY,
    )
    assert _fields(errors) == ["consent_date"]
    errors = v.validate_household(
        {
            "district_id": 1,
            "household_type": "other",
            "placement": "approximate",
            "closed_on": date(2027, 1, 1),
        },
        municipality=CITY,
        today=TODAY,
    )
    assert _fields(errors) == ["closed_on"]


def test_consent_other_than_unanswered_needs_date_and_recorder() -> None:
    errors = v.validate_resident({"name": "山田", "consent_status": "consented"}, today=TODAY)
    assert _fields(errors) == ["consent_date", "consent_recorded_by"]
    assert v.validate_resident({"name": "山田", "consent_status": "unanswered"}, today=TODAY) == []


def test_choices_birth_year_furigana_and_signs() -> None:
    assert _fields(v.validate_resident({"name": "a", "birth_year": "1850"}, today=TODAY)) == [
        "birth_year"
    ]
    assert _fields(v.validate_resident({"name": "a", "birth_year": "昭和"}, today=TODAY)) == [
        "birth_year"
    ]
    assert _fields(v.validate_resident({"name": "a", "furigana": "Yamada"}, today=TODAY)) == [
        "furigana"
    ]
    assert (
        v.validate_resident(
            {"name": "a", "furigana": "やまだ タロウ", "birth_year": "1940"}, today=TODAY
        )
        == []
    )
    assert _fields(v.validate_resident({"name": "a", "consent_status": "maybe"}, today=TODAY)) == [
        "consent_status"
    ]
    assert _fields(
        v.validate_link({"watcher_id": 1, "involvement": "x", "frequency": "hourly"})
    ) == ["involvement", "frequency"]
    errors = v.validate_contact(
        {"contacted_on": TODAY, "method": "visit", "signs": ["alien"]}, today=TODAY
    )
    assert errors == [("signs", "「気づき」に一覧にない項目があります")]
    assert _fields(
        v.validate_emergency_contact({"name": "a", "relation": "pet", "phone": "1"})
    ) == ["relation", "phone"]
    assert _fields(
        v.validate_household(
            {"district_id": 1, "household_type": "alien", "placement": "approximate"},
            municipality=CITY,
            today=TODAY,
        )
    ) == ["household_type"]
    assert _fields(
        v.validate_watcher(
            {"name": "a", "role": "commissioner", "district_id": 1, "lon": 150, "lat": 35},
            municipality=CITY,
            today=TODAY,
        )
    ) == ["location"]
