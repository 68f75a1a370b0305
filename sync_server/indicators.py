"""Indicators: a narrow typed `facts` table, the indicator list, estimates with suppression.

Dashboards never parse answer JSON: each record's newest revision (corrections applied)
becomes one `facts` row of small typed columns when it is stored or corrected, and every
estimate is one SQL aggregate (count, sum, sum of squares, GROUP BY one dimension) over
that table. Any cell counting fewer than k records is suppressed: it carries no number at
all, not even its n, so that nobody can be picked out of a small group; and enough other
cells are suppressed with it that it cannot be worked out from totals and other tables
(complementary suppression, see `protect`).
"""

from __future__ import annotations

import heapq
import json
import math
import re
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

import numpy as np
from flask_babel import lazy_gettext as _  # `_`, so that `pybabel extract` finds the titles

from collector.forms import FEEDBACK_FORM, REPORT_FORM, SURVEY_FORM

from . import survey_design as sd
from .database import Schema, ddl
from .designs import COMPLETE, PSU_SQL, design_of, rebuild_units, refresh_units

_fast_loads: Callable[[str | bytes], Any]
try:  # the server extra's faster JSON parser (orjson.JSONDecodeError is a ValueError)
    from orjson import loads as _fast_loads
except ImportError:  # pragma: no cover - a collector-only install
    from json import loads as _fast_loads

__all__ = [
    "BY_DIMENSIONS",
    "COMPLEMENT",
    "Cell",
    "DIMENSION_TITLES",
    "FACTS_MIGRATIONS",
    "FAMILIES",
    "Gaps",
    "change",
    "design_estimate",
    "gaps",
    "INDICATORS",
    "Indicator",
    "NOT_STATED",
    "Result",
    "SMALL",
    "compare",
    "compute",
    "fact_row",
    "fact_values",
    "protect",
    "rebuild_facts",
    "refresh_facts",
    "t_quantile",
    "wilson",
]

SURVEY, REPORT, FEEDBACK = SURVEY_FORM, REPORT_FORM, FEEDBACK_FORM
MEAN, SHARE, COUNT = "mean", "share", "count"
Z95 = 1.96
DEFAULT_K = 5

Sums = tuple[int, float, float]  # one cell of a table: count, sum, sum of squares
Tables = dict[str, dict[str, Sums]]  # {indicator: {group: sums}}
_T = TypeVar("_T")

# What compute() can disaggregate by, and what `where` can filter on.
BY_DIMENSIONS = ("area", "month", "gender", "age_band", "migration_status", "disability")
FILTER_DIMENSIONS = BY_DIMENSIONS + ("locale",)

DIMENSION_TITLES = {
    "area": _("Area"),
    "month": _("Month"),
    "gender": _("Gender"),
    "age_band": _("Age group"),
    "migration_status": _("Migration status"),
    "disability": _("Disability"),
    "locale": _("Language"),
}
DISABILITY_LABELS = {"yes": _("With a disability"), "no": _("Without a disability")}

# Choice names of the built-in forms (tests check them against the form files).
WHO5_ITEMS = ("who5_spirits", "who5_calm", "who5_active", "who5_rested", "who5_interest")
WG_ITEMS = (
    "wg_seeing",
    "wg_hearing",
    "wg_walking",
    "wg_remembering",
    "wg_selfcare",
    "wg_communicating",
)
INSTITUTIONS = (
    "local_authorities",
    "police",
    "courts",
    "health_services",
    "schools",
    "national_government",
    "community_leaders",
    "religious_leaders",
    "humanitarian",
)
GROUNDS = (
    "ethnicity",
    "nationality",
    "religion",
    "language",
    "sex_gender",
    "age",
    "disability",
    "sexual_orientation",
    "political",
    "social_origin",
    "income",
    "health",
    "other",
)
SETTINGS = (
    "work",
    "job_seeking",
    "health_care",
    "school",
    "housing",
    "police",
    "courts",
    "transport",
    "shops",
    "public_offices",
    "neighbours",
    "online",
    "other",
)
CHANNELS = (
    "police",
    "local_authority",
    "community_leader",
    "ngo",
    "human_rights",
    "employer",
    "family",
    "other",
)
FEEDBACK_TYPES = ("question", "suggestion", "complaint", "thanks", "discrimination")
TOPICS = (
    "health",
    "education",
    "water",
    "food",
    "shelter",
    "protection",
    "livelihoods",
    "documents",
    "staff_conduct",
    "community",
    "other",
)

_AGREE = ({"strongly_agree", "agree"}, {"neither", "disagree", "strongly_disagree"})
# Each inclusion item: (answers scored 1, answers scored 0). Anything else ("prefer_not",
# "not_needed": no health care was needed, so none was denied) is not scored.
INCLUSION_ITEMS = {
    "incl_visibility": _AGREE,
    "incl_consideration": _AGREE,
    "incl_participation": _AGREE,
    "incl_contact": ({"daily", "weekly"}, {"monthly", "less", "never"}),
    "incl_rights": _AGREE,
    "incl_documents": ({"yes"}, {"partly", "no"}),
    "incl_health_access": ({"yes"}, {"sometimes", "no"}),
    "incl_income": ({"fully", "mostly"}, {"partly", "not_at_all"}),
}
# The five steps of inclusion (UN DESA, Paris 2007) and the items that measure each.
# A step is 1 when every scored item of it is 1, 0 when any is 0, NULL when none is scored.
STEPS = {
    "visibility": ("incl_visibility",),
    "consideration": ("incl_consideration",),
    "interaction": ("incl_participation", "incl_contact"),
    "rights": ("incl_rights", "incl_documents"),
    "resources": ("incl_health_access", "incl_income"),
}


# -- The facts table ---------------------------------------------------------------------

_DIMENSION_COLUMNS = [
    ("month", "TEXT"),
    ("area", "TEXT"),
    ("gender", "TEXT"),
    ("age_band", "TEXT"),
    ("migration_status", "TEXT"),
    ("disability", "TEXT"),
    ("locale", "TEXT"),
]
_SURVEY_COLUMNS = (
    ["who5", "life_satisfaction", "trust_most"]
    + [f"trust_{name}" for name in INSTITUTIONS]
    + ["trust_host_newcomers", "safe_after_dark"]
    + list(INCLUSION_ITEMS)
    + [f"step_{name}" for name in STEPS]
    + ["discriminated"]
    + [f"ground_{name}" for name in GROUNDS]
    + [f"setting_{name}" for name in SETTINGS]
    + ["reported"]
    + [f"reported_to_{name}" for name in CHANNELS]
)
# Frozen: the schema of migration m001. Add columns with a new migration, never here.
FACT_COLUMNS_V1 = tuple(
    [("uuid", "TEXT NOT NULL"), ("form_id", "TEXT NOT NULL")]
    + _DIMENSION_COLUMNS
    + [(name, "INTEGER") for name in _SURVEY_COLUMNS]
    + [
        ("feedback_type", "TEXT"),
        ("topic", "TEXT"),
        ("incident_month", "TEXT"),
        ("reported_elsewhere", "INTEGER"),
    ]
)
FACT_COLUMNS = tuple(name for name, _type in FACT_COLUMNS_V1)

FACTS_MIGRATIONS = Schema("indicators")


@FACTS_MIGRATIONS()
def m001_facts(db):
    """Facts clustered by (form_id, uuid): an indicator reads one contiguous range of rows."""
    columns = ",\n".join(f"{name} {sql_type}" for name, sql_type in FACT_COLUMNS_V1)
    ddl(db, f"CREATE TABLE facts ({columns}, PRIMARY KEY (form_id, uuid)) WITHOUT ROWID")
    ddl(db, "CREATE UNIQUE INDEX facts_by_uuid ON facts (uuid)")
    if "records" in db.table_names():
        _insert(db, db.execute(_LATEST_SQL).fetchall())


@FACTS_MIGRATIONS()
def m002_cube(db):
    measures = ", ".join(f"{name} REAL NOT NULL DEFAULT 0" for name in _cube_columns())
    keys = ", ".join(f"{d} TEXT NOT NULL" for d in CUBE_DIMENSIONS)
    ddl(
        db,
        f"CREATE TABLE facts_cube (form_id TEXT NOT NULL, {keys},"
        f" n INTEGER NOT NULL DEFAULT 0, {measures},"
        f" PRIMARY KEY (form_id, {', '.join(CUBE_DIMENSIONS)})) WITHOUT ROWID",
    )
    _cube_add(db, "1 = 1", [], +1)


@FACTS_MIGRATIONS()
def m003_version(db):
    """A token that changes with every change to the facts: protected tables are cached by it."""
    ddl(
        db,
        "CREATE TABLE IF NOT EXISTS facts_version"
        " (id INTEGER PRIMARY KEY CHECK (id = 1), token INTEGER NOT NULL)",
    )
    db.execute(
        "INSERT INTO facts_version (id, token) VALUES (1, ?) ON CONFLICT DO NOTHING",
        [secrets.randbits(62)],
    )


@FACTS_MIGRATIONS()
def m004_survey_units(db):
    """Each record's stratum, cluster and base weight, for forms with a survey design."""
    from .designs import m004_survey_units as make

    make(db)


@FACTS_MIGRATIONS()
def m005_design_cube(db):
    """Design-based sums, one narrow row per measure (m006 replaces it with wide rows)."""
    ddl(
        db,
        "CREATE TABLE IF NOT EXISTS design_cube (form_id TEXT NOT NULL, dim TEXT NOT NULL,"
        " measure TEXT NOT NULL, grp TEXT NOT NULL, stratum TEXT NOT NULL,"
        " psu TEXT NOT NULL, cell TEXT NOT NULL, c INTEGER NOT NULL, w REAL NOT NULL,"
        " s REAL NOT NULL, q REAL NOT NULL,"
        " PRIMARY KEY (form_id, dim, measure, cell, grp, stratum, psu)) WITHOUT ROWID",
    )


@FACTS_MIGRATIONS()
def m006_wide_design_cube(db):
    """Design-based sums per (breakdown, calibration cell, group, stratum, cluster), every
    measure of it in one row: a batch or a step of a design's build writes a few thousand
    rows rather than a hundred thousand. A view reads one breakdown's contiguous range.

    A plain table (rows of a few hundred numbers are too wide to sit in the key's tree),
    with its key as the primary key. Existing cubes are rebuilt; a design whose build was
    under way starts it again."""
    ddl(db, "DROP TABLE IF EXISTS design_cube")
    measures = ", ".join(f"{name} REAL NOT NULL" for name in _design_columns())
    ddl(
        db,
        "CREATE TABLE design_cube (form_id TEXT NOT NULL, dim TEXT NOT NULL,"
        " cell TEXT NOT NULL, grp TEXT NOT NULL, stratum TEXT NOT NULL, psu TEXT NOT NULL,"
        f" n INTEGER NOT NULL, w REAL NOT NULL, {measures}, PRIMARY KEY ({_DESIGN_KEYS}))",
    )
    if "survey_designs" not in db.table_names():
        return
    db.execute("UPDATE survey_designs SET built_through = '' WHERE built_through IS NOT NULL")
    for (form_id,) in db.execute("SELECT form_id FROM survey_designs").fetchall():
        rebuild_design_cube(db, form_id)


@FACTS_MIGRATIONS()
def m007_design_clears(db):
    """The forms whose design is being cleared, a few thousand rows per transaction
    (designs.clear_design): their units and design sums still to delete."""
    ddl(db, "CREATE TABLE IF NOT EXISTS design_clears (form_id TEXT PRIMARY KEY)")


def _touch(db) -> None:
    # Random, not a counter: a rolled-back change followed by another cannot reuse a token.
    db.execute("UPDATE facts_version SET token = ? WHERE id = 1", [secrets.randbits(62)])


