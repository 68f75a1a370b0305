"""How well the laptop's free-text scrubber finds identifiers, per language and kind.

Runs `collector.scrubbing.find` (the rules, then the judge of names; `--rules-only` the rules
alone) over a labelled set of short messages in English, French,
Spanish, Arabic, Swahili and Hausa, each with the exact identifier substrings it holds:
tests/fixtures/scrubbing_corpus.json by default, or another file of the same shape
(scrubbing_heldout.json, scrubbing_fresh.json, and scrubbing_unseen.json to
scrubbing_unseen22.json: names in no list and in no other set, the later ones written blind).
The scrubber's model of name shapes is measured apart, on names held out of its training:
`python collector/name_lists/make_name_model.py --held-out`.

- Recall: the share of labelled identifiers whose every letter and digit is covered by
  what the scrubber finds (of any kind: a phone number removed as [id] does not leave).
- Precision: the share of found spans that overlap a labelled identifier; a span over a
  message's ordinary words ("Hope is all we have") is a false positive.
- The particle of a kunya or a nasab ("أبو", "أم", "بن", "ولد", "منت", "ag", "ould", "mint")
  next to a labelled name counts neither way: it need not be removed, and removing it with
  the name is no false positive. The sets disagree where it belongs (inside the label about
  twenty times, outside about a hundred), and it identifies no one by itself.

    python benchmarks/scrub_bench.py                       # the tables, for the corpus
    python benchmarks/scrub_bench.py --file tests/fixtures/scrubbing_heldout.json
    python benchmarks/scrub_bench.py --file tests/fixtures/scrubbing_unseen.json
    python benchmarks/scrub_bench.py --file tests/fixtures/scrubbing_unseen2.json
    python benchmarks/scrub_bench.py --file tests/fixtures/scrubbing_unseen3.json
    python benchmarks/scrub_bench.py --file tests/fixtures/scrubbing_unseen4.json
    python benchmarks/scrub_bench.py --file tests/fixtures/scrubbing_unseen5.json
    python benchmarks/scrub_bench.py --file tests/fixtures/scrubbing_unseen6.json
    python benchmarks/scrub_bench.py --file tests/fixtures/scrubbing_unseen7.json
    python benchmarks/scrub_bench.py --file tests/fixtures/scrubbing_unseen8.json
    python benchmarks/scrub_bench.py --file tests/fixtures/scrubbing_unseen9.json
    python benchmarks/scrub_bench.py --file tests/fixtures/scrubbing_unseen10.json
    python benchmarks/scrub_bench.py --file tests/fixtures/scrubbing_unseen11.json
    python benchmarks/scrub_bench.py --file tests/fixtures/scrubbing_unseen12.json
    python benchmarks/scrub_bench.py --file tests/fixtures/scrubbing_unseen13.json
    python benchmarks/scrub_bench.py --file tests/fixtures/scrubbing_unseen14.json
    python benchmarks/scrub_bench.py --file tests/fixtures/scrubbing_unseen15.json
    python benchmarks/scrub_bench.py --file tests/fixtures/scrubbing_unseen16.json
    python benchmarks/scrub_bench.py --file tests/fixtures/scrubbing_unseen17.json
    python benchmarks/scrub_bench.py --file tests/fixtures/scrubbing_unseen18.json
    python benchmarks/scrub_bench.py --file tests/fixtures/scrubbing_unseen19.json
    python benchmarks/scrub_bench.py --file tests/fixtures/scrubbing_unseen20.json
    python benchmarks/scrub_bench.py --file tests/fixtures/scrubbing_unseen21.json
    python benchmarks/scrub_bench.py --file tests/fixtures/scrubbing_unseen22.json
    python benchmarks/scrub_bench.py --misses              # and every miss and false positive
    python benchmarks/scrub_bench.py --catalogs            # names "found" in interface texts
    python benchmarks/scrub_bench.py --rules-only          # without the judge of names

With `--catalogs` it runs over the French, Spanish and Arabic texts of the collector's own
interface (translations/*/LC_MESSAGES/messages.po: about 900 each, written by the team, with
no person's name in them) and counts the words it would remove as names: each is a false
positive. The Swahili and Hausa catalogs are left out: their words are the scrubber's
Swahili and Hausa vocabulary (collector/name_lists/make_word_lists.py).

It also times `find` over every message of the file (several rounds, best of three) and
prints messages per second of CPU time (the process's own, so that other work on a shared
machine does not lower it).
"""

from __future__ import annotations

import argparse
import datetime
import json
import platform
import re
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from collector.scrubbing import _fold, _words, by_rules, find  # noqa: E402

