"""The shared contracts load without the web framework: the central server, scripts and
tools that import `collector.protocol` or `collector.forms` pay only for what they use."""

import json
import subprocess
import sys

import pytest

HEAVY = ("flask", "werkzeug", "jinja2", "flask_babel", "flask_wtf", "requests", "cheroot")


def modules_loaded_by(statement: str) -> set[str]:
    """Top-level packages a fresh interpreter holds after `statement`."""
    script = (
        f"{statement}\nimport json, sys\n"
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    return set(json.loads(out.stdout.splitlines()[-1]))


@pytest.mark.parametrize(
    "module",
    [
        "collector",
        "collector.protocol",
        "collector.forms",
        "collector.expressions",
        "collector.anonymizer",
        "collector.scrubbing",
        "collector.version",
    ],
)
def test_a_shared_contract_loads_no_web_framework(module):
    loaded = modules_loaded_by(f"import {module}")
    assert "collector" in loaded
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))


def test_the_app_factory_is_still_where_it_was():
    """`from collector import create_app` loads Flask then, and only then."""
    loaded = modules_loaded_by("from collector import create_app\nassert callable(create_app)")
    assert "flask" in loaded
    from collector import __version__
    from collector.version import __version__ as version

    assert __version__ == version
