"""Sync protocol v1: the wire format both the collector and the sync server speak.

One definition of every message, its limits and its encoding; docs/protocol.md
describes it for people. The server imports this module, never a copy of it.
"""

from __future__ import annotations

import gzip
import hashlib
import hmac
import json
import zlib
from typing import Iterable

from marshmallow import RAISE, Schema, ValidationError, fields, validate

PROTOCOL_VERSION = "1.0"
VERSION_HEADER = "X-Feedback-Protocol"
API_PREFIX = "/api/v1"

# Limits both sides enforce: the client sizes batches under them, the server refuses above.
MAX_BATCH_BYTES = 1024 * 1024  # compressed, as sent
MAX_DECOMPRESSED_BYTES = 16 * 1024 * 1024
MAX_RECORDS_PER_BATCH = 500
MAX_RECORD_BYTES = 256 * 1024  # one record's JSON

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
    answers = fields.Dict(keys=fields.String(validate=validate.Length(max=100)), required=True)


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
        message = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ProtocolError("malformed_json", f"The body is not valid JSON: {error}") from error
    if not isinstance(message, dict):
        raise ProtocolError("malformed_json", "The body must be a JSON object.")
    return message


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


def sign(payload: bytes, token: str) -> str:
    """Bundle signature. The key is the token's hash, which both sides hold."""
    return hmac.new(bytes.fromhex(token_hash(token)), payload, hashlib.sha256).hexdigest()


def verify(payload: bytes, key_hex: str, signature: str) -> bool:
    expected = hmac.new(bytes.fromhex(key_hex), payload, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, str(signature))


# -- Reconciliation ---------------------------------------------------------------------

def record_set_digest(pairs: Iterable[tuple[str, int]]) -> tuple[int, str]:
    """Count and SHA-256 of a set of (uuid, revision): equal on both sides means in step."""
    lines = sorted(f"{uuid}:{revision}" for uuid, revision in pairs)
    digest = hashlib.sha256("\n".join(lines).encode("ascii")).hexdigest()
    return len(lines), digest


# -- USB bundles ------------------------------------------------------------------------

BUNDLE_KIND = "feedback-collector-bundle"


def make_bundle(batches: list[dict], device_id: str, token: str) -> bytes:
    """A file of batches for a USB stick, signed so the server knows its device."""
    payload = dumps({"batches": batches})
    envelope = {"kind": BUNDLE_KIND, "protocol": PROTOCOL_VERSION, "device_id": device_id,
                "signature": sign(payload, token), "batches": batches}
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
    return (envelope["device_id"], batches, dumps({"batches": batches}),
            str(envelope.get("signature", "")))
