"""A repeat's table as it should be, worked out here from the records, and every page of it
as the store gives it: shared by the tests of a record's repeats and of repeats inside them.

A row is (record uuid, place, instance answers); a place is the instance's positions, outer
first ((3,) for a record's third visit, (2, 1) for the second member's first illness).
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from werkzeug.datastructures import MultiDict

from sync_server.access import ALL_CLASSES

# What both tests' forms ask in their repeats: needs (a multiple choice) and a free note.
NEEDS = (("n1", "Food"), ("n2", "Water"), ("n3", "Shelter"))
NOTES = ("Water is far", "the ROAD is broken", "school fees", "", "road and water")


def form_question(name: str, kind: str, **more) -> dict:
    """A question of a test form, kept as it is on the way to the server."""
    return {"name": name, "type": kind, "privacy": "keep", "label": {"en": name.title()}, **more}


def table_query(store, form_id: str, repeat: str, params: str, analyst: bool = False):
    """The data_table.TableQuery a query string asks of a repeat's table (an analyst's: the
    questions the release empties are not columns)."""
    from sync_server import data, data_table, disclosure, exports

    forms = data.form_history(form_id, store)
    shown = [c for c in exports.export_columns(forms, repeat) if not c.meta]
    closed = disclosure.variables(forms)[2].get(repeat, set()) if analyst else frozenset()
    columns = data_table.table_columns([c for c in shown if c.kind != "dummy"], forms, "en", closed)
    return data_table.parse(MultiDict(parse_qsl(params)), columns)


def choice_sort(*lists):
    """How the table sorts an instance by a column, for choice lists given in questionnaire
    order ((code, label), ...): a choice by its rank in its list, several choices by the
    first, anything else as it is; None when empty (last, either way)."""
    rank = {code: n for choices in lists for n, (code, _) in enumerate(choices)}

    def sort_key(column, answers: dict):
        value = answers.get(column.source)
        if column.kind == "choices":
            value = value[0] if isinstance(value, list) and value else None
        if value in (None, ""):
            return None
        if column.kind in ("choice", "choices"):
            return (rank.get(value, len(rank)), value)
        return value

    return sort_key


def expected_view(store, form_id: str, rows: list, query, sort_key, released=False) -> list:
    """(uuid, place) of `rows` that match the query, in the table's order: its sort (empty
    values last), else newest arrival first, or record order in a release; ties by record,
    then place."""
    arrival = dict(
        store.db.execute(
            "SELECT uuid, received_at FROM records WHERE form_id = ? AND is_latest = 1", [form_id]
        ).fetchall()
    )
    rows = sorted((r for r in rows if query.matches(r[2])), key=lambda r: (r[0], r[1]))
    if query.sort is None:
        if not released:  # newest first; within one arrival, by record
            rows.sort(key=lambda r: arrival[r[0]], reverse=True)
        return [(u, p) for u, p, _ in rows]
    full = [r for r in rows if sort_key(query.sort, r[2]) is not None]
    empty = [r for r in rows if sort_key(query.sort, r[2]) is None]
    full.sort(key=lambda r: sort_key(query.sort, r[2]), reverse=query.descending)
    return [(u, p) for u, p, _ in full + empty]


def every_page(store, form_id: str, repeat: str, query, per_page: int, **options):
    """Every page of a view from Store.repeat_page, the total counted with the first page
    and passed on with the next, as the page does: ((uuid, place) list, total, answers)."""
    filters = options.pop("filters", {})
    rows, page, total = [], 1, None
    while True:
        found, total = store.repeat_page(
            form_id,
            repeat,
            filters,
            query,
            page,
            per_page,
            classes=ALL_CLASSES,
            total=total,
            **options,
        )
        rows += found
        if len(found) < per_page:
            places = [(r["uuid"], tuple(r.get("positions") or (r["index"],))) for r in rows]
            return places, total, [r["answers"] for r in rows]
        page += 1
