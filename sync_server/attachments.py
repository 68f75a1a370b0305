"""Attachments on the central server: received in pieces, kept once, shown with their record.

Files are kept on disk under the server's data dir, ``attachments/<ab>/<sha256>``, one file
per SHA-256 whatever the number of records that hold it; the database (SQLite or
PostgreSQL) holds only their rows (Store's attachment block). Several server processes
share the data dir, so a PostgreSQL deployment keeps it on one disk (or one shared volume).

Protocol (docs/protocol.md), for an enrolled device:

- ``POST /api/v1/attachments``: a manifest of (record uuid, revision, question, sha256, size,
  media type). Each item is linked to its record and answered ``complete`` (the server holds
  the file whole), ``partial`` with the ``offset`` to send from, ``refused`` with a code
  (too large, unknown record, type not accepted) or ``later`` (the device's allowance for
  today is used up).
- ``PUT /api/v1/attachments/<sha256>?offset=N``: the next piece. A piece at another offset
  is answered 409 with the server's offset; the last piece makes the server check the
  SHA-256 and keep the file (or throw it away, 422 ``hash_mismatch``).
- ``GET /api/v1/attachments/<sha256>``: how much the server holds (also as the tus-like
  ``Upload-Offset`` header).
- ``GET /api/v1/attachments/held?after=N``: the links whose file arrived whole, for
  reconciliation (the reconcile digest counts them too).

People: the record page shows a record's images inline and links its other files
(`file_of_record`), with the record page's own checks; `/data/<form>/attachments.zip` holds the
files of the records an analyst may see as released.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import tempfile
import zipfile
from datetime import UTC, datetime
from pathlib import Path

from flask import Blueprint, Response, abort, current_app, g, jsonify, request, send_file, url_for

from collector import protocol
from collector.attachments import MEDIA_TYPES, NAME, SHA256, leaves, referenced_names
from collector.protocol import API_PREFIX, ProtocolError
from collector.security_log import user_account

from . import logs
from .api import device_required, read_message
from .auth import role_required
from .ingest import known_form
from .store import get_store

api_bp = Blueprint("attachments_api", __name__, url_prefix=API_PREFIX + "/attachments")
bp = Blueprint("attachments", __name__, url_prefix="/data")
FOLDER = "attachments"
DEFAULT_MAX_FILE_BYTES = 10 * 1024 * 1024
DEFAULT_DEVICE_DAILY_BYTES = 2 * 1024 * 1024 * 1024
HELD_PAGE = 1000
INLINE_TYPES = ("image/jpeg", "image/png", "image/webp", "image/gif")
_EXTENSIONS = {media: ext for types in MEDIA_TYPES.values() for media, ext in types.items()}


# -- Files in the data dir --------------------------------------------------------------------


def folder(data_dir=None) -> Path:
    """The attachments folder of `data_dir` (the running app's when None)."""
    return Path(data_dir or current_app.config["DATA_DIR"]) / FOLDER


def stored_path(sha256: str, data_dir=None) -> Path:
    return folder(data_dir) / sha256[:2] / sha256


def partial_path(sha256: str, data_dir=None) -> Path:
    return folder(data_dir) / "partial" / f"{sha256}.part"


def owner_only_dir(path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True)
    if os.name == "posix":
        os.chmod(path, 0o700)


def remove_files(hashes, data_dir=None) -> None:
    """Delete the bytes of files whose rows were removed (after that commit)."""
    for sha256 in hashes:
        for path in (stored_path(sha256, data_dir), partial_path(sha256, data_dir)):
            path.unlink(missing_ok=True)


def remove_record(store, record_uuid: str) -> list[str]:
    """Retention: a record's links go (in the caller's transaction, before the record's
    rows); returns the hashes whose bytes no record uses any more, for remove_files once
    that transaction has committed."""
    return store.remove_record_attachments(record_uuid)


def limits() -> tuple[int, int]:
    """(largest file, bytes a device may send a day): ATTACHMENT_MAX_FILE_BYTES and
    ATTACHMENT_DEVICE_DAILY_BYTES in the app's config (the defaults outside the app)."""
    config = current_app.config if current_app else {}
    return (
        int(config.get("ATTACHMENT_MAX_FILE_BYTES", DEFAULT_MAX_FILE_BYTES)),
        int(config.get("ATTACHMENT_DEVICE_DAILY_BYTES", DEFAULT_DEVICE_DAILY_BYTES)),
    )


# -- The device API -----------------------------------------------------------------------------


@api_bp.route("", methods=["POST"])
@device_required
def manifest():
    """Link each listed file to its record's question; say how much of each is here."""
    message = protocol.load(protocol.AttachmentManifestSchema(), read_message(256 * 1024))
    store, device = get_store(), g.device
    results = []
    with store.transaction():
        for item in message["attachments"]:
            results.append(_declare(store, device["id"], item))
    logs.event("attachment_manifest", device=device["id"], items=len(results))
    return jsonify(protocol=protocol.PROTOCOL_VERSION, attachments=results)


def _declare(store, device_id: str, item: dict) -> dict:
    answer = {
        "uuid": item["uuid"],
        "revision": item["revision"],
        "question": item["question"],
        "sha256": item["sha256"],
    }
    refusal = _refusal(store, device_id, item)
    if refusal is not None:
        status, code, message = refusal
        return {**answer, "status": status, "code": code, "message": message}
    file = store.declare_attachment(device_id, item)
    if file["completed_at"]:
        return {**answer, "status": protocol.ATTACHMENT_COMPLETE, "offset": file["size"]}
    return {**answer, "status": protocol.ATTACHMENT_PARTIAL, "offset": _received(item["sha256"])}


def _refusal(store, device_id: str, item: dict) -> tuple[str, str, str] | None:
    """Why an announced file is not taken: (status, code, message), or None."""
    max_file, per_day = limits()
    stored = store.attachment_record(item["uuid"], item["revision"])
    if stored is None and store.tombstones([item["uuid"]]):
        # Removed for good (sync_server.retention): the laptop stops offering its files.
        return (
            protocol.ATTACHMENT_REFUSED,
            "record_removed",
            "The server removed this record under its retention rules; its files are not kept.",
        )
    if stored is None or stored["device_id"] != device_id:
        return (
            protocol.ATTACHMENT_REFUSED,
            "unknown_record",
            "The record of this file is not on the server: send the record first.",
        )
    # The hub decides what leaves; the server checks it again: the question's rule lets the
    # file leave, and the record's answer names it.
    form = known_form(store, stored["form_id"], stored["form_version"])
    question = form.questions.get(item["question"]) if form is not None else None
    named = referenced_names(stored["answers"]).get(item["question"], set())
    if not leaves(question, form) or not any(
        name.startswith(item["sha256"] + ".") for name in named
    ):
        return (
            protocol.ATTACHMENT_REFUSED,
            "not_allowed",
            "The record's answer to this question does not name this file, or its "
            "privacy rule does not let files leave the laptop.",
        )
    if item["media_type"] not in _EXTENSIONS:
        return (
            protocol.ATTACHMENT_REFUSED,
            "media_type_refused",
            f"Files of type {item['media_type'][:60]} are not accepted.",
        )
    if item["size"] > max_file:
        return (
            protocol.ATTACHMENT_REFUSED,
            "file_too_large",
            f"The file is larger than the server accepts ({max_file} bytes).",
        )
    file = store.attachment_file(item["sha256"])
    if file is not None:
        if file["size"] != item["size"]:
            return (
                protocol.ATTACHMENT_REFUSED,
                "size_mismatch",
                "This file was announced before with another size.",
            )
        return None  # held or under way already: it costs this device nothing more
    today = datetime.now(UTC).strftime("%Y-%m-%d")
    if store.attachment_bytes_since(device_id, today) + item["size"] > per_day:
        return (
            protocol.ATTACHMENT_LATER,
            "daily_limit",
            "This device has sent as many files today as the server accepts in a day; "
            "the rest goes tomorrow.",
        )
    return None


def _received(sha256: str) -> int:
    path = partial_path(sha256)
    return path.stat().st_size if path.exists() else 0


def _declared_file(sha256: str) -> dict:
    """The file row, if this device announced it; ProtocolError otherwise."""
    if not SHA256.fullmatch(sha256):
        raise ProtocolError("invalid_message", "Not a SHA-256.", 400)
    store = get_store()
    file = store.attachment_file(sha256)
    if file is None or not store.attachment_declared_by(g.device["id"], sha256):
        raise ProtocolError("unknown_attachment", "Announce the file in a manifest first.", 404)
    return file


def _status(file: dict, offset: int) -> Response:
    response = jsonify(
        protocol=protocol.PROTOCOL_VERSION,
        sha256=file["sha256"],
        offset=offset,
        size=file["size"],
        complete=bool(file["completed_at"]),
    )
    response.headers[protocol.OFFSET_HEADER] = str(offset)
    response.headers[protocol.LENGTH_HEADER] = str(file["size"])
    return response


@api_bp.route("/<sha256>", methods=["GET", "HEAD"])
@device_required
def status(sha256: str):
    file = _declared_file(sha256)
    return _status(file, file["size"] if file["completed_at"] else _received(sha256))


@api_bp.route("/<sha256>", methods=["PUT"])
@device_required
def piece(sha256: str):
    """Append one piece at the server's offset; check and keep the file when it is whole."""
    offset_text = request.args.get("offset", "")
    if not offset_text.isdigit() or len(offset_text) > 12:
        raise ProtocolError("invalid_message", "offset must be a whole number.")
    data = request.get_data(cache=False)
    if len(data) > protocol.MAX_ATTACHMENT_PIECE_BYTES:
        raise ProtocolError("too_large", "A piece is larger than the server accepts.", 413)
    store = get_store()
    file = _declared_file(sha256)
    with store.transaction():
        store.db.lock(f"attachment {sha256}")  # one writer per file, across processes
        file = store.attachment_file(sha256) or file
        if file["completed_at"]:
            return _status(file, file["size"])
        held = _received(sha256)
        if int(offset_text) != held or not data or held + len(data) > file["size"]:
            response = _status(file, held)
            response.status_code = 409
            return response
        _append(sha256, data)
        if held + len(data) < file["size"]:
            return _status(file, held + len(data))
        _keep_whole(store, file)
    return _status(store.attachment_file(sha256) or file, file["size"])


def _append(sha256: str, data: bytes) -> None:
    path = partial_path(sha256)
    owner_only_dir(path.parent)
    with open(path, "ab") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def _keep_whole(store, file: dict) -> None:
    """The last piece came: keep the file if its bytes are what was announced."""
    sha256, path = file["sha256"], partial_path(file["sha256"])
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1024 * 1024), b""):
            digest.update(block)
    if digest.hexdigest() != sha256:
        path.unlink(missing_ok=True)
        raise ProtocolError(
            "hash_mismatch",
            "The file's bytes do not have the announced "
            "SHA-256; it was thrown away: send it again from the start.",
            422,
        )
    target = stored_path(sha256)
    owner_only_dir(target.parent)
    os.replace(path, target)
    store.complete_attachment(sha256)


