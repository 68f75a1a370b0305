"""XLSForm loops (`begin loop over LIST` … `end loop`): each question is on the hub once per
choice under a name of its own (`count_cow`), which records, the server and exports use;
the definition keeps the loop as the workbook wrote it, so export-xlsform writes it back and
pyxform gives the exported workbook exactly the original's data paths. The pages of a loop
form are filled on a real hub, before and after its list gains a choice."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from collector.forms import FormError, load_form
from collector.xlsform import read_xlsform, to_xlsform, xlsform_rows
from support import import_forms, query
from test_xlsform_nested import data_paths, xform_of
from test_xlsform_spec_suite import post_sections
from workbooks import imported, write_workbook

HEADER = ["type", "name", "label::English (en)", "label::Français (fr)", "relevant"]
HEADER += ["hint::English (en)", "hint::Français (fr)"]
# Two loops over one list (one in a group, the second at the top), and one over another
# list in a repeat; labels, hints and relevants name the choice with %(label)s and %(name)s.
SURVEY = [
    HEADER,
    ["select_multiple animals", "kept", "Animals kept", "Animaux gardés"],
    ["begin group", "farm", "Farm", "Ferme"],
    ["text", "farm_name", "Farm name", "Nom de la ferme"],
    ["begin loop over animals", "livestock", "Livestock", "Bétail", "count(${kept}) > 0"],
    [
        "integer",
        "count",
        "How many %(label)s?",
        "Combien de %(label)s ?",
        "selected(${kept}, '%(name)s')",
        "Count every %(label)s",
        "Comptez chaque %(label)s",
    ],
    ["begin group", "sales", "Sales", "Ventes", "${farm_name} != '%(label)s'"],
    ["integer", "sold", "%(label)s sold", "%(label)s vendus", "${kept} != ''"],
    ["end group", "sales"],
    ["end loop", None],
    ["end group", "farm"],
    ["begin loop over animals", "health", "Health", "Santé"],
    ["select_one yn", "vaccinated", "%(label)s vaccinated?", "%(label)s vaccinés ?"],
    ["end loop", None],
    ["integer", "n_members", "People", "Personnes"],
    ["begin repeat", "members", "Member", "Membre"],
    ["text", "member_name", "Name", "Nom"],
    ["begin loop over meals", "eating", "Meals", "Repas"],
    ["select_one yn", "ate", "Ate at %(label)s?", "A mangé au %(label)s ?"],
    ["end loop", None],
    ["end repeat", "members"],
]
ANIMALS = [["animals", "cow", "cows", "vaches"], ["animals", "goat", "goats", "chèvres"]]
CHOICES = [
    ["list_name", "name", "label::English (en)", "label::Français (fr)"],
    *ANIMALS,
    ["meals", "breakfast", "breakfast", "petit-déjeuner"],
    ["meals", "dinner", "dinner", "dîner"],
    ["yn", "yes", "Yes", "Oui"],
    ["yn", "no", "No", "Non"],
]
PIG = ["animals", "pig", "pigs", "cochons"]


def workbook(folder: Path, version: str = "1", choices=CHOICES) -> Path:
    settings = [["form_id", "version", "default_language"], ["herds", version, "English (en)"]]
    return write_workbook(folder / f"herds_v{version}.xlsx", SURVEY, choices, settings)


def exported_paths(form, folder: Path) -> set[str]:
    target = folder / "exported" / "herds.xlsx"
    target.parent.mkdir(exist_ok=True)
    to_xlsform(form, target)
    return data_paths(xform_of(target))


# -- The definition ------------------------------------------------------------------------


def test_the_questions_are_on_the_hub_once_per_choice(tmp_path):
    form = imported(workbook(tmp_path)).form
    assert [s["name"] for s in form.sections] == [
        "section_1",
        "farm",
        "health_cow",
        "health_goat",
        "section_2",
        "members",
    ]
    assert [q["name"] for q in form.section("farm")["questions"]] == [
        "farm_name",
        *("count_cow", "sold_cow", "count_goat", "sold_goat"),
    ]
    count = form.questions["count_goat"]
    assert count.label == {"en": "How many goats?", "fr": "Combien de chèvres ?"}
    assert count.hint == {"en": "Count every goats", "fr": "Comptez chaque chèvres"}
    assert count.relevant == "(count(${kept}) > 0) and (selected(${kept}, 'goat'))"
    assert [g["name"] for g in form.questions["sold_cow"].groups] == ["livestock_cow", "sales_cow"]
    assert form.questions["sold_cow"].relevant == (
        "(count(${kept}) > 0) and (${farm_name} != 'cows') and (${kept} != '')"
    )
    assert [q["name"] for q in form.section("members")["questions"]] == [
        *("member_name", "ate_breakfast", "ate_dinner"),
    ]


def test_the_definition_keeps_each_loop_as_written(tmp_path):
    form = imported(workbook(tmp_path)).form
    livestock, health, eating = form.data["loops"]
    assert {k: v for k, v in livestock.items() if k != "rows"} == {
        "name": "livestock",
        "list": "animals",
        "label": {"en": "Livestock", "fr": "Bétail"},
        "relevant": "count(${kept}) > 0",
        "copies": ["livestock_cow", "livestock_goat"],
    }
    assert livestock["rows"][0] == {
        "type": "integer",
        "name": "count",
        "label": {"en": "How many %(label)s?", "fr": "Combien de %(label)s ?"},
        "hint": {"en": "Count every %(label)s", "fr": "Comptez chaque %(label)s"},
        "relevant": "selected(${kept}, '%(name)s')",
    }
    assert [row["type"] for row in livestock["rows"]] == [
        *("integer", "begin group", "integer", "end group"),
    ]
    assert health["copies"] == ["health_cow", "health_goat"] and "relevant" not in health
    assert eating["list"] == "meals" and eating["copies"] == ["eating_breakfast", "eating_dinner"]
    # The stored definition loads again as it is.
    assert load_form(json.loads(form.to_json())).to_json() == form.to_json()


def test_a_loop_names_a_list_of_the_form_and_rows_of_texts(tmp_path):
    definition = imported(workbook(tmp_path)).definition
    for change, said in [
        (lambda loop: loop.update(list="crops"), "no choice list named 'crops'"),
        (lambda loop: loop.update(copies=[]), "copies"),
        (lambda loop: loop["rows"].append({"name": "x"}), "has its type"),
        (lambda loop: loop["rows"].append({"type": "text", "label": {"en": 3}}), "'label'"),
    ]:
        broken = json.loads(json.dumps(definition))
        change(broken["loops"][0])
        with pytest.raises(FormError) as raised:
            load_form(broken)
        assert said in str(raised.value), (said, str(raised.value))


def test_a_definition_without_loops_still_loads(tmp_path):
    definition = imported(workbook(tmp_path)).definition
    definition.pop("loops")
    form = load_form(definition)
    # Without the loops, export writes each copy as a group of its own.
    assert "/data/farm/livestock_cow/count_cow" in exported_paths(form, tmp_path)


# -- Written back --------------------------------------------------------------------------


def test_export_writes_the_loops_back_with_the_original_data_paths(tmp_path):
    path = workbook(tmp_path)
    result = imported(path)
    original = data_paths(xform_of(path))
    assert exported_paths(result.form, tmp_path) == original
    assert {
        "/data/farm/livestock/cow/count",
        "/data/farm/livestock/goat/sales/sold",
        "/data/health/goat/vaccinated",
        "/data/members/eating/dinner/ate",
    } <= original
    survey = xlsform_rows(result.form)["survey"]
    types = [row[0] for row in survey[1:]]
    assert types.count("begin loop over animals") == 2
    assert types.count("end loop") == 3 and "begin group" in types
    begin = survey[1 + types.index("begin loop over meals")]
    assert begin[1:4] == ["eating", "Meals", "Repas"]
    sold = next(row for row in survey if row[1] == "sold")
    assert sold[2:4] == ["%(label)s sold", "%(label)s vendus"]
    sales = next(row for row in survey if row[1] == "sales")
    assert "${farm_name} != '%(label)s'" in sales
    # Imported again, the export is the same form.
    back = imported(tmp_path / "exported" / "herds.xlsx")
    assert back.definition == result.definition


def test_a_loop_inside_a_loop_comes_back_inside_it(tmp_path):
    path = write_workbook(
        tmp_path / "nested_loops.xlsx",
        [
            ["type", "name", "label"],
            ["begin loop over plots", "plot", "Plot"],
            ["begin loop over seasons", "season", "Season"],
            ["integer", "yield", "Yield of %(label)s"],
            ["end loop", None],
            ["text", "crop", "Crop"],
            ["end loop", None],
        ],
        [
            ["list_name", "name", "label"],
            *(["plots", name, name.title()] for name in ("north", "south")),
            *(["seasons", name, name.title()] for name in ("wet", "dry")),
        ],
        [["form_id", "version"], ["plots", "1"]],
    )
    result = imported(path)
    [loop] = result.form.data["loops"]  # the inner loop is among the outer one's rows
    assert [row["type"] for row in loop["rows"]] == [
        *("begin loop over seasons", "integer", "end loop", "text"),
    ]
    paths = exported_paths(result.form, tmp_path)
    assert paths == data_paths(xform_of(path)) and "/data/plot/south/season/dry/yield" in paths


def test_a_prompt_of_a_loop_row_is_written_back_on_it(tmp_path):
    path = write_workbook(
        tmp_path / "prompted.xlsx",
        [
            ["type", "name", "label", "audio"],
            ["begin loop over animals", "livestock", "Livestock"],
            ["integer", "count", "How many %(label)s?", "count_%(name)s.mp3"],
            ["end loop", None],
        ],
        [["list_name", "name", "label"], *([row[0], row[1], row[2]] for row in ANIMALS)],
        [["form_id", "version"], ["prompted", "1"]],
    )
    result = read_xlsform(path)  # the recordings are not beside it: said, and named still
    assert result.ok and {p.key for p in result.warnings} == {"loop", "prompt/missing_file"}
    assert result.form.questions["count_goat"].media == {"audio": {"en": "count_goat.mp3"}}
    assert result.form.data["loops"][0]["rows"][0]["media"] == {
        "audio": {"en": "count_%(name)s.mp3"}
    }
    survey = xlsform_rows(result.form)["survey"]
    count = next(row for row in survey if row[1] == "count")
    assert count[survey[0].index("audio::English (en)")] == "count_%(name)s.mp3"
    exported = tmp_path / "exported" / "prompted.xlsx"
    exported.parent.mkdir()
    to_xlsform(result.form, exported)
    assert read_xlsform(exported).definition == result.definition
    broken = json.loads(json.dumps(result.definition))
    broken["loops"][0]["rows"][0]["media"] = "count.mp3"
    with pytest.raises(FormError):
        load_form(broken)


def test_a_list_that_gains_a_choice_gives_a_new_version_its_copies(tmp_path):
    first = imported(workbook(tmp_path)).form
    path = workbook(tmp_path, "2", [*CHOICES, PIG])
    second = imported(path).form
    # The earlier copies keep their names (the records' answers); the new choice adds its own.
    assert set(first.questions) < set(second.questions)
    assert set(second.questions) - set(first.questions) == {
        "count_pig",
        "sold_pig",
        "vaccinated_pig",
    }
    assert second.data["loops"][0]["copies"][-1] == "livestock_pig"
    paths = exported_paths(second, tmp_path)
    assert paths == data_paths(xform_of(path)) and "/data/health/pig/vaccinated" in paths


# -- On the hub ------------------------------------------------------------------------------

ANSWERS = {
    "kept": ["cow"],
    "farm_name": "Hilltop",
    "count_cow": "4",
    "sold_cow": "1",
    "vaccinated_cow": "yes",
    "vaccinated_goat": "no",
    "n_members": "1",
    "_repeat.members": "1",
    "member_name.1": "Amina",
    "ate_breakfast.1": "yes",
    "ate_dinner.1": "no",
}
STORED = {
    "kept": ["cow"],
    "farm_name": "Hilltop",
    "count_cow": 4,
    "sold_cow": 1,
    "vaccinated_cow": "yes",
    "vaccinated_goat": "no",
    "n_members": 1,
    "members": [{"member_name": "Amina", "ate_breakfast": "yes", "ate_dinner": "no"}],
}


def answers_of(hub, record_uuid: str) -> dict:
    [row] = query(
        hub.app.config["DATABASE"], "SELECT answers FROM records WHERE uuid = ?", [record_uuid]
    )
    return json.loads(row["answers"])


def review(hub, record_uuid: str, lang: str = "en") -> str:
    phone = hub.browser(lang)
    phone.signin()
    page = phone.get(f"/records/{record_uuid}/review")
    assert page.status_code == 200
    return page.text


def test_a_loop_form_is_filled_on_the_hub_before_and_after_its_list_grows(hub, tmp_path):
    db_path = hub.app.config["DATABASE"]
    first = imported(workbook(tmp_path)).form
    import_forms(db_path, first.data)
    phone = hub.browser("en")
    phone.signin()
    before = post_sections(phone, first, ANSWERS)
    assert answers_of(hub, before) == STORED
    page = review(hub, before, "fr")
    assert "Combien de vaches ?" in page and "Combien de chèvres ?" not in page
    # A new version whose list has one more choice: its copies join the pages.
    second = imported(workbook(tmp_path, "2", [*CHOICES, PIG])).form
    import_forms(db_path, second.data)
    phone = hub.browser("en")
    phone.signin()
    after = post_sections(phone, second, {**ANSWERS, "vaccinated_pig": "yes"})
    assert answers_of(hub, after) == {**STORED, "vaccinated_pig": "yes"}
    assert "pigs vaccinated?" in review(hub, after)
    # The first record still reads as it was filled.
    assert answers_of(hub, before) == STORED
    assert "cows vaccinated?" in review(hub, before)
