"""Write `name_judge.txt.gz`: the weights of the scrubber's second opinion on names.

A logistic regression (scikit-learn's, needed here only: `pip install scikit-learn`) over
the features of `collector.name_judge.features`, one example per word of a message, the
word labelled a name where the labelled sets say so. What the rules said of a word is
one of its features, and the examples give it both ways:

- what the rules found in each labelled set when that set was new
  (tests/fixtures/scrubbing_first_seen.json): how far to trust them on text they were not
  written for, the case the judge is for;
- what they find in it now (worth a tenth), and in the cases of tests/test_scrubbing.py:
  so that the judge leaves alone what the rounds made right and the cases pin.

    python collector/name_lists/make_name_judge.py                      # write the weights
    python collector/name_lists/make_name_judge.py --held-out           # measure it first
    python collector/name_lists/make_name_judge.py --first-seen unseen27  # a new set, once

`--held-out` leaves each of the newest blind sets out of training in turn and compares, on
that set as it was first seen, the rules alone with the rules and the judge: the figure a
set of names, places and regions never seen should expect. `--first-seen SET` records what
the rules find in a newly written set before any round studies it; run it once, when the
set is added. The same sets give the same bytes.
"""

from __future__ import annotations

import argparse
import functools
import gzip
import importlib
import json
import re
import sys
from pathlib import Path

HERE = Path(__file__).parent
ROOT = HERE.parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "benchmarks")]

from collector import name_judge  # noqa: E402
from collector.scrubbing import _PLACEHOLDER, Span, by_rules  # noqa: E402

FIXTURES = ROOT / "tests" / "fixtures"
FIRST_SEEN = FIXTURES / "scrubbing_first_seen.json"
WEIGHTS = HERE / "name_judge.txt.gz"
NOW_WEIGHT = 0.1  # the rules' output today on a set they were tuned to
CASE_WEIGHT = 1.0  # a case of the tests, written for one rule
NAME_WEIGHT = 2.0  # a name counts twice a word: a miss is the worse error
C = 3.0  # inverse strength of the L2 penalty (1, 3 and 10 tried with --held-out)
KEEP = 0.005  # weights smaller than this are left out of the file


@functools.cache
def labelled_sets() -> dict[str, list[dict]]:
    return {
        path.stem.removeprefix("scrubbing_"): json.loads(path.read_text("utf-8"))["messages"]
        for path in sorted(FIXTURES.glob("scrubbing_*.json"))
        if path != FIRST_SEEN
    }


def first_seen() -> dict[str, list]:
    return json.loads(FIRST_SEEN.read_text("utf-8"))["sets"]


def name_spans(message: dict) -> list[tuple[int, int]]:
    """Where the message's labelled names are (the benchmark's own reading of a label)."""
    import scrub_bench

    return [(a, b) for a, b, kind in scrub_bench.labelled_spans(message) if kind == "name"]


def examples(text: str, spans, names) -> tuple[list[list[str]], list[int]]:
    """The features and labels of each word the judge weighs in one message."""
    features, labels = [], []
    for word, _said, found in name_judge.weighed_words(text, spans):
        features.append(found)
        labels.append(int(any(a < word.end and word.start < b for a, b in names)))
    return features, labels


def test_cases() -> dict[str, str | None]:
    """The texts of tests/test_scrubbing.py's parametrized cases, each with what the test
    expects it scrubbed to (None where the test says nothing of that)."""
    module = importlib.import_module("test_scrubbing")
    cases: dict[str, str | None] = {}
    for test in vars(module).values():
        for mark in getattr(test, "pytestmark", []):
            arguments = mark.args[0] if mark.name == "parametrize" else ()
            names = arguments.split(",") if isinstance(arguments, str) else list(arguments)
            names = [n.strip() for n in names]
            if "text" not in names:
                continue
            for values in mark.args[1]:
                values = getattr(values, "values", values)
                if len(names) == 1:
                    cases.setdefault(values, None)
                    continue
                text = values[names.index("text")]
                scrubbed = values[names.index("scrubbed")] if "scrubbed" in names else None
                cases[text] = text if "scrubbed" in names and scrubbed is None else scrubbed
    return dict(sorted(cases.items()))


def expected_names(text: str, scrubbed: str | None) -> list[tuple[int, int]] | None:
    """Where the names are that a case's scrubbed text replaces by [name]; None if it says
    nothing or cannot be lined up with the text."""
    if scrubbed is None:
        return None
    pieces = _PLACEHOLDER.split(scrubbed)  # text, kind, text, kind, ..., text
    pattern = "(.+?)".join(re.escape(piece) for piece in pieces[::2])
    lined_up = re.fullmatch(pattern, text, re.DOTALL)
    if lined_up is None:
        return None
    kinds = pieces[1::2]
    return [lined_up.span(i + 1) for i, kind in enumerate(kinds) if kind == "name"]


