"""Sync protocol v1 (1.1): the wire format both the collector and the sync server speak.

One definition of every message, its limits and its encoding; docs/protocol.md
describes it for people. The server imports this module, never a copy of it.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
import sys
import zlib
from collections.abc import Iterable
from datetime import date
from itertools import accumulate, repeat
from typing import Any
from uuid import UUID

from marshmallow import RAISE, Schema, ValidationError, fields, validate

from . import device_keys

if sys.version_info >= (3, 14):
    from compression import zstd
else:  # the same module, for older Pythons (wheels for Windows, macOS and Linux)
    from backports import zstd

# 1.1: a push may ask for the forms, replies and reconciliation digest in its answer
# (PUSH_WANTS), and may be sent as columns (COLUMNS_KEY) compressed with zstd.
PROTOCOL_VERSION = "1.1"
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

# What a push may ask the server to add to its answer (query parameters of the push, which a
# 1.0 server ignores): `want` lists some of PUSH_WANTS; `forms_etag` and `replies_after` are
# what the GETs of /forms and /replies would carry.
PUSH_WANTS = ("forms", "replies", "reconcile")
MAX_ETAG_LENGTH = 100


def version_at_least(value, minor: int) -> bool:
    """True when a version text such as "1.1" is 1.`minor` or later (same major)."""
    major, _, rest = str(value or "").partition(".")
    head = rest.split(".")[0]
    return major == PROTOCOL_VERSION.split(".")[0] and head.isdigit() and int(head) >= minor


class ProtocolError(Exception):
    """A message that breaks the protocol; `status` is the HTTP status to answer with."""

    device_id: str | None = None  # the device it came from, when known (the security log)

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
        raise ProtocolError(
            "protocol_unsupported",
            f"Protocol version {value} is not supported; this server speaks "
            f"{PROTOCOL_VERSION}. Update the collector or the server.",
        )


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
        if (
            isinstance(value, dict)
            and all(map(isinstance, value, repeat(str)))
            and max(map(len, value), default=0) <= MAX_ANSWER_NAME
        ):
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
    enumerator = fields.String(allow_none=True, load_default=None, validate=validate.Length(max=64))
    answers = _Answers(
        keys=fields.String(validate=validate.Length(max=MAX_ANSWER_NAME)), required=True
    )


_CANONICAL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_RECORD_KEYS = frozenset(SyncRecordSchema().fields)
_REQUIRED_KEYS = _RECORD_KEYS - {"enumerator"}


def _plainly_valid(item) -> dict | None:
    """What SyncRecordSchema loads from a record that is plainly valid (canonical uuid, ISO
    day, every field of its exact type and within its limits), or None for any other, which
    the schema itself then reads (and explains). The same result, a tenth of the time."""
    if type(item) is not dict or not _REQUIRED_KEYS <= item.keys() <= _RECORD_KEYS:
        return None
    record_uuid, revision, collected = item["uuid"], item["revision"], item["collected"]
    form_id, version, locale = item["form_id"], item["form_version"], item["locale"]
    enumerator, answers = item.get("enumerator"), item["answers"]
    if not (
        type(record_uuid) is str
        and _CANONICAL_UUID.fullmatch(record_uuid)
        and type(revision) is int
        and revision >= 1
        and type(form_id) is str
        and 1 <= len(form_id) <= 100
        and type(version) is str
        and 1 <= len(version) <= 40
        and type(locale) is str
        and 2 <= len(locale) <= 20
        and type(collected) is str
        and _ISO_DAY.fullmatch(collected)
        and (enumerator is None or type(enumerator) is str and len(enumerator) <= 64)
        and type(answers) is dict
        and all(map(isinstance, answers, repeat(str)))
        and max(map(len, answers), default=0) <= MAX_ANSWER_NAME
    ):
        return None
    try:
        day = date.fromisoformat(collected)
    except ValueError:
        return None
    return {
        "uuid": UUID(record_uuid),
        "revision": revision,
        "form_id": form_id,
        "form_version": version,
        "locale": locale,
        "collected": day,
        "enumerator": enumerator,
        "answers": dict(answers),
    }


class _SyncRecords(fields.List):
    """A batch's records, each loaded by SyncRecordSchema; when every one is plainly valid
    (`_plainly_valid`), its result is made without the schema's per-field machinery."""

    def _deserialize(self, value, attr, data, **kwargs):
        if type(value) is list:
            loaded = [_plainly_valid(item) for item in value]
            if None not in loaded:
                return loaded
        return super()._deserialize(value, attr, data, **kwargs)


