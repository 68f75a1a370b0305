"""The tests that share a module's costly fixture run in one test process (scheduling.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parent

CONFTEST = f"""
import sys
sys.path.insert(0, {str(TESTS)!r})
from scheduling import SharedFixtures

def pytest_configure(config):
    config.pluginmanager.register(SharedFixtures(), "shared-fixtures")
"""

SHARED = """
import os
import pytest

@pytest.fixture(scope="session")
def population(tmp_path_factory):
    with open(os.environ["MADE_LOG"], "a") as log:
        log.write(os.environ.get("PYTEST_XDIST_WORKER", "") + "\\n")
    return 1

@pytest.mark.parametrize("n", range(40))
def test_uses_it(population, n):
    assert population == 1
"""

PLAIN = """
import pytest

@pytest.mark.parametrize("n", range(100))
def test_{name}(n):
    pass
"""


def test_a_fixture_of_a_module_s_own_is_made_once_a_run(tmp_path):
    (tmp_path / "conftest.py").write_text(CONFTEST)
    # 240 tests in three modules: the shared ones straddle two of four processes' slices.
    for name in ("a", "c"):
        (tmp_path / f"test_{name}.py").write_text(PLAIN.format(name=name))
    (tmp_path / "test_b.py").write_text(SHARED)
    command = [sys.executable, "-m", "pytest", "-q", "-n", "4", "--dist", "worksteal"]
    command += ["-p", "no:cacheprovider", "--basetemp", str(tmp_path / "run"), "-o", "addopts="]
    # The run is its own: not a worker of the run this test is in.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "COV_"))}
    env["MADE_LOG"] = str(tmp_path / "made")
    done = subprocess.run(
        command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
    )
    assert "240 passed" in done.stdout, done.stdout[-2000:] + done.stderr[-2000:]
    made = (tmp_path / "made").read_text().split()
    assert len(made) == 1, made
