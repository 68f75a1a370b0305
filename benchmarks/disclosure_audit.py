"""Disclosure audit: what an analyst and a viewer can learn about single respondents.

    . .venv/bin/activate
    python benchmarks/disclosure_audit.py                  # 2,000 surveys, 160 reports
    python benchmarks/disclosure_audit.py --surveys 5000 --reports 400 --seed 7

1. Generates a realistic synthetic population (sync_server/demo_data.py: three districts,
   an age pyramid, rare gender categories, Washington Group disability, migration status,
   home language; each discrimination report told by a survey respondent on the same
   laptop and day) and loads it into a fresh server data folder through the server's own
   ingest.
2. Serves the real app on 127.0.0.1 and signs in an admin, an analyst and a viewer.
3. Runs the attacks of tests/test_disclosure_attacks.py (the code is shared:
   tests/disclosure_attacks.py) and prints the figures as Markdown tables: records unique
   or in groups smaller than k, l-diversity, key values suppressed, report-survey links,
   people a neighbour singles out, hidden indicator cells recovered, and the admin's raw
   release.

The tests assert the goals (0 records in small groups, 0 links, 0 singled out, 0 cells
recovered, at most 2% of key values suppressed); this script only measures.
"""

from __future__ import annotations

import argparse
import datetime as dt
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

# The breakdowns, from what a neighbour knows to every key variable.
BREAKDOWNS = (
    ("district, age band, gender", ("area", "age", "gender")),
    ("+ disability, migration status", ("area", "age", "gender", "disability", "migration_status")),
    (
        "+ home language, urban/rural",
        ("area", "age", "gender", "disability", "migration_status", "language_home", "urban_rural"),
    ),
)


def pct(value: float) -> str:
    return f"{value:.1f}%"


def record_level(audit, people, stored) -> None:
    import disclosure_attacks as attack

    surveys = audit["surveys"]
    roles = attack.roles(attack.SURVEY)
    print("## Record-level releases to an analyst (community_survey)")
    print()
    declared = (
        "declared in the form" if roles.declared else "the issue list: the form declares none"
    )
    print(
        f"Key variables ({declared}): "
        f"{', '.join(roles.keys)}; linking metadata in the release: "
        f"{', '.join(c for c in attack.META_KEYS if c in surveys[0].columns) or 'none'}."
    )
    print(f"Sensitive variables: {', '.join(roles.sensitive)}.")
    print()
    print("| output | records | key variables | unique | in groups < 5 |")
    print("|---|---:|---|---:|---:|")
    raw = audit["raw_surveys"]
    for label, keys in BREAKDOWNS:
        m = attack.k_anonymity(raw, list(keys), exact=True)
        print(
            f"| all records (admin's raw release) | {m['records']:,} | {label} | "
            f"{pct(m['unique_pct'])} | {pct(m['small_pct'])} |"
        )
    m = attack.k_anonymity(raw, roles.keys)
    print(
        f"| all records (admin's raw release) | {m['records']:,} | all declared + metadata | "
        f"{pct(m['unique_pct'])} | {pct(m['small_pct'])} |"
    )
    csv_release = surveys[0]
    for label, keys in BREAKDOWNS:
        m = attack.k_anonymity(csv_release, list(keys), exact=True)
        print(
            f"| csv | {m['records']:,} | {label} | {pct(m['unique_pct'])} | {pct(m['small_pct'])} |"
        )
    for found in surveys:
        m = attack.k_anonymity(found, roles.keys)
        print(
            f"| {found.name} | {m['records']:,} | all declared + metadata | "
            f"{pct(m['unique_pct'])} | {pct(m['small_pct'])} |"
        )
    print()
    l_div = attack.l_diversity(csv_release, roles.keys, roles.sensitive)
    print(
        "l-diversity (l = 2) on all key variables, csv: groups (records) with one distinct "
        "answer: "
        + ", ".join(f"{name} {v['groups']} ({v['records']})" for name, v in l_div.items())
    )
    s = attack.suppression(csv_release, stored, roles.keys)
    print(
        f"Key values suppressed: {s['suppressed']:,} of {s['values']:,} = "
        f"{pct(s['suppressed_pct'])} (answers only: {pct(s['answers_suppressed_pct'])}); "
        f"generalized: {s['generalized']:,}; records left out: {s['left_out']}; key columns "
        f"not released: {', '.join(s['dropped_columns']) or 'none'}"
    )
    print(
        "Suppressed by column: "
        + (", ".join(f"{c} {n:,}" for c, n in s["per_column"].items()) or "none")
    )
    columns = ["_uuid", *roles.keys, *roles.sensitive, *attack.META_KEYS, *attack.FLAG_COLUMNS]
    problems = attack.disagreements([r for r in surveys if r.status == 200], columns)
    print(
        f"Outputs agreeing (csv, xlsx, jsonl, dta, sav, API): "
        f"{'yes' if not problems else '; '.join(problems[:3])}"
    )
    print()


