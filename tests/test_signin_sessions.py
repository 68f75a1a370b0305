"""Sign-in on both apps: growing delays instead of locks, known-device cookies, sessions
that end server-side, wrong laptop clocks, and the security log of sign-ins."""

from __future__ import annotations

import json
import re
import sqlite3
import time
from datetime import datetime, timedelta

import pytest
import requests
from click.testing import CliRunner

from collector import clock, create_app
from collector.cli import cli as collector_cli
from collector.db import open_database
from collector.settings import load_settings
from filling import FEEDBACK_ANSWERS
from support import ENUMERATOR, PIN, LiveHub, query

# The first wait after the free attempts: short for the tests, long enough that a loaded
# machine's next request still falls inside it.
DELAY = 2.0
QUICK = {
    "signin_delay_seconds": DELAY,
    "signin_max_delay_seconds": 3.0,
    "signin_rate_limit": "1000 per minute",
    "feedback_rate_limit": "1000 per minute",
}
THROTTLED = "Too many attempts. Try again in"
MISMATCH = "That name and PIN do not match."


def start_hub(data_dir, **settings):
    live = LiveHub(create_app({"HUB_SETTINGS": dict(QUICK, **settings)}, data_dir=data_dir))
    live.add_enumerator()
    live.add_enumerator("bakari", "7788")
    return live


@pytest.fixture
def quick_hub(data_dir):
    """Waits end quickly: for tests that wait them out."""
    live = start_hub(data_dir)
    yield live
    live.stop()


@pytest.fixture
def slow_hub(data_dir):
    """Waits outlast the test: for tests that check who is still waiting."""
    live = start_hub(data_dir, signin_delay_seconds=60.0, signin_max_delay_seconds=600.0)
    yield live
    live.stop()


@pytest.fixture
def wall_clock(monkeypatch):
    """Set the server's wall clock wrong by `offset`, as on a field laptop: for the app
    (collector.clock) and for Flask's cookie dates alike. The test's browser, like the
    phones, keeps the right time."""
    import flask.sessions

    real = clock.wall_clock

    def set_offset(offset: timedelta):
        class LaptopDatetime(datetime):
            @classmethod
            def now(cls, tz=None):
                return datetime.now(tz) + offset

        monkeypatch.setattr(clock, "wall_clock", lambda: real() + offset)
        monkeypatch.setattr(flask.sessions, "datetime", LaptopDatetime)

    return set_offset


def attempt(phone, name, pin):
    phone.get("/signin")
    return phone.post("/signin", {"name": name, "pin": pin})


def error_of(response) -> str:
    found = re.search(r'<p class="error" role="alert">([^<]*)</p>', response.text)
    return found.group(1) if found else ""


def signed_in(phone) -> bool:
    response = phone.session.get(phone.base + "/records", allow_redirects=False, timeout=30)
    return response.status_code == 200


def events(db_path, event=None):
    rows = query(db_path, "SELECT event, account, detail FROM security_events ORDER BY id")
    return [row for row in rows if event is None or row["event"] == event]


# -- point 6: growing delays, the same answer for every name ------------------------------


def test_wrong_pins_slow_down_and_never_lock(quick_hub, db_path):
    phone = quick_hub.browser("en")
    answers = [attempt(phone, ENUMERATOR, "0000") for _ in range(5)]
    assert [r.status_code for r in answers] == [401] * 5
    assert [error_of(r) for r in answers[:4]] == [MISMATCH] * 4
    assert error_of(answers[4]).startswith(THROTTLED)  # the fifth starts the wait
    # During the wait even the right PIN is not checked, and the page says nothing of a lock.
    refused = attempt(phone, ENUMERATOR, PIN)
    assert refused.status_code == 429 and error_of(refused).startswith(THROTTLED)
    assert "locked" not in refused.text.lower()
    time.sleep(DELAY + 0.1)
    assert attempt(phone, ENUMERATOR, PIN).status_code == 200 and signed_in(phone)
    # Nothing about failures is written to the account.
    [user] = query(
        db_path, "SELECT failed_attempts, locked_until FROM users WHERE name = ?", [ENUMERATOR]
    )
    assert user == {"failed_attempts": 0, "locked_until": None}


