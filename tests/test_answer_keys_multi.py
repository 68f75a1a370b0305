"""Multiple choice filters read keys (answer_choice_keys, a row per code ticked) once a
question's are built, with the same rows in the same order as the JSON path; the keys
follow new revisions, corrections and removals; the data table says while a column's
keys are being prepared, and not after."""

from __future__ import annotations

import json

from sync_server.access import ALL_CLASSES
from sync_server.forms import publish
from sync_server.store import Store
from test_data_table import (
    FORM,
    FORM_ID,
    KIND_RANK,
    Laptop,
    expected,
    finish_keys,
    newest,
    published,
    record,
    table_query,
    whole_view,
)
from test_workspace import signed_in, team  # noqa: F401

PREPARING = "is being prepared: pages may be slower for a few minutes."


def ticked(answers: dict, *codes: str) -> bool:
    """The JSON path's reading of a multiple choice answer: a list, or one code alone."""
    value = answers.get("tags")
    items = value if isinstance(value, list) else [value]
    return any(item in codes for item in items)


# (query string, which records pass, sort key, descending)
MULTI_VIEWS = [
    ("q_tags=t1", lambda a: ticked(a, "t1"), None, False),
    ("q_tags=t1&q_tags=t3", lambda a: ticked(a, "t1", "t3"), None, False),
    ("q_tags=t2&sort=size&desc=1", lambda a: ticked(a, "t2"), lambda a: a.get("size"), True),
    (
        "q_tags=t3&q_tags=t2&q_kind=a&q_kind=b&sort=kind",
        lambda a: ticked(a, "t2", "t3") and a.get("kind") in ("a", "b"),
        lambda a: KIND_RANK.get(a.get("kind")),
        False,
    ),
    (
        "q_tags=t1&from_size=3&to_size=15&sort=visit_date",
        lambda a: ticked(a, "t1") and 3 <= a.get("size", -1) <= 15,
        lambda a: a.get("visit_date"),
        False,
    ),
    (
        "q_tags=t3&q_note=road",
        lambda a: ticked(a, "t3") and "road" in a.get("note", "").lower(),
        None,
        False,
    ),
]


def views_of(person) -> dict:
    """Every page of every view, as uuids, and the totals the pages give."""
    return {params: whole_view(person, f"/data/{FORM_ID}", params) for params, *_ in MULTI_VIEWS}


def check(person, records) -> dict:
    """The views are those computed here from the newest answers (records of one batch:
    without a sort, they come by uuid, as they arrived at the same time)."""
    got = views_of(person)
    for params, keep, key, descending in MULTI_VIEWS:
        want = expected(records, keep, key, descending)
        assert got[params] == (want, len(want)), params
    return got


def choice_keys(store) -> dict:
    """{record: sorted codes} of the tags' key rows."""
    found: dict = {}
    for record_uuid, code in store.db.execute(
        "SELECT record_uuid, code FROM answer_choice_keys WHERE form = ? AND question = 'tags'",
        [FORM_ID],
    ).fetchall():
        found.setdefault(record_uuid, []).append(code)
    return {k: sorted(v) for k, v in found.items()}


def codes_of(records) -> dict:
    out = {}
    for r in records:
        value = r["answers"].get("tags")
        items = value if isinstance(value, list) else [value] if value else []
        if items:
            out[r["uuid"]] = sorted(set(items))
    return out


