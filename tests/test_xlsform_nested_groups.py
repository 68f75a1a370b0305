"""Groups inside groups and inside repeats, kept where they stand: imported without a
warning, each of their questions carrying the groups it is in; shown as sub-headings in the
interview language, with and without JavaScript; filled and stored by question name; and
written back by export-xlsform with pyxform's data paths those of the original."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from browsing import console_errors, review_and_finalize, sign_in
from collector.forms import FormError, load_form
from collector.xlsform import read_xlsform, to_xlsform, xlsform_rows
from support import import_forms
from test_xlsform_nested import css, data_paths, import_form, stored, type_into, until, xform_of
from test_xlsform_spec_suite import post_sections
from workbooks import write_workbook

HEADER = ["type", "name", "label::English (en)", "label::Français (fr)", "relevant"]
HEADER += ["appearance", "repeat_count"]
# A page group holding groups three deep (water > tap > tap_state), a group in a repeat
# (schooling) and two in a repeat inside it (care > care_place): relevant on inner groups,
# field-list on some, every label in two languages.
SURVEY = [
    HEADER,
    ["begin group", "household", "Household", "Ménage", None, "field-list"],
    ["text", "village", "Village", "Village"],
    ["integer", "hh_size", "People", "Personnes"],
    ["begin group", "water", "Water", "Eau", None, "field-list"],
    ["select_one yn", "has_tap", "A tap?", "Un robinet ?"],
    ["begin group", "tap", "The tap", "Le robinet", "${has_tap} = 'yes'"],
    ["begin group", "tap_state", "Its state", "Son état", "${hh_size} > 1", "field-list"],
    ["text", "tap_broken", "Broken since?", "Cassé depuis ?"],
    ["end group", "tap_state"],
    ["integer", "tap_distance", "Metres away", "À combien de mètres", "${hh_size} < 20"],
    ["end group", "tap"],
    ["text", "water_note", "Anything else?", "Autre chose ?"],
    ["end group", "water"],
    ["end group", "household"],
    ["begin repeat", "members", "Member", "Membre", None, None, "${hh_size}"],
    ["text", "member_name", "Name", "Nom"],
    ["integer", "member_age", "Age", "Âge"],
    ["begin group", "schooling", "School", "École", "${member_age} < 18", "field-list"],
    ["select_one yn", "in_school", "In school?", "À l'école ?"],
    ["end group", "schooling"],
    ["integer", "n_ill", "Illnesses", "Maladies"],
    ["begin repeat", "illnesses", "Illness", "Maladie", None, None, "${n_ill}"],
    ["text", "ill_kind", "Which illness?", "Quelle maladie ?"],
    ["begin group", "care", "Care", "Soins"],
    ["select_one yn", "treated", "Treated?", "Soigné ?"],
    ["begin group", "care_place", "Where", "Où", "${treated} = 'yes'"],
    ["text", "clinic", "Clinic", "Clinique"],
    ["end group", "care_place"],
    ["end group", "care"],
    ["end repeat", "illnesses"],
    ["end repeat", "members"],
]
CHOICES = [
    ["list_name", "name", "label::English (en)", "label::Français (fr)"],
    ["yn", "yes", "Yes", "Oui"],
    ["yn", "no", "No", "Non"],
]
SETTINGS = [["form_id", "version", "default_language"], ["nested_groups", "1", "English (en)"]]
ANSWERS = {
    "village": "Kibera",
    "hh_size": "2",
    "has_tap": "yes",
    "tap_broken": "March",
    "tap_distance": "40",
    "water_note": "Queues at dawn",
    "member_name.1": "Amina",
    "member_age.1": "12",
    "in_school.1": "yes",
    "n_ill.1": "1",
    "ill_kind.1.1": "malaria",
    "treated.1.1": "yes",
    "clinic.1.1": "Kibera clinic",
    "member_name.2": "Musa",
    "member_age.2": "40",
    "in_school.2": "no",  # sent, but School does not apply to him: not kept
    "n_ill.2": "0",
}
STORED = {
    "village": "Kibera",
    "hh_size": 2,
    "has_tap": "yes",
    "tap_broken": "March",
    "tap_distance": 40,
    "water_note": "Queues at dawn",
    "members": [
        {
            "member_name": "Amina",
            "member_age": 12,
            "in_school": "yes",
            "n_ill": 1,
            "illnesses": [{"ill_kind": "malaria", "treated": "yes", "clinic": "Kibera clinic"}],
        },
        {"member_name": "Musa", "member_age": 40, "n_ill": 0, "illnesses": []},
    ],
}


@pytest.fixture
def workbook(tmp_path) -> Path:
    return write_workbook(tmp_path / "nested_groups.xlsx", SURVEY, CHOICES, SETTINGS)


def without_groups(definition: dict) -> dict:
    """The definition as a hub stored it before questions kept their inner groups."""
    data = json.loads(json.dumps(definition))
    for section in data["sections"]:
        for question in section["questions"]:
            question.pop("groups", None)
    return data


def legends(page: str) -> list[tuple[str, str, bool]]:
    """(group name, label, hidden) of each inner group heading, in page order."""
    found = re.findall(
        r'<fieldset class="group" data-group-name="([^"]+)"( hidden)?>\s*<legend>([^<]*)</legend>',
        page,
    )
    return [(name, label, bool(hidden)) for name, hidden, label in found]


# -- The definition ------------------------------------------------------------------------


def test_each_question_carries_the_inner_groups_it_sits_in(workbook):
    result = read_xlsform(workbook)
    assert result.ok and result.errors == [] and result.warnings == [], [
        str(p) for p in result.warnings
    ]
    form = result.form
    assert [(s["name"], s.get("within")) for s in form.sections] == [
        ("household", None),
        ("members", None),
        ("illnesses", "members"),
    ]
    water = {"name": "water", "label": {"en": "Water", "fr": "Eau"}, "appearance": "field-list"}
    tap = {"name": "tap", "label": {"en": "The tap", "fr": "Le robinet"}}
    tap |= {"relevant": "${has_tap} = 'yes'"}
    state = {"name": "tap_state", "label": {"en": "Its state", "fr": "Son état"}}
    state |= {"relevant": "${hh_size} > 1", "appearance": "field-list"}
    assert form.questions["tap_broken"].groups == [water, tap, state]
    assert form.questions["tap_distance"].groups == [water, tap]
    assert "groups" not in form.questions["village"].spec
    # Each question still carries its groups' relevance, its own last.
    assert form.questions["tap_broken"].relevant == "(${has_tap} = 'yes') and (${hh_size} > 1)"
    assert form.questions["tap_distance"].relevant == "(${has_tap} = 'yes') and (${hh_size} < 20)"
    assert [g["name"] for g in form.questions["in_school"].groups] == ["schooling"]
    assert [g["name"] for g in form.questions["clinic"].groups] == ["care", "care_place"]
    assert form.questions["clinic"].relevant == "${treated} = 'yes'"
    # The stored definition loads again as it is.
    assert load_form(json.loads(form.to_json())).to_json() == form.to_json()


def test_a_group_is_named_like_a_field_with_texts_in_known_languages():
    definition = {
        "form_id": "f",
        "version": "1",
        "title": {"en": "F"},
        "sections": [
            {
                "name": "s",
                "label": {"en": "S"},
                "questions": [{"name": "q", "type": "text", "label": {"en": "Q"}}],
            }
        ],
    }
    question = definition["sections"][0]["questions"][0]
    for groups, said in [
        ([{"name": "a b"}], "groups.0.name"),
        ([{"name": "g", "label": {"english": "G"}}], "'english' is not a locale code"),
        ([{"name": "g", "appearance": "table-list"}], "groups.0.appearance"),
        ([{"name": "g", "relevant": "${nowhere} = 1"}], "refers to 'nowhere'"),
        ([], "groups"),
    ]:
        question["groups"] = groups
        with pytest.raises(FormError) as raised:
            load_form(definition)
        assert said in str(raised.value), (groups, str(raised.value))


# -- Written back ----------------------------------------------------------------------------


def test_export_writes_the_groups_back_with_the_original_data_paths(workbook, tmp_path):
    form = read_xlsform(workbook).form
    exported = tmp_path / "exported.xlsx"
    to_xlsform(form, exported)
    original, again = xform_of(workbook), xform_of(exported)
    assert data_paths(again) == data_paths(original)
    assert {
        "/data/household/water/tap/tap_state/tap_broken",
        "/data/members/schooling/in_school",
        "/data/members/illnesses/care/care_place/clinic",
    } <= data_paths(again)
    # Each relevance once: on the group's row, or the question's own on its row.
    rows = xlsform_rows(form)["survey"]
    header = rows[0]
    survey = {row[1]: dict(zip(header, row, strict=False)) for row in rows[1:] if len(row) > 1}
    assert (
        survey["tap"]["type"] == "begin group" and survey["tap"]["relevant"] == "${has_tap} = 'yes'"
    )
    assert survey["tap_state"]["appearance"] == "field-list"
    assert survey["tap_state"]["label::French (fr)"] == "Son état"
    assert survey["tap_broken"]["relevant"] is None
    assert survey["tap_distance"]["relevant"] == "${hh_size} < 20"
    assert survey["clinic"]["relevant"] is None
    binds = dict(re.findall(r'<bind nodeset="([^"]+)"([^>]*)/>', again))
    assert "relevant" not in binds["/data/household/water/tap/tap_state/tap_broken"]
    assert binds["/data/household/water/tap"].count("relevant") == 1
    back = read_xlsform(exported)
    assert back.ok and back.warnings == []
    assert back.form.data["sections"] == form.data["sections"]


def test_a_form_stored_before_inner_groups_were_kept_still_loads_shows_and_exports(
    workbook, browser, db_path, tmp_path
):
    old = without_groups(read_xlsform(workbook).form.data)
    form = load_form(old)
    exported = tmp_path / "old.xlsx"
    to_xlsform(form, exported)
    paths = data_paths(xform_of(exported))  # written as it always was: the groups flattened
    assert "/data/household/tap_broken" in paths and "/data/members/in_school" in paths
    import_forms(db_path, old)
    page = browser.get("/forms/nested_groups").text
    assert 'name="tap_broken"' in page and 'fieldset class="group"' not in page


# -- On the hub, without JavaScript ----------------------------------------------------------


def test_the_page_heads_each_inner_group_in_the_interview_language(workbook, hub, data_dir):
    import_form(workbook, data_dir)
    phone = hub.browser("fr")
    phone.signin()
    page = phone.get("/forms/nested_groups").text
    # Nothing answered yet: only Water has a question to show.
    assert legends(page) == [
        ("water", "Eau", False),
        ("tap", "Le robinet", True),
        ("tap_state", "Son état", True),
    ]
    # Each heading is above its own questions, inside the group around it.
    water = page.index('data-group-name="water"')
    assert page.index('id="q-village"') < water < page.index('id="q-has_tap"')
    assert page.index('data-group-name="tap_state"') < page.index('id="q-tap_broken"')
    assert page.index('id="q-tap_broken"') < page.index('id="q-tap_distance"')
    english = hub.browser("en")
    english.signin()
    assert [label for _, label, _ in legends(english.get("/forms/nested_groups").text)] == [
        "Water",
        "The tap",
        "Its state",
    ]


def test_filled_without_javascript_the_answers_are_stored_by_question_name(
    workbook, hub, data_dir, db_path
):
    import_form(workbook, data_dir)
    phone = hub.browser("fr")
    phone.signin()
    form = read_xlsform(workbook).form
    record_uuid = post_sections(phone, form, ANSWERS)
    # The members' page, drawn again from the answers: the headings of what applies shown.
    members = phone.get(f"/records/{record_uuid}/1").text
    assert ("schooling", "École", False) in legends(members)
    assert ("schooling", "École", True) in legends(members)  # Musa, 40
    assert ("care", "Soins", False) in legends(members)
    assert ("care_place", "Où", False) in legends(members)
    household = phone.get(f"/records/{record_uuid}/0").text
    assert [hidden for _, _, hidden in legends(household)] == [False, False, False]
    finalized = phone.post(f"/records/{record_uuid}/finalize", {})
    assert finalized.status_code == 200
    assert stored(db_path) == ("finalized", STORED)


# -- In a real browser -------------------------------------------------------------------------


def heading(driver, name: str, position: str = ""):
    """The legend of the inner group `name` (in the repeat instance `position`, 1.2...)."""
    where = "".join(f'[data-position="{p}"] ' for p in position.split(".") if p)
    return css(driver, f'{where}fieldset.group[data-group-name="{name}"] > legend')


def test_inner_group_headings_follow_the_answers_in_a_browser(
    workbook, hub, data_dir, db_path, chromium
):
    import_form(workbook, data_dir)
    sign_in(chromium, hub)
    chromium.get(f"{hub.url}/forms/nested_groups/phone?lang=fr")
    until(chromium, lambda d: heading(d, "water").is_displayed())
    assert heading(chromium, "water").text == "Eau"
    assert not heading(chromium, "tap").is_displayed()
    from test_form_publishing_browser import accessibility_problems

    assert accessibility_problems(chromium) == []  # a group's legend heads its fields
    type_into(chromium, "f-village", "Kibera")
    type_into(chromium, "f-hh_size", "2")  # the members' page opens with the count
    until(chromium, lambda d: css(d, "button.step-next").is_displayed())
    css(chromium, 'input[name="has_tap"][value="yes"]').click()
    until(chromium, lambda d: heading(d, "tap_state").is_displayed())
    assert heading(chromium, "tap").text == "Le robinet"
    type_into(chromium, "f-tap_broken", "March")
    type_into(chromium, "f-tap_distance", "40")
    type_into(chromium, "f-water_note", "Queues at dawn")
    css(chromium, "button.step-next").click()
    # Two members from the count, drawn by the script from the page's template.
    until(chromium, lambda d: css(d, "#f-member_age\\.2").is_displayed())
    assert not heading(chromium, "schooling", "1").is_displayed()
    type_into(chromium, "f-member_name.1", "Amina")
    type_into(chromium, "f-member_age.1", "12")
    until(chromium, lambda d: heading(d, "schooling", "1").is_displayed())
    assert heading(chromium, "schooling", "1").text == "École"
    css(chromium, 'input[name="in_school.1"][value="yes"]').click()
    type_into(chromium, "f-n_ill.1", "1")
    until(chromium, lambda d: heading(d, "care", "1.1").is_displayed())
    assert not heading(chromium, "care_place", "1.1").is_displayed()
    type_into(chromium, "f-ill_kind.1.1", "malaria")
    css(chromium, 'input[name="treated.1.1"][value="yes"]').click()
    until(chromium, lambda d: heading(d, "care_place", "1.1").is_displayed())
    assert heading(chromium, "care_place", "1.1").text == "Où"
    type_into(chromium, "f-clinic.1.1", "Kibera clinic")
    type_into(chromium, "f-member_name.2", "Musa")
    type_into(chromium, "f-member_age.2", "40")
    type_into(chromium, "f-n_ill.2", "0")
    assert not heading(chromium, "schooling", "2").is_displayed()
    review_and_finalize(chromium)
    until(chromium, lambda d: "/phone" not in d.current_url)
    assert stored(db_path) == ("finalized", STORED)
    assert console_errors(chromium) == []