@functools.cache
def set_examples(name: str | None) -> tuple[list, list, list]:
    """Features, labels and weights of one labelled set's examples, or of the tests' cases
    for `name` None: made once, used by every fold of --held-out."""
    features, labels, weights = [], [], []

    def add(text, spans, names, weight):
        more, marks = examples(text, spans, names)
        features.extend(more)
        labels.extend(marks)
        weights.extend([weight] * len(marks))

    if name is None:
        for text, scrubbed in test_cases().items():
            spans = by_rules(text)
            names = expected_names(text, scrubbed)
            if names is None:  # the test pins no output: what the rules find stands
                names = [(s.start, s.end) for s in spans if s.kind == "name"]
            add(text, spans, names, CASE_WEIGHT)
        return features, labels, weights
    seen = first_seen().get(name)
    for index, message in enumerate(labelled_sets()[name]):
        names = name_spans(message)
        if seen is not None:
            add(message["text"], [Span(*s) for s in seen[index]], names, 1.0)
        add(message["text"], by_rules(message["text"]), names, NOW_WEIGHT)
    return features, labels, weights


def training(left_out: str | None = None):
    """Features, labels and weights of every example, but those of `left_out`'s set."""
    features, labels, weights = [], [], []
    for name in [*labelled_sets(), None]:
        if name is not None and name == left_out:
            continue
        more, marks, worth = set_examples(name)
        features += more
        labels += marks
        weights += worth
    return features, labels, weights


def fit(features, labels, weights) -> dict[str, float]:
    from sklearn.feature_extraction import DictVectorizer
    from sklearn.linear_model import LogisticRegression

    vectorizer = DictVectorizer()
    matrix = vectorizer.fit_transform([dict.fromkeys(f, 1) for f in features])
    model = LogisticRegression(C=C, max_iter=5000, class_weight={0: 1, 1: NAME_WEIGHT})
    model.fit(matrix, labels, sample_weight=weights)
    learnt = dict(zip(vectorizer.get_feature_names_out(), model.coef_[0], strict=True))
    learnt["bias"] = learnt.get("bias", 0.0) + model.intercept_[0]
    return {name: round(float(w), 4) for name, w in learnt.items() if abs(w) >= KEEP}


def held_out(sets: list[str], thresholds=(0.05, 0.1, 0.3)) -> None:
    """Each set left out in turn: the rules alone, then with the judge taking a name away
    below each threshold."""
    import scrub_bench

    columns = ["rules alone"] + [f"judged, {t}" for t in thresholds]
    totals = {column: [0, 0, 0, 0] for column in columns}
    seen, labelled = first_seen(), labelled_sets()
    print(f"{'set':10}" + "".join(f" {c:>17}" for c in columns) + "   (names: recall / precision)")
    for name in sets:
        weights = fit(*training(left_out=name))
        messages = labelled[name]
        before = [[Span(*s) for s in spans] for spans in seen[name]]
        found = {"rules alone": before}
        for threshold in thresholds:
            found[f"judged, {threshold}"] = [
                name_judge.judge(m["text"], spans, set(), weights, threshold)
                for m, spans in zip(messages, before, strict=True)
            ]
        row = f"{name:10}"
        for column in columns:
            counts = scrub_bench.score(messages, found[column])["counts"]
            names = scrub_bench.totals(counts, lambda group: group[1])["name"]
            numbers = [names[k] for k in ("recalled", "labelled", "correct", "found")]
            totals[column] = [a + b for a, b in zip(totals[column], numbers, strict=True)]
            row += f" {_ratios(numbers):>17}"
        print(row, flush=True)
    print(f"{'all':10}" + "".join(f" {_ratios(totals[c]):>17}" for c in columns))


def _ratios(numbers) -> str:
    recalled, labelled, correct, found = numbers
    return f"{100 * recalled / labelled:.1f}% / {100 * correct / max(1, found):.1f}%"


def record_first_seen(name: str) -> None:
    document = json.loads(FIRST_SEEN.read_text("utf-8"))
    if name in document["sets"]:
        sys.exit(f"{name} is recorded already: a set is first seen once.")
    messages = labelled_sets()[name]
    document["sets"][name] = [[list(s) for s in by_rules(m["text"])] for m in messages]
    text = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
    FIRST_SEEN.write_text(text.replace('],"unseen', '],\n"unseen') + "\n", "utf-8")


def write(weights: dict[str, float]) -> None:
    lines = "".join(f"{name}\t{weights[name]}\n" for name in sorted(weights))
    WEIGHTS.write_bytes(gzip.compress(lines.encode("utf-8"), mtime=0))
    print(f"{len(weights)} weights, {WEIGHTS.stat().st_size // 1024} kB: {WEIGHTS.name}")


def newest_blind_sets(count: int = 8) -> list[str]:
    numbered = [n for n in first_seen() if n.removeprefix("unseen").isdigit()]
    return sorted(numbered, key=lambda n: int(n.removeprefix("unseen")))[-count:]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--held-out", nargs="*", metavar="SET", help="measure, leaving each out")
    parser.add_argument("--first-seen", metavar="SET", help="record a new set as first seen")
    arguments = parser.parse_args()
    if arguments.first_seen:
        record_first_seen(arguments.first_seen)
    elif arguments.held_out is not None:
        held_out(arguments.held_out or newest_blind_sets())
    else:
        write(fit(*training()))
