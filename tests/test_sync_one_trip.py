"""Protocol 1.1: one round trip per sync, batches as columns with zstd, and both directions
of compatibility with 1.0 (an old laptop with a new server, a new laptop with an old server).

Real servers on loopback, a real hub database, the FaultProxy to count requests and break
links. An "old server" is the real server behind `AsVersion10`, which removes on the wire
exactly what 1.1 added (the push's query, zstd, columns, the answer's extras), as a 1.0
release answers."""

from __future__ import annotations

import gzip
import json
import uuid

import pytest
import requests

from collector import protocol
from collector.db import connect
from collector.sync_client import SyncClient, SyncError, enroll
from faultproxy import FaultProxy
from filling import FEEDBACK_ANSWERS, SURVEY_ANSWERS, fill_form
from support import query
from test_feedback import release_reviewed, send_feedback
from test_sync_api import HEADERS, batch, push, record

# About the exchange, not the server's storage: SQLite only.
SERVER_ENGINES = ("sqlite",)
RECORDS = 4


class AsVersion10:
    """WSGI middleware: the real server, answering as a 1.0 release did."""

    def __init__(self, wsgi_app):
        self.wsgi_app, self.on = wsgi_app, True

    def __call__(self, environ, start_response):
        if not self.on:
            return self.wsgi_app(environ, start_response)
        if environ.get("PATH_INFO") == "/api/v1/records":
            environ["QUERY_STRING"] = ""  # 1.0 never read it
            if environ.get("HTTP_CONTENT_ENCODING", "").lower() != "gzip":
                # 1.0 read any other body as plain JSON, and failed on zstd.
                environ.pop("HTTP_CONTENT_ENCODING", None)
        captured = {}

        def capture(status, headers, exc_info=None):
            captured.update(status=status, headers=headers)
            return lambda data: None

        body = b"".join(self.wsgi_app(environ, capture))
        headers = [(k, v) for k, v in captured["headers"] if k.lower() != "content-length"]
        if any(k.lower() == "content-type" and "json" in v for k, v in headers) and body:
            try:
                answer = json.loads(gzip.decompress(body) if body[:2] == b"\x1f\x8b" else body)
            except ValueError:
                answer = None
            if isinstance(answer, dict):
                if "results" in answer:  # a push's answer: 1.0 added nothing to it
                    for extra in ("forms", "replies", "reconcile"):
                        answer.pop(extra, None)
                answer.pop("complete", None)  # 1.0 replies pages had no `complete`
                if "protocol" in answer:
                    answer["protocol"] = "1.0"
                body = json.dumps(answer).encode()
                headers = [(k, v) for k, v in headers if k.lower() != "content-encoding"]
        start_response(captured["status"], headers + [("Content-Length", str(len(body)))])
        return [body]


@pytest.fixture
def link(central):
    proxy = FaultProxy(upstream=("127.0.0.1", int(central.url.rsplit(":", 1)[1])))
    proxy.start()
    yield proxy
    proxy.stop()


def fill(hub, count=RECORDS):
    phone = hub.browser("en")
    phone.signin()
    for _ in range(count):
        fill_form(phone, "community_survey", SURVEY_ANSWERS)


def enrolled_client(hub, central, link, data_dir) -> SyncClient:
    db = connect(hub.app.config["DATABASE"])
    return SyncClient(db, enroll(db, data_dir, link.url, central.enrollment_code()), timeout=(2, 5))


def requests_during(link, work):
    before = link.stats["requests_forwarded"]
    result = work()
    return result, link.stats["requests_forwarded"] - before


def assert_all_sent_once(central, db_path, count):
    stored = query(central.database, "SELECT uuid, revision FROM records")
    local = query(db_path, "SELECT uuid, revision FROM revisions")
    assert sorted(map(tuple, (r.values() for r in stored))) == sorted(
        map(tuple, (r.values() for r in local))
    )
    audit = query(
        central.database, "SELECT count(*) AS n FROM audit WHERE action = 'record_stored'"
    )
    assert audit[0]["n"] == count
    assert query(db_path, "SELECT count(*) AS n FROM outbox WHERE state = 'sent'")[0]["n"] == count


