"""Central workspace benchmark: exports and dashboard views at 1,000,000 survey records.

    . .venv/bin/activate
    python benchmarks/export_bench.py                       # 1,000,000 records (about 8 min)
    python benchmarks/export_bench.py --keep ~/bench-cache  # keep the built database for next time
    python benchmarks/export_bench.py --records 20000       # a quick try
    python benchmarks/export_bench.py --records 100000 --formats csv,parquet --skip-dashboard

1. Builds a central (sync server) database holding N `community_survey` records whose answers
   look as the server stores them after the laptop's anonymizer: age bands ("30-34"), districts
   ("NR", "CE", "SR"), select_multiple lists, ranges as ints, WHO-5 as "0".."5", free text
   scrubbed, names and phones dropped. The setup does NOT go through ingest: it writes the
   `devices`, `batches` and `records` rows directly (executemany, one transaction per 50,000
   records, `PRAGMA synchronous=OFF` for the setup connection only), then runs
   `indicators.rebuild_facts` once. With `--keep DIR` the built file is kept and reused.
2. Exports the form to CSV, Stata (.dta), SPSS (.sav) and Parquet (a ZIP of one Parquet
   file per table) with `sync_server.exports.export(
   store.iter_latest(...), forms, fmt, out)` into a temporary folder, each in a fresh child
   process (this script with an internal flag), timing the export call and reading the
   child's `ru_maxrss`. A child that only imports the same modules, opens the store and loads
   the form versions gives the baseline, so the export's own increase shows.
3. Serves the real app (create_app, cheroot) on 127.0.0.1, signs in as a viewer with
   `requests`, and times `GET /?view=X&by=Y` for every view the dashboard offers (each single
   indicator and each family, overall and by each dimension) plus step_visibility by each
   dimension: one warm-up, then 3 timed requests each. For each view the indicator's SQL
   (`compute`/`compare` on a direct connection) is timed once too, to show what dominates.

Everything is bounded: child processes have timeouts and a watchdog ends the run if it hangs.
Results are described in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import faulthandler
import hashlib
import json
import os
import platform
import random
import resource
import sqlite3
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

FORM_ID = "community_survey"
CHUNK = 50_000  # records per setup transaction
BATCH_SIZE = 500  # records per `batches` row, as a laptop's pushes would be
DEVICES = 40
TIMED_REPEATS = 3
WATCHDOG_SECONDS = 40 * 60
CHILD_TIMEOUT = {"csv": 600, "dta": 1200, "sav": 1200, "parquet": 1200}
FORMATS = ("csv", "dta", "sav", "parquet")
OTHER_BENCH = "benchmarks/sync_bench.py"
GOALS = {"csv_rows_per_second": 50_000, "csv_peak_mb": 300, "dashboard_ms": 500}
VIEWER, PASSWORD = "bench-viewer", "a long enough benchmark passphrase"


# -- child processes: one export (or only the imports) per process ---------------------------


def child_main(args) -> None:
    """Runs in a fresh process: print one JSON line with the export's time and peak RSS."""
    # The baseline imports what an export does.
    from sync_server import exports, spss, stata  # noqa: F401
    from sync_server.data import form_history
    from sync_server.store import Store

    if args.fmt == "parquet":
        from sync_server import parquet  # noqa: F401  (pyarrow: in the baseline too)
    store = Store(args.db)
    forms = form_history(FORM_ID, store)
    answer = {"fmt": args.fmt, "mode": args.child}
    if args.child == "export":
        with open(args.out, "wb") as out:
            started, cpu = time.perf_counter(), time.process_time()
            rows = exports.export(store.iter_latest(FORM_ID), forms, args.fmt, out)
            answer["seconds"] = time.perf_counter() - started
            # This process's own CPU time: on a shared machine, growth is read from it
            # (wall time also counts the other programs' turns on the cores).
            answer["cpu_seconds"] = time.process_time() - cpu
        answer["rows"] = rows
        answer["bytes"] = os.path.getsize(args.out)
    store.close()
    answer["maxrss_kib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    answer["hwm_kib"] = peak_rss_hwm_kib()
    print(json.dumps(answer), flush=True)


def peak_rss_hwm_kib() -> int | None:
    """VmHWM of /proc/self/status: this address space's own peak, as a cross-check."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return None


class Launcher:
    """A small process, started before anything big is loaded, that starts the children.

    On Linux a child's ru_maxrss starts from its parent's peak RSS (subprocess uses vfork,
    and exec records the shared address space's high-water mark), so children started from
    this process after it built the database would report its peak, not their own. Started
    from this small launcher, their ru_maxrss is their own.
    """

    def __init__(self):
        self.process = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "--launcher"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def run(self, command: list[str], timeout: float) -> dict:
        self.process.stdin.write(json.dumps({"command": command, "timeout": timeout}) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError("the launcher process ended")
        return json.loads(line)

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.stdin.close()
            self.process.wait(timeout=30)


def launcher_main() -> None:
    """Run each command read from stdin, answer its exit code and output on stdout."""
    for line in sys.stdin:
        order = json.loads(line)
        try:
            done = subprocess.run(
                order["command"], capture_output=True, text=True, timeout=order["timeout"]
            )
            answer = {"returncode": done.returncode, "stdout": done.stdout, "stderr": done.stderr}
        except subprocess.TimeoutExpired:
            answer = {"returncode": -1, "stdout": "", "stderr": "timed out"}
        print(json.dumps(answer), flush=True)


def run_child(launcher: Launcher, mode: str, fmt: str, db: Path, out: Path | None = None) -> dict:
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--child",
        mode,
        "--fmt",
        fmt,
        "--db",
        str(db),
        "--out",
        str(out or ""),
    ]
    done = launcher.run(command, CHILD_TIMEOUT.get(fmt, 600))
    if done["returncode"] != 0:
        raise RuntimeError(
            f"child {mode} {fmt} failed ({done['returncode']}):\n{done['stderr'][-3000:]}"
        )
    return json.loads(done["stdout"].strip().splitlines()[-1])


# -- waiting for the other benchmark --------------------------------------------------------


def wait_for_quiet_machine(limit_seconds: float = 600, poll: float = 10) -> bool:
    """Wait until no `benchmarks/sync_bench.py` process runs (at most `limit_seconds`)."""
    started = time.monotonic()
    announced = False
    while True:
        found = subprocess.run(["pgrep", "-f", OTHER_BENCH], capture_output=True, text=True)
        pids = [p for p in found.stdout.split() if p.strip() and int(p) != os.getpid()]
        if not pids:
            if announced:
                print(
                    f"  {OTHER_BENCH} has ended after {time.monotonic() - started:.0f} s.",
                    flush=True,
                )
            return True
        if time.monotonic() - started >= limit_seconds:
            print(
                f"  WARNING: {OTHER_BENCH} still running (pid {', '.join(pids)}) after "
                f"{limit_seconds:.0f} s; going on, numbers may be distorted.",
                flush=True,
            )
            return False
        if not announced:
            print(
                f"  Waiting for {OTHER_BENCH} (pid {', '.join(pids)}) to end "
                f"(polling every {poll:.0f} s, at most {limit_seconds / 60:.0f} min)...",
                flush=True,
            )
            announced = True
        time.sleep(poll)


# -- the database -----------------------------------------------------------------------------


class Answers:
    """Varied anonymized community_survey answers, as the server receives them."""

    def __init__(self, rng: random.Random):
        from collector.forms import builtin_forms

        form = builtin_forms()[FORM_ID]
        self.rng = rng

        def names(question):
            return [c["name"] for c in form.choices(form.questions[question])]

        self.gender = ["woman"] * 45 + ["man"] * 45 + ["another"] * 3 + ["prefer_not"] * 7
        self.migration = (
            ["host"] * 35
            + ["idp"] * 20
            + ["refugee"] * 25
            + ["migrant"] * 10
            + ["returnee"] * 7
            + ["prefer_not"] * 3
        )
        self.languages = names("language_home")
        self.other_languages = ["Tigrinya", "Dinka", "Lingala", "Oromo", "Kinyarwanda"]
        self.areas = ["NR", "NR", "CE", "CE", "CE", "SR"]  # the anonymizer sends the district
        self.wg = ["none"] * 70 + ["some"] * 22 + ["a_lot"] * 6 + ["cannot"] * 2
        self.who5 = ["0", "1", "2", "2", "3", "3", "3", "4", "4", "5"]
        self.safety = names("safety_after_dark")
        self.belonging = names("belonging")
        self.agree = names("incl_visibility")
        self.contact = names("incl_contact")
        self.documents = names("incl_documents")
        self.health = names("incl_health_access")
        self.income = names("incl_income")
        self.grounds = names("discrimination_grounds")
        self.settings = names("discrimination_settings")
        self.frequency = names("discrimination_frequency")
        self.channels = [c for c in names("reported_to") if c != "no_one"]
        self.why = names("not_reported_why")
        self.trust = [
            "trust_people",
            "trust_fair",
            "trust_helpful",
            "trust_local_authorities",
            "trust_police",
            "trust_courts",
            "trust_health_services",
            "trust_schools",
            "trust_national_government",
            "trust_community_leaders",
            "trust_religious_leaders",
            "trust_humanitarian",
            "trust_host_newcomers",
        ]
        # Free text after scrub_text: phones, IDs and names already replaced.
        self.comments = [
            "The water point near block C is often broken.",
            "Call me on [phone] about the clinic queue.",
            "Street lights in zone B have been off for two weeks; women avoid the market path.",
            "The registration office asked for a document I cannot get, ref [id].",
            "[name] at the distribution point was very helpful.",
            "Nothing to add.",
            None,
            None,
            None,
            None,
        ]

    def __call__(self) -> dict:
        rng, choice, randint = self.rng, self.rng.choice, self.rng.randint
        age = randint(18, 84)
        low = age - age % 5
        a = {
            "consent": "yes",
            "age": f"{low}-{low + 4}",
            "gender": choice(self.gender),
            "migration_status": choice(self.migration),
            "area": choice(self.areas),
            "urban_rural": choice(("urban", "urban", "rural")),
            "language_home": choice(self.languages),
        }
        if a["language_home"] == "other":
            a["language_home_other"] = choice(self.other_languages)
        for name in (
            "wg_seeing",
            "wg_hearing",
            "wg_walking",
            "wg_remembering",
            "wg_selfcare",
            "wg_communicating",
        ):
            a[name] = choice(self.wg)
        for name in ("who5_spirits", "who5_calm", "who5_active", "who5_rested", "who5_interest"):
            a[name] = choice(self.who5)
        a["life_satisfaction"] = randint(0, 10)
        a["safety_after_dark"] = choice(self.safety)
        a["belonging"] = choice(self.belonging)
        for name in self.trust:
            if rng.random() < 0.97:  # a few range questions left unanswered
                a[name] = randint(0, 10)
        for name in ("incl_visibility", "incl_consideration", "incl_participation", "incl_rights"):
            a[name] = choice(self.agree)
        a["incl_contact"] = choice(self.contact)
        a["incl_documents"] = choice(self.documents)
        a["incl_health_access"] = choice(self.health)
        a["incl_income"] = choice(self.income)
        a["discriminated"] = choice(("yes", "no", "no", "no", "prefer_not"))
        if a["discriminated"] == "yes":  # the branch and its skip logic
            a["discrimination_grounds"] = sorted(rng.sample(self.grounds, randint(1, 3)))
            a["discrimination_settings"] = sorted(rng.sample(self.settings, randint(1, 2)))
            a["discrimination_frequency"] = choice(self.frequency)
            if rng.random() < 0.6:
                a["reported_to"] = ["no_one"]
                a["not_reported_why"] = sorted(rng.sample(self.why, randint(1, 2)))
            else:
                a["reported_to"] = sorted(rng.sample(self.channels, randint(1, 2)))
        comment = choice(self.comments)
        if comment:
            a["comments"] = comment
        return a


def build_database(path: Path, count: int, seed: int) -> dict:
    """Write the devices, batches and records rows directly, then rebuild the facts."""
    from collector.anonymizer import pseudonym
    from sync_server.indicators import rebuild_facts
    from sync_server.store import Store, answers_json

    rng = random.Random(seed)
    key = rng.randbytes(32)
    answers = Answers(rng)
    store = Store.create(path)
    conn = store.db.conn
    conn.execute("PRAGMA synchronous = OFF")  # setup only; the app's connections use FULL
    started = time.perf_counter()
    epoch = dt.datetime(2025, 1, 6, 8, 0, tzinfo=dt.UTC)
    devices = [str(uuid.UUID(int=rng.getrandbits(128), version=4)) for _ in range(DEVICES)]
    enumerators = [pseudonym("enumerator", f"enumerator {n}", key) for n in range(120)]
    locales = ["en"] * 4 + ["fr"] * 2 + ["sw"] * 2 + ["ar"] * 2 + ["ha", "es"]
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO devices (id, label, token_hash, enrollment_id, enrolled_at, app_version)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        [
            (
                device,
                f"laptop {n}",
                hashlib.sha256(device.encode()).hexdigest(),
                str(uuid.uuid4()),
                "2025-01-05T09:00:00Z",
                "1.0",
            )
            for n, device in enumerate(devices)
        ],
    )
    conn.execute("COMMIT")
    record_sql = (
        "INSERT INTO records (uuid, revision, device_id, form_id, form_version, locale,"
        " collected, enumerator, answers, received_at, batch_id, is_latest)"
        " VALUES (?, 1, ?, ?, '1', ?, ?, ?, ?, ?, ?, 1)"
    )
    batch_sql = (
        "INSERT INTO batches (batch_id, device_id, received_at, records, source)"
        " VALUES (?, ?, ?, ?, 'api')"
    )
    # About 400 days of collection: one batch of 500 every ~5 hours, received 0-6 days
    # after collection; every record of a batch has the batch's received_at, as on ingest.
    seconds_per_batch = max(60, int(400 * 86400 * BATCH_SIZE / max(count, 1)))
    done = 0
    while done < count:
        rows, batches = [], []
        end = min(count, done + CHUNK)
        for start in range(done, end, BATCH_SIZE):
            size = min(BATCH_SIZE, end - start)
            batch_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            device = devices[(start // BATCH_SIZE) % DEVICES]
            received = epoch + dt.timedelta(seconds=(start // BATCH_SIZE) * seconds_per_batch)
            received_at = received.isoformat().replace("+00:00", "Z")
            batches.append((batch_id, device, received_at, size))
            for _ in range(size):
                collected = (received - dt.timedelta(days=rng.randint(0, 6))).date().isoformat()
                rows.append(
                    (
                        str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                        device,
                        FORM_ID,
                        rng.choice(locales),
                        collected,
                        rng.choice(enumerators),
                        answers_json(answers()),
                        received_at,
                        batch_id,
                    )
                )
        conn.execute("BEGIN")
        conn.executemany(batch_sql, batches)
        conn.executemany(record_sql, rows)
        conn.execute("COMMIT")
        done = end
        print(
            f"  {done:,} / {count:,} records inserted ({time.perf_counter() - started:.0f} s)",
            flush=True,
        )
    inserted = time.perf_counter() - started
    conn.execute("BEGIN")
    # The store's database wrapper where indicators take one, else the raw connection.
    rebuild_facts(store.db if hasattr(store.db, "stream") else conn)
    conn.execute("COMMIT")
    facts_seconds = time.perf_counter() - started - inserted
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    return {"insert_seconds": inserted, "facts_seconds": facts_seconds}


def prepared_database(args, workdir: Path) -> tuple[Path, dict | None]:
    """The database for this run: built in `workdir`, or reused from / kept in --keep DIR."""
    name = f"central-{args.records}-seed{args.seed}.db"
    if args.keep:
        keep = Path(args.keep).expanduser().resolve()
        keep.mkdir(parents=True, exist_ok=True)
        path = keep / name
        if path.exists() and (keep / (name + ".complete")).exists():
            print(f"Reusing the database built earlier: {path}", flush=True)
            return path, json.loads((keep / (name + ".complete")).read_text())
        for leftover in keep.glob(name + "*"):
            leftover.unlink()
    else:
        path = workdir / name
    print(
        f"Building {args.records:,} community_survey records in {path} (direct inserts, "
        "not ingest)...",
        flush=True,
    )
    timings = build_database(path, args.records, args.seed)
    if args.keep:
        (path.parent / (name + ".complete")).write_text(json.dumps(timings))
    return path, dict(timings, now=True)


# -- the dashboard ----------------------------------------------------------------------------


def dashboard_views():
    """(view, by) for every choice the dashboard's two menus offer, then step_visibility."""
    from sync_server.indicators import BY_DIMENSIONS, FAMILIES, INDICATORS

    singles = [i.id for i in INDICATORS if i.family is None]
    views = []
    for view in singles + list(FAMILIES) + ["step_visibility"]:
        views += [(view, by) for by in (None,) + BY_DIMENSIONS]
    return views


class Served:
    """The central app served by cheroot on 127.0.0.1:<free port> in a thread."""

    def __init__(self, app):
        from collector.serving import make_server

        self.server = make_server(app, "127.0.0.1", 0, threads=4)
        self.server.prepare()
        self.url = f"http://127.0.0.1:{self.server.bind_addr[1]}"
        self.thread = threading.Thread(target=self.server.serve, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.stop()
        self.thread.join(timeout=10)


def bench_dashboard(db: Path, workdir: Path) -> list[dict]:
    import re

    import requests

    from collector.passwords import hash_secret
    from sync_server import create_app
    from sync_server.indicators import FAMILIES, compare, compute
    from sync_server.store import Store

    store = Store(db)
    if not store.user_exists(VIEWER):
        store.add_user(VIEWER, "viewer", hash_secret(PASSWORD))
    store.close()
    app = create_app(data_dir=workdir / "central-data", database=str(db))
    served = Served(app)
    session = requests.Session()
    session.headers["Accept-Language"] = "en"
    results = []
    direct = sqlite3.connect(str(db))
    try:
        page = session.get(served.url + "/signin", timeout=30).text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        signed = session.post(
            served.url + "/signin",
            timeout=60,
            data={"name": VIEWER, "password": PASSWORD, "csrf_token": token},
        )
        if signed.status_code != 200 or "/signin" in signed.url:
            raise RuntimeError(f"sign-in failed: {signed.status_code} {signed.url}")
        views = dashboard_views()
        print(
            f"Dashboard: {len(views)} views, 1 warm-up + {TIMED_REPEATS} timed requests each",
            flush=True,
        )
        for view, by in views:
            params = {"view": view, **({"by": by} if by else {})}
            times = []
            for attempt in range(TIMED_REPEATS + 1):
                started = time.perf_counter()
                response = session.get(served.url + "/", params=params, timeout=120)
                body = response.content
                elapsed = time.perf_counter() - started
                if response.status_code != 200 or "/signin" in response.url:
                    raise RuntimeError(f"GET {response.url}: {response.status_code}")
                if attempt:
                    times.append(elapsed)
            started = time.perf_counter()
            if view in FAMILIES:
                compare(direct, view, k=5)
            else:
                compute(direct, view, by=by, k=5)
            sql = time.perf_counter() - started
            results.append(
                {
                    "view": view,
                    "by": by,
                    "median": statistics.median(times),
                    "max": max(times),
                    "sql": sql,
                    "bytes": len(body),
                }
            )
            print(
                f"  {view:<26} {by or '(everyone)':<17} "
                f"median {1000 * results[-1]['median']:7.1f}"
                f" ms  max {1000 * results[-1]['max']:7.1f} ms  (SQL alone {1000 * sql:6.1f} ms)",
                flush=True,
            )
    finally:
        direct.close()
        session.close()
        served.stop()
    return results


# -- report -----------------------------------------------------------------------------------


def machine() -> str:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    nproc = subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip()
    return (
        f"{platform.platform()}, nproc {nproc} ({cpu}), Python "
        f"{platform.python_version()}, SQLite {sqlite3.sqlite_version}"
    )


def mb(kib: float) -> str:
    return f"{kib / 1024:,.0f} MB"


def warm_page_cache(path: Path) -> float:
    """Read the database file once, so that the first export does not pay a cold disk."""
    started = time.perf_counter()
    with open(path, "rb") as handle:
        while handle.read(16 * 1024 * 1024):
            pass
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--keep", metavar="DIR", help="keep (and reuse) the built database here")
    parser.add_argument("--seed", type=int, default=20261122)
    parser.add_argument("--skip-dta", action="store_true", help="export CSV only (no .dta or .sav)")
    parser.add_argument(
        "--formats",
        default=",".join(FORMATS),
        help="the exports to time, comma-separated (CSV always comes first)",
    )
    parser.add_argument(
        "--skip-dashboard",
        action="store_true",
        help="time the exports only, not the dashboard's views",
    )
    parser.add_argument(
        "--no-wait", action="store_true", help=f"do not wait for {OTHER_BENCH} to end"
    )
    parser.add_argument("--child", choices=("export", "baseline"), help=argparse.SUPPRESS)
    parser.add_argument("--launcher", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--fmt", default="csv", help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child_main(args)
        return 0
    if args.launcher:
        launcher_main()
        return 0

    faulthandler.dump_traceback_later(WATCHDOG_SECONDS, exit=True)
    run_started = time.perf_counter()
    print("Central workspace benchmark: exports and dashboard")
    print(f"Machine: {machine()}")
    print(f"Date: {dt.datetime.now(dt.UTC).strftime('%Y-%m-%d %H:%M UTC')}")
    if not args.no_wait:
        wait_for_quiet_machine()
    launcher = Launcher()  # now, while this process is small (see Launcher)
    try:
        return run(args, launcher, run_started)
    finally:
        launcher.close()


def run(args, launcher: Launcher, run_started: float) -> int:
    with tempfile.TemporaryDirectory(prefix="export-bench-") as folder:
        workdir = Path(folder)
        db, build = prepared_database(args, workdir)
        if build:
            print(
                f"Setup{'' if build.get('now') else ' (when it was built)'}: "
                f"{args.records:,} records inserted in {build['insert_seconds']:.0f} s "
                f"(executemany, {CHUNK:,} per transaction, synchronous=OFF, no ingest), "
                f"facts rebuilt in {build['facts_seconds']:.0f} s"
            )
        print(f"Database: {db.stat().st_size / 1e9:.2f} GB")
        if not args.no_wait:
            wait_for_quiet_machine()
        print(
            f"Page cache warmed: read the database once in {warm_page_cache(db):.1f} s", flush=True
        )

        asked = [fmt for fmt in args.formats.split(",") if fmt in FORMATS and fmt != "csv"]
        formats = ["csv"] + [fmt for fmt in asked if not (args.skip_dta and fmt in ("dta", "sav"))]
        exports = {}
        for fmt in formats:
            baseline = run_child(launcher, "baseline", fmt, db)
            print(
                f"Export {fmt}: baseline child (imports, store, forms) peak RSS "
                f"{mb(baseline['maxrss_kib'])} (VmHWM {mb(baseline['hwm_kib'] or 0)}); "
                "exporting...",
                flush=True,
            )
            out = workdir / f"{FORM_ID}.{'zip' if fmt == 'parquet' else fmt}"
            result = run_child(launcher, "export", fmt, db, out)
            out.unlink()
            result["baseline_kib"] = baseline["maxrss_kib"]
            exports[fmt] = result
            print(
                f"  {result['rows']:,} rows in {result['seconds']:.1f} s = "
                f"{result['rows'] / result['seconds']:,.0f} rows/s, file "
                f"{result['bytes'] / 1e6:,.0f} MB, peak RSS {mb(result['maxrss_kib'])} "
                f"(VmHWM {mb(result['hwm_kib'] or 0)})",
                flush=True,
            )

        views = [] if args.skip_dashboard else bench_dashboard(db, workdir)

    # -- results ------------------------------------------------------------------------------
    print()
    print(f"Results at {args.records:,} community_survey records")
    print()
    print(
        "| export | rows | wall time | rows/s | file | peak RSS (ru_maxrss) | baseline RSS"
        " | increase | VmHWM check |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for fmt, r in exports.items():
        print(
            f"| {fmt} | {r['rows']:,} | {r['seconds']:.1f} s | {r['rows'] / r['seconds']:,.0f} "
            f"| {r['bytes'] / 1e6:,.0f} MB | {mb(r['maxrss_kib'])} | {mb(r['baseline_kib'])} "
            f"| {(r['maxrss_kib'] - r['baseline_kib']) / 1024:+,.0f} MB "
            f"| {mb(r['hwm_kib'] or 0)} |"
        )
    if views:
        print()
        print("| dashboard view | by | median | max | SQL alone (1 run) |")
        print("|---|---|---:|---:|---:|")
        for r in views:
            print(
                f"| {r['view']} | {r['by'] or '—'} | {1000 * r['median']:.0f} ms "
                f"| {1000 * r['max']:.0f} ms | {1000 * r['sql']:.0f} ms |"
            )
        worst = max(views, key=lambda r: r["max"])
        over = [r for r in views if r["max"] >= GOALS["dashboard_ms"] / 1000]
        print()
        print(
            f"Slowest view: {worst['view']} by {worst['by'] or '—'}: max "
            f"{1000 * worst['max']:.0f} ms (median {1000 * worst['median']:.0f} ms, "
            f"SQL alone {1000 * worst['sql']:.0f} ms)"
        )
    print()
    print("Goals:")
    csv = exports["csv"]
    rate = csv["rows"] / csv["seconds"]
    peak = csv["maxrss_kib"] / 1024
    print(
        f"  CSV at least {GOALS['csv_rows_per_second']:,} rows/s: {rate:,.0f} rows/s: "
        f"{'met' if rate >= GOALS['csv_rows_per_second'] else 'NOT MET'}"
    )
    print(
        f"  CSV peak memory under {GOALS['csv_peak_mb']} MB: {peak:,.0f} MB: "
        f"{'met' if peak < GOALS['csv_peak_mb'] else 'NOT MET'}"
    )
    for fmt in ("dta", "sav", "parquet"):
        if fmt in exports:  # flat memory holds for every format, not only CSV
            peak = exports[fmt]["maxrss_kib"] / 1024
            print(
                f"  {fmt} peak memory under {GOALS['csv_peak_mb']} MB: {peak:,.0f} MB: "
                f"{'met' if peak < GOALS['csv_peak_mb'] else 'NOT MET'}"
            )
    if "parquet" in exports:
        ratio = exports["parquet"]["seconds"] / csv["seconds"]
        print(f"  Parquet time against CSV: {ratio:.2f} times CSV's")
    if views:
        print(
            f"  every dashboard view under {GOALS['dashboard_ms']} ms: overall max "
            f"{1000 * worst['max']:.0f} ms, {len(over)} of {len(views)} views at or over: "
            f"{'met' if not over else 'NOT MET'}"
        )
    print(f"Total run time: {time.perf_counter() - run_started:.0f} s")
    faulthandler.cancel_dump_traceback_later()
    return 0


if __name__ == "__main__":
    sys.exit(main())