@api_bp.route("/held")
@device_required
def held():
    """The links of this device whose file the server holds whole, page by page."""
    after = request.args.get("after", "0")
    if not after.isdigit() or len(after) > 18:
        raise ProtocolError("invalid_message", "after must be a whole number.")
    rows = get_store().attachment_links(g.device["id"], int(after), HELD_PAGE)
    return {
        "protocol": protocol.PROTOCOL_VERSION,
        "attachments": [
            {k: r[k] for k in ("uuid", "revision", "question", "sha256")} for r in rows
        ],
        "after": rows[-1]["seq"] if rows else int(after),
        "complete": len(rows) < HELD_PAGE,
    }


def device_digest(store, device_id: str) -> dict:
    """The reconcile answer's count and digest of this device's files held whole."""
    count, digest = protocol.attachment_set_digest(
        (r["uuid"], r["revision"], r["question"], r["sha256"])
        for r in store.attachment_links(device_id)
    )
    return {"count": count, "digest": digest}


# -- USB bundles -------------------------------------------------------------------------------

BUNDLE_FILES_SUFFIX = ".attachments.zip"  # beside the bundle (collector.sync_client)


def import_bundle_files(store, device: dict, data: bytes, data_dir) -> dict:
    """Store the files carried beside a USB bundle (after its records), with the checks of
    the push: each (record, question) from this device naming the file, the rule letting it
    leave, the limits, and its SHA-256. Counts {"stored", "already", "refused"}."""
    counts = {"stored": 0, "already": 0, "refused": 0}
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        manifest = protocol.loads_json(archive.read("manifest.json").decode("utf-8"))
    except (zipfile.BadZipFile, KeyError, UnicodeDecodeError, ProtocolError):
        raise ProtocolError(
            "invalid_message",
            "The attachments file beside the bundle is not one the collector wrote.",
        ) from None
    if (
        not isinstance(manifest, dict)
        or manifest.get("device_id") != device["id"]
        or not isinstance(manifest.get("attachments"), list)
    ):
        raise ProtocolError(
            "invalid_message", "The attachments file beside the bundle belongs to another device."
        )
    with archive:
        for raw in manifest["attachments"]:
            item = protocol.load(protocol.AttachmentItemSchema(), raw)
            counts[_import_file(store, device["id"], archive, item, data_dir)] += 1
    return counts


