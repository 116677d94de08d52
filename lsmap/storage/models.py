"""The database tables of lsmap (SQLAlchemy 2 declarative mapping).

Editable records carry a ``version`` column used by SQLAlchemy's optimistic concurrency
(a stale save raises ``StaleDataError``) and ``deleted_at`` for soft deletion.
Geometry columns hold shapely geometries in EPSG:4326 (see :mod:`lsmap.storage.geometry`).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from shapely.geometry.base import BaseGeometry
from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column, relationship

from lsmap.storage.geometry import Geometry


def utcnow() -> datetime:
    """Timezone-aware now, the only clock the models use."""
    return datetime.now(UTC)


class Base(DeclarativeBase):
    """Declarative base of every lsmap table."""


class Versioned:
    """Columns of every editable record: optimistic version, timestamps, soft delete."""

    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        return {"version_id_col": cls.__table__.c.version}  # type: ignore[attr-defined]


class District(Versioned, Base):
    """An area: 市町村 → 地区 → 町内/町丁目, nested through ``parent_id``."""

    __tablename__ = "districts"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    level: Mapped[str] = mapped_column(String(32), nullable=False)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id"))
    geom: Mapped[BaseGeometry | None] = mapped_column(Geometry("MULTIPOLYGON"))

    parent: Mapped[District | None] = relationship(remote_side="District.id")


class Household(Versioned, Base):
    """A household of concern (気がかりな世帯)."""

    __tablename__ = "households"

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str | None] = mapped_column(String(64), unique=True)
    district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id"), index=True)
    address: Mapped[str] = mapped_column(String(300), nullable=False, default="")
    household_type: Mapped[str] = mapped_column(String(32), nullable=False)
    location: Mapped[BaseGeometry | None] = mapped_column(Geometry("POINT"))
    location_approximate: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    closed_on: Mapped[date | None] = mapped_column(Date)

    district: Mapped[District | None] = relationship()
    residents: Mapped[list[Resident]] = relationship(
        back_populates="household", order_by="Resident.id"
    )
    links: Mapped[list[WatchLink]] = relationship(back_populates="household")
    contacts: Mapped[list[ContactLog]] = relationship(back_populates="household")
    emergency_contacts: Mapped[list[EmergencyContact]] = relationship(
        back_populates="household", order_by="EmergencyContact.id"
    )


class Resident(Versioned, Base):
    """A person of concern (気がかりな人) living in a household."""

    __tablename__ = "residents"

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), index=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    furigana: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    birth_year: Mapped[int | None] = mapped_column(Integer)
    phone: Mapped[str] = mapped_column(String(32), nullable=False, default="")
    concern_tags: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    concerns: Mapped[str] = mapped_column(Text, nullable=False, default="")
    consent_status: Mapped[str] = mapped_column(String(16), nullable=False, default="unanswered")
    consent_date: Mapped[date | None] = mapped_column(Date)
    consent_basis: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    consent_recorded_by: Mapped[str] = mapped_column(String(100), nullable=False, default="")

    household: Mapped[Household] = relationship(back_populates="residents")


class Watcher(Versioned, Base):
    """A watcher (見守り者): 民生委員, 福祉推進員, neighbour, 区長 ..."""

    __tablename__ = "watchers"

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str | None] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    role: Mapped[str] = mapped_column(String(32), nullable=False)
    phone: Mapped[str] = mapped_column(String(32), nullable=False, default="")
    address: Mapped[str] = mapped_column(String(300), nullable=False, default="")
    birth_year: Mapped[int | None] = mapped_column(Integer)
    district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id"), index=True)
    location: Mapped[BaseGeometry | None] = mapped_column(Geometry("POINT"))

    district: Mapped[District | None] = relationship()
    links: Mapped[list[WatchLink]] = relationship(back_populates="watcher")


class WatchLink(Versioned, Base):
    """How one watcher is involved with one household (関わり方) and how often."""

    __tablename__ = "watch_links"
    __table_args__ = (UniqueConstraint("watcher_id", "household_id", "involvement"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    watcher_id: Mapped[int] = mapped_column(ForeignKey("watchers.id"), index=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), index=True)
    involvement: Mapped[str] = mapped_column(String(32), nullable=False)
    frequency: Mapped[str] = mapped_column(String(32), nullable=False)
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")

    watcher: Mapped[Watcher] = relationship(back_populates="links")
    household: Mapped[Household] = relationship(back_populates="links")


class ContactLog(Versioned, Base):
    """A dated visit, call or observation (見守り活動記録)."""

    __tablename__ = "contact_logs"
    __table_args__ = (Index("ix_contact_logs_household_date", "household_id", "contacted_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"))
    watcher_id: Mapped[int | None] = mapped_column(ForeignKey("watchers.id"))
    contacted_on: Mapped[date] = mapped_column(Date, nullable=False)
    method: Mapped[str] = mapped_column(String(32), nullable=False)
    observation: Mapped[str] = mapped_column(Text, nullable=False, default="")
    signs: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    recorded_by: Mapped[str] = mapped_column(String(100), nullable=False, default="")

    household: Mapped[Household] = relationship(back_populates="contacts")
    watcher: Mapped[Watcher | None] = relationship()


class EmergencyContact(Versioned, Base):
    """One line of a household's 緊急連絡カード."""

    __tablename__ = "emergency_contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), index=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    relation: Mapped[str] = mapped_column(String(32), nullable=False)
    phone: Mapped[str] = mapped_column(String(32), nullable=False, default="")
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")

    household: Mapped[Household] = relationship(back_populates="emergency_contacts")


