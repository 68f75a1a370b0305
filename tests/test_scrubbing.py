"""Free text leaves the laptop without names, phone numbers, e-mails, ID numbers, dates of
birth or street addresses, in English, French, Spanish, Arabic, Swahili and Hausa."""

from __future__ import annotations

import functools
import html
import json
import re
import sys
from pathlib import Path

import pytest

from collector import scrubbing
from collector.anonymizer import scrub_text
from collector.scrubbing import Span, _fold, find, scrub, segments
from filling import FEEDBACK_ANSWERS, SURVEY_ANSWERS, fill_form
from support import query
from test_feedback import release_reviewed, send_feedback
from test_hub_operator import OPERATOR, add_operator, all_bytes, collector, signed_in

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

import scrub_bench  # noqa: E402

# About the hub's free-text scrubbing, not the server's storage: SQLite only
# (tests/conftest.py runs the others on PostgreSQL too).
SERVER_ENGINES = ("sqlite",)


# -- The quality floor on the labelled corpus ---------------------------------------------------


def test_the_corpus_is_big_labelled_and_covers_six_languages():
    messages = scrub_bench.load()
    assert len(messages) >= 300
    languages = {m["language"] for m in messages}
    assert languages == {"en", "fr", "es", "ar", "sw", "ha"}
    for language in languages:
        own = [m for m in messages if m["language"] == language]
        assert sum(not m["identifiers"] for m in own) >= 20, language  # precision needs these
    for message in messages:
        for item in message["identifiers"]:
            assert item["text"] in message["text"]
            assert item["kind"] in {"name", "phone", "email", "id", "date", "address"}


def test_recall_and_precision_meet_the_goals_on_the_corpus():
    messages = scrub_bench.load()
    counts = scrub_bench.score(messages)["counts"]
    by_kind = scrub_bench.totals(counts, lambda group: group[1])
    for kind in ("name", "phone"):
        assert by_kind[kind]["recalled"] >= 0.95 * by_kind[kind]["labelled"], kind
    overall = scrub_bench.totals(counts, lambda group: "all")["all"]
    assert overall["correct"] >= 0.90 * overall["found"]
    by_language = scrub_bench.totals(counts, lambda group: group[0])
    for language, numbers in by_language.items():
        assert numbers["recalled"] >= 0.90 * numbers["labelled"], language
        assert numbers["correct"] >= 0.85 * numbers["found"], language


HELD_OUT = ROOT / "tests" / "fixtures" / "scrubbing_heldout.json"
FRESH = ROOT / "tests" / "fixtures" / "scrubbing_fresh.json"
UNSEEN = ROOT / "tests" / "fixtures" / "scrubbing_unseen.json"
LANGUAGES = {"en", "fr", "es", "ar", "sw", "ha"}


def test_the_held_out_sets_are_labelled_and_use_new_names():
    corpus_names = name_words(scrub_bench.load())
    held_out = scrub_bench.load(HELD_OUT)
    assert len(held_out) >= 240
    for language in LANGUAGES:
        own = [m for m in held_out if m["language"] == language]
        assert len(own) >= 40, language
        assert sum(not m["identifiers"] for m in own) >= 10, language  # precision needs these
    fresh = scrub_bench.load(FRESH)
    assert len(fresh) >= 60 and {m["language"] for m in fresh} == LANGUAGES
    for message in held_out + fresh:
        for item in message["identifiers"]:
            assert item["text"] in message["text"]
            assert item["kind"] in {"name", "phone", "email", "id", "date", "address"}
    # Particles ("بن", "ود") and kunya words may come back; the names themselves may not.
    particles = {"بن", "ود", "أبو", "عبد"}
    assert not (name_words(held_out) & corpus_names) - particles
    assert not (name_words(fresh) & (corpus_names | name_words(held_out))) - particles


def assert_labelled(messages: list, without_identifiers: float) -> None:
    """A labelled set of at least 150 messages, 25 per language, that share of each
    language without any identifier, every label found in its message."""
    assert len(messages) >= 150
    for language in LANGUAGES:
        own = [m for m in messages if m["language"] == language]
        assert len(own) >= 25, language
        assert len(own) * without_identifiers <= sum(not m["identifiers"] for m in own), language
    for message in messages:
        for item in message["identifiers"]:
            assert item["text"] in message["text"]
            assert item["kind"] in {"name", "phone", "email", "id", "date", "address"}


def listed_names() -> set:
    """Every name the scrubber knows, folded: its name-list files and built-in lists."""
    from importlib import resources

    folder = resources.files("collector").joinpath("name_lists")
    listed = {
        _fold(word)
        for path in folder.iterdir()
        if path.name.endswith(".txt") and path.name not in scrubbing._NOT_NAME_FILES
        for line in path.read_text(encoding="utf-8").splitlines()
        if not line.startswith("#")
        for word in line.split()
    }
    return listed | scrubbing._AFRICAN_NAMES | scrubbing._ARABIC_NAMES | scrubbing._AMBIGUOUS_NAMES


def test_the_unseen_set_is_labelled_and_its_names_are_in_no_list_and_no_other_set():
    """Written before the last round of rules and never tuned on: its names must be new to
    every other set and to our name lists, or it would not measure unseen names."""
    unseen = scrub_bench.load(UNSEEN)
    assert_labelled(unseen, without_identifiers=0.25)
    listed = listed_names()
    others = name_words(scrub_bench.load() + scrub_bench.load(HELD_OUT) + scrub_bench.load(FRESH))
    particles = {"بن", "ود", "أبو", "عبد"}
    for word in name_words(unseen) - particles:
        assert word not in others, word
        assert not {_fold(part) for part in word.split("-")} & listed, word


UNSEEN2 = ROOT / "tests" / "fixtures" / "scrubbing_unseen2.json"


def test_the_second_unseen_set_is_labelled_and_its_names_are_new():
    """Written before the third round of rules, measured before and after, never tuned on:
    its names must be in no other set and in none of our name lists."""
    unseen2 = scrub_bench.load(UNSEEN2)
    assert_labelled(unseen2, without_identifiers=0.25)
    listed = listed_names()
    others = name_words(
        scrub_bench.load()
        + scrub_bench.load(HELD_OUT)
        + scrub_bench.load(FRESH)
        + scrub_bench.load(UNSEEN)
    )
    words = name_words(unseen2)
    assert len(words) >= 100
    for word in words:
        assert word not in others, word
        assert not {_fold(part) for part in word.split("-")} & listed, word


# Measured on the second unseen set after the round that studied the fourth set's Arabic,
# lower-case names and precision (docs/benchmarks.md), per language: names recalled, names
# labelled, removed pieces that were names, removed pieces.
UNSEEN2_AFTER = {
    "ar": (17, 17, 18, 18),
    "en": (16, 17, 19, 19),
    "es": (17, 17, 23, 23),
    "fr": (17, 17, 20, 20),
    "ha": (17, 17, 21, 21),
    "sw": (18, 18, 21, 21),
}


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_the_second_unseen_set_does_not_fall_below_what_was_measured(language):
    """A floor at the measured numbers less one miss and one false positive per language,
    and names precision at the goal (90%) in every language."""
    counts = scrub_bench.score([m for m in scrub_bench.load(UNSEEN2) if m["language"] == language])[
        "counts"
    ]
    recalled, labelled, correct, found = UNSEEN2_AFTER[language]
    names = counts[language, "name"]
    assert names["labelled"] == labelled
    assert names["recalled"] >= recalled - 1, names
    assert names["found"] - names["correct"] <= found - correct + 1, names
    assert names["correct"] >= 0.90 * names["found"], names
    phones = counts[language, "phone"]
    assert phones["recalled"] == phones["labelled"] and phones["correct"] == phones["found"]


def test_the_second_unseen_set_overall():
    """Overall floors computed from the measured numbers less three misses and two false
    positives: names 99.0% recall and 100% precision when last measured (97.1% and 96.8%
    before)."""
    counts = scrub_bench.score(scrub_bench.load(UNSEEN2))["counts"]
    names = by(counts, 1)["name"]
    recalled = sum(v[0] for v in UNSEEN2_AFTER.values())
    labelled = sum(v[1] for v in UNSEEN2_AFTER.values())
    correct = sum(v[2] for v in UNSEEN2_AFTER.values())
    found = sum(v[3] for v in UNSEEN2_AFTER.values())
    assert names["recalled"] * labelled >= (recalled - 3) * names["labelled"], names
    assert names["found"] - names["correct"] <= found - correct + 2, names
    assert names["correct"] >= 0.95 * names["found"], names


UNSEEN3 = ROOT / "tests" / "fixtures" / "scrubbing_unseen3.json"


def assert_new_names(path, earlier: list, not_names=frozenset()) -> None:
    """The set at `path` is labelled, a third of it holds no identifier, and its 100 or more
    name words are in none of the `earlier` sets and none of our name lists."""
    messages = scrub_bench.load(path)
    assert_labelled(messages, without_identifiers=0.33)
    listed = listed_names()
    others = name_words([m for earlier_set in earlier for m in scrub_bench.load(earlier_set)])
    words = name_words(messages) - set(not_names)
    assert len(words) >= 100
    for word in words:
        assert word not in others, word
        assert not {_fold(part) for part in word.split("-")} & listed, word


def test_the_third_unseen_set_is_labelled_and_its_names_are_new():
    """Written before the round of rules that studied the second unseen set, measured
    before and after it, never tuned on: its names must be in no other set and in none of
    our name lists, and over a third of its messages hold no identifier (organisations,
    places, headlines)."""
    assert_new_names(UNSEEN3, [scrub_bench.CORPUS, HELD_OUT, FRESH, UNSEEN, UNSEEN2])


# Measured on the third unseen set after the round that studied the fourth set's Arabic,
# lower-case names and precision (docs/benchmarks.md): names recalled, names labelled,
# removed pieces that were names, removed pieces. Floors against losing ground.
UNSEEN3_AFTER = {
    "ar": (16, 17, 19, 20),
    "en": (18, 18, 22, 22),
    "es": (18, 18, 23, 23),
    "fr": (18, 18, 23, 23),
    "ha": (17, 18, 24, 24),
    "sw": (18, 18, 23, 23),
}


def assert_floor(path, after: dict, language: str) -> None:
    """A floor at the measured numbers less one miss and one false positive per language;
    phone numbers all found, and nothing else taken for one."""
    counts = scrub_bench.score([m for m in scrub_bench.load(path) if m["language"] == language])[
        "counts"
    ]
    recalled, labelled, correct, found = after[language]
    names = counts[language, "name"]
    assert names["labelled"] == labelled
    assert names["recalled"] >= recalled - 1, names
    assert names["found"] - names["correct"] <= found - correct + 1, names
    phones = counts[language, "phone"]
    assert phones["recalled"] == phones["labelled"] and phones["correct"] == phones["found"]


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_the_third_unseen_set_does_not_fall_below_what_was_measured(language):
    assert_floor(UNSEEN3, UNSEEN3_AFTER, language)


def test_the_third_unseen_set_overall():
    """Overall floors computed from the measured numbers less three misses and two false
    positives: names 98.1% recall and 99.3% precision after the round on Arabic and
    lower-case names (94.4% and 96.2% before it, 79.4% and 93.3% when this set was new)."""
    counts = scrub_bench.score(scrub_bench.load(UNSEEN3))["counts"]
    names = by(counts, 1)["name"]
    recalled, labelled, correct, found = (
        sum(v[k] for v in UNSEEN3_AFTER.values()) for k in range(4)
    )
    assert names["labelled"] == labelled
    assert names["recalled"] >= recalled - 3, names
    assert names["found"] - names["correct"] <= found - correct + 2, names
    assert names["correct"] * found >= (correct - 2) * names["found"], names


UNSEEN4 = ROOT / "tests" / "fixtures" / "scrubbing_unseen4.json"


def test_the_fourth_unseen_set_is_labelled_and_its_names_are_new():
    """Written blind (by someone who read neither the scrubber nor its lists), measured
    before any change: its names are in no other set and in none of our name lists. "Father
    of", "mother of" before a name (a kunya) are no names of their own."""
    assert_new_names(
        UNSEEN4,
        [scrub_bench.CORPUS, HELD_OUT, FRESH, UNSEEN, UNSEEN2, UNSEEN3],
        not_names={"أم", "ام", "أبو", "ابو", "أبي", "ابي", "umm"},
    )


# Measured on the fourth unseen set after two rounds that studied its misses (docs/
# benchmarks.md): 51.0% recall and 70.4% precision on names when it was new, 85.3% and
# 84.8% after the first round, 99.0% and 100% after the second (Arabic vocabulary,
# lower-case names, ordinary capitalised words). Floors against losing ground.
UNSEEN4_AFTER = {
    "ar": (16, 17, 23, 23),
    "en": (18, 18, 26, 26),
    "es": (16, 16, 27, 27),
    "fr": (17, 17, 25, 25),
    "ha": (17, 17, 22, 22),
    "sw": (17, 17, 21, 21),
}


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_the_fourth_unseen_set_does_not_fall_below_what_was_measured(language):
    assert_floor(UNSEEN4, UNSEEN4_AFTER, language)


def test_the_fourth_unseen_set_overall():
    """Overall floors from the measured numbers less three misses and two false positives,
    and names precision at the goal (90%)."""
    counts = scrub_bench.score(scrub_bench.load(UNSEEN4))["counts"]
    names = by(counts, 1)["name"]
    recalled, labelled, correct, found = (
        sum(v[k] for v in UNSEEN4_AFTER.values()) for k in range(4)
    )
    assert names["labelled"] == labelled
    assert names["recalled"] >= recalled - 3, names
    assert names["found"] - names["correct"] <= found - correct + 2, names
    assert names["correct"] >= 0.90 * names["found"], names


UNSEEN5 = ROOT / "tests" / "fixtures" / "scrubbing_unseen5.json"


def test_the_fifth_unseen_set_is_labelled():
    """Written blind and measured before the round that studied it, with 100 or more name
    words and over a third of its messages holding no identifier."""
    messages = scrub_bench.load(UNSEEN5)
    assert_labelled(messages, without_identifiers=0.33)
    assert len(name_words(messages)) >= 100


# Measured on the fifth unseen set (docs/benchmarks.md): 77.7% recall and 83.3% precision on
# names when it was new, 85.7% and 87.2% after the round that studied the fourth set, 99.1%
# and 99.4% after the round that studied its own misses (lists of names, a subject before
# its verb, lower-case titles and self-introductions, peoples, networks, street names).
UNSEEN5_AFTER = {
    "ar": (17, 17, 21, 21),
    "en": (21, 21, 32, 32),
    "es": (18, 18, 25, 25),
    "fr": (20, 20, 28, 29),
    "ha": (16, 17, 21, 21),
    "sw": (19, 19, 23, 23),
}


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_the_fifth_unseen_set_does_not_fall_below_what_was_measured(language):
    assert_floor(UNSEEN5, UNSEEN5_AFTER, language)


def test_the_fifth_unseen_set_overall():
    """Overall floors from the measured numbers less three misses and two false positives,
    names precision at the goal (90%), and the file and card numbers and street addresses
    it holds all found."""
    messages = scrub_bench.load(UNSEEN5)
    counts = scrub_bench.score(messages)["counts"]
    kinds = by(counts, 1)
    names = kinds["name"]
    recalled, labelled, correct, found = (
        sum(v[k] for v in UNSEEN5_AFTER.values()) for k in range(4)
    )
    assert names["labelled"] == labelled
    assert names["recalled"] >= recalled - 3, names
    assert names["found"] - names["correct"] <= found - correct + 2, names
    assert names["correct"] >= 0.90 * names["found"], names
    for kind in ("id", "address"):
        assert kinds[kind]["recalled"] == kinds[kind]["labelled"], (kind, kinds[kind])


UNSEEN6 = ROOT / "tests" / "fixtures" / "scrubbing_unseen6.json"


def test_the_sixth_unseen_set_is_labelled():
    """Written blind during the round that studied the fifth, never studied itself."""
    messages = scrub_bench.load(UNSEEN6)
    assert_labelled(messages, without_identifiers=0.3)
    assert len(name_words(messages)) >= 100


# Measured on the sixth unseen set (docs/benchmarks.md): names 79.8% recall and 78.9%
# precision when it was new, 90.7% and 83.7% after the round that studied the fifth, 99.2%
# and 98.0% after the rounds that studied its own misses (streets and camps named after
# people, initials, the "a" of "a volé", lower-case family titles, Arabic lists).
UNSEEN6_AFTER = {
    "ar": (24, 24, 25, 26),
    "en": (21, 22, 25, 25),
    "es": (22, 22, 27, 28),
    "fr": (20, 20, 24, 24),
    "ha": (20, 20, 24, 24),
    "sw": (21, 21, 25, 26),
}


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_the_sixth_unseen_set_does_not_fall_below_what_was_measured(language):
    assert_floor(UNSEEN6, UNSEEN6_AFTER, language)


UNSEEN7 = ROOT / "tests" / "fixtures" / "scrubbing_unseen7.json"
UNSEEN8 = ROOT / "tests" / "fixtures" / "scrubbing_unseen8.json"
UNSEEN9 = ROOT / "tests" / "fixtures" / "scrubbing_unseen9.json"
UNSEEN10 = ROOT / "tests" / "fixtures" / "scrubbing_unseen10.json"
UNSEEN11 = ROOT / "tests" / "fixtures" / "scrubbing_unseen11.json"
UNSEEN12 = ROOT / "tests" / "fixtures" / "scrubbing_unseen12.json"
UNSEEN13 = ROOT / "tests" / "fixtures" / "scrubbing_unseen13.json"
UNSEEN14 = ROOT / "tests" / "fixtures" / "scrubbing_unseen14.json"
UNSEEN15 = ROOT / "tests" / "fixtures" / "scrubbing_unseen15.json"
UNSEEN16 = ROOT / "tests" / "fixtures" / "scrubbing_unseen16.json"
UNSEEN17 = ROOT / "tests" / "fixtures" / "scrubbing_unseen17.json"
UNSEEN18 = ROOT / "tests" / "fixtures" / "scrubbing_unseen18.json"
UNSEEN19 = ROOT / "tests" / "fixtures" / "scrubbing_unseen19.json"
UNSEEN20 = ROOT / "tests" / "fixtures" / "scrubbing_unseen20.json"
UNSEEN21 = ROOT / "tests" / "fixtures" / "scrubbing_unseen21.json"
UNSEEN22 = ROOT / "tests" / "fixtures" / "scrubbing_unseen22.json"
UNSEEN23 = ROOT / "tests" / "fixtures" / "scrubbing_unseen23.json"
UNSEEN24 = ROOT / "tests" / "fixtures" / "scrubbing_unseen24.json"
UNSEEN25 = ROOT / "tests" / "fixtures" / "scrubbing_unseen25.json"
UNSEEN26 = ROOT / "tests" / "fixtures" / "scrubbing_unseen26.json"
UNSEEN27 = ROOT / "tests" / "fixtures" / "scrubbing_unseen27.json"
UNSEEN28 = ROOT / "tests" / "fixtures" / "scrubbing_unseen28.json"
UNSEEN29 = ROOT / "tests" / "fixtures" / "scrubbing_unseen29.json"
UNSEEN30 = ROOT / "tests" / "fixtures" / "scrubbing_unseen30.json"
UNSEEN31 = ROOT / "tests" / "fixtures" / "scrubbing_unseen31.json"
UNSEEN32 = ROOT / "tests" / "fixtures" / "scrubbing_unseen32.json"
UNSEEN33 = ROOT / "tests" / "fixtures" / "scrubbing_unseen33.json"
UNSEEN34 = ROOT / "tests" / "fixtures" / "scrubbing_unseen34.json"
UNSEEN35 = ROOT / "tests" / "fixtures" / "scrubbing_unseen35.json"
UNSEEN36 = ROOT / "tests" / "fixtures" / "scrubbing_unseen36.json"
UNSEEN37 = ROOT / "tests" / "fixtures" / "scrubbing_unseen37.json"
UNSEEN38 = ROOT / "tests" / "fixtures" / "scrubbing_unseen38.json"
UNSEEN39 = ROOT / "tests" / "fixtures" / "scrubbing_unseen39.json"
UNSEEN40 = ROOT / "tests" / "fixtures" / "scrubbing_unseen40.json"


def test_the_seventh_unseen_set_is_labelled_and_hard():
    """Written blind during the round that studied the sixth: names from regions the other
    sets hold few of, and about 40% of messages with none, most of them places, clubs and
    stations named after people."""
    messages = scrub_bench.load(UNSEEN7)
    assert_labelled(messages, without_identifiers=0.35)
    assert len(name_words(messages)) >= 100


# Measured on the seventh unseen set (docs/benchmarks.md): names 82.5% recall and 79.5%
# precision when it was new, 83.3% and 83.9% after the round that studied the sixth (its
# honest measure of names never seen), 100% and 94.0% after the round that studied it.
UNSEEN7_AFTER = {
    "ar": (20, 20, 27, 36),
    "en": (21, 21, 26, 26),
    "es": (21, 21, 26, 26),
    "fr": (21, 21, 28, 28),
    "ha": (22, 22, 25, 26),
    "sw": (21, 21, 26, 26),
}


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_the_seventh_unseen_set_does_not_fall_below_what_was_measured(language):
    assert_floor(UNSEEN7, UNSEEN7_AFTER, language)


@pytest.mark.parametrize(
    "path",
    [
        UNSEEN7,
        UNSEEN8,
        UNSEEN9,
        UNSEEN10,
        UNSEEN11,
        UNSEEN12,
        UNSEEN13,
        UNSEEN14,
        UNSEEN15,
        UNSEEN18,
        UNSEEN19,
        UNSEEN20,
        UNSEEN21,
        UNSEEN22,
        UNSEEN25,
    ],
    ids=[
        "seventh",
        "eighth",
        "ninth",
        "tenth",
        "eleventh",
        "twelfth",
        "thirteenth",
        "fourteenth",
        "fifteenth",
        "eighteenth",
        "nineteenth",
        "twentieth",
        "twenty-first",
        "twenty-second",
        "twenty-fifth",
    ],
)
def test_the_studied_blind_sets_meet_the_goals(path):
    """Names at the goals (95% recall, 90% precision) and every other kind found."""
    kinds = by(scrub_bench.score(scrub_bench.load(path))["counts"], 1)
    names = kinds["name"]
    assert names["recalled"] >= 0.95 * names["labelled"], names
    assert names["correct"] >= 0.90 * names["found"], names
    for kind in ("phone", "date", "address", "email", "id"):
        assert kinds[kind]["recalled"] == kinds[kind]["labelled"], (kind, kinds[kind])


def test_the_eighth_unseen_set_is_labelled_and_hard():
    """Written blind after round ten: names from every region, 40% of messages with none."""
    messages = scrub_bench.load(UNSEEN8)
    assert_labelled(messages, without_identifiers=0.35)
    assert len(name_words(messages)) >= 100


# Measured on the eighth unseen set (docs/benchmarks.md): names 86.0% recall and 84.7%
# precision when it was new, 89.0% and 90.6% after rounds eight to ten (never studied),
# 98.5% and 96.9% after round eleven, which studied it.
UNSEEN8_AFTER = {
    "ar": (21, 22, 33, 34),
    "en": (26, 26, 46, 47),
    "es": (20, 21, 35, 36),
    "fr": (24, 24, 39, 41),
    "ha": (22, 22, 34, 36),
    "sw": (21, 21, 29, 29),
}


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_the_eighth_unseen_set_does_not_fall_below_what_was_measured(language):
    assert_floor(UNSEEN8, UNSEEN8_AFTER, language)


def test_the_ninth_unseen_set_is_labelled_and_hard():
    """Written blind after round eleven, as a week of kiosk traffic from six sites."""
    messages = scrub_bench.load(UNSEEN9)
    assert_labelled(messages, without_identifiers=0.35)
    assert len(name_words(messages)) >= 100


# Measured on the ninth unseen set (docs/benchmarks.md): names 85.4% recall and 80.3%
# precision when it was new, 86.9% and 90.3% after round eleven (never studied), 96.2% and
# 96.3% after round twelve, which studied it.
UNSEEN9_AFTER = {
    "ar": (21, 22, 24, 27),
    "en": (22, 23, 28, 29),
    "es": (20, 21, 25, 26),
    "fr": (22, 22, 28, 28),
    "ha": (20, 21, 25, 26),
    "sw": (20, 21, 24, 24),
}


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_the_ninth_unseen_set_does_not_fall_below_what_was_measured(language):
    assert_floor(UNSEEN9, UNSEEN9_AFTER, language)


def test_the_tenth_unseen_set_is_labelled_and_hard():
    """Written blind after round twelve as enumerator comments and hotline transcripts from
    six new sites (a Rohingya camp, eastern DR Congo, Lake Chad, Yemen, the Darién and
    Ecuador, the Somali region of Ethiopia): shorthand, nicknames, names in the other
    script, and 40% of messages with no identifier, many of them unlisted places."""
    messages = scrub_bench.load(UNSEEN10)
    assert_labelled(messages, without_identifiers=0.35)
    assert len(name_words(messages)) >= 150


# Measured on the tenth unseen set (docs/benchmarks.md): names 88.5% recall and 86.4%
# precision after round twelve, when it was new (86.8% with the one label corrected in
# round thirteen), 100% and 97.8% after round thirteen, which studied it.
UNSEEN10_AFTER = {
    "ar": (21, 21, 43, 43),
    "en": (28, 28, 41, 43),
    "es": (23, 23, 35, 35),
    "fr": (23, 23, 37, 39),
    "ha": (23, 23, 33, 33),
    "sw": (21, 21, 33, 34),
}


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_the_tenth_unseen_set_does_not_fall_below_what_was_measured(language):
    assert_floor(UNSEEN10, UNSEEN10_AFTER, language)


def test_the_eleventh_unseen_set_is_labelled_hard_and_new():
    """Written blind after round thirteen as survey comments from six more regions (Cabo
    Delgado, Burkina Faso and Mali, Iraq and Syria, the White Nile camps, Honduras and
    Guatemala, Uganda's settlements), places and people after "from" in every language; its
    names are in no list of ours (whole words: "N'" and "Tz'" prefixes aside)."""
    messages = scrub_bench.load(UNSEEN11)
    assert_labelled(messages, without_identifiers=0.35)
    assert len(name_words(messages)) >= 150
    listed = listed_names()
    for word in name_words(messages):
        assert word not in listed, word


# Measured on the eleventh unseen set when it was new, after round thirteen and never
# studied (docs/benchmarks.md): names 88.3% recall, 82.9% precision. The floor keeps later
# rounds from losing ground on it; it is not a goal met.
UNSEEN11_FIRST = {
    "ar": (17, 19, 27, 35),
    "en": (20, 22, 31, 35),
    "es": (19, 19, 31, 40),
    "fr": (19, 20, 28, 34),
    "ha": (15, 20, 23, 27),
    "sw": (16, 20, 20, 22),
}


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_the_eleventh_unseen_set_does_not_fall_below_its_first_measure(language):
    assert_floor(UNSEEN11, UNSEEN11_FIRST, language)


# Measured on the eleventh unseen set after round fourteen, which studied it (the model of
# name shapes and the rules of docs/benchmarks.md): names 98.3% recall, 90.5% precision.
UNSEEN11_AFTER = {
    "ar": (18, 19, 28, 34),
    "en": (21, 22, 30, 33),
    "es": (19, 19, 31, 34),
    "fr": (20, 20, 30, 32),
    "ha": (20, 20, 28, 30),
    "sw": (20, 20, 24, 26),
}


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_the_eleventh_unseen_set_does_not_fall_below_what_was_measured(language):
    assert_floor(UNSEEN11, UNSEEN11_AFTER, language)


def test_the_twelfth_unseen_set_is_labelled_hard_and_new():
    """Written blind during round fourteen as kiosk messages and survey comments from seven
    more regions (southern Madagascar, eastern Chad, Zamfara and Sokoto, Khyber Pakhtunkhwa
    and Afghan refugees, Colombia's Pacific coast and Venezuelan migrants, the Kigoma camps,
    the Bekaa); 40% of its messages name nobody; its names are in no list of ours."""
    messages = scrub_bench.load(UNSEEN12)
    assert_labelled(messages, without_identifiers=0.35)
    assert len(name_words(messages)) >= 150
    listed = listed_names()
    for word in name_words(messages):
        assert word not in listed, word


# Measured on the twelfth unseen set when it was new, after round fourteen and never
# studied (docs/benchmarks.md): names 92.8% recall, 83.2% precision (its one spelled phone
# number in spoken Levantine digits, missed then, is found since). A floor, not a goal met.
UNSEEN12_FIRST = {
    "ar": (27, 31, 29, 42),
    "en": (27, 28, 27, 32),
    "es": (35, 35, 36, 36),
    "fr": (28, 32, 29, 36),
    "ha": (26, 30, 26, 32),
    "sw": (25, 25, 26, 30),
}


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_the_twelfth_unseen_set_does_not_fall_below_its_first_measure(language):
    assert_floor(UNSEEN12, UNSEEN12_FIRST, language)


# Measured on the twelfth unseen set after round fifteen, which studied it (places after
# "from", "à", verbs of going; spoken Arabic; docs/benchmarks.md): names 100% recall, 97.3%
# precision; its six addresses found.
UNSEEN12_AFTER = {
    "ar": (31, 31, 32, 36),
    "en": (28, 28, 28, 28),
    "es": (35, 35, 35, 35),
    "fr": (32, 32, 33, 34),
    "ha": (30, 30, 30, 30),
    "sw": (25, 25, 25, 25),
}


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_the_twelfth_unseen_set_does_not_fall_below_what_was_measured(language):
    assert_floor(UNSEEN12, UNSEEN12_AFTER, language)


def test_the_thirteenth_unseen_set_is_labelled_hard_and_new():
    """Written blind during round fifteen as kiosk messages and survey comments from seven
    more regions (Somalia and Somaliland, Gambella and Tigray, Ituri and Kivu, Yemen and
    Djibouti, Tillabéri and Diffa, Guatemala and Honduras, Cox's Bazar); 42% of its
    messages name nobody, many of them hospitals, districts and streets named after people;
    its names are in no list of ours."""
    messages = scrub_bench.load(UNSEEN13)
    assert_labelled(messages, without_identifiers=0.35)
    assert len(name_words(messages)) >= 150
    listed = listed_names()
    for word in name_words(messages):
        assert word not in listed, word


# Measured on the thirteenth unseen set when it was new, after round fifteen and never
# studied (docs/benchmarks.md): names 90.6% recall, 78.0% precision. A floor, not a goal met.
UNSEEN13_FIRST = {
    "ar": (20, 21, 26, 34),
    "en": (21, 22, 33, 45),
    "es": (17, 17, 31, 39),
    "fr": (18, 21, 28, 38),
    "ha": (13, 17, 22, 28),
    "sw": (17, 19, 23, 25),
}


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_the_thirteenth_unseen_set_does_not_fall_below_its_first_measure(language):
    assert_floor(UNSEEN13, UNSEEN13_FIRST, language)


# Measured on the thirteenth unseen set after round sixteen, which studied it (sign-ons,
# lower-case lists and relatives, places named after people, towns after a full name;
# docs/benchmarks.md): names 100% recall, 98.3% precision; its six addresses found.
UNSEEN13_AFTER = {
    "ar": (21, 21, 27, 28),
    "en": (22, 22, 34, 36),
    "es": (17, 17, 31, 31),
    "fr": (21, 21, 31, 31),
    "ha": (17, 17, 26, 26),
    "sw": (19, 19, 25, 25),
}


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_the_thirteenth_unseen_set_does_not_fall_below_what_was_measured(language):
    assert_floor(UNSEEN13, UNSEEN13_AFTER, language)


