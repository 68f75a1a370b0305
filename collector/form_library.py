"""The forms this hub offers: the built-ins, replaced by any newer version imported."""

from __future__ import annotations

import functools
import json

from flask import abort, current_app

from . import form_catalogue
from .anonymizer import field_rule, weaker_fields
from .clock import now_iso
from .db import get_db, write_transaction
from .entities import with_entity_choices
from .forms import FormDefinition, builtin_forms, load_form_json
from .security_log import log_event

REFUSALS_KEPT = 20  # the newest refusals shown on the Sync page


def init_app(app) -> None:
    app.extensions["builtin_forms"] = builtin_forms()


def available_forms() -> dict[str, FormDefinition]:
    """The current version of each form, built-in or imported (collector.form_catalogue)."""
    db = get_db()
    forms = dict(current_app.extensions["builtin_forms"])
    stored: dict[str, list] = {}
    for row in db.execute("SELECT form_id, version, added_at FROM forms"):
        stored.setdefault(row[0], []).append((row[1], row[2]))
    for form_id, versions in stored.items():
        forms[form_id] = form_catalogue.current_form(
            form_id, versions, functools.partial(_definition, db, form_id)
        )
    return forms


def get_form(form_id: str, version: str | None = None) -> FormDefinition:
    """A form by id (and version, for records started with an older one), or 404."""
    if version is not None:
        form = form_version(get_db(), current_app.extensions["builtin_forms"], form_id, version)
        if form is not None:
            return with_entity_choices(get_db(), form)
    form = newest_form(get_db(), current_app.extensions["builtin_forms"], form_id)
    if form is None:
        abort(404)
    # Choices from the hub's entity lists, as they are now (collector.entities).
    return with_entity_choices(get_db(), form)


def form_version(db, builtins: dict, form_id: str, version: str) -> FormDefinition | None:
    """That exact version of a form: imported, pulled from the server, or built in (the
    rule and the parsed forms are collector.form_catalogue's)."""
    return form_catalogue.form_version(
        form_id, version, _definition(db, form_id, version), builtins
    )


def _definition(db, form_id: str, version: str) -> str | None:
    """The stored definition text of a form version on this hub, or None."""
    row = db.execute(
        "SELECT definition FROM forms WHERE form_id = ? AND version = ?", [form_id, version]
    ).fetchone()
    return row[0] if row else None


def stored_versions(db, form_id: str) -> list[tuple[str, str]]:
    """(version, added_at) of each stored version of a form."""
    return [
        tuple(row)
        for row in db.execute("SELECT version, added_at FROM forms WHERE form_id = ?", [form_id])
    ]


def import_form(db, form: FormDefinition, source: str) -> bool:
    """Store a form version; return False when that exact version is already here."""
    with write_transaction(db):
        return _store(db, form, source)


def _store(db, form: FormDefinition, source: str) -> bool:
    if db.execute(
        "SELECT 1 FROM forms WHERE form_id = ? AND version = ?", [form.form_id, form.version]
    ).fetchone():
        return False
    db.execute(
        "INSERT INTO forms (form_id, version, definition, source, added_at) VALUES (?, ?, ?, ?, ?)",
        [form.form_id, form.version, form.to_json(), source, now_iso()],
    )
    return True


# -- Privacy rules never weakened from afar ------------------------------------------------


class FormRefused(Exception):
    """A form version that would send more about people than the one on this hub."""

    def __init__(self, form: FormDefinition, fields: list[str]):
        super().__init__(
            f"{form.form_id} version {form.version} weakens the privacy of: {', '.join(fields)}"
        )
        self.form, self.fields = form, fields


def newest_form(db, builtins: dict, form_id: str) -> FormDefinition | None:
    """The version new records of a form start with: the newest imported, else the built-in
    (the rule is collector.form_catalogue's)."""
    return form_catalogue.current_form(
        form_id, stored_versions(db, form_id), functools.partial(_definition, db, form_id), builtins
    )


def weaker_than_installed(db, builtins: dict, form: FormDefinition) -> list[str]:
    """The fields `form` would send more of than the newest version of it on this hub."""
    current = newest_form(db, builtins, form.form_id)
    return weaker_fields(current, form) if current is not None else []


