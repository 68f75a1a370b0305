"""Replies to the community: feedback as a queue, answered in the feedback's language.

Sensitive feedback (reports of discrimination: the form's access rule, stored with each
record as its access class, sync_server.access) has its own queue, for admins only.
"""

from __future__ import annotations

import uuid as uuid_module

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext

from collector.forms import FEEDBACK_FORM
from collector.i18n import LOCALES, current_locale

from . import access, labels
from .auth import role_required
from .ingest import known_form
from .store import get_store

bp = Blueprint("feedback", __name__, url_prefix="/feedback")
STATUSES = ("new", "in_progress", "answered", "closed")


def status_label(status: str) -> str:
    return {
        "new": gettext("New"),
        "in_progress": gettext("In progress"),
        "answered": gettext("Answered"),
        "closed": gettext("Closed"),
    }[status]


@bp.route("")
@role_required("analyst")
def queue():
    sensitive = request.args.get("queue") == "sensitive"
    access_class = access.SENSITIVE if sensitive else access.STANDARD
    if access_class not in access.visible_classes(g.user):
        abort(403)  # the queue exists for everyone who can read this page: no secret
    status = request.args.get("status")
    status = status if status in STATUSES else None
    store = get_store()
    cases = store.feedback_queue(status, access_class)
    forms: dict = {}
    for item in cases:
        item["details"] = [
            row
            for row in answer_rows(store, item, forms)
            if row["name"] in ("feedback_type", "topic")
        ]
    return render_template(
        "feedback_queue.html",
        cases=cases,
        status=status,
        statuses=STATUSES,
        sensitive=sensitive,
        status_label=status_label,
    )


def answer_rows(store, found: dict, forms: dict | None = None) -> list[dict]:
    """The case's answers but the message, by their questions' labels in the page's
    language, in questionnaire order (sync_server.labels). `forms`: versions already
    looked up, for a queue of many cases."""
    forms = {} if forms is None else forms
    version = found.get("form_version") or ""
    if version not in forms:
        forms[version] = known_form(store, FEEDBACK_FORM, version)
        if forms[version] is None:  # a version the server does not have: the current one
            from .data import newest_form

            forms[version] = newest_form(FEEDBACK_FORM, store)
    form = forms[version]
    blocks = labels.answer_blocks(form, found["answers"], found["answers"], current_locale())
    return [row for block in blocks for row in block["rows"] if row["name"] != "message"]


@bp.route("/<record_uuid>", methods=("GET", "POST"))
@role_required("analyst")
def case(record_uuid: str):
    store = get_store()
    found = _case(record_uuid)
    if request.method == "POST":
        return _answer(store, found)
    return render_template(
        "feedback_case.html",
        case=found,
        replies=store.replies_to(record_uuid),
        statuses=STATUSES,
        status_label=status_label,
        locales=LOCALES,
        rows=answer_rows(store, found),
        codes=request.args.get("codes") == "1",
    )


def _case(record_uuid: str) -> dict:
    """The case if the user may see its record; 404 alike for one that does not exist and
    for one they may not see, so that the answer does not say a report is there."""
    found = get_store().feedback_case(record_uuid)
    if found is None or not access.can_see(g.user, found):
        abort(404)
    return found


def _answer(store, found: dict):
    message = request.form.get("message", "").strip()
    status = request.form.get("status", found["status"])
    locale = request.form.get("locale", found["locale"])
    if status not in STATUSES or locale not in LOCALES or len(message) > 2000:
        abort(400)
    if message:
        store.add_reply(str(uuid_module.uuid4()), found["uuid"], message, locale, g.user["name"])
        status = "answered" if status in ("new", "in_progress") else status
        flash(gettext("Reply saved. The laptop receives it on its next sync."))
    store.set_feedback_status(found["uuid"], status, found["sensitive"], g.user["name"])
    return redirect(url_for("feedback.case", record_uuid=found["uuid"]))
