"""Only the hub's operator enrolls it or changes its server; nothing synced is sent to another
server; no server can weaken a privacy rule; enumerators see only their own records' sync."""

from __future__ import annotations

import copy
import html
import json
import re
import sqlite3
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner
from flask import Flask, Response, jsonify, request

from collector import protocol
from collector.anonymizer import pseudonym, rule_for, weaker_fields
from collector.cli import cli as collector_cli
from collector.db import connect, migrations
from collector.forms import FormError, builtin_forms, load_form
from collector.sync import PREVIEW_KEY
from filling import FEEDBACK_ANSWERS, SURVEY_ANSWERS, fill_form
from support import ENUMERATOR, PIN, Central, LiveHub, change, import_forms, install_key, query
from sync_server import identity
from sync_server.forms import publish
from sync_server.store import Store
from test_feedback import release_reviewed, send_feedback
from test_forms import minimal_form
from test_sync import OPERATOR, add_operator, collector, confirm_fields, fill_everything

# About the hub operator's commands, not the server's storage: SQLite only
# (tests/conftest.py runs the others on PostgreSQL too).
SERVER_ENGINES = ("sqlite",)

FORMS = builtin_forms()
KIOSK_PHONE, TYPED_PHONE = "0712 999888", "0799 123456"


@pytest.fixture
def central_b(tmp_path):
    """A second sync server: someone else's, as far as the hub knows."""
    server = Central(tmp_path / "central-b")
    yield server
    server.stop()


def fingerprint(central) -> str:
    return identity.fingerprint(central.app.config["DATA_DIR"])


def signed_in(hub, name=ENUMERATOR, pin=PIN):
    phone = hub.browser("en")
    phone.signin(name, pin)
    phone.get("/sync")
    return phone


def enroll_on_page(phone, server_url: str, code: str):
    """Both steps as a person does them: check the server, then confirm what was shown."""
    confirm = phone.post("/sync/enroll", {"server": server_url, "code": code})
    assert confirm.status_code == 200, confirm.text
    done = phone.post(
        "/sync/enroll/confirm", dict(confirm_fields(confirm.text)), csrf_from=confirm.text
    )
    return confirm, done


def hub_state(db_path) -> dict:
    return {row["key"]: row["value"] for row in query(db_path, "SELECT key, value FROM hub_state")}


def secret_files(data_dir: Path) -> dict:
    """The secrets an enrollment writes (the pseudonym key comes from the custodian)."""
    return {
        name: (data_dir / "secrets" / name).read_bytes()
        for name in ("device_token",)
        if (data_dir / "secrets" / name).exists()
    }


def installed_key(data_dir: Path) -> bytes:
    return (data_dir / "secrets" / "pseudonym_key").read_bytes()


def all_bytes(folder: Path) -> bytes:
    """Every byte of every file under `folder`, after folding the WAL into the databases."""
    for database in folder.rglob("*.db"):
        conn = sqlite3.connect(database)
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.close()
    return b"".join(path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file())


def events(db_path, event: str) -> list[dict]:
    return query(
        db_path, "SELECT account, detail FROM security_events WHERE event = ? ORDER BY id", [event]
    )


def unused_codes(central) -> int:
    return query(
        central.database, "SELECT count(*) AS n FROM enrollment_codes WHERE used_at IS NULL"
    )[0]["n"]


# -- Roles --------------------------------------------------------------------------------


def test_user_add_operator_and_the_list_shows_the_role(tmp_path):
    data_dir = tmp_path / "hub"
    assert collector("user", "add", "Amina", "--pin", "4821", data_dir=data_dir).output == (
        "Added enumerator Amina.\n"
    )
    result = collector("user", "add", "Omar", "--pin", "9753", "--operator", data_dir=data_dir)
    assert result.exit_code == 0 and result.output == "Added operator Omar.\n"
    assert collector("user", "list", data_dir=data_dir).output == "Amina\nOmar  (operator)\n"
    roles = query(data_dir / "collector.db", "SELECT name, role FROM users ORDER BY name")
    assert roles == [{"name": "Amina", "role": "enumerator"}, {"name": "Omar", "role": "operator"}]
    with pytest.raises(sqlite3.IntegrityError):  # the database itself knows only two roles
        conn = sqlite3.connect(data_dir / "collector.db")
        with conn:
            conn.execute("UPDATE users SET role = 'admin' WHERE name = 'Amina'")


