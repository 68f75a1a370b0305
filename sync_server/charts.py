"""Charts and tables of indicator results: SVG for pages, PNG and CSV for downloads.

A chart is first laid out as a `Chart` (a list of shapes in pixel coordinates); the SVG
and the PNG are two drawings of that one geometry, so they always agree. The SVG is the
reference: it carries the text alternative and renders any script the browser has fonts
for. The PNG writes with the server's own font, Arabic shaped and right to left
(sync_server.png_text): Latin and Arabic letters; other scripts are not in that font.

The SVG works under a Content-Security-Policy without 'unsafe-inline': no `style`
attribute or element, no script, no event handler, nothing loaded from elsewhere; every
colour is a presentation attribute. Text goes through ElementTree, which escapes it.
Suppressed cells are drawn as hatched boxes with words, never as a zero-length bar; the words
say whether a cell is small or hidden to protect a small one (a complement).
"""

from __future__ import annotations

import csv
import io
import math
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field, replace

from . import png_text
from .indicators import COMPLEMENT, COUNT, NOT_STATED, SHARE, Result

__all__ = [
    "LABELS",
    "Chart",
    "bar_chart_model",
    "bar_chart_png",
    "bar_chart_svg",
    "gap_chart_model",
    "gap_chart_png",
    "gap_chart_svg",
    "gaps_csv",
    "png",
    "render_svg",
    "table_rows",
    "to_csv",
    "trend_chart_model",
    "trend_chart_svg",
]

# English defaults; pass translated ones (python-format placeholders kept) as `labels`.
LABELS = {
    "suppressed": "suppressed (n < %(k)s)",
    "overall": "All",
    "no_data": "No data",
    "cell": "%(group)s: %(value)s (95%% CI %(low)s to %(high)s; n = %(n)s)",
    "cell_no_ci": "%(group)s: %(value)s (n = %(n)s)",
    "cell_suppressed": "%(group)s: suppressed (n < %(k)s)",
    "complement": "hidden to protect a small group",
    "cell_complement": "%(group)s: hidden to protect a small group",
    "not_stated": "Not stated",
    "whiskers": "Lines show the confidence intervals (95%).",
    "band": "The shaded band shows the confidence interval (95%).",
    "gap": "%(group)s: %(value)s (95%% CI %(low)s to %(high)s)",
    "gap_significant": "%(group)s: %(value)s (95%% CI %(low)s to %(high)s), significant",
    "gap_too_few": "%(group)s: too few respondents to compare",
    "too_few": "too few respondents to compare",
    "gap_legend": "Filled dots: significant after correcting for several comparisons.",
}

BAR, WHISKER, TEXT = "#2b6cb0", "#1a202c", "#1a202c"
MUTED, GRID, BAND = "#4a5568", "#cbd5e0", "#90cdf4"
PAD, ROW, BAR_HEIGHT, TITLE_SIZE, FONT_SIZE = 12, 30, 16, 15, 12
SVG_NS = "http://www.w3.org/2000/svg"


# -- Shapes: one geometry, drawn as SVG or PNG -------------------------------------------


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _rgba(colour: str, opacity: float = 1.0):
    colour = colour.lstrip("#")
    return tuple(int(colour[i : i + 2], 16) for i in (0, 2, 4)) + (round(255 * opacity),)


@dataclass
class Rect:
    x: float
    y: float
    w: float
    h: float
    fill: str | None = None
    stroke: str | None = None
    cls: str | None = None

    def mirrored(self, width):
        return replace(self, x=width - self.x - self.w)

    def svg(self, parent, rtl):
        ET.SubElement(
            parent,
            "rect",
            _attrs(
                x=_num(self.x),
                y=_num(self.y),
                width=_num(self.w),
                height=_num(self.h),
                fill=self.fill or "none",
                stroke=self.stroke,
                **{"class": self.cls},
            ),
        )

    def png(self, draw, s, fonts):
        draw.rectangle(
            [self.x * s, self.y * s, (self.x + self.w) * s, (self.y + self.h) * s],
            fill=self.fill,
            outline=self.stroke,
            width=max(1, round(s)),
        )


