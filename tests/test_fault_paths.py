"""What goes wrong in the field, said plainly: a full disk on either side, a bundle that is
only partly good, a port already taken."""

from __future__ import annotations

import errno
import os
import socket
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner

from collector import create_app as create_hub, device_keys, protocol
from collector.datadir import ensure_data_dir
from filling import FEEDBACK_ANSWERS
from support import IN_CI, LiveHub, install_key, need_tool, query
from sync_server import create_app as create_server
from sync_server.cli import cli as server_cli
from test_feedback import kiosk_data
from test_sync_api import HEADERS, batch, push, record

# About full disks under SQLite files, not the server's storage: SQLite only
# (tests/conftest.py runs the others on PostgreSQL too).
SERVER_ENGINES = ("sqlite",)

MB = 1024 * 1024
DISK_FULL_PAGE = "The hub&#39;s disk is full: nothing was saved. Tell the hub&#39;s operator."


# -- a real full disk: a small tmpfs mounted for the test ---------------------------------------


class SmallDisk:
    """A tmpfs of a few megabytes; `fill()` takes every free byte, `free()` gives it back."""

    def __init__(self, path: Path):
        self.path = path
        self.filler = path / "filler"

    def fill(self) -> None:
        with self.filler.open("ab", buffering=0) as handle:
            for size in (MB, 4096, 1):
                try:
                    while handle.write(b"\0" * size):
                        pass
                except OSError as error:
                    assert error.errno == errno.ENOSPC

    def free(self) -> None:
        self.filler.unlink()


@pytest.fixture
def small_disk(tmp_path):
    need_tool("mount")
    target = tmp_path / "small-disk"
    target.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=24m,mode=0700", "tmpfs", str(target)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        message = f"cannot mount a tmpfs ({mounted.stderr.strip()}): run the tests as root"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    try:
        yield SmallDisk(target)
    finally:
        subprocess.run(["umount", "-l", str(target)], check=False)


@pytest.fixture(params=["write", "open"])
def emptied_wal(request):
    """Empty a database's WAL file, so the next commit must take new space (not reuse old
    frames). "write": a connection stays open, so the next write is what fails (SQLITE_FULL);
    "open": none does, so SQLite must create its files again and opening fails (I/O error)."""
    kept = []

    def empty(database):
        conn = sqlite3.connect(database)
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        if request.param == "write":
            kept.append(conn)
        else:
            conn.close()

    yield empty
    for conn in kept:
        conn.close()


