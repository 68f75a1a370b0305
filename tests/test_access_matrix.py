"""Who may call what: every route of both apps, for every kind of caller, on real servers.

Each route (URL rule and method) of the hub and of the central server is listed below with
the answer each caller gets. A route that is not listed fails the test, so a new page or API
cannot ship without someone deciding who may use it.

Answers: "ok" (served, or refused for its input: the caller got past the access check),
"signin" (sent to sign in), "forbidden" (403), "unauthorized" (401, the APIs),
"hidden" (404: the thing is not shown to this caller, or does not exist for anyone).
"""

from __future__ import annotations

import json
import uuid

import pytest
import requests

from collector import protocol
from collector.db import open_database
from collector.passwords import hash_secret
from collector.users import add_user
from filling import SURVEY_ANSWERS, fill_form
from support import Browser
from sync_server.forms import publish
from sync_server.store import Store
from test_data_table import FORM as TABLE_FORM
from test_forms import minimal_form

PASSWORD = "a long enough passphrase"
HUB_CALLERS = ("anonymous", "kiosk", "enumerator", "operator")
CENTRAL_CALLERS = ("anonymous", "device", "viewer", "analyst", "admin")


def hub_expectations(level: str) -> dict:
    """The answers of a hub route open to `level` and above."""
    if level == "public":
        return dict.fromkeys(HUB_CALLERS, "ok")
    if level == "enumerator":
        return {"anonymous": "signin", "kiosk": "signin", "enumerator": "ok", "operator": "ok"}
    if level == "operator":
        return {
            "anonymous": "signin",
            "kiosk": "signin",
            "enumerator": "forbidden",
            "operator": "ok",
        }
    if level == "operator_nothing_waiting":  # the operator's, but no form awaits a decision
        return dict(hub_expectations("operator"), operator="hidden")
    if level == "own_record":  # an enumerator's own record: other accounts do not see it
        return {"anonymous": "signin", "kiosk": "signin", "enumerator": "ok", "operator": "hidden"}
    raise ValueError(level)


def central_expectations(level: str) -> dict:
    rank = {"viewer": 0, "analyst": 1, "admin": 2}
    if level == "public":
        return dict.fromkeys(CENTRAL_CALLERS, "ok")
    if level == "device":
        # Device APIs take a device token only: a signed-in person's cookie is not one.
        return {
            caller: "ok" if caller == "device" else "unauthorized" for caller in CENTRAL_CALLERS
        }
    if level == "personal_token":
        # The records API takes personal API tokens only (see test_records_api_by_token).
        return dict.fromkeys(CENTRAL_CALLERS, "unauthorized")
    expected = {"anonymous": "signin", "device": "signin"}
    if level == "own_token":  # another person's token is not even shown to exist
        return dict(expected, viewer="hidden", analyst="hidden", admin="ok")
    if level == "released_record":
        # The server holds one record: alone in its group, the disclosure check leaves it
        # out of what analysts see (as if it did not exist); admins see it as stored.
        return dict(expected, viewer="forbidden", analyst="hidden", admin="ok")
    if level == "viewer_nothing_to_map":
        return dict(expected, viewer="hidden", analyst="hidden", admin="hidden")
    for role in rank:
        expected[role] = "ok" if rank[role] >= rank[level] else "forbidden"
    return expected


