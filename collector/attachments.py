"""Photos, recordings, videos and files kept on the hub beside their record.

Each attachment is stored once by the SHA-256 of its stored bytes, under the data folder's
``attachments`` folder (owner-only, sealed with the folder's key when the data folder is
protected, collector.protection), and a row in the ``attachments`` table says which record
and question it belongs to. The original file name is never kept: only its extension.

Photos are cleaned before they are stored: Pillow applies the camera's orientation, then
writes a new JPEG (or PNG for pictures with transparency) from the pixels alone, so EXIF
(GPS position, camera maker and serial, time), maker notes and XMP are gone; the longest
side is cut to `attachment_max_pixels` (1024 by default). Audio, video and other files are
kept as given: their own metadata is not removed (docs/privacy.md says how to avoid it).

How the form pages use this
---------------------------
A media question (`image`, `audio`, `video`, `file`, appearance `signature` or `draw`)
is posted as a file field named by the question. The page calls::

    stored = store_attachment(get_db(), current_app.config["DATA_DIR"], record_uuid,
                              question.name, upload.filename, upload.read(), upload.mimetype,
                              kind=media_kind(question), settings=current_app.config["HUB"])

and keeps ``stored["name"]`` (``<sha256>.<ext>``) as the question's answer, like any other
answer. `AttachmentError` carries a translated message for the page (the answer is then
left as it was: nothing is stored). The review page shows a stored file with
`read_attachment(db, data_dir, sha256)` and `attachments_of(db, record_uuid)`; a question's
file input takes ``accept`` from `MEDIA_TYPES[media_kind(question)]`. The phone may downscale
a photo before upload (the form's `max-pixels`); the hub cleans it again whatever it gets.

What leaves the laptop: after the server acknowledged a revision, the sync client queues
its attachments whose question's privacy rule is `keep` (`leaves`), and uploads them in
pieces (collector.sync_client). In the discrimination report and the kiosk form an
attachment leaves only where the form says `keep` on the question itself.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import warnings
from pathlib import Path

from flask_babel import gettext

from .anonymizer import rule_for
from .clock import now_iso
from .db import write_transaction
from .forms import FEEDBACK_FORM, REPORT_FORM
from .protection import PREFIX, replace_file
from .settings import load_settings

FOLDER = "attachments"
# Forms where a photo or recording can identify a person who reported something: their
# attachments leave only where the question itself says `keep`.
SENSITIVE_FORMS = (REPORT_FORM, FEEDBACK_FORM)
# The media types each kind of question accepts, and the extension each is stored with.
MEDIA_TYPES = {
    "image": {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp", "image/gif": "gif"},
    "audio": {
        "audio/mpeg": "mp3",
        "audio/mp4": "m4a",
        "audio/aac": "aac",
        "audio/ogg": "ogg",
        "audio/webm": "weba",
        "audio/wav": "wav",
        "audio/x-wav": "wav",
        "audio/3gpp": "3gp",
        "audio/amr": "amr",
        "audio/flac": "flac",
    },
    "video": {
        "video/mp4": "mp4",
        "video/webm": "webm",
        "video/3gpp": "3gp",
        "video/quicktime": "mov",
        "video/ogg": "ogv",
    },
    "file": {
        "application/pdf": "pdf",
        "text/plain": "txt",
        "text/csv": "csv",
        "application/zip": "zip",
        "application/octet-stream": "bin",
    },
}
# XLSForm question types (and appearances on `image`) and the kind of file each takes.
QUESTION_KINDS = {
    "image": "image",
    "audio": "audio",
    "background-audio": "audio",
    "video": "video",
    "file": "file",
}
SHA256 = re.compile(r"[0-9a-f]{64}")
NAME = re.compile(r"([0-9a-f]{64})\.([a-z0-9]{1,5})")
_QUESTION_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]{0,99}")
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
JPEG_QUALITY = 80
MB = 1024 * 1024


class AttachmentError(ValueError):
    """A file the hub refuses: `code` for programs, `message` translated for people."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code, self.message = code, message


