"""A purge leaves nothing behind: identifying answers, repeats, free text and stale drafts,
in the records, every revision, the database file and its write-ahead log, while the hub
serves phones; and every file the collector makes is its owner's only."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from collector.cli import cli as collector_cli
from collector.db import connect
from filling import REPORT_ANSWERS, SURVEY_ANSWERS, fill_form, page_data
from support import open_to_others, query
from test_feedback import release_reviewed, send_feedback
from test_repeats import ROSTER, whole
from test_sync import collector, enrolled, server_command  # noqa: F401  (enrolled: a fixture)

# About the hub's purge, not the server's storage: SQLite only
# (tests/conftest.py runs the others on PostgreSQL too).
SERVER_ENGINES = ("sqlite",)

# Distinctive values, each planted once: none may be left anywhere after the purge.
SURVEY = dict(
    SURVEY_ANSWERS,
    respondent_name="Wanjiru Odhiambo",
    respondent_phone="+254 733 918 264",
    comments="Wanjiru says call 0733-918-264 or write wanjiru.o@example.net; "
    "her card is 29384756. The water point is broken.",
)
REPORT = dict(
    REPORT_ANSWERS,
    reporter_name="فاطمة الزهراء",
    reporter_contact="fz.report@example.org",
    incident_description="رفضوا خدمة فاطمة في المكتب، رقمها 0722 481 937",
)
KIOSK = {
    "feedback_type": "complaint",
    "topic": "water",
    "wants_reply": "yes",
    "contact": "0711 264 093",
    "message": "Write to kioskuser@example.com about the tap.",
}
ROSTER_RECORD = "5b1f3e0a-94c1-4d55-8f7e-2a6c1d9b0e44"
ROSTER_FIELDS = [
    ("_uuid", ROSTER_RECORD),
    ("_action", "finalize"),
    ("form_version", "1"),
    ("head_name", "Kiprono Chebet"),
    ("hh_size", "2"),
    ("_repeat.visits", "1"),
    ("member_name.1", "Nyokabi"),
    ("member_age.1", "41"),
    ("member_phone.1", "0799 318 552"),
    ("member_name.2", "Tumaini"),
    ("member_age.2", "12"),
    ("in_school.2", "yes"),
    ("member_phone.2", "+255 754 660 127"),
    ("school_fees", "1500"),
    ("visit_date.1", "2024-03-01"),
    ("visit_note.1", "Nyokabi gave 0799 318 552 again"),
    ("visit_by.1", "Field team"),
]
STALE_DRAFT = dict(
    SURVEY_ANSWERS,
    respondent_name="Chidinma Okafor",
    respondent_phone="+234 803 555 0192",
    comments="Chidinma asked us to use chidinma.ok@example.com, ID 48213376.",
)
RECENT_DRAFT = dict(
    SURVEY_ANSWERS,
    respondent_name="Ayaan Warsame",
    respondent_phone="+252 61 774 3390",
    comments="Ayaan will finish later.",
)

PURGED_VALUES = [
    "Wanjiru",
    "Odhiambo",
    "733 918 264",
    "0733-918-264",
    "wanjiru.o@example.net",
    "29384756",
    "فاطمة",
    "الزهراء",
    "fz.report@example.org",
    "0722 481 937",
    "0711 264 093",
    "kioskuser@example.com",
    "Kiprono",
    "Chebet",
    "Nyokabi",
    "Tumaini",
    "0799 318 552",
    "754 660 127",
    "Chidinma",
    "Okafor",
    "803 555 0192",
    "chidinma.ok@example.com",
    "48213376",
]
KEPT_VALUES = ["Ayaan", "Warsame", "61 774 3390", "The water point is broken."]


def forms_of(value: str) -> list[bytes]:
    """A value as SQLite may hold it: UTF-8 (answers are stored with ensure_ascii=False)
    and, to be safe, JSON's \\u escapes."""
    return [value.encode("utf-8"), json.dumps(value).strip('"').encode("ascii")]


def leftovers(db_path: Path, values) -> dict[str, list[str]]:
    """Which values are in which of the database's files, byte for byte, as they are on
    disk right now (nothing is checkpointed or closed first)."""
    found = {}
    for path in sorted(db_path.parent.glob(db_path.name + "*")):
        raw = path.read_bytes()
        hits = [value for value in values if any(form in raw for form in forms_of(value))]
        if hits:
            found[path.name] = hits
    return found


def scrubbed(text: str, *kept: str) -> bool:
    """Free text as the purge leaves it: no planted value, placeholders where they were
    (the scrubber decides which), the ordinary words still there."""
    return not any(value in text for value in PURGED_VALUES) and all(part in text for part in kept)


def age_draft(db_path: Path, record_uuid: str, days: int) -> None:
    """A draft left alone for `days`: its times moved back, as the hub's own connection
    would write them."""
    db = connect(db_path)
    try:
        db.execute(
            "UPDATE records SET"
            " updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', updated_at, ?),"
            " purged_at = strftime('%Y-%m-%dT%H:%M:%SZ', purged_at, ?)"
            " WHERE uuid = ?",
            [f"-{days} days", f"-{days} days", record_uuid],
        )
        db.conn.commit()
    finally:
        db.close()


