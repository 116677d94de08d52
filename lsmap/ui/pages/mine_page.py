"""「わたしの見守り」: a 見守り者's phone page (issue 13) — the households its own watcher
row is linked to, with the last contact, and three big buttons each:
「会えた・元気」 (saved at once: one tap from the list), 「会えなかった」 (saved at once) and
「気になることがある」 (opens the 気づき checklist of the staff form and a note).

What is shown is decided in :func:`lsmap.access.my_households`; reports are written by
:func:`lsmap.records.watcher_reports.report_contact` as the watcher, audited. The date is
今日 unless 昨日 is chosen (no calendar picker); text is at least 16 px and buttons at least
44 px high for old eyes and thumbs.
"""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import streamlit as st

from lsmap import access
from lsmap.access import Actor, MyHousehold
from lsmap.access.my_watch import FIELDS_OF_WORK
from lsmap.escape import markdown_text
from lsmap.records.watcher_reports import URGENT_NOTICE, Report, report_contact
from lsmap.storage import db
from lsmap.ui import editing
from lsmap.ui.context import require_actor
from lsmap.ui.downloads import download_button
from lsmap.ui.sidebar import user_box
from lsmap.vocab import (
    CONTACT_METHODS,
    EMERGENCY_RELATIONS,
    INVOLVEMENTS,
    URGENT_SIGNS,
    WARNING_SIGNS,
    label,
)

#: Static CSS only (no user text): large type and thumb-sized buttons on a phone.
PHONE_CSS = """
<style>
section.main p, section.main li, section.main label, [data-testid="stMarkdownContainer"] p,
[data-testid="stWidgetLabel"] p, [data-testid="stCheckbox"] p { font-size: 18px !important; }
[data-testid="stBaseButton-primary"], [data-testid="stBaseButton-secondary"] {
  min-height: 56px !important; width: 100% !important; font-size: 18px !important; }
[data-testid="stBaseButton-primary"] p, [data-testid="stBaseButton-secondary"] p {
  font-size: 18px !important; }
[data-testid="stCheckbox"] label { min-height: 44px; align-items: center; }
</style>
"""
WHEN: dict[str, str] = {"today": "今日", "yesterday": "昨日"}
SAVED: dict[str, str] = {
    Report.MET_WELL: "「会えた・元気」を記録しました",
    Report.NOT_MET: "「会えなかった」を記録しました",
    Report.WORRIED: "「気になることがある」を社協に送りました",
}
NONE_LINKED = "見守りをしている世帯がまだ登録されていません。社協の地区担当にお問い合わせください。"


def _day(today: date) -> date:
    choice = st.session_state.get("mine-when", "today")
    return today - timedelta(days=1) if choice == "yesterday" else today


def _send(
    actor: Actor, household: MyHousehold, report: Report, signs: list[str], note: str
) -> None:
    """Save one report; remember what to tell the watcher after the rerun."""
    saved = editing.attempt(
        lambda: report_contact(
            db.get_engine(),
            actor,
            household.household_id,
            report,
            on=_day(date.today()),
            signs=signs,
            note=note,
        )
    )
    if saved is None:
        return
    st.session_state["mine-said"] = (household.household_id, SAVED[report], saved.urgent)
    st.session_state.pop("mine-open", None)
    st.session_state["mine-gen"] = st.session_state.get("mine-gen", 0) + 1
    st.rerun()


def _title(household: MyHousehold) -> str:
    names = "・".join(household.names) if household.names else "（お名前は表示しません）"
    return f"**No.{household.number}　{markdown_text(names)}**"


def _facts(household: MyHousehold) -> None:
    lines = [_title(household), f"住所：{markdown_text(household.address)}"]
    if household.phones:
        lines.append(f"電話：{markdown_text('・'.join(household.phones))}")
    ways = "・".join(label(INVOLVEMENTS, code) for code in household.involvements)
    lines.append(f"わたしの関わり方：{markdown_text(ways)}")
    last = household.last_contact_on
    lines.append(f"最後の連絡：{last:%Y年%m月%d日}" if last else "最後の連絡：まだありません")
    st.markdown("  \n".join(lines))
    if household.emergency:
        with st.expander("緊急連絡先"):
            for line in household.emergency:
                relation = label(EMERGENCY_RELATIONS, line.relation)
                st.markdown(
                    f"{markdown_text(line.name)}（{markdown_text(relation)}）"
                    f"　{markdown_text(line.phone)}"
                )


