"""Protocol v1 over HTTP: health, enrollment, push, pull of forms and replies, reconciliation.

A push may ask (protocol 1.1) for what the pulls and the reconciliation fetch, in its own
answer: one round trip for a whole sync."""

from __future__ import annotations

import functools
import hashlib
import re
import secrets
import sqlite3
import uuid as uuid_module
from collections import Counter
from datetime import timedelta

from flask import Blueprint, Response, current_app, g, jsonify, request
from werkzeug.http import parse_etags, quote_etag

from collector import device_keys, protocol
from collector.clock import parse_iso, utcnow
from collector.errors import DEFAULT_MIN_FREE_BYTES, disk_problem, is_disk_full
from collector.protocol import API_PREFIX, ProtocolError
from collector.security_log import device_account, log_event

from . import identity, logs
from .enrollment import code_hash
from .ingest import ingest_batch
from .store import Store, get_store

bp = Blueprint("api", __name__, url_prefix=API_PREFIX)
PAGE_SIZE = 1000
# A cursor: digits SQLite can hold (a longer one is a bad request, not a crash).
WHOLE_NUMBER = re.compile(r"[0-9]{1,18}")
# A hub whose enroll answer was lost asks again with the same enrollment id, at once.
RETRY_WINDOW = timedelta(minutes=15)


@bp.errorhandler(ProtocolError)
def protocol_error(error: ProtocolError):
    return jsonify(error.as_json()), error.status


def device_required(view):
    """The device named by its bearer token; a revoked one is told so, never served."""

    @functools.wraps(view)
    def wrapped(**kwargs):
        protocol.check_version(request.headers.get(protocol.VERSION_HEADER))
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token:
            raise ProtocolError("token_missing", "Send the device token.", 401)
        device = get_store().device_by_token(protocol.token_hash(token.strip()))
        if device is None:
            raise ProtocolError("token_unknown", "This device token is not known here.", 401)
        if device["revoked_at"]:
            raise ProtocolError(
                "device_revoked",
                "This device was revoked by the central team; "
                "it keeps its data but can no longer sync.",
                403,
            )
        g.device = device
        get_store().touch_device(device["id"])
        return view(**kwargs)

    return wrapped


def read_message(limit_compressed: int = protocol.MAX_BATCH_BYTES) -> dict:
    body = request.get_data(cache=False)
    if len(body) > limit_compressed:
        raise ProtocolError("too_large", "The batch is larger than the server accepts.", 413)
    encoding = request.headers.get("Content-Encoding", "").strip().lower()
    encoding = "" if encoding == "identity" else encoding
    if encoding and encoding not in protocol.ENCODINGS:
        raise ProtocolError(
            "bad_encoding",
            f"Content-Encoding {encoding[:20]} is not "
            f"accepted; send {' or '.join(protocol.ENCODINGS)}.",
            415,
        )
    return protocol.decode_body(body, encoding)


@bp.route("/health")
def health():
    server = identity.describe(current_app)
    data_dir = current_app.config["DATA_DIR"]
    problem = disk_problem(
        data_dir, current_app.config.get("MIN_FREE_BYTES", DEFAULT_MIN_FREE_BYTES)
    )
    if problem is None:
        try:
            get_store().db.execute("SELECT 1").fetchone()
        except sqlite3.OperationalError as error:
            if not is_disk_full(error, data_dir):
                raise
            problem = "The database cannot be opened: the disk is full."
    if problem:
        return {
            "status": "disk_full",
            "protocol": protocol.PROTOCOL_VERSION,
            "message": problem,
            "server": _public(server),
        }, 503
    return {"status": "ok", "protocol": protocol.PROTOCOL_VERSION, "server": _public(server)}


def _public(server: dict) -> dict:
    return {"name": server["name"], "fingerprint": server["fingerprint"]}


@bp.route("/identity", methods=["POST"])
def prove_identity():
    """Sign the hub's nonce with the identity key. No token is asked: the hub asks this
    before it trusts the server with one."""
    message = read_message(4 * 1024)
    nonce = message.get("nonce") if isinstance(message, dict) else None
    if not protocol.valid_nonce(nonce):
        raise ProtocolError(
            "invalid_message",
            f"nonce must be {protocol.MIN_NONCE} to {protocol.MAX_NONCE} ASCII characters.",
        )
    return {
        "protocol": protocol.PROTOCOL_VERSION,
        "nonce": nonce,
        "server": identity.describe(current_app),
        "signature": identity.sign_challenge(current_app, nonce),
    }


