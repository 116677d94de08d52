"""The import page's section for the address reference (住所の位置参照情報, issue 17).

The council downloads the MLIT 街区レベル and 大字・町丁目レベル位置参照情報 once (CSV or
the zip as distributed) and imports them here; addresses in imported lists are then placed
at 街区 or 町丁目 level without any network. Shows what is stored, checks files (dry run)
and stores them in one transaction with a progress bar.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from lsmap.access import Actor
from lsmap.access.geocoding import may_import_reference
from lsmap.escape import markdown_text
from lsmap.io.geocoding.reference import import_reference, reference_summary
from lsmap.io.importing.problems import ImportRejected
from lsmap.storage import db
from lsmap.ui import widget_text

LEVEL_LABELS = {"block": "街区・地番", "town": "大字・町丁目"}
MAX_MB = 300


def _stored() -> None:
    with db.transaction(db.get_engine()) as session:
        rows = reference_summary(session)
    if not rows:
        st.info(
            "住所の参照データはまだありません。今は住所の町丁目名が地区の名前と一致したときだけ、"
            "その代表点（おおよその位置）に置けます。"
        )
        return
    frame = pd.DataFrame(
        [(c, LEVEL_LABELS.get(lv, lv), f"{n:,}", s) for c, lv, n, s in rows],
        columns=["市区町村", "種類", "地点数", "ファイル"],
    )
    st.markdown("###### 取り込み済みの参照データ")
    st.dataframe(frame, hide_index=True, use_container_width=True)


def reference_section(actor: Actor) -> None:
    """Upload, check and store address reference files (administrators)."""
    if not may_import_reference(actor):
        st.error("住所の参照データを取り込めるのは管理者だけです。")
        return
    st.caption(
        "国土交通省の「位置参照情報」（街区レベル・大字町丁目レベル）の CSV、"
        "またはダウンロードしたままの zip を選んでください（複数可）。"
        "境界に登録した市町村の分だけを取り込みます。同じ市町村を取り込み直すと置き換えます。"
        "住所はどこにも送りません。"
    )
    _stored()
    files = widget_text.file_uploader(
        "位置参照情報のファイル",
        types=["csv", "zip"],
        limit_mb=MAX_MB,
        accept_multiple_files=True,
        key="imp_reference_files",
    )
    if not files:
        return
    payload = [(f.name, f.getvalue()) for f in files]
    left, right = st.columns(2)
    if left.button("試行する", key="imp_reference_check", icon=":material/fact_check:"):
        _run(actor, payload, dry_run=True)
    if right.button("取り込む", type="primary", key="imp_reference_run", icon=":material/upload:"):
        _run(actor, payload, dry_run=False)


def _run(actor: Actor, payload: list[tuple[str, bytes]], *, dry_run: bool) -> None:
    bar = st.progress(0.0, text="読んでいます…")

    def progress(done: int, total: int) -> None:
        bar.progress(min(done / max(total, 1), 1.0), text=f"書き込んでいます {done:,}/{total:,} 件")

    try:
        plan = import_reference(db.get_engine(), actor, payload, dry_run=dry_run, progress=progress)
    except ImportRejected as error:
        bar.empty()
        st.error(markdown_text(error.message) + "データベースは変わっていません。")
        return
    bar.empty()
    verb = "試行しました（データベースは変えていません）" if dry_run else "取り込みました"
    st.success(f"{verb}: {markdown_text(plan.summary())}")
    if plan.problems:
        st.dataframe(
            pd.DataFrame(
                [(p.line, p.column, p.message) for p in plan.problems],
                columns=["行", "ファイル", "内容"],
            ),
            hide_index=True,
        )
