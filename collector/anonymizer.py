"""Turn a stored record into its sync form: nothing identifying leaves the laptop.

Every answer goes through its question's privacy rule (`rule_for`). Answers to
questions the form does not have, notes, and identifying fields are never copied
as they are. A location leaves dropped unless its rule says a grid cell, its area's name
or keep. Pure functions: no I/O, no Flask; stdlib and `phonenumbers` only.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import math
import re
import unicodedata
from datetime import UTC, datetime
from typing import Any

import phonenumbers

from . import expressions, locations, scrubbing
from .scrubbing import _PROCLITICS, _fold, _is_arabic

__all__ = [
    "AnonymizerError",
    "anonymize",
    "field_rule",
    "location_previews",
    "metadata_answers",
    "metadata_rule",
    "privacy_listing",
    "pseudonym",
    "rule_for",
    "scrub_text",
    "suggests_identifier",
    "weaker_fields",
]

MIN_KEY_BYTES = 16
_DROP = object()  # a rule's answer for "this value does not leave the laptop"

_MONTH = re.compile(r"([0-9]{4}-(?:0[1-9]|1[0-2]))(?:-[0-9]{2}(?:T[0-9]{2}:[0-9]{2})?)?")
_YEAR = re.compile(r"([0-9]{4})(?:-[0-9]{2}(?:-[0-9]{2}(?:T[0-9]{2}:[0-9]{2}(?::[0-9]{2})?)?)?)?")
_DEFAULTS = {
    "text": "scrub",
    "date": "generalize:month",
    "datetime": "generalize:month",
    # A photo, recording or file can show a face or a voice: it stays unless the form says keep.
    **dict.fromkeys(("image", "audio", "video", "file"), "drop"),
}
# The only rules under which an identifying answer may leave the laptop.
# "pseudonymize:phone" reads the answer as a phone number first (E.164), so one number
# written several ways gets one pseudonym.
PHONE_RULE = "pseudonymize:phone"
IDENTIFYING_RULES = ("drop", "pseudonymize", PHONE_RULE)
# How much of an answer a rule keeps out of the sync payload: higher is stronger.
_STRENGTH = {"drop": 4, "pseudonymize": 3, "generalize": 2, "scrub": 1, "keep": 0}
# (old, new) groupings where the new one hides more: a year says less than a month.
_COARSER = {
    ("generalize:month", "generalize:year"),
    ("generalize:day", "generalize:month"),
    ("generalize:day", "generalize:year"),
    ("generalize:section", "generalize:total"),
}
# Record metadata an XLSForm asks for (forms.METADATA_TYPES): the rules each may leave
# under, the default first. A time leaves as its day at the finest (a time of day and a
# small place can point at one household); the device as the id the central server gave
# this hub at enrollment, never a hardware id; the enumerator as a keyed pseudonym; an
# audit as whole seconds per section and in all, never a time of day nor the order of pages.
DAY_RULES = ("generalize:day", "generalize:month", "generalize:year", "drop")
METADATA_RULES = {
    "start": DAY_RULES,
    "end": DAY_RULES,
    "today": DAY_RULES,
    "deviceid": ("pseudonymize", "drop"),
    "username": ("pseudonymize", "drop"),
    "audit": ("generalize:section", "generalize:total", "drop"),
}


class AnonymizerError(ValueError):
    """A rule, key or record the anonymizer must refuse: a programming error, not bad data."""


def rule_for(question, form=None) -> str:
    """The question's privacy rule, or the safe default when the form gives none.

    The floor: an identifying question leaves the laptop only dropped or pseudonymized;
    any other rule on it, whoever wrote the form, counts as drop.
    """
    if question.get("choices_from"):
        return _repeat_choice_rule(question, form)
    if question.get("identifying"):
        return question.get("privacy") if question.get("privacy") in IDENTIFYING_RULES else "drop"
    if question.get("privacy"):
        return question.get("privacy")
    if question.get("type") in locations.LOCATION_TYPES:
        return "drop"  # on every form: a home's location identifies whoever lives there
    kind = suggests_identifier(question)
    if kind is not None:
        # No rule, but it looks like an identifier: it stays, a birth date leaves as a year.
        return "generalize:year" if kind == "date_of_birth" else "drop"
    if question.get("type") == "calculate":
        return _calculation_rule(question, form, set())
    return _DEFAULTS.get(question.get("type"), "keep")


def _repeat_choice_rule(question, form) -> str:
    """A select whose choices are a repeat's answers (a member's name) repeats one of them:
    it leaves under that question's rule, or its own where that one sends less, so a name
    dropped or pseudonymized does not leave through the select (no form to tell: dropped)."""
    source = form.questions.get(question.get("choices_from")) if form is not None else None
    if source is None:
        return "drop"
    inherited = rule_for(source, form)
    if question.get("identifying") or question.get("privacy"):
        spec = dict(getattr(question, "spec", question))
        spec.pop("choices_from")
        own = rule_for(spec, form)
        if _is_weaker(own, inherited):  # the source's rule would send more
            return own
    return inherited


def _calculation_rule(question, form, seen: set) -> str:
    """A calculation can copy what it is computed from (`${age}` is the exact age): it leaves
    the laptop, scrubbed, only when every field it uses leaves as it is; otherwise dropped."""
    if form is None or question.name in seen:
        return "drop"
    seen.add(question.name)
    parsed = expressions.parse(question.calculation)
    for name in parsed.references() | parsed.last_saved():  # an earlier record's answer too
        used = form.questions.get(name)
        if used is None:
            return "drop"
        if used.get("type") == "calculate" and not used.get("privacy"):
            if _calculation_rule(used, form, seen) != "scrub":
                return "drop"
        elif rule_for(used, form) != "keep":
            return "drop"
    return "scrub"


def weaker_fields(old_form, new_form) -> list[str]:
    """The questions that `new_form` would send more of than `old_form` does: a weaker
    rule, or the identifying mark taken away. Questions only one of them has are not
    compared (a new question is the form author's design, not a changed promise).
    Strength: drop > pseudonymize > generalize:* > scrub > keep."""
    weaker = []
    for name, old in old_form.questions.items():
        new = new_form.questions.get(name)
        if new is None or not old.holds_value or not new.holds_value:
            continue
        if (old.get("identifying") and not new.get("identifying")) or _is_weaker(
            rule_for(old, old_form), rule_for(new, new_form)
        ):
            weaker.append(name)
    return weaker + _weaker_metadata(old_form, new_form)


def field_rule(form, name: str) -> str:
    """The rule in effect for a question or a metadata name of `form`."""
    if name in form.questions:
        return rule_for(form.questions[name], form)
    return metadata_rule(form.metadata[name], form)


def _weaker_metadata(old_form, new_form) -> list[str]:
    """The metadata names `new_form` would send more of than `old_form` does."""
    old_items = {item["name"]: item for item in old_form.data.get("metadata", [])}
    return [
        item["name"]
        for item in new_form.data.get("metadata", [])
        if item["name"] in old_items
        and _is_weaker(
            metadata_rule(old_items[item["name"]], old_form), metadata_rule(item, new_form)
        )
    ]


def _is_weaker(old_rule: str, new_rule: str) -> bool:
    old_kind, new_kind = old_rule.split(":")[0], new_rule.split(":")[0]
    if old_rule.startswith("generalize:grid:") and new_rule.startswith("generalize:grid:"):
        return _grid_metres(new_rule) < _grid_metres(old_rule)  # a larger cell hides more
    if old_kind == new_kind == "generalize":
        # Another grouping (finer bins, say) cannot be shown to hide as much: refused.
        return new_rule != old_rule and (old_rule, new_rule) not in _COARSER
    # An unknown rule counts as the weakest.
    return _STRENGTH.get(new_kind, -1) < _STRENGTH.get(old_kind, -1)


def pseudonym(
    namespace: str, value, key: bytes, phone: bool = False, phone_region: str = ""
) -> str:
    """A keyed one-way code: equal values link under one key, nothing links across keys.

    The value is normalized first, so that one person written two ways links: a phone
    number to E.164 (`phone`), anything else case-, width-, space- and punctuation-folded.
    """
    _check_key(key)
    normalized = normalize_phone(value, phone_region) if phone else normalize_text(value)
    message = f"{namespace}\x1f{normalized}".encode()
    return "p_" + hmac.new(bytes(key), message, hashlib.sha256).hexdigest()[:20]


def normalize_text(value) -> str:
    """Case-, width- and space-folded; punctuation counts as a space ("Jean-Pierre" is
    "jean pierre"). Accents are kept: "José" and "Jose" may be two people."""
    text = unicodedata.normalize("NFKC", str(value)).casefold()
    text = "".join(" " if unicodedata.category(c).startswith("P") else c for c in text)
    return " ".join(text.split())


def normalize_phone(value, region: str = "") -> str:
    """A phone number in E.164 ("+254712345678") when it can be read as one: with a
    +country code or 00 prefix, or in `region`'s national format (an ISO code such as
    "KE"). Otherwise its digits alone, so spaces, dashes and dots still do not matter."""
    text = unicodedata.normalize("NFKC", str(value)).strip()
    if text.startswith("00"):
        text = "+" + text[2:]  # the international prefix of most countries
    try:
        number = phonenumbers.parse(text, region.upper() or None)
    except phonenumbers.NumberParseException:
        number = None
    if number is not None and phonenumbers.is_possible_number(number):
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    digits = "".join(
        str(unicodedata.digit(c)) for c in text if unicodedata.digit(c, None) is not None
    )
    return digits or normalize_text(value)


def _check_key(key) -> None:
    """A short or empty key would let anyone rebuild pseudonyms from guessed names."""
    if not isinstance(key, (bytes, bytearray)) or len(key) < MIN_KEY_BYTES:
        raise AnonymizerError(f"The pseudonym key must be at least {MIN_KEY_BYTES} bytes.")


def _scrubbed(value, names):
    """Text scrubbed; a number kept only if it could not be an ID or a phone number."""
    if isinstance(value, str):
        return scrub_text(value, names)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value if scrub_text(str(value), names) == str(value) else _DROP
    return _DROP


REMOVED = "[removed]"


def _redactor(phrases):
    """A function that replaces each of `phrases` in a text by [removed]: whole words only,
    ignoring case, any run of spaces matching a space. Other values pass unchanged."""
    parts = [
        r"\s+".join(map(re.escape, phrase.split()))
        for phrase in phrases
        if isinstance(phrase, str) and phrase.split()
    ]
    if not parts:
        return lambda value: value
    # Longest first, so "Mama Wanjiru" wins over "Mama"; \w boundaries work in every script.
    alternatives = "|".join(sorted(parts, key=len, reverse=True))
    pattern = re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)
    return lambda value: pattern.sub(REMOVED, value) if isinstance(value, str) else value


def scrub_text(text: str, names) -> str:
    """Free text without e-mails, phone numbers, ID-like tokens, full dates, street
    addresses, personal names or the given names' words (see scrubbing)."""
    return scrubbing.scrub(text, names)


