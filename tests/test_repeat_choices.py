"""Selects whose choices are the answers given in a repeat (XLSForm `select_one
${member_name}`): imported, offered by the hub and live on the page, checked, anonymized
under the rule of the answer they repeat, exported as text and written back to XLSForm."""

from __future__ import annotations

import copy
import csv
import io
import json
import re

import pytest
from pyxform.xls2xform import convert as pyxform_convert

from browsing import sign_in  # noqa: F401
from collector.anonymizer import anonymize, rule_for
from collector.forms import FormError, load_form
from collector.validation import allowed_choices
from collector.xlsform import convert, read_xlsform, to_xlsform
from support import import_forms, query
from sync_server.exports import columns_for, export

KEY = b"repeat-choices-test-key-32-bytes"

HOUSEHOLD = {
    "form_id": "household",
    "version": "1",
    "title": {"en": "Household"},
    "sections": [
        {
            "name": "members",
            "label": {"en": "Member"},
            "repeat": True,
            "questions": [
                {
                    "name": "member_name",
                    "type": "text",
                    "label": {"en": "Name"},
                    "identifying": True,
                    "privacy": "pseudonymize",
                },
                {"name": "member_age", "type": "integer", "label": {"en": "Age"}},
            ],
        },
        {
            "name": "about",
            "label": {"en": "About the household"},
            "questions": [
                {
                    "name": "head",
                    "type": "select_one",
                    "choices_from": "member_name",
                    "label": {"en": "Who heads the household?"},
                    "required": True,
                },
                {
                    "name": "adults",
                    "type": "select_multiple",
                    "choices_from": "member_name",
                    "choice_filter": "${member_age} >= 18",
                    "label": {"en": "Who are the adults?"},
                },
            ],
        },
    ],
}


def members(*people) -> list[dict]:
    return [
        {key: value for key, value in (("member_name", name), ("member_age", age)) if value}
        for name, age in people
    ]


def names(choices) -> list[str]:
    return [choice["name"] for choice in choices]


# -- The form definition ------------------------------------------------------------------


def test_choices_are_the_instances_answers_filtered_and_once_each(app):
    form = load_form(HOUSEHOLD)
    answers = {"members": members(("Amina", 41), ("", 30), ("Musa", 9), ("Zara", 19))}
    answers["members"].append({"member_name": "Amina", "member_age": 70})
    with app.test_request_context():
        head, adults = form.questions["head"], form.questions["adults"]
        assert names(allowed_choices(form, head, answers)) == ["Amina", "Musa", "Zara"]
        assert names(allowed_choices(form, adults, answers)) == ["Amina", "Zara"]
        assert names(allowed_choices(form, head, {})) == []


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"choices_from": "head"}, "'head' is not a question in a repeat"),
        ({"choices_from": "nobody"}, "'nobody' is not a question in a repeat"),
        ({"choices_from": "member_name", "choices": "x"}, "takes its choices from a repeat"),
        ({"choices_from": "member_name", "default": "Amina"}, "have no default"),
    ],
)
def test_a_wrong_source_is_refused(change, message):
    data = copy.deepcopy(HOUSEHOLD)
    data["choices"] = {"x": [{"name": "a", "label": {"en": "A"}}]}
    data["sections"][1]["questions"][0].update(change)
    with pytest.raises(FormError, match=message):
        load_form(data)


def test_a_source_in_another_households_repeat_is_refused():
    nested = copy.deepcopy(HOUSEHOLD)
    nested["sections"] = [
        {"name": "households", "label": {"en": "H"}, "repeat": True, "questions": []},
        {**nested["sections"][0], "within": "households"},
        nested["sections"][1],
    ]
    with pytest.raises(FormError, match="inside 'households', which this question is not"):
        load_form(nested)