def linkage_and_neighbours(audit, people, stored) -> None:
    import disclosure_attacks as attack

    print("## Linkage and the neighbour")
    print()
    print("| attack | data | result |")
    print("|---|---|---|")
    for label, reports, surveys in (
        ("analyst release", audit["reports"][0], audit["surveys"][0]),
        ("admin, all records (for comparison)", audit["raw_reports"], audit["raw_surveys"]),
    ):
        m = attack.linkage(reports, surveys, people.links)
        print(
            f"| report -> survey (device, day, language, district, enumerator, grounds) | "
            f"{label}: {m['reports']} reports, {m['surveys']:,} surveys | {m['unique']} linked "
            f"to exactly one survey ({m['unique_right']} correctly), {m['fewer_than_k']} to "
            f"fewer than 5 |"
        )
    for label, knows in attack.NEIGHBOUR_KNOWS.items():
        for data, found in (
            ("analyst csv", audit["surveys"][0]),
            ("all records (admin's raw release)", audit["raw_surveys"]),
        ):
            m = attack.neighbour(found, stored, knows)
            print(
                f"| neighbour knows {label} | {data}, {m['people']:,} people | "
                f"{m['singled_out']} singled out ({m['right']} correctly, {m['discriminated']}"
                f" of them reported discrimination) |"
            )
    print()


def indicators(audit) -> None:
    m = audit["indicators"]
    print("## Indicators (viewer)")
    print()
    print(
        "| views | cells | hidden | recovered (n or sum) | n recovered | sum recovered |"
        " by total minus shown |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|")
    print(
        f"| {m['views']} | {m['cells']} | {m['hidden']} | {m['recovered']} | "
        f"{m['n_recovered']} | {m['sum_recovered']} | {m['plain_difference']} |"
    )
    for example in m["examples"]:
        print(f"- {example}")
    print()


def run(args) -> dict:
    import disclosure_attacks as attack
    from sync_server import demo_data as population

    started = time.perf_counter()
    people = population.generate(args.surveys, args.reports, args.devices, args.seed)
    with tempfile.TemporaryDirectory(prefix="disclosure-audit-") as folder:
        server = attack.TeamServer(people, Path(folder) / "central-data")
        try:
            print(
                f"Population generated and loaded through ingest in "
                f"{time.perf_counter() - started:.1f} s; served at {server.url}",
                flush=True,
            )
            admin = server.users["admin"]
            audit = {
                "surveys": attack.analyst_releases(server, attack.SURVEY),
                "reports": attack.analyst_releases(server, attack.REPORT),
                "raw_surveys": attack.read_export(
                    admin, attack.SURVEY, "csv", release="raw", reason="disclosure audit"
                ),
                "raw_reports": attack.read_export(
                    admin, attack.REPORT, "csv", release="raw", reason="disclosure audit"
                ),
                "no_reason": admin.get(
                    f"/data/{attack.SURVEY}/export.csv", release="raw"
                ).status_code,
            }
            truth = attack.truth_from(server.database)
            try:
                audit["indicators"] = attack.indicator_attack(
                    attack.published_views(server.users["viewer"]), truth
                )
            finally:
                truth.close()
        finally:
            server.stop()
    stored = {r["uuid"]: r for r in people.surveys}
    print()
    print(
        f"Population: {len(people.surveys):,} community surveys, {len(people.reports)} "
        f"discrimination reports, {args.devices} laptops, seed {args.seed}"
    )
    print()
    record_level(audit, people, stored)
    linkage_and_neighbours(audit, people, stored)
    indicators(audit)
    print("## Raw records (admin)")
    print()
    print(
        f"Without a reason: HTTP {audit['no_reason']}; with a reason: "
        f"{len(audit['raw_surveys'].rows):,} survey records "
        f"(HTTP {audit['raw_surveys'].status})."
    )
    print()
    print(f"Total run time: {time.perf_counter() - started:.0f} s")
    return audit


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--surveys", type=int, default=2000)
    parser.add_argument("--reports", type=int, default=160)
    parser.add_argument("--devices", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    print("Disclosure audit")
    print(f"Machine: {platform.platform()}, Python {platform.python_version()}")
    print(f"Date: {dt.datetime.now(dt.UTC).strftime('%Y-%m-%d %H:%M UTC')}")
    run(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
