"""Writing resources kept in the app (issue 12): salons with their schedule, food banks,
participating facilities with their CSWs, support centres and other resources.

Each function takes the acting user, asks :mod:`lsmap.access.resource_work` whether they
may edit in the resource's district (before and after the change), runs as one transaction
with the version the page loaded, and writes one audit entry naming the changed fields.
Deletes are soft. A salon's 曜日 and 頻度 give ``meetings_per_month``, which the coverage rule
"less than monthly" reads.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from shapely.geometry import Point
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from lsmap.access import Actor, resource_work
from lsmap.records.validation import FieldError, normalise_phone, normalise_text
from lsmap.records.writes import RecordError, ValidationFailed
from lsmap.storage import audit, db
from lsmap.storage.models import Csw, District, Resource, utcnow
from lsmap.vocab import (
    RESOURCE_KINDS,
    SALON_FREQUENCIES,
    SALON_MONTHLY_MEETINGS,
    WEEKDAYS,
    AuditAction,
    Entity,
)

STALE = "ほかの人が先にこの資源を変更しました。画面を読み込み直してください"
#: How the form placed a resource: a map click or coordinates, the address found in the
#: reference (街区 or 町丁目), the 町丁目's representative point, or not on the map.
PLACEMENTS = ("manual", "block", "town", "district", "none")
RESOURCE_FIELDS = (
    "kind",
    "name",
    "address",
    "phone",
    "schedule",
    "weekdays",
    "frequency",
    "meetings_per_month",
    "district_id",
    "location",
    "location_level",
)


def meetings_per_month(frequency: str, weekdays: Sequence[str]) -> float | None:
    """Meetings a month of a salon meeting ``frequency`` on ``weekdays`` (None: unknown)."""
    if frequency not in SALON_FREQUENCIES:
        return None
    per_day = SALON_FREQUENCIES[frequency][1]
    if per_day is None:
        return SALON_MONTHLY_MEETINGS[frequency]
    return round(per_day * max(len(weekdays), 1), 2)


def schedule_text(frequency: str, weekdays: Sequence[str], note: str = "") -> str:
    """The schedule as the map's popup says it: 「毎週 火・金曜日 10時〜」."""
    parts = []
    if frequency in SALON_FREQUENCIES:
        parts.append(SALON_FREQUENCIES[frequency][0])
    if weekdays:
        parts.append("・".join(WEEKDAYS[d] for d in WEEKDAYS if d in weekdays) + "曜日")
    if note:
        parts.append(note)
    return " ".join(parts)


def _errors(values: Mapping[str, Any]) -> list[FieldError]:
    errors: list[FieldError] = []
    if values.get("kind") not in RESOURCE_KINDS:
        errors.append(("kind", "「種類」を選んでください"))
    name = normalise_text(values.get("name"))
    if not name:
        errors.append(("name", "「名称」を入力してください"))
    elif len(name) > 200:
        errors.append(("name", "「名称」は200文字以内にしてください"))
    if len(normalise_phone(values.get("phone"))) > 32:
        errors.append(("phone", "「電話」は32文字以内にしてください"))
    if any(d not in WEEKDAYS for d in values.get("weekdays") or ()):
        errors.append(("weekdays", "「曜日」が正しくありません"))
    if (values.get("frequency") or "") not in ("", *SALON_FREQUENCIES):
        errors.append(("frequency", "「頻度」が正しくありません"))
    if values.get("placement", "none") not in PLACEMENTS:
        errors.append(("placement", "「位置の決め方」を選んでください"))
    return errors


def _location(session: Session, values: Mapping[str, Any]) -> tuple[Point | None, str | None]:
    """The point and its level, as the form placed it; ValidationFailed when impossible."""
    placement = values.get("placement", "none")
    if placement == "none":
        return None, None
    if placement == "district":
        district = session.get(District, values.get("district_id"))
        if district is None or district.geom is None:
            raise ValidationFailed(
                [("district_id", "町丁目の区域が登録されていないため置けません")]
            )
        return district.geom.representative_point(), "town"
    try:
        lon, lat = float(values["lon"]), float(values["lat"])
    except (KeyError, TypeError, ValueError):
        raise ValidationFailed(
            [("lon", "地図をクリックするか、住所から位置を探してください")]
        ) from None
    if not (122.0 <= lon <= 154.0 and 20.0 <= lat <= 46.0):
        raise ValidationFailed([("lon", "位置が日本の範囲の外です")])
    return Point(lon, lat), placement


