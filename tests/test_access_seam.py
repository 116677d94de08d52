"""The access seam: every personal read is scoped to the actor's districts and projected."""

from __future__ import annotations

import pytest
from conftest import actor_for, district_id
from helpers import EAST, WEST
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lsmap import access
from lsmap.storage.models import AuditEntry, Household, Resident


def _subtree(session: Session, code: str) -> frozenset[int]:
    return access.expand_districts(session, {district_id(session, code)})


def test_staff_sees_only_households_of_their_district(sample_session: Session) -> None:
    east = _subtree(sample_session, EAST)
    staff = actor_for(sample_session, "staff_east")
    points = access.household_points(sample_session, staff, None)
    ids = {p.id for p in points}
    expected = set(
        sample_session.scalars(
            select(Household.id).where(
                Household.district_id.in_(east),
                Household.deleted_at.is_(None),
                Household.location.is_not(None),
            )
        )
    )
    assert ids == expected and len(ids) > 50


def test_staff_of_another_district_cannot_open_the_record(sample_session: Session) -> None:
    east = _subtree(sample_session, EAST)
    household = sample_session.scalar(select(Household.id).where(Household.district_id.in_(east)))
    west_staff = actor_for(sample_session, "staff_west")
    with pytest.raises(access.AccessDenied):
        access.watch_record(sample_session, west_staff, household)
    assert household not in {
        p.id for p in access.household_points(sample_session, west_staff, None)
    }
    # Asking for the other district explicitly returns nothing either.
    assert (
        access.household_points(sample_session, west_staff, district_id(sample_session, EAST)) == []
    )


def test_staff_record_has_residents_watchers_contacts_and_card(sample_session: Session) -> None:
    staff = actor_for(sample_session, "staff_east")
    points = access.household_points(sample_session, staff, None)
    full = [access.watch_record(sample_session, staff, p.id) for p in points[:40]]
    assert all(r.residents and all(x.name for x in r.residents) for r in full)
    assert any(r.watchers for r in full)
    assert any(r.contacts for r in full)
    assert any(r.emergency_contacts for r in full)


def test_meeting_sees_no_name_of_residents_without_consent(sample_session: Session) -> None:
    east = _subtree(sample_session, EAST)
    meeting = actor_for(sample_session, "meeting_east")
    points = {p.id: p for p in access.household_points(sample_session, meeting, None)}
    not_consented = sample_session.execute(
        select(Resident.household_id, func.count())
        .where(
            Resident.consent_status != "consented",
            Resident.household_id.in_(list(points)),
            Resident.deleted_at.is_(None),
        )
        .group_by(Resident.household_id)
    ).all()
    assert not_consented, "the sample town should have residents without consent in the east"
    visible_names = {r.name for p in points.values() for r in p.residents}
    hidden_names = set(
        sample_session.scalars(
            select(Resident.name).where(
                Resident.consent_status != "consented", Resident.household_id.in_(list(points))
            )
        )
    )
    assert not visible_names & hidden_names
    for household_id, count in not_consented:
        point = points[household_id]
        assert point.hidden_residents == count
        assert point.address is None and point.household_type is None
        record = access.watch_record(sample_session, meeting, household_id)
        assert record.details_withheld and record.contacts == () and record.address is None
    assert len(points) == len(
        set(
            sample_session.scalars(
                select(Household.id).where(
                    Household.district_id.in_(east), Household.location.is_not(None)
                )
            )
        )
    )


def test_planner_gets_no_personal_rows(sample_session: Session) -> None:
    planner = actor_for(sample_session, "planner")
    assert access.household_points(sample_session, planner, None) == []
    assert access.watcher_points(sample_session, planner, None) == []
    any_household = sample_session.scalar(select(Household.id))
    with pytest.raises(access.AccessDenied):
        access.watch_record(sample_session, planner, any_household)
    facilities = access.resource_points(sample_session, planner, None, "facility")
    assert facilities and all(f.csw_names == () for f in facilities)


def test_admin_sees_every_household(sample_session: Session) -> None:
    admin = actor_for(sample_session, "admin")
    total = sample_session.scalar(
        select(func.count())
        .select_from(Household)
        .where(Household.location.is_not(None), Household.deleted_at.is_(None))
    )
    assert len(access.household_points(sample_session, admin, None)) == total


def test_viewing_a_record_is_audited_without_values(sample_session: Session) -> None:
    staff = actor_for(sample_session, "staff_east")
    household = access.household_points(sample_session, staff, None)[0].id
    access.watch_record(sample_session, staff, household)
    sample_session.flush()
    entry = sample_session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert (entry.username, entry.action, entry.entity, entry.entity_ids) == (
        "staff_east",
        "view_record",
        "household",
        [household],
    )
    names = sample_session.scalars(select(Resident.name).where(Resident.household_id == household))
    assert not any(name in str(entry.detail) for name in names)


def test_reassignment_takes_effect_on_the_next_load(sample_session: Session) -> None:
    from lsmap.storage.models import District, User

    staff = actor_for(sample_session, "staff_east")
    west = sample_session.get(District, district_id(sample_session, WEST))
    user = sample_session.get(User, staff.user_id)
    user.districts = [west]
    sample_session.flush()
    again = actor_for(sample_session, "staff_east")
    assert again.district_ids == _subtree(sample_session, WEST)


def test_disabled_user_has_no_actor(sample_session: Session) -> None:
    from lsmap.storage.models import User

    staff = actor_for(sample_session, "staff_east")
    sample_session.get(User, staff.user_id).active = False
    sample_session.flush()
    assert access.load_actor(sample_session, staff.user_id) is None
    assert not access.can(None, "view")
