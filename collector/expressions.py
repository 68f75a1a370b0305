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

import math
import operator
import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from numbers import Number
from typing import Any, Callable, Mapping, NamedTuple

__all__ = ["FUNCTIONS", "Context", "Expression", "ExpressionError", "Nodeset", "evaluate",
           "parse", "to_boolean", "to_number", "to_text"]

EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
LAST_ORDINAL = date.max.toordinal()
WHITESPACE = " \t\r\n"  # XPath's whitespace; other Unicode spaces are ordinary characters.
SPACE_RUN = re.compile(r"[ \t\r\n]+")
NUMERIC = re.compile(r"[ \t\r\n]*-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)[ \t\r\n]*")
ISO_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})(?:T([0-9]{2}):([0-9]{2})"
                      r"(?::([0-9]{2}(?:\.[0-9]+)?))?(?:Z|[+-][0-9]{2}(?::?[0-9]{2})?)?)?")
NUMBER_TOKEN = re.compile(r"[0-9]+(?:\.[0-9]*)?|\.[0-9]+")
NAME_TOKEN = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*(?::[A-Za-z_][A-Za-z0-9_.\-]*)?")
FIELD_NAME = re.compile("[A-Za-z_\u00c0-\U0010ffff][A-Za-z0-9_.\\-\u00b7\u00c0-\U0010ffff]*")
FIELD_LITERAL = re.compile(r"[ \t\r\n]*\$\{([^}]*)\}[ \t\r\n]*")
FORMAT_FIELD = re.compile("%([YymndeHhMS])")
SYMBOLS = ("..", "!=", "<=", ">=", "(", ")", ",", "+", "-", "*", "=", "<", ">", ".")
KEYWORD_OPERATORS = frozenset({"and", "or", "div", "mod"})
PRECEDENCE = (("or",), ("and",), ("=", "!="), ("<", "<=", ">", ">="), ("+", "-"),
              ("*", "div", "mod"))  # loosest first


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
    now: datetime | date | str | None = None  # today()/now(); default datetime.now()
    position: int | None = None  # 1-based repeat instance for position()
    choice_label: Callable[[str, str], str | None] | None = None  # (field, choice) -> label
    choice: Mapping[str, Any] | None = None  # a choice's columns, for a choice filter
    # Inside a repeat, `values` has this instance's answers; these are each repeated
    # question's answers across all instances, for indexed-repeat()'s first argument.
    nodesets: Mapping[str, Any] | None = None


class Nodeset(tuple):
    """XPath's node-set, in document order: one field's answers across a repeat's instances
    (str, int, float or None), or the instances themselves (dicts), for a question outside
    the repeat. As a value it is its first item (string(), number()) or its being non-empty
    (boolean()); count(), sum(), join(), indexed-repeat(), min() and max() see every item."""

    __slots__ = ()


# --- conversions (XPath number(), string(), boolean()) ---------------------------------

def to_number(value: Any) -> float:
    """XPath number(); dates and ISO date strings count days since 1970-01-01, as in ODK."""
    if isinstance(value, Nodeset):
        return to_number(value[0] if value else None)
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, date):
        return _date_days(value)
    if isinstance(value, Number):
        return float(value)
    text = to_text(value)
    if NUMERIC.fullmatch(text):
        return float(text)
    return _iso_days(text)


