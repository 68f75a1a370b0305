"""Prompts in sound and picture on the central server: the recordings, pictures and videos a
published form names (collector.prompts), kept here so that the laptops get them by sync.

Each file is kept once by its SHA-256, whatever the number of forms that name it: its bytes
under the data dir, ``prompts/<ab>/<sha256>`` (owner-only, as sync_server.attachments keeps
records' files), its row in ``prompt_files``; ``form_prompts`` says which published form
version names it. A file arrives with `sync-server forms publish FORM --media FILE` or the
Forms page's upload, within the collector's limits (one definition: collector.prompts).

The laptops learn which files the server holds from the form list (`prompt_files` of each
version, docs/protocol.md) and fetch the ones they lack with
``GET /api/v1/prompts/<sha256>``: a device's token, and only a file a published version
names.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, current_app, send_file
from flask_babel import gettext

from collector.attachments import SHA256
from collector.prompts import (
    MAX_PROMPT_FILE_BYTES,
    MAX_PROMPT_FORM_BYTES,
    MEDIA_TYPE_OF,
    builtin_prompt,
    media_type,
    sha256_of,
)
from collector.protection import replace_file
from collector.protocol import API_PREFIX, ProtocolError

from .api import device_required
from .attachments import owner_only_dir
from .store import get_store

api_bp = Blueprint("prompts_api", __name__, url_prefix=API_PREFIX + "/prompts")
FOLDER = "prompts"
# The name is the content's hash: a laptop (or a proxy on its way) may keep it for good.
CACHE_CONTROL = "private, max-age=31536000, immutable"
MB = 1024 * 1024


class PromptRefused(ValueError):
    """A prompt file the server does not keep (its type, its size); nothing was kept."""


# -- Files in the data dir ----------------------------------------------------------------------


def stored_path(sha256: str, data_dir=None) -> Path:
    """Where a prompt file's bytes are kept (the running app's data dir when None)."""
    base = Path(data_dir or current_app.config["DATA_DIR"]) / FOLDER
    return base / sha256[:2] / sha256


def _write_once(path: Path, content: bytes) -> None:
    """The file whole or not at all, owner-only, in owner-only folders."""
    for folder in (path.parent.parent, path.parent):
        owner_only_dir(folder)
    replace_file(path, content)


def extension_of(name: str) -> str:
    return name.rsplit(".", 1)[-1].lower()


def check_files(files: dict[str, bytes]) -> None:
    """The collector's limits for one form's prompt files: PromptRefused names the first
    file of a type no prompt may be, or over the size of one file or of them all."""
    total = 0
    for name, content in files.items():
        if extension_of(name) not in MEDIA_TYPE_OF:
            raise PromptRefused(
                gettext("%(file)s is not a recording, picture or video a prompt may be.", file=name)
            )
        if len(content) > MAX_PROMPT_FILE_BYTES:
            raise PromptRefused(
                gettext(
                    "%(file)s is larger than %(max)s MB, the most a prompt file may be.",
                    file=name,
                    max=MAX_PROMPT_FILE_BYTES // MB,
                )
            )
        total += len(content)
    if total > MAX_PROMPT_FORM_BYTES:
        raise PromptRefused(
            gettext(
                "The form's prompt files are larger than %(max)s MB together.",
                max=MAX_PROMPT_FORM_BYTES // MB,
            )
        )


def keep_files(store, files: dict[str, bytes], data_dir=None) -> set[str]:
    """Keep prompt files (file name → bytes) once each by SHA-256: the bytes first, then
    their rows, so that a row always has its file. Returns their hashes."""
    check_files(files)
    rows: dict[str, tuple[str, int]] = {}
    for name, content in files.items():
        sha = sha256_of(content)
        path = stored_path(sha, data_dir)
        if not path.exists():
            _write_once(path, content)
        rows.setdefault(sha, (extension_of(name), len(content)))
    store.add_prompt_files([(sha, ext, size) for sha, (ext, size) in rows.items()])
    return set(rows)


def link_form(store, form) -> None:
    """Link a published version to the prompt files it names that the server holds: the
    laptops get those with it."""
    files = form.data.get("media_files") or {}
    held = store.held_prompts(files.values())
    store.link_form_prompts(
        form.form_id, form.version, [(name, sha) for name, sha in files.items() if sha in held]
    )


def publish_files(store, form, files: dict[str, bytes], data_dir=None) -> None:
    """The prompt files given with a form version that is now published: kept and linked."""
    if files:
        keep_files(store, files, data_dir)
    link_form(store, form)


def not_passed_on(store, form) -> list[str]:
    """The prompt files the form names that the laptops cannot get by sync: held neither
    here nor shipped with a built-in form (a file that was not given when publishing)."""
    files = form.data.get("media_files") or {}
    held = store.held_prompts(files.values())
    return sorted(
        name
        for name, sha in files.items()
        if sha not in held and builtin_prompt(form.form_id, name, sha) is None
    )


def not_passed_on_message(names: list[str]) -> str:
    """What the CLI and the Forms page say about not_passed_on's files."""
    return gettext(
        "Warning: the laptops do not get these prompt files of the form, which were not "
        "given when it was published: %(files)s. Publish the form again with them, or "
        "import it with its files on each laptop (collector forms import).",
        files=", ".join(names),
    )


def forget_unpublished(store, before: str, data_dir=None) -> int:
    """Remove the prompt files of uploads checked before `before` and never published
    (rows first, then bytes); returns how many."""
    hashes = store.drop_unlinked_prompts(before)
    kept_again = store.held_prompts(hashes)  # by an upload meanwhile
    for sha in set(hashes) - kept_again:
        stored_path(sha, data_dir).unlink(missing_ok=True)
    return len(hashes)


def with_prompt_files(store, listing: list[dict]) -> list[dict]:
    """The form list as laptops get it, each version with the hashes of the prompt files
    the server holds for it (`prompt_files`, only where there are any: a list without
    prompts is the same bytes, and the same ETag, as before)."""
    held = store.form_prompt_hashes()
    listed = []
    for item in listing:
        hashes = held.get((item["form_id"], item["version"]))
        listed.append(dict(item, prompt_files=hashes) if hashes else item)
    return listed


# -- The device API -----------------------------------------------------------------------------


@api_bp.route("/<sha256>")
@device_required
def prompt_file(sha256: str):
    """A prompt file a published form version names, for an enrolled device; its ETag is
    its hash, so a repeated request is answered 304 without the bytes."""
    if not SHA256.fullmatch(sha256):
        raise ProtocolError("invalid_message", "Not a SHA-256.", 400)
    row = get_store().published_prompt(sha256)
    path = stored_path(sha256)
    if row is None or not path.is_file():
        raise ProtocolError(
            "unknown_prompt", "No published form version has this prompt file.", 404
        )
    response = send_file(
        path, mimetype=media_type(f"file.{row['extension']}"), conditional=True, etag=sha256
    )
    response.headers["Cache-Control"] = CACHE_CONTROL
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
