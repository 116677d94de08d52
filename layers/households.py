"""気がかりな世帯: households of concern; a red ring marks those with no watcher."""

from __future__ import annotations

from layers.spec import LayerSpec
from lsmap import access
from lsmap.access.views import NO_CONSENTED_RESIDENT, HouseholdPoint
from lsmap.vocab import HOUSEHOLD_TYPES, label


def _names(point: HouseholdPoint) -> str | None:
    names = [r.name for r in point.residents if r.name]
    if point.hidden_residents:
        names.append(f"（同意のない方 {point.hidden_residents} 名）")
    elif point.details_withheld and not names:
        names.append(NO_CONSENTED_RESIDENT)
    return "、".join(names) or None


def _concerns(point: HouseholdPoint) -> str | None:
    tags = [tag for r in point.residents for tag in r.concern_tags]
    return "、".join(dict.fromkeys(tags)) or None


def _style(point: HouseholdPoint) -> dict[str, object]:
    style: dict[str, object] = {}
    if point.watcher_count == 0:
        style.update(color="#b10026", weight=4)
    if point.approximate:
        style.update(dash_array="3 3", fill_opacity=0.4)
    return style


LAYER = LayerSpec(
    key="households",
    title="気がかりな世帯",
    order=10,
    roles=frozenset({"admin", "staff", "meeting"}),
    fetch=access.household_points,
    color="#7f2704",
    fill_color="#f16913",
    radius=7,
    personal=True,
    tooltip=lambda p: f"No.{p.number}",
    popup_rows=(
        ("番号", lambda p: f"No.{p.number}"),
        ("氏名", _names),
        ("世帯の状況", lambda p: label(HOUSEHOLD_TYPES, p.household_type) or None),
        ("住所", lambda p: p.address),
        ("気になるところ", _concerns),
        ("見守り者", lambda p: f"{p.watcher_count} 人"),
        ("位置", lambda p: "町丁目の代表点（おおよその位置）" if p.approximate else None),
    ),
    record_link=lambda p: f"record?household={p.id}",
    point_style=_style,
    meeting_rows=("番号", "見守り者"),
    meeting_label=lambda p: str(p.number),
    legend_notes=(
        ("見守り者のいない世帯", {"color": "#b10026", "weight": 4, "fill_color": "#f16913"}),
        ("おおよその位置", {"color": "#7f2704", "dash": True, "fill_color": "#f16913"}),
    ),
)