def media_kind(question) -> str:
    """The kind of file a question takes: image, audio, video or file (a question of
    another type takes any of them)."""
    return QUESTION_KINDS.get(question.get("type"), "any")


def leaves(question, form) -> bool:
    """Whether an attachment of this question may leave the laptop: only under `keep`
    (no other rule can be applied to a photo), and in the sensitive forms only where the
    question itself says so."""
    if question is None or rule_for(question, form) != "keep":
        return False
    if form is not None and form.form_id in SENSITIVE_FORMS:
        return question.get("privacy") == "keep"
    return True


# -- Storing ------------------------------------------------------------------------------


def store_attachment(
    db,
    data_dir,
    record_uuid: str,
    question: str,
    filename: str,
    data: bytes,
    media_type: str,
    kind: str = "any",
    settings: dict | None = None,
) -> dict:
    """Check, clean and store one file of a record's question; its description.

    Returns {"name", "sha256", "size", "media_type", "record_uuid", "question"}; `name`
    (``<sha256>.<ext>``) is what the question's answer holds. Raises AttachmentError with
    nothing stored when the file is too large, of a type the question does not take, or
    not what it says it is (a photo Pillow cannot read)."""
    settings = settings or load_settings(Path(data_dir))
    media_type = (media_type or "").split(";")[0].strip().lower()
    _check_names(record_uuid, question)
    found_kind, extension = _kind_of(media_type, kind, filename)
    limit = int(settings["attachment_max_file_mb"]) * MB
    if not data:
        raise AttachmentError("empty_file", gettext("The file is empty."))
    if len(data) > limit:
        raise AttachmentError(
            "file_too_large",
            gettext(
                "The file is larger than %(limit)s MB: send a smaller one.",
                limit=settings["attachment_max_file_mb"],
            ),
        )
    if found_kind == "image":
        data, media_type, extension = clean_image(data, int(settings["attachment_max_pixels"]))
    sha256 = hashlib.sha256(data).hexdigest()
    new_file = not file_path(data_dir, sha256).exists()
    try:
        with write_transaction(db):
            _check_record_total(
                db,
                record_uuid,
                question,
                len(data),
                sha256,
                int(settings["attachment_max_record_mb"]),
            )
            _write_file(db, data_dir, sha256, data)
            revision = db.execute(
                "SELECT revision FROM records WHERE uuid = ?", [record_uuid]
            ).fetchone()
            db.execute(
                "INSERT OR REPLACE INTO attachments (record_uuid, question, sha256, revision,"
                " size, media_type, extension, added_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    record_uuid,
                    question,
                    sha256,
                    (revision[0] if revision else 0) + 1,
                    len(data),
                    media_type,
                    extension,
                    now_iso(),
                ],
            )
    except BaseException:
        if new_file:  # the row was not stored (a full disk...): neither is the file
            remove_unused_files(db, data_dir, [sha256])
        raise
    return {
        "name": f"{sha256}.{extension}",
        "sha256": sha256,
        "size": len(data),
        "media_type": media_type,
        "record_uuid": record_uuid,
        "question": question,
    }


def _check_names(record_uuid: str, question: str) -> None:
    if not isinstance(record_uuid, str) or not _UUID.fullmatch(record_uuid):
        raise AttachmentError("bad_record", gettext("This record is not known."))
    if not isinstance(question, str) or not _QUESTION_NAME.fullmatch(question):
        raise AttachmentError("bad_question", gettext("This question is not known."))


def _kind_of(media_type: str, kind: str, filename: str) -> tuple[str, str]:
    """(kind, extension) of an accepted media type; AttachmentError for any other."""
    kinds = MEDIA_TYPES if kind == "any" else {kind: MEDIA_TYPES.get(kind, {})}
    for found, types in kinds.items():
        if media_type in types:
            return found, types[media_type]
    accepted = ", ".join(sorted({ext for types in kinds.values() for ext in types.values()}))
    shown = Path(str(filename or "")).suffix.lstrip(".")[:10] or media_type[:40] or "?"
    raise AttachmentError(
        "media_type_refused",
        gettext(
            "Files of this type (%(type)s) are not accepted here. Accepted: %(accepted)s.",
            type=shown,
            accepted=accepted,
        ),
    )


