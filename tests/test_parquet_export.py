"""Parquet exports on a served central server: a ZIP of one Parquet file per table, read
back by pyarrow, pandas and DuckDB and compared with the CSV export of the same records;
typed columns, labels in the metadata, repeats linked by key, the release for analysts,
nothing for viewers, a reason for an admin's raw records."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
import uuid
import zipfile

import duckdb
import pandas
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from collector.forms import load_form
from collector.passwords import hash_secret
from support import Central, query
from sync_server import parquet
from sync_server.cli import cli as server_cli
from sync_server.demo_data import generate, load
from sync_server.exports import ExportError, columns_for, export
from sync_server.forms import publish
from sync_server.store import Store
from test_disclosure_release import PASSWORD, check_release, person
from test_workspace import push_records

FORM_ID = "typed_visit"
RAW = "release=raw&reason=parquet+check"
FORM = {
    "form_id": FORM_ID,
    "version": "1",
    "title": {"en": "Household visit", "fr": "Visite du ménage"},
    "choices": {
        "sex": [
            {"name": "f", "label": {"en": "Female", "fr": "Femme"}},
            {"name": "m", "label": {"en": "Male", "fr": "Homme"}},
            {"name": "x", "label": {"en": "Another", "fr": "Autre"}},
        ],
        "grounds": [
            {"name": "religion", "label": {"en": "Religion", "fr": "Religion"}},
            {"name": "language", "label": {"en": "Language", "fr": "Langue"}},
            {"name": "age", "label": {"en": "Age", "fr": "Âge"}},
        ],
    },
    "sections": [
        {
            "name": "visit",
            "label": {"en": "Visit", "fr": "Visite"},
            "questions": [
                {
                    "name": "household_size",
                    "type": "integer",
                    "privacy": "keep",
                    "label": {"en": "People in the household", "fr": "Personnes dans le ménage"},
                },
                {
                    "name": "water_litres",
                    "type": "decimal",
                    "privacy": "keep",
                    "label": {"en": "Water a day (litres)", "fr": "Eau par jour (litres)"},
                },
                {
                    "name": "visit_date",
                    "type": "date",
                    "privacy": "keep",
                    "label": {"en": "Date of the visit", "fr": "Date de la visite"},
                },
                {
                    "name": "visit_start",
                    "type": "datetime",
                    "privacy": "keep",
                    "label": {"en": "Start of the visit", "fr": "Début de la visite"},
                },
                {
                    "name": "head_sex",
                    "type": "select_one",
                    "choices": "sex",
                    "privacy": "keep",
                    "label": {"en": "Sex of the head", "fr": "Sexe du chef"},
                },
                {
                    "name": "grounds",
                    "type": "select_multiple",
                    "choices": "grounds",
                    "privacy": "keep",
                    "label": {"en": "Grounds", "fr": "Motifs"},
                },
                {
                    "name": "village",
                    "type": "text",
                    "privacy": "keep",
                    "label": {"en": "Village", "fr": "Village"},
                },
            ],
        },
        {
            "name": "members",
            "label": {"en": "Household members", "fr": "Membres du ménage"},
            "repeat": True,
            "questions": [
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
            ],
        },
    ],
}
TYPES = {
    "_uuid": pa.string(),
    "_revision": pa.int64(),
    "_collected_at": pa.date32(),
    "_received_at": pa.timestamp("ms", tz="UTC"),
    "household_size": pa.int64(),
    "water_litres": pa.float64(),
    "visit_date": pa.date32(),
    "visit_start": pa.timestamp("ms"),
    "head_sex": pa.dictionary(pa.int32(), pa.string()),
    "grounds": pa.string(),
    "grounds/religion": pa.bool_(),
    "village": pa.string(),
    "members": pa.int64(),
}
DUCKDB_TYPES = {
    "_revision": "BIGINT",
    "_collected_at": "DATE",
    "_received_at": "TIMESTAMP WITH TIME ZONE",
    "household_size": "BIGINT",
    "water_litres": "DOUBLE",
    "visit_date": "DATE",
    "visit_start": "TIMESTAMP",
    "head_sex": "VARCHAR",
    "grounds/religion": "BOOLEAN",
    "village": "VARCHAR",
}


def visit(i: int) -> dict:
    """A household visit as a laptop sends it; every third one leaves some answers out."""
    answers = {
        "household_size": 2 + i % 4,
        "water_litres": 12.5 + i,
        "visit_date": f"2026-11-{10 + i:02d}",
        "visit_start": f"2026-11-{10 + i:02d}T09:{i:02d}",
        "head_sex": "fmx"[i % 3],
        "grounds": [["religion"], ["language", "age"], []][i % 3],
        "village": ["Kibera", "Mathare", "Ngong"][i % 3],
        "members": [
            {"member_age": 30 + i, "member_sex": "f"},
            {"member_age": i, "member_sex": "mx"[i % 2]},
        ][: 1 + i % 2],
    }
    if i % 3 == 2:
        for name in ("head_sex", "grounds", "visit_start"):
            answers.pop(name)
    return {
        "uuid": str(uuid.uuid4()),
        "revision": 1,
        "form_id": FORM_ID,
        "form_version": "1",
        "locale": "en",
        "collected": "2026-11-20",
        "enumerator": None,
        "answers": answers,
    }


@pytest.fixture(scope="session")  # made once per test process (see conftest.py)
def served(tmp_path_factory):
    """A central server with 400 community surveys (for the release) and 12 visits of a
    published typed form with a repeat, and one person per role."""
    data_dir = tmp_path_factory.mktemp("parquet") / "central-data"
    load(generate(n_surveys=400, n_reports=0, devices=2, seed=11), data_dir)
    server = Central(data_dir)
    store = Store(server.database)
    for role in ("admin", "analyst", "viewer"):
        store.add_user(f"{role}1", role, hash_secret(PASSWORD))
    publish(store, json.dumps(FORM), "admin")
    store.close()
    server.visits = [visit(i) for i in range(12)]
    push_records(server, server.visits)
    yield server
    server.stop()


def unzip(content: bytes) -> dict[str, pa.Table]:
    with zipfile.ZipFile(io.BytesIO(content)) as bundle:
        return {name: pq.read_table(io.BytesIO(bundle.read(name))) for name in bundle.namelist()}


def csv_rows(content: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"), newline="")))


def as_csv(value, stored_utc: bool = False) -> str:
    """A value read back from Parquet (by pyarrow, pandas or DuckDB) as the CSV export
    writes the stored value."""
    if value is None or value is pandas.NaT or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, (bool,)) or type(value).__name__ == "bool_":
        return "1" if value else "0"
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return value.strftime("%Y-%m-%dT%H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    if hasattr(value, "item"):  # numpy scalars
        return as_csv(value.item())
    return str(value)


def by_key(rows: list[dict], *keys) -> dict:
    return {tuple(row[k] for k in keys): row for row in rows}


def same_as_csv(rows: list[dict], csv_export: list[dict], *keys) -> None:
    """Every row, every column, equal to the CSV export's (as text)."""
    assert len(rows) == len(csv_export)
    got = by_key([{name: as_csv(v) for name, v in row.items()} for row in rows], *keys)
    want = by_key(csv_export, *keys)
    assert got == want