def anonymize(
    record: dict,
    form,
    key: bytes,
    phone_region: str = "",
    extra_redactions=(),
    device_id: str | None = None,
) -> dict:
    """The sync form of a finalized record: only what the form's rules let leave.

    `phone_region` (the hub's setting) reads phone numbers written without a country code.
    `extra_redactions`: words or phrases the hub's operator chose to remove from this
    record's free text after reading it; each becomes [removed] wherever it appears.
    `device_id`: the id the central server gave this hub, what a `deviceid` metadata
    question sends (none before enrollment: then it is not sent)."""
    from . import repeats  # forms imports this module, and repeats imports forms

    if record.get("form_id") != form.form_id or record.get("form_version") != form.version:
        raise AnonymizerError(f"Record {record.get('uuid')} is not a record of {form!r}.")
    _check_key(key)
    answers = record.get("answers") or {}
    enumerator = record.get("enumerator")
    # The enumerator's own name is scrubbed from text too, or its pseudonym would be moot.
    names = _identifying_values(form, answers)
    names += [enumerator] if isinstance(enumerator, str) else []
    redact = _redactor(extra_redactions)  # one pattern for every free-text answer
    rules = _form_rules(form)
    steps = {
        name: _step(form.questions[name], form, key, names, phone_region, redact, rule)
        for name, rule in rules.items()
    }
    # Each instance of a repeat, however deep, goes through its questions' rules, as a
    # record does.
    own = {None: form.top_questions} | {
        repeat: {q.name: q for q in questions} for repeat, questions in form.repeats.items()
    }
    synced = repeats.rebuild(form, answers, lambda repeat, scope: _apply(steps, own[repeat], scope))
    synced.update(metadata_answers(record, form, key, device_id))
    return {
        "uuid": record["uuid"],
        "revision": record["revision"],
        "form_id": record["form_id"],
        "form_version": record["form_version"],
        "locale": record["locale"],
        "collected": _day(record.get("finalized_at")),
        "enumerator": pseudonym("enumerator", enumerator, key) if _filled(enumerator) else None,
        "answers": synced,
    }


