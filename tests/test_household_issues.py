"""Several 課題 per household (issue 12): saved with the household's version and audited;
shown, filtered and counted under the meeting and planner rules of every other detail."""

from __future__ import annotations

import pytest
from conftest import actor_for
from helpers import open_page
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from lsmap import access
from lsmap.access import AccessDenied, planning
from lsmap.access.card import card_facts
from lsmap.access.issues import household_issues, households_with_issues, ordered
from lsmap.coverage.breakdown import DIMENSIONS
from lsmap.maps.webmap import fetch_layers
from lsmap.records import RecordError, ValidationFailed
from lsmap.records.issues import set_issues
from lsmap.storage import db
from lsmap.storage.models import AuditEntry, Household


def _east_households(session: Session, actor: access.Actor) -> tuple[int, int]:
    """A household of 東地区 the meeting may see the details of, and one it may not."""
    ids = [p.id for p in access.household_points(session, actor, None)]
    counts = access.consent_counts(session, ids)
    shared = [h for h in ids if counts.get(h, (0, 0))[0] > 0 and counts[h][1] == 0]
    withheld = [h for h in ids if counts.get(h, (0, 0))[1] > 0]
    return shared[0], withheld[0]


def _version(engine: Engine, household_id: int) -> int:
    with Session(engine) as session:
        return session.get_one(Household, household_id).version


def test_issues_are_saved_versioned_audited_and_refused_when_wrong(
    writable_sample_engine: Engine,
) -> None:
    engine = writable_sample_engine
    with Session(engine) as session:
        staff = actor_for(session, "staff_east")
        west = actor_for(session, "staff_west")
        shared, _ = _east_households(session, actor_for(session, "meeting_east"))
    before = _version(engine, shared)
    after = set_issues(
        engine, staff, shared, ["8050", "elderly_alone", "8050"], " 日中独居 ", version=before
    )
    assert after == before + 1 == _version(engine, shared)
    with Session(engine) as session:
        issues = household_issues(session, staff, shared)
        entry = session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert issues is not None
    assert issues.issues == ("elderly_alone", "8050") and issues.note == "日中独居"
    assert issues.labels == ("一人暮らし高齢者", "8050")
    assert entry is not None and (entry.action, entry.entity, entry.entity_ids) == (
        "update",
        "household",
        [shared],
    )
    assert entry.detail["fields"] == ["issues", "issue_note"]
    assert "日中独居" not in str(entry.detail)
    # the same again changes nothing; a stale version, a wrong code, another district: refused
    assert (
        set_issues(engine, staff, shared, ["elderly_alone", "8050"], "日中独居", version=after)
        == after
    )
    with pytest.raises(RecordError, match="先にこの世帯を変更しました"):
        set_issues(engine, staff, shared, [], "", version=before)
    with pytest.raises(ValidationFailed):
        set_issues(engine, staff, shared, ["nonsense"], "", version=after)
    with pytest.raises(AccessDenied):
        set_issues(engine, west, shared, [], "", version=after)
    assert _version(engine, shared) == after


def test_meeting_and_planner_rules(writable_sample_engine: Engine) -> None:
    engine = writable_sample_engine
    with Session(engine) as session:
        staff = actor_for(session, "staff_east")
        meeting = actor_for(session, "meeting_east")
        planner = actor_for(session, "planner")
        shared, withheld = _east_households(session, meeting)
    for household in (shared, withheld):
        set_issues(engine, staff, household, ["abuse"], "", version=_version(engine, household))
    with Session(engine) as session:
        assert household_issues(session, meeting, shared).issues == ("abuse",)  # type: ignore[union-attr]
        assert household_issues(session, meeting, withheld) is None  # a number only
        assert household_issues(session, staff, withheld).issues == ("abuse",)  # type: ignore[union-attr]
        with pytest.raises(AccessDenied):
            household_issues(session, planner, shared)
        # a filter never reveals the 課題 of a withheld household
        both = [shared, withheld]
        assert households_with_issues(session, meeting, both, ["abuse"]) == {shared}
        assert households_with_issues(session, staff, both, ["abuse"]) == set(both)
        assert households_with_issues(session, staff, both, ["other"]) == set()
        assert households_with_issues(session, staff, both, []) == set(both)
        # the map's filter keeps only those households and their lines
        points = fetch_layers(session, staff, None, issues=["abuse"])
        assert {p.id for p in points["households"]} == set(both)
        assert {line.household_id for line in points["links"]} <= set(both)
        points = fetch_layers(session, meeting, None, issues=["abuse"])
        assert {p.id for p in points["households"]} == {shared}
        # the coverage breakdown: a dimension of its own, withheld for the meeting
        assert DIMENSIONS["concern_category"][0] == "課題"
        frame = planning.household_categories(session, meeting)
        issues = frame[frame["dimension"] == "concern_category"].set_index("household_id")
        assert issues.loc[shared, "category"] == "abuse"
        assert issues.loc[withheld, "category"] == planning.WITHHELD_CATEGORY
        counted = planning.household_categories(session, planner)
        assert "abuse" in set(counted[counted["dimension"] == "concern_category"]["category"])


