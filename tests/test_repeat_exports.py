"""Repeats on the server: ingest checks each instance; exports count instances in the main
table and give each repeat a long table (one row per instance) in every format."""

from __future__ import annotations

import copy
import csv
import io
import json
import math
import uuid

import openpyxl
import pandas as pd
import pyreadstat
import pytest
from click.testing import CliRunner

from collector.forms import MAX_INSTANCES, load_form
from support import database_bytes, query
from sync_server.cli import cli as server_cli
from sync_server.data import form_history
from sync_server.exports import FORMATS, ExportError, columns_for, export
from sync_server.forms import publish
from sync_server.store import Store
from test_sync_api import batch, device, push  # noqa: F401  (device is a fixture)
from test_workspace import signed_in, team  # noqa: F401  (team is a fixture)

# About the layout of repeats in each export format, not the server's storage: SQLite only
# (tests/conftest.py runs the others on PostgreSQL too).
SERVER_ENGINES = ("sqlite",)

FORM_ID = "household_roster"
VERSION_1 = {
    "form_id": FORM_ID,
    "version": "1",
    "title": {"en": "Household roster", "fr": "Composition du ménage"},
    "choices": {
        "sex": [
            {"name": "f", "label": {"en": "Female", "fr": "Femme"}},
            {"name": "m", "label": {"en": "Male", "fr": "Homme"}},
        ],
        "activity": [
            {"name": "farming", "label": {"en": "Farming", "fr": "Agriculture"}},
            {"name": "school", "label": {"en": "School", "fr": "École"}},
            {"name": "trade", "label": {"en": "Trade", "fr": "Commerce"}},
        ],
    },
    "sections": [
        {
            "name": "household",
            "label": {"en": "Household"},
            "questions": [
                {
                    "name": "household_size",
                    "type": "integer",
                    "privacy": "keep",
                    "label": {"en": "People in the household", "fr": "Personnes dans le ménage"},
                },
                {"name": "village", "type": "text", "privacy": "keep", "label": {"en": "Village"}},
            ],
        },
        {
            "name": "members",
            "label": {"en": "Household members", "fr": "Membres du ménage"},
            "repeat": True,
            "repeat_count": "${household_size}",
            "questions": [
                # Identifying and dropped on the laptop: never a column, refused if sent.
                {
                    "name": "member_name",
                    "type": "text",
                    "identifying": True,
                    "label": {"en": "Name"},
                },
                {
                    "name": "member_code",
                    "type": "text",
                    "identifying": True,
                    "privacy": "pseudonymize",
                    "label": {"en": "Member code"},
                },
                {
                    "name": "member_age",
                    "type": "integer",
                    "privacy": "keep",
                    "label": {"en": "Age", "fr": "Âge"},
                },
                {
                    "name": "member_sex",
                    "type": "select_one",
                    "choices": "sex",
                    "privacy": "keep",
                    "label": {"en": "Sex", "fr": "Sexe"},
                },
                {"name": "member_intro", "type": "note", "label": {"en": "Ask about each person"}},
            ],
        },
        {
            "name": "visits",
            "label": {"en": "Visits"},
            "repeat": True,
            "questions": [
                {"name": "visit_note", "type": "text", "privacy": "keep", "label": {"en": "Note"}},
            ],
        },
        {
            "name": "closing",
            "label": {"en": "Closing"},
            "questions": [
                {"name": "comments", "type": "text", "label": {"en": "Comments"}},
            ],
        },
    ],
}
# Version 2: the members repeat gains a select_multiple question.
VERSION_2 = copy.deepcopy(VERSION_1)
VERSION_2["version"] = "2"
VERSION_2["sections"][1]["questions"].append(
    {
        "name": "member_activities",
        "type": "select_multiple",
        "choices": "activity",
        "privacy": "keep",
        "label": {"en": "Activities", "fr": "Activités"},
    }
)

