"""Encryption at rest (`collector serve --protect`, `collector protect`): names, phones,
e-mails, ID numbers, dates of birth and addresses planted through a real hub into finalized
records, a draft, a repeat, an operator's redaction and a reply are in no byte of a copy of
the protected data folder and its backup; with the passphrase every record is intact and
syncs to a real server; a wrong or missing passphrase changes nothing; a ciphertext moved
to another row does not open."""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner

from collector import create_app, protection
from collector.cli import cli as collector_cli
from collector.db import open_database
from collector.records import get_record
from filling import FEEDBACK_ANSWERS, REPORT_ANSWERS, SURVEY_ANSWERS, fill_form
from support import (
    ENUMERATOR,
    PIN,
    TEST_PSEUDONYM_KEY,
    Browser,
    LiveHub,
    import_forms,
    install_key,
    query,
)
from test_feedback import send_feedback
from test_repeats import ROSTER, whole
from test_sync import enrolled, server_command  # noqa: F401 - enrolled: the fixture

# About the hub's encryption at rest, not the server's storage: SQLite only
# (tests/conftest.py runs the others on PostgreSQL too).
SERVER_ENGINES = ("sqlite",)

PASSPHRASE = "long river under the baobab"
OTHER_PASSPHRASE = "seven goats crossed the road"

LATIN_NAME = "Wambui Kariuki"
ARABIC_NAME = "زينب الحسيني"
GEEZ_NAME = "ሰላማዊት ገብረመድህን"  # Tigrinya, in Ge'ez script
CYRILLIC_NAME = "Оксана Коваленко"
PHONE = "0722 917 384"
PHONE_INTERNATIONAL = "+254 (722) 917-384"
EMAIL = "wambui.kariuki@example.net"
ID_NUMBER = "B8305172"
BIRTH_DATE = "23/11/1987"
ADDRESS = "41 Moi Avenue"
PLANTED = [
    LATIN_NAME,
    ARABIC_NAME,
    GEEZ_NAME,
    CYRILLIC_NAME,
    PHONE,
    PHONE_INTERNATIONAL,
    EMAIL,
    ID_NUMBER,
    BIRTH_DATE,
    ADDRESS,
]
# The parts a value could be found by: each name alone, the phone's digits in any layout.
PARTS = [
    *LATIN_NAME.split(),
    *ARABIC_NAME.split(),
    *GEEZ_NAME.split(),
    *CYRILLIC_NAME.split(),
    "0722917384",
    "254722917384",
    "722917384",
    "917-384",
    "wambui.kariuki",
    "Moi Avenue",
]

FREE_TEXT = (
    f"I am {LATIN_NAME}, اسمي {ARABIC_NAME}, ስመይ {GEEZ_NAME}, меня зовут "
    f"{CYRILLIC_NAME}. Call {PHONE} or {PHONE_INTERNATIONAL}, write {EMAIL}. "
    f"ID {ID_NUMBER}, born {BIRTH_DATE}, I live at {ADDRESS}."
)
SURVEY = dict(
    SURVEY_ANSWERS,
    respondent_name=f"{LATIN_NAME} {ARABIC_NAME}",
    respondent_phone=PHONE,
    comments=FREE_TEXT,
)
DRAFT = dict(
    SURVEY_ANSWERS,
    respondent_name=f"{GEEZ_NAME} {CYRILLIC_NAME}",
    respondent_phone=PHONE_INTERNATIONAL,
    comments=FREE_TEXT,
)
REPORT = dict(
    REPORT_ANSWERS,
    reporter_name=f"{CYRILLIC_NAME} {ARABIC_NAME}",
    reporter_contact=f"{EMAIL} {PHONE} {ADDRESS} {ID_NUMBER} {BIRTH_DATE}",
    incident_description=FREE_TEXT,
)
KIOSK = dict(
    FEEDBACK_ANSWERS, message=FREE_TEXT, wants_reply="yes", contact=f"{EMAIL} {PHONE_INTERNATIONAL}"
)
ROSTER_FIELDS = [
    ("_uuid", "0f6b8f7e-3c2a-4f4e-9d1b-6a3e2c1d0b9a"),
    ("_action", "finalize"),
    ("form_version", "1"),
    ("head_name", LATIN_NAME),
    ("hh_size", "2"),
    ("_repeat.visits", "1"),
    ("member_name.1", ARABIC_NAME),
    ("member_age.1", "39"),
    ("member_phone.1", PHONE),
    ("member_name.2", GEEZ_NAME),
    ("member_age.2", "11"),
    ("in_school.2", "yes"),
    ("member_phone.2", PHONE_INTERNATIONAL),
    ("school_fees", "1200"),
    ("visit_date.1", "2024-05-02"),
    ("visit_note.1", f"{CYRILLIC_NAME} gave {EMAIL}"),
    ("visit_by.1", "Field team"),
]
REPLY = f"Dear {LATIN_NAME}, we called {PHONE}: the tap is repaired."


