"""Entity lists: a registration form's records make entities on the hub, and follow-up
forms choose from them (`select_one_from_file households.csv`) and update them.

The workbooks are written by the test; the hub is a real server on loopback with its own
SQLite file, filled page by page as a phone without JavaScript fills it."""

from __future__ import annotations

import html
import json
import re
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from pyxform.xls2xform import convert as pyxform_convert

from collector import create_app, protection
from collector.cli import cli
from collector.datadir import DATABASE_FILE
from collector.db import open_database
from collector.entities import list_entities
from collector.purge import purge_report
from collector.records import finalize_whole
from collector.xlsform import read_xlsform
from filling import post_page, record_of
from support import LiveHub, change, database_bytes, install_key, query
from workbooks import write_workbook

REGISTRATION = [
    ["type", "name", "label", "identifying", "privacy", "save_to"],
    ["begin group", "household", "Household", None, None, None],
    ["text", "head_name", "Head of household", "yes", "drop", "head_name"],
    ["integer", "members", "Members", None, None, "members"],
    ["select_one village", "village", "Village", None, None, "village"],
    ["end group", None, None, None, None, None],
]
VILLAGES = [
    ["list_name", "name", "label"],
    ["village", "north", "North"],
    ["village", "south", "South"],
]
VISIT = [
    ["type", "name", "label", "calculation", "choice_filter", "save_to"],
    ["begin group", "visit", "Visit", None, None, None],
    ["select_one_from_file households.csv", "hh", "Household", None, None, None],
    [
        "calculate",
        "before",
        None,
        "instance('households')/root/item[name=${hh}]/members",
        None,
        None,
    ],
    ["calculate", "where", None, "pulldata('households', 'village', 'name', ${hh})", None, None],
    ["integer", "members", "Members now", None, None, "members"],
    ["select_one yes_no", "still_here", "Still living here?", None, None, None],
    ["end group", None, None, None, None, None],
]
YES_NO = [["list_name", "name", "label"], ["yes_no", "yes", "Yes"], ["yes_no", "no", "No"]]
# A follow-up that only offers the north's households: a choice filter on a property.
NORTH = [
    ["type", "name", "label", "choice_filter"],
    ["select_one_from_file households.csv", "hh", "Household", "village = 'north'"],
]


def workbook(path: Path, survey, choices, form_id: str, entities: list[list] | None) -> Path:
    """An XLSForm with an entities sheet (rows, the header first) when one is given."""
    settings = [["form_id", "version"], [form_id, "1"]]
    write_workbook(path, survey, choices, settings)
    if entities is not None:
        book = load_workbook(path)
        sheet = book.create_sheet("entities")
        for row in entities:
            sheet.append(row)
        book.save(path)
    return path


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def write_forms(folder: Path) -> dict[str, Path]:
    folder.mkdir(exist_ok=True)
    return {
        "registration": workbook(
            folder / "registration.xlsx",
            REGISTRATION,
            VILLAGES,
            "registration",
            [["list_name", "label"], ["households", "concat(${head_name}, ' (', ${village}, ')')"]],
        ),
        "visit": workbook(
            folder / "visit.xlsx",
            VISIT,
            YES_NO,
            "visit",
            [
                ["list_name", "entity_id", "update_if"],
                ["households", "${hh}", "${still_here} = 'yes'"],
            ],
        ),
        "north": workbook(folder / "north.xlsx", NORTH, None, "north", None),
    }


@pytest.fixture
def forms(tmp_path) -> dict[str, Path]:
    return write_forms(tmp_path / "forms")


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    """One hub for the module's tests on a hub (each looks at its own records' entities):
    the three forms imported, the follow-ups before any household exists."""
    root = tmp_path_factory.mktemp("entities")
    data_dir = install_key(root / "hub-data")
    forms = write_forms(root / "forms")
    for name in ("registration", "visit", "north"):
        done = run("forms", "import", forms[name], "--data-dir", data_dir)
        assert done.exit_code == 0, done.output
    live = LiveHub(create_app(data_dir=data_dir))
    live.add_enumerator()
    live.forms, live.data_dir = forms, data_dir
    yield live
    live.stop()


@pytest.fixture(scope="module")
def phone(hub):
    phone = hub.browser("en")
    phone.signin()
    return phone


def entities_of(hub, *records: str) -> list[dict]:
    """The entities the records created, in the order they were created."""
    rows = query(
        hub.app.config["DATABASE"],
        f"SELECT * FROM entities WHERE created_by_record IN ({', '.join('?' for _ in records)})"
        " ORDER BY created_at, rowid",
        records,
    )
    return [dict(row, properties=json.loads(row["properties"])) for row in rows]


