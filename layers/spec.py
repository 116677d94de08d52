"""The declarative description of a map layer; one instance per file in ``layers/``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from lsmap.access import Actor, Area
from lsmap.vocab import Role

#: A popup row: (Japanese label, function of the point giving the text or None to omit).
PopupRow = tuple[str, Callable[[Any], object]]


@dataclass(frozen=True)
class LayerSpec:
    """What a map layer shows, to whom, and how it looks.

    ``fetch`` must be a function of :mod:`lsmap.access` so that the actor's scope and field
    projection apply; the map builder never queries the database itself.
    """

    key: str
    title: str
    order: int
    #: "point" (objects with lon/lat) or "line" (objects with coords: ((lon, lat), (lon, lat))).
    geometry: str = field(default="point", kw_only=True)
    #: The roles the layer is drawn for (evaluated by :func:`lsmap.access.may_draw`).
    roles: frozenset[Role]
    #: Reads the layer's items in an area (built once per map) or a district (None: all).
    fetch: Callable[[Session, Actor, Area | int | None], Sequence[Any]]
    color: str
    fill_color: str
    radius: int
    personal: bool
    tooltip: Callable[[Any], object]
    popup_rows: tuple[PopupRow, ...]
    record_link: Callable[[Any], str | None] | None = None
    #: Per-point style overrides (e.g. a thick red ring for households with no watcher).
    point_style: Callable[[Any], dict[str, Any]] | None = None
    legend_notes: tuple[tuple[str, dict[str, Any]], ...] = field(default_factory=tuple)
    #: Meeting mode (screens and paper): the popup rows still shown, by caption ...
    meeting_rows: tuple[str, ...] = ()
    #: ... and the number drawn on the marker instead of a plain circle (None: plain).
    meeting_label: Callable[[Any], str] | None = None
