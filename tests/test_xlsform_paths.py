"""Data paths that survive a round trip, and the form's instance name.

A repeat inside a group (one or two deep), and a group between a repeat and the repeat
inside it, are written back by export-xlsform where they stood, so pyxform gives the
original's data paths. The settings sheet's instance_name is kept, checked like a
calculation, written back, and names each record where people find it on the hub, computed
from its answers in the page's language. A name made of answers that do not leave the laptop
as they are is shown to the record's enumerator only, and reaches no sync payload, no byte
of the server's database and no export. A real hub and a real server on loopback."""

from __future__ import annotations

import csv
import html
import io
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from collector.db import open_database
from collector.forms import FormError, load_form
from collector.passwords import hash_secret
from collector.record_names import is_private, record_name
from collector.sync_client import SyncClient, enroll
from collector.xlsform import read_xlsform, to_xlsform, xlsform_rows
from support import PIN, database_bytes, import_forms, query
from sync_server.cli import cli as server_cli
from sync_server.forms import publish
from sync_server.store import Store
from test_sync import OPERATOR, add_operator
from test_xlsform_nested import data_paths, xform_of
from test_xlsform_spec_suite import post_sections
from workbooks import write_workbook

SERVER_ENGINES = ("sqlite",)  # the subject is what the hub sends, not the server's storage

HEADER = ["type", "name", "label::English (en)", "label::Français (fr)", "relevant"]
HEADER += ["repeat_count", "identifying"]
YES_NO = [
    ["list_name", "name", "label::English (en)", "label::Français (fr)"],
    ["yn", "yes", "Yes", "Oui"],
    ["yn", "no", "No", "Non"],
]
# A repeat in a group, with questions of the group on both sides of it.
ONE_GROUP = [
    HEADER,
    ["begin group", "household", "Household", "Ménage"],
    ["integer", "hh_size", "People", "Personnes"],
    ["begin repeat", "members", "Member", "Membre", None, "${hh_size}"],
    ["text", "member_job", "Work", "Travail"],
    ["end repeat", "members"],
    ["text", "hh_note", "Anything else?", "Autre chose ?"],
    ["end group", "household"],
]
# A repeat two groups deep, the inner group with a relevant of its own.
TWO_GROUPS = [
    HEADER,
    ["begin group", "site", "Site", "Site"],
    ["integer", "n_wells", "Wells", "Puits"],
    ["begin group", "wells", "The wells", "Les puits", "${n_wells} > 0"],
    ["begin repeat", "well", "Well", "Puits", "${n_wells} < 10", "${n_wells}"],
    ["integer", "depth", "Depth", "Profondeur"],
    ["end repeat", "well"],
    ["text", "wells_note", "Note", "Note"],
    ["end group", "wells"],
    ["end group", "site"],
]
# A group between a repeat and the repeat inside it, a question after the inner repeat.
BETWEEN = [
    HEADER,
    ["integer", "n_homes", "Homes", "Foyers"],
    ["begin repeat", "homes", "Home", "Foyer", None, "${n_homes}"],
    ["integer", "n_people", "People", "Personnes"],
    ["begin group", "residents", "Residents", "Résidents", "${n_people} > 0"],
    ["begin repeat", "people", "Person", "Personne", None, "${n_people}"],
    ["integer", "age", "Age", "Âge"],
    ["end repeat", "people"],
    ["select_one yn", "all_here", "Everyone here?", "Tous là ?"],
    ["end group", "residents"],
    ["end repeat", "homes"],
]
# The record's name: a choice's label (in the page's language) and a repeat's count.
NAMED = [
    HEADER,
    ["begin group", "visit", "Visit", "Visite"],
    ["select_one yn", "visited", "Visited?", "Visité ?"],
    ["begin repeat", "rooms", "Room", "Pièce"],
    ["integer", "room_size", "Size", "Taille"],
    ["end repeat", "rooms"],
    ["end group", "visit"],
]
NAMED_AS = "concat(jr:choice-name(${visited}, '${visited}'), ' / ', count(${rooms}), ' rooms')"
# A name made of a respondent's name: identifying, never leaves the laptop.
PLANTED = "Wanjiru Kamau-Otieno"
PRIVATE = [
    HEADER,
    ["begin group", "intake", "Intake", "Accueil"],
    ["text", "respondent", "Name", "Nom", None, None, "yes"],
    ["integer", "household", "People", "Personnes"],
    ["end group", "intake"],
]
PRIVATE_AS = "concat(${respondent}, ' (', ${household}, ')')"
WORKBOOKS = {
    "one_group": (ONE_GROUP, None, "/data/household/members/member_job"),
    "two_groups": (TWO_GROUPS, None, "/data/site/wells/well/depth"),
    "between": (BETWEEN, None, "/data/homes/residents/people/age"),
    "instance_name": (NAMED, NAMED_AS, "/data/meta/instanceName"),
}


