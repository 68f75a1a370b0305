"""Enumerators fill the built-in forms on a real hub, page by page, without JavaScript."""

from __future__ import annotations

import json

import pytest

from filling import FEEDBACK_ANSWERS, REPORT_ANSWERS, SURVEY_ANSWERS, fill_form, page_data
from support import query


@pytest.mark.parametrize("lang", ["en", "fr", "ar"])
def test_fill_and_finalize_community_survey(hub, db_path, lang):
    phone = hub.browser(lang)
    phone.signin()
    record_uuid = fill_form(phone, "community_survey", SURVEY_ANSWERS)

    [record] = query(db_path, "SELECT * FROM records WHERE uuid = ?", [record_uuid])
    answers = json.loads(record["answers"])
    assert record["status"] == "finalized"
    assert record["revision"] == 1
    assert record["locale"] == lang
    assert record["form_id"] == "community_survey" and record["form_version"] == "1"
    assert record["enumerator_id"] == 1
    assert record["started_at"] and record["finalized_at"]
    assert answers["age"] == 34 and answers["life_satisfaction"] == 6
    assert answers["discrimination_grounds"] == ["nationality", "language"]
    assert answers["respondent_name"] == "Halima Yusuf"
    [revision] = query(db_path, "SELECT * FROM revisions WHERE uuid = ?", [record_uuid])
    assert json.loads(revision["answers"]) == answers
    [queued] = query(db_path, "SELECT * FROM outbox WHERE uuid = ?", [record_uuid])
    assert (queued["revision"], queued["state"]) == (1, "queued")


def test_discrimination_report_shows_where_to_get_help(hub, db_path):
    hub.app.config["HUB"]["referral_contacts"] = [
        {"name": "Legal aid desk", "phone": "+254 700 000111", "hours": "Mon-Fri 9-17"}
    ]
    phone = hub.browser("en")
    phone.signin()
    record_uuid = fill_form(phone, "discrimination_report", REPORT_ANSWERS)
    assert f"/records/{record_uuid}/saved" in phone.last.url
    assert "Where to get help" in phone.last.text
    assert "Legal aid desk" in phone.last.text and "+254 700 000111" in phone.last.text
    [record] = query(db_path, "SELECT answers FROM records WHERE uuid = ?", [record_uuid])
    assert json.loads(record["answers"])["incident_month"] == "2024-02-01"


def test_declining_consent_skips_every_other_section(browser, db_path):
    response = browser.get("/forms/community_survey")
    uuid_path = _first_action(response.text)
    response = browser.post(uuid_path, page_data("community_survey", 0, {"consent": "no"}))
    assert response.url.endswith("/review")
    assert "About you" not in response.text
    finalize = response.url.replace(browser.base, "").replace("/review", "/finalize")
    response = browser.post(finalize, {})
    assert response.status_code == 200
    [record] = query(db_path, "SELECT answers, status FROM records")
    assert json.loads(record["answers"]) == {"consent": "no"}
    assert record["status"] == "finalized"


def _first_action(html):
    import re

    return re.search(r'<form method="post" action="(/records/[^"]+)"', html).group(1)


# Each rule of the built-in forms, broken once: (form, section, answers, field, message).
BROKEN = [
    (
        "community_survey",
        0,
        {"consent": None},
        "consent",
        "Please say whether the person agrees before continuing.",
    ),
    ("community_survey", 1, {"age": "abc"}, "age", "Enter a whole number, using digits only."),
    ("community_survey", 1, {"age": "12"}, "age", "Enter a number from 15 to 120."),
    ("community_survey", 1, {"age": "121"}, "age", "Enter a number from 15 to 120."),
    ("community_survey", 1, {"gender": "robot"}, "gender", "Choose one of the options shown."),
    ("community_survey", 1, {"gender": None}, "gender", "This question needs an answer."),
    (
        "community_survey",
        1,
        {"language_home_other": None},
        "language_home_other",
        "This question needs an answer.",
    ),
    (
        "community_survey",
        1,
        {"respondent_phone": "call me"},
        "respondent_phone",
        "Enter a phone number using digits, spaces and an optional + sign.",
    ),
    (
        "community_survey",
        1,
        {"respondent_name": "x" * 101},
        "respondent_name",
        "Use at most 100 characters.",
    ),
    (
        "community_survey",
        3,
        {"life_satisfaction": "11"},
        "life_satisfaction",
        "Choose a value from 0 to 10.",
    ),
    (
        "community_survey",
        6,
        {"discrimination_grounds": ["religion", "astrology"]},
        "discrimination_grounds",
        "Choose from the options shown.",
    ),
    (
        "community_survey",
        6,
        {"reported_to": ["no_one", "police"]},
        "reported_to",
        "'No one' cannot be combined with other answers.",
    ),
    (
        "community_survey",
        6,
        {"not_reported_why": None},
        "not_reported_why",
        "This question needs an answer.",
    ),
    (
        "discrimination_report",
        1,
        {"incident_month": "2999-01"},
        "incident_month",
        "The date cannot be in the future.",
    ),
    (
        "discrimination_report",
        1,
        {"incident_month": "last spring"},
        "incident_month",
        "Enter a month and year, such as 2024-03.",
    ),
    (
        "discrimination_report",
        1,
        {"incident_description": None},
        "incident_description",
        "This question needs an answer.",
    ),
]


