"""The browser's expression evaluator runs the same vectors as Python's, under Node."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from support import need_tool

ROOT = Path(__file__).resolve().parent.parent


def test_javascript_evaluator_passes_the_shared_vectors():
    node = need_tool("node")
    result = subprocess.run(
        [node, "--test", "tests/js/"], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    passed = int(re.search(r"^# pass (\d+)$", result.stdout, re.M).group(1))
    assert passed >= 220 and re.search(r"^# fail 0$", result.stdout, re.M)
