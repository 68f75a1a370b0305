"""Write `name_model.txt.gz`: a model of what names look like, learnt from our lists.

A word is cut into its letter groups of one to four letters, with its start and end marked
("^ak", "kol$"). For each group the model holds how much more often it comes in names than
in ordinary words (a naive Bayes log ratio). A word's score is the mean of the ratios of
its groups: above 0 it looks more like a name, below 0 more like a word. The scrubber asks
it only where its rules hesitate (a lower-case word after "na" or "kutoka kwa", the word
after an Arabic-script name, a lower-case Latin word in an Arabic message); a word of a
list (a town, an ordinary word) is never taken for a name because of it.

Names (what a name looks like): gender-guesser's first names, the names of our lists of
this folder in Latin letters and in Arabic script, and our African and Arabic Latin-letter
names written in Arabic letters as they sound. Words (what a name does not look like):
the English, French and Spanish vocabulary, our Swahili and Hausa words, the 30,000 most
frequent Arabic words and our ordinary words; a word that is in both is left out of both.
Each source weighs the same within its class whatever its size, so that the 2,900 Swahili
and Hausa words count as much as the 92,000 English, French and Spanish ones.

    python collector/name_lists/make_name_model.py              # write the model
    python collector/name_lists/make_name_model.py --held-out   # measure it first

`--held-out` trains on the lists with a random tenth of the name words and a random tenth of
the words set aside (seed 14), then prints how the set-aside names and words score. The same
lists give the same bytes.
"""

from __future__ import annotations

import argparse
import gzip
import math
import random
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parent.parent))

# The scrubber's own cut of a word into letter groups, so that both read words alike.
from collector.scrubbing import _name_grams as grams  # noqa: E402

MODEL = "name_model.txt.gz"
SEED = 14
ALPHA = 0.5  # add-a-half smoothing of the group counts
MIN_COUNT = 3  # groups seen fewer times in all sources are left out: they say little
ARABIC_WORDS = 30000  # rarer Arabic words hold many names (the list comes from subtitles)


# Names of Africa and the Arab world in Arabic letters, as Sudan, Chad and the Sahel write them
# ("Gatluak" = "قاتلواك", "Majok" = "ماجوك"): more shapes of names in Arabic script than
# our 450 Arabic-script names give. Two letters first, then one.
_TO_ARABIC = {
    "sh": "ش",
    "ch": "تش",
    "kh": "خ",
    "gh": "غ",
    "th": "ث",
    "dh": "ذ",
    "ny": "ني",
    "ng": "نق",
    "ph": "ف",
    "b": "ب",
    "c": "ك",
    "d": "د",
    "f": "ف",
    "g": "ق",
    "h": "ه",
    "j": "ج",
    "k": "ك",
    "l": "ل",
    "m": "م",
    "n": "ن",
    "p": "ب",
    "q": "ق",
    "r": "ر",
    "s": "س",
    "t": "ت",
    "v": "ف",
    "w": "و",
    "x": "كس",
    "y": "ي",
    "z": "ز",
    "a": "ا",
    "e": "ي",
    "i": "ي",
    "o": "و",
    "u": "و",
}
_FIRST_VOWEL = {"a": "أ", "e": "إي", "i": "إ", "o": "أو", "u": "أو"}


def to_arabic(folded: str) -> str:
    """A Latin-letter name written in Arabic letters the way it sounds: "akol" = "أكول"."""
    out, i = [], 0
    if folded[:1] in _FIRST_VOWEL:
        out.append(_FIRST_VOWEL[folded[0]])
        i = 1
    while i < len(folded):
        pair = folded[i : i + 2]
        if pair in _TO_ARABIC:
            out.append(_TO_ARABIC[pair])
            i += 2
            continue
        letter = folded[i]
        if letter in "aeiou" and i and folded[i - 1] == letter:
            i += 1  # "aa", "oo": one long vowel
            continue
        out.append(_TO_ARABIC.get(letter, ""))
        i += 1
    return "".join(out)


def _regional_names() -> set[str]:
    """The Latin-letter names of our regional lists (not gender-guesser's, mostly European)."""
    from collector import scrubbing as s

    found = set(s._AFRICAN_NAMES)
    for name in ("africa_east", "africa_horn", "africa_west", "africa_south", "arabic_latin"):
        found |= {s._fold(w) for line in s._lines(f"{name}.txt") for w in line.split()}
    return {w for w in found if w.isalpha() and w.isascii()}


def sources() -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """(names by source, words by source), folded, each word in one class only."""
    from collector import scrubbing as s

    latin, arabic = s._listed()
    ours = set(latin) | set(s._AFRICAN_NAMES)
    names = {
        "gender_guesser": set(s._name_list()) - ours,
        "our_lists": ours,
        "arabic_script": set(arabic) | set(s._ARABIC_NAMES),
        "in_arabic_letters": {to_arabic(w) for w in _regional_names()},
    }
    ranks = s._arabic_ranks()
    ranked = sorted(ranks, key=lambda word: ranks[word])[:ARABIC_WORDS]
    words = {
        "en_fr_es": set(s._packed_words("vocabulary.txt.gz")) | set(s._ordinary()),
        "sw_ha": set(s._everyday()),
        "arabic": set(ranked),
    }
    every_name = set().union(*names.values()) | set(s._AMBIGUOUS_NAMES)
    every_word = set().union(*words.values())
    names = {k: {w for w in v if w not in every_word and len(w) >= 2} for k, v in names.items()}
    words = {k: {w for w in v if w not in every_name and len(w) >= 2} for k, v in words.items()}
    return names, words


