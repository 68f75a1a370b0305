"""Make the fonts the server's PNG charts and maps write with: DejaVu Sans, regular and bold,
cut down to the scripts of our languages (Latin with Hausa's hooked letters, Arabic with its
presentation forms, the punctuation and signs numbers need), so that a server draws every
label of every language without fonts installed on its machine.

Run by hand when the character ranges change, with fontTools (`pip install fonttools`) and the
full DejaVu Sans files (Debian: fonts-dejavu-core):

    python sync_server/fonts/make_fonts.py /usr/share/fonts/truetype/dejavu
"""

from __future__ import annotations

import sys
from pathlib import Path

RANGES = ",".join(
    [
        "U+0020-007E",  # ASCII
        "U+00A0-024F",  # Latin-1, Latin Extended A and B (ɓ, ɗ, ƙ, ƴ)
        "U+0250-02FF",  # IPA letters and modifier letters (Hausa's ʼ, as in ʼyaʼya)
        "U+0300-036F",  # combining accents
        "U+0600-06FF,U+0750-077F",  # Arabic
        "U+FB50-FDFF,U+FE70-FEFF",  # Arabic presentation forms: shaped letters
        "U+2000-206F",  # spaces (narrow no-break), dashes, marks of direction
        "U+20A0-20CF,U+2100-214F,U+2190-21FF,U+2212,U+25A0-25FF",  # currency, arrows, minus
    ]
)
NAMES = ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf")


def main(source: Path) -> None:
    from fontTools import subset

    for name in NAMES:
        subset.main(
            [
                str(source / name),
                f"--unicodes={RANGES}",
                "--layout-features=*",
                f"--output-file={Path(__file__).with_name(name)}",
            ]
        )


if __name__ == "__main__":
    main(Path(sys.argv[1]))
