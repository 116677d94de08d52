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
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    event,
    false,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.engine import Connection
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


class Counter(Base):
    """A named counter that only goes up (the last 世帯番号 handed out)."""

    __tablename__ = "counters"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, nullable=False)


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
    #: How the point was found (``lsmap.vocab.LOCATION_LEVELS``): coordinates, map click, or
    #: an address matched at 街区 / 町丁目 level (issue 17). NULL: not known (older rows).
    location_level: Mapped[str | None] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    closed_on: Mapped[date | None] = mapped_column(Date)
    #: the stable 世帯番号 (issue 12): assigned once from :class:`Counter`, never reused
    number: Mapped[int | None] = mapped_column(Integer, unique=True)
    #: the follow-up plan: 次回の訪問予定日, 担当 (a staff user), last 見直し
    next_visit_on: Mapped[date | None] = mapped_column(Date)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reviewed_on: Mapped[date | None] = mapped_column(Date)
    #: Free text beside the 課題 chosen from :data:`lsmap.vocab.HOUSEHOLD_ISSUES`.
    issue_note: Mapped[str] = mapped_column(
        String(300), nullable=False, default="", server_default=""
    )
    #: The 緊急連絡カード's health and care lines: 持病, 服薬, 介護サービス・ケアマネ.
    medical_conditions: Mapped[str] = mapped_column(
        String(500), nullable=False, default="", server_default=""
    )
    medications: Mapped[str] = mapped_column(
        String(500), nullable=False, default="", server_default=""
    )
    care_services: Mapped[str] = mapped_column(
        String(500), nullable=False, default="", server_default=""
    )

    district: Mapped[District | None] = relationship()
    residents: Mapped[list[Resident]] = relationship(
        back_populates="household", order_by="Resident.id"
    )
    links: Mapped[list[WatchLink]] = relationship(back_populates="household")
    contacts: Mapped[list[ContactLog]] = relationship(back_populates="household")
    emergency_contacts: Mapped[list[EmergencyContact]] = relationship(
        back_populates="household", order_by="EmergencyContact.id"
    )


class HouseholdIssue(Base):
    """One 課題 of a household (:data:`lsmap.vocab.HOUSEHOLD_ISSUES`); a household has several.

    Changed only together with its household (whose version moves), so it has no version.
    """

    __tablename__ = "household_issues"

    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), primary_key=True)
    issue: Mapped[str] = mapped_column(String(32), primary_key=True)


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
    location_level: Mapped[str | None] = mapped_column(String(16))

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
    #: whether this link's contacts are recorded; only logged links set the expected interval
    logged: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    #: whether the person agreed that this watcher knows their name (issue 13): a watcher
    #: account then sees the 氏名 of a household without 同意, else its number and address only
    agreed: Mapped[bool] = mapped_column(
        Boolean, nullable=False, default=False, server_default=false()
    )

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
    #: 会えた / 不在 / ... (:data:`lsmap.vocab.CONTACT_OUTCOMES`); "" for older rows
    outcome: Mapped[str] = mapped_column(String(16), nullable=False, default="")

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
    #: A salon's meeting days (``"tue,fri"``) and how often (:data:`lsmap.vocab.FREQUENCIES`).
    weekdays: Mapped[str] = mapped_column(String(32), nullable=False, default="", server_default="")
    frequency: Mapped[str] = mapped_column(
        String(16), nullable=False, default="", server_default=""
    )
    district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id"), index=True)
    location: Mapped[BaseGeometry | None] = mapped_column(Geometry("POINT"))
    location_level: Mapped[str | None] = mapped_column(String(16))

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
    #: The watcher row a ``watcher`` account is (issue 13); NULL for every other role.
    watcher_id: Mapped[int | None] = mapped_column(ForeignKey("watchers.id"), index=True)

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


class SignInCode(Base):
    """A one-time sign-in code for a watcher account (issue 13): short-lived, single use,
    revocable; only the SHA-256 of the code is stored."""

    __tablename__ = "sign_in_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    created_by: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


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


#: An audit entry naming more ids than this gets one "wide" link (``entity_id`` NULL) instead
#: of one link per id: a city-wide map render names thousands of households, and linking each
#: would grow the link table by hundreds of kilobytes per render. Readers that look for one
#: id also read the ids of the (few) wide entries, so nothing is missed.
LINK_LIMIT = 1000
#: The audited actions that change a record; only their links are in the record and
#: household indexes (partial indexes), so that views and map renders cost no index
#: inserts scattered over those indexes.
CHANGE_ACTIONS = ("create", "update", "delete", "restore")
#: The partial indexes' condition, written as readers must repeat it (with literal values:
#: SQLite uses a partial index only when the query holds the same term).
CHANGES_ONLY = "action IN ('create', 'update', 'delete', 'restore')"