class Resource(Versioned, Base):
    """A local resource: participating facility (with CSWs), salon, food bank, centre ..."""

    __tablename__ = "resources"

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str | None] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(32), nullable=False, index=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    address: Mapped[str] = mapped_column(String(300), nullable=False, default="")
    phone: Mapped[str] = mapped_column(String(32), nullable=False, default="")
    schedule: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    meetings_per_month: Mapped[float | None] = mapped_column()
    district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id"), index=True)
    location: Mapped[BaseGeometry | None] = mapped_column(Geometry("POINT"))

    district: Mapped[District | None] = relationship()
    csws: Mapped[list[Csw]] = relationship(back_populates="facility", order_by="Csw.id")


class Csw(Versioned, Base):
    """A community social worker on the staff of a participating facility."""

    __tablename__ = "csws"

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("resources.id"), index=True)
    name: Mapped[str] = mapped_column(String(100), nullable=False)
    phone: Mapped[str] = mapped_column(String(32), nullable=False, default="")

    facility: Mapped[Resource] = relationship(back_populates="csws")


class User(Versioned, Base):
    """An lsmap account; its role and districts are only ever read from this table."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    display_name: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    role: Mapped[str] = mapped_column(String(16), nullable=False)
    password_hash: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    active: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    districts: Mapped[list[District]] = relationship(secondary="user_districts")


class UserDistrict(Base):
    """Assignment of a user to a district (which includes the areas nested in it)."""

    __tablename__ = "user_districts"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"), primary_key=True)


class LoginSession(Base):
    """A signed-in browser session; only the SHA-256 of its token is stored."""

    __tablename__ = "login_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class AuditEntry(Base):
    """Append-only audit trail: who did what to which records (never the values)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    username: Mapped[str] = mapped_column(String(64), nullable=False)
    role: Mapped[str] = mapped_column(String(16), nullable=False, default="")
    action: Mapped[str] = mapped_column(String(32), nullable=False)
    entity: Mapped[str] = mapped_column(String(32), nullable=False, default="")
    entity_ids: Mapped[list[int]] = mapped_column(JSON, nullable=False, default=list)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)


class BasemapFeature(Base):
    """One feature of an imported background layer (roads, rivers …): public map data.

    ``minx`` … ``maxy`` hold the bounding box (EPSG:4326) so that both databases pick the
    features of a map's area with plain indexed comparisons. A later import of the same
    ``kind`` and ``source`` replaces these rows (they get ``deleted_at``).
    """

    __tablename__ = "basemap_features"
    __table_args__ = (
        Index("ix_basemap_features_kind_box", "kind", "minx", "maxx", "miny", "maxy"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    #: Road class, e.g. "main" / "local" (drawn wider or narrower); "" when unknown.
    subkind: Mapped[str] = mapped_column(String(32), nullable=False, default="")
    name: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    geom: Mapped[BaseGeometry] = mapped_column(Geometry("GEOMETRY"), nullable=False)
    minx: Mapped[float] = mapped_column(nullable=False)
    miny: Mapped[float] = mapped_column(nullable=False)
    maxx: Mapped[float] = mapped_column(nullable=False)
    maxy: Mapped[float] = mapped_column(nullable=False)
    #: Where the features came from (the file name, or "sample").
    source: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    #: The credit line the data's licence asks for, printed under every map that shows it.
    credit: Mapped[str] = mapped_column(String(300), nullable=False, default="")
    imported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    imported_by: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class ImportMapping(Base):
    """A remembered column mapping of an import: file headers -> lsmap fields (issue 6)."""

    __tablename__ = "import_mappings"
    __table_args__ = (UniqueConstraint("kind", "headers_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32), nullable=False)
    #: SHA-256 of the normalised header row, so that the same layout is recognised again.
    headers_key: Mapped[str] = mapped_column(String(64), nullable=False)
    mapping: Mapped[dict[str, str]] = mapped_column(JSON, nullable=False, default=dict)
    updated_by: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )
