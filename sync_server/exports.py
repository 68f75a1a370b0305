"""Exports of a form's records: CSV, XLSX, JSON Lines, Stata (.dta), SPSS (.sav), Parquet.

The main table has one row per record; metadata columns first (`_uuid`, `_form_id`, ...),
then one column per question, named by the question, over the union of every version of the
form so that a field removed in a later version keeps its data. A select_multiple answer is
a space-separated column plus one 0/1 column per choice (`grounds/religion`), as XLSForm
tools do. A rank answer (the choices in order) is the same space-separated column,
first-ranked first, plus one number column per choice holding its position 1..n
(`priorities/water`), empty when the choice was not ranked. A location point that leaves
kept or as a grid cell also gets `<name>_latitude` and `<name>_longitude` number columns.
Questions whose privacy rule is "drop" never reach the server and are not columns; notes
hold no value and are not columns either. After the answers come the record metadata an
XLSForm asked for (`start`, `end`, `today`, `deviceid`, `username`, under the form's
names), as the hub sent them: days (typed as dates), the hub's device code, the
enumerator's pseudonym. An `audit` is a whole number of seconds, the interview's duration,
under its name (`audit`), then one column per section of the form, `<name>_<section>`
(`audit_household`), unless its rule sends the total alone.

Repeats (a section asked once per household member, say) are stored as a list of
instances under the repeat's name. The main table has no column for a repeat's
questions: it has one number column per repeat, named by the repeat (`members`) and
labelled like its section, holding the number of instances (missing when the record
has none stored). Each repeat has its own long table, `export(..., repeat="members")`:
one row per instance, with `_parent_uuid` (the record's `_uuid`), `_form_version`,
`_revision` and `_index` (the instance's 1-based position), then one column per
question of the repeat, built by the same rules as the main table's (union over
versions, select_multiple dummies, privacy drops, value labels).

A repeat inside another (each member's illnesses) has its own long table too, one row per
inner instance. Where repeats sit inside each other, each of their tables also carries
`_parent_key` and `_key`, as ODK writes them: `<uuid>/members[2]` is member 2's key and
the parent key of each of their illnesses (`<uuid>/members[2]/illnesses[1]`); a repeat
not inside another has the record's uuid as its parent key. The outer repeat's table has
a count column for the repeat inside it; the main table counts only the outer repeats.

Memory stays flat however many records there are. CSV, JSON Lines and XLSX
(XlsxWriter's constant_memory mode) stream the rows. Stata and SPSS files need every
column's type and width before the first row, so their export makes two passes: the
first codes and measures each row and spools it to a temporary file, the second streams
the spool through our own writers (`sync_server.stata`, `sync_server.spss`). Parquet
(`sync_server.parquet`, with pyarrow) writes typed row groups as the rows stream; the whole
form is a ZIP of one Parquet file per table (the records, then each repeat), and
`repeat=...` gives that repeat's table as one Parquet file.

Stata/SPSS specifics:
- Variable names: a metadata column `_x` becomes `meta_x` (`_uuid` -> `meta_uuid`);
  then `/` and any character other than an ASCII letter, digit or `_` becomes `_`; a
  name not starting with a letter gets a `v` prefix; a reserved word (Stata's or
  SPSS's, any case) gets a `_` suffix; names are cut to 32 (dta) / 64 (sav)
  characters; a name clashing (ignoring case) with an earlier one gets `_2`, `_3`...
- select_one answers are integer codes 1..n with the choice labels as value labels.
  Choices are the union over versions in the oldest version's order, choices added
  later appended, so publishing a new version never renumbers an existing code. A
  stored value outside the list gets a code after n, labelled with the value itself.
  Numeric questions stay numeric; everything else is a string.
- Neither format has a missing string: a missing text answer is an empty string.
- Labels are clipped to the formats' limits (Stata: 80 characters per variable label;
  SPSS: 256 bytes per variable label, 120 per value label, 32,767 per string value).

Formulas: a spreadsheet opening a CSV runs a cell starting with =, +, -, @, a tab or a
carriage return as a formula (`=HYPERLINK(...)`, `+cmd|' /C calc'!A0`). The CSV export
puts a single quote before such a text cell, as OWASP recommends; numbers stored as
numbers (-5) stay as they are, text ("-5 days") is neutralized. `raw=True` writes every
value as stored, for analysts who read the file with a statistics package. The XLSX
export always writes text as text (never a formula), so it needs no quote; JSON Lines,
Stata and SPSS files hold no formulas.
"""

from __future__ import annotations

import csv
import io
import json
import math
import pickle
import re
import shutil
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import BinaryIO

from collector.anonymizer import metadata_rule, rule_for
from collector.forms import FormDefinition
from collector.i18n import LOCALES
from collector.locations import parse_point

from .spss import write_sav
from .stata import write_dta
from .variables import Variable

__all__ = ["Column", "ExportError", "FORMATS", "columns_for", "export", "instances"]

FORMATS = ("csv", "xlsx", "jsonl", "dta", "sav", "parquet")
NUMERIC_TYPES = ("integer", "decimal", "range")
# A point kept or snapped to a grid is exported with `<name>_latitude` and `<name>_longitude`
# beside the answer as it arrived; an area's name, a trace or a shape is its text only.
POINT_TYPES = ("geopoint", "start-geopoint")
CHUNK_CHARS = 64 * 1024
CSV_BATCH = 500  # rows per write: few writes, a few hundred KB at most in memory
XLSX_MAX_ROWS = 1_048_576

