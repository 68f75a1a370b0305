"""Forms page: the versions laptops download; publishing a new one."""

from __future__ import annotations

import hashlib

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext

from collector.anonymizer import privacy_listing
from collector.forms import FormDefinition, FormError, builtin_forms, load_form_json

from .auth import role_required
from .store import Store, get_store

bp = Blueprint("forms", __name__, url_prefix="/forms")
MAX_FORM_BYTES = 2 * 1024 * 1024


def publish(store: Store, text: str, actor: str) -> tuple[FormDefinition, bool]:
    """Validate and publish a form definition; (form, False) when that version exists."""
    form = load_form_json(text)
    definition = form.to_json()
    digest = hashlib.sha256(definition.encode("utf-8")).hexdigest()
    return form, store.publish_form(form.form_id, form.version, definition, digest, actor)


def builtins_newest():
    """The built-in forms, each as its newest version (titles as the laptops show them)."""
    from .data import newest_form

    return [newest_form(form_id) for form_id in builtin_forms()]


@bp.route("")
@role_required("admin")
def index():
    return render_template("forms.html", builtins=builtins_newest(),
                           published=get_store().published_forms())


@bp.route("", methods=("POST",))
@role_required("admin")
def upload():
    upload = request.files.get("definition")
    if upload is None or not upload.filename:
        flash(gettext("Choose a form definition file (JSON)."))
        return redirect(url_for("forms.index"))
    data = upload.read(MAX_FORM_BYTES + 1)
    try:
        if len(data) > MAX_FORM_BYTES:
            raise FormError({"_schema": ["The file is larger than 2 MB."]})
        form, created = publish(get_store(), data.decode("utf-8"), g.user["name"])
    except (FormError, UnicodeDecodeError) as error:
        return render_template("forms.html", builtins=builtins_newest(),
                               published=get_store().published_forms(),
                               problems=str(error).splitlines()), 422
    if created:
        flash(gettext("Published %(form)s version %(version)s. Laptops get it on their next "
                      "sync.", form=form.form_id, version=form.version))
    else:
        flash(gettext("%(form)s version %(version)s was already published.",
                      form=form.form_id, version=form.version))
    _flash_privacy_listing(form)
    return redirect(url_for("forms.index"))


def identifier_notices() -> dict[str, str]:
    """For each kind of identifier the safe defaults hold back: what happens to the field,
    a whole sentence each so that translations need not glue pieces."""
    return {
        "name": gettext("%(field)s looks like a person's name: it stays on the laptops "
                        "unless the form gives it a privacy rule."),
        "phone": gettext("%(field)s looks like a phone number: it stays on the laptops "
                         "unless the form gives it a privacy rule."),
        "national_id": gettext("%(field)s looks like an ID number: it stays on the laptops "
                               "unless the form gives it a privacy rule."),
        "address": gettext("%(field)s looks like an address: it stays on the laptops unless "
                           "the form gives it a privacy rule."),
        "location": gettext("%(field)s looks like a location (GPS): it stays on the laptops "
                            "unless the form gives it a privacy rule."),
        "email": gettext("%(field)s looks like an e-mail address: it stays on the laptops "
                         "unless the form gives it a privacy rule."),
        "date_of_birth": gettext("%(field)s looks like a date of birth: only its year leaves "
                                 "the laptops unless the form gives it a privacy rule."),
    }


def _flash_privacy_listing(form: FormDefinition) -> None:
    """What leaves the laptops as it is, and what the safe defaults hold back, so that the
    person publishing adds a rule on purpose where one is needed."""
    listing = privacy_listing(form)
    if listing["keep"]:
        flash(gettext("Leave the laptops unchanged (keep): %(fields)s",
                      fields=", ".join(listing["keep"])))
    else:
        flash(gettext("No field leaves the laptops unchanged."))
    notices = identifier_notices()
    for name, kind in listing["identifiers"]:
        flash(notices[kind] % {"field": name})
