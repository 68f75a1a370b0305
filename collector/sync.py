"""The hub's sync page: enroll with the server, sync now, and see what leaves the laptop."""

from __future__ import annotations

import json
import threading
from pathlib import Path

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext, ngettext

from . import repeats, review, scrubbing
from .anonymizer import anonymize, text_names
from .auth import is_operator, login_required, operator_required
from .db import get_db
from .errors import error_response
from .form_library import accept_refused_form, form_version, get_form, refused_forms
from .record_names import record_name
from .records import get_record, is_uuid, status_counts
from .security_log import user_account
from .sync_client import (
    DeviceRevoked,
    SyncClient,
    SyncError,
    current_server,
    enroll,
    load_credentials,
    same_fingerprint,
    server_identity,
)
from .users import get_user

bp = Blueprint("sync", __name__, url_prefix="/sync")
# Shown when the hub is not enrolled yet: pseudonyms then use a key known to nobody.
PREVIEW_KEY = b"preview only, not the project key"


def error_text(code: str | None, error: dict | None = None) -> str:
    """A sync problem in plain words, in the reader's language; `error` is the kept
    last_error, whose fingerprints a refused server's message shows."""
    if code in ("server_not_enrolled", "server_cannot_prove"):
        return _refused_server_text(code, error or {})
    return {
        "unreachable": gettext(
            "The server could not be reached. The hub will try again by "
            "itself when there is a connection."
        ),
        "device_revoked": gettext(
            "The central team has revoked this laptop. It keeps all its "
            "records but can no longer sync; ask the team for a new "
            "enrollment code."
        ),
        "code_unknown": gettext(
            "This enrollment code is not known. Check it with the central team."
        ),
        "code_used": gettext(
            "This enrollment code was already used. Ask the central team for a new one."
        ),
        "code_expired": gettext(
            "This enrollment code has expired. Ask the central team for a new one."
        ),
        "protocol_unsupported": gettext(
            "The server speaks another version of the sync "
            "protocol. Update the collector or the server."
        ),
        "no_server_identity": gettext(
            "The server did not say who it is: it is not a sync "
            "server, or it is too old to enroll with."
        ),
        "fingerprint_mismatch": gettext(
            "The server's fingerprint is not the one you confirmed. "
            "Nothing was changed. Check the address with the "
            "central team."
        ),
        "bad_server_signature": gettext(
            "The server's answer is not signed by its identity key. Nothing was changed."
        ),
        "bad_answer": gettext("The server's answer was not understood. Nothing was changed."),
        "no_pseudonym_key": gettext(
            "The project's pseudonym key is not installed on this "
            "laptop: ask the data custodian for the key file and run "
            "collector keys import."
        ),
        "server_disk_full": gettext(
            "The server's disk is full, so it could not store what "
            "the hub sent. Nothing is lost: the records stay queued. "
            "Tell the central team."
        ),
    }.get(
        code or "",
        gettext("The server refused the request. The central team can see why in its logs."),
    )


def _refused_server_text(code: str, error: dict) -> str:
    enrolled = error.get("enrolled") or gettext("unknown")
    if code == "server_cannot_prove":
        return gettext(
            "The server did not prove it is the one this laptop enrolled with "
            "(fingerprint %(enrolled)s): it is too old to be asked, or it is another "
            "server. Nothing was sent. Ask the central team to update the sync server.",
            enrolled=enrolled,
        )
    return gettext(
        "The server at this address is not the one this laptop enrolled with. "
        "Enrolled: %(enrolled)s. This server: %(found)s. Nothing was sent, not even "
        "the laptop's token. Check the address with the central team; if they moved or "
        "rebuilt the server, enroll again with a new code.",
        enrolled=enrolled,
        found=error.get("found") or gettext("no proof"),
    )


@bp.route("", methods=("GET",))
@login_required
def page():
    db = get_db()
    _hold_for_review(db)
    counts = status_counts(db)
    operator = is_operator(g.user)
    error = counts["last_error"]
    rejected = [dict(row, previewable=_may_preview(row)) for row in _rejected(db, operator)]
    return render_template(
        "sync.html",
        counts=counts,
        rejected=rejected,
        error_message=error_text(error["code"], error) if error else None,
        enrolled=load_credentials(db, _data_dir()) is not None,
        operator=operator,
        enrollment=current_server(db),
        refused=refused_forms(db) if operator else [],
    )


def _rejected(db, operator: bool) -> list[dict]:
    """Rejected revisions: an enumerator sees their own, the operator every one."""
    sql = (
        "SELECT o.uuid, o.revision, o.error_code, o.error_message, r.form_id,"
        " r.enumerator_id FROM outbox o JOIN records r ON r.uuid = o.uuid"
        " WHERE o.state = 'rejected'"
    )
    if operator:
        return list(db.query(sql + " ORDER BY o.queued_at"))
    return list(db.query(sql + " AND r.enumerator_id = ? ORDER BY o.queued_at", [g.user["id"]]))


