"""Charts: valid, accessible, CSP-safe SVG; honest suppressed cells; CSV and PNG downloads."""

from __future__ import annotations

import csv
import io
import os
import xml.etree.ElementTree as ET

import pytest

from sync_server import charts
from sync_server.indicators import COMPLEMENT, NOT_STATED, SMALL, Cell, Result

NS = "{http://www.w3.org/2000/svg}"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")

CELLS = (
    Cell("NR", 40, 62.5, 47.0, 75.8, False),
    Cell("CE", None, None, None, None, True),
    Cell("<b>&", 12, 91.0, 64.6, 98.5, False),
    Cell("SR", None, None, None, None, True),
    Cell(
        "a group whose name is far too long to fit in the label column", 100, 3.0, 1.0, 8.5, False
    ),
)
MONTHS = (
    Cell("2024-01", 20, 41.0, 31.0, 51.0, False),
    Cell("2024-02", 25, 42.0, 32.0, 52.0, False),
    Cell("2024-03", None, None, None, None, True),
    Cell("2024-04", 30, 44.0, 34.0, 54.0, False),
    # 2024-05: no records at all
    Cell("2024-06", 22, 46.0, 36.0, 56.0, False),
    Cell("2024-07", 28, 47.0, 37.0, 57.0, False),
)


def result(cells=CELLS, kind="share", by="area", k=5, scale_max=100) -> Result:
    return Result("trust_most", kind, "Share who trust", "%", k, by, tuple(cells), scale_max)


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def classes(element) -> set[str]:
    return set(element.get("class", "").split())


def all_text(root) -> list[str]:
    return [element.text or "" for element in root.iter(f"{NS}text")]


def assert_safe(svg: str):
    """Nothing a CSP without 'unsafe-inline' would block, nothing fetched from elsewhere."""
    assert "style=" not in svg and "<style" not in svg and "<script" not in svg
    for element in parse(svg).iter():
        assert element.tag.removeprefix(NS) not in (
            "style",
            "script",
            "foreignObject",
            "image",
            "use",
            "a",
        )
        for name, value in element.attrib.items():
            assert not name.lower().startswith("on") and name != "style"
            assert "href" not in name and "url(" not in value and "javascript:" not in value


def assert_accessible(svg: str, title: str):
    root = parse(svg)
    assert root.tag == f"{NS}svg" and root.get("role") == "img"
    title_id, desc_id = root.get("aria-labelledby").split()
    assert root.find(f"{NS}title").get("id") == title_id
    assert root.find(f"{NS}title").text == title
    assert root.find(f"{NS}desc").get("id") == desc_id
    return root.find(f"{NS}desc").text


# -- Bar chart ---------------------------------------------------------------------------


def test_bar_chart_has_one_bar_per_cell_and_a_text_alternative():
    svg = charts.bar_chart_svg(result(), "Share who trust")
    assert_safe(svg)
    desc = assert_accessible(svg, "Share who trust")
    root = parse(svg)
    bars = [r for r in root.iter(f"{NS}rect") if "bar" in classes(r)]
    assert len(bars) == len(CELLS)
    assert sum("suppressed" in classes(r) for r in bars) == 2
    texts = all_text(root)
    assert texts.count("suppressed (n < 5)") == 2
    assert "62.5%" in texts and "91.0%" in texts
    assert "NR: 62.5% (95% CI 47.0% to 75.8%; n = 40)" in desc
    assert "CE: suppressed (n < 5)" in desc
    whiskers = [line for line in root.iter(f"{NS}line") if "whisker" in classes(line)]
    assert len(whiskers) == 3 * 3  # a line and two caps per shown cell


def test_suppressed_cells_show_no_numbers():
    root = parse(charts.bar_chart_svg(result(), "t"))
    for text in all_text(root):
        assert "0.0%" != text  # never drawn as a zero
    desc = root.find(f"{NS}desc").text
    assert "SR: suppressed (n < 5)." in desc and "SR: 0" not in desc


def test_text_is_escaped():
    svg = charts.bar_chart_svg(result(), "Title <script>alert(1)</script> & more")
    assert "&lt;b&gt;&amp;" in svg and "<b>" not in svg and "<script>" not in svg
    root = parse(svg)
    assert "<b>&" in all_text(root)
    assert root.find(f"{NS}title").text == "Title <script>alert(1)</script> & more"


def test_labels_can_be_translated_and_groups_named():
    labels = {
        "suppressed": "masqué (n < %(k)s)",
        "cell_suppressed": "%(group)s : masqué",
        "whiskers": "Intervalles de confiance à 95 %",
    }
    svg = charts.bar_chart_svg(
        result(k=7),
        "Confiance",
        labels,
        group_labels={"NR": "Nord"},
        number_format=lambda v: f"{v:.1f}".replace(".", ",") + " %",
    )
    texts = all_text(parse(svg))
    assert texts.count("masqué (n < 7)") == 2 and "Nord" in texts and "62,5 %" in texts
    assert "Intervalles de confiance à 95 %" in texts


