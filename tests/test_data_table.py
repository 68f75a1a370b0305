"""The data table on a real server: sort and filter by answers on the server, paged, in
the URL; exports of a filtered view; a repeat's table; an analyst sorts and filters only
released values; bad parameters get a message and the unfiltered table."""

from __future__ import annotations

import csv
import html
import io
import json
import re
import uuid
from pathlib import Path

import pytest
import requests

from collector.passwords import hash_secret
from support import Central
from sync_server.forms import publish
from sync_server.store import Store
from test_workspace import PASSWORD, ROLES, api_token, push_records, signed_in, team  # noqa: F401

FORM_ID = "table_test"
GENDERS = (("f", "Female"), ("m", "Male"), ("x", "Another gender"))
KINDS = (("c", "Cow"), ("a", "Ant"), ("b", "Bee"))  # questionnaire order is not the codes'
TAGS = (("t1", "Rain"), ("t2", "Road"), ("t3", "School"))


def _choices(items):
    return [{"name": code, "label": {"en": label}} for code, label in items]


def _question(name, kind, **more):
    return {"name": name, "type": kind, "privacy": "keep", "label": {"en": name.title()}, **more}


FORM = {
    "form_id": FORM_ID,
    "version": "1",
    "title": {"en": "Table test"},
    "choices": {"gender": _choices(GENDERS), "kind": _choices(KINDS), "tags": _choices(TAGS)},
    "sections": [
        {
            "name": "main",
            "label": {"en": "Main"},
            "questions": [
                _question("gender", "select_one", choices="gender", disclosure="key"),
                _question("kind", "select_one", choices="kind"),
                _question("tags", "select_multiple", choices="tags"),
                _question("size", "integer"),
                _question("visit_date", "date"),
                _question("note", "text"),
            ],
        },
        {
            "name": "people",
            "label": {"en": "People"},
            "repeat": True,
            "questions": [
                _question("p_age", "integer"),
                _question("p_sex", "select_one", choices="gender"),
            ],
        },
    ],
}
NOTES = ("Water is far", "the ROAD is broken", "school fees", "")


@pytest.fixture
def sqlite_team(tmp_path):
    """`team` on SQLite only, for what does not depend on the engine (the pages' logic)."""
    server = Central(tmp_path / "central-data")
    store = Store(server.database)
    for role in ROLES:
        store.add_user(f"{role}1", role, hash_secret(PASSWORD))
    store.close()
    yield server
    server.stop()


def record(n: int, **changes) -> dict:
    """A record whose answers vary with n; some answers missing, to sort last."""
    answers = {
        "gender": "fm"[n % 2],
        "kind": "cab"[n % 3],
        "tags": [code for i, (code, _) in enumerate(TAGS) if (n >> i) & 1],
        "size": (n * 7) % 23,
        "visit_date": f"2026-{1 + n % 9:02d}-{1 + n % 27:02d}",
        "note": NOTES[n % 4],
        "people": [
            {"p_age": (n * 5 + i * 11) % 70, "p_sex": "fm"[(n + i) % 2]} for i in range(n % 3)
        ],
    }
    if n % 5 == 0:
        del answers["size"]
    if n % 7 == 0:
        del answers["visit_date"]
    if not answers["note"]:
        del answers["note"]
    answers.update(changes.pop("answers", {}))
    return {
        "uuid": str(uuid.uuid4()),
        "revision": 1,
        "form_id": FORM_ID,
        "form_version": "1",
        "locale": "en",
        "collected": "2026-11-20",
        "enumerator": None,
        "answers": answers,
        **changes,
    }


def published(central) -> None:
    """The test form published on the server, as an admin would."""
    store = Store(central.database)
    try:
        publish(store, json.dumps(FORM), "admin")
    finally:
        store.close()


def loaded(central, records) -> list[dict]:
    published(central)
    push_records(central, records)
    return records


def page_uuids(text: str) -> list[str]:
    """The records (or a repeat's rows) of a page, in order, by their record links (a
    record the release leaves out: the start of its uuid, without a link)."""
    body = text[text.index("<tbody>") :]
    found = re.findall(
        r'href="/data/record/([0-9a-f-]{36})"|<td><span translate="no">([0-9a-f]{8})</span>', body
    )
    return [linked or withheld for linked, withheld in found]


def total_of(text: str) -> int:
    return int(re.search(r"<p>([0-9,]+) (?:records?|rows?)</p>", text).group(1).replace(",", ""))


def whole_view(person, path: str, params: str) -> tuple[list[str], int]:
    """Every page of a view, as one list of uuids, and the total the page says."""
    uuids, page = [], 1
    while True:
        response = person.get(f"{path}?{params}&page={page}")
        assert response.status_code == 200, response.text[:500]
        found = page_uuids(response.text)
        uuids += found
        if 'rel="next"' not in response.text and ">Next page<" not in response.text:
            return uuids, total_of(response.text)
        page += 1


def expected(records, keep=lambda a: True, key=None, descending=False) -> list[str]:
    """The table's order computed here: the filter, then the sort with empty answers last
    either way and ties by uuid."""
    kept = [r for r in records if keep(r["answers"])]
    kept.sort(key=lambda r: r["uuid"])
    if key is None:
        return [r["uuid"] for r in kept]
    full = [r for r in kept if key(r["answers"]) is not None]
    empty = [r for r in kept if key(r["answers"]) is None]
    full.sort(key=lambda r: key(r["answers"]), reverse=descending)  # stable: uuid ties
    return [r["uuid"] for r in full + empty]


KIND_RANK = {code: i for i, (code, _) in enumerate(KINDS)}


