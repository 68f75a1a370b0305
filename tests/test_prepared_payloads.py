"""Records anonymized ahead of their sync, while the laptop has no link: a sync then sends
at once. What is prepared is exactly what the sync would make, is made again when what it
depends on changes, is sealed on a protected hub, and is gone once sent."""

from __future__ import annotations

import json

from collector import keyfile
from collector.anonymizer import pseudonym
from collector.db import connect
from collector.sync_client import REVISION_SQL, SyncClient, load_credentials
from filling import SURVEY_ANSWERS, fill_form
from support import ENUMERATOR, database_bytes, query
from test_sync import collector, enrolled  # noqa: F401 - fixture

OTHER_KEY = b"another project's pseudonym key!"


def client_of(data_dir, db_path):
    db = connect(str(db_path))
    return db, SyncClient(db, load_credentials(db, data_dir))


def queued_rows(db) -> list[dict]:
    return list(db.query(REVISION_SQL + " WHERE o.state = 'queued' ORDER BY o.uuid"))


def fill_surveys(hub, count: int) -> list[str]:
    phone = hub.browser("en")
    phone.signin()
    return [fill_form(phone, "community_survey", SURVEY_ANSWERS) for _ in range(count)]


def test_a_prepared_record_leaves_as_prepared_and_is_forgotten_once_sent(
    enrolled, central, data_dir, db_path
):
    uuids = fill_surveys(enrolled, 3)
    db, client = client_of(data_dir, db_path)
    try:
        assert client.prepare_payloads() == 3
        assert client.prepare_payloads() == 0  # nothing changed: nothing made again
        rows = queued_rows(db)
        prepared = {row["uuid"]: json.loads(row["payload"]) for row in rows}
        assert set(prepared) == set(uuids)
        for row in rows:  # exactly what the sync would have made of the answers now
            assert prepared[row["uuid"]] == client._anonymized(row)
    finally:
        db.close()
    result = collector("sync", data_dir=data_dir)
    assert result.exit_code == 0 and "Stored 3" in result.output, result.output
    stored = query(central.database, "SELECT uuid, enumerator, answers FROM records")
    for row in stored:
        assert json.loads(row["answers"]) == prepared[row["uuid"]]["answers"]
        assert row["enumerator"] == prepared[row["uuid"]]["enumerator"]
    left = query(db_path, "SELECT count(*) AS n FROM outbox WHERE payload IS NOT NULL")
    assert left[0]["n"] == 0


def test_a_long_queue_is_prepared_a_part_each_round(enrolled, data_dir, db_path):
    """Each round prepares the next records that need it, not the same first ones again."""
    fill_surveys(enrolled, 3)
    db, client = client_of(data_dir, db_path)
    try:
        assert [client.prepare_payloads(limit=2) for _ in range(3)] == [2, 1, 0]
        assert all(row["payload"] for row in queued_rows(db))
    finally:
        db.close()


def test_a_new_key_makes_the_prepared_records_again(enrolled, central, data_dir, db_path):
    fill_surveys(enrolled, 2)
    db, client = client_of(data_dir, db_path)
    try:
        assert client.prepare_payloads() == 2
        old = {row["uuid"]: json.loads(row["payload"]) for row in queued_rows(db)}
    finally:
        db.close()
    keyfile.install(data_dir, OTHER_KEY, replace=True)  # the custodian's key replaced
    result = collector("sync", data_dir=data_dir)
    assert result.exit_code == 0 and "Stored 2" in result.output, result.output
    stored = query(central.database, "SELECT uuid, enumerator FROM records")
    for row in stored:
        # The hub keys its pseudonyms with the key as it keeps it: hex text.
        assert row["enumerator"] == pseudonym("enumerator", ENUMERATOR, OTHER_KEY.hex().encode())
        assert row["enumerator"] != old[row["uuid"]]["enumerator"]


def test_a_payload_made_under_something_else_is_never_sent(enrolled, data_dir, db_path):
    """What a payload was made from is checked when it is used: one made under another
    key, setting, enrolment or version is made again, never sent as it is."""
    (record_uuid,) = fill_surveys(enrolled, 1)
    db, client = client_of(data_dir, db_path)
    try:
        client.prepare_payloads()
        db.execute(
            'UPDATE outbox SET payload = \'{"uuid": "stale"}\','
            " payload_basis = 'made under something else' WHERE uuid = ?",
            [record_uuid],
        )
        db.conn.commit()
        (row,) = queued_rows(db)
        assert client.sync_form(row) == client._anonymized(row)
        assert client.prepare_payloads() == 1  # and the next round makes it again
        (row,) = queued_rows(db)
        assert json.loads(row["payload"]) == client._anonymized(row)
    finally:
        db.close()


def test_a_protected_hub_seals_what_it_prepares(enrolled, central, data_dir, db_path):
    from test_protection import protect

    fill_surveys(enrolled, 1)
    enrolled.stop()
    protect(data_dir)
    db, client = client_of(data_dir, db_path)
    try:
        assert client.prepare_payloads() == 1
        (row,) = queued_rows(db)
        assert not row["payload"].lstrip().startswith("{")  # sealed, not JSON
        record = client.sync_form(row)
        assert record == client._anonymized(row)
    finally:
        db.close()
    # The record's pseudonym is written nowhere else on the laptop: not in clear here either.
    assert record["enumerator"].encode() not in database_bytes(db_path)


def test_the_hub_prepares_its_records_while_the_server_is_away(
    enrolled, central, data_dir, db_path
):
    from collector.background import BackgroundWork

    fill_surveys(enrolled, 2)
    central.stop()  # no link: the round fails to sync, but the records are ready to leave
    work = BackgroundWork(str(db_path), data_dir, purge_after_days=30)
    work.step()
    assert work.failures == 1
    ready = query(db_path, "SELECT count(*) AS n FROM outbox WHERE payload IS NOT NULL")
    assert ready[0]["n"] == 2
