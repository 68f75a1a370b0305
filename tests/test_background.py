"""The hub's background work: sync when the server answers, back off when it does not."""

from __future__ import annotations

import time

from collector.background import (
    BACKOFF_FACTOR,
    BACKOFF_JITTER,
    BACKOFF_MAX,
    BackgroundWork,
    backoff_delay,
)
from collector.db import connect
from collector.sync_client import enroll
from faultproxy import FaultProxy
from filling import SURVEY_ANSWERS, fill_form
from support import query

# About the hub's background sync thread, not the server's storage: SQLite only
# (tests/conftest.py runs the others on PostgreSQL too).
SERVER_ENGINES = ("sqlite",)


def test_backoff_grows_with_jitter_and_is_capped():
    delays = [backoff_delay(n) for n in range(1, 12)]
    assert delays[0] > 0
    assert all(later >= earlier - 15 for earlier, later in zip(delays, delays[1:], strict=False))
    assert max(delays) == BACKOFF_MAX
    assert len({round(backoff_delay(2), 3) for _ in range(20)}) > 1  # jitter spreads laptops out


def test_syncs_when_the_server_answers_and_backs_off_when_not(hub, central, data_dir, db_path):
    proxy = FaultProxy(upstream=("127.0.0.1", int(central.url.rsplit(":", 1)[1]))).start()
    try:
        db = connect(db_path)
        enroll(db, data_dir, proxy.url, central.enrollment_code())
        db.close()
        phone = hub.browser("en")
        phone.signin()
        fill_form(phone, "community_survey", SURVEY_ANSWERS)
        work = BackgroundWork(str(db_path), data_dir, purge_after_days=30, interval=60)

        proxy.set_mode("refuse")
        first, second = work.step(), work.step()
        # Doubling, plus up to BACKOFF_JITTER seconds of jitter (so a second wait may
        # come out shorter than the first: compare each with its own range).
        assert work.failures == 2
        for wait, base in ((first, 2 * BACKOFF_FACTOR), (second, 4 * BACKOFF_FACTOR)):
            assert base <= wait <= min(base + BACKOFF_JITTER, BACKOFF_MAX)
        assert query(central.database, "SELECT count(*) AS n FROM records")[0]["n"] == 0

        proxy.set_mode("pass")
        assert work.step() == 60 and work.failures == 0
        assert query(central.database, "SELECT count(*) AS n FROM records")[0]["n"] == 1
        assert query(db_path, "SELECT status FROM records") == [{"status": "synced"}]
        assert query(db_path, "SELECT key FROM hub_state WHERE key = 'last_purge'")
    finally:
        proxy.stop()


def test_the_thread_syncs_on_wake_and_stops_promptly(hub, central, data_dir, db_path):
    db = connect(db_path)
    enroll(db, data_dir, central.url, central.enrollment_code())
    db.close()
    work = BackgroundWork(str(db_path), data_dir, purge_after_days=30, interval=3600)
    work.start()
    try:
        phone = hub.browser("en")
        phone.signin()
        fill_form(phone, "community_survey", SURVEY_ANSWERS)
        work.wake()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if query(central.database, "SELECT count(*) AS n FROM records")[0]["n"]:
                break
            time.sleep(0.2)
        assert query(central.database, "SELECT count(*) AS n FROM records")[0]["n"] == 1
    finally:
        started = time.monotonic()
        work.stop()
        assert not work.is_alive() and time.monotonic() - started < 10
