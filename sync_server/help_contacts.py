"""Help contacts page: the admins list where people can get help after a report (legal aid,
protection, health, psychosocial support), per area or for every area.

The hubs get them with the form list at their next sync (`help_contacts`,
docs/protocol.md) and show them on the page after a report: those of the report's area,
then those for every area, then the hub's own `referral_contacts`. One definition of a
contact for both apps: collector.help_contacts. Every change is audited by the store.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from datetime import timedelta
from pathlib import Path

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import get_locale, gettext
from marshmallow import ValidationError

from collector import help_contacts as contacts
from collector.clock import parse_iso, wall_clock
from collector.forms import builtin_forms

from .auth import role_required
from .labels import language_name
from .store import get_store

bp = Blueprint("help_contacts", __name__, url_prefix="/help-contacts")
# The order in which a refused contact's problems are told: the first one is shown.
FIELDS = ("name", "area", "phone", "description", "hours", "languages")


def problem_message(field: str) -> str:
    """What to fix in one field of a refused contact, in plain words."""
    return {
        "name": gettext(
            "Give the contact's name, on one line, of at most %(max)s characters.",
            max=contacts.MAX_NAME,
        ),
        "area": gettext(
            "An area code is the code of an area choice in the form (such as NR01), of at "
            "most %(max)s characters; leave it empty for every area.",
            max=contacts.MAX_AREA,
        ),
        "phone": gettext(
            "A phone number holds digits (at least 3), spaces, brackets, dots or dashes "
            "and may start with +; at most %(max)s characters.",
            max=contacts.MAX_PHONE,
        ),
        "description": gettext(
            "The description can have at most %(max)s characters.", max=contacts.MAX_DESCRIPTION
        ),
        "hours": gettext(
            "Give the opening hours on one line, of at most %(max)s characters.",
            max=contacts.MAX_HOURS,
        ),
        "languages": gettext(
            "Give at most %(max)s language codes, such as sw, fr or ar, separated by commas.",
            max=contacts.MAX_LANGUAGES,
        ),
    }[field]


def from_fields(values) -> dict:
    """A contact to check from its fields as typed (the page's form, the command line, a
    row of a CSV file): languages split at commas or spaces."""
    languages = [code for code in re.split(r"[\s,;]+", values.get("languages") or "") if code]
    return {**{key: values.get(key) or "" for key in FIELDS[:-1]}, "languages": languages}


def posted() -> dict:
    """The page's form as a contact to check."""
    return from_fields(request.form)


def wrong_fields(form: dict) -> tuple[dict | None, list[str]]:
    """(the contact, []) when it is good; (None, the fields to fix, in FIELDS' order)."""
    try:
        return contacts.SCHEMA.load(form), []
    except ValidationError as error:
        wrong = error.normalized_messages()
        return None, [f for f in FIELDS if f in wrong]


def checked(form: dict) -> tuple[dict | None, str | None]:
    """(the contact, None) when it is good; (None, what to fix) otherwise."""
    contact, wrong = wrong_fields(form)
    return (contact, None) if not wrong else (None, problem_message(wrong[0]))


def known_areas() -> list[dict]:
    """The area codes of the forms the laptops use now, with their labels: offered when
    typing an area (any code may be typed: a form published later may use it)."""
    from .forms import current_version

    locale = str(get_locale())
    form_ids = set(builtin_forms()) | {f["form_id"] for f in get_store().published_forms()}
    areas: dict[str, str] = {}
    for form_id in sorted(form_ids):
        form = current_version(form_id)
        question = contacts.area_question(form) if form is not None else None
        if form is None or question is None:
            continue
        for choice in form.choices(question):
            areas.setdefault(choice["name"], form.text(choice["label"], locale))
            if choice.get("parent"):
                areas.setdefault(choice["parent"], "")
    return [{"code": code, "label": label} for code, label in sorted(areas.items())]


def page(status: int = 200, error: str | None = None, form: dict | None = None):
    listed = get_store().help_contacts()
    areas = known_areas()
    return render_template(
        "help_contacts.html",
        contacts=listed,
        areas=areas,
        area_labels={area["code"]: area["label"] for area in areas},
        error=error,
        form=form or {},
        full=len(listed) >= contacts.MAX_CONTACTS,
        languages_shown=languages_shown,
    ), status


