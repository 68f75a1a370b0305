"""A second opinion on every word the scrubber's rules took or left as a name.

The rules of `collector.scrubbing` decide from lists and from signs around a word; written
set by set, they carry little from one set's regions to the next: on sets of names, places
and regions they had never seen they found about 90% of the names, and about 71% of what
they took for names were (`make_name_judge.py --held-out`). Most of their errors have a
shape the rules do not weigh together: a river or a town after "near" or "wa", a heading
word, a spoken verb; a lower-case name after a relative in a message with no capital.

This module weighs each word again with a logistic regression learnt from the labelled sets
(`name_lists/name_judge.txt.gz`, written by `name_lists/make_name_judge.py`): the word's
shape, letters and lists, the name model's score, its neighbours, and what the rules said
of it and of them. It was trained on what the rules said of each set when that set was new,
so it learns how far to trust them on text they were not written for.

Misses are the privacy risk, so the two thresholds differ: a word the rules took stays a
name unless the judge is nearly sure it is none (`_TAKE_AWAY`), a word they left becomes a
name as soon as it is more likely one than not (`_ADD`). Never taken away: a word a name
list holds, the record's own names, a word right after a relative or a role, the words
joined to an address, a name inside a word ("WanjiruOdhiambo"). Never added: a word the
lists hold as no name.
"""

from __future__ import annotations

import gzip
import math
from functools import lru_cache
from importlib import resources
from typing import NamedTuple

from collector import scrubbing as _rules

__all__ = ["judge", "probability", "weighed_words"]

_MODEL_FILE = "name_judge.txt.gz"
# Chosen on sets held out of training (`make_name_judge.py --held-out`): giving back what
# the rules took below 0.05 lost one name in eight sets, below 0.1 two, below 0.2 three
# (for 1.3 and 3.3 points of precision more). Misses are the privacy risk.
_TAKE_AWAY = 0.05
_ADD = 0.5


class _Candidate(NamedTuple):
    position: int  # in the message's words
    said: bool  # the rules took it for a name


def _covered(word, spans) -> list:
    return [s for s in spans if s.start < word.end and word.start < s.end]


def candidates(text: str, spans) -> tuple[list, list[bool], list[_Candidate]]:
    """The message's words, whether the rules took each for a name, and the words the judge
    weighs: all but those inside another kind's span (an address, a phone) or a placeholder."""
    words = _rules._tokens(text)
    said, weighed, everything = [], [], list(spans) + _rules._placeholders(text)
    for index, word in enumerate(words):
        covering = _covered(word, everything)
        said.append(any(s.kind == "name" for s in covering))
        if all(s.kind == "name" for s in covering):
            weighed.append(_Candidate(index, said[-1]))
    return words, said, weighed


def _shape(word: str) -> str:
    if _rules._is_arabic(word):
        return "ar"
    if word.isupper() and len(word) > 1:
        return "UP"
    return "Cap" if word[:1].isupper() else "low"


def _step(score: float, edges=(-1.5, -1.0, -0.5, 0.0, 0.5, 1.0)) -> int:
    return sum(score >= edge for edge in edges)


def _message(words) -> tuple[bool, str]:
    """All in lower case, and how capitalised the words after a sentence's first are."""
    latin = [w for w in words if not _rules._is_arabic(w.text)]
    inner = [w for w in latin if not w.initial]
    share = sum(w.capital for w in inner) / max(1, len(inner))
    lower = bool(latin) and not any(w.capital for w in latin)
    return lower, "hi" if share > 0.5 else "mid" if share > 0.2 else "lo"


def _own(word) -> tuple[str, ...]:
    """What the word is, apart from where it stands."""
    return _own_features(word.text, word.folded, word.capital)


@lru_cache(maxsize=65536)  # the same words come back from message to message
def _own_features(text: str, folded: str, capital: bool) -> tuple[str, ...]:
    arabic = _rules._is_arabic(text)
    found = [
        f"w={folded}",
        f"s2={folded[-2:]}",
        f"s3={folded[-3:]}",
        f"s4={folded[-4:]}",
        f"p2={folded[:2]}",
        f"p3={folded[:3]}",
        f"len={min(len(folded), 10)}",
        f"known={_rules._known(folded, capital, arabic)}",
        f"gz={folded in _rules._gazetteer()}",
        f"vo={folded in _rules._vocabulary()}",
        f"od={folded in _rules._ordinary()}",
        f"ns={_step(_rules._name_shape(folded))}",
    ]
    if arabic:
        for bare in _rules._bare(folded)[1:]:
            listed = bare in _rules._name_list() or _rules._arabic_name(bare)
            found += [f"arbare_known={listed}", f"arbare_vo={bare in _rules._vocabulary()}"]
    return tuple(found)