@bp.route("/enroll", methods=["POST"])
def enroll():
    message = protocol.load(protocol.EnrollSchema(), read_message(64 * 1024))
    protocol.check_version(message["protocol"])
    store = get_store()
    token = secrets.token_urlsafe(32)
    try:
        with store.transaction():
            device_id = _claim_code(store, message, protocol.token_hash(token))
    except ProtocolError as refusal:
        with store.transaction():
            log_event(store.db, "device_enrollment_refused", detail=refusal.code)
        raise
    enrollment_id = str(message["enrollment_id"])
    # No pseudonym key: the server never holds it (laptops get it from the data custodian).
    return {
        "protocol": protocol.PROTOCOL_VERSION,
        "device_id": device_id,
        "device_token": token,
        "server": identity.describe(current_app),
        "server_signature": identity.sign_enrollment(current_app, device_id, enrollment_id, token),
    }


def _claim_code(store: Store, message: dict, new_token_hash: str) -> str:
    hashed = code_hash(message["code"])
    code = store.enrollment_code(hashed)
    enrollment_id = str(message["enrollment_id"])
    public_key = _device_key(message.get("device_public_key"))
    if code is None:
        raise ProtocolError(
            "code_unknown",
            "This enrollment code is not known. Check it with the central team.",
            404,
        )
    if code["used_at"]:
        if code["enrollment_id"] == enrollment_id and _retry_allowed(code):
            # The same collector asking again after a lost answer: give it a fresh token.
            store.replace_token(code["device_id"], new_token_hash, public_key)
            log_event(store.db, "device_enrollment_repeated", device_account(code["device_id"]))
            return code["device_id"]
        raise ProtocolError(
            "code_used",
            "This enrollment code was already used. Ask the central team for a new one.",
            409,
        )
    if parse_iso(code["expires_at"]) < utcnow():
        raise ProtocolError(
            "code_expired",
            "This enrollment code has expired. Ask the central team for a new one.",
            410,
        )
    device_id = str(uuid_module.uuid4())
    store.enroll_device(
        hashed,
        device_id,
        code["label"],
        new_token_hash,
        enrollment_id,
        message["app_version"],
        public_key,
    )
    log_event(store.db, "device_enrolled", device_account(device_id), code["label"])
    return device_id


def _retry_allowed(code: dict) -> bool:
    """A lost answer is retried at once: only within RETRY_WINDOW of the first use, and never
    after the code expired (a captured request replayed later gets nothing)."""
    now = utcnow()
    return now <= parse_iso(code["used_at"]) + RETRY_WINDOW and now <= parse_iso(code["expires_at"])


def _device_key(text) -> str | None:
    """The enrolling hub's bundle-signing key, checked to be one; absent is allowed (an
    older collector), a malformed one is refused."""
    if text in (None, ""):
        return None
    if device_keys.parse_public_key(text) is None:
        raise ProtocolError(
            "invalid_message",
            "device_public_key is not an Ed25519 public key (base64 of 32 bytes).",
        )
    return text


@bp.route("/records", methods=["POST"])
@device_required
def push():
    wants = _push_wants()  # checked before anything is stored
    message = read_message()
    status, answer = ingest_batch(get_store(), g.device, message, source="push")
    logs.event(
        "ingest_batch",
        device=g.device["id"],
        status=status,
        **Counter(result["status"] for result in answer["results"]),
    )
    if isinstance(message, dict) and protocol.COLUMNS_KEY in message:
        answer = protocol.compact_results(answer)  # a 1.1 client: a letter per record
    # After the commit: the digest counts this batch, as a reconcile GET now would.
    answer.update(_extras(wants))
    return jsonify(answer), status


def _push_wants() -> dict:
    """What the push asks to find in its answer: {"forms": etag or "", "replies": cursor,
    "reconcile": True}, each only when asked for."""
    asked = [w for w in request.args.get("want", "").split(",") if w]
    unknown = sorted(set(asked) - set(protocol.PUSH_WANTS))
    if unknown:
        raise ProtocolError(
            "invalid_message",
            f"want: unknown {', '.join(unknown)[:100]}; ask for {', '.join(protocol.PUSH_WANTS)}.",
        )
    wants: dict[str, str | int | bool] = {}
    if "forms" in asked:
        etag = request.args.get("forms_etag", "")
        if len(etag) > protocol.MAX_ETAG_LENGTH:
            raise ProtocolError("invalid_message", "forms_etag is too long.")
        wants["forms"] = etag
    if "replies" in asked:
        wants["replies"] = _cursor(request.args.get("replies_after", "0"), "replies_after")
    if "reconcile" in asked:
        wants["reconcile"] = True
    return wants