def test_the_migration_counts_earlier_syncs_as_sent_to_the_server_of_the_time(tmp_path):
    path = tmp_path / "collector.db"
    db = connect(path)
    migrations.apply(db, stop_before="m004_hub_roles_and_sent_to")
    now = "2024-05-03T10:00:00Z"
    db.execute("INSERT INTO users (name, pin_hash, created_at) VALUES ('amina', 'x', ?)", [now])
    for uuid, state in (("a" * 8, "sent"), ("b" * 8, "queued")):
        db.execute(
            "INSERT INTO records (uuid, form_id, form_version, locale, status, revision,"
            " started_at, updated_at) VALUES (?, 'f', '1', 'en', 'finalized', 1, ?, ?)",
            [uuid, now, now],
        )
        db.execute(
            "INSERT INTO revisions (uuid, revision, form_id, form_version, locale,"
            " answers, started_at, finalized_at) VALUES (?, 1, 'f', '1', 'en', '{}', ?, ?)",
            [uuid, now, now],
        )
        db.execute(
            "INSERT INTO outbox (uuid, revision, state, queued_at) VALUES (?, 1, ?, ?)",
            [uuid, state, now],
        )
    db.execute(
        "INSERT INTO hub_state (key, value) VALUES ('enrollment', ?)",
        [json.dumps({"server_url": "http://old", "device_id": "device-of-then"})],
    )
    db.conn.commit()
    migrations.apply(db)
    db.close()
    assert query(path, "SELECT uuid, sent_to FROM outbox ORDER BY uuid") == [
        {"uuid": "a" * 8, "sent_to": "device-of-then"},
        {"uuid": "b" * 8, "sent_to": None},
    ]
    assert query(path, "SELECT role FROM users") == [{"role": "enumerator"}]


# -- Enrollment on the Sync page ----------------------------------------------------------


def test_an_enumerator_cannot_enroll_or_change_the_server(
    hub, central, central_b, data_dir, db_path
):
    assert (
        collector(
            "enroll",
            "--yes",
            "--server",
            central.url,
            "--code",
            central.enrollment_code(),
            data_dir=data_dir,
        ).exit_code
        == 0
    )
    before_state, before_secrets = hub_state(db_path), secret_files(data_dir)
    phone = signed_in(hub)
    page = phone.get("/sync").text
    assert 'action="/sync/enroll' not in page and "Check the server" not in page
    code = central_b.enrollment_code()
    step_one = phone.post("/sync/enroll", {"server": central_b.url, "code": code})
    assert step_one.status_code == 403
    assert "Only the laptop's operator can do this." in html.unescape(step_one.text)
    step_two = phone.post(
        "/sync/enroll/confirm",
        {"server": central_b.url, "code": code, "fingerprint": fingerprint(central_b)},
        csrf_from=page,
    )
    assert step_two.status_code == 403
    assert hub_state(db_path) == before_state and secret_files(data_dir) == before_secrets
    assert query(central_b.database, "SELECT count(*) AS n FROM devices")[0]["n"] == 0
    assert unused_codes(central_b) == 1
    assert events(db_path, "server_changed") == []
    # Signed out, the same posts lead to the sign-in page and change nothing either.
    stranger = hub.browser("en")
    form = stranger.get("/signin").text
    answer = stranger.post(
        "/sync/enroll",
        {"server": central_b.url, "code": code},
        csrf_from=form,
        allow_redirects=False,
    )
    assert answer.status_code == 302 and "/signin" in answer.headers["Location"]
    assert hub_state(db_path) == before_state


def test_an_enumerator_cannot_enroll_a_hub_that_has_no_server_yet(hub, central, data_dir, db_path):
    phone = signed_in(hub)
    assert "Only the laptop's operator can enroll" in html.unescape(phone.last.text)
    assert (
        phone.post(
            "/sync/enroll", {"server": central.url, "code": central.enrollment_code()}
        ).status_code
        == 403
    )
    assert "enrollment" not in hub_state(db_path) and secret_files(data_dir) == {}
    assert query(central.database, "SELECT count(*) AS n FROM devices")[0]["n"] == 0


