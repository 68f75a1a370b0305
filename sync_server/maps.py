"""Maps of an indicator by area, drawn on the server from the GeoJSON boundaries a form
carries: SVG for the page, PNG (the same geometry, the same colours) for downloads.

Nothing is fetched from elsewhere: no tile server, no script, no web font. The areas are
projected with a plain equirectangular projection scaled by the cosine of the middle
latitude (fine for the size of a district or a country), then simplified to about half a
pixel, so that a boundaries file of a few megabytes makes a map of a few dozen kilobytes.

An area's value is matched to a feature by the feature's name as `collector.locations`
reads it (`feature_name`: its `name` or `id` property, else the feature's id), the name
`generalize:area` gives a location: one rule for both. Each area is one `<path>` with a
`<title>` saying its name, value, interval and n for screen readers. Areas whose cell is
suppressed are hatched with the lines the charts use for a suppressed bar and say
"suppressed" (never a colour or a number); areas without data are grey. The legend, a
sequential colour scale, is mirrored on right-to-left pages; the map itself is geography
and is never mirrored.
"""

from __future__ import annotations

import math
import threading
import xml.etree.ElementTree as ET
from collections import OrderedDict
from dataclasses import dataclass, field, replace

from collector import locations

from . import png_text
from .charts import (
    FONT_SIZE,
    MUTED,
    PAD,
    TEXT,
    TITLE_SIZE,
    Chart,
    Rect,
    Text,
    _attrs,
    _cell_words,
    _describe,
    _labels,
    _num,
    _short,
    default_format,
    group_label,
    hidden_note,
    png,
    render_svg,
)
from .indicators import COMPLEMENT, Result

__all__ = [
    "Boundaries",
    "LABELS",
    "SCALE",
    "areas_of",
    "map_features",
    "map_model",
    "map_png",
    "map_svg",
    "published_boundaries",
]

# A sequential scale, light (low) to dark (high): ColorBrewer's Blues, 5 classes.
SCALE = ("#deebf7", "#9ecae1", "#6baed6", "#3182bd", "#08519c")
NO_DATA, EDGE, PAPER = "#cbd5e0", "#4a5568", "#ffffff"
# Lines of a hatch are this far apart, as in the charts' suppressed bars.
HATCH_STEP = 5
# Points closer than this (pixels at scale 1) to the simplified line are dropped.
TOLERANCE = 0.5
MAX_MAP_HEIGHT = 440

# English defaults, besides the charts' words; pass translated ones as `labels`.
LABELS = {
    "cell_no_data": "%(group)s: no data",
    "not_on_map": "Not on the map (no such area in the boundaries file): %(areas)s",
}


# -- Where boundaries come from ----------------------------------------------------------


@dataclass(frozen=True)
class Boundaries:
    """One boundaries file of the current version of a published form."""

    form_id: str
    version: str
    file: str
    geojson: dict = field(compare=False, hash=False, repr=False)
    digest: str = ""  # the form definition's SHA-256: what a drawing is kept under

    @property
    def key(self) -> str:
        """How a page names it (?boundaries=form_id/file)."""
        return f"{self.form_id}/{self.file}"


def published_boundaries(store) -> list[Boundaries]:
    """The boundaries files carried by the current version of each published form."""
    from .data import newest_form

    found = []
    digests = {(row["form_id"], row["version"]): row["hash"] for row in store.published_forms()}
    for form_id in dict.fromkeys(form_id for form_id, _version in digests):
        form = newest_form(form_id, store)
        digest = digests.get((form_id, form.version), "")
        for file, geojson in sorted((form.data.get("boundaries") or {}).items()):
            found.append(Boundaries(form_id, str(form.version), file, geojson, digest))
    return found


# -- Areas: GeoJSON to polygons, malformed features left out -------------------------------


