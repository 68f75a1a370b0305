"""${last-saved#name}: the answer in the enumerator's own last record of the form, in
calculations, conditions and choice filters; imported, computed by the hub without
JavaScript and carried to the page for its script, never another person's answers, and
refused at import for a question marked identifying or sensitive.

Every workbook here is written by the test."""

from __future__ import annotations

import json
import re

import pytest

from browsing import sign_in, visible, wait_for
from collector import create_app
from collector.anonymizer import rule_for
from collector.db import open_database
from collector.forms import FormError, load_form
from collector.records import finalize_whole, last_saved, save_answers, submit_anonymous
from collector.users import add_user
from collector.xlsform import read_xlsform
from filling import post_page, record_of
from support import LiveHub, import_forms, query
from workbooks import write_workbook

SURVEY = [
    ["type", "name", "label", "calculation", "relevant", "constraint", "identifying"],
    ["begin group", "visit", "Visit", None, None, None, None],
    ["text", "village", "Which village?", None, None, None, None],
    ["integer", "households", "How many households?", None, None, None, None],
    ["end group", None, None, None, None, None, None],
    ["begin group", "again", "Again", None, None, None, None],
    ["calculate", "before", None, "${last-saved#village}", None, None, None],
    ["calculate", "sum", None, "${households} + ${last-saved#households}", None, None, None],
    ["note", "same", "The same village as last time.", None, "${before} = ${village}", None, None],
    ["text", "remark", "Anything new?", None, None, None, None],
    ["calculate", "last_age", None, "${last-saved#age}", None, None, None],
    ["end group", None, None, None, None, None, None],
    ["begin repeat", "member", "Member", None, None, None, None],
    ["text", "first_name", "First name", None, None, None, "yes"],
    ["integer", "age", "Age", None, None, ". != ${last-saved#age}", None],
    ["end repeat", None, None, None, None, None, None],
]
SETTINGS = [["form_id", "version", "form_title"], ["visits", "1", "Visits"]]


def visits(tmp_path, survey=SURVEY):
    return read_xlsform(write_workbook(tmp_path / "visits.xlsx", survey, None, SETTINGS))


def test_last_saved_references_import_and_name_only_the_questions_read_so(tmp_path):
    result = visits(tmp_path)
    assert result.ok, [str(p) for p in result.errors]
    assert result.form.questions["before"].calculation == "${last-saved#village}"
    assert result.form.last_saved_names == {"village", "households", "age"}


def test_an_identifying_or_unknown_question_is_refused_on_its_row(tmp_path):
    survey = [list(row) for row in SURVEY]
    survey[6][3] = "${last-saved#first_name}"
    survey[7][3] = "${last-saved#nobody} + 1"
    problems = visits(tmp_path, survey).errors
    private = [p for p in problems if p.key == "last_saved/private"]
    assert [(p.sheet, p.row, p.column) for p in private] == [("survey", 7, "calculation")]
    assert "identifying or sensitive" in str(private[0])
    unknown = [p for p in problems if p.key == "unknown_reference"]
    assert [(p.row, p.column) for p in unknown] == [(8, "calculation")]
    assert "last-saved#nobody" in str(unknown[0])


def test_a_definition_reading_a_sensitive_answer_so_is_refused():
    definition = {
        "form_id": "visits",
        "version": "1",
        "title": {"en": "Visits"},
        "sections": [
            {
                "name": "main",
                "label": {"en": "Main"},
                "questions": [
                    {
                        "name": "diagnosis",
                        "type": "text",
                        "label": {"en": "Diagnosis"},
                        "disclosure": "sensitive",
                    },
                    {
                        "name": "before",
                        "type": "calculate",
                        "calculation": "${last-saved#diagnosis}",
                    },
                ],
            }
        ],
    }
    with pytest.raises(FormError, match=r"main/before: \$\{last-saved#diagnosis\}"):
        load_form(definition)