def test_the_fourteenth_unseen_set_is_labelled_hard_and_new():
    """Written blind during round sixteen as kiosk messages, survey comments and hotline
    notes from seven more regions (Niassa and Nampula, the Central African Republic,
    Mauritania, Dadaab and Garissa, Benue and Plateau, Peru and Ecuador, Sinjar and Dohuk);
    40% of its messages name nobody; its names are in no list of ours."""
    messages = scrub_bench.load(UNSEEN14)
    assert_labelled(messages, without_identifiers=0.35)
    assert len(name_words(messages)) >= 150
    listed = listed_names()
    for word in name_words(messages):
        assert word not in listed, word


# Measured on the fourteenth unseen set when it was new, after round sixteen and never
# studied (docs/benchmarks.md): names 92.9% recall, 78.1% precision; its Arabic phone said
# two digits at a time, missed then, is found since. A floor, not a goal met.
UNSEEN14_FIRST = {
    "ar": (17, 20, 21, 36),
    "en": (22, 22, 31, 37),
    "es": (19, 22, 24, 24),
    "fr": (23, 24, 29, 40),
    "ha": (16, 18, 24, 31),
    "sw": (20, 20, 24, 28),
}


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_the_fourteenth_unseen_set_does_not_fall_below_its_first_measure(language):
    assert_floor(UNSEEN14, UNSEEN14_FIRST, language)


# Measured on the fourteenth unseen set after round seventeen, which studied it (spoken
# Arabic names and verbs, towns after "ف", "من", "à", "de", "daga", sites after a camp or a
# block; docs/benchmarks.md): names 100% recall, 97.6% precision; its six addresses found.
UNSEEN14_AFTER = {
    "ar": (20, 20, 24, 25),
    "en": (22, 22, 31, 32),
    "es": (22, 22, 28, 28),
    "fr": (24, 24, 30, 31),
    "ha": (18, 18, 26, 26),
    "sw": (20, 20, 24, 25),
}


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_the_fourteenth_unseen_set_does_not_fall_below_what_was_measured(language):
    assert_floor(UNSEEN14, UNSEEN14_AFTER, language)


def test_the_fifteenth_unseen_set_is_labelled_hard_and_new():
    """Written blind during round seventeen as kiosk messages, survey comments and
    protection case notes from seven more regions (Libya and Sfax, Burundi and Rwanda
    returnees, Chad's south and Adamawa, Lebanon's Palestinian camps, Ethiopia's Somali
    region and Ali Addeh, Mexico's southern border, Meheba); 40% of its messages name
    nobody; its names are in no list of ours."""
    messages = scrub_bench.load(UNSEEN15)
    assert_labelled(messages, without_identifiers=0.35)
    assert len(name_words(messages)) >= 150
    listed = listed_names()
    for word in name_words(messages):
        assert word not in listed, word


# Measured on the fifteenth unseen set when it was new, after round seventeen and never
# studied (docs/benchmarks.md): names 86.1% recall, 69.1% precision. A floor, not a goal met.
UNSEEN15_FIRST = {
    "ar": (27, 31, 27, 43),
    "en": (30, 42, 31, 62),
    "es": (37, 40, 37, 45),
    "fr": (37, 39, 38, 51),
    "ha": (30, 33, 30, 42),
    "sw": (25, 31, 25, 29),
}


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_the_fifteenth_unseen_set_does_not_fall_below_its_first_measure(language):
    assert_floor(UNSEEN15, UNSEEN15_FIRST, language)


# Measured on the fifteenth unseen set after round eighteen, which studied its misses
# (families listed after a relative, case-note abbreviations, "X from Y here", camp
# addresses): names 97.7% recall, 72.4% precision; after round nineteen, which studied its
# false positives and last misses (Arabic places in Latin letters, peoples and demonyms,
# where one is from, spoken Tunisian and Libyan verbs, names after a relative whatever their
# ending; docs/benchmarks.md): 100% recall, 95.6% precision; its seven addresses found.
UNSEEN15_AFTER = {
    "ar": (31, 31, 31, 32),
    "en": (42, 42, 43, 45),
    "es": (40, 40, 40, 40),
    "fr": (39, 39, 39, 43),
    "ha": (33, 33, 33, 36),
    "sw": (31, 31, 31, 31),
}


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_the_fifteenth_unseen_set_does_not_fall_below_what_was_measured(language):
    assert_floor(UNSEEN15, UNSEEN15_AFTER, language)


def test_the_fifteenth_unseen_set_addresses_are_all_found():
    counts = scrub_bench.score(scrub_bench.load(UNSEEN15))["counts"]
    addresses = by(counts, 1)["address"]
    assert addresses["recalled"] == addresses["labelled"] >= 7, addresses


def test_the_sixteenth_unseen_set_is_labelled_hard_and_new():
    """Written blind during round nineteen as kiosk messages, survey comments, hotline notes
    and protection case notes from seven more regions (Afghan returnees in Nangarhar and
    Herat, Haiti's Artibonite, the Arauca-Apure border, the Sahrawi camps near Tindouf,
    Sudan's Blue Nile and Sennar, Tanganyika, Niger's Zinder and Tahoua); 40% of its messages
    name nobody; its names are in no list of ours."""
    messages = scrub_bench.load(UNSEEN16)
    assert_labelled(messages, without_identifiers=0.35)
    assert len(name_words(messages)) >= 150
    listed = listed_names()
    for word in name_words(messages):
        assert word not in listed, word


# Measured on the sixteenth unseen set when it was new, after round nineteen and never
# studied (docs/benchmarks.md): names 89.6% recall, 71.4% precision. A floor, not a goal met.
UNSEEN16_FIRST = {
    "ar": (23, 35, 23, 47),
    "en": (38, 41, 38, 59),
    "es": (37, 40, 38, 48),
    "fr": (33, 37, 34, 42),
    "ha": (35, 36, 35, 41),
    "sw": (32, 32, 32, 43),
}


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_the_sixteenth_unseen_set_does_not_fall_below_its_first_measure(language):
    assert_floor(UNSEEN16, UNSEEN16_FIRST, language)


# Measured on the sixteenth unseen set after round twenty, which studied its misses (nasab
# with "ولد" and "منت", names after a title or spoken kin, families listed in Haitian
# Creole, lower-case Spanish sign-ons, local addresses) and then its false positives
# (languages after "speaks", peoples before "elders", Pashto places, spoken Maghreb and
# Sudanese verbs; docs/benchmarks.md): names 99.1% recall, 86.2% precision; its eight
# addresses found. Precision is below the goal: it is no studied set yet.
UNSEEN16_AFTER = {
    "ar": (33, 35, 33, 37),
    "en": (41, 41, 41, 45),
    "es": (40, 40, 40, 49),
    "fr": (37, 37, 37, 42),
    "ha": (36, 36, 36, 42),
    "sw": (32, 32, 32, 39),
}


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_the_sixteenth_unseen_set_does_not_fall_below_what_was_measured(language):
    assert_floor(UNSEEN16, UNSEEN16_AFTER, language)


def test_the_sixteenth_unseen_set_addresses_are_all_found():
    counts = scrub_bench.score(scrub_bench.load(UNSEEN16))["counts"]
    addresses = by(counts, 1)["address"]
    assert addresses["recalled"] == addresses["labelled"] >= 8, addresses


def test_the_seventeenth_unseen_set_is_labelled_hard_and_new():
    """Written blind during round twenty as kiosk messages, survey comments, hotline notes
    and case notes from seven more regions (Cameroon's North-West and its displaced,
    northern Côte d'Ivoire, northern Chile, Anbar, Sudanese and Syrian refugees in Egypt,
    Kilifi and Tana River, Jigawa and Bauchi); 45% of its messages name nobody; its names
    are in no list of ours."""
    messages = scrub_bench.load(UNSEEN17)
    assert_labelled(messages, without_identifiers=0.35)
    assert len(name_words(messages)) >= 150
    listed = listed_names()
    for word in name_words(messages):
        assert word not in listed, word


# Measured on the seventeenth unseen set when it was new, after round twenty and never
# studied (docs/benchmarks.md): names 82.5% recall, 67.9% precision. A floor, not a goal met.
UNSEEN17_FIRST = {
    "ar": (22, 33, 22, 47),
    "en": (34, 38, 39, 57),
    "es": (31, 32, 35, 48),
    "fr": (28, 35, 28, 29),
    "ha": (22, 29, 22, 24),
    "sw": (23, 27, 23, 44),
}


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_the_seventeenth_unseen_set_does_not_fall_below_its_first_measure(language):
    assert_floor(UNSEEN17, UNSEEN17_FIRST, language)


# Measured on the seventeenth unseen set after round twenty-one, which studied its misses
# (families listed in lower case after a list word, in Pidgin, Hausa and Swahili; kunyas
# said of oneself; addresses to a landmark and in local formats) and then its false
# positives (places after a verb of going or a school, roles after "the", spoken Iraqi and
# Levantine verbs; docs/benchmarks.md): names 95.9% recall, 81.8% precision; its fourteen
# addresses found whole. Precision is below the goal: it is no studied set yet.
UNSEEN17_AFTER = {
    "ar": (28, 33, 28, 36),
    "en": (37, 38, 40, 49),
    "es": (32, 32, 32, 39),
    "fr": (35, 35, 35, 35),
    "ha": (27, 29, 27, 27),
    "sw": (27, 27, 27, 45),
}


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_the_seventeenth_unseen_set_does_not_fall_below_what_was_measured(language):
    assert_floor(UNSEEN17, UNSEEN17_AFTER, language)


def test_the_seventeenth_unseen_set_addresses_are_all_found():
    counts = scrub_bench.score(scrub_bench.load(UNSEEN17))["counts"]
    addresses = by(counts, 1)["address"]
    assert addresses["recalled"] == addresses["labelled"] >= 14, addresses


def test_the_eighteenth_unseen_set_is_labelled_hard_and_new():
    """Written blind during round twenty-one as kiosk messages, survey comments, hotline
    notes and case notes from seven more regions (Rohingya in Malaysia and Aceh, Ethiopia's
    Afar region, Syrians and Iraqis in Gaziantep, Nicaraguans in Costa Rica, Dzaleka camp,
    Tamanrasset and the Assamaka route, Zanzibar); 49% of its messages name nobody; its
    names are in no list of ours."""
    messages = scrub_bench.load(UNSEEN18)
    assert_labelled(messages, without_identifiers=0.35)
    assert len(name_words(messages)) >= 150
    listed = listed_names()
    for word in name_words(messages):
        assert word not in listed, word


# Measured on the eighteenth unseen set when it was new, after round twenty-one and never
# studied (docs/benchmarks.md): names 80.0% recall, 64.8% precision. A floor, not a goal met.
UNSEEN18_FIRST = {
    "ar": (27, 28, 30, 65),
    "en": (26, 34, 31, 43),
    "es": (25, 34, 27, 37),
    "fr": (26, 31, 26, 29),
    "ha": (18, 30, 18, 26),
    "sw": (26, 28, 26, 44),
}


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_the_eighteenth_unseen_set_does_not_fall_below_its_first_measure(language):
    assert_floor(UNSEEN18, UNSEEN18_FIRST, language)


# Measured on the eighteenth unseen set after round twenty-two, which studied its misses
# (families introduced by their count, lists with no "and" and of the missing, names in
# "-ing", the whole name after "my name is"; Turkish, Malaysian, Costa Rican and Zanzibari
# addresses) and then its false positives (places after "walked to", "is from", "tana",
# Swahili and Ethiopian place words, spoken Levantine and Maghreb words, companies;
# docs/benchmarks.md): names 96.2% recall, 90.4% precision; its thirteen addresses found
# whole. It joins the studied sets.
UNSEEN18_AFTER = {
    "ar": (27, 28, 27, 32),
    "en": (33, 34, 33, 34),
    "es": (33, 34, 33, 37),
    "fr": (30, 31, 30, 31),
    "ha": (27, 30, 27, 31),
    "sw": (28, 28, 28, 32),
}


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_the_eighteenth_unseen_set_does_not_fall_below_what_was_measured(language):
    assert_floor(UNSEEN18, UNSEEN18_AFTER, language)


def test_the_eighteenth_unseen_set_addresses_are_all_found():
    counts = scrub_bench.score(scrub_bench.load(UNSEEN18))["counts"]
    addresses = by(counts, 1)["address"]
    assert addresses["recalled"] == addresses["labelled"] >= 13, addresses


def test_the_nineteenth_unseen_set_is_labelled_and_hard():
    """Written blind during round twenty-two as kiosk messages, survey comments, hotline
    notes and case notes from seven more regions (Venezuelans in Roraima, Haitians in the
    Dominican Republic, Mayotte, Haut-Katanga and Lualaba, northern Jordan, eastern Sudan,
    the zongos of Ghana); 51% of its messages name nobody; its names are in no list of ours."""
    messages = scrub_bench.load(UNSEEN19)
    assert_labelled(messages, without_identifiers=0.35)
    assert len(name_words(messages)) >= 150
    listed = listed_names()
    for word in name_words(messages):
        assert word not in listed, word


# Measured on the nineteenth unseen set when it was new, after round twenty-two and never
# studied (docs/benchmarks.md): names 86.0% recall, 72.1% precision. A floor, not a goal met.
# Its one phone number said in hundreds ("cinq cent douze") was missed at first; numbers
# said in hundreds are read in every language since, so every phone is held here.
UNSEEN19_FIRST = {
    "ar": (25, 28, 25, 38),
    "en": (24, 29, 24, 32),
    "es": (26, 32, 26, 36),
    "fr": (29, 29, 29, 35),
    "ha": (25, 27, 25, 34),
    "sw": (18, 26, 18, 29),
}


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_the_nineteenth_unseen_set_does_not_fall_below_its_first_measure(language):
    assert_floor(UNSEEN19, UNSEEN19_FIRST, language)


# Measured on the nineteenth unseen set after round twenty-three, which studied its misses
# (names before a case note's age, families counted as "they are", children before a
# colon, "and baby X"; Mayotte's, Katanga's, Sudanese and Ghanaian addresses and a camp's
# villages) and then its false positives (named operations, shelters and markets, Swahili
# locatives, spoken Arabic after a title, tribes, streets after "y la"; docs/benchmarks.md):
# names 95.9% recall, 90.1% precision; its twelve addresses found whole. It joins the
# studied sets.
UNSEEN19_AFTER = {
    "ar": (28, 28, 28, 31),
    "en": (27, 29, 27, 29),
    "es": (30, 32, 30, 32),
    "fr": (29, 29, 29, 33),
    "ha": (25, 27, 25, 29),
    "sw": (25, 26, 25, 28),
}


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_the_nineteenth_unseen_set_does_not_fall_below_what_was_measured(language):
    assert_floor(UNSEEN19, UNSEEN19_AFTER, language)


def test_the_nineteenth_unseen_set_addresses_are_all_found():
    counts = scrub_bench.score(scrub_bench.load(UNSEEN19))["counts"]
    addresses = by(counts, 1)["address"]
    assert addresses["recalled"] == addresses["labelled"] >= 12, addresses


def test_the_twentieth_unseen_set_is_labelled_and_hard():
    """Written blind during round twenty-three as kiosk messages, survey comments, hotline
    notes and case notes from seven more regions (Akkar and Tripoli, the camps of north-west
    Syria, Nairobi's urban refugees, Guinea's Forest Region, northern Togo and Benin,
    Venezuelans in Bolivia, Katsina); 51% of its messages name nobody; its names are in no
    list of ours."""
    messages = scrub_bench.load(UNSEEN20)
    assert_labelled(messages, without_identifiers=0.35)
    assert len(name_words(messages)) >= 150
    listed = listed_names()
    for word in name_words(messages):
        assert word not in listed, word


# Measured on the twentieth unseen set when it was new, after round twenty-three and never
# studied (docs/benchmarks.md): names 91.7% recall, 71.5% precision; every phone number
# found. A floor, not a goal met.
UNSEEN20_FIRST = {
    "ar": (24, 30, 25, 52),
    "en": (31, 33, 31, 35),
    "es": (27, 28, 27, 33),
    "fr": (26, 27, 27, 34),
    "ha": (21, 24, 21, 28),
    "sw": (25, 26, 27, 39),
}


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_the_twentieth_unseen_set_does_not_fall_below_its_first_measure(language):
    assert_floor(UNSEEN20, UNSEEN20_FIRST, language)


# Measured on the twentieth unseen set after round twenty-four, which studied its false
# positives (spoken Levantine, Iraqi and Maghreb words, "الأم X", places after camps,
# hospitals, crossings and verbs of living and dying, Sheng and Swahili kin words, Hausa
# verbs, programmes named after a hero) and then its misses (notes signed by the
# enumerator, children after their parents, a child before its age, one's own nasab, a
# name spelled in Arabic, a Hausa name with an apostrophe; docs/benchmarks.md): names 99.4%
# recall, 90.8% precision; its eight addresses found whole. It joins the studied sets.
UNSEEN20_AFTER = {
    "ar": (30, 30, 30, 36),
    "en": (33, 33, 33, 35),
    "es": (28, 28, 28, 31),
    "fr": (27, 27, 27, 28),
    "ha": (23, 24, 23, 25),
    "sw": (26, 26, 26, 29),
}


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_the_twentieth_unseen_set_does_not_fall_below_what_was_measured(language):
    assert_floor(UNSEEN20, UNSEEN20_AFTER, language)


def test_the_twentieth_unseen_set_addresses_are_all_found():
    counts = scrub_bench.score(scrub_bench.load(UNSEEN20))["counts"]
    addresses = by(counts, 1)["address"]
    assert addresses["recalled"] == addresses["labelled"] >= 8, addresses


def test_the_twenty_first_unseen_set_is_labelled_and_hard():
    """Written blind during round twenty-four as kiosk messages, survey comments, hotline
    notes and case notes from seven more regions (South Sudan's Upper Nile and Unity,
    north-east Syria's camps, Mexico's northern border, Spain's Canary Islands, Ceuta and
    Melilla, the Republic of Congo, Tanzania's Mtwara and Msomera, the IDP camps of Abuja
    and Nasarawa); half its messages name nobody; its names are in no list of ours."""
    messages = scrub_bench.load(UNSEEN21)
    assert_labelled(messages, without_identifiers=0.35)
    assert len(name_words(messages)) >= 150
    listed = listed_names()
    for word in name_words(messages):
        assert word not in listed, word


# Measured on the twenty-first unseen set when it was new, after round twenty-four and never
# studied (docs/benchmarks.md): names 88.6% recall, 74.3% precision. One phone number of 29
# kept its last six digits (an address ending inside it); found whole since. A floor, not a
# goal met.
UNSEEN21_FIRST = {
    "ar": (29, 31, 30, 59),
    "en": (33, 41, 37, 48),
    "es": (32, 34, 33, 42),
    "fr": (36, 42, 36, 41),
    "ha": (27, 33, 27, 30),
    "sw": (29, 29, 31, 41),
}


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_the_twenty_first_unseen_set_does_not_fall_below_its_first_measure(language):
    assert_floor(UNSEEN21, UNSEEN21_FIRST, language)


# Measured on the twenty-first unseen set after round twenty-five, which studied its misses
# (names before a relative, a role, the sex and age or a nasab in brackets, committees'
# members, lower-case names before an age or a verb of being, lists with "&", one's own
# kunya; addresses of Mexico, Spain, Morocco, Tanzania and camps' sectors) and then its false
# positives (spoken Maghreb verbs, places gone to, peoples, places named after a doctor or
# Our Lady, Swahili languages, a word before the colon that opens a message;
# docs/benchmarks.md): names 99.0% recall, 90.0% precision; its 13 addresses found whole.
# It joins the studied sets.
UNSEEN21_AFTER = {
    "ar": (30, 31, 30, 37),
    "en": (41, 41, 41, 46),
    "es": (33, 34, 33, 36),
    "fr": (42, 42, 42, 44),
    "ha": (33, 33, 33, 35),
    "sw": (29, 29, 29, 33),
}


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_the_twenty_first_unseen_set_does_not_fall_below_what_was_measured(language):
    assert_floor(UNSEEN21, UNSEEN21_AFTER, language)


def test_the_twenty_first_unseen_set_addresses_are_all_found():
    counts = scrub_bench.score(scrub_bench.load(UNSEEN21))["counts"]
    addresses = by(counts, 1)["address"]
    assert addresses["recalled"] == addresses["labelled"] >= 13, addresses


def test_the_twenty_second_unseen_set_is_labelled_and_hard():
    """Written blind during round twenty-five as kiosk messages, survey comments, hotline
    notes and case notes from seven more regions (Darfur, Mosul and the Erbil camps, Oujda
    and Nador, Cameroon's East region, Colombia's Catatumbo, Kyaka II and Rwamwanja, Kaduna
    State); half its messages name nobody; its names are in no list of ours."""
    messages = scrub_bench.load(UNSEEN22)
    assert_labelled(messages, without_identifiers=0.35)
    assert len(name_words(messages)) >= 150
    listed = listed_names()
    for word in name_words(messages):
        assert word not in listed, word


# Measured on the twenty-second unseen set when it was new, after round twenty-five and
# never studied (docs/benchmarks.md): names 89.9% recall, 78.2% precision; every phone number
# found. A floor, not a goal met.
UNSEEN22_FIRST = {
    "ar": (30, 32, 30, 50),
    "en": (36, 40, 36, 37),
    "es": (34, 37, 34, 38),
    "fr": (31, 35, 31, 39),
    "ha": (21, 26, 21, 29),
    "sw": (27, 29, 27, 36),
}


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_the_twenty_second_unseen_set_does_not_fall_below_its_first_measure(language):
    assert_floor(UNSEEN22, UNSEEN22_FIRST, language)


# Measured on the twenty-second unseen set after round twenty-six, which studied its misses
# (lower-case names after a relative, a child's word and before an age, lists after a colon,
# nicknames, family names in capitals, kunyas in Latin letters; addresses of camps' blocks
# and tents, Colombia's farms, Iraq's, Sudan's, Morocco's and Kaduna's quarters) and then its
# false positives (forests, crossroads, sites, souks, reserves and attacks before a place,
# spoken Iraqi, Sudanese and Maghreb Arabic, Hausa titles; docs/benchmarks.md): names 100%
# recall, 92.6% precision; its 21 addresses found whole. It joins the studied sets.
UNSEEN22_AFTER = {
    "ar": (32, 32, 32, 38),
    "en": (40, 40, 40, 41),
    "es": (37, 37, 37, 39),
    "fr": (35, 35, 35, 37),
    "ha": (26, 26, 26, 29),
    "sw": (29, 29, 29, 31),
}


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_the_twenty_second_unseen_set_does_not_fall_below_what_was_measured(language):
    assert_floor(UNSEEN22, UNSEEN22_AFTER, language)


def test_the_twenty_second_unseen_set_addresses_are_all_found():
    counts = scrub_bench.score(scrub_bench.load(UNSEEN22))["counts"]
    addresses = by(counts, 1)["address"]
    assert addresses["recalled"] == addresses["labelled"] >= 21, addresses


@pytest.mark.parametrize(
    "text",
    [
        "sells bread on the street. Ph 0977 210 455",
        "stays behind the road. Tel 0612 884 309",
        "family sleeps in the street. Mob 0733 619 024 after 6pm",
        "il vend du pain dans la rue. Tél 0655 321 987",
        "vive en la calle. Cel 0414 552 7781",
        "anaishi barabarani. Simu 0754 118 392",
        "yana zaune a titi. Lamba 0803 441 2290",
        "كان ساكن بالشارع. تلفون 0933 418 265",
        "near avenue. phone 0998 112 334",
        "camp road. Ph +249 912 345 678",
    ],
)
def test_no_digit_of_a_phone_number_is_left_when_an_address_ends_inside_it(text):
    """An address found first that ends inside a phone number took its first group; the
    rest ("210 455") was too short to be read as a phone and stayed in the text."""
    scrubbed = scrubbing.scrub(text)
    assert not re.search(r"\d{3}", scrubbed), scrubbed
    assert "[phone]" in scrubbed


def name_words(messages: list[dict]) -> set[str]:
    return {
        word.casefold()
        for m in messages
        for item in m["identifiers"]
        if item["kind"] == "name"
        for word in item["text"].split()
    }


def by(counts: dict, index: int | None) -> dict:
    return scrub_bench.totals(counts, (lambda g: "all") if index is None else (lambda g: g[index]))


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_recall_and_precision_floors_on_the_held_out_set_per_language(language):
    """Names and phone numbers in messages written after the scrubber: a floor per
    language (the measured numbers are in docs/benchmarks.md)."""
    counts = scrub_bench.score(
        [m for m in scrub_bench.load(HELD_OUT) if m["language"] == language]
    )["counts"]
    for kind in ("name", "phone"):
        numbers = counts[language, kind]
        assert numbers["labelled"] >= 5, kind
        assert numbers["recalled"] >= 0.90 * numbers["labelled"], (kind, numbers)
        assert numbers["correct"] >= 0.90 * numbers["found"], (kind, numbers)
    overall = by(counts, None)["all"]
    assert overall["correct"] >= 0.90 * overall["found"], overall


def test_the_held_out_set_meets_the_goals_overall():
    counts = scrub_bench.score(scrub_bench.load(HELD_OUT))["counts"]
    for kind in ("name", "phone"):
        numbers = by(counts, 1)[kind]
        assert numbers["recalled"] >= 0.95 * numbers["labelled"], (kind, numbers)
        assert numbers["correct"] >= 0.90 * numbers["found"], (kind, numbers)


def test_the_fresh_set_does_not_fall_below_what_was_measured():
    """Written after the scrubber was tuned and never tuned on: a guard against losing
    ground, not the goal (its names recall is below 95%, see docs/benchmarks.md)."""
    counts = scrub_bench.score(scrub_bench.load(FRESH))["counts"]
    overall = by(counts, None)["all"]
    assert overall["recalled"] >= 0.80 * overall["labelled"], overall
    assert overall["correct"] >= 0.90 * overall["found"], overall
    phones = by(counts, 1)["phone"]
    assert phones["recalled"] >= 0.90 * phones["labelled"], phones


def test_the_fresh_set_after_its_misses_were_learnt_from():
    """The fresh set was tuned on in the last round (docs/benchmarks.md): it must now meet
    the goals for names and phones, with some margin for one more miss."""
    counts = scrub_bench.score(scrub_bench.load(FRESH))["counts"]
    for kind in ("name", "phone"):
        numbers = by(counts, 1)[kind]
        assert numbers["recalled"] >= 0.95 * numbers["labelled"], (kind, numbers)
        assert numbers["correct"] >= 0.95 * numbers["found"], (kind, numbers)


def test_the_unseen_set_does_not_fall_below_what_was_measured():
    """Names never seen by the lists or the rules: 93.5% recall and 100% precision when
    measured; its misses were learnt from in the third round (docs/benchmarks.md), so it
    must now meet the goal, overall, with floors a little lower per language."""
    counts = scrub_bench.score(scrub_bench.load(UNSEEN))["counts"]
    names, phones = by(counts, 1)["name"], by(counts, 1)["phone"]
    assert names["recalled"] >= 0.95 * names["labelled"], names
    assert names["correct"] >= 0.95 * names["found"], names
    assert phones["recalled"] >= 0.90 * phones["labelled"], phones
    assert phones["correct"] >= 0.90 * phones["found"], phones
    for language in LANGUAGES:
        numbers = counts[language, "name"]
        assert numbers["recalled"] >= 0.80 * numbers["labelled"], (language, numbers)
        assert numbers["correct"] >= 0.90 * numbers["found"], (language, numbers)


# -- Names in no list: the rules that find them, and what they leave ----------------------------


@pytest.mark.parametrize(
    "text, scrubbed",
    [
        # A capitalised word after "I am", "soy", "je suis", "mimi ni", "ni ce", "أنا".
        ("I am Tsegay Hagos from block 4", "I am [name] [name] from block 4"),
        ("I'm Dzifa-Ametowobla, the secretary", "I'm [name]-[name], the secretary"),
        ("Soy Wilfrido, el presidente de la junta", "Soy [name], el presidente de la junta"),
        ("Je suis Bintou Dembélé, de Kayes", "Je suis [name] [name], de Kayes"),
        ("Mimi ni Kazadi, natoka Goma", "Mimi ni [name], natoka Goma"),
        ("Sannu, ni ce Fatsuma Abatcha daga Diffa", "Sannu, ni ce [name] [name] daga Diffa"),
        ("أنا رهف من حلب", "أنا [name] من حلب"),
        # Two capitalised words no list knows, in the middle of a sentence.
        (
            "Our chairlady Nyaguthii Wamae never holds meetings",
            "Our chairlady [name] [name] never holds meetings",
        ),
        (
            "Hablé con la promotora Keila Banguera Obando ayer",
            "Hablé con la promotora [name] [name] [name] ayer",
        ),
        # More titles: Papa, Maman, Askofu, Chief, the chair of a committee…
        (
            "Dites à Papa Moustapha que le puits est réparé",
            "Dites à Papa [name] que le puits est réparé",
        ),
        ("Maman Kapinga vend du manioc", "Maman [name] vend du manioc"),
        (
            "Barua kutoka kwa Askofu Method Kilaini imefika",
            "Barua kutoka kwa Askofu [name] [name] imefika",
        ),
        ("Chief Lekishon refused", "Chief [name] refused"),
        # After an Arabic relative, a word that is no ordinary word; the whole "عبد" name.
        ("زوجتي سماح مريضة منذ شهر", "زوجتي [name] مريضة منذ شهر"),
        (
            "التقيت بالشيخ عبد الباقي الزين في المسجد",
            "التقيت بالشيخ [name] [name] [name] في المسجد",
        ),
    ],
)
def test_names_in_no_list_are_found_by_their_signs(text, scrubbed):
    assert scrub(text) == scrubbed


@pytest.mark.parametrize(
    "text",
    [
        # After "I am" and the like: nationalities, religions, occupations, feelings.
        "I am Kenyan and I have lived here ten years.",
        "I am Muslim, the food must be halal.",
        "I am Happy with the new latrines.",
        "I am Grateful for the help.",
        "Soy maestra y no me han pagado.",
        "Soy Venezolana y tengo papeles.",
        "Je suis enseignante depuis 2010.",
        "Je suis Congolaise.",
        "Mimi ni Mkenya, si mkimbizi.",
        "Ni ce Musulma.",
        "أنا سوري وأعيش هنا",
        "أنا أعيش في المخيم",
        "انا لاجئة ومعي ثلاثة أطفال",
        # After an Arabic relative: adjectives and verbs.
        "زوجتي مريضة منذ شهر",
        "ابني يعمل في السوق",
        "أختي ماتت في الحرب",
        "زوجي اعتقل عند الحاجز",
        # Capitals that say nothing: headlines, all capitals, organisations.
        "Water Point Is Broken Again",
        "WE NEED WATER AND FOOD NOW",
        "We thank the Norwegian Refugee Council for the tents.",
        "The World Food Programme came late.",
        # Places and organisations made of names.
        "El domingo fuimos a misa en la iglesia San José.",
        "Vivo en el barrio La Paz desde hace un año.",
        "Fuimos a Santa Cruz de la Sierra en mayo.",
        "El bus a San Cristóbal sale a las seis.",
        "My cousin moved to Port Louis in March.",
        "Le marché de Saint-Louis est fermé.",
        "Tunaishi Dar es Salaam tangu mwaka jana.",
        "I went to Abu Dhabi for work.",
        "Kungiyar Save the Children ta gina mana ajujuwa.",
        "Merci à Médecins Sans Frontières.",
        "Mun zo daga Maiduguri bayan harin Boko Haram.",
        "سافر أخي إلى أبو ظبي",
        "أهلي في أم درمان منذ الحرب",
        "شكرا لأطباء بلا حدود",
        # "The sheikh of the quarter": an Arabic title before an "ال" word.
        "هو شيخ الحلة منذ عشر سنين.",
    ],
)
def test_words_that_only_look_like_names_stay(text):
    assert scrub(text) == text


