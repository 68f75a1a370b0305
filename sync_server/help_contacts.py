"""Help contacts page: the admins list where people can get help after a report (legal aid,
protection, health, psychosocial support), per area or for every area.

The hubs get them with the form list at their next sync (`help_contacts`,
docs/protocol.md) and show them on the page after a report: those of the report's area,
then those for every area, then the hub's own `referral_contacts`. One definition of a
contact for both apps: collector.help_contacts. Every change is audited by the store.
"""

from __future__ import annotations

import re

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import get_locale, gettext
from marshmallow import ValidationError

from collector import help_contacts as contacts
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


def posted() -> dict:
    """The page's form as a contact to check: the fields as typed, languages split."""
    languages = [code for code in re.split(r"[\s,;]+", request.form.get("languages", "")) if code]
    return {
        **{key: request.form.get(key, "") for key in FIELDS[:-1]},
        "languages": languages,
    }


def checked(form: dict) -> tuple[dict | None, str | None]:
    """(the contact, None) when it is good; (None, what to fix) otherwise."""
    try:
        return contacts.SCHEMA.load(form), None
    except ValidationError as error:
        wrong = error.normalized_messages()
        return None, problem_message(next(f for f in FIELDS if f in wrong))


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
