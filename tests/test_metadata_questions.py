"""Metadata questions (start, end, today, deviceid, username): the hub records them with
every record of a form that asks for them, and they leave anonymized by rule: times as the
day, the hub as the code the central server gave it, the enumerator as a pseudonym, or not
at all when the form's privacy column says drop. A real hub and a real server on loopback.
"""

from __future__ import annotations

import csv
import html
import io
import json
import re
import socket
import zipfile
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner
from pyxform.xls2xform import convert as pyxform_convert

from collector import keyfile
from collector.anonymizer import anonymize, pseudonym, weaker_fields
from collector.db import open_database
from collector.form_library import (
    FormRefused,
    import_form,
    import_server_form,
    refused_forms,
)
from collector.forms import load_form
from collector.passwords import hash_secret
from collector.sync_client import SyncClient, enroll
from collector.xlsform import read_xlsform, to_xlsform
from filling import post_page
from support import (
    PIN,
    TEST_PSEUDONYM_KEY,
    Browser,
    database_bytes,
    import_forms,
    query,
    sync_once,
)
from sync_server import disclosure
from sync_server.cli import cli as server_cli
from sync_server.forms import publish
from sync_server.ingest import check_record
from sync_server.store import Store
from workbooks import write_workbook

SERVER_ENGINES = ("sqlite",)  # the subject is what the hub sends and the exports show
FORM_ID = "site_visit_meta"
ENUMERATOR = "zawadi_kiprotich"
PASSWORD = "a long enough passphrase"  # a login name to look for in the server's bytes
SURVEY = [
    ["type", "name", "label", "privacy"],
    ["start", "start", None, None],
    ["end", "end", None, None],
    ["today", "today", None, None],
    ["deviceid", "deviceid", None, None],
    ["username", "username", None, None],
    ["text", "place", "Place", None],
]
SETTINGS = [["form_id", "version"], [FORM_ID, "1"]]
METADATA = [
    {"name": "start", "type": "start"},
    {"name": "end", "type": "end"},
    {"name": "today", "type": "today"},
    {"name": "deviceid", "type": "deviceid"},
    {"name": "username", "type": "username"},
]
NAMES = [item["name"] for item in METADATA]


def workbook(tmp_path: Path, survey=SURVEY) -> Path:
    return write_workbook(tmp_path / "visit.xlsx", survey, settings=SETTINGS)


def definition(metadata=METADATA, form_id=FORM_ID) -> dict:
    return {
        "form_id": form_id,
        "version": "1",
        "title": {"en": "Site visit"},
        "metadata": metadata,
        "sections": [
            {
                "name": "main",
                "label": {"en": "Main"},
                "questions": [{"name": "place", "type": "text", "label": {"en": "Place"}}],
            }
        ],
    }


def record(form, started="2026-03-31T23:50:07Z", finalized="2026-04-01T00:10:41Z") -> dict:
    return {
        "uuid": "0b6f3a52-8a8e-4a38-9d51-1f6f0d1f2c11",
        "revision": 1,
        "form_id": form.form_id,
        "form_version": form.version,
        "locale": "en",
        "started_at": started,
        "finalized_at": finalized,
        "enumerator": ENUMERATOR,
        "answers": {"place": "Gate"},
    }


# -- The XLSForm ------------------------------------------------------------------------


def test_metadata_rows_import_with_their_rules_and_go_back_out(tmp_path):
    survey = [
        *SURVEY,
        ["username", "taken_by", None, "drop"],
        ["end", "ended", None, "generalize:month"],
    ]
    imported = read_xlsform(workbook(tmp_path, survey))
    assert imported.ok, imported.errors
    expected = [
        *METADATA,
        {"name": "taken_by", "type": "username", "privacy": "drop"},
        {"name": "ended", "type": "end", "privacy": "generalize:month"},
    ]
    assert imported.definition["metadata"] == expected
    out = tmp_path / "back.xlsx"
    to_xlsform(imported.form, out)
    again = read_xlsform(out)
    assert again.ok and again.definition["metadata"] == expected
    # Other tools read them as metadata again: each is preloaded, not asked.
    xform = pyxform_convert(xlsform=str(out)).xform
    for name in NAMES:
        assert re.search(
            rf'<bind nodeset="/data/{name}" jr:preload="[a-z]+"[^>]*'
            rf'jr:preloadParams="{name}"',
            xform,
        ), name


def test_a_metadata_row_refuses_a_rule_that_would_send_the_time(tmp_path):
    survey = [SURVEY[0], ["start", "start", None, "keep"], ["deviceid", "dev", None, "scrub"]]
    result = read_xlsform(workbook(tmp_path, [*survey, ["text", "place", "Place", None]]))
    assert not result.ok
    messages = [str(error) for error in result.errors]
    assert any(
        "row 2" in m and "privacy" in m and "'keep' is not a privacy rule for start" in m
        for m in messages
    ), messages
    assert any("row 3" in m and "'scrub' is not a privacy rule for deviceid" in m for m in messages)


