"""A map a meeting can read: names on the map and on paper, numbers that never overlap,
numbers of at least 8 pt on paper, one 町内 per sheet (all of them at once in a zip), and the
meeting's map opening on its own 町内."""

from __future__ import annotations

import io
import itertools
import math
import re
import zipfile

import numpy as np
import pytest
from conftest import actor_for, district_id
from helpers import EAST
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session

from lsmap import access
from lsmap.access.map_defaults import default_map_district, neighbourhoods_within
from lsmap.maps.labels import sent_labels
from lsmap.maps.payload import NUMBER_SIZE, sent_payloads
from lsmap.maps.placement import mercator, pixel_size
from lsmap.maps.webmap import build_map
from lsmap.printing.paper_batch import neighbourhood_batch
from lsmap.printing.paper_map import PaperOptions, map_pdf
from lsmap.storage.models import AuditEntry, District, Resident


def _densest_neighbourhood(session: Session) -> int:
    admin = actor_for(session, "admin")
    counts = access.household_counts_by_district(session, admin, None)
    return max(counts, key=lambda d: counts[d][0])


def _households_payload(html: str) -> dict:
    return next(p for p in sent_payloads(html) if p["key"] == "households")


def _level(payload: dict, zoom: float) -> int:
    """The placement step the browser uses at ``zoom``."""
    return max(i for i, z in enumerate(payload["placement"]["zooms"]) if z <= zoom + 1e-9)


def _shown_at(payload: dict, zoom: float) -> np.ndarray:
    """Where the browser draws each number at ``zoom`` (Web-Mercator metres)."""
    placement = payload["placement"]
    level = _level(payload, zoom)
    lon = np.array([f[1][0] for f in payload["features"]])
    lat = np.array([f[1][1] for f in payload["features"]])
    for index, moved_lon, moved_lat in placement["moved"][level]:
        lon[index], lat[index] = moved_lon, moved_lat
    return np.column_stack(mercator(lon, lat))


def test_numbers_do_not_overlap_at_the_opening_zoom_on_the_densest_neighbourhood(
    sample_session: Session,
) -> None:
    admin = actor_for(sample_session, "admin")
    densest = _densest_neighbourhood(sample_session)
    html = build_map(sample_session, admin, densest, meeting_mode=True).map.get_root().render()
    payload = _households_payload(html)
    zoom = payload["placement"]["opening_zoom"]
    metres = pixel_size(zoom)
    true = np.column_stack(
        mercator(
            np.array([f[1][0] for f in payload["features"]]),
            np.array([f[1][1] for f in payload["features"]]),
        )
    )
    shown = _shown_at(payload, zoom)
    gaps = [float(np.hypot(*(a - b))) / metres for a, b in itertools.combinations(shown, 2)]
    crowded = [float(np.hypot(*(a - b))) / metres for a, b in itertools.combinations(true, 2)]
    assert len(shown) >= 20
    assert min(crowded) < NUMBER_SIZE  # at their true spots some numbers would overlap …
    assert min(gaps) >= NUMBER_SIZE  # … as placed, none does (pairwise, in pixels)
    # every number that moved keeps its true spot (drawn with a leader line)
    moved = {entry[0] for entry in payload["placement"]["moved"][_level(payload, zoom)]}
    assert moved and all(np.hypot(*(shown[i] - true[i])) > 0 for i in moved)


def test_numbers_keep_clear_of_the_area_names(sample_session: Session) -> None:
    staff = actor_for(sample_session, "staff_east")
    east = district_id(sample_session, EAST)
    html = build_map(sample_session, staff, east, meeting_mode=True).map.get_root().render()
    payload = _households_payload(html)
    zoom = payload["placement"]["opening_zoom"]
    metres = pixel_size(zoom)
    shown = _shown_at(payload, zoom)
    labels = [lb for lb in sent_labels(html) if lb[4] <= zoom < lb[5] and lb[3] == "inner"]
    assert len(labels) >= 5  # the 町内 names of 東地区 show at the opening zoom
    for text, lon, lat, *_ in labels:
        (x,), (y,) = mercator(np.array([lon]), np.array([lat]))
        height = 17 * 1.35  # px: the inner label's font with its halo
        near = np.abs(shown[:, 1] - y) / metres < (height + NUMBER_SIZE) / 2 - 1
        inside = np.abs(shown[:, 0] - x) / metres < len(text) * 17 / 2 - NUMBER_SIZE
        assert not (near & inside).any(), text


def test_area_names_are_on_the_map_and_on_paper(sample_session: Session) -> None:
    meeting = actor_for(sample_session, "meeting_east")
    east = district_id(sample_session, EAST)
    html = build_map(sample_session, meeting, east, meeting_mode=True).map.get_root().render()
    labels = sent_labels(html)
    inner = sample_session.scalars(
        select(District.name).where(District.parent_id == east, District.deleted_at.is_(None))
    ).all()
    by_role = {(lb[0], lb[3]) for lb in labels}
    assert {(name, "inner") for name in inner} <= by_role
    assert ("東地区", "chosen") in by_role and ("西地区", "neighbour") in by_role
    chosen = next(lb for lb in labels if lb[3] == "chosen")
    finer = min(lb[4] for lb in labels if lb[3] == "inner")
    assert chosen[5] > finer  # the 地区 name gives way once the 町内 names fit
    assert "さくら台駅" in {lb[0] for lb in labels} or "さくら川" in {lb[0] for lb in labels}
    unit = default_map_district(meeting, access.visible_districts(sample_session, meeting))
    pdf = map_pdf(sample_session, meeting, unit, PaperOptions(paper="A3", with_list=False))
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    name = sample_session.get(District, unit).name
    assert text.count(name) >= 2  # the title and the name on the map
    assert "道路" in text and "サンプルの町の架空の地図" in text  # legend and credit line


