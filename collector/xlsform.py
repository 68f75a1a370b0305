"""XLSForms (ODK, KoboToolbox, SurveyCTO) in and out of our form definitions.

Import follows pyxform's own shape: pyxform's reader turns the workbook into sheets of
rows (``read_sheets``), ``convert`` turns those rows into our form-definition dict and
validates it with ``collector.forms.load_form``. Nothing here raises on a bad file:
every problem becomes a ``Problem`` of the catalogue in ``collector.xlsform_problems``,
naming the sheet, the 1-based spreadsheet row (the header is row 1) and the column
header, and a file with any error gives no definition.

Export (``to_xlsform``) writes one of our forms as an .xlsx that pyxform converts to an
XForm, so teams can take our instruments to ODK or KoboToolbox.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import re
import tempfile
import warnings
import xml.etree.ElementTree as ElementTree
import zipfile
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import lru_cache
from itertools import groupby, islice
from pathlib import Path
from typing import Any

import defusedxml.ElementTree as safe_xml
from defusedxml import DefusedXmlException
from marshmallow import ValidationError

from . import expressions, locations
from .anonymizer import IDENTIFYING_RULES
from .forms import (
    CHOICE_FILE_PATTERN,
    DISCLOSURE_ROLES,
    EXTERNAL_CHOICES,
    FIELD_NAME_PATTERN,
    FORM_ID_PATTERN,
    GROUP_APPEARANCES,
    HIERARCHIES,
    LOCALE_PATTERN,
    MAX_DATA_BYTES,
    MAX_INSTANCES,
    MAX_PIXELS_RANGE,
    MAX_RANGE_VALUES,
    MAX_REPEAT_DEPTH,
    MEDIA_APPEARANCES,
    MEDIA_TYPES,
    METADATA_TYPES,
    NAME_PATTERN,
    PROMPT_FILE_PATTERN,
    PROMPT_KINDS,
    FormDefinition,
    FormError,
    check_metadata_rule,
    check_privacy_rule,
    check_property_name,
    data_size,
    instance_key_clashes,
    instance_names,
    last_saved_problem,
    load_form,
    load_form_json,
    on_range_step,
    prompt_kind_problem,
    range_count,
    xml_instances,
)
from .prompts import MAX_PROMPT_FILE_BYTES, MAX_PROMPT_FORM_BYTES, read_prompt_file, sha256_of
from .xlsform_problems import ERROR, Problem, make, severity

# A start-geopoint is asked as a location the page takes when the record is started.
LOCATION_TYPES = locations.LOCATION_TYPES

__all__ = [
    "ImportResult",
    "Problem",
    "convert",
    "language_code",
    "read_sheets",
    "read_xlsform",
    "to_xlsform",
]

SURVEY, CHOICES, SETTINGS, ENTITIES = "survey", "choices", "settings", "entities"
SHEET_ORDER = {None: 0, SURVEY: 1, CHOICES: 2, EXTERNAL_CHOICES: 3, SETTINGS: 4, ENTITIES: 5}
# The entities sheet's columns, as pyxform reads them; `repeat` (an entity per instance of
# a repeat) is read only to say that the list is left out.
ENTITY_COLUMNS = ("list_name", "label", "entity_id", "create_if", "update_if", "repeat")
ENTITY_ALIASES = {"dataset": "list_name"}  # pyxform's own name for list_name
ENTITY_EXPRESSIONS = ("label", "entity_id", "create_if", "update_if")
NAME_RE = re.compile(NAME_PATTERN)  # choice lists and choice columns
FIELD_RE = re.compile(FIELD_NAME_PATTERN)  # questions, groups, repeats: `Q1.1`, `hh-size`
FORM_ID_RE = re.compile(FORM_ID_PATTERN)
CHOICE_FILE_RE = re.compile(CHOICE_FILE_PATTERN)
PROMPT_FILE_RE = re.compile(PROMPT_FILE_PATTERN)
# Choices a file may hold: every one is on the page (and in the form), so a typo pointing
# at a whole register cannot make a page of a million options.
MAX_FILE_CHOICES = 20_000
# Rows a workbook's sheets may have, counted before the workbook is converted, since
# reading and converting a row costs about a millisecond. The largest real forms have a
# few thousand questions; a choices sheet holds a list as long as a choice file's and as
# many rows again for its other lists (pyxform's other sheets are short).
MAX_SURVEY_ROWS = 10_000
MAX_SHEET_ROWS = 2 * MAX_FILE_CHOICES
# An .xlsx is a zip of XML parts: a form at the row limits, in five languages, unzips to
# about 30 MB, while a few MB can unzip to hundreds (a zip bomb), read before any row.
MAX_WORKBOOK_PART_BYTES = 32 * 1024 * 1024
MAX_WORKBOOK_BYTES = 64 * 1024 * 1024
# A workbook's XML compresses about 5 to 20 times; a larger part compressed far more is
# made of repeats, not of a form.
MAX_COMPRESSION_RATIO = 100
MAX_EMPTY_ROWS = 60  # pyxform's end of a sheet: this many empty rows in a row
# The column of a choice file's rows that says which list they are (the file is one list).
_FILE_LIST = "\0list_name"
MB = 1024 * 1024
XLSX_SUFFIXES = (".xlsx", ".xlsm")
XLS_SUFFIXES = (".xls",)

# --- languages ------------------------------------------------------------------------

# Language names teams write without a code, in English and in the language itself.
LANGUAGE_NAMES = {
    "english": "en",
    "anglais": "en",
    "french": "fr",
    "français": "fr",
    "francais": "fr",
    "spanish": "es",
    "español": "es",
    "espanol": "es",
    "arabic": "ar",
    "العربية": "ar",
    "عربي": "ar",
    "swahili": "sw",
    "kiswahili": "sw",
    "hausa": "ha",
    "harshen hausa": "ha",
    "amharic": "am",
    "አማርኛ": "am",
    "tetun": "tet",
    "tetum": "tet",
    "chinese": "zh",
    "中文": "zh",
    "mandarin": "zh",
}
# The names export writes: `label::French (fr)`, as the XLSForm documentation does.
EXPORT_LANGUAGE_NAMES = {
    "en": "English",
    "fr": "French",
    "es": "Spanish",
    "ar": "Arabic",
    "sw": "Swahili",
    "ha": "Hausa",
    "am": "Amharic",
}
WITH_CODE = re.compile(r"^(.*?)\s*\(\s*([A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})?)\s*\)\s*$")
BARE_CODE = re.compile(r"^[a-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})?$")
# A language the form names that no code matches (`label::Tetun` once was one): kept as a
# language of the form under `und_` and its name ("undetermined" in BCP 47), shown with
# the interface in the form's default language.
UNNAMED_PREFIX = "und_"


@lru_cache(maxsize=1)
def _babel_language_names() -> dict[str, str]:
    """English language names → codes, from the CLDR data Babel ships (`Chinese` → zh)."""
    from babel import Locale

    names: dict[str, str] = {}
    for code, name in Locale("en").languages.items():
        if LOCALE_PATTERN.match(code) and "_" not in code:
            names.setdefault(name.casefold(), code)
    return names


def language_code(name: str) -> str | None:
    """`English (en)` → en, `Français (fr)` → fr, `Arabic` → ar, `LABEL::EN` → en,
    `pt-BR` → pt_BR, `Chinese` → zh; or None."""
    text = " ".join(name.split())
    match = WITH_CODE.match(text)
    if match:
        code = match.group(2)
    elif text.casefold() in LANGUAGE_NAMES:
        code = LANGUAGE_NAMES[text.casefold()]
    elif text.casefold() in _babel_language_names():
        code = _babel_language_names()[text.casefold()]
    elif BARE_CODE.match(text.lower()) and (
        len(text) == 2
        or "-" in text
        or "_" in text
        or text.lower() in _babel_language_names().values()
    ):
        code = text
    else:
        return None
    base, _, region = code.replace("-", "_").partition("_")
    code = f"{base.lower()}_{region}" if region else base.lower()
    return code if LOCALE_PATTERN.match(code) else None


def unnamed_code(name: str) -> str | None:
    """`Klingonese` → und_Klingone: the form's own code for a language no code matches."""
    letters = re.sub(r"[^A-Za-z0-9]", "", name)[:8]
    code = UNNAMED_PREFIX + letters
    return code if len(letters) >= 2 and LOCALE_PATTERN.match(code) else None


def language_header_name(code: str) -> str:
    """`fr` → `French (fr)`: how export names a language in column headers and settings."""
    if code.startswith(UNNAMED_PREFIX):
        return code[len(UNNAMED_PREFIX) :]  # read back as the same unnamed language
    name: str | None = EXPORT_LANGUAGE_NAMES.get(code)
    if name is None:
        try:
            from babel import Locale

            name = Locale.parse(code).get_display_name("en")
        except Exception:  # an unusual code: the code is a fine name too
            name = code
    name = (name or code).replace("(", "").replace(")", "")
    return f"{name} ({code})"


# --- results --------------------------------------------------------------------------


@dataclass
class ImportResult:
    definition: dict | None
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    form: FormDefinition | None = None  # the validated form, when there are no errors
    # The prompt files the form came with (file name → bytes), which the hub keeps apart
    # from the definition (collector.prompts.store_prompt_files).
    prompt_files: dict[str, bytes] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors and self.form is not None


# --- columns --------------------------------------------------------------------------

TRANSLATABLE = ("label", "hint", "required_message", "constraint_message", "guidance_hint", "media")
COLUMN_ALIASES = {
    "caption": "label",
    "jr:requiredmsg": "required_message",
    "requiredmsg": "required_message",
    "jr:constraintmsg": "constraint_message",
    "constraining_message": "constraint_message",
    "constraint-message": "constraint_message",
    "constraintmsg": "constraint_message",
    "relevance": "relevant",
    "readonly": "read_only",
    "calculate": "calculation",
    "count": "repeat_count",
    "jr:count": "repeat_count",
    "image": "media",
    "big-image": "media",
    "audio": "media",
    "video": "media",
    "list name": "list_name",
    "value": "name",
}
# `bind::relevant` and its kin: the XForm attributes our own columns stand for.
BIND_COLUMNS = {
    "relevant": "relevant",
    "constraint": "constraint",
    "required": "required",
    "jr:constraintmsg": "constraint_message",
    "jr:requiredmsg": "required_message",
    "readonly": "read_only",
    "calculate": "calculation",
}
SINGLE_COLON_BASES = sorted(
    [
        b
        for b in (*TRANSLATABLE, *COLUMN_ALIASES)
        if b in TRANSLATABLE or COLUMN_ALIASES.get(b) in TRANSLATABLE
    ],
    key=len,
    reverse=True,
)
SURVEY_COLUMNS = {
    "type",
    "name",
    "label",
    "hint",
    "required",
    "required_message",
    "relevant",
    "constraint",
    "constraint_message",
    "appearance",
    "parameters",
    "privacy",
    "identifying",
    "calculation",
    "default",
    "read_only",
    "choice_filter",
    "repeat_count",
    "disclosure",
    "hierarchy",
    "trigger",
    "save_to",  # an entity property (the entities sheet)
}
# The untranslated columns every exported survey sheet has.
SURVEY_SHEET_COLUMNS = {
    *("type", "name", "required", "relevant", "constraint", "appearance", "parameters"),
    *("privacy", "identifying", "calculation", "default", "read_only", "choice_filter"),
}
# A loop's body rows keep these columns as written, so export writes the loop back.
LOOP_TEXTS = ("label", "hint", "required_message", "constraint_message")
LOOP_COLUMNS = ("type", "name", *sorted(SURVEY_COLUMNS - {"type", "name", *LOOP_TEXTS}))
# A parameters cell's `key=value` pairs, separated as pyxform separates them: spaces, commas
# or semicolons (`randomize=true, seed=${seed}`).
_PARAMETER_SEPARATORS = re.compile(r"[\s,;]+")


def parameter_parts(value: str | None) -> list[str]:
    return [part for part in _PARAMETER_SEPARATORS.split(value or "") if part]


# Columns ODK uses that the collector cannot honour: an error on every row that fills one.
# Columns that are safe to leave out: a warning on every row that fills one.
# pyxform ignores a media column that says no kind (`media`), on either sheet.
IGNORED_COLUMNS = {"guidance_hint": "ignored_column/guidance_hint", "media": "ignored_column/media"}


def N_(message: str) -> str:
    """Marks a text for the catalogs; it is translated per form language by catalog_texts."""
    return message


OTHER_LABEL = N_("Other")
SPECIFY_LABEL = N_("Specify other.")
START_LOCATION_LABEL = N_("Where this record was started")


def catalog_texts(message: str, codes: list[str]) -> dict[str, str]:
    """A text in each of the form's languages, from the product's own catalogs."""
    from babel.support import Translations

    import translations

    return {
        code: Translations.load(translations.DIRECTORY, [code]).gettext(message) for code in codes
    }


# What a fixed default must look like, by type (choices are checked against their list).
# Seconds are accepted, as ODK writes them, and dropped: answers are kept to the minute.
SECONDS = r"(?::[0-5]\d(?:\.\d+)?)?"
DEFAULT_FORMS = {
    "integer": re.compile(r"[+-]?\d{1,15}"),
    "range": re.compile(r"[+-]?(\d{1,15}\.?\d*|\.\d+)"),  # a range may hold decimals
    "decimal": re.compile(r"[+-]?(\d+\.?\d*|\.\d+)"),
    "date": re.compile(r"\d{4}-\d{2}-\d{2}"),
    "time": re.compile(rf"(?P<minute>([01]\d|2[0-3]):[0-5]\d){SECONDS}"),
    "datetime": re.compile(
        rf"(?P<minute>\d{{4}}-\d{{2}}-\d{{2}}[T ]([01]\d|2[0-3]):[0-5]\d)"
        rf"{SECONDS}"
    ),
}
ANY_TEXT = re.compile(".*", re.DOTALL)
SUPPORTED_APPEARANCES = {
    "minimal": ("select_one", "select_multiple"),
    "horizontal": ("select_one", "select_multiple"),
    "horizontal-compact": ("select_one", "select_multiple"),
    "likert": ("select_one",),
    # ODK moves on once a choice is tapped; a page of several questions has nowhere to go,
    # so it changes nothing here and is kept for export.
    "quick": ("select_one",),
    "multiline": ("text",),
    # Typed with the numeric keypad, kept as text (a phone number keeps its leading 0).
    "numbers": ("text",),
    # A barcode is typed as text: hidden as it is typed.
    "hidden-answer": ("text",),
    "month-year": ("date",),
    "year": ("date",),
    "no-calendar": ("date",),
    "thousands-sep": ("integer", "decimal"),
    # A map where ODK shows one: here the latitude and longitude are typed or taken from
    # the phone, and the appearance is kept for export.
    **dict.fromkeys(("maps", "placement-map"), LOCATION_TYPES),
    # Photos, recordings and files: taken with the phone's own camera or recorder
    # (forms.MEDIA_APPEARANCES says which question takes which).
    **{
        word: tuple(kind for kind, words in MEDIA_APPEARANCES.items() if word in words)
        for word in {word for words in MEDIA_APPEARANCES.values() for word in words}
    },
}
# Appearances that ask a question in ways the page cannot mix: one of each set is kept.
RIVAL_APPEARANCES = (
    {"minimal", "horizontal", "horizontal-compact", "likert"},  # how the choices are laid out
    {"multiline", "numbers", "hidden-answer"},  # the box a text is typed in
    {"month-year", "year", "no-calendar"},  # how a date is typed
    {"maps", "placement-map"},
    {word for words in MEDIA_APPEARANCES.values() for word in words},  # the camera or a pad
)


def _rivals(one: str, other: str) -> bool:
    return any(one in rivals and other in rivals for rivals in RIVAL_APPEARANCES)


CHOICE_COLUMNS = {"list_name", "name", "label", "parent", "media"}
SETTINGS_USED = {
    "form_id",
    "version",
    "default_language",
    "form_title",
    "allow_choice_duplicates",
    "instance_name",
}
SETTINGS_ALIASES = {
    "set_form_id": "form_id",
    "id_string": "form_id",
    "set_form_title": "form_title",
    "title": "form_title",
}
SETTINGS_SILENT = {
    "style",
    "prefix",
    "name",
    "namespaces",
    "auto_send",
    "auto_delete",
    "omit_instanceid",
    "clean_text_values",
}


@dataclass(frozen=True)
class _Column:
    header: str
    base: str  # canonical name: "label", "relevant", ...
    language: str | None  # the language part of `label::French (fr)`, as written
    # A media column's prompt kind (audio, image, big-image, video), None for the others.
    kind: str | None = None


def _classify(header: str) -> _Column:
    column = _classify_column(header)
    if column.base != "media":
        return column
    return _Column(column.header, column.base, column.language, _prompt_kind(header))


def _prompt_kind(header: str) -> str | None:
    """The kind of a media column: `audio::Kiswahili (sw)`, `media::image`, `big-image`."""
    text = header.strip().lower()
    text = text[len("media::") :] if text.startswith("media::") else text
    kind = re.split(r"::?", text, maxsplit=1)[0].strip()
    return kind if kind in PROMPT_KINDS else None


def _classify_column(header: str) -> _Column:
    text = header.strip()
    low = text.lower()
    if low.startswith("media::"):
        _, _, language = text[7:].partition("::")
        return _Column(header, "media", language.strip() or None)
    if "::" in text:
        base, _, language = text.partition("::")
        base = base.strip().lower()
        if base == "bind":
            return _bind_column(header, language)
        if base in ("instance", "body", "control"):
            return _Column(header, f"{base}::", language.strip())
        return _Column(header, COLUMN_ALIASES.get(base, base), language.strip() or None)
    for base in SINGLE_COLON_BASES:  # pyxform also reads `label:French (fr)`
        if low.startswith(base + ":") and len(low) > len(base) + 1:
            return _Column(header, COLUMN_ALIASES.get(base, base), text[len(base) + 1 :].strip())
    return _Column(header, COLUMN_ALIASES.get(low, low), None)


