"""The kiosk's receipt codes: shown once, looked up by POST only, a few per phone."""

from __future__ import annotations

import re
import sqlite3

import pytest

from collector import create_app
from filling import FEEDBACK_ANSWERS
from support import LiveHub, query, translated
from test_feedback import kiosk_data, send_feedback

RECEIPT = re.compile(r'class="receipt" translate="no">([0-9A-Z]{4}-[0-9A-Z]{4})<')
NO_CODE = "No feedback has this receipt code"


@pytest.fixture
def kiosk_hub(data_dir):
    live = LiveHub(
        create_app(
            {
                "HUB_SETTINGS": {
                    "feedback_rate_limit": "1000 per minute",
                    "status_rate_limit": "4 per minute",
                }
            },
            data_dir=data_dir,
        )
    )
    yield live
    live.stop()


def leave_feedback(phone) -> str:
    response = send_feedback(phone)
    assert response.url.endswith("/feedback/thanks")
    return RECEIPT.search(response.text).group(1)


def add_reply(db_path, message: str) -> None:
    [record] = query(db_path, "SELECT uuid FROM records")
    conn = sqlite3.connect(db_path)
    with conn:  # what the sync client stores when the central team answers
        conn.execute(
            "INSERT INTO replies (id, record_uuid, message, locale, replied_at)"
            " VALUES ('r1', ?, ?, 'en', '2026-11-20T10:00:00Z')",
            [record["uuid"], message],
        )
    conn.close()


def urls_in(html: str) -> list[str]:
    return re.findall(r'(?:href|action|src)="([^"]*)"', html)


def look_up(phone, code: str):
    page = phone.get("/feedback/status").text
    return phone.post("/feedback/status", {"code": code}, csrf_from=page)


def test_the_thanks_page_shows_the_code_once(kiosk_hub):
    phone = kiosk_hub.browser("en")
    code = leave_feedback(phone)
    again = phone.get("/feedback/thanks")
    assert again.status_code == 200
    assert code not in again.text and RECEIPT.search(again.text) is None
    assert "is no longer on this screen" in again.text
    assert "/feedback" in urls_in(again.text)  # back to the kiosk for the next person
    # The next person's feedback gets its own code, also once.
    second = leave_feedback(phone)
    assert second != code and code not in phone.last.text
    assert second not in phone.get("/feedback/thanks").text


def send_from_script(phone, now: bool) -> dict:
    """What the page's script posts: Send with the hub in reach (`_now`), or the outbox
    delivering feedback kept on the phone."""
    page = phone.get("/feedback").text
    data = kiosk_data(FEEDBACK_ANSWERS, page) + ([("_now", "1")] if now else [])
    return phone.post("/feedback", data, csrf_from=page, headers={"X-Hub-Outbox": "1"}).json()


def test_a_phone_script_sending_in_reach_gets_the_code_on_the_thanks_page_once(kiosk_hub):
    phone = kiosk_hub.browser("en")
    answer = send_from_script(phone, now=True)
    assert set(answer) == {"uuid", "next"} and "?" not in answer["next"]
    first = phone.get(answer["next"]).text
    code = RECEIPT.search(first).group(1)
    assert code not in phone.get(answer["next"]).text


def test_feedback_delivered_later_gives_no_code_to_whoever_holds_the_phone(kiosk_hub, db_path):
    phone = kiosk_hub.browser("en")
    answer = send_from_script(phone, now=False)
    assert answer == {"uuid": answer["uuid"], "message": "Feedback kept on this phone was sent."}
    [record] = query(db_path, "SELECT receipt_code FROM records")
    assert record["receipt_code"]  # kept on the hub for the team, shown to no one here
    thanks = phone.get("/feedback/thanks").text
    assert RECEIPT.search(thanks) is None and record["receipt_code"][:4] not in thanks


def test_replies_are_looked_up_with_a_posted_code_kept_out_of_urls(kiosk_hub, db_path):
    phone = kiosk_hub.browser("en")
    code = leave_feedback(phone)
    thanks = phone.last.text
    assert all(code not in url and code.replace("-", "") not in url for url in urls_in(thanks))
    add_reply(db_path, "The tap will be fixed on Monday.")
    form = phone.get("/feedback/status")
    assert re.search(r'<form method="post" action="/feedback/status"', form.text)
    response = look_up(phone, code.lower())
    assert response.status_code == 200 and "The tap will be fixed on Monday." in response.text
    assert response.url == kiosk_hub.url + "/feedback/status" and not response.history
    assert all(code not in url for url in urls_in(response.text))
    assert NO_CODE in look_up(phone, "ZZZZ-ZZZZ").text


def test_an_old_link_with_the_code_leaves_it_out_of_the_address(kiosk_hub, db_path):
    phone = kiosk_hub.browser("en")
    code = leave_feedback(phone)
    add_reply(db_path, "We will visit on Friday.")
    redirect = phone.get(f"/feedback/status?code={code}", allow_redirects=False)
    assert redirect.status_code == 303
    assert redirect.headers["Location"] == "/feedback/status"
    followed = phone.get(f"/feedback/status?code={code}")
    assert followed.url == kiosk_hub.url + "/feedback/status"
    assert "We will visit on Friday." in followed.text
    # Shown once: reloading the page asks for the code again.
    reloaded = phone.get("/feedback/status").text
    assert "We will visit on Friday." not in reloaded and NO_CODE not in reloaded


def test_a_lookup_without_the_form_token_is_refused(kiosk_hub):
    phone = kiosk_hub.browser("en")
    code = leave_feedback(phone)
    response = phone.session.post(
        kiosk_hub.url + "/feedback/status", data={"code": code}, timeout=30
    )
    assert response.status_code == 400 and code not in response.text


def test_lookups_are_limited_per_phone_with_a_translated_page(kiosk_hub, db_path):
    phone = kiosk_hub.browser("fr")
    code = leave_feedback(phone)
    for _ in range(10):  # opening the empty form costs nothing
        assert phone.get("/feedback/status").status_code == 200
    statuses = [
        look_up(phone, guess).status_code for guess in ("AAAA-AAAA", "BBBB-BBBB", "CCCC-CCCC")
    ]
    statuses.append(
        phone.get(f"/feedback/status?code={code}", allow_redirects=False).status_code
    )  # an old link counts too
    assert statuses == [200, 200, 200, 303]
    refused = look_up(phone, code)
    assert refused.status_code == 429
    assert (
        translated("fr", "Too many attempts. Please wait a minute and try again.") in refused.text
    )
    assert code not in refused.text
    assert phone.get(f"/feedback/status?code={code}", allow_redirects=False).status_code == 429
    # Nothing about the asker is kept.
    raw = b"".join(p.read_bytes() for p in db_path.parent.glob("collector.db*"))
    assert b"127.0.0.1" not in raw
