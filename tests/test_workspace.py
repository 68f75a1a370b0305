"""The central workspace on a real server: roles, devices, forms, records, replies, API."""

from __future__ import annotations

import csv
import io
import json
import re
import uuid

import pytest
import requests

from collector import protocol
from collector.passwords import hash_secret
from support import Browser, query
from sync_server.store import Store
from test_forms import minimal_form

PASSWORD = "a long enough passphrase"
ROLES = ("admin", "analyst", "viewer")


@pytest.fixture
def team(central):
    store = Store(central.database)
    for role in ROLES:
        store.add_user(f"{role}1", role, hash_secret(PASSWORD))
    store.close()
    return central


def signed_in(central, role) -> Browser:
    person = Browser(central.url, "en")
    person.get("/signin")
    response = person.post("/signin", {"name": f"{role}1", "password": PASSWORD})
    assert response.status_code == 200, response.text[:300]
    return person


def api_token(central, name) -> str:
    """A personal API token for the records API, as the Account page makes it."""
    from sync_server import api_tokens

    store = Store(central.database)
    try:
        return api_tokens.create(store.db, store.user_by_name(name)["id"], "tests")[1]
    finally:
        store.close()


def enrolled_device(central) -> dict:
    """A newly enrolled device's answer: its id and token."""
    return requests.post(
        central.url + "/api/v1/enroll",
        json={
            "protocol": "1.0",
            "code": central.enrollment_code("zone B"),
            "enrollment_id": str(uuid.uuid4()),
        },
        timeout=10,
    ).json()


def post_batch(central, message: dict, device: dict) -> requests.Response:
    """`message` pushed by `device` (enrolled_device), as the collector sends it."""
    return requests.post(
        central.url + "/api/v1/records",
        data=protocol.compress(protocol.dumps(message)),
        timeout=30,
        headers={
            protocol.VERSION_HEADER: "1.0",
            "Authorization": f"Bearer {device['device_token']}",
            "Content-Encoding": "gzip",
            "Content-Type": "application/json",
        },
    )


def push_records(central, records):
    """A device pushes records as the collector would (protocol v1)."""
    device = enrolled_device(central)
    message = protocol.batch_message(str(uuid.uuid4()), records, 0, "test")
    response = post_batch(central, message, device)
    assert response.status_code == 200, response.text
    return device["device_id"]


def feedback_record(kind="question", message="When does the clinic open?", locale="sw"):
    return {
        "uuid": str(uuid.uuid4()),
        "revision": 1,
        "form_id": "community_feedback",
        "form_version": "1",
        "locale": locale,
        "collected": "2026-11-20",
        "enumerator": None,
        "answers": {
            "feedback_type": kind,
            "topic": "health",
            "message": message,
            "wants_reply": "yes",
        },
    }


# Which role reaches which page: 200, 403, or sent to sign in.
ACCESS = [
    ("/", {"admin": 200, "analyst": 200, "viewer": 200}),
    ("/data/community_survey", {"admin": 200, "analyst": 200, "viewer": 403}),
    ("/data/community_survey/export.csv", {"admin": 200, "analyst": 200, "viewer": 403}),
    ("/feedback", {"admin": 200, "analyst": 200, "viewer": 403}),
    ("/feedback?queue=sensitive", {"admin": 200, "analyst": 403, "viewer": 403}),
    ("/devices", {"admin": 200, "analyst": 403, "viewer": 403}),
    ("/forms", {"admin": 200, "analyst": 403, "viewer": 403}),
]


def test_each_role_reaches_only_what_it_should(team):
    people = {role: signed_in(team, role) for role in ROLES}  # one sign-in each: it is slow
    for path, expected in ACCESS:
        for role in ROLES:
            assert people[role].get(path).status_code == expected[role], (role, path)
        anonymous = Browser(team.url, "en").get(path)
        assert anonymous.url.split("?")[0].endswith("/signin"), path


