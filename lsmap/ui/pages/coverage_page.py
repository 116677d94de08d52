"""カバー状況: per-district coverage for planners (choropleth, table, export, siting help).

Aggregates only: planners see counts 1–4 as "<5" (and counts that would give one away as
"X"), a radius of at least 500 m and rounded siting suggestions; staff and meeting viewers
see their own districts. No household appears on this page.
"""

from __future__ import annotations

from typing import Any

import folium
import pandas as pd
import shapely
import streamlit as st
from streamlit_folium import st_folium

from lsmap.coverage.report import (
    COLUMN_LABELS,
    CoverageView,
    coverage_for,
    csv_bytes,
    district_table,
    siting,
    suppressed,
)
from lsmap.coverage.settings import DEFAULT_COVERAGE_SETTINGS, DISTANCE_KIND_LABELS, DISTANCE_KINDS
from lsmap.escape import html_text
from lsmap.maps.basemap import GeoJsonLayer, Legend, base_map
from lsmap.settings import get_settings
from lsmap.storage import db
from lsmap.ui import downloads
from lsmap.ui.context import require_actor
from lsmap.ui.sidebar import user_box
from lsmap.vocab import DISTRICT_LEVELS, RESOURCE_KINDS

#: Metrics a planner can colour the map by (household counts, shown as shares).
MAP_METRICS: tuple[str, ...] = (
    "no_watcher",
    "single_watcher",
    "elderly_watchers_only",
    "stale",
    "urgent_unvisited",
    *(f"beyond_{k}" for k in DISTANCE_KINDS),
)
#: Light to dark (ColorBrewer YlOrRd, 5 classes).
COLOURS = ("#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026")


def colour(share: float | None) -> str:
    """Fill colour of a share (0..1) in five equal classes; grey when withheld or empty."""
    if share is None or pd.isna(share):
        return "#d9d9d9"
    return COLOURS[min(int(share * len(COLOURS)), len(COLOURS) - 1)]


def choropleth(
    view: CoverageView,
    table: pd.DataFrame,
    metric: str,
    basemap: str,
    sites: list[Any] | None = None,
) -> folium.Map:
    """Districts of the table coloured by the share of ``metric``; popups are escaped."""
    fmap = base_map(basemap)
    geoms = view.inputs.districts.set_index("code")["geometry"]
    features, bounds = [], None
    for row in table.itertuples(index=False):
        geom = geoms.get(row.district_code)
        if geom is None:
            continue
        bounds = geom if bounds is None else shapely.union(bounds, geom)
        share = getattr(row, f"share_{metric}")
        count = getattr(row, metric)
        shown = "—" if share is None or pd.isna(share) else f"{share:.0%}"
        text = f"{row.district_name}: {COLUMN_LABELS[metric]} {count}（{shown}）／世帯 {row.households}"
        features.append(
            {
                "type": "Feature",
                "geometry": shapely.geometry.mapping(geom),
                "properties": {
                    "style": {
                        "color": "#525252",
                        "weight": 1,
                        "fillColor": colour(share),
                        "fillOpacity": 0.75,
                    },
                    "tooltip": html_text(text),
                    "popup": f'<div class="lsmap-coverage-popup">{html_text(text)}</div>',
                },
            }
        )
    GeoJsonLayer(features).add_to(fmap)
    if sites:
        GeoJsonLayer(
            [
                {
                    "type": "Feature",
                    "geometry": {
                        "type": "Point",
                        "coordinates": [round(s.lon, 6), round(s.lat, 6)],
                    },
                    "properties": {
                        "style": {
                            "radius": 9,
                            "color": "#08306b",
                            "weight": 2,
                            "fillColor": "#4292c6",
                            "fillOpacity": 0.9,
                        },
                        "tooltip": html_text(f"候補 {s.rank}"),
                    },
                }
                for s in sites
            ]
        ).add_to(fmap)
    steps = "".join(
        f'<div><span style="display:inline-block;width:14px;height:10px;background:{c};margin-right:6px">'
        f"</span>{i * 20}〜{(i + 1) * 20}%</div>"
        for i, c in enumerate(COLOURS)
    )
    Legend(
        '<div style="background:rgba(255,255,255,.92);padding:6px 8px;border-radius:6px;font-size:12px">'
        f"<b>{html_text(COLUMN_LABELS[metric])}の割合</b>{steps}"
        '<div><span style="display:inline-block;width:14px;height:10px;background:#d9d9d9;margin-right:6px">'
        "</span>非表示（「&lt;5」「X」）・世帯なし</div></div>"
    ).add_to(fmap)
    if bounds is not None:
        minx, miny, maxx, maxy = bounds.bounds
        fmap.fit_bounds([[miny, minx], [maxy, maxx]])
    return fmap