def register(phone, head: str, members: str, village: str) -> str:
    """A registration filled and finalized; the record's UUID."""
    page = phone.get("/forms/registration")
    review = post_page(
        phone, page, "registration", {"head_name": head, "members": members, "village": village}
    )
    assert review.url.endswith("/review"), html.unescape(review.text)[:1500]
    record_uuid = record_of(page)
    assert phone.post(f"/records/{record_uuid}/finalize", {}).status_code == 200
    return record_uuid


def offered(page) -> dict[str, str]:
    """The choices the page's `hh` question offers (not those its filter hides): value →
    label."""
    found = re.findall(
        r'<label class="opt"([^>]*)><input[^>]*name="hh"[^>]*value="([^"]+)"[^>]*>\s*'
        r"<span>([^<]*)</span>",
        page.text,
    )
    return {
        value: html.unescape(label).strip()
        for attributes, value, label in found
        if "hidden" not in attributes
    }


# --- on the hub ---------------------------------------------------------------------------


def test_registrations_make_entities_that_a_follow_up_chooses_from_and_updates(hub, phone):
    first = register(phone, "Halima Yusuf", "5", "north")
    second = register(phone, "Musa Ibrahim", "3", "south")
    made = entities_of(hub, first, second)
    assert [(e["list_name"], e["label"], e["created_by_record"], e["version"]) for e in made] == [
        ("households", "Halima Yusuf (north)", first, 1),
        ("households", "Musa Ibrahim (south)", second, 1),
    ]
    assert made[0]["properties"] == {
        "head_name": "Halima Yusuf",
        "members": "5",
        "village": "north",
    }
    # The follow-up, imported before any household existed, offers them now, by their ids.
    page = phone.get("/forms/visit")
    choices = offered(page)
    assert choices[made[0]["uuid"]] == "Halima Yusuf (north)"
    assert choices[made[1]["uuid"]] == "Musa Ibrahim (south)"
    refused = post_page(
        phone, page, "visit", {"hh": "not-an-entity", "members": "6", "still_here": "yes"}
    )
    assert refused.status_code == 422
    review = post_page(
        phone, page, "visit", {"hh": made[0]["uuid"], "members": "6", "still_here": "yes"}
    )
    assert review.url.endswith("/review"), html.unescape(review.text)[:1500]
    visit = record_of(page)
    assert phone.post(f"/records/{visit}/finalize", {}).status_code == 200
    [answers] = query(
        hub.app.config["DATABASE"], "SELECT answers FROM records WHERE uuid = ?", [visit]
    )
    # instance() and pulldata() read the entity's properties as they were before the visit.
    assert json.loads(answers["answers"])["before"] == "5"
    assert json.loads(answers["answers"])["where"] == "north"
    updated = entities_of(hub, first)[0]
    assert (updated["version"], updated["updated_by_record"]) == (2, visit)
    assert updated["properties"] == {
        "head_name": "Halima Yusuf",
        "members": "6",
        "village": "north",
    }
    assert updated["label"] == "Halima Yusuf (north)"  # the visit gives no label: kept
    # update_if: a household that moved away is not changed.
    page = phone.get("/forms/visit")
    post_page(phone, page, "visit", {"hh": made[1]["uuid"], "members": "9", "still_here": "no"})
    assert phone.post(f"/records/{record_of(page)}/finalize", {}).status_code == 200
    [kept] = entities_of(hub, second)
    assert (kept["properties"]["members"], kept["version"]) == ("3", 1)
    # A choice filter on a property: the north's households only.
    north = offered(phone.get("/forms/north"))
    assert made[0]["uuid"] in north and made[1]["uuid"] not in north
    assert all(label.endswith("(north)") for label in north.values())


def test_finalizing_twice_or_again_after_an_edit_makes_one_entity(hub, phone):
    record_uuid = register(phone, "Amina Said", "5", "north")
    assert phone.post(f"/records/{record_uuid}/finalize", {}).status_code == 200  # posted twice
    assert len(entities_of(hub, record_uuid)) == 1
    # A corrected registration changes the entity it made, never a second one.
    page = phone.get(f"/records/{record_uuid}/0")
    corrected = post_page(
        phone, page, "registration", {"head_name": "Amina Said", "members": "7", "village": "north"}
    )
    assert corrected.url.endswith("/review"), html.unescape(corrected.text)[:1500]
    assert phone.post(f"/records/{record_uuid}/finalize", {}).status_code == 200
    [entity] = entities_of(hub, record_uuid)
    assert (entity["properties"]["members"], entity["version"]) == ("7", 2)


