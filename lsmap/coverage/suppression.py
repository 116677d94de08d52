"""Small-count suppression for nested district tables, with complementary suppression.

Counts 1 .. ``small``-1 are *primary* suppressed (shown as "<5"). Districts nest
(municipality → 地区 → 町丁目) and each parent's count is the sum of its children's plus
the households recorded on the parent itself, so a suppressed child could be recovered as
"parent minus the visible siblings". Complementary (*secondary*) suppression hides more
cells (shown as "X": hidden, of any value) until no suppressed cell can be derived.

What a reader is assumed to know (the attacker model, one count column at a time):

- a visible cell's exact value; a "<5" cell lies in 1 .. small-1; an "X" cell is some
  count >= 0 (a zero, a count of ``small`` or more, or a small count that had to be
  hidden more deeply, e.g. one of four "<5" 町丁目 under a "<5" 地区, which would
  otherwise all be 1);
- parent = sum of children + remainder, where the remainder (households recorded on the
  parent but in none of its children) is known to be 0 when it is 0 (full nesting, what a
  reader would assume), and otherwise only known to be at least 0.

:func:`feasible_bounds` computes, for every cell, the interval of values consistent with
the published table (bounds propagation; exact for tree-shaped sums). A suppressed cell
whose interval is a single value is *exposed*; :func:`complementary_suppression` hides, for
one exposed cell at a time, the smallest visible sibling, or else the nearest visible
ancestor, a visible child, or last the cell itself as "X", whichever first protects it, and
repeats until nothing is exposed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

VISIBLE, PRIMARY, SECONDARY = 0, 1, 2


@dataclass(frozen=True)
class Level:
    """The sums whose parents lie at one depth of the nesting (they share no cell)."""

    parents: np.ndarray  # one row per sum
    children: np.ndarray  # every child row of these sums
    sum_of: np.ndarray  # for each child, the index of its sum in ``parents``
    rest_hi: np.ndarray  # per sum: 0 when the parent is exactly its children, else inf


def nesting(values: np.ndarray, parent_pos: np.ndarray) -> list[Level]:
    """The parent = children + remainder sums of a table, deepest parents first.

    ``parent_pos`` gives each row's parent row (-1: none, or the parent is not in the table).
    """
    depth = np.zeros(len(parent_pos), dtype=np.int64)
    for row in range(len(parent_pos)):
        node, steps = row, 0
        while parent_pos[node] >= 0 and steps <= len(parent_pos):
            node, steps = int(parent_pos[node]), steps + 1
        depth[row] = steps
    children = np.flatnonzero(parent_pos >= 0)
    levels = []
    for d in sorted({int(depth[parent_pos[c]]) for c in children}, reverse=True):
        kids = children[depth[parent_pos[children]] == d]
        parents, sum_of = np.unique(parent_pos[kids], return_inverse=True)
        own = values[parents] - np.bincount(sum_of, weights=values[kids], minlength=len(parents))
        levels.append(Level(parents, kids, sum_of, np.where(own == 0, 0.0, np.inf)))
    return levels


def _domains(values: np.ndarray, status: np.ndarray, small: int) -> tuple[np.ndarray, np.ndarray]:
    lo = values.astype(float)
    hi = lo.copy()
    lo[status == PRIMARY], hi[status == PRIMARY] = 1.0, float(small - 1)
    lo[status == SECONDARY], hi[status == SECONDARY] = 0.0, np.inf
    return lo, hi


def _tighten(level: Level, lo: np.ndarray, hi: np.ndarray) -> bool:
    """Bounds consistency of the sums of one level: parent = children + remainder (>= 0).

    Narrows ``lo`` and ``hi`` in place; True if anything changed.
    """
    p, k, g, n = level.parents, level.children, level.sum_of, len(level.parents)
    k_lo, k_hi = lo[k], hi[k]
    k_inf = np.isinf(k_hi)
    lo_sum = np.bincount(g, weights=k_lo, minlength=n)
    hi_finite = np.bincount(g, weights=np.where(k_inf, 0.0, k_hi), minlength=n)
    hi_infinite = np.bincount(g, weights=k_inf.astype(float), minlength=n) + np.isinf(level.rest_hi)
    p_lo = np.maximum(lo[p], lo_sum)
    p_hi = np.minimum(hi[p], np.where(hi_infinite > 0, np.inf, hi_finite))
    # The other terms' upper bounds, for each child (remainder included).
    others_hi = np.where(
        k_inf,
        np.where(hi_infinite[g] > 1, np.inf, hi_finite[g]),
        np.where(hi_infinite[g] > 0, np.inf, hi_finite[g] - np.where(k_inf, 0.0, k_hi)),
    )
    new_lo = np.maximum(k_lo, p_lo[g] - others_hi)
    new_hi = np.minimum(k_hi, p_hi[g] - (lo_sum[g] - k_lo))
    changed = bool(
        (p_lo != lo[p]).any()
        or (p_hi != hi[p]).any()
        or (new_lo != k_lo).any()
        or (new_hi != k_hi).any()
    )
    lo[p], hi[p], lo[k], hi[k] = p_lo, p_hi, new_lo, new_hi
    return changed


def feasible_bounds(
    values: np.ndarray, levels: list[Level], status: np.ndarray, small: int
) -> tuple[np.ndarray, np.ndarray]:
    """Per cell, the lowest and highest value a reader of the published table can infer."""
    lo, hi = _domains(values, status, small)
    order = levels + levels[::-1]  # up the tree, then down
    for _ in range(4 * len(levels) + 4):
        changed = False
        for level in order:
            changed |= _tighten(level, lo, hi)
        if not changed:
            break
    return lo, hi


def _candidates(
    row: int,
    values: np.ndarray,
    parent_pos: np.ndarray,
    status: np.ndarray,
    children: dict[int, list[int]],
) -> list[int]:
    """Cells whose hiding could protect ``row``, best first: its visible siblings (smallest
    first), its visible ancestors (nearest first), its visible children (smallest first),
    and last the cell itself when it is a "<5" (as "X" it may be any count)."""

    def visible(cells: list[int]) -> list[int]:
        return sorted((c for c in cells if status[c] == VISIBLE), key=lambda c: (values[c], c))

    parent = int(parent_pos[row])
    found = visible([c for c in children.get(parent, []) if c != row]) if parent >= 0 else []
    while parent >= 0:
        found += visible([parent])
        parent = int(parent_pos[parent])
    found += visible(children.get(row, []))
    return found + ([row] if status[row] == PRIMARY else [])


def complementary_suppression(
    values: np.ndarray,
    parent_pos: np.ndarray,
    small: int = 5,
    *,
    initial: np.ndarray | None = None,
    frozen: np.ndarray | None = None,
) -> np.ndarray:
    """Status per cell (VISIBLE, PRIMARY "<small", SECONDARY "X") such that no suppressed
    cell can be derived from the visible cells and the nesting (see the module docstring).

    One exposed cell at a time, the first candidate (:func:`_candidates`) whose hiding
    alone protects it is hidden; when none does, the first one is, and the loop goes on.
    ``initial`` starts from statuses decided elsewhere (a cell is never shown again);
    ``frozen`` cells keep their status (they are published elsewhere as they are).
    """
    values = np.asarray(values, dtype=np.int64)
    parent_pos = np.asarray(parent_pos, dtype=np.int64)
    status = np.where((values > 0) & (values < small), PRIMARY, VISIBLE)
    if initial is not None:
        status = np.maximum(status, np.asarray(initial, dtype=np.int64))
    locked = np.zeros(len(values), bool) if frozen is None else np.asarray(frozen, bool)
    levels = nesting(values, parent_pos)
    children: dict[int, list[int]] = {}
    for child, parent in enumerate(parent_pos.tolist()):
        if parent >= 0:
            children.setdefault(parent, []).append(child)

    def exposed(state: np.ndarray) -> np.ndarray:
        lo, hi = feasible_bounds(values, levels, state, small)
        return np.flatnonzero((state != VISIBLE) & (lo == hi))

    for _ in range(len(values) + 1):
        open_cells = exposed(status)
        if len(open_cells) == 0:
            break
        row = int(open_cells[0])
        options = [
            c for c in _candidates(row, values, parent_pos, status, children) if not locked[c]
        ]
        if not options:  # nothing near it can protect it: hide every remaining count
            rest = np.flatnonzero((status == VISIBLE) & ~locked)
            if len(rest) == 0:
                break
            status[rest] = SECONDARY
            continue
        pick = options[0]
        for option in options:
            trial = status.copy()
            trial[option] = SECONDARY
            if row not in exposed(trial):
                pick = option
                break
        status[pick] = SECONDARY
    return status