def needles() -> set[bytes]:
    """Each planted value as bytes a file could hold it in: UTF-8, UTF-16 (both orders),
    JSON's \\u escapes and HTML escapes, with and without spaces, in lower case."""
    found = set()
    for value in PLANTED + PARTS:
        for text in {value, value.replace(" ", "")}:
            for form in {text, json.dumps(text)[1:-1], html.escape(text)}:
                form = form.lower()
                found |= {form.encode("utf-8"), form.encode("utf-16-le"), form.encode("utf-16-be")}
    return found


NEEDLES = needles()


def leaks(folder: Path) -> list[str]:
    """Planted values found in any byte of any file under `folder`, as the files are."""
    found = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        raw = path.read_bytes().lower()
        found += [
            f"{needle!r} in {path.relative_to(folder)}" for needle in NEEDLES if needle in raw
        ]
    return found


def collector(*args, data_dir, passphrase: str | None = PASSPHRASE, **env):
    """`collector ARGS --data-dir DIR` in this process, the passphrase given as automation
    does (COLLECTOR_PASSPHRASE), or not at all when None."""
    environment = {protection.PASSPHRASE_ENV: passphrase, **env}
    return CliRunner().invoke(
        collector_cli,
        [*map(str, args), "--data-dir", str(data_dir)],
        env=environment,
        catch_exceptions=False,
    )


def signed_in(hub) -> Browser:
    phone = hub.browser("en")
    phone.signin()
    return phone


