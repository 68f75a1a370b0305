"""The collector's SQLite database: connection settings, transactions and migrations."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
import time
from pathlib import Path

import sqlite_utils
from flask import current_app, g
from sqlite_utils.migrations import Migrations

from . import protection
from .datadir import owner_only_database

migrations = Migrations("collector")
BUSY_TIMEOUT_MS = 15_000
# How long a purge waits for readers before it says the log could not be emptied.
CHECKPOINT_WAIT_SECONDS = 10.0
# One lock per database file for this process's writers (write_transaction): they queue here
# and are woken the moment the writer before them commits. Left to SQLite, a waiting writer
# sleeps in steps of up to 100 ms however soon the lock is free: with 20 phones finalizing at
# once that sleeping, not the work, was most of a delivery's time (docs/benchmarks.md).
_WRITE_LOCKS: dict[str, threading.RLock] = {}
_WRITE_LOCKS_GUARD = threading.Lock()


def _forget_write_locks() -> None:
    """In a forked child (gunicorn workers): a lock some thread of the parent held at the
    fork would never be released there; the child's connections get fresh ones."""
    global _WRITE_LOCKS_GUARD, _PENDING_GUARD
    _WRITE_LOCKS.clear()
    _WRITE_LOCKS_GUARD = threading.Lock()
    _PENDING.clear()
    _PENDING_GUARD = threading.Lock()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_write_locks)


def _write_lock(path: Path | str) -> threading.RLock:
    # Known by the name it was asked for too: each request's connect makes no file system
    # calls. A relative name depends on the working folder: always resolved.
    name = str(path)
    with _WRITE_LOCKS_GUARD:
        lock = _WRITE_LOCKS.get(name) if os.path.isabs(name) else None
        if lock is None:
            lock = _WRITE_LOCKS.setdefault(str(Path(path).resolve()), threading.RLock())
            if os.path.isabs(name):
                _WRITE_LOCKS[name] = lock
        return lock


class HubDatabase(sqlite_utils.Database):
    """A sqlite-utils Database that also carries its folder's key and its file's write lock."""

    vault: protection.Vault | None
    write_lock: threading.RLock
    kept_for: str  # the path a request's connection was opened with (get_db)


def connect(path: Path | str, vault: protection.Vault | None = None) -> HubDatabase:
    """Open the database with the durability the field needs: WAL, synchronous=FULL.

    The connection carries the data folder's unlocked key as `db.vault` (None when the
    folder is not protected; `vault` gives it, else this process's unlocked key). A
    protected folder without its key is refused before the file is opened
    (protection.Locked), so nothing is read or written.
    """
    vault = vault or protection.vault_for(Path(path).parent)
    # The timeout is SQLite's busy timeout (PRAGMA busy_timeout): one call fewer per request.
    conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000, check_same_thread=False)
    db = HubDatabase(conn)
    db.enable_wal()
    db.execute("PRAGMA synchronous = FULL")
    db.execute("PRAGMA foreign_keys = ON")
    # Purged names and phone numbers must not linger in free pages of the file.
    db.execute("PRAGMA secure_delete = ON")
    db.vault = vault
    db.write_lock = _write_lock(path)
    return db


def open_database(path: Path | str, vault: protection.Vault | None = None) -> sqlite_utils.Database:
    """Connect and bring the schema up to date."""
    db = connect(path, vault)
    migrations.apply(db)
    return db


@contextlib.contextmanager
def write_transaction(db: sqlite_utils.Database):
    """One transaction that takes the write lock at once.

    BEGIN IMMEDIATE rather than sqlite-utils' deferred BEGIN: a deferred
    transaction that reads first and writes later can fail with SQLITE_BUSY
    under concurrent writers instead of waiting for the lock. Writers of this process
    queue on the file's write lock first (see _WRITE_LOCKS); other processes still meet
    SQLite's own lock and its busy timeout.
    """
    with getattr(db, "write_lock", None) or contextlib.nullcontext():
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
            db.execute("COMMIT")  # inside: a COMMIT that fails (a full disk) is rolled back too
        except BaseException:
            if db.conn.in_transaction:
                db.rollback()
            raise


