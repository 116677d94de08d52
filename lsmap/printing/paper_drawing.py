"""Drawing the paper map's parts in millimetres: frame, background, outlines, names, numbers.

Everything is placed in metres of the JGD2011 plane-rectangular zone of the settings and
mapped onto the page by :class:`Frame` (north up). Numbers are :data:`NUMBER_PT` points
(9 pt on A4, 11 pt on A3; never below 8 pt) and never overlap: they are
placed by :func:`lsmap.maps.placement.place_discs` in metres, keeping clear of the area
names, the north arrow and the scale bar; a moved number has a leader line to its true
spot, which is marked with a dot.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely
from fpdf import FPDF
from fpdf.enums import TextMode
from pyproj import Transformer
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from lsmap.maps.labels import MapLabel
from lsmap.maps.placement import box_obstacle, place_discs
from lsmap.printing.record_sheets import FONT_FAMILY

#: Household numbers on paper: font size in points by paper (issue 14: at least 8 pt).
NUMBER_PT: dict[str, float] = {"A3": 11.0, "A4": 9.0}
#: The number's disc: at least this diameter (mm), and this much around the digits.
NUMBER_MIN_MM = 6.0
NUMBER_PAD_MM = 0.9
#: Space kept between two number discs (mm).
NUMBER_GAP_MM = 0.6
#: Area names by part: font size in points.
LABEL_PT = {"chosen": 16.0, "inner": 12.0, "neighbour": 10.0, "landmark": 6.5}
PT_MM = 25.4 / 72
#: Paper styles of the background by screen style key: (fill RGB or None, line RGB,
#: line width mm, casing RGB or None, casing width mm).
PAPER_STYLES: dict[str, tuple[Any, ...]] = {
    "parks": ((217, 240, 211), (161, 217, 155), 0.15, None, 0),
    "schools": ((243, 234, 211), (205, 185, 143), 0.15, None, 0),
    "rivers:area": ((185, 217, 239), (107, 174, 214), 0.15, None, 0),
    "rivers:line": (None, (107, 174, 214), 0.9, None, 0),
    "rivers:stream": (None, (107, 174, 214), 0.45, None, 0),
    "roads:area": ((255, 255, 255), (200, 200, 200), 0.1, None, 0),
    "roads:local": (None, (255, 255, 255), 0.9, (175, 175, 175), 1.25),
    "roads:main": (None, (251, 227, 176), 1.5, (176, 140, 80), 1.95),
    "railways:rail": (None, (255, 255, 255), 0.35, (60, 60, 60), 0.9),
    "railways:station": ((189, 189, 189), (77, 77, 77), 0.2, None, 0),
    "buildings": ((227, 220, 213), (184, 172, 162), 0.1, None, 0),
    "buildings:public": ((213, 200, 188), (158, 143, 131), 0.15, None, 0),
}


def hex_rgb(colour: str) -> tuple[int, int, int]:
    """``#rrggbb`` as an RGB tuple."""
    colour = colour.lstrip("#")
    return int(colour[0:2], 16), int(colour[2:4], 16), int(colour[4:6], 16)


class Frame:
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

    def metres(self, px: float, py: float) -> tuple[float, float]:
        """The metric point under a point of the page."""
        return (px - self.ox) / self.scale, (self.oy - py) / self.scale

    def visible_metres(self) -> tuple[float, float, float, float]:
        """The metric bounds of everything the frame shows."""
        x, y, w, h = self.box
        return (
            (x - self.ox) / self.scale,
            (self.oy - y - h) / self.scale,
            (x + w - self.ox) / self.scale,
            (self.oy - y) / self.scale,
        )


def project(transformer: Transformer, geom: BaseGeometry) -> BaseGeometry:
    """``geom`` (longitude/latitude) in the transformer's metric CRS."""

    def convert(xy: np.ndarray) -> np.ndarray:
        x, y = transformer.transform(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geom, convert)


def _rings(geometry: Any) -> list[Any]:
    polygons = getattr(geometry, "geoms", [geometry])
    return [ring for polygon in polygons for ring in [polygon.exterior, *polygon.interiors]]


def _lines(geometry: Any) -> list[Any]:
    parts = getattr(geometry, "geoms", [geometry])
    return [p for p in parts if p.geom_type in ("LineString", "LinearRing")]


