"""Several processes ingesting into one PostgreSQL database at the same moment.

Batches of different devices go in side by side (sync_server.indicators.refresh_facts takes
the shared side of the indicator tables' lock; the cubes' shared rows are added to once per
batch, in key order); whole-table work (rebuilding the facts, a design's build steps) takes
the exclusive side. Whatever the interleaving, the indicator tables must be what a fresh
rebuild from the records gives, and every (uuid, revision) stored once.

The workers are processes (fork) on the real store, each with its own connection pool,
released together by a barrier.
"""

from __future__ import annotations

import multiprocessing
import traceback

import pytest

from collector.forms import builtin_forms
from sync_server import database, designs
from sync_server.indicators import rebuild_facts
from sync_server.ingest import ingest_batch
from sync_server.store import Store
from test_ingest_batches import message, survey

FORM = "community_survey"
WORKERS = 4
DERIVED = {  # the indicator tables, each in its key's order
    "facts": "form_id, uuid",
    "facts_cube": "form_id, month, area, gender, age_band, migration_status, disability",
    "survey_units": "form_id, uuid",
    "design_cube": "form_id, dim, cell, grp, stratum, psu",
}
FORK = multiprocessing.get_context("fork")


def device_batches(worker: int) -> list[dict]:
    """A device's pushes: three new batches, revisions of some of its records (other
    areas, so their facts move between cube cells), and its first batch resent anew."""
    base = 1000 * (worker + 1)
    first = [survey(n) for n in range(base, base + 20)]
    later = [[survey(n) for n in range(start, start + 20)] for start in (base + 20, base + 40)]
    revised = [
        survey(n, revision=2, record_uuid=survey(n)["uuid"], area="CE", gender="woman")
        for n in range(base, base + 30, 3)
    ]
    return [message(first), *map(message, later), message(revised), message(first)]


def shared_batch() -> list[dict]:
    """One device's batch that every worker receives (a hub that timed out and sent its
    records again, to another server process): stored once."""
    return [survey(n) for n in range(20)]


def push(url: str, device: str, messages: list[dict], start, failures) -> None:
    """A worker: its own store and pool, its batches in order once all workers are ready."""
    database._POOLS.clear()  # the parent's pools are its own (it closed them before forking)
    try:
        store = Store(url)
        start.wait(timeout=60)
        for batch in messages:
            status, answer = ingest_batch(store, store.device(device), batch, "api")
            assert status == 200, answer
        store.close()
    except BaseException:  # noqa: BLE001 - told to the parent, which fails the test
        failures.put(traceback.format_exc())


def rebuild(url: str, definitions: list[dict], start, failures) -> None:
    """A worker doing whole-table work while batches arrive: the facts rebuilt, then each
    design declared again and built a few records per step."""
    database._POOLS.clear()
    try:
        store = Store(url)
        start.wait(timeout=60)
        for definition in definitions:
            with store.transaction():
                rebuild_facts(store.db)
            designs.save_design(store.db, FORM, definition, "test", chunk=7)
        store.close()
    except BaseException:  # noqa: BLE001
        failures.put(traceback.format_exc())


def run_together(jobs: list[tuple]) -> None:
    """Each (function, args) in its own process, all released at the same moment."""
    database.close_pools()  # no connection of this process goes into the children
    start, failures = FORK.Barrier(len(jobs)), FORK.Queue()
    processes = [FORK.Process(target=job, args=(*args, start, failures)) for job, args in jobs]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=300)
    assert all(process.exitcode == 0 for process in processes)
    problems = []
    while not failures.empty():
        problems.append(failures.get())
    assert not problems, "\n".join(problems)


def new_store(url: str) -> Store:
    store = Store.create(url)
    with store.transaction():
        for n in range(WORKERS):
            store.db.execute(
                "INSERT INTO devices (id, label, token_hash, enrollment_id, enrolled_at)"
                " VALUES (?, ?, ?, 'e', '2026-01-01T00:00:00Z')",
                [f"laptop-{n}", f"laptop {n}", f"hash-{n}"],
            )
    return store


def derived(store: Store) -> dict[str, list]:
    """The indicator tables' rows in key order, sums rounded (sums taken away and added
    back differ from a fresh sum in the last bits)."""

    def plain(value):
        return round(value, 6) if isinstance(value, float) else value

    return {
        table: [
            tuple(plain(v) for v in row.values())
            for row in store.db.query(f"SELECT * FROM {table} ORDER BY {order}")
        ]
        for table, order in DERIVED.items()
    }