def areas_of(geojson) -> tuple[dict[str, list], int]:
    """(name → polygons, features left out) of a FeatureCollection. Polygons are lists of
    rings, the outer one first, of (lat, lon) points (locations.boundary_features). A
    feature that is not a named Polygon or MultiPolygon of points on the Earth is left out
    (publishing refuses such files; this keeps an older one from breaking the page);
    features of the same name are one area."""
    features = geojson.get("features") if isinstance(geojson, dict) else None
    areas: dict[str, list] = {}
    skipped = 0
    for feature in features if isinstance(features, list) else []:
        try:
            ((name, polygons),) = locations.boundary_features({"features": [feature]})
        except (AttributeError, IndexError, KeyError, TypeError, ValueError):
            name, polygons = "", []
        polygons = [p for p in polygons if p and all(len(ring) >= 3 for ring in p)]
        if not polygons or not name or not all(map(_on_earth, polygons)):
            skipped += 1
            continue
        areas.setdefault(name, []).extend(polygons)
    return areas, skipped


def _on_earth(rings: list) -> bool:
    return all(
        -90 <= lat <= 90 and -180 <= lon <= 180 for ring in rings for lat, lon in ring
    )  # NaN fails both comparisons; infinities the bounds


# -- Projection and simplification ------------------------------------------------------


@dataclass(frozen=True)
class Frame:
    """Where the areas are drawn: degrees to pixels, north up."""

    west: float
    north: float
    kx: float  # cos(middle latitude): a degree of longitude is this many of latitude
    scale: float  # pixels per degree of latitude
    left: float
    top: float

    def __call__(self, lat: float, lon: float) -> tuple[float, float]:
        x = self.left + (lon - self.west) * self.kx * self.scale
        y = self.top + (self.north - lat) * self.scale
        return round(x, 1), round(y, 1)


def frame_for(areas: dict[str, list], width: float, top: float) -> tuple[Frame, float]:
    """The frame fitting every area into `width` (and MAX_MAP_HEIGHT), and its height."""
    points = [p for polygons in areas.values() for rings in polygons for p in rings[0]]
    south, north = min(p[0] for p in points), max(p[0] for p in points)
    west, east = min(p[1] for p in points), max(p[1] for p in points)
    kx = math.cos(math.radians((north + south) / 2))
    span_x, span_y = max((east - west) * kx, 1e-9), max(north - south, 1e-9)
    inner = width - 2 * PAD
    scale = min(inner / span_x, MAX_MAP_HEIGHT / span_y)
    left = PAD + (inner - span_x * scale) / 2
    return Frame(west, north, kx, scale, left, top), span_y * scale


def simplify(points: list, tolerance: float = TOLERANCE) -> list:
    """Douglas-Peucker: the points that keep the line within `tolerance` of itself."""
    if len(points) < 4:
        return points
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        far, index = _farthest(points, first, last)
        if far > tolerance:
            keep[index] = True
            stack += [(first, index), (index, last)]
    return [point for point, kept in zip(points, keep, strict=True) if kept]


def _farthest(points: list, first: int, last: int) -> tuple[float, int]:
    """The point between `first` and `last` farthest from the line through them."""
    (ax, ay), (bx, by) = points[first], points[last]
    dx, dy = bx - ax, by - ay
    length = math.hypot(dx, dy)
    far, index = -1.0, first
    for i in range(first + 1, last):
        px, py = points[i]
        if length:
            distance = abs(dy * (px - ax) - dx * (py - ay)) / length
        else:  # a closed ring: its ends are one point
            distance = math.hypot(px - ax, py - ay)
        if distance > far:
            far, index = distance, i
    return far, index


def _ring_pixels(ring: list, frame: Frame) -> list | None:
    """A ring in pixels (to 0.1), simplified; None when nothing is left of it at this size.
    Points within the tolerance of the last one kept are dropped first: a cheap pass that
    leaves Douglas-Peucker far fewer points on a detailed file."""
    west, north, top, left = frame.west, frame.north, frame.top, frame.left
    sx, sy = frame.kx * frame.scale, frame.scale
    pixels: list[tuple[float, float]] = []
    last_x = last_y = math.inf
    for lat, lon in ring:
        x, y = left + (lon - west) * sx, top + (north - lat) * sy
        if abs(x - last_x) > TOLERANCE or abs(y - last_y) > TOLERANCE:
            pixels.append((x, y))
            last_x, last_y = x, y
    if len(pixels) > 3:
        pixels = simplify(pixels + [pixels[0]])[:-1]
    rounded: list[tuple[float, float]] = []
    for x, y in pixels:
        point = (round(x, 1), round(y, 1))
        if not rounded or point != rounded[-1]:
            rounded.append(point)
    if len(rounded) > 1 and rounded[0] == rounded[-1]:
        rounded.pop()
    return rounded if len(rounded) >= 3 else None


