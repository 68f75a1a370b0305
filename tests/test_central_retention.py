"""Retention on the central server: records removed for good, by a form's period or by
hand, with their files and their part of every derived table, and never brought back by
a laptop that sends them again.

A real server on loopback (SQLite and PostgreSQL) filled through its own ingest with a
synthetic survey round (sync_server.demo_data, received from March to May 2025), the
`sync-server` commands run as an admin runs them, and a real hub syncing through HTTP."""

from __future__ import annotations

import functools
import hashlib
import json
import os
import uuid
from datetime import date, timedelta
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner

from collector import protocol
from collector.db import open_database, write_transaction
from collector.forms import load_form
from collector.passwords import hash_secret
from collector.records import finalize_whole
from collector.sync_client import SyncClient, enroll
from collector.users import add_user
from support import Browser, import_forms, query
from sync_server import api_tokens
from sync_server.cli import cli
from sync_server.data import newest_form
from sync_server.demo_data import generate, load
from sync_server.designs import parse_design, save_design
from sync_server.forms import publish
from sync_server.indicators import rebuild_facts
from sync_server.ingest import ingest_batch
from sync_server.store import Store

SURVEY, REPORT = "community_survey", "discrimination_report"
PASSWORD = "a long enough passphrase"
DERIVED = {  # the indicators' tables, each row's key first
    "facts": "form_id, uuid",
    "facts_cube": "form_id, month, area, gender, age_band, migration_status, disability",
    "survey_units": "form_id, uuid",
    "design_cube": "form_id, dim, cell, grp, stratum, psu",
}


# -- set-up ------------------------------------------------------------------------------------


@functools.cache
def population():
    """The round (the same every time: made once, its making costs more than its loading)."""
    return generate(n_surveys=60, n_reports=10, devices=2, seed=7)


@pytest.fixture
def round_(central):
    """The central server holding a small survey round from two laptops, with a survey
    design (clusters: the laptop) so that design sums are kept too."""
    load(population(), central.app.config["DATA_DIR"], central.database)
    store = Store(central.database)
    try:
        form = newest_form(SURVEY, store)
        save_design(store.db, SURVEY, parse_design(form, cluster="_device"), "tests")
    finally:
        store.close()
    return central


def run(central, *args, input=None):
    """`sync-server ARGS` on the central server's data dir and database."""
    database = ["--database", str(central.database)]
    return CliRunner().invoke(
        cli,
        [*args, "--data-dir", str(central.app.config["DATA_DIR"]), *database],
        input=input,
        catch_exceptions=False,
    )


def rows(database, table: str) -> list[tuple]:
    """A table's rows in key order, numbers rounded (sums taken away and added back
    differ from a fresh sum in the last bits)."""

    def plain(value):
        return round(value, 6) if isinstance(value, float) else value

    return [
        tuple(plain(v) for v in row.values())
        for row in query(database, f"SELECT * FROM {table} ORDER BY {DERIVED[table]}")
    ]


def derived(database) -> dict[str, list]:
    return {table: rows(database, table) for table in DERIVED}


def recomputed(database) -> dict[str, list]:
    """The derived tables as a fresh computation over the records now stored gives them."""
    store = Store(database)
    try:
        with store.transaction():
            rebuild_facts(store.db)
    finally:
        store.close()
    return derived(database)


def uuids_of(database, form_id: str, where: str = "1 = 1", params=()) -> set[str]:
    return {
        row["uuid"]
        for row in query(
            database, f"SELECT uuid FROM records WHERE form_id = ? AND {where}", [form_id, *params]
        )
    }


def nothing_changed(database, before: dict) -> None:
    assert derived(database) == before["derived"]
    assert query(database, "SELECT count(*) AS n FROM records")[0]["n"] == before["records"]
    assert query(database, "SELECT count(*) AS n FROM record_tombstones")[0]["n"] == 0


def state(database) -> dict:
    return {
        "derived": derived(database),
        "records": query(database, "SELECT count(*) AS n FROM records")[0]["n"],
    }


