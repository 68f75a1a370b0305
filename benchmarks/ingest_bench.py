"""Ingest benchmark: records per second into the central server, built-in and published forms.

    . .venv/bin/activate
    python benchmarks/ingest_bench.py                  # 10 batches of 500 per case
    python benchmarks/ingest_bench.py --batches 4 --profile
    git archive HEAD | tar -x -C /tmp/before           # the code before a change, then:
    python benchmarks/ingest_bench.py --baseline /tmp/before --rounds 5

Everything runs in this process on SQLite: a real sync server (create_app, cheroot on
127.0.0.1) with a real store, and a device enrolled through the API. For `community_survey`
and `community_feedback`, each as its built-in version and as the same definition published
on the server under a new version, the benchmark pushes batches of 500 anonymized records
(fresh uuids, so every record is stored):

- over HTTP, as a laptop pushes them (gzip, bearer token, one request per batch), and
- in process, calling `ingest_batch` on a store whose write transaction is timed: how long
  each batch holds the database's write lock.

The form catalogue's counters (collector.form_catalogue.stats) show how many times a form
definition was parsed during each case.

`--baseline DIR` compares this code with another version of it (a source tree, such as
`git archive` of an earlier commit) in the same run: for each case, and for a
`community_survey` with a survey design, the same batches are ingested in process by a
child process of each version in turn, `--rounds` times, each on a new database. Reported:
records per CPU second of each (median of the rounds) and their ratio; the rounds alternate,
so a machine shared with other work slows both alike. `--declare RECORDS` times declaring a
survey design over that many stored records, step by step.

`--profile` prints cProfile's top functions for the in-process ingest of a published survey.
Results are described in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import faulthandler
import gzip
import json
import os
import pstats
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
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import requests  # noqa: E402

from collector import form_catalogue, keyfile, protocol  # noqa: E402
from collector.anonymizer import anonymize  # noqa: E402
from collector.forms import builtin_forms, load_form  # noqa: E402
from collector.serving import make_server  # noqa: E402
from filling import FEEDBACK_ANSWERS, SURVEY_ANSWERS  # noqa: E402  (tests/filling.py)
from sync_bench import machine  # noqa: E402  (the same machine lines as the sync benchmark)
from sync_server import create_app  # noqa: E402
from sync_server.enrollment import code_hash, expiry, new_code  # noqa: E402
from sync_server.forms import publish  # noqa: E402
from sync_server.ingest import ingest_batch  # noqa: E402
from sync_server.store import Store  # noqa: E402

BATCH = 500
FORM_IDS = ("community_survey", "community_feedback")
PUBLISHED_VERSION = "bench-2"
GOALS = {"records_per_second": 5_000, "write_seconds": 0.5}
WATCHDOG_SECONDS = 30 * 60
HEADERS = {protocol.VERSION_HEADER: protocol.PROTOCOL_VERSION}


# -- records ------------------------------------------------------------------------------


def typed(form, answers: dict) -> dict:
    """tests/filling.py's answers as the hub stores them: numbers for number questions."""
    out = {}
    for name, value in answers.items():
        kind = form.questions[name].type
        out[name] = int(value) if kind in ("integer", "range") else value
    return out


def vary(form_id: str, base: dict, rng: random.Random) -> dict:
    answers = dict(base)
    if form_id == "community_survey":
        answers["age"] = rng.randint(18, 85)
        answers["gender"] = rng.choice(["woman", "man", "another", "prefer_not"])
        answers["life_satisfaction"] = rng.randint(0, 10)
        answers["comments"] = rng.choice(
            [
                "The water point near block C is often broken.",
                "Nothing to add.",
                "The clinic queue is long.",
            ]
        )
    else:
        answers["topic"] = rng.choice(["water", "health", "education", "other"])
        answers["message"] = rng.choice(
            [
                "The tap in zone B has been dry for a week.",
                "When does the clinic open?",
                "Thank you.",
            ]
        )
    return answers