def test_wrong_password_is_refused(team):
    person = Browser(team.url, "en")
    person.get("/signin")
    response = person.post("/signin", {"name": "admin1", "password": "nope"})
    assert response.status_code == 401 and "do not match" in response.text
    assert query(team.database, "SELECT password_hash FROM users WHERE name = 'admin1'")[0][
        "password_hash"
    ].startswith(("scrypt:", "pbkdf2:"))


def test_admin_enrolls_and_revokes_a_device_from_the_page(team):
    admin = signed_in(team, "admin")
    admin.get("/devices")
    page = admin.post("/devices/new", {"label": "Zone C laptop"}).text
    code = re.search(r'class="receipt" translate="no">([0-9A-Z-]+)<', page).group(1)
    answer = requests.post(
        team.url + "/api/v1/enroll",
        json={"protocol": "1.0", "code": code, "enrollment_id": str(uuid.uuid4())},
        timeout=10,
    )
    assert answer.status_code == 200
    page = admin.get("/devices").text
    assert "Zone C laptop" in page and code not in page  # the code is shown once
    device_id = answer.json()["device_id"]
    admin.post(f"/devices/{device_id}/revoke", {})
    assert query(team.database, "SELECT revoked_at FROM devices")[0]["revoked_at"]
    assert query(team.database, "SELECT actor FROM audit WHERE action = 'device_revoked'") == [
        {"actor": "admin1"}
    ]


def test_admin_publishes_a_form_and_a_bad_one_changes_nothing(team):
    admin = signed_in(team, "admin")
    page = admin.get("/forms").text
    files = {"definition": ("visit.json", json.dumps(minimal_form()), "application/json")}
    preview = admin.session.post(
        team.url + "/forms", files=files, data={"csrf_token": admin.csrf(page)}
    )
    # Checked and shown in preview first; "Publish" publishes what the preview showed.
    action = re.search(r'action="(/forms/preview/[^"]+/publish)"', preview.text).group(1)
    response = admin.post(action, {}, csrf_from=preview.text)
    assert "Published household_visit version 2" in response.text
    bad = {
        "definition": ("bad.json", json.dumps(minimal_form(form_id="bad id")), "application/json")
    }
    response = admin.session.post(
        team.url + "/forms", files=bad, data={"csrf_token": admin.csrf(response.text)}
    )
    assert response.status_code == 422 and "nothing was published" in response.text
    assert query(team.database, "SELECT form_id FROM forms") == [{"form_id": "household_visit"}]


def test_analyst_corrects_a_value_with_an_audit_trail(team):
    record = feedback_record()
    push_records(team, [record])
    # One record cannot pass the disclosure check: the admin sees and corrects it as stored.
    analyst = signed_in(team, "admin")
    page = analyst.get(f"/data/record/{record['uuid']}").text
    assert "When does the clinic open?" in page
    analyst.post(f"/data/record/{record['uuid']}/correct", {"field": "topic", "value": "education"})
    [row] = query(team.database, "SELECT answers, answers_current FROM records")
    assert json.loads(row["answers"])["topic"] == "health"  # the original is never lost
    assert json.loads(row["answers_current"])["topic"] == "education"
    [correction] = query(
        team.database, "SELECT field, old_value, new_value, author FROM corrections"
    )
    assert correction == {
        "field": "topic",
        "old_value": '"health"',
        "new_value": '"education"',
        "author": "admin1",
    }
    assert query(team.database, "SELECT actor FROM audit WHERE action = 'record_corrected'")
    csv_text = analyst.get(
        "/data/community_feedback/export.csv?release=raw&reason=check"
    ).content.decode("utf-8-sig")
    assert ",education," in csv_text and ",health," not in csv_text
    analyst.get(f"/data/record/{record['uuid']}")
    analyst.post(f"/data/record/{record['uuid']}/review", {"review": "flagged", "note": "check"})
    assert query(team.database, "SELECT review FROM records") == [{"review": "flagged"}]
    response = analyst.post(
        f"/data/record/{record['uuid']}/correct", {"field": "not_a_question", "value": "x"}
    )
    assert "Choose a question of this form." in response.text


