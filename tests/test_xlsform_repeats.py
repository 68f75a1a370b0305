"""XLSForm repeats (begin repeat / end repeat) in and out of our form definitions."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from click.testing import CliRunner
from pyxform.xls2xform import convert as pyxform_convert

from collector.cli import cli
from collector.forms import MAX_INSTANCES, builtin_forms, load_form
from collector.prompts import builtin_prompt
from collector.xlsform import convert, form_languages, read_xlsform, to_xlsform, xlsform_rows
from support import query

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "xlsforms"
ROSTER = FIXTURES / "household_roster.xlsx"


def problems(items) -> set[tuple]:
    return {(p.code, p.sheet, p.row, p.column) for p in items}


def sheets(survey, choices=None):
    data = {"survey": survey, "settings": [{"form_id": "f", "version": "1"}]}
    if choices is not None:
        data["choices"] = choices
    return data


def outline(form) -> list[tuple]:
    """Each section as (name, repeat, repeat_count, relevant, question names)."""
    return [
        (
            s["name"],
            s["repeat"],
            s.get("repeat_count"),
            s.get("relevant"),
            [q["name"] for q in s["questions"]],
        )
        for s in form.sections
    ]


def comparable(form) -> dict:
    """What must come back from a trip through XLSForm: the sections (repeats included)
    and the choices, with texts as pyxform reads them (no-break spaces become spaces) and
    without `source`, which has no XLSForm column."""

    def plain(value):
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items() if k != "source"}
        if isinstance(value, list):
            return [plain(v) for v in value]
        return value.replace("\xa0", " ") if isinstance(value, str) else value

    return plain(
        {
            "form_id": form.form_id,
            "version": form.version,
            "default_language": form.default_language,
            "languages": sorted(form_languages(form)),
            "sections": form.data["sections"],
            "choices": form.data["choices"],
        }
    )


def xform_of(path: Path) -> str:
    warnings = []
    result = pyxform_convert(str(path), warnings=warnings)
    assert warnings == [], warnings
    return result.xform


# --- the household roster fixture -------------------------------------------------------


def test_household_roster_imports_its_repeat():
    result = read_xlsform(ROSTER)
    assert result.errors == [], [str(p) for p in result.errors]
    assert problems(result.warnings) == set()
    form = result.form
    assert result.ok and load_form(result.definition).to_json() == form.to_json()
    assert (form.form_id, form.version, form.default_language) == (
        "household_roster",
        "2024061001",
        "en",
    )
    members = ["member_no", "member_name", "relationship", "age", "sex", "in_school", "grade"]
    assert outline(form) == [
        ("household", False, None, None, ["village", "hh_size"]),
        ("members", True, "${hh_size}", None, members),
        ("closing", False, None, None, ["anyone_missing", "missing_who"]),
    ]
    assert list(form.repeats) == ["members"]
    assert [q.name for q in form.repeats["members"]] == members
    assert {q.repeat for q in form.repeats["members"]} == {"members"}
    assert list(form.top_questions) == ["village", "hh_size", "anyone_missing", "missing_who"]


def test_household_roster_texts_in_each_language():
    form = read_xlsform(ROSTER).form
    assert form_languages(form) == ["en", "fr"]
    assert [s["label"] for s in form.sections] == [
        {"en": "Household", "fr": "Ménage"},
        {"en": "Household members", "fr": "Membres du ménage"},
        {"en": "Before you leave", "fr": "Avant de partir"},
    ]
    for question in form.questions.values():
        if question.type != "calculate":
            assert set(question.label) == {"en", "fr"}, question.name
    age = form.questions["age"]
    assert age.label == {"en": "Age in completed years", "fr": "Âge en années révolues"}
    assert age.hint == {
        "en": "Write 0 for a baby under one year.",
        "fr": "Écrivez 0 pour un bébé de moins d'un an.",
    }
    assert age.constraint_message["fr"] == "Entre 0 et 120 ; le chef de ménage a au moins 15 ans."
    assert form.choice_label(form.questions["relationship"], "head", "fr") == "Chef de ménage"


def test_household_roster_logic_and_privacy():
    form = read_xlsform(ROSTER).form
    q = form.questions
    assert q["member_no"].type == "calculate" and q["member_no"].calculation == "position(..)"
    assert q["relationship"].constraint == "position(..) = 1 or . != 'head'"
    # A sibling in the same instance, by its name.
    assert q["age"].constraint == ". >= 0 and . <= 120 and (${relationship} != 'head' or . >= 15)"
    assert q["age"].type == "integer" and q["age"].required
    # The group inside the repeat: its relevance is carried over to each of its questions.
    assert q["in_school"].relevant == "${age} >= 5 and ${age} <= 17"
    assert q["grade"].relevant == "(${age} >= 5 and ${age} <= 17) and (${in_school} = 'yes')"
    assert form.identifying_fields == ["member_name"]
    assert q["member_name"].privacy == "pseudonymize"
    assert q["age"].privacy == "generalize:age_band"
    assert form.choice_names(q["sex"]) == ["female", "male"]
    assert q["sex"].appearance == "horizontal"


def test_household_roster_is_a_valid_xlsform_for_pyxform():
    xform = xform_of(ROSTER)
    assert '<repeat nodeset="/data/members" jr:count=" /data/household/hh_size "' in xform
    assert 'calculate="position(..)"' in xform


def test_sync_server_publishes_the_roster(tmp_path):
    from sync_server.cli import cli as server_cli
    from sync_server.store import Store

    result = CliRunner().invoke(
        server_cli, ["forms", "publish", str(ROSTER), "--data-dir", str(tmp_path / "central")]
    )
    assert result.exit_code == 0 and "Published household_roster" in result.output, result.output
    store = Store(tmp_path / "central" / "sync-server.db")
    assert [f["form_id"] for f in store.published_forms()] == ["household_roster"]
    store.close()


# --- the reading rules, on hand-written sheets -------------------------------------------

YES_NO = [
    {"list_name": "yn", "name": "yes", "label": "Yes"},
    {"list_name": "yn", "name": "no", "label": "No"},
]


def test_repeat_section_from_its_row():
    rows = [
        {"type": "integer", "name": "n", "label": "How many?"},
        {
            "type": "begin repeat",
            "name": "kids",
            "label::English (en)": "Children",
            "label::Français (fr)": "Enfants",
            "relevant": "${n} > 0",
            "repeat_count": "${n}",
            "appearance": "field-list",
        },
        {
            "type": "text",
            "name": "kid_name",
            "label::English (en)": "Name",
            "label::Français (fr)": "Nom",
        },
        {"type": "end repeat"},
        {"type": "begin_repeat", "name": "visits", "label": "Visits", "jr:count": "3"},
        {"type": "date", "name": "visit_day", "label": "Day"},
        {"type": "end_repeat"},
        {"type": "begin repeat", "name": "notes", "label": "Notes"},
        {"type": "text", "name": "note_text", "label": "Note"},
        {"type": "end repeat"},
    ]
    result = convert(sheets(rows))
    assert result.ok, [str(p) for p in result.errors]
    form = result.form
    assert outline(form) == [
        ("section_1", False, None, None, ["n"]),
        ("kids", True, "${n}", "${n} > 0", ["kid_name"]),
        ("visits", True, "3", None, ["visit_day"]),  # a number is an expression too
        ("notes", True, None, None, ["note_text"]),
    ]  # no count: the person adds instances
    assert form.sections[1]["label"] == {"en": "Children", "fr": "Enfants"}
    assert form.questions["kid_name"].label == {"en": "Name", "fr": "Nom"}
    # The rows written with the bare label column only have no French.
    assert problems(result.warnings) == {
        ("missing_translation", "survey", row, "label::Français (fr)") for row in (2, 6, 7, 9, 10)
    }


def test_groups_inside_a_repeat_join_it_with_their_relevance():
    rows = [
        {"type": "integer", "name": "n", "label": "How many?"},
        {"type": "begin repeat", "name": "members", "label": "Members", "repeat_count": "${n}"},
        {"type": "integer", "name": "age", "label": "Age"},
        {
            "type": "begin group",
            "name": "work",
            "label": "Work",
            "appearance": "field-list",
            "relevant": "${age} >= 15",
        },
        {"type": "select_one yn", "name": "works", "label": "Works?"},
        {"type": "begin group", "name": "job", "relevant": "${works} = 'yes'"},
        {"type": "text", "name": "job_title", "label": "Job", "relevant": "position(..) < 3"},
        {"type": "end group"},
        {"type": "end group"},
        {"type": "note", "name": "done", "label": "Next person"},
        {"type": "end repeat"},
    ]
    result = convert(sheets(rows, YES_NO))
    assert result.ok, [str(p) for p in result.errors]
    form = result.form
    assert outline(form)[1] == (
        "members",
        True,
        "${n}",
        None,
        ["age", "works", "job_title", "done"],
    )
    assert form.questions["works"].relevant == "${age} >= 15"
    assert (
        form.questions["job_title"].relevant
        == "(${age} >= 15) and (${works} = 'yes') and (position(..) < 3)"
    )
    assert form.questions["done"].get("relevant") is None
    assert [g["name"] for g in form.questions["job_title"].groups] == ["work", "job"]
    assert problems(result.warnings) == set()


def test_a_repeat_inside_a_group_is_its_own_page():
    rows = [
        {
            "type": "begin group",
            "name": "household",
            "label": "Household",
            "relevant": "${consent} = 'yes'",
        },
        {"type": "integer", "name": "n", "label": "How many?"},
        {"type": "begin group", "name": "inner", "relevant": "${n} > 0"},
        {
            "type": "begin repeat",
            "name": "members",
            "label": "Members",
            "relevant": "${n} < 30",
            "repeat_count": "${n}",
        },
        {"type": "text", "name": "member", "label": "Name"},
        {"type": "end repeat"},
        {"type": "text", "name": "inner_after", "label": "Still inside"},
        {"type": "end group"},
        {"type": "text", "name": "after", "label": "After"},  # row 10
        {"type": "end group"},
        {"type": "begin group", "name": "wrapper", "label": "Wrapper"},
        {"type": "begin repeat", "name": "pets", "label": "Pets"},
        {"type": "text", "name": "pet", "label": "Pet"},
        {"type": "end repeat"},
        {"type": "end group"},
        {"type": "begin group", "name": "later", "label": "Later"},
        {"type": "begin repeat", "name": "cars", "label": "Cars"},
        {"type": "text", "name": "car", "label": "Car"},
        {"type": "end repeat"},
        {"type": "text", "name": "later_q", "label": "Later question"},  # row 21
        {"type": "end group"},
        {"type": "select_one yn", "name": "consent", "label": "Consent?"},
    ]
    result = convert(sheets(rows, YES_NO))
    assert result.ok, [str(p) for p in result.errors]
    assert outline(result.form) == [
        ("household", False, None, "${consent} = 'yes'", ["n"]),
        (
            "members",
            True,
            "${n}",
            "(${consent} = 'yes') and (${n} > 0) and (${n} < 30)",
            ["member"],
        ),
        # The group goes on after the repeat: same label and relevance, a page of its own.
        ("household_2", False, None, "${consent} = 'yes'", ["inner_after", "after"]),
        ("pets", True, None, None, ["pet"]),  # the group held only the repeat: no empty page
        ("cars", True, None, None, ["car"]),
        ("later", False, None, None, ["later_q"]),  # nothing before the repeat: moved after it
        ("section_1", False, None, None, ["consent"]),
    ]
    form = result.form
    assert form.sections[2]["label"] == {"en": "Household"}
    assert form.questions["inner_after"].relevant == "${n} > 0"
    assert form.questions["after"].get("relevant") is None
    assert form.questions["inner_after"].groups == [{"name": "inner", "relevant": "${n} > 0"}]
    assert problems(result.warnings) == {("split_group", "survey", 8, "type")}


def test_a_question_after_end_repeat_starts_a_new_page():
    rows = [
        {"type": "text", "name": "a", "label": "A"},
        {"type": "begin repeat", "name": "r", "label": "R"},
        {"type": "text", "name": "b", "label": "B"},
        {"type": "end repeat"},
        {"type": "text", "name": "c", "label": "C"},
        {"type": "text", "name": "d", "label": "D"},
    ]
    form = convert(sheets(rows)).form
    assert [(name, questions) for name, _, _, _, questions in outline(form)] == [
        ("section_1", ["a"]),
        ("r", ["b"]),
        ("section_2", ["c", "d"]),
    ]


def test_a_repeat_inside_a_repeat_is_drawn_in_its_instances():
    rows = [
        {"type": "begin repeat", "name": "members", "label": "Member"},
        {"type": "text", "name": "member_name", "label": "Name"},
        {"type": "begin group", "name": "details", "label": "Details", "relevant": "${n} > 0"},
        {"type": "begin repeat", "name": "jobs", "label": "Job", "relevant": "${n} < 9"},
        {"type": "text", "name": "job", "label": "Job"},
        {"type": "end repeat"},
        {"type": "end group"},
        {"type": "integer", "name": "n", "label": "N"},  # after the inner repeat: same repeat
        {"type": "end repeat"},
    ]
    result = convert(sheets(rows))
    assert result.errors == []
    assert [(name, questions) for name, _, _, _, questions in outline(result.form)] == [
        ("members", ["member_name", "n"]),
        ("jobs", ["job"]),
    ]
    jobs = result.form.section("jobs")
    assert jobs["within"] == "members" and jobs["relevant"] == "(${n} > 0) and (${n} < 9)"


def test_a_repeat_four_deep_is_refused_where_it_is(load_form_calls):
    rows = [{"type": "begin repeat", "name": f"r{n}", "label": "R"} for n in (1, 2, 3, 4)]
    rows += [{"type": "text", "name": "q", "label": "Q"}, {"type": "end repeat"}]  # rows 6-7
    for n in (3, 2, 1):  # each outer repeat has a question of its own
        rows += [{"type": "text", "name": f"q{n}", "label": "Q"}, {"type": "end repeat"}]
    result = convert(sheets(rows))
    assert problems(result.errors) == {("nested_repeat", "survey", 5, "type")}
    assert str(result.errors[0]) == (
        "survey row 5, column type: The repeat 'r4' is inside the repeat 'r3' (row 4), itself "
        "inside others: repeats can sit at most 3 deep inside each other."
    )
    assert result.definition is None and result.form is None and not result.ok
    assert load_form_calls == []


def test_a_repeat_without_questions_is_refused():
    rows = [
        {"type": "text", "name": "a", "label": "A"},
        {"type": "begin repeat", "name": "empty", "label": "Nothing"},  # row 3
        {"type": "end repeat"},
        {"type": "begin repeat", "name": "meta_only", "label": "Only metadata"},  # row 5
        {"type": "start", "name": "started"},
        {"type": "end repeat"},
    ]
    result = convert(sheets(rows))
    assert problems(result.errors) == {
        ("empty_repeat", "survey", 3, "type"),
        ("empty_repeat", "survey", 5, "type"),
    }
    assert str(result.errors[0]) == (
        "survey row 3, column type: The repeat 'empty' has no "
        "questions the collector can ask: give it at least one."
    )
    assert result.definition is None


def test_repeat_names_are_unique_and_checked():
    rows = [
        {"type": "integer", "name": "members", "label": "How many?"},
        {"type": "begin repeat", "name": "members", "label": "Members"},  # row 3
        {"type": "text", "name": "who", "label": "Who"},
        {"type": "end repeat"},
        {"type": "begin group", "name": "grp", "label": "G"},
        {"type": "text", "name": "x", "label": "X"},
        {"type": "end group"},
        {"type": "begin repeat", "name": "grp", "label": "Again"},  # row 9
        {"type": "text", "name": "y", "label": "Y"},
        {"type": "end repeat"},
        {"type": "begin repeat", "label": "No name"},  # row 12
        {"type": "text", "name": "z", "label": "Z"},
        {"type": "end repeat"},
        {
            "type": "begin repeat",
            "name": "bad name",
            "label": "Bad",
            "repeat_count": "${nowhere}",
        },  # row 15
        {"type": "text", "name": "w", "label": "W"},
        {"type": "end repeat"},
        {"type": "text", "name": "reps", "label": "R"},
        {"type": "end repeat"},
    ]  # row 19
    result = convert(sheets(rows))
    assert problems(result.errors) == {
        ("duplicate_name", "survey", 3, "name"),
        ("duplicate_name", "survey", 9, "name"),
        ("missing_name", "survey", 12, "name"),
        ("bad_name", "survey", 15, "name"),
        ("unknown_reference", "survey", 15, "repeat_count"),
        ("unbalanced_group", "survey", 19, "type"),
    }


def test_repeat_count_columns_elsewhere_and_too_many_instances():
    rows = [
        {"type": "integer", "name": "n", "label": "N", "repeat_count": "3"},  # row 2
        {"type": "begin group", "name": "g", "label": "G", "repeat_count": "${n}"},
        {"type": "text", "name": "t", "label": "T"},
        {"type": "end group"},
        {"type": "begin repeat", "name": "r", "label": "R", "repeat_count": "80"},  # row 6
        {"type": "text", "name": "u", "label": "U"},
        {"type": "end repeat"},
    ]
    result = convert(sheets(rows))
    assert result.ok, [str(p) for p in result.errors]
    assert problems(result.warnings) == {
        ("ignored_column", "survey", 2, "repeat_count"),
        ("ignored_column", "survey", 3, "repeat_count"),
        ("repeat_count", "survey", 6, "repeat_count"),
    }
    assert f"at most {MAX_INSTANCES} instances" in str(
        next(p for p in result.warnings if p.code == "repeat_count")
    )
    assert "repeat_count" not in result.form.sections[1]
    bad = convert(sheets(rows[:4] + [dict(rows[4], repeat_count="${n} +"), *rows[5:]]))
    assert problems(bad.errors) == {("bad_expression", "survey", 6, "repeat_count")}


def test_a_repeat_is_referable_from_outside(tmp_path):
    rows = [
        {"type": "begin repeat", "name": "members", "label": "Members"},
        {
            "type": "text",
            "name": "first_name",
            "label": "First name",
            "privacy": "drop",
            "identifying": "yes",
        },
        {"type": "integer", "name": "age", "label": "Age"},
        {"type": "end repeat"},
        {"type": "calculate", "name": "people", "calculation": "count(${members})"},
        {"type": "calculate", "name": "years", "calculation": "sum(${age})"},
        {
            "type": "calculate",
            "name": "eldest_first",
            "calculation": "indexed-repeat(${age}, ${members}, 1)",
        },
        {
            "type": "note",
            "name": "many",
            "label": "A large household",
            "relevant": "${people} > 8 or ${years} > 400 or ${eldest_first} > 100",
        },
    ]
    result = convert(sheets(rows))
    assert result.ok, [str(p) for p in result.errors]
    form = result.form
    assert form.questions["people"].calculation == "count(${members})"
    assert form.questions["eldest_first"].calculation == "indexed-repeat(${age}, ${members}, 1)"
    to_xlsform(form, tmp_path / "refs.xlsx")
    assert "count( /data/members )" in xform_of(tmp_path / "refs.xlsx")
    assert comparable(read_xlsform(tmp_path / "refs.xlsx").form) == comparable(form)


# --- writing repeats back out ------------------------------------------------------------


def roster_and_builtin():
    """The built-in community feedback form with a repeat added: one entry per person the
    feedback is about, as many as a new question says."""
    data = copy.deepcopy(builtin_forms()["community_feedback"].data)
    # Without its recorded prompts: they are another test's subject (test_media_prompts.py).
    data.pop("media_files", None)
    for item in [q for s in data["sections"] for q in s["questions"]] + [
        c for choices in data.get("choices", {}).values() for c in choices
    ]:
        item.pop("media", None)
    texts = {q["name"]: q for s in data["sections"] for q in s["questions"]}
    data["sections"][0]["questions"].append(
        {
            "name": "people_count",
            "type": "integer",
            "label": texts["message"]["label"],
            "min": 0,
            "max": 10,
            "privacy": "keep",
        }
    )
    data["sections"].append(
        {
            "name": "people",
            "label": texts["topic"]["label"],
            "repeat": True,
            "repeat_count": "${people_count}",
            "relevant": "${people_count} > 0",
            "questions": [
                {
                    "name": "person_no",
                    "type": "calculate",
                    "calculation": "position(..)",
                    "privacy": "keep",
                },
                {
                    "name": "person_topic",
                    "type": "select_one",
                    "choices": texts["topic"]["choices"],
                    "label": texts["topic"]["label"],
                    "required": True,
                    "privacy": "keep",
                    "relevant": "${person_no} = 1 or ${people_count} > 1",
                },
                {
                    "name": "person_note",
                    "type": "text",
                    "label": texts["message"]["label"],
                    "max_length": 200,
                    "privacy": "scrub",
                },
            ],
        }
    )
    data["sections"].append(
        {
            "name": "closing",
            "label": texts["contact"]["label"],
            "questions": [dict(texts["contact"], name="closing_contact")],
        }
    )
    return load_form(data)


@pytest.mark.parametrize("which", ["roster_fixture", "builtin_with_repeat", "community_survey"])
def test_repeats_round_trip_through_export(which, tmp_path):
    if which == "roster_fixture":
        form = read_xlsform(ROSTER).form
    elif which == "builtin_with_repeat":
        form = roster_and_builtin()
    else:
        form = builtin_forms()[which]
    path = tmp_path / "out.xlsx"
    to_xlsform(form, path)
    for name, sha in (form.data.get("media_files") or {}).items():  # as export-xlsform does
        (tmp_path / name).write_bytes(builtin_prompt(form.form_id, name, sha))
    xform_of(path)  # pyxform converts it, without a warning
    back = read_xlsform(path)
    assert back.errors == [], [str(p) for p in back.errors]
    assert back.warnings == [], [str(p) for p in back.warnings]
    before, after = comparable(form), comparable(back.form)
    for section in after["sections"]:  # a group named like a question gets a suffix in ODK
        if not section["repeat"]:
            section["name"] = section["name"].removesuffix("_group")
    assert after == before


def test_export_writes_begin_repeat_with_its_count(tmp_path):
    form = roster_and_builtin()
    rows = xlsform_rows(form)["survey"]
    header = rows[0]
    assert header[-1] == "repeat_count"
    # A sheet's row stops at its last filled cell: shorter than the header.
    survey = [dict(zip(header, row, strict=False)) for row in rows[1:]]
    begin = next(r for r in survey if r.get("name") == "people")
    assert begin["type"] == "begin repeat" and begin["repeat_count"] == "${people_count}"
    assert begin["relevant"] == "${people_count} > 0" and begin["appearance"] == "field-list"
    kinds = [r["type"] for r in survey if r["type"].startswith(("begin", "end"))]
    assert kinds == [
        "begin group",
        "end group",
        "begin repeat",
        "end repeat",
        "begin group",
        "end group",
    ]
    # Forms without repeats keep the columns they always had.
    assert "repeat_count" not in xlsform_rows(builtin_forms()["community_feedback"])["survey"][0]
    path = tmp_path / "with_repeat.xlsx"
    to_xlsform(form, path)
    xform = xform_of(path)
    assert '<repeat nodeset="/data/people"' in xform and "jr:count=" in xform


def test_cli_exports_a_form_with_a_repeat(data_dir, tmp_path):
    runner = CliRunner()
    result = runner.invoke(cli, ["forms", "import", str(ROSTER), "--data-dir", str(data_dir)])
    assert result.exit_code == 0, result.output
    target = tmp_path / "roster.xlsx"
    result = runner.invoke(
        cli,
        ["forms", "export-xlsform", "household_roster", str(target), "--data-dir", str(data_dir)],
    )
    assert result.exit_code == 0, result.output
    assert "<repeat " in xform_of(target)
    assert comparable(read_xlsform(target).form) == comparable(read_xlsform(ROSTER).form)


def test_cli_refuses_a_repeat_four_deep_and_stores_nothing(data_dir):
    runner = CliRunner()
    runner.invoke(cli, ["status", "--data-dir", str(data_dir)])
    result = runner.invoke(
        cli, ["forms", "import", str(FIXTURES / "bad_repeat.xlsx"), "--data-dir", str(data_dir)]
    )
    assert result.exit_code == 1
    assert "survey row 5, column type: The repeat 'visits' is inside" in result.output
    assert "survey row 14, column type: The repeat 'livestock' has no questions" in result.output
    assert query(data_dir / "collector.db", "SELECT count(*) AS n FROM forms")[0]["n"] == 0


def test_sync_server_publishes_no_repeat_four_deep(tmp_path):
    from sync_server.cli import cli as server_cli
    from sync_server.store import Store

    central = tmp_path / "central"
    result = CliRunner().invoke(
        server_cli,
        ["forms", "publish", str(FIXTURES / "bad_repeat.xlsx"), "--data-dir", str(central)],
    )
    assert result.exit_code != 0 and "inside the repeat 'treatments'" in result.output
    if (central / "sync-server.db").exists():
        store = Store(central / "sync-server.db")
        assert store.published_forms() == []
        store.close()
