"""XLSForms (ODK, KoboToolbox, SurveyCTO) in and out of our form definitions.

Import follows pyxform's own shape: pyxform's reader turns the workbook into sheets of
rows (``read_sheets``), ``convert`` turns those rows into our form-definition dict and
validates it with ``collector.forms.load_form``. Nothing here raises on a bad file:
every problem becomes a ``Problem`` naming the sheet, the 1-based spreadsheet row (the
header is row 1) and the column header, and a file with any error gives no definition.

Export (``to_xlsform``) writes one of our forms as an .xlsx that pyxform converts to an
XForm, so teams can take our instruments to ODK or KoboToolbox.
"""

from __future__ import annotations

import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable

from marshmallow import ValidationError

from . import expressions
from .anonymizer import IDENTIFYING_RULES
from .forms import (
    DISCLOSURE_ROLES,
    HIERARCHIES,
    LOCALE_PATTERN,
    MAX_INSTANCES,
    NAME_PATTERN,
    FormDefinition,
    FormError,
    load_form_json,
    check_privacy_rule,
    load_form,
)

__all__ = ["ImportResult", "Problem", "convert", "language_code", "read_sheets",
           "read_xlsform", "to_xlsform"]

SURVEY, CHOICES, SETTINGS = "survey", "choices", "settings"
NAME_RE = re.compile(NAME_PATTERN)
XLSX_SUFFIXES = (".xlsx", ".xlsm")
XLS_SUFFIXES = (".xls",)

# --- languages ------------------------------------------------------------------------

# Language names teams write without a code, in English and in the language itself.
LANGUAGE_NAMES = {
    "english": "en", "anglais": "en",
    "french": "fr", "français": "fr", "francais": "fr",
    "spanish": "es", "español": "es", "espanol": "es",
    "arabic": "ar", "العربية": "ar", "عربي": "ar",
    "swahili": "sw", "kiswahili": "sw",
    "hausa": "ha", "harshen hausa": "ha",
    "amharic": "am", "አማርኛ": "am",
}
# The names export writes: `label::French (fr)`, as the XLSForm documentation does.
EXPORT_LANGUAGE_NAMES = {"en": "English", "fr": "French", "es": "Spanish", "ar": "Arabic",
                         "sw": "Swahili", "ha": "Hausa", "am": "Amharic"}
WITH_CODE = re.compile(r"^(.*?)\s*\(\s*([A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})?)\s*\)\s*$")
BARE_CODE = re.compile(r"^[a-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})?$")


def language_code(name: str) -> str | None:
    """`English (en)` → en, `Français (fr)` → fr, `Arabic` → ar, `pt-BR` → pt_BR; or None."""
    text = " ".join(name.split())
    match = WITH_CODE.match(text)
    if match:
        code = match.group(2)
    elif text.casefold() in LANGUAGE_NAMES:
        code = LANGUAGE_NAMES[text.casefold()]
    elif BARE_CODE.match(text):
        code = text
    else:
        return None
    base, _, region = code.replace("-", "_").partition("_")
    code = f"{base.lower()}_{region}" if region else base.lower()
    return code if LOCALE_PATTERN.match(code) else None


def language_header_name(code: str) -> str:
    """`fr` → `French (fr)`: how export names a language in column headers and settings."""
    name = EXPORT_LANGUAGE_NAMES.get(code)
    if name is None:
        try:
            from babel import Locale

            name = Locale.parse(code).get_display_name("en")
        except Exception:  # an unusual code: the code is a fine name too
            name = code
    name = name.replace("(", "").replace(")", "")
    return f"{name} ({code})"


# --- problems and results -------------------------------------------------------------

@dataclass(frozen=True)
class Problem:
    """One error or warning, located like a spreadsheet user would look for it."""

    code: str
    message: str
    sheet: str | None = None
    row: int | None = None  # 1-based spreadsheet row; the header is row 1
    column: str | None = None  # the column header, e.g. "constraint" or "label::French (fr)"

    def __str__(self) -> str:
        where = self.sheet or ""
        if self.row is not None:
            where += f" row {self.row}"
        if self.column:
            where += f", column {self.column}" if where else f"column {self.column}"
        return f"{where.strip()}: {self.message}" if where.strip() else self.message


@dataclass
class ImportResult:
    definition: dict | None
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    form: FormDefinition | None = None  # the validated form, when there are no errors

    @property
    def ok(self) -> bool:
        return not self.errors and self.form is not None


# --- columns --------------------------------------------------------------------------

TRANSLATABLE = ("label", "hint", "required_message", "constraint_message", "guidance_hint",
                "media")
COLUMN_ALIASES = {
    "caption": "label",
    "jr:requiredmsg": "required_message", "requiredmsg": "required_message",
    "jr:constraintmsg": "constraint_message", "constraining_message": "constraint_message",
    "constraint-message": "constraint_message", "constraintmsg": "constraint_message",
    "relevance": "relevant",
    "readonly": "read_only",
    "calculate": "calculation",
    "count": "repeat_count", "jr:count": "repeat_count",
    "image": "media", "big-image": "media", "audio": "media", "video": "media",
    "list name": "list_name",
    "value": "name",
}
SINGLE_COLON_BASES = sorted(
    [b for b in (*TRANSLATABLE, *COLUMN_ALIASES) if b in TRANSLATABLE
     or COLUMN_ALIASES.get(b) in TRANSLATABLE], key=len, reverse=True)
SURVEY_COLUMNS = {"type", "name", "label", "hint", "required", "required_message", "relevant",
                  "constraint", "constraint_message", "appearance", "parameters", "privacy",
                  "identifying", "calculation", "default", "read_only", "choice_filter",
                  "repeat_count", "disclosure", "hierarchy"}
# Columns ODK uses that the collector cannot honour: an error on every row that fills one.
UNSUPPORTED_COLUMNS = {
    "trigger": "triggers are not supported yet",
    "media": "images, audio and video in questions are not supported yet",
    "save_to": "entities are not supported yet",
}
# Columns that are safe to leave out: a warning on every row that fills one.
IGNORED_COLUMNS = {
    "guidance_hint": "guidance hints are not shown by the collector",
}
def N_(message: str) -> str:
    """Marks a text for the catalogs; it is translated per form language by catalog_texts."""
    return message


OTHER_LABEL = N_("Other")
SPECIFY_LABEL = N_("Specify other.")


def catalog_texts(message: str, codes: list[str]) -> dict[str, str]:
    """A text in each of the form's languages, from the product's own catalogs."""
    from babel.support import Translations

    import translations

    return {code: Translations.load(translations.DIRECTORY, [code]).gettext(message)
            for code in codes}


