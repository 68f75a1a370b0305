"""The central server on PostgreSQL: several processes storing the same batches at the same
moment, moving a SQLite server's data over, backups with pg_dump and pg_restore.

Every test that takes `central` already runs on both engines (conftest.server_database);
these are what only a server with several processes, or a PostgreSQL, can show.
"""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner

from collector import protocol
from support import Browser, Central, query, serve_on_free_port
from sync_server.cli import cli as server_cli
from sync_server.store import Store

HEADERS = {protocol.VERSION_HEADER: protocol.PROTOCOL_VERSION}
PROCESSES = 8


def record(record_uuid: str | None = None, revision: int = 1, topic: str = "health") -> dict:
    return {
        "uuid": record_uuid or str(uuid.uuid4()),
        "revision": revision,
        "form_id": "community_feedback",
        "form_version": "1",
        "locale": "en",
        "collected": "2026-11-20",
        "enumerator": None,
        "answers": {
            "feedback_type": "question",
            "topic": topic,
            "message": "When?",
            "wants_reply": "no",
        },
    }


def batch(records: list[dict]) -> dict:
    return protocol.batch_message(str(uuid.uuid4()), records, 0, "test")


def push(url: str, token: str, message: dict) -> requests.Response:
    return requests.post(
        url + "/api/v1/records",
        data=gzip.compress(protocol.dumps(message)),
        headers=dict(
            HEADERS,
            Authorization=f"Bearer {token}",
            **{"Content-Type": "application/json", "Content-Encoding": "gzip"},
        ),
        timeout=60,
    )


def enroll(url: str, code: str) -> str:
    answer = requests.post(
        url + "/api/v1/enroll",
        headers=HEADERS,
        json={"protocol": "1.0", "code": code, "enrollment_id": str(uuid.uuid4())},
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["device_token"]


@pytest.fixture
def server_processes(tmp_path, postgresql_url):
    """Eight `sync-server serve` processes on one data dir and one PostgreSQL database."""
    data_dir = tmp_path / "central-data"
    setup = Central(data_dir, postgresql_url)  # the schema, and a device to push with
    token = enroll(setup.url, setup.enrollment_code())
    setup.stop()
    env = dict(os.environ, SYNC_SERVER_DATA_DIR=str(data_dir))
    servers: list[subprocess.Popen] = []
    urls: list[str] = []
    try:
        for n in range(PROCESSES):
            server, url = serve_on_free_port(
                serve_command, "/api/v1/health", tmp_path / f"server-{n}.log", env=env
            )
            urls.append(url)
            servers.append(server)
        yield urls, token, postgresql_url
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(timeout=30)


def serve_command(port: int) -> list[str]:
    host = ["--host", "127.0.0.1", "--port", str(port)]
    return [sys.executable, "-m", "sync_server", "serve", *host, "--threads", "4"]


def all_at_once(urls: list[str], token: str, messages: list[dict]) -> list[requests.Response]:
    """Each message to its own server process, all released at the same moment."""
    start = threading.Barrier(len(messages))
    answers: list = [None] * len(messages)

    def send(i: int) -> None:
        start.wait()
        answers[i] = push(urls[i % len(urls)], token, messages[i])

    threads = [threading.Thread(target=send, args=(i,)) for i in range(len(messages))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def test_eight_processes_store_every_record_once(server_processes):
    urls, token, database = server_processes
    originals = [record() for _ in range(40)]
    # Later revisions of half of them, and a batch resent under a new id (a hub that timed
    # out and sent its records again), all arriving at once with the first batch.
    revised = [record(r["uuid"], 2, "water") for r in originals[:20]]
    first = batch(originals)
    rounds = [
        [first] * PROCESSES,  # the same batch at eight processes at the same moment
        [batch(revised)] * (PROCESSES // 2) + [batch(originals)] * (PROCESSES // 2),
    ]
    for messages in rounds:
        answers = all_at_once(urls, token, messages)
        by_batch: dict[str, list] = {}
        for message, answer in zip(messages, answers, strict=True):
            by_batch.setdefault(message["batch_id"], []).append(answer)
        for replies in by_batch.values():
            codes = sorted(reply.status_code for reply in replies)
            # One process stores the batch; each other one says it was already received.
            assert codes == [200] + [409] * (len(replies) - 1), [r.text for r in replies]
            assert all(
                r.json()["error"]["code"] == "replayed_batch"
                for r in replies
                if r.status_code == 409
            )
    rows = query(database, "SELECT uuid, revision, is_latest FROM records")
    assert len(rows) == len({(r["uuid"], r["revision"]) for r in rows}) == 60
    latest = {r["uuid"]: r["revision"] for r in rows if r["is_latest"]}
    assert len(latest) == 40 and sum(1 for r in rows if r["is_latest"]) == 40
    newest = {}
    for row in rows:
        newest[row["uuid"]] = max(newest.get(row["uuid"], 0), row["revision"])
    assert latest == newest  # the newest revision is the latest, whatever arrived first
    # The indicators' facts follow the latest revisions exactly once each.
    facts = query(database, "SELECT topic, count(*) AS n FROM facts GROUP BY topic")
    assert {f["topic"]: f["n"] for f in facts} == {"water": 20, "health": 20}
    [cube] = query(database, "SELECT sum(n) AS n FROM facts_cube")
    assert cube["n"] == 40
    batches = query(database, "SELECT batch_id FROM batches")
    assert len(batches) == len({b["batch_id"] for b in batches}) == 3


def _server_with_records(tmp_path, database=None) -> tuple[Central, list[str]]:
    central = Central(tmp_path / "central-data", database)
    token = enroll(central.url, central.enrollment_code("laptop 1"))
    other = enroll(central.url, central.enrollment_code("laptop 2"))
    uuids = []
    for device_token, count in ((token, 30), (other, 12)):
        records = [record(topic=("water", "health", "roads")[i % 3]) for i in range(count)]
        assert push(central.url, device_token, batch(records)).status_code == 200
        uuids += [r["uuid"] for r in records]
    revised = record(uuids[0], 2, "roads")
    assert push(central.url, token, batch([revised])).status_code == 200
    return central, uuids


def test_a_sqlite_server_moves_to_postgresql_and_goes_on(tmp_path, postgresql_url):
    central, uuids = _server_with_records(tmp_path)
    data_dir = Path(central.app.config["DATA_DIR"])
    runner = CliRunner()
    added = runner.invoke(
        server_cli,
        ["user", "add", "amina", "--role", "admin", "--data-dir", str(data_dir)],
        input="correct horse battery 9\n" * 2,
    )
    assert added.exit_code == 0, added.output
    central.stop()
    before = Store(central.database)
    counts = {
        t: before.db.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
        for t in ("records", "audit", "facts", "users", "devices", "security_events")
    }
    before.close()

    moved = runner.invoke(
        server_cli, ["migrate-db", "--data-dir", str(data_dir), "--to", postgresql_url]
    )
    assert moved.exit_code == 0, moved.output
    assert "Moved and checked" in moved.output and "each of 2 devices" in moved.output
    after = Store(postgresql_url)
    assert {
        t: after.db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in counts
    } == counts
    after.close()
    # The planner knows the moved tables at once, before autovacuum comes round.
    analyzed = query(
        postgresql_url,
        "SELECT relname FROM pg_stat_user_tables WHERE last_analyze IS NOT NULL"
        " AND relname IN ('records', 'answer_keys', 'facts')",
    )
    assert {row["relname"] for row in analyzed} == {"records", "answer_keys", "facts"}
    # Moving again into the now full database is refused, and changes nothing.
    again = runner.invoke(
        server_cli, ["migrate-db", "--data-dir", str(data_dir), "--to", postgresql_url]
    )
    assert again.exit_code == 1 and "already holds data" in again.output
    assert query(postgresql_url, "SELECT count(*) AS n FROM records")[0]["n"] == counts["records"]

    # The server goes on from the moved data: same records, sign-in, new ids continue.
    (data_dir / "settings.toml").write_text(f'database = "{postgresql_url}"\n')
    server = Central(data_dir)
    try:
        person = Browser(server.url, "en")
        person.get("/signin")
        signed = person.post("/signin", {"name": "amina", "password": "correct horse battery 9"})
        assert signed.status_code == 200 and "Sign out" in signed.text, signed.text[:300]
        page = person.get("/data/community_feedback")
        assert page.status_code == 200 and f"{len(uuids)} records" in page.text
        more = runner.invoke(
            server_cli,
            ["user", "add", "baraka", "--role", "analyst", "--data-dir", str(data_dir)],
            input="another good passphrase 7\n" * 2,
        )
        assert more.exit_code == 0, more.output
    finally:
        server.stop()
    ids = [row["id"] for row in query(postgresql_url, "SELECT id FROM users ORDER BY id")]
    assert len(ids) == len(set(ids)) == 2


def test_a_move_into_an_unknown_kind_of_database_is_refused(tmp_path):
    runner = CliRunner()
    answer = runner.invoke(
        server_cli,
        ["migrate-db", "--data-dir", str(tmp_path / "d"), "--to", "mysql://somewhere/db"],
    )
    assert answer.exit_code == 1 and "not supported" in answer.output


def test_a_backup_with_pg_dump_restores_every_record(tmp_path, postgresql_cluster, postgresql_url):
    central, uuids = _server_with_records(tmp_path, postgresql_url)
    central.stop()
    dump = tmp_path / "central.dump"
    postgresql_cluster.run("pg_dump", "-Fc", "-f", str(dump), "-d", postgresql_url)
    restored_name = postgresql_cluster.create_database()
    try:
        restored = postgresql_cluster.url(restored_name)
        postgresql_cluster.run("pg_restore", "--no-owner", "-d", restored, str(dump))
        source, copy = Store(postgresql_url), Store(restored)
        try:
            from sync_server.migrate import TABLES, verify

            counts = {
                t: source.db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES
            }
            assert counts["records"] == len(uuids) + 1
            assert verify(source, copy, counts) == 2
        finally:
            source.close()
            copy.close()
        # A server started on the restored database serves the same records.
        server = Central(tmp_path / "restored-data", restored)
        try:
            assert query(restored, "SELECT count(*) AS n FROM records WHERE is_latest = 1")[0][
                "n"
            ] == len(uuids)
        finally:
            server.stop()
    finally:
        postgresql_cluster.drop_database(restored_name)


def test_an_unreachable_database_is_a_clear_error(tmp_path):
    runner = CliRunner()
    answer = runner.invoke(
        server_cli,
        [
            "user",
            "list",
            "--data-dir",
            str(tmp_path / "d"),
            "--database",
            f"postgresql://nobody@/nothing?host={tmp_path}/no-such-socket",
        ],
    )
    assert answer.exit_code == 1
    assert "Cannot connect to the database" in answer.output
    assert "Traceback" not in answer.output
