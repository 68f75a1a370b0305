"""A fault-injecting proxy between collector and server: after the link heals, every
record is on the server exactly once, whatever the network did in between."""

from __future__ import annotations

import pytest

from collector.db import connect
from collector.sync_client import SyncClient, SyncError, enroll
from faultproxy import FaultProxy
from filling import SURVEY_ANSWERS, fill_form
from support import query

# About broken links between hub and server, not the server's storage: SQLite only
# (tests/conftest.py runs the others on PostgreSQL too).
SERVER_ENGINES = ("sqlite",)

RECORDS = 6


@pytest.fixture
def link(central):
    proxy = FaultProxy(upstream=("127.0.0.1", int(central.url.rsplit(":", 1)[1])))
    proxy.start()
    yield proxy
    proxy.stop()


@pytest.fixture
def client(hub, central, link, data_dir):
    """A hub with queued records, enrolled with the server through the proxy."""
    phone = hub.browser("en")
    phone.signin()
    for _ in range(RECORDS):
        fill_form(phone, "community_survey", SURVEY_ANSWERS)
    db = connect(hub.app.config["DATABASE"])
    credentials = enroll(db, data_dir, link.url, central.enrollment_code())
    sync_client = SyncClient(db, credentials, timeout=(2, 3))
    sync_client.batch_bytes = 2000  # several small batches, so faults land between them
    yield sync_client
    db.close()


def assert_exactly_once(central, hub_db):
    stored = query(central.database, "SELECT uuid, revision FROM records")
    local = query(hub_db, "SELECT uuid, revision FROM revisions")
    assert sorted((r["uuid"], r["revision"]) for r in stored) == sorted(
        (r["uuid"], r["revision"]) for r in local
    )
    audit = query(
        central.database, "SELECT count(*) AS n FROM audit WHERE action = 'record_stored'"
    )
    assert audit[0]["n"] == RECORDS  # each stored once, never twice
    assert query(hub_db, "SELECT count(*) AS n FROM outbox WHERE state = 'sent'")[0]["n"] == RECORDS
    assert {r["status"] for r in query(hub_db, "SELECT status FROM records")} == {"synced"}


def heal_and_sync(link, client):
    link.set_mode("pass")
    report = client.sync()
    assert report.reconcile["agree"]
    return report


def test_connection_refused(client, central, link, db_path):
    link.set_mode("refuse")
    with pytest.raises(SyncError) as caught:
        client.sync()
    assert caught.value.code == "unreachable"
    queued = query(db_path, "SELECT count(*) AS n FROM outbox WHERE state = 'queued'")
    assert queued[0]["n"] == RECORDS
    heal_and_sync(link, client)
    assert_exactly_once(central, db_path)


def test_lost_answer_server_committed_but_the_answer_never_arrived(client, central, link, db_path):
    """The named case: the server stored the batch, the laptop never heard."""
    client.prove_server()  # the identity challenge goes first, over a sound link
    client.session.close()  # the push then opens a connection, which the fault applies to
    link.set_mode("reset_after_request")
    with pytest.raises(SyncError):
        client.sync()
    on_server = query(central.database, "SELECT count(*) AS n FROM records")[0]["n"]
    assert on_server > 0  # committed on the server...
    still_queued = query(db_path, "SELECT count(*) AS n FROM outbox WHERE state = 'queued'")
    assert still_queued[0]["n"] == RECORDS  # ...yet nothing assumed delivered here
    report = heal_and_sync(link, client)
    assert report.duplicate == on_server and report.stored == RECORDS - on_server
    assert_exactly_once(central, db_path)


@pytest.mark.parametrize(
    "mode,options",
    [
        ("reset_mid_response", {"after_bytes": 60}),
        ("stall", {"seconds": 6}),
    ],
)
def test_broken_answers(client, central, link, db_path, mode, options):
    link.set_mode(mode, **options)
    with pytest.raises(SyncError):
        client.sync()
    heal_and_sync(link, client)
    assert_exactly_once(central, db_path)


@pytest.mark.parametrize("how", ["reset_after_request", "reset_mid_response"])
def test_one_failed_connection_then_the_link_heals(client, central, link, db_path, how):
    """Only the next connection fails: the sync that meets it fails, the next one delivers."""
    link.set_mode("fail_next", count=1, then="pass", how=how)
    with pytest.raises(SyncError):
        client.sync()
    report = client.sync()
    assert report.reconcile["agree"]
    assert_exactly_once(central, db_path)


def test_slow_link_gets_small_batches(client, central, link, db_path):
    link.set_mode("throttle", bytes_per_second=20_000, latency=0.2)
    client.batch_bytes = 32 * 1024
    report = client.sync()
    assert report.stored == RECORDS
    assert client.batch_bytes >= 32 * 1024  # quick answers: batches grew
    assert_exactly_once(central, db_path)
