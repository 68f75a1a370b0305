"""An XLSForm's `audit`: the hub records how long each section of a record was open, and
the durations leave anonymized by rule (whole seconds, per section and in all, or only in
all, or not at all), never a time of day nor the order of pages. ODK's location tracking is
refused and its log of changed answers left out. A real hub and a real server on loopback.
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
import uuid
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import pyreadstat
import pytest
from click.testing import CliRunner
from pyxform.xls2xform import convert as pyxform_convert

from browsing import answer_visible_questions, review_and_finalize, sign_in
from collector import clock
from collector.anonymizer import anonymize, weaker_fields
from collector.db import open_database
from collector.passwords import hash_secret
from collector.sync_client import SyncClient, enroll
from collector.xlsform import read_xlsform, to_xlsform
from faultproxy import FaultProxy
from support import ENUMERATOR, PIN, TEST_PSEUDONYM_KEY, Browser, import_forms, query, sync_once
from sync_server import disclosure
from sync_server.cli import cli as server_cli
from sync_server.forms import publish
from sync_server.ingest import check_record
from sync_server.store import Store
from workbooks import write_workbook

SERVER_ENGINES = ("sqlite",)  # the subject is what the hub sends and the exports show
PASSWORD = "a long enough passphrase"

FORM_ID = "visit_timed"
SETTINGS = [["form_id", "version"], [FORM_ID, "1"]]
HEADER = ["type", "name", "label", "parameters", "privacy"]
GROUPS = [
    ["begin group", "household", "Household", None, None],
    ["integer", "size", "People", None, None],
    ["end group", None, None, None, None],
    ["begin group", "water", "Water", None, None],
    ["text", "source", "Source", None, None],
    ["end group", None, None, None, None],
]


def workbook(tmp_path: Path, audit_row: list) -> Path:
    return write_workbook(tmp_path / "timed.xlsx", [HEADER, audit_row, *GROUPS], settings=SETTINGS)


def problems(result) -> set[tuple]:
    return {(p.key, p.row, p.column) for p in (*result.errors, *result.warnings)}


# -- The XLSForm ------------------------------------------------------------------------


def test_an_audit_row_is_kept_and_written_back(tmp_path):
    imported = read_xlsform(workbook(tmp_path, ["audit", "audit", None, None, "generalize:total"]))
    assert imported.ok and not imported.warnings, imported.errors
    expected = [{"name": "audit", "type": "audit", "privacy": "generalize:total"}]
    assert imported.definition["metadata"] == expected
    out = tmp_path / "back.xlsx"
    to_xlsform(imported.form, out)
    assert read_xlsform(out).definition["metadata"] == expected
    # ODK's tools read it as an audit again.
    assert '<bind nodeset="/data/meta/audit" type="binary"/>' in (
        pyxform_convert(xlsform=str(out)).xform
    )


def test_an_audit_with_no_name_is_named_audit_and_no_other_name_is_taken(tmp_path):
    imported = read_xlsform(workbook(tmp_path, ["audit", None, None, None, None]))
    assert imported.definition["metadata"] == [{"name": "audit", "type": "audit"}]
    refused = read_xlsform(workbook(tmp_path, ["audit", "timing", None, None, None]))
    assert problems(refused) == {("bad_name/audit", 2, "name")}


def test_location_tracking_and_the_change_log_are_left_out_with_warnings(tmp_path):
    parameters = (
        "location-priority=balanced location-min-interval=60 location-max-age=120 "
        "track-changes=true track-changes-reasons=on-form-edit identify-user=true "
        "identify-user=false"
    )
    result = read_xlsform(workbook(tmp_path, ["audit", "audit", None, parameters, None]))
    assert result.ok and result.definition["metadata"][0] == {"name": "audit", "type": "audit"}
    located = [(p.key, p.row, p.column) for p in result.warnings]
    assert sorted(located) == sorted(
        [("audit_location", 2, "parameters")] * 3
        + [("ignored_column/audit_changes", 2, "parameters")] * 3
    )
    messages = [str(p) for p in result.warnings if p.key == "audit_location"]
    assert all("never" in m and "without location" in m for m in messages), messages
    warned = " ".join(str(p) for p in result.warnings)
    assert "'track-changes=true'" in warned and "names" in warned
    # Without the location parameters, the form is taken with its warnings.
    kept = read_xlsform(
        workbook(tmp_path, ["audit", "audit", None, "track-changes=true other=1", None])
    )
    assert kept.ok and problems(kept) == {
        ("ignored_column/audit_changes", 2, "parameters"),
        ("ignored_column/audit_parameter", 2, "parameters"),
    }


def test_a_question_named_as_a_sections_time_column_is_refused(tmp_path):
    """The export's `audit_water` column holds the seconds spent in section water: a
    question of that name would share it."""
    clash = [["text", "audit_water", "Audit of the water point", None, None]]
    path = write_workbook(
        tmp_path / "clash.xlsx",
        [HEADER, ["audit", "audit", None, None, None], *GROUPS[:2], *clash, *GROUPS[2:]],
        settings=SETTINGS,
    )
    result = read_xlsform(path)
    assert not result.ok
    assert "'audit_water' is the column of the seconds spent in section 'water'" in " ".join(
        str(p) for p in result.errors
    )
    # Without the audit, the same question is an ordinary one.
    plain = [HEADER, *GROUPS[:2], *clash, *GROUPS[2:]]
    assert read_xlsform(write_workbook(tmp_path / "plain.xlsx", plain, settings=SETTINGS)).ok


def test_an_audit_rule_that_would_send_more_is_refused(tmp_path):
    for rule in ("keep", "generalize:day", "scrub"):
        result = read_xlsform(workbook(tmp_path, ["audit", "audit", None, None, rule]))
        assert problems(result) == {("bad_privacy", 2, "privacy")}, rule
        assert f"'{rule}' is not a privacy rule for audit" in str(result.errors[0])


# -- What leaves the laptop --------------------------------------------------------------


def sent(form, times: dict | None) -> dict:
    record = {
        "uuid": "0b6f3a52-8a8e-4a38-9d51-1f6f0d1f2c11",
        "revision": 1,
        "form_id": form.form_id,
        "form_version": form.version,
        "locale": "en",
        "started_at": "2026-04-01T09:58:00Z",
        "finalized_at": "2026-04-01T10:12:30Z",
        "enumerator": ENUMERATOR,
        "answers": {"size": 4, "source": "well"},
        "paradata": times,
    }
    return anonymize(record, form, TEST_PSEUDONYM_KEY)["answers"]


def test_an_audit_leaves_as_whole_seconds_by_its_rule(tmp_path):
    # Sections in the form's order; a section the form no longer has is not sent.
    times = {"total": 150.6, "sections": {"water": 40, "household": 110.4, "gone": 9}}
    default = timed_form(tmp_path)
    assert sent(default, times)["audit"] == {
        "total": 150,
        "sections": {"household": 110, "water": 40},
    }
    assert list(sent(default, times)["audit"]["sections"]) == ["household", "water"]
    assert sent(timed_form(tmp_path, "generalize:total"), times)["audit"] == {"total": 150}
    assert "audit" not in sent(timed_form(tmp_path, "drop"), times)
    # A record with no time counted (from a phone's outbox, say) sends nothing for it.
    assert "audit" not in sent(default, None)


def test_an_audit_rule_made_weaker_is_reported(tmp_path):
    total, section = timed_form(tmp_path, "generalize:total"), timed_form(tmp_path)
    assert weaker_fields(total, section) == ["audit"]
    assert weaker_fields(section, total) == []
    assert weaker_fields(timed_form(tmp_path, "drop"), total) == ["audit"]


# -- The hub records the time ----------------------------------------------------------


@pytest.fixture
def laptop_clock(monkeypatch):
    """The hub's clock, still until a test moves it on by so many seconds."""
    now = [datetime(2026, 4, 1, 9, 58, 0, tzinfo=UTC)]
    monkeypatch.setattr(clock, "wall_clock", lambda: now[0])

    def wait(seconds: int) -> None:
        now[0] += timedelta(seconds=seconds)

    return wait