def test_a_sync_is_one_request_and_a_quiet_one_too(hub, central, link, data_dir, db_path):
    fill(hub)
    client = enrolled_client(hub, central, link, data_dir)
    assert client.modern
    report, trips = requests_during(link, client.sync)
    # The identity challenge, then records, forms, replies and the digest in one exchange.
    assert trips == 2
    assert report.stored == RECORDS and report.reconcile["agree"]
    assert report.reconcile["server_count"] == RECORDS
    assert_all_sent_once(central, db_path, RECORDS)
    # Nothing queued: an empty push asks; the server proved itself to this client already.
    report, trips = requests_during(link, client.sync)
    assert trips == 1 and report.stored == 0 and report.reconcile["agree"]
    # An empty push stores no batch.
    assert query(central.database, "SELECT count(*) AS n FROM batches")[0]["n"] == 1
    client.db.close()


def test_a_new_form_and_a_reply_come_with_the_push(hub, central, link, data_dir, db_path, tmp_path):
    from test_forms import minimal_form
    from test_sync import fill_everything, server_command

    fill_everything(hub, surveys=1)
    client = enrolled_client(hub, central, link, data_dir)
    client.sync()
    form_file = tmp_path / "visit.json"
    form_file.write_text(json.dumps(minimal_form()))
    server_command("forms", "publish", form_file, central=central)
    [feedback] = query(
        central.database, "SELECT uuid FROM records WHERE form_id = 'community_feedback'"
    )
    assert server_command("reply", feedback["uuid"], "Tutakupigia.", central=central).exit_code == 0
    report, trips = requests_during(link, client.sync)
    # The push answer names the new version; only its definition is fetched.
    assert trips == 2 and report.replies_added == 1
    assert report.forms_added == ["household_visit 2"]
    report, trips = requests_during(link, client.sync)
    assert trips == 1 and report.replies_added == 0 and report.forms_added == []
    assert query(db_path, "SELECT count(*) AS n FROM replies")[0]["n"] == 1
    client.db.close()


def test_dropped_connection_after_the_combined_answer(hub, central, link, data_dir, db_path):
    """The server committed the batch and sent records' results, replies and digest in one
    answer, which never arrived whole: nothing is assumed, nothing is lost or doubled."""
    from test_sync import server_command

    send_feedback(hub.browser("sw"), dict(FEEDBACK_ANSWERS, wants_reply="yes"))
    release_reviewed(hub)  # the operator read the kiosk message
    client = enrolled_client(hub, central, link, data_dir)
    client.sync()
    [feedback] = query(central.database, "SELECT uuid FROM records")
    assert server_command("reply", feedback["uuid"], "Asante.", central=central).exit_code == 0
    fill(hub)
    link.set_mode("reset_mid_response", after_bytes=200)
    client.session.close()  # the proxy breaks new connections
    with pytest.raises(SyncError):
        client.sync()
    assert query(central.database, "SELECT count(*) AS n FROM records")[0]["n"] == RECORDS + 1
    assert (
        query(db_path, "SELECT count(*) AS n FROM outbox WHERE state = 'queued'")[0]["n"] == RECORDS
    )  # committed there, yet nothing marked here
    assert query(db_path, "SELECT count(*) AS n FROM replies")[0]["n"] == 0
    link.set_mode("pass")
    report = client.sync()
    assert report.duplicate == RECORDS and report.stored == 0 and report.replies_added == 1
    assert report.reconcile["agree"]
    assert_all_sent_once(central, db_path, RECORDS + 1)
    assert query(db_path, "SELECT count(*) AS n FROM replies")[0]["n"] == 1
    client.db.close()


