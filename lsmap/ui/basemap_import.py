"""データの取り込み → 背景地図: roads, railways, rivers, buildings, parks and schools (admin).

Upload → kind, columns and credit line → dry run (what would be drawn) → import; below, the
layers already imported (each can be taken off the map after a confirmation) and the local
tile set. The upload is parsed once, in the limited child process, and kept in this
session under its SHA-256 like every upload of the import page.
"""

from __future__ import annotations

import hashlib
from typing import Any

import streamlit as st

from lsmap.access import Actor
from lsmap.access.basemap import basemap_layers, can_manage_basemap
from lsmap.escape import markdown_text
from lsmap.io.importing.basemap import (
    BasemapImportResult,
    basemap_limits,
    guess_columns,
    guess_kind,
    import_basemap_frame,
    read_basemap_upload,
    remove_basemap_layer,
)
from lsmap.io.importing.districts import MAX_BOUNDARY_BYTES, with_crs
from lsmap.io.importing.problems import ImportRejected
from lsmap.maps.background import local_tiles
from lsmap.storage import db
from lsmap.ui import widget_text
from lsmap.vocab import BASEMAP_KINDS

TITLE = "背景地図（道路・川など）"
_PARSED = "imp_basemap_parsed"
_NONE = "（なし）"
_NOTHING_CHANGED = "データベースは変わっていません。"


def basemap_section(actor: Actor) -> None:
    """The background map part of the import page."""
    if not can_manage_basemap(actor):
        st.error("背景地図の取り込みは管理者だけができます。")
        return
    st.caption(
        "インターネットにつながらない PC でも地図に道路や川が出るように、"
        "背景地図を一度だけ取り込みます。"
        "基盤地図情報を GeoPackage に変換したものや、OpenStreetMap の抽出データ（GeoPackage・"
        "zip にまとめたシェープファイル・GeoJSON、どの座標参照系でも）が使えます。"
        f"図形は {basemap_limits().max_features:,} 件までです。"
    )
    done = st.session_state.pop("imp_basemap_done", None)
    if done:
        st.success(done)
    uploaded = widget_text.file_uploader(
        "ファイルを選ぶ",
        types=["gpkg", "zip", "geojson", "json"],
        limit_mb=MAX_BOUNDARY_BYTES // 1048576,
        # a new key after each import empties the uploader (the file is done with)
        key=f"imp_basemap_file_{st.session_state.get('imp_basemap_round', 0)}",
    )
    if uploaded is None:
        st.session_state.pop(_PARSED, None)
    else:
        _upload(actor, uploaded.name, uploaded.getvalue())
    st.divider()
    _layers(actor)


def _parsed(name: str, data: bytes) -> dict[str, Any]:
    """The upload parsed once per file (kept in this session under its SHA-256)."""
    key = (hashlib.sha256(data).hexdigest(), name)
    stored = st.session_state.get(_PARSED)
    if stored is None or stored["key"] != key:
        try:
            with st.spinner("ファイルを読んでいます…"):
                stored = {"key": key, "frame": read_basemap_upload(data, name), "error": None}
        except ImportRejected as error:
            stored = {"key": key, "frame": None, "error": error.message}
        st.session_state[_PARSED] = stored
    return stored


def _upload(actor: Actor, name: str, data: bytes) -> None:
    parsed = _parsed(name, data)
    if parsed["error"] is not None:
        st.error(markdown_text(parsed["error"]) + _NOTHING_CHANGED)
        return
    frame = parsed["frame"]
    choices, crs = _choices(frame, name)
    st.markdown("##### 試行（確認だけ。データベースは変えません）")
    check = _run(actor, frame, name, crs, choices, dry_run=True)
    if check is None:
        return
    plan = check.plan
    replaced = (
        f"。同じファイルから取り込んだ {check.replaced:,} 件を置き換えます"
        if check.replaced
        else ""
    )
    st.info(
        f"座標参照系 {markdown_text(plan.source_crs)} → EPSG:4326。"
        f"{markdown_text(plan.summary())} を取り込めます{replaced}。"
        f"出典: {markdown_text(plan.credit)}"
    )
    for problem in plan.problems:
        st.warning(markdown_text(str(problem)))
    if not choices["credit"]:
        st.caption("出典を入力すると取り込めます（データの利用条件で表示が求められます）。")
    if st.button("取り込む", type="primary", disabled=not choices["credit"], key="imp_bm_run"):
        with st.spinner(f"{plan.summary()} を書き込んでいます…"):
            result = _run(actor, frame, name, crs, choices, dry_run=False)
        if result is not None:
            st.session_state.pop(_PARSED, None)
            st.session_state["imp_basemap_round"] = st.session_state.get("imp_basemap_round", 0) + 1
            st.session_state["imp_basemap_done"] = f"取り込みました: {result.plan.summary()}"
            st.rerun()


