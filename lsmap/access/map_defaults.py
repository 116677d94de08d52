"""Where the map opens and what a paper map covers, by role (issue 14).

A 福祉連絡会 works on one 町内 at a time (about 50 households, as in the 支え合いマップ
practice): a meeting account assigned to a 地区 opens on the first 町内 in it. District
staff open on their assigned area; administrators and planners on the first area of all.
"""

from __future__ import annotations

from lsmap.access.core import Actor, DistrictTree
from lsmap.access.policy import default_district, meeting_mode_default, sees_whole_town
from lsmap.access.views import DistrictInfo

#: The level of the paper unit and of a meeting's own area.
NEIGHBOURHOOD = "neighbourhood"


def default_map_district(actor: Actor, districts: list[DistrictInfo]) -> int | None:
    """The district the map opens on for ``actor`` (``districts``: those it may choose,
    outermost first, as :func:`lsmap.access.visible_districts` gives them)."""
    if districts and not sees_whole_town(actor) and meeting_mode_default(actor):
        # a 福祉連絡会 works on one 町内 at a time
        own = [d for d in districts if d.level == NEIGHBOURHOOD]
        if own:
            return min(own, key=lambda d: d.code).id
    return default_district(actor, districts)


def neighbourhoods_within(districts: list[DistrictInfo], district_id: int) -> list[DistrictInfo]:
    """The 町内 in ``district_id`` (itself when it is one), by code: the paper units of a
    「全町丁目を一括で印刷」 batch. ``districts`` are those the actor may choose."""
    if all(d.id != district_id for d in districts):
        return []
    tree = DistrictTree.from_pairs((d.id, d.parent_id) for d in districts)
    within = tree.descendants({district_id})
    found = [d for d in districts if d.id in within and d.level == NEIGHBOURHOOD]
    return sorted(found, key=lambda d: d.code)