class DeviceStatusSchema(_Strict):
    queued = fields.Integer(strict=True, validate=validate.Range(min=0), load_default=0)
    app_version = fields.String(validate=validate.Length(max=40), load_default="")


class BatchSchema(_Strict):
    protocol = fields.String(required=True)
    batch_id = fields.UUID(required=True)
    device_status = fields.Nested(DeviceStatusSchema, load_default=dict)
    records = _SyncRecords(
        fields.Nested(SyncRecordSchema),
        required=True,
        validate=validate.Length(max=MAX_RECORDS_PER_BATCH),
    )


class EnrollSchema(_Strict):
    protocol = fields.String(required=True)
    code = fields.String(required=True, validate=validate.Length(min=4, max=64))
    # Made by the collector before asking: a retry after a lost answer is recognised.
    enrollment_id = fields.UUID(required=True)
    app_version = fields.String(validate=validate.Length(max=40), load_default="")
    # The device's own signing key (Ed25519, base64): the server verifies its bundles with it.
    device_public_key = fields.String(validate=validate.Length(max=200), load_default=None)


def load(schema: Schema, data) -> dict:
    """Validate a decoded message; every problem becomes one 400 `invalid_message`. A NUL
    character (which PostgreSQL refuses in text) outside its records is a 400 too; a record
    holding one is refused alone, by the server's ingest."""
    try:
        message = schema.load(data)
    except ValidationError as error:
        raise ProtocolError("invalid_message", _describe(error.messages)) from error
    if holds_nul({key: value for key, value in message.items() if key != "records"}):
        raise ProtocolError(
            "nul_character",
            "The message holds a NUL character (code 0), which the server does not store.",
        )
    return message


def holds_nul(value) -> bool:
    """Whether a decoded message (or any part of it) holds a NUL character."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(holds_nul(k) or holds_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(holds_nul(item) for item in value)
    return False


def _describe(messages, prefix="") -> str:
    if isinstance(messages, dict):
        return "; ".join(_describe(v, f"{prefix}{k}.") for k, v in list(messages.items())[:5])
    if isinstance(messages, list):
        return f"{prefix.rstrip('.')}: {' '.join(str(m) for m in messages[:3])}"
    return f"{prefix.rstrip('.')}: {messages}"


def batch_message(batch_id: str, records: list[dict], queued: int, app_version: str) -> dict:
    return {
        "protocol": PROTOCOL_VERSION,
        "batch_id": batch_id,
        "records": records,
        "device_status": {"queued": queued, "app_version": app_version},
    }


def result(record: dict, status: str, code: str | None = None, message: str | None = None):
    found = {"uuid": str(record["uuid"]), "revision": record["revision"], "status": status}
    if code:
        found.update(code=code, message=message)
    return found


# -- Encoding ---------------------------------------------------------------------------


def dumps(message: dict) -> bytes:
    """Canonical JSON: sorted keys, no spaces, UTF-8."""
    return json.dumps(
        message, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str
    ).encode("utf-8")


def compress(data: bytes) -> bytes:
    # mtime=0: the same batch gives the same bytes, so signatures and sizes are stable.
    return gzip.compress(data, compresslevel=6, mtime=0)


# zstd at this level was the quickest way over a 400 kbit/s link (docs/benchmarks.md): a
# few milliseconds of compression for a fifth fewer bytes than gzip.
ZSTD_LEVEL = 13
# A zstd frame may ask its reader for a window this large at most (2**24 = 16 MiB), so a
# hostile frame cannot make the server reserve more memory than a batch may hold.
ZSTD_WINDOW_LOG_MAX = 24
ENCODINGS = ("gzip", "zstd")


def compress_zstd(data: bytes) -> bytes:
    return zstd.compress(data, level=ZSTD_LEVEL)


def encode_body(message: dict, encoding: str) -> bytes:
    """A message as sent: canonical JSON, gzip (1.0) or zstd (1.1) compressed."""
    plain = dumps(message)
    return compress_zstd(plain) if encoding == "zstd" else compress(plain)


def decode_body(body: bytes, gzipped: bool | str, limit: int = MAX_DECOMPRESSED_BYTES) -> dict:
    """Parse a request body, refusing compression bombs and malformed JSON with clear errors.

    `gzipped` is the body's Content-Encoding ("gzip", "zstd", "" for none; True means gzip)."""
    encoding = "gzip" if gzipped is True else (gzipped or "")
    if encoding == "gzip":
        body = gunzip_limited(body, limit)
    elif encoding == "zstd":
        body = unzstd_limited(body, limit)
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
            raise ProtocolError(
                "too_large", "The decompressed message is larger than the server accepts.", 413
            )
        if not inflater.eof:
            raise ProtocolError("bad_gzip", "The gzip data is truncated.")
    except zlib.error as error:
        raise ProtocolError("bad_gzip", f"The body is not valid gzip: {error}") from error
    return out


