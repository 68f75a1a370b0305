"""The sync protocol under attack: who the server is, whose bundle this is, replayed
enrollments and JSON built to exhaust the parser."""

from __future__ import annotations

import base64
import gzip
import hashlib
import hmac
import json
import os
import re
import uuid
from datetime import timedelta

import pytest
import requests
from click.testing import CliRunner
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from collector import device_keys, protocol
from collector.clock import utcnow
from support import change, database_bytes, query
from sync_server import create_app as create_server, identity
from sync_server.cli import cli as server_cli
from test_sync_api import HEADERS, assert_error, batch, push, record, stored

FINGERPRINT = re.compile(r"[0-9A-F]{4}( [0-9A-F]{4}){7}")
DEEP = b"[" * 100_000


def server_command(*args, data_dir):
    return CliRunner().invoke(
        server_cli, [*map(str, args), "--data-dir", str(data_dir)], catch_exceptions=False
    )


def enroll(central, code=None, enrollment_id=None, public_key=None):
    message = {
        "protocol": "1.0",
        "code": code or central.enrollment_code(),
        "enrollment_id": enrollment_id or str(uuid.uuid4()),
    }
    if public_key is not None:
        message["device_public_key"] = public_key
    return requests.post(central.url + "/api/v1/enroll", headers=HEADERS, json=message, timeout=10)


def events(central) -> list[str]:
    return [
        row["event"]
        for row in query(central.database, "SELECT event FROM security_events ORDER BY id")
    ]


# -- the server's identity ---------------------------------------------------------------


def test_server_identity_is_made_once_owner_only_and_stable(tmp_path):
    data_dir = tmp_path / "central"
    app = create_server(data_dir=data_dir)
    first = identity.fingerprint(data_dir)
    assert FINGERPRINT.fullmatch(first)
    key_file = data_dir / "secrets" / identity.KEY_NAME
    if os.name == "posix":
        assert key_file.stat().st_mode & 0o777 == 0o600
    # The fingerprint is the first 128 bits of SHA-256 of the raw public key.
    raw = base64.b64decode(identity.public_key_text(data_dir))
    assert first.replace(" ", "") == hashlib.sha256(raw).hexdigest()[:32].upper()
    assert create_server(data_dir=data_dir) and identity.fingerprint(data_dir) == first
    other = tmp_path / "other"
    create_server(data_dir=other)
    assert identity.fingerprint(other) != first
    assert identity.server_name(app) == ""


def test_health_and_cli_show_the_name_and_fingerprint(central):
    data_dir = central.app.config["DATA_DIR"]
    fingerprint = identity.fingerprint(data_dir)
    answer = requests.get(central.url + "/api/v1/health", timeout=10).json()
    assert answer == {
        "status": "ok",
        "protocol": protocol.PROTOCOL_VERSION,
        "server": {"name": "", "fingerprint": fingerprint},
    }
    central.app.config["SERVER_NAME_LABEL"] = "Ministry sync, Nairobi"
    named = requests.get(central.url + "/api/v1/health", timeout=10).json()
    assert named["server"] == {"name": "Ministry sync, Nairobi", "fingerprint": fingerprint}

    shown = server_command("identity", data_dir=data_dir)
    assert shown.exit_code == 0 and f"Server fingerprint: {fingerprint}" in shown.output
    added = server_command("device", "add", "--label", "Zone C laptop", data_dir=data_dir)
    lines = added.output.strip().splitlines()
    assert added.exit_code == 0
    assert lines.index(f"Server fingerprint: {fingerprint}") < len(lines) - 1
    code = lines[-1]  # the code stays the last line, for scripts
    assert re.fullmatch(r"[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", code)
    assert enroll(central, code=code).status_code == 200