def fact_row(record: dict) -> dict | None:
    """The facts row of one record (uuid, form_id, collected, locale, answers), or None.

    Dimensions come from question names, so a custom form that asks `gender` or `age`
    is disaggregated too; measures come from the built-in forms' questions only.
    """
    answers = record.get("answers")
    if not isinstance(answers, dict) or not record.get("uuid") or not record.get("form_id"):
        return None
    return dict(
        zip(
            FACT_COLUMNS,
            fact_values(
                str(record["uuid"]),
                str(record["form_id"]),
                record.get("collected"),
                record.get("locale"),
                answers,
            ),
            strict=True,
        )
    )


def fact_values(uuid: str, form_id: str, collected, locale, answers: dict) -> list:
    """The facts row of one record as a list in FACT_COLUMNS order (see fact_row)."""
    row: list[Any] = [None] * len(FACT_COLUMNS)
    get = answers.get
    row[0], row[1] = uuid, form_id
    row[_AT["month"]], row[_AT["locale"]] = _month(collected), _text(locale)
    row[_AT["area"]] = _text(get("area")) or _text(get("incident_area"))
    row[_AT["gender"]] = _text(get("gender"))
    row[_AT["age_band"]] = _age_band(get("age"))
    row[_AT["migration_status"]] = _text(get("migration_status"))
    row[_AT["disability"]] = _disability(answers)
    measures = _MEASURES.get(form_id)
    if measures is not None:
        measures(row, get)
    return row


# Ingest and corrections take the shared side of this lock (PostgreSQL: many batches at
# once); work over whole tables (rebuild_facts, a design's build and clear steps) takes the
# exclusive side: it waits for the batches under way, and batches wait for it.
FACTS_LOCK = "indicator facts"


@dataclass(frozen=True)
class NewFacts:
    """The facts of a revision computed before its batch's transaction (ingest): the row,
    and the answers the survey design's units read."""

    values: list
    answers: dict


def new_facts(record: dict) -> NewFacts:
    """A received record's facts, from the answers it came with (no JSON read back)."""
    answers = record["answers"]
    values = fact_values(
        record["uuid"], record["form_id"], record["collected"], record["locale"], answers
    )
    return NewFacts(values, answers)


def refresh_facts(db, uuids, computed: dict | None = None) -> None:
    """Recompute the facts of these records from their newest revision, corrections applied.

    Runs inside the caller's transaction (ingest or correction), which locked the records:
    the facts never disagree with the records they summarize. A uuid with no stored record
    loses its row. `computed`: {uuid: NewFacts} of records whose newest revision the caller
    has just stored (ingest) and whose facts it computed before its transaction, so they are
    not read back and the time the records are locked is spent writing, not computing.

    On PostgreSQL several batches do this at once: each one's own rows (facts, units) are
    its records'; the cubes' rows are shared, so their changes are gathered first and added
    at the end, once, in key order: two batches adding to the same cells wait for each
    other only there, and never each for the other (no deadlock).
    """
    uuids = list(dict.fromkeys(uuids))
    computed = computed or {}
    db.lock(FACTS_LOCK, shared=True)
    designed, building = _design_cube_forms(db)
    gathered = db.dialect.name == "postgresql"
    design_delta: list | None = [] if gathered else None
    emptied: set[str] = set()  # forms whose cube rows may have come down to no record
    for start in range(0, len(uuids), 500):
        chunk = uuids[start : start + 500]
        marks = ", ".join("?" * len(chunk))
        had = [
            row[0]
            for row in db.execute(
                f"SELECT DISTINCT form_id FROM facts WHERE uuid IN ({marks})", chunk
            ).fetchall()
        ]
        if had:  # the old facts of these records come out first (a new record has none)
            _cube_add(db, f"uuid IN ({marks})", chunk, -1, gathered)
            _design_cube_add(
                db, designed, f"f.uuid IN ({marks})", chunk, -1, building, design_delta
            )
            db.execute(f"DELETE FROM facts WHERE uuid IN ({marks})", chunk)
            emptied.update(had)
        ready = [computed[uuid] for uuid in chunk if uuid in computed]
        unknown = [uuid for uuid in chunk if uuid not in computed]
        rows = (
            db.execute(
                _LATEST_SQL + f" AND uuid IN ({', '.join('?' * len(unknown))})", unknown
            ).fetchall()
            if unknown
            else []
        )
        parsed: dict = {facts.values[0]: facts.answers for facts in ready}
        _insert(db, rows, parsed, [facts.values for facts in ready])
        _cube_add(db, f"uuid IN ({marks})", chunk, +1, gathered)
        refresh_units(db, chunk, designed, parsed)
        _design_cube_add(db, designed, f"f.uuid IN ({marks})", chunk, +1, building, design_delta)
    if gathered and uuids:  # else nothing was gathered
        _cube_flush(db)
        if design_delta:
            _copy_upsert(db, design_delta)
    else:
        for form_id in sorted(emptied):  # only taking away can leave a cube row at zero
            db.execute("DELETE FROM facts_cube WHERE form_id = ? AND n = 0", [form_id])
    _touch(db)


def rebuild_facts(db) -> None:
    """Recompute every facts row: after a change to fact_row, or to fill a new table."""
    db.lock(FACTS_LOCK)  # alone: no batch adds to the tables meanwhile
    db.execute("DELETE FROM facts")
    rows = db.stream(_LATEST_SQL)
    next(rows)
    _insert(db, rows)
    rebuild_cube(db)
    for (form_id,) in db.execute("SELECT form_id FROM survey_designs").fetchall():
        rebuild_units(db, form_id)  # and its design cube
    _touch(db)


def rebuild_cube(db) -> None:
    """Sum the cube again from the facts as they are (after rows were written in bulk)."""
    db.execute("DELETE FROM facts_cube")
    _cube_add(db, "1 = 1", [], +1)
    _touch(db)


# -- The cube: facts summed per combination of dimensions ------------------------------
#
# A dashboard view at a million records would read a million facts rows; the cube holds
# one row per (form, month, area, gender, age band, migration status, disability) with
# the count, sum and sum of squares of every measure, so a view sums thousands of rows.
# Unknown dimension values are '' here (a key column cannot match NULL to NULL).

CUBE_DIMENSIONS = ("month", "area", "gender", "age_band", "migration_status", "disability")
CUBE_MEASURES = tuple(_SURVEY_COLUMNS) + ("reported_elsewhere",)


def _cube_columns() -> list[str]:
    return [f"{prefix}_{name}" for name in CUBE_MEASURES for prefix in ("c", "s", "q")]


def _cube_add(db, where: str, params: list, sign: int, gathered: bool = False) -> None:
    """Add (sign +1) or take away (-1) the facts matching `where` to the cube; `gathered`:
    to the transaction's changes of the cube instead (PostgreSQL), added by _cube_flush."""
    keys = ", ".join(f"coalesce({d}, '')" for d in CUBE_DIMENSIONS)
    total = db.dialect.total
    sums = ", ".join(
        f"{sign} * count({m}), {sign} * {total(m)}, {sign} * {total(f'{m} * {m}')}"
        for m in CUBE_MEASURES
    )
    columns = f"form_id, {', '.join(CUBE_DIMENSIONS)}, n, {', '.join(_cube_columns())}"
    select = (
        f"SELECT form_id, {keys}, {sign} * count(*), {sums}"
        f" FROM facts WHERE {where} GROUP BY form_id, {keys}"
    )
    if gathered:
        db.execute(
            "CREATE TEMP TABLE IF NOT EXISTS facts_cube_delta (LIKE facts_cube)"
            " ON COMMIT DELETE ROWS"
        )
        db.execute(f"INSERT INTO facts_cube_delta ({columns}) {select}", params)
        return
    updates = ", ".join(f"{c} = facts_cube.{c} + excluded.{c}" for c in ["n", *_cube_columns()])
    db.execute(
        f"INSERT INTO facts_cube ({columns}) {select}"
        f" ON CONFLICT (form_id, {', '.join(CUBE_DIMENSIONS)}) DO UPDATE SET {updates}",
        params,
    )


def _cube_flush(db) -> None:
    """The transaction's gathered changes of the cube (_cube_add), summed per cell and
    added in key order: concurrent transactions lock shared cells in the same order.
    Cells that came down to no record go."""
    key = f"form_id, {', '.join(CUBE_DIMENSIONS)}"
    measures = ["n", *_cube_columns()]
    updates = ", ".join(f"{c} = facts_cube.{c} + excluded.{c}" for c in measures)
    db.execute(
        f"INSERT INTO facts_cube ({key}, {', '.join(measures)})"
        f" SELECT {key}, {', '.join(f'sum({c})' for c in measures)} FROM facts_cube_delta"
        f" GROUP BY {key} ORDER BY {key} ON CONFLICT ({key}) DO UPDATE SET {updates}"
    )
    # Only cells this transaction took from can be at zero, and it holds their rows now.
    db.execute(
        f"DELETE FROM facts_cube WHERE n = 0 AND ({key}) IN"
        f" (SELECT {key} FROM facts_cube_delta WHERE n < 0)"
    )
    db.execute("DELETE FROM facts_cube_delta")  # a transaction may flush again


def _cube_where(where: dict | None) -> tuple[str, list] | None:
    """The filters on cube keys, or None when one needs the facts (locale)."""
    clauses, params = [], []
    for key, value in (where or {}).items():
        if key not in CUBE_DIMENSIONS:
            return None
        values = list(value) if isinstance(value, (list, tuple, set, frozenset)) else [value]
        if not all(v is None or isinstance(v, str) for v in values):
            raise ValueError(f"Filter values for {key!r} must be text")
        values = ["" if v is None else v for v in values]
        clauses.append(f"{key} IN ({', '.join('?' * len(values))})" if values else "1 = 0")
        params += values
    return "".join(f" AND {clause}" for clause in clauses), params


def _uses_cube(indicator: Indicator, where: dict | None) -> bool:
    return (
        indicator.column in CUBE_MEASURES
        and indicator.equals is None
        and indicator.month_column == "month"
        and all(key in CUBE_DIMENSIONS for key in (where or {}))
    )


def _cube_sums(indicator: Indicator) -> str:
    column = indicator.column
    squares = f"sum(q_{column})" if indicator.kind == MEAN else "0"  # a share needs none
    return f"sum(c_{column}), sum(s_{column}), {squares}"


_LATEST_SQL = (
    "SELECT uuid, form_id, collected, locale, coalesce(answers_current, answers)"
    " FROM records WHERE is_latest = 1"
)
_INSERT_SQL = (
    f"INSERT INTO facts ({', '.join(FACT_COLUMNS)})"
    f" VALUES ({', '.join('?' * len(FACT_COLUMNS))}) ON CONFLICT (form_id, uuid)"
    f" DO UPDATE SET {', '.join(f'{c} = excluded.{c}' for c in FACT_COLUMNS[2:])}"
)


def _insert(db, rows, parsed: dict | None = None, ready: list | None = None) -> None:
    """Insert facts for (uuid, form_id, collected, locale, answers JSON) rows, in batches;
    `parsed`: filled with {uuid: its answers as read} (for the units, read once); `ready`:
    rows of fact values computed already (NewFacts.values)."""
    batch = list(ready or ())
    for uuid, form_id, collected, locale, text in rows:
        answers = _loads(text)
        if parsed is not None:
            parsed[uuid] = answers
        if isinstance(answers, dict) and uuid and form_id:  # as fact_row
            batch.append(fact_values(str(uuid), str(form_id), collected, locale, answers))
        if len(batch) >= 1000:
            db.executemany(_INSERT_SQL, batch)
            batch = []
    if batch:
        db.executemany(_INSERT_SQL, batch)


def _loads(text):
    """Stored answers JSON as json.loads reads it (orjson first: the same values, faster;
    json for what orjson refuses, such as NaN), None when it is not JSON."""
    try:
        return _fast_loads(text)
    except (TypeError, ValueError):
        pass
    try:
        return json.loads(text)
    except (TypeError, ValueError):
        return None


# -- From answers to typed values --------------------------------------------------------

