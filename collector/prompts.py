"""Prompts in sound and picture: the recordings, pictures and videos a form shows beside a
question or a choice, so that a person who cannot read can answer.

A form definition names each prompt by its file name per language (``media`` of a question
or a choice, collector.forms) and lists the files it came with in ``media_files`` (file
name → SHA-256). The bytes never sit in the definition's JSON: an imported form's files
are kept once each in the hub's ``form_media`` table, by their SHA-256; a built-in form's
files ship in the package (``builtin_forms/prompts/<form>``). The page asks for one as
``/prompts/<form>/<hash>.<ext>`` (the start of its SHA-256): the name carries the hash,
so a phone may keep it for
good (and the service worker does, to play it again without the hub).
"""

from __future__ import annotations

import hashlib
import json
from importlib import resources
from pathlib import Path

from .clock import now_iso
from .db import write_transaction

# What each kind of prompt may be: file extension → media type. No SVG: a picture served
# from the hub's own address must not be able to carry a script.
PROMPT_TYPES = {
    "audio": {
        "ogg": "audio/ogg",
        "oga": "audio/ogg",
        "opus": "audio/ogg",
        "mp3": "audio/mpeg",
        "m4a": "audio/mp4",
        "aac": "audio/aac",
        "wav": "audio/wav",
        "weba": "audio/webm",
        "amr": "audio/amr",
        "3gp": "audio/3gpp",
    },
    "image": {
        "jpg": "image/jpeg",
        "jpeg": "image/jpeg",
        "png": "image/png",
        "gif": "image/gif",
        "webp": "image/webp",
    },
    "video": {
        "mp4": "video/mp4",
        "webm": "video/webm",
        "ogv": "video/ogg",
        "3gp": "video/3gpp",
        "mov": "video/quicktime",
        "mkv": "video/x-matroska",  # taken as ODK takes it; many phone browsers cannot play it
    },
}
MEDIA_TYPE_OF = {ext: kind for types in PROMPT_TYPES.values() for ext, kind in types.items()}
# One prompt file, and all of one form's: a video prompt is the largest a form should need,
# and every phone may end up keeping them.
MAX_PROMPT_FILE_BYTES = 10 * 1024 * 1024
MAX_PROMPT_FORM_BYTES = 50 * 1024 * 1024
BUILTIN_FOLDER = "prompts"


def sha256_of(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


def media_type(name: str) -> str:
    """The media type a prompt file is served as, by its extension."""
    return MEDIA_TYPE_OF.get(name.rsplit(".", 1)[-1].lower(), "application/octet-stream")


def store_prompt_files(db, files: dict[str, bytes]) -> int:
    """Keep a form's prompt files (file name → bytes) on the hub, each once; returns how
    many were new."""
    added = 0
    with write_transaction(db):
        for name, content in files.items():
            added += _insert(db, sha256_of(content), name.rsplit(".", 1)[-1].lower(), content)
    return added


def _insert(db, sha: str, extension: str, content: bytes) -> bool:
    """One prompt file in form_media (inside the caller's transaction), unless held."""
    if db.execute("SELECT 1 FROM form_media WHERE sha256 = ?", [sha]).fetchone():
        return False
    db.execute(
        "INSERT INTO form_media (sha256, extension, size, content, added_at) "
        "VALUES (?, ?, ?, ?, ?)",
        [sha, extension, len(content), content, now_iso()],
    )
    return True


class PromptMismatch(ValueError):
    """A fetched prompt file that is not the one the form names; it was not kept."""


def store_fetched_prompt(db, sha: str, extension: str, content: bytes) -> bool:
    """Keep a prompt file the sync server sent (collector.sync_client), only if its bytes
    have the SHA-256 the form names and it is within the limits of an imported one:
    PromptMismatch otherwise, and nothing is stored. False when it was held already."""
    if sha256_of(content) != sha:
        raise PromptMismatch(f"The prompt file {sha[:12]}… does not have the SHA-256 named.")
    if len(content) > MAX_PROMPT_FILE_BYTES or extension not in MEDIA_TYPE_OF:
        raise PromptMismatch(f"The prompt file {sha[:12]}… is not one a form may have.")
    with write_transaction(db):
        return _insert(db, sha, extension, content)


def missing_prompts(db, offered) -> dict[str, str]:
    """The prompt files that the forms on this hub name and the server offers (`offered`,
    hashes), which the hub holds neither in form_media nor with a built-in form: SHA-256 →
    the extension of the name a form gives it. Nothing is read when nothing is offered."""
    offered = set(offered)
    if not offered:
        return {}
    wanted: dict[str, tuple[str, str]] = {}
    for form_id, files in db.execute(
        "SELECT form_id, json_extract(definition, '$.media_files') FROM forms"
        " WHERE json_extract(definition, '$.media_files') IS NOT NULL"
    ).fetchall():
        for name, sha in json.loads(files).items():
            if sha in offered:
                wanted.setdefault(sha, (form_id, name))
    held = (
        {
            row[0]
            for row in db.execute(
                f"SELECT sha256 FROM form_media WHERE sha256 IN ({', '.join('?' * len(wanted))})",
                list(wanted),
            ).fetchall()
        }
        if wanted
        else set()
    )
    return {
        sha: name.rsplit(".", 1)[-1].lower()
        for sha, (form_id, name) in wanted.items()
        if sha not in held and builtin_prompt(form_id, name, sha) is None
    }


def read_prompt(db, form, stored: str) -> bytes | None:
    """The bytes of the form's prompt file by its address name `<hash>.<ext>`
    (FormDefinition.prompts), or None when the form has no such file (a name of another
    form, or a file that never came with it)."""
    short, _, extension = stored.partition(".")
    name = form.prompt_hashes.get(short)
    if name is None or name.rsplit(".", 1)[-1].lower() != extension:
        return None
    return prompt_bytes(db, form, name)


def prompt_bytes(db, form, name: str) -> bytes | None:
    """The bytes of the form's prompt file `name`: kept on the hub, or shipped with a
    built-in form; None when neither has them."""
    sha = form.data["media_files"][name]
    row = db.execute("SELECT content FROM form_media WHERE sha256 = ?", [sha]).fetchone()
    if row is not None:
        return bytes(row[0])
    return builtin_prompt(form.form_id, name, sha)


def builtin_prompt(form_id: str, name: str, sha: str) -> bytes | None:
    """A built-in form's prompt file from the package, if its bytes are the ones named."""
    from .forms import BUILTIN_FORM_IDS

    if form_id not in BUILTIN_FORM_IDS:
        return None
    path = resources.files("collector") / "builtin_forms" / BUILTIN_FOLDER / form_id / name
    try:
        content = path.read_bytes()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return None
    return content if sha256_of(content) == sha else None


def prompt_names(definition: dict) -> dict[str, str]:
    """Every file the form's prompts name: file name → the kind that first names it."""
    from .forms import prompt_items

    names: dict[str, str] = {}
    for _where, media in prompt_items(definition):
        for kind, texts in media.items():
            for name in texts.values():
                names.setdefault(name, kind)
    return names


def read_prompt_file(path: Path) -> bytes:
    """A prompt file's bytes, read no further than the limit (a larger one is refused)."""
    with open(path, "rb") as handle:
        return handle.read(MAX_PROMPT_FILE_BYTES + 1)