def test_sort_and_filter_match_a_computation_on_the_same_records(team):
    records = loaded(team, [record(n) for n in range(61)] + [record(61, locale="sw")])
    admin = signed_in(team, "admin")
    path = f"/data/{FORM_ID}"
    cases = [
        ("sort=kind", lambda a: True, lambda a: KIND_RANK.get(a.get("kind")), False),
        ("sort=size&desc=1", lambda a: True, lambda a: a.get("size"), True),
        ("sort=visit_date", lambda a: True, lambda a: a.get("visit_date"), False),
        ("sort=note&desc=1", lambda a: True, lambda a: a.get("note"), True),
        (
            "sort=tags",
            lambda a: True,
            lambda a: KIND_RANK.get(None) if not a.get("tags") else int(a["tags"][0][1]),
            False,
        ),
        (
            "q_kind=a&q_kind=b&from_size=3&to_size=15&sort=size",
            lambda a: a.get("kind") in ("a", "b") and 3 <= a.get("size", -1) <= 15,
            lambda a: a.get("size"),
            False,
        ),
        ("q_tags=t2", lambda a: "t2" in a.get("tags", []), None, False),
        ("q_note=road", lambda a: "road" in a.get("note", "").lower(), None, False),
        (
            "from_visit_date=2026-03-01&to_visit_date=2026-06-30&sort=visit_date&desc=1",
            lambda a: "2026-03-01" <= a.get("visit_date", "") <= "2026-06-30",
            lambda a: a.get("visit_date"),
            True,
        ),
    ]
    for params, keep, key, descending in cases:
        want = expected(records, keep, key, descending)
        if key is None:  # the admin's table is newest first when not sorted: compare sets
            got, total = whole_view(admin, path, params)
            assert sorted(got) == sorted(want) and total == len(want), params
        else:
            got, total = whole_view(admin, path, params)
            assert got == want and total == len(want), params
    # With the metadata filters: the record in Swahili only.
    swahili = [r["uuid"] for r in records if r["locale"] == "sw"]
    got, total = whole_view(admin, path, "language=sw&q_kind=a&q_kind=b&q_kind=c&sort=kind")
    assert got == swahili and total == 1
    # Paged: 62 records, 50 a page, the second page continues the order.
    first = admin.get(f"{path}?sort=size").text
    assert len(page_uuids(first)) == 50 and total_of(first) == 62
    assert f'href="/data/{FORM_ID}?page=2&amp;sort=size"' in first
    # A page past the last is empty, however large its number (no offset overflows).
    for page in (3, 10**9, 10**21, -(10**21)):
        answer = admin.get(f"{path}?sort=size&page={page}")
        assert answer.status_code == 200, (page, answer.status_code)
        assert len(page_uuids(answer.text)) == (50 if page < 0 else 0), page
    # The header links sort; the sorted column says so to screen readers.
    assert 'aria-sort="ascending"' in first
    assert f'href="/data/{FORM_ID}?sort=size&amp;desc=1"' in first


def csv_uuids(content: bytes, key: str = "_uuid") -> list[str]:
    return [row[key] for row in csv.DictReader(io.StringIO(content.decode("utf-8-sig")))]


def test_an_export_of_a_filtered_view_holds_the_same_records(sqlite_team):
    records = loaded(sqlite_team, [record(n) for n in range(40)])
    admin, analyst = signed_in(sqlite_team, "admin"), signed_in(sqlite_team, "analyst")
    view = "q_kind=a&from_size=2&to_size=20"
    want = sorted(
        expected(records, lambda a: a.get("kind") == "a" and 2 <= a.get("size", -1) <= 20)
    )
    page = admin.get(f"/data/{FORM_ID}?{view}").text
    # The page's download links carry the view's filters.
    assert f"/data/{FORM_ID}/export.csv?lang=en&amp;q_kind=a&amp;from_size=2&amp;to_size=20" in page
    raw = admin.get(f"/data/{FORM_ID}/export.csv?{view}&release=raw&reason=checking")
    assert raw.status_code == 200 and sorted(csv_uuids(raw.content)) == want
    # The analyst's release: the same filter applied to released rows, in JSON Lines too.
    released = analyst.get(f"/data/{FORM_ID}/export.jsonl?{view}")
    assert released.status_code == 200
    lines = [json.loads(line) for line in released.text.splitlines()]
    assert sorted(line["_uuid"] for line in lines) == want
    assert all(line["kind"] == "a" for line in lines)
    # A repeat's export filtered by the instances' answers.
    members = analyst.get(f"/data/{FORM_ID}/export.csv?repeat=people&q_p_sex=f&from_p_age=10")
    rows = list(csv.DictReader(io.StringIO(members.content.decode("utf-8-sig"))))
    want_rows = sorted(
        (r["uuid"], i)
        for r in records
        for i, p in enumerate(r["answers"]["people"], 1)
        if p["p_sex"] == "f" and p["p_age"] >= 10
    )
    assert sorted((row["_parent_uuid"], int(row["_index"])) for row in rows) == want_rows