# -- What leaves the laptop --------------------------------------------------------------


def test_each_metadata_value_leaves_by_its_rule():
    form = load_form(definition())
    sent = anonymize(record(form), form, TEST_PSEUDONYM_KEY, device_id="dev-7f3a")
    answers = sent["answers"]
    # Started before midnight, finalized after: each its own day, no time of day.
    assert answers["start"] == answers["today"] == "2026-03-31"
    assert answers["end"] == "2026-04-01" == sent["collected"]
    assert answers["deviceid"] == "dev-7f3a"
    # The enumerator's pseudonym, the same as the record's own: one person, one code.
    assert answers["username"] == sent["enumerator"]
    assert answers["username"] == pseudonym("enumerator", ENUMERATOR, TEST_PSEUDONYM_KEY)
    assert ENUMERATOR not in json.dumps(sent)
    assert answers["place"] == "Gate"
    # Before enrollment the hub has no code on the server: nothing is sent for it.
    assert "deviceid" not in anonymize(record(form), form, TEST_PSEUDONYM_KEY)["answers"]


def test_drop_or_a_coarser_day_on_a_metadata_row():
    dropped = load_form(definition([dict(item, privacy="drop") for item in METADATA]))
    answers = anonymize(record(dropped), dropped, TEST_PSEUDONYM_KEY, device_id="d")["answers"]
    assert answers == {"place": "Gate"}
    coarse = load_form(
        definition(
            [
                {"name": "start", "type": "start", "privacy": "generalize:month"},
                {"name": "end", "type": "end", "privacy": "generalize:year"},
            ]
        )
    )
    answers = anonymize(record(coarse), coarse, TEST_PSEUDONYM_KEY)["answers"]
    assert (answers["start"], answers["end"]) == ("2026-03", "2026")


def test_who_took_a_discrimination_report_is_not_sent_by_default():
    report = load_form(definition(form_id="discrimination_report"))
    answers = anonymize(record(report), report, TEST_PSEUDONYM_KEY, device_id="d")["answers"]
    assert "username" not in answers and answers["start"] == "2026-03-31"


def test_a_metadata_rule_made_weaker_is_reported_like_a_question():
    old = load_form(definition([{"name": "user", "type": "username", "privacy": "drop"}]))
    new = load_form(definition([{"name": "user", "type": "username"}]))
    assert weaker_fields(old, new) == ["user"]
    assert weaker_fields(new, old) == []
    day = load_form(definition([{"name": "start", "type": "start"}]))
    month = load_form(
        definition([{"name": "start", "type": "start", "privacy": "generalize:month"}])
    )
    assert weaker_fields(day, month) == [] and weaker_fields(month, day) == ["start"]


def test_a_hub_refuses_a_server_version_that_sends_the_enumerator(tmp_path):
    db = open_database(tmp_path / "hub.db")
    try:
        dropped = [{"name": "user", "type": "username", "privacy": "drop"}]
        import_form(db, load_form(definition(dropped)), "test")
        newer = load_form(dict(definition([{"name": "user", "type": "username"}]), version="2"))
        with pytest.raises(FormRefused, match="user"):
            import_server_form(db, {}, newer)
        [refusal] = refused_forms(db)
    finally:
        db.close()
    assert refusal["changes"] == [["user", "drop", "pseudonymize"]]


def test_the_server_takes_the_metadata_names_its_form_declares_and_no_others():
    sent = {
        "uuid": "0b6f3a52-8a8e-4a38-9d51-1f6f0d1f2c11",
        "revision": 1,
        "form_id": FORM_ID,
        "form_version": "1",
        "answers": {"place": "Gate", "start": "2026-03-31", "username": "p_x"},
    }
    assert check_record(None, sent, load_form(definition())) is None
    plain = load_form(definition(metadata=[]))
    assert check_record(None, sent, plain) == (
        "unknown_field",
        "Not questions of this form: start, username.",
    )


def test_a_release_to_analysts_gives_months_and_no_device_or_enumerator():
    form = load_form(definition())
    rows = [
        {
            "uuid": f"r{i}",
            "revision": 1,
            "device_id": "dev-7f3a",
            "enumerator": "p_x",
            "collected": "2026-04-01",
            "received_at": "2026-04-02T08:00:00Z",
            "locale": "en",
            "answers": {
                "place": "Gate",
                "start": "2026-04-01",
                "end": "2026-04-01",
                "today": "2026-04-01",
                "deviceid": "dev-7f3a",
                "username": "p_x",
            },
        }
        for i in range(6)
    ]
    plan = disclosure.make_plan([form], lambda: iter(rows), k=3, l=1)
    released = list(plan.release().rows(rows))
    assert len(released) == 6
    for row in released:
        assert "deviceid" not in row["answers"] and "username" not in row["answers"]
        assert row["answers"].get("start") in ("2026-04", "2026-Q2", "2026", None)
    assert {"deviceid", "username"} <= set(plan.report["not_released"])


