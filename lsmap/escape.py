"""Escaping of user-written strings before they reach HTML, Markdown or a spreadsheet."""

from __future__ import annotations

import html
import re

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")


def html_text(value: object) -> str:
    """``value`` as inert HTML text (quotes escaped too, safe inside attributes)."""
    return html.escape("" if value is None else str(value), quote=True)


def markdown_text(value: object) -> str:
    """``value`` as literal text inside Streamlit Markdown (no markup, no HTML)."""
    text = "" if value is None else str(value)
    return _MARKDOWN_SPECIAL.sub(r"\\\1", html.escape(text, quote=False))


#: What a spreadsheet runs as a formula when a cell starts with it.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_cell(value: object) -> object:
    """``value`` made safe for CSV/XLSX: text that a spreadsheet would run as a formula
    (starting with = + - @, tab or CR) gets a leading apostrophe. Numbers pass unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value
