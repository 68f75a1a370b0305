"""Record-level releases on a served central server: what an analyst downloads, reads in
the records API or sees on a page passes the disclosure check, the report matches the file,
and an admin's raw records need a reason and are audited."""

from __future__ import annotations

import csv
import io
import json
from collections import Counter

import pandas
import pytest
import requests

from collector.passwords import hash_secret
from support import Browser, Central, query
from sync_server.demo_data import generate, load
from sync_server.store import Store

PASSWORD = "a long enough passphrase"
FORM = "community_survey"
KEYS = [
    "_collected_at",
    "_received_at",
    "_locale",
    "age",
    "gender",
    "migration_status",
    "language_home",
    "language_home_other",
    "area",
    "urban_rural",
    "wg_disability",
]
SENSITIVE = [
    "discriminated",
    "discrimination_grounds",
    "discrimination_settings",
    "discrimination_frequency",
    "reported_to",
    "not_reported_why",
]
# The questions asked only as another is answered: empty wherever it is.
FOLLOW_UPS = {
    "discriminated": SENSITIVE[1:],
    "reported_to": ["not_reported_why"],
    "language_home": ["language_home_other"],
}


@pytest.fixture(scope="session")  # made once per test process (see conftest.py)
def served(tmp_path_factory):
    """2,000 surveys and 160 reports from 3 laptops, served, with one person per role."""
    data_dir = tmp_path_factory.mktemp("release") / "central-data"
    population = generate(n_surveys=2000, n_reports=160, devices=3, seed=7)
    load(population, data_dir)
    server = Central(data_dir)
    store = Store(server.database)
    for role in ("admin", "analyst", "viewer"):
        store.add_user(f"{role}1", role, hash_secret(PASSWORD))
    store.close()
    server.population = population
    yield server
    server.stop()


def person(server, role) -> Browser:
    browser = Browser(server.url, "en")
    browser.get("/signin")
    assert browser.post("/signin", {"name": f"{role}1", "password": PASSWORD}).status_code == 200
    return browser


def token(server, name) -> str:
    from sync_server import api_tokens

    store = Store(server.database)
    try:
        return api_tokens.create(store.db, store.user_by_name(name)["id"], "tests")[1]
    finally:
        store.close()


def missing(value) -> bool:
    return value is None or value == "" or (isinstance(value, float) and value != value)


def table(fmt: str, content: bytes, folder) -> list[dict]:
    """An export's rows as dicts of text, whatever its format ('' for a missing value)."""
    if fmt == "csv":
        return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"), newline="")))
    if fmt == "jsonl":
        rows = [json.loads(line) for line in content.decode("utf-8").splitlines()]
    else:
        path = folder / f"release.{fmt}"
        path.write_bytes(content)
        if fmt == "xlsx":
            frame = pandas.read_excel(path, sheet_name="data", dtype=str)
        else:
            frame = (
                pandas.read_stata(path, convert_categoricals=False)
                if fmt == "dta"
                else pandas.read_spss(path, convert_categoricals=False)
            )
            frame.columns = [
                c.replace("meta_", "_", 1) if c.startswith("meta_") else c for c in frame.columns
            ]
        rows = frame.to_dict("records")
    return [
        {name: "" if missing(value) else str(value) for name, value in row.items()} for row in rows
    ]


def check_release(rows: list[dict], k: int = 5, l: int = 2) -> Counter:
    """k records in every combination of key columns; l answers (or none) per sensitive."""
    groups = Counter(tuple(row.get(name, "") for name in KEYS) for row in rows)
    assert rows and min(groups.values()) >= k, min(groups.values())
    for name in SENSITIVE:
        answers: dict = {}
        for row in rows:
            if row.get(name, ""):
                answers.setdefault(tuple(row.get(n, "") for n in KEYS), set()).add(row[name])
        assert all(len(found) >= l for found in answers.values()), name
    for name, asked in FOLLOW_UPS.items():
        told = [row[n] for row in rows if not row.get(name, "") for n in asked if row.get(n, "")]
        assert not told, (name, told[:3])
    return groups


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "jsonl", "dta", "sav"])
def test_every_format_an_analyst_downloads_is_released(served, fmt, tmp_path):
    analyst = person(served, "analyst")
    response = analyst.get(f"/data/{FORM}/export.{fmt}")
    assert response.status_code == 200
    rows = table(fmt, response.content, tmp_path)
    groups = check_release(rows)
    assert not any(name.startswith("wg_") and name != "wg_disability" for name in rows[0])
    assert "_device" not in rows[0]  # never released: not even an empty column
    # The report saved with this download says what the file holds.
    [saved] = query(
        served.database,
        "SELECT actor, form_id, format, report FROM releases WHERE id = ?",
        [int(response.headers["X-Disclosure-Report"])],
    )
    report = json.loads(saved["report"])
    assert (saved["actor"], saved["form_id"], saved["format"]) == ("analyst1", FORM, fmt)
    assert report["records_released"] == len(rows)
    assert report["smallest_group"] == min(groups.values())
    assert report["k_required"] == 5 and report["l_required"] == 2
    # Rows come in uuid order: side by side, they do not tell what arrived together.
    uuids = [row["_uuid"] for row in rows]
    assert uuids == sorted(uuids)