def _bind_column(header: str, rest: str) -> _Column:
    """`bind::relevant` → relevant, `bind::jr:constraintMsg::Français (fr)` → a French
    constraint_message; other XForm attributes keep a `bind::` base (ignored, said so)."""
    attribute, _, language = rest.partition("::")
    base = BIND_COLUMNS.get(attribute.strip().lower())
    if base is None:
        return _Column(header, "bind::", attribute.strip())
    return _Column(header, base, language.strip() or None)


class _Row:
    """One spreadsheet row, read through its classified columns."""

    def __init__(self, sheet: str, number: int, values: dict, columns: list[_Column]):
        self.sheet, self.number, self.values, self.columns = sheet, number, values, columns

    def cell(self, base: str) -> tuple[str | None, str]:
        """The first non-empty value of an untranslated column, and its header."""
        header = base
        for column in self.columns:
            if column.base == base and column.language is None:
                header = column.header
                value = self.values.get(column.header)
                if value not in (None, ""):
                    return str(value).strip(), column.header
        return None, header

    def header(self, base: str) -> str:
        for column in self.columns:
            if column.base == base:
                return column.header
        return base


# --- reading --------------------------------------------------------------------------


def read_sheets(path: str | os.PathLike) -> dict:
    """The workbook as pyxform's reader gives it: sheet name → list of row dicts."""
    from pyxform import xls2json_backends as backends

    suffix = Path(path).suffix.lower()
    readers = [backends.xlsx_to_dict, backends.xls_to_dict]
    if suffix in XLS_SUFFIXES:
        readers.reverse()
    failure: Exception | None = None
    for reader in readers:  # a misnamed file is still read, as pyxform does
        try:
            # Library warnings ("Workbook contains no default style") mean nothing to the
            # person importing: our own messages say what matters, and nothing before them.
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return reader(str(path))
        except Exception as error:  # noqa: BLE001 - any reader failure means "try the next"
            failure = error
            if "Duplicate column header" in str(error):
                break
    raise ValueError(str(failure))


def workbook_problem(path: Path) -> Problem | None:
    """The refusal of a workbook too large to read, found before it is read: an .xlsx's
    unzipped size, then (as for an .xls) its sheets' rows. None when the workbook is within
    the limits or is not a workbook at all (read_sheets says so)."""
    if zipfile.is_zipfile(path):
        try:
            with zipfile.ZipFile(path) as archive:
                problem = zip_problem(path.name, archive.infolist())
        except (OSError, zipfile.BadZipFile):
            return None
        return problem or _rows_problem(path, _xlsx_rows)
    size = path.stat().st_size if path.is_file() else 0
    if size > MAX_WORKBOOK_BYTES:  # an .xls is not compressed
        return _too_large(path.name, size)
    return _rows_problem(path, _xls_rows)


def zip_problem(file_name: str, parts: list[zipfile.ZipInfo]) -> Problem | None:
    """A workbook whose parts unzip too large, or compress like a zip bomb."""
    for part in parts:
        ratio = part.file_size / max(part.compress_size, 1)
        if part.file_size > MB and ratio > MAX_COMPRESSION_RATIO:
            return make(
                "too_large/compression", file=file_name, ratio=int(ratio), max=MAX_COMPRESSION_RATIO
            )
        if part.file_size > MAX_WORKBOOK_PART_BYTES:
            return _too_large(file_name, part.file_size, "too_large/part")
    total = sum(part.file_size for part in parts)
    return _too_large(file_name, total) if total > MAX_WORKBOOK_BYTES else None


def _too_large(file_name: str, size: int, key: str = "too_large/workbook") -> Problem:
    limit = MAX_WORKBOOK_PART_BYTES if key == "too_large/part" else MAX_WORKBOOK_BYTES
    return make(key, file=file_name, size=math.ceil(size / MB), max=limit // MB)


def _rows_problem(path: Path, sheet_rows) -> Problem | None:
    """The first sheet pyxform reads that has more rows than it may; `sheet_rows` gives each
    such sheet's name and its rows past the header, counted up to `limit + 1`."""
    try:
        for name, limit, rows in sheet_rows(path):
            if rows > limit:
                key = "too_large/survey_rows" if limit == MAX_SURVEY_ROWS else "too_large/rows"
                return make(key, sheet=name, max=limit)
    except Exception:  # noqa: BLE001 - an unreadable workbook is read_sheets' to report
        return None
    return None


def _sheet_limits(names: list[str]) -> Iterable[tuple[str, int]]:
    """The sheets pyxform reads, as it picks them, with their row limits: the known sheets,
    or a workbook's only sheet as the survey."""
    from pyxform.constants import SUPPORTED_SHEET_NAMES

    for name in names:
        if name.lower() == SURVEY or len(names) == 1:
            yield name, MAX_SURVEY_ROWS
        elif name.lower() in SUPPORTED_SHEET_NAMES:
            yield name, MAX_SHEET_ROWS


def _xlsx_rows(path: Path) -> Iterable[tuple[str, int, int]]:
    from openpyxl import load_workbook

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        book = load_workbook(path, read_only=True, data_only=True)
    try:
        for name, limit in list(_sheet_limits(book.sheetnames)):
            yield name, limit, _rows_with_values(book[name].iter_rows(values_only=True), limit)
    finally:
        book.close()


def _rows_with_values(rows: Iterable[tuple], limit: int) -> int:
    """A sheet's rows that hold a value, past its header, counted up to `limit + 1` and as far
    as pyxform reads: it stops at a run of 60 empty rows."""
    count = empty = 0
    for row in islice(rows, 1, None):
        if any(value not in (None, "") for value in row):
            count, empty = count + 1, 0
        elif (empty := empty + 1) > MAX_EMPTY_ROWS:
            break
        if count > limit:
            break
    return count


def _xls_rows(path: Path) -> Iterable[tuple[str, int, int]]:
    import xlrd

    book = xlrd.open_workbook(str(path), on_demand=True, logfile=io.StringIO())
    try:
        for name, limit in list(_sheet_limits(book.sheet_names())):
            yield name, limit, book.sheet_by_name(name).nrows - 1
    finally:
        book.release_resources()


def read_xlsform(
    path: str | os.PathLike,
    media: Iterable[str | os.PathLike] = (),
    entity_lists: Iterable[str] | None = None,
) -> ImportResult:
    """Read and convert an XLSForm file; a file that cannot be read is one error, not a crash.
    Choice files (`select_one_from_file fruits.csv`) are the `media` files of that name,
    else the files of that name next to the form. On a hub, `entity_lists` are its entity
    lists (collector.entities): `households.csv` is the list `households` when the hub or
    the form declares it, or when no such file is given (a list no form declares yet)."""
    path = Path(path)
    if path.suffix.lower() not in (*XLSX_SUFFIXES, *XLS_SUFFIXES):
        return ImportResult(None, [make("not_xlsform", file=path.name)])
    if too_large := workbook_problem(path):
        return ImportResult(None, [too_large])
    try:
        sheets = read_sheets(path)
    except Exception as error:  # noqa: BLE001 - corrupt files must not crash anything
        detail = str(error).strip()
        if "Duplicate column header" in detail:
            problem = make(
                "unreadable/duplicate_header",
                file=path.name,
                detail=detail.split("file: ")[-1].rstrip("."),
            )
        else:
            problem = make("unreadable", file=path.name)
        return ImportResult(None, [problem])
    fallback = re.sub(r"[^A-Za-z0-9_.\-]", "_", path.stem)
    files = {Path(item).name: Path(item) for item in media}
    return convert(
        sheets,
        fallback_form_id=fallback if FORM_ID_RE.match(fallback) else None,
        media=files,
        media_dir=path.parent,
        entity_lists=entity_lists,
    )


@contextmanager
def csv_file(path: Path):
    """A CSV file given with a form (choices, pulldata() data), read as ODK reads one:
    UTF-8 with or without a byte order mark, the first row naming the columns."""
    with path.open(newline="", encoding="utf-8-sig") as handle:
        yield csv.DictReader(handle)


# --- converting -----------------------------------------------------------------------


def convert(
    sheets: dict,
    fallback_form_id: str | None = None,
    media: dict[str, Path] | None = None,
    media_dir: Path | None = None,
    entity_lists: Iterable[str] | None = None,
) -> ImportResult:
    """Turn pyxform's sheets (``{"survey": [row dicts], "choices": ..., "settings": ...}``)
    into our form definition, listing every problem; never raises. Choice files are found
    in `media` (file name → path), else in `media_dir`. `entity_lists`: on a hub, the
    entity lists it knows (see read_xlsform); None elsewhere (the central server), where a
    missing choice file stays an error unless the form declares that entity list."""
    converter = _Converter(sheets, fallback_form_id, media or {}, media_dir)
    converter.known_entity_lists = None if entity_lists is None else set(entity_lists)
    try:
        return converter.run()
    except Exception as error:  # noqa: BLE001 - an import must never crash the hub
        converter.report("unreadable/crash", detail=repr(error))
        return ImportResult(None, converter.errors, converter.warnings)


TYPE_ALIASES = {
    "string": "text",
    "int": "integer",
    "trigger": "acknowledge",
    "gps": "geopoint",
    "photo": "image",
    "add image prompt": "image",
    "add photo prompt": "image",
    "add audio prompt": "audio",
    "add video prompt": "video",
    "add file prompt": "file",
    "imei": "deviceid",
    "add text prompt": "text",
    "add integer prompt": "integer",
    "add decimal prompt": "decimal",
    "add date prompt": "date",
    "add time prompt": "time",
    "add datetime prompt": "datetime",
    "add note prompt": "note",
    "q barcode": "barcode",
}
BASIC_TYPES = {
    "text",
    "integer",
    "decimal",
    "date",
    "time",
    "datetime",
    "range",
    "note",
    "calculate",
    *LOCATION_TYPES,
    *MEDIA_TYPES,
}
SELECT_WORDS = {
    "select_one": "select_one",
    "select one": "select_one",
    "select1": "select_one",
    "select one from": "select_one",
    "add select one prompt using": "select_one",
    "select_multiple": "select_multiple",
    "select all that apply": "select_multiple",
    "select_all_that_apply": "select_multiple",
    "select all that apply from": "select_multiple",
    "add select multiple prompt using": "select_multiple",
    "rank": "rank",
}
EXTERNAL_SELECTS = {
    "select_one_from_file",
    "select_multiple_from_file",
    "select one from file",
    "select multiple from file",
    "select_one_external",
}
# Type → the catalogue entry that refuses it.
UNSUPPORTED_TYPES = {
    **dict.fromkeys(("background-audio", "background-video"), "unsupported_type/background"),
    "range-decimal": "unsupported_type/range_decimal",
}
EXTERNAL_TYPES = {"xml-external", "csv-external"}
# Metadata ODK records by itself; the six the collector records are kept (forms.py).
IGNORED_METADATA = {"subscriberid", "simserial", "phonenumber", "email"}
# ODK's audit parameters: location tracking is refused (an enumerator is never followed in
# the background); the log of changed answers and of who filled the form is left out (old
# answers may hold names). The collector records only how long each section was open.
AUDIT_LOCATION = ("location-priority", "location-min-interval", "location-max-age")
AUDIT_CHANGES = ("track-changes", "track-changes-reasons", "identify-user")
GROUP_PATTERN = re.compile(
    r"^(begin|end)[ _](group|repeat|loop|looped group|lgroup)(?:\s+(?:over\s+)?(\S+))?$"
)
# Longest spellings first, so that `select one from file` is not `select one from` + `file`.
SELECT_PATTERN = re.compile(
    r"^(?P<word>select_one_from_file|select_multiple_from_file|select one from file|"
    r"select multiple from file|select_one_external|select all that apply from|"
    r"select one from|add select one prompt using|add select multiple prompt using|"
    r"select_one|select one|select1|select_multiple|select all that apply|"
    r"select_all_that_apply|rank)"
    r"(?:\s+(?P<list>\S+))?(?:\s+(?P<other>or specify other|or_other|or other))?"
    r"(?P<rest>\s+.*)?\s*$",
    re.IGNORECASE,
)
YES = {"yes", "true", "true()", "y", "1"}
CONDITION = re.compile(r"[$(.=<>!'\"]")  # `required` holding an expression, not yes or no
NO = {"no", "false", "false()", "n", "0"}
BOUND_TERM = (
    r"(?:string-length\(\s*\.\s*\)\s*<=\s*\d+|\.\s*>=\s*-?\d+(?:\.\d+)?"
    r"|\.\s*<=\s*-?\d+(?:\.\d+)?)"
)
BOUNDED = re.compile(
    rf"^(?:\((?P<rest>.+)\)\s+and\s+)?(?P<bounds>{BOUND_TERM}"
    rf"(?:\s+and\s+{BOUND_TERM})*)$",
    re.DOTALL,
)
FIELD_REFERENCE = re.compile(r"\$\{[^}]*\}")
# `select_one ${member_name}`: the choices are the answers given in a repeat.
REPEAT_CHOICES = re.compile(r"\$\{([^}\s]+)\}")
# The parser's words for a call of a namespaced function it does not know.
FOREIGN_FUNCTION = re.compile(r"unknown function '(([A-Za-z_][\w.-]*):[A-Za-z_][\w.-]*)'")
ODK_PREFIXES = {"jr", "odk", "orx", "xf", "h", "ev", "xsd", "entities"}  # ODK's own namespaces
NUMBER_LITERAL = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)$")


def _all_of(parts: list[str | None]) -> str | None:
    """Conditions that must all hold, as one expression: a group's relevance carried over
    to what it holds."""
    parts = [p for p in parts if p]
    if len(parts) <= 1:
        return parts[0] if parts else None
    return " and ".join(f"({p})" for p in parts)


def _owner(stack: list[dict]) -> int:
    """The index in `stack` of the frame whose section the next question joins: the
    innermost repeat, else the outermost group (groups inside it join its page)."""
    return max(i for i, frame in enumerate(stack) if "section" in frame)


def _entity_column(header) -> str:
    """An entities sheet's column as pyxform reads it: in any case, `dataset` for list_name."""
    name = str(header).strip().lower()
    return ENTITY_ALIASES.get(name, name)


def _type_word(values: dict, columns: list[_Column]) -> str:
    """A row's type as the converter compares it: lower case, single spaces, aliases read."""
    for column in columns:
        if column.base == "type" and column.language is None:
            value = values.get(column.header)
            if value not in (None, ""):
                kind = " ".join(str(value).split()).lower()
                return TYPE_ALIASES.get(kind, kind)
    return ""


