"""Repeats: a household roster asked once per member (as many as a repeat_count says) and
visits the enumerator adds and removes, on pages without JavaScript, in the browser,
through the phone's outbox, and through the anonymizer."""

from __future__ import annotations

import json
import re

import pytest

from browsing import sign_in  # noqa: F401
from collector.anonymizer import anonymize
from collector.forms import MAX_INSTANCES, FormError, load_form
from support import import_forms, query

ROSTER = {
    "form_id": "roster",
    "version": "1",
    "title": {"en": "Household roster"},
    "sections": [
        {
            "name": "household",
            "label": {"en": "Household"},
            "questions": [
                {
                    "name": "head_name",
                    "type": "text",
                    "label": {"en": "Head of household"},
                    "identifying": True,
                },
                {
                    "name": "hh_size",
                    "type": "integer",
                    "label": {"en": "People in the household"},
                    "required": True,
                    "min": 1,
                    "max": 20,
                },
            ],
        },
        {
            "name": "members",
            "label": {"en": "Household member"},
            "repeat": True,
            "repeat_count": "${hh_size}",
            "questions": [
                {
                    "name": "member_name",
                    "type": "text",
                    "label": {"en": "First name"},
                    "identifying": True,
                    "privacy": "pseudonymize",
                    "required": True,
                },
                {
                    "name": "member_phone",
                    "type": "text",
                    "label": {"en": "Phone number"},
                    "identifying": True,
                },
                {
                    "name": "member_age",
                    "type": "integer",
                    "label": {"en": "Age"},
                    "required": True,
                    "constraint": ". < 120",
                    "constraint_message": {"en": "An age below 120, please."},
                },
                {
                    "name": "in_school",
                    "type": "select_one",
                    "choices": "yes_no",
                    "label": {"en": "In school?"},
                    "required": True,
                    "relevant": "${member_age} >= 5 and ${member_age} < 18",
                },
                {"name": "member_no", "type": "calculate", "calculation": "position(..)"},
                {
                    "name": "is_child",
                    "type": "calculate",
                    "calculation": "if(${member_age} < 18, 1, 0)",
                },
            ],
        },
        {
            "name": "summary",
            "label": {"en": "Summary"},
            "questions": [
                {"name": "children", "type": "calculate", "calculation": "sum(${is_child})"},
                {"name": "oldest", "type": "calculate", "calculation": "max(${member_age})"},
                {
                    "name": "school_fees",
                    "type": "integer",
                    "label": {"en": "School fees"},
                    "relevant": "${children} > 0",
                },
            ],
        },
        {
            "name": "visits",
            "label": {"en": "Visit"},
            "repeat": True,
            "questions": [
                {
                    "name": "visit_date",
                    "type": "date",
                    "label": {"en": "Date of the visit"},
                    "required": True,
                    "constraint": ". <= today()",
                    "constraint_message": {"en": "A visit cannot be in the future."},
                },
                {"name": "visit_note", "type": "text", "label": {"en": "What happened"}},
                {
                    "name": "visit_by",
                    "type": "text",
                    "label": {"en": "Visited by"},
                    "default": "Field team",
                },
            ],
        },
    ],
    "choices": {
        "yes_no": [{"name": "yes", "label": {"en": "Yes"}}, {"name": "no", "label": {"en": "No"}}]
    },
}
UUID = "7c9e6679-7425-40de-944b-e07fc1f90ae7"


@pytest.fixture
def roster_hub(hub, db_path):
    import_forms(db_path, ROSTER)
    return hub


def stored(db_path, record_uuid=None):
    rows = query(db_path, "SELECT uuid, status, answers FROM records")
    rows = [row for row in rows if record_uuid in (None, row["uuid"])]
    assert len(rows) == 1
    return rows[0]["status"], json.loads(rows[0]["answers"])


