"""データの取り込み (admin): upload → column mapping → dry run with every problem → import.

The page parses each upload once, in a limited child process, and keeps the result in this
user's session keyed by the upload's SHA-256 (never in a cache shared between users); the
mapping, the dry run and the import reuse it. It calls :mod:`lsmap.io.importing.upload`;
checking, all-or-nothing writing, remembered mappings and audit happen in the library.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any, TypeVar

import geopandas as gpd
import pandas as pd
import streamlit as st
from sqlalchemy.exc import SQLAlchemyError

from lsmap import access
from lsmap.escape import markdown_text
from lsmap.io.importing import columns as cols
from lsmap.io.importing.apply import problem_rows
from lsmap.io.importing.districts import MAX_BOUNDARY_BYTES
from lsmap.io.importing.problems import ImportRejected, Problem
from lsmap.io.importing.readers import RawTable, max_bytes
from lsmap.io.importing.rejected import outcome_rows, rejected_file
from lsmap.io.importing.upload import (
    BOUNDARY_SUFFIXES,
    IMPORT_KINDS,
    LIST_SUFFIXES,
    created_text,
    import_boundary_upload,
    import_list_upload,
    initial_choices,
    planned_counts,
    preview_boundaries,
    read_boundary_upload,
    read_list_upload,
    template_csv,
)
from lsmap.settings import import_limits
from lsmap.storage import db
from lsmap.ui import downloads, widget_text
from lsmap.ui.basemap_import import TITLE as BASEMAP_TITLE
from lsmap.ui.basemap_import import basemap_section
from lsmap.ui.context import require_actor
from lsmap.ui.labels import label_for
from lsmap.ui.sidebar import user_box
from lsmap.vocab import DISTRICT_LEVELS, RESOURCE_KINDS

_UNUSED = "（使わない）"
_FROM_FILE = "__file__"
_NOTHING_CHANGED = "データベースは変わっていません。"
_PARSED = "imp_parsed"
T = TypeVar("T")


def render() -> None:
    """Draw the import page (administrators only)."""
    actor = require_actor()

    user_box(actor)
    st.subheader("データの取り込み")
    if not access.may_import(actor):
        st.error("データの取り込みは管理者だけができます。")
        return
    kinds = {**IMPORT_KINDS, "basemap": BASEMAP_TITLE}
    kind = st.radio(
        "取り込むもの", list(kinds), format_func=label_for(kinds), horizontal=True, key="imp_kind"
    )
    if kind in ("census", "roads"):  # statistics and walking distance (issue 16)
        from lsmap.ui.planning_import import planning_import

        planning_import(actor, kind)
        return
    if kind == "basemap":
        basemap_section(actor)
        return
    limits = import_limits()
    if kind == "address_reference":
        from lsmap.ui.reference_import import reference_section

        reference_section(actor)
        return
    limit_mb, suffixes = _file_rules(actor, kind, limits)
    uploaded = widget_text.file_uploader(
        "ファイルを選ぶ", types=list(suffixes), limit_mb=limit_mb, key=f"imp_file_{kind}"
    )
    done = st.session_state.get("imp_done")
    if done and done["kind"] == kind:
        st.success(done["text"])
        _rejected_download(actor, done)
    if uploaded is None:
        st.session_state.pop(_PARSED, None)  # no file on screen: forget what the last one held
        st.info(f"ファイルを選んでください（{limit_mb} MB まで）。")
        return
    data = uploaded.getvalue()
    digest = hashlib.sha256(data).hexdigest()
    fingerprint = digest[:16] + ":" + uploaded.name
    parsed = _parsed(kind, digest, uploaded.name, data)
    if parsed["error"] is not None:
        st.error(markdown_text(parsed["error"]) + _NOTHING_CHANGED)
        return
    if kind == "districts":
        _boundaries(actor, parsed["value"], uploaded.name, fingerprint)
    else:
        _list(actor, kind, parsed["value"], uploaded.name, fingerprint)


def _file_rules(actor: Any, kind: str, limits: Any) -> tuple[int, tuple[str, ...]]:
    """Explain what files ``kind`` takes (with the list template to download); returns the
    upload limit in MB and the file suffixes."""
    if kind == "districts":
        st.caption(
            "GeoJSON、zip にまとめたシェープファイル（.shp・.shx・.dbf・.prj）、GeoPackage を"
            "取り込めます。どの座標参照系でも経緯度（EPSG:4326）に変換します。"
            f"図形は {limits.max_features:,} 件までです。"
        )
        return MAX_BOUNDARY_BYTES // 1048576, BOUNDARY_SUFFIXES
    st.caption(
        "CSV（UTF-8・BOM付きUTF-8・Shift_JIS）または Excel（.xlsx）を取り込めます。"
        f"{limits.max_rows:,} 行までです。ひな形の見出しのままなら列の対応づけは不要です。"
    )
    downloads.download_button(
        actor,
        f"{IMPORT_KINDS[kind]}のひな形（CSV）",
        template_csv(kind),
        file_name=f"lsmap_{kind}_template.csv",
        mime="text/csv",
        what=f"import_template:{kind}",
        icon=":material/download:",
        key=f"imp_template_{kind}",
    )
    return max(1, max_bytes() // 1048576), LIST_SUFFIXES


def _parsed(kind: str, digest: str, filename: str, data: bytes) -> dict[str, Any]:
    """The upload parsed once: kept in this session under its SHA-256 until another file
    comes or the file is removed (at most one parsed upload per session)."""
    key = (kind, digest, filename)
    stored = st.session_state.get(_PARSED)
    if stored is None or stored["key"] != key:
        st.session_state.pop(_PARSED, None)
        try:
            with st.spinner("ファイルを読んでいます…"):
                value = (
                    read_boundary_upload(data, filename)
                    if kind == "districts"
                    else read_list_upload(data, filename)
                )
            stored = {"key": key, "value": value, "error": None}
        except ImportRejected as error:
            stored = {"key": key, "value": None, "error": error.message}
        st.session_state[_PARSED] = stored
    return stored


# ---------------------------------------------------------------- lists


def _list(actor: Any, kind: str, table: RawTable, filename: str, fingerprint: str) -> None:
    encodings = {
        "utf-8-sig": "UTF-8（BOM付き）",
        "utf-8": "UTF-8",
        "cp932": "Shift_JIS",
        "xlsx": "Excel",
    }
    st.caption(
        f"{markdown_text(filename)}: {len(table.rows)} 行、文字コード "
        f"{encodings.get(table.encoding, table.encoding)}"
    )

    st.markdown("##### 1. 列の対応")
    chosen = _column_choices(kind, table, fingerprint)
    default_kind = None
    if kind == "resources":
        default_kind = st.selectbox(
            "資源の種類（「資源の種類」の列がない行に使う）",
            list(RESOURCE_KINDS),
            format_func=label_for(RESOURCE_KINDS),
            key="imp_resource_kind",
        )
    partial = st.checkbox(
        "問題のない行だけ取り込む",
        key="imp_partial",
        help="問題のある行は取り込まず、理由を書いた「問題」の列を付けて元の形式のファイルで"
        "ダウンロードできます。直して取り込み直せます。オフのときは、1行でも問題があれば何も取り込みません。",
    )
    request = (fingerprint, kind, tuple(chosen.items()), default_kind, partial)

    st.markdown("##### 2. 試行（確認だけ。データベースは変えません）")
    if st.button("試行する", key="imp_check_button", icon=":material/fact_check:"):
        st.session_state["imp_check"] = _check_list(
            actor, kind, table, chosen, default_kind, request, partial
        )
    check = _current("imp_check", request)
    if check is not None:
        _show_check(check)

    st.markdown("##### 3. 取り込み")

    def run(progress: Callable[[int, int], None]) -> Any:
        return import_list_upload(
            db.get_engine(),
            actor,
            kind,
            table,
            chosen,
            default_kind=default_kind,
            dry_run=False,
            partial=partial,
            progress=progress,
        )

    _list_import(run, kind, table, filename, ready=check is not None and check["ok"])


def _column_choices(kind: str, table: RawTable, fingerprint: str) -> dict[str, str | None]:
    """The column chosen for each field (None: not used), remembered or guessed first."""
    with db.transaction(db.get_engine()) as session:
        initial, source = initial_choices(session, kind, table.headers)
    st.caption(
        "前回この見出しのファイルで選んだ対応を使っています。"
        if source == "remembered"
        else "見出しから推測しました。違っていれば選び直してください（＊は必須）。"
    )
    options = [_UNUSED, *table.headers]
    chosen: dict[str, str | None] = {}
    grid = st.columns(3)
    for index, field in enumerate(cols.KIND_FIELDS[kind]):
        label = cols.field_label(kind, field) + ("＊" if field in cols.REQUIRED[kind] else "")
        preset = initial.get(field)
        value = grid[index % 3].selectbox(
            label,
            options,
            index=options.index(preset) if preset in options else 0,
            key=f"imp_map_{kind}_{fingerprint}_{field}",
        )
        chosen[field] = None if value == _UNUSED else value
    unused = [h for h in table.headers if h not in chosen.values()]
    if unused:
        st.caption("使わない列: " + "、".join(markdown_text(h) for h in unused))
    return chosen


def _list_import(
    run: Callable[[Callable[[int, int], None]], Any],
    kind: str,
    table: RawTable,
    filename: str,
    *,
    ready: bool,
) -> None:
    """The import button (enabled after a clean dry run), its progress and outcome."""
    if st.button(
        "取り込む",
        type="primary",
        disabled=not ready,
        key="imp_run_button",
        icon=":material/upload:",
    ):
        bar = st.progress(0.0, text="確認しています…")

        def progress(done: int, total: int) -> None:
            bar.progress(
                min(done / max(total, 1), 1.0) * 0.9, text=f"確認しています {done}/{total} 行"
            )

        result = _run_import(bar, lambda: run(progress))
        if result is None:
            return
        bar.progress(1.0, text="完了")
        st.session_state.pop("imp_check", None)
        _remember_done(kind, result, table, filename)
        st.rerun()
    elif not ready:
        st.caption("試行して問題（エラー）がなければ取り込めます。")


def _check_list(
    actor: Any,
    kind: str,
    table: RawTable,
    chosen: dict[str, str | None],
    default_kind: str | None,
    request: tuple[Any, ...],
    partial: bool = False,
) -> dict[str, Any]:
    st.session_state.pop("imp_done", None)
    bar = st.progress(0.0, text="確認しています…")

    def progress(done: int, total: int) -> None:
        bar.progress(min(done / max(total, 1), 1.0), text=f"確認しています {done}/{total} 行")

    try:
        result = import_list_upload(
            db.get_engine(),
            actor,
            kind,
            table,
            chosen,
            default_kind=default_kind,
            dry_run=True,
            partial=partial,
            progress=progress,
        )
    except ImportRejected as error:
        return {
            "request": request,
            "ok": False,
            "message": error.message,
            "problems": error.problems,
            "counts": {},
        }
    finally:
        bar.empty()
    plan = result.plan
    counts = planned_counts(plan)
    summary = "、".join(f"{label} {n} 件" for label, n in counts.items() if n or label != "CSW")
    skipped = f"。重複などで除外 {plan.skipped} 行" if plan.skipped else ""
    rejected = f"。問題のため取り込まない行 {len(result.rejected)} 行" if result.rejected else ""
    levels = "、".join(f"{label} {n}" for label, n in plan.level_counts().items())
    return {
        "request": request,
        "ok": True,
        "problems": plan.problems,
        "counts": counts,
        "outcomes": outcome_rows(plan),
        "message": f"{plan.total_rows} 行を確認しました。取り込むと作られるもの: {summary}"
        f"{skipped}{rejected}" + (f"。位置の精度: {levels}" if levels else ""),
    }


# ---------------------------------------------------------------- boundaries


def _boundaries(actor: Any, frame: gpd.GeoDataFrame, filename: str, fingerprint: str) -> None:
    crs = st.text_input(
        "座標参照系（ファイルに指定がないときだけ。例: EPSG:6676）", key="imp_crs"
    ).strip()
    try:
        preview = preview_boundaries(frame, crs or None)
    except ImportRejected as error:
        st.error(markdown_text(error.message))
        return
    st.caption(
        f"{markdown_text(filename)}: 図形 {preview.features} 件、座標参照系 "
        f"{markdown_text(preview.crs)}"
        + ("（指定がないため経緯度とみなしました）" if preview.crs_assumed else "")
    )
    st.markdown("##### 1. 名前・コードの列と階層")
    name_field, code_field, level = _boundary_fields(preview, fingerprint)
    request = (fingerprint, "districts", name_field, code_field, level, crs)

    def run(dry_run: bool) -> Any:
        return import_boundary_upload(
            db.get_engine(),
            actor,
            frame,
            filename,
            level,
            name_field=name_field,
            code_field=code_field,
            source_crs=crs or None,
            dry_run=dry_run,
        )

    st.markdown("##### 2. 試行（確認だけ。データベースは変えません）")
    if st.button("試行する", key="imp_check_button", icon=":material/fact_check:"):
        st.session_state.pop("imp_done", None)
        st.session_state["imp_check"] = _boundary_check(run, request)
    check = _current("imp_check", request)
    if check is not None:
        _show_check(check)
        if check.get("repaired"):
            with st.expander(f"修復した図形（{len(check['repaired'])} 件）"):
                st.dataframe(pd.DataFrame({"図形": check["repaired"]}), hide_index=True)
    st.markdown("##### 3. 取り込み")
    _boundary_import(run, ready=check is not None and check["ok"])


def _boundary_fields(preview: Any, fingerprint: str) -> tuple[str, str | None, str | None]:
    """The chosen name column, code column (None: numbered) and level (None: from the file)."""
    left, middle, right = st.columns(3)
    names = preview.columns
    name_field = left.selectbox(
        "名前の列＊",
        names,
        index=names.index(preview.name_guess) if preview.name_guess in names else 0,
        key=f"imp_bname_{fingerprint}",
    )
    code_options = [_UNUSED, *names]
    code_value = middle.selectbox(
        "コードの列（なければ連番）",
        code_options,
        index=code_options.index(preview.code_guess) if preview.code_guess in code_options else 0,
        key=f"imp_bcode_{fingerprint}",
    )
    levels = ([_FROM_FILE] if preview.has_level_column else []) + list(DISTRICT_LEVELS)
    level_choice = right.selectbox(
        "階層",
        levels,
        format_func=lambda c: "ファイルの階層の列に従う" if c == _FROM_FILE else DISTRICT_LEVELS[c],
        index=levels.index("district") if not preview.has_level_column else 0,
        key=f"imp_blevel_{fingerprint}",
    )
    return (
        name_field,
        None if code_value == _UNUSED else code_value,
        None if level_choice == _FROM_FILE else level_choice,
    )


def _boundary_check(run: Callable[[bool], Any], request: tuple[Any, ...]) -> dict[str, Any]:
    """The dry run's outcome, as kept in the session for the current file and choices."""
    try:
        plan = run(True).plan
    except ImportRejected as error:
        return {
            "request": request,
            "ok": False,
            "message": error.message,
            "problems": error.problems,
        }
    by_level = pd.Series([d.level for d in plan.districts]).value_counts()
    summary = "、".join(
        f"{markdown_text(DISTRICT_LEVELS.get(k, k))} {v} 区域" for k, v in by_level.items()
    )
    repaired = list(plan.repaired)
    return {
        "request": request,
        "ok": True,
        "problems": plan.problems,
        "message": (
            f"座標参照系 {markdown_text(plan.source_crs)} → EPSG:4326。{plan.features} "
            "件の図形から "
            f"{summary} を取り込めます。修復した図形 {len(repaired)} 件"
        ),
        "repaired": repaired,
    }


