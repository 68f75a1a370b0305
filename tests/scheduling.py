"""Where each test runs under `pytest -n`: the tests that share a costly fixture of their
module's own (a served population, a hub with many forms) go to one test process.

Such a fixture is scoped to the session, so a test process makes it once (conftest.py says
why not per module); but `--dist worksteal` spreads a module's tests over every process,
and each would make it again: the disclosure attacks' population was made three times a run
(20 to 28 s each). xdist's work stealing hands each of the N processes a slice of the test
list, in order, then moves tests from the end of a busy process's queue to an idle one. So
each group is put at the start of one slice: its process runs it first, before any stealing.
Only the order changes: every test still runs, and it runs where it always could.
"""

from __future__ import annotations

import itertools
import os

import pytest


def shared_fixture(item: pytest.Item) -> str | None:
    """The module whose own session-scoped fixture the test uses, if it uses one."""
    info = getattr(item, "_fixtureinfo", None)
    for name in info.names_closure if info else ():
        for fixture in info.name2fixturedefs.get(name, ()):
            if fixture.scope == "session" and fixture.baseid.endswith(".py"):
                return fixture.baseid
    return None


def one_process_per_shared_fixture(items: list[pytest.Item], processes: int) -> list[pytest.Item]:
    """`items` ordered so that each group of tests sharing a module's fixture opens the
    slice of the list that xdist's work stealing first hands to one process."""
    groups: dict[str, list[pytest.Item]] = {}
    rest = []
    for item in items:
        owner = shared_fixture(item)
        (groups.setdefault(owner, []) if owner else rest).append(item)
    if processes < 2 or not groups:
        return items
    firsts: list[list[pytest.Item]] = [[] for _ in range(processes)]
    for group in sorted(groups.values(), key=len, reverse=True):
        min(firsts, key=len).extend(group)
    ordered: list[pytest.Item] = []
    others = iter(rest)
    for index, first in enumerate(firsts):
        # xdist sends each idle process the pending tests divided by the processes left.
        size = (len(items) - len(ordered)) // (processes - index)
        ordered += first + list(itertools.islice(others, max(0, size - len(first))))
    return ordered + list(others)


class SharedFixtures:
    """Reorders the tests last, after `-m` and `-k` have left some out."""

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        processes = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "0"))
        items[:] = one_process_per_shared_fixture(items, processes)