@pytest.mark.parametrize("form_id,section,changes,field,message", BROKEN)
def test_every_rule_is_enforced_by_the_hub(
    browser, db_path, form_id, section, changes, field, message
):
    answers = dict(SURVEY_ANSWERS if form_id == "community_survey" else REPORT_ANSWERS)
    answers.update(changes)
    answers = {k: v for k, v in answers.items() if v is not None}
    path = start_record(browser, form_id, answers, upto=section)
    response = browser.post(path, page_data(form_id, section, answers))
    assert response.status_code == 422
    assert f'id="{field}-error"' in response.text
    assert message.replace("'", "&#39;") in response.text
    # Every value typed on the page comes back, so nothing has to be typed twice.
    for name in _section_fields(form_id, section):
        value = answers.get(name)
        if isinstance(value, str) and name != field and " " not in value:
            assert f'value="{value}"' in response.text
    stored = query(db_path, "SELECT status, answers FROM records")
    assert all(row["status"] == "draft" for row in stored)
    assert all(field not in json.loads(row["answers"]) for row in stored)


def start_record(browser, form_id, answers, upto):
    """Post valid pages before section `upto`; return the path of section `upto`."""
    path = _first_action(browser.get(f"/forms/{form_id}").text)
    record_base = path.rsplit("/", 1)[0]
    for index in range(upto):
        response = browser.post(f"{record_base}/{index}", page_data(form_id, index, answers))
        assert response.status_code == 200, response.text[:1000]
    return f"{record_base}/{upto}"


def _section_fields(form_id, index):
    from filling import FORMS

    return {q.name for q in FORMS[form_id].section_questions(index) if q.holds_value}


def test_draft_keeps_answers_and_resumes(browser, db_path):
    response = browser.get("/forms/community_survey")
    path = _first_action(response.text)
    browser.post(path, page_data("community_survey", 0, {"consent": "yes"}))
    record_uuid = path.split("/")[2]
    # Half the background page, then "save draft": required answers may still be missing.
    response = browser.post(
        f"/records/{record_uuid}/1",
        page_data("community_survey", 1, {"age": "40", "gender": "man"}, action="draft"),
    )
    assert response.url.endswith("/records")
    assert "Draft saved" in response.text
    [record] = query(db_path, "SELECT status, answers FROM records WHERE uuid = ?", [record_uuid])
    assert record["status"] == "draft"
    assert json.loads(record["answers"]) == {"consent": "yes", "age": 40, "gender": "man"}
    # Resuming opens the first section that still needs answers, with the typed ones kept.
    response = browser.get(f"/records/{record_uuid}/resume")
    assert response.url.endswith(f"/records/{record_uuid}/1")
    page = response.text
    assert 'value="40"' in page
    assert 'value="man"\n          checked' in page or 'value="man" checked' in " ".join(
        page.split()
    )
    assert query(db_path, "SELECT count(*) AS n FROM outbox")[0]["n"] == 0


def test_draft_with_a_wrong_type_is_refused_and_stores_nothing(browser, db_path):
    path = _first_action(browser.get("/forms/community_survey").text)
    browser.post(path, page_data("community_survey", 0, {"consent": "yes"}))
    record_uuid = path.split("/")[2]
    before = query(db_path, "SELECT answers FROM records WHERE uuid = ?", [record_uuid])
    response = browser.post(
        f"/records/{record_uuid}/1",
        page_data("community_survey", 1, {"age": "forty"}, action="draft"),
    )
    assert response.status_code == 422
    assert query(db_path, "SELECT answers FROM records WHERE uuid = ?", [record_uuid]) == before


