"""Every indicator with a survey design over 1,000,000 records: how long the server takes.

The database is export_bench's (1,000,000 `community_survey` records as the server stores
them: 40 laptops, three districts, direct inserts, facts rebuilt once). A design is declared
as a central team would: districts (`area`) as strata, the laptop that sent each record
(`_device`) as the cluster, and the weights raked to population totals of gender and age
band; its build is timed step by step (each step is one write transaction). Then, on a
fresh connection, every share and mean of the form is computed with its design-based
interval, overall and by each of the six dimensions:

- "first" is the first view after a change of the data (the one aggregate query over facts
  joined to the design's units, the raking, and every indicator's estimates);
- "again" is the next view (the PSU totals are cached per data version);
- gaps (each group against the rest, Holm-adjusted) and the change between two months.

Also the statistics alone: `survey_design.psu_totals` + `estimate` on 1,000,000 records in
memory (numpy), the path a script or a test takes.

    python benchmarks/design_bench.py                        # 1,000,000 records
    python benchmarks/design_bench.py --records 50000        # a quick try
    python benchmarks/design_bench.py --keep ~/bench-cache   # keep/reuse the database
"""

from __future__ import annotations

import argparse
import datetime
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import numpy as np  # noqa: E402

import export_bench  # noqa: E402
from sync_server import designs, indicators as ind, survey_design as sd  # noqa: E402
from sync_server.data import newest_form  # noqa: E402
from sync_server.store import Store  # noqa: E402

FORM = "community_survey"


def declare(path: Path) -> dict:
    """Strata, clusters and raking totals, as `sync-server design set` would save them."""
    store = Store.create(path)
    db = store.db
    totals = {}
    for name in ("gender", "age_band"):
        categories = [
            row[0]
            for row in db.execute(
                f"SELECT DISTINCT {name} FROM facts WHERE form_id = ? AND {name} IS NOT NULL"
                f" ORDER BY 1",
                [FORM],
            )
        ]
        # A made-up population of 2,000,000, split evenly: far from the sample's own mix.
        totals[name] = {c: 2_000_000 / len(categories) for c in categories}
    form = newest_form(FORM, store)
    definition = designs.parse_design(
        form,
        stratum="area",
        cluster=designs.DEVICE,
        calibration={"method": "rake", "totals": totals},
    )
    started = time.perf_counter()
    designs.save_design(db, FORM, definition, "benchmark", steps=0)
    steps, cpu = [], []
    while True:  # each step is one transaction: how long it holds the write lock
        step_started, cpu_started = time.perf_counter(), time.process_time()
        more = designs.build_design(db, FORM)
        steps.append(time.perf_counter() - step_started)
        cpu.append(time.process_time() - cpu_started)
        if not more:
            break
    seconds = time.perf_counter() - started
    store.close()
    return {"units_seconds": seconds, "definition": definition, "steps": steps, "cpu": cpu}


def every_indicator(db, by, k=5) -> int:
    members = [m for m in ind.INDICATORS if m.form == FORM and m.kind != ind.COUNT]
    shown = 0
    for member in members:
        result = ind.compute(db, member.id, by=by, k=k)
        assert result.design is not None and not result.design.get("error"), result.design
        shown += sum(not cell.suppressed for cell in result.cells)
    return shown


def bench_views(path: Path) -> list[dict]:
    """Per breakdown: one indicator's first view after a change (what a dashboard page
    costs), then all the others (every indicator of the form), then everything again."""
    rows = []
    for by in (None, *ind.BY_DIMENSIONS):
        store = Store(path)
        ind._CACHE.clear()
        ind._DESIGN_CACHE.clear()
        started = time.perf_counter()
        ind.compute(store.db, "who5", by=by)
        one = time.perf_counter() - started
        started = time.perf_counter()
        shown = every_indicator(store.db, by)
        every = one + time.perf_counter() - started
        again = []
        for _ in range(3):
            started = time.perf_counter()
            every_indicator(store.db, by)
            again.append(time.perf_counter() - started)
        row = {
            "by": by or "everyone",
            "one": one,
            "first": every,
            "again": statistics.median(again),
            "cells": shown,
        }
        if by in ("gender", "area", "age_band"):
            started = time.perf_counter()
            for member in (m for m in ind.INDICATORS if m.form == FORM and m.kind != ind.COUNT):
                ind.gaps(store.db, member.id, by=by)
            row["gaps"] = time.perf_counter() - started
        if by == "month":
            months = [
                c.group for c in ind.compute(store.db, "who5", by="month").cells if not c.suppressed
            ]
            started = time.perf_counter()
            ind.change(store.db, "who5", months[0], months[-1])
            row["change"] = time.perf_counter() - started
        store.close()
        rows.append(row)
        print(
            f"  by {row['by']:<17} one indicator, first view {one:5.2f} s   all"
            f" {every:6.2f} s   all again {row['again']:6.3f} s   shown cells {shown}"
            + (f"   gaps of all {row['gaps']:.2f} s" if "gaps" in row else "")
            + (f"   change {row['change']:.3f} s" if "change" in row else ""),
            flush=True,
        )
    return rows


def bench_numpy(count: int) -> float:
    rng = np.random.default_rng(1)
    y = rng.normal(50, 10, count)
    w = rng.uniform(0.5, 3, count)
    strata = rng.integers(0, 20, count)
    psu = rng.integers(0, 50, count)
    domain = rng.random(count) < 0.4
    timings = []
    for _ in range(3):
        started = time.perf_counter()
        design, totals, _labels = sd.psu_totals(y, w, strata, psu, domain=domain)
        sd.estimate(design, totals)
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=2024)
    parser.add_argument("--keep", help="keep the built database in this folder, reuse it")
    args = parser.parse_args()
    print(f"{export_bench.machine()}; {datetime.date.today()}", flush=True)
    print(
        f"numpy: psu_totals + estimate over {args.records:,} records in memory: "
        f"{bench_numpy(args.records):.3f} s (median of 3)",
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="design-bench-") as work:
        path, timings = export_bench.prepared_database(args, Path(work))
        if timings:
            print(
                f"  built: inserts {timings['insert_seconds']:.0f} s, facts "
                f"{timings['facts_seconds']:.0f} s",
                flush=True,
            )
        store = Store(path)
        kept = store.survey_design(FORM) is not None
        store.close()
        if kept and args.keep:
            print("Reusing the design declared earlier in the kept database", flush=True)
        else:
            declared = declare(path)
            steps = declared["steps"]
            print(
                f"Design declared (strata: area; clusters: _device; raked to gender x age"
                f" band): units and design cube of every record written in"
                f" {declared['units_seconds']:.1f} s, {len(steps)} steps of"
                f" {designs.BUILD_CHUNK:,} records: longest {max(steps):.2f} s"
                f" ({max(declared['cpu']):.2f} s CPU), median {statistics.median(steps):.2f} s",
                flush=True,
            )
        rows = bench_views(path)
        store = Store(path)
        summary = ind.compute(store.db, "who5").design
        store.close()
        print(
            f"  design: {summary['strata']} strata, {summary['clusters']} clusters, "
            f"{summary['records']:,} records used, {summary['left_out']:,} left out",
            flush=True,
        )
        count = sum(1 for m in ind.INDICATORS if m.form == FORM and m.kind != ind.COUNT)
        print(
            f"Slowest first view of one indicator: {max(r['one'] for r in rows):.2f} s;"
            f" of all {count} indicators: {max(r['first'] for r in rows):.2f} s",
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
