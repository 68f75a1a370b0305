"""Every good XLSForm fixture on a real hub: imported, rendered, filled with valid answers
and finalized, and refused with the right message for each rule an invalid answer breaks,
both without JavaScript (section pages posted one by one) and in a real Chromium (the
whole form in one page, stepped through and checked on the phone)."""

from __future__ import annotations

import html
import itertools
import json
import re
from datetime import date, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest

from browsing import console_errors, shown_blocks, wait_for  # noqa: F401
from collector import create_app
from collector.db import open_database
from collector.form_library import import_form
from collector.users import add_user
from collector.xlsform import form_languages, read_xlsform
from support import PIN, LiveHub, query, translated

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "xlsforms"

# The good fixtures of tests/test_xlsform.py, each with the languages it is written in
# (the default language first).
LANGUAGES = {
    "household_visit": ["en", "fr"],
    "market_access_ar": ["ar", "en"],
    "service_satisfaction": ["en", "es"],
    "discrimination_followup": ["en"],
    "water_point_check": ["en"],
    "youth_wellbeing_sw": ["en", "sw"],
    "area_profile": ["en", "ha"],
    "kobo_intake": ["en", "fr"],
    "household_roster": ["en", "fr"],
}
NAMES = list(LANGUAGES)

REQUIRED = "This question needs an answer."
HEAD_AGE = "Between 0 and 120; the head of household is at least 15."
WHOLE = "Enter a whole number, using digits only."
NUMBER = "Enter a number."
DATE = "Enter a date, such as 2024-03-15."
MONTH = "Enter a month and year, such as 2024-03."
NOT_ALLOWED = "This answer is not allowed here."
ONE_OF = "Choose one of the options shown."
FROM_OPTIONS = "Choose from the options shown."

# Relative to the day the tests run: the forms' constraints use today().
FUTURE_DAY = (date.today() + timedelta(days=30)).isoformat()
FUTURE_MONTH = (date.today() + timedelta(days=32)).strftime("%Y-%m")  # always after today


def generic(lang: str, message: str, **params) -> str:
    """One of the hub's own messages as the catalog of `lang` words it."""
    text = message if lang == "en" else translated(lang, message)
    return text % params if params else text


# --- valid answers: as a person types or picks them, and as the hub must store them ------

