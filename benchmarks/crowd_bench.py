"""The hub under a crowd: 20 phones finalizing records at once against one hub.

    . .venv/bin/activate
    python benchmarks/crowd_bench.py             # 20 phones, 30 s open loop, 20 s flat out
    python benchmarks/crowd_bench.py --phones 50 --seconds 20 --profile profile.txt
    python benchmarks/crowd_bench.py --baseline ../before --rounds 2   # against older code

The hub is the real `collector serve` (cheroot, its default threads, WAL and
synchronous=FULL), started as its own process on 127.0.0.1 in a temporary data folder, so
the phones (threads of this process, each with its own `requests` session and its own
enumerator account) do not share its interpreter. Each delivery is what a phone's form page
sends for a finished record while the hub is in reach: `GET /reach` (answered before the app:
no session, no database), then the whole form's POST to `/forms/community_survey/submit`
with the page's token and `X-Hub-Outbox: 1`, answered JSON once the record is committed.
(Before, the page asked `/healthz`, which commits a write, then `/csrf-token`; a baseline
from then answers `/reach` with a 404 through the whole app, about what its token cost.)

1. Open loop: each phone finalizes a record every `--every` seconds (2 s by default), on a
   fixed schedule whatever the hub answers; a delivery's time runs from when it was due to
   its answer, so a hub that falls behind shows it. p50/p95/p99/max and records/s.
2. Saturation: each phone delivers again as soon as it has its answer, for `--seconds`.
3. Checks: every answer is 200 "finalized", and the hub's database holds exactly the records
   delivered (counted after the hub stopped), each finalized with its outbox row.

With `--baseline DIR` (another copy of the code, e.g. `git archive HEAD | tar -x -C DIR`
before a change), that copy's hub and this tree's take turns (`--rounds` each, the order
alternating) and the medians are compared: on a machine shared with other work, the ratio
within one run says more than two runs an hour apart.

With `--profile FILE`, py-spy samples the hub's process during the saturation part and writes
the functions where its threads spend their time (`py-spy record --format raw`), summarized.
"""

from __future__ import annotations

import argparse
import faulthandler
import os
import re
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import requests  # noqa: E402

from filling import SURVEY_ANSWERS, whole_data  # noqa: E402  (tests/filling.py)
from sync_bench import machine  # noqa: E402

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
OUTBOX = {"X-Hub-Outbox": "1"}
PIN = "4821"
GOALS = {"p95_ms": 100.0, "saturation_rate": 200.0}
WATCHDOG_SECONDS = 20 * 60


ADD_USERS = """
import sys
from collector.db import open_database
from collector.users import add_user
db = open_database(sys.argv[1])
for number in range(int(sys.argv[2])):
    add_user(db, f"phone{number:02d}", sys.argv[3])
db.close()
"""


