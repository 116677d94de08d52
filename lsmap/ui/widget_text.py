"""Streamlit's own widget strings in Japanese where they can be replaced (issue 12).

The date format is an argument (:data:`DATE_FORMAT`). The English input hints ("Press Enter
to submit form") are hidden on every page (:func:`page_style`). The file uploader's English button
("Upload") and its instructions ("200MB per file • CSV") are drawn by the browser; they are
hidden by a style sheet and :func:`file_uploader` says the same in Japanese: the real size
limit of that uploader and the accepted formats. Offline: nothing is fetched.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import streamlit as st

#: Dates as Japanese offices write them (2026/11/30).
DATE_FORMAT = "YYYY/MM/DD"

_UPLOADER_CSS = """<style>
[data-testid="stFileUploaderDropzoneInstructions"] span { display: none; }
[data-testid="stFileUploaderDropzoneInstructions"] > div::after {
  content: "ここにファイルをドラッグ＆ドロップ"; font-size: 14px;
}
[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p {
  font-size: 0;
}
[data-testid="stFileUploaderDropzone"] button [data-testid="stMarkdownContainer"] p::after {
  content: "ファイルを選ぶ"; font-size: 14px;
}
</style>"""


_PAGE_CSS = """<style>
[data-testid="InputInstructions"] { display: none; }
</style>"""


def page_style() -> None:
    """Hide Streamlit's English input hints on this page (app.py calls this every run)."""
    st.html(_PAGE_CSS)


def file_uploader(label: str, *, types: Sequence[str], limit_mb: int, **options: Any) -> Any:
    """``st.file_uploader`` with Japanese instructions: the size limit that really applies
    (``max_upload_size``) and the accepted formats."""
    st.html(_UPLOADER_CSS)
    uploaded = st.file_uploader(label, type=list(types), max_upload_size=limit_mb, **options)
    formats = "・".join(t.upper() for t in types)
    st.caption(f"1ファイル {limit_mb:,} MB まで（形式: {formats}）")
    return uploaded