class _Converter:
    def __init__(
        self,
        sheets: dict,
        fallback_form_id: str | None,
        media: dict[str, Path] | None = None,
        media_dir: Path | None = None,
    ):
        self.sheets = {str(k).lower(): v for k, v in (sheets or {}).items()}
        self.fallback_form_id = fallback_form_id
        self.media, self.media_dir = media or {}, media_dir
        self.choice_sources: dict[str, str] = {}  # list → its file or external_choices
        self.file_lists: dict[str, str | None] = {}  # file name → its list (None: refused)
        self.external_names: dict[str, str] = {}  # external_choices list → our list
        # pulldata()'s files: file name → rows, the header first (None: refused, said once)
        self.data_files: dict[str, list[list[str]] | None] = {}
        self.xml_lists: set[str] = set()  # xml-external NAME: instance('NAME') reads NAME.xml
        # generalize:area's GeoJSON boundaries: file name → FeatureCollection (None: refused)
        self.boundaries: dict[str, dict | None] = {}
        # Prompt files (audio, image, video columns): file name → bytes (None: not usable)
        self.prompt_files: dict[str, bytes | None] = {}
        self.errors: list[Problem] = []
        self.warnings: list[Problem] = []
        # Entity lists: the one the form saves to (its entities row, as the schema has it),
        # the hub's known lists, those the form chooses from (our list → entity list), and
        # each save_to: (row, header, value, the question's spec).
        self.entity: dict | None = None
        self.entity_row: int | None = None
        self.declared_lists: dict[str, int] = {}  # every list of the sheet → its row
        self.known_entity_lists: set[str] | None = None  # None: not on a hub
        self.entity_choices: dict[str, str] = {}
        self.save_tos: list[tuple[int, str, str, dict]] = []
        self.default_code = "en"
        self.language_of: dict[str, str | None] = {}  # language label as written → code
        self.codes: list[str] = []  # every language the form uses, default first

    # -- problems
    def report(
        self,
        key: str,
        sheet: str | None = None,
        row: int | None = None,
        column: str | None = None,
        **args,
    ) -> None:
        """Record the catalogue's problem `key` as an error or a warning, by its entry."""
        problem = make(key, sheet, row, column, **args)
        (self.errors if severity(key) == ERROR else self.warnings).append(problem)

    def at(self, row: _Row, key: str, column: str, **args) -> None:
        """The problem `key` on this row, in the column with the header `column`."""
        self.report(key, row.sheet, row.number, column, **args)

    # -- sheets
    def rows(self, name: str) -> list[dict]:
        rows = self.sheets.get(name) or []
        return [row if isinstance(row, dict) else {} for row in rows]

    def headers(self, name: str) -> list[str]:
        header = self.sheets.get(f"{name}_header")
        if header and isinstance(header, list) and isinstance(header[0], dict):
            return [str(h) for h in header[0]]
        seen: dict[str, None] = {}
        for row in self.rows(name):
            seen.update(dict.fromkeys(str(k) for k in row))
        return list(seen)

    def run(self) -> ImportResult:
        if not self.rows(SURVEY):
            self.report("missing_sheet", SURVEY)
            return ImportResult(None, self.errors, self.warnings)
        if any(self.rows("osm")):  # said at the sheet's header row, first column
            self.report("external_data/sheet", "osm", 1, self.headers("osm")[0], name="osm")
        self.read_entities()
        self.survey_columns = [_classify(h) for h in self.headers(SURVEY)]
        self.choice_columns = [_classify(h) for h in self.headers(CHOICES)]
        self.external_columns = [_classify(h) for h in self.headers(EXTERNAL_CHOICES)]
        self.read_settings()
        self.resolve_languages()
        self.check_columns()
        self.read_choices()
        self.read_external_choices()
        self.read_survey()
        self.check_expressions()
        self.check_instance_name()
        self.check_entities()
        self.check_lists()
        self.check_settings()
        self.in_sheet_order()
        if self.errors:
            return ImportResult(None, self.errors, self.warnings)
        definition = self.definition()
        try:
            form = load_form(definition)
        except FormError as error:
            self.schema_problems(error.messages)
            return ImportResult(None, self.errors, self.warnings)
        files = {k: v for k, v in self.prompt_files.items() if v is not None}
        return ImportResult(definition, self.errors, self.warnings, form, files)

    def in_sheet_order(self) -> None:
        """Problems as a person reads the workbook: sheet by sheet, row by row."""

        def place(problem: Problem) -> tuple[int, int]:
            return SHEET_ORDER.get(problem.sheet, len(SHEET_ORDER)), problem.row or 0

        self.errors.sort(key=place)
        self.warnings.sort(key=place)

    # -- settings
    def read_settings(self) -> None:
        self.settings: dict[str, tuple[str, int, str]] = {}  # key → (value, row, header)
        rows = self.rows(SETTINGS)
        first = next(((i + 2, row) for i, row in enumerate(rows) if row), None)
        if first is None:
            return
        number, row = first
        for header, value in row.items():
            column = _classify(str(header))
            key = SETTINGS_ALIASES.get(column.base, column.base)
            if value in (None, ""):
                continue
            if key in SETTINGS_USED and column.language is None:
                self.settings[key] = (str(value).strip(), number, str(header))
            elif key == "public_key":
                self.report("ignored_setting/public_key", SETTINGS, number, str(header))
            elif key not in SETTINGS_SILENT:
                self.report("ignored_setting", SETTINGS, number, str(header), header=header)

    def check_instance_name(self) -> None:
        """The instance_name setting, checked as a calculation is: its syntax, and each
        question it names."""
        if "instance_name" not in self.settings:
            return
        source, row, header = self.settings["instance_name"]
        self.cell_expression(source, SETTINGS, row, header)

    def cell_expression(self, source: str, sheet: str, row, header: str, parse=expressions.check):
        """An expression written in a cell, parsed, each question it names checked: the
        parsed expression, or None (its problem said)."""
        try:
            parsed = parse(source)
        except expressions.ExpressionError as error:
            self.report(
                "bad_expression",
                sheet,
                row,
                header,
                detail=error.message,
                position=error.position + 1,
                source=source,
            )
            return None
        for name in sorted(parsed.references() - (set(self.names) - self.metadata_names)):
            self.report("unknown_reference", sheet, row, header, name=name)
        for name in sorted(parsed.last_saved()):
            problem = last_saved_problem(name, {"sections": self.sections})
            if problem == "unknown":
                self.report("unknown_reference", sheet, row, header, name=f"last-saved#{name}")
            elif problem:
                self.report(f"last_saved/{problem}", sheet, row, header, name=name)
        return parsed

    def check_settings(self) -> None:
        form_id = self.setting("form_id")
        if form_id is None and self.fallback_form_id is None:
            self.report("missing_setting", SETTINGS, None, "form_id")
        elif form_id is not None and not self.usable_form_id(form_id):
            _, row, header = self.settings["form_id"]
            spaced = "_".join(form_id.split())  # `My Form` → `My_Form`, as it always will
            if self.usable_form_id(spaced):
                self.report(
                    "converted_setting/form_id",
                    SETTINGS,
                    row,
                    header,
                    value=form_id,
                    form_id=spaced,
                )
                self.settings["form_id"] = (spaced, row, header)
            else:
                self.report("bad_setting/form_id", SETTINGS, row, header, value=form_id)
        version = self.setting("version")
        if version is not None and len(version) > 40:
            _, row, header = self.settings["version"]
            self.report("bad_setting/version", SETTINGS, row, header)

    @staticmethod
    def usable_form_id(form_id: str) -> bool:
        return bool(FORM_ID_RE.match(form_id)) and len(form_id) <= 100

    def setting(self, key: str) -> str | None:
        return self.settings[key][0] if key in self.settings else None

    # -- languages
    def language(self, sheet: str, column: _Column) -> str | None:
        """The code of a column's language: its own code, a known name, or the form's own
        code for a name no code matches (said once per column)."""
        written = column.language or ""
        code = language_code(written)
        if code is None:
            code = unnamed_code(written)
            if code is None:
                self.report("unknown_language", sheet, 1, column.header, language=column.language)
            else:
                self.report(
                    "language_without_code",
                    sheet,
                    1,
                    column.header,
                    language=column.language,
                    code=column.language,
                )
        return code

    def resolve_languages(self) -> None:
        explicit: list[tuple[str, _Column]] = []
        has_bare = False
        for sheet, columns in (
            (SURVEY, self.survey_columns),
            (CHOICES, self.choice_columns),
            (EXTERNAL_CHOICES, self.external_columns),
        ):
            for column in columns:
                if column.base == "media":
                    self.prompt_language(sheet, column)
                    continue
                if column.base not in TRANSLATABLE:
                    continue
                if column.language is None or column.language.lower() == "default":
                    has_bare = True
                    continue
                if column.language not in self.language_of:
                    self.language_of[column.language] = self.language(sheet, column)
                code = self.language_of[column.language]
                if code is not None:
                    explicit.append((code, column))
        self.default_code = self.default_language(has_bare, explicit)
        codes = [self.default_code] if has_bare or not explicit else []
        codes += [code for code, column in explicit if column.base == "label"]
        self.codes = list(dict.fromkeys(codes or [self.default_code]))

    def prompt_language(self, sheet: str, column: _Column) -> None:
        """A media column's language (`audio::Kiswahili (sw)`) is read as labels' are, but
        does not make the form's languages: a prompt falls back like a label."""
        written = column.language
        if written and written.lower() != "default" and written not in self.language_of:
            self.language_of[written] = self.language(sheet, column)

    def default_language(self, has_bare: bool, explicit: list[tuple[str, _Column]]) -> str:
        default = self.setting("default_language")
        if default is not None:
            if default.lower() == "default":
                return "en"
            code = self.language_of.get(default) or language_code(default)
            if code is None and default in self.language_of.values():
                code = default  # already a code of this form
            if code is None:
                _, row, header = self.settings["default_language"]
                self.report("bad_setting/language", SETTINGS, row, header, value=default)
                return "en"
            return code
        if has_bare or not explicit or any(c == "en" for c, _ in explicit):
            return "en"
        labels = [c for c, col in explicit if col.base == "label"] or [explicit[0][0]]
        return labels[0]

    def code_of(self, column: _Column) -> str | None:
        if column.language is None or column.language.lower() == "default":
            return self.default_code
        return self.language_of.get(column.language)

    def texts(self, row: _Row, base: str, warn_missing: bool = True) -> dict[str, str]:
        """A translation map from every language column of `base` in the row."""
        result: dict[str, str] = {}
        columns = [c for c in row.columns if c.base == base]
        # Explicit languages win over the bare column when both give the same language.
        columns.sort(key=lambda c: c.language is not None and c.language.lower() != "default")
        empty = []
        for column in columns:
            code = self.code_of(column)
            value = row.values.get(column.header)
            text = str(value).strip() if value not in (None, "") else ""
            if code is None:
                continue
            if text:
                result[code] = text
            else:
                empty.append((code, column))
        if result and warn_missing:
            for code, column in empty:
                if code not in result:
                    self.at(
                        row,
                        "missing_translation",
                        column.header,
                        language=column.language or "default",
                        default=language_header_name(self.default_code),
                    )
        return result

    # -- columns
    def check_columns(self) -> None:
        for column in self.survey_columns:
            base = column.base
            if (
                base in SURVEY_COLUMNS
                or base in IGNORED_COLUMNS
                or base.startswith("$")
                or not base
            ):
                continue
            key = "ignored_column/bind" if base.endswith("::") else "ignored_column"
            self.report(key, SURVEY, 1, column.header, header=column.header)
        label_codes = {self.code_of(c) for c in self.choice_columns if c.base == "label"}
        if self.rows(CHOICES) and label_codes:
            for code in self.codes:
                if code not in label_codes:
                    self.report(
                        "missing_translation/choices",
                        CHOICES,
                        1,
                        "label",
                        language=language_header_name(code),
                        default=language_header_name(self.default_code),
                    )

    def row_columns(self, row: _Row) -> None:
        """Errors and warnings for unsupported and ignored columns filled in this row."""
        reported = set()
        for column in row.columns:
            value = row.values.get(column.header)
            if value in (None, "") or column.base in reported:
                continue
            if column.base == "media" and column.kind:
                continue  # a prompt in sound or picture (prompt_media)
            if column.base in IGNORED_COLUMNS and (row.sheet == SURVEY or column.base == "media"):
                reported.add(column.base)
                self.at(row, IGNORED_COLUMNS[column.base], column.header, header=column.header)

    # -- choices
    def read_choices(self) -> None:
        self.choices: dict[str, list[dict]] = {}
        self.choice_rows: dict[str, list[int | None]] = {}
        self.list_rows: dict[str, int] = {}
        self.seen_choices: dict[tuple[str, str], int] = {}
        duplicates = self.yes_setting("allow_choice_duplicates")
        for index, values in enumerate(self.rows(CHOICES)):
            if values:
                self.choice_row(_Row(CHOICES, index + 2, values, self.choice_columns), duplicates)

    def read_external_choices(self) -> None:
        """The external_choices sheet's lists, for `select_one_external LIST`: lists of the
        form like the others, renamed if the choices sheet has one of the same name."""
        duplicates = self.yes_setting("allow_choice_duplicates")
        list_column = _Column(_FILE_LIST, "list_name", None)
        for index, values in enumerate(self.rows(EXTERNAL_CHOICES)):
            if not values:
                continue
            row = _Row(EXTERNAL_CHOICES, index + 2, values, self.external_columns)
            list_name, _ = row.cell("list_name")
            if list_name is not None and list_name not in self.external_names:
                ours = self.unique_list_name(list_name)
                self.external_names[list_name] = ours
                self.choice_sources[ours] = EXTERNAL_CHOICES
                self.list_rows[ours] = row.number
                if not NAME_RE.match(list_name):
                    self.at(row, "bad_name/list", row.header("list_name"), name=list_name)
            if list_name is not None:
                values = {_FILE_LIST: self.external_names[list_name], **values}
            self.choice_row(
                _Row(EXTERNAL_CHOICES, row.number, values, [list_column, *self.external_columns]),
                duplicates,
            )

    def unique_list_name(self, base: str) -> str:
        """A list name no list of the form has yet: `fruits`, else `fruits_2`..."""
        base = re.sub(r"[^A-Za-z0-9_]", "_", base) or "list"
        base = base if NAME_RE.match(base) else f"list_{base}"
        name, n = base, 1
        while name in self.choices or name in self.list_rows or name in self.choice_sources:
            n += 1
            name = f"{base}_{n}"
        return name

    # -- choices from files
    def file_list(self, row: _Row, file_name: str, header: str) -> str | None:
        """The list of `select_one_from_file FILE`: FILE read once (a CSV with name and label
        columns, as ODK reads it), or None when it cannot be (said on this row)."""
        if file_name in self.file_lists:
            return self.file_lists[file_name]
        self.file_lists[file_name] = None
        suffix = Path(file_name).suffix.lower()
        if suffix in (".xml", ".geojson"):
            self.at(row, "external_data/file_type", header, file=file_name)
            return None
        if not CHOICE_FILE_RE.match(file_name):
            self.at(row, "external_data/file_name", header, file=file_name)
            return None
        path = self.find_media(file_name)
        entity_list = self.entity_list_of(file_name)
        on_hub = self.known_entity_lists is not None
        if entity_list is not None and (
            self.is_entity_list(entity_list) or (path is None and on_hub)
        ):
            return self.entity_choice_list(row, header, file_name, entity_list)
        if path is None:
            self.at(row, "external_data/missing_file", header, file=file_name)
            return None
        list_name = self.unique_list_name(Path(file_name).stem)
        self.choice_sources[list_name] = file_name
        if self.read_choice_file(row, header, path, file_name, list_name):
            self.file_lists[file_name] = list_name
        return self.file_lists[file_name]

    def find_media(self, file_name: str) -> Path | None:
        for path in (
            self.media.get(file_name),
            self.media_dir / file_name if self.media_dir else None,
        ):
            if path is not None and path.is_file():
                return path
        return None

    def read_choice_file(
        self, row: _Row, header: str, path: Path, file_name: str, list_name: str
    ) -> bool:
        """The file's rows as choices of `list_name`; False (and said) when unusable."""
        errors = len(self.errors)
        try:
            with csv_file(path) as reader:
                columns = [_classify(h) for h in reader.fieldnames or [] if h is not None]
                if not any(c.base == "name" and c.language is None for c in columns):
                    self.report("external_data/file_columns", file_name, 1, "name")
                    return False
                self.file_languages(file_name, columns)
                columns = [_Column(_FILE_LIST, "list_name", None), *columns]
                duplicates = self.yes_setting("allow_choice_duplicates")
                for number, values in enumerate(reader, start=2):
                    if number > MAX_FILE_CHOICES + 1:
                        self.report(
                            "external_data/file_size", file_name, number, None, max=MAX_FILE_CHOICES
                        )
                        return False
                    values = {k: v for k, v in values.items() if k is not None}
                    if any(v not in (None, "") for v in values.values()):
                        self.choice_row(
                            _Row(file_name, number, {**values, _FILE_LIST: list_name}, columns),
                            duplicates,
                        )
        except (OSError, UnicodeDecodeError, csv.Error) as error:
            self.at(
                row,
                "external_data/unreadable_file",
                header,
                file=file_name,
                detail=type(error).__name__,
            )
            return False
        if list_name not in self.choices and len(self.errors) == errors:
            self.at(row, "external_data/empty_file", header, file=file_name)
        return list_name in self.choices and len(self.errors) == errors

    def file_languages(self, file_name: str, columns: list[_Column]) -> None:
        """A choice file's `label::Français (fr)` columns, read as the sheets' are."""
        for column in columns:
            if (
                column.base == "label"
                and column.language
                and column.language.lower() != "default"
                and column.language not in self.language_of
            ):
                self.language_of[column.language] = self.language(file_name, column)

    def yes_setting(self, key: str) -> bool:
        return (self.setting(key) or "").strip().lower() in YES

    def choice_row(self, row: _Row, duplicates_allowed: bool) -> None:
        self.row_columns(row)
        list_name, list_header = row.cell("list_name")
        name, name_header = row.cell("name")
        if list_name is None:
            self.at(row, "missing_list_name", list_header)
            return
        if list_name not in self.list_rows:
            self.list_rows[list_name] = row.number
            if not NAME_RE.match(list_name):
                self.at(row, "bad_name/list", list_header, name=list_name)
        if name is None:
            self.at(row, "missing_name/choice", name_header, list=list_name)
            return
        if len(name) > 64:
            self.at(row, "bad_name/choice_length", name_header, name=name[:20])
        if (list_name, name) in self.seen_choices and not duplicates_allowed:
            self.at(
                row,
                "duplicate_choice",
                name_header,
                list=list_name,
                name=name,
                used=self.seen_choices[list_name, name],
            )
            return
        self.seen_choices.setdefault((list_name, name), row.number)
        # A choice without a label shows its name, as ODK and pyxform show it.
        label = self.texts(row, "label") or {self.default_code: name}
        if any(FIELD_REFERENCE.search(text) for text in label.values()):
            self.at(row, "label_reference", row.header("label"))  # shown as written
        choice = {"name": name, "label": label}
        parent, _ = row.cell("parent")
        if parent:
            choice["parent"] = parent
        data = self.choice_data(row)
        if data:
            choice["data"] = data
        media = self.prompt_media(row)
        if media:
            choice["media"] = media
        self.choices.setdefault(list_name, []).append(choice)
        self.choice_rows.setdefault(list_name, []).append(row.number)

    def choice_data(self, row: _Row) -> dict[str, str]:
        """The choice's other columns (such as `region`), which choice filters test."""
        data = {}
        for column in row.columns:
            value = row.values.get(column.header)
            if (
                column.base in CHOICE_COLUMNS
                or column.base in TRANSLATABLE
                or value in (None, "")
                or not NAME_RE.match(column.base)
            ):
                continue
            data[column.base] = str(value).strip()
        return data

    # -- loops
    def expand_loops(
        self, entries: list[tuple[int, dict]], outermost: bool = True
    ) -> list[tuple[int, dict]]:
        """`begin loop over LIST` … `end loop` as pyxform builds it: the rows between, once
        per choice of LIST, each time in a group named after the choice, `%(name)s` and
        `%(label)s` replaced by the choice's name and label. Each outermost loop is also
        kept as written (self.loops), for export to write back."""
        out: list[tuple[int, dict]] = []
        index = 0
        while index < len(entries):
            number, values = entries[index]
            match = GROUP_PATTERN.match(_type_word(values, self.survey_columns))
            if not match or match.group(2) != "loop":
                out.append(entries[index])
                index += 1
                continue
            if match.group(1) == "end":
                out.append((number, {**values, self.type_header: "end loop"}))  # stray: said
                index += 1
                continue
            end = self.loop_end(entries, index)
            if end is None:
                out.append((number, {**values, self.type_header: "begin loop"}))  # said later
                out.extend(self.expand_loops(entries[index + 1 :], outermost))
                return out
            body = self.expand_loops(entries[index + 1 : end], outermost=False)
            copies = self.loop_copies(number, values, match.group(3), body, entries[end][0])
            if copies and outermost:
                self.keep_loop(values, match.group(3), entries[index + 1 : end])
            out.extend(copies)
            index = end + 1
        return out

    def loop_end(self, entries: list[tuple[int, dict]], start: int) -> int | None:
        depth = 0
        for index in range(start, len(entries)):
            match = GROUP_PATTERN.match(_type_word(entries[index][1], self.survey_columns))
            if match and match.group(2) == "loop":
                depth += 1 if match.group(1) == "begin" else -1
                if depth == 0:
                    return index
        return None

    def loop_copies(
        self,
        number: int,
        values: dict,
        list_name: str | None,
        body: list[tuple[int, dict]],
        end_number: int,
    ) -> list[tuple[int, dict]]:
        row = _Row(SURVEY, number, values, self.survey_columns)
        if not list_name or list_name not in self.choices:
            self.at(row, "unknown_list/loop", self.type_header)
            return []
        loop_name = row.cell("name")[0] or list_name
        relevant, relevant_header = row.cell("relevant")
        label_headers = [c for c in self.survey_columns if c.base == "label"]
        out: list[tuple[int, dict]] = []
        renamed: tuple | None = None
        for choice in self.choices[list_name]:
            group = {
                self.type_header: "begin group",
                self.name_header: f"{loop_name}_{choice['name']}",
                relevant_header: relevant,
            }
            for column in label_headers:
                code = self.code_of(column)
                group[column.header] = choice["label"].get(code) or next(
                    iter(choice["label"].values())
                )
            out.append((number, group))
            for row_number, item in body:
                copy, old, new = self.loop_row(item, choice)
                out.append((row_number, copy))
                if renamed is None and old and new != old:
                    renamed = (old, choice["name"], new)
            out.append((end_number, {self.type_header: "end group"}))
        if renamed:
            self.at(
                row,
                "loop",
                self.type_header,
                list=list_name,
                count=len(self.choices[list_name]),
                name=renamed[0],
                choice=renamed[1],
                renamed=renamed[2],
            )
        return out

    def keep_loop(self, values: dict, list_name: str, body: list[tuple[int, dict]]) -> None:
        """The loop as the workbook has it (forms.LoopSchema): its questions stay on the form
        once per choice, in the groups `copies` names; export writes this back instead."""
        row = _Row(SURVEY, 0, values, self.survey_columns)
        loop: dict[str, Any] = {"name": row.cell("name")[0] or list_name, "list": list_name}
        label = self.texts(row, "label", warn_missing=False)
        if label:
            loop["label"] = label
        relevant = row.cell("relevant")[0]
        if relevant:
            loop["relevant"] = relevant
        loop["copies"] = [f"{loop['name']}_{choice['name']}" for choice in self.choices[list_name]]
        loop["rows"] = [written for _, item in body if (written := self.written_row(item))]
        if loop["rows"]:
            self.loops.append(loop)

    def written_row(self, values: dict) -> dict:
        """A survey row by column, as written (placeholders and all): a loop's body row."""
        row = _Row(SURVEY, 0, values, self.survey_columns)
        written: dict[str, Any] = {}
        for base in LOOP_COLUMNS:
            value = row.cell(base)[0]
            if value is not None:
                written[base] = " ".join(value.split()) if base == "type" else value
        for base in LOOP_TEXTS:
            texts = self.texts(row, base, warn_missing=False)
            if texts:
                written[base] = texts
        media: dict[str, dict[str, str]] = {}  # read (and checked) on each copy already
        for column in row.columns:
            value, code = row.values.get(column.header), self.code_of(column)
            if column.kind and code and value not in (None, ""):
                media.setdefault(column.kind, {})[code] = str(value).strip()
        if media:
            written["media"] = media
        return written

    def loop_row(self, values: dict, choice: dict) -> tuple[dict, str | None, str | None]:
        """One row of a loop's body for one choice: placeholders filled; a name without a
        placeholder gets the choice's name after it, so each copy has a name of its own."""
        copy = {}
        for column in self.survey_columns:
            value = values.get(column.header)
            if isinstance(value, str) and "%(" in value:
                label = choice["label"].get(self.code_of(column) or "") or next(
                    iter(choice["label"].values())
                )
                value = value.replace("%(name)s", choice["name"]).replace("%(label)s", label)
            copy[column.header] = value
        old = values.get(self.name_header)
        old = str(old).strip() if old not in (None, "") else None
        new = copy.get(self.name_header)
        word = _type_word(values, self.survey_columns)
        if old and new == old and not word.startswith("end"):
            new = copy[self.name_header] = f"{old}_{choice['name']}"
        return copy, old, new

    # -- survey
    def read_survey(self) -> None:
        self.sections: list[dict] = []
        self.question_rows: list[list[int]] = []  # per section, per question: its row
        self.section_rows: list[int | None] = []
        self.names: dict[str, int] = {}  # every question and repeat → its row (for references)
        self.paths: dict[str, tuple] = {}  # each question's groups, outermost first
        self.shared_names: dict[str, list[int]] = {}  # a name two groups use → their rows
        self.group_names: dict[str, int] = {}  # every group → its row
        self.top_level: dict[str, int] = {}  # groups and repeats outside any → their rows
        self.own_groups: dict[int, dict] = {}  # id of a group's page → the group as written
        self.metadata: list[dict] = []  # start, end, today, deviceid, username
        self.metadata_names: set[str] = set()
        self.holders: set[int] = set()  # ids of group sections a repeat was taken out of
        self.continued: dict[int, str] = {}  # id of a group's page after a repeat → group name
        self.used_lists: dict[str, list[tuple[int, str, str]]] = {}  # list → (row, header, type)
        self.expressions: list[tuple[int, str, str]] = []  # (row, header, source)
        self.choice_filters: list[tuple[int, str, str]] = []
        self.acknowledge_list: str | None = None
        self.loops: list[dict] = []  # each outermost loop as written (keep_loop)
        self.type_header = _Row(SURVEY, 1, {}, self.survey_columns).header("type")
        self.name_header = _Row(SURVEY, 1, {}, self.survey_columns).header("name")
        entries = [(index + 2, values) for index, values in enumerate(self.rows(SURVEY)) if values]
        stack: list[dict] = []
        self.loose: dict | None = None
        for number, values in self.expand_loops(entries):
            self.survey_row(_Row(SURVEY, number, values, self.survey_columns), stack)
        for frame in stack:
            self.report(
                "unbalanced_group/open",
                SURVEY,
                frame["row"],
                frame["header"],
                kind=frame["kind"],
                name=frame["name"] or "",
            )
        self.finish_sections()
        self.check_instance_keys()

    def check_instance_keys(self) -> None:
        """A name such as `Q1.2` beside a question `Q1` asked in a repeat: the page would
        post both answers under the same key, so one must be renamed."""
        clashes = instance_key_clashes({"sections": self.sections, "metadata": self.metadata})
        for name, repeated, position in clashes:
            row = self.names.get(name, self.group_names.get(name))
            self.report(
                "bad_name/instance_key",
                SURVEY,
                row,
                self.name_header,
                name=name,
                repeated=repeated,
                position=position,
                used=self.names.get(repeated),
            )

    def survey_row(self, row: _Row, stack: list[dict]) -> None:
        raw_type, type_header = row.cell("type")
        if raw_type is None:
            if row.cell("name")[0] or self.texts(row, "label", warn_missing=False):
                self.at(row, "missing_type", type_header)
            return
        kind = " ".join(raw_type.split()).lower()
        kind = TYPE_ALIASES.get(kind, kind)
        group = GROUP_PATTERN.match(kind)
        if group:
            self.loose = None
            self.group_row(row, group.group(1), group.group(2), type_header, stack)
            return
        for spec in self.question_row(row, raw_type, kind, type_header, stack):
            self.place(spec, row, stack)

    def place(self, spec: dict, row: _Row, stack: list[dict]) -> None:
        """Put a question on its page: the innermost repeat's, the outer group's, or a page
        of questions outside any group."""
        if stack:
            owner = _owner(stack)
            if stack[owner].get("split"):
                self.continue_group(stack[owner], row)
            section, rows = stack[owner]["section"], stack[owner]["rows"]
            # A nested group's relevance carries over to each of its questions, which also
            # keep the groups themselves (the page's headings, export's rows).
            parts = [f["relevant"] for f in stack[owner + 1 :] if f["relevant"]]
            if parts:
                spec["relevant"] = _all_of([*parts, spec.get("relevant")])
            groups = [f["group"] for f in stack[owner + 1 :] if f.get("group")]
            if groups:
                spec["groups"] = groups
        else:
            if self.loose is None:
                self.loose = {"name": None, "label": None, "questions": [], "ungrouped": True}
                self.sections.append(self.loose)
                self.question_rows.append([])
                self.section_rows.append(None)
            section, rows = self.loose, self.question_rows[-1]
        section["questions"].append(spec)
        rows.append(row.number)

    # -- groups and repeats
    def group_row(self, row: _Row, verb: str, kind: str, type_header: str, stack: list) -> None:
        # A loop left here has no match (matched loops are groups by now): said as such.
        kind = kind if kind in ("group", "loop") else "repeat"
        if verb == "end":
            self.end_group(row, kind, type_header, stack)
            return
        name, name_header = row.cell("name")
        self.row_columns(row)
        saved, saved_header = row.cell("save_to")
        if saved:
            self.at(row, "entities/save_to_group", saved_header)
        self.group_name(row, kind, name, name_header, stack)
        repeat_count = self.repeat_count(row, kind)
        relevant, relevant_header = row.cell("relevant")
        if relevant and self.foreign_call(row, relevant_header, relevant):
            relevant = None
        if relevant:
            self.expressions.append((row.number, relevant_header, relevant))
        appearance, appearance_header = row.cell("appearance")
        if appearance and appearance.lower() not in GROUP_APPEARANCES:
            self.at(row, "ignored_appearance/group", appearance_header, value=appearance)
        frame = {
            "kind": kind,
            "name": name,
            "row": row.number,
            "header": type_header,
            "relevant": relevant,
        }
        if self.nested(row, frame, stack):
            return
        self.open_section(row, frame, stack, repeat_count)

    def end_group(self, row: _Row, kind: str, type_header: str, stack: list) -> None:
        if not stack:
            self.at(row, "unbalanced_group/stray", type_header, kind=kind)
            return
        if stack[-1]["kind"] != kind:
            self.at(
                row,
                "unbalanced_group/crossed",
                type_header,
                kind=kind,
                other=stack[-1]["kind"],
                used=stack[-1]["row"],
            )
        stack.pop()

    def group_name(self, row: _Row, kind: str, name: str | None, header: str, stack: list) -> None:
        # Beside each other (outside any group, or in the same one), two groups or repeats
        # may not share a name, as in pyxform; elsewhere a group may have any group's or
        # repeat's name (its page is then renamed: finish_sections).
        siblings = stack[-1].setdefault("children", {}) if stack else self.top_level
        if name is None:
            self.at(row, "missing_name/group", header, kind=kind)
        elif not FIELD_RE.match(name):
            self.at(row, "bad_name", header, name=name)
        elif name in siblings or (kind == "repeat" and name in self.names):
            # A repeat's name holds its answers and is referable: unique in the whole form.
            used = siblings.get(name, self.names.get(name))
            self.at(row, "duplicate_name", header, name=name, used=used)
        elif kind == "repeat":
            self.names[name] = siblings[name] = row.number
        else:
            self.group_names.setdefault(name, row.number)
            siblings[name] = row.number

    def repeat_count(self, row: _Row, kind: str) -> str | None:
        repeat_count, header = row.cell("repeat_count")
        if repeat_count and kind == "group":
            self.at(row, "ignored_column/repeat_count", header)
            return None
        if repeat_count:
            self.expressions.append((row.number, header, repeat_count))
            if NUMBER_LITERAL.match(repeat_count) and float(repeat_count) > MAX_INSTANCES:
                self.at(row, "repeat_count", header, max=MAX_INSTANCES, value=repeat_count)
        return repeat_count

    def nested(self, row: _Row, frame: dict, stack: list) -> bool:
        """A repeat too deep in repeats (refused) or a group in a group or repeat (its
        questions join the page around it, each carrying the group): True when the row
        opens no page of its own. A repeat inside a repeat opens its own section, drawn
        inside the outer one's instances."""
        name, kind = frame["name"], frame["kind"]
        outer = [f for f in stack if f["kind"] == "repeat"]
        if kind == "repeat" and len(outer) >= MAX_REPEAT_DEPTH:
            self.at(
                row,
                "nested_repeat",
                frame["header"],
                name=name or "",
                outer=outer[-1]["name"] or "",
                used=outer[-1]["row"],
                max=MAX_REPEAT_DEPTH,
            )
        elif stack and kind == "group":
            frame["group"] = self.inner_group(row, frame)
        else:
            return False
        stack.append(frame)
        return True

    def inner_group(self, row: _Row, frame: dict, label: dict | None = None) -> dict | None:
        """A group inside a group or a repeat as its questions carry it (forms.GroupSchema);
        None without a name (refused as such). `label`: the row's, when already read."""
        if frame["name"] is None:
            return None
        group: dict = {"name": frame["name"]}
        label = self.texts(row, "label") if label is None else label
        if label:
            group["label"] = label
        if frame["relevant"]:
            group["relevant"] = frame["relevant"]
        appearance, _ = row.cell("appearance")
        if appearance and appearance.lower() in GROUP_APPEARANCES:
            group["appearance"] = appearance.lower()
        return group

    def open_section(self, row: _Row, frame: dict, stack: list, repeat_count: str | None):
        name, kind, relevant = frame["name"], frame["kind"], frame["relevant"]
        given = self.texts(row, "label")
        label = given or {self.default_code: (name or "section").replace("_", " ").capitalize()}
        section = {"name": name, "label": label, "questions": []}
        outer = [i for i, f in enumerate(stack) if f["kind"] == "repeat"]
        around = stack[outer[-1] + 1 :] if kind == "repeat" and outer else stack
        if kind == "repeat" and outer:
            # Inside a repeat: drawn in each of its instances, after their questions (the
            # same data paths); the relevance of the groups between them carries over.
            section["within"] = stack[outer[-1]]["name"]
            relevant = _all_of([*(f["relevant"] for f in around), relevant])
        elif kind == "repeat":
            # Its own page: the relevance of the groups around it carries over to it.
            relevant = _all_of([*(f["relevant"] for f in stack), relevant])
            if stack:
                holder = stack[_owner(stack)]
                holder["split"] = True  # the group's next questions go on a page after it
                self.holders.add(id(holder["section"]))
        else:
            frame["group"] = self.inner_group(row, frame, given)  # what a repeat in it keeps
            if frame["group"]:
                self.own_groups[id(section)] = frame["group"]
        if relevant:
            section["relevant"] = relevant
        # The groups a repeat stands in, kept for export: the same data paths.
        groups = [f["group"] for f in around if f.get("group")] if kind == "repeat" else []
        if groups:
            section["groups"] = groups
        if kind == "repeat":
            section["repeat"] = True
            if repeat_count:
                section["repeat_count"] = repeat_count
        self.sections.append(section)
        self.question_rows.append([])
        self.section_rows.append(row.number)
        frame.update(section=section, rows=self.question_rows[-1])
        stack.append(frame)

    def continue_group(self, frame: dict, row: _Row) -> None:
        """The group's questions after a repeat it holds: on a page of their own, after the
        repeat's (the same label and relevance), so the form keeps its order."""
        frame.pop("split")
        old = frame["section"]
        index = next(i for i, s in enumerate(self.sections) if s is old)
        if not old["questions"]:  # nothing before the repeat: the group's page moves after it
            self.sections.append(self.sections.pop(index))
            self.question_rows.append(self.question_rows.pop(index))
            self.section_rows.append(self.section_rows.pop(index))
            self.holders.discard(id(old))
            return
        section = {key: value for key, value in old.items() if key != "questions"}
        section["questions"] = []
        if frame.get("group"):  # no group of its own: export writes it back into the group
            section["groups"] = [frame["group"]]
        self.sections.append(section)
        self.question_rows.append([])
        self.section_rows.append(self.section_rows[index])
        self.continued[id(section)] = old["name"]
        frame.update(section=section, rows=self.question_rows[-1])
        self.at(row, "split_group", row.header("type"), name=old["name"])

    # -- questions
    def question_row(
        self, row: _Row, raw_type: str, kind: str, type_header: str, stack: list[dict]
    ) -> list[dict]:
        """The question(s) a survey row gives: none (refused, or metadata), one, or two (a
        select `or_other` and its 'specify' question)."""
        name, name_header = row.cell("name")
        select = SELECT_PATTERN.match(raw_type.strip())
        found: str | None
        if select:
            found, options = self.select_type(row, raw_type, select, type_header)
        else:
            handler = TYPE_HANDLERS.get(kind, _Converter.other_type)
            found, options = handler(self, row, raw_type, kind, type_header)
        if options.get("silent"):
            return []
        if found == "metadata":
            self.metadata_row(row, raw_type.strip().lower(), name, name_header)
            return []
        kept = self.check_name(row, name, name_header, stack)  # so references resolve
        if found is None:
            return []  # already an error; its other columns do not matter
        spec = self.question_spec(row, kept, found, options)
        if kept != name:
            spec["xlsform_name"] = name
        if options.get("or_other"):
            return [spec, self.other_question(spec, row)]
        return [spec]

    def select_type(
        self, row: _Row, raw_type: str, select: re.Match, type_header: str
    ) -> tuple[str | None, dict]:
        """select_one LIST, `select one from LIST`, `select all that apply from LIST`, and
        `… or specify other` / `or_other`, read as pyxform reads them."""
        word = " ".join(select.group("word").split()).lower()
        list_name = select.group("list")
        if word in EXTERNAL_SELECTS:
            return self.external_select(row, raw_type, select, word, type_header)
        kind = SELECT_WORDS[word]
        if select.group("rest"):
            self.at(row, "unknown_type", type_header, type=raw_type)
        if list_name is None:
            self.at(row, "unknown_list/missing", type_header, type=raw_type, word=word)
            return kind, {}
        repeated = REPEAT_CHOICES.fullmatch(list_name)
        if kind == "rank" and (repeated or select.group("other")):
            self.at(row, "unsupported_type/rank", type_header)
            return None, {}
        if repeated and not select.group("other"):  # select_one ${member_name}
            return kind, {"choices_from": repeated.group(1)}
        return kind, {"list": list_name, "or_other": bool(select.group("other"))}

    def external_select(
        self, row: _Row, raw_type: str, select: re.Match, word: str, type_header: str
    ) -> tuple[str | None, dict]:
        """`select_one_from_file fruits.csv`, `select_multiple_from_file`, and
        `select_one_external LIST` (the external_choices sheet): selects of a list read in."""
        kind = "select_multiple" if "multiple" in word else "select_one"
        source = select.group("list")
        if select.group("rest") or select.group("other"):
            self.at(row, "unknown_type", type_header, type=raw_type)
            return None, {}
        if source is None:
            key = "unknown_list/missing" if word.endswith("external") else "unknown_list/file"
            self.at(row, key, type_header, type=raw_type, word=word)
            return None, {}
        if word == "select_one_external":
            if source not in self.external_names:
                key = (
                    "unknown_list/external"
                    if self.rows(EXTERNAL_CHOICES)
                    else "unknown_list/no_external_sheet"
                )
                self.at(row, key, type_header, list=source)
                return None, {}
            return kind, {"list": self.external_names[source]}
        parameters, header = row.cell("parameters")
        if parameters:  # ODK's value= and label= pick other columns of the file
            self.at(row, "external_data/parameters", header, value=parameters)
            return None, {}
        list_name = self.file_list(row, source, type_header)
        return (kind, {"list": list_name, "from_file": True}) if list_name else (None, {})

    def basic_type(self, row: _Row, raw_type: str, kind: str, type_header: str):
        return kind, {}

    def metadata_type(self, row: _Row, raw_type: str, kind: str, type_header: str):
        if kind in IGNORED_METADATA:
            self.at(row, "ignored_type/metadata", type_header, type=raw_type)
            return None, {"silent": True}
        return "metadata", {}

    def unsupported_type(self, row: _Row, raw_type: str, kind: str, type_header: str):
        self.at(row, UNSUPPORTED_TYPES[kind], type_header, type=kind)
        return None, {}

    def xml_external(self, row: _Row, raw_type: str, kind: str, type_header: str):
        """`xml-external streets`: streets.xml, found and kept as a choice file is, read by
        instance('streets')/root/item[...]/column; the row asks nothing."""
        name, header = row.cell("name")
        file_name = f"{name}.xml"
        if name is None or not CHOICE_FILE_RE.match(f"{name}.csv"):
            self.at(row, "external_data/file_name", header, file=file_name)
            return None, {"silent": True}
        if name in self.choices:  # instance('NAME') could read only one of them
            self.at(row, "external_data/list_name", header, name=name)
            return None, {"silent": True}
        self.xml_lists.add(name)  # declared: a problem with its file is said on this row only
        too_large = {"file": file_name, "max": MAX_DATA_BYTES // 1000}
        path = self.find_media(file_name)
        if path is None:
            self.at(row, "external_data/missing_file", type_header, file=file_name)
        elif path.stat().st_size > 4 * MAX_DATA_BYTES:  # more than a page carries, once read
            self.at(row, "external_data/pulldata_size", type_header, **too_large)
        elif (rows := self.read_xml_file(row, type_header, file_name, path)) is not None:
            kept = {k: v for k, v in self.data_files.items() if v is not None}
            if data_size({**kept, file_name: rows}) > MAX_DATA_BYTES:
                self.at(row, "external_data/pulldata_size", type_header, **too_large)
            else:
                self.data_files[file_name] = rows
        return None, {"silent": True}

    def read_xml_file(
        self, row: _Row, header: str, file_name: str, path: Path
    ) -> list[list[str]] | None:
        """ODK's external instance (<root><item><name>..</name>..</item>..</root>) as a data
        file's rows: the items' child elements are the columns, in the order first met."""
        try:
            # No DTD, in whatever encoding the file is written: no entity is ever expanded.
            root = safe_xml.fromstring(path.read_bytes(), forbid_dtd=True)
            items = [i for i in root if _local(i.tag) == "item"]
        except (OSError, ElementTree.ParseError, DefusedXmlException) as error:
            self.at(
                row,
                "external_data/unreadable_xml",
                header,
                file=file_name,
                detail=type(error).__name__,
            )
            return None
        columns = list(dict.fromkeys(_local(child.tag) for item in items for child in item))
        if not columns:
            self.at(row, "external_data/empty_file", header, file=file_name)
            return None
        if len(items) > MAX_FILE_CHOICES:
            self.at(row, "external_data/file_size", header, max=MAX_FILE_CHOICES)
            return None
        values = [{_local(c.tag): (c.text or "").strip() for c in item} for item in items]
        return [columns, *([value.get(c, "") for c in columns] for value in values)]

    def external_type(self, row: _Row, raw_type: str, kind: str, type_header: str):
        self.at(row, "external_data/type", type_header, type=raw_type)
        return None, {}

    def converted_type(self, row: _Row, raw_type: str, kind: str, type_header: str):
        """acknowledge, barcode and hidden: asked as one of our types, said once per row."""
        self.at(row, f"converted_type/{kind}", type_header)
        return {"acknowledge": "select_one", "barcode": "text", "hidden": "calculate"}[kind], {
            "converted": kind
        }

    def phone_number_type(self, row: _Row, raw_type: str, kind: str, type_header: str):
        """ODK's old `phone number`: a text typed with the number keys, and identifying (a
        phone number points at one person), said once per row."""
        self.at(row, "converted_type/phone_number", type_header)
        return "text", {"converted": "phone number"}

    def other_type(self, row: _Row, raw_type: str, kind: str, type_header: str):
        self.at(row, "unknown_type", type_header, type=raw_type)
        return None, {}

    def check_name(
        self, row: _Row, name: str | None, header: str, stack: list[dict] | None = None
    ) -> str | None:
        """The name the question keeps: its own, or, for a name a question of another group
        already has (as ODK allows), the group's name before it."""
        path = tuple(frame.get("name") for frame in stack or ())
        if name is None:
            self.at(row, "missing_name", header)
        elif name in self.names and self.paths.get(name, path) != path:
            kept = self.group_scoped_name(name, path, row.number)
            self.at(
                row, "duplicate_name/group", header, name=name, used=self.names[name], kept=kept
            )
            self.shared_names.setdefault(name, [self.names[name]]).append(row.number)
            self.names[kept], self.paths[kept] = row.number, path
            return kept
        elif name in self.names:
            self.at(row, "duplicate_name", header, name=name, used=self.names[name])
        else:
            self.names[name], self.paths[name] = row.number, path
            if not FIELD_RE.match(name):
                self.at(row, "bad_name", header, name=name)
        return name

    def group_scoped_name(self, name: str, path: tuple, number: int) -> str:
        """`household_name` for a second `name` in the group `household`; unique."""
        base = f"{path[-1]}_{name}" if path and path[-1] else f"{name}_{number}"
        kept, count = base, 1
        while kept in self.names or kept in self.group_names:
            count += 1
            kept = f"{base}_{count}"
        return kept

    def metadata_row(self, row: _Row, kind: str, name: str | None, header: str) -> None:
        """start, end, today, deviceid, username, audit: kept on the form, recorded by the
        hub; the privacy column may say how the value leaves (drop, or a coarser day)."""
        if kind == "audit":
            self.audit_parameters(row)
            if name not in (None, "audit"):  # ODK's tools take no other name
                self.at(row, "bad_name/audit", header, name=name)
                return
            name = "audit"
        self.check_name(row, name, header)
        if name is not None and FIELD_RE.match(name):
            item = {"name": name, "type": TYPE_ALIASES.get(kind, kind)}
            privacy, privacy_header = row.cell("privacy")
            if privacy is not None:
                try:
                    check_metadata_rule(item["type"], privacy)
                except ValidationError as error:
                    detail = " ".join(error.normalized_messages()["privacy"])
                    self.at(row, "bad_privacy", privacy_header, detail=detail)
                else:
                    item["privacy"] = privacy
            self.metadata.append(item)
            self.metadata_names.add(name)

    def audit_parameters(self, row: _Row) -> None:
        """None of ODK's audit parameters is kept, each left out with a warning: location
        tracking (the audit is recorded without it), the log of changes and of who filled
        the form (set to false, they ask for nothing and are passed over)."""
        value, header = row.cell("parameters")
        for part in parameter_parts(value):
            key, _, given = part.partition("=")
            key, given = key.strip().lower(), given.strip().lower()
            if not part or (key in AUDIT_CHANGES and given in ("false", "no", "never")):
                continue
            if key in AUDIT_LOCATION:
                self.at(row, "audit_location", header, part=part)
            elif key in AUDIT_CHANGES:
                self.at(row, "ignored_column/audit_changes", header, part=part)
            else:
                self.at(row, "ignored_column/audit_parameter", header, part=part)

    def question_spec(self, row: _Row, name: str | None, kind: str, options: dict) -> dict:
        """The question's definition, column by column."""
        self.row_columns(row)
        spec: dict[str, Any] = {"name": name or "", "type": kind}
        for step in QUESTION_STEPS:
            step(self, row, spec, options)
        return spec

    def label_and_type(self, row: _Row, spec: dict, options: dict) -> None:
        kind = spec["type"]
        label = self.texts(row, "label", warn_missing=kind not in ("calculate", "start-geopoint"))
        if not label and kind == "start-geopoint":
            label = catalog_texts(START_LOCATION_LABEL, self.codes)
        if not label and kind != "calculate":
            label = self.unlabelled(row, spec, options)
        if any(FIELD_REFERENCE.search(text) for text in label.values()):
            self.at(row, "label_reference", row.header("label"))
        if label:
            spec["label"] = label
        if options.get("computed"):
            return  # asked of nobody: no choices to offer
        if options.get("converted") == "acknowledge":
            spec["choices"] = self.acknowledge_choices()
        elif options.get("converted") == "hidden":
            default, _ = row.cell("default")
            spec["calculation"] = _string_literal(default or "")
        elif options.get("converted") == "phone number":
            spec["appearance"] = "numbers"  # the appearance column, if filled, decides
        elif options.get("choices_from"):
            spec["choices_from"] = options["choices_from"]
        elif options.get("list"):
            list_name = options["list"]
            spec["choices"] = list_name
            self.used_lists.setdefault(list_name, []).append((row.number, row.header("type"), kind))
            if options.get("or_other") and list_name in self.choices:
                self.add_other(list_name)

    def unlabelled(self, row: _Row, spec: dict, options: dict) -> dict[str, str]:
        """A question without a label, taken as pyxform takes it: its hint is its label; with
        a calculation or a trigger it is computed and hidden (a calculate, as ODK shows it no
        control); with only a prompt in sound or picture, its name names it, and so it does,
        with a warning, when the row has only a `media` cell (which pyxform ignores)."""
        hint = self.texts(row, "hint", warn_missing=False)
        if hint:
            options["hint_as_label"] = True
            return hint
        if row.cell("calculation")[0] or row.cell("trigger")[0]:
            spec["type"], options["computed"] = "calculate", True
            return {}
        prompts = [c for c in row.columns if c.base == "media" and c.kind in PROMPT_KINDS]
        if spec["name"] and any(row.values.get(c.header) not in (None, "") for c in prompts):
            return {code: spec["name"] for code in self.codes}
        bare = [c for c in row.columns if c.base == "media" and c.kind is None]
        if spec["name"] and any(row.values.get(c.header) not in (None, "") for c in bare):
            self.at(row, "missing_label/named", row.header("label"), name=spec["name"])
            return {code: spec["name"] for code in self.codes}
        if spec["name"]:
            self.at(row, "missing_label", row.header("label"), name=spec["name"])
        else:
            self.at(row, "missing_label/unnamed", row.header("label"))
        return {}

    def repeat_count_here(self, row: _Row, spec: dict, options: dict) -> None:
        repeat_count, header = row.cell("repeat_count")
        if repeat_count:
            self.at(row, "ignored_column/repeat_count", header)

    def translated_columns(self, row: _Row, spec: dict, options: dict) -> None:
        for key in ("hint", "required_message", "constraint_message"):
            if key == "hint" and options.get("hint_as_label"):
                continue  # shown once, as the label
            text = self.texts(row, key)
            if text:
                spec[key] = text
        media = self.prompt_media(row)
        if media:
            spec["media"] = media

    # -- prompts in sound and picture
    def prompt_media(self, row: _Row) -> dict[str, dict[str, str]]:
        """The row's prompts: kind → file name per language, each file read once (a
        missing one is a warning: the question is asked without it)."""
        media: dict[str, dict[str, str]] = {}
        place = (row.sheet, row.number)
        for kind in PROMPT_KINDS:
            columns = [c for c in row.columns if c.base == "media" and c.kind == kind]
            # Explicit languages win over the bare column when both give the same language.
            columns.sort(key=lambda c: c.language is not None and c.language.lower() != "default")
            for column in columns:
                value = row.values.get(column.header)
                name = str(value).strip() if value not in (None, "") else ""
                code = self.code_of(column)
                if name and code and self.prompt_file(place, column.header, kind, name):
                    media.setdefault(kind, {})[code] = name
        return media

    def prompt_file(
        self, place: tuple[str | None, int | None], header: str, kind: str, name: str
    ) -> bool:
        """Whether the prompt file `name` may be named (it is kept when it was found); its
        problems are said at `place`, (sheet, row)."""
        sheet, number = place
        if FIELD_REFERENCE.search(name):  # a file named by an answer: no file to keep
            self.report("prompt/reference", sheet, number, header, file=name)
            return False
        if not PROMPT_FILE_RE.match(name) or len(name) > 200:
            self.report("prompt/file_name", sheet, number, header, file=name)
            return False
        problem = prompt_kind_problem(kind, name)
        if problem:
            self.report("prompt/file_type", sheet, number, header, file=name, kind=kind)
            return False
        if name.lower().endswith(".mkv"):
            self.report("prompt/matroska", sheet, number, header, file=name)
        if name in self.prompt_files:
            return True
        self.prompt_files[name] = None
        path = self.find_media(name)
        if path is None:
            self.report("prompt/missing_file", sheet, number, header, file=name)
            return True  # named all the same: export writes it back, a later import finds it
        try:
            content = read_prompt_file(path)
        except OSError as error:
            self.report(
                "prompt/unreadable", sheet, number, header, file=name, detail=type(error).__name__
            )
            return False
        if len(content) > MAX_PROMPT_FILE_BYTES:
            self.report(
                "prompt/file_size",
                sheet,
                number,
                header,
                file=name,
                max=MAX_PROMPT_FILE_BYTES // MB,
            )
            return False
        total = sum(len(c) for c in self.prompt_files.values() if c) + len(content)
        if total > MAX_PROMPT_FORM_BYTES:
            self.report(
                "prompt/form_size",
                sheet,
                number,
                header,
                file=name,
                max=MAX_PROMPT_FORM_BYTES // MB,
            )
            return False
        self.prompt_files[name] = content
        return True

    def logic(self, row: _Row, spec: dict, options: dict) -> None:
        for key in ("relevant", "constraint"):
            value, header = row.cell(key)
            if value and self.foreign_call(row, header, value):
                continue
            if value:
                spec[key] = value
                self.expressions.append((row.number, header, value))
        choice_filter, header = row.cell("choice_filter")
        if choice_filter and self.foreign_call(row, header, choice_filter):
            return
        if choice_filter and spec["type"] in ("select_one", "select_multiple", "rank"):
            spec["choice_filter"] = choice_filter
            self.choice_filters.append((row.number, header, choice_filter))
        elif choice_filter:
            self.at(row, "ignored_column/choice_filter", header)

    def foreign_call(self, row: _Row, header: str, source: str) -> bool:
        """Whether the expression calls another framework's function (`wq:ForeignKey(...)`,
        a namespaced name ODK does not know): the column is then ignored, with a warning.
        An unknown function without a namespace stays an error (check_expressions)."""
        try:
            expressions.check(source)
        except expressions.ExpressionError as error:
            match = FOREIGN_FUNCTION.fullmatch(error.message)
            if match is None or match.group(2).lower() in ODK_PREFIXES:
                return False  # (a misspelt jr: or odk: function is the author's to fix)
            function, prefix = match.group(1), match.group(2)
            key = "wq_function" if prefix == "wq" else "extension_function"
            key = f"ignored_column/{key}"
            self.at(row, key, header, header=header, function=function, prefix=prefix)
            return True
        return False

    def flags(self, row: _Row, spec: dict, options: dict) -> None:
        required, header = row.cell("required")
        if (
            required is not None
            and required.strip().lower() not in YES | NO
            and CONDITION.search(required)
        ):
            # A condition (`${age} > 18`): required while it holds, as XLSForm allows. A note
            # is never answered: a condition asks nothing there, as `yes` does.
            if spec["type"] != "note":
                spec["required_if"] = required.strip()
                self.expressions.append((row.number, header, spec["required_if"]))
        elif required is not None:
            flag = self.yes_no(required, row, header)
            if flag and spec["type"] != "note":
                spec["required"] = True
        identifying, header = row.cell("identifying")
        if identifying is not None and self.yes_no(identifying, row, header):
            spec["identifying"] = True
        elif identifying is None and options.get("converted") == "phone number":
            spec["identifying"] = True

    def privacy(self, row: _Row, spec: dict, options: dict) -> None:
        privacy, privacy_header = row.cell("privacy")
        if privacy is not None:
            try:
                check_privacy_rule(privacy)
            except ValidationError as error:
                self.at(row, "bad_privacy", privacy_header, detail=" ".join(error.messages))
            else:
                spec["privacy"] = privacy
                if privacy.startswith("generalize:area"):
                    self.boundary_file(row, privacy_header, privacy)
        if spec.get("identifying") and spec.get("privacy", "drop") not in IDENTIFYING_RULES:
            self.at(row, "bad_privacy/identifying", privacy_header)

    def boundary_file(self, row: _Row, header: str, rule: str) -> None:
        """Read the GeoJSON boundaries generalize:area[:FILE] names: the named file, or the
        form's only .geojson file (given with --media, or next to the form)."""
        named = rule.split(":", 2)[2] if rule.count(":") == 2 else None
        if named is None:
            found = sorted(
                {
                    *(n for n in self.media if n.lower().endswith(".geojson")),
                    *(p.name for p in (self.media_dir.glob("*.geojson") if self.media_dir else [])),
                }
            )
            if len(found) != 1:
                self.at(row, "external_data/boundaries_file", header, file="*.geojson")
                return
            named = found[0]
        if named in self.boundaries:
            return
        self.boundaries[named] = None
        path = self.find_media(named)
        if path is None:
            self.at(row, "external_data/boundaries_file", header, file=named)
            return
        problems = ["the file is larger than 2 MB"] if path.stat().st_size > 2_000_000 else []
        geojson = None
        if not problems:
            try:
                geojson = json.loads(path.read_text(encoding="utf-8-sig"))
            except (OSError, UnicodeDecodeError, ValueError) as error:
                problems = [type(error).__name__]
            else:
                problems = locations.boundary_problems(named, geojson)
        if problems:
            self.at(row, "external_data/boundaries", header, file=named, detail=problems[0])
        else:
            self.boundaries[named] = geojson

    def disclosure(self, row: _Row, spec: dict, options: dict) -> None:
        """The `disclosure` (key / sensitive) and `hierarchy` columns: ODK and Kobo ignore
        them; the central server's releases use them (sync_server.disclosure)."""
        for column, allowed in (("disclosure", DISCLOSURE_ROLES), ("hierarchy", HIERARCHIES)):
            value, header = row.cell(column)
            if value is None:
                continue
            if value not in allowed:
                self.at(row, f"bad_{column}", header, value=value, allowed=", ".join(allowed))
            else:
                spec[column] = value
        if spec.get("hierarchy") and spec.get("disclosure") != "key":
            self.at(row, "bad_hierarchy/not_key", row.header("hierarchy"))
        if spec.get("disclosure") and "." in spec["name"]:
            self.at(row, "bad_disclosure/dotted_name", row.header("disclosure"), name=spec["name"])

    def calculation(self, row: _Row, spec: dict, options: dict) -> None:
        value, header = row.cell("calculation")
        foreign = value is not None and self.foreign_call(row, header, value)
        if foreign:
            value = None  # said: computed as empty, as nothing here can compute it
        if options.get("converted") == "hidden":
            pass  # its default is its value
        elif spec["type"] == "calculate":
            default, default_header = row.cell("default")
            if not value and default and not options.get("computed") and not foreign:
                value, header = _default_calculation(default), default_header
            if not value and not options.get("computed") and not foreign:  # (a trigger alone)
                self.at(row, "missing_calculation", header or row.header("type"))
            if not value:
                spec["calculation"] = "''"
            else:
                spec["calculation"] = value
                self.expressions.append((row.number, header, value))
        elif value:
            self.at(row, "ignored_column/calculation", header)
        self.trigger(row, spec)

    def trigger(self, row: _Row, spec: dict) -> None:
        """ODK computes a calculation again when the trigger's question changes; the
        collector does so on every change, so the trigger is kept (for export) and said."""
        value, header = row.cell("trigger")
        if not value:
            return
        if spec["type"] != "calculate" or "calculation" not in spec:
            self.at(row, "ignored_column", header, header=header)
            return
        spec["trigger"] = value
        self.expressions.append((row.number, header, value))
        self.at(row, "trigger", header, trigger=value, name=spec["name"])

    def default_and_read_only(self, row: _Row, spec: dict, options: dict) -> None:
        default, header = row.cell("default")
        if default is not None and spec["type"] not in ("note", "calculate"):
            self.fixed_default(row, spec, default, header)
        read_only, header = row.cell("read_only")
        if read_only is not None and self.yes_no(read_only, row, header):
            if spec["type"] in ("note", "calculate"):
                return
            spec["read_only"] = True
            spec.pop("required", None)  # nobody can answer it
            spec.pop("required_if", None)

    def fixed_default(self, row: _Row, spec: dict, default: str, header: str) -> None:
        if "${" in default or "(" in default:
            self.at(row, "ignored_column/default", header, value=default)
            return
        match = DEFAULT_FORMS.get(spec["type"], ANY_TEXT).fullmatch(default.strip())
        if (
            not match
            or not _real_day(spec["type"], default.strip())
            or self.no_choice(spec, default)
        ):
            self.at(row, "bad_default", header, value=default, type=spec["type"])
        elif "minute" in match.groupdict():
            spec["default"] = match.group("minute").replace(" ", "T")  # as answers are kept
        else:
            spec["default"] = default.strip()

    def no_choice(self, spec: dict, default: str) -> bool:
        """Whether a select's default names something that is not one of its choices."""
        if spec["type"] not in ("select_one", "select_multiple", "rank"):
            return False
        if spec.get("choices_from"):
            return True  # a repeat's answers: nothing to name before they are given
        listed = self.choices.get(spec.get("choices", ""))
        if listed is None:
            return False  # an unknown list is said where it is named
        names = {choice["name"] for choice in listed}
        picked = default.split() if spec["type"] != "select_one" else [default.strip()]
        return any(name not in names for name in picked)

    def yes_no(self, value: str, row: _Row, header: str) -> bool:
        low = value.strip().lower()
        if low in YES:
            return True
        if low not in NO:
            self.at(row, "bad_value/yes_no", header, value=value)
        return False

    def appearance(self, row: _Row, spec: dict, options: dict) -> None:
        """Every known appearance that fits the question's type is kept (`minimal quick`),
        but one of each RIVAL_APPEARANCES set: the page draws the question one way."""
        value, header = row.cell("appearance")
        if value is None:
            return
        kept: list[str] = []
        for word in value.split():
            fits = SUPPORTED_APPEARANCES.get(word.lower())
            rival = next((k for k in kept if _rivals(k, word.lower())), None)
            if word.lower() in kept:
                continue
            if fits and spec["type"] in fits and rival is None:
                kept.append(word.lower())
            elif fits and spec["type"] in fits:
                self.at(row, "ignored_appearance/one", header, kept=rival, word=word)
            elif fits:
                self.at(row, "ignored_appearance/type", header, word=word, type=spec["type"])
            else:
                self.at(row, "ignored_appearance", header, word=word)
        if kept:
            spec["appearance"] = " ".join(kept)

    def parameters(self, row: _Row, spec: dict, options: dict) -> None:
        value, header = row.cell("parameters")
        if options.get("from_file"):
            return  # (refused above when given)
        if spec["type"] in LOCATION_TYPES:
            self.location_parameters(row, header, value or "", spec)
            return
        if spec["type"] == "image":
            self.image_parameters(row, header, value or "", spec)
            return
        if spec["type"] in ("select_one", "select_multiple"):
            self.select_parameters(row, header, value or "", spec)
            return
        if spec["type"] != "range":
            if value:
                self.at(row, "ignored_column/parameters", header, value=value, type=spec["type"])
            return
        params = {"start": 1, "end": 10, "step": 1}  # ODK's defaults
        for part in parameter_parts(value):
            if part:
                self.range_parameter(row, header, part, params)
        if params["step"] <= 0 or params["start"] >= params["end"]:
            self.at(row, "bad_value/range", header, **params)
        elif range_count(params) - 1 > MAX_RANGE_VALUES:  # counted past the first, as always
            # A new form only: one stored before this limit still loads and shows its range.
            self.at(row, "bad_value/range_size", header, max=MAX_RANGE_VALUES)
        elif "default" in spec and not on_range_step(spec["default"], params):
            self.at(
                row, "bad_default", row.header("default"), value=spec.pop("default"), type="range"
            )
        spec["parameters"] = params

    def select_parameters(self, row: _Row, header: str, value: str, spec: dict) -> None:
        """randomize=true [seed=${x}]: the choices shuffled as ODK shuffles them."""
        for part in parameter_parts(value):
            key, sep, given = part.partition("=")
            key = key.strip().lower()
            if not part:
                continue
            if key == "randomize" and sep:
                if given.strip().lower() not in ("true", "false", "yes", "no"):
                    self.at(row, "bad_value/randomize", header, value=given)
                elif given.strip().lower() in ("true", "yes"):
                    spec["randomize"] = True
            elif key == "seed" and sep and given:
                try:
                    expressions.check(given)
                except expressions.ExpressionError as error:
                    self.at(row, "bad_value/seed", header, value=given, detail=str(error))
                    continue
                spec["seed"] = given
            else:
                self.at(row, "ignored_column/select_parameter", header, part=part)
        if spec.get("seed") and not spec.get("randomize"):
            self.at(row, "ignored_column/select_parameter", header, part=f"seed={spec['seed']}")
            del spec["seed"]

    def location_parameters(self, row: _Row, header: str, value: str, spec: dict) -> None:
        """capture-accuracy=5 warning-accuracy=20 (metres): kept; ODK's other location
        parameters (allow-mock-accuracy, incremental) have nothing to do here."""
        for part in parameter_parts(value):
            key, sep, number = part.partition("=")
            key = key.strip().lower()
            if not part:
                continue
            if key not in ("capture-accuracy", "warning-accuracy") or not sep:
                self.at(row, "ignored_column/location_parameter", header, part=part)
                continue
            try:
                metres = float(number)
            except ValueError:
                metres = math.nan
            if not math.isfinite(metres) or metres <= 0:
                self.at(row, "bad_value/accuracy", header, part=part)
                continue
            spec[key.replace("-", "_")] = metres

    def image_parameters(self, row: _Row, header: str, value: str, spec: dict) -> None:
        """max-pixels=N: the photo's longest side once the phone has made it smaller."""
        low, high = MAX_PIXELS_RANGE
        for part in parameter_parts(value):
            key, sep, number = part.partition("=")
            if not part:
                continue
            if key.strip().lower() != "max-pixels" or not sep:
                self.at(row, "ignored_column/image_parameter", header, part=part)
            elif not re.fullmatch(r"[0-9]{1,6}", number.strip()) or not (
                low <= int(number) <= high
            ):
                self.at(row, "bad_value/max_pixels", header, part=part, low=low, high=high)
            else:
                spec["max_pixels"] = int(number)

    def range_parameter(self, row: _Row, header: str, part: str, params: dict) -> None:
        key, sep, number = part.partition("=")
        key = key.strip().lower()
        if not sep or key not in params:
            self.at(row, "ignored_column/range_parameter", header, part=part)
            return
        if not NUMBER_LITERAL.match(number.strip()) or abs(float(number)) >= 1e15:
            self.at(row, "bad_value/range_number", header, part=part)
            return
        if Decimal(number.strip()).normalize().as_tuple().exponent < -3:  # type: ignore[operator]
            # Buttons show numbers with up to three decimals, in every language.
            self.at(row, "bad_value/range_decimals", header, part=part)
            return
        # A decimal start, end or step (0.5) makes a range of decimals, as in ODK.
        as_float = float(number)
        params[key] = int(as_float) if as_float.is_integer() else as_float

    def bounds(self, row: _Row, spec: dict, options: dict) -> None:
        if spec["type"] in ("integer", "decimal", "text") and "constraint" in spec:
            self.recover_bounds(spec)

    def recover_bounds(self, spec: dict) -> None:
        """`. >= 15 and . <= 120` → min/max, `string-length(.) <= 30` → max_length:
        the shapes export writes, so a round trip gives back the same form."""
        match = BOUNDED.match(spec["constraint"].strip())
        if not match:
            return
        rest = match.group("rest")
        if rest is None and "constraint_message" in spec:
            return  # the author's message belongs to this very check: keep it a constraint
        if rest is not None:
            try:
                expressions.check(rest)
            except expressions.ExpressionError:
                return
        found: dict[str, float] = {}
        for term in re.split(r"\s+and\s+", match.group("bounds")):
            number_match = re.search(r"-?\d+(?:\.\d+)?\s*$", term)
            if number_match is None:  # (BOUNDED matched the term: never so)
                return
            number = float(number_match.group().strip())
            key = (
                "max_length"
                if term.startswith("string-length")
                else "min"
                if ">=" in term
                else "max"
            )
            if key in found or (key == "max_length") != (spec["type"] == "text"):
                return
            if key == "max_length" and not 1 <= number <= 100_000:
                return
            found[key] = number
        for key, number in found.items():
            spec[key] = int(number) if key == "max_length" else number
        if rest is None:
            del spec["constraint"]
        else:
            spec["constraint"] = rest

    def add_other(self, list_name: str) -> None:
        """The shared 'other' choice ODK adds to the list itself for `or_other`."""
        if not any(c["name"] == "other" for c in self.choices[list_name]):
            self.choices[list_name].append(
                {"name": "other", "label": catalog_texts(OTHER_LABEL, self.codes)}
            )
            self.choice_rows[list_name].append(None)

    def other_question(self, spec: dict, row: _Row) -> dict:
        """The text question ODK adds after an 'or_other' select: shown when 'other' is picked."""
        name = f"{spec['name']}_other"
        if name in self.names:
            self.at(
                row, "duplicate_name/other", row.header("name"), name=name, used=self.names[name]
            )
        self.names.setdefault(name, row.number)
        relevant = f"selected(${{{spec['name']}}}, 'other')"
        if spec.get("relevant"):
            relevant = f"({spec['relevant']}) and {relevant}"
        other: dict[str, Any] = {
            "name": name,
            "type": "text",
            "label": catalog_texts(SPECIFY_LABEL, self.codes),
            "relevant": relevant,
        }
        if spec.get("required"):
            other["required"] = True
        if spec.get("required_if"):
            other["required_if"] = spec["required_if"]
        if spec.get("identifying"):  # what the person wrote instead identifies them as much
            other.update(identifying=True, privacy="drop")
        elif spec.get("privacy"):
            other["privacy"] = (
                "scrub"
                if spec["privacy"] in ("keep", "pseudonymize")
                or spec["privacy"].startswith("generalize")
                else spec["privacy"]
            )
        return other

    def acknowledge_choices(self) -> str:
        if self.acknowledge_list is None:
            name, n = "acknowledge", 1
            while name in self.choices:
                n += 1
                name = f"acknowledge_{n}"
            self.acknowledge_list = name
            self.choices[name] = [{"name": "OK", "label": {c: "OK" for c in self.codes}}]
        return self.acknowledge_list

    def finish_sections(self) -> None:
        taken = {s["name"] for s in self.sections if s["name"]}
        repeats = {s["name"] for s in self.sections if s.get("repeat")}
        pages: set[str] = set()  # the groups' pages named so far
        count = 0
        kept = []
        for index, section in enumerate(self.sections):
            if not self.keep_section(index, section):
                continue
            if section["name"] is None:
                count += 1
                name = f"section_{count}"
                while name in taken:
                    count += 1
                    name = f"section_{count}"
                taken.add(name)
                section["name"], section["label"] = name, dict(self.title())
            elif id(section) in self.continued:
                base, n = self.continued[id(section)], 2
                while f"{base}_{n}" in taken:
                    n += 1
                section["name"] = f"{base}_{n}"
                taken.add(section["name"])
            elif not section.get("repeat") and (
                section["name"] in repeats or section["name"] in pages
            ):
                self.rename_page(section, taken)  # a repeat keeps its name: its answers'
            kept.append(index)
            pages.add(section["name"])
        self.sections = [self.sections[i] for i in kept]
        self.question_rows = [self.question_rows[i] for i in kept]
        self.section_rows = [self.section_rows[i] for i in kept]
        if not self.sections and not self.errors:
            self.metadata_page()

    def metadata_page(self) -> None:
        """A form of metadata rows only (`start`, `audit`...) has the page its questions
        outside any group would have had, with none: the person finalizes it at once, as ODK
        Collect does. A form with nothing to record at all is refused."""
        if not self.metadata:
            self.report("empty_form", SURVEY, 1, self.type_header)  # the sheet's header
            return
        names = ", ".join(item["name"] for item in self.metadata)
        self.report("metadata_only", SURVEY, 1, self.type_header, names=names)
        label = dict(self.title())
        self.sections = [{"name": "section_1", "label": label, "questions": [], "ungrouped": True}]
        self.question_rows, self.section_rows = [[]], [None]

    def rename_page(self, section: dict, taken: set[str]) -> None:
        """A group's page named like a repeat or another group's page (in another repeat or
        group, as ODK allows): `g_2`, in its group as written, which export writes back."""
        base, n = section["name"], 2
        while f"{base}_{n}" in taken:
            n += 1
        section["name"] = f"{base}_{n}"
        taken.add(section["name"])
        if id(section) in self.own_groups:
            section["groups"] = [self.own_groups[id(section)]]

    def keep_section(self, index: int, section: dict) -> bool:
        if section["questions"]:
            return True
        if section.get("repeat") and any(s.get("within") == section["name"] for s in self.sections):
            return True  # a repeat that holds only repeats (each household's members)
        if section.get("repeat"):
            self.report(
                "empty_repeat", SURVEY, self.section_rows[index], "type", name=section["name"]
            )
        elif id(section) not in self.holders and self.section_rows[index] is not None:
            # (a group that only held a repeat is left out quietly: the repeat is its page)
            self.report(
                "empty_group", SURVEY, self.section_rows[index], "type", name=section["name"]
            )
        return False

    # -- checks across rows
    def check_expressions(self) -> None:
        checks = [(entry, expressions.check) for entry in self.expressions]
        checks += [(entry, expressions.check_choice_filter) for entry in self.choice_filters]
        for (row, header, source), parser in checks:
            parsed = self.cell_expression(source, SURVEY, row, header, parser)
            if parsed is None:
                continue
            for name in instance_names(source):  # instance('list'): a list must exist
                self.used_lists.setdefault(name, []).append((row, header, "instance"))
            for name in sorted(parsed.references() & set(self.shared_names)):
                first, other = self.shared_names[name][:2]
                self.report(
                    "duplicate_name/referenced",
                    SURVEY,
                    row,
                    header,
                    name=name,
                    used=first,
                    other=other,
                )
            for call in parsed.calls("pulldata"):
                self.check_pulldata(row, header, call)

    # -- pulldata() and its files
    def check_pulldata(self, row: int, header: str, call: tuple) -> None:
        """pulldata('fruits', 'price', 'name', ${fruit}): fruits.csv is read (once) and
        kept with the form, and has both columns; a problem is said on the calling row."""
        file, column, key_column = (list(call) + [None] * 3)[:3]
        if file is None or column is None or key_column is None:
            self.report("external_data/pulldata_literal", SURVEY, row, header)
            return
        name = f"{file}.csv"
        if self.is_entity_list(file):
            # The hub's entities: their properties are known when a page is drawn.
            self.entity_choices.setdefault(file, file)
            return
        rows = self.data_file(row, header, name)
        if rows is None:
            return
        missing = next((c for c in (column, key_column) if c not in rows[0]), None)
        if missing is not None:
            self.report(
                "external_data/pulldata_column",
                SURVEY,
                row,
                header,
                file=name,
                missing=missing,
                columns=", ".join(rows[0]),
            )

    def data_file(self, row: int, header: str, name: str) -> list[list[str]] | None:
        """The rows of a pulldata file, the header first, or None when it cannot be used
        (said on this row, the first that names it)."""
        if name in self.data_files:
            return self.data_files[name]
        self.data_files[name] = None
        path = self.find_media(name) if CHOICE_FILE_RE.match(name) else None
        if not CHOICE_FILE_RE.match(name):
            self.report("external_data/pulldata_name", SURVEY, row, header, file=name)
        elif path is None:
            self.report("external_data/pulldata_file", SURVEY, row, header, file=name)
        elif path.stat().st_size > MAX_DATA_BYTES:
            self.report(
                "external_data/pulldata_size",
                SURVEY,
                row,
                header,
                file=name,
                max=MAX_DATA_BYTES // 1000,
            )
        else:
            rows = self.read_data_file(row, header, name, path)
            kept = {k: v for k, v in self.data_files.items() if v is not None}
            if rows is not None and data_size({**kept, name: rows}) > MAX_DATA_BYTES:
                self.report(
                    "external_data/pulldata_size",
                    SURVEY,
                    row,
                    header,
                    file=name,
                    max=MAX_DATA_BYTES // 1000,
                )
            else:
                self.data_files[name] = rows
        return self.data_files[name]

    def read_data_file(
        self, row: int, header: str, name: str, path: Path
    ) -> list[list[str]] | None:
        """A pulldata file's rows as texts, each as long as the header (a short row is
        padded, as ODK reads a missing cell as empty); None when unreadable (said)."""
        try:
            with csv_file(path) as reader:
                columns = [c.strip() for c in reader.fieldnames or [] if c is not None]
                if not columns or "" in columns or len(set(columns)) < len(columns):
                    self.report("external_data/pulldata_header", SURVEY, row, header, file=name)
                    return None
                rows = [
                    [(values.get(c) or "") for c in reader.fieldnames]
                    for values in reader
                    if any(v not in (None, "") for k, v in values.items() if k is not None)
                ]
        except (OSError, UnicodeDecodeError, csv.Error) as error:
            self.report(
                "external_data/pulldata_unreadable",
                SURVEY,
                row,
                header,
                file=name,
                detail=type(error).__name__,
            )
            return None
        return [columns, *rows]

    def check_lists(self) -> None:
        for list_name, uses in self.used_lists.items():
            if list_name in self.entity_choices or list_name in self.xml_lists:
                continue  # the hub's entities, when a page is drawn; an xml-external's file
            if list_name not in self.choices and self.is_entity_list(list_name):
                self.entity_choices[list_name] = list_name  # instance('households') reads them
                continue
            if list_name not in self.choices:
                key = "unknown_list" if self.rows(CHOICES) else "unknown_list/no_sheet"
                for row, header, _ in uses:
                    self.report(key, SURVEY, row, header, list=list_name)
                continue
            if any(kind in ("select_multiple", "rank") for _, _, kind in uses):
                sheet = self.choice_sources.get(list_name, CHOICES)
                for choice, number in zip(
                    self.choices[list_name], self.choice_rows[list_name], strict=True
                ):
                    if re.search(r"\s", choice["name"]):
                        self.report(
                            "bad_name/choice_space", sheet, number, "name", name=choice["name"]
                        )

    # -- entity lists
    def read_entities(self) -> None:
        """The entities sheet: the first declaration is the form's (collector.entities);
        a bad one is an error, a further one is left out and said so on its row."""
        headers = [h for h in self.headers(ENTITIES) if str(h).strip()]
        for header in headers:
            if _entity_column(header) not in ENTITY_COLUMNS:
                self.report("entities/column", ENTITIES, 1, str(header), header=header)
        for number, values in enumerate(self.rows(ENTITIES), start=2):
            row = {_entity_column(k): str(v).strip() for k, v in values.items() if v}
            if any(row.values()):
                self.entity_declaration(number, row)

    def entity_declaration(self, number: int, row: dict[str, str]) -> None:
        """One row of the entities sheet, checked as pyxform checks it."""
        list_name = row.get("list_name")
        if not list_name:
            self.report("entities/missing_list", ENTITIES, number, "list_name")
            return
        if not NAME_RE.match(list_name) or list_name.startswith("__"):
            self.report("entities/bad_list", ENTITIES, number, "list_name", name=list_name)
            return
        if list_name in self.declared_lists:
            used = self.declared_lists[list_name]
            self.report(
                "entities/duplicate_list", ENTITIES, number, "list_name", list=list_name, used=used
            )
            return
        self.declared_lists[list_name] = number
        if row.get("update_if") and not row.get("entity_id"):
            self.report("entities/update_without_id", ENTITIES, number, "entity_id")
        elif row.get("entity_id") and row.get("create_if") and not row.get("update_if"):
            self.report("entities/create_if_with_id", ENTITIES, number, "update_if")
        elif not row.get("entity_id") and not row.get("label"):
            self.report("entities/missing_label", ENTITIES, number, "label", list=list_name)
        if self.entity is not None:
            first = self.entity["list_name"]
            self.report(
                "entities/more_lists", ENTITIES, number, "list_name", list=list_name, first=first
            )
            return
        if row.get("repeat"):
            self.report("entities/repeat", ENTITIES, number, "repeat", list=list_name)
            return
        self.entity = {"list_name": list_name}
        self.entity.update({key: row[key] for key in ENTITY_EXPRESSIONS if row.get(key)})
        self.entity_row = number

    def entity_list_of(self, file_name: str) -> str | None:
        """The entity list `select_one_from_file households.csv` may mean: `households`,
        when that can be an entity list's name."""
        stem = Path(file_name).stem
        if Path(file_name).suffix.lower() != ".csv" or not NAME_RE.match(stem):
            return None
        return None if stem.startswith("__") else stem

    def is_entity_list(self, name: str) -> bool:
        """An entity list this form declares or the hub knows."""
        return name in self.declared_lists or name in (self.known_entity_lists or ())

    def entity_choice_list(self, row: _Row, header: str, file_name: str, entity_list: str) -> str:
        """The form's choice list for an entity list: the list's own name (instance() and
        pulldata() name it so) unless the choices sheet has one of that name. A list the
        hub does not know yet is said on the row: no choices until it does."""
        if not self.is_entity_list(entity_list):
            self.at(row, "entities/undeclared_list", header, file=file_name, list=entity_list)
        name = (
            entity_list if entity_list not in self.choices else self.unique_list_name(entity_list)
        )
        self.entity_choices[name] = entity_list
        self.file_lists[file_name] = name
        return name

    def save_to(self, row: _Row, spec: dict, options: dict) -> None:
        """A question's save_to: the property of the form's entity its answer is saved to
        (`height`, or `trees#height`); checked against the entities sheet in
        check_entities, once every row is read."""
        value, header = row.cell("save_to")
        if value:
            self.save_tos.append((row.number, header, value, spec))

    def check_entities(self) -> None:
        """Every save_to names a property of a declared list, once; the declaration's
        expressions parse and use questions asked once per record. A declaration that
        would take from a repeat is left out, said on its row and on each save_to row."""
        repeated = {
            q["name"]
            for section in self.sections
            if section.get("repeat")
            for q in section["questions"]
        }
        left_out = {
            name for name in self.declared_lists if name != (self.entity or {}).get("list_name")
        }
        saved: dict[str, int] = {}
        kept: list[tuple[int, str, str, dict]] = []
        for number, header, value, spec in self.save_tos:
            list_name, prop = self.save_to_target(number, header, value)
            if prop is None:
                continue
            if list_name in left_out:
                self.save_to_left_out(number, header, list_name)
            elif prop in saved:
                self.report(
                    "entities/save_to_twice", SURVEY, number, header, prop=prop, used=saved[prop]
                )
            else:
                saved[prop] = number
                kept.append((number, header, prop, spec))
        if self.entity is None:
            return
        in_repeat = [entry for entry in kept if entry[3].get("name") in repeated]
        if self.entity_expression_problems(repeated) or in_repeat:
            list_name = self.entity["list_name"]
            self.report("entities/repeat", ENTITIES, self.entity_row, "list_name", list=list_name)
            for number, header, _, _ in kept:
                self.save_to_left_out(number, header, list_name)
            self.entity = None
            return
        for _, _, prop, spec in kept:
            spec["save_to"] = prop

    def save_to_left_out(self, number: int, header: str, list_name: str) -> None:
        self.report(
            "entities/save_to_left_out", SURVEY, number, header, header=header, list=list_name
        )

    def save_to_target(self, number: int, header: str, value: str) -> tuple[str | None, str | None]:
        """(list, property) of a save_to value; (None, None) when it is wrong (said)."""
        if value.count("#") > 1:
            self.report("entities/save_to_prefix", SURVEY, number, header, value=value)
            return None, None
        list_name, _, prop = value.rpartition("#")
        if not self.declared_lists:
            self.report("entities/save_to_without_list", SURVEY, number, header)
            return None, None
        if list_name and list_name not in self.declared_lists:
            self.report(
                "entities/save_to_unknown_list", SURVEY, number, header, list=list_name, value=value
            )
            return None, None
        try:
            check_property_name(prop)
        except ValidationError:
            self.report("entities/save_to_name", SURVEY, number, header, value=prop)
            return None, None
        return list_name or next(iter(self.declared_lists)), prop

    def entity_expression_problems(self, repeated: set[str]) -> bool:
        """The declaration's expressions, each parsed (an error when it does not) and
        referring to questions of the form; whether one uses a question of a repeat."""
        assert self.entity is not None
        uses_repeat = False
        for key in ENTITY_EXPRESSIONS:
            source = self.entity.get(key)
            parsed = source and self.cell_expression(source, ENTITIES, self.entity_row, key)
            uses_repeat = uses_repeat or bool(parsed and parsed.references() & repeated)
        return uses_repeat

    # -- the definition
    def title(self) -> dict[str, str]:
        text = self.setting("form_title")
        if text is None:
            form_id = self.setting("form_id") or self.fallback_form_id or "form"
            text = form_id.replace("_", " ").strip().capitalize() or form_id
        return {self.default_code: text}

    def definition(self) -> dict:
        form_id = self.setting("form_id") or self.fallback_form_id
        version = self.setting("version")
        if version is None:
            version = "1"
            self.report("missing_version", SETTINGS, None, "version")
        definition: dict[str, Any] = {
            "form_id": form_id,
            "version": version,
            "default_language": self.default_code,
            "title": self.title(),
            "choices": self.choices,
            "sections": self.sections,
        }
        if self.metadata:
            definition["metadata"] = self.metadata
        if self.setting("instance_name"):
            definition["instance_name"] = self.setting("instance_name")
        if self.loops:
            definition["loops"] = self.loops
        sources = {k: v for k, v in self.choice_sources.items() if k in self.choices}
        if sources:
            definition["choice_sources"] = sources
        files = {k: v for k, v in self.data_files.items() if v is not None}
        if files:
            definition["data"] = files
        boundaries = {k: v for k, v in self.boundaries.items() if v is not None}
        if boundaries:
            definition["boundaries"] = boundaries
        prompts = {k: sha256_of(v) for k, v in self.prompt_files.items() if v is not None}
        if prompts:
            definition["media_files"] = prompts
        if self.entity is not None:
            definition["entities"] = [self.entity]
        if self.entity_choices:
            definition["entity_choices"] = self.entity_choices
        return definition

    def schema_problems(self, messages: Any) -> None:
        """Marshmallow's nested errors, located on the rows they come from when we can."""
        for path, message in _flatten(messages):
            sheet, row, column = self.schema_place([p for p in path if p != "_schema"])
            self.report("schema", sheet, row, column, detail=message)

    def schema_place(self, keys: list) -> tuple[str, int | None, str | None]:
        if keys[:1] == ["sections"] and len(keys) > 1 and isinstance(keys[1], int):
            section = keys[1]
            if len(keys) > 3 and keys[2] == "questions" and isinstance(keys[3], int):
                try:
                    row = self.question_rows[section][keys[3]]
                except IndexError:
                    row = None
                return SURVEY, row, str(keys[4]) if len(keys) > 4 else None
            row = self.section_rows[section] if section < len(self.section_rows) else None
            return SURVEY, row, str(keys[2]) if len(keys) > 2 else None
        if keys[:1] == ["choices"]:
            rest = [k for k in keys[2:] if k not in ("key", "value")]  # dict of lists
            sheet = self.choice_sources.get(str(keys[1]), CHOICES) if len(keys) > 1 else CHOICES
            if len(keys) > 1 and rest and isinstance(rest[0], int):
                rows = self.choice_rows.get(str(keys[1]), [])
                row = rows[rest[0]] if rest[0] < len(rows) else None
                return sheet, row, str(rest[1]) if len(rest) > 1 else None
            return sheet, None, None
        if keys and keys[0] in ("form_id", "version", "default_language", "title"):
            column = {"title": "form_title"}.get(keys[0], keys[0])
            return SETTINGS, self.settings.get(column, (None, None))[1], column
        return SURVEY, None, None


def _real_day(kind: str, value: str) -> bool:
    """Whether a date or date-time default names a day the calendar has (not 2024-02-30)."""
    if kind not in ("date", "datetime"):
        return True
    try:
        date.fromisoformat(value[:10])
    except ValueError:
        return False
    return True


def _default_calculation(default: str) -> str:
    """A calculate's default without a calculation, as ODK sets it: an expression once, when
    the record starts (once() keeps it, on the phone as on the hub); a fixed value as is."""
    if "${" in default or "(" in default:
        return f"once({default})"
    return default if NUMBER_LITERAL.match(default) else _string_literal(default)


def _string_literal(text: str) -> str:
    """A fixed text as an expression: `'Camp A'` (a quote inside switches to double)."""
    return f'"{text}"' if "'" in text else f"'{text}'"


# What each type is, by the word in the type column (selects are read by SELECT_PATTERN).
TYPE_HANDLERS = {
    **dict.fromkeys(BASIC_TYPES, _Converter.basic_type),
    **dict.fromkeys((*METADATA_TYPES, *IGNORED_METADATA), _Converter.metadata_type),
    **dict.fromkeys(UNSUPPORTED_TYPES, _Converter.unsupported_type),
    **dict.fromkeys(EXTERNAL_TYPES, _Converter.external_type),
    "xml-external": _Converter.xml_external,
    **dict.fromkeys(("acknowledge", "barcode", "hidden"), _Converter.converted_type),
    "phone number": _Converter.phone_number_type,
}
# The columns of a question row, read in this order into its definition.
QUESTION_STEPS = (
    _Converter.label_and_type,
    _Converter.repeat_count_here,
    _Converter.translated_columns,
    _Converter.logic,
    _Converter.flags,
    _Converter.privacy,
    _Converter.disclosure,
    _Converter.calculation,
    _Converter.default_and_read_only,
    _Converter.appearance,
    _Converter.parameters,
    _Converter.bounds,
    _Converter.save_to,
)


def _flatten(messages: Any, path: tuple = ()) -> Iterable[tuple[tuple, str]]:
    if isinstance(messages, dict):
        for key, value in messages.items():
            yield from _flatten(value, (*path, key))
    elif isinstance(messages, list):
        for item in messages:
            if isinstance(item, str):
                yield path, item
            else:
                yield from _flatten(item, path)
    else:
        yield path, str(messages)


# --- export ---------------------------------------------------------------------------


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _local(tag: str) -> str:
    """An element's name without its namespace ({uri}name → name)."""
    return tag.rpartition("}")[2]


def export_constraint(question: dict) -> str | None:
    """The question's constraint with min/max and max_length folded in, as XLSForm has no
    other way to say them."""
    terms = []
    if question.get("min") is not None:
        terms.append(f". >= {_number(question['min'])}")
    if question.get("max") is not None:
        terms.append(f". <= {_number(question['max'])}")
    if question.get("max_length") is not None and question["type"] == "text":
        terms.append(f"string-length(.) <= {int(question['max_length'])}")
    constraint = question.get("constraint")
    if constraint and terms:
        return f"({constraint}) and " + " and ".join(terms)
    return " and ".join(terms) if terms else constraint


def form_languages(form: FormDefinition) -> list[str]:
    """Every language any text of the form is given in, the default language first."""
    codes = [form.default_language]
    for text in form.texts():
        codes.extend(text)
    return list(dict.fromkeys(codes))


def xlsform_rows(form: FormDefinition) -> dict[str, list[list[Any]]]:
    """The sheets of the XLSForm, header row first (external_choices only when used)."""
    languages = _Languages(form)
    sheets = {
        SURVEY: _survey_sheet(form, languages),
        CHOICES: _choices_sheet(form, languages, _lists_from(form, None)),
    }
    external = _lists_from(form, EXTERNAL_CHOICES)
    if external:
        sheets[EXTERNAL_CHOICES] = _choices_sheet(form, languages, external)
    sheets[SETTINGS] = _settings_sheet(form, languages)
    if form.data.get("entities"):
        sheets[ENTITIES] = _entities_sheet(form)
    return sheets


def _entities_sheet(form: FormDefinition) -> list[list[Any]]:
    """The entity declaration as the entities sheet has it: the columns it uses."""
    declared = form.data["entities"]
    columns = ["list_name", *(k for k in ENTITY_EXPRESSIONS if any(d.get(k) for d in declared))]
    return [columns, *([d.get(column) for column in columns] for d in declared)]


def _lists_from(form: FormDefinition, source: str | None) -> dict[str, list[dict]]:
    """The form's choice lists that came from `source` (None: the choices sheet)."""
    sources = form.data.get("choice_sources", {})
    return {
        name: items
        for name, items in form.data.get("choices", {}).items()
        if sources.get(name) == source
    }


def choice_files(form: FormDefinition) -> dict[str, list[list[Any]]]:
    """The CSV files the form's `select_one_from_file` lists are written back to: file name
    → rows (name, label::Language (code)..., the choices' other columns)."""
    languages = _Languages(form)
    files = {}
    for list_name, file_name in form.data.get("choice_sources", {}).items():
        if file_name != EXTERNAL_CHOICES:
            table = _choices_sheet(form, languages, {list_name: form.data["choices"][list_name]})
            files[file_name] = [row[1:] for row in table]  # a file is one list: no list_name
    return files


class _Languages:
    """The form's languages as export writes them: columns `label::French (fr)`..."""

    def __init__(self, form: FormDefinition):
        self.codes = form_languages(form)
        self.names = {code: language_header_name(code) for code in self.codes}

    def headers(self, base: str) -> list[str]:
        return [f"{base}::{self.names[code]}" for code in self.codes]

    def cells(self, value: dict | None) -> list[str | None]:
        return [(value or {}).get(code) or None for code in self.codes]


def _survey_sheet(form: FormDefinition, languages: _Languages) -> list[list[Any]]:
    translated, cells = languages.headers, languages.cells
    # Only a form with repeats gets the repeat_count column: other exports stay as they were.
    extra = [
        *(
            ["disclosure", "hierarchy"]
            if any(q.get("disclosure") for q in form.questions.values())
            else []
        ),
        *(["trigger"] if any(q.get("trigger") for q in form.questions.values()) else []),
        *(["save_to"] if any(q.get("save_to") for q in form.questions.values()) else []),
        *(["repeat_count"] if form.repeats else []),
        *_prompt_headers((q.spec for q in form.questions.values()), languages.codes),
    ]
    loops = {copy: loop for loop in form.data.get("loops", []) for copy in loop["copies"]}
    extra += sorted(
        {key for loop in loops.values() for row in loop["rows"] for key in row}
        - {*extra, *LOOP_TEXTS, *SURVEY_SHEET_COLUMNS, "media"}
    )
    header = [
        "type",
        "name",
        *translated("label"),
        *translated("hint"),
        "required",
        *translated("required_message"),
        "relevant",
        "constraint",
        *translated("constraint_message"),
        "appearance",
        "parameters",
        "privacy",
        "identifying",
        "calculation",
        "default",
        "read_only",
        "choice_filter",
        *extra,
    ]
    survey = [header]
    # start, end, today, deviceid, username: first, as ODK forms put them.
    survey += [
        _row_in(header, {k: item.get(k) for k in ("type", "name", "privacy")}, {}, cells)
        for item in form.data.get("metadata", [])
    ]
    survey += [  # the files instance() reads, each written beside the form (to_xlsform)
        _row_in(header, {"type": "xml-external", "name": name}, {}, cells)
        for name in xml_instances(form.data)
    ]
    sources = form.data.get("choice_sources", {})
    # An entity list is chosen from as ODK does: select_one_from_file households.csv.
    sources = {
        **sources,
        **{
            name: f"{entity_list}.csv"
            for name, entity_list in form.data.get("entity_choices", {}).items()
        },
    }
    # A repeat inside a repeat or a group stands beside no group of the survey's top level.
    top_repeats = {
        s["name"]
        for s in form.sections
        if s.get("repeat") and not (s.get("within") or s.get("groups"))
    }
    question_names = set(form.questions) | top_repeats
    taken = set(form.questions) | set(form.repeats) | set(form.data.get("choices", {}))
    renamed: dict[str, str] = {}

    def group_name(name: str) -> str:
        """A page's group keeps its name unless a question has it: ODK needs every name
        unique, groups too."""
        if name not in renamed:
            group, n = name, 1
            if name in question_names:
                group = f"{name}_group"
                while group in taken:
                    n += 1
                    group = f"{name}_group{n}"
            taken.add(group)
            renamed[name] = group
        return renamed[name]

    written: list[dict] = []

    def loop_rows(loop: dict) -> list[list]:
        """The loop as the workbook wrote it, once, where its first copy stands."""
        if any(loop is other for other in written):
            return []
        written.append(loop)
        begin = {"type": f"begin loop over {loop['list']}", "name": loop["name"]}
        begin["relevant"] = loop.get("relevant")
        out = [_row_in(header, begin, {"label": loop.get("label")}, cells)]
        for row in loop["rows"]:
            texts = {key: row[key] for key in LOOP_TEXTS if key in row}
            plain = {k: v for k, v in row.items() if k not in texts and k != "media"}
            out.append(_row_in(header, plain | _prompt_cells(row), texts, cells))
        return [*out, ["end loop"]]

    def rows(items: list, depth: int) -> list[list]:
        out: list[list] = []
        for item in items:
            if isinstance(item, _Nest) and item.group["name"] in loops:
                out += loop_rows(loops[item.group["name"]])
            elif isinstance(item, _Nest):
                group = item.group
                name = group_name(group["name"]) if depth == 0 else group["name"]
                plain = {key: group.get(key) for key in ("relevant", "appearance")}
                out.append(
                    _row_in(
                        header,
                        {"type": "begin group", "name": name, **plain},
                        {"label": group.get("label")},
                        cells,
                    )
                )
                out += rows(item.children, depth + 1)
                out.append(["end group"])
            elif "questions" in item:
                out += repeat(item)
            else:
                out.append(_question_cells(item, header, cells, sources))
        return out

    def repeat(section: dict) -> list[list]:
        # A repeat keeps its name, which holds its answers: begin repeat with its count, each
        # instance on one screen (field-list) as a page shows it; the repeats inside it after
        # its questions, in the groups they stand in (the same data paths).
        plain = {
            "type": "begin repeat",
            "name": section["name"],
            "relevant": _own_relevant(section),
            "appearance": "field-list",
            "repeat_count": section.get("repeat_count"),
        }
        units = [_Unit(q.get("groups") or [], q) for q in section["questions"]]
        for inner in form.children.get(section["name"], []):
            inner_section = form.section(inner)
            _insert(units, _Unit(inner_section.get("groups") or [], inner_section))
        return [
            _row_in(header, plain, {"label": section["label"]}, cells),
            *rows(_nest(units, 0), 1),
            ["end repeat"],
        ]

    units = [unit for s in form.sections if not s.get("within") for unit in _units_of(s)]
    survey += rows(_nest(units, 0), 0)
    return survey


@dataclass(frozen=True)
class _Unit:
    """A question or a repeat as export writes it: the groups around it, outermost first."""

    path: list
    item: dict


@dataclass(frozen=True)
class _Nest:
    """A group export writes with its questions and repeats (_Unit items, or _Nests) inside."""

    group: dict
    children: list


def _units_of(section: dict) -> list[_Unit]:
    """A top-level section as export writes it: a repeat in the groups it stands in; a
    page's questions in its group (a page's own, or the one it continues), each in its
    inner groups; questions outside any group as they stood."""
    if section.get("repeat"):
        return [_Unit(section.get("groups") or [], section)]
    if section.get("ungrouped"):
        outer = []
    elif section.get("groups"):
        outer = section["groups"]
    else:
        own = {key: section.get(key) for key in ("name", "label", "relevant")}
        outer = [{**own, "appearance": "field-list"}]
    return [_Unit([*outer, *(q.get("groups") or [])], q) for q in section["questions"]]


def _nest(units: list[_Unit], depth: int) -> list:
    """Units in form order, each run under the same group (by name: names are unique among
    a group's neighbours) gathered in a _Nest, at every depth."""
    items: list = []
    for name, run in groupby(
        units, lambda u: u.path[depth]["name"] if depth < len(u.path) else None
    ):
        run_units = list(run)
        if name is None:
            items += [unit.item for unit in run_units]
        else:
            items.append(_Nest(run_units[0].path[depth], _nest(run_units, depth + 1)))
    return items


def _insert(units: list[_Unit], unit: _Unit) -> None:
    """A repeat inside a repeat goes after the last unit sharing most of its groups: inside
    the same groups, whose rows stay one run."""

    def shared(other: _Unit) -> int:
        n = 0
        for mine, theirs in zip(unit.path, other.path, strict=False):
            if mine["name"] != theirs["name"]:
                break
            n += 1
        return n

    best = max((shared(u) for u in units), default=0)
    at = max((i + 1 for i, u in enumerate(units) if shared(u) == best), default=len(units))
    units.insert(at if best else len(units), unit)


def _choices_sheet(
    form: FormDefinition, languages: _Languages, choice_lists: dict[str, list[dict]]
) -> list[list[Any]]:
    with_parent = any("parent" in c for items in choice_lists.values() for c in items)
    data_columns = sorted(
        {key for items in choice_lists.values() for c in items for key in c.get("data", {})}
    )
    choices = [
        [
            "list_name",
            "name",
            *languages.headers("label"),
            *(["parent"] if with_parent else []),
            *data_columns,
            *_prompt_headers(
                (c for items in choice_lists.values() for c in items), languages.codes
            ),
        ]
    ]
    for list_name, items in choice_lists.items():
        for choice in items:
            choices.append(
                [
                    list_name,
                    choice["name"],
                    *languages.cells(choice["label"]),
                    *([choice.get("parent")] if with_parent else []),
                    *(choice.get("data", {}).get(key) for key in data_columns),
                    *_prompt_row(choice, choices[0]),
                ]
            )
    return choices


def _settings_sheet(form: FormDefinition, languages: _Languages) -> list[list[Any]]:
    settings = [
        ["form_id", "version", "form_title", "default_language", "style"],
        [
            form.form_id,
            form.version,
            form.text(form.data["title"], form.default_language),
            languages.names[form.default_language],
            "pages",
        ],
    ]
    if form.data.get("instance_name"):
        settings[0].append("instance_name")
        settings[1].append(form.data["instance_name"])
    lists = form.data.get("choices", {}).values()
    if any(len({c["name"] for c in items}) < len(items) for items in lists):
        # The form was imported with this setting: written back, or ODK refuses the list.
        settings[0].append("allow_choice_duplicates")
        settings[1].append("yes")
    return settings


def _row_in(header: list[str], plain: dict, texts: dict, cells) -> list:
    """One survey row in the order of `header`: plain values by column, translated ones
    (`label`, `hint`...) spread over their language columns by `cells`."""
    row: dict[str, Any] = {k: v for k, v in plain.items() if v is not None}
    for base, value in texts.items():
        row.update(zip([h for h in header if h.startswith(f"{base}::")], cells(value), strict=True))
    return [row.get(column) for column in header]


def _prompt_cells(item: dict) -> dict[str, str]:
    """A question's or a choice's prompts by export column: `audio::Swahili (sw)` → file."""
    return {
        f"{kind}::{language_header_name(code)}": name
        for kind, names in (item.get("media") or {}).items()
        for code, name in names.items()
    }


def _prompt_headers(items, codes: list[str]) -> list[str]:
    """The media columns the items' prompts need, kind by kind (none for a form without):
    one for each of the form's languages too, as ODK tools expect of a translated column."""
    found = {header for item in items for header in _prompt_cells(item)}
    kinds = {header.split("::")[0] for header in found}
    found |= {f"{kind}::{language_header_name(code)}" for kind in kinds for code in codes}
    order = {kind: n for n, kind in enumerate(PROMPT_KINDS)}
    return sorted(found, key=lambda h: (order[h.split("::")[0]], h))


def _prompt_row(item: dict, header: list[str]) -> list[str | None]:
    """The item's cells under the media columns of `header` (those after `::`-less ones)."""
    cells = _prompt_cells(item)
    return [cells.get(h) for h in header if h.split("::")[0] in PROMPT_KINDS]


def _own_relevant(q: dict) -> str | None:
    """The question's own relevance: the import joined its inner groups' to it (_all_of),
    and their `begin group` rows say theirs again."""
    relevant = q.get("relevant")
    parts = [group["relevant"] for group in q.get("groups", ()) if group.get("relevant")]
    if not parts or relevant is None:
        return relevant
    if relevant == _all_of(parts):
        return None
    prefix = "".join(f"({part}) and " for part in parts) + "("
    if relevant.startswith(prefix) and relevant.endswith(")"):
        return relevant[len(prefix) : -1]
    return relevant  # changed by hand since: said twice is still right


def _question_cells(q: dict, header: list[str], cells, sources: dict) -> list:
    kind = q["type"]
    source = sources.get(q.get("choices"))
    if kind in ("select_one", "select_multiple") and source == EXTERNAL_CHOICES:
        kind = f"select_one_external {q['choices']}"
    elif kind in ("select_one", "select_multiple") and source:
        kind = f"{kind}_from_file {source}"
    elif kind in ("select_one", "select_multiple") and q.get("choices_from"):
        kind = f"{kind} ${{{q['choices_from']}}}"
    elif kind in ("select_one", "select_multiple", "rank"):
        kind = f"{kind} {q['choices']}"
    params = q.get("parameters")
    extra = " ".join(
        f"{key.replace('_', '-')}={_number(q[key])}"
        for key in ("capture_accuracy", "warning_accuracy")
        if key in q
    )
    if q.get("max_pixels"):
        extra = f"max-pixels={q['max_pixels']}"
    if q.get("randomize"):
        extra = "randomize=true" + (f" seed={q['seed']}" if q.get("seed") else "")
    return _row_in(
        header,
        {
            "type": kind,
            "name": q.get("xlsform_name", q["name"]),
            "required": q.get("required_if") or ("yes" if q.get("required") else None),
            "relevant": _own_relevant(q),
            "constraint": export_constraint(q),
            "appearance": q.get("appearance"),
            "parameters": (
                f"start={params['start']} end={params['end']} step={params.get('step', 1)}"
                if params
                else extra or None
            ),
            "privacy": q.get("privacy"),
            "identifying": "yes" if q.get("identifying") else None,
            "calculation": q.get("calculation"),
            "default": q.get("default"),
            "read_only": "yes" if q.get("read_only") else None,
            "choice_filter": q.get("choice_filter"),
            "disclosure": q.get("disclosure"),
            "hierarchy": q.get("hierarchy"),
            "trigger": q.get("trigger"),
            "save_to": q.get("save_to"),
            **_prompt_cells(q),
        },
        {key: q.get(key) for key in ("label", "hint", "required_message", "constraint_message")},
        cells,
    )


def to_xlsform(form: FormDefinition, path: str | os.PathLike) -> list[Path]:
    """Write the form as an XLSForm .xlsx (survey, choices, settings) that pyxform converts,
    and its choice files (`select_one_from_file`) and pulldata() files beside it; returns
    the files written."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    workbook.remove(workbook.active)
    for name, rows in xlsform_rows(form).items():
        sheet = workbook.create_sheet(name)
        for row in rows:
            sheet.append(row)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.freeze_panes = "A2"
    path = Path(path)
    _write_atomically(path, workbook.save)
    written = [path]
    # pulldata()'s files as they were given; a file that is also a choice file is that file.
    files = {**choice_files(form), **form.data.get("data", {})}
    for file_name, rows in files.items():
        target = path.parent / file_name  # a bare name (forms.CHOICE_FILE_PATTERN)

        def write(partial: str, rows=rows, name=file_name) -> None:
            if name.endswith(".xml"):  # an xml-external's file
                Path(partial).write_bytes(_xml_instance(rows))
                return
            with open(partial, "w", newline="", encoding="utf-8") as handle:
                csv.writer(handle).writerows(rows)

        _write_atomically(target, write)
        written.append(target)
    # generalize:area's boundaries, beside the form as the import found them.
    for file_name, geojson in form.data.get("boundaries", {}).items():
        target = path.parent / file_name

        def write_json(partial: str, geojson=geojson) -> None:
            Path(partial).write_text(json.dumps(geojson, ensure_ascii=False), encoding="utf-8")

        _write_atomically(target, write_json)
        written.append(target)
    return written


def _xml_instance(rows: list[list[str]]) -> bytes:
    """An xml-external's rows written back as ODK reads them: <root> of <item>s."""
    root = ElementTree.Element("root")
    for values in rows[1:]:
        item = ElementTree.SubElement(root, "item")
        for column, value in zip(rows[0], values, strict=True):
            ElementTree.SubElement(item, column).text = value
    return ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)