def enrolled_token(url, code) -> str:
    answer = requests.post(
        url + "/api/v1/enroll",
        headers=HEADERS,
        json={"protocol": "1.0", "code": code, "enrollment_id": str(uuid.uuid4())},
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["device_token"]


@pytest.fixture
def full_server(small_disk):
    """A sync server whose data dir is on the small disk, with an enrolled device."""
    from support import Central

    server = Central(small_disk.path / "central")
    server.app.config["MIN_FREE_BYTES"] = MB
    server.token = enrolled_token(server.url, server.enrollment_code())
    yield server, small_disk
    server.stop()


def records_on(database) -> int:
    return query(database, "SELECT count(*) AS n FROM records")[0]["n"]


def test_a_full_disk_on_the_server_is_a_507_and_stores_nothing(full_server, emptied_wal):
    central, disk = full_server
    assert requests.get(central.url + "/api/v1/health", timeout=10).status_code == 200
    emptied_wal(central.database)
    disk.fill()
    response = push(central, central.token, batch(record(), record(), record()))
    assert response.status_code == 507, response.text
    assert response.json()["error"]["code"] == "server_disk_full"
    assert "disk is full" in response.json()["error"]["message"]
    health = requests.get(central.url + "/api/v1/health", timeout=10)
    assert health.status_code == 503 and health.json()["status"] == "disk_full"
    # Even with no free-space margin asked for, the test write finds the disk full.
    central.app.config["MIN_FREE_BYTES"] = 0
    health = requests.get(central.url + "/api/v1/health", timeout=10)
    assert health.status_code == 503 and "test write" in health.json()["message"]
    disk.free()
    assert records_on(central.database) == 0  # nothing half stored
    central.app.config["MIN_FREE_BYTES"] = MB
    assert requests.get(central.url + "/api/v1/health", timeout=10).json()["status"] == "ok"
    again = push(central, central.token, batch(record(), record()))
    assert again.status_code == 200 and records_on(central.database) == 2


def test_health_says_disk_full_below_the_free_space_threshold(tmp_path):
    app = create_server({"MIN_FREE_BYTES": 10**18}, data_dir=tmp_path / "central")
    live = LiveHub(app)
    try:
        health = requests.get(live.url + "/api/v1/health", timeout=10)
        assert health.status_code == 503
        assert health.json()["status"] == "disk_full" and "MB free" in health.json()["message"]
        app.config["MIN_FREE_BYTES"] = 0
        assert requests.get(live.url + "/api/v1/health", timeout=10).status_code == 200
    finally:
        live.stop()


def test_the_hubs_sync_page_explains_the_servers_full_disk(full_server, emptied_wal, tmp_path):
    """The hub pushes, the server's disk is full: the hub keeps its records queued and says
    why in words, not "something went wrong"."""
    from collector.db import open_database
    from collector.sync import error_text
    from collector.sync_client import SyncClient, SyncError, SyncReport, enroll

    central, disk = full_server
    hub_dir = install_key(ensure_data_dir(tmp_path / "hub"))
    # The kiosk message goes at once, without waiting for the operator's review.
    app = create_hub({"HUB_SETTINGS": {"hold_free_text_for_review": []}}, data_dir=hub_dir)
    db = open_database(app.config["DATABASE"])
    credentials = enroll(db, hub_dir, central.url, central.enrollment_code())
    live = LiveHub(app)
    try:
        phone = live.browser("en")
        page = phone.get("/feedback").text
        assert phone.post("/feedback", kiosk_data(FEEDBACK_ANSWERS, page)).status_code == 200
        emptied_wal(central.database)
        disk.fill()
        with pytest.raises(SyncError) as failed:
            SyncClient(db, credentials).push(SyncReport())
        assert failed.value.code == "server_disk_full"
        with app.test_request_context("/?lang=en"):
            assert "The server's disk is full" in error_text("server_disk_full")
        assert query(app.config["DATABASE"], "SELECT state FROM outbox") == [{"state": "queued"}]
    finally:
        live.stop()
        db.close()


@pytest.fixture
def full_hub(small_disk):
    app = create_hub(
        {"HUB_SETTINGS": {"feedback_rate_limit": "1000 per minute"}},
        data_dir=small_disk.path / "hub",
    )
    live = LiveHub(app)
    live.add_enumerator()
    yield live, small_disk
    live.stop()


def test_a_full_disk_on_the_hub_tells_the_phone_nothing_was_saved(full_hub, emptied_wal):
    hub, disk = full_hub
    phone = hub.browser("en")
    page = phone.get("/feedback").text
    outbox_page = phone.get("/feedback").text
    emptied_wal(hub.app.config["DATABASE"])
    disk.fill()
    response = phone.post("/feedback", kiosk_data(FEEDBACK_ANSWERS, page), csrf_from=page)
    assert response.status_code == 507
    assert DISK_FULL_PAGE in response.text
    from_outbox = phone.post(
        "/feedback",
        kiosk_data(FEEDBACK_ANSWERS, outbox_page),
        csrf_from=outbox_page,
        headers={"X-Hub-Outbox": "1"},
    )
    assert from_outbox.status_code == 507
    assert from_outbox.json() == {
        "error": "disk_full",
        "message": "The hub's disk is full: nothing was saved. Tell the hub's operator.",
    }
    disk.free()
    assert query(hub.app.config["DATABASE"], "SELECT count(*) AS n FROM records")[0]["n"] == 0
    assert phone.get("/healthz").status_code == 200
    page = phone.get("/feedback").text
    assert phone.post("/feedback", kiosk_data(FEEDBACK_ANSWERS, page)).status_code == 200


# -- point 18: a bundle that is only partly good ----------------------------------------------


@pytest.fixture
def bundle_maker(central, tmp_path):
    """Write bundles signed by an enrolled device's own key; import them with the CLI."""
    hub_dir = ensure_data_dir(tmp_path / "hub-keys")
    answer = requests.post(
        central.url + "/api/v1/enroll",
        headers=HEADERS,
        json={
            "protocol": "1.0",
            "code": central.enrollment_code(),
            "enrollment_id": str(uuid.uuid4()),
            "device_public_key": device_keys.public_key_text(hub_dir),
        },
        timeout=10,
    ).json()

    class Maker:
        device = answer

        def write(self, batches) -> Path:
            path = tmp_path / f"{uuid.uuid4().hex[:8]}.bundle"
            path.write_bytes(
                protocol.make_bundle(
                    batches, answer["device_id"], device_keys.load_private_key(hub_dir)
                )
            )
            return path

        def run(self, path):
            return CliRunner().invoke(
                server_cli,
                ["import-bundle", str(path), "--data-dir", central.app.config["DATA_DIR"]],
                catch_exceptions=False,
            )

    return Maker()


@pytest.mark.parametrize(
    "position, breakage, reason",
    [
        (3, {"records": [{"uuid": "not a uuid"}]}, "records.0"),
        (2, {"protocol": "2.0"}, "Protocol version 2.0 is not supported"),
        (1, {"batch_id": "x"}, "batch_id"),
        (3, {"extra": True}, "extra"),
    ],
)
def test_a_malformed_batch_means_nothing_is_stored(
    central, bundle_maker, position, breakage, reason
):
    batches = [batch(record(), record()) for _ in range(3)]
    batches[position - 1].update(breakage)
    result = bundle_maker.run(bundle_maker.write(batches))
    assert result.exit_code == 1
    assert f"batch {position} of 3" in result.output and "is malformed" in result.output
    assert reason in result.output and "Nothing was stored." in result.output
    assert records_on(central.database) == 0
    assert query(central.database, "SELECT count(*) AS n FROM batches")[0]["n"] == 0


def test_a_bundle_partly_stored_says_exactly_what(central, bundle_maker):
    pushed = batch(record())  # already received over the network
    assert push(central, bundle_maker.device["device_token"], pushed).status_code == 200
    unknown = record(form_id="no_such_form")
    batches = [batch(record(), record()), pushed, batch(record(), unknown, record())]
    result = bundle_maker.run(bundle_maker.write(batches))
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert lines[0].endswith(": 4 stored, 0 already here, 1 rejected.")
    assert (
        f"  batch 1 of 3 ({batches[0]['batch_id']}): 2 stored, 0 already here, 0 rejected." in lines
    )
    assert (
        f"  batch 2 of 3 ({pushed['batch_id']}): already imported before; nothing stored "
        "again." in lines
    )
    assert (
        f"  batch 3 of 3 ({batches[2]['batch_id']}): 2 stored, 0 already here, 1 rejected." in lines
    )
    assert any(
        line.startswith(
            f"    rejected {unknown['uuid']} revision 1: The server has no form no_such_form"
        )
        for line in lines
    )
    assert "not everything was stored: 1 records rejected" in result.output
    assert records_on(central.database) == 5
    # Importing it again stores nothing new and says so per batch.
    again = bundle_maker.run(bundle_maker.write(batches))
    assert records_on(central.database) == 5 and again.exit_code == 1


def test_a_bundle_import_on_a_full_disk_says_nothing_was_stored(full_server, emptied_wal, tmp_path):
    central, disk = full_server
    hub_dir = ensure_data_dir(tmp_path / "hub-keys")
    device = requests.post(
        central.url + "/api/v1/enroll",
        headers=HEADERS,
        json={
            "protocol": "1.0",
            "code": central.enrollment_code(),
            "enrollment_id": str(uuid.uuid4()),
            "device_public_key": device_keys.public_key_text(hub_dir),
        },
        timeout=10,
    ).json()
    batches = [batch(record()), batch(record())]
    path = tmp_path / "full.bundle"
    path.write_bytes(
        protocol.make_bundle(batches, device["device_id"], device_keys.load_private_key(hub_dir))
    )
    emptied_wal(central.database)
    disk.fill()
    result = CliRunner().invoke(
        server_cli,
        ["import-bundle", str(path), "--data-dir", central.app.config["DATA_DIR"]],
        catch_exceptions=False,
    )
    assert result.exit_code == 1 and "Traceback" not in result.output
    if "Error: The disk holding" in result.output:  # SQLite could not even open its files
        assert len(result.output.strip().splitlines()) == 1
        assert "is full: nothing was changed" in result.output
    else:
        assert result.output.count("NOT STORED: The server's disk is full") == 2
        assert "batch 2 of 2 (" in result.output
    disk.free()
    assert records_on(central.database) == 0


# -- point 19: a port already in use ----------------------------------------------------------


@pytest.fixture
def taken_port():
    holder = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    holder.bind(("127.0.0.1", 0))
    holder.listen(1)
    yield holder.getsockname()[1]
    holder.close()


def run_cli(module, *args, tmp_path):
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).parent.parent))
    return subprocess.run(
        [sys.executable, "-m", module, *map(str, args), "--data-dir", str(tmp_path / module)],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


@pytest.mark.parametrize(
    "module, args, option",
    [
        ("collector", ["serve", "--host", "127.0.0.1", "--port", "{port}"], "--port"),
        (
            "collector",
            ["serve", "--host", "127.0.0.1", "--port", "0", "--https", "--https-port", "{port}"],
            "--https-port",
        ),
        ("sync_server", ["serve", "--host", "127.0.0.1", "--port", "{port}"], "--port"),
        ("sync_server", ["demo", "--server-port", "{port}", "--port", "0"], "--server-port"),
    ],
)
def test_a_port_in_use_is_one_line_and_exit_code_1(tmp_path, taken_port, module, args, option):
    result = run_cli(module, *[a.format(port=taken_port) for a in args], tmp_path=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [
        f"Error: Port {taken_port} is already in use on 127.0.0.1: stop the other program or "
        f"choose {option}."
    ]
