"""Release benchmark: the disclosure-checked export next to the plain one.

    . .venv/bin/activate
    python benchmarks/release_bench.py --records 100000
    python benchmarks/release_bench.py --records 1000000 --keep ~/bench-cache   # minutes

1. Builds (or reuses, with --keep) the central database of benchmarks/export_bench.py:
   N `community_survey` records as the server stores them after the laptop's anonymizer.
2. In fresh child processes started from a small launcher (export_bench.Launcher, so each
   child's ru_maxrss is its own), writes the form to CSV three times:
   - "plain": `exports.export(store.iter_latest(...))`, what an admin's raw records are;
   - "release": the analyst's download: `data.current_plan`'s work (pass 1 over the records,
     the plan) and `exports.export(..., release=plan.release())` (pass 2), rows in uuid
     order; the time of the plan is shown on its own too;
   - "baseline": the same imports and store, no export, for the memory each child starts with.
3. Prints one line per child and a summary with the goal: a release under 3 times the plain
   export's time, in flat memory (peak RSS no higher at 1,000,000 than at 100,000 records
   beyond the plan's combinations). Results are described in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "benchmarks"), str(ROOT / "tests")]

import export_bench  # noqa: E402  (its database builder and child launcher)

FORM_ID = export_bench.FORM_ID
GOAL_RATIO = 3.0


def child_main(args) -> None:
    """In a fresh process: one export (plain or released), then time and peak RSS as JSON."""
    from sync_server import disclosure, exports
    from sync_server.data import form_history
    from sync_server.store import Store

    store = Store(args.db)
    forms = form_history(FORM_ID, store)
    answer = {"mode": args.child}
    if args.child != "baseline":
        with open(args.out, "wb") as out:
            started = time.perf_counter()
            if args.child == "plain":
                rows = exports.export(store.iter_latest(FORM_ID), forms, "csv", out)
            else:
                with store.snapshot():
                    plan = disclosure.make_plan(
                        forms,
                        lambda: store.iter_latest(FORM_ID, by_uuid=True),
                        5,
                        2,
                        form_id=FORM_ID,
                    )
                    answer["plan_seconds"] = time.perf_counter() - started
                    rows = exports.export(
                        store.iter_latest(FORM_ID, by_uuid=True),
                        forms,
                        "csv",
                        out,
                        release=plan.release(),
                    )
                report = plan.report
                answer["report"] = {
                    key: report[key]
                    for key in (
                        "records_released",
                        "records_left_out",
                        "key_values_suppressed_percent",
                        "smallest_group",
                        "groups",
                    )
                }
            answer["seconds"] = time.perf_counter() - started
        answer["rows"] = rows
        answer["bytes"] = os.path.getsize(args.out)
    store.close()
    answer["maxrss_kib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps(answer), flush=True)


def run_child(launcher, mode: str, db: Path, out: Path) -> dict:
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--child",
        mode,
        "--db",
        str(db),
        "--out",
        str(out),
    ]
    done = launcher.run(command, 3600)
    if done["returncode"] != 0:
        raise RuntimeError(f"child {mode} failed:\n{done['stderr'][-3000:]}")
    return json.loads(done["stdout"].strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--records", type=int, default=100_000)
    parser.add_argument("--keep", metavar="DIR", help="keep (and reuse) the built database here")
    parser.add_argument("--seed", type=int, default=20261122)
    parser.add_argument("--child", choices=("plain", "release", "baseline"), help=argparse.SUPPRESS)
    parser.add_argument("--launcher", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child_main(args)
        return 0
    if args.launcher:
        export_bench.launcher_main()
        return 0
    launcher = export_bench.Launcher()
    try:
        print(
            f"Release benchmark, {args.records:,} records, "
            f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC, {export_bench.machine()}"
        )
        with tempfile.TemporaryDirectory() as work:
            db, _ = export_bench.prepared_database(args, Path(work))
            export_bench.warm_page_cache(db)
            results = {
                mode: run_child(launcher, mode, db, Path(work) / f"{mode}.csv")
                for mode in ("baseline", "plain", "release")
            }
    finally:
        launcher.close()
    base = results["baseline"]["maxrss_kib"]
    for mode in ("plain", "release"):
        got = results[mode]
        extra = (
            f", plan {got['plan_seconds']:.1f} s, report {got['report']}"
            if "plan_seconds" in got
            else ""
        )
        print(
            f"{mode:8} {got['rows']:>9,} rows  {got['seconds']:7.1f} s  "
            f"{got['rows'] / got['seconds']:>8,.0f} rows/s  "
            f"peak {got['maxrss_kib'] / 1024:6.0f} MB"
            f" (+{(got['maxrss_kib'] - base) / 1024:.0f} MB over the baseline){extra}"
        )
    ratio = results["release"]["seconds"] / results["plain"]["seconds"]
    print(
        f"release / plain time: {ratio:.2f} (goal under {GOAL_RATIO:.0f}): "
        f"{'met' if ratio < GOAL_RATIO else 'not met'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
