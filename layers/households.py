"""気がかりな世帯: households of concern; a red ring marks those with no watcher."""

from __future__ import annotations

from layers.spec import LayerSpec
from lsmap.access.geocoding import household_points_with_levels
from lsmap.access.views import NO_CONSENTED_RESIDENT, HouseholdPoint
from lsmap.vocab import HOUSEHOLD_TYPES, LOCATION_LEVELS, Role, label

#: How an approximate point is drawn, by match level (issue 17): the coarser, the fainter.
LEVEL_STYLES: dict[str, dict[str, object]] = {
    "block": {"dash_array": "4 2", "fill_opacity": 0.6},
    "town": {"dash_array": "2 4", "fill_opacity": 0.25},
}


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
        style.update(LEVEL_STYLES.get(point.location_level or "town", LEVEL_STYLES["town"]))
    return style


def _place(point: HouseholdPoint) -> str | None:
    """The popup's 位置 line: how the point was found, when it is not a surveyed one."""
    level = point.location_level
    if level == "block":
        return "街区の代表点（おおよその位置）"
    if point.approximate or level in ("town", "city"):
        return "町丁目の代表点（おおよその位置）"
    return LOCATION_LEVELS["manual"] if level == "manual" else None


LAYER = LayerSpec(
    key="households",
    title="気がかりな世帯",
    order=10,
    roles=frozenset({Role.ADMIN, Role.STAFF, Role.MEETING}),
    fetch=household_points_with_levels,
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
        ("位置", _place),
    ),
    record_link=lambda p: f"record?household={p.id}",
    point_style=_style,
    meeting_rows=("番号", "見守り者"),
    meeting_label=lambda p: str(p.number),
    legend_notes=(
        ("見守り者のいない世帯", {"color": "#b10026", "weight": 4, "fill_color": "#f16913"}),
        ("おおよその位置（街区）", {"color": "#7f2704", "dash": True, "fill_color": "#f16913"}),
        ("おおよその位置（町丁目）", {"color": "#7f2704", "dash": True, "fill_color": "#fdd0a2"}),
    ),
)