def test_the_operator_enrolls_in_two_steps_after_seeing_the_fingerprint(
    hub, central, data_dir, db_path
):
    add_operator(hub)
    phone = signed_in(hub, *OPERATOR)
    assert "Enroll this laptop" in phone.last.text
    code = central.enrollment_code()
    confirm = phone.post("/sync/enroll", {"server": central.url + "/", "code": code})
    shown = html.unescape(confirm.text)
    assert "Is this the right server?" in shown and fingerprint(central) in shown
    assert central.url in shown and "Plain HTTP" in shown
    assert "This changes the laptop's server" not in shown
    # Step 1 asked the server who it is and nothing more: no code used, nothing stored.
    assert unused_codes(central) == 1 and "enrollment" not in hub_state(db_path)
    assert secret_files(data_dir) == {}
    done = phone.post(
        "/sync/enroll/confirm", dict(confirm_fields(confirm.text)), csrf_from=confirm.text
    )
    assert "This laptop is now enrolled with the server." in done.text
    assert fingerprint(central) in done.text  # the Sync page keeps showing it
    enrollment = json.loads(hub_state(db_path)["enrollment"])
    assert enrollment["server_fingerprint"] == fingerprint(central)
    assert enrollment["server_url"] == central.url
    [operator] = query(db_path, "SELECT id FROM users WHERE name = ?", [OPERATOR[0]])
    assert events(db_path, "device_enrolled") == [
        {"account": f"user:{operator['id']}", "detail": fingerprint(central)}
    ]
    # The server now knows the hub's own signing key.
    from collector import device_keys

    [device] = query(central.database, "SELECT * FROM devices")
    assert device_keys.public_key_text(data_dir) in json.dumps(device)


def test_a_changed_fingerprint_between_the_steps_changes_nothing(
    hub, central, central_b, data_dir, db_path
):
    """The operator saw server A's fingerprint; the address given at step 2 leads to B."""
    add_operator(hub)
    phone = signed_in(hub, *OPERATOR)
    code = central_b.enrollment_code()
    confirm = phone.post("/sync/enroll", {"server": central.url, "code": code})
    fields = dict(confirm_fields(confirm.text), server=central_b.url)
    done = phone.post("/sync/enroll/confirm", fields, csrf_from=confirm.text)
    assert "is not the one you confirmed" in html.unescape(done.text)
    assert "enrollment" not in hub_state(db_path) and secret_files(data_dir) == {}
    assert unused_codes(central_b) == 1  # the code never left the laptop


def impostor(health_from, enroll_to, tamper=None) -> LiveHub:
    """A server in the middle: it answers health as one server and enrollment as another,
    and may change the enroll answer on the way."""
    app = Flask("impostor")

    @app.route("/api/v1/health")
    def health():
        answer = requests.get(health_from.url + "/api/v1/health", timeout=10)
        return Response(answer.content, answer.status_code, content_type="application/json")

    @app.route("/api/v1/enroll", methods=["POST"])
    def enroll():
        answer = requests.post(
            enroll_to.url + "/api/v1/enroll",
            data=request.get_data(),
            headers={
                "Content-Type": "application/json",
                protocol.VERSION_HEADER: protocol.PROTOCOL_VERSION,
            },
            timeout=10,
        )
        body = answer.json()
        if tamper:
            tamper(body)
        return jsonify(body), answer.status_code

    return LiveHub(app)


def _answer_for_another_request(answer):
    answer["device_id"] = "00000000-0000-4000-8000-000000000000"


def _signature_of_something_else(answer):
    answer["server_signature"] = answer["server_signature"][::-1]


