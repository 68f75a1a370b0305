"""Data table benchmark: the records' table of a form at 1,000,000 records, server time.

    . .venv/bin/activate
    python benchmarks/table_bench.py --keep ~/bench-cache     # 1,000,000 records (built once)
    python benchmarks/table_bench.py --records 100000         # a quicker try

1. Takes the central database of benchmarks/export_bench.py (N `community_survey`
   records, written directly; `--keep DIR` keeps and reuses it: the same file that
   benchmark keeps).
2. Signs in an admin (records as stored) and an analyst (the checked release) through
   the real app (create_app) with Flask's test client, so what is timed is the server's
   work for a request: routing, sign-in check, SQL, the release, the template.
   The survey's records are sensitive (admins only: sync_server.access), so an analyst
   sees none of them; the analyst's views are timed on a second database of
   `--analyst-records` records (100,000 by default) built the same way, whose records
   are then marked standard so that the release has something to check.
3. For each person, times GET /data/community_survey for the first page, a page sorted
   by an answer, a page filtered by answers, and both, plus a later page: the first
   request of each view alone (for the analyst's first, the release plan of a million
   records is made then, once per data version), then TIMED_REPEATS requests, median and
   worst. Before that, a request of each view registers the questions it sorts and
   filters by, and their keys are built in steps (Store.key_step), each timed: the
   longest step is the longest a laptop's sync could wait for the database meanwhile.

4. `--repeat` also times a repeat's table: a version of the survey with a household
   repeat (0-5 instances per record) is published and added to the records. `--paths N`
   then times the store alone for the admin's views, read from the keys and, with the
   keys set aside, from the JSON, in turns (a busy machine slows both alike).

    python benchmarks/table_bench.py --records 100000 --roles admin --repeat --paths 5

5. `--inner` also times the table of a repeat inside the household one: each member's
   illnesses (0-3 per member, 3.75 per record on average), the same kinds of views.

    python benchmarks/table_bench.py --records 100000 --roles admin --inner --paths 3

5. `--postgresql` times the admin's views on PostgreSQL instead: the built database is moved
   (sync_server.migrate, as `sync-server migrate-db` does) into a private PostgreSQL server
   started for the run (tests/postgres.py), which is stopped at the end.

    python benchmarks/table_bench.py --keep ~/bench-cache --roles admin --postgresql

Results are described in docs/benchmarks.md ("The data table at 1,000,000 records").
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks"), str(ROOT / "tests")]

from export_bench import machine, prepared_database, warm_page_cache  # noqa: E402

FORM = "community_survey"
TIMED_REPEATS = 3
GOAL_MS = 300
PASSWORD = "a long enough benchmark passphrase"
# (what, query string): admins sort and filter by any answer, analysts by those the
# release gives as recorded (not the key variables: age, gender, area, ...).
VIEWS = {
    "admin": [
        ("first page", ""),
        ("sorted by age band (text)", "sort=age"),
        ("sorted by life satisfaction, descending", "sort=life_satisfaction&desc=1"),
        ("filtered: gender and a range", "q_gender=woman&from_life_satisfaction=8"),
        ("filtered and sorted", "q_gender=woman&from_life_satisfaction=8&sort=trust_people"),
        ("filtered: text contains", "q_comments=water"),
        ("sorted, page 200", "sort=life_satisfaction&page=200"),
        ("filtered: a multiple choice", "q_discrimination_grounds=religion"),
        (
            "filtered: two ticks of a multiple choice, sorted",
            "q_discrimination_grounds=religion&q_discrimination_grounds=health"
            "&sort=life_satisfaction",
        ),
        ("filtered: a multiple choice and a choice", "q_reported_to=no_one&q_gender=woman"),
    ],
    "analyst": [
        ("first page", ""),
        ("sorted by life satisfaction, descending", "sort=life_satisfaction&desc=1"),
        ("filtered: a choice and a range", "q_who5_spirits=3&from_trust_people=7"),
        ("filtered and sorted", "q_who5_spirits=3&from_trust_people=7&sort=life_satisfaction"),
        ("sorted, page 200", "sort=life_satisfaction&page=200"),
    ],
}
# The repeat's table (`--repeat`): a version of the survey with a household repeat, 0-5
# instances per record (2.5 on average), added to the database's records.
REPEAT = "household"
REPEAT_VIEWS = [
    ("repeat: first page", ""),
    ("repeat: page 200", "page=200"),
    ("repeat: sorted by age", "sort=hh_age"),
    ("repeat: filtered by a choice", "q_hh_relation=child"),
    ("repeat: filtered by a range", "from_hh_age=18&to_hh_age=25"),
    ("repeat: filtered by a choice and a range", "q_hh_relation=child&from_hh_age=10"),
    ("repeat: filtered and sorted", "q_hh_relation=parent&sort=hh_age&desc=1"),
    ("repeat: filtered, page 20", "q_hh_relation=child&page=20"),
]
# The repeat inside it (`--inner`): each member's illnesses, 0-3 per member.
INNER = "hh_illness"
INNER_VIEWS = [
    ("inner: first page", ""),
    ("inner: page 200", "page=200"),
    ("inner: sorted by days", "sort=ill_days"),
    ("inner: filtered by a choice", "q_ill_kind=malaria"),
    ("inner: filtered by a range", "from_ill_days=10&to_ill_days=12"),
    ("inner: filtered by a choice and a range", "q_ill_kind=cough&from_ill_days=7"),
    ("inner: filtered and sorted", "q_ill_kind=fever&sort=ill_days&desc=1"),
    ("inner: filtered, page 20", "q_ill_kind=malaria&page=20"),
]


def signed_in(app, name: str):
    client = app.test_client()
    page = client.get("/signin", headers={"Accept-Language": "en"}).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post(
        "/signin", data={"name": name, "password": PASSWORD, "csrf_token": token}
    )
    if response.status_code not in (200, 302, 303):
        raise RuntimeError(f"sign-in of {name} failed: {response.status_code}")
    return client


def timed(client, params: str, path: str = f"/data/{FORM}") -> tuple[float, int, str]:
    started = time.perf_counter()
    response = client.get(f"{path}?{params}", headers={"Accept-Language": "en"})
    elapsed = time.perf_counter() - started
    text = response.text
    if response.status_code != 200:
        raise RuntimeError(f"GET {path}?{params}: {response.status_code} {text[:300]}")
    total = re.search(r"<p>([0-9,]+) (?:records?|rows?)</p>", text)
    return elapsed, int(total.group(1).replace(",", "")) if total else -1, text


def run(db: Path, workdir: Path, roles, repeat: bool = False, inner: bool = False) -> list[dict]:
    from werkzeug.security import generate_password_hash

    from sync_server import create_app
    from sync_server.store import Store

    store = Store(db)
    for role in roles:
        if not store.user_exists(f"bench-{role}"):
            store.add_user(f"bench-{role}", role, generate_password_hash(PASSWORD))
    store.close()
    app = create_app(data_dir=workdir / "central-data", database=str(db))
    # The pages register the keys they need; the steps are run and timed here (not by the
    # server's thread), before the views are.
    Store.build_keys_in_background = False
    results = []
    for role in roles:
        views = [(what, params, f"/data/{FORM}") for what, params in VIEWS[role]]
        if repeat and role == "admin":
            views += [(w, p, f"/data/{FORM}/repeat/{REPEAT}") for w, p in REPEAT_VIEWS]
        if inner and role == "admin":
            views += [(w, p, f"/data/{FORM}/repeat/{INNER}") for w, p in INNER_VIEWS]
        client = signed_in(app, f"bench-{role}")
        for _what, params, path in views:
            timed(client, params, path)  # registers the view's questions (read from the JSON)
        build_keys(db)
        for what, params, path in views:
            first, total, _ = timed(client, params, path)
            times = [timed(client, params, path)[0] for _ in range(TIMED_REPEATS)]
            results.append(
                {
                    "role": role,
                    "view": what,
                    "params": params,
                    "first": first,
                    "median": statistics.median(times),
                    "max": max(times),
                    "total": total,
                }
            )
            print(
                f"  {role:<8} {what:<42} first {1000 * first:9.1f} ms   median"
                f" {1000 * results[-1]['median']:8.1f} ms   max {1000 * results[-1]['max']:8.1f}"
                f" ms   {total:>9,} records",
                flush=True,
            )
    return results


def compare_paths(db: Path, repeats: int, inner: bool = False) -> None:
    """The store's work alone (`Store.table_page`, `Store.repeat_page`: SQL and JSON
    decoding, no template) for the admin's views, read from the keys and, with the keys
    set aside, from every record's JSON, in turns (so that a busy machine slows both
    alike): median of `repeats`, with the count ("+ count", a view's first request) and
    without (later pages, the count kept)."""
    from urllib.parse import parse_qsl

    from werkzeug.datastructures import MultiDict

    from sync_server import access, data, data_table, exports
    from sync_server.store import Store

    store = Store(db)
    Store.build_keys_in_background = False
    classes = access.ALL_CLASSES
    forms = data.form_history(FORM, store)
    views = [(w, p, None) for w, p in VIEWS["admin"]] + [(w, p, REPEAT) for w, p in REPEAT_VIEWS]
    views += [(w, p, INNER) for w, p in INNER_VIEWS] if inner else []
    print("Store only: keys against the JSON (median ms; + count: with the view's count)")
    try:
        for what, params, repeat in views:
            shown = [c for c in exports.export_columns(forms, repeat) if not c.meta]
            columns = data_table.table_columns([c for c in shown if c.kind != "dummy"], forms, "en")
            args = MultiDict(parse_qsl(params))
            query, page = data_table.parse(args, columns), int(args.get("page", 1))
            if repeat is not None and repeat not in dict(data.form_repeats(forms, "en")):
                continue
            within = exports.repeat_lineage(forms, repeat)[:-1] if repeat else ()

            def page_of(total, query=query, page=page, repeat=repeat, within=within):
                if repeat is None:
                    return store.table_page(FORM, {}, query, page, classes=classes, total=total)
                return store.repeat_page(
                    FORM, repeat, {}, query, page, classes=classes, total=total, within=within
                )

            timings: dict[str, list[float]] = {}
            for _ in range(repeats):
                for path in ("keys", "json"):
                    if path == "json":  # as before the keys: every question read from the JSON
                        store.keyed_columns = lambda *a, **k: frozenset()
                        store._instances_keyed = lambda *a, **k: None
                    total = None
                    for counted in (True, False):  # then with the count kept, as a page would
                        started = time.perf_counter()
                        _, total = page_of(total)
                        spent = time.perf_counter() - started
                        timings.setdefault(f"{path}{'+' if counted else ''}", []).append(spent)
                    store.__dict__.pop("keyed_columns", None)
                    store.__dict__.pop("_instances_keyed", None)
            ms = {k: 1000 * statistics.median(v) for k, v in timings.items()}
            print(
                f"  {what:<48} keys {ms['keys']:8.1f} (+ count {ms['keys+']:8.1f})"
                f"   JSON {ms['json']:8.1f} (+ count {ms['json+']:8.1f})",
                flush=True,
            )
    finally:
        store.close()


def build_keys(db: Path) -> None:
    """Run the steps of every question whose keys are unfinished, one transaction each, as
    the server's thread would: how long each question took and its longest step (the
    longest ingest could wait for the database meanwhile)."""
    from sync_server.store import Store

    store = Store(db)
    try:
        for form_id, question in store.unfinished_keys():
            steps, records, started = [], 0, time.perf_counter()
            while True:
                began = time.perf_counter()
                keyed = store.key_step(form_id, question)
                if keyed is None:
                    break
                steps.append(time.perf_counter() - began)
                records += keyed
            print(
                f"  keys of {question:<26} {records:>9,} records in"
                f" {time.perf_counter() - started:6.1f} s, {len(steps)} steps of"
                f" {Store.KEY_STEP:,}: longest {1000 * max(steps):6.1f} ms,"
                f" median {1000 * statistics.median(steps):6.1f} ms",
                flush=True,
            )
    finally:
        store.close()


def with_repeat(db: Path, seed: int, inner: bool = False) -> None:
    """Publish a version of the survey with a household repeat and give every record 0-5
    instances (once: a kept database that has it is left as it is); `inner`: with each
    member's illnesses too, 0-3 per member."""
    import json
    import random
    import sqlite3

    from collector.forms import builtin_forms
    from sync_server.forms import publish
    from sync_server.store import Store, answers_json

    relations = ("head", "partner", "child", "parent", "other")
    kinds = ("malaria", "cough", "fever", "diarrhoea", "injury")
    version = "bench-inner" if inner else "bench-repeat"
    store = Store.create(db)  # a database kept from before the newest tables gets them
    try:
        done = "SELECT 1 FROM records WHERE form_id = ? AND form_version = ?"
        if store.db.execute(done + " LIMIT 1", [FORM, version]).fetchone():
            return
        form = json.loads(builtin_forms()[FORM].to_json())
        form["version"] = version
        form["choices"]["relation"] = [{"name": r, "label": {"en": r.title()}} for r in relations]
        form["choices"]["illness"] = [{"name": k, "label": {"en": k.title()}} for k in kinds]
        form["sections"].append(
            {
                "name": REPEAT,
                "label": {"en": "Household members"},
                "repeat": True,
                "questions": [
                    {
                        "name": "hh_age",
                        "type": "integer",
                        "label": {"en": "Age"},
                        "privacy": "keep",
                    },
                    {
                        "name": "hh_relation",
                        "type": "select_one",
                        "choices": "relation",
                        "label": {"en": "Relation"},
                        "privacy": "keep",
                    },
                ],
            }
        )
        if inner:
            form["sections"].append(
                {
                    "name": INNER,
                    "label": {"en": "Illnesses"},
                    "repeat": True,
                    "within": REPEAT,
                    "questions": [
                        {
                            "name": "ill_days",
                            "type": "integer",
                            "label": {"en": "Days ill"},
                            "privacy": "keep",
                        },
                        {
                            "name": "ill_kind",
                            "type": "select_one",
                            "choices": "illness",
                            "label": {"en": "Illness"},
                            "privacy": "keep",
                        },
                    ],
                }
            )
        publish(store, json.dumps(form), "bench")
    finally:
        store.close()
    rng, started = random.Random(seed), time.perf_counter()
    with sqlite3.connect(db) as conn:
        rows = conn.execute("SELECT uuid, answers FROM records WHERE form_id = ?", [FORM])
        updates = []
        for record_uuid, text in rows.fetchall():
            answers = json.loads(text)
            answers[REPEAT] = [
                {"hh_age": rng.randint(0, 90), "hh_relation": rng.choice(relations)}
                for _ in range(rng.randint(0, 5))
            ]
            for member in answers[REPEAT] if inner else ():
                member[INNER] = [
                    {"ill_days": rng.randint(0, 30), "ill_kind": rng.choice(kinds)}
                    for _ in range(rng.randint(0, 3))
                ]
            updates.append((answers_json(answers), version, record_uuid))
        conn.executemany("UPDATE records SET answers = ?, form_version = ? WHERE uuid = ?", updates)
    what = "Household repeat and its illnesses" if inner else "Household repeat"
    print(f"{what} added in {time.perf_counter() - started:.1f} s", flush=True)


