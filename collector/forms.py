"""Form definitions: the one schema both apps validate forms with, and the registry.

A form definition is JSON: sections of questions, choice lists, and per-question
anonymization rules. Every label-like value is a translation map such as
``{"en": "Age", "fr": "Âge"}``; a missing locale falls back to the form's default
language, never to blank.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, replace
from decimal import Decimal
from functools import cached_property, lru_cache
from importlib import resources
from itertools import groupby
from typing import Any

from marshmallow import (
    RAISE,
    Schema,
    ValidationError,
    fields,
    post_load,
    validate,
    validates_schema,
)

from . import expressions, locations
from .anonymizer import IDENTIFYING_RULES, METADATA_RULES

# The built-in forms, by their ids: one spelling for every module that needs one of them.
SURVEY_FORM, REPORT_FORM, FEEDBACK_FORM = (
    "community_survey",
    "discrimination_report",
    "community_feedback",
)
BUILTIN_FORM_IDS = (SURVEY_FORM, REPORT_FORM, FEEDBACK_FORM)

SELECTS = ("select_one", "select_multiple")
# A relevant's test of a choice: `selected(${x}, 'code')`, `${x} = 'code'`, `'code' = ${x}`.
_CHOICE_TESTS = re.compile(
    r"(?:selected\(\s*\$\{(\w+)\}\s*,\s*|\$\{(\w+)\}\s*=\s*)['\"]([^'\"]*)['\"]"
)
_CHOICE_TESTS_REVERSED = re.compile(r"['\"]([^'\"]*)['\"]\s*=\s*\$\{(\w+)\}")
# How forms name and label the choice that a 'specify' text goes with, in our languages.
_OTHER_WORDS = (
    "other", "others", "oth", "autre", "autres", "otro", "otra", "otros", "otras",
    "nyingine", "wani", "wasu", "أخرى", "اخرى", "آخر", "اخر", "غير ذلك",
)  # fmt: skip


def _is_other(choice: dict) -> bool:
    """Whether a choice is the 'other' one, by its name or a label in any language."""
    label = choice.get("label")
    texts = [str(choice.get("name", ""))]
    texts += list(label.values()) if isinstance(label, dict) else [str(label or "")]
    for text in texts:
        words = re.findall(r"[^\W_]+", text.casefold())
        if words and (words[0] in _OTHER_WORDS or " ".join(words[:2]) in _OTHER_WORDS):
            return True
    return False


QUESTION_TYPES = (
    "text",
    "integer",
    "decimal",
    "select_one",
    "select_multiple",
    # The choices put in order (XLSForm `rank LIST`): stored as a select_multiple's list of
    # choice names, first-ranked first.
    "rank",
    "date",
    "time",
    "datetime",
    "range",
    "note",
    "calculate",
    # Locations (collector/locations.py): ODK's "lat lon alt acc", points joined by ";".
    "geopoint",
    "geotrace",
    "geoshape",
    # The phone's location when the record is started, taken by the page where it can be.
    "start-geopoint",
    # Photos, recordings, videos and files (collector/attachments.py): the answer is the
    # stored file's name, `<sha256>.<ext>`; the file stays on the hub beside the record.
    "image",
    "audio",
    "video",
    "file",
)
LOCATION_TYPES = locations.LOCATION_TYPES
# A call of once() in an expression (a name glued before it is another function).
ONCE_CALL = re.compile(r"(?<![\w.:-])once\s*\(")
MEDIA_TYPES = ("image", "audio", "video", "file")
# What a photo, recording or file may leave the laptop as: nothing, or itself.
MEDIA_RULES = ("drop", "keep")
# How each media question may be asked (XLSForm appearances): `new` takes a new photo or
# recording only (no gallery), `new-front`/`selfie` with the front camera, `signature` and
# `draw` on a canvas, `annotate` a photo to draw on (media.js shows it on a pad).
MEDIA_APPEARANCES = {
    "image": ("new", "new-front", "selfie", "signature", "draw", "annotate"),
    "audio": ("new",),
    "video": ("new", "new-front", "selfie"),
    "file": (),
}
# A photo's longest side on the phone before upload (XLSForm parameters max-pixels=N).
DEFAULT_MAX_PIXELS = 1024
MAX_PIXELS_RANGE = (64, 8192)
# A range's values are drawn as one button each: a page of more helps nobody.
MAX_RANGE_VALUES = 10_000
# Record metadata an XLSForm asks for (`start`, `deviceid`...): the hub records it with every
# record (when it was started and finalized, on which hub, by whom, and for `audit` how long
# each section was open) and the form keeps the names, so an exported XLSForm has them back.
METADATA_TYPES = ("start", "end", "today", "deviceid", "username", "audit")
# Types whose answer the person types or picks; a note holds no value, a calculate is computed.
INPUT_TYPES = tuple(t for t in QUESTION_TYPES if t not in ("note", "calculate"))

# Disclosure roles on the central server (sync_server.disclosure): a key variable
# (quasi-identifier) is generalized and suppressed until every combination is shared by k
# records; a sensitive variable must take l distinct values in each such group.
DISCLOSURE_ROLES = ("key", "sensitive")
# The role of a value taken from both a key and a sensitive question (FormDefinition
# .derived_roles), or marked with one role and taken from the other (.role_conflicts): never
# released, as no generalization keeps both safe.
WITHHELD = "withheld"
# A repeat's count is a key variable of every release (sync_server.disclosure): a value
# computed from the repeat as a whole, `count(${members})`, takes that role.
REPEAT_COUNT_ROLE = "key"
# Generalization hierarchies a key variable can name (docs/form-definitions.md).
HIERARCHIES = ("age_band", "area", "date", "month", "merge_rare", "wg_disability", "number")
PRIVACY_RULES = ("drop", "pseudonymize", "pseudonymize:phone", "scrub", "keep")
GENERALIZE_TARGETS = ("age_band", "month", "year", "parent", "bins", "grid", "area")
# What a location may leave as: nothing, a grid cell, the name of its area, or itself.
LOCATION_RULES = ("drop", "generalize:grid", "generalize:area", "keep")
# The smallest and largest grid cell (metres a side) generalize:grid accepts.
GRID_METRES = (10, 1_000_000)
# GeoJSON boundaries a form carries for generalize:area: their text is kept this small.
MAX_BOUNDARY_BYTES = 2_000_000
BOUNDARY_FILE_PATTERN = r"^[A-Za-z0-9_][A-Za-z0-9_.\-]*\.(geo)?json$"
# Choice lists and choice columns: a bare name in a choice_filter is one, so no `-` or `.`.
NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_]*$"
# Questions, groups and repeats, as pyxform allows them (`Q1.1`, `hh-size`): `${Q1.1}`
# refers to one. A repeat's answers are posted as `name.position`, so a name may not be
# another's posted key (checked in _reference_errors), nor look like a repeat's count
# (`_repeat.members`).
FIELD_NAME_PATTERN = r"^(?!_repeat\.)[A-Za-z_][A-Za-z0-9_.\-]*$"
# Form ids as ODK and KoboToolbox write them: `2024-baseline`, `wash.v2`. Never a path.
FORM_ID_PATTERN = r"^[A-Za-z0-9_][A-Za-z0-9_.\-]*$"
# Where a choice list came from when not the choices sheet: a CSV file next to the XLSForm
# (`select_one_from_file fruits.csv`) or its external_choices sheet. A bare file name only.
CHOICE_FILE_PATTERN = r"^[A-Za-z0-9_][A-Za-z0-9_.\-]*\.csv$"
# A form's data files: pulldata()'s CSV files, and the XML files of its xml-external rows
# (`xml-external streets`: streets.xml, read as instance('streets')).
DATA_FILE_PATTERN = r"^[A-Za-z0-9_][A-Za-z0-9_.\-]*\.(csv|xml)$"
EXTERNAL_CHOICES = "external_choices"
INSTANCE_KEY = re.compile(r"^(?P<name>.+)\.(?P<position>[0-9]+)$")
# A posted key with every instance position: `kind.2.1` is `kind` of member 2's illness 1.
NESTED_KEY = re.compile(r"^(?P<name>.+?)(?P<positions>(\.[0-9]+)+)$")
# How deep repeats may sit inside each other (households → members → illnesses).
MAX_REPEAT_DEPTH = 3
LOCALE_PATTERN = re.compile(r"^[a-z]{2,3}(_[A-Za-z0-9]{2,8})?$")
# A repeat's instances on one record at most: a typo in a repeat_count cannot make a
# page of a thousand copies, nor a record too large to sync.
MAX_INSTANCES = 50
# The appearance a group inside a page keeps (each page is one screen anyway): export
# writes it back.
GROUP_APPEARANCES = ("field-list",)
# Prompts in sound and picture beside a question or a choice (the XLSForm media columns
# `audio`, `image`, `big-image`, `video`): kind → file name per language. The files travel
# with the form but never inside its JSON (a recording is large): `media_files` names each
# one's SHA-256, and the hub keeps the bytes (collector.prompts).
PROMPT_KINDS = ("audio", "image", "big-image", "video")
PROMPT_FILE_PATTERN = r"^[A-Za-z0-9_][A-Za-z0-9_.\- ]*\.[A-Za-z0-9]{2,5}$"
SHA256_PATTERN = r"^[0-9a-f]{64}$"
# A prompt's address carries this much of its SHA-256 (96 bits): enough to tell a form's
# files apart and to mark a changed file, and short on a page that names hundreds.
PROMPT_HASH_CHARS = 24
# The CSV files pulldata() reads travel inside the form, and every page of the form carries
# them to the phone: their text (as the definition's JSON holds it) is kept this small.
MAX_DATA_BYTES = 500_000


class TranslatedText(fields.Dict):
    """A map of locale code to text, e.g. ``{"en": "Age", "fr": "Âge"}``."""

    def __init__(self, **kwargs):
        super().__init__(keys=fields.String(), values=fields.String(), **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        result = super()._deserialize(value, attr, data, **kwargs)
        if not result:
            raise ValidationError("Give the text in at least one language.")
        for code, text in result.items():
            if not LOCALE_PATTERN.match(code):
                raise ValidationError(f"'{code}' is not a locale code such as 'en' or 'fr'.")
            if not text.strip():
                raise ValidationError(f"The '{code}' text is empty.")
        return result


def check_privacy_rule(rule: str) -> None:
    if rule in PRIVACY_RULES:
        return
    kind, _, target = rule.partition(":")
    name, _, edges = target.partition(":")
    if kind == "generalize" and name in ("grid", "area"):
        _check_location_rule(rule, name, edges)
        return
    if kind != "generalize" or name not in GENERALIZE_TARGETS or (name == "bins") != bool(edges):
        raise ValidationError(
            f"'{rule}' is not a privacy rule: use drop, pseudonymize, pseudonymize:phone, "
            "scrub, keep, "
            "generalize:age_band, generalize:month, generalize:year, generalize:parent, "
            "generalize:bins:EDGE,EDGE,... (ascending numbers), or for a location "
            "generalize:grid:METRES or generalize:area."
        )
    if edges:
        try:
            numbers = [float(edge) for edge in edges.split(",")]
        except ValueError:
            raise ValidationError(f"'{rule}': bin edges must be numbers.") from None
        if numbers != sorted(set(numbers)):
            raise ValidationError(f"'{rule}': bin edges must be ascending.")


def _check_location_rule(rule: str, name: str, rest: str) -> None:
    """generalize:grid:METRES (a whole number of metres) or generalize:area[:FILE]."""
    if name == "area":
        if rest and not re.match(BOUNDARY_FILE_PATTERN, rest):
            raise ValidationError(
                f"'{rule}': name the boundaries file, such as "
                "generalize:area:villages.geojson, or leave it out."
            )
        return
    low, high = GRID_METRES
    if not re.fullmatch(r"[0-9]{1,7}", rest) or not low <= int(rest) <= high:
        raise ValidationError(
            f"'{rule}': give the grid cell's size in whole metres, from "
            f"{low} to {high}, as in generalize:grid:1000."
        )


def check_expression(source: str, parser=expressions.check) -> None:
    """Refused at import: a syntax error, and an unknown function or a wrong number of
    arguments even in a part that would never be computed."""
    try:
        parser(source)
    except expressions.ExpressionError as error:
        raise ValidationError(f"{error.message} (at character {error.position + 1})") from error


def check_choice_filter(source: str) -> None:
    check_expression(source, expressions.check_choice_filter)


class PromptText(TranslatedText):
    """A prompt's file name per language: ``{"en": "q1-en.ogg", "sw": "q1-sw.ogg"}``."""

    def _deserialize(self, value, attr, data, **kwargs):
        result = super()._deserialize(value, attr, data, **kwargs)
        for code, name in result.items():
            if not re.match(PROMPT_FILE_PATTERN, name) or len(name) > 200:
                raise ValidationError(
                    f"'{name}' ({code}) is not a file name such as q1-audio.ogg: letters, "
                    "digits, spaces, '-', '_' and '.' only, no folder."
                )
        return result


