"""Resources kept in the app (issue 12): staff of a district and administrators add, change
and soft-delete salons (曜日・頻度 drive the coverage rule "less than monthly"), facilities
with CSWs and other resources (their own map layer); every change audited and versioned."""

from __future__ import annotations

from datetime import date

import pytest
from conftest import actor_for, district_id
from helpers import EAST, WEST, open_page
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from layers import all_layers
from lsmap import access
from lsmap.access import AccessDenied, resource_work
from lsmap.coverage.engine import resource_distance_kind
from lsmap.coverage.settings import DEFAULT_COVERAGE_SETTINGS
from lsmap.records import RecordError, ValidationFailed, resources
from lsmap.storage import db
from lsmap.storage.models import AuditEntry, District, Resource
from lsmap.vocab import Entity


def _hood(session: Session, code: str) -> int:
    """A 町丁目 inside the 地区 ``code`` (with an outline)."""
    parent = district_id(session, code)
    found = session.scalar(
        select(District.id).where(District.parent_id == parent, District.geom.is_not(None))
    )
    assert found is not None
    return found


def test_meetings_per_month_from_weekdays_and_frequency() -> None:
    assert resources.meetings_per_month("weekly", ["tue", "fri"]) == pytest.approx(8.67)
    assert resources.meetings_per_month("biweekly", ["wed"]) == pytest.approx(2.17)
    assert resources.meetings_per_month("monthly", ["mon", "thu"]) == 1.0
    assert resources.meetings_per_month("bimonthly", []) == 0.5
    assert resources.meetings_per_month("", ["mon"]) is None
    assert resources.schedule_text("weekly", ["fri", "tue"], "10時〜") == "毎週 火・金曜日 10時〜"


def test_staff_add_a_rare_salon_that_coverage_counts_as_rare(
    writable_sample_engine: Engine,
) -> None:
    engine = writable_sample_engine
    with Session(engine) as session:
        staff = actor_for(session, "staff_east")
        hood = _hood(session, EAST)
    values = {
        "kind": "salon",
        "name": " 　ふれあいサロン＃１ ",
        "phone": "０３－１２３４－５６７８",
        "district_id": hood,
        "weekdays": ["thu"],
        "frequency": "bimonthly",
        "schedule_note": "13時〜",
        "placement": "district",
    }
    new_id = resources.save_resource(engine, staff, values)
    with Session(engine) as session:
        row = session.get_one(Resource, new_id)
        assert (row.name, row.phone, row.weekdays, row.frequency) == (
            "ふれあいサロン#1",
            "03-1234-5678",
            "thu",
            "bimonthly",
        )
        assert row.meetings_per_month == 0.5 and row.schedule == "2か月に1回 木曜日 13時〜"
        assert row.location is not None and row.location_level == "town"
        assert session.get_one(District, hood).geom.contains(row.location)
        inputs = access.coverage_inputs(session, staff, date(2026, 11, 30))
        frame = inputs.resources.set_index("id")
        kind = resource_distance_kind(
            frame.loc[[new_id], "kind"],
            frame.loc[[new_id], "meetings_per_month"],
            DEFAULT_COVERAGE_SETTINGS,
        )
        assert list(kind) == ["salon_rare"]
        points = access.resource_points(session, staff, None, "salon")
        assert "2か月に1回 木曜日 13時〜" in {p.schedule for p in points if p.id == new_id}
        logged = session.scalars(
            select(AuditEntry).where(AuditEntry.entity == Entity.RESOURCE)
        ).all()
    assert [(e.action, e.entity_ids) for e in logged] == [("create", [new_id])]

    # weekly on two days: no longer rare; the change names its fields
    version = 1
    resources.save_resource(
        engine,
        staff,
        {**values, "frequency": "weekly", "weekdays": ["tue", "fri"]},
        resource_id=new_id,
        version=version,
    )
    with Session(engine) as session:
        row = session.get_one(Resource, new_id)
        assert row.meetings_per_month == pytest.approx(8.67) and row.version == 2
        last = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert last is not None and last.action == "update"
    assert set(last.detail["fields"]) == {"schedule", "weekdays", "frequency", "meetings_per_month"}
    with pytest.raises(RecordError, match="ほかの人が先に"):
        resources.save_resource(engine, staff, values, resource_id=new_id, version=version)
    resources.delete_resource(engine, staff, new_id, version=2)
    with Session(engine) as session:
        assert new_id not in {p.id for p in access.resource_points(session, staff, None, "salon")}
        assert session.get_one(Resource, new_id).deleted_at is not None  # soft