# (endpoint, method, path template, level). {record} is a record of the enumerator's.
HUB_ROUTES = [
    ("hub.index", "GET", "/", "public"),
    ("hub.connect", "GET", "/connect", "public"),
    ("hub.qr", "GET", "/connect/qr/feedback/0.svg", "public"),
    ("hub.csrf_token", "GET", "/csrf-token", "public"),
    ("hub.healthz", "GET", "/healthz", "public"),
    ("hub.manifest", "GET", "/manifest.webmanifest", "public"),
    ("hub.service_worker", "GET", "/sw.js", "public"),
    ("static", "GET", "/static/css/hub.css", "public"),
    ("feedback.kiosk", "GET", "/feedback", "public"),
    ("feedback.submit", "POST", "/feedback", "public"),
    ("feedback.thanks", "GET", "/feedback/thanks", "public"),
    ("auth.signin", "GET", "/signin", "public"),
    ("interview.start", "GET", "/forms/community_survey", "enumerator"),
    ("interview.phone", "GET", "/forms/community_survey/phone", "enumerator"),
    ("interview.submit_whole", "POST", "/forms/community_survey/submit", "enumerator"),
    ("interview.record_list", "GET", "/records", "enumerator"),
    ("interview.page", "GET", "/records/{record}/0", "own_record"),
    ("interview.page", "POST", "/records/{record}/0", "own_record"),
    ("interview.resume", "GET", "/records/{record}/resume", "own_record"),
    ("interview.review", "GET", "/records/{record}/review", "own_record"),
    ("interview.saved", "GET", "/records/{record}/saved", "own_record"),
    ("interview.finalize_record", "POST", "/records/{record}/finalize", "own_record"),
    ("interview.attachment", "GET", "/records/{record}/files/{hub_file}", "own_record"),
    # Prompts in sound and picture: for whoever may fill the form (the kiosk's: anyone).
    ("interview.prompt", "GET", "/prompts/community_survey/{survey_prompt}", "enumerator"),
    ("interview.prompt", "GET", "/prompts/community_feedback/{kiosk_prompt}", "public"),
    ("sync.page", "GET", "/sync", "enumerator"),
    ("sync.sync_now", "POST", "/sync/now", "enumerator"),
    ("sync.preview", "GET", "/sync/preview/{record}", "own_record"),
    ("sync.enroll_page", "POST", "/sync/enroll", "operator"),
    ("sync.enroll_confirm", "POST", "/sync/enroll/confirm", "operator"),
    ("sync.accept_form", "POST", "/sync/forms/accept", "operator_nothing_waiting"),
    ("sync.review_page", "GET", "/sync/review", "operator"),
    # An empty POST names nothing to release: 400 for the operator, past the access check.
    ("sync.release_held", "POST", "/sync/review", "operator"),
]
# Routes whose answer does not depend on the caller, checked on their own below.
HUB_SPECIAL = {
    ("hub.ca_certificate", "GET"),
    ("auth.signout", "POST"),
    ("auth.signin", "POST"),
    ("feedback.status", "GET"),
    ("feedback.status", "POST"),
}

