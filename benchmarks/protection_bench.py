"""What encryption at rest costs on a hub: unlocking, each stored value, turning it on.

Builds a hub database with RECORDS finalized survey records (each with its working copy,
one revision and an outbox row, answers as the built-in survey stores them), then times:

- unlock: the passphrase through scrypt (the cost of every command and of every guess);
- seal and open of one record's answers, and `get_record` on a protected and an
  unprotected database (best of three rounds over every record);
- `collector protect` on that database: encrypting every value, VACUUM, emptying the log.

    python benchmarks/protection_bench.py                  # 2,000 records
    python benchmarks/protection_bench.py --records 20000
"""

from __future__ import annotations

import argparse
import json
import platform
import tempfile
import time
import uuid
from pathlib import Path

from collector import protection
from collector.db import open_database, write_transaction
from collector.records import get_record

PASSPHRASE = "benchmark passphrase, not a real one"
ANSWERS = {
    "consent": "yes",
    "age": 34,
    "gender": "woman",
    "migration_status": "refugee",
    "language_home": "other",
    "language_home_other": "Tigrinya",
    "area": "SR02",
    "urban_rural": "urban",
    "respondent_name": "Halima Yusuf",
    "respondent_phone": "+254 712 345678",
    "wellbeing_cheerful": 3,
    "wellbeing_calm": 4,
    "trust_people": 6,
    "trust_police": 2,
    "discrimination_grounds": ["nationality", "language"],
    "comments": "The water point near the school has been broken for a week; " * 4,
}


def build(data_dir: Path, records: int) -> list[str]:
    """A hub database with `records` finalized records, as the hub writes them."""
    db = open_database(data_dir / "collector.db")
    uuids = [str(uuid.uuid4()) for _ in range(records)]
    text = json.dumps(ANSWERS, ensure_ascii=False, sort_keys=True)
    now = "2024-05-01T10:00:00Z"
    with write_transaction(db):
        for record_uuid in uuids:
            db.execute(
                "INSERT INTO records (uuid, form_id, form_version, locale, status,"
                " revision, answers, started_at, updated_at, finalized_at) VALUES"
                " (?, 'community_survey', '1', 'en', 'finalized', 1, ?, ?, ?, ?)",
                [record_uuid, text, now, now, now],
            )
            db.execute(
                "INSERT INTO revisions (uuid, revision, form_id, form_version, locale,"
                " answers, started_at, finalized_at) VALUES"
                " (?, 1, 'community_survey', '1', 'en', ?, ?, ?)",
                [record_uuid, text, now, now],
            )
            db.execute(
                "INSERT INTO outbox (uuid, revision, queued_at) VALUES (?, 1, ?)",
                [record_uuid, now],
            )
    db.close()
    return uuids


def best_of_three(work) -> float:
    times = []
    for _ in range(3):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return min(times)


def read_all(data_dir: Path, uuids: list[str]) -> float:
    db = open_database(data_dir / "collector.db")
    try:
        return best_of_three(lambda: [get_record(db, u) for u in uuids]) / len(uuids)
    finally:
        db.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        data_dir = Path(folder)
        uuids = build(data_dir, args.records)
        size = (data_dir / "collector.db").stat().st_size
        plain = read_all(data_dir, uuids)

        started = time.perf_counter()
        protection.turn_on(data_dir, PASSPHRASE)
        report = protection.seal_folder(data_dir)
        protect_seconds = time.perf_counter() - started
        assert report.values == 2 * args.records and report.log_cleared

        unlock = best_of_three(lambda: protection.unlock(data_dir, PASSPHRASE))
        vault = protection.vault_for(data_dir)
        text = json.dumps(ANSWERS, ensure_ascii=False, sort_keys=True).encode("utf-8")
        sealed = vault.seal(text, "records.answers:x")
        seal = (
            best_of_three(lambda: [vault.seal(text, "records.answers:x") for _ in range(1000)])
            / 1000
        )
        opened = (
            best_of_three(lambda: [vault.open(sealed, "records.answers:x") for _ in range(1000)])
            / 1000
        )
        protected = read_all(data_dir, uuids)
        protected_size = (data_dir / "collector.db").stat().st_size
    print(
        f"Python {platform.python_version()} on {platform.machine()}, "
        f"{args.records} records, answers {len(text)} bytes"
    )
    print(f"unlock (scrypt n=2^17, r=8, p=1)     {unlock * 1000:8.0f} ms")
    print(f"seal one record's answers            {seal * 1e6:8.1f} µs")
    print(f"open one record's answers            {opened * 1e6:8.1f} µs")
    print(f"get_record, not protected            {plain * 1e6:8.1f} µs")
    print(f"get_record, protected                {protected * 1e6:8.1f} µs")
    print(f"turn protection on (seal, VACUUM)    {protect_seconds:8.2f} s")
    print(
        f"database size before / after         {size / 1e6:8.2f} MB / {protected_size / 1e6:.2f} MB"
    )


if __name__ == "__main__":
    main()
