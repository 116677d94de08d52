"""Smoke tests of the coverage page and the gap list through Streamlit's AppTest."""

from __future__ import annotations

import pytest
from conftest import actor_for
from helpers import open_page
from sqlalchemy.orm import Session
from streamlit.testing.v1 import AppTest

from lsmap import access
from lsmap.access import Actor
from lsmap.storage import db


def _open(page: str, actor: Actor, url: str, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    return open_page(page, actor, url, monkeypatch)


def _actor(url: str, username: str) -> tuple[Actor, set[str]]:
    """The actor and every resident name of the town (to prove none is shown)."""
    with Session(db.get_engine(url)) as session:
        actor = actor_for(session, username)
        admin = actor_for(session, "admin")
        names = {
            r.name
            for p in access.household_points(session, admin, None)
            for r in p.residents
            if r.name
        }
        session.rollback()
    return actor, names


def _main_table(at: AppTest):  # type: ignore[no-untyped-def]
    """The ranked district table (the one with a 順位 column)."""
    return next(f.value for f in at.dataframe if "順位" in f.value.columns)


def _cells(at: AppTest) -> list[str]:
    return [str(v) for frame in at.dataframe for v in frame.value.to_numpy().ravel()]


def test_pages_by_role(app_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    pages = {}
    for username in ("admin", "staff_east", "meeting_east", "planner"):
        at = _open("roles", _actor(app_url, username)[0], app_url, monkeypatch)
        pages[username] = at.text[0].value.split("|")
    assert all("coverage" in p for p in pages.values())
    assert (
        "gaps" in pages["staff_east"]
        and "gaps" in pages["meeting_east"]
        and "gaps" not in pages["planner"]
    )


def test_planner_sees_aggregates_only_with_small_counts_hidden(
    app_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    planner, names = _actor(app_url, "planner")
    at = _open("coverage", planner, app_url, monkeypatch)
    assert not at.exception, at.exception
    assert "カバー状況（地区別の集計）" in [s.value for s in at.subheader]
    table = _main_table(at)
    assert len(table) == 20 and "見守り者なし" in table.columns  # the 20 町内
    cells = _cells(at)
    assert "<5" in cells
    assert not names & set(cells)
    assert not any(name in md.value for md in at.markdown for name in names)
    assert not any(str(v) in {"1", "2", "3", "4"} for v in table["見守り者なし"])


def test_planner_can_change_the_level(app_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    planner, _ = _actor(app_url, "planner")
    at = _open("coverage", planner, app_url, monkeypatch)
    at.sidebar.selectbox[0].select("district").run()
    assert not at.exception, at.exception
    table = _main_table(at)  # ranked worst first on the chosen indicator (issue 16)
    assert sorted(table["地区名"]) == sorted(["東地区", "西地区", "北地区"])
    assert list(table["順位"]) == ["1", "2", "3"]


def test_planner_radius_below_500_m_is_raised_and_said_so(
    app_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for username, told in (("planner", True), ("staff_east", False)):
        at = _open("coverage", _actor(app_url, username)[0], app_url, monkeypatch)
        at.sidebar.number_input[0].set_value(100).run()
        assert not at.exception, at.exception
        notes = [i.value for i in at.info] + [c.value for c in at.caption]
        assert any("500 m で計算しています" in n for n in notes) == told, username
        assert any(("100 m を基準" if not told else "500 m を基準") in n for n in notes)
        if told:  # siting help for the whole town: only places that reach 5+ households
            at.session_state["coverage-siting-open"] = True  # the section computes when open
            at.sidebar.selectbox[0].select("municipality").run()
            next(b for b in at.selectbox if b.label == "資源の種類").select("food_bank").run()
            sites = next(f.value for f in at.dataframe if "増える世帯" in f.value.columns)
            assert len(sites) > 0 and all(int(v) >= 5 for v in sites["増える世帯"])
            assert any("1000 m 四方の格子点に丸めた位置" in c.value for c in at.caption)


def test_gap_list_for_a_meeting_links_to_records(
    app_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    meeting, _ = _actor(app_url, "meeting_east")
    at = _open("gaps", meeting, app_url, monkeypatch)
    assert not at.exception, at.exception
    table = at.dataframe[0].value
    assert len(table) > 0
    assert all(link.startswith("/record?household=") for link in table["記録"])
    with Session(db.get_engine(app_url)) as session:
        visible = {p.number: p for p in access.household_points(session, meeting, None)}
        session.rollback()
    for number, names in zip(table["No."], table["氏名"], strict=True):
        projected = "・".join(r.name for r in visible[number].residents if r.name)
        assert names == (projected or "（同意なし・非表示）")


def test_planner_page_ranks_says_the_distance_draws_trends_and_sites_only_when_open(
    app_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    planner, _ = _actor(app_url, "planner")
    at = _open("coverage", planner, app_url, monkeypatch)
    assert not at.exception, at.exception
    assert any("道路に沿って歩く距離" in c.value for c in at.caption)
    table = _main_table(at)
    rates = [float(v) for v in table["気がかりな世帯（1,000世帯あたり）"] if v]
    assert rates == sorted(rates, reverse=True) and len(rates) == 20
    assert list(table["順位"][:3]) == ["1", "2", "3"]
    assert at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")  # the trend chart
    assert not any(b.label == "資源の種類" for b in at.selectbox)  # siting not computed
    at.sidebar.selectbox[0].select("district").run()
    at.sidebar.selectbox[1].select("rate_volunteers_per_50").run()  # low is worse
    assert not at.exception, at.exception
    shown = [float(v) for v in _main_table(at)["福祉推進員（50世帯あたり、目標1.0）"] if v]
    assert len(shown) == 3 and shown == sorted(shown)
