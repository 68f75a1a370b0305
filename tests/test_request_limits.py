"""What the hub and the server refuse before any page runs (a NUL character anywhere in
a request), how the device API answers a record holding one, and the exports' Content-Type
headers."""

from __future__ import annotations

import uuid

import requests

from collector import protocol
from support import Browser
from test_workspace import (  # noqa: F401
    PASSWORD,
    enrolled_device,
    feedback_record,
    post_batch,
    push_records,
    signed_in,
    team,
)

NUL_REQUESTS = [
    "/data/record/%00",
    "/feedback/%00",
    "/feedback?queue=%00",
    "/security-log?event=%00",
    "/data/community_feedback?enumerator=%00",
    "/data/community_feedback?device=%00&area=%00&since=%00",
    "/data/community_survey?sort=%00",
    "/data/community_survey?%00=1",
]


def test_a_nul_anywhere_in_a_request_is_refused_with_400(team):
    admin = signed_in(team, "admin")
    for path in NUL_REQUESTS:
        response = admin.get(path)
        assert response.status_code == 400, path
        assert "NUL character" in response.text, path
    api = requests.get(team.url + "/api/v1/data/community_feedback?since=%00", timeout=10)
    assert api.status_code == 400
    assert api.json()["error"]["code"] == "nul_character"
    assert admin.get("/data/record/0").status_code == 404  # without one, the usual answer


def test_a_sign_in_with_a_nul_is_refused_and_counted(team):
    person = Browser(team.url, "en")
    person.get("/signin")
    client = team.app.extensions["signin_throttles"]["client"]
    before = client.failures(("client", "127.0.0.1"))
    response = person.post("/signin", {"name": "admin1\x00", "password": PASSWORD})
    assert response.status_code == 400 and "NUL character" in response.text
    # A failed attempt like a wrong password: the refusal is no way round the delays.
    assert client.failures(("client", "127.0.0.1")) == before + 1


def test_the_hub_refuses_a_nul_alike_and_counts_a_sign_in(hub):
    phone = hub.browser("en")
    phone.get("/signin")
    client = hub.app.extensions["signin_throttles"]["client"]
    response = phone.post("/signin", {"name": "amina\x00", "pin": "4821"})
    assert response.status_code == 400 and "NUL character" in response.text
    assert client.failures(("client", "127.0.0.1")) == 1
    phone.signin()
    assert phone.get("/forms/%00").status_code == 400
    assert phone.get("/?next=%00").status_code == 400
    assert phone.get("/forms/no_such_form").status_code == 404


def test_a_record_holding_a_nul_is_rejected_alone(team):
    good = feedback_record()
    in_answer = feedback_record(message="When\x00 does the clinic open?")
    in_choice = dict(feedback_record(), answers={**feedback_record()["answers"], "topic": "a\x00"})
    in_name = dict(feedback_record(), enumerator="amina\x00")
    in_form = dict(feedback_record(), form_id="community_feedback\x00")
    answer = push(team, [good, in_answer, in_choice, in_name, in_form])
    statuses = {r["uuid"]: (r["status"], r.get("code")) for r in answer["results"]}
    assert statuses[good["uuid"]] == ("stored", None)
    for record in (in_answer, in_choice, in_name, in_form):
        assert statuses[record["uuid"]] == ("rejected", "nul_character")
    admin = signed_in(team, "admin")
    assert admin.get(f"/data/record/{good['uuid']}").status_code == 200
    assert admin.get(f"/data/record/{in_answer['uuid']}").status_code == 404


def test_a_message_holding_a_nul_outside_its_records_is_refused(team):
    enroll = requests.post(
        team.url + "/api/v1/enroll",
        json={
            "protocol": "1.0",
            "code": team.enrollment_code("zone B"),
            "enrollment_id": str(uuid.uuid4()),
            "app_version": "1.0\x00",
        },
        timeout=10,
    )
    assert enroll.status_code == 400 and enroll.json()["error"]["code"] == "nul_character"
    message = protocol.batch_message(str(uuid.uuid4()), [feedback_record()], 0, "1.0\x00")
    response = post_batch(team, message, enrolled_device(team))
    assert response.status_code == 400 and response.json()["error"]["code"] == "nul_character"


def test_exports_say_their_type_once(team):
    push_records(team, [feedback_record()])
    admin = signed_in(team, "admin")
    expected = {
        "csv": "text/csv; charset=utf-8",
        "jsonl": "application/x-ndjson; charset=utf-8",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    }
    for fmt, content_type in expected.items():
        response = admin.get(f"/data/community_feedback/export.{fmt}?release=raw&reason=check")
        assert response.status_code == 200, fmt
        assert response.headers["Content-Type"] == content_type
    codebook = admin.get("/data/community_feedback/codebook.csv")
    assert codebook.headers["Content-Type"] == "text/csv; charset=utf-8"


def push(central, records) -> dict:
    """A device's push of `records`, its answer as it came (every record's result)."""
    message = protocol.batch_message(str(uuid.uuid4()), records, 0, "1.0")
    response = post_batch(central, message, enrolled_device(central))
    assert response.status_code == 200, response.text
    return response.json()