def to_text(value: Any) -> str:
    """XPath string(): numbers without a needless '.0', dates as ISO text, an instance as its
    answers' text run together."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date):
        return _iso_text(_date_days(value), isinstance(value, datetime))
    if isinstance(value, Number):
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
    if isinstance(value, Number):
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


def _date_days(value: date) -> float:
    """Days since 1970-01-01 of the wall-clock value (any time zone is ignored)."""
    days = float(value.toordinal() - EPOCH_ORDINAL)
    if isinstance(value, datetime):
        seconds = value.hour * 3600 + value.minute * 60 + (value.second + value.microsecond / 1e6)
        days += seconds / 86400
    return days


def _iso_days(text: str) -> float:
    """Days of an ISO date or date-time string (offset ignored); NaN for anything else."""
    match = ISO_DATE.fullmatch(text)
    if not match:
        return math.nan
    try:
        days = date(*(int(part) for part in match.group(1, 2, 3))).toordinal() - EPOCH_ORDINAL
    except ValueError:
        return math.nan
    if match.group(4) is None:
        return float(days)
    hour, minute, second = int(match.group(4)), int(match.group(5)), float(match.group(6) or 0)
    if hour > 23 or minute > 59 or second >= 60:
        return math.nan
    return days + (hour * 3600 + minute * 60 + second) / 86400


def _day_to_date(days: int) -> date | None:
    ordinal = days + EPOCH_ORDINAL
    return date.fromordinal(ordinal) if 1 <= ordinal <= LAST_ORDINAL else None


def _clock(days: float) -> tuple[date, int, int, int] | None:
    """Calendar day, hour, minute, second of a day count, to the nearest millisecond."""
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
    return day, seconds // 3600, seconds // 60 % 60, seconds % 60


def _iso_text(days: float, with_time: bool) -> str:
    return _format_days(days, "%Y-%m-%dT%H:%M:%S" if with_time else "%Y-%m-%d")


def _format_days(days: float, pattern: str) -> str:
    parts = _clock(days)
    if parts is None:
        return ""
    day, hour, minute, second = parts
    fields = {"Y": f"{day.year:04d}", "y": f"{day.year % 100:02d}", "m": f"{day.month:02d}",
              "n": str(day.month), "d": f"{day.day:02d}", "e": str(day.day),
              "H": f"{hour:02d}", "h": str(hour), "M": f"{minute:02d}", "S": f"{second:02d}"}
    return FORMAT_FIELD.sub(lambda match: fields[match.group(1)], pattern)


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
    return float(value) if isinstance(value, Number) else to_text(value)


# --- operators -------------------------------------------------------------------------

def _equals(left: Any, right: Any) -> bool:
    """XPath '=': booleans win, then numbers (dates count as numbers), else text."""
    if isinstance(left, bool) or isinstance(right, bool):
        return to_boolean(left) == to_boolean(right)
    if _is_numeric(left) or _is_numeric(right):
        return to_number(left) == to_number(right)
    return to_text(left) == to_text(right)


def _is_numeric(value: Any) -> bool:
    return isinstance(value, (Number, date)) and not isinstance(value, bool)


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


ARITHMETIC = {"+": operator.add, "-": operator.sub, "*": operator.mul,
              "div": _divide, "mod": _modulo}
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
    return [item for value in values
            for item in (value if isinstance(value, Nodeset) else (value,))]


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


def _indexed_repeat(ctx: Context, value: Any, repeat: Any, index: Any) -> Any:
    """The answer in the index-th instance (from 1): XPath's [n], so a fraction selects none."""
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
    return chars[_index(start, len(chars)):stop]


def _before(ctx: Context, text: Any, part: Any) -> str:
    text, part = to_text(text), to_text(part)
    found = text.find(part)
    return text[:found] if found >= 0 else ""


def _after(ctx: Context, text: Any, part: Any) -> str:
    text, part = to_text(text), to_text(part)
    found = text.find(part)
    return text[found + len(part):] if found >= 0 else ""


def _translate(ctx: Context, text: Any, source: Any, target: Any) -> str:
    """XPath translate(): the first occurrence in `source` wins; no partner deletes."""
    source, target = to_text(source), to_text(target)

    def swap(char: str) -> str:
        found = source.find(char)
        return char if found < 0 else target[found:found + 1]
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
            out.append(pattern[index:index + 2])
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


def _choice_name(ctx: Context, choice: Any, path: Any) -> str:
    if ctx.choice_label is None:
        return ""
    label = ctx.choice_label(_field_from_path(to_text(path)), to_text(choice))
    return "" if label is None else to_text(label)


def _date(ctx: Context, value: Any) -> date | str:
    """date(): an ISO string, date-time or day count as a date; '' when it is none of those."""
    days = to_number(value)
    day = _day_to_date(math.floor(days)) if math.isfinite(days) else None
    return "" if day is None else day


def _format_date(ctx: Context, value: Any, pattern: Any) -> str:
    return _format_days(to_number(value), to_text(pattern))


