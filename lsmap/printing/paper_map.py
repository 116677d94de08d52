"""The district map on paper: a vector PDF for welfare meetings (A4/A3, either orientation).

The paper unit of a meeting is one 町内 (about 50 households, as in the 支え合いマップ
practice); any district can be printed. Page 1 is the map in meeting form: the background
(imported roads, railways, rivers … or the 地理院タイル when chosen), district outlines (the
chosen one bold, the areas in it dashed, neighbours faded) with their names, the watch-link
lines, resources, watchers, and every household as a number (9 pt on A4, 11 pt on A3)
that no other number hides, with title, date, legend, north arrow, scale bar and the credit
lines. Page 2, which can be withheld, is the numbered list with only the names the reader
may see.
Everything comes from :func:`lsmap.maps.webmap.fetch_layers` and so from the access module;
printing is audited (:func:`map_pdf` once per PDF; a batch once, see
:mod:`lsmap.printing.paper_batch`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
import shapely
from fpdf import FPDF
from fpdf.fonts import FontFace
from pyproj import Transformer
from sqlalchemy.orm import Session

from layers import all_layers
from lsmap import access
from lsmap.access import Actor
from lsmap.access.basemap import BackgroundFeature, background_features
from lsmap.access.views import NO_CONSENTED_RESIDENT
from lsmap.maps.areas import MapAreas, map_areas
from lsmap.maps.background import style_key
from lsmap.maps.labels import MapLabel, area_labels, landmark_labels
from lsmap.maps.webmap import fetch_layers
from lsmap.printing.paper_drawing import (
    NUMBER_PT,
    PAPER_STYLES,
    Frame,
    draw_background,
    draw_labels,
    draw_numbers,
    draw_outlines,
    hex_rgb,
    label_obstacles,
    number_diameter,
    number_disc,
    place_numbers,
    project,
    settle_paper_labels,
)
from lsmap.printing.record_sheets import FONT_FAMILY, japanese_font_path
from lsmap.settings import STORAGE_SRID, get_settings
from lsmap.storage import audit
from lsmap.vocab import HOUSEHOLD_TYPES, AuditAction, Entity, label

#: Paper sizes in millimetres, portrait (width, height).
PAPER_MM: dict[str, tuple[float, float]] = {"A4": (210.0, 297.0), "A3": (297.0, 420.0)}
MARGIN = 10.0
LEGEND_WIDTH = 58.0
SCALE_STEPS = (50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10000, 20000)
NO_BASEMAP_NOTE = "背景地図なし（地区の境界のみ）"


@dataclass(frozen=True)
class PaperOptions:
    """What to print."""

    paper: str = "A4"
    landscape: bool = True
    with_list: bool = True
    few_watchers_only: bool = False
    #: "local": the imported background (roads, rivers …); "gsi": 地理院タイル (淡色) when
    #: they can be fetched; "none": outlines only.
    basemap: str = "local"


@dataclass
class MapContent:
    """What one paper map shows, read through the access module."""

    name: str
    points: dict[str, list[Any]]
    areas: MapAreas
    background: list[BackgroundFeature] = field(default_factory=list)
    labels: list[MapLabel] = field(default_factory=list)


def read_content(
    session: Session, actor: Actor, district_id: int | None, options: PaperOptions
) -> MapContent:
    """The points, areas, background and names of the paper map of ``district_id``."""
    area = access.area_for(session, district_id)  # the district tree, read once per print
    points = fetch_layers(session, actor, area, few_watchers_only=options.few_watchers_only)
    areas = map_areas(session, area)
    if areas.bounds is None:
        areas.bounds = shapely.box(139.0, 35.0, 139.01, 35.01)
    background: list[BackgroundFeature] = []
    if options.basemap == "local":
        minx, miny, maxx, maxy = areas.bounds.bounds
        pad = 0.8 * max(maxx - minx, maxy - miny)
        background = background_features(
            session, actor, (minx - pad, miny - pad, maxx + pad, maxy + pad)
        )
    labels = area_labels(areas.named) + landmark_labels(background)
    return MapContent(_district_name(session, district_id), points, areas, background, labels)


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
    content = read_content(session, actor, district_id, options)
    pdf = render_pdf(content, options, today or date.today(), tile_fetcher)
    households = content.points.get("households", [])
    audit.log(
        session,
        actor,
        AuditAction.PRINT,
        Entity.HOUSEHOLD,
        [p.id for p in households],
        kind="map_pdf",
        paper=options.paper,
        landscape=options.landscape,
        with_list=options.with_list,
        district_id=district_id,
    )
    return pdf


def new_pdf(options: PaperOptions) -> tuple[FPDF, float, float]:
    """An empty PDF of the chosen paper with the Japanese font; (pdf, width, height) in mm."""
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
    return pdf, width, height


def render_pdf(
    content: MapContent,
    options: PaperOptions,
    day: date,
    tile_fetcher: Callable[[int, int, int], bytes] | None = None,
) -> bytes:
    """The map page (and the list page when asked) of ``content`` as PDF bytes."""
    pdf, width, height = new_pdf(options)
    pdf.add_page()
    _header(pdf, width, content.name, day)
    box = (MARGIN, MARGIN + 16, width - 2 * MARGIN - LEGEND_WIDTH - 4, height - 2 * MARGIN - 22)
    to_metres = Transformer.from_crs(STORAGE_SRID, get_settings().metric_epsg, always_xy=True)
    frame = Frame(project(to_metres, content.areas.bounds).bounds, box)
    notes = _draw_map(pdf, frame, content, options, to_metres, tile_fetcher)
    pdf.set_draw_color(60, 60, 60)
    pdf.set_line_width(0.3)
    pdf.set_dash_pattern()
    pdf.rect(*box)
    _north_arrow(pdf, box)
    _scale_bar(pdf, frame, box)
    _legend(pdf, content, box, width)
    pdf.set_font(FONT_FAMILY, size=7)
    pdf.set_text_color(90, 90, 90)
    pdf.text(MARGIN, height - MARGIN + 2, f"{notes}。番号は名簿（別紙）と対応します。")
    pdf.set_text_color(0, 0, 0)
    if options.with_list:
        _name_list(pdf, width, content.name, day, content.points.get("households", []))
    return bytes(pdf.output())


def _draw_map(
    pdf: FPDF,
    frame: Frame,
    content: MapContent,
    options: PaperOptions,
    to_metres: Transformer,
    tile_fetcher: Callable[[int, int, int], bytes] | None,
) -> str:
    """Everything inside the frame; returns the credit note of the background."""
    note = NO_BASEMAP_NOTE
    tiles: list[Any] = []
    if options.basemap == "gsi":
        tiles = gsi_tiles(
            frame.visible_metres(), frame, to_metres, fetch=tile_fetcher or fetch_tile
        )
        note = (
            GSI_CREDIT
            if tiles
            else "背景地図（地理院タイル）を取得できなかったため、地区の境界のみ"
        )
    drawn = _background_in_frame(frame, content.background, to_metres)
    if drawn:
        credits = dict.fromkeys(f.credit for f in content.background if f.credit)
        note = "、".join(credits) or "背景地図あり"
    households = content.points.get("households", [])
    true_mm = _page_points(frame, households, to_metres)
    size_pt = NUMBER_PT[options.paper]
    diameter = number_diameter(pdf, [p.number for p in households], size_pt)
    labels = settle_paper_labels(pdf, frame, content.labels, to_metres, true_mm, diameter)
    fixed = label_obstacles(pdf, labels) + _corner_obstacles(frame.box)
    placed = place_numbers(true_mm, diameter, fixed)
    with pdf.rect_clip(*frame.box):
        for image, (x, y, w, h) in tiles:
            pdf.image(image, x=x, y=y, w=w, h=h)
        draw_background(pdf, frame, drawn)
        draw_outlines(pdf, frame, content.areas.outlines, to_metres)
        _draw_layers(pdf, frame, content.points, to_metres)
        draw_labels(pdf, labels)
        draw_numbers(pdf, households, true_mm, placed, diameter, size_pt)
    return note


def _background_in_frame(
    frame: Frame, features: list[BackgroundFeature], to_metres: Transformer
) -> list[tuple[str, Any]]:
    """(style key, metric geometry clipped to the frame) of each background feature."""
    if not features:
        return []
    view = frame.visible_metres()
    tolerance = 0.15 / frame.scale  # a sixth of a millimetre on paper
    drawn = []
    for feature in features:
        geom = shapely.clip_by_rect(project(to_metres, feature.geom), *view)
        if geom.is_empty:
            continue
        drawn.append((style_key(feature), shapely.simplify(geom, tolerance)))
    return drawn


def _page_points(frame: Frame, items: list[Any], to_metres: Transformer) -> np.ndarray:
    """The page positions (mm) of points with ``lon``/``lat``, as an n × 2 array."""
    if not items:
        return np.empty((0, 2))
    xs, ys = to_metres.transform([p.lon for p in items], [p.lat for p in items])
    return np.array([frame(mx, my) for mx, my in zip(xs, ys, strict=True)])


def _corner_obstacles(box: tuple[float, float, float, float]) -> list[tuple[float, float, float]]:
    """The north arrow (top right) and the scale bar (bottom left) as discs to keep clear."""
    x, y, w, h = box
    return [(x + w - 10, y + 10, 8.0), (x + 16, y + h - 8, 9.0), (x + 34, y + h - 8, 9.0)]


GSI_CREDIT = "背景地図：地理院タイル（淡色地図）国土地理院"
TILE_URL = "https://cyberjapandata.gsi.go.jp/xyz/pale/{z}/{x}/{y}.png"
MAX_TILES = 64


def fetch_tile(z: int, x: int, y: int) -> bytes:
    """One 地理院タイル (PNG); raises OSError when offline."""
    import urllib.request

    request = urllib.request.Request(  # noqa: S310 - fixed https URL
        TILE_URL.format(z=z, x=x, y=y), headers={"User-Agent": "lsmap"}
    )
    with urllib.request.urlopen(request, timeout=4) as response:  # noqa: S310 - fixed https URL
        return bytes(response.read())


def gsi_tiles(
    bounds: tuple[float, float, float, float],
    frame: Frame,
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


def _draw_layers(
    pdf: FPDF, frame: Frame, points: dict[str, list[Any]], to_metres: Transformer
) -> None:
    """Watch-link lines, resources and watchers (households are drawn as numbers)."""
    specs = {spec.key: spec for spec in all_layers()}
    order = ["links", "facility", "salon", "food_bank", "support_centre", "watchers"]
    for key in [k for k in order if k in points] + [k for k in points if k not in order]:
        spec = specs[key]
        items = points[key]
        if key == "households" or not items:
            continue
        if spec.geometry == "line":
            pdf.set_line_width(0.25)
            for line in items:
                style = spec.point_style(line) if spec.point_style else {}
                pdf.set_draw_color(*hex_rgb(style.get("color", spec.color)))
                (ax, ay), (bx, by) = line.coords
                (mx1, mx2), (my1, my2) = to_metres.transform([ax, bx], [ay, by])
                pdf.line(*frame(mx1, my1), *frame(mx2, my2))
            continue
        pdf.set_fill_color(*hex_rgb(spec.fill_color))
        pdf.set_draw_color(*hex_rgb(spec.color))
        pdf.set_line_width(0.15)
        for x, y in _page_points(frame, items, to_metres):
            pdf.circle(x, y, 1.0 if key == "watchers" else 1.6, style="DF")


def _north_arrow(pdf: FPDF, box: tuple[float, float, float, float]) -> None:
    x, y = box[0] + box[2] - 10, box[1] + 6
    pdf.set_fill_color(30, 30, 30)
    pdf.set_draw_color(30, 30, 30)
    pdf.set_line_width(0.2)
    pdf.polygon([(x, y), (x - 3, y + 9), (x, y + 7), (x + 3, y + 9)], style="DF")
    pdf.set_font(FONT_FAMILY, size=8)
    pdf.text(x - pdf.get_string_width("N") / 2, y + 13, "N")


def _scale_bar(pdf: FPDF, frame: Frame, box: tuple[float, float, float, float]) -> None:
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
    pdf: FPDF, content: MapContent, box: tuple[float, float, float, float], width: float
) -> None:
    x = width - MARGIN - LEGEND_WIDTH
    y = box[1]
    pdf.set_draw_color(120, 120, 120)
    pdf.set_line_width(0.2)
    pdf.rect(x, y, LEGEND_WIDTH, box[3])
    pdf.set_font(FONT_FAMILY, size=10)
    pdf.text(x + 3, y + 6, "凡例")
    counts = {key: len(items) for key, items in content.points.items()}
    row = _legend_layers(pdf, counts, x, y + 12)
    pdf.set_draw_color(30, 30, 30)
    pdf.set_line_width(0.7)
    pdf.line(x + 3, row - 1, x + 8, row - 1)
    pdf.set_font(FONT_FAMILY, size=7.5)
    pdf.text(x + 10, row, "表示中の地区の境界")
    row += 5.5
    if "households" in counts:
        pdf.set_draw_color(40, 40, 40)
        pdf.set_line_width(0.25)
        pdf.line(x + 3, row - 1, x + 8, row - 1)
        pdf.set_fill_color(40, 40, 40)
        pdf.circle(x + 3, row - 1, 0.55, style="F")
        pdf.set_font(FONT_FAMILY, size=7)
        pdf.text(x + 10, row - 1.6, "番号が混み合うところは線の先の")
        pdf.text(x + 10, row + 1.4, "点が世帯の位置")
        row += 7.5
    _legend_background(pdf, content, x, row)


def _legend_layers(pdf: FPDF, counts: dict[str, int], x: float, row: float) -> float:
    """The layers' rows of the legend; returns the next row."""
    for spec in all_layers():
        if spec.key not in counts:
            continue
        if spec.geometry == "line":
            pdf.set_draw_color(*hex_rgb(spec.color))
            pdf.set_line_width(0.5)
            pdf.line(x + 3, row - 1, x + 8, row - 1)
        elif spec.key == "households":
            number_disc(pdf, x + 5.5, row - 1, 1, 1, 5.0, 8.0)
        else:
            pdf.set_fill_color(*hex_rgb(spec.fill_color))
            pdf.set_draw_color(*hex_rgb(spec.color))
            pdf.set_line_width(0.15)
            pdf.circle(x + 5.5, row - 1, 1.6, style="DF")
        pdf.set_font(FONT_FAMILY, size=7.5)
        pdf.text(x + 10, row, f"{spec.title}（{counts[spec.key]}）")
        row += 6.0 if spec.key == "households" else 5.5
        for caption, note in spec.legend_notes:
            if note.get("line"):
                pdf.set_draw_color(*hex_rgb(note["color"]))
                pdf.set_line_width(0.5)
                pdf.line(x + 6, row - 1, x + 11, row - 1)
            elif spec.key == "households" and note.get("weight"):
                number_disc(pdf, x + 8.5, row - 1, 2, 0, 5.0, 8.0)
                row += 0.8
            else:
                continue
            pdf.set_font(FONT_FAMILY, size=7)
            pdf.text(x + 13, row, caption)
            row += 4.5
    return row