def languages_shown(codes: list[str]) -> str:
    return ", ".join(language_name(code) for code in codes)


def form_values(contact: dict) -> dict:
    """A contact as the form's fields show it."""
    return dict(contact, languages=", ".join(contact.get("languages") or []))


@bp.route("")
@role_required("admin")
def index():
    return page()


@bp.route("", methods=("POST",))
@role_required("admin")
def add():
    form = posted()
    contact, problem = checked(form)
    if problem:
        return page(400, problem, form_values(form))
    if len(get_store().help_contacts()) >= contacts.MAX_CONTACTS:
        return page(
            400,
            gettext(
                "There can be at most %(max)s help contacts: remove one first.",
                max=contacts.MAX_CONTACTS,
            ),
            form_values(form),
        )
    assert contact is not None  # checked() gives one or a problem
    get_store().add_help_contact(contact, g.user["name"])
    flash(gettext("%(name)s is added. Hubs get it at their next sync.", name=contact["name"]))
    return redirect(url_for("help_contacts.index"))


def _existing(contact_id: int) -> dict:
    found = get_store().help_contact(contact_id)
    if found is None:
        abort(404)
    return found


@bp.route("/<int:contact_id>")
@role_required("admin")
def edit(contact_id: int):
    return edit_page(contact_id, form_values(_existing(contact_id)))


def edit_page(contact_id: int, form: dict, status: int = 200, error: str | None = None):
    return render_template(
        "help_contact.html",
        contact_id=contact_id,
        form=form,
        areas=known_areas(),
        error=error,
    ), status


@bp.route("/<int:contact_id>", methods=("POST",))
@role_required("admin")
def save(contact_id: int):
    _existing(contact_id)
    form = posted()
    contact, problem = checked(form)
    if problem:
        return edit_page(contact_id, form_values(form), 400, problem)
    assert contact is not None
    if not get_store().update_help_contact(contact_id, contact, g.user["name"]):
        abort(404)  # removed meanwhile
    flash(gettext("%(name)s is changed. Hubs get it at their next sync.", name=contact["name"]))
    return redirect(url_for("help_contacts.index"))


@bp.route("/<int:contact_id>/remove", methods=("POST",))
@role_required("admin")
def remove(contact_id: int):
    found = _existing(contact_id)
    if not get_store().remove_help_contact(contact_id, g.user["name"]):
        abort(404)
    flash(
        gettext("%(name)s is removed. Hubs stop showing it at their next sync.", name=found["name"])
    )
    return redirect(url_for("help_contacts.index"))


# -- what the laptops get --------------------------------------------------------------------


def listed_for_hubs(store) -> list[dict]:
    """The contacts as the form list carries them (collector.help_contacts.wire)."""
    return [contacts.wire(contact) for contact in store.help_contacts()]


# -- files: CSV for people, a signed file for laptops without a connection -----------------

CSV_COLUMNS = ("area", "name", "description", "phone", "hours", "languages")
MAX_CSV_BYTES = 1024 * 1024
FILE_WRITTEN = "help_contacts_file_written"  # audit action; its detail: the file's time


class ContactFileError(Exception):
    """A CSV file of contacts that is not imported: every problem, by row and column."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


def _cell(text: str) -> str:
    """A cell as typed: without the quote an export puts before a leading + = - or @
    (so that a spreadsheet shows "+254..." as text, not as a formula)."""
    from .exports import FORMULA_STARTS

    text = text.strip()
    return text[1:] if text[:1] == "'" and text[1:2] in FORMULA_STARTS else text


def _header(row: list[str] | None) -> list[str]:
    """The columns a CSV file's first row names; ContactFileError when they are wrong."""
    columns = ", ".join(CSV_COLUMNS)
    if not row or not any(cell.strip() for cell in row):
        raise ContactFileError(
            [
                gettext(
                    "The file is empty: its first row names the columns (%(columns)s).",
                    columns=columns,
                )
            ]
        )
    names = [cell.strip().lower() for cell in row]
    problems = [
        gettext(
            "Row 1, column %(column)s: not a column of help contacts (the columns are "
            "%(columns)s).",
            column=name or "?",
            columns=columns,
        )
        for name in names
        if name not in CSV_COLUMNS
    ]
    problems += [
        gettext("Row 1: the column %(column)s is there twice.", column=name)
        for name, count in Counter(names).items()
        if count > 1 and name in CSV_COLUMNS
    ]
    if "name" not in names:
        problems.append(gettext("Row 1: the file has no name column."))
    if problems:
        raise ContactFileError(problems)
    return names