VALID = {
    "household_visit": [
        (
            "full",
            {
                "consent": "yes",
                "head_name": "Fatima Diallo",
                "members": "4",
                "children": "1",
                "safe_water": "no",
                "water_source": "The river behind the school",
            },
            {
                "consent": "yes",
                "head_name": "Fatima Diallo",
                "members": 4,
                "children": 1,
                "safe_water": "no",
                "water_source": "The river behind the school",
            },
        ),
        ("declined", {"consent": "no"}, {"consent": "no"}),
        (
            "alone",
            {"consent": "yes", "head_name": "Ali Hassan", "members": "1", "safe_water": "yes"},
            {"consent": "yes", "head_name": "Ali Hassan", "members": 1, "safe_water": "yes"},
        ),
    ],
    "market_access_ar": [
        (
            "full",
            {
                "visit_date": "2024-03-10",
                "market": "north",
                "bread_price": "1.25",
                "last_delivery": "2024-02",
                "missing_goods": ["flour", "sugar"],
            },
            {
                "visit_date": "2024-03-10",
                "market": "north",
                "bread_price": 1.25,
                "last_delivery": "2024-02-01",
                "missing_goods": ["flour", "sugar"],
            },
        ),
        (
            "optional_left_out",
            {"visit_date": "2024-01-05", "market": "camp", "bread_price": "2"},
            {"visit_date": "2024-01-05", "market": "camp", "bread_price": 2.0},
        ),
    ],
    "service_satisfaction": [
        (
            "full",
            {
                "service_used": "health",
                "treated_fairly": "4",
                "understood": "5",
                "satisfaction": "8",
                "wait_hours": "2",
            },
            {
                "service_used": "health",
                "treated_fairly": "4",
                "understood": "5",
                "satisfaction": 8,
                "wait_hours": 2,
            },
        ),
        (
            "online_no_waiting",
            {
                "service_used": "online",
                "treated_fairly": "1",
                "understood": "3",
                "satisfaction": "0",
            },
            {"service_used": "online", "treated_fairly": "1", "understood": "3", "satisfaction": 0},
        ),
    ],
    "discrimination_followup": [
        (
            "full",
            {
                "experienced": "yes",
                "grounds": ["religion", "other"],
                "grounds_other": "Age",
                "reported_to": ["police", "ngo"],
                "satisfied": "no",
                "incident_date": "2024-02-20",
                "story": "I was refused a seat on the bus.",
                "phone": "+254 712 345678",
            },
            {
                "experienced": "yes",
                "grounds": ["religion", "other"],
                "grounds_other": "Age",
                "reported_to": ["police", "ngo"],
                "satisfied": "no",
                "incident_date": "2024-02-20",
                "story": "I was refused a seat on the bus.",
                "phone": "+254 712 345678",
            },
        ),
        ("not_experienced", {"experienced": "no"}, {"experienced": "no"}),
        (
            "told_no_one",
            {"experienced": "yes", "grounds": ["dont_know"], "reported_to": ["no_one"]},
            {"experienced": "yes", "grounds": ["dont_know"], "reported_to": ["no_one"]},
        ),
    ],
    "water_point_check": [
        (
            "full",
            {
                "working": "partly",
                "flow_rate": "12.5",
                "queue": "7",
                "remarks": "The handle is loose.",
            },
            {"working": "partly", "flow_rate": 12.5, "queue": 7, "remarks": "The handle is loose."},
        ),
        (
            "bounds",
            {"working": "no", "flow_rate": "0", "queue": "0"},
            {"working": "no", "flow_rate": 0.0, "queue": 0},
        ),
    ],
    "youth_wellbeing_sw": [
        (
            "full",
            {"age": "17", "arrival": "2023-06", "cheerful": "sometimes", "rested": "often"},
            {"age": 17, "arrival": "2023-06-01", "cheerful": "sometimes", "rested": "often"},
        ),
        (
            "bounds",
            {"age": "30", "cheerful": "never", "rested": "always"},
            {"age": 30, "cheerful": "never", "rested": "always"},
        ),
    ],
    "area_profile": [
        (
            "full",
            {
                "area": "north_b",
                "settlement": "camp",
                "camp_years": "3",
                "camp_committee": "yes",
                "services_near": ["clinic", "market"],
            },
            {
                "area": "north_b",
                "settlement": "camp",
                "camp_years": 3,
                "camp_committee": "yes",
                "services_near": ["clinic", "market"],
            },
        ),
        (
            "town",
            {"area": "south_a", "settlement": "town"},
            {"area": "south_a", "settlement": "town"},
        ),
    ],
    "kobo_intake": [
        (
            "full",
            {"ready": "OK", "sex": "female", "household_size": "6", "village": "Kalobeyei"},
            {"ready": "OK", "sex": "female", "household_size": 6, "village": "Kalobeyei"},
        ),
        (
            "default_size",
            {"ready": "OK", "sex": "male", "household_size": "1"},
            {"ready": "OK", "sex": "male", "household_size": 1},
        ),
    ],
    # A repeat: answers are posted per instance (`age.2`), stored as a list of instances.
    "household_roster": [
        (
            "full",
            {
                "village": "Kalobeyei",
                "hh_size": "2",
                "member_name.1": "Fatima",
                "relationship.1": "head",
                "age.1": "38",
                "sex.1": "female",
                "member_name.2": "Omar",
                "relationship.2": "child",
                "age.2": "9",
                "sex.2": "male",
                "in_school.2": "yes",
                "grade.2": "primary",
                "anyone_missing": "no",
            },
            {
                "village": "Kalobeyei",
                "hh_size": 2,
                "anyone_missing": "no",
                "members": [
                    {
                        "member_no": 1,
                        "member_name": "Fatima",
                        "relationship": "head",
                        "age": 38,
                        "sex": "female",
                    },
                    {
                        "member_no": 2,
                        "member_name": "Omar",
                        "relationship": "child",
                        "age": 9,
                        "sex": "male",
                        "in_school": "yes",
                        "grade": "primary",
                    },
                ],
            },
        ),
        (
            "alone",
            {
                "hh_size": "1",
                "member_name.1": "Ali",
                "relationship.1": "head",
                "age.1": "70",
                "sex.1": "male",
                "anyone_missing": "yes",
                "missing_who": "His son, away for work",
            },
            {
                "hh_size": 1,
                "anyone_missing": "yes",
                "missing_who": "His son, away for work",
                "members": [
                    {
                        "member_no": 1,
                        "member_name": "Ali",
                        "relationship": "head",
                        "age": 70,
                        "sex": "male",
                    }
                ],
            },
        ),
    ],
}


def full(name: str) -> dict:
    return VALID[name][0][1]


def full_stored(name: str) -> dict:
    return VALID[name][0][2]


# --- invalid answers: (fixture, language, changes to the full answers, question, message) --
# A change to None leaves the question unanswered.


def bad(name, question, value, message, lang="en", label=None, **more):
    changes = {question: value, **more}
    ident = f"{name}-{lang}-{question}-{label or ('missing' if value is None else value)}"
    return pytest.param(name, lang, changes, question, message, id=ident)


