"""XLSForm import and export: real workbooks in, our form definitions out, and back."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import Workbook
from pyxform.xls2xform import convert as pyxform_convert

from collector import xlsform
from collector.cli import cli
from collector.forms import FormDefinition, builtin_forms, load_form
from collector.xlsform import (
    ImportResult,
    Problem,
    convert,
    export_constraint,
    form_languages,
    language_code,
    read_xlsform,
    to_xlsform,
)
from support import query

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "xlsforms"


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def plain(value):
    """pyxform's reader turns no-break spaces into spaces (French typography): compare
    texts as it reads them."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value.replace("\xa0", " ") if isinstance(value, str) else value


def shape(form: FormDefinition) -> dict:
    """What must survive a trip through XLSForm: names, types, choices, languages, logic."""
    keys = (
        "type",
        "choices",
        "relevant",
        "constraint",
        "required",
        "privacy",
        "identifying",
        "appearance",
        "min",
        "max",
        "max_length",
        "parameters",
        "label",
        "hint",
        "required_message",
        "constraint_message",
    )
    return plain(
        {
            "form_id": form.form_id,
            "version": form.version,
            "default_language": form.default_language,
            "languages": set(form_languages(form)),
            "questions": {name: {k: q.get(k) for k in keys} for name, q in form.questions.items()},
            "pages": [
                (s.get("relevant"), s["label"], [q["name"] for q in s["questions"]])
                for s in form.sections
            ],
            "choices": form.data["choices"],
        }
    )


def problems(items: list[Problem]) -> set[tuple]:
    return {(p.code, p.sheet, p.row, p.column) for p in items}


# --- the good forms ----------------------------------------------------------------------

