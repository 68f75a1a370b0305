"""The forms this hub offers: the built-ins, replaced by any newer version imported."""

from __future__ import annotations

from flask import abort, current_app

from .clock import now_iso
from .db import get_db, write_transaction
from .forms import FormDefinition, builtin_forms, load_form_json


def init_app(app) -> None:
    app.extensions["builtin_forms"] = builtin_forms()


def available_forms() -> dict[str, FormDefinition]:
    """The newest version of each form, built-in or imported."""
    forms = dict(current_app.extensions["builtin_forms"])
    for row in get_db().query(
        "SELECT definition FROM forms f WHERE added_at = "
        "(SELECT max(added_at) FROM forms g WHERE g.form_id = f.form_id)"
    ):
        form = load_form_json(row["definition"])
        forms[form.form_id] = form
    return forms


def get_form(form_id: str, version: str | None = None) -> FormDefinition:
    """A form by id (and version, for records started with an older one), or 404."""
    if version is not None:
        form = form_version(get_db(), current_app.extensions["builtin_forms"], form_id, version)
        if form is not None:
            return form
    form = available_forms().get(form_id)
    if form is None:
        abort(404)
    return form


def form_version(db, builtins: dict, form_id: str, version: str) -> FormDefinition | None:
    """That exact version of a form: imported, pulled from the server, or built in."""
    row = db.execute("SELECT definition FROM forms WHERE form_id = ? AND version = ?",
                     [form_id, version]).fetchone()
    if row:
        return load_form_json(row[0])
    builtin = builtins.get(form_id)
    return builtin if builtin is not None and builtin.version == version else None


def import_form(db, form: FormDefinition, source: str) -> bool:
    """Store a form version; return False when that exact version is already here."""
    with write_transaction(db):
        if db.execute("SELECT 1 FROM forms WHERE form_id = ? AND version = ?",
                      [form.form_id, form.version]).fetchone():
            return False
        db.execute("INSERT INTO forms (form_id, version, definition, source, added_at)"
                   " VALUES (?, ?, ?, ?, ?)", [form.form_id, form.version, form.to_json(),
                                               source, now_iso()])
    return True
