"""The district map on paper: a vector PDF for welfare meetings (A4/A3, either orientation).

Page 1 is the map in meeting form: district outlines (the chosen one bold, the areas in it
dashed, neighbours faded), the watch-link lines, resources, watchers, and every household
as a number, with title, date, legend, north arrow and scale bar. Page 2, which can be
withheld, is the numbered list with only the names the reader may see. Everything comes
from :func:`lsmap.maps.webmap.fetch_layers` and so from the access module; printing is audited.
Drawn in metres in the JGD2011 plane-rectangular zone of the settings; no basemap needed.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import shapely
from fpdf import FPDF
from fpdf.fonts import FontFace
from pyproj import Transformer
from shapely.geometry import shape
from sqlalchemy.orm import Session

from layers import all_layers
from lsmap.access import Actor
from lsmap.access.views import NO_CONSENTED_RESIDENT
from lsmap.maps.webmap import _outline_features, fetch_layers
from lsmap.printing.record_sheets import FONT_FAMILY, japanese_font_path
from lsmap.settings import STORAGE_SRID, get_settings
from lsmap.storage import audit
from lsmap.vocab import HOUSEHOLD_TYPES, label

#: Paper sizes in millimetres, portrait (width, height).
PAPER_MM: dict[str, tuple[float, float]] = {"A4": (210.0, 297.0), "A3": (297.0, 420.0)}
MARGIN = 10.0
LEGEND_WIDTH = 58.0
SCALE_STEPS = (50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10000, 20000)


@dataclass(frozen=True)
class PaperOptions:
    """What to print."""

    paper: str = "A4"
    landscape: bool = True
    with_list: bool = True
    few_watchers_only: bool = False
    #: "gsi": 地理院タイル (淡色) under the map when they can be fetched; "none": outlines only.
    basemap: str = "none"


def _hex(colour: str) -> tuple[int, int, int]:
    colour = colour.lstrip("#")
    return int(colour[0:2], 16), int(colour[2:4], 16), int(colour[4:6], 16)


class _Frame:
    """Maps metric coordinates onto the map frame of the page (north up)."""

    def __init__(
        self, bounds: tuple[float, float, float, float], box: tuple[float, float, float, float]
    ):
        minx, miny, maxx, maxy = bounds
        x, y, w, h = box
        pad = 0.04 * max(maxx - minx, maxy - miny, 1.0)
        minx, miny, maxx, maxy = minx - pad, miny - pad, maxx + pad, maxy + pad
        self.scale = min(w / (maxx - minx), h / (maxy - miny))  # mm per metre
        self.ox = x + (w - (maxx - minx) * self.scale) / 2 - minx * self.scale
        self.oy = y + (h + (maxy - miny) * self.scale) / 2 + miny * self.scale
        self.box = box

    def __call__(self, mx: float, my: float) -> tuple[float, float]:
        return self.ox + mx * self.scale, self.oy - my * self.scale

    def visible_metres(self) -> tuple[float, float, float, float]:
        """The metric bounds of everything the frame shows."""
        x, y, w, h = self.box
        return (
            (x - self.ox) / self.scale,
            (self.oy - y - h) / self.scale,
            (x + w - self.ox) / self.scale,
            (self.oy - y) / self.scale,
        )


def map_pdf(
    session: Session,
    actor: Actor,
    district_id: int | None,
    options: PaperOptions | None = None,
    *,
    today: date | None = None,
    tile_fetcher: Callable[[int, int, int], bytes] | None = None,
) -> bytes:
    """The paper map of ``district_id`` as PDF bytes, audited as a print."""
    options = options or PaperOptions()
    points = fetch_layers(session, actor, district_id, few_watchers_only=options.few_watchers_only)
    outlines, bounds = _outline_features(session, district_id)
    to_metres = Transformer.from_crs(STORAGE_SRID, get_settings().metric_epsg, always_xy=True)

    width, height = PAPER_MM[options.paper]
    if options.landscape:
        width, height = height, width
    pdf = FPDF(
        orientation="L" if options.landscape else "P",
        unit="mm",
        format=(min(width, height), max(width, height)),
    )
    pdf.set_auto_page_break(False)
    pdf.add_font(FONT_FAMILY, fname=str(japanese_font_path()))
    pdf.set_title("支え合い福祉マップ")
    pdf.add_page()

    name = _district_name(session, district_id)
    day = today or date.today()
    _header(pdf, width, name, day)
    box = (MARGIN, MARGIN + 16, width - 2 * MARGIN - LEGEND_WIDTH - 4, height - 2 * MARGIN - 22)
    if bounds is None:
        bounds = shapely.box(139.0, 35.0, 139.01, 35.01)
    projected = shapely.transform(bounds, lambda xy: _project(to_metres, xy))
    frame = _Frame(projected.bounds, box)
    basemap_note = "背景地図なし（地区の境界のみ）"
    if options.basemap == "gsi":
        tiles = gsi_tiles(
            frame.visible_metres(), frame, to_metres, fetch=tile_fetcher or fetch_tile
        )
        basemap_note = (
            GSI_CREDIT
            if tiles
            else "背景地図（地理院タイル）を取得できなかったため、地区の境界のみ"
        )
    else:
        tiles = []
    with pdf.rect_clip(*box):
        for image, (x, y, w, h) in tiles:
            pdf.image(image, x=x, y=y, w=w, h=h)
        _draw_outlines(pdf, frame, outlines, to_metres)
        _draw_layers(pdf, frame, points, to_metres)
    pdf.set_draw_color(60, 60, 60)
    pdf.set_line_width(0.3)
    pdf.set_dash_pattern()
    pdf.rect(*box)
    _north_arrow(pdf, box)
    _scale_bar(pdf, frame, box)
    _legend(pdf, {key: len(items) for key, items in points.items()}, box, width)
    pdf.set_font(FONT_FAMILY, size=7)
    pdf.set_text_color(90, 90, 90)
    pdf.text(MARGIN, height - MARGIN + 2, f"{basemap_note}。番号は名簿（別紙）と対応します。")

    households = points.get("households", [])
    if options.with_list:
        _name_list(pdf, width, name, day, households)
    audit.log(
        session,
        actor,
        "print",
        "household",
        [p.id for p in households],
        kind="map_pdf",
        paper=options.paper,
        landscape=options.landscape,
        with_list=options.with_list,
    )
    return bytes(pdf.output())


GSI_CREDIT = "背景地図：地理院タイル（淡色地図）国土地理院"
TILE_URL = "https://cyberjapandata.gsi.go.jp/xyz/pale/{z}/{x}/{y}.png"
MAX_TILES = 64


def fetch_tile(z: int, x: int, y: int) -> bytes:
    """One 地理院タイル (PNG); raises OSError when offline."""
    import urllib.request

    request = urllib.request.Request(
        TILE_URL.format(z=z, x=x, y=y), headers={"User-Agent": "lsmap"}
    )
    with urllib.request.urlopen(request, timeout=4) as response:  # noqa: S310 - fixed https URL
        return bytes(response.read())


def gsi_tiles(
    bounds: tuple[float, float, float, float],
    frame: _Frame,
    to_metres: Transformer,
    fetch: Callable[[int, int, int], bytes],
) -> list[tuple[Any, tuple[float, float, float, float]]]:
    """Web-Mercator tiles covering ``bounds`` (metres), each placed by its projected corners.

    Returns [] when any tile cannot be fetched (the map is then printed without a basemap).
    Each tile is placed on its own corners, so the small rotation between Web Mercator and
    the plane-rectangular zone stays within a few metres per tile.
    """
    import io

    back = Transformer.from_crs(to_metres.target_crs, STORAGE_SRID, always_xy=True)
    (west, east), (south, north) = back.transform([bounds[0], bounds[2]], [bounds[1], bounds[3]])
    width_mm = frame.box[2]
    zoom = 18
    while zoom > 10:  # about one tile pixel per 0.25 mm of paper
        x0, y0 = _tile_xy(west, north, zoom)
        x1, y1 = _tile_xy(east, south, zoom)
        if (x1 - x0 + 1) * 256 <= width_mm * 4 and (x1 - x0 + 1) * (y1 - y0 + 1) <= MAX_TILES:
            break
        zoom -= 1
    placed = []
    try:
        for tx in range(x0, x1 + 1):
            for ty in range(y0, y1 + 1):
                lon0, lat0 = _tile_lonlat(tx, ty, zoom)
                lon1, lat1 = _tile_lonlat(tx + 1, ty + 1, zoom)
                (mx0, mx1), (my0, my1) = to_metres.transform([lon0, lon1], [lat0, lat1])
                left, top = frame(mx0, my0)
                right, bottom = frame(mx1, my1)
                placed.append(
                    (io.BytesIO(fetch(zoom, tx, ty)), (left, top, right - left, bottom - top))
                )
    except OSError:
        return []
    return placed


def _tile_xy(lon: float, lat: float, zoom: int) -> tuple[int, int]:
    n = 2**zoom
    x = int((lon + 180.0) / 360.0 * n)
    y = int((1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * n)
    return x, y


def _tile_lonlat(x: int, y: int, zoom: int) -> tuple[float, float]:
    n = 2**zoom
    lon = x / n * 360.0 - 180.0
    lat = math.degrees(math.atan(math.sinh(math.pi * (1 - 2 * y / n))))
    return lon, lat


def _project(transformer: Transformer, xy: Any) -> Any:
    import numpy as np

    x, y = transformer.transform(xy[:, 0], xy[:, 1])
    return np.column_stack([x, y])


def _district_name(session: Session, district_id: int | None) -> str:
    from lsmap.storage.models import District

    if district_id is None:
        return "全域"
    district = session.get(District, district_id)
    return district.name if district is not None else ""


def _header(pdf: FPDF, width: float, name: str, day: date) -> None:
    pdf.set_text_color(0, 0, 0)
    pdf.set_font(FONT_FAMILY, size=16)
    pdf.text(MARGIN, MARGIN + 6, f"支え合い福祉マップ　{name}")
    pdf.set_font(FONT_FAMILY, size=9)
    pdf.text(MARGIN, MARGIN + 12, f"作成日 {day.year}年{day.month}月{day.day}日")
    pdf.set_text_color(177, 0, 38)
    notice = "取扱注意（要配慮個人情報）・会議後に回収"
    pdf.text(width - MARGIN - pdf.get_string_width(notice), MARGIN + 6, notice)
    pdf.set_text_color(0, 0, 0)


def _rings(geometry: Any) -> list[Any]:
    polygons = getattr(geometry, "geoms", [geometry])
    return [ring for polygon in polygons for ring in [polygon.exterior, *polygon.interiors]]


def _draw_outlines(
    pdf: FPDF, frame: _Frame, outlines: list[dict[str, Any]], to_metres: Transformer
) -> None:
    for feature in outlines:
        role = feature["properties"]["style"]["className"].rsplit("-", 1)[1]
        geometry = shapely.transform(shape(feature["geometry"]), lambda xy: _project(to_metres, xy))
        for ring in _rings(geometry):
            points = [frame(x, y) for x, y in ring.coords]
            if role == "neighbour":
                pdf.set_fill_color(225, 225, 225)
                pdf.set_draw_color(190, 190, 190)
                pdf.set_line_width(0.2)
                pdf.set_dash_pattern()
                pdf.polygon(points, style="DF")
            elif role == "inner":
                pdf.set_draw_color(120, 120, 120)
                pdf.set_line_width(0.2)
                pdf.set_dash_pattern(dash=1.2, gap=1.0)
                pdf.polygon(points, style="D")
            else:
                pdf.set_draw_color(30, 30, 30)
                pdf.set_line_width(0.7)
                pdf.set_dash_pattern()
                pdf.polygon(points, style="D")
    pdf.set_dash_pattern()


def _draw_layers(
    pdf: FPDF, frame: _Frame, points: dict[str, list[Any]], to_metres: Transformer
) -> None:
    specs = {spec.key: spec for spec in all_layers()}
    order = ["links", "facility", "salon", "food_bank", "support_centre", "watchers", "households"]
    for key in [k for k in order if k in points] + [k for k in points if k not in order]:
        spec = specs[key]
        items = points[key]
        if spec.geometry == "line":
            pdf.set_line_width(0.25)
            for line in items:
                pdf.set_draw_color(
                    *_hex(
                        (spec.point_style(line) if spec.point_style else {}).get(
                            "color", spec.color
                        )
                    )
                )
                (ax, ay), (bx, by) = line.coords
                (mx1, mx2), (my1, my2) = to_metres.transform([ax, bx], [ay, by])
                pdf.line(*frame(mx1, my1), *frame(mx2, my2))
            continue
        if not items:
            continue
        xs, ys = to_metres.transform([p.lon for p in items], [p.lat for p in items])
        for item, mx, my in zip(items, xs, ys, strict=True):
            x, y = frame(mx, my)
            if key == "households":
                _numbered(pdf, x, y, item)
            else:
                pdf.set_fill_color(*_hex(spec.fill_color))
                pdf.set_draw_color(*_hex(spec.color))
                pdf.set_line_width(0.15)
                pdf.circle(x, y, 1.0 if key == "watchers" else 1.6, style="DF")


def _numbered(pdf: FPDF, x: float, y: float, household: Any) -> None:
    radius = 2.1
    pdf.set_fill_color(241, 105, 19)
    if household.watcher_count == 0:
        pdf.set_draw_color(177, 0, 38)
        pdf.set_line_width(0.6)
    else:
        pdf.set_draw_color(127, 39, 4)
        pdf.set_line_width(0.25)
    pdf.circle(x, y, radius, style="DF")
    pdf.set_text_color(255, 255, 255)
    pdf.set_font(FONT_FAMILY, size=5.5 if household.number < 100 else 4.5)
    text = str(household.number)
    pdf.text(x - pdf.get_string_width(text) / 2, y + 0.7, text)
    pdf.set_text_color(0, 0, 0)


def _north_arrow(pdf: FPDF, box: tuple[float, float, float, float]) -> None:
    x, y = box[0] + box[2] - 10, box[1] + 6
    pdf.set_fill_color(30, 30, 30)
    pdf.set_draw_color(30, 30, 30)
    pdf.set_line_width(0.2)
    pdf.polygon([(x, y), (x - 3, y + 9), (x, y + 7), (x + 3, y + 9)], style="DF")
    pdf.set_font(FONT_FAMILY, size=8)
    pdf.text(x - pdf.get_string_width("N") / 2, y + 13, "N")


def _scale_bar(pdf: FPDF, frame: _Frame, box: tuple[float, float, float, float]) -> None:
    metres = max(
        step for step in SCALE_STEPS if step * frame.scale <= box[2] / 4 or step == SCALE_STEPS[0]
    )
    length = metres * frame.scale
    x, y = box[0] + 6, box[1] + box[3] - 6
    pdf.set_fill_color(255, 255, 255)
    pdf.rect(x - 2, y - 6, length + 14, 9, style="F")
    pdf.set_draw_color(0, 0, 0)
    pdf.set_line_width(0.4)
    pdf.line(x, y, x + length, y)
    for tick in (x, x + length / 2, x + length):
        pdf.line(tick, y - 1.5, tick, y)
    pdf.set_font(FONT_FAMILY, size=7)
    text = f"{metres // 1000} km" if metres >= 1000 and metres % 1000 == 0 else f"{metres} m"
    pdf.text(x + length + 1.5, y + 0.5, text)
    pdf.text(x, y - 2.5, f"縮尺 約1:{_round_scale(1000 / frame.scale)}")


def _round_scale(denominator: float) -> str:
    magnitude = 10 ** max(0, int(math.log10(denominator)) - 1)
    return f"{int(round(denominator / magnitude) * magnitude):,}"


def _legend(
    pdf: FPDF, counts: dict[str, int], box: tuple[float, float, float, float], width: float
) -> None:
    x = width - MARGIN - LEGEND_WIDTH
    y = box[1]
    pdf.set_draw_color(120, 120, 120)
    pdf.set_line_width(0.2)
    pdf.rect(x, y, LEGEND_WIDTH, box[3])
    pdf.set_font(FONT_FAMILY, size=10)
    pdf.text(x + 3, y + 6, "凡例")
    pdf.set_font(FONT_FAMILY, size=7.5)
    row = y + 12
    for spec in all_layers():
        if spec.key not in counts:
            continue
        if spec.geometry == "line":
            pdf.set_draw_color(*_hex(spec.color))
            pdf.set_line_width(0.5)
            pdf.line(x + 3, row - 1, x + 8, row - 1)
        elif spec.key == "households":
            _numbered(pdf, x + 5.5, row - 1, _Sample(number=1, watcher_count=1))
        else:
            pdf.set_fill_color(*_hex(spec.fill_color))
            pdf.set_draw_color(*_hex(spec.color))
            pdf.set_line_width(0.15)
            pdf.circle(x + 5.5, row - 1, 1.6, style="DF")
        pdf.set_font(FONT_FAMILY, size=7.5)
        pdf.text(x + 10, row, f"{spec.title}（{counts[spec.key]}）")
        row += 5.5
        for caption, note in spec.legend_notes:
            if note.get("line"):
                pdf.set_draw_color(*_hex(note["color"]))
                pdf.set_line_width(0.5)
                pdf.line(x + 6, row - 1, x + 11, row - 1)
            elif spec.key == "households" and note.get("weight"):
                _numbered(pdf, x + 8.5, row - 1, _Sample(number=2, watcher_count=0))
            else:
                continue
            pdf.set_font(FONT_FAMILY, size=7)
            pdf.text(x + 13, row, caption)
            row += 4.5
    pdf.set_draw_color(30, 30, 30)
    pdf.set_line_width(0.7)
    pdf.line(x + 3, row - 1, x + 8, row - 1)
    pdf.set_font(FONT_FAMILY, size=7.5)
    pdf.text(x + 10, row, "表示中の地区の境界")


@dataclass(frozen=True)
class _Sample:
    number: int
    watcher_count: int


def _name_list(pdf: FPDF, width: float, name: str, day: date, households: list[Any]) -> None:
    """The separate page: number → the names the reader may see."""
    pdf.add_page()
    _header(pdf, width, f"{name}　番号一覧（名簿）", day)
    pdf.set_auto_page_break(True, margin=MARGIN)
    pdf.set_fill_color(255, 255, 255)
    pdf.set_draw_color(150, 150, 150)
    pdf.set_line_width(0.1)
    pdf.set_font(FONT_FAMILY, size=8)
    pdf.set_xy(MARGIN, MARGIN + 16)
    with pdf.table(
        col_widths=(12, 60, 40, 30, 20),
        text_align=("RIGHT", "LEFT", "LEFT", "LEFT", "RIGHT"),
        line_height=4.6,
        first_row_as_headings=True,
        headings_style=FontFace(emphasis=None, fill_color=(235, 235, 235)),
    ) as table:
        table.row(["番号", "氏名", "町内", "世帯の状況", "見守り者"])
        for point in households:
            names = "・".join(r.name for r in point.residents if r.name)
            if point.hidden_residents:
                names += "（同意のない方あり）" if names else "（同意なし：氏名非表示）"
            elif point.details_withheld and not names:
                names = NO_CONSENTED_RESIDENT
            table.row(
                [
                    str(point.number),
                    names,
                    point.district_name,
                    label(HOUSEHOLD_TYPES, point.household_type),
                    str(point.watcher_count),
                ]
            )
