"""Request logs hold paths, never query strings: a search for a person's name or an export's
reason typed in a query must not reach gunicorn's access log (the journal) or the hub's log."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import requests

from support import serve_on_free_port
from test_several_processes import need_gunicorn

ROOT = Path(__file__).resolve().parent.parent
PLANTED = "Amina Yusuf"
QUERIES = [
    "/data/community_survey?q_comments=Amina+Yusuf",
    "/data/community_survey/export.csv?release=raw&reason=Amina+Yusuf+asked",
    "/api/v1/health?note=Amina%20Yusuf",
]


def stopped(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def test_gunicorn_logs_the_path_without_the_query(tmp_path):
    need_gunicorn()
    access = tmp_path / "access.log"
    process, url = serve_on_free_port(
        lambda port: [
            sys.executable,
            "-m",
            "gunicorn",
            "-c",
            "python:sync_server.gunicorn_config",
            "--workers",
            "1",
            "--bind",
            f"127.0.0.1:{port}",
            "--access-logfile",
            str(access),  # the production format, to a file instead of the journal
            "sync_server.wsgi:app",
        ],
        "/api/v1/health",
        tmp_path / "gunicorn.log",
        cwd=ROOT,
        env=dict(os.environ, SYNC_SERVER_DATA_DIR=str(tmp_path / "data")),
    )
    try:
        for path in QUERIES:
            requests.get(url + path, timeout=10, allow_redirects=False)
    finally:
        stopped(process)
    logged = access.read_text()
    assert "/data/community_survey/export.csv" in logged  # each request has its line...
    for written in (logged, (tmp_path / "gunicorn.log").read_text()):
        assert "Amina" not in written and "q_comments" not in written  # ...without its query
        assert "reason=" not in written


def test_the_hub_logs_no_query(tmp_path):
    data_dir = tmp_path / "hub"
    data_dir.mkdir()
    log = tmp_path / "hub.log"
    process, url = serve_on_free_port(
        lambda port: (
            [sys.executable, "-m", "collector", "serve", "--host", "127.0.0.1"]
            + ["--port", str(port), "--data-dir", str(data_dir)]
        ),
        "/healthz",
        log,
        cwd=ROOT,
    )
    try:
        for path in ["/records?q=Amina+Yusuf", "/no-such-page?name=Amina+Yusuf", *QUERIES]:
            assert requests.get(url + path, timeout=10, allow_redirects=False).status_code
    finally:
        stopped(process)
    assert "Amina" not in log.read_text()
