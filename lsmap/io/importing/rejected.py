"""The rejected rows of a partial import, written back in the file's own format (issue 17).

The same columns in the same order, the cells as they were read, and a 問題 column with the
Japanese messages, so the file can be fixed in Excel and imported again (the 問題 column is
ignored then, and a remembered column mapping still applies). A CSV comes back as UTF-8
with BOM (Excel opens it as it is), an .xlsx as an .xlsx. Cells a spreadsheet would run as
a formula get a leading apostrophe.
"""

from __future__ import annotations

import csv
import io
from pathlib import PurePath

from lsmap.escape import spreadsheet_cell
from lsmap.io.importing.apply import RejectedRow
from lsmap.io.importing.columns import PROBLEM_HEADER
from lsmap.io.importing.readers import RawTable


def rejected_file(
    table: RawTable, rejected: list[RejectedRow], filename: str
) -> tuple[bytes, str, str]:
    """(bytes, file name, MIME type) of the rejected rows of ``table`` read from ``filename``."""
    headers = [h for h in table.headers if h != PROBLEM_HEADER] + [PROBLEM_HEADER]
    keep = [i for i, h in enumerate(table.headers) if h != PROBLEM_HEADER]
    rows = [[r.cells[i] for i in keep] + [" / ".join(r.messages)] for r in rejected]
    stem = PurePath(filename).stem or "import"
    if table.encoding == "xlsx":
        return (
            _xlsx(headers, rows),
            f"{stem}_問題の行.xlsx",
            ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        )
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([spreadsheet_cell(h) for h in headers])
    writer.writerows([[spreadsheet_cell(v) for v in row] for row in rows])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8"), f"{stem}_問題の行.csv", "text/csv"


def _xlsx(headers: list[str], rows: list[list[str]]) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("問題の行")
    sheet.append([spreadsheet_cell(h) for h in headers])
    for row in rows:
        sheet.append([spreadsheet_cell(v) for v in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def outcome_rows(result_plan: object) -> list[dict[str, object]]:
    """Every row's outcome as table rows (行, 結果, 位置の精度, 地区, 内容) for the dry run."""
    from lsmap.io.importing.lists import OUTCOME_LABELS, ListPlan
    from lsmap.vocab import LOCATION_LEVELS

    if not isinstance(result_plan, ListPlan):
        raise TypeError("outcome_rows needs a ListPlan")
    return [
        {
            "行": o.row + 1,
            "結果": OUTCOME_LABELS[o.action],
            "位置の精度": LOCATION_LEVELS.get(o.level or "", ""),
            "地区": o.district,
            "内容": o.detail,
        }
        for o in result_plan.outcomes
    ]