def test_an_analyst_cannot_learn_a_withheld_value_by_filtering_or_sorting(team):
    # One record alone in its group (another language, month and gender): the release
    # leaves it out, so its answers must not move a count or an order for an analyst.
    odd = record(
        99,
        locale="fr",
        collected="2026-01-05",
        answers={"gender": "x", "size": 4, "kind": "b", "people": [{"p_age": 1, "p_sex": "f"}]},
    )
    records = loaded(team, [record(n) for n in range(60)] + [odd])
    analyst, admin = signed_in(team, "analyst"), signed_in(team, "admin")
    report = analyst.get(f"/data/{FORM_ID}/release").json()
    assert report["records_left_out"] == 1
    path = f"/data/{FORM_ID}"
    views = ["from_size=3&to_size=5", "sort=size", "sort=size&desc=1", "q_kind=b&sort=kind"]
    before = {view: whole_view(analyst, path, view) for view in views}
    admin_before = {view: whole_view(admin, path, view) for view in views}
    assert odd["uuid"] in admin_before["from_size=3&to_size=5"][0]
    # The analyst sees the table as if the withheld record had no answers at all.
    others = [r for r in records if r is not odd]
    want = expected(others, lambda a: 3 <= a.get("size", -1) <= 5)
    assert sorted(before["from_size=3&to_size=5"][0]) == sorted(want)
    blank = dict(odd, answers={})
    order = expected(others + [blank], key=lambda a: a.get("size"))
    assert before["sort=size"][0] == [u[:8] if u == odd["uuid"] else u for u in order]
    # Change the withheld record's answers (a correction): the admin's views move...
    store = Store(team.database)
    try:
        store.correct(odd["uuid"], "size", 19, "admin1")
        store.correct(odd["uuid"], "kind", "c", "admin1")
    finally:
        store.close()
    after_admin = {view: whole_view(admin, path, view) for view in views}
    assert after_admin != admin_before
    # ...the analyst's do not: same rows, same order, same counts.
    assert {view: whole_view(analyst, path, view) for view in views} == before
    # Key variables are not sortable or filterable in a release at all.
    refused = analyst.get(f"{path}?q_gender=x")
    assert refused.status_code == 400 and "cannot be sorted or filtered" in refused.text
    assert total_of(refused.text) == 61
    assert analyst.get(f"/data/{FORM_ID}/export.csv?sort=gender").status_code == 200
    assert analyst.get(f"/data/{FORM_ID}/export.csv?q_gender=x").status_code == 400
    # A repeat's table has no rows of the withheld record.
    people = analyst.get(f"{path}/repeat/people?sort=p_age").text
    assert odd["uuid"] not in people
    assert odd["uuid"] in admin.get(f"{path}/repeat/people?sort=p_age").text


BAD = [
    ("sort=nothing", "There is no column nothing to sort by."),
    ("q_nothing=1", "There is no column nothing to filter by."),
    ("from_size=ten", "ten is not a number (Size)."),
    ("from_visit_date=2026-13-01", "2026-13-01 is not a date written as YYYY-MM-DD"),
    ("q_kind=zebra", "Kind has no choice zebra."),
    ("from_size=9&to_size=2", "The range of Size ends before it starts."),
    ("q_size=3", "Size is filtered by a range"),
]


def test_bad_parameters_give_a_message_and_the_unfiltered_table(sqlite_team):
    loaded(sqlite_team, [record(n) for n in range(6)])
    admin = signed_in(sqlite_team, "admin")
    for params, message in BAD:
        response = admin.get(f"/data/{FORM_ID}?{params}&sort=size")
        assert response.status_code == 400, params
        assert message in html.unescape(response.text), params
        assert total_of(response.text) == 6 and 'aria-sort="' not in response.text
        export = admin.get(f"/data/{FORM_ID}/export.csv?{params}")
        if "sort" not in params:  # an export has no sort: only filters can be wrong
            assert export.status_code == 400 and message in export.text, params
        repeat = admin.get(f"/data/{FORM_ID}/repeat/people?{params}")
        assert repeat.status_code == 400, params


def test_a_repeats_table_has_a_row_per_instance_sorted_and_filtered(sqlite_team):
    records = loaded(sqlite_team, [record(n) for n in range(30)])
    admin = signed_in(sqlite_team, "admin")
    instances = [
        (r["uuid"], i, p) for r in records for i, p in enumerate(r["answers"]["people"], 1)
    ]
    page = admin.get(f"/data/{FORM_ID}/repeat/people?sort=p_age&desc=1&q_p_sex=m")
    assert page.status_code == 200
    want = sorted(
        (x for x in instances if x[2]["p_sex"] == "m"), key=lambda x: (-x[2]["p_age"], x[0], x[1])
    )
    assert page_uuids(page.text) == [x[0] for x in want]
    assert total_of(page.text) == len(want)
    # Labels, and the instance's number beside its record.
    assert ">Male<" in page.text and "<td>1</td>" in page.text
    # The records' page links to it.
    assert f'href="/data/{FORM_ID}/repeat/people"' in admin.get(f"/data/{FORM_ID}").text
    assert admin.get(f"/data/{FORM_ID}/repeat/nothing").status_code == 404


def test_clicking_a_heading_sorts_in_a_browser(sqlite_team, chromium):
    from browsing import sign_in_to_server, wait_for
    from test_form_publishing_browser import accessibility_problems

    records = loaded(sqlite_team, [record(n) for n in range(12)])
    sign_in_to_server(chromium, sqlite_team.url, "admin1", PASSWORD)
    chromium.get(f"{sqlite_team.url}/data/{FORM_ID}")
    chromium.find_element("link text", "Size").click()
    wait_for(chromium, 'th[aria-sort="ascending"]')
    links = chromium.find_elements("css selector", "tbody td:first-child a")
    shown = [link.get_attribute("href").rsplit("/", 1)[1] for link in links]
    assert shown == expected(records, key=lambda a: a.get("size"))
    assert accessibility_problems(chromium) == []
    chromium.find_element("link text", "Size").click()  # again: the other way
    wait_for(chromium, 'th[aria-sort="descending"]')
    assert accessibility_problems(chromium) == []