def refusals_change_nothing(round_, before: dict) -> None:
    """Bad input to the commands is refused with a clear message, and changes nothing."""
    database = round_.database
    some, unknown = sorted(uuids_of(database, SURVEY))[0], str(uuid.uuid4())
    delete = "records delete --yes"
    refusals = {
        f"{delete} --form no_such_form --received-before 2025-04-01": "no form 'no_such_form'",
        f"{delete} --form {SURVEY} --received-before 1/4/2025": "is not a date",
        f"{delete} --form {SURVEY} --received-before 2025-02-30": "is not a date",
        f"{delete} --form {SURVEY}": "--received-before",
        f"{delete} --received-before 2025-04-01": "--received-before",
        f"{delete} --uuid {some} --form {SURVEY}": "Give either",
        f"{delete} --uuid not-a-uuid": "is not a record id",
        f"{delete} --uuid {some} --uuid {unknown}": f"No record {unknown}",
        f"forms retention {SURVEY} --days -5": "between 1 and",
        f"forms retention {SURVEY} --days 0": "between 1 and",
        "forms retention no_such_form --days 30": "no form",
        f"forms retention {SURVEY} --days 30 --off": "not both",
        "forms retention --days 30": "Name the form",
    }
    for args, message in refusals.items():
        refused = run(round_, *args.split())
        assert refused.exit_code != 0 and message in refused.output, (args, refused.output)
    nothing_changed(database, before)
    assert not query(database, "SELECT * FROM form_retention")


# -- removing by form and date, by id ------------------------------------------------------------


def test_delete_by_form_and_date_removes_the_records_and_their_indicators(round_):
    """Bad input and a dry run change nothing; then the records go, and what was
    derived from them equals a recomputation over the records that remain."""
    database = round_.database
    old = uuids_of(database, SURVEY, "received_at < ?", ["2025-04-01"])
    kept = uuids_of(database, SURVEY) - old
    reports = uuids_of(database, REPORT)
    assert old and kept
    victim = sorted(old)[0]
    store = Store(database)
    try:  # an analyst's correction of a removed record: its old and new values go too
        store.correct(victim, "comments", "fixed text", "analyst1")
    finally:
        store.close()
    before = state(database)
    refusals_change_nothing(round_, before)

    dry = run(
        round_,
        "records",
        "delete",
        "--form",
        SURVEY,
        "--received-before",
        "2025-04-01",
        "--dry-run",
    )
    assert dry.exit_code == 0, dry.output
    assert f"{SURVEY}: {len(old)} records" in dry.output and "Dry run" in dry.output
    nothing_changed(database, before)

    declined = run(
        round_,
        "records",
        "delete",
        "--form",
        SURVEY,
        "--received-before",
        "2025-04-01",
        input="n\n",
    )
    assert declined.exit_code == 1 and "Aborted" in declined.output
    nothing_changed(database, before)

    done = run(
        round_, "records", "delete", "--form", SURVEY, "--received-before", "2025-04-01", "--yes"
    )
    assert done.exit_code == 0, done.output
    assert f"Removed {len(old)} records of {SURVEY}." in done.output
    assert uuids_of(database, SURVEY) == kept and uuids_of(database, REPORT) == reports
    for table, column in (
        ("corrections", "uuid"),
        ("audit", "uuid"),
        ("facts", "uuid"),
        ("survey_units", "uuid"),
    ):
        assert not query(database, f"SELECT 1 FROM {table} WHERE {column} = ?", [victim])
    # The facts, cube, units and design sums kept as records went equal a recomputation.
    after = derived(database)
    assert after != before["derived"]
    assert after == recomputed(database)
    # Each removed revision leaves a tombstone naming no answer; the audit says how many.
    stones = query(database, "SELECT * FROM record_tombstones")
    assert {s["uuid"] for s in stones} == old
    assert set(stones[0]) == {"uuid", "revision", "device_id", "form_id", "removed_at"}
    (entry,) = query(database, "SELECT * FROM audit WHERE action = 'records_removed'")
    assert entry["actor"] == "command line"
    assert entry["detail"] == f"{len(old)} records of {SURVEY}, received before 2025-04-01"


