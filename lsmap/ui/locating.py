"""Finding a point for a form: from an address (the offline reference) or at a 町丁目's
representative point. Shared by the resource and watcher forms."""

from __future__ import annotations

from lsmap import access
from lsmap.io.geocoding.geocoder import Geocoder
from lsmap.storage import db


def address_point(address: str) -> tuple[float, float, str] | None:
    """(lon, lat, level) of ``address`` matched to a 街区 or 町丁目; None when not found."""
    if not address.strip():
        return None
    with db.transaction(db.get_engine()) as session:
        found = Geocoder(session, []).locate(address)
    if found.lon is None or found.lat is None or found.level not in ("block", "town"):
        return None
    return found.lon, found.lat, found.level


def district_point(district_id: int) -> tuple[float, float] | None:
    """The representative point of a district (its 町丁目), or None without an outline."""
    with db.transaction(db.get_engine()) as session:
        outlines = access.district_outlines(session, [district_id])
    for _, geom in outlines:
        if geom is not None:
            point = geom.representative_point()
            return round(point.x, 7), round(point.y, 7)
    return None