def _around(text: str, words, said: list[bool], index: int) -> list[str]:
    """The words before and after, and what the rules said of them."""
    word, found = words[index], []
    for step in (-3, -2, -1, 1, 2, 3):
        other = index + step
        if not 0 <= other < len(words):
            found += [f"w{step}=<none>"] if abs(step) <= 2 else []
            continue
        near = words[other]
        found.append(f"ctx={near.folded}")
        if abs(step) <= 2:
            found += [f"w{step}={near.folded}", f"sh{step}={_shape(near.text)}"]
            found.append(f"R{step}={int(said[other])}")
        if abs(step) == 1:
            gap = text[near.end : word.start] if step < 0 else text[word.end : near.start]
            found += [
                f"R,w{step}={int(said[index])},{near.folded}",
                f"R{step},R={int(said[other])},{int(said[index])}",
                f"gap{step}={gap.strip(' ')[:2] or '_'}",
                f"kn{step}={_rules._is_known(near)}",
                f"gz{step}={near.folded in _rules._gazetteer()}",
            ]
    return found


def _after(text: str, word) -> str:
    follows = text[word.end : word.end + 4].lstrip(" ")[:1]
    if follows == "(":
        return "("
    if follows.isdigit():
        return "dig"
    return "punct" if follows and follows in ",.;:" else "o"


def features(text: str, words, said: list[bool], index: int, message=None) -> list[str]:
    """The judge's features of one word: names of the features that hold, each worth 1."""
    word, taken = words[index], int(said[index])
    folded, shape = word.folded, _shape(word.text)
    lower, capitals = message or _message(words)
    known = _rules._is_known(word)
    own = _own(word)
    found = [
        "bias",
        f"R={taken}",
        f"sh={shape}",
        f"R,sh={taken},{shape}",
        f"ini={word.initial}",
        f"R,ini,sh={taken},{word.initial},{shape}",
        f"R,known={taken},{known}",
        f"R,gz,vo={taken},{folded in _rules._gazetteer()},{folded in _rules._vocabulary()}",
        f"R,ns={taken},{_step(_rules._name_shape(folded))}",
        f"after={_after(text, word)}",
        f"msglow={lower}",
        f"caps={capitals}",
        f"R,msglow={taken},{lower}",
        f"R,caps={taken},{capitals}",
    ]
    # The same word elsewhere in the message: what stands before it there.
    for other, again in enumerate(words):
        if other not in (index, 0) and again.folded == folded:
            found += [f"oth_w-1={words[other - 1].folded}", f"oth_R={int(said[other])}"]
    return [*found, *own, *_around(text, words, said, index)]


@lru_cache(maxsize=1)
def _weights() -> dict[str, float]:
    """Feature -> weight, from name_judge.txt.gz ('bias' among them)."""
    path = resources.files("collector").joinpath("name_lists", _MODEL_FILE)
    lines = gzip.decompress(path.read_bytes()).decode("utf-8").splitlines()
    return {name: float(weight) for name, weight in (line.rsplit("\t", 1) for line in lines)}


def _beside_others(text: str, words, said: list[bool], spans) -> set[int]:
    """The words of each run of the rules' names that touches an address, a phone number or
    an ID: the start of an address the rules cut short ("Ard el-Lewa, Haret el-Sharikat,
    building 9") may be what they took for names, and it identifies as much."""
    others = [s for s in spans if s.kind != "name"]
    runs: list[list[int]] = []
    run: list[int] = []
    for index, word in enumerate(words):
        if said[index] and run and len(text[words[run[-1]].end : word.start].strip(" -,")) == 0:
            run.append(index)
        else:
            runs.append(run)
            run = [index] if said[index] else []
    runs.append(run)
    beside = set()
    for run in filter(None, runs):
        first, last = words[run[0]], words[run[-1]]
        if any(
            s.end <= first.start <= s.end + 2 or last.end <= s.start <= last.end + 2 for s in others
        ):
            beside.update(run)
    return beside