def post_page(phone, path, fields, action="next"):
    posted = [("form_id", "roster"), ("_action", action)]
    posted += [("_shown", name) for name, _ in fields if not name.startswith("_")]
    return phone.post(path, posted + list(fields) + unasked_phones(fields))


def unasked_phones(fields):
    """Each member's phone number is shown and left blank, unless the test gives one."""
    given = {name for name, _ in fields}
    return [
        ("_shown", name.replace("member_name", "member_phone"))
        for name, _ in fields
        if name.startswith("member_name.")
        and name.replace("member_name", "member_phone") not in given
    ]


def shown(page: str) -> str:
    """The page without the template a script copies for a new instance."""
    return re.sub(r"<template.*?</template>", "", page, flags=re.S)


def start(phone, size="2"):
    page = phone.get("/forms/roster").text
    path = re.search(r'<form method="post" action="(/records/[^"]+)/0"', page).group(1)
    response = post_page(phone, f"{path}/0", [("head_name", "Amina Yusuf"), ("hh_size", size)])
    assert response.url.endswith("/1"), response.text
    return path, response


# -- The form definition ---------------------------------------------------------------


def test_a_repeat_is_a_section_whose_questions_are_asked_per_instance():
    form = load_form(ROSTER)
    assert list(form.repeats) == ["members", "visits"]
    assert [q.name for q in form.repeats["members"]][:3] == [
        "member_name",
        "member_phone",
        "member_age",
    ]
    assert form.questions["member_age"].repeat == "members"
    assert "member_age" not in form.top_questions and "hh_size" in form.top_questions
    assert form.questions["member_age"].instance(3).key == "member_age.3"


@pytest.mark.parametrize(
    "change, message",
    [
        ({"repeat": False}, "Only a repeat has a repeat_count."),
        ({"repeat_count": "${nobody}"}, "refers to 'nobody', which is not a question"),
        ({"name": "hh_size"}, "The question name 'hh_size' is used twice."),
    ],
)
def test_a_wrong_repeat_is_refused_with_its_reason(change, message):
    definition = json.loads(json.dumps(ROSTER))
    definition["sections"][1].update(change)
    with pytest.raises(FormError) as error:
        load_form(definition)
    assert message in str(error.value)


# -- Pages without JavaScript ----------------------------------------------------------


def test_a_repeat_count_gives_one_instance_per_member(roster_hub):
    phone = roster_hub.browser("en")
    phone.signin()
    _, response = start(phone, "3")
    page = shown(response.text)
    legends = re.findall(r"<legend[^>]*>Household member \((\d+)\)</legend>", page)
    assert [int(n) for n in legends] == [1, 2, 3]
    assert 'name="member_age.3"' in page and 'name="member_age.4"' not in page
    assert 'name="_repeat.members" value="3"' in page
    assert "repeat-add" not in page  # the count decides, not the enumerator


def test_each_instance_is_checked_and_stored_with_its_own_answers(roster_hub, db_path):
    phone = roster_hub.browser("en")
    phone.signin()
    path, _ = start(phone)
    members = [
        ("member_name.1", "Amina"),
        ("member_age.1", "41"),
        ("member_name.2", "Musa"),
        ("member_age.2", "130"),
    ]
    response = post_page(phone, f"{path}/1", members)
    assert response.status_code == 422
    assert re.search(r'id="member_age\.2-error">An age below 120, please\.', response.text)
    assert 'id="member_age.1-error"' not in response.text
    # A ten-year-old opens "In school?" in their own instance only.
    members[-1] = ("member_age.2", "10")
    response = post_page(phone, f"{path}/1", members)
    assert response.status_code == 200 and "Please answer them" in response.text
    assert re.search(r'id="q-in_school\.2"[^>]*>', response.text).group(0).find("hidden") == -1
    assert "hidden" in re.search(r'id="q-in_school\.1"[^>]*>', response.text).group(0)
    response = post_page(phone, f"{path}/1", members + [("in_school.2", "yes")])
    assert response.url.endswith("/2")  # the summary asks for school fees: a child
    _, answers = stored(db_path)
    assert answers["members"] == [
        {"member_name": "Amina", "member_age": 41, "member_no": 1, "is_child": 0},
        {
            "member_name": "Musa",
            "member_age": 10,
            "in_school": "yes",
            "member_no": 2,
            "is_child": 1,
        },
    ]
    assert answers["children"] == 1 and answers["oldest"] == 41


