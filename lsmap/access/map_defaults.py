"""Where the map opens and what a paper map covers, by role (issue 14).

A 福祉連絡会 works on one 町内 at a time (about 50 households, as in the 支え合いマップ
practice): a meeting account assigned to a 地区 opens on the first 町内 in it. District
staff open on their assigned area; administrators and planners on the first area of all.
"""

from __future__ import annotations

from lsmap.access.core import Actor
from lsmap.access.policy import meeting_mode_default, sees_whole_town
from lsmap.access.views import DistrictInfo

#: The level of the paper unit and of a meeting's own area.
NEIGHBOURHOOD = "neighbourhood"


def default_map_district(actor: Actor, districts: list[DistrictInfo]) -> int | None:
    """The district the map opens on for ``actor`` (``districts``: those it may choose,
    outermost first, as :func:`lsmap.access.visible_districts` gives them)."""
    if not districts:
        return None
    if sees_whole_town(actor):
        return districts[0].id
    ids = {d.id for d in districts}
    top = [d for d in districts if d.parent_id not in ids]
    if meeting_mode_default(actor):  # a 福祉連絡会 works on one 町内 at a time
        own = [d for d in districts if d.level == NEIGHBOURHOOD]
        if own:
            return min(own, key=lambda d: d.code).id
    return (top or districts)[0].id


def neighbourhoods_within(districts: list[DistrictInfo], district_id: int) -> list[DistrictInfo]:
    """The 町内 in ``district_id`` (itself when it is one), by code: the paper units of a
    「全町丁目を一括で印刷」 batch. ``districts`` are those the actor may choose."""
    children: dict[int | None, list[DistrictInfo]] = {}
    for district in districts:
        children.setdefault(district.parent_id, []).append(district)
    found: list[DistrictInfo] = []
    stack = [d for d in districts if d.id == district_id]
    while stack:
        current = stack.pop()
        if current.level == NEIGHBOURHOOD:
            found.append(current)
        stack.extend(children.get(current.id, []))
    return sorted(found, key=lambda d: d.code)