@pytest.mark.parametrize(
    "text, scrubbed",
    [
        # A capitalised word no list knows, after a verb of speech or contact.
        ("Please tell Wambeti that the tank is full.", "Please tell [name] that the tank is full."),
        ("Ask for Nakiyemba at the gate.", "Ask for [name] at the gate."),
        ("Call Ogheneruona on Monday.", "Call [name] on Monday."),
        ("Dites à Ebanga que le camion arrive.", "Dites à [name] que le camion arrive."),
        ("Demandez Manguelle au bureau.", "Demandez [name] au bureau."),
        ("Pregunte por Yeraldín en la tienda.", "Pregunte por [name] en la tienda."),
        ("Llame a Eyberth mañana.", "Llame a [name] mañana."),
        ("Mwambie Mwanashali kwamba mkutano ni kesho.", "Mwambie [name] kwamba mkutano ni kesho."),
        ("Nilimwona Kiwelu sokoni.", "Nilimwona [name] sokoni."),
        ("Tulikutana na Kalinga Mwaisumo kanisani.", "Tulikutana na [name] [name] kanisani."),
        ("Ka gaya wa Hannatu cewa an kawo ruwa.", "Ka gaya wa [name] cewa an kawo ruwa."),
        ("Na ga Tanko a kasuwa.", "Na ga [name] a kasuwa."),
        # The verb itself is no name then: "Kira" is "call" in Hausa.
        ("Kira Dauduwa gobe.", "Kira [name] gobe."),
        # Arabic: the name carries the verb's preposition ("قل لـ", "اتصل بـ"), or follows it.
        ("قل لسندس إن الدواء وصل", "قل [name] إن الدواء وصل"),
        ("اتصل بسديم مساء", "اتصل [name] مساء"),
        ("اسألي عن رهام في المركز", "اسألي عن [name] في المركز"),
        ("رأيت حمادة في السوق أمس", "رأيت [name] في السوق أمس"),
        ("قابلت صفوان عند الباب", "قابلت [name] عند الباب"),
        ("قال صفوان إن الماء مقطوع", "قال [name] إن الماء مقطوع"),
        # A capitalised word no list knows before a verb of saying, first in the sentence too.
        ("Nyaboke told me the clinic closed.", "[name] told me the clinic closed."),
        ("Mbida m'a dit que l'école ferme.", "[name] m'a dit que l'école ferme."),
        ("Yuleisy me dijo que no hay agua.", "[name] me dijo que no hay agua."),
        ("Kanyamala alisema maji yamekatika.", "[name] alisema maji yamekatika."),
        ("Talle ta ce babu ruwa.", "[name] ta ce babu ruwa."),
        # A short title with a full stop: "M." for monsieur.
        ("M. Ebongue refuse de signer.", "M. [name] refuse de signer."),
        ("Dr. Kizigenza came late.", "Dr. [name] came late."),
        # After an Arabic relative, a word starting with ت that is no verb where it stands.
        ("زوجتي تهاني حامل في الشهر السابع", "زوجتي [name] حامل في الشهر السابع"),
        ("أختي تغريد تعبت كثيرا", "أختي [name] تعبت كثيرا"),
        # A short message whose capitals are mostly first words and names is no headline.
        ("Tulimwona Kazungu Charo sokoni jana.", "Tulimwona [name] [name] sokoni jana."),
    ],
)
def test_names_after_verbs_of_speech_and_contact(text, scrubbed):
    assert scrub(text) == scrubbed


@pytest.mark.parametrize(
    "text",
    [
        # Ordinary words after a verb of contact.
        "Please tell Everyone to come.",
        "Call Safaricom for the refund.",
        "Thank God for the rain.",
        "Gracias a Dios tenemos agua.",
        "Mwambie Mungu atusaidie.",
        "قل للمدير إن الماء مقطوع",
        "اتصل بنا غدا",
        "قابلت مدير المدرسة أمس",
        "رأيت رجلا في السوق",
        "كلمت المسؤول عن التوزيع",
        "قال الطبيب إن العملية غدا",
        "قال لي إن الماء مقطوع",
        # Pronouns, people in general, relatives and plurals before a verb of saying.
        "Everyone told us to wait outside.",
        "Nobody said a word.",
        "Personne ne m'a dit la vérité.",
        "Nadie me dijo nada.",
        "Kowa ya ce haka ne.",
        "Wote walisema ni sawa.",
        "Teachers said the exam is on Monday.",
        "Mijina ya ce zai dawo.",
        "Leo Kanisa limefungwa.",
        # Verbs starting with ت after an Arabic relative.
        "أختي تدرس في الجامعة",
        "أمي تبيع الخبز في السوق",
        "ابني تعب من المشي",
        "زوجتي تعاني من السكري",
        # A full stop after a letter or a whole title is no short title.
        "Le bloc M. Le robinet fuit.",
        "The doctor. Kiwelu Hill is far.",
    ],
)
def test_words_after_verbs_of_speech_and_contact_that_stay(text):
    assert scrub(text) == text


@pytest.mark.parametrize(
    "text, scrubbed",
    [
        # A capitalised word no list knows, joined by "and" to a name, on either side.
        ("Waambie Ngwilizi na Mwasenga waje kesho.", "Waambie [name] na [name] waje kesho."),
        ("Ask for Kisembo and Turyamureeba at the gate.", "Ask for [name] and [name] at the gate."),
        ("Dites à Mbarga et Ndzana de venir.", "Dites à [name] et [name] de venir."),
        (
            "Pregunte por Yurleidys y Maryuri en la oficina.",
            "Pregunte por [name] y [name] en la oficina.",
        ),
        ("Ka gaya wa Gimbiya da Tasalla su zo.", "Ka gaya wa [name] da [name] su zo."),
        ("We saw Lokwame and Chief Ekiru there.", "We saw [name] and Chief [name] there."),
        ("قابلت سعاد ومريم عند البئر", "قابلت [name] [name] عند البئر"),
        # Not an ordinary word, a possessive or a verb after "and".
        ("Tell Amina and God will help.", "Tell [name] and God will help."),
        ("Mwambie Juma na Mungu atasaidia.", "Mwambie [name] na Mungu atasaidia."),
        ("قابلت سعاد وزوجها", "قابلت [name] وزوجها"),
        ("قابلت سعاد وأخبرتها بالموعد", "قابلت [name] وأخبرتها بالموعد"),
        # "and", "then" glued to an Arabic cue verb.
        ("رقمي 0791 220 564 واسأل عن مؤمن.", "رقمي [phone] واسأل عن [name]."),
        ("فقال قتيبة إن الطريق مغلق", "فقال [name] إن الطريق مغلق"),
        # After "بـ", "لـ" or "عن" no verb can come: a word shaped like one is a name there.
        ("اتصل بأوس على الرقم 0933 482 117 مساء.", "اتصل [name] على الرقم [phone] مساء."),
        ("اسأل عن هتون في المستوصف.", "اسأل عن [name] في المستوصف."),
        # A Swahili verb for "he/she" after a capitalised word no list knows.
        ("Leo Kazimoto amerudi kutoka hospitali.", "Leo [name] amerudi kutoka hospitali."),
        ("Jana Mwanyika alipigwa sokoni.", "Jana [name] alipigwa sokoni."),
        # French "est" and a participle of coming, going, dying.
        ("Atangana est venu avec les enfants.", "[name] est venu avec les enfants."),
        ("Hier Nkoulou est partie sans rien dire.", "Hier [name] est partie sans rien dire."),
        # A name next to an organisation is still a name.
        ("The Water Committee met Lomuria yesterday.", "The Water Committee met [name] yesterday."),
        ("Call Atwine of the Health Centre.", "Call [name] of the Health Centre."),
    ],
)
def test_names_joined_by_and_and_before_verbs(text, scrubbed):
    assert scrub(text) == scrubbed


@pytest.mark.parametrize(
    "text",
    [
        # Capitalised words joined to an organisation word, before or after it.
        "The Aga Khan Foundation built the new classrooms.",
        "Le Programme Alimentaire Mondial a réduit les rations.",
        "El Programa Mundial de Alimentos redujo las raciones.",
        "Nobody from the Kitgum District Council came.",
        "Hier le Fonds des Nations Unies pour l'Enfance a payé.",
        "Kamati ya Maji Safi imefunga bomba.",
        "Kwamitin Ruwa Mai Tsafta ya zauna.",
        "Mwakasege Memorial Hospital is full.",
        # Places after Fort, Mount, Lake, Birnin, Kafin, Ras, Wadi, Jebel, Bahr; Arabic place words.
        "We were moved to Fort Portal in May.",
        "Mun je Birnin Kebbi a watan Mayu.",
        "Muna zaune a Kafin Madaki.",
        "Our cousins live near Jebel Marra and Wadi Halfa.",
        "Lake Bunyonyi is far from Mount Rwenzori.",
        "نسكن قرب جبل مرة",
        # After a preposition: pronouns, relatives with a possessive, nouns of a construct.
        "اتصل بي غدا",
        "اتصلت بأخي أمس",
        "اتصل بأمين المخزن",
        "واسأل عن الموعد",
        # Swahili and French subjects that are ordinary words.
        "Rais amesema hivyo.",
        "Mgeni amefika jana.",
        "Mwalimu amefika.",
        "Mama amesema hapana.",
        "Dieu est venu à notre aide.",
        "Lundi est passé vite.",
        "Le Président est venu.",
    ],
)
def test_organisations_places_and_ordinary_words_stay(text):
    assert scrub(text) == text


def test_a_place_word_does_not_reach_across_a_comma():
    assert (
        scrub("Le chef de quartier, Souleymane Kaboré, refuse")
        == "Le chef de quartier, [name] [name], refuse"
    )


# -- Focused cases ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, scrubbed",
    [
        # Names people write about themselves, in each language.
        ("I am Wanjiru Odhiambo and the tap is dry", "I am [name] [name] and the tap is dry"),
        ("my name is kioko mutua", "my name is [name] [name]"),
        ("Je m'appelle Awa Ndiaye.", "Je m'appelle [name] [name]."),
        ("Mon nom est Ibrahima Sow", "Mon nom est [name] [name]"),
        ("Me llamo Lucía Fernández.", "Me llamo [name] [name]."),
        ("Mi nombre es Ana Torres", "Mi nombre es [name] [name]"),
        ("Jina langu ni Baraka Otieno", "Jina langu ni [name] [name]"),
        ("naitwa neema", "naitwa [name]"),
        ("Sunana Musa Garba", "Sunana [name] [name]"),
        ("Ni ne Hadiza Usman", "Ni ne [name] [name]"),
        ("اسمي فاطمة الزهراء", "اسمي [name] [name]"),
        ("أنا محمد بن علي", "أنا [name] [name] [name]"),
        # Third persons, titles, a name written without a space.
        ("We saw Mr Okello at the office", "We saw Mr [name] at the office"),
        ("Ask Mama Wanjala about it", "Ask Mama [name] about it"),
        ("WanjiruOdhiambo wrote this", "[name] wrote this"),
        ("رأيت خديجة في السوق", "رأيت [name] في السوق"),
        ("ذهبت مع وفاطمة", "ذهبت مع [name]"),
        # Phones in every shape.
        ("call 0712/345/678", "call [phone]"),
        ("call (0712) 345-678", "call [phone]"),
        ("call +254.712.345.678", "call [phone]"),
        ("رقمي ٠٧١٢ ٣٤٥ ٦٧٨", "رقمي [phone]"),
        ("رقمي ۰۹۱۲۳۴۵۶۷۸", "رقمي [phone]"),
        ("zero seven one two three four five six seven eight", "[phone]"),
        ("oh seven double two, four five six, seven eight nine", "[phone]"),
        ("sifuri saba moja mbili tatu nne tano sita saba nane", "[phone]"),
        ("zéro six un deux trois quatre cinq six sept huit", "[phone]"),
        ("cero seis uno dos tres cuatro cinco seis siete", "[phone]"),
        ("صفر سبعة واحد اثنان ثلاثة أربعة خمسة ستة", "[phone]"),
        # Spoken Levantine, Egyptian and Maghrebi forms of the digits.
        ("نمرتي صفر تسعة، تنين تمنية ربعة، خمسة تلاتة", "نمرتي [phone]"),
        # Two digits at a time, the unit before its "and tens" ("three and forty"); an age
        # said the same way is no phone.
        ("رقمي صفر سبعة واحد، ثلاثة وأربعين، ستة وخمسين، تسعة وتسعين", "رقمي [phone]"),
        ("عندي خمسة وثلاثين سنة وعندي أربعة أولاد", "عندي خمسة وثلاثين سنة وعندي أربعة أولاد"),
        ("sifili takwas sifili uku daya biyu uku", "[phone]"),
        ("0712 three four five six seven eight", "[phone]"),
        # Dates of birth and other full dates; a year or a month alone stays.
        ("born 12/03/1987", "born [date]"),
        ("born 1987-03-12", "born [date]"),
        ("born on 3 March 1987", "born on [date]"),
        ("born on March 3rd, 1987", "born on [date]"),
        ("née le 12 mars 1987", "née le [date]"),
        ("nací el 3 de marzo de 1987", "nací el [date]"),
        ("nilizaliwa 5 Machi 1990", "nilizaliwa [date]"),
        ("an haife ni 12 ga Maris 1985", "an haife ni [date]"),
        ("ولدت في 3 مارس 1987", "ولدت في [date]"),
        ("ولدت في ١٢/٠٣/١٩٨٧", "ولدت في [date]"),
        ("born in 1987, moved in March 2019", "born in 1987, moved in March 2019"),
        # Street addresses and house numbers.
        ("I live at 14 Moi Avenue.", "I live at [address]."),
        ("au 12 rue des Lilas", "au [address]"),
        ("en calle Mayor 5", "en [address]"),
        ("Barabara ya Moi 14", "[address]"),
        ("nyumba namba 45", "[address]"),
        ("titin Zaria 14", "[address]"),
        ("gida mai lamba 7", "[address]"),
        ("في شارع الحمرا 12", "في [address]"),
        ("منزل رقم 5", "[address]"),
    ],
)
def test_identifiers_are_replaced(text, scrubbed):
    assert scrub(text) == scrubbed
    assert scrub_text(text, []) == scrubbed  # the anonymizer uses the same


@pytest.mark.parametrize(
    "text",
    [
        # Ordinary words that are also names, at the start of a sentence or in lower case.
        "Hope is all we have left.",
        "We need faith and hope, not promises.",
        "Grace period was too short.",
        "Baraka ya Mungu imetufikia.",
        "Amani ni muhimu kuliko yote.",
        "Nuru ya taa imerudi.",
        "the rose bushes were cut",
        "نحتاج إلى الأمل والنور والسلام",
        "كانت الطبيبة لطيفة جدا",
        "لدينا ثلاثة أطفال",
        # Numbers that are not identifiers: ages, counts, prices, years, times, scores.
        "My daughter is 14 and walks 3 km, we are 6 at home.",
        "Maize costs 120 shillings, it was 80 in 2021.",
        "Le transport coûte 1 500 000 francs CFA par an.",
        "From 2019-2023 nothing changed; I give 7/10.",
        "The clinic opens at 8:30 and closes at 17:00.",
        "Tuna watoto 3 na chumba kimoja.",
        "Mun kasance 20 a layi na awa 2.",
        "Hay 150 familias en el barrio.",
        "We walked 5 km on the road to Kisumu",
        "Monday, May and June were hard months.",
        "one two three, we counted the children",
    ],
)
def test_ordinary_text_stays(text):
    assert scrub(text) == text


@pytest.mark.parametrize(
    "text, scrubbed",
    [
        # Arabic cues: "my name is", "is called", relatives, and titles with a proclitic.
        ("اسمها نجوى الحلبي وهي أرملة", "اسمها [name] [name] وهي أرملة"),
        ("يدعى سامر الخطيب", "يدعى [name] [name]"),
        ("زوجي حمدان مريض", "زوجي [name] مريض"),
        ("صديقتي نور تساعدنا", "صديقتي [name] تساعدنا"),
        ("شكرا للدكتورة سلوى على صبرها", "شكرا للدكتورة [name] على صبرها"),
        ("تكلمت مع المهندس فراس العلي", "تكلمت مع المهندس [name] [name]"),
        # A kunya is a name, both words; "عبد" with an "ال" word is one name.
        ("أبو سليم يبيع الخبز", "[name] [name] يبيع الخبز"),
        ("أم حسن وصلت", "[name] [name] وصلت"),
        ("هل تأتي أم لا", "هل تأتي أم لا"),
        ("أنا عبد الرحمن", "أنا [name] [name]"),
        ("الشيخ صالح ود الأمين", "الشيخ [name] [name] [name]"),
        # Titles and relatives in the other languages, also before names in no list.
        ("Malama Zainabu Ringim ta zo", "Malama [name] [name] ta zo"),
        ("Alhaji Danlami ya biya", "Alhaji [name] ya biya"),
        ("Mwalimu Kapufi amefika", "Mwalimu [name] amefika"),
        ("Ndugu Mashaka hajalipwa", "Ndugu [name] hajalipwa"),
        ("Mme Ndiouck Sarr est venue", "Mme [name] [name] est venue"),
        ("Ma fille Yandé est malade", "Ma fille [name] est malade"),
        ("Doña Hermelinda Ccori vende pan", "Doña [name] [name] vende pan"),
        ("my son Obiora is sick", "my son [name] is sick"),
        ("Kaka yangu Mwamini amefika", "Kaka yangu [name] amefika"),
        ("Mijina Tukur ya tafi", "Mijina [name] ya tafi"),
        # A title is not a name itself, even when a list has it.
        ("Sista Bahati Mrema alitusaidia", "Sista [name] [name] alitusaidia"),
        ("Inna Kande ta zo", "Inna [name] ta zo"),
        # Names with an apostrophe stay whole; "Juma'a" (Friday) is no name.
        ("Sunansa Sa'idu Ba'are", "Sunansa [name] [name]"),
        ("ranar Juma'a za mu zo", "ranar Juma'a za mu zo"),
        # Lower case after "my name is", and a particle inside the name.
        ("je m'appelle fanta keita", "je m'appelle [name] [name]"),
        ("anaitwa mwanabaraka binti juma", "anaitwa [name] [name] [name]"),
        # A name that is also a word, beside a capitalised word that is no word.
        ("Mercy Chelangat came late", "[name] [name] came late"),
        # A short surname after a name, though it is a word elsewhere ("ba" in Hausa).
        ("Mme Awa Ba vend du poisson", "Mme [name] [name] vend du poisson"),
        # Phone numbers said in words, in each language, also two digits at a time.
        ("nine one one, two three four, five six seven", "[phone]"),
        ("zéro six, douze, trente-quatre, cinquante-six", "[phone]"),
        ("cero nueve, setenta y dos, cuarenta, quince", "[phone]"),
        ("sifuri saba, ishirini na tano, hamsini, kumi", "[phone]"),
        ("sifili takwas, goma sha biyu, ashirin da daya", "[phone]"),
        # Hausa's tens with an apostrophe ("arba'in", forty; "casa’in", ninety).
        ("lamba: tara biyu, arba'in da uku, casa’in, sifili hudu", "lamba: [phone]"),
        ("na biya naira arba'in da biyar", None),
        ("صفر تسعة، عشرين، ثلاثين، خمسين", "[phone]"),
        # ... and in hundreds, as numbers are often read out in groups of three.
        ("zéro sept six un, quatre cent vingt, huit cent neuf", "[phone]"),
        ("oh seven eight two, six hundred ten, nine hundred forty", "[phone]"),
        ("cero ocho, novecientos doce, trescientos catorce", "[phone]"),
        ("sifuri sita saba, mia tatu na kumi, tano nne", "[phone]"),
        ("sifili bakwai takwas, ɗari biyar da goma sha biyu, uku", "[phone]"),
        ("صفر سبعة تسعة، مية وعشرين، تسعة تمانية خمسة", "[phone]"),
        # Hundreds in counts and prices are no phone.
        ("trois cent douze familles ont reçu deux cent cinquante kits", None),
        ("we paid four hundred fifty thousand shillings for two hundred bags", None),
    ],
)
def test_name_cues_and_spelled_phones(text, scrubbed):
    scrubbed = text if scrubbed is None else scrubbed
    assert scrub(text) == scrubbed


@pytest.mark.parametrize(
    "text",
    [
        "الحمد لله وصلت المساعدات",  # "praise", not the name Hamad with "the"
        "ابني مريض منذ أسبوع",  # "my son is sick": no name after the relative
        "النصر للشعب",
        "Merci à la Croix-Rouge et au HCR.",
        "El médico de la Cruz Roja fue amable.",
        "Juma hili hatukupata chakula.",  # "this week"
        "Les Peuls et les Touaregs partagent le puits.",
        "The Somali and Oromo families share one latrine.",
        "Neema ya Mungu ni kubwa.",
        "we are twenty families and thirty children",
    ],
)
def test_more_ordinary_text_stays(text):
    assert scrub(text) == text


# -- Arabic without capitals, lower-case names, and words that only look like names ------------


@pytest.mark.parametrize(
    "text, scrubbed",
    [
        # An Arabic word that no vocabulary and no list knows, with no ending of a plural or a
        # pronoun, is a name even with no sign around it.
        ("هذلول وغنوة تعرضا للضرب عند البوابة.", "[name] [name] تعرضا للضرب عند البوابة."),
        ("زمردة تعبت من الانتظار الطويل.", "[name] تعبت من الانتظار الطويل."),
        # A kunya also after "بـ", and after "أم" a word that may be a name.
        ("اتصلوا بأبي هلوان على الرقم.", "اتصلوا [name] [name] على الرقم."),
        ("رأيت أم نجوان تبكي عند المكتب.", "رأيت [name] [name] تبكي عند المكتب."),
        # "Thanks to", "we passed by", "came": the word after is a person.
        ("شكرا لغصون على مساعدتها.", "شكرا [name] على مساعدتها."),
        ("مررنا بنجوان في الطريق وأخبرتنا بالخبر.", "مررنا [name] في الطريق وأخبرتنا بالخبر."),
        ("جاء هذلول متأخرا.", "جاء [name] متأخرا."),
        # Between "said" and "that"; a rare word starting with "ي" after a relative, before a verb.
        ("قال يعرب إن الطريق مغلق.", "قال [name] إن الطريق مغلق."),
        ("صديقي يعرب يعمل في المخبز.", "صديقي [name] يعمل في المخبز."),
        # The nurse is a title; a rare word after a name is more of it.
        ("الممرضة غنوة الزعيبر صرخت على أمي.", "الممرضة [name] [name] صرخت على أمي."),
        ("ابن عمي أنور إسحاق فقد أوراقه.", "ابن عمي [name] [name] فقد أوراقه."),
        # An Arabic word in a message in Latin letters, unless it is a frequent word.
        ("Nilimwona غنوة sokoni jana.", "Nilimwona [name] sokoni jana."),
        ("The guard shouted at هذلول yesterday.", "The guard shouted at [name] yesterday."),
    ],
)
def test_arabic_names_without_capitals(text, scrubbed):
    assert scrub(text) == scrubbed


@pytest.mark.parametrize(
    "text",
    [
        # Rare words of ordinary shapes: broken plurals, duals, pronoun endings, "للـ", verbs.
        "الخيمة تسرب الماء ونحتاج شوادر جديدة.",
        "نعاني من البرد الشديد ولا توجد مدافئ كافية.",
        "نحتاج إلى حصص إضافية للأرامل والأيتام.",
        "الكرفان يحتاج صيانة لأن السقف يدلف.",
        "في الحي 200 عائلة وحنفيتان فقط.",
        # A nationality made from a country's name; a number after "mother of".
        "أنا تشادي وأعيش هنا منذ سنتين.",
        "أنا أرملة، أم لأربعة أطفال.",
        # "أم" is also "or", "أبي" also "my father".
        "هل تريد ماء أم عصير؟",
        "أبي مريض منذ أسبوع.",
        # After the cues: pronouns, "ال" words, frequent verbs, a doctor's speciality.
        "شكرا لكم على المساعدة.",
        "مررنا بالسوق قبل المغرب.",
        "الممرضة قالت إن الدواء نفد.",
        "عايزين دكتور أطفال في الوحدة الصحية.",
        "جاء دور العائلات الجديدة.",
        "قال مسؤول إن التوزيع غدا.",
        "قال شاهد إن الحارس ضربه.",
        "ذكر تقرير أن المياه ملوثة.",
        "ابني يتعالج في المستشفى.",
        "أخي يعمل في السوق.",
        # Frequent Arabic words in a message in Latin letters.
        "Asante sana, الحمد لله.",
    ],
)
def test_arabic_words_that_stay(text):
    assert scrub(text) == text


@pytest.mark.parametrize(
    "text, scrubbed",
    [
        # After "I am", "ni ce" in any message; in a message with no capitals, also after a
        # verb of contact or a relative: the words no vocabulary knows.
        ("ni ce ladidi", "ni ce [name]"),
        ("mimi ni chepkoech", "mimi ni [name]"),
        ("i am nyaboke from block 3", "i am [name] from block 3"),
        ("i saw nyaboke at the tap this morning", "i saw [name] at the tap this morning"),
        ("vi a yurleidis en la fila del banco", "vi a [name] en la fila del banco"),
        ("demandez a mbuyamba pour les cartes", "demandez a [name] pour les cartes"),
        ("nilimwona chepkoech sokoni akilia", "nilimwona [name] sokoni akilia"),
        ("na ga ladidi a kasuwa tana kuka", "na ga [name] a kasuwa tana kuka"),
        ("avisen a mi tía yupanqui que hay trabajo", "avisen a mi tía [name] que hay trabajo"),
    ],
)
def test_lower_case_names_after_cues(text, scrubbed):
    assert scrub(text) == scrubbed


@pytest.mark.parametrize(
    "text",
    [
        "i met the nurse near the clinic",
        "i am tired of waiting for the food",
        "vi a la enfermera en la fila",
        "mi hermano perdió sus papeles",
        "nilimwona daktari jana hakunisaidia",
        "na ga likita jiya bai ba ni magani ba",
        "ka gaya wa shugaban sansanin babu ruwa",
    ],
)
def test_lower_case_words_after_cues_that_stay(text):
    assert scrub(text) == text


@pytest.mark.parametrize(
    "text, scrubbed",
    [
        # Lalla, Ardo are titles; "Bi." is short for Bibi; "my sister", "my boy" in Hausa.
        (
            "Le gardien a insulté la fille de Lalla Aicha.",
            "Le gardien a insulté la fille de Lalla [name].",
        ),
        ("Ardo Bappayo ya yi mana barazana.", "Ardo [name] ya yi mana barazana."),
        ("Asante kwa Bi. Kokuhumbya Rweyemamu.", "Asante kwa Bi. [name] [name]."),
        ("'Yar'uwata Dudu ba ta samu abinci ba.", "'Yar'uwata [name] ba ta samu abinci ba."),
        # First in a sentence, a word no list knows is the first part of the name after it,
        # but not a cue word.
        (
            "Cuauhtli Tlaxcala dijo que la bomba está rota.",
            "[name] [name] dijo que la bomba está rota.",
        ),
        ("Mpigie Nyokabi kwa simu.", "Mpigie [name] kwa simu."),
        # An organisation keeps the capitalised words before it up to a small Title-Case word.
        (
            "Message From Pastor John Kamau To The Committee",
            "Message From Pastor [name] [name] To The Committee",
        ),
    ],
)
def test_titles_relatives_and_first_words(text, scrubbed):
    assert scrub(text) == scrubbed


@pytest.mark.parametrize(
    "text",
    [
        # Hausa and Swahili words with a capital: "no water", "peace returned", peoples.
        "Ranar Laraba Babu Ruwa a Sansanin",
        "Salama ta dawo garin mu.",
        "Jiya Gwamna ya ziyarci sansanin mu.",
        "Ƙungiyar Agaji Ta Musulunci ta raba abinci.",
        "Wasomali na Wakongo wanaishi pamoja.",
        "Tunaishi kwenye Kakuma tangu 2019.",
        # Emphasis and headlines made of ordinary words, even one a name list holds.
        "Aquí Nadie Dice Nada, todo sigue igual.",
        "Cortes De Luz Toda La Semana",
        "Sin Agua Ni Luz Desde Enero.",
        # A town after "en", "in"; a place after "Virgen", "Puente"; a market; an app.
        "Vivimos en Florencia desde 2019.",
        "La Virgen del Carmen nos cuida.",
        "Cruzamos el Puente Internacional Francisco de Paula Santander.",
        "Kenyatta Market traders were chased away.",
        "Escribí a la oficina por WhatsApp.",
    ],
)
def test_capitalised_ordinary_words_and_places_stay(text):
    assert scrub(text) == text


# -- Lists of names, a subject before its verb, lower-case cues, peoples and streets ------------


@pytest.mark.parametrize(
    "text, scrubbed",
    [
        # A list whose other members are names: every unknown member, the first one included.
        (
            "Wekulo, Ndanu and Kasiva were sent home from school.",
            "[name], [name] and [name] were sent home from school.",
        ),
        (
            "Ngalula, Kabeya et Mbuyi dorment dehors depuis lundi.",
            "[name], [name] et [name] dorment dehors depuis lundi.",
        ),
        (
            "Yeferson, Brayan y Duvan no tienen colegio.",
            "[name], [name] y [name] no tienen colegio.",
        ),
        (
            "Amukoa, Ngendo na Kasiva walifukuzwa shuleni.",
            "[name], [name] na [name] walifukuzwa shuleni.",
        ),
        (
            "Ladidi, Tani da Zuwaira ba sa zuwa makaranta.",
            "[name], [name] da [name] ba sa zuwa makaranta.",
        ),
        (
            "We saw Chelangat, Jepchirchir and Kiplagat at the clinic.",
            "We saw [name], [name] and [name] at the clinic.",
        ),
        # In a message all in lower case, unknown words before a verb.
        ("awut na deng hawajapata chakula bado", "[name] na [name] hawajapata chakula bado"),
        # First in a sentence, an unknown word before a verb or a subject particle.
        ("Tsalha ya doke ni jiya da dare.", "[name] ya doke ni jiya da dare."),
        ("Yorleidis se fue sin papeles.", "[name] se fue sin papeles."),
        ("Gakuru was beaten at the water point.", "[name] was beaten at the water point."),
        ("Bisimwa ne dort plus chez lui.", "[name] ne dort plus chez lui."),
        ("Kanyoro alipigwa na walinzi jana.", "[name] alipigwa na walinzi jana."),
        ("Kanyoro hajapata msaada.", "[name] hajapata msaada."),
        ("The doctor. Kiwelu came later.", "The doctor. [name] came later."),
        # A title in lower case, a self-introduction after a greeting in lower case.
        ("please ask mr ochuodho about the tank", "please ask mr [name] about the tank"),
        ("the latrine near dr nabwire clinic is full", "the latrine near dr [name] clinic is full"),
        ("salut c'est ngarlem, la pompe est cassée", "salut c'est [name], la pompe est cassée"),
        ("hello its tendai, the water is dirty", "hello its [name], the water is dirty"),
        ("habari ni wanjala, naomba msaada", "habari ni [name], naomba msaada"),
        # A title, then a particle joined to the name.
        ("Le dossier de M. Al-Wardani est bloqué.", "Le dossier de M. [name]-[name] est bloqué."),
        # Hausa kinship words are cues, never names themselves.
        ("Kawuna Danlami ya bata tun jiya.", "Kawuna [name] ya bata tun jiya."),
        ("Surukata Ladi tana asibiti.", "Surukata [name] tana asibiti."),
        ("kawuna danlami ya tafi asibiti jiya", "kawuna [name] ya tafi asibiti jiya"),
        ("Nas Kande ta taimaka mana sosai.", "Nas [name] ta taimaka mana sosai."),
        ("jina langu ni nanjala naomba msaada", "jina langu ni [name] naomba msaada"),
        # Arabic: a relative with "our" + a word ending in ه that is no word; a family; Persian
        # letters.
        ("جارنا شيرزاد مريض منذ أسبوع.", "جارنا [name] مريض منذ أسبوع."),
        ("صديقتي گلاله تحتاج دواء.", "صديقتي [name] تحتاج دواء."),
        ("عائلة الحمداني لم تستلم السلة.", "عائلة [name] لم تستلم السلة."),
        ("الطفلة پروین مريضة.", "الطفلة [name] مريضة."),
        # File and card numbers in groups, street addresses of Colombia, Tanzania, Nigeria.
        ("Ration card KKM-044-19273 was lost.", "Ration card [id] was lost."),
        ("Mi cédula es V-24.817.360 y no aparezco.", "Mi cédula es [id] y no aparezco."),
        # The quarter after a house number goes with it: with it, it points at one door.
        ("Vivo en la Calle 18 # 7-42, barrio La Libertad.", "Vivo en la [address]."),
        ("Vivo en la carrera 15 número 23-40.", "Vivo en la [address]."),
        ("Ninaishi Mtaa wa Msimbazi, nyumba namba 45.", "Ninaishi [address]."),
        ("Ina zaune a gida mai lamba 17, titin Zaria Road.", "Ina zaune a [address]."),
    ],
)
def test_lists_subjects_and_lower_case_cues(text, scrubbed):
    assert scrub(text) == scrubbed