def unzstd_limited(data: bytes, limit: int) -> bytes:
    """zstd data, decompressed up to `limit` bytes; a bomb or a broken frame is refused."""
    try:
        inflater = zstd.ZstdDecompressor(
            options={zstd.DecompressionParameter.window_log_max: ZSTD_WINDOW_LOG_MAX}
        )
        out = inflater.decompress(data, limit + 1)
        if len(out) > limit or not inflater.needs_input and not inflater.eof:
            raise ProtocolError(
                "too_large", "The decompressed message is larger than the server accepts.", 413
            )
        if not inflater.eof or inflater.unused_data:
            raise ProtocolError("bad_encoding", "The zstd data is truncated or has trailing bytes.")
    except zstd.ZstdError as error:
        raise ProtocolError("bad_encoding", f"The body is not valid zstd: {error}") from error
    return out


# -- Columns: a batch that names each field once ---------------------------------------------

# A 1.1 batch may carry its records as columns instead of `records`: one list per field, each
# value written once with a code per record. Survey answers repeat a handful of choices, so
# this is most of what makes a batch small. `rows_of` turns it back into `records` before any
# other check, so the server checks and stores a record the same way whichever form it came in.
COLUMNS_KEY = "columns"
_META_COLUMNS = ("revision", "form_id", "form_version", "locale", "collected", "enumerator")
_NOTHING_ABSENT = object()  # the default of `_coded`: no value stands for an absent one


def _coded(values: list, absent: object = _NOTHING_ABSENT) -> dict:
    """{"values": distinct values, "codes": one index per record, null where absent}."""
    index: dict = {}
    distinct: list = []
    codes: list[int | None] = []
    for value in values:
        if value is absent:
            codes.append(None)
            continue
        # Typed, so that 1, 1.0 and true stay three values; lists and objects by their JSON.
        key = (
            (type(value), value)
            if isinstance(value, (str, int, float, type(None)))
            else json.dumps(value, sort_keys=True, default=str)
        )
        if key not in index:
            index[key] = len(distinct)
            distinct.append(value)
        codes.append(index[key])
    return {"values": distinct, "codes": codes}