@dataclass
class Line:
    x1: float
    y1: float
    x2: float
    y2: float
    stroke: str = WHISKER
    width: float = 1.0
    cls: str | None = None

    def mirrored(self, width):
        return replace(self, x1=width - self.x1, x2=width - self.x2)

    def svg(self, parent, rtl):
        ET.SubElement(
            parent,
            "line",
            _attrs(
                x1=_num(self.x1),
                y1=_num(self.y1),
                x2=_num(self.x2),
                y2=_num(self.y2),
                stroke=self.stroke,
                **{"stroke-width": _num(self.width), "class": self.cls},
            ),
        )

    def png(self, draw, s, fonts):
        draw.line(
            [self.x1 * s, self.y1 * s, self.x2 * s, self.y2 * s],
            fill=self.stroke,
            width=max(1, round(self.width * s)),
        )


@dataclass
class Poly:
    points: list
    stroke: str | None = None
    fill: str | None = None
    opacity: float = 1.0
    cls: str | None = None

    def mirrored(self, width):
        return replace(self, points=[(width - x, y) for x, y in self.points])

    def svg(self, parent, rtl):
        points = " ".join(f"{_num(x)},{_num(y)}" for x, y in self.points)
        tag = "polygon" if self.fill else "polyline"
        extra = {
            "fill-opacity": _num(self.opacity) if self.fill else None,
            "stroke-width": "2" if self.stroke else None,
            "class": self.cls,
        }
        ET.SubElement(
            parent,
            tag,
            _attrs(points=points, fill=self.fill or "none", stroke=self.stroke, **extra),
        )

    def png(self, draw, s, fonts):
        points = [(x * s, y * s) for x, y in self.points]
        if self.fill:
            draw.polygon(points, fill=_rgba(self.fill, self.opacity))
        elif len(points) > 1:
            draw.line(points, fill=self.stroke, width=max(1, round(2 * s)), joint="curve")


@dataclass
class Dot:
    cx: float
    cy: float
    r: float
    fill: str = BAR
    cls: str | None = None

    def mirrored(self, width):
        return replace(self, cx=width - self.cx)

    def svg(self, parent, rtl):
        ET.SubElement(
            parent,
            "circle",
            _attrs(
                cx=_num(self.cx),
                cy=_num(self.cy),
                r=_num(self.r),
                fill=self.fill,
                **{"class": self.cls},
            ),
        )

    def png(self, draw, s, fonts):
        r = self.r * s
        draw.ellipse(
            [self.cx * s - r, self.cy * s - r, self.cx * s + r, self.cy * s + r], fill=self.fill
        )


@dataclass
class Text:
    """Text at a baseline point; `align` is where the point is: left, right or middle."""

    x: float
    y: float
    text: str
    align: str = "left"
    size: int = FONT_SIZE
    fill: str = TEXT
    bold: bool = False
    cls: str | None = None

    def mirrored(self, width):
        flipped = {"left": "right", "right": "left"}.get(self.align, self.align)
        return replace(self, x=width - self.x, align=flipped)

    def svg(self, parent, rtl):
        # In right-to-left text the start of a line is its right end.
        anchors = {
            "left": "end" if rtl else "start",
            "right": "start" if rtl else "end",
            "middle": "middle",
        }
        element = ET.SubElement(
            parent,
            "text",
            _attrs(
                x=_num(self.x),
                y=_num(self.y),
                fill=self.fill,
                **{
                    "text-anchor": anchors[self.align],
                    "font-size": str(self.size),
                    "font-weight": "bold" if self.bold else None,
                    "class": self.cls,
                },
            ),
        )
        element.text = self.text

    def png(self, draw, s, fonts):
        anchor = {"left": "ls", "right": "rs", "middle": "ms"}[self.align]
        draw.text(
            (self.x * s, self.y * s),
            png_text.display(self.text),
            fill=self.fill,
            font=fonts(round(self.size * s), self.bold),
            anchor=anchor,
        )