# -- answer keys (Store.keyed_columns): the same pages as the records' JSON would give ---


class Laptop:
    """One enrolled device pushing batches (a record's revisions come from its device)."""

    def __init__(self, central):
        import requests

        from collector import protocol

        self.central, self.requests, self.protocol = central, requests, protocol
        self.token = requests.post(
            central.url + "/api/v1/enroll",
            json={
                "protocol": "1.0",
                "code": central.enrollment_code("zone K"),
                "enrollment_id": str(uuid.uuid4()),
            },
            timeout=10,
        ).json()["device_token"]

    def push(self, records) -> None:
        protocol = self.protocol
        body = protocol.compress(
            protocol.dumps(protocol.batch_message(str(uuid.uuid4()), records, 0, "test"))
        )
        response = self.requests.post(
            self.central.url + "/api/v1/records",
            data=body,
            timeout=30,
            headers={
                protocol.VERSION_HEADER: "1.0",
                "Authorization": f"Bearer {self.token}",
                "Content-Encoding": "gzip",
                "Content-Type": "application/json",
            },
        )
        assert response.status_code == 200, response.text
        results = response.json()["results"]
        assert all(r["status"] in ("stored", "duplicate") for r in results), results


KEYED_VIEWS = [
    ("sort=size", lambda a: True, lambda a: a.get("size"), False),
    ("sort=size&desc=1", lambda a: True, lambda a: a.get("size"), True),
    ("sort=kind&desc=1", lambda a: True, lambda a: KIND_RANK.get(a.get("kind")), True),
    ("sort=visit_date", lambda a: True, lambda a: a.get("visit_date"), False),
    ("sort=note", lambda a: True, lambda a: a.get("note"), False),
    (
        "q_kind=a&q_kind=c&sort=size&desc=1",
        lambda a: a.get("kind") in ("a", "c"),
        lambda a: a.get("size"),
        True,
    ),
    (
        "from_size=4&to_size=17&q_note=s&sort=visit_date",
        lambda a: 4 <= a.get("size", -1) <= 17 and "s" in a.get("note", "").lower(),
        lambda a: a.get("visit_date"),
        False,
    ),
    (
        "from_visit_date=2026-02-01&to_visit_date=2026-07-31&sort=note&desc=1",
        lambda a: "2026-02-01" <= a.get("visit_date", "") <= "2026-07-31",
        lambda a: a.get("note"),
        True,
    ),
]


def check_views(person, records, whole: bool = True) -> None:
    """Every keyed view, each page (or its first), is the order computed here from the
    newest answers."""
    path = f"/data/{FORM_ID}"
    for params, keep, key, descending in KEYED_VIEWS:
        want = expected(records, keep, key, descending)
        if not whole:
            first = person.get(f"{path}?{params}").text
            assert page_uuids(first) == want[:50] and total_of(first) == len(want), params
            continue
        got, total = whole_view(person, path, params)
        assert got == want and total == len(want), params
    # A far page on its own (its rows skipped in the keys' index alone), in both directions.
    for params, descending in (("sort=size", False), ("sort=size&desc=1", True)):
        want = expected(records, key=lambda a: a.get("size"), descending=descending)
        page = person.get(f"{path}?{params}&page=3")
        assert page_uuids(page.text) == want[100:150], params


def finish_keys(database) -> None:
    """Run the steps of every question whose keys pages registered, until each is complete
    (the server's own thread may run some of them meanwhile: the steps take turns)."""
    store = Store(database)
    try:
        for form_id, question in store.unfinished_keys():
            store.build_keys(form_id, question)
        assert store.unfinished_keys() == []
    finally:
        store.close()


def newest(records: dict, record_uuid: str, answers: dict) -> dict:
    """The next revision of a record, with these answers."""
    latest = records[record_uuid]
    records[record_uuid] = dict(latest, revision=latest["revision"] + 1, answers=answers)
    return records[record_uuid]


def test_keyed_pages_follow_revisions_corrections_and_new_records(team):
    published(team)
    laptop = Laptop(team)
    stored = {r["uuid"]: r for r in (record(n) for n in range(104))}
    laptop.push(list(stored.values()))
    admin = signed_in(team, "admin")
    check_views(admin, list(stored.values()), whole=False)  # the first use registers keys
    finish_keys(team.database)
    store = Store(team.database)
    try:
        keys = store.db.execute(
            "SELECT count(*) FROM answer_keys WHERE form = ? AND question = 'size'", [FORM_ID]
        ).fetchone()[0]
        assert keys == 104  # one per record, the empty answers too
        # New revisions move records: a size given, one taken away, a kind changed...
        uuids = list(stored)
        changed = [
            newest(stored, uuids[0], dict(stored[uuids[0]]["answers"], size=999)),
            newest(
                stored,
                uuids[1],
                {k: v for k, v in stored[uuids[1]]["answers"].items() if k != "size"},
            ),
            newest(stored, uuids[2], dict(stored[uuids[2]]["answers"], kind="b", note="Zebra")),
        ]
        changed.append(newest(stored, uuids[0], dict(changed[0]["answers"], size=-3)))
        fresh = [record(n) for n in range(104, 112)]
        stored.update({r["uuid"]: r for r in fresh})
        laptop.push(changed[:3] + fresh)
        laptop.push(changed[3:])
        # ...an older revision arriving late changes nothing: the newest stays the latest.
        laptop.push([dict(changed[0], revision=2)])
        # ...and a correction of the newest revision.
        store.correct(uuids[5], "size", 21, "admin1")
        stored[uuids[5]] = dict(
            stored[uuids[5]], answers=dict(stored[uuids[5]]["answers"], size=21)
        )
    finally:
        store.close()
    check_views(admin, list(stored.values()))