MAIN_META = [
    "_uuid",
    "_form_id",
    "_form_version",
    "_revision",
    "_device",
    "_collected_at",
    "_received_at",
    "_locale",
]
MAIN_COLUMNS = MAIN_META + ["household_size", "village", "members", "visits", "comments"]
REPEAT_META = ["_parent_uuid", "_form_version", "_revision", "_index"]
MEMBER_COLUMNS = REPEAT_META + [
    "member_code",
    "member_age",
    "member_sex",
    "member_activities",
    "member_activities/farming",
    "member_activities/school",
    "member_activities/trade",
]
REPEATED = {
    "member_name",
    "member_code",
    "member_age",
    "member_sex",
    "member_intro",
    "member_activities",
    "visit_note",
}


def roster(version="1", revision=1, record_uuid=None, **answers):
    return {
        "uuid": record_uuid or str(uuid.uuid4()),
        "revision": revision,
        "form_id": FORM_ID,
        "form_version": version,
        "locale": "en",
        "collected": "2026-11-20",
        "enumerator": None,
        "answers": answers,
    }


def stored_uuids(central) -> set[str]:
    return {r["uuid"] for r in query(central.database, "SELECT uuid FROM records")}


def publish_both(central) -> None:
    store = Store(central.database)
    try:
        publish(store, json.dumps(VERSION_1), "admin")
        publish(store, json.dumps(VERSION_2), "admin")
    finally:
        store.close()


def test_the_form_loads_with_its_repeats():
    form = load_form(VERSION_2)
    assert set(form.repeats) == {"members", "visits"}
    assert [q.name for q in form.repeats["members"]][-1] == "member_activities"
    assert "member_age" in form.questions and "member_age" not in form.top_questions


# -- Ingest ----------------------------------------------------------------------------


def test_ingest_accepts_good_repeats(central, device):
    publish_both(central)
    records = [
        roster(
            household_size=2,
            members=[
                {"member_code": "p_1", "member_age": 30, "member_sex": "f"},
                {"member_age": 7},
            ],
        ),
        roster(household_size=1, members=[{}]),  # every field of the instance was dropped
        roster(household_size=0, members=[]),
        roster(household_size=4),  # no instances stored at all
        roster(
            "2",
            household_size=1,
            visits=[{"visit_note": "first"}],
            members=[{"member_age": 50, "member_activities": ["trade"]}],
        ),
        roster(
            household_size=MAX_INSTANCES, members=[{"member_age": n} for n in range(MAX_INSTANCES)]
        ),
    ]
    response = push(central, device["device_token"], batch(*records))
    assert response.status_code == 200, response.text
    assert [r["status"] for r in response.json()["results"]] == ["stored"] * len(records)
    assert stored_uuids(central) == {r["uuid"] for r in records}
    [row] = query(
        central.database, "SELECT answers FROM records WHERE uuid = ?", [records[0]["uuid"]]
    )
    assert json.loads(row["answers"])["members"] == records[0]["answers"]["members"]


BAD_SHAPES = [
    ({"members": "two people"}, "invalid_repeat", "members"),
    ({"members": {"member_age": 3}}, "invalid_repeat", "members"),
    ({"members": [{"member_age": 3}, 4]}, "invalid_repeat", "members"),
    ({"members": [[{"member_age": 3}]]}, "invalid_repeat", "members"),
    ({"members": None}, "invalid_repeat", "members"),
    ({"members": [{"member_age": 1}] * (MAX_INSTANCES + 1)}, "invalid_repeat", str(MAX_INSTANCES)),
    ({"members": [{"member_age": 3, "not_a_question": 1}]}, "unknown_field", "not_a_question"),
    ({"members": [{"member_age": 3, "village": "Kibera"}]}, "unknown_field", "village"),
    ({"members": [{"member_age": 3}, {"visit_note": "x"}]}, "unknown_field", "visit_note"),
    ({"visits": [{"member_age": 3}]}, "unknown_field", "member_age"),
    ({"member_age": 3}, "unknown_field", "repeat members"),  # beside the instances, not in one
    (
        {"members": [{"member_age": 40}, {"member_name": "Amina Yusuf"}]},
        "identifying_field",
        "member_name",
    ),
]


