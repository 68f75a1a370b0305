"""A repeat's filters read its questions' keys (answer_item_keys, a key per instance) once
they are complete, as its sort does: the same rows in the same order as the JSON path, on
both engines, for numbers, decimals, dates, text, single and multiple choice, empty
instances, records without instances, new revisions, corrections and removed records;
with a metadata filter, an analyst's hidden records, and either way of reading an
unsorted page (from the keys, or the records in their order)."""

from __future__ import annotations

import json
import uuid

from repeat_views import (
    NEEDS,
    NOTES,
    choice_sort,
    every_page,
    expected_view,
    form_question,
    table_query,
)
from sync_server.access import ALL_CLASSES
from sync_server.forms import publish
from sync_server.store import Store
from test_data_table import Laptop, finish_keys, newest, page_uuids, whole_view
from test_workspace import signed_in, team  # noqa: F401 - fixture

FORM_ID = "visit_log"
REPEAT = "visits"
KINDS = (("c", "Clinic"), ("a", "Aid"), ("b", "Borehole"))  # questionnaire order: not the codes'


FORM = {
    "form_id": FORM_ID,
    "version": "1",
    "title": {"en": "Visit log"},
    "choices": {
        "kind": [{"name": c, "label": {"en": t}} for c, t in KINDS],
        "needs": [{"name": c, "label": {"en": t}} for c, t in NEEDS],
    },
    "sections": [
        {
            "name": "main",
            "label": {"en": "Main"},
            "questions": [form_question("village", "text")],
        },
        {
            "name": REPEAT,
            "label": {"en": "Visits"},
            "repeat": True,
            "questions": [
                form_question("v_count", "integer"),
                form_question("v_score", "decimal"),
                form_question("v_day", "date"),
                form_question("v_kind", "select_one", choices="kind"),
                form_question("v_needs", "select_multiple", choices="needs"),
                form_question("v_note", "text"),
            ],
        },
    ],
}

# The views of the repeat's table compared: filters of every kind, alone and together,
# with and without a sort (by a question whose keys filter, or another).
VIEWS = [
    "q_v_kind=a",
    "q_v_kind=a&q_v_kind=b",
    "from_v_count=2&to_v_count=8",
    "from_v_score=1.5",
    "to_v_score=0.75",
    "from_v_day=2026-03-01&to_v_day=2026-06-30",
    "to_v_day=2026-04-15",
    "q_v_note=road",
    "q_v_needs=n2",
    "q_v_needs=n1&from_v_count=3",
    "q_v_kind=b&from_v_count=1&sort=v_day&desc=1",
    "q_v_note=water&sort=v_count",
    "from_v_count=0&sort=v_kind",
    "q_v_kind=c&sort=v_needs&desc=1",
    "q_v_needs=n3&sort=v_count",
    "q_v_kind=a&from_v_day=2026-02-01&q_v_note=w&sort=v_score",
    "sort=v_note&desc=1",
]


def visit(n: int, i: int) -> dict:
    """An instance whose answers vary with n and i; some left out, one in seven empty."""
    if (n + i) % 7 == 3:
        return {}
    answers = {
        "v_count": (n * 3 + i * 5) % 11,
        "v_score": [0.5, 1, 1.5, 2.25, 0.75][(n + 2 * i) % 5],
        "v_day": f"2026-{1 + (n + i) % 9:02d}-{1 + (n * 2 + i) % 27:02d}",
        "v_kind": "cab"[(n + i) % 3],
        "v_needs": [code for b, (code, _) in enumerate(NEEDS) if ((n + i) >> b) & 1],
        "v_note": NOTES[(n + i) % 5],
    }
    if (n + i) % 11 == 5:
        answers["v_needs"] = "n2"  # one code alone, not in a list
    elif (n + i) % 13 == 6:
        answers["v_needs"] = ["n3", "n3", "n1"]  # a code ticked twice
    for name, every in (("v_count", 4), ("v_score", 5), ("v_day", 6), ("v_kind", 9)):
        if (n * 2 + i) % every == 1:
            del answers[name]
    if not answers["v_note"]:
        del answers["v_note"]
    return answers


def record(n: int) -> dict:
    """A record with 0 to 3 instances (none at all for one in eight)."""
    answers: dict = {"village": f"village {n % 4}"}
    if n % 8:
        answers[REPEAT] = [visit(n, i) for i in range(n % 4)]
    return {
        "uuid": str(uuid.uuid4()),
        "revision": 1,
        "form_id": FORM_ID,
        "form_version": "1",
        "locale": "sw" if n % 5 == 0 else "en",
        "collected": "2026-11-20",
        "enumerator": None,
        "answers": answers,
    }


