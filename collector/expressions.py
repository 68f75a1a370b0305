"""The XLSForm/ODK XPath subset of ``relevant``, ``constraint`` and ``calculation`` columns.

The browser applies skip logic live with collector/static/js/expressions.js, a port
of this module; the server re-checks every submission with this one, so it is the
authority. tests/expression_vectors.json is run against both: a change of meaning
here needs the same change there and a new vector.

Source text goes through a tokenizer and a recursive-descent parser (XPath 1.0
precedence) into a small tree whose nodes evaluate to bool, float, str, date or
datetime, or a Nodeset: the answers to one field across the instances of a repeat,
seen from outside it. Nothing is ever handed to eval() or exec().
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import math
import operator
import random
import re
import string
import uuid
from collections.abc import Callable, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from functools import lru_cache
from numbers import Real
from typing import Any, NamedTuple

from . import locations

__all__ = [
    "FUNCTIONS",
    "Context",
    "Expression",
    "ExpressionError",
    "Nodeset",
    "evaluate",
    "parse",
    "to_boolean",
    "to_number",
    "to_text",
]

EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
LAST_ORDINAL = date.max.toordinal()
WHITESPACE = " \t\r\n"  # XPath's whitespace; other Unicode spaces are ordinary characters.
SPACE_RUN = re.compile(r"[ \t\r\n]+")
NUMERIC = re.compile(r"[ \t\r\n]*-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?[ \t\r\n]*")
# XML Schema's zone offsets, -14:00 to +14:00: '-24:00' or '+07:60' make the value no time at all
OFFSET = r"(Z|[+-](?:(?:0[0-9]|1[0-3])(?::?[0-5][0-9])?|14(?::?00)?))?"
ISO_DATE = re.compile(
    r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})(?:T([0-9]{2}):([0-9]{2})"
    r"(?::([0-9]{2}(?:\.[0-9]+)?))?" + OFFSET + ")?"
)
ISO_TIME = re.compile(r"([0-9]{2}):([0-9]{2})(?::([0-9]{2}(?:\.[0-9]+)?))?" + OFFSET)
NUMBER_TOKEN = re.compile(r"(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
GLUED_OPERATOR = re.compile(r"(and|or|div|mod)[0-9]")
NAME_TOKEN = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*(?::[A-Za-z_][A-Za-z0-9_.\-]*)?")
FIELD_NAME = re.compile("[A-Za-z_\u00c0-\U0010ffff][A-Za-z0-9_.\\-\u00b7\u00c0-\U0010ffff]*")
LAST_SAVED = "last-saved#"  # ${last-saved#name}, ODK's answer in the last record saved
FIELD_LITERAL = re.compile(r"[ \t\r\n]*\$\{([^}]*)\}[ \t\r\n]*")
# `../age`, `./age`, `current()/../region`: XPath's relative paths to a question, as pyxform
# passes them to ODK. Names are unique in a form, so the last step names the question.
RELATIVE_PATH = re.compile(
    r"(?:current\(\)/)?(?:\.\.?/)+(?:" + FIELD_NAME.pattern + "/)*(" + FIELD_NAME.pattern + ")"
)
FORMAT_CODE = re.compile("%(.?)", re.S)
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")  # date.weekday() order
DIGESTS = {
    "md5": "md5",
    "sha-1": "sha1",
    "sha-256": "sha256",
    "sha-384": "sha384",
    "sha-512": "sha512",
}
SYMBOLS = ("..", "!=", "<=", ">=", "(", ")", ",", "+", "-", "*", "=", "<", ">", ".", "[", "]")
# instance('list')/root/item[...]/column: the items of one of the form's choice lists.
INSTANCE_PATH = re.compile(r"instance\(\s*(['\"])([A-Za-z_][\w.\-]*)\1\s*\)\s*/\s*root\s*/\s*item")
ITEM_STEP = re.compile(r"/\s*([A-Za-z_][\w.\-]*)")
KEYWORD_OPERATORS = frozenset({"and", "or", "div", "mod"})
# Numbers an answer can hold: int, float, Fraction, numpy's (all Real) and Decimal (a Number
# but not Real). A complex number has no XPath meaning, and float() refuses it.
NUMBERS = (Real, Decimal)
PRECEDENCE = (
    ("or",),
    ("and",),
    ("=", "!="),
    ("<", "<=", ">", ">="),
    ("+", "-"),
    ("*", "div", "mod"),
)  # loosest first

# The zone of the form's clock, in minutes east of UTC: the offset of Context.now while an
# expression runs. Date-times with another offset are read on this clock (see
# docs/form-definitions.md, "Dates, times and time zones").
_ZONE: ContextVar[int] = ContextVar("expression_zone", default=0)


class ExpressionError(ValueError):
    """A syntax error, unknown function or wrong argument count, at a 0-based offset."""

    def __init__(self, message: str, position: int):
        super().__init__(f"{message} at position {position}")
        self.message = message
        self.position = position


@dataclass
class Context:
    """What an expression can see: answers by field name, `.`, the clock, the repeat index."""

    values: Mapping[str, Any] = field(default_factory=dict)
    current: Any = None
    # today()/now(), and the zone dates are read in: its offset (none: UTC). Default: the
    # machine's clock and zone.
    now: datetime | date | str | None = None
    position: int | None = None  # 1-based repeat instance for position()
    choice_label: Callable[[str, str], str | None] | None = None  # (field, choice) -> label
    choice: Mapping[str, Any] | None = None  # a choice's columns, for a choice filter
    # Choices from a repeat's answers: `values` sees the instance tested as a choice (its
    # repeat's answers are its own), this what the select itself sees, for current()/..
    here: Mapping[str, Any] | None = None
    # Inside a repeat, `values` has this instance's answers; these are each repeated
    # question's answers across all instances, for indexed-repeat()'s first argument.
    nodesets: Mapping[str, Any] | None = None
    # pulldata()'s CSV files, by name without `.csv`: each a list of rows (column → text).
    data: Mapping[str, Sequence[Mapping[str, Any]]] | None = None
    # instance('list')/root/item: the form's choice lists, each a list of items (name,
    # label, and the list's other columns).
    instances: Mapping[str, Sequence[Mapping[str, Any]]] | None = None
    # indexed-repeat() in a record with repeats: (field, [(repeat, index), ...]) -> the
    # field's answers in the instances picked (every instance of a repeat not named).
    indexed: Callable[[str, list], Any] | None = None
    # ${last-saved#name}: the answers of the last record saved before this one, by name
    # (none on a first fill, or for a person with no record of their own).
    last_saved: Mapping[str, Any] | None = None


class Nodeset(tuple):
    """XPath's node-set, in document order: one field's answers across a repeat's instances
    (str, int, float or None), or the instances themselves (dicts), for a question outside
    the repeat. As a value it is its first item (string(), number()) or its being non-empty
    (boolean()); count(), sum(), join(), indexed-repeat(), min() and max() see every item."""

    __slots__ = ()


# --- conversions (XPath number(), string(), boolean()) ---------------------------------


def to_number(value: Any) -> float:
    """XPath number(); dates and ISO date strings count days since 1970-01-01 on the form's
    clock, as in ODK (a date-time with another offset is first moved to that clock)."""
    if isinstance(value, Nodeset):
        return to_number(value[0] if value else None)
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, date):
        return _date_days(value)
    if isinstance(value, NUMBERS):
        return float(value)
    text = to_text(value)
    if NUMERIC.fullmatch(text):
        return float(text)
    read = _read_iso(text)
    return math.nan if read is None else read[0]


def to_text(value: Any) -> str:
    """XPath string(): numbers without a needless '.0', dates as ISO text (a date-time with
    milliseconds and its offset, as ODK stores it), an instance as its answers run together."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):  # its own wall clock and offset (naive: the form's)
        utc_offset = value.utcoffset()
        offset = _ZONE.get() if utc_offset is None else utc_offset.total_seconds() / 60
        return _iso_text(_wall_days(value), True, round(offset))
    if isinstance(value, date):
        return _iso_text(_wall_days(value), False, 0)
    if isinstance(value, NUMBERS):
        return _number_text(float(value))
    if isinstance(value, Nodeset):
        return to_text(value[0]) if value else ""
    if isinstance(value, Mapping):  # an instance: XPath's string-value of an element
        return "".join(to_text(answer) for answer in value.values())
    if isinstance(value, (list, tuple)):
        return " ".join(to_text(item) for item in value)
    return str(value)


