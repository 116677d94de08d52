"""「全町丁目を一括で印刷」: one paper map per 町内 of a district, all in one zip.

Each 町内 the actor may see gets its own PDF (the meeting's paper unit, with its list page
when asked), read through the access module like any paper map. The batch is audited once,
as one print naming every 町内 and every household printed.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from sqlalchemy.orm import Session

from lsmap import access
from lsmap.access import AccessDenied, Actor
from lsmap.access.map_defaults import neighbourhoods_within
from lsmap.printing.paper_map import PaperOptions, read_content, render_pdf
from lsmap.storage import audit

#: Called after each 町内: (done, total, name of the 町内 just made).
Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class Batch:
    """The zip and what it holds."""

    data: bytes
    districts: list[int]
    households: list[int]


def file_name(index: int, name: str) -> str:
    """A zip member name for the ``index``-th 町内: numbered, with no path characters."""
    cleaned = re.sub(r'[\\/:*?"<>|\x00-\x1f]+', "_", name).strip(". ") or "町丁目"
    return f"{index:02d}_{cleaned[:60]}.pdf"


def neighbourhood_batch(
    session: Session,
    actor: Actor,
    district_id: int,
    options: PaperOptions,
    *,
    today: date | None = None,
    progress: Progress | None = None,
) -> Batch:
    """Paper maps of every 町内 in ``district_id`` the actor may see, as one zip; audited
    once. Raises AccessDenied when the actor may not print people's maps or the district
    holds no 町内 they may see."""
    if not access.can(actor, "view", district_id):
        raise audit.log_denied(
            session, actor, AccessDenied(), "district", [district_id], purpose="print"
        )
    units = neighbourhoods_within(access.visible_districts(session, actor), district_id)
    if not units:
        raise AccessDenied("この区域には印刷できる町丁目がありません")
    day = today or date.today()
    buffer = io.BytesIO()
    households: list[int] = []
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for index, unit in enumerate(units, 1):
            content = read_content(session, actor, unit.id, options)
            archive.writestr(file_name(index, unit.name), render_pdf(content, options, day))
            households += [p.id for p in content.points.get("households", [])]
            if progress is not None:
                progress(index, len(units), unit.name)
    ids = [unit.id for unit in units]
    audit.log(
        session,
        actor,
        "print",
        "household",
        households,
        kind="map_pdf_batch",
        district_id=district_id,
        districts=ids,
        paper=options.paper,
        landscape=options.landscape,
        with_list=options.with_list,
    )
    return Batch(buffer.getvalue(), ids, households)
