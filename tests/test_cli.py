"""The `collector` command: exit codes and messages, against real data dirs."""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner

from collector.cli import cli
from filling import FEEDBACK_ANSWERS, SURVEY_ANSWERS, fill_form
from support import query
from test_feedback import send_feedback
from test_forms import minimal_form

ROOT = Path(__file__).resolve().parent.parent


def run(*args, input=None):
    return CliRunner().invoke(cli, [str(a) for a in args], input=input, catch_exceptions=False)


def test_user_add_hashes_the_pin_and_refuses_duplicates(data_dir):
    result = run("user", "add", "Amina", "--pin", "4821", "--data-dir", data_dir)
    assert result.exit_code == 0 and result.output == "Added enumerator Amina.\n"
    result = run("user", "add", "amina", "--pin", "1111", "--data-dir", data_dir)
    assert result.exit_code == 1
    assert "There is already an enumerator called amina." in result.output
    [user] = query(data_dir / "collector.db", "SELECT name, pin_hash FROM users")
    assert user["name"] == "Amina" and "4821" not in user["pin_hash"]
    assert run("user", "list", "--data-dir", data_dir).output == "Amina\n"


def test_user_add_asks_for_the_pin(data_dir):
    result = run("user", "add", "Baraka", "--data-dir", data_dir, input="5555\n5555\n")
    assert result.exit_code == 0
    result = run("user", "add", "Chidi", "--data-dir", data_dir, input="12\n12\n")
    assert result.exit_code == 1 and "A PIN is 4 to 12 digits." in result.output


def test_data_dir_and_secrets_are_owner_only(data_dir):
    run("status", "--data-dir", data_dir)
    from collector import create_app

    create_app(data_dir=data_dir)
    if os.name == "posix":
        assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700
        key = data_dir / "secrets" / "session_key"
        assert stat.S_IMODE(key.stat().st_mode) == 0o600
        assert len(key.read_text()) == 64
        for database_file in data_dir.glob("collector.db*"):
            assert stat.S_IMODE(database_file.stat().st_mode) == 0o600


def test_status_counts_records(hub, data_dir):
    phone = hub.browser("en")
    phone.signin()
    fill_form(phone, "community_survey", SURVEY_ANSWERS)
    fill_form(phone, "community_survey", SURVEY_ANSWERS, finalize=False)
    send_feedback(hub.browser("en"), FEEDBACK_ANSWERS)
    result = run("status", "--json", "--data-dir", data_dir)
    assert result.exit_code == 0
    # The kiosk message waits for the operator's review (hold_free_text_for_review).
    assert json.loads(result.output) == {
        "drafts": 1,
        "finalized": 2,
        "queued": 1,
        "held": 1,
        "synced": 0,
        "rejected": 0,
        "last_sync": None,
        "server": None,
        "device_revoked": None,
        "last_error": None,
        "reconcile": None,
        "attachments_waiting": 0,
        "attachments_waiting_bytes": 0,
    }
    text = run("status", "--data-dir", data_dir).output
    assert re.search(r"^drafts\s+1$", text, re.M) and "last sync  never" in text
    assert re.search(r"^held\s+1$", text, re.M) and "operator's review" in text
    assert "server     not enrolled" in text


def test_backup_while_serving_is_a_consistent_copy(hub, data_dir, tmp_path):
    phone = hub.browser("en")
    phone.signin()
    fill_form(phone, "community_survey", SURVEY_ANSWERS)
    target = tmp_path / "usb" / "backup.db"
    target.parent.mkdir()
    result = run("backup", target, "--data-dir", data_dir)
    assert result.exit_code == 0 and f"Backed up 1 records to {target}" in result.output
    conn = sqlite3.connect(target)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert conn.execute("SELECT count(*) FROM revisions").fetchone()[0] == 1
    conn.close()
    if os.name == "posix":
        assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert [p.name for p in target.parent.iterdir()] == ["backup.db"]