class Hub:
    """`collector serve` in its own process, on a free loopback port."""

    def __init__(self, data_dir: Path, phones: int, source: Path | None = None):
        self.data_dir = data_dir
        self.python = sys.executable
        # Another copy of the code (--baseline): run from its folder, found first on the path.
        self.cwd = source or ROOT
        self.env = {**os.environ, "PYTHONPATH": str(source)} if source else None
        data_dir.mkdir(parents=True)
        # Every phone here signs in from 127.0.0.1: the per-address sign-in limit is raised.
        (data_dir / "settings.toml").write_text('signin_rate_limit = "1000 per minute"\n')
        # The accounts in one process (as `collector user add` adds them): 20 commands, each
        # starting Python, took longer than the measurement on a busy machine.
        subprocess.run(
            [self.python, "-c", ADD_USERS, str(data_dir / "collector.db"), str(phones), PIN],
            check=True,
            capture_output=True,
            cwd=self.cwd,
            env=self.env,
        )
        self.port = _free_port()
        self.process = subprocess.Popen(
            [
                self.python,
                "-m",
                "collector",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--data-dir",
                str(data_dir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd=self.cwd,
            env=self.env,
        )
        self.url = f"http://127.0.0.1:{self.port}"
        self._wait_ready()

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(self.url + "/healthz", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                time.sleep(0.2)
        raise RuntimeError("the hub did not start")

    def stop(self) -> float:
        """SIGTERM, as a service manager stops it; returns how long it took to exit."""
        started = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            return float("inf")
        return time.monotonic() - started


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Phone:
    """One enumerator's phone: a signed-in session that delivers whole records."""

    def __init__(self, url: str, number: int):
        self.url, self.session = url, requests.Session()
        page = self.session.get(url + "/signin", timeout=30).text
        answer = self.session.post(
            url + "/signin",
            timeout=30,
            data={"name": f"phone{number:02d}", "pin": PIN, "csrf_token": CSRF.search(page)[1]},
        )
        if answer.status_code != 200 or "/signin" in answer.url:
            raise RuntimeError(f"phone {number} could not sign in ({answer.status_code})")
        # The form's page, opened once: its token goes with every record sent from it.
        page = self.session.get(url + "/forms/community_survey/phone", timeout=30).text
        self.token = CSRF.search(page)[1]
        self.delivered: list[str] = []

    def deliver(self) -> tuple[bool, str]:
        """What the phone's page does for a finished record: GET /reach (is the hub in
        reach?), then the record's POST with the page's token: (ok, what went wrong)."""
        record_uuid = str(uuid.uuid4())
        try:
            self.session.get(self.url + "/reach", timeout=60)  # older hubs: a 404, as costly
            data = whole_data("community_survey", record_uuid, SURVEY_ANSWERS)
            answer = self.session.post(
                self.url + "/forms/community_survey/submit",
                data=data + [("csrf_token", self.token), ("_now", "1")],
                headers=OUTBOX,
                timeout=60,
                allow_redirects=False,
            )
        except (requests.RequestException, ValueError, KeyError) as error:
            return False, type(error).__name__
        if answer.status_code != 200 or answer.json().get("status") != "finalized":
            return False, f"HTTP {answer.status_code}"
        self.delivered.append(record_uuid)
        return True, ""


def open_loop(phones: list[Phone], every: float, seconds: float):
    """Each phone delivers on a fixed schedule; the time of a delivery runs from when it was
    due, so waiting for a busy hub counts."""
    latencies, errors, lock = [], Counter(), threading.Lock()
    start = time.monotonic() + 0.5

    def run(index: int, phone: Phone):
        due = start + every * index / len(phones)  # spread, as people are
        while due < start + seconds:
            pause = due - time.monotonic()
            if pause > 0:
                time.sleep(pause)
            ok, why = phone.deliver()
            with lock:
                (latencies.append(time.monotonic() - due) if ok else errors.update([why]))
            due += every

    _run_all(phones, run)
    return latencies, errors, time.monotonic() - start


def saturation(phones: list[Phone], seconds: float):
    """Each phone delivers again as soon as it has its answer."""
    latencies, errors, lock = [], Counter(), threading.Lock()
    start = time.monotonic()

    def run(index: int, phone: Phone):
        while time.monotonic() < start + seconds:
            began = time.monotonic()
            ok, why = phone.deliver()
            with lock:
                (latencies.append(time.monotonic() - began) if ok else errors.update([why]))

    _run_all(phones, run)
    return latencies, errors, time.monotonic() - start


def _run_all(phones, run) -> None:
    threads = [threading.Thread(target=run, args=(i, p), daemon=True) for i, p in enumerate(phones)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux; NaN elsewhere): the hub's work per
    record, which other load on the machine changes less than wall time."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentiles(latencies: list[float]) -> dict:
    ordered = sorted(latencies)
    cuts = (
        statistics.quantiles(ordered, n=100, method="inclusive")
        if len(ordered) > 1
        else ordered * 99
    )
    return {"p50": cuts[49], "p95": cuts[94], "p99": cuts[98], "max": ordered[-1]}


def describe(name: str, latencies, errors, seconds: float) -> str:
    found = (
        percentiles(latencies)
        if latencies
        else {k: float("nan") for k in ("p50", "p95", "p99", "max")}
    )
    ms = "  ".join(f"{k} {v * 1000:7.0f} ms" for k, v in found.items())
    return (
        f"   {name:<12}{len(latencies):>6} records  {len(latencies) / seconds:7.1f} rec/s  "
        f"{ms}  errors {sum(errors.values())} {dict(errors) or ''}"
    )


def profile(pid: int, seconds: float, output: Path) -> subprocess.Popen:
    """py-spy on the hub's process for `seconds` (raw collapsed stacks, one per line)."""
    spy = Path(sys.executable).with_name("py-spy")
    return subprocess.Popen(
        [
            str(spy),
            "record",
            "--pid",
            str(pid),
            "--duration",
            str(int(seconds)),
            "--rate",
            "200",
            "--format",
            "raw",
            "--output",
            str(output),
            "--nonblocking",
            "--threads",
            "--gil",  # only what holds the interpreter: one core's worth at most
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def summarize_profile(path: Path, top: int = 25) -> list[str]:
    """Where the sampled time went: own time per function and total time per function."""
    own, total, samples = Counter(), Counter(), 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit():
            continue
        frames = [f for f in stack.split(";") if not f.startswith(("thread ", "process "))]
        if not frames:
            continue
        n = int(count)
        samples += n
        own[_short(frames[-1])] += n
        for frame in {_short(f) for f in frames}:
            total[frame] += n
    lines = [
        f"   {samples:,} samples (all threads, idle workers included)",
        "   total time (function and what it calls):",
    ]
    lines += [f"   {100 * n / samples:6.1f}%  {name}" for name, n in total.most_common(top)]
    lines.append("   own time:")
    lines += [f"   {100 * n / samples:6.1f}%  {name}" for name, n in own.most_common(top)]
    return lines


def _short(frame: str) -> str:
    name, _, where = frame.partition(" (")
    where = where.rstrip(")")
    for marker in ("site-packages/", "/lib/python3"):
        if marker in where:
            where = where.split(marker, 1)[1]
    where = where.replace(str(ROOT) + "/", "")
    return f"{name} ({where.rsplit(':', 1)[0]})"


def count_records(database: Path) -> dict:
    with sqlite3.connect(database) as db:
        return {
            "finalized": db.execute(
                "SELECT count(*) FROM records WHERE status = 'finalized'"
            ).fetchone()[0],
            "outbox": db.execute("SELECT count(*) FROM outbox").fetchone()[0],
            "synchronous": db.execute("PRAGMA synchronous").fetchone()[0],
        }


def measure(args, source: Path | None, label: str) -> dict:
    """Start a hub from `source` (None: this tree), run both parts against it, check that
    nothing was lost; print as it goes and return the numbers."""
    found: dict = {"label": label}
    print(f"== {label}")
    with tempfile.TemporaryDirectory(prefix="crowd-bench-") as tmp:
        hub = Hub(Path(tmp) / "hub", args.phones, source)
        try:
            phones = [Phone(hub.url, number) for number in range(args.phones)]
            print(
                f"1. Open loop: each phone a record every {args.every:g} s for "
                f"{args.seconds:g} s ({args.phones / args.every:.0f} records/s offered)"
            )
            cpu = cpu_seconds(hub.process.pid)
            result = open_loop(phones, args.every, args.seconds)
            print(describe("open loop", *result))
            found["open_cpu"] = (cpu_seconds(hub.process.pid) - cpu) / max(1, len(result[0]))
            print(f"   hub CPU {1000 * found['open_cpu']:.1f} ms per record")
            found["open"] = percentiles(result[0]) if result[0] else None
            found["errors"] = sum(result[1].values())
            p95 = found["open"]["p95"] * 1000 if result[0] else float("inf")
            print(
                f"   p95 {p95:.0f} ms (goal < {GOALS['p95_ms']:.0f} ms: "
                f"{'met' if p95 < GOALS['p95_ms'] else 'NOT MET'})"
            )
            print(f"2. Saturation: every phone flat out for {args.saturation_seconds:g} s")
            spy = (
                profile(hub.process.pid, args.saturation_seconds, args.profile)
                if args.profile and source is None
                else None
            )
            cpu, own = cpu_seconds(hub.process.pid), cpu_seconds(os.getpid())
            result = saturation(phones, args.saturation_seconds)
            print(describe("saturation", *result))
            count = max(1, len(result[0]))
            found["saturation_cpu"] = (cpu_seconds(hub.process.pid) - cpu) / count
            found["phones_cpu"] = (cpu_seconds(os.getpid()) - own) / count
            print(
                f"   hub CPU {1000 * found['saturation_cpu']:.1f} ms per record; the phones' "
                f"{1000 * found['phones_cpu']:.1f} ms (this script, on the same CPUs)"
            )
            found["saturation"] = percentiles(result[0]) if result[0] else None
            found["errors"] += sum(result[1].values())
            found["rate"] = rate = len(result[0]) / result[2]
            print(
                f"   {rate:.0f} records/s (goal >= {GOALS['saturation_rate']:.0f}: "
                f"{'met' if rate >= GOALS['saturation_rate'] else 'NOT MET'})"
            )
            if spy is not None:
                spy.wait(timeout=args.saturation_seconds + 60)
        finally:
            stop_seconds = hub.stop()
        print(f"3. Stop: SIGTERM to exit in {stop_seconds:.2f} s")
        delivered = sum(len(p.delivered) for p in phones)
        counted = count_records(Path(tmp) / "hub" / "collector.db")
        found["lost"] = not counted["finalized"] == delivered == counted["outbox"]
        print(
            f"   delivered {delivered:,}; in the hub's database {counted['finalized']:,} "
            f"finalized, {counted['outbox']:,} queued for sync: "
            f"{'MISMATCH' if found['lost'] else 'nothing lost'}"
        )
    return found


def compare(runs: list[dict]) -> list[str]:
    """Each code's median over its runs, and this tree's over the baseline's."""

    def median(label, pick):
        values = [pick(run) for run in runs if run["label"] == label]
        return statistics.median(values) if values else float("nan")

    metrics = {
        "open-loop p95 (ms)": lambda r: 1000 * r["open"]["p95"],
        "open-loop p99 (ms)": lambda r: 1000 * r["open"]["p99"],
        "hub CPU per record, open loop (ms)": lambda r: 1000 * r["open_cpu"],
        "saturation records/s": lambda r: r["rate"],
        "saturation p95 (ms)": lambda r: 1000 * r["saturation"]["p95"],
        "hub CPU per record, saturation (ms)": lambda r: 1000 * r["saturation_cpu"],
    }
    lines = [f"   {'median of the runs':<38}{'baseline':>10}{'this tree':>11}{'ratio':>8}"]
    for name, pick in metrics.items():
        before, after = median("baseline", pick), median("this tree", pick)
        lines.append(f"   {name:<38}{before:>10.1f}{after:>11.1f}{after / before:>8.2f}")
    return lines


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--phones", type=int, default=20)
    parser.add_argument(
        "--every",
        type=float,
        default=2.0,
        help="seconds between a phone's records in the open loop",
    )
    parser.add_argument("--seconds", type=float, default=30.0, help="open-loop duration")
    parser.add_argument("--saturation-seconds", type=float, default=20.0)
    parser.add_argument("--profile", type=Path, help="py-spy the hub during saturation")
    parser.add_argument(
        "--baseline",
        type=Path,
        help="another copy of the code (e.g. `git archive` of an older commit, unpacked): "
        "measured in turn with this tree, so a shared machine's load touches both alike",
    )
    parser.add_argument("--rounds", type=int, default=1, help="with --baseline: turns each")
    args = parser.parse_args(argv)
    sys.stdout.reconfigure(line_buffering=True)  # each line as it comes, into a file too
    faulthandler.dump_traceback_later(WATCHDOG_SECONDS * max(1, 2 * args.rounds), exit=True)
    print(f"Hub under a crowd: {args.phones} phones, one hub (collector serve, cheroot)")
    print("\n".join(machine()))
    runs = []
    for turn in range(args.rounds if args.baseline else 1):
        order = [(None, "this tree")]
        if args.baseline:
            # Alternate which goes first, so neither always meets the same moment of load.
            order = order + [(args.baseline.resolve(), "baseline")]
            order = order[::-1] if turn % 2 == 0 else order
        runs += [measure(args, source, label) for source, label in order]
    if args.baseline:
        print("4. This tree against the baseline (same phones, same machine, taking turns):")
        print("\n".join(compare(runs)))
    if args.profile and args.profile.exists():
        print("5. Profile of this tree's hub during saturation (py-spy):")
        print("\n".join(summarize_profile(args.profile)))
    faulthandler.cancel_dump_traceback_later()
    return 1 if any(run["lost"] or run["errors"] for run in runs) else 0


if __name__ == "__main__":
    sys.exit(main())
