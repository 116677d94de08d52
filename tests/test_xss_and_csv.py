"""User-written text renders inert: map popups, tooltips, pages; CSV cells are neutralised."""

from __future__ import annotations

import csv
import io
import re
from html.parser import HTMLParser

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest

from conftest import actor_for
from helpers import XSS, app_login
from lsmap import audit
from lsmap.escape import html_text, markdown_text, spreadsheet_cell
from lsmap.mapview import build_map, sent_features
from lsmap.models import AuditEntry, ContactLog, Csw, District, EmergencyContact, Household, Resident, Resource, Watcher

PAYLOADS = [XSS, "<script>alert(1)</script>", '"><svg onload=alert(1)>', "`${alert(1)}`", "[x](javascript:alert(1))"]


def _poison(session: Session, payload: str) -> None:
    """Put ``payload`` into every user-written text field of the sample town's east."""
    for resident in session.scalars(select(Resident)):
        resident.name = payload
        resident.furigana = payload
        resident.phone = payload
        resident.concerns = payload
        resident.concern_tags = [payload]
    for household in session.scalars(select(Household)):
        household.address = payload
        household.note = payload
    for watcher in session.scalars(select(Watcher)):
        watcher.name = payload
        watcher.phone = payload
    for resource in session.scalars(select(Resource)):
        resource.name = payload
        resource.address = payload
        resource.schedule = payload
        resource.phone = payload
    for csw in session.scalars(select(Csw)):
        csw.name = payload
    for district in session.scalars(select(District)):
        district.name = payload
    for contact in session.scalars(select(ContactLog)):
        contact.observation = payload
    for card in session.scalars(select(EmergencyContact)):
        card.name = payload
        card.note = payload


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: set[str] = set()
        self.attributes: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.add(tag)
        self.attributes.update(name for name, _ in attrs)
        if tag == "a":
            href = dict(attrs).get("href") or ""
            assert re.fullmatch(r"/record\?household=\d+", href), href


def _markup(text: str) -> tuple[set[str], set[str]]:
    collector = _Collector()
    collector.feed(text)
    return collector.tags, collector.attributes


def _strings(html: str) -> list[str]:
    """Popup and tooltip HTML the browser builds from what the map sends."""
    return [text for f in sent_features(html) for text in (f["popup"], f["tooltip"], f["label"] or "")]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_payloads_are_inert_in_map_popups_and_tooltips(writable_sample_engine: Engine, payload: str) -> None:
    with Session(writable_sample_engine) as session:
        _poison(session, payload)
        session.flush()
        for username in ("staff_east", "meeting_east", "planner", "admin"):
            html = build_map(session, actor_for(session, username), None).map.get_root().render()
            strings = _strings(html)
            assert strings
            for text in strings:
                # only lsmap's own elements and attributes exist once the browser parses it
                tags, attributes = _markup(text)
                assert tags <= {"div", "table", "tr", "th", "td", "p", "a"}, tags
                assert attributes <= {"class", "href", "target", "rel"}, attributes
            assert any(html_text(payload) in text for text in strings)
        session.rollback()


def test_escaping_helpers() -> None:
    assert html_text(XSS) == "&lt;img src=x onerror=alert(1)&gt;"
    assert html_text("a\"b'c") == "a&quot;b&#x27;c"
    rendered = markdown_text("[x](javascript:alert(1)) <b>*bold*</b>")
    assert "<" not in rendered and "](" not in rendered and "\\*bold\\*" in rendered


def test_record_page_renders_payloads_as_text(writable_sample_engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    url = writable_sample_engine.url.render_as_string(hide_password=False)
    with Session(writable_sample_engine) as session:
        household = session.scalars(select(Household).where(Household.location.is_not(None))).first()
        _poison(session, XSS)
        session.commit()
        household_id = household.id
    monkeypatch.setenv("LSMAP_DATABASE_URL", url)
    at = AppTest.from_file("../app.py", default_timeout=60)
    at.run()
    app_login(at, "admin", "lsmap-demo")
    picker = next(s for s in at.sidebar.selectbox if s.label == "世帯の見守り記録を開く")
    picker.select(household_id).run()
    next(b for b in at.sidebar.button if b.label == "記録を開く").click().run()
    assert not at.exception, at.exception
    markdown = "\n".join(m.value for m in at.markdown)
    assert "<img" not in markdown and "&lt;img" in markdown
    assert at.dataframe[0].value["氏名"].tolist()[0] == XSS  # a dataframe cell is plain text


@pytest.mark.parametrize("value", ["=1+1", "+cmd", "-2+3", "@SUM(A1)", "\t=x", "\r=x"])
def test_formula_cells_are_neutralised(value: str) -> None:
    assert spreadsheet_cell(value) == "'" + value
    assert spreadsheet_cell("山田") == "山田" and spreadsheet_cell(-5) == -5


def test_audit_csv_neutralises_cells(engine: Engine) -> None:
    with Session(engine) as session:
        session.add(AuditEntry(username="=HYPERLINK(\"x\")", role="staff", action="view_record",
                               entity="household", entity_ids=[3]))
        session.commit()
        rows = list(csv.reader(io.StringIO(audit.entries_csv(list(session.scalars(select(AuditEntry)))))))
    assert rows[1][2] == "'=HYPERLINK(\"x\")"


def test_printouts_show_payloads_as_literal_text(writable_sample_engine: Engine) -> None:
    from pypdf import PdfReader

    from lsmap.paper import PaperOptions, map_pdf
    from lsmap.printing import emergency_card_pdf, watch_record_pdf

    with Session(writable_sample_engine) as session:
        household = session.scalars(select(Household).where(Household.location.is_not(None))).first()
        _poison(session, XSS)
        session.flush()
        staff = actor_for(session, "admin")
        for pdf in (watch_record_pdf(session, staff, household.id), emergency_card_pdf(session, staff, household.id),
                    map_pdf(session, staff, household.district_id, PaperOptions(with_list=True))):
            text = re.sub(r"\s", "", "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages))
            assert re.sub(r"\s", "", XSS) in text  # printed as the characters typed, nothing else
        session.rollback()