class _Job:
    """One writer's work waiting for a group commit, and what came of it."""

    __slots__ = ("work", "done", "result", "error")

    def __init__(self, work):
        self.work, self.done, self.result, self.error = work, False, None, None


_PENDING: dict[int, list[_Job]] = {}  # by id of the file's write lock
_PENDING_GUARD = threading.Lock()


def write_together(db: HubDatabase, work):
    """Run `work(db)` in a transaction it may share with other threads' work, one commit
    (one fsync) for all of them; return its result or raise its error once that commit
    returned, never before.

    Writers of one file queue on its lock (write_transaction). The one that gets the lock
    takes every piece of work queued meanwhile and runs each in its own savepoint on its
    own connection: a piece that fails is undone alone and its error raised to its own
    caller, the others still commit. When the commit itself fails, every piece gets that
    error and nothing of them is kept. Under a crowd of phones finalizing at once, the
    commit's fsync, not the work, was what each record waited for (docs/benchmarks.md).
    `work` must only use the connection it is given: it may run in another thread.
    """
    lock = getattr(db, "write_lock", None)
    if lock is None:
        with write_transaction(db):
            return work(db)
    job = _Job(work)
    with _PENDING_GUARD:
        _PENDING.setdefault(id(lock), []).append(job)
    with lock:
        if not job.done:
            with _PENDING_GUARD:
                jobs = _PENDING.pop(id(lock), [])
            _commit_group(db, jobs)
    if job.error is not None:
        raise job.error
    return job.result


def _commit_group(db: HubDatabase, jobs: list[_Job]) -> None:
    """Each job in its own savepoint, then one commit; every job is marked done."""
    try:
        with write_transaction(db):
            for job in jobs:
                db.execute("SAVEPOINT together")
                try:
                    job.result = job.work(db)
                except Exception as error:  # this job's own failure: undo it alone
                    db.execute("ROLLBACK TO together")
                    job.error = error
                db.execute("RELEASE together")
    except BaseException as error:
        for job in jobs:
            job.result, job.error = None, job.error or error
        raise
    finally:
        for job in jobs:
            job.done = True


def truncate_wal(db: sqlite_utils.Database, wait_seconds: float = CHECKPOINT_WAIT_SECONDS) -> bool:
    """Copy the write-ahead log into the database and empty it; True once it is empty.

    Old page images (names a purge removed) stay in the log until then. A reader in the
    middle of a transaction holds them: the hub's own connections last one request, so
    try again for up to `wait_seconds`, each try waiting only briefly for the locks.
    """
    deadline = time.monotonic() + wait_seconds
    db.execute("PRAGMA busy_timeout = 200")
    try:
        while True:
            busy, log_frames, _ = db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            if busy == 0 and log_frames in (0, -1):  # -1: not in WAL mode, no log at all
                return True
            if time.monotonic() >= deadline:
                return False
            time.sleep(0.1)
    finally:
        db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")


# Each server thread keeps its last request's connection for its next request (the
# server's worker threads live as long as it does): opening one, with its settings, was
# about a seventh of a phone's delivery under a crowd (docs/benchmarks.md). The main thread
# (a command, a script) closes its connection at the end of each use, as a command leaves
# the folder's files as it found them.
_kept = threading.local()
# The connections server threads keep between requests, so that a server that stops closes
# them (its threads may outlive it a while); a connection lent to a request is not here.
_IDLE: set[HubDatabase] = set()
_IDLE_GUARD = threading.Lock()


def close_kept_connections() -> None:
    """Close every connection a thread keeps between requests: the server has stopped, and
    the folder's log is checkpointed now rather than whenever the threads are gone."""
    with _IDLE_GUARD:
        idle = list(_IDLE)
        _IDLE.clear()
    for db in idle:
        db.close()


