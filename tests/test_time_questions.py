"""Time and date-and-time questions: typed on the phone's own pickers, checked and stored
as ISO text by the hub, shown in the reader's language, month-only when synced."""

from __future__ import annotations

import json
import re

import pytest

from collector.anonymizer import anonymize
from collector.forms import load_form
from collector.xlsform import convert, read_xlsform, to_xlsform
from support import import_forms, query

VISIT = {
    "form_id": "visit_log",
    "version": "1",
    "title": {"en": "Visit log"},
    "sections": [
        {
            "name": "visit",
            "label": {"en": "Visit"},
            "questions": [
                {
                    "name": "arrived",
                    "type": "time",
                    "label": {"en": "Arrival time"},
                    "required": True,
                    "default": "09:00",
                },
                {
                    "name": "incident_at",
                    "type": "datetime",
                    "label": {"en": "When did it happen?"},
                    "constraint": ". <= now()",
                    "constraint_message": {"en": "Not in the future."},
                },
            ],
        }
    ],
}


@pytest.fixture
def visit_hub(hub, db_path):
    import_forms(db_path, VISIT)
    return hub


def post(phone, **answers):
    page = phone.get("/forms/visit_log").text
    path = re.search(r'<form method="post" action="(/records/[^"]+)"', page).group(1)
    data = [
        ("form_id", "visit_log"),
        ("_action", "next"),
        ("_shown", "arrived"),
        ("_shown", "incident_at"),
    ] + list(answers.items())
    return page, phone.post(path, data)


def test_time_and_datetime_pickers_and_defaults(visit_hub):
    phone = visit_hub.browser("en")
    phone.signin()
    page, _ = post(phone, arrived="25:00")
    assert re.search(r'<input type="time"[^>]*name="arrived"[^>]*value="09:00"', page)
    assert '<input type="datetime-local"' in page
    assert 'data-type-message="Enter a date and time, such as 2024-03-15 14:30."' in page


@pytest.mark.parametrize(
    "answers, message",
    [
        ({"arrived": "25:00"}, "Enter a time, such as 14:30."),
        ({"arrived": "9h"}, "Enter a time, such as 14:30."),
        (
            {"arrived": "10:15", "incident_at": "2024-02-30T10:00"},
            "Enter a date and time, such as 2024-03-15 14:30.",
        ),
        ({"arrived": "10:15", "incident_at": "2999-01-01T10:00"}, "Not in the future."),
    ],
)
def test_bad_times_are_refused_with_their_message(visit_hub, db_path, answers, message):
    phone = visit_hub.browser("en")
    phone.signin()
    _, response = post(phone, **answers)
    assert response.status_code == 422 and message in response.text
    assert query(db_path, "SELECT count(*) AS n FROM records")[0]["n"] == 0


def test_times_are_stored_as_iso_text_and_shown_in_the_readers_language(visit_hub, db_path):
    phone = visit_hub.browser("fr")
    phone.signin()
    _, response = post(phone, arrived="14:05:30", incident_at="2024-03-15 18:45")
    assert response.url.endswith("/review")
    assert "14:05" in response.text and "15 mars 2024" in response.text
    [record] = query(db_path, "SELECT answers FROM records")
    assert json.loads(record["answers"]) == {"arrived": "14:05", "incident_at": "2024-03-15T18:45"}


def test_a_date_and_time_leaves_the_laptop_as_its_month():
    form = load_form(VISIT)
    record = {
        "uuid": "7c9e6679-7425-40de-944b-e07fc1f90ae7",
        "form_id": "visit_log",
        "form_version": "1",
        "revision": 1,
        "locale": "en",
        "finalized_at": "2024-03-16T09:00:00Z",
        "started_at": "2024-03-16T08:40:00Z",
        "answers": {"arrived": "14:05", "incident_at": "2024-03-15T18:45"},
    }
    sent = anonymize(record, form, b"k" * 32)
    assert sent["answers"] == {"arrived": "14:05", "incident_at": "2024-03"}


def test_xlsform_time_and_datetime_round_trip(tmp_path):
    rows = [
        {"type": "time", "name": "arrived", "label": "Arrival", "default": "09:00"},
        {"type": "datetime", "name": "seen", "label": "Seen", "default": "9 o'clock"},
    ]
    result = convert({"survey": rows, "settings": [{"form_id": "f", "version": "1"}]})
    assert [(p.code, p.row, p.column) for p in result.warnings] == [("bad_default", 3, "default")]
    assert "default" not in result.form.questions["seen"].spec
    rows[1].pop("default")
    form = convert({"survey": rows, "settings": [{"form_id": "f", "version": "1"}]}).form
    assert form.questions["arrived"].type == "time" and form.questions["seen"].type == "datetime"
    to_xlsform(form, tmp_path / "f.xlsx")
    again = read_xlsform(tmp_path / "f.xlsx")
    assert again.ok and again.form.questions["arrived"].default == "09:00"
