"""PINs and passwords: hashed at werkzeug's full scrypt cost unless the environment names
another method (the test suite lowers it, see conftest.py), and checked whatever cost made
the stored hash."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from collector import create_app, passwords
from collector.users import add_user, check_pin
from sync_server import create_app as create_central_app


@pytest.fixture
def default_cost(monkeypatch):
    monkeypatch.delenv(passwords.METHOD_ENV, raising=False)


def test_the_default_is_werkzeugs_full_scrypt_cost(default_cost):
    stored = passwords.hash_secret("correct horse")
    assert stored.startswith("scrypt:32768:8:1$")
    assert passwords.matches(stored, "correct horse")
    assert not passwords.matches(stored, "correct hors")


def test_a_hash_made_at_another_cost_still_verifies(default_cost, monkeypatch):
    monkeypatch.setenv(passwords.METHOD_ENV, "pbkdf2:sha256:5000")
    older = passwords.hash_secret("4821")
    monkeypatch.delenv(passwords.METHOD_ENV)
    assert older.startswith("pbkdf2:sha256:5000$")
    assert passwords.matches(older, "4821") and not passwords.matches(older, "4822")
    assert passwords.hash_secret("4821").startswith("scrypt:32768:8:1$")


def test_the_hub_signs_in_with_the_method_of_the_environment(data_dir, monkeypatch):
    monkeypatch.setenv(passwords.METHOD_ENV, "scrypt:2048:8:1")
    app = create_app(data_dir=data_dir)
    with app.app_context():
        from collector.db import get_db

        db = get_db()
        add_user(db, "Halima", "482913")
        stored = db.execute("SELECT pin_hash FROM users WHERE name = 'Halima'").fetchone()[0]
        assert stored.startswith("scrypt:2048:8:1$")
        assert check_pin(db, "Halima", "482913").user_id is not None
        assert check_pin(db, "Halima", "482914").user_id is None
        assert check_pin(db, "Nobody", "482913").user_id is None


@pytest.mark.parametrize(
    "method", ["md5", "scrypt:1000:8:1", "scrypt:1024", "plain", "pbkdf2:sha1:1000", "scrypt:0:8:1"]
)
def test_a_mistyped_method_stops_both_apps_before_they_start(method, tmp_path, monkeypatch):
    monkeypatch.setenv(passwords.METHOD_ENV, method)
    with pytest.raises(passwords.PasswordMethodError, match="power of two"):
        create_app(data_dir=tmp_path / "hub")
    with pytest.raises(passwords.PasswordMethodError, match="power of two"):
        create_central_app(data_dir=tmp_path / "server")


def test_a_mistyped_method_stops_both_command_lines_with_one_line():
    method = "scrypt:1000:8:1"
    for command in (["collector", "keys", "--help"], ["sync_server", "user", "list"]):
        done = subprocess.run(
            [sys.executable, "-m", *command],
            env={**os.environ, passwords.METHOD_ENV: method},
            capture_output=True,
            text=True,
        )
        assert done.returncode == 1 and "Traceback" not in done.stderr
        assert f"Error: {passwords.METHOD_ENV}={method!r}: use scrypt:N:r:p" in done.stderr
