"""The layout is the architecture: packages import downward only, and never in a circle.

Read from the source (every ``import``, also inside functions), so that a newcomer can trust
the rooms: ``lsmap/access`` imports nothing above storage, and each package imports alone.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
#: Each room and the rooms it may import from (besides itself). Top-level single modules
#: (``settings``, ``vocab``, ``escape``) are the ground floor every room may use.
GROUND = {"lsmap.settings", "lsmap.vocab", "lsmap.escape", "lsmap.addresses"}
ALLOWED: dict[str, set[str]] = {
    "lsmap.settings": set(),
    "lsmap.vocab": set(),
    "lsmap.escape": set(),
    "lsmap.addresses": set(),
    "lsmap.storage": GROUND,
    "lsmap.access": GROUND | {"lsmap.storage"},
    "lsmap.records": GROUND | {"lsmap.storage", "lsmap.access"},
    "lsmap.coverage": GROUND | {"lsmap.storage", "lsmap.access"},
    "layers": GROUND | {"lsmap.access"},
    "lsmap.maps": GROUND | {"lsmap.storage", "lsmap.access", "layers"},
    "lsmap.printing": GROUND | {"lsmap.storage", "lsmap.access", "lsmap.maps", "layers"},
    "lsmap.io": GROUND
    | {
        "lsmap.storage",
        "lsmap.access",
        "lsmap.records",
        "lsmap.coverage",
        "lsmap.printing",
        "sample_data",
    },
    "sample_data": set(),
    "lsmap.bench": GROUND
    | {
        "lsmap.storage",
        "lsmap.access",
        "lsmap.coverage",
        "lsmap.maps",
        "layers",
        "lsmap.io",  # bench import times the list import (issue 17)
        "sample_data",
    },
    "lsmap.cli": GROUND
    | {
        "lsmap.storage",
        "lsmap.access",
        "lsmap.records",
        "lsmap.coverage",
        "lsmap.bench",
        "lsmap.maps",
        "lsmap.printing",
        "lsmap.io",
    },
    "lsmap.ui": GROUND
    | {
        "lsmap.storage",
        "lsmap.access",
        "lsmap.records",
        "lsmap.coverage",
        "lsmap.maps",
        "lsmap.printing",
        "lsmap.io",
        "layers",
    },
    "lsmap.__main__": {"lsmap.cli"},
    "app": {"lsmap.ui"},
    "lsmap": set(),
}


def _room(module: str) -> str | None:
    """The room a dotted module name belongs to (None for third-party modules)."""
    parts = module.split(".")
    if parts[0] in ("layers", "sample_data", "app"):
        return parts[0]
    if parts[0] != "lsmap":
        return None
    if len(parts) == 1:
        return "lsmap"
    return ".".join(parts[:2])


def _module_name(path: Path) -> str:
    relative = path.relative_to(ROOT).with_suffix("")
    parts = list(relative.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> set[str]:
    """Every lsmap/layers/sample_data module ``path`` imports, wherever the import stands."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    package = (
        _module_name(path) if path.name == "__init__.py" else _module_name(path).rpartition(".")[0]
    )
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            if base != "lsmap":
                found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return {name for name in found if _room(name)}


def _sources() -> list[Path]:
    files = [ROOT / "app.py"]
    for folder in ("lsmap", "layers", "sample_data"):
        files += [p for p in (ROOT / folder).rglob("*.py") if "migrations" not in p.parts]
    return files


def _room_graph() -> dict[str, dict[str, set[str]]]:
    """room -> imported room -> the files that make the arrow."""
    graph: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for path in _sources():
        source_room = _room(_module_name(path))
        assert source_room is not None, path
        for name in _imports(path):
            target = _room(name)
            if target is not None and target != source_room:
                graph[source_room][target].add(str(path.relative_to(ROOT)))
    return graph


def test_every_room_imports_only_rooms_below_it() -> None:
    graph = _room_graph()
    wrong = {
        f"{room} -> {target} ({', '.join(sorted(files))})"
        for room, targets in graph.items()
        for target, files in targets.items()
        if target not in ALLOWED.get(room, set())
    }
    assert not wrong, "\n".join(sorted(wrong))


def test_no_import_cycles_between_rooms() -> None:
    graph = {room: set(targets) for room, targets in _room_graph().items()}
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(room: str, trail: list[str]) -> None:
        state[room] = 1
        for target in sorted(graph.get(room, ())):
            if state.get(target) == 1:
                cycles.append(
                    [*trail[trail.index(target) :], target] if target in trail else [room, target]
                )
            elif target not in state:
                visit(target, [*trail, target])
        state[room] = 2

    for room in sorted(graph):
        if room not in state:
            visit(room, [room])
    assert not cycles, cycles