@pytest.mark.parametrize(
    "tamper, answered_by_b, expected",
    [
        (_answer_for_another_request, False, "not signed by its identity key"),
        (_signature_of_something_else, False, "not signed by its identity key"),
        (None, True, "is not the one you confirmed"),
    ],
)
def test_an_answer_not_signed_by_the_confirmed_server_changes_nothing(
    hub, central, central_b, data_dir, db_path, tamper, answered_by_b, expected
):
    """Health is server A's (the operator confirms A's fingerprint); the enroll answer is
    A's altered on the way, or B's, correctly signed by B."""
    add_operator(hub)
    assert (
        collector(
            "enroll",
            "--yes",
            "--server",
            central.url,
            "--code",
            central.enrollment_code(),
            data_dir=data_dir,
        ).exit_code
        == 0
    )
    before = {k: v for k, v in hub_state(db_path).items() if k != "pending_enrollment"}
    before_secrets = secret_files(data_dir)
    answering = central_b if answered_by_b else central
    middle = impostor(central, answering, tamper)
    try:
        phone = signed_in(hub, *OPERATOR)
        confirm, done = enroll_on_page(phone, middle.url, answering.enrollment_code())
    finally:
        middle.stop()
    assert fingerprint(central) in html.unescape(confirm.text)
    assert expected in html.unescape(done.text)
    after = {k: v for k, v in hub_state(db_path).items() if k != "pending_enrollment"}
    assert after == before and secret_files(data_dir) == before_secrets
    assert events(db_path, "server_changed") == []


# -- A change of server -------------------------------------------------------------------


def test_a_change_of_server_never_sends_what_the_first_server_holds(
    hub, central, central_b, data_dir, db_path
):
    assert (
        collector(
            "enroll",
            "--yes",
            "--server",
            central.url,
            "--code",
            central.enrollment_code(),
            data_dir=data_dir,
        ).exit_code
        == 0
    )
    old_uuids = fill_everything(hub, surveys=2)
    assert collector("sync", data_dir=data_dir).exit_code == 0
    held_by_a = {r["uuid"] for r in query(central.database, "SELECT uuid FROM records")}
    assert len(held_by_a) == 4 and set(old_uuids) <= held_by_a
    key = installed_key(data_dir)
    [device_a] = query(central.database, "SELECT id FROM devices")

    add_operator(hub)
    phone = signed_in(hub, *OPERATOR)
    confirm, done = enroll_on_page(phone, central_b.url, central_b.enrollment_code())
    warning = html.unescape(confirm.text)
    assert "This changes the laptop's server" in warning
    assert central.url in warning and fingerprint(central) in warning
    assert "They are not sent to the new server." in warning
    assert "This laptop is now enrolled with the server." in done.text
    assert installed_key(data_dir) == key  # the custodian's key is kept
    assert [e["detail"] for e in events(db_path, "server_changed")] == [fingerprint(central_b)]

    new_uuid = fill_form(signed_in(hub), "community_survey", SURVEY_ANSWERS)
    for _ in range(2):  # a second sync re-checks with the new server: still nothing old
        result = collector("sync", data_dir=data_dir)
        assert result.exit_code == 0, result.output
        assert "missing" not in result.output
    held_by_b = query(central_b.database, "SELECT uuid, enumerator FROM records")
    assert [r["uuid"] for r in held_by_b] == [new_uuid]
    raw = all_bytes(Path(central_b.app.config["DATA_DIR"]))
    for uuid in held_by_a:
        assert uuid.encode() not in raw
    # Same key, same codes: the new server links the enumerator as the first one did.
    first_codes = {
        r["enumerator"]
        for r in query(
            central.database, "SELECT enumerator FROM records WHERE enumerator IS NOT NULL"
        )
    }
    assert held_by_b[0]["enumerator"] in first_codes
    sent_to = query(
        db_path, "SELECT sent_to, count(*) AS n FROM outbox GROUP BY sent_to ORDER BY n DESC"
    )
    [device_b] = query(central_b.database, "SELECT id FROM devices")
    assert sent_to == [{"sent_to": device_a["id"], "n": 4}, {"sent_to": device_b["id"], "n": 1}]
    assert query(central.database, "SELECT count(*) AS n FROM records")[0]["n"] == 4