def _mixed(groups: dict[str, set[str]], kinds: int) -> tuple[dict[str, float], float]:
    """Each group's share of the class, every source weighing the same: (shares, the share
    of a group the class never holds). `kinds`: how many groups both classes hold, so that
    a small source (300 Arabic-script names) is smoothed as much as its size calls for."""
    shares: dict[str, float] = {}
    unseen = 0.0
    for words in groups.values():
        counts = Counter(g for w in words for g in grams(w))
        total = sum(counts.values()) + ALPHA * kinds
        for gram, count in counts.items():
            shares[gram] = shares.get(gram, 0.0) + (count + ALPHA) / total / len(groups)
        unseen += ALPHA / total / len(groups)
    return dict(shares), unseen


def train(names: dict[str, set[str]], words: dict[str, set[str]]) -> dict[str, float]:
    """The log ratio of each group seen at least MIN_COUNT times, rounded: sorted, so the
    same lists give the same model."""
    seen = Counter(g for v in (*names.values(), *words.values()) for w in v for g in grams(w))
    latin = lambda v: {k: {w for w in s if not _arabic(w)} for k, s in v.items()}  # noqa: E731
    arabic = lambda v: {k: {w for w in s if _arabic(w)} for k, s in v.items()}  # noqa: E731
    model = {}
    # Latin and Arabic letters are two models in one table: their groups never meet.
    for pick in (latin, arabic):
        picked = [{k: v for k, v in pick(c).items() if v} for c in (names, words)]
        kinds = len({g for c in picked for v in c.values() for w in v for g in grams(w)})
        positive, p_unseen = _mixed(picked[0], kinds)
        negative, n_unseen = _mixed(picked[1], kinds)
        for gram in set(positive) | set(negative):
            if seen[gram] >= MIN_COUNT:
                ratio = math.log(positive.get(gram, p_unseen) / negative.get(gram, n_unseen))
                model[gram] = round(ratio, 2)
    return dict(sorted(model.items()))


def _arabic(word: str) -> bool:
    return any("\u0600" <= c <= "\u06ff" for c in word)


def score(model: dict[str, float], folded: str) -> float:
    """The mean log ratio of the word's groups (0 for a word of none the model knows)."""
    found = [model[g] for g in grams(folded) if g in model]
    return sum(found) / len(found) if found else 0.0


def write(model: dict[str, float]) -> None:
    lines = "".join(f"{gram}\t{ratio:g}\n" for gram, ratio in model.items())
    # mtime=0: the same lists give the same bytes, so a rebuild shows no change in git.
    data = gzip.compress(lines.encode("utf-8"), 9, mtime=0)
    (HERE / MODEL).write_bytes(data)
    print(f"{MODEL}: {len(model):,} letter groups, {len(data):,} bytes")


def held_out(limit: int | None = None) -> dict:
    """Train without a seeded tenth of the names and of the words; score those tenths.
    `limit`: at most so many words of each source (seeded), for a quicker check."""
    names, words = sources()
    rng = random.Random(SEED)
    apart: dict[str, list[tuple[str, str]]] = {"name": [], "word": []}
    for kind, groups in (("name", names), ("word", words)):
        for key in sorted(groups):
            chosen = sorted(groups[key])
            rng.shuffle(chosen)
            chosen = chosen[:limit] if limit else chosen
            cut = len(chosen) // 10
            apart[kind] += [(key, w) for w in chosen[:cut]]
            groups[key] = set(chosen[cut:])
    model = train(names, words)
    return {kind: [(key, w, score(model, w)) for key, w in rows] for kind, rows in apart.items()}


def _report(scored: dict) -> None:
    from collector.scrubbing import _NAME_SHAPE, _WORD_SHAPE

    def quantiles(values):
        values = sorted(values)
        return " ".join(
            f"{values[int(q * (len(values) - 1))]:+.2f}" for q in (0.1, 0.25, 0.5, 0.75, 0.9)
        )

    print(
        "held out (trained without them): count, mean, quantiles 10% 25% 50% 75% 90%,\n"
        "share at or above the scrubber's name threshold, share below its word threshold"
    )
    for kind in ("name", "word"):
        for key in sorted({k for k, _, _ in scored[kind]}):
            rows = [(w, v) for k, w, v in scored[kind] if k == key]
            values = [v for _, v in rows]
            script = "arabic" if _arabic(rows[0][0]) else "latin"
            name = sum(v >= _NAME_SHAPE[script] for v in values) / len(values)
            word = sum(v < _WORD_SHAPE[script] for v in values) / len(values)
            mean = sum(values) / len(values)
            print(
                f"  {kind:4} {key:17} {len(values):6,}  mean {mean:+.2f}  {quantiles(values)}"
                f"  {name:6.1%} {word:6.1%}"
            )
    for script, test in (("Latin", lambda w: not _arabic(w)), ("Arabic", _arabic)):
        names = [v for _, w, v in scored["name"] if test(w)]
        words = [v for _, w, v in scored["word"] if test(w)]
        print(
            f"  {script}: a held-out name above a held-out word in "
            f"{_pairs(names, words):.1%} of pairs"
        )


def _pairs(names: list[float], words: list[float]) -> float:
    """The chance that a name scores above a word (the area under the curve)."""
    ranked = sorted([(v, 1) for v in names] + [(v, 0) for v in words])
    below = pairs = 0
    for _, is_name in ranked:
        if is_name:
            pairs += below
        else:
            below += 1
    return pairs / (len(names) * len(words))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--held-out", action="store_true", help="measure on set-aside words")
    options = parser.parse_args()
    if options.held_out:
        _report(held_out())
    write(train(*sources()))