def sync_records(form, count: int, key: bytes, rng: random.Random) -> list[dict]:
    """`count` finalized records of `form`, anonymized as a laptop sends them."""
    base = typed(form, SURVEY_ANSWERS if form.form_id == "community_survey" else FEEDBACK_ANSWERS)
    out = []
    for _ in range(count):
        record = {
            "uuid": str(uuid.uuid4()),
            "revision": 1,
            "form_id": form.form_id,
            "form_version": form.version,
            "locale": "en",
            "finalized_at": "2026-11-20T10:00:00Z",
            "enumerator": "amina",
            "answers": vary(form.form_id, base, rng),
        }
        out.append(anonymize(record, form, key))
    return out


def message(records: list[dict]) -> dict:
    """A batch as the API receives it: JSON types only."""
    return json.loads(
        protocol.dumps(protocol.batch_message(str(uuid.uuid4()), records, 0, "ingest-bench"))
    )


def published_copy(form):
    """The built-in definition under a new version, as a central team would publish it."""
    data = json.loads(form.to_json())
    data["version"] = PUBLISHED_VERSION
    return load_form(data)


# -- the two ways in ----------------------------------------------------------------------


class TimedStore(Store):
    """The real store; each write transaction's duration is kept."""

    def __init__(self, path):
        super().__init__(path)
        self.held: list[float] = []

    @contextlib.contextmanager
    def transaction(self):
        started = time.perf_counter()
        with super().transaction():
            yield
        self.held.append(time.perf_counter() - started)


def run_http(url: str, token: str, batches: list[dict]) -> float:
    """Push every batch over one keep-alive session; the seconds it took."""
    session = requests.Session()
    session.headers.update(
        HEADERS,
        Authorization=f"Bearer {token}",
        **{"Content-Type": "application/json", "Content-Encoding": "gzip"},
    )
    bodies = [gzip.compress(protocol.dumps(b)) for b in batches]
    started = time.perf_counter()
    try:
        for body in bodies:
            answer = session.post(url + "/api/v1/records", data=body, timeout=(10, 600))
            stored = [r for r in answer.json()["results"] if r["status"] == "stored"]
            if answer.status_code != 200 or len(stored) != BATCH:
                raise RuntimeError(f"push answered {answer.status_code}: {answer.text[:300]}")
    finally:
        session.close()
    return time.perf_counter() - started


def run_in_process(
    database: str, device: dict, batches: list[dict], profiler: cProfile.Profile | None = None
) -> tuple[float, float, list[float]]:
    """`ingest_batch` for every batch on a fresh store: (seconds, CPU seconds of this
    process, write seconds per batch). CPU time says what ingest costs even when other
    programs share the machine."""
    store = TimedStore(database)
    try:
        started, cpu = time.perf_counter(), time.process_time()
        for batch in batches:
            if profiler is not None:
                profiler.enable()
            status, answer = ingest_batch(store, device, batch, "bench")
            if profiler is not None:
                profiler.disable()
            if status != 200 or any(r["status"] != "stored" for r in answer["results"]):
                raise RuntimeError(f"ingest answered {status}: {str(answer)[:300]}")
        seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
        if len(store.held) != len(batches):
            raise RuntimeError(f"{len(store.held)} write transactions for {len(batches)} batches")
        return seconds, cpu, store.held
    finally:
        store.close()


# -- setup --------------------------------------------------------------------------------


def enroll(url: str, database: str) -> dict:
    code = new_code()
    store = Store(database)
    try:
        store.add_enrollment_code(code_hash(code), "bench laptop", expiry(24.0))
    finally:
        store.close()
    answer = requests.post(
        url + "/api/v1/enroll",
        headers=HEADERS,
        timeout=30,
        json={
            "protocol": protocol.PROTOCOL_VERSION,
            "code": code,
            "enrollment_id": str(uuid.uuid4()),
        },
    )
    answer.raise_for_status()
    return answer.json()


# -- this version against a baseline, in child processes --------------------------------------

