"""User-written text renders inert: map popups, tooltips, pages; CSV cells are neutralised."""

from __future__ import annotations

import csv
import html
import io
import re
from datetime import UTC, datetime
from html.parser import HTMLParser

import pytest
from conftest import DatabaseFactory, actor_for
from helpers import (
    MARKDOWN_PAYLOADS,
    MARKDOWN_XSS,
    MD_IMAGE,
    XSS,
    app_login,
    live_markdown,
    markdown_sources,
    open_page,
)
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest

from lsmap.escape import WORD_JOINER, html_text, markdown_text, spreadsheet_cell
from lsmap.maps.payload import sent_features
from lsmap.maps.webmap import build_map
from lsmap.storage import audit, db
from lsmap.storage.models import (
    AuditEntry,
    ContactLog,
    Csw,
    District,
    EmergencyContact,
    Household,
    Resident,
    Resource,
    User,
    Watcher,
)

PAYLOADS = [
    XSS,
    "<script>alert(1)</script>",
    '"><svg onload=alert(1)>',
    "`${alert(1)}`",
    "[x](javascript:alert(1))",
    *MARKDOWN_PAYLOADS,
]


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
    return [
        text for f in sent_features(html) for text in (f["popup"], f["tooltip"], f["label"] or "")
    ]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_payloads_are_inert_in_map_popups_and_tooltips(
    writable_sample_engine: Engine, payload: str
) -> None:
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


