"""Choices from files: `select_one_from_file places.csv`, `select_multiple_from_file`, and
`select_one_external LIST` with the external_choices sheet. `collector forms import` reads
the files beside the form (or given with --media), stores their choices with the form, and
the hub renders and checks them like any choice list, choice_filter included; export-xlsform
writes them back.

Every workbook and CSV file here is written by the test."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from pyxform.xls2xform import convert as pyxform_convert

from collector import create_app
from collector.cli import cli
from collector.forms import FormError, load_form
from collector.xlsform import read_xlsform
from filling import post_page, record_of
from support import LiveHub, query
from workbooks import write_workbook

SETTINGS = [["form_id", "version"], ["places", "1"]]
SURVEY = [
    ["type", "name", "label", "choice_filter", "required"],
    ["begin group", "where", "Where", None, None],
    ["select_one_from_file regions.csv", "region", "Region", None, "yes"],
    ["end group", None, None, None, None],
    ["begin group", "detail", "Details", None, None],
    ["select_one_from_file districts.csv", "district", "District", "region = ${region}", "yes"],
    ["select_multiple_from_file regions.csv", "visited", "Regions visited", None, None],
    ["select_one_external cities", "city", "Nearest city", "district = ${district}", None],
    ["end group", None, None, None, None],
]
EXTERNAL = [
    ["list_name", "name", "label", "district"],
    ["cities", "lodwar", "Lodwar", "turkana_c"],
    ["cities", "kakuma", "Kakuma", "turkana_w"],
    ["cities", "mombasa", "Mombasa", "mvita"],
]
REGIONS = "name,label::English (en),label::Français (fr)\nnorth,North,Nord\ncoast,Coast,Côte\n"
DISTRICTS = (
    "name,label,region\nturkana_c,Turkana Central,north\n"
    "turkana_w,Turkana West,north\nmvita,Mvita,coast\n"
)


def workbook(path: Path, survey=SURVEY, external=EXTERNAL, settings=SETTINGS, choices=None) -> Path:
    return write_workbook(path, survey, choices, settings, external_choices=external)


@pytest.fixture
def folder(tmp_path) -> Path:
    """A form with its two choice files beside it, as a team hands them over."""
    folder = tmp_path / "form"
    folder.mkdir()
    workbook(folder / "places.xlsx")
    (folder / "regions.csv").write_text(REGIONS, "utf-8")
    (folder / "districts.csv").write_text(DISTRICTS, "utf-8")
    return folder


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def stored_forms(data_dir) -> int:
    return query(data_dir / "collector.db", "SELECT count(*) AS n FROM forms")[0]["n"]


# --- imported -----------------------------------------------------------------------------


def test_choice_files_become_choice_lists_of_the_form(folder):
    result = read_xlsform(folder / "places.xlsx")
    assert result.errors == [] and result.warnings == [], [str(p) for p in result.errors]
    form = result.form
    assert form.data["choice_sources"] == {
        "cities": "external_choices",
        "regions": "regions.csv",
        "districts": "districts.csv",
    }
    assert form.data["choices"]["regions"] == [
        {"name": "north", "label": {"en": "North", "fr": "Nord"}},
        {"name": "coast", "label": {"en": "Coast", "fr": "Côte"}},
    ]
    assert form.data["choices"]["districts"][2] == {
        "name": "mvita",
        "label": {"en": "Mvita"},
        "data": {"region": "coast"},
    }
    assert form.questions["visited"].type == "select_multiple"
    assert form.questions["visited"].choices == "regions"  # one list for the one file
    assert form.questions["city"].choices == "cities"


def test_a_missing_choice_file_is_named_on_its_row(folder, data_dir):
    """It may be an entity list no form of the hub declares yet (test_entities.py): the form
    imports, the question without choices until then, and the warning says both."""
    (folder / "districts.csv").unlink()
    run("status", "--data-dir", data_dir)  # the hub's database, to look into afterwards
    done = run("forms", "import", folder / "places.xlsx", "--data-dir", data_dir)
    assert done.exit_code == 0, done.output
    assert (
        "survey row 6, column type: There is no choice file districts.csv and no entity list "
        "'districts' on this hub yet"
    ) in done.output
    assert "give it with --media districts.csv, and import the form again." in done.output
    assert stored_forms(data_dir) == 1


def test_media_gives_choice_files_kept_elsewhere(folder, tmp_path, data_dir):
    elsewhere = tmp_path / "files"
    elsewhere.mkdir()
    (folder / "districts.csv").rename(elsewhere / "districts.csv")
    done = run(
        "forms",
        "import",
        folder / "places.xlsx",
        "--media",
        elsewhere / "districts.csv",
        "--data-dir",
        data_dir,
    )
    assert done.exit_code == 0, done.output
    [row] = query(data_dir / "collector.db", "SELECT definition FROM forms")
    assert [c["name"] for c in json.loads(row["definition"])["choices"]["districts"]] == [
        "turkana_c",
        "turkana_w",
        "mvita",
    ]


@pytest.mark.parametrize(
    "kind, key",
    [
        ("select_one_from_file areas.xml", "external_data/file_type"),
        ("select_one_from_file areas.geojson", "external_data/file_type"),
        ("select_multiple_from_file areas.txt", "external_data/file_name"),
        ("select_one_from_file ../areas.csv", "external_data/file_name"),
        ("select_one_from_file", "unknown_list/file"),
        ("select_one_external nowhere", "unknown_list/external"),
    ],
)
def test_choice_files_the_collector_cannot_read_are_refused_by_name(tmp_path, kind, key):
    (tmp_path / "areas.xml").write_text("<root/>")
    survey = [["type", "name", "label"], [kind, "area", "Area"]]
    result = read_xlsform(workbook(tmp_path / "f.xlsx", survey))
    assert [(p.key, p.sheet, p.row, p.column) for p in result.errors] == [
        (key, "survey", 2, "type")
    ]


def test_parameters_picking_other_columns_are_refused(folder):
    survey = [
        ["type", "name", "label", "parameters"],
        ["select_one_from_file regions.csv", "r", "R", "value=code label=title"],
    ]
    result = read_xlsform(workbook(folder / "p.xlsx", survey))
    assert [(p.key, p.row, p.column) for p in result.errors] == [
        ("external_data/parameters", 2, "parameters")
    ]


@pytest.mark.parametrize(
    "content, expected",
    [
        ("name,label\nnorth,North\nnorth,Again\n", ("duplicate_choice", "regions.csv", 3, "name")),
        ("code,label\nnorth,North\n", ("external_data/file_columns", "regions.csv", 1, "name")),
        (
            "name,label\nnorth east,North east\n",
            ("bad_name/choice_space", "regions.csv", 2, "name"),
        ),
        (
            "name,label\n" + "x" * 70 + ",Long\n",
            ("bad_name/choice_length", "regions.csv", 2, "name"),
        ),
        ("name,label\n", ("external_data/empty_file", "survey", 2, "type")),
    ],
)
def test_problems_inside_a_choice_file_name_its_row_and_column(tmp_path, content, expected):
    (tmp_path / "regions.csv").write_text(content, "utf-8")
    survey = [["type", "name", "label"], ["select_multiple_from_file regions.csv", "r", "R"]]
    result = read_xlsform(workbook(tmp_path / "f.xlsx", survey))
    assert [(p.key, p.sheet, p.row, p.column) for p in result.errors] == [expected]
    assert result.form is None


def test_a_choice_file_that_is_not_utf8_is_refused(tmp_path):
    (tmp_path / "regions.csv").write_bytes("name,label\nnord,Région\n".encode("latin-1"))
    survey = [["type", "name", "label"], ["select_one_from_file regions.csv", "r", "R"]]
    [problem] = read_xlsform(workbook(tmp_path / "f.xlsx", survey)).errors
    assert (problem.key, problem.row, problem.column) == (
        "external_data/unreadable_file",
        2,
        "type",
    )
    assert "UTF-8" in problem.message


def test_lists_of_the_same_name_on_both_sheets_stay_apart(tmp_path):
    survey = [
        ["type", "name", "label"],
        ["select_one cities", "home", "Home"],
        ["select_one_external cities", "work", "Work"],
    ]
    choices = [["list_name", "name", "label"], ["cities", "a", "A"]]
    result = read_xlsform(workbook(tmp_path / "f.xlsx", survey, choices=choices))
    assert result.ok, [str(p) for p in result.errors]
    form = result.form
    assert form.choice_names(form.questions["home"]) == ["a"]
    assert form.questions["work"].choices == "cities_2"
    assert form.choice_names(form.questions["work"]) == ["lodwar", "kakuma", "mombasa"]
    assert form.data["choice_sources"] == {"cities_2": "external_choices"}


def test_the_schema_checks_choice_sources():
    form = {
        "form_id": "f",
        "version": "1",
        "title": {"en": "F"},
        "choices": {
            "a": [{"name": "x", "label": {"en": "X"}}],
            "b": [{"name": "y", "label": {"en": "Y"}}],
        },
        "sections": [
            {
                "name": "s",
                "label": {"en": "S"},
                "questions": [
                    {"name": "q", "type": "select_one", "choices": "a", "label": {"en": "Q"}}
                ],
            }
        ],
    }
    assert load_form({**form, "choice_sources": {"a": "a.csv"}}).data["choice_sources"]
    for sources, message in (
        ({"c": "c.csv"}, "no choice list named 'c'"),
        ({"a": "../a.csv"}, "String does not match"),
        ({"a": "a.xml"}, "String does not match"),
        ({"a": "x.csv", "b": "x.csv"}, "'x.csv' holds one list only"),
    ):
        with pytest.raises(FormError, match=re.escape(message)):
            load_form({**form, "choice_sources": sources})


# --- written back --------------------------------------------------------------------------


def test_export_xlsform_writes_the_choice_files_back(folder, tmp_path, data_dir):
    assert run("forms", "import", folder / "places.xlsx", "--data-dir", data_dir).exit_code == 0
    out = tmp_path / "out"
    out.mkdir()
    done = run("forms", "export-xlsform", "places", out / "places.xlsx", "--data-dir", data_dir)
    assert done.exit_code == 0, done.output
    assert f"Wrote the choice file {out / 'regions.csv'}." in done.output
    assert (out / "regions.csv").read_text("utf-8").splitlines() == [
        "name,label::English (en),label::French (fr)",
        "north,North,Nord",
        "coast,Coast,Côte",
    ]
    xml = pyxform_convert(xlsform=str(out / "places.xlsx")).xform
    assert 'src="jr://file-csv/districts.csv"' in xml and 'src="jr://file-csv/regions.csv"' in xml
    assert "instance('districts')/root/item[region =  /data/where/region ]" in xml
    assert (
        read_xlsform(out / "places.xlsx").definition
        == read_xlsform(folder / "places.xlsx").definition
    )


# --- on a real hub, without JavaScript ------------------------------------------------------


def post(phone, page, answers: dict):
    return post_page(phone, page, "places", answers)


def option(page_text: str, value: str) -> str:
    """The tag that offers a choice (radio, checkbox or option)."""
    match = re.search(rf'<(?:input|option)[^>]*value="{value}"[^>]*>', page_text)
    assert match, value
    return match.group()


def test_choices_from_files_are_offered_filtered_and_checked_on_the_hub(folder, data_dir):
    done = run("forms", "import", folder / "places.xlsx", "--data-dir", data_dir)
    assert done.exit_code == 0, done.output
    hub = LiveHub(create_app(data_dir=data_dir))
    try:
        hub.add_enumerator()
        phone = hub.browser()
        phone.signin()
        phone.session.headers["Accept-Language"] = "fr"  # labels from the file's French column
        first = phone.get("/forms/places")
        assert "Nord" in html.unescape(first.text) and "Côte" in html.unescape(first.text)
        details = post(phone, first, {"region": "north"})
        assert details.status_code == 200
        # Only the districts of the north are offered; the coast's is there, hidden.
        assert "disabled" not in option(details.text, "turkana_w")
        assert "disabled" in option(details.text, "mvita")
        refused = post(
            phone, details, {"district": "mvita", "visited": ["north"], "city": "lodwar"}
        )
        assert refused.status_code == 422
        refused = post(
            phone,
            details,
            {"district": "turkana_w", "visited": ["north", "south"], "city": "mombasa"},
        )
        assert refused.status_code == 422
        text = html.unescape(refused.text)
        assert 'id="visited-error"' in text and 'id="city-error"' in text
        review = post(
            phone,
            details,
            {"district": "turkana_w", "visited": ["north", "coast"], "city": "kakuma"},
        )
        assert review.url.endswith("/review"), html.unescape(review.text)[:2000]
        record_uuid = record_of(details)
        assert phone.post(f"/records/{record_uuid}/finalize", {}).status_code == 200
        [record] = query(
            hub.app.config["DATABASE"],
            "SELECT status, answers FROM records WHERE uuid = ?",
            [record_uuid],
        )
        assert record["status"] == "finalized"
        assert json.loads(record["answers"]) == {
            "region": "north",
            "district": "turkana_w",
            "visited": ["north", "coast"],
            "city": "kakuma",
        }
    finally:
        hub.stop()