def rebuilt(store: Store) -> dict[str, list]:
    """The indicator tables as a fresh computation over the stored records gives them."""
    with store.transaction():
        rebuild_facts(store.db)
    return derived(store)


def definition(**roles) -> dict:
    return designs.parse_design(builtin_forms()[FORM], **roles)


def test_devices_pushing_at_once_leave_the_indicator_tables_exact(postgresql_url):
    """Devices' batches (new records, revisions, resends) and one batch sent to every
    process, all at once: each (uuid, revision) once, the tables as a rebuild makes them."""
    store = new_store(postgresql_url)
    designs.save_design(store.db, FORM, definition(stratum="area", cluster=designs.DEVICE), "t")
    store.close()
    shared = shared_batch()
    jobs = [(push, (postgresql_url, f"laptop-{n}", device_batches(n))) for n in range(1, WORKERS)]
    # The same records from laptop-0 reach every worker, each time as a new batch.
    jobs += [(push, (postgresql_url, "laptop-0", [message(shared)])) for _ in range(WORKERS)]
    run_together(jobs)

    store = Store(postgresql_url)
    try:
        records = store.db.execute("SELECT uuid, revision FROM records").fetchall()
        assert len(records) == len(set(records)) == 20 + (WORKERS - 1) * (60 + 10)
        latest = store.db.execute("SELECT count(*) FROM records WHERE is_latest = 1").fetchone()
        assert latest[0] == 20 + (WORKERS - 1) * 60
        found = derived(store)
        assert len(found["facts"]) == latest[0] and found["design_cube"]
        assert sum(row[7] for row in found["facts_cube"]) == latest[0]  # n, after the keys
        assert found == rebuilt(store)
    finally:
        store.close()


def test_a_rebuild_and_a_design_build_while_batches_arrive_stay_consistent(postgresql_url):
    """The facts rebuilt and two designs declared (built in steps of 7 records) while three
    devices push: at the end, the tables are what a rebuild makes of the records."""
    store = new_store(postgresql_url)
    for start in (0, 20, 40):  # records before: the rebuild and the build have work to do
        ingest_batch(
            store,
            store.device("laptop-0"),
            message([survey(n) for n in range(start, start + 20)]),
            "api",
        )
    store.close()
    declared = [
        definition(cluster=designs.DEVICE),
        definition(stratum="area", cluster=designs.DEVICE),
    ]
    jobs = [(rebuild, (postgresql_url, declared))]
    jobs += [(push, (postgresql_url, f"laptop-{n}", device_batches(n))) for n in range(1, WORKERS)]
    run_together(jobs)

    store = Store(postgresql_url)
    try:
        # A build that batches moved on is finished; the last design declared is in force.
        designs.save_design(store.db, FORM, declared[-1], "test")
        assert designs.design_of(store.db, FORM) == declared[-1]
        found = derived(store)
        assert len(found["survey_units"]) == 60 + (WORKERS - 1) * 60
        assert found == rebuilt(store)
    finally:
        store.close()


def test_batches_share_the_facts_lock_and_a_rebuild_waits_for_them(postgresql_url):
    """Two transactions hold the shared side at once; the exclusive side is not given
    while either does, and a shared one is not given while the exclusive one is held."""
    import psycopg

    from sync_server.indicators import FACTS_LOCK

    first, second, third = (database.PostgresDatabase(postgresql_url) for _ in range(3))
    try:
        with first.transaction(), second.transaction():
            first.lock(FACTS_LOCK, shared=True)
            second.lock(FACTS_LOCK, shared=True)  # not waiting for the first
            with pytest.raises(psycopg.errors.LockNotAvailable):
                with third.transaction():
                    third.execute("SET LOCAL lock_timeout = '200ms'")
                    third.lock(FACTS_LOCK)
        with third.transaction():
            third.lock(FACTS_LOCK)  # free again once the batches are done
            with pytest.raises(psycopg.errors.LockNotAvailable):
                with first.transaction():
                    first.execute("SET LOCAL lock_timeout = '200ms'")
                    first.lock(FACTS_LOCK, shared=True)
    finally:
        for db in (first, second, third):
            db.close()


@pytest.fixture(autouse=True)
def _no_pools_left():
    yield
    database.close_pools()
