"""地図: the chosen district with its layers, legend and links to the watch records."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

import pandas as pd
import streamlit as st
from streamlit_folium import st_folium

from lsmap import access
from lsmap.access.map_defaults import default_map_district, neighbourhoods_within
from lsmap.access.views import NO_CONSENTED_RESIDENT, DistrictInfo, HouseholdPoint
from lsmap.escape import markdown_text
from lsmap.maps.webmap import build_map
from lsmap.settings import get_settings
from lsmap.storage import audit, db
from lsmap.ui import downloads
from lsmap.ui.context import chosen_district, require_actor
from lsmap.ui.links import go
from lsmap.ui.sidebar import user_box
from lsmap.vocab import DISTRICT_LEVELS, HOUSEHOLD_ISSUES, LEVEL_DEPTH, AuditAction, Entity

if TYPE_CHECKING:
    from lsmap.printing.paper_map import PaperOptions


def _label(district: DistrictInfo) -> str:
    indent = "　" * LEVEL_DEPTH.get(district.level, 0)
    return f"{indent}{district.name}（{DISTRICT_LEVELS.get(district.level, district.level)}）"


def render() -> None:
    """Draw the map page."""
    actor = require_actor()

    user_box(actor)
    settings = get_settings()
    with db.transaction(db.get_engine()) as session:
        districts = access.visible_districts(session, actor)
        if not districts:
            st.warning("担当地区が割り当てられていません。管理者に連絡してください。")
            return
        by_id = {d.id: d for d in districts}
        ids = list(by_id)
        # A meeting opens on its first 町内; the choice is remembered for the session.
        default = chosen_district(ids, default_map_district(actor, districts))
        district_id = st.sidebar.selectbox(
            "表示する地区",
            ids,
            index=ids.index(default) if default in ids else 0,
            format_func=lambda i: _label(by_id[i]),
        )
        st.session_state["district_choice"] = district_id
        meeting_mode, few_only = _view_toggles(actor)
        issues = _issue_filter(actor)
        result = build_map(
            session,
            actor,
            district_id,
            basemap=settings.basemap,
            meeting_mode=meeting_mode,
            few_watchers_only=few_only,
            issues=issues,
        )
        show_names = meeting_mode and st.sidebar.toggle("名簿を表示", value=False)
        if show_names:
            audit.log(session, actor, AuditAction.NAME_LIST, Entity.HOUSEHOLD, result.household_ids)
    households = result.points.get("households", [])

    st.subheader(f"地図 — {markdown_text(by_id[district_id].name)}")
    st.caption(
        "レイヤーの表示・非表示は地図右上で切り替えます。点をクリックすると詳細が開き、"
        "世帯は「見守り記録を開く」から記録へ進めます。背景地図が読み込めないときも境界と点は表示されます。"
    )
    map_column, list_column = st.columns([3, 1]) if show_names else (st.container(), None)
    with map_column:
        st_folium(
            result.map,
            height=640,
            use_container_width=True,
            returned_objects=[],
            key=f"district-map-{district_id}-{int(meeting_mode)}-{int(few_only)}-{'.'.join(issues)}",
        )
    if list_column is not None:
        with list_column:
            st.markdown("**名簿**（会議の参加者に見せてよいか確認してから表示してください）")
            st.dataframe(
                name_list(households), hide_index=True, use_container_width=True, height=600
            )
    if access.may_print_map(actor):
        _paper_download(actor, districts, district_id, few_only, result.points)
    if access.aggregates_only(actor):
        st.info("計画担当の方には個人の点は表示されません（資源と地区の境界のみ）。")
    if households:
        _record_picker(households, with_names=not meeting_mode)


def _view_toggles(actor: access.Actor) -> tuple[bool, bool]:
    """Meeting mode and "thinly watched only", for the roles that may use them."""
    meeting_mode = access.may_use_meeting_mode(actor) and st.sidebar.toggle(
        "会議モード（番号で表示）",
        value=access.meeting_mode_default(actor),
        help="スクリーンや紙で共有するときに。地図には番号だけを表示し、名簿は別に表示します。",
    )
    few_only = access.may_use_meeting_mode(actor) and st.sidebar.toggle(
        "見守り者が0〜1人の世帯だけ表示",
        help="見守りの手が薄い世帯を探すときに。線（見守りのつながり）もその世帯の分だけになります。",
    )
    return meeting_mode, few_only


def _record_picker(households: list[HouseholdPoint], *, with_names: bool) -> None:
    """A sidebar choice of the households on the map, to open one's record."""
    with st.sidebar:
        st.divider()
        choice = st.selectbox(
            "世帯の見守り記録を開く",
            [p.id for p in households],
            format_func=lambda hid: _household_label(households, hid, with_names=with_names),
            index=None,
            placeholder="番号で選ぶ",
        )
        if choice is not None and st.button("記録を開く", type="primary"):
            go("record", household=str(choice))


def name_list(points: list[HouseholdPoint]) -> pd.DataFrame:
    """The meeting's numbered name list: only names the viewer may see."""
    return pd.DataFrame(
        {
            "番号": [p.number for p in points],
            "氏名": [_list_names(p) for p in points],
            "見守り者": [p.watcher_count for p in points],
        }
    )


def _list_names(point: HouseholdPoint) -> str:
    names = "・".join(r.name for r in point.residents if r.name)
    if point.hidden_residents:
        return names + "（同意のない方あり）"
    return NO_CONSENTED_RESIDENT if point.details_withheld and not names else names