def test_a_smaller_household_keeps_the_first_members_only(roster_hub, db_path):
    phone = roster_hub.browser("en")
    phone.signin()
    path, _ = start(phone, "2")
    post_page(
        phone,
        f"{path}/1",
        [
            ("member_name.1", "Amina"),
            ("member_age.1", "41"),
            ("member_name.2", "Musa"),
            ("member_age.2", "39"),
        ],
    )
    post_page(phone, f"{path}/0", [("hh_size", "1")])
    _, answers = stored(db_path)
    assert [m["member_name"] for m in answers["members"]] == ["Amina"]
    assert answers["oldest"] == 41


def test_visits_are_added_and_removed_without_javascript(roster_hub, db_path):
    phone = roster_hub.browser("en")
    phone.signin()
    path, _ = start(phone, "1")
    post_page(phone, f"{path}/1", [("member_name.1", "Amina"), ("member_age.1", "41")])
    page = shown(phone.get(f"{path}/3").text)
    assert 'name="visit_date.1"' in page and 'value="add:visits"' in page  # one to start
    typed = [("visit_date.1", "2024-03-01"), ("visit_note.1", "First visit")]
    page = shown(post_page(phone, f"{path}/3", typed, action="add:visits").text)
    assert re.search(r'name="visit_note\.1"[^>]*value="First visit"', page)
    assert 'name="visit_date.2"' in page and 'value="remove:visits:2"' in page
    assert re.search(r'name="visit_by\.2"[^>]*value="Field team"', page)  # its default
    typed += [
        ("_repeat.visits", "2"),
        ("visit_date.2", "2024-03-09"),
        ("visit_note.2", "Second"),
        ("visit_by.2", "Amina"),
    ]
    page = shown(post_page(phone, f"{path}/3", typed, action="remove:visits:1").text)
    assert re.search(r'name="visit_note\.1"[^>]*value="Second"', page)
    assert 'name="visit_date.2"' not in page
    _, answers = stored(db_path)
    assert answers["visits"] == [
        {"visit_date": "2024-03-09", "visit_note": "Second", "visit_by": "Amina"}
    ]
    page = shown(
        post_page(phone, f"{path}/3", [("_repeat.visits", "1")], action="remove:visits:1").text
    )
    assert "None added yet." in page and 'name="visit_date.1"' not in page
    assert stored(db_path)[1]["visits"] == []


def test_a_visit_in_the_future_is_refused_and_nothing_is_finalized(roster_hub, db_path):
    phone = roster_hub.browser("en")
    phone.signin()
    path, _ = start(phone, "1")
    post_page(phone, f"{path}/1", [("member_name.1", "Amina"), ("member_age.1", "41")])
    response = post_page(
        phone, f"{path}/3", [("_repeat.visits", "1"), ("visit_date.1", "2999-01-01")]
    )
    assert response.status_code == 422 and "A visit cannot be in the future." in response.text
    assert phone.post(f"{path}/finalize", {}).status_code == 422
    assert stored(db_path)[0] == "draft"


def test_a_forged_instance_count_is_capped(roster_hub, db_path):
    phone = roster_hub.browser("en")
    phone.signin()
    path, _ = start(phone, "1")
    post_page(phone, f"{path}/1", [("member_name.1", "Amina"), ("member_age.1", "41")])
    post_page(phone, f"{path}/3", [("_repeat.visits", "100000")], action="draft")
    assert len(stored(db_path)[1]["visits"]) == MAX_INSTANCES