# Run by each version's Python path: only calls both versions have (Store, publish,
# designs, ingest_batch). Prints {"cpu": seconds, "held": [...], "spent": [...]} for the
# ingest alone: CPU seconds in all, then each batch's wall-clock and CPU seconds.
CHILD = r"""
import json, sys, tempfile, time
from pathlib import Path
from sync_server.store import Store
from sync_server.ingest import ingest_batch
from sync_server.forms import publish
from sync_server import designs
from collector.forms import builtin_forms
job = json.loads(Path(sys.argv[1]).read_text())
with tempfile.TemporaryDirectory() as tmp:
    store = Store.create(Path(tmp) / "central.db")
    with store.transaction():
        store.db.execute("INSERT INTO devices (id, label, token_hash, enrollment_id, enrolled_at)"
                         " VALUES ('bench', 'bench', 'hash', 'bench', '2026-01-01T00:00:00Z')")
    if job["publish"]:
        publish(store, job["publish"], "bench")
    if job["design"]:
        form = builtin_forms()["community_survey"]
        designs.save_design(store.db, "community_survey",
                            designs.parse_design(form, **job["design"]), "bench")
    device = store.device("bench")
    ingest_batch(store, device, job["batches"][0], "bench")  # warm: forms parsed, caches
    held, spent, cpu = [], [], time.process_time()
    for batch in job["batches"][1:]:
        started, begun = time.perf_counter(), time.process_time()
        status, answer = ingest_batch(store, device, batch, "bench")
        held.append(time.perf_counter() - started)
        spent.append(time.process_time() - begun)
        assert status == 200 and all(r["status"] == "stored" for r in answer["results"])
    print(json.dumps({"cpu": time.process_time() - cpu, "held": held, "spent": spent}))
    store.close()
"""
DESIGN = {"stratum": "area", "cluster": "_device"}


def child_ingest(tree: Path, job_file: Path) -> dict:
    """One version (its source tree) ingesting a job's batches in a child process."""
    env = dict(os.environ, PYTHONPATH=str(tree))
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(job_file)],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=WATCHDOG_SECONDS,
    )
    if done.returncode:
        raise RuntimeError(f"ingest in {tree} failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def compare(
    baseline: Path, batches: int, rounds: int, key: bytes, rng: random.Random, tmp: Path
) -> list[dict]:
    """Records per CPU second of this version and of the baseline, case by case."""
    builtins = builtin_forms()
    survey = builtins["community_survey"]
    cases = [
        ("community_survey", "built-in", survey, None, None),
        ("community_survey", "published", published_copy(survey), True, None),
        ("community_survey", "built-in, design", survey, None, DESIGN),
        ("community_feedback", "built-in", builtins["community_feedback"], None, None),
    ]
    rows = []
    for form_id, kind, form, publish_it, design in cases:
        records = sync_records(form, BATCH * (batches + 1), key, rng)
        job = {
            "batches": [message(records[i : i + BATCH]) for i in range(0, len(records), BATCH)],
            "publish": form.to_json() if publish_it else None,
            "design": design,
        }
        job_file = tmp / "job.json"
        job_file.write_text(json.dumps(job))
        runs: dict[str, list[dict]] = {"before": [], "after": []}
        for _ in range(rounds):
            runs["before"].append(child_ingest(baseline, job_file))
            runs["after"].append(child_ingest(ROOT, job_file))
        count = BATCH * batches
        rates = {
            name: statistics.median(count / run["cpu"] for run in found)
            for name, found in runs.items()
        }
        held = {name: max(max(run["held"]) for run in found) for name, found in runs.items()}
        spent = {name: max(max(run["spent"]) for run in found) for name, found in runs.items()}
        rows.append(
            {
                "form": form_id,
                "kind": kind,
                "before": rates["before"],
                "after": rates["after"],
                "held_before": held["before"],
                "held_after": held["after"],
                "spent_before": spent["before"],
                "spent_after": spent["after"],
            }
        )
    return rows


def print_comparison(rows: list[dict], baseline: Path, rounds: int) -> None:
    print(
        f"This version against {baseline}: records per CPU second, median of {rounds} "
        "alternating rounds;"
    )
    print(
        "longest batch: the longest `ingest_batch` of any round (its write transaction and"
        " the checks before it), in seconds of wall clock and of CPU."
    )
    header = (
        f"{'form':<20}{'version':<18}{'before':>10}{'after':>10}{'ratio':>8}"
        f"{'longest batch before, after':>30}{'CPU s before, after':>22}"
    )
    print(header)
    print("-" * len(header))
    for r in rows:
        longest = f"{r['held_before']:.3f}, {r['held_after']:.3f}"
        spent = f"{r['spent_before']:.3f}, {r['spent_after']:.3f}"
        print(
            f"{r['form']:<20}{r['kind']:<18}{r['before']:>10,.0f}{r['after']:>10,.0f}"
            f"{r['after'] / r['before']:>7.2f}x{longest:>30}{spent:>22}"
        )