class AuditLink(Base):
    """Append-only index of the audit log: one row per (entry, record it names).

    Filled with the entry (see :func:`_write_links`) and backfilled by migration 0004, so
    that "history of one record" is an index lookup instead of a scan of JSON. ``action``
    is copied from the entry. ``household_id`` is the household the record belongs to (the
    record itself for a household; ``detail["household"]`` for its residents, links,
    contacts and cards).
    """

    __tablename__ = "audit_links"
    __table_args__ = (
        # history and "who changed this": one record's changes, newest first
        Index(
            "ix_audit_links_record",
            "entity",
            "entity_id",
            "audit_id",
            sqlite_where=text(CHANGES_ONLY),
            postgresql_where=text(CHANGES_ONLY),
        ),
        # a household's history with its residents, links, contacts and cards
        Index(
            "ix_audit_links_household",
            "household_id",
            "audit_id",
            sqlite_where=text(CHANGES_ONLY),
            postgresql_where=text(CHANGES_ONLY),
        ),
        # the audit page's record filter: the ids named in a range of entries (appended to
        # in order, so a map render's links cost no scattered inserts)
        Index("ix_audit_links_audit", "audit_id", "entity_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: ``audit_log.id``. No foreign key: PostgreSQL would then refuse ``TRUNCATE audit_log``
    #: for the key before the append-only trigger could; both tables refuse any change anyway.
    audit_id: Mapped[int] = mapped_column(Integer, nullable=False)
    entity: Mapped[str] = mapped_column(String(32), nullable=False)
    action: Mapped[str] = mapped_column(String(32), nullable=False)
    #: NULL marks a wide entry (more than :data:`LINK_LIMIT` ids; read its ``entity_ids``).
    entity_id: Mapped[int | None] = mapped_column(Integer)
    household_id: Mapped[int | None] = mapped_column(Integer)


def audit_link_rows(
    audit_id: int, action: str, entity: str, ids: list[int], detail: dict[str, Any]
) -> list[dict[str, Any]]:
    """The link rows of one audit entry (the rule migration 0004 applies in SQL)."""
    base = {"audit_id": audit_id, "action": action, "entity": entity}
    if len(ids) > LINK_LIMIT:
        return [{**base, "entity_id": None, "household_id": None}]
    owner = detail.get("household")
    if isinstance(owner, bool) or not isinstance(owner, int):
        owner = None
    return [
        {**base, "entity_id": i, "household_id": i if entity == "household" else owner} for i in ids
    ]


@event.listens_for(AuditEntry, "after_insert")
def _write_links(_mapper: Any, connection: Connection, entry: AuditEntry) -> None:
    """Every audit entry added through the ORM writes its links in the same transaction,
    with one (executemany) insert."""
    rows = audit_link_rows(
        entry.id, entry.action, entry.entity, list(entry.entity_ids or []), entry.detail or {}
    )
    if rows:
        connection.execute(insert(AuditLink), rows)


HOUSEHOLD_NUMBER = "household_number"


def take_numbers(connection: Connection, count: int, name: str = HOUSEHOLD_NUMBER) -> list[int]:
    """Reserve ``count`` consecutive numbers from the counter ``name`` (never handed out
    again, even when the household that got one is deleted). The UPDATE comes first, so
    a concurrent writer waits for this transaction on PostgreSQL."""
    if count <= 0:
        return []
    step = update(Counter).where(Counter.name == name).values(value=Counter.value + count)
    if connection.execute(step).rowcount == 0:  # a schema made without the migration
        highest = connection.scalar(select(func.max(Household.number))) or 0
        connection.execute(insert(Counter).values(name=name, value=int(highest) + count))
    last = int(connection.scalar(select(Counter.value).where(Counter.name == name)) or 0)
    return list(range(last - count + 1, last + 1))


@event.listens_for(Household, "before_insert")
def _number_household(_mapper: Any, connection: Connection, household: Household) -> None:
    """Every household added through the ORM gets the next 世帯番号 unless it has one."""
    if household.number is None:
        household.number = take_numbers(connection, 1)[0]


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


class AddressPoint(Base):
    """One point of the address reference the council imported (issue 17): a 街区 or 地番
    of the 街区レベル位置参照情報 (``level`` "block"), or a 大字・町丁目 of the 大字・町丁目レベル
    位置参照情報 ("town"). Public data, not personal. The ``*_key`` columns hold the names
    as :func:`lsmap.addresses.normalise_address` writes them, so lookups are exact matches."""

    __tablename__ = "address_points"
    __table_args__ = (Index("ix_address_points_lookup", "city_key", "town_key", "block_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    level: Mapped[str] = mapped_column(String(8), nullable=False)
    pref: Mapped[str] = mapped_column(String(16), nullable=False, default="")
    city: Mapped[str] = mapped_column(String(64), nullable=False)
    town: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    koaza: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    block: Mapped[str] = mapped_column(String(32), nullable=False, default="")
    city_key: Mapped[str] = mapped_column(String(64), nullable=False)
    town_key: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    block_key: Mapped[str] = mapped_column(String(32), nullable=False, default="")
    lat: Mapped[float] = mapped_column(Float, nullable=False)
    lon: Mapped[float] = mapped_column(Float, nullable=False)
    #: False for a name or number as it was before a change (更新前履歴フラグ, 旧町名).
    current: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    source: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    imported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


# ---------------------------------------------------------------- planning (issue 16)


class CensusStatistic(Base):
    """国勢調査 小地域 figures of one finest district (public statistics, never people).

    A re-import marks the previous rows ``replaced_at`` (nothing is deleted); the current
    figures are the rows without it. ``suppressed`` names the fields the census hid
    (``*``/``X``, or an area merged into a neighbour): those values are ``None``.
    """

    __tablename__ = "census_statistics"

    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"), index=True)
    key_code: Mapped[str] = mapped_column(String(16), nullable=False)
    area_name: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    survey: Mapped[str] = mapped_column(String(100), nullable=False, default="")
    population: Mapped[int | None] = mapped_column(Integer)
    households: Mapped[int | None] = mapped_column(Integer)
    aged_65: Mapped[int | None] = mapped_column(Integer)
    aged_75: Mapped[int | None] = mapped_column(Integer)
    elderly_alone_households: Mapped[int | None] = mapped_column(Integer)
    suppressed: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    matched_by: Mapped[str] = mapped_column(String(8), nullable=False, default="code")
    imported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    imported_by: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    replaced_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class CoverageSnapshot(Base):
    """Coverage indicators of every district at one moment (aggregates only).

    ``monthly_key`` (``YYYY-MM``) is set for the month's snapshot, so that a month is
    recorded once however many processes try; snapshots taken on demand leave it empty.
    """

    __tablename__ = "coverage_snapshots"

    id: Mapped[int] = mapped_column(primary_key=True)
    taken_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    as_of: Mapped[date] = mapped_column(Date, nullable=False, index=True)
    trigger: Mapped[str] = mapped_column(String(16), nullable=False)
    monthly_key: Mapped[str | None] = mapped_column(String(7), unique=True)
    taken_by: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)

    rows: Mapped[list[CoverageSnapshotRow]] = relationship(
        back_populates="snapshot", order_by="CoverageSnapshotRow.id"
    )


class CoverageSnapshotRow(Base):
    """One district's counts (exact; released through the reader's policy) in a snapshot."""

    __tablename__ = "coverage_snapshot_rows"

    id: Mapped[int] = mapped_column(primary_key=True)
    snapshot_id: Mapped[int] = mapped_column(ForeignKey("coverage_snapshots.id"), index=True)
    district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id"))
    parent_id: Mapped[int | None] = mapped_column(Integer)
    district_code: Mapped[str] = mapped_column(String(64), nullable=False)
    district_name: Mapped[str] = mapped_column(String(200), nullable=False)
    level: Mapped[str] = mapped_column(String(32), nullable=False)
    values: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)

    snapshot: Mapped[CoverageSnapshot] = relationship(back_populates="rows")


class RoadNetwork(Base):
    """A walkable road graph built once from an imported road file (public data).

    ``graph`` holds the nodes (metres in ``epsg``) and edges as a compressed NumPy archive
    (:mod:`lsmap.coverage.network`). A new import marks the previous one ``replaced_at``.
    """

    __tablename__ = "road_networks"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    source: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    epsg: Mapped[int] = mapped_column(Integer, nullable=False)
    nodes: Mapped[int] = mapped_column(Integer, nullable=False)
    edges: Mapped[int] = mapped_column(Integer, nullable=False)
    length_m: Mapped[float] = mapped_column(Float, nullable=False)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    graph: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
    imported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    imported_by: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    replaced_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


# The tables of a meeting's work (proposals, reviews, register, 緊急連絡表) live in their own
# module; importing it here registers them on Base.metadata wherever the models are used.
from lsmap.storage import meeting_models as _meeting_models  # noqa: E402, F401
