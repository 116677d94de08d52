"""Writing watch records: households, residents, watchers, links, contacts, emergency cards.

Every function takes the acting :class:`~lsmap.access.Actor`, refuses anything outside
``access.can(actor, Action.EDIT, district)`` with :class:`~lsmap.access.AccessDenied`, runs as one
transaction, and writes one audit entry naming the changed fields (never their values).
Updates and deletions take the ``version`` the user loaded: when someone else saved in
between, nothing is written and :class:`StaleRecord` names the fields they changed.
Bad input raises :class:`ValidationFailed` with (field, Japanese message) pairs and
changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from shapely.geometry import Point
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from lsmap import access
from lsmap.access import EDIT_FIELDS, EDIT_MODELS, AccessDenied, Actor
from lsmap.records import validation
from lsmap.records.validation import FieldError, label_of
from lsmap.storage import audit, db
from lsmap.storage.models import CHANGE_ACTIONS, District, Household, Watcher, WatchLink, utcnow
from lsmap.vocab import logged_by_default

#: Child records and the household they belong to.
CHILD_ENTITIES = frozenset({"resident", "watch_link", "contact_log", "emergency_contact"})
WRITE_ACTIONS = CHANGE_ACTIONS  # what history and "who changed this" read
ENTITY_LABELS: dict[str, str] = {
    "household": "世帯",
    "resident": "気がかりな人",
    "watcher": "見守り者",
    "watch_link": "見守りの関わり",
    "contact_log": "見守り活動記録",
    "emergency_contact": "緊急連絡先",
}
NOT_FOUND = "この記録は見つからないか、編集する権限がありません"


class RecordError(Exception):
    """A write that was refused; ``message`` is Japanese and meant for the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ValidationFailed(RecordError):
    """Input broke field rules; nothing was saved."""

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("保存できませんでした。" + " ".join(text for _, text in errors))
        self.errors = errors

    @property
    def fields(self) -> list[str]:
        return [field for field, _ in self.errors]


class StaleRecord(RecordError):
    """Someone saved the record after it was loaded; nothing was saved, nothing lost."""

    def __init__(
        self, entity: str, changed: list[str], by: str | None, current: dict[str, Any] | None
    ) -> None:
        who = f"{by} さん" if by else "ほかの方"
        names = (
            "、".join(dict.fromkeys(_field_label(f) for f in changed)) or "（項目を特定できません）"
        )
        state = "削除されています" if current is None else f"変更された項目: {names}"
        super().__init__(
            f"{who}がこの{ENTITY_LABELS.get(entity, '記録')}を先に保存したため、保存しませんでした"
            f"（{state}）。あなたの入力はそのまま残っています。最新の内容を確かめてから、もう一度保存してください。"
        )
        self.entity = entity
        self.changed = changed
        self.by = by
        self.current = current


def _field_label(field: str) -> str:
    return label_of("location" if field in ("lon", "lat", "location_approximate") else field)


# ---------------------------------------------------------------- helpers


def _fail(errors: list[FieldError]) -> None:
    if errors:
        raise ValidationFailed(errors)


def _municipality(session: Session, district_id: int | None) -> tuple[Any, str]:
    """Outline and name of the municipality at the root of ``district_id``'s tree."""
    district = session.get(District, district_id) if district_id is not None else None
    while district is not None and district.parent_id is not None:
        district = session.get(District, district.parent_id)
    if district is None:
        return None, "市町村"
    return district.geom, district.name


def _live(session: Session, entity: str, record_id: int) -> Any:
    row = session.get(EDIT_MODELS[entity], record_id)
    if row is None or row.deleted_at is not None:
        raise AccessDenied(NOT_FOUND)
    return row


def _require_edit(actor: Actor, district_id: int | None) -> None:
    if not access.can(actor, access.Action.EDIT, district_id):
        raise AccessDenied(NOT_FOUND if district_id is not None else "編集する権限がありません")


def _int_or_none(value: Any) -> int | None:
    if value in (None, ""):
        return None
    return int(value)


def _household_of(session: Session, actor: Actor, household_id: Any) -> Household:
    """The live household ``household_id``, which the actor may edit."""
    household = (
        session.get(Household, _int_or_none(household_id))
        if household_id not in (None, "")
        else None
    )
    if household is None or household.deleted_at is not None:
        raise AccessDenied(NOT_FOUND)
    _require_edit(actor, household.district_id)
    return household


def _changed(
    before: Mapping[str, Any], after: Mapping[str, Any], fields: tuple[str, ...]
) -> list[str]:
    return [f for f in fields if before.get(f) != after.get(f)]


def _last_writer(session: Session, entity: str, record_id: int) -> str | None:
    """Who changed the record last ("who changed this"), from the audit log's links."""
    entries = audit.record_changes(session, entity, record_id, limit=1)
    return entries[0].username if entries else None


def _stale(
    engine: Engine, actor: Actor, entity: str, record_id: int, loaded: Mapping[str, Any] | None
) -> StaleRecord:
    """Build the refusal: which fields differ between what was loaded and what is stored."""
    with db.transaction(engine) as session:
        row = session.get(EDIT_MODELS[entity], record_id)
        by = _last_writer(session, entity, record_id)
        if row is None or row.deleted_at is not None:
            return StaleRecord(entity, [], by, None)
        current = access.row_snapshot(entity, row)
    changed = _changed(loaded, current, EDIT_FIELDS[entity]) if loaded is not None else []
    return StaleRecord(entity, changed, by, current)


def _audit(
    session: Session, actor: Actor, action: str, entity: str, row: Any, fields: list[str]
) -> None:
    detail: dict[str, Any] = {"fields": sorted(set(fields))}
    if entity in CHILD_ENTITIES:
        detail["household"] = row.household_id
    audit.log(session, actor, action, entity, [row.id], **detail)


# ---------------------------------------------------------------- column values per entity