def prompt_field() -> fields.Dict:
    """A question's or a choice's prompts: kind (audio, image, big-image, video) → files."""
    return fields.Dict(
        keys=fields.String(validate=validate.OneOf(PROMPT_KINDS)), values=PromptText()
    )


class ChoiceSchema(Schema):
    class Meta:
        unknown = RAISE

    name = fields.String(required=True, validate=validate.Length(min=1, max=64))
    label = TranslatedText(required=True)
    # For "generalize:parent": the code of the larger area this one belongs to.
    parent = fields.String()
    # Other columns of the choices sheet, which a question's choice_filter may test.
    data = fields.Dict(
        keys=fields.String(validate=validate.Regexp(NAME_PATTERN)), values=fields.String()
    )
    # Prompts in sound and picture beside the choice's label (see PROMPT_KINDS).
    media = prompt_field()


def _range_decimals(params: dict) -> tuple[Decimal, Decimal, Decimal]:
    """A range's start, end and step in Decimal: a step of 0.1 lands on 0.3 exactly."""
    start, end, step = (Decimal(str(params[k])) for k in ("start", "end", "step"))
    return start, end, step


def range_count(params: dict) -> int:
    """How many values a range offers, one button each."""
    start, end, step = _range_decimals(params)
    return int((end - start) / step) + 1 if end >= start else 0


def on_range_step(value, params: dict) -> bool:
    """Whether `value` is one of a range's values: between its ends, on one of its steps."""
    number = Decimal(str(value))
    start, end, step = _range_decimals(params)
    return start <= number <= end and (number - start) % step == 0


class RangeNumber(fields.Number):
    """A range's start, end or step: a whole number stays an int; a decimal one (`0.5`, as
    ODK takes them) makes the range hold decimals (Question.range_values)."""

    num_type = float

    def _format_num(self, value):
        if isinstance(value, bool):
            raise ValueError(value)
        number = float(value)
        if not math.isfinite(number) or abs(number) >= 1e15:
            raise ValueError(value)
        return int(number) if number.is_integer() else number


class RangeParameters(Schema):
    start = RangeNumber(required=True)
    end = RangeNumber(required=True)
    step = RangeNumber(load_default=1, validate=validate.Range(min=0, min_inclusive=False))


class GroupSchema(Schema):
    """A group inside a section or a repeat (an XLSForm's group in a group), as each of its
    questions carries it: its label heads its questions on the page, and export writes it
    back around them, so the data paths stay the form's. A repeat section carries the groups
    it stands in the same way (SectionSchema.groups). Its relevance is already in each
    question's (or repeat's) `relevant`; it is kept here for export only."""

    class Meta:
        unknown = RAISE

    name = fields.String(required=True, validate=validate.Regexp(FIELD_NAME_PATTERN))
    label = TranslatedText()
    relevant = fields.String(validate=check_expression)
    appearance = fields.String(validate=validate.OneOf(GROUP_APPEARANCES))


def _check_loop_row(row: dict) -> None:
    if not isinstance(row.get("type"), str):
        raise ValidationError("Each row of a loop has its type.")
    media = row.get("media", {})
    if not isinstance(media, dict):
        raise ValidationError("A loop's row has its media by kind, then by language.")
    for key, value in [*row.items(), *media.items()]:
        if key == "media":
            continue
        texts = value.values() if isinstance(value, dict) else [value]
        if not all(isinstance(text, str) for text in texts):
            raise ValidationError(f"'{key}' of a loop's row is a text or a text per language.")


class LoopSchema(Schema):
    """An XLSForm's `begin loop over LIST` … `end loop` as the workbook wrote it. Its
    questions are on the form once per choice, each copy in the group (or on the page) that
    `copies` names, under names of their own (`count_cow`): those are what records hold.
    Kept for export only, which writes the loop back in their place: pyxform then gives the
    original data paths (`/data/livestock/cow/count`)."""

    class Meta:
        unknown = RAISE

    name = fields.String(required=True, validate=validate.Regexp(FIELD_NAME_PATTERN))
    list = fields.String(required=True, validate=validate.Regexp(NAME_PATTERN))
    label = TranslatedText()
    relevant = fields.String(validate=check_expression)
    # The groups or pages the loop became, one per choice: `livestock_cow`, `livestock_goat`.
    copies = fields.List(
        fields.String(validate=validate.Regexp(FIELD_NAME_PATTERN)),
        required=True,
        validate=validate.Length(min=1),
    )
    # The rows between `begin loop` and `end loop`, by column (`type`, `name`, `label` per
    # language..., `media` as a question has it), their `%(name)s` and `%(label)s` as written.
    rows = fields.List(
        fields.Dict(keys=fields.String(), validate=_check_loop_row),
        required=True,
        validate=validate.Length(min=1),
    )