def test_reconciliation_still_repairs_what_the_current_server_lost(
    hub, central, central_b, data_dir, db_path
):
    """Scoping reconciliation to the current server keeps its purpose for that server."""
    assert (
        collector(
            "enroll",
            "--yes",
            "--server",
            central.url,
            "--code",
            central.enrollment_code(),
            data_dir=data_dir,
        ).exit_code
        == 0
    )
    fill_everything(hub, surveys=1)
    assert collector("sync", data_dir=data_dir).exit_code == 0
    assert (
        collector(
            "enroll",
            "--yes",
            "--server",
            central_b.url,
            "--code",
            central_b.enrollment_code(),
            data_dir=data_dir,
        ).exit_code
        == 0
    )
    uuids = [fill_form(signed_in(hub), "community_survey", SURVEY_ANSWERS) for _ in range(2)]
    assert collector("sync", data_dir=data_dir).exit_code == 0
    # B loses one of its records (restored from an old backup, say).
    change(central_b.database, "DELETE FROM records WHERE uuid = ?", [uuids[0]])
    result = collector("sync", data_dir=data_dir)
    assert result.exit_code == 0 and "The server was missing 1 records" in result.output
    assert sorted(
        r["uuid"] for r in query(central_b.database, "SELECT uuid FROM records")
    ) == sorted(uuids)


# -- The command line ---------------------------------------------------------------------


def test_the_command_line_shows_the_server_and_asks_first(central, central_b, tmp_path):
    data_dir = install_key(tmp_path / "hub")
    code = central.enrollment_code()
    refused = CliRunner().invoke(
        collector_cli,
        ["enroll", "--server", central.url, "--code", code, "--data-dir", str(data_dir)],
        input="n\n",
    )
    assert refused.exit_code == 1
    assert f"Fingerprint: {fingerprint(central)}" in refused.output
    assert "Enroll with this server? [y/N]" in refused.output
    assert "plain HTTP" in refused.output
    assert unused_codes(central) == 1 and secret_files(data_dir) == {}
    accepted = CliRunner().invoke(
        collector_cli,
        ["enroll", "--server", central.url, "--code", code, "--data-dir", str(data_dir)],
        input="y\n",
    )
    assert accepted.exit_code == 0 and "Enrolled as device" in accepted.output
    key = installed_key(data_dir)

    # A wrong --fingerprint: refused before the code is sent, nothing changes.
    code_b = central_b.enrollment_code()
    state = hub_state(data_dir / "collector.db")
    wrong = collector(
        "enroll",
        "--server",
        central_b.url,
        "--code",
        code_b,
        "--fingerprint",
        fingerprint(central),
        data_dir=data_dir,
    )
    assert wrong.exit_code == 1 and "nothing was changed" in wrong.output
    assert "Warning: this changes the laptop's server." in wrong.output
    assert "they are NOT sent to the new server" in wrong.output
    assert hub_state(data_dir / "collector.db") == state and unused_codes(central_b) == 1
    # The right one, typed in lower case without spaces, enrolls without asking.
    typed = fingerprint(central_b).replace(" ", "").lower()
    right = collector(
        "enroll",
        "--server",
        central_b.url,
        "--code",
        code_b,
        "--fingerprint",
        typed,
        data_dir=data_dir,
    )
    assert right.exit_code == 0 and "[y/N]" not in right.output, right.output
    enrollment = json.loads(hub_state(data_dir / "collector.db")["enrollment"])
    assert enrollment["server_url"] == central_b.url
    assert enrollment["server_fingerprint"] == fingerprint(central_b)
    assert installed_key(data_dir) == key
    assert [e["detail"] for e in events(data_dir / "collector.db", "server_changed")] == [
        fingerprint(central_b)
    ]


def test_the_command_line_refuses_what_is_not_a_sync_server(hub, tmp_path):
    """The hub itself answers on the address: no identity, nothing stored."""
    data_dir = tmp_path / "other"
    result = collector(
        "enroll", "--yes", "--server", hub.url, "--code", "AAAA-BBBB-CCCC", data_dir=data_dir
    )
    assert result.exit_code == 1 and "Enrollment failed" in result.output
    assert secret_files(data_dir) == {}


# -- No server weakens a privacy rule -----------------------------------------------------