def test_a_multiple_choice_filter_gives_the_json_paths_rows_from_its_keys(team, monkeypatch):
    """The same views read from the JSON (keys being prepared: the notice says so) and
    then from the keys (no notice): the same rows in the same order, on both engines.
    Among the answers: nothing ticked, the question unanswered, a code ticked twice, and
    one code given alone rather than in a list."""
    monkeypatch.setattr(Store, "build_keys_in_background", False)  # the test runs the steps
    published(team)
    records = [record(n) for n in range(70)]
    records[3]["answers"]["tags"] = ["t3", "t3", "t1"]
    records[4]["answers"].pop("tags")
    records[5]["answers"]["tags"] = "t2"
    laptop = Laptop(team)
    laptop.push(records)
    admin = signed_in(team, "admin")
    page = admin.get(f"/data/{FORM_ID}?q_tags=t1&sort=size")
    assert f"Sorting and filtering by Tags {PREPARING}" in page.text
    assert f"Sorting and filtering by Size {PREPARING}" in page.text
    from_json = check(admin, records)
    store = Store(team.database)
    try:
        query = table_query(store, "q_tags=t1")
        assert store.keyed_columns(FORM_ID, query) == frozenset()  # registered, not built
        finish_keys(team.database)
        assert store.keyed_columns(FORM_ID, query) == frozenset({"tags"})
        assert choice_keys(store) == codes_of(records)
    finally:
        store.close()
    assert check(admin, records) == from_json
    # Many matches: the records in arrival order, each looked up in the codes' keys.
    monkeypatch.setattr(Store, "FEW", 0)
    assert check(admin, records) == from_json
    page = admin.get(f"/data/{FORM_ID}?q_tags=t1&sort=size")
    assert PREPARING not in page.text and page.status_code == 200
    assert PREPARING not in admin.get(f"/data/{FORM_ID}").text  # no sort, no notice


def test_choice_keys_follow_revisions_corrections_and_removals(team, monkeypatch):
    from sync_server import retention

    monkeypatch.setattr(Store, "build_keys_in_background", False)
    published(team)
    laptop = Laptop(team)
    stored = {r["uuid"]: r for r in (record(n) for n in range(40))}
    laptop.push(list(stored.values()))
    admin = signed_in(team, "admin")
    admin.get(f"/data/{FORM_ID}?q_tags=t2")  # registers the question
    finish_keys(team.database)
    uuids = list(stored)
    # A new revision ticks other codes, another unticks all, a third drops the answer...
    changed = [
        newest(stored, uuids[0], dict(stored[uuids[0]]["answers"], tags=["t1", "t2", "t3"])),
        newest(stored, uuids[1], dict(stored[uuids[1]]["answers"], tags=[])),
        newest(
            stored, uuids[2], {k: v for k, v in stored[uuids[2]]["answers"].items() if k != "tags"}
        ),
    ]
    laptop.push(changed)
    store = Store(team.database)
    try:
        # ...a correction changes the ticks of a fourth...
        store.correct(uuids[3], "tags", ["t2"], "admin1")
        stored[uuids[3]] = dict(
            stored[uuids[3]], answers=dict(stored[uuids[3]]["answers"], tags=["t2"])
        )
        # ...and two records are removed for good.
        removal = retention.remove_records(
            store, uuids[4:6], "admin1", "test", team.app.config["DATA_DIR"]
        )
        assert removal.records == {FORM_ID: 2}
        for gone in uuids[4:6]:
            del stored[gone]
        assert store.unfinished_keys() == []  # kept up, not rebuilt
        assert choice_keys(store) == codes_of(stored.values())
        query = table_query(store, "q_tags=t2")
        assert store.keyed_columns(FORM_ID, query) == frozenset({"tags"})
    finally:
        store.close()
    want = [r["uuid"] for r in stored.values() if ticked(r["answers"], "t2")]
    got, total = whole_view(admin, f"/data/{FORM_ID}", "q_tags=t2")
    assert sorted(got) == sorted(want) and total == len(want)
    got, _ = whole_view(admin, f"/data/{FORM_ID}", "q_tags=t2&q_tags=t1&sort=size")
    keep = lambda a: ticked(a, "t1", "t2")  # noqa: E731
    assert got == expected(list(stored.values()), keep, lambda a: a.get("size"))


