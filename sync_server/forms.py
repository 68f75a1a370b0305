"""Forms page: the versions laptops download; checking, previewing and publishing a new one.

Publishing takes two steps. The upload (an XLSForm with the CSV files it uses, or a JSON
form definition) is checked; its problems are listed by sheet, row and column and nothing
is kept. A form that converts is kept as it is (Store.add_pending_form) and shown in
preview with its privacy rules and its difference from the current version; "Publish"
then publishes exactly that definition, without a second upload.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import tempfile
from datetime import timedelta
from pathlib import Path

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import format_decimal, gettext
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.utils import secure_filename

from collector import errors
from collector.anonymizer import privacy_listing
from collector.clock import utcnow
from collector.forms import (
    CHOICE_FILE_PATTERN,
    PROMPT_FILE_PATTERN,
    WITHHELD,
    FormDefinition,
    builtin_forms,
    load_form_json,
)
from collector.i18n import current_locale
from collector.prompts import MAX_PROMPT_FILE_BYTES, MAX_PROMPT_FORM_BYTES, MEDIA_TYPE_OF
from collector.xlsform import XLS_SUFFIXES, XLSX_SUFFIXES, ImportResult, read_form_file

from . import form_preview, prompts
from .auth import can, load_user, role_required
from .form_diff import Withheld, diff_forms, origin_text
from .store import Store, get_store

bp = Blueprint("forms", __name__, url_prefix="/forms")
MAX_FORM_BYTES = 2 * 1024 * 1024
# CSV files and prompt files (recordings, pictures, videos) together.
MAX_ATTACHED_FILES = 200
# One upload: the form, its CSV files and its prompt files (the collector's limit for a
# form's prompts, collector.prompts), above the server's usual request limit. The app's
# FORM_UPLOAD_MAX_BYTES, when set, replaces it.
MAX_UPLOAD_BYTES = MAX_PROMPT_FORM_BYTES + 8 * MAX_FORM_BYTES
# How long a checked form waits for "Publish" before it must be uploaded again.
PENDING_LIFETIME = timedelta(hours=2)
FORM_SUFFIXES = (*XLSX_SUFFIXES, *XLS_SUFFIXES, ".json")


class VersionExists(Exception):
    """That version of the form is published already, with another definition."""

    def __init__(self, form: FormDefinition):
        super().__init__(
            f"{form.form_id} version {form.version} is already published with "
            "a different definition."
        )
        self.form = form


def publish(
    store: Store, text: str, actor: str, files: dict[str, bytes] | None = None, data_dir=None
) -> tuple[FormDefinition, bool]:
    """Validate and publish a form definition; (form, False) when that version exists with
    the same definition, VersionExists when with another (published versions never
    change: records and laptops rely on them). Its prompt files (`files`, name → bytes, and
    those kept when it was checked) go to the laptops with it (sync_server.prompts)."""
    form = load_form_json(text)
    prompts.check_files(files or {})  # before anything is published
    definition = form.to_json()
    digest = hashlib.sha256(definition.encode("utf-8")).hexdigest()
    created = store.publish_form(form.form_id, form.version, definition, digest, actor)
    if not created and not same_definition(store, form):
        raise VersionExists(form)
    prompts.publish_files(store, form, files or {}, data_dir)
    return form, created


def same_definition(store: Store, form: FormDefinition) -> bool:
    stored = store.form_definition(form.form_id, form.version)
    return stored is not None and json.loads(stored) == json.loads(form.to_json())


def builtins_newest():
    """The built-in forms, each as its newest version (titles as the laptops show them)."""
    from .data import newest_form

    return [newest_form(form_id) for form_id in builtin_forms()]


def current_version(form_id: str, store: Store | None = None) -> FormDefinition | None:
    """The version laptops use now (newest published, else built-in), or None."""
    from .data import newest_form

    try:
        return newest_form(form_id, store)
    except KeyError:
        return None


def forms_page(status: int = 200, **context):
    return render_template(
        "forms.html",
        builtins=builtins_newest(),
        published=get_store().published_forms(),
        max_upload=upload_limit_text(),
        **context,
    ), status


@bp.route("")
@role_required("admin")
def index():
    return forms_page()


# -- step 1: upload and check ------------------------------------------------------------


class UploadRefused(Exception):
    """The files sent cannot be checked at all (none, too many, a name we cannot use)."""


@bp.url_value_preprocessor
def room_for_prompts(endpoint, _values) -> None:
    """An upload may carry the form's prompt files: a larger limit for it alone, set before
    anything reads the body (the CSRF check does, before the view)."""
    if endpoint == "forms.upload":
        request.max_content_length = upload_limit()


@bp.route("", methods=("POST",))
@role_required("admin")
def upload():
    try:
        result, file_name = check_upload(
            request.files.get("definition"), request.files.getlist("media")
        )
        if result.ok and result.prompt_files:
            # Kept now, by their hashes; "Publish" links them to the version. Those of
            # previews that expired unpublished go.
            prompts.forget_unpublished(get_store(), iso(utcnow() - PENDING_LIFETIME))
            prompts.keep_files(get_store(), result.prompt_files)
    except (UploadRefused, prompts.PromptRefused) as refused:
        return forms_page(422, problems=[{"message": str(refused)}])
    if not result.ok:
        return forms_page(
            422,
            problems=[problem_row(p) for p in result.errors],
            warnings=[problem_row(p) for p in result.warnings],
            checked_file=file_name,
            is_xlsform=not file_name.lower().endswith(".json"),
        )
    assert result.form is not None  # ok means converted
    pending_id = secrets.token_urlsafe(18)
    notes = json.dumps({"file": file_name, "warnings": [problem_row(p) for p in result.warnings]})
    get_store().add_pending_form(
        pending_id, actor_key(), result.form.to_json(), notes, iso(utcnow() + PENDING_LIFETIME)
    )
    return redirect(url_for("forms.preview", pending_id=pending_id), 303)


def check_upload(
    definition: FileStorage | None, media: list[FileStorage]
) -> tuple[ImportResult, str]:
    """Read the uploaded form (and its attached CSV files) as `forms import` reads files:
    saved in a folder of their own, converted, every problem listed."""
    if definition is None or not definition.filename:
        raise UploadRefused(
            gettext("Choose a form file: an XLSForm (.xlsx) or a JSON form definition.")
        )
    suffix = Path(definition.filename).suffix.lower()
    if suffix not in FORM_SUFFIXES:
        raise UploadRefused(
            gettext(
                "%(file)s is neither an XLSForm (.xlsx, .xls) nor a JSON form definition.",
                file=Path(definition.filename).name,
            )
        )
    attached = [f for f in media if f.filename]
    if len(attached) > MAX_ATTACHED_FILES:
        raise UploadRefused(gettext("Attach at most %(count)s files.", count=MAX_ATTACHED_FILES))
    # A name of letters only of another script (استمارة.xlsx) keeps its suffix, as "form".
    name = (secure_filename(Path(definition.filename).stem) or "form") + suffix
    with tempfile.TemporaryDirectory(prefix="form-upload-") as folder:
        form_path = save(definition, Path(folder) / name)
        media_paths = []
        for upload in attached:
            path = Path(folder) / media_name(upload, name)
            media_paths.append(
                save(upload, path) if path.suffix == ".csv" else save_prompt(upload, path)
            )
        return read_form_file(form_path, media_paths), Path(definition.filename).name


def media_name(upload: FileStorage, form_name: str) -> str:
    """An attached file's name as the form refers to it (villages.csv, water-sw.ogg),
    refused when it is neither a plain CSV file name nor a prompt file's."""
    name = Path(upload.filename or "").name
    usable = re.match(CHOICE_FILE_PATTERN, name) or (
        re.match(PROMPT_FILE_PATTERN, name)
        and len(name) <= 200
        and name.rsplit(".", 1)[-1].lower() in MEDIA_TYPE_OF
    )
    if not usable or name == form_name:
        raise UploadRefused(
            gettext(
                "%(file)s cannot be attached: attach the CSV files and the recordings, "
                "pictures and videos the form uses, named as the form names them (such as "
                "villages.csv or water-sw.ogg).",
                file=name or "?",
            )
        )
    return name


