"""Sections of the coverage page below the map: breakdown, trends and siting help."""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd
import streamlit as st

from lsmap.access import planning
from lsmap.coverage.breakdown import DIMENSIONS, breakdown_table
from lsmap.coverage.history import TRIGGER_LABELS, take_snapshot, trend_table
from lsmap.coverage.presentation import INDICATORS, number, presented_trends, ranked
from lsmap.coverage.report import CoverageView, csv_bytes, siting, suppressed
from lsmap.coverage.settings import DISTANCE_KIND_LABELS, DISTANCE_KINDS
from lsmap.escape import markdown_text
from lsmap.storage import db
from lsmap.ui import downloads
from lsmap.vocab import RESOURCE_KINDS


def _names(table: pd.DataFrame) -> dict[str, str]:
    return dict(zip(table["district_code"], table["district_name"], strict=True))


def breakdown_section(view: CoverageView, table: pd.DataFrame, indicator: str) -> None:
    """Why: the chosen district's households by category (and with the indicator)."""
    st.markdown("**内訳**（どんな世帯が多いか）")
    order = ranked(table, indicator)["district_code"].tolist()
    names = _names(table)
    col1, col2 = st.columns(2)
    code = col1.selectbox("内訳を見る地区", order, format_func=lambda c: names[c])
    dimension = col2.selectbox("分け方", list(DIMENSIONS), format_func=lambda d: DIMENSIONS[d][0])
    column = indicator.removeprefix("share_")
    counted = column if indicator.startswith("share_") and column in view.result.districts else None
    district = view.result.districts.set_index("district_code").loc[code, "district_id"]
    with db.transaction(db.get_engine()) as session:
        frame = breakdown_table(session, view, int(district), dimension, counted)
    st.dataframe(
        frame.map(lambda v: "" if v is None or pd.isna(v) else str(v)),
        hide_index=True,
        use_container_width=True,
    )


def _chart_frame(trends: pd.DataFrame, indicator: str, names: list[str]) -> pd.DataFrame:
    """Dates down, one column per chosen district (hidden values are gaps)."""
    scale = 100.0 if INDICATORS[indicator].kind == "share" else 1.0
    values = [number(v) for v in trends[indicator]]
    frame = pd.DataFrame(
        {
            "記録日": [f"{d:%Y-%m-%d}" for d in trends["as_of"]],
            "地区": trends["district_name"].to_numpy(),
            "値": [None if v is None else round(v * scale, 1) for v in values],
        }
    )
    frame = frame[frame["地区"].isin(names)]
    wide = frame.pivot_table(index="記録日", columns="地区", values="値", aggfunc="first")
    return wide.reindex(columns=[n for n in names if n in wide.columns])


def trend_section(view: CoverageView, table: pd.DataFrame, level: str, indicator: str) -> None:
    """The indicator over time per district (monthly snapshots), its CSV and, for those
    who may, a button to record the situation now."""
    spec = INDICATORS[indicator]
    unit = "（%）" if spec.kind == "share" else ""
    st.markdown(f"**推移**：{markdown_text(spec.label)}{unit}（毎月の記録）")
    engine = db.get_engine()
    with db.transaction(engine) as session:
        trends = trend_table(session, view.actor, level)
    if trends.empty:
        st.info("まだ記録がありません。毎月はじめにこのページを開いたときに自動で記録されます。")
    else:
        worst = ranked(table, indicator)["district_name"].tolist()
        names = st.multiselect("グラフに表示する地区", worst, default=worst[:5])
        st.line_chart(_chart_frame(trends, indicator, names), x_label="記録日", y_label=spec.label)
        st.caption(
            "「記録から再構成」は、世帯・見守りの登録日と連絡の記録から過去の月末の状況を"
            "計算し直したものです。伏せた件数（「<5」「X」）とそれから求める率は線が途切れます。"
        )
        downloads.download_button(
            view.actor,
            "推移をCSVで書き出す（地区ごと・記録ごとに1行）",
            csv_bytes(presented_trends(trends, TRIGGER_LABELS)),
            file_name=f"coverage_trends_{level}.csv",
            mime="text/csv",
            what="coverage_trends",
        )
    if planning.may_take_snapshot(view.actor) and st.button("今の状況を記録する"):
        with db.transaction(engine) as session:
            take_snapshot(session, as_of=date.today(), trigger="manual", taken_by=view.actor)
        st.success("今の状況を記録しました。")
        st.rerun()