# (column name, record key, English label)
METADATA = (
    ("_uuid", "uuid", "Record UUID"),
    ("_form_id", "form_id", "Form ID"),
    ("_form_version", "form_version", "Form version"),
    ("_revision", "revision", "Revision"),
    ("_device", "device_id", "Device"),
    ("_collected_at", "collected", "Date collected"),
    ("_received_at", "received_at", "Received by the server at"),
    ("_locale", "locale", "Interview language"),
)
# The long table of a repeat: one row per instance, joined to its record by _parent_uuid.
REPEAT_METADATA = (
    ("_parent_uuid", "uuid", "Record UUID"),
    ("_form_version", "form_version", "Form version"),
    ("_revision", "revision", "Revision"),
    ("_index", "index", "Instance number"),
)
# Where repeats sit inside each other: the keys that join their tables at any depth.
KEY_METADATA = (
    ("_parent_key", "parent_key", "Key of the enclosing instance (or the record)"),
    ("_key", "key", "Key of this instance"),
)
# The survey design (sync_server.designs), when the form has one: numbers, not names, so
# that `svyset`, `svydesign` and CSPLAN reproduce the indicators' intervals.
DESIGN_METADATA = (
    ("_stratum", "design_stratum", "Survey design: stratum number"),
    ("_psu", "design_psu", "Survey design: cluster (primary sampling unit) number"),
    ("_weight", "design_weight", "Survey design: weight (final, after any calibration)"),
)
NUMBER_METADATA = ("revision", "index", "design_stratum", "design_psu", "design_weight")
STATA_RESERVED = {
    "_all",
    "_b",
    "byte",
    "_coef",
    "_cons",
    "double",
    "float",
    "if",
    "in",
    "int",
    "long",
    "_n",
    "_pi",
    "_pred",
    "_rc",
    "_skip",
    "strl",
    "using",
    "with",
}
SPSS_RESERVED = {"all", "and", "by", "eq", "ge", "gt", "le", "lt", "ne", "not", "or", "to", "with"}
RESERVED = STATA_RESERVED | SPSS_RESERVED
STATA_STR = re.compile(r"str[0-9]+", re.IGNORECASE)


class ExportError(ValueError):
    """An export that cannot be made: unknown format, no form, too many rows for XLSX."""


@dataclass(frozen=True)
class Column:
    """One exported column and how to read its value from a stored record.

    kind: "text", "number", "code" (select_one, coded in dta/sav), "multiple" (the
    space-separated select_multiple or rank column), "dummy" (its 0/1 column for `choice`;
    for a rank, `ranked`, the choice's position 1..n) or "count" (a repeat's number of
    instances, in the main table).
    """

    name: str
    source: str
    kind: str
    label: dict = field(compare=False)
    meta: bool = False
    choice: str | None = None
    choices: tuple = field(default=(), compare=False)  # ((name, label map), ...), code order
    # A location's latitude (0) or longitude (1), read from its "lat lon ..." answer.
    part: int | None = None
    # An audit's seconds: "" for the total, else the section's name (see _seconds).
    key: str | None = None
    # A rank's column for `choice`: its position, not 0/1.
    ranked: bool = False

    def value(self, row: dict, answers: dict):
        """The cell as stored: lists space-separated, 0/1 for a dummy, None if missing."""
        if self.meta:
            return row.get(self.source)
        answer = answers.get(self.source)
        if self.kind == "count":
            return len(answer) if isinstance(answer, list) else None
        if self.part is not None:
            point = parse_point(answer) if isinstance(answer, str) else None
            return point[self.part] if point else None
        if self.key is not None:
            return _seconds(answer, self.key)
        if self.kind == "dummy":
            if answer is None:
                return None
            items = answer if isinstance(answer, list) else str(answer).split()
            if self.ranked:
                return _position(self.choice, items)
            return int(self.choice is not None and self.choice in map(str, items))
        return " ".join(map(str, answer)) if isinstance(answer, list) else answer


# -- Columns ---------------------------------------------------------------------------


def columns_for(
    forms: list[FormDefinition], repeat: str | None = None, design: bool = False
) -> list[Column]:
    """Metadata columns, then the answer columns of every version (oldest first).

    Without `repeat`, the main table's (a count column stands for each repeat); with it,
    that repeat's long table. `design`: the main table carries the survey design's
    stratum, cluster and weight columns too.
    """
    if not forms:
        raise ExportError("An export needs at least one version of the form.")
    if repeat is not None and not any(repeat in form.repeats for form in forms):
        known = sorted({name for form in forms for name in form.repeats})
        raise ExportError(
            f"The form {forms[-1].form_id} has no repeat {repeat!r}: "
            + (f"use one of {', '.join(known)}." if known else "it has no repeats.")
        )
    metadata: tuple[tuple[str, str, str], ...] = METADATA if repeat is None else REPEAT_METADATA
    if repeat is not None and keyed(forms, repeat):
        metadata = REPEAT_METADATA + KEY_METADATA
    if design and repeat is None:
        metadata = METADATA + DESIGN_METADATA
    columns = [
        Column(name, key, "number" if key in NUMBER_METADATA else "text", {"en": label}, True)
        for name, key, label in metadata
    ]
    tables = [(form, _table_fields(form, repeat)) for form in forms]
    order: dict[str, None] = {}  # the newest version's order, then older-only fields
    for _, fields in reversed(tables):
        order.update((name, None) for name in fields if name not in order)
    for name in order:
        # Each field is typed by the newest version that has it in this table.
        form, item = next(
            (form, fields[name]) for form, fields in reversed(tables) if name in fields
        )
        columns += _answer_columns(item, form, forms)
    if repeat is None:
        columns += metadata_columns(forms)
    return columns