def test_keys_are_made_for_the_records_already_stored_and_remade_for_a_new_choice_order(
    sqlite_team,
):
    records = loaded(sqlite_team, [record(n) for n in range(30)])
    store = Store(sqlite_team.database)
    try:
        assert store.db.execute("SELECT count(*) FROM answer_keys").fetchone()[0] == 0
    finally:
        store.close()
    admin = signed_in(sqlite_team, "admin")
    got, _ = whole_view(admin, f"/data/{FORM_ID}", "sort=kind")
    assert got == expected(records, key=lambda a: KIND_RANK.get(a.get("kind")))
    finish_keys(sqlite_team.database)
    store = Store(sqlite_team.database)
    try:
        made = {
            row[0]: row[1]
            for row in store.db.execute(
                "SELECT record_uuid, txt FROM answer_keys WHERE question = 'kind'"
            ).fetchall()
        }
        assert made == {r["uuid"]: r["answers"]["kind"] for r in records}
        # A new version adds two kinds, "zz" before "aa": they sort in that order now.
        version = json.loads(json.dumps(FORM))
        version["version"] = "2"
        version["choices"]["kind"] += _choices((("zz", "Zebu"), ("aa", "Aardvark")))
        publish(store, json.dumps(version), "admin")
    finally:
        store.close()
    newer = [
        record(n, form_version="2", answers={"kind": ("zz", "aa")[n % 2]}) for n in range(30, 36)
    ]
    push_records(sqlite_team, newer)
    rank = {code: i for i, code in enumerate(["c", "a", "b", "zz", "aa"])}
    got, _ = whole_view(admin, f"/data/{FORM_ID}", "sort=kind")  # remade from here on
    assert got == expected(records + newer, key=lambda a: rank.get(a.get("kind")))
    finish_keys(sqlite_team.database)
    got, _ = whole_view(admin, f"/data/{FORM_ID}", "sort=kind")
    assert got == expected(records + newer, key=lambda a: rank.get(a.get("kind")))


def test_a_database_from_before_the_keys_sorts_its_records_by_their_newest_revision(tmp_path):
    """A server database made before m016_answer_keys, with records and a corrected
    revision: the server starts (the migration adds the empty key tables), and the first
    sort makes one key per record, from its newest revision."""
    from sync_server.database import SQLiteDatabase
    from sync_server.store import migrations

    data_dir = tmp_path / "central-data"
    data_dir.mkdir()
    db = SQLiteDatabase.open(data_dir / "sync-server.db")
    migrations.apply(db, stop_before="m016_answer_keys")
    assert "answer_keys" not in db.table_names()
    db.execute(
        "INSERT INTO devices (id, label, token_hash, enrollment_id, enrolled_at)"
        " VALUES ('d1', 'old laptop', 'x', 'e1', '2026-01-01T00:00:00Z')"
    )
    db.execute("INSERT INTO batches VALUES ('b1', 'd1', '2026-06-01T00:00:00Z', 13, 'push')")
    records = [record(n) for n in range(12)]
    older = dict(records[3], answers=dict(records[3]["answers"], size=500))
    records[3] = dict(records[3], revision=2, answers=dict(records[3]["answers"], size=-1))
    for item, latest in [(older, 0)] + [(r, 1) for r in records]:
        db.execute(
            "INSERT INTO records (uuid, revision, device_id, form_id, form_version, locale,"
            " collected, answers, received_at, batch_id, is_latest)"
            " VALUES (?, ?, 'd1', ?, '1', 'en', '2026-06-01', ?, '2026-06-02T10:00:00Z',"
            " 'b1', ?)",
            [item["uuid"], item["revision"], FORM_ID, json.dumps(item["answers"]), latest],
        )
    db.conn.commit()
    db.close()
    central = Central(data_dir)
    try:
        store = Store(central.database)
        try:
            assert store.db.execute("SELECT count(*) FROM answer_keys").fetchone()[0] == 0
            publish(store, json.dumps(FORM), "admin")
            store.add_user("admin1", "admin", hash_secret(PASSWORD))
        finally:
            store.close()
        admin = signed_in(central, "admin")
        for params, descending in (("sort=size", False), ("sort=size&desc=1", True)):
            got, total = whole_view(admin, f"/data/{FORM_ID}", params)
            assert got == expected(records, key=lambda a: a.get("size"), descending=descending)
            assert total == 12
        finish_keys(central.database)
        store = Store(central.database)
        try:
            keys = dict(
                store.db.execute(
                    "SELECT record_uuid, num FROM answer_keys WHERE question = 'size'"
                ).fetchall()
            )
        finally:
            store.close()
        assert keys == {r["uuid"]: r["answers"].get("size") for r in records}
    finally:
        central.stop()


# -- keys built in steps (Store.key_step): ingest goes on between them ---------------------


def table_query(store, params: str):
    """The data_table.TableQuery a URL's query string asks for, on the form's columns."""
    from urllib.parse import parse_qsl

    from werkzeug.datastructures import MultiDict

    from sync_server import data, data_table, exports

    forms = data.form_history(FORM_ID, store)
    shown = [c for c in exports.export_columns(forms) if not c.meta and c.kind != "dummy"]
    columns = data_table.table_columns(shown, forms, "en")
    return data_table.parse(MultiDict(parse_qsl(params)), columns)