INVALID = [
    # household_visit: required, an integer constraint with its message, a constraint
    # referring to another answer, integer type; in English and French.
    bad("household_visit", "consent", None, REQUIRED),
    bad("household_visit", "head_name", None, REQUIRED),
    bad("household_visit", "members", None, REQUIRED),
    bad("household_visit", "members", "0", "Between 1 and 40 people."),
    bad("household_visit", "members", "41", "Between 1 and 40 people."),
    bad("household_visit", "members", "four", WHOLE),
    bad("household_visit", "members", "2.5", WHOLE),
    bad("household_visit", "children", None, REQUIRED),
    bad("household_visit", "children", "4", "Fewer than the household size."),
    bad("household_visit", "children", "one", WHOLE),
    bad("household_visit", "safe_water", None, REQUIRED),
    bad("household_visit", "consent", None, generic("fr", REQUIRED), lang="fr"),
    bad("household_visit", "members", "0", "Entre 1 et 40 personnes.", lang="fr"),
    bad("household_visit", "children", "5", "Moins que la taille du ménage.", lang="fr"),
    bad("household_visit", "members", "quatre", generic("fr", WHOLE), lang="fr"),
    # market_access_ar: a required date with its own message, a date constraint with
    # today(), date and month types, a decimal constraint, a constraint without message.
    bad("market_access_ar", "visit_date", None, "Please enter the date"),
    bad(
        "market_access_ar",
        "visit_date",
        FUTURE_DAY,
        "The date cannot be in the future",
        label="future",
    ),
    bad("market_access_ar", "visit_date", "10/03/2024", DATE),
    bad("market_access_ar", "visit_date", "2024-02-30", DATE),
    bad("market_access_ar", "market", None, REQUIRED),
    bad("market_access_ar", "market", "south", ONE_OF),
    bad("market_access_ar", "bread_price", None, REQUIRED),
    bad("market_access_ar", "bread_price", "0", "The price must be above zero"),
    bad("market_access_ar", "bread_price", "-3", "The price must be above zero"),
    bad("market_access_ar", "bread_price", "cheap", NUMBER),
    bad("market_access_ar", "last_delivery", "2023-10", NOT_ALLOWED, label="too_early"),
    bad("market_access_ar", "last_delivery", FUTURE_MONTH, NOT_ALLOWED, label="future"),
    bad("market_access_ar", "last_delivery", "March 2024", MONTH),
    bad("market_access_ar", "missing_goods", ["flour", "petrol"], FROM_OPTIONS),
    bad("market_access_ar", "visit_date", None, "يرجى إدخال التاريخ", lang="ar"),
    bad(
        "market_access_ar",
        "visit_date",
        FUTURE_DAY,
        "لا يمكن أن يكون التاريخ في المستقبل",
        lang="ar",
        label="future",
    ),
    bad("market_access_ar", "bread_price", "0", "يجب أن يكون السعر أكبر من صفر", lang="ar"),
    bad("market_access_ar", "market", None, generic("ar", REQUIRED), lang="ar"),
    # service_satisfaction: required likert answers, ranges (bounds and steps).
    bad("service_satisfaction", "service_used", None, REQUIRED),
    bad("service_satisfaction", "treated_fairly", None, REQUIRED),
    bad("service_satisfaction", "understood", None, REQUIRED),
    bad("service_satisfaction", "understood", "6", ONE_OF),
    bad("service_satisfaction", "satisfaction", None, REQUIRED),
    bad("service_satisfaction", "satisfaction", "11", "Choose a value from 0 to 10."),
    bad("service_satisfaction", "satisfaction", "-1", "Choose a value from 0 to 10."),
    bad("service_satisfaction", "satisfaction", "7.5", "Choose a value from 0 to 10."),
    bad("service_satisfaction", "wait_hours", "3", "Choose a value from 0 to 12."),
    bad("service_satisfaction", "wait_hours", "14", "Choose a value from 0 to 12."),
    bad("service_satisfaction", "satisfaction", None, generic("es", REQUIRED), lang="es"),
    bad(
        "service_satisfaction",
        "wait_hours",
        "5",
        generic("es", "Choose a value from %(start)s to %(end)s.", start=0, end=12),
        lang="es",
    ),
    # discrimination_followup: select_multiple constraint, required answers opened by
    # relevance chains, date constraint, text length, regex constraint.
    bad("discrimination_followup", "experienced", None, REQUIRED),
    bad("discrimination_followup", "grounds", None, REQUIRED, grounds_other=None),
    bad(
        "discrimination_followup",
        "grounds",
        ["dont_know", "religion"],
        "'Don't know' cannot be combined with other answers.",
        label="dont_know_and_more",
    ),
    bad(
        "discrimination_followup",
        "grounds",
        ["religion", "caste"],
        FROM_OPTIONS,
        label="unknown_choice",
    ),
    bad("discrimination_followup", "grounds_other", None, REQUIRED),
    bad("discrimination_followup", "reported_to", None, REQUIRED, satisfied=None, phone=None),
    bad("discrimination_followup", "satisfied", None, REQUIRED, phone=None),
    bad(
        "discrimination_followup",
        "incident_date",
        FUTURE_DAY,
        "The date cannot be in the future.",
        label="future",
    ),
    bad("discrimination_followup", "incident_date", "last week", DATE),
    bad(
        "discrimination_followup",
        "story",
        "x" * 1501,
        "Use at most 1500 characters.",
        label="1501_characters",
    ),
    bad("discrimination_followup", "phone", "call me after 5", "Digits only, please."),
    bad("discrimination_followup", "phone", "12345", "Digits only, please."),
    # water_point_check: bounds taken from constraints (min and max, min only), decimal
    # and integer types, text length.
    bad("water_point_check", "working", None, REQUIRED),
    bad("water_point_check", "flow_rate", None, REQUIRED),
    bad("water_point_check", "flow_rate", "501", "Enter a number from 0 to 500."),
    bad("water_point_check", "flow_rate", "-0.5", "Enter a number from 0 to 500."),
    bad("water_point_check", "flow_rate", "fast", NUMBER),
    bad("water_point_check", "queue", "-1", "Enter a number of at least 0."),
    bad("water_point_check", "queue", "3.5", WHOLE),
    bad(
        "water_point_check",
        "remarks",
        "y" * 301,
        "Use at most 300 characters.",
        label="301_characters",
    ),
    # youth_wellbeing_sw: a required message in two languages, bounds, month type, a
    # constraint without message.
    bad("youth_wellbeing_sw", "age", None, "Please give your age"),
    bad("youth_wellbeing_sw", "age", "11", "Enter a number from 12 to 30."),
    bad("youth_wellbeing_sw", "age", "31", "Enter a number from 12 to 30."),
    bad("youth_wellbeing_sw", "age", "seventeen", WHOLE),
    bad("youth_wellbeing_sw", "arrival", FUTURE_MONTH, NOT_ALLOWED, label="future"),
    bad("youth_wellbeing_sw", "arrival", "June 2023", MONTH),
    bad("youth_wellbeing_sw", "cheerful", None, REQUIRED),
    bad("youth_wellbeing_sw", "rested", None, REQUIRED),
    bad("youth_wellbeing_sw", "age", None, "Tafadhali taja umri wako", lang="sw"),
    bad(
        "youth_wellbeing_sw",
        "age",
        "40",
        generic("sw", "Enter a number from %(low)s to %(high)s.", low="12", high="30"),
        lang="sw",
    ),
    # area_profile: a required list (minimal appearance), integer type in a nested group.
    bad("area_profile", "area", None, REQUIRED),
    bad("area_profile", "area", "east", ONE_OF),
    bad("area_profile", "settlement", None, REQUIRED),
    bad("area_profile", "camp_years", "three", WHOLE),
    bad("area_profile", "services_near", ["clinic", "bank"], FROM_OPTIONS),
    bad("area_profile", "settlement", None, generic("ha", REQUIRED), lang="ha"),
    # kobo_intake: required written as TRUE() and "true", an integer with a default.
    bad("kobo_intake", "ready", None, REQUIRED),
    bad("kobo_intake", "sex", None, REQUIRED),
    bad("kobo_intake", "household_size", "", REQUIRED, label="cleared"),
    bad("kobo_intake", "household_size", "six", WHOLE),
    bad("kobo_intake", "ready", None, generic("fr", REQUIRED), lang="fr"),
    # household_roster: rules checked in each instance of a repeat, with position(..) and
    # another answer of the same instance; in English and French.
    bad("household_roster", "hh_size", "21", "Between 1 and 20 people."),
    bad("household_roster", "member_name.2", None, REQUIRED),
    bad("household_roster", "age.2", "130", HEAD_AGE),
    bad("household_roster", "age.1", "12", HEAD_AGE),
    bad("household_roster", "relationship.2", "head", "List the head of household first."),
    bad(
        "household_roster",
        "relationship.2",
        "head",
        "Inscrivez d'abord le chef de ménage.",
        lang="fr",
    ),
    bad("household_roster", "in_school.2", None, REQUIRED),
]