def variant(form_id: str, version: str, **questions) -> dict:
    """A built-in form's definition under another version, with some questions changed."""
    data = copy.deepcopy(FORMS[form_id].data)
    data["version"] = version
    for section in data["sections"]:
        for question in section["questions"]:
            question.update(questions.get(question["name"], {}))
    return data


def question_without(data: dict, name: str, key: str) -> dict:
    for section in data["sections"]:
        for question in section["questions"]:
            if question["name"] == name:
                question.pop(key, None)
    return data


def publish_on(central, *definitions, raw=False) -> None:
    store = Store(central.database)
    try:
        for definition in definitions:
            text = json.dumps(definition)
            if raw:  # as a hostile server would: no validation at all
                store.publish_form(definition["form_id"], definition["version"], text, "x")
            else:
                publish(store, text, "admin")
    finally:
        store.close()


def test_a_server_cannot_weaken_a_rule_and_no_phone_number_leaves(
    hub, central, central_b, data_dir, db_path
):
    assert (
        collector(
            "enroll",
            "--yes",
            "--server",
            central.url,
            "--code",
            central.enrollment_code(),
            data_dir=data_dir,
        ).exit_code
        == 0
    )
    assert (
        collector(
            "enroll",
            "--yes",
            "--server",
            central_b.url,
            "--code",
            central_b.enrollment_code(),
            data_dir=data_dir,
        ).exit_code
        == 0
    )
    # Server B publishes: the contact no longer identifying and kept; the message no longer
    # scrubbed; an identifying contact kept (not even a valid form); and one honest update.
    unmarked = question_without(
        variant("community_feedback", "2-contact", contact={"privacy": "keep"}),
        "contact",
        "identifying",
    )
    publish_on(
        central_b,
        unmarked,
        variant("community_feedback", "3-message", message={"privacy": "keep"}),
        variant("community_survey", "2-honest"),
    )
    publish_on(
        central_b,
        variant(
            "community_feedback", "4-invalid", contact={"identifying": True, "privacy": "keep"}
        ),
        raw=True,
    )
    result = collector("sync", data_dir=data_dir)
    assert result.exit_code == 0, result.output
    assert "1 new form versions" in result.output
    installed = {
        (r["form_id"], r["version"]) for r in query(db_path, "SELECT form_id, version FROM forms")
    }
    assert installed == {("community_survey", "2-honest")}
    refusals = json.loads(hub_state(db_path)["refused_forms"])
    assert {(r["form_id"], r["version"], tuple(r["fields"])) for r in refusals} == {
        ("community_feedback", "2-contact", ("contact",)),
        ("community_feedback", "3-message", ("message",)),
        ("community_feedback", "4-invalid", ()),
    }
    assert sorted(e["detail"] for e in events(db_path, "form_refused")) == [
        "community_feedback 2-contact: contact",
        "community_feedback 3-message: message",
        "community_feedback 4-invalid: invalid",
    ]

    # The kiosk still uses the version on the hub: the contact stays, the message is scrubbed.
    kiosk = hub.browser("en")
    assert "2-contact" not in kiosk.get("/feedback").text
    send_feedback(
        kiosk,
        dict(
            FEEDBACK_ANSWERS,
            wants_reply="yes",
            contact=KIOSK_PHONE,
            message=f"Call me back on {TYPED_PHONE} please",
        ),
    )
    release_reviewed(hub)
    assert collector("sync", data_dir=data_dir).exit_code == 0
    assert len(events(db_path, "form_refused")) == 3  # not downloaded, nor logged, again
    [feedback] = query(central_b.database, "SELECT answers FROM records")
    assert "contact" not in json.loads(feedback["answers"])
    raw = all_bytes(Path(central_b.app.config["DATA_DIR"]))
    for phone in (KIOSK_PHONE, TYPED_PHONE):
        for form in (phone, phone.replace(" ", "")):
            assert form.encode() not in raw, form

    # Operators see the refusals on the Sync page; enumerators do not.
    add_operator(hub)
    page = html.unescape(signed_in(hub, *OPERATOR).last.text)
    assert (
        "The server sent form community_feedback version 3-message that would send more "
        "about people than the version on this hub; it was not installed."
    ) in page
    assert "version 4-invalid that this hub cannot read" in page
    assert "3-message" not in signed_in(hub).last.text


