"""A household's 課題 (issue 12): several from :data:`lsmap.vocab.HOUSEHOLD_ISSUES` plus free
text. They are household details: roles that edit see them in their districts; a meeting
only for a household whose details are shareable (:func:`details_shareable`); planners only
as suppressed counts (the coverage breakdown). A filter by 課題 never finds a household the
reader may not see the 課題 of, so that a number-only point does not give them away.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from lsmap.access.core import AccessDenied, Action, Actor, can, scoped
from lsmap.access.policy import sees_full_records
from lsmap.access.residents import consent_counts, details_shareable
from lsmap.storage.models import Household, HouseholdIssue
from lsmap.vocab import HOUSEHOLD_ISSUES


@dataclass(frozen=True)
class HouseholdIssues:
    """A household's 課題 as its record shows them (codes in vocabulary order)."""

    household_id: int
    issues: tuple[str, ...]
    note: str
    version: int

    @property
    def labels(self) -> tuple[str, ...]:
        """The Japanese names of the 課題."""
        return tuple(HOUSEHOLD_ISSUES.get(code, code) for code in self.issues)


def ordered(codes: Iterable[str]) -> tuple[str, ...]:
    """Known 課題 codes in vocabulary order, each once."""
    chosen = set(codes)
    return tuple(code for code in HOUSEHOLD_ISSUES if code in chosen)


def issue_codes(session: Session, household_ids: Collection[int]) -> dict[int, tuple[str, ...]]:
    """Stored 課題 per household (no access check: for callers that already checked)."""
    found: dict[int, list[str]] = defaultdict(list)
    if household_ids:
        query = select(HouseholdIssue.household_id, HouseholdIssue.issue).where(
            HouseholdIssue.household_id.in_(sorted(household_ids))
        )
        for household_id, issue in session.execute(query):
            found[int(household_id)].append(str(issue))
    return {hid: ordered(codes) for hid, codes in found.items()}


def _shareable(session: Session, actor: Actor, household_ids: list[int]) -> set[int]:
    """Which of ``household_ids`` (already in scope) show their details to ``actor``."""
    if sees_full_records(actor):
        return set(household_ids)
    counts = consent_counts(session, household_ids)
    return {h for h in household_ids if details_shareable(actor, *counts.get(h, (0, 0)))}


def household_issues(session: Session, actor: Actor, household_id: int) -> HouseholdIssues | None:
    """The 課題 of one household in scope; None when the actor may not see its details.

    AccessDenied when the household is unknown, deleted or outside the actor's districts.
    """
    if not can(actor, Action.VIEW):
        raise AccessDenied()
    query = select(Household.id, Household.issue_note, Household.version).where(
        Household.id == household_id, Household.deleted_at.is_(None)
    )
    row = session.execute(scoped(query, Household.district_id, actor, None)).first()
    if row is None:
        raise AccessDenied("この記録は見つからないか、見る権限がありません")
    if household_id not in _shareable(session, actor, [household_id]):
        return None
    codes = issue_codes(session, [household_id]).get(household_id, ())
    return HouseholdIssues(household_id, codes, row.issue_note or "", int(row.version))


def households_with_issues(
    session: Session, actor: Actor, household_ids: Collection[int], issues: Collection[str]
) -> set[int]:
    """Those of ``household_ids`` (in scope) that have any of ``issues`` and whose 課題 the
    actor may see; all of ``household_ids`` when ``issues`` is empty."""
    if not issues:
        return set(household_ids)
    if not can(actor, Action.VIEW) or not household_ids:
        return set()
    query = (
        select(HouseholdIssue.household_id)
        .join(Household, Household.id == HouseholdIssue.household_id)
        .where(
            HouseholdIssue.household_id.in_(sorted(household_ids)),
            HouseholdIssue.issue.in_(sorted(issues)),
            Household.deleted_at.is_(None),
        )
        .distinct()
    )
    found = [int(h) for h in session.scalars(scoped(query, Household.district_id, actor, None))]
    return _shareable(session, actor, found)


def issue_categories(session: Session, scoped_ids: Select[Any]) -> list[tuple[int, str]]:
    """(household id, 課題) of the households of a scoped query: the coverage breakdown's
    ``concern_category`` source (its caller withholds what a reader may not see)."""
    query = select(HouseholdIssue.household_id, HouseholdIssue.issue).where(
        HouseholdIssue.household_id.in_(scoped_ids)
    )
    order = {code: i for i, code in enumerate(HOUSEHOLD_ISSUES)}
    rows = [(int(h), str(i)) for h, i in session.execute(query)]
    return sorted(rows, key=lambda r: (r[0], order.get(r[1], 99)))