def render() -> None:
    """Draw the coverage page."""
    actor = require_actor()

    user_box(actor)
    st.subheader("カバー状況（地区別の集計）")
    with st.sidebar:
        levels = list(DISTRICT_LEVELS)
        level = st.selectbox(
            "地区の階層",
            levels,
            index=levels.index("neighbourhood"),
            format_func=lambda code: DISTRICT_LEVELS[code],
        )
        metric = st.selectbox(
            "地図に色分けする項目",
            MAP_METRICS,
            index=MAP_METRICS.index("stale"),
            format_func=lambda c: COLUMN_LABELS[c],
        )
        radius = st.number_input(
            "資源までの距離の基準（m）",
            min_value=100,
            max_value=5000,
            value=int(DEFAULT_COVERAGE_SETTINGS.radius_m),
            step=100,
        )
    cfg = DEFAULT_COVERAGE_SETTINGS.with_overrides(radius_m=float(radius))
    with db.transaction(db.get_engine()) as session:
        view = coverage_for(session, actor, settings=cfg)
        table = district_table(session, view, level)
    if table.empty:
        st.warning("表示できる地区がありません。")
        return
    _policy_notes(view)

    sites = _siting_section(view, table)
    st_folium(
        choropleth(view, table, metric, get_settings().basemap, sites),
        height=520,
        use_container_width=True,
        returned_objects=[],
        key=f"coverage-map-{level}-{metric}",
    )

    shown = table[[c for c in table.columns if not c.startswith("share_")]].drop(columns=["level"])
    shown = shown.map(lambda v: ("あり" if v else "") if isinstance(v, bool) else str(v))
    shown = shown.rename(
        columns={
            **COLUMN_LABELS,
            **{f"lacks_{k}": f"{v}がない" for k, v in DISTANCE_KIND_LABELS.items()},
        }
    )
    st.dataframe(shown, hide_index=True, use_container_width=True)
    downloads.download_button(
        actor,
        "CSVで書き出す",
        csv_bytes(table.drop(columns=["level"]), COLUMN_LABELS),
        file_name=f"coverage_{level}.csv",
        mime="text/csv",
        what="coverage_table",
    )


def _policy_notes(view: CoverageView) -> None:
    """What the actor's release policy changed, in Japanese (radius, hidden counts)."""
    policy = view.policy
    if policy.radius_raised:
        st.info(
            f"計画担当の方は、世帯の位置が推測されないよう、距離の基準を {policy.min_radius_m:g} m 未満に"
            f"できません。{policy.asked_radius_m:g} m の指定に代えて {policy.radius_m:g} m で計算しています。"
        )
    text = f"資源までの距離は直線距離で {view.result.settings.radius_m:g} m を基準にしています。"
    if policy.suppress:
        small = policy.small_count
        text += (
            f"計画担当の方には 1〜{small - 1} の件数は「<{small}」と表示し、上位の地区の合計から"
            f"「<{small}」の値が割り出せてしまう件数も「X」として伏せています。"
        )
    st.caption(text)


def _siting_section(view: CoverageView, table: pd.DataFrame) -> list[Any]:
    """Siting help: the top 3 places for a new resource of a kind in a district."""
    with st.expander("新しい拠点の候補（到達できる世帯が最も増える場所）"):
        col1, col2 = st.columns(2)
        kinds = [k for k in DISTANCE_KINDS if k != "salon_rare"]
        kind = col1.selectbox("資源の種類", kinds, format_func=lambda k: DISTANCE_KIND_LABELS[k])
        codes = table["district_code"].tolist()
        names = dict(zip(table["district_code"], table["district_name"], strict=True))
        code = col2.selectbox("地区", codes, format_func=lambda c: names[c])
        district = view.result.districts.set_index("district_code").loc[code, "district_id"]
        picks = siting(view, kind, int(district))
        policy = view.policy
        if not picks:
            if policy.suppress:
                st.info(
                    f"この地区では、到達できる世帯が {policy.small_count} 世帯以上増える候補地はありません。"
                )
            else:
                st.info(
                    "この地区では、基準の距離より遠い世帯はありません（または候補地がありません）。"
                )
            return []
        planner = policy.suppress
        source = {"resource": "既存の資源", "grid": "格子点"}
        st.dataframe(
            pd.DataFrame(
                {
                    "順位": [p.rank for p in picks],
                    "候補": [
                        source[p.source]
                        + (
                            f"（{DISTANCE_KIND_LABELS.get(p.resource_kind) or RESOURCE_KINDS.get(p.resource_kind, p.resource_kind)}）"
                            if p.resource_kind
                            else ""
                        )
                        for p in picks
                    ],
                    "増える世帯": [
                        str(suppressed(p.gained)) if planner else str(p.gained) for p in picks
                    ],
                    "緯度": [round(p.lat, 5) for p in picks],
                    "経度": [round(p.lon, 5) for p in picks],
                }
            ),
            hide_index=True,
        )
        note = "候補は地図に青い丸で示します。増える世帯は順に選んだときの上乗せ分です。"
        if policy.site_grid_m:
            note += (
                f"計画担当の方には、世帯の位置が分からないよう、増える世帯が {policy.min_site_gain} 世帯以上の"
                f"候補だけを、{policy.site_grid_m:g} m 四方の格子点に丸めた位置で示します。"
            )
        st.caption(note)
        return picks