@pytest.mark.parametrize("answers,code,named", BAD_SHAPES)
def test_ingest_rejects_a_bad_repeat_and_stores_the_others(central, device, answers, code, named):
    publish_both(central)
    good = roster(household_size=1, members=[{"member_age": 33}])
    bad = roster(household_size=1, **answers)
    also_good = roster("2", household_size=0)
    response = push(central, device["device_token"], batch(good, bad, also_good))
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["stored", "rejected", "stored"]
    assert results[1]["code"] == code and named in results[1]["message"]
    assert stored_uuids(central) == {good["uuid"], also_good["uuid"]}
    [audit] = query(
        central.database, "SELECT uuid, detail FROM audit WHERE action = ?", ["record_rejected"]
    )
    assert audit == {"uuid": bad["uuid"], "detail": code}


def test_an_identifying_field_in_an_instance_never_reaches_the_database(central, device):
    publish_both(central)
    leaky = roster(members=[{"member_age": 40, "member_name": "Amina Yusuf"}])
    response = push(central, device["device_token"], batch(leaky))
    assert response.status_code == 422  # the only record was rejected
    assert response.json()["results"][0]["code"] == "identifying_field"
    assert stored_uuids(central) == set()
    assert b"Amina Yusuf" not in database_bytes(central.database)


# -- Exports ---------------------------------------------------------------------------


@pytest.fixture
def roster_records(central, device):
    """Records of both versions pushed to a real server; the latest revision of each."""
    publish_both(central)
    first = roster(
        household_size=2,
        village="Kibera",
        members=[
            {"member_code": "p_a", "member_age": 30, "member_sex": "f"},
            {"member_age": 7, "member_sex": "m"},
        ],
        visits=[{"visit_note": "first visit"}],
    )
    records = [
        first,
        roster(household_size=1, members=[{}], comments="[name] was away"),
        roster(
            "2",
            household_size=3,
            village="Nyeri",
            members=[
                {
                    "member_code": "p_b",
                    "member_age": 41,
                    "member_sex": "m",
                    "member_activities": ["farming", "trade"],
                },
                {"member_age": 12, "member_sex": "f", "member_activities": ["school"]},
                {"member_age": 2, "member_activities": []},
            ],
        ),
        roster("2", household_size=0, comments="nobody home"),
    ]
    assert push(central, device["device_token"], batch(*records)).status_code == 200
    # A second revision of the first record: one member's age corrected, a member added.
    revised = roster(
        revision=2,
        record_uuid=first["uuid"],
        household_size=3,
        village="Kibera",
        members=[
            {"member_code": "p_a", "member_age": 31, "member_sex": "f"},
            {"member_age": 7, "member_sex": "m"},
            {"member_age": 70, "member_sex": "f"},
        ],
        visits=[{"visit_note": "first visit"}],
    )
    assert push(central, device["device_token"], batch(revised)).status_code == 200
    return [revised] + records[1:]


def exported(central, fmt, repeat=None, lang="en") -> tuple[bytes, int]:
    store = Store(central.database)
    try:
        out = io.BytesIO()
        count = export(
            store.iter_latest(FORM_ID), form_history(FORM_ID, store), fmt, out, lang, repeat=repeat
        )
        return out.getvalue(), count
    finally:
        store.close()


def member_rows(records) -> list[dict]:
    """The members table as the docs describe it, built from what was pushed."""
    rows = []
    for record in records:
        for index, member in enumerate(record["answers"].get("members", []), 1):
            activities = member.get("member_activities")
            row = {
                "_parent_uuid": record["uuid"],
                "_form_version": record["form_version"],
                "_revision": record["revision"],
                "_index": index,
                "member_code": member.get("member_code"),
                "member_age": member.get("member_age"),
                "member_sex": member.get("member_sex"),
                "member_activities": None if activities is None else " ".join(activities),
            }
            for choice in ("farming", "school", "trade"):
                row[f"member_activities/{choice}"] = (
                    None if activities is None else int(choice in activities)
                )
            rows.append(row)
    return rows


def by_instance(rows: list[dict]) -> dict:
    return {(row["_parent_uuid"], int(float(row["_index"]))): row for row in rows}


def as_text(value) -> str:
    return "" if value is None else str(value)


def same(got, want) -> bool:
    """A cell read back by pandas/pyreadstat/openpyxl equals the stored value."""
    if want is None or want == "":
        return got is None or got == "" or (isinstance(got, float) and math.isnan(got))
    if isinstance(want, (int, float)):
        return float(got) == float(want)
    return got == want