# What is measured: `find` (the rules and the judge of names), or with --rules-only the rules.
finder = find

CORPUS = ROOT / "tests" / "fixtures" / "scrubbing_corpus.json"


def labelled_spans(message: dict) -> list[tuple[int, int, str]]:
    """(start, end, kind) of each labelled identifier, found in order in the text: where it
    stands as a whole word outside the identifiers placed before it ("tiro" the child, not
    the "tiro" of "doungous-tiro"), else where it first stands after the last one."""
    text, spans, searched = message["text"], [], {}
    for item in message["identifiers"]:
        label = item["text"]
        start = text.index(label, searched.get(label, 0))
        for found in re.finditer(rf"(?<!\w){re.escape(label)}(?!\w)", text):
            taken = any(a < found.end() and found.start() < b for a, b, _ in spans)
            if found.start() >= searched.get(label, 0) and not taken:
                start = found.start()
                break
        searched[label] = start + 1
        spans.append((start, start + len(label), item["kind"]))
    return spans


# The particles of a kunya ("father of", "mother of") and of a nasab ("son of", "daughter
# of"), folded, with "and", "with", "to" before them in Arabic ("وأم", "بأبو", "لأم").
PARTICLES = frozenset(
    _fold(prefix + word)
    for word in "أبو ابو أبي أم ام بن ابن بنت بت ولد ود منت".split()
    for prefix in ("", "و", "ب", "ل")
) | frozenset("ag ould mint bin binti bint ibn wad abu umm um".split())


def particles(text: str) -> list[tuple[int, int]]:
    """Where the kunya and nasab particles of a text are."""
    return [(a, b) for a, b in _words(text) if _fold(text[a:b]) in PARTICLES]


def _beside(text: str, span: tuple[int, int], labelled: list[tuple[int, int, str]]) -> bool:
    """Whether a particle stands next to a labelled name, only spaces between."""
    start, end = span
    for a, b, kind in labelled:
        if kind != "name":
            continue
        after = a >= end and text[end:a].strip() == ""  # "أبو [X]"
        before = b <= start and text[b:start].strip() == ""  # "[X] ولد"
        if after or before or (a <= start and end <= b):  # or inside the label
            return True
    return False


def score(messages: list[dict], found_in: list | None = None) -> dict:
    """Counts per (language, kind): labelled, recalled, found, found correctly. `found_in`:
    the spans found in each message, if not `find`'s (another scrubber's, an older one's)."""
    counts = defaultdict(lambda: {"labelled": 0, "recalled": 0, "found": 0, "correct": 0})
    misses, false_positives = [], []
    for index, message in enumerate(messages):
        text, language = message["text"], message["language"]
        found = finder(text) if found_in is None else found_in[index]
        covered = set()
        for span in found:
            covered.update(range(span.start, span.end))
        labelled = labelled_spans(message)
        neutral = {
            i for span in particles(text) if _beside(text, span, labelled) for i in range(*span)
        }
        for start, end, kind in labelled:
            counts[language, kind]["labelled"] += 1
            needed = [i for i in range(start, end) if text[i].isalnum() and i not in neutral]
            if all(i in covered for i in needed):
                counts[language, kind]["recalled"] += 1
            else:
                misses.append((language, kind, text[start:end], text))
        for span in found:
            if span.kind == "name" and all(i in neutral for i in range(span.start, span.end)):
                continue  # a particle beside a labelled name: neither way
            counts[language, span.kind]["found"] += 1
            if any(span.start < end and start < span.end for start, end, _ in labelled):
                counts[language, span.kind]["correct"] += 1
            else:
                false_positives.append((language, span.kind, text[span.start : span.end], text))
    return {"counts": counts, "misses": misses, "false_positives": false_positives}


def totals(counts: dict, key) -> dict:
    summed = defaultdict(lambda: {"labelled": 0, "recalled": 0, "found": 0, "correct": 0})
    for group, numbers in counts.items():
        for name, value in numbers.items():
            summed[key(group)][name] += value
    return summed


def ratio(part: int, whole: int) -> str:
    return f"{100 * part / whole:5.1f}%" if whole else "    -"


def load(path: Path | str = CORPUS) -> list[dict]:
    """The labelled messages of a fixture file (the corpus by default)."""
    return json.loads(Path(path).read_text(encoding="utf-8"))["messages"]