def _write_atomically(path: Path, write) -> None:
    """`write(partial_path)`, then the file replaces `path` whole: never half a file."""
    handle, partial = tempfile.mkstemp(
        dir=path.parent or None, prefix=f".{path.stem}-", suffix=path.suffix
    )
    os.close(handle)
    try:
        write(partial)
        os.replace(partial, path)
    finally:
        if os.path.exists(partial):
            os.remove(partial)


def read_form_file(
    path: str | os.PathLike,
    media: Iterable[str | os.PathLike] = (),
    entity_lists: Iterable[str] | None = None,
) -> ImportResult:
    """A form definition from a JSON file or an XLSForm, as `forms import` and `forms publish`
    read them: never an exception, every problem listed. `media`: choice files given apart
    from the form; `entity_lists`: the hub's entity lists (see read_xlsform)."""
    path = Path(path)
    if path.suffix.lower() in (*XLSX_SUFFIXES, *XLS_SUFFIXES):
        return read_xlsform(path, media, entity_lists)
    if path.suffix.lower() != ".json":
        return ImportResult(None, [make("unknown_file", file=path.name)])
    try:
        form = load_form_json(path.read_text("utf-8"))
    except (FormError, UnicodeDecodeError) as error:
        return ImportResult(None, [make("invalid_form", file=path.name, detail=str(error))])
    return json_prompt_files(form, path.parent, media)


def json_prompt_files(
    form: FormDefinition, folder: Path, media: Iterable[str | os.PathLike] = ()
) -> ImportResult:
    """A JSON form with the prompt files its questions and choices name, found as an
    XLSForm's are (given with --media, or next to the form): their hashes join the
    definition's media_files; a file that is not found is a warning."""
    from .prompts import prompt_names

    converter = _Converter({}, None, {Path(m).name: Path(m) for m in media}, folder)
    hashes = dict(form.data.get("media_files") or {})
    files = {}
    for name, kind in prompt_names(form.data).items():
        if converter.prompt_file((None, None), "media", kind, name):
            content = converter.prompt_files.get(name)
            if content is not None and hashes.get(name, sha256_of(content)) == sha256_of(content):
                hashes[name], files[name] = sha256_of(content), content
    if converter.errors:
        return ImportResult(None, converter.errors, converter.warnings)
    if hashes == (form.data.get("media_files") or {}):
        return ImportResult(form.data, [], converter.warnings, form, files)
    form = load_form(json.loads(form.to_json()) | {"media_files": hashes})
    return ImportResult(form.data, [], converter.warnings, form, files)