def test_each_wait_is_longer_than_the_last(data_dir):
    live = start_hub(data_dir, signin_delay_seconds=1.0)
    try:
        phone = live.browser("en")
        for _ in range(5):
            attempt(phone, ENUMERATOR, "0000")
        time.sleep(1.1)
        # The sixth failure doubles the wait: one first delay later it is still running.
        assert attempt(phone, ENUMERATOR, "1111").status_code == 401
        time.sleep(1.1)
        assert attempt(phone, ENUMERATOR, PIN).status_code == 429
        time.sleep(1.0)
        assert attempt(phone, ENUMERATOR, PIN).status_code == 200
    finally:
        live.stop()


def test_unknown_names_get_exactly_the_answers_known_names_get(data_dir, db_path):
    live = start_hub(data_dir, signin_client_free_attempts=1000, signin_delay_seconds=60.0)
    try:

        def answers(name):
            phone = live.browser("en")
            return [
                (r.status_code, error_of(r).split(" in ")[0])
                for r in (attempt(phone, name, "0000") for _ in range(7))
            ]

        known, unknown = answers(ENUMERATOR), answers("nobody-here")
        assert known == unknown
        assert known[0] == (401, MISMATCH) and known[-1][0] == 429
    finally:
        live.stop()
    user_id = query(db_path, "SELECT id FROM users WHERE name = ?", [ENUMERATOR])[0]["id"]
    failed = events(db_path, "signin_failed")
    assert [e["account"] for e in failed] == [f"user:{user_id}"] * 5 + [None] * 5
    throttled = events(db_path, "signin_throttled")
    assert [e["account"] for e in throttled] == [f"user:{user_id}"] * 2 + [None] * 2


def test_names_differing_in_case_share_one_count(slow_hub):
    phone = slow_hub.browser("en")
    for name in ("Amina", "AMINA", "amina ", "aMiNa", "amina"):
        attempt(phone, name, "0000")
    assert attempt(slow_hub.browser("en"), ENUMERATOR, PIN).status_code == 429


def test_one_phone_trying_many_names_is_slowed(slow_hub):
    phone = slow_hub.browser("en")
    for index in range(10):  # ten names, each under its own free count
        assert attempt(phone, f"guess{index}", "0000").status_code == 401
    # The client's own count (ten free) is spent: a new name waits too.
    assert attempt(phone, "bakari", "7788").status_code == 429


def test_strangers_cannot_keep_an_enumerator_out(slow_hub):
    own_phone = slow_hub.browser("en")
    own_phone.signin()
    cookie = own_phone.session.cookies.get("collector_device")
    assert cookie
    own_phone.post("/signout", {}, csrf_from=own_phone.get("/").text)
    assert not signed_in(own_phone)

    kiosk = slow_hub.browser("en")
    statuses = [attempt(kiosk, ENUMERATOR, "0000").status_code for _ in range(12)]
    assert statuses[-1] == 429
    # A phone without the known-device cookie shares the strangers' wait...
    assert attempt(slow_hub.browser("en"), ENUMERATOR, PIN).status_code == 429
    # ...but the enumerator's own phone signs in at once.
    assert attempt(own_phone, ENUMERATOR, PIN).status_code == 200 and signed_in(own_phone)


