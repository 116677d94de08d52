"""Which file column feeds which lsmap field: Japanese header aliases and remembered mappings.

The aliases cover lsmap's own templates, the 自治体標準オープンデータセット (current set:
名称・所在地_連結表記・緯度・経度 …; older 推奨データセット: 名称・住所・緯度・経度 …) and
common English headers. Headers are compared after :func:`normalise.header_key`, so
「コ―ド」 (U+2015) matches 「コード」 and full-width letters match half-width ones.
"""

from __future__ import annotations

import hashlib
import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from lsmap.io.importing.normalise import header_key
from lsmap.io.importing.problems import ImportRejected
from lsmap.storage.models import ImportMapping
from lsmap.vocab import field_label

LIST_KINDS = ("households", "watchers", "resources", "links", "contacts")

#: The fields of each list, in template order.
KIND_FIELDS: dict[str, tuple[str, ...]] = {
    "households": (
        "ref",
        "name",
        "furigana",
        "birth_year",
        "phone",
        "household_type",
        "address",
        "town",
        "lat",
        "lon",
        "approximate",
        "concern_tags",
        "concerns",
        "consent_status",
        "note",
    ),
    "watchers": ("ref", "name", "role", "phone", "address", "birth_year", "town", "lat", "lon"),
    "resources": (
        "ref",
        "name",
        "kind",
        "address",
        "phone",
        "schedule",
        "town",
        "lat",
        "lon",
        "csws",
    ),
    "links": ("household_ref", "watcher_ref", "involvement", "frequency", "note"),
    "contacts": ("household_ref", "contacted_on", "method", "who", "observation"),
}
REQUIRED: dict[str, tuple[str, ...]] = {
    "households": ("name",),
    "watchers": ("name",),
    "resources": ("name",),
    "links": ("household_ref", "watcher_ref", "involvement"),
    "contacts": ("household_ref", "contacted_on"),
}
#: A header the rejected-rows file adds (issue 17); it is ignored when the file comes back.
PROBLEM_HEADER = "問題"

_ALIASES: dict[str, tuple[str, ...]] = {
    "ref": ("番号", "管理番号", "参照番号", "ID", "ref"),
    "name": (
        "氏名",
        "名前",
        "お名前",
        "名称",
        "施設名",
        "施設名称",
        "要配慮者利用施設名称",
        "name",
    ),
    "furigana": ("ふりがな", "フリガナ", "氏名_カナ", "氏名カナ", "かな"),
    "birth_year": ("生年", "生まれ年", "生年（西暦）", "birth_year"),
    "phone": ("電話", "電話番号", "TEL", "連絡先", "telephoneNumber", "phone"),
    "address": (
        "住所",
        "所在地",
        "所在地_連結表記",
        "所在地_連結",
        "住所（連結表記）",
        "address",
    ),
    "town": ("町丁目", "町名", "町内", "町内会", "自治会", "町丁目名"),
    "lat": ("緯度", "latitude", "lat", "Y座標（緯度）"),
    "lon": ("経度", "longitude", "lon", "lng", "X座標（経度）"),
    "approximate": ("おおよその位置", "概略位置"),
    "household_type": ("世帯の状況", "世帯類型", "世帯区分", "世帯の種類"),
    "concern_tags": ("気になるところ（分類）", "気になるところ(分類)"),
    "concerns": ("気になるところ", "気になること", "心配なこと"),
    "consent_status": ("同意", "同意状況", "情報共有の同意"),
    "note": ("備考", "メモ"),
    "household_ref": ("世帯の番号", "世帯番号", "世帯", "世帯ID"),
    "watcher_ref": ("見守り者の番号", "見守り者番号", "見守り者", "見守り者ID", "見守り者名"),
    "involvement": ("関わり方", "かかわり方", "関わり"),
    "frequency": ("頻度", "見守りの頻度"),
    "contacted_on": ("日付", "年月日", "訪問日", "活動日", "連絡日"),
    "method": ("方法", "活動の種類", "連絡方法", "種類"),
    "who": ("対応した人", "対応者", "訪問者", "誰が", "記録者"),
    "observation": ("内容", "活動内容", "様子", "メモ"),
    "role": ("役割", "見守り者の役割", "区分"),
    "kind": ("資源の種類", "資源種別"),
    "schedule": ("開催日", "開催日時", "日程", "利用可能日時特記事項"),
    "csws": ("CSW", "CSW氏名"),
}
_ALIAS_INDEX: dict[str, list[str]] = {}
for _field, _aliases in _ALIASES.items():
    for _alias in _aliases:
        _ALIAS_INDEX.setdefault(header_key(_alias), []).append(_field)