class BusyPhone(threading.Thread):
    """A signed-in phone that keeps opening pages while the purge runs."""

    def __init__(self, phone):
        super().__init__(daemon=True)
        self.phone, self.stopping, self.statuses = phone, threading.Event(), []

    def run(self):
        while not self.stopping.is_set():
            self.statuses.append(self.phone.get("/records").status_code)

    def stop(self):
        self.stopping.set()
        self.join(timeout=30)


@pytest.fixture
def filled_hub(enrolled, central, data_dir, db_path, tmp_path):
    """Synced records of every kind (survey, Arabic report, kiosk, roster with repeats),
    a draft left 40 days ago and a draft from today."""
    definition = tmp_path / "roster.json"
    definition.write_text(json.dumps(ROSTER))
    assert server_command("forms", "publish", definition, central=central).exit_code == 0
    assert collector("sync", data_dir=data_dir).exit_code == 0  # brings the roster form
    phone = enrolled.browser("en")
    phone.signin()
    fill_form(phone, "community_survey", SURVEY)
    fill_form(phone, "discrimination_report", REPORT)
    send_feedback(enrolled.browser("sw"), KIOSK)
    release_reviewed(enrolled)
    page = phone.get("/forms/roster/phone").text
    response = phone.post(
        "/forms/roster/submit", whole(ROSTER_FIELDS), csrf_from=page, headers={"X-Hub-Outbox": "1"}
    )
    assert response.json()["status"] == "finalized", response.json()
    result = collector("sync", data_dir=data_dir)
    assert result.exit_code == 0 and "Stored 4," in result.output, result.output
    stale = fill_form(phone, "community_survey", STALE_DRAFT, finalize=False)
    age_draft(db_path, stale, days=40)
    fill_form(phone, "community_survey", RECENT_DRAFT, finalize=False)
    return phone


def test_a_purge_while_serving_leaves_no_removed_value_in_any_database_file(
    filled_hub, data_dir, db_path
):
    # Nothing is old enough yet: the default purge keeps every record whole.
    result = collector("purge", data_dir=data_dir)
    assert result.exit_code == 0, result.output
    assert "from 0 records synced more than 30 days ago" in result.output
    assert "from 1 drafts not changed for 30 days" in result.output  # the stale one
    answers = " ".join(row["answers"] for row in query(db_path, "SELECT answers FROM records"))
    for value in ["Wanjiru", "فاطمة", "Nyokabi", "0711 264 093", *KEPT_VALUES]:
        assert value in answers, value
    assert "Chidinma" not in answers and "48213376" not in answers

    busy = BusyPhone(filled_hub)
    busy.start()
    try:
        result = collector("purge", "--days", "0", data_dir=data_dir)
    finally:
        busy.stop()
    assert result.exit_code == 0, result.output
    assert "from 4 records synced more than 0 days ago" in result.output
    assert busy.statuses and set(busy.statuses) == {200}

    # The hub keeps serving (its pages write sessions to the same files) and nothing comes back.
    assert filled_hub.get("/records").status_code == 200
    assert leftovers(db_path, PURGED_VALUES) == {}
    assert all(leftovers(db_path, [value]) for value in KEPT_VALUES)


def test_what_a_purge_leaves_of_each_record(filled_hub, data_dir, db_path):
    assert collector("purge", "--days", "0", data_dir=data_dir).exit_code == 0
    rows = {
        row["form_id"] + ("/draft" if row["status"] == "draft" else ""): json.loads(row["answers"])
        for row in query(
            db_path, "SELECT form_id, status, answers FROM records WHERE purged_at IS NOT NULL"
        )
    }
    survey = rows["community_survey"]
    assert "respondent_name" not in survey and "respondent_phone" not in survey
    assert scrubbed(
        survey["comments"], "[name] says call", "or write [email]", "The water point is broken."
    )
    assert survey["age"] == 34 and survey["discrimination_grounds"] == ["nationality", "language"]
    report = rows["discrimination_report"]
    assert "reporter_name" not in report and "reporter_contact" not in report
    assert scrubbed(report["incident_description"], "رفضوا خدمة [name] في المكتب")
    assert "contact" not in rows["community_feedback"]
    assert scrubbed(rows["community_feedback"]["message"], "Write to [email] about the tap.")
    roster = rows["roster"]
    assert "head_name" not in roster and roster["hh_size"] == 2
    assert [sorted(m) for m in roster["members"]] == [
        ["is_child", "member_age", "member_no"],
        ["in_school", "is_child", "member_age", "member_no"],
    ]
    assert scrubbed(roster["visits"][0]["visit_note"], "[name] gave", "again")
    draft = rows["community_survey/draft"]
    assert "respondent_name" not in draft
    assert scrubbed(draft["comments"], "[name] asked us to use [email], ID")
    # Every revision held what the working copy held: purged alike.
    for row in query(db_path, "SELECT answers FROM revisions"):
        for value in PURGED_VALUES:
            assert value not in row["answers"], value
    [recent] = query(db_path, "SELECT answers FROM records WHERE purged_at IS NULL")
    assert json.loads(recent["answers"])["respondent_name"] == "Ayaan Warsame"