def standard(db: Path) -> None:
    """Mark every record standard (for analysts too): the survey's are sensitive."""
    import sqlite3

    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE records SET access_class = 'standard'")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--keep", metavar="DIR", help="keep (and reuse) the built database here")
    parser.add_argument("--seed", type=int, default=20261122)
    parser.add_argument("--analyst-records", type=int, default=100_000)
    parser.add_argument("--roles", default="admin,analyst", help="whose views to time")
    parser.add_argument(
        "--repeat", action="store_true", help="also a repeat's table (adds one to the records)"
    )
    parser.add_argument(
        "--inner",
        action="store_true",
        help="also the table of a repeat inside the household repeat (implies --repeat)",
    )
    parser.add_argument(
        "--paths",
        type=int,
        metavar="REPEATS",
        help="then the store alone, keys against the JSON, for the admin's views",
    )
    parser.add_argument(
        "--ingest",
        type=int,
        metavar="BATCHES",
        help="instead: what answer keys cost ingest, over this many batches of 500",
    )
    parser.add_argument("--rounds", type=int, default=3, help="rounds of --ingest")
    parser.add_argument(
        "--postgresql",
        action="store_true",
        help="time the admin's views on PostgreSQL: the built database is moved into a private "
        "PostgreSQL server first, as sync-server migrate-db moves a server's data",
    )
    parser.add_argument("--ingest-base", metavar="DB", help="--ingest into copies of this database")
    args = parser.parse_args()
    print("Data table benchmark")
    print(f"Machine: {machine()}")
    print(f"Date: {dt.datetime.now(dt.UTC).strftime('%Y-%m-%d %H:%M UTC')}")
    if args.ingest:
        bench_ingest(args.ingest, args.rounds, args.seed, args.ingest_base)
        return 0
    with tempfile.TemporaryDirectory(prefix="table-bench-") as folder:
        workdir = Path(folder)
        results = []
        if "admin" in args.roles:
            db, _ = prepared_database(args, workdir)
            args.repeat = args.repeat or args.inner
            if args.repeat:
                with_repeat(db, args.seed, args.inner)
            print(f"Page cache warmed in {warm_page_cache(db):.1f} s", flush=True)
            cluster = None
            if args.postgresql:
                cluster, db = on_postgresql(db)
            try:
                results += run(db, workdir, ["admin"], args.repeat, args.inner)
            finally:
                if cluster is not None:
                    cluster.stop()
            if args.paths:
                compare_paths(db, args.paths, args.inner)
        if "analyst" not in args.roles:
            return report(results)
        args.records = args.analyst_records
        analyst = workdir / "analyst"  # its own file, even at the admin's size
        analyst.mkdir()
        db, _ = prepared_database(args, analyst)
        standard(db)
        print(f"Analyst: {args.records:,} records, marked standard", flush=True)
        results += run(db, workdir, ["analyst"])
    return report(results)