def save(upload: FileStorage, path: Path) -> Path:
    """Write an uploaded file; one larger than MAX_FORM_BYTES is refused."""
    data = upload.read(MAX_FORM_BYTES + 1)
    if len(data) > MAX_FORM_BYTES:
        raise UploadRefused(
            gettext(
                "%(file)s is larger than %(size)s MB.",
                file=path.name,
                size=format_decimal(MAX_FORM_BYTES / 1024 / 1024),
            )
        )
    path.write_bytes(data)
    return path


def save_prompt(upload: FileStorage, path: Path) -> Path:
    """Write an uploaded prompt file, no further than one byte over the limit: the import
    refuses a larger one, naming its row and column."""
    path.write_bytes(upload.read(MAX_PROMPT_FILE_BYTES + 1))
    return path


# Problems of a file the form names but that was not given: attach it on this page.
MISSING_FILE_KEYS = ("external_data/missing_file", "external_data/pulldata_file")


def problem_row(problem) -> dict:
    return {
        "sheet": problem.sheet,
        "row": problem.row,
        "column": problem.column,
        "message": problem.message,
        "missing_file": problem.key in MISSING_FILE_KEYS,
    }


def upload_limit() -> int:
    return int(current_app.config.get("FORM_UPLOAD_MAX_BYTES") or MAX_UPLOAD_BYTES)