@pytest.mark.parametrize(
    "text",
    [
        # Lists of ordinary words, towns, peoples, networks.
        "Water, food and shelter are needed in Kakuma.",
        "Hakuna maji, chakula na dawa hapa kambini.",
        "Yesterday, Tuesday and Wednesday were bad days.",
        "Movistar y Claro no tienen señal.",
        "Airtel na Vodacom hawana mtandao hapa.",
        "The Dinka and Nuer elders met the committee.",
        "Wasomali na Wanyamulenge wanapewa chakula tofauti.",
        "Wahutu na Watutsi wanapewa chakula tofauti.",
        # Swahili "ya", "za" (of) are no Hausa subject particles; Hausa "ne", "ce" (it is).
        "Neema ya Mungu ni kubwa sana.",
        "Ruwa ya kare a rijiya, muna bukata.",
        "Alheri ne aikin ku, mun gode.",
        "Kyauta ce suka ce, amma sun karbi kudi.",
        "kawuna ya tafi asibiti jiya",
        # A plural verb after one word is a group's, a verb of "we" the writer's.
        "Wanajeshi walitufukuza kambini.",
        "Mafundi wamegoma tangu Jumatatu.",
        "Sote tunaweza kusaidia.",
        "Jami'an tsaro sun kama mu.",
        # An imperative or an abbreviation first is no subject.
        "svp aidez ma famille, nous dormons dehors",
        "Escríbanme a este correo por favor.",
        # "mama" in lower case is a mother, not a title; greetings before ordinary words.
        "Pendo la mama halina mwisho.",
        "bonjour c'est urgent, pas d'eau depuis hier",
        "hello its me again, still no water",
        # Arabic: a family of an ordinary noun, a verb with "him", an adjective before "very",
        # a school or hospital named after a king or a prince, Iraqi "g" and "ch".
        "عائلة الطفل لم تستلم السلة.",
        "أخي ضربه الحارس أمس.",
        "أنا سعيد جدا بالخدمة.",
        "مستشفى الملكة علياء لا يستقبلنا.",
        "جامعة الأمير سلطان بعيدة.",
        "گال المسؤول إن المساعدات جاية.",
        # Streets, zones, an exclamation, numbers that are no file number.
        "La boutique de l'avenue Patrice Lumumba a brûlé.",
        "Barabara ya Nyerere ina maji machafu.",
        "The borehole at Bidibidi Zone 5 is working again.",
        "¡Socorro! Se inundó el albergue anoche.",
        "COVID-19 cases rose in Block 3.",
    ],
)
def test_groups_streets_and_words_that_only_look_like_subjects_stay(text):
    assert scrub(text) == text


def test_the_arabic_vocabulary_ships_ranked_by_frequency():
    """The generated Arabic list: the most frequent words first, a rarer word far down, a
    rare name absent, and the README says where it comes from."""
    ranks = scrubbing._arabic_ranks()
    assert len(ranks) > 100_000
    assert max(ranks[_fold(w)] for w in ("من", "في", "لا")) < 20
    assert ranks[_fold("مريضة")] < scrubbing._ARABIC_FREQUENT < ranks[_fold("غائبة")]
    assert _fold("سلوان") not in ranks
    readme = (ROOT / "collector" / "name_lists" / "README.md").read_text(encoding="utf-8")
    assert "vocabulary_ar.txt.gz" in readme and "everyday_sw_ha.txt" in readme


def test_hausa_hooked_letters_fold_to_plain_ones():
    assert _fold("Ƙungiyar") == _fold("Kungiyar") == "kungiyar"
    assert _fold("ɗan'uwana") == "danuwana"


def test_the_name_lists_ship_with_the_package_and_say_where_they_come_from():
    from importlib import resources

    folder = resources.files("collector").joinpath("name_lists")
    files = [f for f in folder.iterdir() if f.name.endswith(".txt")]
    assert len(files) >= 8
    assert "Provenance" in folder.joinpath("README.md").read_text(encoding="utf-8")
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert "name_lists/*.txt" in pyproject


def test_the_record_s_own_names_are_still_removed_anywhere():
    assert scrub("ALI and ali, not alibaba", ["Ali"]) == "[name] and [name], not alibaba"
    assert scrub("قال وحسن إن", ["علي حسن"]) == "قال [name] إن"


@pytest.mark.parametrize(
    "text, names, scrubbed",
    [
        # Shaped as a verb of the plural, which no list holds: still the record's name.
        ("قال اااوا إنه تعب", ["اااوا"], "قال [name] إنه تعب"),
        ("وصل يكتبوا اليوم", ["يكتبوا حسن"], "وصل [name] اليوم"),
        ("I am Kenya and I need help", ["Kenya Otieno"], "I am [name] and I need help"),
        ("the chief and Imam said", ["Imam Bello"], "the chief and [name] said"),
        ("Sister came with mama Neema", ["Sister Akinyi", "Neema"], "[name] came with mama [name]"),
    ],
)
def test_no_rule_gives_back_the_record_s_own_name(text, names, scrubbed):
    assert scrub(text, names) == scrubbed


@pytest.mark.parametrize(
    "text, scrubbed",
    [
        # Spoken verbs, as the vocabulary of the written language lacks them: the present
        # with "ب", "ك", "د" ("بيقعدو", "كيخدم", "ديتابعون"), the passive with "ات".
        ("الناس بيقعدو في الشارع كل يوم لأن الخيم غرقت", None),
        ("خويا كيخدم فالبني والخدمة قليلة", None),
        ("الحرس ديتابعون الناس عالسيطرة", None),
        ("العيال كانوا نايمين لما اتنهب الدكان", None),
        ("منعرف وين راحوا الجماعة", None),
        # "ما … ش" negates a verb; "ع" (on, to) glued to a frequent word; a town after "من".
        ("بلغنا إنو مرتو وما رجعتش من السوق", None),
        ("نقلوا العيلات عمدرسة البلدة بعد الفيضان", None),
        ("الأسرة جات من دوكري امبارح بالليل", None),
        # After "my children" and a colon, each item of one word is a name.
        ("عيالي: ناجي، صقران، قعشوه، ومرتي لوزة", "عيالي: [name]، [name]، [name]، ومرتي [name]"),
        ("أولادي: مريض، جوعان، تعبان", None),
        # "لينا" is "to us" as much as Lina: a name with a sign only.
        ("الله يخليكم شوفوا لينا حل", None),
        ("بنتي لينا مريضة", "بنتي [name] مريضة"),
        # A name stays one: the vocabulary's word ("نجيب", we bring), a name then "من".
        ("جارنا نجيب ساكن جنبنا", "جارنا [name] ساكن جنبنا"),
        ("أنا رضوان ماكيلا من دوكري", "أنا [name] [name] من [name]"),
        ("أنا Ladu Jomo من كاجوكي", "أنا [name] [name] من [name]"),
    ],
)
def test_spoken_arabic_verbs_and_words_are_no_names(text, scrubbed):
    assert scrub(text) == (text if scrubbed is None else scrubbed)


@pytest.mark.parametrize(
    "text, scrubbed",
    [
        # A health post, a hospital, a police station named after a person: a place, with
        # a word of its kind between ("de salud", "nacional").
        ("el puesto de salud Rosendo Arias Vega cierra a las 3", None),
        ("en el hospital nacional Pedro Ulloa Mora no hay cupos", None),
        ("lo tienen en la comisaría de Augusto Salinas desde el lunes", None),
        ("el centro de salud Luz Marina Paz no tiene vacunas", None),
        ("kituo cha afya Mwembeni hakina dawa", None),
        # A mosque or a hospital named with a full name ("مسجد X Y"); not the next name.
        ("عيادة مسجد مصطفى محمود بتكشف ببلاش", None),
        ("ساكن جنب مسجد خالد وأخوي محمد مريض", "ساكن جنب مسجد خالد وأخوي [name] مريض"),
        # A person stays one after a centre that names nobody.
        (
            "mi hermano está en el centro, se llama Wilson Quiroga",
            "mi hermano está en el centro, se llama [name] [name]",
        ),
    ],
)
def test_places_named_after_people_with_a_word_of_their_kind_between(text, scrubbed):
    assert scrub(text) == (text if scrubbed is None else scrubbed)


@pytest.mark.parametrize(
    "text, scrubbed",
    [
        # Where a kiosk stands, or a survey comment is from, heads the message.
        ("Kiosk Pakelle: no water since Monday", None),
        ("kiosque, Dogdoré: les latrines sont pleines", None),
        ("survey comment Kalobeyi Nord: the road is cut", None),
        # A listed name there is a person; a case note or a call may open with the person.
        ("kiosk Amina: hello, we need soap", "kiosk [name]: hello, we need soap"),
        ("case note Lokudu Kiden: 14, married off", "case note [name] [name]: 14, married off"),
    ],
)
def test_where_a_note_is_from_heads_it(text, scrubbed):
    assert scrub(text) == (text if scrubbed is None else scrubbed)


@pytest.mark.parametrize(
    "text, scrubbed",
    [
        # A relative "of" a lower-case name: whose relative ("la mamá de x y de y").
        ("soy la mamá de yeicol y de dairelis", "soy la mamá de [name] y de [name]"),
        ("je suis la tante de kounkou, elle a fui", "je suis la tante de [name], elle a fui"),
        ("hola soy la mamá de los niños del albergue", None),
        ("la mère de famille est malade", None),
        # A baby, then one word in brackets: its name, unless a word ("(sick)").
        ("el bebé (yordanis) tiene fiebre", "el bebé ([name]) tiene fiebre"),
        ("mtoto (zawadi) anaumwa tangu jana", "mtoto ([name]) anaumwa tangu jana"),
        ("الرضيع (سراج) عنده حمى", "الرضيع ([name]) عنده حمى"),
        ("the baby (sick) cries all night", None),
        # A people or a language before "speaker", "community", apostrophes and all.
        ("caller is a Q'eqchi' speaker from Cobán", None),
        ("we met Wanjiru's people at the gate", "we met [name]'s people at the gate"),
        # After an Arabic name, an "ال" word said of a person is no family name.
        (
            "حالة الطفل سنوسي البالغ من العمر ثماني سنوات",
            "حالة الطفل [name] البالغ من العمر ثماني سنوات",
        ),
        ("الطفلة اليتيمة تحتاج مساعدة", None),
        ("السيدة زهيرة ولدبو المقيمة في الحي", "السيدة [name] [name] المقيمة في الحي"),
        ("اسمي رنا الخطيب من حلب", "اسمي [name] [name] من حلب"),
        ("الممرض أحمد المصري كان لطيفا", "الممرض [name] [name] كان لطيفا"),
        # Everyday Hausa words of farming, conflict and school are no names.
        ("manoma da makiyaya sun yi fada kan gonaki", None),
        ("matan sansani suna son injin nika da rijiya", None),
    ],
)
def test_the_thirty_sixth_to_thirty_ninth_sets_general_misses(text, scrubbed):
    """What the thirty-sixth to thirty-ninth sets missed or took that is no set's own
    (invented names here): lower-case names after a relative and "of", a baby's name in
    brackets, Hausa's everyday words."""
    assert scrub(text) == (text if scrubbed is None else scrubbed)


def test_spoken_verb_forms_leave_out_what_a_list_or_the_vocabulary_holds():
    forms = scrubbing._verb_forms("قعد", "يقعد")
    assert {"قعدت", "قعدنا", "نقعد", "بيقعدو", "كنقعد", "ديقعد", "قعدتش"} <= forms
    assert not any(len(form) < 4 for form in forms)  # names are often that short
    spoken = scrubbing._spoken_words()
    assert "بيقعدو" in spoken and "نجيب" not in spoken


def test_spans_say_where_and_what():
    text = "I am Wanjiru, call 0712/345/678 or w@example.org"
    spans = find(text)
    assert spans == [Span(5, 12, "name"), Span(19, 31, "phone"), Span(35, 48, "email")]
    assert [text[s.start : s.end] for s in spans] == ["Wanjiru", "0712/345/678", "w@example.org"]
    pieces = segments(text)
    assert "".join(piece for piece, _ in pieces) == text
    assert [kind for _, kind in pieces] == [None, "name", None, "phone", None, "email"]


def test_placeholders_already_in_the_text_are_left_alone():
    assert scrub("[name] called [phone] on [date]") == "[name] called [phone] on [date]"
    assert scrub(scrub("I am Amina Yusuf, 0712 345 678")) == "I am [name] [name], [phone]"


def test_an_e_mail_glued_to_a_phone_number_loses_both():
    assert scrub("000 00 00 0@0.org") == "[phone] [email]"


# -- The preview and the server ----------------------------------------------------------------

PLANTED = {
    "names": ["Wanjiru", "Odhiambo", "فاطمة", "الزهراء", "Kiprop", "Chebet"],
    "phones": ["0712/345/678", "sifuri saba moja mbili tatu nne tano sita saba nane"],
    "dates": ["12/03/1987"],
    "addresses": ["14 Moi Avenue"],
}
KIOSK_MESSAGE = (
    "I am Wanjiru Odhiambo, اسمي فاطمة الزهراء. Call 0712/345/678 or sifuri saba "
    "moja mbili tatu nne tano sita saba nane. Born 12/03/1987, 14 Moi Avenue."
)
SURVEY_COMMENT = (
    "My neighbour Kiprop Chebet was turned away <b>twice</b>; his number is "
    "0712/345/678 and he was born 12/03/1987."
)


def planted_values() -> list[str]:
    return [value for values in PLANTED.values() for value in values]


def test_the_preview_highlights_what_is_removed_escaped(hub, db_path):
    add_operator(hub)
    send_feedback(hub.browser("en"), dict(FEEDBACK_ANSWERS, message=KIOSK_MESSAGE))
    [kiosk] = query(db_path, "SELECT uuid FROM records WHERE enumerator_id IS NULL")
    page = signed_in(hub, *OPERATOR).get(f"/sync/preview/{kiosk['uuid']}").text
    assert "<script" not in page.split("<main")[-1]  # no JavaScript needed to see it
    marks = re.findall(r'<mark class="scrub scrub-(\w+)" title="[^"]*">(.*?)</mark>', page)
    found = {(kind, html.unescape(value)) for kind, value in marks}
    assert {
        ("name", "Wanjiru"),
        ("name", "Odhiambo"),
        ("name", "فاطمة"),
        ("name", "الزهراء"),
        ("phone", "0712/345/678"),
        ("date", "12/03/1987"),
        ("address", "14 Moi Avenue"),
    } <= found
    assert ("phone", PLANTED["phones"][1]) in found
    payload = html.unescape(
        re.search(r'<pre class="payload" translate="no">(.*?)</pre>', page, re.S).group(1)
    )
    for value in planted_values():
        assert value not in payload, value

    # A survey comment: markup typed by a person is shown as text, never as markup.
    phone = signed_in(hub)
    own = fill_form(phone, "community_survey", dict(SURVEY_ANSWERS, comments=SURVEY_COMMENT))
    page = phone.get(f"/sync/preview/{own}").text
    assert "<b>twice</b>" not in page and "&lt;b&gt;twice&lt;/b&gt;" in page
    assert re.search(r'<mark class="scrub scrub-name"[^>]*>Kiprop</mark>', page)


def test_no_planted_identifier_reaches_any_byte_of_the_server(hub, central, data_dir, db_path):
    assert (
        collector(
            "enroll",
            "--yes",
            "--server",
            central.url,
            "--code",
            central.enrollment_code(),
            data_dir=data_dir,
        ).exit_code
        == 0
    )
    send_feedback(hub.browser("sw"), dict(FEEDBACK_ANSWERS, message=KIOSK_MESSAGE))
    fill_form(signed_in(hub), "community_survey", dict(SURVEY_ANSWERS, comments=SURVEY_COMMENT))
    assert release_reviewed(hub) == 1  # the kiosk message, read and released by the operator
    result = collector("sync", data_dir=data_dir)
    assert result.exit_code == 0, result.output
    synced = query(central.database, "SELECT answers FROM records")
    assert len(synced) == 2
    texts = [
        json.loads(row["answers"]).get(field) for row in synced for field in ("message", "comments")
    ]
    assert any(
        text and "[name]" in text and "[phone]" in text and "[date]" in text and "[address]" in text
        for text in texts
    )
    raw = all_bytes(Path(central.app.config["DATA_DIR"]))
    for value in planted_values() + ["0712345678", "345/678"]:
        for form in {value, value.replace(" ", "")}:
            assert form.encode() not in raw, form


@pytest.mark.parametrize(
    "text, scrubbed",
    [
        # Streets, camps, schools and stations named after people stay; a head of a quarter
        # is a person.
        ("The Wangari Maathai Road clinic has no nurse.", None),
        ("Mtoto alipotea karibu na Oginga Camp jana.", None),
        ("Radio Tumaini imesema chakula kitakuja.", None),
        ("Shule ya msingi Mzee Kawawa haina maji.", None),
        ("La Calle Morazán está sin luz.", None),
        ("مستشفى عمر بن عبد العزيز مغلق.", None),
        ("شارع جمال عبد الناصر مزدحم جدا.", None),
        (
            "Le chef de quartier Mbarushimana vend les bâches.",
            "Le chef de quartier [name] vend les bâches.",
        ),
        # Initials, "N'", and a French "M." that stays.
        ("K. Odhiambo at the gate refused us.", "[name] at the gate refused us."),
        ("La promotora R. Quisbert no vino el lunes.", "La promotora [name] no vino el lunes."),
        ("Le gardien N'Goran ferme à midi.", "Le gardien [name] ferme à midi."),
        ("M. Kabasele refuse de signer.", "M. [name] refuse de signer."),
        # Family titles in lower case, a possessive between; Swahili verbs of things.
        ("mama yangu wanjiku ni mgonjwa", "mama yangu [name] ni mgonjwa"),
        ("Kadi yangu ya chakula imepotea.", None),
        ("baba yake oyugi hana kazi", "baba yake [name] hana kazi"),
        ("Amani na Furaha zimerudi kijijini.", None),
        # A name first, then "the chairman", ", la enfermera," or "and her children".
        ("Tsehaynesh the chairman keeps the keys.", "[name] the chairman keeps the keys."),
        ("Anahí, la enfermera, nos ayudó.", "[name], la enfermera, nos ayudó."),
        ("Gulnora and her children sleep outside.", "[name] and her children sleep outside."),
        ("Kibwana a volé les chèvres.", "[name] a volé les chèvres."),
        # A town after a verb of going; a club; a name in Latin letters after an Arabic relative.
        ("Llegamos ayer a Riohacha con los niños.", None),
        ("Arsenal and Chelsea fans fight at the hall.", None),
        ("جاري Karzan Barzani مريض.", "جاري [name] [name] مريض."),
        ("صفوان وعكاب من نفس العشيرة.", "[name] [name] من نفس العشيرة."),
        # Addresses: the building, then the street, and the landmark by the door with them.
        ("Tunakaa Plot 9 Kisoro Lane, karibu na soko.", "Tunakaa [address]."),
        ("أسكن في شارع ٧، بناية ١٢، قرب الجامع.", "أسكن في [address]."),
        ("Numéro de carte 581-07K33190 perdu.", "Numéro de carte [id] perdu."),
        (
            "Tunaishi Plot 4 Kabwe Close, Kiwatule na mwenye nyumba anataka kutufukuza.",
            "Tunaishi [address] na mwenye nyumba anataka kutufukuza.",
        ),
        ("ساكنين في شارع النيل، عمارة ٩، الطابق الأول، حي الربيع", "ساكنين في [address]"),
        # Round eleven: particles, lists and family names in Arabic, signatures, dialect.
        (
            "My neighbour Oumar ag Alhassane was beaten.",
            "My neighbour [name] [name] [name] was beaten.",
        ),
        (
            "Gracias a Yesenia de la Hoz por todo.",
            "Gracias a [name] [name] [name] [name] por todo.",
        ),
        (
            "Thanks to nurse van Damsteegt for the night.",
            "Thanks to nurse [name] [name] for the night.",
        ),
        ("فاطمة ورويدة وشمسة ما استلموا السلة", "[name] [name] [name] ما استلموا السلة"),
        ("بطاقة باسم شمسة العبادي ضاعت", "بطاقة باسم [name] [name] ضاعت"),
        ("يخرج باسم مستعار.", None),
        ("rappelez-moi demain, c'est tassadit", "rappelez-moi demain, c'est [name]"),
        (
            "gulrukh sadozai and his friends broke the tap",
            "[name] [name] and his friends broke the tap",
        ),
        ("بزاف ديال الناس ما خداوش الكارطة", None),
        ("Wakati wa Idd watoto hawakupata nguo.", None),
        ("Kambi ya Kutupalong imejaa sana.", None),
        # Round twelve: sign-offs, thanks, relatives of, spoken Arabic, feasts, Hausa "of".
        ("Nobody came to fix the pump. Chidinma", "Nobody came to fix the pump. [name]"),
        (
            "Mi número es tres uno dos, cuatro cinco. Dairon",
            "Mi número es tres uno dos, cuatro cinco. [name]",
        ),
        ("Signé : Agali Mahamadou, secteur C", "Signé : [name] [name], secteur C"),
        ("thank u Cathal Mulcahy for the tent", "thank u [name] [name] for the tent"),
        ("mtoto wa kemunto hajaenda shule", "mtoto wa [name] hajaenda shule"),
        ("شكرا كتير رغد على المساعدة", "شكرا كتير [name] على المساعدة"),
        ("أنا حمودي من مخيم بر الياس", "أنا [name] من مخيم بر الياس"),
        (
            "Alirio, Libardo y Emiro se fueron por la trocha",
            "[name], [name] y [name] se fueron por la trocha",
        ),
        ("Mwezi wa Ramadhani chakula kilichelewa", None),
        ("Rahama ta Allah ce kawai", None),
        ("Likitan asibiti ya ce babu magani", None),
        ("the nurse said no drugs today", None),
        ("ساكنين في شارع المطران، بناية الورد، قرب الكنيسة", "ساكنين في [address]"),
    ],
)
def test_places_named_after_people_initials_and_appositions(text, scrubbed):
    """Round eight: names in shapes the blind sets showed, places made of names kept."""
    assert scrub(text) == (text if scrubbed is None else scrubbed)


@pytest.mark.parametrize(
    "text, scrubbed",
    [
        # Enumerators' shorthand for the person they spoke to, in each language.
        (
            "Resp. name Tumaini Kashindi, 5 members in block 3.",
            "Resp. name [name] [name], 5 members in block 3.",
        ),
        ("HH head: rukia mwanaisha, needs soap", "HH head: [name] [name], needs soap"),
        ("Appelante Furaha Bisimwa, pas de numéro.", "Appelante [name] [name], pas de numéro."),
        ("Responsable: Yurleidy Cangá.", "Responsable: [name] [name]."),
        (
            "رب الأسرة: شمسان عبده قاسم الحبيشي، نازح من تعز.",
            "رب الأسرة: [name] [name] [name] [name]، نازح من تعز.",
        ),
        ("Resp. (Nurjahan, 37) asks for soap.", "Resp. ([name], 37) asks for soap."),
        ("Caller (male, 50s) asked about soap.", None),
        # A nickname in quotes, the real name in brackets.
        ("'Kipara' (Omari Seif Mbwana) hakuja leo.", "'[name]' ([name] [name] [name]) hakuja leo."),
        (
            "«الأعرج» (صالح مقبل الزبيدي) سرق البطانيات.",
            "«[name]» ([name] [name] [name]) سرق البطانيات.",
        ),
        # Whose mother; a relative then a lower-case name at the end of a phrase.
        ("visited kavira's mother near the well", "visited [name]'s mother near the well"),
        ("We waited near Kaweesa's house.", "We waited near [name]'s house."),
        ("ina neman dan uwana bukkar", "ina neman dan uwana [name]"),
        ("ina neman dan uwana, ba mu gan shi ba", None),
        # A name in the other script.
        ("الاسم المسجل Nabil Al-Qadasi في الكشف.", "الاسم المسجل [name] [name]-[name] في الكشف."),
        ("تم تحويل بنت Salwa Al-Maqtari للمستشفى.", "تم تحويل بنت [name] [name]-[name] للمستشفى."),
        (
            "Malam ya rubuta sunansa da ajami: بوكار كاشيما.",
            "Malam ya rubuta sunansa da ajami: [name] [name].",
        ),
        ("Firma como Wilmer Caicedo.", "Firma como [name] [name]."),
        (
            "Le dicen 'Ti Jocelyn' pero se llama Jocelyn Pierre.",
            "Le dicen 'Ti [name]' pero se llama [name] [name].",
        ),
        # A camp's shelter and block, a corner of two streets: one door.
        ("Shelter 12, Block C-3, Camp 18.", "[address]."),
        ("anaishi Block 9, Nyumba 40, Kambi ya Lomogol.", "anaishi [address]."),
        ("Calle Olmedo y Rocafuerte, casa 88, barrio El Placer.", "[address]."),
        ("The water point in block 4 is dry.", None),
        # After "in", "from", "hapa", "de", "daga", "من", an unlisted word is a place...
        ("Caller from Garbatulla asked about the food.", None),
        ("Hakuna maji hapa Lomogol tangu jana.", None),
        ("kadi yangu ya mgao iko Lokupe, nifanyeje?", None),
        ("Bei ya sukari imepanda sokoni Lomogol.", None),
        ("Au site de Kibabi il n'y a pas de latrines.", None),
        ("Il habite à Kabare depuis mars.", None),
        ("Yana a Gubio tun bara.", None),
        ("Llegaron por el Tapón anoche.", None),
        (
            "Je suis Mwavita Bulambo, de Kabare, mon mari est malade.",
            "Je suis [name] [name], de Kabare, mon mari est malade.",
        ),
        ("أنا نازح من مونغونو مع أولادي.", None),
        ("Refugees from Kiwanja arrived last week.", None),
        ("Les déplacés de Rutshuru manquent d'eau.", None),
        ("La gente de Tibú no tiene agua.", None),
        # ...but "from", "de" and "من" also say from whom: a word no list knows after them
        # is a place only after a word for coming, living or a place (safety first).
        ("We got food from Kaweesa yesterday.", "We got food from [name] yesterday."),
        (
            "I received threats from Odongo at the market.",
            "I received threats from [name] at the market.",
        ),
        ("La fille de Mbarushimana est malade.", "La fille de [name] est malade."),
        ("أنا كاكا بولاما من مونغونو.", "أنا [name] [name] من [name]."),
        # ...unless a person cue says whose: a letter from, the part of, children of, to.
        ("A letter from Kasongo Mwamba arrived.", "A letter from [name] [name] arrived."),
        ("Nimepokea ujumbe kutoka kwa Mutoni jana.", "Nimepokea ujumbe kutoka kwa [name] jana."),
        ("Merci à Nsimire pour les bâches.", "Merci à [name] pour les bâches."),
        (
            "Les enfants de Bisimwa Chirhuza ne vont pas à l'école.",
            "Les enfants de [name] [name] ne vont pas à l'école.",
        ),
        ("De la part de Cikuru Mapendo, merci.", "De la part de [name] [name], merci."),
        ("تمت الإحالة إلى سندس الحكيمي اليوم.", "تمت الإحالة إلى [name] [name] اليوم."),
        # Peoples, places named after people, words in capitals, acronyms, feasts.
        ("Les Bembe et les Fuliiru sont arrivés hier.", None),
        ("Near Bilal Masjid the tap is broken.", None),
        ("The Ahmed Gurey clinic has no drugs.", None),
        ("Sheikh Abdiqani clinic referral was refused.", None),
        ("FOOD is finished and WATER too.", None),
        ("NGOs and IDPs met today at the office.", None),
        ("No distribution on Friday because of Jummah.", None),
        ("Hali ya usalama ni mbaya.", None),
        ("Mama Aisha said HOPE is all we have.", "Mama [name] said HOPE is all we have."),
    ],
)
def test_locatives_shorthand_nicknames_and_other_scripts(text, scrubbed):
    """Round thirteen: where, not who, after a locative; how enumerators write names."""
    assert scrub(text) == (text if scrubbed is None else scrubbed)


# -- Round fourteen: a model of name shapes, and rules learnt from the eleventh set ---------

sys.path.insert(0, str(ROOT / "collector" / "name_lists"))

import make_name_model  # noqa: E402


def test_the_name_model_ships_small_and_loads():
    """The model file is small, every line a letter group and a number, and the scrubber
    reads it: names of our regions look like names, ordinary words do not."""
    path = ROOT / "collector" / "name_lists" / make_name_model.MODEL
    assert path.stat().st_size < 2_000_000
    model = scrubbing._name_model()
    assert len(model) > 10_000
    assert all(1 <= len(g.strip("^$")) <= 4 for g in model)
    assert scrubbing._name_shape("wanjiru") > 0 > scrubbing._name_shape("kitchen")
    assert scrubbing._name_shape("قاتلواك") >= scrubbing._NAME_SHAPE["arabic"]
    assert scrubbing._name_shape("الحكومة") < scrubbing._NAME_SHAPE["arabic"]


def test_the_name_model_is_deterministic():
    """The same lists give the same model: two trainings on one seeded sample are equal,
    and the letter groups come sorted (the file's bytes then do not change)."""
    names, words = make_name_model.sources()
    pick = lambda groups: {k: set(sorted(v)[::40]) for k, v in groups.items()}  # noqa: E731
    first = make_name_model.train(pick(names), pick(words))
    second = make_name_model.train(pick(names), pick(words))
    assert first == second and list(first) == sorted(first)