def snapshot(folder: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def release_with_redactions(db_path: Path, words: list[str]) -> int:
    """The operator reads each held kiosk message and removes `words` from it."""
    from collector.form_library import form_version
    from collector.forms import builtin_forms
    from collector.review import held_revisions, hold_new, release

    db = open_database(db_path)
    try:
        hold_new(
            db,
            ["community_feedback"],
            lambda form_id, version: form_version(db, builtin_forms(), form_id, version),
        )
        return release(db, {(r["uuid"], r["revision"]): words for r in held_revisions(db)}, None)
    finally:
        db.close()


def add_reply(db_path: Path, record_uuid: str) -> None:
    """A reply from the central team, as a sync brings it."""
    db = open_database(db_path)
    try:
        db.execute(
            "INSERT INTO replies (id, record_uuid, message, locale, replied_at)"
            " VALUES ('reply-1', ?, ?, 'en', '2024-06-01T10:00:00Z')",
            [record_uuid, REPLY],
        )
        db.conn.commit()
    finally:
        db.close()


def protect(data_dir: Path) -> None:
    result = collector("protect", data_dir=data_dir)
    assert result.exit_code == 0, result.output
    assert "now protected" in result.output


@pytest.fixture
def protected(hub, data_dir, db_path):
    """A protected folder holding a finalized survey and two kiosk messages."""
    fill_form(signed_in(hub), "community_survey", SURVEY)
    for _ in range(2):
        assert send_feedback(hub.browser("en"), KIOSK).url.endswith("/feedback/thanks")
    hub.stop()
    protect(data_dir)
    yield data_dir
    protection.forget(data_dir)


# -- The proof: a stolen copy gives up nothing; with the passphrase, everything ------------


def test_a_protected_folder_copied_without_the_passphrase_yields_no_planted_value(
    enrolled, central, data_dir, db_path, tmp_path
):  # noqa: F811 - the fixture
    from collector.certificates import ensure_certificates

    hub = enrolled
    definition = tmp_path / "roster.json"
    definition.write_text(json.dumps(ROSTER))
    assert server_command("forms", "publish", definition, central=central).exit_code == 0
    import_forms(db_path, ROSTER)
    phone = signed_in(hub)
    fill_form(phone, "community_survey", SURVEY)
    fill_form(phone, "discrimination_report", REPORT)
    draft = fill_form(phone, "community_survey", DRAFT, finalize=False)
    page = phone.get("/forms/roster/phone").text
    answer = phone.post(
        "/forms/roster/submit", whole(ROSTER_FIELDS), csrf_from=page, headers={"X-Hub-Outbox": "1"}
    )
    assert answer.json()["status"] == "finalized", answer.text
    kiosk = hub.browser("en")
    assert send_feedback(kiosk, KIOSK).url.endswith("/feedback/thanks")
    receipt = re.search(r"[0-9A-Z]{4}-[0-9A-Z]{4}", kiosk.last.text).group(0)
    assert release_with_redactions(db_path, [LATIN_NAME, GEEZ_NAME]) == 1
    [kiosk_row] = query(db_path, "SELECT uuid FROM records WHERE form_id = 'community_feedback'")
    add_reply(db_path, kiosk_row["uuid"])
    ensure_certificates(data_dir, ["127.0.0.1"])  # the hub's TLS keys, as `serve --https`
    secrets_before = {
        name: (data_dir / "secrets" / name).read_text().strip()
        for name in ("session_key", "device_signing_key", "device_token")
    }
    hub.stop()
    assert leaks(data_dir), "the search must find what an unprotected folder holds"

    protect(data_dir)
    usb = tmp_path / "usb"
    usb.mkdir()
    result = collector("backup", usb / "hub.db", data_dir=data_dir)
    assert result.exit_code == 0 and "The backup is encrypted" in result.output, result.output
    assert (usb / "hub.db.protection.json").exists()

    # A thief copies the data folder and the backup stick, without the passphrase.
    stolen = tmp_path / "stolen"
    shutil.copytree(data_dir, stolen / "hub-data")
    shutil.copytree(usb, stolen / "usb")
    assert {"collector.db", "protection.json", "secrets/pseudonym_key", "tls/ca-key.pem"} <= set(
        snapshot(stolen / "hub-data")
    )
    assert leaks(stolen) == []
    everything = b"".join(snapshot(stolen).values())
    for secret in [TEST_PSEUDONYM_KEY.hex(), *secrets_before.values()]:
        assert secret.encode() not in everything
    assert b"BEGIN PRIVATE KEY" not in everything and b"BEGIN ENCRYPTED PRIVATE KEY" in everything
    # What SQLite itself reads from the copy (log included) is ciphertext too.
    copy = sqlite3.connect(stolen / "hub-data" / "collector.db")
    dump = "\n".join(copy.iterdump()).lower().encode("utf-8")
    copy.close()
    assert [needle for needle in NEEDLES if needle in dump] == []
    assert all(
        row["answers"].startswith("enc1:")
        for row in query(
            stolen / "hub-data" / "collector.db",
            "SELECT answers FROM records UNION ALL SELECT answers FROM revisions",
        )
    )

    # With the passphrase: every record intact, and syncable to the real server.
    status = collector("status", "--json", data_dir=data_dir)
    assert status.exit_code == 0, status.output
    counts = json.loads(status.output)
    assert (counts["drafts"], counts["finalized"]) == (1, 4)
    result = collector("sync", data_dir=data_dir)
    assert result.exit_code == 0 and "Stored 4," in result.output, result.output
    stored = query(central.database, "SELECT form_id, answers FROM records")
    assert sorted(row["form_id"] for row in stored) == [
        "community_feedback",
        "community_survey",
        "discrimination_report",
        "roster",
    ]
    [message] = [
        json.loads(row["answers"])["message"]
        for row in stored
        if row["form_id"] == "community_feedback"
    ]
    assert "[removed]" in message and LATIN_NAME not in message  # the redaction applied

    protection.unlock(data_dir, PASSPHRASE)
    db = open_database(db_path)
    try:
        assert get_record(db, draft)["answers"]["respondent_name"] == DRAFT["respondent_name"]
        roster = get_record(db, ROSTER_FIELDS[0][1])["answers"]
        assert [m["member_name"] for m in roster["members"]] == [ARABIC_NAME, GEEZ_NAME]
    finally:
        db.close()
    live = LiveHub(create_app(data_dir=data_dir))
    try:
        phone = signed_in(live)
        review = phone.get(f"/records/{draft}/review")
        assert review.status_code == 200 and html.escape(GEEZ_NAME) in review.text
        phone.get("/feedback/status")
        status_page = phone.post("/feedback/status", {"code": receipt})
        assert html.escape(REPLY) in status_page.text
        secure = ensure_certificates(data_dir, ["127.0.0.1"])
        assert secure.key_password  # the keys opened with the data key: not re-made
        assert (data_dir / "tls" / "ca-key.pem").read_bytes() == (
            stolen / "hub-data" / "tls" / "ca-key.pem"
        ).read_bytes()
    finally:
        live.stop()
    assert leaks(data_dir) == []  # the hub's own writes while serving are sealed too


# -- A wrong or missing passphrase changes nothing ----------------------------------------


def every_command(out: Path) -> list[tuple]:
    """Commands that open the database or a secret; `out`: where one would write a file."""
    return [
        ("status",),
        ("sync",),
        ("purge",),
        ("user", "add", "zuri", "--pin", "4321"),
        ("keys", "show"),
        ("serve", "--port", "0"),
        ("enroll", "--server", "http://127.0.0.1:9", "--code", "AAAA", "--yes"),
        ("export-bundle", out / "out.bundle"),
        ("backup", out / "backup.db"),
        ("protect",),
        ("protect", "--change-passphrase"),
    ]


@pytest.mark.parametrize("passphrase", ["wrong passphrase, long enough", None])
def test_a_wrong_or_missing_passphrase_is_a_clear_error_and_changes_nothing(
    protected, tmp_path, passphrase
):
    out = tmp_path / "out"
    out.mkdir()
    before = snapshot(protected)
    for command in every_command(out):
        result = collector(
            *command,
            data_dir=protected,
            passphrase=passphrase,
            **{protection.NEW_PASSPHRASE_ENV: OTHER_PASSPHRASE},
        )
        assert result.exit_code == 1, (command, result.output)
        expected = "Wrong passphrase" if passphrase else "no passphrase was given"
        assert expected in result.output and "changed" in result.output, (command, result.output)
    assert snapshot(protected) == before
    assert list(out.iterdir()) == []


def test_a_protected_folder_is_not_served_without_its_key(protected):
    protection.forget(protected)
    before = snapshot(protected)
    with pytest.raises(protection.Locked):
        create_app(data_dir=protected)
    assert snapshot(protected) == before


def test_the_passphrase_asked_for_at_the_prompt_opens_the_folder(protected):
    result = CliRunner().invoke(
        collector_cli,
        ["status", "--data-dir", str(protected)],
        input=PASSPHRASE + "\n",
        env={protection.PASSPHRASE_ENV: None},
    )
    assert result.exit_code == 0 and "finalized  3" in result.output, result.output


# -- Changing the passphrase ----------------------------------------------------------------


def test_changing_the_passphrase_rewraps_the_data_key_only(protected):
    database = protected / "collector.db"
    before = database.read_bytes(), snapshot(protected / "secrets")
    result = collector(
        "protect",
        "--change-passphrase",
        data_dir=protected,
        **{protection.NEW_PASSPHRASE_ENV: OTHER_PASSPHRASE},
    )
    assert result.exit_code == 0 and "passphrase was changed" in result.output, result.output
    assert (database.read_bytes(), snapshot(protected / "secrets")) == before
    assert "Wrong passphrase" in collector("status", data_dir=protected).output
    result = collector("status", data_dir=protected, passphrase=OTHER_PASSPHRASE)
    assert result.exit_code == 0 and "finalized  3" in result.output, result.output


def test_a_short_new_passphrase_is_refused(hub, data_dir):
    hub.stop()
    result = collector("protect", data_dir=data_dir, passphrase="too short")
    assert result.exit_code == 1 and "at least 12 characters" in result.output
    assert not protection.is_protected(data_dir)


# -- Ciphertexts are bound to their place ---------------------------------------------------


def test_a_ciphertext_moved_to_another_row_does_not_open(protected, db_path):
    first, second = [
        row["uuid"]
        for row in query(
            db_path, "SELECT uuid FROM records WHERE form_id = 'community_feedback' ORDER BY uuid"
        )
    ]
    conn = sqlite3.connect(db_path)
    conn.execute(
        "UPDATE records SET answers = (SELECT answers FROM records WHERE uuid = ?) WHERE uuid = ?",
        [first, second],
    )
    # The revision's ciphertext in the working copy of the same record: another column.
    conn.execute(
        "UPDATE records SET answers = (SELECT answers FROM revisions WHERE uuid = ?"
        " AND revision = 1) WHERE uuid = ?",
        [first, first],
    )
    conn.commit()
    conn.close()
    protection.unlock(protected, PASSPHRASE)
    db = open_database(db_path)
    try:
        for moved in (first, second):
            with pytest.raises(protection.DamagedValue):
                get_record(db, moved)
    finally:
        db.close()


# -- A hub served with --protect --------------------------------------------------------------


def test_a_hub_served_with_protect_stores_what_it_receives_encrypted(tmp_path):
    data_dir = install_key(tmp_path / "hub")
    assert collector("user", "add", ENUMERATOR, "--pin", PIN, data_dir=data_dir).exit_code == 0
    env = {**os.environ, protection.PASSPHRASE_ENV: PASSPHRASE, "PYTHONUNBUFFERED": "1"}
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "collector",
            "serve",
            "--protect",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--https",
            "--https-port",
            "0",
            "--data-dir",
            str(data_dir),
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        output = ""
        while "Listening on" not in output:
            line = server.stdout.readline()
            assert line, output
            output += line
        assert "now protected" in output
        port = re.search(r"Listening on 127\.0\.0\.1:(\d+)", output).group(1)
        https_port = re.search(r"https://127\.0\.0\.1:(\d+)/", output).group(1)
        phone = Browser(f"http://127.0.0.1:{port}", "en")
        phone.signin()
        record_uuid = fill_form(phone, "community_survey", SURVEY)
        # HTTPS works with the key encrypted on disk: the hub holds its password in memory.
        secure = requests.get(
            f"https://127.0.0.1:{https_port}/healthz",
            timeout=30,
            verify=str(data_dir / "tls" / "ca.pem"),
        )
        assert secure.status_code == 200
        # While it serves, nothing it received is in its files, and its answers are sealed.
        assert leaks(data_dir) == []
        rows = query(
            data_dir / "collector.db", "SELECT answers FROM records WHERE uuid = ?", [record_uuid]
        )
        assert rows[0]["answers"].startswith("enc1:")
    finally:
        server.terminate()
        server.wait(timeout=30)
    protection.unlock(data_dir, PASSPHRASE)
    db = open_database(data_dir / "collector.db")
    try:
        assert get_record(db, record_uuid)["answers"]["comments"] == FREE_TEXT
    finally:
        db.close()
    protection.forget(data_dir)
