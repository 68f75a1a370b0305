"""Repeats inside repeats: each household member's illnesses (and each illness's clinic
visits), in the form definition, on pages without JavaScript, in the engine's rules, and
through the anonymizer."""

from __future__ import annotations

import copy
import html
import json
import re

import pytest

from browsing import sign_in  # noqa: F401
from collector import repeats, validation
from collector.anonymizer import anonymize
from collector.forms import MAX_REPEAT_DEPTH, FormError, load_form
from support import import_forms, query

YES_NO = [{"name": "yes", "label": {"en": "Yes"}}, {"name": "no", "label": {"en": "No"}}]
KINDS = [
    {"name": "malaria", "label": {"en": "Malaria"}},
    {"name": "cough", "label": {"en": "Cough"}},
    {"name": "flu", "label": {"en": "Flu"}},
]

HEALTH = {
    "form_id": "household_health",
    "version": "1",
    "title": {"en": "Household health"},
    "sections": [
        {
            "name": "household",
            "label": {"en": "Household"},
            "questions": [
                {"name": "village", "type": "text", "label": {"en": "Village"}},
                {
                    "name": "head_name",
                    "type": "text",
                    "label": {"en": "Head of household"},
                    "identifying": True,
                },
            ],
        },
        {
            "name": "members",
            "label": {"en": "Member"},
            "repeat": True,
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
                    "name": "age",
                    "type": "integer",
                    "label": {"en": "Age"},
                    "required": True,
                    "privacy": "generalize:age_band",
                },
                {
                    "name": "sick",
                    "type": "select_one",
                    "choices": "yes_no",
                    "label": {"en": "Ill?"},
                },
                {
                    "name": "illness_count",
                    "type": "calculate",
                    "calculation": "count(${illnesses})",
                },
            ],
        },
        {
            "name": "illnesses",
            "label": {"en": "Illness"},
            "repeat": True,
            "within": "members",
            "relevant": "${sick} = 'yes'",
            "questions": [
                {
                    "name": "kind",
                    "type": "select_one",
                    "choices": "kinds",
                    "label": {"en": "Which illness?"},
                    "required": True,
                },
                {
                    "name": "days",
                    "type": "integer",
                    "label": {"en": "Days ill"},
                    "constraint": ". <= ${age} * 365",
                    "constraint_message": {"en": "Longer than the person has lived."},
                },
                {
                    "name": "treated_by",
                    "type": "text",
                    "label": {"en": "Treated by"},
                    "privacy": "scrub",
                    "relevant": "${age} >= 18",
                },
                {"name": "illness_no", "type": "calculate", "calculation": "position(..)"},
                {
                    "name": "whose",
                    "type": "calculate",
                    "calculation": "concat(${village}, '/', ${age}, '/', ${kind})",
                },
            ],
        },
        {
            "name": "summary",
            "label": {"en": "Summary"},
            "questions": [
                {
                    "name": "all_illnesses",
                    "type": "calculate",
                    "calculation": "count(${illnesses})",
                },
                {"name": "all_days", "type": "calculate", "calculation": "sum(${days})"},
                {
                    "name": "second_kind",
                    "type": "calculate",
                    "calculation": "indexed-repeat(${kind}, ${members}, 1, ${illnesses}, 2)",
                },
                {"name": "notes", "type": "text", "label": {"en": "Notes"}},
            ],
        },
    ],
    "choices": {"yes_no": YES_NO, "kinds": KINDS},
}

# Three deep: each illness's clinic visits.
VISITS = {
    "name": "visits",
    "label": {"en": "Clinic visit"},
    "repeat": True,
    "within": "illnesses",
    "questions": [
        {"name": "clinic", "type": "text", "label": {"en": "Clinic"}, "privacy": "keep"},
        {
            "name": "visit_label",
            "type": "calculate",
            "calculation": "concat(${member_name}, ':', ${kind}, ':', position(..))",
        },
    ],
}


def health_with_visits() -> dict:
    definition = copy.deepcopy(HEALTH)
    definition["form_id"] = "household_visits"
    definition["sections"].insert(3, copy.deepcopy(VISITS))
    return definition


@pytest.fixture
def health_hub(hub, db_path):
    import_forms(db_path, HEALTH, health_with_visits())
    return hub


def stored(db_path):
    rows = query(db_path, "SELECT status, answers FROM records")
    assert len(rows) == 1
    return rows[0]["status"], json.loads(rows[0]["answers"])


def shown(page: str) -> str:
    """The page without the templates a script copies for a new instance."""
    while "<template" in page:
        page = re.sub(r"<template[^>]*>(?:(?!<template).)*?</template>", "", page, flags=re.S)
    return page


