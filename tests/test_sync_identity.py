"""The hub syncs only with the server it enrolled with: another server at the enrolled
address must sign a fresh challenge with the enrolled identity key, or it gets nothing."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from collector.db import open_database
from collector.sync_client import ServerNotProven, SyncClient, enroll, load_credentials
from faultproxy import FaultProxy
from support import Central, query
from test_sync import OPERATOR, add_operator, collector, fill_everything

SERVER_ENGINES = ("sqlite",)


class Listener(ThreadingHTTPServer):
    """A plain HTTP server at the enrolled address that records every request it gets.
    `answers` maps a path to (status, JSON body)."""

    daemon_threads = True

    def __init__(self, port: int, answers: dict):
        self.answers, self.requests = answers, []
        super().__init__(("127.0.0.1", port), _Recording)
        threading.Thread(target=self.serve_forever, daemon=True).start()


class _Recording(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def _answer(self, body: bytes) -> None:
        server = self.server
        assert isinstance(server, Listener)
        server.requests.append((self.command, self.path, dict(self.headers), body))
        status, answer = server.answers.get(self.path.split("?")[0], (404, {}))
        data = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):
        self._answer(b"")

    def do_POST(self):
        self._answer(self.rfile.read(int(self.headers.get("Content-Length") or 0)))


@pytest.fixture
def moved(hub, central, db_path, data_dir):
    """A hub enrolled with `central` through an address (a proxy's port) that is then free
    for another server to take. Yields (port, db)."""
    fill_everything(hub, surveys=1)
    proxy = FaultProxy(upstream=("127.0.0.1", int(central.url.rsplit(":", 1)[1]))).start()
    db = open_database(db_path)
    enroll(db, data_dir, proxy.url, central.enrollment_code())
    port = proxy.port
    proxy.stop()
    yield port, db
    db.close()


def genuine_answers(central) -> dict:
    """What the genuine server says of itself, as anyone may ask it: /health and one
    signed answer to a challenge (an old nonce)."""
    api = central.url + "/api/v1"
    health = requests.get(api + "/health", timeout=10).json()
    proof = requests.post(api + "/identity", json={"nonce": "n" * 32}, timeout=10).json()
    return {"/api/v1/health": (200, health), "/api/v1/identity": (200, proof)}


def sent_anything(listener: Listener) -> list:
    """Requests carrying the token or going beyond the health check and the challenge."""
    return [
        (method, path)
        for method, path, headers, _ in listener.requests
        if "Authorization" in headers
        or path.split("?")[0] not in ("/api/v1/health", "/api/v1/identity")
    ]


def test_a_copied_identity_and_a_replayed_proof_get_neither_token_nor_records(
    moved, central, data_dir
):
    port, db = moved
    listener = Listener(port, genuine_answers(central))
    try:
        client = SyncClient(db, load_credentials(db, data_dir))
        assert client.probe()  # /health answers, with the genuine fingerprint copied
        with pytest.raises(ServerNotProven) as refused:
            client.sync()
    finally:
        listener.shutdown()
    assert listener.requests and sent_anything(listener) == []
    fingerprint = genuine_answers(central)["/api/v1/health"][1]["server"]["fingerprint"]
    assert refused.value.code == "server_not_enrolled"
    assert fingerprint in refused.value.message and "not proven" in refused.value.message
    assert "enroll again" in refused.value.message


def test_another_real_server_at_the_address_is_refused_with_both_fingerprints(
    moved, hub, central, tmp_path, data_dir, db_path
):
    port, db = moved
    other = Central(tmp_path / "other-central")
    proxy = FaultProxy(upstream=("127.0.0.1", int(other.url.rsplit(":", 1)[1])), port=port)
    proxy.start()
    try:
        result = collector("sync", data_dir=data_dir)
    finally:
        proxy.stop()
    enrolled_fp = requests.get(central.url + "/api/v1/health", timeout=10).json()["server"]
    other_fp = requests.get(other.url + "/api/v1/health", timeout=10).json()["server"]
    other.stop()
    assert result.exit_code != 0
    assert "not the one this laptop enrolled with" in result.output
    assert enrolled_fp["fingerprint"] in result.output
    assert other_fp["fingerprint"] in result.output
    assert query(other.database, "SELECT count(*) AS n FROM records")[0]["n"] == 0
    assert query(other.database, "SELECT count(*) AS n FROM security_events")[0]["n"] == 0
    events = list(db.query("SELECT event, detail FROM security_events"))
    refusals = [e for e in events if e["event"] == "server_refused"]
    assert len(refusals) == 1 and other_fp["fingerprint"] in refusals[0]["detail"]
    # The operator's Sync page says the same, with both fingerprints.
    add_operator(hub)
    phone = hub.browser("en")
    phone.signin(*OPERATOR)
    page = phone.get("/sync").text
    assert "not the one this laptop enrolled with" in page
    assert enrolled_fp["fingerprint"] in page and other_fp["fingerprint"] in page


def test_a_server_that_cannot_answer_the_challenge_is_refused(moved, central, data_dir):
    port, db = moved
    answers = genuine_answers(central)
    del answers["/api/v1/identity"]  # as a server from before the challenge answers: 404
    listener = Listener(port, answers)
    try:
        client = SyncClient(db, load_credentials(db, data_dir))
        with pytest.raises(ServerNotProven) as refused:
            client.sync()
    finally:
        listener.shutdown()
    assert sent_anything(listener) == []
    assert refused.value.code == "server_cannot_prove"
    assert "update the sync server" in refused.value.message


def test_the_enrolled_server_proves_itself_and_gets_the_records(moved, central, data_dir):
    port, db = moved
    proxy = FaultProxy(upstream=("127.0.0.1", int(central.url.rsplit(":", 1)[1])), port=port)
    proxy.start()
    try:
        report = SyncClient(db, load_credentials(db, data_dir)).sync()
    finally:
        proxy.stop()
    assert report.stored >= 2
    assert query(central.database, "SELECT count(*) AS n FROM records")[0]["n"] == report.stored


@pytest.mark.parametrize("nonce", ["", "short", "x" * 200, 12345])
def test_the_server_refuses_a_malformed_challenge(central, nonce):
    answer = requests.post(central.url + "/api/v1/identity", json={"nonce": nonce}, timeout=10)
    assert answer.status_code == 400
    assert "signature" not in answer.text