def _legend_background(pdf: FPDF, content: MapContent, x: float, row: float) -> None:
    """The background's rows of the legend (only what is on the map)."""
    present = {style_key(f) for f in content.background}
    items = [
        ("roads:main", "主な道路"),
        ("roads:local", "道路"),
        ("railways:rail", "鉄道"),
        ("rivers:area", "川"),
        ("parks", "公園"),
        ("schools", "学校"),
    ]
    for key, caption in [(k, c) for k, c in items if k in present]:
        fill, line, line_width, under, under_width = PAPER_STYLES[key]
        if fill is not None:
            pdf.set_fill_color(*fill)
            pdf.set_draw_color(*line)
            pdf.set_line_width(0.2)
            pdf.rect(x + 3, row - 2.5, 5, 3, style="DF")
        else:
            for colour, thickness in ((under, under_width), (line, line_width)):
                if colour is not None:
                    pdf.set_draw_color(*colour)
                    pdf.set_line_width(thickness)
                    pdf.line(x + 3, row - 1, x + 8, row - 1)
        pdf.set_font(FONT_FAMILY, size=7.5)
        pdf.text(x + 10, row, caption)
        row += 5.0


def _name_list(pdf: FPDF, width: float, name: str, day: date, households: list[Any]) -> None:
    """The separate page: number → the names the reader may see."""
    pdf.add_page()
    _header(pdf, width, f"{name}　番号一覧（名簿）", day)
    pdf.set_auto_page_break(True, margin=MARGIN)
    pdf.set_fill_color(255, 255, 255)
    pdf.set_draw_color(150, 150, 150)
    pdf.set_line_width(0.1)
    pdf.set_font(FONT_FAMILY, size=10)
    pdf.set_xy(MARGIN, MARGIN + 16)
    with pdf.table(
        col_widths=(12, 60, 40, 30, 20),
        text_align=("RIGHT", "LEFT", "LEFT", "LEFT", "RIGHT"),
        line_height=5.6,
        first_row_as_headings=True,
        headings_style=FontFace(emphasis=None, fill_color=(235, 235, 235)),
    ) as table:
        table.row(["番号", "氏名", "町丁目", "世帯の状況", "見守り者"])
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
