"""A repeat inside another has a table to browse, as a repeat of the record does: a row per
inner instance with its record, its place (2.1: the outer instance, then its own) and the
keys of its export; sorted, filtered and paged from the instances' JSON, then from their
keys, on both engines; an analyst sees the released rows only, without the questions the
release empties; an unknown repeat is not found and bad parameters change nothing."""

from __future__ import annotations

import csv
import html
import io
import json
import re
import uuid
from urllib.parse import parse_qsl

import pytest
from werkzeug.datastructures import MultiDict

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
from test_data_table import Laptop, finish_keys, newest, sqlite_team  # noqa: F401 - fixture
from test_workspace import signed_in, team  # noqa: F401 - fixture

FORM_ID = "clinic_log"
KINDS = (("c", "Cholera"), ("a", "Asthma"), ("b", "Bronchitis"))  # not the codes' order
PER_PAGE = 50  # the server's page


FORM = {
    "form_id": FORM_ID,
    "version": "1",
    "title": {"en": "Clinic log"},
    "choices": {
        "kind": [{"name": c, "label": {"en": t}} for c, t in KINDS],
        "needs": [{"name": c, "label": {"en": t}} for c, t in NEEDS],
        "sex": [{"name": c, "label": {"en": c.upper()}} for c in "fm"],
    },
    "sections": [
        {"name": "main", "label": {"en": "Main"}, "questions": [form_question("village", "text")]},
        {
            "name": "members",
            "label": {"en": "Member"},
            "repeat": True,
            "questions": [
                form_question("m_age", "integer"),
                form_question("m_sex", "select_one", choices="sex"),
            ],
        },
        {
            "name": "illnesses",
            "label": {"en": "Illness"},
            "repeat": True,
            "within": "members",
            "questions": [
                form_question("i_days", "integer"),
                form_question("i_score", "decimal"),
                form_question("i_day", "date"),
                form_question("i_kind", "select_one", choices="kind"),
                form_question("i_needs", "select_multiple", choices="needs"),
                form_question("i_note", "text"),
                # A key question of the inner repeat: the release leaves it empty.
                form_question("i_secret", "text", disclosure="key"),
            ],
        },
        {
            "name": "visits",
            "label": {"en": "Clinic visit"},
            "repeat": True,
            "within": "illnesses",
            "questions": [form_question("v_clinic", "text"), form_question("v_cost", "integer")],
        },
    ],
}
INNER = "/data/clinic_log/repeat/illnesses"
LINEAGE = ("members", "illnesses")
# The views of the inner table compared: filters of every kind, alone and together, with
# and without a sort (by a question whose keys filter, or another).
VIEWS = [
    "",
    "q_i_kind=a",
    "q_i_kind=a&q_i_kind=b",
    "from_i_days=2&to_i_days=8",
    "from_i_score=1.5",
    "from_i_day=2026-03-01&to_i_day=2026-06-30",
    "q_i_note=road",
    "q_i_needs=n2",
    "q_i_needs=n1&from_i_days=3",
    "q_i_kind=b&from_i_days=1&sort=i_day&desc=1",
    "q_i_note=water&sort=i_days",
    "sort=i_kind",
    "q_i_kind=c&sort=i_needs&desc=1",
    "sort=i_note&desc=1",
    "sort=i_score",
]


def illness(n: int, i: int, j: int) -> dict:
    """An inner instance whose answers vary with its record and place; one in seven
    empty, some answers left out, some with clinic visits."""
    k = n + 2 * i + j
    if k % 7 == 3:
        return {}
    answers = {
        "i_days": (n * 3 + i * 5 + j) % 11,
        "i_score": [0.5, 1, 1.5, 2.25, 0.75][k % 5],
        "i_day": f"2026-{1 + k % 9:02d}-{1 + (n * 2 + j) % 27:02d}",
        "i_kind": "cab"[k % 3],
        "i_needs": [code for b, (code, _) in enumerate(NEEDS) if (k >> b) & 1],
        "i_note": NOTES[k % 5],
        "i_secret": f"secret-{n}-{i}-{j}",
    }
    if k % 11 == 5:
        answers["i_needs"] = "n2"  # one code alone, not in a list
    for name, every in (("i_days", 4), ("i_score", 5), ("i_day", 6), ("i_kind", 9)):
        if (n * 2 + j) % every == 1:
            del answers[name]
    if not answers["i_note"]:
        del answers["i_note"]
    if k % 3:
        answers["visits"] = [
            {"v_clinic": f"clinic {(k + v) % 4}", "v_cost": (k * 7 + v) % 13} for v in range(k % 3)
        ]
    return answers