def test_a_multiple_choice_sorted_before_the_upgrade_is_keyed_again(tmp_path):
    """Keys of a multiple choice question made before m019 (for its sort: no rows per
    code): the upgrade sets the question to be built again; the others stay complete."""
    from sync_server.database import SQLiteDatabase
    from sync_server.store import migrations

    db = SQLiteDatabase.open(tmp_path / "sync-server.db")
    migrations.apply(db, stop_before="m019_more_answer_keys")
    for question, spec in (("tags", '["choices", ["t1", "t2", "t3"]]'), ("size", '["number", []]')):
        db.execute(
            "INSERT INTO answer_key_columns (form, question, spec, made_at, built_through)"
            " VALUES (?, ?, ?, '2026-12-06T22:00:00Z', NULL)",
            [FORM_ID, question, spec],
        )
    db.conn.commit()
    db.close()
    store = Store.create(tmp_path / "sync-server.db")
    try:
        assert store.unfinished_keys() == [(FORM_ID, "tags")]
        assert "answer_choice_keys" in store.db.table_names()
    finally:
        store.close()


# -- a repeat's table sorted by keys (answer_item_keys, a key per instance) ----------------

PEOPLE = f"/data/{FORM_ID}/repeat/people"
SEX_RANK = {"f": 0, "m": 1, "x": 2}
# (query string, which instances pass, sort key, descending)
REPEAT_VIEWS = [
    ("sort=p_age", lambda p: True, lambda p: p.get("p_age"), False),
    ("sort=p_age&desc=1", lambda p: True, lambda p: p.get("p_age"), True),
    ("sort=p_sex&desc=1", lambda p: True, lambda p: SEX_RANK.get(p.get("p_sex")), True),
    (
        "sort=p_age&q_p_sex=m",
        lambda p: p.get("p_sex") == "m",
        lambda p: p.get("p_age"),
        False,
    ),
    (
        "sort=p_sex&from_p_age=20&to_p_age=50",
        lambda p: 20 <= p.get("p_age", -1) <= 50,
        lambda p: SEX_RANK.get(p.get("p_sex")),
        False,
    ),
]


def instances_in_order(records, keep, key, descending) -> list[str]:
    """A repeat table's rows (their records' uuids) computed here: empty answers last
    either way, ties by record then instance."""
    rows = [
        (r["uuid"], i, p)
        for r in records
        for i, p in enumerate(r["answers"].get("people") or [], 1)
        if isinstance(p, dict) and keep(p)
    ]
    rows.sort(key=lambda x: (x[0], x[1]))
    full = [x for x in rows if key(x[2]) is not None]
    empty = [x for x in rows if key(x[2]) is None]
    full.sort(key=lambda x: key(x[2]), reverse=descending)  # stable: record, instance ties
    return [x[0] for x in full + empty]


def check_repeat(person, records) -> dict:
    got = {params: whole_view(person, PEOPLE, params) for params, *_ in REPEAT_VIEWS}
    for params, keep, key, descending in REPEAT_VIEWS:
        want = instances_in_order(records, keep, key, descending)
        assert got[params] == (want, len(want)), params
    return got


def item_keys(store) -> dict:
    """{(record, instance): age} of the repeat's age keys."""
    return {
        (row[0], row[1]): row[2]
        for row in store.db.execute(
            "SELECT record_uuid, item, num FROM answer_item_keys WHERE question = 'people/p_age'"
        ).fetchall()
    }


def ages_of(records) -> dict:
    return {
        (r["uuid"], i): p.get("p_age")
        for r in records
        for i, p in enumerate(r["answers"].get("people") or [], 1)
    }


def repeat_query(store, params: str):
    """The data_table.TableQuery of the repeat's table a query string asks for."""
    from urllib.parse import parse_qsl

    from werkzeug.datastructures import MultiDict

    from sync_server import data, data_table, exports

    forms = data.form_history(FORM_ID, store)
    shown = [c for c in exports.export_columns(forms, "people") if not c.meta]
    columns = data_table.table_columns(shown, forms, "en")
    return data_table.parse(MultiDict(parse_qsl(params)), columns)