def template_headers(kind: str) -> list[str]:
    """The Japanese headers of the CSV template for ``kind``."""
    return [field_label(kind, field) for field in KIND_FIELDS[_check_kind(kind)]]


def headers_key(headers: list[str]) -> str:
    """A fingerprint of a header row, to recognise the same file layout again."""
    kept = [h for h in headers if h != PROBLEM_HEADER]
    normalised = json.dumps([header_key(h) for h in kept], ensure_ascii=False)
    return hashlib.sha256(normalised.encode("utf-8")).hexdigest()


def auto_mapping(kind: str, headers: list[str]) -> dict[str, str]:
    """header -> field for every header whose name is a known alias (first one wins)."""
    allowed = set(KIND_FIELDS[_check_kind(kind)])
    mapping: dict[str, str] = {}
    taken: set[str] = set()
    for header in headers:
        fields = [f for f in _ALIAS_INDEX.get(header_key(header), []) if f in allowed]
        field = fields[0] if fields else None
        if field is not None and field not in taken:
            mapping[header] = field
            taken.add(field)
    return mapping


def resolve_mapping(
    session: Session | None, kind: str, headers: list[str], overrides: dict[str, str] | None = None
) -> tuple[dict[str, str], str]:
    """The mapping to use and where it came from (``remembered``, ``auto`` or ``given``).

    ``overrides`` (header -> field, or header -> "" to ignore a column) win over a remembered
    mapping, which wins over the aliases. Raises ImportRejected for unknown headers/fields.
    """
    allowed = set(KIND_FIELDS[_check_kind(kind)])
    source = "auto"
    mapping = auto_mapping(kind, headers)
    if session is not None:
        remembered = recall_mapping(session, kind, headers)
        if remembered is not None:
            mapping, source = remembered, "remembered"
    if overrides:
        for header, field in overrides.items():
            if header not in headers:
                raise ImportRejected(f"列「{header}」はファイルにありません")
            if field and field not in allowed:
                choices = "、".join(f"{f}（{field_label(kind, f)}）" for f in KIND_FIELDS[kind])
                raise ImportRejected(f"項目「{field}」はありません。使える項目: {choices}")
            mapping = {h: f for h, f in mapping.items() if f != field and h != header}
            if field:
                mapping[header] = field
        source = "given"
    return mapping, source


def missing_required(kind: str, mapping: dict[str, str]) -> list[str]:
    """Japanese labels of required fields that no column feeds."""
    present = set(mapping.values())
    return [field_label(kind, f) for f in REQUIRED[kind] if f not in present]


def recall_mapping(session: Session, kind: str, headers: list[str]) -> dict[str, str] | None:
    """The mapping remembered for this header row, if any (headers no longer present dropped)."""
    stored = session.scalar(
        select(ImportMapping.mapping).where(
            ImportMapping.kind == kind, ImportMapping.headers_key == headers_key(headers)
        )
    )
    if stored is None:
        return None
    return {header: field for header, field in stored.items() if header in headers}


def remember_mapping(
    session: Session, kind: str, headers: list[str], mapping: dict[str, str], username: str
) -> None:
    """Store ``mapping`` for this header row (in the caller's transaction)."""
    key = headers_key(headers)
    existing = session.scalar(
        select(ImportMapping).where(ImportMapping.kind == kind, ImportMapping.headers_key == key)
    )
    if existing is None:
        session.add(
            ImportMapping(kind=kind, headers_key=key, mapping=dict(mapping), updated_by=username)
        )
    elif existing.mapping != mapping:
        existing.mapping = dict(mapping)
        existing.updated_by = username


def _check_kind(kind: str) -> str:
    if kind not in KIND_FIELDS:
        raise ImportRejected(
            f"取り込める一覧は households / watchers / resources / links / contacts です（{kind}）"
        )
    return kind