def test_edit_of_a_finalized_record_makes_a_new_revision(browser, db_path):
    record_uuid = fill_form(browser, "community_survey", SURVEY_ANSWERS)
    changed = dict(SURVEY_ANSWERS, life_satisfaction="9")
    browser.get(f"/records/{record_uuid}/review")
    browser.get(f"/records/{record_uuid}/3")
    response = browser.post(f"/records/{record_uuid}/3", page_data("community_survey", 3, changed))
    assert response.status_code == 200
    [record] = query(db_path, "SELECT status FROM records WHERE uuid = ?", [record_uuid])
    assert record["status"] == "draft"  # being edited: revision 1 is still queued as it was
    browser.get(f"/records/{record_uuid}/review")
    response = browser.post(f"/records/{record_uuid}/finalize", {})
    assert response.status_code == 200
    revisions = query(
        db_path,
        "SELECT revision, answers FROM revisions WHERE uuid = ? ORDER BY revision",
        [record_uuid],
    )
    assert [r["revision"] for r in revisions] == [1, 2]
    assert json.loads(revisions[0]["answers"])["life_satisfaction"] == 6
    assert json.loads(revisions[1]["answers"])["life_satisfaction"] == 9
    outbox = query(
        db_path,
        "SELECT revision, state FROM outbox WHERE uuid = ? ORDER BY revision",
        [record_uuid],
    )
    assert outbox == [{"revision": 1, "state": "queued"}, {"revision": 2, "state": "queued"}]


def test_repeated_finalize_makes_no_second_revision(browser, db_path):
    record_uuid = fill_form(browser, "community_survey", SURVEY_ANSWERS)
    browser.get(f"/records/{record_uuid}/review")
    response = browser.post(f"/records/{record_uuid}/finalize", {})
    assert response.status_code == 200
    assert query(db_path, "SELECT count(*) AS n FROM revisions")[0]["n"] == 1


def test_synced_record_cannot_be_changed(browser, db_path):
    import sqlite3

    record_uuid = fill_form(browser, "community_survey", SURVEY_ANSWERS)
    conn = sqlite3.connect(db_path)
    with conn:
        conn.execute("UPDATE records SET status = 'synced' WHERE uuid = ?", [record_uuid])
    conn.close()
    browser.get("/records")
    response = browser.post(
        f"/records/{record_uuid}/3", page_data("community_survey", 3, SURVEY_ANSWERS)
    )
    assert response.status_code == 403
    [record] = query(db_path, "SELECT status, revision FROM records WHERE uuid = ?", [record_uuid])
    assert (record["status"], record["revision"]) == ("synced", 1)


def test_record_list_shows_each_status(browser, db_path):
    finalized = fill_form(browser, "community_survey", SURVEY_ANSWERS)
    path = _first_action(browser.get("/forms/discrimination_report").text)
    browser.post(path, page_data("discrimination_report", 0, {"consent": "yes"}, action="draft"))
    page = browser.get("/records").text
    assert page.count('class="record-item"') == 2
    assert "badge-finalized" in page and "badge-draft" in page
    drafts = browser.get("/records?status=draft").text
    assert drafts.count('class="record-item"') == 1 and finalized[:8] not in drafts


def test_another_enumerator_cannot_open_my_record(hub, browser):
    record_uuid = fill_form(browser, "community_survey", SURVEY_ANSWERS)
    hub.add_enumerator("baraka", "7777")
    other = hub.browser("en")
    other.signin("baraka", "7777")
    assert other.get(f"/records/{record_uuid}/review").status_code == 404
    assert other.get(f"/records/{record_uuid}/1").status_code == 404
    assert record_uuid[:8] not in other.get("/records").text


def test_skip_logic_without_javascript_reveals_new_questions(browser, db_path):
    """No script: answering 'yes' brings the follow-up questions on the same page."""
    record_uuid = fill_form(
        browser, "community_survey", dict(SURVEY_ANSWERS, discriminated="no"), finalize=False
    )
    page = browser.get(f"/records/{record_uuid}/6").text
    assert 'id="q-discrimination_grounds"' in page
    grounds_block = page.split('id="q-discrimination_grounds"')[1].split(">")[0]
    assert "hidden" in grounds_block
    # Post "yes" with only the questions that were on screen marked as shown.
    response = browser.post(
        f"/records/{record_uuid}/6",
        [
            ("form_id", "community_survey"),
            ("_action", "next"),
            ("_shown", "discriminated"),
            ("discriminated", "yes"),
        ],
    )
    assert response.status_code == 200
    assert "Your answers open more questions on this page" in response.text
    grounds_block = response.text.split('id="q-discrimination_grounds"')[1].split(">")[0]
    assert "hidden" not in grounds_block
    assert f"/records/{record_uuid}/6" in response.url


