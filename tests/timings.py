"""Which tests the quick loop (`pytest -m "not slow"`) leaves out: those that took a second
or more, read from a run with `--durations=0`.

    .venv/bin/python -m pytest -n auto --durations=0 -p no:randomly > durations.txt
    .venv/bin/python tests/timings.py durations.txt > tests/slow_tests.txt

conftest.py marks every test named in tests/slow_tests.txt `slow` (browser tests are slow
whatever the list says). A new test is fast until the list is made again.
"""

from __future__ import annotations

import re
import sys
from collections import Counter

LINE = re.compile(r"([\d.]+)s (?:setup|call|teardown)\s+(tests/\S+)")


def slow_tests(lines, seconds: float) -> list[str]:
    """The node ids whose setup, call and teardown together took `seconds` or more."""
    spent: Counter = Counter()
    for line in lines:
        found = LINE.match(line)
        if found:
            spent[found.group(2)] += float(found.group(1))
    return sorted(node for node, total in spent.items() if total >= seconds)


if __name__ == "__main__":
    limit = float(sys.argv[2]) if len(sys.argv) > 2 else 1.0
    with open(sys.argv[1], encoding="utf-8") as durations:
        print("\n".join(slow_tests(durations, limit)))