# -- A real hub and a real server ----------------------------------------------------------


def test_metadata_reach_the_server_as_days_and_pseudonyms(tmp_path, hub, central):
    form = read_xlsform(workbook(tmp_path)).form
    db_path = Path(hub.app.config["DATABASE"])
    data_dir = Path(hub.app.config["DATA_DIR"])
    import_forms(db_path, form.data)
    store = Store(central.database)
    publish(store, json.dumps(form.data), "admin")
    for role in ("admin", "analyst"):
        store.add_user(f"{role}1", role, hash_secret(PASSWORD))
    store.close()
    hub.add_enumerator(ENUMERATOR, PIN)
    phone = hub.browser("en")
    phone.signin(ENUMERATOR, PIN)
    page = phone.get(f"/forms/{FORM_ID}")
    review = post_page(phone, page, FORM_ID, {"place": "Gate"})
    assert "/review" in review.url, review.text[:1000]
    record_uuid = review.url.split("/")[4]
    done = phone.post(f"/records/{record_uuid}/finalize", {})
    assert done.status_code == 200
    [row] = query(db_path, "SELECT started_at, finalized_at FROM records")
    # What would leave, shown to the enumerator before it does: days only.
    preview = html.unescape(phone.get(f"/sync/preview/{record_uuid}").text)
    assert f'"start": "{row["started_at"][:10]}"' in preview
    assert f'"end": "{row["finalized_at"][:10]}"' in preview and ENUMERATOR not in preview
    report, device_id = sync_once(db_path, data_dir, central)
    assert report.reconcile["agree"]
    [stored] = query(central.database, "SELECT answers FROM records")
    answers = json.loads(stored["answers"])
    assert answers["start"] == answers["today"] == row["started_at"][:10]
    assert answers["end"] == row["finalized_at"][:10]
    assert answers["deviceid"] == device_id
    # Keyed with the project's key, as every pseudonym the hub makes (keyfile.hmac_key).
    key = keyfile.hmac_key(TEST_PSEUDONYM_KEY)
    assert answers["username"] == pseudonym("enumerator", ENUMERATOR, key)
    everything = database_bytes(central.database)
    assert ENUMERATOR.encode() not in everything
    # The laptop's own name never travels either (searched when long enough to mean
    # something: a machine called "vm" matches any database's bytes by chance).
    host = socket.gethostname().encode()
    assert len(host) < 6 or host not in everything
    # The CSV: a column per metadata name after the answers, the day with no time.
    csv_path = tmp_path / "visit.csv"
    central.export(FORM_ID, "csv", csv_path)
    [header, values] = list(csv.reader(io.StringIO(csv_path.read_text("utf-8-sig"))))
    assert header[header.index("place") :] == ["place", *NAMES]
    cells = dict(zip(header, values, strict=True))
    assert cells["start"] == row["started_at"][:10] and cells["end"] == row["finalized_at"][:10]
    assert cells["deviceid"] == device_id and cells["username"] == answers["username"]
    # Typed formats: the days are dates, the codes text.
    zip_path = tmp_path / "visit.zip"
    central.export(FORM_ID, "parquet", zip_path)
    with zipfile.ZipFile(zip_path) as archive:
        table = pq.read_table(io.BytesIO(archive.read(f"{FORM_ID}.parquet")))
    schema = table.schema
    assert schema.field("start").type == pa.date32() == schema.field("end").type
    assert schema.field("username").type == pa.string()
    assert json.loads(schema.field("start").metadata[b"labels"])["en"] == "Date started"
    # The record page lists them.
    page = central.signed_in("admin1", PASSWORD).get(f"/data/record/{record_uuid}").text
    assert "Date started" in page and "Enumerator (pseudonym)" in page
    assert answers["username"] in page
    # An analyst cannot single out a hub or an enumerator by filtering on their codes.
    analyst = central.signed_in("analyst1", PASSWORD)
    for name, value in (("deviceid", device_id), ("username", answers["username"])):
        table = analyst.get(f"/data/{FORM_ID}", params={f"q_{name}": value})
        assert value not in table.text and "to filter by" in html.unescape(table.text)
        exported = analyst.get(f"/data/{FORM_ID}/export.csv", params={f"q_{name}": value})
        assert exported.status_code == 400 and "cannot be sorted or filtered" in exported.text
