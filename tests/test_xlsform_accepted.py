"""Forms pyxform accepts that the reader once took badly: a group named like a repeat
elsewhere in the form, a choice label with ${…}, questions without a label. Each is
imported as `collector forms import` does, written back by export-xlsform with the
workbook's own names, and filled on a real hub where it matters. What is still refused
about a whole sheet is said at that sheet's header row and first column.

Every workbook here is written by the test (openpyxl).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from click.testing import CliRunner
from openpyxl import load_workbook
from pyxform.xls2xform import convert as pyxform_convert

from collector.cli import cli
from collector.xlsform import read_xlsform, to_xlsform
from support import query
from workbooks import imported, write_workbook

HEADER = ["type", "name", "label"]


def settings(form_id: str) -> list[list[str]]:
    return [["form_id", "version"], [form_id, "1"]]


def data_paths(path: Path) -> set[str]:
    """The XForm's data paths, as pyxform converts the workbook (it must)."""
    return set(re.findall(r'<bind nodeset="([^"]+)"', pyxform_convert(xlsform=str(path)).xform))


def written_back(result, tmp_path: Path) -> Path:
    """export-xlsform's workbook: imported again, the same definition."""
    out = tmp_path / "back.xlsx"
    to_xlsform(result.form, out)
    back = read_xlsform(out)
    assert back.errors == [], [str(p) for p in back.errors]
    assert back.definition == result.definition
    return out


def import_into_hub(path: Path, data_dir) -> None:
    result = CliRunner().invoke(cli, ["forms", "import", str(path), "--data-dir", str(data_dir)])
    assert result.exit_code == 0, result.output


# --- a group named like a repeat or a group elsewhere ---------------------------------------

VISITS = [
    HEADER,
    ["begin repeat", "visit", "Visits"],
    ["begin repeat", "meal", "Meals served at the visit"],
    ["text", "dish", "Dish"],
    ["end repeat"],
    ["end repeat"],
    ["begin group", "meal", "The meal at home"],
    ["text", "home_dish", "Dish at home"],
    ["end group"],
]


def test_a_group_named_like_a_repeat_in_a_repeat_gets_a_page_name_of_its_own(tmp_path):
    path = write_workbook(tmp_path / "visits.xlsx", VISITS, settings=settings("visits"))
    result = imported(path)
    names = [s["name"] for s in result.definition["sections"]]
    assert names == ["visit", "meal", "meal_2"] and len(set(names)) == len(names)
    page = result.form.section("meal_2")
    assert [q["name"] for q in page["questions"]] == ["home_dish"]
    assert result.form.section("meal")["within"] == "visit"
    # Written back as the workbook had it: the group is `meal` again, the same data paths.
    back = written_back(result, tmp_path)
    assert data_paths(back) == data_paths(path)
    assert "/data/meal/home_dish" in data_paths(back)


def test_the_group_and_the_repeat_of_one_name_are_filled_on_the_hub(hub, data_dir, tmp_path):
    import_into_hub(
        write_workbook(tmp_path / "visits.xlsx", VISITS, settings=settings("visits")), data_dir
    )
    phone = hub.browser("en")
    phone.signin()
    page = phone.get("/forms/visits/phone")
    assert page.status_code == 200 and 'name="home_dish"' in page.text
    record = "6f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a0b"
    fields = [
        ("_uuid", record),
        ("_action", "finalize"),
        ("form_version", "1"),
        ("_repeat.visit", "1"),
        ("_repeat.meal.1", "1"),
        ("dish.1.1", "ugali"),
        ("home_dish", "beans"),
    ]
    fields += [("_shown", name) for name in ("dish.1.1", "home_dish")]
    response = phone.post(
        "/forms/visits/submit", fields, csrf_from=page.text, headers={"X-Hub-Outbox": "1"}
    )
    assert response.json()["status"] == "finalized", response.text
    [stored] = query(hub.app.config["DATABASE"], "SELECT answers FROM records")
    answers = json.loads(stored["answers"])
    assert answers["home_dish"] == "beans"
    assert answers["visit"] == [{"meal": [{"dish": "ugali"}]}]