def _apply(steps: dict, questions, answers: dict) -> dict:
    synced = {}
    for name in questions:
        if name in steps and answers.get(name) is not None:
            value = steps[name](answers[name])
            if value is not _DROP:
                synced[name] = value
    return synced


# -- Record metadata --------------------------------------------------------------------


def metadata_rule(item: dict, form=None) -> str:
    """The rule of a metadata row (start, deviceid...): its own, else its type's default.
    Who took a discrimination report or kiosk feedback is not sent by default: a person
    who reports may be known to the enumerator they talked to."""
    from .forms import FEEDBACK_FORM, REPORT_FORM  # forms imports this module

    allowed = METADATA_RULES.get(item.get("type") or "", ("drop",))
    if item.get("privacy") in allowed:
        return item["privacy"]
    if item.get("type") == "username" and getattr(form, "form_id", None) in (
        REPORT_FORM,
        FEEDBACK_FORM,
    ):
        return "drop"
    return allowed[0]


def metadata_answers(record: dict, form, key: bytes, device_id: str | None = None) -> dict:
    """The metadata values that leave with a record, by their names in the form.

    Derived from the record itself, never stored twice: `start` and `today` from when it
    was started (`started_at`), `end` from when this revision was finalized, `username`
    from its enumerator, `deviceid` from the hub's enrollment (`device_id`), `audit` from
    the seconds each section was open (`paradata`, collector.paradata)."""
    enumerator = record.get("enumerator")
    sources: dict[str, Any] = {
        "start": record.get("started_at") or record.get("finalized_at"),
        "today": record.get("started_at") or record.get("finalized_at"),
        "end": record.get("finalized_at"),
        "deviceid": device_id,
        "username": enumerator,
        "audit": record.get("paradata"),
    }
    synced: dict[str, Any] = {}
    for item in form.data.get("metadata", []):
        value = sources.get(item["type"])
        rule = metadata_rule(item, form)
        if not _filled(value) or rule == "drop":
            continue
        if item["type"] == "username":
            # The same pseudonym as the record's own enumerator field: one person, one code.
            synced[item["name"]] = pseudonym("enumerator", value, key)
        elif item["type"] == "deviceid":
            synced[item["name"]] = str(value)  # already a pseudonym: the server's own id
        elif item["type"] == "audit":
            synced[item["name"]] = durations(value, form, rule)
        else:
            synced[item["name"]] = _day_rule(rule)(_day(value))
    return synced


def durations(paradata: dict | None, form, rule: str) -> dict:
    """An audit as it leaves: whole seconds in all and, under generalize:section, per section
    of the form, in the form's order. Durations only: no time of day, no order of pages."""
    paradata = paradata or {}
    sent: dict = {"total": _seconds(paradata.get("total"))}
    given = paradata.get("sections") or {}
    sections = {
        section["name"]: _seconds(given[section["name"]])
        for section in form.sections
        if section["name"] in given
    }
    if rule == "generalize:section" and sections:
        sent["sections"] = sections
    return sent


def _seconds(value) -> int:
    return max(0, int(value)) if isinstance(value, (int, float)) else 0


def _day_rule(rule: str):
    """A day ('YYYY-MM-DD') as a day-rule leaves it."""
    return {"generalize:month": _month, "generalize:year": _year}.get(rule, lambda day: day)


# -- Rules -----------------------------------------------------------------------------


@functools.lru_cache(maxsize=64)
def _form_rules(form) -> dict[str, str]:
    """The rule of each question that holds a value, worked out once per form version (a
    sync anonymizes hundreds of records of one form; the rules do not change between them)."""
    return {
        name: rule_for(question, form)
        for name, question in form.questions.items()
        if question.holds_value
    }


@functools.lru_cache(maxsize=64)
def _name_like_fields(form) -> tuple[str, ...]:
    """Fields with no rule whose name or label suggest a person's name (see
    suggests_identifier): their answers are scrubbed from the record's free text."""
    return tuple(
        name
        for name, question in form.questions.items()
        if not question.get("identifying")
        and not question.get("privacy")
        and suggests_identifier(question) == "name"
    )


def _step(question, form, key: bytes, names: list[str], *args, **kwargs):
    """_rule_step; a select_multiple of a repeat's answers takes each answer through the
    rule alone (a list of names is scrubbed name by name, not dropped as a non-text)."""
    step = _rule_step(question, form, key, names, *args, **kwargs)
    if not (question.get("choices_from") and question.get("type") == "select_multiple"):
        return step

    def each(value):
        if not isinstance(value, list):
            return step(value)
        kept = [item for item in map(step, value) if item is not _DROP]
        return kept or _DROP

    return each


def _rule_step(
    question,
    form,
    key: bytes,
    names: list[str],
    phone_region: str = "",
    redact=lambda value: value,
    rule: str | None = None,
):
    """The function that maps one question's answer to its sync value, or to _DROP
    (`redact`: the operator's extra removals, from `_redactor`; `rule`: the question's
    rule when the caller knows it)."""
    rule = rule or rule_for(question, form)
    if rule == "keep":
        return lambda value: value
    if rule == "drop":
        return lambda value: _DROP
    if rule == "scrub":
        return lambda value: _scrubbed(redact(value), names)
    # A select of a repeat's answers is coded as the answer it repeats, so a member picked
    # links to that member's pseudonym.
    field = question.get("choices_from") or question.name
    if rule == "pseudonymize":
        return lambda value: _pseudonymize(field, value, key)
    if rule == PHONE_RULE:
        return lambda value: _pseudonymize(field, value, key, phone_region)
    if rule == "generalize:age_band":
        return _age_band
    if rule == "generalize:month":
        return _month
    if rule == "generalize:year":
        return _year
    if rule == "generalize:parent":
        parents = {c["name"]: c["parent"] for c in form.choices(question) if c.get("parent")}
        return lambda value: parents.get(value, _DROP) if isinstance(value, str) else _DROP
    if rule.startswith("generalize:bins:"):
        edges = _edges(rule)
        return lambda value: _bin(value, edges)
    if rule.startswith(("generalize:grid:", "generalize:area")):
        return _location_step(question, form, rule)
    raise AnonymizerError(f"Unknown privacy rule {rule!r} on {question.name}.")


