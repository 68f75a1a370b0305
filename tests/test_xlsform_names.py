"""Question names and form ids as pyxform allows them (`Q1.1`, `ice.creams`, `hh-size`,
`2024-wash.v2`): imported with `collector forms import`, rendered and filled on a real hub
without JavaScript, stored, anonymized, exported (CSV, Stata, SPSS) and written back by
`collector forms export-xlsform` with the same names.

Every workbook here is written by the test (openpyxl)."""

from __future__ import annotations

import csv
import html
import io
import json
import re
from pathlib import Path

import pyreadstat
import pytest
from click.testing import CliRunner
from pyxform.xls2xform import convert as pyxform_convert

from browsing import console_errors, sign_in  # noqa: F401
from collector import create_app
from collector.anonymizer import anonymize
from collector.cli import cli
from collector.forms import FormError, load_form
from collector.xlsform import read_xlsform
from support import TEST_PSEUDONYM_KEY, LiveHub, query
from sync_server.exports import export
from workbooks import imported, write_workbook

workbook = write_workbook


HEADER = [
    "type",
    "name",
    "label",
    "hint",
    "required",
    "relevant",
    "constraint",
    "constraint_message",
    "calculation",
    "privacy",
    "repeat_count",
]


def row(kind, name=None, label=None, **columns):
    values = {"type": kind, "name": name, "label": label, **columns}
    return [values.get(column) for column in HEADER]


SURVEY = [
    HEADER,
    row("begin group", "hh-info", "Household"),
    row(
        "integer",
        "Q1.1",
        "How many adults live here?",
        hint="Adults are 18 or older.",
        required="yes",
        constraint=". >= 1",
        constraint_message="At least one adult.",
        privacy="keep",
    ),
    row(
        "integer",
        "hh-size",
        "How many people live here?",
        required="yes",
        relevant="${Q1.1} > 0",
        constraint=". >= ${Q1.1}",
        constraint_message="Not fewer than the adults.",
        privacy="keep",
    ),
    row("select_multiple flavours", "ice.creams", "Which ice creams do you like?", privacy="keep"),
    row(
        "text",
        "ice.creams-why",
        "Why those?",
        relevant="selected(${ice.creams}, 'mango')",
        privacy="scrub",
    ),
    row("end group"),
    row("begin repeat", "kids.list", "Children", repeat_count="${hh-size} - ${Q1.1}"),
    row(
        "integer",
        "kid-age",
        "Age of the child",
        required="yes",
        constraint=". < 18",
        constraint_message="A child is under 18.",
        privacy="keep",
    ),
    row("end repeat"),
    row("text", "final-remarks", "Anything else?", privacy="scrub"),
    row("calculate", "age.total", calculation="sum(${kid-age})", privacy="keep"),
]
CHOICES = [
    ["list_name", "name", "label"],
    ["flavours", "vanilla", "Vanilla"],
    ["flavours", "mango", "Mango"],
    ["flavours", "choc-chip", "Chocolate chip"],
]
SETTINGS = [["form_id", "version", "form_title"], ["2024-wash.v2", "1", "Ice cream survey"]]


@pytest.fixture
def dotted(tmp_path) -> Path:
    return workbook(tmp_path / "ice.xlsx", SURVEY, CHOICES, SETTINGS)


# --- import ---------------------------------------------------------------------------


def test_names_with_dots_and_dashes_are_read_as_written(dotted):
    result = imported(dotted)
    form = result.form
    assert form.form_id == "2024-wash.v2"
    assert [s["name"] for s in form.sections] == ["hh-info", "kids.list", "section_1"]
    assert list(form.questions) == [
        "Q1.1",
        "hh-size",
        "ice.creams",
        "ice.creams-why",
        "kid-age",
        "final-remarks",
        "age.total",
    ]
    assert form.questions["hh-size"].relevant == "${Q1.1} > 0"
    assert form.section("kids.list")["repeat_count"] == "${hh-size} - ${Q1.1}"
    assert form.choice_names(form.questions["ice.creams"]) == ["vanilla", "mango", "choc-chip"]
    assert result.warnings == []