def test_a_known_device_cookie_is_signed_http_only_and_for_one_name(slow_hub):
    phone = slow_hub.browser("en")
    phone.get("/signin")
    response = phone.post("/signin", {"name": ENUMERATOR, "pin": PIN}, allow_redirects=False)
    device_cookie = [
        c for c in response.raw.headers.getlist("Set-Cookie") if c.startswith("collector_device=")
    ]
    assert len(device_cookie) == 1
    assert "HttpOnly" in device_cookie[0] and "SameSite=Lax" in device_cookie[0]
    value = phone.session.cookies.get("collector_device")

    # Spend the shared (untrusted) counts of both names from a stranger's phone.
    stranger = slow_hub.browser("en")
    for name in (ENUMERATOR, "bakari"):
        for _ in range(6):
            attempt(stranger, name, "0000")

    def with_cookie(cookie_value):
        other = slow_hub.browser("en")
        other.session.cookies.set("collector_device", cookie_value)
        return other

    # The cookie helps for its own name only.
    assert attempt(with_cookie(value), "bakari", "7788").status_code == 429
    # A forged or altered cookie counts as none.
    forged = value[:-2] + ("AA" if not value.endswith("AA") else "BB")
    assert attempt(with_cookie(forged), ENUMERATOR, PIN).status_code == 429
    assert attempt(with_cookie("not-a-cookie"), ENUMERATOR, PIN).status_code == 429
    assert attempt(with_cookie(value), ENUMERATOR, PIN).status_code == 200


def test_wrong_pins_on_a_known_phone_slow_that_phone(slow_hub):
    phone = slow_hub.browser("en")
    phone.signin()
    phone.post("/signout", {}, csrf_from=phone.get("/").text)
    for _ in range(5):
        attempt(phone, ENUMERATOR, "0000")
    assert attempt(phone, ENUMERATOR, PIN).status_code == 429
    # Other phones are not slowed by it.
    assert attempt(slow_hub.browser("en"), ENUMERATOR, PIN).status_code == 200


def test_a_wait_ends_whatever_the_wall_clock_says(quick_hub, wall_clock):
    phone = quick_hub.browser("en")
    for _ in range(5):
        attempt(phone, ENUMERATOR, "0000")
    assert attempt(phone, ENUMERATOR, PIN).status_code == 429
    wall_clock(timedelta(days=-3))  # someone sets the laptop's clock back
    time.sleep(DELAY + 0.1)
    assert attempt(phone, ENUMERATOR, PIN).status_code == 200


def test_old_setting_names_still_load(tmp_path):
    (tmp_path / "settings.toml").write_text("pin_attempts = 3\nlockout_minutes = 30\n")
    settings = load_settings(tmp_path)
    assert settings["signin_free_attempts"] == 3
    assert settings["signin_max_delay_seconds"] == 1800.0
    (tmp_path / "settings.toml").write_text(
        "signin_delay_seconds = 2\npin_attempts = 4\nsignin_free_attempts = 6\n"
    )
    settings = load_settings(tmp_path)
    assert settings["signin_delay_seconds"] == 2.0 and settings["signin_free_attempts"] == 6


def test_settings_set_the_free_attempts(data_dir):
    live = start_hub(data_dir, signin_free_attempts=2, signin_delay_seconds=60.0)
    try:
        phone = live.browser("en")
        assert [attempt(phone, ENUMERATOR, "0000").status_code for _ in range(3)] == [401, 401, 429]
    finally:
        live.stop()


# -- point 8: sessions end server-side --------------------------------------------------


def test_a_copied_cookie_stops_working_after_sign_out(quick_hub, db_path):
    phone = quick_hub.browser("en")
    phone.signin()
    copy = requests.Session()
    copy.cookies.set("collector_session", phone.session.cookies.get("collector_session"))
    assert copy.get(quick_hub.url + "/records", timeout=30).url.endswith("/records")
    phone.post("/signout", {}, csrf_from=phone.get("/").text)
    response = copy.get(quick_hub.url + "/records", timeout=30)
    assert response.url.split("?")[0].endswith("/signin")
    assert query(db_path, "SELECT count(*) AS n FROM user_sessions")[0]["n"] == 0


def test_signing_out_ends_only_that_session(quick_hub):
    first, second = quick_hub.browser("en"), quick_hub.browser("en")
    first.signin()
    second.signin()
    first.post("/signout", {}, csrf_from=first.get("/").text)
    assert not signed_in(first) and signed_in(second)