def test_overall_and_empty_results():
    overall = result([Cell(None, 50, 7.2, 6.5, 7.9, False)], kind="mean", by=None, scale_max=10)
    svg = charts.bar_chart_svg(overall, "Mean")
    assert "All" in all_text(parse(svg)) and "7.2" in all_text(parse(svg))
    empty = charts.bar_chart_svg(result([]), "Nothing yet")
    assert_safe(empty)
    assert "No data" in all_text(parse(empty))
    assert "No data" in assert_accessible(empty, "Nothing yet")


def test_counts_have_no_whiskers_and_a_round_scale():
    counts = result(
        [
            Cell("2024-01", 123, 123.0, None, None, False),
            Cell("2024-02", None, None, None, None, True),
        ],
        kind="count",
        scale_max=None,
    )
    root = parse(charts.bar_chart_svg(counts, "Reports"))
    assert not [line for line in root.iter(f"{NS}line") if "whisker" in classes(line)]
    texts = all_text(root)
    assert "123" in texts and "125" in texts  # the axis ends at a round number


def test_right_to_left_bars_grow_from_the_right():
    ltr = parse(charts.bar_chart_svg(result(), "t"))
    rtl = parse(charts.bar_chart_svg(result(), "t", rtl=True))
    assert rtl.get("direction") == "rtl"
    width = float(rtl.get("width"))
    left = {float(r.get("x")) for r in ltr.iter(f"{NS}rect") if classes(r) == {"bar"}}
    right = [
        float(r.get("x")) + float(r.get("width"))
        for r in rtl.iter(f"{NS}rect")
        if classes(r) == {"bar"}
    ]
    assert len(left) == 1
    assert all(edge == pytest.approx(width - min(left), abs=0.2) for edge in right)


def test_chart_ids_are_safe():
    svg = charts.bar_chart_svg(result(), "t", chart_id='x" onload="alert(1)')
    assert_safe(svg)


# -- Trend chart -------------------------------------------------------------------------


def test_trend_chart_breaks_the_line_at_gaps():
    trend = result(MONTHS, by="month")
    svg = charts.trend_chart_svg(trend, "Trust over time")
    assert_safe(svg)
    desc = assert_accessible(svg, "Trust over time")
    root = parse(svg)
    points = [c for c in root.iter(f"{NS}circle") if "point" in classes(c)]
    assert len(points) == 5  # one per shown month
    lines = [p for p in root.iter(f"{NS}polyline") if "line" in classes(p)]
    # Jan–Feb and Jun–Jul; March (suppressed) and May (no records) are gaps, April stands alone.
    assert [len(p.get("points").split()) for p in lines] == [2, 2]
    bands = [p for p in root.iter(f"{NS}polygon") if "band" in classes(p)]
    assert len(bands) == 2
    assert len([line for line in root.iter(f"{NS}line") if "band" in classes(line)]) == 1
    marks = [r for r in root.iter(f"{NS}rect") if "suppressed" in classes(r)]
    assert len(marks) == 1
    assert "2024-03: suppressed (n < 5)" in desc
    assert "suppressed (n < 5)" in all_text(root)


def test_trend_chart_of_counts_and_of_nothing():
    counts = result(
        [Cell("2024-01", 6, 6.0, None, None, False), Cell("2024-02", 9, 9.0, None, None, False)],
        kind="count",
        by="month",
        scale_max=None,
    )
    root = parse(charts.trend_chart_svg(counts, "Reports"))
    assert not list(root.iter(f"{NS}polygon"))
    assert len(list(root.iter(f"{NS}circle"))) == 2
    empty = charts.trend_chart_svg(result([], by="month"), "Nothing")
    assert_safe(empty)
    assert "No data" in all_text(parse(empty))


def test_trend_chart_right_to_left():
    svg = charts.trend_chart_svg(result(MONTHS, by="month"), "t", rtl=True)
    root = parse(svg)
    xs = [float(c.get("cx")) for c in root.iter(f"{NS}circle")]
    assert xs == sorted(xs, reverse=True)  # time runs right to left


# -- Tables and CSV ----------------------------------------------------------------------


def test_table_rows_hide_suppressed_numbers():
    rows = charts.table_rows(result())
    assert rows[0] == {
        "group": "NR",
        "n": "40",
        "estimate": "62.5%",
        "ci_low": "47.0%",
        "ci_high": "75.8%",
        "suppressed": False,
        "reason": "",
        "note": "",
    }
    assert rows[1] == {
        "group": "CE",
        "n": "",
        "estimate": "",
        "ci_low": "",
        "ci_high": "",
        "suppressed": True,
        "reason": "",
        "note": "suppressed (n < 5)",
    }