class QuestionSchema(Schema):
    class Meta:
        unknown = RAISE

    name = fields.String(required=True, validate=validate.Regexp(FIELD_NAME_PATTERN))
    type = fields.String(required=True, validate=validate.OneOf(QUESTION_TYPES))
    label = TranslatedText()  # every type but calculate needs one (checked below)
    hint = TranslatedText()
    choices = fields.String()
    # A select whose choices are the answers given in a repeat (XLSForm `select_one
    # ${member_name}`): the question asked in the repeat. Each instance with an answer is a
    # choice, the answer its name and label (checked in _choices_from_errors).
    choices_from = fields.String(validate=validate.Regexp(FIELD_NAME_PATTERN))
    # Which choices to offer, by the answers so far: `region = ${region}` (cascading selects).
    choice_filter = fields.String(validate=check_choice_filter)
    required = fields.Boolean(load_default=False)
    # An answer is needed only while this holds (XLSForm's `required` holding a condition).
    required_if = fields.String(validate=check_expression)
    required_message = TranslatedText()
    relevant = fields.String(validate=check_expression)
    constraint = fields.String(validate=check_expression)
    constraint_message = TranslatedText()
    min = fields.Float()
    max = fields.Float()
    max_length = fields.Integer(validate=validate.Range(min=1, max=100_000))
    parameters = fields.Nested(RangeParameters)
    # A location: how accurate (metres) the phone's reading should be; the person is warned
    # above warning_accuracy, or capture_accuracy without it (XLSForm parameters
    # capture-accuracy and warning-accuracy).
    capture_accuracy = fields.Float(validate=validate.Range(min=0, min_inclusive=False))
    warning_accuracy = fields.Float(validate=validate.Range(min=0, min_inclusive=False))
    # A photo: its longest side, in pixels, once the phone has made it smaller.
    max_pixels = fields.Integer(validate=validate.Range(*MAX_PIXELS_RANGE))
    # How the page asks it (XLSForm appearances): one word, or several separated by spaces.
    appearance = fields.String()
    identifying = fields.Boolean(load_default=False)
    privacy = fields.String(validate=check_privacy_rule)
    # How the central server treats the answer in record-level releases (see above).
    disclosure = fields.String(validate=validate.OneOf(DISCLOSURE_ROLES))
    hierarchy = fields.String(validate=validate.OneOf(HIERARCHIES))
    source = fields.String()
    # A value computed from other answers (type calculate), kept with the record.
    calculation = fields.String(validate=check_expression)
    # The answer a new record starts with, as it would be typed ("3", "yes", "2024-03-15").
    default = fields.String()
    # Shown but not answerable: keeps its default or computed value.
    read_only = fields.Boolean(load_default=False)
    # A select's choices in a shuffled order (XLSForm parameters randomize=true, seed=...),
    # the same order ODK gives for the same seed (collector.expressions.shuffled).
    randomize = fields.Boolean()
    # An XLSForm name a question of another group already had (ODK allows it): the question
    # is stored as `name` (the group's name before it), and written back as this.
    xlsform_name = fields.String(validate=validate.Regexp(FIELD_NAME_PATTERN))
    seed = fields.String(validate=check_expression)
    # An XLSForm's trigger (`${visit_date}`): kept so export writes it back; the collector
    # computes a calculation again on every change anyway.
    trigger = fields.String(validate=check_expression)
    # Prompts in sound and picture beside the question's label (see PROMPT_KINDS).
    media = prompt_field()
    # The property of the form's entity (see EntitySchema) this answer is saved to.
    save_to = fields.String(validate=lambda name: check_property_name(name))
    # The groups inside its section or repeat the question sits in, outermost first.
    groups = fields.List(fields.Nested(GroupSchema), validate=validate.Length(min=1))

    @validates_schema
    def check_type_options(self, data, **kwargs):
        kind = data["type"]
        if kind != "calculate" and not data.get("label"):
            raise ValidationError("Give the text in at least one language.", "label")
        if (kind == "calculate") != bool(data.get("calculation")):
            raise ValidationError(
                "A calculate question needs a calculation, and only it has one.", "calculation"
            )
        if kind in (*SELECTS, "rank") and not (data.get("choices") or data.get("choices_from")):
            raise ValidationError("A select question needs a choice list.", "choices")
        if data.get("choices_from") and (kind not in SELECTS or data.get("choices")):
            raise ValidationError(
                "Only a select without a choice list takes its choices from a repeat.",
                "choices_from",
            )
        if data.get("choices_from") and data.get("randomize"):
            raise ValidationError("Choices from a repeat are not shuffled yet.", "randomize")
        if (data.get("randomize") or data.get("seed")) and kind not in (
            "select_one",
            "select_multiple",
        ):
            raise ValidationError("Only a select question's choices can be shuffled.", "randomize")
        if data.get("seed") and not data.get("randomize"):
            raise ValidationError("A seed orders shuffled choices: add randomize.", "seed")
        if kind == "range" and "parameters" not in data:
            raise ValidationError("A range question needs start and end.", "parameters")
        if data.get("disclosure") and "." in data["name"]:
            # The central server reads a corrected field `members.2.age` at its dots: a
            # dotted key or sensitive name would slip past the checks that hide them.
            raise ValidationError(
                "A key or sensitive question's name cannot hold a '.' yet.", "disclosure"
            )
        if data.get("hierarchy") and data.get("disclosure") != "key":
            raise ValidationError(
                "Only a key variable (disclosure: key) has a hierarchy.", "hierarchy"
            )
        _check_location_options(data)
        _check_media_options(data)
        rule = data.get("privacy", "drop")
        if data.get("identifying") and rule not in IDENTIFYING_RULES:
            # keep, scrub or generalize would let part of a name or phone number leave.
            raise ValidationError(
                f"The identifying field '{data['name']}' must be dropped or "
                f"pseudonymized, not '{rule}'.",
                "privacy",
            )


def _check_location_options(data: dict) -> None:
    """Accuracies only on a location; a location's rule one of LOCATION_RULES (a grid or an
    area is for locations only, and the area of a trace or shape is not one place)."""
    kind, rule = data["type"], data.get("privacy", "drop")
    rule_kind = ":".join(rule.split(":")[:2])
    if kind not in LOCATION_TYPES:
        if any(key in data for key in ("capture_accuracy", "warning_accuracy")):
            raise ValidationError("Only a location question has an accuracy.", "capture_accuracy")
        if rule_kind in ("generalize:grid", "generalize:area"):
            raise ValidationError(f"'{rule}' is for location questions only.", "privacy")
        return
    if rule_kind not in LOCATION_RULES:
        raise ValidationError(
            f"A location leaves the laptop dropped, as a grid cell, as "
            f"its area's name, or kept; not '{rule}'.",
            "privacy",
        )
    if rule_kind == "generalize:area" and kind in ("geotrace", "geoshape"):
        raise ValidationError(
            "A trace or shape cannot leave as one area's name: drop it, "
            "keep it or use generalize:grid.",
            "privacy",
        )


def _check_media_options(data: dict) -> None:
    """max_pixels only on a photo; a media question's rule drop or keep (a photo cannot be
    pseudonymized or scrubbed), and its appearance one it can be asked with."""
    kind = data["type"]
    if kind != "image" and "max_pixels" in data:
        raise ValidationError("Only a photo question has max_pixels.", "max_pixels")
    if kind not in MEDIA_TYPES:
        return
    rule = data.get("privacy", "drop")
    if rule not in MEDIA_RULES:
        raise ValidationError(
            f"A photo, recording or file leaves the laptop dropped or kept; not '{rule}'.",
            "privacy",
        )
    for appearance in appearances(data):
        if appearance not in MEDIA_APPEARANCES[kind]:
            allowed = ", ".join(MEDIA_APPEARANCES[kind]) or "none"
            raise ValidationError(
                f"'{appearance}' is not an appearance of a {kind} question (use: {allowed}).",
                "appearance",
            )


def appearances(question) -> list[str]:
    """A question's appearances: the definition keeps them as an XLSForm writes them, one
    word or several separated by spaces (`minimal quick`)."""
    return (question.get("appearance") or "").split()


class SectionSchema(Schema):
    class Meta:
        unknown = RAISE

    name = fields.String(required=True, validate=validate.Regexp(FIELD_NAME_PATTERN))
    label = TranslatedText(required=True)
    relevant = fields.String(validate=check_expression)
    # A repeat: its questions are asked once per instance (each member of a household),
    # stored as a list under the section's name.
    repeat = fields.Boolean(load_default=False)
    # How many instances, from the answers so far (`${household_size}`); without it the
    # person adds and removes instances.
    repeat_count = fields.String(validate=check_expression)
    # A repeat inside another: the enclosing repeat's name. Its instances are kept inside
    # each instance of that repeat, and its page is drawn inside them.
    within = fields.String(validate=validate.Regexp(FIELD_NAME_PATTERN))
    # At least one, but for a repeat that holds repeats (checked in _nesting_errors).
    questions = fields.List(fields.Nested(QuestionSchema), required=True)
    # Questions that stood outside any group in an XLSForm: the page is the collector's own,
    # and export writes them without a group around them (their data paths unchanged).
    ungrouped = fields.Boolean()
    # The XLSForm groups a repeat stands in (inside its enclosing repeat, if any), outermost
    # first; on a page that is not a repeat, the group it continues after a repeat it held
    # (the page has no group of its own). Kept for export only: the same data paths.
    groups = fields.List(fields.Nested(GroupSchema), validate=validate.Length(min=1))

    @validates_schema
    def check_repeat(self, data, **kwargs):
        if data.get("repeat_count") and not data.get("repeat"):
            raise ValidationError("Only a repeat has a repeat_count.", "repeat_count")
        if data.get("within") and not data.get("repeat"):
            raise ValidationError("Only a repeat can sit inside another repeat.", "within")


class MetadataSchema(Schema):
    class Meta:
        unknown = RAISE

    name = fields.String(required=True, validate=validate.Regexp(FIELD_NAME_PATTERN))
    type = fields.String(required=True, validate=validate.OneOf(METADATA_TYPES))
    # How the value leaves the laptop (anonymizer.METADATA_RULES); none: the safe default.
    privacy = fields.String()

    @validates_schema
    def check_privacy(self, data, **kwargs):
        check_metadata_rule(data.get("type"), data.get("privacy"))


def check_metadata_rule(kind, rule) -> None:
    """A metadata row's privacy rule must be one its type allows (a time leaves as a day at
    the finest, a device or an enumerator as a pseudonym or not at all)."""
    allowed = METADATA_RULES.get(kind, ())
    if rule is not None and allowed and rule not in allowed:
        raise ValidationError(
            f"'{rule}' is not a privacy rule for {kind}: use {', '.join(allowed)}.", "privacy"
        )


class SourceSchema(Schema):
    id = fields.String(required=True)
    title = fields.String(required=True)
    note = fields.String()
    url = fields.Url()


ACCESS_CLASSES = ("standard", "sensitive")