# What a chart is made of: each shape mirrors itself and draws itself as SVG or PNG.
Shape = Rect | Line | Poly | Dot | Text


def _attrs(**values) -> dict:
    return {key: str(value) for key, value in values.items() if value is not None}


@dataclass
class Chart:
    """A laid-out chart: size, text alternative and shapes, ready for SVG or PNG."""

    width: int
    height: int
    title: str
    desc: str
    chart_id: str
    shapes: list = field(default_factory=list)
    rtl: bool = False

    def mirrored(self) -> Chart:
        """The same chart for a right-to-left page: bars grow from the right."""
        return replace(self, shapes=[s.mirrored(self.width) for s in self.shapes], rtl=True)


def render_svg(chart: Chart) -> str:
    """The chart as an inline SVG element with a title and a description for screen readers."""
    title_id, desc_id = f"{chart.chart_id}-title", f"{chart.chart_id}-desc"
    root = ET.Element(
        "svg",
        _attrs(
            xmlns=SVG_NS,
            width=chart.width,
            height=chart.height,
            viewBox=f"0 0 {chart.width} {chart.height}",
            role="img",
            direction="rtl" if chart.rtl else None,
            **{"aria-labelledby": f"{title_id} {desc_id}", "font-family": "sans-serif"},
        ),
    )
    ET.SubElement(root, "title", id=title_id).text = chart.title
    ET.SubElement(root, "desc", id=desc_id).text = chart.desc
    for shape in chart.shapes:
        shape.svg(root, chart.rtl)
    return ET.tostring(root, encoding="unicode")


def png(chart: Chart, scale: float = 1.0) -> bytes:
    """The chart as PNG bytes, (width × scale) by (height × scale) pixels, drawn with Pillow
    in the server's own font (sync_server.png_text)."""
    from PIL import Image, ImageDraw

    size = (round(chart.width * scale), round(chart.height * scale))
    image = Image.new("RGB", size, "white")
    draw = ImageDraw.Draw(image, "RGBA")
    for shape in chart.shapes:
        shape.png(draw, scale, png_text.font)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


# -- Words and numbers -------------------------------------------------------------------


def _labels(labels: dict | None) -> dict:
    return {**LABELS, **{key: str(value) for key, value in (labels or {}).items()}}


def default_format(result: Result):
    """One decimal for means and shares (with %), whole numbers for counts."""
    if result.kind == COUNT:
        return lambda value: f"{value:.0f}"
    if result.kind == SHARE:
        return lambda value: f"{value:.1f}%"
    return lambda value: f"{value:.1f}"


def group_label(result: Result, group, labels: dict, group_labels: dict | None = None) -> str:
    if group is None:
        return labels["overall"]
    names = {NOT_STATED: labels["not_stated"], **result.group_labels, **(group_labels or {})}
    return str(names.get(group, group))


def hidden_note(cell, result: Result, labels: dict) -> str:
    """Why a hidden cell shows no number: small, or hidden to protect a small one."""
    if cell.reason == COMPLEMENT:
        return labels["complement"]
    return labels["suppressed"] % {"k": result.k}


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _describe(result: Result, title: str, labels: dict, fmt, group_labels) -> str:
    """The text alternative: the title, then every cell's value, interval and n, in words."""
    parts = [str(title)] + [
        _cell_words(result, cell, labels, fmt, group_labels) for cell in result.cells
    ]
    if not result.cells:
        parts.append(labels["no_data"])
    return " ".join(part if part.endswith(".") else part + "." for part in parts)