def test_the_review_lists_each_instance(roster_hub):
    phone = roster_hub.browser("en")
    phone.signin()
    path, _ = start(phone, "2")
    post_page(
        phone,
        f"{path}/1",
        [
            ("member_name.1", "Amina"),
            ("member_age.1", "41"),
            ("member_name.2", "Musa"),
            ("member_age.2", "39"),
        ],
    )
    page = phone.get(f"{path}/review").text
    assert "Household member (2) · First name" in page and "Musa" in page


# -- A whole record from a phone's outbox ----------------------------------------------

WHOLE = [
    ("_uuid", UUID),
    ("_action", "finalize"),
    ("form_version", "1"),
    ("head_name", "Amina Yusuf"),
    ("hh_size", "2"),
    ("_repeat.visits", "1"),
    ("member_name.1", "Amina"),
    ("member_age.1", "41"),
    ("member_name.2", "Musa"),
    ("member_age.2", "39"),
    ("visit_date.1", "2024-03-01"),
    ("visit_note.1", "Musa was at the market"),
    ("visit_by.1", "Field team"),
]


def whole(fields):
    return (
        fields
        + unasked_phones(fields)
        + [
            ("_shown", name)
            for name, _ in fields
            if not name.startswith("_") and name != "form_version"
        ]
    )


def test_a_whole_record_with_repeats_is_finalized_once(roster_hub, db_path):
    phone = roster_hub.browser("en")
    phone.signin()
    page = phone.get("/forms/roster/phone").text
    for _ in range(2):  # the answer was lost: the outbox sends again
        response = phone.post(
            "/forms/roster/submit", whole(WHOLE), csrf_from=page, headers={"X-Hub-Outbox": "1"}
        )
        assert response.json()["status"] == "finalized" and response.json()["revision"] == 1
    status, answers = stored(db_path)
    assert status == "finalized" and len(answers["members"]) == 2
    assert answers["visits"] == [
        {
            "visit_date": "2024-03-01",
            "visit_note": "Musa was at the market",
            "visit_by": "Field team",
        }
    ]
    assert query(db_path, "SELECT count(*) AS n FROM outbox")[0]["n"] == 1


def test_a_whole_record_with_a_wrong_instance_waits_as_a_draft(roster_hub, db_path):
    phone = roster_hub.browser("en")
    phone.signin()
    phone.get("/forms/roster/phone")
    fields = [(k, "200" if k == "member_age.2" else v) for k, v in WHOLE]
    response = phone.post("/forms/roster/submit", whole(fields), headers={"X-Hub-Outbox": "1"})
    assert response.json()["status"] == "draft"
    status, answers = stored(db_path)
    assert status == "draft" and answers["members"][1]["member_age"] == 200
    assert query(db_path, "SELECT count(*) AS n FROM outbox")[0]["n"] == 0


# -- What leaves the laptop --------------------------------------------------------------


def test_the_preview_names_what_stays_on_the_laptop_inside_instances(roster_hub, db_path):
    phone = roster_hub.browser("en")
    phone.signin()
    page = phone.get("/forms/roster/phone").text
    fields = WHOLE + [("member_phone.2", "+254 712 345678")]
    phone.post("/forms/roster/submit", whole(fields), csrf_from=page, headers={"X-Hub-Outbox": "1"})
    preview = phone.get(f"/sync/preview/{UUID}").text
    never_sent = preview.split("<h2>Sent</h2>")[0]
    assert "Head of household" in never_sent and "Phone number" in never_sent
    assert "712" not in preview and "Amina" not in preview.split("<h2>Sent</h2>")[1]


