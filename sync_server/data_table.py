"""The data table's sort and filters by answers: read from the page's URL, checked, and
applied on the server (sync_server.store for the page, `matches` for exports).

Everything is in GET parameters, so a view can be bookmarked and its export links carry
the same filters:

- `sort=NAME` sorts by a column, `desc=1` the other way; empty answers always come last;
  choices sort in questionnaire order, numbers as numbers, dates as dates.
- `q_NAME=CODE` (once per choice) keeps the records whose choice question has one of those
  answers (for a multiple choice question: any of them ticked); `q_NAME=WORDS` on a text
  question keeps those whose answer contains the words (capital letters or not).
- `from_NAME` and `to_NAME` keep a number or a date within a range (both ends included).

Privacy (docs/central-workspace.md): an analyst sorts and filters only the columns the
release gives whole (no key variable, no sensitive question): for them the stored value
is the released value, and records the release leaves out are treated as empty.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext

from . import exports

PREFIXES = ("q_", "from_", "to_")
NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]*")
DATE_TYPES = ("date", "datetime")


@dataclass(frozen=True)
class TableColumn:
    """A column of the table: how its answers sort and filter.

    kind: "choice" (select_one), "choices" (select_multiple), "number", "date" or "text";
    `open`: whether the signed-in user may sort and filter by it."""

    name: str
    source: str
    kind: str
    label: str
    choices: tuple = ()  # ((code, label), ...) in questionnaire order
    open: bool = True


@dataclass
class Filter:
    """One filter by answers: choices picked, a range, or words a text contains."""

    column: TableColumn
    values: tuple = ()
    low: float | str | None = None
    high: float | str | None = None
    words: str | None = None

    @property
    def source(self) -> str:
        return self.column.source

    @property
    def kind(self) -> str:
        return self.column.kind

    def params(self) -> dict:
        """The URL parameters that ask for it."""
        name = self.column.name
        if self.values:
            return {f"q_{name}": list(self.values)}
        if self.words is not None:
            return {f"q_{name}": self.words}
        out = {}
        if self.low is not None:
            out[f"from_{name}"] = _shown(self.low)
        if self.high is not None:
            out[f"to_{name}"] = _shown(self.high)
        return out

    def matches(self, value) -> bool:
        """Whether a stored (or released) answer passes, as the store's SQL decides."""
        kind = self.kind
        if kind in ("choice", "choices"):
            items = value if isinstance(value, list) and kind == "choices" else [value]
            return any(item is not None and _text(item) in self.values for item in items)
        if kind == "text":
            text = _text(value) if value is not None else ""
            return bool(text) and (self.words or "").lower() in text.lower()
        if kind == "number":
            if isinstance(value, list):  # a repeat's count
                value = len(value)
            if not _is_number(value):
                return False
        elif kind == "date":
            if not isinstance(value, str):
                return False
            value = value[:10]
        return (self.low is None or value >= self.low) and (self.high is None or value <= self.high)


@dataclass
class TableQuery:
    """What the URL asks of the table: a sort, filters by answers, and what was wrong."""

    sort: TableColumn | None = None
    descending: bool = False
    filters: list[Filter] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def by_name(self) -> dict:
        """Each filter by its column's name (the page fills the filter fields from it)."""
        return {item.column.name: item for item in self.filters}

    @property
    def active(self) -> bool:
        return self.sort is not None or bool(self.filters)

    def params(self, with_sort: bool = True) -> dict:
        """The URL parameters of this view (for links: pages, exports, codes)."""
        out: dict = {}
        for item in self.filters:
            out.update(item.params())
        if with_sort and self.sort is not None:
            out["sort"] = self.sort.name
            if self.descending:
                out["desc"] = "1"
        return out

    def matches(self, answers: dict) -> bool:
        """Whether a row's answers pass every filter (exports use it on released rows)."""
        answers = answers or {}
        return all(item.matches(answers.get(item.source)) for item in self.filters)