def _boundary_import(run: Callable[[bool], Any], *, ready: bool) -> None:
    """The import button (enabled after a clean dry run) and its outcome."""
    if st.button(
        "取り込む",
        type="primary",
        disabled=not ready,
        key="imp_run_button",
        icon=":material/upload:",
    ):
        bar = st.progress(0.1, text="取り込んでいます…")
        result = _run_import(bar, lambda: run(False))
        if result is None:
            return
        bar.progress(1.0, text="完了")
        st.session_state.pop("imp_check", None)
        st.session_state["imp_done"] = {
            "kind": "districts",
            "text": (
                f"取り込みました: 新規 {result.created} 区域、更新 {result.updated} 区域、"
                f"上位の区域を設定 {result.nested} 件、修復 {len(result.plan.repaired)} 件"
            ),
        }
        st.rerun()
    elif not ready:
        st.caption("試行して問題（エラー）がなければ取り込めます。")


# ---------------------------------------------------------------- shared


def _current(key: str, request: tuple[Any, ...]) -> dict[str, Any] | None:
    """The stored check result if it was made for exactly the current file and choices."""
    stored = st.session_state.get(key)
    if stored is None:
        return None
    if stored["request"] != request:
        st.caption("ファイルか選択が変わりました。もう一度試行してください。")
        return None
    return stored


