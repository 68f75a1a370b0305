"""Bad input to the sync API gets a clear 4xx JSON error and stores nothing."""

from __future__ import annotations

import contextlib
import gzip
import json
import uuid

import pytest
import requests

from collector import protocol
from support import database_bytes, query

HEADERS = {protocol.VERSION_HEADER: protocol.PROTOCOL_VERSION}


@pytest.fixture
def device(central):
    """A freshly enrolled device token, talking to the API directly."""
    answer = requests.post(
        central.url + "/api/v1/enroll",
        headers=HEADERS,
        json={
            "protocol": "1.0",
            "code": central.enrollment_code(),
            "enrollment_id": str(uuid.uuid4()),
        },
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def record(**changes):
    base = {
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
            "message": "When?",
            "wants_reply": "no",
        },
    }
    base.update(changes)
    return base


def batch(*records, **changes):
    message = protocol.batch_message(str(uuid.uuid4()), list(records), 0, "test")
    message.update(changes)
    return message


def push(central, token, body, headers=None, gzipped=True, raw=False):
    data = body if raw else protocol.dumps(body)
    all_headers = dict(
        HEADERS, Authorization=f"Bearer {token}", **{"Content-Type": "application/json"}
    )
    if gzipped:
        data = gzip.compress(data)
        all_headers["Content-Encoding"] = "gzip"
    all_headers.update(headers or {})
    return requests.post(
        central.url + "/api/v1/records", data=data, headers=all_headers, timeout=30
    )


def stored(central) -> int:
    return query(central.database, "SELECT count(*) AS n FROM records")[0]["n"]


def assert_error(response, status, code):
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    error = response.json()["error"]
    assert error["code"] == code and error["message"]


def test_a_good_batch_is_stored_and_its_retry_is_a_duplicate(central, device):
    rec = record()
    first = push(central, device["device_token"], batch(rec))
    assert first.status_code == 200
    assert first.json()["results"] == [{"uuid": rec["uuid"], "revision": 1, "status": "stored"}]
    retry = push(central, device["device_token"], batch(rec))
    assert retry.json()["results"][0]["status"] == "duplicate"
    assert stored(central) == 1


@pytest.mark.parametrize(
    "token,status,code",
    [
        ("", 401, "token_missing"),
        ("not-a-real-token", 401, "token_unknown"),
    ],
)
def test_bad_token(central, device, token, status, code):
    assert_error(push(central, token, batch(record())), status, code)
    assert stored(central) == 0


def test_revoked_token(central, device):
    from sync_server.store import Store

    store = Store(central.database)
    store.revoke_device(device["device_id"])
    store.close()
    assert_error(push(central, device["device_token"], batch(record())), 403, "device_revoked")
    assert stored(central) == 0


def test_malformed_json(central, device):
    response = push(central, device["device_token"], b'{"protocol": "1.0", "records": [', raw=True)
    assert_error(response, 400, "malformed_json")
    assert stored(central) == 0


def test_bad_gzip(central, device):
    response = requests.post(
        central.url + "/api/v1/records",
        data=b"\x1f\x8bnot really gzip",
        headers=dict(
            HEADERS,
            Authorization=f"Bearer {device['device_token']}",
            **{"Content-Encoding": "gzip"},
        ),
        timeout=10,
    )
    assert_error(response, 400, "bad_gzip")
    assert stored(central) == 0


def test_oversize_compressed_body(central, device):
    body = gzip.compress(b" " * 10) + b"\0" * (protocol.MAX_BATCH_BYTES + 100_000)
    response = requests.post(
        central.url + "/api/v1/records",
        data=body,
        headers=dict(
            HEADERS,
            Authorization=f"Bearer {device['device_token']}",
            **{"Content-Encoding": "gzip"},
        ),
        timeout=30,
    )
    assert response.status_code == 413 and response.json()["error"]["code"]
    assert stored(central) == 0


def test_gzip_bomb_is_refused(central, device):
    bomb = gzip.compress(b"[" + b" " * (protocol.MAX_DECOMPRESSED_BYTES + 1024) + b"]")
    assert len(bomb) < protocol.MAX_BATCH_BYTES
    assert_error(
        push(
            central,
            device["device_token"],
            bomb,
            raw=True,
            gzipped=False,
            headers={"Content-Encoding": "gzip"},
        ),
        413,
        "too_large",
    )
    assert stored(central) == 0


