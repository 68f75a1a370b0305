"""The Retention page of the central workspace: admins set each form's period and remove
records for good from the browser, with the same rules and removal as the commands
(tests/test_central_retention.py), a confirmation before anything goes, and an audit entry
with the admin's name. A real server on loopback, SQLite and PostgreSQL."""

from __future__ import annotations

import html
import re
from datetime import date, timedelta

import pytest

from collector.clock import utcnow
from collector.passwords import hash_secret
from support import Browser, Central, query
from sync_server.store import Store
from test_central_retention import (
    REPORT,
    SURVEY,
    derived,
    nothing_changed,
    population,
    recomputed,
    round_,
    state,
    uuids_of,
)

__all__ = ["population", "round_"]
PASSWORD = "a long enough passphrase"


@pytest.fixture
def admin(round_):
    store = Store(round_.database)
    try:
        for role in ("admin", "analyst"):
            store.add_user(f"{role}1", role, hash_secret(PASSWORD))
    finally:
        store.close()
    return signed_in(round_, "admin1")


def signed_in(central, name: str, lang: str = "en") -> Browser:
    person = Browser(central.url, lang)
    person.get("/signin")
    assert person.post("/signin", {"name": name, "password": PASSWORD}).status_code == 200
    return person


def older_than(days: int) -> str:
    """The cutoff of a period of `days`: records last received before it are due."""
    return (utcnow() - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")


def row_of(page: str, form_id: str) -> str:
    """The table row of one form on the Retention page, tags removed."""
    for row in re.findall(r"<tr>(.*?)</tr>", page, re.S):
        if f">{form_id}<" in row:
            return " ".join(re.sub(r"<[^>]+>", " ", row).split())
    raise AssertionError(f"no row for {form_id}")


def test_an_admin_sets_a_period_and_sees_what_it_makes_due(round_, admin):
    database = round_.database
    days = (utcnow().date() - date(2025, 4, 15)).days  # reaches back into the round
    old = uuids_of(database, SURVEY, "received_at < ?", [older_than(days)])
    assert 0 < len(old) < len(uuids_of(database, SURVEY))
    page = admin.get("/retention").text
    assert "Until removed by hand" in row_of(page, SURVEY)
    before = state(database)
    answer = admin.post(f"/retention/{SURVEY}", {"days": str(days), "action": "set"})
    assert answer.status_code == 200 and f"removed {days} days after" in answer.text
    row = row_of(answer.text, SURVEY)
    assert f"{days} days" in row and "admin1" in row and f" {len(old)} " in f" {row} "
    assert "Until removed by hand" in row_of(answer.text, REPORT)
    nothing_changed(database, before)  # setting a period removes nothing by itself
    (entry,) = query(database, "SELECT * FROM audit WHERE action = 'retention_set'")
    assert entry["actor"] == "admin1" and entry["detail"] == f"{SURVEY}: {days} days"

    answer = admin.post(f"/retention/{SURVEY}", {"days": str(days), "action": "off"})
    assert "kept until removed by hand" in answer.text
    assert not query(database, "SELECT * FROM form_retention")


@pytest.mark.parametrize(
    "days, form_id, message",
    [
        ("0", SURVEY, "between 1 and"),
        ("-5", SURVEY, "between 1 and"),
        ("thirty", SURVEY, "between 1 and"),
        ("٣٠", SURVEY, "between 1 and"),  # Arabic-Indic digits: typed, not a number we take
        ("99999999", SURVEY, "between 1 and"),
        ("", SURVEY, "between 1 and"),
        ("30", "no_such_form", "no form 'no_such_form'"),
    ],
)
def test_a_bad_period_is_refused_and_changes_nothing(round_, admin, days, form_id, message):
    admin.get("/retention")
    answer = admin.post(f"/retention/{form_id}", {"days": days, "action": "set"})
    assert answer.status_code == 400 and message in html.unescape(answer.text)
    assert not query(round_.database, "SELECT * FROM form_retention")


def test_removal_by_form_and_day_is_shown_then_confirmed(round_, admin):
    database = round_.database
    old = uuids_of(database, SURVEY, "received_at < ?", ["2025-04-15"])
    reports = uuids_of(database, REPORT)
    before = state(database)
    shown = admin.get(f"/retention/remove?form={SURVEY}&before=2025-04-15")
    assert shown.status_code == 200
    assert f"{len(old)} records of {SURVEY} were last received before 2025-04-15" in shown.text
    nothing_changed(database, before)  # looking removes nothing
    for bad, message in (
        ({"form": SURVEY, "before": "15/04/2025"}, "is not a date"),
        ({"form": "no_such_form", "before": "2025-04-15"}, "no form"),
    ):
        assert admin.post("/retention/remove", bad, csrf_from=shown.text).status_code == 400
        assert message in admin.last.text
    forged = admin.session.post(
        round_.url + "/retention/remove", data={"form": SURVEY, "before": "2025-04-15"}
    )
    assert forged.status_code == 400  # no CSRF token: refused
    nothing_changed(database, before)

    done = admin.post(
        "/retention/remove", {"form": SURVEY, "before": "2025-04-15"}, csrf_from=shown.text
    )
    assert done.status_code == 200 and f"{len(old)} records were removed for good" in done.text
    assert not uuids_of(database, SURVEY) & old and uuids_of(database, REPORT) == reports
    assert derived(database) == recomputed(database)
    (entry,) = query(database, "SELECT * FROM audit WHERE action = 'records_removed'")
    assert entry["actor"] == "admin1" and "received before 2025-04-15" in entry["detail"]


def test_the_daily_removal_can_be_run_now_after_a_look(round_, admin):
    database = round_.database
    assert "Nothing to remove." in admin.get("/retention/purge").text
    days = (utcnow().date() - date(2025, 4, 15)).days
    old = uuids_of(database, SURVEY, "received_at < ?", [older_than(days)])
    admin.get("/retention")
    admin.post(f"/retention/{SURVEY}", {"days": str(days), "action": "set"})
    before = state(database)
    shown = admin.get("/retention/purge")
    assert f"{SURVEY}: {len(old)} records older than {days} days" in " ".join(
        re.sub(r"<[^>]+>", "", shown.text).split()
    )
    nothing_changed(database, before)
    done = admin.post("/retention/purge", {}, csrf_from=shown.text)
    assert f"{len(old)} records were removed for good" in done.text
    assert not uuids_of(database, SURVEY) & old
    assert derived(database) == recomputed(database)
    assert "Nothing to remove." in admin.get("/retention/purge").text


def test_only_admins_reach_the_page(round_, admin):
    analyst = signed_in(round_, "analyst1")
    for path in ("/retention", "/retention/purge", f"/retention/remove?form={SURVEY}"):
        assert analyst.get(path).status_code == 403
    analyst.get("/account")
    assert analyst.post("/retention/purge", {}).status_code == 403
    assert "/retention" in admin.get("/forms").text  # linked from the Forms page


@pytest.mark.parametrize("chromium", [1280], indirect=True)
def test_the_pages_pass_automated_accessibility_checks_in_arabic(chromium, tmp_path):
    from browsing import wait_for
    from sync_server.demo_data import load
    from test_form_publishing_browser import accessibility_problems, sign_in_central

    central = Central(tmp_path / "central")  # the pages, not the storage: SQLite is enough
    try:
        load(population(), central.app.config["DATA_DIR"], central.database)
        sign_in_central(chromium, central, "ar")
        for path in ("/retention", f"/retention/remove?form={SURVEY}&before=2025-04-15"):
            chromium.get(central.url + path)
            wait_for(chromium, "main h1")
            assert chromium.find_element("css selector", "html").get_attribute("dir") == "rtl"
            assert accessibility_problems(chromium) == [], path
    finally:
        central.stop()