# ---------------------------------------------------------------- background and outlines


def draw_background(pdf: FPDF, frame: Frame, drawn: list[tuple[str, BaseGeometry]]) -> None:
    """Background features ``(style key, metric geometry)``: areas first, then the casings
    of roads and railways, then the lines on them."""
    polygonal = [(k, g) for k, g in drawn if g.geom_type in ("Polygon", "MultiPolygon")]
    linear = [(k, g) for k, g in drawn if _lines(g)]
    for key, geom in polygonal:
        fill, line, width, _, _ = PAPER_STYLES.get(key, PAPER_STYLES["buildings"])
        pdf.set_fill_color(*fill)
        pdf.set_draw_color(*line)
        pdf.set_line_width(width)
        for polygon in getattr(geom, "geoms", [geom]):
            pdf.polygon([frame(x, y) for x, y in polygon.exterior.coords], style="DF")
    for casing in (True, False):
        for key, geom in linear:
            _, line, width, under, under_width = PAPER_STYLES.get(key, PAPER_STYLES["roads:local"])
            if casing and under is None:
                continue
            pdf.set_draw_color(*(under if casing else line))
            pdf.set_line_width(under_width if casing else width)
            if key == "railways:rail" and not casing:
                pdf.set_dash_pattern(dash=1.6, gap=1.6)
            else:
                pdf.set_dash_pattern()
            for part in _lines(geom):
                pdf.polyline([frame(x, y) for x, y in part.coords])
    pdf.set_dash_pattern()


def draw_outlines(
    pdf: FPDF, frame: Frame, outlines: list[dict[str, Any]], to_metres: Transformer
) -> None:
    """District outlines: neighbours faded, inner areas dashed, the chosen one bold."""
    for feature in outlines:
        part = feature["properties"]["style"]["className"].rsplit("-", 1)[1]
        geometry = project(to_metres, shape(feature["geometry"]))
        for ring in _rings(geometry):
            points = [frame(x, y) for x, y in ring.coords]
            if part == "neighbour":
                pdf.set_fill_color(225, 225, 225)
                pdf.set_draw_color(190, 190, 190)
                pdf.set_line_width(0.2)
                pdf.set_dash_pattern()
                with pdf.local_context(fill_opacity=0.55):
                    pdf.polygon(points, style="DF")
            elif part == "inner":
                pdf.set_draw_color(100, 100, 100)
                pdf.set_line_width(0.3)
                pdf.set_dash_pattern(dash=1.2, gap=1.0)
                pdf.polygon(points, style="D")
            else:
                pdf.set_draw_color(30, 30, 30)
                pdf.set_line_width(0.8)
                pdf.set_dash_pattern()
                pdf.polygon(points, style="D")
    pdf.set_dash_pattern()


# ---------------------------------------------------------------- names


@dataclass(frozen=True)
class PaperLabel:
    """A name placed on the page (mm), with the box markers keep clear of."""

    text: str
    x: float
    y: float
    size_pt: float
    part: str

    def box_mm(self, pdf: FPDF) -> tuple[float, float]:
        """Width and height of the drawn name in millimetres."""
        pdf.set_font(FONT_FAMILY, size=self.size_pt)
        return pdf.get_string_width(self.text) + 1.5, self.size_pt * PT_MM * 1.3


def settle_paper_labels(
    pdf: FPDF,
    frame: Frame,
    labels: list[MapLabel],
    to_metres: Transformer,
    points_mm: np.ndarray,
    marker_mm: float,
) -> list[PaperLabel]:
    """Area names at the spot (of their candidates) the fewest numbers would cover."""
    placed = []
    x0, y0, w, h = frame.box
    for label in labels:
        size = LABEL_PT[label.part]
        item = PaperLabel(label.text, 0.0, 0.0, size, label.part)
        width, height = item.box_mm(pdf)
        best, best_count = None, None
        for lon, lat in ((label.lon, label.lat), *label.alternatives):
            mx, my = to_metres.transform(lon, lat)
            x, y = frame(mx, my)
            if not (x0 + width / 2 < x < x0 + w - width / 2 and y0 + height < y < y0 + h):
                continue
            if len(points_mm):
                dx = np.abs(points_mm[:, 0] - x) < (width + marker_mm) / 2
                dy = np.abs(points_mm[:, 1] - y) < (height + marker_mm) / 2
                count = int((dx & dy).sum())
            else:
                count = 0
            if best_count is None or count < best_count:
                best, best_count = (x, y), count
            if count == 0:
                break
        if best is not None:
            placed.append(PaperLabel(label.text, best[0], best[1], size, label.part))
    return placed


