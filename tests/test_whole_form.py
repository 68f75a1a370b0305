"""A whole form in one page, as phones with JavaScript fill it: one POST per record, from the
page or later from the phone's outbox, stored exactly once however often it is delivered."""

from __future__ import annotations

import json
import re

import pytest

from filling import FORMS, REPORT_ANSWERS, SURVEY_ANSWERS, whole_data
from support import query, translated

OUTBOX = {"X-Hub-Outbox": "1"}
UUID = "0b6f2d4e-8c1a-4f3b-9d2e-5a7c9e1f3b60"


def counts(db_path, record_uuid):
    return tuple(
        query(db_path, f"SELECT count(*) AS n FROM {table} WHERE uuid = ?", [record_uuid])[0]["n"]
        for table in ("records", "revisions", "outbox")
    )


def test_the_page_holds_every_section_with_its_checks(browser):
    page = browser.get("/forms/community_survey/phone")
    assert page.status_code == 200
    assert "data-steps" in page.text and 'action="/forms/community_survey/submit"' in page.text
    assert page.text.count('<section class="step"') == len(FORMS["community_survey"].sections)
    assert 'name="form_version" value="1"' in page.text
    assert re.search(r'name="_uuid" value="[0-9a-f-]{36}"', page.text)
    age = re.search(r'<div class="q q-integer[^>]*data-name="age"[^>]*>', page.text).group(0)
    assert 'data-required="This question needs an answer."' in age
    assert 'data-type-message="Enter a whole number, using digits only."' in age
    assert re.search(r'data-min="15(\.0)?"', age) and "data-range-message=" in age


def test_the_checks_speak_the_page_language(hub):
    phone = hub.browser("fr")
    phone.signin()
    page = phone.get("/forms/community_survey/phone")
    assert f'data-required="{translated("fr", "This question needs an answer.")}"' in page.text


def test_a_whole_record_is_finalized_in_one_post(browser, db_path):
    response = browser.post(
        "/forms/community_survey/submit",
        whole_data("community_survey", UUID, SURVEY_ANSWERS),
        csrf_from=browser.get("/forms/community_survey/phone").text,
    )
    assert response.status_code == 200 and response.url.endswith("/records")
    assert "Record finalized (revision 1)" in response.text
    [record] = query(db_path, "SELECT * FROM records WHERE uuid = ?", [UUID])
    assert (record["status"], record["revision"], record["enumerator_id"]) == ("finalized", 1, 1)
    answers = json.loads(record["answers"])
    assert answers["age"] == 34 and answers["discrimination_grounds"] == ["nationality", "language"]
    assert counts(db_path, UUID) == (1, 1, 1)


def test_a_repeated_delivery_changes_nothing(browser, db_path):
    data = whole_data("community_survey", UUID, SURVEY_ANSWERS)
    browser.get("/forms/community_survey/phone")
    first = browser.post("/forms/community_survey/submit", data, headers=OUTBOX)
    browser.get("/forms/community_survey/phone")
    again = browser.post("/forms/community_survey/submit", data, headers=OUTBOX)
    assert first.status_code == again.status_code == 200
    assert first.json()["uuid"] == again.json()["uuid"] == UUID
    assert first.json()["revision"] == again.json()["revision"] == 1
    assert first.json()["status"] == "finalized"
    assert counts(db_path, UUID) == (1, 1, 1)


def test_problems_on_the_page_come_back_and_store_nothing(browser, db_path):
    answers = dict(SURVEY_ANSWERS, age="12", life_satisfaction="")
    browser.get("/forms/community_survey/phone")
    response = browser.post(
        "/forms/community_survey/submit", whole_data("community_survey", UUID, answers)
    )
    assert response.status_code == 422
    assert "Enter a number from 15 to 120." in response.text
    assert "This question needs an answer." in response.text
    assert 'value="12"' in response.text  # what was typed stays on the page
    assert counts(db_path, UUID) == (0, 0, 0)


