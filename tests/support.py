"""Helpers the tests share: real servers on loopback, direct reads of their databases,
a browser without JavaScript. Fixtures are in conftest.py; tests import these by name."""

from __future__ import annotations

import os
import random
import re
import shutil
import socket
import sqlite3
import stat
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import requests

from collector.serving import make_server
from collector.users import add_user

IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
ENUMERATOR, PIN = "amina", "4821"
CSRF_PATTERN = re.compile(r'name="csrf_token" value="([^"]+)"')
UUID_PATTERN = re.compile(r"/records/([0-9a-f-]{36})/")


def translated(locale: str, message: str) -> str:
    """A message as the shipped catalog of `locale` says it, to check pages exactly."""
    from babel.support import Translations

    import translations

    return Translations.load(str(translations.DIRECTORY), [locale]).gettext(message)


# Each test process takes its servers' ports from a block of its own, below the ports the
# system hands out for port 0 (32768 and up on Linux, 49152 elsewhere): a server of another
# test process, or one of ours bound to port 0, cannot take the port between the probe and
# the server's own bind and answer in its place.
_PORT_BLOCKS, _PORT_BLOCK = 12, 1000


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now, for a server the test starts."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
    start = 20000 + _PORT_BLOCK * (int(worker or 0) % _PORT_BLOCKS)
    for port in random.sample(range(start, start + _PORT_BLOCK), _PORT_BLOCK):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port from {start} to {start + _PORT_BLOCK - 1}")


# How a server says another program holds its port: ours (collector.serving), and gunicorn.
PORT_TAKEN = ("already in use", "Connection in use")


def port_taken(output: str) -> bool:
    """Whether a server stopped because its port was taken: under `pytest -n` another test
    process may bind a free_port() between our probe and the server's own bind."""
    return any(sign in output for sign in PORT_TAKEN)


def serve_on_free_port(
    command: Callable[[int], list[str]],
    ready: str,
    errors: Path,
    seconds: float = 60,
    tries: int = 5,
    **options,
) -> tuple[subprocess.Popen, str]:
    """Start the server `command(port)` runs, its stderr in `errors`, until the path `ready`
    answers: the process and its URL. On a port taken first it starts again on another."""
    for _ in range(tries):
        port = free_port()
        with errors.open("w") as stderr:
            process = subprocess.Popen(
                command(port), stdout=subprocess.DEVNULL, stderr=stderr, **options
            )
        url = f"http://127.0.0.1:{port}"
        if _answers(url + ready, process, seconds):
            return process, url
        if process.poll() is None:
            process.kill()
            process.wait()
        if not port_taken(errors.read_text()):
            break
    pytest.fail(f"the server did not start:\n{errors.read_text()[-2000:]}")


def _answers(url: str, process: subprocess.Popen, seconds: float) -> bool:
    """Whether `url` answers before `process` stops or `seconds` pass."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and process.poll() is None:
        try:
            requests.get(url, timeout=2)
            return True
        except (requests.ConnectionError, requests.Timeout):
            time.sleep(0.2)
    return False


def need_tool(name: str) -> str:
    """The path of a tool the test needs: skip without it here, fail without it in CI."""
    path = shutil.which(name)
    if path is None:
        if IN_CI:
            pytest.fail(f"{name} is required in CI but was not found")
        pytest.skip(f"{name} is not installed")
    return path


# The suite's pseudonym key, as a data custodian's key file would install it on a laptop.
TEST_PSEUDONYM_KEY = b"test pseudonym key for the suite"


def install_key(data_dir: Path, key: bytes = TEST_PSEUDONYM_KEY) -> Path:
    """Install the project's pseudonym key in a hub's data dir (`collector keys import`):
    without it a hub syncs nothing."""
    from collector import keyfile

    keyfile.install(data_dir, key)
    return data_dir


def query(db_path, sql, params=()):
    """Read a database directly, as an auditor would: the hub's or the server's SQLite
    file, or the server's PostgreSQL database (a URL)."""
    if str(db_path).startswith("postgresql://"):
        from sync_server.database import PostgresDatabase

        db = PostgresDatabase(str(db_path))
        try:
            cursor = db.execute(sql, params)
            if cursor.description is None:  # a change, not a query
                return []
            names = [column.name for column in cursor.description]
            return [dict(zip(names, row, strict=True)) for row in cursor]
        finally:
            db.close()
    conn = sqlite3.connect(db_path)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(row) for row in conn.execute(sql, params)]
    finally:
        conn.close()


def change(database, sql, params=()) -> None:
    """Change a database behind the server's back (a restore from an old backup, say)."""
    if str(database).startswith("postgresql://"):
        query(database, sql, params)  # each statement commits on its own there
        return
    conn = sqlite3.connect(database)
    with conn:
        conn.execute(sql, params)
    conn.close()


def database_bytes(database) -> bytes:
    """Every byte a server database holds: the SQLite file and its write-ahead log, or a
    PostgreSQL database as pg_dump writes it (what a stolen backup would show)."""
    if str(database).startswith("postgresql://"):
        from postgres import bin_dir

        return subprocess.run(
            [str(bin_dir() / "pg_dump"), "--data-only", "-d", str(database)],
            check=True,
            capture_output=True,
        ).stdout
    files = [Path(database), Path(f"{database}-wal")]
    return b"".join(path.read_bytes() for path in files if path.exists())