def post_page(phone, path, fields, action="next", form_id="household_health"):
    posted = [("form_id", form_id), ("_action", action)]
    posted += [("_shown", name) for name, _ in fields if not name.startswith("_")]
    return phone.post(path, posted + list(fields))


def start(phone, form_id="household_health"):
    page = phone.get(f"/forms/{form_id}").text
    path = re.search(r'<form method="post" action="(/records/[^"]+)/0"', page).group(1)
    fields = [("village", "Kibera"), ("head_name", "Amina Yusuf")]
    response = post_page(phone, f"{path}/0", fields, form_id=form_id)
    assert response.url.endswith("/1"), response.text
    return path, response


# -- The form definition ---------------------------------------------------------------


def test_a_repeat_inside_a_repeat_keeps_its_chain_and_posted_keys():
    form = load_form(HEALTH)
    assert form.lineage("kind") == ("members", "illnesses")
    assert form.lineage("illnesses") == ("members", "illnesses")
    assert form.children == {None: ["members"], "members": ["illnesses"]}
    assert form.questions["kind"].instance(1, (2,)).key == "kind.2.1"
    assert form.questions["age"].instance(3).key == "age.3"  # one level: as before


@pytest.mark.parametrize(
    "change, message",
    [
        ({"within": "summary"}, "within names 'summary', which is not a repeat before it"),
        ({"within": "nobody"}, "within names 'nobody', which is not a repeat before it"),
        ({"repeat": False}, "Only a repeat can sit inside another repeat."),
    ],
)
def test_a_wrong_nesting_is_refused_with_its_reason(change, message):
    definition = copy.deepcopy(HEALTH)
    definition["sections"][2].update(change)
    with pytest.raises(FormError) as error:
        load_form(definition)
    assert message in str(error.value)


def test_repeats_sit_at_most_three_deep():
    definition = health_with_visits()
    load_form(definition)  # three deep: fine
    definition["sections"].insert(
        4,
        {
            "name": "doses",
            "label": {"en": "Dose"},
            "repeat": True,
            "within": "visits",
            "questions": [{"name": "dose", "type": "text", "label": {"en": "Dose"}}],
        },
    )
    with pytest.raises(FormError) as error:
        load_form(definition)
    assert f"repeats sit at most {MAX_REPEAT_DEPTH} deep" in str(error.value)


def test_a_name_that_is_a_nested_posted_key_is_refused():
    definition = copy.deepcopy(HEALTH)
    definition["sections"][3]["questions"][3]["name"] = "kind.2.1"
    with pytest.raises(FormError) as error:
        load_form(definition)
    assert "'kind.2.1' is how the answer of 'kind' in instance 2.1 is sent" in str(error.value)


# -- The engine ------------------------------------------------------------------------


ANSWERS = {
    "village": "Kibera",
    "members": [
        {
            "member_name": "Amina",
            "age": 41,
            "sick": "yes",
            "illnesses": [{"kind": "malaria", "days": 3}, {"kind": "flu", "days": 2}],
        },
        {
            "member_name": "Musa",
            "age": 7,
            "sick": "yes",
            "illnesses": [{"kind": "cough", "days": 5}],
        },
        {"member_name": "Zawadi", "age": 60, "sick": "no", "illnesses": [{"kind": "flu"}]},
    ],
}


def test_calculations_see_their_instance_then_the_enclosing_ones():
    form = load_form(HEALTH)
    answers = validation.prune(form, ANSWERS)
    first, second, third = answers["members"]
    assert [i["illness_no"] for i in first["illnesses"]] == [1, 2]
    assert first["illnesses"][1]["whose"] == "Kibera/41/flu"
    assert second["illnesses"][0]["whose"] == "Kibera/7/cough"
    assert [m["illness_count"] for m in answers["members"]] == [2, 1, 0]
    assert "illnesses" not in third  # not ill: its illnesses are dropped with the relevance
    assert answers["all_illnesses"] == 3 and answers["all_days"] == 10
    assert answers["second_kind"] == "flu"


def test_relevance_constraints_and_required_are_checked_per_inner_instance():
    form = load_form(HEALTH)
    answers = copy.deepcopy(ANSWERS)
    answers["members"][1]["illnesses"][0].update(days=4000, treated_by="Dr Otieno")
    answers["members"][0]["illnesses"].append({"days": 1})
    answers = validation.prune(form, answers)
    assert "treated_by" not in answers["members"][1]["illnesses"][0]  # a child: not asked
    problems = validation.check_record(form, answers)
    assert problems == {
        1: {
            "kind.1.3": "This question needs an answer.",
            "days.2.1": "Longer than the person has lived.",
        }
    }


