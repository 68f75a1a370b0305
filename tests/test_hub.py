"""The hub itself: health, connecting phones, and many phones saving at once."""

from __future__ import annotations

import json
import re
import sqlite3
import threading
import xml.etree.ElementTree as ElementTree
from concurrent.futures import ThreadPoolExecutor

from filling import FEEDBACK_ANSWERS, SURVEY_ANSWERS, fill_form
from support import query
from test_feedback import send_feedback


def test_health_answers_when_the_database_is_writable(hub):
    response = hub.browser().get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "writable"}


def test_health_fails_when_the_database_cannot_take_a_write(hub, db_path):
    blocker = sqlite3.connect(db_path, timeout=1)
    blocker.execute("BEGIN EXCLUSIVE")  # another process holding the write lock
    try:
        response = hub.browser().get("/healthz")
    finally:
        blocker.rollback()
        blocker.close()
    assert response.status_code == 503
    assert response.json()["database"] == "not writable"
    assert hub.browser().get("/healthz").status_code == 200


def test_the_reach_probe_answers_without_a_session_or_the_database(hub, db_path):
    """A phone asks it before sending a record: an answer, no cookie, nothing written,
    even while another process holds the database's write lock."""
    blocker = sqlite3.connect(db_path, timeout=1)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        for method in ("GET", "HEAD"):
            response = hub.browser().session.request(method, hub.url + "/reach", timeout=10)
            assert response.status_code == 204 and response.content == b""
            assert response.headers["Cache-Control"] == "no-store"
            assert "Set-Cookie" not in response.headers
    finally:
        blocker.rollback()
        blocker.close()
    assert query(db_path, "SELECT * FROM hub_state WHERE key = 'health_check'") == []
    assert hub.browser().session.post(hub.url + "/reach", timeout=10).status_code != 204


def test_a_stopped_hub_has_closed_its_database(hub, db_path):
    """Its threads keep a connection between requests: stopping closes them at once (the
    log checkpointed and gone), not whenever the threads' storage is collected."""
    import gc
    from pathlib import Path

    for _ in range(3):
        assert hub.browser().get("/healthz").status_code == 200
    gc.disable()
    try:
        hub.stop()
        assert not Path(f"{db_path}-wal").exists()
    finally:
        gc.enable()


def test_connect_page_shows_addresses_with_qr_codes(hub):
    page = hub.browser("en").get("/connect").text
    urls = re.findall(r'<figcaption translate="no">([^<]+)</figcaption>', page)
    assert urls and all(re.match(r"http://[\d.]+:\d+/", url) for url in urls)
    assert any(url.endswith("/feedback") for url in urls)
    images = re.findall(r'<img src="(/connect/qr/[^"]+)"', page)
    assert len(images) == len(urls)
    response = hub.browser().get(images[0])
    assert response.headers["Content-Type"].startswith("image/svg+xml")
    svg = ElementTree.fromstring(response.content)
    assert svg.tag.endswith("svg") and "QR code for" in response.text
    assert hub.browser().get("/connect/qr/hub/99.svg").status_code == 404


def test_every_acknowledged_record_from_20_phones_is_stored(hub, db_path):
    """Ten enumerators interview and ten community members send feedback, all at once."""
    for number in range(10):
        hub.add_enumerator(f"enumerator{number}", "2468")
    start = threading.Barrier(20)

    def interview(number):
        phone = hub.browser("en")
        phone.signin(f"enumerator{number}", "2468")
        start.wait()
        record_uuid = fill_form(phone, "community_survey", SURVEY_ANSWERS)
        assert phone.last.status_code == 200 and phone.last.url.endswith("/records")
        return record_uuid

    def feedback(number):
        phone = hub.browser("en")
        start.wait()
        response = send_feedback(phone, dict(FEEDBACK_ANSWERS, message=f"message {number}"))
        assert response.status_code == 200 and response.url.endswith("/feedback/thanks")
        return re.search(r'class="receipt" translate="no">([^<]+)<', response.text).group(1)

    with ThreadPoolExecutor(max_workers=20) as pool:
        interviews = [pool.submit(interview, n) for n in range(10)]
        messages = [pool.submit(feedback, n) for n in range(10)]
        acknowledged = [f.result() for f in interviews]
        receipts = [f.result() for f in messages]

    stored = query(db_path, "SELECT uuid, receipt_code, status, answers FROM records")
    assert len(stored) == 20
    assert {r["uuid"] for r in stored if r["receipt_code"] is None} == set(acknowledged)
    assert {r["receipt_code"] for r in stored if r["receipt_code"]} == {
        code.replace("-", "") for code in receipts
    }
    assert all(r["status"] == "finalized" for r in stored)
    assert sorted(
        json.loads(r["answers"])["message"] for r in stored if r["receipt_code"]
    ) == sorted(f"message {n}" for n in range(10))
    assert query(db_path, "SELECT count(*) AS n FROM outbox")[0]["n"] == 20
    conn = sqlite3.connect(db_path)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()
