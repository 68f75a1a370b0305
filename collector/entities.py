"""Entity lists on the hub: what registration forms create and follow-up forms choose from.

An XLSForm's `entities` sheet declares a list (`households`) and when a record creates or
updates one of its entities; the questions with `save_to` give the entity's properties
(collector.forms.EntitySchema). When a record is finalized, the declaration is evaluated
on its answers in the same transaction as the record (collector.records): a registration
creates one entity per record (finalizing it again, after an edit, changes that entity
instead of making a second one); with `entity_id` the record updates the entity of that id.

A follow-up form chooses from the list with `select_one_from_file households.csv`: the
form names the list (its `entity_choices`), and every time a page of it is drawn its
choices are the hub's entities of that list (name: the entity's id, label: its label,
the properties as the choice's other columns, for choice filters and instance()).

Entities stay on the laptop: they are never synced, their label and properties are sealed
like answers when the data folder is protected, and `collector purge` removes from them
what it removes from the answers they came from (collector.purge).
"""

from __future__ import annotations

import uuid as uuid_module

from . import expressions, repeats
from .forms import FormDefinition, form_expressions
from .protection import open_json, open_text, seal_json, seal_text

TABLE = "entities"


def declaration(form) -> dict | None:
    """The form's entity declaration (one per form), or None."""
    declared = form.data.get("entities") or []
    return declared[0] if declared else None


def saved_properties(form) -> dict[str, str]:
    """Property → the question whose answer it is saved from."""
    return {q.get("save_to"): name for name, q in form.top_questions.items() if q.get("save_to")}


# -- finalizing a record ------------------------------------------------------------------


def apply_record(db, form, record_uuid: str, answers: dict, now: str) -> str | None:
    """Create or update the entity a finalized record asks for, inside the caller's
    transaction; return the entity's id, or None when the record asks for nothing.

    A record creates one entity per list however often it is finalized: a later
    revision changes the entity it created. An update of an entity this hub does not have
    changes nothing (another laptop's entity, say)."""
    declared = declaration(form)
    if declared is None:
        return None
    ctx = repeats.context(form, answers)
    list_name = declared["list_name"]
    label = _text(_evaluate(declared.get("label"), ctx))
    properties = {
        prop: _answer_text(answers.get(question))
        for prop, question in saved_properties(form).items()
    }
    entity_id = _text(_evaluate(declared.get("entity_id"), ctx))
    wants_update = bool(entity_id) and _condition(declared.get("update_if"), ctx)
    if wants_update and _exists(db, list_name, entity_id):
        _update(db, list_name, entity_id, label, properties, record_uuid, now)
        return entity_id
    if not _wants_create(declared, ctx) or not label:
        return None  # as ODK Central: no entity without a label
    mine = _created_by(db, list_name, record_uuid)
    if mine is not None:
        _update(db, list_name, mine, label, properties, record_uuid, now)
        return mine
    new_id = entity_id if entity_id and not _exists(db, list_name, entity_id) else _new_id()
    _insert(db, list_name, new_id, label, properties, record_uuid, now)
    return new_id


def _wants_create(declared: dict, ctx) -> bool:
    """No entity_id: a registration (when create_if holds); with one, only an upsert's
    create_if creates."""
    if not declared.get("entity_id"):
        return _condition(declared.get("create_if"), ctx)
    return bool(declared.get("create_if")) and _condition(declared["create_if"], ctx)


def _evaluate(source: str | None, ctx):
    return None if not source else expressions.parse(source).evaluate(ctx)


def _condition(source: str | None, ctx) -> bool:
    """A create_if or update_if: holds when not given."""
    return True if not source else expressions.to_boolean(_evaluate(source, ctx))


def _text(value) -> str:
    return "" if value is None else expressions.to_text(value).strip()


def _answer_text(value) -> str:
    """An answer as an entity property holds it: text, a select_multiple's choices joined by
    spaces, an unanswered question blank (an update then blanks the property, as in ODK)."""
    if value is None:
        return ""
    if isinstance(value, list):
        return " ".join(_answer_text(item) for item in value)
    return expressions.to_text(value)


def _new_id() -> str:
    return str(uuid_module.uuid4())


def _exists(db, list_name: str, entity_id: str) -> bool:
    return (
        db.execute(
            "SELECT 1 FROM entities WHERE list_name = ? AND uuid = ?", [list_name, entity_id]
        ).fetchone()
        is not None
    )


def _created_by(db, list_name: str, record_uuid: str) -> str | None:
    row = db.execute(
        "SELECT uuid FROM entities WHERE list_name = ? AND created_by_record = ?",
        [list_name, record_uuid],
    ).fetchone()
    return row[0] if row else None


def _insert(db, list_name, entity_id, label, properties, record_uuid, now) -> None:
    db.execute(
        "INSERT INTO entities (list_name, uuid, label, properties, version, created_by_record,"
        " updated_by_record, created_at, updated_at) VALUES (?, ?, ?, ?, 1, ?, ?, ?, ?)",
        [
            list_name,
            entity_id,
            _seal_label(db, label, list_name, entity_id),
            _seal_properties(db, properties, list_name, entity_id),
            record_uuid,
            record_uuid,
            now,
            now,
        ],
    )