# -- declaring a design over stored records -------------------------------------------------


def bench_declare(count: int, key: bytes, rng: random.Random, tmp: Path) -> dict:
    """`count` community_survey records stored (ingest_batch), then a design declared over
    them: the first transaction, then every build step (sync_server.designs) timed."""
    from sync_server import designs

    survey = builtin_forms()["community_survey"]
    store = Store.create(tmp / "declare.db")
    try:
        with store.transaction():
            store.db.execute(
                "INSERT INTO devices (id, label, token_hash, enrollment_id,"
                " enrolled_at) VALUES ('bench', 'bench', 'hash', 'bench',"
                " '2026-01-01T00:00:00Z')"
            )
        device = store.device("bench")
        for _ in range(0, count, BATCH):
            ingest_batch(store, device, message(sync_records(survey, BATCH, key, rng)), "bench")
        definition = designs.parse_design(survey, **DESIGN)
        started = time.perf_counter()
        designs.save_design(store.db, "community_survey", definition, "bench", steps=0)
        first = time.perf_counter() - started
        steps = []
        while True:
            begun = time.perf_counter()
            more = designs.build_design(store.db, "community_survey")
            steps.append(time.perf_counter() - begun)
            if not more:
                break
        units = store.db.execute("SELECT count(*) FROM survey_units").fetchone()[0]
    finally:
        store.close()
    return {
        "records": count,
        "units": units,
        "first": first,
        "steps": steps,
        "total": first + sum(steps),
    }


def print_declare(found: dict) -> None:
    steps = found["steps"]
    print(
        f"A design declared over {found['records']:,} stored records ({found['units']:,} "
        f"units): {found['total']:.1f} s in all, {len(steps)} steps of "
        f"{designs_chunk()} records;"
    )
    print(
        f"write transactions: the first {found['first']:.3f} s, the steps median "
        f"{statistics.median(steps):.3f} s, longest {max(steps):.3f} s (goal < "
        f"{GOALS['write_seconds']} s)."
    )


def designs_chunk() -> int:
    from sync_server.designs import BUILD_CHUNK

    return BUILD_CHUNK


