"""Both servers on loopback: enroll, fill, sync; every record on the server exactly once."""

from __future__ import annotations

import gzip
import json
import re
import sqlite3

import pytest
import requests
from click.testing import CliRunner

from collector import protocol, sealed_bundles
from collector.cli import cli as collector_cli
from collector.db import connect
from collector.sync_client import SyncClient, SyncError, enroll, load_credentials
from filling import FEEDBACK_ANSWERS, REPORT_ANSWERS, SURVEY_ANSWERS, fill_form
from support import change, database_bytes, query
from sync_server.cli import cli as server_cli
from test_feedback import release_reviewed, send_feedback
from test_forms import minimal_form

IDENTIFYING_VALUES = [
    SURVEY_ANSWERS["respondent_name"],
    SURVEY_ANSWERS["respondent_phone"],
    REPORT_ANSWERS["reporter_name"],
    REPORT_ANSWERS["reporter_contact"],
    "0712 999888",
]


def collector(*args, data_dir):
    return CliRunner().invoke(
        collector_cli, [*map(str, args), "--data-dir", str(data_dir)], catch_exceptions=False
    )


def server_command(*args, central):
    return CliRunner().invoke(
        server_cli,
        [*map(str, args), "--data-dir", central.app.config["DATA_DIR"]],
        catch_exceptions=False,
    )


@pytest.fixture
def enrolled(hub, central, data_dir):
    result = collector(
        "enroll",
        "--yes",
        "--server",
        central.url,
        "--code",
        central.enrollment_code(),
        data_dir=data_dir,
    )
    assert result.exit_code == 0, result.output
    return hub


OPERATOR = ("omar", "9753")


def add_operator(hub, name=OPERATOR[0], pin=OPERATOR[1]) -> None:
    """The laptop's operator, who alone may enroll the hub or change its server."""
    from collector.db import open_database
    from collector.users import add_user

    db = open_database(hub.app.config["DATABASE"])
    try:
        add_user(db, name, pin, "operator")
    finally:
        db.close()


def confirm_fields(html: str) -> list[tuple[str, str]]:
    """The hidden fields of the enrollment's confirmation page, as a browser posts them."""
    import html as html_module

    return [
        (name, html_module.unescape(value))
        for name, value in re.findall(
            r'<input type="hidden" name="(server|code|fingerprint)" value="([^"]*)">', html
        )
    ]


def fill_everything(hub, surveys=3):
    phone = hub.browser("en")
    phone.signin()
    uuids = [fill_form(phone, "community_survey", SURVEY_ANSWERS) for _ in range(surveys)]
    uuids.append(fill_form(phone, "discrimination_report", REPORT_ANSWERS))
    send_feedback(
        hub.browser("sw"), dict(FEEDBACK_ANSWERS, wants_reply="yes", contact="0712 999888")
    )
    release_reviewed(hub)  # the operator read the kiosk message (tests/test_review_hold.py)
    return uuids


def opened_bundle(central, path) -> bytes:
    """A USB bundle's plain bytes, opened with the server's identity key as import-bundle
    opens it (collector.sealed_bundles)."""
    from sync_server import identity

    return identity.opened(central.app.config["DATA_DIR"], path.read_bytes())


def server_bytes(central) -> bytes:
    return database_bytes(central.database)


def test_enroll_fill_sync_every_record_once_and_nothing_identifying(
    enrolled, central, data_dir, db_path
):
    uuids = fill_everything(enrolled)
    result = collector("sync", data_dir=data_dir)
    assert result.exit_code == 0, result.output
    assert "Stored 5, already there 0, rejected 0" in result.output
    assert "Reconciliation: in agreement (5 records held by the server)" in result.output

    stored = query(
        central.database,
        "SELECT uuid, revision, form_id, enumerator, collected, answers FROM records",
    )
    assert len(stored) == 5
    assert {r["uuid"] for r in stored} >= set(uuids)
    assert all(r["revision"] == 1 for r in stored)
    survey = next(r for r in stored if r["form_id"] == "community_survey")
    answers = json.loads(survey["answers"])
    assert answers["age"] == "30-34" and answers["area"] == "SR"
    assert "respondent_name" not in answers and "respondent_phone" not in answers
    assert survey["enumerator"].startswith("p_") and "amina" not in survey["enumerator"]
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", survey["collected"])
    raw = server_bytes(central)
    for value in IDENTIFYING_VALUES + ["amina", "Amina"]:
        assert value.encode() not in raw, f"{value!r} reached the server"
    local = query(db_path, "SELECT status FROM records")
    assert {r["status"] for r in local} == {"synced"}
    assert query(db_path, "SELECT count(*) AS n FROM outbox WHERE state = 'sent'")[0]["n"] == 5

    again = collector("sync", data_dir=data_dir)
    assert again.exit_code == 0 and "Stored 0" in again.output
    assert query(central.database, "SELECT count(*) AS n FROM records")[0]["n"] == 5


