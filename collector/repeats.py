"""Repeats: questions asked once per instance (each member of a household).

A record keeps a repeat's answers as a list of instance dicts under the repeat's name:
``{"hh_size": 2, "members": [{"member_age": 34}, {"member_age": 7}]}``. A question of
one instance is a `Question` with a `position`; its answer is posted as `member_age.2`.
This module is the one place that knows that shape: reading and writing one answer,
how many instances a repeat has, and what an expression in an instance can see.
"""

from __future__ import annotations

import copy
import math
import re
from collections.abc import Mapping
from datetime import datetime

from flask import g, has_request_context
from flask_babel import get_locale

from . import expressions
from .forms import MAX_INSTANCES


def key_parts(form, key: str) -> tuple[str, str]:
    """A posted key's question and instance positions: `kind.2.1` → ("kind", "2.1"). A name
    may hold dots itself (`Q1.1`), so a question's own name is looked up first."""
    if key in form.questions:
        return key, ""
    parts = key.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        name = ".".join(parts[:cut])
        if name in form.questions:
            return name, ".".join(parts[cut:])
    return key, ""


def posted_count(text: str) -> int | None:
    """An instance count or position as a page posts it: a few ASCII digits, or None."""
    return int(text) if re.fullmatch(r"[0-9]{1,9}", text or "") else None


def instances(answers: dict, repeat: str) -> list[dict]:
    """The instances of a repeat kept in `answers` (a record, or the instance holding it)."""
    value = answers.get(repeat) if isinstance(answers, dict) else None
    return value if isinstance(value, list) else []


def holder(form, answers: dict, repeat: str | None, outer: tuple[int, ...] = ()) -> dict | None:
    """The dict that keeps a repeat's instances: the record for a repeat not inside
    another, else the enclosing instance at `outer` (None if it does not exist)."""
    node = answers
    for name, position in zip(form.lineage(repeat)[:-1], outer, strict=True):
        found = instances(node, name)
        if not 1 <= position <= len(found) or not isinstance(found[position - 1], dict):
            return None
        node = found[position - 1]
    return node


def instances_at(form, answers: dict, repeat: str, outer: tuple[int, ...] = ()) -> list[dict]:
    """A repeat's instances inside the enclosing instance at `outer`."""
    node = holder(form, answers, repeat, outer)
    return instances(node, repeat) if node is not None else []


def each_instance(form, answers: dict, repeat: str):
    """(positions, instance) of every instance of a repeat, however deep: `((2, 1), {...})`
    is member 2's first illness."""
    found: list[tuple[tuple[int, ...], dict]] = [((), answers)]
    for name in form.lineage(repeat):
        found = [
            ((*positions, number), item)
            for positions, node in found
            for number, item in enumerate(instances(node, name), start=1)
            if isinstance(item, dict)
        ]
    return found


def scopes(form, answers: dict, repeat: str | None) -> list[dict]:
    """Every dict that holds a repeat's questions' answers (the record when None)."""
    if repeat is None:
        return [answers] if isinstance(answers, dict) else []
    return [item for _positions, item in each_instance(form, answers, repeat)]


def rebuild(form, answers: dict, apply) -> dict:
    """A record's answers made anew, as the record keeps them: `apply(repeat, scope)` gives
    each scope's own answers (the record's with None, else an instance of `repeat`), and
    the instances of the repeats inside it follow (what leaves the laptop, what a purge
    keeps)."""

    def walk(outer: str | None, scope: dict) -> dict:
        result = apply(outer, scope)
        for repeat in form.children.get(outer, []):
            if isinstance(scope.get(repeat), list):
                result[repeat] = [
                    walk(repeat, item) for item in scope[repeat] if isinstance(item, dict)
                ]
        return result

    return walk(None, answers)


def _instance(node: dict, name: str, position: int) -> dict | None:
    found = instances(node, name)
    item = found[position - 1] if 1 <= position <= len(found) else None
    return item if isinstance(item, dict) else None


def get_answer(answers: dict, question):
    """The answer to a question, or to one instance of a repeated question."""
    if not question.lineage:  # asked once: the most common case, read at once
        return answers.get(question.spec["name"])
    if question.position is None:
        return None
    node = answers
    for name, position in zip(question.lineage, question.positions, strict=True):
        found = _instance(node, name, position)
        if found is None:
            return None
        node = found
    return node.get(question.name)


