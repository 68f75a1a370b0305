"""Safe defaults for every form: a question with no privacy rule that looks like an
identifier (by its name, its label in any language, or its type) stays on the laptop, a date
of birth leaves as its year; import and publish say so; a server cannot relax such a field
without the laptop's operator installing the version on purpose."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest
from openpyxl import Workbook

from collector.anonymizer import (
    anonymize,
    privacy_listing,
    rule_for,
    suggests_identifier,
    weaker_fields,
)
from collector.forms import load_form
from collector.xlsform import read_form_file
from support import TEST_PSEUDONYM_KEY, query
from test_central_accounts import sign_in, team  # noqa: F401 (a fixture)
from test_hub_operator import all_bytes, events, hub_state, publish_on, signed_in
from test_sync import OPERATOR, add_operator, collector, server_command

# About the defaults of imported forms on the hub, not the server's storage: SQLite only
# (tests/conftest.py runs the others on PostgreSQL too).
SERVER_ENGINES = ("sqlite",)


def question(name, kind="text", **labels):
    return {"name": name, "type": kind, "label": labels or {"en": name}}


# -- Detection -----------------------------------------------------------------------------

IDENTIFIERS = [
    # By the field's name, whatever the label says.
    (question("national_id", "integer", en="Number"), "national_id"),
    (question("phone_digits", "integer", en="Digits"), "phone"),
    (question("respondentPhone", en="Contact"), "phone"),
    (question("full_name", en="Respondent"), "name"),
    (question("surname", fr="Nom"), "name"),
    (question("dob", "date", en="When?"), "date_of_birth"),
    (question("house_no", "integer", en="House"), "address"),
    (question("gps_lat", "decimal", en="Where"), "location"),
    (question("e_mail", en="Write it"), "email"),
    (question("huduma_no", en="Number"), "national_id"),
    (question("passport", en="Document"), "national_id"),
    # By the label, in each of the six languages.
    (question("q1", en="Phone number of the respondent"), "phone"),
    (question("q2", "integer", en="Phone number of the respondent"), "phone"),
    (question("q3", en="Birth certificate number"), "national_id"),
    (question("q4", en="Street address"), "address"),
    (question("q5", fr="Quel est votre prénom ?"), "name"),
    (question("q6", "date", fr="Date de naissance"), "date_of_birth"),
    (question("q7", fr="Numéro de la carte d'électeur"), "national_id"),
    (question("q8", fr="Adresse e-mail"), "email"),
    (question("q9", es="¿Cuál es su nombre?"), "name"),
    (question("q10", "integer", es="Número de cédula"), "national_id"),
    (question("q11", es="Dirección del domicilio"), "address"),
    (question("q12", "date", es="Fecha de nacimiento"), "date_of_birth"),
    (question("q13", sw="Jina lako ni nani?"), "name"),
    (question("q14", "integer", sw="Namba ya simu"), "phone"),
    (question("q15", sw="Namba ya kitambulisho cha taifa"), "national_id"),
    (question("q16", sw="Pasipoti"), "national_id"),
    (question("q17", "date", sw="Tarehe ya kuzaliwa"), "date_of_birth"),
    (question("q18", ar="ما اسمك؟"), "name"),
    (question("q19", "integer", ar="ما هو رقم هاتفك؟"), "phone"),
    (question("q20", ar="رقم بطاقة الهوية"), "national_id"),
    (question("q21", "date", ar="تاريخ الميلاد"), "date_of_birth"),
    (question("q22", ar="عنوانك"), "address"),
    (question("q23", ha="Menene sunanka?"), "name"),
    (question("q24", ha="Lambar waya"), "phone"),
    (question("q25", ha="Lambar katin shaida"), "national_id"),
    (question("q26", "date", ha="Ranar haihuwa"), "date_of_birth"),
    # A label in another language than English still counts, next to an English one.
    (question("q27", en="Write it here", sw="Namba ya simu"), "phone"),
    # By the type: a location question is an identifier whatever it is called.
    (question("where", "geopoint", en="Where are you?"), "location"),
]

NOT_IDENTIFIERS = [
    question("household_size", "integer", en="How many people live in your household?"),
    question("phone_ownership", "select_one", en="Do you own a phone?"),
    question("phones", "integer", en="How many phones does the household own?"),
    question("has_id", "integer", en="Do you have a national ID card? (1 yes, 0 no)"),
    question("plot_size", "integer", en="Plot size in acres"),
    question("age", "integer", en="How old are you?"),
    question("comments", en="Is there anything else you would like to tell us?"),
    question("village_name", en="Name of the village"),
    question("birthplace", en="Where were you born?"),
    question("idp_since", "date", en="Displaced since"),
    question("incident_month", "date", en="When did it happen?"),
    question("nombre_personnes", "integer", fr="Nombre de personnes dans le ménage"),
    question("q1", fr="Nom du village"),
    question("q2", "integer", es="¿Cuántos teléfonos tiene el hogar?"),
    question("q3", "integer", sw="Simu ngapi ziko nyumbani?"),
    question("q4", sw="Jina la kijiji"),
    question("q5", "integer", ar="عدد أفراد الأسرة"),
    question("q6", "integer", ha="Wayoyi nawa ne a gida?"),
    question(
        "q7",
        "select_multiple",
        en="Which of these documents do you have: passport, national ID, birth certificate?",
    ),
    question("q8", "range", en="How much do you trust people with your phone number?"),
    question("q9", "note", en="Your name and phone number stay on this device."),
]


@pytest.mark.parametrize("spec,kind", IDENTIFIERS, ids=[f"{q['name']}-{k}" for q, k in IDENTIFIERS])
def test_questions_that_look_like_identifiers_are_found(spec, kind):
    assert suggests_identifier(spec) == kind
    expected = "generalize:year" if kind == "date_of_birth" else "drop"
    assert rule_for(spec) == expected


@pytest.mark.parametrize("spec", NOT_IDENTIFIERS, ids=[q["name"] for q in NOT_IDENTIFIERS])
def test_ordinary_questions_are_not_taken_for_identifiers(spec):
    assert suggests_identifier(spec) is None
    assert rule_for(spec) in ("keep", "scrub", "generalize:month")


def test_a_rule_given_on_purpose_wins_over_the_defaults():
    assert rule_for(dict(question("national_id", "integer"), privacy="keep")) == "keep"
    assert rule_for(dict(question("dob", "date"), privacy="generalize:month")) == "generalize:month"
    assert (
        rule_for(dict(question("phone"), identifying=True, privacy="pseudonymize"))
        == "pseudonymize"
    )


# -- Numbers that name a case, a household or a shelter; people asked for by their role ----

NUMBERED = [
    # A number or code of a case, a registration, a file, a household, a family, a
    # beneficiary, a ration card or a token is an ID; of a shelter, a tent or a hut, an address.
    (question("q1", "integer", en="UNHCR case no."), "national_id"),
    (question("q2", "decimal", en="Household number"), "national_id"),
    (question("q3", "integer", en="Shelter number"), "address"),
    (question("q4", en="Registration No"), "national_id"),
    (question("q5", "integer", en="File #"), "national_id"),
    (question("q6", "integer", en="Tent no."), "address"),
    (question("q7", en="Beneficiary code"), "national_id"),
    (question("q8", "integer", en="Token number"), "national_id"),
    (question("q9", "decimal", en="Family Nr."), "national_id"),
    (question("q10", "integer", en="HH #"), "national_id"),
    (question("q11", "integer", fr="Numéro du ménage"), "national_id"),
    (question("q12", fr="N° de dossier HCR"), "national_id"),
    (question("q13", "integer", fr="Numéro de la tente"), "address"),
    (question("q14", "integer", fr="Numéro d'abri"), "address"),
    (question("q15", fr="Code du bénéficiaire"), "national_id"),
    (question("q16", "decimal", fr="Numéro d'enregistrement"), "national_id"),
    (question("q17", "integer", es="Número de caso"), "national_id"),
    (question("q18", es="Nº de expediente"), "national_id"),
    (question("q19", "integer", es="Número del hogar"), "national_id"),
    (question("q20", "integer", es="Número de carpa"), "address"),
    (question("q21", es="Código de beneficiario"), "national_id"),
    (question("q22", "integer", sw="Namba ya kaya"), "national_id"),
    (question("q23", "integer", sw="Namba ya hema"), "address"),
    (question("q24", sw="Nambari ya usajili"), "national_id"),
    (question("q25", "decimal", sw="Namba ya kesi"), "national_id"),
    (question("q26", "integer", ar="رقم الأسرة"), "national_id"),
    (question("q27", "integer", ar="رقم الخيمة"), "address"),
    (question("q28", ar="رقم الملف"), "national_id"),
    (question("q29", "decimal", ar="رقم التسجيل لدى المفوضية"), "national_id"),
    (question("q30", "integer", ar="رقم المأوى"), "address"),
    (question("q31", "integer", ha="Lambar iyali"), "national_id"),
    (question("q32", "integer", ha="Lambar tanti"), "address"),
    (question("q33", ha="Lambar rajista"), "national_id"),
    (question("q34", "decimal", ha="Lambar katin abinci"), "national_id"),
    # By the field's name, whatever the label says.
    (question("case_no", "integer", en="Case"), "national_id"),
    (question("hhno", "decimal", en="Household"), "national_id"),
    (question("reg_no", en="Registration"), "national_id"),
    (question("shelter_num", "integer", en="Shelter"), "address"),
    (question("tent_no", "integer", en="Tent"), "address"),
    (question("caseNo", "decimal", en="Case"), "national_id"),
    # A number is a number whatever its type: a decimal, or picked from a range.
    (question("q35", "decimal", en="Shelter number"), "address"),
    (question("q36", "decimal", fr="Numéro de la tente"), "address"),
    (question("house_no", "decimal", en="House"), "address"),
    (question("q37", "range", en="Tent no."), "address"),
    (question("q38", "range", es="Número de caso"), "national_id"),
    (question("hh_no", "range", en="Household"), "national_id"),
]

COUNTS = [
    question("q1", "integer", en="Number of households"),
    question("q2", "integer", en="How many shelters are in the block?"),
    question("q3", "integer", en="Household size"),
    question("q4", "integer", en="Number of the household's members"),
    question("q5", "integer", en="HH no. of members"),
    question("q6", "integer", en="Number of cases reported this month"),
    question("q7", "select_one", en="Does the household have a ration card?"),
    question("q8", "integer", en="How many tents does the family have?"),
    question("q9", "integer", fr="Nombre de ménages"),
    question("q10", "integer", fr="Nombre de tentes dans le bloc"),
    question("q11", "integer", fr="Taille du ménage"),
    question("q12", "integer", es="Número de hogares"),
    question("q13", "integer", es="Número de miembros del hogar"),
    question("q14", "integer", es="¿Cuántas carpas hay en el bloque?"),
    question("q15", "integer", sw="Idadi ya kaya"),
    question("q16", "integer", sw="Hema ngapi ziko kwenye kambi?"),
    question("q17", "integer", ar="عدد الأسر"),
    question("q18", "integer", ar="كم عدد الخيام؟"),
    question("q19", "integer", ha="Yawan iyalai"),
    question("q20", "integer", ha="Tanti nawa ne?"),
    question("household_size", "integer", en="Size"),
    question("q24", "decimal", en="How many shelters are in the block?"),
    question("q25", "range", en="Household size"),
    question("q26", "range", fr="Nombre de tentes dans le bloc"),
    question("q27", "decimal", en="Number of households"),
    # "no" that says no, not "number".
    question("q21", en="Is the household no longer receiving aid? Why?"),
    question("q22", en="What do you do in case no one is home?"),
    # A mother's role is asked for; diseases (الأمراض begins like الأم, "the mother") are not.
    question("q23", ar="الأمراض"),
]

PEOPLE = [
    # A text question whose answer is a person: asked for by the role alone, or "who is" it.
    question("caregiver", en="Caregiver"),
    question("q1", en="Who is the child's main caregiver?"),
    question("q2", en="Head of household"),
    question("q3", en="Who referred you?"),
    question("q4", en="Referred by"),
    question("q5", en="Next of kin"),
    question("q6", en="Contact person (if the respondent cannot be reached)"),
    question("q7", en="Father"),
    question("q8", en="Spouse"),
    question("q9", en="Key informant"),
    question("q10", en="Landlord"),
    question("q11", en="Employer's name"),
    question("q12", en="Witness"),
    question("q13", en="Who is your guardian?"),
    question("hoh", en="Head"),
    question("q14", fr="Personne qui s'occupe de l'enfant"),
    question("q15", fr="Qui est le chef de ménage ?"),
    question("q16", fr="Tuteur"),
    question("q17", fr="Qui vous a orienté vers nous ?"),
    question("q18", fr="Conjoint(e)"),
    question("q19", es="Cuidador principal"),
    question("q20", es="¿Quién es el jefe del hogar?"),
    question("q21", es="Persona de contacto"),
    question("q22", es="Referido por"),
    question("q23", es="Madre"),
    question("q24", sw="Mlezi wa mtoto"),
    question("q25", sw="Mkuu wa kaya ni nani?"),
    question("q26", sw="Nani alikuelekeza hapa?"),
    question("q27", sw="Shahidi"),
    question("q28", ar="مقدم الرعاية"),
    question("q29", ar="من هو رب الأسرة؟"),
    question("q30", ar="من أحالك إلينا؟"),
    question("q31", ar="الأب"),
    question("q32", ar="ولي أمر الطفل"),
    question("q33", ha="Mai kula da yaron"),
    question("q34", ha="Wanene shugaban gida?"),
    question("q35", ha="Mahaifiya"),
    question("q36", ha="Maigidan haya"),
    question("q37", ar="أم الطفل"),
    question("q38", en="Who else lives with the child?"),
    question("q39", ha="Wa ya turo ka?"),
]

NOT_PEOPLE = [
    # About a person, not the person: their work, schooling, tie, presence or age.
    question("q1", en="Father's occupation"),
    question("q2", en="Mother's education"),
    question("q3", en="Relationship to the head of household"),
    question("q4", "select_one", en="Is the caregiver present?"),
    question("q5", "integer", en="Caregiver's age"),
    question("q6", en="Why did the child stop going to school?"),
    question("q7", en="What does your husband do for a living?"),
    question("q8", en="Where was the child referred?"),
    question("q9", en="Who decides how the money is spent?"),
    question("q10", en="Name of the caregiver's village"),
    question("q11", en="Describe the respondent's main concern"),
    question("father_occupation", en="Occupation"),
    question("q12", fr="Profession du père"),
    question("q13", fr="Lien avec le chef de ménage"),
    question("q14", fr="Pourquoi l'enfant a-t-il quitté l'école ?"),
    question("q15", es="Ocupación del padre"),
    question("q16", es="Parentesco con el jefe del hogar"),
    question("q17", "select_one", es="¿Está presente el cuidador?"),
    question("q18", sw="Kazi ya baba"),
    question("q19", sw="Uhusiano na mkuu wa kaya"),
    question("q20", sw="Elimu ya mama"),
    question("q21", ar="مهنة الأب"),
    question("q22", ar="صلة القرابة برب الأسرة"),
    question("q23", ar="تعليم الأم"),
    question("q24", ha="Sana'ar mahaifi"),
    question("q25", ha="Dangantaka da shugaban gida"),
    question("q26", ha="Ilimin mahaifiya"),
]


def _ids(specs):
    return [f"{next(iter(spec['label']))}-{spec['name']}" for spec in specs]


@pytest.mark.parametrize("spec,kind", NUMBERED, ids=_ids(q for q, _ in NUMBERED))
def test_a_number_of_a_case_a_household_or_a_shelter_is_an_identifier(spec, kind):
    assert suggests_identifier(spec) == kind
    assert rule_for(spec) == "drop"


@pytest.mark.parametrize("spec", COUNTS, ids=_ids(COUNTS))
def test_a_count_or_a_word_no_is_not_an_identifier(spec):
    assert suggests_identifier(spec) is None
    assert rule_for(spec) == ("scrub" if spec["type"] == "text" else "keep")


@pytest.mark.parametrize("spec", PEOPLE, ids=_ids(PEOPLE))
def test_a_text_question_that_asks_for_a_person_by_role_is_a_name(spec):
    assert suggests_identifier(spec) == "name"
    assert rule_for(spec) == "drop"


@pytest.mark.parametrize("spec", NOT_PEOPLE, ids=_ids(NOT_PEOPLE))
def test_a_question_about_a_person_is_not_their_name(spec):
    assert suggests_identifier(spec) is None
    assert rule_for(spec) in ("scrub", "keep")


def test_a_calculation_called_by_a_role_keeps_the_rule_of_what_it_counts():
    members = question("members", "integer", en="How many people live here?")
    children = {"name": "children", "type": "calculate", "calculation": "${members} - 1"}
    form = load_form(
        {
            "form_id": "count",
            "version": "1",
            "default_language": "en",
            "title": {"en": "Count"},
            "choices": {},
            "sections": [
                {"name": "main", "label": {"en": "Main"}, "questions": [members, children]}
            ],
        }
    )
    assert suggests_identifier(form.questions["children"]) is None
    assert rule_for(form.questions["children"], form) == "scrub"


def test_a_caregiver_and_a_case_number_stay_and_the_name_leaves_no_other_answer():
    """The review's form: before, the case number left as it was, and the caregiver's name
    was scrubbed but unchanged (a lone name with nothing around it)."""
    questions = [
        question("case_no", "integer", en="UNHCR case no."),
        question("shelter", "integer", en="Shelter number"),
        question("household", "decimal", en="Household number"),
        question("shelter_decimal", "decimal", en="Shelter number"),
        dict(question("tent", "range", en="Tent no."), parameters={"start": 1, "end": 400}),
        question("caregiver", en="Caregiver"),
        question("members", "integer", en="Number of the household's members"),
        dict(
            question("rooms", "range", en="Rooms in the shelter"), parameters={"start": 1, "end": 9}
        ),
        question("story", en="What happened?"),
    ]
    form = load_form(
        {
            "form_id": "review",
            "version": "1",
            "default_language": "en",
            "title": {"en": "Review"},
            "choices": {},
            "sections": [{"name": "main", "label": {"en": "Main"}, "questions": questions}],
        }
    )
    record = {
        "uuid": "u2",
        "revision": 1,
        "form_id": "review",
        "form_version": "1",
        "locale": "en",
        "finalized_at": "2024-05-03T10:00:00Z",
        "answers": {
            "case_no": 4419273,
            "shelter": 112,
            "household": 20741.0,
            "shelter_decimal": 318.0,
            "tent": 77,
            "caregiver": "Kaweesa",
            "members": 5,
            "rooms": 2,
            "story": "Kaweesa brought the children",
        },
    }
    sent = anonymize(record, form, TEST_PSEUDONYM_KEY)["answers"]
    assert sent == {"members": 5, "rooms": 2, "story": "[name] brought the children"}


# -- What leaves ---------------------------------------------------------------------------


def safe_defaults_form(version="1", **rules) -> dict:
    """A form as an XLSForm from elsewhere often is: no privacy rules at all."""
    questions = [
        question("national_id", "integer", en="National ID"),
        question("phone_digits", "integer", en="Phone (digits only)"),
        question("date_of_birth", "date", en="Date of birth"),
        question("visit_date", "date", en="Date of the visit"),
        question("household_size", "integer", en="How many people live here?"),
        question("note_text", en="Anything else?"),
        question("head_name", en="Name of the head of household"),
    ]
    for spec in questions:
        spec.update(rules.get(spec["name"], {}))
    return {
        "form_id": "safe_visit",
        "version": version,
        "default_language": "en",
        "title": {"en": "Visit"},
        "choices": {},
        "sections": [{"name": "main", "label": {"en": "Visit"}, "questions": questions}],
    }


def test_identifiers_without_a_rule_never_leave_and_a_birth_date_leaves_as_its_year():
    form = load_form(safe_defaults_form())
    record = {
        "uuid": "u1",
        "revision": 1,
        "form_id": "safe_visit",
        "form_version": "1",
        "locale": "en",
        "finalized_at": "2024-05-03T10:00:00Z",
        "enumerator": "Amina",
        "answers": {
            "national_id": 27461093,
            "phone_digits": 712999888,
            "date_of_birth": "1987-03-12",
            "visit_date": "2024-05-02",
            "household_size": 6,
            "head_name": "Wanjiru Odhiambo",
            "note_text": "Wanjiru was kind",
        },
    }
    sent = anonymize(record, form, TEST_PSEUDONYM_KEY)["answers"]
    assert sent == {
        "date_of_birth": "1987",
        "visit_date": "2024-05",
        "household_size": 6,
        "note_text": "[name] was kind",
    }


def test_the_listing_names_what_leaves_unchanged_and_what_looks_identifying():
    listing = privacy_listing(
        load_form(
            safe_defaults_form(
                household_size={"privacy": "keep"}, head_name={"privacy": "pseudonymize"}
            )
        )
    )
    assert listing == {
        "keep": ["household_size"],
        "identifiers": [
            ("national_id", "national_id"),
            ("phone_digits", "phone"),
            ("date_of_birth", "date_of_birth"),
        ],
        "exact_locations": [],
    }


def test_weaker_fields_compares_the_rules_in_effect():
    old = load_form(safe_defaults_form())
    relaxed = load_form(
        safe_defaults_form(
            "2",
            national_id={"privacy": "keep"},
            date_of_birth={"privacy": "generalize:month"},
            household_size={"privacy": "keep"},
        )
    )
    # household_size was already kept by default: the same promise, not a weaker one.
    assert weaker_fields(old, relaxed) == ["national_id", "date_of_birth"]
    assert weaker_fields(relaxed, old) == []
    # From a month to a year hides more: never a refusal.
    monthly = load_form(safe_defaults_form("3", date_of_birth={"privacy": "generalize:month"}))
    assert weaker_fields(monthly, old) == []


# -- An imported XLSForm, filled and synced -------------------------------------------------

NATIONAL_ID, PHONE_DIGITS, BIRTH_DATE = 27461093, 712999888, "1987-03-12"


def write_xlsform(path: Path, version="1", rules: dict | None = None) -> Path:
    """An XLSForm as a survey team brings it from elsewhere: no privacy column for the
    identifying questions."""
    rules = rules or {}
    rows = [
        ["integer", "national_id", "National ID number", "Numéro d'identité"],
        ["integer", "phone_digits", "Phone (digits only)", "Téléphone (chiffres)"],
        ["date", "date_of_birth", "Date of birth", "Date de naissance"],
        ["select_one yes_no", "phone_ownership", "Do you own a phone?", "Avez-vous un téléphone ?"],
        [
            "integer",
            "household_size",
            "How many people live here?",
            "Combien de personnes vivent ici ?",
        ],
    ]
    workbook = Workbook()
    survey = workbook.active
    survey.title = "survey"
    survey.append(["type", "name", "label::English (en)", "label::Français (fr)", "privacy"])
    for row in rows:
        survey.append(row + [rules.get(row[1])])
    choices = workbook.create_sheet("choices")
    choices.append(["list_name", "name", "label::English (en)", "label::Français (fr)"])
    choices.append(["yes_no", "yes", "Yes", "Oui"])
    choices.append(["yes_no", "no", "No", "Non"])
    settings = workbook.create_sheet("settings")
    settings.append(["form_id", "version", "form_title", "default_language"])
    settings.append(["id_check", version, "ID check", "English (en)"])
    workbook.save(path)
    return path


def fill_imported(phone, form_id: str, answers: dict) -> str:
    """Fill a one-page imported form as a person would, without JavaScript; finalize it."""
    page = phone.get(f"/forms/{form_id}")
    assert page.status_code == 200, page.text[:500]
    action = re.search(r'<form method="post" action="(/records/[^"]+)"', page.text).group(1)
    data = [("form_id", form_id), ("_action", "next")]
    for name, value in answers.items():
        data += [("_shown", name), (name, str(value))]
    review = phone.post(action, data)
    assert "/review" in review.url, review.text[:2000]
    record_uuid = action.split("/")[2]
    assert phone.post(f"/records/{record_uuid}/finalize", {}).status_code == 200
    return record_uuid


def test_an_imported_xlsform_keeps_identifiers_on_the_laptop(
    hub, central, data_dir, db_path, tmp_path
):
    xlsform = write_xlsform(tmp_path / "id_check.xlsx")
    result = collector("forms", "import", xlsform, data_dir=data_dir)
    assert result.exit_code == 0, result.output
    publish_on(central, read_form_file(xlsform).form.data)  # the server knows it too
    assert result.output == (
        "Imported id_check version 1.\n"
        "Leave the laptop unchanged (keep): phone_ownership, household_size.\n"
        "Look like identifiers, so they stay on the laptop unless the form gives them a "
        "privacy rule:\n"
        "  national_id: an ID number, not sent\n"
        "  phone_digits: a phone number, not sent\n"
        "  date_of_birth: a date of birth, sent as the year only\n"
    )
    assert (
        collector(
            "enroll",
            "--yes",
            "--server",
            central.url,
            "--code",
            central.enrollment_code(),
            data_dir=data_dir,
        ).exit_code
        == 0
    )
    phone = hub.browser("fr")
    phone.signin()
    record_uuid = fill_imported(
        phone,
        "id_check",
        {
            "national_id": NATIONAL_ID,
            "phone_digits": PHONE_DIGITS,
            "date_of_birth": BIRTH_DATE,
            "phone_ownership": "yes",
            "household_size": 7,
        },
    )
    result = collector("sync", data_dir=data_dir)
    assert result.exit_code == 0, result.output
    [row] = query(central.database, "SELECT uuid, answers FROM records")
    assert row["uuid"] == record_uuid
    assert json.loads(row["answers"]) == {
        "date_of_birth": "1987",
        "phone_ownership": "yes",
        "household_size": 7,
    }
    raw = all_bytes(Path(central.app.config["DATA_DIR"]))
    for planted in (str(NATIONAL_ID), str(PHONE_DIGITS), BIRTH_DATE, "1987-03"):
        assert planted.encode() not in raw, planted
    # The laptop keeps all of it.
    [kept] = query(db_path, "SELECT answers FROM records")
    assert json.loads(kept["answers"])["national_id"] == NATIONAL_ID


def test_publish_lists_what_leaves_unchanged_and_what_looks_identifying(central, tmp_path):
    form = write_xlsform(
        tmp_path / "id_check.xlsx", rules={"household_size": "keep", "phone_digits": "drop"}
    )
    result = server_command("forms", "publish", form, central=central)
    assert result.exit_code == 0, result.output
    assert result.output == (
        "Published id_check version 1.\n"
        "Leave the laptop unchanged (keep): phone_ownership, household_size.\n"
        "Look like identifiers, so they stay on the laptop unless the form gives them a "
        "privacy rule:\n"
        "  national_id: an ID number, not sent\n"
        "  date_of_birth: a date of birth, sent as the year only\n"
    )


def test_the_forms_page_lists_them_after_an_upload(team):  # noqa: F811
    admin = sign_in(team, "amani")
    page = admin.get("/forms").text
    definition = json.dumps(safe_defaults_form(household_size={"privacy": "keep"}))
    files = {"definition": ("visit.json", definition, "application/json")}
    preview = admin.session.post(
        team.url + "/forms", files=files, data={"csrf_token": admin.csrf(page)}
    )
    # Checked and shown in preview first; "Publish" publishes what the preview showed.
    action = re.search(r'action="(/forms/preview/[^"]+/publish)"', preview.text).group(1)
    response = admin.post(action, {}, csrf_from=preview.text)
    text = html.unescape(response.text)
    assert "Published safe_visit version 1." in text
    assert "Leave the laptops unchanged (keep): household_size" in text
    for field, what in (
        ("national_id", "an ID number"),
        ("phone_digits", "a phone number"),
        ("head_name", "a person's name"),
    ):
        assert (
            f"{field} looks like {what}: it stays on the laptops unless the form gives "
            "it a privacy rule."
        ) in text
    assert (
        "date_of_birth looks like a date of birth: only its year leaves the laptops "
        "unless the form gives it a privacy rule."
    ) in text


# -- A server cannot relax them; the operator can, on purpose ------------------------------


def refused_by_the_hub(hub, central, data_dir, db_path, tmp_path) -> None:
    """The hub has the XLSForm without rules; the server publishes a version that keeps
    the national ID and sends the birth date by month: refused."""
    assert (
        collector(
            "forms", "import", write_xlsform(tmp_path / "v1.xlsx"), data_dir=data_dir
        ).exit_code
        == 0
    )
    assert (
        collector(
            "enroll",
            "--yes",
            "--server",
            central.url,
            "--code",
            central.enrollment_code(),
            data_dir=data_dir,
        ).exit_code
        == 0
    )
    relaxed = read_form_file(
        write_xlsform(
            tmp_path / "v2.xlsx",
            "2",
            rules={"national_id": "keep", "date_of_birth": "generalize:month"},
        )
    ).form
    honest = read_form_file(
        write_xlsform(tmp_path / "v3.xlsx", "3", rules={"national_id": "drop"})
    ).form
    publish_on(central, relaxed.data, honest.data)
    assert collector("sync", data_dir=data_dir).exit_code == 0
    assert [r["version"] for r in query(db_path, "SELECT version FROM forms")] == ["1", "3"]
    [refusal] = json.loads(hub_state(db_path)["refused_forms"])
    assert (refusal["version"], refusal["fields"]) == ("2", ["national_id", "date_of_birth"])
    assert refusal["changes"] == [
        ["national_id", "drop", "keep"],
        ["date_of_birth", "generalize:year", "generalize:month"],
    ]


def test_the_operator_installs_a_refused_version_on_the_sync_page(
    hub, central, data_dir, db_path, tmp_path
):
    refused_by_the_hub(hub, central, data_dir, db_path, tmp_path)
    add_operator(hub)
    enumerator = signed_in(hub)
    assert "Install anyway" not in enumerator.last.text
    # An enumerator cannot install it, even by posting.
    denied = enumerator.post("/sync/forms/accept", {"form_id": "id_check", "version": "2"})
    assert denied.status_code == 403
    operator = signed_in(hub, *OPERATOR)
    page = html.unescape(operator.last.text)
    assert "Install anyway" in page
    assert "national_id: drop → keep" in page
    assert "date_of_birth: generalize:year → generalize:month" in page
    # Without the page's CSRF token nothing happens.
    forged = operator.session.post(
        hub.url + "/sync/forms/accept", data={"form_id": "id_check", "version": "2"}
    )
    assert forged.status_code == 400
    unknown = operator.post("/sync/forms/accept", {"form_id": "id_check", "version": "9"})
    assert unknown.status_code == 404
    assert [r["version"] for r in query(db_path, "SELECT version FROM forms")] == ["1", "3"]

    operator.get("/sync")
    done = operator.post("/sync/forms/accept", {"form_id": "id_check", "version": "2"})
    assert done.status_code == 200
    assert "Installed form id_check version 2 on this laptop." in html.unescape(done.text)
    assert "Install anyway" not in done.text
    assert sorted(r["version"] for r in query(db_path, "SELECT version FROM forms")) == [
        "1",
        "2",
        "3",
    ]
    assert json.loads(hub_state(db_path)["refused_forms"]) == []
    assert "refused_form:id_check:2" not in hub_state(db_path)
    [accepted] = events(db_path, "form_accepted")
    operator_id = query(db_path, "SELECT id FROM users WHERE name = ?", [OPERATOR[0]])[0]["id"]
    assert accepted == {
        "account": f"user:{operator_id}",
        "detail": "id_check 2: national_id, date_of_birth",
    }
    # The next sync does not refuse it again.
    assert collector("sync", data_dir=data_dir).exit_code == 0
    assert len(events(db_path, "form_refused")) == 1


def test_the_operator_installs_a_refused_version_from_the_command_line(
    hub, central, data_dir, db_path, tmp_path
):
    refused_by_the_hub(hub, central, data_dir, db_path, tmp_path)
    missing = collector("forms", "accept", "id_check", "9", data_dir=data_dir)
    assert missing.exit_code == 1 and "No refused version 9 of form id_check" in missing.output
    said_no = CliRunnerInput("n\n").invoke("forms", "accept", "id_check", "2", data_dir=data_dir)
    assert said_no.exit_code == 1 and "Aborted" in said_no.output
    assert "  national_id: drop -> keep\n" in said_no.output
    assert [r["version"] for r in query(db_path, "SELECT version FROM forms")] == ["1", "3"]

    result = collector("forms", "accept", "id_check", "2", "--yes", data_dir=data_dir)
    assert result.exit_code == 0, result.output
    assert result.output == (
        "id_check version 2 would send more about people than this hub does:\n"
        "  national_id: drop -> keep\n"
        "  date_of_birth: generalize:year -> generalize:month\n"
        "Installed id_check version 2.\n"
    )
    assert events(db_path, "form_accepted") == [
        {"account": None, "detail": "id_check 2: national_id, date_of_birth"}
    ]
    again = collector("forms", "accept", "id_check", "2", "--yes", data_dir=data_dir)
    assert again.exit_code == 1


class CliRunnerInput:
    """`collector` with something typed at its prompts."""

    def __init__(self, typed: str):
        self.typed = typed

    def invoke(self, *args, data_dir):
        from click.testing import CliRunner

        from collector.cli import cli

        return CliRunner().invoke(cli, [*args, "--data-dir", str(data_dir)], input=self.typed)
