"""The shared expression vectors give the same answers whatever the zone of the machine: both
evaluators run them in processes set to UTC and to zones far from it (Kiritimati is UTC+14,
St John's is UTC-3:30 with daylight saving), and read the machine's own zone for now()."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest

from support import need_tool

ROOT = Path(__file__).resolve().parent.parent
ZONES = {"UTC": {0}, "Pacific/Kiritimati": {840}, "America/St_Johns": {-210, -150}}


def run_python_vectors() -> dict:
    """Every vector through collector/expressions.py, in this process: one JSON line."""
    sys.path.insert(0, str(Path(__file__).parent))
    import test_expressions as vectors  # the pytest helpers, reused
    from collector import expressions

    failures = []
    for index, case in enumerate(vectors.CASES):
        try:
            vectors.test_vector(case)
        except Exception as error:  # noqa: BLE001 - every failure is reported, not just the first
            failures.append(f"{index}: {case['expr']}: {error!r}")
    now = expressions.evaluate("now()")
    return {
        "zone": round(now.utcoffset().total_seconds() / 60),
        "now": expressions.to_text(now),
        "passed": len(vectors.CASES) - len(failures),
        "failures": failures,
    }


def in_zone(command: list[str], zone: str) -> dict:
    environment = dict(os.environ, TZ=zone)
    result = subprocess.run(
        command, cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def check(report: dict, zone: str) -> None:
    cases = json.loads((ROOT / "tests" / "expression_vectors.json").read_text("utf-8"))["cases"]
    assert report["failures"] == [] and report["passed"] == len(cases) >= 1500
    assert report["zone"] in ZONES[zone]  # the machine's zone was really the one set
    offset = report["zone"]
    sign, minutes = ("-" if offset < 0 else "+"), abs(offset)
    assert report["now"].endswith(f"{sign}{minutes // 60:02d}:{minutes % 60:02d}")
    assert datetime.fromisoformat(report["now"]).utcoffset().total_seconds() == offset * 60


@pytest.mark.parametrize("zone", sorted(ZONES))
def test_python_evaluator_gives_the_vectors_answers_in_every_zone(zone):
    check(in_zone([sys.executable, str(Path(__file__))], zone), zone)


@pytest.mark.parametrize("zone", sorted(ZONES))
def test_javascript_evaluator_gives_the_vectors_answers_in_every_zone(zone):
    node = need_tool("node")
    check(in_zone([node, "tests/js/vectors_in_zone.js"], zone), zone)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    print(json.dumps(run_python_vectors()))