def test_each_instance_goes_through_its_questions_privacy_rules():
    form = load_form(ROSTER)
    record = {
        "uuid": UUID,
        "revision": 1,
        "form_id": "roster",
        "form_version": "1",
        "locale": "en",
        "finalized_at": "2024-03-15T10:00:00+00:00",
        "answers": {
            "head_name": "Amina Yusuf",
            "hh_size": 2,
            "children": 0,
            "members": [
                {"member_name": "Amina", "member_age": 41},
                {"member_name": "Musa", "member_age": 39},
            ],
            "visits": [{"visit_date": "2024-03-01", "visit_note": "Musa was at the market"}],
        },
    }
    synced = anonymize(record, form, b"k" * 32)["answers"]
    assert "head_name" not in synced
    names = [member["member_name"] for member in synced["members"]]
    assert all(name.startswith("p_") for name in names) and names[0] != names[1]
    assert [member["member_age"] for member in synced["members"]] == [41, 39]
    assert synced["visits"] == [{"visit_date": "2024-03", "visit_note": "[name] was at the market"}]
    assert "Musa" not in json.dumps(synced) and "Amina" not in json.dumps(synced)


# -- In the browser ----------------------------------------------------------------------


def until(driver, condition, seconds=20):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, seconds).until(condition)


def type_into(driver, field_id: str, value: str) -> None:
    """Type as a person does (a date as its picker sets it); leaving the field fires change."""
    field = driver.find_element("id", field_id)
    if field.get_attribute("type") == "date":
        driver.execute_script("arguments[0].value = arguments[1];", field, value)
    else:
        field.clear()
        field.send_keys(value)
    driver.execute_script("arguments[0].dispatchEvent(new Event('change', {bubbles: true}))", field)


def css(driver, selector: str):
    return driver.find_element("css selector", selector)


def test_a_roster_is_filled_on_a_phone_with_instances_added_live(roster_hub, chromium, db_path):
    from browsing import console_errors

    sign_in(chromium, roster_hub)
    chromium.get(f"{roster_hub.url}/forms/roster/phone?lang=en")
    until(chromium, lambda d: css(d, "button.step-next").is_displayed())
    type_into(chromium, "f-head_name", "Amina Yusuf")
    type_into(chromium, "f-hh_size", "3")
    css(chromium, "button.step-next").click()
    legends = [n.text for n in chromium.find_elements("css selector", "#step-1 legend") if n.text]
    assert legends == ["Household member (1)", "Household member (2)", "Household member (3)"]
    css(chromium, "button.step-back").click()
    type_into(chromium, "f-hh_size", "2")  # one fewer: the last instance goes
    css(chromium, "button.step-next").click()
    assert len(chromium.find_elements("css selector", "#step-1 .repeat-instance")) == 2
    type_into(chromium, "f-member_name.1", "Amina")
    type_into(chromium, "f-member_age.1", "41")
    type_into(chromium, "f-member_name.2", "Musa")
    type_into(chromium, "f-member_age.2", "130")
    css(chromium, "button.step-next").click()
    assert "An age below 120, please." in chromium.find_element("id", "q-member_age.2").text
    assert not chromium.find_element("id", "q-in_school.1").is_displayed()
    type_into(chromium, "f-member_age.2", "10")  # a child: "In school?" in their instance only
    assert chromium.find_element("id", "q-in_school.2").is_displayed()
    assert not chromium.find_element("id", "q-in_school.1").is_displayed()
    css(chromium, 'input[name="in_school.2"][value="yes"]').click()
    css(chromium, "button.step-next").click()
    assert chromium.find_element("id", "q-school_fees").is_displayed()  # sum(${is_child}) = 1
    css(chromium, "button.step-next").click()
    type_into(chromium, "f-visit_date.1", "2024-03-01")
    type_into(chromium, "f-visit_note.1", "First visit")
    css(chromium, "#step-3 .repeat-add").click()
    assert chromium.find_element("id", "f-visit_by.2").get_attribute("value") == "Field team"
    type_into(chromium, "f-visit_date.2", "2024-03-09")
    type_into(chromium, "f-visit_note.2", "Second visit")
    assert (
        css(chromium, 'button[value="remove:visits:2"]').get_attribute("aria-describedby")
        == "legend-visits-2"
    )
    css(chromium, 'button[value="remove:visits:1"]').click()
    # The second visit is now the first: its fields are posted as visit_*.1.
    assert chromium.find_element("id", "f-visit_note.1").get_attribute("value") == "Second visit"
    assert not chromium.find_elements("id", "f-visit_note.2")
    remove = css(chromium, 'button[value="remove:visits:1"]')
    heading = chromium.find_element("id", remove.get_attribute("aria-describedby"))
    assert heading.text == "Visit (1)"  # the button says which visit it removes
    from browsing import review_and_finalize

    review_and_finalize(chromium)
    until(chromium, lambda d: "/phone" not in d.current_url)
    status, answers = stored(db_path)
    assert status == "finalized"
    assert answers["members"] == [
        {"member_name": "Amina", "member_age": 41, "member_no": 1, "is_child": 0},
        {
            "member_name": "Musa",
            "member_age": 10,
            "in_school": "yes",
            "member_no": 2,
            "is_child": 1,
        },
    ]
    assert answers["visits"] == [
        {"visit_date": "2024-03-09", "visit_note": "Second visit", "visit_by": "Field team"}
    ]
    assert console_errors(chromium) == []