def test_an_edit_after_sync_is_refused_but_an_edit_before_is_a_new_revision(
    enrolled, central, data_dir, db_path
):
    phone = enrolled.browser("en")
    phone.signin()
    record_uuid = fill_form(phone, "community_survey", SURVEY_ANSWERS)
    phone.get(f"/records/{record_uuid}/3")
    phone.post(
        f"/records/{record_uuid}/3",
        __import__("filling").page_data(
            "community_survey", 3, dict(SURVEY_ANSWERS, life_satisfaction="2")
        ),
    )
    phone.get(f"/records/{record_uuid}/review")
    phone.post(f"/records/{record_uuid}/finalize", {})
    assert collector("sync", data_dir=data_dir).exit_code == 0
    revisions = query(central.database, "SELECT revision, answers FROM records ORDER BY revision")
    assert [r["revision"] for r in revisions] == [1, 2]
    assert json.loads(revisions[1]["answers"])["life_satisfaction"] == 2
    assert phone.get(f"/records/{record_uuid}/3").status_code == 200
    response = phone.post(
        f"/records/{record_uuid}/3",
        __import__("filling").page_data("community_survey", 3, SURVEY_ANSWERS),
    )
    assert response.status_code == 403


def test_rejected_records_stay_with_their_reason(enrolled, central, data_dir, db_path):
    from collector.db import open_database
    from collector.form_library import import_form
    from collector.forms import load_form

    db = open_database(db_path)
    import_form(db, load_form(minimal_form()), "local only")  # the server never heard of it
    db.close()
    phone = enrolled.browser("en")
    phone.signin()
    page = phone.get("/forms/household_visit").text
    path = re.search(r'action="(/records/[^"]+)"', page).group(1)
    phone.post(
        path,
        [
            ("form_id", "household_visit"),
            ("_action", "next"),
            ("_shown", "size"),
            ("size", "4"),
            ("_shown", "water"),
            ("water", "tap"),
        ],
    )
    record_uuid = path.split("/")[2]
    phone.post(f"/records/{record_uuid}/finalize", {})
    fill_form(phone, "community_survey", SURVEY_ANSWERS)

    result = collector("sync", data_dir=data_dir)
    assert result.exit_code == 1
    assert "Stored 1, already there 0, rejected 1" in result.output
    [rejected] = query(
        db_path, "SELECT state, error_code, error_message FROM outbox WHERE uuid = ?", [record_uuid]
    )
    assert rejected["state"] == "rejected" and rejected["error_code"] == "unknown_form"
    assert query(db_path, "SELECT status FROM records WHERE uuid = ?", [record_uuid]) == [
        {"status": "rejected"}
    ]
    listing = phone.get("/records").text
    assert "Rejected by the server:" in listing and "household_visit" in listing
    assert "household_visit" in phone.get("/sync").text
    assert query(central.database, "SELECT count(*) AS n FROM records")[0]["n"] == 1


def test_forms_and_replies_come_down(enrolled, central, data_dir, db_path, tmp_path):
    fill_everything(enrolled, surveys=1)
    assert collector("sync", data_dir=data_dir).exit_code == 0
    form_file = tmp_path / "visit.json"
    form_file.write_text(json.dumps(minimal_form()))
    assert (
        "Published household_visit version 2."
        in server_command("forms", "publish", form_file, central=central).output
    )
    [feedback] = query(
        central.database, "SELECT uuid FROM records WHERE form_id = 'community_feedback'"
    )
    result = server_command(
        "reply", feedback["uuid"], "Nitakupigia simu kesho.", "--locale", "sw", central=central
    )
    assert result.exit_code == 0, result.output

    result = collector("sync", data_dir=data_dir)
    assert "1 new form versions, 1 new replies" in result.output
    assert query(db_path, "SELECT form_id, version, source FROM forms") == [
        {"form_id": "household_visit", "version": "2", "source": "server"}
    ]
    [record] = query(
        db_path, "SELECT receipt_code FROM records WHERE form_id = 'community_feedback'"
    )
    page = enrolled.browser("sw").get(f"/feedback/status?code={record['receipt_code']}").text
    assert "Nitakupigia simu kesho." in page
    # Nothing new: the form list costs one small 304, replies nothing twice.
    result = collector("sync", data_dir=data_dir)
    assert "0 new form versions, 0 new replies" in result.output
    assert query(db_path, "SELECT count(*) AS n FROM replies")[0]["n"] == 1


