"""Sync protocol v1: the wire format both the collector and the sync server speak.

One definition of every message, its limits and its encoding; docs/protocol.md
describes it for people. The server imports this module, never a copy of it.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
import zlib
from itertools import accumulate, repeat
from typing import Iterable

from marshmallow import RAISE, Schema, ValidationError, fields, validate

from . import device_keys

PROTOCOL_VERSION = "1.0"
VERSION_HEADER = "X-Feedback-Protocol"
API_PREFIX = "/api/v1"

# Limits both sides enforce: the client sizes batches under them, the server refuses above.
MAX_BATCH_BYTES = 1024 * 1024  # compressed, as sent
MAX_DECOMPRESSED_BYTES = 16 * 1024 * 1024
MAX_RECORDS_PER_BATCH = 500
MAX_RECORD_BYTES = 256 * 1024  # one record's JSON
# Deeper JSON is refused before parsing: json.loads recurses, and a message of 100,000
# `[` would exhaust the stack. Real messages nest a handful of levels (repeats inside repeats).
MAX_JSON_DEPTH = 64

RESULT_STORED, RESULT_DUPLICATE, RESULT_REJECTED = "stored", "duplicate", "rejected"


class ProtocolError(Exception):
    """A message that breaks the protocol; `status` is the HTTP status to answer with."""

    def __init__(self, code: str, message: str, status: int = 400):
        super().__init__(message)
        self.code, self.message, self.status = code, message, status

    def as_json(self) -> dict:
        return {"error": {"code": self.code, "message": self.message}}


def check_version(value: str | None) -> None:
    """Accept any 1.x; refuse another major version with a clear error."""
    if not value:
        raise ProtocolError("protocol_missing", f"Send the protocol version ({PROTOCOL_VERSION}).")
    major = str(value).split(".")[0]
    if major != PROTOCOL_VERSION.split(".")[0]:
        raise ProtocolError("protocol_unsupported",
                            f"Protocol version {value} is not supported; this server speaks "
                            f"{PROTOCOL_VERSION}. Update the collector or the server.")


# -- Messages ---------------------------------------------------------------------------

class _Strict(Schema):
    class Meta:
        unknown = RAISE


MAX_ANSWER_NAME = 100  # characters in a question's (or repeat's) name, as the wire carries it


class _Answers(fields.Dict):
    """A record's answers: an object keyed by names of at most 100 characters.

    Every key through marshmallow's own key field is most of the time a batch takes to read;
    keys that are all short strings (every good record) are checked in one pass, and only a
    wrong one goes through that field, for the same error message."""

    def _deserialize(self, value, attr, data, **kwargs):
        if (isinstance(value, dict) and all(map(isinstance, value, repeat(str)))
                and max(map(len, value), default=0) <= MAX_ANSWER_NAME):
            return dict(value)
        return super()._deserialize(value, attr, data, **kwargs)


class SyncRecordSchema(_Strict):
    """One anonymized record, as the anonymizer produces it."""

    uuid = fields.UUID(required=True)
    revision = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    form_id = fields.String(required=True, validate=validate.Length(min=1, max=100))
    form_version = fields.String(required=True, validate=validate.Length(min=1, max=40))
    locale = fields.String(required=True, validate=validate.Length(min=2, max=20))
    collected = fields.Date(required=True)
    enumerator = fields.String(allow_none=True, load_default=None,
                               validate=validate.Length(max=64))
    answers = _Answers(keys=fields.String(validate=validate.Length(max=MAX_ANSWER_NAME)),
                       required=True)


class DeviceStatusSchema(_Strict):
    queued = fields.Integer(strict=True, validate=validate.Range(min=0), load_default=0)
    app_version = fields.String(validate=validate.Length(max=40), load_default="")


class BatchSchema(_Strict):
    protocol = fields.String(required=True)
    batch_id = fields.UUID(required=True)
    device_status = fields.Nested(DeviceStatusSchema, load_default=dict)
    records = fields.List(fields.Nested(SyncRecordSchema), required=True,
                          validate=validate.Length(max=MAX_RECORDS_PER_BATCH))


class EnrollSchema(_Strict):
    protocol = fields.String(required=True)
    code = fields.String(required=True, validate=validate.Length(min=4, max=64))
    # Made by the collector before asking: a retry after a lost answer is recognised.
    enrollment_id = fields.UUID(required=True)
    app_version = fields.String(validate=validate.Length(max=40), load_default="")
    # The device's own signing key (Ed25519, base64): the server verifies its bundles with it.
    device_public_key = fields.String(validate=validate.Length(max=200), load_default=None)


def load(schema: Schema, data) -> dict:
    """Validate a decoded message; every problem becomes one 400 `invalid_message`."""
    try:
        return schema.load(data)
    except ValidationError as error:
        raise ProtocolError("invalid_message", _describe(error.messages)) from error


def _describe(messages, prefix="") -> str:
    if isinstance(messages, dict):
        return "; ".join(_describe(v, f"{prefix}{k}.") for k, v in list(messages.items())[:5])
    if isinstance(messages, list):
        return f"{prefix.rstrip('.')}: {' '.join(str(m) for m in messages[:3])}"
    return f"{prefix.rstrip('.')}: {messages}"


def batch_message(batch_id: str, records: list[dict], queued: int, app_version: str) -> dict:
    return {"protocol": PROTOCOL_VERSION, "batch_id": batch_id, "records": records,
            "device_status": {"queued": queued, "app_version": app_version}}


def result(record: dict, status: str, code: str | None = None, message: str | None = None):
    found = {"uuid": str(record["uuid"]), "revision": record["revision"], "status": status}
    if code:
        found.update(code=code, message=message)
    return found


# -- Encoding ---------------------------------------------------------------------------

def dumps(message: dict) -> bytes:
    """Canonical JSON: sorted keys, no spaces, UTF-8."""
    return json.dumps(message, ensure_ascii=False, sort_keys=True, separators=(",", ":"),
                      default=str).encode("utf-8")


def compress(data: bytes) -> bytes:
    # mtime=0: the same batch gives the same bytes, so signatures and sizes are stable.
    return gzip.compress(data, compresslevel=6, mtime=0)


def decode_body(body: bytes, gzipped: bool, limit: int = MAX_DECOMPRESSED_BYTES) -> dict:
    """Parse a request body, refusing gzip bombs and malformed JSON with clear errors."""
    if gzipped:
        body = gunzip_limited(body, limit)
    elif len(body) > limit:
        raise ProtocolError("too_large", "The message is larger than the server accepts.", 413)
    try:
        message = loads_json(body.decode("utf-8"))
    except UnicodeDecodeError as error:
        raise ProtocolError("malformed_json", f"The body is not valid JSON: {error}") from error
    if not isinstance(message, dict):
        raise ProtocolError("malformed_json", "The body must be a JSON object.")
    return message


_JSON_STRING = re.compile(r'"[^"]*"')
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_DEPTH_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


def json_depth_exceeds(text: str, limit: int = MAX_JSON_DEPTH) -> bool:
    """True when arrays and objects nest deeper than `limit` (brackets in strings aside).

    Linear on any input: escaped backslashes, then escaped quotes are removed first, so
    what is left of each string holds no quote and one simple pattern removes it.
    """
    if text.count("[") + text.count("{") <= limit:
        return False  # the common case, found without scanning
    unescaped = text.replace("\\\\", "").replace('\\"', "")
    brackets = _NOT_BRACKET.sub("", _JSON_STRING.sub("", unescaped))
    # The running depth after each bracket, computed in C (map, accumulate and max).
    return max(accumulate(map(_DEPTH_STEP.__getitem__, brackets)), default=0) > limit


def loads_json(text: str, limit: int = MAX_JSON_DEPTH):
    """json.loads for anything from outside: malformed or too deeply nested JSON is a
    ProtocolError (400), never a RecursionError."""
    if json_depth_exceeds(text, limit):
        raise ProtocolError("too_deep", f"The JSON nests deeper than {limit} levels.")
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise ProtocolError("malformed_json", f"The body is not valid JSON: {error}") from error
    except RecursionError as error:
        raise ProtocolError("too_deep", "The JSON nests too deeply.") from error


def gunzip_limited(data: bytes, limit: int) -> bytes:
    inflater = zlib.decompressobj(wbits=31)  # 31: gzip header and trailer
    try:
        out = inflater.decompress(data, limit + 1)
        if len(out) > limit or inflater.unconsumed_tail:
            raise ProtocolError("too_large", "The decompressed message is larger than the "
                                "server accepts.", 413)
        if not inflater.eof:
            raise ProtocolError("bad_gzip", "The gzip data is truncated.")
    except zlib.error as error:
        raise ProtocolError("bad_gzip", f"The body is not valid gzip: {error}") from error
    return out


# -- Device credentials -----------------------------------------------------------------

def token_hash(token: str) -> str:
    """What the server keeps of a device token: never the token itself."""
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def enrollment_proof(device_id: str, enrollment_id: str, fingerprint: str,
                     device_token: str, legacy_pseudonym_key: str | None = None) -> bytes:
    """What the server's identity key signs in an enroll answer: this device, this request,
    this server, and the token it hands over (by hash), so that nobody between the two
    can swap the token of an answer on a plain HTTP link.

    The server no longer holds the pseudonym key; an older server still sends one and
    signs its hash too (`legacy_pseudonym_key`): the hub checks that proof, then ignores
    the key."""
    proof = {"device_id": str(device_id), "enrollment_id": str(enrollment_id),
             "fingerprint": fingerprint, "device_token_sha256": _sha256(device_token)}
    if legacy_pseudonym_key is not None:
        proof["pseudonym_key_sha256"] = _sha256(legacy_pseudonym_key)
    return dumps(proof)


def _sha256(text) -> str:
    return hashlib.sha256(str(text).encode("utf-8")).hexdigest()


def verify_server_answer(answer, enrollment_id: str) -> bool:
    """True when an enroll answer is signed by the key it carries, for this request and the
    secrets in it, and that key's fingerprint is the one it states: the fingerprint the
    hub's operator confirmed then proves which server answered. False on anything missing
    or wrong."""
    server = answer.get("server") if isinstance(answer, dict) else None
    if not isinstance(server, dict) or not all(
            isinstance(answer.get(key), str) for key in ("device_id", "device_token")):
        return False
    legacy_key = answer.get("pseudonym_key")
    if legacy_key is not None and not isinstance(legacy_key, str):
        return False
    fingerprint = device_keys.fingerprint_of(server.get("public_key"))
    if fingerprint is None or fingerprint != server.get("fingerprint"):
        return False
    proof = enrollment_proof(answer["device_id"], enrollment_id, fingerprint,
                             answer["device_token"], legacy_key)
    return device_keys.verify(server["public_key"], proof, answer.get("server_signature"))


# -- Reconciliation ---------------------------------------------------------------------

def record_set_digest(pairs: Iterable[tuple[str, int]]) -> tuple[int, str]:
    """Count and SHA-256 of a set of (uuid, revision): equal on both sides means in step."""
    lines = sorted(f"{uuid}:{revision}" for uuid, revision in pairs)
    digest = hashlib.sha256("\n".join(lines).encode("ascii")).hexdigest()
    return len(lines), digest


# -- USB bundles ------------------------------------------------------------------------

BUNDLE_KIND = "feedback-collector-bundle"


SIGNATURE_ALGORITHM = "ed25519"


def bundle_payload(device_id: str, batches: list[dict]) -> bytes:
    """The bytes a bundle's signature covers: its device and every batch."""
    return dumps({"batches": batches, "device_id": device_id})


