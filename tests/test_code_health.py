"""The code passes its own checks: ruff's lint rules and formatting, and mypy's types, as
configured in pyproject.toml. Run with the suite, so the README's one test command checks
them too."""

import subprocess
import sys
from pathlib import Path

import pytest

from support import IN_CI

ROOT = Path(__file__).parent.parent


def run_tool(module: str, *args: str) -> subprocess.CompletedProcess:
    """`python -m module args` in the project folder; skip here (fail in CI) without it."""
    found = subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True)
    if found.returncode:
        if IN_CI:
            pytest.fail(f"{module} is required in CI but is not installed")
        pytest.skip(f"{module} is not installed (pip install -e '.[test]')")
    return subprocess.run(
        [sys.executable, "-m", module, *args], cwd=ROOT, capture_output=True, text=True, timeout=600
    )


def test_ruff_finds_nothing():
    result = run_tool(
        "ruff", "check", "collector", "sync_server", "tests", "benchmarks", "docs/images"
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]


def test_the_code_is_formatted():
    result = run_tool(
        "ruff",
        "format",
        "--check",
        "collector",
        "sync_server",
        "tests",
        "benchmarks",
        "docs/images",
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]


def test_mypy_finds_nothing():
    result = run_tool("mypy")  # files and settings: [tool.mypy] in pyproject.toml
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "Success: no issues found" in result.stdout