def test_export_xlsform_writes_the_same_names_back(dotted, data_dir, tmp_path):
    runner = CliRunner()
    done = runner.invoke(cli, ["forms", "import", str(dotted), "--data-dir", str(data_dir)])
    assert done.exit_code == 0, done.output
    assert "Imported 2024-wash.v2 version 1." in done.output
    target = tmp_path / "back.xlsx"
    done = runner.invoke(
        cli, ["forms", "export-xlsform", "2024-wash.v2", str(target), "--data-dir", str(data_dir)]
    )
    assert done.exit_code == 0, done.output
    xml = pyxform_convert(xlsform=str(target)).xform
    paths = set(re.findall(r'<bind nodeset="([^"]+)"', xml))
    assert {
        "/data/hh-info/Q1.1",
        "/data/hh-info/hh-size",
        "/data/hh-info/ice.creams",
        "/data/kids.list/kid-age",
        "/data/final-remarks",
        "/data/age.total",
    } <= paths
    assert 'id="2024-wash.v2"' in xml
    assert read_xlsform(target).definition == imported(dotted).definition
    # The original workbook is a valid XLSForm for pyxform too.
    assert "/data/hh-info/Q1.1" in pyxform_convert(xlsform=str(dotted)).xform


@pytest.mark.parametrize(
    "settings, survey_rows, expected",
    [
        ([["form_id"], ["-wash"]], [], ("bad_setting/form_id", "settings", 2, "form_id")),
        ([["form_id"], ["wash/v2"]], [], ("bad_setting/form_id", "settings", 2, "form_id")),
        (None, [row("integer", "1st", "First")], ("bad_name", "survey", 2, "name")),
        (None, [row("integer", "a b", "Spaced")], ("bad_name", "survey", 2, "name")),
        (None, [row("integer", "_repeat.kids", "Count")], ("bad_name", "survey", 2, "name")),
        # `kid.2` would be posted where the second child's answer to `kid` is.
        (
            None,
            [
                row("begin repeat", "kids", "Kids"),
                row("integer", "kid", "Age"),
                row("end repeat"),
                row("integer", "kid.2", "Other"),
            ],
            ("bad_name/instance_key", "survey", 5, "name"),
        ),
    ],
)
def test_names_pyxform_refuses_or_the_hub_cannot_post_are_refused_where_they_are(
    tmp_path, settings, survey_rows, expected
):
    survey = [HEADER, *(survey_rows or [row("text", "a", "A")])]
    path = workbook(tmp_path / "bad.xlsx", survey, None, settings or [["form_id"], ["fine"]])
    result = read_xlsform(path)
    assert {(p.key, p.sheet, p.row, p.column) for p in result.errors} == {expected}
    assert result.form is None


def test_the_schema_refuses_a_name_that_is_another_answers_key():
    form = {
        "form_id": "f",
        "version": "1",
        "title": {"en": "F"},
        "sections": [
            {
                "name": "kids",
                "label": {"en": "K"},
                "repeat": True,
                "questions": [{"name": "kid", "type": "integer", "label": {"en": "Age"}}],
            },
            {
                "name": "main",
                "label": {"en": "M"},
                "questions": [{"name": "kid.1", "type": "integer", "label": {"en": "X"}}],
            },
        ],
    }
    with pytest.raises(FormError, match="'kid.1' is how the answer of 'kid' in instance 1"):
        load_form(form)
    form["sections"][1]["questions"][0]["name"] = "kid.x"
    assert load_form(form).questions["kid.x"].key == "kid.x"


# --- filled on a real hub, without JavaScript --------------------------------------------

ACTION = re.compile(r'<form method="post" action="(/records/([0-9a-f-]{36})/(\d+))"')
SHOWN = re.compile(r'<input type="hidden" name="_shown" value="([^"]+)"( disabled)?>')


def shown_on(page: str) -> list[str]:
    return [name for name, disabled in SHOWN.findall(page) if not disabled]


def post_page(phone, response, answers: dict):
    """Answer what the page shows, as a browser without JavaScript sends it."""
    path = ACTION.search(response.text).group(1)
    data = [("form_id", "2024-wash.v2"), ("_action", "next")]
    for key in shown_on(response.text):
        data.append(("_shown", key))
        value = answers.get(key)
        data += (
            [(key, v) for v in value]
            if isinstance(value, list)
            else ([(key, value)] if value is not None else [])
        )
    return phone.post(path, data)


@pytest.fixture
def live(dotted, data_dir):
    done = CliRunner().invoke(cli, ["forms", "import", str(dotted), "--data-dir", str(data_dir)])
    assert done.exit_code == 0, done.output
    hub = LiveHub(create_app(data_dir=data_dir))
    hub.add_enumerator()
    yield hub
    hub.stop()