@lru_cache(maxsize=1)
def _kin_words() -> frozenset:
    """Relatives and roles ("sister", "neveu", "dada", "abokaina", "لختي"), folded: the
    rules' surest sign of a name after them."""
    relations = {p.split()[-1] for p in _rules._RELATIONS.split("|") if p.strip()}
    roles = {w for w in _rules._KIN_OR_ROLE.split("|") if w.isalpha()}
    folded = {_rules._fold(w) for w in relations | roles}
    # "زوجها" is "her husband" and "he married her off" ("زوجها لواحد كبير").
    return frozenset(folded | _rules._OWN_KIN_WORDS | _rules._ARABIC_KIN) - {"زوجها"}


# What may stand between a relative and the name: a possessive ("dada yangu X"). "Of" only
# after a relative ("le neveu de X", "the son of X"): after a role it names a thing as
# often ("chef de famille", "mkuu wa kaya").
_LINKS = frozenset("yangu wangu yake wake yetu wetu yao wao".split())
_OF = frozenset("of de du del d".split())


@lru_cache(maxsize=1)
def _relatives() -> frozenset:
    """The relatives among `_kin_words`: family, neighbours, friends; no roles."""
    return frozenset(_rules._RELATION_WORDS) | _rules._OWN_KIN_WORDS


# What joins the names of a list after a relative ("abokaina Bature da Kure", "و").
_AND = frozenset("and et y e na da و".split())


def _after_kin(words, said: list[bool], index: int) -> bool:
    """After a relative or a role, directly or as the next of a list of names the rules
    took: "لختي إجة على 0671…", "dada yangu X", "sus hijos X y Y"; after a relative and
    "of": "le neveu de X"."""
    before = index - 1
    while before >= 0 and (said[before] or words[before].folded in _AND):
        before -= 1  # back over the list's earlier names
    while before >= 0 and words[before].folded in _LINKS:
        before -= 1
    if before < 0 or len(words[index].folded) < 3:  # "أم" of a kunya is no name alone
        return False
    if words[before].folded in _OF and before > 0:
        return words[before - 1].folded in _relatives()  # "le neveu de X"
    return any(f in _kin_words() for f in _rules._bare(words[before].folded))


def weighed_words(text: str, spans):
    """(word, the rules took it, its features) for each word the judge weighs."""
    words, said, weighed = candidates(text, spans)
    message = _message(words)
    for candidate in weighed:
        yield (
            words[candidate.position],
            candidate.said,
            features(text, words, said, candidate.position, message),
        )


def _no_name_listed(word) -> bool:
    """A word our lists hold as no name: an ordinary word, a town, a people, a word every
    sentence has, a frequent Arabic word. The judge never makes one a name: only the rules,
    from a sign around it ("la trabajadora social de Amina"), may."""
    folded = word.folded
    if _rules._is_arabic(word.text):
        return bool(_rules._arabic_word_not_name(word))
    return (
        folded in _rules._COMMON
        or folded in _rules._vocabulary()
        or folded in _rules._gazetteer()
        or folded in _rules._ordinary()
    )


def probability(found: list[str], weights: dict[str, float] | None = None) -> float:
    """How likely the word with these features is a name, by the learnt weights."""
    weights = _weights() if weights is None else weights
    score = sum(weights.get(name, 0.0) for name in found)
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, score))))


def judge(
    text: str,
    spans: list,
    keys: set[str],
    weights: dict[str, float] | None = None,
    take_away: float = _TAKE_AWAY,
    add: float = _ADD,
) -> list:
    """The rules' spans with each weighed word's name decided again. `keys`: the folded words
    of the record's own names, which stay names whatever the judge says."""
    words, said, weighed = candidates(text, spans)
    message, beside = _message(words), _beside_others(text, words, said, spans)
    dropped, added = set(), []
    for index, taken in weighed:
        word = words[index]
        if taken and (
            any(key in word.folded for key in keys)  # "وAAA": the record's own, glued
            or index in beside
            or _rules._is_known(word)
            or _after_kin(words, said, index)
        ):
            continue  # a listed name, the record's own, a relative's, an address's start
        if not taken and _no_name_listed(word):
            continue
        chance = probability(features(text, words, said, index, message), weights)
        if taken and chance < take_away:
            dropped.add((word.start, word.end))
        elif not taken and chance > add:
            added.append(_rules.Span(word.start, word.end, "name"))
    # Only a span that is the whole word goes: a name inside a word stays.
    kept = [s for s in spans if not (s.kind == "name" and (s.start, s.end) in dropped)]
    return sorted(kept + added)
