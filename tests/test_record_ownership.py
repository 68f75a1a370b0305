"""What the central server decides about a record as it arrives, on a real server with
real enrolled devices: a record belongs to the device that first sent it, and a collection
date far from the server's own is flagged (the laptop's clock), never refused."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import timedelta

import requests
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from collector import device_keys, protocol
from collector.clock import utcnow
from support import query
from sync_server.cli import cli
from test_access_classes import Device
from test_workspace import feedback_record, signed_in, team  # noqa: F401 - fixture


def revisions(central, record_uuid):
    return query(
        central.database,
        "SELECT revision, device_id, answers FROM records WHERE uuid = ? ORDER BY revision",
        [record_uuid],
    )


def refusals(central):
    return query(
        central.database,
        "SELECT account, detail FROM security_events WHERE event = 'record_refused' ORDER BY id",
    )


def test_another_device_cannot_overwrite_a_record(central):
    first, second = Device(central, "zone A"), Device(central, "zone B")
    record = feedback_record(message="The well is dry.")
    first.stored([record])

    # A higher revision from another laptop, then the same revision: both refused.
    takeover = dict(record, revision=7, answers=dict(record["answers"], message="All is fine."))
    for attempt in (takeover, record):
        response = second.push([attempt])
        assert response.status_code == 422, response.text
        [result] = response.json()["results"]
        assert result["status"] == "rejected" and result["code"] == "not_your_record"
        assert "Another device sent this record first" in result["message"]
    assert [(r["revision"], r["device_id"]) for r in revisions(central, record["uuid"])] == [
        (1, first.id)
    ]
    assert (
        json.loads(revisions(central, record["uuid"])[0]["answers"])["message"]
        == "The well is dry."
    )
    assert refusals(central) == [
        {
            "account": f"device:{second.id}",
            "detail": f"not_your_record {record['uuid']} revision {n}",
        }
        for n in (7, 1)
    ]

    # In a mixed batch only the other device's record is refused; the owner goes on editing.
    own = feedback_record(message="Thanks for the visit.")
    response = second.push([own, dict(takeover, revision=8)])
    assert response.status_code == 200
    assert [r["status"] for r in response.json()["results"]] == ["stored", "rejected"]
    first.stored([dict(record, revision=2)])
    assert [(r["revision"], r["device_id"]) for r in revisions(central, record["uuid"])] == [
        (1, first.id),
        (2, first.id),
    ]
    assert revisions(central, own["uuid"])[0]["device_id"] == second.id


def test_a_usb_bundle_cannot_overwrite_another_devices_record(central, tmp_path):
    owner = Device(central, "zone A")
    record = feedback_record(message="The school is far.")
    owner.stored([record])
    key = Ed25519PrivateKey.generate()
    enrolled = requests.post(
        central.url + "/api/v1/enroll",
        json={
            "protocol": "1.0",
            "code": central.enrollment_code("zone C"),
            "enrollment_id": str(uuid.uuid4()),
            "device_public_key": base64.b64encode(device_keys.raw_public_key(key)).decode("ascii"),
        },
        timeout=10,
    ).json()
    other = enrolled["device_id"]
    mine = feedback_record(message="A bench at the clinic, please.")
    batch = protocol.batch_message(
        str(uuid.uuid4()),
        [dict(record, revision=3, answers=dict(record["answers"], message="Replaced.")), mine],
        0,
        "test",
    )
    bundle = tmp_path / "zone-c.bundle"
    bundle.write_bytes(protocol.make_bundle([json.loads(protocol.dumps(batch))], other, key))

    result = CliRunner().invoke(
        cli, ["import-bundle", str(bundle), "--data-dir", central.app.config["DATA_DIR"]]
    )
    assert "1 stored" in result.output and "1 rejected" in result.output, result.output
    assert f"rejected {record['uuid']} revision 3" in result.output
    assert "Another device sent this record first" in result.output
    assert [(r["revision"], r["device_id"]) for r in revisions(central, record["uuid"])] == [
        (1, owner.id)
    ]
    assert revisions(central, mine["uuid"])[0]["device_id"] == other
    assert refusals(central) == [
        {"account": f"device:{other}", "detail": f"not_your_record {record['uuid']} revision 3"}
    ]


def dated(days: int) -> dict:
    """A feedback record collected `days` from the server's date (negative: before it)."""
    return dict(feedback_record(), collected=(utcnow().date() + timedelta(days=days)).isoformat())


def test_collection_dates_far_from_the_servers_are_flagged_not_refused(team):  # noqa: F811
    records = {
        "ahead": dated(3),
        "just_ahead": dated(2),
        "today": dated(0),
        "behind": dated(-401),
        "just_behind": dated(-400),
    }
    Device(team).stored(list(records.values()))
    flags = {
        row["uuid"]: row["clock_flag"]
        for row in query(team.database, "SELECT uuid, clock_flag FROM records")
    }
    assert {name: flags[r["uuid"]] for name, r in records.items()} == {
        "ahead": "future",
        "just_ahead": None,
        "today": None,
        "behind": "past",
        "just_behind": None,
    }

    warning = "Collected on a date far from the server's: the laptop's clock may be wrong."
    # Clock flags come from the collection day and the laptop: admins' view (analysts see
    # released records, dates to the month).
    analyst = signed_in(team, "admin")
    assert warning in analyst.get(f"/data/record/{records['ahead']['uuid']}").text
    assert warning in analyst.get(f"/data/record/{records['behind']['uuid']}").text
    assert warning not in analyst.get(f"/data/record/{records['today']['uuid']}").text
    page = analyst.get("/data/community_feedback").text
    assert "5 records" in page and warning in page and 'name="clock"' in page
    future = analyst.get("/data/community_feedback?clock=future").text
    assert "1 record" in future and records["ahead"]["uuid"][:8] in future
    past = analyst.get("/data/community_feedback?clock=past").text
    assert "1 record" in past and records["behind"]["uuid"][:8] in past
    # A page without a flagged record shows no warning.
    today = records["today"]["collected"]
    Device(team).stored([dict(feedback_record(locale="ar"), collected=today)])
    calm = analyst.get("/data/community_feedback?language=ar").text
    assert "1 record" in calm and warning not in calm