# -- Record metadata an XLSForm asked for (start, end, today, deviceid, username) -------------


def metadata_texts() -> dict[str, str]:
    """Each metadata type's label, in English: the catalogs' message ids."""
    from collector.xlsform import N_

    return {
        "start": N_("Date started"),
        "end": N_("Date finished"),
        "today": N_("Date of the interview"),
        "deviceid": N_("Hub (its device code on this server)"),
        "username": N_("Enumerator (pseudonym)"),
        "audit": N_("Interview duration (seconds)"),
        "section": N_("Time in this section (seconds)"),
    }


def metadata_labels() -> dict[str, dict]:
    """Each metadata type's column label, in every language of the interface."""
    from collector.xlsform import catalog_texts

    return {kind: catalog_texts(text, list(LOCALES)) for kind, text in metadata_texts().items()}


def metadata_rows(
    form: FormDefinition | None, answers: dict, locale: str = "en"
) -> list[tuple[str, str, object]]:
    """(name, English label, value) of each metadata value the record holds: what the
    record page lists (it translates the label). An audit gives its total, then a row per
    section, labelled by the section in `locale`."""
    texts = metadata_texts()
    items = form.data.get("metadata", []) if form is not None else []
    rows = []
    for item in items:
        name, value = item["name"], answers.get(item["name"])
        if value in (None, ""):
            continue
        if item["type"] != "audit" or form is None:
            rows.append((name, texts[item["type"]], value))
            continue
        rows.append((name, texts["audit"], _seconds(value, "")))
        for section in form.sections:
            seconds = _seconds(value, section["name"])
            if seconds is not None:
                label = f"{form.text(section['label'], locale)}: {texts['section']}"
                rows.append((f"{name}_{section['name']}", label, seconds))
    return rows


def metadata_columns(forms: list[FormDefinition]) -> list[Column]:
    """A column per metadata name of any version, after the answers (newest version's
    order first); one whose rule is drop never reaches the server and is no column. An
    audit's seconds are numbers: the total, then each section's unless only the total
    leaves."""
    labels = metadata_labels()
    names: dict[str, str] = {}
    per_section: set[str] = set()
    for form in reversed(forms):
        for item in form.data.get("metadata", []):
            rule = metadata_rule(item, form)
            if item["name"] not in names and rule != "drop":
                names[item["name"]] = item["type"]
            if rule == "generalize:section":
                per_section.add(item["name"])
    columns = []
    for name, kind in names.items():
        if kind != "audit":
            columns.append(Column(name, name, "text", labels[kind]))
            continue
        columns.append(Column(name, name, "number", labels[kind], key=""))
        if name in per_section:
            columns += _section_columns(name, forms, labels["section"])
    return columns


def _section_columns(name: str, forms: list[FormDefinition], words: dict) -> list[Column]:
    """An audit's seconds per section, `<name>_<section>`, over every version (the newest
    version's order first), labelled 'Household: Time in this section (seconds)'."""
    sections: dict[str, dict] = {}
    for form in reversed(forms):
        for section in form.sections:
            sections.setdefault(section["name"], section.get("label") or {"en": section["name"]})
    return [
        Column(
            f"{name}_{section}",
            name,
            "number",
            {code: f"{_label_text(label, code)}: {text}" for code, text in words.items()},
            key=section,
        )
        for section, label in sections.items()
    ]


def _seconds(answer, key: str):
    """An audit's seconds as the server stored it: the total (key ""), or a section's."""
    if not isinstance(answer, dict):
        return None
    value = answer.get("total") if key == "" else (answer.get("sections") or {}).get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def metadata_kind(column: Column, forms) -> str | None:
    """The kind of a metadata column: a date when it leaves as a day, a whole number for
    an audit's seconds, else text; None for a column that is no metadata's."""
    for form in reversed(forms):
        item = form.metadata.get(column.source)
        if item is not None and item["type"] == "audit":
            return "int"
        if item is not None:
            return "date" if metadata_rule(item, form) == "generalize:day" else "text"
    return None


def _received(question, form) -> bool:
    """Whether the server receives answers to it: notes hold none, "drop" never leaves."""
    return question.holds_value and rule_for(question, form) != "drop"


def repeat_lineage(forms: list[FormDefinition], repeat: str) -> tuple[str, ...]:
    """The repeats a repeat sits in, itself last, as the newest version that has it says."""
    for form in reversed(forms):
        if repeat in form.repeats:
            return form.lineage(repeat)
    return (repeat,)


def keyed(forms: list[FormDefinition], repeat: str) -> bool:
    """Whether a repeat's table carries keys: it sits inside a repeat, or one sits in it."""
    return len(repeat_lineage(forms, repeat)) > 1 or any(
        form.children.get(repeat) for form in forms
    )


def _position(choice: str | None, items) -> int | None:
    """A choice's place in a rank answer, 1 for the first; None when it was not ranked."""
    names = list(map(str, items))
    return names.index(choice) + 1 if choice in names else None


