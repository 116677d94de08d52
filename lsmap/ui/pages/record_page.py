"""見守り記録: one household's 見守りネットワーク記録 (residents, watchers, contacts, card)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from lsmap import access
from lsmap.access.geocoding import location_level
from lsmap.access.issues import household_issues
from lsmap.access.views import ResidentView, WatchRecord, withheld_reason
from lsmap.escape import markdown_text
from lsmap.storage import db
from lsmap.ui.context import require_actor
from lsmap.ui.issue_forms import issues_view
from lsmap.ui.links import go
from lsmap.ui.record_top import record_top
from lsmap.ui.sidebar import user_box
from lsmap.vocab import (
    CONSENT_STATUSES,
    EMERGENCY_RELATIONS,
    FREQUENCIES,
    HOUSEHOLD_TYPES,
    INVOLVEMENTS,
    LOGGED_LABELS,
    WATCHER_ROLES,
    label,
)


def _household_id() -> int | None:
    raw = st.query_params.get("household")
    try:
        return int(raw) if raw is not None else None
    except ValueError:
        return None


def render() -> None:
    """Draw the record page for ``?household=ID``."""
    actor = require_actor()

    user_box(actor)
    household_id = _household_id()
    if household_id is None:
        st.subheader("見守り記録")
        st.info(
            "地図の世帯をクリックし「見守り記録を開く」を選ぶと、その世帯の記録が表示されます。"
        )
        if st.button("地図へ"):
            go("map")
        return
    try:
        with db.transaction(db.get_engine()) as session:
            record = access.watch_record(session, actor, household_id)
            level = location_level(session, actor, household_id)
            issues = household_issues(session, actor, household_id)
    except access.AccessDenied as denied:
        st.error(markdown_text(denied.message))
        return
    record_top(actor, record)  # issue 12: banner, 見守りを記録, history
    show_record(record, level)
    issues_view(issues)
    from lsmap.ui.print_buttons import print_buttons  # issue 3: printouts and editing

    print_buttons(actor, household_id, made_from=record)
    if access.can(actor, access.Action.EDIT) and st.button("この記録を編集する", type="primary"):
        go("edit", household=str(household_id))
    if st.button("地図へ戻る"):
        go("map")


def _consent(resident: ResidentView) -> str:
    """同意の状況: status, and for staff also when, on what basis and who recorded it."""
    if resident.consent_status is None:
        return ""
    details = [
        f"{resident.consent_date:%Y-%m-%d}" if resident.consent_date else "",
        resident.consent_basis or "",
        f"記録: {resident.consent_recorded_by}" if resident.consent_recorded_by else "",
    ]
    extra = "、".join(d for d in details if d)
    return label(CONSENT_STATUSES, resident.consent_status) + (f"（{extra}）" if extra else "")


def place_text(approximate: bool, level: str | None) -> str | None:
    """How the household's point was found, for the record (None for a surveyed point)."""
    if level == "block":
        return "街区の代表点（おおよその位置。住所の街区・地番から）"
    if level == "town" or (approximate and level in (None, "given")):
        return "町丁目の代表点（おおよその位置）"
    if level == "manual":
        return "地図で指定した位置"
    return None


def show_record(record: WatchRecord, level: str | None = None) -> None:
    """Render a projected watch record; every user-written value is shown as text."""
    facts = [f"**町丁目**: {markdown_text(record.district_name)}"]
    if record.address is not None:
        facts.append(f"**住所**: {markdown_text(record.address)}")
    if record.household_type is not None:
        facts.append(
            f"**世帯の状況**: {markdown_text(label(HOUSEHOLD_TYPES, record.household_type))}"
        )
    place = place_text(record.approximate, level)
    if place is not None:
        facts.append(f"**位置**: {place}")
    if record.closed_on is not None:
        facts.append(f"**終了日**: {record.closed_on:%Y-%m-%d}")
    st.markdown("  \n".join(facts))
    if record.note:
        st.text(record.note)
    if record.details_withheld:
        reason = withheld_reason(record.hidden_residents)
        st.warning(f"{reason}、この世帯の詳細は表示されません（番号のみ）。")

    st.markdown("#### 気がかりな人")
    if record.residents:
        st.dataframe(
            pd.DataFrame(
                {
                    "氏名": [r.name for r in record.residents],
                    "ふりがな": [r.furigana for r in record.residents],
                    "生年": [r.birth_year for r in record.residents],
                    "電話": [r.phone for r in record.residents],
                    "気になるところ": [
                        "、".join(r.concern_tags) + (f"（{r.concerns}）" if r.concerns else "")
                        for r in record.residents
                    ],
                    "同意": [_consent(r) for r in record.residents],
                }
            ),
            hide_index=True,
            use_container_width=True,
        )
    if record.hidden_residents:
        st.caption(
            f"ほかに同意のない方が {record.hidden_residents} 名います（氏名等は表示しません）。"
        )

    st.markdown("#### 見守り者と関わり方")
    if record.watchers:
        watchers = pd.DataFrame(
            {
                "氏名": [w.name for w in record.watchers],
                "役割": [label(WATCHER_ROLES, w.role) for w in record.watchers],
                "関わり方": [
                    "、".join(
                        w.involvement_lines(
                            lambda i: label(INVOLVEMENTS, i), lambda f: label(FREQUENCIES, f)
                        )
                    )
                    for w in record.watchers
                ],
                "連絡の記録": [
                    "、".join(LOGGED_LABELS[x] for x in dict.fromkeys(w.logged))
                    for w in record.watchers
                ],
            }
        )
        if any(w.phone is not None for w in record.watchers):  # hidden from meeting viewers
            watchers["電話"] = [w.phone or "" for w in record.watchers]
        watchers["自宅の位置"] = [
            "未設定" if w.unlocated else "地図にあり" for w in record.watchers
        ]
        st.dataframe(watchers, hide_index=True, use_container_width=True)
        unlocated = [w.name for w in record.watchers if w.unlocated]
        if unlocated:
            names = "、".join(markdown_text(name) for name in unlocated)
            st.caption(f"位置未設定の見守り者 {len(unlocated)} 人（地図に線が出ません）: {names}")
    else:
        st.error("この世帯には見守り者がいません。")

    if not record.details_withheld:
        st.markdown("#### 緊急連絡カード")
        if record.emergency_contacts:
            st.dataframe(
                pd.DataFrame(
                    {
                        "氏名・機関": [e.name for e in record.emergency_contacts],
                        "関係": [
                            label(EMERGENCY_RELATIONS, e.relation)
                            for e in record.emergency_contacts
                        ],
                        "電話": [e.phone for e in record.emergency_contacts],
                        "備考": [e.note for e in record.emergency_contacts],
                    }
                ),
                hide_index=True,
                use_container_width=True,
            )
        else:
            st.info("緊急連絡先は登録されていません。")
