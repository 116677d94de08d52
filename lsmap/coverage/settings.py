"""Thresholds and radii of the coverage engine, in one place, with their defaults."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from lsmap.settings import follow_up_rule

#: Resource kinds whose nearest distance is measured ("salon" counts only salons that meet
#: at least ``salon_min_meetings_per_month``; the rarer ones are the kind "salon_rare").
DISTANCE_KINDS: tuple[str, ...] = ("facility", "salon", "salon_rare", "food_bank", "support_centre")

#: Japanese labels of the distance kinds (the vocabulary has no "salon_rare").
DISTANCE_KIND_LABELS: dict[str, str] = {
    "facility": "参加法人施設（CSW）",
    "salon": "サロン（月1回以上）",
    "salon_rare": "サロン（月1回未満）",
    "food_bank": "フードバンク",
    "support_centre": "地域包括支援センター",
}


@dataclass(frozen=True)
class CoverageSettings:
    """What counts as a gap. Every threshold of the coverage engine lives here."""

    #: A household farther than this (straight line, metres) from a kind is "beyond" it.
    radius_m: float = 800.0
    #: A watcher looking after more households than this is overloaded.
    load_threshold: int = 10
    #: Days without contact that make a record stale when no logged link has a fixed
    #: frequency: the one follow-up rule's (:class:`lsmap.settings.FollowUpRule`).
    stale_default_days: int = field(default_factory=lambda: follow_up_rule().no_interval_days)
    #: A watcher this old (by birth year) or older counts as elderly.
    elderly_age: int = 75
    #: Salons meeting less often than this (per month) count as "salon_rare".
    salon_min_meetings_per_month: float = 1.0
    #: Aggregate counts 1 .. this-1 are shown to planners as "<5".
    small_count: int = 5

    def with_overrides(self, **overrides: Any) -> CoverageSettings:
        """A copy with the given fields changed (``None`` values are ignored)."""
        return replace(self, **{k: v for k, v in overrides.items() if v is not None})


DEFAULT_COVERAGE_SETTINGS = CoverageSettings()