def _table_fields(form: FormDefinition, repeat: str | None) -> dict:
    """One version's fields of a table, in form order: {name: Question, or a repeat's
    section dict (its count column, in the table of the repeat or record it sits in)}."""
    fields: dict = {}
    for section in form.sections:
        in_repeat = section["name"] if section.get("repeat") else None
        if in_repeat is not None and section.get("within") == repeat:
            fields[section["name"]] = section  # the table counts its instances
        elif in_repeat == repeat:
            fields.update(
                (q["name"], form.questions[q["name"]])
                for q in section["questions"]
                if _received(form.questions[q["name"]], form)
            )
    return fields


def _answer_columns(item, form: FormDefinition, forms: list[FormDefinition]) -> list[Column]:
    """The column(s) of one question (or a repeat's count), as `form` defines it."""
    if isinstance(item, dict):  # a repeat's section
        return [Column(item["name"], item["name"], "count", item["label"])]
    question, name = item, item.name
    rule = rule_for(question, form)
    kept = rule == "keep"
    label = question.get("label") or {"en": name}  # a calculation has no label: its name
    if question.get("choices_from"):
        # Picked from a repeat's answers: no list of codes to label, the answer is the text
        # (several space-separated, as any select_multiple's).
        kind = "multiple" if question.type == "select_multiple" else "text"
        return [Column(name, name, kind, label)]
    if question.type in ("select_multiple", "rank") and kept:
        choices = _choice_union(name, forms)
        main = Column(name, name, "multiple", label, choices=choices)
        return [main] + [
            Column(
                f"{name}/{choice}",
                name,
                "dummy",
                _joined(label, choice_label, form),
                choice=choice,
                ranked=question.type == "rank",
            )
            for choice, choice_label in choices
        ]
    if question.type == "select_one" and kept:
        return [Column(name, name, "code", label, choices=_choice_union(name, forms))]
    if question.type in POINT_TYPES and (kept or rule.startswith("generalize:grid:")):
        # The answer as it arrived, then its latitude and longitude as numbers for maps.
        return [Column(name, name, "text", label)] + [
            Column(f"{name}_{part}", name, "number", _suffixed(label, words), part=index)
            for index, (part, words) in enumerate(
                (("latitude", "latitude"), ("longitude", "longitude"))
            )
        ]
    # A calculation is numeric until a value says otherwise (then Stata/SPSS make it text).
    numeric = (question.type in NUMERIC_TYPES and kept) or question.type == "calculate"
    kind = "number" if numeric else "text"
    return [Column(name, name, kind, label)]


def _suffixed(label: dict, word: str) -> dict:
    """A location's coordinate column label: 'Home (latitude)' in each of its languages."""
    return {code: f"{text} ({word})" for code, text in label.items()}


def _choice_union(name: str, forms: list[FormDefinition]) -> tuple:
    """Choices over versions: oldest order, later additions appended; newest labels."""
    labels: dict[str, dict] = {}
    for form in forms:
        question = form.questions.get(name)
        if question is not None:
            for choice in form.choices(question):
                labels[choice["name"]] = choice["label"]
    return tuple(labels.items())


def _joined(label: dict, choice_label: dict, form: FormDefinition) -> dict:
    """The label of a 0/1 column, 'Question: Choice', in every language either has."""
    codes = set(label) | set(choice_label)
    return {code: f"{form.text(label, code)}: {form.text(choice_label, code)}" for code in codes}


META_KINDS = {
    "_revision": "int",
    "_index": "int",
    "_collected_at": "date",
    "_received_at": "utc",
    "_stratum": "int",
    "_psu": "int",
    "_weight": "float",
}
QUESTION_KINDS = {
    "integer": "int",
    "range": "int",
    "decimal": "float",
    "calculate": "int",
    "date": "date",
    "datetime": "datetime",
}


def question_of(column: Column, forms) -> tuple:
    """The question behind a column, and its form: the newest version that has it."""
    for form in reversed(forms):
        if column.source in form.questions:
            return form.questions[column.source], form
    return None, None


def kind_name(column: Column, forms) -> str:
    """What a column holds, for the typed formats (Parquet, XLSX): int, float, date,
    datetime (as the interview gave it), utc, bool, codes or text. A value that does not
    fit is written as text (see sync_server.parquet)."""
    if column.meta:
        return META_KINDS.get(column.name, "text")
    if column.kind == "count":
        return "int"
    if column.kind == "dummy":
        return "int" if column.ranked else "bool"
    if column.kind == "code":
        return "codes"
    if column.kind == "multiple":
        return "text"
    if column.part is not None:
        return "float"  # a location's latitude or longitude
    question, form = question_of(column, forms)
    if question is None:
        kind = metadata_kind(column, forms)
        return kind or ("float" if column.kind == "number" else "text")
    if question.type == "calculate":
        return "int"
    if rule_for(question, form) != "keep":
        return "text"  # generalized or scrubbed on the laptop: stored as text
    if question.type == "date" and question.has_appearance("month-year"):
        return "text"
    if question.type == "range" and question.decimal_range:
        return "float"
    return QUESTION_KINDS.get(question.type, "text")


def _label_text(value: dict, lang: str) -> str:
    """The label in `lang`, falling back to English, then to any language given."""
    base = lang.split("_")[0]
    for code in (lang, base, "en"):
        if value.get(code):
            return value[code]
    return next(iter(value.values()), "")


# -- Export ----------------------------------------------------------------------------