def test_the_form_list_is_not_downloaded_again_when_unchanged(enrolled, central, data_dir):
    db = connect(enrolled.app.config["DATABASE"])
    client = SyncClient(db, load_credentials(db, data_dir))
    assert client.pull_forms() == []
    etag = client.get("/forms").headers["ETag"]
    response = client.get("/forms", {"If-None-Match": etag})
    assert response.status_code == 304 and response.content == b""
    db.close()


def test_reconciliation_requeues_what_the_server_lost(enrolled, central, data_dir, db_path):
    uuids = fill_everything(enrolled, surveys=2)
    assert collector("sync", data_dir=data_dir).exit_code == 0
    # The server loses a record (a restore from an old backup, say).
    change(central.database, "DELETE FROM records WHERE uuid = ?", [uuids[0]])
    # The next sync finds the gap by comparing digests, and sends the record again.
    result = collector("sync", data_dir=data_dir)
    assert result.exit_code == 0, result.output
    assert "The server was missing 1 records: they were sent again." in result.output
    assert {r["uuid"] for r in query(central.database, "SELECT uuid FROM records")} >= set(uuids)
    assert query(central.database, "SELECT count(*) AS n FROM records")[0]["n"] == 4
    [row] = query(db_path, "SELECT value FROM hub_state WHERE key = 'reconcile'")
    state = json.loads(row["value"])
    assert state["agree"] and state["requeued"] == 1 and state["server_count"] == 4
    assert (
        "reconcile  agree: 4 sent here, 4 held by the server"
        in collector("status", data_dir=data_dir).output
    )


def test_a_revoked_device_is_told_stops_and_keeps_its_data(enrolled, central, data_dir, db_path):
    fill_everything(enrolled, surveys=1)
    [device] = query(central.database, "SELECT id FROM devices")
    assert server_command("device", "revoke", device["id"], central=central).exit_code == 0
    result = collector("sync", data_dir=data_dir)
    assert result.exit_code == 1 and "revoked" in result.output
    assert query(db_path, "SELECT count(*) AS n FROM records")[0]["n"] == 3
    assert query(db_path, "SELECT count(*) AS n FROM outbox WHERE state = 'queued'")[0]["n"] == 3
    status = collector("status", data_dir=data_dir).output
    assert "revoked" in status and "can no longer sync" in status
    page = enrolled.browser("en")
    page.signin()
    assert "has revoked this laptop" in page.get("/sync").text
    from collector.background import BackgroundWork

    work = BackgroundWork(str(db_path), data_dir, 30)
    assert work.step() == work.interval  # the loop no longer tries the server
    assert query(central.database, "SELECT count(*) AS n FROM records")[0]["n"] == 0


def test_enrollment_codes_are_used_once_and_expire(central, tmp_path):
    code = central.enrollment_code()
    first = collector(
        "enroll", "--yes", "--server", central.url, "--code", code, data_dir=tmp_path / "a"
    )
    assert first.exit_code == 0
    second = collector(
        "enroll", "--yes", "--server", central.url, "--code", code, data_dir=tmp_path / "b"
    )
    assert second.exit_code == 1 and "already used" in second.output
    expired = central.enrollment_code(hours=-1)
    third = collector(
        "enroll", "--yes", "--server", central.url, "--code", expired, data_dir=tmp_path / "c"
    )
    assert third.exit_code == 1 and "expired" in third.output
    fourth = collector(
        "enroll",
        "--yes",
        "--server",
        central.url,
        "--code",
        "AAAA-BBBB-CCCC",
        data_dir=tmp_path / "d",
    )
    assert fourth.exit_code == 1 and "not known" in fourth.output
    assert query(central.database, "SELECT count(*) AS n FROM devices")[0]["n"] == 1
    secrets_dir = tmp_path / "a" / "secrets"
    assert oct((secrets_dir / "device_token").stat().st_mode & 0o777) == "0o600"
    # The server hands over no pseudonym key: that comes from the data custodian.
    assert not (secrets_dir / "pseudonym_key").exists()
    token = (secrets_dir / "device_token").read_text()
    [device] = query(central.database, "SELECT token_hash FROM devices")
    assert token not in server_bytes(central).decode("latin-1")
    assert device["token_hash"] == protocol.token_hash(token)