def test_held_out_names_score_above_held_out_words():
    """Trained without a seeded tenth of the names and of the words, the model scores those
    names above those words on average, in both scripts, and ranks a held-out name above a
    held-out word in most pairs (docs/benchmarks.md gives the full figures)."""
    scored = make_name_model.held_out(limit=3000)
    for arabic in (False, True):
        names = [v for _, w, v in scored["name"] if scrubbing._is_arabic(w) == arabic]
        words = [v for _, w, v in scored["word"] if scrubbing._is_arabic(w) == arabic]
        assert sum(names) / len(names) > sum(words) / len(words) + 0.3, arabic
        assert make_name_model._pairs(names, words) > 0.8, arabic


@functools.lru_cache(maxsize=1)
def _known_words_most_like_names() -> tuple[str, ...]:
    """Scored once for every case below: the vocabulary's and the gazetteer's words."""
    vocabulary = _most_name_like(scrubbing._vocabulary())
    return tuple(vocabulary + _most_name_like(scrubbing._gazetteer()))


def _most_name_like(words, count: int = 60) -> list[str]:
    """The lower-case Latin words of a list that the model finds most like names (less those
    a name list holds: "mohammad" is in the vocabulary too, and a name)."""
    names = scrubbing._name_list() | scrubbing._AFRICAN_NAMES | scrubbing._AMBIGUOUS_NAMES
    latin = sorted(
        w for w in words if w.isalpha() and w.isascii() and len(w) >= 4 and w not in names
    )
    return sorted(latin, key=lambda w: (-scrubbing._name_shape(w), w))[:count]


# Where the rules ask the model about a word. One test for all: finding the words takes
# seconds, which each test process would spend again.
_MODEL_TEMPLATES = (
    "nimesikia kutoka kwa {w} kwamba chakula kimefika",
    "na ji daga wurin {w} cewa za a raba abinci",
    "muhamadi na {w} ndio viongozi wa block",
    "{w} na {w} ndio viongozi wa block",
    "our chairman {w} is selling soap",
    "on dort dehors à {W} depuis janvier",
)


def test_the_model_never_turns_a_town_or_a_word_into_a_name():
    """The words of our vocabularies and the towns of GeoNames that look most like names to
    the model, and that no name list holds, stay where it is asked (the rules ask it only
    about words no list knows)."""
    for template in _MODEL_TEMPLATES:
        for word in _known_words_most_like_names():
            text = template.format(w=word, W=word.capitalize())
            found = [text[s.start : s.end].casefold() for s in find(text) if s.kind == "name"]
            assert word not in found, text


@pytest.mark.parametrize(
    "text, scrubbed",
    [
        # The model: lower-case names after "kutoka kwa", "daga wurin", in lists, after a
        # word for a person, where no list knows them...
        (
            "nimepata habari kutoka kwa chausiku kwamba mgao umechelewa",
            "nimepata habari kutoka kwa [name] kwamba mgao umechelewa",
        ),
        (
            "na samu labari daga wurin ladiyo cewa an rufe kasuwa",
            "na samu labari daga wurin [name] cewa an rufe kasuwa",
        ),
        ("zuberi na rehema ndio walinzi wa kisima", "[name] na [name] ndio walinzi wa kisima"),
        ("akwai jummai da larai a cikin tanti", "akwai [name] da [name] a cikin tanti"),
        (
            "our chairman ongwech is keeping the tarpaulins",
            "our chairman [name] is keeping the tarpaulins",
        ),
        ("تهديد من أكول دينق كل يوم", "تهديد من [name] [name] كل يوم"),
        ("جارنا ongwech مريض من أمس", "جارنا [name] مريض من أمس"),
        (
            "jirani yangu ni msudani, jina lake دينق, anaomba msaada",
            "jirani yangu ni msudani, jina lake [name], anaomba msaada",
        ),
        (
            "moi c aminata traoré, je vends du poisson au marché",
            "moi c [name] [name], je vends du poisson au marché",
        ),
        # ...but not things, peoples or nationalities in lists, nor a word after "chairman".
        ("tunahitaji unga na mafuta na sukari", None),
        ("tunalima mihogo na viazi vitamu", None),
        ("muna bukatar shinkafa da wake da mai", None),
        ("Los hondureños y guatemaltecos hacemos fila.", None),
        ("our chairman also keeps the keys", None),
        ("ما في internet بالمخيم من أمس", None),
        ("Moi c'est bon, merci.", None),
        ("Tuliona Lake Albert jana.", None),
        # "à" and Hausa "a" before a place with no verb of living; a person after "merci
        # à", "donné à", "dites à"...
        ("On dort dehors à Gandafabou depuis janvier.", None),
        ("Les VDP ont blessé trois jeunes à Djibasso hier.", None),
        ("an kai hari a Djibasso ranar Litinin", None),
        ("Merci à Nsimire pour son aide.", "Merci à [name] pour son aide."),
        ("J'ai donné l'argent à Kabuo hier.", "J'ai donné l'argent à [name] hier."),
        ("Dites à Kabuo que la réunion est demain.", "Dites à [name] que la réunion est demain."),
        # "from" after the police, a mayor, a village, a people, a refugee: a place...
        ("Police from Kiryandongo did nothing.", None),
        ("El alcalde de Chajul no vino a la reunión.", None),
        ("La aldea de San Juan Cotzal no tiene agua.", None),
        ("Los garífunas de Punta Gorda piden ayuda.", None),
        ("Mun zo daga Djibasso jiya.", None),
        ("tulikuja kutoka Kagunga mwaka jana", None),
        ("mkimbizi kutoka Kagunga anaomba msaada", None),
        ("وصلنا ربك أمس والحمد لله", None),
        (
            "Ni ne Ladi Tanko daga Djibasso, muna bukatar ruwa.",
            "Ni ne [name] [name] daga Djibasso, muna bukatar ruwa.",
        ),
        (
            "اسمي ريم بشير، من دارفور، ساكنة بالمخيم",
            "اسمي [name] [name]، من دارفور، ساكنة بالمخيم",
        ),
        # ...threats from a person stay a person's ("daga", "kutoka" as "from").
        (
            "barazana daga Tankari, yana cewa ba za mu sha ruwa ba",
            "barazana daga [name], yana cewa ba za mu sha ruwa ba",
        ),
        (
            "I received threats from Odongo at the market.",
            "I received threats from [name] at the market.",
        ),
        ("Gracias a Yuleisy de la ONU por la visita.", "Gracias a [name] de la ONU por la visita."),
        # Addresses of Mozambique, Burkina Faso, Iraq and Honduras, with their quarter.
        ("They stay at House 9, Rua 12, bairro Chiuba, Pemba.", "They stay at [address]."),
        ("ninaishi Bairro Natite, Rua 7, nyumba namba 12, Pemba", "ninaishi [address]"),
        (
            "Ina zaune a Rue 17.31, Porte 45, Secteur 9, Bobo-Dioulasso, babu ruwa.",
            "Ina zaune a [address], babu ruwa.",
        ),
        (
            "ساكنين محلة ٧١٢، زقاق ٩، دار ٥، الكرادة، والكهرباء مقطوعة",
            "ساكنين [address]، والكهرباء مقطوعة",
        ),
        (
            "Vivo en Calle 4, casa 22, Colonia Las Brisas, Choloma y tengo miedo.",
            "Vivo en [address] y tengo miedo.",
        ),
    ],
)
def test_name_shapes_places_after_from_and_addresses(text, scrubbed):
    """Round fourteen: the model of name shapes where the rules hesitate; where, not who,
    after "à", "from" and "daga"; addresses with a door number."""
    assert scrub(text) == (text if scrubbed is None else scrubbed)


@pytest.mark.parametrize(
    "text, scrubbed",
    [
        # Places after verbs of going and coming, "from X to Y", a word of time before "à"...
        ("Tumetoka Lugufu kwenda Mkugwa, hakuna maji.", None),
        ("Dimanche dernier à Nzoro la police est venue.", None),
        ("Nous venons de Befotaka, il n'y a plus de riz.", None),
        ("I am from Bukkuyum and bandits took our goats.", None),
        ("Daga Kaiama zuwa Bukkuyum hanya ba kyau.", None),
        ("We came from Lugufu to Mkugwa by lorry.", None),
        ("Santa Rosa y Guapilí están llenos.", None),
        # ...peoples, schools, streets and heads named after places or people...
        ("Les Tanala et les Sakalava sont servis en dernier.", None),
        ("L'EPP Rainibetsimisaraka d'Ampanihy n'a pas de maître.", None),
        ("The school on Tafawa Balewa Way has no teacher.", None),
        ("Hakimin Gummi ya ce sai mun biya.", None),
        ("Ranar Laraba mutanen Dansadau ba su samu abinci ba.", None),
        ("أنا من معسكر قريضة وما عندي أوراق", None),
        ("جينا من دير حافر وما في مي بالمخيم", None),
        ("وساكن بعنجر من سنتين", None),
        # ...words of spoken Arabic, ordinary words that are names, a ration card.
        ("ابعتولي الورق على الواتس", None),
        ("الولاد ما عندهم هدوم للشتا", None),
        ("سلامة الولاد أهم شي", None),
        ("ضاعت بطاقة تموينية", None),
        ("Usalama ni mdogo, Amani hakuna.", None),
        ("Kadi ya mgao imepotea.", None),
        # A pilgrim's title stays, the name after it goes; a girl of the family stays.
        ("Please call Hajji Zabihullah on 0300 1234567.", "Please call Hajji [name] on [phone]."),
        ("Hadjé Halimé dit merci.", "Hadjé [name] dit merci."),
        ("Yarinyarmu Jamilatu ta ɓata tun jiya.", "Yarinyarmu [name] ta ɓata tun jiya."),
        # Names: after "husband", a list before a verb, a subject of "a vu", after a verb of
        # harm, "the Afghan woman", before ", he is", before ", wife of", from a part of a camp.
        ("pls help, husband gulbuddin is in jail", "pls help, husband [name] is in jail"),
        (
            "razanajatovo et andriamihaja n'ont rien reçu",
            "[name] et [name] n'ont rien reçu",
        ),
        (
            "rukayya da hasana an kore su daga makaranta",
            "[name] da [name] an kore su daga makaranta",
        ),
        ("Rakotobe a vu les voleurs hier.", "[name] a vu les voleurs hier."),
        ("العسكري ضرب تيجاني قدام الجامع", "العسكري ضرب [name] قدام الجامع"),
        ("المرة الأفغانية شيرینه ما عندها أوراق", "المرة الأفغانية [name] ما عندها أوراق"),
        ("الكلام من بخيتان قرنيش، هو شيخ الحلة", "الكلام من [name] [name]، هو شيخ الحلة"),
        ("Abinci ya zo daga Ummuhani, matar Dagaci.", "Abinci ya zo daga [name], matar Dagaci."),
        ("La lettre vient de Rasoamanana, le maire.", "La lettre vient de [name], le maire."),
        (
            "Ekalale from zone D said the pump is broken.",
            "[name] from zone D said the pump is broken.",
        ),
        # Safety first: a title or a name after "mutanen", "from X to" a verb, "to" a name.
        ("mutanen Alhaji Garba sun zo", "mutanen Alhaji [name] sun zo"),
        ("We got food from Kaweesa to share.", "We got food from [name] to share."),
        (
            "Money came from Kakuma to Amina last week.",
            "Money came from Kakuma to [name] last week.",
        ),
        ("ضربوا الأولاد قدام المدرسة", None),
        # Addresses: Madagascar's lots, Colombia's quarters, a camp's zone, a building named.
        ("J'habite lot IV B 12 ter Ampanihy depuis mars", "J'habite [address] depuis mars"),
        ("vivo en la Carrera 9 # 4-21 barrio El Firme, Timbiquí", "vivo en la [address]"),
        (
            "Tunaishi Kitalu 3, nyumba namba 41, zoni 2 Karago, hakuna choo",
            "Tunaishi [address], hakuna choo",
        ),
        (
            "ساكنين ببناية الدباغ، الطابق الأول، شارع السوق، تعنايل، والمي مقطوعة",
            "ساكنين [address]، والمي مقطوعة",
        ),
    ],
)
def test_places_where_one_goes_spoken_arabic_and_pilgrims(text, scrubbed):
    """Round fifteen: where, not who, after verbs of going and coming, "from X to Y", a word
    of time before "à", "the people of", a school's acronym; spoken Arabic words and things
    that are names ("مي", water); names after strong cues whatever their ending; more
    addresses. Safety first: a title or a listed name after such words stays a name."""
    assert scrub(text) == (text if scrubbed is None else scrubbed)


@pytest.mark.parametrize(
    "text, scrubbed",
    [
        # A caller signs on first ("X here, …", "X ici", "X hapa", "X nan", "معكم X")...
        ("Lomuria here, my number is 0722 918 304", "[name] here, my number is [phone]"),
        ("Bakambu ici, appelez-moi au 0991 223 447", "[name] ici, appelez-moi au [phone]"),
        ("Shujaa hapa, nipigie 0788 123 456", "[name] hapa, nipigie [phone]"),
        ("Kalmouna nan, lambata 0803 555 1212", "[name] nan, lambata [phone]"),
        ("معكم نصر، رقمي ٠٧٧٧١٢٣٤٥٦", "معكم [name]، رقمي [phone]"),
        ("Ixchel Cac aquí, mi cel es 5512 3344", "[name] [name] aquí, mi cel es [phone]"),
        # ...lower-case names in a list before its verb, "X ne yake", after a relative...
        (
            "mumbere et kahambu n'ont pas reçu la farine à Kasindi",
            "[name] et [name] n'ont pas reçu la farine à Kasindi",
        ),
        ("bukar da lokwang da mairam sun koma gida", "[name] da [name] da [name] sun koma gida"),
        (
            "habibou ne yake raba katin abinci a Tessaoua",
            "[name] ne yake raba katin abinci a Tessaoua",
        ),
        ("Dada yangu kavugho alipotea sokoni Uvira", "Dada yangu [name] alipotea sokoni Uvira"),
        ("Mon frère kasereka est malade depuis lundi", "Mon frère [name] est malade depuis lundi"),
        (
            "Mi sobrino tzunux salió a trabajar y no volvió",
            "Mi sobrino [name] salió a trabajar y no volvió",
        ),
        ("أخي إدريس وارسمة مريض في لاسعانود", "أخي [name] [name] مريض في لاسعانود"),
        # ...addresses with "namba", "kata ya", "titi na", a quarter first; a Somali aunt.
        (
            "Anwani yangu ni Avenue Kasavubu namba 9, kata ya Nyamilima, Uvira",
            "Anwani yangu ni [address]",
        ),
        ("Adireshi: Quartier Toudou, titi na 12, gida 7, Tessaoua", "Adireshi: [address]"),
        (
            "Please tell Hooyo Faadumo the money arrived",
            "Please tell Hooyo [name] the money arrived",
        ),
        # Places named after people: districts, checkpoints, schools, a maternity ward,
        # quarters ("الشيخ", "حارة", "دار"); a town after a full name and "de"; feasts,
        # months, Hausa "Sabon X"; peoples and where they live; virtues; "far from",
        # "the sick of", "nimekaa X", "X camp"; "we come from X Y and from Z"; a price.
        ("I live in Galool Dhere district near the market.", None),
        ("The soldiers at Sheikh Omar checkpoint take money.", None),
        ("Sheikh Bashir primary school has no roof.", None),
        ("La maternité Hawaou Issoufou est fermée le dimanche.", None),
        ("نحن من الشيخ زوبير، ما في كهرباء", None),
        ("ساكنين في حارة القاسمي من سنتين", None),
        ("شكوى على المسؤول في دار سعاد", None),
        (
            "Je suis Maimouna Yakouba de Tondikiwindi, nous avons faim",
            "Je suis [name] [name] de Tondikiwindi, nous avons faim",
        ),
        ("En Viernes Santo no hubo distribución.", None),
        ("Mun taso daga Sabon Birni zuwa Tessaoua a watan Zulhaji", None),
        ("Wadinka wa Akobo wanahitaji chakula", None),
        ("Hausa da Tubu da Kwerekwe suna zaune tare", None),
        ("Sakina and peace is what we need now", None),
        ("Tumekaa Lushebere bila hema tangu Januari", None),
        ("The clinic is too far from Lagdera for old people", None),
        ("Les malades de Komanda ne trouvent pas de médicaments.", None),
        ("Ils vivent au site de Plaine Nyamilima sans abri.", None),
        ("La maternité coûte 25000 FCFA pour un accouchement.", None),
        ("أنا زوبير من باليخالي مخيم ٣", "أنا [name] من باليخالي مخيم ٣"),
        ("Nous venons de Omar Jagga et de Tadjourah.", None),
        # Safety first: a person after a verb of contact, before "school fees", after a
        # letter "from the sheikh"; Spanish married names with "de"; no sign-on without a
        # comma after a town or an ordinary word; relatives and ordinary words stay.
        (
            "Please pay Nyokabi school fees before Monday",
            "Please pay [name] school fees before Monday",
        ),
        ("Tell Kavira clinic is closed", "Tell [name] clinic is closed"),
        ("Ask Mama Ngalula market women about it", "Ask Mama [name] market women about it"),
        ("رسالة من الشيخ زوبير وصلت أمس", "رسالة من الشيخ [name] وصلت أمس"),
        ("Soy Ixchel Pérez de Tepeu y vivo aquí", "Soy [name] [name] [name] [name] y vivo aquí"),
        ("Life here, is hard for everyone.", None),
        ("Uvira ici, la situation est grave.", None),
        ("Mke wangu mgonjwa, hakuna dawa", None),
        ("shinkafa da wake sun kare a Tessaoua", None),
        ("أختي سعاد وزوجها مريض", "أختي [name] وزوجها مريض"),
    ],
)
def test_sign_ons_lists_relatives_and_places_named_after_people(text, scrubbed):
    """Round sixteen: a name that signs a message on, lower-case names in lists and after a
    relative in every language, a second Arabic name with "و" after a relative, two address
    shapes; places, feasts and peoples that are made of names stay (invented names and
    places, in both directions; none of them is in a labelled set)."""
    assert scrub(text) == (text if scrubbed is None else scrubbed)


@pytest.mark.parametrize(
    "text, scrubbed",
    [
        # Names (recall): spoken Arabic names the vocabulary's shapes took for inflected words,
        # after "اسمي", "باسم" and "أنا"; an article joined by a hyphen; a relative described
        # after a name; Quechua ejectives; "llamante"; a titled name before Hausa "na".
        ("اسمي حليمو اعبيدات، نازحة في مخيم الطويل", "اسمي [name] [name]، نازحة في مخيم الطويل"),
        ("باسم اسليمه اعمينات.", "باسم [name] [name]."),
        ("أنا زعيفه، مطلقة، وعندي ثلاث بنات", "أنا [name]، مطلقة، وعندي ثلاث بنات"),
        ("أنا تعبانه، ما في شغل", None),
        ("Mon oncle Al-Moukhtaribi est malade", "Mon oncle [name]-[name] est malade"),
        ("Wabekonu, mi nieto de 6 años, está enfermo", "[name], mi nieto de 6 años, está enfermo"),
        ("Chimaltepec, mi pueblo, está lejos", None),
        ("mi abuelo k'allpani está enfermo", "mi abuelo [name] está enfermo"),
        (
            "Operadora: llamante Quispealaya Huamanñahui pide ayuda",
            "Operadora: llamante [name] [name] pide ayuda",
        ),
        ("Malam Dakwom na makarantar Bukuru ya tafi", "Malam [name] na makarantar Bukuru ya tafi"),
        ("Dr Kangkum na asibitin Jos ya taimaka", "Dr [name] na asibitin Jos ya taimaka"),
        ("Mu 'yan Dauda ne", "Mu 'yan [name] ne"),
        # Addresses: the number's own word before the house, a Peruvian jirón and its district.
        (
            "Vivo en Jr. Las Palmeras 512, San Juan de Lurigancho, sin agua.",
            "Vivo en [address], sin agua.",
        ),
        (
            "I live at No. 9 Tafawa Road, Kubwa, with my children.",
            "I live at [address], with my children.",
        ),
        # Precision: where people are from or live, in spoken Arabic ("ف" alone is "in").
        ("نحن من كيلولو، ما في ماي", None),
        ("ساكنين ف اطويلة، الماي ماكو", None),
        ("مستشفى الملك خالد فاكجوجت ما عنده دوا", None),
        ("بمخيم مام كوران الخيم زينة", None),
        # Spoken verbs and words: "كاع" (all), "عطشت" (went thirsty), "شتريد" (what do you
        # want), "نشتغلو" (we work), "اللي" (who), "مسجون" (jailed) after a name.
        ("الناس كاع عطشت", None),
        ("ماكو شي بالسوق، شتريد نسوي؟", None),
        ("نشتغلو فالسوق كل يوم", None),
        ("ابن خالي جمعان مسجون من شهرين", "ابن خالي [name] مسجون من شهرين"),
        ("الحاج حمدين اللي يبيع الخبز", "الحاج [name] اللي يبيع الخبز"),
        # "عمري" (my age) before a number; the name after a relative still goes.
        ("عمري ٤٢ سنة", None),
        ("عمره ستة عشر سنة", None),
        ("ابني عمري مريض", "ابني [name] مريض"),
        # French: "à" in a clause after "dit que", the quarter's name after "chef de village
        # de", "j'habite X", a town after a titled name, after an acronym, a block's site.
        ("on nous a dit que la vaccination à Kabolo est annulée", None),
        ("Le chef de village de Ngoulmendé dit que le puits est sec", None),
        ("j'habite Tilla-Boro depuis 2019", None),
        (
            "Mme Nkoulou de Bertoua dit que le forage est cassé",
            "Mme [name] de Bertoua dit que le forage est cassé",
        ),
        ("Le directeur du CSI de Tibiri refuse de nous recevoir", None),
        (
            "appelante Mme Zoungrana, Koupéla, signale un vol",
            "appelante Mme [name], Koupéla, signale un vol",
        ),
        ("ici Tapsoba, bloc 7 Tougouri. Pas d'eau.", "ici [name], bloc 7 Tougouri. Pas d'eau."),
        # Hausa and Swahili: from a place we came, "ne daga", a people, "da ke", "mai unguwa na".
        ("Daga Kwande muka taho, babu abinci.", None),
        ("ni mahauci ne daga Pankshin", None),
        ("Su 'yan Tangale ne daga Billiri", None),
        ("Asibitin Kwararru da ke Lafia ba ta da magani", None),
        ("Mai unguwa na Kabong Tudu yana karbar kudi daga mutane, ba mu da abinci", None),
        ("Huko Ifo Mbili maji hayapo", None),
        ("Wanawake walikuja Muhoroni jana", None),
        ("Hii SI HAKI kabisa", None),
        # English: virtues said as such, a town after a camp, a feast after "since", a saint.
        ("Peace and Faith is what we pray for", None),
        ("Blessing to all the nurses", None),
        ("I met Faith and Blessing at the clinic", "I met [name] and [name] at the clinic"),
        ("Caller in Kawergosk camp, Darashakran. No water.", None),
        ("no water since Eid, children sick", None),
        ("Children sleep in St. Bakhita's school", None),
        # Older false positives: a verb with its pronoun after a sign-on, a plural of a word.
        ("hola, Yuldoria aquí, llámame al 0987 654 321", "hola, [name] aquí, llámame al [phone]"),
        (
            "Teachers, Nurses and Wanyonyi were not paid.",
            "Teachers, Nurses and [name] were not paid.",
        ),
    ],
)
def test_spoken_arabic_names_towns_and_places_where_people_live(text, scrubbed):
    """Round seventeen: spoken Arabic names ending as inflected words do, names joined to
    an article by a hyphen or described as a relative; towns and sites after "ف", "من",
    "à", "de", "da ke", "daga", a camp or a block; spoken Arabic verbs; virtues, feasts
    and plurals of words (invented names and places, in both directions; none of them is in
    a labelled set)."""
    assert scrub(text) == (text if scrubbed is None else scrubbed)


@pytest.mark.parametrize(
    "text, scrubbed",
    [
        # Recall: a family listed after a relative or a plural of relatives, in lower case too.
        (
            "please help my wife selamawit and kids yonatan, biniam and saron, no food",
            "please help my wife [name] and kids [name], [name] and [name], no food",
        ),
        (
            "watoto wangu ni nshimirimana, irakoze na ndayishimiye, hawana viatu",
            "watoto wangu ni [name], [name] na [name], hawana viatu",
        ),
        (
            "'ya'yana su ne gambo, yelwa da kande, basu da lafiya",
            "'ya'yana su ne [name], [name] da [name], basu da lafiya",
        ),
        (
            "nous sommes quatre: moi habonimana, ma femme niyonsaba et ma fille kaneza, à la rue",
            "nous sommes quatre: moi [name], ma femme [name] et ma fille [name], à la rue",
        ),
        (
            "somos yo, yeison, marlenis y dayana, no tenemos dónde dormir",
            "somos yo, [name], [name] y [name], no tenemos dónde dormir",
        ),
        (
            "Nimefika na wenzangu nzeyimana, bukuru na ciza, tunaomba msaada",
            "Nimefika na wenzangu [name], [name] na [name], tunaomba msaada",
        ),
        (
            "my husband tafari and my mother in law zewditu are sick",
            "my husband [name] and my mother in law [name] are sick",
        ),
        # ...but numbers, words said of relatives and a lone word after "is" stay.
        ("nina watoto watano na hatuna chakula", None),
        ("mon enfant est malnutri depuis un mois", None),
        ("mi hermano, tranquilo, ya llegó", None),
        ("my kids are hungry and sick", None),
        # Case notes: the person after a protection abbreviation.
        (
            "Case note: PoC Tsegay Woldemichael Haile reports threats.",
            "Case note: PoC [name] [name] [name] reports threats.",
        ),
        (
            "Case note: UASC Yemane Kidane, 15, held with adults.",
            "Case note: UASC [name] [name], 15, held with adults.",
        ),
        ("Case note: PoC transferred to the hospital on Monday.", None),
        # A name that signs on before "from X here".
        (
            "Mehret from Kasarani here. The water is dirty.",
            "[name] from Kasarani here. The water is dirty.",
        ),
        ("Greetings from Kakuma here, all is well.", None),
        # Camp addresses: blocks, roads, houses; hills and communes; streets and quarters.
        ("I live Block 31 Road 6 House 2, no light", "I live [address], no light"),
        (
            "naishi block 12, barabara ya 5, nyumba namba 40, choo kimejaa",
            "naishi [address], choo kimejaa",
        ),
        ("Adresse : Rue 8, quartier Kabezi, maison 12. Merci", "Adresse : [address]. Merci"),
        ("Vivo en Calle 9a Poniente #71, colonia El Retiro. Gracias", "Vivo en [address]. Gracias"),
        ("née en 1988, colline Gisenyi, commune Rumonge.", "née en 1988, [address]."),
        (
            "عنواني: مخيم البداوي، الحي الغربي، بناية سلامة، الطابق الثالث. شكرا",
            "عنواني: [address]. شكرا",
        ),
        ("block 5 is far from the road", None),
    ],
)
def test_families_case_notes_and_camp_addresses(text, scrubbed):
    """Round eighteen: every member of a list of names after a relative or a plural of
    relatives, in lower case too; the person after a case-note abbreviation ("PoC",
    "UASC"); a name signing on before "from X here"; camp addresses of blocks, roads and
    houses, hills and communes, streets and quarters (invented names and places, in both
    directions; none of them is in a labelled set)."""
    assert scrub(text) == (text if scrubbed is None else scrubbed)


@pytest.mark.parametrize(
    "text, scrubbed",
    [
        # Arabic places in Latin letters: a village word, "al-"; a road or a kunya after "in".
        ("We stay in Bir al-Rumman near the market", None),
        ("Hamida from Deir Hanna, the water is cut", "[name] from Deir Hanna, the water is cut"),
        ("I live in Tarik al-Matar since May", None),
        ("we stay in Abu Hassan since the war", None),
        ("Case note: PoC transferred from Gharyan to Abu Hamra DC yesterday", None),
        # ...but a man called so stays a person.
        (
            "My brother Tarik al-Hassan called me yesterday",
            "My brother [name] [name]-[name] called me yesterday",
        ),
        ("Please call Abu Karim, he knows the way", "Please call [name] [name], he knows the way"),
        # Peoples and nationalities: demonyms, Bantu and Hausa peoples, "the people of X".
        ("The respondent is Djiboutian and speaks Afar", None),
        ("respondent is Gambian (Wolof), came in 2020", None),
        ("Mimi ni Mzambia, niko hapa tangu 2015", None),
        ("Mimi ni Wanjala, niko hapa", "Mimi ni [name], niko hapa"),
        ("respondent is Bakongo from Mbanza", None),
        ("Mu Nufawa da Gwarawa muna bukatar ruwa a wurin", None),
        ("The Sudanese from Tawila are in block 4", None),
        ("Thanks to the people of Kawempe who fed us", None),
        ("Mimi ni Mkatoliki wa Kinama, naomba msaada", None),
        # Where one is from or lives: returnees, health centres, "then", "j'habite à".
        (
            "Note : Mme Uwase, rapatriée de Lukole, cherche sa sœur",
            "Note : Mme [name], rapatriée de Lukole, cherche sa sœur",
        ),
        ("Au centre de santé d'Ali Sabieh il n'y a pas de médecin", None),
        ("je suis né et j'habite à El Amine depuis 2010", None),
        ("from Moyale to Marsabit then Kalacha, no food", None),
        ("Sansanin Minawao na Mora babu ruwa, yara suna kuka", None),
        ("المحتجزين في مركز أبو عيسى ما عندهم أكل", None),
        ("En la escuela Lic. Benito Juárez García no hay maestros", None),
        # Greetings and spoken verbs are no names.
        ("Salam, the water tank at block 3 is broken", None),
        ("Salam to all in the camp, the rain is coming", None),
        ("قبضوا علينا وما نقدروش نخدمو", None),
        (
            "يا جماعة عيسى ومحمد مسكوهم الجيش في السوق",
            "يا جماعة [name] [name] مسكوهم الجيش في السوق",
        ),
        ("اسمي حليمة بشير، إثيوبية، ساكنة في الحي", "اسمي [name] [name]، إثيوبية، ساكنة في الحي"),
        (
            "mi tía yamileth sigue enferma en el albergue",
            "mi tía [name] sigue enferma en el albergue",
        ),
        ("nesi alimfundisha mke wangu kujitunza", None),
        ("Na gode. Sunana Zainabu.", "Na gode. Sunana [name]."),
        # Names after a relative whatever their ending, and what follows them.
        ("أختي كاديجا مريضة وما عندها دوا", "أختي [name] مريضة وما عندها دوا"),
        ("أخي يوسف دقاله مات في البحر", "أخي [name] [name] مات في البحر"),
        ("أمي زينب وخالتي رقية ما وصلهم الكرت", "أمي [name] وخالتي [name] ما وصلهم الكرت"),
        ("شكرا للدكتورة سلمى بعيادة الهلال", "شكرا للدكتورة [name] بعيادة الهلال"),
        (
            "thanks to ba ilunga and the nurses at the health post",
            "thanks to ba [name] and the nurses at the health post",
        ),
    ],
)
def test_places_peoples_and_spoken_verbs(text, scrubbed):
    """Round nineteen: Arabic places written in Latin letters, peoples and nationalities,
    where one is from or lives (even a town that is also a name), greetings and spoken
    Tunisian, Libyan, Spanish and Swahili verbs stay; names after a relative are found
    whatever their ending (invented names and places, in both directions; none of them is
    in a labelled set)."""
    assert scrub(text) == (text if scrubbed is None else scrubbed)


