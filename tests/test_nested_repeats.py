"""Repeats inside repeats: each household member's illnesses (and each illness's clinic
visits), in the form definition, on pages without JavaScript, in the engine's rules, and
through the anonymizer."""

from __future__ import annotations

import copy
import json
import re

import pytest

from collector import repeats, validation
from collector.anonymizer import anonymize
from collector.forms import MAX_REPEAT_DEPTH, FormError, load_form
from browsing import sign_in  # noqa: F401
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
                {"name": "sick", "type": "select_one", "choices": "yes_no", "label": {"en": "Ill?"}},
                {"name": "illness_count", "type": "calculate", "calculation": "count(${illnesses})"},
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
                {"name": "all_illnesses", "type": "calculate", "calculation": "count(${illnesses})"},
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
        {"member_name": "Musa", "age": 7, "sick": "yes", "illnesses": [{"kind": "cough", "days": 5}]},
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
    assert "Cough" in review and "Days ill" in review
    assert phone.post(f"{path}/finalize", {}).status_code in (200, 302)
    assert stored(db_path)[0] == "finalized"


def test_forged_inner_actions_change_nothing(health_hub, db_path):
    phone = health_hub.browser("en")
    phone.signin()
    path, _ = start(phone)
    member = [("_repeat.members", "1"), ("member_name.1", "Amina"), ("age.1", "41")]
    member += [("sick.1", "yes"), ("_repeat.illnesses.1", "1"), ("kind.1.1", "flu")]
    post_page(phone, f"{path}/1", member, action="draft")
    before = stored(db_path)[1]
    for action in ("add:illnesses", "add:illnesses:7", "remove:illnesses:1", "add:illnesses:x",
                   "remove:illnesses:1.9", "add:illnesses:1.1"):
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
