"""Which households need attention now: urgent signs without a visit, overdue contact.

- **urgent**: a contact ticked a sign in :data:`lsmap.vocab.URGENT_SIGNS` (a lifeline
  stopped, not seen for 2–3 days) and no later contact was a visit (method ``visit``).
- **overdue**: the days since the last contact exceed the expected days of the most
  frequent live link (:data:`lsmap.vocab.FREQUENCIES`); a linked household with no contact
  at all is overdue too. Links that are "as needed" set no expectation.

The rows come from :func:`lsmap.access.contact_facts`, so the actor's districts apply.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from lsmap import access
from lsmap.access import Actor, ContactFacts
from lsmap.vocab import FREQUENCIES, URGENT_SIGNS


@dataclass(frozen=True)
class WorkItem:
    """One line of the staff start page."""

    household_id: int
    district_name: str
    label: str
    #: urgent: the day of the sign; overdue: the last contact (None: never contacted)
    since: date | None
    days: int | None
    signs: tuple[str, ...] = ()
    frequency: str | None = None


@dataclass(frozen=True)
class StartPage:
    """The staff start page: urgent households and overdue records, oldest first."""

    urgent: list[WorkItem]
    overdue: list[WorkItem]


def urgent_since(facts: ContactFacts) -> tuple[date, tuple[str, ...]] | None:
    """The day and signs of the earliest urgent contact not yet closed by a visit."""
    opened: tuple[date, set[str]] | None = None
    for on, _id, method, signs in facts.contacts:  # oldest first
        urgent = URGENT_SIGNS.intersection(signs)
        if method == "visit":  # a visit closes what came before; its own signs open anew
            opened = (on, set(urgent)) if urgent else None
        elif urgent:
            if opened is None:
                opened = (on, set(urgent))
            else:
                opened[1].update(urgent)
    if opened is None:
        return None
    return opened[0], tuple(sorted(opened[1]))


def expected_days(frequencies: tuple[str, ...]) -> tuple[str, int] | None:
    """The most frequent link's frequency code and its expected days (None: no expectation)."""
    known = [(FREQUENCIES[f][1], f) for f in frequencies if f in FREQUENCIES and FREQUENCIES[f][1]]
    if not known:
        return None
    days, code = min(known)
    return code, int(days)  # type: ignore[arg-type]


def overdue_since(facts: ContactFacts, today: date) -> tuple[date | None, int | None, str] | None:
    """(last contact, days since, frequency) when the household is overdue, else None."""
    expected = expected_days(facts.frequencies)
    if expected is None:
        return None
    code, days = expected
    if not facts.contacts:
        return None, None, code
    last = facts.contacts[-1][0]
    elapsed = (today - last).days
    return (last, elapsed, code) if elapsed > days else None


def start_page(session: Session, actor: Actor, today: date | None = None) -> StartPage:
    """Urgent and overdue households in the actor's districts, oldest first."""
    today = today or date.today()
    urgent: list[WorkItem] = []
    overdue: list[WorkItem] = []
    for facts in access.contact_facts(session, actor):
        if (found := urgent_since(facts)) is not None:
            on, signs = found
            urgent.append(
                WorkItem(
                    facts.household_id,
                    facts.district_name,
                    facts.label,
                    on,
                    (today - on).days,
                    signs,
                )
            )
        if (late := overdue_since(facts, today)) is not None:
            last, days, code = late
            overdue.append(
                WorkItem(facts.household_id, facts.district_name, facts.label, last, days, (), code)
            )
    urgent.sort(key=lambda item: (item.since, item.household_id))
    overdue.sort(key=lambda item: (item.since or date.min, item.household_id))
    return StartPage(urgent=urgent, overdue=overdue)
