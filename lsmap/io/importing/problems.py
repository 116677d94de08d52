"""Problems found while reading or checking an import, reported in Japanese."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One finding: the data row (1 = first row after the header), column and a message.

    ``severity`` is ``error`` (blocks the whole import), ``warning`` (reported; the row may
    be skipped) or ``info``. People are shown :attr:`line`, the row as a spreadsheet
    numbers it (the header is line 1), so that 「3行目」 is row 3 in Excel.
    """

    row: int | None
    column: str
    message: str
    severity: str = "error"

    @property
    def line(self) -> int | None:
        """The spreadsheet row number (header = 1)."""
        return spreadsheet_line(self.row)

    def __str__(self) -> str:
        where = f"{self.line}行目" if self.line is not None else "ファイル全体"
        column = f"「{self.column}」" if self.column else ""
        mark = {"error": "エラー", "warning": "注意"}.get(self.severity, "情報")
        return f"[{mark}] {where}{column}: {self.message}"


def spreadsheet_line(data_row: int | None) -> int | None:
    """The spreadsheet row of a data row (1 = first row after the header)."""
    return None if data_row is None else data_row + 1


class ImportRejected(ValueError):
    """The input cannot be imported at all; ``message`` says why in Japanese."""

    def __init__(self, message: str, problems: list[Problem] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.problems = problems or []


def errors(problems: list[Problem]) -> list[Problem]:
    """Only the problems that block an import."""
    return [p for p in problems if p.severity == "error"]
