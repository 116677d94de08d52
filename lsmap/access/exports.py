"""Rows for exports, projected exactly as on the map; and the keys imports match against.

Each layer has its builder (:data:`BUILDERS`); :func:`export_rows` checks the permission
(:func:`may_export`) and runs it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lsmap.access.core import AccessDenied, Action, Actor, can, scoped
from lsmap.access.map_reads import (
    district_outlines,
    household_points,
    resource_points,
    visible_districts,
    watcher_points,
)
from lsmap.access.policy import sees_full_records, sees_people
from lsmap.access.views import ExportTable, HouseholdPoint
from lsmap.storage.models import District, Household, Resident, Resource, Watcher
from lsmap.vocab import (
    CONSENT_STATUSES,
    HOUSEHOLD_TYPES,
    RESOURCE_KINDS,
    WATCHER_ROLES,
    field_label,
    label,
)

__all__ = [
    "EXPORT_LAYERS",
    "PERSONAL_LAYERS",
    "export_rows",
    "import_match_keys",
    "may_export",
]

#: Layers that can be exported: the map's point layers, all resources, and the boundaries.
EXPORT_LAYERS: tuple[str, ...] = (
    "households",
    "watchers",
    "resources",
    "facility",
    "salon",
    "food_bank",
    "support_centre",
    "other",
    "districts",
)
#: Layers of people: only for roles that see people (the others export numbers instead).
PERSONAL_LAYERS: frozenset[str] = frozenset({"households", "watchers"})
HOUSEHOLD_FIELDS = (
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
)


def may_export(actor: Actor | None, layer: str) -> bool:
    """Whether ``actor`` may take ``layer`` away as a file (any layer name the app offers,
    also aggregate tables): layers of people only for roles that see people, in their
    districts."""
    if not can(actor, Action.EXPORT):
        return False
    return layer not in PERSONAL_LAYERS or can(actor, Action.VIEW)


def export_rows(session: Session, actor: Actor, layer: str) -> ExportTable:
    """The rows of ``layer`` that ``actor`` may take away, projected as on the map.

    Raises AccessDenied for personal layers when the actor may not see personal rows, and
    ValueError for an unknown layer. The returned notes say what was left out.
    """
    if layer not in EXPORT_LAYERS:
        raise ValueError(layer)
    if not can(actor, Action.EXPORT):
        raise AccessDenied("データを書き出す権限がありません")
    if not may_export(actor, layer):
        raise AccessDenied("計画担当は個人の一覧を出力できません（集計表を使ってください）")
    return BUILDERS.get(layer, _export_resources)(session, actor, layer)


def _household_rows(point: HouseholdPoint, ref: str, columns: list[str]) -> list[dict[str, Any]]:
    """One row per visible resident of ``point`` (one row without residents)."""
    shared = {
        "世帯番号": point.number,
        "番号": ref,
        "世帯の状況": label(HOUSEHOLD_TYPES, point.household_type),
        "住所": point.address or "",
        "町丁目": point.district_name,
        "緯度": point.lat,
        "経度": point.lon,
        "おおよその位置": "はい" if point.approximate else "",
    }
    rows = []
    for resident in point.residents or (None,):
        row = dict(shared)
        if resident is not None:
            row.update(
                {
                    "氏名": resident.name or "",
                    "ふりがな": resident.furigana or "",
                    "生年": resident.birth_year if resident.birth_year is not None else "",
                    "電話": resident.phone or "",
                    "気になるところ（分類）": "、".join(resident.concern_tags),
                    "気になるところ": resident.concerns or "",
                    "同意": label(CONSENT_STATUSES, resident.consent_status),
                }
            )
        rows.append({c: row.get(c, "") for c in columns})
    return rows


def _export_households(session: Session, actor: Actor, layer: str) -> ExportTable:
    points = household_points(session, actor, None)
    refs = _refs(session, Household, [p.id for p in points])
    columns = [*(field_label("households", f) for f in HOUSEHOLD_FIELDS), "世帯番号"]
    full = sees_full_records(actor)
    if not full:
        columns.remove("同意")
    table = ExportTable(layer, "household", columns, [])
    hidden = unconsented = 0
    for point in points:
        rows = _household_rows(point, refs.get(point.id) or f"H{point.id}", columns)
        table.rows.extend(rows)
        table.geometry.extend([(point.lon, point.lat)] * len(rows))
        table.ids.append(point.id)
        hidden += point.hidden_residents
        unconsented += point.details_withheld and not point.hidden_residents
    if hidden:
        table.notes.append(
            f"同意のない方 {hidden} 名の氏名・連絡先・気になるところと、その世帯の住所・"
            "状況は出力していません"
        )
    if unconsented:
        table.notes.append(
            f"同意を得た方が登録されていない世帯 {unconsented} 件の住所・状況は出力していません"
        )
    if not full:
        table.notes.append("同意状況の列は出力していません")
    return table


def _export_watchers(session: Session, actor: Actor, layer: str) -> ExportTable:
    points = watcher_points(session, actor, None)
    refs = _refs(session, Watcher, [p.id for p in points])
    columns = [field_label("watchers", f) for f in ("ref", "name", "role", "phone", "lat", "lon")]
    columns.append("見守っている世帯数")
    full = sees_full_records(actor)
    if not full:
        columns.remove("電話")
    table = ExportTable(layer, "watcher", columns, [])
    for point in points:
        row = {
            "番号": refs.get(point.id) or f"W{point.id}",
            "氏名": point.name,
            "役割": label(WATCHER_ROLES, point.role),
            "電話": point.phone or "",
            "緯度": point.lat,
            "経度": point.lon,
            "見守っている世帯数": point.load,
        }
        table.rows.append({c: row[c] for c in columns})
        table.geometry.append((point.lon, point.lat))
        table.ids.append(point.id)
    if not full:
        table.notes.append("見守り者の電話番号は出力していません")
    return table


def _export_resources(session: Session, actor: Actor, layer: str) -> ExportTable:
    kinds = list(RESOURCE_KINDS) if layer == "resources" else [layer]
    columns = [
        field_label("resources", f)
        for f in ("ref", "name", "kind", "address", "phone", "schedule", "lat", "lon")
    ]
    with_csws = sees_people(actor)
    if with_csws:
        columns.append("CSW")
    table = ExportTable(layer, "resource", columns, [])
    points = [p for kind in kinds for p in resource_points(session, actor, None, kind)]
    refs = _refs(session, Resource, [p.id for p in points])
    for point in sorted(points, key=lambda p: p.id):
        row = {
            "番号": refs.get(point.id) or f"R{point.id}",
            "名称": point.name,
            "資源の種類": label(RESOURCE_KINDS, point.kind),
            "住所": point.address,
            "電話": point.phone,
            "開催日": point.schedule,
            "緯度": point.lat,
            "経度": point.lon,
            "CSW": "、".join(point.csw_names),
        }
        table.rows.append({c: row[c] for c in columns})
        table.geometry.append((point.lon, point.lat))
        table.ids.append(point.id)
    if not with_csws:
        table.notes.append("CSW の氏名は出力していません")
    return table


def _refs(session: Session, model: Any, ids: list[int]) -> dict[int, str | None]:
    """Reference numbers of already-visible records (ids come from a scoped query)."""
    if not ids:
        return {}
    return dict(session.execute(select(model.id, model.ref).where(model.id.in_(ids))).all())


def _export_districts(session: Session, actor: Actor, layer: str) -> ExportTable:
    infos = visible_districts(session, actor)
    codes = {d.id: d.code for d in infos}
    parents = (
        dict(
            session.execute(
                select(District.id, District.code).where(
                    District.id.in_([d.parent_id for d in infos if d.parent_id is not None])
                )
            ).all()
        )
        if infos
        else {}
    )
    outlines = {info.id: geom for info, geom in district_outlines(session, list(codes))}
    table = ExportTable(layer, "district", ["コード", "名称", "階層", "上位コード"], [])
    for info in infos:
        table.rows.append(
            {
                "コード": info.code,
                "名称": info.name,
                "階層": info.level,
                "上位コード": parents.get(info.parent_id, "") if info.parent_id else "",
            }
        )
        table.geometry.append(outlines.get(info.id))
        table.ids.append(info.id)
    return table


def import_match_keys(
    session: Session, actor: Actor, kind: str
) -> tuple[list[tuple[str, str, str]], set[str]]:
    """(name, address, resource kind or "") of live records of ``kind`` in scope, and all refs.

    Used by list imports to report duplicates; only roles that may edit may ask.
    """
    if not can(actor, Action.EDIT):
        raise AccessDenied("取り込みの権限がありません")
    if kind == "households":
        query = (
            select(Resident.name, Household.address, Household.ref)
            .join(Household, Household.id == Resident.household_id)
            .where(Resident.deleted_at.is_(None), Household.deleted_at.is_(None))
        )
        rows = session.execute(scoped(query, Household.district_id, actor, None)).all()
    elif kind == "watchers":
        query = select(Watcher.name, Watcher.address, Watcher.ref).where(
            Watcher.deleted_at.is_(None)
        )
        rows = session.execute(scoped(query, Watcher.district_id, actor, None)).all()
    else:
        query = select(Resource.name, Resource.address, Resource.kind).where(
            Resource.deleted_at.is_(None)
        )
        rows = session.execute(query).all()
    all_refs = {
        "households": select(Household.ref),
        "watchers": select(Watcher.ref),
        "resources": select(Resource.ref),
    }[kind]
    refs = {r for r in session.scalars(all_refs) if r is not None}
    return [
        (name, address, (third or "") if kind == "resources" else "")
        for name, address, third in rows
    ], refs


#: layer -> the builder of its rows (every other layer is a resource kind).
BUILDERS: dict[str, Callable[[Session, Actor, str], ExportTable]] = {
    "households": _export_households,
    "watchers": _export_watchers,
    "districts": _export_districts,
}