def test_two_sign_ins_in_the_same_second_get_different_cookies(quick_hub):
    cookies = []
    for _ in range(3):
        phone = quick_hub.browser("en")
        phone.get("/signin")
        response = phone.post("/signin", {"name": ENUMERATOR, "pin": PIN}, allow_redirects=False)
        assert response.status_code == 302
        cookies.append(phone.session.cookies.get("collector_session"))
    assert len(set(cookies)) == 3


def test_the_session_cookie_has_no_expiry_date(quick_hub):
    phone = quick_hub.browser("en")
    phone.get("/signin")
    response = phone.post("/signin", {"name": ENUMERATOR, "pin": PIN}, allow_redirects=False)
    [cookie] = [
        c for c in response.raw.headers.getlist("Set-Cookie") if c.startswith("collector_session=")
    ]
    assert "expires" not in cookie.lower() and "max-age" not in cookie.lower()


def test_idle_sessions_end_after_session_hours(data_dir, wall_clock):
    live = start_hub(data_dir, session_hours=2)
    try:
        phone = live.browser("en")
        phone.signin()
        wall_clock(timedelta(hours=1, minutes=50))
        assert signed_in(phone)  # activity moves the idle count on
        wall_clock(timedelta(hours=3, minutes=40))
        assert signed_in(phone)
        wall_clock(timedelta(hours=5, minutes=41))
        assert not signed_in(phone)
    finally:
        live.stop()


def test_sessions_nobody_came_back_to_are_removed_at_the_next_sign_in(
    data_dir, db_path, wall_clock
):
    live = start_hub(data_dir, session_hours=2)
    try:
        live.browser("en").signin()
        live.browser("en").signin()
        assert query(db_path, "SELECT count(*) AS n FROM user_sessions")[0]["n"] == 2
        wall_clock(timedelta(hours=3))
        live.browser("en").signin("bakari", "7788")
        [left] = query(
            db_path, "SELECT u.name FROM user_sessions s JOIN users u ON u.id = s.user_id"
        )
        assert left["name"] == "bakari"
    finally:
        live.stop()


@pytest.mark.parametrize("offset", [timedelta(days=-3), timedelta(days=-400), timedelta(days=5)])
def test_a_hub_with_a_wrong_clock_signs_people_in(quick_hub, wall_clock, offset):
    wall_clock(offset)
    phone = quick_hub.browser("en")
    phone.signin()
    assert signed_in(phone)
    assert phone.get("/records").url.endswith("/records")


def test_a_clock_set_back_keeps_people_signed_in(quick_hub, wall_clock):
    wall_clock(timedelta(days=2))  # ahead when they signed in...
    phone = quick_hub.browser("en")
    phone.signin()
    wall_clock(timedelta(0))  # ...then corrected: their last activity is "in the future"
    assert signed_in(phone)


# -- point 14: the log of sign-ins ------------------------------------------------------


def test_sign_ins_and_sign_outs_are_logged_without_personal_data(quick_hub, db_path):
    phone = quick_hub.browser("en")
    attempt(phone, ENUMERATOR, "0000")
    phone.signin()
    phone.post("/signout", {}, csrf_from=phone.get("/").text)
    user_id = query(db_path, "SELECT id FROM users WHERE name = ?", [ENUMERATOR])[0]["id"]
    assert [
        (e["event"], e["account"]) for e in events(db_path) if e["event"].startswith("sign")
    ] == [
        ("signin_failed", f"user:{user_id}"),
        ("signin_succeeded", f"user:{user_id}"),
        ("signed_out", f"user:{user_id}"),
    ]
    text = json.dumps(query(db_path, "SELECT * FROM security_events"))
    assert ENUMERATOR not in text and "127.0.0.1" not in text


def test_collector_security_log_command(quick_hub, data_dir, db_path):
    phone = quick_hub.browser("en")
    attempt(phone, "nobody", "0000")
    phone.signin()
    runner = CliRunner()
    result = runner.invoke(collector_cli, ["security-log", "--data-dir", str(data_dir), "--json"])
    assert result.exit_code == 0, result.output
    entries = [e for e in json.loads(result.output) if e["event"].startswith("sign")]
    assert [e["event"] for e in entries] == ["signin_succeeded", "signin_failed"]
    assert entries[1]["account"] is None and entries[0]["account"].startswith("user:")
    result = runner.invoke(
        collector_cli, ["security-log", "--data-dir", str(data_dir), "--limit", "1"]
    )
    assert result.exit_code == 0
    lines = result.output.strip().splitlines()
    assert (
        len(lines) == 2 and "signin_succeeded" in lines[-1] and "signin_failed" not in result.output
    )