def test_the_devices_page_shows_the_fingerprint_with_a_new_code(tmp_path):
    from collector.passwords import hash_secret
    from support import Browser, LiveHub
    from sync_server.store import Store

    app = create_server(data_dir=tmp_path / "central")
    Store(app.config["DATABASE"]).add_user("admin", "admin", hash_secret("long enough password"))
    live = LiveHub(app)
    try:
        admin = Browser(live.url, "en")
        admin.get("/signin")
        admin.post("/signin", {"name": "admin", "password": "long enough password"})
        admin.get("/devices")
        page = admin.post("/devices/new", {"label": "Zone D laptop"}).text
        fingerprint = identity.fingerprint(app.config["DATA_DIR"])
        assert "this server fingerprint" in page
        assert f'id="server-fingerprint">{fingerprint}<' in page
    finally:
        live.stop()


def test_the_enroll_answer_is_signed_by_the_identity_key(central):
    enrollment_id = str(uuid.uuid4())
    answer = enroll(central, enrollment_id=enrollment_id).json()
    data_dir = central.app.config["DATA_DIR"]
    assert answer["server"]["fingerprint"] == identity.fingerprint(data_dir)
    assert answer["server"]["public_key"] == identity.public_key_text(data_dir)
    assert protocol.verify_server_answer(answer, enrollment_id)
    # Another request's answer, a changed device, another key, a false fingerprint: refused.
    assert not protocol.verify_server_answer(answer, str(uuid.uuid4()))
    assert not protocol.verify_server_answer(
        dict(answer, device_id=str(uuid.uuid4())), enrollment_id
    )
    # The server holds no pseudonym key, so the answer carries none...
    assert "pseudonym_key" not in answer
    # ...and one slipped in on the way (as an older server's would be) breaks the proof.
    assert not protocol.verify_server_answer(dict(answer, pseudonym_key="a" * 64), enrollment_id)
    # Someone between the two swapping the token the answer hands over: refused.
    assert not protocol.verify_server_answer(dict(answer, device_token="b" * 43), enrollment_id)
    impostor = Ed25519PrivateKey.generate()
    impostor_key = base64.b64encode(device_keys.raw_public_key(impostor)).decode()
    swapped = dict(answer, server=dict(answer["server"], public_key=impostor_key))
    assert not protocol.verify_server_answer(swapped, enrollment_id)
    # An impostor signing with its own key cannot claim the real fingerprint.
    forged = dict(
        answer,
        server=dict(answer["server"], public_key=impostor_key),
        server_signature=device_keys.sign_with(
            impostor,
            protocol.enrollment_proof(
                answer["device_id"],
                enrollment_id,
                answer["server"]["fingerprint"],
                answer["device_token"],
            ),
        ),
    )
    assert not protocol.verify_server_answer(forged, enrollment_id)
    for broken in (
        None,
        {},
        "answer",
        dict(answer, server=None),
        dict(answer, server_signature="not base64!"),
        dict(answer, server=dict(answer["server"], public_key="AAAA")),
    ):
        assert not protocol.verify_server_answer(broken, enrollment_id)


# -- device keys -------------------------------------------------------------------------


def test_device_keys_sign_and_verify_and_never_raise(tmp_path):
    from collector.datadir import ensure_data_dir

    data_dir = ensure_data_dir(tmp_path / "hub")
    public = device_keys.public_key_text(data_dir)
    assert len(base64.b64decode(public)) == 32 and device_keys.public_key_text(data_dir) == public
    if os.name == "posix":
        key_file = data_dir / "secrets" / device_keys.KEY_NAME
        assert key_file.stat().st_mode & 0o777 == 0o600
    signature = device_keys.sign(data_dir, b"batches")
    assert device_keys.verify(public, b"batches", signature)
    other = device_keys.public_key_text(ensure_data_dir(tmp_path / "other-hub"))
    for key, payload, sig in [
        (public, b"batches!", signature),
        (other, b"batches", signature),
        (public, b"batches", signature[:-4] + "AAA="),
        (public, b"batches", "%%%"),
        (public, b"batches", None),
        ("not a key", b"batches", signature),
        (None, b"batches", signature),
        (public[:-4], b"batches", signature),
        (public, None, signature),
        (public, "batches", signature),
    ]:
        assert device_keys.verify(key, payload, sig) is False


