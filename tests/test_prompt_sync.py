"""A form's prompt files (recordings, pictures) go from the central server to the laptops by
sync: published with the form (`sync-server forms publish --media`, or the Forms page),
kept once by their SHA-256, offered in the form list, fetched by the hub it lacks them,
checked against their hash on arrival, and served by the hub at the page's address.

A real central server (SQLite and PostgreSQL) and a real hub on loopback; the fault-injecting
proxy between them for a link cut in the middle of a file."""

from __future__ import annotations

import hashlib
import io
import json
import os
import uuid
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner

from collector import protocol
from collector.cli import cli as collector_cli
from collector.db import connect
from collector.forms import PROMPT_HASH_CHARS
from collector.sync_client import SyncClient, SyncReport, enroll
from faultproxy import FaultProxy
from support import query
from sync_server import logs
from sync_server.cli import cli as server_cli
from sync_server.store import Store
from test_form_publishing import publish_button, text_of
from test_workspace import signed_in, team  # noqa: F401 - the fixture
from workbooks import write_workbook

# Large enough for a cut link to land in the middle of one.
OGG_EN = b"OggS\x00" + os.urandom(120_000)
OGG_SW = b"OggS\x00" + os.urandom(90_000)
PNG = b"\x89PNG\r\n\x1a\n" + os.urandom(2_000)
FILES = {"water-en.ogg": OGG_EN, "water-sw.ogg": OGG_SW, "well.png": PNG}


