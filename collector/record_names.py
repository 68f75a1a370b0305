"""A record's name, from its form's `instance_name` (an XLSForm setting): how people find
a record among theirs on the hub.

The name is computed from the record's answers each time it is shown, never stored: a name
made of answers that do not leave the laptop as they are (a name, free text) must not leave
it either, so it is never synced, never on the server, never in an export. Such a name is
shown only to whoever may open the record.
"""

from __future__ import annotations

from . import anonymizer, expressions, repeats

# A name heads a line of a list: a longer one (a calculation gone wrong) is cut.
MAX_NAME = 120


def is_private(form) -> bool:
    """Whether the form's instance name reads an answer that leaves the laptop changed or
    not at all (anonymizer.rule_for): identifying, free text, a date, a calculation."""
    source = form.data.get("instance_name")
    if not source:
        return False
    for name in expressions.parse(source).references():
        if name in form.repeats:
            continue  # count(${members}): how many instances, which every payload says
        question = form.questions.get(name)
        if question is None or anonymizer.rule_for(question, form) != "keep":
            return True
    return False


def record_name(form, answers: dict, *, may_open: bool) -> str | None:
    """The record's name in the request's language (a choice's label), or None: the form
    has no instance name, it comes out empty, or it is private and the viewer may not
    open the record."""
    source = form.data.get("instance_name") if form is not None else None
    if not source or (not may_open and is_private(form)):
        return None
    try:
        value = expressions.parse(source).evaluate(repeats.context(form, answers))
    except (expressions.ExpressionError, ArithmeticError, ValueError):
        return None  # a name is a help to find a record: without one the list still works
    text = " ".join(expressions.to_text(value).split())
    return text[:MAX_NAME] or None