def test_answers_to_questions_made_irrelevant_are_dropped(browser, db_path):
    record_uuid = fill_form(browser, "community_survey", SURVEY_ANSWERS, finalize=False)
    browser.get(f"/records/{record_uuid}/6")
    browser.post(
        f"/records/{record_uuid}/6",
        page_data("community_survey", 6, dict(SURVEY_ANSWERS, discriminated="no")),
    )
    [record] = query(db_path, "SELECT answers FROM records WHERE uuid = ?", [record_uuid])
    answers = json.loads(record["answers"])
    assert answers["discriminated"] == "no"
    for name in ("discrimination_grounds", "reported_to", "not_reported_why"):
        assert name not in answers


def test_feedback_form_redirects_to_the_kiosk(browser):
    response = browser.get("/forms/community_feedback")
    assert response.url.endswith("/feedback")
    assert FEEDBACK_ANSWERS  # the kiosk tests fill it


def test_unknown_form_is_404(browser):
    assert browser.get("/forms/no_such_form").status_code == 404
    assert browser.get("/records/not-a-uuid/0").status_code == 404


ALL_TYPES_FORM = {
    "form_id": "all_types",
    "version": "1",
    "title": {"en": "All types", "fr": "Tous les types"},
    "choices": {
        "water": [
            {"name": "tap", "label": {"en": "Tap"}},
            {"name": "well", "label": {"en": "Well"}},
        ]
    },
    "sections": [
        {
            "name": "only",
            "label": {"en": "Only"},
            "questions": [
                {"name": "note1", "type": "note", "label": {"en": "A note"}},
                {
                    "name": "weight",
                    "type": "decimal",
                    "label": {"en": "Weight"},
                    "min": 0.5,
                    "max": 300,
                },
                {
                    "name": "visit",
                    "type": "date",
                    "label": {"en": "Visit"},
                    "constraint": ". <= today()",
                },
                {
                    "name": "source",
                    "type": "select_one",
                    "choices": "water",
                    "appearance": "minimal",
                    "label": {"en": "Source"},
                },
                {
                    "name": "sources",
                    "type": "select_multiple",
                    "choices": "water",
                    "appearance": "minimal",
                    "label": {"en": "Sources"},
                },
                {
                    "name": "why",
                    "type": "text",
                    "label": {"en": "Why?"},
                    "relevant": "${source} = 'well'",
                    "required": True,
                },
            ],
        }
    ],
}


def test_an_imported_form_with_every_type(hub, db_path):
    from collector.db import open_database
    from collector.form_library import import_form
    from collector.forms import load_form

    db = open_database(db_path)
    import_form(db, load_form(ALL_TYPES_FORM), "test")
    db.close()
    phone = hub.browser("fr")
    phone.signin()
    page = phone.get("/forms/all_types").text
    assert '<select id="f-source" name="source"' in page
    assert page.count('type="checkbox" name="sources"') == 2
    path = _first_action(page)

    def post(**answers):
        data = [("form_id", "all_types"), ("_action", "next")]
        data += [("_shown", n) for n in ("weight", "visit", "source", "sources", "why")]
        for name, value in answers.items():
            data += [(name, v) for v in (value if isinstance(value, list) else [value])]
        return phone.post(path, data)

    assert post(weight="0,2").status_code == 422  # below the minimum, French decimal comma
    assert post(weight="lourd").status_code == 422
    assert post(visit="2024-02-30").status_code == 422
    assert post(source="well").status_code == 422  # "why" is required once relevant
    response = post(
        weight="72,5", visit="2024-02-29", source="well", sources=["tap", "well"], why="Closer"
    )
    assert response.url.endswith("/review")
    assert "72,5" in response.text  # shown back with the French decimal comma
    [record] = query(db_path, "SELECT answers, form_version FROM records")
    assert json.loads(record["answers"]) == {
        "weight": 72.5,
        "visit": "2024-02-29",
        "source": "well",
        "sources": ["tap", "well"],
        "why": "Closer",
    }