def _import_file(store, device_id: str, archive, item: dict, data_dir) -> str:
    with store.transaction():
        if _refusal(store, device_id, item) is not None:
            return "refused"
        file = store.declare_attachment(device_id, item)
        if file["completed_at"]:
            return "already"
        try:
            member = archive.getinfo(item["sha256"])
        except KeyError:
            return "refused"
        if member.file_size != item["size"]:
            return "refused"
        data = archive.read(member)
        if hashlib.sha256(data).hexdigest() != item["sha256"]:
            return "refused"
        target = stored_path(item["sha256"], data_dir)
        owner_only_dir(target.parent)
        temporary = target.with_name(f".{item['sha256']}.import")
        temporary.write_bytes(data)
        os.replace(temporary, target)
        store.complete_attachment(item["sha256"])
        return "stored"


# -- People: the record page and the zip export -------------------------------------------------


def shown_attachments(store, latest: dict, answers: dict) -> list[dict]:
    """The files of a record's revision whose names are in the answers the user sees
    (a release that leaves an answer out leaves its file out too), each with its URL."""
    names = {
        question: {NAME.fullmatch(name).group(1) for name in found}  # type: ignore[union-attr]
        for question, found in referenced_names(answers).items()
    }
    shown = []
    for row in store.record_attachments(latest["uuid"], latest["revision"]):
        if row["sha256"] in names.get(row["question"], ()):
            shown.append(dict(row, name=file_name(row), inline=row["media_type"] in INLINE_TYPES))
    return shown