def _cell_words(result: Result, cell, labels: dict, fmt, group_labels) -> str:
    """One cell in words: its value, interval and n, or why it is hidden."""
    group = group_label(result, cell.group, labels, group_labels)
    if cell.suppressed and cell.reason == COMPLEMENT:
        return labels["cell_complement"] % {"group": group}
    if cell.suppressed:
        return labels["cell_suppressed"] % {"group": group, "k": result.k}
    if cell.ci_low is None:
        return labels["cell_no_ci"] % {"group": group, "value": fmt(cell.estimate), "n": cell.n}
    return labels["cell"] % {
        "group": group,
        "value": fmt(cell.estimate),
        "low": fmt(cell.ci_low),
        "high": fmt(cell.ci_high),
        "n": cell.n,
    }


def _chart_id(result: Result, chart_id: str | None) -> str:
    raw = chart_id or f"chart-{result.indicator}-{result.by or 'all'}"
    return re.sub(r"[^A-Za-z0-9_-]", "-", raw)


def _axis_max(result: Result) -> float:
    """The scale's top: the indicator's own (100, 10) or a round number above the counts."""
    if result.scale_max:
        return float(result.scale_max)
    values = [v for c in result.cells for v in (c.estimate, c.ci_high) if v is not None]
    return _nice_ticks(max(values, default=1.0))[-1]


def _nice_ticks(top: float) -> list[float]:
    """0 to a round number at or above `top`, in 1, 2, 2.5 or 5 × 10^n steps (at most 6)."""
    magnitude = 10 ** math.floor(math.log10(top / 5)) if top > 5 else 1
    for step in (magnitude * f for f in (1, 2, 2.5, 5, 10)):
        if top / step <= 5:
            break
    count = math.ceil(top / step - 1e-9)
    return [step * i for i in range(count + 1)]


def _hatch(x: float, y: float, w: float, h: float, cls: str) -> list:
    """A box with diagonal hatching: what a suppressed value looks like."""
    lines: list[Shape] = [Rect(x, y, w, h, None, MUTED, cls)]
    for d in range(-int(h), int(w), 5):
        t0, t1 = max(0, -d), min(h, w - d)
        if t0 < t1:
            lines.append(Line(x + d + t0, y + h - t0, x + d + t1, y + h - t1, MUTED, 1, cls))
    return lines


# -- Bar chart ---------------------------------------------------------------------------


def bar_chart_model(
    result: Result,
    title,
    labels: dict | None = None,
    *,
    group_labels: dict | None = None,
    number_format=None,
    rtl: bool = False,
    width: int = 640,
    chart_id: str | None = None,
) -> Chart:
    """Horizontal bars, one per cell, with 95% CI whiskers and the value written out."""
    labels, fmt = _labels(labels), number_format or default_format(result)
    label_width = min(width * 0.35, 200)
    x0, x1 = PAD + label_width, width - PAD - 70
    top = _axis_max(result)
    scale = lambda v: x0 + (x1 - x0) * min(max(v, 0.0), top) / top  # noqa: E731
    y = 2 * PAD + TITLE_SIZE
    shapes = [Text(PAD, PAD + TITLE_SIZE, _short(str(title), 80), size=TITLE_SIZE, bold=True)]
    for cell in result.cells:
        name = group_label(result, cell.group, labels, group_labels)
        shapes.append(Text(x0 - 8, y + ROW / 2 + 4, _short(name, int(label_width / 7)), "right"))
        shapes += _bar(
            cell, y + (ROW - BAR_HEIGHT) / 2, x0, scale, fmt, hidden_note(cell, result, labels)
        )
        y += ROW
    if not result.cells:
        shapes.append(Text(x0, y + ROW / 2 + 4, labels["no_data"], fill=MUTED))
        y += ROW
    shapes += _bar_axis(x0, 2 * PAD + TITLE_SIZE, y, scale, top)
    height = y + 2 * PAD + FONT_SIZE
    if any(cell.ci_low is not None for cell in result.cells):
        shapes.append(Text(PAD, height, labels["whiskers"], size=11, fill=MUTED))
        height += PAD + FONT_SIZE
    chart = Chart(
        width,
        int(height),
        str(title),
        _describe(result, title, labels, fmt, group_labels),
        _chart_id(result, chart_id),
        shapes,
    )
    return chart.mirrored() if rtl else chart