def columns_of(message: dict) -> dict:
    """A batch message with its records written as columns (the inverse of `rows_of`)."""
    records = message["records"]
    absent = object()
    names = sorted({name for record in records for name in record["answers"]})
    columns: dict[str, Any] = {"uuid": [str(record["uuid"]) for record in records]}
    columns.update(
        {name: _coded([record.get(name) for record in records]) for name in _META_COLUMNS}
    )
    columns["answers"] = {
        name: _coded([record["answers"].get(name, absent) for record in records], absent)
        for name in names
    }
    rest = {key: value for key, value in message.items() if key != "records"}
    return {**rest, "count": len(records), COLUMNS_KEY: columns}


def rows_of(message: dict, limit: int = MAX_DECOMPRESSED_BYTES) -> dict:
    """A batch message with `records`, whether it came as records or as columns.

    Columns are checked before they are expanded: every column has one code per record, every
    code names a value, and the records they make are no larger in all than `limit` (the
    decompressed limit of a batch), so a small message cannot stand for a huge one."""
    if not isinstance(message, dict) or COLUMNS_KEY not in message:
        return message
    if "records" in message:
        raise ProtocolError("invalid_message", "A batch has records or columns, not both.")
    rest = {key: value for key, value in message.items() if key not in (COLUMNS_KEY, "count")}
    count, columns = message.get("count"), message[COLUMNS_KEY]
    if (
        not isinstance(count, int)
        or isinstance(count, bool)
        or not 0 <= count <= MAX_RECORDS_PER_BATCH
    ):
        raise ProtocolError(
            "invalid_message", f"count must be a whole number from 0 to {MAX_RECORDS_PER_BATCH}."
        )
    if not isinstance(columns, dict) or set(columns) != {"uuid", "answers", *_META_COLUMNS}:
        raise ProtocolError(
            "invalid_message", f"columns must hold uuid, answers and {', '.join(_META_COLUMNS)}."
        )
    uuids, answers = columns["uuid"], columns["answers"]
    if not isinstance(uuids, list) or len(uuids) != count or not isinstance(answers, dict):
        raise ProtocolError(
            "invalid_message",
            "columns.uuid must hold one value per record, "
            "and columns.answers one column per question.",
        )
    meta = {name: _expanded(columns[name], count, name) for name in _META_COLUMNS}
    coded = {name: _expanded(column, count, f"answers.{name}") for name, column in answers.items()}
    size = sum(_expanded_size(columns[name]) for name in _META_COLUMNS) + sum(
        _expanded_size(column) for column in answers.values()
    )
    if size > limit:
        raise ProtocolError(
            "too_large", "The records of this batch are larger than the server accepts.", 413
        )
    records = []
    for position, record_uuid in enumerate(uuids):
        record = {
            "uuid": record_uuid,
            **{
                name: values[position]
                for name, values in meta.items()
                if values[position] is not _ABSENT
            },
        }
        record["answers"] = {
            name: values[position]
            for name, values in coded.items()
            if values[position] is not _ABSENT
        }
        records.append(record)
    return {**rest, "records": records}


_ABSENT = object()


def _expanded(column, count: int, name: str) -> list:
    """The per-record values of one coded column (_ABSENT where a code is null)."""
    if not (
        isinstance(column, dict)
        and set(column) == {"values", "codes"}
        and isinstance(column["values"], list)
        and isinstance(column["codes"], list)
        and len(column["codes"]) == count
    ):
        raise ProtocolError(
            "invalid_message", f"columns.{name} must be values and one code per record."
        )
    values, top = column["values"], len(column["values"])
    out = []
    for code in column["codes"]:
        if code is None:
            out.append(_ABSENT)
        elif isinstance(code, int) and not isinstance(code, bool) and 0 <= code < top:
            out.append(values[code])
        else:
            raise ProtocolError(
                "invalid_message", f"columns.{name} has a code that names no value."
            )
    return out


def _expanded_size(column: dict) -> int:
    """How many bytes of JSON a coded column stands for, once written out per record."""
    sizes = [len(dumps(value)) for value in column["values"]]
    return sum(sizes[code] for code in column["codes"] if code is not None)