def test_a_second_purge_changes_nothing(filled_hub, data_dir, db_path):
    assert collector("purge", "--days", "0", data_dir=data_dir).exit_code == 0
    before = query(db_path, "SELECT uuid, answers, purged_at FROM records ORDER BY uuid")
    revisions = query(db_path, "SELECT uuid, revision, answers FROM revisions ORDER BY uuid")
    result = collector("purge", "--days", "0", data_dir=data_dir)
    assert result.exit_code == 0
    assert "from 0 records" in result.output and "from 0 drafts" in result.output
    assert query(db_path, "SELECT uuid, answers, purged_at FROM records ORDER BY uuid") == before
    assert query(db_path, "SELECT uuid, revision, answers FROM revisions ORDER BY uuid") == (
        revisions
    )


def test_a_purged_draft_taken_up_again_is_purged_again(hub, data_dir, db_path):
    phone = hub.browser("en")
    phone.signin()
    record_uuid = fill_form(phone, "community_survey", STALE_DRAFT, finalize=False)
    assert "from 1 drafts" in collector("purge", "--drafts-days", "0", data_dir=data_dir).output
    assert leftovers(db_path, ["Chidinma", "Okafor"]) == {}
    # The enumerator comes back to it and types the name again: a later purge takes it too.
    page = f"/records/{record_uuid}/1"  # background: the respondent's name and phone
    phone.get(page)
    response = phone.post(page, page_data("community_survey", 1, STALE_DRAFT))
    assert response.status_code == 200
    [draft] = query(db_path, "SELECT answers, updated_at, purged_at FROM records")
    assert "Chidinma Okafor" in draft["answers"] and draft["updated_at"] >= draft["purged_at"]
    assert "from 0 drafts" in collector("purge", data_dir=data_dir).output  # not stale yet
    age_draft(db_path, record_uuid, days=31)
    assert "from 1 drafts" in collector("purge", data_dir=data_dir).output
    assert leftovers(db_path, ["Chidinma", "Okafor", "803 555 0192"]) == {}


def test_a_log_held_open_by_another_program_is_reported_not_hidden(hub, data_dir, db_path):
    phone = hub.browser("en")
    phone.signin()
    fill_form(phone, "community_survey", STALE_DRAFT, finalize=False)
    reader = sqlite3.connect(db_path)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM records").fetchone()  # a read transaction stays open
    try:
        result = collector("purge", "--drafts-days", "0", "--wait", "0.5", data_dir=data_dir)
        assert result.exit_code == 1
        assert "from 1 drafts" in result.output
        assert "write-ahead log (collector.db-wal) still holds old copies" in result.output
    finally:
        reader.close()
    result = collector("purge", "--drafts-days", "0", data_dir=data_dir)
    assert result.exit_code == 0 and "from 0 drafts" in result.output
    assert leftovers(db_path, ["Chidinma", "Okafor", "48213376"]) == {}


# -- Owner-only files ------------------------------------------------------------------


def run(*args):
    return CliRunner().invoke(collector_cli, [str(arg) for arg in args], catch_exceptions=False)


posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")


@posix_only
def test_files_made_by_commands_are_owner_only(usual_umask, tmp_path):
    data_dir = tmp_path / "hub"
    assert run("user", "add", "Zuri", "--pin", "4321", "--data-dir", data_dir).exit_code == 0
    assert (data_dir / "collector.db").exists()
    assert open_to_others(data_dir) == []
    backups = tmp_path / "usb"
    backups.mkdir()
    result = run("backup", backups / "hub.db", "--data-dir", data_dir)
    assert result.exit_code == 0, result.output
    assert open_to_others(backups) == []
    assert run("purge", "--data-dir", data_dir).exit_code == 0
    assert open_to_others(data_dir) == []


@posix_only
def test_database_files_left_readable_are_closed_by_the_next_command(usual_umask, tmp_path):
    data_dir = tmp_path / "hub"
    assert run("status", "--data-dir", data_dir).exit_code == 0
    database = data_dir / "collector.db"
    other = sqlite3.connect(database)  # another program keeps it open: -wal and -shm exist
    try:
        other.execute("CREATE TABLE notes (x)")
        other.commit()
        for path in (database, Path(f"{database}-wal"), Path(f"{database}-shm")):
            os.chmod(path, 0o644)
        assert run("status", "--data-dir", data_dir).exit_code == 0
        modes = {
            path.name: stat.S_IMODE(path.stat().st_mode) for path in data_dir.glob("collector.db*")
        }
        assert modes == {
            "collector.db": 0o600,
            "collector.db-wal": 0o600,
            "collector.db-shm": 0o600,
        }
    finally:
        other.close()


@posix_only
def test_the_hub_app_makes_owner_only_files(usual_umask, tmp_path):
    from collector import create_app

    data_dir = tmp_path / "hub"
    app = create_app(data_dir=data_dir)
    with app.test_client() as client:
        assert client.get("/healthz").status_code == 200
    assert open_to_others(data_dir) == []
