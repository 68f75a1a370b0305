"""A training room at once: many phones connecting and finalizing together against one hub,
each record committed once, none refused at the door (benchmarks/crowd_bench.py measures it)."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import requests

from collector.db import connect, write_transaction
from collector.serving import LISTEN_BACKLOG
from collector.users import add_user
from conftest import CSRF_PATTERN, query
from filling import SURVEY_ANSWERS, whole_data

PHONES = 12


def test_many_phones_connecting_at_once_are_all_answered(hub):
    """More simultaneous connections than cheroot's own backlog of 5 (which reset some)."""
    assert hub.server.request_queue_size == LISTEN_BACKLOG >= 100
    start = threading.Barrier(60)

    def one(_):
        start.wait(timeout=30)
        return requests.get(hub.url + "/csrf-token", timeout=30).status_code

    with ThreadPoolExecutor(60) as pool:
        assert list(pool.map(one, range(60))) == [200] * 60


def signed_in(hub, name: str) -> requests.Session:
    session = requests.Session()
    page = session.get(hub.url + "/signin", timeout=30).text
    answer = session.post(
        hub.url + "/signin",
        timeout=30,
        data={"name": name, "pin": "4821", "csrf_token": CSRF_PATTERN.search(page)[1]},
    )
    assert answer.ok and "/signin" not in answer.url
    return session


def test_phones_finalizing_together_store_every_record_once(hub, db_path):
    db = connect(db_path)
    for number in range(PHONES):
        add_user(db, f"phone{number}", "4821")
    db.close()
    phones = [signed_in(hub, f"phone{number}") for number in range(PHONES)]
    start = threading.Barrier(PHONES)

    def deliver(session):
        start.wait(timeout=30)
        sent = []
        for _ in range(3):
            record_uuid = str(uuid.uuid4())
            token = session.get(hub.url + "/csrf-token", timeout=30).json()["csrf_token"]
            answer = session.post(
                hub.url + "/forms/community_survey/submit",
                timeout=60,
                data=whole_data("community_survey", record_uuid, SURVEY_ANSWERS)
                + [("csrf_token", token)],
                headers={"X-Hub-Outbox": "1"},
            )
            assert answer.status_code == 200 and answer.json()["status"] == "finalized"
            sent.append(record_uuid)
        return sent

    with ThreadPoolExecutor(PHONES) as pool:
        sent = {u for batch in pool.map(deliver, phones) for u in batch}
    stored = query(db_path, "SELECT uuid FROM records WHERE status = 'finalized'")
    assert {r["uuid"] for r in stored} == sent and len(sent) == 3 * PHONES
    assert query(db_path, "SELECT count(*) AS n FROM outbox")[0]["n"] == 3 * PHONES


def test_writers_in_one_process_queue_and_all_commit(tmp_path):
    """Threads writing through their own connections wait their turn on the file's lock;
    none gives up with 'database is locked'."""
    path = tmp_path / "hub.db"
    setup = connect(path)
    setup.execute("CREATE TABLE t (n INTEGER PRIMARY KEY)")
    setup.close()

    def write(first):
        db = connect(path)
        try:
            for n in range(first, first + 10):
                with write_transaction(db):
                    db.execute("INSERT INTO t (n) VALUES (?)", [n])
        finally:
            db.close()

    with ThreadPoolExecutor(16) as pool:
        list(pool.map(write, range(0, 160, 10)))
    assert query(path, "SELECT count(*) AS n FROM t")[0]["n"] == 160