# The first required question of each form's first section, as finalize reports it.
FIRST_REQUIRED = {
    "household_visit": ("consent", REQUIRED),
    "market_access_ar": ("visit_date", "Please enter the date"),
    "service_satisfaction": ("service_used", REQUIRED),
    "discrimination_followup": ("experienced", REQUIRED),
    "water_point_check": ("working", REQUIRED),
    "youth_wellbeing_sw": ("age", "Please give your age"),
    "area_profile": ("area", REQUIRED),
    "kobo_intake": ("ready", REQUIRED),
    "household_roster": ("hh_size", REQUIRED),
}

# In Chromium: one rule per fixture, checked on the phone before anything is sent.
BROWSER_INVALID = [
    pytest.param(
        "household_visit",
        {"children": "4"},
        "children",
        "Fewer than the household size.",
        "1",
        id="household_visit-children",
    ),
    pytest.param(
        "market_access_ar",
        {"bread_price": "0"},
        "bread_price",
        "The price must be above zero",
        "1.25",
        id="market_access_ar-bread_price",
    ),
    pytest.param(
        "service_satisfaction",
        {"satisfaction": None},
        "satisfaction",
        REQUIRED,
        "8",
        id="service_satisfaction-satisfaction",
    ),
    pytest.param(
        "discrimination_followup",
        {"grounds": ["dont_know", "religion", "other"]},
        "grounds",
        "'Don't know' cannot be combined with other answers.",
        ["religion", "other"],
        id="discrimination_followup-grounds",
    ),
    pytest.param(
        "water_point_check",
        {"flow_rate": "501"},
        "flow_rate",
        "Enter a number from 0 to 500.",
        "12.5",
        id="water_point_check-flow_rate",
    ),
    pytest.param(
        "youth_wellbeing_sw",
        {"age": None},
        "age",
        "Please give your age",
        "17",
        id="youth_wellbeing_sw-age",
    ),
    pytest.param(
        "area_profile",
        {"camp_years": "three"},
        "camp_years",
        WHOLE,
        "3",
        id="area_profile-camp_years",
    ),
    pytest.param("kobo_intake", {"ready": None}, "ready", REQUIRED, "OK", id="kobo_intake-ready"),
    pytest.param(
        "household_roster",
        {"relationship.2": "head"},
        "relationship.2",
        "List the head of household first.",
        "child",
        id="household_roster-relationship",
    ),
]


def changed(answers: dict, changes: dict) -> dict:
    result = dict(answers)
    for key, value in changes.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = value
    return result


# --- the hub, with every fixture imported, and enumerators to tell records apart --------