def _update(db, list_name, entity_id, label, properties, record_uuid, now) -> None:
    """The properties the form saves replace those of the entity (the others stay); the
    label changes when the form gives one."""
    current = get_entity(db, list_name, entity_id)
    assert current is not None  # looked up in this transaction
    merged = {**current["properties"], **properties}
    db.execute(
        "UPDATE entities SET label = ?, properties = ?, version = version + 1,"
        " updated_by_record = ?, updated_at = ? WHERE list_name = ? AND uuid = ?",
        [
            _seal_label(db, label or current["label"], list_name, entity_id),
            _seal_properties(db, merged, list_name, entity_id),
            record_uuid,
            now,
            list_name,
            entity_id,
        ],
    )


def _seal_label(db, label: str, list_name: str, entity_id: str) -> str:
    return seal_text(db, label, TABLE, "label", list_name, entity_id)


def _seal_properties(db, properties: dict, list_name: str, entity_id: str) -> str:
    return seal_json(db, properties, TABLE, "properties", list_name, entity_id)


# -- reading ------------------------------------------------------------------------------


def _opened(db, row: dict) -> dict:
    ids = (row["list_name"], row["uuid"])
    return {
        **row,
        "label": open_text(db, row["label"], TABLE, "label", *ids),
        "properties": open_json(db, row["properties"], TABLE, "properties", *ids),
    }


def get_entity(db, list_name: str, entity_id: str) -> dict | None:
    """One entity (label and properties opened), or None."""
    rows = list(
        db.query("SELECT * FROM entities WHERE list_name = ? AND uuid = ?", [list_name, entity_id])
    )
    return _opened(db, rows[0]) if rows else None


def list_entities(db, list_name: str) -> list[dict]:
    """A list's entities in the order they were created."""
    return [
        _opened(db, row)
        for row in db.query(
            "SELECT * FROM entities WHERE list_name = ? ORDER BY created_at, rowid", [list_name]
        )
    ]


def declared_lists(db) -> set[str]:
    """The entity lists the forms stored on this hub declare (any version)."""
    return {
        row[0]
        for row in db.execute(
            "SELECT DISTINCT json_extract(e.value, '$.list_name')"
            " FROM forms, json_each(forms.definition, '$.entities') AS e"
        )
        if row[0]
    }


def with_entity_choices(db, form: FormDefinition) -> FormDefinition:
    """The form with its entity lists' current entities as choices (a new definition each
    time: the parsed form is shared and never changed). A form choosing from no entity
    list is returned as it is."""
    lists = form.data.get("entity_choices")
    if not lists:
        return form
    language = form.default_language
    choices = dict(form.data.get("choices", {}))
    files = dict(form.data.get("data", {}))
    pulled = _pulldata_files(form)
    for choice_list, list_name in lists.items():
        found = list_entities(db, list_name)
        choices[choice_list] = [
            {
                "name": entity["uuid"],
                "label": {language: entity["label"]},
                # Properties as the choice's other columns: choice filters and instance().
                "data": {k: v for k, v in entity["properties"].items() if v not in ("", None)},
            }
            for entity in found
        ]
        if list_name in pulled:
            files[f"{list_name}.csv"] = _as_file(found)
    return FormDefinition({**form.data, "choices": choices, "data": files})


def _pulldata_files(form) -> set[str]:
    """The files the form's pulldata() calls read (`households` for households.csv)."""
    return {
        call[0]
        for _where, source, parser in form_expressions(form.data)
        for call in parser(source).calls("pulldata")
        if call and call[0]
    }


def _as_file(found: list[dict]) -> list[list[str]]:
    """A list's entities as pulldata() reads a CSV file: name, label, then the properties."""
    columns = sorted({prop for entity in found for prop in entity["properties"]})
    return [
        ["name", "label", *columns],
        *(
            [entity["uuid"], entity["label"], *(entity["properties"].get(c, "") for c in columns)]
            for entity in found
        ),
    ]


# -- purging ------------------------------------------------------------------------------


def purge_record_entities(db, record_uuid: str, form, purged_value) -> bool:
    """What `collector purge` removes from a record's answers, removed from the entities it
    created or last changed: the properties saved from its questions, through
    `purged_value(question, value)` (which returns None for a value that goes), and the
    label, through `purged_value(None, label)`. Whether anything changed."""
    declared = declaration(form) if form is not None else None
    changed = False
    for row in db.query(
        "SELECT * FROM entities WHERE created_by_record = ? OR updated_by_record = ?",
        [record_uuid, record_uuid],
    ):
        entity = _opened(db, row)
        sources = (
            saved_properties(form)
            if declared is not None and declared["list_name"] == entity["list_name"]
            else {}
        )
        properties = {}
        for prop, value in entity["properties"].items():
            kept = purged_value(sources.get(prop), value)
            if kept is not None:
                properties[prop] = kept
        label = purged_value(None, entity["label"]) or ""
        if properties != entity["properties"] or label != entity["label"]:
            ids = (entity["list_name"], entity["uuid"])
            db.execute(
                "UPDATE entities SET label = ?, properties = ? WHERE list_name = ? AND uuid = ?",
                [_seal_label(db, label, *ids), _seal_properties(db, properties, *ids), *ids],
            )
            changed = True
    return changed