def test_an_outbox_record_with_problems_reaches_the_hub_as_a_draft(browser, db_path):
    answers = dict(SURVEY_ANSWERS, life_satisfaction="")
    browser.get("/forms/community_survey/phone")
    response = browser.post(
        "/forms/community_survey/submit",
        whole_data("community_survey", UUID, answers),
        headers=OUTBOX,
    )
    assert response.status_code == 200
    assert response.json()["status"] == "draft"
    assert "need attention" in response.json()["message"]
    [record] = query(db_path, "SELECT status, answers FROM records WHERE uuid = ?", [UUID])
    assert record["status"] == "draft"
    assert json.loads(record["answers"])["respondent_name"] == "Halima Yusuf"
    assert counts(db_path, UUID) == (1, 0, 0)
    # Corrected and sent again (from the page, or resumed): finalized once.
    browser.get("/forms/community_survey/phone")
    done = browser.post(
        "/forms/community_survey/submit",
        whole_data("community_survey", UUID, SURVEY_ANSWERS),
        headers=OUTBOX,
    )
    assert done.json()["status"] == "finalized" and counts(db_path, UUID) == (1, 1, 1)


def test_a_signed_out_outbox_keeps_its_record(hub, db_path):
    phone = hub.browser("en")
    phone.signin()
    page = phone.get("/forms/community_survey/phone").text
    phone.post("/signout", {}, csrf_from=page)
    token = phone.get("/csrf-token").json()["csrf_token"]
    data = whole_data("community_survey", UUID, SURVEY_ANSWERS) + [("csrf_token", token)]
    response = phone.session.post(
        phone.base + "/forms/community_survey/submit",
        data=data,
        headers=OUTBOX,
        allow_redirects=False,
        timeout=30,
    )
    assert response.status_code == 401
    assert response.json()["error"] == "signed_out"
    plain = phone.session.post(
        phone.base + "/forms/community_survey/submit", data=data, allow_redirects=False, timeout=30
    )
    assert plain.status_code == 302 and "/signin" in plain.headers["Location"]
    assert counts(db_path, UUID) == (0, 0, 0)


def test_a_fresh_token_delivers_after_signing_in_again(hub, db_path):
    phone = hub.browser("en")
    phone.signin()
    old_token = phone.csrf(phone.get("/forms/community_survey/phone").text)
    phone.post("/signout", {})
    phone.signin()
    data = whole_data("community_survey", UUID, SURVEY_ANSWERS)
    stale = phone.session.post(
        phone.base + "/forms/community_survey/submit",
        data=data + [("csrf_token", old_token)],
        headers=OUTBOX,
        timeout=30,
    )
    assert stale.status_code == 400 and counts(db_path, UUID) == (0, 0, 0)
    token = phone.get("/csrf-token").json()["csrf_token"]
    assert phone.last.headers["Cache-Control"] == "no-store"
    fresh = phone.session.post(
        phone.base + "/forms/community_survey/submit",
        data=data + [("csrf_token", token)],
        headers=OUTBOX,
        timeout=30,
    )
    assert fresh.status_code == 200 and counts(db_path, UUID) == (1, 1, 1)


def test_another_enumerators_record_is_a_conflict(hub, db_path):
    first = hub.browser("en")
    first.signin()
    first.get("/forms/discrimination_report/phone")
    first.post(
        "/forms/discrimination_report/submit",
        whole_data("discrimination_report", UUID, REPORT_ANSWERS),
    )
    hub.add_enumerator("Second", "5678")
    second = hub.browser("en")
    second.signin("Second", "5678")
    second.get("/forms/discrimination_report/phone")
    response = second.post(
        "/forms/discrimination_report/submit",
        whole_data(
            "discrimination_report", UUID, dict(REPORT_ANSWERS, reporter_name="Someone else")
        ),
        headers=OUTBOX,
    )
    assert response.status_code == 409
    [record] = query(db_path, "SELECT enumerator_id, answers FROM records WHERE uuid = ?", [UUID])
    assert record["enumerator_id"] == 1
    assert json.loads(record["answers"])["reporter_name"] == "Musa Ibrahim"


def test_save_draft_keeps_it_on_the_hub(browser, db_path):
    answers = {"consent": "yes", "age": "40"}
    browser.get("/forms/community_survey/phone")
    response = browser.post(
        "/forms/community_survey/submit",
        whole_data("community_survey", UUID, answers, action="draft"),
    )
    assert response.url.endswith("/records") and "Draft saved" in response.text
    [record] = query(db_path, "SELECT status, answers FROM records WHERE uuid = ?", [UUID])
    assert record["status"] == "draft"
    assert json.loads(record["answers"]) == {"consent": "yes", "age": 40}
    assert browser.get(f"/records/{UUID}/resume").status_code == 200


