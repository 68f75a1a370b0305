"""What changes between two versions of a form, for the person about to publish the new one.

Pure functions over two FormDefinitions, shared by the Forms page and `sync-server forms
publish`: questions added, removed and changed (where they are asked, type, label, hint,
choices, relevance, constraint, required, calculation, privacy rule), sections added,
removed and changed, and the privacy rules that would send more about people than before
(collector.anonymizer.weaker_fields: the rule hubs apply when they refuse such a version),
and the questions the central server released from the current version but no longer
releases from the new one (computed from both a key and a sensitive question, or marked with
the role other than the one they take: FormDefinition.role_conflicts).

Values are kept as they are in the definitions (texts by language, rule names,
expressions); `plain_value` writes one as language-neutral text for the command line.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from collector.anonymizer import rule_for, weaker_fields
from collector.forms import WITHHELD, FormDefinition, Question

__all__ = [
    "Change",
    "FormDiff",
    "ItemChange",
    "Withheld",
    "diff_forms",
    "origin_text",
    "plain_lines",
    "plain_value",
]

# What a question change can be about, in the order it is listed.
QUESTION_ASPECTS = (
    "place",
    "type",
    "label",
    "hint",
    "choices",
    "relevance",
    "constraint",
    "required",
    "calculation",
    "identifying",
    "privacy",
)
SECTION_ASPECTS = ("label", "relevance", "repeat", "repeat_count")


@dataclass(frozen=True)
class Change:
    """One aspect of a question or section, before and after. For choices, `added`,
    `removed` and `relabelled` name the choices concerned."""

    aspect: str
    before: Any
    after: Any
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    relabelled: tuple[str, ...] = ()


@dataclass(frozen=True)
class ItemChange:
    """A question (or section) both versions have, with what differs; `weaker` when its
    privacy rule would send more about people than before."""

    name: str
    section: str  # where the new version asks it (a section's own name for a section)
    changes: tuple[Change, ...]
    weaker: bool = False

    def change(self, aspect: str) -> Change | None:
        return next((c for c in self.changes if c.aspect == aspect), None)


@dataclass(frozen=True)
class Withheld:
    """A question the new version no longer releases: its own role (None when it has none)
    and the questions with a role it is computed from, as (name, role) pairs."""

    name: str
    own: str | None
    sources: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class FormDiff:
    """Everything that differs between `old_version` and the new one (names in the order
    their form asks them)."""

    old_version: str | None
    new_version: str
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    changed: tuple[ItemChange, ...] = ()
    sections_added: tuple[str, ...] = ()
    sections_removed: tuple[str, ...] = ()
    sections_changed: tuple[ItemChange, ...] = ()
    title: Change | None = None
    languages_added: tuple[str, ...] = ()
    languages_removed: tuple[str, ...] = ()
    weaker: tuple[str, ...] = ()
    withheld: tuple[Withheld, ...] = ()

    @property
    def unchanged(self) -> bool:
        return not (
            self.withheld
            or self.added
            or self.removed
            or self.changed
            or self.sections_added
            or self.sections_removed
            or self.sections_changed
            or self.title
            or self.languages_added
            or self.languages_removed
        )


def diff_forms(old: FormDefinition | None, new: FormDefinition) -> FormDiff:
    """The difference from `old` (the current version; None for a new form) to `new`."""
    if old is None:
        return FormDiff(None, new.version, added=tuple(new.questions))
    weaker = tuple(weaker_fields(old, new))
    old_sections = {s["name"]: s for s in old.sections}
    new_sections = {s["name"]: s for s in new.sections}
    changed = []
    for name, question in new.questions.items():
        if name in old.questions:
            changes = question_changes(old, old.questions[name], new, question)
            if changes:
                changed.append(ItemChange(name, question.section, changes, name in weaker))
    sections_changed = []
    for name, section in new_sections.items():
        if name in old_sections:
            changes = section_changes(old_sections[name], section)
            if changes:
                sections_changed.append(ItemChange(name, name, changes))
    title = None
    if old.data["title"] != new.data["title"]:
        title = Change("title", old.data["title"], new.data["title"])
    return FormDiff(
        old.version,
        new.version,
        added=tuple(n for n in new.questions if n not in old.questions),
        removed=tuple(n for n in old.questions if n not in new.questions),
        changed=tuple(changed),
        sections_added=tuple(n for n in new_sections if n not in old_sections),
        sections_removed=tuple(n for n in old_sections if n not in new_sections),
        sections_changed=tuple(sections_changed),
        title=title,
        languages_added=tuple(sorted(form_languages(new) - form_languages(old))),
        languages_removed=tuple(sorted(form_languages(old) - form_languages(new))),
        weaker=weaker,
        withheld=tuple(newly_withheld(old, new)),
    )


def newly_withheld(old: FormDefinition, new: FormDefinition) -> list[Withheld]:
    """The questions the old version's releases give analysts and the new one's do not: a
    role now taken from both a key and a sensitive question, or in conflict with its own."""
    found = []
    for name in new.questions:  # in the order the form asks them
        if (
            new.disclosure_roles.get(name) == WITHHELD
            and name in old.questions
            and _released(old, name)
        ):
            own, sources = new.role_conflicts.get(name) or (None, new.derived_roles[name][1])
            roles = tuple((origin_text(new, s), new.origin_role(s)) for s in sources)
            found.append(Withheld(name, own, roles))
    return found


def origin_text(form: FormDefinition, origin: str) -> str:
    """What a derived role is taken from: a question's name, or a repeat's count as the
    form writes it, `count(${members})`, which reads the same in every language."""
    return f"count(${{{origin}}})" if origin in form.repeats else origin


def _released(form: FormDefinition, name: str) -> bool:
    """Whether releases give the question's answers (a repeat's table leaves empty those
    with any role)."""
    role = form.disclosure_roles.get(name)
    return form.questions[name].holds_value and (
        role is None or (role != WITHHELD and not form.questions[name].repeat)
    )


def form_languages(form: FormDefinition) -> set[str]:
    """Every language any text of the form is given in (not only those all texts have)."""
    return {code for text in form.texts() for code in text}


def question_changes(
    old_form: FormDefinition, old: Question, new_form: FormDefinition, new: Question
) -> tuple[Change, ...]:
    """The aspects of one question that differ, in QUESTION_ASPECTS order."""
    before, after = question_facts(old_form, old), question_facts(new_form, new)
    changes = []
    for aspect in QUESTION_ASPECTS:
        if before[aspect] == after[aspect]:
            continue
        if aspect == "choices":
            changes.append(choice_change(before[aspect], after[aspect]))
        else:
            changes.append(Change(aspect, before[aspect], after[aspect]))
    return tuple(changes)


def question_facts(form: FormDefinition, question: Question) -> dict[str, Any]:
    """What the diff compares about a question, each as a plain, comparable value."""
    section = form.section(question.section)
    kind = question.type
    return {
        "place": (question.section, bool(section.get("repeat"))),
        "type": kind,
        "label": question.get("label") or {},
        "hint": question.get("hint") or {},
        "choices": choice_list(form, question),
        "relevance": relevance(section, question),
        "constraint": constraint(question),
        "required": bool(question.get("required")),
        "calculation": question.get("calculation") or "",
        "identifying": bool(question.get("identifying")),
        "privacy": rule_for(question, form) if question.holds_value else "",
    }


def choice_list(form: FormDefinition, question: Question) -> tuple:
    """The question's choices as (name, label by language) pairs, and its choice filter;
    choices made from a repeat's answers are one pair, `${member_name}`."""
    source = question.get("choices_from")
    if source:
        return (((f"${{{source}}}", {}),), question.get("choice_filter") or "")
    if not question.get("choices"):
        return ()
    return (
        tuple((c["name"], c["label"]) for c in form.choices(question)),
        question.get("choice_filter") or "",
    )