def test_a_repeat_named_like_an_earlier_group_is_taken_too(tmp_path):
    survey = [HEADER, *VISITS[6:], *VISITS[1:6]]  # the group first, then the repeats
    path = write_workbook(tmp_path / "visits.xlsx", survey, settings=settings("visits"))
    result = imported(path)
    assert [s["name"] for s in result.definition["sections"]] == ["meal_2", "visit", "meal"]
    assert data_paths(written_back(result, tmp_path)) == data_paths(path)


def test_a_group_named_like_a_group_in_another_group_or_repeat_keeps_its_name(tmp_path):
    survey = [
        HEADER,
        ["begin group", "mother", "Mother"],
        ["begin group", "health", "Her health"],
        ["text", "clinic", "Her clinic"],
        ["end group"],
        ["end group"],
        ["begin repeat", "child", "Children"],
        ["begin group", "health", "The child's health"],
        ["text", "vaccinated", "Vaccinated where"],
        ["end group"],
        ["end repeat"],
        ["begin group", "health", "The household's health"],
        ["text", "water", "Water source"],
        ["end group"],
    ]
    path = write_workbook(tmp_path / "health.xlsx", survey, settings=settings("health"))
    result = imported(path)
    assert [s["name"] for s in result.definition["sections"]] == ["mother", "child", "health"]
    assert data_paths(written_back(result, tmp_path)) == data_paths(path)


def test_two_groups_of_one_name_side_by_side_are_refused_on_the_second_row(tmp_path):
    # pyxform refuses them too: names are unique within their group, or outside any.
    for at, survey in enumerate(
        [
            [
                HEADER,
                ["begin group", "place", "Place"],
                ["text", "village", "Village"],
                ["end group"],
                ["begin repeat", "place", "Places again"],
                ["text", "town", "Town"],
                ["end repeat"],
            ],
            [
                HEADER,
                ["begin group", "outer", "Outer"],
                ["begin group", "place", "Place"],
                ["text", "village", "Village"],
                ["end group"],
                ["begin group", "place", "Place again"],
                ["text", "town", "Town"],
                ["end group"],
                ["end group"],
            ],
        ]
    ):
        result = read_xlsform(write_workbook(tmp_path / f"{at}.xlsx", survey))
        [problem] = result.errors
        row = 5 if at == 0 else 6
        assert (problem.key, problem.sheet, problem.row, problem.column) == (
            "duplicate_name",
            "survey",
            row,
            "name",
        )
        assert f"row {row - 3}" in str(problem)


# --- a ${name} in a choice's label ---------------------------------------------------------


def test_a_reference_in_a_choice_label_is_warned_on_the_choices_row(tmp_path):
    survey = [
        ["type", "name", "label", "label::Kiswahili (sw)"],
        ["text", "village", "Village", "Kijiji"],
        ["select_one stay", "stay", "Where do you sleep?", "Unalala wapi?"],
    ]
    choices = [
        ["list_name", "name", "label", "label::Kiswahili (sw)"],
        ["stay", "here", "In ${village}", "Katika ${village}"],
        ["stay", "away", "Elsewhere", "Kwingine"],
    ]
    result = read_xlsform(write_workbook(tmp_path / "stay.xlsx", survey, choices))
    assert result.ok, [str(p) for p in result.errors]
    warned = [p for p in result.warnings if p.key == "label_reference"]
    assert [(p.sheet, p.row, p.column) for p in warned] == [("choices", 2, "label")]
    # The label is kept as written (the page shows it so, as it shows a question's).
    [here, _] = result.definition["choices"]["stay"]
    assert here["label"] == {"en": "In ${village}", "sw": "Katika ${village}"}


# --- questions without a label, as pyxform takes them ---------------------------------------

UNLABELLED = [
    ["type", "name", "label", "hint", "hint::Kiswahili (sw)", "media::image", "calculation"]
    + ["trigger"],
    ["text", "water", None, "Where do you fetch water?", "Unachota maji wapi?"],
    ["integer", "wells", "How many wells?", None, "Visima vingapi?"],
    ["text", "pump", None, None, None, "pump.png"],
    ["integer", "doubled", None, None, None, None, "${wells} * 2"],
    ["dateTime", "counted_at", None, None, None, None, "now()", "${wells}"],
    ["decimal", "cleared", None, None, None, None, None, "${wells}"],
]