def test_in_a_choice_filter_current_paths_read_the_select_and_names_the_choice():
    from collector.expressions import Context, parse_choice_filter

    test = parse_choice_filter("position() != current()/../pos and ${pos} = 2 and name != ''")
    seen = Context(values={"pos": 2}, here={"pos": 1}, choice={"name": "Musa"}, position=2)
    assert test.evaluate(seen) is True
    assert test.evaluate(Context(values={"pos": 2}, here={"pos": 2}, position=2)) is False
    assert test.evaluate(Context(values={"pos": 2}, choice={"name": "M"}, position=2)) is False
    assert test.references() == {"pos"}


# -- From XLSForm and back ---------------------------------------------------------------

NESTED = {
    "survey": [
        {"type": "begin repeat", "name": "household", "label": "Household"},
        {"type": "integer", "name": "min_age", "label": "Minimum age"},
        {"type": "begin repeat", "name": "person", "label": "Person"},
        {"type": "text", "name": "name", "label": "Name"},
        {"type": "integer", "name": "age", "label": "Age"},
        {"type": "end repeat"},
        {"type": "begin repeat", "name": "adult", "label": "Representative"},
        {"type": "calculate", "name": "pos", "calculation": "position(..)"},
        {
            "type": "select one ${name}",
            "name": "adult_name",
            "label": "Choose a name",
            "choice_filter": "${age} >= ${min_age} and position() != current()/../pos",
        },
        {"type": "end repeat"},
        {"type": "end repeat"},
        {"type": "select_multiple ${name}", "name": "anyone", "label": "Anyone"},
    ],
    "settings": [{"form_id": "nested", "version": "1"}],
}


def test_xlsform_import_keeps_the_source_and_its_filter(app):
    flat = copy.deepcopy(NESTED)
    flat["survey"] = flat["survey"][2:6] + flat["survey"][-1:]
    result = convert(flat)
    assert result.errors == [], [str(p) for p in result.errors]
    [anyone] = [q for s in result.form.sections for q in s["questions"] if q["name"] == "anyone"]
    assert anyone["type"] == "select_multiple" and anyone["choices_from"] == "name"
    assert "choices" not in anyone and result.form.data["choices"] == {}
    # A select outside the household cannot tell which household's people to offer.
    refused = convert(NESTED)
    assert any("inside 'household'" in str(p) for p in refused.errors)


def test_in_a_nested_repeat_the_filter_sees_the_person_and_the_select(app):
    nested = copy.deepcopy(NESTED)
    nested["survey"].pop()
    result = convert(nested)
    assert result.errors == [], [str(p) for p in result.errors]
    form = result.form
    answers = {
        "household": [
            {
                "min_age": 18,
                "person": members(("Amina", 41), ("Musa", 9), ("Zara", 19)),
                "adult": [{"pos": 1}, {"pos": 3}],
            },
            {"min_age": 60, "person": [{"name": "Grace", "age": 70}], "adult": [{"pos": 1}]},
        ]
    }
    for household in answers["household"]:
        for person in household["person"]:
            person["name"] = person.pop("member_name", person.get("name"))
            person["age"] = person.pop("member_age", person.get("age"))
    select = form.questions["adult_name"]
    with app.test_request_context():
        # position() is the person's, current()/../pos the representative's own.
        first = allowed_choices(form, select.instance(1, (1,)), answers)
        third = allowed_choices(form, select.instance(2, (1,)), answers)
        other = allowed_choices(form, select.instance(1, (2,)), answers)
    assert names(first) == ["Zara"]
    assert names(third) == ["Amina"]
    assert names(other) == []  # Grace is the first person, and pos is 1


def test_export_writes_the_source_back_and_pyxform_converts_it(tmp_path):
    form = load_form(HOUSEHOLD)
    path = tmp_path / "household.xlsx"
    to_xlsform(form, path)
    back = read_xlsform(path)
    assert back.errors == [], [str(p) for p in back.errors]
    assert back.form.data["sections"] == form.data["sections"]
    # pyxform converts a select_one of a repeat's answers (its select_multiple, not yet).
    one = copy.deepcopy(HOUSEHOLD)
    one["sections"][1]["questions"][1]["type"] = "select_one"
    to_xlsform(load_form(one), path)
    xform = pyxform_convert(str(path)).xform
    assert "<itemset nodeset=\"/data/members[./member_name != '']\">" in xform
    assert '<itemset nodeset="/data/members[ ./member_age  &gt;= 18]">' in xform
    assert xform.count('<value ref="member_name"/>') == 2