def to_boolean(value: Any) -> bool:
    """XPath boolean(): the outcome of a relevant or constraint."""
    if isinstance(value, Nodeset):
        return len(value) > 0  # even when every item is empty, as in XPath
    if isinstance(value, bool):
        return value
    if isinstance(value, date):
        return True
    if isinstance(value, NUMBERS):
        return value != 0 and not math.isnan(value)
    return to_text(value) != ""


def _number_text(number: float) -> str:
    """Shortest round-trip digits in plain notation: what JavaScript prints, minus exponents."""
    if math.isnan(number):
        return "NaN"
    if math.isinf(number):
        return "Infinity" if number > 0 else "-Infinity"
    if number == 0:
        return "0"
    return format(Decimal(repr(number)).normalize(), "f")


# --- dates: day counts since 1970-01-01 on the form's clock -------------------------------


def _date_days(value: date) -> float:
    """Days since 1970-01-01 of a date, or of a date-time on the form's clock (a naive
    date-time is already a time on that clock)."""
    days = _wall_days(value)
    offset = value.utcoffset() if isinstance(value, datetime) else None
    if offset is not None:
        days += (_ZONE.get() - offset.total_seconds() / 60) / 1440
    return days


def _wall_days(value: date) -> float:
    """Days since 1970-01-01 of the value as written (a date-time's own wall clock)."""
    days = value.toordinal() - EPOCH_ORDINAL
    if not isinstance(value, datetime):
        return float(days)
    seconds = value.hour * 3600 + value.minute * 60 + (value.second + value.microsecond / 1e6)
    return days + seconds / 86400


def _offset_minutes(text: str | None) -> int | None:
    """'Z', '+05:30', '-0800', '+03' -> minutes east of UTC; None when there is no offset."""
    if not text:
        return None
    if text == "Z":
        return 0
    digits = text[1:].replace(":", "")
    minutes = int(digits[:2]) * 60 + int(digits[2:] or 0)
    return -minutes if text[0] == "-" else minutes


def _read_iso(text: str) -> tuple[float, bool] | None:
    """(days on the form's clock, has a time) of an ISO date or date-time string: without an
    offset its wall clock is the form's; with one it is moved to the form's clock."""
    match = ISO_DATE.fullmatch(text)
    if not match:
        return None
    try:
        days = date(*(int(part) for part in match.group(1, 2, 3))).toordinal() - EPOCH_ORDINAL
    except ValueError:
        return None
    if match.group(4) is None:
        return float(days), False
    seconds = _seconds(match.group(4), match.group(5), match.group(6))
    if seconds is None:
        return None
    offset = _offset_minutes(match.group(7))
    shift = 0 if offset is None else (_ZONE.get() - offset) / 1440
    return days + seconds / 86400 + shift, True


def _seconds(hour: str, minute: str, second: str | None) -> float | None:
    hours, minutes, seconds = int(hour), int(minute), float(second or 0)
    if hours > 23 or minutes > 59 or seconds >= 60:
        return None
    return hours * 3600 + minutes * 60 + seconds


def _as_days(value: Any) -> tuple[float, bool | None] | None:
    """A value as (days, has a time) for date(), date-time() and format-date(): has a time is
    None for a plain number. None for anything that is not a date (a boolean, say)."""
    if isinstance(value, Nodeset):
        value = value[0] if value else ""
    if isinstance(value, bool):
        return None
    if isinstance(value, date):
        return _date_days(value), isinstance(value, datetime)
    if isinstance(value, NUMBERS):
        return float(value), None
    text = to_text(value)
    if NUMERIC.fullmatch(text):
        return float(text), None
    return _read_iso(text)


def _day_to_date(days: int) -> date | None:
    ordinal = days + EPOCH_ORDINAL
    return date.fromordinal(ordinal) if 1 <= ordinal <= LAST_ORDINAL else None


def _days_to_datetime(days: float) -> datetime | None:
    """A day count as a date-time on the form's clock (with its offset), to the millisecond."""
    parts = _clock(days)
    if parts is None:
        return None
    day, hour, minute, second, millis = parts
    zone = timezone(timedelta(minutes=_ZONE.get()))
    return datetime(day.year, day.month, day.day, hour, minute, second, millis * 1000, zone)


def _clock(days: float) -> tuple[date, int, int, int, int] | None:
    """Calendar day, hour, minute, second, millisecond of a day count, to the nearest ms."""
    if not math.isfinite(days):
        return None
    whole = math.floor(days)
    millis = math.floor((days - whole) * 86400000 + 0.5)
    if millis == 86400000:
        whole, millis = whole + 1, 0
    day = _day_to_date(whole)
    if day is None:
        return None
    seconds = millis // 1000
    return day, seconds // 3600, seconds // 60 % 60, seconds % 60, millis % 1000


def _iso_text(days: float, with_time: bool, offset: int) -> str:
    """ISO text; a date-time as ODK stores it, with milliseconds and its offset."""
    if not with_time:
        return _format_days(days, "%Y-%m-%d")
    sign, offset = ("-", -offset) if offset < 0 else ("+", offset)
    return _format_days(days, f"%Y-%m-%dT%H:%M:%S.%3{sign}{offset // 60:02d}:{offset % 60:02d}")


def _format_days(days: float, pattern: str) -> str:
    """format-date(): ODK's codes; '' for a day count outside years 1-9999."""
    parts = _clock(days)
    if parts is None:
        return ""
    day, hour, minute, second, millis = parts
    fields = {
        "Y": f"{day.year:04d}",
        "y": f"{day.year % 100:02d}",
        "m": f"{day.month:02d}",
        "n": str(day.month),
        "b": MONTHS[day.month - 1],
        "d": f"{day.day:02d}",
        "e": str(day.day),
        "a": WEEKDAYS[day.weekday()],
        "H": f"{hour:02d}",
        "h": str(hour),
        "M": f"{minute:02d}",
        "S": f"{second:02d}",
        "3": f"{millis:03d}",
        "%": "%",
    }
    return FORMAT_CODE.sub(lambda match: fields[match.group(1)], pattern)


def _check_format(pattern: str, position: int) -> None:
    """An unknown code (or a lone '%' at the end) is an error that names it."""
    for match in FORMAT_CODE.finditer(pattern):
        if match.group(1) not in "YymnbdeaHhMS3%" or not match.group(1):
            code = "%" + match.group(1)
            raise ExpressionError(f"unknown date format code '{code}'", position)


def _field_value(value: Any) -> Any:
    """An answer in the evaluator's types: missing -> '', select_multiple list -> 'a b'."""
    if value is None:
        return ""
    if isinstance(value, Nodeset):  # a tuple, but not a select_multiple answer
        return value
    if isinstance(value, (list, tuple)):
        return to_text(value)
    if isinstance(value, (bool, str, date, int, float)):
        return value
    return float(value) if isinstance(value, NUMBERS) else to_text(value)


# --- operators -------------------------------------------------------------------------