def make_bundle(batches: list[dict], device_id: str, private_key) -> bytes:
    """A file of batches for a USB stick, signed with the device's own private key
    (collector.device_keys), which only the hub holds."""
    envelope = {"kind": BUNDLE_KIND, "protocol": PROTOCOL_VERSION, "device_id": device_id,
                "signature_algorithm": SIGNATURE_ALGORITHM,
                "signature": device_keys.sign_with(private_key,
                                                   bundle_payload(device_id, batches)),
                "batches": batches}
    return compress(dumps(envelope))


def read_bundle(data: bytes) -> tuple[str, list[dict], bytes, str]:
    """(device_id, batches, signed bytes, signature) of a bundle file, or ProtocolError."""
    envelope = decode_body(data, gzipped=data[:2] == b"\x1f\x8b")
    if envelope.get("kind") != BUNDLE_KIND:
        raise ProtocolError("not_a_bundle", "This file is not a collector bundle.")
    check_version(envelope.get("protocol"))
    batches = envelope.get("batches")
    if not isinstance(batches, list) or not isinstance(envelope.get("device_id"), str):
        raise ProtocolError("invalid_message", "The bundle has no batches or no device.")
    if envelope.get("signature_algorithm") != SIGNATURE_ALGORITHM:
        raise ProtocolError("bad_signature", "This bundle was written by an older collector "
                            "and is not signed with the device's key: update the collector, "
                            "enroll it again and export a new bundle.")
    return (envelope["device_id"], batches, bundle_payload(envelope["device_id"], batches),
            str(envelope.get("signature", "")))


def verify_bundle(public_key_text: str | None, payload: bytes, signature: str) -> bool:
    """True only for a signature by the device's private key (never anything the server
    stores)."""
    return device_keys.verify(public_key_text, payload, signature)