def _location_step(question, form, rule: str):
    """A location coarsened before it leaves: the centre of its grid cell (each point of a
    trace or shape), or the name of the area that holds it; nothing when it is not a
    location, lies in no area, or is a trace or shape under an area rule."""
    point_types = ("geopoint", "start-geopoint")
    if rule.startswith("generalize:grid:"):
        metres = _grid_metres(rule)
        if question.get("type") in point_types:
            return lambda value: _grid_point(value, metres)
        return lambda value: _grid_points(value, metres)
    if question.get("type") not in point_types:
        return lambda value: _DROP
    file = rule.split(":", 2)[2] if rule.count(":") == 2 else None
    features = form.boundaries(file) if form is not None else []

    def name_of(value):
        point = locations.parse_point(value) if isinstance(value, str) else None
        name = locations.area_name(point, features) if point else None
        return _DROP if name is None else name

    return name_of


def _grid_metres(rule: str) -> int:
    try:
        metres = int(rule.rsplit(":", 1)[1])
    except ValueError:
        metres = 0
    if metres <= 0:
        raise AnonymizerError(f"{rule!r}: the grid needs a size in whole metres.")
    return metres


def _grid_point(value, metres: int):
    point = locations.parse_point(value) if isinstance(value, str) else None
    return locations.grid_text(point, metres) if point else _DROP


def _grid_points(value, metres: int):
    """Each vertex snapped; a vertex in the same cell as the one before is said once."""
    points = locations.parse_points(value) if isinstance(value, str) else None
    if not points:
        return _DROP
    cells = [locations.grid_text(point, metres) for point in points]
    return ";".join(cell for i, cell in enumerate(cells) if i == 0 or cell != cells[i - 1])


def location_previews(form, answers: dict) -> list[tuple]:
    """(question, what the laptop holds, the rule, what leaves or None) of each answered
    location asked once per record: what the preview page shows."""
    found = []
    for name, question in form.top_questions.items():
        value = answers.get(name)
        if question.get("type") not in locations.LOCATION_TYPES or value in (None, ""):
            continue
        rule = rule_for(question, form)
        sent = _step(question, form, b"\0" * MIN_KEY_BYTES, [])(value)
        found.append((question, value, rule, None if sent is _DROP else sent))
    return found


def _pseudonymize(field: str, value, key: bytes, phone_region: str | None = None):
    """Each value (or each item of a list) as its pseudonym; blanks are not sent.
    A phone_region (even "") reads the values as phone numbers."""
    phone = phone_region is not None

    def code(item):
        return pseudonym(field, item, key, phone=phone, phone_region=phone_region or "")

    if isinstance(value, list):
        return [code(item) for item in value if _filled(item)]
    return code(value) if _filled(value) else _DROP


def _age_band(value):
    """Five-year bands, open above 90: few people are that old, so each is easier to spot."""
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        return _DROP
    if value >= 90:
        return "90+"
    low = value - value % 5
    return f"{low}-{low + 4}"


def _month(value):
    """'YYYY-MM-DD' or 'YYYY-MM-DDTHH:MM' (or already 'YYYY-MM') to 'YYYY-MM'."""
    match = _MONTH.fullmatch(value) if isinstance(value, str) else None
    return match.group(1) if match else _DROP


def _year(value):
    """A date, date-time or month ('YYYY-MM-DD...') to 'YYYY'; a whole-number year stays."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value if 1000 <= value <= 9999 else _DROP
    match = _YEAR.fullmatch(value) if isinstance(value, str) else None
    return match.group(1) if match else _DROP


def _edges(rule: str) -> list[float]:
    """The ascending finite edges of 'generalize:bins:E1,E2,...'."""
    try:
        edges = [float(text) for text in rule.split(":", 2)[2].split(",")]
    except ValueError:
        raise AnonymizerError(f"{rule!r}: bin edges must be numbers such as 0,5,10.") from None
    if not all(map(math.isfinite, edges)) or any(
        a >= b for a, b in zip(edges, edges[1:], strict=False)
    ):
        raise AnonymizerError(f"{rule!r}: bin edges must be finite and strictly ascending.")
    return edges


def _bin(value, edges: list[float]):
    """Half-open bins: v < E1 is '<E1', Ei <= v < Ei+1 is 'Ei-Ei+1', v >= Elast is 'Elast+'."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return _DROP
    if value < edges[0]:
        return f"<{_number(edges[0])}"
    for low, high in zip(edges, edges[1:], strict=False):
        if value < high:
            return f"{_number(low)}-{_number(high)}"
    return f"{_number(edges[-1])}+"


def _number(edge: float) -> str:
    return str(int(edge)) if edge.is_integer() else repr(edge)


# -- Names in free text ---------------------------------------------------------------


def text_names(form, answers: dict, enumerator=None) -> list[str]:
    """The names scrubbed from this record's free text: its identifying answers and the
    enumerator's name (what `anonymize` uses; the preview highlights the same)."""
    return _identifying_values(form, answers) + (
        [enumerator] if isinstance(enumerator, str) else []
    )


def _identifying_values(form, answers: dict) -> list[str]:
    """The text of the record's identifying answers, read before they are dropped: those
    of fields marked identifying, and of fields with no rule that look like a name."""
    from . import repeats  # see anonymize

    values = []
    for name in [*form.identifying_fields, *_name_like_fields(form)]:
        question = form.questions[name]
        for scope in repeats.scopes(form, answers, question.repeat):
            value = scope.get(name) if isinstance(scope, dict) else None
            items = value if isinstance(value, list) else [value]
            values += [item for item in items if isinstance(item, str)]
    return values


# -- Record fields -------------------------------------------------------------------------


def _filled(value) -> bool:
    return value is not None and bool(str(value).strip())


def _day(finalized_at) -> str:
    """The UTC day a record was finalized: the time of day is not sent."""
    try:
        moment = datetime.fromisoformat(str(finalized_at).replace("Z", "+00:00"))
    except ValueError:
        message = f"Only finalized records are synced (finalized_at={finalized_at!r})."
        raise AnonymizerError(message) from None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.date().isoformat()


# -- Questions that look like identifiers ----------------------------------------------------
# A form written elsewhere (an XLSForm from ODK or Kobo) rarely says which questions identify
# a person. A question with no privacy rule is judged by its name, its label in every language
# and its type; what looks like an identifier does not leave the laptop unless the form's
# author gives it a rule on purpose. Terms are folded words (see _fold); a term of several
# words matches those words in a row; Arabic terms also match with a suffix (هاتفك).