def member(n: int, i: int) -> dict:
    answers = {"m_age": (n * 5 + i * 11) % 70, "m_sex": "fm"[(n + i) % 2]}
    if (n + i) % 5 != 4:  # else: no illness list at all
        answers["illnesses"] = [illness(n, i, j) for j in range((n + i) % 4)]
    return answers


def record(n: int, **changes) -> dict:
    """A record with 0 to 3 members (no list at all for one in eight)."""
    answers: dict = {"village": f"village {n % 4}"}
    if n % 8:
        answers["members"] = [member(n, i) for i in range(n % 4)]
    answers.update(changes.pop("answers", {}))
    return {
        "uuid": str(uuid.uuid4()),
        "revision": 1,
        "form_id": FORM_ID,
        "form_version": "1",
        "locale": "sw" if n % 5 == 0 else "en",
        "collected": "2026-11-20",
        "enumerator": None,
        "answers": answers,
        **changes,
    }


def published(central) -> None:
    store = Store(central.database)
    try:
        publish(store, json.dumps(FORM), "admin")
    finally:
        store.close()


def inner_rows(stored: dict) -> list[tuple[str, str, dict]]:
    """(record, place, answers) of every illness, walked here: members then their
    illnesses, instances that are objects only."""
    found = []
    for r in stored.values():
        members = r["answers"].get("members")
        for i, m in enumerate(members if isinstance(members, list) else [], 1):
            items = m.get("illnesses") if isinstance(m, dict) else None
            for j, item in enumerate(items if isinstance(items, list) else [], 1):
                if isinstance(item, dict):
                    found.append((r["uuid"], f"{i}.{j}", item))
    return found


def query_of(store, params: str, repeat: str = "illnesses", analyst: bool = False):
    """The data_table.TableQuery of an inner table a query string asks for."""
    return table_query(store, FORM_ID, repeat, params, analyst)


sort_key = choice_sort(KINDS, NEEDS)


def computed(store, stored: dict, params: str, meta=None, released=False) -> list:
    """A view computed here from the newest answers: (record, place) in the table's order."""
    rows = [
        (u, tuple(map(int, place.split("."))), item)
        for u, place, item in inner_rows(stored)
        if meta is None or stored[u]["locale"] == meta
    ]
    query = query_of(store, params)
    view = expected_view(store, FORM_ID, rows, query, sort_key, released)
    return [(u, ".".join(map(str, place))) for u, place in view]


def paged(store, params: str, per_page: int = 17, **options) -> tuple[list, int, list]:
    """Every page of a view from Store.repeat_page: (record, place), the total counted
    with the first page, and the instances' answers."""
    query = query_of(store, params)
    places, total, answers = every_page(
        store, FORM_ID, "illnesses", query, per_page, within=("members",), **options
    )
    return [(u, ".".join(map(str, place))) for u, place in places], total, answers


def store_views(store, stored: dict, hidden=frozenset()) -> dict:
    """Every view as the store pages it, checked against the computation here: as an
    admin, with a metadata filter, and as a release (record order, some records hidden)."""
    by_place = {(u, p): item for u, p, item in inner_rows(stored)}
    got = {}
    for params in VIEWS:
        for meta in (None, "sw"):
            options = {"filters": {"language": meta}} if meta else {}
            rows, total, answers = paged(store, params, **options)
            want = computed(store, stored, params, meta)
            assert (rows, total) == (want, len(want)), (params, meta)
            assert answers == [by_place[row] for row in rows], params
            got[params, meta] = rows
        rows, total, _ = paged(store, params, released=True, hidden=hidden)
        visible = {u: r for u, r in stored.items() if u not in hidden}
        want = computed(store, visible, params, released=True)
        assert (rows, total) == (want, len(want)), (params, "released")
        got[params, "released"] = rows
    return got


ROW = re.compile(
    r'<tr>\s*<td><a href="/data/record/([0-9a-f-]{36})"[^>]*>[^<]*</a></td>\s*'
    r'<td>([0-9.]+)</td>\s*<td translate="no">([^<]*)</td><td translate="no">([^<]*)</td>'
)


def page_rows(text: str) -> list[tuple[str, str, str, str]]:
    """(record, place, parent key, key) of each row of a page, in order."""
    return ROW.findall(text[text.index("<tbody>") :])


