"""見守り者: the watchers of the staff member's districts with their load; create and edit."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from lsmap import access, records
from lsmap.access.views import DistrictInfo
from lsmap.escape import markdown_text
from lsmap.storage import audit, db
from lsmap.ui import editing
from lsmap.ui.context import require_actor
from lsmap.ui.labels import label_for
from lsmap.ui.sidebar import user_box
from lsmap.ui.watcher_accounts import watcher_accounts_section
from lsmap.vocab import WATCHER_ROLES, AuditAction, Entity, label

HEAVY_LOAD = 8


def render() -> None:
    """Watcher list with load, an edit form for the chosen one, and a create form."""
    actor = require_actor()

    user_box(actor)
    editing.show_flash()
    st.subheader("見守り者")
    with db.transaction(db.get_engine()) as session:
        watchers = access.watchers_with_load(session, actor)
        districts = access.editable_districts(session, actor)
        audit.log(
            session, actor, AuditAction.VIEW_WATCHERS, Entity.WATCHER, [w["id"] for w in watchers]
        )
    if watchers:
        _watcher_table(watchers)
    by_id = {w["id"]: w for w in watchers}
    chosen = st.selectbox(
        "編集する見守り者",
        list(by_id),
        index=None,
        placeholder="名前で検索して選ぶ",
        format_func=lambda i: f"{by_id[i]['name']}（担当 {by_id[i]['load']} 世帯）",
    )
    if chosen is not None:
        _edit_watcher(actor, chosen, by_id[chosen], districts)
    st.markdown("#### 見守り者を登録する")
    p = editing.widget_prefix("watcher", "new")
    values = _inputs(p, {}, districts)
    if st.button("登録する", key=p + "create", type="primary"):
        new_id = editing.attempt(lambda: records.create_watcher(db.get_engine(), actor, values))
        if new_id is not None:
            for key in [k for k in st.session_state if isinstance(k, str) and k.startswith(p)]:
                del st.session_state[key]
            editing.flash(f"見守り者 No.{new_id} を登録しました")
            st.rerun()
    with st.expander("見守り者のアカウント（わたしの見守り・ワンタイムコード）"):
        watcher_accounts_section(actor, key="watchers")


def _watcher_table(watchers: list[dict[str, Any]]) -> None:
    """The watchers with their load, and how many carry a heavy one."""
    st.dataframe(
        pd.DataFrame(
            {
                "番号": [w["id"] for w in watchers],
                "氏名": [w["name"] for w in watchers],
                "役割": [label(WATCHER_ROLES, w["role"]) for w in watchers],
                "地区": [w["district_name"] for w in watchers],
                "電話": [w["phone"] for w in watchers],
                "担当世帯数": [w["load"] for w in watchers],
            }
        ),
        hide_index=True,
        use_container_width=True,
    )
    heavy = sum(1 for w in watchers if w["load"] >= HEAVY_LOAD)
    if heavy:
        st.caption(f"{HEAVY_LOAD} 世帯以上を担当している見守り者: {heavy} 人")


def _edit_watcher(
    actor: Any, chosen: int, watcher: dict[str, Any], districts: list[DistrictInfo]
) -> None:
    """The edit form of one watcher, with save and delete."""
    loaded = editing.snapshot(
        actor,
        "watcher",
        chosen,
        {k: v for k, v in watcher.items() if k not in ("district_name", "load")},
    )
    p = editing.widget_prefix("watcher", chosen)
    values = _inputs(p, loaded, districts)
    saved = st.button("保存", key=p + "save", type="primary") and editing.save(
        actor, "watcher", chosen, values, loaded, "見守り者を保存しました"
    )
    load = watcher.get("load", 0)
    what = (
        f"見守り者「{markdown_text(loaded.get('name', ''))}」を削除します。"
        f"見守っている {load} 世帯とのつながりも地図から消えます"
        "（「削除した記録」から元に戻せます）。"
    )
    removed = editing.confirmed(p + "delete", "この見守り者を削除", what) and editing.remove(
        actor, "watcher", chosen, loaded, "削除しました（「削除した記録」から戻せます）"
    )
    if saved or removed:
        st.rerun()


def _inputs(p: str, loaded: dict[str, Any], districts: list[DistrictInfo]) -> dict[str, Any]:
    roles = list(WATCHER_ROLES)
    by_id = {d.id: d for d in districts}
    ids = list(by_id)
    col1, col2, col3 = st.columns(3)
    values: dict[str, Any] = {
        "name": col1.text_input("氏名", value=loaded.get("name", ""), key=p + "name"),
        "role": col2.selectbox(
            "役割",
            roles,
            format_func=label_for(WATCHER_ROLES),
            index=roles.index(loaded["role"]) if loaded.get("role") in roles else 0,
            key=p + "role",
        ),
        "district_id": col3.selectbox(
            "地区・町丁目",
            ids,
            format_func=lambda i: by_id[i].name,
            index=ids.index(loaded["district_id"]) if loaded.get("district_id") in ids else 0,
            key=p + "district_id",
        ),
    }
    col1, col2, col3 = st.columns(3)
    values["phone"] = col1.text_input("電話番号", value=loaded.get("phone", ""), key=p + "phone")
    values["address"] = col2.text_input("住所", value=loaded.get("address", ""), key=p + "address")
    values["birth_year"] = col3.text_input(
        "生年（西暦）",
        value="" if loaded.get("birth_year") is None else str(loaded["birth_year"]),
        key=p + "birth_year",
    )
    col1, col2 = st.columns(2)
    values["lon"] = (
        col1.text_input(
            "経度（任意）",
            value="" if loaded.get("lon") is None else str(loaded["lon"]),
            key=p + "lon",
        )
        or None
    )
    values["lat"] = (
        col2.text_input(
            "緯度（任意）",
            value="" if loaded.get("lat") is None else str(loaded["lat"]),
            key=p + "lat",
        )
        or None
    )
    return values