def query_of(store, params: str):
    """The data_table.TableQuery of the repeat's table a query string asks for."""
    return table_query(store, FORM_ID, REPEAT, params)


sort_key = choice_sort(KINDS, NEEDS)


def computed(store, stored: dict, params: str, meta=None, hidden=(), released=False) -> list:
    """A view computed here from the newest answers: (uuid, instance) in the table's order."""
    rows = [
        (r["uuid"], i, inst)
        for r in stored.values()
        if r["uuid"] not in hidden and (meta is None or r["locale"] == meta)
        for i, inst in enumerate(r["answers"].get(REPEAT) or [], 1)
        if isinstance(inst, dict)
    ]
    query = query_of(store, params)
    return expected_view(store, FORM_ID, rows, query, sort_key, released)


def paged(store, params: str, per_page: int = 20, **options) -> tuple[list, int, list]:
    """Every page of a view from Store.repeat_page: (uuid, instance), the total, and the
    instances' answers."""
    places, total, answers = every_page(
        store, FORM_ID, REPEAT, query_of(store, params), per_page, **options
    )
    return [(u, place[-1]) for u, place in places], total, answers


CASES = [
    {},
    {"filters": {"language": "sw"}},  # a metadata filter: the records are read too
]


UNSORTED = [params for params in VIEWS if "sort=" not in params]


def views(store, stored: dict, hidden: frozenset, which=VIEWS) -> dict:
    """Every view as the store pages it, checked against the computation here; with a
    metadata filter, and as an analyst's release (uuid order, some records hidden)."""
    got = {}
    for params in which:
        for case in CASES:
            meta = case.get("filters", {}).get("language")
            rows, total, answers = paged(store, params, **case)
            want = computed(store, stored, params, meta)
            assert (rows, total) == (want, len(want)), (params, case)
            for (record_uuid, index), instance in zip(rows, answers, strict=True):
                assert instance == stored[record_uuid]["answers"][REPEAT][index - 1]
            got[params, meta] = rows
        rows, total, _ = paged(store, params, released=True, hidden=hidden)
        want = computed(store, stored, params, hidden=hidden, released=True)
        assert (rows, total) == (want, len(want)), (params, "released")
        got[params, "released"] = rows
    return got


def keyed_questions(store) -> frozenset:
    """The repeat's questions whose keys every view reads (complete)."""
    found = set()
    for params in VIEWS:
        found |= store.keyed_columns(FORM_ID, query_of(store, params), REPEAT)
    return frozenset(found)


def item_codes(store) -> dict:
    """{(record, instance): sorted codes} of the multiple choice's key rows."""
    found: dict = {}
    for record_uuid, item, code in store.db.execute(
        "SELECT record_uuid, item, code FROM answer_item_choice_keys WHERE question = ?",
        [f"{REPEAT}/v_needs"],
    ).fetchall():
        found.setdefault((record_uuid, item), []).append(code)
    return {key: sorted(codes) for key, codes in found.items()}


def codes_of(stored: dict) -> dict:
    """The same, computed here from the newest answers."""
    return {
        (r["uuid"], i): sorted(
            {inst["v_needs"]} if isinstance(inst["v_needs"], str) else set(inst["v_needs"])
        )
        for r in stored.values()
        for i, inst in enumerate(r["answers"].get(REPEAT) or [], 1)
        if isinstance(inst, dict) and inst.get("v_needs")
    }