COPIES = [
    ["type", "name", "label", "calculation", "identifying", "privacy"],
    ["begin repeat", "member", "Member", None, None, None],
    ["text", "member_name", "Name", None, "yes", None],
    ["end repeat", None, None, None, None, None],
    ["calculate", "name_copy", None, "${member_name}", None, None],
    ["geopoint", "home", "Where is the home?", None, None, None],
    ["text", "phone_number", "Phone", None, None, None],
    ["date", "date_of_birth", "Born", None, None, None],
    ["select_one ${member_name}", "head", "Head of household", None, None, None],
    ["text", "clinic", "Clinic", None, None, "pseudonymize"],
    ["text", "village", "Village", None, None, None],
    ["integer", "households", "Households", None, None, None],
    ["calculate", "c1", None, "${last-saved#name_copy}", None, None],
    ["calculate", "c2", None, "${last-saved#home}", None, None],
    ["calculate", "c3", None, "${last-saved#phone_number}", None, None],
    ["calculate", "c4", None, "${last-saved#date_of_birth}", None, None],
    ["calculate", "c5", None, "${last-saved#head}", None, None],
    ["calculate", "c6", None, "${last-saved#clinic}", None, None],
    [
        "calculate",
        "c7",
        None,
        "concat(${last-saved#village}, ${last-saved#households})",
        None,
        None,
    ],
]


def test_an_answer_the_privacy_rules_drop_coarsen_or_pseudonymize_is_never_copied(tmp_path):
    """A copy in the next record would outlive the rules of the record it came from (and a
    purge of it): a calculation copying a name, a location, a phone number, a birth date
    (left as a year), a repeat's choice of a name and a pseudonymized answer are refused on
    the row that reads them; plain answers are read."""
    result = read_xlsform(write_workbook(tmp_path / "copies.xlsx", COPIES, None, SETTINGS))
    refused = [p for p in result.errors if p.key == "last_saved/rule"]
    assert [(p.sheet, p.row, p.column) for p in refused] == [
        ("survey", row, "calculation") for row in range(13, 19)
    ]
    assert "dropped, coarsened or pseudonymized" in str(refused[0])
    assert {p.key for p in result.errors} == {"last_saved/rule"}
    taken = read_xlsform(
        write_workbook(tmp_path / "plain.xlsx", COPIES[:12] + COPIES[18:], None, SETTINGS)
    )
    assert taken.ok, [str(p) for p in taken.errors]


def definition(questions: list[dict], sensitive_if: str) -> dict:
    return {
        "form_id": "visits",
        "version": "1",
        "title": {"en": "Visits"},
        "access": {"sensitive_if": sensitive_if},
        "sections": [{"name": "main", "label": {"en": "Main"}, "questions": questions}],
    }


KIND = {"name": "kind", "type": "text", "label": {"en": "Kind"}}


def test_what_decides_a_records_access_is_never_an_earlier_records_answer():
    """A copy of the answer that made a record sensitive would carry it into a record open
    to more people; and the server decides a record's access from its own answers."""
    copy = {"name": "before", "type": "calculate", "calculation": "${last-saved#kind}"}
    with pytest.raises(FormError, match=r"main/before: \$\{last-saved#kind\}: an earlier"):
        load_form(definition([KIND, copy], "${kind} = 'gbv'"))
    with pytest.raises(FormError, match=r"access/sensitive_if: an earlier record's answer"):
        load_form(definition([KIND], "${last-saved#kind} = 'gbv'"))
    other = {"name": "before", "type": "calculate", "calculation": "${last-saved#kind}"}
    taken = load_form(definition([KIND, {**KIND, "name": "other"}, other], "${other} = 'x'"))
    assert taken.last_saved_names == {"kind"}


def test_a_record_reopened_and_left_a_draft_is_not_read(tmp_path, db_path, app):
    """Its answers were never finalized: the one finalized before it is read."""
    form = visits(tmp_path).form
    import_forms(db_path, json.loads(form.to_json()))
    db = open_database(db_path)
    try:
        add_user(db, "Amina", "2580")
        [user] = query(db_path, "SELECT id FROM users")
        with app.test_request_context():
            finalize_whole(db, "5" * 32, form, "en", user["id"], {"village": "Bawku"})
            finalize_whole(db, "6" * 32, form, "en", user["id"], {"village": "Tamale"})
            assert last_saved(db, form, user["id"], "7" * 32) == {"village": "Tamale"}
            save_answers(db, "6" * 32, form, "en", user["id"], {"village": "half-typed"})
        assert last_saved(db, form, user["id"], "7" * 32) == {"village": "Bawku"}
    finally:
        db.close()


