"""The shape of an export as the access module hands it out: already filtered and projected."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class ExportTable:
    """Rows of one layer for one actor, with what was left out and why.

    ``geometry`` holds one shapely geometry (EPSG:4326) per row, or is empty for tables
    without geometry; ``ids`` are the database ids of the exported records (for the audit).
    """

    layer: str
    entity: str
    columns: list[str]
    rows: list[dict[str, Any]]
    geometry: list[Any] = field(default_factory=list)
    ids: list[int] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