def workbook(folder: Path, form_id: str, survey, instance_name=None) -> Path:
    settings = [["form_id", "version", "default_language"], [form_id, "1", "English (en)"]]
    if instance_name:
        settings[0].append("instance_name")
        settings[1].append(instance_name)
    return write_workbook(folder / f"{form_id}.xlsx", survey, YES_NO, settings)


def imported(folder: Path, form_id: str, survey, instance_name=None):
    result = read_xlsform(workbook(folder, form_id, survey, instance_name))
    assert result.ok and result.errors == [], [str(p) for p in result.errors]
    return result


def without_added_appearance(sections: list[dict]) -> list[dict]:
    """Sections as compared after a round trip: export shows each page's group on one
    screen (field-list), which the groups then remember."""
    text = json.dumps(sections).replace(', "appearance": "field-list"', "")
    return json.loads(text)


# -- The round trip --------------------------------------------------------------------------


@pytest.mark.parametrize("which", sorted(WORKBOOKS))
def test_export_gives_the_original_data_paths(which, tmp_path):
    survey, instance_name, path = WORKBOOKS[which]
    original = workbook(tmp_path, which, survey, instance_name)
    result = imported(tmp_path, which, survey, instance_name)
    exported = tmp_path / "exported" / f"{which}.xlsx"
    exported.parent.mkdir()
    to_xlsform(result.form, exported)
    before, after = data_paths(xform_of(original)), data_paths(xform_of(exported))
    assert after == before and path in after
    back = read_xlsform(exported)
    assert back.ok and back.errors == [], [str(p) for p in back.errors]
    assert without_added_appearance(back.form.data["sections"]) == result.form.data["sections"]
    assert back.form.data.get("instance_name") == instance_name


def test_a_repeat_remembers_the_groups_it_stands_in(tmp_path):
    form = imported(tmp_path, "two_groups", TWO_GROUPS).form
    site = {"name": "site", "label": {"en": "Site", "fr": "Site"}}
    wells = {"name": "wells", "label": {"en": "The wells", "fr": "Les puits"}}
    wells["relevant"] = "${n_wells} > 0"
    well = form.section("well")
    assert well["groups"] == [site, wells]
    # The page still carries every condition around it: the groups' and its own.
    assert well["relevant"] == "(${n_wells} > 0) and (${n_wells} < 10)"
    # The group's questions after the repeat: a page that continues `site`, inside `wells`.
    after = form.sections[-1]
    assert after["groups"] == [site] and after["name"] == "site_2"
    assert form.questions["wells_note"].groups == [wells]
    # Export: the repeat's own relevant on its row, the group's on the group's row.
    rows = xlsform_rows(form)["survey"]
    header = rows[0]
    at = header.index("relevant")
    kept = [(*row[:2], row[at]) if len(row) > at else (row[0], None, None) for row in rows[1:]]
    assert kept == [
        ("begin group", "site", None),
        ("integer", "n_wells", None),
        ("begin group", "wells", "${n_wells} > 0"),
        ("begin repeat", "well", "${n_wells} < 10"),
        ("integer", "depth", None),
        ("end repeat", None, None),
        ("text", "wells_note", None),
        ("end group", None, None),
        ("end group", None, None),
    ]


def test_a_group_label_missing_a_language_is_said_once(tmp_path):
    survey = [row[:] for row in ONE_GROUP]
    survey[1] = ["begin group", "household", "Household", None]
    result = imported(tmp_path, "one_group", survey)
    assert [(p.key, p.row) for p in result.warnings] == [
        ("missing_translation", 2),
        ("split_group", 7),
    ]
    assert result.form.section("members")["groups"] == [
        {"name": "household", "label": {"en": "Household"}}
    ]