class AccessSchema(Schema):
    """Who may see a form's records on the central server: `class` for the whole form,
    `sensitive_if` (an expression on the answers) for some of its records."""

    class Meta:
        unknown = RAISE

    access_class = fields.String(data_key="class", validate=validate.OneOf(ACCESS_CLASSES))
    sensitive_if = fields.String(validate=check_expression)

    @post_load
    def keep_the_author_key(self, data, **kwargs):
        # Stored as the author wrote it, so to_json() gives the definition back unchanged.
        if "access_class" in data:
            data["class"] = data.pop("access_class")
        return data


def check_entity_list_name(name: str) -> None:
    """An entity list's name, as ODK allows it and a choice filter can say it."""
    if not re.match(NAME_PATTERN, name) or name.startswith("__"):
        raise ValidationError(
            f"'{name}' is not an entity list name: letters, digits and _, starting with a "
            "letter, not with two underscores."
        )


def check_property_name(name: str) -> None:
    """An entity property's name (a question's save_to): a name a choice filter can test,
    not `name` or `label` (what every entity has) and not starting with two underscores."""
    if not re.match(NAME_PATTERN, name) or name.startswith("__"):
        raise ValidationError(
            f"'{name}' is not an entity property name: letters, digits and _, starting with "
            "a letter, not with two underscores."
        )
    if name.lower() in ("name", "label"):
        raise ValidationError(f"'{name}' cannot be an entity property: every entity has one.")


class EntitySchema(Schema):
    """An entity list the form's records add to or change (an XLSForm's entities sheet):
    each finalized record creates an entity (its label from `label`) or, with `entity_id`,
    updates the entity of that id; `create_if` and `update_if` say when. The properties
    are the answers of the questions with `save_to` (collector.entities)."""

    class Meta:
        unknown = RAISE

    list_name = fields.String(required=True, validate=check_entity_list_name)
    label = fields.String(validate=check_expression)
    entity_id = fields.String(validate=check_expression)
    create_if = fields.String(validate=check_expression)
    update_if = fields.String(validate=check_expression)

    @validates_schema
    def check_mode(self, data, **kwargs):
        # The combinations pyxform accepts (pyxform.entities.entities_parsing).
        if data.get("update_if") and not data.get("entity_id"):
            raise ValidationError("An update needs the entity_id of the entity.", "entity_id")
        if data.get("entity_id") and data.get("create_if") and not data.get("update_if"):
            raise ValidationError(
                "With an entity_id, create_if needs update_if too (create or update).",
                "update_if",
            )
        if not data.get("entity_id") and not data.get("label"):
            raise ValidationError("A new entity needs a label.", "label")


class FormSchema(Schema):
    """The form-definition format; docs/form-definitions.md describes it for authors."""

    class Meta:
        unknown = RAISE

    form_id = fields.String(
        required=True, validate=[validate.Regexp(FORM_ID_PATTERN), validate.Length(max=100)]
    )
    version = fields.String(required=True, validate=validate.Length(min=1, max=40))
    default_language = fields.String(load_default="en")
    title = TranslatedText(required=True)
    description = TranslatedText()
    show_referrals = fields.Boolean(load_default=False)
    sources = fields.List(fields.Nested(SourceSchema), load_default=list)
    choices = fields.Dict(
        keys=fields.String(validate=validate.Regexp(NAME_PATTERN)),
        values=fields.List(fields.Nested(ChoiceSchema), validate=validate.Length(min=1)),
        load_default=dict,
    )
    sections = fields.List(
        fields.Nested(SectionSchema), required=True, validate=validate.Length(min=1)
    )
    # Which records are sensitive (admins only on the central server); see AccessSchema.
    access = fields.Nested(AccessSchema)
    # The record metadata an XLSForm asked for (see METADATA_TYPES).
    metadata = fields.List(fields.Nested(MetadataSchema))
    # How a record is named where people find it on the hub (an XLSForm's instance_name):
    # computed from its answers when shown, never stored or sent (collector.record_names).
    instance_name = fields.String(validate=check_expression)
    # The XLSForm loops the form's questions were repeated from, kept for export.
    loops = fields.List(fields.Nested(LoopSchema))
    # Choice lists an XLSForm took from a CSV file or its external_choices sheet: list name
    # → the file name (or "external_choices"), so that export writes them back there.
    choice_sources = fields.Dict(
        keys=fields.String(validate=validate.Regexp(NAME_PATTERN)),
        values=fields.String(
            validate=validate.Regexp(rf"{CHOICE_FILE_PATTERN}|^{EXTERNAL_CHOICES}$")
        ),
    )
    # The CSV files pulldata('fruits', ...) reads: file name (fruits.csv) → its rows, each a
    # list of texts, the header row first; an xml-external's file (streets.xml) likewise, its
    # items' child elements the columns.
    data = fields.Dict(
        keys=fields.String(validate=validate.Regexp(DATA_FILE_PATTERN)),
        values=fields.List(fields.List(fields.String()), validate=validate.Length(min=1)),
    )

    # GeoJSON boundaries for generalize:area: file name (villages.geojson) → the
    # FeatureCollection; a location leaves as the name of the area that holds it.
    boundaries = fields.Dict(
        keys=fields.String(validate=validate.Regexp(BOUNDARY_FILE_PATTERN)), values=fields.Dict()
    )
    # The prompt files the form came with: file name → its SHA-256 (the bytes are on the
    # hub, collector.prompts). A prompt naming a file not listed here is not shown.
    media_files = fields.Dict(
        keys=fields.String(validate=validate.Regexp(PROMPT_FILE_PATTERN)),
        values=fields.String(validate=validate.Regexp(SHA256_PATTERN)),
    )
    # The entity list the form's records add to or change (one per form for now).
    entities = fields.List(fields.Nested(EntitySchema), validate=validate.Length(min=1, max=1))
    # Choice lists that are entity lists of this hub, not choices of the form: list name →
    # the entity list's name. Their choices are the hub's entities when a page is drawn.
    entity_choices = fields.Dict(
        keys=fields.String(validate=validate.Regexp(NAME_PATTERN)),
        values=fields.String(validate=check_entity_list_name),
    )

    @validates_schema
    def check_references(self, data, **kwargs):
        errors = _nesting_errors(data)
        if errors:  # the other checks read the nesting
            raise ValidationError(errors)
        errors = _reference_errors(data) + _data_errors(data) + _boundary_errors(data)
        errors += _prompt_errors(data) + _entity_errors(data)
        if errors:
            raise ValidationError(errors)

    @post_load
    def make_form(self, data, **kwargs):
        return FormDefinition(data)


def _nesting_errors(data: dict) -> list[str]:
    """A repeat inside another names an earlier repeat section, at most MAX_REPEAT_DEPTH
    repeats deep."""
    errors: list[str] = []
    depth: dict[str, int] = {}
    for section in data["sections"]:
        outer = section.get("within")
        if not section.get("repeat"):
            continue
        if outer is not None and outer not in depth:
            errors.append(
                f"sections/{section['name']}: within names '{outer}', which is not a repeat "
                "before it."
            )
            continue
        depth[section["name"]] = depth.get(outer, 0) + 1
        if depth[section["name"]] > MAX_REPEAT_DEPTH:
            errors.append(
                f"sections/{section['name']}: repeats sit at most {MAX_REPEAT_DEPTH} deep "
                "inside each other."
            )
    holders = {section.get("within") for section in data["sections"]}
    errors += [
        f"sections/{section['name']}: give the section at least one question (only a "
        "repeat that holds another repeat, or the only page of a form that records "
        "metadata, may have none)."
        for section in data["sections"]
        if not section["questions"]
        and not (section.get("repeat") and section["name"] in holders)
        and not _metadata_page(data, section)
    ]
    return errors


def _metadata_page(data: dict, section: dict) -> bool:
    """A form of metadata only (start, audit...) has one page with no question: the
    person finalizes it at once, and the record holds the metadata."""
    only = data["sections"] == [section] and not section.get("repeat")
    return only and bool(data.get("metadata"))


def repeat_lineages(sections: list[dict]) -> dict[str, tuple[str, ...]]:
    """Each repeat's chain of repeats, outermost first, itself last: `("members",
    "illnesses")`."""
    found: dict[str, tuple[str, ...]] = {}
    for section in sections:
        if section.get("repeat"):
            outer = found.get(section.get("within") or "", ())
            found[section["name"]] = (*outer, section["name"])
    return found