def test_a_record_of_another_version_is_never_read(tmp_path, db_path, app):
    """Version 1 marks the village identifying; version 2 does not and reads it so: its
    first record must not get the village typed under version 1's rules."""
    survey = [list(row) for row in SURVEY]
    survey[2][6] = "yes"
    survey[6][3] = "${village}"  # version 1 may not read it so
    first = visits(tmp_path, survey).form
    settings = [SETTINGS[0], ["visits", "2", "Visits"]]
    second = read_xlsform(write_workbook(tmp_path / "visits2.xlsx", SURVEY, None, settings)).form
    assert (first.version, second.version) == ("1", "2")
    import_forms(db_path, json.loads(first.to_json()))
    db = open_database(db_path)
    try:
        add_user(db, "Kwabena", "1357")
        [user] = query(db_path, "SELECT id FROM users")
        with app.test_request_context():
            finalize_whole(db, "a" * 32, first, "en", user["id"], {"village": "Zabzugu"})
            assert last_saved(db, second, user["id"], "b" * 32) == {}
            finalize_whole(db, "b" * 32, second, "en", user["id"], {"village": "Gushegu"})
        assert last_saved(db, second, user["id"], "c" * 32) == {"village": "Gushegu"}
    finally:
        db.close()


def fill(browser, village, households, age):
    """A whole record through the section pages, without JavaScript; its UUID, the second
    page and the review page."""
    first = browser.get("/forms/visits")
    second = post_page(browser, first, "visits", {"village": village, "households": households})
    assert second.status_code == 200, second.text[:500]
    third = post_page(browser, second, "visits", {"remark": "none"})
    review = post_page(
        browser, third, "visits", {"_repeat.member": "1", "first_name.1": "Ama", "age.1": age}
    )
    assert review.url.endswith("/review"), review.text[:500]
    record_uuid = record_of(first)
    assert browser.post(f"/records/{record_uuid}/finalize", {}).status_code == 200
    return record_uuid, second, review


def answers(db_path, record_uuid):
    [row] = query(db_path, "SELECT answers FROM records WHERE uuid = ?", [record_uuid])
    return json.loads(row["answers"])


def same_shown(page) -> bool:
    """Whether the hub shows the note for the same village as last time."""
    return not re.search(r'id="q-same"[^>]*>', page.text).group().endswith("hidden>")


def carried(page) -> dict | None:
    found = re.search(r'id="form-last-saved">(.*?)</script>', page.text, re.S)
    return json.loads(found.group(1)) if found else None


def test_an_enumerator_sees_their_own_last_record_and_another_sees_nothing(tmp_path, hub, db_path):
    import_forms(db_path, json.loads(visits(tmp_path).form.to_json()))
    hub.add_enumerator("Kofi", "4711")
    amina = hub.browser("en")
    amina.signin()
    first_uuid, second_page, _ = fill(amina, "Tamale", "12", "30")
    assert carried(second_page) is None  # a first fill: nothing to carry
    assert not same_shown(second_page)
    assert "before" not in answers(db_path, first_uuid)

    again_uuid, second_page, review = fill(amina, "Tamale", "3", "31")
    # The page carries only the answers the form reads so, the first member's age among them.
    assert carried(second_page) == {"village": "Tamale", "households": 12, "age": 30}
    assert same_shown(second_page)
    saved = answers(db_path, again_uuid)
    assert (saved["before"], saved["sum"], saved["last_age"]) == ("Tamale", 15, 30)
    assert "Ama" not in json.dumps(carried(second_page))
    # The whole-form page a phone keeps for offline use carries none: there, a first fill.
    assert "form-last-saved" not in amina.get("/forms/visits/phone").text

    kofi = hub.browser("en")
    kofi.signin("Kofi", "4711")
    kofi_uuid, second_page, _ = fill(kofi, "Tamale", "5", "30")
    assert carried(second_page) is None
    assert not same_shown(second_page)
    saved = answers(db_path, kofi_uuid)
    assert "before" not in saved and "last_age" not in saved


def test_the_hub_checks_a_constraint_against_the_last_record(tmp_path, hub, db_path):
    import_forms(db_path, json.loads(visits(tmp_path).form.to_json()))
    amina = hub.browser("en")
    amina.signin()
    fill(amina, "Bolga", "4", "40")
    first = amina.get("/forms/visits")
    assert carried(first) is None  # a form's first page as it opens: a phone may keep it
    second = post_page(amina, first, "visits", {"village": "Bolga", "households": "2"})
    third = post_page(amina, second, "visits", {"remark": "none"})
    assert carried(third) == {"village": "Bolga", "households": 4, "age": 40}
    refused = post_page(
        amina, third, "visits", {"_repeat.member": "1", "first_name.1": "Ama", "age.1": "40"}
    )
    assert refused.status_code == 422  # the same age as last time: not allowed
    taken = post_page(
        amina, third, "visits", {"_repeat.member": "1", "first_name.1": "Ama", "age.1": "41"}
    )
    assert taken.url.endswith("/review"), taken.text[:500]


