"""データの書き出し: choose a layer and a format, make the file on a click, download it.

The file is made (and audited) only when 「書き出す」 is clicked, never on a rerun; its bytes
are kept in this session's state for the download button and nowhere else.
"""

from __future__ import annotations

import streamlit as st

from lsmap import access
from lsmap.access import AccessDenied
from lsmap.escape import markdown_text
from lsmap.io.export_download import (
    COVERAGE,
    FORMAT_LABELS,
    LAYER_LABELS,
    export_download,
    layers_for,
)
from lsmap.storage import db
from lsmap.ui import downloads
from lsmap.ui.context import require_actor
from lsmap.ui.labels import label_for
from lsmap.ui.sidebar import user_box
from lsmap.vocab import DISTRICT_LEVELS

_KEY = "export_download"


def render() -> None:
    """Draw the export page."""
    actor = require_actor()

    user_box(actor)
    st.subheader("データの書き出し")
    st.caption(
        "あなたが見られる範囲だけを書き出します。書き出しは記録（監査ログ）に残ります。"
        "持ち出したファイルの扱いに気をつけてください。"
    )
    layers = layers_for(actor)
    left, middle, right = st.columns(3)
    layer = left.selectbox(
        "書き出すもの", layers, format_func=label_for(LAYER_LABELS), key="exp_layer"
    )
    fmt = middle.selectbox(
        "形式", list(FORMAT_LABELS), format_func=label_for(FORMAT_LABELS), key="exp_format"
    )
    level = None
    if layer == COVERAGE:
        levels = list(DISTRICT_LEVELS)
        level = right.selectbox(
            "地区の階層",
            levels,
            index=levels.index("neighbourhood"),
            format_func=label_for(DISTRICT_LEVELS),
            key="exp_level",
        )
    if access.aggregates_only(actor):
        st.caption(
            "計画担当の方は、資源・地区の境界・カバー状況（1〜4 の件数は「<5」）を書き出せます。"
        )
    request = downloads.file_key(actor, layer, fmt, level)

    if st.button("書き出す", type="primary", key="exp_make", icon=":material/file_export:"):
        try:
            with db.transaction(db.get_engine()) as session:
                download = export_download(session, actor, layer, fmt, level=level)
        except AccessDenied as error:
            st.session_state.pop(_KEY, None)
            st.error(markdown_text(getattr(error, "message", str(error))))
            return
        st.session_state[_KEY] = {"request": request, "download": download}

    made = st.session_state.get(_KEY)
    if made is None or made["request"] != request:
        st.info("書き出すものと形式を選んで「書き出す」を押してください。")
        return
    download = made["download"]
    st.success(f"{download.rows} 行のファイルを作りました。下のボタンで保存してください。")
    for note in download.notes:
        st.warning("書き出していないもの: " + markdown_text(note))
    downloads.download_button(
        actor,
        f"{download.file_name} を保存",
        download.data,
        file_name=download.file_name,
        mime=download.mime,
        what=f"export:{layer}",
        icon=":material/download:",
        key="exp_download",
    )
