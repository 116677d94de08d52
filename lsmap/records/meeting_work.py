"""Writing a 福祉連絡会's work: proposals, staff's confirmation or rejection, the confirmed
見直し, the 会議の記録 and staff's lines on the 緊急連絡表 (issue 14).

A meeting proposes; nothing becomes a record until district staff confirm it. Confirming
creates the household or watch link through :func:`lsmap.records.writes.create_in` (audited,
versioned) in the same transaction that marks the proposal. Every write is audited with the
account and the login session's short id (``login_session``), never with the words typed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any, NoReturn

from shapely.geometry import Point
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from lsmap import access
from lsmap.access import AccessDenied, Action, Actor
from lsmap.access import meeting_work as reads
from lsmap.records.validation import normalise_phone, normalise_text
from lsmap.records.writes import RecordError, create_in
from lsmap.settings import LOCAL_TZ
from lsmap.storage import audit, db
from lsmap.storage.meeting_models import (
    ContactSheetEntry,
    HouseholdReview,
    MeetingProposal,
    MeetingRecord,
)
from lsmap.storage.models import District, utcnow
from lsmap.vocab import (
    ATTENDEE_ROLES,
    CONTACT_SHEET_CATEGORIES,
    FREQUENCIES,
    HOUSEHOLD_TYPES,
    INVOLVEMENTS,
    PROPOSAL_KINDS,
    WATCHER_ROLES,
    AuditAction,
    Entity,
)

NOTE_MAX = 200
NO_CHANGE_NOTE = "変わりなし"
STALE_RECORD = "ほかの方が先にこの記録を保存しました。読み込み直してください。"
STALE = "ほかの方が先にこの提案を確認または見送りしました。一覧を読み込み直してください。"


def local_today() -> date:
    """Today in Japan."""
    return datetime.now(LOCAL_TZ).date()


def _refuse(text: str) -> NoReturn:
    raise RecordError(text)


def _text(values: Mapping[str, Any], key: str, limit: int | None = None) -> str:
    text = normalise_text(values.get(key))
    if limit is not None and len(text) > limit:
        _refuse(f"{limit}文字以内で入力してください")
    return text


def _choice(values: Mapping[str, Any], key: str, vocab: Mapping[str, Any], label: str) -> str:
    code = str(values.get(key) or "")
    if code and code not in vocab:
        _refuse(f"「{label}」は一覧から選んでください")
    return code


def _district_for(session: Session, actor: Actor, district_id: Any, action: Action) -> District:
    district = session.get(District, int(district_id)) if district_id not in (None, "") else None
    if (
        district is None
        or district.deleted_at is not None
        or not access.can(actor, action, district.id)
    ):
        raise AccessDenied("この町内は担当ではありません")
    return district


# ---------------------------------------------------------------- proposing


def propose(
    engine: Engine,
    actor: Actor,
    kind: str,
    values: Mapping[str, Any],
    *,
    session_id: str = "",
) -> int:
    """Store a proposal of ``kind`` (``PROPOSAL_KINDS``) from a meeting; returns its id.

    ``household``: ``district_id`` (the 町内), ``address`` and/or ``lon``/``lat`` (a map
    click), ``concerns`` (what worries us), optional ``household_type``. ``watcher``:
    ``household_id``, ``watcher_role`` and ``relation`` or a registered ``watcher_id`` (a
    person present), ``involvement``, ``frequency``. ``reviewed``: ``household_id`` and a
    short ``note``. ``no_change``: ``district_id`` and an optional ``note``.
    """
    if kind not in PROPOSAL_KINDS:
        raise ValueError(f"unknown proposal kind {kind!r}")
    if not access.may_propose(actor):
        raise AccessDenied("提案する権限がありません")
    with db.transaction(engine) as session:
        columns = _proposal_columns(session, actor, kind, values)
        row = MeetingProposal(
            kind=kind,
            status="pending",
            proposed_by=actor.username,
            proposed_session=session_id[:32],
            **columns,
        )
        session.add(row)
        session.flush()
        detail: dict[str, Any] = {"kind": kind, "login_session": session_id[:32]}
        if row.household_id is not None:
            detail["household"] = row.household_id
        audit.log(session, actor, AuditAction.PROPOSE, Entity.PROPOSAL, [row.id], **detail)
        return int(row.id)


def _proposal_columns(
    session: Session, actor: Actor, kind: str, values: Mapping[str, Any]
) -> dict[str, Any]:
    if kind in ("household", "no_change"):
        district = _district_for(session, actor, values.get("district_id"), Action.PROPOSE)
        if kind == "no_change":
            return {"district_id": district.id, "concerns": _text(values, "note", NOTE_MAX)}
        return _new_household(district, values)
    household = reads.proposable_household(session, actor, int(values.get("household_id") or 0))
    columns: dict[str, Any] = {"district_id": household.district_id, "household_id": household.id}
    if kind == "reviewed":
        columns["concerns"] = _text(values, "note", NOTE_MAX)
        return columns
    watcher_id = values.get("watcher_id")
    if watcher_id not in (None, ""):
        columns["watcher_id"] = reads.proposable_watcher(session, actor, int(watcher_id)).id
    role = _choice(values, "watcher_role", WATCHER_ROLES, "役割")
    if not role and "watcher_id" not in columns:
        _refuse("見守り者の役割を選ぶか、出席している見守り者を選んでください")
    return {
        **columns,
        "watcher_role": role,
        "relation": _text(values, "relation", NOTE_MAX),
        "involvement": _choice(values, "involvement", INVOLVEMENTS, "関わり方") or "greeting",
        "frequency": _choice(values, "frequency", FREQUENCIES, "頻度") or "as_needed",
        "concerns": _text(values, "note", NOTE_MAX),
    }


def _new_household(district: District, values: Mapping[str, Any]) -> dict[str, Any]:
    address = _text(values, "address", 300)
    given = values.get("lon"), values.get("lat")
    located = all(v not in (None, "") for v in given)
    lon, lat = (float(given[0]), float(given[1])) if located else (None, None)  # type: ignore[arg-type]
    if not address and not located:
        _refuse("住所を入力するか、地図で場所を指定してください")
    if lon is not None and lat is not None and district.geom is not None:
        inside = district.geom.buffer(0.0005).contains(Point(lon, lat))
    else:
        inside = True
    if not inside:
        _refuse(f"指定した場所が{district.name}の外にあります")
    concerns = _text(values, "concerns", 1000)
    if not concerns:
        _refuse("「気がかりなこと」を入力してください")
    return {
        "district_id": district.id,
        "address": address,
        "lon": lon,
        "lat": lat,
        "household_type": _choice(values, "household_type", HOUSEHOLD_TYPES, "世帯の状況"),
        "concerns": concerns,
    }


# ---------------------------------------------------------------- confirming


def confirm(
    engine: Engine,
    actor: Actor,
    proposal_id: int,
    version: int,
    values: Mapping[str, Any] | None = None,
    *,
    session_id: str = "",
    today: date | None = None,
) -> int | None:
    """Confirm a pending proposal into records; returns the new record's id (household,
    watch link) or None for reviews. ``values`` completes what the meeting left open:
    ``household_type`` for a household, ``watcher_id`` or ``watcher_name`` for a watcher."""
    today = today or local_today()
    extra = dict(values or {})
    try:
        with db.transaction(engine) as session:
            row = _pending(session, actor, proposal_id, version)
            result = _apply(session, actor, row, extra, today)
            _decide(session, actor, row, "confirmed", session_id, result_id=result)
            return result
    except StaleDataError as error:
        raise RecordError(STALE) from error


def reject(
    engine: Engine,
    actor: Actor,
    proposal_id: int,
    version: int,
    reason: str,
    *,
    session_id: str = "",
) -> None:
    """Decline a pending proposal with a reason (kept with the proposal; audited)."""
    reason = normalise_text(reason)
    if not reason:
        _refuse("見送る理由を入力してください")
    try:
        with db.transaction(engine) as session:
            row = _pending(session, actor, proposal_id, version)
            row.reject_reason = reason[:NOTE_MAX]
            _decide(session, actor, row, "rejected", session_id)
    except StaleDataError as error:
        raise RecordError(STALE) from error


def _pending(session: Session, actor: Actor, proposal_id: int, version: int) -> MeetingProposal:
    row: MeetingProposal = reads.proposal_row(session, actor, proposal_id, Action.CONFIRM_PROPOSAL)
    if row.status != "pending" or row.version != version:
        _refuse(STALE)
    return row


def _decide(
    session: Session,
    actor: Actor,
    row: MeetingProposal,
    status: str,
    session_id: str,
    *,
    result_id: int | None = None,
) -> None:
    row.status = status
    row.decided_by = actor.username
    row.decided_at = utcnow()
    row.result_id = result_id
    session.flush()
    detail: dict[str, Any] = {"kind": row.kind, "login_session": session_id[:32]}
    if row.household_id is not None:
        detail["household"] = row.household_id
    if result_id is not None:
        detail["result"] = result_id
    action = AuditAction.CONFIRM if status == "confirmed" else AuditAction.REJECT
    audit.log(session, actor, action, Entity.PROPOSAL, [row.id], **detail)


def _apply(
    session: Session, actor: Actor, row: MeetingProposal, extra: dict[str, Any], today: date
) -> int | None:
    if row.kind == "household":
        household_type = str(extra.get("household_type") or row.household_type or "")
        located = row.lon is not None and row.lat is not None
        values = {
            "district_id": row.district_id,
            "address": row.address,
            "household_type": household_type,
            "note": f"福祉連絡会からの提案: {row.concerns}",
            "placement": "exact" if located else "approximate",
            "lon": row.lon,
            "lat": row.lat,
        }
        return create_in(session, actor, "household", values, today=today)
    if row.kind == "watcher":
        return _confirm_watcher(session, actor, row, extra, today)
    household_ids = (
        [row.household_id]
        if row.kind == "reviewed" and row.household_id is not None
        else _households_of_area(session, actor, row.district_id)
    )
    note = row.concerns if row.kind == "reviewed" else _joined(NO_CHANGE_NOTE, row.concerns)
    reviewed_on = row.created_at.astimezone(LOCAL_TZ).date() if row.created_at else today
    _add_reviews(session, actor, household_ids, reviewed_on, note, row.id)
    return None


def _joined(*parts: str) -> str:
    return "：".join(p for p in parts if p)


def _households_of_area(session: Session, actor: Actor, district_id: int) -> list[int]:
    area = access.area_for(session, district_id).ids or frozenset({district_id})
    return reads.households_in(session, actor, area)


def _confirm_watcher(
    session: Session, actor: Actor, row: MeetingProposal, extra: dict[str, Any], today: date
) -> int:
    household = reads.proposable_household(session, actor, int(row.household_id or 0), Action.EDIT)
    watcher_id = extra.get("watcher_id") or row.watcher_id
    if watcher_id in (None, ""):
        name = normalise_text(extra.get("watcher_name"))
        if not name:
            _refuse("見守り者を選ぶか、新しい見守り者の氏名を入力してください")
        watcher_values = {
            "name": name,
            "role": row.watcher_role or "neighbour",
            "phone": normalise_phone(extra.get("watcher_phone")),
            "district_id": household.district_id,
        }
        watcher_id = create_in(session, actor, "watcher", watcher_values, today=today)
    link = {
        "household_id": household.id,
        "watcher_id": int(watcher_id),
        "involvement": row.involvement or "greeting",
        "frequency": row.frequency or "as_needed",
        "note": _joined(row.relation, row.concerns),
    }
    return create_in(session, actor, "watch_link", link, today=today)


def _add_reviews(
    session: Session,
    actor: Actor,
    household_ids: Sequence[int],
    reviewed_on: date,
    note: str,
    proposal_id: int | None,
) -> None:
    for household_id in household_ids:
        household = reads.proposable_household(session, actor, household_id, Action.EDIT)
        review = HouseholdReview(
            household_id=household.id,
            reviewed_on=reviewed_on,
            note=note[:NOTE_MAX],
            confirmed_by=actor.username,
            proposal_id=proposal_id,
        )
        session.add(review)
        if household.reviewed_on is None or household.reviewed_on < reviewed_on:
            household.reviewed_on = reviewed_on  # 要対応's 見直し時期 reads it (issue 12)
        session.flush()
        audit.log(
            session,
            actor,
            AuditAction.CREATE,
            Entity.HOUSEHOLD_REVIEW,
            [review.id],
            household=household.id,
            fields=["reviewed_on", "note"],
        )


def record_review(
    engine: Engine, actor: Actor, household_id: int, note: str = "", *, today: date | None = None
) -> None:
    """Staff record a 見直し済み directly (a household they reviewed themselves)."""
    with db.transaction(engine) as session:
        _add_reviews(session, actor, [household_id], today or local_today(), note, None)


# ---------------------------------------------------------------- the meeting register


def save_meeting_record(
    engine: Engine,
    actor: Actor,
    values: Mapping[str, Any],
    *,
    record_id: int | None = None,
    version: int | None = None,
    session_id: str = "",
    today: date | None = None,
) -> int:
    """Write one entry of the 会議の記録 (new, or ``record_id`` at ``version``): ``district_id``,
    ``held_on``, ``attendees`` (role -> count), ``households_reviewed`` (世帯番号),
    ``decisions``, ``next_meeting_on``. Meetings and staff of the district; audited."""
    if not access.may_keep_register(actor):
        raise AccessDenied("会議の記録を書く権限がありません")
    today = today or local_today()
    try:
        with db.transaction(engine) as session:
            columns = _register_columns(session, actor, values, today)
            if record_id is None:
                row = MeetingRecord(entered_by=actor.username, **columns)
                session.add(row)
            else:
                row = _register_row(session, actor, record_id, version)
                for key, value in columns.items():
                    setattr(row, key, value)
            row.entered_session = session_id[:32]
            session.flush()
            audit.log(
                session,
                actor,
                AuditAction.CREATE if record_id is None else AuditAction.UPDATE,
                Entity.MEETING_RECORD,
                [row.id],
                login_session=session_id[:32],
                households=len(columns["households_reviewed"]),
            )
            return int(row.id)
    except StaleDataError as error:
        raise RecordError(
            "ほかの方が先にこの記録を保存しました。読み込み直してください。"
        ) from error


def _register_row(
    session: Session, actor: Actor, record_id: int, version: int | None
) -> MeetingRecord:
    row = session.get(MeetingRecord, record_id)
    if (
        row is None
        or row.deleted_at is not None
        or not reads.register_district_allowed(actor, row.district_id)
    ):
        raise AccessDenied("この記録は見つからないか、編集する権限がありません")
    if version is not None and row.version != version:
        _refuse(STALE_RECORD)
    return row


def _register_columns(
    session: Session, actor: Actor, values: Mapping[str, Any], today: date
) -> dict[str, Any]:
    district_id = int(values.get("district_id") or 0)
    if not reads.register_district_allowed(actor, district_id):
        raise AccessDenied("この町内は担当ではありません")
    held_on = values.get("held_on")
    if not isinstance(held_on, date) or held_on > today:
        raise RecordError("開催日を今日までの日付で入力してください")
    next_on = values.get("next_meeting_on") or None
    if next_on is not None and (not isinstance(next_on, date) or next_on <= held_on):
        _refuse("次回の開催日は開催日より後の日付にしてください")
    attendees: dict[str, int] = {}
    for attendee, count in dict(values.get("attendees") or {}).items():
        if attendee not in ATTENDEE_ROLES or int(count) < 0 or int(count) > 999:
            _refuse("出席者は役割ごとの人数（0〜999）で入力してください")
        if int(count):
            attendees[attendee] = int(count)
    area = access.area_for(session, district_id).ids or frozenset({district_id})
    reviewed = sorted({int(h) for h in values.get("households_reviewed") or ()})
    for household_id in reviewed:
        household = reads.proposable_household(session, actor, household_id, Action.VIEW)
        if household.district_id not in area:
            _refuse(f"世帯番号 {household_id} はこの町内の世帯ではありません")
    return {
        "district_id": district_id,
        "held_on": held_on,
        "attendees": attendees,
        "households_reviewed": reviewed,
        "decisions": str(values.get("decisions") or "").strip()[:4000],
        "next_meeting_on": next_on,
    }


# ---------------------------------------------------------------- the 緊急連絡表


def save_contact_lines(
    engine: Engine,
    actor: Actor,
    district_id: int,
    category: str,
    lines: Sequence[Mapping[str, Any]],
) -> None:
    """Replace staff's lines of ``category`` on the 緊急連絡表 of ``district_id``; an empty
    ``lines`` goes back to the lines filled in from the records. Audited."""
    if category not in CONTACT_SHEET_CATEGORIES:
        raise ValueError(f"unknown category {category!r}")
    if not access.may_edit_contact_sheet(actor):
        raise AccessDenied("緊急連絡表を編集する権限がありません")
    with db.transaction(engine) as session:
        district = _district_for(session, actor, district_id, Action.EDIT)
        current = session.scalars(
            select(ContactSheetEntry).where(
                ContactSheetEntry.district_id == district.id,
                ContactSheetEntry.category == category,
                ContactSheetEntry.deleted_at.is_(None),
            )
        )
        removed = [entry.id for entry in current]
        for entry in session.scalars(
            select(ContactSheetEntry).where(ContactSheetEntry.id.in_(removed))
        ):
            entry.deleted_at = utcnow()
        added: list[int] = []
        for position, line in enumerate(lines):
            name, phone = _text(line, "name", 200), normalise_phone(line.get("phone"))[:32]
            if not name and not phone:
                continue
            entry = ContactSheetEntry(
                district_id=district.id,
                category=category,
                name=name,
                phone=phone,
                note=_text(line, "note", NOTE_MAX),
                position=position,
            )
            session.add(entry)
            session.flush()
            added.append(entry.id)
        audit.log(
            session,
            actor,
            AuditAction.UPDATE,
            Entity.CONTACT_SHEET,
            [*removed, *added],
            district=district.id,
            category=category,
        )
