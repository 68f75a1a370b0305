"""The field collector: a Flask app that runs on a laptop hub with no internet.

The package itself imports nothing heavy: the shared contracts (`collector.protocol`,
`collector.forms`, `collector.expressions`, `collector.anonymizer`) load without Flask, so the
central server and scripts pay only for what they use. `create_app` lives in
`collector.app` and is loaded on first use.
"""

from __future__ import annotations

from .version import __version__

__all__ = ["__version__", "create_app"]


def __getattr__(name: str):
    # `from collector import create_app` keeps working, without importing Flask up front.
    if name == "create_app":
        from .app import create_app

        return create_app
    raise AttributeError(f"module 'collector' has no attribute {name!r}")
