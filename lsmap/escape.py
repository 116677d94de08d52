"""Escaping of user-written strings before they reach HTML, Markdown or a spreadsheet.

Streamlit renders Markdown not only in ``st.markdown`` but in captions, headings, alerts,
``st.table`` cells, help tooltips and the labels of expanders, tabs, buttons, checkboxes,
radios (label and options), metrics and every input. Its renderer adds to GitHub Markdown:
colours and badges (``:red[..]``), emoji and icon shortcodes (``:smile:``,
``:material/home:``, ``:streamlit:``), LaTeX (``$..$``), links found in plain text
(``https://..``, ``www.``, ``a@b.example``) and typographic arrows (``->``). Backslash
escapes stop the syntax, but shortcodes, plain-text links and arrows are found *after*
parsing, in the text itself, so
:func:`markdown_text` also puts an invisible word joiner (U+2060) where they would match.

Selectbox and multiselect options and ``st.dataframe``/``st.text`` cells are plain text:
give them the value as it is.
"""

from __future__ import annotations

import html
import re

#: ASCII punctuation that CommonMark lets a backslash escape, except ``&`` and ``;``: those
#: only occur in the entities html.escape made (``&amp;``, ``&lt;``, ``&gt;``).
_MARKDOWN_SPECIAL = re.compile(r"([!\"#$%'()*+,\-./:<=>?@\[\\\]^_`{|}~])")
#: An invisible character that is neither a word character nor whitespace (U+2060).
WORD_JOINER = "\u2060"
#: Where Streamlit's text transforms would match after parsing: after ``:`` (emoji, icons,
#: ``https:``), after ``@`` (mail addresses), between ``www`` and its dot, and inside the
#: arrows and dashes it replaces by typographic symbols (``->`` ``<-`` ``--`` ``>=`` ``~=``).
_TEXT_TRIGGERS = re.compile(
    r"(?<=\\[:@])|(?<=www)(?=\\\.)|(?:(?<=\\[-~])|(?<=&lt;)|(?<=&gt;))(?=\\[-=]|&gt;)",
    re.IGNORECASE,
)
_LEADING_SPACE = re.compile(r"^[ \t]+", re.MULTILINE)


def html_text(value: object) -> str:
    """``value`` as inert HTML text (quotes escaped too, safe inside attributes)."""
    return html.escape("" if value is None else str(value), quote=True)


def markdown_text(value: object) -> str:
    """``value`` as literal text inside Streamlit Markdown or a label: no markup, no HTML,
    no links, images, colours, emoji, icons or formulas. Lines stay lines."""
    text = "" if value is None else str(value)
    text = _MARKDOWN_SPECIAL.sub(r"\\\1", html.escape(text, quote=False))
    text = _TEXT_TRIGGERS.sub(WORD_JOINER, text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    # leading blanks would make an indented code block; &nbsp; keeps them visible
    text = _LEADING_SPACE.sub(lambda m: "&nbsp;" * len(m.group()), text)
    return text.replace("\n", "  \n")


#: What a spreadsheet runs as a formula when a cell starts with it.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_cell(value: object) -> object:
    """``value`` made safe for CSV/XLSX: text that a spreadsheet would run as a formula
    (starting with = + - @, tab or CR) gets a leading apostrophe. Numbers pass unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value