def _bar(cell, y: float, x0: float, scale, fmt, note: str) -> list:
    """The shapes of one cell: bar, whisker and value, or a hatched box that says why not."""
    if cell.suppressed:
        return _hatch(x0, y, 28, BAR_HEIGHT, "bar suppressed") + [
            Text(x0 + 36, y + BAR_HEIGHT - 4, note, fill=MUTED, cls="suppressed-label")
        ]
    end = scale(cell.estimate)
    shapes: list[Shape] = [Rect(x0, y, max(end - x0, 1), BAR_HEIGHT, BAR, None, "bar")]
    middle, reach = y + BAR_HEIGHT / 2, end
    if cell.ci_low is not None:
        low, high = scale(cell.ci_low), scale(cell.ci_high)
        shapes += [
            Line(low, middle, high, middle, WHISKER, 1.5, "whisker"),
            Line(low, middle - 5, low, middle + 5, WHISKER, 1.5, "whisker"),
            Line(high, middle - 5, high, middle + 5, WHISKER, 1.5, "whisker"),
        ]
        reach = max(end, high)
    shapes.append(Text(reach + 6, y + BAR_HEIGHT - 3, fmt(cell.estimate), cls="value"))
    return shapes


def _bar_axis(x0: float, y_top: float, y_bottom: float, scale, top: float) -> list:
    shapes: list[Shape] = [Line(x0, y_top, x0, y_bottom, MUTED, 1)]
    for tick in _ticks(top):
        x = scale(tick)
        shapes += [
            Line(x, y_bottom, x, y_bottom + 4, MUTED, 1),
            Text(x, y_bottom + 4 + FONT_SIZE, _num(tick), "middle", 11, MUTED),
        ]
    return shapes


def _ticks(top: float) -> list[float]:
    if top == 100:
        return [0, 25, 50, 75, 100]
    if top == 10:
        return [0, 2, 4, 6, 8, 10]
    return _nice_ticks(top)


def bar_chart_svg(result: Result, title, labels: dict | None = None, **options) -> str:
    """The bar chart as inline SVG (options: group_labels, number_format, rtl, width, chart_id)."""
    return render_svg(bar_chart_model(result, title, labels, **options))


def bar_chart_png(
    result: Result, title, labels: dict | None = None, scale: float = 1.0, **options
) -> bytes:
    return png(bar_chart_model(result, title, labels, **options), scale)


# -- Gap chart ---------------------------------------------------------------------------