def print_table(rows: list[dict]) -> None:
    header = (
        f"{'form':<20}{'version':<18}{'records':>9}{'HTTP rec/s':>12}"
        f"{'ingest rec/s':>14}{'per CPU s':>11}{'write s/batch (median, max)':>30}"
        f"{'parses':>8}"
    )
    print(header)
    print("-" * len(header))
    for r in rows:
        held = f"{statistics.median(r['held']):.3f}, {max(r['held']):.3f}"
        print(
            f"{r['form']:<20}{r['version']:<18}{r['records']:>9,}{r['http']:>12,.0f}"
            f"{r['ingest']:>14,.0f}{r['cpu']:>11,.0f}{held:>30}{r['parses']:>8}"
        )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--batches",
        type=int,
        default=10,
        help=f"batches of {BATCH} records per case and way (default 10)",
    )
    parser.add_argument("--seed", type=int, default=20261206, help="random seed for answers")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="print cProfile's top functions for a published survey's ingest",
    )
    parser.add_argument(
        "--baseline",
        type=Path,
        metavar="DIR",
        help="also compare with the version of the code in this source tree",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="alternating rounds of each version with --baseline (default 3)",
    )
    parser.add_argument(
        "--declare",
        type=int,
        default=0,
        metavar="RECORDS",
        help="also time declaring a design over this many stored records",
    )
    args = parser.parse_args(argv)
    if args.batches < 1 or args.rounds < 1:
        parser.error("--batches and --rounds must be at least 1")
    if args.baseline and not (args.baseline / "sync_server" / "ingest.py").is_file():
        parser.error(f"{args.baseline} is not a source tree of this project")
    faulthandler.dump_traceback_later(WATCHDOG_SECONDS, exit=True)

    print(f"Ingest benchmark: batches of {BATCH} records, SQLite, one process")
    print("\n".join(machine()))
    print()
    rng = random.Random(args.seed)
    key = keyfile.new_key()
    builtins = builtin_forms()
    rows, profiler = [], cProfile.Profile() if args.profile else None
    with tempfile.TemporaryDirectory(prefix="ingest-bench-") as tmp:
        app = create_app(data_dir=Path(tmp) / "central")
        database = app.config["DATABASE"]
        server = make_server(app, "127.0.0.1", 0, threads=8)
        server.prepare()
        url = f"http://127.0.0.1:{server.bind_addr[1]}"
        thread = threading.Thread(target=server.serve, daemon=True, name="bench-server")
        thread.start()
        try:
            device = enroll(url, database)
            store = Store(database)
            device_row = store.device(device["device_id"])
            forms = []
            for form_id in FORM_IDS:
                copy = published_copy(builtins[form_id])
                publish(store, copy.to_json(), "bench")
                forms += [("built-in", builtins[form_id]), ("published", copy)]
            store.close()
            for kind, form in forms:
                records = sync_records(form, BATCH * args.batches * 2, key, rng)
                chunks = [records[i : i + BATCH] for i in range(0, len(records), BATCH)]
                http_batches = [message(c) for c in chunks[: args.batches]]
                local_batches = [message(c) for c in chunks[args.batches :]]
                parses = form_catalogue.stats()["parses"]
                http = run_http(url, device["device_token"], http_batches)
                profile = (
                    profiler if kind == "published" and form.form_id == "community_survey" else None
                )
                seconds, cpu, held = run_in_process(database, device_row, local_batches, profile)
                count = BATCH * args.batches
                rows.append(
                    {
                        "form": form.form_id,
                        "version": f"{form.version} ({kind})",
                        "records": count,
                        "http": count / http,
                        "ingest": count / seconds,
                        "cpu": count / cpu,
                        "held": held,
                        "parses": form_catalogue.stats()["parses"] - parses,
                    }
                )
        finally:
            server.stop()
            thread.join(timeout=10)
    print_table(rows)
    print()
    # The goal is in records per second of one process's CPU: the wall-clock columns count
    # the time other programs take the CPUs, and HTTP's also the client's work (gzip,
    # requests), which runs in this same process.
    slowest = min(r["cpu"] for r in rows)
    longest = max(max(r["held"]) for r in rows)
    print(
        f"Slowest records per CPU s: {slowest:,.0f} "
        f"(goal >= {GOALS['records_per_second']:,}): "
        f"{'goal met' if slowest >= GOALS['records_per_second'] else 'GOAL NOT MET'}"
    )
    print(
        f"Longest write transaction per batch: {longest:.3f} s "
        f"(goal < {GOALS['write_seconds']} s): "
        f"{'goal met' if longest < GOALS['write_seconds'] else 'GOAL NOT MET'}"
    )
    print(
        f"Load average while running: {', '.join(f'{x:.1f}' for x in os.getloadavg())} "
        f"on {os.cpu_count()} CPUs (other programs slow the wall-clock columns)."
    )
    print("per CPU s: records ingested in process per second of this process's CPU time.")
    print(
        "parses: form definitions parsed and validated during the case (both ways); "
        "every other lookup came from the form catalogue."
    )
    if args.baseline:
        print()
        with tempfile.TemporaryDirectory(prefix="ingest-compare-") as tmp:
            compared = compare(
                args.baseline.resolve(), args.batches, args.rounds, key, rng, Path(tmp)
            )
        print_comparison(compared, args.baseline, args.rounds)
    if args.declare:
        print()
        with tempfile.TemporaryDirectory(prefix="ingest-declare-") as tmp:
            print_declare(bench_declare(args.declare, key, rng, Path(tmp)))
    if profiler is not None:
        print()
        print("cProfile, in-process ingest of the published community_survey:")
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
    return 0


if __name__ == "__main__":
    sys.exit(main())