def test_flat_keys_and_scope_follow_the_nesting():
    form = load_form(HEALTH)
    flat = repeats.flat(form, ANSWERS)
    assert flat["kind.1.2"] == "flu" and flat["age.2"] == 7 and flat["village"] == "Kibera"
    assert "illnesses.1" not in flat
    question = form.questions["days"].instance(1, (2,))
    assert repeats.get_answer(ANSWERS, question) == 5
    scope = repeats.Scope(form, ANSWERS, question)
    assert scope["age"] == 7 and scope["kind"] == "cough" and scope["village"] == "Kibera"


# -- Pages without JavaScript ----------------------------------------------------------


def test_inner_instances_are_added_filled_and_removed_without_javascript(health_hub, db_path):
    phone = health_hub.browser("en")
    phone.signin()
    path, response = start(phone)
    page = shown(response.text)
    # One member to start, with no illness yet and a button to add one to that member.
    assert 'name="member_name.1"' in page and 'name="_repeat.illnesses.1" value="0"' in page
    assert 'value="add:illnesses:1"' in page and 'name="kind.1.1"' not in page
    member = [("_repeat.members", "1"), ("member_name.1", "Amina"), ("age.1", "41")]
    member += [("sick.1", "yes"), ("_repeat.illnesses.1", "0")]
    page = shown(post_page(phone, f"{path}/1", member, action="add:illnesses:1").text)
    assert 'name="kind.1.1"' in page and 'value="remove:illnesses:1.1"' in page
    assert re.search(r'name="member_name\.1"[^>]*value="Amina"', page)
    assert 'id="legend-illnesses-1-1"' in page
    # A second member, then an illness for them: keys carry both positions.
    member[-1] = ("_repeat.illnesses.1", "1")
    member += [("kind.1.1", "malaria"), ("days.1.1", "3"), ("treated_by.1.1", "Dr Otieno")]
    page = shown(post_page(phone, f"{path}/1", member, action="add:members").text)
    assert 'name="member_name.2"' in page and 'value="add:illnesses:2"' in page
    member += [("_repeat.members", "2"), ("member_name.2", "Musa"), ("age.2", "7")]
    member += [("sick.2", "yes"), ("_repeat.illnesses.2", "0")]
    member = [item for item in member if item != ("_repeat.members", "1")]
    page = shown(post_page(phone, f"{path}/1", member, action="add:illnesses:2").text)
    assert 'name="kind.2.1"' in page and 'name="kind.1.2"' not in page
    member = [item for item in member if item[0] != "_repeat.illnesses.2"]
    member += [("_repeat.illnesses.2", "1"), ("kind.2.1", "cough"), ("days.2.1", "4000")]
    response = post_page(phone, f"{path}/1", member)
    assert response.status_code == 422
    assert re.search(r'id="days\.2\.1-error">Longer than the person has lived\.', response.text)
    member[-1] = ("days.2.1", "5")
    response = post_page(phone, f"{path}/1", member)
    assert response.url.endswith("/3"), response.text  # the illnesses are not a page
    _, answers = stored(db_path)
    assert answers["members"] == [
        {
            "member_name": "Amina",
            "age": 41,
            "sick": "yes",
            "illness_count": 1,
            "illnesses": [
                {
                    "kind": "malaria",
                    "days": 3,
                    "treated_by": "Dr Otieno",
                    "illness_no": 1,
                    "whose": "Kibera/41/malaria",
                }
            ],
        },
        {
            "member_name": "Musa",
            "age": 7,
            "sick": "yes",
            "illness_count": 1,
            "illnesses": [{"kind": "cough", "days": 5, "illness_no": 1, "whose": "Kibera/7/cough"}],
        },
    ]
    assert answers["all_illnesses"] == 2 and answers["all_days"] == 8
    # Removing member 1's illness leaves member 2's where it is.
    page = shown(post_page(phone, f"{path}/1", member, action="remove:illnesses:1.1").text)
    assert 'name="kind.1.1"' not in page and 'name="kind.2.1"' in page
    assert stored(db_path)[1]["members"][0].get("illnesses") == []
    # The review lists each inner instance's answers, then the record is finalized.
    review = phone.get(f"{path}/review").text
    assert "Member (2) · Illness (1) · Which illness?" in review and "Cough" in review
    assert phone.post(f"{path}/finalize", {}).status_code in (200, 302)
    assert stored(db_path)[0] == "finalized"
    # Edited later: the inner answer changes in a new revision, the first kept as it was.
    page = shown(phone.get(f"{path}/1").text)
    assert re.search(r'name="days\.2\.1"[^>]*value="5"', page)
    member[member.index(("days.2.1", "5"))] = ("days.2.1", "6")
    post_page(phone, f"{path}/1", member, action="remove:illnesses:1.1")
    assert phone.post(f"{path}/finalize", {}).status_code in (200, 302)
    revisions = query(db_path, "SELECT revision, answers FROM revisions ORDER BY revision")
    days = [json.loads(r["answers"])["members"][1]["illnesses"][0]["days"] for r in revisions]
    assert days == [5, 6]