def _columns(session: Session, values: Mapping[str, Any]) -> dict[str, Any]:
    """Validated column values of a resource from the form's ``values``."""
    errors = _errors(values)
    if errors:
        raise ValidationFailed(errors)
    location, level = _location(session, values)
    salon = values["kind"] == "salon"
    weekdays = [d for d in WEEKDAYS if d in (values.get("weekdays") or ())] if salon else []
    frequency = (values.get("frequency") or "") if salon else ""
    note = normalise_text(values.get("schedule_note"))
    return {
        "kind": values["kind"],
        "name": normalise_text(values.get("name")),
        "address": normalise_text(values.get("address")),
        "phone": normalise_phone(values.get("phone")),
        "schedule": schedule_text(frequency, weekdays, note)[:200],
        "weekdays": ",".join(weekdays),
        "frequency": frequency,
        "meetings_per_month": meetings_per_month(frequency, weekdays) if salon else None,
        "district_id": values.get("district_id"),
        "location": location,
        "location_level": level,
    }


def _snapshot(resource: Resource) -> dict[str, Any]:
    snapshot = {name: getattr(resource, name) for name in RESOURCE_FIELDS}
    location = snapshot["location"]
    snapshot["location"] = None if location is None else (location.x, location.y)
    return snapshot


def save_resource(
    engine: Engine,
    actor: Actor,
    values: Mapping[str, Any],
    *,
    resource_id: int | None = None,
    version: int | None = None,
) -> int:
    """Create (``resource_id`` None) or update a resource; returns its id."""
    with db.transaction(engine) as session:
        resource_work.require_resource_edit(actor, values.get("district_id"))
        columns = _columns(session, values)
        if resource_id is None:
            resource = Resource(**columns)
            session.add(resource)
            session.flush()
            audit.log(
                session,
                actor,
                AuditAction.CREATE,
                Entity.RESOURCE,
                [resource.id],
                kind=columns["kind"],
            )
            return int(resource.id)
        resource = _live(session, resource_id, version)
        resource_work.require_resource_edit(actor, resource.district_id)
        if not columns["frequency"]:
            # no 頻度 chosen (a resource kept from an import): keep how often it was known
            # to meet or open
            columns["meetings_per_month"] = resource.meetings_per_month
        before = _snapshot(resource)
        for name, value in columns.items():
            setattr(resource, name, value)
        changed = [f for f in RESOURCE_FIELDS if _snapshot(resource)[f] != before[f]]
        if changed:
            session.flush()
            audit.log(
                session, actor, AuditAction.UPDATE, Entity.RESOURCE, [resource.id], fields=changed
            )
        else:
            session.expunge(resource)
        return int(resource.id)


def _live(session: Session, resource_id: int, version: int | None) -> Resource:
    resource = session.get(Resource, resource_id)
    if resource is None or resource.deleted_at is not None:
        raise RecordError("この資源は見つかりません")
    if version is not None and resource.version != version:
        raise RecordError(STALE)
    return resource


def delete_resource(engine: Engine, actor: Actor, resource_id: int, *, version: int) -> bool:
    """Soft-delete a resource (it leaves the map and the coverage rule); True when done."""
    with db.transaction(engine) as session:
        resource = _live(session, resource_id, version)
        resource_work.require_resource_edit(actor, resource.district_id)
        resource.deleted_at = utcnow()
        session.flush()
        audit.log(session, actor, AuditAction.DELETE, Entity.RESOURCE, [resource.id])
        return True
        return True


def add_csw(engine: Engine, actor: Actor, resource_id: int, name: str, phone: str = "") -> int:
    """Add a CSW to a participating facility; returns the CSW's id."""
    name = normalise_text(name)
    if not name or len(name) > 100:
        raise ValidationFailed([("name", "「CSWの氏名」を100文字以内で入力してください")])
    with db.transaction(engine) as session:
        resource = _live(session, resource_id, None)
        resource_work.require_resource_edit(actor, resource.district_id)
        if resource.kind != "facility":
            raise RecordError("CSWは参加法人施設にだけ登録できます")
        csw = Csw(resource_id=resource.id, name=name, phone=normalise_phone(phone)[:32])
        session.add(csw)
        session.flush()
        audit.log(
            session,
            actor,
            AuditAction.UPDATE,
            Entity.RESOURCE,
            [resource.id],
            fields=["csws"],
            added=csw.id,
        )
        return int(csw.id)


def remove_csw(engine: Engine, actor: Actor, csw_id: int, *, version: int) -> bool:
    """Take a CSW off a facility (soft delete); True when done."""
    with db.transaction(engine) as session:
        csw = session.get(Csw, csw_id)
        if csw is None or csw.deleted_at is not None or csw.version != version:
            raise RecordError(STALE)
        resource = _live(session, csw.resource_id, None)
        resource_work.require_resource_edit(actor, resource.district_id)
        csw.deleted_at = utcnow()
        session.flush()
        audit.log(
            session,
            actor,
            AuditAction.UPDATE,
            Entity.RESOURCE,
            [resource.id],
            fields=["csws"],
            removed=csw.id,
        )
        return True
