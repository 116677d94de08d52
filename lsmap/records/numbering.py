"""The 世帯番号 of new households: the one place that hands numbers out.

Imports and forms call :func:`household_numbers` and never pick numbers themselves, so that
the stable 世帯番号 (``households.number``, added in parallel work) has a single rule. Until
that column exists there is nothing to number and the functions say so (None).
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lsmap.storage.models import Household


def next_household_number(session: Session) -> int | None:
    """The next free 世帯番号, or None while households have no number column."""
    column = getattr(Household, "number", None)
    if column is None:
        return None
    highest = session.scalar(select(func.max(column)))
    return int(highest or 0) + 1


def household_numbers(session: Session, count: int) -> list[int] | None:
    """``count`` consecutive new 世帯番号 for a bulk import (None: no number column)."""
    first = next_household_number(session)
    return None if first is None else list(range(first, first + count))
