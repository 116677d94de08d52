"""見守り者: watchers with a known location, sized by how many households they watch."""

from __future__ import annotations

from layers.spec import LayerSpec
from lsmap import access
from lsmap.vocab import WATCHER_ROLES, Role, label

LAYER = LayerSpec(
    key="watchers",
    title="見守り者",
    order=20,
    roles=frozenset({Role.ADMIN, Role.STAFF, Role.MEETING}),
    fetch=access.watcher_points,
    color="#08306b",
    fill_color="#4292c6",
    radius=5,
    personal=True,
    tooltip=lambda p: f"{p.name}（{label(WATCHER_ROLES, p.role)}）",
    popup_rows=(
        ("氏名", lambda p: p.name),
        ("役割", lambda p: label(WATCHER_ROLES, p.role)),
        ("電話", lambda p: p.phone),
        ("見守っている世帯", lambda p: f"{p.load} 世帯"),
    ),
    meeting_rows=("役割", "見守っている世帯"),
)