def test_browse_filters_records(team):
    push_records(
        team,
        [feedback_record(locale="sw"), feedback_record(locale="ar"), feedback_record(locale="ar")],
    )
    analyst = signed_in(team, "admin")  # analysts filter by form version and review only
    assert "3 records" in analyst.get("/data/community_feedback").text
    assert "2 records" in analyst.get("/data/community_feedback?language=ar").text
    assert "0 records" in analyst.get("/data/community_feedback?month=1999-01").text


def test_replies_queue_and_sensitive_reports(team):
    normal = feedback_record()
    sensitive = feedback_record(kind="discrimination", message="They refused my child at school.")
    push_records(team, [normal, sensitive])
    analyst = signed_in(team, "analyst")
    queue = analyst.get("/feedback").text
    assert normal["uuid"] in queue and sensitive["uuid"] not in queue
    # 404 as for a report that does not exist: the answer does not say this one is there.
    assert analyst.get(f"/feedback/{sensitive['uuid']}").status_code == 404
    page = analyst.get(f"/feedback/{normal['uuid']}").text
    analyst.post(
        f"/feedback/{normal['uuid']}",
        {"message": "Kliniki inafunguliwa saa mbili.", "locale": "sw", "status": "in_progress"},
        csrf_from=page,
    )
    [reply] = query(team.database, "SELECT message, locale, author FROM replies")
    assert reply == {
        "message": "Kliniki inafunguliwa saa mbili.",
        "locale": "sw",
        "author": "analyst1",
    }
    assert query(team.database, "SELECT status FROM feedback_cases") == [{"status": "answered"}]
    admin = signed_in(team, "admin")
    assert sensitive["uuid"] in admin.get("/feedback?queue=sensitive").text
    assert admin.get(f"/feedback/{sensitive['uuid']}").status_code == 200


