"""A training room at once: many phones connecting and finalizing together against one hub,
each record committed once, none refused at the door (benchmarks/crowd_bench.py measures it)."""

from __future__ import annotations

import signal
import sqlite3
import sys
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import requests

from collector import db as db_module
from collector.db import connect, open_database, write_together, write_transaction
from collector.serving import LISTEN_BACKLOG
from collector.users import add_user
from filling import SURVEY_ANSWERS, whole_data
from support import CSRF_PATTERN, query, serve_on_free_port

PHONES = 12
KILLED_PHONES = 6  # each signs in first: PIN checks are slow on purpose


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
    return signed_in_at(hub.url, name)


def signed_in_at(url: str, name: str) -> requests.Session:
    session = requests.Session()
    page = session.get(url + "/signin", timeout=30).text
    answer = session.post(
        url + "/signin",
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


# --- group commit (collector.db.write_together) ---------------------------------------


def table_of_numbers(tmp_path):
    path = tmp_path / "group.db"
    setup = connect(path)
    setup.execute("CREATE TABLE t (n INTEGER PRIMARY KEY, thread INTEGER NOT NULL)")
    setup.close()
    return path


def queued_behind_a_writer(path, works):
    """Run each work through write_together from its own thread while another writer holds
    the file's lock, so all of them are waiting when it lets go; return (result or
    exception) per work, in order."""
    holder = connect(path)
    results = [None] * len(works)

    def run(index):
        db = connect(path)
        try:
            results[index] = write_together(db, works[index])
        except Exception as error:  # noqa: BLE001  (the test looks at which failed)
            results[index] = error
        finally:
            db.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(works))]
    with holder.write_lock:
        for thread in threads:
            thread.start()
        while sum(len(jobs) for jobs in db_module._PENDING.values()) < len(works):
            threading.Event().wait(0.005)
    for thread in threads:
        thread.join(timeout=30)
    holder.close()
    return results


def insert(n):
    def work(db):
        db.execute("INSERT INTO t (n, thread) VALUES (?, ?)", [n, threading.get_ident()])
        return n

    return work


def test_writers_waiting_together_share_one_transaction_and_each_gets_its_own_answer(tmp_path):
    path = table_of_numbers(tmp_path)
    results = queued_behind_a_writer(path, [insert(n) for n in range(12)])
    assert results == list(range(12))
    rows = query(path, "SELECT n, thread FROM t ORDER BY n")
    assert [r["n"] for r in rows] == list(range(12))
    # One thread ran every waiting piece of work: in its one transaction, one commit.
    assert len({r["thread"] for r in rows}) == 1


def test_a_failing_piece_of_work_fails_alone_and_the_others_commit(tmp_path):
    path = table_of_numbers(tmp_path)
    taken = connect(path)
    taken.execute("INSERT INTO t (n, thread) VALUES (99, 0)")  # there before any piece runs
    taken.close()

    def half_then_fail(db):
        db.execute("INSERT INTO t (n, thread) VALUES (100, 0)")  # undone with its savepoint
        db.execute("INSERT INTO t (n, thread) VALUES (99, 0)")  # 99 is taken: IntegrityError
        return "never"

    works = [insert(n) for n in range(6)]
    works[4] = half_then_fail
    results = queued_behind_a_writer(path, works)
    assert isinstance(results[4], sqlite3.IntegrityError)
    assert results[:4] + results[5:] == [0, 1, 2, 3, 5]
    assert [r["n"] for r in query(path, "SELECT n FROM t ORDER BY n")] == [0, 1, 2, 3, 5, 99]