_MONTH = re.compile(r"([0-9]{4}-(?:0[1-9]|1[0-2]))(?:-[0-9]{2})?")
_INTEGER = re.compile(r"-?[0-9]+")


def _text(value) -> str | None:
    """A non-blank string, stripped, or None: dimensions hold labels, never numbers."""
    if isinstance(value, str) and value.strip():
        return value.strip()
    return None


def _month(value) -> str | None:
    """'YYYY-MM' of 'YYYY-MM' or 'YYYY-MM-DD'."""
    match = _MONTH.fullmatch(value.strip()) if isinstance(value, str) else None
    return match.group(1) if match else None


def _score(value, low: int, high: int) -> int | None:
    """An integer answer within [low, high]; numbers sent as text ("3") count too."""
    if type(value) is int:  # the usual answer, checked first (bool is not int here)
        return value if low <= value <= high else None
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        value = value.strip()
        value = int(value) if _INTEGER.fullmatch(value) else None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return value if isinstance(value, int) and low <= value <= high else None


def _flag(value, yes: set, no: set) -> int | None:
    """1 for an answer in `yes`, 0 for one in `no`, None for anything else (a list or an
    object where a choice belongs too: a record is never refused for its facts)."""
    if not isinstance(value, str):
        return None
    if value in yes:
        return 1
    return 0 if value in no else None


def _choices(value) -> list[str] | None:
    """A select_multiple answer as a list; XLSForm's space-separated text is accepted."""
    if isinstance(value, str):
        return value.split()
    if isinstance(value, list):
        return [item for item in value if isinstance(item, str)]
    return None


def _age_band(value) -> str | None:
    """The age band as the anonymizer sends it; a raw age (a form without the rule) is banded."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        low = value - value % 5
        return "90+" if value >= 90 else f"{low}-{low + 4}"
    return _text(value)


def _disability(answers: dict) -> str | None:
    """The Washington Group short-set identifier: a lot of difficulty, or cannot, in any domain.

    As the Washington Group recommends, one such answer is enough for "yes" even if
    another domain is missing; "no" needs all six answered.
    """
    values = [answers.get(name) for name in WG_ITEMS]
    if any(value in ("a_lot", "cannot") for value in values):
        return "yes"
    if all(value in ("none", "some") for value in values):
        return "no"
    return None


def _dimensions(answers: dict) -> dict:
    return {
        "area": _text(answers.get("area")) or _text(answers.get("incident_area")),
        "gender": _text(answers.get("gender")),
        "age_band": _age_band(answers.get("age")),
        "migration_status": _text(answers.get("migration_status")),
        "disability": _disability(answers),
    }


# Each form's measures, written straight into a facts row (a list in FACT_COLUMNS order):
# the plan of which answers feed which columns is made once, here, not per record.
_AT = {name: position for position, name in enumerate(FACT_COLUMNS)}
_SCORES_10 = tuple((f"trust_{name}", _AT[f"trust_{name}"]) for name in INSTITUTIONS) + (
    ("trust_host_newcomers", _AT["trust_host_newcomers"]),
    ("life_satisfaction", _AT["life_satisfaction"]),
)
_INCLUSION_PLAN = tuple((name, _AT[name], yes, no) for name, (yes, no) in INCLUSION_ITEMS.items())
_STEPS_PLAN = tuple(
    (_AT[f"step_{step}"], tuple(_AT[name] for name in names)) for step, names in STEPS.items()
)
_SAFE = ({"very_safe", "safe"}, {"unsafe", "very_unsafe"})
_YES_NO = ({"yes"}, {"no"})


def _positions(prefix: str, names) -> tuple:
    """(choice name, column position) of one-hot columns."""
    return tuple((name, _AT[f"{prefix}{name}"]) for name in names)


_GROUNDS_AT, _SETTINGS_AT = _positions("ground_", GROUNDS), _positions("setting_", SETTINGS)
_CHANNELS_AT = _positions("reported_to_", CHANNELS)


def _survey(row: list, get) -> None:
    items = [_score(get(name), 0, 5) for name in WHO5_ITEMS]
    row[_AT["who5"]] = None if None in items else 4 * sum(items)  # type: ignore[arg-type]
    trust_people = _score(get("trust_people"), 0, 10)
    row[_AT["trust_most"]] = None if trust_people is None else int(trust_people >= 6)
    for name, position in _SCORES_10:
        value = get(name)  # an integer in range, most often: no call for it
        row[position] = value if type(value) is int and 0 <= value <= 10 else _score(value, 0, 10)
    row[_AT["safe_after_dark"]] = _flag(get("safety_after_dark"), *_SAFE)
    for name, position, yes, no in _INCLUSION_PLAN:
        value = get(name)  # as _flag, inline
        if type(value) is str:
            row[position] = 1 if value in yes else (0 if value in no else None)
    # A step is 1 when every scored item of it is 1, 0 when any is 0, NULL when none is.
    for position, items_at in _STEPS_PLAN:
        scored = [item for at in items_at if (item := row[at]) is not None]
        row[position] = min(scored) if scored else None
    _discrimination(row, get)


def _discrimination(row: list, get) -> None:
    """Grounds, settings and reporting, asked only of those discriminated against."""
    discriminated = _flag(get("discriminated"), *_YES_NO)
    row[_AT["discriminated"]] = discriminated
    if discriminated != 1:
        return  # every one-hot column and `reported` stay NULL: not asked
    _one_hot(row, _GROUNDS_AT, _choices(get("discrimination_grounds")))
    _one_hot(row, _SETTINGS_AT, _choices(get("discrimination_settings")))
    told = _choices(get("reported_to"))
    reported = None
    if told and any(name in CHANNELS for name in told):
        reported = 1
    elif told and "no_one" in told:
        reported = 0
    row[_AT["reported"]] = reported
    _one_hot(row, _CHANNELS_AT, None if reported is None else told)


def _one_hot(row: list, plan: tuple, chosen: list[str] | None) -> None:
    """One 0/1 column per choice, all NULL when the question was not asked."""
    if chosen is not None:
        for name, position in plan:
            row[position] = int(name in chosen)


def _report(row: list, get) -> None:
    row[_AT["incident_month"]] = _month(get("incident_month"))
    row[_AT["reported_elsewhere"]] = _flag(get("reported_elsewhere"), *_YES_NO)


def _feedback(row: list, get) -> None:
    row[_AT["feedback_type"]] = _text(get("feedback_type"))
    row[_AT["topic"]] = _text(get("topic"))


_MEASURES: dict[str, Callable[[list, Any], None]] = {
    SURVEY: _survey,
    REPORT: _report,
    FEEDBACK: _feedback,
}


# -- Indicator definitions ---------------------------------------------------------------


@dataclass(frozen=True)
class Indicator:
    """One indicator: what to aggregate (kind over column), from which form, and its words.

    A count counts the form's records, or those whose `column` equals `equals`.
    `month_column` is what by="month" means: the month collected, or for incident
    reports the month the incident happened.
    """

    id: str
    kind: str
    column: str
    form: str
    title: object  # a lazy string: translated when shown
    unit: object
    scale_max: float | None = None
    equals: str | None = None
    family: str | None = None
    label: object = None  # a short name among the family's members
    month_column: str = "month"


UNIT_INDEX = _("index, 0–100")
UNIT_SCORE = _("score, 0–10")
UNIT_PERCENT = _("%")
UNIT_RECORDS = _("records")


def _mean10(column, title, label=None, family=None):
    return Indicator(
        column, MEAN, column, SURVEY, title, UNIT_SCORE, 10, family=family, label=label
    )


def _share(column, title, label=None, family=None):
    return Indicator(
        column, SHARE, column, SURVEY, title, UNIT_PERCENT, 100, family=family, label=label
    )


def _feedback_count(id_, column, value, title, label, family):
    return Indicator(
        id_, COUNT, column, FEEDBACK, title, UNIT_RECORDS, equals=value, family=family, label=label
    )


_TRUST = "trust_institutions"
_STEPS = "inclusion_steps"
_GROUNDS = "discrimination_grounds"
_SETTINGS = "discrimination_settings"
_CHANNELS = "reporting_channels"
_TYPES = "feedback_types"
_TOPICS = "feedback_topics"

INDICATORS: tuple[Indicator, ...] = (
    Indicator("who5", MEAN, "who5", SURVEY, _("WHO-5 wellbeing index (mean)"), UNIT_INDEX, 100),
    _mean10("life_satisfaction", _("Mean life satisfaction")),
    _share("trust_most", _("Share who say most people can be trusted")),
    _mean10(
        "trust_local_authorities",
        _("Mean trust in local authorities"),
        _("Local authorities"),
        _TRUST,
    ),
    _mean10("trust_police", _("Mean trust in the police"), _("Police"), _TRUST),
    _mean10("trust_courts", _("Mean trust in the courts"), _("Courts"), _TRUST),
    _mean10(
        "trust_health_services", _("Mean trust in health services"), _("Health services"), _TRUST
    ),
    _mean10("trust_schools", _("Mean trust in schools"), _("Schools"), _TRUST),
    _mean10(
        "trust_national_government",
        _("Mean trust in the national government"),
        _("National government"),
        _TRUST,
    ),
    _mean10(
        "trust_community_leaders",
        _("Mean trust in community leaders"),
        _("Community leaders"),
        _TRUST,
    ),
    _mean10(
        "trust_religious_leaders",
        _("Mean trust in religious leaders"),
        _("Religious leaders"),
        _TRUST,
    ),
    _mean10(
        "trust_humanitarian",
        _("Mean trust in humanitarian organisations"),
        _("Humanitarian organisations"),
        _TRUST,
    ),
    _mean10("trust_host_newcomers", _("Mean trust between the host community and newcomers")),
    _share("safe_after_dark", _("Share who feel safe walking alone after dark")),
    _share(
        "step_visibility", _("Inclusion step 1: share who feel visible"), _("Visibility"), _STEPS
    ),
    _share(
        "step_consideration",
        _("Inclusion step 2: share whose needs are considered"),
        _("Consideration"),
        _STEPS,
    ),
    _share(
        "step_interaction",
        _("Inclusion step 3: share with access to social interaction"),
        _("Social interaction"),
        _STEPS,
    ),
    _share(
        "step_rights", _("Inclusion step 4: share who can use their rights"), _("Rights"), _STEPS
    ),
    _share(
        "step_resources",
        _("Inclusion step 5: share with access to resources"),
        _("Resources"),
        _STEPS,
    ),
    _share("discriminated", _("Share discriminated against in the last 12 months")),
    _share(
        "ground_ethnicity",
        _("Discriminated on grounds of ethnicity or appearance (share)"),
        _("Ethnicity or appearance"),
        _GROUNDS,
    ),
    _share(
        "ground_nationality",
        _("Discriminated on grounds of nationality or migration status (share)"),
        _("Nationality or migration status"),
        _GROUNDS,
    ),
    _share(
        "ground_religion",
        _("Discriminated on grounds of religion or belief (share)"),
        _("Religion or belief"),
        _GROUNDS,
    ),
    _share(
        "ground_language",
        _("Discriminated on grounds of language (share)"),
        _("Language"),
        _GROUNDS,
    ),
    _share(
        "ground_sex_gender",
        _("Discriminated on grounds of sex or gender (share)"),
        _("Sex or gender"),
        _GROUNDS,
    ),
    _share("ground_age", _("Discriminated on grounds of age (share)"), _("Age"), _GROUNDS),
    _share(
        "ground_disability",
        _("Discriminated on grounds of disability (share)"),
        _("Disability"),
        _GROUNDS,
    ),
    _share(
        "ground_sexual_orientation",
        _("Discriminated on grounds of sexual orientation (share)"),
        _("Sexual orientation"),
        _GROUNDS,
    ),
    _share(
        "ground_political",
        _("Discriminated on grounds of political or other opinion (share)"),
        _("Political or other opinion"),
        _GROUNDS,
    ),
    _share(
        "ground_social_origin",
        _("Discriminated on grounds of social origin (share)"),
        _("Social origin"),
        _GROUNDS,
    ),
    _share(
        "ground_income",
        _("Discriminated on grounds of income or property (share)"),
        _("Income or property"),
        _GROUNDS,
    ),
    _share(
        "ground_health",
        _("Discriminated on grounds of health status (share)"),
        _("Health status"),
        _GROUNDS,
    ),
    _share(
        "ground_other", _("Discriminated on another ground (share)"), _("Another ground"), _GROUNDS
    ),
    _share("setting_work", _("Discriminated at work (share)"), _("Work"), _SETTINGS),
    _share(
        "setting_job_seeking",
        _("Discriminated when looking for work (share)"),
        _("Looking for work"),
        _SETTINGS,
    ),
    _share(
        "setting_health_care",
        _("Discriminated in health care (share)"),
        _("Health care"),
        _SETTINGS,
    ),
    _share(
        "setting_school",
        _("Discriminated in school or education (share)"),
        _("School or education"),
        _SETTINGS,
    ),
    _share("setting_housing", _("Discriminated in housing (share)"), _("Housing"), _SETTINGS),
    _share("setting_police", _("Discriminated by the police (share)"), _("Police"), _SETTINGS),
    _share(
        "setting_courts",
        _("Discriminated in courts or justice (share)"),
        _("Courts or justice"),
        _SETTINGS,
    ),
    _share(
        "setting_transport",
        _("Discriminated in public transport (share)"),
        _("Public transport"),
        _SETTINGS,
    ),
    _share(
        "setting_shops",
        _("Discriminated in shops and services (share)"),
        _("Shops and services"),
        _SETTINGS,
    ),
    _share(
        "setting_public_offices",
        _("Discriminated in public offices (share)"),
        _("Public offices"),
        _SETTINGS,
    ),
    _share(
        "setting_neighbours",
        _("Discriminated by neighbours or the community (share)"),
        _("Neighbours or community"),
        _SETTINGS,
    ),
    _share(
        "setting_online",
        _("Discriminated online or on the phone (share)"),
        _("Online or phone"),
        _SETTINGS,
    ),
    _share(
        "setting_other", _("Discriminated somewhere else (share)"), _("Somewhere else"), _SETTINGS
    ),
    _share("reported", _("Share of those discriminated against who reported it")),
    _share(
        "reported_to_police",
        _("Reported discrimination to the police (share)"),
        _("Police"),
        _CHANNELS,
    ),
    _share(
        "reported_to_local_authority",
        _("Reported discrimination to a local authority (share)"),
        _("Local authority"),
        _CHANNELS,
    ),
    _share(
        "reported_to_community_leader",
        _("Reported discrimination to a community or religious leader (share)"),
        _("Community or religious leader"),
        _CHANNELS,
    ),
    _share("reported_to_ngo", _("Reported discrimination to an NGO (share)"), _("NGO"), _CHANNELS),
    _share(
        "reported_to_human_rights",
        _("Reported discrimination to a human rights institution (share)"),
        _("Human rights institution"),
        _CHANNELS,
    ),
    _share(
        "reported_to_employer",
        _("Reported discrimination to an employer, union or school (share)"),
        _("Employer, union or school"),
        _CHANNELS,
    ),
    _share(
        "reported_to_family",
        _("Told family or friends about discrimination (share)"),
        _("Family or friends"),
        _CHANNELS,
    ),
    _share(
        "reported_to_other",
        _("Reported discrimination to someone else (share)"),
        _("Someone else"),
        _CHANNELS,
    ),
    _feedback_count(
        "feedback_type_question",
        "feedback_type",
        "question",
        _("Feedback received: questions"),
        _("Questions"),
        _TYPES,
    ),
    _feedback_count(
        "feedback_type_suggestion",
        "feedback_type",
        "suggestion",
        _("Feedback received: suggestions"),
        _("Suggestions"),
        _TYPES,
    ),
    _feedback_count(
        "feedback_type_complaint",
        "feedback_type",
        "complaint",
        _("Feedback received: complaints"),
        _("Complaints"),
        _TYPES,
    ),
    _feedback_count(
        "feedback_type_thanks",
        "feedback_type",
        "thanks",
        _("Feedback received: thanks"),
        _("Thanks"),
        _TYPES,
    ),
    _feedback_count(
        "feedback_type_discrimination",
        "feedback_type",
        "discrimination",
        _("Feedback received: reports of discrimination"),
        _("Reports of discrimination"),
        _TYPES,
    ),
    _feedback_count(
        "feedback_topic_health", "topic", "health", _("Feedback about health"), _("Health"), _TOPICS
    ),
    _feedback_count(
        "feedback_topic_education",
        "topic",
        "education",
        _("Feedback about education"),
        _("Education"),
        _TOPICS,
    ),
    _feedback_count(
        "feedback_topic_water",
        "topic",
        "water",
        _("Feedback about water, sanitation and hygiene"),
        _("Water, sanitation and hygiene"),
        _TOPICS,
    ),
    _feedback_count(
        "feedback_topic_food", "topic", "food", _("Feedback about food"), _("Food"), _TOPICS
    ),
    _feedback_count(
        "feedback_topic_shelter",
        "topic",
        "shelter",
        _("Feedback about shelter and housing"),
        _("Shelter and housing"),
        _TOPICS,
    ),
    _feedback_count(
        "feedback_topic_protection",
        "topic",
        "protection",
        _("Feedback about safety and protection"),
        _("Safety and protection"),
        _TOPICS,
    ),
    _feedback_count(
        "feedback_topic_livelihoods",
        "topic",
        "livelihoods",
        _("Feedback about work and livelihoods"),
        _("Work and livelihoods"),
        _TOPICS,
    ),
    _feedback_count(
        "feedback_topic_documents",
        "topic",
        "documents",
        _("Feedback about documents and legal help"),
        _("Documents and legal help"),
        _TOPICS,
    ),
    _feedback_count(
        "feedback_topic_staff_conduct",
        "topic",
        "staff_conduct",
        _("Feedback about the behaviour of staff or volunteers"),
        _("Behaviour of staff or volunteers"),
        _TOPICS,
    ),
    _feedback_count(
        "feedback_topic_community",
        "topic",
        "community",
        _("Feedback about relations in the community"),
        _("Relations in the community"),
        _TOPICS,
    ),
    _feedback_count(
        "feedback_topic_other",
        "topic",
        "other",
        _("Feedback about something else"),
        _("Something else"),
        _TOPICS,
    ),
    Indicator(
        "incident_reports",
        COUNT,
        "form_id",
        REPORT,
        _("Discrimination incidents reported, by month of the incident"),
        UNIT_RECORDS,
        month_column="incident_month",
    ),
)
BY_ID = {indicator.id: indicator for indicator in INDICATORS}

FAMILIES = {
    _TRUST: _("Mean trust in institutions"),
    _STEPS: _("The five steps of inclusion"),
    _GROUNDS: _("Grounds of discrimination, among those discriminated against"),
    _SETTINGS: _("Where discrimination happened, among those discriminated against"),
    _CHANNELS: _("To whom discrimination was reported, among those discriminated against"),
    _TYPES: _("Community feedback by type"),
    _TOPICS: _("Community feedback by topic"),
}


# -- Estimates ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    """One group's estimate. Suppressed cells carry no numbers at all, n included.

    `reason` says why a cell is hidden: SMALL (fewer than k records) or COMPLEMENT (hidden
    so that a small cell cannot be worked out from the others).
    """

    group: str | None  # None: everyone (no disaggregation)
    n: int | None
    estimate: float | None
    ci_low: float | None
    ci_high: float | None
    suppressed: bool
    reason: str | None = None
    # With a survey design: the standard error, design effect and effective sample size.
    se: float | None = None
    deff: float | None = None
    effective_n: float | None = None


@dataclass(frozen=True)
class Result:
    indicator: str
    kind: str
    title: object
    unit: object
    k: int
    by: str | None
    cells: tuple[Cell, ...]
    scale_max: float | None = None
    where: dict = field(default_factory=dict)
    group_labels: dict = field(default_factory=dict)  # group value -> display label
    # The survey design the estimates follow (see `design_summary`), None: simple random
    # sampling is assumed.
    design: dict | None = None


# Two-sided 95% quantiles of Student's t, df = 1..29; from df 30 on, the normal 1.96.
_T95 = (
    12.706,
    4.303,
    3.182,
    2.776,
    2.571,
    2.447,
    2.365,
    2.306,
    2.262,
    2.228,
    2.201,
    2.179,
    2.160,
    2.145,
    2.131,
    2.120,
    2.110,
    2.101,
    2.093,
    2.086,
    2.080,
    2.074,
    2.069,
    2.064,
    2.060,
    2.056,
    2.052,
    2.048,
    2.045,
)


def t_quantile(df: int) -> float:
    """The 97.5th percentile of t with df degrees of freedom (no scipy on the server)."""
    if df < 1:
        raise ValueError("df must be at least 1")
    return _T95[df - 1] if df < 30 else Z95


def wilson(successes: float, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of a proportion: honest near 0 and 1 and for small n."""
    p = successes / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return max(0.0, centre - half), min(1.0, centre + half)


