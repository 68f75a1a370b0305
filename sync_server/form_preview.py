"""The Forms page's preview of a form before it is published: the form as phones show it
(sections, questions in each language of the form, choices, what is required, when a
question is asked), what leaves the laptops for each field, and the difference from the
current version (sync_server.form_diff) in the viewer's language."""

from __future__ import annotations

import re
from typing import Any

from babel import Locale, UnknownLocaleError
from flask_babel import gettext

from collector.anonymizer import privacy_listing, rule_for
from collector.forms import FormDefinition, Question

from .form_diff import Change, FormDiff, form_languages, plain_value
from .labels import language_name

REFERENCE = re.compile(r"\$\{([^}]*)\}")
# Operators written as people read them; the rest of an expression stays as written.
SYMBOLS = ((">=", "≥"), ("<=", "≤"), ("!=", "≠"))
# A list of thousands of villages is shown by its first choices: the page stays readable.
CHOICES_SHOWN = 30


def languages(form: FormDefinition) -> list[dict[str, str]]:
    """The form's languages, its default first: code, name in the viewer's language, and
    the direction its texts are written in."""
    codes = sorted(form_languages(form), key=lambda c: (c != form.default_language, c))
    return [{"code": code, "name": language_name(code), "dir": direction(code)} for code in codes]


def direction(code: str) -> str:
    try:
        order = Locale.parse(code).character_order
    except (ValueError, UnknownLocaleError):
        return "auto"
    return "rtl" if order == "right-to-left" else "ltr"


def readable(form: FormDefinition, expression: str | None, locale: str) -> str:
    """An expression with each `${name}` shown as that question's label in quotes."""
    if not expression:
        return ""

    def label(match: re.Match) -> str:
        question = form.questions.get(match.group(1))
        if question is None or not question.get("label"):
            return match.group(0)
        return "“" + form.text(question.label, locale) + "”"

    text = REFERENCE.sub(label, expression)
    for written, shown in SYMBOLS:
        text = text.replace(written, shown)
    return text


def sections(form: FormDefinition, locale: str) -> list[dict[str, Any]]:
    """Each section as the phones show it, with its questions."""
    listing = privacy_listing(form)
    identifiers = dict(listing["identifiers"])
    return [
        {
            "name": section["name"],
            "label": section["label"],
            "repeat": bool(section.get("repeat")),
            "repeat_count": readable(form, section.get("repeat_count"), locale),
            "relevant": section.get("relevant", ""),
            "relevance": readable(form, section.get("relevant"), locale),
            "questions": [
                question(form, form.questions[q["name"]], identifiers, locale)
                for q in section["questions"]
            ],
        }
        for section in form.sections
    ]


def question(form: FormDefinition, q: Question, identifiers: dict, locale: str) -> dict:
    """One question: its texts by language, choices, conditions and privacy rule."""
    rule = rule_for(q, form) if q.holds_value else None
    return {
        "name": q.name,
        "type": q.type,
        "list": q.get("choices"),
        "label": q.get("label") or {},
        "hint": q.get("hint") or {},
        "choices": form.choices(q)[:CHOICES_SHOWN],
        "more_choices": max(0, len(form.choices(q)) - CHOICES_SHOWN),
        "required": bool(q.get("required")),
        "relevant": q.get("relevant", ""),
        "relevance": readable(form, q.get("relevant"), locale),
        "constraint": q.get("constraint", ""),
        "constraint_text": readable(form, q.get("constraint"), locale),
        "limits": plain_value(
            "constraint",
            tuple((k, q.get(k)) for k in ("min", "max", "max_length") if q.get(k) is not None),
        ),
        "calculation": q.get("calculation", ""),
        "rule": rule,
        "rule_text": rule_text(rule),
        "default_rule": rule is not None and not q.get("privacy") and not q.get("identifying"),
        "keep": rule == "keep",
        "identifier": identifier_notice(identifiers.get(q.name), q.name),
    }