def _equals(left: Any, right: Any) -> bool:
    """XPath '=': booleans win, then numbers (dates count as numbers), else text."""
    if isinstance(left, bool) or isinstance(right, bool):
        return to_boolean(left) == to_boolean(right)
    if _is_numeric(left) or _is_numeric(right):
        return to_number(left) == to_number(right)
    return to_text(left) == to_text(right)


def _is_numeric(value: Any) -> bool:
    return isinstance(value, (*NUMBERS, date)) and not isinstance(value, bool)


def _compare(symbol: str, left: Any, right: Any) -> bool:
    """XPath: a nodeset compares true if any of its items does; against a boolean, its boolean()."""
    if isinstance(left, Nodeset) or isinstance(right, Nodeset):
        if isinstance(left, bool) or isinstance(right, bool):
            return _compare(symbol, to_boolean(left), to_boolean(right))
        if isinstance(left, Nodeset):
            return any(_compare(symbol, item, right) for item in left)
        return any(_compare(symbol, left, item) for item in right)
    if symbol in ORDERING:
        return ORDERING[symbol](to_number(left), to_number(right))
    return _equals(left, right) == (symbol == "=")


def _divide(dividend: float, divisor: float) -> float:
    """IEEE division: x div 0 is +/-Infinity, 0 div 0 is NaN (Python would raise)."""
    try:
        return dividend / divisor
    except ZeroDivisionError:
        if dividend == 0 or math.isnan(dividend):
            return math.nan
        return math.copysign(math.inf, dividend) * math.copysign(1.0, divisor)


def _modulo(dividend: float, divisor: float) -> float:
    """Remainder with the dividend's sign, like JavaScript's %; NaN where fmod would raise."""
    try:
        return math.fmod(dividend, divisor)
    except ValueError:
        return math.nan