def test_too_many_records(central, device):
    records = [record() for _ in range(protocol.MAX_RECORDS_PER_BATCH + 1)]
    assert_error(push(central, device["device_token"], batch(*records)), 400, "invalid_message")
    assert stored(central) == 0


@pytest.mark.parametrize(
    "changes",
    [
        {"revision": "one"},
        {"revision": 0},
        {"uuid": "not-a-uuid"},
        {"answers": ["not", "a", "dict"]},
        {"collected": "yesterday"},
        {"form_id": 42},
        {"extra_field": True},
    ],
)
def test_wrong_types_reject_the_whole_batch(central, device, changes):
    response = push(central, device["device_token"], batch(record(), record(**changes)))
    assert_error(response, 400, "invalid_message")
    assert stored(central) == 0


def test_unknown_form_is_rejected_with_its_reason(central, device):
    response = push(
        central,
        device["device_token"],
        batch(record(form_id="no_such_form"), record(form_version="99")),
    )
    assert response.status_code == 422
    body = response.json()
    assert body["error"]["code"] == "all_rejected"
    assert [r["code"] for r in body["results"]] == ["unknown_form", "unknown_form"]
    assert stored(central) == 0


def test_one_bad_record_does_not_block_the_others(central, device):
    good, bad = record(), record(answers={"message": "x", "not_a_question": 1})
    response = push(central, device["device_token"], batch(good, bad))
    assert response.status_code == 200
    assert [r["status"] for r in response.json()["results"]] == ["stored", "rejected"]
    assert response.json()["results"][1]["code"] == "unknown_field"
    assert stored(central) == 1


def test_answers_of_the_wrong_shape_never_break_a_batch(central, device):
    """A list or an object where a choice belongs (no hub sends one) is a record like any
    other to the indicators: its facts leave those answers out, the batch is answered."""
    odd = record(
        form_id="community_survey",
        answers={
            "safety_after_dark": ["safe"],
            "incl_contact": {"often": "daily"},
            "discriminated": ["yes", "no"],
            "gender": {"x": 1},
            "trust_people": [7],
        },
    )
    response = push(central, device["device_token"], batch(odd, record()))
    assert response.status_code == 200, response.text
    assert [r["status"] for r in response.json()["results"]] == ["stored", "stored"]
    facts = query(
        central.database,
        "SELECT safe_after_dark, incl_contact, discriminated, gender, trust_most FROM facts"
        " WHERE uuid = ?",
        [odd["uuid"]],
    )
    assert facts == [dict.fromkeys(facts[0])]  # a row, every one of these NULL
    assert stored(central) == 2


def test_identifying_fields_are_refused_even_if_sent(central, device):
    leaky = record(
        answers={"message": "hello", "contact": "0712 000000", "feedback_type": "question"}
    )
    response = push(central, device["device_token"], batch(leaky))
    assert response.json()["results"][0]["code"] == "identifying_field"
    assert stored(central) == 0
    assert b"0712 000000" not in database_bytes(central.database)


@pytest.mark.parametrize(
    "version,status,code",
    [
        ("2.0", 400, "protocol_unsupported"),
        ("0.9", 400, "protocol_unsupported"),
        (None, 400, "protocol_missing"),
    ],
)
def test_unknown_protocol_version(central, device, version, status, code):
    headers = {protocol.VERSION_HEADER: version} if version else {}
    response = requests.post(
        central.url + "/api/v1/records",
        data=gzip.compress(protocol.dumps(batch(record()))),
        headers={
            **headers,
            "Authorization": f"Bearer {device['device_token']}",
            "Content-Encoding": "gzip",
        },
        timeout=10,
    )
    assert_error(response, status, code)
    in_body = push(central, device["device_token"], batch(record(), protocol="7.1"))
    assert_error(in_body, 400, "protocol_unsupported")
    assert stored(central) == 0


def test_replayed_batch(central, device):
    message = batch(record())
    assert push(central, device["device_token"], message).status_code == 200
    message["records"].append(record())
    assert_error(push(central, device["device_token"], message), 409, "replayed_batch")
    assert stored(central) == 1


