"""A whole form posted at once is read as its sections read one page at a time would read it
(validation.read_all prunes the record once, not once per section): same answers, errors,
what was typed and what was never shown, over many answers, valid and not."""

from __future__ import annotations

import random

import pytest
from werkzeug.datastructures import MultiDict

from collector import validation
from collector.forms import builtin_forms, load_form
from test_calculations import HOUSEHOLD
from test_repeats import FAMILY, PUPILS, ROSTER, SIBLINGS

YES_NO = [{"name": "yes", "label": {"en": "Yes"}}, {"name": "no", "label": {"en": "No"}}]
# A repeat counted by a calculation over a question that may be closed: its instances are
# known only once the answers before it have settled.
COUNTED = {
    "form_id": "counted",
    "version": "1",
    "title": {"en": "Counted"},
    "choices": {"yes_no": YES_NO},
    "sections": [
        {
            "name": "start",
            "label": {"en": "Start"},
            "questions": [
                {"name": "ask", "type": "select_one", "choices": "yes_no", "label": {"en": "Ask?"}},
                {
                    "name": "people",
                    "type": "integer",
                    "label": {"en": "People"},
                    "relevant": "${ask} = 'yes'",
                    "constraint": ". <= 3",
                },
                {"name": "size", "type": "calculate", "calculation": "${people} + 0"},
            ],
        },
        {
            "name": "persons",
            "label": {"en": "Person"},
            "repeat": True,
            "repeat_count": "${size}",
            "questions": [
                {"name": "p_age", "type": "integer", "label": {"en": "Age"}, "required": True},
                {
                    "name": "p_school",
                    "type": "select_one",
                    "choices": "yes_no",
                    "label": {"en": "In school?"},
                    "relevant": "${p_age} < 18 and ${ask} = 'yes'",
                },
            ],
        },
        {
            "name": "after",
            "label": {"en": "After"},
            "questions": [
                {
                    "name": "why",
                    "type": "text",
                    "label": {"en": "Why?"},
                    "relevant": "count(${p_age}) > 1",
                    "required": True,
                },
            ],
        },
    ],
}
FORMS = {
    **{name: form for name, form in builtin_forms().items()},
    **{
        data["form_id"]: load_form(data)
        for data in (HOUSEHOLD, FAMILY, PUPILS, ROSTER, SIBLINGS, COUNTED)
    },
}
TRIES = 40


def a_page_at_a_time(form, formdata, locale, strict, stored):
    """The reading read_all replaced: each section read and the record pruned after it."""
    whole = validation.PageResult(answers=dict(stored or {}))
    for index in range(len(form.sections)):
        result = validation.read_page(form, index, formdata, whole.answers, locale, strict)
        whole.answers = result.answers
        whole.errors.update(result.errors)
        whole.raw.update(result.raw)
        whole.unseen += result.unseen
    return whole


def some_value(form, question, rng: random.Random):
    """A value a person (or a forged post) might send: mostly valid, sometimes not, or blank."""
    roll = rng.random()
    if roll < 0.15:
        return None
    names = [c["name"] for c in form.choices(question)] if question.get("choices") else []
    if question.type == "select_multiple":
        picked = rng.sample(names, rng.randint(0, min(3, len(names))))
        return picked + (["forged"] if roll > 0.95 else [])
    if roll > 0.93:
        return rng.choice(["abc", "-1", "99999", "2024-13-45", "forged"])
    if question.type == "select_one":
        return rng.choice(names)
    if question.type in ("integer", "range"):
        params = question.get("parameters") or {}
        if question.type == "range":
            return str(rng.randrange(params["start"], params["end"] + 1, params["step"]))
        return str(rng.randint(0, 25))
    if question.type == "decimal":
        return f"{rng.uniform(0, 30):.2f}"
    if question.type == "date":
        return "2024-03" if question.get("appearance") == "month-year" else "2024-03-15"
    if question.type == "time":
        return "14:30"
    if question.type == "datetime":
        return "2024-03-15 14:30"
    if question.type in ("geopoint", "start-geopoint"):
        return "-1.2921 36.8219"
    return rng.choice(["some words", "Halima +254 712 345678", ""])


def posted(form, rng: random.Random) -> MultiDict:
    """Every section's fields as a whole-form page posts them, repeats with 0 to 3
    instances, a question now and then not marked as shown."""
    data = []
    for section in form.sections:
        count = 1
        if section["name"] in form.repeats:
            count = rng.randint(0, 3)
            data.append((f"_repeat.{section['name']}", str(count)))
        for position in range(1, count + 1):
            for question in form.repeats.get(section["name"], []) or [
                form.questions[q["name"]] for q in section["questions"]
            ]:
                if not question.answered:
                    continue
                key = question.name if question.repeat is None else f"{question.name}.{position}"
                if rng.random() > 0.05:
                    data.append(("_shown", key))
                value = some_value(form, question, rng)
                if isinstance(value, list):
                    data += [(key, v) for v in value]
                elif value is not None:
                    data.append((key, value))
    return MultiDict(data)


@pytest.mark.parametrize("form_id", sorted(FORMS))
def test_reading_a_whole_form_at_once_matches_reading_it_a_page_at_a_time(app, form_id):
    form, rng = FORMS[form_id], random.Random(form_id)
    differences = 0
    with app.test_request_context("/"):
        for attempt in range(TRIES):
            formdata = posted(form, rng)
            strict = attempt % 3 != 0
            stored = validation.defaults(form)
            expected = a_page_at_a_time(form, formdata, "en", strict, stored)
            found = validation.read_all(form, formdata, "en", strict, stored)
            assert found.answers == expected.answers, formdata
            assert list(found.errors.items()) == list(expected.errors.items()), formdata
            assert found.raw == expected.raw and found.unseen == expected.unseen, formdata
            differences += bool(expected.errors) + bool(expected.unseen)
    # The tries covered refused records as well as accepted ones.
    assert 0 < differences