def import_forms(db_path, *definitions) -> None:
    """Put form definitions (JSON-like dicts) on a hub, as `collector forms import` does."""
    from collector.db import open_database
    from collector.form_library import import_form
    from collector.forms import load_form

    db = open_database(db_path)
    try:
        for definition in definitions:
            import_form(db, load_form(definition), "test")
    finally:
        db.close()


class LiveHub:
    """A real cheroot server on 127.0.0.1 with the app, in a background thread."""

    def __init__(self, app):
        self.app = app
        self.server = make_server(app, "127.0.0.1", 0, threads=24)
        # cheroot notices stop() only at its next idle tick (0.5 s by default), and most tests
        # stop a server: tick often, so a stop takes milliseconds. Serving works the same.
        self.server.expiration_interval = 0.02
        self.server.prepare()
        self.url = f"http://127.0.0.1:{self.server.bind_addr[1]}"
        self.thread = threading.Thread(target=self.server.serve, daemon=True)
        self.thread.start()

    def stop(self):
        from collector.db import close_kept_connections

        self.server.stop()
        self.thread.join(timeout=10)
        close_kept_connections()  # as `collector serve` does when it stops

    def add_enumerator(self, name=ENUMERATOR, pin=PIN):
        from collector.db import open_database

        db = open_database(self.app.config["DATABASE"])
        try:
            add_user(db, name, pin)
        finally:
            db.close()

    def browser(self, lang: str | None = None) -> Browser:
        return Browser(self.url, lang)


class Browser:
    """A phone's browser without JavaScript: follows links and posts forms."""

    def __init__(self, base: str, lang: str | None = None):
        self.base = base
        self.session = requests.Session()
        if lang:
            self.session.headers["Accept-Language"] = lang
        self.last = None

    def get(self, path, **kwargs):
        self.last = self.session.get(self.base + path, timeout=30, **kwargs)
        return self.last

    def csrf(self, html: str | None = None) -> str:
        match = CSRF_PATTERN.search(html if html is not None else self.last.text)
        assert match, "page has no CSRF token"
        return match.group(1)

    def post(self, path, data, csrf_from: str | None = None, **kwargs):
        data = dict(data) if isinstance(data, dict) else list(data)
        token = self.csrf(csrf_from)
        if isinstance(data, dict):
            data.setdefault("csrf_token", token)
        else:
            data.append(("csrf_token", token))
        self.last = self.session.post(self.base + path, data=data, timeout=30, **kwargs)
        return self.last

    def signin(self, name=ENUMERATOR, pin=PIN):
        self.get("/signin")
        response = self.post("/signin", {"name": name, "pin": pin})
        # Signed in: the page it lands on offers to sign out (in whatever language).
        assert response.status_code == 200 and 'action="/signout"' in response.text, response.text[
            :500
        ]
        return response


class Central:
    """A real sync server on 127.0.0.1, with its store at hand for setting up devices."""

    def __init__(self, data_dir: Path, database: str | None = None):
        from sync_server import create_app as create_server

        if database:  # in the data dir's settings, so its commands find it too
            data_dir.mkdir(parents=True, exist_ok=True)
            (data_dir / "settings.toml").write_text(f'database = "{database}"\n')
        self.app = create_server(data_dir=data_dir)
        self.live = LiveHub(self.app)
        self.url = self.live.url
        self.database = self.app.config["DATABASE"]

    def enrollment_code(self, label="laptop", hours=24.0) -> str:
        from sync_server.enrollment import code_hash, expiry, new_code
        from sync_server.store import Store

        code = new_code()
        store = Store(self.database)
        store.add_enrollment_code(code_hash(code), label, expiry(hours))
        store.close()
        return code

    def signed_in(self, name: str, password: str, locale: str = "en") -> Browser:
        """A browser signed in to the server's workspace as `name`."""
        person = Browser(self.url, locale)
        person.get("/signin")
        response = person.post("/signin", {"name": name, "password": password})
        assert response.status_code == 200, response.text[:300]
        return person

    def export(self, form_id: str, fmt: str, out: Path, reason: str = "a test") -> None:
        """`sync-server export` of a form's raw records, as an admin runs it."""
        from click.testing import CliRunner

        from sync_server.cli import cli as server_cli

        result = CliRunner().invoke(
            server_cli,
            ["export", "--form", form_id, "--format", fmt, "--output", str(out)]
            + ["--raw-records", "--reason", reason, "--data-dir", self.app.config["DATA_DIR"]],
            catch_exceptions=False,
        )
        assert result.exit_code == 0, result.output

    def stop(self):
        self.live.stop()


def open_to_others(root: Path) -> list[str]:
    """Files under `root` (itself included) that anyone but their owner may read or write."""
    return [
        f"{path.relative_to(root) if path != root else '.'} {stat.filemode(path.stat().st_mode)}"
        for path in [root, *root.rglob("*")]
        if path.stat().st_mode & 0o077
    ]


def sync_once(db_path, data_dir, central):
    """Enroll the hub whose database is at `db_path` with `central` and sync once, as a
    field team would: the sync's report and the device id the server gave."""
    from collector.db import open_database
    from collector.sync_client import SyncClient, enroll

    db = open_database(db_path)
    try:
        client = SyncClient(db, enroll(db, Path(data_dir), central.url, central.enrollment_code()))
        return client.sync(), client.creds.device_id
    finally:
        db.close()