def test_a_record_a_phone_delivers_twice_makes_one_entity(hub, phone):
    """The phone's outbox sends the whole record again when the hub's answer was lost."""
    record_uuid = str(uuid.uuid4())
    page = phone.get("/forms/registration/phone").text
    fields = [("_uuid", record_uuid), ("_action", "finalize"), ("form_version", "1")]
    for name, value in (("head_name", "Juma Otieno"), ("members", "2"), ("village", "south")):
        fields += [("_shown", name), (name, value)]
    for _ in range(2):
        sent = phone.post(
            "/forms/registration/submit", fields, csrf_from=page, headers={"X-Hub-Outbox": "1"}
        )
        assert sent.status_code == 200 and sent.json()["revision"] == 1, sent.text[:500]
    [entity] = entities_of(hub, record_uuid)
    assert (entity["label"], entity["version"]) == ("Juma Otieno (south)", 1)


def test_purge_removes_identifying_properties_and_the_name_in_the_label(hub, phone):
    record_uuid = register(phone, "Zainab Okafor", "4", "south")
    database = hub.app.config["DATABASE"]
    change(database, "UPDATE records SET status = 'synced' WHERE uuid = ?", [record_uuid])
    change(
        database,
        "UPDATE outbox SET state = 'sent', sent_at = '2020-01-01T00:00:00Z' WHERE uuid = ?",
        [record_uuid],
    )
    db = open_database(database)
    try:
        assert purge_report(db, after_days=30, wait_seconds=1).synced == 1
    finally:
        db.close()
    [entity] = entities_of(hub, record_uuid)
    assert entity["properties"] == {"members": "4", "village": "south"}
    assert "Zainab" not in entity["label"] and "Okafor" not in entity["label"]
    assert entity["label"].endswith("(south)")


def test_entities_are_sealed_like_answers_in_a_protected_folder(tmp_path):
    """A label names a person: in a protected folder it is stored encrypted, those written
    before protection was turned on included."""
    data_dir = install_key(tmp_path / "hub-data")
    form = read_xlsform(write_forms(tmp_path / "forms")["registration"]).form
    database = data_dir / DATABASE_FILE
    answers = {"head_name": "Halima Yusuf", "members": 5, "village": "north"}
    db = open_database(database)
    finalize_whole(db, str(uuid.uuid4()), form, "en", None, answers)
    db.close()
    protection.turn_on(data_dir, "correct horse battery staple")
    try:
        assert protection.seal_folder(data_dir).values >= 2
        db = open_database(database)
        finalize_whole(db, str(uuid.uuid4()), form, "en", None, {**answers, "village": "south"})
        labels = [entity["label"] for entity in list_entities(db, "households")]
        db.close()
        assert labels == ["Halima Yusuf (north)", "Halima Yusuf (south)"]
        for row in query(database, "SELECT label, properties FROM entities"):
            assert protection.is_sealed(row["label"]) and protection.is_sealed(row["properties"])
        assert b"Halima" not in database_bytes(database)
    finally:
        protection.forget(data_dir)


# --- importing ----------------------------------------------------------------------------


def test_a_list_no_form_declares_yet_imports_with_a_warning_and_no_choices(forms, data_dir):
    done = run("forms", "import", forms["north"], "--data-dir", data_dir)
    assert done.exit_code == 0, done.output
    assert (
        "survey row 2, column type: There is no choice file households.csv and no entity "
        "list 'households'" in done.output
    )
    [row] = query(data_dir / "collector.db", "SELECT definition FROM forms")
    assert json.loads(row["definition"])["entity_choices"] == {"households": "households"}
    # Once the registration is on the hub, the same form imports without the warning.
    assert run("forms", "import", forms["registration"], "--data-dir", data_dir).exit_code == 0
    workbook(forms["north"], NORTH, None, "north2", None)
    again = run("forms", "import", forms["north"], "--data-dir", data_dir)
    assert again.exit_code == 0 and "households" not in again.output, again.output