def mean_interval(n: int, total: float, squares: float) -> tuple[float, float | None, float | None]:
    """Mean and its t interval from count, sum and sum of squares (None for n < 2)."""
    mean = total / n
    if n < 2:
        return mean, None, None
    variance = max(0.0, (squares - total * total / n) / (n - 1))
    half = t_quantile(n - 1) * math.sqrt(variance / n)
    return mean, mean - half, mean + half


def _cell(kind: str, group, n, total, squares, reason: str | None) -> Cell:
    """A shown cell, or (with a reason) a hidden one that carries no number at all."""
    if reason is not None:
        return Cell(group, None, None, None, None, True, reason)
    n = int(n)
    if kind == COUNT:
        return Cell(group, n, float(n), None, None, False)
    if kind == SHARE:
        low, high = wilson(total, n)
        return Cell(group, n, 100 * total / n, 100 * low, 100 * high, False)
    return Cell(group, n, *mean_interval(n, total, squares), False)


def _check_k(k) -> int:
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ValueError("k must be a whole number of at least 1")
    return k


def _column_for(indicator: Indicator, dimension: str) -> str:
    return indicator.month_column if dimension == "month" else dimension


def _where_sql(indicator: Indicator, where: dict | None) -> tuple[str, list]:
    """`AND`-ed filters on dimension columns: names checked against a list, values bound."""
    clauses, params = [], []
    for key, value in (where or {}).items():
        if key not in FILTER_DIMENSIONS:
            raise ValueError(f"Cannot filter on {key!r}; use one of {', '.join(FILTER_DIMENSIONS)}")
        column = _column_for(indicator, key)
        values = list(value) if isinstance(value, (list, tuple, set, frozenset)) else [value]
        if not all(v is None or isinstance(v, str) for v in values):
            raise ValueError(f"Filter values for {key!r} must be text")
        known = [v for v in values if v is not None]
        parts = [f"{column} IN ({', '.join('?' * len(known))})"] if known else []
        parts += [f"{column} IS NULL"] if None in values else []
        clauses.append("(" + (" OR ".join(parts) or "1 = 0") + ")")
        params += known
    return "".join(f" AND {clause}" for clause in clauses), params


def _aggregates(indicator: Indicator, total) -> tuple[str, list]:
    """count, sum and sum of squares of the indicator's values, as SQL and its parameters
    (`total`: the engine's float sum, sync_server.database.Dialect.total)."""
    column = indicator.column
    if indicator.kind == COUNT and indicator.equals is not None:
        return f"count(CASE WHEN {column} = ? THEN 1 END), 0, 0", [indicator.equals]
    if indicator.kind == COUNT:
        return f"count({column}), 0, 0", []
    if indicator.kind == SHARE:
        # A share's spread follows from its proportion: no sum of squares to compute.
        return f"count({column}), {total(column)}, 0", []
    return f"count({column}), {total(column)}, {total(f'{column} * {column}')}", []