def test_csv_round_trips():
    cells = CELLS + (
        Cell(None, 7, 1 / 3, 0.1, 0.9, False),
        Cell("EA", None, None, None, None, True, COMPLEMENT),
        Cell("WE", None, None, None, None, True, SMALL),
    )
    text = charts.to_csv(result(cells))
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0]) == ["group", "n", "estimate", "ci_low", "ci_high", "suppressed", "reason"]
    number = lambda value, kind: None if value == "" else kind(value)  # noqa: E731
    back = tuple(
        Cell(
            row["group"] or None,
            number(row["n"], int),
            number(row["estimate"], float),
            number(row["ci_low"], float),
            number(row["ci_high"], float),
            row["suppressed"] == "1",
            row["reason"] or None,
        )
        for row in rows
    )
    assert back == cells


def test_csv_neutralizes_formulas():
    text = charts.to_csv(result([Cell('=HYPERLINK("x")', 9, 50.0, 20.0, 80.0, False)]))
    assert list(csv.reader(io.StringIO(text)))[1][0] == '\'=HYPERLINK("x")'


# -- PNG ---------------------------------------------------------------------------------


def pillow():
    try:
        from PIL import Image
    except ImportError:
        if IN_CI:
            pytest.fail("Pillow is required in CI")
        pytest.skip("Pillow is not installed")
    return Image


@pytest.mark.parametrize("scale, rtl", [(1, False), (2, False), (1, True)])
def test_png_opens_and_has_the_chart_size(scale, rtl):
    Image = pillow()
    model = charts.bar_chart_model(result(), "Share who trust", rtl=rtl)
    image = Image.open(io.BytesIO(charts.png(model, scale)))
    assert image.format == "PNG"
    assert image.size == (model.width * scale, model.height * scale)
    colours = {colour for _count, colour in image.convert("RGB").getcolors(1 << 20)}
    assert (0x2B, 0x6C, 0xB0) in colours  # the bars are drawn


def test_png_of_a_trend():
    Image = pillow()
    model = charts.trend_chart_model(result(MONTHS, by="month"), "Trend")
    image = Image.open(io.BytesIO(charts.png(model)))
    assert image.size == (model.width, model.height)


# -- Complements and the "not stated" group ----------------------------------------------

HIDDEN = (
    Cell("NR", 40, 62.5, 47.0, 75.8, False),
    Cell("CE", None, None, None, None, True, SMALL),
    Cell("SR", None, None, None, None, True, COMPLEMENT),
    Cell(NOT_STATED, 9, 55.6, 26.7, 81.1, False),
)


def test_a_complement_says_why_it_is_hidden_and_never_claims_n_below_k():
    root = parse(charts.bar_chart_svg(result(HIDDEN), "t"))
    texts, desc = all_text(root), root.find(f"{NS}desc").text
    assert texts.count("suppressed (n < 5)") == 1
    assert texts.count("hidden to protect a small group") == 1
    assert "CE: suppressed (n < 5)." in desc and "SR: hidden to protect a small group." in desc
    assert "SR: suppressed" not in desc
    rows = {row["group"]: row for row in charts.table_rows(result(HIDDEN))}
    assert rows["SR"]["note"] == "hidden to protect a small group" and rows["SR"]["n"] == ""
    assert rows["CE"]["note"] == "suppressed (n < 5)" and rows["CE"]["reason"] == SMALL
    csv_rows = list(csv.DictReader(io.StringIO(charts.to_csv(result(HIDDEN)))))
    assert [(r["group"], r["suppressed"], r["reason"], r["n"]) for r in csv_rows[1:3]] == [
        ("CE", "1", "small", ""),
        ("SR", "1", "complement", ""),
    ]


def test_not_stated_is_named_and_kept_off_the_time_axis():
    rows = charts.table_rows(result(HIDDEN))
    assert rows[-1]["group"] == "Not stated" and rows[-1]["n"] == "9"
    translated = charts.table_rows(result(HIDDEN), {"not_stated": "Non précisé"})
    assert translated[-1]["group"] == "Non précisé"
    months = MONTHS + (Cell(NOT_STATED, 7, 40.0, 15.8, 75.0, False),)
    root = parse(charts.trend_chart_svg(result(months, by="month"), "t"))
    assert len([c for c in root.iter(f"{NS}circle") if "point" in classes(c)]) == 5
    assert NOT_STATED not in " ".join(all_text(root))
    assert "Not stated: 40.0% (95% CI 15.8% to 75.0%; n = 7)" in all_text(root)
    assert "Not stated: 40.0%" in root.find(f"{NS}desc").text