def test_a_form_that_marks_an_identifying_field_keep_does_not_load():
    for rule in ("keep", "scrub", "generalize:month", "generalize:bins:1,2"):
        data = variant("community_feedback", "9", contact={"privacy": rule})
        with pytest.raises(FormError) as caught:
            load_form(data)
        assert (
            f"The identifying field 'contact' must be dropped or pseudonymized, not '{rule}'"
            in str(caught.value)
        )
    for rule in ("drop", "pseudonymize"):
        load_form(variant("community_feedback", "9", contact={"privacy": rule}))


def _form(**questions) -> object:
    """A one-section form whose questions are given as name={spec}."""
    return load_form(
        minimal_form(
            sections=[
                {
                    "name": "main",
                    "label": {"en": "Main"},
                    "questions": [
                        {"name": name, "label": {"en": name}, **spec}
                        for name, spec in questions.items()
                    ],
                }
            ],
            choices={"areas": [{"name": "N1", "label": {"en": "N1"}, "parent": "N"}]},
        )
    )


@pytest.mark.parametrize(
    "old, new, weaker",
    [
        ({"type": "text", "privacy": "drop"}, {"type": "text", "privacy": "pseudonymize"}, True),
        ({"type": "text", "privacy": "pseudonymize"}, {"type": "text", "privacy": "drop"}, False),
        ({"type": "text"}, {"type": "text", "privacy": "keep"}, True),  # scrub by default
        ({"type": "text"}, {"type": "text", "privacy": "drop"}, False),
        ({"type": "date"}, {"type": "date", "privacy": "scrub"}, True),  # month by default
        (
            {"type": "integer", "privacy": "generalize:age_band"},
            {"type": "integer", "privacy": "generalize:bins:1,2,3,4,5,6,7,8,9"},
            True,
        ),
        (
            {"type": "integer", "privacy": "generalize:bins:5,10"},
            {"type": "integer", "privacy": "generalize:bins:5,10"},
            False,
        ),
        (
            {"type": "integer", "privacy": "keep"},
            {"type": "integer", "privacy": "generalize:bins:5"},
            False,
        ),
        (
            {"type": "select_one", "choices": "areas", "privacy": "generalize:parent"},
            {"type": "select_one", "choices": "areas"},
            True,
        ),  # keep by default
        ({"type": "text", "identifying": True}, {"type": "text", "privacy": "drop"}, True),
        (
            {"type": "text", "identifying": True, "privacy": "pseudonymize"},
            {"type": "text", "identifying": True},
            False,
        ),
        ({"type": "text"}, {"type": "note"}, False),  # a note holds no answer
    ],
)
def test_weaker_fields_follows_the_strength_order(old, new, weaker):
    found = weaker_fields(
        _form(field=old, other={"type": "integer"}), _form(field=new, other={"type": "integer"})
    )
    assert found == (["field"] if weaker else [])


def test_weaker_fields_compares_the_rule_a_calculation_gets_and_ignores_new_questions():
    old = _form(
        age={"type": "integer", "privacy": "generalize:age_band"},
        age_copy={"type": "calculate", "calculation": "${age}"},
    )
    new = _form(
        age={"type": "integer", "privacy": "keep"},
        age_copy={"type": "calculate", "calculation": "${age}"},
        added={"type": "text", "privacy": "keep"},
    )
    # The copy of the age was dropped; once the age is kept, the copy leaves too.
    assert rule_for(old.questions["age_copy"], old) == "drop"
    assert weaker_fields(old, new) == ["age", "age_copy"]
    assert weaker_fields(new, old) == []