def _extras(wants: dict) -> dict:
    extras = {}
    if "forms" in wants:
        etag, content = _forms_listing()
        unchanged = parse_etags(wants["forms"]).contains(etag)
        extras["forms"] = {
            "etag": quote_etag(etag),
            **({"unchanged": True} if unchanged else content),
        }
    if "replies" in wants:
        extras["replies"] = _replies_page(wants["replies"])
    if "reconcile" in wants:
        extras["reconcile"] = _digest()
    return extras


def _cursor(text: str, name: str) -> int:
    if not WHOLE_NUMBER.fullmatch(text):
        raise ProtocolError("invalid_message", f"{name} must be a whole number.")
    return int(text)


def _forms_listing() -> tuple[str, dict]:
    """(ETag, {"forms": published form versions}) as GET /forms gives them, each version
    with the prompt files the server holds for it (sync_server.prompts), and the help
    contacts (sync_server.help_contacts) when there are any: a list without them is the
    same bytes, and the same ETag, as before, and an older hub reads past them."""
    from .help_contacts import listed_for_hubs
    from .prompts import with_prompt_files

    store = get_store()
    listing = [
        {"form_id": f["form_id"], "version": f["version"], "hash": f["hash"]}
        for f in store.published_forms()
    ]
    content: dict = {"forms": with_prompt_files(store, listing)}
    help_contacts = listed_for_hubs(store)
    if help_contacts:
        content["help_contacts"] = help_contacts
    return hashlib.sha256(protocol.dumps(content)).hexdigest()[:32], content


@bp.route("/forms")
@device_required
def forms():
    etag, content = _forms_listing()
    if request.if_none_match.contains(etag):
        return Response(status=304, headers={"ETag": f'"{etag}"'})
    response = jsonify(protocol=protocol.PROTOCOL_VERSION, **content)
    response.set_etag(etag)
    return response


@bp.route("/forms/<form_id>/<version>")
@device_required
def form_version(form_id: str, version: str):
    definition = get_store().form_definition(form_id, version)
    if definition is None:
        raise ProtocolError("unknown_form", f"No form {form_id} version {version}.", 404)
    return Response(definition, mimetype="application/json")


@bp.route("/replies")
@device_required
def replies():
    return {
        "protocol": protocol.PROTOCOL_VERSION,
        **_replies_page(_cursor(request.args.get("after", "0"), "after")),
    }


def _replies_page(after: int) -> dict:
    """The next page of replies for this device; `complete` when no more follow it."""
    rows = get_store().replies_for_device(g.device["id"], after, PAGE_SIZE)
    cursor = rows[-1]["seq"] if rows else after
    return {
        "after": cursor,
        "complete": len(rows) < PAGE_SIZE,
        "replies": [
            {k: r[k] for k in ("id", "record_uuid", "message", "locale", "created_at")}
            for r in rows
        ],
    }


@bp.route("/reconcile")
@device_required
def reconcile():
    return {"protocol": protocol.PROTOCOL_VERSION, **_digest()}


def _digest() -> dict:
    """The device's records, and its attachments held whole (sync_server.attachments)."""
    from .attachments import device_digest

    count, digest = protocol.record_set_digest(get_store().record_pairs(g.device["id"]))
    return {
        "count": count,
        "digest": digest,
        "attachments": device_digest(get_store(), g.device["id"]),
    }


@bp.route("/reconcile/records")
@device_required
def reconcile_records():
    after_uuid = request.args.get("after_uuid", "")
    after_revision = request.args.get("after_revision", "0")
    if not WHOLE_NUMBER.fullmatch(after_revision):
        raise ProtocolError("invalid_message", "after_revision must be a whole number.")
    pairs = get_store().record_pairs(g.device["id"], (after_uuid, int(after_revision)), PAGE_SIZE)
    return {
        "protocol": protocol.PROTOCOL_VERSION,
        "records": [{"uuid": u, "revision": r} for u, r in pairs],
        "complete": len(pairs) < PAGE_SIZE,
    }
