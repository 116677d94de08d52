"""The 緊急連絡表 of an area (issue 14): who to call, filled in from lsmap's own records and
completed by staff.

Lines come from the watchers of the area with the roles 区長・自治会長, 民生委員, 福祉推進員;
the staff assigned to the area or an area above it (社協の地区担当); the 地域包括支援センター
among the resources of the area (else of the area above it). 市の窓口 and 交番 have no
record of their own. Staff's lines for a category (``contact_sheet_entries``) replace the
filled-in ones. A watcher's phone is shown only to the roles that see it elsewhere
(:func:`lsmap.access.policy.sees_full_records`); staff's lines are written for the sheet and
shown to everyone who may open it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from lsmap.access.core import AccessDenied, Action, Actor, DistrictTree, can
from lsmap.access.policy import sees_full_records
from lsmap.storage import audit
from lsmap.storage.meeting_models import ContactSheetEntry
from lsmap.storage.models import District, Resource, User, UserDistrict, Watcher
from lsmap.vocab import CONTACT_SHEET_CATEGORIES, AuditAction, Entity, Role

#: Categories filled in from the watchers' roles.
WATCHER_CATEGORIES = ("ward_head", "commissioner", "welfare_volunteer")


@dataclass(frozen=True)
class ContactLine:
    """One line of the sheet; ``source`` is "written" (by staff) or "records"."""

    category: str
    name: str
    phone: str
    note: str
    source: str


@dataclass(frozen=True)
class ContactSheet:
    """The sheet of one area, lines in the order of ``CONTACT_SHEET_CATEGORIES``."""

    district_id: int
    district_name: str
    parent_name: str
    lines: tuple[ContactLine, ...]

    def of(self, category: str) -> list[ContactLine]:
        """The lines of ``category``."""
        return [line for line in self.lines if line.category == category]


def contact_sheet(session: Session, actor: Actor | None, district_id: int) -> ContactSheet:
    """The 緊急連絡表 of ``district_id`` for ``actor`` (roles that see people, in their
    districts); audited. AccessDenied otherwise."""
    district = session.get(District, district_id)
    if (
        actor is None
        or district is None
        or district.deleted_at is not None
        or not can(actor, Action.VIEW, district_id)
    ):
        denied = AccessDenied("この地区の緊急連絡表を見る権限がありません")
        raise audit.log_denied(session, actor, denied, Entity.CONTACT_SHEET, [district_id])
    tree = DistrictTree.load(session)
    area = tree.descendants({district_id})
    parent = session.get(District, district.parent_id) if district.parent_id else None
    filled = _from_records(session, actor, tree, district_id, area)
    written = _written(session, district_id)
    lines: list[ContactLine] = []
    for category in CONTACT_SHEET_CATEGORIES:
        lines += written.get(category) or filled.get(category, [])
    audit.log(session, actor, AuditAction.VIEW_RECORD, Entity.CONTACT_SHEET, [district_id])
    return ContactSheet(
        district_id=district_id,
        district_name=district.name,
        parent_name=parent.name if parent is not None else "",
        lines=tuple(lines),
    )


def _written(session: Session, district_id: int) -> dict[str, list[ContactLine]]:
    written: dict[str, list[ContactLine]] = {}
    rows = session.scalars(
        select(ContactSheetEntry)
        .where(
            ContactSheetEntry.district_id == district_id,
            ContactSheetEntry.deleted_at.is_(None),
        )
        .order_by(ContactSheetEntry.category, ContactSheetEntry.position, ContactSheetEntry.id)
    )
    for row in rows:
        line = ContactLine(row.category, row.name, row.phone, row.note, "written")
        written.setdefault(row.category, []).append(line)
    return written


def _from_records(
    session: Session, actor: Actor, tree: DistrictTree, district_id: int, area: frozenset[int]
) -> dict[str, list[ContactLine]]:
    filled: dict[str, list[ContactLine]] = {}
    phones = sees_full_records(actor)
    watchers = session.execute(
        select(Watcher.name, Watcher.role, Watcher.phone, District.name)
        .join(District, District.id == Watcher.district_id)
        .where(
            Watcher.deleted_at.is_(None),
            Watcher.role.in_(WATCHER_CATEGORIES),
            Watcher.district_id.in_(sorted(area)),
        )
        .order_by(Watcher.role, District.code, Watcher.id)
    )
    for name, role, phone, town in watchers:
        line = ContactLine(role, name, phone if phones else "", town, "records")
        filled.setdefault(role, []).append(line)
    above = tree.ancestors(district_id)
    staff = session.execute(
        select(User.display_name, User.username)
        .join(UserDistrict, UserDistrict.user_id == User.id)
        .where(
            UserDistrict.district_id.in_(above),
            User.role == str(Role.STAFF),
            User.active.is_(True),
            User.deleted_at.is_(None),
        )
        .distinct()
        .order_by(User.username)
    )
    filled["csw"] = [
        ContactLine("csw", display or username, "", "", "records") for display, username in staff
    ]
    filled["support_centre"] = _support_centres(session, tree, above)
    return filled


def _support_centres(session: Session, tree: DistrictTree, above: list[int]) -> list[ContactLine]:
    """The 地域包括支援センター of the area, else of the nearest area above that has one."""
    for district in above:
        rows = session.execute(
            select(Resource.name, Resource.phone)
            .where(
                Resource.deleted_at.is_(None),
                Resource.kind == "support_centre",
                Resource.district_id.in_(sorted(tree.descendants({district}))),
            )
            .order_by(Resource.id)
        ).all()
        if rows:
            return [
                ContactLine("support_centre", name, phone, "", "records") for name, phone in rows
            ]
    return []