def total_of(text: str) -> int:
    return int(re.search(r"<p>([0-9,]+) rows?</p>", text).group(1).replace(",", ""))


def whole(person, path: str, params: str = "") -> tuple[list, int, list[str]]:
    """Every page of a view: its rows, the total the page says, and the pages' text."""
    rows, texts, page = [], [], 1
    while True:
        response = person.get(f"{path}?{params}&page={page}")
        assert response.status_code == 200, (params, response.text[:500])
        texts.append(response.text)
        found = page_rows(response.text)
        rows += found
        if ">Next page<" not in response.text and 'rel="next"' not in response.text:
            return rows, total_of(response.text), texts
        assert len(found) == PER_PAGE
        page += 1


def csv_rows(response) -> list[dict]:
    assert response.status_code == 200, response.text[:300]
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))


def exported(rows: list[dict]) -> list[tuple[str, str, str, str]]:
    """(record, place, parent key, key) of an export's rows, the place read from its key."""
    return [
        (
            row["_parent_uuid"],
            ".".join(re.findall(r"\[([0-9]+)\]", row["_key"])),
            row["_parent_key"],
            row["_key"],
        )
        for row in rows
    ]


def export_link(text: str, fmt: str = "csv") -> str:
    """The page's download link of a format (its view's filters)."""
    found = re.search(rf'href="(/data/{FORM_ID}/export\.{fmt}\?[^"]+)"', text)
    return html.unescape(found.group(1))


def test_the_inner_tables_rows_and_keys_are_those_of_its_export(team):
    published(team)
    stored = {r["uuid"]: r for r in (record(n) for n in range(70))}
    Laptop(team).push(list(stored.values()))
    admin = signed_in(team, "admin")
    # The records page links each table, the inner ones after the one they sit in.
    page = admin.get(f"/data/{FORM_ID}").text
    link = rf'<p class="downloads([^"]*)"><a href="/data/{FORM_ID}/repeat/(\w+)"'
    tables = re.findall(link, page)
    assert tables == [("", "members"), (" depth-1", "illnesses"), (" depth-2", "visits")]

    rows, total, texts = whole(admin, INNER)
    want = [(u, p) for u, p, _ in inner_rows(stored)]
    assert total == len(want) > 2 * PER_PAGE
    assert sorted((u, p) for u, p, _, _ in rows) == sorted(want)
    for u, place, parent, key in rows:
        i, j = place.split(".")
        assert (parent, key) == (f"{u}/members[{i}]", f"{parent}/illnesses[{j}]")
    raw = "release=raw&reason=checking"
    export = exported(csv_rows(admin.get(f"/data/{FORM_ID}/export.csv?repeat=illnesses&{raw}")))
    assert sorted(rows) == sorted(export)
    assert "Cholera" in texts[0] and "The table of Member" in texts[0]  # labels; the outer table

    # A filtered view and its download link: the same rows (records as stored, with a reason).
    view = "q_i_kind=a&q_i_kind=c&from_i_days=2"
    rows, total, texts = whole(admin, INNER, view)
    assert total == len(rows) > 0
    link = export_link(texts[0])
    assert "repeat=illnesses" in link and "q_i_kind=a" in link and "from_i_days=2" in link
    assert sorted(rows) == sorted(exported(csv_rows(admin.get(f"{link}&{raw}"))))
    store = Store(team.database)
    try:
        want = computed(store, stored, view)
    finally:
        store.close()
    assert [(u, p) for u, p, _, _ in rows] == want

    # Three deep: each visit with its illness's and member's places.
    rows, total, _ = whole(admin, f"/data/{FORM_ID}/repeat/visits", "sort=v_cost&desc=1")
    visits = exported(csv_rows(admin.get(f"/data/{FORM_ID}/export.csv?repeat=visits&{raw}")))
    assert sorted(rows) == sorted(visits) and total == len(visits) > 0
    assert {len(place.split(".")) for _, place, _, _ in rows} == {3}
    costs = {
        f"{u}/members[{i}]/illnesses[{j}]/visits[{v}]": visit["v_cost"]
        for u, r in stored.items()
        for i, m in enumerate(r["answers"].get("members", []), 1)
        for j, item in enumerate(m.get("illnesses", []), 1)
        for v, visit in enumerate(item.get("visits", []), 1)
    }
    assert [costs[key] for _, _, _, key in rows] == sorted(costs.values(), reverse=True)


