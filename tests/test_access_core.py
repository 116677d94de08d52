"""The access core: the one district tree, the area a request reads once, the permission
table, and the named decisions that keep role comparisons out of the rest of lsmap."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import pytest
from conftest import actor_for, district_id
from helpers import EAST
from sqlalchemy import Engine, event, func, select
from sqlalchemy.orm import Session

from lsmap import access
from lsmap.access import Action, Actor, DistrictTree
from lsmap.maps.webmap import build_map
from lsmap.printing.paper_map import map_pdf
from lsmap.storage.models import District, User
from lsmap.vocab import Role

# ---------------------------------------------------------------- the district tree

#: 1 ─┬─ 2 ─┬─ 4
#:    │     └─ 5
#:    └─ 3 ─── 6        7 (another top)
PAIRS = [(1, None), (2, 1), (3, 1), (4, 2), (5, 2), (6, 3), (7, -1)]


def test_district_tree_walks_down_up_and_sideways() -> None:
    tree = DistrictTree.from_pairs(PAIRS)
    assert tree.children_of(None) == (1, 7)
    assert tree.descendants({2}) == {2, 4, 5}
    assert tree.descendants({1}) == {1, 2, 3, 4, 5, 6}
    assert tree.descendants({99}) == {99}  # an unknown root is kept, as the scope always was
    assert tree.ancestors(5) == [5, 2, 1]
    assert tree.siblings_of(2) == (3,) and tree.siblings_of(7) == (1,)
    assert tree.leaves() == {4, 5, 6, 7}
    assert tree.nearest_in(5, {1, 3}) == 1 and tree.nearest_in(5, {2}) == 2
    assert tree.nearest_in(6, {2}) is None


def test_the_column_walks_agree_with_the_tree() -> None:
    tree = DistrictTree.from_pairs(PAIRS)
    ids = np.array([d for d, _ in PAIRS])
    parents = np.array([-1 if p is None else p for _, p in PAIRS])
    assert set(ids[DistrictTree.leaf_mask(ids, parents)].tolist()) == tree.leaves()
    order = [4, 2, 5, 6]  # 1 and 3 are not in the table: the walk up stops there
    position = {d: i for i, d in enumerate(order)}
    parent_rows = np.array([position.get(tree.parent_of[d], -1) for d in order])
    below, above = DistrictTree.ancestor_positions(parent_rows)
    expected = {
        (i, position[a]) for i, d in enumerate(order) for a in tree.ancestors(d) if a in position
    }
    assert set(zip(below.tolist(), above.tolist(), strict=True)) == expected
    assert expected == {(0, 0), (0, 1), (1, 1), (2, 2), (2, 1), (3, 3)}


def test_a_cycle_in_the_tree_does_not_walk_forever() -> None:
    looped = DistrictTree.from_pairs([(1, 2), (2, 1)])
    assert looped.ancestors(1) == [1, 2]
    assert looped.descendants({1}) == {1, 2}
    below, above = DistrictTree.ancestor_positions(np.array([1, 0]))
    assert len(below) == len(above) <= 2 + 2 * 2


def test_actor_scope_is_the_tree_below_the_assigned_districts(sample_session: Session) -> None:
    tree = DistrictTree.load(sample_session)
    east = district_id(sample_session, EAST)
    staff = actor_for(sample_session, "staff_east")
    assert (
        staff.district_ids
        == tree.descendants({east})
        == access.expand_districts(sample_session, {east})
    )
    live = sample_session.scalar(
        select(func.count()).select_from(District).where(District.deleted_at.is_(None))
    )
    assert len(tree.parent_of) == live


# ---------------------------------------------------------------- one tree read per render


@contextmanager
def _district_selects(engine: Engine) -> Iterator[list[str]]:
    """The SELECT statements reading the districts table itself (not joins onto it)."""
    seen: list[str] = []

    def listen(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("SELECT") and re.search(
            r"\bFROM districts\b", statement
        ):
            seen.append(statement)

    event.listen(engine, "before_cursor_execute", listen)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", listen)


def _tree_reads(statements: list[str]) -> list[str]:
    return [s for s in statements if "parent_id" in s and "geom" not in s]


RENDERS: dict[str, Callable[[Session, Actor, int | None], object]] = {
    "web map": lambda session, actor, where: build_map(session, actor, where, basemap="none"),
    "paper map": lambda session, actor, where: map_pdf(session, actor, where),
}


@pytest.mark.parametrize("render", list(RENDERS))
@pytest.mark.parametrize("username", ["staff_east", "admin", "planner"])
def test_a_map_render_reads_the_district_tree_once(
    sample_session: Session, render: str, username: str
) -> None:
    actor = actor_for(sample_session, username)
    east = district_id(sample_session, EAST)
    with _district_selects(sample_session.get_bind()) as statements:  # type: ignore[arg-type]
        RENDERS[render](sample_session, actor, east)
    assert len(_tree_reads(statements)) == 1, statements
    # besides the tree, only named districts are read (outlines, the title's name)
    others = [s for s in statements if s not in _tree_reads(statements)]
    assert others and all(re.search(r"WHERE districts\.id (IN|=)", s) for s in others), others


# ---------------------------------------------------------------- permissions and decisions


def test_roles_are_a_vocabulary_and_the_actor_carries_one() -> None:
    actor = Actor(1, "x", "x", "meeting", frozenset())  # type: ignore[arg-type]
    assert actor.role is Role.MEETING and actor.role == "meeting"
    assert set(access.ROLE_POLICIES) == set(Role)
    with pytest.raises(ValueError):
        Actor(1, "x", "x", "boss", frozenset())  # type: ignore[arg-type]


def test_can_refuses_an_unknown_action_loudly() -> None:
    admin = access.command_line_actor()
    assert access.can(admin, Action.IMPORT) and access.can(admin, "view")
    with pytest.raises(ValueError):
        access.can(admin, "veiw")


def test_a_user_with_a_role_lsmap_does_not_know_has_no_actor(sample_session: Session) -> None:
    user = sample_session.scalar(select(User).where(User.username == "staff_east"))
    assert user is not None and access.load_actor(sample_session, user.id) is not None
    user.role = "superuser"
    sample_session.flush()
    assert access.load_actor(sample_session, user.id) is None


@dataclass(frozen=True)
class _Layer:
    roles: frozenset[Role]
    personal: bool


def test_a_personal_layer_is_never_drawn_for_a_role_that_sees_no_people() -> None:
    planner = Actor(1, "p", "p", Role.PLANNER, frozenset())
    wrongly_declared = _Layer(frozenset(Role), personal=True)
    public = _Layer(frozenset(Role), personal=False)
    assert not access.may_draw(planner, wrongly_declared)
    assert access.may_draw(planner, public) and access.may_draw("planner", public)
    assert access.may_draw(Role.STAFF, wrongly_declared)
    assert not access.may_draw(None, public)