def _moved(table: str, rows: int) -> None:
    if rows % 200_000 == 0:
        print(f"  moving {table}: {rows:,} rows", flush=True)


def on_postgresql(db: Path):
    """A private PostgreSQL server (tests/postgres.py) holding a copy of `db`, moved and
    checked by sync_server.migrate (answer keys included): (the server, its database URL)."""
    from postgres import Cluster
    from sync_server.migrate import move
    from sync_server.store import Store

    cluster = Cluster()
    url = cluster.url(cluster.create_migrated_database())
    started = time.perf_counter()
    source, target = Store(str(db)), Store(url)
    try:
        move(source, target, _moved)
    finally:
        source.close()
        target.close()
    print(f"Moved to PostgreSQL in {time.perf_counter() - started:.0f} s", flush=True)
    return cluster, url


# The questions the views above sort and filter by: their keys are kept up at ingest.
KEYED = (
    ("age", '["text", []]'),
    ("life_satisfaction", '["number", []]'),
    ("trust_people", '["number", []]'),
    ("gender", '["choice", ["woman", "man", "another", "prefer_not"]]'),
    ("comments", '["text", []]'),
)


def bench_ingest(batches: int, rounds: int, seed: int, base: str | None = None) -> None:
    """What keeping answer keys up costs ingest: CPU seconds of `ingest_batch` for
    `batches` batches of 500 `community_survey` records into a new database (or a copy of
    `base`, a database of many records), with no question keyed and with the five the
    views use, in alternating rounds."""
    import random
    import shutil
    import uuid

    from collector.forms import builtin_forms
    from ingest_bench import BATCH, message, run_in_process, sync_records
    from sync_server.store import KeyColumn, Store

    rng, key = random.Random(seed), bytes(32)
    form = builtin_forms()[FORM]
    made = [message(sync_records(form, BATCH, key, rng)) for _ in range(batches)]
    spent: dict[int, list[float]] = {0: [], len(KEYED): []}
    for _ in range(rounds):
        for keyed in spent:
            with tempfile.TemporaryDirectory(prefix="table-ingest-") as folder:
                db = str(Path(folder) / "central.db")
                if base:
                    shutil.copyfile(base, db)
                store = Store.create(db)
                if base:  # only the questions of this case keep their keys up
                    names = [q for q, _ in KEYED[:keyed]]
                    with store.transaction():
                        for (_, question), _ in store._key_columns(FORM).items():
                            if question not in names:
                                store.db.execute(
                                    "DELETE FROM answer_key_columns WHERE question = ?", [question]
                                )
                device = str(uuid.uuid4())
                store.db.execute(
                    "INSERT INTO devices (id, label, token_hash, enrollment_id, enrolled_at)"
                    " VALUES (?, 'bench', ?, ?, '2026-12-06T00:00:00Z')",
                    [device, device, device],
                )
                store.register_keys(FORM, [KeyColumn.of(q, spec) for q, spec in KEYED[:keyed]])
                for question, _ in KEYED[:keyed]:
                    store.build_keys(FORM, question)
                row = store.device(device)
                store.close()
                spent[keyed].append(run_in_process(db, row, made)[1])
    records = batches * BATCH
    for keyed, cpu in spent.items():
        best = statistics.median(cpu)
        print(
            f"  ingest, {keyed} questions keyed: {records / best:8,.0f} records per CPU second"
            f" (median of {rounds} rounds of {records:,} records)"
        )


def report(results: list[dict]) -> int:
    worst = max(r["median"] for r in results)
    print(
        f"Slowest median: {1000 * worst:.0f} ms (goal: under {GOAL_MS} ms):"
        f" {'met' if worst * 1000 < GOAL_MS else 'NOT met'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
