"""Repeats: questions asked once per instance (each member of a household).

A record keeps a repeat's answers as a list of instance dicts under the repeat's name:
``{"hh_size": 2, "members": [{"member_age": 34}, {"member_age": 7}]}``. A question of
one instance is a `Question` with a `position`; its answer is posted as `member_age.2`.
This module is the one place that knows that shape: reading and writing one answer,
how many instances a repeat has, and what an expression in an instance can see.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import datetime

from flask import has_request_context
from flask_babel import get_locale

from . import expressions
from .forms import MAX_INSTANCES


def posted_count(text: str) -> int | None:
    """An instance count or position as a page posts it: a few ASCII digits, or None."""
    return int(text) if re.fullmatch(r"[0-9]{1,9}", text or "") else None


def instances(answers: dict, repeat: str) -> list[dict]:
    value = answers.get(repeat)
    return value if isinstance(value, list) else []


def get_answer(answers: dict, question):
    """The answer to a question, or to one instance of a repeated question."""
    if question.repeat is None:
        return answers.get(question.name)
    found = instances(answers, question.repeat)
    if not 1 <= (question.position or 0) <= len(found):
        return None
    return found[question.position - 1].get(question.name)


def set_answer(answers: dict, question, value) -> None:
    """Store (or, for None, remove) an answer in place; instances are added as needed."""
    if question.repeat is None:
        target = answers
    else:
        found = answers.setdefault(question.repeat, [])
        while len(found) < question.position:
            found.append({})
        target = found[question.position - 1]
    if value is None:
        target.pop(question.name, None)
    else:
        target[question.name] = value


class Scope(Mapping):
    """What an expression of `question` sees, looked up only for the names it uses: every
    answer asked once; each repeat and repeated question as a nodeset across instances (for
    count() and sum()); in an instance, the answers of that instance, an unanswered one
    empty (never another instance's)."""

    def __init__(self, form, answers: dict, question=None):
        self.form, self.answers = form, answers
        self.repeat = question.repeat if question is not None and question.position else None
        found = instances(answers, self.repeat) if self.repeat else []
        position = question.position if self.repeat else 0
        self.own = found[position - 1] if 1 <= position <= len(found) else {}

    def __getitem__(self, name: str):
        question = self.form.questions.get(name)
        repeat = question.repeat if question is not None else None
        if self.repeat is not None and repeat == self.repeat:
            return self.own.get(name)
        if name in self.form.repeats:
            return expressions.Nodeset(instances(self.answers, name))
        if repeat is not None:
            return expressions.Nodeset(item.get(name) for item in instances(self.answers, repeat))
        return self.answers[name]

    def __iter__(self):
        repeated = (name for name, q in self.form.questions.items() if q.repeat is not None)
        return iter(dict.fromkeys([*self.answers, *self.form.repeats, *repeated]))

    def __len__(self) -> int:
        return sum(1 for _ in self)


def context(form, answers: dict, question=None, current=None) -> expressions.Context:
    return expressions.Context(
        values=Scope(form, answers, question),
        current=current,
        now=datetime.now(),
        position=None if question is None else question.position,
        choice_label=_choice_labels(form),
        nodesets=Scope(form, answers),
        data=form.pulldata,
        instances=form.instances,
    )


def _choice_labels(form):
    """jr:choice-name(): a choice's label in the page's language (the form's own outside a
    request), as the page's script reads it off the page."""

    def label(field: str, choice: str) -> str | None:
        question = form.questions.get(field)
        if question is None or choice not in form.choice_names(question):
            return None
        # Asked only when a label is wanted: most contexts never want one, and the locale
        # lookup was a tenth of the time a whole-form POST took.
        locale = str(get_locale()) if has_request_context() else form.default_language
        return form.choice_label(question, choice, locale)

    return label


def applies(form, repeat: str, answers: dict) -> bool:
    """Whether the repeat's own relevance holds: when it does not, it has no instances."""
    source = form.section(repeat).get("relevant")
    return not source or expressions.to_boolean(
        expressions.parse(source).evaluate(context(form, answers))
    )


def target_count(form, repeat: str, answers: dict) -> int | None:
    """How many instances the repeat's repeat_count asks for now (None: the person
    decides), from 0 to MAX_INSTANCES."""
    source = form.section(repeat).get("repeat_count")
    if not source:
        return None
    number = expressions.to_number(expressions.parse(source).evaluate(context(form, answers)))
    return max(0, min(MAX_INSTANCES, int(number))) if math.isfinite(number) else 0


def resize(form, answers: dict, blank: dict) -> None:
    """Give each repeat with a repeat_count that many instances, new ones from `blank`
    (the repeat's defaults), extra ones removed; none to a repeat that does not apply."""
    for repeat in form.repeats:
        wanted = target_count(form, repeat, answers)
        if wanted is None:
            continue
        if not applies(form, repeat, answers):
            answers.pop(repeat, None)
            continue
        found = [dict(item) for item in instances(answers, repeat)][:wanted]
        found += [dict(blank.get(repeat, {})) for _ in range(wanted - len(found))]
        answers[repeat] = found


def slots(form, index: int, answers: dict) -> list:
    """The questions a section's page shows: each question once, or a repeat's questions
    once per instance."""
    questions = form.section_questions(index)
    repeat = form.sections[index]["name"]
    if repeat not in form.repeats:
        return questions
    return [
        q.instance(position)
        for position in range(1, len(instances(answers, repeat)) + 1)
        for q in questions
    ]


def flat(form, answers: dict) -> dict:
    """Answers keyed as pages post them (`member_age.2`), for filling in a page."""
    result = {name: value for name, value in answers.items() if name not in form.repeats}
    for repeat in form.repeats:
        for position, item in enumerate(instances(answers, repeat), start=1):
            result.update({f"{name}.{position}": value for name, value in item.items()})
    return result