def test_enrollment_stores_the_device_key_and_a_retry_keeps_it(central):
    key_a = base64.b64encode(device_keys.raw_public_key(Ed25519PrivateKey.generate())).decode()
    key_b = base64.b64encode(device_keys.raw_public_key(Ed25519PrivateKey.generate())).decode()
    code, enrollment_id = central.enrollment_code(), str(uuid.uuid4())
    first = enroll(central, code, enrollment_id, key_a).json()
    again = enroll(central, code, enrollment_id, key_b).json()
    assert again["device_id"] == first["device_id"]
    assert query(central.database, "SELECT public_key FROM devices") == [{"public_key": key_a}]
    # A device enrolled by an older collector (no key) gets one on its retry.
    code, enrollment_id = central.enrollment_code(), str(uuid.uuid4())
    keyless = enroll(central, code, enrollment_id).json()
    enroll(central, code, enrollment_id, key_b)
    assert query(
        central.database, "SELECT public_key FROM devices WHERE id = ?", [keyless["device_id"]]
    ) == [{"public_key": key_b}]


@pytest.mark.parametrize(
    "bad_key",
    [
        "not base64 at all",
        base64.b64encode(b"short").decode(),
        base64.b64encode(bytes(range(64))).decode(),
    ],
    ids=["not base64", "too short", "too long"],
)
def test_a_malformed_device_key_is_refused_and_nothing_enrolled(central, bad_key):
    response = enroll(central, public_key=bad_key)
    assert_error(response, 400, "invalid_message")
    assert query(central.database, "SELECT count(*) AS n FROM devices")[0]["n"] == 0


# -- point 4: replayed enrollment ----------------------------------------------------------


def _age_code(central, used_minutes_ago=None, expires_minutes_ago=None):
    """Move a used code's first use, or its expiry, into the past (as time passing would)."""
    if used_minutes_ago is not None:
        when = (utcnow() - timedelta(minutes=used_minutes_ago)).isoformat()
        change(
            central.database,
            "UPDATE enrollment_codes SET used_at = ?",
            [when.replace("+00:00", "Z")],
        )
    if expires_minutes_ago is not None:
        when = (utcnow() - timedelta(minutes=expires_minutes_ago)).isoformat()
        change(
            central.database,
            "UPDATE enrollment_codes SET expires_at = ?",
            [when.replace("+00:00", "Z")],
        )


def _token_works(central, token) -> bool:
    response = requests.get(
        central.url + "/api/v1/reconcile",
        headers=dict(HEADERS, Authorization=f"Bearer {token}"),
        timeout=10,
    )
    return response.status_code == 200


def test_a_retry_soon_after_a_lost_answer_gets_a_fresh_token(central):
    code, enrollment_id = central.enrollment_code(), str(uuid.uuid4())
    first = enroll(central, code, enrollment_id).json()
    _age_code(central, used_minutes_ago=14)
    retry = enroll(central, code, enrollment_id)
    assert retry.status_code == 200 and retry.json()["device_id"] == first["device_id"]
    assert _token_works(central, retry.json()["device_token"])
    assert not _token_works(central, first["device_token"])  # replaced, as before
    assert events(central) == ["device_enrolled", "device_enrollment_repeated"]


@pytest.mark.parametrize("used, expired", [(16, None), (60 * 24, None), (1, 1), (0, 5)])
def test_a_replayed_enrollment_after_the_window_or_expiry_gets_nothing(central, used, expired):
    code, enrollment_id = central.enrollment_code(hours=72), str(uuid.uuid4())
    first = enroll(central, code, enrollment_id).json()
    [before] = query(central.database, "SELECT token_hash FROM devices")
    _age_code(central, used_minutes_ago=used, expires_minutes_ago=expired)
    replay = enroll(central, code, enrollment_id)
    assert_error(replay, 409, "code_used")
    assert "device_token" not in replay.text and "pseudonym_key" not in replay.text
    assert query(central.database, "SELECT token_hash FROM devices") == [before]
    assert _token_works(central, first["device_token"])  # the real hub is not cut off
    assert events(central) == ["device_enrolled", "device_enrollment_refused"]
    assert query(
        central.database,
        "SELECT account, detail FROM security_events WHERE event = 'device_enrollment_refused'",
    ) == [{"account": None, "detail": "code_used"}]