def upload_limit_text() -> str:
    return format_decimal(round(upload_limit() / 1024 / 1024, 1))


@bp.errorhandler(RequestEntityTooLarge)
def too_large(error):
    """Files over the server's upload limit: said on the Forms page itself (to an admin;
    the limit is met before anyone is known, when the CSRF check reads the form)."""
    if "user" not in g:
        load_user()
    if request.endpoint != "forms.upload" or not can("admin"):
        return errors.handle_http(error)
    message = gettext(
        "The files sent are larger than %(size)s MB together; nothing was "
        "checked. Attach only the files the form uses, or publish it with "
        "the sync-server forms publish command.",
        size=upload_limit_text(),
    )
    return forms_page(413, problems=[{"message": message}])


def actor_key() -> str:
    """Whose pending form it is: the signed-in person's account."""
    return str(g.user["id"])


def iso(moment) -> str:
    return moment.isoformat().replace("+00:00", "Z")


# -- step 2: preview ---------------------------------------------------------------------


def pending_or_none(pending_id: str) -> tuple[dict, FormDefinition] | None:
    row = get_store().pending_form(pending_id, actor_key())
    if row is None:
        return None
    return row, load_form_json(row["definition"])


def gone():
    flash(gettext("This preview has expired or was already published: upload the form again."))
    return redirect(url_for("forms.index"), 303)


@bp.route("/preview/<pending_id>")
@role_required("admin")
def preview(pending_id: str):
    found = pending_or_none(pending_id)
    if found is None:
        return gone()
    row, form = found
    return render_template("forms_preview.html", **preview_context(pending_id, row, form))


def preview_context(pending_id: str, row: dict, form: FormDefinition) -> dict:
    """What the preview page shows about `form` (see the module's docstring)."""
    locale = current_locale()
    current = current_version(form.form_id)
    diff = diff_forms(current, form)
    store = get_store()
    existing = store.form_definition(form.form_id, form.version)
    notes = json.loads(row["notes"])
    return {
        "pending_id": pending_id,
        "form": form,
        "file": notes.get("file"),
        "warnings": notes.get("warnings", []),
        "expires_at": row["expires_at"],
        "languages": form_preview.languages(form),
        "sections": form_preview.sections(form, locale),
        "listing": privacy_listing(form),
        "derived_roles": derived_role_texts(form),
        "role_conflicts": role_conflict_texts(form),
        "newly_withheld": [withheld_text(item) for item in diff.withheld],
        "current": current,
        "diff": diff,
        "changes": form_preview.changes(diff, current, form, locale) if current else [],
        "added": [(n, form_preview.label_of(form, n, locale)) for n in diff.added],
        "removed": [(n, form_preview.label_of(current, n, locale)) for n in diff.removed]
        if current
        else [],
        "already": existing is not None and same_definition(store, form),
        "clash": existing is not None and not same_definition(store, form),
    }


# -- step 3: publish ---------------------------------------------------------------------


@bp.route("/preview/<pending_id>/publish", methods=("POST",))
@role_required("admin")
def publish_pending(pending_id: str):
    found = pending_or_none(pending_id)
    if found is None:
        return gone()
    row, form = found
    current = current_version(form.form_id)
    if (
        current is not None
        and diff_forms(current, form).weaker
        and request.form.get("confirm_weaker") != "yes"
    ):
        flash(
            gettext(
                "Tick the box to confirm that this version may send more about people "
                "than the current one."
            )
        )
        return redirect(url_for("forms.preview", pending_id=pending_id), 303)
    store = get_store()
    try:
        form, created = publish(store, row["definition"], g.user["name"])
    except VersionExists:
        flash(version_exists_message(form))
        return redirect(url_for("forms.preview", pending_id=pending_id), 303)
    store.drop_pending_form(pending_id)
    missing = prompts.not_passed_on(store, form)
    if missing:
        flash(prompts.not_passed_on_message(missing))
    if created:
        flash(
            gettext(
                "Published %(form)s version %(version)s. Laptops get it on their next sync.",
                form=form.form_id,
                version=form.version,
            )
        )
    else:
        flash(
            gettext(
                "%(form)s version %(version)s was already published.",
                form=form.form_id,
                version=form.version,
            )
        )
    _flash_privacy_listing(form)
    return redirect(url_for("forms.index"), 303)