def test_collector_security_log_on_an_empty_hub(tmp_path):
    open_database(tmp_path / "collector.db").close()
    result = CliRunner().invoke(collector_cli, ["security-log", "--data-dir", str(tmp_path)])
    assert result.exit_code == 0 and "No security events yet." in result.output


# -- point 16: purge with a clock that was ahead -----------------------------------------


def synced_kiosk_record(db, sent_at: str) -> str:
    """A kiosk message with a contact, marked sent as the sync client marks it."""
    from collector.form_library import get_form
    from collector.records import new_uuid, submit_anonymous
    from collector.sync_client import refresh_record_status

    record_uuid = new_uuid()
    answers = dict(FEEDBACK_ANSWERS, wants_reply="yes", contact="0712 345678")
    submit_anonymous(db, record_uuid, get_form("community_feedback"), "en", answers)
    db.execute("BEGIN IMMEDIATE")
    db.execute(
        "UPDATE outbox SET state = 'sent', sent_at = ? WHERE uuid = ?", [sent_at, record_uuid]
    )
    refresh_record_status(db, [record_uuid])
    db.execute("COMMIT")
    return record_uuid


def contact_of(db, record_uuid):
    row = db.execute("SELECT answers FROM records WHERE uuid = ?", [record_uuid]).fetchone()
    return json.loads(row[0]).get("contact")


@pytest.mark.parametrize("ahead_days", [10, 400])
def test_purge_does_not_wait_for_a_clock_that_was_ahead(app, db_path, wall_clock, ahead_days):
    from collector.purge import purge

    db = open_database(db_path)
    try:
        with app.app_context():
            future = (clock.utcnow() + timedelta(days=ahead_days)).isoformat()
            ahead = synced_kiosk_record(db, future.replace("+00:00", "Z"))
            on_time = synced_kiosk_record(db, clock.now_iso())
        assert purge(db, 30) == 0
        # The time in the future became now: the record is purged 30 days from today...
        [row] = query(db_path, "SELECT sent_at FROM outbox WHERE uuid = ?", [ahead])
        assert row["sent_at"] <= clock.now_iso()
        wall_clock(timedelta(days=29))
        assert purge(db, 30) == 0 and contact_of(db, ahead) == "0712 345678"
        wall_clock(timedelta(days=31))
        assert purge(db, 30) == 2
        assert contact_of(db, ahead) is None and contact_of(db, on_time) is None
    finally:
        db.close()


def test_purge_after_zero_days_takes_records_sent_in_the_future(app, db_path):
    from collector.purge import purge

    db = open_database(db_path)
    try:
        with app.app_context():
            record_uuid = synced_kiosk_record(db, "2099-01-01T00:00:00Z")
        assert purge(db, 0) == 1 and contact_of(db, record_uuid) is None
        [row] = query(db_path, "SELECT sent_at FROM outbox WHERE uuid = ?", [record_uuid])
        assert row["sent_at"] < "2099"
    finally:
        db.close()


# -- the central server: the same sessions, delays and log --------------------------------

CENTRAL_PASSWORD = "correct horse battery staple"


class QuickCentral:
    """A real sync server with short sign-in delays and a team of three."""

    def __init__(self, data_dir, **config):
        from collector.passwords import hash_secret
        from sync_server import create_app as create_server
        from sync_server.store import Store

        self.app = create_server(
            dict({"SIGNIN_DELAY_SECONDS": 60.0, "SIGNIN_RATE_LIMIT": "1000 per minute"}, **config),
            data_dir=data_dir,
        )
        self.live = LiveHub(self.app)
        self.url, self.database = self.live.url, self.app.config["DATABASE"]
        store = Store(self.database)
        for role in ("admin", "analyst", "viewer"):
            store.add_user(f"{role}1", role, hash_secret(CENTRAL_PASSWORD))
        store.close()

    def user_id(self, name):
        return query(self.database, "SELECT id FROM users WHERE name = ?", [name])[0]["id"]

    def browser(self):
        return self.live.browser("en")


