"""The central server on PostgreSQL: ingest with 1, 2 and 4 server processes, and the
dashboard and exports as the records grow.

    . .venv/bin/activate
    python benchmarks/postgresql_bench.py                          # ingest, then 100k and 1M
    python benchmarks/postgresql_bench.py --sizes 100000,1000000,10000000 --keep ~/bench-cache
    python benchmarks/postgresql_bench.py --skip-scale             # ingest only
    python benchmarks/postgresql_bench.py --skip-ingest --sizes 100000

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
   process each (time and peak memory). Growth is reported as the ratio to the smallest size.

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


def bench_scale(cluster: Cluster, sizes: list[int], keep: str | None, workdir: Path) -> list[dict]:
    results = []
    launcher = export_bench.Launcher()
    try:
        for size in sizes:
            args = argparse.Namespace(records=size, seed=20261122, keep=keep)
            sqlite_path, _timings = export_bench.prepared_database(args, workdir)
            name = cluster.create_database()
            url = cluster.url(name)
            row = {"records": size, "move_seconds": move_to_postgresql(sqlite_path, url)}
            row.update(bench_views(url))
            for fmt in ("csv", "parquet"):
                out = workdir / f"export-{size}.{fmt}"
                done = export_bench.run_child(launcher, "export", fmt, url, out)
                base = export_bench.run_child(launcher, "baseline", fmt, url)
                row[fmt] = {
                    "seconds": done["seconds"],
                    "rows": done["rows"],
                    "peak_mb": done["maxrss_kib"] / 1024,
                    "over_baseline_mb": (done["maxrss_kib"] - base["maxrss_kib"]) / 1024,
                }
                out.unlink(missing_ok=True)
            print(json.dumps(row), flush=True)
            results.append(row)
            cluster.drop_database(name)
            if not keep:
                sqlite_path.unlink(missing_ok=True)
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
            "records     move s  views cold median/max ms  warm max ms  csv s (x)   csv MB"
            "  parquet s (x)  parquet MB"
        )
        for r in scale:
            print(
                f"{r['records']:>10,} {r['move_seconds']:>7.0f}  "
                f"{r['cold_median'] * 1000:>8.0f} / {r['cold_max'] * 1000:<8.0f}"
                f"  {r['warm_max'] * 1000:>10.1f}  "
                f"{r['csv']['seconds']:>5.1f} "
                f"({r['csv']['seconds'] / first['csv']['seconds']:>4.1f})"
                f" {r['csv']['peak_mb']:>7.0f}  "
                f"{r['parquet']['seconds']:>6.1f} "
                f"({r['parquet']['seconds'] / first['parquet']['seconds']:>4.1f})"
                f" {r['parquet']['peak_mb']:>10.0f}"
            )


def main() -> int:
    if "--child" in sys.argv or "--launcher" in sys.argv:
        return export_bench.main()
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="100000,1000000")
    parser.add_argument("--processes", default="1,2,4")
    parser.add_argument("--batches", type=int, default=4, help="batches per device")
    parser.add_argument("--keep", metavar="DIR", help="keep (and reuse) the built SQLite files")
    parser.add_argument("--skip-ingest", action="store_true")
    parser.add_argument("--skip-scale", action="store_true")
    args = parser.parse_args()
    cluster = Cluster()
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
                    cluster, [int(s) for s in args.sizes.split(",")], args.keep, workdir
                )
    finally:
        cluster.stop()
    report(ingest, scale)
    return 0


if __name__ == "__main__":
    sys.exit(main())