# What each kind is called in the listings, and which types can hold such a value: a name is
# never a number, and a select about owning a phone holds no phone number. A number typed as
# a decimal or picked from a range (a tent number from 1 to 400) is a number all the same.
IDENTIFIER_KINDS = {
    "national_id": ("text", "integer", "decimal", "range", "calculate"),
    "email": ("text", "calculate"),
    "phone": ("text", "integer", "decimal", "calculate"),
    "date_of_birth": ("date", "datetime", "text", "integer", "calculate"),
    "location": ("text", "decimal", "calculate", *locations.LOCATION_TYPES),
    "address": ("text", "integer", "decimal", "range", "calculate"),
    "name": ("text", "calculate"),
}
_IDENTIFIER_TYPES = dict.fromkeys(locations.LOCATION_TYPES, "location")
# Checked in this order: "birth certificate" is an ID before it is a birth date, "adresse
# e-mail" an e-mail before it is an address.
_IDENTIFIER_TERMS = {
    "national_id": {
        "en": "id; ids; nid; nin; id number; id no; idno; id card; identity; identification;"
        " identity card; national id; passport; passport number; birth certificate;"
        " voter card; voters card; voter id; huduma; ssn; social security; alien card;"
        " refugee id; refugee card; ration card; driving licence; driver license;"
        " drivers license; licence number; license number; registration number;"
        " case number; unhcr number; bvn; hhid; hhno; hhnum; caseno; caseid; regno; regid",
        "fr": "identite; piece d identite; carte d identite; numero d identite; cni; passeport;"
        " acte de naissance; certificat de naissance; carte d electeur; carte electeur;"
        " carte de refugie; numero de dossier; permis de conduire",
        "es": "identidad; identificacion; cedula; dni; documento de identidad; pasaporte;"
        " partida de nacimiento; acta de nacimiento; certificado de nacimiento;"
        " credencial de elector; tarjeta electoral; curp; numero de caso; licencia de"
        " conducir",
        "sw": "kitambulisho; vitambulisho; namba ya kitambulisho; nambari ya kitambulisho;"
        " pasipoti; pasi; cheti cha kuzaliwa; kadi ya mpiga kura; huduma; huduma namba;"
        " namba ya utambulisho; leseni ya udereva",
        "ar": "هوية; هويه; الهوية; بطاقة الهوية; رقم الهوية; الرقم الوطني; رقم وطني; جواز;"
        " جواز السفر; شهادة الميلاد; شهادة ميلاد; بطاقة الناخب; رخصة القيادة",
        "ha": "katin shaida; lambar shaida; shaidar zama dan kasa; fasfo; fasfot;"
        " takardar haihuwa; katin zabe; lasisin tuki; katin abinci",
    },
    "email": {
        "en": "email; e mail; emails; email address",
        "fr": "courriel; adresse electronique; mel",
        "es": "correo; correo electronico",
        "sw": "barua pepe",
        "ar": "بريد الكتروني; البريد الإلكتروني; بريد إلكتروني; ايميل; إيميل",
        "ha": "imel; i mel",
    },
    "phone": {
        "en": "phone; telephone; tel; mobile; mobile number; cell; cellphone; cell phone;"
        " msisdn; whatsapp; contact number; phone number; phone no; reach you",
        "fr": "telephone; tel; portable; numero de portable; cellulaire; vous joindre",
        "es": "telefono; celular; movil; numero de contacto; whatsapp",
        "sw": "simu; namba ya simu; nambari ya simu; rununu; whatsapp",
        "ar": "هاتف; الهاتف; جوال; الجوال; موبايل; تلفون; تليفون; محمول; واتساب; واتس",
        "ha": "waya; lambar waya; wayar hannu; wayar salula; whatsapp",
    },
    "date_of_birth": {
        "en": "dob; d o b; yob; date of birth; birth date; birthdate; birthday; born;"
        " year of birth; birth year; birth day",
        "fr": "date de naissance; ddn; ne le; nee le; annee de naissance",
        "es": "fecha de nacimiento; fecha nacimiento; ano de nacimiento; nacio; cumpleanos",
        "sw": "tarehe ya kuzaliwa; mwaka wa kuzaliwa; ulizaliwa; alizaliwa; siku ya kuzaliwa",
        "ar": "تاريخ الميلاد; تاريخ ميلاد; سنة الميلاد; تاريخ الولادة; مواليد; ولدت; عيد ميلاد",
        "ha": "ranar haihuwa; shekarar haihuwa; aka haife; an haife",
    },
    "location": {
        "en": "gps; geopoint; geo; geolocation; coordinates; coords; latitude; longitude; lat;"
        " lon; lng; altitude",
        "fr": "coordonnees; coordonnees gps; latitude; longitude",
        "es": "coordenadas; latitud; longitud; ubicacion gps",
        "sw": "gps; latitudo; longitudo",
        "ar": "إحداثيات; احداثيات; خط العرض; خط الطول; جي بي اس",
        "ha": "gps; latitude; longitude",
    },
    "address": {
        "en": "address; home address; street; street address; house number; house no;"
        " houseno; plot; plot number; plot no; postcode; postal code; zip code; po box;"
        " apartment number; stand number; directions to your home; tentno; shelterno",
        "fr": "adresse; rue; avenue; numero de maison; numero de la maison; parcelle;"
        " boite postale; code postal",
        "es": "direccion; domicilio; calle; numero de casa; codigo postal; apartado postal",
        "sw": "anwani; mtaa wako; namba ya nyumba; nambari ya nyumba; kiwanja; sanduku la posta",
        "ar": "عنوان; العنوان; عنوانك; شارع; الشارع; رقم المنزل; رقم البيت; صندوق بريد",
        "ha": "adireshi; adireshin; titi; lambar gida",
    },
    "name": {
        "en": "name; names; full name; fullname; first name; firstname; fname; last name;"
        " lastname; lname; surname; family name; given name; middle name; maiden name;"
        " nickname; other names; forename",
        "fr": "nom; noms; prenom; prenoms; nom complet; nom de famille; vous appelez vous;"
        " comment vous appelez",
        "es": "nombre; nombres; nombre completo; apellido; apellidos; como se llama;"
        " como te llamas",
        "sw": "jina; majina; jina kamili; jina la ukoo; jina lako; unaitwa nani",
        "ar": "اسم; الاسم; اسمك; اللقب; لقب; كنية; الكنية",
        "ha": "suna; sunan; sunanka; sunanki; sunaye; sunan mahaifi",
    },
}
# Words that say a question is about the thing, not a value that identifies someone: "How
# many phones...", "Do you own a phone?", "Name of the village". A cue of several words counts
# only when it does not follow the term ("phone number of the respondent" stays a phone).
_NOT_IDENTIFIER_CUES = {
    "en": "how many; number of; no of; nr of; num of; nbr of; count; size; acres; hectares;"
    " has; have; owns; owned; ownership; own a; possess; have a; has a; have any; has any;"
    " access to; type of; kind of; brand; network; airtime; credit; usage; use a; uses a",
    "fr": "combien; nombre de; possede; possedez; possession; avez vous un; a t il un; acces;"
    " type de",
    "es": "cuantos; cuantas; cantidad de; tiene un; tiene una; tienes un; posee; acceso; tipo de",
    "sw": "ngapi; idadi ya; una simu; mna simu; anamiliki; unamiliki; kumiliki; umiliki; aina ya",
    "ar": "كم; عدد; تملك; يملك; لديك; امتلاك; نوع",
    "ha": "nawa; yawan; kana da; kuna da; mallaka; irin",
}
# A name of a place, a group or a thing is not a person's name.
_NOT_A_PERSON = {
    "en": "village; town; city; school; community; place; area; district; region; county;"
    " province; organisation; organization; business; shop; facility; clinic; hospital;"
    " market; group; project; camp; site; language; product; brand; crop; disease;"
    " medicine; item; event; programme; program; tribe; ethnic; church; mosque;"
    " company; file; user; username; field; variable; form",
    "fr": "village; ville; ecole; communaute; lieu; quartier; region; organisation;"
    " entreprise; boutique; centre; marche; groupe; projet; camp; site; langue;"
    " produit; maladie; eglise; mosquee; nombre de",
    "es": "pueblo; aldea; ciudad; escuela; comunidad; lugar; barrio; region; organizacion;"
    " empresa; tienda; centro; mercado; grupo; proyecto; campamento; sitio; idioma;"
    " lengua; producto; enfermedad; iglesia; mezquita",
    "sw": "kijiji; mji; shule; jamii; mahali; eneo; wilaya; mkoa; shirika; biashara; duka;"
    " kituo; soko; kikundi; mradi; kambi; lugha; ugonjwa; kanisa; msikiti",
    "ar": "قرية; مدينة; مدرسة; مجتمع; مكان; منطقة; حي; محافظة; منظمة; شركة; متجر; مركز;"
    " سوق; مجموعة; مشروع; مخيم; لغة; مرض; كنيسة; مسجد",
    "ha": "kauye; gari; makaranta; alumma; wuri; yanki; jiha; kungiya; kasuwanci; shago;"
    " cibiya; kasuwa; aiki; sansani; harshe; cuta; coci; masallaci",
}
# A birth place is not a birth date.
_NOT_A_BIRTH_DATE = {
    "en": "where; place; country; town; city; village; certificate",
    "fr": "lieu; pays; ville; village; acte; certificat",
    "es": "donde; lugar; pais; ciudad; pueblo; partida; acta; certificado",
    "sw": "wapi; mahali; nchi; mji; kijiji; cheti",
    "ar": "أين; اين; مكان; بلد; مدينة; قرية; شهادة",
    "ha": "ina; wurin; kasa; gari; kauye; takardar",
}
# A number or code that names a case, a registration, a household or a ration card is an ID;
# one that names a shelter or a tent, an address. "Number of households" is a count (the cues
# above), and so, in Spanish, is "número de hogares": the plural is not the unit.
_NUMBERED = {
    "national_id": {
        "en": "case; registration; reg; file; household; hh; family; beneficiary; ration card;"
        " ration; token; voucher; progres; unhcr; manifest; attestation; patient; client",
        "fr": "dossier; cas; enregistrement; menage; famille; beneficiaire; carte de ration;"
        " ration; jeton; coupon; progres; hcr; manifeste; attestation; patient; client",
        "es": "caso; expediente; registro; hogar; familia; beneficiario; beneficiaria;"
        " tarjeta de racion; racion; cupon; vale; ficha; progres; acnur; paciente; cliente",
        "sw": "kesi; usajili; faili; kaya; familia; mnufaika; mfaidika; kadi ya mgao; mgao;"
        " tokeni; vocha; progres; unhcr; mgonjwa",
        "ar": "الحالة; القضية; الملف; التسجيل; الأسرة; العائلة; المستفيد; بطاقة التموين;"
        " البطاقة التموينية; التموين; الكوبون; القسيمة; المفوضية; المريض",
        "ha": "shari'a; rajista; rijista; fayil; iyali; katin abinci; baucha; mara lafiya",
    },
    "address": {
        "en": "shelter; tent; hut; room; compound; caravan; flat; dwelling",
        "fr": "abri; tente; case; chambre; logement; concession",
        "es": "refugio; albergue; carpa; cuarto; habitacion; vivienda; lote",
        "sw": "hema; makazi; kibanda; chumba; boma",
        "ar": "الخيمة; المأوى; الكرفان; الكرافان; الغرفة; المسكن; الشقة",
        "ha": "tanti; tenti; matsuguni; bukka; daki",
    },
}
# How each language writes "number of <unit>": the words for a number, those that may join it
# to the unit ("" for none), and whether the unit comes first ("case no") or last.
_NUMBER_WORDS = {
    "en": ("number; no; nr; num; nbr; id; code; ref; reference", "", True),
    "fr": (
        "numero; no; n; num; code; identifiant; id; ref; reference",
        "; de; du; de la; d; de l",
        False,
    ),
    "es": ("numero; no; n; nro; num; codigo; id; identificador", "; de; del; de la", False),
    "sw": ("namba; nambari; nambo", "; ya; la; cha", False),
    "ar": ("رقم; رمز; كود", "", False),
    "ha": ("lambar; lamba", "; ta; na", False),
}
# A text question whose answer is a person, asked for by the person's role: the label is the
# role alone ("Caregiver", "Head of household", "Referred by") or asks who it is ("Who is the
# child's caregiver?"). "Father's occupation" or "Relationship to the head of household" ask
# about the person, and a select or a number cannot hold a name.
_PERSON_ROLES = {
    "en": "caregiver; caregivers; care giver; carer; guardian; parent; parents;"
    " head of household; head of the household; household head; head of hh; hh head; hoh;"
    " head of family; father; mother; spouse; husband; wife; child; children; son; daughter;"
    " respondent; interviewee; informant; key informant; contact person; person to contact;"
    " emergency contact; next of kin; referred by; referred you; referrer; witness; landlord;"
    " landlady; employer; neighbour; neighbor",
    "fr": "aidant; aidante; soignant; soignante; personne qui s occupe; personne en charge;"
    " tuteur; tutrice; chef de menage; chef du menage; chef de famille; pere; mere; parent;"
    " parents; conjoint; conjointe; epoux; epouse; mari; enfant; fils; fille; repondant;"
    " repondante; personne enquetee; informateur; informatrice; personne de contact;"
    " personne a contacter; proche parent; plus proche parent; refere par; reference par;"
    " oriente par; orientee par; vous a oriente; vous a orientee; vous a refere;"
    " vous a reference; temoin; proprietaire; bailleur; employeur; voisin; voisine",
    "es": "cuidador; cuidadora; tutor; tutora; encargado; encargada; jefe de hogar;"
    " jefe del hogar; jefa de hogar; jefa del hogar; cabeza de familia; cabeza del hogar;"
    " padre; madre; padres; conyuge; esposo; esposa; marido; hijo; hija; nino; nina;"
    " encuestado; encuestada; entrevistado; entrevistada; informante; persona de contacto;"
    " familiar mas cercano; pariente mas cercano; referido por; referida por; remitido por;"
    " remitida por; lo refirio; la refirio; le refirio; lo remitio; la remitio; testigo;"
    " arrendador; arrendadora; casero; casera; empleador; empleadora; patron; vecino; vecina",
    "sw": "mlezi; walezi; mlinzi; mkuu wa kaya; kiongozi wa kaya; mkuu wa familia;"
    " mkuu wa nyumba; baba; mama; wazazi; mzazi; mwenzi; mume; mke; mtoto; watoto; mhojiwa;"
    " mjibuji; mtoa taarifa; mtu wa kuwasiliana; ndugu wa karibu; jamaa wa karibu;"
    " alikuelekeza; aliyekuelekeza; alikupeleka; aliyekupeleka; alikutuma; aliyekutuma;"
    " shahidi; mwenye nyumba; mwajiri; jirani",
    "ar": "مقدم الرعاية; مقدمة الرعاية; مقدم رعاية; القائم بالرعاية; ولي الأمر; ولي أمر;"
    " الوصي; وصي; رب الأسرة; ربة الأسرة; رب العائلة; معيل الأسرة; الأب; والد; أم الطفل;"
    " الزوج; الزوجة; زوج; زوجة; الطفل; طفل; الابن; ابن; الابنة; ابنة; المستجيب; المجيب;"
    " المبحوث; المخبر; شخص الاتصال; جهة الاتصال; أقرب الأقارب; أحالك; أحالتك; المحيل;"
    " الشاهد; شاهد; المالك; صاحب المنزل; المؤجر; صاحب العمل; الجار",
    "ha": "mai kula; mai kula da; mai reno; mai rikon; majibinci; waliyyi; shugaban gida;"
    " shugaban iyali; maigida; mai gida; uba; mahaifi; mahaifin; mahaifiya; mahaifiyar; uwa;"
    " uwar; iyaye; miji; mijin; matar; yaro; yaron; yarinya; yarinyar; yara;"
    " wanda aka tambaya; wadda aka tambaya; mai amsa tambayoyi; mai bada bayani;"
    " wanda za a tuntuba; dangi mafi kusa; makusanci; mai shaida; maigidan haya;"
    " mai gidan haya; ubangida; maigidan aiki; makwabci; makwabciya; ya turo ka;"
    " ya turo ki; ya tura ka; ya tura ki",
}
# Words around a role that ask nothing else: "the child's main caregiver".
_ROLE_FILLERS = {
    "en": "the; a; an; your; his; her; their; my; our; its; this; that; of; s; and; or; main;"
    " primary; principal; current; usual; legal; biological; other",
    "fr": "le; la; les; l; de; du; des; d; un; une; votre; vos; son; sa; ses; leur; mon; ma;"
    " et; ou; principal; principale; actuel; actuelle; legal; e",
    "es": "el; la; los; las; del; de; un; una; su; sus; tu; mi; y; o; principal; actual; legal; a",
    "sw": "wa; ya; la; cha; za; na; ni; wako; yako; wake; yake; huyu; au",
    "ar": "من; هو; هي; هم; الذي; التي; أو; او",
    "ha": "na; ta; da; ne; ce; ka; ki; ku; ya; shi; wannan; ko",
}
# "Who": at the start of the label, or at its end ("Mlezi ni nani?").
_WHO = {
    "en": "who; whom; whose",
    "fr": "qui",
    "es": "quien; quienes",
    "sw": "nani; ni nani",
    "ar": "من هو; من هي; من هم; من الذي; من التي; من أحال",
    "ha": "wane; wace; wanene; wacece; wa",
}
# Field names are written in Latin letters whatever the form's language: all lists apply,
# but words that name something else in another language do not ("nombre" is "number" in
# French: the name kind is for text only, so `nombre_personnes` as an integer is safe).
_LABEL_LANGUAGES = tuple(_IDENTIFIER_TERMS["name"])