def compute(
    db, indicator_id: str, by: str | None = None, k: int = DEFAULT_K, where: dict | None = None
) -> Result:
    """One indicator, overall or by one dimension, with its hidden cells (see `protect`).

    Records whose `by` dimension is unknown form the group NOT_STATED. For incident
    reports, "month" (in `by` and `where`) is the month of the incident. The cells to hide
    are chosen with every other indicator of the same form in view, from one aggregate
    query over the form, so that no published table reveals a cell hidden in another.
    """
    indicator = BY_ID.get(indicator_id)
    if indicator is None:
        raise KeyError(indicator_id)
    if by is not None and by not in BY_DIMENSIONS:
        raise ValueError(f"Cannot disaggregate by {by!r}; use one of {', '.join(BY_DIMENSIONS)}")
    k = _check_k(k)
    tables, totals, memo = _cached_tables(db, indicator.form, by, where)
    hidden_totals = _memo(memo, ("totals", k), lambda: _hidden_totals(indicator.form, totals, k))
    cells: tuple[Cell, ...]
    if by is None:
        cells = (
            _cell(indicator.kind, None, *totals[indicator.id], hidden_totals.get(indicator.id)),
        )
    else:
        table, hidden = _memo(
            memo,
            ("cells", indicator.id, k),
            lambda: _hidden_cells(indicator, tables, hidden_totals, k, memo),
        )
        cells = tuple(
            _cell(indicator.kind, group, *table[group], hidden.get(group))
            for group in sorted(table, key=_natural)
        )
    result = Result(
        indicator.id,
        indicator.kind,
        indicator.title,
        indicator.unit,
        k,
        by,
        cells,
        indicator.scale_max,
        dict(where or {}),
        DISABILITY_LABELS if by == "disability" else {},
    )
    return _with_design(db, result, indicator, where)


def compare(db, family: str, k: int = DEFAULT_K, where: dict | None = None) -> Result:
    """Every indicator of a family side by side (trust per institution, grounds...).

    Each cell's group is a member indicator's id; `group_labels` gives its short label.
    A cell is the member's overall value, hidden exactly when `compute` hides it.
    """
    if family not in FAMILIES:
        raise KeyError(family)
    k = _check_k(k)
    members = [indicator for indicator in INDICATORS if indicator.family == family]
    _tables, totals, memo = _cached_tables(db, members[0].form, None, where)
    hidden = _memo(memo, ("totals", k), lambda: _hidden_totals(members[0].form, totals, k))
    cells = tuple(_cell(m.kind, m.id, *totals[m.id], hidden.get(m.id)) for m in members)
    result = Result(
        family,
        members[0].kind,
        FAMILIES[family],
        members[0].unit,
        k,
        None,
        cells,
        members[0].scale_max,
        dict(where or {}),
        {m.id: m.label for m in members},
    )
    return _with_design(db, result, None, where)


# -- Design-based estimates --------------------------------------------------------------
#
# With a survey design declared for the form (sync_server.designs), shares and means are
# weighted and their intervals follow the design (survey_design). The cells to hide are
# still chosen from the unweighted tables above (no weighted number is published for a
# hidden cell); a shown cell is hidden too when its records used, or its effective
# sample size, are under k: an estimate worth fewer than k independent answers is as
# fragile as a small cell. Counts stay counts.

_DESIGN_CACHE: OrderedDict = OrderedDict()


def _with_design(db, result: Result, indicator: Indicator | None, where: dict | None) -> Result:
    """`result` with design-based numbers, when its form has a design; else as it was."""
    if result.kind == COUNT or (indicator is None and not result.cells):
        return result
    # A family's cells are its members, all of one form.
    form = indicator.form if indicator else BY_ID[_member_id(None, result.cells[0])].form
    tables = _design_tables(db, form, result.by, where)
    if tables is None:
        return result
    summary = tables["summary"]
    if summary.get("error"):
        return replace(result, design=summary)
    cells = []
    for cell in result.cells:
        member = _member_id(indicator, cell)
        group = None if indicator is None or result.by is None else cell.group
        cells.append(
            cell
            if cell.suppressed
            else _design_cell(db, tables, member, group, cell.group, result.k)
        )
    return replace(result, cells=tuple(cells), design=summary)


def _member_id(indicator: Indicator | None, cell: Cell) -> str:
    """The indicator a cell shows: `indicator`, or in a family's table the cell's group."""
    if indicator is not None:
        return indicator.id
    assert cell.group is not None  # a family's cells are named by their member indicator
    return cell.group


def _design_cell(db, tables: dict, member: str, group, label, k: int) -> Cell:
    found = design_estimate(db, tables, member, group)
    if (
        found.n < k
        or found.estimate is None
        or (found.effective_n is not None and found.effective_n < k)
    ):
        return Cell(label, None, None, None, None, True, SMALL)
    # An estimate always comes with its standard error and interval (survey_design.estimate).
    assert found.se is not None and found.ci_low is not None and found.ci_high is not None
    scale = 100.0 if BY_ID[member].kind == SHARE else 1.0
    low, high = found.ci_low * scale, found.ci_high * scale
    if BY_ID[member].kind == SHARE:  # a share's interval stays within 0-100%
        low, high = max(0.0, low), min(100.0, high)
    return Cell(
        label,
        found.n,
        found.estimate * scale,
        low,
        high,
        False,
        None,
        found.se * scale,
        found.deff,
        found.effective_n,
    )


def design_estimate(db, tables: dict, member: str, group=None) -> sd.Estimate:
    """The design-based estimate of one indicator for one group (None: everyone)."""
    return sd.estimate(tables["design"], _domain(db, tables, member, group))


def _domain(db, tables: dict, member: str, group) -> sd.Domain:
    """One indicator's PSU totals in one group (None: everyone)."""
    groups, everyone = _member_sums(db, tables, member)
    sums = everyone if group is None else groups.get(group)
    if sums is None:
        sums = np.zeros_like(everyone)
    return sd.Domain(*(sums[:, i] for i in range(4)))


def _member_sums(db, tables: dict, member: str) -> tuple[dict, np.ndarray]:
    """({group: PSU totals}, everyone's) of one indicator: read from the design cube the
    first time it is asked for at this data version (a page shows one indicator: reading
    every indicator's rows at once would take seconds at a million records)."""
    sums = tables["sums"]
    if member not in sums:
        column = BY_ID[member].column
        sql, params = _member_sql(db, tables, column)
        rows = db.execute(sql, params).fetchall()
        groups, everyone = _group_sums(rows, 1, dict(tables, factors=None))
        with _CACHE_LOCK:
            sums[member] = ({g: parts[0] for g, parts in groups.items()}, everyone[0])
    return sums[member]


def _member_sql(db, tables: dict, column: str) -> tuple[str, list]:
    """One measure's rows of the design cube summed over calibration cells, each cell's
    sums times its factor (cells without population totals left out), per (group,
    stratum, PSU): a few thousand rows at most, whatever the number of records. The cell
    follows the breakdown in the cube's key: each cell is one range of it."""
    total = db.dialect.total
    factors = tables["factors"]
    if factors is None:
        factors = {"": 1.0}  # no calibration: every row's cell is ''
    values = ", ".join(["(?, CAST(? AS DOUBLE PRECISION))"] * len(factors))
    squares = "q" if column in _squared() else "s"  # a share's squares are its values
    sql = (
        f"WITH cal (cell, factor) AS (VALUES {values})"
        f" SELECT d.grp, d.stratum, d.psu, '', 0, 0, sum(d.c_{column}),"
        f" {total(f'd.w_{column} * cal.factor')}, {total(f'd.s_{column} * cal.factor')},"
        f" {total(f'd.{squares}_{column} * cal.factor')}"
        f" FROM cal JOIN design_cube d ON d.form_id = ? AND d.dim = ? AND d.cell = cal.cell"
        f" AND d.c_{column} <> 0 GROUP BY 1, 2, 3"
    )
    params = [value for item in factors.items() for value in item]
    return sql, params + [tables["form"], tables["by"] or ""]


def _group_sums(rows: list, members: int, tables: dict) -> tuple[dict, list]:
    """Rows of (group, stratum, psu, cell, n, w, then c, w, s, q per indicator) summed into
    PSU totals per group: ({group: [array per indicator]}, [everyone's array per indicator]).
    Calibration factors multiply the weighted sums of their cell; records of a cell without
    population totals are left out. Vectorized: a breakdown by month can be 100,000 rows."""
    design, index, factors, by = tables["design"], tables["index"], tables["factors"], tables["by"]
    width, psus = 4 * members, design.n_psus
    if not rows:
        return {}, [np.zeros((psus, 4)) for _ in range(members)]
    columns = list(zip(*rows, strict=True))
    data = np.array(columns[6:], dtype=float).T.reshape(len(rows), width)
    if factors is not None:
        cells, cell_code = np.unique(np.array(columns[3], dtype=str), return_inverse=True)
        factor = np.array([factors.get(cell, 0.0) for cell in cells.tolist()])[cell_code]
        data[:, 0::4] *= (factor > 0)[:, None]
        for offset in (1, 2, 3):
            data[:, offset::4] *= factor[:, None]
    positions = np.array(
        [index[key] for key in zip(columns[1], columns[2], strict=True)], dtype=np.int64
    )
    if by:
        unique, code = np.unique(
            np.array([g or NOT_STATED for g in columns[0]], dtype=str), return_inverse=True
        )
        labels: list[str] = unique.tolist()
    else:
        labels, code = [""], np.zeros(len(rows), dtype=np.int64)
    flat = code.ravel() * psus + positions
    sums = np.stack(
        [np.bincount(flat, data[:, j], len(labels) * psus) for j in range(width)], axis=1
    ).reshape(len(labels), psus, width)
    everyone = sums.sum(axis=0)
    groups = (
        {
            label: [sums[i][:, 4 * j : 4 * j + 4] for j in range(members)]
            for i, label in enumerate(labels)
        }
        if by
        else {}
    )
    return groups, [everyone[:, 4 * j : 4 * j + 4] for j in range(members)]


def _design_tables(db, form: str, by: str | None, where: dict | None) -> dict | None:
    """PSU totals of every share and mean of the form, per group, cached per facts version
    (declaring or clearing a design changes it). None when the form has no design."""
    definition = design_of(db, form)
    if definition is None:
        return None
    return _cached(
        _DESIGN_CACHE,
        db,
        form,
        by,
        where,
        lambda: _read_design_tables(db, form, by, where, definition),
    )


def design_summary(
    definition: dict, design: sd.Design | None, used: int, left_out: int, error: str | None = None
) -> dict:
    """What a page says about the design: strata, clusters, records used and left out."""
    calibration = definition.get("calibration")
    return {
        "stratum": definition.get("stratum"),
        "cluster": definition.get("cluster"),
        "weight": definition.get("weight"),
        "calibration": calibration["method"] if calibration else None,
        "calibration_variables": list(calibration["totals"]) if calibration else [],
        "fpc": definition.get("fpc") is not None,
        "lonely_psu": definition.get("lonely_psu", sd.ADJUST),
        "strata": design.n_strata if design else 0,
        "clusters": design.n_psus if design else 0,
        "df": design.df if design else None,
        "records": used,
        "left_out": left_out,
        "error": error,
    }