EXPECTED = {
    "household_visit": {
        "form_id": "household_visit",
        "version": "2024031501",
        "default_language": "en",
        "languages": {"en", "fr"},
        "sections": ["consent_page", "household"],
        "types": {
            "intro": "note",
            "consent": "select_one",
            "head_name": "text",
            "members": "integer",
            "children": "integer",
            "safe_water": "select_one",
            "water_source": "text",
        },
        "relevant": {"children": "${members} > 1", "water_source": "${safe_water} = 'no'"},
        "section_relevant": {"household": "${consent} = 'yes'"},
        "privacy": {
            "head_name": "drop",
            "members": "generalize:bins:1,3,6,10",
            "water_source": "scrub",
        },
        "identifying": ["head_name"],
        "warnings": set(),
    },
    "market_access_ar": {
        "form_id": "market_access",
        "version": "3",
        "default_language": "ar",
        "languages": {"ar", "en"},
        "sections": ["visit", "prices"],
        "types": {
            "visit_date": "date",
            "market": "select_one",
            "bread_price": "decimal",
            "last_delivery": "date",
            "missing_goods": "select_multiple",
        },
        "relevant": {"last_delivery": "${bread_price} > 0"},
        "privacy": {"visit_date": "generalize:month", "last_delivery": "generalize:month"},
        "warnings": set(),
    },
    "service_satisfaction": {
        "form_id": "service_satisfaction",
        "version": "1.2",
        "default_language": "en",
        "languages": {"en", "es"},
        "sections": ["service", "waiting"],
        "types": {
            "service_used": "select_one",
            "treated_fairly": "select_one",
            "understood": "select_one",
            "satisfaction": "range",
            "wait_hours": "range",
        },
        "section_relevant": {"waiting": "${service_used} != 'online'"},
        "privacy": {"wait_hours": "generalize:bins:0,2,6"},
        "warnings": set(),
    },
    "discrimination_followup": {
        "form_id": "discrimination_followup",
        "version": "5",
        "default_language": "en",
        "languages": {"en"},
        "sections": ["section_1"],
        "types": {
            "experienced": "select_one",
            "grounds": "select_multiple",
            "grounds_other": "text",
            "reported_to": "select_multiple",
            "satisfied": "select_one",
            "incident_date": "date",
            "story": "text",
            "phone": "text",
        },
        "relevant": {
            "grounds": "${experienced} = 'yes'",
            "grounds_other": "selected(${grounds}, 'other')",
            "satisfied": "selected(${reported_to}, 'police') or selected(${reported_to}, 'leader')",
            "phone": "${satisfied} = 'no'",
        },
        "privacy": {"phone": "pseudonymize", "story": "scrub", "incident_date": "generalize:month"},
        "identifying": ["phone"],
        "warnings": set(),
    },
    "water_point_check": {
        "form_id": "water_point_check",
        "version": "1",
        "default_language": "en",
        "languages": {"en"},
        "sections": ["section_1"],
        "types": {
            "instructions": "note",
            "working": "select_one",
            "flow_rate": "decimal",
            "queue": "integer",
            "remarks": "text",
        },
        "privacy": {},
        "warnings": {("missing_version", "settings", None, "version")},
    },
    "youth_wellbeing_sw": {
        "form_id": "youth_wellbeing",
        "version": "1",
        "default_language": "en",
        "languages": {"en", "sw"},
        "sections": ["about_you", "feelings"],
        "types": {
            "age": "integer",
            "arrival": "date",
            "cheerful": "select_one",
            "rested": "select_one",
        },
        "privacy": {},
        "warnings": set(),
    },
    "area_profile": {
        "form_id": "area_profile",
        "version": "2",
        "default_language": "en",
        "languages": {"en", "ha"},
        "sections": ["place", "services"],
        "types": {
            "area": "select_one",
            "settlement": "select_one",
            "camp_years": "integer",
            "camp_committee": "select_one",
            "services_near": "select_multiple",
        },
        "relevant": {
            "camp_years": "${settlement} = 'camp'",
            "camp_committee": "(${settlement} = 'camp') and (${camp_years} > 1)",
        },
        "privacy": {"area": "generalize:parent"},
        "warnings": set(),
    },
    "kobo_intake": {
        "form_id": "kobo_intake",
        "version": "vX7hq2",
        "default_language": "en",
        "languages": {"en", "fr"},
        "sections": ["section_1"],
        "types": {
            "ready": "select_one",
            "sex": "select_one",
            "household_size": "integer",
            "village": "text",
        },
        "privacy": {"village": "scrub"},
        # `quick` on sex: kept for export, nothing to move on to on a page of questions.
        "warnings": {("converted_type", "survey", 4, "type")},
    },
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_good_xlsform_imports_into_the_expected_form(name):
    expected = EXPECTED[name]
    result = read_xlsform(FIXTURES / f"{name}.xlsx")
    assert result.errors == [], [str(p) for p in result.errors]
    assert problems(result.warnings) == expected["warnings"], [str(p) for p in result.warnings]
    form = result.form
    assert isinstance(form, FormDefinition) and result.ok
    assert load_form(result.definition).to_json() == form.to_json()
    assert (form.form_id, form.version, form.default_language) == (
        expected["form_id"],
        expected["version"],
        expected["default_language"],
    )
    assert set(form_languages(form)) == expected["languages"]
    assert [s["name"] for s in form.sections] == expected["sections"]
    assert {n: q.type for n, q in form.questions.items()} == expected["types"]
    for question, relevant in expected.get("relevant", {}).items():
        assert form.questions[question].get("relevant") == relevant
    sections = {s["name"]: s for s in form.sections}
    for section, relevant in expected.get("section_relevant", {}).items():
        assert sections[section].get("relevant") == relevant
    for question, rule in expected["privacy"].items():
        assert form.questions[question].get("privacy") == rule
    assert form.identifying_fields == expected.get("identifying", [])
    # Every label is given in every language of the form, the title in the default one.
    for question in form.questions.values():
        assert set(question.label) == expected["languages"], question.name
    assert form.data["title"] and form.default_language in form.data["title"]


def test_household_visit_details():
    form = read_xlsform(FIXTURES / "household_visit.xlsx").form
    members = form.questions["members"]
    # The author's message belongs to the bounds: they stay a constraint with that message.
    assert members.constraint == ". >= 1 and . <= 40" and "min" not in members.spec
    assert members.constraint_message == {
        "en": "Between 1 and 40 people.",
        "fr": "Entre 1 et 40 personnes.",
    }
    assert members.hint == {"en": "Count babies too.", "fr": "Comptez aussi les bébés."}
    assert form.questions["children"].constraint == ". < ${members}"
    assert form.questions["safe_water"].appearance == "horizontal"
    assert form.questions["consent"].required is True
    assert form.questions["water_source"].get("required") is False
    assert form.data["choices"]["yes_no"] == [
        {"name": "yes", "label": {"en": "Yes", "fr": "Oui"}},
        {"name": "no", "label": {"en": "No", "fr": "Non"}},
    ]
    assert form.sections[0]["label"] == {"en": "Consent", "fr": "Consentement"}


def test_arabic_form_keeps_right_to_left_text_and_date_constraints():
    form = read_xlsform(FIXTURES / "market_access_ar.xlsx").form
    visit = form.questions["visit_date"]
    assert visit.label == {"ar": "تاريخ الزيارة", "en": "Date of the visit"}
    assert visit.constraint == ". <= today()" and visit.required is True
    assert visit.required_message["ar"] == "يرجى إدخال التاريخ"
    assert visit.constraint_message["en"] == "The date cannot be in the future"
    assert form.questions["last_delivery"].appearance == "month-year"
    assert form.questions["market"].appearance == "minimal"
    assert form.data["title"] == {"ar": "الوصول إلى الأسواق"}
    assert form.text(form.questions["market"].label, "fr") == "أي سوق؟"  # default language


def test_ranges_and_likert():
    form = read_xlsform(FIXTURES / "service_satisfaction.xlsx").form
    assert form.questions["satisfaction"].parameters == {"start": 0, "end": 10, "step": 1}
    assert form.questions["wait_hours"].parameters == {"start": 0, "end": 12, "step": 2}
    assert form.questions["treated_fairly"].appearance == "likert"
    assert [c["name"] for c in form.data["choices"]["agree5"]] == ["1", "2", "3", "4", "5"]


def test_bounds_in_constraints_become_min_max_and_max_length():
    form = read_xlsform(FIXTURES / "water_point_check.xlsx").form
    flow = form.questions["flow_rate"]
    assert (flow.min, flow.max) == (0, 500) and "constraint" not in flow.spec
    assert form.questions["queue"].min == 0 and "max" not in form.questions["queue"].spec
    remarks = form.questions["remarks"]
    assert remarks.max_length == 300 and remarks.appearance == "multiline"
    assert form.data["title"] == {"en": "Water point check"}


def test_languages_named_without_codes_and_translated_messages():
    form = read_xlsform(FIXTURES / "youth_wellbeing_sw.xlsx").form
    age = form.questions["age"]
    assert age.label == {"en": "How old are you?", "sw": "Una umri gani?"}
    assert age.hint == {"en": "In years", "sw": "Kwa miaka"}
    assert age.required_message == {"en": "Please give your age", "sw": "Tafadhali taja umri wako"}
    assert (age.min, age.max) == (12, 30)
    assert form.questions["cheerful"].appearance == "likert"


def test_parents_of_areas_and_nested_groups():
    form = read_xlsform(FIXTURES / "area_profile.xlsx").form
    assert [c.get("parent") for c in form.data["choices"]["areas"]] == ["north", "north", "south"]
    assert form.section_questions(0)[-1].name == "camp_committee"


def test_kobo_style_workbook():
    result = read_xlsform(FIXTURES / "kobo_intake.xlsx")
    form = result.form
    ready = form.questions["ready"]
    assert ready.type == "select_one" and ready.required is True
    assert form.data["choices"][ready.choices] == [
        {"name": "OK", "label": {"en": "OK", "fr": "OK"}}
    ]
    assert form.questions["sex"].label == {
        "en": "Sex of the respondent",
        "fr": "Sexe de la personne",
    }
    assert form.questions["household_size"].hint == {"en": "Everyone who slept here last night"}
    assert form.questions["village"].get("required") is False  # "false"
    assert "start" not in form.questions and form.questions["sex"].appearance == "quick"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_good_fixtures_are_valid_xlsforms_for_pyxform(name):
    warnings = []
    result = pyxform_convert(str(FIXTURES / f"{name}.xlsx"), warnings=warnings)
    assert "<h:html" in result.xform


# --- broken and unsupported forms -------------------------------------------------------

BROKEN = {
    "bad_repeat": {("nested_repeat", "survey", 5, "type"), ("empty_repeat", "survey", 14, "type")},
    "bad_calculate": {
        ("unknown_reference", "survey", 4, "calculation"),
        ("bad_expression", "survey", 5, "calculation"),
    },
    "bad_expression": {
        ("bad_expression", "survey", 2, "constraint"),
        ("unknown_reference", "survey", 3, "relevant"),
        ("bad_expression", "survey", 4, "relevant"),
    },
    "bad_unknown_list": {("unknown_list", "survey", 3, "type")},
    "bad_duplicate_name": {
        ("duplicate_name", "survey", 4, "name"),
        ("missing_label", "survey", 6, "label"),
        ("duplicate_choice", "choices", 4, "name"),
    },
    "bad_columns": {
        ("external_data", "survey", 5, "type"),
        ("bad_privacy", "survey", 6, "privacy"),
        ("bad_privacy", "survey", 7, "privacy"),
    },
    "not_a_spreadsheet": {("unreadable", None, None, None)},
    "truncated": {("unreadable", None, None, None)},
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_xlsform_reports_every_problem_where_it_is(name, load_form_calls):
    result = read_xlsform(FIXTURES / f"{name}.xlsx")
    assert problems(result.errors) == BROKEN[name], [str(p) for p in result.errors]
    assert result.definition is None and result.form is None and not result.ok
    assert load_form_calls == []  # a broken dict never reaches the schema


def test_a_form_with_a_point_and_a_photo_imports():
    """(Once refused for its photo: photos are questions now, test_media_questions.py.)"""
    result = read_xlsform(FIXTURES / "bad_geopoint.xlsx")
    assert result.ok and result.form.questions["photo"].type == "image"


def test_messages_name_the_problem():
    errors = {(p.row, p.column): p for p in read_xlsform(FIXTURES / "bad_expression.xlsx").errors}
    assert str(errors[2, "constraint"]).startswith("survey row 2, column constraint: ")
    assert "at character 6" in errors[2, "constraint"].message
    assert "'${agee}'" in errors[3, "relevant"].message
    assert "end of expression" in errors[4, "relevant"].message
    nested, empty = read_xlsform(FIXTURES / "bad_repeat.xlsx").errors
    assert str(nested) == (
        "survey row 5, column type: The repeat 'visits' is inside the repeat 'treatments' "
        "(row 4), itself inside others: repeats can sit at most 3 deep inside each other."
    )
    assert "'livestock' has no questions" in empty.message
    columns = {p.code: p for p in read_xlsform(FIXTURES / "bad_columns.xlsx").errors}
    assert "'blur' is not a privacy rule" in columns["bad_privacy"].message


def test_good_form_reaches_the_schema_once(load_form_calls):
    assert read_xlsform(FIXTURES / "household_visit.xlsx").ok
    assert len(load_form_calls) == 1


def test_files_that_are_not_xlsforms(tmp_path):
    csv = tmp_path / "form.csv"
    csv.write_text("type,name,label\n")
    assert problems(read_xlsform(csv).errors) == {("not_xlsform", None, None, None)}
    assert read_xlsform(tmp_path / "missing.xlsx").errors[0].code == "unreadable"
    empty = tmp_path / "empty.xlsx"
    empty.write_bytes(b"")
    assert read_xlsform(empty).errors[0].code == "unreadable"
    # A duplicated column header is pyxform's own refusal: one clear error.
    workbook = Workbook()
    workbook.active.title = "survey"
    workbook.active.append(["type", "name", "label", "label"])
    workbook.active.append(["text", "a", "A", "A"])
    workbook.save(tmp_path / "dup.xlsx")
    [error] = read_xlsform(tmp_path / "dup.xlsx").errors
    assert error.code == "unreadable" and "Duplicate column header" in error.message
    # A workbook without a survey sheet.
    workbook = Workbook()
    workbook.active.title = "choices"
    workbook.create_sheet("settings").append(["form_id"])
    workbook.save(tmp_path / "nosurvey.xlsx")
    assert read_xlsform(tmp_path / "nosurvey.xlsx").errors[0].code == "missing_sheet"


@pytest.mark.parametrize(
    "sheets",
    [
        None,
        {},
        {"survey": "not rows"},
        {"survey": [None, 5, "x"]},
        {"survey": [{"type": 3, "name": 4}]},
        {"survey": [{"type": "text"}]},
        {"survey": [{"type": "begin group"}, {"type": "end repeat"}, {"type": "end group"}]},
        {"survey": [{"type": "select_one", "name": "a", "label": "A"}]},
        {"survey": [{"type": "range", "name": "r", "label": "R", "parameters": "start=x end=0.5"}]},
        {"survey": [{"type": "text", "name": "a", "label": "A"}], "settings": [{"form_id": "a?"}]},
        {"survey": [{"type": "text", "name": "a", "label": "A"}], "choices": [{"name": "x"}]},
    ],
)
def test_convert_never_raises_and_never_gives_half_a_form(sheets):
    result = convert(sheets)
    assert isinstance(result, ImportResult)
    assert result.errors and result.definition is None and result.form is None


# --- conversion rules, on hand-written sheets ------------------------------------------


def sheets(survey, choices=None, settings=None):
    data = {"survey": survey}
    if choices is not None:
        data["choices"] = choices
    data["settings"] = settings if settings is not None else [{"form_id": "f", "version": "1"}]
    return data


@pytest.mark.parametrize(
    "name,code",
    [
        ("English (en)", "en"),
        ("Français (fr)", "fr"),
        ("Arabic (ar)", "ar"),
        ("العربية", "ar"),
        ("French", "fr"),
        ("Español", "es"),
        ("Kiswahili", "sw"),
        ("Swahili", "sw"),
        ("Hausa", "ha"),
        ("Amharic", "am"),
        ("Português (pt-BR)", "pt_BR"),
        ("fr", "fr"),
        ("Somali (so)", "so"),
        ("Elvish", None),
        ("English (english)", None),
        ("EN", "en"),
        ("chinese", "zh"),
        ("Tetun", "tet"),
        ("English (en)", "en"),
        ("Klingon", "tlh"),
        ("ewe", "ee"),
        ("xyz", None),
    ],
)
def test_language_names(name, code):
    assert language_code(name) == code


def test_bare_label_column_is_the_default_language():
    rows = [{"type": "text", "name": "a", "label": "Name", "label::Français (fr)": "Nom"}]
    form = convert(sheets(rows)).form
    assert form.questions["a"].label == {"en": "Name", "fr": "Nom"}
    form = convert(
        sheets(
            rows, settings=[{"form_id": "f", "version": "1", "default_language": "Français (fr)"}]
        )
    ).form
    assert form.default_language == "fr"
    assert form.questions["a"].label == {"fr": "Nom"}  # the explicit column wins
    only_fr = [
        {"type": "text", "name": "a", "label::Français (fr)": "Nom", "label::Arabic (ar)": "الاسم"}
    ]
    assert convert(sheets(only_fr)).form.default_language == "fr"


def test_bad_default_language_setting():
    result = convert(
        sheets(
            [{"type": "text", "name": "a", "label": "A"}],
            settings=[{"form_id": "f", "version": "1", "default_language": "Elvish"}],
        )
    )
    assert problems(result.errors) == {("bad_setting", "settings", 2, "default_language")}


def test_missing_translation_is_a_warning():
    rows = [
        {"type": "text", "name": "a", "label::English (en)": "Name", "label::Français (fr)": "Nom"},
        {"type": "text", "name": "b", "label::English (en)": "Age"},
    ]
    result = convert(sheets(rows))
    assert result.ok
    assert problems(result.warnings) == {
        ("missing_translation", "survey", 3, "label::Français (fr)")
    }


def test_loose_questions_and_groups_become_pages():
    rows = [
        {"type": "note", "name": "hello", "label": "Hello"},
        {"type": "begin group", "name": "g", "label": "Group", "relevant": "${yes} = 'y'"},
        {"type": "text", "name": "inside", "label": "Inside"},
        {"type": "begin_group", "name": "inner", "relevant": "${inside} != ''"},
        {"type": "text", "name": "deep", "label": "Deep", "relevant": "${hello} = ''"},
        {"type": "end_group"},
        {"type": "end group"},
        {},  # an empty row in the middle: rows still count
        {"type": "text", "name": "yes", "label": "Yes?"},
        {"type": "integer", "name": "after", "label": "After"},
    ]
    result = convert(sheets(rows))
    assert result.ok, [str(p) for p in result.errors]
    form = result.form
    assert [(s["name"], [q["name"] for q in s["questions"]]) for s in form.sections] == [
        ("section_1", ["hello"]),
        ("g", ["inside", "deep"]),
        ("section_2", ["yes", "after"]),
    ]
    assert form.sections[1]["relevant"] == "${yes} = 'y'"
    assert form.questions["deep"].relevant == "(${inside} != '') and (${hello} = '')"
    # The inner group is kept, without a label: only its place (export writes it back).
    assert form.questions["deep"].groups == [{"name": "inner", "relevant": "${inside} != ''"}]
    assert "groups" not in form.questions["inside"].spec
    assert problems(result.warnings) == set()


def test_unbalanced_groups():
    result = convert(
        sheets(
            [
                {"type": "begin group", "name": "g", "label": "G"},
                {"type": "text", "name": "a", "label": "A"},
            ]
        )
    )
    assert problems(result.errors) == {("unbalanced_group", "survey", 2, "type")}
    result = convert(sheets([{"type": "text", "name": "a", "label": "A"}, {"type": "end group"}]))
    assert problems(result.errors) == {("unbalanced_group", "survey", 3, "type")}


def test_ignored_columns_and_appearances_are_warnings():
    rows = [
        {
            "type": "text",
            "name": "a",
            "label": "A",
            "calculation": "1",
            "appearance": "multiline numbers",
        },
        {"type": "integer", "name": "b", "label": "B", "appearance": "multiline"},
        {"type": "select_one yn", "name": "c", "label": "C", "appearance": "minimal likert"},
        {"type": "text", "name": "d", "label": "D ${a}", "favourite_colour": "blue"},
    ]
    result = convert(sheets(rows, choices=[{"list_name": "yn", "name": "y", "label": "Y"}]))
    assert result.ok
    assert problems(result.warnings) == {
        ("ignored_column", "survey", 2, "calculation"),
        ("ignored_appearance", "survey", 2, "appearance"),
        ("ignored_appearance", "survey", 3, "appearance"),
        ("ignored_appearance", "survey", 4, "appearance"),
        ("label_reference", "survey", 5, "label"),
        ("ignored_column", "survey", 1, "favourite_colour"),
    }
    form = result.form
    assert form.questions["a"].appearance == "multiline"
    assert "appearance" not in form.questions["b"].spec
    assert form.questions["c"].appearance == "minimal"


@pytest.mark.parametrize(
    "value,required",
    [
        ("yes", True),
        ("TRUE()", True),
        ("true", True),
        ("Yes", True),
        ("no", False),
        ("FALSE", False),
        ("false()", False),
    ],
)
def test_required_values(value, required):
    result = convert(sheets([{"type": "text", "name": "a", "label": "A", "required": value}]))
    assert result.form.questions["a"].required is required


def test_a_required_condition_is_taken_and_bad_parameters_are_errors():
    rows = [
        {"type": "text", "name": "a", "label": "A", "required": "${b} = 1"},
        {"type": "integer", "name": "b", "label": "B"},
        {"type": "range", "name": "r", "label": "R", "parameters": "start=0 end=one"},
        {"type": "range", "name": "s", "label": "S", "parameters": "start=5 end=1"},
    ]
    result = convert(sheets(rows))
    assert problems(result.errors) == {
        ("bad_value", "survey", 4, "parameters"),
        ("bad_value", "survey", 5, "parameters"),
    }
    taken = convert(sheets(rows[:2]))
    assert taken.form.questions["a"].get("required_if") == "${b} = 1"


def test_unsupported_features_by_type_and_column():
    rows = [
        {"type": t, "name": f"q{i}", "label": "Q"}
        for i, t in enumerate(
            [
                "image",
                "background-audio",
                "range-decimal",
                "audio",
                "video",
                "file",
                "rank ${colours}",
                "select_multiple_from_file x.csv",
                "xml-external",
                "selfie",
            ]
        )
    ]
    rows.append({"type": "text", "name": "c", "label": "C", "media::image": "a.png"})
    rows.append(
        {"type": "text", "name": "p", "label": "P", "relevant": "pulldata('a','b','c','d')"}
    )
    result = convert(sheets(rows))
    codes = [(p.code, p.row, p.column) for p in result.errors]
    # (image, audio, video and file, rows 2 and 5 to 7, are questions: test_media_questions.py)
    assert codes[:6] == [("unsupported_type", n, "type") for n in (3, 4, 8)] + [
        ("external_data", 9, "type"),
        ("external_data", 10, "type"),
        ("unknown_type", 11, "type"),
    ]
    assert set(codes[6:]) == {("external_data", 13, "relevant")}
    # A picture prompt whose file is not with the form: shown without it (test_media_prompts).
    assert ("prompt", 12, "media::image") in [(p.code, p.row, p.column) for p in result.warnings]
    assert "cannot come from a repeat's answers" in result.errors[2].message
    assert (
        convert(
            {
                **sheets([{"type": "text", "name": "a", "label": "A"}]),
                "osm": [{"list_name": "x", "name": "y"}],
            }
        )
        .errors[0]
        .code
        == "external_data"
    )


def test_choice_problems():
    rows = [{"type": "select_multiple places", "name": "a", "label": "A"}]
    choices = [
        {"list_name": "places", "name": "big town", "label": "Big town"},
        {"list_name": "places", "label": "No name"},
        {"name": "orphan", "label": "Orphan"},
        {"list_name": "places", "name": "x"},
        {"list_name": "bad list", "name": "y", "label": "Y"},
    ]
    result = convert(sheets(rows, choices=choices))
    # (a choice without a label, row 5, shows its name: tests/test_xlsform_syntax.py)
    assert problems(result.errors) == {
        ("bad_name", "choices", 2, "name"),
        ("missing_name", "choices", 3, "name"),
        ("missing_list_name", "choices", 4, "list_name"),
        ("bad_name", "choices", 6, "list_name"),
    }


def test_names_must_suit_our_forms():
    result = convert(
        sheets(
            [{"type": "text", "name": "first name", "label": "A"}, {"type": "text", "label": "B"}]
        )
    )
    assert problems(result.errors) == {
        ("bad_name", "survey", 2, "name"),
        ("missing_name", "survey", 3, "name"),
    }


def test_export_constraint_and_back():
    assert export_constraint({"type": "integer", "min": 15, "max": 120}) == ". >= 15 and . <= 120"
    assert (
        export_constraint({"type": "text", "max_length": 30, "constraint": "regex(., 'x')"})
        == "(regex(., 'x')) and string-length(.) <= 30"
    )
    assert export_constraint({"type": "decimal", "max": 2.5}) == ". <= 2.5"
    assert export_constraint({"type": "text"}) is None
    rows = [
        {
            "type": "text",
            "name": "a",
            "label": "A",
            "constraint": "(regex(., 'x')) and string-length(.) <= 30",
        },
        {
            "type": "integer",
            "name": "b",
            "label": "B",
            "constraint": "(. != 3) and . >= 1 and . <= 9",
            "constraint_message": "No",
        },
        {
            "type": "integer",
            "name": "c",
            "label": "C",
            "constraint": "(. > 1) or (. < 0) and . <= 9",
        },
        {"type": "integer", "name": "d", "label": "D", "constraint": "string-length(.) <= 3"},
    ]
    form = convert(sheets(rows)).form
    a = form.questions["a"]
    assert (a.constraint, a.max_length) == ("regex(., 'x')", 30)
    b = form.questions["b"]
    assert (b.constraint, b.min, b.max) == (". != 3", 1, 9)
    assert form.questions["c"].constraint == "(. > 1) or (. < 0) and . <= 9"  # not ours: kept
    assert form.questions["d"].constraint == "string-length(.) <= 3"


def test_fixtures_match_their_build_script(tmp_path):
    import importlib.util

    spec = importlib.util.spec_from_file_location("build_xlsforms", FIXTURES / "build.py")
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    for path in build.build(tmp_path):
        fresh, committed = read_xlsform(path), read_xlsform(FIXTURES / path.name)
        assert fresh.definition == committed.definition, path.name
        assert problems(fresh.errors) == problems(committed.errors), path.name


# --- export and round trips ------------------------------------------------------------


def xform_of(path: Path) -> str:
    warnings = []
    result = pyxform_convert(str(path), warnings=warnings)
    assert warnings == [], warnings
    return result.xform


@pytest.mark.parametrize(
    "form_id", ["community_survey", "discrimination_report", "community_feedback"]
)
def test_export_xlsform_of_builtin_forms(form_id, tmp_path, data_dir):
    target = tmp_path / f"{form_id}.xlsx"
    result = run("forms", "export-xlsform", form_id, target, "--data-dir", data_dir)
    assert result.exit_code == 0, result.output
    first, *rest = result.output.splitlines()
    assert first == f"Wrote {form_id} version 1 to {target}."
    # Recorded prompts, beside the form (test_media_prompts.py)
    assert rest == [] or rest[0].endswith("prompt files beside the form.")
    xform = xform_of(target)
    assert 'lang="Arabic (ar)"' in xform and 'lang="French (fr)"' in xform
    original = builtin_forms()[form_id]
    back = read_xlsform(target)
    assert back.errors == [] and back.warnings == [], [str(p) for p in back.warnings]
    assert shape(back.form) == shape(original)
    assert [s["name"].removesuffix("_group") for s in back.form.sections] == [
        s["name"] for s in original.sections
    ]


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_good_fixtures_round_trip_through_export(name, tmp_path):
    form = read_xlsform(FIXTURES / f"{name}.xlsx").form
    to_xlsform(form, tmp_path / "out.xlsx")
    xform_of(tmp_path / "out.xlsx")
    back = read_xlsform(tmp_path / "out.xlsx")
    assert back.errors == [], [str(p) for p in back.errors]
    assert shape(back.form) == shape(form)


def test_export_writes_settings_and_privacy_columns(tmp_path):
    from openpyxl import load_workbook

    to_xlsform(builtin_forms()["discrimination_report"], tmp_path / "r.xlsx")
    workbook = load_workbook(tmp_path / "r.xlsx")
    assert workbook.sheetnames == ["survey", "choices", "settings"]
    settings = [[c.value for c in row] for row in workbook["settings"].rows]
    assert settings[0][:4] == ["form_id", "version", "form_title", "default_language"]
    assert settings[1][:4] == [
        "discrimination_report",
        "1",
        "Report of discrimination or unfair treatment",
        "English (en)",
    ]
    survey = [[c.value for c in row] for row in workbook["survey"].rows]
    header = survey[0]
    assert header[:3] == ["type", "name", "label::English (en)"]
    assert "label::French (fr)" in header and "privacy" in header
    rows = {row[1]: dict(zip(header, row, strict=True)) for row in survey[1:] if row[1]}
    assert rows["incident_month"]["constraint"] == ". <= today()"
    assert rows["incident_month"]["privacy"] == "generalize:month"
    assert rows["incident_description"]["constraint"] == "string-length(.) <= 4000"
    assert rows["reporter_name"]["identifying"] == "yes"
    assert rows["incident"]["type"] == "begin group"
    assert rows["incident"]["relevant"] == "${consent} = 'yes'"
    assert rows["consent_group"]["type"] == "begin group"  # a question is called consent
    choices = [[c.value for c in row] for row in workbook["choices"].rows]
    assert choices[0][-1] == "parent"


# --- the command line ------------------------------------------------------------------


def test_cli_imports_an_xlsform(data_dir):
    path = FIXTURES / "kobo_intake.xlsx"
    result = run("forms", "import", path, "--data-dir", data_dir)
    assert result.exit_code == 0, result.output
    # Then what leaves the laptop as it is (tests/test_safe_defaults.py for the rest).
    assert result.output.endswith(
        "Imported kobo_intake version vX7hq2.\n"
        "Leave the laptop unchanged (keep): ready, sex, "
        "household_size.\n"
    )
    assert "Warning: survey row 4, column type: " in result.output
    # start and end are kept, and so is the appearance quick: not warned about
    assert result.output.count("Warning: ") == 1
    [row] = query(
        data_dir / "collector.db", "SELECT form_id, version, definition, source FROM forms"
    )
    assert (row["form_id"], row["version"], row["source"]) == (
        "kobo_intake",
        "vX7hq2",
        "kobo_intake.xlsx",
    )
    stored = json.loads(row["definition"])
    assert [q["name"] for q in stored["sections"][0]["questions"]] == [
        "ready",
        "sex",
        "household_size",
        "village",
    ]
    again = run("forms", "import", path, "--data-dir", data_dir)
    assert again.exit_code == 0
    assert "kobo_intake version vX7hq2 is already on this hub.\n" in again.output


@pytest.mark.parametrize(
    "name,line",
    [
        ("bad_expression", "survey row 2, column constraint: unknown name 'and'"),
        (
            "bad_unknown_list",
            "survey row 3, column type: There is no choice list named 'languagez'",
        ),
        ("bad_duplicate_name", "choices row 4, column name: The list 'yes_no' already has"),
        ("bad_repeat", "survey row 5, column type: The repeat 'visits' is inside the repeat"),
        ("not_a_spreadsheet", "not_a_spreadsheet.xlsx could not be read as an Excel workbook."),
    ],
)
def test_cli_refuses_a_broken_xlsform_and_stores_nothing(name, line, data_dir):
    run("status", "--data-dir", data_dir)  # a hub that already has its database
    result = run("forms", "import", FIXTURES / f"{name}.xlsx", "--data-dir", data_dir)
    assert result.exit_code == 1
    assert f"{name}.xlsx is not a valid XLSForm" in result.output
    assert line in result.output
    for problem in read_xlsform(FIXTURES / f"{name}.xlsx").errors:
        assert str(problem) in result.output  # every error, not just the first
    assert query(data_dir / "collector.db", "SELECT count(*) AS n FROM forms")[0]["n"] == 0


def test_cli_still_refuses_other_files(data_dir, tmp_path):
    path = tmp_path / "form.csv"
    path.write_text("type,name\n")
    result = run("forms", "import", path, "--data-dir", data_dir)
    assert result.exit_code == 1 and "only JSON form definitions and XLSForms" in result.output


def test_cli_exports_an_imported_form_and_refuses_unknown_ones(data_dir, tmp_path):
    assert (
        run("forms", "import", FIXTURES / "market_access_ar.xlsx", "--data-dir", data_dir).exit_code
        == 0
    )
    target = tmp_path / "market.xlsx"
    result = run("forms", "export-xlsform", "market_access", target, "--data-dir", data_dir)
    assert result.exit_code == 0 and "market_access version 3" in result.output
    assert 'lang="Arabic (ar)"' in xform_of(target)
    imported = read_xlsform(FIXTURES / "market_access_ar.xlsx").form
    assert shape(read_xlsform(target).form) == shape(imported)
    result = run("forms", "export-xlsform", "nope", tmp_path / "nope.xlsx", "--data-dir", data_dir)
    assert result.exit_code == 1
    assert "There is no form 'nope' on this hub" in result.output
    assert "market_access" in result.output and "community_survey" in result.output
    assert not (tmp_path / "nope.xlsx").exists()
    result = run(
        "forms", "export-xlsform", "market_access", tmp_path / "m.xls", "--data-dir", data_dir
    )
    assert result.exit_code == 1


def test_cli_export_prefers_the_newest_imported_version(data_dir, tmp_path):
    form = builtin_forms()["community_feedback"].data
    newer = {**json.loads(json.dumps(form)), "version": "2"}
    newer["sections"][0]["questions"][0]["label"] = {"en": "A newer introduction."}
    path = tmp_path / "community_feedback.json"
    path.write_text(json.dumps(newer))
    assert run("forms", "import", path, "--data-dir", data_dir).exit_code == 0
    target = tmp_path / "cf.xlsx"
    assert (
        run(
            "forms", "export-xlsform", "community_feedback", target, "--data-dir", data_dir
        ).exit_code
        == 0
    )
    back = read_xlsform(target).form
    assert back.version == "2"
    assert back.questions["feedback_intro"].label == {"en": "A newer introduction."}


def test_schema_errors_become_located_problems():
    """The schema is the last word: what it refuses is reported on the row it came from."""
    converter = xlsform._Converter(
        sheets(
            [{"type": "text", "name": "a", "label": "A"}],
            choices=[{"list_name": "x", "name": "y", "label": "z"}],
        ),
        None,
    )
    definition = converter.run().definition
    definition["sections"][0]["questions"][0]["max_length"] = 0
    definition["choices"] = {"x": [{"name": "y", "label": {"EN": "z"}}]}
    with pytest.raises(Exception) as raised:
        load_form(definition)
    converter.schema_problems(raised.value.messages)
    assert problems(converter.errors) == {
        ("schema", "survey", 2, "max_length"),
        ("schema", "choices", 2, "label"),
    }


def test_a_misnamed_workbook_is_still_read(tmp_path):
    path = tmp_path / "household_visit.xls"
    path.write_bytes((FIXTURES / "household_visit.xlsx").read_bytes())
    assert read_xlsform(path).ok


def test_sync_server_publishes_an_xlsform(tmp_path):
    from click.testing import CliRunner as Runner

    from sync_server.cli import cli as server_cli
    from sync_server.store import Store

    good = sorted(
        p
        for p in (Path(__file__).parent / "fixtures" / "xlsforms").glob("*.xlsx")
        if not p.name.startswith(("bad", "broken", "unsupported", "not_", "truncated"))
    )
    assert good
    result = Runner().invoke(
        server_cli, ["forms", "publish", str(good[0]), "--data-dir", str(tmp_path / "central")]
    )
    assert result.exit_code == 0 and "Published" in result.output, result.output
    store = Store(tmp_path / "central" / "sync-server.db")
    assert len(store.published_forms()) == 1
    store.close()


def test_calculate_default_and_read_only():
    rows = [
        {"type": "integer", "name": "adults", "label": "Adults", "default": "2"},
        {"type": "integer", "name": "children", "label": "Children", "default": "x1"},
        {"type": "calculate", "name": "total", "calculation": "${adults} + ${children}"},
        {
            "type": "text",
            "name": "site",
            "label": "Site",
            "default": "Camp A",
            "read_only": "yes",
            "required": "yes",
        },
        {"type": "calculate", "name": "broken"},
        {"type": "date", "name": "seen", "label": "Seen", "default": "today()"},
        {"type": "integer", "name": "big", "label": "Big", "relevant": "${total} > ${missing}"},
    ]
    result = convert(sheets(rows))
    assert problems(result.errors) == {
        ("missing_calculation", "survey", 6, "calculation"),
        ("unknown_reference", "survey", 8, "relevant"),
    }
    assert problems(result.warnings) == {
        ("bad_default", "survey", 3, "default"),  # ignored: the question starts empty
        ("ignored_column", "survey", 7, "default"),
    }
    rows = rows[:1] + [dict(rows[1], default="1"), rows[2], rows[3]]
    form = convert(sheets(rows)).form
    assert form.questions["total"].spec == {
        "name": "total",
        "type": "calculate",
        "calculation": "${adults} + ${children}",
        "required": False,
        "identifying": False,
        "read_only": False,
    }
    assert form.questions["adults"].default == "2"
    site = form.questions["site"]
    assert site.read_only and not site.required and site.default == "Camp A"


def test_calculate_default_and_read_only_go_back_out_to_pyxform(tmp_path):
    rows = [
        {"type": "integer", "name": "adults", "label": "Adults", "default": "2"},
        {"type": "integer", "name": "children", "label": "Children"},
        {"type": "calculate", "name": "total", "calculation": "${adults} + ${children}"},
        {"type": "text", "name": "site", "label": "Site", "default": "Camp A", "read_only": "yes"},
    ]
    form = convert(sheets(rows)).form
    path = tmp_path / "back.xlsx"
    xlsform.to_xlsform(form, path)
    xml = pyxform_convert(xlsform=str(path)).xform
    assert 'calculate="' in xml
    assert 'readonly="true()"' in xml
    again = xlsform.read_xlsform(path)
    assert again.ok, again.errors
    assert again.form.questions["total"].calculation == "${adults} + ${children}"
    assert again.form.questions["site"].read_only and again.form.questions["adults"].default == "2"


def test_or_other_adds_the_choice_and_the_specify_question(tmp_path):
    survey = [
        {
            "type": "select_one water or_other",
            "name": "source",
            "label::English (en)": "Water source",
            "label::Français (fr)": "Source d'eau",
            "required": "yes",
        },
        {
            "type": "select_multiple water or_other",
            "name": "uses",
            "label::English (en)": "Uses",
            "label::Français (fr)": "Usages",
            "relevant": "${source} != 'tap'",
        },
    ]
    choices = [
        {
            "list_name": "water",
            "name": "tap",
            "label::English (en)": "Tap",
            "label::Français (fr)": "Robinet",
        },
        {
            "list_name": "water",
            "name": "well",
            "label::English (en)": "Well",
            "label::Français (fr)": "Puits",
        },
    ]
    result = convert(sheets(survey, choices))
    assert result.ok, result.errors
    form = result.form
    assert [q for q in form.questions] == ["source", "source_other", "uses", "uses_other"]
    assert form.choice_names(form.questions["source"]) == ["tap", "well", "other"]
    assert form.choice_label(form.questions["source"], "other", "fr") == "Autre"
    other = form.questions["source_other"]
    assert other.type == "text" and other.required
    assert other.relevant == "selected(${source}, 'other')"
    assert form.text(other.label, "fr") == "Précisez autre."
    assert (
        form.questions["uses_other"].relevant
        == "(${source} != 'tap') and selected(${uses}, 'other')"
    )
    assert form.choice_names(form.questions["uses"]) == ["tap", "well", "other"]
    path = tmp_path / "other.xlsx"
    xlsform.to_xlsform(form, path)
    pyxform_convert(xlsform=str(path))  # other tools take it as plain questions
    private = convert(
        sheets(
            [
                {
                    "type": "select_one water or_other",
                    "name": "origin",
                    "label": "Origin",
                    "identifying": "yes",
                }
            ],
            choices,
        )
    ).form
    assert private.questions["origin_other"].identifying
    assert private.questions["origin_other"].privacy == "drop"
    clash = survey + [{"type": "text", "name": "uses_other", "label": "Clash"}]
    found = problems(convert(sheets(clash, choices)).errors)
    assert ("duplicate_name", "survey", 4, "name") in found


def test_choice_filters_and_the_choice_columns_they_test(tmp_path):
    survey = [
        {"type": "select_one regions", "name": "region", "label": "Region"},
        {
            "type": "select_one districts",
            "name": "district",
            "label": "District",
            "choice_filter": "region = ${region}",
        },
        {"type": "text", "name": "note_it", "label": "Note", "choice_filter": "x = 1"},
        {
            "type": "select_one districts",
            "name": "bad",
            "label": "Bad",
            "choice_filter": "region = ${nowhere}",
        },
        {
            "type": "select_one districts",
            "name": "worse",
            "label": "Worse",
            "choice_filter": "region = ",
        },
    ]
    choices = [
        {"list_name": "regions", "name": "north", "label": "North"},
        {"list_name": "regions", "name": "south", "label": "South"},
        {"list_name": "districts", "name": "n1", "label": "N1", "region": "north"},
        {"list_name": "districts", "name": "s1", "label": "S1", "region": "south"},
    ]
    result = convert(sheets(survey, choices))
    assert problems(result.errors) == {
        ("unknown_reference", "survey", 5, "choice_filter"),
        ("bad_expression", "survey", 6, "choice_filter"),
    }
    assert problems(result.warnings) == {("ignored_column", "survey", 4, "choice_filter")}
    form = convert(sheets(survey[:3], choices)).form
    assert form.questions["district"].choice_filter == "region = ${region}"
    assert form.choices(form.questions["district"])[0]["data"] == {"region": "north"}
    path = tmp_path / "cascade.xlsx"
    xlsform.to_xlsform(form, path)
    xml = pyxform_convert(xlsform=str(path)).xform
    assert "<itemset" in xml and "region =" in xml  # ODK's form of a filtered list
    again = xlsform.read_xlsform(path).form
    assert again.questions["district"].choice_filter == "region = ${region}"
    assert again.choices(again.questions["district"])[1]["data"] == {"region": "south"}


def test_disclosure_roles_round_trip_and_odk_ignores_them(tmp_path):
    """The `disclosure` and `hierarchy` columns come back as written; pyxform (ODK, Kobo)
    takes the file as it is."""
    form = builtin_forms()["community_survey"]
    path = tmp_path / "survey.xlsx"
    to_xlsform(form, path)
    xform_of(path)
    back = read_xlsform(path)
    assert back.errors == [], [str(p) for p in back.errors]
    roles = {name: (q.get("disclosure"), q.get("hierarchy")) for name, q in form.questions.items()}
    assert {
        name: (q.get("disclosure"), q.get("hierarchy")) for name, q in back.form.questions.items()
    } == roles
    assert roles["age"] == ("key", "age_band") and roles["discriminated"] == ("sensitive", None)
    assert roles["wg_seeing"] == ("key", "wg_disability")


def test_a_form_with_entities_imports_with_them():
    """ODK Central's entities: the declaration and each save_to are read (the rest is
    tests/test_entities.py)."""
    survey = [
        {"type": "text", "name": "tree_name", "label": "Tree", "save_to": "tree"},
        {"type": "integer", "name": "height", "label": "Height (m)", "save_to": "height"},
        {"type": "text", "name": "note", "label": "Note"},
    ]
    label = "concat(${tree_name}, ' ', ${height})"
    result = convert({**sheets(survey), "entities": [{"list_name": "trees", "label": label}]})
    assert result.ok and result.errors == [] and result.warnings == []
    assert result.definition["entities"] == [{"list_name": "trees", "label": label}]
    saved = {name: q.get("save_to") for name, q in result.form.questions.items()}
    assert saved == {"tree_name": "tree", "height": "height", "note": None}