@bp.route("/enroll", methods=("POST",))
@operator_required
def enroll_page():
    """Step 1: ask the server who it is and show it; nothing changes and no code is sent."""
    server_url, code = _enroll_fields()
    if server_url is None:
        return redirect(url_for("sync.page"))
    try:
        server = server_identity(server_url)
    except SyncError as error:
        flash(error_text(error.code))
        return redirect(url_for("sync.page"))
    current = current_server(get_db())
    change = current is not None and (
        current.get("server_url") != server.url
        or not same_fingerprint(current.get("server_fingerprint"), server.fingerprint)
    )
    return render_template(
        "enroll_confirm.html", server=server, code=code, current=current, change=change
    )


@bp.route("/enroll/confirm", methods=("POST",))
@operator_required
def enroll_confirm():
    """Step 2: enroll, only with the server whose fingerprint the operator saw."""
    server_url, code = _enroll_fields()
    fingerprint = request.form.get("fingerprint", "").strip()
    if server_url is None:
        return redirect(url_for("sync.page"))
    if not fingerprint:
        abort(400)
    try:
        enroll(
            get_db(),
            _data_dir(),
            server_url,
            code,
            expected_fingerprint=fingerprint,
            account=user_account(g.user["id"]),
        )
    except SyncError as error:
        flash(error_text(error.code))
        return redirect(url_for("sync.page"))
    flash(gettext("This laptop is now enrolled with the server."))
    return redirect(url_for("sync.page"))


def _enroll_fields() -> tuple[str | None, str]:
    """The server address and code posted, or (None, "") after flashing what is missing."""
    server_url = request.form.get("server", "").strip()
    code = request.form.get("code", "").strip()
    if not server_url.startswith(("http://", "https://")) or not code or len(code) > 64:
        flash(
            gettext(
                "Enter the server's address (starting with http:// or https://) and "
                "the enrollment code."
            )
        )
        return None, ""
    return server_url, code


@bp.route("/forms/accept", methods=("POST",))
@operator_required
def accept_form():
    """The operator installs a form version this hub refused because it would send more
    about people: a decision for this laptop only, kept in the security log."""
    form_id = request.form.get("form_id", "").strip()
    version = request.form.get("version", "").strip()
    try:
        form, _ = accept_refused_form(
            get_db(),
            current_app.extensions["builtin_forms"],
            form_id,
            version,
            account=user_account(g.user["id"]),
        )
    except LookupError:
        return error_response(
            404,
            "form_not_refused",
            gettext("This form version is not waiting for a decision on this laptop."),
        )
    flash(
        gettext(
            "Installed form %(form)s version %(version)s on this laptop.",
            form=form.form_id,
            version=form.version,
        )
    )
    return redirect(url_for("sync.page"))


@bp.route("/now", methods=("POST",))
@login_required
def sync_now():
    work = current_app.extensions.get("background")
    if work is not None:
        work.wake()  # the background thread syncs; the page never waits for the network
    else:
        _sync_in_thread(current_app.config["DATABASE"], _data_dir())
    flash(gettext("Sync started. Reload this page in a moment to see the result."))
    return redirect(url_for("sync.page"))


@bp.route("/preview/<record_uuid>")
@login_required
def preview(record_uuid: str):
    """Exactly what would leave the laptop for this record, byte for byte."""
    if not is_uuid(record_uuid):
        abort(404)
    db = get_db()
    record = get_record(db, record_uuid)
    if record is None or not _may_preview(record):
        abort(404)
    credentials = load_credentials(db, _data_dir())
    key = (
        credentials.pseudonym_key.encode("ascii")
        if credentials and credentials.pseudonym_key
        else PREVIEW_KEY
    )
    form = get_form(record["form_id"], record["form_version"])
    enumerator = get_user(db, record["enumerator_id"]) if record["enumerator_id"] else None
    sync_record = anonymize(
        {
            **record,
            "enumerator": enumerator["name"] if enumerator else None,
            "revision": max(record["revision"], 1),
            "finalized_at": record["finalized_at"] or record["updated_at"],
        },
        form,
        key,
        credentials.phone_region if credentials else "",
        _redactions(db, record_uuid, record["revision"]),
        credentials.device_id if credentials else None,
    )
    names = text_names(form, record["answers"], enumerator["name"] if enumerator else None)
    return render_template(
        "preview.html",
        record=record,
        form=form,
        payload=json.dumps(sync_record, ensure_ascii=False, indent=2),
        dropped=_dropped(form, record["answers"], sync_record["answers"]),
        scrubbed=_scrubbed_texts(form, record["answers"], names),
        enrolled=credentials is not None,
    )