# -- an admin's records as stored ---------------------------------------------------------


@pytest.fixture(scope="session")  # made once per test process (see conftest.py)
def raw_zip(served):
    admin = person(served, "admin")
    response = admin.get(f"/data/{FORM_ID}/export.parquet?{RAW}")
    assert response.status_code == 200, response.text[:300]
    assert response.headers["Content-Type"] == "application/zip"
    assert f"{FORM_ID}-parquet.zip" in response.headers["Content-Disposition"]
    csv_main = csv_rows(admin.get(f"/data/{FORM_ID}/export.csv?{RAW}").content)
    csv_members = csv_rows(admin.get(f"/data/{FORM_ID}/export.csv?repeat=members&{RAW}").content)
    return response.content, csv_main, csv_members


def test_the_zip_holds_a_file_per_table_with_the_csv_columns(raw_zip):
    content, csv_main, csv_members = raw_zip
    tables = unzip(content)
    assert list(tables) == [f"{FORM_ID}.parquet", f"{FORM_ID}-members.parquet"]
    assert tables[f"{FORM_ID}.parquet"].column_names == list(csv_main[0])
    assert tables[f"{FORM_ID}-members.parquet"].column_names == list(csv_members[0])


def test_pyarrow_reads_typed_columns_equal_to_the_csv(raw_zip):
    content, csv_main, csv_members = raw_zip
    tables = unzip(content)
    main = tables[f"{FORM_ID}.parquet"]
    for name, arrow_type in TYPES.items():
        assert main.schema.field(name).type == arrow_type, name
    same_as_csv(main.to_pylist(), csv_main, "_uuid")
    members = tables[f"{FORM_ID}-members.parquet"]
    assert members.schema.field("member_age").type == pa.int64()
    assert members.schema.field("_index").type == pa.int64()
    same_as_csv(members.to_pylist(), csv_members, "_parent_uuid", "_index")