# What a fixed default must look like, by type (choices are checked against their list).
DEFAULT_FORMS = {
    "integer": re.compile(r"[+-]?\d{1,15}"),
    "range": re.compile(r"[+-]?\d{1,15}"),
    "decimal": re.compile(r"[+-]?(\d+\.?\d*|\.\d+)"),
    "date": re.compile(r"\d{4}-\d{2}-\d{2}"),
    "time": re.compile(r"([01]\d|2[0-3]):[0-5]\d"),
    "datetime": re.compile(r"\d{4}-\d{2}-\d{2}[T ]([01]\d|2[0-3]):[0-5]\d"),
}
ANY_TEXT = re.compile(".*", re.DOTALL)
SUPPORTED_APPEARANCES = {
    "minimal": ("select_one", "select_multiple"),
    "horizontal": ("select_one", "select_multiple"),
    "likert": ("select_one",),
    "multiline": ("text",),
    "month-year": ("date",),
}
CHOICE_COLUMNS = {"list_name", "name", "label", "parent", "media"}
SETTINGS_USED = {"form_id", "version", "default_language", "form_title"}
SETTINGS_ALIASES = {"set_form_id": "form_id", "id_string": "form_id",
                    "set_form_title": "form_title", "title": "form_title"}
SETTINGS_SILENT = {"style", "prefix", "name", "namespaces", "auto_send", "auto_delete",
                   "omit_instanceid", "clean_text_values", "allow_choice_duplicates"}


@dataclass(frozen=True)
class _Column:
    header: str
    base: str  # canonical name: "label", "relevant", ...
    language: str | None  # the language part of `label::French (fr)`, as written


def _classify(header: str) -> _Column:
    text = header.strip()
    low = text.lower()
    if low.startswith("media::"):
        _, _, language = text[7:].partition("::")
        return _Column(header, "media", language.strip() or None)
    if "::" in text:
        base, _, language = text.partition("::")
        base = base.strip().lower()
        if base in ("bind", "instance", "body", "control"):
            return _Column(header, f"{base}::", language.strip())
        return _Column(header, COLUMN_ALIASES.get(base, base), language.strip() or None)
    for base in SINGLE_COLON_BASES:  # pyxform also reads `label:French (fr)`
        if low.startswith(base + ":") and len(low) > len(base) + 1:
            return _Column(header, COLUMN_ALIASES.get(base, base), text[len(base) + 1:].strip())
    return _Column(header, COLUMN_ALIASES.get(low, low), None)


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
            return reader(str(path))
        except Exception as error:  # noqa: BLE001 - any reader failure means "try the next"
            failure = error
            if "Duplicate column header" in str(error):
                break
    raise ValueError(str(failure))


def read_xlsform(path: str | os.PathLike) -> ImportResult:
    """Read and convert an XLSForm file; a file that cannot be read is one error, not a crash."""
    path = Path(path)
    if path.suffix.lower() not in (*XLSX_SUFFIXES, *XLS_SUFFIXES):
        return ImportResult(None, [Problem(
            "not_xlsform", f"{path.name} is not an XLSForm: give an .xlsx or .xls file.")])
    try:
        sheets = read_sheets(path)
    except Exception as error:  # noqa: BLE001 - corrupt files must not crash anything
        detail = str(error).strip()
        message = f"{path.name} could not be read as an Excel workbook"
        if "Duplicate column header" in detail:
            message = f"{path.name}: {detail.split('file: ')[-1]}"
        return ImportResult(None, [Problem("unreadable", message + ".")])
    fallback = re.sub(r"[^A-Za-z0-9_]", "_", path.stem)
    return convert(sheets, fallback_form_id=fallback if NAME_RE.match(fallback) else None)


# --- converting -----------------------------------------------------------------------

def convert(sheets: dict, fallback_form_id: str | None = None) -> ImportResult:
    """Turn pyxform's sheets (``{"survey": [row dicts], "choices": ..., "settings": ...}``)
    into our form definition, listing every problem; never raises."""
    converter = _Converter(sheets, fallback_form_id)
    try:
        return converter.run()
    except Exception as error:  # noqa: BLE001 - an import must never crash the hub
        converter.error("unreadable", f"The form could not be converted ({error!r}).")
        return ImportResult(None, converter.errors, converter.warnings)


TYPE_ALIASES = {
    "string": "text", "int": "integer", "trigger": "acknowledge", "gps": "geopoint",
    "photo": "image", "add image prompt": "image", "add photo prompt": "image",
    "add audio prompt": "audio", "add video prompt": "video", "add file prompt": "file",
    "imei": "deviceid",
}
BASIC_TYPES = {"text", "integer", "decimal", "date", "time", "datetime", "range", "note",
               "calculate"}
SELECT_TYPES = {
    "select_one": "select_one", "select one": "select_one", "select1": "select_one",
    "select_multiple": "select_multiple", "select all that apply": "select_multiple",
    "select_all_that_apply": "select_multiple",
}
EXTERNAL_SELECTS = {"select_one_from_file", "select_multiple_from_file",
                    "select one from file", "select multiple from file",
                    "select_one_external"}
UNSUPPORTED_TYPES = {
    "hidden": "hidden questions are not supported yet",
    "image": "media questions (image) are not supported yet",
    "audio": "media questions (audio) are not supported yet",
    "video": "media questions (video) are not supported yet",
    "file": "file questions are not supported yet",
    "background-audio": "background audio recording is not supported",
    "background-video": "background video recording is not supported",
    "geopoint": "location questions (geopoint) are not supported yet",
    "geotrace": "location questions (geotrace) are not supported yet",
    "geoshape": "location questions (geoshape) are not supported yet",
    "start-geopoint": "location questions (start-geopoint) are not supported yet",
    "barcode": "barcode questions are not supported yet",
    "rank": "rank questions are not supported yet",
    "range-decimal": "decimal ranges are not supported yet",
}
EXTERNAL_TYPES = {"xml-external", "csv-external"}
METADATA_TYPES = {"start", "end", "today", "deviceid", "subscriberid", "simserial",
                  "phonenumber", "username", "email", "audit"}
GROUP_PATTERN = re.compile(r"^(begin|end)[ _](group|repeat|loop|looped group|lgroup)$")
SELECT_PATTERN = re.compile(
    r"^(select_one|select one|select1|select_multiple|select all that apply|"
    r"select_all_that_apply|select_one_from_file|select_multiple_from_file|"
    r"select one from file|select multiple from file|select_one_external|rank)"
    r"(?:\s+(\S+))?(?:\s+(\S+))?\s*$", re.IGNORECASE)