# -- From the hub to the central server -------------------------------------------------


def test_a_roster_published_centrally_comes_back_as_one_row_per_member(
    hub, central, data_dir, db_path, tmp_path
):
    import csv

    from test_sync import collector, server_bytes, server_command

    definition = tmp_path / "roster.json"
    definition.write_text(json.dumps(ROSTER))
    assert server_command("forms", "publish", definition, central=central).exit_code == 0
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
    assert "1 new form versions" in collector("sync", data_dir=data_dir).output
    phone = hub.browser("en")
    phone.signin()
    page = phone.get("/forms/roster/phone").text
    fields = WHOLE + [("member_phone.2", "+254 712 345678")]
    response = phone.post(
        "/forms/roster/submit", whole(fields), csrf_from=page, headers={"X-Hub-Outbox": "1"}
    )
    assert response.json()["status"] == "finalized"
    assert "Stored 1, already there 0, rejected 0" in collector("sync", data_dir=data_dir).output

    [row] = query(central.database, "SELECT answers FROM records WHERE form_id = 'roster'")
    members = json.loads(row["answers"])["members"]
    assert [m["member_age"] for m in members] == [41, 39]
    assert all(m["member_name"].startswith("p_") and "member_phone" not in m for m in members)
    raw = server_bytes(central)
    for value in ("Amina", "Musa", "712 345678"):
        assert value.encode() not in raw, f"{value!r} reached the server"

    table = tmp_path / "members.csv"
    result = server_command(
        "export",
        "--form",
        "roster",
        "--format",
        "csv",
        "--output",
        table,
        "--repeat",
        "members",
        "--raw-records",
        "--reason",
        "check",
        central=central,
    )
    assert result.exit_code == 0, result.output
    with table.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [(r["_parent_uuid"], r["_index"], r["member_age"]) for r in rows] == [
        (UUID, "1", "41"),
        (UUID, "2", "39"),
    ]


def test_an_unanswered_question_in_an_instance_is_empty_not_another_instances_answer():
    from collector import validation

    form = load_form(ROSTER)
    answers = validation.compute(form, {"hh_size": 2, "members": [{"member_age": 10}, {}]})
    assert [m.get("is_child") for m in answers["members"]] == [1, 0]
    in_school_2 = form.questions["in_school"].instance(2)
    assert not validation.is_relevant(form, in_school_2, answers)