@pytest.mark.parametrize(
    "uuid, form_id, status",
    [
        ("not-a-uuid", "community_survey", 400),
        (UUID, "community_feedback", 400),
        (UUID, "no_such_form", 404),
    ],
)
def test_bad_deliveries_are_refused_and_store_nothing(browser, db_path, uuid, form_id, status):
    browser.get("/forms/community_survey/phone")
    data = whole_data("community_survey", UUID, SURVEY_ANSWERS)
    data = [(k, uuid if k == "_uuid" else v) for k, v in data]
    response = browser.post(f"/forms/{form_id}/submit", data, headers=OUTBOX)
    assert response.status_code == status
    assert query(db_path, "SELECT count(*) AS n FROM records")[0]["n"] == 0


def test_the_home_page_offers_the_whole_form_to_phones_with_script(browser):
    home = browser.get("/")
    assert 'href="/forms/community_survey"' in home.text  # without script: section by section
    assert 'data-phone="/forms/community_survey/phone"' in home.text
    assert 'id="outbox"' in home.text


def test_the_service_worker_changes_with_the_static_files(hub):
    phone = hub.browser("en")
    worker = phone.get("/sw.js")
    assert worker.headers["Content-Type"].startswith("text/javascript")
    version = re.search(r"var VERSION = '([0-9a-f]{16})'", worker.text)
    assert version, "the service worker carries a digest of the hub's files"
    assert "/phone" in worker.text


def test_a_record_waits_for_the_enumerator_who_filled_it(hub, db_path):
    first = hub.browser("en")
    first.signin()
    page = first.get("/forms/community_survey/phone").text
    filled_by = re.search(r'name="_enumerator" value="(\d+)"', page).group(1)
    hub.add_enumerator("Second", "5678")
    second = hub.browser("en")
    second.signin("Second", "5678")
    second.get("/forms/community_survey/phone")
    data = whole_data("community_survey", UUID, SURVEY_ANSWERS) + [("_enumerator", filled_by)]
    refused = second.post("/forms/community_survey/submit", data, headers=OUTBOX)
    assert refused.status_code == 409 and refused.json()["error"] == "other_enumerator"
    assert counts(db_path, UUID) == (0, 0, 0)
    first.get("/forms/community_survey/phone")
    delivered = first.post("/forms/community_survey/submit", data, headers=OUTBOX)
    assert delivered.status_code == 200 and counts(db_path, UUID) == (1, 1, 1)


def test_a_delivery_of_a_stored_record_changes_nothing_even_if_answers_differ(browser, db_path):
    """A calculation with now() computes another value on a repeat: still the same record."""
    browser.get("/forms/community_survey/phone")
    first = browser.post(
        "/forms/community_survey/submit",
        whole_data("community_survey", UUID, SURVEY_ANSWERS),
        headers=OUTBOX,
    )
    browser.get("/forms/community_survey/phone")
    again = browser.post(
        "/forms/community_survey/submit",
        whole_data("community_survey", UUID, dict(SURVEY_ANSWERS, age="35")),
        headers=OUTBOX,
    )
    assert first.json()["revision"] == again.json()["revision"] == 1
    assert again.json()["status"] == "finalized" and counts(db_path, UUID) == (1, 1, 1)


def test_every_refusal_of_an_outbox_delivery_is_json(hub, db_path):
    phone = hub.browser("en")
    phone.signin()
    stale = phone.session.post(
        phone.base + "/forms/community_survey/submit",
        data=whole_data("community_survey", UUID, SURVEY_ANSWERS) + [("csrf_token", "not-a-token")],
        headers=OUTBOX,
        timeout=30,
    )
    assert stale.status_code == 400 and stale.json()["error"] == "csrf"
    assert "reload the page" in stale.json()["message"]
    kiosk = hub.browser("en")
    kiosk.get("/feedback")
    refused = kiosk.post("/feedback", {"_uuid": UUID, "_shown": "message"}, headers=OUTBOX)
    assert refused.status_code == 422 and refused.json()["error"] == "needs_attention"
    assert counts(db_path, UUID) == (0, 0, 0)