def _read_design_tables(
    db, form: str, by: str | None, where: dict | None, definition: dict
) -> dict:
    """The design over the form's units and its calibration factors; each indicator's PSU
    totals are read when first asked for (`_member_sums`), or, with filters (which the
    design cube does not hold), all at once by one aggregate over the facts."""
    members = [m for m in _members(form) if m.kind != COUNT]
    with db.snapshot():
        units = db.execute(
            "SELECT stratum, psu, cell, n, w FROM design_cube WHERE form_id = ? AND dim = ''",
            [form],
        ).fetchall()
        # Every record of the form has its units row: those not in the cube lack a value.
        records = db.execute(
            "SELECT coalesce(sum(n), 0) FROM facts_cube WHERE form_id = ?", [form]
        ).fetchone()[0]
        left_out = max(0, records - sum(int(u[3]) for u in units))
        rows = None
        if where and members:
            sql, params = _design_sql(form, by, where, members, definition, db.dialect.total)
            rows = db.execute(sql, params).fetchall()
    design, index = _design_of_units(units, definition)
    used = sum(int(u[3]) for u in units)
    if not index:
        return {
            "summary": design_summary(
                definition, design, 0, left_out, "no records with every design variable"
            )
        }
    try:
        factors, uncalibrated = _cell_factors(units, definition)
    except sd.CalibrationError as error:
        return {"summary": design_summary(definition, design, 0, used + left_out, str(error))}
    tables: dict[str, Any] = {
        "summary": design_summary(definition, design, used - uncalibrated, left_out + uncalibrated),
        "design": design,
        "index": index,
        "factors": factors,
        "form": form,
        "by": by,
        "sums": {},
    }
    if rows is not None:
        groups, everyone = _group_sums(rows, len(members), tables)
        for j, member in enumerate(members):
            tables["sums"][member.id] = ({g: parts[j] for g, parts in groups.items()}, everyone[j])
    return tables


def _design_of_units(units: list, definition: dict) -> tuple[sd.Design, dict]:
    """The Design over every (stratum, cluster) with usable records, and each one's index."""
    pairs = sorted({(u[0], u[1]) for u in units})
    strata = sorted({stratum for stratum, _psu in pairs})
    code = {name: i for i, name in enumerate(strata)}
    fpc = definition.get("fpc")
    sizes = np.array(
        [
            float(fpc.get(name, np.nan))
            if isinstance(fpc, dict)
            else (float(fpc) if fpc is not None else np.nan)
            for name in strata
        ]
    )
    design = sd.Design(
        np.array([code[stratum] for stratum, _psu in pairs], dtype=np.int64),
        sizes,
        definition.get("lonely_psu", sd.ADJUST),
    )
    return design, {pair: i for i, pair in enumerate(pairs)}


def _cell_factors(units: list, definition: dict) -> tuple[dict | None, int]:
    """({cell: calibration factor}, records left out), or (None, 0) without calibration.

    Raking the table of cells is raking the records: every record of a cell gets its
    cell's factor. Records in a category without a population total (or unknown) cannot
    be weighted to the population: they are left out, and counted."""
    calibration = definition.get("calibration")
    if not calibration:
        return None, 0
    totals = calibration["totals"]
    names = list(totals)
    cells: dict = {}
    for _stratum, _psu, cell, n, weight in units:
        base = cells.setdefault(cell, [0.0, 0])
        base[0] += weight
        base[1] += int(n)
    usable = [
        c
        for c in cells
        if all(v in totals[name] for v, name in zip(c.split("|"), names, strict=False))
    ]
    left_out = sum(cells[c][1] for c in cells if c not in usable)
    if not usable:
        raise sd.CalibrationError("no records in any category with a population total")
    base = np.array([cells[c][0] for c in usable])
    margins = {name: np.array([c.split("|")[i] for c in usable]) for i, name in enumerate(names)}
    adjusted = sd.calibrate(base, margins, totals)
    return {c: float(a / b) for c, a, b in zip(usable, adjusted, base, strict=True)}, left_out


def _design_sql(form: str, by, where, members, definition: dict, total):
    """One aggregate over facts joined to units, with filters: per (group, stratum, PSU,
    calibration cell), the records and their base weight, and for each indicator the
    records answering and the sums of w, w*y and w*y*y."""
    sums = []
    for member in members:
        c = f"f.{member.column}"
        sums.append(
            f"count({c}), {total(f'CASE WHEN {c} IS NOT NULL THEN u.weight END')},"
            f" {total(f'u.weight * {c}')}, {total(f'u.weight * {c} * {c}')}"
        )
    group = f"coalesce(f.{_column_for(members[0], by)}, '')" if by else "''"
    filters, filter_params = _where_sql(members[0], where)
    sql = (
        f"SELECT {group}, u.stratum, {PSU_SQL}, {_cell_sql(definition)}, count(*),"
        f" {total('u.weight')}, {', '.join(sums)} FROM facts f"
        f" JOIN survey_units u ON u.form_id = f.form_id AND u.uuid = f.uuid"
        f" WHERE f.form_id = ? AND {COMPLETE}{filters} GROUP BY 1, 2, 3, 4"
    )
    return sql, [form] + filter_params


# -- The design cube: PSU sums kept up to date ------------------------------------------
#
# One aggregate over a million facts joined to their units takes tens of seconds: too slow
# for a page. As the facts cube does for simple estimates, `design_cube` keeps, for each
# breakdown (`dim`, '' for everyone) and group, stratum, cluster and calibration cell (the record's
# categories of the variables weighted to population totals), the records, their base
# weight and, per measure, the records answering and the sums of w, w*y and w*y*y, all in
# one row (columns c_, w_, s_ and q_ of each measure). It is updated with the facts
# (refresh_facts) and built in steps when a design is declared. A view reads thousands of
# its rows; the calibration factors multiply them per cell.


def _design_measures() -> tuple:
    return tuple(dict.fromkeys(m.column for m in INDICATORS if m.kind != COUNT))


def _squared() -> frozenset:
    """The measures whose weighted squares are kept: means. A share's values are 0 or 1,
    so its weighted squares are its weighted values (s), exactly."""
    return frozenset(m.column for m in INDICATORS if m.kind == MEAN)


def _design_columns() -> list[str]:
    """The design cube's measure columns (m006): an indicator over a new facts column,
    or a share that becomes a mean, needs a migration that adds its columns."""
    squared = _squared()
    return [
        f"{prefix}_{name}"
        for name in _design_measures()
        for prefix in (("c", "w", "s", "q") if name in squared else ("c", "w", "s"))
    ]


def _design_cube_forms(db) -> tuple[dict, dict]:
    """({form: its design} for the forms that have one, {form: the last uuid done} for
    those whose design is being built: their sums hold the records up to it only)."""
    rows = db.execute("SELECT form_id, definition, built_through FROM survey_designs").fetchall()
    return (
        {row[0]: json.loads(row[1]) for row in rows},
        {row[0]: row[2] for row in rows if row[2] is not None},
    )


def rebuild_design_cube(db, form_id: str) -> None:
    """The design cube of one form, from its facts and units (its design just changed),
    a few thousand records at a time (memory stays flat at a million records)."""
    db.execute("DELETE FROM design_cube WHERE form_id = ?", [form_id])
    definition = design_of(db, form_id)
    if definition is None:
        return
    done = ""
    while True:
        found = db.execute(
            "SELECT max(uuid), count(*) FROM (SELECT uuid FROM facts WHERE form_id = ?"
            " AND uuid > ? ORDER BY uuid LIMIT ?) AS chunk",
            [form_id, done, _REBUILD_CHUNK],
        ).fetchone()
        if not found[1]:
            return
        span = [done, found[0]]
        _design_cube_add(db, {form_id: definition}, "f.uuid > ? AND f.uuid <= ?", span, +1)
        done = found[0]


_REBUILD_CHUNK = 5000


def _cell_sql(definition: dict) -> str:
    calibration = definition.get("calibration")
    if not calibration:
        return "''"
    # Names come from designs.CALIBRATION_VARIABLES, checked when the design was declared.
    return " || '|' || ".join(f"coalesce(f.{name}, '')" for name in calibration["totals"])


