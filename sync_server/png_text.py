"""Text in the PNG drawings of charts and maps, in every language of the product.

The SVG on a page is written by the browser, in its fonts. A PNG is drawn here, so the
server brings its own font (DejaVu Sans cut to Latin and Arabic, sync_server/fonts) and
shapes Arabic itself: letters take their joined forms (arabic-reshaper), then a line is put
in display order by the Unicode bidirectional algorithm (python-bidi), so that "الثقة 45٪"
reads right to left with its number intact. Pillow's own shaping (libraqm) depends on
libraries a machine may lack; doing it here draws the same image everywhere.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources
from io import BytesIO

# Letters written right to left: Hebrew, Arabic and its supplements and presentation forms.
RIGHT_TO_LEFT = re.compile("[\u0590-\u08ff\ufb1d-\ufdff\ufe70-\ufefc]")
FONT_FILES = {False: "DejaVuSans.ttf", True: "DejaVuSans-Bold.ttf"}


@lru_cache(maxsize=64)
def font(pixels: int, bold: bool = False):
    """The product's font at a size in pixels (Pillow's basic layout: no system library)."""
    from PIL import ImageFont

    return ImageFont.truetype(
        BytesIO(_font_file(bold)), max(1, pixels), layout_engine=ImageFont.Layout.BASIC
    )


@lru_cache(maxsize=2)
def _font_file(bold: bool) -> bytes:
    return resources.files("sync_server").joinpath("fonts", FONT_FILES[bold]).read_bytes()


def display(text: str) -> str:
    """A line as it is drawn from left to right: Arabic letters joined and the runs of a
    right-to-left line in visual order; text without such letters is returned as it is."""
    if not RIGHT_TO_LEFT.search(text):
        return text
    from arabic_reshaper import reshape
    from bidi import get_display

    return get_display(reshape(text))