def export(
    rows: Iterable[dict],
    forms: list[FormDefinition],
    fmt: str,
    out: BinaryIO,
    lang: str = "en",
    *,
    repeat: str | None = None,
    raw: bool = False,
    release=None,
    design=None,
    keep: Callable[[dict], bool] | None = None,
) -> int:
    """Write `rows` (stored records of one form) to `out` in `fmt`; return the row count.

    With `repeat`, write that repeat's long table instead: one row per instance.
    With `raw`, CSV cells that look like formulas are written as stored (see above).
    With `release` (sync_server.disclosure.Release), the rows are released first: key
    variables generalized or suppressed, records left out, the disability flag for the
    six Washington Group columns; a repeat's table then holds only the instances of
    released records whose count was released.
    With `design` (sync_server.designs.ExportDesign), the main table carries the survey
    design's _stratum, _psu and _weight columns (in Parquet too, typed).
    With `keep` (a saved filter of the data table, sync_server.data_table), only the rows
    it keeps: applied after the release, to the table's rows (a repeat's: its instances;
    a whole-form Parquet ZIP: the records, whose repeats follow them).
    """
    writers = {
        "csv": _write_raw_csv if raw else _write_csv,
        "xlsx": lambda rows, columns, out, lang: _write_xlsx(rows, columns, out, lang, forms),
        "jsonl": _write_jsonl,
        "dta": _write_dta,
        "sav": _write_sav,
    }
    if fmt == "parquet":
        return _write_parquet(rows, forms, out, lang, repeat, release, design, keep)
    if fmt not in writers:
        raise ExportError(f"Unknown export format {fmt!r}: use one of {', '.join(FORMATS)}.")
    columns = export_columns(forms, repeat, release, design)
    if design is not None and repeat is None:
        rows = design.rows(rows)
    if release is not None:
        rows = release.rows(rows)
    if repeat is not None:
        rows = instances(rows, repeat, forms)
    if keep is not None:
        rows = filter(keep, rows)
    return writers[fmt](rows, columns, out, lang)


def export_columns(
    forms: list[FormDefinition], repeat: str | None = None, release=None, design=None
) -> list[Column]:
    """The columns `export` writes with the same arguments (what a codebook describes)."""
    columns = columns_for(forms, repeat, design=design is not None and repeat is None)
    return columns if release is None else release.columns(columns)


def _write_parquet(rows, forms, out, lang, repeat, release, design=None, keep=None) -> int:
    """A repeat's table as one Parquet file; else every table of the form in a ZIP, the
    main one with the survey design's columns when `design` is given."""
    from . import parquet  # pyarrow is loaded only by the exports that need it

    with_design = design is not None and repeat is None

    def table(name):
        columns = columns_for(forms, name, design=with_design and name is None)
        return columns if release is None else release.columns(columns)

    released = release is not None
    columns = table(repeat)  # an unknown repeat is an error before anything is read
    if with_design:
        rows = design.rows(rows)
    if released:
        rows = release.rows(rows)
    if repeat is not None:
        return parquet.write_table(
            filter(keep, instances(rows, repeat, forms))
            if keep is not None
            else instances(rows, repeat, forms),
            columns,
            out,
            lang,
            forms=forms,
            table=repeat,
            released=released,
        )
    if keep is not None:
        rows = filter(keep, rows)
    form_id = forms[-1].form_id
    tables: list[tuple[str, list[Column], str | None]] = [(f"{form_id}.parquet", columns, None)]
    tables += [(f"{form_id}-{name}.parquet", table(name), name) for name in repeat_names(forms)]
    return parquet.write_zip(rows, tables, out, lang, forms=forms, released=released)


def repeat_names(forms: list[FormDefinition]) -> list[str]:
    """Every repeat over the versions, the newest version's order first."""
    names: dict[str, None] = {}
    for form in reversed(forms):
        names.update((name, None) for name in form.repeats if name not in names)
    return list(names)


def instances(rows: Iterable[dict], repeat: str, forms: list[FormDefinition] | None = None):
    """Each instance of `repeat` in `rows`, as a row of the repeat's long table: the
    record's uuid, form version and revision, the 1-based `index` (in the instance it sits
    in), its `key` and `parent_key`, the instance's answers. `forms` say where a repeat
    inside another is (without them, a repeat is taken to sit in none)."""
    lineage = repeat_lineage(forms, repeat) if forms else (repeat,)
    for row in rows:
        uuid, version, revision = row.get("uuid"), row.get("form_version"), row.get("revision")
        scopes = [(str(uuid), row.get("answers") or {})]
        for depth, level in enumerate(lineage, 1):
            found = []
            for parent, scope in scopes:
                items = scope.get(level)
                if items.__class__ is not list:
                    continue
                for index, answers in enumerate(items, 1):
                    answers = answers if isinstance(answers, dict) else {}
                    if depth < len(lineage):
                        found.append((f"{parent}/{level}[{index}]", answers))
                        continue
                    yield {
                        "uuid": uuid,
                        "form_version": version,
                        "revision": revision,
                        "index": index,
                        "answers": answers,
                        "key": f"{parent}/{level}[{index}]",
                        "parent_key": parent,
                    }
            scopes = found