def test_a_conflicting_record_is_rejected(central, device):
    rec = record()
    push(central, device["device_token"], batch(rec))
    changed = dict(rec, answers=dict(rec["answers"], message="something else"))
    response = push(central, device["device_token"], batch(changed))
    assert response.json()["results"][0]["code"] == "conflict"
    [kept] = query(central.database, "SELECT answers FROM records")
    assert json.loads(kept["answers"])["message"] == "When?"


def test_unknown_paths_and_methods_answer_json(central):
    response = requests.get(central.url + "/api/v1/nothing", timeout=10)
    assert response.status_code == 404 and response.json()["error"]["code"] == "not_found"
    response = requests.get(central.url + "/api/v1/records", timeout=10)
    assert response.status_code == 405 and response.json()["error"]["code"]


def test_health(central):
    from sync_server import identity

    response = requests.get(central.url + "/api/v1/health", timeout=10)
    assert response.json() == {
        "status": "ok",
        "protocol": protocol.PROTOCOL_VERSION,
        "server": {"name": "", "fingerprint": identity.fingerprint(central.app.config["DATA_DIR"])},
    }


@pytest.mark.parametrize(
    "body",
    [
        {"protocol": "1.0", "code": "ABCD"},
        {"protocol": "1.0", "enrollment_id": str(uuid.uuid4())},
        {"protocol": "3.0", "code": "ABCD-EFGH-JKMN", "enrollment_id": str(uuid.uuid4())},
    ],
)
def test_bad_enrollment_requests(central, body):
    response = requests.post(central.url + "/api/v1/enroll", json=body, timeout=10)
    assert 400 <= response.status_code < 500 and response.json()["error"]["code"]
    assert query(central.database, "SELECT count(*) AS n FROM devices")[0]["n"] == 0


def test_large_answers_are_compressed(central, device):
    records = [record() for _ in range(40)]
    response = push(
        central, device["device_token"], batch(*records), headers={"Accept-Encoding": "gzip"}
    )
    assert response.headers.get("Content-Encoding") == "gzip"
    assert len(response.json()["results"]) == 40  # requests undoes the gzip


def test_batches_follow_the_link(central):
    from collector.sync_client import MIN_BATCH_BYTES, SyncClient

    client = SyncClient.__new__(SyncClient)
    client.batch_bytes = 32 * 1024
    client._adapt(0.5)
    assert client.batch_bytes == 64 * 1024  # a quick answer: bigger batches
    client._adapt(30)
    client._adapt(30)
    assert client.batch_bytes == 16 * 1024  # slow answers: smaller ones
    for _ in range(10):
        client._adapt(60)
    assert client.batch_bytes == MIN_BATCH_BYTES


@pytest.fixture
def short_lock_waits(monkeypatch):
    """Writers give up waiting for a lock after 0.3 s instead of 15 s (both engines)."""
    import collector.db
    import sync_server.database

    monkeypatch.setattr(collector.db, "BUSY_TIMEOUT_MS", 300)
    monkeypatch.setattr(sync_server.database, "LOCK_TIMEOUT_MS", 300)


def test_a_busy_database_answers_503_and_stores_nothing(short_lock_waits, central, device):
    """Another writer holds the lock past the wait: the push is 503 with Retry-After,
    nothing is stored, and the same batch sent again afterwards is stored once."""
    message = batch(record(), record())
    with held_write_lock(central.database, message["batch_id"]):
        busy = push(central, device["device_token"], message)
    assert_error(busy, 503, "busy")
    assert busy.headers["Retry-After"] == "5"
    assert stored(central) == 0
    again = push(central, device["device_token"], message)
    assert again.status_code == 200 and stored(central) == 2


@contextlib.contextmanager
def held_write_lock(database: str, batch_id: str):
    """Another writer in the middle of a transaction: SQLite's write lock, or on PostgreSQL
    the lock a server process holds while it stores this batch."""
    if database.startswith("postgresql://"):
        import psycopg

        with psycopg.connect(database) as conn:
            conn.execute(
                "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [f"batch {batch_id}"]
            )
            yield
            conn.rollback()
        return
    import sqlite3

    conn = sqlite3.connect(database, isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        conn.execute("ROLLBACK")
        conn.close()
