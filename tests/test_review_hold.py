"""Kiosk free text waits on the laptop until the operator has read it, removed more words
if needed and released it; nothing waits silently."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest

from collector.anonymizer import anonymize
from collector.forms import builtin_forms
from filling import FEEDBACK_ANSWERS, SURVEY_ANSWERS, fill_form
from support import PIN, change, database_bytes, query
from test_feedback import send_feedback
from test_sync import OPERATOR, add_operator, collector, enrolled  # noqa: F401 (fixture)

# About the hub's review hold, not the server's storage: SQLite only
# (tests/conftest.py runs the others on PostgreSQL too).
SERVER_ENGINES = ("sqlite",)

FORMS = builtin_forms()
KEY = b"a pseudonym key for these tests"
LANGUAGE = "swahili"  # a language from the list: no free text to name another
# The scrubber removes the name and the phone number; "Kibera Junction" is a place it keeps,
# which the operator decides is too telling.
MESSAGE = (
    "Wanjiru at 0712 345 678 says the borehole near the kiosk at Kibera Junction "
    "has been broken since Monday."
)


def kiosk_message(hub, text=MESSAGE, lang="sw"):
    response = send_feedback(hub.browser(lang), dict(FEEDBACK_ANSWERS, message=text))
    assert response.status_code == 200 and response.url.endswith("/feedback/thanks")


def signed_in(hub, name, pin):
    phone = hub.browser("en")
    phone.signin(name, pin)
    return phone


def operator(hub):
    add_operator(hub)
    return signed_in(hub, *OPERATOR)


def status(data_dir) -> dict:
    result = collector("status", "--json", data_dir=data_dir)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def server_records(central) -> list[dict]:
    return [
        dict(row, answers=json.loads(row["answers"]))
        for row in query(central.database, "SELECT uuid, form_id, answers FROM records")
    ]


def server_folder_bytes(central) -> bytes:
    """Every byte the server keeps in its data folder, its log folded into the database."""
    folder = Path(central.app.config["DATA_DIR"])
    return database_bytes(central.database) + b"".join(
        p.read_bytes() for p in folder.rglob("*") if p.is_file()
    )


def write_settings(data_dir, text: str) -> None:
    (data_dir / "settings.toml").write_text(text, "utf-8")


def test_a_kiosk_message_waits_for_review_and_leaves_with_the_operators_redactions(
    enrolled, central, data_dir, db_path
):
    kiosk_message(enrolled)
    result = collector("sync", data_dir=data_dir)
    assert result.exit_code == 0, result.output
    assert "1 records wait for the operator's review" in result.output
    assert "Stored 0" in result.output
    assert server_records(central) == []
    counts = status(data_dir)
    assert counts["held"] == 1 and counts["queued"] == 0 and counts["finalized"] == 1
    plain = collector("status", data_dir=data_dir).output
    assert re.search(r"^held\s+1$", plain, re.M), plain

    boss = operator(enrolled)
    page = html.unescape(boss.get("/sync").text)
    assert "1 message waits for the operator's review before it is sent." in page
    assert 'href="/sync/review"' in page
    review = boss.get("/sync/review")
    assert review.status_code == 200
    # What the scrubber removes is highlighted; the rest is shown as written.
    assert re.search(r'<mark class="scrub scrub-phone"[^>]*>0712 345 678</mark>', review.text)
    assert re.search(r'<mark class="scrub scrub-name"[^>]*>Wanjiru</mark>', review.text)
    assert "Kibera Junction" in review.text
    [held] = query(db_path, "SELECT uuid, revision FROM outbox WHERE state = 'held'")
    key = f"{held['uuid']}:{held['revision']}"
    released = boss.post(
        "/sync/review",
        {"release": key, "shown": key, f"remove-{held['uuid']}-1": "kibera  junction\nMonday"},
        csrf_from=review.text,
        allow_redirects=False,
    )
    assert released.status_code == 303 and released.headers["Location"].endswith("/sync/review")
    after = boss.get("/sync/review").text
    assert "1 message released" in after and "No message waits for review." in after
    assert query(db_path, "SELECT state, redactions FROM outbox") == [
        {"state": "queued", "redactions": json.dumps(["kibera junction", "Monday"])}
    ]
    # The preview shows what will really be sent.
    preview = html.unescape(boss.get(f"/sync/preview/{held['uuid']}").text)
    assert "the kiosk at [removed] has been broken since [removed]." in preview
    # The release is in the security log, without the words removed.
    [event] = query(
        db_path, "SELECT account, detail FROM security_events WHERE event = 'free_text_released'"
    )
    assert event["account"].startswith("user:") and held["uuid"] in event["detail"]
    assert "Kibera" not in event["detail"] and "Monday" not in event["detail"]

    result = collector("sync", data_dir=data_dir)
    assert result.exit_code == 0, result.output
    assert "Stored 1" in result.output
    [stored] = server_records(central)
    assert stored["answers"]["message"] == (
        "[name] at [phone] says the borehole near the kiosk at [removed] has been broken "
        "since [removed]."
    )
    raw = server_folder_bytes(central)
    for value in ("Kibera", "Junction", "Monday", "Wanjiru", "0712 345 678", "345 678"):
        assert value.encode() not in raw, f"{value!r} reached the server"
    assert status(data_dir)["held"] == 0
    assert query(db_path, "SELECT status FROM records") == [{"status": "synced"}]


def test_an_enumerator_sees_the_count_but_not_the_messages(enrolled, data_dir, db_path):
    kiosk_message(enrolled)
    kiosk_message(enrolled, "Thank you for the new clinic hours, they help my mother.")
    phone = signed_in(enrolled, "amina", PIN)
    page = phone.get("/sync").text
    assert "2 messages wait for the operator's review" in html.unescape(page)
    assert 'href="/sync/review"' not in page
    assert phone.get("/sync/review").status_code == 403
    held = query(db_path, "SELECT uuid, revision FROM outbox WHERE state = 'held'")
    assert len(held) == 2
    key = f"{held[0]['uuid']}:1"
    refused = phone.post("/sync/review", {"release": key}, csrf_from=page)
    assert refused.status_code == 403
    assert phone.get(f"/sync/preview/{held[0]['uuid']}").status_code == 404
    assert {r["state"] for r in query(db_path, "SELECT state FROM outbox")} == {"held"}
    assert query(
        db_path, "SELECT count(*) AS n FROM security_events WHERE event = 'free_text_released'"
    ) == [{"n": 0}]


def test_release_all_shown_and_bad_posts(enrolled, central, data_dir, db_path):
    for text in (
        "Water is late again in zone A.",
        "Call Halima on 0733 222 111 please.",
        "The road to the market is flooded.",
    ):
        kiosk_message(enrolled, text)
    boss = operator(enrolled)
    review = boss.get("/sync/review").text
    shown = [html.unescape(v) for v in re.findall(r'name="shown" value="([^"]+)"', review)]
    assert len(shown) == 3
    # Nothing chosen, a malformed key, too many words: refused, nothing changes.
    assert boss.post("/sync/review", {}, csrf_from=review).status_code == 400
    assert (
        boss.post("/sync/review", {"release": "not-a-uuid:1"}, csrf_from=review).status_code == 400
    )
    first = shown[0].split(":")[0]
    too_many = ",".join(f"word{n}" for n in range(60))
    assert (
        boss.post(
            "/sync/review", {"release": shown[0], f"remove-{first}-1": too_many}, csrf_from=review
        ).status_code
        == 400
    )
    assert status(data_dir)["held"] == 3
    # A message arriving after the page was shown is not released with the others.
    kiosk_message(enrolled, "A late message about the school fees.")
    data = [("release", "all")] + [("shown", key) for key in shown]
    done = boss.post("/sync/review", data, csrf_from=review)
    assert done.status_code == 200 and "3 messages released" in done.text
    counts = status(data_dir)
    assert counts["held"] == 1 and counts["queued"] == 3
    # Releasing again finds nothing held: said so, nothing changes.
    again = boss.post("/sync/review", data, csrf_from=review)
    assert again.status_code == 200 and "Nothing was released" in again.text
    assert collector("sync", data_dir=data_dir).exit_code == 0
    messages = sorted(r["answers"]["message"] for r in server_records(central))
    assert messages == [
        "Call [name] on [phone] please.",
        "The road to the market is flooded.",
        "Water is late again in zone A.",
    ]


def test_an_empty_setting_sends_kiosk_messages_at_once(enrolled, central, data_dir, db_path):
    write_settings(data_dir, "hold_free_text_for_review = []\n")
    enrolled.app.config["HUB"]["hold_free_text_for_review"] = []  # as a restarted hub reads it
    kiosk_message(enrolled)
    result = collector("sync", data_dir=data_dir)
    assert result.exit_code == 0 and "Stored 1" in result.output, result.output
    assert "review" not in result.output
    assert status(data_dir)["held"] == 0
    [stored] = server_records(central)
    assert "Kibera Junction" in stored["answers"]["message"]


def test_only_listed_forms_with_free_text_are_held(enrolled, central, data_dir, db_path):
    # Survey free text is not held by default; when the survey alone is listed, its
    # records with comments wait and kiosk messages leave.
    phone = signed_in(enrolled, "amina", PIN)
    with_comment = fill_form(phone, "community_survey", SURVEY_ANSWERS)
    assert status(data_dir)["held"] == 0
    write_settings(data_dir, 'hold_free_text_for_review = ["community_survey"]\n')
    enrolled.app.config["HUB"]["hold_free_text_for_review"] = ["community_survey"]
    without_text = fill_form(
        phone,
        "community_survey",
        {k: v for k, v in SURVEY_ANSWERS.items() if k not in ("comments", "language_home_other")}
        | {"language_home": LANGUAGE},
    )
    kiosk_message(enrolled)
    result = collector("sync", data_dir=data_dir)
    assert result.exit_code == 0, result.output
    stored = {r["uuid"]: r for r in server_records(central)}
    assert {r["form_id"] for r in stored.values()} == {"community_survey", "community_feedback"}
    held = query(db_path, "SELECT uuid FROM outbox WHERE state = 'held'")
    assert [row["uuid"] for row in held] == [with_comment]
    assert without_text in stored


def test_a_usb_bundle_leaves_held_messages_out(enrolled, data_dir, tmp_path):
    kiosk_message(enrolled)
    phone = signed_in(enrolled, "amina", PIN)
    fill_form(phone, "community_survey", SURVEY_ANSWERS)
    bundle = tmp_path / "zone.bundle"
    result = collector("export-bundle", bundle, data_dir=data_dir)
    assert result.exit_code == 0, result.output
    assert "Wrote 1 records" in result.output
    assert b"Kibera" not in bundle.read_bytes()
    assert status(data_dir)["held"] == 1


def test_held_messages_survive_reconciliation(enrolled, central, data_dir, db_path):
    kiosk_message(enrolled)
    phone = signed_in(enrolled, "amina", PIN)
    fill_form(phone, "community_survey", SURVEY_ANSWERS)
    for _ in range(2):
        result = collector("sync", data_dir=data_dir)
        assert result.exit_code == 0, result.output
        assert "Reconciliation: in agreement (1 records held by the server)" in result.output
    # The server loses what it had: reconciliation re-queues it, never the held message.
    change(central.database, "DELETE FROM records")
    result = collector("sync", data_dir=data_dir)
    assert "were sent again" in result.output, result.output
    states = {
        row["form_id"]: row["state"]
        for row in query(
            db_path, "SELECT r.form_id, o.state FROM outbox o JOIN records r ON r.uuid = o.uuid"
        )
    }
    assert states == {"community_feedback": "held", "community_survey": "sent"}
    assert [r["form_id"] for r in server_records(central)] == ["community_survey"]


def record(message: str) -> dict:
    return {
        "uuid": "0b7c5a6e-8c65-4a4e-9a57-3f6a0e9c1d11",
        "revision": 1,
        "form_id": "community_feedback",
        "form_version": FORMS["community_feedback"].version,
        "locale": "en",
        "finalized_at": "2026-03-01T10:00:00Z",
        "enumerator": None,
        "answers": dict(FEEDBACK_ANSWERS, message=message),
    }


@pytest.mark.parametrize(
    "words, message, sent",
    [
        (["Kibera Junction"], "Meet at kibera   JUNCTION tomorrow.", "Meet at [removed] tomorrow."),
        # Whole words only: a word inside another word stays.
        (["tap"], "The taps and the tap.", "The taps and the [removed]."),
        # The longer phrase wins over a shorter one it contains.
        (["Mama", "Mama Ngina"], "Mama Ngina and Mama.", "[removed] and [removed]."),
        (["سوق الخضار"], "الماء عند سوق الخضار مقطوع", "الماء عند [removed] مقطوع"),
        ([], "The tap is dry.", "The tap is dry."),
    ],
)
def test_the_operators_words_are_removed_from_what_is_sent(words, message, sent):
    form = FORMS["community_feedback"]
    assert (
        anonymize(record(message), form, KEY, extra_redactions=words)["answers"]["message"] == sent
    )


def test_the_operators_words_do_not_change_other_fields_and_scrubbing_still_applies():
    form = FORMS["community_feedback"]
    synced = anonymize(
        record("Ask Wanjiru about the water tap."),
        form,
        KEY,
        extra_redactions=["water", "complaint"],
    )
    assert synced["answers"]["message"] == "Ask [name] about the [removed] tap."
    assert synced["answers"]["feedback_type"] == FEEDBACK_ANSWERS["feedback_type"]


def test_an_older_hub_database_keeps_its_outbox_when_upgraded(tmp_path):
    """The outbox is rebuilt to allow 'held': every row, state and sent_to survives it."""
    from collector.db import connect, migrations

    path = tmp_path / "collector.db"
    db = connect(path)
    migrations.apply(db, stop_before="m005_held_for_review")
    rows = [
        ("11111111-1111-4111-8111-111111111111", 1, "sent", "dev-a"),
        ("11111111-1111-4111-8111-111111111111", 2, "queued", None),
        ("22222222-2222-4222-8222-222222222222", 1, "rejected", None),
    ]
    for uuid, revision, state, sent_to in rows:
        if revision == 1:
            db.execute(
                "INSERT INTO records (uuid, form_id, form_version, locale, status,"
                " revision, answers, started_at, updated_at) VALUES"
                " (?, 'community_feedback', '1', 'en', 'finalized', ?, '{}', 't', 't')",
                [uuid, revision],
            )
        db.execute(
            "INSERT INTO revisions (uuid, revision, form_id, form_version, locale,"
            " answers, started_at, finalized_at) VALUES (?, ?, 'community_feedback',"
            " '1', 'en', '{}', 't', 't')",
            [uuid, revision],
        )
        db.execute(
            "INSERT INTO outbox (uuid, revision, state, queued_at, sent_to)"
            " VALUES (?, ?, ?, 't', ?)",
            [uuid, revision, state, sent_to],
        )
    db.conn.commit()
    migrations.apply(db)
    upgraded = [
        tuple(row)
        for row in db.execute(
            "SELECT uuid, revision, state, sent_to FROM outbox ORDER BY uuid, revision"
        )
    ]
    assert upgraded == rows
    db.execute("UPDATE outbox SET state = 'held' WHERE revision = 2")  # the new state is allowed
    assert [row[0] for row in db.execute("PRAGMA foreign_key_check")] == []
    assert "outbox_by_state" in {row[1] for row in db.execute("PRAGMA index_list(outbox)")}
    db.close()


def test_a_kiosk_message_is_held_the_moment_it_is_sent(hub, db_path):
    """Held at submission, before any sync or page reads the outbox: nothing sees it queued."""
    send_feedback(hub.browser("en"), dict(FEEDBACK_ANSWERS, message="The water point is dry."))
    assert [row["state"] for row in query(db_path, "SELECT state FROM outbox")] == ["held"]
