"""The kiosk: anonymous feedback with a receipt code, no sign-in, nothing about the sender kept."""

from __future__ import annotations

import json
import re
import sqlite3

import pytest

from collector import create_app
from filling import FEEDBACK_ANSWERS, FORMS
from support import LiveHub, query, translated

UUID_FIELD = re.compile(r'name="_uuid" value="([0-9a-f-]{36})"')


def kiosk_data(answers: dict, html: str) -> list:
    data = [("_uuid", UUID_FIELD.search(html).group(1))]
    for question in FORMS["community_feedback"].questions.values():
        if question.holds_value:
            data.append(("_shown", question.name))
            if question.name in answers:
                data.append((question.name, answers[question.name]))
    return data


def send_feedback(phone, answers=FEEDBACK_ANSWERS):
    page = phone.get("/feedback").text
    return phone.post("/feedback", kiosk_data(answers, page))


def release_reviewed(hub) -> int:
    """Kiosk messages wait for the operator's review before they leave: release every one
    as written (what the operator's Release does, collector.review); return how many."""
    from collector.db import open_database
    from collector.form_library import form_version
    from collector.review import held_revisions, hold_new, release

    db = open_database(hub.app.config["DATABASE"])
    try:
        hold_new(
            db,
            hub.app.config["HUB"]["hold_free_text_for_review"],
            lambda form_id, version: form_version(db, FORMS, form_id, version),
        )
        return release(db, {(r["uuid"], r["revision"]): [] for r in held_revisions(db)}, None)
    finally:
        db.close()


def test_feedback_needs_no_sign_in_and_gives_a_receipt_code(hub, db_path):
    phone = hub.browser("sw")
    response = send_feedback(phone)
    assert response.status_code == 200 and response.url.endswith("/feedback/thanks")
    code = re.search(
        r'class="receipt" translate="no">([0-9A-Z]{4}-[0-9A-Z]{4})<', response.text
    ).group(1)
    [record] = query(db_path, "SELECT * FROM records")
    assert record["receipt_code"] == code.replace("-", "")
    assert record["enumerator_id"] is None
    assert record["status"] == "finalized" and record["locale"] == "sw"
    assert json.loads(record["answers"])["message"] == FEEDBACK_ANSWERS["message"]
    # It waits for the operator's review before it leaves (hold_free_text_for_review).
    assert query(db_path, "SELECT state FROM outbox") == [{"state": "held"}]

    status = phone.get(f"/feedback/status?code={code.lower()}")
    assert (
        translated(
            "sw",
            "There is no reply yet. The team answers when this hub next connects;"
            " please check again later.",
        )
        in status.text
    )


def test_replies_are_shown_by_receipt_code(hub, db_path):
    phone = hub.browser("en")
    response = send_feedback(phone)
    code = re.search(r'class="receipt" translate="no">([^<]+)<', response.text).group(1)
    [record] = query(db_path, "SELECT uuid FROM records")
    conn = sqlite3.connect(db_path)
    with conn:  # what the sync client stores when the central team answers
        conn.execute(
            "INSERT INTO replies (id, record_uuid, message, locale, replied_at)"
            " VALUES ('r1', ?, 'The tap will be fixed on Monday.', 'en',"
            " '2026-11-20T10:00:00Z')",
            [record["uuid"]],
        )
    conn.close()
    page = phone.get(f"/feedback/status?code={code}").text
    assert "The tap will be fixed on Monday." in page
    assert "No feedback has this receipt code" in phone.get("/feedback/status?code=ZZZZ-ZZZZ").text


def test_nothing_about_the_sender_is_stored(hub, db_path):
    phone = hub.browser("en")
    phone.session.headers["User-Agent"] = "DistinctivePhone/9.9 (Model-XYZ-4242)"
    send_feedback(phone)
    phone.session.close()
    raw = b"".join(p.read_bytes() for p in db_path.parent.glob("collector.db*"))
    assert b"127.0.0.1" not in raw
    assert b"DistinctivePhone" not in raw and b"Model-XYZ-4242" not in raw


def test_a_repeated_submission_is_stored_once(hub, db_path):
    phone = hub.browser("en")
    page = phone.get("/feedback").text
    data = kiosk_data(FEEDBACK_ANSWERS, page)
    first = phone.post("/feedback", data, csrf_from=page)
    second = phone.post("/feedback", data, csrf_from=page)
    assert first.status_code == second.status_code == 200
    assert query(db_path, "SELECT count(*) AS n FROM records")[0]["n"] == 1
    assert query(db_path, "SELECT count(*) AS n FROM outbox")[0]["n"] == 1


def test_missing_message_is_named_and_nothing_is_stored(hub, db_path):
    phone = hub.browser("fr")
    response = send_feedback(phone, {k: v for k, v in FEEDBACK_ANSWERS.items() if k != "message"})
    assert response.status_code == 422
    assert 'id="message-error"' in response.text
    assert translated("fr", "This question needs an answer.") in response.text
    assert 'value="complaint"\n' in response.text or 'value="complaint" checked' in " ".join(
        response.text.split()
    )
    assert query(db_path, "SELECT count(*) AS n FROM records")[0]["n"] == 0


def test_wanting_a_reply_reveals_the_contact_question_without_javascript(hub, db_path):
    phone = hub.browser("en")
    page = phone.get("/feedback").text
    contact_block = page.split('id="q-contact"')[1].split(">")[0]
    assert "hidden" in contact_block
    data = [
        (k, v)
        for k, v in kiosk_data(dict(FEEDBACK_ANSWERS, wants_reply="yes"), page)
        if not (k == "_shown" and v == "contact")
    ]
    response = phone.post("/feedback", data, csrf_from=page)
    assert response.status_code == 200
    assert "Your answers open more questions" in response.text
    assert "hidden" not in response.text.split('id="q-contact"')[1].split(">")[0]
    assert query(db_path, "SELECT count(*) AS n FROM records")[0]["n"] == 0
    response = phone.post(
        "/feedback",
        kiosk_data(dict(FEEDBACK_ANSWERS, wants_reply="yes", contact="0712 000000"), response.text),
    )
    assert response.url.endswith("/feedback/thanks")
    [record] = query(db_path, "SELECT answers FROM records")
    assert json.loads(record["answers"])["contact"] == "0712 000000"


def test_feedback_is_rate_limited_per_phone(data_dir, tmp_path):
    app = create_app({"HUB_SETTINGS": {"feedback_rate_limit": "3 per minute"}}, data_dir=data_dir)
    live = LiveHub(app)
    try:
        phone = live.browser("en")
        statuses = [send_feedback(phone).status_code for _ in range(4)]
        assert statuses[:3] == [200, 200, 200]
        assert statuses[3] == 429
        assert "Too many attempts" in phone.last.text
        assert query(app.config["DATABASE"], "SELECT count(*) AS n FROM records")[0]["n"] == 3
    finally:
        live.stop()


@pytest.mark.parametrize("bad_uuid", ["", "123", "not-a-uuid", "../../etc/passwd"])
def test_a_bad_record_id_is_refused(hub, db_path, bad_uuid):
    phone = hub.browser("en")
    page = phone.get("/feedback").text
    data = [(k, v if k != "_uuid" else bad_uuid) for k, v in kiosk_data(FEEDBACK_ANSWERS, page)]
    assert phone.post("/feedback", data, csrf_from=page).status_code == 400
    assert query(db_path, "SELECT count(*) AS n FROM records")[0]["n"] == 0