@pytest.mark.parametrize(
    ("text", "scrubbed"),
    [
        # Nasab in Hassaniya and Sudan ("ولد", "منت"), names after a title and after spoken kin.
        (
            "أنا محمدن ولد اباه من الحي الثالث، نبغي نعرف وين وصلت الورقة",
            "أنا [name] [name] [name] من الحي الثالث، نبغي نعرف وين وصلت الورقة",
        ),
        (
            "المعلومة منت اسويلك، أرملة، عندها ثلاث اولاد",
            "[name] منت [name]، أرملة، عندها ثلاث اولاد",
        ),
        ("عندي ولد مريض وبنت صغيرة ما عندهم دوا", None),
        (
            "ملاحظة: السيدة الزهرة امبيركات (مواليد 1985)، تعاني من الضغط",
            "ملاحظة: السيدة [name] [name] (مواليد 1985)، تعاني من الضغط",
        ),
        ("بتي زوينة وراجلي اعبيدي ماتو في الفيضان", "بتي [name] وراجلي [name] ماتو في الفيضان"),
        ("ولدي البشاري، شدوه العسكر وماه رجع", "ولدي [name]، شدوه العسكر وماه رجع"),
        (
            "الطفل كوكو منفصل عن أهله، عمه تيراب يسكن في الحلة",
            "الطفل [name] منفصل عن أهله، عمه [name] يسكن في الحلة",
        ),
        ("الناس لقو الكرت ورجعو للخيمة", None),
        # Families listed in Haitian Creole, Spanish sign-ons in lower case, one-word sign-ons.
        (
            "nou se 4: mwen menm sonide, mari mwen jeanclo, pitit nou yo dieunel ak fabiola",
            "nou se 4: mwen menm [name], mari mwen [name], pitit nou yo [name] ak [name]",
        ),
        (
            "le escribe yurlanis desde el barrio, necesitamos agua",
            "le escribe [name] desde el barrio, necesitamos agua",
        ),
        (
            "Te habla Darwuin, del comité de la vereda, llámeme",
            "Te habla [name], del comité de la vereda, llámeme",
        ),
        (
            "somos yo, leisbeth, mi tía yulimar y mi abuelo eliecer",
            "somos yo, [name], mi tía [name] y mi abuelo [name]",
        ),
        (
            "my sister in law nazakat habibzai is sick in the camp",
            "my sister in law [name] [name] is sick in the camp",
        ),
        (
            "Shafiqullah from Kamkai calling, call back please",
            "[name] from Kamkai calling, call back please",
        ),
        ("Hantsi ne, a kira ni a lamba 0803 555 1234", "[name] ne, a kira ni a lamba [phone]"),
        # Addresses in local formats: districts, wilaya and daira, tents, "Rue X #N".
        ("Address: Police District 7, Gul Bagh street, house 12, Gardez", "Address: [address]"),
        (
            "vivimos en wilaya de Tifariti, daira de Mijek, barrio 2, sin agua",
            "vivimos en [address], sin agua",
        ),
        ("عنواني: ولاية بوجدور، دايرة لمسيد، الحي الأول، الخيمة 7", "عنواني: [address]"),
        (
            "Adrès: Rue Lamarre #23, Haut-Damier, mwen bezwen manje",
            "Adrès: [address], mwen bezwen manje",
        ),
        ("la tente 12 n'a plus d'eau depuis hier", None),
        # Languages, peoples, roles, rivers, brands, Pashto places and spoken verbs stay.
        ("Nobody here speaks Gumuz or Uduk, we need an interpreter", None),
        ("mzee anasema Kibembe tu, hatuelewi", None),
        ("the Zadran elders refused the survey", None),
        ("translated by the Qazi of the village, Q12 skipped", None),
        ("les pêcheurs de l'Ouémé disent que le fleuve monte", None),
        ("we cannot get money from TapMoney since Monday", None),
        ("No blankets in Yusuf Khel, people are cold", None),
        ("prices are high in Kohsar bazaar this week", None),
        ("the camp is mostly Uduk and Hausa now", None),
        (
            "Jina langu ni Sifa Lwanga, niko Kibombo sasa, nipigie",
            "Jina langu ni [name] [name], niko Kibombo sasa, nipigie",
        ),
        ("دايرة امهيريز ما فيها ما من نهار الخميس", None),
        ("asante sana kwa daktari, alimsaidia mke wangu kupumua", None),
        # ...and names beside them are still found.
        ("Mun gode Hamisu Dauda na Red Cross", "Mun gode [name] [name] na Red Cross"),
        (
            "My brother in law Gulzar died in the accident",
            "My brother in law [name] died in the accident",
        ),
    ],
)
def test_nasab_creole_families_and_local_addresses(text, scrubbed):
    """Round twenty: names in a Hassaniya or Sudanese nasab, after a title or spoken kin,
    in a family listed in Haitian Creole or after "somos yo", "le escribe", "X from Y
    calling", "X ne,"; addresses of districts, wilayas and dairas, tents and "Rue X #N";
    and languages after "speaks", peoples before "elders", roles after "the", rivers after
    "l'", brands, Pashto places and spoken Maghreb verbs stay (invented names and places, in
    both directions; none of them is in a labelled set)."""
    assert scrub(text) == (text if scrubbed is None else scrubbed)


@pytest.mark.parametrize(
    ("text", "scrubbed"),
    [
        # Families listed in lower case after a list word, in Pidgin, Hausa, Swahili, Spanish.
        (
            "we be 4 for house: me Ngwafuson, pikin dem tembuh, ayukeba and ntoniwe",
            "we be 4 for house: me [name], pikin dem [name], [name] and [name]",
        ),
        (
            "liste du bloc B : zangari tiéfolo, kolotcho sirimbé",
            "liste du bloc B : [name] [name], [name] [name]",
        ),
        (
            "iyalina: ni rumasatu, mijina garbasa, yara inuwasa da dijatu",
            "iyalina: ni [name], mijina [name], yara [name] da [name]",
        ),
        (
            "watoto wangu ni kahaso, mwakombo na mdogo chizuri",
            "watoto wangu ni [name], [name] na mdogo [name]",
        ),
        (
            "somos 3: yo deivys, mi esposa yuleisi y la bebé yuberkis",
            "somos 3: yo [name], mi esposa [name] y la bebé [name]",
        ),
        (
            "أفراد العائلة: زبيدان (الأب)، الأطفال هذال، وفرحة",
            "أفراد العائلة: [name] (الأب)، الأطفال [name]، [name]",
        ),
        ("liste des besoins : savon, huile, riz", None),
        # A kunya said of oneself, a name before "my son", after a title, glued to an emoji.
        ("أنا أم النمير، رقمي ما عاد يشتغل", "أنا أم [name]، رقمي ما عاد يشتغل"),
        ("يا جماعة فزيع ولدي عمره 8 سنين", "يا جماعة [name] ولدي عمره 8 سنين"),
        ("الكنداكة شنينة بتسلم عليكم", "الكنداكة [name] بتسلم عليكم"),
        ("ahsante kwa chakula!! Mwangome🙏", "ahsante kwa chakula!! [name]🙏"),
        ("Allah ya jikan Gambaki, ya rasu jiya", "Allah ya jikan [name], ya rasu jiya"),
        (
            "Ngonidzashe, l'agent du site, dit que l'eau manque",
            "[name], l'agent du site, dit que l'eau manque",
        ),
        ("Jina Nzingo Mwakitsi, naomba msaada", "Jina [name] [name], naomba msaada"),
        # Addresses that go on to a landmark, in local formats: removed whole.
        ("I live in Mile 9 Bambwe, house behind Baptist church, no. 14", "I live in [address]"),
        ("je vis au quartier Kouogouo, derrière la pharmacie, maison 8", "je vis au [address]"),
        (
            "Ninaishi Kaloleni, Kijiji cha Mwembeni, nyumba namba 12 karibu na soko",
            "Ninaishi [address]",
        ),
        ("vivo en la toma Los Cerezos, sitio 14, La Negra", "vivo en la [address]"),
        ("Pasaje Las Dunas 1432, población El Boro, sin luz", "[address], sin luz"),
        ("calle Aníbal Pinto 455, depto 31 es mi dirección", "[address] es mi dirección"),
        ("عنواني: الحبانية، حي الضباط، محلة 5، زقاق 3، دار 17", "عنواني: [address]"),
        ("ساكنين في المطرية، شارع الورد، عمارة 4، الدور التاني، شقة 9", "ساكنين في [address]"),
        ("réfugié au site de Kanzé, bloc D, abri 42. Merci", "réfugié au [address]. Merci"),
        (
            "Ina zaune a unguwar Gadama, layin masallacin Idi, gida mai lamba 8, Kano",
            "Ina zaune a [address]",
        ),
        (
            "family in building 12, 3rd district, flat 7, needs rent",
            "family in [address], needs rent",
        ),
        # Places after a verb of going, a school, a chief; acronyms; spoken words stay.
        ("nos devolvieron a Tarapacal, hace frío", None),
        ("la escuela de Huaytane no tiene agua", None),
        ("patients from Bamburi told to go to town", None),
        ("Chifu wa Mwarakaya anasema mbolea itakuja", None),
        ("ba mu samu kati a ofishin SUBEB ba", None),
        ("عمتي تگول ما عندنا كهربا", None),
        ("ابنها اتقبض امبارح في المحطة", None),
        ("صحيح هالشي عن المساعدات؟", None),
        ("safari ya kwenda kliniki ni ndefu sana", None),
        # Regions after "le", roles between "the" and "and the", places before "area".
        ("on a quitté le Bazèga en mars, sans rien", None),
        ("ask the Wakil and the Qazi of the village", None),
        ("the Sheikh of Albu Sawda promised generators", None),
        ("returnees in Tamim area have no water", None),
        ("duermen en la playa Huayquique sin frazadas", None),
        ("عيادة الدكتور سلمون بالمنيا قفلت", "عيادة الدكتور [name] بالمنيا قفلت"),
        ("قالوا لخالي إن الورق جاهز", None),
        ("En la toma Villa Esperanza de Pampa Sur no hay luz", None),
        (
            "hi I am Zuhaira from Khabbaz, husband is sick",
            "hi I am [name] from Khabbaz, husband is sick",
        ),
    ],
)
def test_lists_landmarks_kunyas_and_spoken_passives(text, scrubbed):
    """Round twenty-one: families listed in lower case after "liste …:", "pikin dem",
    "iyalina: ni X", "na mdogo X", "la bebé X"; a kunya said of oneself, a name before "my
    son" after a call, signed with an emoji; addresses removed whole to their landmark and
    with local words ("toma", "sitio", "depto", "abri", "محلة", "عمارة", "الدور"); and places
    after a verb of going or a school, offices' acronyms, Iraqi "گ" and spoken passives stay
    (invented names and places, in both directions; none of them is in a labelled set)."""
    assert scrub(text) == (text if scrubbed is None else scrubbed)


@pytest.mark.parametrize(
    ("text", "scrubbed"),
    [
        # Families introduced by their count, in the six languages.
        (
            "there are 5 of us: me torvaldine, my husband okelloni, kids ampiraya and dusembe",
            "there are 5 of us: me [name], my husband [name], kids [name] and [name]",
        ),
        (
            "we are 4 in the shelter: me kibwetere, wife akankwasa and baby ninsiima",
            "we are 4 in the shelter: me [name], wife [name] and baby [name]",
        ),
        (
            "on est 4 : moi ngalula, mon mari kabeyaza, les enfants kalombwe et ngoyimbe",
            "on est 4 : moi [name], mon mari [name], les enfants [name] et [name]",
        ),
        (
            "nous sommes 5: moi bisimwa, et les jumeaux kahindo et kavira",
            "nous sommes 5: moi [name], et les jumeaux [name] et [name]",
        ),
        (
            "somos cuatro: yo yesmari, mi compañero wilber, los chavalos brayner y keylin",
            "somos cuatro: yo [name], mi compañero [name], los chavalos [name] y [name]",
        ),
        (
            "tuko watano: mimi zawadina, mke wangu rehemani, watoto mwanatumu na ziyatu",
            "tuko watano: mimi [name], mke wangu [name], watoto [name] na [name]",
        ),
        (
            "mu biyar ne: ni danladiyo, matata larai, yara bashirka da 'yar karama yagana",
            "mu biyar ne: ni [name], matata [name], yara [name] da 'yar karama [name]",
        ),
        (
            "نحن خمسة: أنا عبدالرزاق، زوجتي حليمة، والأولاد سحلول ودغيم",
            "نحن خمسة: أنا [name]، زوجتي [name]، والأولاد [name] [name]",
        ),
        (
            "sisi ni watu 6: mimi zuhuriya, mume wangu kasimbwe, watoto mwanakhamisi na mwatano",
            "sisi ni watu 6: mimi [name], mume wangu [name], watoto [name] na [name]",
        ),
        ("we are 6 in one room: no water, no food, no mattress", None),
        ("nous sommes 5 : pas d'eau, pas de savon, rien à manger", None),
        # Lists with no "and", lists of the missing, names ending as English words do.
        (
            "my brothers ochwonyi, lakareber, odokonyero sleep outside the church",
            "my brothers [name], [name], [name] sleep outside the church",
        ),
        (
            "missing since the flood: yikuru, andezu, drateru",
            "missing since the flood: [name], [name], [name]",
        ),
        (
            "Familia: papá norvin, mamá yesling, chavalos maryling y kevling",
            "Familia: papá [name], mamá [name], chavalos [name] y [name]",
        ),
        # After "my name is", the whole name, a place word in it too.
        (
            "me llamo Yendry Iglesias Villalta, llámenme al 8765 4321",
            "me llamo [name] [name] [name], llámenme al [phone]",
        ),
        (
            "the fisherman obuyaka lost his boat in the storm",
            "the fisherman [name] lost his boat in the storm",
        ),
        # Addresses of Turkey, Malaysia, Indonesia, Singapore, Costa Rica, Nicaragua, Zanzibar
        # and the camps, removed whole.
        (
            "adres: Bağlar Mah. Menekşe Sok. No: 14/3, Kat 2, Kayapınar, Diyarbakır",
            "adres: [address]",
        ),
        (
            "my house is No. 45, Jalan Kenanga 3, Taman Sri Muda, Shah Alam",
            "my house is [address]",
        ),
        (
            "alamat: Jl. Melati No. 17, RT 03/RW 05, Kelurahan Sukamaju, Bandung",
            "alamat: [address]",
        ),
        ("address: Blk 214 Jurong East St 21, #08-112, Singapore", "address: [address]"),
        (
            "vivo en Desamparados, de la plaza de deportes 200 metros al sur, casa amarilla",
            "vivo en [address]",
        ),
        ("Dirección: del cine Cabrera 2 cuadras al lago, Managua", "Dirección: [address]"),
        (
            "ninakaa Mwembemakumbi, Shehia ya Mtopepo, nyumba namba 45",
            "ninakaa [address]",
        ),
        (
            "Lukole camp, Kanembwa zone, block 9, plot 31 - nobody came",
            "[address] - nobody came",
        ),
        (
            "elle vit seule quartier Kabirizi 3, maison en planches près du marché",
            "elle vit seule [address]",
        ),
        ("عنواني: أضنة، سيحان، حي يورغير، شارع 6021، بناء 4، الطابق الثاني", "عنواني: [address]"),
        ("we live in Woreda 03, Kebele 14, House No. 567, Elidar", "we live in [address]"),
        ("we stay at 99/1 Moo 4, Tambon Tha Sai Luat, Amphoe Mae Sot", "we stay at [address]"),
        ("my address is Area 25, Sector 3, Plot 112, Kasungu", "my address is [address]"),
        ("nous habitons Cité Gourara, Bt 12, Appt 4, Illizi", "nous habitons [address]"),
        ("vivo en Colón, Calle 50, Edificio Los Robles, piso 3, apto 3B", "vivo en [address]"),
        # Places, peoples, services and spoken words stay.
        ("the Garre attacked the wells near the river", None),
        ("lo reportamos al INAMU ayer y nada", None),
        ("I applied on e-Citizen but no reply", None),
        ("no MySejahtera, the clinic refused us", None),
        ("ماخدموناش هاد الشهر، وماكاينش الما", None),
        ("جارنا بيحكي فارسي وبلوشي بس", None),
        ("قال لينا نستنى لبكرة", None),
        ("Skuli ya Mwembeshauri imefungwa leo", None),
        ("uwanja wa ndege wa Kisauni umefungwa kwa mvua", None),
        ("Boti ya Mwambao Marine imechelewa tena", None),
        ("mvuvi alizama baharini Mnemba jana usiku", None),
        ("Semu Robi woreda has no water truck this month", None),
        ("they took him to Bukit Merah depot", None),
        ("la mosquée El Kebir distribue du pain le vendredi", None),
        ("مخيمات اللاجئين بقرقميش ما فيها كهربا", None),
        ("the family walked to Gorodola after the rains failed", None),
        ("mahaifiyarta tana Dangona yanzu, ba ta da waya", None),
        ("her card is from Ceylanpınar, not from here", None),
        ("the depot at Sinar Jaya is full again", None),
        ("Gracias a la Pastoral Social de Tilarán por los víveres", None),
        ("los buses Transtusa y Marcala subieron el pasaje", None),
        ("صاحب البيت بيطلعن من الغرفة كل شهر وبيطردن", None),
        ("مستوصف الرحمة الخيري بكلس ما فيه دوا", None),
        ("مشفى ٣٠٠ سرير بكلس ما فيه مترجمين", None),
        ("Le camion part de Kisengwa demain matin", None),
        # ...and a father's name after a child's age stays a name ("X (9) wa Y": of Y).
        (
            "Kesi: mtoto Rehema (9) wa Juma Ali, baba yake amefariki",
            "Kesi: mtoto [name] (9) [name] [name] [name], baba yake amefariki",
        ),
        ("the trucks Amina drives are old", "the trucks [name] drives are old"),
        (
            "je vous écris de la part de Kisengwa",
            "je vous écris de la part de [name]",
        ),
        (
            "the case was transferred to Tsofwa yesterday",
            "the case was transferred to [name] yesterday",
        ),
        ("la trabajadora social de Amina no viene", "la trabajadora social de [name] no viene"),
        # ...and a case note's third name before its bracket is found.
        (
            "caso: solicitante Keylor Matamoros Caballero (m), sin papeles",
            "caso: solicitante [name] [name] [name] (m), sin papeles",
        ),
    ],
)
def test_counted_families_and_addresses_of_new_regions(text, scrubbed):
    """Round twenty-two: families introduced by their count ("we are 6: me X, wife Y", "mu
    biyar ne: ni X", "نحن خمسة: أنا X") in the six languages, lists with no "and", lists of
    the missing, names ending in "-ing", the whole name after "my name is"; addresses of
    Turkey, Malaysia, Indonesia, Singapore, Thailand, Costa Rica, Nicaragua, Panama,
    Zanzibar, Ethiopia, Malawi, Algeria and the camps removed whole; and peoples before a
    verb, services, spoken Maghreb and Levantine words, Swahili and Ethiopian place words,
    places after "walked to", "tana", "is from", "the shelter at" stay (invented names and
    places, in both directions; none of them is in a labelled set)."""
    assert scrub(text) == (text if scrubbed is None else scrubbed)


@pytest.mark.parametrize(
    ("text", "scrubbed"),
    [
        # Names before a case note's age, families counted as "they are", children before a
        # colon, "and baby X", a word between two names, "وولادي X وY".
        (
            "case note: Zawelo (14) from Bunia, lives with an aunt",
            "case note: [name] (14) from Bunia, lives with an aunt",
        ),
        (
            "kids at the quarry: Mbokanyi (9), Tshilomba (13), Kalengwe (10). no school",
            "kids at the quarry: [name] (9), [name] (13), [name] (10). no school",
        ),
        ("Mtoto Machozi (miaka 8) anaumwa tangu jana", "Mtoto [name] (miaka 8) anaumwa tangu jana"),
        (
            "Watoto wa marehemu Kitenge ni wanne: ngoyia, kabwezi, mulonda na tambwesi",
            "Watoto wa marehemu [name] ni wanne: [name], [name], [name] na [name]",
        ),
        (
            "they are three: kapingoa, mbuyelo and tshalani, all without papers",
            "they are three: [name], [name] and [name], all without papers",
        ),
        (
            "niños sin partida: yosneiker, dairelis y la chiquita wilmarys. Gracias",
            "niños sin partida: [name], [name] y la chiquita [name]. Gracias",
        ),
        (
            "mother: yorgelis, kids brayanis, yeiderlin and baby dayanny.",
            "mother: [name], kids [name], [name] and baby [name].",
        ),
        (
            "sisi tuko sita: mimi mwanaisha, watoto kassimu, chui, bakarine na doto",
            "sisi tuko sita: mimi [name], watoto [name], [name], [name] na [name]",
        ),
        ("معي ولادي سلمى ورهف وقصي بالخيمة", "معي ولادي [name] [name] [name] بالخيمة"),
        ("Jina ni Mwanahawa, natoka Kigoma", "Jina ni [name], natoka Kigoma"),
        (
            "Jina langu ni Msafiri Kalinga, naomba msaada",
            "Jina langu ni [name] [name], naomba msaada",
        ),
        # Addresses of Mayotte, Katanga, Sudan, Ghana and the camps' villages, removed whole.
        (
            "je vis à Pamandzi, case en tôle n°7, mon fils est malade",
            "je vis à [address], mon fils est malade",
        ),
        (
            "famille au n°12, avenue Likasi, quartier Makutano, commune Rwashi, 4 enfants",
            "famille au [address], 4 enfants",
        ),
        ("elle vit à Labattoir, rue du Marché, case 3", "elle vit à [address]"),
        ("Zaatari camp, Village 3, Street 12, shelter 7: no heater", "[address]: no heater"),
        ("العنوان: حي الشعبي، مربع ٩، منزل ٢٣", "العنوان: [address]"),
        ("anaishi Kaweni, nyumba ya mabati namba 14", "anaishi [address]"),
        (
            "Anwani: avenue Mama Yemo namba 45, kwartie Gambela, komine Rwashi, Lubumbashi. Asante",
            "Anwani: [address]. Asante",
        ),
        ("Adireshi: H/No. B 45, Ayikai Street, Kotobabi, Accra", "Adireshi: [address]"),
        # Operations, shelters, markets, streets, places after verbs of coming and living, tribes
        # and spoken words stay.
        ("Opération Kalamba a fermé le marché", None),
        ("los warao del abrigo Tancredo piden mantas", None),
        ("estoy en la ocupación Jardim Floresta con mis hijos", None),
        ("the market on Av. Bolívar is closed today", None),
        ("we sit in King Hussein park all day", None),
        ("Niko Dzaoudzi tangu jana, sina kazi", None),
        ("watu wanalala uwanjani Mgombani", None),
        ("vijiji vya Kilwa vimechomwa tena", None),
        ("nilifika kwa boti kutoka Mwali mwezi uliopita", None),
        ("Maji haitoke Kamalondo tangu jana", None),
        ("Ku gaya wa shugabannin Kpehe cewa babu ruwa", None),
        ("pasan por la Bolívar y la Simón Rodríguez cada mañana", None),
        ("la Unidad de Salud Familiar cerró", None),
        ("Albarkacin Annabi, ku taimaka mana", None),
        ("ابني مسجل بالمفوضية من سنة", None),
        ("والمعلم بياخد نص الأجرة", None),
        ("بني هلبة عملوا صلح في السوق", None),
        ("ما في دفا بهالخيمة", None),
        # ...and a person after them is still found.
        ("Kakar Ayishetu ta rasu jiya", "Kakar [name] ta rasu jiya"),
        (
            "My name is Hamza Alhassan from Tema, call me",
            "My name is [name] [name] from Tema, call me",
        ),
    ],
)
def test_names_before_an_age_and_addresses_of_more_regions(text, scrubbed):
    """Round twenty-three: a name before a case note's age ("X (14)", "Mtoto X (miaka 8)"),
    families counted as "they are" ("ni wanne:"), children before a colon, "and baby X", a
    word between two names of a family's list, "ولادي X وY", "jina ni X"; addresses of
    Mayotte, Katanga, eastern Sudan, Ghana and a camp's villages removed whole; and named
    operations, shelters, markets, streets ("Av. X", "y la X"), Swahili places after
    "uwanjani", "Niko", "kutoka" after a verb of coming, tribes after "بني" and spoken Arabic
    stay (invented names and places, in both directions; none of them is in a labelled
    set)."""
    assert scrub(text) == (text if scrubbed is None else scrubbed)


@pytest.mark.parametrize(
    ("text", "scrubbed"),
    [
        # Arabic: children after their parents' names, a child before its age, one's own nasab.
        (
            "الأب حمود، الأم سوسن، والولاد رياض وجنى وتالا",
            "الأب [name]، الأم [name]، والولاد [name] [name] [name]",
        ),
        ("الطفل سامي (٩ سنوات) ما عم يروح عالمدرسة", "الطفل [name] (٩ سنوات) ما عم يروح عالمدرسة"),
        (
            "أنا الصافي ود العوض من الدويم، بدي أعرف موعدي",
            "أنا [name] [name] [name] من الدويم، بدي أعرف موعدي",
        ),
        # ...and places after camps and hospitals, a mosque named by a kunya, spoken Levantine
        # and Maghreb verbs and a participle after a title stay.
        ("بمخيمات كللي ما في مازوت من أسبوع", None),
        ("بدنا نروح لمشفى سلقين بكرا", None),
        ("جامع أبو عبيدة بالمخيم فتح صف للولاد", None),
        ("خيي صرلو جمعة ناطر بالدور", None),
        ("الشرطة شدّت البضاعة كلها", None),
        ("صاحب الأرض بيطردو الناس من الخيم", None),
        ("بس الأب مسافر من شهر", None),
        # Swahili and Hausa: names after Sheng words, kin with their possessive, a note's
        # signer; places after verbs of living and dying, "nyumbani", a hospital's name stay.
        ("Msee anaitwa Omondi anauza mkaa", "Msee anaitwa [name] anauza mkaa"),
        (
            "Jirani yangu Wangari na mumewe Shabani wamehama",
            "Jirani yangu [name] na mumewe [name] wamehama",
        ),
        (
            "Mwenye nyumba anataka kodi mara mbili. Mhojaji: Chebet",
            "Mwenye nyumba anataka kodi mara mbili. Mhojaji: [name]",
        ),
        ("watu wanaoishi Kangemi hawana maji", None),
        ("babu yake alifariki Kasongo mwaka jana", None),
        ("anafanya kazi ya nyumbani Kileleshwa", None),
        ("Mama Joyce hospitali hawana dawa", None),
        ("Sun kai kaya. Mai tattara bayanai: Salisu", "Sun kai kaya. Mai tattara bayanai: [name]"),
        (
            "Tsohuwa Ladidi (shekara 65) tana bukatar taimako",
            "Tsohuwa [name] (shekara 65) tana bukatar taimako",
        ),
        ("'yan bindiga sun shiga Dandume jiya", None),
        ("malamin ya ce ya fadi a kasuwa", None),
        (
            "Jerin iyali a sansanin Sabuwa: baba audu, mama jummai, yara ta'awa da sabitu",
            "Jerin iyali a sansanin Sabuwa: baba [name], mama [name], yara [name] da [name]",
        ),
        # English, French and Spanish: a note's signer, a name spelled in Arabic, a Swahili word
        # after "Mme"; hospitals, crossings, police stations, groups and programmes stay.
        (
            "water point closed again. enumerator: jepkosgei",
            "water point closed again. enumerator: [name]",
        ),
        ("Yusra (يسرى) asked about her file", "[name] ([name]) asked about her file"),
        ("Fouad al-Masri hospital asked for a deposit", None),
        ("the Oshoek crossing is closed", None),
        ("Kariobangi police took the phones", None),
        ("moi c kpakilé de Kérouané, on dit quoi?", "moi c [name] de Kérouané, on dit quoi?"),
        (
            "CR : le groupe veut Mme Refu comme trésorière",
            "CR : le groupe veut Mme [name] comme trésorière",
        ),
        ("à l'hôpital préfectoral de Yomboya il n'y a pas de gants", None),
        ("les femmes du groupement de Koundou veulent des semences", None),
        ("el bono Juana Azurduy no nos llega", None),
        ("la beca de Filomena Yupanqui no llegó", "la beca de [name] [name] no llegó"),
        ("en la plaza son familias sin techo", None),
        (
            "Encuesta: la dueña cobra doble. Encuestador: Huarachi",
            "Encuesta: la dueña cobra doble. Encuestador: [name]",
        ),
        # Addresses of camps' sectors and tents, Guinea, Bolivia and Nairobi, removed whole.
        ("new address: Qah, Al-Huda camp, block 2, tent 19", "new address: [address]"),
        ("عنواني: سرمدا، مخيم الأمل، القطاع ٢، خيمة ٤٥", "عنواني: [address]"),
        ("adresse : quartier Kpaya, secteur 2, carré 45, Kérouané", "adresse : [address]"),
        (
            "Vivo en zona 14 de Septiembre, calle 5 N° 88, El Alto. Gracias",
            "Vivo en [address]. Gracias",
        ),
        ("Dirección: barrio Los Lotes, UV 98, manzano 4, lote 11", "Dirección: [address]"),
        (
            "Tunaishi Kangemi, Section 3, 2nd Street, jengo la Ngazi, ghorofa ya 2, mlango C7",
            "Tunaishi [address]",
        ),
    ],
)
def test_signers_children_and_addresses_of_camps_guinea_bolivia_and_nairobi(text, scrubbed):
    """Round twenty-four: a note's signer after "enumerator:", "Encuestador:", "Mhojaji:",
    "Mai tattara bayanai:"; a family's children after the parents' names ("الأب X، الأم Y،
    والولاد Z وW"), a child's name before its age in Arabic, one's own nasab after "أنا", a
    name with its Arabic spelling in brackets; addresses of camps' sectors and tents,
    Guinea's carrés, Bolivia's zonas and manzanos and Nairobi's floors and doors removed
    whole; and places after camps, hospitals, crossings, verbs of living and dying, spoken
    Levantine and Maghreb verbs, participles after a title, Sheng and Swahili kin words,
    programmes named after a hero stay (invented names and places, in both directions; none
    of them is in a labelled set)."""
    assert scrub(text) == (text if scrubbed is None else scrubbed)