def draw_labels(pdf: FPDF, labels: list[PaperLabel]) -> None:
    """Names with a white halo, centred on their spot."""
    for label in labels:
        pdf.set_font(FONT_FAMILY, size=label.size_pt)
        width = pdf.get_string_width(label.text)
        x = label.x - width / 2
        y = label.y + label.size_pt * PT_MM * 0.35
        grey = {"neighbour": 105, "landmark": 70}.get(label.part, 20)
        with pdf.local_context(text_mode=TextMode.STROKE, line_width=0.9):
            pdf.set_draw_color(255, 255, 255)
            pdf.text(x, y, label.text)
        pdf.set_text_color(grey, grey, grey)
        pdf.text(x, y, label.text)
    pdf.set_text_color(0, 0, 0)


def label_obstacles(pdf: FPDF, labels: list[PaperLabel]) -> list[tuple[float, float, float]]:
    """The label boxes as discs (mm) the numbers keep clear of."""
    found = []
    for label in labels:
        if label.part == "landmark":
            continue
        width, height = label.box_mm(pdf)
        found += box_obstacle(label.x, label.y, width, height)
    return found


# ---------------------------------------------------------------- numbers


def number_diameter(pdf: FPDF, numbers: list[int], size_pt: float) -> float:
    """The disc diameter (mm) that holds the widest of ``numbers`` at ``size_pt``."""
    pdf.set_font(FONT_FAMILY, size=size_pt)
    widest = max((pdf.get_string_width(str(n)) for n in numbers), default=0.0)
    return max(NUMBER_MIN_MM * size_pt / 9.0, widest + 2 * NUMBER_PAD_MM)


def place_numbers(
    points_mm: np.ndarray, diameter: float, fixed: list[tuple[float, float, float]]
) -> np.ndarray:
    """Non-overlapping centres (mm) for the number discs at ``points_mm``."""
    if len(points_mm) == 0:
        return points_mm
    xs, ys = place_discs(points_mm[:, 0], points_mm[:, 1], diameter + NUMBER_GAP_MM, fixed=fixed)
    return np.column_stack([xs, ys])


def draw_numbers(
    pdf: FPDF,
    households: list[Any],
    true_mm: np.ndarray,
    placed_mm: np.ndarray,
    diameter: float,
    size_pt: float,
) -> None:
    """Leader lines and true-spot dots first, then the numbered discs on top."""
    for (tx, ty), (px, py) in zip(true_mm, placed_mm, strict=True):
        if abs(tx - px) + abs(ty - py) < 1e-6:
            continue
        length = float(np.hypot(px - tx, py - ty))
        ex, ey = px - (px - tx) * (diameter / 2) / length, py - (py - ty) * (diameter / 2) / length
        pdf.set_draw_color(40, 40, 40)
        pdf.set_line_width(0.25)
        pdf.line(tx, ty, ex, ey)
        pdf.set_fill_color(40, 40, 40)
        pdf.circle(tx, ty, 0.55, style="F")
    for household, (x, y) in zip(households, placed_mm, strict=True):
        number_disc(
            pdf, float(x), float(y), household.number, household.watcher_count, diameter, size_pt
        )


def number_disc(
    pdf: FPDF, x: float, y: float, number: int, watchers: int, diameter: float, size_pt: float
) -> None:
    """One household number: black digits on a pale disc with an orange ring (a thick red
    ring when nobody watches the household), legible when photocopied in black and white."""
    pdf.set_fill_color(255, 243, 230)
    if watchers == 0:
        pdf.set_draw_color(177, 0, 38)
        pdf.set_line_width(0.8)
    else:
        pdf.set_draw_color(217, 72, 1)
        pdf.set_line_width(0.4)
    pdf.circle(x, y, diameter / 2, style="DF")
    pdf.set_text_color(0, 0, 0)
    pdf.set_font(FONT_FAMILY, size=size_pt)
    text = str(number)
    pdf.text(x - pdf.get_string_width(text) / 2, y + size_pt * PT_MM * 0.36, text)