def test_a_repeats_sort_reads_its_keys_with_the_json_paths_rows(team, monkeypatch):
    """A repeat's table sorted by one of its questions: read from the JSON while the keys
    are prepared (the notice says so), then from a key per instance, the same rows in the
    same order; the keys then follow a new revision, a correction and a removal."""
    from sync_server import retention

    monkeypatch.setattr(Store, "build_keys_in_background", False)
    published(team)
    stored = {r["uuid"]: r for r in (record(n) for n in range(60))}
    uuids = list(stored)
    stored[uuids[4]]["answers"]["people"] = [{"p_sex": "x"}, {"p_age": 33, "p_sex": "f"}]
    laptop = Laptop(team)
    laptop.push(list(stored.values()))
    admin = signed_in(team, "admin")
    page = admin.get(f"{PEOPLE}?sort=p_age")
    assert f"Sorting and filtering by P_Age {PREPARING}" in page.text
    from_json = check_repeat(admin, list(stored.values()))
    finish_keys(team.database)
    store = Store(team.database)
    try:
        query = repeat_query(store, "sort=p_age")
        assert query.sort is not None
        assert store.keyed_columns(FORM_ID, query, "people") == frozenset({"people/p_age"})
        assert item_keys(store) == ages_of(stored.values())
        # The unsorted table counts its rows from those keys too (a key per instance).
        instances = len(ages_of(stored.values()))
        assert store._instances_keyed(FORM_ID, "people") == instances
        _, total = store.repeat_page(FORM_ID, "people", {}, None, 1, classes=ALL_CLASSES)
        assert total == instances
    finally:
        store.close()
    assert PREPARING not in admin.get(f"{PEOPLE}?sort=p_age").text
    assert check_repeat(admin, list(stored.values())) == from_json

    # A new revision with more people, a correction of one person's age, two removed.
    people = [{"p_age": 1, "p_sex": "m"}, {"p_age": 99, "p_sex": "f"}, {"p_age": 50}]
    laptop.push([newest(stored, uuids[0], dict(stored[uuids[0]]["answers"], people=people))])
    store = Store(team.database)
    try:
        store.correct(uuids[4], "people.2.p_age", 7, "admin1")
        stored[uuids[4]]["answers"]["people"][1]["p_age"] = 7
        retention.remove_records(store, uuids[7:9], "admin1", "test", team.app.config["DATA_DIR"])
        for gone in uuids[7:9]:
            del stored[gone]
        assert store.unfinished_keys() == []
        assert item_keys(store) == ages_of(stored.values())
    finally:
        store.close()
    check_repeat(admin, list(stored.values()))


def test_sync_server_data_keys_builds_a_repeats_keys_ahead(team):
    """`sync-server data keys FORM REPEAT/QUESTION` keys a repeat's question per instance
    before anyone sorts its table; a repeat or question the form lacks is refused and
    nothing is registered."""
    from click.testing import CliRunner

    from sync_server.cli import cli

    published(team)
    records = [record(n) for n in range(12)]
    Laptop(team).push(records)
    options = ["--data-dir", team.app.config["DATA_DIR"], "--database", str(team.database)]
    runner = CliRunner()
    for wrong in ("nobody/p_age", "people/no_such_question"):
        result = runner.invoke(cli, ["data", "keys", *options, FORM_ID, wrong])
        assert result.exit_code == 2 and "has no" in result.output, result.output
    store = Store(team.database)
    try:
        assert store._key_columns(FORM_ID) == {}
    finally:
        store.close()
    result = runner.invoke(cli, ["data", "keys", *options, FORM_ID, "people/p_age"])
    assert result.exit_code == 0, result.output
    assert "Sort keys of people/p_age ready (" in result.output
    store = Store(team.database)
    try:
        assert item_keys(store) == ages_of(records)
        assert store.keyed_columns(FORM_ID, repeat_query(store, "sort=p_age"), "people") == {
            "people/p_age"
        }
    finally:
        store.close()