def table(messages: list[dict], heading: str) -> dict:
    result = score(messages)
    print(
        f"\n## {heading}: {len(messages)} messages, "
        f"{sum(not m['identifiers'] for m in messages)} without an identifier"
    )
    print(f"{'':10} {'labelled':>8} {'recall':>7} {'found':>6} {'precision':>9}")
    for title, key in (
        ("language", lambda g: g[0]),
        ("kind", lambda g: g[1]),
        ("all", lambda g: "all"),
    ):
        print(f"-- by {title}")
        for group, n in sorted(totals(result["counts"], key).items()):
            print(
                f"{group:10} {n['labelled']:8} {ratio(n['recalled'], n['labelled']):>7} "
                f"{n['found']:6} {ratio(n['correct'], n['found']):>9}"
            )
    return result


def per_language(result: dict, kinds=("name", "phone")) -> None:
    """Recall and precision of each kind in each language: the goal is per language too."""
    counts = result["counts"]
    languages = sorted({language for language, _ in counts})
    print(f"\n-- per language, {' and '.join(kinds)} (recall / precision)")
    print(f"{'':10}" + "".join(f" {kind + ' recall':>12} {kind + ' prec.':>11}" for kind in kinds))
    for language in languages:
        row = f"{language:10}"
        for kind in kinds:
            n = counts.get(
                (language, kind), {"labelled": 0, "recalled": 0, "found": 0, "correct": 0}
            )
            row += (
                f" {ratio(n['recalled'], n['labelled']):>7} ({n['labelled']:3})"
                f" {ratio(n['correct'], n['found']):>6} ({n['found']:3})"
            )
        print(row)


def speed(messages: list[dict], minimum_seconds: float = 1.0) -> float:
    """Messages per second of CPU through `find`: rounds over every message, best of three.
    CPU time of this process, not the clock: other work on a shared machine does not count."""
    texts = [m["text"] for m in messages]
    finder(texts[0])  # the name lists load once, on first use
    best = 0.0
    for _ in range(3):
        rounds, start = 0, time.process_time()
        while True:
            for text in texts:
                finder(text)
            rounds += 1
            elapsed = time.process_time() - start
            if elapsed >= minimum_seconds / 3:
                break
        best = max(best, rounds * len(texts) / elapsed)
    return best


def catalog_false_positives(languages=("fr", "es", "ar")) -> dict[str, tuple[int, int, list]]:
    """Per language: interface texts, name spans found in them, and the words found."""
    import re

    from babel.messages.pofile import read_po

    result = {}
    for language in languages:
        path = ROOT / "translations" / language / "LC_MESSAGES" / "messages.po"
        with path.open("rb") as po:
            texts = [
                re.sub(r"%\([^)]*\)[sd]|\{[^}]*\}|<[^>]+>", "x", text)  # placeholders, markup
                for message in read_po(po)
                if message.id
                for text in (
                    message.string if isinstance(message.string, tuple) else (message.string,)
                )
                if text
            ]
        found = [text[s.start : s.end] for text in texts for s in finder(text) if s.kind == "name"]
        result[language] = (len(texts), len(found), found)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", default=str(CORPUS), help="a labelled fixture file")
    parser.add_argument("--misses", action="store_true", help="list misses and false positives")
    parser.add_argument("--no-speed", action="store_true", help="skip the timing")
    parser.add_argument(
        "--rules-only", action="store_true", help="the rules alone, without the judge of names"
    )
    parser.add_argument(
        "--catalogs", action="store_true", help="false positives in the interface's own texts"
    )
    options = parser.parse_args()
    if options.rules_only:
        global finder
        finder = by_rules
    if options.catalogs:
        for language, (texts, found, words) in catalog_false_positives().items():
            print(f"{language}: {found} words removed as names in {texts} texts: {sorted(words)}")
        return
    messages = load(options.file)
    print(
        f"# {datetime.date.today()} · {platform.processor() or platform.machine()} · "
        f"Python {platform.python_version()} · {Path(options.file).name}"
    )
    result = table(messages, "All messages")
    per_language(result)
    sets = sorted({m.get("set", "tuning") for m in messages})
    for name in sets if len(sets) > 1 else ():
        part = table([m for m in messages if m.get("set", "tuning") == name], f"Set {name}")
        per_language(part)
    if not options.no_speed:
        print(
            f"\nspeed: {speed(messages):,.0f} messages/s of CPU "
            f"(mean {sum(len(m['text']) for m in messages) / len(messages):.0f} characters)"
        )
    if options.misses:
        for title, rows in (
            ("Missed", result["misses"]),
            ("False positives", result["false_positives"]),
        ):
            print(f"\n{title}:")
            for language, kind, value, text in rows:
                print(f"  {language} {kind:8} {value!r:30} in {text!r}")


if __name__ == "__main__":
    main()
