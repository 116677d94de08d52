"""A tiny town for record-editing tests: a square city, two 地区, one 町内 each, demo users."""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from unittest import mock

import pytest
from conftest import actor_for, district_id
from shapely.geometry import MultiPolygon, box
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from lsmap.access import Actor, accounts
from lsmap.access.accounts import ensure_demo_users
from lsmap.storage import db
from lsmap.storage.models import District

TODAY = date(2026, 11, 1)
#: A point inside 東町 (149990-01-01) and one outside the city.
INSIDE_EAST = (139.425, 35.45)
OUTSIDE_CITY = (139.9, 35.9)


def _square(x0: float, y0: float, x1: float, y1: float) -> MultiPolygon:
    return MultiPolygon([box(x0, y0, x1, y1)])


def build(engine: Engine) -> None:
    """Add the districts and the demo accounts."""
    with db.transaction(engine) as session:
        city = District(
            code="149990",
            name="さくら台市",
            level="municipality",
            geom=_square(139.3, 35.4, 139.5, 35.5),
        )
        east = District(
            code="149990-01",
            name="東地区",
            level="district",
            parent=city,
            geom=_square(139.4, 35.4, 139.5, 35.5),
        )
        west = District(
            code="149990-02",
            name="西地区",
            level="district",
            parent=city,
            geom=_square(139.3, 35.4, 139.4, 35.5),
        )
        east_town = District(
            code="149990-01-01",
            name="東町",
            level="neighbourhood",
            parent=east,
            geom=_square(139.4, 35.4, 139.45, 35.5),
        )
        west_town = District(
            code="149990-02-01",
            name="西町",
            level="neighbourhood",
            parent=west,
            geom=_square(139.3, 35.4, 139.35, 35.5),
        )
        session.add_all([city, east, west, east_town, west_town])
        session.flush()
        with mock.patch.object(accounts, "hash_password", _hash_once):  # argon2 is slow on purpose
            ensure_demo_users(session)


_slow_hash = accounts.hash_password


@lru_cache(maxsize=4)
def _hash_once(password: str) -> str:
    return _slow_hash(password)


@pytest.fixture
def town(engine: Engine) -> Engine:
    """A fresh database holding the tiny town."""
    build(engine)
    return engine


def actor(engine: Engine, username: str) -> Actor:
    with Session(engine) as session:
        return actor_for(session, username)


def town_id(engine: Engine, code: str) -> int:
    with Session(engine) as session:
        return district_id(session, code)