def read_csv(data: bytes) -> list[dict]:
    """The contacts of a CSV file (UTF-8, a header row naming CSV_COLUMNS, `name` needed,
    the others may be left out), checked as the page checks them. ContactFileError with
    every problem, by row (as a spreadsheet numbers them) and column."""
    if len(data) > MAX_CSV_BYTES:
        raise ContactFileError(
            [gettext("The file is larger than 1 MB: it is not a list of help contacts.")]
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ContactFileError(
            [gettext("The file is not UTF-8 text: save it as CSV UTF-8 and try again.")]
        ) from None
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as error:
        raise ContactFileError(
            [gettext("The file is not a CSV file (%(why)s).", why=str(error))]
        ) from None
    names = _header(rows[0] if rows else None)
    found, problems = [], []
    for number, cells in enumerate(rows[1:], 2):
        if not any(cell.strip() for cell in cells):
            continue  # an empty line
        if len(cells) > len(names):
            problems.append(
                gettext("Row %(row)d has more cells than the first row has columns.", row=number)
            )
            continue
        contact, wrong = wrong_fields(
            from_fields(dict(zip(names, map(_cell, cells), strict=False)))
        )
        problems += [
            gettext(
                "Row %(row)d, column %(column)s: %(problem)s",
                row=number,
                column=field,
                problem=problem_message(field),
            )
            for field in wrong
        ]
        if contact is not None:
            found.append(contact)
    if problems:
        raise ContactFileError(problems)
    return found


def write_csv(listed: list[dict]) -> bytes:
    """The contacts as a CSV file that `read_csv` reads back (UTF-8 with a BOM, so that a
    spreadsheet shows every script; a cell a spreadsheet would run is quoted)."""
    from .exports import neutralized

    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for contact in listed:
        writer.writerow(
            neutralized(
                [contact[key] for key in CSV_COLUMNS[:-1]] + [", ".join(contact["languages"])]
            )
        )
    return out.getvalue().encode("utf-8")


def _same(contact: dict) -> tuple:
    return (*(contact[key] for key in CSV_COLUMNS[:-1]), tuple(contact["languages"]))


def import_plan(listed: list[dict], wanted: list[dict], replace: bool) -> tuple[list, list]:
    """(contacts to add, ids to remove) so that the list holds the file's contacts: added
    to it, each once (one listed already stays as it is), or, with `replace`, only them
    (a contact both listed and in the file stays, with its history)."""
    have = Counter(_same(c) for c in listed)
    added = []
    for contact in wanted:
        key = _same(contact)
        if have[key] > 0:
            have[key] -= 1 if replace else 0  # replace: each listed one matches one row
            continue
        added.append(contact)
        have[key] += 0 if replace else 1  # add: the same row twice is added once
    removed = []
    if replace:
        keep = Counter(_same(c) for c in wanted)
        for contact in listed:
            if keep[_same(contact)] > 0:
                keep[_same(contact)] -= 1
            else:
                removed.append(contact["id"])
    return added, removed


def _issue_time(store) -> str:
    """Now, to the microsecond, and always after the last file written (a clock set back
    must not make a new file look older than one a laptop already has)."""
    now = wall_clock()
    last = store.latest_audit_detail(FILE_WRITTEN)
    if last:
        now = max(now, parse_iso(last) + timedelta(microseconds=1))
    return now.isoformat(timespec="microseconds").replace("+00:00", "Z")


def file_for_hubs(store, data_dir, actor: str) -> tuple[bytes, int]:
    """(the signed file of the current contacts, how many) for laptops without a
    connection (collector.help_contacts.make_file), signed with this server's identity
    key, which every enrolled laptop knows by its fingerprint; noted in the audit."""
    from collector import device_keys

    from .identity import KEY_NAME

    private_key = device_keys.load_private_key(Path(data_dir), KEY_NAME)
    listed = store.help_contacts()
    issued = _issue_time(store)
    data = contacts.make_file(listed, private_key, issued)
    store.log(actor, FILE_WRITTEN, detail=issued)
    return data, len(listed)