ANSWERS = {
    "Q1.1": "1",
    "hh-size": "3",
    "ice.creams": ["vanilla", "mango"],
    "ice.creams-why": "Sweet",
    "kid-age.1": "4",
    "kid-age.2": "9",
    "final-remarks": "No",
}
STORED = {
    "Q1.1": 1,
    "hh-size": 3,
    "ice.creams": ["vanilla", "mango"],
    "ice.creams-why": "Sweet",
    "kids.list": [{"kid-age": 4}, {"kid-age": 9}],
    "final-remarks": "No",
    "age.total": 13,
}


def test_a_form_with_dotted_names_is_rendered_filled_and_stored(live):
    phone = live.browser("en")
    phone.signin()
    home = phone.get("/")
    assert 'href="/forms/2024-wash.v2"' in home.text
    whole = phone.get("/forms/2024-wash.v2/phone")
    assert whole.status_code == 200
    for name in ("Q1.1", "hh-size", "ice.creams", "kid-age", "age.total"):
        assert f'data-name="{name}"' in whole.text
    assert 'data-relevant="${Q1.1} &gt; 0"' in whole.text
    first = phone.get("/forms/2024-wash.v2")
    assert 'id="f-Q1.1" name="Q1.1"' in first.text
    assert 'aria-describedby="Q1.1-hint"' in first.text
    # A wrong answer: its message sits under the question and the list links to it.
    refused = post_page(phone, first, {**ANSWERS, "Q1.1": "0", "hh-size": None})
    assert refused.status_code == 422
    assert '<p class="error" id="Q1.1-error">At least one adult.</p>' in refused.text
    assert '<a href="#q-Q1.1">How many adults live here?</a>' in refused.text
    # `${Q1.1} > 0` opens hh-size: the page asks for it, then checks `. >= ${Q1.1}`.
    opened = post_page(phone, refused, {**ANSWERS, "hh-size": "0"})
    assert opened.status_code == 200 and "hh-size" in shown_on(opened.text)
    refused = post_page(phone, opened, {**ANSWERS, "hh-size": "0"})
    assert refused.status_code == 422
    assert "Not fewer than the adults." in html.unescape(refused.text)
    page = post_page(phone, refused, ANSWERS)
    assert page.status_code == 200 and "/1" in page.url
    # The repeat page: two children (3 people, 1 adult), posted as kid-age.1, kid-age.2.
    assert shown_on(page.text) == ["kid-age.1", "kid-age.2"]
    refused = post_page(phone, page, {**ANSWERS, "kid-age.2": "30"})
    assert refused.status_code == 422
    assert '<p class="error" id="kid-age.2-error">A child is under 18.</p>' in refused.text
    assert '<a href="#q-kid-age.2">Age of the child (2)</a>' in refused.text
    page = post_page(phone, refused, ANSWERS)
    review = post_page(phone, page, ANSWERS)
    assert review.url.endswith("/review"), html.unescape(review.text)[:2000]
    record_uuid = ACTION.search(page.text).group(2)
    finalized = phone.post(f"/records/{record_uuid}/finalize", {})
    assert finalized.status_code == 200
    [record] = query(
        live.app.config["DATABASE"],
        "SELECT form_id, status, answers FROM records WHERE uuid = ?",
        [record_uuid],
    )
    assert (record["form_id"], record["status"]) == ("2024-wash.v2", "finalized")
    assert json.loads(record["answers"]) == STORED


# --- anonymized and exported --------------------------------------------------------------


def stored_record(form) -> dict:
    return {
        "uuid": "00000000-0000-4000-8000-000000000001",
        "revision": 1,
        "form_id": form.form_id,
        "form_version": form.version,
        "locale": "en",
        "finalized_at": "2026-03-15T10:00:00+00:00",
        "enumerator": "Amina",
        "answers": STORED,
    }


def central_row(synced: dict) -> dict:
    """The synced record as the central server keeps it (Store.iter_latest)."""
    return {**synced, "device_id": "dev-1", "received_at": "2026-03-16T08:00:00Z", "review": None}