def test_the_main_table_counts_instances_and_has_no_repeated_columns(central, roster_records):
    data, count = exported(central, "csv")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert count == len(rows) == len(roster_records)
    assert list(rows[0]) == MAIN_COLUMNS
    assert not REPEATED & set(rows[0]) and not any("/" in name for name in rows[0])
    got = {row["_uuid"]: (row["members"], row["visits"], row["_revision"]) for row in rows}
    assert got == {
        roster_records[0]["uuid"]: ("3", "1", "2"),
        roster_records[1]["uuid"]: ("1", "", "1"),
        roster_records[2]["uuid"]: ("3", "", "1"),
        roster_records[3]["uuid"]: ("", "", "1"),  # no members stored: missing, not 0
    }
    lines = exported(central, "jsonl")[0].decode("utf-8").splitlines()
    counts = {item["_uuid"]: item["members"] for item in map(json.loads, lines)}
    assert counts[roster_records[0]["uuid"]] == 3 and counts[roster_records[3]["uuid"]] is None


def test_the_count_column_is_labelled_like_its_section(central, roster_records, tmp_path):
    data, _ = exported(central, "dta", lang="fr")
    path = tmp_path / "main.dta"
    path.write_bytes(data)
    frame, meta = pyreadstat.read_dta(str(path))
    assert meta.column_names_to_labels["members"] == "Membres du ménage"
    assert meta.column_names_to_labels["visits"] == "Visits"
    assert pd.api.types.is_numeric_dtype(frame["members"])
    assert sorted(frame["members"].fillna(-1).tolist()) == [-1, 1, 3, 3]


def test_repeat_csv_has_one_row_per_instance(central, roster_records):
    data, count = exported(central, "csv", "members")
    assert data.startswith("\ufeff".encode("utf-8"))
    lines = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert lines[0] == MEMBER_COLUMNS
    want = member_rows(roster_records)
    assert count == len(lines) - 1 == len(want) == 3 + 1 + 3
    got = by_instance([dict(zip(lines[0], line, strict=True)) for line in lines[1:]])
    assert set(got) == set(by_instance(want))
    for key, row in by_instance(want).items():
        assert got[key] == {name: as_text(value) for name, value in row.items()}, key
    # The old revision's instances are gone; the new one's are there.
    assert got[(roster_records[0]["uuid"], 1)]["member_age"] == "31"
    assert got[(roster_records[0]["uuid"], 3)]["_revision"] == "2"
    # An empty instance is a row of its own, every answer empty.
    empty = got[(roster_records[1]["uuid"], 1)]
    assert [empty[name] for name in MEMBER_COLUMNS[4:]] == [""] * 7
    # Instances of one record come in order.
    indexes = [line[3] for line in lines[1:] if line[0] == roster_records[2]["uuid"]]
    assert indexes == ["1", "2", "3"]
    frame = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert list(frame.columns) == MEMBER_COLUMNS and len(frame) == len(want)


def test_repeat_xlsx_round_trips(central, roster_records):
    data, count = exported(central, "xlsx", "members", lang="fr")
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
    table = [list(r) for r in book["data"].iter_rows(values_only=True)]
    assert table[0] == MEMBER_COLUMNS and count == len(table) - 1
    got = by_instance([dict(zip(table[0], row, strict=True)) for row in table[1:]])
    want = by_instance(member_rows(roster_records))
    assert set(got) == set(want)
    for key, row in want.items():
        assert all(same(got[key][name], value) for name, value in row.items()), key
    labels = {row[0]: row[1] for row in list(book["variables"].iter_rows(values_only=True))[1:]}
    assert labels["member_age"] == "Âge" and labels["_parent_uuid"] == "Record UUID"
    assert labels["member_activities/school"] == "Activités: École"


def test_repeat_jsonl_round_trips(central, roster_records):
    data, count = exported(central, "jsonl", "members")
    items = [json.loads(line) for line in data.decode("utf-8").splitlines()]
    assert count == len(items)
    assert all(list(item) == MEMBER_COLUMNS for item in items)
    assert by_instance(items) == by_instance(member_rows(roster_records))
    assert all(type(item["_index"]) is int for item in items)