def test_a_question_without_a_label_is_taken_as_pyxform_takes_it(tmp_path):
    path = write_workbook(tmp_path / "wells.xlsx", UNLABELLED, settings=settings("wells"))
    result = imported(path)
    questions = {q["name"]: q for q in result.definition["sections"][0]["questions"]}
    # A hint alone is the label (shown once), in each of its languages.
    assert questions["water"]["label"] == {
        "en": "Where do you fetch water?",
        "sw": "Unachota maji wapi?",
    }
    assert "hint" not in questions["water"]
    # A picture alone: the question's name is its label, what a screen reader says.
    assert questions["pump"]["label"] == {"en": "pump"}
    assert questions["pump"]["media"] == {"image": {"en": "pump.png"}}
    # A calculation or a trigger without label or hint: computed and hidden, as ODK
    # shows no control for it (a trigger alone empties it).
    assert questions["doubled"] == {
        "name": "doubled",
        "type": "calculate",
        "calculation": "${wells} * 2",
    }
    assert questions["counted_at"]["type"] == "calculate"
    assert questions["counted_at"]["trigger"] == "${wells}"
    assert questions["cleared"]["calculation"] == "''"
    assert not [p for p in result.warnings if p.key in ("missing_label", "missing_calculation")]
    written_back(result, tmp_path)
    # Still refused: a question with nothing to show at all, or only a guidance hint.
    for extra in (["text", "bare"], ["text", "guided", None, None, None, None, None, None]):
        survey = [[*UNLABELLED[0], "guidance_hint"], [*extra, *[None] * (8 - len(extra)), "See"]]
        if extra[1] == "bare":
            survey[1][-1] = None
        problems = read_xlsform(write_workbook(tmp_path / "bare.xlsx", survey)).errors
        assert [(p.key, p.row, p.column) for p in problems] == [("missing_label", 2, "label")]


def test_unlabelled_questions_are_shown_and_computed_on_the_hub(hub, data_dir, tmp_path):
    path = write_workbook(tmp_path / "wells.xlsx", UNLABELLED, settings=settings("wells"))
    import_into_hub(path, data_dir)
    phone = hub.browser("en")
    phone.signin()
    page = phone.get("/forms/wells/phone").text
    assert '<label for="f-water">Where do you fetch water?' in page
    assert '<label for="f-pump">pump' in page
    assert not re.search(r'<input[^>]* name="(doubled|counted_at|cleared)"', page)
    assert 'class="q q-calculate" data-name="doubled"' in page  # computed, not shown
    fields = [
        ("_uuid", "0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e"),
        ("_action", "finalize"),
        ("form_version", "1"),
        ("water", "river"),
        ("wells", "3"),
        ("pump", "hand pump"),
    ]
    fields += [("_shown", name) for name in ("water", "wells", "pump")]
    response = phone.post(
        "/forms/wells/submit", fields, csrf_from=page, headers={"X-Hub-Outbox": "1"}
    )
    assert response.json()["status"] == "finalized", response.text
    [stored] = query(hub.app.config["DATABASE"], "SELECT answers FROM records")
    answers = json.loads(stored["answers"])
    assert answers["doubled"] == 6 and answers["water"] == "river"
    assert answers["counted_at"].startswith("20") and "cleared" not in answers


# --- refusals about a whole sheet, located all the same -------------------------------------


def test_a_form_that_records_nothing_is_refused_at_the_survey_header(tmp_path):
    # Metadata the collector does not record: a form of metadata it records is taken.
    survey = [["type", "name", "label"], ["email", "email"], ["phonenumber", "phone"]]
    result = read_xlsform(write_workbook(tmp_path / "meta.xlsx", survey))
    [problem] = result.errors
    assert (problem.key, problem.sheet, problem.row, problem.column) == (
        "empty_form",
        "survey",
        1,
        "type",
    )
    assert str(problem).startswith("survey row 1, column type: ")


def test_an_osm_sheet_is_refused_at_its_header(tmp_path):
    path = write_workbook(tmp_path / "osm.xlsx", [HEADER, ["text", "village", "Village"]])
    book = load_workbook(path)
    sheet = book.create_sheet("osm")
    for row in (["list_name", "name", "label"], ["roofs", "tin", "Tin"]):
        sheet.append(row)
    book.save(path)
    [problem] = read_xlsform(path).errors
    assert (problem.key, problem.sheet, problem.row, problem.column) == (
        "external_data/sheet",
        "osm",
        1,
        "list_name",
    )