def test_when_the_commit_fails_no_piece_is_acknowledged_or_kept(tmp_path):
    """A deferred foreign key is checked at COMMIT: that commit fails for the whole group."""
    path = tmp_path / "group.db"
    setup = connect(path)
    setup.execute("CREATE TABLE parent (id INTEGER PRIMARY KEY)")
    setup.execute(
        "CREATE TABLE child (n INTEGER PRIMARY KEY, parent INTEGER"
        " REFERENCES parent(id) DEFERRABLE INITIALLY DEFERRED)"
    )
    setup.close()

    def child(n, parent):
        def work(db):
            db.execute("INSERT INTO child (n, parent) VALUES (?, ?)", [n, parent])
            return n

        return work

    results = queued_behind_a_writer(path, [child(1, None), child(2, 99), child(3, None)])
    assert all(isinstance(r, sqlite3.IntegrityError) for r in results), results
    assert query(path, "SELECT count(*) AS n FROM child")[0]["n"] == 0
    # The file's writers go on: the next one commits.
    db = connect(path)
    assert write_together(db, child(4, None)) == 4
    db.close()


def deliver(session, url, record_uuid, enumerator=None):
    token = session.get(url + "/csrf-token", timeout=30).json()["csrf_token"]
    data = whole_data("community_survey", record_uuid, SURVEY_ANSWERS) + [("csrf_token", token)]
    if enumerator is not None:
        data.append(("_enumerator", str(enumerator)))
    return session.post(
        url + "/forms/community_survey/submit",
        timeout=60,
        data=data,
        headers={"X-Hub-Outbox": "1"},
    )


def test_a_refused_record_among_phones_finalizing_together_is_refused_alone(hub, db_path):
    """A UUID that another enumerator's record has is a conflict inside the shared commit:
    that delivery is refused, every other one is stored."""
    db = connect(db_path)
    for number in range(PHONES):
        add_user(db, f"phone{number}", "4821")
    db.close()
    phones = [signed_in(hub, f"phone{number}") for number in range(PHONES)]
    taken = str(uuid.uuid4())
    assert deliver(phones[0], hub.url, taken).json()["status"] == "finalized"
    start = threading.Barrier(PHONES)

    def one(index):
        start.wait(timeout=30)
        record_uuid = taken if index == 1 else str(uuid.uuid4())
        return record_uuid, deliver(phones[index], hub.url, record_uuid).status_code

    with ThreadPoolExecutor(PHONES) as pool:
        answers = list(pool.map(one, range(PHONES)))
    assert [code for _, code in answers] == [200] + [409] + [200] * (PHONES - 2)
    stored = query(db_path, "SELECT uuid, enumerator_id FROM records ORDER BY uuid")
    assert sorted(r["uuid"] for r in stored) == sorted({taken} | {u for u, _ in answers})
    assert query(db_path, "SELECT count(*) AS n FROM outbox")[0]["n"] == PHONES


def test_every_acknowledged_record_survives_the_hub_being_killed(tmp_path):
    """`collector serve` in its own process, killed (SIGKILL, no shutdown) the moment the
    last phone has its answer: every record it acknowledged is in the database."""
    data_dir = tmp_path / "hub"
    data_dir.mkdir()
    (data_dir / "settings.toml").write_text('signin_rate_limit = "1000 per minute"\n')
    db = open_database(data_dir / "collector.db")
    for number in range(KILLED_PHONES):
        add_user(db, f"phone{number}", "4821")
    db.close()
    process, url = serve_on_free_port(
        lambda port: (
            [sys.executable, "-m", "collector", "serve", "--host", "127.0.0.1"]
            + ["--port", str(port), "--data-dir", str(data_dir)]
        ),
        "/healthz",
        tmp_path / "hub.log",
    )
    try:
        phones = [signed_in_at(url, f"phone{number}") for number in range(KILLED_PHONES)]

        def three(session):
            sent = [str(uuid.uuid4()) for _ in range(3)]
            for record_uuid in sent:
                assert deliver(session, url, record_uuid).json()["status"] == "finalized"
            return sent

        with ThreadPoolExecutor(KILLED_PHONES) as pool:
            acknowledged = {u for sent in pool.map(three, phones) for u in sent}
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
    stored = query(data_dir / "collector.db", "SELECT uuid FROM records WHERE status = 'finalized'")
    assert sorted(r["uuid"] for r in stored) == sorted(acknowledged)
    assert len(acknowledged) == 3 * KILLED_PHONES