def test_pandas_reads_the_same_values_and_categories(raw_zip, tmp_path):
    content, csv_main, _ = raw_zip
    with zipfile.ZipFile(io.BytesIO(content)) as bundle:
        bundle.extractall(tmp_path)
    frame = pandas.read_parquet(tmp_path / f"{FORM_ID}.parquet")
    assert str(frame["household_size"].dtype) == "int64"
    assert str(frame["water_litres"].dtype) == "float64"
    assert isinstance(frame["head_sex"].dtype, pandas.CategoricalDtype)
    # Every choice is a category, in the form's order, even one nobody picked.
    assert list(frame["head_sex"].cat.categories) == ["f", "m", "x"]
    rows = [
        {name: (None if pandas.isna(v) else v) for name, v in row.items()}
        for row in frame.to_dict("records")
    ]
    same_as_csv(rows, csv_main, "_uuid")


def test_duckdb_reads_the_same_values_and_joins_the_repeat(raw_zip, tmp_path):
    content, csv_main, csv_members = raw_zip
    with zipfile.ZipFile(io.BytesIO(content)) as bundle:
        bundle.extractall(tmp_path)
    main, members = tmp_path / f"{FORM_ID}.parquet", tmp_path / f"{FORM_ID}-members.parquet"
    with duckdb.connect() as db:
        db.execute("SET TimeZone = 'UTC'")
        types = {
            row[0]: row[1]
            for row in db.execute(f"DESCRIBE SELECT * FROM read_parquet('{main}')").fetchall()
        }
        assert {name: types[name] for name in DUCKDB_TYPES} == DUCKDB_TYPES
        cursor = db.execute(f"SELECT * FROM read_parquet('{main}')")
        names = [d[0] for d in cursor.description]
        same_as_csv(
            [dict(zip(names, row, strict=True)) for row in cursor.fetchall()], csv_main, "_uuid"
        )
        # Each instance joins its record by key, and the count column counts them.
        joined = db.execute(
            f"SELECT r._uuid, r.members, count(m._index) FROM read_parquet('{main}') r "
            f"JOIN read_parquet('{members}') m ON m._parent_uuid = r._uuid "
            "GROUP BY r._uuid, r.members"
        ).fetchall()
    assert len(joined) == len(csv_main)
    assert all(count == members_count for _, members_count, count in joined)
    assert sum(count for _, _, count in joined) == len(csv_members)


def test_labels_and_value_labels_are_kept_as_metadata(raw_zip):
    main = unzip(raw_zip[0])[f"{FORM_ID}.parquet"]
    field = main.schema.field("head_sex")
    assert field.metadata[b"label"] == b"Sex of the head"
    assert json.loads(field.metadata[b"labels"])["fr"] == "Sexe du chef"
    value_labels = json.loads(field.metadata[b"value_labels"])
    assert value_labels["en"] == {"f": "Female", "m": "Male", "x": "Another"}
    assert value_labels["fr"]["x"] == "Autre"
    dummy = main.schema.field("grounds/age")
    assert dummy.metadata[b"choice"] == b"age"
    assert json.loads(dummy.metadata[b"labels"])["fr"] == "Motifs: Âge"
    form = json.loads(main.schema.metadata[b"form"])
    assert form["form_id"] == FORM_ID and form["title"]["fr"] == "Visite du ménage"
    assert form["versions"] == ["1"] and form["table"] == "records"
    assert form["disclosure_checked"] is False
    assert [c["name"] for c in form["columns"]] == main.column_names
    members = unzip(raw_zip[0])[f"{FORM_ID}-members.parquet"]
    assert json.loads(members.schema.metadata[b"form"])["table"] == "members"