def timed_form(tmp_path: Path, privacy=None):
    result = read_xlsform(workbook(tmp_path, ["audit", "audit", None, None, privacy]))
    assert result.ok, result.errors
    return result.form


def hidden(page, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]+)"', page.text)
    assert match, f"no {name} on the page"
    return match.group(1)


def send(phone, page, answers: dict, action="next"):
    """Post a section page as its form would: its answers, and its mark of when it was shown."""
    action_url = re.search(r'<form method="post" action="(/records/[^"]+)"', page.text).group(1)
    data = [("form_id", FORM_ID), ("_action", action), ("_opened", hidden(page, "_opened"))]
    for key, value in answers.items():
        data += [("_shown", key), (key, value)]
    return phone.post(action_url, data, csrf_from=page.text)


def phone_of(hub):
    phone = getattr(hub, "phone", None)
    if phone is None:
        phone = hub.phone = hub.browser("en")
        phone.signin(ENUMERATOR, PIN)
    return phone


def fill_timed(hub, laptop_clock) -> str:
    """Household 90 s, Water 30 s, back to Household 20 s (it adds up), Water 10 s, with a
    refused answer on the way (the page keeps counting from when it was first shown)."""
    phone = phone_of(hub)
    page = phone.get(f"/forms/{FORM_ID}")
    laptop_clock(60)
    page = send(phone, page, {"size": "many"})
    assert page.status_code == 422
    laptop_clock(30)
    page = send(phone, page, {"size": "4"})
    laptop_clock(30)
    page = send(phone, page, {"source": "well"}, action="back")
    assert "/0" in page.url
    laptop_clock(20)
    page = send(phone, page, {"size": "4"})
    laptop_clock(10)
    review = send(phone, page, {"source": "well"})
    assert "/review" in review.url, review.text[:500]
    record_uuid = review.url.split("/")[4]
    laptop_clock(600)  # the review page is no section: its time is not counted
    assert phone.post(f"/records/{record_uuid}/finalize", {}).status_code == 200
    return record_uuid