def _check_record_total(
    db, record_uuid: str, question: str, size: int, sha256: str, limit_mb: int
) -> None:
    """A record's files together stay under the limit (a file replaced is not counted)."""
    held = db.execute(
        "SELECT coalesce(sum(size), 0) FROM attachments WHERE record_uuid = ?"
        " AND NOT (question = ? AND sha256 = ?)",
        [record_uuid, question, sha256],
    ).fetchone()[0]
    if held + size > limit_mb * MB:
        raise AttachmentError(
            "record_too_large",
            gettext(
                "This record's files would be larger than %(limit)s MB together: leave one out "
                "or send smaller ones.",
                limit=limit_mb,
            ),
        )


def clean_image(data: bytes, max_pixels: int) -> tuple[bytes, str, str]:
    """A photo without metadata: orientation applied, longest side at most `max_pixels`,
    written again from its pixels (JPEG quality 80; PNG when it has transparency).
    Returns (bytes, media type, extension); AttachmentError if it is not an image."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            # A "decompression bomb" (a tiny file of a gigantic picture) is refused.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as opened:
                opened.seek(0)  # the first frame of an animation
                if opened.format == "JPEG":  # decode a camera photo at a fraction of its size
                    opened.draft("RGB", (max_pixels, max_pixels))
                upright = ImageOps.exif_transpose(opened)
                upright.thumbnail((max_pixels, max_pixels), Image.Resampling.LANCZOS)
                return _encoded(upright)
    except (
        UnidentifiedImageError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
        OSError,
        ValueError,
        EOFError,
    ):
        raise AttachmentError(
            "not_an_image", gettext("This file is not a photo the hub can read.")
        ) from None


def _encoded(image) -> tuple[bytes, str, str]:
    """The pixels only, in a new file: no EXIF, XMP, ICC profile or comment is copied."""
    from PIL import Image

    output = io.BytesIO()
    transparent = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
    mode = "RGBA" if transparent else "RGB"
    pixels = image.convert(mode)
    clean = Image.new(mode, pixels.size)  # a new image: its `info` holds nothing
    clean.paste(pixels)
    if transparent:
        clean.save(output, "PNG", optimize=True)
        return output.getvalue(), "image/png", "png"
    clean.save(output, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
    return output.getvalue(), "image/jpeg", "jpg"


# -- Files in the data folder ---------------------------------------------------------------


def file_path(data_dir, sha256: str) -> Path:
    if not SHA256.fullmatch(sha256):
        raise AttachmentError("bad_hash", gettext("This file is not known."))
    return Path(data_dir) / FOLDER / sha256[:2] / sha256


def _write_file(db, data_dir, sha256: str, data: bytes) -> None:
    """The bytes under their hash, owner-only, sealed when the folder is protected."""
    path = file_path(data_dir, sha256)
    if path.exists():
        return  # the same content is stored once
    path.parent.mkdir(parents=True, exist_ok=True)
    for folder in (path.parent.parent, path.parent):
        if os.name == "posix":
            os.chmod(folder, 0o700)
    vault = getattr(db, "vault", None)
    stored = data if vault is None else vault.seal(data, _place(sha256)).encode("ascii")
    replace_file(path, stored)


def _place(sha256: str) -> str:
    return f"{FOLDER}/{sha256}"


def read_attachment(db, data_dir, sha256: str) -> bytes:
    """The stored bytes of one file, opened when sealed; AttachmentError when missing."""
    try:
        stored = file_path(data_dir, sha256).read_bytes()
    except FileNotFoundError:
        raise AttachmentError("missing_file", gettext("This file is not on the hub.")) from None
    vault = getattr(db, "vault", None)
    if vault is not None and stored.startswith(PREFIX.encode("ascii")):
        return vault.open(stored.decode("ascii"), _place(sha256))
    return stored


def attachments_of(db, record_uuid: str) -> list[dict]:
    """The files stored for a record, oldest first, with each one's answer `name`."""
    rows = db.query(
        "SELECT record_uuid, question, sha256, revision, size, media_type,"
        " extension, added_at FROM attachments WHERE record_uuid = ?"
        " ORDER BY added_at, question",
        [record_uuid],
    )
    return [dict(row, name=f"{row['sha256']}.{row['extension']}") for row in rows]


