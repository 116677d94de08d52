"""Text normalisation for imported values and headers (full-width digits, spaces, dashes)."""

from __future__ import annotations

import re
import unicodedata

#: Dash-like characters that appear in place of the long-vowel mark 「ー」 in headers.
_DASHES = re.compile(r"[\-‐‑‒–—―−ｰ─━－ー]")
_SPACES = re.compile(r"\s+")


def text(value: object) -> str:
    """``value`` as clean text: NFKC (full-width digits/letters/spaces), trimmed, one space."""
    if value is None or value == "":
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    cleaned = unicodedata.normalize("NFKC", str(value))
    if cleaned.isprintable() and "  " not in cleaned:  # no tabs, newlines or double spaces
        return cleaned.strip()
    return _SPACES.sub(" ", cleaned).strip()


def header_key(header: object) -> str:
    """A header in comparable form: NFKC, no spaces or BOM, every dash variant as 「ー」."""
    cleaned = text(header).lstrip("\ufeff").replace(" ", "").replace("\u3000", "")
    return _DASHES.sub("ー", cleaned).lower()


def match_key(value: object) -> str:
    """Name/address in the form used to find duplicates: NFKC, no spaces, dashes unified."""
    cleaned = text(value).replace(" ", "")
    return _DASHES.sub("-", cleaned).lower()
