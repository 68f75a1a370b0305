"""The central app for a WSGI process server with several workers (gunicorn on Linux).

    gunicorn -c python:sync_server.gunicorn_config sync_server.wsgi:app

Configured from the environment, as `sync-server serve` is from its options:
SYNC_SERVER_DATA_DIR (default: the same per-user folder as the command line),
SYNC_SERVER_DATABASE (postgresql://user@host/name, or a SQLite path; default: the SQLite
file in the data dir),
SYNC_SERVER_SUPPRESSION_K, SYNC_SERVER_NAME, and every setting of settings.toml as
SYNC_SERVER_<NAME> (SYNC_SERVER_PROXY_HOPS=1 behind nginx). Each worker builds its own app;
sync_server.create_app lets one at a time make the secrets and bring the database up to
date, so they may all start at once. docs/deployment.md describes the whole setup.
"""

from __future__ import annotations

import os

from . import create_app, logs

SUPPRESSION_K_RANGE = (2, 1000)  # as `sync-server serve --suppression-k`


def config_from_environment(environ=os.environ) -> dict:
    """create_app's arguments from SYNC_SERVER_* variables; ValueError names a bad one."""
    config = {"SERVER_NAME_LABEL": environ.get("SYNC_SERVER_NAME", "")}
    text = environ.get("SYNC_SERVER_SUPPRESSION_K", "").strip()
    if text:
        low, high = SUPPRESSION_K_RANGE
        if not text.isdigit() or not low <= int(text) <= high:
            raise ValueError(
                f"SYNC_SERVER_SUPPRESSION_K should be a whole number from {low} "
                f"to {high}, not {text!r}"
            )
        config["SUPPRESSION_K"] = int(text)
    return {
        "test_config": config,
        "data_dir": environ.get("SYNC_SERVER_DATA_DIR") or None,
        "database": environ.get("SYNC_SERVER_DATABASE") or None,
    }


logs.configure()  # gunicorn keeps each worker's standard error in its error log
app = create_app(**config_from_environment())