@pytest.fixture
def quick_central(tmp_path):
    server = QuickCentral(tmp_path / "central")
    yield server
    server.live.stop()


def central_attempt(person, name, password=CENTRAL_PASSWORD, **kwargs):
    person.get("/signin")
    return person.post("/signin", {"name": name, "password": password}, **kwargs)


def on_central(person) -> bool:
    response = person.session.get(person.base + "/", allow_redirects=False, timeout=30)
    return response.status_code == 200


def test_central_sign_out_ends_a_copied_cookie(quick_central):
    person = quick_central.browser()
    assert central_attempt(person, "analyst1").status_code == 200 and on_central(person)
    copy = quick_central.browser()
    copy.session.cookies.set("central_session", person.session.cookies.get("central_session"))
    assert on_central(copy)
    person.post("/signout", {}, csrf_from=person.get("/").text)
    assert not on_central(copy) and not on_central(person)
    assert query(quick_central.database, "SELECT count(*) AS n FROM user_sessions")[0]["n"] == 0


def test_central_sign_ins_get_their_own_cookie_without_expiry(quick_central):
    cookies = []
    for _ in range(3):
        response = central_attempt(quick_central.browser(), "admin1", allow_redirects=False)
        [cookie] = [
            c
            for c in response.raw.headers.getlist("Set-Cookie")
            if c.startswith("central_session=")
        ]
        assert "expires" not in cookie.lower() and "max-age" not in cookie.lower()
        cookies.append(cookie.split(";")[0])
    assert len(set(cookies)) == 3


def test_central_disabled_account_has_no_session(quick_central):
    person = quick_central.browser()
    central_attempt(person, "viewer1")
    assert on_central(person)
    conn = sqlite3.connect(quick_central.database)
    with conn:  # disabled behind the app's back: the session alone must not let them in
        conn.execute(
            "UPDATE users SET disabled_at = '2026-01-01T00:00:00Z' WHERE name = ?", ["viewer1"]
        )
    conn.close()
    assert not on_central(person)
    response = central_attempt(quick_central.browser(), "viewer1")
    assert response.status_code == 401 and not on_central(person)


def test_central_sessions_end_when_idle_whatever_the_clock(tmp_path, wall_clock):
    server = QuickCentral(tmp_path / "central", PERMANENT_SESSION_LIFETIME=timedelta(hours=1))
    try:
        wall_clock(timedelta(days=-30))  # a server clock far behind still signs people in
        person = server.browser()
        central_attempt(person, "analyst1")
        assert on_central(person)
        wall_clock(timedelta(days=-30, minutes=50))
        assert on_central(person)
        wall_clock(timedelta(days=-30, hours=2))
        assert not on_central(person)
    finally:
        server.live.stop()


def test_central_wrong_passwords_slow_down_the_same_for_unknown_names(quick_central):
    def answers(name):
        person = quick_central.browser()
        return [
            (r.status_code, error_of(r).split(" in ")[0])
            for r in (central_attempt(person, name, "wrong password") for _ in range(7))
        ]

    known, unknown = answers("admin1"), answers("nobody")
    assert known == unknown
    assert known[0] == (401, "That name and password do not match.")
    assert known[4][1] == "Too many attempts. Try again" and known[5][0] == 429
    # The right password waits too, for the name that was guessed at...
    assert central_attempt(quick_central.browser(), "admin1").status_code == 429
    # ...but the client's own count (ten free) is spent as well: any name waits from here.
    assert central_attempt(quick_central.browser(), "analyst1").status_code == 429