def _columns(
    session: Session, actor: Actor, entity: str, values: dict[str, Any], today: date
) -> dict[str, Any]:
    """Validate merged ``values`` of ``entity`` and turn them into column values."""
    if entity == "household":
        district_id = _int_or_none(values.get("district_id"))
        if district_id is not None:
            _require_edit(actor, district_id)
        outline, town = _municipality(session, district_id)
        _fail(
            validation.validate_household(
                values, municipality=outline, municipality_name=town, today=today
            )
        )
        if values.get("placement", "exact") == "approximate":
            district = session.get(District, district_id)
            if district is None or district.geom is None:
                raise ValidationFailed(
                    [
                        validation.message(
                            "district_id",
                            "の区域が登録されていないため、おおよその位置に置けません",
                        )
                    ]
                )
            location, approximate = district.geom.representative_point(), True
        else:
            location, approximate = Point(float(values["lon"]), float(values["lat"])), False
        return {
            "district_id": district_id,
            "address": validation.normalise_text(values.get("address")),
            "household_type": values["household_type"],
            "note": (values.get("note") or "").strip(),
            "location": location,
            "location_approximate": approximate,
            "location_level": "town" if approximate else "manual",
            "closed_on": values.get("closed_on") or None,
        }
    if entity == "resident":
        _fail(validation.validate_resident(values, today=today))
        return {
            "name": validation.normalise_text(values["name"]),
            "furigana": validation.normalise_text(values.get("furigana")),
            "birth_year": _int_or_none(values.get("birth_year")),
            "phone": validation.normalise_phone(values.get("phone")),
            "concern_tags": [
                t.strip() for t in values.get("concern_tags") or [] if t and t.strip()
            ],
            "concerns": (values.get("concerns") or "").strip(),
            "consent_status": values.get("consent_status") or "unanswered",
            "consent_date": values.get("consent_date") or None,
            "consent_basis": (values.get("consent_basis") or "").strip(),
            "consent_recorded_by": (values.get("consent_recorded_by") or "").strip(),
        }
    if entity == "watcher":
        district_id = _int_or_none(values.get("district_id"))
        if district_id is not None:
            _require_edit(actor, district_id)
        outline, town = _municipality(session, district_id)
        _fail(
            validation.validate_watcher(
                values, municipality=outline, municipality_name=town, today=today
            )
        )
        located = values.get("lon") not in (None, "")
        return {
            "name": validation.normalise_text(values["name"]),
            "role": values["role"],
            "phone": validation.normalise_phone(values.get("phone")),
            "address": validation.normalise_text(values.get("address")),
            "birth_year": _int_or_none(values.get("birth_year")),
            "district_id": district_id,
            "location": Point(float(values["lon"]), float(values["lat"])) if located else None,
        }
    if entity == "watch_link":
        _fail(validation.validate_link(values))
        watcher = _require_watcher(session, actor, values["watcher_id"])
        logged = values.get("logged")
        return {
            "watcher_id": int(values["watcher_id"]),
            "involvement": values["involvement"],
            "frequency": values["frequency"],
            "note": (values.get("note") or "").strip(),
            "logged": bool(logged)
            if logged is not None
            else logged_by_default(watcher.role, values["involvement"]),
            # the person agreed that this watcher knows their name (「わたしの見守り」, issue 13)
            "agreed": bool(values.get("agreed")),
        }
    if entity == "contact_log":
        _fail(validation.validate_contact(values, today=today))
        watcher_id = _int_or_none(values.get("watcher_id"))
        if watcher_id is not None:
            _require_watcher(session, actor, watcher_id)
        return {
            "watcher_id": watcher_id,
            "contacted_on": values["contacted_on"],
            "method": values["method"],
            "observation": (values.get("observation") or "").strip(),
            "signs": sorted(set(values.get("signs") or [])),
            "outcome": values.get("outcome") or "",
            "recorded_by": (values.get("recorded_by") or "").strip()
            or actor.display_name
            or actor.username,
        }
    if entity == "emergency_contact":
        _fail(validation.validate_emergency_contact(values))
        return {
            "name": validation.normalise_text(values["name"]),
            "relation": values["relation"],
            "phone": validation.normalise_phone(values["phone"]),
            "note": (values.get("note") or "").strip(),
        }
    raise ValueError(f"unknown entity {entity!r}")


def _require_watcher(session: Session, actor: Actor, watcher_id: Any) -> Watcher:
    watcher = session.get(Watcher, _int_or_none(watcher_id))
    if (
        watcher is None
        or watcher.deleted_at is not None
        or not access.can(actor, access.Action.VIEW, watcher.district_id)
    ):
        raise ValidationFailed(
            [validation.message("watcher_id", "は担当地区の登録済みの見守り者から選んでください")]
        )
    return watcher


# ---------------------------------------------------------------- generic writes


def create(
    engine: Engine,
    actor: Actor,
    entity: str,
    values: Mapping[str, Any],
    *,
    today: date | None = None,
) -> int:
    """Create a record of ``entity``; children name their ``household_id``. Returns its id."""
    with db.transaction(engine) as session:
        return create_in(session, actor, entity, values, today=today)


def create_in(
    session: Session,
    actor: Actor,
    entity: str,
    values: Mapping[str, Any],
    *,
    today: date | None = None,
) -> int:
    """:func:`create` inside the caller's transaction (e.g. confirming a meeting's proposal
    creates the record and marks the proposal as one unit)."""
    today = today or date.today()
    data = dict(values)
    if entity in CHILD_ENTITIES:
        household = _household_of(session, actor, data.get("household_id"))
    elif not access.can(actor, access.Action.EDIT):
        raise AccessDenied("編集する権限がありません")
    columns = _columns(session, actor, entity, data, today)
    if entity == "watch_link":
        revived = _revive_link(session, actor, household.id, columns)
        if revived is not None:
            return revived
    if entity in CHILD_ENTITIES:
        columns["household_id"] = household.id
    row = EDIT_MODELS[entity](**columns)
    session.add(row)
    session.flush()
    _audit(session, actor, "create", entity, row, list(EDIT_FIELDS[entity]))
    return int(row.id)