def import_server_form(db, builtins: dict, form: FormDefinition) -> bool:
    """Store a form version pulled from the server, like `import_form`, unless any of its
    privacy rules is weaker than on this hub: then it is not installed, the refusal (and
    the definition, for the operator to install anyway) is kept for the Sync page and the
    security log, and FormRefused is raised."""
    with write_transaction(db):
        weaker = weaker_than_installed(db, builtins, form)
        if not weaker:
            return _store(db, form, "server")
        current = newest_form(db, builtins, form.form_id)
        assert current is not None  # weaker fields are only found against an installed form
        changes = [
            [name, field_rule(current, name), field_rule(form, name)]  # a question or metadata
            for name in weaker
        ]
        _remember_refusal(
            db, form.form_id, form.version, weaker, changes=changes, definition=form.to_json()
        )
    raise FormRefused(form, weaker)


def accept_refused_form(
    db, builtins: dict, form_id: str, version: str, account: str | None = None
) -> tuple[FormDefinition, list[str]]:
    """The operator's decision on this laptop: install a version refused as weaker.
    Returns the form and the fields it relaxes; logged as `form_accepted`.
    LookupError when no such refused version is kept here."""
    with write_transaction(db):
        row = db.execute(
            "SELECT value FROM hub_state WHERE key = ?", [_definition_key(form_id, version)]
        ).fetchone()
        if row is None or not was_refused(db, form_id, version):
            raise LookupError(
                f"No refused version {version} of form {form_id} is kept on this hub."
            )
        form = load_form_json(row[0])
        weaker = weaker_than_installed(db, builtins, form)
        _store(db, form, "server")
        _forget_refusal(db, form_id, version)
        log_event(
            db,
            "form_accepted",
            account,
            detail=f"{form_id} {version}: {', '.join(weaker) or 'no field relaxed'}",
        )
    return form, weaker


def refuse_unreadable(db, form_id: str, version: str) -> None:
    """A form version from the server that is not a valid definition (an identifying field
    kept, say): never installed, kept for the Sync page like a weaker one."""
    with write_transaction(db):
        _remember_refusal(db, str(form_id)[:100], str(version)[:40], [], "invalid")


def _remember_refusal(
    db,
    form_id: str,
    version: str,
    fields: list[str],
    reason: str = "weaker",
    changes: list | None = None,
    definition: str | None = None,
) -> None:
    refusals = [r for r in refused_forms(db) if (r["form_id"], r["version"]) != (form_id, version)]
    refusals.insert(
        0,
        {
            "form_id": form_id,
            "version": version,
            "fields": fields,
            "reason": reason,
            "at": now_iso(),
            "changes": changes or [],
            "kept": definition is not None,
        },
    )
    _save_refusals(db, refusals[:REFUSALS_KEPT])
    for old in refusals[REFUSALS_KEPT:]:
        db.execute(
            "DELETE FROM hub_state WHERE key = ?", [_definition_key(old["form_id"], old["version"])]
        )
    if definition is not None:
        db.execute(
            "INSERT OR REPLACE INTO hub_state (key, value) VALUES (?, ?)",
            [_definition_key(form_id, version), definition],
        )
    log_event(db, "form_refused", detail=f"{form_id} {version}: {', '.join(fields) or reason}")


def _forget_refusal(db, form_id: str, version: str) -> None:
    _save_refusals(
        db, [r for r in refused_forms(db) if (r["form_id"], r["version"]) != (form_id, version)]
    )
    db.execute("DELETE FROM hub_state WHERE key = ?", [_definition_key(form_id, version)])


def _save_refusals(db, refusals: list[dict]) -> None:
    db.execute(
        "INSERT OR REPLACE INTO hub_state (key, value) VALUES ('refused_forms', ?)",
        [json.dumps(refusals)],
    )


def _definition_key(form_id: str, version: str) -> str:
    """Where a refused version's definition waits for the operator's decision."""
    return f"refused_form:{form_id}:{version}"


def refused_forms(db) -> list[dict]:
    """The form versions the server sent that were not installed, newest first."""
    row = db.execute("SELECT value FROM hub_state WHERE key = 'refused_forms'").fetchone()
    return json.loads(row[0]) if row else []


def was_refused(db, form_id: str, version: str) -> bool:
    return any((r["form_id"], r["version"]) == (form_id, version) for r in refused_forms(db))
