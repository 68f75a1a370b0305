"""Gathers the expression cases of ODK's own evaluators' tests into one JSON file, for
benchmarks/odk_agreement.py. The cases stay outside this repository (they belong to the
peers' projects).

    npm pack openrosa-xpath-evaluator@3.1.0 && tar xzf openrosa-xpath-evaluator-3.1.0.tgz
    git clone https://github.com/getodk/javarosa   # XPathEvalTest.java at 0d06e469
    git clone https://github.com/getodk/web-forms  # packages/xpath/test/xforms
    python benchmarks/odk_gather.py --enketo package \\
        --javarosa javarosa/src/test/java/org/javarosa/xpath/test/XPathEvalTest.java \\
        --web-forms web-forms/packages/xpath/test/xforms -o odk-cases/cases.json

Enketo's specs are run by benchmarks/odk_enketo_cases.js once per zone; JavaRosa's
``testEval(expression, expected)`` calls (those with no model or custom function) and Web
Forms' ``{expression, expected}`` tables in number.test.ts, decimal-date-time.test.ts and
coalesce.test.ts (with their direct assertion calls) are read from the source text. Only
cases that need no XML tree are kept.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import subprocess
from pathlib import Path

HERE = Path(__file__).resolve().parent
ZONES = ("UTC", "America/Phoenix", "Pacific/Kiritimati")
PEER_ZONE = "America/Phoenix"  # Enketo's karma configuration; Web Forms' expectations match it
# Two zones 24 hours apart are never on the same date: an expectation a test computes from
# the clock differs between them at any hour, while the three zones above share a date from
# 07:00 to 10:00 UTC.
PROBE_ZONES = ("Etc/GMT+12", "Etc/GMT-12")
STRING = re.compile(r"'[^']*'|\"[^\"]*\"")
NUMBER = re.compile(r"(?<![\w.-])(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
DATE_WORDS = re.compile(r"date|time|now|today|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}")
# Functions that read the document or the evaluation context, not only their arguments.
CONTEXT_FUNCTIONS = frozenset(
    "position last name local-name namespace-uri lang id current instance indexed-repeat"
    " jr:itext itext node text comment processing-instruction once count sum randomize".split()
)
WEB_FORMS_FILES = ("number.test.ts", "decimal-date-time.test.ts", "coalesce.test.ts")


def needs_no_tree(expr: str, kind: str) -> bool:
    """No path, variable, axis, context node or position: the expression alone decides."""
    text = STRING.sub('""', expr)
    if re.search(r"[/@\[\]|$]|::", text):
        return False
    if kind == "error":
        return True
    text = NUMBER.sub("1", text)
    for match in re.finditer(r"[A-Za-z_][\w.:-]*", text):
        name = match.group(0).rstrip(".-")
        if text[match.end() :].lstrip().startswith("("):
            if name in CONTEXT_FUNCTIONS:
                return False
        elif not re.fullmatch(r"(?:and|or|div|mod)1?", name):  # `1 div1` is an operator
            return False
    if re.search(r"(?<![0-9])\.(?![0-9])", text):  # `.`, the context node
        return False
    for match in re.finditer(r"\*", text):  # a wildcard unless it follows an operand
        before = text[: match.start()].rstrip()
        if not before or before[-1] not in "0123456789)\"'.":
            return False
    return True


def special(value):
    """NaN and the infinities as the cases file writes them."""
    if isinstance(value, float) and not math.isfinite(value):
        return {
            "number": "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
        }
    return value


def enketo_cases(package: Path) -> list[dict]:
    """Enketo's specs, recorded in each zone; an expectation the test computed from the clock
    keeps each zone's value (by_zone), one fixed for the peer's zone runs only there. The
    probe zones only tell which expectations come from the clock, whatever the hour."""
    runs = {}
    for zone in ZONES + PROBE_ZONES:
        done = subprocess.run(
            ["node", str(HERE / "odk_enketo_cases.js"), str(package)],
            env=dict(os.environ, TZ=zone),
            capture_output=True,
            text=True,
            check=True,
            timeout=300,
        )
        runs[zone] = json.loads(done.stdout)
    cases = []
    for index, base in enumerate(runs["UTC"]):
        seen = {zone: runs[zone][index] for zone in ZONES}
        if any(c["node"] for c in seen.values()):
            continue
        if not all(needs_no_tree(c["expr"], c["kind"]) for c in seen.values()):
            continue
        case = {
            "source": "enketo/openrosa-xpath-evaluator",
            "file": base["file"],
            "kind": base["kind"],
        }
        case.update({k: base[k] for k in ("factor",) if k in base})
        probed = [runs[zone][index] for zone in PROBE_ZONES]
        pairs = {json.dumps([c["expr"], c["expected"]]) for c in [*seen.values(), *probed]}
        case["expr"], case["expected"] = seen[PEER_ZONE]["expr"], seen[PEER_ZONE]["expected"]
        if len(pairs) > 1:
            case["by_zone"] = {
                z: {"expr": c["expr"], "expected": c["expected"]} for z, c in seen.items()
            }
        elif DATE_WORDS.search(base["expr"]) and base["kind"] != "error":
            case["zones"] = [PEER_ZONE]
        cases.append(case)
    return cases


def java_value(text: str):
    """A JavaRosa test's expected value, as the cases file writes it (None: not readable)."""
    text = text.strip()
    named = {
        "TRUE": True,
        "FALSE": False,
        "true": True,
        "false": False,
        "NaN": math.nan,
        "-NaN": math.nan,
        "POSITIVE_INFINITY": math.inf,
        "NEGATIVE_INFINITY": -math.inf,
    }
    if text in named:
        return named[text]
    if text.startswith("new ") and text.endswith("Exception()"):
        return "error"
    date = re.fullmatch(r"DateUtils\.getDate\((\d+), *(\d+), *(\d+)\)", text)
    if date:
        year, month, day = (int(g) for g in date.groups())
        return ("date", f"{year:04d}-{month:02d}-{day:02d}")
    if re.fullmatch(r'"(?:[^"\\]|\\.)*"', text):
        return re.sub(r"\\(.)", r"\1", text[1:-1])
    if re.fullmatch(r"-?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?[dD]?", text):
        return float(text.rstrip("dD"))
    return None