def _choices(frame: Any, name: str) -> tuple[dict[str, Any], str]:
    """Kind, name and class columns (guessed from the file), credit line and CRS."""
    columns = [_NONE, *(str(c) for c in frame.columns if c != frame.geometry.name)]
    name_guess, class_guess = guess_columns(frame)
    left, middle, right = st.columns(3)
    kinds: list[str] = list(BASEMAP_KINDS)
    kind = left.selectbox(
        "種類＊",
        kinds,
        index=kinds.index(guess_kind(name)),
        format_func=lambda k: BASEMAP_KINDS[k],
        key=f"imp_bm_kind_{name}",
    )
    name_field = middle.selectbox(
        "名前の列（駅名・学校名など）",
        columns,
        index=columns.index(name_guess) if name_guess else 0,
        key=f"imp_bm_name_{name}",
    )
    class_field = right.selectbox(
        "種別の列（主な道路を太く描く。例: highway）",
        columns,
        index=columns.index(class_guess) if class_guess else 0,
        key=f"imp_bm_class_{name}",
    )
    credit = st.text_input(
        "出典（クレジット）＊ 地図と印刷の下に表示します",
        placeholder="例: 出典：基盤地図情報（国土地理院）／ © OpenStreetMap contributors",
        key="imp_bm_credit",
    ).strip()
    crs = st.text_input(
        "座標参照系（ファイルに指定がないときだけ。例: EPSG:6677）", key="imp_bm_crs"
    ).strip()
    choices = {
        "kind": kind,
        "name_field": None if name_field == _NONE else name_field,
        "class_field": None if class_field == _NONE else class_field,
        "credit": credit,
    }
    return choices, crs


def _run(
    actor: Actor, frame: Any, name: str, crs: str, choices: dict[str, Any], *, dry_run: bool
) -> BasemapImportResult | None:
    try:
        return import_basemap_frame(
            db.get_engine(),
            actor,
            with_crs(frame, crs or None),
            choices["kind"],
            source=name,
            credit=choices["credit"],
            name_field=choices["name_field"],
            class_field=choices["class_field"],
            dry_run=dry_run,
        )
    except ImportRejected as error:
        st.error(markdown_text(error.message) + _NOTHING_CHANGED)
        for problem in error.problems:
            st.caption(markdown_text(str(problem)))
        return None


def _layers(actor: Actor) -> None:
    """The imported layers, each removable after a confirmation, and the tile set."""
    st.markdown("##### 取り込んだ背景地図")
    with db.transaction(db.get_engine()) as session:
        layers = basemap_layers(session, actor)
    if not layers:
        st.caption("まだありません。地図は地区の境界だけで表示されます。")
    for layer in layers:
        title = (
            f"{BASEMAP_KINDS.get(layer.kind, layer.kind)}：{layer.source}（{layer.features:,} 件）"
        )
        with st.expander(markdown_text(title)):
            st.caption(f"出典: {markdown_text(layer.credit)}")
            sure = st.checkbox(
                "この背景地図を地図から外す（記録は残ります）",
                key=f"bm_rm_{layer.kind}_{layer.source}",
            )
            if st.button("外す", disabled=not sure, key=f"bm_rm_btn_{layer.kind}_{layer.source}"):
                count = remove_basemap_layer(db.get_engine(), actor, layer.kind, layer.source)
                st.session_state["imp_basemap_done"] = f"{count:,} 件を地図から外しました"
                st.rerun()
    tiles = local_tiles()
    if tiles:
        st.caption(
            f"背景タイル: {int(tiles.get('tiles', 0)):,} "
            f"枚（{markdown_text(str(tiles.get('format')))}）"
            f" 出典: {markdown_text(str(tiles.get('credit', '')))}"
        )
    else:
        st.caption(
            "背景タイル（MBTiles）は `lsmap basemap tiles ファイル.mbtiles` で書き出せます。"
        )
