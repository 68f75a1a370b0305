"""How often our two expression evaluators agree with the ODK ecosystem's own test cases.

    python benchmarks/odk_agreement.py CASES.json [--zones UTC,America/Phoenix,Pacific/Kiritimati]
                                                   [--json RESULTS.json]

Every case runs through collector/expressions.py (Python, in a subprocess) and through
collector/static/js/expressions.js (node), each in a process whose TZ is the zone named, and
is compared with the peer's expected result by the peer's own comparison. Printed: agreement
per source and per function in each zone, then every difference with the documented reason
it falls under (docs/form-definitions.md, "Where ODK's own tools differ"), or "not
documented".

The cases are not kept in this repository (they belong to the peers' projects);
benchmarks/odk_gather.py gathers them (its docstring gives the commands):

* Enketo/Kobo: ``npm pack openrosa-xpath-evaluator@3.1.0`` (the package holds the
  repository's ``test/`` folder). Its ``test/integration/**/*.spec.js`` mocha specs are run
  by benchmarks/odk_enketo_cases.js with recording stand-ins for the assert helpers, once
  per zone, so expectations the tests compute from the clock are taken in that zone. Their
  karma configuration sets TZ=America/Phoenix.
* JavaRosa: ``getodk/javarosa`` ``src/test/java/org/javarosa/xpath/test/XPathEvalTest.java``
  at commit 0d06e469233908ea451d6be49a0551a4277e793e: its ``testEval(expr, expected)`` calls
  without a model or custom function handler (typed results; numbers within 1e-12).
* ODK Web Forms: ``getodk/web-forms`` ``packages/xpath/test/xforms/`` ``coalesce.test.ts``
  (b1d1ddef), ``decimal-date-time.test.ts`` (9abb92ad), ``number.test.ts`` (1a9da55d).

Only cases that need no XML tree are kept: no path, variable, axis, context node or
position. The file is ``{"sources": {...}, "cases": [...]}``; a case has ``source``, ``file``,
``kind``, ``expr``, ``expected`` and optionally ``factor`` (rounding, as
assertNumberRounded), ``tolerance``, ``zones`` (written for those zones only: a date's local
midnight in the zone the peer's tests set) or ``by_zone`` (the expression and expectation the
test computed in each zone).

Kinds: ``boolean``/``string``/``number``/``number_rounded``/``match``/``string_length``/``error``
compare XPath's boolean(), string() or number() of the result, as the Enketo and Web Forms
helpers do (numbers exactly; NaN with NaN); ``typed_*`` also need the result's own type, as
JavaRosa's assertEquals does. A calculation the phone leaves to the hub (digest()) is
judged by the hub's value, which is the one stored.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "collector" / "static" / "js" / "expressions.js"
DEFAULT_ZONES = "UTC,America/Phoenix,Pacific/Kiritimati"
FUNCTION = re.compile(r"([A-Za-z_][\w.:-]*)\s*\(")
STRING_LITERAL = re.compile(r"'[^']*'|\"[^\"]*\"")

# The JavaScript side: one result per case, described as the Python side describes it.
NODE_WORKER = r"""
const E = require(process.argv[1]);
const cases = JSON.parse(require('fs').readFileSync(0, 'utf8'));
const out = cases.map((expr) => {
  try {
    const r = E.parse(expr).evaluate({values: {}});
    const plain = ['number', 'boolean', 'string'].includes(typeof r) ? typeof r : 'other';
    const type = r instanceof E.DateValue ? (r.withTime ? 'datetime' : 'date') : plain;
    const n = E.toNumber(r);
    return {type, string: E.toText(r), boolean: E.toBoolean(r),
            number: Number.isFinite(n) ? n : String(n)};
  } catch (error) {
    if (error instanceof E.HubOnlyError) return {deferred: true};  // the phone leaves it to the hub
    return {error: String(error && error.message || error)};
  }
});
process.stdout.write(JSON.stringify(out));
"""


def python_worker(exprs: list[str]) -> list[dict]:
    """Evaluate each expression with collector/expressions.py in this process."""
    sys.path.insert(0, str(ROOT))
    from datetime import date, datetime

    from collector import expressions as ex

    results = []
    for expr in exprs:
        try:
            value = ex.parse(expr).evaluate(ex.Context())
        except Exception as error:  # noqa: BLE001 - an error is a result the peers may expect
            results.append({"error": f"{type(error).__name__}: {error}"})
            continue
        kinds = (
            (datetime, "datetime"),
            (date, "date"),
            (bool, "boolean"),
            ((int, float), "number"),
        )
        kind = next((name for types, name in kinds if isinstance(value, types)), "other")
        kind = "string" if isinstance(value, str) else kind
        number = ex.to_number(value)
        results.append(
            {
                "type": kind,
                "string": ex.to_text(value),
                "boolean": ex.to_boolean(value),
                "number": number if math.isfinite(number) else js_text(number),
            }
        )
    return results


def run_in_zone(evaluator: str, exprs: list[str], zone: str) -> list[dict]:
    """Every expression through one evaluator in a process whose zone is `zone`."""
    env = dict(os.environ, TZ=zone)
    if evaluator == "python":
        command = [sys.executable, __file__, "--worker"]
    else:
        command = ["node", "-e", NODE_WORKER, str(SCRIPT)]
    done = subprocess.run(
        command,
        input=json.dumps(exprs),
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=600,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"{evaluator} in {zone} failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout)


def as_number(value) -> float:
    """A JSON number, or NaN/Infinity as the workers write them."""
    if isinstance(value, dict):
        value = value.get("number")
    if isinstance(value, str):
        try:
            return float(value.strip()) if value.strip() else math.nan
        except ValueError:
            return math.nan
    return math.nan if value is None else float(value)


def js_text(value) -> str:
    """String(value) as JavaScript writes it (chai's loose assert.equal compares so)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, (int, float)):
        return str(int(value)) if float(value).is_integer() else repr(float(value))
    return str(value)


def js_round(number: float) -> float:
    """JavaScript's Math.round."""
    return math.floor(number + 0.5)


def agrees(case: dict, expected, result: dict) -> bool:
    """The peer's own comparison of `result` with `expected`."""
    kind = case["kind"]
    if kind == "error":
        return "error" in result
    if "error" in result:
        return False
    number = as_number(result["number"])
    if kind == "boolean":
        return result["boolean"] is bool(expected)
    if kind == "string":
        return result["string"] == js_text(expected)
    if kind == "string_length":
        return len(result["string"]) == expected
    if kind == "match":
        return re.search(expected["regex"], result["string"]) is not None
    if kind in ("number", "number_rounded"):
        want = as_number(expected)
        if math.isnan(want):
            return math.isnan(number)
        if kind == "number_rounded":
            number = js_round(number * case["factor"]) / case["factor"]
        return number == want
    if kind == "typed_boolean":
        return result["type"] == "boolean" and result["boolean"] is expected
    if kind == "typed_string":
        return result["type"] == "string" and result["string"] == expected
    if kind == "typed_date":
        return result["type"] == "date" and result["string"] == expected
    if kind == "typed_number":
        want = as_number(expected)
        if result["type"] != "number":
            return False
        if math.isnan(want) or math.isinf(want):
            return (math.isnan(want) and math.isnan(number)) or want == number
        return abs(number - want) <= case.get("tolerance", 0.0)
    raise ValueError(f"unknown kind {kind!r}")


def functions_of(expr: str) -> list[str]:
    """The functions an expression calls, or one bucket for operators and literals."""
    names = sorted({m.group(1) for m in FUNCTION.finditer(STRING_LITERAL.sub("''", expr))})
    return names or ["(operators, literals)"]


def measure(cases: list[dict], zones: list[str]) -> dict:
    """Results by zone and evaluator: per case, whether it agrees and what came back."""
    report = {}
    for zone in zones:
        chosen = [c for c in cases if zone in c.get("zones", [zone])]
        spec = [c.get("by_zone", {}).get(zone, c) for c in chosen]
        exprs = [s["expr"] for s in spec]
        report[zone] = {}
        python_results = run_in_zone("python", exprs, zone)
        for evaluator in ("python", "javascript"):
            results = (
                python_results if evaluator == "python" else run_in_zone(evaluator, exprs, zone)
            )
            # digest() on the phone is left to the hub, which stores the hub's value
            results = [
                p if r.get("deferred") else r for p, r in zip(python_results, results, strict=True)
            ]
            report[zone][evaluator] = [
                {
                    "case": c,
                    "expr": s["expr"],
                    "expected": s["expected"],
                    "result": r,
                    "agrees": agrees(c, s["expected"], r),
                }
                for c, s, r in zip(chosen, spec, results, strict=True)
            ]
    return report


def percent(good: int, total: int) -> str:
    return f"{good}/{total} ({100.0 * good / total:.1f}%)" if total else "0/0"


DATE_WORDS = re.compile(r"date|time|now|today|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}")


def _zone_choice(row: dict, zone: str, agreed_in_utc: dict) -> bool:
    """A date difference that appears only away from UTC: Collect counts days on the
    device's clock (as we do), Enketo and Web Forms from local midnight and UTC instants."""
    case = row["case"]
    return (
        zone != "UTC"
        and case["source"] != "getodk/javarosa"
        and bool(DATE_WORDS.search(row["expr"]))
        and agreed_in_utc.get(id(case), True)
    )


def _centimetres(row: dict) -> bool:
    """Enketo rounds area() and distance() to the centimetre, and sums an area with its own
    spherical formula; Collect and we keep every digit (areas within 1 in 100,000)."""
    number, expected = as_number(row["result"].get("number")), as_number(row["expected"])
    if row["case"]["source"] != "enketo/openrosa-xpath-evaluator" or not math.isfinite(number):
        return False
    if row["expr"].startswith("area("):
        return abs(number - expected) <= 1e-5 * abs(expected)
    return row["expr"].startswith("distance(") and round(number, 2) == expected


# Differences with the reason docs/form-definitions.md ("Where ODK's own tools differ") gives;
# True where the peers answer differently from each other, False where we differ on purpose.
# (A call of an unknown function or with a wrong number of arguments is an error only where
# it is computed, as in the peers: import refuses it, so no case of theirs differs on it.)
CHOICES = (
    ("dates on the device's clock", True, lambda row, zone, utc: _zone_choice(row, zone, utc)),
    ("areas and distances keep every digit", True, lambda row, zone, utc: _centimetres(row)),
    (
        "Collect alone: halves, commas, exponents, tolerance, errors for no date",
        True,
        lambda row, zone, utc: (
            row["case"]["source"] == "getodk/javarosa"
            and re.fullmatch(
                r"round\('-[0-9.]+',? *[0-9]*\)|round\('[0-9]+,[0-9]+' *\)|number\('1\.1e6'\)"
                r"|6\.1 - 7\.8 = -1\.7|date\(.*\)",
                row["expr"],
            )
            is not None
        ),
    ),
)


def reason_for(row: dict, zone: str, agreed_in_utc: dict) -> tuple[str, bool]:
    """The documented choice a difference falls under, or ('not documented', False)."""
    for name, peers_differ, test in CHOICES:
        if test(row, zone, agreed_in_utc):
            return name, peers_differ
    return "not documented", False


def print_report(report: dict) -> None:
    """Agreement per zone, evaluator, source and function; then every difference."""
    for zone, by_evaluator in report.items():
        for evaluator, rows in by_evaluator.items():
            good = sum(r["agrees"] for r in rows)
            print(f"\n== {zone} · {evaluator}: {percent(good, len(rows))}")
            by_source = defaultdict(list)
            by_function = defaultdict(list)
            for row in rows:
                by_source[row["case"]["source"]].append(row["agrees"])
                for name in functions_of(row["expr"]):
                    by_function[name].append(row["agrees"])
            for source, marks in sorted(by_source.items()):
                print(f"   {source:36} {percent(sum(marks), len(marks))}")
            worst = sorted(by_function.items(), key=lambda kv: (sum(kv[1]) / len(kv[1]), kv[0]))
            print("   per function (least agreement first):")
            for name, marks in worst:
                print(f"     {name:28} {percent(sum(marks), len(marks))}")
        python_rows, js_rows = by_evaluator["python"], by_evaluator["javascript"]
        split = [p for p, j in zip(python_rows, js_rows, strict=True) if p["agrees"] != j["agrees"]]
        print(f"\n   Python and JavaScript disagree on {len(split)} case(s) in {zone}")
    agreed_in_utc = {id(r["case"]): r["agrees"] for r in report.get("UTC", {}).get("python", [])}
    print("\n== Differences (by zone; P = Python, J = JavaScript) and their documented reason")
    for zone, by_evaluator in report.items():
        python_rows, js_rows = by_evaluator["python"], by_evaluator["javascript"]
        reasons: dict = defaultdict(int)
        for p, j in zip(python_rows, js_rows, strict=True):
            if p["agrees"] and j["agrees"]:
                continue
            who = "PJ" if not (p["agrees"] or j["agrees"]) else ("P" if not p["agrees"] else "J")
            row = p if not p["agrees"] else j
            reason = reason_for(row, zone, agreed_in_utc)
            reasons[reason] += 1
            got = row["result"]
            shown = got.get("error") or {k: got[k] for k in ("type", "string")}
            print(
                f"  [{zone} {who}] {p['case']['source']} {p['case']['kind']}: {p['expr']!r}"
                f" expected {p['expected']!r} got {shown} ({reason[0]})"
            )
        print(f"\n   {zone}, by reason:")
        for (name, peers_differ), count in sorted(reasons.items(), key=lambda kv: -kv[1]):
            where = "the peers differ from each other" if peers_differ else "we differ on purpose"
            print(f"     {count:4}  {name} ({where})")
        total = len(python_rows)
        both = sum(p["agrees"] and j["agrees"] for p, j in zip(python_rows, js_rows, strict=True))
        disputed = sum(count for (_, peers_differ), count in reasons.items() if peers_differ)
        print(
            f"   agreement {percent(both, total)}; counting the cases where the peers differ"
            f" from each other as agreeing with one of them: {percent(both + disputed, total)}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("cases", nargs="?", help="the gathered cases (JSON)")
    parser.add_argument("--zones", default=DEFAULT_ZONES, help="comma-separated TZ names")
    parser.add_argument("--json", help="also write every result to this file")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:  # a child in one zone: expressions on stdin, results on stdout
        json.dump(python_worker(json.load(sys.stdin)), sys.stdout)
        return
    if not args.cases:
        parser.error("CASES.json is needed")
    data = json.loads(Path(args.cases).read_text("utf-8"))
    report = measure(data["cases"], [z for z in args.zones.split(",") if z])
    print(f"{len(data['cases'])} cases from {', '.join(sorted(data.get('sources', {})))}")
    print_report(report)
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1, default=str), "utf-8")


if __name__ == "__main__":
    main()