@pytest.mark.parametrize(
    "text, scrubbed",
    [
        # Names: lists with "&" and "little", a name before an age or a verb of being, before a
        # relative, a role, the sex and age or a nasab in brackets, a committee's members.
        (
            "registration: mother nyathoar, kids bielweng, tutkoat & baby kuolbang",
            "registration: mother [name], kids [name], [name] & baby [name]",
        ),
        (
            "family from the camp: kids rojvan, zelkan and little dilvar",
            "family from the camp: kids [name], [name] and little [name]",
        ),
        (
            "protection case: girl amuothi 14yo sent to work",
            "protection case: girl [name] 14yo sent to work",
        ),
        ("ndaliya kossibé 16 ans, sans papiers", "[name] [name] 16 ans, sans papiers"),
        ("my cousin tawering is in the clinic", "my cousin [name] is in the clinic"),
        ("su niño yordanis está enfermo", "su niño [name] está enfermo"),
        (
            "case note: Zelhano (f, 19), works at the bakery",
            "case note: [name] (f, 19), works at the bakery",
        ),
        (
            "call with Orlinda Mejicanos (Guatemalan, 31) about her papers",
            "call with [name] [name] (Guatemalan, 31) about her papers",
        ),
        (
            "Appel de Ngoyo Bassoumbé (oncle), le petit est malade",
            "Appel de [name] [name] (oncle), le petit est malade",
        ),
        (
            "Kabungwe(our zone leader) said the pump broke",
            "[name](our zone leader) said the pump broke",
        ),
        ("Ɗanturaki (ɗan Kamburo) ya ji rauni", "[name] (ɗan [name]) ya ji rauni"),
        (
            "Kwamiti: shugaba Terkimbi Aondowase, sakatare Mbaverem Iyorkaa",
            "Kwamiti: shugaba [name] [name], sakatare [name] [name]",
        ),
        (
            "mwenyekiti Kalumbiro, katibu Sefunyo Lukindwa",
            "mwenyekiti [name], katibu [name] [name]",
        ),
        ("Llamada: Sra. Yeniret Orocuá, 40 años", "Llamada: Sra. [name] [name], 40 años"),
        # Addresses of Mexico, Spain, Morocco, Tanzania and camps' sectors, removed whole.
        ("vive en Calle Tabachín 812, Col. Lomas Verdes, Tecate", "vive en [address]"),
        (
            "nueva dirección: Av. Los Pinos 918, int. 6, col. Jardines, Ensenada",
            "nueva dirección: [address]",
        ),
        ("Vive en Cerrada Zinnia 14, col. Buenos Aires. Gracias", "Vive en [address]. Gracias"),
        ("dirección c/ Alcazaba 48, 2ºB, Algeciras. Gracias", "dirección [address]. Gracias"),
        ("العنوان: زنقة ١٧ رقم ٥ حي السلام وجدة", "العنوان: [address]"),
        ("عنوانها: مخيم الروج، قطاع ج، خيمة ٢٢، بدها دوا", "عنوانها: [address]، بدها دوا"),
        (
            "caller from Sector 4 block 9 Kodok PoC, asks for food",
            "caller from [address], asks for food",
        ),
        ("ساكن في قطاع ٥ بلوك ٣ بوك الرنك، ومريض", "ساكن في [address]، ومريض"),
        (
            "Kijiji cha Mkwedu, Kitongoji cha Namiyonga: familia 2 zinaishi hapo",
            "[address]: familia 2 zinaishi hapo",
        ),
        (
            "anwani: Mtaa wa Likonde, Nyumba Na. 12, karibu na soko la samaki, Nachingwea. Asante",
            "anwani: [address]. Asante",
        ),
        # Peoples, places and spoken Maghreb Arabic stay.
        ("the Kerango people say the road is closed", None),
        ("she was taken to Hospital Doctor Valdelomar for surgery", None),
        ("la misa en la iglesia Nuestra Señora de Tecoluca", None),
        ("lo ingresaron en el centro de El Ranchito", None),
        ("los muchachos cruzaron por Tecomatepec anoche", None),
        ("desplazados de la sierra de Zongolica", None),
        ("wazee wa Kinyakyusa wanaomba msaada", None),
        ("Mama ntilie wa stendi wanalalamika", None),
        ("shambani kwetu Nangurukuru hakuna mvua", None),
        ("sun kwana a sansanin New Dagira", None),
        ("Marien Ngouabi Memorial Univ students came", None),
        ("البوليس كيشدو الدراري فالمرسى", None),
        ("بغاو يحرگو فالليل", None),
        ("ابني دخل لبوزغلال عوم وماعرفت عليه والو", None),
        ("سبيطار الحسن الثاني فوجدة ماعندوش دوا", None),
        # One's own kunya, a place after "land", an Arabic word after a name in Latin letters,
        # associations, "Las X" after a noun, "Tlf", "bailleur".
        ("أنا أم مطلقة وعندي ثلاث أولاد", None),
        ("انصاب بأرض الهويدي الشهر الماضي", None),
        ("بدها دوا لأختها Nalîn المريضة", "بدها دوا لأختها [name] المريضة"),
        ("وزعت جمعية نسيم الخابور بطانيات", None),
        ("on dort au centre Las Gaviotas depuis lundi", None),
        ("llamen al Tlf 644 902 113", "llamen al Tlf [phone]"),
        ("il a peur de son bailleur", None),
        # Twins named before "(jumeaux, …)", though their names are words; a price in the
        # ISO code of its currency is no number of a person.
        (
            "Fidèle et Constant (jumeaux, 3 ans) toussent",
            "[name] et [name] (jumeaux, 3 ans) toussent",
        ),
        (
            "Dulce y Amparo (gemelas, 2 años) no tienen acta",
            "[name] y [name] (gemelas, 2 años) no tienen acta",
        ),
        ("the rent went up to 250000 SSP a month", None),
        # One word before the colon that opens a message: where the news is from, unless a
        # list holds it as a name.
        ("goats taken by raiders from Lokori last night", None),
        ("the Toyoyo Abokobi clinic has no gloves", None),
        ("duermen junto al muelle del Chapultepec", None),
        ("Tecomatepec: hace frío y no hay cobijas", None),
        ("بوزغلال: الشباب ناعسين فالزنقة", None),
        ("Nyaboke: tunaomba msaada wa chakula", "[name]: tunaomba msaada wa chakula"),
    ],
)
def test_brackets_committees_ages_and_addresses_of_mexico_spain_morocco_and_tanzania(
    text, scrubbed
):
    """Round twenty-five: a capitalised word before a relative, a role, the sex and age or a
    nasab in brackets ("X (oncle)", "X (f, 19)", "X (ɗan Y)"), the members after a
    committee's roles, a lower-case name before an age ("girl X 14yo") or a verb of being
    ("my cousin X is"), lists with "&" and "little"; addresses of Mexico's colonias, Spain's
    floors, Morocco's "زنقة", Tanzania's villages and hamlets and camps' sectors and blocks
    removed whole; and peoples before "people", places named after a doctor or Our Lady,
    after "de El", "New", "cruzar por", "kwetu", Swahili languages ("Ki-"), spoken Maghreb
    verbs, places gone to, associations and an Arabic word after a name in Latin letters
    stay (invented names and places, in both directions; none of them is in a labelled
    set)."""
    assert scrub(text) == (text if scrubbed is None else scrubbed)


@pytest.mark.parametrize(
    ("text", "scrubbed"),
    [
        # Lower-case names after "and the baby", "mtoto mchanga", "grandma", "nietos", before "12y"
        # or their Arabic spelling, after "abu"; a name before an emoji, after "somos … y los
        # niños", after a relative before a spoken verb.
        (
            "my kids kimaiyo, cherop and the baby jepkoech are sick",
            "my kids [name], [name] and the baby [name] are sick",
        ),
        (
            "watoto akech, ochola na mtoto mchanga adongo wanalala nje",
            "watoto [name], [name] na mtoto mchanga [name] wanalala nje",
        ),
        (
            "my grandma oduorina is sick since monday",
            "my grandma [name] is sick since monday",
        ),
        (
            "la abuela cuida a sus nietos yordinson y keiler en la finca",
            "la abuela cuida a sus nietos [name] y [name] en la finca",
        ),
        (
            "girl zuwaira 12y hawking in the market",
            "girl [name] 12y hawking in the market",
        ),
        (
            "case: girl rimthan (رمثان) 14yo married last month",
            "case: girl [name] ([name]) 14yo married last month",
        ),
        (
            "ask at the shop of abu dhirgham near the bridge",
            "ask at the shop of abu [name] near the bridge",
        ),
        (
            "Nyokabi🙏 asante kwa msaada",
            "[name]🙏 asante kwa msaada",
        ),
        (
            "somos Jhonier, Yeferson y los 2 niños, sin techo",
            "somos [name], [name] y los 2 niños, sin techo",
        ),
        (
            "وجدي سلطان بيبيع خضرة بالسوق",
            "وجدي [name] بيبيع خضرة بالسوق",
        ),
        # Addresses removed whole: Sudan's "hay el-X", Lebanon's buildings and floors, Colombia's
        # veredas, the marshes' reed houses, a Hausa town after "zaune a".
        (
            "lives in hay el-Wahda block 9 house 41, no water",
            "lives in [address], no water",
        ),
        (
            "She stays at Haret Hreik, Sabra street, bldg 4 floor 3 with her kids",
            "She stays at [address] with her kids",
        ),
        (
            "logée à Tebnine, rue Fakhani, imm. Khalil 2e étage, sans chauffage",
            "logée à [address], sans chauffage",
        ),
        (
            "vivo ahora en vereda Los Guaduales, finca El Recreo",
            "vivo ahora en [address]",
        ),
        (
            "vivimos en vereda El Guamo, casa 8 junto a la escuela",
            "vivimos en [address]",
        ),
        (
            "بيتنا الصريفة رقم 7 قرب الجامع",
            "بيتنا [address]",
        ),
        (
            "ina zaune a Tudun Wada Jakusko, titin Makera, gida na 12",
            "ina zaune a [address]",
        ),
        # What stays: places after "les familles de", "salió de", "à la", "sur la"; hospitals
        # and universities named after people; places fled; a second place after "مدارس X";
        # Iraqi letters; greetings sent; a relative's word.
        ("les familles de Kabwela sont sans eau depuis lundi", None),
        ("salió de Soledad hacia Cúcuta con los niños", None),
        ("mi papá salió de Marcelino de Abajo por la guerra", None),
        ("l'eau de la Snel est coupée au quartier", None),
        ("on puise à la Lukenie depuis lundi", None),
        ("le pont sur la Mbuji est tombé", None),
        ("Yakubu Gowon Dauda specialist hospital is full", None),
        ("Asibitin kwararru na Dauda Gana sun rufe kofa", None),
        ("Jami'ar Tarayya ta Kashere ta ce babu makaranta", None),
        ("On a fui Qaaqaaiyeh Jisr avec les enfants", None),
        ("ستعقد الامتحانات في مدارس الدويم وبربر الشهر الجاي", None),
        ("سلّملي على الجيران كلهم", None),
        ("والسمچ مات بالهور من الملوحة", None),
        (
            "وحبوبتي سكينة قاعدة معانا",
            "وحبوبتي [name] قاعدة معانا",
        ),
        # Places after residents and fishermen "wa X", "harin", "sun bar X zuwa", "karibu na",
        # a ride or a road to, "mai unguwar X", "Bena X"; an armed group's front; a heading
        # with its article; an infinitive after a verb of contact; "FC"; one's own kin.
        ("Sisi wakazi wa Lwanda Kotieno tunaomba maji", None),
        ("alienda kwa mvuvi wa Usenge Beach jana", None),
        ("mama yake anamsaidia kupalilia shamba", None),
        ("Mai unguwar Kafiyeri ya ce a jira", None),
        ("mun rasa komai a harin Goniri", None),
        ("sun bar Dogon Kuka zuwa Gujba da dare", None),
        ("nasubiri karibu na Nyamonye, hakuna gari", None),
        ("hay cupo en el bus a Mocoa mañana", None),
        ("cerraron la vía a Timbiquí por el derrumbe", None),
        ("los combates con el frente Jaime Martínez siguen", None),
        ("La Vega: se fue la luz desde ayer", None),
        ("les Bena Tshiadi et les Bakwa Dishi ont fui", None),
        ("ils demandent 20000 FC pour la consultation", None),
        (
            "Abokaina Kachalla da Bukar sun tafi kasuwa",
            "Abokaina [name] da [name] sun tafi kasuwa",
        ),
        (
            "Nyarwath🙏 asante sana",
            "[name]🙏 asante sana",
        ),
    ],
)
def test_lower_case_names_emojis_and_addresses_of_sudan_lebanon_colombia_and_the_marshes(
    text, scrubbed
):
    """Round twenty-seven: lower-case names after a relative, "and the baby", a kunya, before
    an age or their Arabic spelling; a name glued to an emoji, after "somos … y los niños",
    after an Arabic relative before a spoken verb; addresses of Sudan, Lebanon, Colombia,
    Iraq's marshes and Hausa towns removed whole; and places after "les familles de",
    "salió de", "à la", hospitals and universities named after people, places fled, Iraqi
    letters and greetings sent stay (invented names and places, in both directions; none of
    them is in a labelled set)."""
    assert scrub(text) == (text if scrubbed is None else scrubbed)


def test_the_twenty_third_unseen_set_is_labelled_and_hard():
    """Written blind during round twenty-six as kiosk messages, survey comments, hotline
    notes and case notes from seven more regions (Sudan's Northern and River Nile states,
    southern Iraq's marshes, south Lebanon's displaced in Sidon and Tyre, DR Congo's Kasai,
    Colombia's Cauca, Kenya's Lake Victoria shore, Yobe State); half its messages name
    nobody, many name places and schools after people; its names are in no list of ours."""
    messages = scrub_bench.load(UNSEEN23)
    assert_labelled(messages, without_identifiers=0.35)
    assert len(name_words(messages)) >= 150
    listed = listed_names()
    for word in name_words(messages):
        assert word not in listed, word


# Measured on the twenty-third unseen set when it was new, before any round studied it
# (docs/benchmarks.md): names 89.5% recall, 61.8% precision; every phone number found. A
# floor, not a goal met.
UNSEEN23_FIRST = {
    "ar": (26, 30, 26, 54),
    "en": (28, 33, 28, 39),
    "es": (25, 30, 25, 42),
    "fr": (29, 29, 31, 46),
    "ha": (22, 24, 22, 34),
    "sw": (23, 25, 23, 36),
}


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_the_twenty_third_unseen_set_does_not_fall_below_its_first_measure(language):
    assert_floor(UNSEEN23, UNSEEN23_FIRST, language)


# Measured on the twenty-third unseen set after round twenty-seven, which studied its misses
# (lower-case names after a relative, "and the baby", a kunya, before an age or their Arabic
# spelling, names before an emoji, after "somos … y los niños" and after an Arabic relative;
# addresses of Sudan, Lebanon, Colombia, the marshes and Hausa towns) and then its false
# positives (places after verbs of leaving and staying, after "la", roads and rides, people
# of a place, hospitals and armed groups named after people, Iraqi letters, kin words;
# docs/benchmarks.md): names 98.8% recall, 82.4% precision; its 17 addresses found whole.
UNSEEN23_AFTER = {
    "ar": (29, 30, 29, 41),
    "en": (33, 33, 33, 41),
    "es": (30, 30, 30, 34),
    "fr": (29, 29, 29, 32),
    "ha": (23, 24, 23, 25),
    "sw": (25, 25, 25, 32),
}


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_the_twenty_third_unseen_set_does_not_fall_below_what_was_measured(language):
    assert_floor(UNSEEN23, UNSEEN23_AFTER, language)


def test_the_twenty_third_unseen_set_addresses_are_all_found():
    counts = scrub_bench.score(scrub_bench.load(UNSEEN23))["counts"]
    addresses = by(counts, 1)["address"]
    assert addresses["recalled"] == addresses["labelled"] >= 17, addresses


@pytest.mark.parametrize(
    ("text", "scrubbed"),
    [
        # Relatives in lower case before their names ("dad", "maman", "uwar gida",
        # "binamu yangu"), a child's word before an age between commas, in brackets, after
        # "miaka".
        (
            "family list: dad torogbe, mum ilamsa, kids fenyo & duraku",
            "family list: dad [name], mum [name], kids [name] & [name]",
        ),
        (
            "liste du ménage : papa bilokossa, maman nadeya, enfants kpendo et zolindé",
            "liste du ménage : papa [name], maman [name], enfants [name] et [name]",
        ),
        (
            "iyalinmu: uwar gida yalwata, yara bunkasa da hassada",
            "iyalinmu: uwar gida [name], yara [name] da [name]",
        ),
        ("binamu yangu Zawadiel amefika jana", "binamu yangu [name] amefika jana"),
        (
            "case note: girl zemitra, 13, sells water at the market",
            "case note: girl [name], 13, sells water at the market",
        ),
        (
            "la petite anoussé (9 ans) ne va plus à l'école",
            "la petite [name] (9 ans) ne va plus à l'école",
        ),
        (
            "msichana baraka miaka 14 ameolewa kwa nguvu",
            "msichana [name] miaka 14 ameolewa kwa nguvu",
        ),
        # A list after a colon that its phrase opens with ("yaran …:"), the first item's
        # capital, a nickname after "alias", a name in lower case after "me llamo", a family
        # name in capitals, a kunya in Latin letters, a spoken "گ", "مرته"; and a word alone
        # before the colon that opens a message when the writer speaks of themselves after it.
        (
            "yaran da ba su da takardu a layi na 2: gambaku, tsaliya, dunkura",
            "yaran da ba su da takardu a layi na 2: [name], [name], [name]",
        ),
        (
            "liste des malades à évacuer : Mbodiwé (paludisme), Ngazouma (toux)",
            "liste des malades à évacuer : [name] (paludisme), [name] (toux)",
        ),
        (
            "el que cobra la vacuna, alias el Zorro, vino ayer",
            "el que cobra la vacuna, alias el [name], vino ayer",
        ),
        (
            "me llamo yesbeli zumbaquí ortez, no tengo papeles",
            "me llamo [name] [name] [name], no tengo papeles",
        ),
        (
            "chef de ménage : NDAKOUMBA Séraphin, épouse Yalengo",
            "chef de ménage : [name] [name], épouse [name]",
        ),
        ("ask for abu zirrag at the bakery", "ask for abu [name] at the bakery"),
        ("اسمي رحيمة سلگ، ساكنة بالمخيم", "اسمي [name] [name]، ساكنة بالمخيم"),
        ("ومرته سويهرة مريضة من شهر", "ومرته [name] مريضة من شهر"),
        ("Bolondowe: we need blankets for the kids", "[name]: we need blankets for the kids"),
        # Addresses removed whole: Iraq's quarter, house and lane; a quarter and its landmark;
        # Colombia's vereda and finca, settlement and lot; a camp's block, tent and caravan;
        # Sudan's square; Morocco's quarter glued to "ف"; Kaduna's quarter before its street;
        # none runs into the next sentence.
        (
            "caller lives in Zahrawi neighbourhood house 9 lane 4, roof fell",
            "caller lives in [address], roof fell",
        ),
        (
            "elle vit quartier Mokolo 2 derrière la mosquée, tel 6 77 10 22 33",
            "elle vit [address], tel [phone]",
        ),
        (
            "vive en la vereda Los Alpes finca La Ilusión con sus hijos",
            "vive en la [address] con sus hijos",
        ),
        ("we met him in Kubri camp block F, he is sick", "we met him in [address], he is sick"),
        ("fiche : tente C-21 bloc 6, deux enfants", "fiche : [address], deux enfants"),
        ("vivo en el asentamiento Villa Nueva lote 17, Tame", "vivo en el [address]"),
        ("ساكنين في حي الشاطئ مربع 12", "ساكنين في [address]"),
        ("كنسكن فحي الرمان زنقة 8 رقم 3، الله يخليكم", "كنسكن ف[address]، الله يخليكم"),
        ("العائلة في الكرفان رقم 45 القطاع D", "العائلة في [address]"),
        ("muna sansanin Dogon Fili bulo na 7 tanti 12, ku taimaka", "muna [address], ku taimaka"),
        (
            "ina zaune a Tudun Maje titin Dogarawa gida mai lamba 9, don Allah",
            "ina zaune a [address], don Allah",
        ),
        ("je vis au 14 rue des Acacias. Merci beaucoup", "je vis au [address]. Merci beaucoup"),
        # Forests, crossroads, sites, souks, reserves, attacks and streets of a place; an
        # organisation; "mdogo" after a name; Hausa titles; spoken Iraqi, Sudanese and Maghreb
        # Arabic; a town before the colon stays.
        ("la forêt de Kalgoumé est brûlée", None),
        ("le kiosque au carrefour Mbangassina est fermé", None),
        ("le site de Lydia manque d'eau", None),
        ("derrière le souk El Hamri les enfants dorment", None),
        ("el resguardo Wiwa Kogui pide consulta", None),
        ("mijina ya mutu a harin Gidan Zaki", None),
        ("ku je layin Kurmin Lakwai ku same shi", None),
        ("Tunashukuru Mbeya International kwa madawati", None),
        (
            "familia: mama ntunzi, watoto kalunde na kahindo mdogo",
            "familia: mama [name], watoto [name] na [name] mdogo",
        ),
        ("Goggo Zulaihatu ce ke dafa abinci", "Goggo [name] ce ke dafa abinci"),
        ("المنظمة تكول المساعدة جاية الأسبوع الجاي", None),
        ("نمرتو عندي بس ما يرد", None),
        ("المهاجرين كيناعسو فالغابة كل سيمانة", None),
        ("عطاو الكاشات للعائلات", None),
        ("الدار دالسوريين فيها جوج دراري", None),
        ("Maiduguri: we had no water for three days", None),
        # An institution with its article, a place with it after "para", a health centre's
        # or a police post's place in Swahili, the province after the town one comes from;
        # "porfa" (please) is no more of a name.
        ("merci au docteur de l'hôpital Al Mouwassat", None),
        ("alerta temprana para El Zulay y la vereda", None),
        ("kituo cha afya cha Nyakalembe hakina dawa", None),
        ("tumefika jana kutoka Kalundu, Tanganyika.", None),
        ("polisi wa Nyamisati wamefika", None),
        # The same in other languages: a child before an age, a nickname, a speaker.
        ("fillette tobilé, 9, vend des beignets", "fillette [name], 9, vend des beignets"),
        (
            "le chef, surnommé le Chat, a frappé mon fils",
            "le chef, surnommé le [name], a frappé mon fils",
        ),
        ("Yoselinda: necesito ayuda con la comida", "[name]: necesito ayuda con la comida"),
        ("Ladiyanu: ina neman taimako", "[name]: ina neman taimako"),
        ("me llamo liseth porfa ayuda", "me llamo [name] porfa ayuda"),
    ],
)
def test_relatives_lists_nicknames_and_addresses_of_camps_quarters_and_farms(text, scrubbed):
    """Round twenty-six: lower-case names after a relative ("dad", "maman", "uwar gida"),
    a child's word and before an age, in a list after a colon, after "alias" and "me
    llamo"; a family name in capitals; one word before the colon that opens a message when
    the writer speaks of themselves; addresses of Iraq, Cameroon, Colombia, Sudan, Morocco,
    Kaduna and camps removed whole and never into the next sentence; places by the words
    before them, organisations, Hausa titles and spoken Arabic stay (invented names and
    places, in both directions; none of them is in a labelled set)."""
    assert scrub(text) == (text if scrubbed is None else scrubbed)


def test_the_twenty_fourth_unseen_set_is_labelled_and_hard():
    """Written blind after rounds twenty-six and twenty-seven as kiosk messages, survey
    comments, hotline notes and case notes from seven more regions (Mizoram, Port-au-Prince,
    the Homs countryside, Nouakchott, Antioquia, Kerio Valley and Baringo, Niger State);
    half its messages name nobody; its names are in no list of ours."""
    messages = scrub_bench.load(UNSEEN24)
    assert_labelled(messages, without_identifiers=0.35)
    assert len(name_words(messages)) >= 140
    listed = listed_names()
    for word in name_words(messages):
        assert word not in listed, word


# Measured on the twenty-fourth unseen set when it was new, with rounds twenty-six and
# twenty-seven merged and never studied (docs/benchmarks.md): names 90.7% recall, 70.6%
# precision; every phone number found. A floor, not a goal met.
UNSEEN24_FIRST = {
    "ar": (28, 31, 28, 44),
    "en": (28, 34, 28, 42),
    "es": (29, 32, 29, 32),
    "fr": (34, 34, 35, 47),
    "ha": (21, 26, 23, 29),
    "sw": (25, 25, 25, 44),
}


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_the_twenty_fourth_unseen_set_does_not_fall_below_its_first_measure(language):
    assert_floor(UNSEEN24, UNSEEN24_FIRST, language)


# Measured on the twenty-fourth unseen set after round twenty-eight, which studied its false
# positives first (places by the word after them, numbered quarters, Swahili places after
# "kutoka", passives and women "wa X", spoken Arabic words, titles before a name) and then its
# misses (lower-case names after neighbours, "un tal", nicknames, Hausa kin; addresses of
# Nouakchott, Port-au-Prince, the Homs countryside, Mizoram and Niger State;
# docs/benchmarks.md): names 96.7% recall, 88.9% precision; its 16 addresses found whole. A
# floor: precision is still short of the goal.
UNSEEN24_AFTER = {
    "ar": (28, 31, 28, 33),
    "en": (31, 34, 31, 36),
    "es": (32, 32, 32, 34),
    "fr": (34, 34, 34, 38),
    "ha": (26, 26, 27, 29),
    "sw": (25, 25, 25, 29),
}


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_the_twenty_fourth_unseen_set_does_not_fall_below_what_was_measured(language):
    assert_floor(UNSEEN24, UNSEEN24_AFTER, language)


def test_the_twenty_fourth_unseen_set_addresses_are_all_found():
    counts = scrub_bench.score(scrub_bench.load(UNSEEN24))["counts"]
    addresses = by(counts, 1)["address"]
    assert addresses["recalled"] == addresses["labelled"] >= 16, addresses


@pytest.mark.parametrize(
    ("text", "scrubbed"),
    [
        # Addresses removed whole: a town before its house and a landmark below or behind it,
        # Nouakchott's îlots and lots and its moughataa, Port-au-Prince's numbered quarters
        # before their street and door, a Levant floor by its ordinal, a Hausa town after
        # "suna haya a".
        (
            "renting in Sekmawi, house no. 9 below the Baptist church, no light",
            "renting in [address], no light",
        ),
        ("living at Angwan Doruma, house 3 behind the new water tank", "living at [address]"),
        ("she lives in Ksar ilot D lot 118, no papers", "she lives in [address], no papers"),
        (
            "maintenant à Bourdon 22B, rue Lafleur, maison 9, sans eau",
            "maintenant à [address], sans eau",
        ),
        ("j'habite Fermathe 14, impasse Nadège, no 3. Merci", "j'habite [address]. Merci"),
        (
            "ils sont à Kouva, secteur 2, îlot F, lot 77 depuis mars",
            "ils sont à [address] depuis mars",
        ),
        (
            "ساكنة بحارة السنديان، بناية ٧ طابق تاني، والبيت بلا شبابيك",
            "ساكنة ب[address]، والبيت بلا شبابيك",
        ),
        ("ساكنين المقاطعة ٣ الحي د القطعة ١١٨", "ساكنين [address]"),
        ("suna haya a Gwazunu, gida na 9 kusa da rijiya", "suna haya a [address]"),
        # What stays: places by the word after them, languages of two words, places a way is
        # measured from, women of a place, towns before "-Ville", numbered quarters, places
        # after Swahili passives and "kutoka", the ends of a way, squares, schools and motor
        # parks named after people, plural verbs after a title or a relative; a name at a
        # register's head, before "2 sacs", after "we are", "Place", "kutoka" with a call or
        # what was received, or a passive with no subject before it, is still a name.
        ("Sigor Valley: no water since Monday", None),
        ("the Kelvang Rifles closed the road at night", None),
        ("kids there speak Kwazi Bana at home", None),
        ("herders walk 3 days from Lokoyan for water", None),
        ("hace 2 días de Kenyeri no sé nada", "hace 2 días de [name] no sé nada"),
        ("Wanawake wa Kaptolomwo wanaomba maji safi", None),
        ("akina mama wa Chepkum wamekuja sokoni", None),
        ("les gens de Jacquet-Ville n'ont plus d'eau", None),
        ("Belair 12 : pas de distribution jeudi", None),
        ("j'ai donné à Josiane 2 sacs de riz", "j'ai donné à [name] 2 sacs de riz"),
        ("registration Nakiru: 6 people, no tent", "registration [name]: 6 people, no tent"),
        ("rappeler la dame de Martissant 8 qui a appelé hier", None),
        ("baba aliuawa Kamurio wiki iliyopita", None),
        ("Jana aliuawa Jepkorir kwa risasi", "Jana aliuawa [name] kwa risasi"),
        ("wakimbizi kutoka Lomut wanalala nje", None),
        ("nimepokea simu kutoka Jepkorir jana", "nimepokea simu kutoka [name] jana"),
        ("tumepokea kutoka Jepkorir mbuzi wawili", "tumepokea kutoka [name] mbuzi wawili"),
        ("wagabbra na wasamburu wamegombana tena", None),
        ("we are Jepkorir from Kericho, no help came", "we are [name] from Kericho, no help came"),
        ("Place Jepkorir on the list please", "Place [name] on the list please"),
        ("he drives a matatu between Kimalel and Loboi every day", None),
        ("sleeping at the Place Toussaint Brave since Monday", None),
        ("shule ya bweni ya Kipsaina Tulwet imejaa", None),
        ("Almajirai suna bara a tashar mota ta Gwadabawa", None),
        ("Socogim PK 7 : pas d'école pour les enfants", None),
        ("لجنة الحي والشيخ يقررون مين ياخد المساعدة", None),
        # Names: a title before a name stays, the name goes; "un tal X"; a nickname before
        # the full name in brackets; lower-case names after neighbours; Hausa "uwa",
        # "iyalin", the baby girl; a girl's name before "de La X".
        (
            "mon cousin Ti Jacques (Jacquelin Mérilus) est blessé",
            "mon cousin Ti [name] ([name] [name]) est blessé",
        ),
        ("thank you Pu Lalthanga for the rice", "thank you Pu [name] for the rice"),
        ("un tal Eleuterio Pacheco la amenazó ayer", "un tal [name] [name] la amenazó ayer"),
        (
            "Mi comadre la Flaca (Yesenia Barragán) está enferma",
            "Mi comadre la [name] ([name] [name]) está enferma",
        ),
        (
            "our neighbours kipsoi and chelimo lost their goats",
            "our neighbours [name] and [name] lost their goats",
        ),
        ("uwa Hauwanatu tana asibiti tun jiya", "uwa [name] tana asibiti tun jiya"),
        ("na ga Uba a kasuwa jiya", "na ga [name] a kasuwa jiya"),
        (
            "niña Yeraldin, 12, de La Palmita, no va a la escuela",
            "niña [name], 12, de La Palmita, no va a la escuela",
        ),
        (
            "Rijista: matarsa Saratu, yara Danjuma da jaririya Lami",
            "Rijista: matarsa [name], yara [name] da jaririya [name]",
        ),
        ("وبنات خالي رجعوا من الضيعة بلا أوراق", None),
        ("Iyalin Zubairu sun koma Gwazunu", "Iyalin [name] sun koma Gwazunu"),
    ],
)
def test_places_of_new_regions_stay_and_their_addresses_go_whole(text, scrubbed):
    """Round twenty-eight: valleys, sites, regiments, "-Ville", "Place X", numbered quarters,
    places after "kutoka", "between", a way measured in days, Swahili passives and women "wa
    X", schools and motor parks named after people, and plural verbs after a title stay;
    names after "un tal", neighbours, Hausa "uwa", "iyalin", a nickname before the full name
    in brackets go, the title before them stays; addresses of Nouakchott, Port-au-Prince, the
    Levant, Mizoram and Niger State go whole (invented names and places, in both directions;
    none of them is in a labelled set)."""
    assert scrub(text) == (text if scrubbed is None else scrubbed)


def test_the_twenty_fifth_unseen_set_is_labelled_and_hard():
    """Written blind after round twenty-seven as kiosk messages, survey comments, hotline
    notes and case notes from seven more regions (Thailand's border camps and Mae Sot,
    Casamance, Esmeraldas, Derna and eastern Libya, Kuwait's Bidoon, Isiolo and Marsabit,
    Maradi); half its messages name nobody; its names are in no list of ours."""
    messages = scrub_bench.load(UNSEEN25)
    assert_labelled(messages, without_identifiers=0.35)
    assert len(name_words(messages)) >= 140
    listed = listed_names()
    for word in name_words(messages):
        assert word not in listed, word