def test_the_operator_may_import_a_weaker_form_with_a_warning(tmp_path):
    data_dir = tmp_path / "hub"
    definition = tmp_path / "feedback.json"
    definition.write_text(
        json.dumps(variant("community_feedback", "2-local", message={"privacy": "keep"}))
    )
    result = CliRunner().invoke(
        collector_cli, ["forms", "import", str(definition), "--data-dir", str(data_dir)]
    )
    assert result.exit_code == 0
    assert (
        "Warning: community_feedback version 2-local sends more about people than the "
        "version on this hub, for: message."
    ) in result.output
    assert query(data_dir / "collector.db", "SELECT version FROM forms") == [{"version": "2-local"}]


# -- Point 13: kiosk messages and other people's records ----------------------------------


def test_a_kiosk_message_is_previewed_by_the_operator_only(hub, db_path):
    add_operator(hub)
    hub.add_enumerator("bashir", "1357")
    send_feedback(hub.browser("sw"), dict(FEEDBACK_ANSWERS, wants_reply="yes", contact=KIOSK_PHONE))
    [kiosk] = query(db_path, "SELECT uuid FROM records WHERE enumerator_id IS NULL")
    amina = signed_in(hub)
    own = fill_form(amina, "community_survey", SURVEY_ANSWERS)
    bashir, operator = signed_in(hub, "bashir", "1357"), signed_in(hub, *OPERATOR)
    assert amina.get(f"/sync/preview/{kiosk['uuid']}").status_code == 404
    assert bashir.get(f"/sync/preview/{kiosk['uuid']}").status_code == 404
    shown = operator.get(f"/sync/preview/{kiosk['uuid']}")
    assert shown.status_code == 200 and KIOSK_PHONE not in shown.text
    payload = json.loads(
        html.unescape(
            re.search(r'<pre class="payload" translate="no">(.*?)</pre>', shown.text, re.S).group(1)
        )
    )
    assert payload["enumerator"] is None and "contact" not in payload["answers"]
    # Another enumerator's record stays hidden, from the operator too; its owner sees it.
    assert bashir.get(f"/sync/preview/{own}").status_code == 404
    assert operator.get(f"/sync/preview/{own}").status_code == 404
    page = amina.get(f"/sync/preview/{own}").text
    payload = json.loads(
        html.unescape(
            re.search(r'<pre class="payload" translate="no">(.*?)</pre>', page, re.S).group(1)
        )
    )
    assert payload["enumerator"] == pseudonym("enumerator", ENUMERATOR, PREVIEW_KEY)


def test_the_rejected_list_shows_an_enumerator_only_their_own(hub, central, data_dir, db_path):
    add_operator(hub)
    hub.add_enumerator("bashir", "1357")
    assert (
        collector(
            "enroll",
            "--yes",
            "--server",
            central.url,
            "--code",
            central.enrollment_code(),
            data_dir=data_dir,
        ).exit_code
        == 0
    )
    # Versions the server never heard of: everything filled with them is rejected.
    import_forms(db_path, minimal_form(), variant("community_feedback", "1-local"))
    rejected = {}
    for name, pin in ((ENUMERATOR, PIN), ("bashir", "1357")):
        phone = signed_in(hub, name, pin)
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
        rejected[name] = path.split("/")[2]
        phone.post(f"/records/{rejected[name]}/finalize", {})
    send_feedback(hub.browser("en"), FEEDBACK_ANSWERS)
    release_reviewed(hub)
    [kiosk] = query(db_path, "SELECT uuid FROM records WHERE enumerator_id IS NULL")
    rejected["kiosk"] = kiosk["uuid"]
    assert collector("sync", data_dir=data_dir).exit_code == 1
    assert query(db_path, "SELECT count(*) AS n FROM outbox WHERE state = 'rejected'")[0]["n"] == 3

    def listed(phone):
        return {who for who, uuid in rejected.items() if uuid[:8] in phone.get("/sync").text}

    assert listed(signed_in(hub)) == {ENUMERATOR}
    assert listed(signed_in(hub, "bashir", "1357")) == {"bashir"}
    operator = signed_in(hub, *OPERATOR)
    assert listed(operator) == {ENUMERATOR, "bashir", "kiosk"}
    # Its "What is sent" link leads only where the operator may look: the kiosk message.
    links = set(re.findall(r'href="/sync/preview/([0-9a-f-]{36})"', operator.get("/sync").text))
    assert links == {rejected["kiosk"]}
