"""Answers as people read them in the central workspace: questions and choices by their
labels in the viewer's language, in questionnaire order grouped by section, dates in one
format per language.

A stored answer may be generalized (an age band, a month, a district code) or released
coarser by the disclosure check (a quarter, a year): what cannot be read as its question's
type is shown as it is, never dropped. Codes stay at hand for whoever needs them (the
pages show them on hover, and beside the labels with `?codes=1`).
"""

from __future__ import annotations

import decimal
import json
import math
import re
from datetime import date, datetime, time
from typing import cast

from babel import Locale, UnknownLocaleError
from babel.dates import format_skeleton, get_datetime_format
from babel.lists import format_list
from flask_babel import (
    format_date,
    format_decimal,
    format_time,
    get_locale,
    gettext,
    to_user_timezone,
)

_MONTH = re.compile(r"[0-9]{4}-(0[1-9]|1[0-2])")
_QUARTER = re.compile(r"([0-9]{4})-Q([1-4])")
# A date asked as a year or a month (XLSForm appearances) reads as it was asked.
DATE_SKELETONS = (("year", "y"), ("month-year", "yMMM"))
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_YEAR = re.compile(r"[0-9]{4}")


def when(value) -> str:
    """A stored date or time in the page's language, one format per language: a day as
    Babel's medium date, a moment as that date and the short time, a month, quarter or
    year (a generalized date) in words. Anything else as it is."""
    if value in (None, ""):
        return ""
    text = str(value)
    locale = str(get_locale())
    try:
        if len(text) > 10 and text[10] in "T ":
            moment = to_user_timezone(datetime.fromisoformat(text))
            # Babel annotates a DateTimePattern, but a combining format is plain text: "{1}, {0}".
            return (
                cast(str, get_datetime_format("medium", locale=locale))
                .replace("{1}", format_date(moment.date(), "medium"))
                .replace("{0}", format_time(moment.time(), "short"))
            )
        if len(text) == 10:
            return format_date(date.fromisoformat(text), "medium")
    except ValueError:
        return text
    if _MONTH.fullmatch(text):
        return format_skeleton("yMMM", date(int(text[:4]), int(text[5:7]), 1), locale=locale)
    quarter = _QUARTER.fullmatch(text)
    if quarter:
        first = date(int(quarter.group(1)), 3 * int(quarter.group(2)) - 2, 1)
        return format_skeleton("yQQQ", first, locale=locale)
    return text


def language_name(code: str | None) -> str:
    """A record's language named in the page's language ("Swahili", "swahili"); an unknown
    code as it is."""
    if not code:
        return ""
    try:
        return Locale.parse(code).get_display_name(str(get_locale())) or code
    except (ValueError, UnknownLocaleError):
        return code


def form_title(form, locale: str) -> str:
    return form.text(form.data.get("title"), locale) or form.form_id


def choice_text(form, question, name, locale: str) -> str:
    """A choice's label; a code of no choice of the question's list (a district its
    areas were generalized to, "other" from the disclosure check) as it is, or by the
    label of a choice of that name in another list of the form."""
    name = str(name)
    for choice in form.choices(question):
        if choice["name"] == name:
            return form.text(choice["label"], locale)
    for choices in form.data.get("choices", {}).values():
        for choice in choices:
            if choice["name"] == name:
                return form.text(choice["label"], locale)
    return name


def shown(form, question, value, locale: str) -> str:
    """An answer as the page shows it, by its question's type (None: no question)."""
    if value is None or value == "" or value == []:
        return ""
    kind = question.type if question is not None else None
    if kind == "select_one":
        return choice_text(form, question, value, locale)
    if kind in ("select_multiple", "rank"):
        picked = value.split() if isinstance(value, str) else value
        if isinstance(picked, list):
            return format_list(
                [choice_text(form, question, v, locale) for v in picked], locale=locale
            )
    if (
        kind in ("integer", "decimal", "range")
        and isinstance(value, (int, float))
        and not isinstance(value, bool)
    ):
        if isinstance(value, float) and not math.isfinite(value):
            return code(value)
        try:
            return format_decimal(value)
        except (decimal.InvalidOperation, OverflowError):  # beyond a locale's number format
            return code(value)
    looks = question.appearances if question is not None else []
    skeleton = next((s for word, s in DATE_SKELETONS if word in looks), None)
    if kind == "date" and skeleton and isinstance(value, str) and _DAY.fullmatch(value):
        # A date asked as a year or a month (XLSForm appearance) reads as it was asked.
        try:
            return format_skeleton(skeleton, date.fromisoformat(value), locale=locale)
        except ValueError:
            return code(value)
    if kind in ("date", "datetime") and isinstance(value, str):
        return when(value)
    if kind == "time" and isinstance(value, str):
        try:
            return format_time(time.fromisoformat(value), "short")
        except ValueError:
            return value
    return code(value)