@pytest.mark.parametrize("fmt", ["dta", "sav"])
def test_repeat_stats_formats_round_trip(central, roster_records, fmt, tmp_path):
    data, count = exported(central, fmt, "members", lang="fr")
    path = tmp_path / f"members.{fmt}"
    path.write_bytes(data)
    frame, meta = (pyreadstat.read_dta if fmt == "dta" else pyreadstat.read_sav)(str(path))
    assert list(frame.columns) == [
        "meta_parent_uuid",
        "meta_form_version",
        "meta_revision",
        "meta_index",
        "member_code",
        "member_age",
        "member_sex",
        "member_activities",
        "member_activities_farming",
        "member_activities_school",
        "member_activities_trade",
    ]
    assert count == len(frame) == len(member_rows(roster_records))
    assert meta.variable_value_labels["member_sex"] == {1: "Femme", 2: "Homme"}
    assert meta.column_names_to_labels["member_age"] == "Âge"
    codes = {"f": 1, "m": 2}
    records = {(r["_parent_uuid"], r["_index"]): r for r in member_rows(roster_records)}
    for _, got in frame.iterrows():
        want = records[(got["meta_parent_uuid"], int(got["meta_index"]))]
        assert same(got["meta_revision"], want["_revision"])
        assert same(got["meta_form_version"], want["_form_version"])
        assert same(got["member_age"], want["member_age"])
        assert same(got["member_sex"], codes.get(want["member_sex"]))
        assert same(got["member_code"], want["member_code"])
        assert same(got["member_activities"], want["member_activities"])
        for choice in ("farming", "school", "trade"):
            assert same(got[f"member_activities_{choice}"], want[f"member_activities/{choice}"]), (
                choice
            )
    assert pd.api.types.is_numeric_dtype(frame["member_age"])
    # pandas reads the same file (an independent reader of Stata's format).
    if fmt == "dta":
        assert len(pd.read_stata(path, convert_categoricals=False)) == count


def test_the_other_repeat_has_its_own_table(central, roster_records):
    data, count = exported(central, "csv", "visits")
    lines = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert lines == [
        REPEAT_META + ["visit_note"],
        [roster_records[0]["uuid"], "1", "2", "1", "first visit"],
    ]
    assert count == 1


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_writes_a_repeat_table_without_instances(fmt):
    out = io.BytesIO()
    rows = [{"uuid": "u", "revision": 1, "form_version": "1", "answers": {"household_size": 0}}]
    assert export(iter(rows), [load_form(VERSION_1)], fmt, out, repeat="visits") == 0
    assert out.getvalue() or fmt == "jsonl"


def test_two_versions_make_one_repeat_table_with_the_union_of_questions():
    version_1, version_2 = load_form(VERSION_1), load_form(VERSION_2)
    assert [c.name for c in columns_for([version_1], "members")] == MEMBER_COLUMNS[:7]
    assert [c.name for c in columns_for([version_1, version_2], "members")] == MEMBER_COLUMNS
    assert [c.name for c in columns_for([version_1, version_2])] == MAIN_COLUMNS


def test_the_existing_signature_still_exports_the_main_table():
    out = io.BytesIO()
    rows = [
        {
            "uuid": "u",
            "revision": 1,
            "form_id": FORM_ID,
            "form_version": "1",
            "answers": {"household_size": 1, "members": [{"member_age": 3}]},
        }
    ]
    assert export(iter(rows), [load_form(VERSION_1)], "csv", out, "en") == 1
    header, line = out.getvalue().decode("utf-8-sig").splitlines()
    assert header.split(",") == MAIN_COLUMNS
    assert dict(zip(MAIN_COLUMNS, line.split(","), strict=True))["members"] == "1"


def test_an_unknown_repeat_is_a_clear_error():
    forms = [load_form(VERSION_1)]
    with pytest.raises(ExportError, match="no repeat 'member_age'.*members, visits"):
        export(iter([]), forms, "csv", io.BytesIO(), repeat="member_age")
    plain = copy.deepcopy(VERSION_1)
    plain["sections"] = [plain["sections"][0]]
    with pytest.raises(ExportError, match="has no repeats"):
        columns_for([load_form(plain)], "members")