CENTRAL_ROUTES = [
    ("api.health", "GET", "/api/v1/health", "public"),
    ("api.enroll", "POST", "/api/v1/enroll", "public"),
    ("api.prove_identity", "POST", "/api/v1/identity", "public"),
    ("api.push", "POST", "/api/v1/records", "device"),
    ("api.forms", "GET", "/api/v1/forms", "device"),
    ("api.form_version", "GET", "/api/v1/forms/household_visit/2", "device"),
    ("api.replies", "GET", "/api/v1/replies", "device"),
    ("api.reconcile", "GET", "/api/v1/reconcile", "device"),
    ("api.reconcile_records", "GET", "/api/v1/reconcile/records", "device"),
    ("attachments_api.manifest", "POST", "/api/v1/attachments", "device"),
    ("attachments_api.held", "GET", "/api/v1/attachments/held", "device"),
    ("attachments_api.status", "GET", "/api/v1/attachments/{attachment}", "device"),
    ("attachments_api.piece", "PUT", "/api/v1/attachments/{attachment}?offset=0", "device"),
    ("prompts_api.prompt_file", "GET", "/api/v1/prompts/{prompt}", "device"),
    ("data_api.records_api", "GET", "/api/v1/data/community_feedback", "personal_token"),
    ("data_api.release_api", "GET", "/api/v1/data/community_feedback/release", "personal_token"),
    ("indicators_api.indicators_api", "GET", "/api/v1/indicators", "personal_token"),
    (
        "indicators_api.indicator_api",
        "GET",
        "/api/v1/indicators/life_satisfaction",
        "personal_token",
    ),
    (
        "indicators_api.indicator_map_api",
        "GET",
        "/api/v1/indicators/life_satisfaction/map",
        "personal_token",
    ),
    ("auth.signin", "GET", "/signin", "public"),
    ("static", "GET", "/static/css/hub.css", "public"),
    ("dashboard.index", "GET", "/", "viewer"),
    ("dashboard.download", "GET", "/indicator.csv", "viewer"),
    ("dashboard.gap_download", "GET", "/gaps.csv?view=life_satisfaction&by=gender", "viewer"),
    # No published form carries boundaries here: a map is "not found" (tests/test_maps.py).
    ("dashboard.map_download", "GET", "/map.svg?by=area", "viewer_nothing_to_map"),
    ("retention.index", "GET", "/retention", "admin"),
    ("retention.set_period", "POST", "/retention/community_feedback", "admin"),
    (
        "retention.confirm_removal",
        "GET",
        "/retention/remove?form=community_feedback&before=2020-01-01",
        "admin",
    ),
    ("retention.remove", "POST", "/retention/remove", "admin"),
    ("retention.confirm_purge", "GET", "/retention/purge", "admin"),
    ("retention.purge_now", "POST", "/retention/purge", "admin"),
    ("accounts.account", "GET", "/account", "viewer"),
    ("accounts.change_password", "POST", "/account/password", "viewer"),
    ("accounts.create_token", "POST", "/account/tokens", "analyst"),
    ("accounts.revoke_token", "POST", "/account/tokens/{admins_token}/revoke", "own_token"),
    ("data.index", "GET", "/data", "analyst"),
    ("data.browse", "GET", "/data/community_feedback", "analyst"),
    ("data.export", "GET", "/data/community_feedback/export.csv", "analyst"),
    ("data.repeat_view", "GET", "/data/table_test/repeat/people", "analyst"),
    ("data.codebook", "GET", "/data/community_feedback/codebook.csv", "analyst"),
    ("data.release_report", "GET", "/data/community_feedback/release", "analyst"),
    ("data.record", "GET", "/data/record/{record}", "released_record"),
    ("data.review", "POST", "/data/record/{record}/review", "analyst"),
    ("data.correct", "POST", "/data/record/{record}/correct", "released_record"),
    # A photo of a record: the record page's checks (its record is withheld from analysts).
    (
        "attachments.file_of_record",
        "GET",
        "/data/record/{photo_record}/file/photo/{attachment}",
        "released_record",
    ),
    ("attachments.attachments_zip", "GET", "/data/site_photos/attachments.zip", "analyst"),
    (
        "attachments_files_api.file_by_token",
        "GET",
        "/api/v1/data/site_photos/files/{photo_record}/photo/{attachment}",
        "personal_token",
    ),
    ("feedback.queue", "GET", "/feedback", "analyst"),
    ("feedback.case", "GET", "/feedback/{record}", "analyst"),
    ("feedback.case", "POST", "/feedback/{record}", "analyst"),
    ("devices.index", "GET", "/devices", "admin"),
    ("devices.add", "POST", "/devices/new", "admin"),
    ("devices.revoke", "POST", "/devices/{spare_device}/revoke", "admin"),
    ("forms.index", "GET", "/forms", "admin"),
    ("forms.upload", "POST", "/forms", "admin"),
    ("forms.preview", "GET", "/forms/preview/{pending_form}", "admin"),
    ("forms.publish_pending", "POST", "/forms/preview/{pending_form}/publish", "admin"),
    ("help_contacts.index", "GET", "/help-contacts", "admin"),
    ("help_contacts.add", "POST", "/help-contacts", "admin"),
    ("help_contacts.edit", "GET", "/help-contacts/{help_contact}", "admin"),
    ("help_contacts.save", "POST", "/help-contacts/{help_contact}", "admin"),
    ("help_contacts.remove", "POST", "/help-contacts/{help_contact}/remove", "admin"),
    ("accounts.users", "GET", "/users", "admin"),
    ("accounts.add_user", "POST", "/users", "admin"),
    ("accounts.change_role", "POST", "/users/{spare_user}/role", "admin"),
    ("accounts.disable", "POST", "/users/{spare_user}/disable", "admin"),
    ("accounts.enable", "POST", "/users/{spare_user}/enable", "admin"),
    ("accounts.set_password", "POST", "/users/{spare_user}/password", "admin"),
    ("security_pages.index", "GET", "/security-log", "admin"),
]
CENTRAL_SPECIAL = {("auth.signout", "POST"), ("auth.signin", "POST")}


def answer_of(response: requests.Response) -> str:
    status = response.status_code
    if status in (301, 302, 303, 307, 308):
        return "signin" if "/signin" in response.headers.get("Location", "") else "ok"
    return {401: "unauthorized", 403: "forbidden", 404: "hidden", 429: "throttled"}.get(
        status, "error" if status >= 500 else "ok"
    )


def content_type_problem(response: requests.Response) -> str | None:
    """ASVS 4.1.1: a body comes with its Content-Type, and text says its charset."""
    if not response.content:
        return None
    kind = response.headers.get("Content-Type", "")
    textual = kind.startswith("text/") or kind.split(";")[0] in (
        "application/json",
        "application/x-ndjson",
        "image/svg+xml",
        "application/manifest+json",
        "application/javascript",
    )
    if not kind or (textual and "charset=utf-8" not in kind.lower()):
        return f"Content-Type {kind!r}"
    return None