def rule_text(rule: str | None) -> str:
    """What a privacy rule does to the answer, in a few words."""
    if rule is None:
        return gettext("Nothing is recorded.")
    texts = {
        "drop": gettext("Stays on the laptops."),
        "pseudonymize": gettext("Leaves as a pseudonym (a code that cannot be read back)."),
        "pseudonymize:phone": gettext("Leaves as a pseudonym of the phone number."),
        "scrub": gettext("Leaves with names, phone numbers, e-mails and ID numbers removed."),
        "keep": gettext("Leaves the laptops unchanged."),
        "generalize:age_band": gettext("Leaves as an age band."),
        "generalize:month": gettext("Leaves as the month only."),
        "generalize:year": gettext("Leaves as the year only."),
        "generalize:parent": gettext("Leaves as the larger area it belongs to."),
    }
    if rule in texts:
        return texts[rule]
    kind, _, detail = rule.partition(":")[2].partition(":")
    if kind == "bins":
        return gettext(
            "Leaves as a range between the limits %(edges)s.", edges=detail.replace(",", ", ")
        )
    if kind == "grid":
        return gettext(
            "Leaves as the centre of the grid square (%(metres)s m a side) it falls in.",
            metres=detail,
        )
    if kind == "area":
        return gettext("Leaves as the name of the area it falls in.")
    return rule


def identifier_notice(kind: str | None, name: str) -> str:
    """Why a field without a rule is held back, or "" when it is not."""
    if kind is None:
        return ""
    from .forms import identifier_notices

    return identifier_notices()[kind] % {"field": name}


# -- the difference, in the viewer's language --------------------------------------------


def aspect_names() -> dict[str, str]:
    return {
        "place": gettext("Where it is asked"),
        "type": gettext("Type"),
        "label": gettext("Label"),
        "hint": gettext("Hint"),
        "choices": gettext("Choices"),
        "relevance": gettext("When it is asked"),
        "constraint": gettext("Limits on the answer"),
        "required": gettext("Required"),
        "calculation": gettext("Calculation"),
        "identifying": gettext("Marked as identifying"),
        "privacy": gettext("What leaves the laptops"),
        "repeat": gettext("Repeated"),
        "repeat_count": gettext("Number of repeats"),
    }


def shown_value(form: FormDefinition, aspect: str, value: Any, locale: str) -> str:
    """A value of the diff as the page shows it."""
    if aspect == "privacy":
        return rule_text(value or None)
    if aspect in ("required", "identifying", "repeat"):
        return gettext("Yes") if value else gettext("No")
    if aspect == "relevance":
        return (
            gettext("Always")
            if not value
            else " and ".join(readable(form, condition, locale) for condition in value)
        )
    if aspect == "place":
        name, repeat = value
        label = form.text(form.section(name)["label"], locale)
        return gettext("%(section)s (repeated)", section=label) if repeat else label
    return plain_value(aspect, value)


def changes(
    diff: FormDiff, old: FormDefinition, new: FormDefinition, locale: str
) -> list[dict[str, Any]]:
    """The changed questions and sections as rows: what, aspect, before, after."""
    names = aspect_names()
    rows = []
    for kind, items in (("section", diff.sections_changed), ("question", diff.changed)):
        for item in items:
            for change in item.changes:
                rows.append(
                    {
                        "kind": kind,
                        "name": item.name,
                        "aspect": names[change.aspect],
                        "before": shown_value(old, change.aspect, change.before, locale),
                        "after": shown_value(new, change.aspect, change.after, locale),
                        "notes": choice_notes(change),
                        "weaker": item.weaker and change.aspect in ("privacy", "identifying"),
                    }
                )
    return rows


def choice_notes(change: Change) -> list[str]:
    notes = []
    if change.added:
        notes.append(gettext("Choices added: %(names)s", names=", ".join(change.added)))
    if change.removed:
        notes.append(gettext("Choices removed: %(names)s", names=", ".join(change.removed)))
    if change.relabelled:
        notes.append(
            gettext("Choices with new labels: %(names)s", names=", ".join(change.relabelled))
        )
    return notes


def label_of(form: FormDefinition, name: str, locale: str) -> str:
    """A question's label in the viewer's language, or its name (a calculation)."""
    question = form.questions.get(name)
    if question is None or not question.get("label"):
        return ""
    return form.text(question.label, locale)