# -- CLI and web -----------------------------------------------------------------------


def test_cli_exports_a_repeat_table(central, roster_records, tmp_path):
    out = tmp_path / "members.csv"
    data_dir = central.app.config["DATA_DIR"]
    result = CliRunner().invoke(
        server_cli,
        [
            "export",
            "--form",
            FORM_ID,
            "--format",
            "csv",
            "--output",
            str(out),
            "--repeat",
            "members",
            "--data-dir",
            data_dir,
            "--raw-records",
            "--reason",
            "roster check",
        ],
    )
    assert result.exit_code == 0, result.output
    want = member_rows(roster_records)
    assert f"Wrote {len(want)} instances of the repeat members" in result.output
    rows = list(csv.DictReader(io.StringIO(out.read_bytes().decode("utf-8-sig"), newline="")))
    assert list(rows[0]) == MEMBER_COLUMNS
    assert by_instance(rows) == {
        key: {name: as_text(value) for name, value in row.items()}
        for key, row in by_instance(want).items()
    }
    assert query(central.database, "SELECT detail FROM audit WHERE action = 'export'") == [
        {"detail": f"{FORM_ID} csv repeat members records as stored, reason: roster check"}
    ]

    bad = tmp_path / "nothing.csv"
    result = CliRunner().invoke(
        server_cli,
        [
            "export",
            "--form",
            FORM_ID,
            "--format",
            "csv",
            "--output",
            str(bad),
            "--repeat",
            "member_age",
            "--data-dir",
            data_dir,
        ],
    )
    assert result.exit_code != 0 and "no repeat 'member_age'" in result.output
    assert list(tmp_path.glob("*nothing*")) == []  # neither the file nor a partial one


def test_web_offers_and_serves_repeat_tables(team, device, roster_records):
    # A few households cannot pass the disclosure check: an admin takes them as stored.
    analyst = signed_in(team, "admin")
    page = analyst.get(f"/data/{FORM_ID}").text
    assert "Household members" in page and "_parent_uuid" in page
    for fmt in FORMATS:
        assert f"/data/{FORM_ID}/export.{fmt}?" in page
        assert any(
            f"/data/{FORM_ID}/export.{fmt}?" in link and "repeat=members" in link
            for link in page.split('href="')
        )
    response = analyst.get(
        f"/data/{FORM_ID}/export.csv?repeat=members&release=raw&reason=roster+check"
    )
    assert response.status_code == 200
    assert f"{FORM_ID}-members.csv" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"), newline="")))
    assert list(rows[0]) == MEMBER_COLUMNS
    assert set(by_instance(rows)) == set(by_instance(member_rows(roster_records)))
    main = analyst.get(f"/data/{FORM_ID}/export.csv?release=raw&reason=roster+check")
    assert list(csv.reader(io.StringIO(main.content.decode("utf-8-sig"))))[0] == MAIN_COLUMNS
    sav = analyst.get(f"/data/{FORM_ID}/export.sav?repeat=visits")
    assert sav.status_code == 200 and sav.content.startswith(b"$FL")
    assert analyst.get(f"/data/{FORM_ID}/export.csv?repeat=nope").status_code == 404
    viewer = signed_in(team, "viewer")
    assert viewer.get(f"/data/{FORM_ID}/export.csv?repeat=members").status_code == 403
    details = [
        r["detail"]
        for r in query(team.database, "SELECT detail FROM audit WHERE action = 'export'")
    ]
    stored = " records as stored, reason: roster check"
    assert f"{FORM_ID} csv repeat members{stored}" in details
    assert f"{FORM_ID} csv{stored}" in details