def wrong_answers(caller, routes, values: dict, expected_for) -> list[str]:
    """Every route called once by `caller`: the answers that differ from the matrix."""
    wrong = []
    for endpoint, method, template, level in routes:
        response = caller.call(method, template.format(**values))
        got, expected = answer_of(response), expected_for(level)
        if got != expected:
            wrong.append(f"{method} {template} ({endpoint}): {got}, expected {expected}")
        if content_type_problem(response):
            wrong.append(f"{method} {template}: {content_type_problem(response)}")
    return wrong


def routes_of(app) -> set:
    return {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        for method in rule.methods - {"HEAD", "OPTIONS"}
    }


class Caller:
    """One kind of caller: a browser session (with its CSRF token) or a bearer token."""

    def __init__(self, base: str, token: str | None = None):
        self.browser = Browser(base, "en")
        self.token = token

    def csrf(self) -> str:
        # Any page with a form carries the session's token; the sign-in page always does.
        for path in ("/signin", "/", "/feedback"):
            response = self.browser.get(path)
            if 'name="csrf_token"' in response.text:
                return self.browser.csrf()
        raise AssertionError("no page with a CSRF token")

    def call(self, method: str, path: str) -> requests.Response:
        headers = {protocol.VERSION_HEADER: protocol.PROTOCOL_VERSION}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        url = self.browser.base + path
        if method == "GET":
            return self.browser.session.get(url, headers=headers, allow_redirects=False, timeout=30)
        data = {"csrf_token": self.csrf()}
        return self.browser.session.request(
            method, url, data=data, headers=headers, allow_redirects=False, timeout=30
        )


# -- the hub ------------------------------------------------------------------------------


def builtin_prompts() -> dict:
    """A recorded prompt of the survey's and of the kiosk form's first question."""
    from collector.forms import builtin_forms

    found = {}
    for key, form_id in (
        ("survey_prompt", "community_survey"),
        ("kiosk_prompt", "community_feedback"),
    ):
        form = builtin_forms()[form_id]
        found[key] = form.prompts(form.sections[0]["questions"][0], "en")[0][1]
    return found


@pytest.fixture
def hub_callers(hub):
    db = open_database(hub.app.config["DATABASE"])
    try:
        add_user(db, "olu", "7305", role="operator")
    finally:
        db.close()
    enumerator = Caller(hub.url)
    enumerator.browser.signin()
    record = fill_form(enumerator.browser, "community_survey", SURVEY_ANSWERS, finalize=False)
    hub_file = hub_attachment(hub, record)
    operator = Caller(hub.url)
    operator.browser.signin("olu", "7305")
    kiosk = Caller(hub.url)
    kiosk.browser.get("/feedback")  # a community member's phone with a kiosk session
    callers = {
        "anonymous": Caller(hub.url),
        "kiosk": kiosk,
        "enumerator": enumerator,
        "operator": operator,
    }
    return hub, callers, {"record": record, "hub_file": hub_file, **builtin_prompts()}


def hub_attachment(hub, record: str) -> str:
    """A photo kept on the hub for the enumerator's record (the page's file route)."""
    import io

    from PIL import Image

    from collector.attachments import store_attachment

    photo = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(photo, "JPEG")
    db = open_database(hub.app.config["DATABASE"])
    try:
        stored = store_attachment(
            db,
            hub.app.config["DATA_DIR"],
            record,
            "comments",
            "p.jpg",
            photo.getvalue(),
            "image/jpeg",
        )
    finally:
        db.close()
    return stored["name"]


def test_every_hub_route_is_in_the_matrix(hub):
    listed = {(endpoint, method) for endpoint, method, _, _ in HUB_ROUTES}
    assert routes_of(hub.app) == listed | HUB_SPECIAL


@pytest.mark.parametrize("caller", HUB_CALLERS)
def test_hub_access_matrix(hub_callers, caller):
    hub, callers, values = hub_callers
    wrong = wrong_answers(
        callers[caller], HUB_ROUTES, values, lambda level: hub_expectations(level)[caller]
    )
    assert not wrong, "\n".join(wrong)