def test_sorts_and_filters_read_the_json_then_the_keys_with_the_same_rows(team, monkeypatch):
    """The views from the instances' JSON (keys not made yet), then from the keys, on both
    engines: the rows computed here, in the same order; then after a new revision."""
    monkeypatch.setattr(Store, "build_keys_in_background", False)  # the test runs the steps
    published(team)
    stored = {r["uuid"]: r for r in (record(n) for n in range(80))}
    uuids = list(stored)
    laptop = Laptop(team)
    laptop.push(list(stored.values())[:40])  # two arrivals: the unsorted order tells them apart
    laptop.push(list(stored.values())[40:])
    hidden = frozenset(uuids[3:12])
    admin = signed_in(team, "admin")
    page = admin.get(f"{INNER}?q_i_kind=a&from_i_days=2")
    assert "Sorting and filtering by I_Kind is being prepared" in page.text
    store = Store(team.database)
    try:
        from_json = store_views(store, stored, hidden)  # and registers every question
        finish_keys(team.database)
        names = ("i_days", "i_score", "i_day", "i_kind", "i_needs", "i_note")
        keyed = set()
        for params in VIEWS:
            keyed |= store.keyed_columns(FORM_ID, query_of(store, params), "illnesses", LINEAGE[:1])
        assert keyed == {f"illnesses/{name}" for name in names}
        # A key per inner instance, numbered by its rank in the record.
        counted = store.db.execute(
            "SELECT count(*) FROM answer_item_keys WHERE question = 'illnesses/i_kind'"
        ).fetchone()[0]
        assert counted == len(inner_rows(stored))
        assert store_views(store, stored, hidden) == from_json
        # Many matches: an unsorted page reads the records in their order, not the keys.
        monkeypatch.setattr(Store, "FEW", 3)
        assert store_views(store, stored, hidden) == from_json
        monkeypatch.setattr(Store, "FEW", 5000)
    finally:
        store.close()
    page = admin.get(f"{INNER}?q_i_kind=a&from_i_days=2")
    assert "is being prepared" not in page.text

    # A new revision with other inner instances: its keys follow it.
    changed = dict(stored[uuids[1]]["answers"])
    changed["members"] = [
        {"m_age": 30, "illnesses": [illness(500, 0, 0), {}, illness(501, 0, 2)]},
        {"m_age": 9},
        {"m_age": 12, "illnesses": [illness(502, 2, 0)]},
    ]
    laptop.push([newest(stored, uuids[1], changed)])
    store = Store(team.database)
    try:
        assert store.unfinished_keys() == []
        after = store_views(store, stored, hidden)
        assert after != from_json
    finally:
        store.close()
    for params in (VIEWS[9], VIEWS[12], ""):
        rows, total, _ = whole(admin, INNER, params)
        assert [(u, p) for u, p, _, _ in rows] == after[params, None], params


def test_an_analyst_sees_released_rows_without_the_emptied_questions(team):
    # One record alone in its group (another language and month): the release leaves it out.
    odd = record(3, locale="fr", collected="2026-01-05")
    published(team)
    stored = {r["uuid"]: r for r in [record(n) for n in range(60)] + [odd]}
    Laptop(team).push(list(stored.values()))
    analyst, admin = signed_in(team, "analyst"), signed_in(team, "admin")
    assert analyst.get(f"/data/{FORM_ID}/release").json()["records_left_out"] >= 1

    rows, total, texts = whole(analyst, INNER)
    released = exported(csv_rows(analyst.get(f"/data/{FORM_ID}/export.csv?repeat=illnesses")))
    assert rows == released and total == len(released) > 0  # in record order, as exported
    assert odd["uuid"] not in {u for u, _, _, _ in rows}
    assert odd["uuid"] in {u for u, _, _, _ in whole(admin, INNER)[0]}
    # The key question of the inner repeat: on no page nor download of an analyst's.
    assert not any("secret-" in text for text in texts)
    assert "secret-" in admin.get(INNER).text
    for fmt in ("csv", "jsonl"):
        download = analyst.get(f"/data/{FORM_ID}/export.{fmt}?repeat=illnesses")
        assert download.status_code == 200 and "secret-" not in download.text
    # A released record with a secret to hide (an empty instance has none).
    items = {(u, place): item for u, place, item in inner_rows(stored)}
    shown = next(u for u, place, _, _ in rows if "i_secret" in items[u, place])
    assert "secret-" not in analyst.get(f"/data/record/{shown}").text
    assert "secret-" in admin.get(f"/data/record/{shown}").text
    # Nor sorted or filtered by it; the others are, over the released records only.
    for params in ("sort=i_secret", "q_i_secret=secret"):
        refused = analyst.get(f"{INNER}?{params}")
        assert refused.status_code == 400 and "cannot be sorted or filtered" in refused.text
        assert total_of(refused.text) == total
    visible = {u: stored[u] for u in {u for u, _, _, _ in released}}
    store = Store(team.database)
    try:
        for params in ("q_i_kind=a&sort=i_days&desc=1", "from_i_day=2026-04-01&sort=i_note"):
            want = computed(store, visible, params, released=True)
            got, count, _ = whole(analyst, INNER, params)
            assert ([(u, p) for u, p, _, _ in got], count) == (want, len(want)), params
            link = export_link(whole(analyst, INNER, params)[2][0])
            assert sorted(got) == sorted(exported(csv_rows(analyst.get(link)))), params
    finally:
        store.close()