def test_a_repeat_alone_is_one_parquet_file(served, raw_zip):
    admin = person(served, "admin")
    response = admin.get(f"/data/{FORM_ID}/export.parquet?repeat=members&{RAW}")
    assert response.status_code == 200
    assert f"{FORM_ID}-members.parquet" in response.headers["Content-Disposition"]
    alone = pq.read_table(io.BytesIO(response.content))
    assert alone.to_pylist() == unzip(raw_zip[0])[f"{FORM_ID}-members.parquet"].to_pylist()
    details = [
        r["detail"]
        for r in query(served.database, "SELECT detail FROM audit WHERE action = 'export'")
    ]
    assert f"{FORM_ID} parquet records as stored, reason: parquet check" in details
    assert f"{FORM_ID} parquet repeat members records as stored, reason: parquet check" in details


# -- access and the release ----------------------------------------------------------------


def test_an_analyst_gets_the_released_records(served, tmp_path):
    analyst = person(served, "analyst")
    response = analyst.get("/data/community_survey/export.parquet")
    assert response.status_code == 200
    tables = unzip(response.content)
    assert list(tables) == ["community_survey.parquet"]
    main = tables["community_survey.parquet"]
    released = csv_rows(analyst.get("/data/community_survey/export.csv?raw=1").content)
    assert main.column_names == list(released[0])
    assert "_device" not in main.column_names
    rows = [{name: as_csv(v) for name, v in row.items()} for row in main.to_pylist()]
    check_release(rows)
    same_as_csv(main.to_pylist(), released, "_uuid")
    # Generalized key variables are text (a month, an age band), the rest keep their type.
    assert main.schema.field("_collected_at").type == pa.string()
    assert all(len(v) < 10 for v in main.column("_collected_at").to_pylist() if v)
    assert main.schema.field("age").type == pa.string()
    assert json.loads(main.schema.metadata[b"form"])["disclosure_checked"] is True
    [saved] = query(
        served.database,
        "SELECT actor, format, report FROM releases WHERE id = ?",
        [int(response.headers["X-Disclosure-Report"])],
    )
    assert (saved["actor"], saved["format"]) == ("analyst1", "parquet")
    assert json.loads(saved["report"])["records_released"] == main.num_rows


def test_a_viewer_gets_nothing_and_raw_records_need_an_admin_and_a_reason(served):
    before = query(served.database, "SELECT count(*) AS n FROM audit WHERE action = 'export'")
    viewer = person(served, "viewer")
    assert viewer.get(f"/data/{FORM_ID}/export.parquet").status_code == 403
    assert viewer.get(f"/data/{FORM_ID}/export.parquet?repeat=members").status_code == 403
    analyst = person(served, "analyst")
    assert analyst.get(f"/data/{FORM_ID}/export.parquet?{RAW}").status_code == 403
    admin = person(served, "admin")
    refused = admin.get(f"/data/{FORM_ID}/export.parquet?release=raw")
    assert refused.status_code == 400 and "reason" in refused.text
    assert (
        query(served.database, "SELECT count(*) AS n FROM audit WHERE action = 'export'") == before
    )


def test_the_workspace_offers_parquet(served):
    page = person(served, "analyst").get(f"/data/{FORM_ID}").text
    assert f"/data/{FORM_ID}/export.parquet?" in page
    assert any(
        "export.parquet?" in link and "repeat=members" in link for link in page.split('href="')
    )
    assert "Parquet comes as a ZIP file" in page


def test_an_unknown_format_is_a_clear_error(served, tmp_path):
    assert person(served, "admin").get(f"/data/{FORM_ID}/export.feather").status_code == 404
    with pytest.raises(ExportError, match="Unknown export format 'feather'.*parquet"):
        export(iter([]), [load_form(FORM)], "feather", io.BytesIO())
    data_dir = served.app.config["DATA_DIR"]
    result = CliRunner().invoke(
        server_cli,
        [
            "export",
            "--form",
            FORM_ID,
            "--format",
            "feather",
            "--output",
            str(tmp_path / "x"),
            "--data-dir",
            data_dir,
        ],
    )
    assert result.exit_code != 0 and "'feather' is not one of" in result.output
    # A whole form's Parquet export is a ZIP: a .parquet name would mislead every reader.
    result = CliRunner().invoke(
        server_cli,
        [
            "export",
            "--form",
            FORM_ID,
            "--format",
            "parquet",
            "--output",
            str(tmp_path / "visits.parquet"),
            "--data-dir",
            data_dir,
        ],
    )
    assert result.exit_code != 0 and "name the output .zip" in result.output
    assert list(tmp_path.iterdir()) == []