# The answer to a batch sent as columns gives each record's result as one letter, in the
# batch's order (`statuses`); `results` then lists only the rejected records, with why.
_LETTERS = {RESULT_STORED: "s", RESULT_DUPLICATE: "d", RESULT_REJECTED: "r"}
_STATUSES = {letter: status for status, letter in _LETTERS.items()}


def compact_results(answer: dict) -> dict:
    """An answer's per-record results as `statuses` letters, rejected records in full."""
    results = answer.get("results", [])
    return {
        **answer,
        "statuses": "".join(_LETTERS[r["status"]] for r in results),
        "results": [r for r in results if r["status"] == RESULT_REJECTED],
    }


def expand_results(answer: dict, pairs: list) -> list:
    """Per-record results of an answer, whichever way it wrote them; `pairs` are the batch's
    (uuid, revision) in order. A `statuses` that does not match the batch is a ProtocolError."""
    statuses = answer.get("statuses")
    results = answer.get("results", [])
    if statuses is None:
        return results if isinstance(results, list) else []
    if (
        not isinstance(statuses, str)
        or len(statuses) != len(pairs)
        or set(statuses) - set(_STATUSES)
        or not isinstance(results, list)
    ):
        raise ProtocolError("bad_answer", "The statuses do not match the batch.")
    why = {(r.get("uuid"), r.get("revision")): r for r in results if isinstance(r, dict)}
    return [
        why.get(pair, {"uuid": pair[0], "revision": pair[1], "status": RESULT_REJECTED})
        if letter == "r"
        else {"uuid": pair[0], "revision": pair[1], "status": _STATUSES[letter]}
        for pair, letter in zip(pairs, statuses, strict=True)
    ]


# -- Device credentials -----------------------------------------------------------------


def token_hash(token: str) -> str:
    """What the server keeps of a device token: never the token itself."""
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def enrollment_proof(
    device_id: str,
    enrollment_id: str,
    fingerprint: str,
    device_token: str,
    legacy_pseudonym_key: str | None = None,
) -> bytes:
    """What the server's identity key signs in an enroll answer: this device, this request,
    this server, and the token it hands over (by hash), so that nobody between the two
    can swap the token of an answer on a plain HTTP link.

    The server no longer holds the pseudonym key; an older server still sends one and
    signs its hash too (`legacy_pseudonym_key`): the hub checks that proof, then ignores
    the key."""
    proof = {
        "device_id": str(device_id),
        "enrollment_id": str(enrollment_id),
        "fingerprint": fingerprint,
        "device_token_sha256": _sha256(device_token),
    }
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
        isinstance(answer.get(key), str) for key in ("device_id", "device_token")
    ):
        return False
    legacy_key = answer.get("pseudonym_key")
    if legacy_key is not None and not isinstance(legacy_key, str):
        return False
    fingerprint = device_keys.fingerprint_of(server.get("public_key"))
    if fingerprint is None or fingerprint != server.get("fingerprint"):
        return False
    proof = enrollment_proof(
        answer["device_id"], enrollment_id, fingerprint, answer["device_token"], legacy_key
    )
    return device_keys.verify(server["public_key"], proof, answer.get("server_signature"))


# The hub's challenge before it sends its token or any record (POST /identity): a fresh
# random nonce, which the server signs with its identity key. Copying a fingerprint is easy;
# answering a new nonce needs the private key, so only the enrolled server passes.
IDENTITY_PURPOSE = "feedback-collector-identity"
MIN_NONCE, MAX_NONCE = 16, 128


def identity_proof(nonce: str, fingerprint: str) -> bytes:
    """What the server signs to answer a challenge. The purpose field keeps it apart from
    an enrollment proof, so one signature can never stand for the other."""
    return dumps({"purpose": IDENTITY_PURPOSE, "nonce": str(nonce), "fingerprint": fingerprint})


def valid_nonce(nonce) -> bool:
    return isinstance(nonce, str) and MIN_NONCE <= len(nonce) <= MAX_NONCE and nonce.isascii()