class _Terms:
    """Terms looked up by their first word; Arabic ones, matched by prefix, apart."""

    def __init__(self, terms: list[tuple[str, ...]]):
        self.by_first: dict[str, list[tuple[str, ...]]] = {}
        self.arabic = [term for term in terms if _is_arabic(term[0])]
        for term in terms:
            if term not in self.arabic:
                self.by_first.setdefault(term[0], []).append(term)


def _term_list(text: str) -> list[tuple[str, ...]]:
    return [
        tuple(_fold(word) for word in re.findall(r"[^\W_]+", term))
        for term in text.split(";")
        if term.strip()
    ]


def _per_language(table: dict) -> dict[str, _Terms]:
    return {language: _Terms(_term_list(text)) for language, text in table.items()}


def suggests_identifier(question) -> str | None:
    """The kind of identifier a question's name, labels or type suggest ("phone",
    "national_id", "date_of_birth", "name", "address", "location", "email"), or None.

    Only for a question that can hold such a value: a select about owning a phone, a note
    or a range holds no phone number (a range holds a case or shelter number, though).
    """
    label = question.get("label") or {}
    return _identifier_kind(
        question.get("name") or "",
        question.get("type"),
        tuple(sorted(label.items())) if isinstance(label, dict) else (),
    )


@functools.lru_cache(maxsize=4096)
def _identifier_kind(name: str, question_type: str, labels: tuple) -> str | None:
    """suggests_identifier, remembered: every record of a form asks about the same questions."""
    if question_type in _IDENTIFIER_TYPES:
        return _IDENTIFIER_TYPES[question_type]
    words = _field_words(name)
    sources = [(words, words, _LABEL_LANGUAGES)]
    for language, text in labels:
        code = language.split("_")[0]
        known = (code, "en") if code in _LABEL_LANGUAGES else _LABEL_LANGUAGES
        # "Caregiver (if not the respondent)": the aside says nothing of what is asked.
        bare = _text_words(_ASIDE.sub(" ", str(text)))
        sources.append((_text_words(text), bare, known))
    for kind, types in IDENTIFIER_KINDS.items():
        if question_type in types and any(
            _names_kind(kind, words, bare, languages, question_type)
            for words, bare, languages in sources
        ):
            return kind
    return None