def test_json_api_pages_with_a_cursor(team):
    records = [feedback_record(message=f"message {n}") for n in range(7)]
    push_records(team, records)
    url = team.url + "/api/v1/data/community_feedback"
    assert requests.get(url, timeout=10).status_code == 401
    # Account passwords are refused: scripts use personal tokens.
    assert requests.get(url, auth=("viewer1", PASSWORD), timeout=10).status_code == 401
    token = api_token(team, "analyst1")
    seen, cursor = [], None
    while True:
        page = requests.get(
            url,
            params={"limit": 3, **({"after": cursor} if cursor else {})},
            auth=("analyst1", token),
            timeout=10,
        ).json()
        seen += page["records"]
        cursor = page["next"]
        if not cursor:
            break
    assert sorted(r["message"] for r in seen) == sorted(r["answers"]["message"] for r in records)
    assert {"_uuid", "_form_id", "_revision", "feedback_type"} <= set(seen[0])
    # Key variables the release does not carry at all are not columns (its report lists them).
    report = requests.get(
        url + "/release", headers={"Authorization": f"Bearer {token}"}, timeout=10
    ).json()
    assert not set(report["report"]["not_released"]) & set(seen[0])
    # A release is the whole form: `since` is for the records as stored (admins, a reason).
    since = requests.get(
        url,
        params={"since": "2026-01-01"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert since.status_code == 400 and since.json()["error"]["code"] == "since_in_release"
    admin = {"Authorization": f"Bearer {api_token(team, 'admin1')}"}
    stored = requests.get(
        url, params={"release": "raw", "reason": "sync check"}, headers=admin, timeout=10
    ).json()["records"]
    since = requests.get(
        url,
        params={
            "since": max(r["_received_at"] for r in stored),
            "release": "raw",
            "reason": "sync check",
        },
        headers=admin,
        timeout=10,
    ).json()
    assert since["records"] == []


def test_export_command_writes_a_file(team, tmp_path):
    from click.testing import CliRunner

    from sync_server.cli import cli

    push_records(team, [feedback_record(), feedback_record(locale="ar")])
    out = tmp_path / "feedback.csv"
    result = CliRunner().invoke(
        cli,
        [
            "export",
            "--form",
            "community_feedback",
            "--format",
            "csv",
            "--output",
            str(out),
            "--data-dir",
            team.app.config["DATA_DIR"],
            "--raw-records",
            "--reason",
            "check",
        ],
    )
    assert result.exit_code == 0 and "Wrote 2 records" in result.output
    text = out.read_bytes()
    assert text.startswith(b"\xef\xbb\xbf")
    header = io.StringIO(text.decode("utf-8-sig")).readline().strip().split(",")
    assert header[:8] == [
        "_uuid",
        "_form_id",
        "_form_version",
        "_revision",
        "_device",
        "_collected_at",
        "_received_at",
        "_locale",
    ]


def survey_record(n):
    """Server-side answers of a community_survey record, varied by n."""
    return {
        "uuid": str(uuid.uuid4()),
        "revision": 1,
        "form_id": "community_survey",
        "form_version": "1",
        "locale": "en",
        "collected": f"2026-{1 + n % 3:02d}-15",
        "enumerator": "p_0123456789abcdef0123",
        "answers": {
            "consent": "yes",
            "age": ["20-24", "30-34", "60-64"][n % 3],
            "gender": ["woman", "man"][n % 2],
            "area": ["NR", "SR", "CE"][n % 3],
            "migration_status": ["host", "refugee", "idp", "returnee"][n % 4],
            "life_satisfaction": n % 11,
            "trust_people": (n * 3) % 11,
            "who5_spirits": str(n % 6),
            "who5_calm": "3",
            "who5_active": "2",
            "who5_rested": "4",
            "who5_interest": "1",
            "safety_after_dark": ["safe", "unsafe"][n % 2],
            "discriminated": ["yes", "no"][n % 2],
            "discrimination_grounds": ["religion"],
            "reported_to": ["no_one"],
        },
    }


def test_no_dashboard_response_shows_a_cell_under_k(team):
    """Every indicator, overall and by every dimension: a number is shown only for n >= k."""
    from sync_server.indicators import BY_DIMENSIONS, FAMILIES, INDICATORS

    push_records(
        team, [survey_record(n) for n in range(23)] + [feedback_record() for _ in range(6)]
    )
    viewer = signed_in(team, "viewer")
    views = [i.id for i in INDICATORS if i.family is None] + list(FAMILIES)
    shown = suppressed = 0
    example = None
    for view in views:
        for by in (None, *BY_DIMENSIONS):
            params = {"view": view, **({"by": by} if by else {})}
            query_string = "&".join(f"{k}={v}" for k, v in params.items())
            response = viewer.get("/indicator.csv?" + query_string)
            assert response.status_code == 200, (view, by)
            for row in csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))):
                if row["suppressed"] == "1":
                    suppressed += 1
                    if row["reason"] == "small":  # not a cell hidden to protect another
                        example = example or params
                    assert row["n"] == row["estimate"] == row["ci_low"] == ""
                else:
                    shown += 1
                    assert int(row["n"]) >= 5, (view, by, row)
        page = viewer.get(f"/?view={view}&by=gender")
        assert page.status_code == 200 and "<svg" in page.text
    assert shown and suppressed  # the data gives both kinds of cells
    page = viewer.get("/?" + "&".join(f"{k}={v}" for k, v in example.items())).text
    assert "suppressed (n &lt; 5)" in page
    png = viewer.get("/indicator.png?view=who5&by=gender")
    assert png.headers["Content-Type"] == "image/png" and png.content[:8] == b"\x89PNG\r\n\x1a\n"
    svg = viewer.get("/indicator.svg?view=trust_institutions")
    assert svg.headers["Content-Type"].startswith("image/svg+xml") and b"<title" in svg.content