def project(areas: dict[str, list], frame: Frame) -> dict[str, list]:
    """Each area as pixel polygons (lists of rings); an area too small to keep a ring at
    this size keeps its outer rings as they are, so that it is still drawn."""
    drawn = {}
    for name, polygons in areas.items():
        shapes = []
        for rings in polygons:
            outer = _ring_pixels(rings[0], frame)
            if outer is not None:
                holes = [_ring_pixels(hole, frame) for hole in rings[1:]]
                shapes.append([outer] + [hole for hole in holes if hole is not None])
        if not shapes:
            shapes = [[[frame(lat, lon) for lat, lon in rings[0][:-1]]] for rings in polygons]
        drawn[name] = shapes
    return drawn


# Projected areas by (form definition's digest, file, size): a published version never
# changes, and the digest tells two servers' versions of the same name apart.
_PROJECTED: OrderedDict = OrderedDict()
_PROJECTED_LOCK = threading.Lock()


def projected(boundaries: Boundaries | None, geojson, width: float, top: float):
    """(pixel polygons by name, map height, features left out), kept for the next view."""
    key = (
        (boundaries.digest, boundaries.file, width, top)
        if boundaries and boundaries.digest
        else None
    )
    with _PROJECTED_LOCK:
        if key in _PROJECTED:
            _PROJECTED.move_to_end(key)
            return _PROJECTED[key]
    areas, skipped = areas_of(geojson)
    if areas:
        frame, height = frame_for(areas, width, top)
        found = (project(areas, frame), height, skipped)
    else:
        found = ({}, 0.0, skipped)
    if key is not None:
        with _PROJECTED_LOCK:
            _PROJECTED[key] = found
            while len(_PROJECTED) > 16:
                _PROJECTED.popitem(last=False)
    return found


# -- Shapes drawn on the map -------------------------------------------------------------


def _path_data(polygons: list) -> str:
    return "".join(
        "M" + " ".join(f"{_num(x)} {_num(y)}" for x, y in ring) + "Z"
        for rings in polygons
        for ring in rings
    )


@dataclass
class Area:
    """One area: its polygons (rings in pixels, outer first) filled, with a title."""

    name: str
    polygons: list
    fill: str
    title: str
    cls: str = "area"

    def mirrored(self, width):
        return self  # geography reads the same way in every language

    def svg(self, parent, rtl):
        path = ET.SubElement(
            parent,
            "path",
            _attrs(
                d=_path_data(self.polygons),
                fill=self.fill,
                stroke=EDGE,
                **{"stroke-width": "0.75", "fill-rule": "evenodd", "class": self.cls},
            ),
        )
        ET.SubElement(path, "title").text = self.title

    def png(self, draw, s, fonts):
        from PIL import Image, ImageDraw

        xs = [x for rings in self.polygons for x, _ in rings[0]]
        ys = [y for rings in self.polygons for _, y in rings[0]]
        left, top = math.floor(min(xs) * s), math.floor(min(ys) * s)
        size = (math.ceil(max(xs) * s) - left + 2, math.ceil(max(ys) * s) - top + 2)
        mask = Image.new("L", size, 0)
        pen = ImageDraw.Draw(mask)
        for rings in self.polygons:  # holes cut after their outer ring: even-odd as in SVG
            for number, ring in enumerate(rings):
                points = [(x * s - left, y * s - top) for x, y in ring]
                pen.polygon(points, fill=255 if number == 0 else 0)
        draw.bitmap((left, top), mask, fill=self.fill)
        for rings in self.polygons:
            for ring in rings:
                points = [(x * s, y * s) for x, y in ring + [ring[0]]]
                draw.line(points, fill=EDGE, width=max(1, round(0.75 * s)))