def _reference_errors(data: dict) -> list[str]:
    """Names that must exist: choice lists, sources, fields used in expressions."""
    errors = []
    names = [q["name"] for s in data["sections"] for q in s["questions"]]
    # A repeat's own name is referable too: count(${members}).
    names += [s["name"] for s in data["sections"] if s.get("repeat")]
    seen = set()
    for name in names:
        if name in seen:
            errors.append(f"The question name '{name}' is used twice.")
        seen.add(name)
    # A metadata name is a column of the records too, but not an answer to refer to.
    errors += [
        f"The question name '{item['name']}' is used twice."
        for item in data.get("metadata", [])
        if item["name"] in seen
    ]
    # An audit's seconds per section are exported as `<audit>_<section>` columns.
    errors += [
        f"The question name '{audit}_{section['name']}' is the column of the seconds spent "
        f"in section '{section['name']}' ({audit}): rename the question."
        for audit in (m["name"] for m in data.get("metadata", []) if m["type"] == "audit")
        for section in data["sections"]
        if f"{audit}_{section['name']}" in seen
    ]
    errors += [
        f"The question name '{name}' is how the answer of '{repeated}' in instance "
        f"{position} is sent: rename one of them."
        for name, repeated, position in instance_key_clashes(data)
    ]
    source_ids = {s["id"] for s in data.get("sources", [])}
    errors += [
        f"loops/{loop['name']}: no choice list named '{loop['list']}'."
        for loop in data.get("loops", [])
        if loop["list"] not in data.get("choices", {})
    ]
    errors += [
        f"choice_sources: no choice list named '{name}'."
        for name in data.get("choice_sources", {})
        if name not in data.get("choices", {})
    ]
    files = [f for f in data.get("choice_sources", {}).values() if f != EXTERNAL_CHOICES]
    errors += [
        f"choice_sources: the file '{f}' holds one list only."
        for f in sorted({f for f in files if files.count(f) > 1})
    ]
    errors += _choices_from_errors(data)
    errors += [
        f"{where}: instance('{name}') names no choice list of the form."
        for where, source, _parser in form_expressions(data)
        for name in instance_names(source)
        if name not in _choice_lists(data) | set(xml_instances(data))
    ]
    for section in data["sections"]:
        for expr in filter(
            None,
            [
                section.get("relevant"),
                section.get("repeat_count"),
                *(group.get("relevant") for group in section.get("groups", ())),
            ],
        ):
            errors += _unknown_references(section["name"], expr, seen)
        for question in section["questions"]:
            where = f"{section['name']}/{question['name']}"
            if question.get("choices") and question["choices"] not in _choice_lists(data):
                errors.append(f"{where}: no choice list named '{question['choices']}'.")
            if question.get("source") and question["source"] not in source_ids:
                errors.append(f"{where}: no source with id '{question['source']}'.")
            for expr in filter(
                None,
                [
                    question.get("relevant"),
                    question.get("constraint"),
                    question.get("calculation"),
                    question.get("trigger"),
                    question.get("required_if"),
                    *(group.get("relevant") for group in question.get("groups", ())),
                ],
            ):
                errors += _unknown_references(where, expr, seen)
            errors += _default_errors(where, question, data.get("choices", {}))
            if question.get("choice_filter"):
                errors += _unknown_references(
                    where, question["choice_filter"], seen, expressions.parse_choice_filter
                )
    if data.get("access", {}).get("sensitive_if"):
        errors += _unknown_references("access/sensitive_if", data["access"]["sensitive_if"], seen)
    if data.get("instance_name"):
        errors += _unknown_references("instance_name", data["instance_name"], seen)
    return errors + _last_saved_errors(data)


def _last_saved_errors(data: dict) -> list[str]:
    """${last-saved#name} names a question whose answer may be shown in the enumerator's
    next record and is stored there (see last_saved_problem); a record's access is decided
    from its own answers only."""
    errors = []
    for where, source, parser in form_expressions(data):
        names = sorted(parser(source).last_saved())
        if names and where == "access/sensitive_if":
            errors.append(f"{where}: {LAST_SAVED_PROBLEMS['access']}")
            continue
        for name in names:
            problem = last_saved_problem(name, data)
            if problem:
                errors.append(f"{where}: ${{last-saved#{name}}}: {LAST_SAVED_PROBLEMS[problem]}")
    return errors


LAST_SAVED_PROBLEMS = {
    "unknown": "not a question of this form.",
    "private": "the question is marked identifying or sensitive: its answer is not carried "
    "into another record.",
    "rule": "its answer leaves the laptop only dropped, coarsened or pseudonymized: it is "
    "not carried into another record, where it would outlive its own record's privacy rules.",
    "access": "an earlier record's answer cannot decide whether a record is sensitive: "
    "access/sensitive_if reads the record's own answers only.",
}


def last_saved_problem(name: str, data: dict) -> str | None:
    """Why `name`'s answer cannot be read as ${last-saved#name} in the form `data` (a key of
    LAST_SAVED_PROBLEMS), or None. Only an answer that leaves the laptop as it is, or
    scrubbed, may be: the copy in the next record would otherwise keep what the privacy
    rules drop, coarsen or pseudonymize (through a calculation or a repeat's choices too)."""
    from .anonymizer import rule_for

    form = FormDefinition({"form_id": "", "version": "", "default_language": "", **data})
    question = form.questions.get(name)
    if question is None or question.get("type") == "note":
        return "unknown"
    if question.get("identifying") or form.disclosure_roles.get(name) in ("sensitive", WITHHELD):
        return "private"
    if rule_for(question, form) not in ("keep", "scrub"):
        return "rule"
    sensitive_if = data.get("access", {}).get("sensitive_if")
    if sensitive_if and name in expressions.parse(sensitive_if).references():
        return "access"
    return None


def _choices_from_errors(data: dict) -> list[str]:
    """A select's choices_from names a question asked in a repeat, one value per instance
    (not a select_multiple), whose instances the select can tell: those inside the
    instances it is itself asked in (`../../person` in ODK), or all of them."""
    chains = repeat_lineages(data["sections"])
    asked = {
        q["name"]: (q, chains.get(s["name"], ())) for s in data["sections"] for q in s["questions"]
    }
    errors = []
    for section in data["sections"]:
        here = chains.get(section["name"], ())
        for question in section["questions"]:
            name = question.get("choices_from")
            if not name:
                continue
            where = f"{section['name']}/{question['name']}"
            source, chain = asked.get(name, (None, ()))
            if source is None or not chain:
                errors.append(f"{where}: choices_from '{name}' is not a question in a repeat.")
            elif (
                source["type"] in ("select_multiple", "note")
                or source.get("choices_from")
                or name == question["name"]
            ):
                errors.append(f"{where}: choices_from '{name}' holds no single answer.")
            elif here[: len(chain) - 1] != chain[:-1]:
                errors.append(
                    f"{where}: choices_from '{name}' is in a repeat inside '{chain[-2]}', "
                    "which this question is not asked in."
                )
    return errors


def _choice_lists(data: dict) -> set[str]:
    """The names a select or instance() may use: the form's lists and its entity lists."""
    return set(data.get("choices", {})) | set(data.get("entity_choices") or {})


def xml_instances(data: dict) -> dict[str, list[list[str]]]:
    """The form's xml-external files by name (streets.xml → streets): their rows."""
    return {
        n[: -len(".xml")]: rows for n, rows in data.get("data", {}).items() if n.endswith(".xml")
    }


def entity_expressions(data: dict):
    """(key, source) of the entity declaration's expressions."""
    for declaration in data.get("entities") or []:
        for key in ("label", "entity_id", "create_if", "update_if"):
            if declaration.get(key):
                yield key, declaration[key]


def _entity_errors(data: dict) -> list[str]:
    """The entity declaration and the save_to questions: properties saved to a declared
    list, each once, from questions asked once per record; expressions on such questions;
    entity choice lists named apart from the form's own."""
    errors = []
    declared = data.get("entities") or []
    once = {q["name"] for s in data["sections"] if not s.get("repeat") for q in s["questions"]}
    repeated = {q["name"] for s in data["sections"] if s.get("repeat") for q in s["questions"]}
    saved: dict[str, str] = {}
    for section in data["sections"]:
        for question in section["questions"]:
            prop = question.get("save_to")
            if prop is None:
                continue
            where = f"{section['name']}/{question['name']}"
            if not declared:
                errors.append(f"{where}: save_to needs an entity list (entities).")
            elif section.get("repeat"):
                errors.append(f"{where}: an answer in a repeat cannot be saved to an entity yet.")
            elif prop in saved:
                errors.append(f"{where}: the property '{prop}' is saved by '{saved[prop]}' too.")
            saved.setdefault(prop, question["name"])
    for key, source in entity_expressions(data):
        used = expressions.parse(source).references()
        errors += [
            f"entities/{key}: the expression refers to '{name}', which is not a question "
            "asked once per record."
            for name in sorted(used - once)
            if name in repeated or name not in once
        ]
    errors += [
        f"entity_choices: '{name}' is also a choice list of the form."
        for name in data.get("entity_choices") or {}
        if name in data.get("choices", {})
    ]
    return errors


def data_size(files: dict) -> int:
    """The bytes a form's pulldata files take in its definition (see MAX_DATA_BYTES)."""
    return len(json.dumps(files, ensure_ascii=False).encode("utf-8"))


def data_file_errors(name: str, rows: list[list[str]]) -> list[str]:
    """What is wrong with one pulldata file's rows: a header naming each column once, and
    every row as long as the header."""
    header = rows[0]
    if not header or any(not column.strip() for column in header) or len(set(header)) < len(header):
        return [f"data: {name} needs a header row naming each of its columns once."]
    return [
        f"data: row {number} of {name} has {len(row)} values for {len(header)} columns."
        for number, row in enumerate(rows[1:], start=2)
        if len(row) != len(header)
    ][:5]


def pulldata_problem(call: tuple, files: dict) -> str | None:
    """What is wrong with one pulldata(file, column, key column, value) call, given the form's
    files (name → rows, the header first), or None."""
    file, column, key_column = (list(call) + [None] * 3)[:3]
    if file is None or column is None or key_column is None:
        return (
            "pulldata() needs the file and both columns written in quotes, as in "
            "pulldata('fruits', 'price', 'name', ${fruit})."
        )
    name = f"{file}.csv"
    if name not in files:
        return f"pulldata() reads {name}, which is not among the form's data files."
    missing = [c for c in (column, key_column) if c not in files[name][0]]
    if missing:
        return f"{name} has no column '{missing[0]}'."
    return None