def test_a_record_removed_by_id_leaves_every_view_and_is_not_stored_again(round_, tmp_path):
    database = round_.database
    victim = sorted(uuids_of(database, REPORT))[0]
    (row,) = query(database, "SELECT * FROM records WHERE uuid = ?", [victim])
    store = Store(database)
    try:
        store.add_user("admin1", "admin", hash_secret(PASSWORD))
        token = api_tokens.create(store.db, store.user_by_name("admin1")["id"], "tests")[1]
    finally:
        store.close()

    def api_uuids():
        answer = requests.get(
            f"{round_.url}/api/v1/data/{REPORT}?release=raw&reason=check",
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )
        assert answer.status_code == 200
        return {row["_uuid"] for row in answer.json()["records"]}

    admin = Browser(round_.url, "en")
    admin.get("/signin")
    assert admin.post("/signin", {"name": "admin1", "password": PASSWORD}).status_code == 200
    assert victim in admin.get(f"/data/{REPORT}").text
    assert victim in api_uuids()
    listing = run(round_, "records", "delete", "--uuid", victim)  # asks: answered no
    assert listing.exit_code == 1 and f"{REPORT}: 1 record, received" in listing.output
    assert victim in api_uuids()
    done = run(round_, "records", "delete", "--uuid", victim, "--yes")
    assert done.exit_code == 0 and f"Removed 1 record of {REPORT}." in done.output
    assert victim not in api_uuids() and len(api_uuids()) == 9
    assert victim not in admin.get(f"/data/{REPORT}").text
    assert admin.get(f"/data/record/{victim}").status_code == 404
    out = tmp_path / "reports.jsonl"
    exported = run(round_, "export", "--form", REPORT, "--format", "jsonl", "--output", str(out))
    assert exported.exit_code == 0, exported.output
    lines = out.read_text().splitlines()
    assert len(lines) == 9 and victim not in out.read_text()
    sent_again(database, row)


def sent_again(database, row: dict) -> None:
    """The removed record `row` pushed again by its laptop (the answer was lost), and a
    revision of it edited since: acknowledged, not stored, counted as held; another
    laptop's revision of it is refused."""
    victim = row["uuid"]
    store = Store(database)
    try:
        owner = store.device(row["device_id"])
        other = next(d for d in store.devices() if d["id"] != row["device_id"])
        before = protocol.record_set_digest(store.record_pairs(owner["id"]))
        assert (victim, 1) in store.record_pairs(owner["id"])  # held since the removal
        record = {
            key: row[key]
            for key in ("uuid", "form_id", "form_version", "locale", "collected", "enumerator")
        }
        record["answers"] = json.loads(row["answers"])
        sent = [dict(record, revision=1), dict(record, revision=2)]

        def push(device, records):
            message = protocol.batch_message(str(uuid.uuid4()), records, 0, "test")
            return ingest_batch(store, device, message, "api")[1]["results"]

        assert [r["status"] for r in push(owner, sent)] == ["duplicate", "duplicate"]
        refused = push(other, [dict(record, revision=3)])
        assert refused[0]["status"] == "rejected" and refused[0]["code"] == "not_your_record"
        assert not query(database, "SELECT 1 FROM records WHERE uuid = ?", [victim])
        assert not query(database, "SELECT 1 FROM facts WHERE uuid = ?", [victim])
        # The device's reconciliation counts both as held: the laptop sends neither again.
        pairs = store.record_pairs(owner["id"])
        assert (victim, 2) in pairs and (victim, 3) not in pairs
        assert protocol.record_set_digest(pairs) != before
        assert store.record_pairs(owner["id"], (victim, 1), 1) == [(victim, 2)]
    finally:
        store.close()