def _revive_link(
    session: Session, actor: Actor, household_id: int, columns: dict[str, Any]
) -> int | None:
    """A link for the same watcher and involvement: refuse if live, restore if deleted."""
    existing = session.scalar(
        select(WatchLink).where(
            WatchLink.household_id == household_id,
            WatchLink.watcher_id == columns["watcher_id"],
            WatchLink.involvement == columns["involvement"],
        )
    )
    if existing is None:
        return None
    if existing.deleted_at is None:
        _fail(
            [
                validation.message(
                    "involvement",
                    "はこの見守り者について既に登録されています。頻度を変えるときは編集してください",
                )
            ]
        )
    before = access.row_snapshot("watch_link", existing)
    existing.deleted_at = None
    existing.frequency, existing.note = columns["frequency"], columns["note"]
    session.flush()
    fields = _changed(
        before, access.row_snapshot("watch_link", existing), EDIT_FIELDS["watch_link"]
    )
    _audit(session, actor, "restore", "watch_link", existing, fields)
    return int(existing.id)


def update(
    engine: Engine,
    actor: Actor,
    entity: str,
    record_id: int,
    values: Mapping[str, Any],
    *,
    version: int,
    loaded: Mapping[str, Any] | None = None,
    today: date | None = None,
) -> int:
    """Save changed ``values`` of a record loaded at ``version``; returns the new version.

    ``loaded`` is what the user saw (an :func:`access.edit_snapshot`); when the record was
    saved by someone else meanwhile, :class:`StaleRecord` names the fields they changed.
    """
    today = today or date.today()
    try:
        with db.transaction(engine) as session:
            row = _live(session, entity, record_id)
            _require_edit(actor, access.record_district(session, entity, row))
            if row.version != version:
                raise _StaleSignal
            before = access.row_snapshot(entity, row)
            merged = {**before, **values}
            if entity == "household" and "placement" not in values:
                merged["placement"] = "approximate" if before["location_approximate"] else "exact"
            columns = _columns(session, actor, entity, merged, today)
            if (
                entity == "household"
                and merged["placement"] == "approximate"
                and before["location_approximate"]
                and merged["district_id"] == before["district_id"]
            ):
                columns["location"] = row.location  # keep the representative point as it was
            if entity == "household" and _same_place(row, columns):
                columns["location_level"] = row.location_level  # how it was found still holds
            for name, value in columns.items():
                setattr(row, name, value)
            fields = _changed(before, access.row_snapshot(entity, row), EDIT_FIELDS[entity])
            if not fields:
                session.expunge(row)  # nothing to save: no write, no new version
                return version
            session.flush()
            _audit(session, actor, "update", entity, row, fields)
            return int(row.version)
    except (_StaleSignal, StaleDataError):
        raise _stale(engine, actor, entity, record_id, loaded) from None


def _same_place(row: Any, columns: dict[str, Any]) -> bool:
    """Whether a household keeps its point and its approximate flag (issue 17)."""
    before, after = row.location, columns["location"]
    return (
        before is not None
        and after is not None
        and after.equals_exact(before, 1e-9)
        and columns["location_approximate"] == row.location_approximate
    )


class _StaleSignal(Exception):
    """Internal: the loaded version is not the stored one."""


def close_household(
    engine: Engine,
    actor: Actor,
    household_id: int,
    *,
    closed_on: date,
    version: int,
    loaded: Mapping[str, Any] | None = None,
    today: date | None = None,
) -> int:
    """Close a household's watch (終了) on ``closed_on``; returns the new version."""
    if closed_on in (None, ""):
        raise ValidationFailed([validation.message("closed_on", "を入力してください")])
    return update(
        engine,
        actor,
        "household",
        household_id,
        {"closed_on": closed_on},
        version=version,
        loaded=loaded,
        today=today,
    )