def _cells(rows: Iterable[dict], columns: list[Column]):
    """Each row's values in column order, one row at a time.

    The same values as Column.value, read with one plan made before the first row:
    a million rows times a hundred columns make per-cell overhead the export's cost.
    """
    meta = [c.source for c in columns if c.meta]
    answer_columns = [c for c in columns if not c.meta]
    if [c.meta for c in columns] != [True] * len(meta) + [False] * len(answer_columns):
        raise ExportError("Metadata columns must come first.")
    sources = [c.source for c in answer_columns]
    lists = [i for i, c in enumerate(answer_columns) if c.kind == "multiple"]
    counts = [i for i, c in enumerate(answer_columns) if c.kind == "count"]
    coordinates = [(i, c.part) for i, c in enumerate(answer_columns) if c.part is not None]
    seconds = [(i, c.key) for i, c in enumerate(answer_columns) if c.key is not None]
    # Each select_multiple's 0/1 columns and each rank's position columns: (index, choice).
    groups: dict[tuple[str, bool], list] = {}
    for i, c in enumerate(answer_columns):
        if c.kind == "dummy":
            groups.setdefault((c.source, c.ranked), []).append((i, c.choice))
    dummies = list(groups.items())
    for row in rows:
        get = (row.get("answers") or {}).get
        values = [get(source) for source in sources]  # one comprehension: most cells are as stored
        for i in lists:
            value = values[i]
            if value.__class__ is list:
                values[i] = " ".join(map(str, value))
        for i in counts:
            value = values[i]
            values[i] = len(value) if value.__class__ is list else None
        for i, part in coordinates:
            point = parse_point(values[i]) if isinstance(values[i], str) else None
            values[i] = point[part] if point else None
        for i, key in seconds:
            values[i] = _seconds(values[i], key)
        for (source, ranked), positions in dummies:
            answer = get(source)
            if answer is None:
                continue  # the 0/1 columns stay empty, as the question is
            listed = answer if answer.__class__ is list else str(answer).split()
            if ranked:
                for i, choice in positions:
                    values[i] = _position(choice, listed)
                continue
            items = set(map(str, listed))
            for i, choice in positions:
                values[i] = 1 if choice in items else 0
        cells = [row.get(source) for source in meta]
        cells += values
        yield cells


def flatten(row: dict, columns: list[Column]) -> dict:
    """One record with the export's keys, as JSON Lines and the records API give it."""
    answers = row.get("answers") or {}
    return {column.name: column.value(row, answers) for column in columns}


class _Utf8Sink:
    """A text file for csv/json that encodes to `out` in chunks: few writes, flat memory."""

    def __init__(self, out: BinaryIO):
        self.out, self.size = out, 0
        self.parts: list[str] = []

    def write(self, text: str) -> None:
        self.parts.append(text)
        self.size += len(text)
        if self.size >= CHUNK_CHARS:
            self.flush()

    def flush(self) -> None:
        if self.parts:
            self.out.write("".join(self.parts).encode("utf-8", "replace"))
            self.parts, self.size = [], 0


# What a spreadsheet reads as the start of a formula (OWASP's CSV injection list).
FORMULA_STARTS = frozenset(("=", "+", "-", "@", "\t", "\r"))


def neutralized(cells: list) -> list:
    """A row with each text cell a spreadsheet would run as a formula quoted; numbers and
    other text as they are. One comprehension: it runs for every cell of every row."""
    return [
        ("'" + cell) if cell.__class__ is str and cell[:1] in FORMULA_STARTS else cell
        for cell in cells
    ]


