"""Configuration read from the environment, with defaults that run on a fresh machine."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

#: Geometry is stored in geographic JGD2011-compatible WGS84 longitude/latitude.
STORAGE_SRID = 4326
#: (west, south, east, north) of Japan in degrees: points outside are refused on import.
JAPAN_BOUNDS = (122.0, 20.0, 154.0, 46.0)
#: Metric work (distances, areas) happens in a JGD2011 plane-rectangular zone.
DEFAULT_METRIC_EPSG = 6677  # zone IX: Kanagawa, Tokyo
#: Times are stored in UTC and shown (and typed) in Japan time.
LOCAL_TZ = ZoneInfo("Asia/Tokyo")


def local_time(moment: datetime) -> datetime:
    """``moment`` (UTC, possibly naive as SQLite returns it) in Japan time."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(LOCAL_TZ)


@dataclass(frozen=True)
class Settings:
    """Settings of one lsmap process."""

    database_url: str
    metric_epsg: int
    #: Show the demo accounts on the login page: True/False when LSMAP_SAMPLE_MODE is set,
    #: None (unset) = only while the database holds nothing but the sample town.
    sample_mode: bool | None
    session_minutes: int
    #: "local" (imported background layers and local tiles; never the internet), "gsi"
    #: (地理院タイル, fetched from the internet) or "none" (district outlines only).
    basemap: str
    auth: str  # "local" (lsmap passwords) or "oidc" (Streamlit's st.login)
    #: Absolute lifetime of a login session, however active it is.
    session_max_hours: float = 12.0
    #: Mark the session cookie ``Secure``: True/False when LSMAP_COOKIE_SECURE is set,
    #: None (unset) = when the request came over HTTPS (directly or through a proxy).
    cookie_secure: bool | None = None


def default_sqlite_url() -> str:
    """The embedded default: a SQLite file under ``LSMAP_DATA_DIR`` (``./var``)."""
    data_dir = Path(os.environ.get("LSMAP_DATA_DIR", "var")).resolve()
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    return f"sqlite:///{data_dir / 'lsmap.sqlite'}"


def _flag(name: str) -> bool | None:
    """An on/off environment variable; None when unset or empty."""
    value = os.environ.get(name, "").strip().lower()
    if not value:
        return None
    return value not in ("0", "false", "no", "off")


def get_settings() -> Settings:
    """Read settings from the environment each time (cheap, and never stale in tests)."""
    return Settings(
        database_url=os.environ.get("LSMAP_DATABASE_URL") or default_sqlite_url(),
        metric_epsg=int(os.environ.get("LSMAP_METRIC_EPSG", DEFAULT_METRIC_EPSG)),
        sample_mode=_flag("LSMAP_SAMPLE_MODE"),
        session_minutes=int(os.environ.get("LSMAP_SESSION_MINUTES", "30")),
        basemap=os.environ.get("LSMAP_BASEMAP", "local").strip().lower() or "local",
        auth=os.environ.get("LSMAP_AUTH", "local"),
        session_max_hours=float(os.environ.get("LSMAP_SESSION_MAX_HOURS", "12")),
        cookie_secure=_flag("LSMAP_COOKIE_SECURE"),
    )


@dataclass(frozen=True)
class ImportLimits:
    """What one imported file may hold and cost, so that one upload cannot exhaust the server."""

    max_mb: float  # size of a list file (CSV / .xlsx); boundary files have their own 200 MB
    max_rows: int  # rows of a list below its header (blank rows count too)
    max_features: int  # features of a boundary file
    max_uncompressed_mb: float  # all members of a zip or .xlsx together, as declared
    memory_mb: int  # address space the parse may add to its child process
    timeout_s: float  # wall-clock (and CPU) seconds of one parse
    max_road_features: int = 500_000  # lines (ways) of a road network file


def import_limits() -> ImportLimits:
    """The import limits from ``LSMAP_IMPORT_*`` (read each time, like :func:`get_settings`)."""
    env = os.environ.get
    return ImportLimits(
        max_mb=float(env("LSMAP_IMPORT_MAX_MB", "20")),
        max_rows=int(env("LSMAP_IMPORT_MAX_ROWS", "200000")),
        max_features=int(env("LSMAP_IMPORT_MAX_FEATURES", "20000")),
        max_uncompressed_mb=float(env("LSMAP_IMPORT_MAX_UNCOMPRESSED_MB", "500")),
        memory_mb=int(env("LSMAP_IMPORT_MEMORY_MB", "1024")),
        timeout_s=float(env("LSMAP_IMPORT_TIMEOUT_S", "120")),
        max_road_features=int(env("LSMAP_IMPORT_MAX_ROAD_FEATURES", "500000")),
    )


@dataclass(frozen=True)
class FollowUpRule:
    """When recorded watching has lapsed and when a record is due for review: the one rule
    that 要対応 (:mod:`lsmap.records.urgency`) and coverage's ``stale`` both use.

    A household's expected interval is that of its most frequent **logged** watch link
    (a link whose contacts are recorded, e.g. a 民生委員's visits; a neighbour's daily
    greeting is not logged and sets nothing); without one it is ``no_interval_days``.
    Watching has lapsed when the last recorded contact is older than the interval, or when
    nothing was ever recorded.
    """

    #: The interval (days) of a household with no logged link of a fixed frequency.
    no_interval_days: int = 60
    #: A record not reviewed (見直し) for this many months is due for review.
    review_months: int = 12

    def interval(self, expected_days: Iterable[int | None]) -> int:
        """The expected days between recorded contacts, from the logged links' days."""
        known = [int(d) for d in expected_days if d]
        return min(known) if known else self.no_interval_days

    def lapsed(
        self, last_contact: date | None, expected_days: Iterable[int | None], today: date
    ) -> bool:
        """Whether recorded watching has lapsed on ``today``."""
        if last_contact is None:
            return True
        return (today - last_contact).days > self.interval(expected_days)

    def review_due(self, last_review: date | None, today: date) -> bool:
        """Whether a record last reviewed (or registered) on ``last_review`` is due."""
        if last_review is None:
            return False
        months = (today.year - last_review.year) * 12 + today.month - last_review.month
        return months > self.review_months or (
            months == self.review_months and today.day >= last_review.day
        )


def follow_up_rule() -> FollowUpRule:
    """The follow-up rule, with ``LSMAP_NO_INTERVAL_DAYS`` / ``LSMAP_REVIEW_MONTHS`` when set."""
    return FollowUpRule(
        no_interval_days=int(os.environ.get("LSMAP_NO_INTERVAL_DAYS") or 60),
        review_months=int(os.environ.get("LSMAP_REVIEW_MONTHS") or 12),
    )