def code(value) -> str:
    """An answer as stored, as text: what `?codes=1` and the hover show."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return " ".join(value)
    return json.dumps(value, ensure_ascii=False)


def answer_blocks(form, current: dict, received: dict, locale: str) -> list[dict]:
    """The record page's answers: a block per section in questionnaire order, a block per
    instance of a repeat, then any answer the form does not have. Each row: the question's
    label and name, the answer shown and as a code, and the answer as received when a
    correction changed it."""
    blocks: list[dict] = []
    seen: set[str] = set()
    for section in form.sections if form is not None else ():
        label = form.text(section["label"], locale)
        questions = [form.questions[q["name"]] for q in section["questions"]]
        if not section.get("repeat"):
            seen.update(q.name for q in questions)
            rows = [
                _row(form, q, q.name, current.get(q.name), received.get(q.name), locale)
                for q in questions
                if q.holds_value and (q.name in current or q.name in received)
            ]
            if rows:
                blocks.append(
                    {"label": label, "name": section["name"], "repeat": False, "rows": rows}
                )
            continue
        if any(isinstance(answers.get(section["name"]), list) for answers in (current, received)):
            seen.add(section["name"])
        blocks += _instance_blocks(form, section, questions, label, current, received, locale)
    others = [
        _row(form, None, name, current.get(name), received.get(name), locale)
        for name in dict.fromkeys([*current, *received])
        if name not in seen
    ]
    if others:
        blocks.append(
            {"label": gettext("Other answers"), "name": "", "repeat": False, "rows": others}
        )
    return blocks


def _paired_instances(form, repeat: str, current: dict, received: dict):
    """(positions, the instance now, as received) of every instance of a repeat, however
    deep, in either version of the answers."""
    found: list[tuple[tuple[int, ...], dict, dict]] = [((), current, received)]
    for level in form.lineage(repeat):
        deeper: list[tuple[tuple[int, ...], dict, dict]] = []
        for positions, now_scope, then_scope in found:
            now, then = _items(now_scope.get(level)), _items(then_scope.get(level))
            for position in range(1, max(len(now), len(then)) + 1):
                deeper.append(
                    (
                        (*positions, position),
                        now[position - 1] if position <= len(now) else {},
                        then[position - 1] if position <= len(then) else {},
                    )
                )
        found = deeper
    return found


def _instance_blocks(form, section, questions, label, current, received, locale) -> list[dict]:
    """A block per instance (a repeat inside another: per inner instance, headed with the
    instances it is in, "Member (2) · Illness (1)")."""
    blocks = []
    chain = form.lineage(section["name"])
    inner = set(form.children.get(section["name"], []))
    for positions, mine, theirs in _paired_instances(form, section["name"], current, received):
        names = [q.name for q in questions if q.holds_value]
        names += [n for n in dict.fromkeys([*mine, *theirs]) if n not in names and n not in inner]
        place = ".".join(f"{name}.{n}" for name, n in zip(chain, positions, strict=True))
        heading = " · ".join(
            gettext(
                "%(label)s (%(num)s)", label=form.text(form.section(name)["label"], locale), num=n
            )
            for name, n in zip(chain, positions, strict=True)
        )
        rows = [
            _row(
                form,
                form.questions.get(n),
                n,
                mine.get(n),
                theirs.get(n),
                locale,
                key=f"{place}.{n}",
            )
            for n in names
            if n in mine or n in theirs
        ]
        blocks.append({"label": heading, "name": place, "repeat": True, "rows": rows})
    return blocks


def _items(value) -> list[dict]:
    return (
        [item if isinstance(item, dict) else {} for item in value]
        if isinstance(value, list)
        else []
    )


def _row(form, question, name, now, then, locale, key=None) -> dict:
    label = form.text(question.get("label"), locale) if question is not None else ""
    return {
        "label": label or name,
        "name": name,
        "key": key or name,
        "value": shown(form, question, now, locale),
        "code": code(now),
        "received": shown(form, question, then, locale) if then != now else None,
        "received_code": code(then) if then != now else None,
    }