PUPILS = {
    "form_id": "pupils",
    "version": "1",
    "title": {"en": "Pupils"},
    "choices": {
        "yes_no": [{"name": "yes", "label": {"en": "Yes"}}, {"name": "no", "label": {"en": "No"}}]
    },
    "sections": [
        {
            "name": "people",
            "label": {"en": "Person"},
            "repeat": True,
            "questions": [
                {"name": "age", "type": "integer", "label": {"en": "Age"}},
                {
                    "name": "pupil",
                    "type": "select_one",
                    "choices": "yes_no",
                    "label": {"en": "In school?"},
                    "relevant": "${age} < 18",
                },
                {
                    "name": "meals",
                    "type": "select_one",
                    "choices": "yes_no",
                    "label": {"en": "School meals?"},
                    "relevant": "${pupil} = 'yes'",
                },
            ],
        }
    ],
}


def test_in_the_browser_a_closed_question_in_an_instance_is_empty(hub, db_path, chromium):
    import_forms(db_path, PUPILS)
    sign_in(chromium, hub)
    chromium.get(f"{hub.url}/forms/pupils/phone?lang=en")
    type_into(chromium, "f-age.1", "10")
    css(chromium, 'input[name="pupil.1"][value="yes"]').click()
    assert chromium.find_element("id", "q-meals.1").is_displayed()
    css(chromium, ".repeat-add").click()
    type_into(chromium, "f-age.2", "40")  # not asked "In school?": no school meals either
    assert not chromium.find_element("id", "q-pupil.2").is_displayed()
    assert not chromium.find_element("id", "q-meals.2").is_displayed()


# -- What a person or a crafted request may do, and what it must not break ---------------


def one_visit_drafted(hub):
    """A record with one member and one visit, kept as a draft."""
    phone = hub.browser("en")
    phone.signin()
    path, _ = start(phone, "1")
    post_page(phone, f"{path}/1", [("member_name.1", "Amina"), ("member_age.1", "41")])
    post_page(
        phone,
        f"{path}/3",
        [("_repeat.visits", "1"), ("visit_date.1", "2024-03-01")],
        action="draft",
    )
    return phone, path


@pytest.mark.parametrize(
    "fields, action",
    [
        ([("_repeat.visits", "²")], "draft"),
        ([("_repeat.visits", "9" * 5000)], "draft"),
        ([("_repeat.visits", "1")], "remove:visits:²"),
        ([("_repeat.visits", "1")], "remove:visits:" + "9" * 5000),
        ([("_repeat.visits", "1"), ("visit_date.-1", "2024-01-01")], "remove:visits:0"),
    ],
)
def test_odd_instance_counts_and_actions_change_nothing_and_crash_nothing(
    roster_hub, db_path, fields, action
):
    phone, path = one_visit_drafted(roster_hub)
    response = post_page(phone, f"{path}/3", fields, action=action)
    assert response.status_code == 200
    assert len(stored(db_path)[1]["visits"]) == 1  # still the one visit


def test_an_instance_is_removed_only_from_the_page_it_is_on(roster_hub, db_path):
    phone, path = one_visit_drafted(roster_hub)
    post_page(phone, f"{path}/0", [("hh_size", "1")], action="remove:visits:1")
    assert stored(db_path)[1]["visits"] == [{"visit_date": "2024-03-01"}]


def members_page(driver, hub, size: str) -> None:
    """The roster on a phone, the household size given, at the members' section."""
    sign_in(driver, hub)
    driver.get(f"{hub.url}/forms/roster/phone?lang=en")
    until(driver, lambda d: css(d, "button.step-next").is_displayed())
    type_into(driver, "f-hh_size", size)
    css(driver, "button.step-next").click()


def test_retyping_the_count_keeps_what_was_typed_for_each_member(roster_hub, chromium):
    members_page(chromium, roster_hub, "3")
    for n, name in enumerate(["Amina", "Musa", "Zainab"], 1):
        type_into(chromium, f"f-member_name.{n}", name)
    css(chromium, "button.step-back").click()
    size = chromium.find_element("id", "f-hh_size")
    size.clear()  # on the way to typing the same number again: no members for a moment
    size.send_keys("3")
    css(chromium, "button.step-next").click()
    names = [
        chromium.find_element("id", f"f-member_name.{n}").get_attribute("value") for n in (1, 2, 3)
    ]
    assert names == ["Amina", "Musa", "Zainab"]


