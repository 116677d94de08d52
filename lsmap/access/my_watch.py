"""「わたしの見守り」: what a 見守り者 account sees of the households its watcher row is linked
to (issue 13), and nothing else.

The field set is declared here (:data:`MY_WATCH_FIELDS`) and projected in the query:

- every linked household: 世帯番号, 住所, the watcher's own 関わり方 and the day of the last
  contact (no one's name, no other watcher);
- when the household has 同意 (a live resident consented, none withheld — the meeting's
  rule): the residents' 氏名 and 電話 and the household's 緊急連絡先;
- without 同意, but the link was made with the person's agreement (``watch_links.agreed``):
  the residents' 氏名 only.

Other watchers, concerns, notes, consent bookkeeping and households of other links are never
read. A deleted link, watcher row, household or resident is not shown; a closed household
neither.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lsmap.access.core import AccessDenied, Actor
from lsmap.access.policy import watches_own
from lsmap.access.residents import consent_counts
from lsmap.storage import audit
from lsmap.storage.models import (
    ContactLog,
    EmergencyContact,
    Household,
    Resident,
    Watcher,
    WatchLink,
)
from lsmap.vocab import AuditAction, Entity

#: Which fields a watcher sees of a linked household, by what the household allows.
BASE_FIELDS = frozenset({"household_id", "number", "address", "involvements", "last_contact_on"})
MY_WATCH_FIELDS: dict[str, frozenset[str]] = {
    "consented": BASE_FIELDS | {"names", "phones", "emergency"},
    "agreed": BASE_FIELDS | {"names"},
    "number": BASE_FIELDS,
}


@dataclass(frozen=True)
class EmergencyLine:
    """One line of the household's 緊急連絡先 as a watcher sees it."""

    name: str
    relation: str
    phone: str


@dataclass(frozen=True)
class MyHousehold:
    """One household of 「わたしの見守り」 (fields as :data:`MY_WATCH_FIELDS` allows)."""

    household_id: int
    number: int
    address: str
    #: the watcher's own 関わり方 codes (:data:`lsmap.vocab.INVOLVEMENTS`)
    involvements: tuple[str, ...]
    last_contact_on: date | None
    #: "consented", "agreed" or "number" (which field set applies)
    level: str
    names: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()
    emergency: tuple[EmergencyLine, ...] = ()


def _links(session: Session, watcher_id: int) -> dict[int, tuple[list[str], bool]]:
    """Live linked households of the watcher: their involvements and whether any link agreed."""
    found: dict[int, tuple[list[str], bool]] = {}
    rows = session.execute(
        select(WatchLink.household_id, WatchLink.involvement, WatchLink.agreed)
        .join(Household, Household.id == WatchLink.household_id)
        .join(Watcher, Watcher.id == WatchLink.watcher_id)
        .where(
            WatchLink.watcher_id == watcher_id,
            WatchLink.deleted_at.is_(None),
            Watcher.deleted_at.is_(None),
            Household.deleted_at.is_(None),
            Household.closed_on.is_(None),
        )
        .order_by(WatchLink.household_id, WatchLink.id)
    )
    for hid, involvement, agreed in rows:
        involvements, any_agreed = found.get(hid, ([], False))
        involvements.append(involvement)
        found[hid] = (involvements, any_agreed or bool(agreed))
    return found


def _levels(session: Session, links: dict[int, tuple[list[str], bool]]) -> dict[int, str]:
    counts = consent_counts(session, list(links))
    levels = {}
    for hid, (_inv, agreed) in links.items():
        consented, withheld = counts.get(hid, (0, 0))
        if consented > 0 and withheld == 0:
            levels[hid] = "consented"
        elif agreed and consented + withheld > 0:
            levels[hid] = "agreed"
        else:
            levels[hid] = "number"
    return levels


def _residents(
    session: Session, levels: dict[int, str]
) -> tuple[dict[int, list[str]], dict[int, list[str]]]:
    named = [hid for hid, level in levels.items() if level != "number"]
    names: dict[int, list[str]] = defaultdict(list)
    phones: dict[int, list[str]] = defaultdict(list)
    if not named:
        return names, phones
    rows = session.execute(
        select(Resident.household_id, Resident.name, Resident.phone)
        .where(Resident.household_id.in_(named), Resident.deleted_at.is_(None))
        .order_by(Resident.id)
    )
    for hid, name, phone in rows:
        names[hid].append(name)
        if levels[hid] == "consented" and phone:
            phones[hid].append(phone)
    return names, phones