def test_dotted_names_are_anonymized_and_exported_under_one_rule(dotted, tmp_path):
    form = imported(dotted).form
    synced = anonymize(stored_record(form), form, TEST_PSEUDONYM_KEY)
    assert synced["answers"] == {
        "Q1.1": 1,
        "hh-size": 3,
        "ice.creams": ["vanilla", "mango"],
        "ice.creams-why": "Sweet",
        "final-remarks": "No",
        "age.total": 13,
        "kids.list": [{"kid-age": 4}, {"kid-age": 9}],
    }
    out = io.BytesIO()
    export([central_row(synced)], [form], "csv", out)
    [header, cells] = list(csv.reader(io.StringIO(out.getvalue().decode("utf-8-sig"))))
    values = dict(zip(header, cells, strict=True))
    assert {
        key: values[key]
        for key in (
            "Q1.1",
            "hh-size",
            "ice.creams",
            "ice.creams/vanilla",
            "ice.creams/choc-chip",
            "age.total",
        )
    } == {
        "Q1.1": "1",
        "hh-size": "3",
        "ice.creams": "vanilla mango",
        "ice.creams/vanilla": "1",
        "ice.creams/choc-chip": "0",
        "age.total": "13",
    }
    out = io.BytesIO()
    export([central_row(synced)], [form], "csv", out, repeat="kids.list")
    rows = list(csv.DictReader(io.StringIO(out.getvalue().decode("utf-8-sig"))))
    assert [r["kid-age"] for r in rows] == ["4", "9"]
    # Stata and SPSS names cannot hold `.` or `-`: the exports' one rule makes them `_`.
    for fmt in ("dta", "sav"):
        out = io.BytesIO()
        export([central_row(synced)], [form], fmt, out)
        path = tmp_path / f"export.{fmt}"
        path.write_bytes(out.getvalue())
        frame, meta = (pyreadstat.read_dta if fmt == "dta" else pyreadstat.read_sav)(str(path))
        names = [c for c in frame.columns if not c.startswith("meta_")]
        assert names == [
            "Q1_1",
            "hh_size",
            "ice_creams",
            "ice_creams_vanilla",
            "ice_creams_mango",
            "ice_creams_choc_chip",
            "ice_creams_why",
            "kids_list",
            "final_remarks",
            "age_total",
        ], fmt
        assert meta.column_names_to_labels["Q1_1"] == "How many adults live here?"
        assert frame["hh_size"].tolist() == [3]


def test_a_key_or_sensitive_question_cannot_have_a_dotted_name_yet(tmp_path):
    """The central server reads corrected fields (`members.2.age`) at their dots, so it
    could not tell a dotted key variable's corrections from others: refused for now."""
    survey = [
        ["type", "name", "label", "disclosure"],
        ["integer", "age.years", "Age", "key"],
        ["integer", "hh-size", "Size", "key"],
    ]
    result = read_xlsform(workbook(tmp_path / "k.xlsx", survey, None, [["form_id"], ["k"]]))
    assert [(p.key, p.sheet, p.row, p.column) for p in result.errors] == [
        ("bad_disclosure/dotted_name", "survey", 2, "disclosure")
    ]
    form = {
        "form_id": "f",
        "version": "1",
        "title": {"en": "F"},
        "sections": [
            {
                "name": "main",
                "label": {"en": "M"},
                "questions": [
                    {
                        "name": "age.years",
                        "type": "integer",
                        "label": {"en": "Age"},
                        "disclosure": "sensitive",
                    }
                ],
            }
        ],
    }
    with pytest.raises(FormError, match="cannot hold a '.' yet"):
        load_form(form)


# --- references as ODK forms write them: ../name, ./name, current()/../name, null ---------


