"""「見守り者のアカウント」 (issue 13): district staff and administrators create a 見守り者's
account for a watcher row of their districts and print it a one-time sign-in code (shown
once; a new code revokes the older ones; codes can be revoked). Shown on the users page
(administrators) and the watchers page (staff)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from lsmap.access import Actor, user_admin
from lsmap.access.sign_in_codes import CODE_DAYS, issue_code, revoke_codes, shown
from lsmap.access.user_admin import WatcherAccount
from lsmap.escape import markdown_text
from lsmap.records import users
from lsmap.storage import db
from lsmap.ui import editing

_SHOW = "_watcher_code_once"


def watcher_accounts_section(actor: Actor, *, key: str) -> None:
    """The list of the actor's watchers with their accounts, the add form and the codes."""
    if not user_admin.may_manage_watcher_accounts(actor):
        return
    with db.transaction(db.get_engine()) as session:
        rows = user_admin.watcher_accounts(session, actor)
    st.markdown("#### 見守り者のアカウント")
    st.caption(
        "見守り者は「わたしの見守り」だけを使います（担当する世帯の記録だけ）。パスワードの代わりに、"
        f"{CODE_DAYS}日間有効・1回だけ使えるワンタイムコードを印刷して渡します。"
    )
    _code_once()
    if not rows:
        st.info("担当地区に見守り者が登録されていません。")
        return
    with_account = [r for r in rows if r.user_id is not None]
    st.dataframe(
        pd.DataFrame(
            {
                "見守り者": [r.watcher_name for r in with_account],
                "地区": [r.district_name for r in with_account],
                "ユーザー名": [r.username for r in with_account],
                "状態": ["有効" if r.active else "無効" for r in with_account],
            }
        ),
        hide_index=True,
    )
    _add_form(actor, [r for r in rows if r.user_id is None], key)
    _code_form(actor, with_account, key)


def _label(row: WatcherAccount) -> str:
    account = f"・{row.username}" if row.username else ""
    return f"{row.watcher_name}（{row.district_name}）{account}"


def _add_form(actor: Actor, free: list[WatcherAccount], key: str) -> None:
    if not free:
        return
    by_id = {r.watcher_id: r for r in free}
    with st.form(f"{key}-add-watcher-account"):
        watcher_id = st.selectbox(
            "見守り者を選ぶ", list(by_id), format_func=lambda i: _label(by_id[i])
        )
        username = st.text_input("ユーザー名（ログイン名）", max_chars=64)
        submitted = st.form_submit_button("見守り者のアカウントを作る")
    if submitted and watcher_id is not None:
        made = editing.attempt(
            lambda: users.add_watcher_account(db.get_engine(), actor, username, int(watcher_id))
        )
        if made is not None:
            editing.flash(f"見守り者のアカウント「{markdown_text(username.strip())}」を作りました")
            st.rerun()


def _code_form(actor: Actor, accounts: list[WatcherAccount], key: str) -> None:
    if not accounts:
        return
    by_user = {int(r.user_id): r for r in accounts if r.user_id is not None}
    chosen = st.selectbox(
        "コードを発行する見守り者",
        list(by_user),
        format_func=lambda i: _label(by_user[i]),
        key=f"{key}-code-user",
    )
    left, right = st.columns(2)
    if left.button("ワンタイムコードを発行", type="primary", key=f"{key}-issue"):
        code = editing.attempt(lambda: _issue(actor, int(chosen)))
        if code is not None:
            st.session_state[_SHOW] = (by_user[int(chosen)].watcher_name, code)
            st.rerun()
    if right.button("コードを取り消す", key=f"{key}-revoke"):
        count = editing.attempt(lambda: _revoke(actor, int(chosen)))
        if count is not None:
            editing.flash(f"使われていないコードを {count} 件取り消しました")
            st.rerun()


def _issue(actor: Actor, user_id: int) -> str:
    with db.transaction(db.get_engine()) as session:
        return issue_code(session, actor, user_id)


def _revoke(actor: Actor, user_id: int) -> int:
    with db.transaction(db.get_engine()) as session:
        return revoke_codes(session, actor, user_id)


def _code_once() -> None:
    """The new code, shown this one time (print it or write it down now)."""
    issued = st.session_state.pop(_SHOW, None)
    if issued is None:
        return
    name, code = issued
    st.success(
        f"{markdown_text(name)}さんのワンタイムコード（{CODE_DAYS}日間有効・1回だけ）:  \n"
        f"## {shown(code)}\n"
        "この画面を離れると二度と表示されません。印刷するか書き写して渡してください。"
    )