def test_the_hub_adds_up_the_seconds_each_section_was_open(tmp_path, hub, laptop_clock):
    db_path = Path(hub.app.config["DATABASE"])
    import_forms(db_path, timed_form(tmp_path).data)
    record_uuid = fill_timed(hub, laptop_clock)
    expected = {"total": 150, "sections": {"household": 110, "water": 40}}
    [stored] = query(db_path, "SELECT paradata FROM records WHERE uuid = ?", [record_uuid])
    [revision] = query(db_path, "SELECT paradata FROM revisions WHERE uuid = ?", [record_uuid])
    assert json.loads(stored["paradata"]) == json.loads(revision["paradata"]) == expected
    # What would leave, shown to the enumerator before it does: the durations, no time.
    preview = html.unescape(phone_of(hub).get(f"/sync/preview/{record_uuid}").text)
    assert '"total": 150' in preview and '"household": 110' in preview


def test_a_forged_or_borrowed_mark_counts_no_time(tmp_path, hub, laptop_clock):
    db_path = Path(hub.app.config["DATABASE"])
    import_forms(db_path, timed_form(tmp_path).data)
    phone = hub.browser("en")
    phone.signin(ENUMERATOR, PIN)
    other = phone.get(f"/forms/{FORM_ID}")  # another record's first page, shown long ago
    page = phone.get(f"/forms/{FORM_ID}")
    laptop_clock(3600)
    # The other record's mark on this record's page: made for another page, it counts nothing.
    borrowed = page.text.replace(hidden(page, "_opened"), hidden(other, "_opened"))
    assert send(phone, Page(borrowed), {"size": "4"}).status_code == 200
    [stored] = query(db_path, "SELECT paradata FROM records")
    assert stored["paradata"] is None


def test_the_phone_page_counts_from_served_to_delivered_straight(tmp_path, hub, laptop_clock):
    """The whole form on a phone: the hub knows when it served the page and when the record
    arrived, nothing of the phone's clock; a record sent later from the phone's outbox
    waited, and its wait is no interview time."""
    db_path = Path(hub.app.config["DATABASE"])
    import_forms(db_path, timed_form(tmp_path).data)
    phone = hub.browser("en")
    phone.signin(ENUMERATOR, PIN)
    page = phone.get(f"/forms/{FORM_ID}/phone")
    laptop_clock(420)
    straight, later = str(uuid.uuid4()), str(uuid.uuid4())
    for record_uuid, now in ((straight, [("_now", "1")]), (later, [])):
        fields = [("_uuid", record_uuid), ("_action", "finalize"), ("form_version", "1")]
        fields += [("_served", hidden(page, "_served")), *now]
        fields += [("_shown", "size"), ("size", "3"), ("_shown", "source"), ("source", "tap")]
        sent = phone.post(
            f"/forms/{FORM_ID}/submit", fields, csrf_from=page.text, headers={"X-Hub-Outbox": "1"}
        )
        assert sent.status_code == 200 and sent.json()["revision"] == 1, sent.text[:500]
    rows = {row["uuid"]: row["paradata"] for row in query(db_path, "SELECT * FROM revisions")}
    assert json.loads(rows[straight]) == {"total": 420} and rows[later] is None, rows


