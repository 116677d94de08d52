"""Shared shape of the resource layers (facilities, salons, food banks)."""

from __future__ import annotations

from functools import partial

from sqlalchemy.orm import Session

from layers.spec import LayerSpec
from lsmap import access
from lsmap.access.views import ResourcePoint
from lsmap.vocab import Role

#: Resources are public: every role has them drawn.
ALL_ROLES = frozenset(Role)


def resource_layer(
    kind: str, title: str, order: int, color: str, *, show_csws: bool = False
) -> LayerSpec:
    """A layer of public resources of one kind."""
    rows: list[tuple[str, object]] = [
        ("名称", lambda p: p.name),
        ("所在地", lambda p: p.address),
        ("電話", lambda p: p.phone),
        ("開催日", lambda p: p.schedule),
    ]
    if show_csws:
        rows.append(("CSW", lambda p: "、".join(p.csw_names)))
    return LayerSpec(
        key=kind,
        title=title,
        order=order,
        roles=ALL_ROLES,
        fetch=partial(_fetch, kind=kind),
        color="#333333",
        fill_color=color,
        radius=8,
        personal=False,
        tooltip=lambda p: p.name,
        popup_rows=tuple(rows),  # type: ignore[arg-type]
    )


def _fetch(
    session: Session, actor: access.Actor, where: access.Area | int | None, *, kind: str
) -> list[ResourcePoint]:
    return access.resource_points(session, actor, where, kind)