def test_a_repeats_filters_read_its_keys_with_the_json_paths_rows(team, monkeypatch):
    """The views read from the instances' JSON (keys not made yet), then from the keys:
    the same rows in the same order, and those computed here; then again after a new
    revision, a correction and two records removed, from keys kept up by each."""
    from sync_server import retention

    monkeypatch.setattr(Store, "build_keys_in_background", False)  # the test runs the steps
    store = Store(team.database)
    try:
        publish(store, json.dumps(FORM), "admin")
    finally:
        store.close()
    stored = {r["uuid"]: r for r in (record(n) for n in range(90))}
    uuids = list(stored)
    laptop = Laptop(team)
    laptop.push(list(stored.values())[:50])  # two arrivals: the unsorted order tells them apart
    laptop.push(list(stored.values())[50:])
    hidden = frozenset(uuids[3:12])
    store = Store(team.database)
    try:
        assert keyed_questions(store) == frozenset()  # registers the questions' keys
        from_json = views(store, stored, hidden)
        finish_keys(team.database)
        # Every question is read from keys now (a multiple choice: its codes ticked per
        # instance, answer_item_choice_keys, for its filters; its first code for its sort).
        names = ("v_count", "v_score", "v_day", "v_kind", "v_needs", "v_note")
        assert keyed_questions(store) == {f"{REPEAT}/{name}" for name in names}
        assert item_codes(store) == codes_of(stored)
        assert views(store, stored, hidden) == from_json
        # Many matches: an unsorted page reads the records in their order, not the keys.
        monkeypatch.setattr(Store, "FEW", 3)
        unsorted = views(store, stored, hidden, UNSORTED)
        assert unsorted == {k: v for k, v in from_json.items() if k[0] in UNSORTED}
        monkeypatch.undo()
        monkeypatch.setattr(Store, "build_keys_in_background", False)
    finally:
        store.close()

    # A new revision with other instances, a correction, two records removed.
    changed = dict(stored[uuids[0]]["answers"], visits=[visit(500, 0), {}, visit(501, 2)])
    laptop.push([newest(stored, uuids[0], changed)])
    store = Store(team.database)
    try:
        target = next(u for u in uuids[20:] if len(stored[u]["answers"].get(REPEAT) or []) >= 2)
        store.correct(target, f"{REPEAT}.2.v_count", 99, "admin1")
        stored[target]["answers"][REPEAT][1]["v_count"] = 99
        retention.remove_records(store, uuids[30:32], "admin1", "test", team.app.config["DATA_DIR"])
        for gone in uuids[30:32]:
            del stored[gone]
        assert store.unfinished_keys() == []
        assert item_codes(store) == codes_of(stored)
        after = views(store, stored, hidden)
        assert after != from_json  # the changes show, from the keys
        monkeypatch.setattr(Store, "FEW", 3)
        unsorted = views(store, stored, hidden, UNSORTED)
        assert unsorted == {k: v for k, v in after.items() if k[0] in UNSORTED}
    finally:
        store.close()


def test_the_repeats_page_filters_by_keys_and_says_when_they_are_ready(team, monkeypatch):
    """Through the page: a filter on a repeat's question says its keys are being prepared,
    then reads them, with the same rows."""
    monkeypatch.setattr(Store, "build_keys_in_background", False)
    store = Store(team.database)
    try:
        publish(store, json.dumps(FORM), "admin")
    finally:
        store.close()
    records = [record(n) for n in range(40)]
    Laptop(team).push(records)
    admin = signed_in(team, "admin")
    path, params = f"/data/{FORM_ID}/repeat/{REPEAT}", "q_v_kind=a&from_v_count=2"
    page = admin.get(f"{path}?{params}")
    assert "Sorting and filtering by V_Kind is being prepared" in page.text
    assert page_uuids(page.text)
    before = whole_view(admin, path, params)
    finish_keys(team.database)
    page = admin.get(f"{path}?{params}")
    assert "is being prepared" not in page.text
    assert whole_view(admin, path, params) == before
    store = Store(team.database)
    try:
        want = computed(store, {r["uuid"]: r for r in records}, params)
    finally:
        store.close()
    assert before == ([u for u, _ in want], len(want))


def test_a_repeats_multiple_choice_keyed_before_the_upgrade_is_keyed_again(tmp_path):
    """Keys of a repeat's multiple choice made before m020 (for its sort: no rows per code
    ticked): the upgrade sets it to be built again; the others stay complete."""
    from sync_server.database import SQLiteDatabase
    from sync_server.store import migrations

    db = SQLiteDatabase.open(tmp_path / "sync-server.db")
    migrations.apply(db, stop_before="m020_item_choice_keys")
    for question, spec in (
        (f"{REPEAT}/v_needs", '["choices", ["n1", "n2", "n3"]]'),
        (f"{REPEAT}/v_count", '["number", []]'),
        ("tags", '["choices", ["t1", "t2"]]'),  # a record's question: it has its rows
    ):
        db.execute(
            "INSERT INTO answer_key_columns (form, question, spec, made_at, built_through)"
            " VALUES (?, ?, ?, '2026-12-07T02:00:00Z', NULL)",
            [FORM_ID, question, spec],
        )
    db.conn.commit()
    db.close()
    store = Store.create(tmp_path / "sync-server.db")
    try:
        assert store.unfinished_keys() == [(FORM_ID, f"{REPEAT}/v_needs")]
        assert "answer_item_choice_keys" in store.db.table_names()
    finally:
        store.close()
