"""The district map: five layers, legend, record links, offline Leaflet, escaping, audit."""

from __future__ import annotations

import re

from conftest import actor_for, district_id
from helpers import EAST, XSS
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from layers import all_layers, layers_for
from lsmap.maps.payload import popup_html, sent_features
from lsmap.maps.webmap import build_map
from lsmap.storage.models import AuditEntry, Household, Resident

FIVE_LAYERS = {"households", "watchers", "facility", "salon", "food_bank"}


def _features(html: str) -> list[dict]:
    """Every feature the map sends to the browser, decoded as the browser builds it."""
    return sent_features(html)


def _readable(html: str) -> str:
    """The map HTML with JSON's \\uXXXX escapes turned back into characters."""
    return re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), html)


def test_every_layer_file_is_registered() -> None:
    keys = [spec.key for spec in all_layers()]
    assert set(keys) >= FIVE_LAYERS
    assert len(keys) == len(set(keys))
    assert {spec.key for spec in layers_for("planner")}.isdisjoint({"households", "watchers"})


def test_staff_map_shows_all_five_layers_with_legend_and_links(sample_session: Session) -> None:
    staff = actor_for(sample_session, "staff_east")
    east = district_id(sample_session, "149990")  # the whole town: every kind is present
    result = build_map(sample_session, staff, east)
    assert set(result.counts) >= FIVE_LAYERS
    assert all(result.counts[key] > 0 for key in FIVE_LAYERS), result.counts
    html = result.map.get_root().render()
    readable = _readable(html)
    for spec in layers_for("staff"):
        assert spec.title in readable
    assert "凡例" in readable
    popups = [f["popup"] for f in _features(html)]
    linked = {int(m) for p in popups for m in re.findall(r'href="/record\?household=(\d+)"', p)}
    assert linked == set(result.household_ids)


def test_map_loads_leaflet_from_the_app_not_a_cdn(sample_session: Session) -> None:
    staff = actor_for(sample_session, "staff_east")
    html = (
        build_map(sample_session, staff, district_id(sample_session, EAST)).map.get_root().render()
    )
    scripts = re.findall(r'<script src="([^"]+)"', html)
    assert scripts == ["/app/static/vendor/leaflet/leaflet.js"]
    assert "cdn.jsdelivr" not in html and "jquery" not in html.lower()


def test_basemap_is_optional_and_attributed(sample_session: Session) -> None:
    staff = actor_for(sample_session, "staff_east")
    east = district_id(sample_session, EAST)
    with_tiles = build_map(sample_session, staff, east, basemap="gsi").map.get_root().render()
    without = build_map(sample_session, staff, east, basemap="none").map.get_root().render()
    assert "cyberjapandata.gsi.go.jp" in with_tiles and "国土地理院" in _readable(with_tiles)
    assert "cyberjapandata.gsi.go.jp" not in without


def test_planner_map_has_no_people(sample_session: Session) -> None:
    planner = actor_for(sample_session, "planner")
    result = build_map(sample_session, planner, district_id(sample_session, EAST))
    assert "households" not in result.counts and "watchers" not in result.counts
    html = _readable(result.map.get_root().render())
    names = sample_session.scalars(select(Resident.name)).all()
    assert not [name for name in names if name in html]
    assert result.counts["facility"] >= 0


def test_only_households_in_scope_reach_the_browser(sample_session: Session) -> None:
    staff = actor_for(sample_session, "staff_west")
    town = district_id(sample_session, "149990")
    result = build_map(sample_session, staff, town)
    sent = {
        f["id"] for f in _features(result.map.get_root().render()) if f["layer"] == "households"
    }
    west = set(staff.district_ids)
    in_west = set(
        sample_session.scalars(
            select(Household.id).where(
                Household.district_id.in_(west), Household.location.is_not(None)
            )
        )
    )
    assert sent == in_west


def test_user_written_text_is_escaped_in_popups(writable_sample_engine: Engine) -> None:
    with Session(writable_sample_engine) as session:
        staff = actor_for(session, "staff_east")
        household = build_map(session, staff, None).household_ids[0]
        resident = session.scalars(
            select(Resident).where(Resident.household_id == household)
        ).first()
        resident.name = XSS
        resident.concern_tags = ["`${alert(2)}`"]
        session.commit()
        result = build_map(session, staff, None)
        html = result.map.get_root().render()
        assert XSS not in _readable(html)
        popup = next(
            f["popup"]
            for f in _features(html)
            if f["id"] == household and f["layer"] == "households"
        )
        assert "&lt;img src=x onerror=alert(1)&gt;" in popup
        assert "<img" not in popup


def test_map_render_of_personal_layers_is_audited(sample_session: Session) -> None:
    staff = actor_for(sample_session, "staff_east")
    result = build_map(sample_session, staff, district_id(sample_session, EAST))
    sample_session.flush()
    entry = sample_session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert entry.action == "map_render" and entry.username == "staff_east"
    assert entry.entity_ids == sorted(result.household_ids)
    assert set(entry.detail["layers"]) == {"households", "watchers", "links"}


def test_popup_omits_fields_the_actor_cannot_see(sample_session: Session) -> None:
    meeting = actor_for(sample_session, "meeting_east")
    result = build_map(sample_session, meeting, None)
    spec = next(s for s in all_layers() if s.key == "households")
    withheld = [p for p in result.points["households"] if p.hidden_residents and not p.residents]
    assert withheld
    html = popup_html(spec, withheld[0])
    assert "住所" not in html and "世帯の状況" not in html and f"No.{withheld[0].number}" in html


def test_large_areas_are_shaded_by_district_instead_of_points(
    sample_session: Session, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    import lsmap.maps.overview

    monkeypatch.setattr(
        lsmap.maps.overview, "DETAIL_LIMIT", 50
    )  # the sample town stands in for a prefecture
    admin = actor_for(sample_session, "admin")
    town = district_id(sample_session, "149990")
    result = build_map(sample_session, admin, town)
    html = result.map.get_root().render()
    assert result.points == {} and "lsmap-overview" in html
    assert not [f for f in sent_features(html) if f["layer"] == "households"]
    names = sample_session.scalars(select(Resident.name)).all()
    assert not [n for n in names if n in _readable(html)]
    assert "気がかりな世帯 " in html and "東地区" in html
    small = build_map(sample_session, admin, district_id(sample_session, "149990-01-01"))
    assert small.points["households"]  # a small enough district shows its households again


def test_scale_bar_is_in_metres_only() -> None:
    """Issue 12: the map's scale bar says metres, never feet."""
    from lsmap.maps.basemap import base_map

    html = base_map("none").get_root().render()
    assert "L.control.scale({imperial: false})" in html
    assert "L.control.scale()" not in html