# -- On the hub without JavaScript --------------------------------------------------------


@pytest.fixture
def household_hub(hub, db_path):
    import_forms(db_path, HOUSEHOLD)
    return hub


def post_page(phone, path, fields, action="next"):
    posted = [("form_id", "household"), ("_action", action)]
    posted += [("_shown", name) for name, _ in fields if not name.startswith("_")]
    return phone.post(path, posted + list(fields))


def offered(page: str, name: str) -> list[str]:
    page = re.sub(r"<template.*?</template>", "", page, flags=re.S)
    return re.findall(rf'<input type="\w+" name="{name}" value="([^"]*)"', page)


def roster(*people):
    fields = [("_repeat.members", str(len(people)))]
    for number, (name, age) in enumerate(people, start=1):
        fields += [(f"member_name.{number}", name), (f"member_age.{number}", str(age))]
    return fields


def test_without_script_the_hub_offers_and_checks_the_members(household_hub, db_path):
    phone = household_hub.browser("en")
    phone.signin()
    page = phone.get("/forms/household").text
    path = re.search(r'<form method="post" action="(/records/[^"]+)/0"', page).group(1)
    about = post_page(phone, f"{path}/0", roster(("Amina", 41), ("Musa", 9), ("Zara", 19)))
    assert about.url.endswith("/1"), about.text
    assert offered(about.text, "head") == ["Amina", "Musa", "Zara"]
    assert offered(about.text, "adults") == ["Amina", "Zara"]
    wrong = post_page(phone, f"{path}/1", [("head", "Nobody"), ("adults", "Musa")])
    assert wrong.status_code == 422 and "Choose one of the options shown." in wrong.text
    done = post_page(
        phone, f"{path}/1", [("head", "Musa"), ("adults", "Amina"), ("adults", "Zara")]
    )
    assert done.url.endswith("/review"), done.text
    [row] = query(db_path, "SELECT answers FROM records")
    answers = json.loads(row["answers"])
    assert answers["head"] == "Musa" and answers["adults"] == ["Amina", "Zara"]
    # Musa leaves the roster: the head picked is no longer one of the choices.
    post_page(phone, f"{path}/0", roster(("Amina", 41), ("Zara", 19)), action="draft")
    assert phone.post(f"{path}/finalize", {}).status_code == 422
    again = phone.get(f"{path}/1").text
    assert offered(again, "head") == ["Amina", "Zara"]


# -- Privacy, export -------------------------------------------------------------------------


def record(answers: dict) -> dict:
    return {
        "uuid": "7c9e6679-7425-40de-944b-e07fc1f90ae7",
        "revision": 1,
        "form_id": "household",
        "form_version": "1",
        "locale": "en",
        "finalized_at": "2024-03-01T10:00:00Z",
        "answers": answers,
    }


ANSWERS = {
    "members": members(("Amina Yusuf", 41), ("Musa Yusuf", 9)),
    "head": "Amina Yusuf",
    "adults": ["Amina Yusuf"],
}


def test_a_pseudonymized_name_leaves_as_its_pseudonym_through_the_select():
    form = load_form(HOUSEHOLD)
    sent = anonymize(record(ANSWERS), form, KEY)["answers"]
    member = sent["members"][0]["member_name"]
    assert member.startswith("p_")
    assert sent["head"] == member and sent["adults"] == [member]
    assert "Amina" not in json.dumps(sent)