def test_relative_paths_and_null_work_on_the_hub_as_in_odk(tmp_path, data_dir):
    survey = [
        ["type", "name", "label", "relevant", "constraint", "choice_filter", "calculation"],
        ["begin group", "hh", "Household", None, None, None, None],
        ["integer", "adults", "Adults", None, ". >= 1", None, None],
        ["integer", "children", "Children", "../adults != null", ". <= ../adults * 10", None, None],
        ["select_one regions", "region", "Region", None, None, None, None],
        [
            "select_one districts",
            "district",
            "District",
            "./region != null",
            None,
            "region = current()/../region",
            None,
        ],
        ["calculate", "size", None, None, None, None, "../adults + ../children"],
        ["end group", None, None, None, None, None, None],
    ]
    choices = [
        ["list_name", "name", "label", "region"],
        ["regions", "north", "North", None],
        ["regions", "coast", "Coast", None],
        ["districts", "lodwar", "Lodwar", "north"],
        ["districts", "mvita", "Mvita", "coast"],
    ]
    path = workbook(tmp_path / "rel.xlsx", survey, choices, [["form_id"], ["rel"]])
    form = imported(path).form
    assert form.questions["children"].relevant == "../adults != null"
    # pyxform takes the same workbook, paths as written.
    xml = pyxform_convert(xlsform=str(path)).xform
    assert 'relevant="../adults != null"' in xml
    done = CliRunner().invoke(cli, ["forms", "import", str(path), "--data-dir", str(data_dir)])
    assert done.exit_code == 0, done.output
    hub = LiveHub(create_app(data_dir=data_dir))
    try:
        hub.add_enumerator()
        phone = hub.browser("en")
        phone.signin()
        first = phone.get("/forms/rel")
        data = (
            [("form_id", "rel"), ("_action", "next")]
            + [("_shown", k) for k in ("adults", "children", "region", "district")]
            + [("adults", "2"), ("children", "30"), ("region", "north"), ("district", "mvita")]
        )
        refused = phone.post(ACTION.search(first.text).group(1), data)
        assert refused.status_code == 422
        assert 'id="children-error"' in refused.text and 'id="district-error"' in refused.text
        data = [item for item in data if item[0] not in ("children", "district")] + [
            ("children", "3"),
            ("district", "lodwar"),
        ]
        review = phone.post(ACTION.search(first.text).group(1), data)
        assert review.url.endswith("/review"), html.unescape(review.text)[:2000]
        record_uuid = ACTION.search(first.text).group(2)
        [record] = query(
            hub.app.config["DATABASE"], "SELECT answers FROM records WHERE uuid = ?", [record_uuid]
        )
        assert json.loads(record["answers"]) == {
            "adults": 2,
            "children": 3,
            "region": "north",
            "district": "lodwar",
            "size": 5,
        }
    finally:
        hub.stop()


# --- on a phone with JavaScript -------------------------------------------------------------


def until(driver, condition, seconds=20):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, seconds).until(condition)


def by_id(driver, element_id: str):
    return driver.find_element("id", element_id)


def test_dotted_names_on_the_phone_page_with_javascript(dotted, data_dir, hub, chromium):
    """The page's script keeps `Q1.1` and `kid-age.2` apart: live skip logic from
    `${Q1.1}`, a repeat counted from `${hh-size} - ${Q1.1}`, checks per instance."""
    done = CliRunner().invoke(cli, ["forms", "import", str(dotted), "--data-dir", str(data_dir)])
    assert done.exit_code == 0, done.output
    sign_in(chromium, hub)
    chromium.get(f"{hub.url}/forms/2024-wash.v2/phone?lang=en")
    until(chromium, lambda d: d.find_element("css selector", "button.step-next").is_displayed())
    assert not by_id(chromium, "q-hh-size").is_displayed()
    by_id(chromium, "f-Q1.1").send_keys("1")
    until(chromium, lambda d: by_id(d, "q-hh-size").is_displayed())
    by_id(chromium, "f-hh-size").send_keys("3")
    chromium.find_element("css selector", 'input[name="ice.creams"][value="mango"]').click()
    until(chromium, lambda d: by_id(d, "q-ice.creams-why").is_displayed())
    by_id(chromium, "f-ice.creams-why").send_keys("Sweet")
    chromium.find_element("css selector", 'input[name="ice.creams"][value="vanilla"]').click()
    chromium.find_element("css selector", "button.step-next").click()
    until(chromium, lambda d: by_id(d, "q-kid-age.2").is_displayed())
    assert not chromium.find_elements("id", "q-kid-age.3")
    by_id(chromium, "f-kid-age.1").send_keys("4")
    by_id(chromium, "f-kid-age.2").send_keys("30")
    chromium.find_element("css selector", "button.step-next").click()
    until(chromium, lambda d: "A child is under 18." in by_id(d, "q-kid-age.2").text)
    assert "A child is under 18." not in by_id(chromium, "q-kid-age.1").text
    by_id(chromium, "f-kid-age.2").clear()
    by_id(chromium, "f-kid-age.2").send_keys("9")
    chromium.find_element("css selector", "button.step-next").click()
    until(chromium, lambda d: by_id(d, "q-final-remarks").is_displayed())
    by_id(chromium, "f-final-remarks").send_keys("No")
    from browsing import review_and_finalize

    review_and_finalize(chromium)
    until(chromium, lambda d: "/phone" not in d.current_url)
    [record] = query(hub.app.config["DATABASE"], "SELECT status, answers FROM records")
    assert record["status"] == "finalized"
    assert json.loads(record["answers"]) == STORED
    assert console_errors(chromium) == []