def gap_chart_model(
    gaps,
    title,
    labels: dict | None = None,
    *,
    group_labels: dict | None = None,
    number_format=None,
    rtl: bool = False,
    width: int = 640,
    chart_id: str | None = None,
) -> Chart:
    """Each group's difference from the rest (or the reference group): a dot on a scale
    centred on zero, with its 95% interval; filled where the gap is significant after the
    correction for several comparisons, hollow where it may come from sampling alone."""
    result = gaps.result
    labels, fmt = _labels(labels), number_format or _signed(default_format(result))
    label_width = min(width * 0.35, 200)
    x0, x1 = PAD + label_width, width - PAD - 70
    reach = _nice_ticks(
        max(
            [
                abs(v)
                for c in gaps.comparisons
                for v in (c.ci_low, c.ci_high, c.difference)
                if v is not None
            ],
            default=1.0,
        )
        or 1.0
    )[-1]
    scale = lambda v: x0 + (x1 - x0) * (min(max(v, -reach), reach) + reach) / (2 * reach)  # noqa: E731
    y = y_top = 2 * PAD + TITLE_SIZE
    shapes: list[Shape] = [
        Text(PAD, PAD + TITLE_SIZE, _short(str(title), 80), size=TITLE_SIZE, bold=True)
    ]
    words = []
    for comparison in gaps.comparisons:
        name = group_label(result, comparison.group, labels, group_labels)
        shapes.append(Text(x0 - 8, y + ROW / 2 + 4, _short(name, int(label_width / 7)), "right"))
        shapes += _gap_row(comparison, y + ROW / 2, scale, fmt, labels)
        words.append(_gap_words(comparison, name, fmt, labels))
        y += ROW
    if not gaps.comparisons:
        shapes.append(Text(x0, y + ROW / 2 + 4, labels["no_data"], fill=MUTED))
        words.append(labels["no_data"])
        y += ROW
    shapes.append(Line(scale(0), y_top, scale(0), y, MUTED, 1, "zero"))
    for tick in (-reach, -reach / 2, 0, reach / 2, reach):
        shapes += [
            Line(scale(tick), y, scale(tick), y + 4, MUTED, 1),
            Text(scale(tick), y + 4 + FONT_SIZE, _num(tick), "middle", 11, MUTED),
        ]
    height = y + 2 * PAD + FONT_SIZE
    shapes.append(Text(PAD, height, labels["gap_legend"], size=11, fill=MUTED))
    desc = " ".join(w if w.endswith(".") else w + "." for w in [str(title), *words])
    chart_id = chart_id or f"gaps-{result.indicator}-{result.by}"
    chart = Chart(
        width,
        int(height + PAD + FONT_SIZE),
        str(title),
        desc,
        re.sub(r"[^A-Za-z0-9_-]", "-", chart_id),
        shapes,
    )
    return chart.mirrored() if rtl else chart


def _signed(fmt):
    """Differences read with their sign: +4.2% above the rest, -3.1% below."""
    return lambda value: ("+" if value > 0 else "") + fmt(value)


def _gap_row(comparison, middle: float, scale, fmt, labels: dict) -> list:
    if comparison.difference is None:
        return [Text(scale(0) + 6, middle + 4, labels["too_few"], fill=MUTED, cls="too-few")]
    low, high, at = (
        scale(comparison.ci_low),
        scale(comparison.ci_high),
        scale(comparison.difference),
    )
    colour = BAR if comparison.significant else MUTED
    shapes: list[Shape] = [
        Line(low, middle, high, middle, colour, 1.5, "whisker"),
        Line(low, middle - 5, low, middle + 5, colour, 1.5, "whisker"),
        Line(high, middle - 5, high, middle + 5, colour, 1.5, "whisker"),
        Dot(at, middle, 5, colour, "gap significant" if comparison.significant else "gap"),
    ]
    if not comparison.significant:
        shapes.append(Dot(at, middle, 3, "#ffffff", "hollow"))
    shapes.append(Text(max(high, at) + 8, middle + 4, fmt(comparison.difference), cls="value"))
    return shapes


def _gap_words(comparison, name: str, fmt, labels: dict) -> str:
    if comparison.difference is None:
        return labels["gap_too_few"] % {"group": name}
    key = "gap_significant" if comparison.significant else "gap"
    return labels[key] % {
        "group": name,
        "value": fmt(comparison.difference),
        "low": fmt(comparison.ci_low),
        "high": fmt(comparison.ci_high),
    }


def gap_chart_svg(gaps, title, labels: dict | None = None, **options) -> str:
    return render_svg(gap_chart_model(gaps, title, labels, **options))


def gap_chart_png(gaps, title, labels: dict | None = None, scale: float = 1.0, **options) -> bytes:
    return png(gap_chart_model(gaps, title, labels, **options), scale)


