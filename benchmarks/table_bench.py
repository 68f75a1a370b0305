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
    ],
    "analyst": [
        ("first page", ""),
        ("sorted by life satisfaction, descending", "sort=life_satisfaction&desc=1"),
        ("filtered: a choice and a range", "q_who5_spirits=3&from_trust_people=7"),
        ("filtered and sorted", "q_who5_spirits=3&from_trust_people=7&sort=life_satisfaction"),
        ("sorted, page 200", "sort=life_satisfaction&page=200"),
    ],
}


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


def timed(client, params: str) -> tuple[float, int, str]:
    started = time.perf_counter()
    response = client.get(f"/data/{FORM}?{params}", headers={"Accept-Language": "en"})
    elapsed = time.perf_counter() - started
    text = response.text
    if response.status_code != 200:
        raise RuntimeError(f"GET ?{params}: {response.status_code} {text[:300]}")
    total = re.search(r"<p>([0-9,]+) records?</p>", text)
    return elapsed, int(total.group(1).replace(",", "")) if total else -1, text


def run(db: Path, workdir: Path, roles) -> list[dict]:
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
        views = VIEWS[role]
        client = signed_in(app, f"bench-{role}")
        for _what, params in views:
            timed(client, params)  # registers the view's questions (read from the JSON)
        build_keys(db)
        for what, params in views:
            first, total, _ = timed(client, params)
            times = [timed(client, params)[0] for _ in range(TIMED_REPEATS)]
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
        "--ingest",
        type=int,
        metavar="BATCHES",
        help="instead: what answer keys cost ingest, over this many batches of 500",
    )
    parser.add_argument("--rounds", type=int, default=3, help="rounds of --ingest")
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
            print(f"Page cache warmed in {warm_page_cache(db):.1f} s", flush=True)
            results += run(db, workdir, ["admin"])
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