def get_db() -> sqlite_utils.Database:
    """The request's connection: this thread's kept one when it is for the same file and
    key, else a new one. The folder's key is asked for every time, so a folder locked
    since is refused as before."""
    if "db" not in g:
        path = current_app.config["DATABASE"]
        vault = current_app.config.get("DATA_VAULT") or protection.vault_for(Path(path).parent)
        kept, _kept.db = getattr(_kept, "db", None), None
        with _IDLE_GUARD:
            if kept not in _IDLE:
                kept = None  # closed since: the server it served stopped
            _IDLE.discard(kept)
        if kept is not None and (kept.kept_for, kept.vault) == (str(path), vault):
            g.db = kept
        else:
            if kept is not None:
                kept.close()
            g.db = connect(path, vault)
            g.db.kept_for = str(path)
    return g.db


def close_db(exception=None) -> None:
    """Keep the request's connection for this thread's next one, as a new one would be:
    no transaction left open, the busy timeout back (the health check shortens it)."""
    db = g.pop("db", None)
    if db is None:
        return
    if threading.current_thread() is threading.main_thread():
        db.close()
        return
    try:
        if db.conn.in_transaction:
            db.conn.rollback()
        db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    except sqlite3.Error:
        db.close()
        return
    previous, _kept.db = getattr(_kept, "db", None), db
    with _IDLE_GUARD:
        _IDLE.add(db)
        if previous is not None and previous in _IDLE:
            _IDLE.discard(previous)
            previous.close()


def init_app(app) -> None:
    with contextlib.closing(
        open_database(app.config["DATABASE"], app.config.get("DATA_VAULT")).conn
    ):
        pass
    owner_only_database(app.config["DATABASE"])
    app.teardown_appcontext(close_db)


# Answers, redactions and replies may be sealed (collector.protection): a migration must
# never read or change them in SQL, only through Python with the connection's vault.
@migrations()
def m001_initial(db: sqlite_utils.Database):
    db.execute("""
        CREATE TABLE users (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE COLLATE NOCASE,
            pin_hash TEXT NOT NULL,
            failed_attempts INTEGER NOT NULL DEFAULT 0,
            locked_until TEXT,
            created_at TEXT NOT NULL
        )""")
    db.execute("""
        CREATE TABLE forms (
            form_id TEXT NOT NULL,
            version TEXT NOT NULL,
            definition TEXT NOT NULL,
            source TEXT NOT NULL,
            added_at TEXT NOT NULL,
            PRIMARY KEY (form_id, version)
        )""")
    # The working copy of each record: answers as typed so far, current status.
    db.execute("""
        CREATE TABLE records (
            uuid TEXT PRIMARY KEY,
            form_id TEXT NOT NULL,
            form_version TEXT NOT NULL,
            locale TEXT NOT NULL,
            enumerator_id INTEGER REFERENCES users(id),
            status TEXT NOT NULL CHECK (status IN ('draft', 'finalized', 'synced', 'rejected')),
            revision INTEGER NOT NULL DEFAULT 0,
            answers TEXT NOT NULL DEFAULT '{}',
            receipt_code TEXT UNIQUE,
            started_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            finalized_at TEXT
        )""")
    db.execute("CREATE INDEX records_by_enumerator ON records (enumerator_id, updated_at)")
    db.execute("CREATE INDEX records_by_status ON records (status)")
    # Each finalized state of a record, never changed once written.
    db.execute("""
        CREATE TABLE revisions (
            uuid TEXT NOT NULL REFERENCES records(uuid),
            revision INTEGER NOT NULL,
            form_id TEXT NOT NULL,
            form_version TEXT NOT NULL,
            locale TEXT NOT NULL,
            enumerator_id INTEGER REFERENCES users(id),
            answers TEXT NOT NULL,
            started_at TEXT NOT NULL,
            finalized_at TEXT NOT NULL,
            PRIMARY KEY (uuid, revision)
        )""")
    # What the sync client sends: one row per finalized revision.
    db.execute("""
        CREATE TABLE outbox (
            uuid TEXT NOT NULL,
            revision INTEGER NOT NULL,
            state TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'sent', 'rejected')),
            queued_at TEXT NOT NULL,
            sent_at TEXT,
            error_code TEXT,
            error_message TEXT,
            PRIMARY KEY (uuid, revision),
            FOREIGN KEY (uuid, revision) REFERENCES revisions(uuid, revision)
        )""")
    db.execute("CREATE INDEX outbox_by_state ON outbox (state)")
    # Replies from the central team to kiosk feedback, by receipt code.
    db.execute("""
        CREATE TABLE replies (
            id TEXT PRIMARY KEY,
            record_uuid TEXT NOT NULL,
            message TEXT NOT NULL,
            locale TEXT,
            replied_at TEXT NOT NULL
        )""")
    db.execute("CREATE INDEX replies_by_record ON replies (record_uuid)")
    db.execute("CREATE TABLE hub_state (key TEXT PRIMARY KEY, value TEXT)")


