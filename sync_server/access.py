"""Who sees which records on the central server: the one place that decides.

Each record has an access class, decided once when it arrives from the form definition
(`"access"` in collector/forms.py, docs/form-definitions.md) and stored with it:

- "standard": analysts and admins see it;
- "sensitive": admins only (reports of discrimination, say).

A record whose form says nothing is standard; a form can make all its records sensitive
(`"class": "sensitive"`) or some of them (`"sensitive_if": "<expression on the answers>"`).
An expression that cannot be evaluated makes the record sensitive: when in doubt, fewer
people see it. A record is sensitive when any of its revisions is, and a correction
never changes its class.

Every record-level page, export and API answer asks `visible_classes` or `can_see`; the
store filters its SQL with `sql_filter`. Indicators are aggregates with small-cell
suppression, not records, and are not filtered here.
"""

from __future__ import annotations

from collector import expressions, repeats
from collector.forms import ACCESS_CLASSES, FormDefinition, builtin_forms

STANDARD, SENSITIVE = ACCESS_CLASSES
ALL_CLASSES: tuple[str, ...] = ACCESS_CLASSES
# Record-level data by role; a viewer sees dashboards (aggregates) only.
BY_ROLE: dict[str, tuple[str, ...]] = {
    "admin": (STANDARD, SENSITIVE),
    "analyst": (STANDARD,),
    "viewer": (),
}


class PublishedAnswerChange(ValueError):
    """A correction by someone who sees only released data that would change the published
    numbers (indicators, survey estimates): refused, since comparing the dashboard before
    and after would show which hidden groups (age band, area, month) the record is in."""

    def __init__(self, record_uuid: str, field: str):
        super().__init__(
            f"Correcting {field} of {record_uuid} would change the published indicators; "
            "only an admin may."
        )
        self.record_uuid, self.field = record_uuid, field


class AccessClassChange(ValueError):
    """A correction that would move a record to another access class: refused."""

    def __init__(self, record_uuid: str, field: str):
        super().__init__(
            f"Correcting {field} would change who may see the record "
            f"{record_uuid}; corrections cannot do that."
        )
        self.record_uuid, self.field = record_uuid, field


def visible_classes(user: dict | None) -> tuple[str, ...]:
    """The access classes of the records `user` may see; none for an unknown role."""
    if not user:
        return ()
    return BY_ROLE.get(user.get("role") or "", ())


def can_see(user: dict | None, record: dict) -> bool:
    """Whether `user` may see `record` (a stored row with its `access_class`)."""
    return record.get("access_class") in visible_classes(user)


def sql_filter(classes: tuple[str, ...], column: str = "access_class") -> tuple[str, list]:
    """A WHERE clause keeping records of `classes`, and its parameters; nothing when empty."""
    classes = tuple(c for c in ALL_CLASSES if c in classes)
    if not classes:
        return "1 = 0", []
    if classes == ALL_CLASSES:
        return "1 = 1", []  # every class: no filter, the export's index order stays as it is
    return f"{column} IN ({', '.join('?' for _ in classes)})", list(classes)


def classify(form: FormDefinition | None, answers: dict) -> str:
    """The access class of a record with these answers, by its form's `access` rule.

    A new version of a built-in form is also held to the built-in's rule: publishing a
    `community_feedback` without the rule must not hand discrimination reports to analysts.
    """
    if form is None:
        return SENSITIVE  # no form to read the rule from: fail closed
    rules = [form.data.get("access") or {}]
    shipped = builtin_forms().get(form.form_id)
    if shipped is not None and shipped.version != form.version:
        floor = shipped.data.get("access") or {}
        if floor != rules[0]:  # the same rule (as usual) is evaluated once
            rules.append(floor)
    return SENSITIVE if any(_sensitive(rule, form, answers) for rule in rules) else STANDARD


def _sensitive(rule: dict, form: FormDefinition, answers: dict) -> bool:
    if rule.get("class") == SENSITIVE:
        return True
    source = rule.get("sensitive_if")
    if not source:
        return False
    try:
        value = expressions.parse(source).evaluate(repeats.context(form, answers))
        return expressions.to_boolean(value)
    except Exception:  # noqa: BLE001 - whatever went wrong, the record must not leak
        return True


def strictest(*classes: str | None) -> str:
    """The class of a record made of revisions of these classes: sensitive if any is."""
    known = [c for c in classes if c is not None]
    return STANDARD if known and all(c == STANDARD for c in known) else SENSITIVE