def set_answer(answers: dict, question, value) -> None:
    """Store (or, for None, remove) an answer in place; instances are added as needed."""
    target = answers
    if question.repeat is not None:
        for name, position in zip(question.lineage, question.positions, strict=True):
            found = target.setdefault(name, [])
            while len(found) < position:
                found.append({})
            target = found[position - 1]
    if value is None:
        target.pop(question.name, None)
    else:
        target[question.name] = value


class Scope(Mapping):
    """What an expression sees, looked up only for the names it uses, resolved as ODK does:
    an answer asked once is itself; in an instance, a question of the same instance or of
    an instance enclosing it is that instance's answer (an unanswered one empty, never
    another instance's); any other repeated question, and any repeat, is a nodeset of the
    answers (instances) inside the nearest instance both share (for count() and sum()).

    `at` is where the expression stands: (repeat, position) pairs, outermost first (a
    question in member 2's first illness: (("members", 2), ("illnesses", 1)))."""

    def __init__(self, form, answers: dict, question=None, at=None):
        self.form, self.answers = form, answers
        self.lineages = form.lineages  # all the form a scope needs (shared vectors give one)
        if at is None and question is not None and question.position:
            at = tuple(zip(question.lineage, question.positions, strict=True))
        self.at = tuple(at or ())
        # The chain of instances `at` stands in ({} where one does not exist).
        self.path = [answers]
        for name, position in self.at:
            found = instances(self.path[-1], name)
            item = found[position - 1] if 1 <= position <= len(found) else {}
            self.path.append(item if isinstance(item, dict) else {})

    def __getitem__(self, name: str):
        chain = self.lineages.get(name, ())
        is_repeat = bool(chain) and chain[-1] == name
        if not chain:
            return self.answers[name]
        shared, outer = 0, chain[:-1] if is_repeat else chain
        for (here, _position), there in zip(self.at, outer, strict=False):
            if here != there:
                break
            shared += 1
        if not is_repeat and shared == len(chain):
            return self.path[shared].get(name)
        nodes = [self.path[shared]]
        for level in chain[shared:]:
            nodes = [item for node in nodes for item in instances(node, level)]
        if is_repeat:
            return expressions.Nodeset(nodes)
        return expressions.Nodeset(
            item.get(name) if isinstance(item, dict) else None for item in nodes
        )

    def __iter__(self):
        return iter(dict.fromkeys([*self.answers, *self.lineages]))

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def indexed(self, name: str, indexes) -> expressions.Nodeset:
        """indexed-repeat(): the answers to `name` in the instances the (repeat, index)
        pairs pick, every instance of a repeat that is not picked (XPath's absolute path
        with [n] steps)."""
        picked = dict(indexes)
        nodes: list = [self.answers]
        for level in self.lineages.get(name, ()):
            number = picked.get(level)
            if number is None:
                nodes = [item for node in nodes for item in instances(node, level)]
            elif number.is_integer() and number >= 1:
                nodes = [_instance(node, level, int(number)) for node in nodes]
            else:
                nodes = []  # XPath's [n] with a fraction (or NaN) selects nothing
            nodes = [item for item in nodes if isinstance(item, dict)]
        return expressions.Nodeset(node.get(name) for node in nodes)


def source_instances(form, question, answers: dict) -> list[tuple[int, dict]]:
    """(position, instance) of the repeat a select takes its choices from (choices_from):
    those inside the instances the select is asked in (a household's members, for a select
    in that household), every instance for a select asked once."""
    chain = form.lineage(question.get("choices_from"))
    if not chain or len(question.positions) < len(chain) - 1:
        return []
    found = instances_at(form, answers, chain[-1], question.positions[: len(chain) - 1])
    return [(number, item) for number, item in enumerate(found, start=1) if isinstance(item, dict)]


class Candidate(Mapping):
    """What a choice filter sees while it tests one instance as a choice: that instance's
    answers to its repeat's questions (`${age}` is the member's age, as pyxform writes it
    `./age`), and anything else as the select sees it."""

    def __init__(self, values: Mapping, item: dict, names: frozenset[str]):
        self.others, self.item, self.names = values, item, names

    def __getitem__(self, name: str):
        if name in self.names:
            return self.item.get(name)
        return self.others[name]

    def __iter__(self):
        return iter(self.others)

    def __len__(self) -> int:
        return len(self.others)