def test_record_and_edit_pages_show_and_save_issues(
    writable_sample_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = writable_sample_engine
    url = engine.url.render_as_string(hide_password=False)
    with Session(engine) as session:
        staff = actor_for(session, "staff_east")
        shared, _ = _east_households(session, actor_for(session, "meeting_east"))
    query = {"household": str(shared)}
    with Session(engine) as session:
        before = household_issues(session, staff, shared)
    assert before is not None  # the sample's 課題 of this household, kept
    at = open_page("record_edit", staff, url, monkeypatch, query=query)
    assert not at.exception, at.exception
    assert [t.label for t in at.tabs][:2] == ["世帯", "課題"]
    assert [t.label for t in at.tabs][-1] == "終了・削除"  # not the tab that opens first
    box = next(m for m in at.multiselect if m.label == "課題（複数選べます）")
    box.select("dementia").select("disaster")
    next(t for t in at.text_area if t.label == "課題の補足").input("夜間ひとり")
    next(b for b in at.button if b.label == "課題を保存").click().run()
    assert not at.exception, at.exception
    assert any("課題を保存しました" in s.value for s in at.success)
    with Session(db.get_engine(url)) as session:
        saved = household_issues(session, staff, shared)
    assert saved is not None
    assert saved.issues == ordered({*before.issues, "dementia", "disaster"})
    # the card's health lines, in the 緊急連絡カード tab (the household's version moved)
    next(t for t in at.text_area if t.label == "持病").input("高血圧")
    next(t for t in at.text_area if t.label == "服薬").input("降圧剤（朝）")
    next(b for b in at.button if b.label == "カードの内容を保存").click().run()
    assert not at.exception, at.exception
    assert any("カードの内容を保存しました" in s.value for s in at.success)
    with Session(db.get_engine(url)) as session:
        facts = card_facts(session, staff, shared)
        entry = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "update").order_by(AuditEntry.id.desc())
        ).first()
    assert facts is not None and (facts.medical_conditions, facts.medications) == (
        "高血圧",
        "降圧剤(朝)",
    )
    assert entry is not None and entry.detail["fields"] == ["medical_conditions", "medications"]
    page = open_page("record", staff, url, monkeypatch, query=query)
    assert not page.exception, page.exception
    text = "\n".join(str(m.value) for m in page.markdown)
    assert "#### 課題" in text and "・".join(saved.labels) in text and "夜間ひとり" in text


def test_the_sample_town_has_issues_from_its_types_and_concerns(sample_engine: Engine) -> None:
    from sqlalchemy import func

    from lsmap.io.sample import sample_issues
    from lsmap.storage.models import HouseholdIssue

    with Session(sample_engine) as session:
        counts = dict(
            session.execute(
                select(HouseholdIssue.issue, func.count()).group_by(HouseholdIssue.issue)
            ).all()
        )
    assert counts["elderly_alone"] > 50 and counts["dementia"] > 10 and counts["8050"] > 0

    class Resident:
        concern_tags = ("物忘れ", "ゴミ出し困難", "8050")

    assert sample_issues("elderly_alone", [Resident()]) == {"elderly_alone", "dementia", "8050"}


def test_coverage_breakdown_by_issue(sample_session: Session) -> None:
    """課題 as a breakdown of coverage: one row per 課題 (a household may count in several),
    small counts protected for the planner as for every other breakdown."""
    from conftest import SAMPLE_TODAY, district_id
    from helpers import EAST

    from lsmap.coverage.breakdown import breakdown_table
    from lsmap.coverage.report import coverage_for

    for role in ("staff_east", "planner"):
        who = actor_for(sample_session, role)
        view = coverage_for(sample_session, who, today=SAMPLE_TODAY)
        frame = breakdown_table(
            sample_session,
            view,
            district_id(sample_session, EAST),
            "concern_category",
            "no_watcher",
        )
        assert list(frame.columns[:3]) == ["課題", "気がかりな世帯", "見守り者なし"]
        labels = set(frame["課題"])
        assert {"一人暮らし高齢者", "認知症の疑い"} <= labels, labels
        if role == "planner":
            assert not any(str(v) in {"1", "2", "3", "4"} for v in frame["気がかりな世帯"])