def _write_csv(rows, columns, out, lang, raw: bool = False) -> int:
    """UTF-8 with a BOM, so that Excel opens Arabic or Swahili text as it is.

    Rows gather in an in-memory text buffer written out every CSV_BATCH rows: the
    csv module's C writer then does the work, and memory stays flat.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(c.name for c in columns)
    count = 0
    for count, cells in enumerate(_cells(rows, columns), 1):
        writer.writerow(cells if raw else neutralized(cells))
        if count % CSV_BATCH == 0:
            out.write(buffer.getvalue().encode("utf-8", "replace"))
            buffer.seek(0)
            buffer.truncate()
    out.write(buffer.getvalue().encode("utf-8", "replace"))
    return count


def _write_raw_csv(rows, columns, out, lang) -> int:
    return _write_csv(rows, columns, out, lang, raw=True)


def _write_jsonl(rows, columns, out, lang) -> int:
    sink = _Utf8Sink(out)
    count = 0
    for count, row in enumerate(rows, 1):  # noqa: B007 - the count is returned after the loop
        sink.write(json.dumps(flatten(row, columns), ensure_ascii=False) + "\n")
    sink.flush()
    return count


def _write_xlsx(rows, columns, out, lang, forms=()) -> int:
    """Rows go to disk as they come (constant_memory); text is always written as text.

    The data sheet has a frozen, filterable header, numbers as numbers and dates as Excel
    dates; `variables` gives each column's label and type, `choices` each code's label, in
    the export's language."""
    import xlsxwriter

    book = xlsxwriter.Workbook(
        out if hasattr(out, "flush") else _Flushable(out),
        {
            "constant_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        },
    )
    data = book.add_worksheet("data")
    kinds = [kind_name(column, forms) for column in columns]
    _xlsx_variables(book, columns, kinds, lang)
    _xlsx_choices(book, columns, lang)
    bold = book.add_format({"bold": True})
    formats = {
        "date": book.add_format({"num_format": "yyyy-mm-dd"}),
        "datetime": book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"}),
        "utc": book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"}),
    }
    for index, column in enumerate(columns):
        data.write_string(0, index, column.name, bold)
    data.freeze_panes(1, 0)
    count = 0
    for count, cells in enumerate(_cells(rows, columns), 1):
        if count >= XLSX_MAX_ROWS:
            book.fileclosed = True  # nothing half-written goes to `out`
            raise ExportError(
                f"An XLSX sheet holds at most {XLSX_MAX_ROWS - 1} rows: export as CSV instead."
            )
        for index, value in enumerate(cells):
            _xlsx_cell(data, count, index, value, formats.get(kinds[index]))
    if columns:
        data.autofilter(0, 0, count, len(columns) - 1)
    book.close()
    return count


XLSX_TYPES = {
    "int": "integer",
    "float": "decimal",
    "date": "date",
    "datetime": "date and time",
    "utc": "date and time (UTC)",
    "bool": "0/1",
    "codes": "code",
    "text": "text",
}


CODEBOOK_COLUMNS = ("variable", "label", "type", "code", "code_label")


def codebook(columns: list[Column], forms, lang: str = "en") -> str:
    """A CSV that describes an export's columns, for the CSV files that carry only codes:
    a row per column (its label and type), then a row per choice of a select column (its
    code and label), in `lang`."""
    out = io.StringIO()
    writer = csv.writer(out)
    out.write("\ufeff")
    writer.writerow(CODEBOOK_COLUMNS)
    for column in columns:
        kind = kind_name(column, forms)
        writer.writerow(
            neutralized(
                [column.name, _label_text(column.label, lang), XLSX_TYPES.get(kind, kind), "", ""]
            )
        )
        if column.kind in ("code", "multiple"):
            for code, label in column.choices:  # labels are typed by form authors
                writer.writerow(
                    neutralized([column.name, "", "", str(code), _label_text(label, lang)])
                )
    return out.getvalue()


def _xlsx_variables(book, columns, kinds, lang) -> None:
    sheet = book.add_worksheet("variables")
    for index, text in enumerate(("name", "label", "type", "choices")):
        sheet.write_string(0, index, text)
    for row, (column, kind) in enumerate(zip(columns, kinds, strict=True), 1):
        sheet.write_string(row, 0, column.name)
        sheet.write_string(row, 1, _label_text(column.label, lang))
        sheet.write_string(row, 2, XLSX_TYPES.get(kind, kind))
        if column.kind in ("code", "multiple"):
            sheet.write_string(row, 3, column.name)
    sheet.freeze_panes(1, 0)


def _xlsx_choices(book, columns, lang) -> None:
    """One row per choice of each select column: the code as stored and its label."""
    sheet = book.add_worksheet("choices")
    for index, text in enumerate(("variable", "code", "label")):
        sheet.write_string(0, index, text)
    row = 0
    for column in columns:
        if column.kind not in ("code", "multiple"):
            continue
        for code, label in column.choices:
            row += 1
            sheet.write_string(row, 0, column.name)
            sheet.write_string(row, 1, str(code))
            sheet.write_string(row, 2, _label_text(label, lang))
    sheet.freeze_panes(1, 0)


class _Flushable:
    """zipfile flushes its file: give a bare writable (a socket sink, a counter) a flush."""

    def __init__(self, out):
        self.write = out.write

    def flush(self) -> None:
        pass


def _xlsx_cell(sheet, row: int, col: int, value, date_format=None) -> None:
    if value is None:
        return
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        sheet.write_number(row, col, value)
        return
    moment = _excel_moment(value) if date_format is not None else None
    if moment is not None:
        sheet.write_datetime(row, col, moment, date_format)
    else:  # text, or a value that is not a date (a generalized "2026-11"): as it is
        sheet.write_string(row, col, str(value))


def _excel_moment(value):
    """A stored date or date-time as Excel takes it: the wall-clock time the interview gave
    (Excel has no time zones), None when the text is not an ISO date."""
    import datetime as dt

    text = str(value)
    try:
        if len(text) == 10:
            return dt.datetime.strptime(text, "%Y-%m-%d")
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.replace(tzinfo=None)


# -- Stata and SPSS --------------------------------------------------------------------


@dataclass(frozen=True)
class _Target:
    """The limits of a statistics format, and its streaming writer."""

    name_chars: int
    label_chars: int | None
    label_bytes: int | None
    value_label_bytes: int
    string_bytes: int | None
    write: Callable


DTA = _Target(32, 80, None, 32_000, None, write_dta)
SAV = _Target(64, None, 256, 120, 32_767, write_sav)
SPOOL_BATCH = 1000  # rows per pickled chunk of the spool


def _write_dta(rows, columns, out, lang) -> int:
    return _write_stats(rows, columns, out, lang, DTA)


def _write_sav(rows, columns, out, lang) -> int:
    return _write_stats(rows, columns, out, lang, SAV)


def _write_stats(rows, columns, out, lang, target: _Target) -> int:
    """Two passes, memory flat: rows are coded and measured into a spool on disk, then
    the format's writer, knowing every column's type and width, streams the spool."""
    with tempfile.TemporaryFile() as spool:
        shapes = [_Shape(column, lang, target) for column in columns]
        count = _spool(rows, columns, shapes, spool)
        _measure_flipped(spool, shapes)
        names = variable_names(columns, target.name_chars)
        variables = [shape.variable(name) for name, shape in zip(names, shapes, strict=True)]
        write = target.write
        if _seekable(out):
            write(out, variables, _spooled_cells(spool, shapes), count)
        else:
            with tempfile.TemporaryFile() as staged:
                write(staged, variables, _spooled_cells(spool, shapes), count)
                staged.seek(0)
                shutil.copyfileobj(staged, out)
    return count


def _seekable(out) -> bool:
    try:
        return out.seekable()
    except (AttributeError, OSError, ValueError):
        return False


class _Shape:
    """What the first pass learns of a column: numeric or string, widest value, codes."""

    def __init__(self, column: Column, lang: str, target: _Target):
        self.column, self.lang, self.target = column, lang, target
        self.numeric = column.kind in ("code", "number", "dummy", "count")
        self.integer = True
        self.width = 0 if self.numeric else 1
        self.flipped = False  # a "number" column that met a non-number: a string after all
        self.codes = {name: index for index, (name, _) in enumerate(column.choices, 1)}
        self.extra_labels: dict[int, str] = {}

    def code(self, value):
        """A select_one answer's code: 1..n in union order, unknown values after n."""
        key = str(value)
        code = self.codes.get(key)
        if code is None:
            code = self.codes[key] = len(self.codes) + 1
            self.extra_labels[code] = key
        return code

    def see(self, value) -> None:
        if self.numeric:
            if _is_number(value):
                if self.integer and value != int(value):
                    self.integer = False
            else:
                self.numeric, self.flipped = False, True
        else:
            self.width = max(self.width, _byte_length(self.text(value)))

    def text(self, value) -> str:
        return "" if value is None else _clip(str(value), None, self.target.string_bytes)

    def variable(self, name: str) -> Variable:
        label = _clip(
            _label_text(self.column.label, self.lang),
            self.target.label_chars,
            self.target.label_bytes,
        )
        if not self.numeric:
            return Variable(name, label, width=max(self.width, 1))
        return Variable(name, label, integer=self.integer, value_labels=self._value_labels())

    def _value_labels(self) -> dict:
        if self.column.kind != "code":
            return {}
        labels = {
            code: _label_text(label, self.lang)
            for code, (_, label) in enumerate(self.column.choices, 1)
        }
        labels.update(self.extra_labels)
        return {
            code: _clip(text, None, self.target.value_label_bytes) for code, text in labels.items()
        }


def _byte_length(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode("utf-8"))


def _spool(rows, columns, shapes, spool) -> int:
    """First pass: code select_one answers, learn each column's shape, pickle rows to disk."""
    coded = [i for i, c in enumerate(columns) if c.kind == "code"]
    watched = [(i, shapes[i]) for i, c in enumerate(columns) if c.kind != "code"]
    batch, count = [], 0
    for count, cells in enumerate(_cells(rows, columns), 1):  # noqa: B007 - returned after
        for i in coded:
            if cells[i] is not None:
                cells[i] = shapes[i].code(cells[i])
        for i, shape in watched:
            value = cells[i]
            if value.__class__ is float and not math.isfinite(value):
                cells[i] = value = None  # neither format has NaN or infinity: missing
            if value is not None:
                shape.see(value)
        batch.append(cells)
        if len(batch) == SPOOL_BATCH:
            pickle.dump(batch, spool, pickle.HIGHEST_PROTOCOL)
            batch = []
    if batch:
        pickle.dump(batch, spool, pickle.HIGHEST_PROTOCOL)
    return count


def _spooled_batches(spool):
    spool.seek(0)
    while True:
        try:
            yield pickle.load(spool)
        except EOFError:
            return


def _measure_flipped(spool, shapes) -> None:
    """A numeric column that turned out to hold text needs the width of every value."""
    flipped = [(i, shape) for i, shape in enumerate(shapes) if shape.flipped]
    for batch in _spooled_batches(spool) if flipped else ():
        for cells in batch:
            for i, shape in flipped:
                shape.width = max(shape.width, _byte_length(shape.text(cells[i])))


def _spooled_cells(spool, shapes):
    """Second pass: each row as the writer takes it (numbers or None; strings, never None)."""
    strings = [(i, shape) for i, shape in enumerate(shapes) if not shape.numeric]
    for batch in _spooled_batches(spool):
        for cells in batch:
            for i, shape in strings:
                cells[i] = shape.text(cells[i])
            yield cells


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _clip(text: str, chars: int | None, size: int | None) -> str:
    """Text cut to a number of characters and/or UTF-8 bytes, never inside a character."""
    if chars is not None:
        text = text[:chars]
    if size is not None and len(text.encode("utf-8")) > size:
        text = text.encode("utf-8")[:size].decode("utf-8", "ignore")
    return text


def variable_names(columns: list[Column], limit: int) -> list[str]:
    """Stata/SPSS variable names by the rule in the module docstring."""
    names: list[str] = []
    taken: set[str] = set()
    for column in columns:
        base = _variable_name(column, limit)
        name, suffix = base, 1
        while name.lower() in taken:
            suffix += 1
            name = base[: limit - len(f"_{suffix}")] + f"_{suffix}"
        taken.add(name.lower())
        names.append(name)
    return names


def _variable_name(column: Column, limit: int) -> str:
    name = "meta_" + column.name.lstrip("_") if column.meta else column.name
    name = re.sub(r"[^A-Za-z0-9_]", "_", name)
    if not name[:1].isalpha():
        name = "v" + name
    if name.lower() in RESERVED or STATA_STR.fullmatch(name):
        name += "_"
    return name[:limit]