def test_the_retention_pass_removes_only_what_is_old(round_):
    database = round_.database
    # The round arrived from March to May 2025; the server's clock is later, so a period
    # reaching back to mid-April 2025 takes the older part of the surveys only.
    from collector.clock import utcnow

    days = (utcnow().date() - date(2025, 4, 15)).days
    moment = (utcnow() - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")
    old = uuids_of(database, SURVEY, "received_at < ?", [moment])
    kept = uuids_of(database, SURVEY) - old
    reports = uuids_of(database, REPORT)
    assert run(round_, "purge").output.startswith("No form has a retention period")
    assert run(round_, "forms", "retention", SURVEY, "--days", str(days)).exit_code == 0
    listed = run(round_, "forms", "retention").output
    assert f"{SURVEY}\t{days} days" in listed and f"{REPORT}\tkept until removed" in listed
    before = state(database)
    dry = run(round_, "purge", "--dry-run")
    assert f"{SURVEY} (kept {days} days): {len(old)} records to remove" in dry.output
    nothing_changed(database, before)

    done = run(round_, "purge")
    assert done.exit_code == 0 and f"{len(old)} records removed" in done.output
    assert uuids_of(database, SURVEY) == kept and uuids_of(database, REPORT) == reports
    assert derived(database) == recomputed(database)
    assert "0 records removed" in run(round_, "purge").output  # the next day's pass
    assert run(round_, "forms", "retention", SURVEY, "--off").exit_code == 0
    assert not query(database, "SELECT * FROM form_retention")
    (entry,) = query(database, "SELECT * FROM audit WHERE action = 'records_removed'")
    assert entry["actor"] == "retention" and f"older than {days} days" in entry["detail"]


# -- with a real hub: files, re-push, reconciliation -----------------------------------------------

FORM = {
    "form_id": "site_visit",
    "version": "1",
    "title": {"en": "Site visit"},
    "sections": [
        {
            "name": "main",
            "label": {"en": "Main"},
            "questions": [
                {"name": "place", "type": "text", "privacy": "keep", "label": {"en": "Place"}},
                {"name": "photo", "type": "text", "privacy": "keep", "label": {"en": "Photo"}},
            ],
        }
    ],
}


@pytest.fixture
def hub_db(app, data_dir):
    import_forms(app.config["DATABASE"], FORM)
    db = open_database(app.config["DATABASE"])
    add_user(db, "amina", "4821")
    db.user_id = db.execute("SELECT id FROM users WHERE name = 'amina'").fetchone()[0]
    yield db
    db.close()


@pytest.fixture
def client(hub_db, data_dir, central):
    store = Store(central.database)
    publish(store, json.dumps(FORM), "admin")
    store.close()
    credentials = enroll(hub_db, data_dir, central.url, central.enrollment_code())
    return SyncClient(hub_db, credentials, timeout=(2, 5))


def new_record(db, data_dir, photo: bytes | None) -> str:
    """A finalized record of FORM, its `photo` answer naming a stored file."""
    from collector.attachments import store_attachment

    record_uuid = str(uuid.uuid4())
    answers = {"place": "clinic"}
    if photo is not None:
        stored = store_attachment(db, data_dir, record_uuid, "photo", "a.ogg", photo, "audio/ogg")
        answers["photo"] = stored["name"]
    finalize_whole(db, record_uuid, load_form(FORM), "en", db.user_id, answers)
    return record_uuid


def server_files(central) -> set[str]:
    root = Path(central.app.config["DATA_DIR"]) / "attachments"
    return {p.name for p in root.rglob("*") if p.is_file()}


def test_files_go_with_their_record_and_a_laptop_never_brings_it_back(
    hub_db, data_dir, client, central
):
    shared, own = os.urandom(20 * 1024), os.urandom(30 * 1024)
    first = new_record(hub_db, data_dir, own)
    second = new_record(hub_db, data_dir, shared)
    third = new_record(hub_db, data_dir, shared)
    report = client.sync()
    assert report.stored == 3 and report.attachments_sent == 3
    own_hash, shared_hash = hashlib.sha256(own).hexdigest(), hashlib.sha256(shared).hexdigest()
    assert server_files(central) == {own_hash, shared_hash}

    removed = run(central, "records", "delete", "--uuid", first, "--uuid", second, "--yes")
    assert removed.exit_code == 0, removed.output
    assert "2 records" in removed.output and "1 file deleted" in removed.output
    assert server_files(central) == {shared_hash}  # the third record still holds it
    links = query(central.database, "SELECT uuid FROM attachment_links")
    assert [link["uuid"] for link in links] == [third]

    # The next sync agrees at once on the records: the removed ones count as held. Their
    # files are offered once more, refused for good, and never stored again.
    report = client.sync()
    assert report.reconcile["agree"] and report.stored == report.duplicate == 0
    assert report.reconcile["requeued"] == 2  # the two files, offered again (records: none)
    assert server_files(central) == {shared_hash}
    refused = dict(
        hub_db.execute(
            "SELECT record_uuid, error_code FROM attachment_outbox WHERE state = 'refused'"
        ).fetchall()
    )
    assert refused == {first: "record_removed", second: "record_removed"}

    # A laptop that never got the server's answer sends the record again: acknowledged,
    # marked delivered, not stored, and not sent a third time.
    with write_transaction(hub_db):
        hub_db.execute(
            "UPDATE outbox SET state = 'queued', sent_at = NULL, sent_to = NULL WHERE uuid = ?",
            [first],
        )
    report = client.sync()
    assert report.duplicate == 1 and report.stored == 0 and report.reconcile["agree"]
    assert (
        hub_db.execute("SELECT state FROM outbox WHERE uuid = ?", [first]).fetchone()[0] == "sent"
    )
    assert not query(
        central.database, "SELECT 1 FROM records WHERE uuid IN (?, ?)", [first, second]
    )
    assert server_files(central) == {shared_hash}
    again = client.sync()
    assert again.stored == again.duplicate == 0 and again.reconcile["agree"]
    assert again.reconcile["requeued"] == 0