@migrations()
def m002_purge_and_sync_state(db: sqlite_utils.Database):
    # When identifying fields were removed from a synced record (`collector purge`).
    db.execute("ALTER TABLE records ADD COLUMN purged_at TEXT")


@migrations()
def m003_security_log_and_sessions(db: sqlite_utils.Database):
    from . import security_log, sessions

    db.execute(security_log.TABLE_SQL)
    db.execute(sessions.TABLE_SQL)
    db.execute(sessions.INDEX_SQL)


@migrations()
def m004_hub_roles_and_sent_to(db: sqlite_utils.Database):
    # Only the laptop's operator enrolls the hub or changes its server.
    db.execute(
        "ALTER TABLE users ADD COLUMN role TEXT NOT NULL DEFAULT 'enumerator'"
        " CHECK (role IN ('enumerator', 'operator'))"
    )
    # The device id (enrollment) that accepted each revision: reconciliation with a later
    # server never re-sends what an earlier one holds.
    db.execute("ALTER TABLE outbox ADD COLUMN sent_to TEXT")
    db.execute(
        "UPDATE outbox SET sent_to = (SELECT json_extract(value, '$.device_id')"
        " FROM hub_state WHERE key = 'enrollment') WHERE state = 'sent'"
    )


@migrations()
def m005_held_for_review(db: sqlite_utils.Database):
    # A revision with free text can wait for the operator's review ('held') before it leaves;
    # SQLite cannot change a CHECK constraint, so the table is rebuilt with the new state.
    # `redactions`: the words the operator removed (JSON list), applied when it is sent;
    # `released_at`: when the operator let it go, so it is never held again.
    db.execute("""
        CREATE TABLE outbox_new (
            uuid TEXT NOT NULL,
            revision INTEGER NOT NULL,
            state TEXT NOT NULL DEFAULT 'queued'
                CHECK (state IN ('queued', 'held', 'sent', 'rejected')),
            queued_at TEXT NOT NULL,
            sent_at TEXT,
            error_code TEXT,
            error_message TEXT,
            sent_to TEXT,
            redactions TEXT,
            released_at TEXT,
            PRIMARY KEY (uuid, revision),
            FOREIGN KEY (uuid, revision) REFERENCES revisions(uuid, revision)
        )""")
    db.execute(
        "INSERT INTO outbox_new (uuid, revision, state, queued_at, sent_at, error_code,"
        " error_message, sent_to) SELECT uuid, revision, state, queued_at, sent_at,"
        " error_code, error_message, sent_to FROM outbox"
    )
    db.execute("DROP TABLE outbox")
    db.execute("ALTER TABLE outbox_new RENAME TO outbox")
    db.execute("CREATE INDEX outbox_by_state ON outbox (state)")


@migrations()
def m006_attachments(db: sqlite_utils.Database):
    # Photos, recordings and files of records (collector.attachments): the bytes are in the
    # data folder under their SHA-256; the original file name is not kept, only its extension.
    # `revision`: the revision the file was added for (a later one may keep or replace it).
    db.execute("""
        CREATE TABLE attachments (
            record_uuid TEXT NOT NULL,
            question TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            revision INTEGER NOT NULL,
            size INTEGER NOT NULL,
            media_type TEXT NOT NULL,
            extension TEXT NOT NULL,
            added_at TEXT NOT NULL,
            PRIMARY KEY (record_uuid, question, sha256)
        )""")
    db.execute("CREATE INDEX attachments_by_hash ON attachments (sha256)")
    # What the sync client uploads after the server acknowledged a revision: one row per file
    # that revision's answers refer to and its question's rule lets leave.
    db.execute("""
        CREATE TABLE attachment_outbox (
            record_uuid TEXT NOT NULL,
            revision INTEGER NOT NULL,
            question TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            size INTEGER NOT NULL,
            media_type TEXT NOT NULL,
            extension TEXT NOT NULL,
            state TEXT NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'sent', 'refused')),
            queued_at TEXT NOT NULL,
            sent_at TEXT,
            sent_to TEXT,
            error_code TEXT,
            error_message TEXT,
            PRIMARY KEY (record_uuid, revision, question, sha256)
        )""")
    db.execute("CREATE INDEX attachment_outbox_by_state ON attachment_outbox (state)")


