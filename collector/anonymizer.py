"""Turn a stored record into its sync form: nothing identifying leaves the laptop.

Every answer goes through its question's privacy rule (`rule_for`). Answers to
questions the form does not have, notes, and identifying fields are never copied
as they are. Pure functions: no I/O, no Flask, stdlib only.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import re
import unicodedata
from datetime import datetime, timezone

from . import expressions

__all__ = ["AnonymizerError", "anonymize", "pseudonym", "rule_for", "scrub_text",
           "weaker_fields"]

MIN_KEY_BYTES = 16
_DROP = object()  # a rule's answer for "this value does not leave the laptop"

_EMAIL = re.compile(r"[\w.+%'-]+@[\w-]+(?:\.[\w-]+)+")
# An optional +, then 7+ digits (any script's decimal digits) with spaces, dots,
# dashes or parentheses between them. Not glued to a word on the left, so that
# "A1234567" is left whole for the ID rule.
_PHONE = re.compile(r"(?<!\w)\+?\(?\d(?:[\s.()-]{0,3}\d){6,}(?!\d)")
# A token of 6+ letters/digits mixing both, or any run of 5+ digits.
_ID = re.compile(r"(?<![^\W_])(?=[^\W_]*\d)(?=[^\W_]*[^\W\d_])[^\W_]{6,}(?![^\W_])|\d{5,}")
_MONTH = re.compile(r"([0-9]{4}-(?:0[1-9]|1[0-2]))(?:-[0-9]{2}(?:T[0-9]{2}:[0-9]{2})?)?")
_PLACEHOLDERS = {"[email]", "[phone]", "[id]", "[name]"}
# Arabic attaches "and", "with", "for", "like", "the" to the next word: "وعلي" is "and Ali".
_PROCLITICS = ("و", "ف", "ب", "ل", "ك", "ال", "وال", "فال", "بال", "كال", "لل")
_DEFAULTS = {"text": "scrub", "date": "generalize:month", "datetime": "generalize:month"}
# The only rules under which an identifying answer may leave the laptop.
IDENTIFYING_RULES = ("drop", "pseudonymize")
# How much of an answer a rule keeps out of the sync payload: higher is stronger.
_STRENGTH = {"drop": 4, "pseudonymize": 3, "generalize": 2, "scrub": 1, "keep": 0}


class AnonymizerError(ValueError):
    """A rule, key or record the anonymizer must refuse: a programming error, not bad data."""


def rule_for(question, form=None) -> str:
    """The question's privacy rule, or the safe default when the form gives none.

    The floor: an identifying question leaves the laptop only dropped or pseudonymized;
    any other rule on it, whoever wrote the form, counts as drop.
    """
    if question.get("identifying"):
        return question.get("privacy") if question.get("privacy") in IDENTIFYING_RULES else "drop"
    if question.get("privacy"):
        return question.get("privacy")
    if question.get("type") == "calculate":
        return _calculation_rule(question, form, set())
    return _DEFAULTS.get(question.get("type"), "keep")


def _calculation_rule(question, form, seen: set) -> str:
    """A calculation can copy what it is computed from (`${age}` is the exact age): it leaves
    the laptop, scrubbed, only when every field it uses leaves as it is; otherwise dropped."""
    if form is None or question.name in seen:
        return "drop"
    seen.add(question.name)
    for name in expressions.parse(question.calculation).references():
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
                rule_for(old, old_form), rule_for(new, new_form)):
            weaker.append(name)
    return weaker


def _is_weaker(old_rule: str, new_rule: str) -> bool:
    old_kind, new_kind = old_rule.split(":")[0], new_rule.split(":")[0]
    if old_kind == new_kind == "generalize":
        # Another grouping (finer bins, say) cannot be shown to hide as much: refused.
        return new_rule != old_rule
    # An unknown rule counts as the weakest.
    return _STRENGTH.get(new_kind, -1) < _STRENGTH.get(old_kind, -1)


def pseudonym(namespace: str, value, key: bytes) -> str:
    """A keyed one-way code: equal values link under one key, nothing links across keys."""
    _check_key(key)
    normalized = " ".join(unicodedata.normalize("NFKC", str(value)).casefold().split())
    message = f"{namespace}\x1f{normalized}".encode("utf-8")
    return "p_" + hmac.new(bytes(key), message, hashlib.sha256).hexdigest()[:20]


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


def scrub_text(text: str, names) -> str:
    """Free text without e-mails, phone numbers, ID-like tokens or the given names' words."""
    text = _EMAIL.sub("[email]", text)
    text = _PHONE.sub("[phone]", text)
    text = _ID.sub("[id]", text)
    return _scrub_names(text, _name_keys(names))


def anonymize(record: dict, form, key: bytes) -> dict:
    """The sync form of a finalized record: only what the form's rules let leave."""
    if record.get("form_id") != form.form_id or record.get("form_version") != form.version:
        raise AnonymizerError(f"Record {record.get('uuid')} is not a record of {form!r}.")
    _check_key(key)
    answers = record.get("answers") or {}
    enumerator = record.get("enumerator")
    # The enumerator's own name is scrubbed from text too, or its pseudonym would be moot.
    names = _identifying_values(form, answers)
    names += [enumerator] if isinstance(enumerator, str) else []
    steps = {name: _step(question, form, key, names)
             for name, question in form.questions.items() if question.holds_value}
    synced = _apply(steps, form.top_questions, answers)
    # Each instance of a repeat goes through its questions' rules, as a record does.
    for repeat, questions in form.repeats.items():
        if isinstance(answers.get(repeat), list):
            own = {q.name: q for q in questions}
            synced[repeat] = [_apply(steps, own, item) for item in answers[repeat]
                              if isinstance(item, dict)]
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


