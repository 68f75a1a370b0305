"""Fixtures: a fresh data dir per test, the app, and a real hub served on loopback
(the helpers they use are in support.py)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from browsing import chromium, worker_chromium  # noqa: F401 - one browser per test process
from collector import create_app, passphrase as sealing, passwords
from scheduling import SharedFixtures
from support import (
    Browser,
    Central,
    LiveHub,
    install_key,
)

# Thousands of sign-ins: hashed at werkzeug's default cost they took a fifth of the
# suite's processor time. The hashing itself is the same code (collector.passwords, tested
# at the default cost in test_passwords.py); commands the tests start inherit the cost.
os.environ.setdefault(passwords.METHOD_ENV, "scrypt:1024:8:1")
# Sealing with a passphrase (protected folders, key files) likewise, at scrypt's lowest
# accepted cost instead of the default's half a second a derivation (test_passphrase.py
# tests the default).
os.environ.setdefault(sealing.COST_ENV, str(2**14))

# A costly fixture that a module's tests share (a served population, a hub with many forms)
# is scoped to the session, not the module, though only that module uses it: the workers
# interleave each module's tests with others', and pytest makes a module fixture again
# after every interruption (five times on four workers, measured), a session one once a
# worker.


def pytest_configure(config) -> None:
    config.pluginmanager.register(SharedFixtures(), "shared-fixtures")


def pytest_xdist_auto_num_workers(config) -> int:
    """`-n auto` starts two workers per core: a third of a worker's time is spent waiting on a
    browser, a server or a subprocess, not on the processor (measured: 1.26 of 2 cores busy
    with one worker per core), so two per core finish the suite sooner on the same cores."""
    return 2 * (os.cpu_count() or 1)


@pytest.fixture
def data_dir(tmp_path) -> Path:
    """A hub's data dir, with the project's pseudonym key installed as in the field."""
    return install_key(tmp_path / "hub-data")


@pytest.fixture
def app(data_dir):
    app = create_app(
        {"HUB_SETTINGS": {"feedback_rate_limit": "1000 per minute"}}, data_dir=data_dir
    )
    return app


@pytest.fixture
def db_path(app) -> Path:
    return Path(app.config["DATABASE"])


@pytest.fixture
def hub(app):
    live = LiveHub(app)
    live.add_enumerator()
    yield live
    live.stop()


@pytest.fixture(scope="session")
def postgresql_cluster():
    """A private PostgreSQL server for this test process (tests/postgres.py)."""
    from postgres import Cluster

    cluster = Cluster()
    yield cluster
    cluster.stop()


@pytest.fixture
def postgresql_url(postgresql_cluster):
    """A new, empty PostgreSQL database, dropped after the test."""
    name = postgresql_cluster.create_database()
    yield postgresql_cluster.url(name)
    postgresql_cluster.drop_database(name)


@pytest.fixture
def migrated_postgresql_url(postgresql_cluster):
    """A new PostgreSQL database with the central server's tables, dropped after the test
    (tests of the migrations themselves take `postgresql_url`)."""
    name = postgresql_cluster.create_migrated_database()
    yield postgresql_cluster.url(name)
    postgresql_cluster.drop_database(name)


SERVER_ENGINES = ("sqlite", "postgresql")


def pytest_generate_tests(metafunc):
    """Tests taking `central` (or `server_database`) run on each engine, but in modules
    whose subject is the hub or the link rather than the server's storage: those set
    `SERVER_ENGINES = ("sqlite",)`, so the suite stays quick."""
    if "server_database" in metafunc.fixturenames:
        engines = getattr(metafunc.module, "SERVER_ENGINES", SERVER_ENGINES)
        metafunc.parametrize("server_database", engines, indirect=True)


@pytest.fixture
def server_database(request):
    """The central server's database: None (SQLite in the data dir) or a PostgreSQL URL."""
    if request.param == "sqlite":
        return None
    return request.getfixturevalue("migrated_postgresql_url")


@pytest.fixture
def central(tmp_path, server_database):
    server = Central(tmp_path / "central-data", server_database)
    yield server
    server.stop()


@pytest.fixture
def browser(hub) -> Browser:
    phone = hub.browser("en")
    phone.signin()
    return phone


@pytest.fixture
def load_form_calls(monkeypatch):
    """Counts calls of the real load_form from the XLSForm importer (it still does its
    work): a refused file must never reach it."""
    from collector import xlsform

    calls = []
    real = xlsform.load_form

    def counting(data):
        calls.append(data)
        return real(data)

    monkeypatch.setattr(xlsform, "load_form", counting)
    return calls


def pytest_collection_modifyitems(items):
    """A test that drives a real browser, or that took a second or more when the list
    tests/slow_tests.txt was made (see tests/timings.py), is slow: `pytest -m "not slow"`
    leaves it out."""
    browsers = {"chromium", "worker_chromium", "secure_phone"}
    listed = set(Path(__file__).with_name("slow_tests.txt").read_text("utf-8").split())
    for item in items:
        if browsers & set(getattr(item, "fixturenames", ())) or item.nodeid in listed:
            item.add_marker(pytest.mark.slow)


@pytest.fixture
def usual_umask():
    """Start from the usual umask (022: files readable by everyone), as a shell would."""
    before = os.umask(0o022)
    yield
    os.umask(before)