ARITHMETIC = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "div": _divide,
    "mod": _modulo,
}
ORDERING = {"<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge}
COMPARISONS = frozenset(ORDERING) | {"=", "!="}


# --- functions -------------------------------------------------------------------------


class Function(NamedTuple):
    minimum: int
    maximum: int | None  # None: any number of arguments
    apply: Callable[..., Any]  # (context, *argument values) -> value


def _whole(rounding: Callable[[float], int]) -> Callable[[Context, Any], float]:
    """int/floor/ceiling that keep NaN and Infinity, and the sign of a zero as JavaScript does."""

    def apply(ctx: Context, value: Any) -> float:
        number = to_number(value)
        return math.copysign(float(rounding(number)), number) if math.isfinite(number) else number

    return apply


def _round(ctx: Context, value: Any, digits: Any = 0.0) -> float:
    """ODK round(): half away from zero at `digits` decimals (negative: tens, hundreds...)."""
    number, places = to_number(value), to_number(digits)
    if math.isnan(places):
        return math.nan
    if not math.isfinite(number):
        return number
    places = int(max(-308.0, min(308.0, places)))
    scale = 1.0
    for _ in range(abs(places)):
        scale *= 10
    scaled = abs(number) * scale if places >= 0 else abs(number) / scale
    if not math.isfinite(scaled):
        return number
    whole = math.floor(scaled)
    if scaled - whole >= 0.5:
        whole += 1
    rounded = float(whole / scale if places >= 0 else whole * scale)
    return -rounded if number < 0 else rounded


def _power(ctx: Context, base: Any, exponent: Any) -> float:
    """pow() giving JavaScript's Math.pow answers where C's pow differs or Python raises."""
    a, b = to_number(base), to_number(exponent)
    if math.isnan(b) or (math.isinf(b) and abs(a) == 1):
        return math.nan
    odd = math.isfinite(b) and b % 2 == 1
    try:
        return math.pow(a, b)
    except OverflowError:
        return -math.inf if a < 0 and odd else math.inf
    except ValueError:  # zero to a negative power, or a negative base to a fraction
        if a == 0:
            return -math.inf if math.copysign(1.0, a) < 0 and odd else math.inf
        return math.nan


def _spread(values: tuple) -> list:
    """Arguments with each nodeset replaced by its items."""
    return [
        item for value in values for item in (value if isinstance(value, Nodeset) else (value,))
    ]


def _extreme(better: Callable[[float, float], bool]) -> Callable[..., float]:
    """min()/max() over numbers and nodesets' items; any NaN (an empty answer, say) or no
    number at all (an empty nodeset) makes the result NaN."""

    def apply(ctx: Context, *values: Any) -> float:
        numbers = [to_number(value) for value in _spread(values)]
        if not numbers:
            return math.nan
        best = numbers[0]
        for number in numbers:
            if math.isnan(number):
                return math.nan
            if better(number, best):
                best = number
        return best

    return apply


def _count(ctx: Context, value: Any) -> float:
    """Items of a nodeset; any other value is one node, or none when it is empty."""
    return float(len(value) if isinstance(value, Nodeset) else to_text(value) != "")


def _sum(ctx: Context, value: Any) -> float:
    """XPath sum(): one item that is not a number makes it NaN. Added in order, as JavaScript
    does: Python's sum() compensates for rounding and could differ in the last digit."""
    total = 0.0
    for item in _spread((value,)):
        total += to_number(item)
    return total


def _indexed_repeat(ctx: Context, value: Any, repeat: Any, index: Any, *deeper: Any) -> Any:
    """The answer in the index-th instance (from 1): XPath's [n], so a fraction selects none.
    Without the record's repeats at hand, a repeat inside another (more pairs) is indexed by
    its last pair in the field's nodeset."""
    if deeper:
        index = deeper[-1]
    if not isinstance(value, Nodeset):
        return value
    number = to_number(index)
    in_range = number.is_integer() and 1 <= number <= len(value)
    return _field_value(value[int(number) - 1]) if in_range else ""


def _index(value: Any, length: int) -> int:
    """A string position: NaN counts as 0, negatives count from the end, no overflow."""
    number = to_number(value)
    return 0 if math.isnan(number) else int(max(-length - 1.0, min(length + 1.0, number)))


def _substr(ctx: Context, text: Any, start: Any, end: Any = None) -> str:
    """ODK substr(): 0-based start, exclusive end, in characters (code points)."""
    chars = to_text(text)
    stop = len(chars) if end is None else _index(end, len(chars))
    return chars[_index(start, len(chars)) : stop]


def _before(ctx: Context, text: Any, part: Any) -> str:
    text, part = to_text(text), to_text(part)
    found = text.find(part)
    return text[:found] if found >= 0 else ""


def _after(ctx: Context, text: Any, part: Any) -> str:
    text, part = to_text(text), to_text(part)
    found = text.find(part)
    return text[found + len(part) :] if found >= 0 else ""


def _translate(ctx: Context, text: Any, source: Any, target: Any) -> str:
    """XPath translate(): the first occurrence in `source` wins; no partner deletes."""
    source, target = to_text(source), to_text(target)

    def swap(char: str) -> str:
        found = source.find(char)
        return char if found < 0 else target[found : found + 1]

    return "".join(swap(char) for char in to_text(text))


def _regex(ctx: Context, text: Any, pattern: Any) -> bool:
    """Search (not full match) like ODK; an invalid pattern matches nothing."""
    try:
        compiled = _compile_regex(to_text(pattern))
    except re.error:
        return False
    return compiled.search(to_text(text)) is not None


@lru_cache(maxsize=256)
def _compile_regex(pattern: str) -> re.Pattern:
    """ASCII \\d \\w \\s, and $ only at the very end: the meaning the browser's RegExp gives."""
    return re.compile(_dollar_at_end(pattern), re.ASCII)


def _dollar_at_end(pattern: str) -> str:
    """Python's $ also matches before a final newline; JavaScript's does not: use \\Z."""
    out, in_class, index = [], False, 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\":
            out.append(pattern[index : index + 2])
            index += 2
            continue
        if char == "[":
            in_class = True
        elif char == "]":
            in_class = False
        elif char == "$" and not in_class:
            char = r"\Z"
        out.append(char)
        index += 1
    return "".join(out)


def _choices(value: Any) -> list[str]:
    """The choice names of a select_multiple answer ('a b c')."""
    return [token for token in SPACE_RUN.split(to_text(value)) if token]


def _selected_at(ctx: Context, choices: Any, index: Any) -> str:
    tokens, number = _choices(choices), to_number(index)
    if not math.isfinite(number):
        return ""
    position = int(number)
    return tokens[position] if 0 <= position < len(tokens) else ""


def _field_from_path(path: str) -> str:
    """'${grounds}' or '/data/grounds' -> 'grounds'."""
    match = FIELD_LITERAL.fullmatch(path)
    return match.group(1) if match else path.rstrip("/").rsplit("/", 1)[-1]


def _pulldata(ctx: Context, file: Any, column: Any, key_column: Any, key: Any) -> str:
    """ODK's pulldata('fruits', 'price', 'name', ${fruit}): the `price` of the first row of
    fruits.csv whose `name` is the answer; empty when no row (or no such file) has it."""
    rows = (ctx.data or {}).get(to_text(file)) or ()
    wanted, key_column, column = to_text(key), to_text(key_column), to_text(column)
    for row in rows:
        if to_text(row.get(key_column, "")) == wanted:
            return to_text(row.get(column, ""))
    return ""


def _choice_name(ctx: Context, choice: Any, path: Any) -> str:
    if ctx.choice_label is None:
        return ""
    label = ctx.choice_label(_field_from_path(to_text(path)), to_text(choice))
    return "" if label is None else to_text(label)


def _date(ctx: Context, value: Any) -> date | datetime | str:
    """date(): a date stays a date and a date-time keeps its time (as in ODK); a number is
    that many whole days (toward zero) after 1970-01-01; '' for anything else."""
    read = _as_days(value)
    if read is None or not math.isfinite(read[0]):
        return ""
    days, with_time = read
    if with_time:
        return _days_to_datetime(days) or ""
    return _day_to_date(math.trunc(days)) or ""


def _date_time(ctx: Context, value: Any) -> datetime | str:
    """date-time(): a date at midnight, a date-time, or a day count with its fraction."""
    read = _as_days(value)
    return "" if read is None else _days_to_datetime(read[0]) or ""


def _format_date(ctx: Context, value: Any, pattern: Any) -> str:
    """format-date() and format-date-time(): every ODK code; '' when it is not a date."""
    pattern = to_text(pattern)
    _check_format(pattern, 0)
    read = _as_days(value)
    return "" if read is None else _format_days(read[0], pattern)


def _decimal_time(ctx: Context, value: Any) -> float:
    """decimal-time(): a time (or a date-time's time) as a fraction of the day on the form's
    clock; a time with an offset is first moved to that clock. NaN for anything else."""
    if isinstance(value, Nodeset):
        value = value[0] if value else ""
    if isinstance(value, datetime) or (isinstance(value, str) and "T" in value):
        read = _as_days(value)
        return read[0] - math.floor(read[0]) if read and read[1] else math.nan
    match = ISO_TIME.fullmatch(to_text(value)) if not isinstance(value, (bool, *NUMBERS)) else None
    seconds = match and _seconds(match.group(1), match.group(2), match.group(3))
    if seconds is None or match is None:
        return math.nan
    offset = _offset_minutes(match.group(4))
    shift = 0 if offset is None else (_ZONE.get() - offset) * 60
    return ((seconds + shift) % 86400) / 86400


def _coalesce(ctx: Context, first: Any, other: Any) -> Any:
    """The first value unless it is empty (or NaN: the sum of an empty answer, say)."""
    empty = to_text(first) == "" or (_is_number(first) and math.isnan(first))
    return other if empty else first


def _is_number(value: Any) -> bool:
    return isinstance(value, NUMBERS) and not isinstance(value, bool)


def _selected(ctx: Context, choices: Any, choice: Any) -> bool:
    """Whether `choice` is one of the answer's choices; '' is selected only in an empty answer
    (ODK splits an empty answer into one empty choice)."""
    wanted = to_text(choice).strip(WHITESPACE)
    tokens = _choices(choices)
    return wanted in tokens if wanted else not tokens


def _substring(ctx: Context, text: Any, start: Any, length: Any = None) -> str:
    """XPath 1.0 substring(): 1-based, the characters at positions p with
    round(start) <= p < round(start) + round(length), in code points."""
    chars = to_text(text)
    first = _xpath_round(to_number(start))
    last = math.inf if length is None else first + _xpath_round(to_number(length))
    low, high = max(first, 1.0), min(last, len(chars) + 1.0)
    if not low < high:  # also when either is NaN
        return ""
    return chars[int(low) - 1 : int(high) - 1]


def _xpath_round(number: float) -> float:
    return math.floor(number + 0.5) if math.isfinite(number) else number


def _uuid(ctx: Context, length: Any = None) -> str:
    """A random version 4 UUID; with a length, that many random letters and digits."""
    if length is None:
        return str(uuid.uuid4())
    count = to_number(length)
    count = int(count) if math.isfinite(count) and count > 0 else 0
    pick = random.SystemRandom().choice
    return "".join(pick(string.ascii_letters + string.digits) for _ in range(min(count, 4096)))


def _count_non_empty(ctx: Context, value: Any) -> float:
    return float(sum(1 for item in _spread((value,)) if to_text(item) != ""))


def _digest(ctx: Context, message: Any, algorithm: Any, encoding: Any = "base64") -> str:
    """XForms digest(): MD5, SHA-1, SHA-256, SHA-384 or SHA-512 of the UTF-8 text, in base64
    or hex. Computed on the hub: the phone leaves it to the hub."""
    name, form = _digest_names(to_text(algorithm), to_text(encoding), 0)
    hashed = hashlib.new(name, to_text(message).encode("utf-8")).digest()
    return hashed.hex() if form == "hex" else base64.b64encode(hashed).decode("ascii")


def _digest_names(algorithm: str, encoding: str, position: int) -> tuple[str, str]:
    name = DIGESTS.get(algorithm.lower())
    if name is None:
        raise ExpressionError(f"unknown digest algorithm '{algorithm}'", position)
    if encoding.lower() not in ("base64", "hex"):
        raise ExpressionError(f"unknown digest encoding '{encoding}'", position)
    return name, encoding.lower()


def _base64_decode(ctx: Context, value: Any) -> str:
    """The UTF-8 text of base64 (ASCII spaces ignored, '=' padding optional); '' if invalid."""
    text = re.sub(r"[ \t\r\n\f]", "", to_text(value))
    if not re.fullmatch(r"[A-Za-z0-9+/]*={0,2}", text) or len(text.rstrip("=")) % 4 == 1:
        return ""
    text = text.rstrip("=")
    try:
        raw = base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except binascii.Error:
        return ""
    return raw.decode("utf-8", "replace")


def _within(count: float, minimum: Any, maximum: Any) -> bool:
    """checklist(): min and max inclusive; a negative one does not apply."""
    low, high = to_number(minimum), to_number(maximum)
    return (low < 0 or count >= low) and (high < 0 or count <= high)


def _checklist(ctx: Context, minimum: Any, maximum: Any, *values: Any) -> bool:
    """How many answers are true (boolean(): non-empty text, non-zero number), within bounds."""
    return _within(sum(1 for item in _spread(values) if to_boolean(item)), minimum, maximum)


def _weighted_checklist(ctx: Context, minimum: Any, maximum: Any, *pairs: Any) -> bool:
    """checklist() where each true answer counts its weight: (answer, weight) pairs; two
    nodesets pair their items."""
    total = 0.0
    for value, weight in zip(pairs[::2], pairs[1::2], strict=False):
        if isinstance(value, Nodeset) and isinstance(weight, Nodeset):
            for item, item_weight in zip(value, weight, strict=False):
                total += to_number(item_weight) if to_boolean(item) else 0.0
        elif to_boolean(value):
            total += to_number(weight)
    return _within(total, minimum, maximum)


def _points(values: tuple) -> list:
    """The points of location answers: traces and shapes as text ("lat lon;lat lon"), points,
    and nodesets of them (a repeat's geopoints)."""
    return locations.points_of([to_text(item) for item in _spread(values)])


def _measure(values: tuple, measure: Callable[[list], float]) -> float:
    """area()/distance() of location answers; NaN when there is none, or when a text is not
    a location (Enketo gives NaN, Collect an error: never a silent 0). A repeat's unanswered
    points are left out."""
    texts = [text for text in (to_text(item) for item in _spread(values)) if text.strip()]
    shapes = [locations.parse_points(text) for text in texts]
    if not texts or any(shape is None for shape in shapes):
        return math.nan
    return measure([point for shape in shapes if shape is not None for point in shape])


def _geofence(ctx: Context, point: Any, shape: Any) -> bool:
    """ODK's geofence(): whether the point is inside the shape; false when either is not
    one (no point, under three corners)."""
    where, corners = _points((point,)), _points((shape,))
    return bool(where) and len(corners) >= 3 and locations.point_in_polygon(where[0], corners)


def _math(function: Callable[[float], float], at_zero: float | None = None) -> Callable:
    """A one-number function with JavaScript's Math answers where Python would raise: NaN
    outside its domain, Infinity on overflow, `at_zero` (log's -Infinity) at 0."""

    def apply(ctx: Context, value: Any) -> float:
        number = to_number(value)
        try:
            return float(function(number))
        except OverflowError:
            return math.inf
        except ValueError:
            return at_zero if at_zero is not None and number == 0 else math.nan

    return apply


PARK_MILLER_MODULUS, PARK_MILLER_MULTIPLIER = 2_147_483_647, 16_807


def shuffled(items: Sequence, seed: Any = None) -> list:
    """ODK's randomize(): `items` in the order ODK Collect (JavaRosa) and ODK Web Forms give
    for the same seed, a Park-Miller generator driving an inside-out Fisher-Yates shuffle;
    in a new random order without a seed. The seed is read as a number cut toward zero, as
    JavaRosa's longValue() does (text that is no number counts as 0)."""
    draw = random.random if seed is None else _park_miller(to_number(seed))
    result: list = []
    for i, item in enumerate(items):
        j = math.floor(draw() * (i + 1))
        if j == i:
            result.append(item)
        else:
            result.append(result[j])
            result[j] = item
    return result


def _park_miller(seed: float) -> Callable[[], float]:
    if math.isnan(seed):
        whole = 0
    elif math.isinf(seed):
        whole = 2**63 - 1 if seed > 0 else -(2**63)  # Java's longValue() at the limits
    else:
        whole = int(seed)
    state = abs(whole) % PARK_MILLER_MODULUS * (1 if whole >= 0 else -1)  # Java's remainder
    if state <= 0:
        state += PARK_MILLER_MODULUS - 1
    current = [state]

    def draw() -> float:
        current[0] = current[0] * PARK_MILLER_MULTIPLIER % PARK_MILLER_MODULUS
        return (current[0] - 1) / (PARK_MILLER_MODULUS - 1)

    return draw


def _randomize(ctx: Context, values: Any, seed: Any = None) -> Nodeset:
    items = values if isinstance(values, Nodeset) else (values,)
    return Nodeset(shuffled(items, seed))


FUNCTIONS: dict[str, Function] = {
    "not": Function(1, 1, lambda ctx, value: not to_boolean(value)),
    "true": Function(0, 0, lambda ctx: True),
    "false": Function(0, 0, lambda ctx: False),
    "boolean": Function(1, 1, lambda ctx, value: to_boolean(value)),
    "boolean-from-string": Function(1, 1, lambda ctx, value: to_text(value) in ("true", "1")),
    "number": Function(1, 1, lambda ctx, value: to_number(value)),
    "string": Function(1, 1, lambda ctx, value: to_text(value)),
    "int": Function(1, 1, _whole(math.trunc)),
    "round": Function(1, 2, _round),
    "floor": Function(1, 1, _whole(math.floor)),
    "ceiling": Function(1, 1, _whole(math.ceil)),
    "abs": Function(1, 1, lambda ctx, value: abs(to_number(value))),
    "pow": Function(2, 2, _power),
    "exp10": Function(1, 1, lambda ctx, value: _power(ctx, 10.0, value)),
    "sqrt": Function(1, 1, _math(math.sqrt)),
    "exp": Function(1, 1, _math(math.exp)),
    "log": Function(1, 1, _math(math.log, -math.inf)),
    "log10": Function(1, 1, _math(math.log10, -math.inf)),
    "sin": Function(1, 1, _math(math.sin)),
    "cos": Function(1, 1, _math(math.cos)),
    "tan": Function(1, 1, _math(math.tan)),
    "asin": Function(1, 1, _math(math.asin)),
    "acos": Function(1, 1, _math(math.acos)),
    "atan": Function(1, 1, _math(math.atan)),
    "atan2": Function(2, 2, lambda ctx, y, x: math.atan2(to_number(y), to_number(x))),
    "pi": Function(0, 0, lambda ctx: math.pi),
    "random": Function(0, 0, lambda ctx: random.random()),
    "randomize": Function(1, 2, _randomize),
    "min": Function(1, None, _extreme(operator.lt)),
    "max": Function(1, None, _extreme(operator.gt)),
    "count": Function(1, 1, _count),
    "count-non-empty": Function(1, 1, _count_non_empty),
    "sum": Function(1, 1, _sum),
    "indexed-repeat": Function(3, 7, _indexed_repeat),
    "join": Function(  # join(', ') of no answers is '', as the specification's nodes* says
        1,
        None,
        lambda ctx, separator, *values: to_text(separator).join(
            to_text(item) for item in _spread(values)
        ),
    ),
    # if() of values; _Call computes only the branch chosen
    "if": Function(3, 3, lambda ctx, test, yes, no: yes if to_boolean(test) else no),
    "coalesce": Function(2, 2, _coalesce),
    "checklist": Function(2, None, _checklist),
    "weighted-checklist": Function(2, None, _weighted_checklist),
    "concat": Function(1, None, lambda ctx, *values: "".join(to_text(value) for value in values)),
    "contains": Function(2, 2, lambda ctx, text, part: to_text(part) in to_text(text)),
    "starts-with": Function(2, 2, lambda ctx, text, part: to_text(text).startswith(to_text(part))),
    "ends-with": Function(2, 2, lambda ctx, text, part: to_text(text).endswith(to_text(part))),
    "substr": Function(2, 3, _substr),
    "substring": Function(2, 3, _substring),
    "substring-before": Function(2, 2, _before),
    "substring-after": Function(2, 2, _after),
    "string-length": Function(1, 1, lambda ctx, text: float(len(to_text(text)))),
    "normalize-space": Function(1, 1, lambda ctx, text: " ".join(_choices(text))),
    "translate": Function(3, 3, _translate),
    "regex": Function(2, 2, _regex),
    "uuid": Function(0, 1, _uuid),
    "digest": Function(2, 3, _digest),
    "base64-decode": Function(1, 1, _base64_decode),
    "selected": Function(2, 2, _selected),
    "count-selected": Function(1, 1, lambda ctx, choices: float(len(_choices(choices)))),
    "selected-at": Function(2, 2, _selected_at),
    "jr:choice-name": Function(2, 2, _choice_name),
    "pulldata": Function(4, 4, _pulldata),
    # ODK's location functions (collector/locations.py): metres, square metres.
    "distance": Function(1, None, lambda ctx, *values: _measure(values, locations.distance)),
    "area": Function(1, 1, lambda ctx, value: _measure((value,), locations.area)),
    "geofence": Function(2, 2, _geofence),
    "today": Function(0, 0, lambda ctx: _day_to_date(math.floor(_date_days(ctx.now)))),
    "now": Function(0, 0, lambda ctx: ctx.now),
    "date": Function(1, 1, _date),
    "date-time": Function(1, 1, _date_time),
    "decimal-date-time": Function(1, 1, lambda ctx, value: to_number(value)),
    "decimal-time": Function(1, 1, _decimal_time),
    "format-date": Function(2, 2, _format_date),
    "format-date-time": Function(2, 2, _format_date),
    "position": Function(
        0, 0, lambda ctx: math.nan if ctx.position is None else float(ctx.position)
    ),
    "once": Function(1, 1, lambda ctx, value: value if to_text(ctx.current) == "" else ctx.current),
}


# --- syntax tree -----------------------------------------------------------------------


@dataclass(frozen=True)
class _Literal:
    value: Any

    def evaluate(self, ctx: Context) -> Any:
        return self.value

    def references(self) -> set[str]:
        return set()


@dataclass(frozen=True)
class _Field:
    name: str
    here: bool = False  # written current()/..: the select's own answer (Context.here)

    def evaluate(self, ctx: Context) -> Any:
        values = ctx.here if self.here and ctx.here is not None else ctx.values
        return _field_value(values.get(self.name))

    def references(self) -> set[str]:
        return {self.name}


@dataclass(frozen=True)
class _LastSaved:
    """${last-saved#name}: the answer in the last record saved (Context.last_saved)."""

    name: str

    def evaluate(self, ctx: Context) -> Any:
        return _field_value((ctx.last_saved or {}).get(self.name))

    def references(self) -> set[str]:
        return set()  # not an answer of this record: nothing here changes it


@dataclass(frozen=True)
class _ChoiceColumn:
    """A bare name in a choice filter: that column of the choice being filtered."""

    name: str

    def evaluate(self, ctx: Context) -> Any:
        return (ctx.choice or {}).get(self.name, "")

    def references(self) -> set[str]:
        return set()


@dataclass(frozen=True)
class _Current:
    def evaluate(self, ctx: Context) -> Any:
        return ctx.current

    def references(self) -> set[str]:
        return set()


@dataclass(frozen=True)
class _Negate:
    operand: Any

    def evaluate(self, ctx: Context) -> float:
        return -to_number(self.operand.evaluate(ctx))

    def references(self) -> set[str]:
        return self.operand.references()


@dataclass(frozen=True)
class _Binary:
    symbol: str
    left: Any
    right: Any

    def evaluate(self, ctx: Context) -> Any:
        if self.symbol == "and":
            return _truth(self.left, ctx) and _truth(self.right, ctx)
        if self.symbol == "or":
            return _truth(self.left, ctx) or _truth(self.right, ctx)
        left, right = self.left.evaluate(ctx), self.right.evaluate(ctx)
        if self.symbol in COMPARISONS:
            return _compare(self.symbol, left, right)
        return ARITHMETIC[self.symbol](to_number(left), to_number(right))

    def references(self) -> set[str]:
        return self.left.references() | self.right.references()


def _truth(node: Any, ctx: Context) -> bool:
    """boolean() of a node: `.` is the question's node, which exists even when it is empty
    (XPath: a non-empty node-set is true), as if(., ...) reads it in ODK."""
    return True if isinstance(node, _Current) else to_boolean(node.evaluate(ctx))


TRUTH_ARGUMENT = frozenset({"if", "boolean", "not"})  # functions whose first argument is a test


@dataclass(frozen=True)
class _Call:
    name: str
    arguments: tuple

    def evaluate(self, ctx: Context) -> Any:
        if self.name == "if":  # only the branch chosen is computed, as ODK's engines do
            test, yes, no = self.arguments
            return (yes if _truth(test, ctx) else no).evaluate(ctx)
        first = self.arguments[0] if self.arguments else None
        if self.name in TRUTH_ARGUMENT and isinstance(first, _Current):
            values = [True] + [argument.evaluate(ctx) for argument in self.arguments[1:]]
        else:
            values = [argument.evaluate(ctx) for argument in self.arguments]
        if self.name == "indexed-repeat" and ctx.indexed is not None and _named_repeats(self):
            # In a record: the instances each (repeat, index) pair picks, at any depth.
            picks = [
                (node.name, to_number(value))
                for node, value in zip(self.arguments[1::2], values[2::2], strict=True)
            ]
            found = ctx.indexed(self.arguments[0].name, picks)
            return _field_value(found[0]) if found else ""
        if self.name == "indexed-repeat" and isinstance(first, _Field) and ctx.nodesets:
            # ODK: the field across every instance, even inside one of them.
            whole = ctx.nodesets.get(first.name)
            values[0] = _field_value(whole) if whole is not None else values[0]
        return FUNCTIONS[self.name].apply(ctx, *values)

    def references(self) -> set[str]:
        names = set().union(*(argument.references() for argument in self.arguments))
        if self.name == "jr:choice-name" and isinstance(self.arguments[1], _Literal):
            match = FIELD_LITERAL.fullmatch(to_text(self.arguments[1].value))
            if match and FIELD_NAME.fullmatch(match.group(1)):
                names.add(match.group(1))
        return names


@dataclass(frozen=True)
class _Fault:
    """A call import refuses (an unknown function, a wrong number of arguments): an error
    only when it is computed, as ODK's engines evaluate lazily (`false() and median(1)` is
    false). A wrong count's arguments are computed first, as a call's are."""

    message: str
    position: int
    arguments: tuple

    def evaluate(self, ctx: Context) -> Any:
        for argument in self.arguments:
            argument.evaluate(ctx)
        raise ExpressionError(self.message, self.position)

    def references(self) -> set[str]:
        return set().union(*(argument.references() for argument in self.arguments))


def _named_repeats(call: _Call) -> bool:
    """indexed-repeat(${field}, ${repeat}, n, ...): the field and repeats named directly."""
    return all(isinstance(node, _Field) for node in call.arguments[0::2][:1] + call.arguments[1::2])


@dataclass(frozen=True)
class _Instance:
    """instance('list')/root/item[filter]/column: the list's items the filter keeps (a
    nodeset of items), or their values in that column."""

    name: str
    predicate: Any
    column: str | None

    def evaluate(self, ctx: Context) -> Nodeset:
        items = [
            item
            for item in (ctx.instances or {}).get(self.name, ())
            if self.predicate is None
            or to_boolean(self.predicate.evaluate(replace(ctx, choice=item)))
        ]
        if self.column is None:
            return Nodeset(items)
        return Nodeset(item.get(self.column, "") for item in items)

    def references(self) -> set[str]:
        return self.predicate.references() if self.predicate is not None else set()


# --- tokenizer -------------------------------------------------------------------------


class _Token(NamedTuple):
    kind: str  # number, string, field, symbol, function, name, end
    value: Any
    start: int
    end: int


def _tokenize(source: str) -> list[_Token]:
    tokens: list[_Token] = []
    position = _skip_space(source, 0)
    while position < len(source):
        token = _read_token(source, position, tokens[-1] if tokens else None)
        tokens.append(token)
        position = _skip_space(source, token.end)
    tokens.append(_Token("end", None, position, position))
    return tokens


def _skip_space(source: str, position: int) -> int:
    while position < len(source) and source[position] in WHITESPACE:
        position += 1
    return position


def _read_token(source: str, start: int, previous: _Token | None) -> _Token:
    char = source[start]
    if char in "'\"":
        return _read_string(source, start)
    if char == "$":
        return _read_field(source, start)
    path = RELATIVE_PATH.match(source, start)
    if path:
        # current()/../x in a choice filter is the select's own x, even where a bare
        # ${x} means the choice's (choices from a repeat: see Context.here).
        kind = "here_field" if path.group().startswith("current()") else "field"
        return _Token(kind, path.group(1), start, path.end())
    instance = INSTANCE_PATH.match(source, start)
    if instance:
        return _Token("instance", instance.group(2), start, instance.end())
    step = ITEM_STEP.match(source, start)
    if (
        step
        and previous is not None
        and (previous.kind == "instance" or (previous.kind == "symbol" and previous.value == "]"))
    ):
        return _Token("step", step.group(1), start, step.end())
    number = NUMBER_TOKEN.match(source, start)
    if number:
        return _Token("number", float(number.group()), start, number.end())
    for symbol in SYMBOLS:
        if source.startswith(symbol, start):
            return _Token("symbol", symbol, start, start + len(symbol))
    name = NAME_TOKEN.match(source, start)
    if name:
        return _read_name(source, name, previous)
    raise ExpressionError(f"unexpected character '{char}'", start)


def _read_string(source: str, start: int) -> _Token:
    """XPath strings have no escapes: use the other quote to include one."""
    end = source.find(source[start], start + 1)
    if end < 0:
        raise ExpressionError("unterminated string", start)
    return _Token("string", source[start + 1 : end], start, end + 1)


def _read_field(source: str, start: int) -> _Token:
    if not source.startswith("${", start):
        raise ExpressionError("expected '{' after '$'", start)
    close = source.find("}", start + 2)
    if close < 0:
        raise ExpressionError("missing '}' after '${'", start)
    name = source[start + 2 : close]
    saved = name.startswith(LAST_SAVED)
    if not FIELD_NAME.fullmatch(name[len(LAST_SAVED) :] if saved else name):
        raise ExpressionError(f"invalid field name '{name}'", start)
    if saved:
        return _Token("last_saved", name[len(LAST_SAVED) :], start, close + 1)
    return _Token("field", name, start, close + 1)


def _read_name(source: str, match: re.Match, previous: _Token | None) -> _Token:
    """As in XPath, and/or/div/mod are operators only right after an operand."""
    name, start, end = match.group(), match.start(), match.end()
    if name in KEYWORD_OPERATORS and _ends_operand(previous):
        return _Token("symbol", name, start, end)
    glued = GLUED_OPERATOR.match(name)
    if glued and _ends_operand(previous):  # `1div2`, `1 and1`: as web browsers' XPath reads it
        return _Token("symbol", glued.group(1), start, start + len(glued.group(1)))
    kind = "function" if source.startswith("(", _skip_space(source, end)) else "name"
    return _Token(kind, name, start, end)


def _ends_operand(token: _Token | None) -> bool:
    if token is None:
        return False
    return token.kind in ("number", "string", "field", "here_field", "last_saved") or (
        token.kind == "symbol" and token.value in (")", ".", "..")
    )


# --- parser ----------------------------------------------------------------------------


class _Parser:
    """Recursive descent over PRECEDENCE, loosest level first; all levels left-associative."""

    def __init__(self, source: str, choice_columns: bool = False):
        self.source = source
        self.tokens = _tokenize(source)
        self.index = 0
        self.choice_columns = choice_columns
        # In the order written: an unknown function before its arguments, a wrong count after.
        self.faults: list[ExpressionError] = []

    def parse(self) -> Any:
        try:
            if self.peek().kind == "end":
                raise ExpressionError("empty expression", self.peek().start)
            root = self.binary(0)
            if self.peek().kind != "end":
                raise self.unexpected()
        except ExpressionError:
            if self.faults:  # a fault met before a syntax error is the one reported
                raise self.faults[0] from None
            raise
        return root

    def peek(self) -> _Token:
        return self.tokens[self.index]

    def advance(self) -> _Token:
        self.index += 1
        return self.tokens[self.index - 1]

    def at(self, *symbols: str) -> bool:
        token = self.peek()
        return token.kind == "symbol" and token.value in symbols

    def expect(self, symbol: str, message: str) -> None:
        if not self.at(symbol):
            raise ExpressionError(message, self.peek().start)
        self.advance()

    def unexpected(self) -> ExpressionError:
        token = self.peek()
        if token.kind == "end":
            return ExpressionError("unexpected end of expression", token.start)
        return ExpressionError(f"unexpected '{self.source[token.start : token.end]}'", token.start)

    def binary(self, level: int) -> Any:
        if level == len(PRECEDENCE):
            return self.unary()
        left = self.binary(level + 1)
        while self.at(*PRECEDENCE[level]):
            left = _Binary(self.advance().value, left, self.binary(level + 1))
        return left

    def unary(self) -> Any:
        if self.at("-"):
            self.advance()
            return _Negate(self.unary())
        return self.primary()

    def primary(self) -> Any:
        token = self.peek()
        if token.kind in ("number", "string"):
            self.advance()
            return _Literal(token.value)
        if token.kind in ("field", "here_field"):
            self.advance()
            return _Field(token.value, token.kind == "here_field")
        if token.kind == "last_saved":
            self.advance()
            return _LastSaved(token.value)
        if token.kind == "function":
            return self.call()
        if token.kind == "instance":
            return self.instance()
        if self.at("."):
            self.advance()
            return _Current()
        if self.at("("):
            self.advance()
            inner = self.binary(0)
            self.expect(")", "expected ')'")
            return inner
        if self.at(".."):
            raise ExpressionError("'..' is only supported as position(..)", token.start)
        if token.kind == "name" and token.value == "null":
            self.advance()  # a path to no question: ODK reads it as empty
            return _Literal("")
        if token.kind == "name" and self.choice_columns:
            self.advance()
            return _ChoiceColumn(token.value)
        if token.kind == "name":
            raise ExpressionError(f"unknown name '{token.value}' (put text in quotes)", token.start)
        raise self.unexpected()

    def instance(self) -> _Instance:
        """instance('list')/root/item, a filter in [...] where a bare name is a column of
        the item, and a last /column."""
        name = self.advance().value
        predicate = None
        if self.at("["):
            self.advance()
            columns, self.choice_columns = self.choice_columns, True
            predicate = self.binary(0)
            self.choice_columns = columns
            self.expect("]", "expected ']'")
        column = self.advance().value if self.peek().kind == "step" else None
        return _Instance(name, predicate, column)

    def call(self) -> _Call | _Fault:
        name_token = self.advance()
        function = FUNCTIONS.get(name_token.value)
        if function is None:
            unknown = self.fault(f"unknown function '{name_token.value}'", name_token, [])
            self.advance()
            self.arguments(name_token.value)  # read, and never computed
            return unknown
        self.advance()  # '(': the tokenizer only calls a name a function when one follows
        arguments = self.arguments(name_token.value)
        count = len(arguments)
        if name_token.value == "indexed-repeat" and count not in (3, 5, 7):
            message = f"indexed-repeat() takes 3, 5 or 7 arguments, got {count}"
            return self.fault(message, name_token, arguments)
        if count < function.minimum or (function.maximum is not None and count > function.maximum):
            return self.fault(_arity_message(name_token, function, count), name_token, arguments)
        _check_call(name_token, arguments)
        return _Call(name_token.value, tuple(arguments))

    def fault(self, message: str, token: _Token, arguments: list) -> _Fault:
        """A call import refuses: noted for Expression.check, an error when computed."""
        self.faults.append(ExpressionError(message, token.start))
        return _Fault(message, token.start, tuple(arguments))

    def arguments(self, name: str) -> list:
        arguments = []
        if name == "position" and self.at(".."):
            self.advance()  # position(..) is XLSForm's spelling of position() in a repeat
        elif not self.at(")"):
            arguments.append(self.binary(0))
            while self.at(","):
                self.advance()
                arguments.append(self.binary(0))
        self.expect(")", "expected ',' or ')'")
        return arguments


NODESET_ARGUMENT = frozenset({"count", "count-non-empty"})


def _check_call(token: _Token, arguments: list) -> None:
    """What can be known before any answer: an even weighted-checklist(), and the format
    codes and digest names written as literal text."""
    name, literals = token.value, [a.value if isinstance(a, _Literal) else None for a in arguments]
    if name in NODESET_ARGUMENT and isinstance(arguments[0], (_Literal, _Binary, _Negate)):
        # XPath: these take a node-set; count(1) is an error in Enketo and Collect alike
        raise ExpressionError(f"{name}() takes a question, not a value", token.start)
    if name == "weighted-checklist" and len(arguments) % 2:
        raise ExpressionError(
            f"{name}() takes an even number of arguments, got {len(arguments)}", token.start
        )
    if name in ("format-date", "format-date-time") and isinstance(literals[1], str):
        _check_format(literals[1], token.start)
    if name == "digest" and isinstance(literals[1], str):
        encoding = literals[2] if len(literals) > 2 else "base64"
        if isinstance(encoding, str):
            _digest_names(literals[1], encoding, token.start)


def _arity_message(token: _Token, function: Function, count: int) -> str:
    if function.maximum is None:
        expected = f"at least {function.minimum}"
    elif function.minimum == function.maximum:
        expected = str(function.minimum)
    else:
        expected = f"{function.minimum} or {function.maximum}"
    noun = "argument" if expected.endswith("1") else "arguments"
    return f"{token.value}() takes {expected} {noun}, got {count}"


# --- public API ------------------------------------------------------------------------


class Expression:
    """A parsed expression: parse once per form, evaluate for every set of answers. A call
    of an unknown function or with a wrong number of arguments is an error only where it is
    computed, as in ODK's engines; check() refuses it wherever it is, as import does."""

    def __init__(self, source: str, root: Any, faults: tuple[ExpressionError, ...] = ()):
        self.source = source
        self._root = root
        self._faults = tuple((fault.message, fault.position) for fault in faults)

    def check(self) -> Expression:
        """Raises the first unknown function or wrong number of arguments, even in a part
        that would never be computed (`false() and median(1)`); else the expression."""
        if self._faults:
            raise ExpressionError(*self._faults[0])
        return self

    def references(self) -> set[str]:
        """Field names used as ${name} (and in jr:choice-name's '${name}' argument)."""
        return set(self._root.references())

    def calls(self, name: str) -> list[tuple[str | None, ...]]:
        """Each call of the function `name`, in the order written: its arguments, each the
        text of a literal (`'fruits'`, `3`) or None when it is computed (`${fruit}`). What
        pulldata() reads is known before the form is used: import checks its files."""
        return [
            tuple(to_text(a.value) if isinstance(a, _Literal) else None for a in node.arguments)
            for node in self._nodes()
            if isinstance(node, _Call) and node.name == name
        ]

    def last_saved(self) -> set[str]:
        """The questions read as ${last-saved#name}."""
        return {node.name for node in self._nodes() if isinstance(node, _LastSaved)}

    def _nodes(self):
        """Every node of the tree, each before its children, in the order written."""
        pending = [self._root]
        while pending:
            node = pending.pop()
            yield node
            children = [
                *getattr(node, "arguments", ()),
                *(
                    getattr(node, key)
                    for key in ("operand", "left", "right", "predicate")
                    if getattr(node, key, None) is not None
                ),
            ]
            pending.extend(reversed(children))  # the first child is looked at first

    def evaluate(self, ctx: Context | Mapping[str, Any] | None = None) -> Any:
        ctx = _prepare(ctx)
        zone = _ZONE.set(_zone_minutes(ctx.now))
        try:
            return self._root.evaluate(ctx)
        finally:
            _ZONE.reset(zone)

    def __repr__(self) -> str:
        return f"Expression({self.source!r})"


@lru_cache(maxsize=4096)
def parse(source: str) -> Expression:
    """Parse `source`; raises ExpressionError for a syntax error (an unknown function or a
    wrong number of arguments only when computed: see `check`). Cached: forms repeat the
    same expressions."""
    if not isinstance(source, str):
        raise TypeError("an expression must be a string")
    parser = _Parser(source)
    return Expression(source, parser.parse(), tuple(parser.faults))


@lru_cache(maxsize=1024)
def parse_choice_filter(source: str) -> Expression:
    """A choice_filter: as `parse`, and a bare name is a column of the choice being tested
    (`region = ${region}` keeps the choices whose region column is the answer)."""
    if not isinstance(source, str):
        raise TypeError("an expression must be a string")
    parser = _Parser(source, choice_columns=True)
    return Expression(source, parser.parse(), tuple(parser.faults))


def check(source: str) -> Expression:
    """`parse`, refusing as import does an unknown function or a wrong number of arguments
    even where it would never be computed (Expression.check)."""
    return parse(source).check()


def check_choice_filter(source: str) -> Expression:
    """`parse_choice_filter`, refusing as `check` does."""
    return parse_choice_filter(source).check()


def evaluate(
    source: str,
    values: Mapping[str, Any] | None = None,
    current: Any = None,
    now: datetime | date | str | None = None,
    *,
    position: int | None = None,
    choice_label: Callable[[str, str], str | None] | None = None,
) -> Any:
    return parse(source).evaluate(Context(values or {}, current, now, position, choice_label))


CONTEXT_KEYS = frozenset(
    {
        "values",
        "current",
        "now",
        "position",
        "choice_label",
        "choice",
        "data",
        "nodesets",
        "instances",
        "indexed",
        "last_saved",
    }
)


def _prepare(ctx: Context | Mapping[str, Any] | None) -> Context:
    """Accept a Context, a dict of Context's fields, or a bare mapping of answers."""
    if ctx is None:
        ctx = Context()
    elif not isinstance(ctx, Context):
        is_context_dict = isinstance(ctx.get("values"), Mapping) and set(ctx) <= CONTEXT_KEYS
        ctx = Context(**ctx) if is_context_dict else Context(values=ctx)
    # `is None`, not `or`: the truth of a hub's answer scope counts every question, and
    # this runs for every relevance check of every saved page.
    return replace(
        ctx,
        values={} if ctx.values is None else ctx.values,
        current=_field_value(ctx.current),
        now=_as_datetime(ctx.now),
    )


def _zone_minutes(now: datetime | date | str | None) -> int:
    """Minutes east of UTC of the clock of a prepared Context (whose `now` is aware)."""
    offset = _as_datetime(now).utcoffset()
    return 0 if offset is None else round(offset.total_seconds() / 60)


def _as_datetime(now: datetime | date | str | None) -> datetime:
    """The clock with its zone: the machine's by default; a time without an offset is UTC."""
    if now is None:
        return datetime.now().astimezone()
    if isinstance(now, str):
        now = datetime.fromisoformat(now)
    elif not isinstance(now, datetime):
        now = datetime(now.year, now.month, now.day)
    return now if now.tzinfo is not None else now.replace(tzinfo=UTC)