def javarosa_cases(source: Path) -> list[dict]:
    """XPathEvalTest's testEval(expr, expected) calls: typed results, numbers within 1e-12."""
    cases = []
    call = re.compile(r'^\s*testEval\s*\(\s*("(?:[^"\\]|\\.)*")\s*,\s*(.+?)\s*\)\s*;', re.M)
    for match in call.finditer(source.read_text("utf-8")):
        expr, expected = java_value(match.group(1)), java_value(match.group(2))
        if expected is None:
            continue  # a model, an evaluation context or a custom type
        case = {"source": "getodk/javarosa", "file": source.name, "expr": expr}
        if expected == "error":
            case.update(kind="error", expected=None)
        elif isinstance(expected, tuple):
            case.update(kind="typed_date", expected=expected[1])
        elif isinstance(expected, bool):
            case.update(kind="typed_boolean", expected=expected)
        elif isinstance(expected, float):
            case.update(kind="typed_number", expected=special(expected), tolerance=1e-12)
        else:
            case.update(kind="typed_string", expected=expected)
        if needs_no_tree(expr, case["kind"]):
            cases.append(case)
    return cases


def ts_value(text: str):
    """A Web Forms test's literal: a quoted string, a number or NaN."""
    text = text.strip()
    if text == "NaN":
        return math.nan
    if text[:1] in "'\"`":
        return bytes(text[1:-1], "utf-8").decode("unicode_escape")
    return int(text) if re.fullmatch(r"-?[0-9]+", text) else float(text)


def web_forms_cases(folder: Path) -> list[dict]:
    """Each describe()/it() block's {expression, expected} table with the assertion the block
    uses, and direct assertStringValue/assertNumberValue calls on literal expressions."""
    kinds = {
        "assertNumberValue": "number",
        "assertNumberRounded": "number_rounded",
        "assertStringValue": "string",
        "assertBoolean": "boolean",
    }
    literal = r"('(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\")"
    entry = re.compile(r"\{\s*expression:\s*" + literal + r",\s*expected\w*:\s*([^,}]+?)\s*,?\s*\}")
    direct = re.compile(r"testContext\.(assert\w+)\(\s*" + literal + r",\s*([^,{)]+?)\s*\)")
    cases = []
    for name in WEB_FORMS_FILES:
        text = (folder / name).read_text("utf-8")
        for block in re.split(r"\n\t(?:describe|it)(?:\.fails)?\(", text)[1:]:
            assertion = re.search(
                r"testContext\.(assert\w+)\(\s*expression\s*,\s*\w+(?:\s*,\s*(\d+))?", block
            )
            rows = (
                [
                    (assertion.group(1), m.group(1), m.group(2), assertion.group(2))
                    for m in entry.finditer(block)
                ]
                if assertion
                else []
            )
            rows += [(m.group(1), m.group(2), m.group(3), None) for m in direct.finditer(block)]
            for method, expr, expected, factor in rows:
                if method not in kinds:
                    continue
                case = {
                    "source": "getodk/web-forms",
                    "file": name,
                    "kind": kinds[method],
                    "expr": ts_value(expr),
                    "expected": special(ts_value(expected)),
                }
                if factor:
                    case["factor"] = int(factor)
                if not needs_no_tree(case["expr"], case["kind"]):
                    continue
                if DATE_WORDS.search(case["expr"]):
                    case["zones"] = [PEER_ZONE]
                cases.append(case)
    return cases


def distinct(cases: list[dict]) -> list[dict]:
    """Each case once per source (the specs repeat some)."""
    seen, kept = set(), []
    for case in cases:
        key = json.dumps(
            [case["source"], case["kind"], case["expr"], case["expected"], case.get("by_zone")],
            sort_keys=True,
        )
        if key not in seen:
            seen.add(key)
            kept.append(case)
    return kept


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--enketo", type=Path, help="the unpacked openrosa-xpath-evaluator package")
    parser.add_argument("--javarosa", type=Path, help="JavaRosa's XPathEvalTest.java")
    parser.add_argument("--web-forms", type=Path, help="Web Forms' packages/xpath/test/xforms")
    parser.add_argument("-o", "--output", type=Path, required=True)
    args = parser.parse_args()
    cases, sources = [], {}
    if args.enketo:
        cases += enketo_cases(args.enketo)
        sources["enketo/openrosa-xpath-evaluator"] = {"zone": PEER_ZONE}
    if args.javarosa:
        cases += javarosa_cases(args.javarosa)
        sources["getodk/javarosa"] = {"zone": "any"}
    if args.web_forms:
        cases += web_forms_cases(args.web_forms)
        sources["getodk/web-forms"] = {"zone": PEER_ZONE}
    cases = distinct(cases)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps({"sources": sources, "cases": cases}, indent=0), "utf-8")
    print(f"{len(cases)} cases written to {args.output}")


if __name__ == "__main__":
    main()