def test_forged_inner_actions_change_nothing(health_hub, db_path):
    phone = health_hub.browser("en")
    phone.signin()
    path, _ = start(phone)
    member = [("_repeat.members", "1"), ("member_name.1", "Amina"), ("age.1", "41")]
    member += [("sick.1", "yes"), ("_repeat.illnesses.1", "1"), ("kind.1.1", "flu")]
    post_page(phone, f"{path}/1", member, action="draft")
    before = stored(db_path)[1]
    for action in (
        "add:illnesses",
        "add:illnesses:7",
        "remove:illnesses:1",
        "add:illnesses:x",
        "remove:illnesses:1.9",
        "add:illnesses:1.1",
    ):
        post_page(phone, f"{path}/1", member, action=action)
        assert stored(db_path)[1] == before, action


def test_three_levels_on_one_page(health_hub, db_path):
    phone = health_hub.browser("en")
    phone.signin()
    path, _ = start(phone, "household_visits")
    fields = [("_repeat.members", "1"), ("member_name.1", "Amina"), ("age.1", "41")]
    fields += [("sick.1", "yes"), ("_repeat.illnesses.1", "1"), ("kind.1.1", "flu")]
    fields += [("_repeat.visits.1.1", "0")]
    page = shown(post_page(phone, f"{path}/1", fields, "add:visits:1.1", "household_visits").text)
    assert 'name="clinic.1.1.1"' in page and 'value="remove:visits:1.1.1"' in page
    fields = fields[:-1] + [("_repeat.visits.1.1", "2"), ("clinic.1.1.1", "North")]
    fields += [("clinic.1.1.2", "South")]
    post_page(phone, f"{path}/1", fields, "draft", "household_visits")
    visits = stored(db_path)[1]["members"][0]["illnesses"][0]["visits"]
    assert visits == [
        {"clinic": "North", "visit_label": "Amina:flu:1"},
        {"clinic": "South", "visit_label": "Amina:flu:2"},
    ]


# -- In the browser ----------------------------------------------------------------------


def until(driver, condition, seconds=20):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, seconds).until(condition)


def css(driver, selector: str):
    return driver.find_element("css selector", selector)


def type_into(driver, field_id: str, value: str) -> None:
    """Type as a person does; leaving the field fires change."""
    field = driver.find_element("id", field_id)
    field.clear()
    field.send_keys(value)
    driver.execute_script("arguments[0].dispatchEvent(new Event('change', {bubbles: true}))", field)


def add_inner(driver, member: int):
    css(driver, f'button[value="add:illnesses:{member}"]').click()