def _worry_form(actor: Actor, household: MyHousehold) -> None:
    """The 気づき checklist (the staff form's list, in the paper order) and a note."""
    p = f"mine-{household.household_id}-{st.session_state.get('mine-gen', 0)}-"
    st.markdown("**気づいたこと**（あてはまるものを押してください）")
    signs = [code for code, text in WARNING_SIGNS.items() if st.checkbox(text, key=p + code)]
    note = st.text_area("メモ（なくてもかまいません）", key=p + "note", height=90)
    if st.button("社協に送る", type="primary", key=p + "send", width="stretch"):
        _send(actor, household, Report.WORRIED, signs, note)
    if st.button("やめる", key=p + "cancel", width="stretch"):
        st.session_state.pop("mine-open", None)
        st.rerun()


def _said(household: MyHousehold) -> None:
    said = st.session_state.get("mine-said")
    if not said or said[0] != household.household_id:
        return
    st.success(said[1])
    if said[2]:
        st.error(URGENT_NOTICE)


def _card(actor: Actor, household: MyHousehold) -> None:
    hid = household.household_id
    with st.container(border=True):
        _facts(household)
        _said(household)
        if st.session_state.get("mine-open") == hid:
            _worry_form(actor, household)
            return
        if st.button(Report.MET_WELL.label, type="primary", key=f"mine-met-{hid}", width="stretch"):
            _send(actor, household, Report.MET_WELL, [], "")
        if st.button(Report.NOT_MET.label, key=f"mine-absent-{hid}", width="stretch"):
            _send(actor, household, Report.NOT_MET, [], "")
        if st.button(Report.WORRIED.label, key=f"mine-worry-{hid}", width="stretch"):
            st.session_state["mine-open"] = hid
            st.rerun()


def render() -> None:
    """Draw 「わたしの見守り」 for a 見守り者 account."""
    actor = require_actor()
    user_box(actor, search=False)
    st.markdown(PHONE_CSS, unsafe_allow_html=True)
    st.title("わたしの見守り")
    if not access.watches_own(actor):
        st.error("このページは見守り者のアカウントで使います")
        return
    with db.transaction(db.get_engine()) as session:
        mine = access.my_households(session, actor)
    if not mine:
        st.info(NONE_LINKED)
        return
    st.radio("いつのことですか", list(WHEN), format_func=WHEN.get, horizontal=True, key="mine-when")
    st.markdown(
        f"{'、'.join(WARNING_SIGNS[s] for s in sorted(URGENT_SIGNS))}は、すぐ社協に伝わります。"
    )
    for household in mine:
        _card(actor, household)
    with st.expander("今月の活動記録（民生委員の月報に）"):
        _activity(actor, date.today())


def activity_table(counts: dict[tuple[str, str], int]) -> pd.DataFrame:
    """The monthly 活動記録: one row per 分野, one column per kind of contact, and 合計."""
    frame = pd.DataFrame(
        {
            CONTACT_METHODS[method]: [counts.get((method, code), 0) for code in FIELDS_OF_WORK]
            for method in CONTACT_METHODS
        },
        index=pd.Index(list(FIELDS_OF_WORK.values()), name="分野"),
    )
    frame["合計"] = frame.sum(axis=1)
    return frame


def _activity(actor: Actor, today: date) -> None:
    first = today.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    with db.transaction(db.get_engine()) as session:
        counts = access.monthly_activity(session, actor, first, following)
    table = activity_table(counts)
    st.markdown(f"**{first:%Y年%m月}**の、わたしが記録した見守り（件数）")
    st.table(table)
    download_button(
        actor,
        "CSVで保存",
        table.to_csv().encode("utf-8-sig"),
        file_name=f"活動記録_{first:%Y%m}.csv",
        mime="text/csv",
        what="monthly_activity",
        key="mine-activity-csv",
    )