@dataclass
class Hatch:
    """The diagonal lines of a suppressed area, cut to its shape."""

    segments: list
    cls: str = "hatch"

    def mirrored(self, width):
        return self

    def svg(self, parent, rtl):
        data = "".join(
            f"M{_num(x1)} {_num(y1)}L{_num(x2)} {_num(y2)}" for (x1, y1), (x2, y2) in self.segments
        )
        ET.SubElement(
            parent,
            "path",
            _attrs(d=data, fill="none", stroke=MUTED, **{"stroke-width": "1", "class": self.cls}),
        )

    def png(self, draw, s, fonts):
        for (x1, y1), (x2, y2) in self.segments:
            draw.line([x1 * s, y1 * s, x2 * s, y2 * s], fill=MUTED, width=max(1, round(s)))


@dataclass
class AreaLabel(Text):
    """An area's name written on it, with a white halo so that it reads on any colour."""

    def mirrored(self, width):
        return self  # it stays on its area

    def svg(self, parent, rtl):
        super().svg(parent, rtl)
        parent[-1].attrib.update(
            {
                "stroke": PAPER,
                "stroke-width": "3",
                "stroke-linejoin": "round",
                "paint-order": "stroke",
            }
        )

    def png(self, draw, s, fonts):
        draw.text(
            (self.x * s, self.y * s),
            png_text.display(self.text),
            fill=self.fill,
            font=fonts(round(self.size * s), self.bold),
            anchor="ms",
            stroke_width=max(1, round(1.5 * s)),
            stroke_fill=PAPER,
        )


def label_point(polygons: list) -> tuple[float, float, float, float] | None:
    """Where to write an area's name: (x, y, width, height) of its largest outer ring,
    at the ring's centroid if that is inside it, else the middle of the widest stretch
    of the ring on the centroid's line; None for a ring with no area."""
    ring = max((rings[0] for rings in polygons), key=lambda r: abs(_shoelace(r)))
    double = _shoelace(ring)
    if not double:
        return None
    cx = cy = 0.0
    for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1], strict=True):
        cross = x1 * y2 - x2 * y1
        cx, cy = cx + (x1 + x2) * cross, cy + (y1 + y2) * cross
    cx, cy = cx / (3 * double), cy / (3 * double)
    xs, ys = [x for x, _ in ring], [y for _, y in ring]
    if not locations.point_in_polygon((cy, cx), [(y, x) for x, y in ring]):
        edges = list(zip(ring, ring[1:] + ring[:1], strict=True))
        crossings = sorted(
            a[0] + (b[0] - a[0]) * (cy - a[1]) / (b[1] - a[1])
            for a, b in edges
            if (a[1] > cy) != (b[1] > cy)
        )
        spans = list(zip(crossings[::2], crossings[1::2], strict=False))
        if spans:
            left, right = max(spans, key=lambda span: span[1] - span[0])
            cx = (left + right) / 2
    return cx, cy, max(xs) - min(xs), max(ys) - min(ys)


def _shoelace(ring: list) -> float:
    """Twice the ring's signed area."""
    return sum(
        x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1], strict=True)
    )


def _name_label(name: str, polygons: list) -> list:
    """The area's name on it, when it fits."""
    found = label_point(polygons)
    if found is None:
        return []
    x, y, width, height = found
    if width < len(name) * 7 + 6 or height < FONT_SIZE + 6:
        return []
    return [AreaLabel(x, y + FONT_SIZE / 2 - 2, name, "middle", 11, TEXT, cls="area-name")]


@dataclass
class HatchBox:
    """A legend's hatched box: moves with the legend on a right-to-left page, but its
    lines keep the map's direction, so that it looks like the areas it explains."""

    x: float
    y: float
    w: float
    h: float

    def mirrored(self, width):
        return replace(self, x=width - self.x - self.w)

    def shapes(self) -> list:
        x, y, w, h = self.x, self.y, self.w, self.h
        corners = [(x, y), (x + w, y), (x + w, y + h), (x, y + h)]
        box = Rect(x, y, w, h, None, MUTED, "legend suppressed")
        return [box, Hatch(hatch_segments([[corners]]), "legend suppressed")]

    def svg(self, parent, rtl):
        for shape in self.shapes():
            shape.svg(parent, rtl)

    def png(self, draw, s, fonts):
        for shape in self.shapes():
            shape.png(draw, s, fonts)


