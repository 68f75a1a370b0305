"""Server-side validation of answers: the authority, whatever the browser checked.

Types, ranges, choices, required, relevance and constraints, each with a
translated message. Answers to questions that are not relevant are dropped.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace
from datetime import date

from babel.numbers import get_decimal_symbol, get_group_symbol
from flask_babel import format_decimal, gettext, ngettext

from . import expressions, locations, repeats
from .forms import MAX_INSTANCES, on_range_step

DATE_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MONTH_PATTERN = re.compile(r"^(\d{4})-(\d{2})(-01)?$")
YEAR_PATTERN = re.compile(r"^(\d{4})(-01-01)?$")
# A day, a month and a year typed apart (appearance `no-calendar`).
DATE_PARTS = ("[0-9]{1,2}", "[0-9]{1,2}", "[0-9]{4}")
# Text typed with the numeric keypad (appearance `numbers`): what ODK lets through.
NUMBERS_TEXT = re.compile(r"^[0-9 +\-.]+$")
INTEGER_PATTERN = re.compile(r"^[+-]?[0-9]{1,15}$")
# Phones set to Arabic or Persian may type their own digits.
EASTERN_DIGITS = str.maketrans("٠١٢٣٤٥٦٧٨٩۰۱۲۳۴۵۶۷۸۹", "01234567890123456789")
SPACES = " \u00a0\u202f"
# An answer picked from a repeat's answers is at most as long as a text answer can be.
REPEAT_ANSWER_CHARS = 100_000
TIME_PATTERN = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)(:[0-5]\d(\.\d+)?)?$")


def is_relevant(form, question, answers: dict) -> bool:
    """Whether the question (in an instance: that instance's copy) is asked, given the
    answers so far: its section's and its own relevance."""
    ctx = None
    for source in form.relevance_of[question.name]:
        ctx = ctx or repeats.context(form, answers, question)
        if not expressions.to_boolean(expressions.parse(source).evaluate(ctx)):
            return False
    return True


def section_is_relevant(form, index: int, answers: dict) -> bool:
    """A section counts when at least one of its questions applies (calculations are
    never shown, so a section of only those is never a page). A repeat counts when it
    is relevant and its repeat_count, if any, asks for instances: the person adds them."""
    name = form.sections[index]["name"]
    if form.is_nested(index):
        return False  # on the page of the repeat it is in
    if name in form.repeats:
        return (
            repeats.applies(form, name, answers) and repeats.target_count(form, name, answers) != 0
        )
    return any(
        is_relevant(form, q, answers)
        for q in form.section_questions(index)
        if q.type != "calculate"
    )


def compute(form, answers: dict) -> dict:
    """Answers with every calculate question (re)computed, in form order, so a calculation
    may use an earlier one; in a repeat, once per instance. An irrelevant or empty
    calculation holds no value."""
    result = _copy(answers)
    for index in range(len(form.sections)):
        if index not in form.calculating_sections:
            continue
        for question in repeats.slots(form, index, result):
            if question.type != "calculate":
                continue
            kept = repeats.get_answer(result, question)  # `.`: once(random()) keeps it
            repeats.set_answer(result, question, None)
            if is_relevant(form, question, result):
                ctx = repeats.context(form, result, question, current=kept)
                value = expressions.parse(question.calculation).evaluate(ctx)
                repeats.set_answer(result, question, stored_value(value))
    return result


def copy_answers(answers: dict) -> dict:
    """A copy of a record's answers whose instances can be changed freely."""
    return _copy(answers)


def _copy(answers: dict) -> dict:
    """A copy whose repeat instances (and the repeats inside them) can be changed without
    touching the original."""
    return {
        name: [_copy(item) if isinstance(item, dict) else item for item in value]
        if isinstance(value, list)
        else value
        for name, value in answers.items()
    }


def stored_value(value):
    """An expression's result as an answer is stored: a whole number as an int."""
    if isinstance(value, bool):
        return expressions.to_text(value)
    if isinstance(value, (int, float)):
        if value != value or value in (float("inf"), float("-inf")):
            return None
        return int(value) if float(value).is_integer() else value
    text = expressions.to_text(value)
    return text or None


def _default_values(form, questions) -> dict:
    answers = {}
    for question in questions:
        raw = question.get("default")
        if raw is None or question.type == "calculate":
            continue
        if question.type in ("select_multiple", "rank"):
            value, error = parse_value(form, question, raw.split(), "en")
        else:
            value, error = parse_value(form, question, raw, "en")
        if value is not None and not error:
            answers[question.name] = value
    return answers


def blank_instances(form) -> dict:
    """Each repeat's new instance: its questions' defaults."""
    return {repeat: _default_values(form, questions) for repeat, questions in form.repeats.items()}


def template_values(form, repeat: str, outer: tuple = ()) -> dict:
    """A new instance's defaults as the page's template for it holds them (`age.0`, or
    `kind.2.0` for a new illness of member 2)."""
    suffix = "".join(f".{number}" for number in (*outer, 0))
    return {f"{name}{suffix}": value for name, value in blank_instances(form)[repeat].items()}


def defaults(form) -> dict:
    """The answers a new record starts with: each question's default, one instance of
    each repeat the person fills as they go (as many as a repeat_count asks for the
    others), then calculations."""
    answers = _default_values(form, form.top_questions.values())
    blank = blank_instances(form)
    for repeat in form.children.get(None, []):
        # A repeat inside another starts with no instances: the person adds them.
        answers[repeat] = [dict(blank[repeat])]
    repeats.resize(form, answers, blank)
    return compute(form, answers)


def prune(form, answers: dict) -> dict:
    """Drop answers to questions that are not relevant (in form order, so chains settle),
    with calculations computed before (relevance may use them) and after (they may use
    what was dropped). Repeats get the instances their repeat_count asks for; a repeat
    that is not relevant is dropped whole."""
    blank = blank_instances(form)
    result = _copy(answers)
    repeats.resize(form, result, blank)
    result = compute(form, result)
    asked = _Asked(form, result)
    for index, section in enumerate(form.sections):
        if section["name"] in form.repeats and _drop_closed(form, section["name"], result):
            asked.forget()
        for question in repeats.slots(form, index, result):
            if repeats.get_answer(result, question) is not None and not asked(question):
                repeats.set_answer(result, question, None)
                asked.forget()  # a later question's relevance may have used that answer
    repeats.resize(form, result, blank)
    return compute(form, result)


def _drop_closed(form, repeat: str, answers: dict) -> bool:
    """Drop a repeat's instances wherever its relevance does not hold (in each instance of
    the repeat it is in); return whether any were dropped."""
    outers = [()]
    if len(form.lineage(repeat)) > 1:
        outers = [p for p, _item in repeats.each_instance(form, answers, form.lineage(repeat)[-2])]
    dropped = False
    for outer in outers:
        node = repeats.holder(form, answers, repeat, outer)
        if (
            node is not None
            and repeat in node
            and not repeats.applies(form, repeat, answers, outer)
        ):
            node.pop(repeat)
            dropped = True
    return dropped


class _Asked:
    """is_relevant for many questions while the answers stay as they are: each relevance
    expression is evaluated once per repeat instance (a question outside repeats sees the
    same answers as any other), not once per question. Call forget() after a change."""

    def __init__(self, form, answers: dict):
        self.form, self.answers = form, answers
        self.known: dict[tuple, bool] = {}

    def __call__(self, question) -> bool:
        return all(
            self._holds(source, question) for source in self.form.relevance_of[question.name]
        )

    def _holds(self, source: str, question) -> bool:
        key = (source, question.repeat, question.positions)
        if key not in self.known:
            ctx = repeats.context(self.form, self.answers, question)
            self.known[key] = expressions.to_boolean(expressions.parse(source).evaluate(ctx))
        return self.known[key]

    def forget(self) -> None:
        self.known.clear()


@dataclass
class PageResult:
    answers: dict
    errors: dict = field(default_factory=dict)
    raw: dict = field(default_factory=dict)
    # Relevant questions the person has not been shown yet (no JavaScript to reveal them).
    unseen: list = field(default_factory=list)


def read_page(form, index: int, formdata, stored: dict, locale: str, strict: bool) -> PageResult:
    """Parse and check the posted answers of one section (each instance of a repeat).

    `strict` adds required and constraint checks (moving on, finalizing);
    saving a draft only needs values of the right type. Errors are keyed as the page
    posts the answer (`age`, `member_age.2`).
    """
    answers = _copy(stored)
    _posted_instances(form, index, formdata, answers)
    slots: dict = {}
    result = PageResult(answers=answers)
    _read_section(form, index, formdata, answers, result, locale, slots)
    result.answers = prune(form, answers)
    _check_read(form, slots, formdata, result, strict)
    return result


def _posted_instances(form, index: int, formdata, answers: dict) -> None:
    """A repeat the person fills as they go has as many instances as the page posted
    (`_repeat.members`); one with a repeat_count, as many as that asks for."""
    repeat = form.sections[index]["name"]
    if repeat not in form.repeats or form.is_nested(index):
        return  # a repeat inside another: its instances are read with the outer one's
    found = repeats.instances(answers, repeat)
    posted = repeats.posted_count(formdata.get(f"_repeat.{repeat}", ""))
    if repeats.target_count(form, repeat, answers) is None and posted is not None:
        count = min(posted, MAX_INSTANCES)
        blank = blank_instances(form)[repeat]
        answers[repeat] = found[:count] + [dict(blank) for _ in range(count - len(found))]
    else:
        repeats.resize(form, answers, blank_instances(form))


def read_all(form, formdata, locale: str, strict: bool, stored: dict | None = None) -> PageResult:
    """Every section of a form posted at once (the kiosk, a form filled on a phone);
    `stored` holds what no page posts (defaults of read-only questions).

    The answers are read in form order and pruned once for the whole record (a prune per
    section was most of the hub's time under a crowd: docs/benchmarks.md). The result is
    what reading the sections one page at a time gives: relevance is evaluated in form
    order, so a question sees the earlier answers as they stand after their own prune.
    Only a repeat whose repeat_count decides its instances needs the answers before it
    settled first, to know how many instances the page posted answers for.
    """
    answers = _copy(stored or {})
    whole = PageResult(answers=answers)
    slots: dict = {}
    for index, section in enumerate(form.sections):
        if section.get("repeat_count") and not form.is_nested(index):
            answers = prune(form, answers)
        _posted_instances(form, index, formdata, answers)
        _read_section(form, index, formdata, answers, whole, locale, slots)
    whole.answers = prune(form, answers)
    _check_read(form, slots, formdata, whole, strict)
    return whole


def _read_section(form, index, formdata, answers, result, locale, slots: dict) -> None:
    """Read one section's posted answers in page order into `answers`, noting each
    question read in `slots`. In a repeat, each instance's own answers come before the
    repeats inside it, whose instances are then as many as the page posted
    (`_repeat.illnesses.2`), or as their repeat_count asks for by the answers read so far."""
    section = form.sections[index]
    if form.is_nested(index):
        return  # read with the instances of the repeat it is in
    if section["name"] in form.repeats:
        _read_instances(form, section["name"], (), formdata, answers, result, locale, slots)
        return
    for question in form.section_questions(index):
        if question.answered:
            slots[question.key] = question
            _read_answer(form, question, formdata, answers, result, locale)


def _read_instances(form, repeat, outer, formdata, answers, result, locale, slots) -> None:
    node = repeats.holder(form, answers, repeat, outer)
    if node is None:
        return
    if outer:  # a repeat inside another: its instances in this one
        _posted_inner(form, repeat, outer, formdata, answers, node)
    for position in range(1, len(repeats.instances(node, repeat)) + 1):
        for question in form.repeats[repeat]:
            if question.answered:
                question = question.instance(position, outer)
                slots[question.key] = question
                _read_answer(form, question, formdata, answers, result, locale)
        for child in form.children.get(repeat, []):
            _read_instances(
                form, child, (*outer, position), formdata, answers, result, locale, slots
            )


def _posted_inner(form, repeat: str, outer: tuple, formdata, answers: dict, node: dict) -> None:
    """A repeat inside the instance at `outer`: as many instances as the page posted, or as
    its repeat_count asks for; none where its relevance does not hold."""
    suffix = "".join(f".{number}" for number in outer)
    wanted = repeats.target_count(form, repeat, answers, outer)
    if wanted is None:
        wanted = repeats.posted_count(formdata.get(f"_repeat.{repeat}{suffix}", ""))
    if wanted is None:
        return  # not on the page posted: as it was
    if not repeats.applies(form, repeat, answers, outer):
        wanted = 0
    found = repeats.instances(node, repeat)
    blank = blank_instances(form)[repeat]
    count = min(wanted, MAX_INSTANCES)
    node[repeat] = found[:count] + [dict(blank) for _ in range(count - len(found))]


def _read_answer(form, question, formdata, answers: dict, result: PageResult, locale) -> None:
    """Parse one posted answer into `answers`; an answer that cannot be read is an error."""
    key = question.key
    raw = formdata.getlist(key) if _posts_parts(question) else formdata.get(key, "")
    result.raw[key] = raw
    value, error = parse_value(form, question, raw, locale)
    repeats.set_answer(answers, question, None if error else value)
    if error:
        result.errors[key] = error


def _check_read(form, slots: dict, formdata, result: PageResult, strict: bool) -> None:
    """After the prune: errors only on questions still asked (a wrong answer a later answer
    closed is dropped with it), questions asked but never shown, and with `strict` the
    required and constraint checks."""
    relevant = _Asked(form, result.answers)
    asked = {key for key, q in slots.items() if relevant(q)}
    result.errors = {key: error for key, error in result.errors.items() if key in asked}
    shown = set(formdata.getlist("_shown"))
    for key, question in slots.items():
        if key in result.errors or key not in asked:
            continue
        if key not in shown:
            result.unseen.append(key)
        elif strict:
            error = check_value(
                form, question, repeats.get_answer(result.answers, question), result.answers
            )
            if error:
                result.errors[key] = error
    # Listed as a page at a time listed them: section by section, unreadable answers first.
    order = {section["name"]: index for index, section in enumerate(form.sections)}
    result.errors = dict(
        sorted(result.errors.items(), key=lambda item: order[slots[item[0]].section])
    )


def check_record(form, answers: dict) -> dict[int, dict]:
    """Every problem of a whole record, by section index: used before finalizing."""
    problems: dict[int, dict] = {}
    for index in range(len(form.sections)):
        for question in repeats.slots(form, index, answers):
            if question.answered and is_relevant(form, question, answers):
                error = check_value(form, question, repeats.get_answer(answers, question), answers)
                if error:
                    problems.setdefault(index, {})[question.key] = error
    return problems


def _posts_parts(question) -> bool:
    """Whether the page posts the answer as several values under its name: the choices
    picked, a rank's positions in order, or a date's day, month and year (appearance
    `no-calendar`)."""
    return question.type in ("select_multiple", "rank") or (
        question.type == "date" and question.has_appearance("no-calendar")
    )


def parse_value(form, question, raw, locale: str):
    """Turn what the browser posted into a typed value; return (value, error message)."""
    if question.type == "date" and isinstance(raw, list):
        return _parse_date_parts(raw)
    if question.type == "select_multiple":
        picked = list(dict.fromkeys(v for v in raw if v))
        if question.get("choices_from"):  # checked against the instances in check_value
            return _repeat_answers(picked)
        allowed = form.choice_names(question)
        if any(v not in allowed for v in picked):
            return None, gettext("Choose from the options shown.")
        return (picked or None), None
    if question.type == "rank":
        return _parse_rank(form, question, raw)
    text = (raw or "").strip()
    if not text:
        return None, None
    parser = PARSERS.get(question.type, _parse_text)
    return parser(form, question, text, locale)


def _parse_text(form, question, text, locale):
    limit = question.get("max_length", 2000)
    if len(text) > limit:
        return None, gettext("Use at most %(num)s characters.", num=limit)
    if question.has_appearance("numbers"):
        text = text.translate(EASTERN_DIGITS)
        if not NUMBERS_TEXT.match(text):
            return None, numbers_message()
    return text, None


def numbers_message() -> str:
    return gettext("Use digits only (and spaces, +, - or . where needed).")


def read_integer(text: str) -> int | None:
    """A whole number as typed: digits (Arabic-Indic ones too), an optional sign."""
    text = _trimmed(text).translate(EASTERN_DIGITS)
    return int(text) if INTEGER_PATTERN.match(text) else None


def _trimmed(text: str) -> str:
    """Spaces off both ends, as the page's script trims them (a byte-order mark too)."""
    return text.strip().strip("\ufeff").strip()


def read_decimal(text: str, decimal: str, group: str) -> float | None:
    """A number as typed in a language whose decimal and group symbols are given: groups of
    three only where the language puts them ("1,500" in English, "1 500" in French), the
    decimal symbol, or a point where the point is not the group symbol. Anything else
    ("2,75" in English, "12.5.", "1e5") is not read at all rather than guessed: the phone's
    script reads numbers with the same rules (readDecimal in expressions.js)."""
    text = _trimmed(text).translate(EASTERN_DIGITS)
    # The Arabic thousands separator and decimal point, whatever the language's own symbols.
    groups = (SPACES if group.isspace() else group) + "\u066c"
    points = decimal + ("." if "." not in groups else "") + "\u066b"
    match = re.fullmatch(
        rf"([+-]?)([0-9]{{1,3}}(?:[{re.escape(groups)}][0-9]{{3}})+|[0-9]*)"
        rf"(?:[{re.escape(points)}]([0-9]*))?",
        text,
    )
    if not match or not re.search("[0-9]", text):
        return None
    sign, whole, fraction = match.groups()
    number = float(f"{sign}{re.sub('[^0-9]', '', whole)}.{fraction or '0'}")
    return number if math.isfinite(number) else None


def number_symbols(locale: str) -> tuple[str, str]:
    """The decimal and group symbols people write numbers with in `locale`."""
    return get_decimal_symbol(locale), get_group_symbol(locale)


def _parse_integer(form, question, text, locale):
    number = read_integer(text)
    if number is None and question.has_appearance("thousands-sep"):
        # Typed with the language's grouping ("12 500" in French) as the page shows it.
        grouped = read_decimal(text, *number_symbols(locale))
        if grouped is not None and grouped.is_integer() and abs(grouped) < 1e15:
            number = int(grouped)
    if number is None:
        return None, gettext("Enter a whole number, using digits only.")
    return number, None


def _parse_decimal(form, question, text, locale):
    number = read_decimal(text, *number_symbols(locale))
    if number is None or not math.isfinite(number):
        return None, gettext("Enter a number.")
    return number, None


def _repeat_answers(picked: list[str]):
    """Answers picked from a repeat's answers, which check_value holds against them."""
    if any(len(v) > REPEAT_ANSWER_CHARS for v in picked):
        return None, gettext("Choose from the options shown.")
    return (picked or None), None


def _parse_rank(form, question, raw: list):
    """A rank's positions as posted, first to last (one drop-down each): the choices in that
    order. A position left empty is closed up; check_value asks for every one when required."""
    picked = [v.strip() for v in raw if isinstance(v, str) and v.strip()]
    allowed = form.choice_names(question)
    if any(v not in allowed for v in picked):
        return None, gettext("Choose from the options shown.")
    if len(set(picked)) < len(picked):
        return None, rank_twice_message()
    return (picked or None), None


def rank_twice_message() -> str:
    return gettext("Put each choice in one position only.")


def rank_missing_message() -> str:
    return gettext("Give every choice a position.")


def _parse_select_one(form, question, text, locale):
    if question.get("choices_from"):
        value, error = _repeat_answers([text])
        return (value[0] if value else None), error
    if text not in form.choice_names(question):
        return None, gettext("Choose one of the options shown.")
    return text, None


def _parse_date(form, question, text, locale):
    if question.has_appearance("month-year"):
        match = MONTH_PATTERN.match(text)
        text = f"{match.group(1)}-{match.group(2)}-01" if match else ""
        message = gettext("Enter a month and year, such as 2024-03.")
    elif question.has_appearance("year"):
        # Kept as ODK keeps a year: its first day.
        match = YEAR_PATTERN.match(text.translate(EASTERN_DIGITS))
        text = f"{match.group(1)}-01-01" if match else ""
        message = year_message()
    else:
        message = gettext("Enter a date, such as 2024-03-15.")
    try:
        if not DATE_PATTERN.match(text):
            raise ValueError(text)
        return date.fromisoformat(text).isoformat(), None
    except ValueError:
        return None, message


def year_message() -> str:
    return gettext("Enter a year, such as 2024.")


def _parse_date_parts(parts: list) -> tuple:
    """A date posted as its day, month and year (appearance `no-calendar`); a single value
    is an ISO date, as a page with a date picker posts it."""
    texts = [str(part).strip().translate(EASTERN_DIGITS) for part in parts]
    if not any(texts):
        return None, None
    if len(texts) == 1:
        texts = texts[0].split("-")[::-1] if DATE_PATTERN.match(texts[0]) else ["", "", ""]
    if len(texts) != 3 or not all(map(re.fullmatch, DATE_PARTS, texts)):
        return None, parts_message()
    day, month, year = (int(text) for text in texts)
    try:
        return date(year, month, day).isoformat(), None
    except ValueError:
        return None, no_such_date_message()


def parts_message() -> str:
    return gettext("Enter the day, the month and the year (the year in four digits).")


def no_such_date_message() -> str:
    return gettext("There is no such date: check the day and the month.")


RANGE_VALUE = re.compile(r"-?\d+(?:\.\d+)?")


def _parse_range(form, question, text, locale):
    """One of the range's values: a whole number, or with decimal parameters a decimal on
    one of its steps (compared in Decimal: 0.1 + 0.2 is on a 0.1 step)."""
    params = question.parameters
    if question.decimal_range and RANGE_VALUE.fullmatch(text.strip()):
        # A button's value, written as the page writes it whatever the language ("0.5",
        # where Spanish would read "." as a thousands separator).
        value, error = float(text), None
    else:
        parse = _parse_decimal if question.decimal_range else _parse_integer
        value, error = parse(form, question, text, locale)
    if error or not on_range_step(value, params):
        return None, gettext(
            "Choose a value from %(start)s to %(end)s.", start=params["start"], end=params["end"]
        )
    return stored_value(value), None


def _parse_time(form, question, text, locale):
    """Hours and minutes, as phones' time pickers give them: stored as 'HH:MM'."""
    match = TIME_PATTERN.match(text)
    if not match:
        return None, gettext("Enter a time, such as 14:30.")
    return f"{match.group(1)}:{match.group(2)}", None


def _parse_datetime(form, question, text, locale):
    """A date and a time ('2024-03-15T14:30', or with a space): stored as 'YYYY-MM-DDTHH:MM'."""
    day, _, clock = text.replace(" ", "T", 1).partition("T")
    match = TIME_PATTERN.match(clock)
    try:
        if not DATE_PATTERN.match(day) or not match:
            raise ValueError(text)
        day = date.fromisoformat(day).isoformat()
    except ValueError:
        return None, gettext("Enter a date and time, such as 2024-03-15 14:30.")
    return f"{day}T{match.group(1)}:{match.group(2)}", None


def _parse_location(form, question, text, locale):
    """A point ("lat lon", as typed or as the phone gives it with altitude and accuracy), or
    a trace or shape: points one a line or joined by ";" (locations.parse_answer)."""
    value, problem = locations.parse_answer(question.type, text)
    if problem is None:
        return value, None
    return None, location_message(question.type, problem)


def location_message(kind: str, problem: str = "point") -> str:
    """What a location answer needs, for the hub's check and the page's script."""
    if kind in ("geopoint", "start-geopoint"):
        return gettext(
            "Enter the latitude (-90 to 90) and longitude (-180 to 180) as two "
            "numbers, such as -1.2921 36.8219."
        )
    if problem == "too_many":
        return ngettext(
            "Enter at most %(num)s point.", "Enter at most %(num)s points.", locations.MAX_POINTS
        )
    if kind == "geotrace":
        return gettext(
            "Enter at least 2 points, one a line, each as latitude and longitude, "
            "such as -1.2921 36.8219."
        )
    return gettext(
        "Enter at least 3 corners, one a line, each as latitude and longitude, "
        "such as -1.2921 36.8219."
    )


# -- Media questions (photos, recordings, files) -------------------------------------------


def _parse_media(form, question, text, locale):
    """A media answer is the name the hub stored the file under (`<sha256>.<ext>`): the page
    puts it there after storing the upload (collector.interview), never the browser."""
    from .attachments import NAME

    if NAME.fullmatch(text):
        return text, None
    return None, gettext("Choose the file again: this one was not received.")


PARSERS = {
    **dict.fromkeys(locations.LOCATION_TYPES, _parse_location),
    **dict.fromkeys(("image", "audio", "video", "file"), _parse_media),
    "text": _parse_text,
    "integer": _parse_integer,
    "decimal": _parse_decimal,
    "select_one": _parse_select_one,
    "date": _parse_date,
    "time": _parse_time,
    "datetime": _parse_datetime,
    "range": _parse_range,
}


def allowed_choices(form, question, answers: dict) -> list[dict]:
    """The choices a question offers given the answers so far (its choice_filter)."""
    if question.get("choices_from"):
        return repeat_choices(form, question, answers)
    choices = form.choices(question)
    source = question.get("choice_filter")
    if not source:
        return choices
    expression = expressions.parse_choice_filter(source)
    ctx = repeats.context(form, answers, question)
    return [
        choice
        for choice in choices
        if expressions.to_boolean(
            expression.evaluate(
                replace(ctx, choice={**choice.get("data", {}), "name": choice["name"]})
            )
        )
    ]


def repeat_choices(form, question, answers: dict) -> list[dict]:
    """A select's choices from a repeat (choices_from): each instance's answer to that
    question, in instance order, once, an empty one left out (as pyxform's `name != ''`).
    Its choice_filter tests each instance: a bare name, or a `${name}` of that repeat, is
    the instance's answer; position() its place; current()/.. the select's own answers."""
    name = question.get("choices_from")
    test = question.get("choice_filter")
    expression = expressions.parse_choice_filter(test) if test else None
    ctx = repeats.context(form, answers, question) if test else None
    own = frozenset(q.name for q in form.repeats.get(form.lineage(name)[-1], ()))
    found: dict[str, dict] = {}
    for position, item in repeats.source_instances(form, question, answers):
        text = expressions.to_text(item.get(name)) if item.get(name) is not None else ""
        if text == "" or text in found:
            continue
        if ctx is not None and expression is not None:
            values = repeats.Candidate(ctx.values, item, own)
            seen = replace(ctx, values=values, choice=item, position=position, here=ctx.values)
            if not expressions.to_boolean(expression.evaluate(seen)):
                continue
        found[text] = {"name": text, "label": {form.default_language: text}}
    return list(found.values())


def choice_order(form, question, answers: dict) -> list[dict]:
    """A select's choices in the order the page lists them: the form's, or shuffled as ODK
    shuffles them for `randomize`, by the value of `seed` when the form gives one and it is
    known; in a new order each time the page is drawn without one, as in ODK Collect."""
    choices = form.choices(question)
    if not question.get("randomize"):
        return choices
    seed = None
    if question.get("seed"):
        value = expressions.parse(question.get("seed")).evaluate(
            repeats.context(form, answers, question)
        )
        seed = value if expressions.to_text(value) != "" else None
    return expressions.shuffled(choices, seed)


def _outside_filter(form, question, value, answers: dict) -> bool:
    if not (question.get("choice_filter") or question.get("choices_from")):
        return False
    allowed = {c["name"] for c in allowed_choices(form, question, answers)}
    picked = value if isinstance(value, list) else [value]
    return any(item not in allowed for item in picked)


def _unranked(form, question, value, answers: dict) -> bool:
    """Whether a rank leaves out a choice it offers (by its choice_filter, if any)."""
    return any(c["name"] not in value for c in allowed_choices(form, question, answers))


def check_value(form, question, value, answers: dict) -> str | None:
    """Required, range and constraint checks of a typed value; return a message or None."""
    if value is None:
        if is_required(form, question, answers):
            custom = question.get("required_message")
            if custom:
                return form.text(custom, _locale())
            return gettext("This question needs an answer.")
        return None
    if _outside_filter(form, question, value, answers):
        return gettext("Choose one of the options shown.")
    if (
        question.type == "rank"
        and is_required(form, question, answers)
        and _unranked(form, question, value, answers)
    ):
        return rank_missing_message()
    low, high = question.get("min"), question.get("max")
    if (low is not None and value < low) or (high is not None and value > high):
        return _range_message(low, high)
    constraint = question.get("constraint")
    if constraint and not expressions.to_boolean(
        expressions.parse(constraint).evaluate(
            repeats.context(form, answers, question, current=value)
        )
    ):
        custom = question.get("constraint_message")
        if custom:
            return form.text(custom, _locale())
        return gettext("This answer is not allowed here.")
    return None


def is_required(form, question, answers: dict) -> bool:
    """Whether an answer is needed: always (`required`), or while the question's
    `required_if` holds, read as relevance is (a non-empty text is true)."""
    condition = question.get("required_if")
    if not condition:
        return bool(question.get("required"))
    ctx = repeats.context(form, answers, question)
    return expressions.to_boolean(expressions.parse(condition).evaluate(ctx))


def page_view(form, index: int, answers: dict, raw: dict | None = None) -> dict:
    """What one section's page needs: its questions (once per instance in a repeat), the
    values to show keyed as posted, and which questions are shown."""
    slots = repeats.slots(form, index, answers)
    return {
        "section": form.sections[index],
        "questions": slots,
        "values": {**repeats.flat(form, answers), **(raw or {})},
        "answers": answers,
        "visible": {q.key for q in slots if is_relevant(form, q, answers)},
    }


def whole_form_view(form, answers: dict, raw: dict | None = None) -> dict:
    """What a page holding every section needs (the kiosk, a form filled on a phone)."""
    pages = [page_view(form, index, answers, raw) for index in range(len(form.sections))]
    return {
        "sections": pages,
        "values": {**repeats.flat(form, answers), **(raw or {})},
        "answers": answers,
        "visible": set().union(*(page["visible"] for page in pages)),
    }


def client_rules(form, question) -> dict:
    """The checks a page's script makes before answers leave the phone, with the hub's own
    messages. The hub checks again; these spare a round trip and keep a phone's outbox free
    of records the hub would refuse."""
    rules: dict[str, object] = {}
    if not question.answered:
        return rules
    if question.get("required") or question.get("required_if"):
        if question.get("required_if"):  # the page's script tests it as the answers change
            rules["required-if"] = question.get("required_if")
        custom = question.get("required_message")
        rules["required"] = (
            form.text(custom, _locale()) if custom else gettext("This question needs an answer.")
        )
    low, high = question.get("min"), question.get("max")
    if low is not None or high is not None:
        rules.update(
            {
                "min": "" if low is None else low,
                "max": "" if high is None else high,
                "range-message": _range_message(low, high),
            }
        )
    if question.get("constraint"):
        custom = question.get("constraint_message")
        rules["constraint-message"] = (
            form.text(custom, _locale()) if custom else gettext("This answer is not allowed here.")
        )
    type_message = _type_message(question)
    if type_message:
        rules["type-message"] = type_message
    if question.type == "date" and question.has_appearance("no-calendar"):
        rules["date-message"] = no_such_date_message()
    if question.type == "rank":
        rules["rank-message"] = rank_twice_message()
        if question.get("required") or question.get("required_if"):
            rules["rank-missing"] = rank_missing_message()
    return rules


def _type_message(question) -> str | None:
    if question.type == "integer":
        return gettext("Enter a whole number, using digits only.")
    if question.type == "decimal":
        return gettext("Enter a number.")
    if question.type == "date" and question.has_appearance("month-year"):
        return gettext("Enter a month and year, such as 2024-03.")
    if question.type == "date" and question.has_appearance("year"):
        return year_message()
    if question.type == "date" and question.has_appearance("no-calendar"):
        return parts_message()
    if question.type == "text" and question.has_appearance("numbers"):
        return numbers_message()
    if question.type == "date":
        return gettext("Enter a date, such as 2024-03-15.")
    if question.type == "time":
        return gettext("Enter a time, such as 14:30.")
    if question.type == "datetime":
        return gettext("Enter a date and time, such as 2024-03-15 14:30.")
    if question.type in locations.LOCATION_TYPES:
        return location_message(question.type)
    return None


def _range_message(low, high) -> str:
    if low is not None and high is not None:
        return gettext(
            "Enter a number from %(low)s to %(high)s.",
            low=format_decimal(low),
            high=format_decimal(high),
        )
    if low is not None:
        return gettext("Enter a number of at least %(low)s.", low=format_decimal(low))
    return gettext("Enter a number of at most %(high)s.", high=format_decimal(high))


def _locale() -> str:
    from flask_babel import get_locale

    return str(get_locale())