def test_record_page_renders_payloads_as_text(
    writable_sample_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = writable_sample_engine.url.render_as_string(hide_password=False)
    with Session(writable_sample_engine) as session:
        household = session.scalars(
            select(Household).where(Household.location.is_not(None))
        ).first()
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
        session.add(
            AuditEntry(
                username='=HYPERLINK("x")',
                role="staff",
                action="view_record",
                entity="household",
                entity_ids=[3],
            )
        )
        session.commit()
        rows = list(
            csv.reader(io.StringIO(audit.entries_csv(list(session.scalars(select(AuditEntry))))))
        )
    assert rows[1][2] == '\'=HYPERLINK("x")'


def test_printouts_show_payloads_as_literal_text(writable_sample_engine: Engine) -> None:
    from pypdf import PdfReader

    from lsmap.printing.paper_map import PaperOptions, map_pdf
    from lsmap.printing.record_sheets import emergency_card_pdf, watch_record_pdf

    with Session(writable_sample_engine) as session:
        household = session.scalars(
            select(Household).where(Household.location.is_not(None))
        ).first()
        _poison(session, XSS)
        session.flush()
        staff = actor_for(session, "admin")
        for pdf in (
            watch_record_pdf(session, staff, household.id),
            emergency_card_pdf(session, staff, household.id),
            map_pdf(session, staff, household.district_id, PaperOptions(with_list=True)),
        ):
            text = re.sub(
                r"\s", "", "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
            )
            assert re.sub(r"\s", "", XSS) in text  # printed as the characters typed, nothing else
        session.rollback()


# ---------------------------------------------------------------- Markdown (issue 10, item 10)

#: Everything Streamlit's Markdown turns into markup, links or pictures.
MARKDOWN_SYNTAX = [
    *MARKDOWN_PAYLOADS,
    MARKDOWN_XSS,
    "[x](javascript:alert(1))",
    "https://evil.example/bare",
    "www.evil.example",
    "WWW.evil.example",
    "mail@evil.example",
    ":smile: :material/home: :streamlit:",
    "$x$ $$y$$",
    "**b** _i_ ~~s~~ `c`",
    ":blue-background[x] :blue-badge[y]",
    "<b>bold</b> &amp; &lt;",
    "a -> b <- c -- d",
    "名前\n===\n\n    code\n> q",
]


def _as_rendered(source: str) -> str:
    """The text a Markdown renderer shows for an escaped ``source`` (escapes, entities and
    hard breaks resolved, word joiners dropped)."""
    text = html.unescape(re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", source.replace("  \n", "\n")))
    return text.replace(WORD_JOINER, "").replace("\xa0", " ")


@pytest.mark.parametrize("value", MARKDOWN_SYNTAX)
def test_markdown_text_leaves_no_markup_and_keeps_the_text(value: str) -> None:
    escaped = markdown_text(value)
    assert live_markdown(escaped) == [], escaped
    # every ASCII punctuation is escaped, except the & and ; of the entities it wrote
    bare = re.sub(r"&(amp|lt|gt|nbsp);", "", re.sub(r"\\[!-/:-@\[-`{-~]", "", escaped))
    assert not re.search(r"[!-%'-/:<-@\[-`{-~]", bare), escaped
    # nothing Streamlit finds in the parsed text survives: shortcodes, bare links, arrows
    shown = html.unescape(re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", escaped))
    assert not re.search(r":[\w+-]+:|https?://|www\.|@\w|(^|\s)(->|<-|--)(\s|$)", shown), shown
    assert _as_rendered(escaped) == value.replace("\t", " ")
    assert "\n\n" not in escaped and not re.search(r"^ {4}", escaped, re.MULTILINE)


@pytest.fixture(scope="module")
def markdown_town(database_factory: DatabaseFactory) -> tuple[str, int]:
    """The sample town with Markdown in every user-written and imported string, one resident
    and one watcher soft-deleted; returns its URL and a household with a card."""
    url = database_factory.sample()
    engine = db.get_engine(url)
    with Session(engine) as session, session.no_autoflush:
        _poison(session, MARKDOWN_XSS)  # every text field (phones get a shorter payload)
        for row in session.scalars(select(Resident)):
            row.phone, row.consent_basis, row.consent_recorded_by = (
                MD_IMAGE,
                MARKDOWN_XSS,
                MARKDOWN_XSS,
            )
        for model in (Watcher, Resource, EmergencyContact, Csw):
            for row in session.scalars(select(model)):
                row.phone = MD_IMAGE
        for user in session.scalars(select(User)):
            user.display_name = MARKDOWN_XSS
        session.flush()
        household = session.scalars(
            select(Household)
            .join(EmergencyContact)
            .join(Resident)
            .where(Household.location.is_not(None))
        ).first()
        now = datetime.now(UTC)
        session.scalars(
            select(Resident).where(Resident.household_id != household.id)
        ).first().deleted_at = now
        session.scalars(select(Watcher)).first().deleted_at = now
        session.commit()
        return url, household.id


MARKDOWN_PAGES = [
    "start",
    "map",
    "record",
    "record_edit",
    "watchers",
    "deleted",
    "coverage",
    "gaps",
    "export",
    "audit",
    "import",
    "users",
    "resources",
]


@pytest.mark.parametrize("page", MARKDOWN_PAGES)
def test_pages_render_user_strings_as_literal_markdown(
    markdown_town: tuple[str, int], page: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    url, household_id = markdown_town
    with Session(db.get_engine(url)) as session:
        actor = actor_for(session, "admin")
    query = {"household": str(household_id)} if page in ("record", "record_edit") else None
    at = open_page(page, actor, url, monkeypatch, query=query)
    assert not at.exception, at.exception
    sources = markdown_sources(at)
    leaks = {text: live_markdown(text) for text in sources if live_markdown(text)}
    assert leaks == {}, leaks
    # the payload did reach Markdown on this page (the user box at least), escaped
    assert any(markdown_text(MARKDOWN_XSS) in text for text in sources), sources


def test_edit_page_labels_residents_and_cards_literally(
    markdown_town: tuple[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    url, household_id = markdown_town
    with Session(db.get_engine(url)) as session:
        actor = actor_for(session, "admin")
    at = open_page("record_edit", actor, url, monkeypatch, query={"household": str(household_id)})
    labels = [e.label for e in at.expander]
    assert any(label.startswith(markdown_text(MARKDOWN_XSS) + "（") for label in labels), (
        labels
    )  # resident
    assert any(markdown_text(MD_IMAGE) in label for label in labels), labels  # card: name and phone


def test_stale_save_shows_the_saved_values_as_literal_text(monkeypatch: pytest.MonkeyPatch) -> None:
    from streamlit.testing.v1 import AppTest

    def script(payload: str) -> None:
        from lsmap import records
        from lsmap.ui import editing

        def save() -> None:
            raise records.StaleRecord(
                "resident", ["name", "phone"], payload, {"name": payload, "phone": payload}
            )

        editing.attempt(save)

    at = AppTest.from_function(script, args=(MARKDOWN_XSS,)).run()
    assert not at.exception, at.exception
    cells = [str(v) for v in at.table[0].value.to_numpy().ravel()]
    assert markdown_text(MARKDOWN_XSS) in cells, cells
    assert {text: live_markdown(text) for text in markdown_sources(at) if live_markdown(text)} == {}


def test_import_page_shows_file_names_and_headers_literally(
    writable_sample_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = writable_sample_engine.url.render_as_string(hide_password=False)
    with Session(writable_sample_engine) as session:
        actor = actor_for(session, "admin")
    data = ("名称,住所,緯度,経度," + MARKDOWN_XSS + "\r\nサロン,さくら台,北,139.4,x\r\n").encode(
        "utf-8"
    )
    at = open_page("import", actor, url, monkeypatch)
    at.radio(key="imp_kind").set_value("resources").run()
    at.file_uploader(key="imp_file_resources").set_value(
        (MARKDOWN_XSS + ".csv", data, "text/csv")
    ).run()
    at.button(key="imp_check_button").click().run()
    assert not at.exception, at.exception
    sources = markdown_sources(at)
    assert {text: live_markdown(text) for text in sources if live_markdown(text)} == {}
    assert sum(markdown_text(MARKDOWN_XSS) in text for text in sources) >= 2, (
        sources
    )  # file name, unused column
