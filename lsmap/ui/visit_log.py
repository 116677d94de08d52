"""The top of a household's record (issue 12): the 「見守りを記録」 form, and the contact
history with filters and pages. The same form opens in a dialog from each 要対応 row.

The form is a fragment: choosing a type or ticking a 気づき reruns only the form, not the
record around it. A saved entry is written through :func:`lsmap.records.record_contact`
(validated, versioned, audited) and the whole page reruns, so it tops the history.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

import streamlit as st

from lsmap import access, records
from lsmap.access import Actor
from lsmap.access.views import ContactView
from lsmap.escape import markdown_text
from lsmap.storage import db
from lsmap.ui import editing
from lsmap.vocab import (
    CONTACT_METHODS,
    CONTACT_OUTCOMES,
    URGENT_SIGNS,
    URGENT_SIGNS_TEXT,
    WARNING_SIGNS,
    label,
)

WHEN: dict[str, str] = {"today": "今日", "yesterday": "昨日", "date": "日付を指定"}
#: Periods of the history filter: label -> days back (None: everything).
PERIODS: dict[str, int | None] = {
    "すべて": None,
    "1か月": 31,
    "3か月": 92,
    "1年": 366,
}
SAVED = "見守りを記録しました"


def _day(choice: str, picked: date | None, today: date) -> date | None:
    """The contact's date from the 今日 / 昨日 / 日付 choice."""
    if choice == "today":
        return today
    if choice == "yesterday":
        return today - timedelta(days=1)
    return picked


def _clear(prefix: str) -> None:
    for key in [k for k in st.session_state if str(k).startswith(prefix)]:
        del st.session_state[key]


@st.fragment
def visit_form(
    actor: Actor, household_id: int, watchers: Sequence[tuple[int, str]], *, key: str
) -> None:
    """The 「見守りを記録」 form: type, who, when, outcome, 気づき, note; saves on 記録する."""
    # a fresh set of widgets after each save (the browser would send the old values back)
    generation = st.session_state.get(f"visit-gen-{key}-{household_id}", 0)
    p = f"visit-{key}-{household_id}-{generation}-"
    today = date.today()
    method = st.radio(
        "種類", list(CONTACT_METHODS), format_func=CONTACT_METHODS.get, horizontal=True, key=p + "m"
    )
    me = f"職員（{actor.display_name or actor.username}）"
    names = dict(watchers)
    who = st.selectbox(
        "対応した人",
        [None, *names],
        format_func=lambda w: me if w is None else names[w],
        key=p + "w",
    )
    when = st.radio("いつ", list(WHEN), format_func=WHEN.get, horizontal=True, key=p + "when")
    picked = None
    if when == "date":
        picked = st.date_input(
            "日付", value=today, max_value=today, format="YYYY/MM/DD", key=p + "d"
        )
    outcome = st.radio(
        "結果",
        list(CONTACT_OUTCOMES),
        format_func=CONTACT_OUTCOMES.get,
        horizontal=True,
        key=p + "o",
    )
    st.markdown(f"**気づき**（{URGENT_SIGNS_TEXT}は訪問で確認するまで要対応になります）")
    # one per line, in the paper form's order (columns would reorder them on a phone)
    signs = [code for code, text in WARNING_SIGNS.items() if st.checkbox(text, key=p + "s-" + code)]
    note = st.text_area(
        "メモ", key=p + "note", height=80, placeholder="様子、話したこと、次にすること"
    )
    if st.button("記録する", type="primary", key=p + "save", width="stretch"):
        values = {
            "contacted_on": _day(when, picked, today),
            "method": method,
            "watcher_id": who,
            "outcome": outcome,
            "signs": signs,
            "observation": note,
        }
        saved = editing.attempt(
            lambda: records.record_contact(db.get_engine(), actor, household_id, values)
        )
        if saved is not None:
            _clear(p)
            st.session_state[f"visit-gen-{key}-{household_id}"] = generation + 1
            editing.flash(SAVED)
            st.rerun(scope="app")


def entry_text(entry: ContactView) -> str:
    """One history line as Markdown (every value escaped; urgent 気づき in red)."""
    who = entry.watcher_name or entry.recorded_by or ""
    head = (
        f"**{entry.contacted_on:%Y-%m-%d}** {markdown_text(label(CONTACT_METHODS, entry.method))}"
    )
    if entry.outcome:
        head += f"・{markdown_text(label(CONTACT_OUTCOMES, entry.outcome))}"
    if who:
        head += f"（{markdown_text(who)}）"
    lines = [head]
    if entry.signs:
        ordered = sorted(entry.signs, key=lambda s: (s not in URGENT_SIGNS, s))
        text = markdown_text("、".join(label(WARNING_SIGNS, s) for s in ordered))
        urgent = any(s in URGENT_SIGNS for s in entry.signs)
        lines.append(f":red[**気づき**: {text}]" if urgent else f"**気づき**: {text}")
    if entry.observation:
        lines.append(markdown_text(entry.observation))
    return "  \n".join(lines)


def history_section(actor: Actor, household_id: int) -> None:
    """The full contact history: filters (type, period), newest first, in pages."""
    st.markdown("#### 見守り活動の記録")
    p = f"history-{household_id}-"
    left, right = st.columns([3, 2])
    methods = left.multiselect(
        "種類で絞り込む",
        list(CONTACT_METHODS),
        format_func=lambda code: label(CONTACT_METHODS, code),
        key=p + "m",
        placeholder="すべての種類",
    )
    period = right.selectbox("期間", list(PERIODS), key=p + "period")
    days = PERIODS[period]
    since = None if days is None else date.today() - timedelta(days=days)
    page = int(st.session_state.get(p + "page", 1))
    with db.transaction(db.get_engine()) as session:
        found = access.contact_history(
            session, actor, household_id, methods=tuple(methods), since=since, page=page
        )
    if not found.total:
        st.info("条件に合う見守り活動の記録はありません。")
        return
    for entry in found.entries:
        with st.container(border=True):
            st.markdown(entry_text(entry))
    _pager(p, found)


def _pager(p: str, found: access.HistoryPage) -> None:
    """「新しい記録へ / 古い記録へ」 and where we are."""
    if found.pages <= 1:
        st.caption(f"全 {found.total} 件")
        return
    left, middle, right = st.columns([1, 2, 1])
    if left.button("← 新しい記録", key=p + "newer", disabled=found.page <= 1):
        st.session_state[p + "page"] = found.page - 1
        st.rerun()
    middle.caption(f"全 {found.total} 件・{found.page} / {found.pages} ページ")
    if right.button("古い記録 →", key=p + "older", disabled=found.page >= found.pages):
        st.session_state[p + "page"] = found.page + 1
        st.rerun()