def sha(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def page_address(content: bytes, extension: str) -> str:
    """Where the hub's form page asks for a prompt (collector.prompts)."""
    return f"/prompts/water_point/{sha(content)[:PROMPT_HASH_CHARS]}.{extension}"


def write_form(folder: Path, files=FILES) -> Path:
    """An XLSForm with an audio prompt in two languages and a picture; its files beside it."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        (folder / name).write_bytes(content)
    survey = [
        ["type", "name", "label::English (en)", "label::Kiswahili (sw)"]
        + ["audio::English (en)", "audio::Kiswahili (sw)", "image"],
        ["text", "water", "Where is water?", "Maji yako wapi?"]
        + ["water-en.ogg", "water-sw.ogg", "well.png"],
    ]
    settings = [["form_id", "version"], ["water_point", "1"]]
    return write_workbook(folder / "water_point.xlsx", survey, settings=settings)


def publish_cli(central, path: Path, *media: Path):
    args = ["forms", "publish", str(path), "--data-dir", central.app.config["DATA_DIR"]]
    for file in media:
        args += ["--media", str(file)]
    return CliRunner().invoke(server_cli, args, catch_exceptions=False)


@pytest.fixture
def published(central, tmp_path):
    """The form published from the command line with its prompt files (beside it)."""
    outcome = publish_cli(central, write_form(tmp_path / "form"))
    assert outcome.exit_code == 0, outcome.output
    assert "Prompt files the laptops get with it by sync: 3." in outcome.output
    assert "do not get" not in outcome.output
    return central


def enrolled_client(hub, data_dir, server_url: str, code: str) -> SyncClient:
    db = connect(hub.app.config["DATABASE"])
    return SyncClient(db, enroll(db, data_dir, server_url, code), timeout=(2, 5))


@pytest.fixture
def client(hub, data_dir, published):
    sync_client = enrolled_client(hub, data_dir, published.url, published.enrollment_code())
    yield sync_client
    sync_client.db.close()


@pytest.fixture
def server_log():
    """The central server's own log lines (sync_server.logs), one JSON object each."""
    stream = io.StringIO()
    level, propagate = logs.LOGGER.level, logs.LOGGER.propagate
    handler = logs.configure(stream)
    yield stream
    logs.LOGGER.removeHandler(handler)
    logs.LOGGER.setLevel(level)
    logs.LOGGER.propagate = propagate


def prompt_requests(log: io.StringIO) -> int:
    lines = [json.loads(line) for line in log.getvalue().splitlines()]
    return sum(1 for line in lines if line.get("endpoint") == "prompts_api.prompt_file")


def held_on_hub(db_path) -> dict[str, bytes]:
    return {r["sha256"]: r["content"] for r in query(db_path, "SELECT * FROM form_media")}


def hub_prompt(hub, address: str) -> requests.Response:
    browser = hub.browser()
    browser.signin()
    return browser.get(address)


def test_published_prompts_reach_the_hub_by_sync_checked_and_once(
    client, hub, published, db_path, data_dir, server_log
):
    # Kept once each by hash in the central's data dir, owner-only.
    folder = Path(published.app.config["DATA_DIR"]) / "prompts"
    kept = sorted(p.name for p in folder.rglob("*") if p.is_file())
    assert kept == sorted(sha(c) for c in FILES.values())
    assert all(not p.stat().st_mode & 0o077 for p in [folder, *folder.rglob("*")])
    rows = query(published.database, "SELECT name, sha256 FROM form_prompts ORDER BY name")
    assert [(r["name"], r["sha256"]) for r in rows] == [(n, sha(c)) for n, c in FILES.items()]

    # The picture's bytes changed on the server's disk (or on the way): refused on arrival.
    picture = folder / sha(PNG)[:2] / sha(PNG)
    picture.write_bytes(PNG[:-1] + b"!")
    assert hub_prompt(hub, page_address(OGG_SW, "ogg")).status_code == 404  # not yet here
    report = client.sync()
    assert report.forms_added == ["water_point 1"]
    assert (report.prompts_fetched, report.prompts_waiting) == (2, 1)
    assert prompt_requests(server_log) == 3
    assert sorted(held_on_hub(db_path)) == sorted([sha(OGG_EN), sha(OGG_SW)])
    assert hub_prompt(hub, page_address(PNG, "png")).status_code == 404

    # Put right: the next sync (the operator's command) fetches only what is still missing.
    picture.write_bytes(PNG)
    synced = CliRunner().invoke(collector_cli, ["sync", "--data-dir", str(data_dir)])
    assert synced.exit_code == 0, synced.output
    assert "Recordings and pictures of the forms: 1 arrived, 0 to fetch" in synced.output
    assert prompt_requests(server_log) == 4
    for content, extension in ((OGG_EN, "ogg"), (OGG_SW, "ogg"), (PNG, "png")):
        served = hub_prompt(hub, page_address(content, extension))
        assert served.status_code == 200 and served.content == content

    # Nothing missing: the next sync asks for no file at all.
    again = client.sync()
    assert (again.prompts_fetched, again.prompts_waiting) == (0, 0)
    assert prompt_requests(server_log) == 4
    assert held_on_hub(db_path) == {sha(c): c for c in FILES.values()}


def test_a_link_cut_in_the_middle_of_a_file_stores_nothing_and_the_next_sync_completes_it(
    hub, data_dir, published, db_path
):
    link = FaultProxy(upstream=("127.0.0.1", int(published.url.rsplit(":", 1)[1])))
    link.start()
    try:
        client = enrolled_client(hub, data_dir, link.url, published.enrollment_code())
        assert client.pull_forms() == ["water_point 1"]  # the form, and the files offered
        # The next connection breaks 30 KB into its answer: inside the first recording.
        link.set_mode("fail_next", count=1, how="reset_mid_response", after_bytes=30_000)
        client.session.close()  # the files go on a new connection
        report = SyncReport()
        client.fetch_prompts(report)
        assert (report.prompts_fetched, report.prompts_waiting) == (0, 3)
        assert link.stats["faults_injected"] == 1
        assert held_on_hub(db_path) == {}  # not a byte of the cut file is kept
        # The form works meanwhile: its page opens, the prompt is simply not there yet.
        browser = hub.browser()
        browser.signin()
        assert browser.get("/forms/water_point").status_code == 200
        assert browser.get(page_address(OGG_EN, "ogg")).status_code == 404

        report = client.sync()
        assert (report.prompts_fetched, report.prompts_waiting) == (3, 0)
        assert held_on_hub(db_path) == {sha(c): c for c in FILES.values()}
        assert browser.get(page_address(OGG_EN, "ogg")).content == OGG_EN
        client.db.close()
    finally:
        link.stop()


def device_get(central, token: str, path: str, **headers) -> requests.Response:
    return requests.get(
        central.url + path,
        headers={protocol.VERSION_HEADER: protocol.PROTOCOL_VERSION, **headers}
        | ({"Authorization": f"Bearer {token}"} if token else {}),
        timeout=10,
    )


def enroll_device(central) -> dict:
    return requests.post(
        central.url + "/api/v1/enroll",
        json={
            "protocol": "1.0",
            "code": central.enrollment_code(),
            "enrollment_id": str(uuid.uuid4()),
        },
        timeout=10,
    ).json()


def test_only_enrolled_devices_get_the_files_of_published_forms(team, tmp_path):  # noqa: F811
    """The Forms page keeps the files when it checks the upload; a device gets them only
    once the version is published, with caching headers, and a revoked device never."""
    device = enroll_device(team)
    token = device["device_token"]
    admin = signed_in(team, "admin")
    folder = tmp_path / "upload"
    form = write_form(folder)
    page = admin.get("/forms").text
    preview = admin.session.post(
        team.url + "/forms",
        files=[("definition", (form.name, form.read_bytes(), "application/octet-stream"))]
        + [("media", (name, content, "audio/ogg")) for name, content in FILES.items()],
        data={"csrf_token": admin.csrf(page)},
        timeout=30,
    )
    assert preview.status_code == 200 and "/forms/preview/" in preview.url, text_of(preview)
    path = f"/api/v1/prompts/{sha(OGG_SW)}"
    # Checked, not published: no device may have its files.
    assert device_get(team, token, path).status_code == 404
    listing = device_get(team, token, "/api/v1/forms").json()["forms"]
    assert all("prompt_files" not in item for item in listing)

    assert "Published water_point version 1." in text_of(publish_button(admin, preview.text))
    answer = device_get(team, token, path)
    assert answer.status_code == 200 and answer.content == OGG_SW
    assert answer.headers["Content-Type"] == "audio/ogg"
    assert "immutable" in answer.headers["Cache-Control"]
    assert answer.headers["ETag"] == f'"{sha(OGG_SW)}"'
    assert (
        device_get(team, token, path, **{"If-None-Match": answer.headers["ETag"]}).status_code
        == 304
    )
    listing = device_get(team, token, "/api/v1/forms").json()["forms"]
    offered = [item["prompt_files"] for item in listing if item["form_id"] == "water_point"]
    assert offered == [sorted(sha(c) for c in FILES.values())]

    assert device_get(team, None, path).status_code == 401
    assert device_get(team, "x" * 43, path).status_code == 401
    assert device_get(team, token, "/api/v1/prompts/" + "0" * 64).status_code == 404
    assert device_get(team, token, "/api/v1/prompts/not-a-hash").status_code == 400
    store = Store(team.database)
    store.revoke_device(device["device_id"])
    store.close()
    refused = device_get(team, token, path)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "device_revoked"


def test_a_file_not_given_is_named_and_nothing_is_offered_for_it(central, tmp_path, hub, data_dir):
    """A JSON definition that names its files by hash, published without them: the command
    names what the laptops will not get, and a laptop asks the server for nothing."""
    definition = {
        "form_id": "water_point",
        "version": "1",
        "title": {"en": "Water point"},
        "sections": [
            {
                "name": "main",
                "label": {"en": "Main"},
                "questions": [
                    {
                        "name": "water",
                        "type": "text",
                        "label": {"en": "Where is water?"},
                        "media": {"audio": {"en": "water-en.ogg"}},
                    }
                ],
            }
        ],
        "media_files": {"water-en.ogg": sha(OGG_EN)},
    }
    path = tmp_path / "water_point.json"
    path.write_text(json.dumps(definition), "utf-8")
    outcome = publish_cli(central, path)
    assert outcome.exit_code == 0, outcome.output
    assert "the laptops do not get these prompt files" in outcome.output
    assert "water-en.ogg" in outcome.output
    client = enrolled_client(hub, data_dir, central.url, central.enrollment_code())
    report = client.sync()
    assert report.forms_added == ["water_point 1"]
    assert (report.prompts_fetched, report.prompts_waiting) == (0, 0)
    client.db.close()
    # Given now, with the same definition: kept, offered, and the next sync fetches it.
    (tmp_path / "water-en.ogg").write_bytes(OGG_EN)
    outcome = publish_cli(central, path)
    assert "already published" in outcome.output and "do not get" not in outcome.output
    client = enrolled_client(hub, data_dir, central.url, central.enrollment_code())
    assert client.sync().prompts_fetched == 1
    client.db.close()


def test_moving_the_server_to_postgresql_keeps_the_prompts(tmp_path, postgresql_url):
    """migrate-db copies the prompt tables (parents first); the files stay in the data dir."""
    from support import Central

    central = Central(tmp_path / "central-data")
    data_dir = central.app.config["DATA_DIR"]
    assert publish_cli(central, write_form(tmp_path / "form")).exit_code == 0
    central.stop()
    moved = CliRunner().invoke(
        server_cli, ["migrate-db", "--data-dir", data_dir, "--to", postgresql_url]
    )
    assert moved.exit_code == 0, moved.output
    for table in ("prompt_files", "form_prompts"):
        assert query(postgresql_url, f"SELECT count(*) AS n FROM {table}")[0]["n"] == 3
    (Path(data_dir) / "settings.toml").write_text(f'database = "{postgresql_url}"\n')
    server = Central(Path(data_dir))
    try:
        token = enroll_device(server)["device_token"]
        answer = device_get(server, token, f"/api/v1/prompts/{sha(OGG_EN)}")
        assert answer.status_code == 200 and answer.content == OGG_EN
    finally:
        server.stop()


def test_files_of_an_upload_never_published_are_forgotten_after_its_preview(published):
    from sync_server import prompts

    data_dir = published.app.config["DATA_DIR"]
    store = Store(published.database)
    try:
        stray = b"OggS\x00 checked, never published"
        prompts.keep_files(store, {"stray.ogg": stray}, data_dir)
        assert prompts.stored_path(sha(stray), data_dir).is_file()
        assert prompts.forget_unpublished(store, "2000-01-01T00:00:00Z", data_dir) == 0
        assert prompts.forget_unpublished(store, "2999-01-01T00:00:00Z", data_dir) == 1
        assert not prompts.stored_path(sha(stray), data_dir).exists()
        # The published form's files stay, rows and bytes.
        assert store.held_prompts(sha(c) for c in FILES.values()) == {
            sha(c) for c in FILES.values()
        }
        assert all(prompts.stored_path(sha(c), data_dir).is_file() for c in FILES.values())
    finally:
        store.close()