def test_enrollment_retried_after_a_lost_answer_gets_a_working_token(central, tmp_path):
    """The server enrolled us but the answer was lost: asking again with the same code works."""
    data_dir = tmp_path / "hub"
    code = central.enrollment_code()
    from collector.datadir import ensure_data_dir
    from collector.db import open_database

    db = open_database(ensure_data_dir(data_dir) / "collector.db")
    original_post = requests.Session.request
    calls = []

    def lose_first_answer(self, method, url, *args, **kwargs):
        response = original_post(self, method, url, *args, **kwargs)
        calls.append(url)
        if url.endswith("/enroll") and len(calls) == 1:
            raise requests.ConnectionError("answer lost")
        return response

    requests.Session.request = lose_first_answer
    try:
        with pytest.raises(SyncError):
            enroll(db, data_dir, central.url, code)
    finally:
        requests.Session.request = original_post
    credentials = enroll(db, data_dir, central.url, code)
    client = SyncClient(db, credentials)
    assert client.call("GET", "/reconcile")["count"] == 0
    assert query(central.database, "SELECT count(*) AS n FROM devices")[0]["n"] == 1
    db.close()


def test_usb_bundle_is_imported_exactly_once(enrolled, central, data_dir, tmp_path):
    fill_everything(enrolled, surveys=2)
    bundle = tmp_path / "usb" / "zone-b.bundle"
    bundle.parent.mkdir()
    result = collector("export-bundle", bundle, data_dir=data_dir)
    assert result.exit_code == 0 and "Wrote 4 records" in result.output
    on_stick = bundle.read_bytes()
    raw = gzip.decompress(opened_bundle(central, bundle))
    for value in IDENTIFYING_VALUES:
        assert value.encode() not in raw
    # Sealed to the server: the stick shows neither the device nor any answer.
    assert on_stick.startswith(sealed_bundles.MAGIC) and on_stick[:2] != b"\x1f\x8b"
    device_id = json.loads(raw)["device_id"]
    for shown in (device_id, "community_survey", SURVEY_ANSWERS["migration_status"]):
        assert shown.encode() in raw and shown.encode() not in on_stick
    imported = server_command("import-bundle", bundle, central=central)
    assert imported.exit_code == 0, imported.output
    assert "4 stored, 0 already here, 0 rejected" in imported.output
    again = server_command("import-bundle", bundle, central=central)
    assert again.exit_code == 1 and "was already imported" in again.output
    assert query(central.database, "SELECT count(*) AS n FROM records")[0]["n"] == 4
    # Later the laptop gets a connection: the same records come back as duplicates.
    result = collector("sync", data_dir=data_dir)
    assert result.exit_code == 0 and "already there 4" in result.output
    assert query(central.database, "SELECT count(*) AS n FROM records")[0]["n"] == 4