YES = {"yes", "true", "true()", "y", "1"}
NO = {"no", "false", "false()", "n", "0"}
BOUND_TERM = (r"(?:string-length\(\s*\.\s*\)\s*<=\s*\d+|\.\s*>=\s*-?\d+(?:\.\d+)?"
              r"|\.\s*<=\s*-?\d+(?:\.\d+)?)")
BOUNDED = re.compile(rf"^(?:\((?P<rest>.+)\)\s+and\s+)?(?P<bounds>{BOUND_TERM}"
                     rf"(?:\s+and\s+{BOUND_TERM})*)$", re.DOTALL)
FIELD_REFERENCE = re.compile(r"\$\{[^}]*\}")
NUMBER_LITERAL = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)$")


def _all_of(parts: list[str]) -> str | None:
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


class _Converter:
    def __init__(self, sheets: dict, fallback_form_id: str | None):
        self.sheets = {str(k).lower(): v for k, v in (sheets or {}).items()}
        self.fallback_form_id = fallback_form_id
        self.errors: list[Problem] = []
        self.warnings: list[Problem] = []
        self.default_code = "en"
        self.language_of: dict[str, str | None] = {}  # language label as written → code
        self.codes: list[str] = []  # every language the form uses, default first

    # -- problems
    def error(self, code, message, sheet=None, row=None, column=None):
        self.errors.append(Problem(code, message, sheet, row, column))

    def warn(self, code, message, sheet=None, row=None, column=None):
        self.warnings.append(Problem(code, message, sheet, row, column))

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
            self.error("missing_sheet", "The workbook has no survey sheet with questions: "
                       "an XLSForm needs a sheet named 'survey'.", SURVEY)
            return ImportResult(None, self.errors, self.warnings)
        for sheet, what in (("external_choices", "external choice lists"),
                            ("entities", "entities"), ("osm", "OpenStreetMap questions")):
            if any(self.rows(sheet)):
                self.error("external_data", f"The {sheet} sheet is not supported: {what} "
                           "are not supported yet.", sheet)
        self.survey_columns = [_classify(h) for h in self.headers(SURVEY)]
        self.choice_columns = [_classify(h) for h in self.headers(CHOICES)]
        self.read_settings()
        self.resolve_languages()
        self.check_columns()
        self.read_choices()
        self.read_survey()
        self.check_expressions()
        self.check_lists()
        self.check_settings()
        if self.errors:
            return ImportResult(None, self.errors, self.warnings)
        definition = self.definition()
        try:
            form = load_form(definition)
        except FormError as error:
            self.schema_problems(error.messages)
            return ImportResult(None, self.errors, self.warnings)
        return ImportResult(definition, self.errors, self.warnings, form)

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
                self.warn("ignored_setting", "Encryption (public_key) is ignored: records stay "
                          "on the laptop and are anonymized before sync instead.",
                          SETTINGS, number, str(header))
            elif key not in SETTINGS_SILENT:
                self.warn("ignored_setting", f"The setting '{header}' is not used by the "
                          "collector and is ignored.", SETTINGS, number, str(header))

    def check_settings(self) -> None:
        form_id = self.setting("form_id")
        if form_id is None and self.fallback_form_id is None:
            self.error("missing_setting", "Give the form an id: a form_id column on the "
                       "settings sheet.", SETTINGS, None, "form_id")
        elif form_id is not None and not NAME_RE.match(form_id):
            _, row, header = self.settings["form_id"]
            self.error("bad_setting", f"'{form_id}' is not a usable form_id: use letters, "
                       "digits and _, starting with a letter.", SETTINGS, row, header)
        version = self.setting("version")
        if version is not None and len(version) > 40:
            _, row, header = self.settings["version"]
            self.error("bad_setting", "The version is longer than 40 characters.", SETTINGS,
                       row, header)

    def setting(self, key: str) -> str | None:
        return self.settings[key][0] if key in self.settings else None

    # -- languages
    def resolve_languages(self) -> None:
        explicit: list[tuple[str, _Column]] = []
        has_bare = False
        for sheet, columns in ((SURVEY, self.survey_columns), (CHOICES, self.choice_columns)):
            for column in columns:
                if column.base not in TRANSLATABLE or column.base == "media":
                    continue
                if column.language is None or column.language.lower() == "default":
                    has_bare = True
                    continue
                code = language_code(column.language)
                self.language_of[column.language] = code
                if code is None:
                    self.error("unknown_language", f"'{column.language}' is not a language "
                               "this collector knows: write it with its code, such as "
                               "'label::Français (fr)'.", sheet, 1, column.header)
                else:
                    explicit.append((code, column))
        default = self.setting("default_language")
        if default is not None:
            code = default if default.lower() == "default" else language_code(default)
            if code is None or code == "default":
                _, row, header = self.settings["default_language"]
                self.error("bad_setting", f"'{default}' is not a language: write it like "
                           "'English (en)'.", SETTINGS, row, header)
                code = "en"
            self.default_code = code
        elif has_bare or not explicit or any(c == "en" for c, _ in explicit):
            self.default_code = "en"
        else:
            labels = [c for c, col in explicit if col.base == "label"] or [explicit[0][0]]
            self.default_code = labels[0]
        codes = [self.default_code] if has_bare or not explicit else []
        codes += [code for code, column in explicit if column.base == "label"]
        self.codes = list(dict.fromkeys(codes or [self.default_code]))

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
                    self.warn("missing_translation", f"No {column.language or 'default'} "
                              f"text: the {language_header_name(self.default_code)} text is "
                              "shown instead.", row.sheet, row.number, column.header)
        return result

    # -- columns
    def check_columns(self) -> None:
        for sheet, columns, known in ((SURVEY, self.survey_columns, SURVEY_COLUMNS),
                                      (CHOICES, self.choice_columns, CHOICE_COLUMNS)):
            for column in columns:
                base = column.base
                if (base in known or base in UNSUPPORTED_COLUMNS or base in IGNORED_COLUMNS
                        or base.startswith("$") or not base):
                    continue
                if sheet == CHOICES:
                    continue  # extra choice columns are filter values: harmless
                self.warn("ignored_column", f"The column '{column.header}' is not used by the "
                          "collector and is ignored.", sheet, 1, column.header)
        label_codes = {self.code_of(c) for c in self.choice_columns if c.base == "label"}
        if self.rows(CHOICES):
            for code in self.codes:
                if code not in label_codes:
                    self.warn("missing_translation", f"The choices sheet has no label column "
                              f"for {language_header_name(code)}: choices are shown in "
                              f"{language_header_name(self.default_code)}.", CHOICES, 1, "label")

    def row_columns(self, row: _Row) -> None:
        """Errors and warnings for unsupported and ignored columns filled in this row."""
        reported = set()
        for column in row.columns:
            value = row.values.get(column.header)
            if value in (None, "") or column.base in reported:
                continue
            if column.base in UNSUPPORTED_COLUMNS:
                reported.add(column.base)
                self.error("unsupported_column", f"The '{column.header}' column is not "
                           f"supported: {UNSUPPORTED_COLUMNS[column.base]}.",
                           row.sheet, row.number, column.header)
            elif column.base in IGNORED_COLUMNS and row.sheet == SURVEY:
                reported.add(column.base)
                self.warn("ignored_column", f"'{column.header}' is ignored: "
                          f"{IGNORED_COLUMNS[column.base]}.", row.sheet, row.number,
                          column.header)

    # -- choices
    def read_choices(self) -> None:
        self.choices: dict[str, list[dict]] = {}
        self.choice_rows: dict[str, list[int]] = {}
        self.list_rows: dict[str, int] = {}
        seen: dict[tuple[str, str], int] = {}
        for index, values in enumerate(self.rows(CHOICES)):
            if not values:
                continue
            row = _Row(CHOICES, index + 2, values, self.choice_columns)
            self.row_columns(row)
            list_name, list_header = row.cell("list_name")
            name, name_header = row.cell("name")
            if list_name is None:
                self.error("missing_list_name", "This choice has no list_name.", CHOICES,
                           row.number, list_header)
                continue
            if list_name not in self.list_rows:
                self.list_rows[list_name] = row.number
                if not NAME_RE.match(list_name):
                    self.error("bad_name", f"'{list_name}' is not a usable list name: use "
                               "letters, digits and _, starting with a letter.", CHOICES,
                               row.number, list_header)
            if name is None:
                self.error("missing_name", f"A choice of the list '{list_name}' has no name.",
                           CHOICES, row.number, name_header)
                continue
            if len(name) > 64:
                self.error("bad_name", f"The choice name '{name[:20]}…' is longer than 64 "
                           "characters.", CHOICES, row.number, name_header)
            if (list_name, name) in seen:
                self.error("duplicate_choice", f"The list '{list_name}' already has a choice "
                           f"named '{name}' (row {seen[list_name, name]}).", CHOICES,
                           row.number, name_header)
                continue
            seen[list_name, name] = row.number
            label = self.texts(row, "label")
            if not label:
                self.error("missing_label", f"The choice '{name}' of the list '{list_name}' "
                           "has no label.", CHOICES, row.number, row.header("label"))
            choice = {"name": name, "label": label}
            parent, _ = row.cell("parent")
            if parent:
                choice["parent"] = parent
            data = self.choice_data(row)
            if data:
                choice["data"] = data
            self.choices.setdefault(list_name, []).append(choice)
            self.choice_rows.setdefault(list_name, []).append(row.number)

    def choice_data(self, row: _Row) -> dict[str, str]:
        """The choice's other columns (such as `region`), which choice filters test."""
        data = {}
        for column in row.columns:
            value = row.values.get(column.header)
            if (column.base in CHOICE_COLUMNS or column.base in TRANSLATABLE or value in (None, "")
                    or not NAME_RE.match(column.base)):
                continue
            data[column.base] = str(value).strip()
        return data

    # -- survey
    def read_survey(self) -> None:
        self.sections: list[dict] = []
        self.question_rows: list[list[int]] = []  # per section, per question: its row
        self.section_rows: list[int | None] = []
        self.names: dict[str, int] = {}  # every question and repeat → its row (for references)
        self.group_names: dict[str, int] = {}  # every group → its row
        self.holders: set[int] = set()  # ids of group sections a repeat was taken out of
        self.continued: dict[int, str] = {}  # id of a group's page after a repeat → group name
        self.used_lists: dict[str, list[tuple[int, str, str]]] = {}  # list → (row, header, type)
        self.expressions: list[tuple[int, str, str]] = []  # (row, header, source)
        self.choice_filters: list[tuple[int, str, str]] = []
        self.acknowledge_list: str | None = None
        self.or_other: str | None = None  # the question whose row said or_other
        stack: list[dict] = []
        loose: dict | None = None
        for index, values in enumerate(self.rows(SURVEY)):
            if not values:
                continue
            row = _Row(SURVEY, index + 2, values, self.survey_columns)
            raw_type, type_header = row.cell("type")
            if raw_type is None:
                if row.cell("name")[0] or self.texts(row, "label", warn_missing=False):
                    self.warn("missing_type", "This row has no type and is ignored.", SURVEY,
                              row.number, type_header)
                continue
            kind = " ".join(raw_type.split()).lower()
            kind = TYPE_ALIASES.get(kind, kind)
            group = GROUP_PATTERN.match(kind)
            if group:
                loose = None
                self.group_row(row, group.group(1), group.group(2), type_header, stack)
                continue
            spec = self.question_row(row, raw_type, kind, type_header, stack)
            if spec is None:
                self.or_other = None
                continue
            if stack:
                owner = _owner(stack)
                if stack[owner].get("split"):
                    self.continue_group(stack[owner], row)
                section, rows = stack[owner]["section"], stack[owner]["rows"]
                # A nested group's relevance carries over to each of its questions.
                parts = [f["relevant"] for f in stack[owner + 1:] if f["relevant"]]
                if parts:
                    spec["relevant"] = _all_of([*parts, spec.get("relevant")])
            else:
                if loose is None:
                    loose = {"name": None, "label": None, "questions": []}
                    self.sections.append(loose)
                    self.question_rows.append([])
                    self.section_rows.append(None)
                section, rows = loose, self.question_rows[-1]
            section["questions"].append(spec)
            rows.append(row.number)
            if self.or_other is not None:
                section["questions"].append(self.other_question(spec, row))
                rows.append(row.number)
                self.or_other = None
        for frame in stack:
            self.error("unbalanced_group", f"'begin {frame['kind']}' {frame['name'] or ''} has "
                       f"no matching 'end {frame['kind']}'.", SURVEY, frame["row"],
                       frame["header"])
        self.finish_sections()

    def group_row(self, row: _Row, verb: str, kind: str, type_header: str, stack: list) -> None:
        kind = "group" if kind == "group" else "repeat"
        if verb == "end":
            if not stack:
                self.error("unbalanced_group", f"'end {kind}' without a 'begin {kind}' above "
                           "it.", SURVEY, row.number, type_header)
            elif stack[-1]["kind"] != kind:
                self.error("unbalanced_group", f"'end {kind}' closes a 'begin "
                           f"{stack[-1]['kind']}' (row {stack[-1]['row']}).", SURVEY,
                           row.number, type_header)
                stack.pop()
            else:
                stack.pop()
            return
        name, name_header = row.cell("name")
        self.row_columns(row)
        if name is None:
            self.error("missing_name", f"This 'begin {kind}' has no name.", SURVEY, row.number,
                       name_header)
        elif not NAME_RE.match(name):
            self.error("bad_name", f"'{name}' is not a usable name: use letters, digits and _, "
                       "starting with a letter.", SURVEY, row.number, name_header)
        elif kind == "repeat" and (name in self.names or name in self.group_names):
            # A repeat's name holds its answers and is referable: unique in the whole form.
            used = self.names.get(name, self.group_names.get(name))
            self.error("duplicate_name", f"The name '{name}' is already used on row {used}.",
                       SURVEY, row.number, name_header)
        elif kind == "repeat":
            self.names[name] = row.number
        else:
            self.group_names.setdefault(name, row.number)
        repeat_count, count_header = row.cell("repeat_count")
        if repeat_count and kind == "group":
            self.warn("ignored_column", "A repeat_count only applies to a 'begin repeat' row "
                      "and is ignored here.", SURVEY, row.number, count_header)
            repeat_count = None
        elif repeat_count:
            self.expressions.append((row.number, count_header, repeat_count))
            if (NUMBER_LITERAL.match(repeat_count)
                    and float(repeat_count) > MAX_INSTANCES):
                self.warn("repeat_count", f"A repeat has at most {MAX_INSTANCES} instances "
                          f"in the collector: a repeat_count of {repeat_count} gives "
                          f"{MAX_INSTANCES}.", SURVEY, row.number, count_header)
        relevant, relevant_header = row.cell("relevant")
        if relevant:
            self.expressions.append((row.number, relevant_header, relevant))
        appearance, appearance_header = row.cell("appearance")
        if appearance and appearance.lower() != "field-list":
            self.warn("ignored_appearance", f"The group appearance '{appearance}' is ignored: "
                      "each group is one page.", SURVEY, row.number, appearance_header)
        frame = {"kind": kind, "name": name, "row": row.number, "header": type_header,
                 "relevant": relevant}
        outer = next((f for f in stack if f["kind"] == "repeat"), None)
        if kind == "repeat" and outer is not None:
            self.error("nested_repeat", f"The repeat '{name or ''}' is inside the repeat "
                       f"'{outer['name'] or ''}' (row {outer['row']}): a repeat inside a "
                       "repeat is not supported yet.", SURVEY, row.number, type_header)
            stack.append(frame)
            return
        if stack and kind == "group":
            owner = stack[_owner(stack)]
            where = (f"inside the repeat '{owner['name']}': its questions are asked in each "
                     "instance" if owner["kind"] == "repeat" else
                     f"inside the group '{owner['name']}': its questions join that page")
            self.warn("nested_group", f"The group '{name}' is {where}"
                      + (" and keep its relevance." if relevant else "."),
                      SURVEY, row.number, type_header)
            stack.append(frame)
            return
        label = self.texts(row, "label")
        if not label:
            label = {self.default_code: (name or "section").replace("_", " ").capitalize()}
        section = {"name": name, "label": label, "questions": []}
        if kind == "repeat":
            # Its own page: the relevance of the groups around it carries over to it.
            relevant = _all_of([*(f["relevant"] for f in stack), relevant])
            if stack:
                holder = stack[_owner(stack)]
                holder["split"] = True  # the group's next questions go on a page after it
                self.holders.add(id(holder["section"]))
        if relevant:
            section["relevant"] = relevant
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
        self.sections.append(section)
        self.question_rows.append([])
        self.section_rows.append(self.section_rows[index])
        self.continued[id(section)] = old["name"]
        frame.update(section=section, rows=self.question_rows[-1])
        self.warn("split_group", f"The group '{old['name']}' holds a repeat: its questions "
                  "after the repeat are on a page of their own, after the repeat's.", SURVEY,
                  row.number, row.header("type"))

    def question_row(self, row: _Row, raw_type: str, kind: str, type_header: str,
                     stack: list) -> dict | None:
        name, name_header = row.cell("name")
        list_name = None
        self.or_other = None
        select = SELECT_PATTERN.match(raw_type.strip())
        if kind in METADATA_TYPES:
            self.warn("ignored_type", f"'{raw_type}' is ignored: the collector keeps its own "
                      "record metadata (when, on which device, by whom).", SURVEY, row.number,
                      type_header)
            return None
        if select:
            word = " ".join(select.group(1).split()).lower()
            list_name, option = select.group(2), select.group(3)
            if word in EXTERNAL_SELECTS:
                self.error("external_data", f"'{word}' (choices from a file or external data) "
                           "is not supported yet: put the choices on the choices sheet.",
                           SURVEY, row.number, type_header)
                kind = None
            elif word == "rank":
                self.error("unsupported_type", UNSUPPORTED_TYPES["rank"].capitalize() + ".",
                           SURVEY, row.number, type_header)
                kind = None
            else:
                kind = SELECT_TYPES[word]
                if option is not None:
                    if option.lower() == "or_other":
                        self.or_other = name
                    else:
                        self.error("unknown_type", f"'{raw_type}' is not a question type.",
                                   SURVEY, row.number, type_header)
                if list_name is None:
                    self.error("unknown_list", f"'{raw_type}' needs a choice list name, such "
                               f"as '{word} yes_no'.", SURVEY, row.number, type_header)
        elif kind in UNSUPPORTED_TYPES:
            self.error("unsupported_type", UNSUPPORTED_TYPES[kind].capitalize() + ".", SURVEY,
                       row.number, type_header)
            kind = None
        elif kind in EXTERNAL_TYPES:
            self.error("external_data", f"'{raw_type}' (external data) is not supported yet.",
                       SURVEY, row.number, type_header)
            kind = None
        elif kind == "acknowledge":
            pass
        elif kind not in BASIC_TYPES:
            self.error("unknown_type", f"'{raw_type}' is not a question type.", SURVEY,
                       row.number, type_header)
            kind = None
        # The name: checked for every question, supported or not, so references resolve.
        if name is None:
            self.error("missing_name", "This question has no name.", SURVEY, row.number,
                       name_header)
        elif name in self.names:
            self.error("duplicate_name", f"The name '{name}' is already used on row "
                       f"{self.names[name]}.", SURVEY, row.number, name_header)
        else:
            self.names[name] = row.number
            if not NAME_RE.match(name):
                self.error("bad_name", f"'{name}' is not a usable name: use letters, digits "
                           "and _, starting with a letter.", SURVEY, row.number, name_header)
        if kind is None:
            return None  # already an error; its other columns do not matter
        self.row_columns(row)
        repeat_count, header = row.cell("repeat_count")
        if repeat_count:
            self.warn("ignored_column", "A repeat_count only applies to a 'begin repeat' row "
                      "and is ignored here.", SURVEY, row.number, header)
        label = self.texts(row, "label", warn_missing=kind != "calculate")
        if not label and kind != "calculate":
            self.error("missing_label", f"The question '{name}' has no label." if name
                       else "This question has no label.", SURVEY,
                       row.number, row.header("label"))
        if any(FIELD_REFERENCE.search(text) for text in label.values()):
            self.warn("label_reference", "The collector shows labels as written: a ${name} "
                      "in a label is not replaced by the answer.", SURVEY, row.number,
                      row.header("label"))
        spec: dict[str, Any] = {"name": name or "", "type": kind}
        if label:
            spec["label"] = label
        if kind == "acknowledge":
            self.warn("converted_type", "'acknowledge' becomes a single-choice question with "
                      "one answer, 'OK'.", SURVEY, row.number, type_header)
            spec["type"] = "select_one"
            spec["choices"] = self.acknowledge_choices()
        elif kind in ("select_one", "select_multiple") and list_name:
            spec["choices"] = list_name
            self.used_lists.setdefault(list_name, []).append((row.number, type_header, kind))
            if self.or_other is not None and list_name in self.choices:
                spec["choices"] = self.list_with_other(list_name)
        for key in ("hint", "required_message", "constraint_message"):
            text = self.texts(row, key)
            if text:
                spec[key] = text
        for key in ("relevant", "constraint"):
            value, header = row.cell(key)
            if value:
                spec[key] = value
                self.expressions.append((row.number, header, value))
        choice_filter, header = row.cell("choice_filter")
        if choice_filter and spec["type"] in ("select_one", "select_multiple"):
            spec["choice_filter"] = choice_filter
            self.choice_filters.append((row.number, header, choice_filter))
        elif choice_filter:
            self.warn("ignored_column", "A choice filter only applies to select questions and "
                      "is ignored here.", SURVEY, row.number, header)
        required, header = row.cell("required")
        if required is not None:
            flag = self.yes_no(required, row, header)
            if flag and spec["type"] != "note":
                spec["required"] = True
        identifying, header = row.cell("identifying")
        if identifying is not None and self.yes_no(identifying, row, header):
            spec["identifying"] = True
        privacy, privacy_header = row.cell("privacy")
        if privacy is not None:
            try:
                check_privacy_rule(privacy)
            except ValidationError as error:
                self.error("bad_privacy", " ".join(error.messages), SURVEY, row.number,
                           privacy_header)
            else:
                spec["privacy"] = privacy
        if spec.get("identifying") and spec.get("privacy", "drop") not in IDENTIFYING_RULES:
            self.error("bad_privacy", "An identifying field must be dropped or pseudonymized: "
                       "write drop, pseudonymize or pseudonymize:phone in the privacy column.",
                       SURVEY, row.number, privacy_header)
        self.disclosure(row, spec)
        self.calculation(row, spec)
        self.default_and_read_only(row, spec)
        self.appearance(row, spec)
        self.parameters(row, spec)
        if spec["type"] in ("integer", "decimal", "text") and "constraint" in spec:
            self.recover_bounds(spec)
        return spec

    def disclosure(self, row: _Row, spec: dict) -> None:
        """The `disclosure` (key / sensitive) and `hierarchy` columns: ODK and Kobo ignore
        them; the central server's releases use them (sync_server.disclosure)."""
        for column, allowed in (("disclosure", DISCLOSURE_ROLES), ("hierarchy", HIERARCHIES)):
            value, header = row.cell(column)
            if value is None:
                continue
            if value not in allowed:
                self.error(f"bad_{column}", f"'{value}' is not a {column} value: use "
                           f"{', '.join(allowed)}.", SURVEY, row.number, header)
            else:
                spec[column] = value
        if spec.get("hierarchy") and spec.get("disclosure") != "key":
            self.error("bad_hierarchy", "Only a key variable (disclosure: key) has a hierarchy.",
                       SURVEY, row.number, row.header("hierarchy"))

    def calculation(self, row: _Row, spec: dict) -> None:
        value, header = row.cell("calculation")
        if spec["type"] == "calculate":
            if not value:
                self.error("missing_calculation", "A calculate question needs a calculation.",
                           SURVEY, row.number, header or row.header("type"))
                spec["calculation"] = "''"
            else:
                spec["calculation"] = value
                self.expressions.append((row.number, header, value))
        elif value:
            self.warn("ignored_column", "A calculation on a question that is not 'calculate' "
                      "(a dynamic default) is ignored: the question starts empty.", SURVEY,
                      row.number, header)

    def default_and_read_only(self, row: _Row, spec: dict) -> None:
        default, header = row.cell("default")
        if default is not None and spec["type"] not in ("note", "calculate"):
            if "${" in default or "(" in default:
                self.warn("ignored_column", f"The default '{default}' is an expression; only "
                          "fixed defaults are supported, so it is ignored.", SURVEY, row.number,
                          header)
            elif not DEFAULT_FORMS.get(spec["type"], ANY_TEXT).fullmatch(default.strip()):
                self.error("bad_default", f"'{default}' is not a {spec['type']} answer.",
                           SURVEY, row.number, header)
            else:
                spec["default"] = default.strip()
        read_only, header = row.cell("read_only")
        if read_only is not None and self.yes_no(read_only, row, header):
            if spec["type"] in ("note", "calculate"):
                return
            spec["read_only"] = True
            spec.pop("required", None)  # nobody can answer it

    def yes_no(self, value: str, row: _Row, header: str) -> bool:
        low = value.strip().lower()
        if low in YES:
            return True
        if low not in NO:
            self.error("bad_value", f"'{value}' should be yes or no (conditions here are not "
                       "supported yet: use relevant instead).", SURVEY, row.number, header)
        return False

    def appearance(self, row: _Row, spec: dict) -> None:
        value, header = row.cell("appearance")
        if value is None:
            return
        kept = None
        for word in value.split():
            fits = SUPPORTED_APPEARANCES.get(word.lower())
            if fits and spec["type"] in fits and kept is None:
                kept = word.lower()
            elif fits and spec["type"] in fits:
                self.warn("ignored_appearance", f"Only one appearance is used: '{kept}'; "
                          f"'{word}' is ignored.", SURVEY, row.number, header)
            elif fits:
                self.warn("ignored_appearance", f"The appearance '{word}' has no effect on a "
                          f"{spec['type']} question and is ignored.", SURVEY, row.number, header)
            else:
                self.warn("ignored_appearance", f"The appearance '{word}' is not supported and "
                          "is ignored (supported: minimal, horizontal, likert, multiline, "
                          "month-year).", SURVEY, row.number, header)
        if kept:
            spec["appearance"] = kept

    def parameters(self, row: _Row, spec: dict) -> None:
        value, header = row.cell("parameters")
        if spec["type"] != "range":
            if value:
                self.warn("ignored_column", f"The parameters '{value}' are ignored for a "
                          f"{spec['type']} question.", SURVEY, row.number, header)
            return
        params = {"start": 1, "end": 10, "step": 1}  # ODK's defaults
        for part in re.split(r"[\s;,]+", value or ""):
            if not part:
                continue
            key, sep, number = part.partition("=")
            key = key.strip().lower()
            if not sep or key not in params:
                self.warn("ignored_column", f"The range parameter '{part}' is ignored (use "
                          "start=, end= and step=).", SURVEY, row.number, header)
                continue
            try:
                as_float = float(number)
            except ValueError:
                as_float = float("nan")
            if not as_float.is_integer():
                self.error("bad_value", f"'{part}': range parameters must be whole numbers.",
                           SURVEY, row.number, header)
                continue
            params[key] = int(as_float)
        if params["step"] < 1 or params["start"] >= params["end"]:
            self.error("bad_value", "A range needs start below end and a step of at least 1 "
                       f"(got start={params['start']} end={params['end']} "
                       f"step={params['step']}).", SURVEY, row.number, header)
        spec["parameters"] = params

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
                expressions.parse(rest)
            except expressions.ExpressionError:
                return
        found: dict[str, float] = {}
        for term in re.split(r"\s+and\s+", match.group("bounds")):
            number = float(re.search(r"-?\d+(?:\.\d+)?\s*$", term).group().strip())
            key = ("max_length" if term.startswith("string-length")
                   else "min" if ">=" in term else "max")
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

    def list_with_other(self, list_name: str) -> str:
        """The list plus an 'other' choice, as ODK adds it for 'or_other'."""
        if any(c["name"] == "other" for c in self.choices[list_name]):
            return list_name
        name, n = f"{list_name}_or_other", 1
        while name in self.choices and not any(c["name"] == "other" for c in self.choices[name]):
            n += 1
            name = f"{list_name}_or_other_{n}"
        if name not in self.choices:
            self.choices[name] = self.choices[list_name] + [
                {"name": "other", "label": catalog_texts(OTHER_LABEL, self.codes)}]
        return name

    def other_question(self, spec: dict, row: _Row) -> dict:
        """The text question ODK adds after an 'or_other' select: shown when 'other' is picked."""
        name = f"{spec['name']}_other"
        if name in self.names:
            self.error("duplicate_name", f"'or_other' needs the name '{name}' for its "
                       f"'specify' question, but row {self.names[name]} uses it.", SURVEY,
                       row.number, row.header("name"))
        self.names.setdefault(name, row.number)
        relevant = f"selected(${{{spec['name']}}}, 'other')"
        if spec.get("relevant"):
            relevant = f"({spec['relevant']}) and {relevant}"
        other = {"name": name, "type": "text", "label": catalog_texts(SPECIFY_LABEL, self.codes),
                 "relevant": relevant, "required": bool(spec.get("required"))}
        if spec.get("identifying"):  # what the person wrote instead identifies them as much
            other.update(identifying=True, privacy="drop")
        elif spec.get("privacy"):
            other["privacy"] = ("scrub" if spec["privacy"] in ("keep", "pseudonymize")
                                or spec["privacy"].startswith("generalize") else spec["privacy"])
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
        title = self.title()
        count = 0
        kept = []
        for index, section in enumerate(self.sections):
            if not section["questions"] and section.get("repeat"):
                self.error("empty_repeat", f"The repeat '{section['name']}' has no questions "
                           "the collector can ask: give it at least one.", SURVEY,
                           self.section_rows[index], "type")
                continue
            if not section["questions"]:
                if id(section) in self.holders:
                    continue  # a group that only held a repeat: the repeat is its page
                if self.section_rows[index] is not None:
                    self.warn("empty_group", f"The group '{section['name']}' has no supported "
                              "questions and is left out.", SURVEY, self.section_rows[index],
                              "type")
                continue
            if section["name"] is None:
                count += 1
                name = f"section_{count}"
                while name in taken:
                    count += 1
                    name = f"section_{count}"
                taken.add(name)
                section["name"], section["label"] = name, dict(title)
            elif id(section) in self.continued:
                base, n = self.continued[id(section)], 2
                while f"{base}_{n}" in taken:
                    n += 1
                section["name"] = f"{base}_{n}"
                taken.add(section["name"])
            kept.append(index)
        self.sections = [self.sections[i] for i in kept]
        self.question_rows = [self.question_rows[i] for i in kept]
        self.section_rows = [self.section_rows[i] for i in kept]
        if not self.sections and not self.errors:
            self.error("empty_form", "The survey sheet has no question the collector can show.",
                       SURVEY)

    # -- checks across rows
    def check_expressions(self) -> None:
        known = set(self.names)
        checks = [(entry, expressions.parse) for entry in self.expressions]
        checks += [(entry, expressions.parse_choice_filter) for entry in self.choice_filters]
        for (row, header, source), parser in checks:
            if re.search(r"\bpulldata\s*\(", source):
                self.error("external_data", "pulldata() (external data) is not supported yet.",
                           SURVEY, row, header)
                continue
            try:
                parsed = parser(source)
            except expressions.ExpressionError as error:
                self.error("bad_expression", f"{error.message} (at character "
                           f"{error.position + 1} of '{source}')", SURVEY, row, header)
                continue
            for name in sorted(parsed.references() - known):
                self.error("unknown_reference", f"The expression refers to '${{{name}}}', "
                           "which is not a question of this form.", SURVEY, row, header)

    def check_lists(self) -> None:
        for list_name, uses in self.used_lists.items():
            if list_name not in self.choices:
                for row, header, _ in uses:
                    where = "" if self.rows(CHOICES) else " (the workbook has no choices sheet)"
                    self.error("unknown_list", f"There is no choice list named '{list_name}' "
                               f"on the choices sheet{where}.", SURVEY, row, header)
                continue
            if any(kind == "select_multiple" for _, _, kind in uses):
                for choice, number in zip(self.choices[list_name], self.choice_rows[list_name]):
                    if re.search(r"\s", choice["name"]):
                        self.error("bad_name", f"The choice name '{choice['name']}' has a "
                                   "space, which a select_multiple answer cannot hold.",
                                   CHOICES, number, "name")

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
            self.warn("missing_version", "The settings sheet gives no version: version 1 is "
                      "used. Give a version so that a changed form is imported as a new one.",
                      SETTINGS, None, "version")
        return {
            "form_id": form_id,
            "version": version,
            "default_language": self.default_code,
            "title": self.title(),
            "choices": self.choices,
            "sections": self.sections,
        }

    def schema_problems(self, messages: Any) -> None:
        """Marshmallow's nested errors, located on the rows they come from when we can."""
        for path, message in _flatten(messages):
            sheet, row, column = SURVEY, None, None
            keys = [p for p in path if p != "_schema"]
            if keys[:1] == ["sections"] and len(keys) > 1 and isinstance(keys[1], int):
                section = keys[1]
                if len(keys) > 3 and keys[2] == "questions" and isinstance(keys[3], int):
                    try:
                        row = self.question_rows[section][keys[3]]
                    except IndexError:
                        row = None
                    column = str(keys[4]) if len(keys) > 4 else None
                else:
                    row = self.section_rows[section] if section < len(self.section_rows) else None
                    column = str(keys[2]) if len(keys) > 2 else None
            elif keys[:1] == ["choices"]:
                sheet = CHOICES
                rest = [k for k in keys[2:] if k not in ("key", "value")]  # dict of lists
                if len(keys) > 1 and rest and isinstance(rest[0], int):
                    rows = self.choice_rows.get(str(keys[1]), [])
                    row = rows[rest[0]] if rest[0] < len(rows) else None
                    column = str(rest[1]) if len(rest) > 1 else None
            elif keys and keys[0] in ("form_id", "version", "default_language", "title"):
                sheet, column = SETTINGS, {"title": "form_title"}.get(keys[0], keys[0])
                row = self.settings.get(column, (None, None))[1]
            self.error("schema", message, sheet, row, column)


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
    """The three sheets of the XLSForm, header row first."""
    codes = form_languages(form)
    names = {code: language_header_name(code) for code in codes}

    def translated(base: str) -> list[str]:
        return [f"{base}::{names[code]}" for code in codes]

    def cells(value: dict | None) -> list[str | None]:
        return [(value or {}).get(code) or None for code in codes]

    # Only a form with repeats gets the repeat_count column: other exports stay as they were.
    with_repeats = bool(form.repeats)
    with_disclosure = any(q.get("disclosure") for q in form.questions.values())
    disclosure_blanks = [None, None] if with_disclosure else []
    survey = [["type", "name", *translated("label"), *translated("hint"), "required",
               *translated("required_message"), "relevant", "constraint",
               *translated("constraint_message"), "appearance", "parameters", "privacy",
               "identifying", "calculation", "default", "read_only", "choice_filter",
               *(["disclosure", "hierarchy"] if with_disclosure else []),
               *(["repeat_count"] if with_repeats else [])]]
    blank_texts = [None] * len(codes)
    question_names = set(form.questions) | set(form.repeats)
    taken = set(question_names) | set(form.data.get("choices", {}))
    for section in form.sections:
        group = section["name"]
        repeat = bool(section.get("repeat"))
        if not repeat and group in question_names:  # ODK needs every name unique, groups too
            group, n = f"{section['name']}_group", 1
            while group in taken:
                n += 1
                group = f"{section['name']}_group{n}"
        taken.add(group)
        # A repeat keeps its name, which holds its answers: begin repeat with its count, each
        # instance on one screen (field-list) as a page shows it.
        survey.append(["begin repeat" if repeat else "begin group", group,
                       *cells(section["label"]), *blank_texts, None, *blank_texts,
                       section.get("relevant"), None, *blank_texts, "field-list", None, None,
                       None, None, None, None, None,
                       *disclosure_blanks,
                       *([section.get("repeat_count")] if with_repeats else [])])
        for q in section["questions"]:
            kind = q["type"]
            if kind in ("select_one", "select_multiple"):
                kind = f"{kind} {q['choices']}"
            params = q.get("parameters")
            survey.append([
                kind, q["name"], *cells(q.get("label")), *cells(q.get("hint")),
                "yes" if q.get("required") else None, *cells(q.get("required_message")),
                q.get("relevant"), export_constraint(q), *cells(q.get("constraint_message")),
                q.get("appearance"),
                (f"start={params['start']} end={params['end']} step={params.get('step', 1)}"
                 if params else None),
                q.get("privacy"), "yes" if q.get("identifying") else None,
                q.get("calculation"), q.get("default"), "yes" if q.get("read_only") else None,
                q.get("choice_filter"),
                *([q.get("disclosure"), q.get("hierarchy")] if with_disclosure else []),
            ])
        survey.append(["end repeat" if repeat else "end group"])
    choice_lists = form.data.get("choices", {})
    with_parent = any("parent" in c for items in choice_lists.values() for c in items)
    data_columns = sorted({key for items in choice_lists.values() for c in items
                           for key in c.get("data", {})})
    choices = [["list_name", "name", *translated("label"), *(["parent"] if with_parent else []),
                *data_columns]]
    for list_name, items in choice_lists.items():
        for choice in items:
            choices.append([list_name, choice["name"], *cells(choice["label"]),
                            *([choice.get("parent")] if with_parent else []),
                            *(choice.get("data", {}).get(key) for key in data_columns)])
    settings = [["form_id", "version", "form_title", "default_language", "style"],
                [form.form_id, form.version, form.text(form.data["title"], form.default_language),
                 names[form.default_language], "pages"]]
    return {SURVEY: survey, CHOICES: choices, SETTINGS: settings}