def test_a_repeat_inside_a_repeat_remembers_the_group_between(tmp_path):
    form = imported(tmp_path, "between", BETWEEN).form
    people = form.section("people")
    assert people["within"] == "homes" and [g["name"] for g in people["groups"]] == ["residents"]
    assert people["relevant"] == "${n_people} > 0"
    survey = [row[:2] for row in xlsform_rows(form)["survey"][1:]]
    inside = survey[survey.index(["begin group", "residents"]) :]
    assert inside[:4] == [
        ["begin group", "residents"],
        ["select_one yn", "all_here"],
        ["begin repeat", "people"],
        ["integer", "age"],
    ]


def test_old_stored_forms_load_without_the_new_keys(tmp_path):
    definition = imported(tmp_path, "two_groups", TWO_GROUPS).definition
    old = json.loads(json.dumps(definition))
    for section in old["sections"]:
        section.pop("groups", None)
    form = load_form(old)
    assert form.data.get("instance_name") is None
    assert record_name(form, {"n_wells": 2}, may_open=False) is None
    # Written as before the groups were kept: the repeat at the top, its group split.
    rows = [row[:2] for row in xlsform_rows(form)["survey"][1:]]
    assert rows[2:4] == [["end group"], ["begin repeat", "well"]]


# -- instance_name: kept and checked ----------------------------------------------------------


def test_instance_name_is_kept_and_checked_like_a_calculation(tmp_path):
    result = imported(tmp_path, "named", NAMED, NAMED_AS)
    assert result.definition["instance_name"] == NAMED_AS
    assert [p.key for p in result.warnings] == []
    assert xlsform_rows(result.form)["settings"][0][-1] == "instance_name"
    unknown = read_xlsform(workbook(tmp_path, "unknown", NAMED, "concat(${visitor}, 'x')"))
    assert [(p.key, p.sheet, p.row) for p in unknown.errors] == [
        ("unknown_reference", "settings", 2)
    ]
    broken = read_xlsform(workbook(tmp_path, "broken", NAMED, "concat(${visited},"))
    assert [(p.key, p.sheet) for p in broken.errors] == [("bad_expression", "settings")]
    definition = dict(result.definition, instance_name="concat(${nobody}, '')")
    with pytest.raises(FormError, match="nobody"):
        load_form(definition)


def test_a_name_from_answers_that_leave_as_they_are_is_not_private(tmp_path):
    named = imported(tmp_path, "named", NAMED, NAMED_AS).form
    private = imported(tmp_path, "private", PRIVATE, PRIVATE_AS).form
    assert not is_private(named) and is_private(private)
    answers = {"respondent": PLANTED, "household": 4}
    assert record_name(private, answers, may_open=True) == f"{PLANTED} (4)"
    assert record_name(private, answers, may_open=False) is None
    # A free-text answer is scrubbed before it leaves: it makes a private name too.
    free = imported(tmp_path, "free", ONE_GROUP, "concat('hh-', ${hh_note})").form
    assert is_private(free)


# -- On the hub ------------------------------------------------------------------------------


def fill(hub, form, answers) -> str:
    phone = hub.browser("en")
    phone.signin()
    return post_sections(phone, form, answers)


def names_on(hub, path: str, lang: str) -> list[str]:
    phone = hub.browser(lang)
    phone.signin()
    page = phone.get(path)
    assert page.status_code == 200
    found = re.findall(r'<(?:span|p) class="record-name" dir="auto">([^<]*)<', page.text)
    return [html.unescape(name) for name in found]


def test_the_record_lists_name_each_record_in_the_page_language(hub, tmp_path):
    form = imported(tmp_path, "named", NAMED, NAMED_AS).form
    import_forms(hub.app.config["DATABASE"], form.data)
    answers = {"visited": "yes", "_repeat.rooms": "2", "room_size.1": "9", "room_size.2": "12"}
    draft = fill(hub, form, answers)
    assert names_on(hub, "/records", "en") == ["Yes / 2 rooms"]
    assert names_on(hub, "/records", "fr") == ["Oui / 2 rooms"]
    assert names_on(hub, f"/records/{draft}/review", "fr") == ["Oui / 2 rooms"]
    # Finalized, the record keeps its name; a second record gets its own.
    phone = hub.browser("en")
    phone.signin()
    assert phone.post(f"/records/{draft}/finalize", {}).status_code == 200
    fill(hub, form, {"visited": "no", "_repeat.rooms": "1", "room_size.1": "5"})
    assert names_on(hub, "/records?status=finalized", "en") == ["Yes / 2 rooms"]
    assert sorted(names_on(hub, "/records", "fr")) == ["Non / 1 rooms", "Oui / 2 rooms"]
    # Nothing of it is stored: the records hold their answers only.
    for row in query(hub.app.config["DATABASE"], "SELECT * FROM records"):
        assert "rooms'" not in json.dumps(dict(row)) and " / " not in json.dumps(dict(row))


