"""The central server's log: one JSON line per request and event, and no personal data in it."""

import io
import json
import os
import re
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import requests

from collector.passwords import hash_secret
from support import serve_on_free_port

ROOT = Path(__file__).parent.parent
PASSWORD = "lantern-harbour-quietly-917"
PLANTED = "Wanjiru Odhiambo"
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def start_server(data_dir: Path, log: Path) -> tuple[subprocess.Popen, str]:
    return serve_on_free_port(
        lambda port: [
            sys.executable,
            "-m",
            "sync_server",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--data-dir",
            str(data_dir),
        ],
        "/signin",
        log,
        env=dict(os.environ, PYTHONPATH=str(ROOT)),
    )


def add_admin(data_dir: Path) -> None:
    from sync_server import database_path
    from sync_server.store import Store

    store = Store(database_path(None, data_dir))
    try:
        store.add_user("ana", "admin", hash_secret(PASSWORD))
    finally:
        store.close()


def push_one_record(data_dir: Path, url: str) -> requests.Response:
    """Enroll a device with a code made on the server, then push one feedback record whose
    message names a person (the log must not)."""
    from collector import protocol
    from sync_server import database_path
    from sync_server.enrollment import code_hash, expiry, new_code
    from sync_server.store import Store

    code = new_code()
    store = Store(database_path(None, data_dir))
    try:
        store.add_enrollment_code(code_hash(code), "laptop", expiry(1))
    finally:
        store.close()
    version = {protocol.VERSION_HEADER: protocol.PROTOCOL_VERSION}
    enrolled = requests.post(
        url + "/api/v1/enroll",
        timeout=10,
        headers=version,
        json={"protocol": "1.0", "code": code, "enrollment_id": str(uuid.uuid4())},
    )
    assert enrolled.ok, enrolled.text
    record = {
        "uuid": str(uuid.uuid4()),
        "revision": 1,
        "form_id": "community_feedback",
        "form_version": "1",
        "locale": "en",
        "collected": "2026-11-20",
        "enumerator": None,
        "answers": {
            "feedback_type": "question",
            "topic": "health",
            "message": f"Ask {PLANTED}",
            "wants_reply": "no",
        },
    }
    message = protocol.batch_message(str(uuid.uuid4()), [record], 0, "test")
    answer = requests.post(
        url + "/api/v1/records",
        data=protocol.dumps(message),
        timeout=30,
        headers={
            **version,
            "Content-Type": "application/json",
            "Authorization": f"Bearer {enrolled.json()['device_token']}",
        },
    )
    assert answer.ok, answer.text
    return answer


def log_lines(log: Path) -> list[dict]:
    """Every JSON line of the log (the serve command's own greeting goes to stdout)."""
    return [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]


def test_each_request_is_one_json_line_by_route_never_by_url(tmp_path):
    data_dir, log = tmp_path / "server", tmp_path / "server.log"
    process, url = start_server(data_dir, log)
    try:
        add_admin(data_dir)
        session = requests.Session()
        page = session.get(url + "/signin", timeout=10)
        signed_in = session.post(
            url + "/signin",
            timeout=10,
            data={
                "name": "ana",
                "password": PASSWORD,
                "csrf_token": CSRF.search(page.text).group(1),
            },
        )
        assert signed_in.ok
        # A search for a person in the query string, and a record id in the path.
        searched = session.get(
            url + "/data/community_survey", timeout=10, params={"enumerator": PLANTED, "page": "1"}
        )
        missing = session.get(url + f"/data/record/{PLANTED.replace(' ', '-')}", timeout=10)
        refused = requests.post(
            url + "/api/v1/records",
            data=b"{not json",
            timeout=10,
            headers={"Authorization": "Bearer " + PLANTED.replace(" ", "")},
        )
        pushed = push_one_record(data_dir, url)
        exported = session.get(url + "/data/community_feedback/export.csv", timeout=30)
        assert exported.ok, exported.text[:300]
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
    text = log.read_text()
    lines = log_lines(log)
    assert lines, text
    assert PLANTED.split()[0] not in text and PLANTED.split()[1] not in text
    requests_logged = [line for line in lines if line["event"] == "request"]
    for response in (searched, missing, refused):
        request_id = response.headers["X-Request-Id"]
        [line] = [entry for entry in requests_logged if entry.get("request_id") == request_id]
        assert line["status"] == response.status_code
        assert line["method"] in ("GET", "POST") and line["ms"] >= 0
        assert line["time"].endswith("Z") and line["level"] == "info"
    [batch] = [line for line in lines if line["event"] == "ingest_batch"]
    assert batch["request_id"] == pushed.headers["X-Request-Id"]
    assert batch["status"] == 200 and batch["stored"] == 1 and batch["device"]
    [export] = [line for line in lines if line["event"] == "export"]
    assert export["form"] == "community_feedback" and export["format"] == "csv"
    assert export["checked"] is True and export["bytes"] == len(exported.content)
    by_id = {line["request_id"]: line for line in requests_logged}
    assert by_id[searched.headers["X-Request-Id"]]["route"] == "/data/<form_id>"
    assert by_id[missing.headers["X-Request-Id"]]["route"] == "/data/record/<record_uuid>"


def test_an_error_is_logged_by_type_and_place_not_by_its_message(tmp_path):
    """An exception's message may quote what someone wrote: only its type and frames go."""
    from sync_server import create_app, logs

    stream = io.StringIO()
    handler = logs.configure(stream)
    try:
        app = create_app(
            {"TESTING": False, "PROPAGATE_EXCEPTIONS": False}, data_dir=tmp_path / "server"
        )

        @app.route("/boom")
        def boom():
            raise ValueError(f"could not read {PLANTED}")

        response = app.test_client().get("/boom?name=" + PLANTED)
    finally:
        logs.LOGGER.removeHandler(handler)
    assert response.status_code == 500
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    [error] = [line for line in lines if line["event"] == "error"]
    assert error["type"] == "ValueError" and error["level"] == "error"
    assert any("boom" in frame for frame in error["where"])
    [request_line] = [line for line in lines if line["event"] == "request"]
    assert request_line["status"] == 500 and request_line["route"] == "/boom"
    assert error["request_id"] == request_line["request_id"]
    assert "Wanjiru" not in stream.getvalue() and "Odhiambo" not in stream.getvalue()