def to_xlsform(form: FormDefinition, path: str | os.PathLike) -> None:
    """Write the form as an XLSForm .xlsx (survey, choices, settings) that pyxform converts."""
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
    handle, partial = tempfile.mkstemp(dir=path.parent or None, prefix=f".{path.stem}-",
                                       suffix=".xlsx")
    os.close(handle)
    try:
        workbook.save(partial)
        os.replace(partial, path)
    finally:
        if os.path.exists(partial):
            os.remove(partial)


def read_form_file(path: str | os.PathLike) -> ImportResult:
    """A form definition from a JSON file or an XLSForm, as `forms import` and `forms publish`
    read them: never an exception, every problem listed."""
    path = Path(path)
    if path.suffix.lower() in (*XLSX_SUFFIXES, *XLS_SUFFIXES):
        return read_xlsform(path)
    if path.suffix.lower() != ".json":
        return ImportResult(None, [Problem(
            "unknown_file", f"{path.name}: only JSON form definitions and XLSForms "
            "(.xlsx, .xls) can be imported.")])
    try:
        form = load_form_json(path.read_text("utf-8"))
    except (FormError, UnicodeDecodeError) as error:
        return ImportResult(None, [Problem("invalid_form", f"{path.name} is not a valid form "
                                                           f"definition:\n{error}")])
    return ImportResult(form.data, form=form)