# -- Rules -----------------------------------------------------------------------------

def _step(question, form, key: bytes, names: list[str]):
    """The function that maps one question's answer to its sync value, or to _DROP."""
    rule = rule_for(question, form)
    if rule == "keep":
        return lambda value: value
    if rule == "drop":
        return lambda value: _DROP
    if rule == "scrub":
        return lambda value: _scrubbed(value, names)
    if rule == "pseudonymize":
        return lambda value: _pseudonymize(question.name, value, key)
    if rule == "generalize:age_band":
        return _age_band
    if rule == "generalize:month":
        return _month
    if rule == "generalize:parent":
        parents = {c["name"]: c["parent"] for c in form.choices(question) if c.get("parent")}
        return lambda value: parents.get(value, _DROP) if isinstance(value, str) else _DROP
    if rule.startswith("generalize:bins:"):
        edges = _edges(rule)
        return lambda value: _bin(value, edges)
    raise AnonymizerError(f"Unknown privacy rule {rule!r} on {question.name}.")


def _pseudonymize(field: str, value, key: bytes):
    """Each value (or each item of a list) as its pseudonym; blanks are not sent."""
    if isinstance(value, list):
        return [pseudonym(field, item, key) for item in value if _filled(item)]
    return pseudonym(field, value, key) if _filled(value) else _DROP


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


def _edges(rule: str) -> list[float]:
    """The ascending finite edges of 'generalize:bins:E1,E2,...'."""
    try:
        edges = [float(text) for text in rule.split(":", 2)[2].split(",")]
    except ValueError:
        raise AnonymizerError(f"{rule!r}: bin edges must be numbers such as 0,5,10.") from None
    if not all(map(math.isfinite, edges)) or any(a >= b for a, b in zip(edges, edges[1:])):
        raise AnonymizerError(f"{rule!r}: bin edges must be finite and strictly ascending.")
    return edges


def _bin(value, edges: list[float]):
    """Half-open bins: v < E1 is '<E1', Ei <= v < Ei+1 is 'Ei-Ei+1', v >= Elast is 'Elast+'."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return _DROP
    if value < edges[0]:
        return f"<{_number(edges[0])}"
    for low, high in zip(edges, edges[1:]):
        if value < high:
            return f"{_number(low)}-{_number(high)}"
    return f"{_number(edges[-1])}+"


def _number(edge: float) -> str:
    return str(int(edge)) if edge.is_integer() else repr(edge)


# -- Names in free text ---------------------------------------------------------------

def _identifying_values(form, answers: dict) -> list[str]:
    """The text of the record's identifying answers, read before they are dropped."""
    values = []
    for name in form.identifying_fields:
        question = form.questions[name]
        found = answers.get(question.repeat) if question.repeat else [answers]
        for scope in found if isinstance(found, list) else []:
            value = scope.get(name) if isinstance(scope, dict) else None
            items = value if isinstance(value, list) else [value]
            values += [item for item in items if isinstance(item, str)]
    return values


def _fold(word: str) -> str:
    """A word compared ignoring case, accents, harakat and compatibility forms."""
    decomposed = unicodedata.normalize("NFKD", word)
    return "".join(c for c in decomposed if unicodedata.category(c) != "Mn").casefold()


def _words(text: str):
    """(start, end) of each run of letters and combining marks: a word in any script.

    Not re's \\w: it splits Devanagari or vowelled Arabic at the marks, and joins
    letters to digits, so "Ali2" would hide "Ali".
    """
    start = None
    for index, char in enumerate(text + " "):
        if unicodedata.category(char)[0] in "LM":
            start = index if start is None else start
        elif start is not None:
            yield start, index
            start = None


def _name_keys(names) -> set[str]:
    """The folded words of 2+ letters in the given names."""
    keys = set()
    for name in (n for n in names if isinstance(n, str)):
        for start, end in _words(name):
            word = name[start:end]
            if sum(unicodedata.category(c)[0] == "L" for c in word) >= 2:
                keys.add(_fold(word))
    return keys


def _is_name(word: str, keys: set[str]) -> bool:
    folded = _fold(word)
    return folded in keys or any(
        folded.startswith(p) and folded[len(p):] in keys for p in _PROCLITICS)


def _scrub_names(text: str, keys: set[str]) -> str:
    """Replace whole words that are one of the names; "Ali" never touches "Alice"."""
    if not keys:
        return text
    parts, last = [], 0
    for start, end in _words(text):
        if text[max(start - 1, 0):end + 1] in _PLACEHOLDERS:
            continue
        if _is_name(text[start:end], keys):
            parts += [text[last:start], "[name]"]
            last = end
    return "".join(parts) + text[last:]


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
        moment = moment.astimezone(timezone.utc)
    return moment.date().isoformat()