# -- point 15: deeply nested JSON ------------------------------------------------------------


@pytest.mark.parametrize("gzipped", [True, False])
def test_deeply_nested_json_is_a_400_and_the_server_keeps_serving(central, gzipped):
    token = enroll(central).json()["device_token"]
    response = push(central, token, DEEP, gzipped=gzipped, raw=True)
    assert_error(response, 400, "too_deep")
    objects = b'{"a":' * 50_000
    assert_error(push(central, token, objects, gzipped=gzipped, raw=True), 400, "too_deep")
    # Deep, but inside a well-formed batch: refused before any record is looked at.
    nested = {"answers": {"message": "x"}}
    for _ in range(80):
        nested = {"inner": [nested]}
    assert_error(push(central, token, batch(record(answers=nested))), 400, "too_deep")
    enroll_body = b'{"protocol":' + b"[" * 60_000  # under the enroll size limit
    answer = requests.post(
        central.url + "/api/v1/enroll",
        data=enroll_body,
        headers=dict(HEADERS, **{"Content-Type": "application/json"}),
        timeout=10,
    )
    assert_error(answer, 400, "too_deep")
    assert requests.get(central.url + "/api/v1/health", timeout=10).json()["status"] == "ok"
    good = push(central, token, batch(record()))
    assert good.status_code == 200 and stored(central) == 1


def test_brackets_inside_strings_do_not_count_as_nesting(central):
    token = enroll(central).json()["device_token"]
    text = '[[[[{{{{ "quoted \\" [[[[ and \\\\ backslash ' + "[" * 500
    rec = record(
        answers={
            "feedback_type": "question",
            "topic": "health",
            "message": text,
            "wants_reply": "no",
        }
    )
    response = push(central, token, batch(rec))
    assert response.status_code == 200, response.text
    assert response.json()["results"][0]["status"] == "stored"


@pytest.mark.parametrize(
    "text, deep",
    [
        ("[" * 64 + "]" * 64, False),
        ("[" * 65 + "]" * 65, True),
        ('{"a":' * 64 + "1" + "}" * 64, False),
        ('{"a":' * 65 + "1" + "}" * 65, True),
        (json.dumps(["[" * 200]), False),
        (json.dumps(['\\"' + "[" * 200]), False),
        ('["\\\\"' + ",[" * 70 + "]" * 70 + "]", True),  # an escaped backslash ends no string
        (json.dumps([[1]] * 5000), False),
    ],
)
def test_depth_is_measured_outside_strings(text, deep):
    assert protocol.json_depth_exceeds(text) is deep
    if deep:
        with pytest.raises(protocol.ProtocolError) as refused:
            protocol.loads_json(text)
        assert refused.value.code == "too_deep" and refused.value.status == 400
    else:
        assert protocol.loads_json(text) == json.loads(text)


@pytest.mark.parametrize("gzipped", [True, False])
def test_import_bundle_of_deep_json_is_a_one_line_error(tmp_path, gzipped):
    data_dir = tmp_path / "central"
    create_server(data_dir=data_dir)
    bundle = tmp_path / "deep.bundle"
    bundle.write_bytes(gzip.compress(DEEP) if gzipped else DEEP)
    result = server_command("import-bundle", bundle, data_dir=data_dir)
    assert result.exit_code != 0
    assert result.output.strip().splitlines() == [
        "Error: deep.bundle: The JSON nests deeper than 64 levels."
    ]
    assert "Traceback" not in result.output


# -- point 12: bundles signed by the device's own key ----------------------------------------


@pytest.fixture
def keyed_device(central, tmp_path):
    """A device enrolled with its own key pair, and that key's folder."""
    from collector.datadir import ensure_data_dir

    hub_dir = ensure_data_dir(tmp_path / "hub")
    answer = enroll(central, public_key=device_keys.public_key_text(hub_dir)).json()
    return answer, hub_dir