def test_inner_instances_are_added_live_on_a_phone(health_hub, chromium, db_path):
    from browsing import console_errors, review_and_finalize

    sign_in(chromium, health_hub)
    chromium.get(f"{health_hub.url}/forms/household_health/phone?lang=en")
    until(chromium, lambda d: css(d, "button.step-next").is_displayed())
    type_into(chromium, "f-village", "Kibera")
    css(chromium, "button.step-next").click()
    type_into(chromium, "f-member_name.1", "Amina")
    type_into(chromium, "f-age.1", "41")
    inner = '.repeat[data-repeat="illnesses"]'
    assert not css(chromium, inner).is_displayed()  # not ill (yet): no illnesses to add
    css(chromium, 'input[name="sick.1"][value="yes"]').click()
    assert css(chromium, inner).is_displayed()
    add_inner(chromium, 1)
    css(chromium, 'input[name="kind.1.1"][value="malaria"]').click()
    type_into(chromium, "f-days.1.1", "3")
    assert css(chromium, "#q-treated_by\\.1\\.1").is_displayed()  # an adult's illness
    css(chromium, '.repeat[data-repeat="members"] > .repeat-add').click()
    type_into(chromium, "f-member_name.2", "Musa")
    type_into(chromium, "f-age.2", "7")
    css(chromium, 'input[name="sick.2"][value="yes"]').click()
    add_inner(chromium, 2)
    assert css(chromium, 'input[name="_repeat.illnesses.2"]').get_attribute("value") == "1"
    css(chromium, 'input[name="kind.2.1"][value="cough"]').click()
    assert not css(chromium, "#q-treated_by\\.2\\.1").is_displayed()  # a child's: not asked
    type_into(chromium, "f-days.2.1", "4000")
    css(chromium, "button.step-next").click()
    assert "Longer than the person has lived." in css(chromium, "#q-days\\.2\\.1").text
    type_into(chromium, "f-days.2.1", "5")
    add_inner(chromium, 1)  # a second illness for Amina, then her first removed
    css(chromium, 'input[name="kind.1.2"][value="flu"]').click()
    type_into(chromium, "f-days.1.2", "2")
    css(chromium, 'button[value="remove:illnesses:1.1"]').click()
    assert css(chromium, 'input[name="kind.1.1"][value="flu"]').is_selected()
    assert not chromium.find_elements("css selector", 'input[name="kind.1.2"]')
    remove = css(chromium, 'button[value="remove:illnesses:1.1"]')
    heading = chromium.find_element("id", remove.get_attribute("aria-describedby"))
    assert heading.text == "Illness (1)"
    css(chromium, "button.step-next").click()
    css(chromium, "button.step-review").click()
    listed = until(
        chromium, lambda d: css(d, ".review-list").is_displayed() and css(d, ".review-list")
    )
    assert "Member (2) · Illness (1) · Which illness?" in listed.text
    css(chromium, ".review-change").click()  # back to the first section, then on again
    css(chromium, "button.step-next").click()
    css(chromium, "button.step-next").click()
    review_and_finalize(chromium)
    until(chromium, lambda d: "/phone" not in d.current_url)
    status, answers = stored(db_path)
    assert status == "finalized"
    assert [m.get("illnesses") for m in answers["members"]] == [
        [{"kind": "flu", "days": 2, "illness_no": 1, "whose": "Kibera/41/flu"}],
        [{"kind": "cough", "days": 5, "illness_no": 1, "whose": "Kibera/7/cough"}],
    ]
    assert answers["all_illnesses"] == 2 and answers["all_days"] == 7
    assert console_errors(chromium) == []


# -- Anonymized for sync ---------------------------------------------------------------


def test_each_rule_applies_inside_inner_instances():
    form = load_form(health_with_visits())
    answers = copy.deepcopy(ANSWERS)
    illness = answers["members"][0]["illnesses"][0]
    illness["treated_by"] = "Dr Otieno, call 0722 123 456, with Amina"
    illness["visits"] = [{"clinic": "North"}, {"clinic": "South"}]
    answers = validation.prune(form, answers)
    record = {
        "uuid": "7c9e6679-7425-40de-944b-e07fc1f90ae7",
        "revision": 1,
        "form_id": form.form_id,
        "form_version": form.version,
        "locale": "en",
        "finalized_at": "2024-03-15T10:00:00+00:00",
        "answers": {**answers, "head_name": "Zawadi Otieno"},
    }
    synced = anonymize(record, form, b"k" * 32)["answers"]
    assert "head_name" not in synced
    first = synced["members"][0]
    assert first["member_name"].startswith("p_") and first["age"] == "40-44"
    sent = first["illnesses"][0]
    assert sent["kind"] == "malaria" and sent["days"] == 3
    assert "0722" not in sent["treated_by"] and "Amina" not in sent["treated_by"]
    # Three deep: the clinic is kept; the label, a calculation that copies an identifying
    # answer, is dropped as at the top of a record.
    assert sent["visits"] == [{"clinic": "North"}, {"clinic": "South"}]
    assert "Amina" not in json.dumps(synced)
    assert [len(m.get("illnesses", [])) for m in synced["members"]] == [2, 1, 0]


# -- From the hub to the central server, and out as joined tables --------------------------

RECORD = "8d3f5a1e-4b6c-4e2f-9a7d-1c2b3a4d5e6f"
WHOLE = [
    ("_uuid", RECORD),
    ("_action", "finalize"),
    ("form_version", "1"),
    ("village", "Kibera"),
    ("head_name", "Zawadi Otieno"),
    ("_repeat.members", "2"),
    ("member_name.1", "Amina"),
    ("age.1", "41"),
    ("sick.1", "yes"),
    ("_repeat.illnesses.1", "2"),
    ("kind.1.1", "malaria"),
    ("days.1.1", "3"),
    ("treated_by.1.1", "Dr Otieno, 0722 123 456"),
    ("_repeat.visits.1.1", "2"),
    ("clinic.1.1.1", "North"),
    ("clinic.1.1.2", "South"),
    ("kind.1.2", "flu"),
    ("days.1.2", "2"),
    ("treated_by.1.2", ""),
    ("_repeat.visits.1.2", "0"),
    ("member_name.2", "Musa"),
    ("age.2", "7"),
    ("sick.2", "yes"),
    ("_repeat.illnesses.2", "1"),
    ("kind.2.1", "cough"),
    ("days.2.1", "5"),
    ("_repeat.visits.2.1", "1"),
    ("clinic.2.1.1", "East"),
    ("notes", ""),
]