GAP_CSV_COLUMNS = (
    "group",
    "reference",
    "difference",
    "se",
    "ci_low",
    "ci_high",
    "p_value",
    "p_adjusted",
    "significant",
)


def gaps_csv(gaps) -> str:
    """The gaps as CSV, unrounded, one row per compared group."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(GAP_CSV_COLUMNS)
    for c in gaps.comparisons:
        writer.writerow(
            [
                _csv_value(v)
                for v in (
                    c.group,
                    c.reference if c.reference is not None else "",
                    c.difference,
                    c.se,
                    c.ci_low,
                    c.ci_high,
                    c.p_value,
                    c.p_adjusted,
                    c.significant,
                )
            ]
        )
    return out.getvalue()


# -- Trend chart -------------------------------------------------------------------------


def _months(groups: list[str]) -> list[str]:
    """Every month from the first to the last, so that a month with no data is a gap."""
    if not groups or not all(
        isinstance(g, str) and re.fullmatch(r"\d{4}-\d{2}", g) for g in groups
    ):
        return groups
    year, month = map(int, min(groups).split("-"))
    last, months = max(groups), []
    while f"{year:04d}-{month:02d}" <= last:
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def trend_chart_model(
    result: Result,
    title,
    labels: dict | None = None,
    *,
    number_format=None,
    rtl: bool = False,
    width: int = 640,
    plot_height: int = 180,
    chart_id: str | None = None,
) -> Chart:
    """A line over months with its 95% CI band; suppressed or empty months are gaps."""
    labels, fmt = _labels(labels), number_format or default_format(result)
    cells = {cell.group: cell for cell in result.cells}
    # Records with no month are no point on the line: the legend and description give them.
    months = _months(sorted(g for g in cells if g not in (None, NOT_STATED)))
    x0, x1, y0 = PAD + 36, width - PAD - 24, 2 * PAD + TITLE_SIZE
    y1, top = y0 + plot_height, _axis_max(result)
    step = (x1 - x0) / max(len(months) - 1, 1)
    xs = {m: x0 + step * i if len(months) > 1 else (x0 + x1) / 2 for i, m in enumerate(months)}
    ys = lambda v: y1 - (y1 - y0) * min(max(v, 0.0), top) / top  # noqa: E731
    shapes = [Text(PAD, PAD + TITLE_SIZE, _short(str(title), 80), size=TITLE_SIZE, bold=True)]
    shapes += _trend_axes(months, xs, ys, x0, x1, y1, top)
    for run in _runs(months, cells):
        shapes += _trend_run(run, cells, xs, ys)
    for month in months:
        if cells.get(month) is not None and cells[month].suppressed:
            shapes += _hatch(xs[month] - 5, y1 - 12, 10, 12, "suppressed")
    y = y1 + 20 + PAD
    for note, mark in _trend_notes(result, labels, bool(months), fmt):
        y += 16
        shapes += (_hatch(PAD, y - 10, 10, 12, "legend") if mark else []) + [
            Text(PAD + (16 if mark else 0), y, note, size=11, fill=MUTED)
        ]
    chart = Chart(
        width,
        int(y + PAD),
        str(title),
        _describe(result, title, labels, fmt, None),
        _chart_id(result, chart_id),
        shapes,
    )
    return chart.mirrored() if rtl else chart


def _trend_notes(result: Result, labels: dict, has_months: bool, fmt) -> list[tuple[str, bool]]:
    """The legend lines under a trend: (text, drawn with a hatched mark)."""
    notes = [] if has_months else [(labels["no_data"], False)]
    if any(cell.ci_low is not None for cell in result.cells):
        notes.append((labels["band"], False))
    hidden = [cell for cell in result.cells if cell.suppressed and cell.group != NOT_STATED]
    for note in dict.fromkeys(hidden_note(cell, result, labels) for cell in hidden):
        notes.append((note, True))
    for cell in result.cells:
        if cell.group == NOT_STATED:
            notes.append((_cell_words(result, cell, labels, fmt, None), False))
    return notes


def _runs(months: list[str], cells: dict) -> list[list[str]]:
    """Consecutive months with a shown value: each run is drawn as one line."""
    runs: list[list[str]] = []
    current: list[str] = []
    for month in months:
        cell = cells.get(month)
        if cell is not None and not cell.suppressed:
            current.append(month)
        elif current:
            runs, current = runs + [current], []
    return runs + [current] if current else runs


def _trend_run(run: list[str], cells: dict, xs: dict, ys) -> list:
    shapes: list[Shape] = []
    with_ci = [m for m in run if cells[m].ci_low is not None]
    if len(with_ci) == len(run) and len(run) > 1:
        upper = [(xs[m], ys(cells[m].ci_high)) for m in run]
        lower = [(xs[m], ys(cells[m].ci_low)) for m in reversed(run)]
        shapes.append(Poly(upper + lower, None, BAND, 0.5, "band"))
    if len(run) > 1:
        shapes.append(Poly([(xs[m], ys(cells[m].estimate)) for m in run], BAR, None, 1, "line"))
    elif with_ci:  # a month alone between gaps: its interval as a whisker
        x, low, high = xs[run[0]], ys(cells[run[0]].ci_low), ys(cells[run[0]].ci_high)
        shapes += [Line(x, low, x, high, BAND, 3, "band")]
    return shapes + [Dot(xs[m], ys(cells[m].estimate), 3, BAR, "point") for m in run]


def _trend_axes(months, xs, ys, x0, x1, y1, top) -> list:
    shapes = []
    for tick in _ticks(top):
        y = ys(tick)
        shapes += [Line(x0, y, x1, y, GRID, 1), Text(x0 - 6, y + 4, _num(tick), "right", 11, MUTED)]
    every = max(1, math.ceil(len(months) / 8))
    shapes += [Text(xs[m], y1 + 16, m, "middle", 11, MUTED) for m in months[::every]]
    return shapes


def trend_chart_svg(result: Result, title, labels: dict | None = None, **options) -> str:
    """The trend chart as inline SVG (options: number_format, rtl, width, plot_height, chart_id)."""
    return render_svg(trend_chart_model(result, title, labels, **options))


# -- Tables ------------------------------------------------------------------------------


def table_rows(
    result: Result,
    labels: dict | None = None,
    *,
    group_labels: dict | None = None,
    number_format=None,
) -> list[dict]:
    """Display strings per cell for an HTML table; suppressed cells show words, not numbers."""
    labels, fmt = _labels(labels), number_format or default_format(result)
    rows = []
    for cell in result.cells:
        shown = not cell.suppressed
        rows.append(
            {
                "group": group_label(result, cell.group, labels, group_labels),
                "n": str(cell.n) if shown else "",
                "estimate": fmt(cell.estimate) if shown else "",
                "ci_low": fmt(cell.ci_low) if shown and cell.ci_low is not None else "",
                "ci_high": fmt(cell.ci_high) if shown and cell.ci_high is not None else "",
                "suppressed": cell.suppressed,
                "reason": cell.reason or "",
                "note": hidden_note(cell, result, labels) if cell.suppressed else "",
            }
        )
    return rows


CSV_COLUMNS = ("group", "n", "estimate", "ci_low", "ci_high", "suppressed", "reason")


def _csv_value(value) -> str:
    """Exact numbers (repr round-trips floats); text that a spreadsheet would run is quoted."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (int, float)):
        return repr(value)
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def to_csv(result: Result) -> str:
    """The cells as CSV: group (empty: everyone), n, estimate, ci_low, ci_high, suppressed 1/0,
    reason (why a cell is hidden: "small", or "complement" to protect a small cell)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for cell in result.cells:
        writer.writerow([_csv_value(getattr(cell, column)) for column in CSV_COLUMNS])
    return out.getvalue()