def _data_errors(data: dict) -> list[str]:
    """The pulldata files (`data`): well formed, small enough, and holding what each
    pulldata() call of the form reads."""
    files = data.get("data") or {}
    errors = [error for name, rows in files.items() for error in data_file_errors(name, rows)]
    if data_size(files) > MAX_DATA_BYTES:
        errors.append(
            f"data: the form's data files hold more than {MAX_DATA_BYTES // 1000} kB "
            "of text, the most every page of the form can carry."
        )
    if errors:
        return errors
    entity_lists = set(data.get("entity_choices") or {})
    for where, source, parser in form_expressions(data):
        for call in parser(source).calls("pulldata"):
            if call and call[0] in entity_lists:
                continue  # the hub's entities, read when a page is drawn
            problem = pulldata_problem(call, files)
            if problem:
                errors.append(f"{where}: {problem}")
    return errors


def _boundary_errors(data: dict) -> list[str]:
    """Boundaries files well formed and small enough, and one for each generalize:area."""
    files = data.get("boundaries") or {}
    errors = [
        error
        for name, geojson in files.items()
        for error in locations.boundary_problems(name, geojson)
    ]
    if data_size(files) > MAX_BOUNDARY_BYTES:
        errors.append(
            f"boundaries: the form's boundaries hold more than "
            f"{MAX_BOUNDARY_BYTES // 1_000_000} MB of text."
        )
    for section in data["sections"]:
        for question in section["questions"]:
            rule = question.get("privacy", "")
            if not rule.startswith("generalize:area"):
                continue
            named = rule.split(":", 2)[2] if rule.count(":") == 2 else None
            if named and named not in files:
                errors.append(
                    f"{section['name']}/{question['name']}: no boundaries file named '{named}'."
                )
            elif not named and len(files) != 1:
                errors.append(
                    f"{section['name']}/{question['name']}: generalize:area needs "
                    "one GeoJSON boundaries file with the form (or name one, as "
                    "generalize:area:villages.geojson)."
                )
    return errors


def prompt_items(data: dict):
    """(where, media) of every question and choice of a form definition with prompts."""
    for section in data["sections"]:
        for question in section["questions"]:
            if question.get("media"):
                yield f"{section['name']}/{question['name']}", question["media"]
    for list_name, choices in data.get("choices", {}).items():
        for choice in choices:
            if choice.get("media"):
                yield f"choices/{list_name}/{choice['name']}", choice["media"]


def prompt_kind_problem(kind: str, name: str) -> str | None:
    """Why a file cannot be a prompt of this kind (its extension), or None."""
    from .prompts import PROMPT_TYPES

    extension = name.rsplit(".", 1)[-1].lower()
    allowed = PROMPT_TYPES["audio" if kind == "audio" else "video" if kind == "video" else "image"]
    if extension in allowed:
        return None
    return f"'{name}' cannot be a {kind} prompt: use a .{', .'.join(sorted(allowed))} file."


def _prompt_errors(data: dict) -> list[str]:
    """Each prompt's file of a type its kind can show."""
    return [
        f"{where}: {problem}"
        for where, media in prompt_items(data)
        for kind, names in media.items()
        for name in dict.fromkeys(names.values())
        if (problem := prompt_kind_problem(kind, name))
    ]


def form_expressions(data: dict):
    """(where, source, parser) of every expression of a form definition."""
    for section in data["sections"]:
        for key in ("relevant", "repeat_count"):
            if section.get(key):
                yield section["name"], section[key], expressions.parse
        for question in section["questions"]:
            where = f"{section['name']}/{question['name']}"
            for key in ("relevant", "constraint", "calculation", "trigger", "required_if"):
                if question.get(key):
                    yield where, question[key], expressions.parse
            if question.get("choice_filter"):
                yield where, question["choice_filter"], expressions.parse_choice_filter
    if data.get("access", {}).get("sensitive_if"):
        yield "access/sensitive_if", data["access"]["sensitive_if"], expressions.parse
    if data.get("instance_name"):
        yield "instance_name", data["instance_name"], expressions.parse


def instance_names(source: str) -> list[str]:
    """The choice lists an expression reads with instance('list')."""
    return re.findall(r"instance\(\s*['\"]([^'\"]+)['\"]", source)


def instance_key_clashes(data: dict) -> list[tuple[str, str, str]]:
    """(name, repeated question, position) for each name that is also the posted key of a
    repeated question's answer in one instance (`Q1.2` beside `Q1` in a repeat)."""
    repeated = {q["name"] for s in data["sections"] if s.get("repeat") for q in s["questions"]}
    names = [q["name"] for s in data["sections"] for q in s["questions"]]
    names += [s["name"] for s in data["sections"] if s.get("repeat")]  # answers kept there
    names += [item["name"] for item in data.get("metadata", [])]
    clashes = []
    for name in dict.fromkeys(names):
        # `Q1.2.1` could be Q1 (member 2, illness 1) or Q1.2 (illness 1): each split counts.
        parts = name.split(".")
        for cut in range(len(parts) - 1, 0, -1):
            base, tail = ".".join(parts[:cut]), parts[cut:]
            if not all(re.fullmatch("[0-9]+", part) for part in tail):
                break
            if base in repeated:
                clashes.append((name, base, ".".join(tail)))
                break
    return clashes


def _default_errors(where: str, question: dict, choices: dict) -> list[str]:
    """A select's default must name its choices, or a new record would start without it."""
    if question["type"] not in (*SELECTS, "rank") or "default" not in question:
        return []
    if question.get("choices_from"):
        return [f"{where}: choices from a repeat have no default."]
    names = {choice["name"] for choice in choices.get(question.get("choices"), [])}
    picked = (
        question["default"].split()
        if question["type"] in ("select_multiple", "rank")
        else [question["default"]]
    )
    return [
        f"{where}: the default '{name}' is not one of its choices."
        for name in picked
        if name not in names
    ]


def _unknown_references(
    where: str, source: str, known: set[str], parser=expressions.parse
) -> list[str]:
    unknown = parser(source).references() - known
    return [
        f"{where}: the expression refers to '{name}', which is not a question."
        for name in sorted(unknown)
    ]


@dataclass(frozen=True)
class Question:
    """A question as the pages and the validator use it."""

    spec: dict
    section: str
    # The repeat the question is asked in (its section's name), or None.
    repeat: str | None = None
    # In one instance of a repeat: its 1-based position.
    position: int | None = None
    # In a repeat inside repeats: the positions of the enclosing instances, outermost first.
    outer: tuple[int, ...] = ()
    # The repeats the question is asked in, outermost first (its own repeat last).
    lineage: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        """The name the answer is posted under: `age`, `member_age.2` in the second
        instance of a repeat, `kind.2.1` in member 2's first illness (a name never ends in
        a dot and digits of a repeated question's name: see instance_key_clashes)."""
        if self.position is None:
            return self.name
        return ".".join([self.name, *map(str, (*self.outer, self.position))])

    @property
    def positions(self) -> tuple[int, ...]:
        """Every position from the outermost instance to its own."""
        return () if self.position is None else (*self.outer, self.position)

    def instance(self, position: int, outer: tuple[int, ...] | None = None) -> Question:
        return replace(self, position=position, outer=self.outer if outer is None else outer)

    def __getattr__(self, key):
        try:
            return self.spec[key]
        except KeyError:
            raise AttributeError(key) from None

    def get(self, key, default=None):
        return self.spec.get(key, default)

    @property
    def appearances(self) -> list[str]:
        return appearances(self.spec)

    def has_appearance(self, word: str) -> bool:
        return word in self.appearances

    @property
    def holds_value(self) -> bool:
        return self.type != "note"

    @property
    def decimal_range(self) -> bool:
        """A range with a decimal start, end or step: its answers are decimals."""
        return self.type == "range" and any(
            isinstance(v, float) for v in self.spec["parameters"].values()
        )

    @property
    def range_values(self) -> list[int | float]:
        """A range's values from start to end by step, counted in Decimal so that steps
        of 0.1 land on 0.3, not 0.30000000000000004."""
        start, _, step = _range_decimals(self.spec["parameters"])
        values = (start + step * n for n in range(range_count(self.spec["parameters"])))
        return [int(v) if v == v.to_integral_value() else float(v) for v in values]

    @property
    def answered(self) -> bool:
        """A value the person gives on the page: not a note, a calculation or read-only."""
        return self.type in INPUT_TYPES and not self.get("read_only")


@dataclass(frozen=True)
class GroupRun:
    """Questions in a row that sit in the same inner group (GroupSchema), the groups inside
    it included: what a page draws under the group's label, and export between its rows."""

    group: dict
    children: list  # questions and GroupRuns, in form order

    @property
    def questions(self) -> list:
        """Every question of the run, at any depth."""
        return [q for child in self.children for q in _questions_of(child)]


def _questions_of(item) -> list:
    return item.questions if isinstance(item, GroupRun) else [item]


def in_groups(questions: list, depth: int = 0) -> list:
    """Questions of a page in form order (Question objects, or their definitions), each run
    of questions in the same inner group gathered in a GroupRun, at every depth."""
    items: list = []
    for group, run in groupby(questions, lambda q: _group_at(q, depth)):
        if group is None:
            items.extend(run)
        else:
            items.append(GroupRun(group, in_groups(list(run), depth + 1)))
    return items


def _group_at(question, depth: int) -> dict | None:
    groups = question.get("groups") or ()
    return groups[depth] if depth < len(groups) else None