def _bundle(device_id, batches, private_key=None, signature=None):
    if private_key is not None:
        return protocol.make_bundle(batches, device_id, private_key)
    envelope = {
        "kind": protocol.BUNDLE_KIND,
        "protocol": "1.0",
        "device_id": device_id,
        "signature_algorithm": "ed25519",
        "signature": signature,
        "batches": batches,
    }
    return gzip.compress(protocol.dumps(envelope))


def _import(central, tmp_path, data: bytes):
    path = tmp_path / f"{uuid.uuid4().hex[:8]}.bundle"
    path.write_bytes(data)
    return server_command("import-bundle", path, data_dir=central.app.config["DATA_DIR"])


def test_a_bundle_signed_with_the_device_key_is_imported(central, keyed_device, tmp_path):
    answer, hub_dir = keyed_device
    data = _bundle(
        answer["device_id"],
        [batch(record()), batch(record())],
        device_keys.load_private_key(hub_dir),
    )
    result = _import(central, tmp_path, data)
    assert result.exit_code == 0, result.output
    assert "2 stored, 0 already here, 0 rejected" in result.output and stored(central) == 2
    assert "bundle_imported" in events(central)


def test_nothing_in_the_server_database_can_sign_a_bundle(central, keyed_device, tmp_path):
    answer, hub_dir = keyed_device
    device_id = answer["device_id"]
    [row] = query(central.database, "SELECT token_hash, public_key FROM devices")
    batches = [batch(record())]
    payload = protocol.bundle_payload(device_id, batches)
    # The hub's private key is nowhere in the server's files.
    seed = (hub_dir / "secrets" / device_keys.KEY_NAME).read_text().strip()
    assert seed.encode() not in database_bytes(central.database)
    # What an attacker holding the database could sign with: all refused.
    token_key = bytes.fromhex(row["token_hash"])
    attempts = [
        hmac.new(token_key, payload, hashlib.sha256).hexdigest(),  # the old HMAC scheme
        device_keys.sign_with(Ed25519PrivateKey.from_private_bytes(token_key), payload),
        device_keys.sign_with(
            Ed25519PrivateKey.from_private_bytes(base64.b64decode(row["public_key"])), payload
        ),
        device_keys.sign_with(
            Ed25519PrivateKey.from_private_bytes(
                hashlib.sha256(row["token_hash"].encode()).digest()
            ),
            payload,
        ),
        "",
    ]
    for signature in attempts:
        result = _import(central, tmp_path, _bundle(device_id, batches, signature=signature))
        assert result.exit_code == 1 and "signature does not match" in result.output
    # Another device's key cannot sign for this one either.
    other = Ed25519PrivateKey.generate()
    result = _import(central, tmp_path, _bundle(device_id, batches, other))
    assert result.exit_code == 1 and "signature does not match" in result.output
    assert stored(central) == 0
    assert events(central).count("bundle_refused") == len(attempts) + 1


def test_an_unsigned_or_old_style_bundle_is_refused(central, keyed_device, tmp_path):
    answer, hub_dir = keyed_device
    batches = [batch(record())]
    envelope = {
        "kind": protocol.BUNDLE_KIND,
        "protocol": "1.0",
        "device_id": answer["device_id"],
        "signature": "0" * 64,
        "batches": batches,
    }
    result = _import(central, tmp_path, gzip.compress(protocol.dumps(envelope)))
    assert result.exit_code == 1 and "older collector" in result.output
    assert stored(central) == 0


def test_a_device_without_a_key_on_record_is_told_to_enroll_again(central, tmp_path):
    answer = enroll(central).json()  # an older collector: no key sent
    data = _bundle(answer["device_id"], [batch(record())], Ed25519PrivateKey.generate())
    result = _import(central, tmp_path, data)
    assert result.exit_code == 1 and "Enroll that hub again" in result.output
    assert len(result.output.strip().splitlines()) == 1 and stored(central) == 0