def _show_check(check: dict[str, Any]) -> None:
    problems: list[Problem] = check["problems"]
    n_errors = sum(p.severity == "error" for p in problems)
    n_warnings = sum(p.severity == "warning" for p in problems)
    if check["ok"]:
        st.success(check["message"])  # built here from counts only
    else:
        st.error(
            markdown_text(check["message"]) + (f"（エラー {n_errors} 件）" if n_errors else "")
        )
    if n_warnings:
        st.warning(
            f"注意 {n_warnings} 件（取り込みは止めませんが、該当する行は除外されることがあります）"
        )
    _problem_table(problems)
    if check.get("outcomes"):
        with st.expander("全行の結果（取り込む・除外・位置の精度）"):
            st.dataframe(pd.DataFrame(check["outcomes"]), hide_index=True, use_container_width=True)


def _problem_table(problems: list[Problem]) -> None:
    """Every problem as a table (行, 列, 内容, 種類), errors first."""
    if not problems:
        return
    order = {"error": 0, "warning": 1}
    ranked = sorted(
        problems, key=lambda p: (order.get(p.severity, 2), p.row if p.row is not None else -1)
    )
    frame = pd.DataFrame(problem_rows(ranked), columns=["種類", "行", "列", "内容"])
    frame["行"] = frame["行"].map(lambda v: "ファイル全体" if v == "" else str(v))
    st.dataframe(frame, hide_index=True, use_container_width=True)