@pytest.mark.parametrize(
    ("source_rule", "own_rule", "expected"),
    [
        ({"identifying": True, "privacy": "drop"}, {}, "drop"),
        ({"identifying": True, "privacy": "drop"}, {"privacy": "keep"}, "drop"),
        ({"identifying": False, "privacy": "scrub"}, {"privacy": "drop"}, "drop"),
        ({"identifying": False, "privacy": "keep"}, {}, "keep"),
        # No rule, but labelled as a name: dropped, and so is the select.
        ({"identifying": False, "label": {"en": "Full name"}}, {"privacy": "keep"}, "drop"),
    ],
)
def test_the_select_follows_its_sources_rule_or_a_stronger_own(source_rule, own_rule, expected):
    data = copy.deepcopy(HOUSEHOLD)
    source = data["sections"][0]["questions"][0]
    source.pop("privacy")
    source.update(source_rule)
    if "privacy" not in source_rule:
        source["name"] = "member"
        for question in data["sections"][1]["questions"]:
            question["choices_from"] = "member"
        data["sections"][1]["questions"][1]["choice_filter"] = "${member_age} >= 18"
    for question in data["sections"][1]["questions"]:
        question.update(own_rule)
    form = load_form(data)
    for name in ("head", "adults"):
        assert rule_for(form.questions[name], form) == expected
    answers = copy.deepcopy(ANSWERS)
    for member in answers["members"]:
        member[source["name"]] = member.pop("member_name")
    sent = anonymize(record(answers), form, KEY)["answers"]
    if expected == "drop":
        assert "head" not in sent and "adults" not in sent
        assert "Amina" not in json.dumps(sent)
    else:
        assert sent["head"] == "Amina Yusuf" and sent["adults"] == ["Amina Yusuf"]


def test_a_scrubbed_source_scrubs_each_name_picked():
    data = copy.deepcopy(HOUSEHOLD)
    source = data["sections"][0]["questions"][0]
    source.update(identifying=False, privacy="scrub", name="nickname", label={"en": "Called"})
    for question in data["sections"][1]["questions"]:
        question["choices_from"] = "nickname"
    form = load_form(data)
    answers = {
        "members": [{"nickname": "call 0712 345 678"}, {"nickname": "Tall one"}],
        "head": "call 0712 345 678",
        "adults": ["call 0712 345 678", "Tall one"],
    }
    sent = anonymize(record(answers), form, KEY)["answers"]
    assert sent["head"] == sent["members"][0]["nickname"] and "0712" not in sent["head"]
    assert sent["adults"] == [sent["head"], "Tall one"]


def test_exports_give_the_answer_as_text():
    form = load_form({**HOUSEHOLD, "sections": copy.deepcopy(HOUSEHOLD["sections"])})
    for question in form.data["sections"][0]["questions"]:
        question["privacy"] = "keep"
        question.pop("identifying")
    form = load_form(form.data)
    columns = {c.name: c for c in columns_for([form])}
    assert columns["head"].kind == "text" and columns["adults"].kind == "multiple"
    assert "adults/Amina" not in columns
    out = io.BytesIO()
    stored = {**record({**ANSWERS, "adults": ["Amina Yusuf", "Musa Yusuf"]}), "answers_json": ""}
    export([stored], [form], "csv", out)
    [row] = list(csv.DictReader(io.StringIO(out.getvalue().decode("utf-8-sig"))))
    assert row["head"] == "Amina Yusuf" and row["adults"] == "Amina Yusuf Musa Yusuf"
    for fmt in ("dta", "sav", "xlsx"):
        export([stored], [form], fmt, io.BytesIO())  # no value labels to build: no error


# -- Live in the browser --------------------------------------------------------------------


