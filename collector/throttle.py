"""Growing delays after failed sign-ins, per account and per client, instead of a hard lock.

A hard lock lets anyone keep an account locked with a few wrong guesses; a delay that
doubles with each failure past a few free ones slows guessing just as well and lets the
right person in once the delay has passed. The hub counts in memory against a monotonic
clock: nothing about the client is written to disk, and a laptop clock set wrong changes
nothing. The central server, which may run several processes, shares its counts through a
file (SharedThrottle).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import sqlite3
import threading
import time
from dataclasses import dataclass

import sqlite_utils

from .db import write_transaction


@dataclass
class _Entry:
    failures: int = 0
    next_allowed: float = 0.0
    last: float = 0.0


class Throttle:
    """Failures per key (an account name, a client address, ...), with a growing delay.

    After `free` failures in a row each further one doubles the wait, from `base` seconds
    up to `cap`; a success clears the key; a key idle for `forget` seconds is dropped.
    """

    def __init__(
        self,
        free: int = 5,
        base: float = 1.0,
        cap: float = 900.0,
        forget: float = 86400.0,
        max_keys: int = 100_000,
        clock=time.monotonic,
    ):
        self.free, self.base, self.cap, self.forget = free, base, cap, forget
        self.max_keys, self.clock = max_keys, clock
        self._entries: dict = {}
        self._lock = threading.Lock()

    def wait(self, *keys) -> float:
        """Seconds until an attempt on all of `keys` is allowed (0 when it is now)."""
        now = self.clock()
        with self._lock:
            return max(
                [0.0] + [self._entries[k].next_allowed - now for k in keys if k in self._entries]
            )

    def failed(self, *keys) -> float:
        """Count a failure on each key; return the longest wait it now imposes."""
        now = self.clock()
        with self._lock:
            self._prune(now)
            for key in keys:
                entry = self._entries.setdefault(key, _Entry())
                entry.failures += 1
                entry.last = now
                over = entry.failures - self.free
                if over >= 0:
                    entry.next_allowed = now + min(self.cap, self.base * 2 ** min(over, 40))
            return max([0.0] + [self._entries[k].next_allowed - now for k in keys])

    def succeeded(self, *keys) -> None:
        with self._lock:
            for key in keys:
                self._entries.pop(key, None)

    def failures(self, key) -> int:
        with self._lock:
            entry = self._entries.get(key)
            return entry.failures if entry else 0

    def _prune(self, now: float) -> None:
        if len(self._entries) < self.max_keys:
            stale = (
                [k for k, e in self._entries.items() if now - e.last > self.forget]
                if len(self._entries) > 1000
                else []
            )
        else:
            # Full (a flood of made-up names): forget the oldest half.
            by_age = sorted(self._entries, key=lambda k: self._entries[k].last)
            stale = by_age[: len(by_age) // 2]
        for key in stale:
            del self._entries[key]


# The central server's shared delays, in its data dir.
SHARED_FILE = "signin-delays.db"


class SharedThrottle(Throttle):
    """The same delays, kept in a small SQLite file that every process of one server shares.

    The central server may run several worker processes (gunicorn): delays counted in each
    one's memory would let a guesser try `free` times per worker. Keys are stored as keyed
    hashes (the file names no account or address) and against the wall clock, which every
    process and restart shares; a wait is never longer than `cap`, so a clock that jumps
    cannot lock anyone out for longer than the longest wait.
    """

    def __init__(
        self,
        path,
        name: str,
        secret: str,
        free: int = 5,
        base: float = 1.0,
        cap: float = 900.0,
        forget: float = 86400.0,
        max_keys: int = 100_000,
        clock=time.time,
    ):
        super().__init__(free, base, cap, forget, max_keys, clock)
        self.path, self.name, self._secret = str(path), name, secret.encode("utf-8")
        self._db, self._pid = None, None

    def wait(self, *keys) -> float:
        now = self.clock()
        with self._lock:
            rows = self._rows(self._connection(), keys)
        return self._longest(rows.values(), now)

    def failed(self, *keys) -> float:
        now = self.clock()
        with self._lock, write_transaction(self._connection()) as db:
            db.execute("DELETE FROM delays WHERE last < ?", [now - self.forget])
            rows = self._rows(db, keys)
            for key in set(map(self._hash, keys)):
                failures = rows.get(key, (0, 0.0))[0] + 1
                over = failures - self.free
                next_allowed = (
                    now + min(self.cap, self.base * 2 ** min(over, 40))
                    if over >= 0
                    else rows.get(key, (0, 0.0))[1]
                )
                rows[key] = (failures, next_allowed)
                db.execute(
                    "INSERT OR REPLACE INTO delays (key, failures, next_allowed, last)"
                    " VALUES (?, ?, ?, ?)",
                    [key, failures, next_allowed, now],
                )
            self._forget_oldest_when_full(db)
        return self._longest(rows.values(), now)

    def succeeded(self, *keys) -> None:
        with self._lock:
            db = self._connection()
            if not self._rows(db, keys):  # most sign-ins: nothing to clear, no write lock
                return
            with write_transaction(db):
                db.conn.executemany(
                    "DELETE FROM delays WHERE key = ?", [(self._hash(k),) for k in keys]
                )

    def failures(self, key) -> int:
        with self._lock:
            row = self._rows(self._connection(), [key]).get(self._hash(key))
        return row[0] if row else 0

    def _longest(self, rows, now: float) -> float:
        return max([0.0] + [min(self.cap, next_allowed - now) for _, next_allowed in rows])

    def _hash(self, key) -> str:
        text = json.dumps([self.name, key], ensure_ascii=False, default=str)
        return hmac.new(self._secret, text.encode("utf-8"), hashlib.sha256).hexdigest()

    def _rows(self, db, keys) -> dict:
        hashed = sorted(set(map(self._hash, keys)))
        marks = ", ".join("?" * len(hashed))
        return {
            key: (failures, next_allowed)
            for key, failures, next_allowed in db.execute(
                f"SELECT key, failures, next_allowed FROM delays WHERE key IN ({marks})", hashed
            )
        }

    def _forget_oldest_when_full(self, db) -> None:
        # A flood of made-up names must not fill the disk: forget the oldest half.
        count = db.execute("SELECT count(*) FROM delays").fetchone()[0]
        if count > self.max_keys:
            db.execute(
                "DELETE FROM delays WHERE key IN (SELECT key FROM delays ORDER BY last LIMIT ?)",
                [count // 2],
            )

    def _connection(self):
        """This process's connection, opened on first use (a forked worker opens its own)."""
        if self._db is None or self._pid != os.getpid():
            conn = sqlite3.connect(
                self.path, timeout=15, check_same_thread=False, isolation_level=None
            )
            db = sqlite_utils.Database(conn)
            db.enable_wal()
            db.execute(
                "CREATE TABLE IF NOT EXISTS delays (key TEXT PRIMARY KEY, failures"
                " INTEGER NOT NULL, next_allowed REAL NOT NULL, last REAL NOT NULL)"
            )
            db.execute("CREATE INDEX IF NOT EXISTS delays_by_age ON delays (last)")
            self._db, self._pid = db, os.getpid()
        return self._db


def shared(app, name: str, **options) -> SharedThrottle:
    """A throttle shared by every process serving the app's data dir."""
    return SharedThrottle(
        os.path.join(app.config["DATA_DIR"], SHARED_FILE), name, app.config["SECRET_KEY"], **options
    )