def test_the_records_api_releases_and_names_its_report(served):
    url = f"{served.url}/api/v1/data/{FORM}"
    auth = {"Authorization": f"Bearer {token(served, 'analyst1')}"}
    rows, after, releases = [], None, set()
    while True:
        page = requests.get(
            url,
            params={"limit": 500, **({"after": after} if after else {})},
            headers=auth,
            timeout=30,
        ).json()
        rows += page["records"]
        releases.add(page["release"])
        after = page["next"]
        if not after:
            break
    check_release([{name: "" if missing(v) else str(v) for name, v in row.items()} for row in rows])
    [release] = releases
    answer = requests.get(url + "/release", headers=auth, timeout=30).json()
    assert answer["release"] == release and answer["report"]["records_released"] == len(rows)
    refused = requests.get(url, params={"since": "2025-01-01"}, headers=auth, timeout=30)
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "since_in_release"


def test_pages_show_released_records_and_the_report(served):
    analyst = person(served, "analyst")
    page = analyst.get(f"/data/{FORM}").text
    assert "Disclosure check" in page and "Key values suppressed" in page
    assert 'name="device"' not in page and 'name="area"' not in page
    record = next(r for r in served.population.surveys)
    stored = query(
        served.database, "SELECT device_id, collected FROM records WHERE uuid = ?", [record["uuid"]]
    )[0]
    answer = analyst.get(f"/data/record/{record['uuid']}")
    if answer.status_code == 200:  # unless the release leaves it out (then 404)
        assert stored["device_id"] not in answer.text and stored["collected"] not in answer.text
        assert 'value="age"' not in answer.text and 'value="discriminated"' not in answer.text
    else:
        assert answer.status_code == 404
    report = analyst.get(f"/data/{FORM}/release").json()
    assert report["form_id"] == FORM and report["records"] == 2000


def test_admin_raw_records_need_a_reason_and_are_audited(served):
    admin, analyst = person(served, "admin"), person(served, "analyst")
    refused = admin.get(f"/data/{FORM}/export.csv?release=raw")
    assert refused.status_code == 400 and "reason" in refused.text
    assert analyst.get(f"/data/{FORM}/export.csv?release=raw&reason=x").status_code == 403
    raw = admin.get(f"/data/{FORM}/export.csv?release=raw&reason=checking+a+complaint")
    rows = list(csv.DictReader(io.StringIO(raw.content.decode("utf-8-sig"))))
    assert len(rows) == 2000 and "wg_seeing" in rows[0] and rows[0]["_device"]
    details = [
        r["detail"]
        for r in query(served.database, "SELECT detail FROM audit WHERE action = 'export'")
    ]
    assert f"{FORM} csv records as stored, reason: checking a complaint" in details
    assert (
        query(
            served.database,
            "SELECT count(*) AS n FROM security_events WHERE"
            " event = 'export' AND detail LIKE '%reason: checking a complaint'",
        )[0]["n"]
        == 1
    )
    url = f"{served.url}/api/v1/data/{FORM}"
    auth = {"Authorization": f"Bearer {token(served, 'admin1')}"}
    answer = requests.get(url, params={"release": "raw"}, headers=auth, timeout=30)
    assert answer.status_code == 400 and answer.json()["error"]["code"] == "reason_missing"


def test_the_command_line_releases_by_default(served, tmp_path):
    from click.testing import CliRunner

    from sync_server.cli import cli

    out = tmp_path / "survey.csv"
    base = [
        "export",
        "--form",
        FORM,
        "--format",
        "csv",
        "--output",
        str(out),
        "--data-dir",
        served.app.config["DATA_DIR"],
        "--access",
        "standard",
    ]
    result = CliRunner().invoke(cli, base)
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(out.read_text("utf-8-sig"))))
    check_release(rows)
    report = json.loads((tmp_path / "survey.csv.disclosure.json").read_text("utf-8"))
    assert report["records_released"] == len(rows)
    result = CliRunner().invoke(cli, base + ["--raw-records"])
    assert result.exit_code != 0 and "--reason" in result.output


def test_a_download_leaves_no_copy_in_the_temporary_folder(served, tmp_path, monkeypatch):
    """The export is spooled to an anonymous file: finished, cut short or refused, no file
    with records stays behind where other programs (or a thief) could find it."""
    import tempfile

    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    analyst, admin = person(served, "analyst"), person(served, "admin")
    whole = analyst.get(f"/data/{FORM}/export.csv")
    assert whole.status_code == 200 and whole.content.count(b"\n") > 100
    with admin.session.get(
        f"{served.url}/data/{FORM}/export.sav?release=raw&reason=audit", stream=True
    ) as cut:
        assert cut.status_code == 200
        next(cut.iter_content(1024))  # a download abandoned after its first kilobyte
    assert sorted(folder.iterdir()) == []
