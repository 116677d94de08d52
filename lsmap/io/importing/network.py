"""Checking lists of watch links and contact logs (issue 17), so a council moving from Excel
keeps its history.

- 見守りの関わり (``links``): 世帯の番号 + 見守り者の番号 + 関わり方 + 頻度 (+ 備考);
- 見守り活動記録 (``contacts``): 世帯の番号 + 日付 + 方法 + 対応した人 + 内容.

Households and watchers are found by their 番号 (``ref``) among those the actor may edit;
the person in a contact log is a watcher (by 番号 or by a name only one watcher has) or else
kept as written in 記録者. Dates may be written 2025-04-01, 2025/4/1, 2025年4月1日,
令和7年4月1日 or R7.4.1. Links and logs already stored are reported and skipped.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from lsmap.access import Actor
from lsmap.access.import_refs import (
    household_ids_by_ref,
    known_contacts,
    known_links,
    watcher_ids_by_ref,
)
from lsmap.addresses import normalise_name
from lsmap.escape import FORMULA_START
from lsmap.io.importing.columns import KIND_FIELDS, field_label, missing_required
from lsmap.io.importing.lists import ListPlan, PreparedRow, Progress, RowOutcome, _code
from lsmap.io.importing.normalise import text
from lsmap.io.importing.problems import ImportRejected, Problem
from lsmap.io.importing.readers import RawTable
from lsmap.vocab import CONTACT_METHODS, FREQUENCIES, INVOLVEMENTS

ERAS = {"令和": 2018, "R": 2018, "平成": 1988, "H": 1988, "昭和": 1925, "S": 1925}
_ISO = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?(?:[ T].*)?$")
_ERA = re.compile(r"^(令和|平成|昭和|R|H|S)(\d{1,2}|元)[-/.年](\d{1,2})[-/.月](\d{1,2})日?$")
_HTML = re.compile(r"<\s*[A-Za-z/!?]")
FREQUENCY_LABELS = {code: label for code, (label, _) in FREQUENCIES.items()}
MAX_NOTE = 2000


def parse_date(value: str) -> date | None:
    """A date written as in Japanese lists (西暦 or 和暦), or None."""
    value = text(value).replace(" ", "").upper().replace("元年", "1年")
    found = _ISO.match(value)
    era = _ERA.match(value) if found is None else None
    try:
        if found is not None:
            return date(int(found.group(1)), int(found.group(2)), int(found.group(3)))
        if era is not None:
            year = ERAS[era.group(1)] + (1 if era.group(2) == "元" else int(era.group(2)))
            return date(year, int(era.group(3)), int(era.group(4)))
    except ValueError:
        return None
    return None


class _Row:
    """One row's cleaned values and problems."""

    def __init__(self, kind: str, number: int, columns: dict[str, str]) -> None:
        self.kind, self.number, self.columns = kind, number, columns
        self.problems: list[Problem] = []

    def fail(self, field_name: str, message: str, severity: str = "error") -> None:
        column = self.columns.get(field_name, field_label(self.kind, field_name))
        self.problems.append(Problem(self.number, column, message, severity))

    def free_text(self, field_name: str, value: str) -> str:
        if _HTML.search(value):
            self.fail(
                field_name, "HTML のタグのような文字（<…>）が含まれています。取り除いてください"
            )
        elif value.startswith(FORMULA_START):
            self.fail(
                field_name, "先頭が = + - @ の値は数式として扱われるおそれがあるため取り込めません"
            )
        elif len(value) > MAX_NOTE:
            self.fail(field_name, f"長すぎます（{len(value)} 文字、上限 {MAX_NOTE} 文字）")
        return value

    def choice(self, field_name: str, value: str, vocab: dict[str, str], what: str) -> str | None:
        code = _code(vocab, value) if value else None
        if code is None:
            shown = f"「{value[:20]}」は使えません" if value else "が空です"
            self.fail(field_name, f"{what}{shown}（" + "、".join(vocab.values()) + "）")
        return code


class _Refs:
    """The households and watchers rows may name, read once per import."""

    def __init__(self, session: Session, actor: Actor) -> None:
        self.households = household_ids_by_ref(session, actor)
        self.watchers, self.watcher_names = watcher_ids_by_ref(session, actor)

    def household(self, row: _Row, ref: str) -> int | None:
        found = self.households.get(ref)
        if found is None:
            row.fail(
                "household_ref",
                f"世帯の番号「{ref[:20]}」の世帯が見つかりません（担当の範囲の世帯の番号を書いてください）"
                if ref
                else "世帯の番号が空です",
            )
        return found

    def watcher(self, who: str) -> int | None:
        return self.watchers.get(who) or self.watcher_names.get(normalise_name(who))


def missing_or_fail(kind: str, table: RawTable, mapping: dict[str, str]) -> None:
    """Raise ImportRejected naming the required columns no header feeds."""
    missing = missing_required(kind, mapping)
    if missing:
        raise ImportRejected(
            "必須の項目の列が見つかりません: "
            + "、".join(missing)
            + "。列の対応付けで指定してください（ファイルの列: "
            + "、".join(table.headers)
            + "）"
        )