def test_a_record_without_an_enumerator_reads_nothing(tmp_path, db_path, app):
    form = visits(tmp_path).form
    import_forms(db_path, json.loads(form.to_json()))
    db = open_database(db_path)
    try:
        add_user(db, "Amina", "2580")
        with app.test_request_context():
            submit_anonymous(db, "0" * 32, form, "en", {"village": "Wa", "households": 2})
        assert last_saved(db, form, None, "1" * 32) == {}
        [user] = query(db_path, "SELECT id FROM users")
        finalize_whole(db, "2" * 32, form, "en", user["id"], {"village": "Yendi"})
        assert last_saved(db, form, user["id"], "3" * 32) == {"village": "Yendi"}
        assert last_saved(db, form, user["id"], "2" * 32) == {}  # never the record itself
    finally:
        db.close()


def test_a_calculation_copying_a_dropped_answer_of_the_last_record_is_dropped(tmp_path):
    form = visits(tmp_path).form
    # The village is free text, scrubbed before it leaves: a calculation leaves only when
    # every answer it copies leaves as it is, an earlier record's answer included.
    assert rule_for(form.questions["village"], form) == "scrub"
    assert rule_for(form.questions["before"], form) == "drop"


CHECK_IN = [
    ["type", "name", "label", "relevant", "required", "required_message"],
    ["begin group", "child", "Child", None, None, None],
    ["integer", "age", "Age?", None, "yes", None],
    ["text", "school", "Which school?", None, "${age} < 18", "Say which school."],
    ["end group", None, None, None, None, None],
    ["begin group", "visit", "Visit", None, None, None],
    ["text", "village", "Which village?", None, None, None],
    ["note", "same", "The same village as last time.", "${last-saved#village} = ${village}"]
    + [None, None],
    ["end group", None, None, None, None, None],
]


def test_the_page_script_reads_the_last_record_and_a_required_condition(
    tmp_path, data_dir, chromium
):
    """With JavaScript: the page's script asks for the school only while the child is under
    18, and shows a note by the last record's answer as the village is typed."""
    settings = [["form_id", "version", "form_title"], ["checkin", "1", "Check-in"]]
    form = read_xlsform(write_workbook(tmp_path / "c.xlsx", CHECK_IN, None, settings)).form
    hub = LiveHub(create_app(data_dir=data_dir))
    try:
        database = hub.app.config["DATABASE"]
        import_forms(database, json.loads(form.to_json()))
        hub.add_enumerator()
        [user] = query(database, "SELECT id FROM users")
        db = open_database(database)
        try:
            finalize_whole(db, "4" * 32, form, "en", user["id"], {"village": "Tamale", "age": 9})
        finally:
            db.close()
        sign_in(chromium, hub)
        chromium.get(f"{hub.url}/forms/checkin?lang=en")
        address = chromium.current_url
        # The first page as it opens is one a phone keeps: it carries no earlier answer.
        assert "form-last-saved" not in chromium.page_source
        school_mark = "#q-school .req"
        assert not chromium.find_element("css selector", school_mark).is_displayed()
        wait_for(chromium, "#f-age").send_keys("12")
        assert chromium.find_element("css selector", school_mark).is_displayed()
        chromium.find_element("css selector", 'button[value="next"]').click()
        assert wait_for(chromium, "#school-error").text == "Say which school."
        assert chromium.current_url == address  # the script kept the page: nothing was sent
        chromium.find_element("id", "f-age").clear()
        chromium.find_element("id", "f-age").send_keys("30")
        assert not chromium.find_element("css selector", school_mark).is_displayed()
        chromium.find_element("css selector", 'button[value="next"]').click()
        wait_for(chromium, "#f-village")
        assert chromium.current_url.endswith("/1")
        assert not visible(chromium, "same")
        chromium.find_element("id", "f-village").send_keys("Tamale")
        assert visible(chromium, "same")
    finally:
        hub.stop()