def choice_change(before: tuple, after: tuple) -> Change:
    """A change of choices, naming those added, removed and given another label."""
    old = dict(before[0]) if before else {}
    new = dict(after[0]) if after else {}
    return Change(
        "choices",
        before,
        after,
        added=tuple(n for n in new if n not in old),
        removed=tuple(n for n in old if n not in new),
        relabelled=tuple(n for n in new if n in old and old[n] != new[n]),
    )


def relevance(section: dict, question: Question) -> tuple[str, ...]:
    """The conditions under which the question is asked: its section's, then its own."""
    return tuple(c for c in (section.get("relevant"), question.get("relevant")) if c)


def constraint(question: Question) -> tuple[tuple[str, Any], ...]:
    """Every limit on the answer: the constraint expression, bounds, length, range."""
    keys = ("constraint", "min", "max", "max_length", "parameters")
    return tuple((key, question.get(key)) for key in keys if question.get(key) is not None)


def section_changes(old: dict, new: dict) -> tuple[Change, ...]:
    changes = []
    for aspect in SECTION_ASPECTS:
        key = "relevant" if aspect == "relevance" else aspect
        default: Any = False if aspect == "repeat" else ({} if aspect == "label" else "")
        before, after = old.get(key, default), new.get(key, default)
        if before != after:
            changes.append(Change(aspect, before, after))
    return tuple(changes)


