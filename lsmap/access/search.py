"""Find a household in two seconds (issue 12): by 世帯番号, 氏名, ふりがな, 住所 or 電話,
within the actor's districts only; every search is audited as a sensitive read.

Only the roles that keep records (staff, admin: :func:`lsmap.access.policy.may_search`)
search; the others get nothing. The district filter is in the SQL; matching happens on the
rows in scope, in comparable forms: names and furigana through
:func:`lsmap.addresses.normalise_name` (hiragana, katakana and half-width kana alike, no
spaces), addresses through :func:`lsmap.addresses.normalise_address` (full/half-width,
丁目/−/漢数字), phones as digits only. The query text is never written to the audit log.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from lsmap.access.core import Actor, scoped
from lsmap.access.policy import may_search
from lsmap.addresses import normalise_address, normalise_name
from lsmap.storage import audit
from lsmap.storage.models import District, Household, Resident
from lsmap.vocab import AuditAction, Entity

#: At most this many results are listed.
SEARCH_LIMIT = 30
#: A phone search needs at least this many digits (fewer would match nearly everyone).
PHONE_DIGITS = 4


@dataclass(frozen=True)
class SearchHit:
    """One household found: its number, names, address and why it matched."""

    household_id: int
    number: int
    district_name: str
    address: str
    names: tuple[str, ...]
    matched: str  # 世帯番号 / 氏名 / ふりがな / 住所 / 電話


@dataclass
class _Candidate:
    household_id: int
    number: int
    district_name: str
    address: str
    names: list[str]
    furigana: list[str]
    phones: list[str]


def digits(text: str) -> str:
    """Only the digits of ``text`` (full-width digits count)."""
    return re.sub(r"\D", "", unicodedata.normalize("NFKC", text))


def _number_query(text: str) -> int | None:
    """The 世帯番号 asked for ("145", "No.145", "＃１４５"), or None."""
    found = re.fullmatch(
        r"(?:no\.?|#|番号)?\s*(\d{1,7})", unicodedata.normalize("NFKC", text).lower()
    )
    return int(found.group(1)) if found else None


def _candidates(session: Session, actor: Actor) -> list[_Candidate]:
    """Live households in the actor's districts with their live residents."""
    query = (
        select(
            Household.id,
            Household.number,
            District.name,
            Household.address,
            Resident.name,
            Resident.furigana,
            Resident.phone,
        )
        .join(District, District.id == Household.district_id)
        .outerjoin(
            Resident, (Resident.household_id == Household.id) & Resident.deleted_at.is_(None)
        )
        .where(Household.deleted_at.is_(None))
        .order_by(Household.number, Household.id, Resident.id)
    )
    found: dict[int, _Candidate] = {}
    for hid, number, dname, address, name, furigana, phone in session.execute(
        scoped(query, Household.district_id, actor, None)
    ):
        entry = found.setdefault(
            hid, _Candidate(hid, number or hid, dname, address or "", [], [], [])
        )
        if name is not None:
            entry.names.append(name)
            entry.furigana.append(furigana or "")
            entry.phones.append(phone or "")
    return list(found.values())


def _match(candidate: _Candidate, text: str, number: int | None) -> str | None:
    """Why ``candidate`` matches the query (its label), or None."""
    if number is not None and candidate.number == number:
        return "世帯番号"
    name = normalise_name(text)
    if name and any(name in normalise_name(n) for n in candidate.names):
        return "氏名"
    if name and any(name in normalise_name(f) for f in candidate.furigana):
        return "ふりがな"
    wanted = digits(text)
    if (
        len(wanted) >= PHONE_DIGITS
        and wanted == re.sub(r"[\s\-ー−‐()（）]", "", unicodedata.normalize("NFKC", text))
        and any(wanted in digits(p) for p in candidate.phones)
    ):
        return "電話"
    address = normalise_address(text) if number is None else ""  # "3" is not an address
    if address and address in normalise_address(candidate.address):
        return "住所"
    return None


def search_households(session: Session, actor: Actor, text: str) -> list[SearchHit]:
    """Households in ``actor``'s scope matching ``text``; audited (ids and counts only).

    Empty for roles that do not keep records and for an empty query.
    """
    text = text.strip()
    if not may_search(actor) or not text:
        return []
    number = _number_query(text)
    hits: list[SearchHit] = []
    for candidate in _candidates(session, actor):
        matched = _match(candidate, text, number)
        if matched is not None:
            hits.append(
                SearchHit(
                    candidate.household_id,
                    candidate.number,
                    candidate.district_name,
                    candidate.address,
                    tuple(candidate.names),
                    matched,
                )
            )
    hits.sort(key=lambda h: (h.matched != "世帯番号", h.number))
    shown = hits[:SEARCH_LIMIT]
    audit.log(
        session,
        actor,
        AuditAction.SEARCH,
        Entity.HOUSEHOLD,
        [h.household_id for h in shown],
        found=len(hits),
        kinds=sorted({h.matched for h in shown}),
    )
    return shown