def test_on_the_phone_the_choices_follow_the_roster(household_hub, chromium, db_path):
    from browsing import console_errors, review_and_finalize
    from test_repeats import css, type_into, until

    sign_in(chromium, household_hub)
    chromium.get(f"{household_hub.url}/forms/household/phone?lang=en")
    until(chromium, lambda d: css(d, "button.step-next").is_displayed())

    def shown(name):
        return [
            box.get_attribute("value")
            for box in chromium.find_elements("css selector", f'input[name="{name}"]')
            if box.is_displayed()
        ]

    type_into(chromium, "f-member_name.1", "Amina")
    type_into(chromium, "f-member_age.1", "41")
    css(chromium, "#step-0 .repeat-add").click()
    type_into(chromium, "f-member_name.2", "Musa")
    type_into(chromium, "f-member_age.2", "9")
    css(chromium, "button.step-next").click()
    assert shown("head") == ["Amina", "Musa"]
    assert shown("adults") == ["Amina"]
    css(chromium, 'input[name="head"][value="Musa"]').click()
    css(chromium, "button.step-back").click()
    type_into(chromium, "f-member_age.2", "19")  # now an adult
    css(chromium, "button.step-next").click()
    assert shown("adults") == ["Amina", "Musa"]
    assert css(chromium, 'input[name="head"][value="Musa"]').is_selected()
    css(chromium, 'input[name="adults"][value="Amina"]').click()
    review_and_finalize(chromium)
    until(chromium, lambda d: "/phone" not in d.current_url)
    [row] = query(db_path, "SELECT status, answers FROM records")
    answers = json.loads(row["answers"])
    assert row["status"] == "finalized"
    assert answers["head"] == "Musa" and answers["adults"] == ["Amina"]
    assert console_errors(chromium) == []


PETS = {
    "form_id": "pets",
    "version": "1",
    "title": {"en": "Pets"},
    "sections": [
        {
            "name": "pet",
            "label": {"en": "Pet"},
            "repeat": True,
            "questions": [
                {"name": "pos", "type": "calculate", "calculation": "position(..)"},
                {"name": "animal_type", "type": "text", "label": {"en": "Animal"}},
                {
                    "name": "same_as",
                    "type": "select_one",
                    "choices_from": "animal_type",
                    "choice_filter": "position() != current()/../pos",
                    "appearance": "minimal",
                    "label": {"en": "Same kind as"},
                },
            ],
        }
    ],
}


def test_a_drop_down_in_the_same_repeat_offers_the_other_instances(hub, db_path, chromium):
    from browsing import console_errors
    from test_repeats import css, type_into, until

    import_forms(db_path, PETS)
    sign_in(chromium, hub)
    chromium.get(f"{hub.url}/forms/pets/phone?lang=en")
    until(chromium, lambda d: d.find_element("id", "f-animal_type.1").is_displayed())

    def options(key):
        field = chromium.find_element("id", f"f-same_as.{key}")
        return [o.get_attribute("value") for o in field.find_elements("css selector", "option")]

    type_into(chromium, "f-animal_type.1", "dog")
    css(chromium, ".repeat-add").click()
    type_into(chromium, "f-animal_type.2", "cat")
    css(chromium, ".repeat-add").click()
    type_into(chromium, "f-animal_type.3", "dog")
    assert options(1) == ["", "cat", "dog"]  # every other pet's answer
    assert options(2) == ["", "dog"]  # two dogs: one choice
    assert options(3) == ["", "dog", "cat"]
    css(chromium, '#f-same_as\\.3 option[value="dog"]').click()
    css(chromium, 'button[value="remove:pet:1"]').click()
    # The third pet is now the second, and the only dog: its answer is no longer offered.
    assert options(2) == ["", "cat"]
    assert chromium.find_element("id", "f-same_as.2").get_attribute("value") == ""
    assert console_errors(chromium) == []


def test_a_change_of_the_repeat_answers_offered_is_shown_before_publishing():
    """The server's preview of a new version names the question whose choices now come
    from another question of the repeat."""
    from sync_server.form_diff import diff_forms, plain_lines

    newer = copy.deepcopy(HOUSEHOLD)
    newer["version"] = "2"
    members = newer["sections"][0]["questions"]
    members.append({"name": "member_nickname", "type": "text", "label": {"en": "Nickname"}})
    newer["sections"][1]["questions"][0]["choices_from"] = "member_nickname"
    diff = diff_forms(load_form(HOUSEHOLD), load_form(newer))
    text = "\n".join(plain_lines(diff))
    assert "${member_name}" in text and "${member_nickname}" in text, text
    assert "head" in text