@pytest.fixture(scope="session")  # made once per test process (see conftest.py)
def xls_hub(tmp_path_factory):
    """One real hub (cheroot on loopback) for the module, with every fixture imported as
    tests/test_calculations.py imports a form; tests keep their records apart by enumerator
    or by record UUID."""
    app = create_app(
        {"HUB_SETTINGS": {"signin_rate_limit": "100000 per minute"}},
        data_dir=tmp_path_factory.mktemp("xlsform-hub"),
    )
    live = LiveHub(app)
    live.imports = {}
    db = open_database(app.config["DATABASE"])
    try:
        for name in NAMES:
            result = read_xlsform(FIXTURES / f"{name}.xlsx")
            stored = import_form(db, result.form, "test") if result.form is not None else None
            live.imports[name] = SimpleNamespace(result=result, form=result.form, stored=stored)
    finally:
        db.close()
    yield live
    live.stop()


def form_of(hub, name):
    imported = hub.imports[name]
    assert imported.form is not None, [str(p) for p in imported.result.errors]
    return imported.form


ENUMERATORS = itertools.count(1)


def new_enumerator(hub):
    name = f"enumerator {next(ENUMERATORS)}"
    db = open_database(hub.app.config["DATABASE"])
    try:
        user_id = add_user(db, name, PIN)
    finally:
        db.close()
    return SimpleNamespace(name=name, id=user_id)


@pytest.fixture
def person(xls_hub):
    """An enumerator of its own, for a test whose records are all its own."""
    return new_enumerator(xls_hub)


@pytest.fixture(scope="session")  # made once per test process (see conftest.py)
def phones(xls_hub):
    """Phones without JavaScript, one signed-in session per language, all of one
    enumerator (a PIN check costs a tenth of a second): tests tell their records apart by
    the UUID the hub gives each new one, and count the enumerator's records around them."""
    owner = new_enumerator(xls_hub)
    sessions = {}

    def phone(lang):
        if lang not in sessions:
            sessions[lang] = phone_for(xls_hub, owner, lang)
        return sessions[lang]

    phone.owner = owner
    return phone


def phone_for(hub, person, lang):
    phone = hub.browser(lang)
    phone.signin(person.name, PIN)
    assert phone.last.status_code == 200 and "/signin" not in phone.last.url
    return phone


def records_of(hub, person, record_uuid=None):
    sql = (
        "SELECT uuid, form_id, form_version, locale, status, revision, answers"
        " FROM records WHERE enumerator_id = ?"
    )
    params = [person.id]
    if record_uuid is not None:
        sql, params = sql + " AND uuid = ?", params + [record_uuid]
    rows = query(hub.app.config["DATABASE"], sql, params)
    for row in rows:
        row["answers"] = json.loads(row["answers"])
    return rows


def revisions_of(hub, person, record_uuid=None):
    sql = "SELECT uuid, revision, answers FROM revisions WHERE enumerator_id = ?"
    params = [person.id]
    if record_uuid is not None:
        sql, params = sql + " AND uuid = ?", params + [record_uuid]
    return query(hub.app.config["DATABASE"], sql, params)


def counts(hub, person) -> tuple[int, int]:
    return len(records_of(hub, person)), len(revisions_of(hub, person))


# --- pages as a browser without JavaScript sees them --------------------------------------

ACTION = re.compile(r'<form method="post" action="(/records/([0-9a-f-]{36})/(\d+))"')
SHOWN = re.compile(r'<input type="hidden" name="_shown" value="([^"]+)"( disabled)?>')


def page_text(response) -> str:
    return html.unescape(response.text)


def error_at(response, question: str) -> str | None:
    match = re.search(
        rf'<p class="error" id="{re.escape(question)}-error">(.*?)</p>', response.text, re.S
    )
    return html.unescape(match.group(1)) if match else None


def shown_on(page: str) -> list[str]:
    """The questions the page shows (a hidden question's _shown field is disabled)."""
    return [name for name, disabled in SHOWN.findall(page) if not disabled]


def labels(form, lang, index) -> list[str]:
    return [form.text(q.label, lang) for q in form.section_questions(index) if q.get("label")]


def post_sections(phone, form, answers, lang, switch=None):
    """Fill a form section by section as a person without JavaScript does: answer the
    questions the page shows, send, and answer again when the hub shows more. Stops at the
    review page or at the first page the hub refuses (422). With `switch` (a question and
    changes), the person makes those changes once that question is on the page."""
    response = phone.get(f"/forms/{form.form_id}")
    assert response.status_code == 200, response.text[:500]
    visited = []
    for _ in range(30):
        path, record_uuid, index = ACTION.search(response.text).groups()
        index = int(index)
        page = page_text(response)
        for label in labels(form, lang, index):
            assert label in page, (index, label)
        shown = shown_on(response.text)
        if switch and switch[0] in shown:
            answers, switch = changed(answers, switch[1]), None
        data = [("form_id", form.form_id), ("_action", "next")]
        for name in shown:
            data.append(("_shown", name))
            value = answers.get(name)
            if isinstance(value, list):
                data += [(name, item) for item in value]
            elif value is not None:
                data.append((name, value))
        visited.append((index, shown))
        response = phone.post(path, data)
        if response.status_code == 422 or "/review" in response.url:
            return SimpleNamespace(
                response=response, uuid=record_uuid, index=index, visited=visited
            )
        assert response.status_code == 200, response.text[:2000]
        # The same page again (it shows the questions the answers opened) or the next one.
        if response.url.endswith(path):
            assert '<p class="notice" role="status">' in response.text
            assert shown_on(response.text) != shown, "the hub asks again for the same page"
    raise AssertionError(f"the form never reached its review: {visited}")


