"""Real-world XLSForm syntax: the spellings ODK, Kobo and CHT forms use, read as pyxform
reads them, and written back by export-xlsform with the same data paths.

Every workbook here is written by the test (openpyxl), imported, checked, converted by
pyxform as it is, and taken through our export and pyxform again.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import warnings
import zipfile
from pathlib import Path

import pytest
from pyxform.xls2xform import convert as pyxform_convert

from collector import xlsform
from collector.xlsform import read_xlsform, to_xlsform
from collector.xlsform_problems import CATALOGUE, ERROR, WARNING
from support import query
from workbooks import imported, write_workbook, xform

SETTINGS = [["form_id", "version"], ["visit", "1"]]


def workbook(path: Path, survey, choices=None, settings=SETTINGS) -> Path:
    """An .xlsx with the given sheets (settings: this module's by default)."""
    return write_workbook(path, survey, choices, settings)


def round_trip(result, tmp_path: Path) -> str:
    """Export the form, convert it with pyxform, import it again: the same definition."""
    out = tmp_path / "exported.xlsx"
    to_xlsform(result.form, out)
    xml = xform(out)
    back = read_xlsform(out)
    assert back.errors == [], [str(p) for p in back.errors]
    assert back.definition == result.definition
    return xml


def binds(xml: str) -> dict[str, str]:
    """The XForm's data paths, each with its bind's attributes as written."""
    return dict(re.findall(r'<bind nodeset="([^"]+)"([^>]*)/>', xml))


def keys(problems) -> set[tuple]:
    return {(p.key, p.sheet, p.row, p.column) for p in problems}


# --- the catalogue of problems ---------------------------------------------------------


def test_every_problem_the_importer_reports_is_in_the_catalogue():
    source = Path(xlsform.__file__).read_text("utf-8")
    used = set(re.findall(r'self\.(?:report|at)\((?:row, )?"([a-z_/]+)"', source))
    used |= set(xlsform.UNSUPPORTED_TYPES.values()) | set(xlsform.IGNORED_COLUMNS.values())
    used |= {f"ignored_column/{kind}" for kind in ("wq_function", "extension_function")}
    used |= {f"converted_type/{kind}" for kind in ("acknowledge", "barcode", "hidden")}
    used |= {"bad_disclosure", "bad_hierarchy"}  # f"bad_{column}"
    assert len(used) > 60
    assert used <= set(CATALOGUE), used - set(CATALOGUE)
    assert {severity for severity, _ in CATALOGUE.values()} == {ERROR, WARNING}
    # One way to say where a problem is: no row is located by hand any more.
    assert "SURVEY, row.number" not in source


def test_problems_name_sheet_row_and_column(tmp_path):
    path = workbook(
        tmp_path / "broken.xlsx",
        [
            ["type", "name", "label", "bind::relevant"],
            ["select one from nowhere", "a", "A", None],
            ["integer", "b", "B", "${nobody} > 1"],
            ["background-audio", "c", "C", None],
        ],
    )
    result = read_xlsform(path)
    assert keys(result.errors) == {
        ("unknown_list/no_sheet", "survey", 2, "type"),
        ("unknown_reference", "survey", 3, "bind::relevant"),
        ("unsupported_type/background", "survey", 4, "type"),
    }
    assert [str(p).split(":")[0] for p in result.errors] == [
        "survey row 2, column type",
        "survey row 3, column bind",
        "survey row 4, column type",
    ]
    assert "'${nobody}'" in result.errors[1].message
    assert result.errors[2].code == "unsupported_type"  # the family scripts match on


def _without_default_style(path: Path, target: Path) -> Path:
    """The workbook as some other tools write it: a stylesheet without named styles, which
    makes openpyxl warn 'Workbook contains no default style'."""
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(target, "w") as copy:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/styles.xml":
                data = re.sub(rb"<cellStyles.*?</cellStyles>", b"", data, flags=re.S)
            copy.writestr(item, data)
    return target


def test_library_warnings_never_come_before_our_messages(tmp_path, data_dir):
    plain = workbook(
        tmp_path / "plain.xlsx",
        [["type", "name", "label"], ["text", "a", "A"], ["background-audio", "g", "G"]],
    )
    path = _without_default_style(plain, tmp_path / "nostyle.xlsx")
    from openpyxl import load_workbook

    with pytest.warns(UserWarning, match="no default style"):  # the noise is there...
        load_workbook(path)
    with warnings.catch_warnings(record=True) as caught:  # ...and the import says none of it
        warnings.simplefilter("always")
        result = read_xlsform(path)
    assert caught == []
    assert keys(result.errors) == {("unsupported_type/background", "survey", 3, "type")}
    command = subprocess.run(
        [
            sys.executable,
            "-m",
            "collector",
            "forms",
            "import",
            str(path),
            "--data-dir",
            str(data_dir),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert command.returncode == 1
    assert "default style" not in command.stderr + command.stdout
    assert command.stderr.startswith(
        "Error: nostyle.xlsx is not a valid XLSForm (1 problems):\n"
        "survey row 3, column type: Background recording"
    )


# --- the older select spelling ---------------------------------------------------------

WATER = [
    ["list_name", "name", "label"],
    ["water", "tap", "Tap"],
    ["water", "well", "Well"],
    ["yes_no", "yes", "Yes"],
    ["yes_no", "no", "No"],
]


def test_older_select_spelling_reads_as_pyxform_reads_it(tmp_path):
    path = workbook(
        tmp_path / "older.xlsx",
        [
            ["type", "name", "label", "required"],
            ["select one from water", "source", "Water source", "yes"],
            ["select all that apply from water", "uses", "Uses", None],
            ["select one yes_no", "boiled", "Boiled?", None],
            ["select1 yes_no", "treated", "Treated?", None],
        ],
        WATER,
    )
    xml = xform(path)
    result = imported(path)
    form = result.form
    assert {n: (q.type, q.choices) for n, q in form.questions.items()} == {
        "source": ("select_one", "water"),
        "uses": ("select_multiple", "water"),
        "boiled": ("select_one", "yes_no"),
        "treated": ("select_one", "yes_no"),
    }
    assert form.questions["source"].required
    assert "<select1" in xml and "<select " in xml
    round_trip(result, tmp_path)


@pytest.mark.parametrize("spelling", ["or specify other", "or_other", "or other"])
def test_or_other_shares_the_other_choice_and_adds_the_follow_up(spelling, tmp_path):
    path = workbook(
        tmp_path / "other.xlsx",
        [
            ["type", "name", "label::English (en)", "label::Français (fr)"],
            [f"select_one water {spelling}", "source", "Water source", "Source d'eau"],
            ["select_one water", "backup", "Backup source", "Source de secours"],
            [f"select all that apply from water {spelling}", "uses", "Uses", "Usages"],
        ],
        [
            ["list_name", "name", "label::English (en)", "label::Français (fr)"],
            ["water", "tap", "Tap", "Robinet"],
            ["water", "well", "Well", "Puits"],
        ],
    )
    xml = xform(path)
    form = imported(path).form
    assert list(form.questions) == ["source", "source_other", "backup", "uses", "uses_other"]
    # One shared list, with 'other' added once, as pyxform adds it: the same data as ODK's.
    assert list(form.data["choices"]) == ["water"]
    assert form.choice_names(form.questions["backup"]) == ["tap", "well", "other"]
    assert form.choice_label(form.questions["source"], "other", "fr") == "Autre"
    other = form.questions["source_other"]
    assert (other.type, other.relevant) == ("text", "selected(${source}, 'other')")
    assert form.text(other.label, "en") == "Specify other."
    assert "source_other" in xml
    exported = round_trip(imported(path), tmp_path)
    assert list(binds(exported)) == list(binds(xml))  # the same data paths, in order


# --- bind:: columns ----------------------------------------------------------------------


def test_bind_columns_map_to_ours_and_are_never_dropped(tmp_path):
    path = workbook(
        tmp_path / "bind.xlsx",
        [
            [
                "type",
                "name",
                "label",
                "bind::relevant",
                "bind::constraint",
                "bind::required",
                "bind::jr:constraintMsg",
                "bind::jr:requiredMsg",
                "bind::readonly",
                "bind::calculate",
                "default",
                "bind::odk:length",
            ],
            [
                "integer",
                "age",
                "Age",
                None,
                ". < 120",
                "true()",
                "Too old",
                "Give the age",
                None,
                None,
                None,
                None,
            ],
            [
                "text",
                "school",
                "School",
                "${age} < 18",
                None,
                "yes",
                None,
                None,
                None,
                None,
                None,
                "5",
            ],
            ["text", "camp", "Camp", None, None, None, None, None, "true()", None, "Camp A", None],
            [
                "calculate",
                "decade",
                None,
                None,
                None,
                None,
                None,
                None,
                None,
                "int(${age} div 10)",
                None,
                None,
            ],
        ],
    )
    xml = xform(path)
    result = imported(path)
    questions = result.form.questions
    age = questions["age"]
    assert (age.constraint, age.required) == (". < 120", True)
    assert age.constraint_message == {"en": "Too old"}
    assert age.required_message == {"en": "Give the age"}
    assert questions["school"].relevant == "${age} < 18"
    assert questions["camp"].read_only and questions["camp"].default == "Camp A"
    assert questions["decade"].calculation == "int(${age} div 10)"
    # An XForm attribute the collector has no use for is said, on the header row.
    assert keys(result.warnings) == {("ignored_column/bind", "survey", 1, "bind::odk:length")}
    assert 'relevant=" /data/age  &lt; 18"' in binds(xml)["/data/school"]
    round_trip(result, tmp_path)


def test_bind_expressions_are_checked_where_they_are(tmp_path):
    path = workbook(
        tmp_path / "bind_bad.xlsx",
        [
            ["type", "name", "label", "bind::relevant", "bind::constraint"],
            ["integer", "age", "Age", None, ". <"],
            ["text", "school", "School", "${agee} < 18", None],
        ],
    )
    assert keys(read_xlsform(path).errors) == {
        ("bad_expression", "survey", 2, "bind::constraint"),
        ("unknown_reference", "survey", 3, "bind::relevant"),
    }


# --- choices and languages ---------------------------------------------------------------


def test_a_choice_without_a_label_shows_its_name(tmp_path):
    path = workbook(
        tmp_path / "unlabelled.xlsx",
        [
            ["type", "name", "label"],
            ["select_one sizes", "size", "Size"],
        ],
        [
            ["list_name", "name", "label"],
            ["sizes", "S", None],
            ["sizes", "M", "Medium"],
            ["sizes", "L", None],
        ],
    )
    xform(path)
    result = imported(path)
    assert [(c["name"], c["label"]) for c in result.form.data["choices"]["sizes"]] == [
        ("S", {"en": "S"}),
        ("M", {"en": "Medium"}),
        ("L", {"en": "L"}),
    ]
    assert result.warnings == []
    to_xlsform(result.form, tmp_path / "back.xlsx")
    xform(tmp_path / "back.xlsx")


def test_duplicate_choice_names_are_refused_unless_the_settings_allow_them(tmp_path):
    survey = [["type", "name", "label"], ["select_one towns", "town", "Town"]]
    choices = [
        ["list_name", "name", "label"],
        ["towns", "t1", "North"],
        ["towns", "t2", "South"],
        ["towns", "t1", "North-east"],
    ]
    refused = read_xlsform(workbook(tmp_path / "dup.xlsx", survey, choices))
    assert keys(refused.errors) == {("duplicate_choice", "choices", 4, "name")}
    assert "(row 2)" in refused.errors[0].message
    assert "allow_choice_duplicates" in refused.errors[0].message
    allowed = workbook(
        tmp_path / "dup_ok.xlsx",
        survey,
        choices,
        [["form_id", "version", "allow_choice_duplicates"], ["visit", "1", "yes"]],
    )
    xform(allowed)
    result = imported(allowed)
    assert [c["name"] for c in result.form.data["choices"]["towns"]] == ["t1", "t2", "t1"]
    round_trip(result, tmp_path)  # export says allow_choice_duplicates, or ODK refuses it


def test_language_columns_without_a_code(tmp_path):
    path = workbook(
        tmp_path / "languages.xlsx",
        [
            ["type", "name", "LABEL::EN", "label::chinese", "label::Tetun", "hint::Tetun"],
            ["text", "name", "Name", "名字", "Naran", "Hakerek naran"],
            ["select_one yes_no", "ok", "All right?", "好吗", "Diak ka lae?", None],
        ],
        [
            ["list_name", "name", "label::EN", "label::chinese", "label::Tetun"],
            ["yes_no", "yes", "Yes", "是", "Sin"],
            ["yes_no", "no", "No", "不", "Lae"],
        ],
    )
    xform(path)
    result = imported(path)
    form = result.form
    assert form.default_language == "en"
    assert form.questions["name"].label == {"en": "Name", "zh": "名字", "tet": "Naran"}
    assert xlsform.form_languages(form) == ["en", "zh", "tet"]
    assert form.choice_label(form.questions["ok"], "no", "tet") == "Lae"
    assert result.warnings == []
    round_trip(result, tmp_path)


def test_a_language_no_code_matches_is_still_a_language_of_the_form(tmp_path):
    path = workbook(
        tmp_path / "unnamed.xlsx",
        [
            ["type", "name", "label::English (en)", "label::Kriolu Guine"],
            ["text", "name", "Name", "Nomi"],
        ],
        None,
        [["form_id", "version", "default_language"], ["visit", "1", "Kriolu Guine"]],
    )
    xform(path)
    result = imported(path)
    form = result.form
    code = form.default_language
    assert code.startswith("und_") and form.questions["name"].label == {code: "Nomi", "en": "Name"}
    # The interface has no such language: the form's texts in it, the rest falls back.
    assert form.text(form.questions["name"].label, code) == "Nomi"
    assert keys(result.warnings) == {("language_without_code", "survey", 1, "label::Kriolu Guine")}
    assert "Kriolu Guine" in result.warnings[0].message
    out = tmp_path / "back.xlsx"
    to_xlsform(form, out)
    xform(out)
    assert read_xlsform(out).form.questions["name"].label == {code: "Nomi", "en": "Name"}


# --- trigger, hidden, barcode, seconds, rank -------------------------------------------


def test_trigger_hidden_barcode_and_defaults_with_seconds(tmp_path):
    path = workbook(
        tmp_path / "kinds.xlsx",
        [
            ["type", "name", "label", "trigger", "calculation", "default"],
            ["integer", "visits", "Visits", None, None, None],
            ["calculate", "changed_at", None, "${visits}", "now()", None],
            ["hidden", "programme", None, None, None, "wash"],
            ["barcode", "card", "Ration card", None, None, None],
            ["time", "opened", "Opening time", None, None, "09:30:00"],
            ["datetime", "seen", "Seen at", None, None, "2024-03-15T16:05:59.250"],
            ["text", "plain", "Plain", "${visits}", None, None],
        ],
    )
    xform(path)
    result = imported(path)
    q = result.form.questions
    assert (q["changed_at"].calculation, q["changed_at"].trigger) == ("now()", "${visits}")
    assert (q["programme"].type, q["programme"].calculation) == ("calculate", "'wash'")
    assert q["card"].type == "text"
    assert (q["opened"].default, q["seen"].default) == ("09:30", "2024-03-15T16:05")
    assert keys(result.warnings) == {
        ("trigger", "survey", 3, "trigger"),
        ("converted_type/hidden", "survey", 4, "type"),
        ("converted_type/barcode", "survey", 5, "type"),
        ("ignored_column", "survey", 8, "trigger"),
    }
    assert "typed, not scanned" in str(result.warnings[2])
    xml = round_trip(result, tmp_path)
    assert "odk:setvalue" in xml or "setvalue" in xml  # ODK recomputes it on the trigger


def test_an_old_phone_number_question_is_typed_with_numbers_and_identifying(tmp_path):
    """ODK's `phone number` type: a text typed with the number keys; a phone number points
    at one person, so it stays on the laptop unless the form says how it may leave."""
    path = workbook(
        tmp_path / "phones.xlsx",
        [
            ["type", "name", "label", "identifying", "privacy", "appearance"],
            ["phone number", "mobile", "Mobile number", None, None, None],
            ["phone number", "office", "Office line", "no", None, None],
            ["phone number", "kin", "Next of kin's number", None, "pseudonymize:phone", None],
            ["phone number", "other", "Other number", None, None, "multiline"],
        ],
    )
    xform(path)
    result = imported(path)
    q = result.form.questions
    assert {q[n].type for n in ("mobile", "office", "kin", "other")} == {"text"}
    assert (q["mobile"].appearance, q["mobile"].get("identifying")) == ("numbers", True)
    assert q["mobile"].get("privacy") is None  # identifying, so dropped before it leaves
    assert not q["office"].get("identifying")  # the form said no
    assert q["kin"].get("identifying") and q["kin"].get("privacy") == "pseudonymize:phone"
    assert q["other"].appearance == "multiline"  # the form's own appearance decides
    assert keys(result.warnings) == {
        ("converted_type/phone_number", "survey", row, "type") for row in (2, 3, 4, 5)
    }
    assert "stays on the laptop" in str(result.warnings[0])
    from collector.anonymizer import anonymize

    record = {
        "uuid": "0b6f3a52-8a8e-4a38-9d51-1f6f0d1f2c11",
        "revision": 1,
        "form_id": result.form.form_id,
        "form_version": result.form.version,
        "locale": "en",
        "enumerator": "Amina Said",
        "finalized_at": "2024-05-03T17:42:09Z",
        "answers": {"mobile": "0712345678", "office": "020340", "kin": "0733111222"},
    }
    sent = anonymize(record, result.form, b"k" * 32)["answers"]
    assert "mobile" not in sent  # identifying: dropped
    assert "office" in sent  # the form said it does not identify: free text, scrubbed as such
    assert sent["kin"] not in ("0733111222", None)  # a pseudonym


RANK_SURVEY = [
    ["type", "name", "label", "required", "choice_filter", "calculation"],
    ["select_multiple needs", "wanted", "Which are needed?", "yes", None, None],
    ["rank needs", "order", "Put them in order", "yes", "selected(${wanted}, name)", None],
    ["calculate", "first", None, None, None, "selected-at(${order}, 0)"],
    ["text", "why", "Why this one first?", None, None, None],
]
RANK_CHOICES = [
    ["list_name", "name", "label"],
    ["needs", "food", "Food"],
    ["needs", "water", "Water"],
    ["needs", "shelter", "Shelter"],
]


def test_rank_is_taken_with_its_choice_filter_and_written_back(tmp_path):
    path = workbook(tmp_path / "rank.xlsx", RANK_SURVEY, RANK_CHOICES)
    xform(path)
    result = imported(path)
    order = result.form.questions["order"]
    assert (order.type, order.get("choices"), order.get("choice_filter")) == (
        "rank",
        "needs",
        "selected(${wanted}, name)",
    )
    assert result.warnings == []
    xml = round_trip(result, tmp_path)
    assert 'type="odk:rank"' in xml  # pyxform reads `rank needs` written back as a rank


def test_rank_of_a_repeats_answers_or_with_other_is_refused_where_it_is(tmp_path):
    path = workbook(
        tmp_path / "rank.xlsx",
        [
            ["type", "name", "label", "default"],
            ["rank needs or_other", "order", "Order them", None],
            ["time", "opened", "Opening time", "9.30"],
        ],
        RANK_CHOICES,
    )
    result = read_xlsform(path)
    assert keys(result.errors) == {("unsupported_type/rank", "survey", 2, "type")}
    assert ("bad_default", "survey", 3, "default") in keys(result.warnings)
    assert "cannot come from a repeat" in result.errors[0].message


def _rank_page(phone, path, **answers):
    data = [("form_id", "visit"), ("_action", "next")]
    for name, value in answers.items():
        data.append(("_shown", name))
        data += [(name, item) for item in value] if isinstance(value, list) else [(name, value)]
    return phone.post(path, data)


def test_a_rank_is_filled_on_the_hub_without_javascript(tmp_path, hub, db_path):
    """One drop-down per position, each offering the choices the filter keeps; the hub
    reads the positions into the ordered list and refuses a choice twice or, required, a
    choice left without a position."""
    _import_rank_form(tmp_path, db_path)
    phone = hub.browser("en")
    phone.signin()
    page = phone.get("/forms/visit")
    path = re.search(r'<form method="post" action="(/records/[^"]+)"', page.text).group(1)
    assert page.text.count('<select id="f-order') == 3
    assert "Position 1" in page.text and "Position 3" in page.text
    answers = {"wanted": ["water", "food"], "why": "thirst"}
    twice = _rank_page(phone, path, **answers, order=["water", "water", ""])
    assert twice.status_code == 422
    assert "Put each choice in one position only." in twice.text
    gap = _rank_page(phone, path, **answers, order=["water", "", ""])
    assert gap.status_code == 422 and "Give every choice a position." in gap.text
    # The page keeps what was posted, position by position.
    assert re.search(r'id="f-order".*?<option value="water" selected', gap.text, re.S)
    # Shelter is not wanted: the filter leaves it out of the positions' choices.
    outside = _rank_page(phone, path, **answers, order=["water", "shelter", "food"])
    assert outside.status_code == 422 and "Choose one of the options shown." in outside.text
    done = _rank_page(phone, path, **answers, order=["", "water", "food"])
    assert done.url.endswith("/review"), done.text[:300]
    assert "Water, Food" in done.text or "Water and Food" in done.text
    [record] = query(db_path, "SELECT answers FROM records")
    assert json.loads(record["answers"]) == {
        "wanted": ["water", "food"],
        "order": ["water", "food"],
        "first": "water",
        "why": "thirst",
    }


def test_a_ranks_positions_are_checked_on_the_phone(tmp_path, hub, db_path, chromium):
    """The page's script says a choice is in two positions as soon as it is, and offers only
    what the filter keeps; a required rank with a choice left out is held back when sent."""
    from selenium.webdriver.support.ui import Select

    from browsing import sign_in

    _import_rank_form(tmp_path, db_path)
    sign_in(chromium, hub)
    chromium.get(f"{hub.url}/forms/visit?lang=en")
    for value in ("water", "food"):
        chromium.find_element("css selector", f'input[name="wanted"][value="{value}"]').click()
    first, second, third = (
        Select(chromium.find_element("id", f"f-order{suffix}")) for suffix in ("", "-2", "-3")
    )
    offered = [o.get_attribute("value") for o in first.options if o.is_enabled()]
    assert offered == ["", "food", "water"]  # shelter is not wanted
    first.select_by_value("water")
    second.select_by_value("water")
    error = chromium.find_element("id", "order-error")
    assert error.text == "Put each choice in one position only."
    second.select_by_value("food")
    assert chromium.find_elements("id", "order-error") == []
    second.select_by_value("")
    third.select_by_value("food")  # a gap is closed up, not an error while placing
    assert chromium.find_elements("id", "order-error") == []
    first.select_by_value("")
    chromium.execute_script("window.notSent = true;")  # gone if the page is sent
    chromium.find_element("css selector", 'button[value="next"]').click()
    assert chromium.find_element("id", "order-error").text == "Give every choice a position."
    assert chromium.execute_script("return window.notSent === true;")


def _import_rank_form(tmp_path, db_path):
    from collector.db import open_database
    from collector.form_library import import_form

    result = imported(workbook(tmp_path / "rank.xlsx", RANK_SURVEY, RANK_CHOICES))
    db = open_database(db_path)
    try:
        import_form(db, result.form, "test")
    finally:
        db.close()


# --- loops, forms without groups, metadata ---------------------------------------------


def test_begin_loop_over_a_list_becomes_one_group_per_choice(tmp_path):
    path = workbook(
        tmp_path / "loop.xlsx",
        [
            ["type", "name", "label::English (en)", "label::Français (fr)", "relevant"],
            ["integer", "herd", "Animals kept", "Animaux gardés", None],
            ["begin loop over animals", "livestock", "Livestock", "Bétail", "${herd} > 0"],
            ["integer", "count", "How many %(label)s?", "Combien de %(label)s ?", None],
            ["integer", "sold", "%(label)s sold", "%(label)s vendus", "${herd} > 1"],
            ["end loop", None, None, None, None],
            ["text", "remarks", "Remarks", "Remarques", None],
        ],
        [
            ["list_name", "name", "label::English (en)", "label::Français (fr)"],
            ["animals", "cow", "cows", "vaches"],
            ["animals", "goat", "goats", "chèvres"],
        ],
    )
    xml = xform(path)
    # pyxform's groups: livestock/cow/count; ours are flat names (see docs/form-definitions.md)
    assert {"/data/livestock/cow/count", "/data/livestock/goat/sold"} <= set(binds(xml))
    result = imported(path)
    form = result.form
    pages = [
        (s["name"], s.get("relevant"), [q["name"] for q in s["questions"]]) for s in form.sections
    ]
    assert pages == [
        ("section_1", None, ["herd"]),
        ("livestock_cow", "${herd} > 0", ["count_cow", "sold_cow"]),
        ("livestock_goat", "${herd} > 0", ["count_goat", "sold_goat"]),
        ("section_2", None, ["remarks"]),
    ]
    assert form.sections[2]["label"] == {"en": "goats", "fr": "chèvres"}
    assert form.questions["count_goat"].label == {
        "en": "How many goats?",
        "fr": "Combien de chèvres ?",
    }
    assert form.questions["sold_cow"].relevant == "${herd} > 1"
    assert keys(result.warnings) == {("loop", "survey", 3, "type")}
    assert "'count_cow'" in result.warnings[0].message
    # Export writes the loop back: pyxform gives the workbook's own data paths.
    assert list(binds(round_trip(result, tmp_path))) == list(binds(xml))


def test_broken_loops_are_refused_where_they_are(tmp_path):
    path = workbook(
        tmp_path / "loops.xlsx",
        [
            ["type", "name", "label"],
            ["text", "a", "A"],
            ["end loop", None, None],
            ["begin loop over nothing", "l", "L"],
            ["text", "b", "B"],
            ["end loop", None, None],
            ["begin loop over animals", "open", "Open"],
            ["text", "c", "C"],
        ],
        [["list_name", "name", "label"], ["animals", "cow", "Cows"]],
    )
    assert keys(read_xlsform(path).errors) == {
        ("unbalanced_group/stray", "survey", 3, "type"),
        ("unknown_list/loop", "survey", 4, "type"),
        ("unbalanced_group/open", "survey", 7, "type"),
    }


def test_a_form_without_groups_comes_back_without_groups(tmp_path):
    path = workbook(
        tmp_path / "flat.xlsx",
        [
            ["type", "name", "label"],
            ["start", "start", None],
            ["end", "end", None],
            ["today", "today", None],
            ["deviceid", "deviceid", None],
            ["username", "username", None],
            ["text", "village", "Village"],
            ["integer", "people", "People"],
            ["begin group", "more", "More"],
            ["text", "inside", "Inside"],
            ["end group", None, None],
            ["text", "last", "Last"],
        ],
    )
    original = xform(path)
    result = imported(path)
    assert result.warnings == []  # metadata is kept, not refused nor warned about
    assert result.form.data["metadata"] == [
        {"name": "start", "type": "start"},
        {"name": "end", "type": "end"},
        {"name": "today", "type": "today"},
        {"name": "deviceid", "type": "deviceid"},
        {"name": "username", "type": "username"},
    ]
    exported = round_trip(result, tmp_path)
    # The same data paths as the original: no section_1 around the loose questions.
    assert list(binds(exported)) == list(binds(original))
    assert {"/data/village", "/data/more/inside", "/data/deviceid"} <= set(binds(exported))
    assert "section_" not in exported
    assert 'jr:preloadParams="start"' in binds(exported)["/data/start"]


def test_metadata_names_are_not_answers_to_refer_to(tmp_path):
    path = workbook(
        tmp_path / "meta.xlsx",
        [
            ["type", "name", "label", "relevant"],
            ["start", "began", None, None],
            ["start", "began", None, None],
            ["text", "a", "A", "${began} != ''"],
            ["email", "email", None, None],
        ],
    )
    result = read_xlsform(path)
    assert keys(result.errors) == {
        ("duplicate_name", "survey", 3, "name"),
        ("unknown_reference", "survey", 4, "relevant"),
    }
    assert keys(result.warnings) == {("ignored_type/metadata", "survey", 5, "type")}


def test_metadata_and_ungrouped_pages_in_a_json_definition():
    from collector.forms import FormError, load_form

    form = {
        "form_id": "f",
        "version": "1",
        "title": {"en": "F"},
        "sections": [
            {
                "name": "section_1",
                "label": {"en": "F"},
                "ungrouped": True,
                "questions": [{"name": "a", "type": "text", "label": {"en": "A"}}],
            }
        ],
        "metadata": [{"name": "began", "type": "start"}, {"name": "device", "type": "deviceid"}],
    }
    assert load_form(form).data["metadata"][1] == {"name": "device", "type": "deviceid"}
    for metadata, expected in (
        ([{"name": "a", "type": "start"}], "'a' is used twice"),
        ([{"name": "b", "type": "email"}], "Must be one of"),
    ):
        with pytest.raises(FormError, match=expected):
            load_form({**form, "metadata": metadata})