FUNCTIONS: dict[str, Function] = {
    "not": Function(1, 1, lambda ctx, value: not to_boolean(value)),
    "true": Function(0, 0, lambda ctx: True),
    "false": Function(0, 0, lambda ctx: False),
    "boolean": Function(1, 1, lambda ctx, value: to_boolean(value)),
    "number": Function(1, 1, lambda ctx, value: to_number(value)),
    "string": Function(1, 1, lambda ctx, value: to_text(value)),
    "int": Function(1, 1, _whole(math.trunc)),
    "round": Function(1, 2, _round),
    "floor": Function(1, 1, _whole(math.floor)),
    "ceiling": Function(1, 1, _whole(math.ceil)),
    "abs": Function(1, 1, lambda ctx, value: abs(to_number(value))),
    "pow": Function(2, 2, _power),
    "min": Function(1, None, _extreme(operator.lt)),
    "max": Function(1, None, _extreme(operator.gt)),
    "count": Function(1, 1, _count),
    "sum": Function(1, 1, _sum),
    "indexed-repeat": Function(3, 3, _indexed_repeat),
    "join": Function(2, None, lambda ctx, separator, *values:
                     to_text(separator).join(to_text(item) for item in _spread(values))),
    "if": Function(3, 3, lambda ctx, test, yes, no: yes if to_boolean(test) else no),
    "coalesce": Function(2, 2, lambda ctx, first, other: first if to_text(first) != "" else other),
    "concat": Function(1, None, lambda ctx, *values: "".join(to_text(value) for value in values)),
    "contains": Function(2, 2, lambda ctx, text, part: to_text(part) in to_text(text)),
    "starts-with": Function(2, 2, lambda ctx, text, part: to_text(text).startswith(to_text(part))),
    "ends-with": Function(2, 2, lambda ctx, text, part: to_text(text).endswith(to_text(part))),
    "substr": Function(2, 3, _substr),
    "substring-before": Function(2, 2, _before),
    "substring-after": Function(2, 2, _after),
    "string-length": Function(1, 1, lambda ctx, text: float(len(to_text(text)))),
    "normalize-space": Function(1, 1, lambda ctx, text: " ".join(_choices(text))),
    "translate": Function(3, 3, _translate),
    "regex": Function(2, 2, _regex),
    "selected": Function(2, 2, lambda ctx, choices, choice:
                         to_text(choice).strip(WHITESPACE) in _choices(choices)),
    "count-selected": Function(1, 1, lambda ctx, choices: float(len(_choices(choices)))),
    "selected-at": Function(2, 2, _selected_at),
    "jr:choice-name": Function(2, 2, _choice_name),
    "today": Function(0, 0, lambda ctx: ctx.now.date()),
    "now": Function(0, 0, lambda ctx: ctx.now),
    "date": Function(1, 1, _date),
    "decimal-date-time": Function(1, 1, lambda ctx, value: to_number(value)),
    "format-date": Function(2, 2, _format_date),
    "position": Function(0, 0, lambda ctx: math.nan if ctx.position is None
                         else float(ctx.position)),
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

    def evaluate(self, ctx: Context) -> Any:
        return _field_value(ctx.values.get(self.name))

    def references(self) -> set[str]:
        return {self.name}


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
        left = self.left.evaluate(ctx)
        if self.symbol == "and":
            return to_boolean(left) and to_boolean(self.right.evaluate(ctx))
        if self.symbol == "or":
            return to_boolean(left) or to_boolean(self.right.evaluate(ctx))
        right = self.right.evaluate(ctx)
        if self.symbol in COMPARISONS:
            return _compare(self.symbol, left, right)
        return ARITHMETIC[self.symbol](to_number(left), to_number(right))

    def references(self) -> set[str]:
        return self.left.references() | self.right.references()


@dataclass(frozen=True)
class _Call:
    name: str
    arguments: tuple

    def evaluate(self, ctx: Context) -> Any:
        values = [argument.evaluate(ctx) for argument in self.arguments]
        first = self.arguments[0] if self.arguments else None
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
    return _Token("string", source[start + 1:end], start, end + 1)


def _read_field(source: str, start: int) -> _Token:
    if not source.startswith("${", start):
        raise ExpressionError("expected '{' after '$'", start)
    close = source.find("}", start + 2)
    if close < 0:
        raise ExpressionError("missing '}' after '${'", start)
    name = source[start + 2:close]
    if not FIELD_NAME.fullmatch(name):
        raise ExpressionError(f"invalid field name '{name}'", start)
    return _Token("field", name, start, close + 1)


def _read_name(source: str, match: re.Match, previous: _Token | None) -> _Token:
    """As in XPath, and/or/div/mod are operators only right after an operand."""
    name, start, end = match.group(), match.start(), match.end()
    if name in KEYWORD_OPERATORS and _ends_operand(previous):
        return _Token("symbol", name, start, end)
    kind = "function" if source.startswith("(", _skip_space(source, end)) else "name"
    return _Token(kind, name, start, end)


def _ends_operand(token: _Token | None) -> bool:
    if token is None:
        return False
    return token.kind in ("number", "string", "field") or (
        token.kind == "symbol" and token.value in (")", ".", ".."))


# --- parser ----------------------------------------------------------------------------

class _Parser:
    """Recursive descent over PRECEDENCE, loosest level first; all levels left-associative."""

    def __init__(self, source: str, choice_columns: bool = False):
        self.source = source
        self.tokens = _tokenize(source)
        self.index = 0
        self.choice_columns = choice_columns

    def parse(self) -> Any:
        if self.peek().kind == "end":
            raise ExpressionError("empty expression", self.peek().start)
        root = self.binary(0)
        if self.peek().kind != "end":
            raise self.unexpected()
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
        return ExpressionError(f"unexpected '{self.source[token.start:token.end]}'", token.start)

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
        if token.kind == "field":
            self.advance()
            return _Field(token.value)
        if token.kind == "function":
            return self.call()
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
        if token.kind == "name" and self.choice_columns:
            self.advance()
            return _ChoiceColumn(token.value)
        if token.kind == "name":
            raise ExpressionError(f"unknown name '{token.value}' (put text in quotes)", token.start)
        raise self.unexpected()

    def call(self) -> _Call:
        name_token = self.advance()
        function = FUNCTIONS.get(name_token.value)
        if function is None:
            raise ExpressionError(f"unknown function '{name_token.value}'", name_token.start)
        self.advance()  # '(': the tokenizer only calls a name a function when one follows
        arguments = self.arguments(name_token.value)
        count = len(arguments)
        if count < function.minimum or (function.maximum is not None and count > function.maximum):
            raise _arity_error(name_token, function, count)
        return _Call(name_token.value, tuple(arguments))

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


def _arity_error(token: _Token, function: Function, count: int) -> ExpressionError:
    if function.maximum is None:
        expected = f"at least {function.minimum}"
    elif function.minimum == function.maximum:
        expected = str(function.minimum)
    else:
        expected = f"{function.minimum} or {function.maximum}"
    noun = "argument" if expected.endswith("1") else "arguments"
    return ExpressionError(f"{token.value}() takes {expected} {noun}, got {count}", token.start)


# --- public API ------------------------------------------------------------------------

class Expression:
    """A parsed expression: parse once per form, evaluate for every set of answers."""

    def __init__(self, source: str, root: Any):
        self.source = source
        self._root = root

    def references(self) -> set[str]:
        """Field names used as ${name} (and in jr:choice-name's '${name}' argument)."""
        return set(self._root.references())

    def evaluate(self, ctx: Context | Mapping[str, Any] | None = None) -> Any:
        return self._root.evaluate(_prepare(ctx))

    def __repr__(self) -> str:
        return f"Expression({self.source!r})"


@lru_cache(maxsize=4096)
def parse(source: str) -> Expression:
    """Parse `source`; raises ExpressionError. Cached: forms repeat the same expressions."""
    if not isinstance(source, str):
        raise TypeError("an expression must be a string")
    return Expression(source, _Parser(source).parse())


@lru_cache(maxsize=1024)
def parse_choice_filter(source: str) -> Expression:
    """A choice_filter: as `parse`, and a bare name is a column of the choice being tested
    (`region = ${region}` keeps the choices whose region column is the answer)."""
    if not isinstance(source, str):
        raise TypeError("an expression must be a string")
    return Expression(source, _Parser(source, choice_columns=True).parse())


def evaluate(source: str, values: Mapping[str, Any] | None = None, current: Any = None,
             now: datetime | date | str | None = None, *, position: int | None = None,
             choice_label: Callable[[str, str], str | None] | None = None) -> Any:
    return parse(source).evaluate(Context(values or {}, current, now, position, choice_label))


CONTEXT_KEYS = frozenset({"values", "current", "now", "position", "choice_label", "choice",
                          "nodesets"})


def _prepare(ctx: Context | Mapping[str, Any] | None) -> Context:
    """Accept a Context, a dict of Context's fields, or a bare mapping of answers."""
    if ctx is None:
        ctx = Context()
    elif not isinstance(ctx, Context):
        is_context_dict = (isinstance(ctx.get("values"), Mapping) and set(ctx) <= CONTEXT_KEYS)
        ctx = Context(**ctx) if is_context_dict else Context(values=ctx)
    return replace(ctx, values=ctx.values or {}, current=_field_value(ctx.current),
                   now=_as_datetime(ctx.now))


def _as_datetime(now: datetime | date | str | None) -> datetime:
    if now is None:
        return datetime.now()
    if isinstance(now, str):
        return datetime.fromisoformat(now)
    if isinstance(now, datetime):
        return now
    return datetime(now.year, now.month, now.day)