# --- 1. imported --------------------------------------------------------------------------


@pytest.mark.parametrize("name", NAMES)
def test_fixture_is_imported_into_the_hubs_library(xls_hub, person, name):
    imported = xls_hub.imports[name]
    assert imported.result.errors == [], [str(p) for p in imported.result.errors]
    assert imported.stored is True
    form = imported.form
    assert set(form_languages(form)) == set(LANGUAGES[name])
    [row] = query(
        xls_hub.app.config["DATABASE"],
        "SELECT version, source, definition FROM forms WHERE form_id = ?",
        [form.form_id],
    )
    assert (row["version"], row["source"]) == (form.version, "test")
    assert json.loads(row["definition"]) == json.loads(form.to_json())
    # Importing the same version again changes nothing.
    db = open_database(xls_hub.app.config["DATABASE"])
    try:
        assert import_form(db, form, "test") is False
    finally:
        db.close()
    home = phone_for(xls_hub, person, "en").get("/")
    assert f'href="/forms/{form.form_id}"' in home.text
    assert form.text(form.data["title"], "en") in page_text(home)


# --- 2. rendered --------------------------------------------------------------------------


@pytest.mark.parametrize("name, lang", [(n, lang) for n in NAMES for lang in LANGUAGES[n]])
def test_every_label_of_the_fixture_is_rendered(xls_hub, phones, name, lang):
    form = form_of(xls_hub, name)
    phone = phones(lang)
    before = counts(xls_hub, phones.owner)
    whole = phone.get(f"/forms/{form.form_id}/phone")
    assert whole.status_code == 200
    assert f'<html lang="{lang}" dir="{"rtl" if lang == "ar" else "ltr"}">' in whole.text
    text = page_text(whole)
    assert form.text(form.data["title"], lang) in text
    for index, section in enumerate(form.sections):
        assert form.text(section["label"], lang) in text
        for question in form.section_questions(index):
            assert f'data-name="{question.name}"' in whole.text
            assert form.text(question.get("label"), lang) in text, question.name
            if question.get("hint"):
                assert form.text(question.hint, lang) in text, question.name
            for choice in form.choices(question):
                assert form.text(choice["label"], lang) in text, (question.name, choice["name"])
    first = phone.get(f"/forms/{form.form_id}")
    assert first.status_code == 200
    assert form.text(form.sections[0]["label"], lang) in page_text(first)
    for label in labels(form, lang, 0):
        assert label in page_text(first)
    # Nothing is stored by looking at a form.
    assert counts(xls_hub, phones.owner) == before


# --- 3. valid answers are accepted (no JavaScript) ----------------------------------------

VALID_CASES = [
    pytest.param(name, variant, lang, id=f"{name}-{variant}-{lang}")
    for name in NAMES
    for index, (variant, _, _) in enumerate(VALID[name])
    for lang in (LANGUAGES[name] if index == 0 else LANGUAGES[name][:1])
]


@pytest.mark.parametrize("name, variant, lang", VALID_CASES)
def test_valid_answers_are_finalized_without_javascript(xls_hub, phones, name, variant, lang):
    form = form_of(xls_hub, name)
    answers, stored = next((a, s) for v, a, s in VALID[name] if v == variant)
    phone, owner = phones(lang), phones.owner
    records_before, revisions_before = counts(xls_hub, owner)
    filled = post_sections(phone, form, answers, lang)
    review = filled.response
    assert review.status_code == 200 and review.url.endswith(f"/records/{filled.uuid}/review"), (
        page_text(review)[:3000]
    )
    # Every answered question is on the review page, under its label.
    review_text = page_text(review)
    for question_name in stored:
        if question_name in form.repeats:
            for instance in stored[question_name]:
                for name in instance:
                    assert form.text(form.questions[name].get("label"), lang) in review_text
        else:
            assert form.text(form.questions[question_name].label, lang) in review_text
    [draft] = records_of(xls_hub, owner, filled.uuid)
    assert draft["status"] == "draft" and draft["answers"] == stored
    finalized = phone.post(f"/records/{filled.uuid}/finalize", {})
    assert finalized.status_code == 200 and finalized.url.endswith("/records")
    [record] = records_of(xls_hub, owner, filled.uuid)
    assert (
        record["form_id"],
        record["form_version"],
        record["locale"],
        record["status"],
        record["revision"],
    ) == (form.form_id, form.version, lang, "finalized", 1)
    assert record["answers"] == stored
    # Typed as the form says: whole numbers as ints, decimals as floats, lists, ISO dates.
    for question_name, value in record["answers"].items():
        assert type(value) is type(stored[question_name]), question_name
    [revision] = revisions_of(xls_hub, owner, filled.uuid)
    assert revision["revision"] == 1 and json.loads(revision["answers"]) == stored
    assert counts(xls_hub, owner) == (records_before + 1, revisions_before + 1)


# --- 4. invalid answers are refused (no JavaScript) ---------------------------------------