def test_hub_routes_open_to_everyone_whoever_calls(hub):
    phone = Caller(hub.url)
    # A wrong PIN is answered 401 with the sign-in page, whoever asks.
    assert phone.call("POST", "/signin").status_code == 401
    # No HTTPS on this hub: there is no certificate to offer anyone.
    assert answer_of(phone.call("GET", "/connect/hub-ca.crt")) == "hidden"
    assert answer_of(phone.call("GET", "/feedback/status")) == "ok"
    assert answer_of(phone.call("POST", "/feedback/status")) == "ok"
    assert answer_of(phone.call("POST", "/signout")) == "ok"


# -- the central server -------------------------------------------------------------------


def feedback_record(kind: str = "question") -> dict:
    return {
        "uuid": str(uuid.uuid4()),
        "revision": 1,
        "form_id": "community_feedback",
        "form_version": "1",
        "locale": "en",
        "collected": "2026-11-20",
        "enumerator": None,
        "answers": {
            "feedback_type": kind,
            "topic": "health",
            "message": "When does the clinic open?",
            "wants_reply": "yes",
        },
    }


def enroll_device(central, label: str) -> dict:
    response = requests.post(
        central.url + "/api/v1/enroll",
        json={
            "protocol": "1.0",
            "code": central.enrollment_code(label),
            "enrollment_id": str(uuid.uuid4()),
        },
        timeout=10,
    )
    assert response.status_code == 200, response.text
    return response.json()


def push(central, token: str, record: dict) -> None:
    body = protocol.compress(
        protocol.dumps(protocol.batch_message(str(uuid.uuid4()), [record], 0, "test"))
    )
    response = requests.post(
        central.url + "/api/v1/records",
        data=body,
        timeout=30,
        headers={
            protocol.VERSION_HEADER: "1.0",
            "Authorization": f"Bearer {token}",
            "Content-Encoding": "gzip",
            "Content-Type": "application/json",
        },
    )
    assert response.status_code == 200, response.text


@pytest.fixture
def central_callers(central):
    from sync_server import api_tokens

    # Every caller's refused token counts against one client (loopback): the matrix is
    # about who may call what, so the delays after failed tokens must not start.
    central.app.config["API_AUTH_FREE_ATTEMPTS"] = 1_000_000
    central.app.extensions.pop("api_auth_throttle", None)
    store = Store(central.database)
    ids = {
        role: store.add_user(f"{role}1", role, hash_secret(PASSWORD))
        for role in ("viewer", "analyst", "admin")
    }
    spare_user = store.add_user("spare1", "viewer", hash_secret(PASSWORD))
    admins_token, _ = api_tokens.create(store.db, ids["admin"], "matrix")
    help_contact = store.add_help_contact(
        {
            "area": "",
            "name": "Helpline",
            "description": "",
            "phone": "116",
            "hours": "",
            "languages": [],
        },
        "admin1",
    )
    publish(store, json.dumps(minimal_form()), "admin1")
    publish(store, json.dumps(TABLE_FORM), "admin1")  # a repeat's table (data.repeat_view)
    # A form the admin checked on the Forms page, waiting in preview for "Publish".
    store.add_pending_form(
        "matrix-pending",
        str(ids["admin"]),
        json.dumps(minimal_form(version="3")),
        json.dumps({}),
        "2999-01-01T00:00:00Z",
    )
    store.close()
    device = enroll_device(central, "zone A")
    spare_device = enroll_device(central, "zone B")
    record = feedback_record()
    push(central, device["device_token"], record)
    photo_record, attachment = record_with_photo(central, device["device_token"])
    prompt = published_prompt(central)
    callers = {
        "anonymous": Caller(central.url),
        "device": Caller(central.url, token=device["device_token"]),
    }
    for role in ("viewer", "analyst", "admin"):
        callers[role] = Caller(central.url)
        callers[role].browser.get("/signin")
        response = callers[role].browser.post("/signin", {"name": f"{role}1", "password": PASSWORD})
        assert response.status_code == 200, response.text[:300]
    values = {
        "record": record["uuid"],
        "spare_device": spare_device["device_id"],
        "spare_user": spare_user,
        "admins_token": admins_token,
        "pending_form": "matrix-pending",
        "photo_record": photo_record,
        "attachment": attachment,
        "prompt": prompt,
        "help_contact": help_contact,
    }
    return central, callers, values