def test_a_new_laptop_with_an_old_server(hub, central, data_dir, db_path):
    """Against 1.0 the hub sends records with gzip, finds no extras in the answer, and
    fetches forms, replies and the digest with GETs, as 1.0 did."""
    old = AsVersion10(central.app.wsgi_app)
    central.app.wsgi_app = old
    fill(hub)
    db = connect(hub.app.config["DATABASE"])
    client = SyncClient(db, enroll(db, data_dir, central.url, central.enrollment_code()))
    assert client.server_protocol == "1.0" and not client.modern
    report = client.sync()
    assert report.stored == RECORDS and report.reconcile["agree"]
    assert_all_sent_once(central, db_path, RECORDS)
    # The server is upgraded: the next answer says 1.1, and the hub writes 1.1 from then on.
    old.on = False
    fill(hub, 1)
    assert client.sync().stored == 1 and client.modern
    # ...and back to 1.0: the zstd batch is refused unread, and sent again as 1.0.
    old.on = True
    fill(hub, 1)
    report = client.sync()
    assert report.stored == 1 and report.reconcile["agree"] and not client.modern
    assert_all_sent_once(central, db_path, RECORDS + 2)
    db.close()


def test_an_old_laptop_with_a_new_server(central):
    """What a 1.0 collector sends, byte for byte in form: gzip records, no query, then GETs;
    the answers carry what 1.0 read, and nothing it would trip on."""
    headers = {protocol.VERSION_HEADER: "1.0"}
    device = requests.post(
        central.url + "/api/v1/enroll",
        headers=headers,
        json={
            "protocol": "1.0",
            "code": central.enrollment_code(),
            "enrollment_id": str(uuid.uuid4()),
        },
        timeout=10,
    ).json()
    token = device["device_token"]
    sent = [record(), record()]
    answer = push(central, token, batch(*sent, protocol="1.0"), headers=headers)
    assert answer.status_code == 200
    assert set(answer.json()) == {"protocol", "batch_id", "results"}
    assert [r["status"] for r in answer.json()["results"]] == ["stored", "stored"]
    auth = dict(headers, Authorization=f"Bearer {token}")
    forms = requests.get(central.url + "/api/v1/forms", headers=auth, timeout=10)
    assert forms.status_code == 200 and "forms" in forms.json()
    replies = requests.get(central.url + "/api/v1/replies?after=0", headers=auth, timeout=10)
    assert replies.json()["replies"] == [] and replies.json()["after"] == 0
    digest = requests.get(central.url + "/api/v1/reconcile", headers=auth, timeout=10).json()
    assert (digest["count"], digest["digest"]) == protocol.record_set_digest(
        (r["uuid"], 1) for r in sent
    )


# -- columns and zstd: safe to parse ---------------------------------------------------------


@pytest.fixture
def device(central):
    answer = requests.post(
        central.url + "/api/v1/enroll",
        headers=HEADERS,
        json={
            "protocol": protocol.PROTOCOL_VERSION,
            "code": central.enrollment_code(),
            "enrollment_id": str(uuid.uuid4()),
        },
        timeout=10,
    )
    return answer.json()


def push_columns(central, token, message, raw=None, params=None):
    data = raw if raw is not None else protocol.compress_zstd(protocol.dumps(message))
    return requests.post(
        central.url + "/api/v1/records",
        data=data,
        params=params,
        headers=dict(HEADERS, Authorization=f"Bearer {token}", **{"Content-Encoding": "zstd"}),
        timeout=30,
    )


def stored(central) -> int:
    return query(central.database, "SELECT count(*) AS n FROM records")[0]["n"]