def test_an_analyst_corrects_an_answer_inside_an_instance(central, team, roster_records):
    from test_workspace import signed_in

    analyst = signed_in(team, "admin")  # three households: the release would leave them out
    record_uuid = roster_records[0]["uuid"]  # revision 2: three members
    page = analyst.get(f"/data/record/{record_uuid}").text
    assert "Household members (2) · Age" in page and 'value="members.2.member_age"' in page
    assert 'value="members.1.member_code"' not in page  # identifying: never corrected
    assert 'value="members.4.member_age"' not in page  # no fourth member
    page_token = page

    def correct(field, value):
        return analyst.post(
            f"/data/record/{record_uuid}/correct",
            {"field": field, "value": value},
            csrf_from=page_token,
        )

    before = query(
        central.database,
        "SELECT answers, answers_current FROM records WHERE uuid = ? AND is_latest = 1",
        [record_uuid],
    )
    for field in (
        "members.4.member_age",
        "members.2.member_name",
        "members.x.member_age",
        "nope.1.member_age",
        "member_age",
    ):
        assert "Choose a question of this form." in correct(field, "40").text
    assert (
        query(
            central.database,
            "SELECT answers, answers_current FROM records WHERE uuid = ? AND is_latest = 1",
            [record_uuid],
        )
        == before
    )
    response = correct("members.2.member_age", "8")
    assert "Correction saved." in response.text
    assert "Household members (2) · Age" in response.text
    [row] = query(
        central.database,
        "SELECT answers, answers_current FROM records WHERE uuid = ? AND is_latest = 1",
        [record_uuid],
    )
    assert json.loads(row["answers"])["members"][1]["member_age"] == 7  # as received
    assert json.loads(row["answers_current"])["members"][1]["member_age"] == 8
    rows = list(
        csv.DictReader(
            io.StringIO(
                analyst.get(
                    f"/data/{FORM_ID}/export.csv?repeat=members&release=raw&reason=roster+check"
                ).content.decode("utf-8-sig")
            )
        )
    )
    ages = {(r["_parent_uuid"], r["_index"]): r["member_age"] for r in rows}
    assert ages[(record_uuid, "2")] == "8" and ages[(record_uuid, "1")] == "31"
    [entry] = query(central.database, "SELECT detail FROM audit WHERE action = 'record_corrected'")
    assert entry["detail"] == "members.2.member_age: 7 -> 8"


def test_the_records_api_gives_a_repeats_rows_page_by_page(team, roster_records):
    import requests

    from test_workspace import api_token

    url, auth = f"{team.url}/api/v1/data/{FORM_ID}", ("admin1", api_token(team, "admin1"))
    raw = {"release": "raw", "reason": "roster check"}
    pulled, params = [], {"limit": 2, "repeat": "members", **raw}
    for _ in range(5):
        page = requests.get(url, params=params, auth=auth, timeout=10).json()
        assert page["repeat"] == "members" and page["count"] <= 2
        pulled += page["records"]
        if not page["next"]:
            break
        params["after"] = page["next"]
    assert set(pulled[0]) == set(MEMBER_COLUMNS)
    assert set(by_instance(pulled)) == set(by_instance(member_rows(roster_records)))
    records = requests.get(url, params=raw, auth=auth, timeout=10).json()["records"]
    assert {r["members"] for r in records} == {3, 1, None}  # the main rows: counts
    missing = requests.get(url, params={"repeat": "nope"}, auth=auth, timeout=10)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "unknown_repeat"


def test_a_correction_made_on_an_older_revision_is_refused(central, team, roster_records):
    from test_workspace import signed_in

    analyst = signed_in(team, "admin")
    record_uuid = roster_records[0]["uuid"]  # now at revision 2
    page = analyst.get(f"/data/record/{record_uuid}").text
    assert 'name="revision" value="2"' in page
    response = analyst.post(
        f"/data/record/{record_uuid}/correct",
        {"field": "members.2.member_age", "value": "9", "revision": "1"},
        csrf_from=page,
    )
    assert "received a new revision since you opened it" in response.text
    assert (
        query(
            central.database,
            "SELECT answers_current FROM records WHERE uuid = ? AND is_latest = 1",
            [record_uuid],
        )[0]["answers_current"]
        is None
    )


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/replies?after=" + "9" * 40,
        "/api/v1/replies?after=²",
        "/api/v1/reconcile/records?after_revision=" + "9" * 40,
    ],
)
def test_an_oversized_cursor_is_a_bad_request_not_a_crash(central, device, path):
    import requests

    from test_sync_api import HEADERS

    response = requests.get(
        central.url + path,
        timeout=10,
        headers=dict(HEADERS, Authorization=f"Bearer {device['device_token']}"),
    )
    assert response.status_code == 400 and response.json()["error"]["code"] == "invalid_message"