def test_a_phone_with_javascript_sends_the_mark_only_with_the_record_it_served(
    tmp_path, hub, chromium
):
    """In a real browser: a record sent from the page in reach has its total; one kept in
    the phone's outbox has none, nor has the next one filled on the same page."""
    from selenium.webdriver.support.ui import WebDriverWait

    def fill():
        WebDriverWait(chromium, 20).until(lambda d: d.find_elements("css selector", "#step-0"))
        for _ in range(4):
            answer_visible_questions(chromium, {"size": "4", "source": "well"})
            review = chromium.find_element("css selector", "button.step-review")
            if review.is_displayed():
                review_and_finalize(chromium)
                return
            chromium.find_element("css selector", "button.step-next").click()
        raise AssertionError("the form never reached its last section")

    db_path = Path(hub.app.config["DATABASE"])
    import_forms(db_path, timed_form(tmp_path).data)
    upstream = ("127.0.0.1", int(hub.url.rsplit(":", 1)[1]))
    link = FaultProxy(upstream=upstream).start()
    try:
        sign_in(chromium, type("Hub", (), {"url": link.url}))
        chromium.get(f"{link.url}/forms/{FORM_ID}/phone?lang=en")
        fill()
        WebDriverWait(chromium, 20).until(lambda d: "/phone" not in d.current_url)
        chromium.get(f"{link.url}/forms/{FORM_ID}/phone?lang=en")
        WebDriverWait(chromium, 20).until(lambda d: d.find_elements("css selector", "#step-0"))
        port = link.port
        link.stop()
        fill()  # the hub is away: kept in the phone's outbox
        WebDriverWait(chromium, 20).until(
            lambda d: "waiting for the hub: 1" in d.find_element("css selector", "#outbox").text
        )
        link = FaultProxy(upstream=upstream, port=port).start()
        fill()  # in reach again, on the same page: sent straight away
        WebDriverWait(chromium, 20).until(lambda d: "/phone" not in d.current_url)
        chromium.get(f"{link.url}/forms/{FORM_ID}/phone?lang=en")  # its outbox is sent
        WebDriverWait(chromium, 40).until(
            lambda d: query(db_path, "SELECT count(*) AS n FROM revisions")[0]["n"] == 3
        )
    finally:
        link.stop()
    rows = query(db_path, "SELECT paradata FROM revisions ORDER BY finalized_at, rowid")
    times = [json.loads(row["paradata"]) if row["paradata"] else None for row in rows]
    assert set(times[0]) == {"total"} and times[1:] == [None, None], times


# -- The central server -----------------------------------------------------------------


def test_the_server_takes_durations_and_nothing_else_under_the_audit(tmp_path):
    form = timed_form(tmp_path)
    total_only = timed_form(tmp_path, "generalize:total")

    def checked(value, on=form):
        record = {
            "uuid": "0b6f3a52-8a8e-4a38-9d51-1f6f0d1f2c11",
            "revision": 1,
            "form_id": FORM_ID,
            "form_version": "1",
            "answers": {"size": 4, "audit": value},
        }
        return check_record(None, record, on)

    assert checked({"total": 150, "sections": {"household": 110, "water": 40}}) is None
    assert checked({"total": 150}, total_only) is None
    for wrong, on in (
        ({"total": "2026-04-01T09:58:00Z"}, form),  # a time of day
        ({"total": 150, "sections": {"household": 110.5}}, form),
        ({"total": 150, "log": [["household", 110]]}, form),  # the order of pages
        ({"total": 150, "sections": {"elsewhere": 3}}, form),
        ({"total": 150, "sections": {"household": 110}}, total_only),  # more than its rule
    ):
        assert checked(wrong, on)[0] == "invalid_audit", wrong