def hatch_segments(polygons: list, step: float = HATCH_STEP) -> list:
    """Lines rising to the right (x + y constant, `step` apart, as the charts hatch a
    suppressed bar), kept where they are inside the polygons (even-odd)."""
    edges = [
        (ring[i - 1], ring[i]) for rings in polygons for ring in rings for i in range(len(ring))
    ]
    sums = [x + y for (x, y), _ in edges]
    segments = []
    c = math.ceil(min(sums) / step) * step
    while c < max(sums):
        crossings = sorted(
            _crossing(a, b, c) for a, b in edges if (a[0] + a[1] > c) != (b[0] + b[1] > c)
        )
        for x1, x2 in zip(crossings[::2], crossings[1::2], strict=False):
            if x2 - x1 > 0.2:
                segments.append(((x1, c - x1), (x2, c - x2)))
        c += step
    return segments


def _crossing(a, b, c: float) -> float:
    """The x where the edge from a to b meets the line x + y = c."""
    fa, fb = a[0] + a[1] - c, b[0] + b[1] - c
    return a[0] + (b[0] - a[0]) * fa / (fa - fb)


# -- Colours -----------------------------------------------------------------------------


def class_edges(values: list[float], bottom: float | None = 0.0, top: float | None = None):
    """Six round edges of five equal classes holding every value; kept within the
    indicator's own scale (`bottom`, `top`) where it has one."""
    low, high = min(values), max(values)
    raw = max(high - low, abs(high) * 0.1, 1e-9) / len(SCALE)
    magnitude = 10 ** math.floor(math.log10(raw))
    for step in (magnitude * f for f in (1, 2, 2.5, 5, 10, 20, 25, 50, 100)):
        start = math.floor(low / step) * step
        if bottom is not None and low >= bottom:
            start = max(start, bottom)
        if top is not None and start + step * len(SCALE) > top and high <= top:
            start = max(bottom if bottom is not None else start, top - step * len(SCALE))
        if start <= low and start + step * len(SCALE) >= high:
            return [start + step * i for i in range(len(SCALE) + 1)]
    return [low + (high - low) * i / len(SCALE) for i in range(len(SCALE) + 1)]


def colour_of(value: float, edges: list[float]) -> str:
    step = edges[1] - edges[0]
    index = int((value - edges[0]) / step) if step > 0 else 0
    return SCALE[min(max(index, 0), len(SCALE) - 1)]


# -- The map -----------------------------------------------------------------------------


def map_model(
    result: Result,
    geojson,
    title,
    labels: dict | None = None,
    *,
    boundaries: Boundaries | None = None,
    group_labels: dict | None = None,
    number_format=None,
    rtl: bool = False,
    width: int = 640,
    chart_id: str | None = None,
) -> Chart:
    """The areas coloured by the cells of `result` (a breakdown by area), with a legend."""
    labels = {**LABELS, **_labels(labels)}
    fmt = number_format or default_format(result)
    top = 2 * PAD + TITLE_SIZE
    drawn, height, _skipped = projected(boundaries, geojson, width, top)
    cells = {cell.group: cell for cell in result.cells if cell.group is not None}
    values = {
        name: cell.estimate
        for name, cell in cells.items()
        if name in drawn and not cell.suppressed and cell.estimate is not None
    }
    edges = class_edges(list(values.values()), 0.0, result.scale_max) if values else None
    frame: list = [Text(PAD, PAD + TITLE_SIZE, _short(str(title), 80), size=TITLE_SIZE, bold=True)]
    areas: list = []
    hatches: list = []
    names: list = []
    for name, polygons in drawn.items():
        cell = cells.get(name)
        names += _name_label(group_label(result, name, labels, group_labels), polygons)
        words = (
            _cell_words(result, cell, labels, fmt, group_labels)
            if cell is not None
            else labels["cell_no_data"] % {"group": group_label(result, name, labels, group_labels)}
        )
        if cell is None:
            areas.append(Area(name, polygons, NO_DATA, words, "area no-data"))
        elif cell.suppressed:
            areas.append(Area(name, polygons, PAPER, words, "area suppressed"))
            hatches.append(Hatch(hatch_segments(polygons)))
        elif name in values and edges is not None:
            areas.append(Area(name, polygons, colour_of(values[name], edges), words))
        else:  # shown, with no value to colour
            areas.append(Area(name, polygons, NO_DATA, words, "area no-data"))
    legend, bottom = _legend(result, cells, drawn, edges, labels, fmt, group_labels, top + height)
    chart = Chart(
        width,
        int(bottom + PAD),
        str(title),
        _describe(result, title, labels, fmt, group_labels),
        _map_id(result, chart_id),
        frame + areas + hatches + names + legend,
    )
    return chart.mirrored() if rtl else chart


