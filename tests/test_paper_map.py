"""The paper map: a PDF with the legend and district name in Japanese, numbers not names."""

from __future__ import annotations

import io
import re

from conftest import actor_for, district_id
from helpers import EAST
from pypdf import PdfReader
from sqlalchemy import select
from sqlalchemy.orm import Session

from lsmap.printing.paper_map import PaperOptions, map_pdf
from lsmap.storage.models import AuditEntry, Resident


def _pages(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def _fonts(pdf: bytes) -> set[str]:
    reader = PdfReader(io.BytesIO(pdf))
    found = set()
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            descriptor = font.get_object()["/DescendantFonts"][0].get_object()["/FontDescriptor"]
            if "/FontFile2" in descriptor:
                found.add(str(descriptor["/FontName"]))
    return found


def test_paper_map_has_title_legend_scale_and_embedded_font(sample_session: Session) -> None:
    staff = actor_for(sample_session, "staff_east")
    pdf = map_pdf(
        sample_session, staff, district_id(sample_session, EAST), PaperOptions(with_list=False)
    )
    pages = _pages(pdf)
    assert len(pages) == 1
    text = pages[0]
    for expected in (
        "支え合い福祉マップ",
        "東地区",
        "凡例",
        "気がかりな世帯",
        "見守りのつながり",
        "縮尺",
        "N",
    ):
        assert expected in text, expected
    assert any("IPAexGothic" in name for name in _fonts(pdf))


def test_meeting_viewer_paper_map_has_numbers_but_no_names(sample_session: Session) -> None:
    meeting = actor_for(sample_session, "meeting_east")
    east = district_id(sample_session, EAST)
    pdf = map_pdf(
        sample_session, meeting, east, PaperOptions(paper="A3", landscape=False, with_list=False)
    )
    text = _pages(pdf)[0]
    numbers = {int(n) for n in re.findall(r"\b(\d{1,3})\b", text)}
    assert {1, 2, 3, 10, 50} <= numbers
    names = sample_session.scalars(select(Resident.name)).all()
    assert [
        n for n in names if n.replace("\u3000", "") in text.replace("\u3000", "").replace(" ", "")
    ] == []


def test_name_list_page_shows_only_names_the_reader_may_see(sample_session: Session) -> None:
    meeting = actor_for(sample_session, "meeting_east")
    east = district_id(sample_session, EAST)
    pages = _pages(map_pdf(sample_session, meeting, east, PaperOptions(with_list=True)))
    listing = "".join(pages[1:]).replace(" ", "").replace("\u3000", "")
    consented = sample_session.scalars(
        select(Resident.name).where(Resident.consent_status == "consented")
    ).all()
    withheld = sample_session.scalars(
        select(Resident.name).where(Resident.consent_status != "consented")
    ).all()
    assert any(n.replace("\u3000", "") in listing for n in consented)
    assert not [n for n in withheld if n.replace("\u3000", "") in listing]
    assert "同意なし" in listing


def test_printing_the_map_is_audited(sample_session: Session) -> None:
    staff = actor_for(sample_session, "staff_east")
    map_pdf(sample_session, staff, district_id(sample_session, EAST), PaperOptions(with_list=True))
    sample_session.flush()
    entry = sample_session.scalars(
        select(AuditEntry).where(AuditEntry.action == "print").order_by(AuditEntry.id.desc())
    ).first()
    assert entry.detail["kind"] == "map_pdf" and entry.detail["with_list"] is True
    assert len(entry.entity_ids) > 100


def _png(shade: int) -> bytes:
    import io as _io

    from PIL import Image

    buffer = _io.BytesIO()
    Image.new("RGB", (256, 256), (236, 240, shade % 256)).save(buffer, format="PNG")
    return buffer.getvalue()


def test_paper_map_draws_gsi_tiles_with_attribution_when_they_load(sample_session: Session) -> None:
    staff = actor_for(sample_session, "staff_east")
    fetched: list[tuple[int, int, int]] = []

    def fake(z: int, x: int, y: int) -> bytes:
        fetched.append((z, x, y))
        return _png(len(fetched))  # distinct tiles (identical images are stored once)

    pdf = map_pdf(
        sample_session,
        staff,
        district_id(sample_session, EAST),
        PaperOptions(with_list=False, basemap="gsi"),
        tile_fetcher=fake,
    )
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    assert len(page.images) == len(fetched) > 0
    assert "地理院タイル" in page.extract_text() and "国土地理院" in page.extract_text()


def test_paper_map_falls_back_to_outlines_when_offline(sample_session: Session) -> None:
    staff = actor_for(sample_session, "staff_east")

    def offline(z: int, x: int, y: int) -> bytes:
        raise OSError("no network")

    pdf = map_pdf(
        sample_session,
        staff,
        district_id(sample_session, EAST),
        PaperOptions(with_list=False, basemap="gsi"),
        tile_fetcher=offline,
    )
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    assert len(page.images) == 0
    assert "取得できなかった" in page.extract_text()
