"""The tables of a 福祉連絡会's work (issue 14): its proposals, which become records only
when district staff confirm them; the confirmed 見直し of households; the 会議の記録; and
staff's entries on the 緊急連絡表.

They live in their own module and are registered on the same metadata by
:mod:`lsmap.storage.models` (which imports this module at its end).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, DateTime, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lsmap.storage.models import Base, Versioned, utcnow


class MeetingProposal(Versioned, Base):
    """A proposal of a meeting session: a new 気がかりな世帯, a watcher for a household, a
    household 見直し済み, or 「変わりなし」 for a whole 町内. No names are needed."""

    __tablename__ = "meeting_proposals"
    __table_args__ = (Index("ix_meeting_proposals_district_status", "district_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: ``lsmap.vocab.PROPOSAL_KINDS``.
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    #: The 町内 the proposal is about (a household's own district for household proposals).
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"), nullable=False)
    household_id: Mapped[int | None] = mapped_column(ForeignKey("households.id"), index=True)
    address: Mapped[str] = mapped_column(String(300), nullable=False, default="")
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    household_type: Mapped[str] = mapped_column(String(32), nullable=False, default="")
    #: What worries us (a new household), or the short note of a review.
    concerns: Mapped[str] = mapped_column(Text, nullable=False, default="")
    #: A proposed watcher: role (``WATCHER_ROLES``), relationship, or a registered watcher.
    watcher_role: Mapped[str] = mapped_column(String(32), nullable=False, default="")
    relation: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    watcher_id: Mapped[int | None] = mapped_column(ForeignKey("watchers.id"))
    involvement: Mapped[str] = mapped_column(String(32), nullable=False, default="")
    frequency: Mapped[str] = mapped_column(String(32), nullable=False, default="")
    #: ``lsmap.vocab.PROPOSAL_STATUSES``.
    status: Mapped[str] = mapped_column(String(16), nullable=False, default="pending")
    proposed_by: Mapped[str] = mapped_column(String(64), nullable=False)
    proposed_session: Mapped[str] = mapped_column(String(32), nullable=False, default="")
    decided_by: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    reject_reason: Mapped[str] = mapped_column(Text, nullable=False, default="")
    #: The record made on confirmation (household id, watch link id), if any.
    result_id: Mapped[int | None] = mapped_column(Integer)


class HouseholdReview(Base):
    """A confirmed 見直し済み of a household (the 12-month 見直し時期 rule reads the newest)."""

    __tablename__ = "household_reviews"
    __table_args__ = (Index("ix_household_reviews_household_date", "household_id", "reviewed_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), nullable=False)
    reviewed_on: Mapped[date] = mapped_column(Date, nullable=False)
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    confirmed_by: Mapped[str] = mapped_column(String(64), nullable=False)
    proposal_id: Mapped[int | None] = mapped_column(ForeignKey("meeting_proposals.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class MeetingRecord(Versioned, Base):
    """One 福祉連絡会 in the 会議の記録: attendees counted by role, households by number."""

    __tablename__ = "meeting_records"

    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"), nullable=False, index=True)
    held_on: Mapped[date] = mapped_column(Date, nullable=False)
    #: ``ATTENDEE_ROLES`` code -> how many attended.
    attendees: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    #: Household ids (世帯番号) reviewed at the meeting.
    households_reviewed: Mapped[list[int]] = mapped_column(JSON, nullable=False, default=list)
    decisions: Mapped[str] = mapped_column(Text, nullable=False, default="")
    next_meeting_on: Mapped[date | None] = mapped_column(Date)
    entered_by: Mapped[str] = mapped_column(String(64), nullable=False)
    entered_session: Mapped[str] = mapped_column(String(32), nullable=False, default="")


class ContactSheetEntry(Versioned, Base):
    """A line staff wrote on an area's 緊急連絡表; a category with entries replaces the lines
    filled in from the records."""

    __tablename__ = "contact_sheet_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id"), nullable=False, index=True)
    #: ``lsmap.vocab.CONTACT_SHEET_CATEGORIES``.
    category: Mapped[str] = mapped_column(String(32), nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    phone: Mapped[str] = mapped_column(String(32), nullable=False, default="")
    note: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    position: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