def test_a_tampered_bundle_is_refused(enrolled, central, data_dir, tmp_path):
    fill_everything(enrolled, surveys=1)
    bundle = tmp_path / "b.bundle"
    collector("export-bundle", bundle, data_dir=data_dir)
    sealed = bundle.read_bytes()
    envelope = json.loads(gzip.decompress(opened_bundle(central, bundle)))
    envelope["batches"][0]["records"][0]["answers"]["age"] = "90+"
    bundle.write_bytes(gzip.compress(json.dumps(envelope).encode()))  # as an older collector
    result = server_command("import-bundle", bundle, central=central)
    assert result.exit_code == 1 and "signature does not match" in result.output
    for changed in (sealed[:-1] + bytes([sealed[-1] ^ 1]), sealed[: len(sealed) // 2]):
        bundle.write_bytes(changed)
        result = server_command("import-bundle", bundle, central=central)
        assert result.exit_code == 1 and "changed or cut short" in result.output
    assert query(central.database, "SELECT count(*) AS n FROM records")[0]["n"] == 0
    not_a_bundle = tmp_path / "x.bundle"
    not_a_bundle.write_bytes(b"hello")
    result = server_command("import-bundle", not_a_bundle, central=central)
    assert result.exit_code == 1 and "not valid JSON" in result.output


def test_purge_removes_identifying_fields_of_old_synced_records(
    enrolled, central, data_dir, db_path
):
    fill_everything(enrolled, surveys=1)
    assert collector("sync", data_dir=data_dir).exit_code == 0
    assert "from 0 records" in collector("purge", data_dir=data_dir).output
    result = collector("purge", "--days", "0", data_dir=data_dir)
    assert "Removed identifying fields from 3 records" in result.output
    conn = sqlite3.connect(db_path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    raw = b"".join(p.read_bytes() for p in db_path.parent.glob("collector.db*"))
    for value in IDENTIFYING_VALUES:
        assert value.encode() not in raw, value
    survey = query(db_path, "SELECT answers FROM records WHERE form_id = 'community_survey'")[0]
    assert json.loads(survey["answers"])["age"] == 34  # everything else stays


def test_sync_page_enrolls_and_syncs(hub, central, db_path):
    add_operator(hub)
    phone = hub.browser("en")
    phone.signin(*OPERATOR)
    fill_form(phone, "community_survey", SURVEY_ANSWERS)
    page = phone.get("/sync").text
    assert "Enroll this laptop" in page and "Sync now" not in page
    confirm = phone.post("/sync/enroll", {"server": central.url, "code": "WRONG-CODE"})
    assert "Is this the right server?" in confirm.text
    response = phone.post(
        "/sync/enroll/confirm", dict(confirm_fields(confirm.text)), csrf_from=confirm.text
    )
    assert "This enrollment code is not known." in response.text
    confirm = phone.post("/sync/enroll", {"server": central.url, "code": central.enrollment_code()})
    response = phone.post(
        "/sync/enroll/confirm", dict(confirm_fields(confirm.text)), csrf_from=confirm.text
    )
    assert "This laptop is now enrolled with the server." in response.text
    response = phone.post("/sync/now", {})
    assert "Sync started" in response.text
    import time

    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if query(central.database, "SELECT count(*) AS n FROM records")[0]["n"] == 1:
            break
        time.sleep(0.2)
    assert query(central.database, "SELECT count(*) AS n FROM records")[0]["n"] == 1
    page = phone.get("/sync").text
    assert "The server holds every record this laptop sent." in page or "Last sync" in page


def test_preview_shows_exactly_what_leaves(enrolled, data_dir, db_path):
    phone = enrolled.browser("en")
    phone.signin()
    record_uuid = fill_form(phone, "community_survey", SURVEY_ANSWERS)
    page = phone.get(f"/sync/preview/{record_uuid}").text
    assert "Never sent" in page and "Name of the respondent (optional)" in page
    payload = re.search(r'<pre class="payload" translate="no">(.*?)</pre>', page, re.S).group(1)
    import html

    shown = json.loads(html.unescape(payload))
    db = connect(db_path)
    client = SyncClient(db, load_credentials(db, data_dir))
    batch, *_ = client.next_batch()
    db.close()
    assert shown == batch["records"][0]
    assert "Halima" not in payload and "345678" not in payload


def test_preview_before_enrollment_uses_a_preview_key(browser):
    record_uuid = fill_form(browser, "community_survey", SURVEY_ANSWERS)
    page = browser.get(f"/sync/preview/{record_uuid}")
    assert page.status_code == 200
    assert "not the project&#39;s key" in page.text or "preview key" in page.text
    assert "Halima" not in page.text.split('class="payload"')[1]


def test_a_record_that_cannot_be_anonymized_is_held_back_not_sent(
    enrolled, central, data_dir, db_path
):
    fill_everything(enrolled, surveys=2)
    conn = sqlite3.connect(db_path)
    with conn:  # a form version that vanished from the hub (a bad manual edit, say)
        conn.execute("UPDATE revisions SET form_version = 'gone' WHERE rowid = 1")
    conn.close()
    result = collector("sync", data_dir=data_dir)
    assert result.exit_code == 1 and "Stored 3" in result.output
    [held] = query(db_path, "SELECT error_code, error_message FROM outbox WHERE state = 'rejected'")
    assert held["error_code"] == "not_anonymized"
    assert "no longer on this hub" in held["error_message"]
    assert query(central.database, "SELECT count(*) AS n FROM records")[0]["n"] == 3
    [device] = query(central.database, "SELECT last_seen, queued FROM devices")
    assert device["last_seen"] and device["queued"] == 0