def test_a_reload_brings_back_every_counted_member(roster_hub, chromium):
    members_page(chromium, roster_hub, "2")
    type_into(chromium, "f-member_name.1", "Amina")
    type_into(chromium, "f-member_name.2", "Musa")
    chromium.refresh()
    until(chromium, lambda d: d.find_elements("id", "f-member_name.2"))
    until(chromium, lambda d: d.find_element("id", "f-member_name.2").get_attribute("value"))
    assert [
        chromium.find_element("id", f"f-member_name.{n}").get_attribute("value") for n in (1, 2)
    ] == ["Amina", "Musa"]


FAMILY = {
    "form_id": "family",
    "version": "1",
    "title": {"en": "Family"},
    "sections": [
        {
            "name": "kids",
            "label": {"en": "Child"},
            "repeat": True,
            "questions": [
                {"name": "kid_age", "type": "integer", "label": {"en": "Age"}},
                {"name": "kid_phone", "type": "text", "label": {"en": "Phone"}},
            ],
        },
        {
            "name": "after",
            "label": {"en": "After"},
            "questions": [
                {
                    "name": "why",
                    "type": "text",
                    "label": {"en": "Two children: anything to add?"},
                    "relevant": "count(${kid_phone}) = 2",
                },
            ],
        },
    ],
}


def test_a_later_page_counts_a_repeat_as_the_hub_does(hub, db_path, chromium):
    """On the section pages, a repeat filled on an earlier page comes from the hub."""
    import_forms(db_path, FAMILY)
    sign_in(chromium, hub)
    chromium.get(f"{hub.url}/forms/family?lang=en")
    css(chromium, ".repeat-add").click()
    type_into(chromium, "f-kid_age.1", "4")
    type_into(chromium, "f-kid_age.2", "7")  # no phone numbers: the field is in no instance
    css(chromium, 'button[value="next"]').click()
    until(chromium, lambda d: d.find_elements("id", "q-why"))
    assert chromium.find_element("id", "q-why").is_displayed()


SIBLINGS = {
    "form_id": "siblings",
    "version": "1",
    "title": {"en": "Siblings"},
    "sections": [
        {
            "name": "kids",
            "label": {"en": "Child"},
            "repeat": True,
            "questions": [
                {"name": "age", "type": "integer", "label": {"en": "Age"}},
                {
                    "name": "gap",
                    "type": "calculate",
                    "calculation": "indexed-repeat(${age}, ${kids}, position(..) - 1) - ${age}",
                },
                {
                    "name": "twin",
                    "type": "text",
                    "label": {"en": "A twin of the child before?"},
                    "relevant": "${age} = indexed-repeat(${age}, ${kids}, position(..) - 1)",
                },
            ],
        }
    ],
}


def test_indexed_repeat_reads_the_previous_instance_on_hub_and_phone(hub, db_path, chromium):
    from collector import validation

    form = load_form(SIBLINGS)
    answers = validation.compute(form, {"kids": [{"age": 9}, {"age": 6}, {"age": 6}]})
    assert [kid.get("gap") for kid in answers["kids"]] == [None, 3, 0]
    import_forms(db_path, SIBLINGS)
    sign_in(chromium, hub)
    chromium.get(f"{hub.url}/forms/siblings/phone?lang=en")
    type_into(chromium, "f-age.1", "9")
    for _ in range(2):
        css(chromium, ".repeat-add").click()
    type_into(chromium, "f-age.2", "6")
    type_into(chromium, "f-age.3", "6")
    shown = [chromium.find_element("id", f"q-twin.{n}").is_displayed() for n in (1, 2, 3)]
    assert shown == [False, False, True]
