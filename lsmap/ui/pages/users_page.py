"""利用者の管理: administrators list accounts, add one, change its role and districts, reset
its password, and disable or enable it. Every change is audited; the destructive ones ask
first and say what will happen."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from lsmap import access
from lsmap.access import Actor, user_admin
from lsmap.access.user_admin import UserAccount
from lsmap.access.views import DistrictInfo
from lsmap.escape import markdown_text
from lsmap.records import users
from lsmap.settings import local_time
from lsmap.storage import audit, db
from lsmap.ui import editing
from lsmap.ui.context import require_actor
from lsmap.ui.sidebar import user_box
from lsmap.ui.watcher_accounts import watcher_accounts_section
from lsmap.vocab import ROLES, AuditAction, Entity, Role

_CONFIRM = "_users_confirm"


def render() -> None:
    """The account list, the add form and the changes of one chosen account."""
    actor = require_actor()
    user_box(actor)
    st.subheader("利用者の管理")
    if not access.may_manage_users(actor):
        st.error(user_admin.NOT_ALLOWED)
        return
    editing.show_flash()
    with db.transaction(db.get_engine()) as session:
        accounts = user_admin.user_accounts(session, actor)
        districts = access.visible_districts(session, actor)
        audit.log(session, actor, AuditAction.VIEW_USERS, Entity.USER, [a.id for a in accounts])
    _account_table(accounts)
    with st.expander("利用者を追加する", expanded=not accounts):
        _add_form(actor, districts)
    with st.expander("見守り者のアカウントを追加する（役割：見守り者）"):
        watcher_accounts_section(actor, key="users")
    if accounts:
        _change_section(actor, accounts, districts)


def _state(account: UserAccount) -> str:
    if not account.active:
        return "無効"
    return "ロック中" if account.locked else "有効"


def _account_table(accounts: list[UserAccount]) -> None:
    st.caption(f"{len(accounts)} 人。役割と担当地区の変更は、その人の次の画面表示から有効です。")
    st.dataframe(
        pd.DataFrame(
            {
                "ユーザー名": [a.username for a in accounts],
                "表示名": [a.display_name for a in accounts],
                "役割": [ROLES[a.role] for a in accounts],
                "担当地区": ["、".join(a.district_names) or "—" for a in accounts],
                "状態": [_state(a) for a in accounts],
                "作成日": [
                    f"{local_time(a.created_at):%Y/%m/%d}" if a.created_at else "" for a in accounts
                ],
            }
        ),
        hide_index=True,
        use_container_width=True,
    )


def _district_picker(
    label: str, districts: list[DistrictInfo], key: str, default: tuple[int, ...] = ()
) -> list[int]:
    names = {d.id: d.name for d in districts}
    return st.multiselect(
        label,
        list(names),
        default=[d for d in default if d in names],
        format_func=lambda i: names[i],
        key=key,
        help="地区担当職員と福祉連絡会は、選んだ地区とその中の町丁目だけを見ます",
        placeholder="地区を選んでください",
    )


def _role_picker(key: str, current: Role = Role.STAFF) -> Role:
    roles = user_admin.roles_in_user_form()
    if current not in roles:
        roles.append(current)
    return Role(
        st.selectbox(
            "役割", roles, index=roles.index(current), format_func=lambda r: ROLES[r], key=key
        )
    )


def _add_form(actor: Actor, districts: list[DistrictInfo]) -> None:
    with st.form("add-user", clear_on_submit=False):
        left, right = st.columns(2)
        username = left.text_input("ユーザー名（ログインに使います）", max_chars=64)
        display_name = right.text_input("表示名", max_chars=100)
        role = _role_picker("add-role")
        chosen = _district_picker("担当地区", districts, "add-districts")
        left, right = st.columns(2)
        password = left.text_input("最初のパスワード（8文字以上）", type="password")
        again = right.text_input("パスワード（確認）", type="password")
        submitted = st.form_submit_button("利用者を追加する", type="primary")
    if not submitted:
        return
    if password != again:
        st.error("パスワードが確認と一致しません")
        return
    added = editing.attempt(
        lambda: users.add_user(
            db.get_engine(), actor, username, role, password, chosen, display_name
        )
    )
    if added is not None:
        editing.flash(f"利用者「{markdown_text(username.strip())}」を追加しました")
        st.rerun()


def _change_section(
    actor: Actor, accounts: list[UserAccount], districts: list[DistrictInfo]
) -> None:
    st.markdown("#### 利用者を変更する")
    by_id = {a.id: a for a in accounts}
    chosen = st.selectbox(
        "変更する利用者",
        list(by_id),
        format_func=lambda i: (
            f"{by_id[i].username}（{by_id[i].display_name}・{ROLES[by_id[i].role]}）"
        ),
        key="users-chosen",
    )
    account = by_id[chosen]
    assign_tab, password_tab, active_tab = st.tabs(
        ["役割と担当地区", "パスワードの再設定", "無効にする／有効にする"]
    )
    with assign_tab:
        _assign_form(actor, account, districts)
    with password_tab:
        _password_form(actor, account)
    with active_tab:
        _active_section(actor, account)


def _assign_form(actor: Actor, account: UserAccount, districts: list[DistrictInfo]) -> None:
    prefix = f"assign-{account.id}-{account.version}-"
    with st.form(f"{prefix}form"):
        display_name = st.text_input(
            "表示名", value=account.display_name, max_chars=100, key=f"{prefix}name"
        )
        role = _role_picker(f"{prefix}role", account.role)
        chosen = _district_picker("担当地区", districts, f"{prefix}districts", account.district_ids)
        submitted = st.form_submit_button("役割と担当地区を保存")
    if submitted:
        saved = editing.attempt(
            lambda: users.assign(
                db.get_engine(),
                actor,
                account.id,
                role,
                chosen,
                version=account.version,
                display_name=display_name,
            )
        )
        if saved is not None:
            editing.flash(f"「{markdown_text(account.username)}」の役割と担当地区を保存しました")
            st.rerun()


def _password_form(actor: Actor, account: UserAccount) -> None:
    prefix = f"password-{account.id}-{account.version}-"
    with st.form(f"{prefix}form", clear_on_submit=True):
        password = st.text_input(
            "新しいパスワード（8文字以上）", type="password", key=f"{prefix}new"
        )
        again = st.text_input("新しいパスワード（確認）", type="password", key=f"{prefix}again")
        sure = st.checkbox(
            f"「{markdown_text(account.username)}」のパスワードを再設定します。今のパスワードは使えなくなり、"
            "ログイン中の画面はすべてログアウトされます。ロックも解除されます。",
            key=f"{prefix}sure",
        )
        submitted = st.form_submit_button("パスワードを再設定する")
    if not submitted:
        return
    if not sure:
        st.warning("確認のチェックを入れてから押してください")
    elif password != again:
        st.error("パスワードが確認と一致しません")
    elif (
        editing.attempt(
            lambda: users.reset_password(
                db.get_engine(), actor, account.id, password, version=account.version
            )
        )
        is not None
    ):
        editing.flash(f"「{markdown_text(account.username)}」のパスワードを再設定しました")
        st.rerun()


def _active_section(actor: Actor, account: UserAccount) -> None:
    name = markdown_text(account.username)
    if account.active:
        st.write(f"「{name}」は有効です。")
        verb, what = (
            "無効にする",
            (
                f"「{name}」を無効にします。この人はすぐにログアウトされ、ログインできなくなります"
                "（記録と監査ログは残ります。あとで有効に戻せます）。"
            ),
        )
    else:
        st.write(f"「{name}」は無効です。")
        verb, what = "有効にする", f"「{name}」を有効にします。この人は再びログインできます。"
    key = f"{account.id}-{account.version}"
    if st.session_state.get(_CONFIRM) != key:
        if st.button(verb, key=f"active-{key}"):
            st.session_state[_CONFIRM] = key
            st.rerun()
        return
    st.warning(what)
    left, right = st.columns(2)
    if left.button(f"はい、{verb}", type="primary", key=f"active-yes-{key}"):
        st.session_state.pop(_CONFIRM, None)
        done = editing.attempt(
            lambda: users.set_active(
                db.get_engine(), actor, account.id, not account.active, version=account.version
            )
        )
        if done is not None:
            editing.flash(f"「{name}」を{verb.removesuffix('する')}しました")
            st.rerun()
    if right.button("やめる", key=f"active-no-{key}"):
        st.session_state.pop(_CONFIRM, None)
        st.rerun()