def test_a_name_from_a_name_question_never_leaves_the_laptop(hub, central, tmp_path):
    form = imported(tmp_path, "private", PRIVATE, PRIVATE_AS).form
    db_path = Path(hub.app.config["DATABASE"])
    import_forms(db_path, form.data)
    store = Store(central.database)
    publish(store, json.dumps(form.data), "admin")
    store.close()
    record_uuid = fill(hub, form, {"respondent": PLANTED, "household": "4"})
    phone = hub.browser("en")
    phone.signin()
    assert phone.post(f"/records/{record_uuid}/finalize", {}).status_code == 200
    # The enumerator, who may open the record, finds it by the name.
    assert names_on(hub, "/records", "en") == [f"{PLANTED} (4)"]
    preview = html.unescape(phone.get(f"/sync/preview/{record_uuid}").text)
    assert "(4)" not in preview and PLANTED not in preview
    db = open_database(db_path)
    try:
        credentials = enroll(db, hub.app.config["DATA_DIR"], central.url, central.enrollment_code())
        report = SyncClient(db, credentials).sync()
    finally:
        db.close()
    assert report.reconcile["agree"]
    [stored] = query(central.database, "SELECT answers FROM records")
    assert json.loads(stored["answers"])["household"] == 4  # the record did arrive
    everything = database_bytes(central.database)
    for part in (PLANTED, *PLANTED.split(), *PLANTED.split("-")):
        assert part.encode() not in everything, part
    csv_path = tmp_path / "private.csv"
    exported = CliRunner().invoke(
        server_cli,
        ["export", "--form", "private", "--format", "csv", "--output", str(csv_path)]
        + ["--raw-records", "--reason", "instance name check"]
        + ["--data-dir", central.app.config["DATA_DIR"]],
        catch_exceptions=False,
    )
    assert exported.exit_code == 0, exported.output
    text = csv_path.read_text("utf-8-sig")
    assert PLANTED not in text and "Wanjiru" not in text
    [header, *_] = list(csv.reader(io.StringIO(text)))
    assert "instanceName" not in header and "instance_name" not in header


def with_remarks(survey: list) -> list:
    """The survey with a free-text question before its last row: a record to hold."""
    return [*survey[:-1], ["text", "remarks", "Remarks", "Remarques"], survey[-1]]


def test_the_operator_reviewing_held_text_sees_only_names_that_are_not_private(hub, tmp_path):
    named = imported(tmp_path, "named_held", with_remarks(NAMED), NAMED_AS).form
    private = imported(tmp_path, "private_held", with_remarks(PRIVATE), PRIVATE_AS).form
    import_forms(hub.app.config["DATABASE"], named.data, private.data)
    hub.app.config["HUB"]["hold_free_text_for_review"] = ["named_held", "private_held"]
    phone = hub.browser("en")
    phone.signin()
    remarks = "The roof leaks by the door."
    answers = {"visited": "yes", "_repeat.rooms": "1", "room_size.1": "9", "remarks": remarks}
    for form, given in ((named, answers), (private, {"respondent": PLANTED, "remarks": remarks})):
        record_uuid = post_sections(phone, form, {**given, "household": "4"})
        assert phone.post(f"/records/{record_uuid}/finalize", {}).status_code == 200
    add_operator(hub)
    desk = hub.browser("en")
    desk.signin(*OPERATOR)
    page = desk.get("/sync/review")
    assert page.status_code == 200 and page.text.count(html.escape(remarks)) == 2
    names = [
        html.unescape(n) for n in re.findall(r'class="record-name" dir="auto">([^<]*)<', page.text)
    ]
    assert names == ["Yes / 1 rooms"]
    assert PLANTED not in html.unescape(page.text)
    # The enumerator, whose records they are, sees both names.
    assert sorted(names_on(hub, "/records", "en")) == [f"{PLANTED} (4)", "Yes / 1 rooms"]