@migrations()
def m007_form_media(db: sqlite_utils.Database):
    # Prompts in sound and picture that came with imported forms (collector.prompts): stored
    # once by the SHA-256 of their bytes, which the form definition names. Not personal data:
    # the recorded questions and pictures of the form itself.
    db.execute("""
        CREATE TABLE form_media (
            sha256 TEXT PRIMARY KEY,
            extension TEXT NOT NULL,
            size INTEGER NOT NULL,
            content BLOB NOT NULL,
            added_at TEXT NOT NULL
        )""")


@migrations()
def m008_entities(db: sqlite_utils.Database):
    # Entity lists (collector.entities): what registration forms' records create (a
    # household, a water point) and follow-up forms choose from. They stay on the laptop:
    # a label often names a person. `label` and `properties` (JSON: property → text) are
    # sealed like answers when the data folder is protected. `created_by_record`: the record
    # whose finalizing created it (one entity per record and list, however often it is
    # finalized); `updated_by_record`: the last record that changed it (collector purge).
    db.execute("""
        CREATE TABLE entities (
            list_name TEXT NOT NULL,
            uuid TEXT NOT NULL,
            label TEXT NOT NULL,
            properties TEXT NOT NULL DEFAULT '{}',
            version INTEGER NOT NULL DEFAULT 1,
            created_by_record TEXT,
            updated_by_record TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            PRIMARY KEY (list_name, uuid)
        )""")
    db.execute(
        "CREATE UNIQUE INDEX entities_by_creator ON entities (list_name, created_by_record)"
        " WHERE created_by_record IS NOT NULL"
    )
    db.execute("CREATE INDEX entities_by_updater ON entities (updated_by_record)")


@migrations()
def m009_help_contacts(db: sqlite_utils.Database):
    # Help and referral contacts the central team keeps, by area (collector.help_contacts):
    # received with the form list, shown after a report. `area` '' is every area;
    # `languages` is a JSON list of language codes. Not personal data.
    db.execute("""
        CREATE TABLE help_contacts (
            position INTEGER PRIMARY KEY,
            area TEXT NOT NULL,
            name TEXT NOT NULL,
            description TEXT NOT NULL DEFAULT '',
            phone TEXT NOT NULL DEFAULT '',
            hours TEXT NOT NULL DEFAULT '',
            languages TEXT NOT NULL DEFAULT '[]'
        )""")
    # A hub that read form lists before it knew of contacts reads the next one whole: an
    # unchanged ETag would otherwise keep the contacts already listed from it.
    db.execute("DELETE FROM hub_state WHERE key = 'forms_etag'")


@migrations()
def m010_prepared_payloads(db: sqlite_utils.Database):
    # A queued revision anonymized ahead of its sync, while the laptop waits for a link
    # (collector.sync_client: SyncClient.prepare_payloads), and what it was made from, so
    # that a new key, setting, enrolment or version makes it again. Cleared once sent.
    db.execute("ALTER TABLE outbox ADD COLUMN payload TEXT")
    db.execute("ALTER TABLE outbox ADD COLUMN payload_basis TEXT")


@migrations()
def m011_paradata(db: sqlite_utils.Database):
    # How long a record of a form with an XLSForm `audit` was open, in whole seconds, in all
    # and per section (collector.paradata): durations only, never a time of day. The
    # revision keeps what its record had when finalized, as it keeps the answers.
    db.execute("ALTER TABLE records ADD COLUMN paradata TEXT")
    db.execute("ALTER TABLE revisions ADD COLUMN paradata TEXT")