def file_name(row: dict) -> str:
    """The name the data's column holds: ``<sha256>.<ext>``."""
    return f"{row['sha256']}.{_EXTENSIONS.get(row['media_type'], 'bin')}"


@bp.route("/record/<record_uuid>/file/<question>/<sha256>")
@role_required("analyst")
def file_of_record(record_uuid: str, question: str, sha256: str):
    """One file of a record, with the record page's checks: 404 for anyone who may not
    see the record or the answer that names the file."""
    from .data import record_answers_shown

    latest, answers = record_answers_shown(record_uuid)
    return _served(get_store(), latest, answers, question, sha256)


def _served(store, latest: dict, answers: dict, question: str, sha256: str):
    """The file if the shown answers name it, with headers that keep a browser from running
    it; 404 otherwise."""
    for row in shown_attachments(store, latest, answers):
        if row["question"] == question and row["sha256"] == sha256:
            path = stored_path(sha256)
            if not path.exists():
                abort(404)
            response = send_file(
                path,
                mimetype=row["media_type"],
                as_attachment=not row["inline"],
                download_name=row["name"],
                max_age=0,
            )
            response.headers["X-Content-Type-Options"] = "nosniff"
            response.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
            response.headers["Cache-Control"] = "private, no-store"
            return response
    abort(404)


api_files_bp = Blueprint("attachments_files_api", __name__, url_prefix="/api/v1/data")


@api_files_bp.route("/<form_id>/files/<record_uuid>/<question>/<sha256>")
def file_by_token(form_id: str, record_uuid: str, question: str, sha256: str):
    """A record's file for scripts (the records API gives each one's URL): a personal API
    token, and the record page's rules for its user."""
    from .data import _api_reader, record_answers_shown

    user, refusal = _api_reader(form_id)
    if refusal is not None:
        return refusal
    g.user = user  # this request's reader, for the record page's checks
    latest, answers = record_answers_shown(record_uuid)
    if latest["form_id"] != form_id:
        abort(404)
    return _served(get_store(), latest, answers, question, sha256)


def file_urls(form_id: str, row: dict) -> dict[str, list[str]]:
    """{question: URLs of the files its answer names} for a records API row (released rows
    name only what the release keeps)."""
    urls: dict[str, list[str]] = {}
    for question, names in referenced_names(row.get("answers") or {}).items():
        for name in sorted(names):
            urls.setdefault(question, []).append(
                url_for(
                    "attachments_files_api.file_by_token",
                    form_id=form_id,
                    record_uuid=row["uuid"],
                    question=question,
                    sha256=name.split(".")[0],
                )
            )
    return urls


@bp.route("/<form_id>/attachments.zip")
@role_required("analyst")
def attachments_zip(form_id: str):
    """The files of the form's records the user may see, as released (an analyst) or as
    stored (an admin), named as the data's columns name them, with an index."""
    from .data import form_ids, records_shown

    if form_id not in form_ids():
        abort(404)
    store = get_store()
    out = tempfile.TemporaryFile(prefix="attachments-", suffix=".zip")
    count = 0
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as archive:
        index = io.StringIO()
        writer = csv.writer(index)
        writer.writerow(["_uuid", "_revision", "question", "file", "media_type", "size"])
        written: set[str] = set()
        for latest, answers in records_shown(form_id):
            for row in shown_attachments(store, latest, answers):
                writer.writerow(
                    [
                        row["uuid"],
                        row["revision"],
                        row["question"],
                        row["name"],
                        row["media_type"],
                        row["size"],
                    ]
                )
                if row["name"] not in written and stored_path(row["sha256"]).exists():
                    archive.write(stored_path(row["sha256"]), row["name"])
                    written.add(row["name"])
                    count += 1
        archive.writestr("attachments.csv", index.getvalue())
    store.log(
        g.user["name"],
        "export",
        f"{form_id} attachments.zip ({count} files)",
        account=user_account(g.user["id"]),
    )
    out.seek(0)
    return send_file(
        out,
        mimetype="application/zip",
        as_attachment=True,
        download_name=f"{form_id}-attachments.zip",
        max_age=0,
    )
