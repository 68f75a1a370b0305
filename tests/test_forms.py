"""The form-definition schema and the built-in instruments."""

from __future__ import annotations

import copy

import pytest

from collector.forms import FormError, builtin_forms, load_form, load_form_json

FORMS = builtin_forms()

# shared/DESIGN.md: the identifying and free-text fields of each built-in form.
IDENTIFYING = {
    "community_survey": {"respondent_name", "respondent_phone"},
    "discrimination_report": {"reporter_name", "reporter_contact"},
    "community_feedback": {"contact"},
}
FREE_TEXT = {
    "community_survey": "comments",
    "discrimination_report": "incident_description",
    "community_feedback": "message",
}


@pytest.mark.parametrize("form_id", sorted(IDENTIFYING))
def test_identifying_fields_are_declared_and_dropped(form_id):
    form = FORMS[form_id]
    assert set(form.identifying_fields) == IDENTIFYING[form_id]
    for name in IDENTIFYING[form_id]:
        assert form.questions[name].privacy == "drop"
    assert form.questions[FREE_TEXT[form_id]].privacy == "scrub"


@pytest.mark.parametrize("form_id", sorted(IDENTIFYING))
def test_every_field_declares_a_privacy_rule_and_sources_are_cited(form_id):
    form = FORMS[form_id]
    assert form.data["sources"], "each instrument cites what it is modelled on"
    for name, question in form.questions.items():
        assert question.get("privacy"), f"{form_id}.{name} has no privacy rule"


def test_community_survey_covers_the_required_content():
    form = FORMS["community_survey"]
    assert [s["name"] for s in form.sections][0] == "consent"
    names = set(form.questions)
    washington_group = {n for n in names if n.startswith("wg_") and n != "wg_intro"}
    assert len(washington_group) == 6
    assert len([n for n in names if n.startswith("who5_") and n != "who5_intro"]) == 5
    institutions = {n for n in names if n.startswith("trust_")} - {
        "trust_people",
        "trust_fair",
        "trust_helpful",
        "trust_institutions_intro",
        "trust_host_newcomers",
    }
    assert len(institutions) >= 9
    assert {
        "incl_visibility",
        "incl_consideration",
        "incl_participation",
        "incl_rights",
        "incl_income",
    } <= names
    grounds = set(form.choice_names(form.questions["discrimination_grounds"]))
    assert {
        "ethnicity",
        "nationality",
        "religion",
        "language",
        "sex_gender",
        "age",
        "disability",
        "sexual_orientation",
        "political",
        "social_origin",
        "income",
        "health",
        "other",
    } <= grounds
    settings = set(form.choice_names(form.questions["discrimination_settings"]))
    assert {
        "work",
        "job_seeking",
        "health_care",
        "school",
        "housing",
        "police",
        "courts",
        "transport",
        "shops",
        "public_offices",
        "neighbours",
        "online",
    } <= settings
    statuses = set(form.choice_names(form.questions["migration_status"]))
    assert {"host", "idp", "refugee", "migrant", "returnee"} <= statuses
    assert form.questions["life_satisfaction"].parameters == {"start": 0, "end": 10, "step": 1}


def test_kiosk_feedback_types():
    form = FORMS["community_feedback"]
    types = form.choice_names(form.questions["feedback_type"])
    assert types == ["question", "suggestion", "complaint", "thanks", "discrimination"]
    assert form.questions["contact"].relevant == "${wants_reply} = 'yes'"


def minimal_form(**changes):
    data = {
        "form_id": "household_visit",
        "version": "2",
        "title": {"en": "Household visit"},
        "sections": [
            {
                "name": "main",
                "label": {"en": "Main"},
                "questions": [
                    {
                        "name": "size",
                        "type": "integer",
                        "label": {"en": "Household size"},
                        "min": 1,
                    },
                    {
                        "name": "water",
                        "type": "select_one",
                        "label": {"en": "Water source"},
                        "choices": "water",
                        "relevant": "${size} > 0",
                    },
                ],
            }
        ],
        "choices": {"water": [{"name": "tap", "label": {"en": "Tap"}}]},
    }
    data.update(changes)
    return data


def test_a_minimal_form_loads():
    form = load_form(minimal_form())
    assert form.form_id == "household_visit" and list(form.questions) == ["size", "water"]
    # A missing translation falls back to the default language, never to blank.
    assert form.text(form.data["title"], "fr") == "Household visit"


def _broken(mutate):
    data = minimal_form()
    mutate(data)
    return data


@pytest.mark.parametrize(
    "mutate,expected",
    [
        (lambda d: d["sections"][0]["questions"][0].update(type="photo"), "Must be one of"),
        (lambda d: d["sections"][0]["questions"][1].pop("choices"), "needs a choice list"),
        (
            lambda d: d["sections"][0]["questions"][1].update(choices="nope"),
            "no choice list named 'nope'",
        ),
        (lambda d: d["sections"][0]["questions"][1].update(relevant="${size} >"), "at character"),
        (
            lambda d: d["sections"][0]["questions"][1].update(relevant="${ghost} = 1"),
            "refers to 'ghost', which is not a question",
        ),
        (
            lambda d: d["sections"][0]["questions"].append(
                copy.deepcopy(d["sections"][0]["questions"][0])
            ),
            "The question name 'size' is used twice.",
        ),
        (lambda d: d["sections"][0]["questions"][0].update(name="2bad"), "String does not match"),
        (
            lambda d: d["sections"][0]["questions"][0].update(privacy="hide"),
            "is not a privacy rule",
        ),
        (
            lambda d: d["sections"][0]["questions"][0].update(privacy="generalize:bins"),
            "is not a privacy rule",
        ),
        (
            lambda d: d["sections"][0]["questions"][0].update(privacy="generalize:bins:5,1"),
            "bin edges must be ascending",
        ),
        (
            lambda d: d["sections"][0]["questions"][0].update(privacy="generalize:bins:a,b"),
            "bin edges must be numbers",
        ),
        (
            lambda d: d["sections"][0]["questions"][0].update(privacy="generalize:age_band:3"),
            "is not a privacy rule",
        ),
        (
            lambda d: d["sections"][0]["questions"][0].update(identifying=True, privacy="keep"),
            "must be dropped or pseudonymized",
        ),
        (lambda d: d.update(title={"en": "  "}), "text is empty"),
        (lambda d: d.update(title={"English": "x"}), "is not a locale code"),
        (lambda d: d.update(colour="blue"), "Unknown field"),
        (lambda d: d.update(sections=[]), "Shorter than minimum length"),
    ],
)
def test_bad_definitions_are_refused_with_a_clear_message(mutate, expected):
    with pytest.raises(FormError) as caught:
        load_form(_broken(mutate))
    assert expected in str(caught.value)


def test_malformed_json_is_a_form_error():
    with pytest.raises(FormError, match="Not valid JSON"):
        load_form_json("{ not json")