def map_features(geojson, properties_of) -> dict:
    """A FeatureCollection of the areas of `geojson` as `areas_of` reads them (the areas the
    drawn map shows, not simplified), each with `properties_of(name)` beside its name, or
    `no_data` where that is None."""
    areas, _skipped = areas_of(geojson)
    features = []
    for name, polygons in areas.items():
        rings = [[[[lon, lat] for lat, lon in ring] for ring in polygon] for polygon in polygons]
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "MultiPolygon", "coordinates": rings},
                "properties": {"area": name, **(properties_of(name) or {"no_data": True})},
            }
        )
    return {"type": "FeatureCollection", "features": features}


def _map_id(result: Result, chart_id: str | None) -> str:
    raw = chart_id or f"map-{result.indicator}"
    return "".join(ch if ch.isascii() and (ch.isalnum() or ch in "-_") else "-" for ch in raw)


def _legend(result, cells, drawn, edges, labels, fmt, group_labels, y: float):
    """The colour scale, then a swatch for each kind of area shown without a colour, then
    the groups that are not on the map; (shapes, the y below them)."""
    shapes: list = []
    y += PAD
    if edges is not None:
        swatch, x0 = 48, PAD + 20  # room for the first edge's number, centred under it
        for index, colour in enumerate(SCALE):
            shapes.append(Rect(x0 + index * swatch, y, swatch, 12, colour, EDGE, "legend-scale"))
        for index, edge in enumerate(edges):
            shapes.append(
                Text(x0 + index * swatch, y + 14 + FONT_SIZE, fmt(edge), "middle", 11, TEXT)
            )
        y += 14 + FONT_SIZE + PAD
    marks = []
    if any(name not in cells for name in drawn):
        marks.append((labels["no_data"], False))
    hidden = [cells[name] for name in drawn if name in cells and cells[name].suppressed]
    hidden.sort(key=lambda cell: cell.reason == COMPLEMENT)
    for note in dict.fromkeys(hidden_note(cell, result, labels) for cell in hidden):
        marks.append((note, True))
    for note, hatched in marks:
        box = [
            HatchBox(PAD, y, 16, 12)
            if hatched
            else Rect(PAD, y, 16, 12, NO_DATA, EDGE, "legend no-data")
        ]
        shapes += box + [Text(PAD + 22, y + 11, note, size=11, fill=TEXT)]
        y += 18
    missing = [
        group_label(result, cell.group, labels, group_labels)
        for cell in result.cells
        if cell.group is not None and cell.group not in drawn
    ]
    if missing:
        note = labels["not_on_map"] % {"areas": ", ".join(missing)}
        shapes.append(Text(PAD, y + 11, _short(note, 100), size=11, fill=MUTED))
        y += 18
    return shapes, y


def map_svg(result: Result, geojson, title, labels: dict | None = None, **options) -> str:
    """The map as inline SVG (options: boundaries, group_labels, number_format, rtl, width,
    chart_id)."""
    return render_svg(map_model(result, geojson, title, labels, **options))


def map_png(
    result: Result, geojson, title, labels: dict | None = None, scale: float = 1.0, **options
) -> bytes:
    """The map as PNG, drawn from the same shapes and colours as the SVG."""
    return png(map_model(result, geojson, title, labels, **options), scale)
