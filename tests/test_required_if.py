"""`required` holding a condition, as XLSForm allows: the question needs an answer only while
the condition holds (a non-empty text is true), in a repeat's instance too; imported,
checked by the hub without JavaScript, told to the page's script, and written back on
export.

Every workbook here is written by the test."""

from __future__ import annotations

import json
import re

from collector.xlsform import read_xlsform, to_xlsform
from filling import post_page
from support import import_forms
from workbooks import write_workbook

SURVEY = [
    ["type", "name", "label", "required", "required_message"],
    ["begin group", "child", "Child", None, None],
    ["integer", "age", "How old is the child?", "yes", None],
    ["text", "school", "Which school?", "${age} < 18", "Say which school the child attends."],
    ["end group", None, None, None, None],
    ["begin repeat", "sibling", "Sibling", None, None],
    ["integer", "sibling_age", "Age", "yes", None],
    ["text", "sibling_school", "School", "${sibling_age} < 18", None],
    ["end repeat", None, None, None, None],
]
SETTINGS = [["form_id", "version", "form_title"], ["schools", "1", "Schools"]]


def schools(tmp_path, survey=SURVEY):
    return read_xlsform(write_workbook(tmp_path / "schools.xlsx", survey, None, SETTINGS))


def test_a_condition_in_required_is_imported_and_written_back(tmp_path):
    result = schools(tmp_path)
    assert result.ok, [str(p) for p in result.errors]
    school = result.form.questions["school"]
    assert (school.get("required"), school.get("required_if")) == (False, "${age} < 18")
    to_xlsform(result.form, tmp_path / "back.xlsx")
    back = read_xlsform(tmp_path / "back.xlsx")
    assert back.ok, [str(p) for p in back.errors]
    assert back.form.questions["sibling_school"].get("required_if") == "${sibling_age} < 18"
    assert back.form.questions["age"].get("required") is True


def test_a_wrong_condition_or_word_is_refused_on_its_cell(tmp_path):
    survey = [list(row) for row in SURVEY]
    survey[3][3] = "${agee} < 18"
    survey[7][3] = "maybe"
    problems = {(p.key, p.row, p.column) for p in schools(tmp_path, survey).errors}
    assert problems == {("unknown_reference", 4, "required"), ("bad_value/yes_no", 8, "required")}


def test_a_note_with_a_condition_in_required_is_taken_as_a_note(tmp_path):
    """A note is never answered: a condition there asks nothing, as `yes` there does."""
    survey = [*SURVEY, ["note", "reminder", "Thank the family.", "${age} < 18", None]]
    result = schools(tmp_path, survey)
    assert result.ok, [str(p) for p in result.errors]
    note = result.form.questions["reminder"]
    assert not note.get("required") and not note.get("required_if")


def marked(page: str, key: str) -> bool:
    """Whether the label of the question posted as `key` shows "required"."""
    label = re.search(rf'<label for="f-{re.escape(key)}">(.*?)</label>', page, re.S).group(1)
    found = re.search(r'<span class="req"( hidden)?>', label)
    return bool(found) and not found.group(1)


def test_the_hub_asks_for_an_answer_only_while_the_condition_holds(tmp_path, hub, db_path):
    form = schools(tmp_path).form
    import_forms(db_path, json.loads(form.to_json()))
    phone = hub.browser("en")
    phone.signin()
    first = phone.get("/forms/schools")
    # The page tells its script the condition, with the message the hub gives.
    assert 'data-required-if="${age} &lt; 18"' in first.text
    refused = post_page(phone, first, "schools", {"age": "12", "school": ""})
    assert refused.status_code == 422
    assert "Say which school the child attends." in refused.text
    siblings = post_page(phone, first, "schools", {"age": "30", "school": ""})
    assert siblings.status_code == 200 and "Sibling" in siblings.text, siblings.text[:300]
    # In a repeat, each instance's condition reads that instance's answers.
    answers = {
        "_repeat.sibling": "2",
        "sibling_age.1": "40",
        "sibling_school.1": "",
        "sibling_age.2": "9",
        "sibling_school.2": "",
    }
    refused = post_page(phone, siblings, "schools", answers)
    assert refused.status_code == 422
    assert 'id="sibling_school.2-error"' in refused.text
    assert 'id="sibling_school.1-error"' not in refused.text
    # "required" is marked beside the label only where the condition holds now.
    assert marked(refused.text, "sibling_school.2") and not marked(refused.text, "sibling_school.1")
    assert marked(refused.text, "sibling_age.1")  # required always
    taken = post_page(phone, siblings, "schools", {**answers, "sibling_school.2": "Bolgatanga"})
    assert taken.url.endswith("/review"), taken.text[:300]