def identity_answer_fingerprint(answer, nonce: str) -> str | None:
    """The fingerprint of the key that signed this challenge's answer, or None when the
    answer is not a valid signature of this nonce by the key it carries."""
    server = answer.get("server") if isinstance(answer, dict) else None
    if not isinstance(server, dict):
        return None
    fingerprint = device_keys.fingerprint_of(server.get("public_key"))
    if fingerprint is None or fingerprint != server.get("fingerprint"):
        return None
    proof = identity_proof(nonce, fingerprint)
    if not device_keys.verify(server["public_key"], proof, answer.get("signature")):
        return None
    return fingerprint


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
    envelope = {
        "kind": BUNDLE_KIND,
        "protocol": PROTOCOL_VERSION,
        "device_id": device_id,
        "signature_algorithm": SIGNATURE_ALGORITHM,
        "signature": device_keys.sign_with(private_key, bundle_payload(device_id, batches)),
        "batches": batches,
    }
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
        raise ProtocolError(
            "bad_signature",
            "This bundle was written by an older collector "
            "and is not signed with the device's key: update the collector, "
            "enroll it again and export a new bundle.",
        )
    return (
        envelope["device_id"],
        batches,
        bundle_payload(envelope["device_id"], batches),
        str(envelope.get("signature", "")),
    )


def verify_bundle(public_key_text: str | None, payload: bytes, signature: str) -> bool:
    """True only for a signature by the device's private key (never anything the server
    stores)."""
    return device_keys.verify(public_key_text, payload, signature)


# -- Attachments ------------------------------------------------------------------------------
# Photos, recordings and files go after their record was acknowledged: first a manifest
# (POST /attachments) that links each (record, revision, question) to a SHA-256 and tells
# how much of each file the server holds, then the missing bytes in pieces
# (PUT /attachments/<sha256>?offset=N), resumed from the server's offset after a cut link.

ATTACHMENT_PIECE_BYTES = 256 * 1024
MAX_ATTACHMENT_PIECE_BYTES = 1024 * 1024
MAX_ATTACHMENTS_PER_MANIFEST = 200
OFFSET_HEADER = "Upload-Offset"
LENGTH_HEADER = "Upload-Length"
# A manifest item's outcome: the file is whole on the server, part of it is, or it is
# refused for good (too large, an unknown record), or to be sent another day (the
# device's daily allowance is used up).
ATTACHMENT_COMPLETE, ATTACHMENT_PARTIAL = "complete", "partial"
ATTACHMENT_REFUSED, ATTACHMENT_LATER = "refused", "later"
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")


class AttachmentItemSchema(_Strict):
    uuid = fields.String(
        required=True,
        validate=validate.Regexp(
            r"\A[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\Z"
        ),
    )
    revision = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    question = fields.String(required=True, validate=validate.Length(min=1, max=MAX_ANSWER_NAME))
    sha256 = fields.String(required=True, validate=validate.Regexp(r"\A[0-9a-f]{64}\Z"))
    size = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    media_type = fields.String(required=True, validate=validate.Length(min=3, max=100))


class AttachmentManifestSchema(_Strict):
    attachments = fields.List(
        fields.Nested(AttachmentItemSchema),
        required=True,
        validate=validate.Length(max=MAX_ATTACHMENTS_PER_MANIFEST),
    )


def is_sha256(text) -> bool:
    return isinstance(text, str) and _SHA256_HEX.fullmatch(text) is not None


def attachment_set_digest(links: Iterable[tuple[str, int, str, str]]) -> tuple[int, str]:
    """Count and SHA-256 of a set of (uuid, revision, question, sha256) whose file the
    server holds whole: equal on both sides means every attachment arrived."""
    lines = sorted(
        f"{uuid}:{revision}:{question}:{sha256}" for uuid, revision, question, sha256 in links
    )
    digest = hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()
    return len(lines), digest
