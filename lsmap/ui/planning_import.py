"""The import page's parts for 国勢調査 小地域 statistics and road networks (issue 16).

Each upload is read once (kept in this session under its SHA-256) in the limited child
process; 「確認する」 shows what would join or be built, 「取り込む」 writes it in one
transaction. Everything said is escaped (names come from the file).
"""

from __future__ import annotations

import hashlib
from typing import Any

import pandas as pd
import streamlit as st

from lsmap.access import AccessDenied
from lsmap.escape import markdown_text
from lsmap.io.importing.census import import_census, read_census_upload
from lsmap.io.importing.problems import ImportRejected
from lsmap.io.importing.roads import build_and_store, read_road_upload
from lsmap.storage import db
from lsmap.ui import widget_text

_KEY = "imp_planning_parsed"
HELP = {
    "census": (
        "政府統計の総合窓口（e-Stat）の小地域集計（町丁・字等）の CSV（Shift_JIS または UTF-8）か、"
        "境界データの DBF を取り込みます。KEY_CODE（11桁）で町丁目と結び付け、合わないものは"
        "名前で結び付けます。HCODE 8101 以外の行（水面など）"
        "は読み飛ばし、「*」「X」（秘匿）は値なし、"
        "「-」は 0 として扱います。"
    ),
    "roads": (
        "道路中心線などの線のファイル（GeoPackage、zip にまとめたシェープファイル、GeoJSON）か、"
        "OpenStreetMap の抽出ファイル（.osm・.pbf）を取り込みます。歩ける道のネットワークを一度だけ"
        "作って保存し、以後は資源までの距離を道に沿って測ります。高速道路は除きます。"
    ),
}
SUFFIXES = {
    "census": ["csv", "txt", "dbf"],
    "roads": ["gpkg", "zip", "geojson", "json", "osm", "pbf"],
}


def _parsed(kind: str, data: bytes, filename: str) -> dict[str, Any]:
    key = (kind, hashlib.sha256(data).hexdigest(), filename)
    stored = st.session_state.get(_KEY)
    if stored is None or stored["key"] != key:
        try:
            with st.spinner("ファイルを読んでいます…"):
                reader = read_census_upload if kind == "census" else read_road_upload
                stored = {"key": key, "value": reader(data, filename), "error": None}
        except ImportRejected as error:
            stored = {"key": key, "value": None, "error": error.message}
        st.session_state[_KEY] = stored
    return stored


def planning_import(actor: Any, kind: str) -> None:
    """Upload, check and import census statistics or a road network."""
    st.caption(HELP[kind])
    uploaded = widget_text.file_uploader(
        "ファイルを選ぶ", types=SUFFIXES[kind], limit_mb=500, key=f"imp_file_{kind}"
    )
    if uploaded is None:
        st.session_state.pop(_KEY, None)
        st.info("ファイルを選んでください。")
        return
    parsed = _parsed(kind, uploaded.getvalue(), uploaded.name)
    if parsed["error"] is not None:
        st.error(markdown_text(parsed["error"]) + " 何も変更していません。")
        return
    name = st.text_input(
        "統計の名前（例: 令和2年国勢調査）" if kind == "census" else "道路網の名前",
        value=uploaded.name.rsplit(".", 1)[0],
    )
    col1, col2 = st.columns(2)
    for dry_run, button in ((True, col1), (False, col2)):
        if button.button("確認する" if dry_run else "取り込む", key=f"imp_{kind}_{dry_run}"):
            _run(actor, kind, parsed["value"], uploaded.name, name, dry_run)


def _run(actor: Any, kind: str, value: Any, filename: str, name: str, dry_run: bool) -> None:
    try:
        if kind == "census":
            result = import_census(
                db.get_engine(), actor, value, survey=name, source_name=filename, dry_run=dry_run
            )
            st.success(markdown_text(result.message))
            _census_details(result)
        else:
            roads = build_and_store(
                db.get_engine(), actor, value, name=name, source=filename, dry_run=dry_run
            )
            st.success(markdown_text(roads.message))
    except (ImportRejected, AccessDenied) as error:
        st.error(markdown_text(error.message) + " 何も変更していません。")


def _census_details(result: Any) -> None:
    if result.unmatched:
        st.markdown("**町丁目と結び付かなかった区域**")
        st.dataframe(
            pd.DataFrame(result.unmatched, columns=["KEY_CODE", "名前", "理由"]), hide_index=True
        )
    if result.without_figures:
        st.markdown("**統計のない町丁目**（率はその分だけ高めに出ます）")
        st.dataframe(
            pd.DataFrame(result.without_figures, columns=["コード", "名前"]), hide_index=True
        )
    if result.other_municipalities:
        st.caption(
            f"lsmap にない市区町村の区域 {result.other_municipalities:,} 件は読み飛ばしました。"
        )