def _text(value) -> str:
    """An answer as text, as the SQL reads it (a whole number without a decimal point)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _shown(value) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


# -- the columns ---------------------------------------------------------------------------


def table_columns(shown: list, forms, locale: str, closed=frozenset()) -> list[TableColumn]:
    """The table's answer columns (export columns, no 0/1 dummies) with how each sorts
    and filters; those in `closed` (or that SQL cannot read: a location's coordinates)
    are shown but not sortable."""
    out = []
    for column in shown:
        question, form = exports.question_of(column, forms)
        label = form.text(question.get("label"), locale) if question is not None else ""
        kind = _kind(column, question, form)
        choices = tuple(
            (code, form.text(text, locale) if form is not None else code)
            for code, text in column.choices
        )
        out.append(
            TableColumn(
                column.name,
                column.source,
                kind or "text",
                label or column.name,
                choices,
                open=kind is not None
                and column.source not in closed
                and NAME.fullmatch(column.source) is not None,
            )
        )
    return out


def _kind(column, question, form) -> str | None:
    if column.part is not None or column.key is not None:
        # A latitude or longitude read from a point's text, an audit's seconds read from
        # its durations: not in SQL.
        return None
    if column.kind == "code":
        return "choice"
    if column.kind == "multiple":
        return "choices"
    if column.kind in ("number", "count"):
        return "number"
    if (
        question is not None
        and question.type in DATE_TYPES
        and exports.rule_for(question, form) == "keep"
    ):
        return "date"
    return "text"


# -- reading the URL -----------------------------------------------------------------------


def parse(args, columns: list[TableColumn]) -> TableQuery:
    """The view the URL asks for; with any bad parameter, none of it and what was wrong
    (the page then shows the table unfiltered, with the message)."""
    by_name = {c.name: c for c in columns}
    query, errors = TableQuery(), []
    wanted = args.get("sort")
    if wanted:
        column = by_name.get(wanted)
        if column is None:
            errors.append(gettext("There is no column %(name)s to sort by.", name=wanted))
        elif not column.open:
            errors.append(_closed(column))
        else:
            query.sort, query.descending = column, args.get("desc") == "1"
    ranges: dict[str, dict] = {}
    for key in args:
        prefix = next((p for p in PREFIXES if key.startswith(p)), None)
        if prefix is None:
            continue
        name = key[len(prefix) :]
        column = by_name.get(name)
        values = [v.strip() for v in args.getlist(key) if v.strip()]
        if not values:
            continue
        if column is None:
            errors.append(gettext("There is no column %(name)s to filter by.", name=name))
        elif not column.open:
            errors.append(_closed(column))
        elif prefix == "q_":
            item = _pick(column, values, errors)
            if item is not None:
                query.filters.append(item)
        else:
            ranges.setdefault(name, {})[prefix] = values[0]
    for name, ends in ranges.items():
        item = _range(by_name[name], ends, errors)
        if item is not None:
            query.filters.append(item)
    if errors:
        return TableQuery(errors=errors)
    return query


def _closed(column: TableColumn) -> str:
    return gettext(
        "%(label)s cannot be sorted or filtered here: the release does not give it as recorded.",
        label=column.label,
    )


def _pick(column: TableColumn, values: list[str], errors: list) -> Filter | None:
    """A choice filter (known codes only) or a text filter."""
    if column.kind in ("choice", "choices"):
        known = {code for code, _ in column.choices}
        unknown = [v for v in values if v not in known]
        if unknown:
            errors.append(
                gettext("%(label)s has no choice %(code)s.", label=column.label, code=unknown[0])
            )
            return None
        return Filter(column, values=tuple(dict.fromkeys(values)))
    if column.kind == "text":
        return Filter(column, words=values[0][:200])
    errors.append(
        gettext(
            "%(label)s is filtered by a range: give a lowest and a highest value.",
            label=column.label,
        )
    )
    return None


def _range(column: TableColumn, ends: dict, errors: list) -> Filter | None:
    """A number or date range; either end may be left open."""
    read = {"number": _number, "date": _date}.get(column.kind)
    if read is None:
        errors.append(gettext("%(label)s cannot be filtered by a range.", label=column.label))
        return None
    bounds: dict = {}  # numbers, or dates as text: one kind per column
    for prefix, text in ends.items():
        value = read(text)
        if value is None:
            message = (
                gettext("%(value)s is not a number (%(label)s).", value=text, label=column.label)
                if column.kind == "number"
                else gettext(
                    "%(value)s is not a date written as YYYY-MM-DD (%(label)s).",
                    value=text,
                    label=column.label,
                )
            )
            errors.append(message)
            return None
        bounds[prefix] = value
    low, high = bounds.get("from_"), bounds.get("to_")
    if low is not None and high is not None and low > high:
        errors.append(gettext("The range of %(label)s ends before it starts.", label=column.label))
        return None
    return Filter(column, low=low, high=high)


def _number(text: str) -> float | None:
    try:
        value = float(text.replace(",", "."))
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _date(text: str) -> str | None:
    try:
        return date.fromisoformat(text).isoformat() if len(text) == 10 else None
    except ValueError:
        return None