def published_prompt(central) -> str:
    """A form published with a recorded prompt (sync_server.prompts); its SHA-256."""
    import hashlib

    recording = b"OggS\x00 a recorded question"
    form = minimal_form(form_id="prompted_visit", version="1")
    form["sections"][0]["questions"][0]["media"] = {"audio": {"en": "question.ogg"}}
    form["media_files"] = {"question.ogg": hashlib.sha256(recording).hexdigest()}
    store = Store(central.database)
    try:
        publish(
            store,
            json.dumps(form),
            "admin1",
            {"question.ogg": recording},
            central.app.config["DATA_DIR"],
        )
    finally:
        store.close()
    return form["media_files"]["question.ogg"]


# A form whose photo question lets files leave the laptop (sync_server.attachments).
PHOTO_FORM = {
    "form_id": "site_photos",
    "version": "1",
    "title": {"en": "Site photos"},
    "sections": [
        {
            "name": "main",
            "label": {"en": "Main"},
            "questions": [
                {
                    "name": "area",
                    "type": "select_one",
                    "choices": "areas",
                    "label": {"en": "Area"},
                    "disclosure": "key",
                    "hierarchy": "merge_rare",
                },
                {"name": "photo", "type": "text", "privacy": "keep", "label": {"en": "Photo"}},
            ],
        }
    ],
    "choices": {"areas": [{"name": "north", "label": {"en": "North"}}]},
}


def record_with_photo(central, token: str) -> tuple[str, str]:
    """A record of PHOTO_FORM and its photo, sent as a hub sends them; (uuid, sha256)."""
    import hashlib

    store = Store(central.database)
    publish(store, json.dumps(PHOTO_FORM), "admin1")
    store.close()
    data = b"\xff\xd8\xff\xe0 a small photo"
    sha256 = hashlib.sha256(data).hexdigest()
    record = {
        "uuid": str(uuid.uuid4()),
        "revision": 1,
        "form_id": "site_photos",
        "form_version": "1",
        "locale": "en",
        "collected": "2026-11-20",
        "enumerator": None,
        "answers": {"area": "north", "photo": f"{sha256}.jpg"},
    }
    push(central, token, record)
    headers = {
        "Authorization": f"Bearer {token}",
        protocol.VERSION_HEADER: protocol.PROTOCOL_VERSION,
    }
    answer = requests.post(
        central.url + "/api/v1/attachments",
        headers=headers,
        timeout=10,
        json={
            "attachments": [
                {
                    "uuid": record["uuid"],
                    "revision": 1,
                    "question": "photo",
                    "sha256": sha256,
                    "size": len(data),
                    "media_type": "image/jpeg",
                }
            ]
        },
    ).json()
    assert answer["attachments"][0]["status"] == "partial", answer
    stored = requests.put(
        f"{central.url}/api/v1/attachments/{sha256}?offset=0",
        data=data,
        headers=headers,
        timeout=10,
    )
    assert stored.json()["complete"], stored.text
    return record["uuid"], sha256


def test_every_central_route_is_in_the_matrix(central):
    listed = {(endpoint, method) for endpoint, method, _, _ in CENTRAL_ROUTES}
    assert routes_of(central.app) == listed | CENTRAL_SPECIAL


@pytest.mark.parametrize("caller", CENTRAL_CALLERS)
def test_central_access_matrix(central_callers, caller):
    central, callers, values = central_callers
    wrong = wrong_answers(
        callers[caller], CENTRAL_ROUTES, values, lambda level: central_expectations(level)[caller]
    )
    assert not wrong, "\n".join(wrong)


def test_records_api_by_token(central_callers):
    """Personal tokens: an analyst's and an admin's read records; a device's token does not."""
    from sync_server import api_tokens

    central, callers, values = central_callers
    store = Store(central.database)
    try:
        ids = {row["name"]: row["id"] for row in store.db.query("SELECT id, name FROM users")}
        tokens = {
            role: api_tokens.create(store.db, ids[f"{role}1"], "matrix")[1]
            for role in ("analyst", "admin")
        }
    finally:
        store.close()
    path = "/api/v1/data/community_feedback"
    for role, token in tokens.items():
        assert answer_of(Caller(central.url, token=token).call("GET", path)) == "ok", role
    assert answer_of(callers["device"].call("GET", path)) == "unauthorized"
    assert (
        answer_of(Caller(central.url, token="cfc_" + "x" * 43).call("GET", path)) == "unauthorized"
    )


def test_signing_in_and_out_answer_everyone_alike(central):
    person = Caller(central.url)
    assert person.call("POST", "/signin").status_code == 401
    # Signing out, signed in or not, leads back to the sign-in page.
    assert answer_of(person.call("POST", "/signout")) == "signin"