def _design_delta(
    db, form_id: str, definition: dict, member: Indicator, where: str, params: list, sign: int
) -> list[list]:
    """The design sums of a form's facts matching `where`, times `sign`, per breakdown
    (every dimension, and "" for everyone), group, stratum, cluster and calibration cell:
    rows of the design cube (keys, n, the sum of weights, then per measure the count, the
    sum of weights, of weighted values and of weighted squares).

    One read of the facts with their units, summed here (numpy): every measure of every
    breakdown in one pass, rather than one SQL aggregate of a few hundred sums per breakdown.
    """
    measures = _design_measures()
    groups = [f"coalesce(f.{_column_for(member, dim)}, '')" for dim in CUBE_DIMENSIONS]
    rows = db.execute(
        f"SELECT u.stratum, {PSU_SQL}, {_cell_sql(definition)}, u.weight, {', '.join(groups)},"
        f" {', '.join(f'f.{m}' for m in measures)} FROM facts f JOIN survey_units u"
        f" ON u.form_id = f.form_id AND u.uuid = f.uuid"
        f" WHERE f.form_id = ? AND {COMPLETE} AND {where}",
        [form_id, *params],
    ).fetchall()
    if not rows:
        return []
    columns = list(zip(*rows, strict=True))
    weight = np.array(columns[3], dtype=float)
    values = np.array(columns[4 + len(groups) :], dtype=float).T  # records x measures; NaN: NULL
    present = ~np.isnan(values)
    known = np.where(present, values, 0.0)
    weighted = weight[:, None] * known
    # Per record: count, weight, weighted value, weighted square of every measure (c, w, s, q),
    # as SQL's count(m), total(CASE ... weight), total(weight * m), total(weight * m * m).
    parts = np.stack(
        [present, np.where(present, weight[:, None], 0.0), weighted, weighted * known], axis=2
    )
    squared = _squared()
    kept = [[True, True, True, m in squared] for m in measures]  # as _design_columns
    parts = parts[:, np.array(kept)]
    table = sign * np.column_stack([np.ones(len(rows)), weight, parts])  # n, w, the measures
    units: dict = {}  # (stratum, cluster, cell) of each record, as a number
    unit = np.array([units.setdefault(key, len(units)) for key in zip(*columns[:3], strict=True)])
    unit_keys = np.empty((len(units), 4), dtype=object)  # (cell, grp, stratum, psu) less grp
    unit_keys[:] = [(cell, "", stratum, psu) for stratum, psu, cell in units]
    delta: list = []
    for dim, group in zip(
        ("", *CUBE_DIMENSIONS), [None, *columns[4 : 4 + len(groups)]], strict=True
    ):
        labels: dict = {"": 0}
        if group is not None:
            code = np.array([labels.setdefault(g, len(labels)) for g in group])
        else:
            code = np.zeros(len(rows), dtype=np.int64)
        slots, slot = np.unique(code * len(units) + unit, return_inverse=True)
        order = np.argsort(slot, kind="stable")  # each group's records together, in order
        starts = np.flatnonzero(np.diff(slot[order], prepend=-1))
        sums = np.add.reduceat(table[order], starts, axis=0)
        # The rows as Python lists in one go: keys, n (an integer), then the sums.
        out = np.empty((len(slots), 6 + sums.shape[1]), dtype=object)
        out[:, 0], out[:, 1] = form_id, dim
        out[:, 2:6] = unit_keys[slots % len(units)]
        out[:, 3] = np.array(list(labels), dtype=object)[slots // len(units)]
        out[:, 6] = np.rint(sums[:, 0]).astype(np.int64)
        out[:, 7:] = sums[:, 1:]
        delta += out.tolist()
    return delta


_DESIGN_KEYS = "form_id, dim, cell, grp, stratum, psu"


def _design_upsert() -> str:
    columns = ["n", "w", *_design_columns()]
    return (
        f"INSERT INTO design_cube ({_DESIGN_KEYS}, {', '.join(columns)})"
        f" VALUES ({', '.join('?' * (6 + len(columns)))}) ON CONFLICT ({_DESIGN_KEYS})"
        f" DO UPDATE SET {', '.join(f'{c} = design_cube.{c} + excluded.{c}' for c in columns)}"
    )


def _copy_upsert(db, delta: list[list]) -> None:
    """The upsert on PostgreSQL: the rows copied into a temporary table (COPY), then added
    by one statement, summed per key (a batch's rows taken away and added back), in key
    order: concurrent transactions lock shared rows in the same order. One statement per
    row costs the server 2-3 times as much (thousands of rows a batch). Rows taken from
    that come down to no record go."""
    sql = _design_upsert()
    columns = sql[sql.index("(") + 1 : sql.index(")")]
    sums = ", ".join(f"sum({c})" for c in ["n", "w", *_design_columns()])
    db.execute(
        "CREATE TEMP TABLE IF NOT EXISTS design_delta (LIKE design_cube) ON COMMIT DELETE ROWS"
    )
    with db.conn.cursor() as cursor:
        with cursor.copy(f"COPY design_delta ({columns}) FROM STDIN") as copy:
            for row in delta:
                copy.write_row(row)
    db.execute(
        f"INSERT INTO design_cube ({columns}) SELECT {_DESIGN_KEYS}, {sums} FROM design_delta"
        f" GROUP BY {_DESIGN_KEYS} ORDER BY {_DESIGN_KEYS}{sql[sql.index(' ON CONFLICT') :]}"
    )
    if any(row[6] < 0 for row in delta):
        db.execute(
            f"DELETE FROM design_cube WHERE n = 0 AND ({_DESIGN_KEYS}) IN"
            f" (SELECT {_DESIGN_KEYS} FROM design_delta WHERE n < 0)"
        )
    db.execute("DELETE FROM design_delta")  # a transaction may add several deltas


def _design_cube_add(
    db,
    designed: dict,
    where: str,
    params: list,
    sign: int,
    built_through: dict | None = None,
    gathered: list | None = None,
) -> None:
    """Add (+1) or take away (-1) the design sums of the facts matching `where`; of a
    form whose design is being built, those up to its last uuid done (`built_through`).

    The sums of every breakdown (_design_delta), then one upsert of a wide row per
    (breakdown, group, stratum, cluster, cell): every measure of the cell at once.
    `gathered`: the rows are added to this list instead, for one upsert later
    (_copy_upsert, PostgreSQL)."""
    for form_id, definition in designed.items():
        members = [m for m in _members(form_id) if m.kind != COUNT]
        if not members:
            continue
        done = (built_through or {}).get(form_id)
        delta = _design_delta(
            db,
            form_id,
            definition,
            members[0],
            where if done is None else f"{where} AND f.uuid <= ?",
            params if done is None else [*params, done],
            sign,
        )
        if not delta:
            continue
        if gathered is not None:
            gathered += delta
        elif db.dialect.name == "postgresql":
            _copy_upsert(db, delta)
        else:
            db.executemany(_design_upsert(), delta)
        if sign < 0 and db.dialect.name != "postgresql":  # rows at zero records go
            db.executemany(
                "DELETE FROM design_cube WHERE form_id = ? AND dim = ? AND cell = ? AND grp = ?"
                " AND stratum = ? AND psu = ? AND n = 0",
                [row[:6] for row in delta],
            )


# -- Gaps between groups, and changes between months -------------------------------------


@dataclass(frozen=True)
class Gaps:
    """Each shown group of a breakdown against the rest (or a reference group)."""

    result: Result
    reference: str | None
    comparisons: tuple  # survey_design.Comparison, in the result's group order


def gaps(
    db,
    indicator_id: str,
    by: str,
    k: int = DEFAULT_K,
    where: dict | None = None,
    reference: str | None = None,
) -> Gaps:
    """The difference between each group and the rest of the sample (or `reference`), with
    its 95% interval and a flag where it is significant after Holm's correction over the
    groups compared. Only groups shown by `compute` are compared: a hidden cell gets no
    number here either. With a survey design the differences are design-based (domains over
    the whole design, covariance included); without, independent simple random samples.
    """
    result = compute(db, indicator_id, by=by, k=k, where=where)
    if by is None or result.kind == COUNT:
        raise ValueError("Gaps compare the groups of a breakdown of a share or a mean")
    shown = [cell.group for cell in result.cells if not cell.suppressed]
    if reference is not None and reference not in shown:
        raise ValueError(f"The reference group {reference!r} is not shown")
    scale = 100.0 if result.kind == SHARE else 1.0
    indicator = BY_ID[indicator_id]
    tables = _design_tables(db, indicator.form, by, where)
    if tables is not None and not tables["summary"].get("error"):
        domains = {g: _domain(db, tables, indicator_id, g) for g in shown}
        found = sd.compare_domains(
            tables["design"], domains, _domain(db, tables, indicator_id, None), reference
        )
    else:
        group_tables, totals, _memo_ = _cached_tables(db, indicator.form, by, where)
        found = _srs_comparisons(
            result.kind, group_tables[indicator_id], totals[indicator_id], shown, reference
        )
    return Gaps(result, reference, tuple(_scaled(c, scale) for c in found))


def _scaled(comparison: sd.Comparison, scale: float) -> sd.Comparison:
    def times(value):
        return None if value is None else value * scale

    return replace(
        comparison,
        difference=times(comparison.difference),
        se=times(comparison.se),
        ci_low=times(comparison.ci_low),
        ci_high=times(comparison.ci_high),
    )


def _srs_comparisons(
    kind: str, table: dict, total: tuple, shown: list, reference: str | None
) -> list:
    """Group against the rest as two independent simple random samples (Welch's SE)."""
    results = []
    for group in shown:
        if group == reference:
            continue
        first = table[group]
        second = (
            table[reference]
            if reference is not None
            else tuple(a - b for a, b in zip(total, first, strict=True))
        )
        results.append(_srs_difference(kind, group, reference, first, second))
    adjusted = sd.holm([c.p_value for c in results])
    return [
        replace(c, p_adjusted=a, significant=a is not None and a < 0.05)
        for c, a in zip(results, adjusted, strict=True)
    ]


def _srs_difference(kind, group, reference, first, second) -> sd.Comparison:
    parts = []
    for n, total, squares in (first, second):
        if n < 2:
            return sd.Comparison(group, reference, None, None, None, None, None)
        mean = total / n
        variance = (
            mean * (1 - mean) * n / (n - 1)
            if kind == SHARE
            else max(0.0, (squares - total * total / n) / (n - 1))
        )
        parts.append((mean, variance / n, n))
    (m1, v1, n1), (m2, v2, n2) = parts
    se = math.sqrt(v1 + v2)
    value = m1 - m2
    df = max(1, int(n1 + n2 - 2))
    p = sd.t_cdf_two_sided(value / se, df) if se > 0 else (0.0 if value else 1.0)
    half = sd.t_quantile(df) * se
    return sd.Comparison(group, reference, value, se, value - half, value + half, p)


def change(
    db, indicator_id: str, first: str, second: str, k: int = DEFAULT_K, where: dict | None = None
) -> sd.Comparison | None:
    """The change of an indicator from month `first` to month `second` (second - first),
    tested as `gaps` tests a difference. None when either month is hidden or empty."""
    result = compute(db, indicator_id, by="month", k=k, where=where)
    shown = {cell.group for cell in result.cells if not cell.suppressed}
    if first not in shown or second not in shown or result.kind == COUNT:
        return None
    indicator = BY_ID[indicator_id]
    scale = 100.0 if result.kind == SHARE else 1.0
    tables = _design_tables(db, indicator.form, "month", where)
    if tables is not None and not tables["summary"].get("error"):
        design = tables["design"]
        found = sd.difference(
            design,
            _domain(db, tables, indicator_id, second),
            _domain(db, tables, indicator_id, first),
        )
        if found is None:
            return None
        value, se = found
        p = sd.t_cdf_two_sided(value / se, design.df) if se > 0 else (0.0 if value else 1.0)
        half = sd.t_quantile(design.df) * se
        comparison = sd.Comparison(
            second, first, value, se, value - half, value + half, p, p, p < 0.05
        )
    else:
        table = _cached_tables(db, indicator.form, "month", where)[0][indicator_id]
        comparison = _srs_difference(result.kind, second, first, table[second], table[first])
        comparison = replace(
            comparison,
            p_adjusted=comparison.p_value,
            significant=comparison.p_value is not None and comparison.p_value < 0.05,
        )
    return _scaled(comparison, scale)


def _natural(group) -> tuple:
    """Sort "5-9" before "10-14": numbers in a group name compare as numbers."""
    parts = re.split(r"(\d+)", group or "")
    return tuple((0, int(p), "") if p.isdecimal() else (1, 0, p) for p in parts if p)


# -- Reading a form's tables -------------------------------------------------------------


def _members(form: str) -> list[Indicator]:
    return [indicator for indicator in INDICATORS if indicator.form == form]


_CACHE: OrderedDict = OrderedDict()
_CACHE_SIZE = 64
_CACHE_LOCK = threading.Lock()


def _cached_tables(
    db, form: str, by: str | None, where: dict | None
) -> tuple[Tables, dict[str, Sums], dict]:
    """`_form_tables` and a memo of what is worked out from them (which cells to hide), kept
    per database and facts version: a view after the first is quick.

    A form's tables hold every indicator of the form, so reading them takes longer than one
    indicator's query; the dashboard reads them once per change of the data.
    """
    _where_sql(_members(form)[0], where)  # bad filters fail here, before the cache
    return _cached(_CACHE, db, form, by, where, lambda: (*_form_tables(db, form, by, where), {}))


def _cached(
    cache: OrderedDict, db, form: str, by: str | None, where: dict | None, work: Callable[[], Any]
) -> Any:
    """work(), kept in `cache` (the _CACHE_SIZE most recent) per database, facts version,
    form, breakdown and filter: any change of the data changes the facts version."""
    token = db.execute("SELECT token FROM facts_version").fetchone()
    key = (db.name, token[0], form, by, json.dumps(_frozen(where), sort_keys=True))
    with _CACHE_LOCK:
        if key in cache:
            cache.move_to_end(key)
            return cache[key]
    value = work()
    with _CACHE_LOCK:
        cache[key] = value
        while len(cache) > _CACHE_SIZE:
            cache.popitem(last=False)
    return value


def _memo(memo: dict, key, work: Callable[[], _T]) -> _T:
    """memo[key], worked out once (results are never changed after)."""
    if key not in memo:
        memo[key] = work()
    return memo[key]


def _frozen(where: dict | None) -> dict:
    """Filters as JSON-able, comparable values (sets and tuples as sorted lists)."""
    return {
        key: sorted(value, key=str) if isinstance(value, (list, tuple, set, frozenset)) else value
        for key, value in (where or {}).items()
    }


def _form_tables(
    db, form: str, by: str | None, where: dict | None, cube: bool | None = None
) -> tuple[Tables, dict[str, Sums]]:
    """Every indicator of a form by `by`, in one aggregate query over the cube or the facts.

    The cube is read when it holds everything asked (`cube` forces a choice). Returns
    ({indicator: {group: (n, sum, sum of squares)}}, {indicator: total}). A group
    is in a share's or mean's table when someone in it answered; a count's table has every
    group the form has records in, zeros included.
    """
    members = _members(form)
    if cube is None:
        cube = all(_uses_cube(member, where) for member in members)
    cube_filters = _cube_where(where) if cube else None
    if cube:
        assert cube_filters is not None, "the cube holds no locale: read the facts for it"
        filters, params = cube_filters
        group = by or "''"
        sql = (
            f"SELECT {group}, {', '.join(_cube_sums(m) for m in members)} FROM facts_cube"
            f" WHERE form_id = ?{filters}"
        )
        params = [form] + params
    else:
        parts = [_aggregates(member, db.dialect.total) for member in members]
        filters, filter_params = _where_sql(members[0], where)
        group = f"coalesce({_column_for(members[0], by)}, '')" if by else "''"
        sql = (
            f"SELECT {group}, {', '.join(part for part, _params in parts)} FROM facts"
            f" WHERE form_id = ?{filters}"
        )
        params = [p for _part, part_params in parts for p in part_params] + [form] + filter_params
    if by:
        sql += " GROUP BY 1"
    tables: Tables = {member.id: {} for member in members}
    totals: dict[str, Sums] = {member.id: (0, 0.0, 0.0) for member in members}
    for row in db.execute(sql, params):
        for i, member in enumerate(members):
            n, total, squares = row[1 + 3 * i : 4 + 3 * i]
            value = (int(n or 0), float(total or 0), float(squares or 0))
            count, total_sum, square_sum = totals[member.id]
            totals[member.id] = (count + value[0], total_sum + value[1], square_sum + value[2])
            if by and (value[0] or member.kind == COUNT):
                tables[member.id][row[0] or NOT_STATED] = value
    return tables, totals


# -- Complementary suppression -----------------------------------------------------------
#
# A cell with fewer than k records is hidden ("small"). Hiding it alone protects nothing:
# every table is published with its total, so a lone hidden cell is the total minus the
# shown cells. `protect` hides further cells ("complement") until no hidden cell can be
# worked out, and indicators whose numbers are the same records (linked) hide the same
# groups. docs/privacy.md explains the rules and where they come from.

SMALL, COMPLEMENT = "small", "complement"
NOT_STATED = "_not_stated"  # the group of records whose dimension is unknown

# Asked only of those discriminated against: the number of people in these indicators' cells
# is the number discriminated against in the same group (the numerator of "discriminated").
_DISCRIMINATED = frozenset(
    ["discriminated", "reported"]
    + [f"ground_{name}" for name in GROUNDS]
    + [f"setting_{name}" for name in SETTINGS]
    + [f"reported_to_{name}" for name in CHANNELS]
)


def _hidden_totals(form: str, totals: dict, k: int) -> dict[str, str]:
    """Which indicators' overall values to hide, and why.

    A total under k is small. Members of a count family (feedback by type) add up to the
    form's total, so the family is a table too and gets complements. Indicators linked
    through those discriminated against are hidden together.
    """
    hidden = {name: SMALL for name, (n, _s, _q) in totals.items() if n < k}
    small = {name for name, (n, _s, _q) in totals.items() if 0 < n < k}
    for family in {m.family for m in _members(form) if m.kind == COUNT and m.family}:
        table = {m.id: totals[m.id] for m in _members(form) if m.family == family}
        for name in protect([(COUNT, table)], k):
            hidden.setdefault(name, COMPLEMENT)
    if _DISCRIMINATED & small:  # an empty table has nothing to give away
        for name in _DISCRIMINATED & set(totals):
            hidden.setdefault(name, COMPLEMENT)
    return hidden


def protect(tables: list[tuple[str, dict]], k: int) -> set:
    """The groups to hide in one-dimensional tables published with their totals.

    `tables` are (kind, {group: (n, sum, sum of squares)}) of linked indicators: they
    hide the same groups, so that the shown cells of one cannot give away a hidden cell of
    another. Groups with n < k are hidden first; then, while some table is not safe (see
    `_table_safe`), the group that loses least information (the smallest n over the
    tables, among those that make more tables safe) is hidden as a complement.
    """
    hidden = {group for _kind, table in tables for group, cell in table.items() if cell[0] < k}
    groups = {group for _kind, table in tables for group in table}
    while True:
        unsafe = _unsafe(tables, hidden, k)
        candidates = sorted(groups - hidden, key=_natural)
        if not unsafe or not candidates:
            return hidden
        cost = {g: sum(table[g][0] for _kind, table in tables if g in table) for g in candidates}
        better = [g for g in candidates if _unsafe(tables, hidden | {g}, k) < unsafe]
        hidden.add(min(better or candidates, key=lambda g: cost[g]))


def _unsafe(tables: list[tuple[str, dict]], hidden: set, k: int) -> int:
    return sum(not _table_safe(kind, table, hidden, k) for kind, table in tables)


def _table_safe(kind: str, table: dict, hidden: set, k: int) -> bool:
    """Whether a reader of this table and its total learns nothing about its hidden cells.

    The hidden cells add up to a known sum, and the reader knows each small cell holds
    between 0 (1 for a share or a mean, whose groups are listed only when someone
    answered) and k - 1 records and each complement at least k. Safe when:
    - no cell is hidden, or at least two are (one alone is the total minus the rest);
    - for each small cell, the sum and the other cells' bounds allow every value from
      the lowest to k - 1: the table tells nothing beyond "fewer than k";
    - each complement can take more than one value;
    - for a share, the hidden cells are not all "yes" (which would give every hidden
      cell's estimate: 100%); for a mean, their answers are not all equal (which would give
      every hidden cell's mean). All "no" (0%) is allowed: see docs/privacy.md.
    """
    cells = [table[group] for group in hidden if group in table]
    if not cells:
        return True
    if len(cells) == 1:
        return False
    lowest = 0 if kind == COUNT else 1
    total = sum(n for n, _s, _q in cells)
    bounds = [(lowest, k - 1) if n < k else (k, total) for n, _s, _q in cells]
    low_sum, high_sum = sum(b[0] for b in bounds), sum(b[1] for b in bounds)
    for (n, _s, _q), (low, high) in zip(cells, bounds, strict=True):
        feasible = (max(low, total - (high_sum - high)), min(high, total - (low_sum - low)))
        if (n < k and feasible != (low, high)) or (n >= k and feasible[1] <= feasible[0]):
            return False
    sums = sum(s for _n, s, _q in cells)
    if kind == SHARE:
        return sums < total
    if kind == MEAN:
        return sum(q for _n, _s, q in cells) * total - sums * sums > 1e-9 * max(1.0, sums * sums)
    return True


def _hidden_cells(
    indicator: Indicator, tables: dict, hidden_totals: dict, k: int, memo: dict | None = None
) -> tuple[dict[str, Sums], dict[str, str]]:
    """One indicator's table by a dimension as published, and {group: reason} of its hidden
    cells. Linked tables list the same groups: a group missing from one table only would
    tell that nobody in it counts there (a hidden zero), so it is listed, hidden. `memo`
    (the tables' own) keeps what linked indicators share: their links and hidden groups."""
    memo = {} if memo is None else memo
    table = tables[indicator.id]
    if indicator.kind == COUNT and indicator.family:
        groups = _protect_family(indicator.family, tables, hidden_totals, k)[indicator.id]
    else:
        roots = _memo(memo, ("links", indicator.form), lambda: _link_roots(indicator, tables))
        linked = tuple(
            name
            for name, root in roots.items()
            if root == roots[indicator.id] and any(n for n, _s, _q in tables[name].values())
        )  # empty: nothing to hide
        universe = {group for name in linked for group in tables[name]}
        padded = {
            name: {g: tables[name].get(g, (0, 0.0, 0.0)) for g in universe} for name in linked
        }
        table = padded.get(indicator.id, table)
        if any(name in hidden_totals for name in linked) or indicator.id in hidden_totals:
            # The total is hidden: so is every cell, or the cells would add up to it.
            groups = set(table)
        else:
            groups = _memo(
                memo,
                ("protect", linked, k),
                lambda: protect([(BY_ID[name].kind, padded[name]) for name in linked], k),
            )
    return table, {g: SMALL if table[g][0] < k else COMPLEMENT for g in groups if g in table}


def _linked(indicator: Indicator, tables: dict) -> list[str]:
    """The indicators whose tables must hide the same groups as this one's."""
    roots = _link_roots(indicator, tables)
    return [name for name, root in roots.items() if root == roots[indicator.id]]


def _link_roots(indicator: Indicator, tables: dict) -> dict[str, str]:
    """{indicator: its group's root} over the indicators of `indicator`'s form: those of one
    root must hide the same groups.

    Linked are indicators that count the same records in every group (the same n, or one's
    numerator is another's n), and those about the people discriminated against.
    Directly or through others: the links are followed to the end.
    """
    names = [m.id for m in _members(indicator.form) if m.kind != COUNT or not m.family]
    owner: dict = {}
    parent = {name: name for name in names}

    def root(name):
        while parent[name] != name:
            name = parent[name]
        return name

    for name in names:
        table = tables[name]
        measures = [0] + ([1] if BY_ID[name].kind == SHARE else [])
        for measure in measures:
            vector = tuple(sorted((g, round(cell[measure], 6)) for g, cell in table.items()))
            if not any(value for _g, value in vector):
                continue  # nothing counted: no cell to give away
            other = owner.setdefault(vector, name)
            parent[root(name)] = root(other)
    discriminated = [name for name in names if name in _DISCRIMINATED]
    for name in discriminated[1:]:
        parent[root(name)] = root(discriminated[0])
    return {name: root(name) for name in names}


def _protect_family(family: str, tables: dict, hidden_totals: dict, k: int) -> dict:
    """Hidden cells of a count family (feedback by type) by a dimension: a two-way table.

    The members of a family split the same records (a message has one type), so a group's
    counts add up to the group's total, which another family (topics) may publish. Taken
    as known are the row totals (each group), the column totals (each member, unless
    hidden) and the grand total. Then a hidden cell can be worked out exactly when it is a
    bridge of the graph whose nodes are rows, columns and the grand total and whose edges
    are the hidden cells and hidden column totals (Cox 1980): it lies on no cycle. A
    bridge is broken by hiding the cheapest path of shown cells that closes a cycle.
    """
    members = [m.id for m in INDICATORS if m.family == family]
    cells = {(g, m): tables[m][g][0] for m in members for g in tables[m]}
    hidden = {key for key, n in cells.items() if n < k}
    while True:
        # In a fixed order: which bridge is broken first, and which of equally cheap paths,
        # must not depend on the process's hash seed, or two server processes (or one before
        # and after a restart) would hide different cells, and the two views together
        # would give the hidden ones away.
        edges: list[tuple[tuple, tuple, tuple]] = [
            (("row", g), ("col", m), (g, m))
            for g, m in sorted(hidden, key=lambda cell: (_natural(cell[0]), cell[1]))
        ]
        edges += [(("col", m), ("all",), ("all", m)) for m in members if m in hidden_totals]
        bridge = next((e for e in edges if not _connected(e, edges)), None)
        if bridge is None:
            break
        path = _cheapest_path(
            bridge, edges, {key: n for key, n in cells.items() if key not in hidden}
        )
        if path is None:  # nothing left to hide
            hidden = set(cells)
            break
        hidden |= path
    return {m: {g for g, member in hidden if member == m} for m in members}


def _connected(edge, edges) -> bool:
    """Whether the ends of `edge` are joined by the other edges (then it is no bridge)."""
    start, goal, key = edge
    reach, todo = {start}, [start]
    while todo:
        node = todo.pop()
        for a, b, other in edges:
            if other == key or node not in (a, b):
                continue
            nxt = b if node == a else a
            if nxt == goal:
                return True
            if nxt not in reach:
                reach.add(nxt)
                todo.append(nxt)
    return False


def _cheapest_path(bridge, edges, shown: dict) -> set | None:
    """The shown cells of least total count that join the bridge's ends another way."""
    start, goal, key = bridge
    links: dict = {}
    for a, b, other in edges:
        if other != key:
            links.setdefault(a, []).append((b, 0, None))
            links.setdefault(b, []).append((a, 0, None))
    for (g, m), n in shown.items():
        links.setdefault(("row", g), []).append((("col", m), n + 1, (g, m)))
        links.setdefault(("col", m), []).append((("row", g), n + 1, (g, m)))
    best, queue = {start: 0}, [(0, 0, start)]
    step: dict = {}
    counter = 0
    while queue:
        cost, _tie, node = heapq.heappop(queue)
        if node == goal:
            path, at = set(), goal
            while at != start:
                at, cell = step[at]
                if cell is not None:
                    path.add(cell)
            return path
        if cost > best.get(node, math.inf):
            continue
        for nxt, weight, cell in links.get(node, ()):
            if cost + weight < best.get(nxt, math.inf):
                best[nxt] = cost + weight
                step[nxt] = (node, cell)
                counter += 1
                heapq.heappush(queue, (cost + weight, counter, nxt))
    return None
