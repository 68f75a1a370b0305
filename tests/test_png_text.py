"""Labels in every language of the product drawn in the PNG charts and maps: the server's
own font holds their letters, Arabic is joined and runs right to left, numbers stay whole."""

from __future__ import annotations

import io
import json
import unicodedata
from pathlib import Path

from babel.messages.pofile import read_po
from PIL import Image, ImageChops, ImageFont

from sync_server import charts, maps, png_text
from sync_server.indicators import Cell, Result

ROOT = Path(__file__).resolve().parent.parent
NOT_A_GLYPH = "\ue000"  # a private-use character: no font has it, its box is .notdef
HAUSA = "ƁɓƊɗƘƙƳƴʼ"


def product_texts():
    """Every translated interface text and every label of the built-in forms."""
    for catalog in sorted((ROOT / "translations").glob("*/LC_MESSAGES/messages.po")):
        with catalog.open("rb") as handle:
            for message in read_po(handle):
                strings = message.string if isinstance(message.string, tuple) else (message.string,)
                yield from (s for s in strings if s)
    for form in sorted((ROOT / "collector" / "builtin_forms").glob("*.json")):
        yield from _strings(json.loads(form.read_text("utf-8")))


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def drawn(text: str, font) -> bytes:
    return bytes(font.getmask(text))


def test_the_font_has_every_letter_of_our_languages():
    font = png_text.font(24)
    box = drawn(NOT_A_GLYPH, font)
    letters = {c for text in product_texts() for c in png_text.display(text)} | set(HAUSA)
    # Spaces, marks of direction and joiners are not drawn; every other character must be.
    shown = {c for c in letters if unicodedata.category(c)[0] not in "CZ"}
    assert len(shown) > 150  # Latin with accents, Hausa's letters, Arabic's joined forms
    missing = sorted(c for c in shown if drawn(c, font) == box)
    assert not missing, [f"U+{ord(c):04X} {unicodedata.name(c, '?')}" for c in missing]


def test_arabic_is_joined_and_laid_out_right_to_left():
    shown = png_text.display("الثقة في الجيران 45٪")
    # Joined: every Arabic letter in its contextual form (presentation forms), none bare.
    assert not any("\u0621" <= c <= "\u064a" for c in shown)
    assert any("\ufe70" <= c <= "\ufefc" for c in shown)
    # Right to left: the first letter read is drawn last (rightmost); the number stays whole.
    assert unicodedata.name(shown[-1]).startswith("ARABIC LETTER ALEF")
    assert "45" in shown and "54" not in shown
    lam_alef = png_text.display("لا")
    assert len(lam_alef) == 1 and unicodedata.name(lam_alef).startswith("ARABIC LIGATURE LAM")


def test_latin_text_and_latin_inside_arabic_keep_their_order():
    for text in ("Zone B: 62.5%", "Ƙauye Ɗan Gulbi", "Santé, école", ""):
        assert png_text.display(text) == text
    mixed = png_text.display("منطقة Zone B")
    assert "Zone B" in mixed and mixed.index("Zone B") < len(mixed) // 2


def test_the_same_text_draws_the_same_image_wherever_the_server_runs():
    font = png_text.font(18, bold=True)
    assert font.layout_engine == ImageFont.Layout.BASIC
    assert png_text.font(18, bold=True) is font and png_text.font(18) is not font


def ink(png: bytes, title_height: int) -> bytes:
    image = Image.open(io.BytesIO(png)).convert("L")
    return image.crop((0, 0, image.width, title_height)).tobytes()


def arabic_result() -> Result:
    cells = (
        Cell("الشمال", 40, 62.5, 47.0, 75.8, False),
        Cell("الجنوب", 30, 40.0, 30.0, 50.0, False),
    )
    return Result("trust_most", "share", "الثقة", "%", 5, "area", cells, 100)


def test_an_arabic_chart_png_draws_letters_not_boxes():
    title = "نسبة من يثقون بجيرانهم"
    real = charts.png(charts.bar_chart_model(arabic_result(), title, rtl=True))
    boxes = charts.png(charts.bar_chart_model(arabic_result(), NOT_A_GLYPH * len(title), rtl=True))
    assert ink(real, 40) != ink(boxes, 40)
    image = Image.open(io.BytesIO(real)).convert("L")
    expected = Image.new("L", (image.width, 40), 255)
    assert ImageChops.difference(image.crop((0, 0, image.width, 40)), expected).getbbox()


def test_an_arabic_map_png_names_its_areas():
    square = [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]]
    geojson = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": {"name": name},
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [[[x + p[0], p[1]] for p in square[0]]],
                },
            }
            for x, name in ((0, "الشمال"), (2, "الجنوب"))
        ],
    }
    png = maps.map_png(arabic_result(), geojson, "الثقة", rtl=True)
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG" and image.size[0] > 100