def test_away_from_a_hub_a_missing_list_file_stays_an_error_unless_the_form_declares_it(tmp_path):
    """The central server knows no entity lists: a follow-up that only chooses from one is
    refused there as a form without its choice file; one that updates the list is taken."""
    chooser = read_xlsform(workbook(tmp_path / "north.xlsx", NORTH, None, "north", None))
    assert [(p.sheet, p.row, p.column, p.key) for p in chooser.errors] == [
        ("survey", 2, "type", "external_data/missing_file")
    ]
    visit = write_forms(tmp_path / "forms")["visit"]
    updater = read_xlsform(visit)
    assert updater.ok and updater.warnings == [], [str(p) for p in updater.errors]
    assert updater.definition["entity_choices"] == {"households": "households"}


@pytest.mark.parametrize(
    "entities, survey_change, message",
    [
        (
            [["list_name", "label"], ["households", "concat(${head_name}"]],
            None,
            "entities row 2, column label:",
        ),
        (
            [["list_name", "label"], ["households", "${nobody}"]],
            None,
            "entities row 2, column label: The expression refers to '${nobody}'",
        ),
        (
            [["list_name", "label"], ["house.holds", "${head_name}"]],
            None,
            "entities row 2, column list_name:",
        ),
        (
            [["list_name"], ["households"]],
            None,
            "entities row 2, column label: The entity list 'households' needs a label",
        ),
        (
            [["list_name", "update_if"], ["households", "true()"]],
            None,
            "entities row 2, column entity_id: update_if needs an entity_id",
        ),
        (
            [["list_name", "label", "colour"], ["households", "${head_name}", "red"]],
            None,
            "entities row 1, column colour: The entities sheet has no column 'colour'",
        ),
        (
            [["list_name", "label"], ["households", "${head_name}"]],
            (3, "name"),
            "survey row 4, column save_to: 'name' is not a usable entity property",
        ),
        (
            [["list_name", "label"], ["households", "${head_name}"]],
            (3, "head_name"),
            "survey row 4, column save_to: The property 'head_name' is already saved from row 3",
        ),
        (
            None,
            None,
            "survey row 3, column save_to: save_to needs an entities sheet",
        ),
    ],
)
def test_a_bad_declaration_is_refused_where_it_is_and_nothing_is_imported(
    tmp_path, data_dir, entities, survey_change, message
):
    survey = [list(row) for row in REGISTRATION]
    if survey_change:
        index, value = survey_change
        survey[index][5] = value
    path = workbook(tmp_path / "bad.xlsx", survey, VILLAGES, "bad", entities)
    done = run("forms", "import", path, "--data-dir", data_dir)
    assert done.exit_code == 1, done.output
    assert message in done.output
    assert query(data_dir / "collector.db", "SELECT count(*) AS n FROM forms")[0]["n"] == 0


def test_an_entity_list_taken_from_a_repeat_is_left_out_row_by_row(tmp_path):
    survey = [
        ["type", "name", "label", "save_to"],
        ["begin repeat", "members", "Members", None],
        ["text", "member", "Name", "member_name"],
        ["end repeat", None, None, None],
    ]
    path = workbook(
        tmp_path / "people.xlsx",
        survey,
        None,
        "people",
        [["list_name", "label"], ["people", "${member}"]],
    )
    result = read_xlsform(path)
    assert result.ok, [str(p) for p in result.errors]
    assert "entities" not in result.definition
    assert [(w.sheet, w.row, w.column, w.key) for w in result.warnings] == [
        ("survey", 3, "save_to", "entities/save_to_left_out"),
        ("entities", 2, "list_name", "entities/repeat"),
    ]


# --- written back -------------------------------------------------------------------------


def test_export_xlsform_writes_the_entities_sheet_and_save_to_back(hub, tmp_path):
    forms, data_dir = hub.forms, hub.data_dir
    out = tmp_path / "out"
    out.mkdir()
    for form_id in ("registration", "visit"):
        done = run(
            "forms", "export-xlsform", form_id, out / f"{form_id}.xlsx", "--data-dir", data_dir
        )
        assert done.exit_code == 0, done.output
        back = read_xlsform(out / f"{form_id}.xlsx", entity_lists={"households"})
        assert back.errors == [] and back.warnings == [], [str(p) for p in back.warnings]
        original = read_xlsform(forms[form_id], entity_lists={"households"}).definition
        assert back.definition == original
    assert not (out / "households.csv").exists()  # the hub's entities never leave in a file
    registration = pyxform_convert(xlsform=str(out / "registration.xlsx")).xform
    assert 'dataset="households"' in registration and 'entities:saveto="head_name"' in registration
    visit = html.unescape(pyxform_convert(xlsform=str(out / "visit.xlsx")).xform)
    assert 'src="jr://file-csv/households.csv"' in visit
    assert "instance('households')/root/item[name= /data/visit/hh ]" in visit