def shown_fields(fields):
    return fields + [
        ("_shown", name)
        for name, _ in fields
        if not name.startswith("_") and name != "form_version"
    ]


def export_table(central, tmp_path, fmt, repeat=None):
    from test_sync import server_command

    out = tmp_path / f"{repeat or 'records'}.{fmt}"
    args = ["export", "--form", "household_visits", "--format", fmt, "--output", out]
    args += ["--repeat", repeat] if repeat else []
    args += ["--raw-records", "--reason", "check"]
    result = server_command(*args, central=central)
    assert result.exit_code == 0, result.output
    return out


def read_csv(path):
    import csv

    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def test_nested_records_sync_and_export_as_tables_joined_by_keys(
    hub, central, data_dir, db_path, tmp_path
):
    from test_sync import collector, server_bytes, server_command

    definition = tmp_path / "visits.json"
    definition.write_text(json.dumps(health_with_visits()))
    assert server_command("forms", "publish", definition, central=central).exit_code == 0
    code = central.enrollment_code()
    enrolled = collector(
        "enroll", "--yes", "--server", central.url, "--code", code, data_dir=data_dir
    )
    assert enrolled.exit_code == 0, enrolled.output
    assert "1 new form versions" in collector("sync", data_dir=data_dir).output
    phone = hub.browser("en")
    phone.signin()
    page = phone.get("/forms/household_visits/phone").text
    response = phone.post(
        "/forms/household_visits/submit",
        shown_fields(WHOLE),
        csrf_from=page,
        headers={"X-Hub-Outbox": "1"},
    )
    assert response.json()["status"] == "finalized", response.text
    assert "Stored 1, already there 0, rejected 0" in collector("sync", data_dir=data_dir).output

    [row] = query(
        central.database, "SELECT answers FROM records WHERE form_id = 'household_visits'"
    )
    members = json.loads(row["answers"])["members"]
    assert [len(m["illnesses"]) for m in members] == [2, 1]
    assert members[0]["illnesses"][0]["visits"] == [{"clinic": "North"}, {"clinic": "South"}]
    assert "0722" not in members[0]["illnesses"][0]["treated_by"]
    raw = server_bytes(central)
    for value in ("Amina", "Musa", "Zawadi", "0722 123 456"):
        assert value.encode() not in raw, f"{value!r} reached the server"

    records = read_csv(export_table(central, tmp_path, "csv"))
    assert records[0]["members"] == "2" and "illnesses" not in records[0]
    members = read_csv(export_table(central, tmp_path, "csv", "members"))
    illnesses = read_csv(export_table(central, tmp_path, "csv", "illnesses"))
    visits = read_csv(export_table(central, tmp_path, "csv", "visits"))
    assert [(m["_key"], m["_parent_key"], m["illnesses"]) for m in members] == [
        (f"{RECORD}/members[1]", RECORD, "2"),
        (f"{RECORD}/members[2]", RECORD, "1"),
    ]
    # Each illness joins its member by key; each visit joins its illness.
    by_key = {m["_key"]: m for m in members}
    assert [(by_key[i["_parent_key"]]["age"], i["_index"], i["kind"]) for i in illnesses] == [
        ("40-44", "1", "malaria"),
        ("40-44", "2", "flu"),
        ("5-9", "1", "cough"),
    ]
    assert all(i["_parent_uuid"] == RECORD for i in illnesses)
    kinds = {i["_key"]: i["kind"] for i in illnesses}
    assert [(kinds[v["_parent_key"]], v["clinic"], v["_key"]) for v in visits] == [
        ("malaria", "North", f"{RECORD}/members[1]/illnesses[1]/visits[1]"),
        ("malaria", "South", f"{RECORD}/members[1]/illnesses[1]/visits[2]"),
        ("cough", "East", f"{RECORD}/members[2]/illnesses[1]/visits[1]"),
    ]
    assert [i["visits"] for i in illnesses] == ["2", "0", "1"]

    # The web page offers every table's downloads and its table to browse.
    from collector.passwords import hash_secret
    from sync_server.store import Store
    from test_workspace import PASSWORD, signed_in

    store = Store(central.database)
    store.add_user("admin1", "admin", hash_secret(PASSWORD))
    store.close()
    admin = signed_in(central, "admin")
    page = admin.get("/data/household_visits").text
    assert "repeat=illnesses" in page and "repeat=visits" in page
    assert "/data/household_visits/repeat/members" in page
    assert "/data/household_visits/repeat/illnesses" in page
    inner = html.unescape(admin.get("/data/household_visits/repeat/illnesses?sort=kind").text)
    for place, key in (("1.1", "members[1]/illnesses[1]"), ("2.1", "members[2]/illnesses[1]")):
        assert f"<td>{place}</td>" in inner and f"{RECORD}/{key}" in inner
    # The record's page: a block per inner instance, headed with the instances it is in.
    record_page = html.unescape(admin.get(f"/data/record/{RECORD}").text)
    assert "Member (2) · Illness (1)" in record_page
    assert "Member (1) · Illness (1) · Clinic visit (2)" in record_page
    assert "members.1.illnesses.1.visits.2.clinic" in record_page
    assert "[{" not in record_page  # no inner list shown as raw text
    keys = server_command("data", "keys", "household_visits", "illnesses/kind", central=central)
    assert keys.exit_code == 0 and "Sort keys of illnesses/kind ready" in keys.output
    store = Store(central.database)
    try:
        stored = store.db.execute(
            "SELECT item, txt FROM answer_item_keys WHERE question = 'illnesses/kind' ORDER BY item"
        ).fetchall()
    finally:
        store.close()
    assert [tuple(row) for row in stored] == [(1, "malaria"), (2, "flu"), (3, "cough")]