def _site_rows(view: CoverageView, picks: list[Any]) -> pd.DataFrame:
    planner = view.policy.suppress
    source = {"resource": "既存の資源の場所", "grid": "地図上の地点"}

    def what(pick: Any) -> str:
        if not pick.resource_kind:
            return source[pick.source]
        kind = DISTANCE_KIND_LABELS.get(pick.resource_kind) or RESOURCE_KINDS.get(
            pick.resource_kind, pick.resource_kind
        )
        return f"{source[pick.source]}（{kind}）"

    return pd.DataFrame(
        {
            "順位": [p.rank for p in picks],
            "候補": [what(p) for p in picks],
            "増える世帯": [str(suppressed(p.gained)) if planner else str(p.gained) for p in picks],
            "緯度": [round(p.lat, 5) for p in picks],
            "経度": [round(p.lon, 5) for p in picks],
        }
    )


def _explain(view: CoverageView, kind_label: str) -> str:
    radius = f"{view.result.settings.radius_m:g} m"
    way = "道を歩いて" if view.network is not None else "直線で"
    text = (
        f"候補とは、新しい{kind_label}をそこに開くと、今は{kind_label}まで{way}{radius}より遠い"
        f"世帯のうち、{radius}以内になる世帯がいちばん多い場所です。候補1を開いたとして、"
        "残りの世帯でいちばん多く届く場所が候補2、その次が候補3です。「増える世帯」はその上乗せ分です。"
        "「既存の資源の場所」は別の種類の資源（施設など）に併設する案、「地図上の地点」は新しく場所を"
        "探すときの目安で、地図に番号付きの青い丸で示します。"
    )
    policy = view.policy
    if policy.site_grid_m:
        text += (
            "計画担当の方には、世帯の位置が分からないよう、"
            f"増える世帯が {policy.min_site_gain} 世帯以上の候補だけを、"
            f"{policy.site_grid_m:g} m 四方の格子点に丸めた位置で示します。"
        )
    return text


def siting_section(view: CoverageView, table: pd.DataFrame) -> list[Any]:
    """Siting help, computed only while its section is open: the top 3 places."""
    section = st.expander(
        "新しい拠点の候補（開くと計算します）", key="coverage-siting-open", on_change="rerun"
    )
    if not section.open:
        return []
    with section:
        col1, col2 = st.columns(2)
        kinds = [k for k in DISTANCE_KINDS if k != "salon_rare"]
        kind = col1.selectbox("資源の種類", kinds, format_func=lambda k: DISTANCE_KIND_LABELS[k])
        names = _names(table)
        code = col2.selectbox(
            "地区", table["district_code"].tolist(), format_func=lambda c: names[c]
        )
        district = view.result.districts.set_index("district_code").loc[code, "district_id"]
        picks = siting(view, kind, int(district))
        st.caption(_explain(view, DISTANCE_KIND_LABELS[kind]))
        if not picks:
            st.info(_no_pick_text(view))
            return []
        st.dataframe(_site_rows(view, picks), hide_index=True)
        return picks


def _no_pick_text(view: CoverageView) -> str:
    policy = view.policy
    if policy.suppress:
        return f"この地区では、届く世帯が {policy.small_count} 世帯以上増える候補地はありません。"
    return "この地区では、基準の距離より遠い世帯はありません（または候補地がありません）。"