def in_arrival_order(store, with_times: bool = False) -> list[str]:
    """The form's records in the order a build keys them (arrival, then uuid); with
    times, as a build's mark names them (`received_at|uuid`)."""
    return [
        f"{row[1]}|{row[0]}" if with_times else row[0]
        for row in store.db.execute(
            "SELECT uuid, received_at FROM records WHERE form_id = ? AND is_latest = 1"
            " ORDER BY received_at, uuid",
            [FORM_ID],
        ).fetchall()
    ]


def size_keys(store) -> dict:
    return dict(
        store.db.execute(
            "SELECT record_uuid, num FROM answer_keys WHERE form = ? AND question = 'size'",
            [FORM_ID],
        ).fetchall()
    )


def built_through(store, question: str = "size"):
    return store.db.execute(
        "SELECT built_through FROM answer_key_columns WHERE form = ? AND question = ?",
        [FORM_ID, question],
    ).fetchone()[0]


def test_a_build_in_steps_reads_the_json_until_done_while_ingest_goes_on(team, monkeypatch):
    """A first sort registers the question; one step keys 7 records and stops. Pages read
    the JSON meanwhile, and give the same rows. Between steps a laptop syncs (a new record,
    new revisions of a record already keyed and of one not yet) and a record of each side
    is corrected: the batch is stored while the build is unfinished, and once the build
    goes on to its end every record has the key of its newest answers."""
    monkeypatch.setattr(Store, "build_keys_in_background", False)  # the test runs the steps
    published(team)
    laptop = Laptop(team)
    stored = {r["uuid"]: r for r in (record(n) for n in range(24))}
    batch = list(stored.values())
    laptop.push(batch[:12])
    laptop.push(batch[12:])  # a second batch: a later arrival
    admin = signed_in(team, "admin")
    by_size = (lambda a: a.get("size"), False)
    got, _ = whole_view(admin, f"/data/{FORM_ID}", "sort=size")
    assert got == expected(batch, key=by_size[0])
    store = Store(team.database)
    store.build_keys_in_background = False
    try:
        assert store.unfinished_keys() == [(FORM_ID, "size")]
        assert store.key_step(FORM_ID, "size", chunk=7) == 7
        order = in_arrival_order(store)
        done, ahead = order[:7], order[7:]
        assert set(size_keys(store)) == set(done)
        assert built_through(store) is not None  # unfinished: the pages read the JSON
        query = table_query(store, "sort=size")
        assert store.keyed_columns(FORM_ID, query) == frozenset()
        for params, descending in (("sort=size", False), ("sort=size&desc=1", True)):
            got, _ = whole_view(admin, f"/data/{FORM_ID}", params)
            assert got == expected(batch, key=by_size[0], descending=descending)

        # Between two steps: a batch is stored, and two records are corrected.
        fresh = record(100, answers={"size": 5})
        stored[fresh["uuid"]] = fresh
        moved = [
            newest(stored, done[0], dict(stored[done[0]]["answers"], size=77)),
            newest(stored, ahead[0], dict(stored[ahead[0]]["answers"], size=-8)),
        ]
        laptop.push([fresh, *moved])
        assert built_through(store) is not None  # the batch went in during the build
        for record_uuid, size in ((done[1], 40), (ahead[1], -20)):
            store.correct(record_uuid, "size", size, "admin1")
            answers = dict(stored[record_uuid]["answers"], size=size)
            stored[record_uuid] = dict(stored[record_uuid], answers=answers)
        newer = list(stored.values())
        # Records keyed before their step (the batch, the correction) are keyed already.
        keys = size_keys(store)
        assert keys[fresh["uuid"]] == 5 and keys[ahead[0]] == -8 and keys[ahead[1]] == -20
        assert keys[done[0]] == 77 and keys[done[1]] == 40
        got, _ = whole_view(admin, f"/data/{FORM_ID}", "sort=size")
        assert got == expected(newer, key=by_size[0])

        # It goes on from its mark: every newest revision after it in arrival order. That
        # is all but the six records done whose row stayed (the seventh's new revision
        # arrived after the mark) unless the later batch was stored in the mark's second:
        # arrival times are to the second, ties go by uuid, so some of its revisions may
        # sort before the mark; they were keyed as they were stored (checked above).
        mark = built_through(store)
        later = [u for u in in_arrival_order(store, with_times=True) if u > mark]
        assert len(newer) - 6 - len(moved) - 1 <= len(later) <= len(newer) - 6
        assert store.build_keys(FORM_ID, "size") == len(later)
        assert built_through(store) is None and store.unfinished_keys() == []
        assert store.keyed_columns(FORM_ID, query) == frozenset({"size"})
        assert size_keys(store) == {r["uuid"]: r["answers"].get("size") for r in newer}
        assert store.key_step(FORM_ID, "size") is None  # nothing left to do
    finally:
        store.close()
    check_views(admin, newer)  # the keys now, and the JSON for the questions not keyed