def test_every_format_with_repeat_tables_writes_the_inner_ones(
    hub, central, data_dir, db_path, tmp_path
):
    import pyarrow.parquet as pq
    import pyreadstat
    from openpyxl import load_workbook

    from test_sync import collector, server_command

    definition = tmp_path / "visits.json"
    definition.write_text(json.dumps(health_with_visits()))
    assert server_command("forms", "publish", definition, central=central).exit_code == 0
    code = central.enrollment_code()
    collector("enroll", "--yes", "--server", central.url, "--code", code, data_dir=data_dir)
    collector("sync", data_dir=data_dir)
    phone = hub.browser("en")
    phone.signin()
    page = phone.get("/forms/household_visits/phone").text
    phone.post(
        "/forms/household_visits/submit",
        shown_fields(WHOLE),
        csrf_from=page,
        headers={"X-Hub-Outbox": "1"},
    )
    assert "Stored 1" in collector("sync", data_dir=data_dir).output
    want = [
        (f"{RECORD}/members[1]/illnesses[1]", "malaria"),
        (f"{RECORD}/members[1]/illnesses[2]", "flu"),
        (f"{RECORD}/members[2]/illnesses[1]", "cough"),
    ]
    sheet = load_workbook(export_table(central, tmp_path, "xlsx", "illnesses")).active
    header, *rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert [(r[header.index("_key")], r[header.index("kind")]) for r in rows] == [
        (key, kind) for key, kind in want
    ]
    frame, meta = pyreadstat.read_dta(str(export_table(central, tmp_path, "dta", "illnesses")))
    assert list(frame["meta_key"]) == [key for key, _ in want]
    frame, meta = pyreadstat.read_sav(str(export_table(central, tmp_path, "sav", "visits")))
    assert len(frame) == 3 and set(frame["meta_parent_key"]) == {key for key, _ in want} - {
        want[1][0]
    }
    table = pq.read_table(export_table(central, tmp_path, "parquet", "illnesses")).to_pylist()
    assert [(row["_key"], row["_parent_key"]) for row in table] == [
        (key, key.rsplit("/", 1)[0]) for key, _ in want
    ]
    lines = export_table(central, tmp_path, "jsonl", "illnesses").read_text().splitlines()
    assert [json.loads(line)["_key"] for line in lines] == [key for key, _ in want]
    # Through the disclosure check (no --raw-records): the inner table is released too.
    out = tmp_path / "released.csv"
    args = ["export", "--form", "household_visits", "--format", "csv", "--output", out]
    result = server_command(*args, "--repeat", "illnesses", central=central)
    assert result.exit_code == 0, result.output
    header = out.read_text(encoding="utf-8-sig").splitlines()[0].split(",")
    # One laptop sent the form: its version is not released (disclosure.version_ranges).
    assert header[:5] == ["_parent_uuid", "_revision", "_index", "_parent_key", "_key"]
    assert "1 records left out" in result.output  # one household is fewer than k