def _number_sizes(pdf: bytes, numbers: set[str]) -> list[float]:
    """The effective font size (pt) of each household number drawn on the map page."""
    sizes: list[float] = []

    def visit(text, cm, tm, font, size):  # type: ignore[no-untyped-def]
        if text.strip() in numbers:
            a, b, c, d = (tm[0] * cm[0] + tm[1] * cm[2], tm[0] * cm[1] + tm[1] * cm[3],
                          tm[2] * cm[0] + tm[3] * cm[2], tm[2] * cm[1] + tm[3] * cm[3])  # fmt: skip
            sizes.append(size * math.sqrt(abs(a * d - b * c)))

    PdfReader(io.BytesIO(pdf)).pages[0].extract_text(visitor_text=visit)
    return sizes


@pytest.mark.parametrize("paper, expected", [("A3", 11.0), ("A4", 9.0)])
def test_numbers_on_paper_are_at_least_8_pt(
    sample_session: Session, paper: str, expected: float
) -> None:
    meeting = actor_for(sample_session, "meeting_east")
    unit = _densest_neighbourhood(sample_session)
    if unit not in meeting.district_ids:
        unit = default_map_district(meeting, access.visible_districts(sample_session, meeting))
    households = access.household_points(sample_session, meeting, unit)
    for landscape in (True, False):
        options = PaperOptions(paper=paper, landscape=landscape, with_list=False)
        pdf = map_pdf(sample_session, meeting, unit, options)
        sizes = _number_sizes(pdf, {str(p.number) for p in households})
        assert len(sizes) >= len(households)  # every number (and the legend's samples)
        assert min(sizes) >= 8.0 and max(sizes) == expected


def test_all_neighbourhoods_at_once_one_pdf_each_audited_once(sample_session: Session) -> None:
    meeting = actor_for(sample_session, "meeting_east")
    east = district_id(sample_session, EAST)
    units = neighbourhoods_within(access.visible_districts(sample_session, meeting), east)
    seen: list[tuple[int, int, str]] = []
    batch = neighbourhood_batch(
        sample_session,
        meeting,
        east,
        PaperOptions(paper="A3", with_list=True),
        progress=lambda done, total, name: seen.append((done, total, name)),
    )
    assert [name for *_, name in seen] == [u.name for u in units] and len(units) >= 5
    assert seen[-1][:2] == (len(units), len(units))
    archive = zipfile.ZipFile(io.BytesIO(batch.data))
    assert archive.namelist() == [f"{i:02d}_{u.name}.pdf" for i, u in enumerate(units, 1)]
    withheld = sample_session.scalars(
        select(Resident.name).where(Resident.consent_status != "consented")
    ).all()
    for member, unit in zip(archive.namelist(), units, strict=True):
        reader = PdfReader(io.BytesIO(archive.read(member)))
        assert len(reader.pages) >= 2  # the map and its separate list page
        assert unit.name in reader.pages[0].extract_text()
        listing = "".join(p.extract_text() for p in reader.pages[1:]).replace(" ", "")
        assert not [n for n in withheld if n.replace("\u3000", "") in listing]
    sample_session.flush()
    prints = sample_session.scalars(
        select(AuditEntry).where(
            AuditEntry.action == "print", AuditEntry.username == "meeting_east"
        )
    ).all()
    batch_entries = [e for e in prints if e.detail.get("kind") == "map_pdf_batch"]
    assert len(batch_entries) == 1 and len(prints) == 1  # one entry for the whole batch
    assert batch_entries[0].detail["districts"] == [u.id for u in units]
    assert set(batch_entries[0].entity_ids) == set(batch.households)


def test_a_batch_outside_the_scope_is_refused(sample_session: Session) -> None:
    meeting = actor_for(sample_session, "meeting_east")
    west = district_id(sample_session, "149990-02")
    with pytest.raises(access.AccessDenied):
        neighbourhood_batch(sample_session, meeting, west, PaperOptions())
    planner = actor_for(sample_session, "planner")
    with pytest.raises(access.AccessDenied):
        neighbourhood_batch(sample_session, planner, west, PaperOptions())


def test_the_meeting_map_opens_on_its_first_neighbourhood(sample_session: Session) -> None:
    meeting = actor_for(sample_session, "meeting_east")
    districts = access.visible_districts(sample_session, meeting)
    first = default_map_district(meeting, districts)
    assert sample_session.get(District, first).code == "149990-01-01"
    staff = actor_for(sample_session, "staff_east")
    east = default_map_district(staff, access.visible_districts(sample_session, staff))
    assert sample_session.get(District, east).code == EAST


def test_map_page_opens_on_the_neighbourhood_and_remembers_the_choice(
    sample_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from helpers import open_page

    from lsmap.storage import db

    with Session(db.get_engine(sample_url)) as session:
        meeting = actor_for(session, "meeting_east")
        second = district_id(session, "149990-01-02")
    at = open_page("map", meeting, sample_url, monkeypatch)
    assert at.subheader[0].value == "地図 — 本町一丁目"
    at.sidebar.selectbox[0].select(second).run()
    assert at.subheader[0].value == "地図 — 本町二丁目"
    at.run()  # another rerun of the same session keeps the chosen 町内
    assert at.subheader[0].value == "地図 — 本町二丁目"
    expander = next(e for e in at.expander if "印刷用PDF" in e.label)
    assert "全町丁目を一括で印刷" not in str([r.options for r in expander.radio])
    assert re.search("A3", str([r.options for r in expander.radio]))