def reopen_household(
    engine: Engine,
    actor: Actor,
    household_id: int,
    *,
    version: int,
    loaded: Mapping[str, Any] | None = None,
) -> int:
    """Reopen a closed household; returns the new version."""
    return update(
        engine,
        actor,
        "household",
        household_id,
        {"closed_on": None},
        version=version,
        loaded=loaded,
    )


def delete(
    engine: Engine,
    actor: Actor,
    entity: str,
    record_id: int,
    *,
    version: int,
    loaded: Mapping[str, Any] | None = None,
) -> None:
    """Soft-delete a record (it can be restored); refused when stale."""
    try:
        with db.transaction(engine) as session:
            row = _live(session, entity, record_id)
            _require_edit(actor, access.record_district(session, entity, row))
            if row.version != version:
                raise _StaleSignal
            row.deleted_at = utcnow()
            session.flush()
            _audit(session, actor, "delete", entity, row, ["deleted_at"])
    except (_StaleSignal, StaleDataError):
        raise _stale(engine, actor, entity, record_id, loaded) from None


def restore(engine: Engine, actor: Actor, entity: str, record_id: int) -> None:
    """Bring a soft-deleted record back."""
    with db.transaction(engine) as session:
        row = session.get(EDIT_MODELS[entity], record_id)
        if row is None:
            raise AccessDenied(NOT_FOUND)
        _require_edit(actor, access.record_district(session, entity, row))
        if row.deleted_at is None:
            return
        if entity in CHILD_ENTITIES:
            household = session.get(Household, row.household_id)
            if household is None or household.deleted_at is not None:
                raise RecordError("世帯が削除されています。先に世帯を復元してください。")
        if entity == "watch_link":
            watcher = session.get(Watcher, row.watcher_id)
            if watcher is None or watcher.deleted_at is not None:
                raise RecordError("見守り者が削除されています。先に見守り者を復元してください。")
        row.deleted_at = None
        session.flush()
        _audit(session, actor, "restore", entity, row, ["deleted_at"])


# ---------------------------------------------------------------- named shortcuts


def create_household(
    engine: Engine, actor: Actor, values: Mapping[str, Any], *, today: date | None = None
) -> int:
    """Create a household; ``placement`` "exact" needs lon/lat, "approximate" uses the 町丁目."""
    return create(engine, actor, "household", values, today=today)


def add_resident(
    engine: Engine,
    actor: Actor,
    household_id: int,
    values: Mapping[str, Any],
    *,
    today: date | None = None,
) -> int:
    """Add a resident (気がかりな人) to a household."""
    return create(engine, actor, "resident", {**values, "household_id": household_id}, today=today)


def create_watcher(
    engine: Engine, actor: Actor, values: Mapping[str, Any], *, today: date | None = None
) -> int:
    """Register a watcher (見守り者) in one of the actor's districts."""
    return create(engine, actor, "watcher", values, today=today)


def link_watcher(
    engine: Engine,
    actor: Actor,
    household_id: int,
    watcher_id: int,
    involvement: str,
    frequency: str,
    note: str = "",
) -> int:
    """Link a watcher to a household with an involvement (関わり方) and a frequency."""
    values = {
        "household_id": household_id,
        "watcher_id": watcher_id,
        "involvement": involvement,
        "frequency": frequency,
        "note": note,
    }
    return create(engine, actor, "watch_link", values)


def record_contact(
    engine: Engine,
    actor: Actor,
    household_id: int,
    values: Mapping[str, Any],
    *,
    today: date | None = None,
) -> int:
    """Add a contact-log entry (who, how, what they saw, warning signs)."""
    return create(
        engine, actor, "contact_log", {**values, "household_id": household_id}, today=today
    )


def add_emergency_contact(
    engine: Engine, actor: Actor, household_id: int, values: Mapping[str, Any]
) -> int:
    """Add a line to the household's 緊急連絡カード."""
    return create(engine, actor, "emergency_contact", {**values, "household_id": household_id})
