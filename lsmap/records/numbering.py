"""The 世帯番号 of new households: the one place that hands numbers out.

Every household has one stable 世帯番号 (``households.number``): assigned once from a
counter that only goes up (:func:`lsmap.storage.models.take_numbers`), so a deleted
household's number is never given again. Households added through the ORM (forms, the
sample town) are numbered by a mapper hook; bulk imports call :func:`household_numbers`.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from lsmap.storage.models import take_numbers


def next_household_number(session: Session) -> int:
    """Reserve and return the next 世帯番号."""
    return take_numbers(session.connection(), 1)[0]


def household_numbers(session: Session, count: int) -> list[int]:
    """Reserve ``count`` consecutive new 世帯番号 for a bulk import."""
    return take_numbers(session.connection(), count)