# -- Old definitions, and a definition written back as an XLSForm -----------------------------


def test_definitions_without_inner_repeats_load_as_they_were():
    from collector.forms import builtin_forms

    for form in builtin_forms().values():
        assert load_form(json.loads(form.to_json())).to_json() == form.to_json()
        assert all(set(q.lineage) <= {q.repeat} for q in form.questions.values())
        assert all(not q.outer for q in form.questions.values())


def test_a_definition_with_inner_repeats_goes_to_xlsform_and_back(tmp_path):
    from pyxform.xls2xform import convert as pyxform_convert

    from collector.xlsform import read_xlsform, to_xlsform

    form = load_form(health_with_visits())
    path = tmp_path / "visits.xlsx"
    to_xlsform(form, path)
    warnings: list = []
    xform = pyxform_convert(str(path), warnings=warnings).xform
    assert warnings == []
    for node in ("/data/members/illnesses/kind", "/data/members/illnesses/visits/clinic"):
        assert f'nodeset="{node}"' in xform
    back = read_xlsform(path)
    assert back.ok, [str(p) for p in back.errors]
    assert back.form.data["sections"] == form.data["sections"]


# -- A repeat that holds only repeats ----------------------------------------------------------

HOUSEHOLDS = {
    "form_id": "households",
    "version": "1",
    "title": {"en": "Households"},
    "sections": [
        {"name": "households", "label": {"en": "Household"}, "repeat": True, "questions": []},
        {
            "name": "people",
            "label": {"en": "Person"},
            "repeat": True,
            "within": "households",
            "questions": [{"name": "person_age", "type": "integer", "label": {"en": "Age"}}],
        },
        {
            "name": "summary",
            "label": {"en": "Summary"},
            "questions": [{"name": "notes", "type": "text", "label": {"en": "Notes"}}],
        },
    ],
}


@pytest.mark.parametrize(
    "index, change, message",
    [
        (2, {"questions": []}, "sections/summary: give the section at least one question"),
        (1, {"questions": []}, "sections/people: give the section at least one question"),
    ],
)
def test_only_a_repeat_that_holds_repeats_may_have_no_questions(index, change, message):
    load_form(HOUSEHOLDS)
    definition = copy.deepcopy(HOUSEHOLDS)
    definition["sections"][index].update(change)
    with pytest.raises(FormError) as error:
        load_form(definition)
    assert message in str(error.value)


def test_a_repeat_of_only_repeats_is_filled_without_javascript(hub, db_path):
    import_forms(db_path, HOUSEHOLDS)
    phone = hub.browser("en")
    phone.signin()
    page = phone.get("/forms/households").text
    path = re.search(r'<form method="post" action="(/records/[^"]+)/0"', page).group(1)
    assert 'name="_repeat.households" value="1"' in shown(page)
    assert 'value="add:people:1"' in shown(page)
    fields = [("_repeat.households", "1"), ("_repeat.people.1", "0")]
    posted = [("form_id", "households"), ("_action", "add:people:1"), *fields]
    page = shown(phone.post(f"{path}/0", posted).text)
    assert 'name="person_age.1.1"' in page
    fields = [("_repeat.households", "1"), ("_repeat.people.1", "1"), ("person_age.1.1", "30")]
    posted = [("form_id", "households"), ("_action", "next"), ("_shown", "person_age.1.1")]
    response = phone.post(f"{path}/0", posted + fields)
    assert response.url.endswith("/2"), response.text
    assert stored(db_path)[1]["households"] == [{"people": [{"person_age": 30}]}]


def test_an_xlsform_repeat_of_only_repeats_imports(tmp_path):
    from pyxform.xls2xform import convert as pyxform_convert

    from collector.xlsform import convert, to_xlsform

    rows = [
        {"type": "begin repeat", "name": "households", "label": "Household"},
        {"type": "begin repeat", "name": "people", "label": "Person"},
        {"type": "integer", "name": "person_age", "label": "Age"},
        {"type": "end repeat"},
        {"type": "end repeat"},
    ]
    result = convert({"survey": rows, "settings": [{"form_id": "f", "version": "1"}]})
    assert result.ok, [str(p) for p in result.errors]
    assert [(s["name"], s.get("within"), len(s["questions"])) for s in result.form.sections] == [
        ("households", None, 0),
        ("people", "households", 1),
    ]
    path = tmp_path / "f.xlsx"
    to_xlsform(result.form, path)
    assert 'nodeset="/data/households/people/person_age"' in pyxform_convert(str(path)).xform