def _remember_done(kind: str, result: Any, table: RawTable, filename: str) -> None:
    """What the import did, and the rejected rows' file, for the page after the rerun
    (kept in this user's session only; wiped when the user changes)."""
    skipped = f"（重複などで除外 {result.plan.skipped} 行）" if result.plan.skipped else ""
    done: dict[str, Any] = {
        "kind": kind,
        "text": f"取り込みました: {created_text(result.created)}{skipped}",
    }
    if result.rejected:
        data, name, mime = rejected_file(table, result.rejected, filename)
        done.update(rejected=len(result.rejected), data=data, name=name, mime=mime)
    st.session_state["imp_done"] = done


def _rejected_download(actor: Any, done: dict[str, Any]) -> None:
    if not done.get("rejected"):
        return
    st.warning(
        f"問題のある {done['rejected']} 行は取り込んでいません。理由を書いた「問題」の列を付けた"
        "ファイルをダウンロードし、直して取り込み直してください。"
    )
    downloads.download_button(
        actor,
        f"問題のある行（{done['rejected']} 行）をダウンロード",
        done["data"],
        file_name=done["name"],
        mime=done["mime"],
        what=f"import_rejected:{done['kind']}",
        icon=":material/download:",
        key="imp_rejected_download",
    )


def _run_import(bar: Any, write: Callable[[], T]) -> T | None:
    """Run the all-or-nothing write; on failure say so (nothing changed) and return None."""
    try:
        return write()
    except ImportRejected as error:
        bar.empty()
        st.session_state.pop("imp_check", None)
        st.error(
            markdown_text(error.message)
            + ("" if _NOTHING_CHANGED in error.message else _NOTHING_CHANGED)
        )
        _problem_table(error.problems)
    except SQLAlchemyError:
        bar.empty()
        st.error("書き込み中に問題が起きたため取り込みませんでした。" + _NOTHING_CHANGED)
    return None