# -- plain text ---------------------------------------------------------------------------


def plain_value(aspect: str, value: Any) -> str:
    """A value of `aspect` as language-neutral text: texts by language code, rule names and
    expressions as written, `-` for nothing."""
    if aspect in ("label", "hint", "title"):
        return " | ".join(f"{code}: {text}" for code, text in sorted(value.items())) or "-"
    if aspect == "place":
        name, repeat = value
        return f"{name} (repeat)" if repeat else name
    if aspect == "choices":
        if not value:
            return "-"
        names = ", ".join(name for name, _ in value[0])
        return f"{names}; filter {value[1]}" if value[1] else names
    if aspect == "relevance":
        return " and ".join(f"({c})" if len(value) > 1 else c for c in value) or "always"
    if aspect == "constraint":
        return "; ".join(f"{key} {_plain(v)}" for key, v in value) or "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value) if value not in (None, "") else "-"


def _plain(value: Any) -> str:
    if isinstance(value, dict):
        return " ".join(f"{k}={v}" for k, v in value.items())
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def plain_lines(diff: FormDiff) -> list[str]:
    """The difference as lines of text, for the command line (English, as its other
    messages are)."""
    if diff.old_version is None:
        return []
    if diff.unchanged:
        return [f"No change from version {diff.old_version}."]
    lines = [f"Changes from version {diff.old_version}:"]
    if diff.title:
        lines.append(
            f"  title: {plain_value('title', diff.title.before)} -> "
            f"{plain_value('title', diff.title.after)}"
        )
    for what, names in (
        ("languages added", diff.languages_added),
        ("languages removed", diff.languages_removed),
        ("sections added", diff.sections_added),
        ("sections removed", diff.sections_removed),
        ("questions added", diff.added),
        ("questions removed", diff.removed),
    ):
        if names:
            lines.append(f"  {what}: {', '.join(names)}")
    for item in (*diff.sections_changed, *diff.changed):
        kind = "section" if item in diff.sections_changed else "question"
        for change in item.changes:
            lines.append(
                f"  {kind} {item.name}, {change.aspect}: "
                f"{plain_value(change.aspect, change.before)} -> "
                f"{plain_value(change.aspect, change.after)}"
            )
    for name in diff.weaker:
        lines.append(
            f"  Warning: {name} would send more about people than before; hubs "
            f"refuse this version until their operator accepts it."
        )
    for gone in diff.withheld:
        taken = ", ".join(f"{source} ({role})" for source, role in gone.sources)
        reason = f"marked {gone.own} but computed from" if gone.own else "computed from"
        lines.append(
            f"  {gone.name} was released by version {diff.old_version} and is not released "
            f"by this one: {reason} {taken}"
        )
    return lines
