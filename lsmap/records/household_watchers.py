"""Adding a new watcher from a household (issue 12): register the watcher (with a home
location, or none) and link them to the household in one step.

The link's fields are checked before the watcher is created, so a bad involvement or
frequency leaves no watcher behind; if the link is refused afterwards (the household went
out of scope meanwhile), the new watcher is soft-deleted again.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Engine

from lsmap.access import Actor
from lsmap.records import validation
from lsmap.records.writes import ValidationFailed, create, delete


def add_new_watcher(
    engine: Engine,
    actor: Actor,
    household_id: int,
    watcher: Mapping[str, Any],
    link: Mapping[str, Any],
) -> tuple[int, int]:
    """Create a watcher from ``watcher`` and link them to the household with ``link``
    (involvement, frequency, note); returns (watcher id, link id)."""
    errors = validation.validate_link({**link, "watcher_id": 1})
    if errors:
        raise ValidationFailed(errors)
    watcher_id = create(engine, actor, "watcher", watcher)
    try:
        link_id = create(
            engine,
            actor,
            "watch_link",
            {**link, "household_id": household_id, "watcher_id": watcher_id},
        )
    except Exception:
        delete(engine, actor, "watcher", watcher_id, version=1)
        raise
    return watcher_id, link_id
