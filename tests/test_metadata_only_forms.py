"""Forms of metadata rows only (start, end, audit...): nothing to ask, a record to keep.

ODK Collect opens such a form and finalizes it at once. The hub gives it the one page its
questions outside any group would have had, with none: the form's title and the button to
go on, then the review and Finalize. Its records hold the metadata, which leave anonymized
as any form's do; what the collector does not record (email, phone number, SIM) is left
out at import with a warning on its row. A real hub and a real server on loopback.
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
import uuid
from pathlib import Path

import pytest

from browsing import review_and_finalize, sign_in
from collector import keyfile
from collector.anonymizer import pseudonym
from collector.db import open_database
from collector.forms import FormError, load_form
from collector.passwords import hash_secret
from collector.sync_client import SyncClient, enroll
from collector.xlsform import read_xlsform, to_xlsform
from support import (
    ENUMERATOR,
    PIN,
    TEST_PSEUDONYM_KEY,
    database_bytes,
    import_forms,
    query,
    sync_once,
)
from sync_server.exports import FORMATS
from sync_server.store import Store
from workbooks import write_workbook, xform

SERVER_ENGINES = ("sqlite",)  # the subject is the hub's pages and what they send
FORM_ID = "visit_log"
TITLE = "Visit log"
SURVEY = [
    ["type", "name", "label"],
    ["start", "start", None],
    ["end", "end", None],
    ["today", "today", None],
    ["deviceid", "deviceid", None],
    ["username", "username", None],
    ["audit", "audit", None],
    ["email", "email", None],  # row 8: ODK's own metadata the collector does not record
    ["phonenumber", "phonenumber", None],
    ["subscriberid", "subscriberid", None],
    ["simserial", "simserial", None],
]
SETTINGS = [["form_id", "form_title", "version"], [FORM_ID, TITLE, "1"]]
KEPT = ["start", "end", "today", "deviceid", "username", "audit"]
PASSWORD = "a long enough passphrase"
NOT_RECORDED = ["email", "phonenumber", "subscriberid", "simserial"]


def workbook(tmp_path: Path, survey=SURVEY) -> Path:
    return write_workbook(tmp_path / "visit.xlsx", survey, settings=SETTINGS)


def keys(problems) -> set[tuple]:
    return {(p.key, p.sheet, p.row, p.column) for p in problems}


def finish_page(phone, page):
    """Go on from the form's page as its form would, with its mark of when it was shown
    (the audit's time), to the review."""
    action = re.search(r'<form method="post" action="(/records/[^"]+)"', page.text)
    opened = re.search(r'name="_opened" value="([^"]+)"', page.text)
    assert action and opened, page.text[:1000]
    data = [("form_id", FORM_ID), ("_action", "next"), ("_opened", opened.group(1))]
    return phone.post(action.group(1), data, csrf_from=page.text)


def publish_on_the_forms_page(admin, path: Path) -> None:
    """Upload the workbook on the central Forms page, read its preview, publish it."""
    sent = admin.session.post(
        admin.base + "/forms",
        files=[("definition", (path.name, path.read_bytes(), "application/octet-stream"))],
        data={"csrf_token": admin.csrf(admin.get("/forms").text)},
        timeout=30,
    )
    assert sent.status_code == 200 and "/forms/preview/" in sent.url, sent.text[:1000]
    shown = html.unescape(sent.text)
    # The import's warning, and the form as phones show it: its title, no question.
    assert TITLE in shown and "each record holds only its metadata" in shown
    action = re.search(r'action="(/forms/preview/[^"]+/publish)"', sent.text)
    assert action, "the preview has no Publish button"
    published = admin.post(action.group(1), {}, csrf_from=sent.text)
    assert published.status_code == 200 and published.url.endswith("/forms")


def metadata_form(tmp_path: Path):
    result = read_xlsform(workbook(tmp_path))
    assert result.ok, [str(p) for p in result.errors]
    return result.form


# -- The XLSForm and the JSON definition ----------------------------------------------------


def test_a_form_of_only_metadata_imports_with_one_page_and_no_question(tmp_path):
    result = read_xlsform(workbook(tmp_path))
    assert result.ok, [str(p) for p in result.errors]
    assert keys(result.warnings) == {
        ("metadata_only", "survey", 1, "type"),
        *{("ignored_type/metadata", "survey", row, "type") for row in (8, 9, 10, 11)},
    }
    [told] = [p for p in result.warnings if p.key == "metadata_only"]
    assert str(told) == (
        "survey row 1, column type: The survey sheet has no question to show: each record "
        "holds only its metadata (start, end, today, deviceid, username, audit), and is "
        "finalized from a page with the form's title."
    )
    [page] = result.definition["sections"]
    assert page["questions"] == [] and page["label"] == result.definition["title"]
    assert [item["name"] for item in result.definition["metadata"]] == KEPT
    # Written back as it came (less what is not recorded), and other tools read it again.
    out = tmp_path / "back.xlsx"
    to_xlsform(result.form, out)
    again = read_xlsform(out)
    assert again.ok and again.definition == result.definition
    assert keys(again.warnings) == {("metadata_only", "survey", 1, "type")}
    assert 'jr:preloadParams="start"' in xform(out)


def test_a_form_that_records_nothing_is_still_refused(tmp_path):
    survey = [["type", "name", "label"], ["email", "email", None], ["begin group", "g", "G"]]
    survey += [["end group", None, None]]
    result = read_xlsform(workbook(tmp_path, survey))
    assert keys(result.errors) == {("empty_form", "survey", 1, "type")}
    assert ("ignored_type/metadata", "survey", 2, "type") in keys(result.warnings)


def test_only_the_one_page_of_a_form_that_records_metadata_may_hold_no_question():
    empty = {"name": "section_1", "label": {"en": TITLE}, "questions": [], "ungrouped": True}
    form = {
        "form_id": FORM_ID,
        "version": "1",
        "title": {"en": TITLE},
        "sections": [empty],
        "metadata": [{"name": "start", "type": "start"}],
    }
    [page] = load_form(form).sections
    assert (page["name"], page["questions"]) == ("section_1", [])
    asked = {
        "name": "more",
        "label": {"en": "More"},
        "questions": [{"name": "place", "type": "text", "label": {"en": "Place"}}],
    }
    for changed in ({"metadata": []}, {"sections": [empty, asked]}):
        with pytest.raises(FormError, match="at least one question"):
            load_form({**form, **changed})


# -- A real hub --------------------------------------------------------------------------------


def test_the_page_without_javascript_shows_the_title_and_finalizes(tmp_path, hub):
    db_path = Path(hub.app.config["DATABASE"])
    import_forms(db_path, metadata_form(tmp_path).data)
    phone = hub.browser("en")
    phone.signin(ENUMERATOR, PIN)
    page = phone.get(f"/forms/{FORM_ID}")
    assert page.status_code == 200
    shown = html.unescape(page.text)
    assert f"<h1>{TITLE}</h1>" in shown and ">Review answers</button>" in shown
    assert not re.search(r'<input(?![^>]*type="hidden")', page.text)  # nothing to answer
    review = finish_page(phone, page)
    assert review.url.endswith("/review") and ">Finalize record</button>" in review.text
    record_uuid = review.url.split("/")[4]
    done = phone.post(f"/records/{record_uuid}/finalize", {})
    assert done.status_code == 200 and done.url.endswith("/records")
    [row] = query(db_path, "SELECT * FROM records")
    assert row["status"] == "finalized" and row["started_at"] and row["finalized_at"]
    assert json.loads(row["answers"]) == {}
    assert set(json.loads(row["paradata"])["sections"]) == {"section_1"}
    # What would leave, as the enumerator may read it: the metadata, by their rules.
    preview = html.unescape(phone.get(f"/sync/preview/{record_uuid}").text)
    assert f'"start": "{row["started_at"][:10]}"' in preview and '"audit": {' in preview
    assert ENUMERATOR not in preview
    assert not any(f'"{name}"' in preview for name in NOT_RECORDED)


def test_the_whole_form_page_shows_the_title_and_finalizes(tmp_path, hub):
    db_path = Path(hub.app.config["DATABASE"])
    import_forms(db_path, metadata_form(tmp_path).data)
    phone = hub.browser("en")
    phone.signin(ENUMERATOR, PIN)
    page = phone.get(f"/forms/{FORM_ID}/phone")
    assert page.status_code == 200
    assert f">{TITLE}</h1>" in page.text and ">Finalize record</button>" in page.text
    record_uuid = str(uuid.uuid4())
    fields = [("_uuid", record_uuid), ("_action", "finalize"), ("form_version", "1")]
    sent = phone.post(f"/forms/{FORM_ID}/submit", fields, csrf_from=page.text)
    assert sent.status_code == 200 and sent.url.endswith("/records"), sent.text[:500]
    [row] = query(db_path, "SELECT uuid, status FROM records")
    assert (row["uuid"], row["status"]) == (record_uuid, "finalized")


def test_the_whole_form_page_with_javascript_goes_to_review_and_finalizes(tmp_path, hub, chromium):
    from selenium.webdriver.support.ui import WebDriverWait

    db_path = Path(hub.app.config["DATABASE"])
    import_forms(db_path, metadata_form(tmp_path).data)
    sign_in(chromium, hub)
    chromium.get(f"{hub.url}/forms/{FORM_ID}/phone?lang=en")
    step = WebDriverWait(chromium, 20).until(lambda d: d.find_element("css selector", "#step-0"))
    assert step.find_element("css selector", "h1").text == TITLE
    review_and_finalize(chromium)
    WebDriverWait(chromium, 20).until(lambda d: "/phone" not in d.current_url)
    WebDriverWait(chromium, 20).until(
        lambda d: query(db_path, "SELECT status FROM records") == [{"status": "finalized"}]
    )


# -- A real hub and a real server ----------------------------------------------------------


def test_metadata_only_records_reach_the_server_and_its_export(tmp_path, hub, central):
    form = metadata_form(tmp_path)
    db_path = Path(hub.app.config["DATABASE"])
    import_forms(db_path, form.data)
    store = Store(central.database)
    store.add_user("admin1", "admin", hash_secret(PASSWORD))
    store.close()
    admin = central.signed_in("admin1", PASSWORD)
    publish_on_the_forms_page(admin, workbook(tmp_path))
    phone = hub.browser("en")
    phone.signin(ENUMERATOR, PIN)
    review = finish_page(phone, phone.get(f"/forms/{FORM_ID}"))
    record_uuid = review.url.split("/")[4]
    assert phone.post(f"/records/{record_uuid}/finalize", {}).status_code == 200
    [row] = query(db_path, "SELECT started_at, finalized_at FROM records")
    report, device_id = sync_once(db_path, hub.app.config["DATA_DIR"], central)
    assert report.reconcile["agree"]
    [stored] = query(central.database, "SELECT answers FROM records")
    answers = json.loads(stored["answers"])
    assert sorted(answers) == sorted(KEPT)
    assert answers["start"] == answers["today"] == row["started_at"][:10]
    assert answers["end"] == row["finalized_at"][:10] and answers["deviceid"] == device_id
    key = keyfile.hmac_key(TEST_PSEUDONYM_KEY)
    assert answers["username"] == pseudonym("enumerator", ENUMERATOR, key)
    assert set(answers["audit"]) <= {"total", "sections"}
    assert ENUMERATOR.encode() not in database_bytes(central.database)
    # The export: a row for the record, its metadata columns, the day with no time.
    csv_path = tmp_path / "visit.csv"
    central.export(FORM_ID, "csv", csv_path)
    [header, values] = list(csv.reader(io.StringIO(csv_path.read_text("utf-8-sig"))))
    cells = dict(zip(header, values, strict=True))
    assert {"start", "end", "today", "deviceid", "username", "audit"} <= set(header)
    assert cells["start"] == row["started_at"][:10] and cells["deviceid"] == device_id
    assert not set(NOT_RECORDED) & set(header)
    for fmt in FORMATS:  # every other format takes a record with no answer too
        central.export(FORM_ID, fmt, tmp_path / f"visit.{'zip' if fmt == 'parquet' else fmt}")
    for path in (f"/data/{FORM_ID}", f"/data/record/{record_uuid}"):
        shown = admin.get(path)
        assert shown.status_code == 200 and row["started_at"][:10] in shown.text, path
    codebook = admin.get(f"/data/{FORM_ID}/codebook.csv?release=raw").text
    assert "\nstart,Date started," in codebook and "\naudit_section_1," in codebook, codebook