# Measured on the twenty-fifth unseen set when it was new, before any round studied it
# (docs/benchmarks.md): names 84.0% recall, 77.6% precision; every phone number and e-mail
# found. A floor, not a goal met.
UNSEEN25_FIRST = {
    "ar": (28, 36, 28, 41),
    "en": (33, 54, 37, 54),
    "es": (35, 38, 36, 48),
    "fr": (35, 37, 37, 41),
    "ha": (35, 37, 36, 44),
    "sw": (34, 36, 34, 40),
}


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_the_twenty_fifth_unseen_set_does_not_fall_below_its_first_measure(language):
    assert_floor(UNSEEN25, UNSEEN25_FIRST, language)


# Measured on the twenty-fifth unseen set after round twenty-nine, which studied its misses
# (Karen, Burmese and Shan names of syllables after an honorific and in lower case after a
# relative, lists of syllables, names before a sex and an age, Arabic lists and the whole
# name after "my name is"; addresses of Thai rooms and lanes, Ecuador's lots and corners,
# Arabic floors, houses told by their landmark) and then its false positives (Thai places,
# peoples, institutions named after people, Hausa towns "Dan X"; docs/benchmarks.md), merged
# with round twenty-eight: names 97.5% recall, 90.7% precision; its 14 addresses found
# whole. It joins the studied sets.
UNSEEN25_AFTER = {
    "ar": (36, 36, 36, 41),
    "en": (54, 54, 55, 57),
    "es": (36, 38, 36, 40),
    "fr": (37, 37, 38, 42),
    "ha": (35, 37, 36, 39),
    "sw": (34, 36, 34, 40),
}


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_the_twenty_fifth_unseen_set_does_not_fall_below_what_was_measured(language):
    assert_floor(UNSEEN25, UNSEEN25_AFTER, language)


def test_the_twenty_fifth_unseen_set_addresses_are_all_found():
    counts = scrub_bench.score(scrub_bench.load(UNSEEN25))["counts"]
    addresses = by(counts, 1)["address"]
    assert addresses["recalled"] == addresses["labelled"] >= 14, addresses


@pytest.mark.parametrize(
    ("text", "scrubbed"),
    [
        # Karen, Burmese and Shan honorifics before names of syllables, capitalised or in
        # lower case after a relative; lists of syllables after a plural relative; a name
        # before a sex and an age in brackets; nicknames in quotes, "un tal", "enfants dont".
        (
            "her brother Saw Klo Mu went to the farm, he is fine",
            "her brother [name] [name] [name] went to the farm, he is fine",
        ),
        (
            "Daw Khin Aye sells rice at the gate of the camp",
            "[name] [name] [name] sells rice at the gate of the camp",
        ),
        (
            "Nang Seng Hom and her son sleep at the temple",
            "[name] [name] [name] and her son sleep at the temple",
        ),
        (
            "my uncle saw pleh doh is sick since monday",
            "my uncle [name] [name] [name] is sick since monday",
        ),
        (
            "grandmother naw mu htoo stays alone in zone C",
            "grandmother [name] [name] [name] stays alone in zone C",
        ),
        (
            "granddaughters hsa plaw, mu lah and the little one kpru, they cry",
            "granddaughters [name] [name], [name] [name] and the little one [name], they cry",
        ),
        (
            "HH: head kotile guyo (m, 54), no cattle left",
            "HH: head [name] [name] (m, 54), no cattle left",
        ),
        (
            "chef de famille mbalou kesso (h, 47) est malade",
            "chef de famille [name] [name] (h, 47) est malade",
        ),
        (
            "her husband known only as 'Tiko' left in march",
            "her husband known only as '[name]' left in march",
        ),
        (
            "el arrendatario, un tal Quiñónez, nos echó de la casa",
            "el arrendatario, un tal [name], nos echó de la casa",
        ),
        ("6 enfants dont kpodjo (4 ans) malnutri", "6 enfants dont [name] (4 ans) malnutri"),
        # Arabic: the first of a family's list after a colon, the youngest said last, a
        # name to the comma after "my name is", "his real name is", relatives' names that
        # are frequent words before the next relative or a word said of a person.
        (
            "العيال: سلمون، قطوف، بريكة، والصغير نجيم. ساكنين بالمدرسة",
            "العيال: [name]، [name]، [name]، والصغير [name]. ساكنين بالمدرسة",
        ),
        (
            "اسمي رضوان ثامر العبيدي، ساكن بالمخيم من سنة",
            "اسمي [name] [name] [name]، ساكن بالمخيم من سنة",
        ),
        ("اسمها الحقيقي سنبلة وكلهم يعرفوها", "اسمها الحقيقي [name] وكلهم يعرفوها"),
        ("حبوبتي بركات وعمي ما عندهم أوراق", "حبوبتي [name] وعمي ما عندهم أوراق"),
        ("مرت خيي وردة تعبانة كتير", "مرت خيي [name] تعبانة كتير"),
        # Addresses removed whole: a rented room and its lane, a Thai temple as landmark;
        # Ecuador's blocks, lots and corners with a date's street; an Arabic floor by its
        # ordinal; landmarks of a place; houses told by their landmark after "lives".
        (
            "I live room 9, Soi 12 behind Wat Pho Thong, Mae Rim. please help",
            "I live [address]. please help",
        ),
        ("vivo en Los Ceibos 3, manzana 7, solar 12", "vivo en [address]"),
        ("vivo en la calle Olmedo y 10 de Agosto, casa 55, Machala", "vivo en la [address]"),
        (
            "ساكنين في عمارة ٤ الدور الرابع، حي النصر، الله يخليكم",
            "ساكنين في [address]، الله يخليكم",
        ),
        ("wanakaa mtaa wa Majengo, nyumba 8 karibu na msikiti wa Noor Ali", "wanakaa [address]"),
        ("elle habite Kagnobon, la maison à côté du puits", "elle habite [address]"),
        ("vive en la casa verde frente a la iglesia de Tabiazo", "vive en [address]"),
        (
            "ninaishi Kambi Odha, nyuma ya shule ya msingi, nyumba ya udongo ya bluu",
            "ninaishi [address]",
        ),
        # What stays: "saw" as a verb, a list of things, Thai places, peoples, a rural
        # settlement, schools and universities named after people, Hausa towns "Dan X", a
        # room of a clinic, a country after "أنا".
        ("my uncle saw him at the market", None),
        ("my uncle saw us at the market", None),
        ("the wives sell tea and mandazi at the gate", None),
        ("we crossed at Mae Kasa and Ban Huai Nam yesterday", None),
        ("the Kayah and Karenni women carry water", None),
        ("el recinto Palmar no tiene agua", None),
        ("la escuela fiscal Rosa Zárate pide pupitres", None),
        ("جامعة صلاح الدين فتحت السكن للطلاب", None),
        ("babu mota zuwa Dan Kulu yau", None),
        ("gobara ta kama kasuwar Dan Gari jiya", None),
        ("أنا مصري من أسيوط وبدي شغل", None),
        ("the clinic moved to room 12B on the first floor", None),
    ],
)
def test_names_of_syllables_lower_case_families_and_addresses_of_thailand_and_ecuador(
    text, scrubbed
):
    """Round twenty-nine: Karen, Burmese and Shan names of syllables after an honorific, in
    lower case after a relative and in lists; a name before a sex and an age; Arabic lists,
    the youngest, the whole name after "my name is"; rented rooms, Ecuador's lots, Arabic
    floors, landmarks of a place, houses told by their landmark; Thai places, peoples,
    schools named after people, Hausa towns stay (invented names and places, in both
    directions; none of them is in a labelled set)."""
    assert scrub(text) == (text if scrubbed is None else scrubbed)


def test_the_twenty_sixth_unseen_set_is_labelled_and_hard():
    """Written blind after round twenty-eight as kiosk messages, survey comments, hotline
    notes and case notes from seven more regions (Sindh's floods, Mai-Ndombe and around
    Kinshasa, Putumayo, Kirkuk and the Arbat camp, Sudanese refugees in Amhara, Hanang and
    the Rufiji, Kebbi State); more than half its messages name nobody; its names are in no
    list of ours."""
    messages = scrub_bench.load(UNSEEN26)
    assert_labelled(messages, without_identifiers=0.35)
    assert len(name_words(messages)) >= 140
    listed = listed_names()
    for word in name_words(messages):
        assert word not in listed, word


# Measured on the twenty-sixth unseen set when it was new, after rounds twenty-eight and
# twenty-nine and before any round studied it (docs/benchmarks.md): names 89.0% recall,
# 68.9% precision; every phone number and e-mail found. A floor, not a goal met.
UNSEEN26_FIRST = {
    "ar": (24, 30, 25, 42),
    "en": (27, 33, 33, 47),
    "es": (22, 25, 22, 29),
    "fr": (28, 29, 28, 38),
    "ha": (21, 23, 21, 27),
    "sw": (24, 24, 24, 39),
}


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_the_twenty_sixth_unseen_set_does_not_fall_below_its_first_measure(language):
    assert_floor(UNSEEN26, UNSEEN26_FIRST, language)


def test_the_twenty_seventh_unseen_set_is_labelled_and_hard():
    """Written blind after round twenty-nine as kiosk messages, survey comments, hotline
    notes and case notes from seven more regions (Marawi's displaced in Lanao del Sur,
    Yemen's Red Sea coast and Lahj, the Al Haouz earthquake, French Guiana, the Sierra
    Tarahumara, Kwale county, Taraba State); more than half its messages name nobody; its
    names are in no list of ours."""
    messages = scrub_bench.load(UNSEEN27)
    assert_labelled(messages, without_identifiers=0.35)
    assert len(name_words(messages)) >= 140
    listed = listed_names()
    for word in name_words(messages):
        assert word not in listed, word


# Measured on the twenty-seventh unseen set when it was new, with the judge of names learnt
# without it (docs/benchmarks.md, "The twenty-seventh blind set"): names 94.7% recall, 70.6%
# precision (the rules alone: 95.3%, 64.9%); every phone number and e-mail found.
UNSEEN27_FIRST = {
    "ar": (21, 27, 21, 32),
    "en": (29, 32, 30, 49),
    "es": (28, 28, 29, 41),
    "fr": (31, 31, 33, 46),
    "ha": (25, 25, 25, 31),
    "sw": (28, 28, 28, 36),
}


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_the_twenty_seventh_unseen_set_does_not_fall_below_its_first_measure(language):
    assert_floor(UNSEEN27, UNSEEN27_FIRST, language)


def test_the_twenty_eighth_unseen_set_is_labelled_and_hard():
    """Written blind after the twenty-seventh, while the judge of names was being made:
    seven more regions (Chimanimani and Tongogara, Mandera, Madagascar's south-east coast,
    the Montes de María, South and North Kordofan, Maniema, Gombe State); half its messages
    name nobody; its names are in no list of ours."""
    messages = scrub_bench.load(UNSEEN28)
    assert_labelled(messages, without_identifiers=0.35)
    assert len(name_words(messages)) >= 140
    listed = listed_names()
    for word in name_words(messages):
        assert word not in listed, word


# Measured on the twenty-eighth unseen set when it was new, with the judge learnt without it
# and its thresholds chosen on the other sets (docs/benchmarks.md): names 96.6% recall, 80.6%
# precision (the rules alone: 94.9%, 73.7%); every phone number and e-mail found.
UNSEEN28_FIRST = {
    "ar": (23, 28, 23, 33),
    "en": (37, 38, 37, 45),
    "es": (30, 30, 30, 34),
    "fr": (25, 25, 27, 33),
    "ha": (26, 26, 26, 33),
    "sw": (30, 30, 31, 38),
}


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_the_twenty_eighth_unseen_set_does_not_fall_below_its_first_measure(language):
    assert_floor(UNSEEN28, UNSEEN28_FIRST, language)


# Measured on the twenty-ninth unseen set when it was new, with the judge learnt without it
# (docs/benchmarks.md): names 95.3% recall, 80.2% precision (the rules alone: 94.3%, 75.4%);
# every phone number and e-mail found.
UNSEEN29_FIRST = {
    "ar": (26, 32, 26, 32),
    "en": (37, 38, 39, 48),
    "es": (33, 33, 33, 40),
    "fr": (29, 30, 29, 37),
    "ha": (30, 31, 30, 36),
    "sw": (29, 29, 29, 39),
}


@pytest.mark.parametrize(
    "text, scrubbed",
    [
        # Iraqi "I": "آني"
        ("آني شنيشل مهاوش من الحويجة", "آني [name] [name] من الحويجة"),
        ("آني تعبان وما عندي شغل", None),
        ("آني من الموصل ورجعت", None),
        # Calling "on" someone: "الاتصال على X"
        ("الرجاء الاتصال على زغيّر للتنسيق", "الرجاء الاتصال على [name] للتنسيق"),
        ("اتصلوا على حمّود بعد العصر", "اتصلوا على [name] بعد العصر"),
        ("الرجاء الاتصال على الرقم المجاني", None),
        ("اتصلوا على المكتب الصبح", None),
        # A household head in lower case with no colon, the phrase ended
        (
            "hh head lokwang apua (47), wife nakiru",
            "hh head [name] [name] (47), wife [name]",
        ),
        ("chef de ménage kpanou mbéyé, 3 enfants", "chef de ménage [name] [name], 3 enfants"),
        ("hh head is away in the gardens", None),
        ("mkuu wa kaya hayupo nyumbani", None),
        ("jefe de hogar trabaja en el campo", None),
        # Who is who in a Hausa family list is no name
        ("jerin iyali: maigida, matarsa da jikokinsa suna sansani", None),
        # A child's age, then a word alone in brackets: the child's name (four sets in a row)
        ("بنت عمرها ١٣ سنة (سعدية) أبوها زوجها", "بنت عمرها ١٣ سنة ([name]) أبوها زوجها"),
        ("girl 15 (tariro) was sent to work", "girl 15 ([name]) was sent to work"),
        ("una niña de 13 años (Yulexi) trabaja", "una niña de 13 años ([name]) trabaja"),
        ("msichana wa miaka 14 (neema) ameozwa", "msichana wa miaka 14 ([name]) ameozwa"),
        ("بنت ١٢ سنة (يتيمة) تحتاج مساعدة", None),
        ("enfant de 9 ans (orphelin) seul au site", None),
        ("block 15 (Zone B) has no water", None),
        ("tent 12 (Nakivale) is leaking", None),
    ],
)
def test_the_twenty_ninth_sets_general_misses(text, scrubbed):
    """What the twenty-ninth set missed that is no set's own (invented names here): the
    Iraqi "آني" (I), "الاتصال على X" (call X, also the twenty-eighth set's miss), a household
    head's name with no colon after the shorthand, a child's name in brackets after the age;
    Hausa family words taken for names."""
    assert scrub(text) == (text if scrubbed is None else scrubbed)


# Measured on the thirtieth unseen set when it was new, with the judge learnt without it
# (docs/benchmarks.md): names 88.0% recall, 74.7% precision (the rules alone: 86.9%,
# 71.4%); every phone number and e-mail found.
UNSEEN30_FIRST = {
    "ar": (23, 34, 24, 39),
    "en": (27, 28, 27, 33),
    "es": (29, 32, 29, 42),
    "fr": (33, 34, 33, 39),
    "ha": (24, 28, 24, 32),
    "sw": (25, 27, 25, 32),
}


@pytest.mark.parametrize(
    "text, scrubbed",
    [
        # A relative or a head of household, lower-case words, then an age in brackets
        (
            "registration: head malizani chisoni (52), wife tiyamike",
            "registration: head [name] [name] (52), wife [name]",
        ),
        (
            "Liste ménage : chef dioulde sakho (61 ans), épouse",
            "Liste ménage : chef [name] [name] (61 ans), épouse",
        ),
        ("my aunt (45) is sick", None),
        ("the head of the school (52) said no", None),
        # Names with "ال" in a household's form, as Sudan and the Gulf give them
        (
            "استمارة أسرة: رب الأسرة النعيم ود الحاج، الزوجة العشّة، البنات الزينة والنعمة",
            "استمارة أسرة: رب الأسرة [name] [name] [name]، الزوجة [name]، البنات [name] [name]",
        ),
        ("رب الأسرة متوفى، الزوجة المريضة، والأطفال الرضع ما عندهم حليب", None),
        ("الزوجة الثانية تعبانة، والأولاد الصغار بلا مدرسة", None),
        # "أنا" and a name with "ال" no vocabulary knows; "أنا المسؤول" stays
        ("أنا الطريفي وعندي سبعة عيال", "أنا [name] وعندي سبعة عيال"),
        ("أنا المسؤول عن المخيم", None),
        ("أنا النازح من سنار", None),
        # "They call him X": a nickname, an ordinary word too
        ("في واحد يسموه الثعلب يبيع الدقيق", "في واحد يسموه [name] يبيع الدقيق"),
        ("يسموه هكي من زمان", None),
        # Sudanese "السستر" (the nurse) is a title
        ("شكرا للسستر حليمة في المركز الصحي", "شكرا للسستر [name] في المركز الصحي"),
    ],
)
def test_the_thirtieth_sets_general_misses(text, scrubbed):
    """What the thirtieth set missed that is no set's own (invented names here): a name in
    lower case between a head of household and an age; Sudanese and Gulf names with "ال"
    in a household's form or after "أنا"; "يسموه X" (they call him X); "السستر" (nurse)."""
    assert scrub(text) == (text if scrubbed is None else scrubbed)


# Measured on the thirty-first unseen set when it was new, with the judge learnt without
# it (docs/benchmarks.md): names 92.7% recall, 74.8% precision (the rules alone: 92.7%,
# 68.5%; the code before round thirty-one: 87.2%, 72.0%). One phone number said in Gulf
# digits ("ستة ثنين") was missed, and is found since.
UNSEEN31_FIRST = {
    "ar": (33, 37, 34, 44),
    "en": (31, 31, 34, 49),
    "es": (25, 27, 25, 37),
    "fr": (26, 28, 28, 38),
    "ha": (27, 29, 27, 33),
    "sw": (24, 27, 24, 29),
}


@pytest.mark.parametrize(
    "text, scrubbed",
    [
        # Digits said as the Gulf and the Levant count them
        ("رقمه تسعة تسعة ثنين واحد، خمس صفر، سبع ثنتين", "رقمه [phone]"),
        ("رقمي ثمان ثمان ست، سبع اربع، تلات تسع", "رقمي [phone]"),
        ("عندي ست دراري وسبع بنات وخمس عنزات", None),
        # The Gulf's "يدتي" (my grandmother); "خواتي" (my sisters) before their names
        ("يدّتي حمدونة مريضة من شهر", "يدّتي [name] مريضة من شهر"),
        ("خواتي زبيدة وعفرا بالبيت", "خواتي [name] [name] بالبيت"),
        ("يدتي مريضة وما في دكتور", None),
        ("اخواني الكرام شكرا لكم", None),
    ],
)
def test_the_thirty_first_sets_general_misses(text, scrubbed):
    """What the thirty-first set missed that is no set's own (invented names here): a phone
    number said in Gulf digits; names after the Gulf's "يدتي" and after "خواتي"."""
    assert scrub(text) == (text if scrubbed is None else scrubbed)


# Measured on the thirty-second unseen set when it was new, with the judge learnt without
# it (docs/benchmarks.md): names 88.7% recall, 70.4% precision (the rules alone: 87.4%,
# 69.4%; Arabic 61.3% recall); every phone number and e-mail found.
UNSEEN32_FIRST = {
    "ar": (19, 31, 22, 40),
    "en": (22, 22, 22, 27),
    "es": (24, 24, 24, 32),
    "fr": (30, 33, 30, 41),
    "ha": (23, 26, 23, 30),
    "sw": (23, 23, 24, 36),
}


@pytest.mark.parametrize(
    "text, scrubbed",
    [
        # Names with "ال" after a relative or a companion, and a nationality
        (
            "جارنا السوداني الطاهر الجزولي ورفيقه العاقب الحسين يخدموا في مزرعة",
            "جارنا السوداني [name] [name] ورفيقه [name] [name] يخدموا في مزرعة",
        ),
        ("أخوي الكبير مريض من شهر", None),
        ("ابني البكر انصاب بلغم", None),
        ("جاري الجديد ما بيعرف حد", None),
        # "وأنا" (and I) as "أنا"
        ("وأنا صويلح اشتيوي عندي ستة صغار", "وأنا [name] [name] عندي ستة صغار"),
        ("وأنا تعبان من الشغل", None),
        # The Iraqi "حچية" (Hajjiya), a title
        (
            "ملاحظة: حچّية زهيرة عمرها ٧٠ سنة ساكنة وحدها",
            "ملاحظة: حچّية [name] عمرها ٧٠ سنة ساكنة وحدها",
        ),
    ],
)
def test_the_thirty_second_sets_general_misses(text, scrubbed):
    """What the thirty-second set missed that is no set's own (invented names here): names
    with "ال" after a relative, a companion and a nationality; "وأنا X"; the Iraqi title
    "حچية"."""
    assert scrub(text) == (text if scrubbed is None else scrubbed)


# Measured on the thirty-third unseen set when it was new, with the judge learnt without it
# (docs/benchmarks.md): names 94.5% recall, 71.3% precision (the rules alone: 93.8%,
# 68.7%); every phone number and e-mail found.
UNSEEN33_FIRST = {
    "ar": (23, 24, 25, 48),
    "en": (31, 32, 33, 43),
    "es": (23, 24, 24, 29),
    "fr": (22, 23, 23, 28),
    "ha": (18, 20, 19, 29),
    "sw": (20, 22, 20, 25),
}


@pytest.mark.parametrize(
    "text, scrubbed",
    [
        # After a title, spoken "of" and a verb with "us" are no names
        ("الشيخ حق المخيم يوزع للمقربين بس", None),
        ("بعد الظهر الدكتور يشوفنا في العيادة", None),
        ("الحاج سالم حق الدكان ساعدنا", "الحاج [name] حق الدكان ساعدنا"),
        ("الدكتور يزن ساعدنا كتير", "الدكتور [name] ساعدنا كتير"),
        # After a relative, a word no vocabulary knows, shaped as a verb or a plural, at its
        # phrase's end or before a word said of a person: a name
        ("نعيش مع أمي وأختي يسرية، الدار مشققة", "نعيش مع أمي وأختي [name]، الدار مشققة"),
        ("حبوبتي حمدنا عيانة شديد", "حبوبتي [name] عيانة شديد"),
        ("بنتي جفون ولدت في المخيم", "بنتي [name] ولدت في المخيم"),
        ("أختي يشتغلوا في السوق", None),
        ("ساكنة عند بنت خالتي بصيدا حي الهلالية", None),
        # Spoken words: must, having none, gave us nets
        ("قالوا لازم نستنى للأسبوع الجاي", None),
        ("ناس الصليب الأحمر جو وادونا ناموسيات", None),
        ("رجعنا ومعناش ولا مليم", None),
    ],
)
def test_the_thirty_third_sets_general_false_positives(text, scrubbed):
    """What the thirty-third set took for names that is no set's own: a spoken "of" ("حق",
    "تبع", "بتاع") and a verb with "us" after a title; Egyptian and Chadian everyday words.
    And what the sets before it missed after a relative: names the vocabulary does not know
    that are shaped as verbs or plurals (invented names here)."""
    assert scrub(text) == (text if scrubbed is None else scrubbed)


# Measured on the thirty-fourth unseen set when it was new, with the judge learnt without
# it (docs/benchmarks.md): names 96.7% recall, 81.1% precision (the rules alone: 95.6%,
# 80.3%); every phone number and e-mail found.
UNSEEN34_FIRST = {
    "ar": (30, 30, 30, 44),
    "en": (38, 41, 38, 47),
    "es": (29, 30, 29, 33),
    "fr": (32, 32, 34, 39),
    "ha": (23, 25, 23, 29),
    "sw": (25, 25, 26, 30),
}


@pytest.mark.parametrize(
    "text, scrubbed",
    [
        # "name" as a case note's shorthand, then the full name
        (
            "case note: widow, 4 kids, Luuq. name Faadumo Ilkacase Garweyne",
            "case note: widow, 4 kids, Luuq. name [name] [name] [name]",
        ),
        ("الاسم: حمدية سلوم، العمر ٤٠", "الاسم: [name] [name]، العمر ٤٠"),
        ("the name list was not posted at the gate", None),
        ("their name is not on the list", None),
    ],
)
def test_the_thirty_fourth_sets_general_misses(text, scrubbed):
    """What the thirty-fourth set missed that is no set's own (invented names here): a full
    name after "name", as case notes write it."""
    assert scrub(text) == (text if scrubbed is None else scrubbed)


# Measured on the thirty-fifth unseen set when it was new, with the judge learnt without it
# (docs/benchmarks.md): names 97.4% recall, 77.9% precision (the rules alone: 97.4%,
# 76.7%); every phone number and e-mail found.
UNSEEN35_FIRST = {
    "ar": (30, 31, 30, 42),
    "en": (32, 32, 34, 43),
    "es": (31, 32, 33, 41),
    "fr": (38, 38, 40, 53),
    "ha": (28, 31, 29, 34),
    "sw": (30, 30, 31, 40),
}

# Measured on the thirty-sixth unseen set when it was new, with the judge learnt without it
# (docs/benchmarks.md): names 96.3% recall, 85.4% precision (the rules alone: 95.9%,
# 84.0%); every phone number and e-mail found.
UNSEEN36_FIRST = {
    "ar": (34, 38, 36, 50),
    "en": (29, 30, 30, 34),
    "es": (33, 36, 33, 38),
    "fr": (38, 38, 39, 41),
    "ha": (37, 37, 39, 47),
    "sw": (39, 39, 39, 43),
}

# Measured on the thirty-seventh unseen set when it was new, with the judge learnt without it
# (docs/benchmarks.md): names 97.1% recall, 86.5% precision (the rules alone: 97.1%,
# 81.5%); every phone number and e-mail found.
UNSEEN37_FIRST = {
    "ar": (23, 27, 23, 29),
    "en": (29, 29, 29, 31),
    "es": (32, 32, 32, 33),
    "fr": (29, 29, 29, 35),
    "ha": (28, 28, 29, 36),
    "sw": (25, 26, 25, 29),
}

# Measured on the thirty-eighth unseen set when it was new, with the judge learnt without it
# (docs/benchmarks.md): names 96.2% recall, 78.9% precision (the rules alone: 95.7%,
# 76.9%); one phone number of 32 missed, said in Hausa's tens ("arba'in"), found since.
UNSEEN38_FIRST = {
    "ar": (34, 34, 34, 58),
    "en": (32, 33, 39, 49),
    "es": (39, 40, 43, 46),
    "fr": (42, 44, 45, 56),
    "ha": (27, 30, 29, 33),
    "sw": (29, 30, 30, 37),
}

# Measured on the thirty-ninth unseen set when it was new, with the judge learnt without it
# (docs/benchmarks.md): names 98.5% recall, 78.6% precision (the rules alone: 98.5%,
# 76.7%); every phone number and e-mail found.
UNSEEN39_FIRST = {
    "ar": (31, 33, 33, 49),
    "en": (35, 35, 36, 45),
    "es": (34, 34, 36, 40),  # a surname said twice, labelled once, labelled twice since
    "fr": (30, 30, 30, 36),
    "ha": (30, 31, 33, 44),
    "sw": (35, 35, 35, 43),
}

# Measured on the fortieth unseen set when it was new, with the judge learnt without it
# (docs/benchmarks.md): names 95.7% recall, 79.2% precision (the rules alone: 95.7%,
# 76.8%); every phone number and e-mail found.
UNSEEN40_FIRST = {
    "ar": (31, 34, 31, 48),
    "en": (29, 31, 30, 32),
    "es": (27, 28, 28, 33),
    "fr": (34, 34, 34, 37),
    "ha": (27, 28, 28, 37),
    "sw": (28, 29, 28, 39),
}

# The blind sets written while the judge of names was in place, each with its first measure.
JUDGED_BLIND_SETS = {
    UNSEEN29: UNSEEN29_FIRST,
    UNSEEN30: UNSEEN30_FIRST,
    UNSEEN31: UNSEEN31_FIRST,
    UNSEEN32: UNSEEN32_FIRST,
    UNSEEN33: UNSEEN33_FIRST,
    UNSEEN34: UNSEEN34_FIRST,
    UNSEEN35: UNSEEN35_FIRST,
    UNSEEN36: UNSEEN36_FIRST,
    UNSEEN37: UNSEEN37_FIRST,
    UNSEEN38: UNSEEN38_FIRST,
    UNSEEN39: UNSEEN39_FIRST,
    UNSEEN40: UNSEEN40_FIRST,
}


@pytest.mark.parametrize("path", list(JUDGED_BLIND_SETS), ids=lambda path: path.stem)
def test_each_blind_set_of_the_judge_is_labelled_and_hard(path):
    """Written blind by someone who never read the scrubber, from seven regions no earlier
    set used (its "about" names them); more than a third of its messages name nobody; its
    names are in no list of ours."""
    messages = scrub_bench.load(path)
    assert_labelled(messages, without_identifiers=0.35)
    assert len(name_words(messages)) >= 140
    listed = listed_names()
    for word in name_words(messages):
        assert word not in listed, word


@pytest.mark.parametrize(
    "path, language",
    [(path, language) for path in JUDGED_BLIND_SETS for language in sorted(LANGUAGES)],
    ids=lambda value: getattr(value, "stem", value),
)
def test_each_blind_set_of_the_judge_keeps_its_first_measure(path, language):
    assert_floor(path, JUDGED_BLIND_SETS[path], language)


@pytest.mark.parametrize(
    "text, scrubbed",
    [
        (
            "سميتي فاطنة أوحماد، الخيمة ديالنا طارت",
            "سميتي [name] [name]، الخيمة ديالنا طارت",
        ),
        ("سميتها رقية وعندها خمس سنين", "سميتها [name] وعندها خمس سنين"),
        ("كيسمى حمو وهو من الدوار", "كيسمى [name] وهو من الدوار"),
        ("الخيمة ديالنا طارت والريح قوية بزاف", None),
    ],
)
def test_my_name_is_in_the_maghreb(text, scrubbed):
    """Moroccan and Algerian "my name is", "she is called" ("سميتي", "سميتها", "كيسمى"): the
    twenty-seventh set's missed "سميتي X Y" (invented names here)."""
    assert scrub(text) == (text if scrubbed is None else scrubbed)


@pytest.mark.parametrize(
    "text, labels, found",
    [
        ("أبو سامر يبيع الخضار", ["سامر"], ["أبو", "سامر"]),  # the particle removed too
        ("أبو سامر يبيع الخضار", ["أبو سامر"], ["سامر"]),  # the particle left in place
        ("chef de ménage Intalla ag Ahmadou", ["Intalla", "Ahmadou"], ["Intalla", "ag", "Ahmadou"]),
    ],
)
def test_the_benchmark_counts_a_kunya_or_nasab_particle_neither_way(text, labels, found):
    message = {"text": text, "identifiers": [{"text": t, "kind": "name"} for t in labels]}
    message["language"] = "ar"
    where = [re.search(rf"(?<!\w){word}(?!\w)", text).span() for word in found]
    spans = [Span(start, end, "name") for start, end in where]
    names = scrub_bench.score([message], [spans])["counts"]["ar", "name"]
    assert names["recalled"] == names["labelled"] == len(labels)
    assert names["correct"] == names["found"] == len([w for w in found if w not in ("أبو", "ag")])


def test_the_benchmark_still_counts_a_particle_far_from_any_name():
    text = "ولد صغير ضاع في السوق"  # "a little boy": no kunya, no name
    message = {"language": "ar", "text": text, "identifiers": []}
    names = scrub_bench.score([message], [[Span(0, 3, "name")]])["counts"]["ar", "name"]
    assert names["found"] == 1 and names["correct"] == 0