def _names_kind(
    kind: str, words: list[str], bare: list[str], languages, question_type: str
) -> bool:
    """Whether these words name an identifier of this kind, and nothing says otherwise
    (`bare`: the same words without asides in brackets)."""
    # A number may count phones or code "has a passport" as 1: only there do "how many" and
    # "own a" say it is no identifier. A text that mentions a passport may hold its number.
    numeric = question_type in ("integer", "decimal", "range")
    # Only what someone types holds a person asked for by role: a calculation called
    # "children" counts them.
    person = kind == "name" and question_type == "text"
    spans = [
        (start, end)
        for language in languages
        for start, end in _matches(words, _TERMS[kind][language])
        if not _says_no(words, end)
    ]
    if not spans and not (person and _asks_for_person(bare, languages)):
        return False
    ends = {end for _, end in spans}
    # "phone number of the respondent": a phrase cue right after the term is part of it.
    cues = [
        (start, end) for language in languages for start, end in _matches(words, _CUES[language])
    ]
    if numeric and any(end - start == 1 or start not in ends for start, end in cues):
        return False
    if kind == "name" and any(_matches(words, _PLACES[language]) for language in languages):
        return False
    if kind == "date_of_birth" and any(
        _matches(words, _BIRTH_PLACES[language]) for language in languages
    ):
        return False
    return True


