"""The central server on PostgreSQL: ingest with 1, 2 and 4 server processes, and the
dashboard and exports as the records grow.

    . .venv/bin/activate
    python benchmarks/postgresql_bench.py                          # ingest, then 100k and 1M
    python benchmarks/postgresql_bench.py --sizes 100000,1000000,10000000 --keep ~/bench-cache
    python benchmarks/postgresql_bench.py --skip-scale             # ingest only
    python benchmarks/postgresql_bench.py --skip-ingest --sizes 100000
    python benchmarks/postgresql_bench.py --skip-ingest --sizes 100000,1000000,10000000 \
        --grow-above 1000000 --keep ~/bench-cache   # 10 million: a million copied ten times
    python benchmarks/postgresql_bench.py --workers --batches 6 --rounds 5 --baseline /tmp/before

A private PostgreSQL server is started in a temporary folder (tests/postgres.py: initdb, a
Unix socket, fsync off as for the tests: durability is not what is measured here).

1. Ingest: N `sync-server serve` processes (N = 1, 2, 4) on one PostgreSQL database; 50
   enrolled devices push 500-record batches of `community_survey` at the same time, each
   to the processes in turn, until every device has pushed `--batches` batches. Reported:
   records per second over the whole run, and each batch's request time (p50, p95, max),
   which includes its write transaction. The same with one process on SQLite, for the ratio.
2. Scale: for each size, the database is built on SQLite as benchmarks/export_bench.py builds
   it (direct inserts, then the facts), moved into a new PostgreSQL database with
   `sync_server.migrate.move` (timed), then on PostgreSQL: every dashboard view (cold, i.e.
   first after a change, and warm), and the CSV and Parquet exports in a fresh child
   process each (time, the process's own CPU time and peak memory). Growth is reported as
   the ratio to the smallest size; on a shared machine read it from the CPU time, which the
   other programs' turns on the cores do not lengthen. With `--grow-above N`, a larger size
   (a multiple of N) is N's PostgreSQL database copied inside PostgreSQL: its records and
   facts again under new uuids, the cube summed again by the server's code, the data
   table's keys left out (grow_in_postgresql says why).

`--workers`: ingest alone, without HTTP or clients: N worker processes (N = 1, 2, 4) on one
new PostgreSQL database, each calling `ingest_batch` for its own device's 500-record batches,
released together (`--same`: every worker resends the same records under new batch ids).
Reported: records per second, each batch's seconds and time in its transaction, the counts
checked (every (uuid, revision) once, the facts and cube equal to the latest records), and
where the database connections were, sampled every 10 ms from pg_stat_activity (working,
waiting for a lock and which, or idle while Python works). `--baseline DIR` runs another
source tree (`git archive` of an earlier commit) the same way, the versions taking turns
for `--rounds` rounds; medians are reported.

Results are described in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "benchmarks"), str(ROOT / "tests")]

import requests  # noqa: E402

import export_bench  # noqa: E402
from collector import protocol  # noqa: E402
from postgres import Cluster  # noqa: E402

DEVICES = 50
BATCH_SIZE = 500
HEADERS = {protocol.VERSION_HEADER: protocol.PROTOCOL_VERSION}


# -- ingest ---------------------------------------------------------------------------------


def survey_records(rng: random.Random, count: int) -> list[dict]:
    """`count` community_survey records as a laptop sends them (export_bench's answers)."""
    answers = export_bench.Answers(rng)
    return [
        {
            "uuid": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "revision": 1,
            "form_id": "community_survey",
            "form_version": "1",
            "locale": "en",
            "collected": "2026-11-20",
            "enumerator": None,
            "answers": answers(),
        }
        for _ in range(count)
    ]


def start_servers(data_dir: Path, count: int) -> tuple[list[subprocess.Popen], list[str]]:
    servers, urls = [], []
    for _ in range(count):
        port = export_bench_free_port()
        servers.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "sync_server",
                    "serve",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                    "--threads",
                    "16",
                ],
                env=dict(os.environ, SYNC_SERVER_DATA_DIR=str(data_dir)),
                stdout=subprocess.DEVNULL,
                stderr=open(data_dir / f"server-{port}.log", "wb"),
            )
        )
        urls.append(f"http://127.0.0.1:{port}")
    for url in urls:
        deadline = time.monotonic() + 120
        while True:
            try:
                if requests.get(url + "/api/v1/health", timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{url} did not start")
            time.sleep(0.2)
    return servers, urls


def export_bench_free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def enroll_devices(data_dir: Path, url: str) -> list[str]:
    from sync_server.enrollment import code_hash, expiry, new_code
    from sync_server.store import Store

    store = Store.create(_database_of(data_dir))
    tokens = []
    for n in range(DEVICES):
        code = new_code()
        store.add_enrollment_code(code_hash(code), f"laptop {n}", expiry(1))
        answer = requests.post(
            url + "/api/v1/enroll",
            headers=HEADERS,
            json={"protocol": "1.0", "code": code, "enrollment_id": str(uuid.uuid4())},
            timeout=30,
        )
        answer.raise_for_status()
        tokens.append(answer.json()["device_token"])
    store.close()
    return tokens


def _database_of(data_dir: Path) -> str:
    from sync_server import database_path
    from sync_server.settings import load_settings

    return database_path(load_settings(data_dir)["database"], data_dir)


def bench_ingest(database: str | None, processes: int, batches: int, workdir: Path) -> dict:
    data_dir = Path(tempfile.mkdtemp(prefix="ingest-"))  # kept: its server logs
    if database:
        (data_dir / "settings.toml").write_text(f'database = "{database}"\n')
    servers, urls = start_servers(data_dir, processes)
    try:
        tokens = enroll_devices(data_dir, urls[0])
        rng = random.Random(7)
        bodies = [
            [
                gzip.compress(
                    protocol.dumps(
                        protocol.batch_message(
                            str(uuid.uuid4()), survey_records(rng, BATCH_SIZE), 0, "bench"
                        )
                    )
                )
                for _ in range(batches)
            ]
            for _ in tokens
        ]
        times: list[float] = []
        retries: list[int] = []
        lock = threading.Lock()

        def device(n: int) -> None:
            session = requests.Session()
            headers = dict(
                HEADERS,
                Authorization=f"Bearer {tokens[n]}",
                **{"Content-Type": "application/json", "Content-Encoding": "gzip"},
            )
            for i, body in enumerate(bodies[n]):
                url = urls[(n + i) % len(urls)]
                started = time.perf_counter()
                for attempt in range(10):
                    try:  # as a hub does: the same batch again; the server keeps it once
                        answer = session.post(
                            url + "/api/v1/records", data=body, timeout=600, headers=headers
                        )
                        break
                    except requests.ConnectionError:
                        with lock:
                            retries.append(1)
                        session = requests.Session()
                        time.sleep(1 + attempt)
                else:
                    raise RuntimeError("no answer after 10 tries")
                elapsed = time.perf_counter() - started
                if answer.status_code not in (200, 409):  # 409: an earlier try was stored
                    raise RuntimeError(f"{answer.status_code}: {answer.text[:300]}")
                with lock:
                    times.append(elapsed)
            session.close()  # no keep-alive connection left for the server to wait on

        threads = [threading.Thread(target=device, args=(n,)) for n in range(len(tokens))]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.perf_counter() - started
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            try:
                server.wait(timeout=20)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
    records = len(times) * BATCH_SIZE
    times.sort()
    return {
        "engine": "postgresql" if database else "sqlite",
        "processes": processes,
        "records": records,
        "seconds": wall,
        "per_second": records / wall,
        "p50": times[len(times) // 2],
        "p95": times[int(len(times) * 0.95)],
        "max": times[-1],
        "retries": len(retries),
    }


# -- ingest by worker processes, without HTTP -------------------------------------------------
#
# What the database lets several processes do, with nothing else on the machine's cores:
# N worker processes, each with its own store (connection pool) on one PostgreSQL database,
# each calling `ingest_batch` for its own device's batches, all released at one moment.
# Run by each version's Python path (this tree, or a --baseline tree), so only calls both
# versions have. Prints one JSON line: the run's wall time, each batch's seconds, and where
# the database's connections were, sampled every 10 ms (pg_stat_activity).
WORKERS_CHILD = r"""
import json, multiprocessing, sys, threading, time
from pathlib import Path
from collector.protocol import ProtocolError
from sync_server.database import close_pools
from sync_server.ingest import ingest_batch
from sync_server.store import Store
job = json.loads(Path(sys.argv[1]).read_text())
url, workers, same = job["url"], job["workers"], job["same"]
store = Store.create(url)
with store.transaction():
    for n in range(workers):
        store.db.execute("INSERT INTO devices (id, label, token_hash, enrollment_id, enrolled_at)"
                         " VALUES (?, ?, ?, ?, '2026-01-01T00:00:00Z')",
                         [f"w{n}", f"w{n}", f"hash{n}", f"w{n}"])
store.close()
close_pools()  # each worker opens its own pool after the fork
start = multiprocessing.Barrier(workers + 1)

class Timed(Store):
    held, depth = 0.0, 0
    def transaction(self):
        import contextlib
        @contextlib.contextmanager
        def timed():
            began = time.perf_counter()
            Timed.depth += 1
            try:
                with Store.transaction(self):
                    yield
            finally:
                Timed.depth -= 1
            if not Timed.depth:  # the outermost one only
                Timed.held += time.perf_counter() - began
        return timed()

def work(n, out):
    batches = job["batches"][0 if same else n]
    store = Timed(url)
    device = store.device("w0" if same else f"w{n}")
    ingest_batch(store, device, job["warm"][n], "bench")  # forms parsed, connections open
    Timed.held = 0.0
    start.wait()
    times, replays, began = [], 0, time.perf_counter()
    for batch in batches:
        started = time.perf_counter()
        if same:
            batch = dict(batch, batch_id=f"{batch['batch_id'][:-4]}{n:04d}")  # resent anew
        try:
            status, _answer = ingest_batch(store, device, batch, "bench")
            assert status == 200, status
        except ProtocolError:
            replays += 1
        times.append(time.perf_counter() - started)
    out.put({"began": began, "ended": time.perf_counter(), "times": times,
             "held": Timed.held, "replays": replays})
    store.close()

def sample(stop, counts):
    import psycopg
    with psycopg.connect(url, autocommit=True) as conn:
        while not stop.is_set():
            busy = 0  # connections not idle; the others of the workers are in Python
            for state, kind, event in conn.execute(
                "SELECT state, wait_event_type, wait_event FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                " AND backend_type = 'client backend'"):
                if state == "active" and kind == "Lock":
                    name = f"waiting: {event} lock"
                elif state == "active" and kind in ("LWLock", "IO"):
                    name = f"waiting: {kind}"
                elif state == "active":
                    name = "PostgreSQL working"
                elif state == "idle in transaction":
                    name = "Python working, in a transaction"
                else:
                    continue  # idle: a pool's spare, or a worker outside transactions
                busy += 1
                counts[name] = counts.get(name, 0) + 1
            name = "Python working, outside transactions"
            counts[name] = counts.get(name, 0) + max(0, workers - busy)
            time.sleep(0.01)

out = multiprocessing.get_context("fork").Queue()
processes = [multiprocessing.get_context("fork").Process(target=work, args=(n, out))
             for n in range(workers)]
for process in processes:
    process.start()
counts, stop = {}, threading.Event()
start.wait()
sampler = threading.Thread(target=sample, args=(stop, counts))
sampler.start()
done = [out.get() for _ in processes]
stop.set()
sampler.join()
for process in processes:
    process.join()
store = Store(url)
found = {name: store.db.execute(sql).fetchone()[0] for name, sql in (
    ("records", "SELECT count(*) FROM records"),
    ("distinct", "SELECT count(*) FROM (SELECT DISTINCT uuid, revision FROM records) AS r"),
    ("latest", "SELECT count(*) FROM records WHERE is_latest = 1"),
    ("facts", "SELECT count(*) FROM facts"),
    ("cube", "SELECT coalesce(sum(n), 0)::bigint FROM facts_cube"))}
store.close()
print(json.dumps({"wall": max(d["ended"] for d in done) - min(d["began"] for d in done),
                  "times": [t for d in done for t in d["times"]],
                  "held": sum(d["held"] for d in done),
                  "replays": sum(d["replays"] for d in done),
                  "samples": counts, "found": found}))
"""


def worker_batches(count: int, workers: int, rng: random.Random) -> dict:
    """Each worker's measured batches and its warm-up batch (community_survey, built in)."""
    import ingest_bench
    from collector.forms import builtin_forms

    form, key = builtin_forms()["community_survey"], b"k" * 32
    made = [
        [
            ingest_bench.message(ingest_bench.sync_records(form, BATCH_SIZE, key, rng))
            for _ in range(count)
        ]
        for _ in range(workers)
    ]
    warm = [ingest_bench.message(ingest_bench.sync_records(form, 20, key, rng)) for _ in made]
    return {"batches": made, "warm": warm}


def run_workers(tree: Path, url: str, workers: int, made: dict, same: bool, tmp: Path) -> dict:
    """One version's worker run on a new database (its own schema); its JSON line."""
    job = tmp / "workers-job.json"
    job.write_text(json.dumps(dict(made, url=url, workers=workers, same=same)))
    done = subprocess.run(
        [sys.executable, "-c", WORKERS_CHILD, str(job)],
        cwd=tree,
        env=dict(os.environ, PYTHONPATH=str(tree)),
        capture_output=True,
        text=True,
        timeout=3600,
    )
    if done.returncode:
        raise RuntimeError(f"workers in {tree} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def bench_workers(cluster: Cluster, args, tmp: Path) -> list[dict]:
    """Records per second with 1, 2, 4... worker processes, this version and the baseline
    taking turns (`--rounds`), each run on a new database."""
    counts = [int(p) for p in args.processes.split(",")]
    made = worker_batches(args.batches, max(counts), random.Random(7))
    trees = [("after", ROOT)]
    if args.baseline:
        trees.append(("before", Path(args.baseline).resolve()))
    runs: dict = {}
    for round_ in range(args.rounds):
        for workers in counts:
            for label, tree in trees:
                name = cluster.create_database()
                found = run_workers(tree, cluster.url(name), workers, made, args.same, tmp)
                cluster.drop_database(name)
                stored = (1 if args.same else workers) * args.batches * BATCH_SIZE
                # warm-up batches are 20 records each
                expected = stored + workers * 20
                if (
                    found["found"]["distinct"] != found["found"]["records"]
                    or found["found"]["records"] != expected
                    or found["found"]["cube"] != found["found"]["facts"]
                ):
                    raise RuntimeError(f"{label}, {workers} workers: wrong counts {found['found']}")
                found.update(
                    version=label,
                    workers=workers,
                    round=round_,
                    per_second=workers * args.batches * BATCH_SIZE / found["wall"],
                )
                print(json.dumps({k: v for k, v in found.items() if k != "times"}), flush=True)
                runs.setdefault((label, workers), []).append(found)
    return [
        {
            "version": label,
            "workers": workers,
            "per_second": statistics.median(r["per_second"] for r in found),
            # Against 1 worker of the same version in the same round: the load of the
            # machine changes from round to round more than within one.
            "ratio": statistics.median(
                r["per_second"] / runs[(label, 1)][r["round"]]["per_second"] for r in found
            )
            if (label, 1) in runs
            else None,
            "p50": statistics.median(t for r in found for t in r["times"]),
            "held": statistics.median(r["held"] / len(r["times"]) for r in found),
            "samples": _shares(found),
        }
        for (label, workers), found in runs.items()
    ]


def _shares(found: list[dict]) -> dict:
    """Where the connections were, as shares of all samples of these runs."""
    counts: dict = {}
    for run in found:
        for name, n in run["samples"].items():
            counts[name] = counts.get(name, 0) + n
    total = sum(counts.values()) or 1
    return {name: round(n / total, 3) for name, n in sorted(counts.items())}


def report_workers(rows: list[dict], args) -> None:
    print(
        f"\n{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, {time.strftime('%Y-%m-%d')}"
    )
    kind = "the same records, resent by every worker" if args.same else "each its own device"
    print(
        f"\nIngest by worker processes ({kind}; {args.batches} batches of {BATCH_SIZE} each;"
        f" median of {args.rounds} rounds; vs 1 worker: of the ratios within each round)"
    )
    print("version   workers  records/s  vs 1 worker  batch p50 s  in transaction s")
    for r in sorted(rows, key=lambda r: (r["version"] != "before", r["workers"])):
        ratio = f"{r['ratio']:.2f}x" if r["ratio"] else "-"
        print(
            f"{r['version']:<9} {r['workers']:>7} {r['per_second']:>10,.0f} {ratio:>12}"
            f" {r['p50']:>12.2f} {r['held']:>17.2f}"
        )
    print("\nWhere the database connections were (share of samples)")
    for r in sorted(rows, key=lambda r: (r["version"] != "before", r["workers"])):
        print(
            f"{r['version']:<9} {r['workers']:>2}: "
            + ", ".join(f"{name} {share:.0%}" for name, share in r["samples"].items())
        )


# -- scale ----------------------------------------------------------------------------------


def move_to_postgresql(sqlite_path: Path, url: str) -> float:
    from sync_server.migrate import move
    from sync_server.store import Store

    source, target = Store(str(sqlite_path)), Store.create(url)
    started = time.perf_counter()
    move(source, target)
    seconds = time.perf_counter() - started
    target.db.execute("ANALYZE")
    source.close()
    target.close()
    return seconds


def grow_in_postgresql(url: str, copies: int) -> float:
    """Make the database `copies` times as large: its records and facts copied under new
    uuids (the same answers, devices and dates: every cube cell `copies` times as full),
    then the cube summed again from the facts by the server's own code. Building a
    10-million-record database through SQLite and moving it would take hours here; the
    exports and the views read the same tables either way. The data table's answer keys
    are emptied instead (its own benchmark measures it): they would double the disk."""
    from sync_server import indicators
    from sync_server.store import Store

    store = Store(url)
    db = store.db
    started = time.perf_counter()
    db.execute("TRUNCATE answer_keys, answer_choice_keys")
    db.execute("CREATE TEMP TABLE seed AS SELECT uuid FROM records")
    for table in ("records", "facts"):
        columns = [
            row[0]
            for row in db.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_name = ?"
                " ORDER BY ordinal_position",
                [table],
            )
        ]
        chosen = ", ".join(
            "md5(t.uuid || ':' || ?)::uuid::text" if c == "uuid" else f"t.{c}" for c in columns
        )
        for copy in range(1, copies):
            db.execute(
                f"INSERT INTO {table} ({', '.join(columns)}) SELECT {chosen}"
                f" FROM {table} t JOIN seed USING (uuid)",
                [str(copy)],
            )
            print(f"  {table}: copy {copy} of {copies - 1} done", flush=True)
    with db.transaction():
        indicators.rebuild_cube(db)
    db.execute("DROP TABLE seed")
    seconds = time.perf_counter() - started
    db.execute("VACUUM ANALYZE")
    store.close()
    return seconds


def database_gb(url: str) -> float:
    import psycopg

    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT pg_database_size(current_database())").fetchone()
    assert row is not None
    return row[0] / 1e9


def bench_views(url: str) -> dict:
    from sync_server import indicators
    from sync_server.store import Store

    store = Store(url)
    cold, warm = [], []
    for view, by in export_bench.dashboard_views():
        for bucket in (cold, warm):
            if bucket is cold:
                indicators._CACHE.clear()  # the first view after a change of the data
            started = time.perf_counter()
            if view in indicators.FAMILIES:
                indicators.compare(store.db, view, k=5)
            else:
                indicators.compute(store.db, view, by=by, k=5)
            bucket.append(time.perf_counter() - started)
    store.close()
    return {
        "views": len(cold),
        "cold_median": statistics.median(cold),
        "cold_max": max(cold),
        "warm_max": max(warm),
    }


def bench_scale(
    cluster: Cluster, sizes: list[int], keep: str | None, workdir: Path, grow_above: int = 0
) -> list[dict]:
    results, grown_from = [], None
    launcher = export_bench.Launcher()
    try:
        for size in sizes:
            if grow_above and size > grow_above:
                assert grown_from and size % grow_above == 0, "--grow-above needs that size first"
                from sync_server.database import close_pools

                close_pools()  # a template may have no connection open
                name = cluster.create_database(template=grown_from)
                url = cluster.url(name)
                row = {"records": size, "grown_from": grow_above}
                row["grow_seconds"] = grow_in_postgresql(url, size // grow_above)
                row["move_seconds"] = 0.0
            else:
                args = argparse.Namespace(records=size, seed=20261122, keep=keep)
                sqlite_path, _timings = export_bench.prepared_database(args, workdir)
                name = cluster.create_database()
                url = cluster.url(name)
                row = {"records": size, "move_seconds": move_to_postgresql(sqlite_path, url)}
            row["database_gb"] = database_gb(url)
            row.update(bench_views(url))
            for fmt in ("csv", "parquet"):
                out = workdir / f"export-{size}.{fmt}"
                done = export_bench.run_child(launcher, "export", fmt, url, out)
                base = export_bench.run_child(launcher, "baseline", fmt, url)
                row[fmt] = {
                    "seconds": done["seconds"],
                    "cpu_seconds": done["cpu_seconds"],
                    "rows": done["rows"],
                    "peak_mb": done["maxrss_kib"] / 1024,
                    "over_baseline_mb": (done["maxrss_kib"] - base["maxrss_kib"]) / 1024,
                }
                out.unlink(missing_ok=True)
            print(json.dumps(row), flush=True)
            results.append(row)
            if size == grow_above:
                grown_from = name  # kept as the template of the larger sizes
            else:
                cluster.drop_database(name)
            if not keep and "grown_from" not in row:
                sqlite_path.unlink(missing_ok=True)
        if grown_from:
            cluster.drop_database(grown_from)
    finally:
        launcher.close()
    return results


# -- report ---------------------------------------------------------------------------------


def report(ingest: list[dict], scale: list[dict]) -> None:
    print(
        f"\n{platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, {time.strftime('%Y-%m-%d')}"
    )
    if ingest:
        print("\nIngest (500-record community_survey batches, 50 devices at once)")
        print("engine      processes  records/s   p50 s   p95 s   max s  reconnects")
        for r in ingest:
            print(
                f"{r['engine']:<11} {r['processes']:>9} {r['per_second']:>10,.0f} "
                f"{r['p50']:>7.2f} {r['p95']:>7.2f} {r['max']:>7.2f} {r['retries']:>11}"
            )
    if scale:
        first = scale[0]
        print("\nScale on PostgreSQL (ratios to the smallest size)")
        print(
            "records   move/grow s  GB  views cold median/max ms  warm max ms  csv s (x)   csv MB"
            "  parquet s (x)  parquet MB  csv cpu s (x)  parquet cpu s (x)"
        )
        for r in scale:
            print(
                f"{r['records']:>10,} {r['move_seconds'] or r.get('grow_seconds', 0):>7.0f}"
                f"{'g' if 'grown_from' in r else ' '} {r['database_gb']:>5.1f}  "
                f"{r['cold_median'] * 1000:>8.0f} / {r['cold_max'] * 1000:<8.0f}"
                f"  {r['warm_max'] * 1000:>10.1f}  "
                f"{r['csv']['seconds']:>5.1f} "
                f"({r['csv']['seconds'] / first['csv']['seconds']:>4.1f})"
                f" {r['csv']['peak_mb']:>7.0f}  "
                f"{r['parquet']['seconds']:>6.1f} "
                f"({r['parquet']['seconds'] / first['parquet']['seconds']:>4.1f})"
                f" {r['parquet']['peak_mb']:>10.0f}"
                f"  {r['csv']['cpu_seconds']:>6.1f} "
                f"({r['csv']['cpu_seconds'] / first['csv']['cpu_seconds']:>4.1f})"
                f"  {r['parquet']['cpu_seconds']:>9.1f} "
                f"({r['parquet']['cpu_seconds'] / first['parquet']['cpu_seconds']:>4.1f})"
            )


def main() -> int:
    if "--child" in sys.argv or "--launcher" in sys.argv:
        return export_bench.main()
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--processes", default="1,2,4")
    parser.add_argument("--batches", type=int, default=4, help="batches per device")
    parser.add_argument("--keep", metavar="DIR", help="keep (and reuse) the built SQLite files")
    parser.add_argument(
        "--grow-above",
        type=int,
        default=0,
        metavar="N",
        help="sizes above N (a multiple of it) are N's database copied in PostgreSQL",
    )
    parser.add_argument("--skip-ingest", action="store_true")
    parser.add_argument("--skip-scale", action="store_true")
    parser.add_argument(
        "--workers",
        action="store_true",
        help="only ingest by --processes worker processes calling ingest_batch (no HTTP)",
    )
    parser.add_argument(
        "--baseline", metavar="DIR", help="with --workers: also this source tree, in turns"
    )
    parser.add_argument("--rounds", type=int, default=1, help="with --workers (default 1)")
    parser.add_argument(
        "--same",
        action="store_true",
        help="with --workers: every worker resends the same records (one device)",
    )
    args = parser.parse_args()
    cluster = Cluster()
    if args.workers:
        try:
            with tempfile.TemporaryDirectory() as folder:
                rows = bench_workers(cluster, args, Path(folder))
        finally:
            cluster.stop()
        report_workers(rows, args)
        return 0
    ingest, scale = [], []
    try:
        with tempfile.TemporaryDirectory() as folder:
            workdir = Path(folder)
            if not args.skip_ingest:
                ingest.append(bench_ingest(None, 1, args.batches, workdir))
                print(json.dumps(ingest[-1]), flush=True)
                for processes in (int(p) for p in args.processes.split(",")):
                    name = cluster.create_database()
                    ingest.append(bench_ingest(cluster.url(name), processes, args.batches, workdir))
                    cluster.drop_database(name)
                    print(json.dumps(ingest[-1]), flush=True)
            if not args.skip_scale:
                scale = bench_scale(
                    cluster,
                    [int(s) for s in args.sizes.split(",")],
                    args.keep,
                    workdir,
                    args.grow_above,
                )
    finally:
        cluster.stop()
    report(ingest, scale)
    return 0


if __name__ == "__main__":
    sys.exit(main())