def _emergency(session: Session, levels: dict[int, str]) -> dict[int, list[EmergencyLine]]:
    shared = [hid for hid, level in levels.items() if level == "consented"]
    lines: dict[int, list[EmergencyLine]] = defaultdict(list)
    if not shared:
        return lines
    rows = session.execute(
        select(
            EmergencyContact.household_id,
            EmergencyContact.name,
            EmergencyContact.relation,
            EmergencyContact.phone,
        )
        .where(EmergencyContact.household_id.in_(shared), EmergencyContact.deleted_at.is_(None))
        .order_by(EmergencyContact.id)
    )
    for hid, name, relation, phone in rows:
        lines[hid].append(EmergencyLine(name, relation, phone))
    return lines


def _households(session: Session, ids: list[int]) -> dict[int, tuple[int, str, date | None]]:
    last = (
        select(ContactLog.household_id, func.max(ContactLog.contacted_on).label("on"))
        .where(ContactLog.household_id.in_(ids), ContactLog.deleted_at.is_(None))
        .group_by(ContactLog.household_id)
        .subquery()
    )
    rows = session.execute(
        select(Household.id, Household.number, Household.address, last.c.on)
        .outerjoin(last, last.c.household_id == Household.id)
        .where(Household.id.in_(ids))
    )
    return {hid: (hid if no is None else no, addr, on) for hid, no, addr, on in rows}


def my_households(session: Session, actor: Actor, *, audited: bool = True) -> list[MyHousehold]:
    """The households the actor's watcher row is linked to, by 世帯番号 (AccessDenied for
    any other role). Audited as a sensitive read unless ``audited`` is False."""
    if not watches_own(actor):
        raise AccessDenied()
    if actor.watcher_id is None:
        return []
    links = _links(session, actor.watcher_id)
    if not links:
        return []
    levels = _levels(session, links)
    names, phones = _residents(session, levels)
    emergency = _emergency(session, levels)
    base = _households(session, list(links))
    result = [
        MyHousehold(
            household_id=hid,
            number=base[hid][0],
            address=base[hid][1],
            involvements=tuple(links[hid][0]),
            last_contact_on=base[hid][2],
            level=levels[hid],
            names=tuple(names.get(hid, ())),
            phones=tuple(phones.get(hid, ())),
            emergency=tuple(emergency.get(hid, ())),
        )
        for hid in links
    ]
    result.sort(key=lambda h: h.number)
    if audited:
        audit.log(
            session,
            actor,
            AuditAction.VIEW_MY_WATCH,
            Entity.HOUSEHOLD,
            [h.household_id for h in result],
        )
    return result


def may_report_on(session: Session, actor: Actor, household_id: int) -> bool:
    """Whether the actor (a 見守り者 account) may record a contact with ``household_id``: a
    live, open household its own watcher row is linked to by a live link."""
    if not watches_own(actor) or actor.watcher_id is None:
        return False
    return household_id in _links(session, actor.watcher_id)


#: The 分野 of the 民生委員's monthly report, from a household's type.
FIELDS_OF_WORK: dict[str, str] = {
    "elderly": "高齢者",
    "disability": "障害者",
    "children": "子ども",
    "other": "その他",
}
HOUSEHOLD_FIELD: dict[str, str] = {
    "elderly_alone": "elderly",
    "elderly_couple": "elderly",
    "disability": "disability",
    "child_carer": "children",
}


def monthly_activity(
    session: Session, actor: Actor, first_day: date, next_month: date
) -> dict[tuple[str, str], int]:
    """The watcher's own contacts from ``first_day`` up to ``next_month`` (exclusive), counted
    by (contact method, 分野 code) — numbers only, for the monthly 活動記録."""
    if not watches_own(actor):
        raise AccessDenied()
    if actor.watcher_id is None:
        return {}
    rows = session.execute(
        select(ContactLog.method, Household.household_type, func.count())
        .join(Household, Household.id == ContactLog.household_id)
        .where(
            ContactLog.watcher_id == actor.watcher_id,
            ContactLog.deleted_at.is_(None),
            ContactLog.contacted_on >= first_day,
            ContactLog.contacted_on < next_month,
        )
        .group_by(ContactLog.method, Household.household_type)
    )
    counts: dict[tuple[str, str], int] = {}
    for method, household_type, count in rows:
        key = (method, HOUSEHOLD_FIELD.get(household_type, "other"))
        counts[key] = counts.get(key, 0) + int(count)
    return counts