def _says_no(words: list[str], end: int) -> bool:
    """Whether a term's last word "no" is the word no: "the household no longer...", "in
    case no one is home", unlike "Case no." or "Tent no. (on the door)"."""
    return words[end - 1] == "no" and end < len(words) and words[end] not in _AFTER_NUMBER


def _asks_for_person(words: list[str], languages) -> bool:
    """Whether the words are a person's role alone ("Head of household", "the child's
    caregiver") or ask who that is ("Who referred you?", "Mkuu wa kaya ni nani?")."""
    roles = [span for language in languages for span in _matches(words, _ROLES[language])]
    if not roles:
        return False
    covered = {i for start, end in roles for i in range(start, end)}
    fillers = set().union(*(_FILLERS[language] for language in languages))
    if all(word in fillers for i, word in enumerate(words) if i not in covered):
        return True
    return any(
        start == 0 or end >= len(words) - 1
        for language in languages
        for start, end in _matches(words, _WHOS[language])
    )


def _matches(words: list[str], terms: _Terms) -> list[tuple[int, int]]:
    """(start, end) of every place one of the terms occurs in the words."""
    found = []
    for start, word in enumerate(words):
        candidates = terms.by_first.get(word, [])
        if terms.arabic and _is_arabic(word):
            candidates = candidates + [t for t in terms.arabic if _word_is(word, t[0])]
        for term in candidates:
            following = words[start + 1 : start + len(term)]
            if len(following) == len(term) - 1 and all(
                _word_is(w, part) for w, part in zip(following, term[1:], strict=True)
            ):
                found.append((start, start + len(term)))
    return found


def _word_is(word: str, term: str) -> bool:
    if word == term:
        return True
    if not _is_arabic(term):
        return False
    # Arabic attaches "and", "the"... in front and "your", "my"... behind: هاتفك is "your phone".
    return any(
        stem.startswith(term)
        for stem in [word] + [word[len(p) :] for p in _PROCLITICS if word.startswith(p)]
    )


def _text_words(text: str) -> list[str]:
    """A label's words, folded; digits apart; "#" read as "number" ("Case #")."""
    return [_fold(word) for word in re.findall(r"[^\W\d_]+", str(text).replace("#", " number "))]


def _field_words(name: str) -> list[str]:
    """A field name's words: `respondentPhone2` and `respondent_phone_2` alike."""
    spaced = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", name)
    return _text_words(spaced)


def _numbered(kind: str, language: str) -> str:
    """Terms for the number of each unit of this kind: "case no", "numero du menage"."""
    numbers, joins, unit_first = _NUMBER_WORDS[language]
    terms = []
    units = _NUMBERED.get(kind, {}).get(language, "").split(";")
    for unit in filter(str.strip, units):
        for number in numbers.split(";"):
            for join in joins.split(";"):
                words = (unit, number) if unit_first else (number, join, unit)
                terms.append(" ".join(word.strip() for word in words if word.strip()))
    return "; ".join(terms)


# Built once, after the helpers they use.
_TERMS = {
    kind: _per_language(
        {language: f"{text}; {_numbered(kind, language)}" for language, text in by_language.items()}
    )
    for kind, by_language in _IDENTIFIER_TERMS.items()
}
_ROLES = _per_language(_PERSON_ROLES)
_WHOS = _per_language(_WHO)
_FILLERS = {
    language: {word for (word,) in _term_list(text)} for language, text in _ROLE_FILLERS.items()
}
_AFTER_NUMBER = {"of", "and", "or", "on", "in", "from", "if", "as", "for", "per", "de", "y", "et"}
_ASIDE = re.compile(r"\([^()]*\)|\[[^\[\]]*\]")
_CUES = _per_language(_NOT_IDENTIFIER_CUES)
_PLACES = _per_language(_NOT_A_PERSON)
_BIRTH_PLACES = _per_language(_NOT_A_BIRTH_DATE)


def privacy_listing(form) -> dict[str, list]:
    """What importing or publishing a form tells its author: the fields that leave the laptop
    as they are (`keep`), and those dropped (or a birth date cut to its year) because they
    look like identifiers and have no rule, as (name, kind) pairs; and the locations that
    leave exact (`exact_locations`: kept on purpose, a home's place to the metre)."""
    kept, identifiers, exact_locations = [], [], []
    for name, question in form.questions.items():
        if not question.holds_value:
            continue
        if question.get("type") in locations.LOCATION_TYPES and rule_for(question, form) == "keep":
            exact_locations.append(name)
        if not question.get("identifying") and not question.get("privacy"):
            kind = suggests_identifier(question)
            if kind is not None:
                identifiers.append((name, kind))
                continue
        if rule_for(question, form) == "keep":
            kept.append(name)
    return {"keep": kept, "identifiers": identifiers, "exact_locations": exact_locations}