BAD = [
    ("sort=nothing", "There is no column nothing to sort by."),
    ("q_nothing=1", "There is no column nothing to filter by."),
    ("from_i_days=ten", "ten is not a number (I_Days)."),
    ("from_i_day=2026-13-01", "2026-13-01 is not a date written as YYYY-MM-DD"),
    ("q_i_kind=zebra", "I_Kind has no choice zebra."),
    ("from_i_days=9&to_i_days=2", "The range of I_Days ends before it starts."),
    ("q_i_days=3", "I_Days is filtered by a range"),
]


def test_unknown_tables_bad_parameters_and_pages_that_stay_put(team, monkeypatch):
    monkeypatch.setattr(Store, "build_keys_in_background", False)
    published(team)
    stored = {r["uuid"]: r for r in (record(n) for n in range(70))}
    Laptop(team).push(list(stored.values()))
    admin = signed_in(team, "admin")
    for name in ("nothing", "i_days", "main"):  # no repeat, a question, a section
        assert admin.get(f"/data/{FORM_ID}/repeat/{name}").status_code == 404
    assert admin.get("/data/no_such_form/repeat/illnesses").status_code == 404
    everything = total_of(admin.get(INNER).text)

    def state():
        store = Store(team.database)
        try:
            keys = store.db.execute("SELECT * FROM answer_key_columns").fetchall()
            records = store.db.execute("SELECT uuid, revision, answers FROM records").fetchall()
            return sorted(map(tuple, keys)), sorted(map(tuple, records))
        finally:
            store.close()

    before = state()
    for params, message in BAD:
        response = admin.get(f"{INNER}?{params}&sort=i_days")
        assert response.status_code == 400, params
        assert message in html.unescape(response.text), params
        assert total_of(response.text) == everything and 'aria-sort="' not in response.text
        assert len(page_rows(response.text)) == min(PER_PAGE, everything), params
    assert state() == before  # no keys set to be made, no record touched

    # Pages stay put: the same page twice, and the pages one after the other, with ties
    # (many instances have the same kind) in the order of record and place.
    for params in ("sort=i_kind", ""):
        rows, total, _ = whole(admin, INNER, params)
        assert len(rows) == len(set(rows)) == total == everything
        again = admin.get(f"{INNER}?{params}&page=2").text
        assert page_rows(again) == rows[PER_PAGE : 2 * PER_PAGE]
        assert page_rows(admin.get(f"{INNER}?{params}&page=2").text) == page_rows(again)
    store = Store(team.database)
    try:
        assert [(u, p) for u, p, _, _ in whole(admin, INNER, "sort=i_kind")[0]] == computed(
            store, stored, "sort=i_kind"
        )
    finally:
        store.close()


@pytest.mark.parametrize("chromium", [1280], indirect=True)
@pytest.mark.parametrize("lang", ["en", "ar"])
def test_an_inner_table_passes_automated_accessibility_checks(sqlite_team, chromium, lang):
    from browsing import sign_in_to_server, wait_for
    from test_data_table import PASSWORD
    from test_form_publishing_browser import accessibility_problems

    published(sqlite_team)
    Laptop(sqlite_team).push([record(n) for n in range(8)])
    sign_in_to_server(chromium, sqlite_team.url, "admin1", PASSWORD, lang)
    chromium.get(f"{sqlite_team.url}{INNER}?sort=i_kind")
    wait_for(chromium, "table tbody tr")
    assert accessibility_problems(chromium) == []
    chromium.get(f"{sqlite_team.url}/data/{FORM_ID}")  # the tables' links, indented
    wait_for(chromium, "p.downloads.depth-1")
    assert accessibility_problems(chromium) == []