def plan_network(
    session: Session,
    actor: Actor,
    kind: str,
    table: RawTable,
    mapping: dict[str, str],
    *,
    mapping_source: str = "auto",
    today: date | None = None,
    progress: Progress | None = None,
) -> ListPlan:
    """Check every row of a ``links`` or ``contacts`` list."""
    today = today or date.today()
    plan = ListPlan(kind, mapping, mapping_source, table.encoding, len(table.rows))
    plan.ignored_columns = [h for h in table.headers if h and h not in mapping]
    refs = _Refs(session, actor)
    columns = {field_name: header for header, field_name in mapping.items()}
    index = {header: i for i, header in enumerate(table.headers)}
    cleaned_rows: list[tuple[int, dict[str, Any]]] = []
    for number, raw in enumerate(table.rows, 1):
        if progress and (number % 500 == 0 or number == len(table.rows)):
            progress(number, len(table.rows))
        row = _Row(kind, number, columns)
        values = {f: text(raw[index[h]]) for f, h in columns.items()}
        check = _check_link if kind == "links" else _check_contact
        cleaned = check(row, values, refs, today)
        plan.problems.extend(row.problems)
        if any(p.severity == "error" for p in row.problems):
            plan.outcomes.append(RowOutcome(number, "error", None, "", _messages(row.problems)))
        else:
            cleaned_rows.append((number, cleaned))
    _keep_new(session, actor, kind, plan, cleaned_rows, columns)
    return plan


def _messages(problems: list[Problem]) -> str:
    return " / ".join(p.message for p in problems)


def _check_link(row: _Row, values: dict[str, str], refs: _Refs, today: date) -> dict[str, Any]:
    household = refs.household(row, values.get("household_ref", ""))
    watcher_ref = values.get("watcher_ref", "")
    watcher = refs.watcher(watcher_ref) if watcher_ref else None
    if watcher is None:
        row.fail(
            "watcher_ref",
            f"見守り者「{watcher_ref[:20]}」が見つかりません（番号か、担当の範囲の見守り者の名前を書いてください）"
            if watcher_ref
            else "見守り者の番号が空です",
        )
    involvement = row.choice("involvement", values.get("involvement", ""), INVOLVEMENTS, "関わり方")
    frequency_text = values.get("frequency", "")
    frequency = (
        row.choice("frequency", frequency_text, FREQUENCY_LABELS, "頻度")
        if frequency_text
        else "as_needed"
    )
    return {
        "household_id": household,
        "watcher_id": watcher,
        "involvement": involvement,
        "frequency": frequency,
        "note": row.free_text("note", values.get("note", "")),
    }


def _check_contact(row: _Row, values: dict[str, str], refs: _Refs, today: date) -> dict[str, Any]:
    household = refs.household(row, values.get("household_ref", ""))
    raw_date = values.get("contacted_on", "")
    contacted_on = parse_date(raw_date) if raw_date else None
    if contacted_on is None:
        row.fail(
            "contacted_on",
            f"日付として読めません（{raw_date[:20]}）。"
            "2025-04-01 や 令和7年4月1日 のように書いてください"
            if raw_date
            else "日付が空です",
        )
    elif contacted_on > today:
        row.fail("contacted_on", f"未来の日付です（{contacted_on.isoformat()}）")
    elif contacted_on.year < 1990:
        row.fail("contacted_on", f"古すぎる日付です（{contacted_on.isoformat()}）")
    method_text = values.get("method", "")
    method = row.choice("method", method_text, CONTACT_METHODS, "方法") if method_text else "other"
    who = row.free_text("who", values.get("who", ""))[:100]
    return {
        "household_id": household,
        "contacted_on": contacted_on,
        "method": method,
        "watcher_id": refs.watcher(who) if who else None,
        "recorded_by": who,
        "observation": row.free_text("observation", values.get("observation", "")),
    }


def _keep_new(
    session: Session,
    actor: Actor,
    kind: str,
    plan: ListPlan,
    cleaned_rows: list[tuple[int, dict[str, Any]]],
    columns: dict[str, str],
) -> None:
    """Rows that are not stored yet (nor earlier in the file) become the plan's rows."""
    households = {values["household_id"] for _, values in cleaned_rows}
    links = known_links(session, actor, households) if kind == "links" else {}
    contacts = known_contacts(session, actor, households) if kind == "contacts" else set()
    seen: dict[tuple[Any, ...], int] = {}
    for number, values in cleaned_rows:
        if kind == "links":
            key: tuple[Any, ...] = (
                values["household_id"],
                values["watcher_id"],
                values["involvement"],
            )
            stored = key in links
            why = (
                "削除済みの同じ関わりがあります（記録の画面で復元してください）"
                if links.get(key)
                else "同じ関わりが登録済みです"
            )
        else:
            key = (
                values["household_id"],
                values["contacted_on"],
                values["method"],
                values["observation"].strip(),
            )
            stored, why = key in contacts, "同じ日・方法・内容の記録が登録済みです"
        if stored or key in seen:
            where = why if stored else f"{seen[key] + 1}行目と同じ内容です"
            problem = Problem(
                number, columns.get("household_ref", ""), f"{where}。取り込みません", "warning"
            )
            plan.problems.append(problem)
            plan.skipped += 1
            plan.outcomes.append(RowOutcome(number, "skip", None, "", problem.message))
            continue
        seen[key] = number
        plan.rows.append(PreparedRow(number, values, None, False, None))
        plan.outcomes.append(RowOutcome(number, "import", None, "", ""))


__all__ = ["KIND_FIELDS", "missing_or_fail", "parse_date", "plan_network"]