def test_durations_reach_the_record_page_and_every_export(tmp_path, hub, central, laptop_clock):
    form = timed_form(tmp_path)
    db_path = Path(hub.app.config["DATABASE"])
    import_forms(db_path, form.data)
    store = Store(central.database)
    publish(store, json.dumps(form.data), "admin")
    for role in ("admin", "analyst"):
        store.add_user(f"{role}1", role, hash_secret(PASSWORD))
    store.close()
    record_uuid = fill_timed(hub, laptop_clock)
    report, _device = sync_once(db_path, hub.app.config["DATA_DIR"], central)
    assert report.reconcile["agree"]
    [stored] = query(central.database, "SELECT answers FROM records")
    expected = {"total": 150, "sections": {"household": 110, "water": 40}}
    assert json.loads(stored["answers"])["audit"] == expected
    columns = {"audit": 150, "audit_household": 110, "audit_water": 40}
    # CSV: the total under the audit's name, then a column per section, after the answers.
    out = tmp_path / "timed.csv"
    central.export(FORM_ID, "csv", out)
    [header, values] = list(csv.reader(io.StringIO(out.read_text("utf-8-sig"))))
    assert header[header.index("source") + 1 :] == list(columns)
    assert {k: int(v) for k, v in zip(header, values, strict=True) if k in columns} == columns
    # Parquet: whole numbers, labelled.
    out = tmp_path / "timed.zip"
    central.export(FORM_ID, "parquet", out)
    with zipfile.ZipFile(out) as archive:
        table = pq.read_table(io.BytesIO(archive.read(f"{FORM_ID}.parquet")))
    for name, seconds in columns.items():
        assert (
            table.schema.field(name).type == pa.int64() and table.column(name)[0].as_py() == seconds
        )
    labels = json.loads(table.schema.field("audit").metadata[b"labels"])
    assert labels["en"] == "Interview duration (seconds)"
    assert json.loads(table.schema.field("audit_water").metadata[b"labels"])["en"] == (
        "Water: Time in this section (seconds)"
    )
    # Stata and SPSS: numeric variables, labelled.
    for fmt in ("dta", "sav"):
        out = tmp_path / f"timed.{fmt}"
        central.export(FORM_ID, fmt, out)
        frame, meta = (pyreadstat.read_dta if fmt == "dta" else pyreadstat.read_sav)(str(out))
        assert {name: frame[name][0] for name in columns} == columns, fmt
        assert meta.column_names_to_labels["audit"] == "Interview duration (seconds)"
        # Numeric (both store every number as a double), shown as a whole number.
        assert meta.readstat_variable_types["audit"] == "double"
        assert meta.original_variable_types["audit"] == ("%12.0g" if fmt == "dta" else "F11.0")
    # XLSX: numbers, not text.
    out = tmp_path / "timed.xlsx"
    central.export(FORM_ID, "xlsx", out)
    sheet = openpyxl.load_workbook(out).worksheets[0]
    rows = list(sheet.iter_rows(values_only=True))
    cells = dict(zip(rows[0], rows[-1], strict=False))
    assert {name: cells[name] for name in columns} == columns
    # The record page lists them.
    page = html.unescape(
        central.signed_in("admin1", PASSWORD).get(f"/data/record/{record_uuid}").text
    )
    assert "Interview duration (seconds)" in page and "Household: Time in this section" in page
    # An analyst gets them through the disclosure check: durations are no key variables.
    keys, sensitive, _ = disclosure.variables([form])
    assert not {"audit"} & {source for v in [*keys, *sensitive] for source in v.sources}
    analyst = central.signed_in("analyst1", PASSWORD).get(f"/data/{FORM_ID}/export.csv")
    assert analyst.status_code == 200 and "audit,audit_household,audit_water" in analyst.text


def test_a_release_to_analysts_keeps_the_durations(tmp_path):
    form = timed_form(tmp_path)
    times = {"total": 150, "sections": {"household": 110, "water": 40}}
    rows = [
        {
            "uuid": f"r{i}",
            "revision": 1,
            "device_id": "dev-7f3a",
            "enumerator": "p_x",
            "collected": "2026-04-01",
            "received_at": "2026-04-02T08:00:00Z",
            "locale": "en",
            "answers": {"size": 4, "source": "well", "audit": times},
        }
        for i in range(6)
    ]
    plan = disclosure.make_plan([form], lambda: iter(rows), k=3, l=1)
    released = list(plan.release().rows(rows))
    assert len(released) == 6 and all(row["answers"]["audit"] == times for row in released)
    assert "audit" not in plan.report["not_released"]


class Page:
    """A page's text as a browser would post from it."""

    def __init__(self, text: str):
        self.text = text
