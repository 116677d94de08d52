"""How aggregate numbers are released to a role: small counts, the radius, siting help.

Roles that see people (admin, staff, meeting) get exact numbers. Every other role (the
planner, and any future aggregate-only role) gets small counts suppressed, with
complementary suppression so that none can be recovered from a parent total; a radius of
at least :data:`PLANNER_MIN_RADIUS_M`; and siting suggestions only where they reach at
least ``small_count`` households, rounded to a grid coarser than the radius, so that a
suggestion never points at a single house.

This module returns plain data; :mod:`lsmap.coverage.report` applies it (the access
package never imports the coverage engine).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from lsmap.access.core import AccessDenied, Action, Actor, role_may
from lsmap.access.policy import sees_people

__all__ = ["PLANNER_MIN_RADIUS_M", "SITE_GRID_FACTOR", "AggregatePolicy", "aggregate_policy"]

#: The smallest radius (metres) an aggregate-only role may ask for.
PLANNER_MIN_RADIUS_M = 500.0
#: Suggested places are rounded to a square grid this many times the radius.
SITE_GRID_FACTOR = 2.0


@dataclass(frozen=True)
class AggregatePolicy:
    """What one actor may see of the coverage numbers (plain data)."""

    #: Counts 1 .. small_count-1 shown as "<small_count", plus complementary suppression.
    suppress: bool
    small_count: int
    #: The radius the engine runs with for this actor, and the one that was asked for.
    radius_m: float
    asked_radius_m: float
    #: The least radius this actor may use (0: no minimum).
    min_radius_m: float
    #: Suggested places are rounded to a grid of this size in metres (None: exact).
    site_grid_m: float | None
    #: Suggestions reaching fewer households than this are not shown.
    min_site_gain: int

    @property
    def radius_raised(self) -> bool:
        """Whether the asked radius was below the minimum and was raised to it."""
        return self.radius_m > self.asked_radius_m


def aggregate_policy(actor: Actor | None, radius_m: float, small_count: int = 5) -> AggregatePolicy:
    """The release policy of coverage numbers for ``actor`` asking for ``radius_m``."""
    if actor is None or not role_may(actor, Action.COVERAGE):
        raise AccessDenied()
    if sees_people(actor):  # they see the households themselves
        return AggregatePolicy(False, small_count, radius_m, radius_m, 0.0, None, 1)
    radius = max(float(radius_m), PLANNER_MIN_RADIUS_M)
    grid = math.ceil(radius * SITE_GRID_FACTOR / 100.0) * 100.0
    return AggregatePolicy(
        True, small_count, radius, float(radius_m), PLANNER_MIN_RADIUS_M, grid, small_count
    )