# -- the command line --------------------------------------------------------------------------


def test_the_command_line_writes_the_same_zip(served, raw_zip, tmp_path):
    data_dir = served.app.config["DATA_DIR"]
    out = tmp_path / "visits.zip"
    result = CliRunner().invoke(
        server_cli,
        [
            "export",
            "--form",
            FORM_ID,
            "--format",
            "parquet",
            "--output",
            str(out),
            "--data-dir",
            data_dir,
            "--raw-records",
            "--reason",
            "parquet check",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "Wrote 12 records" in result.output
    mine, web = unzip(out.read_bytes()), unzip(raw_zip[0])
    assert list(mine) == list(web)
    for name in web:
        assert mine[name].to_pylist() == web[name].to_pylist()
    members = tmp_path / "members.parquet"
    result = CliRunner().invoke(
        server_cli,
        [
            "export",
            "--form",
            FORM_ID,
            "--format",
            "parquet",
            "--repeat",
            "members",
            "--output",
            str(members),
            "--data-dir",
            data_dir,
        ],
    )
    assert result.exit_code == 0, result.output
    assert json.loads(pq.read_schema(members).metadata[b"form"])["disclosure_checked"] is True
    assert (tmp_path / "members.parquet.disclosure.json").exists()


# -- widening and row groups (no server) -------------------------------------------------------

HOUSEHOLD = {
    "form_id": "household",
    "version": "1",
    "title": {"en": "Household"},
    "choices": {},
    "sections": [
        {
            "name": "s",
            "label": {"en": "S"},
            "questions": [
                {"name": "size", "type": "integer", "privacy": "keep", "label": {"en": "Size"}}
            ],
        }
    ],
}


def household_rows(values):
    return [
        {
            "uuid": f"u{i:03d}",
            "revision": 1,
            "form_id": "household",
            "form_version": "1",
            "received_at": "2026-11-20T10:00:00Z",
            "answers": {"size": value},
        }
        for i, value in enumerate(values)
    ]


def table_of(rows, monkeypatch, rows_per_group=2) -> pq.ParquetFile:
    monkeypatch.setattr(parquet, "BATCH_ROWS", rows_per_group)
    monkeypatch.setattr(parquet, "ROW_GROUP_ROWS", rows_per_group)
    out = io.BytesIO()
    form = load_form(HOUSEHOLD)
    assert parquet.write_table(iter(rows), columns_for([form]), out, "en", forms=[form]) == len(
        rows
    )
    return pq.ParquetFile(io.BytesIO(out.getvalue()))


def test_rows_are_written_in_row_groups(monkeypatch):
    found = table_of(household_rows(range(7)), monkeypatch)
    assert found.metadata.num_row_groups == 4
    assert found.read().column("size").to_pylist() == list(range(7))


@pytest.mark.parametrize(
    "values, arrow_type, want",
    [
        ([1, 2, 3, 4, 5, 6.5], pa.float64(), [1.0, 2.0, 3.0, 4.0, 5.0, 6.5]),
        (
            [1, 2, 3, 4, "about twelve", None],
            pa.string(),
            ["1", "2", "3", "4", "about twelve", None],
        ),
    ],
)
def test_a_value_that_does_not_fit_widens_the_whole_column(values, arrow_type, want, monkeypatch):
    # The misfit comes after two row groups are written: they are rewritten, not lost.
    found = table_of(household_rows(values), monkeypatch)
    assert found.schema_arrow.field("size").type == arrow_type
    assert found.read().column("size").to_pylist() == want
    assert found.schema_arrow.field("size").metadata[b"label"] == b"Size"


def test_no_rows_still_write_a_typed_file(monkeypatch):
    found = table_of([], monkeypatch)
    assert found.metadata.num_rows == 0
    assert found.schema_arrow.field("size").type == pa.int64()