class FormDefinition:
    """A validated form definition with the lookups pages need."""

    def __init__(self, data: dict):
        self.data = data
        self.form_id: str = data["form_id"]
        self.version: str = data["version"]
        self.default_language: str = data["default_language"]

    def __repr__(self):
        return f"<FormDefinition {self.form_id} v{self.version}>"

    @property
    def sections(self) -> list[dict]:
        return self.data["sections"]

    @cached_property
    def questions(self) -> dict[str, Question]:
        """Every question by name, those asked in repeats included."""
        chains = repeat_lineages(self.sections)
        return {
            q["name"]: Question(
                q,
                s["name"],
                s["name"] if s.get("repeat") else None,
                lineage=chains.get(s["name"], ()),
            )
            for s in self.sections
            for q in s["questions"]
        }

    @cached_property
    def relevance_of(self) -> dict[str, tuple[str, ...]]:
        """Each question's relevance expressions, by name: its section's (in a repeat
        inside others, each repeat's it is in, outermost first), then its own."""
        return {
            name: tuple(
                source
                for source in (
                    *(self.section(s).get("relevant") for s in q.lineage or (q.section,)),
                    q.get("relevant"),
                )
                if source
            )
            for name, q in self.questions.items()
        }

    @cached_property
    def calculating_sections(self) -> frozenset[int]:
        """The sections whose page has a calculation (in a repeat inside it too)."""
        return frozenset(
            index
            for index, section in enumerate(self.sections)
            if any(
                q.type == "calculate"
                and (q.section == section["name"] or section["name"] in q.lineage)
                for q in self.questions.values()
            )
        )

    @cached_property
    def kept_once(self) -> frozenset[str]:
        """The calculations asked once (outside repeats) that keep their first value with
        once(): the phone's page carries their value, so the page and the hub keep the same."""
        return frozenset(
            q.name
            for q in self.top_questions.values()
            if q.type == "calculate" and ONCE_CALL.search(q.calculation)
        )

    @cached_property
    def value_sources(self) -> dict[str, frozenset[str]]:
        """The questions each question's value is taken from: those its calculation reads
        (an earlier record's answer too), the repeat's answers a select offers as choices,
        and the or_other select whose 'specify' text it is (`nationality_other`)."""
        found: dict[str, frozenset[str]] = {}
        for name, question in self.questions.items():
            sources: set[str] = set()
            if question.get("calculation"):
                parsed = expressions.parse(question.calculation)
                sources |= parsed.references() | parsed.last_saved()
            if question.get("choices_from"):
                sources.add(question.choices_from)
            select = self.questions.get(name.removesuffix("_other"))
            if name.endswith("_other") and select is not None and select.type in SELECTS:
                sources.add(select.name)  # what the person picked instead of a choice
            if question.type in ("text", "string"):
                sources |= self._specified_selects(question)
            if sources:
                found[name] = frozenset(sources)
        return found

    def _specified_selects(self, question: Question) -> set[str]:
        """The selects whose 'other' choice a text question specifies, whatever its name:
        shown when `selected(${nat}, 'other')` or `${nat} = '96'` holds, 96 being a choice
        labelled "Other (specify)" or named like 'other'."""
        relevant = question.get("relevant") or ""
        tests = [(m[1] or m[2], m[3]) for m in _CHOICE_TESTS.finditer(relevant)]
        tests += [(m[2], m[1]) for m in _CHOICE_TESTS_REVERSED.finditer(relevant)]
        found = set()
        for select, code in tests:
            used = self.questions.get(select)
            if used is not None and used.type in SELECTS:
                if any(str(c.get("name")) == code and _is_other(c) for c in self.choices(used)):
                    found.add(used.name)
        return found

    @cached_property
    def derived_roles(self) -> dict[str, tuple[str, tuple[str, ...]]]:
        """The disclosure role a question without one of its own takes from the key and
        sensitive questions its value is taken from (through other calculations too), and
        those questions: an answer copied or computed from a key is a key, from a sensitive
        answer sensitive, from both WITHHELD. A repeat whose count it tells is among them,
        by the repeat's name, a key (counted_repeats)."""
        return {
            name: found
            for name, found in self._roles_taken.items()
            if not self.questions[name].get("disclosure")
        }

    @cached_property
    def role_conflicts(self) -> dict[str, tuple[str, tuple[str, ...]]]:
        """The questions whose own role is not the one they take from what their value is
        taken from (`birth_year = 2026 - ${age}` marked sensitive, age key), with their own
        role and those questions: WITHHELD, as either role alone would release the other's
        answer unprotected. A role of its own can confirm a derived role, never weaken it."""
        return {
            name: (question.disclosure, origins)
            for name, (role, origins) in self._roles_taken.items()
            if (question := self.questions[name]).get("disclosure") and role != question.disclosure
        }

    @cached_property
    def _roles_taken(self) -> dict[str, tuple[str, tuple[str, ...]]]:
        """Every question's role taken from what its value is taken from, and those questions
        (and repeats, see counted_repeats)."""
        found = {}
        for name, question in self.questions.items():
            if not question.holds_value:
                continue
            origins = self._disclosure_origins(name, {name})
            roles = {self.origin_role(origin) for origin in origins}
            if roles:
                role = roles.pop() if len(roles) == 1 else WITHHELD
                found[name] = (role, tuple(sorted(origins)))
        return found

    def origin_role(self, origin: str) -> str:
        """The role a question takes from one of its origins (derived_roles): the origin's
        own, or the repeat count's for a repeat counted."""
        return REPEAT_COUNT_ROLE if origin in self.repeats else self.questions[origin].disclosure

    @cached_property
    def counted_repeats(self) -> dict[str, frozenset[str]]:
        """The repeats whose count each question's value tells, even where it reads no
        answer: named in its calculation (`count(${members})`; indexed-repeat(${age},
        ${members}, 5) is empty when there are fewer), one of their questions read from
        outside them, or a top-level repeat's repeat_count computed from it
        (_count_setters). Read from outside its repeat, a question is all its instances:
        count(), join(), sum(), max() of them tell how many there are (a sum of a 1 per
        member is the count, the largest position() too), and which aggregate does
        cannot be told from the form, so each reads the repeat as a whole."""
        found: dict[str, set[str]] = {}
        for name, question in self.questions.items():
            named = self.value_sources.get(name, frozenset()) & self.repeats.keys()
            calculation = question.get("calculation")
            read = {
                repeat
                for field in (expressions.parse(calculation).references() if calculation else ())
                if (used := self.questions.get(field)) is not None
                for repeat in used.lineage
                if repeat not in question.lineage
            }
            if named or read:
                found[name] = set(named) | read
        for repeat, names in self._count_setters.items():
            for name in names:
                found.setdefault(name, set()).add(repeat)
        return {name: frozenset(repeats) for name, repeats in found.items()}

    @cached_property
    def _count_setters(self) -> dict[str, frozenset[str]]:
        """Per top-level repeat, the questions its repeat_count is computed from (directly
        or through calculations): `${hh_n}` is the number of members, a key of every
        release. Not where one of them is marked sensitive: that count is not released
        (withheld_counts) and the answer keeps its own role."""
        found = {}
        for section in self.sections:
            expression = section.get("repeat_count")
            if not section.get("repeat") or not expression or section.get("within"):
                continue
            names = self._computed_from(expressions.parse(expression).references())
            if not any(self.questions[n].get("disclosure") == "sensitive" for n in names):
                found[section["name"]] = names
        return found

    def _computed_from(self, names) -> frozenset[str]:
        """The questions `names` are, and those their values are taken from, at any depth."""
        found: set[str] = set()
        pending = [n for n in names if n in self.questions]
        while pending:
            name = pending.pop()
            if name not in found:
                found.add(name)
                pending += [s for s in self.value_sources.get(name, ()) if s in self.questions]
        return frozenset(found)

    def _disclosure_origins(self, name: str, seen: set[str]) -> set[str]:
        """The questions with a role of their own that `name`'s value is taken from, and the
        repeats it counts: through those questions too, as their own role cannot weaken
        what they are taken from either."""
        found: set[str] = set(self.counted_repeats.get(name, ()))
        for source in self.value_sources.get(name, ()):
            used = self.questions.get(source)
            if source in seen or used is None:
                continue
            seen.add(source)
            if used.get("disclosure"):
                found.add(source)
            found |= self._disclosure_origins(source, seen)
        return found

    @cached_property
    def withheld_counts(self) -> dict[str, tuple[str, ...]]:
        """The repeats whose `repeat_count` reads a sensitive answer (or one never released),
        directly or through calculations, and those answers: the number of instances would
        release that answer as a key (`repeat_count` = how many incidents, sensitive), so
        neither the count nor the repeat's rows are released (sync_server.disclosure)."""
        found = {}
        for section in self.sections:
            expression = section.get("repeat_count")
            if not section.get("repeat") or not expression:
                continue
            origins: set[str] = set()
            for name in expressions.parse(expression).references() & self.questions.keys():
                origins |= {name} | self._disclosure_origins(name, {name})
            telling = {
                origin
                for origin in origins
                if self.disclosure_roles.get(origin) in ("sensitive", WITHHELD)
            }
            if telling:
                found[section["name"]] = tuple(sorted(telling))
        return found

    @cached_property
    def disclosure_roles(self) -> dict[str, str]:
        """Every question's role in the central server's releases, its own or derived, and
        WITHHELD where the two conflict: both apps read roles here (sync_server.disclosure,
        last_saved_problem)."""
        own = {n: q.disclosure for n, q in self.questions.items() if q.get("disclosure")}
        derived = {name: role for name, (role, _) in self.derived_roles.items()}
        return own | derived | dict.fromkeys(self.role_conflicts, WITHHELD)

    @cached_property
    def _sections_by_name(self) -> dict[str, dict]:
        return {s["name"]: s for s in self.sections}

    def section(self, name: str) -> dict:
        """The section (or repeat) called `name`."""
        return self._sections_by_name[name]

    @cached_property
    def repeats(self) -> dict[str, list[Question]]:
        """Each repeat's questions, by the repeat's name (where its instances are stored)."""
        return {
            s["name"]: [self.questions[q["name"]] for q in s["questions"]]
            for s in self.sections
            if s.get("repeat")
        }

    @cached_property
    def lineages(self) -> dict[str, tuple[str, ...]]:
        """Each repeat's chain of repeats (itself last) and each repeated question's (its
        repeat's), outermost first: what `${name}` resolves through (repeats.Scope)."""
        chains = repeat_lineages(self.sections)
        found = dict(chains)
        for name, question in self.questions.items():
            if question.repeat is not None:
                found[name] = chains[question.repeat]
        return found

    def lineage(self, name: str | None) -> tuple[str, ...]:
        """The repeats a question or repeat is in, outermost first; () when asked once."""
        return self.lineages.get(name, ()) if name is not None else ()

    @cached_property
    def children(self) -> dict[str | None, list[str]]:
        """The repeats directly inside each repeat (None: those not inside any)."""
        found: dict[str | None, list[str]] = {}
        for section in self.sections:
            if section.get("repeat"):
                found.setdefault(section.get("within"), []).append(section["name"])
        return found

    def is_nested(self, index: int) -> bool:
        """Whether the section is a repeat inside another (drawn inside its instances, never
        a page of its own)."""
        return bool(self.sections[index].get("within"))

    @cached_property
    def top_questions(self) -> dict[str, Question]:
        """The questions asked once per record."""
        return {name: q for name, q in self.questions.items() if q.repeat is None}

    @cached_property
    def metadata(self) -> dict[str, dict]:
        """The record metadata the form asks for (start, deviceid...), by name."""
        return {item["name"]: item for item in self.data.get("metadata", [])}

    def section_questions(self, index: int) -> list[Question]:
        return [self.questions[q["name"]] for q in self.sections[index]["questions"]]

    @cached_property
    def pulldata(self) -> dict[str, list[dict[str, str]]]:
        """The rows pulldata('fruits', ...) looks in: fruits.csv's rows as column → text,
        by the file's name without `.csv` (expressions.Context.data)."""
        return {
            name[: -len(".csv")]: [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
            for name, rows in self.data.get("data", {}).items()
            if name.endswith(".csv")
        }

    @cached_property
    def pulldata_files(self) -> dict[str, list[list[str]]]:
        """The CSV files pulldata() reads, as a page carries them (an xml-external's file
        travels with the lists instance() reads: instance_lists)."""
        return {n: rows for n, rows in self.data.get("data", {}).items() if n.endswith(".csv")}

    @cached_property
    def instances(self) -> dict[str, list[dict]]:
        """What instance('list')/root/item sees: each choice list's items as name, label (in
        the form's default language, as ODK's list has it) and the list's other columns
        (expressions.Context.instances)."""
        return (
            {
                name: [
                    {
                        **choice.get("data", {}),
                        "name": choice["name"],
                        "label": self.text(choice.get("label") or {}, self.default_language),
                    }
                    for choice in choices
                ]
                for name, choices in self.data.get("choices", {}).items()
            }
            | {  # an xml-external's items, their child elements as columns
                name: [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]
                for name, rows in xml_instances(self.data).items()
            }
        )

    @cached_property
    def instance_lists(self) -> dict[str, list[dict]]:
        """The lists the form's expressions read with instance(): what a page carries."""
        used = {
            name
            for _where, source, _parser in form_expressions(self.data)
            for name in instance_names(source)
        }
        return {name: items for name, items in self.instances.items() if name in used}

    @cached_property
    def last_saved_names(self) -> frozenset[str]:
        """The questions the form's expressions read as ${last-saved#name}: all a page
        carries of the enumerator's last record (see records.last_saved)."""
        return frozenset(
            name
            for _where, source, parser in form_expressions(self.data)
            for name in parser(source).last_saved()
        )

    @cached_property
    def _boundaries(self) -> dict[str, list]:
        return {
            name: locations.boundary_features(geojson)
            for name, geojson in self.data.get("boundaries", {}).items()
        }

    def boundaries(self, file: str | None = None) -> list:
        """The areas of a boundaries file (locations.boundary_features), the form's only
        one when `file` is not named."""
        if file is None:
            return next(iter(self._boundaries.values()), [])
        return self._boundaries.get(file, [])

    def location_previews(self, answers: dict) -> list[tuple]:
        """What each answered location leaves the laptop as (anonymizer.location_previews)."""
        from .anonymizer import location_previews

        return location_previews(self, answers)

    @cached_property
    def has_media(self) -> bool:
        """Whether a page of this form may post a file (and so posts multipart/form-data)."""
        return any(q.type in MEDIA_TYPES for q in self.questions.values())

    def max_pixels(self, question: Question) -> int:
        """A photo's longest side once the phone has made it smaller."""
        return int(question.get("max_pixels") or DEFAULT_MAX_PIXELS)

    def media_previews(self, answers: dict) -> list[tuple]:
        """(question, stored name, whether the file leaves the laptop) of each answered
        photo, recording or file, those in repeats included: what the preview page shows."""
        from . import repeats
        from .attachments import leaves

        found = []
        for name, question in self.questions.items():
            if question.type not in MEDIA_TYPES:
                continue
            for scope in repeats.scopes(self, answers, question.repeat):
                value = scope.get(name) if isinstance(scope, dict) else None
                if value:
                    found.append((question, value, leaves(question, self)))
        return found

    def prompts(self, item, locale: str) -> list[tuple[str, str]]:
        """(kind, address name `<hash>.<ext>`) of a question's or a choice's prompts in
        `locale` (with the labels' fallback), those whose file came with the form only."""
        media, files = item.get("media") or {}, self.data.get("media_files") or {}
        found = []
        for kind in PROMPT_KINDS:
            name = self.text(media.get(kind), locale)
            if name in files:
                extension = name.rsplit(".", 1)[-1].lower()
                found.append((kind, f"{files[name][:PROMPT_HASH_CHARS]}.{extension}"))
        return found

    @cached_property
    def prompt_hashes(self) -> dict[str, str]:
        """The form's prompt files by the start of their SHA-256 (PROMPT_HASH_CHARS), as
        their addresses carry it: hash → file name."""
        files = self.data.get("media_files") or {}
        return {sha[:PROMPT_HASH_CHARS]: name for name, sha in files.items()}

    def choices(self, question: Question) -> list[dict]:
        return self.data["choices"].get(question.get("choices"), [])

    def choice_names(self, question: Question) -> list[str]:
        return [c["name"] for c in self.choices(question)]

    @cached_property
    def identifying_fields(self) -> list[str]:
        return [name for name, q in self.questions.items() if q.get("identifying")]

    @cached_property
    def languages(self) -> set[str]:
        """Locales every translatable text of the form is given in."""
        found: set[str] | None = None
        for text in self.texts():
            found = set(text) if found is None else found & set(text)
        return found or set()

    def texts(self):
        """Every translation map in the form, for completeness checks."""
        yield self.data["title"]
        if "description" in self.data:
            yield self.data["description"]
        for section in self.sections:
            yield section["label"]
            yield from (group["label"] for group in section.get("groups", ()) if "label" in group)
            for q in section["questions"]:
                for key in ("label", "hint", "required_message", "constraint_message"):
                    if key in q:
                        yield q[key]
                yield from (group["label"] for group in q.get("groups", ()) if "label" in group)
        for choice_list in self.data["choices"].values():
            for choice in choice_list:
                yield choice["label"]

    def text(self, value: dict | None, locale: str) -> str:
        """The text in `locale`, falling back to the form's default language."""
        if not value:
            return ""
        base = locale.split("_")[0]
        for code in (locale, base, self.default_language, "en"):
            if value.get(code):
                return value[code]
        return next(iter(value.values()))

    def choice_label(self, question: Question, name: str, locale: str) -> str:
        for choice in self.choices(question):
            if choice["name"] == name:
                return self.text(choice["label"], locale)
        return name

    def to_json(self) -> str:
        return json.dumps(self.data, ensure_ascii=False, sort_keys=True)


class FormError(ValueError):
    """A form definition that does not follow the schema."""

    def __init__(self, messages):
        self.messages = messages
        super().__init__(format_errors(messages))


def format_errors(messages, prefix="") -> str:
    """Flatten marshmallow's nested error dict into readable lines."""
    lines = []
    if isinstance(messages, dict):
        for key, value in messages.items():
            where = f"{prefix}{key}" if key != "_schema" else prefix.rstrip(".")
            lines.append(format_errors(value, f"{where}." if where else ""))
    elif isinstance(messages, list):
        for item in messages:
            lines.append(
                format_errors(item, prefix)
                if not isinstance(item, str)
                else (f"{prefix.rstrip('.')}: {item}" if prefix else item)
            )
    else:
        lines.append(f"{prefix.rstrip('.')}: {messages}")
    return "\n".join(line for line in lines if line)


def load_form(data: Any) -> FormDefinition:
    """Validate a parsed form definition; raise FormError naming every problem."""
    try:
        return FormSchema().load(data)
    except ValidationError as error:
        raise FormError(error.messages) from error


def load_form_json(text: str) -> FormDefinition:
    from .protocol import ProtocolError, loads_json

    try:
        data = loads_json(text)
    except ProtocolError as error:
        raise FormError({"_schema": [f"Not valid JSON: {error.message}"]}) from error
    return load_form(data)


@lru_cache(maxsize=1)
def builtin_forms() -> dict[str, FormDefinition]:
    """The forms shipped inside the package, read and validated once per process."""
    folder = resources.files("collector") / "builtin_forms"
    return {
        form_id: load_form_json((folder / f"{form_id}.json").read_text("utf-8"))
        for form_id in BUILTIN_FORM_IDS
    }