# --- the same name in two groups, as ODK allows -------------------------------------------

TWO_GROUPS = [
    HEADER,
    row("begin group", "mother", "Mother"),
    row("text", "name_given", "Her first name", privacy="drop"),
    row("integer", "age", "Her age", required="yes", privacy="keep"),
    row("end group"),
    row("begin group", "father", "Father"),
    row("integer", "age", "His age", constraint=". >= 15", privacy="keep"),
    row("end group"),
    row("begin repeat", "kids", "Children"),
    row("integer", "age", "Child's age", privacy="keep"),
    row("end repeat"),
]


def test_a_name_two_groups_use_is_kept_in_the_second_as_the_groups(tmp_path):
    result = read_xlsform(
        workbook(tmp_path / "ages.xlsx", TWO_GROUPS, None, [["form_id"], ["ages"]])
    )
    assert result.ok, [str(p) for p in result.errors]
    form = result.form
    assert list(form.questions) == ["name_given", "age", "father_age", "kids_age"]
    assert form.questions["father_age"].get("xlsform_name") == "age"
    assert form.questions["father_age"].get("min") == 15  # its constraint, read as a bound
    warned = [p for p in result.warnings if p.key == "duplicate_name/group"]
    assert [(p.row, p.column) for p in warned] == [(7, "name"), (10, "name")]
    assert "kept as 'father_age'" in str(warned[0]) and "row 4" in str(warned[0])
    # Written back with the names of the workbook, in their groups, as pyxform reads them.
    back = tmp_path / "back.xlsx"
    from collector.xlsform import to_xlsform

    to_xlsform(form, back)
    xml = pyxform_convert(xlsform=str(back)).xform
    assert {"/data/mother/age", "/data/father/age", "/data/kids/age"} <= set(
        re.findall(r'<bind nodeset="([^"]+)"', xml)
    )
    assert read_xlsform(back).definition == result.definition


def test_a_reference_to_a_name_two_groups_use_is_refused_where_it_is(tmp_path):
    survey = [*TWO_GROUPS, row("note", "summary", "Total: ${age}")]
    survey[-1][HEADER.index("relevant")] = "${age} > 0"
    result = read_xlsform(workbook(tmp_path / "ages.xlsx", survey, None, [["form_id"], ["ages"]]))
    problems = [p for p in result.errors if p.key == "duplicate_name/referenced"]
    assert problems and problems[0].row == len(survey) and problems[0].column == "relevant"
    assert "rows 4" in str(problems[0]) or "row 4" in str(problems[0])
    # Within one group the same name twice stays an error, as in pyxform.
    same = [
        HEADER,
        row("begin group", "g", "G"),
        row("text", "a", "A"),
        row("text", "a", "B"),
        row("end group"),
    ]
    again = read_xlsform(workbook(tmp_path / "same.xlsx", same, None, [["form_id"], ["s"]]))
    assert [p.key for p in again.errors] == ["duplicate_name"]


def test_answers_of_both_groups_are_filled_kept_apart_and_exported(tmp_path):
    result = read_xlsform(
        workbook(tmp_path / "ages.xlsx", TWO_GROUPS, None, [["form_id"], ["ages"]])
    )
    form = result.form
    record = {
        "uuid": "00000000-0000-4000-8000-000000000001",
        "revision": 1,
        "form_id": "ages",
        "form_version": form.version,
        "locale": "en",
        "finalized_at": "2026-11-20T10:00:00Z",
        "enumerator": "amina",
        "answers": {
            "name_given": "Mwajuma",
            "age": 34,
            "father_age": 41,
            "kids": [{"kids_age": 7}],
        },
    }
    synced = anonymize(record, form, TEST_PSEUDONYM_KEY)
    assert synced["answers"] == {"age": 34, "father_age": 41, "kids": [{"kids_age": 7}]}
    out = io.BytesIO()
    export(
        [{**synced, "device_id": "d", "received_at": "2026-11-21T00:00:00Z"}], [form], "csv", out
    )
    rows = list(csv.DictReader(io.StringIO(out.getvalue().decode("utf-8-sig"))))
    assert rows[0]["age"] == "34" and rows[0]["father_age"] == "41"