def test_access_core_imports_nothing_above_storage() -> None:
    allowed = {"lsmap.access", "lsmap.storage", *GROUND}
    for path in (ROOT / "lsmap" / "access").rglob("*.py"):
        above = {name for name in _imports(path) if _room(name) not in allowed}
        assert not above, f"{path.name} imports {sorted(above)}"


PACKAGES = sorted(
    {
        _module_name(p.parent)
        for p in (ROOT / "lsmap").rglob("__init__.py")
        if "migrations" not in p.parts
    }
)


@pytest.mark.parametrize("package", PACKAGES)
def test_each_package_imports_on_its_own(package: str) -> None:
    result = subprocess.run(
        [sys.executable, "-c", f"import {package}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("package", PACKAGES)
def test_each_package_says_what_it_is_about(package: str) -> None:
    init = ROOT / Path(*package.split(".")) / "__init__.py"
    docstring = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8")))
    assert docstring, f"{init} has no docstring"


# ---------------------------------------------------------------- role decisions live in access

#: Variables and attributes that carry a role (an actor's, a layer's roles) or a set of roles
#: (a plain ``roles`` variable is left alone: the watcher-role choices use that name).
ROLE_NAMES = {"role", "EDIT_ROLES", "PERSONAL_ROLES", "ALL_ROLES"}
ROLE_ATTRIBUTES = ROLE_NAMES | {"roles"}
ROLE_VALUES = {"admin", "staff", "meeting", "planner"}


def _is_role(node: ast.expr) -> bool:
    """Whether ``node`` is a role, a role name, a set of roles, or a collection of those."""
    if isinstance(node, ast.Name):
        return node.id in ROLE_NAMES
    if isinstance(node, ast.Attribute):
        return node.attr in ROLE_ATTRIBUTES or (
            isinstance(node.value, ast.Name) and node.value.id == "Role"
        )
    if isinstance(node, ast.Constant):
        return node.value in ROLE_VALUES
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return any(_is_role(element) for element in node.elts)
    if isinstance(node, ast.Call):  # frozenset({...}), set(...)
        return any(_is_role(argument) for argument in node.args)
    return False


def role_decisions(source: str) -> list[str]:
    """Every comparison or match on a role in ``source`` (``actor.role == "admin"``,
    ``role in spec.roles``, ``x in PERSONAL_ROLES``, ``match actor.role``), as source text."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Compare) and any(
            _is_role(operand) for operand in [node.left, *node.comparators]
        ):
            found.append(ast.unparse(node))
        elif isinstance(node, ast.Match) and _is_role(node.subject):
            found.append(f"match {ast.unparse(node.subject)}")
        elif isinstance(node, (ast.Name, ast.Attribute)) and (
            getattr(node, "id", None) in ("EDIT_ROLES", "PERSONAL_ROLES")
            or getattr(node, "attr", None) in ("EDIT_ROLES", "PERSONAL_ROLES", "sees_everything")
        ):
            found.append(ast.unparse(node))
    return found


@pytest.mark.parametrize(
    "decision",
    [
        'actor.role == "admin"',
        'actor.role != "admin"',
        'who.role in ("admin", "planner")',
        "actor.role not in access.EDIT_ROLES",
        "role in spec.roles",
        "actor.role is Role.PLANNER",
        '"meeting" == user.role',
        "x = PERSONAL_ROLES",
        "actor.sees_everything",
        "match actor.role:\n    case _:\n        pass",
    ],
)
def test_the_role_check_finds_role_decisions(decision: str) -> None:
    assert role_decisions(decision), decision


@pytest.mark.parametrize(
    "harmless",
    ['part == "chosen"', "ROLES.get(actor.role, actor.role)", 'kind in ("salon", "facility")'],
)
def test_the_role_check_leaves_other_comparisons_alone(harmless: str) -> None:
    assert role_decisions(harmless) == []


def test_no_role_decisions_outside_access() -> None:
    """Every role decision is a named function of lsmap.access (can, may_import, may_draw,
    pages_for_role ...); the rest of lsmap and the layer files never compare roles."""
    files = [p for p in _sources() if p.name != "app.py" and "sample_data" not in p.parts]
    found = {
        f"{path.relative_to(ROOT)}: {decision}"
        for path in files
        if (ROOT / "lsmap" / "access") not in path.parents
        for decision in role_decisions(path.read_text(encoding="utf-8"))
    }
    assert not found, "\n".join(sorted(found))