def context(form, answers: dict, question=None, current=None, at=None) -> expressions.Context:
    """What an expression of `question` (or standing at `at`, see Scope) sees."""
    nodesets = Scope(form, answers)
    return expressions.Context(
        values=Scope(form, answers, question, at),
        current=current,
        now=datetime.now(),
        position=_position(question, at),
        choice_label=_choice_labels(form),
        nodesets=nodesets,
        data=form.pulldata,
        instances=form.instances,
        indexed=nodesets.indexed,
        # The enumerator's last record, set by the pages of a record (interview): none
        # elsewhere, as on a first fill.
        last_saved=g.get("last_saved") if has_request_context() else None,
    )


def _position(question, at) -> int | None:
    if question is not None:
        return question.position
    return at[-1][1] if at else None


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


def _at(form, repeat: str, outer: tuple[int, ...]) -> tuple:
    """Where a repeat's own expressions stand: the enclosing instance (nowhere for a repeat
    not inside another)."""
    return tuple(zip(form.lineage(repeat)[:-1], outer, strict=True))


def applies(form, repeat: str, answers: dict, outer: tuple[int, ...] = ()) -> bool:
    """Whether the repeat's own relevance holds (inside the enclosing instance at `outer`):
    when it does not, it has no instances there."""
    source = form.section(repeat).get("relevant")
    return not source or expressions.to_boolean(
        expressions.parse(source).evaluate(context(form, answers, at=_at(form, repeat, outer)))
    )


def target_count(form, repeat: str, answers: dict, outer: tuple[int, ...] = ()) -> int | None:
    """How many instances the repeat's repeat_count asks for now (None: the person
    decides), from 0 to MAX_INSTANCES."""
    source = form.section(repeat).get("repeat_count")
    if not source:
        return None
    ctx = context(form, answers, at=_at(form, repeat, outer))
    number = expressions.to_number(expressions.parse(source).evaluate(ctx))
    return max(0, min(MAX_INSTANCES, int(number))) if math.isfinite(number) else 0


def resize(form, answers: dict, blank: dict) -> None:
    """Give each repeat with a repeat_count that many instances, new ones from `blank`
    (the repeat's defaults), extra ones removed; none to a repeat that does not apply.
    A repeat inside another, in each instance of it (outer ones first)."""
    for repeat in form.repeats:
        outers = (
            [()]
            if not form.section(repeat).get("within")
            else [
                positions
                for positions, _item in each_instance(form, answers, form.lineage(repeat)[-2])
            ]
        )
        for outer in outers:
            wanted = target_count(form, repeat, answers, outer)
            if wanted is None:
                continue
            node = holder(form, answers, repeat, outer)
            if node is None:
                continue
            if not applies(form, repeat, answers, outer):
                node.pop(repeat, None)
                continue
            found = [dict(item) for item in instances(node, repeat)][:wanted]
            found += [copy.deepcopy(blank.get(repeat, {})) for _ in range(wanted - len(found))]
            node[repeat] = found


def slots(form, index: int, answers: dict) -> list:
    """The questions a section's page shows: each question once, or a repeat's questions
    once per instance, with the repeats inside each instance after its own questions. A
    repeat inside another has no page of its own: its questions are on its outer one's."""
    section = form.sections[index]
    if section.get("within"):
        return []
    if section["name"] not in form.repeats:
        return form.section_questions(index)
    return instance_slots(form, section["name"], answers, ())


def instance_slots(form, repeat: str, answers: dict, outer: tuple[int, ...]) -> list:
    """A repeat's questions in each of its instances inside the instance at `outer`."""
    found = []
    for position in range(1, len(instances_at(form, answers, repeat, outer)) + 1):
        found += [q.instance(position, outer) for q in form.repeats[repeat]]
        for child in form.children.get(repeat, []):
            found += instance_slots(form, child, answers, (*outer, position))
    return found


def flat(form, answers: dict) -> dict:
    """Answers keyed as pages post them (`member_age.2`, `kind.2.1`), for filling in a
    page."""
    result = {name: value for name, value in answers.items() if name not in form.repeats}
    for repeat in form.repeats:
        for positions, item in each_instance(form, answers, repeat):
            suffix = "".join(f".{number}" for number in positions)
            result.update(
                {
                    f"{name}{suffix}": value
                    for name, value in item.items()
                    if name not in form.repeats
                }
            )
    return result
