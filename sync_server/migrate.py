"""Moving a server's data to another database: SQLite to PostgreSQL when a programme
outgrows one file (or back), checked by counts and by every device's reconciliation digest.

The target gets the schema first (sync_server.store), must hold no data, and receives
everything in one transaction: a move that fails leaves it empty, and the source is only
read. The derived indicator tables are copied as they are, so nothing is recomputed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from collector import protocol

from .store import Store

# Parents before children (foreign keys are checked row by row on PostgreSQL).
TABLES = (
    "users",
    "devices",
    "enrollment_codes",
    "batches",
    "records",
    "corrections",
    "audit",
    "forms",
    "replies",
    "feedback_cases",
    "security_events",
    "user_sessions",
    "api_tokens",
    "releases",
    "facts",
    "facts_cube",
    "facts_version",
    "survey_designs",
    "survey_units",
    "design_cube",
    "design_clears",
    "pending_forms",
    "attachment_files",
    "attachment_links",
    "form_retention",
    "record_tombstones",
    "prompt_files",
    "form_prompts",
    "answer_key_columns",
    "answer_keys",
    "answer_choice_keys",
    "answer_item_keys",
    "help_contacts",
    "answer_item_choice_keys",
)
# Each engine's own bookkeeping: the target keeps its own.
BOOKKEEPING = {"_sqlite_migrations", "sqlite_sequence", "schema_migrations"}
BATCH_ROWS = 2000


class MoveError(Exception):
    """The move cannot start or did not verify; the target holds nothing of it."""


@dataclass
class MoveReport:
    counts: dict[str, int] = field(default_factory=dict)
    devices: int = 0


def move(source: Store, target: Store, progress=lambda table, rows: None) -> MoveReport:
    """Copy every table from `source` to the empty `target`, then verify both agree."""
    unknown = set(source.db.table_names()) - set(TABLES) - BOOKKEEPING
    if unknown:
        raise MoveError(
            f"The source holds tables this version does not know: "
            f"{', '.join(sorted(unknown))}. Upgrade first."
        )
    busy = [
        table
        for table in ("users", "devices", "records")
        if target.db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    ]
    if busy:
        raise MoveError(
            f"The target database already holds data ({', '.join(busy)}): "
            "move into a new, empty database."
        )
    report = MoveReport()
    with source.snapshot(), target.transaction():
        # The target's first start wrote its own row here; the source's replaces it.
        target.db.execute("DELETE FROM facts_version")
        for table in TABLES:
            report.counts[table] = _copy(source, target, table, progress)
        _continue_numbering(target)
        report.devices = verify(source, target, report.counts)  # before the commit
    if target.db.dialect.name == "postgresql":
        # The planner needs the new tables' statistics at once: a filtered page planned
        # before autovacuum gathers them took minutes at a million records, not 80 ms.
        with target.transaction():
            target.db.execute("ANALYZE")
    return report


def _copy(source: Store, target: Store, table: str, progress) -> int:
    rows = source.db.stream(f"SELECT * FROM {table}")
    columns = next(rows)
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
    copied, batch = 0, []
    for row in rows:
        batch.append(list(row))
        if len(batch) >= BATCH_ROWS:
            copied += _flush(target, sql, batch)
            progress(table, copied)
    copied += _flush(target, sql, batch)
    progress(table, copied)
    return copied


def _flush(target: Store, sql: str, batch: list) -> int:
    if batch:
        target.db.executemany(sql, batch)
    count = len(batch)
    batch.clear()
    return count


def _continue_numbering(target: Store) -> None:
    """PostgreSQL's identity columns go on after the highest id moved (SQLite needs nothing)."""
    if target.db.dialect.name != "postgresql":
        return
    for table, column in (
        ("users", "id"),
        ("audit", "id"),
        ("corrections", "id"),
        ("replies", "seq"),
        ("security_events", "id"),
        ("api_tokens", "id"),
        ("releases", "id"),
        ("pending_forms", "seq"),
        ("attachment_links", "seq"),
        ("help_contacts", "id"),
    ):
        target.db.execute(
            f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'),"
            f" coalesce((SELECT max({column}) FROM {table}), 0) + 1, false)"
        )


def verify(source: Store, target: Store, counts: dict[str, int]) -> int:
    """Counts per table and each device's reconciliation digest (the one hubs compare with
    when they sync) must be the same on both sides; returns the number of devices checked."""
    for table, count in counts.items():
        found = target.db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        if found != count:
            raise MoveError(f"{table}: {count} rows in the source, {found} in the target")
    devices = [row["id"] for row in source.devices()]
    for device_id in devices:
        before = protocol.record_set_digest(source.record_pairs(device_id))
        after = protocol.record_set_digest(target.record_pairs(device_id))
        if before != after:
            raise MoveError(f"device {device_id}: its records differ after the move")
    return len(devices)
