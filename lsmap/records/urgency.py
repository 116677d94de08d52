"""Which households need attention now (要対応), in four groups, urgent first:

- **urgent**: a contact ticked a sign in :data:`lsmap.vocab.URGENT_SIGNS` (a lifeline
  stopped or unused, not seen for days) and no later contact was a visit (``visit``).
- **planned**: the 次回の訪問予定日 has passed and nothing was recorded since that day.
- **overdue**: recorded watching has lapsed by the one follow-up rule
  (:class:`lsmap.settings.FollowUpRule`, shared with coverage's ``stale``): only links whose
  contacts are logged set the expected interval.
- **review**: not reviewed (見直し) for ``review_months`` (from registration when never).

The rows come from :func:`lsmap.access.contact_facts`, so the actor's districts apply.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy.orm import Session

from lsmap import access
from lsmap.access import Actor, ContactFacts
from lsmap.settings import FollowUpRule, follow_up_rule
from lsmap.vocab import FREQUENCIES, URGENT_SIGNS


@dataclass(frozen=True)
class WorkItem:
    """One line of the staff start page."""

    household_id: int
    district_name: str
    label: str
    #: urgent: the day of the sign; overdue: the last contact (None: never contacted);
    #: planned: the planned day; review: the last review (or registration)
    since: date | None
    days: int | None
    signs: tuple[str, ...] = ()
    frequency: str | None = None
    number: int | None = None
    assignee_name: str = ""
    #: urgent: who reported the latest urgent sign (a watcher's name, or who recorded it)
    reported_by: str = ""

    @property
    def shown_number(self) -> int:
        """The 世帯番号 shown to people."""
        return self.number if self.number is not None else self.household_id


@dataclass(frozen=True)
class StartPage:
    """The staff start page: urgent households, then past plans, lapsed and due reviews."""

    urgent: list[WorkItem]
    overdue: list[WorkItem]
    planned: list[WorkItem] = field(default_factory=list)
    review: list[WorkItem] = field(default_factory=list)


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


def urgent_reporter(facts: ContactFacts) -> str:
    """Who reported the latest contact with an urgent sign ("" when nobody is known)."""
    for _on, contact_id, _method, signs in reversed(facts.contacts):
        if URGENT_SIGNS.intersection(signs):
            return facts.reporters.get(contact_id, "")
    return ""


def expected_days(frequencies: tuple[str, ...]) -> tuple[str, int] | None:
    """The most frequent logged link's frequency code and its days (None: no fixed one)."""
    known = [(FREQUENCIES[f][1], f) for f in frequencies if f in FREQUENCIES and FREQUENCIES[f][1]]
    if not known:
        return None
    days, code = min(known)
    return code, int(days)  # type: ignore[arg-type]


def overdue_since(
    facts: ContactFacts, today: date, rule: FollowUpRule | None = None
) -> tuple[date | None, int | None, str | None] | None:
    """(last contact, days since, frequency or None) when recorded watching has lapsed."""
    rule = rule or follow_up_rule()
    expected = expected_days(facts.frequencies)
    last = facts.contacts[-1][0] if facts.contacts else None
    if not rule.lapsed(last, [expected[1]] if expected else [], today):
        return None
    code = expected[0] if expected else None
    return last, (today - last).days if last else None, code


def planned_past(facts: ContactFacts, today: date) -> bool:
    """Whether the 次回の訪問予定日 has passed with nothing recorded since that day."""
    planned = facts.next_visit_on
    if planned is None or planned >= today:
        return False
    return not any(on >= planned for on, *_ in facts.contacts)


def review_from(facts: ContactFacts) -> date | None:
    """The day the review clock starts: the last 見直し, else registration."""
    return facts.reviewed_on or facts.created_on


def _item(facts: ContactFacts, since: date | None, today: date, **extra: object) -> WorkItem:
    return WorkItem(
        facts.household_id,
        facts.district_name,
        facts.label,
        since,
        (today - since).days if since else None,
        number=facts.number,
        assignee_name=facts.assignee_name,
        **extra,  # type: ignore[arg-type]
    )


def sort_groups(page: StartPage) -> StartPage:
    """Each group oldest first (unknown dates first), ties by 世帯番号."""
    for group in (page.urgent, page.planned, page.overdue, page.review):
        group.sort(key=lambda item: (item.since or date.min, item.shown_number))
    return page


def start_page(session: Session, actor: Actor, today: date | None = None) -> StartPage:
    """The four groups of households needing attention in the actor's districts."""
    today = today or date.today()
    rule = follow_up_rule()
    page = StartPage(urgent=[], overdue=[])
    for facts in access.contact_facts(session, actor):
        if (found := urgent_since(facts)) is not None:
            page.urgent.append(
                _item(facts, found[0], today, signs=found[1], reported_by=urgent_reporter(facts))
            )
        if planned_past(facts, today):
            page.planned.append(_item(facts, facts.next_visit_on, today))
        if (late := overdue_since(facts, today, rule)) is not None:
            page.overdue.append(_item(facts, late[0], today, frequency=late[2]))
        start = review_from(facts)
        if rule.review_due(start, today):
            page.review.append(_item(facts, start, today))
    return sort_groups(page)