def _redactions(db, record_uuid: str, revision: int) -> list[str]:
    """The words the operator removed from this revision on the review page."""
    row = db.execute(
        "SELECT redactions FROM outbox WHERE uuid = ? AND revision = ?", [record_uuid, revision]
    ).fetchone()
    return review.redactions_of(
        db, {"uuid": record_uuid, "revision": revision, "redactions": row[0] if row else None}
    )


def _hold_for_review(db) -> None:
    """Hold what the operator must read before it leaves, so the counts are true now."""
    review.hold_pending(db, current_app.config["HUB"]["hold_free_text_for_review"])


@bp.route("/review", methods=("GET",))
@operator_required
def review_page():
    """Held free text, with what the scrubber removes highlighted; the operator may name
    more words to remove, then release."""
    db = get_db()
    _hold_for_review(db)
    held = []
    for row in review.held_revisions(db):
        form = form_version(
            db, current_app.extensions["builtin_forms"], row["form_id"], row["form_version"]
        )
        held.append(
            {
                "row": row,
                "form": form,
                "texts": review.highlighted(form, row) if form else [],
                # The operator does not open others' records: a name from private answers
                # is left out (collector.record_names).
                "name": record_name(form, row["answers"], may_open=False),
            }
        )
    return render_template("review_hold.html", held=held)


@bp.route("/review", methods=("POST",))
@operator_required
def release_held():
    """Release one held revision (`release` = its uuid:revision) or every one shown
    (`release` = all, with the `shown` ones), each with the words typed for it."""
    choice = request.form.get("release", "")
    keys = request.form.getlist("shown") if choice == "all" else [choice]
    pairs = [_held_key(key) for key in keys if key]
    if not pairs or None in pairs:
        return error_response(400, "nothing_to_release", gettext("Choose the messages to release."))
    try:
        releases = {
            (uuid, revision): review.parse_redactions(
                request.form.get(f"remove-{uuid}-{revision}", "")
            )
            for uuid, revision in pairs
        }
    except ValueError:
        return error_response(
            400,
            "too_many_redactions",
            gettext(
                "List at most %(num)d words or phrases to remove, each shorter than %(len)d "
                "characters.",
                num=review.MAX_REDACTIONS,
                len=review.MAX_REDACTION_LENGTH,
            ),
        )
    released = review.release(get_db(), releases, user_account(g.user["id"]))
    if released:
        flash(
            ngettext(
                "%(num)s message released: it leaves with the next sync.",
                "%(num)s messages released: they leave with the next sync.",
                released,
            )
        )
    else:
        flash(gettext("Nothing was released: these messages were already released."))
    return redirect(url_for("sync.review_page"), code=303)


def _held_key(text: str) -> tuple[str, int] | None:
    """'uuid:revision' as posted, or None when it is not one."""
    record_uuid, _, revision = text.partition(":")
    if not is_uuid(record_uuid) or not revision.isdigit() or len(revision) > 9:
        return None
    return record_uuid, int(revision)


def _scrubbed_texts(form, answers: dict, names: list[str]) -> list[tuple]:
    """(question, instance number or None, pieces) for each free-text answer that is
    scrubbed: the pieces say what is removed, and as what (see scrubbing.segments)."""
    return [
        (question, number, scrubbing.segments(text, names))
        for question, number, text in review.free_texts(form, answers)
    ]


def _may_preview(record: dict) -> bool:
    """Everyone previews their own records; a kiosk message (no enumerator) only the
    operator; another enumerator's record nobody else."""
    if record["enumerator_id"] is None:
        return is_operator(g.user)
    return record["enumerator_id"] == g.user["id"]


def _dropped(form, answers: dict, synced: dict) -> list[str]:
    """The questions whose answers stay on the laptop, those inside repeats included."""
    names = set(answers) - set(synced)
    for repeat in form.repeats:
        sent = dict(repeats.each_instance(form, synced, repeat))
        for positions, kept in repeats.each_instance(form, answers, repeat):
            names |= set(kept) - set(sent.get(positions, {}))
    return sorted(names)


def _data_dir() -> Path:
    return Path(current_app.config["DATA_DIR"])


def _sync_in_thread(database: str, data_dir: Path) -> None:
    """Without a background worker (tests, `flask run`), sync once in a short-lived thread."""
    from .db import connect

    def run():
        db = connect(database)
        try:
            credentials = load_credentials(db, data_dir)
            if credentials is not None:
                SyncClient(db, credentials).sync()
        except (SyncError, DeviceRevoked):
            pass  # kept in hub_state by the client and shown on the page
        finally:
            db.close()

    threading.Thread(target=run, daemon=True).start()
