"""The hub's background work: sync when the server can be reached, purge once a day.

It runs in its own thread with its own database connection, so a slow or absent
link never blocks a page.
"""

from __future__ import annotations

import logging
import threading
from datetime import timedelta
from pathlib import Path

from urllib3.util.retry import RequestHistory, Retry

from .clock import now_iso, parse_iso, utcnow
from .db import connect, write_transaction
from .purge import purge
from .sync_client import (
    DeviceRevoked,
    SyncClient,
    SyncError,
    get_state,
    load_credentials,
    set_state,
)

log = logging.getLogger(__name__)
SYNC_INTERVAL = 60  # seconds between syncs while the server answers
BACKOFF_FACTOR, BACKOFF_MAX, BACKOFF_JITTER = 5, 300, 15  # while it does not
PURGE_EVERY = timedelta(days=1)


def backoff_delay(failures: int) -> float:
    """Exponential backoff with jitter, capped at five minutes, as urllib3 computes it."""
    history = tuple(
        RequestHistory("GET", "/api/v1/health", None, None, None) for _ in range(failures + 1)
    )
    retry = Retry(
        total=None,
        backoff_factor=BACKOFF_FACTOR,
        backoff_max=BACKOFF_MAX,
        backoff_jitter=BACKOFF_JITTER,
        history=history,
    )
    return retry.get_backoff_time()


class BackgroundWork(threading.Thread):
    """Sync and daily purge for one hub; `wake()` asks for a sync now."""

    def __init__(
        self,
        database: str,
        data_dir: Path,
        purge_after_days: int,
        interval: float = SYNC_INTERVAL,
        purge_drafts_after_days: int | None = None,
    ):
        super().__init__(name="hub-background", daemon=True)
        self.database, self.data_dir = database, Path(data_dir)
        self.purge_after_days, self.interval = purge_after_days, interval
        self.purge_drafts_after_days = purge_drafts_after_days
        self._wake, self._stopping = threading.Event(), threading.Event()
        self.failures = 0
        self.running_sync = threading.Lock()

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
        self.join(timeout=30)

    def run(self) -> None:
        delay = 0.0
        while not self._stopping.is_set():
            self._wake.wait(delay)
            self._wake.clear()
            if self._stopping.is_set():
                return
            delay = self.step()

    def step(self) -> float:
        """One round; returns how long to wait before the next."""
        db = connect(self.database)
        try:
            self.purge_if_due(db)
            return self.sync_if_possible(db)
        except Exception:  # the loop must outlive any one failure
            log.exception("Background work failed")
            self.failures += 1
            return backoff_delay(self.failures)
        finally:
            db.close()

    def sync_if_possible(self, db) -> float:
        credentials = load_credentials(db, self.data_dir)
        if credentials is None or get_state(db, "device_revoked"):
            return self.interval  # nothing to do until enrolled again
        client = SyncClient(db, credentials)
        # While there is no link too: when one comes, the records leave at once.
        client.prepare_payloads()
        if not client.probe():
            self.failures += 1
            return backoff_delay(self.failures)
        with self.running_sync:
            try:
                client.sync()
            except DeviceRevoked:
                log.warning("This device was revoked by the server; sync stops.")
                return self.interval
            except SyncError as error:
                log.warning("Sync failed: %s", error.message)
                self.failures += 1
                return backoff_delay(self.failures)
        self.failures = 0
        return self.interval

    def purge_if_due(self, db) -> None:
        last = get_state(db, "last_purge")
        if last and utcnow() - parse_iso(last) < PURGE_EVERY:
            return
        count = purge(db, self.purge_after_days, self.purge_drafts_after_days)
        with write_transaction(db):
            set_state(db, "last_purge", now_iso())
        if count:
            log.info("Removed identifying fields from %s synced records", count)