@pytest.mark.parametrize("name, lang, changes, question, message", INVALID)
def test_invalid_answer_is_refused_with_its_message_without_javascript(
    xls_hub, phones, name, lang, changes, question, message
):
    form = form_of(xls_hub, name)
    answers = changed(full(name), changes)
    phone, owner = phones(lang), phones.owner
    records_before, revisions_before = counts(xls_hub, owner)
    filled = post_sections(phone, form, answers, lang)
    refused = filled.response
    assert refused.status_code == 422, f"accepted: {refused.url}"
    # Refused on the page of that question, the message at the question and in the list.
    section = form.questions[question.partition(".")[0]].section
    assert form.sections[filled.index]["name"] == section
    assert error_at(refused, question) == message
    assert f'href="#q-{question}"' in refused.text
    assert re.search(rf'id="f-{question}"[^>]*aria-invalid="true"', refused.text) or form.questions[
        question.partition(".")[0]
    ].type in ("select_one", "select_multiple", "range")
    # Nothing finalized; whatever was kept is a draft without the refused answer (a
    # record is kept from the first page sent that the hub took).
    assert revisions_of(xls_hub, owner, filled.uuid) == []
    kept = records_of(xls_hub, owner, filled.uuid)
    assert len(kept) == (1 if len(filled.visited) > 1 else 0)
    for record in kept:
        assert record["status"] == "draft" and question not in record["answers"]
    assert counts(xls_hub, owner) == (records_before + len(kept), revisions_before)


@pytest.mark.parametrize("name", NAMES)
def test_a_draft_missing_required_answers_cannot_be_finalized(xls_hub, phones, name):
    form = form_of(xls_hub, name)
    phone, owner = phones("en"), phones.owner
    revisions_before = counts(xls_hub, owner)[1]
    start = phone.get(f"/forms/{form.form_id}")
    path, record_uuid, _ = ACTION.search(start.text).groups()
    saved = phone.post(
        path,
        [("form_id", form.form_id), ("_action", "draft")]
        + [("_shown", n) for n in shown_on(start.text)],
    )
    assert saved.status_code == 200 and saved.url.endswith("/records")
    [draft] = records_of(xls_hub, owner, record_uuid)
    assert draft["status"] == "draft"
    refused = phone.post(f"/records/{record_uuid}/finalize", {})
    question, message = FIRST_REQUIRED[name]
    assert refused.status_code == 422
    assert error_at(refused, question) == message
    assert "Some answers need attention before the record can be finalized." in page_text(refused)
    [record] = records_of(xls_hub, owner, record_uuid)
    assert record["status"] == "draft" and record["revision"] == 0
    assert counts(xls_hub, owner)[1] == revisions_before


# An answer typed wrongly, then closed by a later answer (the question no longer applies):
# the final answers are all valid: the page is accepted and the closed answer dropped.
CLOSED = [
    pytest.param(
        "household_visit",
        "children",
        {"members": "1", "children": "lots"},
        {
            "consent": "yes",
            "head_name": "Fatima Diallo",
            "members": 1,
            "safe_water": "no",
            "water_source": "The river behind the school",
        },
        id="household_visit-children-closed_by_members",
    ),
    pytest.param(
        "area_profile",
        "camp_years",
        {"settlement": "town", "camp_years": "many"},
        {"area": "north_b", "settlement": "town", "services_near": ["clinic", "market"]},
        id="area_profile-camp_years-closed_by_settlement",
    ),
    pytest.param(
        "discrimination_followup",
        "incident_date",
        {"experienced": "no", "incident_date": "last week"},
        {"experienced": "no"},
        id="discrimination_followup-incident_date-closed_by_experienced",
    ),
]


@pytest.mark.parametrize("name, question, changes, stored", CLOSED)
def test_a_wrong_answer_to_a_question_closed_later_does_not_block_without_javascript(
    xls_hub, phones, name, question, changes, stored
):
    form = form_of(xls_hub, name)
    phone, owner = phones("en"), phones.owner
    filled = post_sections(phone, form, full(name), "en", switch=(question, changes))
    response = filled.response
    assert response.status_code == 200 and response.url.endswith("/review"), (
        response.status_code,
        error_at(response, question),
        question in shown_on(response.text),
    )
    assert phone.post(f"/records/{filled.uuid}/finalize", {}).status_code == 200
    [record] = records_of(xls_hub, owner, filled.uuid)
    assert record["status"] == "finalized" and record["answers"] == stored


# --- the browser path: real Chromium, the whole form in one page --------------------------


def sign_in_as(driver, hub, person):
    driver.get(hub.url + "/signin")
    driver.find_element("id", "name").send_keys(person.name)
    driver.find_element("id", "pin").send_keys(PIN)
    driver.find_element("css selector", "button.primary").click()
    wait_for(driver, "form.inline")


def until(driver, condition, seconds=20):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, seconds).until(condition)


def element(driver, css):
    return driver.find_element("css selector", css)


def answer_shown(driver, answers):
    """Answer the questions the page shows, as a person does: pick from lists, tap choices,
    type text and numbers; date and month pickers get their value as a picker sets it."""
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select

    for block, name, kind in shown_blocks(
        driver, lambda name, kind: kind not in ("note", "calculate") and name in answers, by_id=True
    ):  # `q-age.2`: `age.2`
        value = answers[name]
        lists = block.find_elements("css selector", "select")
        if lists:
            Select(lists[0]).select_by_value(value)
        elif kind in ("select_one", "range"):
            tap(block.find_element("css selector", f'input[type=radio][value="{value}"]'), True)
        elif kind == "select_multiple":
            for box in block.find_elements("css selector", "input[type=checkbox]"):
                tap(box, box.get_attribute("value") in value)
        elif kind == "date":
            field = block.find_element("css selector", "input:not([type=hidden])")
            driver.execute_script(
                "arguments[0].value = arguments[1];"
                "arguments[0].dispatchEvent(new Event('input', {bubbles: true}));"
                "arguments[0].dispatchEvent(new Event('change', {bubbles: true}));",
                field,
                value,
            )
        else:
            field = block.find_element("css selector", "input:not([type=hidden]), textarea")
            if field.get_attribute("value"):
                field.clear()
            field.send_keys(value, Keys.TAB)  # on to the next field: the answer is checked


