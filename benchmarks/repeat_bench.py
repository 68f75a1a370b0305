"""How long the hub takes to check a whole record with a repeat, as a phone sends it.

A household roster (tests/fixtures/xlsforms/household_roster.xlsx: a repeat counted by the
household size, relevance, constraints and a calculation in each instance) is filled with
1, 10, 25 and 50 members and read the way `/forms/<id>/submit` reads it (`read_all`,
strict: types, relevance, constraints, calculations, per instance). Median of 5 runs.

    python benchmarks/repeat_bench.py
"""

from __future__ import annotations

import copy
import datetime
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from flask import Flask  # noqa: E402
from flask_babel import Babel  # noqa: E402
from werkzeug.datastructures import MultiDict  # noqa: E402

from collector import validation  # noqa: E402
from collector.forms import MAX_INSTANCES, load_form  # noqa: E402
from collector.xlsform import read_xlsform  # noqa: E402

ROSTER = ROOT / "tests" / "fixtures" / "xlsforms" / "household_roster.xlsx"
SIZES = (1, 10, 25, MAX_INSTANCES)
RUNS = 5


def roster_form():
    """The fixture, allowing households of up to MAX_INSTANCES people."""
    data = copy.deepcopy(read_xlsform(ROSTER).form.data)
    size = next(q for s in data["sections"] for q in s["questions"] if q["name"] == "hh_size")
    size["constraint"] = f". >= 1 and . <= {MAX_INSTANCES}"
    return load_form(data)


def posted(members: int) -> MultiDict:
    fields = [("village", "Kalobeyei"), ("hh_size", str(members)), ("anyone_missing", "no")]
    for n in range(1, members + 1):
        head = n == 1
        fields += [
            (f"member_name.{n}", f"Person {n}"),
            (f"relationship.{n}", "head" if head else "child"),
            (f"age.{n}", "40" if head else str(3 + n % 15)),
            (f"sex.{n}", "female"),
        ]
        if not head and 5 <= 3 + n % 15 <= 17:
            fields += [(f"in_school.{n}", "yes"), (f"grade.{n}", "primary")]
    return MultiDict(fields + [("_shown", name) for name, _ in fields])


def main() -> int:
    app = Flask(__name__)
    Babel(app)
    form = roster_form()
    print("Checking a whole record with a repeat (read_all, strict), median of 5 runs")
    print(f"date:     {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC")
    print(
        f"platform: {platform.platform()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}\n"
    )
    print(f"{'members':>8} {'ms':>8} {'ms per member':>14}")
    with app.test_request_context():
        for members in SIZES:
            data, times = posted(members), []
            for _ in range(RUNS):
                start = time.perf_counter()
                result = validation.read_all(
                    form, data, "en", strict=True, stored=validation.defaults(form)
                )
                times.append(time.perf_counter() - start)
            assert not result.errors and not result.unseen, (result.errors, result.unseen)
            assert len(result.answers["members"]) == members
            ms = statistics.median(times) * 1000
            print(f"{members:>8} {ms:>8.1f} {ms / members:>14.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