def version_exists_message(form: FormDefinition) -> str:
    return gettext(
        "%(form)s version %(version)s is already published with a different "
        "definition, and a published version never changes. Give this one a new "
        "version number (the version column of the settings sheet) and upload it "
        "again.",
        form=form.form_id,
        version=form.version,
    )


def identifier_notices() -> dict[str, str]:
    """For each kind of identifier the safe defaults hold back: what happens to the field,
    a whole sentence each so that translations need not glue pieces."""
    return {
        "name": gettext(
            "%(field)s looks like a person's name: it stays on the laptops "
            "unless the form gives it a privacy rule."
        ),
        "phone": gettext(
            "%(field)s looks like a phone number: it stays on the laptops "
            "unless the form gives it a privacy rule."
        ),
        "national_id": gettext(
            "%(field)s looks like an ID number: it stays on the laptops "
            "unless the form gives it a privacy rule."
        ),
        "address": gettext(
            "%(field)s looks like an address: it stays on the laptops unless "
            "the form gives it a privacy rule."
        ),
        "location": gettext(
            "%(field)s looks like a location (GPS): it stays on the laptops "
            "unless the form gives it a privacy rule."
        ),
        "email": gettext(
            "%(field)s looks like an e-mail address: it stays on the laptops "
            "unless the form gives it a privacy rule."
        ),
        "date_of_birth": gettext(
            "%(field)s looks like a date of birth: only its year leaves "
            "the laptops unless the form gives it a privacy rule."
        ),
    }


def _flash_privacy_listing(form: FormDefinition) -> None:
    """What leaves the laptops as it is, and what the safe defaults hold back, so that the
    person publishing adds a rule on purpose where one is needed."""
    listing = privacy_listing(form)
    if listing["keep"]:
        flash(
            gettext(
                "Leave the laptops unchanged (keep): %(fields)s", fields=", ".join(listing["keep"])
            )
        )
    else:
        flash(gettext("No field leaves the laptops unchanged."))
    if listing["exact_locations"]:
        flash(
            gettext(
                "These locations leave the laptops exact (keep): %(fields)s",
                fields=", ".join(listing["exact_locations"]),
            )
        )
    notices = identifier_notices()
    for name, kind in listing["identifiers"]:
        flash(notices[kind] % {"field": name})
    derived = derived_role_texts(form)
    if derived:
        flash(
            gettext(
                "In releases, these take the role of what their value is taken from: %(fields)s",
                fields="; ".join(derived),
            )
        )
    for line in role_conflict_texts(form):
        flash(line)


def derived_role_texts(form: FormDefinition) -> list[str]:
    """Each question that takes its disclosure role from the key or sensitive questions
    its value is taken from (FormDefinition.derived_roles), in words, so that the person
    publishing sees it."""
    words = role_words()
    return [
        gettext(
            "%(field)s takes the role of %(sources)s (%(role)s)",
            field=name,
            sources=", ".join(origin_text(form, source) for source in sources),
            role=words[role],
        )
        for name, (role, sources) in form.derived_roles.items()
    ]


def role_words() -> dict[str, str]:
    return {
        "key": gettext("key"),
        "sensitive": gettext("sensitive"),
        WITHHELD: gettext("key and sensitive: not released"),
    }


def role_conflict_texts(form: FormDefinition) -> list[str]:
    """Each question marked key or sensitive but computed from questions of the other role
    (FormDefinition.role_conflicts), in words: it is not released."""
    return [
        conflict_text(name, own, [(origin_text(form, s), form.origin_role(s)) for s in sources])
        for name, (own, sources) in form.role_conflicts.items()
    ]


def conflict_text(name: str, own: str, sources: list[tuple[str, str]]) -> str:
    words = role_words()
    return gettext(
        "%(field)s is marked %(role)s but is computed from %(sources)s: not released",
        field=name,
        role=words[own],
        sources=", ".join(f"{source} ({words[role]})" for source, role in sources),
    )


def withheld_text(item: Withheld) -> str:
    """Why a question the current version releases is not released by the new one."""
    if item.own:
        return conflict_text(item.name, item.own, list(item.sources))
    words = role_words()
    return gettext(
        "%(field)s is computed from %(sources)s: not released",
        field=item.name,
        sources=", ".join(f"{source} ({words[role]})" for source, role in item.sources),
    )
