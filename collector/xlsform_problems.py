"""The catalogue of XLSForm import problems, as pyxform's errors module keeps its own.

Every refusal and warning of ``collector.xlsform`` has an entry here: a key such as
``duplicate_name`` or ``ignored_column/calculation`` (the part before ``/`` is the
problem's code, which scripts and tests match), whether it stops the import, and its
message, translated when it is shown. A problem always says where it is: the sheet, the
1-based spreadsheet row (the header is row 1) and the column header, as a person looking
at the workbook would find it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask_babel import gettext

__all__ = ["CATALOGUE", "ERROR", "WARNING", "Problem", "make", "severity"]

ERROR, WARNING = "error", "warning"


@dataclass(frozen=True)
class Problem:
    """One error or warning, located like a spreadsheet user would look for it."""

    code: str
    message: str
    sheet: str | None = None
    row: int | None = None  # 1-based spreadsheet row; the header is row 1
    column: str | None = None  # the column header, e.g. "constraint" or "label::French (fr)"
    key: str | None = None  # the catalogue entry, e.g. "ignored_column/calculation"

    def __str__(self) -> str:
        return located(self.message, self.sheet, self.row, self.column)


def located(message: str, sheet: str | None, row: int | None, column: str | None) -> str:
    """`survey row 5, column type: message`, with whatever part of the place is known."""
    if sheet and row is not None and column:
        return gettext(
            "%(sheet)s row %(row)s, column %(column)s: %(message)s",
            sheet=sheet,
            row=row,
            column=column,
            message=message,
        )
    if sheet and row is not None:
        return gettext("%(sheet)s row %(row)s: %(message)s", sheet=sheet, row=row, message=message)
    if sheet and column:
        return gettext(
            "%(sheet)s, column %(column)s: %(message)s", sheet=sheet, column=column, message=message
        )
    if sheet:
        return gettext("%(sheet)s: %(message)s", sheet=sheet, message=message)
    if column:
        return gettext("column %(column)s: %(message)s", column=column, message=message)
    return message


Render = Callable[[dict], str]

# key → (severity, message). Each message is a gettext call on a literal, so the catalogs
# extract it; the arguments are named in the message (%(name)s).
CATALOGUE: dict[str, tuple[str, Render]] = {
    # files and sheets
    "not_xlsform": (
        ERROR,
        lambda a: gettext("%(file)s is not an XLSForm: give an .xlsx or .xls file.", **a),
    ),
    "unreadable": (
        ERROR,
        lambda a: gettext("%(file)s could not be read as an Excel workbook.", **a),
    ),
    "too_large/workbook": (
        ERROR,
        lambda a: gettext(
            "%(file)s holds %(size)s MB once unzipped; a form's workbook may hold at most "
            "%(max)s MB: save a copy with only the form's sheets, without pictures or "
            "formatting, and import that.",
            **a,
        ),
    ),
    "too_large/part": (
        ERROR,
        lambda a: gettext(
            "%(file)s holds a sheet or a picture of %(size)s MB once unzipped; a part of a "
            "form's workbook may hold at most %(max)s MB: save a copy with only the form's "
            "sheets, without pictures or formatting, and import that.",
            **a,
        ),
    ),
    "too_large/compression": (
        ERROR,
        lambda a: gettext(
            "%(file)s is compressed %(ratio)s times over, where a workbook is compressed at most "
            "%(max)s times: open it in a spreadsheet program, save it again and import that.",
            **a,
        ),
    ),
    "too_large/survey_rows": (
        ERROR,
        lambda a: gettext(
            "The sheet has more than %(max)s rows, the most a form may have: split the "
            "questionnaire into several forms.",
            **a,
        ),
    ),
    "too_large/rows": (
        ERROR,
        lambda a: gettext(
            "The sheet has more than %(max)s rows, the most it may have: keep only the choice "
            "lists the form uses, and give a long list as a choice file (select_one_from_file "
            "villages.csv).",
            **a,
        ),
    ),
    "unreadable/duplicate_header": (ERROR, lambda a: gettext("%(file)s: %(detail)s.", **a)),
    "unreadable/crash": (
        ERROR,
        lambda a: gettext("The form could not be converted (%(detail)s).", **a),
    ),
    "unknown_file": (
        ERROR,
        lambda a: gettext(
            "%(file)s: only JSON form definitions and XLSForms (.xlsx, .xls) can be imported.", **a
        ),
    ),
    "invalid_form": (
        ERROR,
        lambda a: gettext("%(file)s is not a valid form definition:\n%(detail)s", **a),
    ),
    "missing_sheet": (
        ERROR,
        lambda a: gettext(
            "The workbook has no survey sheet with questions: an XLSForm needs a sheet named "
            "'survey'.",
            **a,
        ),
    ),
    "external_data/sheet": (
        ERROR,
        lambda a: gettext("The %(name)s sheet is not supported yet.", **a),
    ),
    # settings
    "ignored_setting": (
        WARNING,
        lambda a: gettext(
            "The setting '%(header)s' is not used by the collector and is ignored.", **a
        ),
    ),
    "ignored_setting/public_key": (
        WARNING,
        lambda a: gettext(
            "Encryption (public_key) is ignored: records stay on the laptop and are anonymized "
            "before sync instead.",
            **a,
        ),
    ),
    "missing_setting": (
        ERROR,
        lambda a: gettext("Give the form an id: a form_id column on the settings sheet.", **a),
    ),
    "bad_setting/form_id": (
        ERROR,
        lambda a: gettext(
            "'%(value)s' is not a usable form_id: use up to 100 letters, digits, _, - and ., "
            "starting with a letter, a digit or _.",
            **a,
        ),
    ),
    "bad_setting/version": (
        ERROR,
        lambda a: gettext("The version is longer than 40 characters.", **a),
    ),
    "bad_setting/language": (
        ERROR,
        lambda a: gettext("'%(value)s' is not a language: write it like 'English (en)'.", **a),
    ),
    "converted_setting/form_id": (
        WARNING,
        lambda a: gettext(
            "'%(value)s' has spaces, which a form_id cannot hold: the form's id is '%(form_id)s'.",
            **a,
        ),
    ),
    "missing_version": (
        WARNING,
        lambda a: gettext(
            "The settings sheet gives no version: version 1 is used. Give a version so that a "
            "changed form is imported as a new one.",
            **a,
        ),
    ),
    # languages and columns
    "unknown_language": (
        ERROR,
        lambda a: gettext(
            "'%(language)s' is not a language this collector can name: write it with its code, "
            "such as 'label::Français (fr)'.",
            **a,
        ),
    ),
    "language_without_code": (
        WARNING,
        lambda a: gettext(
            "'%(language)s' has no language code the collector knows: its texts are kept as the "
            "form's language '%(code)s', shown with the interface in the form's default "
            "language. Write it with its code, such as 'label::Tetun (tet)', to match an "
            "interface language.",
            **a,
        ),
    ),
    "missing_translation": (
        WARNING,
        lambda a: gettext("No %(language)s text: the %(default)s text is shown instead.", **a),
    ),
    "missing_translation/choices": (
        WARNING,
        lambda a: gettext(
            "The choices sheet has no label column for %(language)s: choices are shown in "
            "%(default)s.",
            **a,
        ),
    ),
    "ignored_column": (
        WARNING,
        lambda a: gettext(
            "The column '%(header)s' is not used by the collector and is ignored.", **a
        ),
    ),
    "ignored_column/bind": (
        WARNING,
        lambda a: gettext(
            "The column '%(header)s' sets an XForm attribute the collector does not use: it is "
            "ignored.",
            **a,
        ),
    ),
    "ignored_column/guidance_hint": (
        WARNING,
        lambda a: gettext(
            "'%(header)s' is ignored: guidance hints are not shown by the collector.", **a
        ),
    ),
    "ignored_column/media": (
        WARNING,
        lambda a: gettext(
            "The '%(header)s' column does not say which kind of prompt it holds, so it is "
            "ignored, as ODK ignores it: name it audio, image, big-image or video, as in "
            "audio::English (en).",
            **a,
        ),
    ),
    # prompts in sound and picture (the audio, image, big-image and video columns)
    "prompt/missing_file": (
        WARNING,
        lambda a: gettext(
            "The prompt file %(file)s was not found: the question is shown without it. Put it "
            "in the same folder as the form, or give it with --media %(file)s.",
            **a,
        ),
    ),
    "prompt/file_name": (
        ERROR,
        lambda a: gettext(
            "'%(file)s' is not a file name such as q1-audio.ogg: letters, digits, spaces, '-', "
            "'_' and '.' only, and no folder.",
            **a,
        ),
    ),
    "prompt/reference": (
        WARNING,
        lambda a: gettext(
            "'%(file)s' names the prompt's file by an answer, which the collector cannot do: "
            "this prompt is ignored and the label is shown without it.",
            **a,
        ),
    ),
    "prompt/matroska": (
        WARNING,
        lambda a: gettext(
            "%(file)s is a Matroska video (.mkv), which many phone browsers cannot play: the "
            "prompt is kept, but an .mp4 or .webm file is safer.",
            **a,
        ),
    ),
    "prompt/file_type": (
        ERROR,
        lambda a: gettext(
            "%(file)s cannot be a %(kind)s prompt: use a sound file (.ogg, .mp3, .m4a, .wav) "
            "for audio, a picture (.jpg, .png, .webp, .gif) for image and big-image, a video "
            "(.mp4, .webm) for video.",
            **a,
        ),
    ),
    "prompt/file_size": (
        ERROR,
        lambda a: gettext(
            "The prompt file %(file)s is larger than %(max)s MB: make it smaller (a shorter "
            "recording, a smaller picture).",
            **a,
        ),
    ),
    "prompt/form_size": (
        ERROR,
        lambda a: gettext(
            "With %(file)s the form's prompt files are larger than %(max)s MB together: every "
            "phone would have to load them. Make them smaller or use fewer.",
            **a,
        ),
    ),
    "prompt/unreadable": (
        ERROR,
        lambda a: gettext("The prompt file %(file)s could not be read (%(detail)s).", **a),
    ),
    # entity lists (the entities sheet and the survey's save_to column)
    "entities/column": (
        ERROR,
        lambda a: gettext(
            "The entities sheet has no column '%(header)s': use list_name, label, entity_id, "
            "create_if and update_if.",
            **a,
        ),
    ),
    "entities/missing_list": (
        ERROR,
        lambda a: gettext("This entity declaration has no list_name.", **a),
    ),
    "entities/bad_list": (
        ERROR,
        lambda a: gettext(
            "'%(name)s' is not a usable entity list name: use letters, digits and _, starting "
            "with a letter, and not two underscores first.",
            **a,
        ),
    ),
    "entities/duplicate_list": (
        ERROR,
        lambda a: gettext(
            "The entity list '%(list)s' is declared twice (first on row %(used)s).", **a
        ),
    ),
    "entities/missing_label": (
        ERROR,
        lambda a: gettext(
            "The entity list '%(list)s' needs a label: the expression that names each new "
            "entity, such as concat(${first_name}, ' ', ${last_name}).",
            **a,
        ),
    ),
    "entities/update_without_id": (
        ERROR,
        lambda a: gettext(
            "update_if needs an entity_id: the expression that gives the id of the entity to "
            "update, such as ${household}.",
            **a,
        ),
    ),
    "entities/create_if_with_id": (
        ERROR,
        lambda a: gettext(
            "With an entity_id, create_if needs an update_if too: each record then creates "
            "an entity or updates one.",
            **a,
        ),
    ),
    "entities/more_lists": (
        WARNING,
        lambda a: gettext(
            "The entity list '%(list)s' is left out: a form saves to one entity list in the "
            "collector ('%(first)s'), so this form's records create and update no '%(list)s' "
            "entities.",
            **a,
        ),
    ),
    "entities/repeat": (
        WARNING,
        lambda a: gettext(
            "The entity list '%(list)s' is left out: it would take one entity from each "
            "instance of a repeat, which the collector does not do yet. The form imports "
            "without it, so its records create and update no entities.",
            **a,
        ),
    ),
    "entities/save_to_left_out": (
        WARNING,
        lambda a: gettext(
            "The '%(header)s' column is left out on this row: the entity list '%(list)s' is "
            "left out (see the entities sheet), so this answer is kept with the record but "
            "saved to no entity.",
            **a,
        ),
    ),
    "entities/save_to_without_list": (
        ERROR,
        lambda a: gettext(
            "save_to needs an entities sheet that declares the entity list the answer is saved to.",
            **a,
        ),
    ),
    "entities/save_to_unknown_list": (
        ERROR,
        lambda a: gettext(
            "The entities sheet declares no entity list '%(list)s' (save_to %(value)s).", **a
        ),
    ),
    "entities/save_to_name": (
        ERROR,
        lambda a: gettext(
            "'%(value)s' is not a usable entity property: use letters, digits and _, starting "
            "with a letter, not two underscores first, and neither name nor label.",
            **a,
        ),
    ),
    "entities/save_to_twice": (
        ERROR,
        lambda a: gettext(
            "The property '%(prop)s' is already saved from row %(used)s: save each property "
            "from one question.",
            **a,
        ),
    ),
    "entities/save_to_group": (
        ERROR,
        lambda a: gettext(
            "A group or a repeat cannot be saved to an entity: put save_to on a question.", **a
        ),
    ),
    "entities/save_to_prefix": (
        ERROR,
        lambda a: gettext(
            "'%(value)s' has more than one '#': write the property, or list#property.", **a
        ),
    ),
    "entities/undeclared_list": (
        WARNING,
        lambda a: gettext(
            "There is no choice file %(file)s and no entity list '%(list)s' on this hub yet: "
            "the question offers the entities of '%(list)s' once a form that declares that "
            "list is imported and its records are finalized, and no choices until then. If "
            "%(file)s is a choice file, put it in the same folder as the form or give it "
            "with --media %(file)s, and import the form again.",
            **a,
        ),
    ),
    "trigger": (
        WARNING,
        lambda a: gettext(
            "The trigger %(trigger)s is kept: the collector computes '%(name)s' again whenever "
            "an answer changes, and keeps the last value.",
            **a,
        ),
    ),
    # choices
    "missing_list_name": (ERROR, lambda a: gettext("This choice has no list_name.", **a)),
    "bad_name/list": (
        ERROR,
        lambda a: gettext(
            "'%(name)s' is not a usable list name: use letters, digits and _, starting with a "
            "letter.",
            **a,
        ),
    ),
    "missing_name/choice": (
        ERROR,
        lambda a: gettext("A choice of the list '%(list)s' has no name.", **a),
    ),
    "bad_name/choice_length": (
        ERROR,
        lambda a: gettext("The choice name '%(name)s…' is longer than 64 characters.", **a),
    ),
    "bad_name/choice_space": (
        ERROR,
        lambda a: gettext(
            "The choice name '%(name)s' has a space, which a select_multiple answer cannot hold.",
            **a,
        ),
    ),
    "duplicate_choice": (
        ERROR,
        lambda a: gettext(
            "The list '%(list)s' already has a choice named '%(name)s' (row %(used)s). Give each "
            "choice its own name, or write allow_choice_duplicates: yes on the settings sheet.",
            **a,
        ),
    ),
    "unknown_list": (
        ERROR,
        lambda a: gettext("There is no choice list named '%(list)s' on the choices sheet.", **a),
    ),
    "unknown_list/no_sheet": (
        ERROR,
        lambda a: gettext(
            "There is no choice list named '%(list)s' on the choices sheet (the workbook has no "
            "choices sheet).",
            **a,
        ),
    ),
    "unknown_list/missing": (
        ERROR,
        lambda a: gettext("'%(type)s' needs a choice list name, such as '%(word)s yes_no'.", **a),
    ),
    # survey rows
    "missing_type": (WARNING, lambda a: gettext("This row has no type and is ignored.", **a)),
    "unknown_type": (ERROR, lambda a: gettext("'%(type)s' is not a question type.", **a)),
    "missing_name": (ERROR, lambda a: gettext("This question has no name.", **a)),
    "missing_name/group": (ERROR, lambda a: gettext("This 'begin %(kind)s' has no name.", **a)),
    "bad_name": (
        ERROR,
        lambda a: gettext(
            "'%(name)s' is not a usable name: use letters, digits, _, - and ., starting with a "
            "letter or _.",
            **a,
        ),
    ),
    "bad_name/instance_key": (
        ERROR,
        lambda a: gettext(
            "The name '%(name)s' is how the collector sends the answer of '%(repeated)s' (row "
            "%(used)s) in instance %(position)s of its repeat: rename one of them.",
            **a,
        ),
    ),
    "duplicate_name": (
        ERROR,
        lambda a: gettext("The name '%(name)s' is already used on row %(used)s.", **a),
    ),
    "duplicate_name/group": (
        WARNING,
        lambda a: gettext(
            "The name '%(name)s' is also used on row %(used)s, in another group: this question "
            "is kept as '%(kept)s', the name its answers have in exports.",
            **a,
        ),
    ),
    "duplicate_name/referenced": (
        ERROR,
        lambda a: gettext(
            "${%(name)s} could mean the question on row %(used)s or the one on row %(other)s "
            "(the same name in two groups): rename one of them.",
            **a,
        ),
    ),
    "duplicate_name/other": (
        ERROR,
        lambda a: gettext(
            "'or_other' needs the name '%(name)s' for its 'specify' question, but row %(used)s "
            "uses it.",
            **a,
        ),
    ),
    "missing_label": (ERROR, lambda a: gettext("The question '%(name)s' has no label.", **a)),
    "missing_label/unnamed": (ERROR, lambda a: gettext("This question has no label.", **a)),
    "missing_label/named": (
        WARNING,
        lambda a: gettext(
            "The question '%(name)s' has no label, hint or prompt: its name is shown as its "
            "label. Give it a label.",
            **a,
        ),
    ),
    "label_reference": (
        WARNING,
        lambda a: gettext(
            "The collector shows labels as written: a ${name} in a label is not replaced by the "
            "answer.",
            **a,
        ),
    ),
    "ignored_type/metadata": (
        WARNING,
        lambda a: gettext(
            "'%(type)s' is ignored: the collector keeps its own record metadata (when, on which "
            "device, by whom).",
            **a,
        ),
    ),
    "bad_name/audit": (
        ERROR,
        lambda a: gettext(
            "An audit is always named 'audit' (ODK's tools take no other name): leave the name "
            "blank or write audit, not '%(name)s'.",
            **a,
        ),
    ),
    "audit_location": (
        WARNING,
        lambda a: gettext(
            "'%(part)s' is ignored: it would track the enumerator's location in the background "
            "during the interview, and the collector never does. The audit is recorded without "
            "location.",
            **a,
        ),
    ),
    "ignored_column/audit_changes": (
        WARNING,
        lambda a: gettext(
            "'%(part)s' is ignored: the audit keeps no earlier answers and no name of who "
            "filled the form (they may hold names), only how long each section took.",
            **a,
        ),
    ),
    "ignored_column/audit_parameter": (
        WARNING,
        lambda a: gettext(
            "The audit parameter '%(part)s' is ignored: the collector records only how long "
            "each section took.",
            **a,
        ),
    ),
    "unsupported_type/background": (
        ERROR,
        lambda a: gettext("Background recording (%(type)s) is not supported.", **a),
    ),
    "unsupported_type/rank": (
        ERROR,
        lambda a: gettext(
            "A rank question puts the choices of a list from the choices sheet in order: "
            "its choices cannot come from a repeat's answers nor have an 'other'.",
            **a,
        ),
    ),
    "unsupported_type/range_decimal": (
        ERROR,
        lambda a: gettext("Decimal ranges are not supported yet.", **a),
    ),
    "external_data/file_type": (
        ERROR,
        lambda a: gettext(
            "Choices from %(file)s are not supported yet: give them as a .csv file with the "
            "columns name and label.",
            **a,
        ),
    ),
    "external_data/file_name": (
        ERROR,
        lambda a: gettext(
            "'%(file)s' is not a usable choice file: give the name of a .csv file in the same "
            "folder as the form, without spaces or folders.",
            **a,
        ),
    ),
    "external_data/missing_file": (
        ERROR,
        lambda a: gettext(
            "The choice file %(file)s was not found: put it in the same folder as the form, or "
            "give it with --media %(file)s.",
            **a,
        ),
    ),
    "external_data/list_name": (
        ERROR,
        lambda a: gettext(
            "The choices sheet has a list named '%(name)s' too, and instance('%(name)s') can "
            "read only one of them: give the xml-external another name.",
            **a,
        ),
    ),
    "external_data/unreadable_xml": (
        ERROR,
        lambda a: gettext(
            "The file %(file)s could not be read as ODK's external data, a <root> element "
            "holding <item> elements, without a DOCTYPE (%(detail)s).",
            **a,
        ),
    ),
    "external_data/unreadable_file": (
        ERROR,
        lambda a: gettext(
            "The choice file %(file)s could not be read as a UTF-8 CSV file (%(detail)s).", **a
        ),
    ),
    "external_data/empty_file": (
        ERROR,
        lambda a: gettext("The choice file %(file)s has no choices.", **a),
    ),
    "external_data/file_columns": (
        ERROR,
        lambda a: gettext(
            "A choice file needs a name column (and a label column, or label::Language (code) "
            "columns), as ODK reads it.",
            **a,
        ),
    ),
    "external_data/file_size": (
        ERROR,
        lambda a: gettext("A choice file can hold at most %(max)s choices.", **a),
    ),
    "external_data/parameters": (
        ERROR,
        lambda a: gettext(
            "Choosing other columns of a choice file (%(value)s) is not supported yet: name its "
            "columns name and label.",
            **a,
        ),
    ),
    "unknown_list/file": (
        ERROR,
        lambda a: gettext(
            "'%(type)s' needs the name of a choice file, such as '%(word)s places.csv'.", **a
        ),
    ),
    "unknown_list/external": (
        ERROR,
        lambda a: gettext(
            "There is no choice list named '%(list)s' on the external_choices sheet.", **a
        ),
    ),
    "unknown_list/no_external_sheet": (
        ERROR,
        lambda a: gettext(
            "There is no choice list named '%(list)s' on the external_choices sheet (the workbook "
            "has no external_choices sheet).",
            **a,
        ),
    ),
    "external_data/type": (
        ERROR,
        lambda a: gettext("'%(type)s' (external data) is not supported yet.", **a),
    ),
    "external_data/pulldata_literal": (
        ERROR,
        lambda a: gettext(
            "pulldata() needs the file and both columns written in quotes, as in "
            "pulldata('fruits', 'price', 'name', ${fruit}).",
            **a,
        ),
    ),
    "external_data/pulldata_name": (
        ERROR,
        lambda a: gettext(
            "'%(file)s' is not a usable data file for pulldata(): name a .csv file in the same "
            "folder as the form, without .csv, spaces or folders.",
            **a,
        ),
    ),
    "external_data/pulldata_file": (
        ERROR,
        lambda a: gettext(
            "The data file %(file)s that pulldata() reads was not found: put it in the same "
            "folder as the form, or give it with --media %(file)s.",
            **a,
        ),
    ),
    "external_data/pulldata_size": (
        ERROR,
        lambda a: gettext(
            "The data file %(file)s is too large: a form's data files may hold %(max)s kB in "
            "all, as every page of the form carries them.",
            **a,
        ),
    ),
    "external_data/pulldata_header": (
        ERROR,
        lambda a: gettext(
            "The data file %(file)s needs a first row that names each of its columns once.", **a
        ),
    ),
    "external_data/pulldata_unreadable": (
        ERROR,
        lambda a: gettext(
            "The data file %(file)s could not be read as a UTF-8 CSV file (%(detail)s).", **a
        ),
    ),
    "external_data/pulldata_column": (
        ERROR,
        lambda a: gettext(
            "The data file %(file)s has no column '%(missing)s' (its columns: %(columns)s).", **a
        ),
    ),
    "converted_type/acknowledge": (
        WARNING,
        lambda a: gettext(
            "'acknowledge' becomes a single-choice question with one answer, 'OK'.", **a
        ),
    ),
    "converted_type/barcode": (
        WARNING,
        lambda a: gettext(
            "A barcode question becomes a text question: the code is typed, not scanned.", **a
        ),
    ),
    "converted_type/hidden": (
        WARNING,
        lambda a: gettext(
            "A hidden question becomes a calculation that keeps its default, as ODK keeps it.", **a
        ),
    ),
    "converted_type/phone_number": (
        WARNING,
        lambda a: gettext(
            "A 'phone number' question becomes a text typed with the number keys, and it "
            "identifies a person: it stays on the laptop unless its privacy column says "
            "otherwise.",
            **a,
        ),
    ),
    "bad_value/yes_no": (
        ERROR,
        lambda a: gettext(
            "'%(value)s' should be yes or no.",
            **a,
        ),
    ),
    "bad_value/range_number": (
        ERROR,
        lambda a: gettext("'%(part)s': range parameters must be numbers, such as 1 or 0.5.", **a),
    ),
    "bad_value/range_decimals": (
        ERROR,
        lambda a: gettext(
            "'%(part)s': a range's buttons show numbers with up to three decimals, such as "
            "0.125: use a decimal question for finer values.",
            **a,
        ),
    ),
    "bad_value/range_size": (
        ERROR,
        lambda a: gettext(
            "A range offers at most %(max)s values, one button each: use a larger step, or "
            "an integer or decimal question with a constraint.",
            **a,
        ),
    ),
    "bad_value/range": (
        ERROR,
        lambda a: gettext(
            "A range needs start below end and a step above 0 (got start=%(start)s "
            "end=%(end)s step=%(step)s).",
            **a,
        ),
    ),
    "bad_default": (
        WARNING,
        lambda a: gettext(
            "'%(value)s' is not a %(type)s answer: the default is ignored and the question "
            "starts empty.",
            **a,
        ),
    ),
    "bad_privacy": (ERROR, lambda a: a["detail"]),  # the schema's own (translated) words
    "bad_privacy/identifying": (
        ERROR,
        lambda a: gettext(
            "An identifying field must be dropped or pseudonymized: write drop, pseudonymize or "
            "pseudonymize:phone in the privacy column.",
            **a,
        ),
    ),
    "bad_disclosure": (
        ERROR,
        lambda a: gettext("'%(value)s' is not a disclosure value: use %(allowed)s.", **a),
    ),
    "bad_disclosure/dotted_name": (
        ERROR,
        lambda a: gettext(
            "A key or sensitive question's name cannot hold a '.' yet: rename '%(name)s' (such "
            "as with _ for the dot).",
            **a,
        ),
    ),
    "bad_hierarchy": (
        ERROR,
        lambda a: gettext("'%(value)s' is not a hierarchy value: use %(allowed)s.", **a),
    ),
    "bad_hierarchy/not_key": (
        ERROR,
        lambda a: gettext("Only a key variable (disclosure: key) has a hierarchy.", **a),
    ),
    "missing_calculation": (
        ERROR,
        lambda a: gettext("A calculate question needs a calculation.", **a),
    ),
    "ignored_column/calculation": (
        WARNING,
        lambda a: gettext(
            "A calculation on a question that is not 'calculate' (a dynamic default) is ignored: "
            "the question starts empty.",
            **a,
        ),
    ),
    "ignored_column/repeat_count": (
        WARNING,
        lambda a: gettext(
            "A repeat_count only applies to a 'begin repeat' row and is ignored here.", **a
        ),
    ),
    "ignored_column/choice_filter": (
        WARNING,
        lambda a: gettext(
            "A choice filter only applies to select questions and is ignored here.", **a
        ),
    ),
    "ignored_column/default": (
        WARNING,
        lambda a: gettext(
            "The default '%(value)s' is an expression; only fixed defaults are supported, so it "
            "is ignored.",
            **a,
        ),
    ),
    "ignored_column/parameters": (
        WARNING,
        lambda a: gettext("The parameters '%(value)s' are ignored for a %(type)s question.", **a),
    ),
    "ignored_column/location_parameter": (
        WARNING,
        lambda a: gettext(
            "The location parameter '%(part)s' is ignored (use capture-accuracy= and "
            "warning-accuracy=, in metres).",
            **a,
        ),
    ),
    "ignored_column/image_parameter": (
        WARNING,
        lambda a: gettext(
            "The photo parameter '%(part)s' is ignored (use max-pixels=, the longest side in "
            "pixels).",
            **a,
        ),
    ),
    "bad_value/max_pixels": (
        ERROR,
        lambda a: gettext(
            "'%(part)s': max-pixels is a whole number of pixels from %(low)s to %(high)s.", **a
        ),
    ),
    "bad_value/accuracy": (
        ERROR,
        lambda a: gettext("'%(part)s': an accuracy is a number of metres above 0.", **a),
    ),
    "external_data/boundaries_file": (
        ERROR,
        lambda a: gettext(
            "generalize:area needs the area boundaries as a GeoJSON file (%(file)s): put one "
            "in the same folder as the form, or give it with --media.",
            **a,
        ),
    ),
    "external_data/boundaries": (
        ERROR,
        lambda a: gettext("The boundaries file %(file)s cannot be used: %(detail)s", **a),
    ),
    "ignored_column/select_parameter": (
        WARNING,
        lambda a: gettext(
            "The parameter '%(part)s' is ignored for a select question (use randomize=true and, "
            "to fix the order, seed=${question}).",
            **a,
        ),
    ),
    "bad_value/randomize": (
        ERROR,
        lambda a: gettext("randomize takes true or false, not '%(value)s'.", **a),
    ),
    "bad_value/seed": (
        ERROR,
        lambda a: gettext(
            "The seed '%(value)s' is not an expression this form can compute: %(detail)s", **a
        ),
    ),
    "ignored_column/range_parameter": (
        WARNING,
        lambda a: gettext(
            "The range parameter '%(part)s' is ignored (use start=, end= and step=).", **a
        ),
    ),
    "ignored_appearance/one": (
        WARNING,
        lambda a: gettext("Only one appearance is used: '%(kept)s'; '%(word)s' is ignored.", **a),
    ),
    "ignored_appearance/type": (
        WARNING,
        lambda a: gettext(
            "The appearance '%(word)s' has no effect on a %(type)s question and is ignored.", **a
        ),
    ),
    "ignored_appearance": (
        WARNING,
        lambda a: gettext(
            "The appearance '%(word)s' is not supported and is ignored (supported: minimal, "
            "horizontal, horizontal-compact, likert, quick, multiline, numbers, hidden-answer, "
            "month-year, year, no-calendar, thousands-sep, and those of photos and maps).",
            **a,
        ),
    ),
    "ignored_appearance/group": (
        WARNING,
        lambda a: gettext(
            "The group appearance '%(value)s' is ignored: each group is one page.", **a
        ),
    ),
    # groups, repeats and loops
    "unbalanced_group/open": (
        ERROR,
        lambda a: gettext("'begin %(kind)s' %(name)s has no matching 'end %(kind)s'.", **a),
    ),
    "unbalanced_group/stray": (
        ERROR,
        lambda a: gettext("'end %(kind)s' without a 'begin %(kind)s' above it.", **a),
    ),
    "unbalanced_group/crossed": (
        ERROR,
        lambda a: gettext("'end %(kind)s' closes a 'begin %(other)s' (row %(used)s).", **a),
    ),
    "nested_repeat": (
        ERROR,
        lambda a: gettext(
            "The repeat '%(name)s' is inside the repeat '%(outer)s' (row %(used)s), itself "
            "inside others: repeats can sit at most %(max)s deep inside each other.",
            **a,
        ),
    ),
    "split_group": (
        WARNING,
        lambda a: gettext(
            "The group '%(name)s' holds a repeat: its questions after the repeat are on a page "
            "of their own, after the repeat's.",
            **a,
        ),
    ),
    "repeat_count": (
        WARNING,
        lambda a: gettext(
            "A repeat has at most %(max)s instances in the collector: a repeat_count of "
            "%(value)s gives %(max)s.",
            **a,
        ),
    ),
    "empty_repeat": (
        ERROR,
        lambda a: gettext(
            "The repeat '%(name)s' has no questions the collector can ask: give it at least one.",
            **a,
        ),
    ),
    "empty_group": (
        WARNING,
        lambda a: gettext("The group '%(name)s' has no supported questions and is left out.", **a),
    ),
    "empty_form": (
        ERROR,
        lambda a: gettext("The survey sheet has no question the collector can show.", **a),
    ),
    "metadata_only": (
        WARNING,
        lambda a: gettext(
            "The survey sheet has no question to show: each record holds only its metadata "
            "(%(names)s), and is finalized from a page with the form's title.",
            **a,
        ),
    ),
    "loop": (
        WARNING,
        lambda a: gettext(
            "The loop over '%(list)s' becomes one group per choice (%(count)s), as ODK shows it: "
            "the question '%(name)s' of the choice '%(choice)s' is called '%(renamed)s'.",
            **a,
        ),
    ),
    "unknown_list/loop": (
        ERROR,
        lambda a: gettext(
            "'begin loop' needs a choice list of the choices sheet, such as 'begin loop over "
            "animals'.",
            **a,
        ),
    ),
    # expressions
    "bad_expression": (
        ERROR,
        lambda a: gettext("%(detail)s (at character %(position)s of '%(source)s')", **a),
    ),
    "ignored_column/wq_function": (
        WARNING,
        lambda a: gettext(
            "This %(header)s is ignored: %(function)s() is an extension function of the wq "
            "framework, not an XPath or ODK function, so the collector cannot compute it.",
            **a,
        ),
    ),
    "ignored_column/extension_function": (
        WARNING,
        lambda a: gettext(
            "This %(header)s is ignored: %(function)s() is an extension function of another "
            "framework (the '%(prefix)s' namespace), not an XPath or ODK function, so the "
            "collector cannot compute it.",
            **a,
        ),
    ),
    "unknown_reference": (
        ERROR,
        lambda a: gettext(
            "The expression refers to '${%(name)s}', which is not a question of this form.", **a
        ),
    ),
    "last_saved/private": (
        ERROR,
        lambda a: gettext(
            "'${last-saved#%(name)s}' would show an earlier record's answer in the next "
            "one, and '%(name)s' is marked identifying or sensitive: such an answer is never "
            "carried into another record.",
            **a,
        ),
    ),
    "last_saved/rule": (
        ERROR,
        lambda a: gettext(
            "'${last-saved#%(name)s}' would copy an earlier record's answer into the next one, "
            "and the privacy rules let '%(name)s' leave the laptop only dropped, coarsened or "
            "pseudonymized: the copy would outlive those rules, so it is never made.",
            **a,
        ),
    ),
    # the schema's last word
    "schema": (ERROR, lambda a: a["detail"]),
}


def severity(key: str) -> str:
    """ERROR (the form is refused) or WARNING (imported, with a note)."""
    return CATALOGUE[key][0]


def make(
    key: str, sheet: str | None = None, row: int | None = None, column: str | None = None, **args
) -> Problem:
    """The problem `key` of the catalogue, its message filled with `args` and translated."""
    _, render = CATALOGUE[key]
    return Problem(key.partition("/")[0], render(args), sheet, row, column, key)