def _household_label(points: list[HouseholdPoint], household_id: int, *, with_names: bool) -> str:
    point = next(p for p in points if p.id == household_id)
    names = "・".join(r.name for r in point.residents if r.name) if with_names else ""
    return f"No.{point.number} {names}" if names else f"No.{point.number}"


def _paper_download(
    actor: access.Actor,
    districts: list[DistrictInfo],
    district_id: int,
    few_only: bool,
    made_from: object,
) -> None:
    """印刷用PDF: the meeting map on A3/A4 paper, one 町内 per map (the meeting's paper
    unit), with the name list as a separate page that can be withheld; or every 町内 of the
    chosen district at once, one PDF each in a zip (with progress; audited once).

    ``made_from`` is the map's data as read now; a file is offered only to the user it was
    made for, while the data and the options are unchanged.
    """
    from lsmap.printing.paper_map import PaperOptions

    units = neighbourhoods_within(districts, district_id)
    with st.expander("印刷用PDF（会議の配布・掲示用）"):
        scope = _scope(units, district_id)
        left, middle, right = st.columns(3)
        paper = left.radio("用紙", ["A3", "A4"], horizontal=True)
        landscape = middle.radio("向き", ["横", "縦"], horizontal=True) == "横"
        with_list = right.checkbox(
            "番号一覧（名簿）のページを付ける",
            value=False,
            help="名簿は別ページです。配布しないときは外してください。",
        )
        options = PaperOptions(
            paper=paper,
            landscape=landscape,
            with_list=with_list,
            few_watchers_only=few_only,
            basemap=get_settings().basemap,
        )
        made_from = (scope, made_from)
        key = downloads.file_key(actor, "paper_map", district_id, options, date.today(), made_from)
        if scope == "all":
            _batch_download(
                actor, district_id, _name_of(districts, district_id), units, options, key
            )
        else:
            _single_download(actor, district_id, _name_of(districts, district_id), options, key)


def _scope(units: list[DistrictInfo], district_id: int) -> str:
    """「全町丁目を一括で印刷」 (the default) or 「表示中の区域を1枚に」 when the shown area holds
    more than itself; "one" for a single 町内."""
    if not units or (len(units) == 1 and units[0].id == district_id):
        return "one"
    labels = {
        "all": f"全町丁目を一括で印刷（町丁目ごとに1つのPDF・{len(units)}町丁目をzipで）",
        "one": "表示中の区域を1枚に",
    }
    return str(
        st.radio(
            "印刷する範囲",
            list(labels),
            format_func=lambda key: labels[key],
            help="会議では1町丁目（約50世帯）ずつの地図が読みやすく、番号も大きく印刷されます。",
        )
    )


def _name_of(districts: list[DistrictInfo], district_id: int) -> str:
    return next((d.name for d in districts if d.id == district_id), "")


def _single_download(
    actor: access.Actor, district_id: int, name: str, options: PaperOptions, key: str
) -> None:
    from lsmap.printing.paper_map import map_pdf

    if st.button("PDFを作成"):
        with db.transaction(db.get_engine()) as session:
            downloads.keep("paper_pdf", key, map_pdf(session, actor, district_id, options))
    if (pdf := downloads.kept("paper_pdf", key)) is not None:
        downloads.download_button(
            actor,
            "PDFをダウンロード",
            pdf,
            file_name=f"{name}_支え合い福祉マップ.pdf",
            mime="application/pdf",
            what="paper_map",
            entity="district",
            ids=[district_id],
            then_drop="paper_pdf",
        )


def _batch_download(
    actor: access.Actor,
    district_id: int,
    name: str,
    units: list[DistrictInfo],
    options: PaperOptions,
    key: str,
) -> None:
    """Make every 町内's PDF with a progress bar, then offer the zip."""
    from lsmap.printing.paper_batch import neighbourhood_batch

    if st.button(f"{len(units)}町丁目のPDFをまとめて作成", type="primary"):
        bar = st.progress(0.0, text="作成を始めます…")

        def progress(done: int, total: int, name: str) -> None:
            bar.progress(
                done / total, text=f"作成中 {done}/{total} 町丁目（{markdown_text(name)}）"
            )

        try:
            with db.transaction(db.get_engine()) as session:
                batch = neighbourhood_batch(session, actor, district_id, options, progress=progress)
        except access.AccessDenied as denied:
            bar.empty()
            st.error(denied.message)
            return
        bar.progress(1.0, text=f"{len(batch.districts)} 町丁目のPDFを作成しました")
        downloads.keep("paper_zip", key, batch.data)
    if (data := downloads.kept("paper_zip", key)) is not None:
        downloads.download_button(
            actor,
            "zipをダウンロード",
            data,
            file_name=f"{name}_全町丁目_支え合い福祉マップ.zip",
            mime="application/zip",
            what="paper_map_batch",
            entity="district",
            ids=[unit.id for unit in units],
            then_drop="paper_zip",
        )


def _issue_filter(actor: access.Actor) -> list[str]:
    """The 課題 the map is narrowed to (roles that see people; empty: all households)."""
    if not access.sees_people(actor):
        return []
    return st.sidebar.multiselect(
        "課題で絞り込む",
        list(HOUSEHOLD_ISSUES),
        format_func=lambda code: HOUSEHOLD_ISSUES[code],
        placeholder="すべての世帯",
        help="選んだ課題のどれかがある世帯だけを表示します（課題を見られない世帯は出ません）。",
    )