def test_columns_are_stored_as_the_same_records(central, device):
    sent = [record(), record(enumerator="p_1"), record(answers={"feedback_type": "thanks"})]
    answer = push_columns(
        central,
        device["device_token"],
        protocol.columns_of(batch(*sent)),
        params={"want": "reconcile"},
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["statuses"] == "sss" and answer.json()["results"] == []
    assert answer.json()["reconcile"]["count"] == 3
    rows = query(central.database, "SELECT uuid, answers FROM records")
    assert {r["uuid"]: json.loads(r["answers"]) for r in rows} == {
        r["uuid"]: r["answers"] for r in sent
    }


def test_the_answer_to_columns_is_a_letter_per_record(central, device):
    """Rejected records are listed with why; the others are one letter each, in order."""
    good, unknown = record(), record(form_id="no_such_form")
    answer = push_columns(
        central, device["device_token"], protocol.columns_of(batch(good, unknown))
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["statuses"] == "sr"
    [why] = body["results"]
    assert (why["uuid"], why["code"]) == (unknown["uuid"], "unknown_form")
    again = push_columns(central, device["device_token"], protocol.columns_of(batch(good)))
    assert again.json()["statuses"] == "d"
    pairs = [(good["uuid"], 1), (unknown["uuid"], 1)]
    assert [r["status"] for r in protocol.expand_results(body, pairs)] == ["stored", "rejected"]
    with pytest.raises(protocol.ProtocolError):
        protocol.expand_results(body, pairs[:1])  # an answer for another batch


def columns_with(change):
    message = protocol.columns_of(batch(record(), record()))
    change(message)
    return message


@pytest.mark.parametrize(
    "change,status,code",
    [
        (lambda m: m["columns"]["locale"]["codes"].__setitem__(0, 7), 400, "invalid_message"),
        (lambda m: m["columns"]["locale"]["codes"].pop(), 400, "invalid_message"),
        (lambda m: m.__setitem__("count", 3), 400, "invalid_message"),
        (lambda m: m.__setitem__("count", 501), 400, "invalid_message"),
        (lambda m: m["columns"].pop("form_id"), 400, "invalid_message"),
        (lambda m: m.__setitem__("records", []), 400, "invalid_message"),
        (
            lambda m: m["columns"]["answers"]["message"].__setitem__("codes", ["0", 0]),
            400,
            "invalid_message",
        ),
    ],
)
def test_bad_columns_store_nothing(central, device, change, status, code):
    from test_sync_api import assert_error

    assert_error(push_columns(central, device["device_token"], columns_with(change)), status, code)
    assert stored(central) == 0


def test_a_small_batch_that_stands_for_a_huge_one_is_refused(central, device):
    from test_sync_api import assert_error

    many = [record() for _ in range(500)]
    for item in many:
        item["answers"]["message"] = "x" * 200_000  # one value, 500 codes: 100 MB written out
    message = protocol.columns_of(batch(*many))
    assert_error(push_columns(central, device["device_token"], message), 413, "too_large")
    assert stored(central) == 0


def test_zstd_bombs_and_broken_frames_are_refused(central, device):
    from test_sync_api import assert_error

    token = device["device_token"]
    bomb = protocol.compress_zstd(b" " * (protocol.MAX_DECOMPRESSED_BYTES + 10))
    assert_error(push_columns(central, token, None, raw=bomb), 413, "too_large")
    whole = protocol.compress_zstd(protocol.dumps(batch(record())))
    assert_error(push_columns(central, token, None, raw=whole[:-5]), 400, "bad_encoding")
    assert_error(push_columns(central, token, None, raw=b"not zstd at all"), 400, "bad_encoding")
    answer = push(
        central, token, batch(record()), headers={"Content-Encoding": "br"}, gzipped=False
    )
    assert_error(answer, 415, "bad_encoding")
    assert stored(central) == 0


def test_bad_wants_store_nothing(central, device):
    from test_sync_api import assert_error

    token = device["device_token"]
    for params in (
        {"want": "everything"},
        {"want": "replies", "replies_after": "-1"},
        {"want": "forms", "forms_etag": "x" * 101},
    ):
        answer = push_columns(central, token, protocol.columns_of(batch(record())), params=params)
        assert_error(answer, 400, "invalid_message")
    assert stored(central) == 0
