"""The background map (roads, railways, rivers, buildings, parks, schools): public map data.

Anyone signed in sees it, whatever the role (it holds no person); visitors get nothing.
Only administrators import or remove layers. Features are picked by the map's bounding box
with plain comparisons on the stored box columns, so both databases use the same query.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lsmap.access.core import Action, Actor, can
from lsmap.storage.models import BasemapFeature

#: Drawing order, bottom first: water and green under roads, buildings on top.
KIND_ORDER: tuple[str, ...] = ("parks", "schools", "rivers", "roads", "railways", "buildings")


@dataclass(frozen=True)
class BackgroundFeature:
    """One background feature as a map draws it (geometry in EPSG:4326)."""

    kind: str
    subkind: str
    name: str
    geom: Any
    credit: str


@dataclass(frozen=True)
class BasemapLayer:
    """One imported layer (a kind from one source), for the administrator's list."""

    kind: str
    source: str
    credit: str
    features: int
    imported_at: datetime | None
    imported_by: str


def can_manage_basemap(actor: Actor | None) -> bool:
    """Whether ``actor`` may import or remove background layers (administrators only)."""
    return can(actor, Action.IMPORT)


def background_features(
    session: Session,
    actor: Actor | None,
    bounds: tuple[float, float, float, float],
    *,
    kinds: tuple[str, ...] = KIND_ORDER,
    limit: int = 60_000,
) -> list[BackgroundFeature]:
    """Live background features whose box meets ``bounds`` (west, south, east, north),
    bottom layer first; [] for a visitor. At most ``limit`` features (kinds later in
    ``kinds`` are the ones cut)."""
    if actor is None:
        return []
    west, south, east, north = bounds
    order = {kind: index for index, kind in enumerate(kinds)}
    query = (
        select(
            BasemapFeature.kind,
            BasemapFeature.subkind,
            BasemapFeature.name,
            BasemapFeature.geom,
            BasemapFeature.credit,
        )
        .where(
            BasemapFeature.deleted_at.is_(None),
            BasemapFeature.kind.in_(kinds),
            BasemapFeature.minx <= east,
            BasemapFeature.maxx >= west,
            BasemapFeature.miny <= north,
            BasemapFeature.maxy >= south,
        )
        .order_by(BasemapFeature.id)
    )
    rows = [BackgroundFeature(*row) for row in session.execute(query)]
    rows.sort(key=lambda f: order[f.kind])
    return rows[:limit]


def basemap_layers(session: Session, actor: Actor | None) -> list[BasemapLayer]:
    """The imported layers (kind and source) with their feature counts; [] for a visitor."""
    if actor is None:
        return []
    query = (
        select(
            BasemapFeature.kind,
            BasemapFeature.source,
            func.max(BasemapFeature.credit),
            func.count(),
            func.max(BasemapFeature.imported_at),
            func.max(BasemapFeature.imported_by),
        )
        .where(BasemapFeature.deleted_at.is_(None))
        .group_by(BasemapFeature.kind, BasemapFeature.source)
        .order_by(BasemapFeature.kind, BasemapFeature.source)
    )
    return [BasemapLayer(*row) for row in session.execute(query)]
