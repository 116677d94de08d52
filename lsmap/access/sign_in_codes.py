"""One-time sign-in codes for 見守り者 accounts (issue 13): many watchers are 70+ and will not
manage a password, so district staff print them a code.

A code is 12 digits (typed on a phone's number pad; 10^12 possibilities), valid for
:data:`CODE_DAYS` days, good for one sign-in, and revocable; issuing a new one revokes the
account's earlier codes. Only the SHA-256 of a code is stored; the code itself is shown once.
Issue, use, refusal and revocation are audited. Only watcher accounts get codes, and only
from staff of the watcher's district or an administrator
(:func:`lsmap.access.user_admin.watcher_account_scope`).
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from sqlalchemy import Engine, func, select, update
from sqlalchemy.orm import Session

from lsmap.access.accounts import AccountError, start_session
from lsmap.access.core import AccessDenied, Actor, load_actor
from lsmap.access.policy import watches_own
from lsmap.access.user_admin import watcher_account_scope
from lsmap.storage import audit
from lsmap.storage.db import transaction
from lsmap.storage.models import AuditEntry, SignInCode, User, utcnow
from lsmap.vocab import AuditAction, Entity

CODE_DAYS = 7
CODE_DIGITS = 12
#: Failed code sign-ins, by anyone, after which codes are refused for a while (guessing).
MAX_CODE_FAILURES = 20
CODE_FAILURE_WINDOW = timedelta(minutes=15)
#: The name failed code sign-ins are audited under (no user is known).
CODE_ATTEMPT = "ワンタイムコード"
NOT_A_WATCHER = "ワンタイムコードは見守り者のアカウントにだけ発行できます"
CODE_REFUSED = "コードが違うか、使用済み・期限切れです。社協の地区担当にお問い合わせください"


def _digits(code: str) -> str:
    """The digits of a typed code (spaces, hyphens and full-width digits allowed)."""
    return "".join(str(int(c)) for c in code if c.isdigit())


def _hash(code: str) -> str:
    return hashlib.sha256(_digits(code).encode()).hexdigest()


def shown(code: str) -> str:
    """A code as printed: groups of four digits."""
    digits = _digits(code)
    return " ".join(digits[i : i + 4] for i in range(0, len(digits), 4))


def _watcher_user(session: Session, actor: Actor, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None or user.deleted_at is not None or user.watcher_id is None:
        raise AccessDenied(NOT_A_WATCHER)
    account = load_actor(session, user_id)
    if account is None or not watches_own(account):
        raise AccessDenied(NOT_A_WATCHER)
    watcher_account_scope(session, actor, user.watcher_id)
    return user


def _revoke_live(session: Session, user_id: int) -> int:
    result = session.execute(
        update(SignInCode)
        .where(
            SignInCode.user_id == user_id,
            SignInCode.used_at.is_(None),
            SignInCode.revoked_at.is_(None),
        )
        .values(revoked_at=utcnow())
    )
    return int(getattr(result, "rowcount", 0) or 0)


def issue_code(session: Session, actor: Actor, user_id: int) -> str:
    """A new code for the watcher account ``user_id`` (earlier ones revoked); shown once."""
    user = _watcher_user(session, actor, user_id)
    _revoke_live(session, user.id)
    code = "".join(secrets.choice("0123456789") for _ in range(CODE_DIGITS))
    row = SignInCode(
        user_id=user.id,
        code_hash=_hash(code),
        created_by=actor.username,
        expires_at=utcnow() + timedelta(days=CODE_DAYS),
    )
    session.add(row)
    session.flush()
    audit.log(session, actor, AuditAction.ISSUE_CODE, Entity.USER, [user.id], days=CODE_DAYS)
    return code


def revoke_codes(session: Session, actor: Actor, user_id: int) -> int:
    """Revoke every unused code of the watcher account ``user_id``; returns how many."""
    user = _watcher_user(session, actor, user_id)
    count = _revoke_live(session, user.id)
    audit.log(session, actor, AuditAction.REVOKE_CODE, Entity.USER, [user.id], count=count)
    return count


def _claim(session: Session, code: str) -> int | None:
    """Mark the live code used, once (a second sign-in with it finds nothing); its user."""
    if len(_digits(code)) != CODE_DIGITS:
        return None
    now = utcnow()
    found = session.execute(
        select(SignInCode.id, SignInCode.user_id).where(
            SignInCode.code_hash == _hash(code),
            SignInCode.used_at.is_(None),
            SignInCode.revoked_at.is_(None),
            SignInCode.expires_at > now,
        )
    ).first()
    if found is None:
        return None
    claimed = session.execute(
        update(SignInCode)
        .where(SignInCode.id == found[0], SignInCode.used_at.is_(None))
        .values(used_at=now)
    )
    return int(found[1]) if getattr(claimed, "rowcount", 0) == 1 else None


def _guessing(session: Session) -> bool:
    """Whether so many code sign-ins failed lately that codes are refused for now."""
    failures = session.scalar(
        select(func.count())
        .select_from(AuditEntry)
        .where(
            AuditEntry.action == str(AuditAction.LOGIN_FAILED),
            AuditEntry.username == CODE_ATTEMPT,
            AuditEntry.at > utcnow() - CODE_FAILURE_WINDOW,
        )
    )
    return int(failures or 0) >= MAX_CODE_FAILURES


def login_with_code(engine: Engine, code: str) -> tuple[int, str]:
    """Sign in with a one-time code: (user id, session token); AccountError otherwise.

    After :data:`MAX_CODE_FAILURES` failed code sign-ins within :data:`CODE_FAILURE_WINDOW`
    every code is refused until the window passes (a 12-digit code cannot be guessed then).
    """
    with transaction(engine) as session:
        guessing = _guessing(session)
        user_id = None if guessing else _claim(session, code)
        actor = load_actor(session, user_id) if user_id is not None else None
        if actor is None or not watches_own(actor):
            reason = "code_throttled" if guessing else "code"
            audit.log_attempt(session, CODE_ATTEMPT, AuditAction.LOGIN_FAILED, reason=reason)
            refused = True
        else:
            refused = False
            token = start_session(session, session.get_one(User, actor.user_id))
            audit.log(session, actor, AuditAction.USE_CODE, Entity.USER, [actor.user_id])
            audit.log(session, actor, AuditAction.LOGIN, Entity.USER, [actor.user_id])
    if refused or actor is None:
        raise AccountError(CODE_REFUSED)
    return actor.user_id, token