def test_forms_import_adds_a_version_once(data_dir, tmp_path):
    path = tmp_path / "household_visit.json"
    path.write_text(json.dumps(minimal_form()))
    result = run("forms", "import", path, "--data-dir", data_dir)
    listing = "Leave the laptop unchanged (keep): size, water.\n"
    assert result.exit_code == 0
    assert result.output == "Imported household_visit version 2.\n" + listing
    result = run("forms", "import", path, "--data-dir", data_dir)
    assert result.output == "household_visit version 2 is already on this hub.\n" + listing
    assert query(data_dir / "collector.db", "SELECT form_id, version FROM forms") == [
        {"form_id": "household_visit", "version": "2"}
    ]


@pytest.mark.parametrize(
    "content,message",
    [
        ("{ broken", "Not valid JSON"),
        (json.dumps(minimal_form(form_id="bad id")), "form_id"),
        (json.dumps(minimal_form(sections="x")), "sections"),
    ],
)
def test_forms_import_refuses_a_bad_file_and_stores_nothing(data_dir, tmp_path, content, message):
    run("status", "--data-dir", data_dir)  # a hub that already has its database
    path = tmp_path / "bad.json"
    path.write_text(content)
    result = run("forms", "import", path, "--data-dir", data_dir)
    assert result.exit_code == 1
    assert "bad.json is not a valid form definition" in result.output and message in result.output
    assert query(data_dir / "collector.db", "SELECT count(*) AS n FROM forms")[0]["n"] == 0


def test_unknown_setting_is_a_startup_error(data_dir):
    data_dir.mkdir(parents=True, exist_ok=True)
    (data_dir / "settings.toml").write_text('pin_attempts = 3\nfavourite_colour = "blue"\n')
    result = run("status", "--data-dir", data_dir)
    assert result.exit_code == 1
    assert "unknown setting(s): favourite_colour" in result.output
    (data_dir / "settings.toml").write_text('pin_attempts = "three"\n')
    assert "pin_attempts should be a int" in run("status", "--data-dir", data_dir).output


def test_serve_prints_addresses_answers_health_and_stops(tmp_path):
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "collector",
            "serve",
            "--port",
            "0",
            "--data-dir",
            str(tmp_path / "d"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        lines = []
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            lines.append(line)
            if line.startswith("Listening on"):
                break
        port = int(re.search(r":(\d+) ", lines[-1]).group(1))
        assert any(re.match(r"\s+http://[\d.]+:\d+/", line) for line in lines), lines
        response = requests.get(f"http://127.0.0.1:{port}/healthz", timeout=10)
        assert response.status_code == 200 and response.json()["status"] == "ok"
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=20)
    assert process.returncode == 0


@pytest.mark.parametrize("program", ["collector", "sync-server"])
def test_every_command_is_documented(program):
    from sync_server.cli import cli as server_cli

    group = {"collector": cli, "sync-server": server_cli}[program]
    docs = (ROOT / "README.md").read_text() + (ROOT / "docs" / "field-guide.md").read_text()
    commands = []
    for name, command in group.commands.items():
        if hasattr(command, "commands"):
            commands += [(f"{program} {name} {sub}", c) for sub, c in command.commands.items()]
        else:
            commands.append((f"{program} {name}", command))
    for text, command in commands:
        assert text in docs, f"{text} is not documented"
        assert "Example:" in command.help, f"{text} has no example in its help"


def test_every_setting_is_documented():
    from collector.settings import SETTINGS

    docs = (ROOT / "docs" / "field-guide.md").read_text()
    for setting in SETTINGS:
        assert f"`{setting.name}`" in docs, f"setting {setting.name} is not documented"


def open_handles(path: Path) -> int:
    """How many file descriptors of this process point at `path` (Linux's /proc)."""
    found = 0
    for fd in Path("/proc/self/fd").iterdir():
        try:
            found += os.readlink(fd) == str(path)
        except OSError:
            continue
    return found


@pytest.mark.skipif(not Path("/proc/self/fd").exists(), reason="needs Linux's /proc")
def test_commands_close_the_databases_they_open(data_dir, tmp_path):
    from sync_server.cli import cli as server_cli

    runner = CliRunner()
    for _ in range(3):
        assert runner.invoke(cli, ["status", "--data-dir", str(data_dir)]).exit_code == 0
    assert open_handles((data_dir / "collector.db").resolve()) == 0
    server = tmp_path / "server.db"
    for _ in range(3):
        done = runner.invoke(server_cli, ["device", "list", "--database", str(server)])
        assert done.exit_code == 0, done.output
    assert open_handles(server.resolve()) == 0
