"""The scrubber's second opinion on names: what it may change, what it never changes, and the
data it learns from."""

from __future__ import annotations

import gzip
import json
import subprocess
import sys
from importlib import resources
from pathlib import Path

import pytest

from collector import name_judge, scrubbing
from collector.scrubbing import by_rules, find

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
FIRST_SEEN = FIXTURES / "scrubbing_first_seen.json"
MAKER = ROOT / "collector" / "name_lists" / "make_name_judge.py"

# Weights that make the judge sure of everything: what it still may not do is what the
# rules around it forbid, whatever it learnt.
NOTHING_IS_A_NAME = {"bias": -50.0}
EVERYTHING_IS_A_NAME = {"bias": 50.0}


def names(text: str, spans) -> list[str]:
    return [text[s.start : s.end] for s in spans if s.kind == "name"]


def judged(text: str, weights=None, record_names=()) -> list[str]:
    keys = scrubbing._name_keys(record_names)
    return names(text, name_judge.judge(text, by_rules(text, keys), keys, weights))


def test_the_weights_ship_with_the_package_small_and_load():
    path = resources.files("collector").joinpath("name_lists", "name_judge.txt.gz")
    packed = path.read_bytes()
    assert len(packed) < 1_000_000
    lines = gzip.decompress(packed).decode("utf-8").splitlines()
    assert lines == sorted(lines) and len(lines) > 1000
    weights = dict(line.rsplit("\t", 1) for line in lines)
    assert "bias" in weights and all(float(w) for w in weights.values())
    assert name_judge._weights()["bias"] == float(weights["bias"])


@pytest.mark.parametrize(
    "text, taken_away",
    [
        # Words no name list holds, taken by the rules and weighed as no names.
        ("Les villages de Bokoro et Ntandembele sont vides, tout le monde a fui", "Bokoro"),
        ("Volvió el agua a Valle del Tambillo, nadie pagó lo prometido", "del"),
    ],
)
def test_a_word_the_rules_took_may_be_given_back(text, taken_away):
    assert taken_away in names(text, by_rules(text))
    assert taken_away not in names(text, find(text))
    assert taken_away in text  # it stays in the scrubbed text
    assert taken_away in scrubbing.scrub(text)


@pytest.mark.parametrize(
    "text, added",
    [
        # Lower-case names the rules left, in a family list, after the first of which the
        # list's shape, not a sign, tells that they are names.
        ("grupo familiar: yamileth quiñones (madre), hijos brayan y dilan", "yamileth"),
        ("grupo familiar: yamileth quiñones (madre), hijos brayan y dilan", "quiñones"),
    ],
)
def test_a_name_the_rules_left_may_be_added(text, added):
    assert added not in names(text, by_rules(text))
    assert added in names(text, find(text))
    assert added not in scrubbing.scrub(text)


def test_a_name_a_list_holds_is_never_taken_away():
    text = "we met Wanjiru Kwabetoto at the pump yesterday"
    assert names(text, by_rules(text)) == ["Wanjiru", "Kwabetoto"]
    assert judged(text, NOTHING_IS_A_NAME) == ["Wanjiru"]  # listed: stays
    weak = "la trabajadora social de Amina no viene"  # "amina" is also a word
    assert judged(weak, NOTHING_IS_A_NAME) == ["Amina"]


def test_the_record_s_own_names_are_never_taken_away():
    text = "we met Wanjiru Kwabetoto at the pump yesterday"
    assert judged(text, NOTHING_IS_A_NAME, ["Kwabetoto Auma"]) == ["Wanjiru", "Kwabetoto"]
    found = find("Kwabetoto was at the pump", ["Kwabetoto Auma"])
    assert names("Kwabetoto was at the pump", found) == ["Kwabetoto"]
    # Glued to a letter of another script, as typed: "and Kwabetoto" in Arabic.
    glued = "the وkwabetoto"
    assert judged(glued, NOTHING_IS_A_NAME, ["Kwabetoto Auma"]) == ["وkwabetoto"]
    assert "kwabetoto" not in scrubbing.scrub(glued, ["Kwabetoto Auma"]).casefold()


@pytest.mark.parametrize(
    "text, name",
    [
        ("please call my aunt Kwabetoto tomorrow, she is sick", "Kwabetoto"),
        ("عيطو لختي تودة على التلفون، راها مريضة", "تودة"),  # to my sister, spoken
        ("dada yangu Nyakwesi amepotea tangu jana", "Nyakwesi"),  # my sister
        ("Allô, c'est le neveu de Kwabetoto, on est 6 au site", "Kwabetoto"),  # of
        ("the son of Nyakwesi was taken at the checkpoint", "Nyakwesi"),
    ],
)
def test_a_name_right_after_a_relative_is_never_taken_away(text, name):
    assert name in names(text, by_rules(text))
    assert name in judged(text, NOTHING_IS_A_NAME)


def test_what_the_rules_took_just_before_an_address_stays():
    text = (
        "Sudanese mother Kaltouma Idris, Ard el-Sabil, Haret el-Sharikat, building 4, "
        "3rd floor, 6 kids"
    )
    before = by_rules(text)
    assert {"Ard", "el", "Sabil"} <= set(names(text, before))
    assert any(s.kind == "address" for s in before)
    assert {"Ard", "el", "Sabil"} <= set(judged(text, NOTHING_IS_A_NAME))


def test_a_word_the_lists_hold_as_no_name_is_never_added():
    text = "we walked from Kisumu to the market with nyabera and the children"
    assert names(text, by_rules(text)) == []
    # Even sure of everything, the judge adds only the word that no list knows.
    assert judged(text, EVERYTHING_IS_A_NAME) == ["nyabera"]
    arabic = "مشينا من السوق إلى المدرسة مع الأولاد"
    assert judged(arabic, EVERYTHING_IS_A_NAME) == []


def test_placeholders_and_other_identifiers_are_not_weighed():
    text = "call [name] on 0712 345 678 or write to amani.k@example.org"
    spans = name_judge.judge(text, by_rules(text), set(), EVERYTHING_IS_A_NAME)
    assert [text[s.start : s.end] for s in spans if s.kind != "name"] == [
        "0712 345 678",
        "amani.k@example.org",
    ]
    assert names(text, spans) == []  # "call", "on", "or", "write", "to": listed words


def test_each_labelled_set_but_the_corpus_has_what_the_rules_found_when_it_was_new():
    recorded = json.loads(FIRST_SEEN.read_text("utf-8"))["sets"]
    labelled = {
        p.stem.removeprefix("scrubbing_"): json.loads(p.read_text("utf-8"))["messages"]
        for p in FIXTURES.glob("scrubbing_*.json")
        if p != FIRST_SEEN
    }
    assert set(recorded) == set(labelled) - {"corpus"}
    for name, spans_of in recorded.items():
        assert len(spans_of) == len(labelled[name]), name
        for message, spans in zip(labelled[name], spans_of, strict=True):
            for start, end, kind in spans:
                assert 0 <= start < end <= len(message["text"]) and kind in scrubbing.PLACEHOLDERS


def test_a_set_is_recorded_as_first_seen_once():
    before = FIRST_SEEN.read_bytes()
    result = subprocess.run(
        [sys.executable, str(MAKER), "--first-seen", "unseen26"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "unseen26 is recorded already" in result.stderr
    assert FIRST_SEEN.read_bytes() == before