def test_districts_decide_who_may_edit(writable_sample_engine: Engine) -> None:
    engine = writable_sample_engine
    with Session(engine) as session:
        staff = actor_for(session, "staff_east")
        admin = actor_for(session, "admin")
        meeting = actor_for(session, "meeting_east")
        east, west = _hood(session, EAST), _hood(session, WEST)
        west_resource = session.scalar(
            select(Resource.id).where(
                Resource.district_id.in_(sorted(access.expand_districts(session, {west})))
            )
        )
        west_count = session.query(Resource).count()
    base = {"kind": "food_bank", "name": "フードバンク西", "placement": "none"}
    with pytest.raises(AccessDenied):
        resources.save_resource(engine, staff, {**base, "district_id": west})
    with pytest.raises(AccessDenied):
        resources.save_resource(engine, staff, {**base, "district_id": None})
    with pytest.raises(AccessDenied):
        resources.save_resource(engine, meeting, {**base, "district_id": east})
    with pytest.raises(ValidationFailed):
        resources.save_resource(engine, staff, {**base, "name": "  ", "district_id": east})
    with Session(engine) as session:
        assert session.query(Resource).count() == west_count
        listed = resource_work.editable_resources(session, staff)
        assert listed and all(r.district_id in staff.district_ids for r in listed)
        with pytest.raises(AccessDenied):
            resource_work.editable_resources(session, meeting)
        if west_resource is not None:
            with pytest.raises(AccessDenied):
                resource_work.resource_for_edit(session, staff, west_resource)
    # an administrator keeps a resource with no district (not on the map)
    town_wide = resources.save_resource(engine, admin, {**base, "district_id": None})
    with Session(engine) as session:
        assert session.get_one(Resource, town_wide).location is None


def test_other_resources_have_their_own_layer_and_facilities_their_csws(
    writable_sample_engine: Engine,
) -> None:
    engine = writable_sample_engine
    with Session(engine) as session:
        staff = actor_for(session, "staff_east")
        hood = _hood(session, EAST)
        centre = session.get_one(District, hood).geom.representative_point()
    other = resources.save_resource(
        engine,
        staff,
        {
            "kind": "other",
            "name": "子ども食堂ひまわり",
            "district_id": hood,
            "placement": "manual",
            "lon": centre.x,
            "lat": centre.y,
        },
    )
    assert "other" in {spec.key for spec in all_layers()}
    with Session(engine) as session:
        points = access.resource_points(session, staff, None, "other")
        assert [(p.id, p.name) for p in points if p.id == other] == [(other, "子ども食堂ひまわり")]
        assert session.get_one(Resource, other).location_level == "manual"
    with pytest.raises(RecordError, match="参加法人施設にだけ"):
        resources.add_csw(engine, staff, other, "山田")
    facility = resources.save_resource(
        engine,
        staff,
        {"kind": "facility", "name": "特養さくら", "district_id": hood, "placement": "district"},
    )
    csw = resources.add_csw(engine, staff, facility, "山田 花子", "090-0000-1111")
    with Session(engine) as session:
        record = resource_work.resource_for_edit(session, staff, facility)
        assert [(c.name, c.phone) for c in record.csws] == [("山田 花子", "090-0000-1111")]
        points = access.resource_points(session, staff, None, "facility")
        assert [p.csw_names for p in points if p.id == facility] == [("山田 花子",)]
    resources.remove_csw(engine, staff, csw, version=record.csws[0].version)
    with Session(engine) as session:
        assert resource_work.resource_for_edit(session, staff, facility).csws == ()
    with pytest.raises(ValidationFailed):
        resources.save_resource(
            engine,
            staff,
            {"kind": "other", "name": "x", "district_id": hood, "placement": "manual"},
        )


def test_resource_page_for_staff_and_refused_for_meeting(
    app_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Session(db.get_engine(app_url)) as session:
        staff = actor_for(session, "staff_east")
        meeting = actor_for(session, "meeting_east")
    at = open_page("resources", staff, app_url, monkeypatch)
    assert not at.exception, at.exception
    assert at.dataframe and len(at.dataframe[0].value) > 0
    assert {"サロン・居場所"} & set(at.dataframe[0].value["種類"])
    kind = at.selectbox(key="res-new-0-kind")
    kind.select("salon").run()
    assert not at.exception, at.exception
    assert [m.label for m in at.multiselect] == ["曜日"]
    at.selectbox(key="res-new-0-frequency").select("bimonthly").run()
    assert any("月1回未満のサロン" in c.value for c in at.caption)
    refused = open_page("resources", meeting, app_url, monkeypatch)
    assert [e.value for e in refused.error] == [resource_work.NOT_ALLOWED]


def test_editing_an_imported_resource_keeps_its_schedule_and_meetings(
    writable_sample_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A salon or food bank from the sample (free-text schedule, no 曜日・頻度 chosen yet)
    keeps its schedule and meetings per month when only its name is changed."""
    engine = writable_sample_engine
    url = engine.url.render_as_string(hide_password=False)
    with Session(engine) as session:
        staff = actor_for(session, "staff_east")
        kept = {r.kind: r for r in resource_work.editable_resources(session, staff)}
    for kind in ("salon", "food_bank"):
        before = kept[kind]
        at = open_page("resources", staff, url, monkeypatch)
        at.selectbox(key="resource-chosen").select(before.id).run()
        p = f"res-{before.id}-{before.version}-"
        assert at.text_input(key=p + "note").value == before.schedule
        at.text_input(key=p + "name").input(before.name + " 2")
        at.button(key=p + "save").click().run()
        assert not at.exception, at.exception
        with Session(engine) as session:
            row = session.get_one(Resource, before.id)
            assert row.name == before.name + " 2"
            assert row.schedule == before.schedule
            assert row.meetings_per_month == before.meetings_per_month