def test_central_wrong_passwords_for_one_name_leave_others_alone(tmp_path):
    server = QuickCentral(tmp_path / "central", SIGNIN_CLIENT_FREE_ATTEMPTS=1000)
    try:
        person = server.browser()
        for _ in range(6):
            central_attempt(person, "ADMIN1 ", "wrong password")
        assert central_attempt(server.browser(), "admin1").status_code == 429
        assert central_attempt(server.browser(), "analyst1").status_code == 200
    finally:
        server.live.stop()


def test_central_wait_ends(tmp_path):
    server = QuickCentral(tmp_path / "central", SIGNIN_DELAY_SECONDS=DELAY)
    try:
        person = server.browser()
        for _ in range(5):
            central_attempt(person, "admin1", "wrong password")
        assert central_attempt(person, "admin1").status_code == 429
        time.sleep(DELAY + 0.1)
        assert central_attempt(person, "admin1").status_code == 200 and on_central(person)
    finally:
        server.live.stop()


def test_central_security_log_page_is_for_admins_with_names(quick_central):
    central_attempt(quick_central.browser(), "nobody", "wrong password")
    central_attempt(quick_central.browser(), "analyst1", "wrong password")
    analyst = quick_central.browser()
    central_attempt(analyst, "analyst1")
    assert analyst.get("/security-log").status_code == 403
    anonymous = quick_central.browser().get("/security-log")
    assert anonymous.url.split("?")[0].endswith("/signin")

    admin = quick_central.browser()
    central_attempt(admin, "admin1")
    analyst_id, admin_id = quick_central.user_id("analyst1"), quick_central.user_id("admin1")
    conn = sqlite3.connect(quick_central.database)
    with conn:  # an entry whose detail names who made the change
        conn.execute(
            "INSERT INTO security_events (at, event, account, detail) VALUES"
            " ('2026-01-01T00:00:00Z', 'role_changed', ?, ?)",
            [f"user:{analyst_id}", f"viewer -> analyst, by user:{admin_id}"],
        )
    conn.close()
    page = admin.get("/security-log")
    assert (f"viewer -&gt; analyst, by user:{admin_id} (admin1)") in page.text
    assert page.status_code == 200 and 'href="/security-log"' in page.text
    rows = re.findall(r"<tr>(.*?)</tr>", page.text.split("<tbody>")[1], re.S)
    texts = [" ".join(re.sub(r"<[^>]+>", " ", row).split()) for row in rows][1:]
    assert texts[0].endswith(f"Signed in admin1 user:{admin_id}")
    assert f"Signed in analyst1 user:{analyst_id}" in texts[1]
    assert f"Sign-in failed analyst1 user:{analyst_id}" in texts[2]
    assert texts[3].endswith("Sign-in failed")
    only_failed = admin.get("/security-log?event=signin_failed&limit=200").text
    assert only_failed.count("Sign-in failed") == 2 + 1  # two rows, one select option
    # The table itself holds ids only: no names, no addresses.
    stored = json.dumps(query(quick_central.database, "SELECT * FROM security_events"))
    assert "analyst1" not in stored and "nobody" not in stored and "127.0.0.1" not in stored


def test_sync_server_security_log_command(quick_central):
    from sync_server.cli import cli as server_cli

    central_attempt(quick_central.browser(), "nobody", "wrong password")
    central_attempt(quick_central.browser(), "viewer1")
    result = CliRunner().invoke(
        server_cli,
        [
            "security-log",
            "--data-dir",
            str(quick_central.app.config["DATA_DIR"]),
            "--json",
            "--limit",
            "2",
        ],
    )
    assert result.exit_code == 0, result.output
    entries = json.loads(result.output)
    assert [(e["event"], e["account"]) for e in entries] == [
        ("signin_succeeded", f"user:{quick_central.user_id('viewer1')}"),
        ("signin_failed", None),
    ]
    text = (
        CliRunner()
        .invoke(
            server_cli, ["security-log", "--data-dir", str(quick_central.app.config["DATA_DIR"])]
        )
        .output
    )
    assert "signin_succeeded" in text and "viewer1" not in text
