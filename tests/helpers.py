"""Small helpers shared by tests."""

from __future__ import annotations

EAST = "149990-01"
WEST = "149990-02"
NORTH = "149990-03"
XSS = "<img src=x onerror=alert(1)>"
#: Markdown that Streamlit would render as a link, a remote image (a beacon the browser
#: fetches), coloured text and an autolink; each fits a 32-character phone column.
MD_LINK = "[クリック](https://evil.example/x)"
MD_IMAGE = "![b](https://evil.example/b.png)"
MD_COLOR = ":red[偽]"
MD_AUTOLINK = "<https://evil.example>"
MARKDOWN_PAYLOADS = (MD_LINK, MD_IMAGE, MD_COLOR, MD_AUTOLINK)
#: All of them in one name (fits the 100-character name columns), with LaTeX and an icon.
MARKDOWN_XSS = (
    "[ク](https://evil.example/x)![b](https://evil.example/b.png):red[偽]<https://evil.example>$x$"
)
#: Rendered-Markdown contexts (AppTest element types whose body Streamlit renders as Markdown).
_MARKDOWN_BODIES = {
    "markdown",
    "caption",
    "title",
    "header",
    "subheader",
    "error",
    "warning",
    "info",
    "success",
    "toast",
    "exception",
}


def app_login(at, username: str, password: str, *, to_map: bool = True):  # type: ignore[no-untyped-def]
    """Sign in through an AppTest; staff land on 要対応 and reach the map by its button."""
    at.text_input[0].input(username)
    at.text_input[1].input(password)
    at.button[0].click()
    at.run()
    if to_map:
        open_map = [b for b in at.button if b.label == "地図を開く"]
        if open_map:
            open_map[0].click().run()
    return at


def _page_script(page: str, roles_by: str) -> None:
    """Runs one lsmap page (or lists the role's pages) for the actor in session state."""
    import importlib

    import streamlit as st

    from lsmap.ui import context

    actor = st.session_state["_test_actor"]
    context.set_actor(actor)
    if page == "roles":
        # Pages are built inside a script run: importing lsmap.ui.navigation outside one breaks
        # later AppTests.
        from lsmap.ui.navigation import pages_for

        st.text("|".join(getattr(p, roles_by) for p in pages_for(actor)))
        return
    importlib.import_module(f"lsmap.ui.pages.{page}_page").render()


def open_page(
    page: str,
    actor,
    url: str,
    monkeypatch,
    *,
    roles_by: str = "url_path",  # type: ignore[no-untyped-def]
    query: dict[str, str] | None = None,
):
    """An AppTest of one page (``coverage``, ``gaps``, ``import``, ``export`` ...) as ``actor``,
    with the URL's ``query`` parameters; ``roles`` lists the actor's pages by ``roles_by``
    (url_path or title)."""
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("LSMAP_DATABASE_URL", url)
    monkeypatch.setenv("LSMAP_BASEMAP", "none")
    at = AppTest.from_function(_page_script, default_timeout=120, args=(page, roles_by))
    at.session_state["_test_actor"] = actor
    for name, value in (query or {}).items():
        at.query_params[name] = value
    return at.run()


def derivable_cells(values, parents, published, small: int = 5) -> list[int]:  # type: ignore[no-untyped-def]
    """Rows of one published count column whose hidden value a reader can work out exactly.

    ``values`` are the true counts, ``parents`` each row's parent row (-1: none) and
    ``published`` what was shown: an int, f"<{small}" (1 .. small-1) or "X" (hidden, any
    count >= 0). A parent is the sum of its children plus the households recorded on the
    parent itself; that remainder is known when it is 0, otherwise only that it is >= 0.
    Each hidden cell is minimised and maximised by linear programming (exact here: the
    nesting makes the constraint matrix totally unimodular); equal bounds mean derivable.
    """
    import numpy as np
    from scipy.optimize import linprog

    hidden = [row for row, shown in enumerate(published) if isinstance(shown, str)]
    column = {row: k for k, row in enumerate(hidden)}
    bounds = [(1, small - 1) if published[row] == f"<{small}" else (0, None) for row in hidden]
    children: dict[int, list[int]] = {}
    for row, parent in enumerate(parents):
        if parent >= 0:
            children.setdefault(int(parent), []).append(row)
    equations = []
    for parent, kids in children.items():
        terms = [(parent, 1)] + [(kid, -1) for kid in kids]
        coefficients, constant = {}, 0.0
        for row, sign in terms:
            if row in column:
                coefficients[column[row]] = coefficients.get(column[row], 0) + sign
            else:
                constant += sign * float(published[row])
        if values[parent] != sum(values[k] for k in kids):  # an unknown remainder >= 0
            coefficients[len(bounds)] = -1
            bounds.append((0, None))
        equations.append((coefficients, -constant))
    if not hidden:
        return []
    if not equations:
        return []  # no sums: nothing to derive a hidden cell from
    a_eq = np.zeros((len(equations), len(bounds)))
    for i, (coefficients, _) in enumerate(equations):
        for j, c in coefficients.items():
            a_eq[i, j] = c
    b_eq = np.array([rhs for _, rhs in equations])
    found = []
    for row in hidden:
        objective = np.zeros(len(bounds))
        objective[column[row]] = 1
        low = linprog(objective, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
        high = linprog(-objective, A_eq=a_eq, b_eq=b_eq, bounds=bounds, method="highs")
        assert low.status == 0, low.message  # the true values are always a solution
        if high.status == 0 and -high.fun - low.fun < 0.5:
            found.append(row)
    return found


def markdown_sources(at) -> list[str]:  # type: ignore[no-untyped-def]
    """Every string of an AppTest run that Streamlit renders as Markdown: bodies of markdown,
    captions, headings and alerts; labels and help of every widget, expander and tab; radio
    options; st.table cells. (Selectbox/multiselect options and dataframes are plain text.)"""
    found: list[str] = []

    def visit(node) -> None:  # type: ignore[no-untyped-def]
        kind = getattr(node, "type", "")
        if kind in _MARKDOWN_BODIES:
            found.append(str(node.value))
        for name in ("label", "help"):
            value = getattr(node, name, None)
            if isinstance(value, str):
                found.append(value)
        if kind == "radio":
            found.extend(str(o) for o in node.options)
        if kind == "table":
            found.extend(str(v) for v in node.value.to_numpy().ravel().tolist())
        for child in getattr(node, "children", {}).values():
            visit(child)

    visit(at._tree)
    return found


def live_markdown(source: str) -> list[str]:
    """What Streamlit would render from the Markdown payloads in ``source``: link, image,
    colour, autolink or formula syntax, and the links and icons it finds in the parsed text
    (after backslash escapes and entities are resolved)."""
    import html
    import re

    found = [s for s in ("](", "![", ":red[偽", "<https", "$x$") if s in source]
    text = html.unescape(re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", source))
    return found + re.findall(r"https?://evil|www\.evil|@evil|:material[/_]\w+:", text)
