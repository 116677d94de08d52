"""Named role decisions for the rest of lsmap: pages, the map's options, imports, exports,
layers, district choice. Each reads :data:`lsmap.access.core.ROLE_POLICIES`; callers ask
these functions and never compare roles themselves.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from lsmap.access.core import ROLE_POLICIES, Action, Actor, can, role_may
from lsmap.access.views import DistrictInfo
from lsmap.vocab import Role


def sees_people(actor: Actor | None) -> bool:
    """Whether the role sees personal rows (households, watchers, names) in its districts."""
    return role_may(actor, Action.VIEW)


def sees_full_records(actor: Actor | None) -> bool:
    """Whether the role sees every field of a record in its districts (phones, consent
    bookkeeping, every household's details): the roles that edit records."""
    return role_may(actor, Action.EDIT)


def may_search(actor: Actor | None) -> bool:
    """Whether the role gets the search box (世帯番号, 氏名, ふりがな, 住所, 電話): the roles
    that keep records, within their districts."""
    return role_may(actor, Action.EDIT)


def aggregates_only(actor: Actor | None) -> bool:
    """Whether the signed-in role gets numbers and public data only, never people (a
    見守り者 account sees its own households, and no numbers)."""
    return actor is not None and not sees_people(actor) and not watches_own(actor)


def sees_whole_town(actor: Actor | None) -> bool:
    """Whether the role reads every district (for choosing districts and coverage)."""
    return actor is not None and actor.policy.whole_town


def may_import(actor: Actor | None) -> bool:
    """Whether ``actor`` may import boundaries and lists (administrators)."""
    return can(actor, Action.IMPORT)


def may_read_audit(actor: Actor | None) -> bool:
    """Whether ``actor`` may read the audit log (administrators)."""
    return can(actor, Action.READ_AUDIT)


def may_manage_users(actor: Actor | None) -> bool:
    """Whether ``actor`` may open the users page and change accounts (administrators)."""
    return can(actor, Action.MANAGE_USERS)


def meeting_mode_default(actor: Actor | None) -> bool:
    """Whether the map opens in meeting mode for ``actor`` (the 福祉連絡会's screens)."""
    return actor is not None and actor.policy.meeting_mode_default


def may_use_meeting_mode(actor: Actor | None) -> bool:
    """Whether the map offers meeting mode, the name list and the thinly-watched filter."""
    return sees_people(actor)


def may_print_map(actor: Actor | None) -> bool:
    """Whether the map page offers the paper map (with its numbered name list)."""
    return sees_people(actor)


def may_propose(actor: Actor | None) -> bool:
    """Whether ``actor`` proposes households, watchers and 見直し to staff (a 福祉連絡会)."""
    return role_may(actor, Action.PROPOSE)


def may_confirm_proposals(actor: Actor | None) -> bool:
    """Whether ``actor`` confirms or rejects proposals (the 確認待ち list: district staff)."""
    return role_may(actor, Action.CONFIRM_PROPOSAL)


def watches_own(actor: Actor | None) -> bool:
    """Whether ``actor`` is a 見守り者 account: sees and reports on its own households only
    (:mod:`lsmap.access.my_watch`), on the one page 「わたしの見守り」."""
    return role_may(actor, Action.WATCH_OWN)


def may_edit_contact_sheet(actor: Actor | None) -> bool:
    """Whether ``actor`` writes the lines of an area's 緊急連絡表 (the roles that edit)."""
    return role_may(actor, Action.EDIT)


class Drawable(Protocol):
    """A map layer declaration as access reads it (``layers.spec.LayerSpec`` is one)."""

    @property
    def roles(self) -> frozenset[Role]: ...

    @property
    def personal(self) -> bool: ...


def may_draw(who: Actor | Role | str | None, layer: Drawable) -> bool:
    """Whether a layer is drawn for ``who`` (an actor or a role): the layer lists the role in
    its ``roles``, and a personal layer only for roles that see people."""
    if who is None:
        return False
    role = who.role if isinstance(who, Actor) else Role(who)
    if role not in layer.roles:
        return False
    return not layer.personal or Action.VIEW in ROLE_POLICIES[role].actions


def default_district(actor: Actor, districts: Sequence[DistrictInfo]) -> int | None:
    """The district the map shows first: the outermost one for a whole-town role, else the
    first of the actor's own outermost districts."""
    if not districts:
        return None
    if sees_whole_town(actor):
        return districts[0].id
    ids = {d.id for d in districts}
    top = [d for d in districts if d.parent_id not in ids]
    return (top or districts)[0].id


def pages_for_role(actor: Actor | None) -> list[str]:
    """The url paths of the pages ``actor`` may open, landing page first.

    Visitors get only the login page. Roles that edit land on 要対応 (their urgent and
    overdue households); a 見守り者 gets 「わたしの見守り」 only; the others land on the map.
    """
    if actor is None:
        return ["login"]
    if watches_own(actor):  # a watcher's phone gets its own households and nothing else
        return ["mine"]
    paths = ["map"]
    if sees_people(actor):
        paths.append("record")
    if role_may(actor, Action.EDIT):
        paths = ["start", *paths, "edit", "watchers", "resources", "locations", "deleted"]
    paths.append("coverage")
    if sees_people(actor):
        paths.append("gaps")
    if may_propose(actor) or may_confirm_proposals(actor):
        paths += ["proposals", "meetings"]
    if sees_people(actor):
        paths.append("contact_sheet")
    paths.append("export")
    if may_import(actor):
        paths.append("import")
    if may_read_audit(actor):
        paths.append("audit")
    if may_manage_users(actor):
        paths.append("users")
    return paths