def remove_unused_files(db, data_dir, hashes) -> int:
    """Delete the files of these hashes that no attachment row uses any more (after the
    transaction that removed the rows has committed); how many went."""
    removed = 0
    for sha256 in sorted(set(hashes)):
        used = db.execute("SELECT 1 FROM attachments WHERE sha256 = ? LIMIT 1", [sha256]).fetchone()
        if used is None:
            path = file_path(data_dir, sha256)
            if path.exists():
                path.unlink()
                removed += 1
    return removed


def remove_attachments(db, record_uuid: str, keep_names=None) -> set[str]:
    """Remove a record's attachment rows (inside the caller's transaction), all of them or
    those whose name is not in `keep_names`; the hashes they used, for remove_unused_files."""
    gone = set()
    for row in attachments_of(db, record_uuid):
        if keep_names is not None and row["name"] in keep_names:
            continue
        db.execute(
            "DELETE FROM attachments WHERE record_uuid = ? AND question = ? AND sha256 = ?",
            [record_uuid, row["question"], row["sha256"]],
        )
        db.execute(
            "DELETE FROM attachment_outbox WHERE record_uuid = ? AND question = ?"
            " AND sha256 = ? AND state != 'sent'",
            [record_uuid, row["question"], row["sha256"]],
        )
        gone.add(row["sha256"])
    return gone


def data_dir_of(db) -> Path:
    """The data folder of a hub database connection (where its attachments folder is)."""
    for _, name, path in db.execute("PRAGMA database_list").fetchall():
        if name == "main" and path:
            return Path(path).parent
    raise AttachmentError("no_data_dir", "This database has no data folder.")


# -- What answers refer to ------------------------------------------------------------------


def referenced_names(answers) -> dict[str, set[str]]:
    """{question: attachment names (``<sha256>.<ext>``) its answers hold}, repeats included.
    The server reads released answers with it too: a file is shown only where its name is."""
    found: dict[str, set[str]] = {}
    scopes = [answers] if isinstance(answers, dict) else []
    while scopes:
        scope = scopes.pop()
        for name, value in scope.items():
            for item in value if isinstance(value, list) else [value]:
                if isinstance(item, dict):
                    scopes.append(item)  # an instance of a repeat
                elif isinstance(item, str) and NAME.fullmatch(item):
                    found.setdefault(name, set()).add(item)
    return found


def queue_uploads(db, record_uuid: str, revision: int, form, answers: dict) -> int:
    """After the server acknowledged a revision (inside that transaction): queue the files
    its answers refer to that may leave the laptop; how many were queued."""
    names = referenced_names(answers)
    queued = 0
    for row in attachments_of(db, record_uuid):
        question = form.questions.get(row["question"]) if form is not None else None
        if row["name"] in names.get(row["question"], ()) and leaves(question, form):
            queued += db.execute(
                "INSERT OR IGNORE INTO attachment_outbox (record_uuid, revision, question,"
                " sha256, size, media_type, extension, state, queued_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, 'queued', ?)",
                [
                    record_uuid,
                    revision,
                    row["question"],
                    row["sha256"],
                    row["size"],
                    row["media_type"],
                    row["extension"],
                    now_iso(),
                ],
            ).rowcount
    return queued
