"""Many laptops, two versions of a form: the merged export has every record once, the union
of the columns, and the corrected values with their audit entries."""

from __future__ import annotations

import csv
import io
import json

from click.testing import CliRunner

from collector.datadir import ensure_data_dir
from collector.db import open_database
from collector.form_library import form_version, import_form
from collector.forms import builtin_forms, load_form
from collector.records import finalize, new_uuid, save_answers
from collector.sync_client import SyncClient, enroll
from support import install_key, query
from sync_server.cli import cli as server_cli
from sync_server.store import Store

VERSION_1 = {
    "form_id": "water_point",
    "version": "1",
    "title": {"en": "Water point check"},
    "choices": {
        "state": [
            {"name": "working", "label": {"en": "Working"}},
            {"name": "broken", "label": {"en": "Broken"}},
        ]
    },
    "sections": [
        {
            "name": "main",
            "label": {"en": "Main"},
            "questions": [
                {
                    "name": "state",
                    "type": "select_one",
                    "choices": "state",
                    "label": {"en": "State"},
                    "privacy": "keep",
                },
                {
                    "name": "queue_minutes",
                    "type": "integer",
                    "label": {"en": "Minutes queued"},
                    "privacy": "keep",
                },
            ],
        }
    ],
}
# Version 2 drops queue_minutes and adds households_served.
VERSION_2 = json.loads(json.dumps(VERSION_1))
VERSION_2["version"] = "2"
VERSION_2["sections"][0]["questions"][1] = {
    "name": "households_served",
    "type": "integer",
    "label": {"en": "Households served"},
    "privacy": "keep",
}
DEVICES = 6


def laptop(tmp_path, number, central):
    data_dir = install_key(ensure_data_dir(tmp_path / f"laptop{number}"))
    db = open_database(data_dir / "collector.db")
    db.execute(
        "INSERT INTO users (name, pin_hash, created_at) VALUES (?, 'x', '2026-11-01')",
        [f"enumerator{number}"],
    )
    db.conn.commit()
    import_form(db, load_form(VERSION_1), "test")
    credentials = enroll(db, data_dir, central.url, central.enrollment_code(f"laptop {number}"))
    return db, SyncClient(db, credentials)


def record(db, form, answers, edit=None):
    record_uuid = new_uuid()
    save_answers(db, record_uuid, form, "en", 1, answers)
    finalize(db, record_uuid, form, answers)
    if edit:
        save_answers(db, record_uuid, form, "en", 1, edit)
        finalize(db, record_uuid, form, edit)
    return record_uuid


def test_many_laptops_two_versions_one_merged_export(central, tmp_path):
    store = Store(central.database)
    from sync_server.forms import publish

    publish(store, json.dumps(VERSION_1), "admin")
    laptops = [laptop(tmp_path, n, central) for n in range(DEVICES)]
    expected = {}
    for number, (db, client) in enumerate(laptops[:3]):
        form = form_version(db, builtin_forms(), "water_point", "1")
        for i in range(4):
            answers = {"state": "working", "queue_minutes": 10 * number + i}
            edit = {"state": "broken", "queue_minutes": 99} if i == 0 else None
            expected[record(db, form, answers, edit)] = edit or answers
        client.sync()
    publish(store, json.dumps(VERSION_2), "admin")
    for number, (db, client) in enumerate(laptops[3:], start=3):
        client.sync()  # pulls version 2
        form = form_version(db, builtin_forms(), "water_point", "2")
        assert form is not None
        for i in range(4):
            answers = {"state": "broken", "households_served": 100 * number + i}
            expected[record(db, form, answers)] = answers
        client.sync()
        client.sync()  # a second sync sends nothing twice
    store.close()

    assert query(central.database, "SELECT count(*) AS n FROM records")[0]["n"] == 24 + 3
    some_uuid = next(iter(expected))
    analyst_fix = CliRunner()  # a correction, as the records page makes it
    fixer = Store(central.database)
    fixer.correct(some_uuid, "state", "working", "analyst1")
    fixer.close()
    expected[some_uuid] = dict(expected[some_uuid], state="working")

    out = tmp_path / "water.csv"
    result = analyst_fix.invoke(
        server_cli,
        [
            "export",
            "--form",
            "water_point",
            "--format",
            "csv",
            "--output",
            str(out),
            "--data-dir",
            central.app.config["DATA_DIR"],
        ],
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(out.read_bytes().decode("utf-8-sig"))))
    assert len(rows) == len(expected) == 24
    assert sorted(r["_uuid"] for r in rows) == sorted(expected)
    header = list(rows[0])
    assert "queue_minutes" in header and "households_served" in header  # the union
    assert header.index("households_served") < header.index("queue_minutes")
    for row in rows:
        answers = expected[row["_uuid"]]
        assert row["state"] == answers["state"]
        assert row["queue_minutes"] == str(answers.get("queue_minutes", ""))
        assert row["households_served"] == str(answers.get("households_served", ""))
        assert row["_revision"] == ("2" if answers.get("queue_minutes") == 99 else "1")
    [audit] = query(
        central.database, "SELECT actor, detail FROM audit WHERE action = 'record_corrected'"
    )
    assert audit["actor"] == "analyst1" and '"working"' in audit["detail"]
    [correction] = query(central.database, "SELECT uuid, field, new_value FROM corrections")
    assert correction == {"uuid": some_uuid, "field": "state", "new_value": '"working"'}
    versions = {r["_form_version"] for r in rows}
    assert versions == {"1", "2"}
    for db, _client in laptops:
        db.close()
