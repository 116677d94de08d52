"""カバー状況: which district is worst, and why (every role; aggregates only).

Ranked table (worst first on the chosen indicator) with Japanese headings and its CSV, a
labelled choropleth, rates against the census, a breakdown by category, the indicators over
time (monthly snapshots) with their CSV, and siting help computed only when its section is
open. Planners see counts 1–4 as "<5" (and counts that would give one away as "X"), no rate
whose numerator is hidden, a radius of at least 500 m and rounded siting suggestions. No
household appears on this page. Distances are walked along the road network when one is
loaded; the page says which distance is in use.
"""

from __future__ import annotations

import contextlib
from datetime import date

import pandas as pd
import streamlit as st
from sqlalchemy.exc import SQLAlchemyError
from streamlit_folium import st_folium

from lsmap.coverage.history import ensure_monthly_snapshot
from lsmap.coverage.presentation import INDICATORS, presented
from lsmap.coverage.report import CoverageView, coverage_for, csv_bytes, district_table
from lsmap.coverage.settings import DEFAULT_COVERAGE_SETTINGS
from lsmap.settings import get_settings
from lsmap.storage import db
from lsmap.ui import downloads
from lsmap.ui.context import require_actor
from lsmap.ui.coverage_map import choropleth
from lsmap.ui.coverage_sections import breakdown_section, siting_section, trend_section
from lsmap.ui.sidebar import user_box
from lsmap.vocab import DISTRICT_LEVELS

#: Indicators offered for ranking and colouring, in the order of the chooser.
CHOICES: tuple[str, ...] = tuple(INDICATORS)
DEFAULT_INDICATOR = "rate_households_per_1000"


def _sidebar() -> tuple[str, str, float]:
    with st.sidebar:
        levels = list(DISTRICT_LEVELS)
        level = st.selectbox(
            "地区の階層",
            levels,
            index=levels.index("neighbourhood"),
            format_func=lambda code: DISTRICT_LEVELS[code],
        )
        indicator = st.selectbox(
            "並べ替え・色分けの指標",
            CHOICES,
            index=CHOICES.index(DEFAULT_INDICATOR),
            format_func=lambda c: INDICATORS[c].label,
            help="表は、この指標で状況のよくない地区から順に並びます",
        )
        radius = st.number_input(
            "資源までの距離の基準（m）",
            min_value=100,
            max_value=5000,
            value=int(DEFAULT_COVERAGE_SETTINGS.radius_m),
            step=100,
        )
    return level, indicator, float(radius)


def render() -> None:
    """Draw the coverage page."""
    actor = require_actor()
    user_box(actor)
    st.subheader("カバー状況（地区別の集計）")
    level, indicator, radius = _sidebar()
    engine = db.get_engine()
    with contextlib.suppress(SQLAlchemyError):  # the month's record can wait; the page not
        ensure_monthly_snapshot(engine, date.today())
    cfg = DEFAULT_COVERAGE_SETTINGS.with_overrides(radius_m=radius)
    with db.transaction(engine) as session:
        view = coverage_for(session, actor, settings=cfg)
        table = district_table(session, view, level)
    if table.empty:
        st.warning("表示できる地区がありません。")
        return
    _notes(view, table)
    sites = siting_section(view, table)
    st_folium(
        choropleth(view, table, indicator, get_settings().basemap, sites),
        height=540,
        use_container_width=True,
        returned_objects=[],
        key=f"coverage-map-{level}-{indicator}",
    )
    _ranked_table(view, table, indicator, level)
    breakdown_section(view, table, indicator)
    trend_section(view, table, level, indicator)


def _notes(view: CoverageView, table: pd.DataFrame) -> None:
    """What the actor's release policy changed, which distance and denominators are used."""
    policy = view.policy
    if policy.radius_raised:
        st.info(
            "計画担当の方は、世帯の位置が推測されないよう、"
            f"距離の基準を {policy.min_radius_m:g} m 未満にできません。"
            f"{policy.asked_radius_m:g} m の指定に代えて {policy.radius_m:g} m で計算しています。"
        )
    if view.network is None:
        st.info(view.distance_note)
    text = "" if view.network is None else view.distance_note
    if policy.suppress:
        small = policy.small_count
        text += (
            f"計画担当の方には 1〜{small - 1} の件数は「<{small}」と表示し、上位の地区の合計から"
            f"「<{small}」の値が割り出せてしまう件数も「X」として伏せています。伏せた件数から"
            "求める率も表示しません。"
        )
    if table["census_households"].isna().all():
        text += (
            "国勢調査の小地域統計が取り込まれていないため、世帯数あたりの率は表示できません"
            "（管理者が「取り込み」ページで取り込めます）。"
        )
    elif int(table["census_missing"].sum()) > 0:
        text += "統計のない町丁目を含む地区の率は、その町丁目の分だけ高めに出ます。"
    st.caption(text)


def _ranked_table(view: CoverageView, table: pd.DataFrame, indicator: str, level: str) -> None:
    spec = INDICATORS[indicator]
    order = "高い" if spec.higher_is_worse else "低い"
    st.markdown(f"**地区の順位**（{spec.label}が{order}順。割合は%、率は小数第1位まで）")
    shown = presented(table, indicator)
    st.dataframe(
        shown.map(lambda v: "" if v is None or pd.isna(v) else str(v)),
        hide_index=True,
        use_container_width=True,
    )
    downloads.download_button(
        view.actor,
        "この表をCSVで書き出す",
        csv_bytes(shown),
        file_name=f"coverage_{level}.csv",
        mime="text/csv",
        what="coverage_table",
    )