def test_two_builders_at_once_key_each_record_once(team, monkeypatch):
    """Two connections (as two server processes) build the same question: their steps
    take turns from the same mark, so together they key each record exactly once, in
    turns one after the other and in two threads at once."""
    monkeypatch.setattr(Store, "build_keys_in_background", False)
    import threading

    from sync_server.store import KeyColumn

    records = loaded(team, [record(n) for n in range(40)])
    first, second = Store(team.database), Store(team.database)
    try:
        for one in (first, second):  # both register it: the second changes nothing
            one.register_keys(FORM_ID, [KeyColumn("size", "number", [])])
        counts = []
        while True:
            made = [first.key_step(FORM_ID, "size", chunk=6)]
            made.append(second.key_step(FORM_ID, "size", chunk=6))
            counts += [n for n in made if n is not None]
            if None in made:
                break
        assert sum(counts) == len(records) and len(counts) == 7  # 6 steps of 6, one of 4
        assert size_keys(first) == {r["uuid"]: r["answers"].get("size") for r in records}

        column = KeyColumn("kind", "choice", [code for code, _ in KINDS])
        first.register_keys(FORM_ID, [column])
        monkeypatch.setattr(Store, "KEY_STEP", 3)
        keyed: list[int] = []

        def build():
            store = Store(team.database)  # a connection per thread
            try:
                keyed.append(store.build_keys(FORM_ID, "kind"))
            finally:
                store.close()

        threads = [threading.Thread(target=build) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sum(keyed) == len(records)
        ranks = dict(
            first.db.execute("SELECT record_uuid, num FROM answer_keys WHERE question = 'kind'")
        )
        assert ranks == {r["uuid"]: KIND_RANK[r["answers"]["kind"]] for r in records}
    finally:
        first.close()
        second.close()


def test_the_servers_thread_builds_the_keys_of_a_first_sort(sqlite_team):
    """Nobody runs the steps here: the page that first sorts by a question starts the
    server's thread, which keys every record; pages then read the keys."""
    from sync_server.store import wait_for_key_builder

    records = loaded(sqlite_team, [record(n) for n in range(25)])
    admin = signed_in(sqlite_team, "admin")
    got, _ = whole_view(admin, f"/data/{FORM_ID}", "sort=note&desc=1")
    assert got == expected(records, key=lambda a: a.get("note"), descending=True)
    wait_for_key_builder(sqlite_team.database)
    store = Store(sqlite_team.database)
    try:
        assert store.unfinished_keys() == []
        assert store.keyed_columns(FORM_ID, table_query(store, "sort=note")) == {"note"}
        notes = dict(store.db.execute("SELECT record_uuid, txt FROM answer_keys"))
        assert notes == {r["uuid"]: r["answers"].get("note") for r in records}
    finally:
        store.close()
    got, _ = whole_view(admin, f"/data/{FORM_ID}", "sort=note&desc=1")
    assert got == expected(records, key=lambda a: a.get("note"), descending=True)


def test_sync_server_data_keys_builds_a_questions_keys_ahead(sqlite_team):
    from click.testing import CliRunner

    from sync_server.cli import cli

    records = loaded(sqlite_team, [record(n) for n in range(15)])
    folder = str(Path(sqlite_team.database).parent)
    database = ["--data-dir", folder, "--database", sqlite_team.database]
    runner = CliRunner()
    result = runner.invoke(cli, ["data", "keys", *database, FORM_ID, "visit_date"])
    assert result.exit_code == 0, result.output
    assert "Sort keys of visit_date ready (15 records keyed now)." in result.output
    for wrong in ([FORM_ID, "no_such_question"], ["no_such_form", "size"]):
        result = runner.invoke(cli, ["data", "keys", *database, *wrong])
        assert result.exit_code == 2 and "no" in result.output.lower(), result.output
    store = Store(sqlite_team.database)
    try:
        assert store.unfinished_keys() == []
        dates = dict(store.db.execute("SELECT record_uuid, txt FROM answer_keys"))
        assert dates == {r["uuid"]: r["answers"].get("visit_date") for r in records}
        assert [q for _, q in store._key_columns(FORM_ID)] == ["visit_date"]  # nothing else
    finally:
        store.close()


def test_keys_made_before_the_steps_stay_complete_after_the_upgrade(tmp_path):
    """A database whose keys were made in one go (before m017_answer_key_builds): the
    upgrade keeps them complete, and nothing is built again."""
    from sync_server.database import SQLiteDatabase
    from sync_server.store import migrations

    db = SQLiteDatabase.open(tmp_path / "sync-server.db")
    migrations.apply(db, stop_before="m017_answer_key_builds")
    db.execute(
        "INSERT INTO answer_key_columns (form, question, spec, made_at)"
        " VALUES (?, 'size', '[\"number\", []]', '2026-12-06T22:00:00Z')",
        [FORM_ID],
    )
    db.conn.commit()
    db.close()
    store = Store.create(tmp_path / "sync-server.db")
    try:
        assert store.unfinished_keys() == []
        assert store.key_step(FORM_ID, "size") is None
    finally:
        store.close()


def version_options(text: str) -> list[tuple[str, str]]:
    """The version filter's menu on a records page: (value, what it reads)."""
    menu = re.search(r'<select id="filter-version" name="version">(.*?)</select>', text, re.S)
    return [
        (value, html.unescape(label))
        for value, label in re.findall(r'<option value="([^"]+)"[^>]*>([^<]*)<', menu.group(1))
    ]


def version_cells(text: str) -> list[str]:
    """The form version of each row of a records page (the cell after the language's)."""
    return re.findall(
        r'<td title="[^"]*" translate="no">[^<]*</td><td translate="no">([^<]*)<', text
    )


def test_a_version_few_laptops_sent_is_released_as_a_range(team):
    # Version 1 from three laptops, 2 from one, 3 from two: "1" and "2–3" for analysts.
    published(team)
    store = Store(team.database)
    try:
        for version in ("2", "3"):
            definition = json.loads(json.dumps(dict(FORM, version=version)))
            if version == "2":  # worded otherwise in version 2 only
                definition["sections"][0]["questions"][-1]["label"] = {"en": "Remark"}
            publish(store, json.dumps(definition), "admin")
    finally:
        store.close()
    records: dict[str, list[dict]] = {"1": [], "2": [], "3": []}
    for n, version in enumerate(["1", "1", "1", "2", "3", "3"]):
        batch = [record(6 * n + i, form_version=version) for i in range(6)]
        push_records(team, batch)  # from a laptop of its own
        records[version] += batch
    wide = "2\u20133"
    analyst, admin = signed_in(team, "analyst"), signed_in(team, "admin")
    path = f"/data/{FORM_ID}"
    # The analyst's filter offers the released values only, a range with its versions.
    page = analyst.get(path).text
    assert version_options(page) == [("1", "1"), (wide, f"{wide} (versions 2, 3)")]
    assert set(version_cells(page)) == {"1", wide}
    # Filtering by the range, or by a version in it, gives the range's records.
    uuids = sorted(r["uuid"] for r in records["2"] + records["3"])
    for value in (wide, "2"):
        found, total = whole_view(analyst, path, f"version={value}")
        assert total == 18 and set(found) <= set(uuids)
        chosen = analyst.get(f"{path}?version={value}").text
        assert f'<option value="{wide}" selected' in chosen  # the menu shows the range
    assert set(version_cells(analyst.get(f"{path}?version={wide}").text)) == {wide}
    # A record page reads the range's newest version: no wording tells version 2 apart.
    shown = next(r["uuid"] for r in records["2"] if r["uuid"] in found and "note" in r["answers"])
    page = analyst.get(f"/data/record/{shown}").text
    assert f'<dd translate="no">{wide}</dd>' in page and ">Note<" in page
    assert "Remark" not in page and "Remark" in admin.get(f"/data/record/{shown}").text
    assert total_of(analyst.get(f"{path}?version=9").text) == 0
    # Downloads and the records API give the range, and the report lists its versions.
    released = analyst.get(f"{path}/export.csv?version={wide}")
    versions = {
        row["_form_version"]
        for row in csv.DictReader(io.StringIO(released.content.decode("utf-8-sig")))
    }
    assert versions == {wide}
    token = api_token(team, "analyst1")
    api = requests.get(
        f"{team.url}/api/v1/data/{FORM_ID}", auth=("analyst1", token), timeout=10
    ).json()
    assert {r["_form_version"] for r in api["records"]} == {"1", wide}
    report = analyst.get(f"{path}/release").json()
    assert report["form_versions"] == [
        {"released": "1", "versions": ["1"]},
        {"released": wide, "versions": ["2", "3"]},
    ]
    # The admin, who sees the laptops anyway, keeps the exact versions.
    page = admin.get(path).text
    assert [v for v, _ in version_options(page)] == ["1", "2", "3"]
    assert set(version_cells(page)) == {"1", "2", "3"}
    assert whole_view(admin, path, "version=2")[1] == 6
    raw = admin.get(f"{path}/export.csv?release=raw&reason=checking")
    stored = {
        row["_uuid"]: row["_form_version"]
        for row in csv.DictReader(io.StringIO(raw.content.decode("utf-8-sig")))
    }
    assert stored == {r["uuid"]: v for v, batch in records.items() for r in batch}


FOLLOW_FORM = {
    "form_id": "follow_test",
    "version": "1",
    "title": {"en": "Follow-ups"},
    "choices": {"gender": _choices(GENDERS), "yes_no": _choices((("yes", "Yes"), ("no", "No")))},
    "sections": [
        {
            "name": "main",
            "label": {"en": "Main"},
            "questions": [
                _question("gender", "select_one", choices="gender", disclosure="key"),
                # Asked only of women: where gender is not released, it would tell it.
                _question("pregnant", "select_one", choices="yes_no", relevant="${gender} = 'f'"),
                _question("times", "integer", disclosure="sensitive"),
            ],
        },
        {
            "name": "members",
            "label": {"en": "Members"},
            "repeat": True,
            "questions": [_question("m_age", "integer")],
        },
        {
            "name": "refusals",
            "label": {"en": "Refusals"},
            "repeat": True,
            "within": "members",
            "repeat_count": "${times}",
            "questions": [_question("where_refused", "text")],
        },
    ],
}


def test_no_page_gives_what_follows_a_hidden_answer_or_a_count_set_by_one(sqlite_team):
    """A question asked only as a key is answered is emptied where the key is: an analyst
    cannot filter on it. A repeat inside another whose count is a sensitive answer has no
    rows for an analyst: counting them per member would give the answer back."""
    store = Store(sqlite_team.database)
    try:
        publish(store, json.dumps(FOLLOW_FORM), "admin")
    finally:
        store.close()
    records = []
    for n in range(30):
        times = 1 + n % 3
        answers = {
            "gender": "fm"[n % 2],
            "times": times,
            "members": [{"m_age": 20 + n, "refusals": [{"where_refused": "school"}] * times}],
        }
        if n % 2 == 0:
            answers["pregnant"] = "yes" if n % 4 else "no"
        records.append(record(n, form_id="follow_test") | {"answers": answers})
    push_records(sqlite_team, records)
    analyst, admin = signed_in(sqlite_team, "analyst"), signed_in(sqlite_team, "admin")
    refused = analyst.get("/data/follow_test?q_pregnant=yes")
    assert refused.status_code == 400 and "cannot be sorted or filtered" in refused.text
    assert admin.get("/data/follow_test?q_pregnant=yes").status_code == 200
    path = "/data/follow_test/repeat/refusals"
    assert total_of(analyst.get(path).text) == 0
    assert total_of(admin.get(path).text) == sum(1 + n % 3 for n in range(30))
    assert total_of(analyst.get("/data/follow_test/repeat/members").text) == 30
