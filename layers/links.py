"""見守りのつながり: a line from each watcher to each household they watch, by involvement.

Households with no line stand out: that is the point of the 支え合いマップ.
"""

from __future__ import annotations

from layers.spec import LayerSpec
from lsmap import access
from lsmap.access.views import WatchLinkLine
from lsmap.vocab import FREQUENCIES, INVOLVEMENTS, Role, label

#: One colour per involvement (ColorBrewer Dark2 + grey), readable on a projector.
COLOURS: dict[str, str] = {
    "greeting": "#1b9e77",
    "safety_check": "#d95f02",
    "visit": "#7570b3",
    "phone": "#e7298a",
    "garbage": "#66a61e",
    "shopping": "#e6ab02",
    "meal_delivery": "#a6761d",
    "other": "#666666",
}


def _style(line: WatchLinkLine) -> dict[str, object]:
    return {"color": COLOURS.get(line.involvement, COLOURS["other"])}


LAYER = LayerSpec(
    key="links",
    title="見守りのつながり",
    order=5,
    geometry="line",
    roles=frozenset({Role.ADMIN, Role.STAFF, Role.MEETING}),
    fetch=access.watch_link_lines,
    color="#555555",
    fill_color="#555555",
    radius=0,
    personal=True,
    tooltip=lambda line: (
        f"{label(INVOLVEMENTS, line.involvement)}（{label(FREQUENCIES, line.frequency)}）"
    ),
    popup_rows=(
        ("関わり方", lambda line: label(INVOLVEMENTS, line.involvement)),
        ("頻度", lambda line: label(FREQUENCIES, line.frequency)),
        ("関わり方のメモ", lambda line: line.note or ""),  # only filled for roles that edit
    ),
    meeting_rows=("関わり方", "頻度"),
    point_style=_style,
    legend_notes=tuple(
        (label(INVOLVEMENTS, code), {"color": colour, "line": True})
        for code, colour in COLOURS.items()
    ),
)