def tap(box, wanted: bool):
    """Tap a choice until it shows as wanted: a message appearing above it as the last field
    is left can move it from under the finger, and a person then taps again."""
    for _ in range(3):
        if box.is_selected() == wanted:
            return
        box.click()
    assert box.is_selected() == wanted, box.get_attribute("outerHTML")


def open_phone_form(driver, hub, person, form, lang):
    sign_in_as(driver, hub, person)
    driver.get(f"{hub.url}/forms/{form.form_id}/phone?lang={lang}")
    until(driver, lambda d: d.find_elements("css selector", "form[data-steps]"))
    until(
        driver,
        lambda d: (
            element(d, "button.step-next").is_displayed()
            or element(d, "button.step-review").is_displayed()
        ),
    )


def step_through(driver, answers, stop_at=None):
    """Answer each section and press Next, until Finalize; with `stop_at`, stop after
    pressing the button of the section that holds that question."""
    for _ in range(10):
        answer_shown(driver, answers)
        here = stop_at is not None and element(driver, f'[id="q-{stop_at}"]').is_displayed()
        last = element(driver, "button.step-review").is_displayed()
        if last and not here:
            from browsing import review_and_finalize

            review_and_finalize(driver)
        else:  # Review answers checks the section as Next does
            element(driver, "button.step-review" if last else "button.step-next").click()
        if here or last:
            return
    raise AssertionError("the form never reached its last section")


def browser_cases():
    cases = [pytest.param(name, "en", id=f"{name}-en") for name in NAMES]
    return cases + [pytest.param("market_access_ar", "ar", id="market_access_ar-ar")]


@pytest.mark.parametrize("name, lang", browser_cases())
def test_valid_answers_are_finalized_in_chromium(xls_hub, person, chromium, name, lang):
    form = form_of(xls_hub, name)
    open_phone_form(chromium, xls_hub, person, form, lang)
    text = html.unescape(chromium.page_source)
    for index in range(len(form.sections)):
        for label in labels(form, lang, index):
            assert label in text
    step_through(chromium, full(name))
    until(chromium, lambda d: "/phone" not in d.current_url)
    [record] = records_of(xls_hub, person)
    assert (
        record["form_id"],
        record["form_version"],
        record["locale"],
        record["status"],
        record["revision"],
    ) == (form.form_id, form.version, lang, "finalized", 1)
    assert record["answers"] == full_stored(name)
    for question_name, value in record["answers"].items():
        assert type(value) is type(full_stored(name)[question_name]), question_name
    assert console_errors(chromium) == []


@pytest.mark.parametrize("name, changes, question, message, correct", BROWSER_INVALID)
def test_invalid_answer_is_stopped_on_the_phone_in_chromium(
    xls_hub, person, chromium, name, changes, question, message, correct
):
    form = form_of(xls_hub, name)
    open_phone_form(chromium, xls_hub, person, form, "en")
    answers = changed(full(name), changes)
    step_through(chromium, answers, stop_at=question)
    block = element(chromium, f'[id="q-{question}"]')
    until(chromium, lambda d: message in block.text)
    assert block.is_displayed() and "has-error" in block.get_attribute("class")
    assert "/phone" in chromium.current_url
    assert records_of(xls_hub, person) == []
    # Put right, the same record goes through once, with the corrected answer.
    step_through(chromium, dict(answers, **{question: correct}))
    until(chromium, lambda d: "/phone" not in d.current_url)
    [record] = records_of(xls_hub, person)
    assert (record["status"], record["revision"]) == ("finalized", 1)
    assert record["answers"] == full_stored(name)
    assert len(revisions_of(xls_hub, person)) == 1


def test_a_wrong_answer_to_a_question_closed_later_does_not_block_in_chromium(
    xls_hub, person, chromium
):
    form = form_of(xls_hub, "area_profile")
    open_phone_form(chromium, xls_hub, person, form, "en")
    answer_shown(chromium, {"area": "north_b", "settlement": "camp", "camp_years": "many"})
    assert WHOLE in element(chromium, "#q-camp_years").text
    answer_shown(chromium, {"settlement": "town"})  # the camp question closes
    assert not element(chromium, "#q-camp_years").is_displayed()
    step_through(chromium, {"services_near": ["clinic", "market"]})
    until(chromium, lambda d: "/phone" not in d.current_url)
    problems = [e.text for e in chromium.find_elements("css selector", ".problems")]
    assert problems == [], (
        chromium.current_url,
        problems,
        element(chromium, "#q-camp_years").is_displayed(),
    )
    [record] = records_of(xls_hub, person)
    assert record["status"] == "finalized"
    assert record["answers"] == {
        "area": "north_b",
        "settlement": "town",
        "services_near": ["clinic", "market"],
    }
