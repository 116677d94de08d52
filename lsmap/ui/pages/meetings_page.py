"""会議の記録: the register of a 福祉連絡会's meetings (date, area, attendees counted by role,
households reviewed by 世帯番号, decisions, next date), entered by the meeting or staff, and
its minutes as PDF: numbers, not names, unless staff ask for names."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from lsmap import access
from lsmap.access import Actor, MeetingRecordView
from lsmap.access.views import DistrictInfo
from lsmap.printing.meeting_sheets import japanese_date, minutes_pdf
from lsmap.records import meeting_work
from lsmap.storage import db
from lsmap.ui import downloads, editing
from lsmap.ui.context import require_actor
from lsmap.ui.meeting_forms import choose_area, login_session_id
from lsmap.ui.sidebar import user_box
from lsmap.vocab import ATTENDEE_ROLES, Entity

SLOT = "minutes"


def render() -> None:
    """The register of the actor's areas, a form for a new entry, and printable minutes."""
    actor = require_actor()
    user_box(actor)
    editing.show_flash()
    st.subheader("会議の記録")
    with db.transaction(db.get_engine()) as session:
        entries = access.meeting_records(session, actor)
    _register_table(entries)
    if entries:
        _minutes(actor, entries)
    st.markdown("#### 会議を記録する")
    area = choose_area(actor, "町内・地区", "reg-area")
    if area is not None:
        _entry_form(actor, area)


def _register_table(entries: list[MeetingRecordView]) -> None:
    if not entries:
        st.caption("まだ会議の記録はありません")
        return
    st.dataframe(
        pd.DataFrame(
            {
                "記録番号": [e.id for e in entries],
                "開催日": [japanese_date(e.held_on) for e in entries],
                "町内・地区": [e.district_name for e in entries],
                "出席者数": [sum(e.attendees.values()) for e in entries],
                "見直した世帯数": [len(e.households_reviewed) for e in entries],
                "決まったこと": [e.decisions for e in entries],
                "次回": [japanese_date(e.next_meeting_on) for e in entries],
            }
        ),
        hide_index=True,
        use_container_width=True,
    )


def _minutes(actor: Actor, entries: list[MeetingRecordView]) -> None:
    by_id = {e.id: e for e in entries}
    chosen = st.selectbox(
        "印刷する記録",
        list(by_id),
        key="reg-print",
        format_func=lambda i: f"{japanese_date(by_id[i].held_on)} {by_id[i].district_name}",
    )
    names = access.may_print_names(actor) and st.checkbox(
        "氏名を入れる（職員のみ。会議の配布資料には使わないでください）", key="reg-names"
    )
    if chosen is None:
        return
    key = downloads.file_key(actor, "minutes", chosen, by_id[chosen].version, bool(names))
    if st.button("議事録（PDF）を作る", key="reg-make"):
        with db.transaction(db.get_engine()) as session:
            downloads.keep(SLOT, key, minutes_pdf(session, actor, chosen, with_names=bool(names)))
    pdf = downloads.kept(SLOT, key)
    if pdf is None:
        return
    downloads.download_button(
        actor,
        "議事録（PDF）をダウンロード",
        pdf,
        file_name=f"会議の記録_{by_id[chosen].held_on.isoformat()}.pdf",
        mime="application/pdf",
        what="minutes_with_names" if names else "minutes",
        entity=Entity.MEETING_RECORD,
        ids=[chosen],
        key="reg-download",
        then_drop=SLOT,
    )


def _entry_form(actor: Actor, area: DistrictInfo) -> None:
    with db.transaction(db.get_engine()) as session:
        points = access.household_points(session, actor, access.area_for(session, area.id))
    options = {p.id: f"世帯番号 {p.id}（地図の番号 {p.number}）" for p in points}
    with st.form(f"reg-form-{area.id}", clear_on_submit=False):
        held = st.date_input("開催日", value=meeting_work.local_today(), format="YYYY/MM/DD")
        st.markdown("出席者（役割ごとの人数。氏名は不要です）")
        columns = st.columns(4)
        counts = {
            role: columns[index % 4].number_input(
                title, min_value=0, max_value=999, step=1, key=f"reg-{area.id}-{role}"
            )
            for index, (role, title) in enumerate(ATTENDEE_ROLES.items())
        }
        reviewed = st.multiselect("見直した世帯", list(options), format_func=lambda h: options[h])
        decisions = st.text_area("決まったこと")
        next_on = st.date_input("次回の開催日", value=None, format="YYYY/MM/DD")
        sent = st.form_submit_button("記録する", type="primary")
    if sent:
        values = {
            "district_id": area.id,
            "held_on": held,
            "attendees": {k: int(v) for k, v in counts.items()},
            "households_reviewed": reviewed,
            "decisions": decisions,
            "next_meeting_on": next_on,
        }
        saved = editing.attempt(
            lambda: meeting_work.save_meeting_record(
                db.get_engine(), actor, values, session_id=login_session_id()
            )
        )
        if saved is not None:
            editing.flash(f"会議の記録を保存しました（記録番号 {saved}）")
            st.rerun()
